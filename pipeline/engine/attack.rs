//! The attacker's audit of published metrics, run by every build.
//!
//! Written as someone holding only `metric_values` and the data dictionary
//! would work, and sharing no code with the suppression it checks
//! ([`crate::engine::linked`]): every suppressed authority figure becomes an
//! unknown whole number (at least 1 for counts and denominators, since zeros
//! are published; at least 0 for the numerator of a rate), and every published
//! fact becomes a linear constraint — breakdown cells and their totals,
//! numerators within denominators, counts within counts, a percentage's
//! denominator equal to the count it is taken over, and each rounded `ALL`
//! figure as the sum of its authorities within the rounding interval. An
//! integer linear programme (the pure-Rust `microlp` solver through
//! `good_lp`) then finds, for each unknown, the smallest and largest value it
//! can take. A figure whose interval holds fewer whole values than the
//! policy's protection level is recoverable and the build publishes nothing.
//! The audit also looks for published small counts, published small
//! complements and `ALL` rates that are not the rate of the rounded counts.

use std::collections::{BTreeMap, BTreeSet};

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};
use serde::Serialize;

use crate::config::policy::Policy;
use crate::config::queries::{Breakdowns, Metric, MetricKind};
use crate::engine::rows::MetricRow;

/// Largest value an unknown is allowed (a bound the solver needs; never reached by real figures).
const CEILING: i64 = 10_000_000;

/// One thing an attacker could learn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What was learned: `interval`, `small count`, `small complement`, `programme rate`, `programme count`.
    pub rule: &'static str,
    /// Metric id.
    pub metric: String,
    /// Authority code or `ALL`.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// Breakdown code or ''.
    pub breakdown: String,
    /// Numerator or denominator.
    pub part: &'static str,
    /// Smallest value consistent with everything published (for `interval`).
    pub low: Option<i64>,
    /// Largest value consistent with everything published (for `interval`).
    pub high: Option<i64>,
}

/// What the audit found in one build's published metrics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Suppressed authority figures examined.
    pub suppressed_figures: usize,
    /// Fewest whole values any of them can take (the narrowest interval's width).
    pub narrowest_interval: Option<i64>,
    /// Everything an attacker could learn; empty when the table is safe to publish.
    pub findings: Vec<Finding>,
}

/// (metric, authority, period, breakdown, part): one number of the published table.
type Cell = (String, String, String, String, &'static str);

const NUM: &str = "numerator";
const DEN: &str = "denominator";

/// What is known of a cell: its published value, or that it is hidden (with its floor).
#[derive(Clone, Copy)]
enum Known {
    Value(i64),
    Hidden(i64),
}

/// Cells with their coefficients.
type Terms = Vec<(Cell, f64)>;

/// a·x ≤ / = / ≥ b over cells.
struct Fact {
    terms: Terms,
    low: f64,
    high: f64,
}

struct Table<'a> {
    by_id: BTreeMap<&'a str, &'a Metric>,
    cells: BTreeMap<Cell, Known>,
    facts: Vec<Fact>,
}

fn cell(metric: &str, authority: &str, period: &str, breakdown: &str, part: &'static str) -> Cell {
    (metric.to_string(), authority.to_string(), period.to_string(), breakdown.to_string(), part)
}

impl<'a> Table<'a> {
    /// The cell a row's numerator or denominator is, as the dictionary tells an attacker
    /// (a percentage over episodes started has the `episodes_started` total as denominator).
    fn cell_of(&self, metric: &str, authority: &str, period: &str, breakdown: &str, part: &'static str) -> Cell {
        let denominator_is = self.by_id.get(metric).and_then(|m| m.links.denominator_is.as_deref());
        match (part, denominator_is) {
            (DEN, Some(total)) => cell(total, authority, period, "", NUM),
            _ => cell(metric, authority, period, breakdown, part),
        }
    }

    fn cell_of_row(&self, row: &MetricRow, part: &'static str) -> Cell {
        self.cell_of(&row.metric, &row.authority_code, &row.period, &row.breakdown, part)
    }

