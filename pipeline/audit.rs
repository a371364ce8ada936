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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use arrow::array::{Array, Date32Array, ListArray, StringArray};
use arrow::datatypes::DataType;
use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::read::{BATCH_ROWS, RawCell, TableReader, discover_returns};
use crate::schema::Schemas;
use crate::scrub::fold;

/// Raw identifying values of one authority's returns.
#[derive(Debug, Default)]
struct Identifiers {
    /// Normalised (uppercase, no spaces) ids and UPNs, with their kind.
    codes: Vec<(String, &'static str)>,
    /// Compact uppercase postcodes.
    postcodes: HashSet<String>,
    /// Dates of birth.
    dates_of_birth: HashSet<NaiveDate>,
    /// Folded name words.
    names: HashSet<String>,
}

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

fn cell_text(cell: &RawCell) -> Option<String> {
    match cell {
        RawCell::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
        RawCell::Number(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
        _ => None,
    }
}

fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// The input columns whose values must never reach an output.
const WATCHED: &[&str] = &[
    "first_name",
    "last_name",
    "date_of_birth",
    "postcode",
    "upn",
    "child_id",
    "episode_id",
    "context_id",
    "meeting_id",
    "activity_id",
    "linked_child_ids",
];

/// The identifying values of one return.
fn identifiers_of(ret: &crate::read::ReturnDir, schemas: &Schemas) -> Identifiers {
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
        let Ok(reader) = TableReader::open(source, schema) else { continue };
        let mut reader = reader.only_columns(&wanted);
        while let Ok(Some(batch)) = reader.next_batch(&source.path, BATCH_ROWS) {
            for row in batch {
                for (spec, cell) in schema.columns.iter().zip(&row.cells) {
                    match spec.name.as_str() {
                        "first_name" | "last_name" => {
                            if let Some(t) = cell_text(cell) {
                                ids.names.extend(
                                    t.split(|c: char| c.is_whitespace() || c == '-')
                                        .map(fold)
                                        .filter(|w| w.chars().count() >= 2),
                                );
                            }
                        }
                        "date_of_birth" => {
                            let date = match cell {
                                RawCell::Date(d) => Some(*d),
                                RawCell::Number(n) => crate::validate::serial_date(*n),
                                RawCell::Text(t) => crate::validate::parse_date(t),
                                RawCell::Empty => None,
                            };
                            ids.dates_of_birth.extend(date);
                        }
                        "postcode" => {
                            if let Some(t) = cell_text(cell) {
                                let c = compact(&t);
                                if c.len() >= 5 {
                                    ids.postcodes.insert(c);
                                }
                            }
                        }
                        "upn" => ids.codes.extend(cell_text(cell).map(|t| (compact(&t), "upn"))),
                        "child_id" | "episode_id" | "context_id" | "meeting_id" | "activity_id" => {
                            ids.codes.extend(cell_text(cell).map(|t| (compact(&t), "identifier")))
                        }
                        "linked_child_ids" => {
                            if let Some(t) = cell_text(cell) {
                                ids.codes.extend(
                                    t.split(';').map(compact).filter(|s| !s.is_empty()).map(|s| (s, "identifier")),
                                );
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

fn collect(returns_dir: &Path, schemas: &Schemas) -> Result<BTreeMap<String, Identifiers>> {
    let returns = discover_returns(returns_dir, schemas)?;
    // Returns are read one per core, then merged by authority.
    let per_return = crate::prepare::in_parallel(&returns, |ret| identifiers_of(ret, schemas));
    let mut out: BTreeMap<String, Identifiers> = BTreeMap::new();
    for (ret, found) in returns.iter().zip(per_return) {
        let ids = out.entry(ret.authority_code.clone()).or_default();
        ids.codes.extend(found.codes);
        ids.postcodes.extend(found.postcodes);
        ids.dates_of_birth.extend(found.dates_of_birth);
        ids.names.extend(found.names);
    }
    for ids in out.values_mut() {
        // Ids of one or two characters ("C1") cannot be told apart from ordinary text: not looked for.
        ids.codes.retain(|(c, _)| c.chars().count() >= 3);
        ids.codes.sort();
        ids.codes.dedup_by(|a, b| a.0 == b.0);
    }
    Ok(out)
}

/// Byte spans of the maximal runs of letters and digits of a text.
fn alphanumeric_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|(_, c)| c.is_alphanumeric())?;
        let mut end = text.len();
        while let Some(&(at, c)) = chars.peek() {
            if !c.is_alphanumeric() {
                end = at;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// Whether the match `start..end` of `haystack` is a whole token.
#[cfg(test)]
fn is_whole(haystack: &str, start: usize, end: usize) -> bool {
    let before = haystack[..start].chars().next_back();
    let after = haystack[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Whether `needle` occurs in `haystack` as a whole token.
#[cfg(test)]
fn contains_token(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, m)| is_whole(haystack, at, at + m.len()))
}

fn placeholders() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\[[A-Z]+(?::[0-9a-f]{1,32})?\]").unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

/// The authority a path inside `tables/` belongs to, if any.
fn authority_of(rel: &str) -> Option<String> {
    rel.split('/').find_map(|part| part.strip_prefix("authority_code=")).map(str::to_string)
}

/// A hash map for the look-up of every token of every output: a fast hash.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The kind and authority of an id: nearly always one of each, held without an allocation.
enum Owners {
    One((&'static str, usize)),
    Many(Vec<(&'static str, usize)>),
}

impl Owners {
    fn add(&mut self, owner: (&'static str, usize)) {
        match self {
            Owners::One(first) => *self = Owners::Many(vec![*first, owner]),
            Owners::Many(all) => all.push(owner),
        }
    }

    fn all(&self) -> &[(&'static str, usize)] {
        match self {
            Owners::One(owner) => std::slice::from_ref(owner),
            Owners::Many(all) => all,
        }
    }
}

/// Adds an owner of `key`, boxing the key only the first time it is seen.
fn add_owner(map: &mut FastMap<Box<str>, Owners>, key: String, owner: (&'static str, usize)) {
    match map.get_mut(key.as_str()) {
        Some(owners) => owners.add(owner),
        None => {
            map.insert(key.into_boxed_str(), Owners::One(owner));
        }
    }
}

/// The owners of `key`, if any.
fn owners_of<'m>(map: &'m FastMap<Box<str>, Owners>, key: &str) -> &'m [(&'static str, usize)] {
    map.get(key).map_or(&[], Owners::all)
}

/// Every authority's ids and postcodes in one map each (looked up token by token) and dates
/// of birth in one automaton, so a text is read once whatever the number of authorities.
struct Global {
    authorities: Vec<String>,
    /// Ids (uppercase, no spaces) → kind and authority. There are millions in a large
    /// warehouse: keys are boxed exactly and most values hold no allocation.
    codes: FastMap<Box<str>, Owners>,
    /// Compact postcodes (uppercase, no spaces) → authorities.
    postcodes: FastMap<Box<str>, Owners>,
    dates: Vec<usize>,
    dates_ac: Option<AhoCorasick>,
    dob: FastMap<NaiveDate, Vec<usize>>,
}

impl Global {
    /// Takes the ids out of `by_authority` (one authority's list is freed as soon as it is
    /// in the map, so they are never held twice); postcodes, dates and names stay.
    fn new(by_authority: &mut BTreeMap<String, Identifiers>) -> Global {
        let mut g = Global {
            authorities: by_authority.keys().cloned().collect(),
            codes: FastMap::default(),
            postcodes: FastMap::default(),
            dates: Vec::new(),
            dates_ac: None,
            dob: FastMap::default(),
        };
        let mut date_texts = Vec::new();
        for (a, ids) in by_authority.values_mut().enumerate() {
            for (code, kind) in std::mem::take(&mut ids.codes) {
                add_owner(&mut g.codes, code, (kind, a));
            }
            for p in std::mem::take(&mut ids.postcodes) {
                add_owner(&mut g.postcodes, p, ("postcode", a));
            }
            for d in &ids.dates_of_birth {
                g.dob.entry(*d).or_default().push(a);
                for form in [d.format("%Y-%m-%d").to_string(), d.format("%d/%m/%Y").to_string()] {
                    date_texts.push(form);
                    g.dates.push(a);
                }
            }
        }
        g.dates_ac = AhoCorasick::new(&date_texts).ok();
        g
    }
}

struct Scanner<'a> {
    by_authority: &'a BTreeMap<String, Identifiers>,
    global: Global,
    schemas: &'a Schemas,
}

/// What to look for in one piece of text.
#[derive(Clone, Copy)]
struct Look {
    /// Names (free text of the value's own authority).
    names: bool,
    /// Ids made only of digits (not in aggregate files full of numbers).
    numeric_ids: bool,
}

impl Scanner<'_> {
    /// Whether a Parquet column of a table under `rel` holds free text.
    fn is_free_text(&self, rel: &str, column: &str) -> bool {
        let table = rel.strip_prefix("tables/").and_then(|r| r.split('/').next());
        table.and_then(|t| self.schemas.table(t)).is_some_and(|t| {
            t.columns.iter().any(|c| c.treatment == crate::schema::Treatment::Scrub && c.name == column)
        })
    }

    #[allow(clippy::too_many_arguments)] // where the text is from, what to look for, where to put it
    fn scan_text(
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
                    for (kind, a) in owners_of(&g.codes, part) {
                        if look.numeric_ids || !part.bytes().all(|b| b.is_ascii_digit()) {
                            hits.insert((*a, *kind));
                        }
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
                for (kind, a) in owners_of(&g.postcodes, token) {
                    hits.insert((*a, kind));
                }
                if let Some(&(next_start, next_end)) = tokens.peek()
                    && &upper[end..next_start] == " "
                    && upper[next_start..next_end].chars().count() == 3
                {
                    joined.clear();
                    joined.push_str(token);
                    joined.push_str(&upper[next_start..next_end]);
                    for (kind, a) in owners_of(&g.postcodes, &joined) {
                        hits.insert((*a, kind));
                    }
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
            let has_name = without_placeholders
                .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
                .filter(|w| !w.is_empty())
                .any(|w| {
                    crate::scrub::fold_into(w, &mut key);
                    ids.names.contains(key.as_str())
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

    fn scan_parquet(&self, path: &Path, rel: &str, findings: &mut BTreeSet<Finding>) -> Result<()> {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let bad = |e: &dyn std::fmt::Display| Error::Input {
            path: path.to_path_buf(),
            message: format!("unreadable Parquet ({e})"),
        };
        let file = std::fs::File::open(path).map_err(Error::io("cannot read", path))?;
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(&e))?.build().map_err(|e| bad(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(&e))?;
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                let mut text = String::new();
                let mut dates = Vec::new();
                let look = Look { names: self.is_free_text(rel, field.name()), numeric_ids: true };
                match field.data_type() {
                    // Counts and flags cannot hold an identifier; a number there equal to an id is chance.
                    DataType::Int32 | DataType::Int64 | DataType::Float64 | DataType::Boolean => continue,
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
                        let cast = arrow::compute::cast(array, &DataType::Utf8).map_err(|e| bad(&e))?;
                        if let Some(s) = cast.as_any().downcast_ref::<StringArray>() {
                            for i in (0..s.len()).filter(|&i| s.is_valid(i)) {
                                text.push_str(s.value(i));
                                text.push('\n');
                            }
                        }
                    }
                }
                self.scan_text(rel, field.name(), &text, &dates, look, findings);
            }
        }
        Ok(())
    }
}

/// Audits every file under `root` against the identifiers in the returns under `returns_dir`.
pub fn audit(root: &Path, returns_dir: &Path, schemas: &Schemas) -> Result<Vec<Finding>> {
    let by_authority = collect(returns_dir, schemas)?;
    audit_with(root, by_authority, &[], schemas)
}

fn audit_with(
    root: &Path,
    mut by_authority: BTreeMap<String, Identifiers>,
    extra: &[PathBuf],
    schemas: &Schemas,
) -> Result<Vec<Finding>> {
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
    let per_file = crate::prepare::in_parallel(&files, |path| -> Result<BTreeSet<Finding>> {
        let mut findings = BTreeSet::new();
        let rel = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        if path.extension().is_some_and(|e| e == "parquet") {
            scanner.scan_parquet(path, &rel, &mut findings)?;
        } else {
            let bytes = std::fs::read(path).map_err(Error::io("cannot read", path))?;
            // Metric and report files are full of counts and populations: only ids with letters are looked for there.
            let is_aggregate =
                rel.starts_with("metrics/") || rel.starts_with("report/") || rel.ends_with("metric_values_exact.csv");
            let look = Look { names: false, numeric_ids: !is_aggregate };
            scanner.scan_text(&rel, "text", &String::from_utf8_lossy(&bytes), &[], look, &mut findings);
        }
        Ok(findings)
    });
    let mut findings = BTreeSet::new();
    for file in per_file {
        findings.extend(file?);
    }
    Ok(findings.into_iter().collect())
}

/// Audits `root` and also the given log files.
pub fn audit_with_logs(root: &Path, returns_dir: &Path, logs: &[PathBuf], schemas: &Schemas) -> Result<Vec<Finding>> {
    let by_authority = collect(returns_dir, schemas)?;
    audit_with(root, by_authority, logs, schemas)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: postcodes made only of hex digits (E5 3AB) matched inside pseudonyms
    /// when text was compacted, and stopped a 25-authority build.
    #[test]
    fn a_hex_postcode_does_not_match_inside_a_pseudonym() {
        let schemas = Schemas::builtin().expect("schemas");
        let mut ids = Identifiers::default();
        ids.postcodes.insert("E53AB".into());
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
        ids.postcodes.insert(compact("ÅB1 Ø2Å"));
        // Six bytes, three characters: cutting three bytes off the end would split a character.
        ids.postcodes.insert(compact("ÅÅÅ"));
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

    #[test]
    fn alphanumeric_runs_are_maximal() {
        let runs: Vec<_> = alphanumeric_runs("  ab-c1 Ø2å,").collect();
        assert_eq!(runs, [(2, 4), (5, 7), (8, 13)]);
        assert_eq!(alphanumeric_runs("").count(), 0);
    }

    #[test]
    fn tokens_are_whole() {
        assert!(contains_token("SEEN WITH C123 TODAY", "C123"));
        assert!(!contains_token("SEEN WITH C1234 TODAY", "C123"));
        assert!(!contains_token("ABC123", "C123"));
        assert!(contains_token("C123", "C123"));
    }
}
