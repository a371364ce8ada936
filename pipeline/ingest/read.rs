//! Reading returns: files → rows of raw cells, in batches.
//!
//! A table of a return ([`TableSource`], found by
//! [`crate::ingest::discover`]) is a CSV file or a sheet of a workbook. This
//! stage detects each
//! CSV's encoding (a BOM, else valid UTF-8, else Windows-1252) and streams it
//! through a decoder into the `csv` crate, maps headers to schema columns
//! through their aliases, and hands out [`RawRow`]s in batches so that memory
//! does not grow with the file. Workbooks are read with calamine (one sheet at
//! a time). Everything here is raw: values leave this module only towards
//! validation, never towards a message. Messages name files, tables, sheets
//! and column positions, not cell contents.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs::WINDOWS_1252;
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use crate::config::schema::TableSchema;
use crate::error::{Error, Result};

/// Rows handed to validation at a time.
pub const BATCH_ROWS: usize = 1024;

pub use crate::ingest::raw::{RawCell, RawRow};

fn workbook_error_kind(e: &calamine::Error) -> &'static str {
    match e {
        calamine::Error::Io(_) => "cannot be read",
        calamine::Error::Xlsx(_) => "corrupt or not an .xlsx file",
        calamine::Error::Xls(_) => "corrupt .xls file",
        calamine::Error::Ods(_) => "corrupt .ods file",
        _ => "unrecognised format",
    }
}

/// Where a table of a return comes from.
#[derive(Debug, Clone)]
pub struct TableSource {
    /// The file.
    pub path: PathBuf,
    /// Sheet name inside a workbook.
    pub sheet: Option<String>,
}

/// Names of the sheets of a workbook.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    use calamine::Reader;
    let book = calamine::open_workbook_auto(path).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "is not a readable Excel workbook ({}); save it again from Excel as .xlsx",
            workbook_error_kind(&e)
        ),
    })?;
    Ok(book.sheet_names())
}

/// Text encodings a CSV may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark.
    Utf8Bom,
    /// UTF-16 (with a byte-order mark).
    Utf16,
    /// Windows-1252 (what Excel on Windows saves as "CSV").
    Windows1252,
    /// UTF-8 with some cells in Windows-1252 (a file edited in two programs): each cell is
    /// decoded on its own.
    Mixed,
}

impl TextEncoding {
    /// Label recorded in manifests.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16 => "utf-16",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Mixed => "mixed",
        }
    }
}

/// Detects a CSV's encoding by streaming it once: a BOM decides; otherwise valid UTF-8
/// throughout is UTF-8, bytes that are not UTF-8 beside characters that are make it `mixed`
/// (each cell is then decoded on its own), and only invalid bytes make it Windows-1252.
pub fn detect_encoding(path: &Path) -> Result<TextEncoding> {
    let mut file = File::open(path).map_err(Error::io("cannot read", path))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    let (mut has_utf8, mut has_invalid) = (false, false);
    loop {
        let n = file.read(&mut buf).map_err(Error::io("cannot read", path))?;
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(&buf[..n]);
        if first {
            first = false;
            if chunk.starts_with(b"\xEF\xBB\xBF") {
                return Ok(TextEncoding::Utf8Bom);
            }
            if chunk.starts_with(b"\xFF\xFE") || chunk.starts_with(b"\xFE\xFF") {
                return Ok(TextEncoding::Utf16);
            }
        }
        let mut rest: &[u8] = &chunk;
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(valid) => {
                    has_utf8 |= !valid.is_ascii();
                    rest = &[];
                }
                Err(e) => {
                    has_utf8 |= rest[..e.valid_up_to()].iter().any(|b| *b >= 0x80);
                    match e.error_len() {
                        Some(bad) => {
                            has_invalid = true;
                            rest = &rest[e.valid_up_to() + bad..];
                        }
                        // An incomplete character at the end of a chunk may complete in the next.
                        None if n > 0 => {
                            carry = rest[e.valid_up_to()..].to_vec();
                            rest = &[];
                        }
                        None => {
                            has_invalid = true;
                            rest = &[];
                        }
                    }
                }
            }
        }
        if n == 0 {
            return Ok(match (has_invalid, has_utf8) {
                (false, _) => TextEncoding::Utf8,
                (true, true) => TextEncoding::Mixed,
                (true, false) => TextEncoding::Windows1252,
            });
        }
    }
}

