//! `rni validate` and `rni prepare`: one pass over each return.
//!
//! For every return found under the folder given, every table in schema
//! order is read in batches ([`crate::read`]), validated
//! ([`crate::validate`]) and, when preparing, pseudonymised
//! ([`crate::pseudonymise`]) and written to Parquet
//! ([`crate::parquet_out`]). Young people are read twice: first only for the
//! names the scrubber must find in every note of the return, then for real.
//! The result is a package: `tables/…`, `MANIFEST.json` (inputs with sha256,
//! encoding and row counts; outputs; key id; versions) and
//! `restricted/rejected_rows.csv` (file, row, column, rule, never a value).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::Pseudonymiser;
use crate::parquet_out::PartitionWriter;
use crate::pseudonymise::TablePseudonymiser;
use crate::read::{BATCH_ROWS, RawCell, ReturnDir, TableReader, discover_returns, sha256_file};
use crate::schema::{IdKind, Schemas, TableSchema};
use crate::scrub::{Scrubber, person_token};
use crate::validate::{Rejection, ReturnIndex, TableValidator};

/// What to do with each return.
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
    },
}

/// One table of one return, as read.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct InputReport {
    /// File, relative to the folder given.
    pub path: String,
    /// Sheet, for workbooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Table.
    pub table: String,
    /// Authority.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// `utf-8`, `utf-8-bom`, `windows-1252`, `utf-16` or `xlsx`.
    pub encoding: String,
    /// Data rows read.
    pub rows_read: usize,
    /// Rows that passed every rule.
    pub rows_accepted: usize,
    /// Rows left out.
    pub rows_rejected: usize,
    /// Rejected rows by rule (a row may break several).
    #[serde(default)]
    pub rejected_by_rule: BTreeMap<String, usize>,
    /// Postcodes that were not valid (district left empty).
    pub postcodes_malformed: usize,
    /// Notes about the header (unknown or repeated columns, by position).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Why the table stopped, when it did. No output is written for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl InputReport {
    /// A report for a table about to be read, with nothing counted yet.
    fn new(path: String, sheet: Option<String>, table: &str, ret: &ReturnDir, sha256: String) -> InputReport {
        InputReport {
            path,
            sheet,
            table: table.to_string(),
            authority_code: ret.authority_code.clone(),
            period: ret.period.to_string(),
            sha256,
            encoding: String::new(),
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rejected_by_rule: BTreeMap::new(),
            postcodes_malformed: 0,
            notes: vec![],
            error: None,
        }
    }
}

