//! Reference data shipped with the project (`reference/`, see its SOURCES.md).
//!
//! Real published DfE and ONS statistics let every authority be set beside
//! its statistical neighbours and England. The files are compiled into the
//! binary so that rni needs nothing outside itself at run time.

use crate::error::{Error, Result};

/// ONS mid-year population estimates of children aged 0 to 17, by authority.
pub const POPULATION_CSV: &str = include_str!("../reference/ons_mid-year_population_estimates_2012_to_2024.csv");
const POPULATION_FILE: &str = "reference/ons_mid-year_population_estimates_2012_to_2024.csv";

/// First names common in England and Wales, for the scrubber's gazetteer.
pub const FIRST_NAMES: &str = include_str!("../reference/names/first_names.txt");
/// Surnames common in England and Wales, for the scrubber's gazetteer.
pub const SURNAMES: &str = include_str!("../reference/names/surnames.txt");

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hillingdon_is_an_authority() {
        let all = authorities().expect("reference data");
        let h = all.iter().find(|a| a.code == "E09000017").expect("Hillingdon");
        assert_eq!(h.name, "Hillingdon");
        assert_eq!(h.old_code, "312");
        assert!(all.len() > 140);
    }
}
