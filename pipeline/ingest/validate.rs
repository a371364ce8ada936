//! Validation: raw cells → typed values, or a rejected row.
//!
//! Driven entirely by the schema: required columns, types (dates in three
//! forms, codes through their aliases, Y/N flags, counts, `;`-lists),
//! plausibility (dates not after the period, end not before start, age at the
//! period's end), unique ids, and references inside the return (an episode's
//! child is in young_people, a review's episode in episodes, a context's
//! linked children in young_people). A bad row becomes [`Rejection`]s naming
//! row, column and rule, never the value, and the rest of the file goes on.

/// Ids of a return are looked up for every row: a fast hash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use chrono::NaiveDate;

use crate::config::period::{Period, age_on};
use crate::config::schema::{ColumnSpec, ColumnType, IdKind, Schemas, TableSchema, Treatment};
use crate::ingest::normalise::normalise;
use crate::ingest::read::{RawCell, RawRow};

/// A validated value, still raw (identifiers and free text are not yet pseudonymised).
/// Its `Debug` shows codes, flags and counts, which are not identifying, and hides the rest.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text (identifier or free text).
    Text(String),
    /// A date.
    Date(NaiveDate),
    /// A canonical code.
    Code(String),
    /// Canonical codes.
    Codes(Vec<String>),
    /// Y/N.
    Flag(bool),
    /// A whole number ≥ 0.
    Count(i64),
    /// Identifiers (normalised).
    Ids(Vec<String>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Text(t) => write!(f, "Text(<{} chars hidden>)", t.chars().count()),
            Value::Date(_) => f.write_str("Date(<hidden>)"),
            Value::Code(code) => write!(f, "Code({code})"),
            Value::Codes(codes) => write!(f, "Codes({codes:?})"),
            Value::Flag(flag) => write!(f, "Flag({flag})"),
            Value::Count(n) => write!(f, "Count({n})"),
            Value::Ids(ids) => write!(f, "Ids(<{} hidden>)", ids.len()),
        }
    }
}

/// A row that passed every rule. Its `Debug` hides raw values (see [`Value`]).
#[derive(Debug, Clone)]
pub struct ValidRow {
    /// Spreadsheet row number.
    pub row: usize,
    /// One value per schema column.
    pub values: Vec<Value>,
}

/// The rules a row can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A required value is missing.
    Required,
    /// Not a date in a recognised form.
    Date,
    /// Not one of the accepted codes.
    Code,
    /// Not Y or N.
    Flag,
    /// Not a whole number of zero or more.
    Count,
    /// A date after the end of the return's period.
    NotInFuture,
    /// A date before the date it must follow.
    NotBefore,
    /// An age outside the plausible range.
    PlausibleAge,
    /// An id already used in an earlier row.
    Unique,
    /// Refers to something not in the return.
    Reference,
    /// A text longer than any real entry.
    TooLong,
    /// A quotation mark left open swallowed the following rows.
    Quote,
    /// A placeholder child (`*DUMMY*` ids of test records in statutory returns).
    Dummy,
}

impl Rule {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Date => "date",
            Rule::Code => "code",
            Rule::Flag => "flag",
            Rule::Count => "count",
            Rule::NotInFuture => "not_in_future",
            Rule::NotBefore => "not_before",
            Rule::PlausibleAge => "plausible_age",
            Rule::Unique => "unique",
            Rule::Reference => "reference",
            Rule::TooLong => "too_long",
            Rule::Quote => "quote",
            Rule::Dummy => "dummy",
        }
    }

    /// What a data manager should check, without the value.
    pub fn explain(self) -> &'static str {
        match self {
            Rule::Required => "a value is required",
            Rule::Date => "not a date; write YYYY-MM-DD or DD/MM/YYYY",
            Rule::Code => "not one of the accepted values (see data-dictionary.md)",
            Rule::Flag => "write Y or N",
            Rule::Count => "write a whole number, 0 or more",
            Rule::NotInFuture => "the date is after the end of the return's period",
            Rule::NotBefore => "the date is before the date it must follow",
            Rule::PlausibleAge => "the age at the end of the period is outside the plausible range",
            Rule::Unique => "this id was already used in an earlier row",
            Rule::Reference => "refers to an id that is not in the same return",
            Rule::TooLong => "the text is longer than 200,000 characters",
            Rule::Quote => {
                "a quotation mark is not closed: the rows after it were read into this cell; close the quote"
            }
            Rule::Dummy => "a placeholder record (its child id says DUMMY) is not a child; remove it from the return",
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Spreadsheet row number.
    pub row: usize,
    /// Canonical column name.
    pub column: String,
    /// The rule.
    pub rule: Rule,
}

