//! The comparison report: `report/index.html`, one self-contained page.
//!
//! For programme staff comparing many authorities: one overview table of the
//! latest quarter (sortable, filterable, each percentage with its 95% Wilson
//! interval); a funnel plot for every percentage, naming in words the
//! authorities outside the control limits; ranked bars with intervals; small
//! multiples of the trends; one chart per extra-familial harm factor across
//! authorities beside their statistical neighbours and England; a folded
//! section per authority; the returns received with their data quality.
//! Charts ([`charts`]) are inline SVG written here, the statistics ([`stats`])
//! are computed here, and the page ([`page`]) fetches nothing, so it opens
//! anywhere, prints on A4, and can be checked in a test. It shows only
//! published (disclosure-controlled) rows: a suppressed cell reads `c`, never 0.

pub(crate) mod charts;
pub(crate) mod page;
mod stats;
mod statutory;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::config::queries::{Metric, MetricKind, Section, catalogue};
use crate::engine::metrics::MetricRow;
use crate::error::Result;
use crate::publish::manifest::{AuthorityEntry, SetAside};

use charts::{Bar, FactorRow, FunnelPoint};
use stats::{Position, Z95, wilson};

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

/// One authority's values over the quarters, with what is shown for each.
type Points = Vec<(Option<f64>, String)>;

/// A published value, when it is one (not a symbol).
fn value(row: Option<&MetricRow>) -> Option<f64> {
    row.filter(|r| r.status.is_empty()).and_then(|r| r.value)
}

/// The 95% interval of a published percentage, from its value and published denominator.
fn interval(row: Option<&MetricRow>) -> Option<(f64, f64)> {
    let r = row.filter(|r| r.status.is_empty() && r.kind == MetricKind::Percentage)?;
    wilson(r.value?, r.denominator? as f64, Z95)
}

/// The published rows, looked up by metric, area, period and breakdown.
struct Rows<'a> {
    by_key: BTreeMap<(&'a str, &'a str, &'a str, &'a str), &'a MetricRow>,
    names: BTreeMap<&'a str, &'a str>,
}

impl<'a> Rows<'a> {
    fn new(rows: &'a [MetricRow]) -> Rows<'a> {
        let mut by_key = BTreeMap::new();
        let mut names = BTreeMap::new();
        for r in rows {
            by_key.insert((r.metric.as_str(), r.authority_code.as_str(), r.period.as_str(), r.breakdown.as_str()), r);
            names.entry(r.authority_code.as_str()).or_insert(r.authority_name.as_str());
        }
        Rows { by_key, names }
    }

    fn get(&self, metric: &str, code: &str, period: &str, breakdown: &str) -> Option<&'a MetricRow> {
        self.by_key.get(&(metric, code, period, breakdown)).copied()
    }

    /// A level metric's row of the period, whatever its breakdown (the level is the breakdown).
    fn level(&self, metric: &str, code: &str, period: &str) -> Option<&'a MetricRow> {
        self.by_key
            .range((metric, code, period, "")..)
            .next()
            .map(|(_, r)| *r)
            .filter(|r| r.metric == metric && r.authority_code == code && r.period == period)
    }

    fn name(&self, code: &str) -> String {
        self.names.get(code).map_or_else(|| code.to_string(), |n| n.to_string())
    }
}

/// A table cell: the value (with its interval for a percentage) or its symbol, and what it sorts by.
fn cell(row: Option<&MetricRow>) -> String {
    let text = shown(row);
    let sort = value(row).map(|v| format!(" data-sort=\"{v}\"")).unwrap_or_default();
    match (value(row), interval(row)) {
        (Some(_), Some((lo, hi))) => {
            format!("<td{sort}>{}<span class=\"ci\">{lo:.1}–{hi:.1}</span></td>", escape(&text))
        }
        (Some(_), None) => format!("<td{sort}>{}</td>", escape(&text)),
        (None, _) => format!("<td class=\"sym\">{}</td>", escape(&text)),
    }
}

