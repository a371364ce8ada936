//! `rni demo`: the whole pipeline on synthetic returns, with no data of one's own.

use crate::cli::DemoArgs;
use crate::config::period::Period;
use crate::config::policy::Policy;
use crate::config::queries::catalogue;
use crate::config::schema::Schemas;
use crate::engine::metrics::MetricRow;
use crate::error::{Error, ExitStatus, Result};
use crate::privacy::keys::{ProjectKey, Pseudonymiser};
use crate::privacy::scrub::Lexicon;
use crate::publish::build::{BuildOptions, build};
use crate::publish::case_study::{CaseStudyOptions, export};
use crate::publish::manifest::{AuthorityEntry, read_manifest};
use crate::synth::{Format, MANIFEST_FILE, SynthOptions, synthesise};
use crate::term::out;

/// Synthesises messy returns, builds a warehouse with a throw-away key, prints the
/// headline table, and exports a case study.
pub fn run(args: &DemoArgs) -> Result<ExitStatus> {
    let returns = args.out.join("returns");
    // Only an earlier demo's returns are replaced; anything else is left alone.
    if returns.exists() {
        if !returns.join(MANIFEST_FILE).exists() {
            return Err(Error::Usage(format!(
                "{} exists and was not made by `rni demo`; choose another --out",
                returns.display()
            )));
        }
        std::fs::remove_dir_all(&returns).map_err(Error::io("cannot replace", &returns))?;
    }
    let schemas = Schemas::builtin()?;
    let options = SynthOptions {
        out: returns.clone(),
        authorities: 4,
        young_people: 150,
        periods: Period::parse_range("2025Q1..2025Q4")?,
        seed: args.seed,
        format: Format::Csv,
        is_messy: true,
        is_statutory: true,
    };
    let report = synthesise(&options, &schemas)?;
    out(&format!(
        "rni demo: synthesised {} messy returns ({} files, {} rows, {} of them deliberately bad) for {}",
        report.returns,
        report.files,
        report.rows,
        report.planted,
        report.authority_codes.join(", ")
    ));
    // A throw-away key: the demo's warehouse is rebuilt from scratch every time.
    let warehouse_dir = args.out.join("warehouse");
    if warehouse_dir.exists() {
        match read_manifest(&warehouse_dir) {
            Ok(Some(_)) => {
                std::fs::remove_dir_all(&warehouse_dir).map_err(Error::io("cannot replace", &warehouse_dir))?
            }
            _ => {
                return Err(Error::Usage(format!(
                    "{} exists and is not a warehouse made by `rni demo`; choose another --out",
                    warehouse_dir.display()
                )));
            }
        }
    }
    let key = ProjectKey::generate()?;
    let pseudonymiser = Pseudonymiser::new(&key);
    drop(key);
    let policy = Policy::load(None)?;
    let k = policy.k_anonymity;
    let options = BuildOptions {
        returns: Some(returns.clone()),
        packages: Vec::new(),
        out: warehouse_dir.clone(),
        policy,
        is_strict: false,
        lexicon: Lexicon::builtin()?,
        memory_limit: crate::cli::parse_size("1GiB").map_err(Error::Usage)?,
        engine: Default::default(),
    };
    let built = build(&options, &pseudonymiser, &schemas)?;
    super::build::log_summary(&built, &warehouse_dir);
    out(&headline_table(&built.published)?);
    let rejected: usize = built.manifest.authorities.iter().map(AuthorityEntry::rows_rejected).sum();
    out(&format!(
        "\n{rejected} rows were rejected and reported (file, row, column, rule) under {}",
        warehouse_dir.join("restricted").display()
    ));
    let case_dir = args.out.join("case-study");
    if case_dir.join("disclosure-report.json").exists() {
        std::fs::remove_dir_all(&case_dir).map_err(Error::io("cannot replace", &case_dir))?;
    }
    let case = export(
        &CaseStudyOptions {
            warehouse: warehouse_dir.clone(),
            authority_code: "E09000017".into(),
            out: case_dir.clone(),
            k,
            from: None,
            to: None,
            max_suppression: 0.05,
            include_notes: true,
            engine: Default::default(),
            #[cfg(feature = "distributed")]
            store: None,
        },
        &schemas,
    )?;
    crate::publish::case_study::profile::write(&warehouse_dir, "E09000017", &case_dir)?;
    out(&format!("metrics:    {}", warehouse_dir.join("metrics/metric_values.csv").display()));
    out(&format!("report:     {}", warehouse_dir.join("report/index.html").display()));
    out(&format!(
        "case study: {} (Hillingdon, k = {}, smallest class {})",
        case_dir.display(),
        case.k,
        case.smallest_class
    ));
    Ok(ExitStatus::Success)
}

/// The demo's headline table: the catalogue's headline metrics in the latest quarter, per
/// authority and programme-wide.
fn headline_table(rows: &[MetricRow]) -> Result<String> {
    let latest =
        rows.iter().filter(|r| r.metric == "young_people_reached").map(|r| r.period.clone()).max().unwrap_or_default();
    let columns: Vec<(String, String)> =
        catalogue()?.into_iter().filter_map(|m| m.headline.map(|h| (m.id, h))).collect();
    let mut codes: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.metric == "young_people_reached" && r.period == latest)
        .map(|r| (r.authority_code.clone(), r.authority_name.clone()))
        .collect();
    codes.sort_by_key(|(c, _)| (c == "ALL", c.clone()));
    let mut lines = vec![format!("\nheadline metrics, {latest} (disclosure-controlled; c = suppressed):")];
    let mut header = format!("{:<28}", "authority");
    for (_, label) in &columns {
        header.push_str(&format!("{label:>13}"));
    }
    lines.push(header);
    for (code, name) in codes {
        let mut line = format!("{:<28}", name.chars().take(27).collect::<String>());
        for (metric, _) in &columns {
            let cell = rows
                .iter()
                .find(|r| {
                    r.metric == *metric && r.authority_code == code && r.period == latest && r.breakdown.is_empty()
                })
                .map(|r| match (r.status.as_str(), r.value) {
                    ("", Some(v)) if v.fract() == 0.0 => format!("{v:.0}"),
                    ("", Some(v)) => format!("{v:.1}"),
                    (s, _) => s.to_string(),
                })
                .unwrap_or_else(|| "-".into());
            line.push_str(&format!("{cell:>13}"));
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}
