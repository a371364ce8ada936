//! The authority profile of a case-study pack: `profile.md`, `profile.html` and
//! `profile_metrics.csv`.
//!
//! Everything an evaluator needs about the authority itself, under the
//! headings case studies use (what was put in place, what changed in
//! practice, outcomes, context), each figure by quarter beside its
//! programme-wide value, with the questions to ask and the quarter in which
//! the figure moved most. Only published figures: every number is a row of the
//! warehouse's disclosure-controlled `metrics/metric_values.csv`, copied as
//! it is written there (symbols too), and `profile_metrics.csv` holds exactly
//! the rows used. rni writes no narrative: prose here carries no figures.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::config::queries::{Metric, MetricKind, catalogue};
use crate::config::reference::ENGLAND;
use crate::error::{Error, Result};
use crate::publish::report::{charts, escape, page};

/// One published row, as `metric_values.csv` writes it.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<String>,
}

impl Row {
    fn metric(&self) -> &str {
        &self.cells[0]
    }
    fn code(&self) -> &str {
        &self.cells[1]
    }
    fn name(&self) -> &str {
        &self.cells[2]
    }
    fn period(&self) -> &str {
        &self.cells[3]
    }
    fn breakdown(&self) -> &str {
        &self.cells[4]
    }
    fn status(&self) -> &str {
        &self.cells[8]
    }
    /// The value as written, or the symbol.
    fn shown(&self) -> String {
        match self.status() {
            "" if self.cells[7].is_empty() => "z".into(),
            "" => self.cells[7].clone(),
            "x" => "x (not returned)".into(),
            s => s.to_string(),
        }
    }
    fn value(&self) -> Option<f64> {
        if self.status().is_empty() { self.cells[7].parse().ok() } else { None }
    }
}

/// The sections of a profile: heading, the questions to ask, and the metrics.
const SECTIONS: &[(&str, &[&str], &[&str])] = &[
    (
        "Who was reached?",
        &[
            "How many young people and contexts did the work reach, and did that grow as it spread?",
            "Which quarter did reach change most, and what happened then (a new panel, a new team)?",
        ],
        &[
            "young_people_reached",
            "episodes_started",
            "contexts_identified",
            "contexts_assessed",
            "contexts_with_intervention",
        ],
    ),
    (
        "What has been put in place?",
        &[
            "Which structures exist (panels, meetings with a contextual lens), and since when?",
            "Who was trained, and which policy documents now reference Contextual Safeguarding?",
            "At which stage of adoption is the authority, and when did it move?",
        ],
        &[
            "adoption_stage",
            "panel_meetings",
            "panel_meetings_contextual_lens",
            "practitioners_trained",
            "policy_documents_cs",
        ],
    ),
    (
        "What changed in practice?",
        &[
            "Are contexts assessed, and are context safety plans used where child protection plans were?",
            "Did relocation fall and parents' engagement rise?",
            "Did reviews become more frequent (the median days between reviews falling)?",
        ],
        &[
            "pct_contextual_assessment",
            "pct_context_safety_plan",
            "pct_child_protection_plan",
            "pct_relocated",
            "pct_parents_engaged",
            "median_days_between_reviews",
        ],
    ),
    (
        "Outcomes",
        &[
            "Was risk reduced, and did contexts improve?",
            "Did fewer young people come back within a year?",
            "What evidence in the records supports each change, and in which quarter?",
        ],
        &["pct_risk_reduced", "pct_contexts_improved", "pct_rereferral_12m"],
    ),
];

/// What a profile holds: its rows, for the command's summary.
pub struct Profile {
    /// Published rows the profile shows (the rows of `profile_metrics.csv`).
    pub rows: usize,
    /// Quarters of the authority.
    pub periods: usize,
}

/// Reads the published metric values of a warehouse.
fn published(warehouse: &Path) -> Result<Vec<Row>> {
    let path = warehouse.join("metrics/metric_values.csv");
    let io = |source: csv::Error| Error::Csv { path: path.clone(), source };
    let mut reader = csv::Reader::from_path(&path).map_err(io)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(io)?;
        if record.len() == 9 {
            rows.push(Row { cells: record.iter().map(str::to_string).collect() });
        }
    }
    Ok(rows)
}

/// The quarter in which a series moved most (from the quarter before), and which way.
fn moved_most(series: &[(String, Option<f64>)]) -> Option<String> {
    let mut best: Option<(f64, &str, bool)> = None;
    for pair in series.windows(2) {
        if let ((_, Some(a)), (period, Some(b))) = (&pair[0], &pair[1]) {
            let change = (b - a).abs();
            if change > 0.0 && best.is_none_or(|(c, _, _)| change > c) {
                best = Some((change, period, b > a));
            }
        }
    }
    best.map(|(_, period, up)| format!("{period} ({})", if up { "rose" } else { "fell" }))
}