/// Ids accepted so far in a return, for references between its tables.
#[derive(Default)]
pub struct ReturnIndex {
    ids: HashMap<(String, String), HashSet<String>>,
}

impl std::fmt::Debug for ReturnIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The ids of a return are raw identifiers: only how many each column holds is shown.
        let mut map = f.debug_map();
        for ((table, column), ids) in &self.ids {
            map.entry(&format_args!("{table}.{column}"), &ids.len());
        }
        map.finish()
    }
}

impl ReturnIndex {
    /// Every `(table, column)` some column refers to, ready to be filled.
    pub fn for_schemas(schemas: &Schemas) -> ReturnIndex {
        let mut ids = HashMap::default();
        for t in &schemas.tables {
            for c in &t.columns {
                if let Some(target) = &c.references {
                    ids.entry(target.clone()).or_insert_with(HashSet::default);
                }
            }
        }
        ReturnIndex { ids }
    }

    fn contains(&self, target: &(String, String), id: &str) -> bool {
        self.ids.get(target).is_some_and(|s| s.contains(id))
    }
}

/// Validates the rows of one table of one return.
pub struct TableValidator<'a> {
    schema: &'a TableSchema,
    period: Period,
    seen: Vec<HashSet<String>>,
    indexed: Vec<Option<(String, String)>>,
}

