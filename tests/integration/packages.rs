//! `rni build --packages`: packages prepared at source give the metrics the raw returns give,
//! mix with raw returns, are incremental, and are refused whole when they cannot be trusted.

use std::collections::BTreeMap;
use std::path::Path;

use crate::build::{assert_whole, exact_metrics, manifest};
use crate::util::{copy_tree, drop_last_lines, other_authority, rni, rni_ok, temp};

/// (authority, period) → (prepared by this build, package it came from).
fn sources(wh: &Path) -> BTreeMap<(String, String), (bool, Option<String>)> {
    let m = manifest(wh);
    let mut out = BTreeMap::new();
    for a in m["authorities"].as_array().expect("authorities") {
        for r in a["returns"].as_array().expect("returns") {
            out.insert(
                (a["authority_code"].as_str().expect("code").into(), r["period"].as_str().expect("period").into()),
                (r["prepared"].as_bool().expect("prepared"), r["package"].as_str().map(String::from)),
            );
        }
    }
    out
}

/// sha256 of every table file of a warehouse, by path.
fn tables(wh: &Path) -> BTreeMap<String, String> {
    let m = manifest(wh);
    let mut out = BTreeMap::new();
    for a in m["authorities"].as_array().expect("authorities") {
        for r in a["returns"].as_array().expect("returns") {
            for o in r["outputs"].as_array().expect("outputs") {
                out.insert(o["path"].as_str().expect("path").into(), o["sha256"].as_str().expect("sha").into());
            }
        }
    }
    out
}

