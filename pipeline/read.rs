//! Reading returns: files → rows of raw cells, in batches.
//!
//! A return is a folder `<authority_code>/<period>/` holding one CSV per
//! table or one workbook with a sheet per table. This stage finds the tables
//! (file stems and sheet names match the schema's table aliases), detects each
//! CSV's encoding (a BOM, else valid UTF-8, else Windows-1252) and streams it
//! through a decoder into the `csv` crate, maps headers to schema columns
//! through their aliases, and hands out [`RawRow`]s in batches so that memory
//! does not grow with the file. Workbooks are read with calamine (one sheet at
//! a time). Everything here is raw: values leave this module only towards
//! validation, never towards a message. Messages name files, tables, sheets
//! and column positions, not cell contents.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::period::Period;
use crate::schema::{Schemas, TableSchema};

/// Rows handed to validation at a time.
pub const BATCH_ROWS: usize = 8192;

/// One cell as read, before validation.
#[derive(Debug, Clone, PartialEq)]
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

/// One data row, its cells placed by schema column.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Row as a spreadsheet shows it: the header is row 1.
    pub row: usize,
    /// One cell per schema column (Empty where the file has no such column).
    pub cells: Vec<RawCell>,
}

/// Where a table of a return comes from.
#[derive(Debug, Clone)]
pub struct TableSource {
    /// The file.
    pub path: PathBuf,
    /// Sheet name inside a workbook.
    pub sheet: Option<String>,
}

