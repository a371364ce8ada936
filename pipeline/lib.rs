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

pub mod cli;
pub mod dictionary;
pub mod error;
pub mod keys;
pub mod parquet_out;
pub mod period;
pub mod prepare;
pub mod pseudonymise;
pub mod read;
pub mod reference;
pub mod schema;
pub mod scrub;
pub mod synth;
pub mod term;
pub mod validate;

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
            prepare::write_rejections(&args.report, &report)?;
            term::out(&prepare::summary(&report));
            let rejected: usize = report.returns.iter().map(|r| r.rejected.len()).sum();
            tracing::info!(problems = rejected, "problem report written to {}", args.report.display());
            Ok(if report.has_problems() { 1 } else { 0 })
        }
        Command::Prepare(args) => {
            // The key is checked before anything is read or written.
            let key = keys::ProjectKey::from_flag_or_env(args.key_file.as_deref())?;
            let pseudonymiser = keys::Pseudonymiser::new(&key);
            drop(key);
            let schemas = Schemas::builtin()?;
            std::fs::create_dir_all(&args.out).map_err(Error::io("cannot create", &args.out))?;
            let mode = prepare::Mode::Prepare { pseudonymiser: &pseudonymiser, out: &args.out };
            let report = prepare::run_all(&args.returns, &schemas, mode)?;
            prepare::write_rejections(&args.out.join("restricted").join("rejected_rows.csv"), &report)?;
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

fn demo(args: &cli::DemoArgs) -> Result<u8> {
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
        "rni demo: synthesised {} messy returns ({} files, {} rows, {} deliberately bad rows) for {}",
        report.returns,
        report.files,
        report.rows,
        report.planted,
        report.authority_codes.join(", ")
    ));
    term::out(&format!("returns: {}", returns.display()));
    Ok(0)
}
