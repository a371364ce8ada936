//! # rni — the Reach and Impact pipeline
//!
//! rni turns local authorities' returns about children at risk of
//! extra-familial harm into pseudonymised research data and cross-authority
//! metrics for the evaluation of the Contextual Safeguarding programme.
//!
//! Data flows one way through these stages:
//!
//! 1. **read** a return (CSV in UTF-8, UTF-8 with BOM or Windows-1252, or an
//!    XLSX workbook), matching headers and codes through [`schema`];
//! 2. **validate** each row against the schema (types, codes, dates,
//!    references inside the return); a bad row goes to a rejected-row report
//!    with file, row, column and rule, never its values;
//! 3. **pseudonymise** with the project key ([`keys`]): identifiers become
//!    keyed HMAC pseudonyms, quasi-identifiers are generalised, names are
//!    dropped and free text is scrubbed. Raw values exist only before this
//!    stage;
//! 4. **write** zstd Parquet partitioned by authority and period;
//! 5. **measure** with the SQL files in `queries/`, run by DataFusion;
//! 6. **control disclosure** (suppression and rounding) and **report**.
//!
//! The schemas in `schemas/` are the single source of truth for columns,
//! aliases, codes and treatments; `data-dictionary.md` is generated from them
//! ([`dictionary`]). [`synth`] makes realistic synthetic returns for tests and
//! the demo. [`term`] is the only module that writes to the terminal.

pub mod audit;
#[cfg(feature = "engine")]
pub mod case_study;
pub mod cli;
pub mod dictionary;
#[cfg(feature = "engine")]
pub mod disclosure;
pub mod error;
pub mod keys;
#[cfg(feature = "engine")]
pub mod metrics;
pub mod parquet_out;
pub mod period;
pub mod prepare;
pub mod pseudonymise;
pub mod queries;
pub mod read;
pub mod reference;
#[cfg(feature = "engine")]
pub mod report;
pub mod schema;
pub mod scrub;
pub mod synth;
pub mod term;
pub mod validate;
#[cfg(feature = "engine")]
pub mod warehouse;

use std::path::Path;

pub use error::{Error, Result};

use cli::{Cli, Command};
use schema::Schemas;

/// Runs a parsed command line; returns the process exit code (0 success, 1 problems found).
pub fn run(cli: Cli) -> Result<u8> {
    term::init(cli.log_format, cli.quiet);
    match cli.command {
        Command::Demo(args) => demo(&args),
        Command::Synth(args) => {
            let schemas = Schemas::builtin()?;
            let options = synth::SynthOptions {
                out: args.out.clone(),
                authorities: args.authorities,
                young_people: args.young_people,
                periods: period::Period::parse_range(&args.periods)?,
                seed: args.seed,
                format: args.format,
                is_messy: args.messy,
            };
            let report = synth::synthesise(&options, &schemas)?;
            tracing::info!(
                returns = report.returns,
                files = report.files,
                rows = report.rows,
                planted_bad_rows = report.planted,
                "synthetic returns written to {}",
                args.out.display()
            );
            Ok(0)
        }
        Command::Keygen(args) => {
            let key = keys::ProjectKey::generate()?;
            key.write_new(&args.out)?;
            tracing::info!(
                key_id = key.key_id(),
                "key written to {} (mode 0600); keep it secret and backed up",
                args.out.display()
            );
            term::out(&key.key_id());
            Ok(0)
        }
        Command::Dictionary(args) => dictionary_command(&args.out, args.check),
        Command::Validate(args) => {
            let schemas = Schemas::builtin()?;
            let report = prepare::run_all(&args.returns, &schemas, prepare::Mode::Validate)?;
            prepare::write_rejections(&args.report, &report.returns)?;
            term::out(&prepare::summary(&report));
            let rejected: usize = report.returns.iter().map(|r| r.rejected.len()).sum();
            tracing::info!(problems = rejected, "problem report written to {}", args.report.display());
            Ok(if report.has_problems() { 1 } else { 0 })
        }
        Command::Build(args) => build_command(&args),
        Command::Query(args) => query_command(&args),
        Command::Audit(args) => {
            let findings = audit::audit_with_logs(&args.warehouse, &args.returns, &args.logs, &Schemas::builtin()?)?;
            if findings.is_empty() {
                term::out(&format!(
                    "audit: no identifier from {} found in {}",
                    args.returns.display(),
                    args.warehouse.display()
                ));
                return Ok(0);
            }
            term::out(&format!("audit: {} finding(s); values are not shown", findings.len()));
            term::out(&format!("{:<60} {:<22} {:<14} {}", "file", "column", "kind", "authority"));
            for f in &findings {
                term::out(&format!("{:<60} {:<22} {:<14} {}", f.file, f.column, f.kind, f.authority_code));
            }
            Ok(1)
        }
        Command::CaseStudy(args) => case_study_command(&args),
        Command::Prepare(args) => {
            // The key is checked before anything is read or written.
            let key = keys::ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
            let pseudonymiser = keys::Pseudonymiser::new(&key);
            drop(key);
            let schemas = Schemas::builtin()?;
            std::fs::create_dir_all(&args.out).map_err(Error::io("cannot create", &args.out))?;
            let mode = prepare::Mode::Prepare { pseudonymiser: &pseudonymiser, out: &args.out };
            let report = prepare::run_all(&args.returns, &schemas, mode)?;
            prepare::write_rejections(&args.out.join("restricted").join("rejected_rows.csv"), &report.returns)?;
            prepare::write_package_manifest(&args.out, &schemas, pseudonymiser.key_id(), &report)?;
            term::out(&prepare::summary(&report));
            tracing::info!(key_id = pseudonymiser.key_id(), "package written to {}", args.out.display());
            Ok(if report.has_table_errors() { 1 } else { 0 })
        }
    }
}

