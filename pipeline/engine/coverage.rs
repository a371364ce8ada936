//! Which authorities sent which tables: missing is not zero.
//!
//! A metric is computed from one return table (its catalogue `table`). When an
//! authority did not send that table for a quarter, its rows for the metric
//! are `x` (not available), never 0, and the programme-wide (`ALL`) counts and
//! percentages are the sums over the authorities that did send it, so that an
//! `ALL` figure always adds up from the authority figures it stands for.
//! Programme-wide medians are restricted the same way in their SQL (they
//! cannot be summed).

use std::collections::{BTreeMap, BTreeSet};

use crate::config::period::Period;
use crate::config::queries::{Metric, MetricKind, Section};
use crate::engine::rows::MetricRow;

pub use crate::engine::rows::NOT_AVAILABLE;

/// The programme-wide code.
pub const PROGRAMME: &str = "ALL";

/// (table, authority, period) of every table sent.
pub type Returned = BTreeSet<(String, String, String)>;

/// Marks what was not sent as `x` (adding `x` rows for authorities with no return that quarter)
/// and works the `ALL` counts and percentages out from the authorities that sent the table.
pub fn apply(rows: &mut Vec<MetricRow>, returned: &Returned, metrics: &[Metric], names: impl Fn(&str) -> String) {
    let authorities: BTreeSet<&str> = returned.iter().map(|(_, a, _)| a.as_str()).collect();
    let periods: BTreeSet<&str> = returned.iter().map(|(_, _, p)| p.as_str()).collect();
    let sent = |table: &str, authority: &str, period: &str| {
        returned.contains(&(table.to_string(), authority.to_string(), period.to_string()))
    };
    let mut added = Vec::new();
    for metric in metrics {
        let Some(table) = metric.table.as_deref() else { continue };
        if metric.kind == MetricKind::Reference {
            continue;
        }
        // A metric has rows for the periods of its return: quarters for the CS return's metrics,
        // collection years for the statutory returns' (CIN census, SSDA903).
        let periods: Vec<&str> = periods
            .iter()
            .copied()
            .filter(|p| match Period::parse_any(p) {
                Ok(Period::Quarter { .. }) => metric.section != Section::Statutory,
                Ok(Period::Year(_)) => metric.section == Section::Statutory,
                // Annex A's dates: no metric is computed per list date.
                _ => false,
            })
            .collect();
        // The cells each (period) has: the breakdowns of its ALL rows, or of any authority's rows.
        let mut cells: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut present: BTreeSet<(&str, &str)> = BTreeSet::new();
        for r in rows.iter().filter(|r| r.metric == metric.id) {
            cells.entry(r.period.as_str()).or_default().insert(r.breakdown.as_str());
            present.insert((r.authority_code.as_str(), r.period.as_str()));
        }
        for &period in &periods {
            let breakdowns: Vec<&str> = match cells.get(period) {
                Some(b) if metric.kind != MetricKind::Level => b.iter().copied().collect(),
                _ => vec![""],
            };
            for &authority in &authorities {
                if present.contains(&(authority, period)) || sent(table, authority, period) {
                    continue;
                }
                for breakdown in &breakdowns {
                    let mut row = MetricRow {
                        metric: metric.id.clone(),
                        kind: metric.kind,
                        authority_code: authority.to_string(),
                        authority_name: names(authority),
                        period: period.to_string(),
                        breakdown: breakdown.to_string(),
                        numerator: None,
                        denominator: None,
                        value: None,
                        status: String::new(),
                    };
                    row.withhold(NOT_AVAILABLE);
                    added.push(row);
                }
            }
        }
    }
    rows.extend(added);

    // Authority rows of tables not sent: x.
    let table_of: BTreeMap<&str, &str> =
        metrics.iter().filter_map(|m| m.table.as_deref().map(|t| (m.id.as_str(), t))).collect();
    for row in rows.iter_mut() {
        let Some(table) = table_of.get(row.metric.as_str()) else { continue };
        if matches!(row.kind, MetricKind::Reference) || row.authority_code == PROGRAMME {
            continue;
        }
        if !sent(table, &row.authority_code, &row.period) {
            row.withhold(NOT_AVAILABLE);
        }
    }

    // ALL counts and percentages: the sums over the authorities that sent the table.
    let mut sums: BTreeMap<(String, String, String), (i64, i64, usize)> = BTreeMap::new();
    for r in rows.iter() {
        if r.authority_code == PROGRAMME || r.status == NOT_AVAILABLE {
            continue;
        }
        if !matches!(r.kind, MetricKind::Count | MetricKind::Percentage | MetricKind::Value) {
            continue;
        }
        let entry = sums.entry((r.metric.clone(), r.period.clone(), r.breakdown.clone())).or_default();
        entry.0 += r.numerator.unwrap_or(0);
        entry.1 += r.denominator.unwrap_or(0);
        entry.2 += 1;
    }
    for row in rows.iter_mut() {
        if row.authority_code != PROGRAMME || !table_of.contains_key(row.metric.as_str()) {
            continue;
        }
        let key = (row.metric.clone(), row.period.clone(), row.breakdown.clone());
        let Some(&(n, d, _)) = sums.get(&key).filter(|s| s.2 > 0) else {
            if matches!(row.kind, MetricKind::Count | MetricKind::Percentage | MetricKind::Value) {
                row.withhold(NOT_AVAILABLE);
            }
            continue;
        };
        match row.kind {
            MetricKind::Count => {
                row.numerator = Some(n);
                row.value = Some(n as f64);
            }
            MetricKind::Percentage => {
                row.numerator = Some(n);
                row.denominator = Some(d);
                row.value = (d > 0).then(|| 100.0 * n as f64 / d as f64);
            }
            // A median cannot be summed: its SQL keeps to the authorities that sent the table.
            _ => {}
        }
    }
    rows.sort_by(|a, b| {
        (&a.metric, &a.authority_code, &a.period, &a.breakdown).cmp(&(
            &b.metric,
            &b.authority_code,
            &b.period,
            &b.breakdown,
        ))
    });
}
