//! Synthetic statutory returns, consistent with an authority's CS return.
//!
//! For every collection year the CS quarters touch, an authority gets a CIN
//! census (`cin/<YYYY>/cin_census.xml`) and an SSDA903 return
//! (`ssda903/<YYYY>/{header,episodes,missing}.csv`). Most young people with a
//! CS episode in the year were also assessed under the CIN census (the
//! assessment usually, not always, within 90 days of the episode's start, its
//! factors drawn from the episode's harms) and some are looked after; other
//! children appear only in the statutory returns. The files vary as real ones
//! do: `Sex` or `GenderCurrent`, both shapes of the factor list, and in odd
//! years SSDA903 headers in lower case and another order.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use super::cohort::{Cohort, date_between, pick_weighted};
use crate::config::period::Period;
use crate::error::{Error, Result};

/// What was written for one authority.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub(super) returns: usize,
    pub(super) files: usize,
    pub(super) rows: usize,
}

/// The collection years (ending 31 March) that the CS quarters fall in.
pub(super) fn collection_years(periods: &[Period]) -> Vec<i32> {
    let year = |d: NaiveDate| if d.month() >= 4 { d.year() + 1 } else { d.year() };
    periods.iter().map(|p| year(p.end())).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The EFH factor codes a harm of the CS return stands for.
fn factor_for(harm: &str) -> &'static str {
    match harm {
        "CCE" => "24A",
        "CSE" | "ONLINE" => "11A",
        "GANG" | "SYV" => "13A",
        "MISSING" => "10A",
        "TRAFFICKING" => "12A",
        "PEER_ABUSE" => "19B",
        _ => "18B",
    }
}

const OTHER_FACTORS: &[(&str, u32)] =
    &[("3A", 20), ("4B", 15), ("16A", 15), ("17A", 10), ("1B", 8), ("2B", 8), ("14A", 8), ("15A", 6), ("21", 10)];
const EFH_FACTORS: &[(&str, u32)] =
    &[("10A", 25), ("11A", 15), ("12A", 5), ("13A", 15), ("24A", 25), ("18B", 8), ("19B", 7)];

struct CinChild {
    id: String,
    upn: Option<String>,
    dob: NaiveDate,
    sex: &'static str,
    ethnicity: Option<&'static str>,
    referrals: Vec<CinReferral>,
}

struct CinReferral {
    referral: NaiveDate,
    source: &'static str,
    need: &'static str,
    assessments: Vec<(NaiveDate, NaiveDate, Vec<&'static str>)>,
}

fn sex_code(gender: &str) -> &'static str {
    match gender {
        "M" => "1",
        "F" => "2",
        _ => "0",
    }
}

/// Writes the statutory returns of one authority under `out/<code>/`.
pub(super) fn write_statutory(
    cohort: &Cohort,
    code: &str,
    periods: &[Period],
    out: &Path,
    rng: &mut ChaCha8Rng,
) -> Result<Written> {
    let mut written = Written::default();
    for year in collection_years(periods) {
        let (start, end) = (Period::Year(year).start(), Period::Year(year).end());
        let children = cin_children(cohort, year, start, end, rng);
        let dir = out.join(code).join("cin").join(year.to_string());
        std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let path = dir.join("cin_census.xml");
        std::fs::write(&path, cin_xml(&children, year)).map_err(Error::io("cannot write", &path))?;
        written.rows += children.len();
        written.files += 1;
        written.returns += 1;
        written.rows +=
            write_903(cohort, year, start, end, &out.join(code).join("ssda903").join(year.to_string()), rng)?;
        written.files += 3;
        written.returns += 1;
    }
    Ok(written)
}