#[test]
fn packages_give_the_metrics_raw_returns_give_and_mix_with_them() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "91", "--authorities", "2", "--young-people", "60", "--messy"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    let other = other_authority(&d.join("returns"));
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh-raw"]);
    let raw = exact_metrics(&d.join("wh-raw"));
    assert!(!raw.is_empty());

    // Every return as one package.
    rni_ok(d, &["prepare", "--key-file", "k.key", "returns", "--out", "pkg-all"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--packages", "pkg-all", "--out", "wh-pkg"]);
    assert_eq!(exact_metrics(&d.join("wh-pkg")), raw, "metrics from a package are those from the raw returns");
    assert_eq!(tables(&d.join("wh-pkg")), tables(&d.join("wh-raw")), "and so are the tables, byte for byte");
    assert!(sources(&d.join("wh-pkg")).values().all(|(_, p)| p.as_deref() == Some("pkg-all")));
    assert_whole(&d.join("wh-pkg"));

    // Hillingdon prepares at source (a folder of packages); the other authority sends raw returns.
    rni_ok(d, &["prepare", "--key-file", "k.key", "returns/E09000017", "--out", "packages/hillingdon"]);
    copy_tree(&d.join("returns").join(&other), &d.join("raw").join(&other));
    let mixed = ["build", "--key-file", "k.key", "--returns", "raw", "--packages", "packages", "--out", "wh-mix"];
    rni_ok(d, &mixed);
    assert_eq!(exact_metrics(&d.join("wh-mix")), raw, "packages and raw returns mix in one build");
    let first = sources(&d.join("wh-mix"));
    assert!(first.iter().all(|((code, _), (prepared, package))| {
        *prepared && (package.as_deref() == Some("hillingdon")) == (code == "E09000017")
    }));

    // Nothing changed: a quiet night.
    let out = rni(d, &mixed);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing changed"));

    // The raw authority changes: the package's returns are carried over, not copied again.
    drop_last_lines(&d.join("raw").join(&other).join("2025Q2/episodes.csv"), 4);
    rni_ok(d, &mixed);
    let second = sources(&d.join("wh-mix"));
    for ((code, period), (prepared, package)) in &second {
        if code == "E09000017" {
            assert!(!prepared, "{period}: an unchanged package return is carried over");
            assert_eq!(package.as_deref(), Some("hillingdon"));
        }
    }
    assert!(second.get(&(other.clone(), "2025Q2".into())).is_some_and(|(p, _)| *p));
    assert_whole(&d.join("wh-mix"));

    // A new package replaces the old one's returns: prepared again at source from changed returns.
    drop_last_lines(&d.join("returns/E09000017/2025Q3/episodes.csv"), 3);
    rni_ok(d, &["prepare", "--key-file", "k.key", "returns/E09000017", "--out", "packages/hillingdon"]);
    rni_ok(d, &mixed);
    let third = sources(&d.join("wh-mix"));
    assert!(third.get(&("E09000017".into(), "2025Q3".into())).is_some_and(|(p, _)| *p), "{third:?}");
    assert_whole(&d.join("wh-mix"));

    // A package whose young people could not be read at source: that return is set aside and
    // its last good version stands in; the build publishes the rest and exits 1.
    let before = exact_metrics(&d.join("wh-mix"));
    std::fs::write(d.join("returns/E09000017/2025Q2/young_people.csv"), b"").expect("empty");
    let out = rni(d, &["prepare", "--key-file", "k.key", "returns/E09000017", "--out", "packages/hillingdon"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = rni(d, &mixed);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let m = manifest(&d.join("wh-mix"));
    let set_aside = m["set_aside"].as_array().expect("set_aside");
    assert_eq!(set_aside.len(), 1, "{set_aside:?}");
    assert_eq!(set_aside[0]["period"], "2025Q2");
    assert_eq!(set_aside[0]["carried_over"], true);
    let quarter = |m: &BTreeMap<(String, String, String, String), String>| {
        m.iter()
            .filter(|(k, _)| k.1 == "E09000017" && k.2 == "2025Q2")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(quarter(&exact_metrics(&d.join("wh-mix"))), quarter(&before), "the last good figures stand");
    assert_whole(&d.join("wh-mix"));
}

#[test]
fn packages_that_cannot_be_trusted_are_refused_and_nothing_is_published() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "92", "--authorities", "2", "--young-people", "40"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["keygen", "--out", "other.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let published = std::fs::read(d.join("wh/MANIFEST.json")).expect("manifest");
    rni_ok(d, &["prepare", "--key-file", "k.key", "returns", "--out", "pkg"]);
    rni_ok(d, &["prepare", "--key-file", "other.key", "returns", "--out", "pkg-other-key"]);

    // Altered bytes in one table.
    copy_tree(&d.join("pkg"), &d.join("pkg-altered"));
    let table = crate::util::parquet_files_under(&d.join("pkg-altered"))[0].clone();
    let mut bytes = std::fs::read(&table).expect("table");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&table, bytes).expect("write");
    // A file no package holds.
    copy_tree(&d.join("pkg"), &d.join("pkg-stray"));
    std::fs::write(d.join("pkg-stray/tables/Kowalczyk Jakub - chronology.docx"), "chronology").expect("write");
    // A table its manifest lists is gone.
    copy_tree(&d.join("pkg"), &d.join("pkg-short"));
    std::fs::remove_file(&crate::util::parquet_files_under(&d.join("pkg-short"))[0]).expect("remove");
    // Two packages holding the same returns, in one folder of packages.
    copy_tree(&d.join("pkg"), &d.join("twice/a"));
    copy_tree(&d.join("pkg"), &d.join("twice/b"));
    // A folder of packages holding something else.
    copy_tree(&d.join("pkg"), &d.join("mixed/a"));
    std::fs::create_dir_all(d.join("mixed/minutes")).expect("mkdir");

    let cases: [(&[&str], &str); 8] = [
        (&["--packages", "pkg-other-key"], "key id"),
        (&["--packages", "pkg-altered"], "sha256 differs"),
        (&["--packages", "pkg-stray"], "does not list"),
        (&["--packages", "pkg-short"], "lacks"),
        (&["--packages", "pkg", "--packages", "pkg"], "given twice"),
        (&["--packages", "twice"], "holds too"),
        (&["--packages", "pkg", "--returns", "returns"], "also given raw"),
        (&["--packages", "mixed"], "is not a package"),
    ];
    for (args, reason) in cases {
        let mut all = vec!["build", "--key-file", "k.key", "--out", "wh"];
        all.extend_from_slice(args);
        let out = rni(d, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(reason) && stderr.contains("nothing was published"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Kowalczyk"), "a file's name may be a child's and is never shown: {stderr}");
        assert_eq!(std::fs::read(d.join("wh/MANIFEST.json")).expect("manifest"), published, "{args:?}");
        assert_whole(&d.join("wh"));
    }
    let staging: Vec<_> = std::fs::read_dir(d)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".staging-"))
        .collect();
    assert!(staging.is_empty(), "a refused build leaves no staging folder");
}
