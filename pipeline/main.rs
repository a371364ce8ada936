//! The `rni` command: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = rni::cli::Cli::parse();
    match rni::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            rni::term::error(&err.to_string());
            ExitCode::from(err.exit_code())
        }
    }
}
