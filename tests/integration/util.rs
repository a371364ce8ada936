//! Helpers: run `rni`, make temporary folders, read what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the built `rni` binary.
pub fn rni_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rni"))
}

/// Runs `rni` with arguments in a folder, with no key variable inherited.
pub fn rni(dir: &Path, args: &[&str]) -> Output {
    Command::new(rni_path())
        .args(args)
        .current_dir(dir)
        .env_remove("RNI_KEY_FILE")
        .env("RNI_LOG", "info")
        .output()
        .expect("rni runs")
}

/// Runs `rni` and asserts it exits 0; returns stdout.
pub fn rni_ok(dir: &Path, args: &[&str]) -> String {
    let out = rni(dir, args);
    assert!(
        out.status.success(),
        "rni {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary folder.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Every file under a folder, sorted, with contents.
pub fn read_tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                out.push((path.strip_prefix(root).expect("prefix").to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Decodes a CSV file as rni's readers would: BOM → UTF-8, else UTF-8, else Windows-1252.
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).expect("utf-8 after BOM");
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Reads a CSV return file into (canonical headers, rows) using the schema's header aliases.
pub fn read_return_csv(path: &Path, table: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    let schema = schemas.table(table).expect("table");
    let text = decode(&std::fs::read(path).expect("read csv"));
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .expect("headers")
        .iter()
        .map(|h| {
            let i = schema.column_for_header(h).unwrap_or_else(|| panic!("unknown header {h} in {}", path.display()));
            schema.columns[i].name.clone()
        })
        .collect();
    let rows = reader.records().map(|r| r.expect("record").iter().map(str::to_string).collect()).collect();
    (headers, rows)
}

/// The words of a text, folded as the leak audit folds them: every word, and those written
/// capitalised.
pub fn folded_words(text: &str) -> (std::collections::HashSet<String>, std::collections::HashSet<String>) {
    let mut all = std::collections::HashSet::new();
    let mut capitalised = std::collections::HashSet::new();
    for w in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()) {
        let key = rni::audit::text::folded(w);
        if w.chars().next().is_some_and(char::is_uppercase) {
            capitalised.insert(key.clone());
        }
        all.insert(key);
    }
    (all, capitalised)
}

/// Whether a name part (folded) shows in a text's words: anywhere, or, for a name that is also
/// an ordinary English word ("White", "Will"), where it is written capitalised, as a name.
pub fn shows_name(key: &str, words: &(std::collections::HashSet<String>, std::collections::HashSet<String>)) -> bool {
    key.chars().count() >= 2
        && words.0.contains(key)
        && (!rni::audit::text::is_ordinary_word(key) || words.1.contains(key))
}

/// Every Parquet file under `root`, decoded and printed as tables.
pub fn decoded_parquet(root: &Path) -> String {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut out = String::new();
    for path in parquet_files_under(root) {
        let file = std::fs::File::open(&path).expect("open parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet").build().expect("reader");
        let batches: Vec<_> = reader.map(|b| b.expect("batch")).collect();
        out.push_str(&arrow::util::pretty::pretty_format_batches(&batches).expect("format").to_string());
        out.push('\n');
    }
    out
}

/// Every Parquet file under `root`.
pub fn parquet_files_under(root: &Path) -> Vec<PathBuf> {
    read_tree(root)
        .into_iter()
        .map(|(p, _)| root.join(p))
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

/// Copies a folder and everything in it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Drops the last `n` lines of a file, whatever its encoding.
pub fn drop_last_lines(path: &Path, n: usize) {
    let bytes = std::fs::read(path).expect("read");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let mut kept = lines[..lines.len() - n].join(&b'\n');
    kept.push(b'\n');
    std::fs::write(path, kept).expect("write");
}

/// The other authority than Hillingdon in a synthetic returns folder.
pub fn other_authority(returns: &Path) -> String {
    std::fs::read_dir(returns)
        .expect("returns")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with('E') && n != "E09000017")
        .expect("a second authority")
}
