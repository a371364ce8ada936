//! The nightly build (`rni build`): returns → a published warehouse.
//!
//! A build holds a lock beside the warehouse (`<warehouse>.lock`, an OS file
//! lock, so a build that dies releases it and the next one simply takes it),
//! writes everything into a staging folder beside the warehouse, and publishes
//! by swapping the staging folder with the warehouse in one atomic rename
//! (`renameat2(RENAME_EXCHANGE)` on Linux; a plain rename for the first
//! build). A build killed at any moment therefore leaves the previous
//! warehouse whole, and readers never see half of one. It is incremental:
//! a return whose files have the sha256 that the last manifest recorded (same
//! key, schemas and tool) is linked from the previous warehouse instead of
//! being read again. The scrubber of a return knows the names in all of its
//! authority's returns, so when a changed return changes that list (a keyed
//! digest in the manifest tells), every return of the authority is scrubbed
//! again. A warehouse never mixes keys: a different key id is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::disclosure::{self, Policy};
use crate::error::{Error, Result};
use crate::keys::Pseudonymiser;
use crate::metrics;
use crate::prepare::{self, InputReport, Mode, OutputReport};
use crate::read::{ReturnDir, discover_returns, sha256_file};
use crate::schema::Schemas;

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Folder of returns (`<authority_code>/<period>/…`).
    pub returns: PathBuf,
    /// The warehouse to publish.
    pub out: PathBuf,
    /// Disclosure policy.
    pub policy: Policy,
    /// Fail (publish nothing) when any row is rejected.
    pub is_strict: bool,
}

/// One return in the warehouse manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReturnEntry {
    /// Quarter.
    pub period: String,
    /// Whether this build read it (false: carried over unchanged from the last build).
    pub prepared: bool,
    /// Every table read, with its file's sha256 and row counts.
    pub inputs: Vec<InputReport>,
    /// Every Parquet file written for it.
    pub outputs: Vec<OutputReport>,
    /// Rows rejected.
    pub rows_rejected: usize,
}

/// One authority in the warehouse manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorityEntry {
    /// ONS code.
    pub authority_code: String,
    /// Keyed digest of the young people's names the scrubber knew (no names are stored).
    pub names_digest: String,
    /// Its returns.
    pub returns: Vec<ReturnEntry>,
}

impl AuthorityEntry {
    /// Every table read over its returns.
    pub fn inputs(&self) -> impl Iterator<Item = &InputReport> {
        self.returns.iter().flat_map(|r| &r.inputs)
    }

    /// Rows rejected over its returns.
    pub fn rows_rejected(&self) -> usize {
        self.returns.iter().map(|r| r.rows_rejected).sum()
    }

    /// Whether this build read any of its returns.
    pub fn was_prepared(&self) -> bool {
        self.returns.iter().any(|r| r.prepared)
    }
}

/// `MANIFEST.json` of a warehouse: written last, it marks a complete build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WarehouseManifest {
    /// Always `rni-warehouse`.
    pub kind: String,
    /// rni version that built it.
    pub tool_version: String,
    /// Digest of the schemas.
    pub schema_version: String,
    /// Key id of the project key.
    pub key_id: String,
    /// When the build finished (UTC, RFC 3339).
    pub built_at: String,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
    /// Every authority.
    pub authorities: Vec<AuthorityEntry>,
    /// Every other file written (metrics, report, restricted), with its sha256.
    pub files: Vec<OutputReport>,
    /// Rows in `metrics/metric_values`.
    pub metric_rows: usize,
}

/// What a build did, for the summary.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The manifest published.
    pub manifest: WarehouseManifest,
    /// Exact metric rows (restricted).
    pub exact: Vec<metrics::MetricRow>,
    /// Published metric rows.
    pub published: Vec<metrics::MetricRow>,
    /// Seconds taken in all.
    pub seconds: f64,
}

/// Reads a warehouse's manifest, if it has one.
pub fn read_manifest(warehouse: &Path) -> Result<Option<WarehouseManifest>> {
    let path = warehouse.join("MANIFEST.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Input { path, message: format!("is not a warehouse manifest ({e})") }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io { action: "cannot read", path, source: e }),
    }
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!("{name}{suffix}"))
}

/// The build's lock, held until dropped.
pub struct BuildLock {
    _file: File,
}