fn cin_children(cohort: &Cohort, year: i32, start: NaiveDate, end: NaiveDate, rng: &mut ChaCha8Rng) -> Vec<CinChild> {
    let mut children: Vec<CinChild> = Vec::new();
    let clamp = |d: NaiveDate| d.clamp(start, end);
    // Young people of the CS return with an episode starting in (or just before) the year.
    let mut seen = BTreeSet::new();
    for episode in &cohort.episodes {
        if episode.start < start - Duration::days(60) || episode.start > end || !rng.random_bool(0.7) {
            continue;
        }
        if !seen.insert(episode.person) {
            continue;
        }
        let person = &cohort.people[episode.person];
        let referral = clamp(episode.start - Duration::days(rng.random_range(0..=100)));
        let assessed = clamp(referral + Duration::days(rng.random_range(0..=7)));
        let authorised = clamp(assessed + Duration::days(rng.random_range(5..=60)));
        let mut factors: Vec<&'static str> = Vec::new();
        if rng.random_bool(0.8) {
            factors.extend(episode.harms.iter().map(|h| factor_for(h)));
            if factors.is_empty() || rng.random_bool(0.2) {
                factors.push(pick_weighted(rng, EFH_FACTORS));
            }
        }
        if factors.is_empty() || rng.random_bool(0.4) {
            factors.push(pick_weighted(rng, OTHER_FACTORS));
        }
        factors.sort_unstable();
        factors.dedup();
        children.push(CinChild {
            id: person.child_id.clone(),
            upn: person.upn.clone(),
            dob: person.dob,
            sex: sex_code(person.gender),
            ethnicity: person.ethnicity,
            referrals: vec![CinReferral {
                referral,
                source: pick_weighted(rng, &[("5A", 30), ("2A", 25), ("1B", 15), ("3A", 10), ("10", 10), ("9", 10)]),
                need: pick_weighted(rng, &[("N1", 40), ("N4", 25), ("N8", 20), ("N5", 15)]),
                assessments: vec![(assessed, authorised, factors)],
            }],
        });
    }
    // Children known only to children's social care: babies among them.
    let others = children.len() / 2 + 5;
    for k in 0..others {
        let dob = date_between(rng, end - Duration::days(17 * 365), end - Duration::days(1));
        let referral = date_between(rng, start.max(dob), end);
        let mut referrals = vec![];
        let count = if rng.random_bool(0.15) { 2 } else { 1 };
        for _ in 0..count {
            let assessed = (referral + Duration::days(rng.random_range(0..=10))).min(end);
            let authorised = (assessed + Duration::days(rng.random_range(5..=45))).min(end);
            let mut factors = vec![pick_weighted(rng, OTHER_FACTORS)];
            if rng.random_bool(0.15) {
                factors.push(pick_weighted(rng, EFH_FACTORS));
            }
            factors.sort_unstable();
            factors.dedup();
            referrals.push(CinReferral {
                referral,
                source: pick_weighted(rng, &[("5A", 30), ("2A", 25), ("1B", 15), ("3A", 10), ("10", 20)]),
                need: pick_weighted(rng, &[("N1", 50), ("N2", 10), ("N3", 10), ("N8", 30)]),
                assessments: vec![(assessed, authorised, factors)],
            });
        }
        children.push(CinChild {
            id: format!("N{}{year}{k:05}", cohort.authority_index + 1),
            upn: None,
            dob,
            sex: pick_weighted(rng, &[("1", 48), ("2", 48), ("0", 4)]),
            ethnicity: Some(pick_weighted(
                rng,
                &[("WBRI", 60), ("ABAN", 10), ("BAFR", 10), ("MWBC", 10), ("NOBT", 10)],
            )),
            referrals,
        });
    }
    children
}

/// The census as XML, in the shape of the year's DfE schema (`Sex` and the wrapped factor list
/// from 2024; `GenderCurrent` and `AssessmentFactors/AssessmentFactor` before).
fn cin_xml(children: &[CinChild], year: i32) -> String {
    let recent = year >= 2024;
    let d = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Message>\n  <Header>\n");
    let _ = writeln!(
        x,
        "    <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year><ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>"
    );
    x.push_str("  </Header>\n  <Children>\n");
    for c in children {
        x.push_str("    <Child>\n      <ChildIdentifiers>\n");
        let _ = writeln!(x, "        <LAchildID>{}</LAchildID>", c.id);
        match &c.upn {
            Some(upn) => {
                let _ = writeln!(x, "        <UPN>{upn}</UPN>");
            }
            None => x.push_str("        <UPNunknown>UN1</UPNunknown>\n"),
        }
        let _ = writeln!(x, "        <PersonBirthDate>{}</PersonBirthDate>", d(c.dob));
        let gender = if recent { "Sex" } else { "GenderCurrent" };
        let _ = writeln!(x, "        <{gender}>{}</{gender}>", c.sex);
        x.push_str("      </ChildIdentifiers>\n      <ChildCharacteristics>\n");
        if let Some(e) = c.ethnicity {
            let _ = writeln!(x, "        <Ethnicity>{e}</Ethnicity>");
        }
        x.push_str("      </ChildCharacteristics>\n");
        for r in &c.referrals {
            x.push_str("      <CINdetails>\n");
            let _ = writeln!(x, "        <CINreferralDate>{}</CINreferralDate>", d(r.referral));
            let _ = writeln!(x, "        <ReferralSource>{}</ReferralSource>", r.source);
            let _ = writeln!(x, "        <PrimaryNeedCode>{}</PrimaryNeedCode>", r.need);
            for (started, authorised, factors) in &r.assessments {
                x.push_str("        <Assessments>\n");
                let _ = writeln!(x, "          <AssessmentActualStartDate>{}</AssessmentActualStartDate>", d(*started));
                let _ = writeln!(
                    x,
                    "          <AssessmentAuthorisationDate>{}</AssessmentAuthorisationDate>",
                    d(*authorised)
                );
                let (outer, inner) = if recent {
                    ("FactorsIdentifiedAtAssessment", "AssessmentFactors")
                } else {
                    ("AssessmentFactors", "AssessmentFactor")
                };
                let _ = writeln!(x, "          <{outer}>");
                for f in factors {
                    let _ = writeln!(x, "            <{inner}>{f}</{inner}>");
                }
                let _ = writeln!(x, "          </{outer}>");
                x.push_str("        </Assessments>\n");
            }
            x.push_str("        <ReferralNFA>false</ReferralNFA>\n      </CINdetails>\n");
        }
        x.push_str("    </Child>\n");
    }
    x.push_str("  </Children>\n</Message>\n");
    x
}

