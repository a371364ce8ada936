//! Packages made at source (`rni prepare`) as inputs of a build (`rni build --packages`).
//!
//! An authority that pseudonymises its returns itself sends the package, never
//! the raw files. Before a build uses a package, [`open`] checks it whole:
//! its manifest says `rni-package`, was made with the build's key and the
//! same schemas, lists every file it holds with a sha256 that the bytes on
//! disk still have, and the package holds nothing else (no stray file, no
//! link, no table that no return of the manifest made). The same return
//! given twice (in two packages, or in a package and raw) is refused too.
//! Any of these stops the build before anything is written: the package is
//! named with the reason, never a value from it.
//!
//! A package's tables are copied into the new warehouse, and the copy is
//! hashed again as it is written, so a package changed during a build is
//! caught too.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::config::period::Period;
use crate::config::reference::is_authority_code;
use crate::config::schema::Schemas;
use crate::config::source::Source;
use crate::error::{Error, Result};
use crate::publish::manifest::{InputReport, OutputReport, sha256_file, sha256_streamed};
use crate::publish::package::{REJECTED_HEADER, REJECTED_ROWS};
use crate::publish::parquet::partition_file;

/// A package's manifest, as read back.
#[derive(Debug, Deserialize)]
struct PackageRecord {
    kind: String,
    #[serde(default)]
    schema_version: String,
    #[serde(default)]
    key_id: String,
    #[serde(default)]
    inputs: Vec<InputReport>,
    #[serde(default)]
    outputs: Vec<OutputReport>,
    #[serde(default)]
    files: Vec<OutputReport>,
}

/// One return of a verified package.
#[derive(Debug, Clone)]
pub struct PackagedReturn {
    /// The package folder.
    pub package: PathBuf,
    /// Its folder's name, as the warehouse manifest records it.
    pub name: String,
    /// Authority.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// Every table read at source, with its file's sha256 and row counts.
    pub inputs: Vec<InputReport>,
    /// Its Parquet files, with paths relative to the package (and to the warehouse).
    pub outputs: Vec<OutputReport>,
    /// Its rows of the package's rejected-row report (file, row, column, rule; never a value).
    pub rejected: Vec<csv::StringRecord>,
    /// sha256 of the package's rejected-row report (for the build's inputs digest).
    pub rejected_sha256: String,
}

impl PackagedReturn {
    /// The first table that could not be read at source, if any: the return is then set aside.
    pub fn failed_input(&self) -> Option<&InputReport> {
        self.inputs.iter().find(|i| i.error.is_some())
    }

    /// Rows rejected at source.
    pub fn rows_rejected(&self) -> usize {
        self.inputs.iter().map(|i| i.rows_rejected).sum()
    }
}

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::Package { path: path.to_path_buf(), reason: reason.into() }
}

/// The packages under the folders given: each folder is one package (it holds a
/// `MANIFEST.json`) or a folder of them (prepare's lock files and hidden staging folders
/// beside them are passed over; anything else is refused, never skipped).
pub fn find(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(refuse(dir, "is not a folder; give a package made by `rni prepare`, or a folder of them"));
        }
        if dir.join("MANIFEST.json").is_file() {
            found.push(dir.clone());
            continue;
        }
        let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(Error::io("cannot read", dir))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                !(name.starts_with('.') || (p.is_file() && name.ends_with(".lock")))
            })
            .collect();
        children.sort();
        if children.is_empty() {
            return Err(refuse(dir, "holds no package (no MANIFEST.json in it or in its folders)"));
        }
        for child in children {
            if !child.join("MANIFEST.json").is_file() {
                return Err(refuse(
                    &child,
                    "is not a package (no MANIFEST.json); a folder of packages holds packages only",
                ));
            }
            found.push(child);
        }
    }
    let mut seen = BTreeSet::new();
    for p in &found {
        if !seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())) {
            return Err(refuse(p, "is given twice"));
        }
    }
    Ok(found)
}