fn dictionary_command(out: &Path, is_check: bool) -> Result<u8> {
    let schemas = Schemas::builtin()?;
    let text = dictionary::render(&schemas);
    if is_check {
        let current = std::fs::read_to_string(out).unwrap_or_default();
        if current != text {
            return Err(Error::Stale(format!(
                "{} is not what `rni dictionary` writes from the schemas; run `rni dictionary --out {}`",
                out.display(),
                out.display()
            )));
        }
        tracing::info!("{} is current", out.display());
        return Ok(0);
    }
    std::fs::write(out, text).map_err(Error::io("cannot write", out))?;
    tracing::info!("wrote {}", out.display());
    Ok(0)
}

/// Commands that need the query engine (DataFusion).
#[cfg(feature = "engine")]
mod engine_commands {
    use std::path::Path;

    use super::*;

    pub(super) fn build_command(args: &cli::BuildArgs) -> Result<u8> {
        let key = keys::ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
        let pseudonymiser = keys::Pseudonymiser::new(&key);
        drop(key);
        let options = warehouse::BuildOptions {
            returns: args.returns.clone(),
            out: args.out.clone(),
            policy: disclosure::Policy::load(args.policy.as_deref())?,
            is_strict: args.strict,
        };
        let report = warehouse::build(&options, &pseudonymiser, &Schemas::builtin()?)?;
        log_build_summary(&report, &args.out);
        Ok(0)
    }

    pub(super) fn case_study_command(args: &cli::CaseStudyArgs) -> Result<u8> {
        let parse = |p: &Option<String>| p.as_deref().map(period::Period::parse).transpose();
        let options = case_study::CaseStudyOptions {
            warehouse: args.warehouse.clone(),
            authority_code: args.authority.trim().to_uppercase(),
            out: args.out.clone(),
            k: args.k,
            from: parse(&args.from)?,
            to: parse(&args.to)?,
            max_suppression: args.max_suppression.clamp(0.0, 1.0),
        };
        let report = case_study::export(&options, &Schemas::builtin()?)?;
        term::out(&format!(
            "case study for {} written to {}: {} young people ({} suppressed, {} generalised), smallest class {} (k = {})",
            options.authority_code,
            args.out.display(),
            report.young_people_in - report.young_people_suppressed,
            report.young_people_suppressed,
            report.records_generalised,
            report.smallest_class,
            report.k
        ));
        Ok(0)
    }