/// A cell's bytes as text: UTF-8 when they are, else Windows-1252 (every byte is a character
/// there, so nothing is lost).
fn decode_cell(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// Streams the rows of one table.
pub struct TableReader {
    inner: Inner,
    /// File column → schema column.
    map: Vec<Option<usize>>,
    width: usize,
    /// Encoding of a CSV, or `xlsx`.
    pub encoding: &'static str,
    /// Messages about the header (unknown or repeated columns), without cell values.
    pub header_notes: Vec<String>,
    /// Data rows handed out so far.
    pub rows_read: usize,
    /// Spreadsheet row (0-based) of a sheet's header, for row numbers.
    sheet_first_row: usize,
    /// The file, for messages.
    path: PathBuf,
    /// Cells read so far that look like text decoded with the wrong encoding ("BartÅ‚omiej").
    pub garbled_cells: usize,
}

enum Inner {
    /// UTF-16, decoded as a stream.
    Csv(Box<csv::Reader<DecodeReaderBytes<BufReader<File>, Vec<u8>>>>, csv::StringRecord),
    /// UTF-8, Windows-1252 or mixed: each cell decoded on its own.
    Bytes(Box<csv::Reader<BufReader<File>>>, csv::ByteRecord),
    Sheet(calamine::Range<calamine::Data>, usize),
    /// An XML return: the rows of one table, streamed (see [`crate::ingest::xml`]).
    Xml(Box<crate::ingest::xml::XmlRows>, TableSchema),
    /// Every row already read, in batches (see [`TableReader::into_held`]).
    Held(std::collections::VecDeque<Vec<RawRow>>),
}

impl TableReader {
    /// Opens a table and matches its header row against the schema.
    pub fn open(source: &TableSource, schema: &TableSchema) -> Result<TableReader> {
        if schema.xml_record.is_some() {
            return TableReader::open_xml(&source.path, schema);
        }
        match &source.sheet {
            None => TableReader::open_csv(&source.path, schema, true),
            Some(sheet) => TableReader::open_sheet(&source.path, sheet, schema, true),
        }
    }

    /// Opens a table to read only these schema columns (the others come back empty), even
    /// when it lacks a column that validation requires: the names pass reads the names of a
    /// table that cannot be validated, because its notes elsewhere must lose them too.
    pub fn open_columns(source: &TableSource, schema: &TableSchema, columns: &[usize]) -> Result<TableReader> {
        if schema.xml_record.is_some() {
            // An XML record's elements are matched as they come: every column is read.
            return TableReader::open_xml(&source.path, schema);
        }
        let reader = match &source.sheet {
            None => TableReader::open_csv(&source.path, schema, false)?,
            Some(sheet) => TableReader::open_sheet(&source.path, sheet, schema, false)?,
        };
        Ok(reader.only_columns(columns))
    }

    fn open_csv(path: &Path, schema: &TableSchema, is_checked: bool) -> Result<TableReader> {
        let encoding = detect_encoding(path)?;
        let file = File::open(path).map_err(Error::io("cannot read", path))?;
        let builder = || {
            let mut b = csv::ReaderBuilder::new();
            b.flexible(true).has_headers(true);
            b
        };
        let (inner, header_texts) = if encoding == TextEncoding::Utf16 {
            let decoder = DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::UTF_16LE))
                .bom_override(true)
                .build(BufReader::with_capacity(1 << 16, file));
            let mut reader = builder().from_reader(decoder);
            let headers: Vec<String> =
                reader.headers().map_err(|e| csv_error(path, &e))?.iter().map(str::to_string).collect();
            (Inner::Csv(Box::new(reader), csv::StringRecord::new()), headers)
        } else {
            let mut reader = builder().from_reader(BufReader::with_capacity(1 << 16, file));
            let headers: Vec<String> = reader
                .byte_headers()
                .map_err(|e| csv_error(path, &e))?
                .iter()
                .map(|h| decode_cell(h).trim_start_matches('\u{feff}').to_string())
                .collect();
            (Inner::Bytes(Box::new(reader), csv::ByteRecord::new()), headers)
        };
        let (map, header_notes) = map_headers(path, &header_texts, schema, is_checked)?;
        Ok(TableReader::new(inner, map, schema, encoding.label(), header_notes, path))
    }

    /// A reader at the start of its table, nothing read yet.
    fn new(
        inner: Inner,
        map: Vec<Option<usize>>,
        schema: &TableSchema,
        encoding: &'static str,
        header_notes: Vec<String>,
        path: &Path,
    ) -> TableReader {
        TableReader {
            inner,
            map,
            width: schema.columns.len(),
            encoding,
            header_notes,
            rows_read: 0,
            sheet_first_row: 0,
            path: path.to_path_buf(),
            garbled_cells: 0,
        }
    }

    fn open_sheet(path: &Path, sheet: &str, schema: &TableSchema, is_checked: bool) -> Result<TableReader> {
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(path).map_err(|e| Error::Input {
            path: path.to_path_buf(),
            message: format!("is not a readable Excel workbook ({})", workbook_error_kind(&e)),
        })?;
        let range = book.worksheet_range(sheet).map_err(|e| Error::Input {
            path: path.to_path_buf(),
            message: format!("sheet for table {} cannot be read ({})", schema.name, workbook_error_kind(&e)),
        })?;
        let header_texts: Vec<String> =
            range.rows().next().map(|r| r.iter().map(|c| c.to_string()).collect()).unwrap_or_default();
        let (map, header_notes) = map_headers(path, &header_texts, schema, is_checked)?;
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let mut reader = TableReader::new(Inner::Sheet(range, 1), map, schema, "xlsx", header_notes, path);
        reader.sheet_first_row = first_row;
        Ok(reader)
    }

    fn open_xml(path: &Path, schema: &TableSchema) -> Result<TableReader> {
        let rows = crate::ingest::xml::XmlRows::open(path, schema, crate::ingest::xml::CIN_ROOT)?;
        Ok(TableReader::new(Inner::Xml(Box::new(rows), schema.clone()), Vec::new(), schema, "xml", Vec::new(), path))
    }

    /// Reads only these schema columns (the others come back empty): cheaper when a
    /// pass needs a few columns of a wide table.
    fn only_columns(mut self, columns: &[usize]) -> TableReader {
        for target in &mut self.map {
            if target.is_some_and(|c| !columns.contains(&c)) {
                *target = None;
            }
        }
        self
    }

    /// The same table with every row read now and held in memory, so that two passes over it
    /// read the file once: the rows come again from [`TableReader::next_batch`], and
    /// [`TableReader::held_rows`] shows them meanwhile. `None` when the table has more than
    /// `max_rows` rows (memory must not grow with a file) or cannot be read to its end: then
    /// open it again and read it as it comes.
    pub fn into_held(mut self, max_rows: usize) -> Option<TableReader> {
        let mut held = std::collections::VecDeque::new();
        let mut rows = 0;
        loop {
            match self.next_batch(BATCH_ROWS) {
                Ok(Some(batch)) => {
                    rows += batch.len();
                    if rows > max_rows {
                        return None;
                    }
                    held.push_back(batch);
                }
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        self.rows_read = 0;
        self.inner = Inner::Held(held);
        Some(self)
    }

    /// The rows a reader made by [`TableReader::into_held`] still holds; none for any other.
    pub fn held_rows(&self) -> impl Iterator<Item = &RawRow> {
        let held = match &self.inner {
            Inner::Held(batches) => Some(batches.iter().flatten()),
            _ => None,
        };
        held.into_iter().flatten()
    }

    /// The next batch of up to `max` rows; `None` at the end of the table.
    pub fn next_batch(&mut self, max: usize) -> Result<Option<Vec<RawRow>>> {
        if let Inner::Held(batches) = &mut self.inner {
            let Some(mut batch) = batches.pop_front() else { return Ok(None) };
            if batch.len() > max.max(1) {
                batches.push_front(batch.split_off(max.max(1)));
            }
            self.rows_read += batch.len();
            return Ok(Some(batch));
        }
        let mut out = Vec::with_capacity(max.min(BATCH_ROWS));
        match &mut self.inner {
            Inner::Bytes(reader, record) => {
                while out.len() < max {
                    match reader.read_byte_record(record) {
                        Ok(false) => break,
                        Ok(true) => {
                            let row = record.position().map_or(0, |p| p.record() as usize) + 1;
                            let mut cells = vec![RawCell::Empty; self.width];
                            for (i, field) in record.iter().enumerate() {
                                if let Some(Some(col)) = self.map.get(i) {
                                    let text = decode_cell(field);
                                    if !text.trim().is_empty() {
                                        self.garbled_cells += usize::from(looks_garbled(&text));
                                        cells[*col] = RawCell::Text(text.into_owned());
                                    }
                                }
                            }
                            out.push(RawRow { row, cells });
                        }
                        Err(e) => return Err(csv_error(&self.path, &e)),
                    }
                }
            }
            Inner::Csv(reader, record) => {
                while out.len() < max {
                    match reader.read_record(record) {
                        Ok(false) => break,
                        Ok(true) => {
                            let row = record.position().map_or(0, |p| p.record() as usize) + 1;
                            let mut cells = vec![RawCell::Empty; self.width];
                            for (i, field) in record.iter().enumerate() {
                                if let Some(Some(col)) = self.map.get(i)
                                    && !field.trim().is_empty()
                                {
                                    cells[*col] = RawCell::Text(field.to_string());
                                }
                            }
                            out.push(RawRow { row, cells });
                        }
                        Err(e) => return Err(csv_error(&self.path, &e)),
                    }
                }
            }
            Inner::Xml(rows, schema) => rows.next_rows(max, &mut out, schema)?,
            Inner::Held(_) => {}
            Inner::Sheet(range, next) => {
                let height = range.height();
                while out.len() < max && *next < height {
                    let i = *next;
                    *next += 1;
                    let mut cells = vec![RawCell::Empty; self.width];
                    let mut is_blank = true;
                    for (c, target) in self.map.iter().enumerate() {
                        if let (Some(col), Some(data)) = (target, range.get((i, c))) {
                            let cell = cell_from_data(data);
                            if cell != RawCell::Empty {
                                is_blank = false;
                            }
                            cells[*col] = cell;
                        }
                    }
                    if is_blank {
                        continue;
                    }
                    out.push(RawRow { row: self.sheet_first_row + i + 1, cells });
                }
            }
        }
        self.rows_read += out.len();
        Ok(if out.is_empty() { None } else { Some(out) })
    }
}

/// Whether text looks like UTF-8 read as Windows-1252 ("BartÅ‚omiej", "Ã©", "â€™").
fn looks_garbled(text: &str) -> bool {
    !text.is_ascii() && ["Ã", "Å", "â€", "Ä\u{8d}", "Ä™", "Ä…"].iter().any(|m| text.contains(m))
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    let at = e.position().map(|p| format!(" at row {}", p.record() + 1)).unwrap_or_default();
    let kind = match e.kind() {
        csv::ErrorKind::Io(_) => "the file cannot be read",
        csv::ErrorKind::Utf8 { .. } => "the file is not valid text",
        _ => "the file is not a well-formed CSV",
    };
    Error::Input { path: path.to_path_buf(), message: format!("{kind}{at}") }
}

fn cell_from_data(data: &calamine::Data) -> RawCell {
    use calamine::Data;
    match data {
        Data::Empty => RawCell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            if s.trim().is_empty() {
                RawCell::Empty
            } else {
                RawCell::Text(s.clone())
            }
        }
        Data::Float(f) => RawCell::Number(*f),
        Data::Int(i) => RawCell::Number(*i as f64),
        Data::Bool(b) => RawCell::Text(if *b { "Y" } else { "N" }.to_string()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if dt.is_datetime() => RawCell::Date(d.date()),
            _ => RawCell::Number(dt.as_f64()),
        },
        Data::Error(_) => RawCell::Text("#ERROR".to_string()),
    }
}

