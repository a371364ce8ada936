//! Reference data shipped with the project (`reference/`, see its SOURCES.md).
//!
//! Real published DfE and ONS statistics let every authority be set beside
//! its statistical neighbours and England. The files are compiled into the
//! binary so that rni needs nothing outside itself at run time.

use crate::error::{Error, Result};

/// ONS mid-year population estimates of children aged 0 to 17, by authority.
pub const POPULATION_CSV: &str = include_str!("../../reference/ons_mid-year_population_estimates_2012_to_2024.csv");
const POPULATION_FILE: &str = "reference/ons_mid-year_population_estimates_2012_to_2024.csv";

/// DfE factors identified at the end of assessment, by authority, 2018 to 2025.
pub const FACTORS_CSV: &str =
    include_str!("../../reference/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv");
const FACTORS_FILE: &str = "reference/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv";
/// DfE statistical neighbour groupings (2021), keyed by old 3-digit LA number.
pub const NEIGHBOURS_CSV: &str = include_str!("../../reference/New_Statistical_Neighbour_Groupings_April_2021.csv");
const NEIGHBOURS_FILE: &str = "reference/New_Statistical_Neighbour_Groupings_April_2021.csv";

/// The CIN census's extra-familial harm factor codes, each with its breakdown name, meaning,
/// source (the DfE guide it was checked against) and the column of the DfE statistics that
/// counts it.
pub const CIN_EFH_FACTORS_CSV: &str = include_str!("../../reference/cin_efh_factors.csv");
const CIN_EFH_FACTORS_FILE: &str = "reference/cin_efh_factors.csv";

/// One EFH factor code of the CIN census.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfhFactorCode {
    /// The code in `AssessmentFactors` (`24A`).
    pub code: String,
    /// The breakdown name (`CCE`).
    pub factor: String,
    /// The column of the DfE statistics that counts it.
    pub published_column: String,
}

/// The CIN census's EFH factor codes, from `reference/cin_efh_factors.csv`.
pub fn cin_efh_factor_codes() -> Result<Vec<EfhFactorCode>> {
    let (headers, rows) = csv_rows(CIN_EFH_FACTORS_CSV, CIN_EFH_FACTORS_FILE)?;
    let (code, factor, published) = (
        column(&headers, "code", CIN_EFH_FACTORS_FILE)?,
        column(&headers, "factor", CIN_EFH_FACTORS_FILE)?,
        column(&headers, "published_column", CIN_EFH_FACTORS_FILE)?,
    );
    Ok(rows
        .iter()
        .map(|r| EfhFactorCode {
            code: r[code].trim().to_string(),
            factor: r[factor].trim().to_string(),
            published_column: r[published].trim().to_string(),
        })
        .collect())
}

/// ONS code of England.
pub const ENGLAND: &str = "E92000001";

/// The EFH factors of the CIN census: (breakdown code, column in the DfE file).
pub const EFH_FACTORS: &[(&str, &str)] = &[
    ("CCE", "Child_criminal_exploitation"),
    ("CSE", "Child_sexual_exploitation"),
    ("GANGS", "Gangs"),
    ("MISSING", "Going_missing"),
    ("TRAFFICKING", "Trafficking"),
    ("CHILD_ON_CHILD_PHYSICAL", "Physical_Abuse_child_on_child"),
    ("CHILD_ON_CHILD_SEXUAL", "Sexual_Abuse_child_on_child"),
];

/// A published figure: a number, or the symbol DfE or ONS put in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// The number.
    Count(i64),
    /// `c`, `x`, `z`, `u` or another symbol, kept as published.
    Symbol(String),
}

fn published(text: &str) -> Published {
    let t = text.trim();
    match t.replace(',', "").parse::<i64>() {
        Ok(n) => Published::Count(n),
        Err(_) => Published::Symbol(if t.is_empty() { "x".into() } else { t.to_string() }),
    }
}

/// One EFH factor count for an area and reporting year.
#[derive(Debug, Clone)]
pub struct FactorCount {
    /// Current ONS code of the authority, or England's code.
    pub authority_code: String,
    /// DfE reporting year (2025 = year ending 31 March 2025).
    pub year: i32,
    /// Breakdown code (`CCE`, `GANGS`, …).
    pub factor: &'static str,
    /// The published count or symbol.
    pub value: Published,
}

/// One population estimate of children aged 0 to 17.
#[derive(Debug, Clone)]
pub struct Population {
    /// Current ONS code of the authority, or England's code.
    pub authority_code: String,
    /// Mid-year of the estimate.
    pub year: i32,
    /// The estimate or symbol.
    pub value: Published,
}

