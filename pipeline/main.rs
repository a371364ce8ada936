//! The `rni` command: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// The pipeline makes and drops many small strings (one per cell and note); mimalloc
/// handles that markedly faster than the system allocator, on every core at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
