//! Synthetic returns (`rni synth`, and the input of `rni demo`).
//!
//! Makes CS returns for real authority codes in the layout of PRODUCT.md §3.1:
//! young people with their episodes, reviews and contexts, panels, practice
//! and adoption, and case notes written the way practitioners write them
//! (names of the young person and peers, phone numbers, postcodes, schools,
//! streets, dates), so that every later stage has something real to chew on.
//! Everything comes from one seeded ChaCha generator and the `fake` crate:
//! the same options give byte-identical files. With `--messy` the files look
//! like real LA exports (header aliases, DD/MM/YYYY dates, Windows-1252 and
//! BOMs, workbooks with date serials, notes with line breaks, value aliases)
//! and a few rows are deliberately bad; `synth-manifest.json` lists where each
//! kind of mess went, by file, row, column and rule, never by value.

mod cohort;
mod mess;
mod notes;
mod statutory;
mod writers;

use std::path::{Path, PathBuf};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use cohort::*;
use mess::*;
use notes::*;
pub use notes::{Note, sample_notes};
use writers::*;

use crate::config::period::Period;
use crate::config::reference::{self, Authority};
use crate::config::schema::{Schemas, TableSchema};
use crate::error::{Error, Result};

/// File format of a synthetic return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One CSV file per table.
    Csv,
    /// One workbook, one sheet per table.
    Xlsx,
}

/// What to synthesise.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Folder that receives `<authority_code>/<period>/…`.
    pub out: PathBuf,
    /// Number of authorities (Hillingdon first, then others chosen by the seed).
    pub authorities: usize,
    /// Young people per authority over all periods.
    pub young_people: usize,
    /// Quarters to write a return for.
    pub periods: Vec<Period>,
    /// Seed of the random generator.
    pub seed: u64,
    /// CSV or XLSX (messy output mixes in workbooks either way).
    pub format: Format,
    /// Make the files look like real exports, with a few bad rows.
    pub is_messy: bool,
    /// Also write each authority's statutory returns (CIN census, SSDA903) for the collection
    /// years the quarters fall in, sharing children with the CS return.
    pub is_statutory: bool,
}

/// What was written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SynthReport {
    /// Returns written (authority × period).
    pub returns: usize,
    /// Files written.
    pub files: usize,
    /// Data rows written over all tables.
    pub rows: usize,
    /// Rows deliberately made bad.
    pub planted: usize,
    /// Authorities used, by code.
    pub authority_codes: Vec<String>,
}

/// One return as written, for `synth-manifest.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReturnInfo {
    /// ONS code of the authority.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// `csv` or `xlsx`.
    pub format: String,
    /// `utf-8`, `utf-8-bom` or `windows-1252` (CSV only).
    pub encoding: String,
    /// `iso`, `dmy` or `serial`.
    pub date_style: String,
    /// `canonical`, `title`, `alias` or `shuffled-alias`.
    pub header_style: String,
    /// Files of the return, relative to the output folder.
    pub files: Vec<String>,
}

/// A deliberately bad row: where it is and which rule it breaks.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct PlantedRow {
    /// File, relative to the output folder.
    pub file: String,
    /// Table (sheet) name.
    pub table: String,
    /// Row as a spreadsheet shows it: the header is row 1.
    pub row: usize,
    /// Canonical column name.
    pub column: String,
    /// Rule broken: `required`, `date`, `code` or `reference`.
    pub rule: String,
}

/// Contents of `synth-manifest.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SynthManifest {
    /// Seed used.
    pub seed: u64,
    /// Whether `--messy` was on.
    pub messy: bool,
    /// Every return written.
    pub returns: Vec<ReturnInfo>,
    /// Every deliberately bad row.
    pub planted: Vec<PlantedRow>,
}

/// Name of the manifest file written beside the returns.
pub const MANIFEST_FILE: &str = "synth-manifest.json";

