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
    // A display name is drawn from name lists, so now and then it is also a synthetic child's
    // name (of this authority or another): that is a coincidence of two drawn names, not a leak,
    // and the words of display names are set aside for the word check below alike.
    for full in raw_full_names.iter().filter(|f| !names.contains(&f.as_str())) {
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

/// Adds identifiers that an older scrubber could have left to every `young_people` note of an
/// authority in a warehouse, as if it had been built before the scrubber learned them.
fn plant_in_warehouse_notes(warehouse: &Path, authority: &str, planted: &str) {
    use arrow::array::{Array, ArrayRef, StringArray};
    let root = warehouse.join("tables/young_people").join(format!("authority_code={authority}"));
    for period in std::fs::read_dir(&root).expect("partitions").flatten() {
        for file in std::fs::read_dir(period.path()).expect("files").flatten() {
            let path = file.path();
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                std::fs::File::open(&path).expect("open"),
            )
            .expect("reader")
            .build()
            .expect("build");
            let batches: Vec<arrow::array::RecordBatch> = reader.map(|b| b.expect("batch")).collect();
            let Some(schema) = batches.first().map(|b| b.schema()) else { continue };
            let notes = schema.index_of("notes").expect("notes column");
            let mut writer = parquet::arrow::ArrowWriter::try_new(
                std::fs::File::create(&path).expect("create"),
                schema.clone(),
                None,
            )
            .expect("writer");
            for batch in batches {
                let old = arrow::compute::cast(batch.column(notes), &arrow::datatypes::DataType::Utf8).expect("cast");
                let old = old.as_any().downcast_ref::<StringArray>().expect("text");
                let new: StringArray = (0..old.len())
                    .map(|i| Some(format!("{} {planted}", if old.is_null(i) { "" } else { old.value(i) })))
                    .collect();
                let new = arrow::compute::cast(&new, schema.field(notes).data_type()).expect("cast back");
                let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
                columns[notes] = new;
                writer
                    .write(&arrow::array::RecordBatch::try_new(schema.clone(), columns).expect("batch"))
                    .expect("write");
            }
            writer.close().expect("close");
        }
    }
}

/// Whether a value of one export's column could be the same person's value in another
/// export's (equal, or one a coarser level of the other: an age band holding the age, a
/// postcode area holding the district, an ethnic group beside a code).
fn compatible(column: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let span = |v: &str| -> Option<(i64, i64)> {
        match v {
            "under 16" => Some((0, 15)),
            "16 and over" => Some((16, 99)),
            _ => match v.split_once('-') {
                Some((lo, hi)) => Some((lo.parse().ok()?, hi.parse().ok()?)),
                None => v.parse().ok().map(|n| (n, n)),
            },
        }
    };
    match column {
        "age_band" => match (span(a), span(b)) {
            (Some((a0, a1)), Some((b0, b1))) => a0 <= b1 && b0 <= a1,
            _ => false,
        },
        "postcode" => a.starts_with(b) || b.starts_with(a),
        "ethnic_group" => {
            let groups = ["WHITE", "MIXED", "ASIAN", "BLACK", "OTHER", "UNKNOWN"];
            groups.contains(&a) != groups.contains(&b)
        }
        _ => false,
    }
}

/// A warehouse `wh` built from synthetic returns (with its key `k.key`) in a new folder.
fn warehouse(seed: &str, authorities: &str, young_people: &str) -> tempfile::TempDir {
    let dir = temp();
    let d = dir.path();
    let synth = ["synth", "--out", "returns", "--seed", seed, "--authorities", authorities];
    rni_ok(d, &[&synth[..], &["--young-people", young_people]].concat());
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    dir
}