/// One file written.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct OutputReport {
    /// Path relative to the package.
    pub path: String,
    /// Table.
    pub table: String,
    /// Rows.
    pub rows: usize,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// A rejected row with where it came from.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    /// Authority.
    pub authority_code: String,
    /// Quarter.
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
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Reads (and, when preparing, pseudonymises and writes) one return. The
/// scrubber knows the names of the authority's young people.
pub fn process_return(
    ret: &ReturnDir,
    schemas: &Schemas,
    mode: Mode<'_>,
    base: &Path,
    scrubber: Option<&Scrubber>,
) -> Result<ReturnReport> {
    let mut report = ReturnReport {
        authority_code: ret.authority_code.clone(),
        period: ret.period.to_string(),
        ignored_files: ret.ignored_files.clone(),
        ..Default::default()
    };
    let mut index = ReturnIndex::for_schemas(schemas);
    let mut hashes: HashMap<PathBuf, String> = HashMap::new();
    // A workbook that cannot be opened stops its tables; the rest of the return goes on.
    for (path, message) in &ret.unreadable {
        tracing::warn!(authority = %ret.authority_code, period = %ret.period, "{}: {message}", path.display());
        let mut input = InputReport::new(relative(path, base), None, "(workbook)", ret, sha256_file(path)?);
        input.encoding = "xlsx".into();
        input.error = Some(format!("{}: {message}", relative(path, base)));
        report.inputs.push(input);
    }
    for schema in &schemas.tables {
        let Some(source) = ret.tables.get(&schema.name) else {
            report.missing_tables.push(schema.name.clone());
            continue;
        };
        let sha256 = match hashes.get(&source.path) {
            Some(h) => h.clone(),
            None => {
                let h = sha256_file(&source.path)?;
                hashes.insert(source.path.clone(), h.clone());
                h
            }
        };
        let mut input = InputReport::new(relative(&source.path, base), source.sheet.clone(), &schema.name, ret, sha256);
        let outcome = process_table(ret, schema, source, mode, scrubber, &mut index, &mut input, &mut report);
        match outcome {
            Ok(Some(written)) => report.outputs.push(written),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(authority = %ret.authority_code, period = %ret.period, table = %schema.name, "{e}");
                input.error = Some(e.to_string());
            }
        }
        report.inputs.push(input);
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)] // one call site; the arguments are the stage's whole context
fn process_table(
    ret: &ReturnDir,
    schema: &TableSchema,
    source: &crate::read::TableSource,
    mode: Mode<'_>,
    scrubber: Option<&Scrubber>,
    index: &mut ReturnIndex,
    input: &mut InputReport,
    report: &mut ReturnReport,
) -> Result<Option<OutputReport>> {
    let mut reader = TableReader::open(source, schema)?;
    input.encoding = reader.encoding.to_string();
    input.notes = reader.header_notes.clone();
    let mut validator = TableValidator::new(schema, ret.period, index);
    let (mut writer, mut pseudo) = match (mode, scrubber) {
        (Mode::Prepare { pseudonymiser, out }, Some(scrubber)) => (
            Some(PartitionWriter::create(
                out,
                &schema.name,
                &ret.authority_code,
                ret.period,
                schema.arrow_schema.clone(),
            )?),
            Some(TablePseudonymiser::new(schema, pseudonymiser, &ret.authority_code, ret.period, scrubber)),
        ),
        _ => (None, None),
    };
    loop {
        let batch = match reader.next_batch(&source.path, BATCH_ROWS) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                input.rows_read = reader.rows_read;
                return Err(e);
            }
        };
        let mut accepted = Vec::with_capacity(batch.len());
        for raw in batch {
            match validator.check(raw, index) {
                Ok(row) => accepted.push(row),
                Err(problems) => {
                    input.rows_rejected += 1;
                    for p in problems {
                        *input.rejected_by_rule.entry(p.rule.name().to_string()).or_insert(0) += 1;
                        report.rejected.push(RejectedRow {
                            authority_code: ret.authority_code.clone(),
                            period: ret.period.to_string(),
                            file: input.path.clone(),
                            table: schema.name.clone(),
                            rejection: p,
                        });
                    }
                }
            }
        }
        input.rows_accepted += accepted.len();
        if let (Some(w), Some(p)) = (writer.as_mut(), pseudo.as_mut()) {
            // Fail closed: an error here drops the writer, which deletes the partial file.
            let safe = p.apply(&accepted)?;
            w.write(&safe)?;
        }
    }
    input.rows_read = reader.rows_read;
    if let Some(p) = &pseudo {
        input.postcodes_malformed = p.postcodes_malformed;
    }
    match (writer, mode) {
        (Some(w), Mode::Prepare { out, .. }) => {
            let rows = w.rows;
            let path = w.finish()?;
            Ok(Some(OutputReport {
                path: relative(&path, out),
                table: schema.name.clone(),
                rows,
                sha256: sha256_file(&path)?,
            }))
        }
        _ => Ok(None),
    }
}

/// What the scrubber of an authority must find: its young people's names and their schools.
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    /// (token, first name, last name) of every young person.
    pub people: Vec<(String, String, String)>,
    /// Names of the schools they attend.
    pub schools: Vec<String>,
    /// (token, child id) of every young person.
    pub ids: Vec<(String, String)>,
}

impl KnownNames {
    /// A scrubber that knows these names.
    pub fn scrubber(&self) -> Scrubber {
        Scrubber::new(&self.people).with_schools(&self.schools).with_ids(&self.ids)
    }

    /// A keyed digest of the names, so a manifest can tell whether they changed.
    pub fn digest(&self, pseudonymiser: &Pseudonymiser) -> String {
        let mut parts: Vec<String> = self
            .people
            .iter()
            .map(|(token, first, last)| {
                format!("{token}\x1f{}\x1f{}", crate::keys::normalise(first), crate::keys::normalise(last))
            })
            .collect();
        parts.extend(self.schools.iter().map(|s| format!("school\x1f{}", crate::keys::normalise(s))));
        parts.extend(self.ids.iter().map(|(token, id)| format!("id\x1f{token}\x1f{}", crate::keys::normalise(id))));
        pseudonymiser.keyed_digest("names", &parts)
    }
}

