//! The package runner: returns → validated, pseudonymised Parquet.
//!
//! `rni validate`, `rni prepare` and the prepare step of `rni build` all run
//! returns through here. For every return, every table in schema order is
//! read in batches ([`crate::ingest::read`]), validated
//! ([`crate::ingest::validate`]) and, when preparing, pseudonymised
//! ([`crate::privacy::pseudonymise`]) and written to Parquet
//! ([`crate::publish::parquet`]). The scrubber of an authority knows the
//! names in all of its returns ([`crate::privacy::names`]), so preparing
//! needs one: a [`Stage::Prepare`] cannot be made without it. A package is
//! `tables/…`, `MANIFEST.json` (inputs with sha256, encoding and row counts;
//! outputs; key id; versions) and `restricted/rejected_rows.csv` (file, row,
//! column, rule, never a value).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::config::schema::{Schemas, TableSchema};
use crate::error::{Error, Result};
use crate::ingest::discover::ReturnDir;
use crate::ingest::read::{BATCH_ROWS, TableReader, TableSource};
use crate::ingest::validate::{Rejection, ReturnIndex, TableValidator};
use crate::privacy::keys::Pseudonymiser;
use crate::privacy::names::{NAMES_TABLE, names_by_authority_held};
use crate::privacy::pseudonymise::TablePseudonymiser;
use crate::privacy::scrub::{Lexicon, Scrubber};
use crate::publish::manifest::{InputReport, OutputReport, PackageManifest, sha256_file, write_json};
use crate::publish::parquet::PartitionWriter;

/// What a run does with the returns it is given.
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    /// Read and validate only.
    Validate,
    /// Also pseudonymise and write Parquet under `out`.
    Prepare {
        /// Keyed pseudonyms.
        pseudonymiser: &'a Pseudonymiser,
        /// Package folder.
        out: &'a Path,
        /// The words free text may keep.
        lexicon: &'a Arc<Lexicon>,
        /// More returns whose young people's names the scrubbers learn (other quarters of the
        /// same authorities); they are not prepared.
        names_from: &'a [ReturnDir],
    },
}

/// What one return is read for.
#[derive(Clone, Copy)]
pub enum Stage<'a> {
    /// Read and validate only.
    Validate,
    /// Pseudonymise, scrub and write Parquet.
    Prepare(Writing<'a>),
}

/// Everything that preparing a return needs, together: there is no preparing without a scrubber.
#[derive(Clone, Copy)]
pub struct Writing<'a> {
    /// Keyed pseudonyms.
    pub pseudonymiser: &'a Pseudonymiser,
    /// Folder the tables are written under.
    pub out: &'a Path,
    /// The scrubber that knows every name of the return's authority.
    pub scrubber: &'a Scrubber,
}

/// A rejected row with where it came from.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    /// Authority.
    pub authority_code: String,
    /// The return's label: its quarter, or `cin/2025` for a statutory return.
    pub period: String,
    /// File, relative to the folder given.
    pub file: String,
    /// Table.
    pub table: String,
    /// The broken rule.
    pub rejection: Rejection,
}

/// Everything that happened to one return.
#[derive(Debug, Clone, Default)]
pub struct ReturnReport {
    /// Authority.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// Tables read.
    pub inputs: Vec<InputReport>,
    /// Files written.
    pub outputs: Vec<OutputReport>,
    /// Rejected rows.
    pub rejected: Vec<RejectedRow>,
    /// Tables with no file or sheet in the return.
    pub missing_tables: Vec<String>,
    /// Files in the return folder that are not a table.
    pub ignored_files: Vec<String>,
}

impl ReturnReport {
    /// Whether any row was rejected or any table could not be read.
    pub fn has_problems(&self) -> bool {
        !self.rejected.is_empty() || self.inputs.iter().any(|i| i.error.is_some())
    }

    /// Rows rejected over every table.
    pub fn rows_rejected(&self) -> usize {
        self.inputs.iter().map(|i| i.rows_rejected).sum()
    }
}

