//! The names pass: what an authority's free text must lose.
//!
//! Notes in one quarter mention young people from another, so the scrubber
//! of an authority knows the names, child ids and schools in all of that
//! authority's returns. This pass reads only those columns of every
//! `young_people` table (rows that fail validation count too: their names
//! must not leak either) and gives each person the token their names become
//! in notes. A keyed digest of the list lets a build tell whether it changed
//! without storing a name.

use std::collections::BTreeMap;

use crate::config::schema::{IdKind, Schemas};
use crate::ingest::discover::ReturnDir;
use crate::ingest::normalise::normalise;
use crate::ingest::read::{BATCH_ROWS, RawCell, TableReader};
use crate::privacy::keys::Pseudonymiser;
use crate::privacy::scrub::{Scrubber, person_token};

/// What the scrubber of an authority must find: its young people's names and their schools.
/// Its `Debug` shows only how many of each it holds.
#[derive(Clone, Default)]
pub struct KnownNames {
    /// (token, first name, last name) of every young person.
    pub people: Vec<(String, String, String)>,
    /// Names of the schools they attend.
    pub schools: Vec<String>,
    /// (token, child id) of every young person.
    pub ids: Vec<(String, String)>,
}

impl std::fmt::Debug for KnownNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownNames")
            .field("people", &self.people.len())
            .field("schools", &self.schools.len())
            .field("ids", &self.ids.len())
            .finish_non_exhaustive()
    }
}

impl KnownNames {
    /// A scrubber that knows these names.
    pub fn scrubber(&self) -> Scrubber {
        Scrubber::new(&self.people).with_schools(&self.schools).with_ids(&self.ids)
    }

    /// A keyed digest of the names, so a manifest can tell whether they changed.
    pub fn digest(&self, pseudonymiser: &Pseudonymiser) -> String {
        let mut parts: Vec<String> = self
            .people
            .iter()
            .map(|(token, first, last)| format!("{token}\x1f{}\x1f{}", normalise(first), normalise(last)))
            .collect();
        parts.extend(self.schools.iter().map(|s| format!("school\x1f{}", normalise(s))));
        parts.extend(self.ids.iter().map(|(token, id)| format!("id\x1f{token}\x1f{}", normalise(id))));
        pseudonymiser.keyed_digest("names", &parts)
    }
}

/// Names of every young person in the return, with their tokens, and their schools.
/// Rows that fail validation still count: their names must not leak either.
fn names_in_return(ret: &ReturnDir, schemas: &Schemas, pseudonymiser: &Pseudonymiser, out: &mut KnownNames) {
    let Some(schema) = schemas.table("young_people") else { return };
    let Some(source) = ret.tables.get(&schema.name) else { return };
    let col = |name: &str| schema.column_index(name);
    let (Some(id_col), Some(first_col), Some(last_col)) = (col("child_id"), col("first_name"), col("last_name")) else {
        return;
    };
    let school_col = col("school_name");
    let wanted: Vec<usize> =
        [Some(id_col), Some(first_col), Some(last_col), school_col].into_iter().flatten().collect();
    let Ok(reader) = TableReader::open(source, schema) else { return };
    let mut reader = reader.only_columns(&wanted);
    let text = |c: &RawCell| match c {
        RawCell::Text(t) => t.trim().to_string(),
        RawCell::Number(n) => n.to_string(),
        _ => String::new(),
    };
    while let Ok(Some(batch)) = reader.next_batch(BATCH_ROWS) {
        for row in batch {
            let id = text(&row.cells[id_col]);
            let token = if id.is_empty() {
                "[PERSON]".to_string()
            } else {
                person_token(&pseudonymiser.pseudonym(IdKind::Person, &ret.authority_code, &id))
            };
            if !id.is_empty() {
                out.ids.push((token.clone(), id.clone()));
            }
            let (first, last) = (text(&row.cells[first_col]), text(&row.cells[last_col]));
            if !first.is_empty() || !last.is_empty() {
                out.people.push((token, first, last));
            }
            if let Some(school) = school_col.map(|c| text(&row.cells[c])).filter(|s| !s.is_empty()) {
                out.schools.push(school);
            }
        }
    }
}

/// Names of the young people (and schools) in every return given, by authority.
pub fn names_by_authority<'r>(
    returns: impl IntoIterator<Item = &'r ReturnDir>,
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
) -> BTreeMap<String, KnownNames> {
    let mut names: BTreeMap<String, KnownNames> = BTreeMap::new();
    for ret in returns {
        names_in_return(ret, schemas, pseudonymiser, names.entry(ret.authority_code.clone()).or_default());
    }
    for known in names.values_mut() {
        known.people.sort();
        known.people.dedup();
        known.schools.sort();
        known.schools.dedup();
        known.ids.sort();
        known.ids.dedup();
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_counts_not_names() {
        let known = KnownNames {
            people: vec![("[PERSON:1]".into(), "Amara".into(), "Okonkwo".into())],
            schools: vec!["Harlington Community School".into()],
            ids: vec![("[PERSON:1]".into(), "C00123".into())],
        };
        let shown = format!("{known:?}");
        for secret in ["Amara", "Okonkwo", "Harlington", "C00123"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
