//! `rni build`: incremental, locked, atomic; refuses another key; a report that renders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{rni, rni_ok, rni_path, temp};

fn synth(dir: &Path, out: &str, seed: &str) {
    rni_ok(dir, &["synth", "--out", out, "--seed", seed, "--authorities", "2", "--young-people", "40", "--messy"]);
}

pub fn manifest(wh: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(wh.join("MANIFEST.json")).expect("manifest")).expect("json")
}

/// (authority, period) → whether this build read the return.
fn prepared(wh: &Path) -> BTreeMap<(String, String), bool> {
    let m = manifest(wh);
    let mut out = BTreeMap::new();
    for a in m["authorities"].as_array().expect("authorities") {
        for r in a["returns"].as_array().expect("returns") {
            out.insert(
                (
                    a["authority_code"].as_str().expect("code").to_string(),
                    r["period"].as_str().expect("period").to_string(),
                ),
                r["prepared"].as_bool().expect("prepared"),
            );
        }
    }
    out
}

fn sha256(path: &Path) -> String {
    rni::publish::manifest::sha256_file(path).expect("sha")
}

/// A warehouse is whole when every file its manifest lists exists with the recorded sha256
/// and every Parquet file in it reads; returns the manifest's metric file hash to tell builds apart.
pub fn assert_whole(wh: &Path) -> String {
    let m = manifest(wh);
    for a in m["authorities"].as_array().expect("authorities") {
        for r in a["returns"].as_array().expect("returns") {
            for o in r["outputs"].as_array().expect("outputs") {
                let path = wh.join(o["path"].as_str().expect("path"));
                assert_eq!(sha256(&path), o["sha256"].as_str().expect("sha"), "{}", path.display());
            }
        }
    }
    let mut metrics_sha = String::new();
    for f in m["files"].as_array().expect("files") {
        let rel = f["path"].as_str().expect("path");
        assert_eq!(sha256(&wh.join(rel)), f["sha256"].as_str().expect("sha"), "{rel}");
        if rel == "metrics/metric_values.csv" {
            metrics_sha = f["sha256"].as_str().expect("sha").to_string();
        }
    }
    for (path, _) in crate::util::read_tree(wh) {
        if path.extension().is_some_and(|e| e == "parquet") {
            let file = std::fs::File::open(wh.join(&path)).expect("open");
            let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .build()
                .expect("reader");
            for batch in reader {
                batch.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
    metrics_sha
}

#[test]
fn an_unchanged_build_rereads_nothing_and_a_changed_return_alone_is_read_again() {
    let dir = temp();
    synth(dir.path(), "returns", "31");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let build = || rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    build();
    let wh = dir.path().join("wh");
    assert!(prepared(&wh).values().all(|p| *p), "the first build reads everything");
    let first_csv = std::fs::read(wh.join("metrics/metric_values.csv")).expect("csv");
    let first_parquet = std::fs::read(wh.join("metrics/metric_values.parquet")).expect("parquet");

    // A quiet night: nothing changed, so nothing is done and the warehouse stands as it was.
    let built_at = manifest(&wh)["built_at"].clone();
    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing changed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(manifest(&wh)["built_at"], built_at, "the warehouse was not rebuilt");

    // Another policy (k only: the metrics are the same) runs the build again, reading no return.
    let policy = rni::config::policy::DEFAULT_POLICY.replace("k_anonymity = 5", "k_anonymity = 6");
    std::fs::write(dir.path().join("k6.toml"), policy).expect("policy");
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh", "--policy", "k6.toml"]);
    assert_ne!(manifest(&wh)["built_at"], built_at, "rebuilt");
    assert!(prepared(&wh).values().all(|p| !*p), "no return changed, none is read");
    assert_eq!(std::fs::read(wh.join("metrics/metric_values.csv")).expect("csv"), first_csv);
    assert_eq!(std::fs::read(wh.join("metrics/metric_values.parquet")).expect("parquet"), first_parquet);
    assert_whole(&wh);

    // Change one return's risk levels (no names change): only that return is read again.
    let manifest = rni::synth::read_manifest(&dir.path().join("returns")).expect("synth manifest");
    let target =
        manifest.returns.iter().find(|r| r.format == "csv" && r.encoding == "utf-8").expect("a plain CSV return");
    let path = dir.path().join("returns").join(&target.authority_code).join(&target.period).join("reviews.csv");
    let text = std::fs::read_to_string(&path).expect("reviews");
    std::fs::write(&path, text.replacen(",HIGH,", ",LOW,", 1).replacen(",High Risk,", ",LOW,", 1)).expect("write");
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh", "--policy", "k6.toml"]);
    let after = prepared(&wh);
    let read_again: Vec<_> = after.iter().filter(|(_, p)| **p).map(|(k, _)| k.clone()).collect();
    assert_eq!(read_again, vec![(target.authority_code.clone(), target.period.clone())]);
    assert_whole(&wh);

    // A new vocabulary changes what free text keeps: every return is scrubbed again.
    std::fs::write(dir.path().join("words.txt"), "Kingfisher\n").expect("vocabulary");
    rni_ok(
        dir.path(),
        &[
            "build",
            "--key-file",
            "k.key",
            "--returns",
            "returns",
            "--out",
            "wh",
            "--policy",
            "k6.toml",
            "--vocabulary",
            "words.txt",
        ],
    );
    assert!(prepared(&wh).values().all(|p| *p), "a new vocabulary reads every return again");
}

#[test]
fn a_second_build_while_one_holds_the_lock_exits_with_a_clear_message() {
    let dir = temp();
    synth(dir.path(), "returns", "32");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let before = assert_whole(&dir.path().join("wh"));
    // Hold the lock as a running build would.
    let lock = std::fs::OpenOptions::new().write(true).open(dir.path().join("wh.lock")).expect("lock file");
    lock.try_lock().expect("lock");
    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another build"), "{stderr}");
    assert_eq!(assert_whole(&dir.path().join("wh")), before, "the warehouse is untouched");
    drop(lock);
    // A lock left behind by a dead build is no obstacle: the file exists, nobody holds it.
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
}

#[test]
fn two_builds_started_together_one_wins_and_the_warehouse_is_whole() {
    let dir = temp();
    synth(dir.path(), "returns", "33");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let start = || {
        Command::new(rni_path())
            .args(["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (start(), start());
    let outs = [a.wait_with_output().expect("a"), b.wait_with_output().expect("b")];
    let winners = outs.iter().filter(|o| o.status.success()).count();
    assert!(winners >= 1);
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("another build"));
    }
    assert_whole(&dir.path().join("wh"));
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_or_the_new_warehouse_whole() {
    kill_builds_at_random(None, false);
}

/// The same with packages made at source instead of raw returns.
#[test]
fn a_build_from_packages_killed_at_any_moment_leaves_a_whole_warehouse() {
    kill_builds_at_random(None, true);
}

/// Where the filesystem has no atomic exchange (forced here with `RNI_PUBLISH=symlink`), the
/// warehouse is a link to a versioned folder, swapped atomically; killed builds still never
/// leave half a warehouse.
#[test]
fn the_symlink_fallback_publishes_whole_warehouses_too() {
    let dir = kill_builds_at_random(Some("symlink"), false);
    let wh = dir.path().join("wh");
    assert!(std::fs::symlink_metadata(&wh).expect("wh").file_type().is_symlink(), "the warehouse path is a link");
    let versions: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".wh.v-") || n.starts_with(".wh.link-"))
        .collect();
    assert_eq!(versions.len(), 1, "only the current version is left: {versions:?}");
    // A warehouse that is a plain folder moves to the scheme on its next build.
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "old", "--out", "plain"]);
    let out = Command::new(rni_path())
        .args(["build", "--key-file", "k.key", "--returns", "new", "--out", "plain"])
        .current_dir(dir.path())
        .env("RNI_PUBLISH", "symlink")
        .env_remove("RNI_KEY_FILE")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(dir.path().join("plain")).expect("plain").file_type().is_symlink());
    assert_eq!(assert_whole(&dir.path().join("plain")), assert_whole(&dir.path().join("wh-new")));
}

