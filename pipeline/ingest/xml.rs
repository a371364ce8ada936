//! Reading an XML return (the CIN census) as the rows of one table, streaming.
//!
//! A table of an XML return is made from one repeated element, its record
//! (`Children/Child/CINdetails/Assessments` for assessments). A row holds the
//! elements found inside its record, at any depth (`FactorsIdentifiedAtAssessment/
//! AssessmentFactors`), except inside another table's record; a column the
//! record does not hold is taken from its ancestors, so an assessment carries
//! its child's `LAchildID` and its referral's `CINreferralDate`. A repeated
//! element becomes a `;`-separated list. Element names are matched to columns
//! through the schema's aliases, like CSV headers (`GenderCurrent` or `Sex`).
//!
//! The file is read as a stream of events: only the elements of the record
//! being read are held, so memory does not grow with the file. A row is
//! numbered by the line its record starts on. A file that is not well-formed,
//! or whose root is not the source's, is one error for the table, naming the
//! line and the kind of fault, never a value.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;

use crate::config::schema::TableSchema;
use crate::error::{Error, Result};
use crate::ingest::raw::{RawCell, RawRow};

/// The root element of a CIN census file.
pub const CIN_ROOT: &str = "Message";

/// One open element.
struct Frame {
    name: String,
    /// Line the element starts on.
    line: usize,
    /// Its text, when it turns out to hold no element.
    text: String,
    has_children: bool,
    /// Column → values found inside it so far.
    values: Vec<(usize, String)>,
}

/// Streams the rows of one table of an XML file.
pub struct XmlRows {
    reader: quick_xml::Reader<BufReader<encoding_rs_io::DecodeReaderBytes<File, Vec<u8>>>>,
    buf: Vec<u8>,
    record: Vec<String>,
    /// Records of the source's other tables: what is inside them is theirs.
    barriers: Vec<Vec<String>>,
    root: &'static str,
    stack: Vec<Frame>,
    /// Element name → schema column, filled as names are met.
    columns: HashMap<String, Option<usize>>,
    schema_width: usize,
    line: usize,
    path: PathBuf,
    seen_root: bool,
    done: bool,
}

/// The encoding an XML declaration names, when it is not UTF-8 (`<?xml version="1.0"
/// encoding="windows-1252"?>`); a byte-order mark, looked for later, overrides it.
fn declared_encoding(path: &Path) -> Result<Option<&'static encoding_rs::Encoding>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(512);
    File::open(path).and_then(|f| f.take(512).read_to_end(&mut head)).map_err(Error::io("cannot read", path))?;
    let text = String::from_utf8_lossy(&head);
    let Some(declaration) = text.strip_prefix("<?xml").and_then(|d| d.split("?>").next()) else { return Ok(None) };
    let label = declaration.split("encoding").nth(1).and_then(|rest| {
        let rest = rest.trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        rest[1..].split(quote).next()
    });
    Ok(label
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8 && *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE))
}

