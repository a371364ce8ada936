//! k-anonymity over every quasi-identifier an export carries.
//!
//! Each quasi-identifier (something a person could know about a child: age,
//! gender, ethnicity, postcode, school, disability, how many episodes, when
//! things happened) has a generalisation hierarchy whose last level leaves the
//! column out. The generalisations an export may choose form one fixed path
//! ([`chain`]), worked out from the authority's whole data in the warehouse;
//! an export takes the first point on it that leaves at most the allowed share
//! of young people in classes smaller than k, and suppresses the young people
//! still in such classes. Because every export of a warehouse picks from the
//! same path, two exports are always one coarser than the other in every
//! attribute, and joining them gives nothing finer than the finer one.

use std::collections::HashMap;

/// A quasi-identifier and the names of its levels, finest first; the last level leaves it out.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Its name in the disclosure report.
    pub name: &'static str,
    /// The name of each level.
    pub levels: &'static [&'static str],
    /// How much leaving it out costs an evaluator, against the others (1 = ordinary).
    pub weight: f64,
}

impl Attribute {
    /// The level that leaves the column out.
    pub fn left_out(&self) -> usize {
        self.levels.len() - 1
    }
}

/// What the step chose.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The level of each attribute.
    pub levels: Vec<usize>,
    /// Whether each record is suppressed.
    pub suppressed: Vec<bool>,
    /// Whether each record is outside the export altogether (not in the quarters asked for).
    pub outside: Vec<bool>,
    /// Smallest class among the records kept (0 when none is kept).
    pub smallest_class: usize,
    /// Classes among the records kept.
    pub classes: usize,
}

/// Records as interned values: record → attribute → level → value id.
pub struct Records {
    values: Vec<Vec<Vec<u32>>>,
}

