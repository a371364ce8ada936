//! `rni validate`: check returns and write a problem report, nothing else.

use crate::cli::ValidateArgs;
use crate::config::schema::Schemas;
use crate::error::{ExitStatus, Result};
use crate::ingest::discover::discover_returns;
use crate::publish::package::{Mode, run_all, summary, write_rejections};

/// Validates every return under the folder given; exit 1 when any row is rejected.
pub fn run(args: &ValidateArgs) -> Result<ExitStatus> {
    let schemas = Schemas::builtin()?;
    let returns = discover_returns(&args.returns, &schemas)?;
    let report = run_all(&returns, &args.returns, &schemas, Mode::Validate)?;
    write_rejections(&args.report, &report.returns)?;
    crate::term::out(&summary(&report));
    let rejected: usize = report.returns.iter().map(|r| r.rejected.len()).sum();
    tracing::info!(problems = rejected, "problem report written to {}", args.report.display());
    Ok(ExitStatus::problems_if(report.has_problems()))
}