/// The attack of a reader holding several exports of one warehouse: join them on display names,
/// and on every quasi-identifier column they share (allowing for different generalisations). A
/// record is linked when it has exactly one partner; classes of at least k make that impossible.
#[test]
fn several_exports_of_one_warehouse_cannot_be_joined_and_text_is_scrubbed_again() {
    for (seed, authorities, young_people) in [("71", "1", "50"), ("72", "2", "400"), ("73", "1", "200")] {
        let dir = warehouse(seed, authorities, young_people);
        let d = dir.path();
        let planted = "Call 07700 900123 or jo.bloggs@example.com; NHS 943 476 5919; lives at 14 Harlington Road.";
        plant_in_warehouse_notes(&d.join("wh"), "E09000017", planted);
        let stored = crate::util::decoded_parquet(&d.join("wh/tables/young_people/authority_code=E09000017"));
        assert!(stored.contains("jo.bloggs@example.com"), "the warehouse's notes hold the planted identifiers");
        let exports: [(&str, &[&str], usize); 4] = [
            ("all", &[], 5),
            ("late", &["--from", "2025Q3"], 5),
            ("early", &["--to", "2025Q2", "--k", "7"], 7),
            ("plain", &["--notes", "none", "--k", "6"], 6),
        ];
        for (name, extra, _) in &exports {
            let mut args = vec!["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", name];
            args.extend_from_slice(extra);
            rni_ok(d, &args);
        }
        let mut records = Vec::new();
        for (name, _, k) in &exports {
            let dir = d.join(name);
            let classes = quasi_classes(&dir);
            let smallest = classes.values().copied().min().unwrap_or(0);
            assert!(smallest >= *k || classes.is_empty(), "seed {seed} {name}: a class of {smallest} < k = {k}");
            // The planted identifiers never reach an export; free text is absent with --notes none.
            let mut text = String::new();
            for (path, bytes) in read_tree(&dir) {
                if path.extension().is_some_and(|e| e == "csv") {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            for needle in ["07700", "900123", "jo.bloggs", "example.com", "943 476 5919", "Harlington"] {
                assert!(
                    !text.contains(needle),
                    "seed {seed} {name}: `{needle}` from a warehouse note reached the export"
                );
            }
            if *name == "plain" {
                let (h, _) = read_csv(&dir.join("young_people.csv"));
                let (ch, _) = read_csv(&dir.join("contexts.csv"));
                assert!(!h.contains(&"notes".to_string()) && !ch.contains(&"description".to_string()));
            }
            let (h, yp) = read_csv(&dir.join("young_people.csv"));
            let names: BTreeSet<String> = column(&h, &yp, "display_name").into_iter().map(str::to_string).collect();
            records.push((name, *k, h, yp, names));
        }
        for (a, b) in [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)] {
            let (na, _, ha, ya, names_a) = &records[a];
            let (nb, kb, hb, yb, names_b) = &records[b];
            let shared_names = names_a.intersection(names_b).count();
            assert!(
                shared_names * 20 <= names_a.len().max(20),
                "seed {seed}: {shared_names} display names shared by {na} and {nb}"
            );
            let shared: Vec<(usize, usize, &str)> = ha
                .iter()
                .enumerate()
                .filter(|(_, c)| !NOT_QUASI.contains(&c.as_str()))
                .filter_map(|(i, c)| hb.iter().position(|x| x == c).map(|j| (i, j, c.as_str())))
                .collect();
            for ra in ya {
                let partners =
                    yb.iter().filter(|rb| shared.iter().all(|&(i, j, c)| compatible(c, &ra[i], &rb[j]))).count();
                assert!(
                    partners == 0 || partners >= *kb,
                    "seed {seed}: a record of {na} has {partners} possible partners in {nb} (k = {kb})"
                );
            }
        }
    }
}

/// Each young person's episodes as a reader sees them, on the columns two exports share
/// (dates only where both give them at the same level): a fingerprint to link exports by.
fn episode_profiles(dir: &Path, columns: &[String]) -> BTreeMap<String, Vec<Vec<String>>> {
    let (h, ep) = read_csv(&dir.join("episodes.csv"));
    let idx: Vec<usize> = columns.iter().filter_map(|c| h.iter().position(|x| x == c)).collect();
    let person = h.iter().position(|c| c == "young_person").expect("young_person");
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for r in &ep {
        out.entry(r[person].clone()).or_default().push(idx.iter().map(|&i| r[i].clone()).collect());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// How many young people of export `a` a reader can link to exactly one of export `b` through
/// their episodes, and how many of those end up in a class smaller than k once the finer value
/// of each quasi-identifier of the two exports is kept.
fn linked_through_episodes(a: &Path, b: &Path, k: usize) -> (usize, usize) {
    let (ha, _) = read_csv(&a.join("episodes.csv"));
    let (hb, _) = read_csv(&b.join("episodes.csv"));
    let shared: Vec<String> = ha
        .iter()
        .filter(|c| hb.contains(c) && !["episode", "young_person", "notes"].contains(&c.as_str()))
        .cloned()
        .collect();
    let (pa, pb) = (episode_profiles(a, &shared), episode_profiles(b, &shared));
    let unique = |p: &BTreeMap<String, Vec<Vec<String>>>| -> BTreeMap<Vec<Vec<String>>, String> {
        let mut count: BTreeMap<&Vec<Vec<String>>, usize> = BTreeMap::new();
        for v in p.values() {
            *count.entry(v).or_default() += 1;
        }
        p.iter().filter(|(_, v)| count[v] == 1).map(|(id, v)| (v.clone(), id.clone())).collect()
    };
    let (ua, ub) = (unique(&pa), unique(&pb));
    let (qa, qb) = (quasi_records(a), quasi_records(b));
    // A linked young person's class: the linked ones with the same values in both exports,
    // and the ones of `a` that could not be linked but have the same values in `a`.
    let linked: Vec<(&String, &String)> =
        ua.iter().filter_map(|(p, id_a)| ub.get(p).map(|id_b| (id_a, id_b))).collect();
    let linked_a: BTreeSet<&String> = linked.iter().map(|(a, _)| *a).collect();
    let mut combined: BTreeMap<(&Vec<String>, &Vec<String>), usize> = BTreeMap::new();
    for (id_a, id_b) in &linked {
        *combined.entry((&qa[*id_a], &qb[*id_b])).or_default() += 1;
    }
    let mut unlinked: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for (id, values) in &qa {
        if !linked_a.contains(id) {
            *unlinked.entry(values).or_default() += 1;
        }
    }
    let exposed = linked
        .iter()
        .filter(|(id_a, id_b)| combined[&(&qa[*id_a], &qb[*id_b])] + unlinked.get(&qa[*id_a]).copied().unwrap_or(0) < k)
        .count();
    (linked.len(), exposed)
}

#[test]
#[allow(clippy::print_stderr)] // the measured linkage is part of the test's output
fn exports_linked_through_episodes_keep_classes_of_k() {
    for (seed, authorities, young_people) in [("74", "1", "400"), ("75", "2", "150"), ("76", "1", "60")] {
        let dir = warehouse(seed, authorities, young_people);
        let d = dir.path();
        let exports = [
            ("a", vec![]),
            ("b", vec!["--from", "2025Q2"]),
            ("c", vec!["--k", "8"]),
            ("d", vec!["--from", "2025Q2", "--to", "2025Q3", "--k", "6"]),
            ("e", vec!["--to", "2025Q1"]),
        ];
        for (name, extra) in &exports {
            let mut args = vec!["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", name];
            args.extend(extra);
            rni_ok(d, &args);
        }
        for (i, (a, _)) in exports.iter().enumerate() {
            for (b, _) in &exports[i + 1..] {
                // Both ways: the class is counted among the records of the first export.
                for (a, b) in [(a, b), (b, a)] {
                    let (pairs, exposed) = linked_through_episodes(&d.join(a), &d.join(b), 5);
                    eprintln!(
                        "case-study join (seed {seed}) {a}-{b}: {pairs} young people linked through their \
                         episodes, {exposed} in classes < 5"
                    );
                    assert_eq!(
                        exposed, 0,
                        "seed {seed} {a}-{b}: {exposed} of {pairs} linked young people in classes < 5"
                    );
                }
            }
        }
    }
}

/// "Older male known as Mohammed": an adult who shares a first name with a young person stays a
/// name in the export; only a young person's own record, whole name or id names them.
#[test]
fn an_adult_sharing_a_young_persons_first_name_is_not_shown_under_their_display_name() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "77", "--authorities", "1", "--young-people", "80"]);
    // In every quarter, each young person's notes mention an adult who shares the first name of
    // the young person on the row before.
    for quarter in ["2025Q1", "2025Q2", "2025Q3", "2025Q4"] {
        let path = d.join("returns/E09000017").join(quarter).join("young_people.csv");
        let mut reader = csv::Reader::from_path(&path).expect("csv");
        let header = reader.headers().expect("header").clone();
        let first = header.iter().position(|h| h == "first_name").expect("first_name");
        let notes = header.iter().position(|h| h == "notes").expect("notes");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let mut writer = csv::Writer::from_path(&path).expect("write");
        writer.write_record(&header).expect("header");
        for (i, row) in rows.iter().enumerate() {
            let mut cells: Vec<String> = row.iter().map(String::from).collect();
            let other = &rows[(i + rows.len() - 1) % rows.len()][first];
            if other != &row[first] {
                cells[notes] = format!("Older male known as {other} seen with them. {}", cells[notes]);
            }
            writer.write_record(&cells).expect("row");
        }
        writer.flush().expect("flush");
    }
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    rni_ok(d, &["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", "cs", "--k", "2"]);
    let (h, rows) = read_csv(&d.join("cs/young_people.csv"));
    let names: BTreeSet<&str> = column(&h, &rows, "display_name").into_iter().collect();
    let mut mentions = 0;
    for note in column(&h, &rows, "notes") {
        if let Some(rest) = note.split("Older male known as ").nth(1) {
            mentions += 1;
            let named = rest.split(" seen with").next().unwrap_or_default();
            assert!(!names.contains(named), "an adult is shown under a young person's display name: {note}");
            assert!(named.starts_with('['), "the adult's name is a placeholder: {note}");
        }
    }
    assert!(mentions * 2 >= rows.len(), "{mentions} of {} notes carry the planted sentence", rows.len());
}
