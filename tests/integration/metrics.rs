//! Metrics: golden figures on a hand-made fixture, disclosure control, reference data, `rni query`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{rni, rni_ok, rni_path, temp};

/// The fixed key of the data dictionary's example, so golden builds are reproducible.
pub fn write_example_key(dir: &Path) -> PathBuf {
    let path = dir.join("example.key");
    let hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("{hex}\n")).expect("key");
    path
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

type Key = (String, String, String, String);
type Figures = (Option<i64>, Option<i64>, Option<f64>, String);

fn read_metrics(path: &Path) -> BTreeMap<Key, Figures> {
    let mut reader = csv::Reader::from_path(path).expect("metrics csv");
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "metric",
            "authority_code",
            "authority_name",
            "period",
            "breakdown",
            "numerator",
            "denominator",
            "value",
            "status"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            let int = |s: &str| if s.is_empty() { None } else { Some(s.parse::<i64>().expect("int")) };
            let float = |s: &str| if s.is_empty() { None } else { Some(s.parse::<f64>().expect("float")) };
            (
                (r[0].to_string(), r[1].to_string(), r[3].to_string(), r[4].to_string()),
                (int(&r[5]), int(&r[6]), float(&r[7]), r[8].to_string()),
            )
        })
        .collect()
}

fn build_golden(dir: &Path) -> PathBuf {
    let key = write_example_key(dir);
    let fixture = fixture();
    rni_ok(
        dir,
        &[
            "build",
            "--key-file",
            key.to_str().expect("utf-8"),
            "--returns",
            fixture.to_str().expect("utf-8"),
            "--out",
            "wh",
        ],
    );
    dir.join("wh")
}

const A: &str = "E09000017"; // Hillingdon: 2025Q1 and 2025Q2 returns
const B: &str = "E06000001"; // Hartlepool: 2025Q2 only

/// Expected exact figures, worked out by hand from tests/fixtures/golden.
///
/// Latest rows (the 2025Q2 return wins where both hold a row):
///   E1 C1 start 2025-01-10, ended 2025-05-20 (HIGH→MEDIUM), CCE;GANG, CONTEXT_SAFETY, assessment Y, parents Y
///   E2 C2 start 2024-11-01, ended 2025-02-15 (HIGH→LOW), CSE, CHILD_PROTECTION (Q1 return only)
///   E3 C3 start 2025-03-01, open, MISSING, CHILD_IN_NEED, assessment Y, parents blank, relocated Y
///   E4 C4 start 2025-04-10, open, CCE, CONTEXT_SAFETY, assessment Y, parents Y
///   E5 C1 start 2025-06-01, open, SYV, YOUTH_JUSTICE, assessment N, parents N
///   F1 D1 (B) start 2025-04-02, ended 2025-06-10 (MEDIUM→LOW), CCE, CHILD_PROTECTION, assessment N, parents Y
///   X1 LOCATION identified 01-05 assessed 02-01 DETACHED_YOUTH_WORK IMPROVED (Q1 only)
///   X2 PEER_GROUP identified 02-10, assessed 04-15 GUARDIANSHIP NO_CHANGE (Q2 version)
///   X3 SCHOOL identified 05-01 assessed 05-20 SCHOOL_SAFETY_PLAN IMPROVED
/// metric, authority, period, breakdown, numerator, denominator, value.
type Expected = (&'static str, &'static str, &'static str, &'static str, Option<i64>, Option<i64>, Option<f64>);

