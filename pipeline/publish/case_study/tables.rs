//! Writing the export's tables: typed Parquet (text, whole numbers, yes/no, dates) and
//! formula-safe CSV.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::publish::parquet::write_derived;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number.
    Int,
    /// Yes or no.
    Bool,
    /// A date (a month is its first day).
    Date,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(Option<String>),
    /// A whole number.
    Int(Option<i64>),
    /// Yes or no.
    Bool(Option<bool>),
    /// A date.
    Date(Option<NaiveDate>),
}

/// A table to write: typed columns and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names and types.
    pub columns: Vec<(String, Kind)>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula.
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - 719_163
}

/// Writes `name.parquet` and `name.csv` under `dir`.
pub fn write_table(dir: &Path, name: &str, table: &Table) -> Result<()> {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|(c, kind)| {
            let t = match kind {
                Kind::Text => DataType::Utf8,
                Kind::Int => DataType::Int64,
                Kind::Bool => DataType::Boolean,
                Kind::Date => DataType::Date32,
            };
            Field::new(c, t, true)
        })
        .collect();
    let column = |c: usize| -> ArrayRef {
        let cells = table.rows.iter().map(move |r| &r[c]);
        match table.columns[c].1 {
            Kind::Text => Arc::new(StringArray::from_iter(cells.map(|v| match v {
                Cell::Text(t) => t.clone(),
                _ => None,
            }))),
            Kind::Int => Arc::new(Int64Array::from_iter(cells.map(|v| match v {
                Cell::Int(n) => *n,
                _ => None,
            }))),
            Kind::Bool => Arc::new(BooleanArray::from_iter(cells.map(|v| match v {
                Cell::Bool(b) => *b,
                _ => None,
            }))),
            Kind::Date => Arc::new(Date32Array::from_iter(cells.map(|v| match v {
                Cell::Date(d) => d.map(days),
                _ => None,
            }))),
        }
    };
    let arrays: Vec<ArrayRef> = (0..table.columns.len()).map(column).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|source| Error::Arrow { context: format!("case-study table {name}"), source })?;
    write_derived(&dir.join(format!("{name}.parquet")), &batch)?;
    let path = dir.join(format!("{name}.csv"));
    let io = |source: csv::Error| Error::Csv { path: path.clone(), source };
    let mut w = csv::Writer::from_path(&path).map_err(io)?;
    w.write_record(table.columns.iter().map(|(c, _)| c.as_str())).map_err(io)?;
    for row in &table.rows {
        let text = row.iter().map(|cell| match cell {
            Cell::Text(t) => csv_safe(t.as_deref().unwrap_or("")).into_owned(),
            Cell::Int(n) => n.map(|n| n.to_string()).unwrap_or_default(),
            Cell::Bool(b) => b.map(|b| if b { "Y" } else { "N" }.to_string()).unwrap_or_default(),
            Cell::Date(d) => d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        });
        w.write_record(text).map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("plain"), "plain");
    }
}
