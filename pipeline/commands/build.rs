//! `rni build`: the nightly job.

use std::path::Path;

use crate::cli::BuildArgs;
use crate::config::policy::Policy;
use crate::config::schema::Schemas;
use crate::error::{ExitStatus, Result};
use crate::privacy::keys::{ProjectKey, Pseudonymiser};
use crate::privacy::scrub::Lexicon;
use crate::publish::build::{BuildOptions, BuildReport, build};
use crate::publish::manifest::ReturnEntry;

/// Builds and publishes the warehouse, then logs a summary.
pub fn run(args: &BuildArgs) -> Result<ExitStatus> {
    let key = ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
    let pseudonymiser = Pseudonymiser::new(&key);
    drop(key);
    let options = BuildOptions {
        returns: args.returns.clone(),
        packages: args.packages.clone(),
        out: args.out.clone(),
        policy: Policy::load(args.policy.as_deref())?,
        is_strict: args.strict,
        lexicon: Lexicon::with_vocabularies(&args.vocabulary)?,
        memory_limit: args.memory_limit,
    };
    let report = build(&options, &pseudonymiser, &Schemas::builtin()?)?;
    if report.unchanged {
        return Ok(ExitStatus::Success);
    }
    log_summary(&report, &args.out);
    let set_aside = &report.manifest.set_aside;
    if set_aside.is_empty() {
        return Ok(ExitStatus::Success);
    }
    tracing::warn!(
        returns_set_aside = set_aside.len(),
        carried_over = set_aside.iter().filter(|s| s.carried_over).count(),
        "published with problems: returns that could not be read were set aside (MANIFEST.json `set_aside`)"
    );
    Ok(ExitStatus::Problems)
}

/// One log line per authority and one for the build.
pub fn log_summary(report: &BuildReport, out: &Path) {
    let m = &report.manifest;
    for a in &m.authorities {
        let accepted: usize = a.inputs().map(|i| i.rows_accepted).sum();
        tracing::info!(
            authority = %a.authority_code,
            returns_prepared = a.returns.iter().filter(|r| r.prepared).count(),
            returns_unchanged = a.returns.iter().filter(|r| !r.prepared).count(),
            rows_accepted = accepted,
            rows_rejected = a.rows_rejected(),
            "authority"
        );
    }
    let all: Vec<&ReturnEntry> = m.authorities.iter().flat_map(|a| &a.returns).collect();
    let prepared = all.iter().filter(|r| r.prepared).count();
    tracing::info!(
        returns_prepared = prepared,
        returns_unchanged = all.len() - prepared,
        metric_rows = m.metric_rows,
        seconds = (report.seconds * 100.0).round() / 100.0,
        "warehouse published at {}",
        out.display()
    );
}
