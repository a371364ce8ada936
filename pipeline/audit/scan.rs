//! Scanning outputs: every text and Parquet column against every identifier.
//!
//! Ids and postcodes are looked up token by token in one fingerprint index
//! each ([`crate::audit::fingerprint`]), dates of
//! birth with one automaton, names word by word in the free text of their
//! own authority, so a file is read once whatever the number of
//! authorities.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aho_corasick::AhoCorasick;
use arrow::array::{Array, Date32Array, ListArray, StringArray};
use arrow::datatypes::DataType;
use chrono::NaiveDate;

use crate::audit::Finding;
use crate::audit::fingerprint::Index;
use crate::audit::identifiers::Identifiers;
use crate::audit::residue::{self, Residue};
use crate::audit::text::{alphanumeric_runs, fold_word, is_ordinary_word, placeholders, words};
use crate::config::schema::{Schemas, Treatment};
use crate::error::{Error, Result};

/// The authority a path inside `tables/` belongs to, if any.
fn authority_of(rel: &str) -> Option<String> {
    rel.split('/').find_map(|part| part.strip_prefix("authority_code=")).map(str::to_string)
}

/// A hash map with a fast hash.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Fewest dates a statutory date column needs before it is judged a column of birth dates: the
/// public sample files' few rows meet each other's made-up birth dates by chance.
const MIN_DATES_FOR_BIRTH_COLUMN: usize = 20;

/// Every authority's ids and postcodes in one index each (looked up token by token) and dates
/// of birth in one automaton, so a text is read once whatever the number of authorities.
pub struct Global {
    authorities: Vec<String>,
    /// Ids (uppercase, no spaces) → kind and authority. There are tens of millions in a
    /// large warehouse: held as fingerprints.
    codes: Index,
    /// Compact postcodes (uppercase, no spaces) → authorities.
    postcodes: Index,
    dates: Vec<usize>,
    dates_ac: Option<AhoCorasick>,
    dob: FastMap<NaiveDate, Vec<usize>>,
    /// Dates of birth from the statutory returns, by authority.
    statutory_dob: FastMap<NaiveDate, Vec<usize>>,
}

impl Global {
    /// Takes the ids and postcodes out of `by_authority` (one authority's list is freed as
    /// soon as it is copied, so they are never held twice); dates and names stay.
    pub fn new(by_authority: &mut BTreeMap<String, Identifiers>) -> Global {
        let mut g = Global {
            authorities: by_authority.keys().cloned().collect(),
            codes: Index::default(),
            postcodes: Index::default(),
            dates: Vec::new(),
            dates_ac: None,
            dob: FastMap::default(),
            statutory_dob: FastMap::default(),
        };
        let mut date_texts = Vec::new();
        let mut codes = Vec::with_capacity(by_authority.values().map(|ids| ids.codes.len()).sum());
        let mut postcodes = Vec::with_capacity(by_authority.values().map(|ids| ids.postcodes.len()).sum());
        for (a, ids) in by_authority.values_mut().enumerate() {
            // Each authority's list is freed as soon as it is copied, so ids are never held twice.
            codes.extend(std::mem::take(&mut ids.codes).into_iter().map(|c| c | a as u128 & 0xff_ffff));
            postcodes.extend(std::mem::take(&mut ids.postcodes).into_iter().map(|p| p | a as u128 & 0xff_ffff));
            for d in &ids.dates_of_birth {
                g.dob.entry(*d).or_default().push(a);
            }
            for d in &ids.statutory_dates_of_birth {
                g.statutory_dob.entry(*d).or_default().push(a);
            }
            for d in ids.dates_of_birth.iter().chain(&ids.statutory_dates_of_birth) {
                for form in [d.format("%Y-%m-%d").to_string(), d.format("%d/%m/%Y").to_string()] {
                    date_texts.push(form);
                    g.dates.push(a);
                }
            }
        }
        g.dates_ac = AhoCorasick::new(&date_texts).ok();
        g.codes = Index::new(codes);
        g.postcodes = Index::new(postcodes);
        tracing::debug!(codes_bytes = g.codes.bytes(), postcodes_bytes = g.postcodes.bytes(), "audit identifiers held");
        g
    }
}

