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
use std::sync::Arc;

use crate::config::schema::{IdKind, Schemas, TableSchema, Treatment};
use crate::ingest::discover::ReturnDir;
use crate::ingest::normalise::normalise;
use crate::ingest::read::{BATCH_ROWS, RawCell, RawRow, TableReader};
use crate::privacy::keys::Pseudonymiser;
use crate::privacy::scrub::{Lexicon, Scrubber, person_token};

/// What the scrubber of an authority must find: its young people's names and their schools.
/// Its `Debug` shows only how many of each it holds.
#[derive(Clone, Default)]
pub struct KnownNames {
    /// (token, first name, last name) of every young person, and one entry per other name
    /// they go by (full name, known as); parents' and carers' names under the token `[NAME]`.
    pub people: Vec<(String, String, String)>,
    /// Names of the schools they attend.
    pub schools: Vec<String>,
    /// (token, id) of every id of the return: a young person's token for a child id, a typed
    /// token (`[EPISODE]`, `[UPN]`…) for the others.
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
    /// A scrubber that knows these names and keeps only the words of `lexicon`.
    pub fn scrubber(&self, lexicon: &Arc<Lexicon>) -> Scrubber {
        Scrubber::with_lexicon(&self.people, lexicon.clone()).with_schools(&self.schools).with_ids(&self.ids)
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

/// The table the names pass reads: the young people, with their names and ids.
pub const NAMES_TABLE: &str = "young_people";

/// The columns of `young_people` that hold a name: (column, how to read it).
const NAME_COLUMNS: &[(&str, NameColumn)] = &[
    ("first_name", NameColumn::First),
    ("last_name", NameColumn::Last),
    ("full_name", NameColumn::Full),
    ("known_as", NameColumn::Other),
    ("parent_names", NameColumn::Parents),
];

#[derive(Clone, Copy, PartialEq)]
enum NameColumn {
    First,
    Last,
    /// "Jakub Kowalczyk": every word a name of the person.
    Full,
    /// A nickname or alias of the person; several may be separated by `;` or `,`.
    Other,
    /// Parents' or carers' names: names, but not the young person's.
    Parents,
}

/// Names of every young person in the return, with their tokens, and their schools.
/// Rows that fail validation still count: their names must not leak either. The table is
/// read even when it lacks a column that validation requires.
/// `held`: the table already read (see [`TableReader::into_held`]), whose rows are looked at
/// instead of reading the file again.
fn names_in_return(
    ret: &ReturnDir,
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
    held: Option<&TableReader>,
    out: &mut KnownNames,
) {
    let Some(schema) = schemas.table(NAMES_TABLE) else { return };
    let Some(source) = ret.tables.get(&schema.name) else { return };
    let col = |name: &str| schema.column_index(name);
    let id_col = col("child_id");
    let school_col = col("school_name");
    // The table's other ids (the UPN) are learned in the same read.
    let other_ids = id_columns(schema);
    let name_cols: Vec<(usize, NameColumn)> =
        NAME_COLUMNS.iter().filter_map(|(name, kind)| col(name).map(|i| (i, *kind))).collect();
    let wanted: Vec<usize> = name_cols
        .iter()
        .map(|(i, _)| *i)
        .chain(id_col)
        .chain(school_col)
        .chain(other_ids.iter().map(|(i, _)| *i))
        .collect();
    // Each cell is read once, so its string is moved out of the row rather than copied.
    let text = |c: &mut RawCell| match std::mem::replace(c, RawCell::Empty) {
        RawCell::Text(t) if t.trim().len() == t.len() => t,
        RawCell::Text(t) => t.trim().to_string(),
        RawCell::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let mut learn = |row: &mut RawRow| {
        let id = id_col.map(|c| text(&mut row.cells[c])).unwrap_or_default();
        let token = if id.is_empty() {
            "[PERSON]".to_string()
        } else {
            person_token(&pseudonymiser.pseudonym(IdKind::Person, &ret.authority_code, &id))
        };
        if !id.is_empty() {
            out.ids.push((token.clone(), id.clone()));
        }
        let mut cell = |kind: NameColumn| {
            name_cols.iter().find(|(_, k)| *k == kind).map(|(i, _)| text(&mut row.cells[*i])).unwrap_or_default()
        };
        let (first, last) = (cell(NameColumn::First), cell(NameColumn::Last));
        if !first.is_empty() || !last.is_empty() {
            out.people.push((token.clone(), first, last));
        }
        let full = cell(NameColumn::Full);
        if let Some((given, family)) = full.trim().rsplit_once(char::is_whitespace) {
            out.people.push((token.clone(), given.trim().to_string(), family.trim().to_string()));
        } else if !full.is_empty() {
            out.people.push((token.clone(), full, String::new()));
        }
        for alias in cell(NameColumn::Other).split([';', ',', '/']).map(str::trim).filter(|a| !a.is_empty()) {
            out.people.push((token.clone(), alias.to_string(), String::new()));
        }
        let parents = cell(NameColumn::Parents);
        for parent in parents.split([';', ',', '/', '&']).map(str::trim).filter(|p| !p.is_empty()) {
            out.people.push(("[NAME]".to_string(), parent.to_string(), String::new()));
        }
        if let Some(school) = school_col.map(|c| text(&mut row.cells[c])).filter(|s| !s.is_empty()) {
            out.schools.push(school);
        }
        for (i, token) in &other_ids {
            if let Some(id) = id_text(&row.cells[*i]) {
                out.ids.push((token.clone(), id));
            }
        }
    };
    match held {
        Some(reader) => {
            // The rows are read again later: the cells this pass needs are copied into one row.
            let mut copy = RawRow { row: 0, cells: vec![RawCell::Empty; schema.columns.len()] };
            for row in reader.held_rows() {
                for &c in &wanted {
                    copy.cells[c] = row.cells.get(c).cloned().unwrap_or(RawCell::Empty);
                }
                learn(&mut copy);
            }
        }
        None => {
            let Ok(mut reader) = TableReader::open_columns(source, schema, &wanted) else { return };
            while let Ok(Some(batch)) = reader.next_batch(BATCH_ROWS) {
                for mut row in batch {
                    learn(&mut row);
                }
            }
        }
    }
}

/// The return's other ids (episode, context, meeting and activity ids, UPNs), each with the
/// typed token it becomes in free text. Child ids come with the young people's names.
fn other_ids_in_return(ret: &ReturnDir, schemas: &Schemas, out: &mut KnownNames) {
    // The names pass reads its table's ids with the names.
    for schema in schemas.tables.iter().filter(|s| s.name != NAMES_TABLE) {
        let Some(source) = ret.tables.get(&schema.name) else { continue };
        let id_cols = id_columns(schema);
        if id_cols.is_empty() {
            continue;
        }
        let wanted: Vec<usize> = id_cols.iter().map(|(i, _)| *i).collect();
        let Ok(mut reader) = TableReader::open_columns(source, schema, &wanted) else { continue };
        while let Ok(Some(batch)) = reader.next_batch(BATCH_ROWS) {
            for row in batch {
                for (i, token) in &id_cols {
                    if let Some(id) = id_text(&row.cells[*i]) {
                        out.ids.push((token.clone(), id));
                    }
                }
            }
        }
    }
}

/// The columns of a table holding ids other than a young person's or a school's (episode,
/// context, meeting and activity ids, UPNs), each with the typed token it becomes in free text.
fn id_columns(schema: &TableSchema) -> Vec<(usize, String)> {
    schema
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.treatment {
            Treatment::Pseudonymise { kind, .. } if !matches!(kind, IdKind::Person | IdKind::School) => {
                Some((i, format!("[{}]", kind.name().to_uppercase())))
            }
            _ if c.name == "upn" => Some((i, "[UPN]".to_string())),
            _ => None,
        })
        .collect()
}

/// An id as written in a cell, trimmed; `None` when empty or not a whole number.
fn id_text(cell: &RawCell) -> Option<String> {
    let id = match cell {
        RawCell::Text(t) => t.trim().to_string(),
        RawCell::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        _ => return None,
    };
    (!id.is_empty()).then_some(id)
}

/// Names of the young people (and schools) in every return given, by authority.
pub fn names_by_authority<'r>(
    returns: impl IntoIterator<Item = &'r ReturnDir>,
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
) -> BTreeMap<String, KnownNames> {
    names_by_authority_held(returns, schemas, pseudonymiser, |_| None)
}

/// [`names_by_authority`], with the young people's tables that are already read (`held`, by
/// return) looked at instead of their files.
pub fn names_by_authority_held<'r, 'h>(
    returns: impl IntoIterator<Item = &'r ReturnDir>,
    schemas: &Schemas,
    pseudonymiser: &Pseudonymiser,
    held: impl Fn(&ReturnDir) -> Option<&'h TableReader>,
) -> BTreeMap<String, KnownNames> {
    let mut names: BTreeMap<String, KnownNames> = BTreeMap::new();
    for ret in returns {
        let known = names.entry(ret.authority_code.clone()).or_default();
        names_in_return(ret, schemas, pseudonymiser, held(ret), known);
        other_ids_in_return(ret, schemas, known);
    }
    for known in names.values_mut() {
        known.people.sort_unstable();
        known.people.dedup();
        known.schools.sort_unstable();
        known.schools.dedup();
        known.ids.sort_unstable();
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