impl<'a> TableValidator<'a> {
    /// A validator for `schema` in a return of `period`.
    pub fn new(schema: &'a TableSchema, period: Period, index: &ReturnIndex) -> TableValidator<'a> {
        let indexed = schema
            .columns
            .iter()
            .map(|c| {
                let key = (schema.name.clone(), c.name.clone());
                index.ids.contains_key(&key).then_some(key)
            })
            .collect();
        TableValidator { schema, period, seen: vec![HashSet::default(); schema.columns.len()], indexed }
    }

    /// Checks one row; accepted rows' ids are added to `index` for later tables.
    pub fn check(&mut self, raw: RawRow, index: &mut ReturnIndex) -> Result<ValidRow, Vec<Rejection>> {
        let mut problems = Vec::new();
        let reject = |problems: &mut Vec<Rejection>, spec: &ColumnSpec, rule| {
            problems.push(Rejection { row: raw.row, column: spec.name.clone(), rule })
        };
        let mut values = Vec::with_capacity(raw.cells.len());
        let row_number = raw.row;
        for (spec, cell) in self.schema.columns.iter().zip(raw.cells) {
            let value = match parse_cell(spec, cell) {
                Ok(v) => v,
                Err(rule) => {
                    reject(&mut problems, spec, rule);
                    Value::Null
                }
            };
            if value == Value::Null && spec.is_required && !problems.iter().any(|p| p.column == spec.name) {
                reject(&mut problems, spec, Rule::Required);
            }
            values.push(value);
        }
        for (spec, value) in self.schema.columns.iter().zip(&values) {
            if let (Treatment::Pseudonymise { kind: IdKind::Person, .. }, Value::Text(id)) = (&spec.treatment, value)
                && is_dummy(id)
            {
                reject(&mut problems, spec, Rule::Dummy);
            }
        }
        let period_end = self.period.end();
        for (i, spec) in self.schema.columns.iter().enumerate() {
            let Value::Date(d) = values[i] else { continue };
            if spec.is_not_in_future && d > period_end {
                reject(&mut problems, spec, Rule::NotInFuture);
            }
            if let Some(before) = spec.not_before
                && let Value::Date(first) = values[before]
                && d < first
            {
                reject(&mut problems, spec, Rule::NotBefore);
            }
            if let Some((lo, hi)) = spec.age_range {
                if d > period_end {
                    reject(&mut problems, spec, Rule::NotInFuture);
                } else {
                    let age = age_on(d, period_end);
                    if age < lo as i32 || age > hi as i32 {
                        reject(&mut problems, spec, Rule::PlausibleAge);
                    }
                }
            }
        }
        for (i, spec) in self.schema.columns.iter().enumerate() {
            if let Some(target) = &spec.references {
                let ok = match &values[i] {
                    Value::Text(id) => index.contains(target, &normalise(id)),
                    Value::Ids(ids) => ids.iter().all(|id| index.contains(target, id)),
                    _ => true,
                };
                if !ok {
                    reject(&mut problems, spec, Rule::Reference);
                }
            }
        }
        // Ids of unique or referenced columns, normalised once for both checks below.
        let ids: Vec<Option<String>> = self
            .schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, spec)| match &values[i] {
                Value::Text(id) if spec.is_unique || self.indexed[i].is_some() => Some(normalise(id)),
                _ => None,
            })
            .collect();
        for (i, spec) in self.schema.columns.iter().enumerate() {
            if spec.is_unique
                && let Some(id) = &ids[i]
                && self.seen[i].contains(id)
            {
                reject(&mut problems, spec, Rule::Unique);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        for (i, (spec, id)) in self.schema.columns.iter().zip(ids).enumerate() {
            let Some(id) = id else { continue };
            // `indexed` holds only keys the index was made with, so the set is there.
            if let Some(key) = &self.indexed[i]
                && let Some(set) = index.ids.get_mut(key)
            {
                set.insert(id.clone());
            }
            if spec.is_unique {
                self.seen[i].insert(id);
            }
        }
        Ok(ValidRow { row: row_number, values })
    }
}

/// Whether a child id marks a placeholder record: statutory returns' test records are
/// written `*DUMMY*`, `DUMMY001` and the like.
fn is_dummy(id: &str) -> bool {
    id.as_bytes().windows(5).any(|w| w.eq_ignore_ascii_case(b"dummy"))
}

fn parse_cell(spec: &ColumnSpec, cell: RawCell) -> Result<Value, Rule> {
    let text = match cell {
        RawCell::Empty => return Ok(Value::Null),
        RawCell::Date(d) => {
            return match spec.column_type {
                ColumnType::Date => Ok(Value::Date(d)),
                ColumnType::Text => Ok(Value::Text(d.format("%Y-%m-%d").to_string())),
                _ => Err(type_rule(spec.column_type)),
            };
        }
        RawCell::Number(n) => {
            if spec.column_type == ColumnType::Date {
                return serial_date(n).map(Value::Date).ok_or(Rule::Date);
            }
            number_text(n)
        }
        // Most cells need no trimming: keep the string rather than copy it.
        RawCell::Text(t) if !needs_trim(&t) => t,
        RawCell::Text(t) => t.trim().to_string(),
    };
    if text.is_empty() {
        return Ok(Value::Null);
    }
    // A text is never more characters than bytes: only long ones are counted.
    if text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS {
        return Err(Rule::TooLong);
    }
    if looks_like_swallowed_rows(&text) {
        return Err(Rule::Quote);
    }
    match spec.column_type {
        ColumnType::Text => Ok(Value::Text(text)),
        ColumnType::Date => parse_date(&text).map(Value::Date).ok_or(Rule::Date),
        ColumnType::Code => match spec.codes.as_ref().and_then(|c| c.resolve(&text)) {
            Some(code) => Ok(Value::Code(code.to_string())),
            None => Err(Rule::Code),
        },
        ColumnType::CodeList => {
            let mut out: Vec<String> = Vec::new();
            for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let code = spec.codes.as_ref().and_then(|c| c.resolve(item)).ok_or(Rule::Code)?;
                if !out.iter().any(|c| c == code) {
                    out.push(code.to_string());
                }
            }
            Ok(if out.is_empty() { Value::Null } else { Value::Codes(out) })
        }
        ColumnType::IdList => {
            let ids: Vec<String> = text.split(';').map(normalise).filter(|s| !s.is_empty()).collect();
            Ok(if ids.is_empty() { Value::Null } else { Value::Ids(ids) })
        }
        ColumnType::Flag => parse_flag(&text).map(Value::Flag).ok_or(Rule::Flag),
        ColumnType::Count => parse_count(&text).map(Value::Count).ok_or(Rule::Count),
    }
}

