//! The floor of each stage of `rni prepare` on young_people, each stage on its own, on one
//! core, so that a profile of prepare can be read against what each part costs at least:
//!
//!     cargo run --release --example floors -- FOLDER
//!
//! FOLDER holds the young_people CSV files of synthetic returns (canonical headers, as `rni
//! synth` writes them; `bench/run.py --keep DIR` leaves them in `DIR/n<size>/young_people_only`).
//! Each stage reads what the stage before it produced, held in memory (not timed):
//!
//! - CSV: every record of every file parsed into a reused `csv::ByteRecord`, no cell copied;
//! - HMAC: one keyed pseudonym of each row's child id;
//! - look-ups: every word of every note split, folded and looked up once in the allow-list;
//! - scrubbing: every note scrubbed by the authority's scrubber as `rni prepare` builds it
//!   (its young people's names and ids, the typed patterns, the word pass), and that
//!   scrubber's construction;
//! - Parquet: the pseudonyms and scrubbed notes written as one zstd Parquet file per
//!   authority with the project's writer.
//!
//! Synthetic data only: it prints counts and times, never a value.

// Its output is the table it prints.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use rni::config::schema::IdKind;
use rni::privacy::keys::{Pseudonymiser, example_key};
use rni::privacy::scrub::{Lexicon, Scrubber, fold};

/// One authority's file, as the later stages need it.
struct File {
    authority: String,
    ids: Vec<String>,
    people: Vec<(String, String, String)>,
    notes: Vec<String>,
}

fn young_people_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            young_people_files(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == "young_people.csv") {
            out.push(path);
        }
    }
    Ok(())
}

/// The authority code of a file: the first folder under the root that looks like one.
fn authority_of(path: &Path) -> String {
    path.ancestors()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
        .find(|n| n.len() == 9 && n.starts_with('E'))
        .unwrap_or("E00000000")
        .to_string()
}

fn report(stage: &str, seconds: f64, rows: usize, note: &str) {
    println!("{stage:<34} {seconds:>8.2} {:>12.0} {note}", rows as f64 / seconds);
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::args().nth(1).ok_or("give the folder of young_people CSV files")?);
    let mut paths = Vec::new();
    young_people_files(&root, &mut paths)?;
    if paths.is_empty() {
        return Err(format!("no young_people.csv under {}", root.display()).into());
    }
    println!("{} files; one core; seconds and rows per second of each stage alone", paths.len());
    println!("{:<34} {:>8} {:>12}", "stage", "seconds", "rows/s");

    // CSV: parse only.
    let start = Instant::now();
    let (mut rows, mut bytes) = (0usize, 0u64);
    for path in &paths {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            rows += 1;
        }
        bytes += std::fs::metadata(path)?.len();
    }
    report("CSV parse (ByteRecord)", start.elapsed().as_secs_f64(), rows, &format!("{} MB", bytes / 1_000_000));

    // What the later stages work on (not timed).
    let mut files = Vec::new();
    for path in &paths {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        let headers = reader.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name).ok_or(format!("no {name} column"));
        let (id, first, last, notes) = (col("child_id")?, col("first_name")?, col("last_name")?, col("notes")?);
        let mut file = File { authority: authority_of(path), ids: vec![], people: vec![], notes: vec![] };
        for record in reader.records() {
            let record = record?;
            let field = |i: usize| record.get(i).unwrap_or("").to_string();
            file.ids.push(field(id));
            file.people.push((String::new(), field(first), field(last)));
            file.notes.push(field(notes));
        }
        files.push(file);
    }

    // HMAC: one pseudonym per row.
    let pseudonymiser = Pseudonymiser::new(&example_key());
    let start = Instant::now();
    let mut pseudonyms: Vec<Vec<String>> = Vec::new();
    for file in &files {
        pseudonyms
            .push(file.ids.iter().map(|id| pseudonymiser.pseudonym(IdKind::Person, &file.authority, id)).collect());
    }
    report("HMAC-SHA256 (one per row)", start.elapsed().as_secs_f64(), rows, "");
    for (file, keyed) in files.iter_mut().zip(&pseudonyms) {
        for (person, pseudonym) in file.people.iter_mut().zip(keyed) {
            person.0 = format!("[PERSON:{}]", &pseudonym[..8]);
        }
    }

    // Look-ups: split, fold, one allow-list look-up per word.
    let lexicon = Lexicon::builtin()?;
    let start = Instant::now();
    let (mut words, mut kept) = (0usize, 0usize);
    let mut key = String::new();
    for file in &files {
        for note in &file.notes {
            for word in note.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
                words += 1;
                // ASCII words folded into one reused buffer; others by the scrubber's own folding.
                key.clear();
                if word.is_ascii() {
                    key.extend(word.bytes().map(|b| b.to_ascii_lowercase() as char));
                } else {
                    key.push_str(&fold(word));
                }
                kept += usize::from(lexicon.allows(&key, word));
            }
        }
    }
    report("words: split, fold, look up", start.elapsed().as_secs_f64(), rows, &format!("{words} words, {kept} kept"));

    // The scrubber as prepare builds it, then every note.
    let start = Instant::now();
    let scrubbers: Vec<Scrubber> = files
        .iter()
        .zip(&pseudonyms)
        .map(|(file, keyed)| {
            let ids: Vec<(String, String)> =
                keyed.iter().zip(&file.ids).map(|(p, id)| (format!("[PERSON:{}]", &p[..8]), id.clone())).collect();
            Scrubber::with_lexicon(&file.people, lexicon.clone()).with_ids(&ids)
        })
        .collect();
    report("scrubbers built (names, ids)", start.elapsed().as_secs_f64(), rows, "");
    let start = Instant::now();
    let mut scrubbed: Vec<Vec<String>> = Vec::new();
    for ((file, scrubber), keyed) in files.iter().zip(&scrubbers).zip(&pseudonyms) {
        let owners = keyed.iter().map(|p| format!("[PERSON:{}]", &p[..8]));
        scrubbed.push(file.notes.iter().zip(owners).map(|(n, own)| scrubber.scrub_for(n, Some(&own))).collect());
    }
    report("scrubbing every note", start.elapsed().as_secs_f64(), rows, "");

    // Parquet: pseudonyms and scrubbed notes, zstd, one file per authority.
    let out = tempfile::tempdir()?;
    let start = Instant::now();
    for (n, (keyed, notes)) in pseudonyms.iter().zip(&scrubbed).enumerate() {
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("person_id", Arc::new(StringArray::from_iter_values(keyed))),
            ("notes", Arc::new(StringArray::from_iter_values(notes))),
        ];
        let batch = RecordBatch::try_from_iter(columns)?;
        rni::publish::parquet::write_derived(&out.path().join(format!("{n}.parquet")), &batch)?;
    }
    report("Parquet (zstd) of those columns", start.elapsed().as_secs_f64(), rows, "");
    Ok(())
}
