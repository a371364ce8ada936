//! Free text end to end: returns written by hand with the cases that once leaked, prepared or
//! built, and every output (Parquet decoded), message and manifest searched for the names,
//! ids and file names they hold.

use std::path::Path;

use crate::util::{decoded_parquet, read_tree, rni, rni_ok, temp};

const EPISODES_HEADER: &str = "episode_id,child_id,start_date,referral_source,harm_types,lead_service,plan_type,contextual_assessment,risk_at_start,notes";

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// Everything a run left: decoded Parquet, every other file, and what it printed.
fn everything(dir: &Path, out_dir: &str, output: &std::process::Output) -> String {
    let root = dir.join(out_dir);
    let mut all = decoded_parquet(&root);
    for (path, bytes) in read_tree(&root) {
        if path.extension().is_none_or(|e| e != "parquet") {
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    all.push_str(&String::from_utf8_lossy(&output.stdout));
    all.push_str(&String::from_utf8_lossy(&output.stderr));
    all
}

fn prepare(dir: &Path, returns: &str) -> (std::process::Output, String) {
    rni_ok(dir, &["keygen", "--out", "k.key"]);
    let out = rni(dir, &["prepare", "--key-file", "k.key", returns, "--out", "pkg"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = everything(dir, "pkg", &out);
    (out, all)
}

#[test]
fn one_child_name_column_is_learned() {
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        "Child ID,Child Name,Known As,DOB,Gender,Notes\n\
         C001,Jakub Kowalczyk,Kuba,2010-03-04,M,Seen with Wiktoria Mazur; jakub said kowalczyk is his dad's name.\n\
         C002,Wiktoria Mazur,,2011-05-06,F,Wiktoria and Kuba were stopped by BTP.\n"
            .as_bytes(),
    );
    let (_, all) = prepare(dir.path(), "returns");
    for name in ["Jakub", "jakub", "Kowalczyk", "kowalczyk", "Kuba", "Wiktoria", "Mazur"] {
        assert!(!all.contains(name), "{name} leaked");
    }
    assert!(all.contains("[PERSON:"), "the names became the young people's tokens");
}

#[test]
fn a_stray_windows_1252_byte_does_not_garble_the_rest_of_the_file() {
    let dir = temp();
    let mut csv = "child_id,first_name,last_name,date_of_birth,gender,notes\n".as_bytes().to_vec();
    csv.extend("C001,Bartłomiej,Wiśniewski,2010-03-04,M,Bartłomiej Wiśniewski is open.\n".as_bytes());
    // One cell saved by another program: "Zoë" in Windows-1252.
    csv.extend(b"C002,Zo\xEB,Kowalska,2011-05-06,F,Seen with Bart\xc5\x82omiej.\n");
    write(dir.path(), "returns/E09000017/2025Q1/young_people.csv", &csv);
    let (_, all) = prepare(dir.path(), "returns");
    for name in ["Bartłomiej", "Wiśniewski", "BartÅ", "WiÅ", "Zoë", "Kowalska"] {
        assert!(!all.contains(name), "{name} leaked");
    }
    let manifest = std::fs::read_to_string(dir.path().join("pkg/MANIFEST.json")).expect("manifest");
    assert!(manifest.contains("\"encoding\": \"mixed\""), "{manifest}");
}

#[test]
fn a_quarter_prepared_alone_knows_the_names_of_the_quarters_before_it() {
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC001,Orlaith,Quennell,2010-03-04,F,\n",
    );
    write(
        dir.path(),
        "returns/E09000017/2025Q2/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC002,Tomasz,Zielinski,2010-03-04,M,Seen with Orlaith; Quennell's brother too.\n",
    );
    let (_, all) = prepare(dir.path(), "returns/E09000017/2025Q2");
    for name in ["Orlaith", "Quennell", "Tomasz", "Zielinski"] {
        assert!(!all.contains(name), "{name} leaked");
    }
    // An earlier quarter kept elsewhere is read with --names-from.
    let elsewhere = temp();
    write(
        elsewhere.path(),
        "E09000017/2024Q4/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC009,Ruby,Hale,2010-03-04,F,\n",
    );
    write(
        dir.path(),
        "other/E09000017/2025Q3/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC003,Adam,Nowak,2010-03-04,M,Seen with Ruby outside.\n",
    );
    let from = elsewhere.path().to_str().expect("utf-8");
    let out = rni(dir.path(), &["prepare", "--key-file", "k.key", "other", "--out", "pkg2", "--names-from", from]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = everything(dir.path(), "pkg2", &out);
    assert!(!all.contains("Ruby"), "a name of another quarter leaked");
}

#[test]
fn file_names_that_are_not_tables_never_leave_the_return_folder() {
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC00125,Jakub,Kowalczyk,2010-03-04,M,\n",
    );
    write(dir.path(), "returns/E09000017/2025Q1/Kowalczyk Jakub - chronology.docx", b"not a table");
    write(dir.path(), "returns/E09000017/2025Q1/C00125 strategy meeting minutes.pdf", b"not a table");
    let (out, all) = prepare(dir.path(), "returns");
    for part in ["Kowalczyk", "Jakub", "chronology", "C00125", "minutes"] {
        assert!(!all.contains(part), "{part} of a file name left the return folder");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 file(s) that are not tables were ignored: 1 .docx, 1 .pdf"), "{stdout}");
    let validate = rni(dir.path(), &["validate", "returns", "--report", "problems.csv"]);
    let said = format!("{}{}", String::from_utf8_lossy(&validate.stdout), String::from_utf8_lossy(&validate.stderr));
    assert!(!said.contains("Kowalczyk") && !said.contains("chronology"), "{said}");
}

#[test]
fn notes_that_quote_the_returns_own_ids_are_published_without_them() {
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        "child_id,first_name,last_name,date_of_birth,gender,upn,notes\n\
         C00125,Jakub,Kowalczyk,2010-03-04,M,A123456789012,See EP10000014 and ep 10000014.\n\
         C00126,Anna,Nowak,2011-05-06,F,,Met him (upn a123  4567  89012) at school.\n"
            .as_bytes(),
    );
    let episodes = format!(
        "{EPISODES_HEADER}\nEP10000014,C00125,2025-01-10,POLICE,CCE,YJS,CONTEXT_SAFETY,Y,HIGH,\"For c00125 see context CTX-0042, upn a123 4567 89012.\"\n"
    );
    write(dir.path(), "returns/E09000017/2025Q1/episodes.csv", episodes.as_bytes());
    write(
        dir.path(),
        "returns/E09000017/2025Q1/contexts.csv",
        b"context_id,context_type,description,identified_date,assessment_date,intervention,outcome,linked_child_ids\nCTX-0042,LOCATION,Park used by EP10000014's peers,2025-01-12,,NONE,ONGOING,C00125\n",
    );
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let all = without_digests(&everything(dir.path(), "wh", &out));
    // A young person's UPN written with two spaces is caught by no typed pattern: only as the
    // return's own id.
    for id in ["10000014", "C00125", "c00125", "CTX-0042", "0042", "89012", "a123  4567", "Kowalczyk"] {
        assert!(!all.contains(id), "{id} reached an output");
    }
}

/// The outputs with every run of 16 or more letters and digits left out: pseudonyms,
/// SHA-256 digests and generated file names are random hex and would, now and then,
/// hold a short run of digits such as `0042` by chance. No id of a return is that long.
fn without_digests(all: &str) -> String {
    let mut kept = String::with_capacity(all.len());
    for piece in all.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
        let word = piece.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        if word.len() >= 16 {
            kept.push_str(&piece[word.len()..]);
        } else {
            kept.push_str(piece);
        }
    }
    kept
}

#[test]
fn a_digest_that_holds_an_id_by_chance_is_not_a_leak_but_the_id_is() {
    let digest = "9f3c00427ab1e2d4c5b6a7980f1e2d3c";
    assert_eq!(without_digests(&format!("sha256 {digest}, CTX-0042.")), "sha256 , CTX-0042.");
    assert!(without_digests(&format!("{digest} [ID]-0042")).contains("0042"));
}

#[test]
fn the_audit_finds_a_name_the_scrubber_was_told_to_skip() {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, RecordBatch, StringArray};
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC001,Orlaith,Quennell,2010-03-04,F,Orlaith seen with Quennell's cousin.\n",
    );
    let (_, all) = prepare(dir.path(), "returns");
    assert!(!all.contains("Orlaith"));
    let clean = rni(dir.path(), &["audit", "pkg", "--returns", "returns"]);
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));
    // The scrubber "switched off" for the notes column: the raw note written where the
    // scrubbed one was, in a Parquet file of the package.
    let batch = RecordBatch::try_from_iter([(
        "notes",
        Arc::new(StringArray::from(vec!["Orlaith seen with Quennell's cousin."])) as ArrayRef,
    )])
    .expect("batch");
    let path = dir.path().join("pkg/tables/young_people/authority_code=E09000017/period=2025Q1/unscrubbed.parquet");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    let found = rni(dir.path(), &["audit", "pkg", "--returns", "returns"]);
    let stdout = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unscrubbed.parquet") && stdout.contains("name"), "{stdout}");
    assert!(!stdout.contains("Orlaith") && !stdout.contains("Quennell"), "findings never show the value");
}

#[test]
fn an_empty_or_missing_vocabulary_file_stops_prepare_and_writes_nothing() {
    let dir = temp();
    write(
        dir.path(),
        "returns/E09000017/2025Q1/young_people.csv",
        b"child_id,first_name,last_name,date_of_birth,gender,notes\nC001,Orlaith,Quennell,2010-03-04,F,Seen.\n",
    );
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    write(dir.path(), "empty.txt", b"# nothing\n");
    for file in ["empty.txt", "missing.txt"] {
        let out = rni(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "pkg", "--vocabulary", file]);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("vocabulary"));
        assert!(!dir.path().join("pkg").exists(), "nothing was written");
    }
}
