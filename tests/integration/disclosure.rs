//! Published metrics under disclosure control, end to end: missing tables are `x` and `ALL` is
//! over the authorities that sent them; a build whose metrics would give a suppressed figure
//! away publishes nothing. (The attacks themselves, over many seeded builds, are in
//! `tests/python/test_disclosure_attacks.py`, written apart from this code.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{rni, rni_ok, temp};

/// metric_values.csv as (metric, authority, period, breakdown) → (numerator, denominator, value, status).
type Rows = BTreeMap<(String, String, String, String), (String, String, String, String)>;

fn metric_values(path: &Path) -> Rows {
    let mut reader = csv::Reader::from_path(path).expect("metric_values.csv");
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let r = record.expect("row");
        let key = (r[0].to_string(), r[1].to_string(), r[3].to_string(), r[4].to_string());
        out.insert(key, (r[5].to_string(), r[6].to_string(), r[7].to_string(), r[8].to_string()));
    }
    out
}

fn key(metric: &str, authority: &str, period: &str, breakdown: &str) -> (String, String, String, String) {
    (metric.into(), authority.into(), period.into(), breakdown.into())
}

fn build(dir: &Path, returns: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build", "--key-file", "k.key", "--returns", returns, "--out", out];
    args.extend_from_slice(extra);
    rni(dir, &args)
}

#[test]
fn a_table_not_sent_is_x_and_all_is_over_the_authorities_that_sent_it() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "61", "--authorities", "3", "--young-people", "150"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    // Hillingdon sends no panels table for 2025Q2, and no return at all for 2025Q3.
    std::fs::remove_file(d.join("returns/E09000017/2025Q2/panels.csv")).expect("panels.csv");
    std::fs::remove_dir_all(d.join("returns/E09000017/2025Q3")).expect("2025Q3");
    let out = build(d, "returns", "wh", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let published = metric_values(&d.join("wh/metrics/metric_values.csv"));
    let exact = metric_values(&d.join("wh/restricted/metric_values_exact.csv"));

    for breakdown in ["", "STRATEGIC", "MACE"] {
        let row = &published[&key("panel_meetings", "E09000017", "2025Q2", breakdown)];
        assert_eq!(row, &(String::new(), String::new(), String::new(), "x".to_string()), "{breakdown}");
    }
    assert_eq!(published[&key("panel_meetings_contextual_lens", "E09000017", "2025Q2", "")].3, "x");
    assert_eq!(published[&key("episodes_started", "E09000017", "2025Q2", "")].3, "", "episodes were sent");
    for metric in ["young_people_reached", "episodes_started", "panel_meetings", "pct_relocated"] {
        assert_eq!(published[&key(metric, "E09000017", "2025Q3", "")].3, "x", "{metric}: no return in 2025Q3");
    }

    // ALL is the sum of the authorities that sent the table, exactly in restricted/, rounded in metrics/.
    let authorities: std::collections::BTreeSet<String> =
        exact.keys().map(|k| k.1.clone()).filter(|a| a.starts_with('E') && a != "E92000001").collect();
    for (metric, period) in [
        ("panel_meetings", "2025Q2"),
        ("young_people_reached", "2025Q3"),
        ("episodes_started", "2025Q3"),
        ("young_people_reached", "2025Q1"),
    ] {
        let sum: i64 = authorities
            .iter()
            .filter_map(|a| exact.get(&key(metric, a, period, "")))
            .filter(|r| r.3 != "x")
            .map(|r| r.0.parse::<i64>().expect("exact count"))
            .sum();
        let all = &exact[&key(metric, "ALL", period, "")];
        assert_eq!(all.0, sum.to_string(), "{metric} {period}: ALL is over the authorities that sent the table");
        let rounded = &published[&key(metric, "ALL", period, "")];
        assert_eq!(rounded.0, (((sum + 5) / 10) * 10).to_string(), "{metric} {period}: ALL published rounded");
    }
    // The report marks x.
    let html = std::fs::read_to_string(d.join("wh/report/index.html")).expect("report");
    assert!(html.contains("did not send that table"));
}

#[test]
fn a_build_whose_metrics_would_give_a_figure_away_publishes_nothing() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "62", "--authorities", "3", "--young-people", "60"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    // A good build first: it records what it suppressed and the narrowest interval.
    let out = build(d, "returns", "wh", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("wh/MANIFEST.json")).expect("manifest")).expect("json");
    let summary = &manifest["disclosure"];
    assert!(summary["suppressed_rows"].as_u64().expect("rows") > 0);
    assert!(summary["narrowest_interval"].as_i64().expect("interval") >= 3, "{summary}");
    assert_eq!(summary["findings"], 0);
    let before = std::fs::read(d.join("wh/metrics/metric_values.csv")).expect("metrics");

    // The same returns changed, under a policy without secondary suppression: the audit
    // finds suppressed figures that subtraction and rounding give back, and nothing is published.
    std::fs::remove_file(d.join("returns/E09000017/2025Q4/practice.csv")).expect("practice.csv");
    let policy =
        rni::config::policy::DEFAULT_POLICY.replace("secondary_suppression = true", "secondary_suppression = false");
    std::fs::write(d.join("weak.toml"), policy).expect("policy");
    let out = build(d, "returns", "wh", &["--policy", "weak.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was published"), "{stderr}");
    assert_eq!(
        std::fs::read(d.join("wh/metrics/metric_values.csv")).expect("metrics"),
        before,
        "last good metrics kept"
    );
    let refused = d.join("wh.refused/restricted");
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(refused.join("disclosure-audit.json")).expect("audit")).expect("json");
    let findings = audit["findings"].as_array().expect("findings");
    assert!(findings.iter().any(|f| f["rule"] == "interval"), "{findings:?}");
    assert!(refused.join("MANIFEST.json").is_file(), "the manifest it would have published");
    // The log names metric, authority and period, never an interval.
    assert!(!stderr.contains("low="), "{stderr}");

    // With the policy back, the next build publishes and clears the refusal.
    let out = build(d, "returns", "wh", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!d.join("wh.refused").exists());
}
