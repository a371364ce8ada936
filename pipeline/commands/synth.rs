//! `rni synth`: write synthetic returns.

use crate::cli::SynthArgs;
use crate::config::period::Period;
use crate::config::schema::Schemas;
use crate::error::{ExitStatus, Result};
use crate::synth::{SynthOptions, synthesise};

/// Writes seeded synthetic returns and logs what was made.
pub fn run(args: &SynthArgs) -> Result<ExitStatus> {
    let schemas = Schemas::builtin()?;
    let options = SynthOptions {
        out: args.out.clone(),
        authorities: args.authorities,
        young_people: args.young_people,
        periods: Period::parse_range(&args.periods)?,
        seed: args.seed,
        format: args.format,
        is_messy: args.messy,
        is_statutory: args.statutory,
    };
    let report = synthesise(&options, &schemas)?;
    tracing::info!(
        returns = report.returns,
        files = report.files,
        rows = report.rows,
        planted_bad_rows = report.planted,
        "synthetic returns written to {}",
        args.out.display()
    );
    Ok(ExitStatus::Success)
}