/// What happened to one table: always returned, with the reason in `input.error` when it stopped.
struct TableOutcome {
    input: InputReport,
    rejected: Vec<RejectedRow>,
    output: Option<OutputReport>,
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Reads (and, when preparing, pseudonymises and writes) one return. `base` is the folder
/// the returns were found under; reports name files relative to it. `known` holds the sha256
/// of files already hashed (a build hashes every return file once, up front). `held`: the
/// young people's table already read (see [`TableReader::into_held`]), taken from memory
/// instead of its file.
pub fn process_return(
    ret: &ReturnDir,
    schemas: &Schemas,
    stage: Stage<'_>,
    base: &Path,
    known: &BTreeMap<PathBuf, String>,
    mut held: Option<TableReader>,
) -> Result<ReturnReport> {
    let mut report = ReturnReport {
        authority_code: ret.authority_code.clone(),
        period: ret.label(),
        ignored_files: ret.ignored_files.clone(),
        ..Default::default()
    };
    let mut index = ReturnIndex::for_schemas(schemas);
    let mut hashes: HashMap<PathBuf, String> = HashMap::new();
    // A workbook that cannot be opened stops its tables; the rest of the return goes on.
    for (path, message) in &ret.unreadable {
        tracing::warn!(authority = %ret.authority_code, period = %ret.label(), "{}: {message}", path.display());
        let mut input = InputReport::new(relative(path, base), None, "(workbook)", ret, sha256_file(path)?);
        input.encoding = "xlsx".into();
        input.error = Some(format!("{}: {message}", relative(path, base)));
        report.inputs.push(input);
    }
    for schema in schemas.tables_of(ret.source) {
        let Some(source) = ret.tables.get(&schema.name) else {
            report.missing_tables.push(schema.name.clone());
            continue;
        };
        let sha256 = match hashes.get(&source.path).or_else(|| known.get(&source.path)) {
            Some(h) => h.clone(),
            None => {
                let h = sha256_file(&source.path)?;
                hashes.insert(source.path.clone(), h.clone());
                h
            }
        };
        let input = InputReport::new(relative(&source.path, base), source.sheet.clone(), &schema.name, ret, sha256);
        let held = if schema.name == NAMES_TABLE { held.take() } else { None };
        let outcome = process_table(ret, schema, source, stage, &mut index, input, held);
        if let Some(e) = &outcome.input.error {
            tracing::warn!(authority = %ret.authority_code, period = %ret.label(), table = %schema.name, "{e}");
        }
        report.inputs.push(outcome.input);
        report.rejected.extend(outcome.rejected);
        report.outputs.extend(outcome.output);
    }
    Ok(report)
}

/// Reads one table; what it read, rejected and wrote comes back as one value.
fn process_table(
    ret: &ReturnDir,
    schema: &TableSchema,
    source: &TableSource,
    stage: Stage<'_>,
    index: &mut ReturnIndex,
    input: InputReport,
    held: Option<TableReader>,
) -> TableOutcome {
    let mut outcome = TableOutcome { input, rejected: Vec::new(), output: None };
    match read_table(ret, schema, source, stage, index, &mut outcome, held) {
        Ok(output) => outcome.output = output,
        Err(e) => outcome.input.error = Some(e.to_string()),
    }
    outcome
}

fn read_table(
    ret: &ReturnDir,
    schema: &TableSchema,
    source: &TableSource,
    stage: Stage<'_>,
    index: &mut ReturnIndex,
    outcome: &mut TableOutcome,
    held: Option<TableReader>,
) -> Result<Option<OutputReport>> {
    let mut reader = match held {
        Some(reader) => reader,
        None => TableReader::open(source, schema)?,
    };
    outcome.input.encoding = reader.encoding.to_string();
    outcome.input.notes = reader.header_notes.clone();
    let mut validator = TableValidator::new(schema, ret.period, index);
    let mut writing = match stage {
        Stage::Prepare(w) => Some((
            PartitionWriter::create(w.out, &schema.name, &ret.authority_code, ret.period, schema.arrow_schema.clone())?,
            TablePseudonymiser::new(schema, w.pseudonymiser, &ret.authority_code, ret.period, w.scrubber),
            w.out,
        )),
        Stage::Validate => None,
    };
    loop {
        let batch = match reader.next_batch(BATCH_ROWS) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                outcome.input.rows_read = reader.rows_read;
                return Err(e);
            }
        };
        let mut accepted = Vec::with_capacity(batch.len());
        for raw in batch {
            match validator.check(raw, index) {
                Ok(row) => accepted.push(row),
                Err(problems) => {
                    outcome.input.rows_rejected += 1;
                    for p in problems {
                        *outcome.input.rejected_by_rule.entry(p.rule.name().to_string()).or_insert(0) += 1;
                        outcome.rejected.push(RejectedRow {
                            authority_code: ret.authority_code.clone(),
                            period: ret.label(),
                            file: outcome.input.path.clone(),
                            table: schema.name.clone(),
                            rejection: p,
                        });
                    }
                }
            }
        }
        outcome.input.rows_accepted += accepted.len();
        if let Some((writer, pseudonymiser, _)) = writing.as_mut() {
            // Fail closed: an error here drops the writer, which deletes the partial file.
            let safe = pseudonymiser.apply(&accepted)?;
            writer.write(&safe)?;
        }
    }
    outcome.input.rows_read = reader.rows_read;
    if reader.garbled_cells > 0 {
        outcome.input.notes.push(format!(
            "{} cell(s) look like text read with the wrong encoding (Ã, Å‚, â€): re-save the file as UTF-8; \
             names written so cannot be matched in notes",
            reader.garbled_cells
        ));
    }
    let Some((writer, pseudonymiser, out)) = writing else { return Ok(None) };
    outcome.input.postcodes_malformed = pseudonymiser.postcodes_malformed;
    let rows = writer.rows();
    let path = writer.finish()?;
    Ok(Some(OutputReport { path: relative(&path, out), table: schema.name.clone(), rows, sha256: sha256_file(&path)? }))
}