fn expected() -> Vec<Expected> {
    let c = |m, a, p, b, n: i64| (m, a, p, b, Some(n), None, Some(n as f64));
    let pct = |m, a, p, n: i64, d: i64| {
        (m, a, p, "", Some(n), Some(d), if d > 0 { Some(100.0 * n as f64 / d as f64) } else { None })
    };
    vec![
        // Open at any time in Q1 (Jan–Mar): E1 (C1), E2 (C2, ended Feb), E3 (C3) → 3.
        c("young_people_reached", A, "2025Q1", "", 3),
        // Open in Q2 (Apr–Jun): E1 (C1, ended May), E3 (C3), E4 (C4), E5 (C1 again) → C1, C3, C4 = 3.
        c("young_people_reached", A, "2025Q2", "", 3),
        c("young_people_reached", B, "2025Q2", "", 1),
        c("young_people_reached", "ALL", "2025Q2", "", 4),
        // Started in Q1: E1 (CCE, GANG) and E3 (MISSING); E2 started in 2024.
        c("episodes_started", A, "2025Q1", "", 2),
        c("episodes_started", A, "2025Q1", "CCE", 1),
        c("episodes_started", A, "2025Q1", "GANG", 1),
        c("episodes_started", A, "2025Q1", "MISSING", 1),
        c("episodes_started", A, "2025Q1", "CSE", 0),
        // Started in Q2: E4 (CCE) and E5 (SYV); with B's F1 (CCE) programme-wide: 3, CCE 2.
        c("episodes_started", A, "2025Q2", "", 2),
        c("episodes_started", A, "2025Q2", "SYV", 1),
        c("episodes_started", "ALL", "2025Q2", "", 3),
        c("episodes_started", "ALL", "2025Q2", "CCE", 2),
        // Identified in Q1: X1 (LOCATION), X2 (PEER_GROUP); in Q2: X3 (SCHOOL).
        c("contexts_identified", A, "2025Q1", "", 2),
        c("contexts_identified", A, "2025Q1", "LOCATION", 1),
        c("contexts_identified", A, "2025Q1", "PEER_GROUP", 1),
        c("contexts_identified", A, "2025Q2", "SCHOOL", 1),
        c("contexts_identified", B, "2025Q2", "", 0),
        // Assessed in Q1: X1; in Q2: X2 (latest row) and X3.
        c("contexts_assessed", A, "2025Q1", "", 1),
        c("contexts_assessed", A, "2025Q2", "", 2),
        c("contexts_assessed", A, "2025Q2", "PEER_GROUP", 1),
        // Identified in Q1 with an intervention that is not NONE: X1, and X2 (GUARDIANSHIP in its latest row).
        c("contexts_with_intervention", A, "2025Q1", "", 2),
        c("contexts_with_intervention", A, "2025Q2", "", 1),
        // Meetings: Q1 M1 STRATEGIC, M2 and M3 OPERATIONAL; Q2 M4 MACE; B: N1 OPERATIONAL.
        c("panel_meetings", A, "2025Q1", "", 3),
        c("panel_meetings", A, "2025Q1", "OPERATIONAL", 2),
        c("panel_meetings", A, "2025Q1", "MACE", 0),
        c("panel_meetings", "ALL", "2025Q2", "", 2),
        c("panel_meetings_contextual_lens", A, "2025Q1", "", 2),
        c("panel_meetings_contextual_lens", B, "2025Q2", "", 0),
        // Training: Q1 P1 25 + P4 10; Q2 P5 40.
        c("practitioners_trained", A, "2025Q1", "", 35),
        c("practitioners_trained", A, "2025Q2", "", 40),
        c("practitioners_trained", B, "2025Q2", "", 0),
        // Policy documents citing CS: Q1 P2 (P3 does not cite CS).
        c("policy_documents_cs", A, "2025Q1", "", 1),
        c("policy_documents_cs", A, "2025Q2", "", 0),
        ("adoption_stage", A, "2025Q1", "EXPLORING", None, None, Some(1.0)),
        ("adoption_stage", A, "2025Q2", "PILOTING", None, None, Some(2.0)),
        ("adoption_stage", B, "2025Q2", "EXPLORING", None, None, Some(1.0)),
        // Over episodes started: Q1 E1, E3; Q2 E4, E5; B F1.
        pct("pct_contextual_assessment", A, "2025Q1", 2, 2),
        pct("pct_contextual_assessment", A, "2025Q2", 1, 2),
        pct("pct_contextual_assessment", B, "2025Q2", 0, 1),
        pct("pct_contextual_assessment", "ALL", "2025Q2", 1, 3),
        pct("pct_context_safety_plan", A, "2025Q1", 1, 2),
        pct("pct_context_safety_plan", A, "2025Q2", 1, 2),
        pct("pct_child_protection_plan", A, "2025Q1", 0, 2),
        pct("pct_child_protection_plan", B, "2025Q2", 1, 1),
        pct("pct_relocated", A, "2025Q1", 1, 2),
        pct("pct_relocated", A, "2025Q2", 0, 2),
        // parents_engaged recorded: Q1 only E1 (E3 blank); Q2 E4 Y, E5 N.
        pct("pct_parents_engaged", A, "2025Q1", 1, 1),
        pct("pct_parents_engaged", A, "2025Q2", 1, 2),
        pct("pct_parents_engaged", "ALL", "2025Q2", 2, 3),
        // E5 (C1) started 2025-06-01; C1's E1 ended 2025-05-20, within the 365 days before.
        pct("pct_rereferral_12m", A, "2025Q1", 0, 2),
        pct("pct_rereferral_12m", A, "2025Q2", 1, 2),
        // Ended with both risks: Q1 E2 HIGH→LOW; Q2 E1 HIGH→MEDIUM; B F1 MEDIUM→LOW.
        pct("pct_risk_reduced", A, "2025Q1", 1, 1),
        pct("pct_risk_reduced", A, "2025Q2", 1, 1),
        pct("pct_risk_reduced", "ALL", "2025Q2", 2, 2),
        // Assessed with an intervention: Q1 X1 IMPROVED; Q2 X2 NO_CHANGE, X3 IMPROVED; B none.
        pct("pct_contexts_improved", A, "2025Q1", 1, 1),
        pct("pct_contexts_improved", A, "2025Q2", 1, 2),
        pct("pct_contexts_improved", B, "2025Q2", 0, 0),
        // Review gaps whose later review is in Q1: E1 01-20→02-19 30, 02-19→03-21 30; E2 2024-12-01→01-31 61.
        ("median_days_between_reviews", A, "2025Q1", "", None, Some(3), Some(30.0)),
        // In Q2: E1 03-21→04-20 30 (across two returns); E4 04-20→05-30 40 → median 35.
        ("median_days_between_reviews", A, "2025Q2", "", None, Some(2), Some(35.0)),
        ("median_days_between_reviews", B, "2025Q2", "", None, Some(1), Some(30.0)),
        ("median_days_between_reviews", "ALL", "2025Q2", "", None, Some(3), Some(30.0)),
        // DfE 2025: Hillingdon CCE 151, gangs 85, going missing 138; ONS mid-2024 aged 0-17: 75,524.
        ("efh_factor_rate", A, "2025", "CCE", Some(151), Some(75524), Some(10000.0 * 151.0 / 75524.0)),
        ("efh_factor_rate", A, "2025", "GANGS", Some(85), Some(75524), Some(10000.0 * 85.0 / 75524.0)),
        ("efh_factor_rate", A, "2025", "MISSING", Some(138), Some(75524), Some(10000.0 * 138.0 / 75524.0)),
        // England 2025 CCE 16,250 over 12,183,016 children.
        (
            "efh_factor_rate",
            "E92000001",
            "2025",
            "CCE",
            Some(16250),
            Some(12183016),
            Some(10000.0 * 16250.0 / 12183016.0),
        ),
    ]
}