/// Longest text accepted in one cell.
pub const MAX_TEXT_CHARS: usize = 200_000;

/// Whether a cell holds what look like further CSV rows: several line breaks
/// and lines that are mostly commas between values. That is what an unclosed
/// quotation mark does to the rest of a file.
/// Whether a text starts or ends with white space; printable ASCII at both ends settles it at once.
fn needs_trim(text: &str) -> bool {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => false,
        _ => text.trim().len() != text.len(),
    }
}

fn looks_like_swallowed_rows(text: &str) -> bool {
    if !text.contains('\n') {
        return false;
    }
    text.lines().skip(1).filter(|line| line.matches(',').count() >= 5).count() >= 1
}

fn type_rule(t: ColumnType) -> Rule {
    match t {
        ColumnType::Date => Rule::Date,
        ColumnType::Flag => Rule::Flag,
        ColumnType::Count => Rule::Count,
        _ => Rule::Code,
    }
}

/// A workbook number written as text: whole numbers without `.0`.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// Parses `YYYY-MM-DD`, `DD/MM/YYYY` (also with `-` or `.`), an ISO date-time,
/// or an Excel serial number.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    // The two usual forms, read directly; anything else goes through chrono's parser below.
    let b = t.as_bytes();
    let num = |s: &[u8]| s.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (num(&b[0..4]), num(&b[5..7]), num(&b[8..10]))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    if b.len() == 10
        && b[2] == b'/'
        && b[5] == b'/'
        && let (Some(d), Some(m), Some(y)) = (num(&b[0..2]), num(&b[3..5]), num(&b[6..10]))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    if t.bytes().all(|b| b.is_ascii_digit()) && (1..=6).contains(&t.len()) {
        return t.parse::<f64>().ok().and_then(serial_date);
    }
    let date_part = t.split(['T', ' ']).next().unwrap_or(t);
    for format in ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(date_part, format) {
            // Two-digit years are ambiguous; `%Y` accepts them, so insist on four.
            let year_digits = date_part.split(['/', '-', '.']).find(|p| p.len() >= 3).map(str::len);
            if year_digits == Some(4) {
                return Some(d);
            }
        }
    }
    None
}

