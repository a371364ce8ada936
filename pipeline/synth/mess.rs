//! Mess: how each return's files are written (encodings, date styles,
//! header aliases, workbooks) and the deliberately bad rows planted in them.

#![allow(unused_imports)] // one import list for the generator's parts

use chrono::{Duration, NaiveDate};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::*;

/// How one return's files are written.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) format: Format,
    pub(super) encoding: &'static str,
    pub(super) date_style: &'static str,
    pub(super) header_style: &'static str,
    pub(super) is_messy: bool,
}

pub(super) fn style_for(options: &SynthOptions, authority_index: usize, return_index: usize) -> Style {
    if !options.is_messy {
        return Style {
            format: options.format,
            encoding: "utf-8",
            date_style: if options.format == Format::Xlsx { "serial" } else { "iso" },
            header_style: "canonical",
            is_messy: false,
        };
    }
    // Cycle through the kinds of mess so that any four returns hold all of them.
    let format = if options.format == Format::Xlsx || return_index % 4 == 3 { Format::Xlsx } else { Format::Csv };
    let encoding = match (format, return_index % 4) {
        (Format::Xlsx, _) => "utf-8",
        (_, 1) => "windows-1252",
        (_, 2) => "utf-8-bom",
        _ => "utf-8",
    };
    let date_style = match format {
        Format::Xlsx => "serial",
        Format::Csv if authority_index.is_multiple_of(2) => "dmy",
        Format::Csv => "iso",
    };
    let header_style = ["alias", "title", "shuffled-alias", "canonical"][(authority_index + return_index) % 4];
    Style { format, encoding, date_style, header_style, is_messy: true }
}

pub(super) fn plant_bad_rows(
    tables: &mut [Table],
    cohort: &Cohort,
    rng: &mut ChaCha8Rng,
    period: Period,
) -> Vec<PlantedRow> {
    let mut planted = Vec::new();
    let known: Vec<String> = tables[0]
        .rows
        .iter()
        .filter_map(|r| match &r[0] {
            Cell::Text(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let base_person = cohort.people[0].clone();
    let young_person = |id: Cell, dob: Cell| -> Vec<Cell> {
        vec![
            id,
            Cell::Text(base_person.first.clone()),
            Cell::Text(base_person.last.clone()),
            dob,
            Cell::Code("F"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]
    };
    let mut insert =
        |tables: &mut [Table], t: usize, row: Vec<Cell>, column: &str, rule: &str, rng: &mut ChaCha8Rng| {
            let rows = &mut tables[t].rows;
            let at = rng.random_range(0..=rows.len());
            rows.insert(at, row);
            for p in planted.iter_mut() {
                let p: &mut PlantedRow = p;
                if p.table == tables[t].name && p.row >= at + 2 {
                    p.row += 1;
                }
            }
            planted.push(PlantedRow {
                file: String::new(),
                table: tables[t].name.to_string(),
                row: at + 2,
                column: column.to_string(),
                rule: rule.to_string(),
            });
        };
    insert(tables, 0, young_person(Cell::Empty, Cell::Date(base_person.dob)), "child_id", "required", rng);
    let year = period.year() - 14;
    insert(
        tables,
        0,
        young_person(Cell::Text(format!("BAD{:05}", rng.random_range(0..99999))), Cell::Raw(format!("31/02/{year}"))),
        "date_of_birth",
        "date",
        rng,
    );
    let template = tables[1].rows.first().cloned();
    if let (Some(template), Some(child)) = (template, known.first()) {
        let mut row = template.clone();
        row[0] = Cell::Text(format!("EPX{:06}", rng.random_range(0..999999)));
        row[1] = Cell::Text(child.clone());
        row[4] = Cell::Raw("Carrier Pigeon".into());
        insert(tables, 1, row, "referral_source", "code", rng);
        let mut row = template;
        row[0] = Cell::Text(format!("EPY{:06}", rng.random_range(0..999999)));
        row[1] = Cell::Text(format!("ZZ{:06}", rng.random_range(0..999999)));
        insert(tables, 1, row, "child_id", "reference", rng);
    }
    planted
}

/// A cell as it will be written.
#[cfg(test)]
mod tests {
    use super::*;

    fn options(is_messy: bool, format: Format) -> SynthOptions {
        SynthOptions {
            out: std::path::PathBuf::new(),
            authorities: 2,
            young_people: 10,
            periods: vec![],
            seed: 1,
            format,
            is_messy,
            is_statutory: false,
        }
    }

    #[test]
    fn any_four_messy_returns_hold_every_kind_of_mess() {
        let opts = options(true, Format::Csv);
        for first in 0..8 {
            let styles: Vec<Style> = (first..first + 4).map(|r| style_for(&opts, first % 3, r)).collect();
            for encoding in ["utf-8", "windows-1252", "utf-8-bom"] {
                assert!(styles.iter().any(|s| s.encoding == encoding), "{encoding} from return {first}");
            }
            assert!(styles.iter().any(|s| s.format == Format::Xlsx));
            assert!(styles.iter().all(|s| s.is_messy));
        }
    }

    #[test]
    fn tidy_returns_are_canonical() {
        let style = style_for(&options(false, Format::Csv), 1, 3);
        assert_eq!((style.encoding, style.date_style, style.header_style), ("utf-8", "iso", "canonical"));
        assert_eq!(style_for(&options(false, Format::Xlsx), 0, 0).date_style, "serial");
    }
}
