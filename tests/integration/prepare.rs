//! `rni validate` and `rni prepare`: the boundary where raw returns become safe data.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rni::synth::{SynthManifest, read_manifest};

use crate::util::{read_tree, rni, rni_ok, rni_path, temp};

/// Synthesises messy returns and a key in `dir`; returns the manifest.
fn messy_returns(dir: &Path, seed: &str) -> SynthManifest {
    rni_ok(
        dir,
        &["synth", "--out", "returns", "--seed", seed, "--messy", "--young-people", "60", "--authorities", "3"],
    );
    rni_ok(dir, &["keygen", "--out", "k.key"]);
    read_manifest(&dir.join("returns")).expect("manifest")
}

/// Raw identifying values of every young person in every return, CSV or workbook.
#[derive(Default)]
struct RawIdentifiers {
    names: BTreeSet<String>,
    ids: BTreeSet<String>,
    upns: BTreeSet<String>,
    postcodes: BTreeSet<String>,
    dates_of_birth: BTreeSet<chrono::NaiveDate>,
}

fn raw_identifiers(root: &Path, manifest: &SynthManifest) -> RawIdentifiers {
    use calamine::{Data, Reader, open_workbook_auto};
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    let schema = schemas.table("young_people").expect("yp");
    let mut raw = RawIdentifiers::default();
    let mut add = |column: &str, value: String, date: Option<chrono::NaiveDate>| {
        let value = value.trim().to_string();
        if value.is_empty() {
            return;
        }
        match column {
            "first_name" | "last_name" => {
                raw.names.insert(value);
            }
            "child_id" => {
                raw.ids.insert(value);
            }
            "upn" => {
                raw.upns.insert(value);
            }
            "postcode" => {
                raw.postcodes.insert(value);
            }
            "date_of_birth" => {
                if let Some(d) = date.or_else(|| rni::ingest::validate::parse_date(&value)) {
                    raw.dates_of_birth.insert(d);
                }
            }
            _ => {}
        }
    };
    for info in &manifest.returns {
        if info.format == "csv" {
            let path = root.join(&info.authority_code).join(&info.period).join("young_people.csv");
            let (headers, rows) = crate::util::read_return_csv(&path, "young_people");
            for row in rows {
                for (h, v) in headers.iter().zip(row) {
                    add(h, v, None);
                }
            }
        } else {
            let mut book = open_workbook_auto(root.join(&info.files[0])).expect("workbook");
            let sheet = book.sheet_names().into_iter().find(|s| schema.matches_name(s)).expect("sheet");
            let range = book.worksheet_range(&sheet).expect("range");
            let headers: Vec<String> = range
                .rows()
                .next()
                .expect("header")
                .iter()
                .map(|c| {
                    schema.column_for_header(&c.to_string()).map(|i| schema.columns[i].name.clone()).unwrap_or_default()
                })
                .collect();
            for row in range.rows().skip(1) {
                for (h, cell) in headers.iter().zip(row) {
                    let date = match cell {
                        Data::DateTime(dt) => dt.as_datetime().map(|d| d.date()),
                        _ => None,
                    };
                    add(h, cell.to_string(), date);
                }
            }
        }
    }
    raw
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(rni::audit::text::folded)
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn no_raw_identifier_reaches_any_output_or_message() {
    let dir = temp();
    let manifest = messy_returns(dir.path(), "11");
    let out = rni(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "pkg"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let raw = raw_identifiers(&dir.path().join("returns"), &manifest);
    assert!(raw.names.len() > 100 && raw.ids.len() > 100 && raw.upns.len() > 50, "the inputs hold identifiers");
    assert!(raw.names.iter().any(|n| n == "Zoë") && raw.names.iter().any(|n| n == "O'Connor"));

    let pkg = dir.path().join("pkg");
    let mut corpus = crate::util::decoded_parquet(&pkg);
    assert!(corpus.contains("[PERSON:"), "notes were scrubbed, not dropped");
    for (path, bytes) in read_tree(&pkg) {
        if path.extension().is_some_and(|e| e != "parquet") {
            corpus.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    corpus.push_str(&String::from_utf8_lossy(&out.stdout));
    corpus.push_str(&String::from_utf8_lossy(&out.stderr));
    // rni's own pseudonyms (32 hex digits), key id (16), checksums (64) and the tokens of its
    // placeholders (`[PERSON:1a2b3c4d]`) are lowercase hex; by chance such a string can contain
    // an all-hex raw id ("C001005") or postcode, so they are masked first. A raw value leaks in
    // its own (upper) case and is not masked; an 8-digit id standing alone is not masked either.
    let own_hex = regex::Regex::new(r"\b(?:[0-9a-f]{64}|[0-9a-f]{32}|[0-9a-f]{16})\b|:[0-9a-f]{8}\]").expect("regex");
    let corpus = own_hex.replace_all(&corpus, " ").into_owned();
    let upper = corpus.to_uppercase();
    let compact: String = upper.chars().filter(|c| !c.is_whitespace()).collect();
    for id in &raw.ids {
        let id = id.to_uppercase();
        if let Some(at) = upper.find(&id) {
            // The surroundings, with the id itself blanked, show where it got through.
            let around = |from: usize, to: usize| upper.get(from..to).unwrap_or("").to_string();
            panic!(
                "a child id leaked, between {:?} and {:?}",
                around(at.saturating_sub(40), at),
                around(at + id.len(), (at + id.len() + 40).min(upper.len()))
            );
        }
    }
    for upn in &raw.upns {
        assert!(!upper.contains(&upn.to_uppercase()), "a UPN leaked");
    }
    for pc in &raw.postcodes {
        let pc: String = pc.to_uppercase().chars().filter(|c| !c.is_whitespace()).collect();
        assert!(!compact.contains(&pc), "a postcode leaked");
    }
    for dob in &raw.dates_of_birth {
        for form in [dob.format("%Y-%m-%d").to_string(), dob.format("%d/%m/%Y").to_string()] {
            assert!(!corpus.contains(&form), "a date of birth leaked");
        }
    }
    let corpus_words = crate::util::folded_words(&corpus);
    let mut leaked = Vec::new();
    for name in &raw.names {
        for part in name.split([' ', '-']) {
            let key = rni::audit::text::folded(part);
            if crate::util::shows_name(&key, &corpus_words) {
                leaked.push(key);
            }
        }
    }
    assert!(leaked.is_empty(), "{} name(s) leaked (first: {:?})", leaked.len(), leaked.first().map(|k| k.len()));
}

#[test]
fn every_kind_of_mess_is_read_or_rejected_with_the_right_rule() {
    let dir = temp();
    let manifest = messy_returns(dir.path(), "12");
    let out = rni(dir.path(), &["validate", "returns", "--report", "report.csv"]);
    assert_eq!(out.status.code(), Some(1), "rejected rows make validate exit 1");
    let mut reader = csv::Reader::from_path(dir.path().join("report.csv")).expect("report");
    let reported: BTreeSet<(String, usize, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[2].to_string(), r[4].parse().expect("row number"), r[5].to_string(), r[6].to_string())
        })
        .collect();
    let planted: BTreeSet<(String, usize, String, String)> =
        manifest.planted.iter().map(|p| (p.file.clone(), p.row, p.column.clone(), p.rule.clone())).collect();
    assert!(!planted.is_empty());
    assert_eq!(reported, planted, "exactly the planted rows are rejected, with file, row, column and rule");
    // Nothing else is written by validate.
    let files: Vec<_> =
        read_tree(dir.path()).into_iter().map(|(p, _)| p).filter(|p| !p.starts_with("returns")).collect();
    assert_eq!(files, vec![PathBuf::from("k.key"), PathBuf::from("report.csv")]);
}

#[test]
fn validate_exits_zero_on_clean_returns() {
    let dir = temp();
    rni_ok(dir.path(), &["synth", "--out", "returns", "--young-people", "30", "--authorities", "1"]);
    let out = rni(dir.path(), &["validate", "returns/E09000017/2025Q2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("young_people"));
}

#[test]
fn prepare_records_encodings_and_is_byte_identical_with_the_same_key() {
    let dir = temp();
    let manifest = messy_returns(dir.path(), "13");
    rni_ok(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "one"]);
    rni_ok(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "two"]);
    let one: Vec<_> = read_tree(&dir.path().join("one")).into_iter().filter(|(p, _)| p.starts_with("tables")).collect();
    let two: Vec<_> = read_tree(&dir.path().join("two")).into_iter().filter(|(p, _)| p.starts_with("tables")).collect();
    assert_eq!(one.len(), manifest.returns.len() * 7, "one file per table and return");
    assert!(one == two, "same input and key give byte-identical Parquet");

    let text = std::fs::read_to_string(dir.path().join("one/MANIFEST.json")).expect("manifest");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["key_id"].as_str().map(str::len), Some(16));
    let inputs = json["inputs"].as_array().expect("inputs");
    for info in &manifest.returns {
        let input = inputs
            .iter()
            .find(|i| {
                i["authority_code"] == info.authority_code.as_str()
                    && i["period"] == info.period.as_str()
                    && i["table"] == "young_people"
            })
            .expect("input recorded");
        let expected = if info.format == "xlsx" { "xlsx" } else { info.encoding.as_str() };
        assert_eq!(input["encoding"], expected, "{}/{}", info.authority_code, info.period);
        assert_eq!(input["sha256"].as_str().map(str::len), Some(64));
        let read = input["rows_read"].as_u64().expect("read");
        assert_eq!(read, input["rows_accepted"].as_u64().expect("acc") + input["rows_rejected"].as_u64().expect("rej"));
    }

    // Another key gives other pseudonyms.
    rni_ok(dir.path(), &["keygen", "--out", "other.key"]);
    rni_ok(dir.path(), &["prepare", "--key-file", "other.key", "returns", "--out", "three"]);
    let three: Vec<_> =
        read_tree(&dir.path().join("three")).into_iter().filter(|(p, _)| p.starts_with("tables")).collect();
    assert_ne!(one, three);
}

#[test]
fn parquet_reads_back_in_datafusion_with_the_documented_schema() {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
    let dir = temp();
    messy_returns(dir.path(), "14");
    rni_ok(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "pkg"]);
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = SessionConfig::new().set_bool("datafusion.execution.parquet.schema_force_view_types", false);
        let ctx = SessionContext::new_with_config(config);
        for table in schemas.tables_of(rni::config::source::Source::Cs) {
            let path = dir.path().join("pkg/tables").join(&table.name);
            let options = ParquetReadOptions::default()
                .table_partition_cols(vec![("authority_code".into(), DataType::Utf8), ("period".into(), DataType::Utf8)]);
            ctx.register_parquet(&table.name, path.to_string_lossy().as_ref(), options).await.expect("register");
            let df = ctx.sql(&format!("select * from {}", table.name)).await.expect("sql");
            let batches = df.collect().await.expect("collect");
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert!(rows > 0, "{} has rows", table.name);
            let schema = batches[0].schema();
            let mut expected: Vec<(String, DataType)> =
                table.outputs.iter().map(|o| (o.name.clone(), o.data_type.clone())).collect();
            expected.push(("authority_code".into(), DataType::Utf8));
            expected.push(("period".into(), DataType::Utf8));
            let actual: Vec<(String, DataType)> =
                schema.fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
            assert_eq!(actual, expected, "{}", table.name);
        }
        let df = ctx
            .sql("select count(distinct person_id) as n, min(length(person_id)) as l from young_people where authority_code = 'E09000017'")
            .await
            .expect("sql");
        let batches = df.collect().await.expect("collect");
        let text = arrow::util::pretty::pretty_format_batches(&batches).expect("fmt").to_string();
        assert!(text.contains("| 32 |"), "pseudonyms are 32 hex characters: {text}");
    });
}

