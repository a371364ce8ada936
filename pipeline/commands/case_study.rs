//! `rni case-study`: a k-anonymous record-level export for one authority, with its profile.

use crate::cli::{CaseStudyArgs, NotesChoice};
use crate::config::period::Period;
use crate::config::policy::Policy;
use crate::config::schema::Schemas;
#[cfg(feature = "distributed")]
use crate::error::Error;
use crate::error::{ExitStatus, Result};
use crate::publish::case_study::{CaseStudyOptions, export, profile};

/// Writes the export and prints what disclosure control changed.
pub fn run(args: &CaseStudyArgs) -> Result<ExitStatus> {
    let parse = |p: &Option<String>| p.as_deref().map(Period::parse).transpose();
    let options = CaseStudyOptions {
        warehouse: args.warehouse.clone(),
        authority_code: args.authority.trim().to_uppercase(),
        out: args.out.clone(),
        k: match args.k {
            Some(k) => k,
            None => Policy::load(args.policy.as_deref())?.k_anonymity,
        },
        from: parse(&args.from)?,
        to: parse(&args.to)?,
        max_suppression: args.max_suppression.clamp(0.0, 1.0),
        include_notes: args.notes == NotesChoice::Scrubbed,
        engine: args.engine.engine(),
        #[cfg(feature = "distributed")]
        store: None,
    };
    // A warehouse on object storage: its current build's records are read in place; its
    // published figures (for the profile) are copied to a private temporary folder.
    #[cfg(feature = "distributed")]
    let mut options = options;
    #[cfg(feature = "distributed")]
    let _figures = if crate::publish::remote::is_remote(&args.warehouse) {
        use crate::publish::remote::{CurrentBuild, Remote, blocking};
        let remote = Remote::parse(&args.warehouse)?;
        let build = blocking(remote.current_build())?;
        match build.ok_or_else(|| Error::Usage(format!("no warehouse is published at {}", remote.url())))? {
            CurrentBuild::Folder(folder) => {
                options.warehouse = folder;
                None
            }
            CurrentBuild::Store(store) => {
                let figures = tempfile::Builder::new()
                    .prefix("rni-figures-")
                    .tempdir()
                    .map_err(Error::io("cannot create a temporary folder in", std::env::temp_dir()))?;
                let csv = blocking(store.get("metrics/metric_values.csv"))?;
                let path = figures.path().join("metrics/metric_values.csv");
                std::fs::create_dir_all(figures.path().join("metrics"))
                    .map_err(Error::io("cannot create", figures.path()))?;
                std::fs::write(&path, csv).map_err(Error::io("cannot write", &path))?;
                options.warehouse = figures.path().to_path_buf();
                options.store = Some(store);
                Some(figures)
            }
        }
    } else {
        None
    };
    if args.profile_only {
        let profile = profile::write(&options.warehouse, &options.authority_code, &args.out)?;
        crate::term::out(&format!(
            "profile of {} written to {}: {} published figures over {} quarters",
            options.authority_code,
            args.out.display(),
            profile.rows,
            profile.periods
        ));
        return Ok(ExitStatus::Success);
    }
    let report = export(&options, &Schemas::builtin()?)?;
    let profile = profile::write(&options.warehouse, &options.authority_code, &args.out)?;
    crate::term::out(&format!(
        "case study for {} written to {}: {} young people ({} suppressed, {} generalised), smallest class {} (k = {})",
        options.authority_code,
        args.out.display(),
        report.young_people_in - report.young_people_suppressed,
        report.young_people_suppressed,
        report.records_generalised,
        report.smallest_class,
        report.k
    ));
    crate::term::out(&format!(
        "profile: {} published figures over {} quarters (profile.md, profile.html, profile_metrics.csv)",
        profile.rows, profile.periods
    ));
    Ok(ExitStatus::Success)
}
