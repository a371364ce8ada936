//! The commands: one file per subcommand, and the dispatch.
//!
//! Each command turns its arguments into calls on the stages and says how it
//! ended as an [`ExitStatus`]: 0 it ran and found nothing to act on, 1 it ran
//! and found problems (rejected rows, leaks, a stale file), 2 it could not
//! run (an [`Error`](crate::Error) says why). The commands that need the
//! query engine (demo, build, query, case-study) say so when rni was built
//! without it.

mod audit;
#[cfg(feature = "engine")]
mod build;
#[cfg(feature = "engine")]
mod case_study;
#[cfg(feature = "engine")]
mod demo;
mod dictionary;
mod keygen;
mod prepare;
#[cfg(feature = "engine")]
mod query;
mod synth;
mod validate;

use crate::cli::{Cli, Command};
use crate::error::{ExitStatus, Result};

/// Runs a command that needs the query engine, or says that this rni was built without it.
macro_rules! with_engine {
    ($run:path, $args:expr) => {{
        #[cfg(feature = "engine")]
        let outcome = $run($args);
        #[cfg(not(feature = "engine"))]
        let outcome = {
            let _ = $args;
            Err(crate::Error::Usage("this rni was built without the query engine (cargo feature `engine`)".into()))
        };
        outcome
    }};
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    crate::term::init(cli.log_format, cli.quiet);
    match cli.command {
        Command::Demo(args) => with_engine!(demo::run, &args),
        Command::Synth(args) => synth::run(&args),
        Command::Keygen(args) => keygen::run(&args),
        Command::Dictionary(args) => dictionary::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Prepare(args) => prepare::run(&args),
        Command::Build(args) => with_engine!(build::run, &args),
        Command::Query(args) => with_engine!(query::run, &args),
        Command::CaseStudy(args) => with_engine!(case_study::run, &args),
        Command::Audit(args) => audit::run(&args),
    }
}