/// Maps header texts to schema columns. Unknown and repeated columns are
/// noted by position; a header that matches nothing, or lacks a required
/// column, stops the table.
fn map_headers(
    path: &Path,
    headers: &[String],
    schema: &TableSchema,
    is_checked: bool,
) -> Result<(Vec<Option<usize>>, Vec<String>)> {
    let mut map = Vec::with_capacity(headers.len());
    let mut notes = Vec::new();
    let mut seen = vec![false; schema.columns.len()];
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        match schema.column_for_header(h) {
            Some(col) if seen[col] => {
                notes.push(format!("column {} repeats `{}`; the first one is used", i + 1, schema.columns[col].name));
                map.push(None);
            }
            Some(col) => {
                seen[col] = true;
                map.push(Some(col));
            }
            None => {
                if !h.trim().is_empty() {
                    unknown.push((i + 1).to_string());
                }
                map.push(None);
            }
        }
    }
    if !seen.iter().any(|&s| s) {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "table {}: no recognisable header row (the first row must name the columns; see data-dictionary.md for accepted names)",
                schema.name
            ),
        });
    }
    let missing: Vec<String> = schema
        .columns
        .iter()
        .zip(&seen)
        .filter(|(c, s)| c.is_required && !**s)
        .map(|(c, _)| {
            let mut names = vec![c.name.clone()];
            names.extend(c.aliases.iter().take(3).cloned());
            format!("`{}` (or {})", c.name, names[1..].join(", "))
        })
        .collect();
    if is_checked && !missing.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!("table {}: required column missing: {}", schema.name, missing.join("; ")),
        });
    }
    if !unknown.is_empty() {
        notes.push(format!("unrecognised column(s) at position {} ignored", unknown.join(", ")));
    }
    Ok((map, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::Schemas;

    fn all_rows(reader: &mut TableReader) -> Vec<RawRow> {
        let mut rows = Vec::new();
        while let Some(batch) = reader.next_batch(3).expect("batch") {
            rows.extend(batch);
        }
        rows
    }

    /// A table read once and held gives the rows, row numbers and counts a second read gives;
    /// one with more rows than may be held is not held.
    #[test]
    fn a_held_table_gives_what_a_second_read_gives() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("young_people.csv");
        let mut csv = String::from("child_id,first_name,last_name,date_of_birth,gender,notes,unknown\n");
        for n in 0..10 {
            csv.push_str(&format!("C{n:03},Zofia,Wiśniewska,2010-01-0{},F,\"note {n}, BartÅ‚omiej\",x\n", n % 9 + 1));
        }
        std::fs::write(&path, csv).expect("write");
        let schemas = Schemas::builtin().expect("schemas");
        let schema = schemas.table("young_people").expect("young_people");
        let source = TableSource { path: path.clone(), sheet: None };
        let mut fresh = TableReader::open(&source, schema).expect("open");
        let expected = all_rows(&mut fresh);
        let mut held = TableReader::open(&source, schema).expect("open").into_held(10).expect("held");
        assert_eq!(held.held_rows().count(), 10);
        assert_eq!(held.rows_read, 0);
        let rows = all_rows(&mut held);
        assert_eq!(rows.len(), expected.len());
        for (a, b) in rows.iter().zip(&expected) {
            assert_eq!((a.row, &a.cells), (b.row, &b.cells));
        }
        assert_eq!(
            (held.rows_read, held.garbled_cells, &held.header_notes, held.encoding),
            (fresh.rows_read, fresh.garbled_cells, &fresh.header_notes, fresh.encoding)
        );
        assert!(held.held_rows().next().is_none() && held.next_batch(3).expect("end").is_none());
        assert!(TableReader::open(&source, schema).expect("open").into_held(9).is_none());
    }
}
