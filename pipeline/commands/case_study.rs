//! `rni case-study`: a k-anonymous record-level export for one authority, with its profile.

use crate::cli::{CaseStudyArgs, NotesChoice};
use crate::config::period::Period;
use crate::config::policy::Policy;
use crate::config::schema::Schemas;
use crate::error::{ExitStatus, Result};
use crate::publish::case_study::{CaseStudyOptions, export, profile};

/// Writes the export and prints what disclosure control changed.
pub fn run(args: &CaseStudyArgs) -> Result<ExitStatus> {
    #[cfg(feature = "distributed")]
    if crate::publish::remote::is_remote(&args.warehouse) {
        // The store's current build, copied to a private temporary folder.
        let copy = crate::publish::remote::current_copy(&args.warehouse)?;
        return run(&CaseStudyArgs { warehouse: copy.path().join("warehouse"), ..args.clone() });
    }
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
