//! Disclosure control: exact metric rows → publishable rows (PRODUCT.md §6).
//!
//! A stage of its own, driven by one policy file (`policy/disclosure.toml`,
//! built in; another can be given with `--policy`). The primary rules:
//! authority-level counts of 1 to 5 are suppressed, and so is any rate or
//! value built on such a count or whose complement (denominator − numerator)
//! is 1 to 5; programme-wide (`ALL`) counts are rounded, and `ALL` rates are
//! worked out from the rounded counts (suppressed when a rounded denominator
//! is 0), so that no exact programme-wide figure can be read back. Then
//! secondary suppression over every linked figure ([`crate::engine::linked`])
//! makes sure no suppressed figure can be narrowed down from what is left.
//! Rows from published reference statistics and figures not available (`x`)
//! keep their own symbols. The exact rows go only to `restricted/`.

use crate::config::policy::Policy;
use crate::config::queries::{Metric, MetricKind};
use crate::engine::linked;
use crate::engine::rows::MetricRow;

pub use crate::engine::rows::{NOT_APPLICABLE, SUPPRESSED};

/// A programme-wide value not shown: its rounded figures stay, so the `c` adds nothing to them.
fn hide_value(row: &mut MetricRow) {
    row.value = None;
    row.status = SUPPRESSED.to_string();
}