/// Names of every young person in the return, with their tokens, and their schools.
/// Rows that fail validation still count: their names must not leak either.
fn names_in_return(ret: &ReturnDir, schemas: &Schemas, pseudonymiser: &Pseudonymiser, out: &mut KnownNames) {
    let Some(schema) = schemas.table("young_people") else { return };
    let Some(source) = ret.tables.get(&schema.name) else { return };
    let col = |name: &str| schema.column_index(name);
    let (Some(id_col), Some(first_col), Some(last_col)) = (col("child_id"), col("first_name"), col("last_name")) else {
        return;
    };
    let school_col = col("school_name");
    let wanted: Vec<usize> =
        [Some(id_col), Some(first_col), Some(last_col), school_col].into_iter().flatten().collect();
    let Ok(reader) = TableReader::open(source, schema) else { return };
    let mut reader = reader.only_columns(&wanted);
    let text = |c: &RawCell| match c {
        RawCell::Text(t) => t.trim().to_string(),
        RawCell::Number(n) => n.to_string(),
        _ => String::new(),
    };
    while let Ok(Some(batch)) = reader.next_batch(&source.path, BATCH_ROWS) {
        for row in batch {
            let id = text(&row.cells[id_col]);
            let token = if id.is_empty() {
                "[PERSON]".to_string()
            } else {
                person_token(&pseudonymiser.pseudonym(IdKind::Person, &ret.authority_code, &id))
            };
            if !id.is_empty() {
                out.ids.push((token.clone(), id.clone()));
            }
            let (first, last) = (text(&row.cells[first_col]), text(&row.cells[last_col]));
            if !first.is_empty() || !last.is_empty() {
                out.people.push((token, first, last));
            }
            if let Some(school) = school_col.map(|c| text(&row.cells[c])).filter(|s| !s.is_empty()) {
                out.schools.push(school);
            }
        }
    }
}

/// Names of the young people (and schools) in every return given, by authority.
pub fn names_by_authority(
    returns: &[ReturnDir],
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
) -> BTreeMap<String, KnownNames> {
    let mut names: BTreeMap<String, KnownNames> = BTreeMap::new();
    for ret in returns {
        names_in_return(ret, schemas, pseudonymiser, names.entry(ret.authority_code.clone()).or_default());
    }
    for known in names.values_mut() {
        known.people.sort();
        known.people.dedup();
        known.schools.sort();
        known.schools.dedup();
        known.ids.sort();
        known.ids.dedup();
    }
    names
}

