//! Secondary suppression over every linked figure.
//!
//! After the primary rules ([`crate::engine::disclosure`]), the published
//! table still ties figures together: a breakdown's cells and its total, each
//! authority and the rounded `ALL` figure (whose exact value lies within the
//! rounding interval), percentages whose denominator is another metric's
//! total, a numerator and its denominator, a count within another. A
//! suppressed cell is also known to be at least 1, since zeros are published.
//!
//! Each figure is one number however many rows carry it (`episodes_started`
//! and every percentage over episodes started carry one denominator). The
//! links are written as sums with bounds, and bounds are propagated over all of
//! them at once (interval constraint propagation) to find, for each suppressed
//! figure, an interval it must lie in. Where that interval holds fewer values
//! than the policy's protection level, the smallest published, non-zero figure
//! of a link that pins it is suppressed too (or, when the link has none, the
//! rounded `ALL` figure that bounds it), and the propagation runs again,
//! until every suppressed figure is protected. Small complements (a figure
//! 1 to 5 below the figure it is part of) are suppressed like small counts.
//!
//! Propagation can only give intervals at least as wide as the exact ones;
//! the attacker's audit ([`crate::engine::attack`]), written apart from this
//! code, solves the exact integer problem and refuses to publish when this
//! left anything narrower.

use std::collections::BTreeMap;

use crate::config::policy::Policy;
use crate::config::queries::{Breakdowns, Metric, MetricKind};
use crate::engine::coverage::PROGRAMME;
use crate::engine::rows::MetricRow;

const INF: i128 = 1_000_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    metric: String,
    authority: String,
    breakdown: String,
    denominator: bool,
}

/// One number of the published table, and the rows that carry it.
struct Figure {
    exact: i64,
    /// The rows that carry it, and whether as their denominator.
    rows: Vec<(usize, bool)>,
    /// What a suppressed figure is known to be at least (1 for counts, 0 for numerators of rates).
    floor: i128,
}

/// Figures with their coefficients.
type Terms = Vec<(usize, i128)>;

/// lo ≤ Σ coefficient × figure ≤ hi; a link bounded by a rounded `ALL` figure is
/// active only while that figure is published.
struct Link {
    terms: Terms,
    lo: i128,
    hi: i128,
    bound: Option<usize>,
    /// `x ≤ y` between two authority figures: checked for small complements.
    pair: bool,
}

struct Model<'a> {
    figures: Vec<Figure>,
    programme: Vec<Figure>,
    links: Vec<Link>,
    out: &'a mut [MetricRow],
}

fn canonical(row: &MetricRow, denominator: bool, metrics: &BTreeMap<&str, &Metric>) -> Option<Key> {
    let metric = metrics.get(row.metric.as_str())?;
    let authority = row.authority_code.clone();
    match (row.kind, denominator) {
        (MetricKind::Count, false) | (MetricKind::Percentage, false) => {
            Some(Key { metric: row.metric.clone(), authority, breakdown: row.breakdown.clone(), denominator })
        }
        (MetricKind::Percentage, true) => Some(match &metric.links.denominator_is {
            Some(total) => Key { metric: total.clone(), authority, breakdown: String::new(), denominator: false },
            None => Key { metric: row.metric.clone(), authority, breakdown: row.breakdown.clone(), denominator },
        }),
        (MetricKind::Value, true) => {
            Some(Key { metric: row.metric.clone(), authority, breakdown: row.breakdown.clone(), denominator })
        }
        _ => None,
    }
}

