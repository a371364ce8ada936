//! Hostile returns: every case of tests/fixtures/hostile has its expected outcome here.
//! Every case also checks: no panic, a clear message, and no raw value in any
//! message, report or output.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::util::{read_tree, rni, rni_ok, temp};

fn corpus(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile").join(case)
}

/// Values of the corpus that must never be echoed anywhere.
const RAW: &[&str] = &[
    "Orlaith",
    "Quennell",
    "Bartholomew",
    "Zanetti",
    "Perpetua",
    "Ashdown",
    "Ambrose",
    "Fitzwilliam",
    "HX1001",
    "HX1002",
    "HX1003",
    "HX1004",
    "A123456789012",
    "UB8 1QX",
    "UB4 0AA",
    "2010-05-01",
    "2009-01-15",
    "Cyrill",
    "Homoglyph",
];

struct Run {
    validate: Output,
    prepare: Output,
    manifest: Value,
    dir: tempfile::TempDir,
}

fn run(returns: &Path) -> Run {
    let dir = temp();
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let r = returns.to_str().expect("utf-8");
    let validate = rni(dir.path(), &["validate", r, "--report", "report.csv"]);
    let prepare = rni(dir.path(), &["prepare", "--key-file", "k.key", r, "--out", "pkg"]);
    for out in [&validate, &prepare] {
        let code = out.status.code();
        assert!(matches!(code, Some(0) | Some(1)), "exit {code:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let manifest =
        serde_json::from_slice(&std::fs::read(dir.path().join("pkg/MANIFEST.json")).expect("manifest")).expect("json");
    let run = Run { validate, prepare, manifest, dir };
    run.assert_nothing_echoed();
    run
}

impl Run {
    fn input(&self, table: &str) -> &Value {
        self.manifest["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["table"] == table)
            .unwrap_or_else(|| panic!("no input for {table}: {}", self.manifest))
    }

    fn counts(&self, table: &str) -> (u64, u64, u64) {
        let i = self.input(table);
        (
            i["rows_read"].as_u64().expect("read"),
            i["rows_accepted"].as_u64().expect("acc"),
            i["rows_rejected"].as_u64().expect("rej"),
        )
    }

    fn rules(&self, table: &str) -> Vec<String> {
        self.input(table)["rejected_by_rule"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    }

    fn text_outputs(&self) -> String {
        let mut text = String::new();
        for out in [&self.validate, &self.prepare] {
            text.push_str(&String::from_utf8_lossy(&out.stdout));
            text.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        for (path, bytes) in read_tree(self.dir.path()) {
            if path.extension().is_some_and(|e| e != "parquet" && e != "key") {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        text
    }

    fn parquet_text(&self, table: &str) -> String {
        let mut text = String::new();
        for (path, _) in read_tree(&self.dir.path().join("pkg/tables").join(table)) {
            let file = std::fs::File::open(self.dir.path().join("pkg/tables").join(table).join(path)).expect("open");
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .expect("r")
                .build()
                .expect("b");
            let batches: Vec<_> = reader.map(|b| b.expect("batch")).collect();
            text.push_str(&arrow::util::pretty::pretty_format_batches(&batches).expect("fmt").to_string());
        }
        text
    }

    fn assert_nothing_echoed(&self) {
        let mut text = self.text_outputs();
        for table in ["young_people", "episodes", "cin_children", "cin_assessments", "lac_children", "lac_missing"] {
            if self.dir.path().join("pkg/tables").join(table).exists() {
                text.push_str(&self.parquet_text(table));
            }
        }
        for raw in RAW {
            assert!(!text.contains(raw), "a raw value was echoed");
        }
    }
}

#[test]
fn an_empty_file_stops_its_table_and_the_rest_goes_on() {
    let r = run(&corpus("empty_file"));
    assert!(r.input("young_people")["error"].as_str().expect("error").contains("no recognisable header row"));
    assert_eq!(r.counts("episodes"), (1, 0, 1));
    assert_eq!(r.rules("episodes"), ["reference"]);
    assert_eq!(r.validate.status.code(), Some(1));
    assert_eq!(r.prepare.status.code(), Some(1), "a table that cannot be read is a problem to act on");
}

#[test]
fn a_header_only_file_is_an_empty_table() {
    let r = run(&corpus("header_only"));
    assert_eq!(r.counts("young_people"), (0, 0, 0));
    assert!(r.input("young_people")["error"].is_null());
}

#[test]
fn a_repeated_column_uses_the_first_and_says_so() {
    let r = run(&corpus("duplicate_columns"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    let notes = r.input("young_people")["notes"].to_string();
    assert!(notes.contains("repeats `gender`"), "{notes}");
}

#[test]
fn short_rows_are_rejected_and_long_rows_read() {
    let r = run(&corpus("short_and_long_rows"));
    assert_eq!(r.counts("young_people"), (3, 2, 1));
    assert_eq!(r.rules("young_people"), ["required"]);
}

#[test]
fn an_unclosed_quote_is_reported_and_the_rows_before_it_kept() {
    let r = run(&corpus("unbalanced_quote"));
    assert_eq!(r.counts("young_people"), (2, 1, 1));
    assert_eq!(r.rules("young_people"), ["quote"]);
}

#[test]
fn a_twenty_megabyte_note_is_rejected_without_losing_the_other_rows() {
    let dir = temp();
    let folder = dir.path().join("E09000017/2025Q1");
    std::fs::create_dir_all(&folder).expect("dir");
    let header = "child_id,first_name,last_name,date_of_birth,gender,notes";
    let huge = "The quick brown fox. ".repeat(1_000_000);
    let text = format!(
        "{header}\nHX1001,Orlaith,Quennell,2010-05-01,F,short\nHX1002,Bartholomew,Zanetti,2009-01-15,M,{huge}\nHX1003,Perpetua,Ashdown,2011-07-20,F,\n"
    );
    assert!(text.len() > 20_000_000);
    std::fs::write(folder.join("young_people.csv"), text).expect("write");
    let r = run(dir.path());
    assert_eq!(r.counts("young_people"), (3, 2, 1));
    assert_eq!(r.rules("young_people"), ["too_long"]);
}

#[test]
fn invalid_utf8_in_the_middle_is_read_as_windows_1252() {
    let r = run(&corpus("invalid_utf8_middle"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    assert_eq!(r.input("young_people")["encoding"], "windows-1252");
    assert!(r.parquet_text("young_people").contains("Café visit"), "decoded, not mangled");
}

#[test]
fn utf16_with_a_byte_order_mark_is_read() {
    let r = run(&corpus("utf16"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    assert_eq!(r.input("young_people")["encoding"], "utf-16");
}

#[test]
fn zero_width_characters_do_not_make_a_different_id() {
    let r = run(&corpus("zero_width_ids"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    assert_eq!(r.counts("episodes"), (1, 1, 0), "the episode finds its young person");
}

#[test]
fn ids_with_leading_zeros_stay_distinct() {
    let r = run(&corpus("leading_zeros"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    let text = r.parquet_text("young_people");
    let ids: std::collections::BTreeSet<&str> =
        text.lines().filter_map(|l| l.split('|').nth(1)).map(str::trim).filter(|s| s.len() == 32).collect();
    assert_eq!(ids.len(), 3, "00123 and 123 are two young people");
}

#[test]
fn a_surname_null_is_a_name_not_a_null() {
    let r = run(&corpus("surname_null"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    let text = r.parquet_text("young_people");
    assert!(!text.to_lowercase().contains("null was seen"), "the name is scrubbed like any other");
    assert!(text.contains("[PERSON:"), "the note is kept, with a token");
}

#[test]
fn formulas_never_reach_a_csv_unescaped() {
    let r = run(&corpus("formula_injection"));
    assert_eq!(r.counts("young_people"), (4, 4, 0));
    let csv =
        rni_ok(r.dir.path(), &["query", "pkg", "select notes from young_people order by notes", "--format", "csv"]);
    for line in csv.lines().skip(1) {
        let cell = line.trim_start_matches('"');
        assert!(!cell.starts_with(['=', '+', '-', '@']), "a cell starts a formula: {line}");
    }
    // The scrubber has been at the notes first (the link and the "@SUM" handle are gone); what
    // is left still starts with `=` or `-` and must come out escaped.
    assert!(csv.contains("'=") && csv.contains("'-2"), "{csv}");
}

#[test]
fn nfd_and_nfc_give_one_id_and_homoglyphs_do_not() {
    let r = run(&corpus("homoglyph_nfd"));
    assert_eq!(r.counts("young_people"), (2, 2, 0));
    // HE2001 names its young person in NFD: found. HE2002 uses a Latin A where the return has a Cyrillic one: not found.
    assert_eq!(r.counts("episodes"), (2, 1, 1));
    assert_eq!(r.rules("episodes"), ["reference"]);
    let text = r.parquet_text("episodes");
    assert!(!text.contains("Zo"), "the NFD name in the note is scrubbed");
}

#[test]
fn excel_serial_dates_and_the_1900_leap_year_bug() {
    let r = run(&corpus("excel_serials"));
    // 40299 is 1 May 2010; 60 is Excel's 29 February 1900, which never existed; text dates still work.
    assert_eq!(r.counts("young_people"), (3, 2, 1));
    assert_eq!(r.rules("young_people"), ["date"]);
    assert!(r.parquet_text("young_people").contains("2010-05"));
}

#[test]
fn dates_after_the_period_are_rejected() {
    let r = run(&corpus("future_dates"));
    assert_eq!(r.counts("episodes"), (2, 1, 1));
    assert_eq!(r.rules("episodes"), ["not_in_future"]);
}

#[test]
fn the_same_table_twice_is_read_once_and_reported() {
    let r = run(&corpus("same_return_twice"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    let ignored = r.manifest["ignored"].to_string();
    assert!(ignored.contains("already read from another file"), "{ignored}");
}

#[test]
fn a_missing_table_is_reported() {
    let r = run(&corpus("missing_table"));
    assert!(r.manifest["missing_tables"].to_string().contains("young_people"));
    assert_eq!(r.counts("episodes"), (1, 0, 1));
}

#[test]
fn unknown_columns_are_ignored_and_reported() {
    let r = run(&corpus("unknown_columns"));
    assert_eq!(r.counts("young_people"), (3, 3, 0));
    assert!(r.input("young_people")["notes"].to_string().contains("unrecognised column(s) at position 12"));
}

#[test]
fn wrong_sheet_names_are_reported() {
    let r = run(&corpus("wrong_sheet_names"));
    let ignored = r.manifest["ignored"].to_string();
    assert!(ignored.contains("sheet 1 (not named after a table)"), "{ignored}");
    assert!(r.manifest["missing_tables"].to_string().contains("young_people"));
}

#[test]
fn a_truncated_workbook_is_a_clear_error_and_the_csv_beside_it_is_read() {
    let r = run(&corpus("truncated_xlsx"));
    let error = r.input("(workbook)")["error"].as_str().expect("error").to_string();
    assert!(error.contains("not a readable Excel workbook"), "{error}");
    assert_eq!(r.counts("episodes"), (1, 0, 1));
}

#[test]
fn key_files_readable_by_others_get_a_warning() {
    let dir = temp();
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path().join("k.key"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let out = rni(
        dir.path(),
        &["prepare", "--key-file", "k.key", corpus("header_only").to_str().expect("utf-8"), "--out", "pkg"],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
}

#[test]
fn audit_finds_planted_leaks_and_passes_a_clean_warehouse() {
    let dir = temp();
    rni_ok(dir.path(), &["synth", "--out", "returns", "--seed", "51", "--authorities", "2", "--young-people", "40"]);
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let clean = rni(dir.path(), &["audit", "wh", "--returns", "returns"]);
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stdout));

    // Plant a child id in the report and a first name in a notes column.
    let (h, rows) =
        crate::util::read_return_csv(&dir.path().join("returns/E09000017/2025Q1/young_people.csv"), "young_people");
    let id = rows[0][h.iter().position(|c| c == "child_id").expect("id")].clone();
    let name = rows[0][h.iter().position(|c| c == "first_name").expect("first")].clone();
    let report = dir.path().join("wh/report/index.html");
    let mut html = std::fs::read_to_string(&report).expect("report");
    html.push_str(&format!("<!-- {id} -->"));
    std::fs::write(&report, html).expect("write");
    let leak_dir = dir.path().join("wh/tables/young_people/authority_code=E09000017/period=2025Q1");
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
        "notes",
        arrow::datatypes::DataType::Utf8,
        true,
    )]));
    let batch = arrow::array::RecordBatch::try_new(
        schema.clone(),
        vec![std::sync::Arc::new(arrow::array::StringArray::from(vec![format!("seen with {name} today")]))],
    )
    .expect("batch");
    let file = std::fs::File::create(leak_dir.join("leak.parquet")).expect("file");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");

    let out = rni(dir.path(), &["audit", "wh", "--returns", "returns"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("report/index.html") && stdout.contains("identifier"), "{stdout}");
    assert!(stdout.contains("leak.parquet") && stdout.contains("notes") && stdout.contains("name"), "{stdout}");
    assert!(!stdout.contains(&id) && !stdout.contains(&name), "findings never show the value");
}

#[test]
fn build_refuses_to_publish_when_the_audit_finds_a_leak() {
    let dir = temp();
    rni_ok(dir.path(), &["synth", "--out", "returns", "--seed", "52", "--authorities", "2", "--young-people", "30"]);
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let manifest = rni::synth::read_manifest(&dir.path().join("returns")).expect("manifest");
    let other = manifest.returns.iter().find(|r| r.authority_code != "E09000017").expect("a second authority");
    // A note in one authority quotes another authority's child id: no scrubber of that return knows it.
    let (h, rows) =
        crate::util::read_return_csv(&dir.path().join("returns/E09000017/2025Q1/young_people.csv"), "young_people");
    // A short numeric id, which no pattern of the scrubber takes for a reference, and which only
    // Hillingdon's return holds: the scrubber of the other authority cannot know it.
    let id_col = h.iter().position(|c| c == "child_id").expect("id");
    let original_id = rows[0][id_col].clone();
    let foreign_id = "7319".to_string();
    let yp = dir.path().join("returns/E09000017/2025Q1/young_people.csv");
    let yp_text = std::fs::read_to_string(&yp).expect("young people");
    std::fs::write(&yp, yp_text.replacen(&original_id, &foreign_id, 1)).expect("write");
    let path = dir.path().join("returns").join(&other.authority_code).join(&other.period).join("episodes.csv");
    let text = std::fs::read_to_string(&path).expect("episodes");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = format!("{},\"Also known to Hillingdon as {foreign_id}.\"", lines[1].rsplit_once(',').expect("notes").0);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");

    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("leak audit found"), "{stderr}");
    assert!(!stderr.contains(&foreign_id));
    assert!(!dir.path().join("wh").exists(), "nothing was published");
}

// Statutory returns.

#[test]
fn a_cut_short_cin_census_is_one_error_for_its_return_naming_the_line() {
    let r = run(&corpus("cin_malformed_xml"));
    for table in ["cin_children", "cin_assessments"] {
        let error = r.input(table)["error"].as_str().expect("error").to_string();
        assert!(error.contains("is not a well-formed XML file") && error.contains("(line "), "{error}");
    }
    assert_eq!(r.prepare.status.code(), Some(1));
    let written = crate::util::parquet_files_under(&r.dir.path().join("pkg/tables"));
    assert!(written.is_empty(), "nothing is written from a broken file: {written:?}");
}

#[test]
fn an_xml_file_that_is_not_a_cin_census_is_refused_by_its_root() {
    let r = run(&corpus("cin_wrong_root"));
    let error = r.input("cin_children")["error"].as_str().expect("error").to_string();
    assert!(error.contains("root element is not `Message`"), "{error}");
}

#[test]
fn an_invalid_factor_code_rejects_its_assessment_only() {
    let r = run(&corpus("cin_invalid_factor"));
    assert_eq!(r.counts("cin_children"), (2, 2, 0));
    assert_eq!(r.counts("cin_assessments"), (2, 1, 1));
    assert_eq!(r.rules("cin_assessments"), ["code"]);
    let report = std::fs::read_to_string(r.dir.path().join("report.csv")).expect("report");
    assert!(report.lines().any(|l| l.contains(",cin_assessments,") && l.contains(",factors,code,")), "{report}");
}

#[test]
fn a_child_given_twice_in_a_cin_census_is_rejected_the_second_time() {
    let r = run(&corpus("cin_duplicate_child"));
    assert_eq!(r.counts("cin_children"), (2, 1, 1));
    assert_eq!(r.rules("cin_children"), ["unique"]);
}

#[test]
fn placeholder_dummy_children_are_rejected_in_every_source() {
    let r = run(&corpus("statutory_dummy_rows"));
    assert_eq!(r.counts("cin_children"), (2, 1, 1));
    assert_eq!(r.rules("cin_children"), ["dummy"]);
    assert_eq!(r.counts("lac_missing"), (2, 1, 1));
    assert_eq!(r.rules("lac_missing"), ["dummy"]);
}

#[test]
fn ssda903_files_with_lowercase_shuffled_headers_and_names_are_read() {
    let r = run(&corpus("ssda903_shuffled_headers"));
    assert_eq!(r.counts("lac_children"), (2, 2, 0));
    assert_eq!(r.counts("lac_missing"), (2, 2, 0));
    let text = r.parquet_text("lac_missing");
    assert!(text.contains("| M ") && text.contains("| A "), "codes in any case are read: {text}");
}