/// Names in words: "A, B and C".
fn listed(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Renders the report from published rows and the manifest's authorities.
pub fn render(rows: &[MetricRow], authorities: &[AuthorityEntry], set_aside: &[SetAside]) -> Result<String> {
    let catalogue = catalogue()?;
    let metrics_of = |s: Section| -> Vec<&Metric> { catalogue.iter().filter(|m| m.section == s).collect() };
    let table = Rows::new(rows);
    let periods: Vec<String> = rows
        .iter()
        .filter(|r| r.metric == "young_people_reached")
        .map(|r| r.period.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let latest = periods.last().cloned().unwrap_or_default();
    let mut codes: Vec<String> = authorities.iter().map(|a| a.authority_code.clone()).collect();
    codes.sort_by_key(|c| (table.name(c), c.clone()));
    let mut with_all = codes.clone();
    with_all.push("ALL".into());
    let compared: Vec<&Metric> = metrics_of(Section::Reach).into_iter().chain(metrics_of(Section::Impact)).collect();

    let mut html = String::new();
    html.push_str(page::HEAD);
    let _ = write!(
        html,
        "<h1>Reach and Impact: Contextual Safeguarding</h1><p class=\"lead\">{} partner authorities; quarters {}. \
         Latest quarter: <strong>{}</strong>. Figures are disclosure-controlled.</p>",
        codes.len(),
        escape(&periods.join(", ")),
        escape(&latest)
    );
    html.push_str(page::LEGEND);
    html.push_str(
        "<nav aria-label=\"Contents\"><ul><li><a href=\"#overview-section\">Overview</a></li>\
         <li><a href=\"#funnels\">Comparing percentages</a></li><li><a href=\"#ranked\">Ranked</a></li>\
         <li><a href=\"#trends\">Over time</a></li><li><a href=\"#context\">Context</a></li>\
         <li><a href=\"#authorities\">Each authority</a></li><li><a href=\"#statutory\">Statutory returns</a></li>\
         <li><a href=\"#returns\">Returns received</a></li></ul></nav>",
    );

    // One overview table: every reach and impact metric, the latest quarter.
    let _ = write!(
        html,
        "<h2 id=\"overview-section\">Overview, {}</h2><p class=\"filter\"><label for=\"filter\">Find an authority: </label>\
         <input type=\"search\" id=\"filter\" autocomplete=\"off\"> Click a column heading to sort.</p>\
         <div class=\"wide\"><table id=\"overview\"><caption class=\"said\">Reach and impact of each partner authority in {}, \
         percentages with their 95% intervals.</caption><thead><tr><th scope=\"col\">Authority</th>",
        escape(&latest),
        escape(&latest)
    );
    for m in &compared {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape(&m.label));
    }
    html.push_str("</tr></thead><tbody>");
    for code in &with_all {
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&table.name(code)));
        for m in &compared {
            let row = if m.kind == MetricKind::Level {
                table.level(&m.id, code, &latest)
            } else {
                table.get(&m.id, code, &latest, "")
            };
            html.push_str(&cell(row));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");

    // A funnel plot for every percentage.
    let _ = write!(
        html,
        "<h2 id=\"funnels\">Comparing percentages, {}</h2><p class=\"said\">Each point is an authority: its percentage \
         against the number it is out of. An authority between the dashed curves differs from the programme-wide \
         value (the solid line) by no more than chance would explain; outside the 99.8% curves, a difference that \
         large would arise by chance about once in 500.</p>",
        escape(&latest)
    );
    for m in compared.iter().filter(|m| m.kind == MetricKind::Percentage) {
        html.push_str(&funnel_section(m, &table, &codes, &latest));
    }

    // Ranked bars with intervals.
    html.push_str("<h2 id=\"ranked\">Ranked</h2>");
    for id in ["young_people_reached", "pct_contextual_assessment"] {
        let Some(m) = catalogue.iter().find(|m| m.id == id) else { continue };
        let bars: Vec<Bar> = codes
            .iter()
            .map(|c| {
                let row = table.get(id, c, &latest, "");
                Bar { label: table.name(c), value: value(row), interval: interval(row), shown: shown(row) }
            })
            .collect();
        let unit = if m.kind == MetricKind::Percentage { "%" } else { "" };
        let _ =
            write!(html, "<figure>{}</figure>", charts::ranked_bars(&format!("{}, {latest}", m.label), unit, &bars));
    }

    // Trends as small multiples, one scale per metric.
    html.push_str("<h2 id=\"trends\">Over time</h2>");
    for id in ["episodes_started", "pct_context_safety_plan"] {
        let Some(m) = catalogue.iter().find(|m| m.id == id) else { continue };
        let series: Vec<(String, Points)> = codes
            .iter()
            .map(|c| {
                let points = periods
                    .iter()
                    .map(|p| {
                        let row = table.get(id, c, p, "");
                        (value(row), shown(row))
                    })
                    .collect();
                (table.name(c), points)
            })
            .collect();
        let top = series.iter().flat_map(|(_, v)| v.iter().filter_map(|p| p.0)).fold(0.0_f64, f64::max);
        let max =
            if m.kind == MetricKind::Percentage { 100.0_f64.min(charts::nice_max(top)) } else { charts::nice_max(top) };
        let _ = write!(html, "<h3>{}</h3><div class=\"grid\">", escape(&m.label));
        for (name, points) in &series {
            html.push_str(&charts::small_multiple(name, &periods, points, max, &[]));
        }
        html.push_str("</div>");
    }

    html.push_str(&context_section(rows, &table, &codes));
    html.push_str(&authority_sections(&table, &codes, &periods, &compared, rows));
    html.push_str(&statutory::section(rows, &codes, |c| table.name(c))?);
    html.push_str(&returns_section(&table, authorities, set_aside));

    let by_metric: BTreeSet<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
    let _ = write!(
        html,
        "<p class=\"foot\">{} published metric rows over {} metrics. Exact figures are kept only in the warehouse's restricted folder.</p>",
        rows.len(),
        by_metric.len()
    );
    html.push_str("</main>");
    html.push_str(page::SCRIPT);
    html.push_str("</body></html>\n");
    Ok(html)
}

/// One percentage's funnel plot, with the authorities outside the limits and those not
/// shown named in words.
fn funnel_section(m: &Metric, table: &Rows<'_>, codes: &[String], latest: &str) -> String {
    let mut html = String::new();
    let all = table.get(&m.id, "ALL", latest, "");
    html.push_str("<figure>");
    let Some(target) = value(all) else {
        let _ = write!(
            html,
            "<p class=\"said\">{}: no programme-wide value is published for {} ({}), so nothing to compare against.</p></figure>",
            escape(&m.label),
            escape(latest),
            escape(&shown(all))
        );
        return html;
    };
    let mut points = Vec::new();
    let mut not_shown = Vec::new();
    for c in codes {
        let row = table.get(&m.id, c, latest, "");
        match (value(row), row.and_then(|r| r.denominator)) {
            (Some(v), Some(n)) if n > 0 => {
                points.push(FunnelPoint { label: table.name(c), percent: v, denominator: n.unsigned_abs() })
            }
            _ => not_shown.push(format!("{} ({})", table.name(c), shown(row))),
        }
    }
    if points.is_empty() {
        let _ = write!(
            html,
            "<p class=\"said\">{}, {}: programme-wide {target:.1}%; no authority has a published figure to compare \
             ({}).</p></figure>",
            escape(&m.label),
            escape(latest),
            escape(&listed(&not_shown))
        );
        return html;
    }
    html.push_str(&charts::funnel(&format!("{}, {latest}", m.label), &points, target));
    let mut said = Vec::new();
    for (positions, words) in [
        ([Position::Above998, Position::Above998], "above the 99.8% limits"),
        ([Position::Below998, Position::Below998], "below the 99.8% limits"),
        ([Position::Above95, Position::Above95], "above the 95% limits (within 99.8%)"),
        ([Position::Below95, Position::Below95], "below the 95% limits (within 99.8%)"),
    ] {
        let names: Vec<String> = points
            .iter()
            .filter(|p| positions.contains(&Position::of(p.percent, p.denominator, target)))
            .map(|p| format!("{} ({:.1}%)", p.label, p.percent))
            .collect();
        if !names.is_empty() {
            said.push(format!("{}: {}", capitalised(words), listed(&names)));
        }
    }
    if said.is_empty() && !points.is_empty() {
        said.push("Every authority shown is within the 95% limits".into());
    }
    if !not_shown.is_empty() {
        said.push(format!("Not shown (no published figure): {}", listed(&not_shown)));
    }
    let _ =
        write!(html, "<figcaption>Programme-wide {target:.1}%. {}.</figcaption></figure>", escape(&said.join(". ")));
    html
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Context: each extra-familial harm factor in one chart across authorities.
fn context_section(rows: &[MetricRow], table: &Rows<'_>, codes: &[String]) -> String {
    let mut html = String::new();
    let years: BTreeSet<&str> =
        rows.iter().filter(|r| r.metric == "efh_factor_rate").map(|r| r.period.as_str()).collect();
    let Some(year) = years.iter().next_back() else { return html };
    let factors: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.metric == "efh_factor_rate" && r.period == *year)
        .map(|r| r.breakdown.as_str())
        .collect();
    let _ = write!(
        html,
        "<h2 id=\"context\">Context: extra-familial harm factors per 10,000 children, {}</h2>\
         <p class=\"said\">Factors identified at the end of children-in-need assessments (DfE), per 10,000 children aged \
         0–17 (ONS): each authority (dot), the mean of its ten statistical neighbours (hollow diamond) and England (line).</p>",
        escape(year)
    );
    let england = crate::config::reference::ENGLAND;
    for f in factors {
        let chart_rows: Vec<FactorRow> = codes
            .iter()
            .map(|c| {
                let row = table.get("efh_factor_rate", c, year, f);
                FactorRow {
                    label: table.name(c),
                    rate: value(row),
                    rate_shown: shown(row),
                    neighbours: value(table.get("efh_factor_rate", &format!("SN:{c}"), year, f)),
                }
            })
            .collect();
        let e = value(table.get("efh_factor_rate", england, year, f));
        let _ = write!(html, "<figure>{}</figure>", charts::factor_dots(&format!("{f}, {year}"), &chart_rows, e));
    }
    html
}

/// A folded section per authority: every metric over the quarters, and its context.
fn authority_sections(
    table: &Rows<'_>,
    codes: &[String],
    periods: &[String],
    compared: &[&Metric],
    rows: &[MetricRow],
) -> String {
    let mut html = String::from("<h2 id=\"authorities\">Each authority</h2>");
    let year = rows.iter().filter(|r| r.metric == "efh_factor_rate").map(|r| r.period.as_str()).max();
    for code in codes {
        let _ = write!(
            html,
            "<details><summary>{}</summary><table><thead><tr><th scope=\"col\">Metric</th>",
            escape(&table.name(code))
        );
        for p in periods {
            let _ = write!(html, "<th scope=\"col\">{}</th>", escape(p));
        }
        html.push_str("</tr></thead><tbody>");
        for m in compared {
            let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&m.label));
            for p in periods {
                let row = if m.kind == MetricKind::Level {
                    table.level(&m.id, code, p)
                } else {
                    table.get(&m.id, code, p, "")
                };
                html.push_str(&cell(row));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        if let Some(year) = year {
            let factors: BTreeSet<&str> = rows
                .iter()
                .filter(|r| r.metric == "efh_factor_rate" && r.period == year && &r.authority_code == code)
                .map(|r| r.breakdown.as_str())
                .collect();
            if !factors.is_empty() {
                let _ = write!(
                    html,
                    "<table><caption class=\"said\">Factors per 10,000 children, {}</caption><thead><tr><th scope=\"col\">Factor</th>\
                     <th scope=\"col\">Authority</th><th scope=\"col\">Neighbours (SN)</th><th scope=\"col\">England</th></tr></thead><tbody>",
                    escape(year)
                );
                for f in factors {
                    let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(f));
                    html.push_str(&cell(table.get("efh_factor_rate", code, year, f)));
                    html.push_str(&cell(table.get("efh_factor_rate", &format!("SN:{code}"), year, f)));
                    html.push_str(&cell(table.get("efh_factor_rate", crate::config::reference::ENGLAND, year, f)));
                    html.push_str("</tr>");
                }
                html.push_str("</tbody></table>");
            }
        }
        html.push_str("</details>");
    }
    html
}