    fn read(rows: &[MetricRow], metrics: &'a [Metric]) -> Table<'a> {
        let by_id = metrics.iter().map(|m| (m.id.as_str(), m)).collect();
        let mut table = Table { by_id, cells: BTreeMap::new(), facts: Vec::new() };
        for row in rows.iter().filter(|r| r.authority_code != "ALL") {
            let parts: &[&'static str] = match row.kind {
                MetricKind::Count => &[NUM],
                MetricKind::Percentage => &[NUM, DEN],
                MetricKind::Value => &[DEN],
                _ => &[],
            };
            for &part in parts {
                let c = table.cell_of_row(row, part);
                let published = if part == NUM { row.numerator } else { row.denominator };
                let known = match (row.status.as_str(), published) {
                    ("c", _) => Known::Hidden(if part == NUM && row.kind == MetricKind::Percentage { 0 } else { 1 }),
                    (_, Some(v)) => Known::Value(v),
                    _ => continue,
                };
                let slot = table.cells.entry(c).or_insert(known);
                if let (Known::Hidden(_), Known::Value(v)) = (*slot, known) {
                    *slot = Known::Value(v);
                }
                if let (Known::Hidden(a), Known::Hidden(b)) = (*slot, known) {
                    *slot = Known::Hidden(a.max(b));
                }
            }
        }
        table
    }

    fn at_most(&mut self, x: Cell, y: Cell) {
        if self.cells.contains_key(&x) && self.cells.contains_key(&y) {
            self.facts.push(Fact { terms: vec![(x, 1.0), (y, -1.0)], low: f64::NEG_INFINITY, high: 0.0 });
        }
    }

    /// Every fact the published rows and the dictionary give.
    fn facts(&mut self, rows: &[MetricRow], policy: &Policy) {
        let step = policy.round_programme_to;
        let keys: Vec<Cell> = self.cells.keys().cloned().collect();
        let mut breakdowns: BTreeMap<(String, String, String), Vec<Cell>> = BTreeMap::new();
        for (metric, authority, period, breakdown, part) in &keys {
            let Some(m) = self.by_id.get(metric.as_str()).copied() else { continue };
            let total = |id: &str| cell(id, authority, period, "", NUM);
            let this = cell(metric, authority, period, breakdown, part);
            if *part == DEN {
                if let Some(t) = &m.links.denominator_within {
                    self.at_most(this, total(t));
                }
                continue;
            }
            if m.kind == MetricKind::Percentage {
                let d = self.cell_of(metric, authority, period, breakdown, DEN);
                self.at_most(this.clone(), d);
            }
            if !breakdown.is_empty() {
                self.at_most(this.clone(), total(metric));
                breakdowns.entry((metric.clone(), authority.clone(), period.clone())).or_default().push(this);
            } else if let Some(t) = &m.links.within {
                self.at_most(this, total(t));
            }
        }
        for ((metric, authority, period), cells) in breakdowns {
            let total = cell(&metric, &authority, &period, "", NUM);
            let kind = self.by_id.get(metric.as_str()).and_then(|m| m.links.breakdowns);
            if !self.cells.contains_key(&total) || kind.is_none() {
                continue;
            }
            let mut terms: Vec<(Cell, f64)> = cells.into_iter().map(|c| (c, 1.0)).collect();
            terms.push((total, -1.0));
            let high = if kind == Some(Breakdowns::Partition) { 0.0 } else { f64::INFINITY };
            self.facts.push(Fact { terms, low: 0.0, high });
        }
        // Each published ALL figure is the sum of its authorities' figures, within the rounding
        // (a rate or median not shown keeps its rounded figures: they count too).
        let mut authorities: BTreeMap<(&str, &str, &str, &str), Terms> = BTreeMap::new();
        for c in keys.iter().filter(|c| c.1 != "ALL") {
            authorities.entry((&c.0, &c.2, &c.3, c.4)).or_default().push((c.clone(), 1.0));
        }
        for row in rows.iter().filter(|r| r.authority_code == "ALL" && r.status != "x") {
            for (part, value) in [(NUM, row.numerator), (DEN, row.denominator)] {
                let Some(rounded) = value else { continue };
                let target = self.cell_of_row(row, part);
                let members =
                    authorities.get(&(target.0.as_str(), target.2.as_str(), target.3.as_str(), target.4)).cloned();
                let members = members.unwrap_or_default();
                let low = (rounded - step / 2) as f64;
                self.facts.push(Fact { terms: members, low, high: low + (step - 1) as f64 });
            }
        }
    }
}

/// Runs the attack on published rows.
pub fn audit(published: &[MetricRow], metrics: &[Metric], policy: &Policy) -> Report {
    let mut table = Table::read(published, metrics);
    table.facts(published, policy);
    let mut report = Report::default();
    let small = |n: i64| n >= policy.suppress_min && n <= policy.suppress_max;
    let finding = |rule, c: &Cell, low, high| Finding {
        rule,
        metric: c.0.clone(),
        authority_code: c.1.clone(),
        period: c.2.clone(),
        breakdown: c.3.clone(),
        part: c.4,
        low,
        high,
    };
    // Published figures that are small themselves, or small as the rest of what they are part of.
    for (c, known) in &table.cells {
        if let Known::Value(v) = known
            && small(*v)
        {
            report.findings.push(finding("small count", c, None, None));
        }
    }
    for fact in &table.facts {
        let [(x, 1.0), (y, -1.0)] = &fact.terms[..] else { continue };
        if let (Some(Known::Value(a)), Some(Known::Value(b))) = (table.cells.get(x), table.cells.get(y))
            && small(b - a)
        {
            report.findings.push(finding("small complement", x, None, None));
        }
    }
    // ALL: rounded counts, and rates of the rounded counts.
    let scale = 10f64.powi(policy.value_decimals as i32);
    for row in published.iter().filter(|r| r.authority_code == "ALL" && r.status != "x") {
        let c = cell(&row.metric, "ALL", &row.period, &row.breakdown, NUM);
        let unrounded = [row.numerator, row.denominator].iter().flatten().any(|v| v % policy.round_programme_to != 0);
        if matches!(row.kind, MetricKind::Count | MetricKind::Percentage | MetricKind::Value) && unrounded {
            report.findings.push(finding("programme count", &c, None, None));
        }
        if let (MetricKind::Percentage, Some(n), Some(d), Some(v)) =
            (row.kind, row.numerator, row.denominator, row.value)
        {
            let expected = if d > 0 { (100.0 * n as f64 / d as f64 * scale).round() / scale } else { f64::NAN };
            if (v - expected).abs() > 0.5 / scale {
                report.findings.push(finding("programme rate", &c, None, None));
            }
        }
    }
    // Every hidden figure's interval, component by component.
    let hidden: Vec<Cell> =
        table.cells.iter().filter(|(_, k)| matches!(k, Known::Hidden(_))).map(|(c, _)| c.clone()).collect();
    report.suppressed_figures = hidden.len();
    for component in components(&hidden, &table.facts) {
        for (c, low, high) in intervals(&component, &table) {
            let width = high.saturating_sub(low) + 1;
            report.narrowest_interval = Some(report.narrowest_interval.map_or(width, |w| w.min(width)));
            if width < policy.protection_level {
                report.findings.push(finding("interval", &c, Some(low), Some(high)));
            }
        }
    }
    report
}

/// Hidden cells grouped by the facts that tie them together.
fn components(hidden: &[Cell], facts: &[Fact]) -> Vec<Vec<Cell>> {
    let index: BTreeMap<&Cell, usize> = hidden.iter().enumerate().map(|(i, c)| (c, i)).collect();
    let mut parent: Vec<usize> = (0..hidden.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for fact in facts {
        let members: Vec<usize> = fact.terms.iter().filter_map(|(c, _)| index.get(c).copied()).collect();
        for pair in members.windows(2) {
            let (a, b) = (root(&mut parent, pair[0]), root(&mut parent, pair[1]));
            parent[a] = b;
        }
    }
    let mut groups: BTreeMap<usize, Vec<Cell>> = BTreeMap::new();
    for (i, c) in hidden.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(c.clone());
    }
    groups.into_values().collect()
}

/// The smallest and largest value of each hidden cell of a component, by integer programming.
/// A problem the solver cannot settle counts as a single value (fail closed).
fn intervals(component: &[Cell], table: &Table<'_>) -> Vec<(Cell, i64, i64)> {
    let members: BTreeSet<&Cell> = component.iter().collect();
    let facts: Vec<&Fact> = table.facts.iter().filter(|f| f.terms.iter().any(|(c, _)| members.contains(c))).collect();
    let solve = |target: usize, maximise: bool| -> Option<i64> {
        let mut problem = ProblemVariables::new();
        let vars: BTreeMap<&Cell, Variable> = component
            .iter()
            .map(|c| {
                let floor = match table.cells.get(c) {
                    Some(Known::Hidden(f)) => *f,
                    _ => 0,
                };
                (c, problem.add(variable().integer().min(floor as f64).max(CEILING as f64)))
            })
            .collect();
        let objective: Expression = vars[&component[target]].into();
        let unsolved = if maximise { problem.maximise(objective) } else { problem.minimise(objective) };
        let mut model = unsolved.using(microlp);
        for fact in &facts {
            let mut expr = Expression::from(0.0);
            for (c, a) in &fact.terms {
                match (vars.get(c), table.cells.get(c)) {
                    (Some(v), _) => expr.add_mul(*a, *v),
                    (None, Some(Known::Value(v))) => expr += *a * *v as f64,
                    _ => {}
                }
            }
            if fact.low.is_finite() {
                model = model.with(expr.clone().geq(fact.low));
            }
            if fact.high.is_finite() {
                model = model.with(expr.leq(fact.high));
            }
        }
        let solution = model.solve().ok()?;
        Some(solution.value(vars[&component[target]]).round() as i64)
    };
    (0..component.len())
        .map(|i| {
            let c = component[i].clone();
            match (solve(i, false), solve(i, true)) {
                (Some(low), Some(high)) if low <= high => (c, low, high),
                _ => (c, 0, 0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, authority: &str, breakdown: &str, n: Option<i64>, status: &str) -> MetricRow {
        MetricRow {
            metric: metric.into(),
            kind: MetricKind::Count,
            authority_code: authority.into(),
            authority_name: String::new(),
            period: "2025Q1".into(),
            breakdown: breakdown.into(),
            numerator: n,
            denominator: None,
            value: n.map(|n| n as f64),
            status: status.into(),
        }
    }

    fn run(rows: &[MetricRow]) -> Report {
        let metrics = crate::config::queries::catalogue().expect("catalogue");
        audit(rows, &metrics, &Policy::load(None).expect("policy"))
    }

    /// panel_meetings 12 = STRATEGIC c + MACE c + OPERATIONAL 10 + OTHER 0: both c are 1.
    #[test]
    fn the_all_ones_attack_is_found() {
        let m = "panel_meetings";
        let rows = vec![
            row(m, "E1", "", Some(12), ""),
            row(m, "E1", "STRATEGIC", None, "c"),
            row(m, "E1", "MACE", None, "c"),
            row(m, "E1", "OPERATIONAL", Some(10), ""),
            row(m, "E1", "OTHER", Some(0), ""),
        ];
        let report = run(&rows);
        assert_eq!(report.suppressed_figures, 2);
        let intervals: Vec<_> =
            report.findings.iter().filter(|f| f.rule == "interval").map(|f| (f.low, f.high)).collect();
        assert_eq!(intervals, vec![(Some(1), Some(1)), (Some(1), Some(1))]);
        assert_eq!(report.narrowest_interval, Some(1));
    }

    /// Other authorities total 33, ALL shows 30: the suppressed cell is at most 1.
    #[test]
    fn rounding_and_subtraction_are_found() {
        let m = "young_people_reached";
        let rows = vec![
            row(m, "E1", "", None, "c"),
            row(m, "E2", "", Some(20), ""),
            row(m, "E3", "", Some(13), ""),
            row(m, "ALL", "", Some(30), ""),
        ];
        let report = run(&rows);
        let f = report.findings.iter().find(|f| f.rule == "interval").expect("pinned");
        assert_eq!((f.authority_code.as_str(), f.low, f.high), ("E1", Some(1), Some(1)));
        // With a second cell suppressed nothing is pinned.
        let mut safe = rows.clone();
        safe[2] = row(m, "E3", "", None, "c");
        let report = run(&safe);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(report.suppressed_figures, 2);
    }

    #[test]
    fn a_shared_denominator_and_small_complements_are_found() {
        let mut rate = row("pct_relocated", "E1", "", Some(7), "");
        rate.kind = MetricKind::Percentage;
        rate.denominator = Some(8);
        let rows = vec![row("episodes_started", "E1", "", None, "c"), rate];
        let report = run(&rows);
        let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule).collect();
        assert!(rules.contains("small complement"), "{rules:?}");
        assert_eq!(report.suppressed_figures, 0, "the denominator is published by the rate");
    }
}
