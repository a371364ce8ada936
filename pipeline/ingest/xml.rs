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
    reader: quick_xml::Reader<BufReader<File>>,
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

impl XmlRows {
    /// Opens `path` to read the rows of `schema` (which must name its XML record).
    pub fn open(path: &Path, schema: &TableSchema, root: &'static str) -> Result<XmlRows> {
        let record = schema.xml_record.clone().ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            message: format!("table {} is not read from XML", schema.name),
        })?;
        let file = File::open(path).map_err(Error::io("cannot read", path))?;
        let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, file));
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
        let is_record = self.at(&self.record.clone());
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