/// Writes the profile of `authority` from `warehouse` into `out`.
pub fn write(warehouse: &Path, authority: &str, out: &Path) -> Result<Profile> {
    let rows = published(warehouse)?;
    let metrics = catalogue()?;
    let label = |id: &str| metrics.iter().find(|m| m.id == id).map_or(id.to_string(), |m: &Metric| m.label.clone());
    let own: Vec<&Row> = rows.iter().filter(|r| r.code() == authority).collect();
    let Some(name) = own.first().map(|r| r.name().to_string()) else {
        return Err(Error::Usage(format!("the warehouse publishes no figures for {authority}")));
    };
    let periods: Vec<String> = own
        .iter()
        .filter(|r| r.metric() == "young_people_reached")
        .map(|r| r.period().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let find = |metric: &str, code: &str, period: &str| -> Option<&Row> {
        rows.iter().find(|r| {
            r.metric() == metric
                && r.code() == code
                && r.period() == period
                && (r.breakdown().is_empty() || metric == "adoption_stage")
        })
    };
    let mut used: BTreeMap<(String, String, String, String), Row> = BTreeMap::new();
    let mut keep = |r: &Row| {
        used.entry((r.metric().into(), r.code().into(), r.period().into(), r.breakdown().into()))
            .or_insert_with(|| r.clone());
    };

    let mut md = String::new();
    let mut html = String::from(page::HEAD);
    let _ = writeln!(md, "# {name} ({authority}): case-study profile\n");
    let intro = "Published, disclosure-controlled figures from the warehouse (`metrics/metric_values`), by quarter, \
                 beside the programme-wide figure for the latest quarter. Symbols: c suppressed, x not returned (the \
                 authority did not send that table for the quarter), z not applicable, – no figure. Every figure here is a \
                 row of `profile_metrics.csv`. In the charts the solid line is the authority and, for percentages and \
                 statistics, the dashed line the programme as a whole. The questions are prompts for the writer: rni \
                 does not say why a figure moved.";
    let _ = writeln!(md, "{intro}\n");
    let _ = write!(
        html,
        "<h1>{} ({}): case-study profile</h1><p class=\"lead\">{}</p>",
        escape(&name),
        escape(authority),
        escape(intro)
    );
    for (heading, questions, ids) in SECTIONS {
        let _ = writeln!(md, "## {heading}\n");
        let _ = write!(html, "<h2>{}</h2>", escape(heading));
        let _ = writeln!(md, "Questions to ask:\n");
        html.push_str("<p class=\"said\"><strong>Questions to ask:</strong></p><ul class=\"said\">");
        for q in *questions {
            let _ = writeln!(md, "- {q}");
            let _ = write!(html, "<li>{}</li>", escape(q));
        }
        html.push_str("</ul>");
        md.push('\n');
        let header: Vec<String> = std::iter::once("Metric".to_string())
            .chain(periods.iter().cloned())
            .chain(["Programme-wide, latest".to_string(), "Moved most in".to_string()])
            .collect();
        let _ = writeln!(md, "| {} |", header.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
        html.push_str("<table><thead><tr>");
        for h in &header {
            let _ = write!(html, "<th scope=\"col\">{}</th>", escape(h));
        }
        html.push_str("</tr></thead><tbody>");
        let mut charts_html = String::new();
        for id in *ids {
            let series: Vec<(String, Option<&Row>)> =
                periods.iter().map(|p| (p.clone(), find(id, authority, p))).collect();
            let programme: Vec<Option<&Row>> = periods.iter().map(|p| find(id, "ALL", p)).collect();
            for r in series.iter().filter_map(|(_, r)| *r).chain(programme.iter().flatten().copied()) {
                keep(r);
            }
            let cell = |r: Option<&Row>| r.map_or_else(|| "–".to_string(), Row::shown);
            let values: Vec<(String, Option<f64>)> =
                series.iter().map(|(p, r)| (p.clone(), r.and_then(Row::value))).collect();
            let moved = moved_most(&values).unwrap_or_else(|| "–".into());
            let latest_all = programme.last().copied().flatten();
            let mut line: Vec<String> = vec![label(id)];
            line.extend(series.iter().map(|(_, r)| cell(*r)));
            line.push(cell(latest_all));
            line.push(moved.clone());
            let _ = writeln!(md, "| {} |", line.join(" | "));
            let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&line[0]));
            for c in &line[1..] {
                let class = if c.starts_with(['c', 'x', 'z', '–']) { " class=\"sym\"" } else { "" };
                let _ = write!(html, "<td{class}>{}</td>", escape(c));
            }
            html.push_str("</tr>");
            if *id != "adoption_stage" {
                // In a chart, the symbol alone; the table says what it means.
                let own_points: Vec<(Option<f64>, String)> = series
                    .iter()
                    .map(|(_, r)| (r.and_then(Row::value), r.map_or_else(|| "–".to_string(), |r| short(&r.shown()))))
                    .collect();
                // A count's programme-wide figure is a total of every authority's: not drawn beside
                // one authority's. Percentages and statistics are comparable.
                let comparable = metrics
                    .iter()
                    .find(|m| m.id == *id)
                    .is_some_and(|m| matches!(m.kind, MetricKind::Percentage | MetricKind::Value));
                let all_points: Vec<Option<f64>> =
                    if comparable { programme.iter().map(|r| r.and_then(Row::value)).collect() } else { Vec::new() };
                charts_html.push_str(&trend(&label(id), &periods, &own_points, &all_points));
            }
        }
        md.push('\n');
        html.push_str("</tbody></table>");
        let _ = write!(html, "<div class=\"grid\">{charts_html}</div>");
    }

    // Context: EFH factors beside statistical neighbours and England.
    let years: BTreeSet<&str> =
        rows.iter().filter(|r| r.metric() == "efh_factor_rate" && r.code() == authority).map(Row::period).collect();
    let _ = writeln!(md, "## Context\n");
    html.push_str("<h2>Context</h2>");
    let context_questions = "Questions to ask: how does the authority's need (factors identified at assessment, per ten \
                             thousand children) compare with its statistical neighbours and England, and does that \
                             explain its caseload?";
    let _ = writeln!(md, "{context_questions}\n");
    let _ = write!(html, "<p class=\"said\">{}</p>", escape(context_questions));
    if let Some(year) = years.iter().next_back() {
        let sn = format!("SN:{authority}");
        let factors: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.metric() == "efh_factor_rate" && r.code() == authority && r.period() == *year)
            .map(Row::breakdown)
            .collect();
        let _ = writeln!(md, "| Factor ({year}) | {name} | Statistical neighbours | England |\n|---|---|---|---|");
        let _ = write!(
            html,
            "<table><thead><tr><th scope=\"col\">Factor ({})</th><th scope=\"col\">{}</th><th scope=\"col\">Statistical neighbours</th><th scope=\"col\">England</th></tr></thead><tbody>",
            escape(year),
            escape(&name)
        );
        let mut bars = Vec::new();
        for f in factors {
            let get = |code: &str| {
                rows.iter().find(|r| {
                    r.metric() == "efh_factor_rate" && r.code() == code && r.period() == *year && r.breakdown() == f
                })
            };
            let cells: Vec<Option<&Row>> = vec![get(authority), get(&sn), get(ENGLAND)];
            for r in cells.iter().flatten() {
                keep(r);
            }
            let shown: Vec<String> = cells.iter().map(|r| r.map_or_else(|| "–".to_string(), Row::shown)).collect();
            let _ = writeln!(md, "| {f} | {} |", shown.join(" | "));
            let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(f));
            for s in &shown {
                let _ = write!(html, "<td>{}</td>", escape(s));
            }
            html.push_str("</tr>");
            bars.push((f.to_string(), cells.iter().map(|r| r.and_then(Row::value)).collect::<Vec<_>>(), shown));
        }
        html.push_str("</tbody></table>");
        let series = [name.as_str(), "Statistical neighbours", "England"];
        html.push_str(&charts::grouped_bars(&format!("Factors per ten thousand children, {year}"), &series, &bars));
        md.push('\n');
    } else {
        let _ = writeln!(md, "No published factor rates for this authority.\n");
        html.push_str("<p>No published factor rates for this authority.</p>");
    }
    html.push_str("</main></body></html>\n");

    std::fs::create_dir_all(out).map_err(Error::io("cannot create", out))?;
    let md_path = out.join("profile.md");
    std::fs::write(&md_path, md).map_err(Error::io("cannot write", &md_path))?;
    let html_path = out.join("profile.html");
    std::fs::write(&html_path, html).map_err(Error::io("cannot write", &html_path))?;
    let csv_path = out.join("profile_metrics.csv");
    let io = |source: csv::Error| Error::Csv { path: csv_path.clone(), source };
    let mut w = csv::Writer::from_path(&csv_path).map_err(io)?;
    w.write_record(crate::publish::metric_files::COLUMNS).map_err(io)?;
    for r in used.values() {
        w.write_record(&r.cells).map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", &csv_path))?;
    Ok(Profile { rows: used.len(), periods: periods.len() })
}