impl Records {
    /// Interns each record's value of each attribute at each level (`values[record][attribute][level]`).
    pub fn new(values: &[Vec<Vec<String>>]) -> Records {
        let mut ids: HashMap<(usize, usize, &str), u32> = HashMap::new();
        let values = values
            .iter()
            .map(|record| {
                record
                    .iter()
                    .enumerate()
                    .map(|(a, levels)| {
                        levels
                            .iter()
                            .enumerate()
                            .map(|(l, v)| {
                                let next = ids.len() as u32;
                                *ids.entry((a, l, v.as_str())).or_insert(next)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Records { values }
    }

    /// Each record's class key at `levels`, and the size of each class among the records `inside`.
    fn class_sizes(&self, levels: &[usize], inside: &[bool]) -> (HashMap<Vec<u32>, usize>, Vec<Vec<u32>>) {
        let keys: Vec<Vec<u32>> =
            self.values.iter().map(|r| r.iter().zip(levels).map(|(v, &l)| v[l]).collect()).collect();
        let mut sizes: HashMap<Vec<u32>, usize> = HashMap::new();
        for (key, _) in keys.iter().zip(inside).filter(|(_, i)| **i) {
            *sizes.entry(key.clone()).or_insert(0) += 1;
        }
        (sizes, keys)
    }

    fn violators(&self, levels: &[usize], k: usize, inside: &[bool]) -> usize {
        self.class_sizes(levels, inside).0.values().filter(|&&n| n < k).sum()
    }
}

/// Records in classes smaller than this are what each step of [`chain`] reduces: a fixed
/// number, so that the chain does not depend on k.
const CHAIN_CLASS: usize = 10;

/// A fixed path of generalisations from every attribute at its finest to every attribute left
/// out, one attribute one level coarser at each step: the step that leaves fewest records in
/// classes smaller than [`CHAIN_CLASS`] (then the one that loses least). It depends only on the
/// records (an authority's whole data in a warehouse), never on k or on the quarters exported,
/// so any two exports pick points on the same path and one is coarser than the other in every
/// attribute: joining them gives nothing finer than the finer one.
pub fn chain(records: &Records, attributes: &[Attribute]) -> Vec<Vec<usize>> {
    let everyone = vec![true; records.values.len()];
    let mut levels = vec![0; attributes.len()];
    let mut path = vec![levels.clone()];
    loop {
        let best = (0..attributes.len())
            .filter(|&a| levels[a] < attributes[a].left_out())
            .map(|a| {
                let mut next = levels.clone();
                next[a] += 1;
                let cost = attributes[a].weight / attributes[a].left_out().max(1) as f64;
                (records.violators(&next, CHAIN_CLASS, &everyone), cost, a, next)
            })
            .min_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(&y.2)));
        let Some((_, _, _, next)) = best else { break };
        levels = next;
        path.push(levels.clone());
    }
    path
}

/// Takes the first point of `path` that leaves at most `max_suppression` of the records in
/// classes smaller than k (and takes in at least one), then suppresses the records still in such
/// classes; only the records each point takes in count: `inside(point)` says for
/// each record whether the export holds it at that point (a range of quarters holds the young
/// people with a date in it at the point's level of dates). Records outside count in no class.
///
/// So that two exports still say no more together than the finer one alone, whether a record
/// is inside must follow from its values at the point (as a range widened to the level of the
/// dates shown does): then every class of the finer export lies wholly inside or wholly outside
/// the coarser one, and within a class of it there.
pub fn anonymise_among(
    records: &Records,
    path: &[Vec<usize>],
    k: usize,
    max_suppression: f64,
    inside: impl Fn(&[usize]) -> Vec<bool>,
) -> Choice {
    let at = |levels: &[usize]| {
        let inside = inside(levels);
        let n = inside.iter().filter(|&&i| i).count();
        let allowed = (n as f64 * max_suppression).floor() as usize;
        (n > 0 && records.violators(levels, k, &inside) <= allowed, inside)
    };
    let mut chosen = None;
    for levels in path {
        let (fits, inside) = at(levels);
        if fits || Some(levels) == path.last() {
            chosen = Some((levels.clone(), inside));
            break;
        }
    }
    let (levels, inside) = chosen.unwrap_or_else(|| (Vec::new(), vec![false; records.values.len()]));
    let (sizes, keys) = records.class_sizes(&levels, &inside);
    let suppressed: Vec<bool> = keys.iter().zip(&inside).map(|(key, &i)| i && sizes[key] < k).collect();
    let kept: Vec<usize> = sizes.values().copied().filter(|&s| s >= k).collect();
    Choice {
        levels,
        suppressed,
        outside: inside.iter().map(|i| !i).collect(),
        smallest_class: kept.iter().copied().min().unwrap_or(0),
        classes: kept.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anonymise(records: &Records, path: &[Vec<usize>], k: usize, max_suppression: f64) -> Choice {
        let everyone = vec![true; records.values.len()];
        anonymise_among(records, path, k, max_suppression, |_| everyone.clone())
    }

    const AGE: Attribute = Attribute { name: "age", levels: &["years", "bands", "left out"], weight: 1.0 };
    const AREA: Attribute = Attribute { name: "area", levels: &["district", "area", "left out"], weight: 1.0 };

    fn record(age: i64, district: &str) -> Vec<Vec<String>> {
        vec![
            vec![age.to_string(), if age < 16 { "under 16".into() } else { "16+".into() }, "*".into()],
            vec![district.into(), district[..2].into(), "*".into()],
        ]
    }

    #[test]
    fn every_kept_class_reaches_k_with_the_least_generalisation() {
        let values: Vec<Vec<Vec<String>>> =
            (0..200).map(|i| record(10 + (i * 7 % 8), &format!("UB{}", i % 11))).collect();
        let records = Records::new(&values);
        let path = chain(&records, &[AGE, AREA]);
        let choice = anonymise(&records, &path, 5, 0.05);
        assert!(choice.smallest_class >= 5);
        assert!(choice.suppressed.iter().filter(|&&s| s).count() <= 10);
        assert_ne!(choice.levels, vec![2, 2], "not everything left out");
        // Every kept record's class, recomputed from the values, has at least k members.
        let mut classes: HashMap<(String, String), usize> = HashMap::new();
        for (v, s) in values.iter().zip(&choice.suppressed) {
            if !s {
                *classes.entry((v[0][choice.levels[0]].clone(), v[1][choice.levels[1]].clone())).or_default() += 1;
            }
        }
        assert!(classes.values().all(|&n| n >= 5), "{classes:?}");
    }

    #[test]
    fn a_larger_k_is_never_finer_in_any_attribute() {
        let values: Vec<Vec<Vec<String>>> =
            (0..300).map(|i| record(10 + (i * 13 % 9), &format!("UB{}", i * 7 % 13))).collect();
        let records = Records::new(&values);
        let path = chain(&records, &[AGE, AREA]);
        let mut previous = vec![0, 0];
        for k in 2..40 {
            let levels = anonymise(&records, &path, k, 0.02).levels;
            assert!(levels.iter().zip(&previous).all(|(l, p)| l >= p), "k = {k}: {levels:?} after {previous:?}");
            previous = levels;
        }
    }

    #[test]
    fn fewer_than_k_records_are_all_suppressed() {
        let values: Vec<Vec<Vec<String>>> = (0..3).map(|i| record(12 + i, "UB1")).collect();
        let records = Records::new(&values);
        let choice = anonymise(&records, &chain(&records, &[AGE, AREA]), 5, 0.05);
        assert!(choice.suppressed.iter().all(|&s| s));
        assert_eq!(choice.smallest_class, 0);
    }

    const WHEN: Attribute = Attribute { name: "dates", levels: &["quarters", "years", "left out"], weight: 1.0 };

    /// A record with an age and the quarters (numbered from 0 = 2023Q1) it has dates in.
    fn dated(age: i64, district: &str, quarters: &[u32]) -> Vec<Vec<String>> {
        let join = |v: BTreeSet<u32>| v.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        let mut r = record(age, district);
        r.push(vec![
            join(quarters.iter().copied().collect()),
            join(quarters.iter().map(|q| q / 4).collect()),
            "*".into(),
        ]);
        r
    }

    use std::collections::BTreeSet;

    /// Who an export of quarters `from..=to` holds at a point: the records with a date in the range
    /// widened to the point's level of dates, everyone when dates are left out.
    fn range(quarters: &[Vec<u32>], from: u32, to: u32) -> impl Fn(&[usize]) -> Vec<bool> + '_ {
        move |levels: &[usize]| match levels[2] {
            0 => quarters.iter().map(|q| q.iter().any(|&x| (from..=to).contains(&x))).collect(),
            1 => quarters.iter().map(|q| q.iter().any(|&x| (from / 4..=to / 4).contains(&(x / 4)))).collect(),
            _ => vec![true; quarters.len()],
        }
    }

    /// A seeded population of 150 to 450 records with ages, districts and the quarters (0 to 11)
    /// they have dates in: a run of up to four quarters, every other one when `gaps`.
    fn population(seed: u32, gaps: bool) -> (Vec<Vec<u32>>, Vec<Vec<Vec<String>>>) {
        let n = 150 + (seed as usize * 37) % 300;
        let quarters: Vec<Vec<u32>> = (0..n as u32)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761).wrapping_add(seed.wrapping_mul(40_503));
                let first = x % 12;
                let step = if gaps { 1 + ((x >> 12) % 2) as usize } else { 1 };
                (first..=(first + (x >> 8) % 4).min(11)).step_by(step).collect()
            })
            .collect();
        let values = (0..n)
            .map(|i| {
                let x = (i as u32).wrapping_mul(97).wrapping_add(seed * 13);
                dated(10 + i64::from(x % 8), &format!("UB{}", x % 5), &quarters[i])
            })
            .collect();
        (quarters, values)
    }

    /// Whether an export holds a record and shows it (in the quarters, not suppressed).
    fn kept(c: &Choice, i: usize) -> bool {
        !c.suppressed[i] && !c.outside[i]
    }

    /// What an attacker holding two exports sees of a record: each attribute at both levels.
    fn seen<'a>(record: &'a [Vec<String>], a: &Choice, b: &Choice) -> Vec<&'a String> {
        (0..record.len()).flat_map(|attr| [&record[attr][a.levels[attr]], &record[attr][b.levels[attr]]]).collect()
    }

    /// The attack: someone holding two exports of different quarters and k finds the young people in
    /// both and keeps what each export says of them. Whoever they single out among fewer than the
    /// smaller k is exposed.
    #[test]
    #[allow(clippy::print_stderr)] // how many ranges narrowed an export is part of the test's output
    fn two_exports_of_different_quarters_say_no_more_than_the_finer_one() {
        let (mut exposed_somewhere, mut narrowed) = (0, 0);
        for seed in 0..40u32 {
            let (quarters, values) = population(seed, true);
            let n = values.len();
            let records = Records::new(&values);
            let path = chain(&records, &[AGE, AREA, WHEN]);
            let exports = [(0, 11, 5), (4, 7, 5), (8, 11, 7), (0, 3, 6), (2, 9, 10)];
            let choices: Vec<Choice> = exports
                .iter()
                .map(|&(f, t, k)| anonymise_among(&records, &path, k, 0.05, range(&quarters, f, t)))
                .collect();
            narrowed += choices.iter().filter(|c| c.levels[2] < 2 && c.outside.iter().any(|&o| o)).count();
            for (a, ca) in choices.iter().enumerate() {
                for (b, cb) in choices.iter().enumerate().skip(a + 1) {
                    let k = exports[a].2.min(exports[b].2);
                    let seen = |i: usize| seen(&values[i], ca, cb);
                    let both: Vec<usize> = (0..n).filter(|&i| kept(ca, i) && kept(cb, i)).collect();
                    let mut classes: HashMap<Vec<&String>, usize> = HashMap::new();
                    for &i in &both {
                        *classes.entry(seen(i)).or_default() += 1;
                    }
                    let exposed = both.iter().filter(|&&i| classes[&seen(i)] < k).count();
                    exposed_somewhere += exposed;
                    assert_eq!(exposed, 0, "seed {seed}: exports {a} and {b} together single out {exposed}");
                }
            }
        }
        assert_eq!(exposed_somewhere, 0);
        // The ranges did narrow exports (dates shown, some young people outside), in many cases.
        eprintln!("{narrowed} of 160 ranged exports held part of the records");
        assert!(narrowed >= 20, "only {narrowed} exports were narrowed by their range");
    }

    /// The same attack when who an export holds does not follow from what it shows (quarters
    /// chosen at a finer level than the dates shown) does expose young people: the test above can fail.
    #[test]
    fn a_range_finer_than_the_dates_shown_would_expose_young_people() {
        let mut exposed = 0;
        for seed in 0..40u32 {
            let (quarters, values) = population(seed, false);
            let n = values.len();
            let records = Records::new(&values);
            let path = chain(&records, &[AGE, AREA, WHEN]);
            // Quarters 4 to 5 chosen by the quarter whatever the level shown.
            let narrow = |_: &[usize]| quarters.iter().map(|q| q.iter().any(|&x| (4..=5).contains(&x))).collect();
            let ca = anonymise_among(&records, &path, 5, 0.05, range(&quarters, 0, 11));
            let cb = anonymise_among(&records, &path, 5, 0.05, narrow);
            let seen = |i: usize| seen(&values[i], &ca, &cb);
            // Being in the narrow export is itself known to the attacker.
            let mut classes: HashMap<(bool, Vec<&String>), usize> = HashMap::new();
            for i in (0..n).filter(|&i| kept(&ca, i)) {
                *classes.entry((kept(&cb, i), seen(i))).or_default() += 1;
            }
            exposed += (0..n).filter(|&i| kept(&ca, i) && classes[&(kept(&cb, i), seen(i))] < 5).count();
        }
        assert!(exposed > 0, "the attack finds nobody even with a range finer than the dates shown");
    }
}