/// Map from old 3-digit LA number to the authority's current ONS code.
fn current_codes() -> Result<std::collections::HashMap<String, String>> {
    Ok(authorities()?.into_iter().map(|a| (a.old_code.clone(), a.code)).collect())
}

fn csv_rows(text: &str, file: &'static str) -> Result<(csv::StringRecord, Vec<csv::StringRecord>)> {
    let bad = |message: String| Error::Reference { file: file.into(), message };
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let rows = reader.records().collect::<std::result::Result<Vec<_>, _>>().map_err(|e| bad(e.to_string()))?;
    Ok((headers, rows))
}

fn column(headers: &csv::StringRecord, name: &str, file: &'static str) -> Result<usize> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| Error::Reference { file: file.into(), message: format!("no column `{name}`") })
}

/// Area key of a row: England for national rows, else the current code of its old LA number.
fn area_code(level: &str, old: &str, current: &std::collections::HashMap<String, String>) -> Option<String> {
    match level {
        "National" => Some(ENGLAND.to_string()),
        "Local authority" => current.get(old).cloned(),
        _ => None,
    }
}

/// Every EFH factor count for England and each authority, every published year.
pub fn factor_counts() -> Result<Vec<FactorCount>> {
    let current = current_codes()?;
    let (headers, rows) = csv_rows(FACTORS_CSV, FACTORS_FILE)?;
    let (year, level, old) = (
        column(&headers, "time_period", FACTORS_FILE)?,
        column(&headers, "geographic_level", FACTORS_FILE)?,
        column(&headers, "old_la_code", FACTORS_FILE)?,
    );
    let factor_cols: Vec<(&'static str, usize)> = EFH_FACTORS
        .iter()
        .map(|(code, col)| column(&headers, col, FACTORS_FILE).map(|i| (*code, i)))
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for row in &rows {
        let Some(code) = area_code(&row[level], &row[old], &current) else { continue };
        let Ok(y) = row[year].parse::<i32>() else { continue };
        for (factor, i) in &factor_cols {
            out.push(FactorCount { authority_code: code.clone(), year: y, factor, value: published(&row[*i]) });
        }
    }
    Ok(out)
}

/// Every population estimate of children aged 0 to 17, for England and each authority.
pub fn populations() -> Result<Vec<Population>> {
    let current = current_codes()?;
    let (headers, rows) = csv_rows(POPULATION_CSV, POPULATION_FILE)?;
    let (year, level, old, value) = (
        column(&headers, "time_period", POPULATION_FILE)?,
        column(&headers, "geographic_level", POPULATION_FILE)?,
        column(&headers, "old_la_code", POPULATION_FILE)?,
        column(&headers, "population_estimate", POPULATION_FILE)?,
    );
    let mut out = Vec::new();
    for row in &rows {
        let Some(code) = area_code(&row[level], &row[old], &current) else { continue };
        let Ok(y) = row[year].parse::<i32>() else { continue };
        out.push(Population { authority_code: code, year: y, value: published(&row[value]) });
    }
    Ok(out)
}

/// Each authority's statistical neighbours as (authority, neighbour, rank 1 to 10), in current ONS codes.
pub fn statistical_neighbours() -> Result<Vec<(String, String, i32)>> {
    let current = current_codes()?;
    let (headers, rows) = csv_rows(NEIGHBOURS_CSV, NEIGHBOURS_FILE)?;
    let la = column(&headers, "LA num", NEIGHBOURS_FILE)?;
    let mut out = Vec::new();
    for row in &rows {
        let Some(code) = current.get(row[la].trim()) else { continue };
        for rank in 1..=10 {
            let Ok(i) = column(&headers, &format!("SN{rank}"), NEIGHBOURS_FILE) else { continue };
            if let Some(n) = row.get(i).and_then(|old| current.get(old.trim())) {
                out.push((code.clone(), n.clone(), rank));
            }
        }
    }
    Ok(out)
}

/// The name of an area code as shown in outputs.
pub fn area_name(code: &str, authorities: &[Authority]) -> String {
    let name_of = |c: &str| authorities.iter().find(|a| a.code == c).map(|a| a.name.clone());
    match code {
        "ALL" => "All partner authorities".to_string(),
        ENGLAND => "England".to_string(),
        _ => match code.strip_prefix("SN:") {
            Some(c) => format!("Statistical neighbours of {}", name_of(c).unwrap_or_else(|| c.to_string())),
            None => name_of(code).unwrap_or_default(),
        },
    }
}

/// First names common in England and Wales, for the scrubber's gazetteer.
pub const FIRST_NAMES: &str = include_str!("../../reference/names/first_names.txt");
/// Surnames common in England and Wales, for the scrubber's gazetteer.
pub const SURNAMES: &str = include_str!("../../reference/names/surnames.txt");

/// An English local authority with children's services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// ONS/GSS code, e.g. `E09000017`.
    pub code: String,
    /// Name as ONS publishes it.
    pub name: String,
    /// DfE's old 3-digit LA number, e.g. `312`.
    pub old_code: String,
}