#[test]
fn every_metric_matches_its_hand_worked_figures() {
    let dir = temp();
    let wh = build_golden(dir.path());
    let exact = read_metrics(&wh.join("restricted/metric_values_exact.csv"));
    let expected = expected();
    let covered: std::collections::BTreeSet<&str> = expected.iter().map(|e| e.0).collect();
    for metric in rni::config::queries::catalogue().expect("catalogue") {
        // The statutory returns' metrics are computed again, independently, from their input
        // files by tests/python/statutory_expected.py (tests/integration/statutory.rs).
        if metric.section == rni::config::queries::Section::Statutory {
            continue;
        }
        assert!(covered.contains(metric.id.as_str()), "{} has a golden figure", metric.id);
    }
    for (metric, authority, period, breakdown, numerator, denominator, value) in expected {
        let key = (metric.to_string(), authority.to_string(), period.to_string(), breakdown.to_string());
        let (n, d, v, _) = exact.get(&key).unwrap_or_else(|| panic!("no row for {key:?}"));
        assert_eq!((*n, *d), (numerator, denominator), "{key:?}");
        match (v, value) {
            (Some(v), Some(e)) => assert!((v - e).abs() < 1e-6, "{key:?}: {v} != {e}"),
            (v, e) => assert_eq!(*v, e, "{key:?}"),
        }
    }
    // SN rows: the mean of the neighbours' rates, without numerator or denominator.
    let sn = exact.get(&("efh_factor_rate".into(), format!("SN:{A}"), "2025".into(), "CCE".into())).expect("SN row");
    assert_eq!((sn.0, sn.1), (None, None));
    assert!(sn.2.is_some_and(|v| v > 0.0));
    // A published symbol stays a symbol: England's CCE count for 2021 is `x`.
    let x = exact.get(&("efh_factor_rate".into(), "E92000001".into(), "2021".into(), "CCE".into())).expect("2021 row");
    assert_eq!((x.0, x.2, x.3.as_str()), (None, None, "x"));
}