    /// The demo's headline table: the latest quarter, per authority and programme-wide.
    fn headline_table(rows: &[metrics::MetricRow]) -> String {
        let latest = rows
            .iter()
            .filter(|r| r.metric == "young_people_reached")
            .map(|r| r.period.clone())
            .max()
            .unwrap_or_default();
        let columns = [
            ("young_people_reached", "reached"),
            ("episodes_started", "episodes"),
            ("contexts_assessed", "contexts"),
            ("pct_contextual_assessment", "% ctx assess"),
            ("pct_context_safety_plan", "% CS plan"),
            ("pct_child_protection_plan", "% CP plan"),
        ];
        let mut codes: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.metric == "young_people_reached" && r.period == latest)
            .map(|r| (r.authority_code.clone(), r.authority_name.clone()))
            .collect();
        codes.sort_by_key(|(c, _)| (c == "ALL", c.clone()));
        let mut lines = vec![format!("\nheadline metrics, {latest} (disclosure-controlled; c = suppressed):")];
        let mut header = format!("{:<28}", "authority");
        for (_, label) in columns {
            header.push_str(&format!("{label:>13}"));
        }
        lines.push(header);
        for (code, name) in codes {
            let mut line = format!("{:<28}", name.chars().take(27).collect::<String>());
            for (metric, _) in columns {
                let cell = rows
                    .iter()
                    .find(|r| {
                        r.metric == metric && r.authority_code == code && r.period == latest && r.breakdown.is_empty()
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
        lines.join("\n")
    }

    fn log_build_summary(report: &warehouse::BuildReport, out: &Path) {
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
        let all: Vec<&warehouse::ReturnEntry> = m.authorities.iter().flat_map(|a| &a.returns).collect();
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

    pub(super) fn query_command(args: &cli::QueryArgs) -> Result<u8> {
        let (sql, origin) = if args.sql.trim_end().ends_with(".sql") && Path::new(args.sql.trim()).is_file() {
            let path = Path::new(args.sql.trim());
            (std::fs::read_to_string(path).map_err(Error::io("cannot read", path))?, path.display().to_string())
        } else {
            (args.sql.clone(), "from the command line".to_string())
        };
        if !args.warehouse.join("tables").is_dir() && !args.warehouse.join("MANIFEST.json").is_file() {
            return Err(Error::Usage(format!(
                "{} is not a warehouse or package (no tables/ or MANIFEST.json)",
                args.warehouse.display()
            )));
        }
        let schemas = Schemas::builtin()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::io("cannot start the query engine", &args.warehouse))?;
        let batches = runtime.block_on(async {
            let ctx = metrics::open(&args.warehouse, &schemas).await?;
            metrics::run_sql(&ctx, &sql, &origin).await
        })?;
        let text = match args.format {
            cli::QueryFormat::Table => arrow::util::pretty::pretty_format_batches(&batches)
                .map(|t| t.to_string())
                .map_err(|e| Error::Query { origin: origin.clone(), source: e.into() })?,
            cli::QueryFormat::Csv => {
                query_csv(&batches).map_err(|e| Error::Query { origin: origin.clone(), source: e.into() })?
            }
            cli::QueryFormat::Json => {
                let mut buf = Vec::new();
                {
                    let mut w = arrow::json::LineDelimitedWriter::new(&mut buf);
                    for b in &batches {
                        w.write(b).map_err(|e| Error::Query { origin: origin.clone(), source: e.into() })?;
                    }
                    w.finish().map_err(|e| Error::Query { origin: origin.clone(), source: e.into() })?;
                }
                String::from_utf8_lossy(&buf).trim_end().to_string()
            }
        };
        term::out(&text);
        Ok(0)
    }

    /// Query results as CSV. A cell that a spreadsheet would run as a formula gets a leading `'`.
    fn query_csv(batches: &[arrow::array::RecordBatch]) -> std::result::Result<String, arrow::error::ArrowError> {
        use arrow::util::display::{ArrayFormatter, FormatOptions};
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| arrow::error::ArrowError::CsvError(e.to_string());
        if let Some(first) = batches.first() {
            w.write_record(first.schema().fields().iter().map(|f| f.name().clone())).map_err(csv_err)?;
        }
        let options = FormatOptions::default().with_null("");
        for batch in batches {
            let formatters: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<std::result::Result<_, _>>()?;
            for row in 0..batch.num_rows() {
                let cells: Vec<String> =
                    formatters.iter().map(|f| case_study::csv_safe(&f.value(row).to_string()).into_owned()).collect();
                w.write_record(cells).map_err(csv_err)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| arrow::error::ArrowError::CsvError(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
    }

    pub(super) fn demo(args: &cli::DemoArgs) -> Result<u8> {
        let returns = args.out.join("returns");
        // Only an earlier demo's returns are replaced; anything else is left alone.
        if returns.exists() {
            if !returns.join(synth::MANIFEST_FILE).exists() {
                return Err(Error::Usage(format!(
                    "{} exists and was not made by `rni demo`; choose another --out",
                    returns.display()
                )));
            }
            std::fs::remove_dir_all(&returns).map_err(Error::io("cannot replace", &returns))?;
        }
        let schemas = Schemas::builtin()?;
        let options = synth::SynthOptions {
            out: returns.clone(),
            authorities: 4,
            young_people: 150,
            periods: period::Period::parse_range("2025Q1..2025Q4")?,
            seed: args.seed,
            format: synth::Format::Csv,
            is_messy: true,
        };
        let report = synth::synthesise(&options, &schemas)?;
        term::out(&format!(
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
            match warehouse::read_manifest(&warehouse_dir) {
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
        let key = keys::ProjectKey::generate()?;
        let pseudonymiser = keys::Pseudonymiser::new(&key);
        drop(key);
        let options = warehouse::BuildOptions {
            returns: returns.clone(),
            out: warehouse_dir.clone(),
            policy: disclosure::Policy::load(None)?,
            is_strict: false,
        };
        let built = warehouse::build(&options, &pseudonymiser, &schemas)?;
        log_build_summary(&built, &warehouse_dir);
        term::out(&headline_table(&built.published));
        let rejected: usize = built.manifest.authorities.iter().map(warehouse::AuthorityEntry::rows_rejected).sum();
        term::out(&format!(
            "\n{rejected} rows were rejected and reported (file, row, column, rule) under {}",
            warehouse_dir.join("restricted").display()
        ));
        let case_dir = args.out.join("case-study");
        if case_dir.join("disclosure-report.json").exists() {
            std::fs::remove_dir_all(&case_dir).map_err(Error::io("cannot replace", &case_dir))?;
        }
        let case = case_study::export(
            &case_study::CaseStudyOptions {
                warehouse: warehouse_dir.clone(),
                authority_code: "E09000017".into(),
                out: case_dir.clone(),
                k: disclosure::Policy::load(None)?.k_anonymity,
                from: None,
                to: None,
                max_suppression: 0.05,
            },
            &schemas,
        )?;
        term::out(&format!("metrics:    {}", warehouse_dir.join("metrics/metric_values.csv").display()));
        term::out(&format!("report:     {}", warehouse_dir.join("report/index.html").display()));
        term::out(&format!(
            "case study: {} (Hillingdon, k = {}, smallest class {})",
            case_dir.display(),
            case.k,
            case.smallest_class
        ));
        Ok(0)
    }
}

#[cfg(feature = "engine")]
use engine_commands::{build_command, case_study_command, demo, query_command};

/// Without the engine, the commands that need it say so.
#[cfg(not(feature = "engine"))]
mod engine_commands {
    use super::*;

    fn missing() -> Error {
        Error::Usage("this rni was built without the query engine (cargo feature `engine`)".into())
    }
    pub fn build_command(_: &cli::BuildArgs) -> Result<u8> {
        Err(missing())
    }
    pub fn case_study_command(_: &cli::CaseStudyArgs) -> Result<u8> {
        Err(missing())
    }
    pub fn demo(_: &cli::DemoArgs) -> Result<u8> {
        Err(missing())
    }
    pub fn query_command(_: &cli::QueryArgs) -> Result<u8> {
        Err(missing())
    }
}

#[cfg(not(feature = "engine"))]
use engine_commands::{build_command, case_study_command, demo, query_command};
