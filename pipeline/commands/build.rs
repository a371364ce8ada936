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
    #[cfg(feature = "distributed")]
    {
        use crate::publish::remote::is_remote;
        let packages_remote = args.packages.iter().any(|p| is_remote(p));
        if is_remote(&args.out) || args.returns.as_deref().is_some_and(is_remote) || packages_remote {
            return on_object_store(args);
        }
    }
    build_here(args)
}

/// A build whose returns, packages or warehouse are on an object store: what is there is
/// copied to a private temporary folder (the current build too, so that unchanged returns are
/// reused), the build runs there as anywhere, and the warehouse is published as a new build
/// behind the store's pointer (see [`crate::publish::remote`]).
#[cfg(feature = "distributed")]
fn on_object_store(args: &BuildArgs) -> Result<ExitStatus> {
    use crate::error::Error;
    use crate::publish::remote::{Remote, blocking, is_remote};
    let work = tempfile::Builder::new()
        .prefix("rni-build-")
        .tempdir()
        .map_err(Error::io("cannot create a temporary folder in", std::env::temp_dir()))?;
    let fetch = |path: &Path, name: &str| -> Result<std::path::PathBuf> {
        if !is_remote(path) {
            return Ok(path.to_path_buf());
        }
        let to = work.path().join(name);
        let remote = Remote::parse(path)?;
        blocking(remote.download_all(&to))?;
        Ok(to)
    };
    let mut local = args.clone();
    local.returns = args.returns.as_deref().map(|r| fetch(r, "returns")).transpose()?;
    local.packages =
        args.packages.iter().enumerate().map(|(i, p)| fetch(p, &format!("packages-{i}"))).collect::<Result<_>>()?;
    let remote = if is_remote(&args.out) { Some(Remote::parse(&args.out)?) } else { None };
    if let Some(remote) = &remote {
        local.out = work.path().join("warehouse");
        let found = blocking(remote.download_current(&local.out))?;
        tracing::info!(previous_build = found, "warehouse at {}", remote.url());
    }
    let status = build_here(&local)?;
    if let Some(remote) = &remote {
        let id = blocking(remote.publish(&local.out, args.keep_builds))?;
        tracing::info!(build = %id, "published at {}", remote.url());
    }
    Ok(status)
}

fn build_here(args: &BuildArgs) -> Result<ExitStatus> {
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
        engine: args.engine.engine(),
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