/// Builds the warehouse `wh` from two sets of returns (raw, or as packages prepared from them),
/// killing most builds at a random moment, and checks after each that `wh` is whole and either
/// the old or the new warehouse.
fn kill_builds_at_random(publish: Option<&str>, packages: bool) -> tempfile::TempDir {
    let source = |set: &str| -> [String; 2] {
        if packages { ["--packages".into(), format!("{set}-pkg")] } else { ["--returns".into(), set.into()] }
    };
    let run = |args: &[&str], dir: &Path| {
        let mut command = Command::new(rni_path());
        command.args(args).current_dir(dir).env_remove("RNI_KEY_FILE");
        if let Some(p) = publish {
            command.env("RNI_PUBLISH", p);
        }
        let out = command.output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let dir = temp();
    synth(dir.path(), "old", "34");
    synth(dir.path(), "new", "35");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    if packages {
        for set in ["old", "new"] {
            rni_ok(dir.path(), &["prepare", "--key-file", "k.key", set, "--out", &format!("{set}-pkg")]);
        }
    }
    let wh = dir.path().join("wh");
    let started = Instant::now();
    let [flag, from] = source("old");
    run(&["build", "--key-file", "k.key", &flag, &from, "--out", "wh"], dir.path());
    let duration = started.elapsed().max(Duration::from_millis(200));
    let old = assert_whole(&wh);
    // The finished new warehouse, for comparison.
    let [flag, from] = source("new");
    rni_ok(dir.path(), &["build", "--key-file", "k.key", &flag, &from, "--out", "wh-new"]);
    let new = assert_whole(&dir.path().join("wh-new"));
    assert_ne!(old, new);

    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut kills = 0;
    let mut seen = BTreeMap::new();
    let mut round = 0;
    let mut current = old.clone();
    while kills < 24 && round < 100 {
        round += 1;
        // Always the other set of returns than the warehouse holds, so that no build is a
        // quiet night that ends before it can be killed.
        let [flag, from] = source(if current == old { "new" } else { "old" });
        let mut command = Command::new(rni_path());
        command
            .args(["build", "--key-file", "k.key", &flag, &from, "--out", "wh"])
            .current_dir(dir.path())
            .env_remove("RNI_KEY_FILE")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(p) = publish {
            command.env("RNI_PUBLISH", p);
        }
        let mut child = command.spawn().expect("spawn");
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_micros(state % (duration.as_micros() as u64 * 9 / 10));
        std::thread::sleep(delay);
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("kill");
            kills += 1;
        }
        child.wait().expect("reap");
        let now = assert_whole(&wh);
        assert!(now == old || now == new, "round {round}: the warehouse is neither the old nor the new one");
        current = now.clone();
        *seen.entry(if now == old { "old" } else { "new" }).or_insert(0) += 1;
    }
    assert!(kills >= 20, "only {kills} builds were killed mid-way");
    // A later build cleans up after the killed ones and succeeds.
    let [flag, from] = source("new");
    run(&["build", "--key-file", "k.key", &flag, &from, "--out", "wh"], dir.path());
    assert_eq!(assert_whole(&wh), new);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".staging-"))
        .collect();
    assert!(leftovers.is_empty(), "staging folders of killed builds are removed");
    dir
}