/// An Excel serial day number (1900 date system) as a date. Serials below 61
/// allow for Excel's fictitious 29 February 1900; 60 itself is refused.
pub fn serial_date(n: f64) -> Option<NaiveDate> {
    // A fractional part is a time of day; 2958465 is 31/12/9999, Excel's last date.
    if !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    let days = n.trunc() as i64;
    if days == 60 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, if days < 60 { 31 } else { 30 })?;
    epoch.checked_add_signed(chrono::Duration::days(days))
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_uppercase().as_str() {
        "Y" | "YES" | "TRUE" | "1" => Some(true),
        "N" | "NO" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

fn parse_count(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return (n >= 0).then_some(n);
    }
    let f: f64 = t.parse().ok()?;
    (f >= 0.0 && f.fract() == 0.0 && f < 1e15).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stray `?row` in a log line must not print a child's id, name or date of birth.
    #[test]
    fn debug_of_validated_values_hides_them() {
        let row = ValidRow {
            row: 3,
            values: vec![
                Value::Text("C00123 Amara Okonkwo".into()),
                Value::Date(d(2010, 3, 4)),
                Value::Ids(vec!["C00999".into()]),
                Value::Code("CCE".into()),
                Value::Flag(true),
            ],
        };
        let shown = format!("{row:?}");
        for secret in ["C00123", "Amara", "2010", "C00999"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("CCE") && shown.contains("true"), "codes and flags still help debugging: {shown}");
    }
    use proptest::prelude::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).expect("date")
    }

    #[test]
    fn dates_in_every_accepted_form() {
        assert_eq!(parse_date("2010-05-31"), Some(d(2010, 5, 31)));
        assert_eq!(parse_date("31/05/2010"), Some(d(2010, 5, 31)));
        assert_eq!(parse_date(" 31.05.2010 "), Some(d(2010, 5, 31)));
        assert_eq!(parse_date("2010-05-31T00:00:00"), Some(d(2010, 5, 31)));
        assert_eq!(parse_date("31/05/2010 00:00"), Some(d(2010, 5, 31)));
        assert_eq!(parse_date("40329"), Some(d(2010, 5, 31)));
        assert_eq!(parse_date("31/02/2010"), None);
        assert_eq!(parse_date("2010-13-01"), None);
        assert_eq!(parse_date("31/05/10"), None, "two-digit years are ambiguous");
        assert_eq!(parse_date("tomorrow"), None);
    }

    #[test]
    fn excel_serials_including_the_1900_leap_year_bug() {
        assert_eq!(serial_date(1.0), Some(d(1900, 1, 1)));
        assert_eq!(serial_date(59.0), Some(d(1900, 2, 28)));
        assert_eq!(serial_date(60.0), None, "29/02/1900 does not exist");
        assert_eq!(serial_date(61.0), Some(d(1900, 3, 1)));
        assert_eq!(serial_date(45658.0), Some(d(2025, 1, 1)));
        assert_eq!(serial_date(0.0), None);
        assert_eq!(serial_date(-5.0), None);
    }

    #[test]
    fn placeholder_children_are_recognised() {
        assert!(is_dummy("*DUMMY*") && is_dummy("dummy01") && is_dummy("X-Dummy"));
        assert!(!is_dummy("C00123") && !is_dummy("DUMM") && !is_dummy(""));
    }

    #[test]
    fn flags_and_counts() {
        assert_eq!(parse_flag("yes"), Some(true));
        assert_eq!(parse_flag("N"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(parse_count("12"), Some(12));
        assert_eq!(parse_count("12.0"), Some(12));
        assert_eq!(parse_count("-1"), None);
        assert_eq!(parse_count("1.5"), None);
    }

    proptest! {
        #[test]
        fn needs_trim_agrees_with_trim(t in "\\PC{0,6}|[ \t\u{a0}\u{3000}a-z]{0,6}") {
            prop_assert_eq!(needs_trim(&t), t.trim() != t);
        }

        #[test]
        fn dd_mm_yyyy_round_trips(days in 0i64..60000) {
            let date = d(1950, 1, 1) + chrono::Duration::days(days);
            prop_assert_eq!(parse_date(&date.format("%d/%m/%Y").to_string()), Some(date));
            prop_assert_eq!(parse_date(&date.format("%Y-%m-%d").to_string()), Some(date));
        }

        #[test]
        fn any_text_parses_without_panic(s in "\\PC{0,30}") {
            let _ = parse_date(&s);
            let _ = parse_count(&s);
        }
    }
}