pub struct Scanner<'a> {
    pub by_authority: &'a BTreeMap<String, Identifiers>,
    pub global: Global,
    pub schemas: &'a Schemas,
}

/// What to look for in one piece of text.
#[derive(Clone, Copy)]
pub struct Look {
    /// Names (free text of the value's own authority).
    pub names: bool,
    /// Ids made only of digits (not in aggregate files full of numbers).
    pub numeric_ids: bool,
}

impl Scanner<'_> {
    /// Whether a Parquet column of a table under `rel` holds free text.
    fn is_free_text(&self, rel: &str, column: &str) -> bool {
        let table = rel.strip_prefix("tables/").and_then(|r| r.split('/').next());
        table
            .and_then(|t| self.schemas.table(t))
            .is_some_and(|t| t.columns.iter().any(|c| c.treatment == Treatment::Scrub && c.name == column))
    }

    /// Flags a date column of a statutory table that holds birth dates: most of its dates are
    /// children's birth dates, far more than the same dates a day later are (event dates meet
    /// birth dates by chance as often one day as the next; a column of birth dates does not).
    fn birth_date_column(&self, rel: &str, column: &str, dates: &[NaiveDate], findings: &mut BTreeSet<Finding>) {
        let g = &self.global;
        if dates.len() < MIN_DATES_FOR_BIRTH_COLUMN || g.statutory_dob.is_empty() {
            return;
        }
        let mut owners: BTreeMap<usize, usize> = BTreeMap::new();
        let mut shifted = 0;
        for d in dates {
            for a in g.statutory_dob.get(d).into_iter().flatten() {
                *owners.entry(*a).or_default() += 1;
            }
            shifted += usize::from(d.succ_opt().is_some_and(|n| g.statutory_dob.contains_key(&n)));
        }
        for (a, hits) in owners {
            if 2 * hits >= dates.len() && hits > 2 * shifted + dates.len() / 10 {
                findings.insert(Finding {
                    file: rel.to_string(),
                    column: column.to_string(),
                    kind: "date_of_birth".to_string(),
                    authority_code: g.authorities[a].clone(),
                });
            }
        }
    }

    /// Whether a warehouse file holds a table of a statutory return.
    fn is_statutory(&self, rel: &str) -> bool {
        let table = rel.strip_prefix("tables/").and_then(|r| r.split('/').next());
        table.and_then(|t| self.schemas.table(t)).is_some_and(|t| t.source != crate::config::source::Source::Cs)
    }

    #[allow(clippy::too_many_arguments)] // where the text is from, what to look for, where to put it
    pub fn scan_text(
        &self,
        rel: &str,
        column: &str,
        text: &str,
        dates: &[NaiveDate],
        look: Look,
        findings: &mut BTreeSet<Finding>,
    ) {
        let g = &self.global;
        let mut hits: BTreeSet<(usize, &'static str)> = BTreeSet::new();
        let upper = text.to_uppercase();
        // Ids are looked up token by token (a token keeps inner `-`, `_` and `/`, so
        // CTX-1-0001 stays whole; its parts are looked up too): one pass, whatever the number of ids.
        if !g.codes.is_empty() {
            let is_token_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '/');
            for token in upper.split(|c: char| !is_token_char(c)) {
                let token = token.trim_matches(|c: char| !c.is_alphanumeric());
                if token.chars().count() < 3 {
                    continue;
                }
                let parts = std::iter::once(token).chain(token.split(['-', '_', '/']).filter(|p| *p != token));
                for part in parts {
                    if look.numeric_ids || !part.bytes().all(|b| b.is_ascii_digit()) {
                        hits.extend(g.codes.owners(part).map(|(kind, a)| (a, kind.name())));
                    }
                }
            }
        }
        // Postcodes as whole tokens, written without a space ("UB81QX") or with one before
        // the inward code ("UB8 1QX"): so one made of hex digits never matches inside a pseudonym.
        if !g.postcodes.is_empty() {
            let mut tokens = alphanumeric_runs(&upper).peekable();
            let mut joined = String::new();
            while let Some((start, end)) = tokens.next() {
                let token = &upper[start..end];
                hits.extend(g.postcodes.owners(token).map(|(kind, a)| (a, kind.name())));
                if let Some(&(next_start, next_end)) = tokens.peek()
                    && &upper[end..next_start] == " "
                    && upper[next_start..next_end].chars().count() == 3
                {
                    joined.clear();
                    joined.push_str(token);
                    joined.push_str(&upper[next_start..next_end]);
                    hits.extend(g.postcodes.owners(&joined).map(|(kind, a)| (a, kind.name())));
                }
            }
        }
        if let Some(ac) = &g.dates_ac {
            for m in ac.find_overlapping_iter(text) {
                hits.insert((g.dates[m.pattern().as_usize()], "date_of_birth"));
            }
        }
        for d in dates {
            for a in g.dob.get(d).into_iter().flatten() {
                hits.insert((*a, "date_of_birth"));
            }
        }
        // Names only in the free text of their own authority: there the scrubber removes them in any case.
        let owner = authority_of(rel);
        if look.names
            && let Some(owner) = owner
            && let Some(ids) = self.by_authority.get(&owner)
        {
            // The scrubber's own placeholders ([NAME], [PERSON:…], [DATE]…) are not names,
            // even for a young person called Name or Date.
            let without_placeholders = placeholders().replace_all(text, " ");
            let mut key = String::new();
            let has_name = words(&without_placeholders).any(|w| {
                fold_word(w, &mut key);
                ids.names.contains(key.as_str())
                    && (!is_ordinary_word(&key) || w.chars().next().is_some_and(char::is_uppercase))
            });
            if has_name && let Some(a) = g.authorities.iter().position(|c| *c == owner) {
                hits.insert((a, "name"));
            }
        }
        for (a, kind) in hits {
            findings.insert(Finding {
                file: rel.to_string(),
                column: column.to_string(),
                kind: kind.to_string(),
                authority_code: g.authorities[a].clone(),
            });
        }
    }

    pub fn scan_parquet(
        &self,
        path: &Path,
        rel: &str,
        findings: &mut BTreeSet<Finding>,
        residue: &mut Residue,
    ) -> Result<()> {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let bad = |source| Error::Parquet { action: "cannot read", path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(Error::io("cannot read", path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(bad)?.build().map_err(bad)?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.into()))?;
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                let mut text = String::new();
                let mut dates = Vec::new();
                let look = Look { names: self.is_free_text(rel, field.name()), numeric_ids: true };
                match field.data_type() {
                    // Counts and flags cannot hold an identifier; a number there equal to an id is chance.
                    DataType::Int32 | DataType::Int64 | DataType::Float64 | DataType::Boolean => continue,
                    // The statutory returns' dates are events over many years, babies' births among
                    // them (a referral on the day a child is born): one date equal to some child's
                    // birth date is no sign of a leak. A column of birth dates is.
                    DataType::Date32 if self.is_statutory(rel) => {
                        if let Some(a) = array.as_any().downcast_ref::<Date32Array>() {
                            let dates: Vec<NaiveDate> =
                                (0..a.len()).filter(|&i| a.is_valid(i)).filter_map(|i| a.value_as_date(i)).collect();
                            self.birth_date_column(rel, field.name(), &dates, findings);
                        }
                        continue;
                    }
                    DataType::Date32 => {
                        if let Some(a) = array.as_any().downcast_ref::<Date32Array>() {
                            dates.extend((0..a.len()).filter(|&i| a.is_valid(i)).filter_map(|i| a.value_as_date(i)));
                        }
                    }
                    DataType::List(_) => {
                        if let Some(l) = array.as_any().downcast_ref::<ListArray>() {
                            let values = l.values();
                            if let Some(s) = values.as_any().downcast_ref::<StringArray>() {
                                for i in (0..s.len()).filter(|&i| s.is_valid(i)) {
                                    text.push_str(s.value(i));
                                    text.push('\n');
                                }
                            }
                        }
                    }
                    _ => {
                        let cast = arrow::compute::cast(array, &DataType::Utf8).map_err(|source| Error::Arrow {
                            context: format!("reading {}", path.display()),
                            source,
                        })?;
                        if let Some(s) = cast.as_any().downcast_ref::<StringArray>() {
                            for i in (0..s.len()).filter(|&i| s.is_valid(i)) {
                                text.push_str(s.value(i));
                                text.push('\n');
                            }
                        }
                    }
                }
                if look.names {
                    let table = rel.strip_prefix("tables/").and_then(|r| r.split('/').next()).unwrap_or(rel);
                    residue::count(table, &text, residue);
                }
                self.scan_text(rel, field.name(), &text, &dates, look, findings);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fingerprint::{Kind, fingerprint, with_owner};
    use crate::audit::text::compact;
    /// Regression: postcodes made only of hex digits (E5 3AB) matched inside pseudonyms
    /// when text was compacted, and stopped a 25-authority build.
    #[test]
    fn a_hex_postcode_does_not_match_inside_a_pseudonym() {
        let schemas = Schemas::builtin().expect("schemas");
        let mut ids = Identifiers::default();
        ids.postcodes.push(with_owner(fingerprint("E53AB"), Kind::Postcode, 0));
        let mut by_authority = BTreeMap::new();
        by_authority.insert("E09000001".to_string(), ids);
        let global = Global::new(&mut by_authority);
        let scanner = Scanner { global, by_authority: &by_authority, schemas: &schemas };
        let look = Look { names: false, numeric_ids: true };
        let mut findings = BTreeSet::new();
        scanner.scan_text("t", "c", "9f0e53ab77c1d2e3f4a5b6c7d8e9f0a1\n", &[], look, &mut findings);
        assert!(findings.is_empty());
        scanner.scan_text("t", "c", "lives at E5 3AB now", &[], look, &mut findings);
        scanner.scan_text("t", "d", "lives at e53ab now", &[], look, &mut findings);
        assert_eq!(findings.len(), 2);
        scanner.scan_text("t", "e", "E5  3AB, XE5 3AB, E5 3ABC, E53 AB", &[], look, &mut findings);
        assert_eq!(findings.len(), 2, "only whole tokens, with one space or none before the inward code");
    }

    /// A postcode cell of letters outside ASCII is an identifier like any other, not a panic.
    #[test]
    fn postcodes_outside_ascii_are_looked_for() {
        let schemas = Schemas::builtin().expect("schemas");
        let mut ids = Identifiers::default();
        ids.postcodes.push(with_owner(fingerprint(&compact("ÅB1 Ø2Å")), Kind::Postcode, 0));
        // Six bytes, three characters: cutting three bytes off the end would split a character.
        ids.postcodes.push(with_owner(fingerprint(&compact("ÅÅÅ")), Kind::Postcode, 0));
        let mut by_authority = BTreeMap::new();
        by_authority.insert("E09000001".to_string(), ids);
        let global = Global::new(&mut by_authority);
        let scanner = Scanner { global, by_authority: &by_authority, schemas: &schemas };
        let mut findings = BTreeSet::new();
        let look = Look { names: false, numeric_ids: true };
        scanner.scan_text("t", "c", "seen at åb1 ø2å today", &[], look, &mut findings);
        assert_eq!(findings.len(), 1);
        scanner.scan_text("t", "d", "seen at ÅÅÅ today", &[], look, &mut findings);
        assert_eq!(findings.len(), 2);
    }
}