/// The returns received, their data quality, and any set aside.
fn returns_section(table: &Rows<'_>, authorities: &[AuthorityEntry], set_aside: &[SetAside]) -> String {
    let mut html = String::from(
        "<h2 id=\"returns\">Returns received and data quality</h2><table><thead><tr><th scope=\"col\">Authority</th>\
         <th scope=\"col\">Returns (quarters; statutory by source and year)</th><th scope=\"col\">Rows read</th><th scope=\"col\">Accepted</th><th scope=\"col\">Rejected</th>\
         <th scope=\"col\">This build</th><th scope=\"col\">Warnings</th></tr></thead><tbody>",
    );
    let mut by_name: Vec<&AuthorityEntry> = authorities.iter().collect();
    by_name.sort_by_key(|a| (table.name(&a.authority_code), a.authority_code.clone()));
    for a in by_name {
        let quarters: BTreeSet<&str> = a.returns.iter().map(|r| r.period.as_str()).collect();
        let read: usize = a.inputs().map(|i| i.rows_read).sum();
        let accepted: usize = a.inputs().map(|i| i.rows_accepted).sum();
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{read}</td><td>{accepted}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&table.name(&a.authority_code)),
            escape(&quarters.into_iter().collect::<Vec<_>>().join(", ")),
            a.rows_rejected(),
            if a.was_prepared() { "read" } else { "unchanged" },
            escape(&warnings(a))
        );
    }
    html.push_str("</tbody></table>");
    if !set_aside.is_empty() {
        html.push_str("<h3>Returns set aside by this build</h3><table><thead><tr><th scope=\"col\">Authority</th><th scope=\"col\">Return</th><th scope=\"col\">Table</th><th scope=\"col\">File</th><th scope=\"col\">Problem</th><th scope=\"col\">Figures shown</th></tr></thead><tbody>");
        for s in set_aside {
            let _ = write!(
                html,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&table.name(&s.authority_code)),
                escape(&s.period),
                escape(&s.table),
                escape(&s.path),
                escape(&s.rule),
                if s.carried_over { "the last good version of the return" } else { "none: never published before" }
            );
        }
        html.push_str("</tbody></table>");
    }
    html
}