/// Takes the warehouse's lock or says who holds it.
pub fn lock(out: &Path) -> Result<BuildLock> {
    let path = sibling(out, ".lock");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io("cannot open lock", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(Error::Locked(format!(
                "another build of {} is running (lock {} held by process {}); this build did nothing",
                out.display(),
                path.display(),
                holder.trim()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::Io { action: "cannot lock", path, source: e }),
    }
    // The pid is only for the message a second build prints; the OS lock is what counts,
    // and it is released when this process ends, however it ends.
    file.set_len(0).map_err(Error::io("cannot write", &path))?;
    let _ = write!(file, "{}", std::process::id());
    Ok(BuildLock { _file: file })
}

/// Removes staging folders left by builds that were killed.
fn clean_stale_staging(out: &Path) {
    let Some(parent) = out.parent() else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let prefix = format!(".{}.staging-", out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn staging_path(out: &Path) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "warehouse".into());
    out.with_file_name(format!(".{name}.staging-{}", std::process::id()))
}

/// Files of a return with their sha256, as the manifest records them.
fn files_of(ret: &ReturnDir, base: &Path) -> Result<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    for source in ret.tables.values() {
        let rel = source.path.strip_prefix(base).unwrap_or(&source.path).to_string_lossy().replace('\\', "/");
        out.insert((rel, sha256_file(&source.path)?));
    }
    Ok(out)
}

fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(Error::io("cannot copy", from))?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    std::fs::write(path, bytes).map_err(Error::io("cannot write", path))
}

/// Builds and publishes the warehouse.
pub fn build(options: &BuildOptions, pseudonymiser: &Pseudonymiser, schemas: &Schemas) -> Result<BuildReport> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let out = &options.out;
    let _lock = lock(out)?;
    let previous = read_manifest(out)?;
    if let Some(prev) = &previous
        && prev.key_id != pseudonymiser.key_id()
    {
        return Err(Error::Key(format!(
            "{} was built with key id {}, and this key has id {}; a warehouse never mixes keys \
                 (use the warehouse's key, or build a new warehouse)",
            out.display(),
            prev.key_id,
            pseudonymiser.key_id()
        )));
    }
    clean_stale_staging(out);
    let staging = staging_path(out);
    std::fs::create_dir_all(&staging).map_err(Error::io("cannot create", &staging))?;
    let result = build_into(&staging, options, pseudonymiser, schemas, previous.as_ref(), &mut timings, started);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let t = Instant::now();
    publish(&staging, out)?;
    timings.insert("publish".into(), t.elapsed().as_secs_f64());
    Ok(report)
}

