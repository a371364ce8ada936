//! `rni synth`: deterministic, realistic, and messy on request.

use std::collections::HashSet;
use std::path::Path;

use rni::synth::{SynthManifest, read_manifest};

use crate::util::{read_return_csv, read_tree, rni_ok, temp};

fn synth(dir: &Path, out: &str, extra: &[&str]) -> SynthManifest {
    let mut args = vec!["synth", "--out", out, "--young-people", "40", "--authorities", "3"];
    args.extend_from_slice(extra);
    rni_ok(dir, &args);
    read_manifest(&dir.join(out)).expect("manifest")
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let dir = temp();
    synth(dir.path(), "a", &["--seed", "1", "--messy"]);
    synth(dir.path(), "b", &["--seed", "1", "--messy"]);
    synth(dir.path(), "c", &["--seed", "2", "--messy"]);
    let a = read_tree(&dir.path().join("a"));
    let b = read_tree(&dir.path().join("b"));
    let c = read_tree(&dir.path().join("c"));
    assert!(a.iter().any(|(p, _)| p.extension().is_some_and(|e| e == "xlsx")), "workbooks are compared too");
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{} differs between two runs with the same seed", pa.display());
    }
    assert_ne!(a, c, "a different seed gives different output");
    // Plain CSV too.
    synth(dir.path(), "d", &["--seed", "1"]);
    synth(dir.path(), "e", &["--seed", "1"]);
    assert_eq!(read_tree(&dir.path().join("d")), read_tree(&dir.path().join("e")));
}

#[test]
fn layout_is_authority_then_period_with_hillingdon_first() {
    let dir = temp();
    let manifest = synth(dir.path(), "r", &["--periods", "2025Q3..2025Q4"]);
    assert_eq!(manifest.returns.len(), 6);
    assert_eq!(manifest.returns[0].authority_code, "E09000017");
    for table in ["young_people", "episodes", "reviews", "contexts", "panels", "practice", "adoption"] {
        let path = dir.path().join("r/E09000017/2025Q3").join(format!("{table}.csv"));
        assert!(path.exists(), "{} exists", path.display());
    }
    let (headers, rows) = read_return_csv(&dir.path().join("r/E09000017/2025Q4/adoption.csv"), "adoption");
    assert_eq!(headers[0], "stage");
    assert_eq!(rows.len(), 1, "one adoption row per return");
}

fn norm(id: &str) -> String {
    rni::ingest::normalise::normalise(id)
}

