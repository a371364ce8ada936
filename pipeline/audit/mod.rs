//! `rni audit`: an independent leak scanner.
//!
//! It trusts nothing the pipeline did. It reads the raw returns again and
//! collects every identifying value (child ids, UPNs, postcodes, dates of
//! birth, first names and surnames), then reads every file under a warehouse
//! or package: Parquet decoded value by value, everything else as text. A
//! finding names the file, the column (for Parquet) and the kind of
//! identifier, never the value. Names are looked for, whole-word and in any
//! case, in the free-text columns of their own authority's tables (the
//! scrubber there removes them in every case; code columns hold only codes,
//! some of which, like WHITE, are also surnames); ids, UPNs, postcodes and
//! dates of birth in every text column and file (ids made only of digits are
//! not looked for in the metric and report files, which are all numbers).
//! `rni build` runs it on the staging folder and publishes nothing when it
//! finds anything.

//!
//! [`identifiers`] collects what to look for from the raw returns, [`scan`]
//! looks for it in every output, and [`text`] is the audit's own folding and
//! tokenising: it calls nothing of the scrubber it checks (a test reads the
//! source to make sure).

mod fingerprint;
mod identifiers;
pub mod residue;
mod scan;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::schema::Schemas;
use crate::error::{Error, Result};
use crate::ingest::discover::ReturnDir;
use identifiers::{Identifiers, collect};
use scan::{Global, Look, Scanner};

/// One leak: where, and what kind of identifier. Never the value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// File, relative to the folder audited.
    pub file: String,
    /// Column, for Parquet; `text` otherwise.
    pub column: String,
    /// `name`, `child_id`, `upn`, `postcode`, `date_of_birth`, or another id column.
    pub kind: String,
    /// Authority whose return the value came from.
    pub authority_code: String,
}

/// What an audit found: the leaks, and the residue of free text per table (not a leak).
#[derive(Debug, Default)]
pub struct Audit {
    /// Raw identifiers found in an output: each stops a build.
    pub findings: Vec<Finding>,
    /// Words on no list and identifier-shaped tokens left in free text, by table and kind.
    pub residue: residue::Residue,
}

/// Audits every file under `root` against the identifiers in `returns`.
pub fn audit(root: &Path, returns: &[ReturnDir], schemas: &Schemas) -> Result<Audit> {
    let by_authority = collect(returns, schemas);
    audit_with(root, by_authority, &[], schemas)
}

fn audit_with(
    root: &Path,
    mut by_authority: BTreeMap<String, Identifiers>,
    extra: &[PathBuf],
    schemas: &Schemas,
) -> Result<Audit> {
    let global = Global::new(&mut by_authority);
    let scanner = Scanner { by_authority: &by_authority, global, schemas };
    let mut stack = vec![root.to_path_buf()];
    let mut files = extra.to_vec();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(Error::io("cannot read", &dir))? {
            let path = entry.map_err(Error::io("cannot read", &dir))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    // Files are independent: one per core.
    type PerFile = (BTreeSet<Finding>, residue::Residue);
    let per_file: Vec<Result<PerFile>> = files
        .par_iter()
        .map(|path| -> Result<PerFile> {
            let mut findings = BTreeSet::new();
            let mut counts = residue::Residue::new();
            let rel = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
            if path.extension().is_some_and(|e| e == "parquet") {
                scanner.scan_parquet(path, &rel, &mut findings, &mut counts)?;
            } else {
                let bytes = std::fs::read(path).map_err(Error::io("cannot read", path))?;
                // Metric and report files are full of counts and populations, manifests of row counts and
                // rejected-row reports of row numbers: only ids with letters are looked for there (an
                // SSDA903 child id is often digits only, and row 5042 is not child 5042).
                let is_aggregate = rel.starts_with("metrics/")
                    || rel.starts_with("report/")
                    || rel.ends_with("metric_values_exact.csv")
                    || rel.starts_with("restricted/rejected_rows")
                    || rel.ends_with(".json");
                let look = Look { names: false, numeric_ids: !is_aggregate };
                scanner.scan_text(&rel, "text", &String::from_utf8_lossy(&bytes), &[], look, &mut findings);
            }
            Ok((findings, counts))
        })
        .collect();
    let mut all = BTreeSet::new();
    let mut residue = residue::Residue::new();
    for file in per_file {
        let (findings, counts) = file?;
        all.extend(findings);
        for (key, n) in counts {
            *residue.entry(key).or_insert(0) += n;
        }
    }
    Ok(Audit { findings: all.into_iter().collect(), residue })
}

/// Audits `root` and also the given log files.
pub fn audit_with_logs(root: &Path, returns: &[ReturnDir], logs: &[PathBuf], schemas: &Schemas) -> Result<Audit> {
    let by_authority = collect(returns, schemas);
    audit_with(root, by_authority, logs, schemas)
}