#[test]
fn prepare_refuses_a_missing_short_or_malformed_key_and_writes_nothing() {
    let dir = temp();
    rni_ok(
        dir.path(),
        &["synth", "--out", "returns", "--young-people", "20", "--authorities", "1", "--periods", "2025Q1"],
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("short", Some("ab".repeat(16))),
        ("malformed", Some("zq".repeat(32))),
        ("empty", Some(String::new())),
    ];
    for (name, content) in cases {
        let out_dir = format!("pkg-{name}");
        let mut args = vec!["prepare", "returns", "--out", out_dir.as_str()];
        let key_path = format!("{name}.key");
        if let Some(content) = &content {
            std::fs::write(dir.path().join(&key_path), content).expect("write key");
            args.extend_from_slice(&["--key-file", key_path.as_str()]);
        }
        let out = rni(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{name}: exit 2");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("key"), "{name}: says it is about the key: {stderr}");
        if let Some(content) = &content
            && !content.is_empty()
        {
            assert!(!stderr.contains(content.as_str()), "{name}: never echoes the key");
        }
        assert!(!dir.path().join(&out_dir).exists(), "{name}: nothing written");
    }
    // The environment variable works when the flag is absent.
    rni_ok(dir.path(), &["keygen", "--out", "good.key"]);
    let out = std::process::Command::new(crate::util::rni_path())
        .args(["prepare", "returns", "--out", "pkg-env"])
        .current_dir(dir.path())
        .env("RNI_KEY_FILE", dir.path().join("good.key"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("pkg-env/MANIFEST.json").exists());
}

#[test]
#[allow(clippy::print_stdout)] // the measured recall is part of the test's output
fn scrubbing_recall_on_synthetic_notes() {
    let (people, notes) = rni::synth::sample_notes(5, 300, 1500);
    let key = rni::privacy::keys::example_key();
    let pseudonymiser = rni::privacy::keys::Pseudonymiser::new(&key);
    let tokens: Vec<(String, String, String)> = people
        .iter()
        .enumerate()
        .map(|(i, (f, l))| {
            let id = pseudonymiser.pseudonym(rni::config::schema::IdKind::Person, "E09000017", &format!("C{i}"));
            (rni::privacy::scrub::person_token(&id), f.clone(), l.clone())
        })
        .collect();
    let scrubber = rni::privacy::scrub::Scrubber::new(&tokens).expect("scrubber");
    let (mut in_total, mut in_missed, mut out_total, mut out_missed) = (0, 0, 0, 0);
    for note in &notes {
        let scrubbed = words(&scrubber.scrub(&note.text));
        for name in &note.names_in_return {
            in_total += 1;
            if scrubbed.contains(&rni::audit::text::folded(name)) {
                in_missed += 1;
            }
        }
        for name in &note.names_outside {
            out_total += 1;
            if scrubbed.contains(&rni::audit::text::folded(name)) {
                out_missed += 1;
            }
        }
    }
    let recall_outside = 100.0 * (out_total - out_missed) as f64 / out_total as f64;
    println!(
        "scrubbing recall over {} notes: young people in the return {}/{} found; other names {:.2}% ({} of {})",
        notes.len(),
        in_total - in_missed,
        in_total,
        recall_outside,
        out_total - out_missed,
        out_total
    );
    assert!(notes.len() >= 1000);
    assert_eq!(in_missed, 0, "every name of a young person in the return is removed");
    assert!(recall_outside >= 95.0, "recall for names outside the return is {recall_outside:.2}%");
}

#[test]
fn prepare_never_mixes_keys_in_one_package() {
    let dir = temp();
    messy_returns(dir.path(), "12");
    rni_ok(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "pkg"]);
    let before = std::fs::read(dir.path().join("pkg/MANIFEST.json")).expect("manifest");
    rni_ok(dir.path(), &["keygen", "--out", "other.key"]);
    let out = rni(dir.path(), &["prepare", "--key-file", "other.key", "returns", "--out", "pkg"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never mixes keys"));
    assert_eq!(std::fs::read(dir.path().join("pkg/MANIFEST.json")).expect("manifest"), before, "untouched");
    // The same key may prepare into its own package again.
    rni_ok(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "pkg"]);
    // A folder that is no package is refused too.
    std::fs::create_dir_all(dir.path().join("notes")).expect("mkdir");
    std::fs::write(dir.path().join("notes/thesis.txt"), "mine").expect("write");
    let out = rni(dir.path(), &["prepare", "--key-file", "k.key", "returns", "--out", "notes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("notes/tables").exists());
}

/// A package is whole when every output its manifest lists exists with the recorded sha256.
fn package_outputs(pkg: &Path) -> String {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("MANIFEST.json")).expect("manifest")).expect("json");
    let mut digests = Vec::new();
    for o in manifest["outputs"].as_array().expect("outputs") {
        let path = pkg.join(o["path"].as_str().expect("path"));
        let digest = rni::publish::manifest::sha256_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(digest, o["sha256"].as_str().expect("sha"), "{}", path.display());
        digests.push(digest);
    }
    digests.join(",")
}

#[test]
fn a_prepare_killed_at_any_moment_leaves_the_previous_package_whole() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "old", "--seed", "91", "--authorities", "1", "--young-people", "300"]);
    rni_ok(d, &["synth", "--out", "new", "--seed", "92", "--authorities", "1", "--young-people", "300"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    let started = Instant::now();
    rni_ok(d, &["prepare", "--key-file", "k.key", "old", "--out", "pkg"]);
    let duration = started.elapsed().max(Duration::from_millis(200));
    let old = package_outputs(&d.join("pkg"));
    rni_ok(d, &["prepare", "--key-file", "k.key", "new", "--out", "pkg-new"]);
    let new = package_outputs(&d.join("pkg-new"));
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut kills = 0;
    for round in 0..30 {
        let returns = if round % 2 == 0 { "new" } else { "old" };
        let mut child = Command::new(rni_path())
            .args(["prepare", "--key-file", "k.key", returns, "--out", "pkg"])
            .current_dir(d)
            .env_remove("RNI_KEY_FILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        std::thread::sleep(Duration::from_micros(state % (duration.as_micros() as u64)));
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("kill");
            kills += 1;
        }
        child.wait().expect("reap");
        let now = package_outputs(&d.join("pkg"));
        assert!(now == old || now == new, "round {round}: the package is neither the old nor the new one");
    }
    assert!(kills >= 10, "only {kills} prepares were killed mid-way");
}

/// Folders that are not quarters (a statutory return, anything else) are reported, never
/// silently skipped, and never named unless rni knows the name.
#[test]
fn folders_that_are_not_returns_are_reported_without_their_names() {
    let dir = crate::util::temp();
    let d = dir.path();
    let write = |rel: &str, text: &str| {
        let path = d.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "returns/E09000017/2025Q1/young_people.csv",
        "child_id,first_name,last_name,date_of_birth,gender\nC001,Amy,Stone,2010-03-04,F\n",
    );
    write("returns/E09000017/cin/2025/cin_census.xml", "<Message><Children/></Message>");
    write("returns/E09000017/cin/Kowalczyk 2025/cin_census.xml", "<Message/>");
    write("returns/E09000017/Kowalczyk Jakub/chronology.csv", "a,b\n1,2\n");
    write("returns/Smith family/2025Q1/young_people.csv", "child_id\nC9\n");
    let out = crate::util::rni(d, &["validate", "returns", "--report", "problems.csv"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The CIN census is read as a return of its own; a folder in cin/ that is no year is reported.
    assert!(said.contains("cin/2025") && said.contains("cin_children"), "{said}");
    assert!(said.contains("1 folder(s) in cin/ that are not named as a collection year"), "{said}");
    assert!(said.contains("E09000017: 1 folder(s) that are neither quarters"), "{said}");
    assert!(said.contains("1 folder(s) that are not authority codes"), "{said}");
    for name in ["Kowalczyk", "Jakub", "Smith"] {
        assert!(!said.contains(name), "{name} was named: {said}");
    }
}