#[test]
fn published_golden_figures_are_disclosure_controlled() {
    let dir = temp();
    let wh = build_golden(dir.path());
    let published = read_metrics(&wh.join("metrics/metric_values.csv"));
    let get = |m: &str, a: &str, p: &str, b: &str| published[&(m.into(), a.into(), p.into(), b.into())].clone();
    // 3 young people reached: suppressed, value and numerator empty.
    assert_eq!(get("young_people_reached", A, "2025Q1", ""), (None, None, None, "c".into()));
    // 35 practitioners trained is published; 0 stays 0.
    assert_eq!(get("practitioners_trained", A, "2025Q1", "").2, Some(35.0));
    assert_eq!(get("practitioners_trained", B, "2025Q2", "").2, Some(0.0));
    // Programme-wide counts are rounded to 10: 40 stays 40, 4 becomes 0.
    assert_eq!(get("practitioners_trained", "ALL", "2025Q2", "").2, Some(40.0));
    assert_eq!(get("young_people_reached", "ALL", "2025Q2", "").2, Some(0.0));
    // A rate over nothing is not applicable.
    assert_eq!(get("pct_contexts_improved", B, "2025Q2", "").3, "z");
    // The metrics Parquet holds the same rows as the CSV.
    let file = std::fs::File::open(wh.join("metrics/metric_values.parquet")).expect("parquet");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("reader")
        .build()
        .expect("build");
    let rows: usize = reader.map(|b| b.expect("batch").num_rows()).sum();
    assert_eq!(rows, published.len());
}

