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

    fn class_sizes(&self, levels: &[usize]) -> (HashMap<Vec<u32>, usize>, Vec<Vec<u32>>) {
        let keys: Vec<Vec<u32>> =
            self.values.iter().map(|r| r.iter().zip(levels).map(|(v, &l)| v[l]).collect()).collect();
        let mut sizes: HashMap<Vec<u32>, usize> = HashMap::new();
        for key in &keys {
            *sizes.entry(key.clone()).or_insert(0) += 1;
        }
        (sizes, keys)
    }

    fn violators(&self, levels: &[usize], k: usize) -> usize {
        self.class_sizes(levels).0.values().filter(|&&n| n < k).sum()
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
    let mut levels = vec![0; attributes.len()];
    let mut path = vec![levels.clone()];
    loop {
        let best = (0..attributes.len())
            .filter(|&a| levels[a] < attributes[a].left_out())
            .map(|a| {
                let mut next = levels.clone();
                next[a] += 1;
                let cost = attributes[a].weight / attributes[a].left_out().max(1) as f64;
                (records.violators(&next, CHAIN_CLASS), cost, a, next)
            })
            .min_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(&y.2)));
        let Some((_, _, _, next)) = best else { break };
        levels = next;
        path.push(levels.clone());
    }
    path
}

/// Takes the first point of `path` that leaves at most `max_suppression` of the records in
/// classes smaller than k, then suppresses the records still in such classes.
pub fn anonymise(records: &Records, path: &[Vec<usize>], k: usize, max_suppression: f64) -> Choice {
    let n = records.values.len();
    let allowed = (n as f64 * max_suppression).floor() as usize;
    let levels =
        path.iter().find(|levels| records.violators(levels, k) <= allowed).or(path.last()).cloned().unwrap_or_default();
    let (sizes, keys) = records.class_sizes(&levels);
    let suppressed: Vec<bool> = keys.iter().map(|key| sizes[key] < k).collect();
    let kept: Vec<usize> = sizes.values().copied().filter(|&s| s >= k).collect();
    Choice { levels, suppressed, smallest_class: kept.iter().copied().min().unwrap_or(0), classes: kept.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
