//! Writers: tables rendered in a return's style, as CSV (any encoding) or
//! as one workbook with a sheet per table.

#![allow(unused_imports)] // one import list for the generator's parts

use chrono::{Duration, NaiveDate};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::*;

#[derive(Debug, Clone)]
pub(super) enum RenderedCell {
    Text(String),
    Number(f64),
    DateSerial(f64),
    Empty,
}

/// A table ready to write: name (file stem or sheet), headers, rows.
pub(super) type RenderedTable = (String, Vec<String>, Vec<Vec<RenderedCell>>);

pub(super) fn excel_serial(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (date - epoch).num_days() as f64
}

pub(super) fn render_table(
    table: &Table,
    schemas: &Schemas,
    style: Style,
    rng: &mut ChaCha8Rng,
) -> Result<RenderedTable> {
    let schema =
        schemas.table(table.name).ok_or_else(|| Error::Usage(format!("no schema for table {}", table.name)))?;
    let mut order: Vec<usize> = (0..table.columns.len()).collect();
    if style.header_style == "shuffled-alias" {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
    }
    let headers = order.iter().map(|&i| header_for(schema, table.columns[i], style.header_style, rng)).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| order.iter().map(|&i| render_cell(&row[i], schema, table.columns[i], style, rng)).collect())
        .collect();
    let name = match (style.format, style.is_messy) {
        (Format::Xlsx, true) => schema.aliases.first().cloned().unwrap_or_else(|| schema.name.clone()),
        _ => schema.name.clone(),
    };
    Ok((name, headers, rows))
}

pub(super) fn header_for(schema: &TableSchema, column: &str, style: &str, rng: &mut ChaCha8Rng) -> String {
    let spec = schema.column_index(column).map(|i| &schema.columns[i]);
    let aliases = spec.map(|s| s.aliases.as_slice()).unwrap_or(&[]);
    match style {
        "title" => column
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" "),
        "alias" => aliases.first().cloned().unwrap_or_else(|| column.to_string()),
        "shuffled-alias" => aliases
            .choose(rng)
            .map(|a| if rng.random_bool(0.3) { a.to_uppercase() } else { a.clone() })
            .unwrap_or_else(|| column.to_uppercase()),
        _ => column.to_string(),
    }
}

pub(super) fn render_cell(
    cell: &Cell,
    schema: &TableSchema,
    column: &str,
    style: Style,
    rng: &mut ChaCha8Rng,
) -> RenderedCell {
    let alias_of = |code: &str, rng: &mut ChaCha8Rng| -> String {
        if !style.is_messy || !rng.random_bool(0.3) {
            return code.to_string();
        }
        schema
            .column_index(column)
            .and_then(|i| schema.columns[i].codes.as_ref())
            .and_then(|set| set.aliases.get(code))
            .and_then(|a| a.choose(rng).cloned())
            .unwrap_or_else(|| code.to_string())
    };
    match cell {
        Cell::Empty => RenderedCell::Empty,
        Cell::Text(s) | Cell::Raw(s) => {
            if s.is_empty() {
                RenderedCell::Empty
            } else {
                RenderedCell::Text(s.clone())
            }
        }
        Cell::Date(d) => match style.date_style {
            "serial" => RenderedCell::DateSerial(excel_serial(*d)),
            "dmy" => RenderedCell::Text(d.format("%d/%m/%Y").to_string()),
            _ => RenderedCell::Text(d.format("%Y-%m-%d").to_string()),
        },
        Cell::Code(c) => RenderedCell::Text(alias_of(c, rng)),
        Cell::Codes(list) => {
            if list.is_empty() {
                return RenderedCell::Empty;
            }
            let sep = if style.is_messy && rng.random_bool(0.5) { "; " } else { ";" };
            RenderedCell::Text(list.iter().map(|c| alias_of(c, rng)).collect::<Vec<_>>().join(sep))
        }
        Cell::Flag(b) => {
            let (y, n) = if style.is_messy && rng.random_bool(0.3) { ("Yes", "No") } else { ("Y", "N") };
            RenderedCell::Text(if *b { y } else { n }.to_string())
        }
        Cell::Count(n) => match style.format {
            Format::Xlsx => RenderedCell::Number(*n as f64),
            Format::Csv => RenderedCell::Text(n.to_string()),
        },
    }
}

pub(super) fn write_csv(path: &Path, headers: &[String], rows: &[Vec<RenderedCell>], style: Style) -> Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(if style.is_messy { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io { action: "cannot write", path: path.to_path_buf(), source: e.into() };
    writer.write_record(headers).map_err(io)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|c| match c {
                RenderedCell::Text(s) => s.clone(),
                RenderedCell::Number(n) | RenderedCell::DateSerial(n) => n.to_string(),
                RenderedCell::Empty => String::new(),
            }))
            .map_err(io)?;
    }
    let utf8 = writer.into_inner().map_err(|e| Error::Io {
        action: "cannot write",
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    let bytes = match style.encoding {
        "windows-1252" => {
            let text = String::from_utf8_lossy(&utf8);
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        }
        "utf-8-bom" => [b"\xEF\xBB\xBF".as_slice(), &utf8].concat(),
        _ => utf8,
    };
    std::fs::write(path, bytes).map_err(Error::io("cannot write", path))
}

pub(super) fn write_xlsx(path: &Path, tables: &[RenderedTable]) -> Result<()> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Workbook};
    let xerr = |source| Error::Xlsx { path: path.to_path_buf(), source };
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the workbook byte-identical run after run.
    let created = ExcelDateTime::from_ymd(2025, 1, 1).map_err(xerr)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date_format = XFormat::new().set_num_format("dd/mm/yyyy");
    for (name, headers, rows) in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name.as_str()).map_err(xerr)?;
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(0, c as u16, h.as_str()).map_err(xerr)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    RenderedCell::Text(s) => sheet.write_string(r, c, s.as_str()).map(|_| ()),
                    RenderedCell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    RenderedCell::DateSerial(n) => sheet.write_number_with_format(r, c, *n, &date_format).map(|_| ()),
                    RenderedCell::Empty => Ok(()),
                }
                .map_err(xerr)?;
            }
        }
    }
    workbook.save(path).map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_count_from_1899_12_30() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(excel_serial(d(1900, 3, 1)), 61.0);
        assert_eq!(excel_serial(d(2025, 7, 1)), 45839.0);
    }
}
