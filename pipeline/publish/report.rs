//! The comparison report: `report/index.html`, one self-contained page.
//!
//! For programme staff: authorities compared on reach and impact in the
//! latest quarter, their trajectories over quarters, each authority beside its
//! statistical neighbours and England on the published EFH factor rates, and
//! the returns received with their data quality. Charts are inline SVG
//! written here (plain bars and lines, no script, no font files, no network),
//! so the page opens anywhere, prints, and can be checked in a test. It shows
//! only published (disclosure-controlled) rows: a suppressed cell reads `c`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::config::queries::{Metric, Section, catalogue};
use crate::engine::metrics::MetricRow;
use crate::error::Result;
use crate::publish::manifest::{AuthorityEntry, SetAside};

const PALETTE: &[&str] = &["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6a9f", "#c44536"];

/// What a data manager should check in an authority's files: tables whose text looks read with
/// the wrong encoding (names written so cannot be found in notes).
fn warnings(a: &AuthorityEntry) -> String {
    let garbled: Vec<String> = a
        .inputs()
        .filter(|i| i.notes.iter().any(|n| n.contains("wrong encoding")))
        .map(|i| format!("{} {}", i.period, i.table))
        .collect();
    if garbled.is_empty() {
        String::new()
    } else {
        format!("text looks garbled (wrong encoding) in {}: re-save as UTF-8", garbled.join(", "))
    }
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn shown(row: Option<&MetricRow>) -> String {
    match row {
        None => "–".into(),
        Some(r) if !r.status.is_empty() => r.status.clone(),
        Some(r) => match r.value {
            Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
            Some(v) => format!("{v:.1}"),
            None => "z".into(),
        },
    }
}

/// Horizontal bar chart; a suppressed or missing value is written instead of drawn.
fn bar_chart(title: &str, items: &[(String, &MetricRow)]) -> String {
    let width = 640.0;
    let label_w = 230.0;
    let bar_h = 22.0;
    let height = 34.0 + bar_h * items.len() as f64 + 10.0;
    let max = items.iter().filter_map(|(_, r)| r.value).fold(0.0_f64, f64::max).max(1.0);
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = escape(title)
    );
    for (i, (label, row)) in items.iter().enumerate() {
        let y = 30.0 + bar_h * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="cl">{}</text>"#,
            label_w - 8.0,
            y + 15.0,
            escape(label)
        );
        match (row.status.as_str(), row.value) {
            ("", Some(v)) => {
                let w = (width - label_w - 60.0) * v / max;
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{label_w}" y="{}" width="{w:.1}" height="{}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{}" class="cv">{}</text>"#,
                    y + 3.0,
                    bar_h - 6.0,
                    PALETTE[i % PALETTE.len()],
                    escape(label),
                    shown(Some(row)),
                    label_w + w + 4.0,
                    y + 15.0,
                    shown(Some(row))
                );
            }
            _ => {
                let _ = write!(
                    svg,
                    r#"<text x="{}" y="{}" class="cv sym">{}</text>"#,
                    label_w + 4.0,
                    y + 15.0,
                    escape(&shown(Some(row)))
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Line chart over periods, one line per series; gaps where a value is suppressed.
fn line_chart(title: &str, periods: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    let (width, height, left, bottom, top) = (640.0, 300.0, 50.0, 40.0, 30.0);
    let right = 170.0;
    let max = series.iter().flat_map(|(_, v)| v.iter().flatten()).fold(0.0_f64, |a, &b| a.max(b)).max(1.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let x =
        |i: usize| left + if periods.len() > 1 { plot_w * i as f64 / (periods.len() - 1) as f64 } else { plot_w / 2.0 };
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#888"/>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    let _ = write!(svg, r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#888"/>"##, top + plot_h);
    let _ = write!(svg, r#"<text x="{}" y="{}" text-anchor="end" class="cl">{max:.0}</text>"#, left - 4.0, top + 4.0);
    let _ = write!(svg, r#"<text x="{}" y="{}" text-anchor="end" class="cl">0</text>"#, left - 4.0, top + plot_h);
    for (i, p) in periods.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="cl">{}</text>"#,
            x(i),
            height - 18.0,
            escape(p)
        );
    }
    for (s, (label, values)) in series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(path, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v));
                    let _ = write!(
                        svg,
                        r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {v}</title></circle>"#,
                        x(i),
                        y(*v),
                        escape(label),
                        escape(&periods[i])
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                r#"<path class="line" d="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.trim()
            );
        }
        let ly = top + 14.0 * s as f64;
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}" class="cl">{}</text>"#,
            width - right + 10.0,
            ly,
            width - right + 24.0,
            ly + 9.0,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Renders the report from published rows and the manifest's authorities.
pub fn render(rows: &[MetricRow], authorities: &[AuthorityEntry], set_aside: &[SetAside]) -> Result<String> {
    let catalogue = catalogue()?;
    let section = |s: Section| -> Vec<(&str, &str)> {
        catalogue.iter().filter(|m| m.section == s).map(|m: &Metric| (m.id.as_str(), m.label.as_str())).collect()
    };
    let find = |metric: &str, code: &str, period: &str, breakdown: &str| {
        rows.iter()
            .find(|r| r.metric == metric && r.authority_code == code && r.period == period && r.breakdown == breakdown)
    };
    let quarter_rows: Vec<&MetricRow> = rows.iter().filter(|r| r.metric == "young_people_reached").collect();
    let periods: Vec<String> =
        quarter_rows.iter().map(|r| r.period.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let latest = periods.last().cloned().unwrap_or_default();
    let mut codes: Vec<String> = authorities.iter().map(|a| a.authority_code.clone()).collect();
    codes.sort();
    let name_of = |code: &str| {
        rows.iter()
            .find(|r| r.authority_code == code)
            .map(|r| r.authority_name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let mut with_all = codes.clone();
    with_all.push("ALL".into());

    let mut html = String::new();
    html.push_str(HEAD);
    let _ = write!(
        html,
        "<h1>Reach and Impact: Contextual Safeguarding</h1><p class=\"lead\">{} partner authorities; quarters {}. \
         Latest quarter: <strong>{}</strong>. Figures are disclosure-controlled.</p>",
        codes.len(),
        escape(&periods.join(", ")),
        escape(&latest)
    );
    html.push_str(LEGEND);

    // Reach and impact tables for the latest quarter.
    for (heading, metrics) in [("Reach", section(Section::Reach)), ("Impact", section(Section::Impact))] {
        let _ = write!(html, "<h2>{heading}, {}</h2><table><thead><tr><th>Authority</th>", escape(&latest));
        for (_, label) in &metrics {
            let _ = write!(html, "<th>{}</th>", escape(label));
        }
        html.push_str("</tr></thead><tbody>");
        for code in &with_all {
            let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&name_of(code)));
            for (metric, _) in &metrics {
                let row = if *metric == "adoption_stage" {
                    rows.iter().find(|r| r.metric == *metric && &r.authority_code == code && r.period == latest)
                } else {
                    find(metric, code, &latest, "")
                };
                let cell = shown(row);
                let class = if row.is_some_and(|r| !r.status.is_empty()) { " class=\"sym\"" } else { "" };
                let _ = write!(html, "<td{class}>{}</td>", escape(&cell));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        let headline = if heading == "Reach" { "young_people_reached" } else { "pct_contextual_assessment" };
        let label = metrics.iter().find(|(m, _)| *m == headline).map(|(_, l)| *l).unwrap_or(headline);
        let items: Vec<(String, &MetricRow)> =
            codes.iter().filter_map(|c| find(headline, c, &latest, "").map(|r| (name_of(c), r))).collect();
        html.push_str("<figure>");
        html.push_str(&bar_chart(&format!("{label}, {latest}"), &items));
        html.push_str("</figure>");
    }

    // Trajectories.
    html.push_str("<h2>Over time</h2>");
    for (metric, label) in [
        ("episodes_started", "Episodes started"),
        ("pct_context_safety_plan", "% of episodes with a context safety plan"),
    ] {
        let series: Vec<(String, Vec<Option<f64>>)> = codes
            .iter()
            .map(|c| (name_of(c), periods.iter().map(|p| find(metric, c, p, "").and_then(|r| r.value)).collect()))
            .collect();
        html.push_str("<figure>");
        html.push_str(&line_chart(label, &periods, &series));
        html.push_str("</figure>");
    }

    // Context: EFH factor rates beside statistical neighbours and England.
    let years: BTreeSet<String> =
        rows.iter().filter(|r| r.metric == "efh_factor_rate").map(|r| r.period.clone()).collect();
    if let Some(year) = years.iter().next_back() {
        let factors: Vec<String> = rows
            .iter()
            .filter(|r| r.metric == "efh_factor_rate" && &r.period == year)
            .map(|r| r.breakdown.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let _ = write!(
            html,
            "<h2>Context: extra-familial harm factors per 10,000 children, {}</h2>\
             <p>Factors identified at the end of children-in-need assessments (DfE), per 10,000 children aged 0–17 (ONS). \
             SN is the mean rate of the authority's ten statistical neighbours.</p>",
            escape(year)
        );
        for code in &codes {
            let _ = write!(
                html,
                "<h3>{}</h3><table><thead><tr><th>Factor</th><th>Authority</th><th>Neighbours (SN)</th><th>England</th></tr></thead><tbody>",
                escape(&name_of(code))
            );
            for f in &factors {
                let sn = format!("SN:{code}");
                let _ = write!(
                    html,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(f),
                    escape(&shown(find("efh_factor_rate", code, year, f))),
                    escape(&shown(find("efh_factor_rate", &sn, year, f))),
                    escape(&shown(find("efh_factor_rate", crate::config::reference::ENGLAND, year, f)))
                );
            }
            html.push_str("</tbody></table>");
            if let Some(cce) = find("efh_factor_rate", code, year, "CCE") {
                let sn = format!("SN:{code}");
                let mut items = vec![(name_of(code), cce)];
                if let Some(r) = find("efh_factor_rate", &sn, year, "CCE") {
                    items.push(("Statistical neighbours".into(), r));
                }
                if let Some(r) = find("efh_factor_rate", crate::config::reference::ENGLAND, year, "CCE") {
                    items.push(("England".into(), r));
                }
                html.push_str("<figure>");
                html.push_str(&bar_chart(&format!("Child criminal exploitation per 10,000, {year}"), &items));
                html.push_str("</figure>");
            }
        }
    }

    // Returns received.
    html.push_str("<h2>Returns received and data quality</h2><table><thead><tr><th>Authority</th><th>Quarters</th><th>Rows read</th><th>Accepted</th><th>Rejected</th><th>This build</th><th>Warnings</th></tr></thead><tbody>");
    for a in authorities {
        let quarters: BTreeSet<&str> = a.returns.iter().map(|r| r.period.as_str()).collect();
        let read: usize = a.inputs().map(|i| i.rows_read).sum();
        let accepted: usize = a.inputs().map(|i| i.rows_accepted).sum();
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{read}</td><td>{accepted}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&name_of(&a.authority_code)),
            escape(&quarters.into_iter().collect::<Vec<_>>().join(", ")),
            a.rows_rejected(),
            if a.was_prepared() { "read" } else { "unchanged" },
            escape(&warnings(a))
        );
    }
    html.push_str("</tbody></table>");
    if !set_aside.is_empty() {
        html.push_str("<h3>Returns set aside by this build</h3><table><thead><tr><th>Authority</th><th>Quarter</th><th>Table</th><th>File</th><th>Problem</th><th>Figures shown</th></tr></thead><tbody>");
        for s in set_aside {
            let _ = write!(
                html,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&name_of(&s.authority_code)),
                escape(&s.period),
                escape(&s.table),
                escape(&s.path),
                escape(&s.rule),
                if s.carried_over { "the last good version of the return" } else { "none: never published before" }
            );
        }
        html.push_str("</tbody></table>");
    }
    let by_metric: BTreeMap<&str, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.metric.as_str()).or_insert(0) += 1;
        m
    });
    let _ = write!(
        html,
        "<p class=\"foot\">{} published metric rows over {} metrics. Exact figures are kept only in the warehouse's restricted folder.</p>",
        rows.len(),
        by_metric.len()
    );
    html.push_str("</main></body></html>\n");
    Ok(html)
}

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reach and Impact — Contextual Safeguarding</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1d1d1d;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.7rem;margin:0 0 8px}h2{margin-top:36px;border-bottom:2px solid #1b6ca8;padding-bottom:4px}
table{border-collapse:collapse;margin:12px 0;font-size:.85rem;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th[scope=row]{text-align:left}thead th{background:#eef3f8}
td.sym{color:#8a1c1c;font-weight:600;text-align:center}
.legend{background:#fff;border:1px solid #ddd;padding:8px 12px;font-size:.85rem}
.chart .ct{font-weight:600;font-size:14px}.chart .cl{font-size:11px;fill:#333}.chart .cv{font-size:11px}.chart .sym{fill:#8a1c1c;font-weight:600}
figure{margin:12px 0}.lead{color:#444}.foot{color:#666;font-size:.8rem;margin-top:32px}
</style></head><body><main>
"#;

const LEGEND: &str = "<div class=\"legend\"><strong>Symbols:</strong> \
<code>c</code> suppressed (a count of 1 to 5, or a cell that would reveal one); \
<code>x</code> not available (the authority did not send that table for the quarter; All partner authorities \
is over the authorities that did); <code>z</code> not applicable (nothing to divide by); \
<code>u</code> low reliability (as published by DfE). Programme-wide (All partner authorities) counts are rounded to the nearest 10.</div>";
