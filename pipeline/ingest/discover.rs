//! Finding returns: a folder → the returns in it and the tables of each.
//!
//! A CS return is a folder `<authority_code>/<quarter>/` holding one CSV per
//! table or one workbook with a sheet per table. A statutory return is a
//! folder `<authority_code>/<source>/<period>/` (see [`Source`]): the CIN
//! census as one XML file, SSDA903 as one CSV per table, Annex A as one
//! workbook. File stems and sheet names match the table aliases of the
//! return's source; anything else is reported as not read (counted by kind
//! for files, by position for sheets, whose names could be anything). A build
//! discovers the returns once and hands the list to every step that needs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::period::Period;
use crate::config::reference::is_authority_code;
use crate::config::schema::Schemas;
use crate::config::source::Source;
use crate::error::{Error, Result};
use crate::ingest::read::{TableSource, sheet_names};

/// A return folder and the tables found in it.
#[derive(Debug, Clone)]
pub struct ReturnDir {
    /// ONS code of the authority (from the folder name).
    pub authority_code: String,
    /// Which return this is.
    pub source: Source,
    /// Quarter, collection year or date (from the folder name).
    pub period: Period,
    /// The folder.
    pub dir: PathBuf,
    /// Table name → where it is.
    pub tables: BTreeMap<String, TableSource>,
    /// What in the folder is not a table: files counted by kind ("2 files that are not tables
    /// were ignored: 1 .docx, 1 .pdf"), never by name, for a file's name may be a child's; and
    /// workbook sheets by position.
    pub ignored_files: Vec<String>,
    /// Workbooks that could not be opened, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl ReturnDir {
    /// The return's label in reports and manifests: `2025Q3`, or `cin/2025` for a statutory one.
    pub fn label(&self) -> String {
        self.source.label(self.period)
    }
}

