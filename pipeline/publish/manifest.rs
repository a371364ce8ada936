//! Manifests: what a package or a warehouse was made from and holds.
//!
//! A package's `MANIFEST.json` (written by `rni prepare`) and a warehouse's
//! (written last by `rni build`, so it marks a complete build) record every
//! input with its sha256, encoding and row counts, every output with its
//! sha256, the key id, and tool and schema versions. The types live here,
//! apart from the code that writes packages and builds, so that the report,
//! the build and the package runner share them without importing each other.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::ingest::discover::ReturnDir;

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    sha256_streamed(path, |_| Ok(()))
}

/// SHA-256 of a file, streamed, each chunk also handed to `each` (to copy it as it is hashed).
pub fn sha256_streamed(path: &Path, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<String> {
    let mut file = File::open(path).map_err(Error::io("cannot read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(Error::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        each(&buf[..n])?;
    }
    Ok(hex::encode(hasher.finalize()))
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
    /// The return: its quarter, or `cin/2025` (source and period) for a statutory return.
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
    pub fn new(path: String, sheet: Option<String>, table: &str, ret: &ReturnDir, sha256: String) -> InputReport {
        InputReport {
            path,
            sheet,
            table: table.to_string(),
            authority_code: ret.authority_code.clone(),
            period: ret.label(),
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

/// One return in the warehouse manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReturnEntry {
    /// The return: its quarter, or `cin/2025` (source and period) for a statutory return.
    pub period: String,
    /// Whether this build read it (false: carried over unchanged from the last build).
    pub prepared: bool,
    /// Every table read, with its file's sha256 and row counts.
    pub inputs: Vec<InputReport>,
    /// Every Parquet file written for it.
    pub outputs: Vec<OutputReport>,
    /// Rows rejected.
    pub rows_rejected: usize,
    /// The package it came from (its folder's name), when it was prepared at source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
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
    /// What disclosure control suppressed, and the attacker's audit of it.
    #[serde(default)]
    pub disclosure: DisclosureSummary,
    /// Returns this build could not read and set aside (the build published the rest).
    #[serde(default)]
    pub set_aside: Vec<SetAside>,
    /// Digest of the vocabulary files the scrubber kept words from (`built-in` when none).
    #[serde(default)]
    pub vocabulary_digest: String,
    /// Digest of everything a build depends on: every return file's sha256, the tool, schema,
    /// key, policy and vocabulary. The same digest on the next night means nothing changed.
    #[serde(default)]
    pub inputs_digest: String,
}

/// A return set aside by a build: a table of it could not be read or failed closed. Its last
/// good version, when the warehouse had one, was carried into the new warehouse.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SetAside {
    /// ONS code.
    pub authority_code: String,
    /// The return: its quarter, or `cin/2025` (source and period) for a statutory return.
    pub period: String,
    /// The table that failed.
    pub table: String,
    /// Its file, relative to the returns folder.
    pub path: String,
    /// What went wrong (never a value from the file).
    pub rule: String,
    /// Whether the last good version of the return is in the warehouse instead.
    pub carried_over: bool,
}

/// Disclosure control in one build, as the manifest records it (counts only, never a value).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DisclosureSummary {
    /// Authority-level metric rows published as `c`.
    pub suppressed_rows: usize,
    /// Distinct suppressed figures the attacker's audit examined.
    pub suppressed_figures: usize,
    /// Fewest whole values any suppressed figure can take given everything published.
    pub narrowest_interval: Option<i64>,
    /// The policy's protection level the narrowest interval is held to.
    pub protection_level: i64,
    /// Figures an attacker could recover or narrow down (0 in every published build).
    pub findings: usize,
}

/// Reads a warehouse's manifest, if it has one.
pub fn read_manifest(warehouse: &Path) -> Result<Option<WarehouseManifest>> {
    let path = warehouse.join("MANIFEST.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| Error::Json {
            action: "is not a warehouse manifest:",
            path,
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io { action: "cannot read", path, source: e }),
    }
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
    /// Every other file of the package (the rejected-row report), with its sha256.
    pub files: Vec<OutputReport>,
    /// Tables absent from a return, as `authority/period/table`.
    pub missing_tables: Vec<String>,
    /// Files and sheets in the returns that were not read, as `authority/period: what`.
    pub ignored: Vec<String>,
}

/// Writes `value` as pretty JSON to `path`, whole or not at all: into a temporary file beside
/// it, flushed to disk, then renamed into place.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(|source| Error::Json {
        action: "cannot write",
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(Error::io("cannot write", dir))?;
    std::io::Write::write_all(&mut temp, &json)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(Error::io("cannot write", path))?;
    temp.persist(path).map_err(|e| Error::io("cannot write", path)(e.error))?;
    Ok(())
}