/// What `prepare` or `validate` did over every return.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// One report per return.
    pub returns: Vec<ReturnReport>,
    /// Seconds taken.
    pub seconds: f64,
}

impl RunReport {
    /// Whether any return had a rejected row or an unreadable table.
    pub fn has_problems(&self) -> bool {
        self.returns.iter().any(ReturnReport::has_problems)
    }

    /// Whether any table could not be read at all.
    pub fn has_table_errors(&self) -> bool {
        self.returns.iter().any(|r| r.inputs.iter().any(|i| i.error.is_some()))
    }
}

/// The authority codes of a list of returns, each once, in order.
pub fn authority_codes(returns: &[ReturnDir]) -> Vec<String> {
    returns.iter().map(|r| r.authority_code.clone()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Each return once, by folder, in the order given.
fn unique_returns<'r>(returns: impl Iterator<Item = &'r ReturnDir>) -> Vec<&'r ReturnDir> {
    let mut seen = BTreeSet::new();
    returns.filter(|r| seen.insert(r.dir.canonicalize().unwrap_or_else(|_| r.dir.clone()))).collect()
}

/// Rows of one authority's young people's tables that preparing holds in memory between the
/// names pass and the main pass (about 50 MB); a table beyond it is read twice.
const HELD_ROWS: usize = 65_536;
/// Files larger than this are not held at all (a CSV row of young people is about 250 bytes).
const HELD_BYTES: u64 = 64 << 20;

