//! `rni case-study`: k-anonymous, renamed, record-level exports.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use crate::util::{read_tree, rni, rni_ok, temp};

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let headers = reader.headers().expect("headers").iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.expect("row").iter().map(str::to_string).collect()).collect();
    (headers, rows)
}

fn column<'a>(headers: &[String], rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = headers.iter().position(|h| h == name).expect(name);
    rows.iter().map(|r| r[i].as_str()).collect()
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(rni::audit::text::folded)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Columns of `young_people` that are not quasi-identifiers.
const NOT_QUASI: &[&str] = &["young_person", "display_name", "notes"];

/// An attacker's view of an export: each young person's values of every quasi-identifier the
/// export carries, with the dates of their episodes, reviews and contexts as one more.
fn quasi_records(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let (h, yp) = read_csv(&dir.join("young_people.csv"));
    let mut dates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let (eh, ep) = read_csv(&dir.join("episodes.csv"));
    let date_columns = |h: &[String]| -> Vec<usize> {
        h.iter()
            .enumerate()
            .filter(|(_, c)| c.ends_with("_month") || c.ends_with("_quarter") || c.ends_with("_year"))
            .map(|(i, _)| i)
            .collect()
    };
    let ep_person: BTreeMap<String, String> = ep
        .iter()
        .map(|r| (r[eh.iter().position(|c| c == "episode").expect("episode")].clone(), r[1].clone()))
        .collect();
    for r in &ep {
        dates.entry(r[1].clone()).or_default().extend(date_columns(&eh).iter().map(|&i| r[i].clone()));
    }
    let (rh, rv) = read_csv(&dir.join("reviews.csv"));
    for r in &rv {
        if let Some(p) = ep_person.get(&r[0]) {
            dates.entry(p.clone()).or_default().extend(date_columns(&rh).iter().map(|&i| r[i].clone()));
        }
    }
    let (ch, cx) = read_csv(&dir.join("contexts.csv"));
    let linked = ch.iter().position(|c| c == "linked_young_people").expect("linked");
    for r in &cx {
        for p in r[linked].split(';').filter(|p| !p.is_empty()) {
            dates.entry(p.to_string()).or_default().extend(date_columns(&ch).iter().map(|&i| r[i].clone()));
        }
    }
    let id = h.iter().position(|c| c == "young_person").expect("young_person");
    yp.iter()
        .map(|r| {
            let mut values: Vec<String> = h
                .iter()
                .zip(r)
                .filter(|(c, _)| !NOT_QUASI.contains(&c.as_str()))
                .map(|(c, v)| format!("{c}={v}"))
                .collect();
            let ds: Vec<String> =
                dates.get(&r[id]).map(|d| d.iter().filter(|v| !v.is_empty()).cloned().collect()).unwrap_or_default();
            values.push(format!("dates={}", ds.join(" ")));
            (r[id].clone(), values)
        })
        .collect()
}

fn quasi_classes(dir: &Path) -> BTreeMap<Vec<String>, usize> {
    let mut classes = BTreeMap::new();
    for values in quasi_records(dir).into_values() {
        *classes.entry(values).or_insert(0) += 1;
    }
    classes
}