/// Finds and verifies every package under `dirs` (see the module's documentation); returns
/// their returns, each once.
pub fn open(dirs: &[PathBuf], key_id: &str, schemas: &Schemas) -> Result<Vec<PackagedReturn>> {
    let packages = find(dirs)?;
    let opened: Vec<Result<Vec<PackagedReturn>>> = packages.par_iter().map(|p| verify(p, key_id, schemas)).collect();
    let mut returns: Vec<PackagedReturn> = Vec::new();
    let mut seen: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for package in opened {
        for r in package? {
            let key = (r.authority_code.clone(), r.period.clone());
            if let Some(first) = seen.get(&key) {
                return Err(refuse(
                    &r.package,
                    format!(
                        "holds the return {} {}, which {} holds too; give each return once",
                        r.authority_code,
                        r.period,
                        first.display()
                    ),
                ));
            }
            seen.insert(key, r.package.clone());
            returns.push(r);
        }
    }
    Ok(returns)
}

/// Every file under `root`, relative, with `/` separators; a link is refused.
fn files_under(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(Error::io("cannot read", &dir))?.flatten() {
            let path = entry.path();
            let kind = entry.file_type().map_err(Error::io("cannot read", &path))?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            if kind.is_symlink() {
                return Err(refuse(root, format!("holds a link{}; a package holds plain files only", kind_of(&rel))));
            }
            if kind.is_dir() {
                stack.push(path);
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a file is, by the end of its name (` a .docx file`), never by its name: a file's name may
/// be a child's.
fn kind_of(rel: &str) -> String {
    match Path::new(rel).extension().map(|e| e.to_string_lossy().to_lowercase()) {
        Some(ext) if ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) => format!(", a .{ext} file"),
        _ => String::new(),
    }
}

/// Whether a path a manifest lists is one a package may hold: the rejected-row report, or a
/// table partition (`tables/<table>/authority_code=<code>/period=<quarter>/part-0.parquet`).
/// Only such paths are ever named in a message.
fn is_package_path(rel: &str, schemas: &Schemas) -> bool {
    if rel == REJECTED_ROWS {
        return true;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let [tables, table, code, period, file] = parts.as_slice() else { return false };
    *tables == "tables"
        && schemas.tables.iter().any(|t| t.name == *table)
        && code.strip_prefix("authority_code=").is_some_and(is_authority_code)
        && period.strip_prefix("period=").is_some_and(|p| Period::parse_any(p).is_ok())
        && *file == "part-0.parquet"
}

/// Checks one package whole and splits it into its returns.
fn verify(package: &Path, key_id: &str, schemas: &Schemas) -> Result<Vec<PackagedReturn>> {
    let manifest_path = package.join("MANIFEST.json");
    let bytes = std::fs::read(&manifest_path).map_err(Error::io("cannot read", &manifest_path))?;
    let record: PackageRecord = serde_json::from_slice(&bytes)
        // The position only: serde's message may quote a value.
        .map_err(|e| {
            refuse(
                package,
                format!("its MANIFEST.json is not a package manifest (line {}, column {})", e.line(), e.column()),
            )
        })?;
    if record.kind != "rni-package" {
        return Err(refuse(package, format!("its MANIFEST.json is of kind `{}`, not `rni-package`", record.kind)));
    }
    if record.key_id != key_id {
        return Err(refuse(
            package,
            format!(
                "was made with key id {} and this build's key has id {key_id}; a warehouse never mixes keys \
                 (the authority prepares it again with the project key)",
                record.key_id
            ),
        ));
    }
    if record.schema_version != schemas.version {
        return Err(refuse(
            package,
            format!(
                "was made with schema version {} and this rni reads {}; prepare it again with this version",
                record.schema_version, schemas.version
            ),
        ));
    }
    // It holds exactly what its manifest lists, each file with the bytes it had.
    let listed: BTreeMap<&str, &OutputReport> =
        record.outputs.iter().chain(&record.files).map(|o| (o.path.as_str(), o)).collect();
    if listed.keys().any(|p| !is_package_path(p, schemas)) {
        return Err(refuse(package, "its manifest lists a file that no package holds"));
    }
    if !listed.contains_key(REJECTED_ROWS) {
        return Err(refuse(package, format!("its manifest does not list {REJECTED_ROWS}")));
    }
    let present = files_under(package)?;
    let unlisted: Vec<&String> =
        present.iter().filter(|p| p.as_str() != "MANIFEST.json" && !listed.contains_key(p.as_str())).collect();
    if let Some(first) = unlisted.first() {
        return Err(refuse(
            package,
            format!("holds {} file(s) its manifest does not list (the first{})", unlisted.len(), kind_of(first)),
        ));
    }
    let hashed: Vec<Result<()>> = listed
        .par_iter()
        .map(|(rel, o)| {
            let path = package.join(rel);
            if !path.is_file() {
                return Err(refuse(package, format!("lacks {rel}, which its manifest lists")));
            }
            if sha256_file(&path)? != o.sha256 {
                return Err(refuse(package, format!("{rel} is not the file its manifest describes (sha256 differs)")));
            }
            Ok(())
        })
        .collect();
    hashed.into_iter().collect::<Result<()>>()?;
    split_returns(package, record, schemas)
}

/// The returns of a verified package: every output must belong to one of them.
fn split_returns(package: &Path, record: PackageRecord, schemas: &Schemas) -> Result<Vec<PackagedReturn>> {
    let name = package.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let rejected_sha256 =
        record.files.iter().find(|f| f.path == REJECTED_ROWS).map(|f| f.sha256.clone()).unwrap_or_default();
    let mut returns: BTreeMap<(String, String), PackagedReturn> = BTreeMap::new();
    for input in record.inputs {
        if !is_authority_code(&input.authority_code) || Source::parse_label(&input.period).is_err() {
            return Err(refuse(package, "its manifest names a return that is no authority code and period"));
        }
        let key = (input.authority_code.clone(), input.period.clone());
        returns
            .entry(key)
            .or_insert_with(|| PackagedReturn {
                package: package.to_path_buf(),
                name: name.clone(),
                authority_code: input.authority_code.clone(),
                period: input.period.clone(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                rejected: Vec::new(),
                rejected_sha256: rejected_sha256.clone(),
            })
            .inputs
            .push(input);
    }
    for output in record.outputs {
        let owner = returns.values_mut().find(|r| {
            schemas.tables.iter().any(|t| t.name == output.table)
                && Source::parse_label(&r.period).is_ok_and(|(_, p)| {
                    partition_file(&output.table, &r.authority_code, p).to_string_lossy().replace('\\', "/")
                        == output.path
                })
        });
        match owner {
            Some(r) => r.outputs.push(output),
            None => {
                return Err(refuse(
                    package,
                    format!("{} is not a table of any return its manifest lists", output.path),
                ));
            }
        }
    }
    read_rejections(package, &mut returns)?;
    Ok(returns.into_values().collect())
}

/// Splits the package's rejected-row report by return.
fn read_rejections(package: &Path, returns: &mut BTreeMap<(String, String), PackagedReturn>) -> Result<()> {
    let path = package.join(REJECTED_ROWS);
    let unreadable = |e: csv::Error| refuse(package, format!("{REJECTED_ROWS} cannot be read ({e})"));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(&path).map_err(unreadable)?;
    let header = reader.headers().map_err(unreadable)?.clone();
    if header.iter().ne(REJECTED_HEADER) {
        return Err(refuse(package, format!("{REJECTED_ROWS} does not have the rejected-row report's columns")));
    }
    for record in reader.records() {
        let record = record.map_err(unreadable)?;
        let key = (record[0].to_string(), record[1].to_string());
        match returns.get_mut(&key) {
            Some(r) => r.rejected.push(record),
            None => {
                return Err(refuse(
                    package,
                    format!("{REJECTED_ROWS} has rows of a return its manifest does not list"),
                ));
            }
        }
    }
    Ok(())
}

/// Copies one of a package's files to `to`, hashing the bytes as they are written: a file
/// changed since the package was verified stops the build.
pub fn copy_verified(r: &PackagedReturn, output: &OutputReport, to: &Path) -> Result<()> {
    let from = r.package.join(&output.path);
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    }
    let mut target = std::fs::File::create(to).map_err(Error::io("cannot write", to))?;
    let sha256 = sha256_streamed(&from, |chunk| target.write_all(chunk).map_err(Error::io("cannot write", to)))?;
    if sha256 != output.sha256 {
        return Err(refuse(&r.package, format!("{} changed while the build read it", output.path)));
    }
    Ok(())
}