/// One SSDA903 table to write: name, header, rows.
type Table903<'a> = (&'static str, &'static [&'static str], &'a Vec<Vec<String>>);

/// Writes `header`, `episodes` and `missing` of one SSDA903 return; returns the rows written.
fn write_903(
    cohort: &Cohort,
    year: i32,
    start: NaiveDate,
    end: NaiveDate,
    dir: &Path,
    rng: &mut ChaCha8Rng,
) -> Result<usize> {
    std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    let dmy = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let (mut header, mut episodes, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    for episode in &cohort.episodes {
        let person = &cohort.people[episode.person];
        let adult = person.dob + Duration::days(18 * 365);
        if episode.start > end || adult <= end || !seen.insert(episode.person) || !rng.random_bool(0.15) {
            continue;
        }
        let postcode = person.postcode.clone().unwrap_or_default();
        header.push(vec![
            person.child_id.clone(),
            sex_code(person.gender).replace('0', "1"),
            dmy(person.dob),
            person.ethnicity.unwrap_or("NOBT").to_string(),
            person.upn.clone().unwrap_or_default(),
            String::new(),
            String::new(),
        ]);
        let decom = date_between(rng, start, end);
        episodes.push(vec![
            person.child_id.clone(),
            dmy(decom),
            "S".into(),
            pick_weighted(rng, &[("C2", 60), ("V2", 25), ("J2", 15)]).into(),
            pick_weighted(rng, &[("N1", 50), ("N4", 20), ("N8", 30)]).into(),
            pick_weighted(rng, &[("U1", 35), ("U4", 25), ("K2", 15), ("H5", 10), ("R1", 15)]).into(),
            pick_weighted(rng, &[("PR1", 60), ("PR4", 25), ("PR5", 15)]).into(),
            String::new(),
            String::new(),
            String::new(),
            postcode.clone(),
            postcode,
            format!("SC{:06}", rng.random_range(100_000..999_999)),
        ]);
        if rng.random_bool(0.45) {
            for _ in 0..rng.random_range(1..=4) {
                let from = date_between(rng, decom, end);
                let to = (from + Duration::days(rng.random_range(0..=6))).min(end);
                missing.push(vec![
                    person.child_id.clone(),
                    dmy(person.dob),
                    pick_weighted(rng, &[("M", 70), ("A", 30)]).into(),
                    dmy(from),
                    if rng.random_bool(0.9) { dmy(to) } else { String::new() },
                ]);
            }
        }
    }
    // In odd years the export tool writes headers in lower case and another order.
    let odd = year % 2 == 1;
    let tables: [Table903<'_>; 3] = [
        ("header", &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"], &header),
        (
            "episodes",
            &[
                "CHILD",
                "DECOM",
                "RNE",
                "LS",
                "CIN",
                "PLACE",
                "PLACE_PROVIDER",
                "DEC",
                "REC",
                "REASON_PLACE_CHANGE",
                "HOME_POST",
                "PL_POST",
                "URN",
            ],
            &episodes,
        ),
        ("missing", &["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"], &missing),
    ];
    let mut rows = 0;
    for (name, columns, data) in tables {
        let order: Vec<usize> = if odd { (0..columns.len()).rev().collect() } else { (0..columns.len()).collect() };
        let path = dir.join(if odd { name.to_uppercase() } else { name.to_string() } + ".csv");
        let io = |source: csv::Error| Error::Csv { path: path.clone(), source };
        let mut w = csv::Writer::from_path(&path).map_err(io)?;
        let head: Vec<String> =
            order.iter().map(|&i| if odd { columns[i].to_lowercase() } else { columns[i].to_string() }).collect();
        w.write_record(&head).map_err(io)?;
        for row in data {
            w.write_record(order.iter().map(|&i| row[i].as_str())).map_err(io)?;
        }
        w.flush().map_err(Error::io("cannot write", &path))?;
        rows += data.len();
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_fall_in_collection_years_ending_in_march() {
        let periods = Period::parse_range("2025Q1..2025Q4").expect("range");
        assert_eq!(collection_years(&periods), vec![2025, 2026]);
        assert_eq!(collection_years(&[Period::quarter(2024, 2)]), vec![2025]);
    }

    #[test]
    fn every_harm_maps_to_an_efh_factor() {
        let efh: Vec<&str> = EFH_FACTORS.iter().map(|(c, _)| *c).collect();
        for harm in ["CCE", "CSE", "SYV", "GANG", "TRAFFICKING", "MISSING", "ONLINE", "PEER_ABUSE", "OTHER"] {
            assert!(efh.contains(&factor_for(harm)), "{harm}");
        }
    }
}