/// Each return's young people's table read into memory, while they fit in [`HELD_ROWS`]
/// together; `None` for the others (read twice) and for a table that cannot be read to its end
/// (the main pass reports why).
pub(crate) fn hold_young_people(returns: &[&ReturnDir], schemas: &Schemas) -> Vec<Option<TableReader>> {
    let schema = schemas.table(NAMES_TABLE);
    let mut budget = HELD_ROWS;
    returns
        .iter()
        .map(|ret| {
            let schema = schema?;
            let source = ret.tables.get(&schema.name)?;
            // A file far larger than the rows held would only be read in part and dropped.
            if std::fs::metadata(&source.path).ok()?.len() > HELD_BYTES {
                return None;
            }
            let reader = TableReader::open(source, schema).ok()?.into_held(budget)?;
            budget -= reader.held_rows().count();
            Some(reader)
        })
        .collect()
}

/// The table held for `ret`, one of `returns` (by identity), as [`hold_young_people`] gave them.
pub(crate) fn held_for<'h>(
    returns: &[&ReturnDir],
    held: &'h [Option<TableReader>],
    ret: &ReturnDir,
) -> Option<&'h TableReader> {
    returns.iter().position(|r| std::ptr::eq(*r, ret)).and_then(|i| held.get(i)?.as_ref())
}

/// Runs every return given (found under `base`) in `mode`, with a progress bar.
pub fn run_all(returns: &[ReturnDir], base: &Path, schemas: &Schemas, mode: Mode<'_>) -> Result<RunReport> {
    let started = Instant::now();
    let bar = crate::term::progress(returns.len() as u64, "returns");
    // Authorities are independent: one per core. Each one's scrubber (every name in its
    // returns) lives only while its returns are read.
    let per_authority: Vec<Result<Vec<ReturnReport>>> = authority_codes(returns)
        .par_iter()
        .map(|code| {
            let mine: Vec<&ReturnDir> = returns.iter().filter(|r| &r.authority_code == code).collect();
            // Preparing reads each young people's table once when it fits: the names pass and
            // then the main pass take its rows from memory.
            let held: Vec<Option<TableReader>> = match mode {
                Mode::Prepare { .. } => hold_young_people(&mine, schemas),
                Mode::Validate => mine.iter().map(|_| None).collect(),
            };
            let scrubber = match mode {
                Mode::Prepare { pseudonymiser, lexicon, names_from, .. } => {
                    let started = Instant::now();
                    let sources = unique_returns(
                        mine.iter().copied().chain(names_from.iter().filter(|r| &r.authority_code == code)),
                    );
                    let held_of = |r: &ReturnDir| held_for(&mine, &held, r);
                    let known = names_by_authority_held(sources, schemas, pseudonymiser, held_of).remove(code);
                    tracing::debug!(authority = %code, seconds = started.elapsed().as_secs_f64(), "names read");
                    Some(known.unwrap_or_default().scrubber(lexicon))
                }
                Mode::Validate => None,
            };
            let stage = match (mode, &scrubber) {
                (Mode::Prepare { pseudonymiser, out, .. }, Some(scrubber)) => {
                    Stage::Prepare(Writing { pseudonymiser, out, scrubber })
                }
                _ => Stage::Validate,
            };
            let mut reports = Vec::new();
            for (ret, held) in mine.into_iter().zip(held) {
                let started = Instant::now();
                let r = process_return(ret, schemas, stage, base, &BTreeMap::new(), held)?;
                tracing::debug!(authority = %code, seconds = started.elapsed().as_secs_f64(), "return processed");
                tracing::info!(
                    authority = %r.authority_code,
                    period = %r.period,
                    rows_accepted = r.inputs.iter().map(|i| i.rows_accepted).sum::<usize>(),
                    rows_rejected = r.rows_rejected(),
                    "return read"
                );
                reports.push(r);
                bar.inc(1);
            }
            Ok(reports)
        })
        .collect();
    let mut report = RunReport::default();
    for reports in per_authority {
        report.returns.extend(reports?);
    }
    bar.finish_and_clear();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Writes a rejected-row report (header [`REJECTED_HEADER`]) from its rows.
pub fn write_rejected_rows<R>(path: &Path, rows: impl IntoIterator<Item = R>) -> Result<()>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    let io = |source: csv::Error| Error::Csv { path: path.to_path_buf(), source };
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(REJECTED_HEADER).map_err(io)?;
    for row in rows {
        w.write_record(row).map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", path))
}

/// Writes the rejected-row report: file, row, column, rule and what to check; never a value.
pub fn write_rejections<'a>(path: &Path, returns: impl IntoIterator<Item = &'a ReturnReport>) -> Result<()> {
    let rows = returns.into_iter().flat_map(|r| &r.rejected).map(|r| {
        [
            r.authority_code.clone(),
            r.period.clone(),
            r.file.clone(),
            r.table.clone(),
            r.rejection.row.to_string(),
            r.rejection.column.clone(),
            r.rejection.rule.name().to_string(),
            r.rejection.rule.explain().to_string(),
        ]
    });
    write_rejected_rows(path, rows)
}

