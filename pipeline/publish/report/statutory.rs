//! The report's section on the statutory returns: each authority's figures from its CIN census
//! and SSDA903 return for the latest collection year, and a reconciliation of its own count of
//! assessments recording each extra-familial harm factor with the count DfE published for it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{escape, shown};
use crate::config::reference::{self, Published};
use crate::engine::metrics::MetricRow;
use crate::error::Result;

/// The metrics of the section's first table, in its column order.
const COLUMNS: [(&str, &str); 4] = [
    ("cin_efh_assessments", "CIN assessments recording EFH"),
    ("pct_efh_assessed_with_cs_episode", "of those children, % with a CS episode within 90 days"),
    ("lac_missing_episodes", "missing episodes (looked after)"),
    ("lac_children_missing", "looked-after children who went missing"),
];

/// The section, or nothing when no authority sent a statutory return.
pub(super) fn section(rows: &[MetricRow], codes: &[String], name: impl Fn(&str) -> String) -> Result<String> {
    let mut html = String::new();
    let is_sent = |r: &&MetricRow| COLUMNS.iter().any(|(m, _)| *m == r.metric) && r.status != "x";
    let years: BTreeSet<&str> = rows.iter().filter(is_sent).map(|r| r.period.as_str()).collect();
    let Some(year) = years.iter().next_back().copied() else { return Ok(html) };
    let by_key: BTreeMap<(&str, &str, &str, &str), &MetricRow> = rows
        .iter()
        .map(|r| ((r.metric.as_str(), r.authority_code.as_str(), r.period.as_str(), r.breakdown.as_str()), r))
        .collect();
    let get = |m: &str, c: &str, b: &str| by_key.get(&(m, c, year, b)).copied();
    let _ = write!(
        html,
        "<h2 id=\"statutory\">Statutory returns, year ending 31 March {y}</h2>\
         <p class=\"said\">From each authority's Children in Need census and SSDA903 return for the year ending 31 March \
         {y}, joined to its CS return by the child's pseudonym. Disclosure-controlled like every figure here; x: the \
         authority sent no such return for the year.</p><div class=\"wide\"><table><caption class=\"said\">Statutory \
         figures by authority, year ending 31 March {y}</caption><thead><tr><th scope=\"col\">Authority</th>",
        y = escape(year)
    );
    for (_, label) in COLUMNS {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape(label));
    }
    html.push_str("</tr></thead><tbody>");
    let mut areas: Vec<String> = codes.to_vec();
    areas.push("ALL".into());
    for code in &areas {
        let label = if code == "ALL" { "All partner authorities".to_string() } else { name(code) };
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(&label));
        for (metric, _) in COLUMNS {
            let _ = write!(html, "<td>{}</td>", escape(&shown(get(metric, code, ""))));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html.push_str(&reconciliation(rows, codes, &name)?);
    Ok(html)
}

/// Each authority's own count of assessments recording each EFH factor beside DfE's published
/// count for the same authority and year, with the difference, for every year both exist.
fn reconciliation(rows: &[MetricRow], codes: &[String], name: &impl Fn(&str) -> String) -> Result<String> {
    let published: BTreeMap<(String, String, String), Published> = reference::factor_counts()?
        .into_iter()
        .map(|f| ((f.authority_code, f.year.to_string(), f.factor.to_string()), f.value))
        .collect();
    let own: Vec<&MetricRow> = rows
        .iter()
        .filter(|r| {
            r.metric == "cin_efh_assessments"
                && !r.breakdown.is_empty()
                && r.status != "x"
                && codes.contains(&r.authority_code)
                && published.contains_key(&(r.authority_code.clone(), r.period.clone(), r.breakdown.clone()))
        })
        .collect();
    let mut html = String::from(
        "<h3 id=\"reconciliation\">Reconciliation with DfE's published figures</h3><p class=\"said\">Assessments \
         recording each extra-familial harm factor: the authority's own CIN census as rni read it, beside the count DfE \
         published for the same authority and year (Children in need statistics, factors identified at the end of \
         assessment). A difference means the census rni read is not the one DfE counted (a resubmission, a partial \
         file) or that a row was rejected: see the rejected-row report.</p>",
    );
    if own.is_empty() {
        html.push_str(
            "<p>No year of a CIN census in this warehouse has published DfE figures yet (DfE publishes each year's in the \
             autumn after it ends).</p>",
        );
        return Ok(html);
    }
    html.push_str(
        "<div class=\"wide\"><table><caption class=\"said\">Own count against DfE's published count, by authority, year \
         and factor</caption><thead><tr><th scope=\"col\">Authority</th><th scope=\"col\">Year</th>\
         <th scope=\"col\">Factor</th><th scope=\"col\">rni</th><th scope=\"col\">DfE</th>\
         <th scope=\"col\">Difference</th></tr></thead><tbody>",
    );
    let mut sorted = own;
    sorted.sort_by_key(|r| (name(&r.authority_code), r.period.clone(), r.breakdown.clone()));
    for r in sorted {
        let dfe = &published[&(r.authority_code.clone(), r.period.clone(), r.breakdown.clone())];
        let (dfe_text, difference) = match (dfe, r.status.is_empty(), r.value) {
            (Published::Count(n), true, Some(v)) => (n.to_string(), format!("{:+}", v as i64 - n)),
            (Published::Count(n), _, _) => (n.to_string(), "–".to_string()),
            (Published::Symbol(s), _, _) => (s.clone(), "–".to_string()),
        };
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&name(&r.authority_code)),
            escape(&r.period),
            escape(&r.breakdown),
            escape(&shown(Some(r))),
            escape(&dfe_text),
            escape(&difference)
        );
    }
    html.push_str("</tbody></table></div>");
    Ok(html)
}
