//! The authority profile of a case-study pack: only published figures, tied
//! row by row to `profile_metrics.csv`; a table not returned reads `x`, never 0;
//! rendered in headless Chromium.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{rni_ok, temp};

pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    reader.records().map(|r| r.expect("row").iter().map(str::to_string).collect()).collect()
}

/// Every word holding a digit in the profile, outside the first cell of a table row (the
/// metric's name, such as "within 12 months") and the table's rule lines.
pub fn numbers_in(md: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in md.lines() {
        let text = if line.starts_with('|') {
            line.trim_matches('|').split('|').skip(1).collect::<Vec<_>>().join(" ")
        } else {
            line.to_string()
        };
        for word in text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '|')) {
            if word.chars().any(|c| c.is_ascii_digit()) {
                found.insert(word.to_string());
            }
        }
    }
    found
}

#[test]
#[allow(clippy::print_stderr)] // says why the rendering part did nothing without Chromium
fn the_profile_shows_only_published_figures_and_a_missing_table_as_not_returned() {
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["synth", "--out", "returns", "--seed", "22", "--authorities", "2", "--young-people", "120"]);
    // Hillingdon did not send its panels for 2025Q2.
    std::fs::remove_file(d.join("returns/E09000017/2025Q2/panels.csv")).expect("panels");
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns", "--out", "wh"]);
    let said = rni_ok(d, &["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", "pack"]);
    assert!(said.contains("profile:"), "{said}");
    let md = std::fs::read_to_string(d.join("pack/profile.md")).expect("profile.md");
    for heading in [
        "## Who was reached?",
        "## What has been put in place?",
        "## What changed in practice?",
        "## Outcomes",
        "## Context",
    ] {
        assert!(md.contains(heading), "{heading} missing");
    }
    assert!(md.matches("Questions to ask").count() >= 5, "prompts beside each section");

    // Every row it used is a published row, and every number it shows is in those rows.
    let used = csv_rows(&d.join("pack/profile_metrics.csv"));
    let published: BTreeSet<Vec<String>> = csv_rows(&d.join("wh/metrics/metric_values.csv")).into_iter().collect();
    assert!(!used.is_empty());
    for row in &used {
        assert!(published.contains(row), "{row:?} is not a published row");
    }
    let cells: BTreeSet<&str> = used.iter().flatten().map(String::as_str).collect();
    for number in numbers_in(&md) {
        assert!(cells.contains(number.as_str()), "`{number}` in profile.md is not in profile_metrics.csv");
    }

    // The quarter without panels reads "x (not returned)", never 0.
    let panels = md.lines().find(|l| l.starts_with("| Panel meetings |")).expect("panel meetings row");
    let quarters: Vec<&str> =
        md.lines().find(|l| l.starts_with("| Metric |")).expect("header").split('|').map(str::trim).collect();
    let at = quarters.iter().position(|q| *q == "2025Q2").expect("2025Q2 column");
    let cell = panels.split('|').map(str::trim).nth(at).expect("cell");
    assert_eq!(cell, "x (not returned)", "{panels}");

    // The figures only, without the records.
    rni_ok(d, &["case-study", "--warehouse", "wh", "--authority", "E09000017", "--out", "only", "--profile-only"]);
    let files: BTreeSet<String> = std::fs::read_dir(d.join("only"))
        .expect("only")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["profile.html", "profile.md", "profile_metrics.csv"].map(String::from).into_iter().collect());

    // As a reader sees it.
    let Some(chromium) = crate::report::chromium() else {
        assert!(std::env::var_os("RNI_REQUIRE_CHROMIUM").is_none(), "chromium is required here but not installed");
        eprintln!("rendering skipped: no chromium on this machine (CI installs it)");
        return;
    };
    let page = d.join("pack/profile.html");
    let dom = crate::report::rendered(chromium, &page);
    assert!(dom.contains("case-study profile"), "the page loaded");
    assert!(dom.matches("class=\"chart small\"").count() >= 15, "a trend per metric");
    assert!(dom.contains("class=\"programme\""), "the programme-wide line");
    assert!(dom.contains("class=\"chart factors\""), "the factor bars");
    assert!(dom.contains("x (not returned)"));
    for bad in ["NaN", "undefined", "Infinity"] {
        assert!(!dom.contains(bad), "`{bad}` on the page");
    }
    crate::report::screenshot(chromium, &page, "profile-hillingdon.png");
}