/// A symbol without its explanation ("x (not returned)" → "x").
fn short(shown: &str) -> String {
    shown.split(' ').next().unwrap_or(shown).to_string()
}

/// A trend of the authority's figure by quarter, with the programme-wide figure as a dashed line.
fn trend(title: &str, periods: &[String], own: &[(Option<f64>, String)], programme: &[Option<f64>]) -> String {
    let top = own.iter().filter_map(|p| p.0).chain(programme.iter().flatten().copied()).fold(0.0_f64, f64::max);
    charts::small_multiple(title, periods, own, charts::nice_max(top), programme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarter_a_figure_moved_most_in() {
        let s = |v: &[Option<f64>]| -> Vec<(String, Option<f64>)> {
            v.iter().enumerate().map(|(i, x)| (format!("2025Q{}", i + 1), *x)).collect()
        };
        assert_eq!(moved_most(&s(&[Some(90.0), Some(85.0), Some(40.0), Some(38.0)])).as_deref(), Some("2025Q3 (fell)"));
        assert_eq!(moved_most(&s(&[Some(1.0), None, Some(9.0), Some(10.0)])).as_deref(), Some("2025Q4 (rose)"));
        assert_eq!(moved_most(&s(&[Some(1.0), Some(1.0)])), None);
    }
}