/// Applies the policy to exact rows; returns the rows to publish.
pub fn apply(rows: &[MetricRow], metrics: &[Metric], policy: &Policy) -> Vec<MetricRow> {
    let mut out: Vec<MetricRow> = rows.to_vec();
    for row in &mut out {
        match row.kind {
            MetricKind::Reference | MetricKind::Level => {}
            _ if !row.status.is_empty() => {}
            _ if row.authority_code == "ALL" => {
                let exact_denominator = row.denominator;
                row.numerator = policy.round(row.numerator);
                row.denominator = policy.round(row.denominator);
                match row.kind {
                    MetricKind::Count => row.value = row.numerator.map(|n| n as f64),
                    // A programme-wide rate is worked out from the published, rounded figures:
                    // an exact rate beside rounded counts would give the exact counts back.
                    // Whether it is shown depends only on the rounded figures, which stay published,
                    // so that a `c` here tells nothing they do not.
                    MetricKind::Percentage => match (row.numerator, row.denominator) {
                        (Some(n), Some(d)) if d > 0 => row.value = Some(100.0 * n as f64 / d as f64),
                        (_, Some(0)) if exact_denominator.is_some_and(|d| d > 0) => hide_value(row),
                        _ => {}
                    },
                    // A median over few items tells about those items, programme-wide too: it is
                    // shown only when the rounded count of items is above the rounded threshold.
                    MetricKind::Value if row.denominator <= policy.round(Some(policy.suppress_max)) => hide_value(row),
                    _ => {}
                }
            }
            _ => {
                let complement = match (row.kind, row.numerator, row.denominator) {
                    (MetricKind::Percentage, Some(n), Some(d)) => Some(d - n),
                    _ => None,
                };
                if policy.is_small(row.numerator) || policy.is_small(row.denominator) || policy.is_small(complement) {
                    row.withhold(SUPPRESSED);
                }
            }
        }
        let has_no_base = matches!(row.kind, MetricKind::Percentage | MetricKind::Value) && row.denominator == Some(0);
        if row.status.is_empty() && (has_no_base || (row.value.is_none() && row.kind != MetricKind::Reference)) {
            row.value = None;
            row.status = NOT_APPLICABLE.to_string();
        }
        row.value = policy.round_value(row.value);
    }
    if policy.secondary_suppression {
        let unprotected = linked::protect(rows, &mut out, metrics, policy);
        if unprotected > 0 {
            tracing::warn!(figures = unprotected, "secondary suppression could not protect every figure");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, authority: &str, breakdown: &str, n: i64) -> MetricRow {
        MetricRow {
            metric: metric.into(),
            kind: MetricKind::Count,
            authority_code: authority.into(),
            authority_name: String::new(),
            period: "2025Q1".into(),
            breakdown: breakdown.into(),
            numerator: Some(n),
            denominator: None,
            value: Some(n as f64),
            status: String::new(),
        }
    }

    fn policy() -> Policy {
        Policy::load(None).expect("default policy")
    }

    fn metrics() -> Vec<Metric> {
        crate::config::queries::catalogue().expect("catalogue")
    }

    #[test]
    fn small_counts_are_suppressed_and_zero_stays() {
        let rows = vec![row("m", "E1", "", 0), row("m", "E2", "", 3), row("m", "E3", "", 6), row("m", "E4", "", 1)];
        let out = apply(&rows, &metrics(), &policy());
        assert_eq!((out[0].value, out[0].status.as_str()), (Some(0.0), ""));
        assert_eq!((out[1].value, out[1].numerator, out[1].status.as_str()), (None, None, "c"));
        assert_eq!((out[2].value, out[2].status.as_str()), (Some(6.0), ""));
        assert_eq!(out[3].status, "c");
    }

    /// Regression: `40/220, 18.1` could only be 40/221. An `ALL` rate is the rate of the
    /// published (rounded) counts, so it gives nothing back that they do not.
    #[test]
    fn programme_rates_come_from_the_rounded_counts() {
        let rate_of = |n: i64, d: i64, period: &str| MetricRow {
            kind: MetricKind::Percentage,
            period: period.into(),
            numerator: Some(n),
            denominator: Some(d),
            value: Some(100.0 * n as f64 / d as f64),
            ..row("pct_relocated", "ALL", "", n)
        };
        let rate = rate_of(41, 221, "2025Q1");
        let tiny = rate_of(1, 4, "2025Q2");
        let median = MetricRow {
            kind: MetricKind::Value,
            numerator: None,
            denominator: Some(3),
            value: Some(30.0),
            ..row("median_days_between_reviews", "ALL", "", 0)
        };
        let out = apply(&[rate, tiny, median], &metrics(), &policy());
        assert_eq!((out[0].numerator, out[0].denominator), (Some(40), Some(220)));
        assert_eq!(out[0].value, Some(18.18), "100 × 40 / 220, not the exact 18.55");
        assert_eq!(out[1].status, SUPPRESSED, "a rate whose rounded denominator is 0 is not published");
        assert_eq!(out[2].status, SUPPRESSED, "a median over 3 gaps is not published, ALL or not");
    }

    #[test]
    fn programme_counts_are_rounded_to_ten() {
        let out =
            apply(&[row("m", "ALL", "", 3), row("m", "ALL", "", 15), row("m", "ALL", "", 124)], &metrics(), &policy());
        let values: Vec<_> = out.iter().map(|r| r.value).collect();
        assert_eq!(values, vec![Some(0.0), Some(20.0), Some(120.0)]);
    }

    #[test]
    fn rates_on_small_parts_are_suppressed() {
        let mut r = row("pct", "E1", "", 7);
        r.kind = MetricKind::Percentage;
        r.denominator = Some(4);
        r.value = Some(175.0);
        let mut z = row("pct", "E2", "", 0);
        z.kind = MetricKind::Percentage;
        z.denominator = Some(0);
        z.value = None;
        let out = apply(&[r, z], &metrics(), &policy());
        assert_eq!(out[0].status, "c");
        assert_eq!((out[1].status.as_str(), out[1].value), ("z", None));
    }

    #[test]
    fn one_suppressed_cell_brings_down_the_next_smallest() {
        // total 20 = A 3 + B 7 + C 10: A is suppressed, so B must go too, or A = 20 - 7 - 10.
        let rows = vec![
            row("panel_meetings", "E1", "", 20),
            row("panel_meetings", "E1", "A", 3),
            row("panel_meetings", "E1", "B", 7),
            row("panel_meetings", "E1", "C", 10),
        ];
        let out = apply(&rows, &metrics(), &policy());
        let status: Vec<&str> = out.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(status, vec!["", "c", "c", ""]);
        // With no other non-zero cell the total goes.
        let rows = vec![
            row("panel_meetings", "E1", "", 4),
            row("panel_meetings", "E1", "A", 4),
            row("panel_meetings", "E1", "B", 0),
        ];
        let out = apply(&rows, &metrics(), &policy());
        assert_eq!(out[0].status, "c");
        let rows = vec![
            row("panel_meetings", "E1", "", 9),
            row("panel_meetings", "E1", "A", 4),
            row("panel_meetings", "E1", "B", 0),
            row("panel_meetings", "E1", "C", 5),
        ];
        let out = apply(&rows, &metrics(), &policy());
        let status: Vec<&str> = out.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(status, vec!["", "c", "", "c"], "two suppressed cells already protect each other");
    }
}