/// Finds every return under `root`: `root` may be one return (`<code>/<quarter>` or
/// `<code>/<source>/<period>`), one authority (`<code>` holding them), or a folder holding
/// authorities.
pub fn discover_returns(root: &Path, schemas: &Schemas) -> Result<Vec<ReturnDir>> {
    let meta = std::fs::metadata(root).map_err(Error::io("cannot read", root))?;
    if !meta.is_dir() {
        return Err(Error::Input {
            path: root.to_path_buf(),
            message: "is not a folder; give the folder of a return (<authority_code>/<period>/) or of many".into(),
        });
    }
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut found: Vec<(String, Source, Period, PathBuf)> = Vec::new();
    let root_name = name(root);
    let canonical = root.canonicalize().ok();
    let parent = canonical.as_deref().and_then(Path::parent);
    let parent_name = parent.map(name).unwrap_or_default();
    let grandparent_name = parent.and_then(Path::parent).map(name).unwrap_or_default();
    let statutory_parent = Source::for_folder(&parent_name);
    if let (Some(source), true) = (statutory_parent, is_authority_code(&grandparent_name)) {
        let period = source.period(&root_name).ok_or_else(|| Error::Input {
            path: root.to_path_buf(),
            message: format!("is not named as {}", source.period_form()),
        })?;
        found.push((grandparent_name, source, period, root.to_path_buf()));
    } else if let (Some(period), true) = (Source::Cs.period(&root_name), is_authority_code(&parent_name)) {
        found.push((parent_name, Source::Cs, period, root.to_path_buf()));
    } else if let (Some(source), true) = (Source::for_folder(&root_name), is_authority_code(&parent_name)) {
        // One source of one authority: `<code>/cin/`.
        for q in sorted_subdirs(root)? {
            if let Some(period) = source.period(&name(&q)) {
                found.push((parent_name.clone(), source, period, q));
            }
        }
    } else {
        let authority_dirs: Vec<PathBuf> = if is_authority_code(&root_name) {
            vec![root.to_path_buf()]
        } else {
            let (authorities, others): (Vec<PathBuf>, Vec<PathBuf>) =
                sorted_subdirs(root)?.into_iter().partition(|d| is_authority_code(&name(d)));
            if !others.is_empty() {
                tracing::warn!(
                    folders = others.len(),
                    "{} folder(s) that are not authority codes (such as E09000017) were not read (not named here: a \
                     folder's name may name a child)",
                    others.len()
                );
            }
            authorities
        };
        for a in authority_dirs {
            let code = name(&a);
            let mut not_read = 0;
            for p in sorted_subdirs(&a)? {
                let folder = name(&p);
                if let Some(period) = Source::Cs.period(&folder) {
                    found.push((code.clone(), Source::Cs, period, p));
                } else if let Some(source) = Source::for_folder(&folder) {
                    let mut misnamed = 0;
                    for q in sorted_subdirs(&p)? {
                        match source.period(&name(&q)) {
                            Some(period) => found.push((code.clone(), source, period, q)),
                            None => misnamed += 1,
                        }
                    }
                    if misnamed > 0 {
                        tracing::warn!(
                            authority = %code,
                            source = source.folder(),
                            folders = misnamed,
                            "{code}: {misnamed} folder(s) in {}/ that are not named as {} were not read",
                            source.folder(),
                            source.period_form()
                        );
                    }
                } else {
                    not_read += 1;
                }
            }
            if not_read > 0 {
                tracing::warn!(
                    authority = %code,
                    folders = not_read,
                    "{code}: {not_read} folder(s) that are neither quarters (such as 2025Q3) nor statutory returns \
                     (cin/, ssda903/, annex_a/) were not read (not named here: a folder's name may name a child)"
                );
            }
        }
    }
    let mut out = Vec::new();
    for (code, source, period, dir) in found {
        out.push(scan_return(&code, source, period, &dir, schemas)?);
    }
    if out.is_empty() {
        return Err(Error::Input {
            path: root.to_path_buf(),
            message: "holds no return: expected folders <authority_code>/<period>/ such as E09000017/2025Q3/ or \
                      E09000017/cin/2025/"
                .into(),
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

fn scan_return(code: &str, source: Source, period: Period, dir: &Path, schemas: &Schemas) -> Result<ReturnDir> {
    let mut tables = BTreeMap::new();
    let mut ignored_files = Vec::new();
    let mut unreadable = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(Error::io("cannot read", dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut not_tables: BTreeMap<&'static str, usize> = BTreeMap::new();
    for path in files {
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match ext.as_str() {
            // The CIN census is one XML file holding every table.
            "xml" if source == Source::Cin => {
                if tables.is_empty() {
                    for t in schemas.tables_of(Source::Cin) {
                        tables.insert(t.name.clone(), TableSource { path: path.clone(), sheet: None });
                    }
                } else {
                    ignored_files.push("a second XML file was not read: a CIN census return is one file".into());
                }
            }
            "csv" | "txt" if source != Source::Cin => match schemas.table_for_name(source, &stem) {
                Some(t) if !tables.contains_key(&t.name) => {
                    tables.insert(t.name.clone(), TableSource { path: path.clone(), sheet: None });
                }
                _ => *not_tables.entry(kind_of(&ext)).or_default() += 1,
            },
            "xlsx" | "xlsm" | "xls" | "ods" if source != Source::Cin => {
                // Sheets are matched when the workbook is opened; remember it under a placeholder.
                tables
                    .entry(format!("\u{0}workbook:{file_name}"))
                    .or_insert(TableSource { path: path.clone(), sheet: None });
            }
            _ => *not_tables.entry(kind_of(&ext)).or_default() += 1,
        }
    }
    if !not_tables.is_empty() {
        let total: usize = not_tables.values().sum();
        let kinds: Vec<String> = not_tables.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        ignored_files.push(format!(
            "{total} file(s) that are not tables were ignored: {} (not named here: a file's name may name a child)",
            kinds.join(", ")
        ));
    }
    // Resolve workbooks into their sheets.
    let workbooks: Vec<(String, TableSource)> =
        tables.iter().filter(|(k, _)| k.starts_with('\u{0}')).map(|(k, v)| (k.clone(), v.clone())).collect();
    let ret_source = source;
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
            match schemas.table_for_name(ret_source, &sheet) {
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
        source,
        period,
        dir: dir.to_path_buf(),
        tables,
        ignored_files,
        unreadable,
    })
}

/// The kind of a file that is not a table, by its extension: one of a known list, so that an
/// odd extension ("notes.Kowalczyk") is never repeated.
fn kind_of(extension: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        ".csv", ".txt", ".doc", ".docx", ".pdf", ".rtf", ".odt", ".msg", ".eml", ".zip", ".jpg", ".jpeg", ".png",
        ".gif", ".tif", ".tiff", ".heic", ".mp4", ".mov", ".mp3", ".wav", ".m4a", ".ppt", ".pptx", ".json", ".xml",
        ".html", ".htm", ".md", ".log", ".bak", ".tmp",
    ];
    let dotted = format!(".{extension}");
    KNOWN.iter().find(|k| **k == dotted).copied().unwrap_or(if extension.is_empty() {
        "without an extension"
    } else {
        "of another kind"
    })
}

/// When `root` is one quarter of an authority (`<code>/<period>/`), the other quarters beside
/// it, for the names pass: a quarter prepared on its own still knows the names of the quarters
/// before it. A root that holds an authority's folder already holds all its quarters.
pub fn sibling_quarters(root: &Path, schemas: &Schemas) -> Result<Vec<ReturnDir>> {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(authority) = root.canonicalize().ok().and_then(|r| r.parent().map(Path::to_path_buf)) else {
        return Ok(Vec::new());
    };
    if Source::Cs.period(&name(root)).is_none() || !is_authority_code(&name(&authority)) {
        return Ok(Vec::new());
    }
    Ok(discover_returns(&authority, schemas)?.into_iter().filter(|r| r.source == Source::Cs).collect())
}