/// Every episode, review and context refers to something in the same return, except planted rows.
fn check_references(root: &Path, manifest: &SynthManifest) -> usize {
    let mut checked = 0;
    for info in manifest.returns.iter().filter(|r| r.format == "csv") {
        let dir = root.join(&info.authority_code).join(&info.period);
        let planted: HashSet<(String, usize)> = manifest
            .planted
            .iter()
            .filter(|p| p.file.starts_with(&format!("{}/{}", info.authority_code, info.period)))
            .map(|p| (p.table.clone(), p.row))
            .collect();
        let col = |headers: &[String], name: &str| headers.iter().position(|h| h == name).expect(name);
        let (yh, yp) = read_return_csv(&dir.join("young_people.csv"), "young_people");
        let children: HashSet<String> = yp.iter().map(|r| norm(&r[col(&yh, "child_id")])).collect();
        let (eh, ep) = read_return_csv(&dir.join("episodes.csv"), "episodes");
        let mut episodes = HashSet::new();
        for (i, row) in ep.iter().enumerate() {
            if planted.contains(&("episodes".to_string(), i + 2)) {
                continue;
            }
            assert!(
                children.contains(&norm(&row[col(&eh, "child_id")])),
                "{}: episode row {} has no child",
                dir.display(),
                i + 2
            );
            episodes.insert(norm(&row[col(&eh, "episode_id")]));
            checked += 1;
        }
        let (rh, rv) = read_return_csv(&dir.join("reviews.csv"), "reviews");
        for row in &rv {
            assert!(episodes.contains(&norm(&row[col(&rh, "episode_id")])), "review of an unknown episode");
            checked += 1;
        }
        let (ch, cx) = read_return_csv(&dir.join("contexts.csv"), "contexts");
        for row in &cx {
            for id in row[col(&ch, "linked_child_ids")].split(';').filter(|s| !s.trim().is_empty()) {
                assert!(children.contains(&norm(id)), "context linked to an unknown child");
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn every_row_refers_to_something_that_exists() {
    let dir = temp();
    let clean = synth(dir.path(), "clean", &["--seed", "7"]);
    assert!(check_references(&dir.path().join("clean"), &clean) > 100);
    assert!(clean.planted.is_empty(), "clean output has no bad rows");
    let messy = synth(dir.path(), "messy", &["--seed", "7", "--messy"]);
    assert!(check_references(&dir.path().join("messy"), &messy) > 100);
}

#[test]
fn messy_output_holds_every_kind_of_mess() {
    let dir = temp();
    let root = dir.path().join("m");
    let manifest = synth(dir.path(), "m", &["--seed", "3", "--messy"]);
    let schemas = rni::config::schema::Schemas::builtin().expect("schemas");
    let yp_schema = schemas.table("young_people").expect("yp");

    // Windows-1252: not UTF-8, and decodes to names with accents and apostrophes.
    let cp1252 = manifest.returns.iter().find(|r| r.encoding == "windows-1252").expect("a cp1252 return");
    let bytes =
        std::fs::read(root.join(&cp1252.authority_code).join(&cp1252.period).join("young_people.csv")).expect("file");
    assert!(std::str::from_utf8(&bytes).is_err(), "a Windows-1252 file is not valid UTF-8");
    let text = encoding_rs::WINDOWS_1252.decode(&bytes).0;
    assert!(
        ["Zoë", "Seán", "Siobhán", "Chloë", "Renée", "José", "Róisín"].iter().any(|n| text.contains(n)),
        "accented names"
    );
    assert!(["O'Connor", "O'Brien", "D'Souza"].iter().any(|n| text.contains(n)), "apostrophes in names");

    // A UTF-8 byte-order mark.
    let bom = manifest.returns.iter().find(|r| r.encoding == "utf-8-bom").expect("a BOM return");
    let bytes = std::fs::read(root.join(&bom.authority_code).join(&bom.period).join("episodes.csv")).expect("file");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));

    // Header variants: some file's headers are not the canonical names, but all are known aliases.
    let mut saw_alias_header = false;
    let mut saw_dmy = false;
    let mut saw_line_break = false;
    let mut saw_value_alias = false;
    for info in manifest.returns.iter().filter(|r| r.format == "csv") {
        let path = root.join(&info.authority_code).join(&info.period).join("young_people.csv");
        let raw = crate::util::decode(&std::fs::read(&path).expect("file"));
        let first_line = raw.lines().next().expect("header");
        if !first_line.starts_with("child_id,") {
            saw_alias_header = true;
        }
        let (headers, rows) = read_return_csv(&path, "young_people");
        let dob = headers.iter().position(|h| h == "date_of_birth").expect("dob");
        let gender = headers.iter().position(|h| h == "gender").expect("gender");
        let notes = headers.iter().position(|h| h == "notes").expect("notes");
        for row in &rows {
            let d = &row[dob];
            if d.len() == 10 && d.as_bytes()[2] == b'/' && d.as_bytes()[5] == b'/' {
                saw_dmy = true;
            }
            if row[notes].contains('\n') {
                saw_line_break = true;
            }
            if ["Male", "Female", "Boy", "Girl"].contains(&row[gender].as_str()) {
                saw_value_alias = true;
                let codes =
                    yp_schema.columns[yp_schema.column_index("gender").expect("g")].codes.as_ref().expect("codes");
                assert!(codes.resolve(&row[gender]).is_some());
            }
        }
    }
    assert!(saw_alias_header, "header aliases");
    assert!(saw_dmy, "DD/MM/YYYY dates");
    assert!(saw_line_break, "quoted notes with line breaks");
    assert!(saw_value_alias, "value aliases such as Male");

    // A workbook with date serials.
    use calamine::{Data, Reader, open_workbook_auto};
    let xlsx = manifest.returns.iter().find(|r| r.format == "xlsx").expect("a workbook return");
    let mut book = open_workbook_auto(root.join(&xlsx.files[0])).expect("open workbook");
    let sheet_name = book.sheet_names().into_iter().find(|s| yp_schema.matches_name(s)).expect("young people sheet");
    let range = book.worksheet_range(&sheet_name).expect("sheet");
    let header: Vec<String> = range.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    let dob = header
        .iter()
        .position(|h| yp_schema.column_for_header(h) == yp_schema.column_index("date_of_birth"))
        .expect("dob");
    let serial_dates = range.rows().skip(1).filter(|r| matches!(r[dob], Data::DateTime(_) | Data::Float(_))).count();
    assert!(serial_dates > 5, "dates of birth stored as Excel serials");

    // Deliberately bad rows, each of a different rule, each really bad in its file.
    let rules: HashSet<&str> = manifest.planted.iter().map(|p| p.rule.as_str()).collect();
    for rule in ["required", "date", "code", "reference"] {
        assert!(rules.contains(rule), "a planted row breaks `{rule}`");
    }
    for p in manifest.planted.iter().filter(|p| p.file.ends_with(".csv")) {
        let (headers, rows) = read_return_csv(&root.join(&p.file), &p.table);
        let row = &rows[p.row - 2];
        let value = &row[headers.iter().position(|h| *h == p.column).expect("column")];
        match p.rule.as_str() {
            "required" => assert!(value.trim().is_empty(), "{p:?}"),
            "date" => assert!(value.starts_with("31/02/"), "{p:?}"),
            "code" => {
                let schema = schemas.table(&p.table).expect("table");
                let spec = &schema.columns[schema.column_index(&p.column).expect("col")];
                assert!(spec.codes.as_ref().expect("codes").resolve(value).is_none(), "{p:?}");
            }
            "reference" => {
                let dir = root.join(&p.file);
                let (yh, yp) = read_return_csv(&dir.with_file_name("young_people.csv"), "young_people");
                let c = yh.iter().position(|h| h == "child_id").expect("child_id");
                assert!(yp.iter().all(|r| norm(&r[c]) != norm(value)), "{p:?}");
            }
            other => panic!("unexpected rule {other}"),
        }
    }
}