/// One scrubber per authority. Notes in one quarter mention young people
/// from another, so each knows the names in all of that authority's returns.
pub fn scrubbers_for(
    returns: &[ReturnDir],
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
) -> BTreeMap<String, Scrubber> {
    names_by_authority(returns, schemas, pseudonymiser)
        .into_iter()
        .map(|(code, known)| (code, known.scrubber()))
        .collect()
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

/// Runs every return under `root` in `mode`, with a progress bar.
pub fn run_all(root: &Path, schemas: &Schemas, mode: Mode<'_>) -> Result<RunReport> {
    let started = Instant::now();
    let returns = discover_returns(root, schemas)?;
    let bar = crate::term::progress(returns.len() as u64, "returns");
    let codes: Vec<String> = returns
        .iter()
        .map(|r| r.authority_code.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Authorities are independent: one per core. Each one's scrubber (every name in its
    // returns) lives only while its returns are read.
    let per_authority = in_parallel(&codes, |code| -> Result<Vec<ReturnReport>> {
        let mine: Vec<ReturnDir> = returns.iter().filter(|r| &r.authority_code == code).cloned().collect();
        let scrubber = match mode {
            Mode::Prepare { pseudonymiser, .. } => {
                let started = Instant::now();
                let built = scrubbers_for(&mine, schemas, pseudonymiser).remove(code);
                tracing::debug!(authority = %code, seconds = started.elapsed().as_secs_f64(), "names read");
                built
            }
            Mode::Validate => None,
        };
        let mut reports = Vec::new();
        for ret in &mine {
            let started = Instant::now();
            let r = process_return(ret, schemas, mode, root, scrubber.as_ref())?;
            tracing::debug!(authority = %code, seconds = started.elapsed().as_secs_f64(), "return processed");
            tracing::info!(
                authority = %r.authority_code,
                period = %r.period,
                rows_accepted = r.inputs.iter().map(|i| i.rows_accepted).sum::<usize>(),
                rows_rejected = r.inputs.iter().map(|i| i.rows_rejected).sum::<usize>(),
                "return read"
            );
            reports.push(r);
            bar.inc(1);
        }
        Ok(reports)
    });
    let mut report = RunReport::default();
    for reports in per_authority {
        report.returns.extend(reports?);
    }
    bar.finish_and_clear();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Runs `work` on every item, on as many threads as there are cores; results in input order.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    // A worker that panicked has already made the scope panic; every slot is filled here.
    results.into_iter().filter_map(|m| m.into_inner().ok().flatten()).collect()
}

/// Writes the rejected-row report: file, row, column, rule and what to check; never a value.
pub fn write_rejections<'a>(path: &Path, returns: impl IntoIterator<Item = &'a ReturnReport>) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    let io = |e: csv::Error| Error::Io { action: "cannot write", path: path.to_path_buf(), source: e.into() };
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(["authority_code", "period", "file", "table", "row", "column", "rule", "explanation"])
        .map_err(io)?;
    for r in returns.into_iter().flat_map(|r| &r.rejected) {
        w.write_record([
            r.authority_code.as_str(),
            r.period.as_str(),
            r.file.as_str(),
            r.table.as_str(),
            &r.rejection.row.to_string(),
            r.rejection.column.as_str(),
            r.rejection.rule.name(),
            r.rejection.rule.explain(),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", path))
}

/// The package manifest.
#[derive(Debug, Serialize)]
pub struct PackageManifest<'a> {
    /// Always `rni-package`.
    pub kind: &'static str,
    /// rni version.
    pub tool_version: &'static str,
    /// Digest of the schemas.
    pub schema_version: &'a str,
    /// Key id of the key used.
    pub key_id: &'a str,
    /// Seconds taken.
    pub seconds: f64,
    /// Every table read.
    pub inputs: Vec<&'a InputReport>,
    /// Every file written.
    pub outputs: Vec<&'a OutputReport>,
    /// Tables absent from a return, as `authority/period/table`.
    pub missing_tables: Vec<String>,
    /// Files and sheets in the returns that were not read, as `authority/period: what`.
    pub ignored: Vec<String>,
}

/// Writes `MANIFEST.json` for a prepared package.
pub fn write_package_manifest(out: &Path, schemas: &Schemas, key_id: &str, report: &RunReport) -> Result<()> {
    let manifest = PackageManifest {
        kind: "rni-package",
        tool_version: env!("CARGO_PKG_VERSION"),
        schema_version: &schemas.version,
        key_id,
        seconds: (report.seconds * 1000.0).round() / 1000.0,
        inputs: report.returns.iter().flat_map(|r| &r.inputs).collect(),
        outputs: report.returns.iter().flat_map(|r| &r.outputs).collect(),
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
    let path = out.join("MANIFEST.json");
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Usage(e.to_string()))?;
    let mut temp = tempfile::NamedTempFile::new_in(out).map_err(Error::io("cannot write", out))?;
    std::io::Write::write_all(&mut temp, &json).map_err(Error::io("cannot write", &path))?;
    temp.persist(&path).map_err(|e| Error::io("cannot write", &path)(e.error))?;
    Ok(())
}

/// A summary table of a run, for the terminal.
pub fn summary(report: &RunReport) -> String {
    let mut lines = vec![format!(
        "{:<10} {:<7} {:<13} {:>9} {:>9} {:>9}  {}",
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
                "{:<10} {:<7} {:<13} {:>9} {:>9} {:>9}  {}",
                r.authority_code, r.period, i.table, i.rows_read, i.rows_accepted, i.rows_rejected, detail
            ));
        }
        for f in &r.ignored_files {
            lines.push(format!("{:<10} {:<7} not read: {f}", r.authority_code, r.period));
        }
        for t in &r.missing_tables {
            lines.push(format!(
                "{:<10} {:<7} {:<13} {:>9} {:>9} {:>9}  no file or sheet",
                r.authority_code, r.period, t, "-", "-", "-"
            ));
        }
    }
    lines.join("\n")
}
