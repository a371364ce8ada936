//! Raw values: cells and rows as read from a return, before validation.
//!
//! Every reader ([`crate::ingest::read`] for CSV and workbooks,
//! [`crate::ingest::xml`] for the CIN census) hands out these. Their `Debug`
//! shows the kind of a cell, never its value, so that a stray `?row` in a log
//! line cannot leak a child's name.

use chrono::NaiveDate;

/// One cell as read, before validation. Its `Debug` shows the kind of cell, never its value.
#[derive(Clone, PartialEq)]
pub enum RawCell {
    /// Nothing, or only white space.
    Empty,
    /// Text.
    Text(String),
    /// A number from a workbook (a count, an id stored as a number, or a date serial without a date format).
    Number(f64),
    /// A date-formatted workbook cell.
    Date(NaiveDate),
}

impl std::fmt::Debug for RawCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A raw cell may hold a child's name: only its kind (and the length of a text) is shown.
        match self {
            RawCell::Empty => f.write_str("Empty"),
            RawCell::Text(t) => write!(f, "Text(<{} chars hidden>)", t.chars().count()),
            RawCell::Number(_) => f.write_str("Number(<hidden>)"),
            RawCell::Date(_) => f.write_str("Date(<hidden>)"),
        }
    }
}

/// One data row, its cells placed by schema column. Its `Debug` hides every value.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Row as a spreadsheet shows it: the header is row 1.
    pub row: usize,
    /// One cell per schema column (Empty where the file has no such column).
    pub cells: Vec<RawCell>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stray `?row` in a log line must not print a child's name.
    #[test]
    fn debug_of_raw_values_hides_them() {
        let row = RawRow {
            row: 7,
            cells: vec![
                RawCell::Text("Zofia Wiśniewska".into()),
                RawCell::Number(12345.0),
                RawCell::Date(NaiveDate::from_ymd_opt(2010, 3, 4).expect("date")),
                RawCell::Empty,
            ],
        };
        let shown = format!("{row:?} {row:#?}");
        for secret in ["Zofia", "Wiśniewska", "12345", "2010"] {
            assert!(!shown.contains(secret), "{secret} printed by Debug: {shown}");
        }
        assert!(shown.contains("row: 7"));
    }
}