#[test]
fn no_published_count_is_small_and_no_suppressed_cell_can_be_derived() {
    let dir = temp();
    rni_ok(dir.path(), &["synth", "--out", "returns", "--seed", "21", "--authorities", "3", "--young-people", "80"]);
    rni_ok(dir.path(), &["keygen", "--out", "k.key"]);
    rni_ok(dir.path(), &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let published = read_metrics(&dir.path().join("wh/metrics/metric_values.csv"));
    let catalogue = rni::config::queries::catalogue().expect("catalogue");
    let kinds: BTreeMap<&str, &str> = catalogue.iter().map(|m| (m.id.as_str(), m.kind.label())).collect();
    let mut suppressed = 0;
    for ((metric, authority, _, _), (n, d, _, status)) in &published {
        let kind = kinds[metric.as_str()];
        if authority == "ALL" || kind == "reference" || kind == "level" {
            continue;
        }
        for part in [n, d].into_iter().flatten() {
            assert!(!(1..=5).contains(part), "{metric} {authority}: published count {part}");
        }
        if status == "c" {
            suppressed += 1;
            assert_eq!((n, d), (&None, &None));
        }
    }
    assert!(suppressed > 0, "the fixture is small enough to need suppression");
    // Within each breakdown: a published total never sits beside exactly one suppressed cell.
    let mut groups: BTreeMap<(String, String, String), Vec<(String, String)>> = BTreeMap::new();
    for ((metric, authority, period, breakdown), (_, _, _, status)) in &published {
        if kinds[metric.as_str()] == "count" && authority != "ALL" {
            groups
                .entry((metric.clone(), authority.clone(), period.clone()))
                .or_default()
                .push((breakdown.clone(), status.clone()));
        }
    }
    let mut checked = 0;
    for (key, cells) in groups {
        let Some((_, total_status)) = cells.iter().find(|(b, _)| b.is_empty()) else { continue };
        let hidden = cells.iter().filter(|(b, s)| !b.is_empty() && s == "c").count();
        if total_status.is_empty() && cells.len() > 1 {
            checked += 1;
            assert_ne!(hidden, 1, "{key:?}: one suppressed cell could be found by subtraction");
        }
    }
    assert!(checked > 10);
    // Programme-wide counts are multiples of 10.
    for ((metric, authority, _, _), (n, _, _, _)) in &published {
        if authority == "ALL" && kinds[metric.as_str()] == "count" {
            assert_eq!(n.unwrap_or(0) % 10, 0, "{metric}");
        }
    }
}

#[test]
fn every_query_file_runs_on_its_own_through_rni_query() {
    let dir = temp();
    let wh = build_golden(dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("queries"))
        .expect("queries")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert_eq!(files.len(), rni::config::queries::catalogue().expect("catalogue").len());
    for file in files {
        let out =
            rni_ok(root, &["query", wh.to_str().expect("utf-8"), file.to_str().expect("utf-8"), "--format", "csv"]);
        let header = out.lines().next().unwrap_or_default();
        assert!(
            header.starts_with("authority_code,period,breakdown,numerator,denominator,value"),
            "{}: {header}",
            file.display()
        );
        // The golden fixture is a CS return only: the statutory metrics return their header and no
        // row here (tests/integration/statutory.rs runs them over statutory returns).
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let is_statutory = rni::config::queries::catalogue()
            .expect("catalogue")
            .iter()
            .any(|m| m.id == stem && m.section == rni::config::queries::Section::Statutory);
        assert!(is_statutory || out.lines().count() > 1, "{} returns rows", file.display());
    }
    // Ad hoc SQL in each format.
    let table = rni_ok(root, &["query", wh.to_str().expect("utf-8"), "select count(*) as n from episodes_latest"]);
    assert!(table.contains("| 6 |"), "{table}");
    let json = rni_ok(
        root,
        &["query", wh.to_str().expect("utf-8"), "select count(*) as n from episodes_latest", "--format", "json"],
    );
    assert_eq!(json.trim(), r#"{"n":6}"#);
    // A metric by its id gives what its file gives; the published figures are a table.
    let w = wh.to_str().expect("utf-8");
    let by_file = rni_ok(root, &["query", w, "queries/pct_rereferral_12m.sql", "--format", "csv"]);
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(rni_ok(root, &["query", w, "pct_rereferral_12m", "--format", "csv"])), sorted(by_file));
    let published = rni_ok(
        root,
        &["query", w, "select count(*) as n from metric_values where metric = 'pct_rereferral_12m'", "--format", "csv"],
    );
    let rows: usize = published.lines().nth(1).and_then(|n| n.trim().parse().ok()).expect("a count");
    assert!(rows > 0, "{published}");
    // Negative numbers in CSV stay numbers.
    let negative = rni_ok(root, &["query", w, "select -3.5 as v, 'x' as t", "--format", "csv"]);
    assert_eq!(negative.trim(), "v,t\n-3.5,x");
}

/// The latest-row views go to a private temporary folder, removed afterwards; without one
/// they are kept in memory, with the same results.
#[test]
fn views_give_the_same_results_with_or_without_a_temporary_folder() {
    let dir = temp();
    let wh = build_golden(dir.path());
    // A build keeps its views in its staging folder and removes them before publishing.
    let published: Vec<String> = std::fs::read_dir(&wh)
        .expect("warehouse")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!published.iter().any(|n| n.contains("rni-views")), "{published:?}");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let sql = "select authority_code, count(*) as n from episodes_scoped group by authority_code order by 1";
    let run = |tmpdir: &Path| {
        let out = Command::new(rni_path())
            .args(["query", wh.to_str().expect("utf-8"), sql, "--format", "csv"])
            .env("TMPDIR", tmpdir)
            .env("RNI_LOG", "info")
            .output()
            .expect("rni runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (on_disk, _) = run(&tmp);
    assert!(on_disk.lines().count() > 2, "{on_disk}");
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0, "the view folder is removed");
    let (in_memory, log) = run(&dir.path().join("no-such-folder"));
    assert_eq!(on_disk, in_memory);
    assert!(log.contains("kept in memory"), "{log}");
}

#[test]
fn a_sql_error_names_the_query_and_position() {
    let dir = temp();
    let wh = build_golden(dir.path());
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, "select\n  count(* from episodes").expect("write");
    let out = rni(dir.path(), &["query", wh.to_str().expect("utf-8"), bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.sql"), "{stderr}");
    assert!(stderr.contains("Line: 2"), "{stderr}");
}