#[test]
fn exports_are_k_anonymous_renamed_and_unlinkable() {
    let dir = temp();
    rni_ok(
        dir.path(),
        &["synth", "--out", "returns", "--seed", "41", "--authorities", "2", "--young-people", "120", "--messy"],
    );
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    for out in ["one", "two"] {
        rni_ok(dir.path(), &["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", out, "--k", "5"]);
    }
    let one = dir.path().join("one");

    // Every class over every quasi-identifier the export carries has at least k young people,
    // as an attacker recomputes it; the report says so.
    let (h, yp) = read_csv(&one.join("young_people.csv"));
    let classes = quasi_classes(&one);
    let smallest = classes.values().copied().min().expect("classes");
    assert!(smallest >= 5, "smallest class {smallest}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(one.join("disclosure-report.json")).expect("report")).expect("json");
    assert_eq!(report["smallest_class"].as_u64(), Some(smallest as u64));
    assert_eq!(report["classes"].as_u64(), Some(classes.len() as u64));
    let kept =
        report["young_people_in"].as_u64().expect("in") - report["young_people_suppressed"].as_u64().expect("supp");
    assert_eq!(kept, yp.len() as u64);
    for table in ["young_people", "episodes", "reviews", "contexts"] {
        let (_, rows) = read_csv(&one.join(format!("{table}.csv")));
        assert_eq!(report["rows_written"][table].as_u64(), Some(rows.len() as u64), "{table}");
        let file = std::fs::File::open(one.join(format!("{table}.parquet"))).expect("parquet");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("r")
            .build()
            .expect("b");
        assert_eq!(reader.map(|b| b.expect("batch").num_rows()).sum::<usize>(), rows.len(), "{table} parquet");
    }
    assert!(one.join("README.md").exists() && one.join("data-dictionary.md").exists());

    // Display names: unique in the export, and drawn anew for a second export of the same
    // warehouse, as its local ids and its row order are, so that the two cannot be joined.
    let names: Vec<&str> = column(&h, &yp, "display_name");
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "no two people share a display name");
    let (h2, yp2) = read_csv(&dir.path().join("two/young_people.csv"));
    let names2: BTreeSet<&str> = column(&h2, &yp2, "display_name").into_iter().collect();
    let shared = names.iter().filter(|n| names2.contains(*n)).count();
    assert!(shared * 20 <= names.len(), "{shared} of {} display names appear in both exports", names.len());
    let pairs = |h: &[String], rows: &[Vec<String>]| -> BTreeSet<(String, String)> {
        column(h, rows, "young_person")
            .into_iter()
            .zip(column(h, rows, "display_name"))
            .map(|(a, b)| (a.into(), b.into()))
            .collect()
    };
    let same_pairs = pairs(&h, &yp).intersection(&pairs(&h2, &yp2)).count();
    assert!(same_pairs * 20 <= names.len(), "{same_pairs} (id, name) pairs repeat across exports");
    assert_ne!(column(&h, &yp, "display_name"), column(&h2, &yp2, "display_name"), "rows come in another order");

    // No raw name, no pseudonym, no token.
    let mut text = String::new();
    for (path, bytes) in read_tree(&one) {
        if path.extension().is_some_and(|e| e == "csv" || e == "md" || e == "json") {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(!text.contains("[PERSON"), "tokens are replaced by display names");
    let hex32 = regex::Regex::new("[0-9a-f]{32}").expect("regex");
    assert!(!hex32.is_match(&text), "no pseudonym appears in the export");
    let display_words: HashSet<String> = names.iter().flat_map(|n| words(n)).collect();
    let (all, capitalised) = crate::util::folded_words(&text);
    let export_words = (
        all.difference(&display_words).cloned().collect::<HashSet<String>>(),
        capitalised.difference(&display_words).cloned().collect::<HashSet<String>>(),
    );
    let mut raw_full_names = Vec::new();
    let mut leaked = 0;
    for info in rni::synth::read_manifest(&dir.path().join("returns")).expect("manifest").returns {
        if info.format != "csv" {
            continue;
        }
        let (rh, rows) = crate::util::read_return_csv(
            &dir.path().join("returns").join(&info.authority_code).join(&info.period).join("young_people.csv"),
            "young_people",
        );
        for (first, last) in column(&rh, &rows, "first_name").into_iter().zip(column(&rh, &rows, "last_name")) {
            raw_full_names.push(format!("{first} {last}"));
            for w in [first, last] {
                let key = rni::audit::text::folded(w);
                if crate::util::shows_name(&key, &export_words) {
                    leaked += 1;
                }
            }
        }
    }
    assert!(raw_full_names.len() > 100);
    for full in &raw_full_names {
        assert!(!text.contains(full.as_str()), "a real full name appears in the export");
    }
    assert_eq!(leaked, 0, "real names appear in the export outside the display names");
}

#[test]
fn an_unknown_authority_is_a_clear_error() {
    let dir = temp();
    rni_ok(
        dir.path(),
        &["synth", "--out", "returns", "--authorities", "1", "--young-people", "20", "--periods", "2025Q1"],
    );
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let out = rni(dir.path(), &["case-study", "--warehouse", "wh", "--authority", "E06000001", "--out", "cs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no young people"));
    let out = rni(dir.path(), &["case-study", "--warehouse", "wh", "--authority", "Hillingdon", "--out", "cs"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn k_comes_from_the_policy_file_unless_given() {
    let dir = temp();
    rni_ok(dir.path(), &["synth", "--out", "returns", "--seed", "8", "--authorities", "1", "--young-people", "120"]);
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let policy = rni::config::policy::DEFAULT_POLICY.replace("k_anonymity = 5", "k_anonymity = 7");
    assert!(policy.contains("k_anonymity = 7"), "the built-in policy sets k_anonymity = 5");
    std::fs::write(dir.path().join("policy.toml"), policy).expect("write");
    let k_of = |out: &str| -> u64 {
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(out).join("disclosure-report.json")).expect("report"),
        )
        .expect("json");
        report["k"].as_u64().expect("k")
    };
    let base = ["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out"];
    rni_ok(dir.path(), &[&base[..], &["cs-default"]].concat());
    rni_ok(dir.path(), &[&base[..], &["cs-policy", "--policy", "policy.toml"]].concat());
    rni_ok(dir.path(), &[&base[..], &["cs-flag", "--policy", "policy.toml", "--k", "4"]].concat());
    assert_eq!((k_of("cs-default"), k_of("cs-policy"), k_of("cs-flag")), (5, 7, 4));
}