#[test]
fn a_build_with_another_key_is_refused() {
    let dir = temp();
    synth(dir.path(), "returns", "36");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["keygen", "--out", "other.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let before = assert_whole(&dir.path().join("wh"));
    let out = rni(dir.path(), &["build", "--key-file", "other.key", "--returns", "returns", "--out", "wh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never mixes keys"));
    assert_eq!(assert_whole(&dir.path().join("wh")), before);
}

#[test]
fn strict_builds_publish_nothing_when_rows_are_rejected() {
    let dir = temp();
    synth(dir.path(), "returns", "37");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh", "--strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("wh").exists());
}

#[test]
fn json_logs_are_one_object_per_line_and_end_with_a_summary() {
    let dir = temp();
    synth(dir.path(), "returns", "38");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    let out = rni(
        dir.path(),
        &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh", "--log-format", "json"],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> =
        stderr.lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect();
    let last = lines.last().expect("a summary");
    assert!(last["message"].as_str().expect("message").contains("warehouse published"));
    assert!(last["returns_prepared"].as_u64().is_some() && last["metric_rows"].as_u64().is_some());
}

#[test]
fn a_build_never_replaces_a_folder_that_is_no_warehouse() {
    let dir = temp();
    synth(dir.path(), "returns", "33");
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    std::fs::create_dir_all(dir.path().join("precious")).expect("mkdir");
    std::fs::write(dir.path().join("precious/thesis.txt"), "years of work").expect("write");
    let out = rni(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "precious"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a warehouse"));
    assert_eq!(std::fs::read_to_string(dir.path().join("precious/thesis.txt")).expect("kept"), "years of work");
    // An empty folder is fine.
    std::fs::create_dir_all(dir.path().join("empty")).expect("mkdir");
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "empty"]);
    assert!(dir.path().join("empty/MANIFEST.json").is_file());
}