fn build_into(
    staging: &Path,
    options: &BuildOptions,
    pseudonymiser: &Pseudonymiser,
    schemas: &Schemas,
    previous: Option<&WarehouseManifest>,
    timings: &mut BTreeMap<String, f64>,
    started: Instant,
) -> Result<BuildReport> {
    let out = &options.out;
    let t = Instant::now();
    let returns = discover_returns(&options.returns, schemas)?;
    let is_compatible =
        previous.is_some_and(|p| p.schema_version == schemas.version && p.tool_version == env!("CARGO_PKG_VERSION"));
    let codes: Vec<String> =
        returns.iter().map(|r| r.authority_code.clone()).collect::<BTreeSet<String>>().into_iter().collect();
    // Authorities are independent: one per core.
    let built = prepare::in_parallel(&codes, |code| -> Result<AuthorityEntry> {
        let rets: Vec<&ReturnDir> = returns.iter().filter(|r| &r.authority_code == code).collect();
        let prior =
            previous.filter(|_| is_compatible).and_then(|p| p.authorities.iter().find(|a| &a.authority_code == code));
        // A return can be carried over when its files, and the outputs made from them, are as last time.
        let mut unchanged: BTreeMap<String, ReturnEntry> = BTreeMap::new();
        for ret in &rets {
            let period = ret.period.to_string();
            let Some(entry) = prior.and_then(|a| a.returns.iter().find(|r| r.period == period)) else { continue };
            let before: BTreeSet<(String, String)> =
                entry.inputs.iter().map(|i| (i.path.clone(), i.sha256.clone())).collect();
            let has_outputs = entry.outputs.iter().all(|o| out.join(&o.path).is_file());
            if has_outputs && before == files_of(ret, &options.returns)? {
                unchanged.insert(period, entry.clone());
            }
        }
        let (digest, to_prepare, scrubber) = if unchanged.len() == rets.len() && prior.is_some() {
            (prior.map(|a| a.names_digest.clone()).unwrap_or_default(), Vec::new(), None)
        } else {
            // Something changed: the scrubber needs every name of the authority. If the
            // names are not what they were, every return is scrubbed again with the new list.
            let owned: Vec<ReturnDir> = rets.iter().map(|r| (*r).clone()).collect();
            let known = prepare::names_by_authority(&owned, schemas, pseudonymiser).remove(code).unwrap_or_default();
            let digest = known.digest(pseudonymiser);
            if prior.is_none_or(|a| a.names_digest != digest) {
                unchanged.clear();
            }
            let to_prepare: Vec<ReturnDir> =
                owned.into_iter().filter(|r| !unchanged.contains_key(&r.period.to_string())).collect();
            (digest, to_prepare, Some(known.scrubber()))
        };
        let mut entries: Vec<ReturnEntry> = Vec::new();
        for (period, entry) in &unchanged {
            for o in &entry.outputs {
                link_or_copy(&out.join(&o.path), &staging.join(&o.path))?;
            }
            let rejected = rejected_file(code, period);
            if out.join(&rejected).is_file() {
                link_or_copy(&out.join(&rejected), &staging.join(&rejected))?;
            }
            entries.push(ReturnEntry { prepared: false, ..entry.clone() });
        }
        if !unchanged.is_empty() {
            tracing::info!(authority = %code, returns = unchanged.len(), "unchanged since the last build; carried over");
        }
        let mode = Mode::Prepare { pseudonymiser, out: staging };
        let bar = crate::term::progress(to_prepare.len() as u64, code);
        for ret in &to_prepare {
            let report = prepare::process_return(ret, schemas, mode, &options.returns, scrubber.as_ref())?;
            if let Some(bad) = report.inputs.iter().find(|i| i.error.is_some()) {
                return Err(Error::Failed(format!(
                    "{} {} table {} could not be read: {}; nothing was published",
                    report.authority_code,
                    report.period,
                    bad.table,
                    bad.error.as_deref().unwrap_or_default()
                )));
            }
            prepare::write_rejections(&staging.join(rejected_file(code, &report.period)), [&report])?;
            entries.push(ReturnEntry {
                period: report.period.clone(),
                prepared: true,
                rows_rejected: report.inputs.iter().map(|i| i.rows_rejected).sum(),
                inputs: report.inputs,
                outputs: report.outputs,
            });
            bar.inc(1);
        }
        bar.finish_and_clear();
        entries.sort_by(|a, b| a.period.cmp(&b.period));
        Ok(AuthorityEntry { authority_code: code.clone(), names_digest: digest, returns: entries })
    });
    let mut authorities = built.into_iter().collect::<Result<Vec<_>>>()?;
    authorities.sort_by(|a, b| a.authority_code.cmp(&b.authority_code));
    timings.insert("prepare".into(), t.elapsed().as_secs_f64());
    let rejected_total: usize = authorities.iter().map(AuthorityEntry::rows_rejected).sum();
    if options.is_strict && rejected_total > 0 {
        return Err(Error::Failed(format!(
            "{rejected_total} row(s) were rejected and --strict is on; nothing was published \
             (see `rni validate` for where they are)"
        )));
    }

    let t = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the query engine", staging))?;
    let exact = runtime.block_on(async {
        // The views' folder sits in the staging folder and is gone before the audit and publishing.
        let session = metrics::open_in(staging, schemas, staging).await?;
        let rows = metrics::compute(&session).await?;
        session.close().map_err(Error::io("cannot remove the metric views from", staging))?;
        Ok::<_, Error>(rows)
    })?;
    let published = disclosure::apply(&exact, &options.policy);
    timings.insert("metrics".into(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let metrics_dir = staging.join("metrics");
    std::fs::create_dir_all(&metrics_dir).map_err(Error::io("cannot create", &metrics_dir))?;
    write_metric_parquet(&metrics_dir.join("metric_values.parquet"), &published)?;
    metrics::write_csv(&metrics_dir.join("metric_values.csv"), &published)?;
    std::fs::create_dir_all(staging.join("restricted")).map_err(Error::io("cannot create", staging))?;
    metrics::write_csv(&staging.join("restricted/metric_values_exact.csv"), &exact)?;
    let html = crate::report::render(&published, &authorities);
    write_file(&staging.join("report/index.html"), html.as_bytes())?;
    timings.insert("write".into(), t.elapsed().as_secs_f64());

    let mut files = Vec::new();
    for rel in [
        "metrics/metric_values.parquet",
        "metrics/metric_values.csv",
        "report/index.html",
        "restricted/metric_values_exact.csv",
    ] {
        files.push(OutputReport {
            path: rel.to_string(),
            table: String::new(),
            rows: 0,
            sha256: sha256_file(&staging.join(rel))?,
        });
    }
    // An independent scan for raw identifiers: a finding stops the build before anything is published.
    let t = Instant::now();
    let findings = crate::audit::audit(staging, &options.returns, schemas)?;
    timings.insert("audit".into(), t.elapsed().as_secs_f64());
    if !findings.is_empty() {
        for f in &findings {
            tracing::error!(file = %f.file, column = %f.column, kind = %f.kind, authority = %f.authority_code, "raw identifier found");
        }
        return Err(Error::Failed(format!(
            "the leak audit found {} raw identifier(s) in the new warehouse (files and columns logged above, values never); \
             nothing was published",
            findings.len()
        )));
    }
    timings.insert("total".into(), started.elapsed().as_secs_f64());
    let manifest = WarehouseManifest {
        kind: "rni-warehouse".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: schemas.version.clone(),
        key_id: pseudonymiser.key_id().to_string(),
        built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        timings: timings.iter().map(|(k, v)| (k.clone(), (v * 1000.0).round() / 1000.0)).collect(),
        authorities,
        files,
        metric_rows: published.len(),
    };
    // The manifest is written last: a staging folder without one is never published.
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Usage(e.to_string()))?;
    let manifest_path = staging.join("MANIFEST.json");
    let mut f = File::create(&manifest_path).map_err(Error::io("cannot write", &manifest_path))?;
    f.write_all(&json).and_then(|()| f.sync_all()).map_err(Error::io("cannot write", &manifest_path))?;
    Ok(BuildReport { manifest, exact, published, seconds: started.elapsed().as_secs_f64() })
}

/// Per-return rejected-row report inside a warehouse.
fn rejected_file(code: &str, period: &str) -> PathBuf {
    PathBuf::from("restricted").join("rejected_rows").join(code).join(format!("{period}.csv"))
}

fn write_metric_parquet(path: &Path, rows: &[metrics::MetricRow]) -> Result<()> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let batch = metrics::to_batch(rows)?;
    let file = File::create(path).map_err(Error::io("cannot write", path))?;
    let level =
        ZstdLevel::try_new(3).map_err(|e| Error::Parquet { path: path.to_path_buf(), message: e.to_string() })?;
    let props = WriterProperties::builder().set_compression(Compression::ZSTD(level)).build();
    let perr = |e: parquet::errors::ParquetError| Error::Parquet { path: path.to_path_buf(), message: e.to_string() };
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(perr)?;
    writer.write(&batch).map_err(perr)?;
    writer.close().map_err(perr)?;
    Ok(())
}

/// Swaps the finished staging folder into place atomically, then removes the old warehouse.
fn publish(staging: &Path, out: &Path) -> Result<()> {
    sync_tree(staging);
    if out.exists() {
        exchange(staging, out)?;
        // `staging` now holds the previous warehouse.
        let _ = std::fs::remove_dir_all(staging);
    } else {
        std::fs::rename(staging, out).map_err(Error::io("cannot publish", out))?;
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(|e| Error::Io {
        action: "cannot publish",
        path: b.to_path_buf(),
        source: e.into(),
    })
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    // Without an atomic exchange: move the old warehouse aside, then the new one in.
    let aside = sibling(b, ".previous");
    let _ = std::fs::remove_dir_all(&aside);
    std::fs::rename(b, &aside).map_err(Error::io("cannot publish", b))?;
    std::fs::rename(a, b).map_err(Error::io("cannot publish", b))?;
    std::fs::rename(&aside, a).map_err(Error::io("cannot publish", b))
}

/// Flushes every file of a folder to disk before it is published.
fn sync_tree(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(f) = File::open(&p) {
                let _ = f.sync_all();
            }
        }
        if let Ok(f) = File::open(&d) {
            let _ = f.sync_all();
        }
    }
}