impl<'a> Model<'a> {
    fn build(
        exact: &[MetricRow],
        out: &'a mut [MetricRow],
        rows: &[usize],
        metrics: &[Metric],
        policy: &Policy,
    ) -> Self {
        let by_id: BTreeMap<&str, &Metric> = metrics.iter().map(|m| (m.id.as_str(), m)).collect();
        let mut index: BTreeMap<Key, (bool, usize)> = BTreeMap::new();
        let mut figures = Vec::new();
        let mut programme = Vec::new();
        let mut rates = Vec::new();
        for &r in rows {
            let row = &exact[r];
            let programme_row = row.authority_code == PROGRAMME;
            let carries_figures = matches!(out[r].status.as_str(), "" | "c") || (programme_row && out[r].status == "z");
            if !carries_figures {
                continue;
            }
            if row.kind == MetricKind::Percentage
                && row.authority_code != PROGRAMME
                && let (Some(n), Some(d)) = (canonical(row, false, &by_id), canonical(row, true, &by_id))
            {
                rates.push((n, d));
            }
            for denominator in [false, true] {
                let Some(key) = canonical(row, denominator, &by_id) else { continue };
                let value = if denominator { row.denominator } else { row.numerator };
                let Some(value) = value else { continue };
                let is_programme = key.authority == PROGRAMME;
                let list = if is_programme { &mut programme } else { &mut figures };
                let (_, i) = *index.entry(key).or_insert_with(|| {
                    let floor = if !denominator && row.kind == MetricKind::Percentage { 0 } else { 1 };
                    list.push(Figure { exact: value, rows: Vec::new(), floor });
                    (is_programme, list.len() - 1)
                });
                let figure = &mut list[i];
                figure.rows.push((r, denominator));
                figure.floor = figure.floor.max(if !denominator && row.kind == MetricKind::Percentage { 0 } else { 1 });
            }
        }
        let mut model = Model { figures, programme, links: Vec::new(), out };
        let find = |key: &Key| index.get(key).filter(|(p, _)| !p).map(|&(_, i)| i);
        let mut links = Vec::new();
        let at_most =
            |x: usize, y: usize| Link { terms: vec![(x, 1), (y, -1)], lo: -INF, hi: 0, bound: None, pair: true };
        // Within each authority: breakdowns, rates, counts within counts.
        for (key, &(is_programme, i)) in &index {
            if is_programme {
                continue;
            }
            let metric = by_id[key.metric.as_str()];
            let total_of = |m: &str| {
                find(&Key {
                    metric: m.to_string(),
                    authority: key.authority.clone(),
                    breakdown: String::new(),
                    denominator: false,
                })
            };
            if key.denominator {
                if let Some(t) = metric.links.denominator_within.as_deref().and_then(total_of) {
                    links.push(at_most(i, t));
                }
                continue;
            }
            if key.breakdown.is_empty() {
                if let Some(t) = metric.links.within.as_deref().and_then(total_of) {
                    links.push(at_most(i, t));
                }
            } else if let Some(t) = total_of(&key.metric) {
                links.push(at_most(i, t));
            }
        }
        for (n, d) in &rates {
            if let (Some(n), Some(d)) = (find(n), find(d)) {
                links.push(at_most(n, d));
            }
        }
        // Breakdown totals: cells add up to the total, or (overlapping) at least to it.
        let mut cells: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (key, &(is_programme, i)) in &index {
            if !is_programme && !key.denominator && !key.breakdown.is_empty() {
                cells.entry((key.metric.clone(), key.authority.clone())).or_default().push(i);
            }
        }
        for ((metric, authority), members) in cells {
            let Some(kind) = by_id[metric.as_str()].links.breakdowns else { continue };
            let total = Key { metric, authority, breakdown: String::new(), denominator: false };
            let Some(t) = find(&total) else { continue };
            let mut terms: Vec<(usize, i128)> = members.iter().map(|&c| (c, 1)).collect();
            terms.push((t, -1));
            let (lo, hi) = match kind {
                Breakdowns::Partition => (0, 0),
                Breakdowns::Overlapping => (0, INF),
            };
            links.push(Link { terms, lo, hi, bound: None, pair: false });
        }
        // ALL: the authorities' figures add up to within the rounding interval of the ALL figure.
        let step = policy.round_programme_to as i128;
        let mut members: BTreeMap<(&str, &str, bool), Terms> = BTreeMap::new();
        for (key, &(is_programme, i)) in &index {
            if !is_programme {
                members.entry((&key.metric, &key.breakdown, key.denominator)).or_default().push((i, 1));
            }
        }
        for (key, &(is_programme, p)) in &index {
            if !is_programme {
                continue;
            }
            let terms = members.get(&(key.metric.as_str(), key.breakdown.as_str(), key.denominator)).cloned();
            let rounded = policy.round(Some(model.programme[p].exact)).unwrap_or(0) as i128;
            let lo = rounded - step / 2;
            links.push(Link { terms: terms.unwrap_or_default(), lo, hi: lo + step - 1, bound: Some(p), pair: false });
        }
        model.links = links;
        model
    }

    /// Whether any row still shows the figure (an `ALL` row whose value is hidden still shows
    /// its rounded figures).
    fn published(&self, figure: &Figure) -> bool {
        figure.rows.iter().any(|&(r, denominator)| {
            let row = &self.out[r];
            if denominator { row.denominator.is_some() } else { row.numerator.is_some() }
        })
    }

    fn hide(&mut self, programme: bool, i: usize) {
        let rows = if programme { self.programme[i].rows.clone() } else { self.figures[i].rows.clone() };
        for (r, _) in rows {
            self.out[r].withhold(crate::engine::rows::SUPPRESSED);
        }
    }

    fn active(&self, link: &Link) -> bool {
        link.bound.is_none_or(|p| self.published(&self.programme[p]))
    }

