//! The comparison report as a person sees it: rendered in headless Chromium,
//! for the demo and for a build of 30 authorities, checked in the rendered
//! page (after its script ran) and kept as screenshots under the test
//! target folder (`report-demo.png`, `report-30.png`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{rni_ok, temp};

pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

const ARGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The page's DOM after Chromium loaded it and ran its script.
pub fn rendered(chromium: &str, page: &Path) -> String {
    let profile = temp();
    let out = Command::new(chromium)
        .args(ARGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--virtual-time-budget=2000")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn screenshot(chromium: &str, page: &Path, name: &str) -> PathBuf {
    let profile = temp();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let status = Command::new(chromium)
        .args(ARGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--window-size=1200,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium");
    assert!(status.status.success());
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 20_000, "a rendered page, not a blank one");
    shot
}

/// Published rows: (metric, authority code, authority name, period, status).
fn published(wh: &Path) -> Vec<[String; 5]> {
    let mut reader = csv::Reader::from_path(wh.join("metrics/metric_values.csv")).expect("metric values");
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            [r[0].to_string(), r[1].to_string(), r[2].to_string(), r[3].to_string(), r[8].to_string()]
        })
        .collect()
}

/// What a reader must find on the page of the warehouse `wh`.
fn check(chromium: &str, wh: &Path, authorities: usize, shot: &str) {
    let page = wh.join("report/index.html");
    let html = std::fs::read_to_string(&page).expect("report");
    // The SVG namespace is a name, not an address anything is fetched from; a clip path is referred to within the page (`url(#…)`).
    let html = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "").replace("url(#", "");
    for fetch in ["<script src", "<link", "https://", "http://", "@import", "url("] {
        assert!(!html.contains(fetch), "self-contained: `{fetch}` found");
    }
    let dom = rendered(chromium, &page);
    assert!(dom.contains("Reach and Impact"), "the page loaded");
    assert!(dom.contains("<button type=\"button\">"), "the script ran: the overview's headings became sort buttons");
    // What is shown: the page without its script (which speaks of `isNaN`).
    let shown = match (dom.find("<script"), dom.rfind("</script>")) {
        (Some(a), Some(b)) => format!("{}{}", &dom[..a], &dom[b..]),
        _ => dom.clone(),
    };
    for bad in ["NaN", "undefined", "inf\"", "Infinity"] {
        assert!(!shown.contains(bad), "`{bad}` on the page");
    }
    let rows = published(wh);
    let latest = rows.iter().filter(|r| r[0] == "young_people_reached").map(|r| r[3].clone()).max().expect("a quarter");
    // Every authority is in the overview table, by name.
    let names: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[1].starts_with('E') && r[1].len() == 9 && r[1] != "E92000001")
        .map(|r| r[2].as_str())
        .collect();
    assert_eq!(names.len(), authorities);
    let overview = &dom[dom.find("id=\"overview\"").expect("overview table")..];
    let overview = &overview[..overview.find("</table>").expect("end of the table")];
    for name in &names {
        let escaped = name.replace('&', "&amp;");
        assert!(overview.contains(&format!(">{escaped}</th>")), "{name} is not in the overview table");
    }
    // A funnel plot for every percentage with a programme-wide value and at least one
    // authority's published value in the latest quarter.
    let with_all: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[0].starts_with("pct_") && r[1] == "ALL" && r[3] == latest && r[4].is_empty())
        .map(|r| r[0].as_str())
        .collect();
    let percentages: BTreeSet<&str> = rows
        .iter()
        .filter(|r| with_all.contains(r[0].as_str()) && r[1] != "ALL" && r[3] == latest && r[4].is_empty())
        .map(|r| r[0].as_str())
        .collect();
    assert!(!percentages.is_empty());
    assert_eq!(dom.matches("class=\"chart funnel\"").count(), percentages.len(), "one funnel plot per percentage");
    assert!(dom.contains("class=\"limit998\"") && dom.contains("class=\"target\""));
    // Suppressed cells are marked, never drawn as 0.
    let suppressed = rows.iter().filter(|r| r[3] == latest && r[4] == "c" && r[1] != "ALL").count();
    if suppressed > 0 {
        assert!(dom.contains("<td class=\"sym\">c</td>"), "a suppressed cell shows `c`");
    }
    assert!(dom.matches("<details").count() >= authorities, "a folded section per authority");
    assert!(dom.matches("class=\"chart small\"").count() >= 2 * authorities, "small multiples for two trends");
    assert!(dom.contains("class=\"chart factor\""), "a chart per EFH factor");
    for svg in dom.split("<svg").skip(1) {
        assert!(svg.contains("<title>") && svg.contains("<desc>"), "every chart has a text alternative");
    }
    screenshot(chromium, &page, shot);
    // It prints on A4: every page of Chromium's PDF is 595 × 842 points.
    let pdf = Path::new(env!("CARGO_TARGET_TMPDIR")).join(shot.replace(".png", ".pdf"));
    let profile = temp();
    let printed = Command::new(chromium)
        .args(ARGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium");
    assert!(printed.status.success());
    let bytes = std::fs::read(&pdf).expect("pdf");
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/MediaBox [").count();
    let a4 = text.matches("/MediaBox [0 0 594.95996 841.91998]").count();
    assert!(pages >= 2 && a4 == pages, "{a4} of {pages} pages are A4");
}

#[test]
#[allow(clippy::print_stderr)] // says why the test did nothing on a machine without Chromium
fn the_report_renders_for_the_demo_and_for_thirty_authorities() {
    let Some(chromium) = chromium() else {
        assert!(std::env::var_os("RNI_REQUIRE_CHROMIUM").is_none(), "chromium is required here but not installed");
        eprintln!("skipped: no chromium on this machine (CI installs it)");
        return;
    };
    let dir = temp();
    let d = dir.path();
    rni_ok(d, &["demo", "--out", "demo"]);
    let demo_authorities = std::fs::read_dir(d.join("demo/returns"))
        .expect("demo returns")
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    check(chromium, &d.join("demo/warehouse"), demo_authorities, "report-demo.png");
    demo_profile(chromium, &d.join("demo"));

    rni_ok(d, &["synth", "--out", "returns30", "--seed", "30", "--authorities", "30", "--young-people", "60"]);
    rni_ok(d, &["keygen", "--out", "k.key"]);
    rni_ok(d, &["build", "--key-file", "k.key", "--returns", "returns30", "--out", "wh30"]);
    check(chromium, &d.join("wh30"), 30, "report-30.png");
}

/// The demo's case-study pack for Hillingdon: every section of its profile filled from the
/// published figures, each number a row of `profile_metrics.csv`, rendered.
fn demo_profile(chromium: &str, demo: &Path) {
    use crate::profile::{csv_rows, numbers_in};
    let pack = demo.join("case-study");
    let md = std::fs::read_to_string(pack.join("profile.md")).expect("the demo writes Hillingdon's profile");
    assert!(md.starts_with("# Hillingdon (E09000017)"));
    let sections: Vec<&str> = md.split("\n## ").skip(1).collect();
    assert_eq!(sections.len(), 5, "five sections");
    for section in &sections {
        let figures =
            section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Metric") && !l.starts_with("| Factor"));
        let filled = figures.filter(|l| l.split('|').skip(2).any(|c| c.trim().parse::<f64>().is_ok())).count();
        assert!(filled > 0, "a section with no published figure: {}", section.lines().next().unwrap_or_default());
    }
    let cells: BTreeSet<String> = csv_rows(&pack.join("profile_metrics.csv")).into_iter().flatten().collect();
    for number in numbers_in(&md) {
        assert!(cells.contains(&number), "`{number}` in the demo's profile.md is not in profile_metrics.csv");
    }
    let page = pack.join("profile.html");
    let dom = rendered(chromium, &page);
    for heading in
        ["Who was reached?", "What has been put in place?", "What changed in practice?", "Outcomes", "Context"]
    {
        assert!(dom.contains(&format!("<h2>{heading}</h2>")), "{heading}");
    }
    assert!(dom.matches("class=\"chart small\"").count() >= 15 && dom.contains("class=\"chart factors\""));
    screenshot(chromium, &page, "profile-demo.png");
}
