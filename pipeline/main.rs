//! The `rni` command: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = rni::cli::Cli::parse();
    let status = match rni::commands::run(cli) {
        Ok(status) => status,
        Err(err) => {
            rni::term::error(&err.to_string());
            err.exit_status()
        }
    };
    ExitCode::from(status.code())
}