/// Every authority in the latest year of the population estimates, sorted by code.
pub fn authorities() -> Result<Vec<Authority>> {
    let bad = |message: String| Error::Reference { file: POPULATION_FILE.into(), message };
    let mut reader = csv::Reader::from_reader(POPULATION_CSV.as_bytes());
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| bad(format!("no column `{name}`")));
    let (year, level, old, new, name) =
        (col("time_period")?, col("geographic_level")?, col("old_la_code")?, col("new_la_code")?, col("la_name")?);
    let mut rows = Vec::new();
    let mut latest = String::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        if &record[level] != "Local authority" {
            continue;
        }
        if record[year] > *latest {
            latest = record[year].to_string();
        }
        rows.push((
            record[year].to_string(),
            Authority {
                code: record[new].to_string(),
                name: record[name].to_string(),
                old_code: record[old].to_string(),
            },
        ));
    }
    let mut out: Vec<Authority> = rows.into_iter().filter(|(y, _)| *y == latest).map(|(_, a)| a).collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by(|a, b| a.code == b.code);
    if out.is_empty() {
        return Err(bad("no local authority rows".into()));
    }
    Ok(out)
}

/// Words of a name list, without comment lines.
pub fn name_list(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).flat_map(str::split_whitespace).collect()
}

/// Whether a folder name is an ONS/GSS authority code such as `E09000017`.
pub fn is_authority_code(name: &str) -> bool {
    name.len() == 9 && name.starts_with(['E', 'W', 'S', 'N']) && name[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The factor codes file and the published columns read from the DfE statistics agree.
    #[test]
    fn efh_factor_codes_match_the_published_columns() {
        let codes = cin_efh_factor_codes().expect("factor codes");
        let mut from_file: Vec<(String, String)> =
            codes.iter().map(|c| (c.factor.clone(), c.published_column.clone())).collect();
        let mut published: Vec<(String, String)> =
            EFH_FACTORS.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
        from_file.sort();
        published.sort();
        assert_eq!(from_file, published);
        let code_of = |f: &str| codes.iter().find(|c| c.factor == f).map(|c| c.code.as_str());
        assert_eq!(code_of("CCE"), Some("24A"));
        assert_eq!(code_of("MISSING"), Some("10A"));
    }

    #[test]
    fn hillingdon_2025_factors_and_population_are_as_published() {
        let counts = factor_counts().expect("factors");
        let get = |f: &str| {
            counts
                .iter()
                .find(|c| c.authority_code == "E09000017" && c.year == 2025 && c.factor == f)
                .map(|c| c.value.clone())
        };
        assert_eq!(get("CCE"), Some(Published::Count(151)));
        assert_eq!(get("GANGS"), Some(Published::Count(85)));
        assert_eq!(get("MISSING"), Some(Published::Count(138)));
        let england_2021 = counts.iter().find(|c| c.authority_code == ENGLAND && c.year == 2021 && c.factor == "CCE");
        assert_eq!(england_2021.map(|c| c.value.clone()), Some(Published::Symbol("x".into())), "symbols stay symbols");
        let pop = populations().expect("population");
        let h = pop.iter().find(|p| p.authority_code == "E09000017" && p.year == 2024).expect("Hillingdon 2024");
        assert_eq!(h.value, Published::Count(75524));
        let sn = statistical_neighbours().expect("neighbours");
        assert_eq!(sn.iter().filter(|(a, _, _)| a == "E09000017").count(), 10);
    }

    #[test]
    fn hillingdon_is_an_authority() {
        let all = authorities().expect("reference data");
        let h = all.iter().find(|a| a.code == "E09000017").expect("Hillingdon");
        assert_eq!(h.name, "Hillingdon");
        assert_eq!(h.old_code, "312");
        assert!(all.len() > 140);
    }
}