impl XmlRows {
    /// Opens `path` to read the rows of `schema` (which must name its XML record).
    pub fn open(path: &Path, schema: &TableSchema, root: &'static str) -> Result<XmlRows> {
        let record = schema.xml_record.clone().ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            message: format!("table {} is not read from XML", schema.name),
        })?;
        // The parser reads UTF-8: a file in UTF-16 (by its byte-order mark) or in the encoding its
        // declaration names (`encoding="windows-1252"`) is decoded on the way in.
        let declared = declared_encoding(path)?;
        let file = File::open(path).map_err(Error::io("cannot read", path))?;
        let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(declared).bom_override(true).build(file);
        let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, decoded));
        reader.config_mut().expand_empty_elements = false;
        Ok(XmlRows {
            reader,
            buf: Vec::with_capacity(1024),
            record,
            barriers: schema.xml_barriers.clone(),
            root,
            stack: Vec::new(),
            columns: HashMap::new(),
            schema_width: schema.columns.len(),
            line: 1,
            path: path.to_path_buf(),
            seen_root: false,
            done: false,
        })
    }

    fn fault(&self, what: &str) -> Error {
        Error::Input {
            path: self.path.clone(),
            message: format!("is not a well-formed XML file: {what} (line {})", self.line),
        }
    }

    /// Whether the open elements, below the root, are `path`.
    fn at(&self, path: &[String]) -> bool {
        self.stack.len() == path.len() + 1 && self.stack[1..].iter().zip(path).all(|(f, p)| &f.name == p)
    }

    /// Reads up to `max` rows into `out` (fewer at the end of the file).
    pub fn next_rows(&mut self, max: usize, out: &mut Vec<RawRow>, schema: &TableSchema) -> Result<()> {
        while out.len() < max && !self.done {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(e) => {
                    let what = match e {
                        quick_xml::Error::Io(_) => "the file cannot be read",
                        quick_xml::Error::Syntax(_) => "a tag, comment or declaration is not closed",
                        quick_xml::Error::IllFormed(_) => "an element is not closed, or closed by another name",
                        quick_xml::Error::Encoding(_) => "its text is not in the encoding it declares",
                        _ => "it cannot be parsed",
                    };
                    self.done = true;
                    return Err(self.fault(what));
                }
            };
            match event {
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_string();
                    self.line += count_lines(e.as_ref().as_bytes());
                    self.open_element(name, schema)?;
                }
                Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_string();
                    self.line += count_lines(e.as_ref().as_bytes());
                    self.open_element(name, schema)?;
                    self.close(out, schema);
                }
                Event::End(e) => {
                    self.line += count_lines(e.as_ref().as_bytes());
                    self.close(out, schema);
                }
                Event::Text(t) => {
                    let text = t.xml10_content();
                    self.line += text.bytes().filter(|b| *b == b'\n').count();
                    if let Some(top) = self.stack.last_mut() {
                        top.text.push_str(&text);
                    } else if !text.trim().is_empty() {
                        self.done = true;
                        return Err(self.fault("text outside the root element"));
                    }
                }
                Event::CData(t) => {
                    let text = t.xml10_content();
                    self.line += text.bytes().filter(|b| *b == b'\n').count();
                    if let Some(top) = self.stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match r.as_ref() {
                            "amp" => Some('&'),
                            "lt" => Some('<'),
                            "gt" => Some('>'),
                            "quot" => Some('"'),
                            "apos" => Some('\''),
                            _ => None,
                        },
                        Err(_) => None,
                    };
                    let Some(c) = resolved else {
                        self.done = true;
                        return Err(self.fault("an entity reference is not one XML defines"));
                    };
                    if let Some(top) = self.stack.last_mut() {
                        top.text.push(c);
                    }
                }
                Event::Comment(c) => self.line += count_lines(c.as_ref().as_bytes()),
                Event::Eof => {
                    self.done = true;
                    if !self.seen_root {
                        return Err(self.fault("it holds no element"));
                    }
                    if !self.stack.is_empty() {
                        return Err(self.fault("it ends before its elements are closed (the file is cut short)"));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn open_element(&mut self, name: String, schema: &TableSchema) -> Result<()> {
        if self.stack.is_empty() {
            if self.seen_root {
                self.done = true;
                return Err(self.fault("a second root element follows the first"));
            }
            self.seen_root = true;
            if name != self.root {
                self.done = true;
                return Err(Error::Input {
                    path: self.path.clone(),
                    message: format!(
                        "its root element is not `{}`, so it is not a {} file",
                        self.root,
                        schema.source.title()
                    ),
                });
            }
        } else if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        }
        self.stack.push(Frame { name, line: self.line, text: String::new(), has_children: false, values: Vec::new() });
        Ok(())
    }

    fn column(&mut self, name: &str, schema: &TableSchema) -> Option<usize> {
        if let Some(c) = self.columns.get(name) {
            return *c;
        }
        let c = schema.column_for_header(name);
        self.columns.insert(name.to_string(), c);
        c
    }

    fn close(&mut self, out: &mut Vec<RawRow>, schema: &TableSchema) {
        let is_record = self.at(&self.record);
        let is_barrier = !is_record && self.barriers.iter().any(|b| self.at(b));
        let Some(frame) = self.stack.pop() else { return };
        if self.stack.is_empty() {
            return;
        }
        if !frame.has_children {
            let text = frame.text.trim();
            if text.is_empty() {
                return;
            }
            if let Some(c) = self.column(&frame.name, schema)
                && let Some(parent) = self.stack.last_mut()
            {
                parent.values.push((c, text.to_string()));
            }
            return;
        }
        if is_record {
            out.push(self.row(frame));
        } else if !is_barrier && let Some(parent) = self.stack.last_mut() {
            parent.values.extend(frame.values);
        }
    }

    /// A row from a record and, for the columns it lacks, its ancestors.
    fn row(&self, frame: Frame) -> RawRow {
        let mut cells = vec![RawCell::Empty; self.schema_width];
        for (c, value) in frame.values {
            cells[c] = match std::mem::replace(&mut cells[c], RawCell::Empty) {
                RawCell::Text(mut joined) => {
                    joined.push(';');
                    joined.push_str(&value);
                    RawCell::Text(joined)
                }
                _ => RawCell::Text(value),
            };
        }
        for ancestor in self.stack.iter().rev() {
            for (c, value) in &ancestor.values {
                if cells[*c] == RawCell::Empty {
                    cells[*c] = RawCell::Text(value.clone());
                }
            }
        }
        RawRow { row: frame.line, cells }
    }
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema::Schemas;

    fn rows(table: &str, bytes: &[u8]) -> Result<Vec<RawRow>> {
        let schemas = Schemas::builtin().expect("schemas");
        let schema = schemas.table(table).expect("table");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("census.xml");
        std::fs::write(&path, bytes).expect("write");
        let mut reader = XmlRows::open(&path, schema, CIN_ROOT)?;
        let mut out = Vec::new();
        while !reader.done {
            // Two rows at a time, as a reader hands out batches.
            let mut batch = Vec::new();
            reader.next_rows(2, &mut batch, schema)?;
            out.extend(batch);
        }
        Ok(out)
    }

    fn text(row: &RawRow, schema_table: &str, column: &str) -> Option<String> {
        let schemas = Schemas::builtin().expect("schemas");
        let i = schemas.table(schema_table).and_then(|t| t.column_index(column)).expect("column");
        match &row.cells[i] {
            RawCell::Text(t) => Some(t.clone()),
            _ => None,
        }
    }

    const CENSUS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Message xmlns=\"urn:x\">\n<Children>\n<Child>\n\
        <ChildIdentifiers><LAchildID>QZ1&amp;2</LAchildID></ChildIdentifiers>\n\
        <CINdetails>\n<CINreferralDate>2024-06-03</CINreferralDate>\n\
        <Section47><DateOfInitialCPC>2024-07-09</DateOfInitialCPC></Section47>\n\
        <Assessments><AssessmentActualStartDate>2024-06-04</AssessmentActualStartDate>\n\
        <AssessmentFactors><AssessmentFactor>24A</AssessmentFactor><AssessmentFactor>10A</AssessmentFactor></AssessmentFactors>\n\
        </Assessments>\n<Assessments><AssessmentActualStartDate>2024-08-01</AssessmentActualStartDate></Assessments>\n\
        </CINdetails>\n</Child>\n</Children>\n</Message>\n";

    #[test]
    fn a_row_takes_what_its_record_lacks_from_around_it() {
        let assessments = rows("cin_assessments", CENSUS.as_bytes()).expect("rows");
        assert_eq!(assessments.len(), 2);
        assert_eq!(text(&assessments[0], "cin_assessments", "child_id").as_deref(), Some("QZ1&2"));
        assert_eq!(text(&assessments[0], "cin_assessments", "referral_date").as_deref(), Some("2024-06-03"));
        assert_eq!(text(&assessments[0], "cin_assessments", "factors").as_deref(), Some("24A;10A"));
        assert_eq!(text(&assessments[1], "cin_assessments", "factors"), None);
        assert_eq!((assessments[0].row, assessments[1].row), (9, 12), "rows are numbered by the line they start on");
    }

    #[test]
    fn another_tables_elements_stay_in_their_record() {
        let referrals = rows("cin_referrals", CENSUS.as_bytes()).expect("rows");
        assert_eq!(referrals.len(), 1);
        assert_eq!(
            text(&referrals[0], "cin_referrals", "initial_cpc_date"),
            None,
            "Section47's date is not the referral's"
        );
        assert_eq!(text(&referrals[0], "cin_referrals", "referral_date").as_deref(), Some("2024-06-03"));
    }

    #[test]
    fn utf16_and_declared_encodings_are_decoded() {
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(CENSUS.replace("utf-8", "UTF-16").encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(rows("cin_children", &utf16).expect("utf-16").len(), 1);
        let declared = CENSUS.replace("utf-8", "windows-1252").replace("QZ1&amp;2", "QZé");
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&declared);
        let children = rows("cin_children", &cp1252).expect("windows-1252");
        assert_eq!(text(&children[0], "cin_children", "child_id").as_deref(), Some("QZé"));
    }

    #[test]
    fn a_broken_file_is_one_error_naming_its_line_and_never_a_value() {
        let cut = &CENSUS[..CENSUS.find("</CINdetails>").expect("cut")];
        let message = rows("cin_children", cut.as_bytes()).expect_err("cut short").to_string();
        assert!(message.contains("cut short") && message.contains("line 13"), "{message}");
        let wrong = CENSUS.replace("Message", "EXPSSDA903");
        let message = rows("cin_children", wrong.as_bytes()).expect_err("foreign root").to_string();
        assert!(message.contains("root element is not `Message`"), "{message}");
        let mismatched = CENSUS.replace("</LAchildID>", "</LAchild>");
        let message = rows("cin_children", mismatched.as_bytes()).expect_err("mismatched").to_string();
        assert!(message.contains("closed by another name") && !message.contains("QZ1"), "{message}");
    }
}