/// A package's rejected-row report (file, row, column, rule; never a value).
pub const REJECTED_ROWS: &str = "restricted/rejected_rows.csv";

/// The header of every rejected-row report.
pub const REJECTED_HEADER: [&str; 8] =
    ["authority_code", "period", "file", "table", "row", "column", "rule", "explanation"];

/// Writes `MANIFEST.json` for a prepared package (its rejected-row report written first).
pub fn write_package_manifest(out: &Path, schemas: &Schemas, key_id: &str, report: &RunReport) -> Result<()> {
    let path = out.join("MANIFEST.json");
    let manifest = PackageManifest {
        kind: "rni-package",
        tool_version: env!("CARGO_PKG_VERSION"),
        schema_version: &schemas.version,
        key_id,
        seconds: (report.seconds * 1000.0).round() / 1000.0,
        inputs: report.returns.iter().flat_map(|r| &r.inputs).collect(),
        outputs: report.returns.iter().flat_map(|r| &r.outputs).collect(),
        files: vec![OutputReport {
            path: REJECTED_ROWS.to_string(),
            table: String::new(),
            rows: report.returns.iter().map(|r| r.rejected.len()).sum(),
            sha256: sha256_file(&out.join(REJECTED_ROWS))?,
        }],
        missing_tables: report
            .returns
            .iter()
            .flat_map(|r| r.missing_tables.iter().map(move |t| format!("{}/{}/{t}", r.authority_code, r.period)))
            .collect(),
        ignored: report
            .returns
            .iter()
            .flat_map(|r| r.ignored_files.iter().map(move |f| format!("{}/{}: {f}", r.authority_code, r.period)))
            .collect(),
    };
    write_json(&path, &manifest)
}

/// A summary table of a run, for the terminal.
pub fn summary(report: &RunReport) -> String {
    let mut lines = vec![format!(
        "{:<10} {:<18} {:<24} {:>9} {:>9} {:>9}  {}",
        "authority", "period", "table", "read", "accepted", "rejected", "rejected by rule / problem"
    )];
    for r in &report.returns {
        for i in &r.inputs {
            let detail = match &i.error {
                Some(e) => format!("NOT READ: {e}"),
                None => i
                    .rejected_by_rule
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .chain(i.notes.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            lines.push(format!(
                "{:<10} {:<18} {:<24} {:>9} {:>9} {:>9}  {}",
                r.authority_code, r.period, i.table, i.rows_read, i.rows_accepted, i.rows_rejected, detail
            ));
        }
        for f in &r.ignored_files {
            lines.push(format!("{:<10} {:<18} not read: {f}", r.authority_code, r.period));
        }
        for t in &r.missing_tables {
            lines.push(format!(
                "{:<10} {:<18} {:<24} {:>9} {:>9} {:>9}  no file or sheet",
                r.authority_code, r.period, t, "-", "-", "-"
            ));
        }
    }
    lines.join("\n")
}
