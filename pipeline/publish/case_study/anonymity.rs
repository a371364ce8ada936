//! k-anonymity over every quasi-identifier an export carries.
//!
//! Each quasi-identifier (something a person could know about a child: age,
//! gender, ethnicity, postcode, school, disability, how many episodes, when
//! things happened) has a generalisation hierarchy whose last level leaves the
//! column out. Every combination of levels is ordered by the information it
//! loses (each attribute's share of its way to being left out, times its weight, summed); the
//! first that leaves at most the allowed share of young people in classes
//! smaller than k is chosen (among equals, the one that suppresses fewest),
//! and the young people still in such classes are suppressed.

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

/// Chooses the least generalisation that leaves at most `max_suppression` of the records in
/// classes smaller than k, then suppresses the records still in such classes.
pub fn anonymise(records: &Records, attributes: &[Attribute], k: usize, max_suppression: f64) -> Choice {
    let n = records.values.len();
    let allowed = (n as f64 * max_suppression).floor() as usize;
    let radix: Vec<usize> = attributes.iter().map(|a| a.levels.len()).collect();
    let total: usize = radix.iter().product();
    let loss = |levels: &[usize]| -> f64 {
        levels.iter().zip(attributes).map(|(&l, a)| a.weight * l as f64 / a.left_out().max(1) as f64).sum()
    };
    let mut combos: Vec<(f64, Vec<usize>)> = (0..total)
        .map(|mut c| {
            let levels: Vec<usize> = radix
                .iter()
                .map(|&r| {
                    let l = c % r;
                    c /= r;
                    l
                })
                .collect();
            (loss(&levels), levels)
        })
        .collect();
    combos.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut best: Option<(f64, usize, Vec<usize>)> = None;
    for (l, levels) in combos {
        if best.as_ref().is_some_and(|(bl, _, _)| l > bl + 1e-9) {
            break;
        }
        let v = records.violators(&levels, k);
        if v <= allowed && best.as_ref().is_none_or(|(_, bv, _)| v < *bv) {
            best = Some((l, v, levels));
        }
    }
    // Leaving every column out always qualifies, unless there are fewer than k records.
    let levels = best.map(|(_, _, l)| l).unwrap_or_else(|| attributes.iter().map(Attribute::left_out).collect());
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
        let choice = anonymise(&records, &[AGE, AREA], 5, 0.05);
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
    fn fewer_than_k_records_are_all_suppressed() {
        let values: Vec<Vec<Vec<String>>> = (0..3).map(|i| record(12 + i, "UB1")).collect();
        let choice = anonymise(&Records::new(&values), &[AGE, AREA], 5, 0.05);
        assert!(choice.suppressed.iter().all(|&s| s));
        assert_eq!(choice.smallest_class, 0);
    }
}