/// A return folder and the tables found in it.
#[derive(Debug, Clone)]
pub struct ReturnDir {
    /// ONS code of the authority (from the folder name).
    pub authority_code: String,
    /// Quarter (from the folder name).
    pub period: Period,
    /// The folder.
    pub dir: PathBuf,
    /// Table name → where it is.
    pub tables: BTreeMap<String, TableSource>,
    /// Files in the folder that are not a table, by name.
    pub ignored_files: Vec<String>,
    /// Workbooks that could not be opened, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Whether a folder name is an ONS/GSS authority code such as `E09000017`.
pub fn is_authority_code(name: &str) -> bool {
    name.len() == 9 && name.starts_with(['E', 'W', 'S', 'N']) && name[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Finds every return under `root`: `root` may be one return
/// (`<code>/<period>`), one authority (`<code>` holding periods), or a folder
/// holding authorities.
pub fn discover_returns(root: &Path, schemas: &Schemas) -> Result<Vec<ReturnDir>> {
    let meta = std::fs::metadata(root).map_err(Error::io("cannot read", root))?;
    if !meta.is_dir() {
        return Err(Error::Input {
            path: root.to_path_buf(),
            message: "is not a folder; give the folder of a return (<authority_code>/<period>/) or of many".into(),
        });
    }
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut found = Vec::new();
    let root_name = name(root);
    let parent_name = root.canonicalize().ok().and_then(|p| p.parent().map(name)).unwrap_or_default();
    if Period::parse(&root_name).is_ok() && is_authority_code(&parent_name) {
        found.push((parent_name, root.to_path_buf()));
    } else {
        let authority_dirs: Vec<PathBuf> = if is_authority_code(&root_name) {
            vec![root.to_path_buf()]
        } else {
            sorted_subdirs(root)?.into_iter().filter(|d| is_authority_code(&name(d))).collect()
        };
        for a in authority_dirs {
            for p in sorted_subdirs(&a)? {
                if Period::parse(&name(&p)).is_ok() {
                    found.push((name(&a), p));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (code, dir) in found {
        let period = Period::parse(&name(&dir))?;
        out.push(scan_return(&code, period, &dir, schemas)?);
    }
    if out.is_empty() {
        return Err(Error::Input {
            path: root.to_path_buf(),
            message: "holds no return: expected folders <authority_code>/<period>/ such as E09000017/2025Q3/".into(),
        });
    }
    Ok(out)
}

fn sorted_subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io("cannot read", dir))? {
        let path = entry.map_err(Error::io("cannot read", dir))?.path();
        if path.is_dir() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn scan_return(code: &str, period: Period, dir: &Path, schemas: &Schemas) -> Result<ReturnDir> {
    let mut tables = BTreeMap::new();
    let mut ignored_files = Vec::new();
    let mut unreadable = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(Error::io("cannot read", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => match schemas.table_for_name(&stem) {
                Some(t) if !tables.contains_key(&t.name) => {
                    tables.insert(t.name.clone(), TableSource { path: path.clone(), sheet: None });
                }
                _ => ignored_files.push(file_name),
            },
            "xlsx" | "xlsm" | "xls" | "ods" => {
                // Sheets are matched when the workbook is opened; remember it under a placeholder.
                tables
                    .entry(format!("\u{0}workbook:{file_name}"))
                    .or_insert(TableSource { path: path.clone(), sheet: None });
            }
            _ => ignored_files.push(file_name),
        }
    }
    // Resolve workbooks into their sheets.
    let workbooks: Vec<(String, TableSource)> =
        tables.iter().filter(|(k, _)| k.starts_with('\u{0}')).map(|(k, v)| (k.clone(), v.clone())).collect();
    for (key, source) in workbooks {
        tables.remove(&key);
        let sheets = match sheet_names(&source.path) {
            Ok(s) => s,
            Err(e) => {
                let message = match e {
                    Error::Input { message, .. } => message,
                    other => other.to_string(),
                };
                unreadable.push((source.path.clone(), message));
                continue;
            }
        };
        let book_name = source.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for (n, sheet) in sheets.into_iter().enumerate() {
            match schemas.table_for_name(&sheet) {
                Some(t) if !tables.contains_key(&t.name) => {
                    tables.insert(t.name.clone(), TableSource { path: source.path.clone(), sheet: Some(sheet) });
                }
                // Sheet names are named by position: a sheet name could be anything.
                Some(_) => ignored_files
                    .push(format!("{book_name} sheet {} (its table was already read from another file)", n + 1)),
                None => ignored_files.push(format!("{book_name} sheet {} (not named after a table)", n + 1)),
            }
        }
    }
    Ok(ReturnDir {
        authority_code: code.to_string(),
        period,
        dir: dir.to_path_buf(),
        tables,
        ignored_files,
        unreadable,
    })
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

fn workbook_error_kind(e: &calamine::Error) -> &'static str {
    match e {
        calamine::Error::Io(_) => "cannot be read",
        calamine::Error::Xlsx(_) => "corrupt or not an .xlsx file",
        calamine::Error::Xls(_) => "corrupt .xls file",
        calamine::Error::Ods(_) => "corrupt .ods file",
        _ => "unrecognised format",
    }
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(Error::io("cannot read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(Error::io("cannot read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
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
}

impl TextEncoding {
    /// Label recorded in manifests.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16 => "utf-16",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// Detects a CSV's encoding by streaming it once: a BOM decides; otherwise
/// valid UTF-8 throughout is UTF-8, and anything else is Windows-1252.
pub fn detect_encoding(path: &Path) -> Result<TextEncoding> {
    let mut file = File::open(path).map_err(Error::io("cannot read", path))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
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
        let valid = Encoding::utf8_valid_up_to(&chunk);
        if valid < chunk.len() {
            // An incomplete character at the end of a chunk may complete in the next.
            if n > 0
                && chunk.len() - valid < 4
                && std::str::from_utf8(&chunk[valid..]).err().is_some_and(|e| e.error_len().is_none())
            {
                carry = chunk[valid..].to_vec();
            } else {
                return Ok(TextEncoding::Windows1252);
            }
        }
        if n == 0 {
            return Ok(TextEncoding::Utf8);
        }
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
}

enum Inner {
    Csv(Box<csv::Reader<DecodeReaderBytes<BufReader<File>, Vec<u8>>>>, csv::StringRecord),
    Sheet(calamine::Range<calamine::Data>, usize),
}

impl TableReader {
    /// Opens a table and matches its header row against the schema.
    pub fn open(source: &TableSource, schema: &TableSchema) -> Result<TableReader> {
        match &source.sheet {
            None => TableReader::open_csv(&source.path, schema),
            Some(sheet) => TableReader::open_sheet(&source.path, sheet, schema),
        }
    }

    fn open_csv(path: &Path, schema: &TableSchema) -> Result<TableReader> {
        let encoding = detect_encoding(path)?;
        let file = File::open(path).map_err(Error::io("cannot read", path))?;
        let decoder = DecodeReaderBytesBuilder::new()
            .encoding(Some(match encoding {
                TextEncoding::Windows1252 => WINDOWS_1252,
                TextEncoding::Utf16 => encoding_rs::UTF_16LE,
                _ => UTF_8,
            }))
            .bom_override(true)
            .build(BufReader::with_capacity(1 << 16, file));
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(decoder);
        let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
        let header_texts: Vec<String> = headers.iter().map(str::to_string).collect();
        let (map, header_notes) = map_headers(path, &header_texts, schema)?;
        Ok(TableReader {
            inner: Inner::Csv(Box::new(reader), csv::StringRecord::new()),
            map,
            width: schema.columns.len(),
            encoding: encoding.label(),
            header_notes,
            rows_read: 0,
            sheet_first_row: 0,
        })
    }

    fn open_sheet(path: &Path, sheet: &str, schema: &TableSchema) -> Result<TableReader> {
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
        let (map, header_notes) = map_headers(path, &header_texts, schema)?;
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        Ok(TableReader {
            inner: Inner::Sheet(range, 1),
            map,
            width: schema.columns.len(),
            encoding: "xlsx",
            header_notes,
            rows_read: 0,
            sheet_first_row: first_row,
        })
    }

    /// Reads only these schema columns (the others come back empty): cheaper when a
    /// pass needs a few columns of a wide table.
    pub fn only_columns(mut self, columns: &[usize]) -> TableReader {
        for target in &mut self.map {
            if target.is_some_and(|c| !columns.contains(&c)) {
                *target = None;
            }
        }
        self
    }

    /// The next batch of up to `max` rows; `None` at the end of the table.
    pub fn next_batch(&mut self, path: &Path, max: usize) -> Result<Option<Vec<RawRow>>> {
        let mut out = Vec::with_capacity(max.min(BATCH_ROWS));
        match &mut self.inner {
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
                        Err(e) => return Err(csv_error(path, &e)),
                    }
                }
            }
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
fn map_headers(path: &Path, headers: &[String], schema: &TableSchema) -> Result<(Vec<Option<usize>>, Vec<String>)> {
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
    if !missing.is_empty() {
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
