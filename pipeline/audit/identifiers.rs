//! What the audit looks for: every identifying value in the raw returns.
//!
//! It reads the returns again itself, only the watched columns (names, ids,
//! UPNs, postcodes, dates of birth), and keeps them by authority. These are
//! raw values: [`Identifiers`] prints only counts in `Debug`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::audit::fingerprint::{Kind, fingerprint, with_owner};
use crate::audit::text::{compact, folded, name_parts};
use crate::config::schema::Schemas;
use crate::config::source::Source;
use crate::ingest::discover::ReturnDir;
use crate::ingest::read::{BATCH_ROWS, RawCell, TableReader};
use crate::ingest::validate::{parse_date, serial_date};

/// Raw identifying values of one authority's returns.
#[derive(Default)]
pub struct Identifiers {
    /// Normalised (uppercase, no spaces) ids and UPNs of three characters or more, as
    /// fingerprints with their kind ([`crate::audit::fingerprint`]).
    pub codes: Vec<u128>,
    /// Compact uppercase postcodes of five characters or more, as fingerprints.
    pub postcodes: Vec<u128>,
    /// Dates of birth of the CS return's young people (aged 5 and over, so no event date of
    /// a return is one by chance): looked for in every date and every text.
    pub dates_of_birth: HashSet<NaiveDate>,
    /// Dates of birth from the statutory returns, babies' among them: looked for in every text.
    /// Not in date columns, where a referral on the day a baby is born is an event, not a leak
    /// (the schemas keep no date of birth there: they generalise or drop it).
    pub statutory_dates_of_birth: HashSet<NaiveDate>,
    /// Folded name words.
    pub names: HashSet<String>,
}

impl std::fmt::Debug for Identifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identifiers")
            .field("codes", &self.codes.len())
            .field("postcodes", &self.postcodes.len())
            .field("dates_of_birth", &self.dates_of_birth.len())
            .field("statutory_dates_of_birth", &self.statutory_dates_of_birth.len())
            .field("names", &self.names.len())
            .finish()
    }
}

fn cell_text(cell: &RawCell) -> Option<String> {
    match cell {
        RawCell::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
        RawCell::Number(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
        _ => None,
    }
}

/// The input columns whose values must never reach an output.
const WATCHED: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "known_as",
    "parent_names",
    "date_of_birth",
    "postcode",
    "home_postcode",
    "placement_postcode",
    "upn",
    "former_upn",
    "child_id",
    "episode_id",
    "context_id",
    "meeting_id",
    "activity_id",
    "linked_child_ids",
];

/// The identifying values of one return.
fn identifiers_of(ret: &ReturnDir, schemas: &Schemas) -> Identifiers {
    let mut ids = Identifiers::default();
    for schema in &schemas.tables {
        let Some(source) = ret.tables.get(&schema.name) else { continue };
        let wanted: Vec<usize> = schema
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| WATCHED.contains(&c.name.as_str()))
            .map(|(i, _)| i)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let Ok(mut reader) = TableReader::open_columns(source, schema, &wanted) else { continue };
        while let Ok(Some(batch)) = reader.next_batch(BATCH_ROWS) {
            for row in batch {
                for (spec, cell) in schema.columns.iter().zip(&row.cells) {
                    match spec.name.as_str() {
                        "first_name" | "last_name" | "full_name" | "known_as" | "parent_names" => {
                            if let Some(t) = cell_text(cell) {
                                // A list of names ("Smokey; T") is split at its `;` first.
                                for part in t.split(';').flat_map(name_parts) {
                                    // "O'Driscoll" is looked for whole and as "Driscoll".
                                    let pieces = std::iter::once(part).chain(part.split(['\'', '’']));
                                    ids.names.extend(
                                        pieces.map(folded).filter(|w| {
                                            w.chars().count() >= 2 && !w.bytes().all(|b| b.is_ascii_digit())
                                        }),
                                    );
                                }
                            }
                        }
                        "date_of_birth" => {
                            let date = match cell {
                                RawCell::Date(d) => Some(*d),
                                RawCell::Number(n) => serial_date(*n),
                                RawCell::Text(t) => parse_date(t),
                                RawCell::Empty => None,
                            };
                            if schema.source == Source::Cs {
                                ids.dates_of_birth.extend(date);
                            } else {
                                ids.statutory_dates_of_birth.extend(date);
                            }
                        }
                        "postcode" | "home_postcode" | "placement_postcode" => {
                            if let Some(t) = cell_text(cell) {
                                let c = compact(&t);
                                if c.len() >= 5 {
                                    ids.postcodes.push(with_owner(fingerprint(&c), Kind::Postcode, 0));
                                }
                            }
                        }
                        "upn" | "former_upn" => ids.add_code(cell_text(cell).map(|t| compact(&t)), Kind::Upn),
                        "child_id" | "episode_id" | "context_id" | "meeting_id" | "activity_id" => {
                            ids.add_code(cell_text(cell).map(|t| compact(&t)), Kind::Identifier)
                        }
                        "linked_child_ids" => {
                            if let Some(t) = cell_text(cell) {
                                for id in t.split(';') {
                                    ids.add_code(Some(compact(id)), Kind::Identifier);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    ids
}

/// The identifiers of every return given, by authority.
pub fn collect(returns: &[ReturnDir], schemas: &Schemas) -> BTreeMap<String, Identifiers> {
    // Returns are read one per core, then merged by authority. Each list is sorted and
    // deduplicated where it is made, and moved rather than copied when it is an authority's
    // first, so a large warehouse's ids are not held twice.
    let per_return: Vec<Identifiers> = returns
        .par_iter()
        .map(|ret| {
            let mut ids = identifiers_of(ret, schemas);
            sorted(&mut ids.codes);
            sorted(&mut ids.postcodes);
            ids
        })
        .collect();
    let mut out: BTreeMap<String, Identifiers> = BTreeMap::new();
    let mut merged = BTreeSet::new();
    for (ret, found) in returns.iter().zip(per_return) {
        let ids = out.entry(ret.authority_code.clone()).or_default();
        if ids.codes.is_empty() && ids.postcodes.is_empty() {
            ids.codes = found.codes;
            ids.postcodes = found.postcodes;
        } else {
            ids.codes.extend(found.codes);
            ids.postcodes.extend(found.postcodes);
            merged.insert(ret.authority_code.clone());
        }
        ids.dates_of_birth.extend(found.dates_of_birth);
        ids.statutory_dates_of_birth.extend(found.statutory_dates_of_birth);
        ids.names.extend(found.names);
    }
    for code in &merged {
        if let Some(ids) = out.get_mut(code) {
            sorted(&mut ids.codes);
            sorted(&mut ids.postcodes);
        }
    }
    out
}

fn sorted(list: &mut Vec<u128>) {
    list.sort_unstable();
    list.dedup();
}

impl Identifiers {
    /// Keeps an id or UPN to look for. Ids of one or two characters ("C1") cannot be told
    /// apart from ordinary text: not looked for.
    fn add_code(&mut self, code: Option<String>, kind: Kind) {
        if let Some(code) = code
            && code.chars().count() >= 3
        {
            self.codes.push(with_owner(fingerprint(&code), kind, 0));
        }
    }
}