/// Writes synthetic returns under `options.out` and a `synth-manifest.json` beside them.
pub fn synthesise(options: &SynthOptions, schemas: &Schemas) -> Result<SynthReport> {
    if options.authorities == 0 || options.young_people == 0 || options.periods.is_empty() {
        return Err(Error::Usage("synth needs at least one authority, one young person and one period".into()));
    }
    let all = reference::authorities()?;
    let chosen = choose_authorities(&all, options.authorities, options.seed)?;
    std::fs::create_dir_all(&options.out).map_err(Error::io("cannot create", &options.out))?;
    let mut manifest = SynthManifest { seed: options.seed, messy: options.is_messy, returns: vec![], planted: vec![] };
    let mut report =
        SynthReport { authority_codes: chosen.iter().map(|a| a.code.clone()).collect(), ..Default::default() };
    let mut return_index = 0usize;
    for (a_index, authority) in chosen.iter().enumerate() {
        let mut rng =
            ChaCha8Rng::seed_from_u64(options.seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(a_index as u64 + 1)));
        let cohort = Cohort::generate(&mut rng, authority, a_index, options);
        for (p_index, &period) in options.periods.iter().enumerate() {
            let style = style_for(options, a_index, return_index);
            return_index += 1;
            let mut tables = cohort.tables_for(period, p_index, &mut rng);
            let dir_rel = format!("{}/{}", authority.code, period);
            let dir = options.out.join(&dir_rel);
            std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
            let mut planted = Vec::new();
            if options.is_messy {
                planted = plant_bad_rows(&mut tables, &cohort, &mut rng, period);
            }
            let mut info = ReturnInfo {
                authority_code: authority.code.clone(),
                period: period.to_string(),
                format: match style.format {
                    Format::Csv => "csv".into(),
                    Format::Xlsx => "xlsx".into(),
                },
                encoding: style.encoding.into(),
                date_style: style.date_style.into(),
                header_style: style.header_style.into(),
                files: vec![],
            };
            let rendered: Vec<RenderedTable> =
                tables.iter().map(|t| render_table(t, schemas, style, &mut rng)).collect::<Result<_>>()?;
            report.rows += tables.iter().map(|t| t.rows.len()).sum::<usize>();
            match style.format {
                Format::Csv => {
                    for ((table, headers, rows), t) in rendered.iter().zip(&tables) {
                        let file_rel = format!("{dir_rel}/{table}.csv");
                        write_csv(&options.out.join(&file_rel), headers, rows, style)?;
                        for p in planted.iter().filter(|p| p.table == t.name) {
                            manifest.planted.push(PlantedRow { file: file_rel.clone(), ..p.clone() });
                        }
                        info.files.push(file_rel);
                    }
                }
                Format::Xlsx => {
                    let file_rel = format!("{dir_rel}/return.xlsx");
                    write_xlsx(&options.out.join(&file_rel), &rendered)?;
                    for p in &planted {
                        manifest.planted.push(PlantedRow { file: file_rel.clone(), ..p.clone() });
                    }
                    info.files.push(file_rel);
                }
            }
            report.files += info.files.len();
            report.planted += planted.len();
            report.returns += 1;
            manifest.returns.push(info);
        }
        if options.is_statutory {
            let written =
                statutory::write_statutory(&cohort, &authority.code, &options.periods, &options.out, &mut rng)?;
            report.returns += written.returns;
            report.files += written.files;
            report.rows += written.rows;
        }
    }
    let path = options.out.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|source| Error::Json {
        action: "cannot write",
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, json).map_err(Error::io("cannot write", &path))?;
    Ok(report)
}

fn choose_authorities(all: &[Authority], n: usize, seed: u64) -> Result<Vec<Authority>> {
    if n > all.len() {
        return Err(Error::Usage(format!("--authorities {n}: the reference data has {} authorities", all.len())));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x5eed));
    let hillingdon = all.iter().find(|a| a.code == "E09000017").cloned();
    let mut out: Vec<Authority> = hillingdon.into_iter().collect();
    let mut rest: Vec<&Authority> = all.iter().filter(|a| a.code != "E09000017").collect();
    while out.len() < n {
        let i = rng.random_range(0..rest.len());
        out.push(rest.swap_remove(i).clone());
    }
    Ok(out)
}

/// Reads `synth-manifest.json` from a folder written by [`synthesise`].
pub fn read_manifest(dir: &Path) -> Result<SynthManifest> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(Error::io("cannot read", &path))?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        action: "is not a synthetic-returns manifest:",
        path,
        source,
    })
}