    /// The tightest box the links give, by repeated bounds propagation.
    fn propagate(&self) -> Vec<(i128, i128)> {
        let mut b: Vec<(i128, i128)> = self
            .figures
            .iter()
            .map(|f| if self.published(f) { (f.exact as i128, f.exact as i128) } else { (f.floor, INF) })
            .collect();
        for _ in 0..64 {
            let mut changed = false;
            for link in self.links.iter().filter(|l| self.active(l)) {
                for (j, lo, hi) in implied(link, &b) {
                    let (old_lo, old_hi) = b[j];
                    let (new_lo, new_hi) = (old_lo.max(lo), old_hi.min(hi));
                    if (new_lo, new_hi) != (old_lo, old_hi) && new_lo <= new_hi {
                        b[j] = (new_lo, new_hi);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        b
    }

    /// Suppresses what the links would give away; returns the figures left unprotected.
    fn run(&mut self, policy: &Policy) -> usize {
        let small = |n: i128| n >= policy.suppress_min as i128 && n <= policy.suppress_max as i128;
        let protection = policy.protection_level as i128;
        let narrow = |b: &[(i128, i128)], i: usize| b[i].1 - b[i].0 + 1 < protection;
        for _ in 0..=self.figures.len() + self.programme.len() {
            // Small complements first: a figure 1 to 5 below the one it is part of.
            let complement = self.links.iter().find_map(|l| {
                let [(x, _), (y, _)] = l.terms[..] else { return None };
                let (fx, fy) = (&self.figures[x], &self.figures[y]);
                (l.pair
                    && self.published(fx)
                    && self.published(fy)
                    && fx.exact > 0
                    && small((fy.exact - fx.exact) as i128))
                .then_some(x)
            });
            if let Some(x) = complement {
                self.hide(false, x);
                continue;
            }
            // Then bounds propagation, cheap and usually enough; then the exact integer bounds,
            // which also see what only several links together give away.
            let mut b = self.propagate();
            let mut found = (0..self.figures.len()).find(|&i| !self.published(&self.figures[i]) && narrow(&b, i));
            if found.is_none() {
                b = self.exact_bounds(&b);
                found = (0..self.figures.len()).find(|&i| !self.published(&self.figures[i]) && narrow(&b, i));
            }
            let Some(f) = found else { return 0 };
            match self.widen(f, &b) {
                Some((programme, i)) => self.hide(programme, i),
                None => {
                    return (0..self.figures.len())
                        .filter(|&i| !self.published(&self.figures[i]) && narrow(&b, i))
                        .count();
                }
            }
        }
        0
    }

    /// The exact smallest and largest whole value of every suppressed figure under all active
    /// links at once (integer programming, group by group of figures the links tie together),
    /// starting from the propagated box `b`. A group the solver cannot settle keeps a width of 1.
    fn exact_bounds(&self, b: &[(i128, i128)]) -> Vec<(i128, i128)> {
        let mut out = b.to_vec();
        let hidden: Vec<usize> = (0..self.figures.len()).filter(|&i| !self.published(&self.figures[i])).collect();
        let mut group: BTreeMap<usize, usize> = hidden.iter().map(|&i| (i, i)).collect();
        fn root(group: &mut BTreeMap<usize, usize>, mut i: usize) -> usize {
            while group[&i] != i {
                i = group[&i];
            }
            i
        }
        let active: Vec<&Link> = self.links.iter().filter(|l| self.active(l)).collect();
        for link in &active {
            let members: Vec<usize> = link.terms.iter().map(|&(j, _)| j).filter(|j| group.contains_key(j)).collect();
            for pair in members.windows(2) {
                let (a, c) = (root(&mut group, pair[0]), root(&mut group, pair[1]));
                if a != c {
                    group.insert(a, c);
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &i in &hidden {
            let r = root(&mut group, i);
            groups.entry(r).or_default().push(i);
        }
        for members in groups.values() {
            let links: Vec<&&Link> =
                active.iter().filter(|l| l.terms.iter().any(|(j, _)| members.contains(j))).collect();
            if links.is_empty() {
                continue;
            }
            for (k, &f) in members.iter().enumerate() {
                let low = self.solve(members, &links, b, k, false);
                let high = self.solve(members, &links, b, k, true);
                out[f] = match (low, high) {
                    (Some(l), Some(h)) if l <= h => (l, h),
                    _ => (out[f].0, out[f].0),
                };
            }
        }
        out
    }

    fn solve(
        &self,
        members: &[usize],
        links: &[&&Link],
        b: &[(i128, i128)],
        target: usize,
        maximise: bool,
    ) -> Option<i128> {
        use good_lp::{Expression, ProblemVariables, Solution, SolverModel, microlp, variable};
        const CAP: i128 = 100_000_000;
        let mut problem = ProblemVariables::new();
        let vars: BTreeMap<usize, good_lp::Variable> = members
            .iter()
            .map(|&f| (f, problem.add(variable().integer().min(b[f].0.max(0) as f64).max(b[f].1.min(CAP) as f64))))
            .collect();
        let objective: Expression = vars[&members[target]].into();
        let mut model = if maximise { problem.maximise(objective) } else { problem.minimise(objective) }.using(microlp);
        for link in links {
            let mut expr = Expression::from(0.0);
            for &(j, c) in &link.terms {
                match vars.get(&j) {
                    Some(v) => expr.add_mul(c as f64, *v),
                    None => expr += (c * b[j].0) as f64,
                }
            }
            if link.lo > -INF {
                model = model.with(expr.clone().geq(link.lo as f64));
            }
            if link.hi < INF {
                model = model.with(expr.leq(link.hi as f64));
            }
        }
        let solution = model.solve().ok()?;
        Some(solution.value(vars[&members[target]]).round() as i128)
    }

    /// What to suppress next to widen figure `f`: the smallest published, non-zero figure of a
    /// link that pins one of its bounds; failing that, of any link of `f`, then of any link of a
    /// figure that shares a link with `f` (bounds that only several links together give); failing
    /// that, a rounded ALL figure that bounds one of those links.
    fn widen(&self, f: usize, b: &[(i128, i128)]) -> Option<(bool, usize)> {
        let active: Vec<&Link> = self.links.iter().filter(|l| self.active(l)).collect();
        let has = |l: &Link, j: usize| l.terms.iter().any(|&(t, _)| t == j);
        let floor = self.figures[f].floor;
        let pins = |l: &Link| {
            implied(l, b).into_iter().any(|(j, lo, hi)| j == f && ((lo >= b[f].0 && b[f].0 > floor) || hi <= b[f].1))
        };
        let of_f: Vec<&Link> = active.iter().copied().filter(|l| has(l, f)).collect();
        let pinning: Vec<&Link> = of_f.iter().copied().filter(|l| pins(l)).collect();
        let neighbours: Vec<usize> = of_f.iter().flat_map(|l| l.terms.iter().map(|&(j, _)| j)).collect();
        let near: Vec<&Link> = active.iter().copied().filter(|l| neighbours.iter().any(|&j| has(l, j))).collect();
        for links in [&pinning, &of_f, &near] {
            let best = links
                .iter()
                .flat_map(|l| l.terms.iter().map(|&(j, _)| j))
                .filter(|&j| j != f && self.figures[j].exact > 0 && self.published(&self.figures[j]))
                .min_by_key(|&j| (self.figures[j].exact, j));
            if let Some(j) = best {
                return Some((false, j));
            }
        }
        [&pinning, &of_f, &near]
            .into_iter()
            .flat_map(|links| links.iter().filter_map(|l| l.bound))
            .next()
            .map(|p| (true, p))
    }
}

/// The bounds one link gives each of its figures, from the others' current bounds.
fn implied(link: &Link, b: &[(i128, i128)]) -> Vec<(usize, i128, i128)> {
    let range = |(j, c): (usize, i128)| if c > 0 { (b[j].0 * c, b[j].1 * c) } else { (b[j].1 * c, b[j].0 * c) };
    let (sum_lo, sum_hi) = link.terms.iter().map(|&t| range(t)).fold((0, 0), |(a, b), (l, h)| (a + l, b + h));
    link.terms
        .iter()
        .map(|&(j, c)| {
            let (l, h) = range((j, c));
            let (others_lo, others_hi) = (sum_lo - l, sum_hi - h);
            let (lo, hi) = (link.lo - others_hi, link.hi - others_lo);
            let (lo, hi) = if c > 0 { (lo, hi) } else { (-hi, -lo) };
            (j, lo.clamp(-INF, INF), hi.clamp(-INF, INF))
        })
        .collect()
}

/// Secondary suppression of `out` (the rows after the primary rules) against the exact rows,
/// quarter by quarter; returns the number of figures it could not protect.
pub fn protect(exact: &[MetricRow], out: &mut [MetricRow], metrics: &[Metric], policy: &Policy) -> usize {
    let mut periods: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, row) in exact.iter().enumerate() {
        if matches!(row.kind, MetricKind::Count | MetricKind::Percentage | MetricKind::Value) {
            periods.entry(row.period.clone()).or_default().push(i);
        }
    }
    periods.values().map(|rows| Model::build(exact, out, rows, metrics, policy).run(policy)).sum()
}