/// Rewrites a return's CSV file without one column (found by its header, case-insensitively).
fn drop_column(path: &Path, header: &str) {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(path).expect("csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let at = rows[0].iter().position(|h| h.eq_ignore_ascii_case(header)).expect("column");
    let mut writer = csv::Writer::from_path(path).expect("write");
    for row in rows {
        writer.write_record(row.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, v)| v)).expect("row");
    }
    writer.flush().expect("flush");
}

/// Exact metric rows of a warehouse, keyed by (metric, authority, period, breakdown).
pub fn exact_metrics(wh: &Path) -> BTreeMap<(String, String, String, String), String> {
    let mut reader = csv::Reader::from_path(wh.join("restricted/metric_values_exact.csv")).expect("exact");
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            ((r[0].into(), r[1].into(), r[3].into(), r[4].into()), format!("{}/{}/{}", &r[5], &r[6], &r[8]))
        })
        .collect()
}

#[test]
fn a_broken_return_is_set_aside_and_the_rest_is_published() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "81", "--authorities", "2", "--young-people", "80"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let before = exact_metrics(&d.join("wh"));
    let other = crate::util::other_authority(&d.join("returns"));

    // Hillingdon's 2025Q2 young people lose their id column; the other authority's 2025Q2
    // episodes change; Hillingdon sends a 2026Q1 return, as broken, that was never published.
    drop_column(&d.join("returns/E09000017/2025Q2/young_people.csv"), "child_id");
    crate::util::drop_last_lines(&d.join(format!("returns/{other}/2025Q2/episodes.csv")), 6);
    crate::util::copy_tree(&d.join("returns/E09000017/2025Q2"), &d.join("returns/E09000017/2026Q1"));

    let out = rni(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "published with problems: {stderr}");
    assert!(stderr.contains("set aside"), "{stderr}");
    let m = manifest(&d.join("wh"));
    let set_aside = m["set_aside"].as_array().expect("set_aside");
    let summary: BTreeSet<(String, String, bool)> = set_aside
        .iter()
        .map(|s| {
            (
                s["period"].as_str().expect("period").to_string(),
                s["table"].as_str().expect("table").to_string(),
                s["carried_over"].as_bool().expect("carried"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        BTreeSet::from([
            ("2025Q2".to_string(), "young_people".to_string(), true),
            ("2026Q1".to_string(), "young_people".to_string(), false)
        ])
    );
    let after = exact_metrics(&d.join("wh"));
    let quarter = |m: &BTreeMap<(String, String, String, String), String>, code: &str, period: &str| {
        m.iter()
            .filter(|(k, _)| k.1 == code && k.2 == period)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        quarter(&after, "E09000017", "2025Q2"),
        quarter(&before, "E09000017", "2025Q2"),
        "the broken return keeps its last good figures"
    );
    assert_ne!(
        quarter(&after, &other, "2025Q2"),
        quarter(&before, &other, "2025Q2"),
        "the other authority's new figures are published"
    );
    assert_eq!(after.get(&("episodes_started".into(), "E09000017".into(), "2026Q1".into(), "".into())), None);
    let report = std::fs::read_to_string(d.join("wh/report/index.html")).expect("report");
    assert!(report.contains("Returns set aside"), "the report's data-quality section lists them");
    assert_whole(&d.join("wh"));

    // With --strict the same build publishes nothing.
    let out = rni(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh", "--strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(exact_metrics(&d.join("wh")), after, "the warehouse is as it was");
}
