//! The disclosure policy: one file, built in (`policy/disclosure.toml`) or
//! given with `--policy`.
//!
//! Deserialised strictly (an unknown key is an error naming it) and checked
//! before anything runs; [`crate::engine::disclosure`] applies it to metric
//! rows and case-study exports take their k from it.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The built-in policy.
pub const DEFAULT_POLICY: &str = include_str!("../../policy/disclosure.toml");

/// Disclosure policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Smallest count that is suppressed (1).
    pub suppress_min: i64,
    /// Largest count that is suppressed (5).
    pub suppress_max: i64,
    /// Whether secondary suppression is applied over linked figures.
    pub secondary_suppression: bool,
    /// Programme-wide counts are rounded to a multiple of this (10).
    pub round_programme_to: i64,
    /// Fewest whole values the attacker's interval of a suppressed figure may hold (3).
    pub protection_level: i64,
    /// Decimal places of published values.
    pub value_decimals: u32,
    /// k for record-level exports.
    pub k_anonymity: usize,
    /// The public practice each setting follows, by setting.
    #[serde(default)]
    pub sources: std::collections::BTreeMap<String, String>,
}

impl Policy {
    /// Parses a policy file's text.
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let policy: Policy = toml::from_str(text)
            .map_err(|e| Error::Schema { file: origin.to_string(), message: e.to_string().trim_end().to_string() })?;
        if policy.suppress_min < 1
            || policy.suppress_max < policy.suppress_min
            || policy.round_programme_to < 1
            || policy.protection_level < 1
        {
            return Err(Error::Schema {
                file: origin.to_string(),
                message: "need 1 ≤ suppress_min ≤ suppress_max, round_programme_to ≥ 1 and protection_level ≥ 1".into(),
            });
        }
        Ok(policy)
    }

    /// The built-in policy, or the one in `path`.
    pub fn load(path: Option<&Path>) -> Result<Policy> {
        match path {
            None => Policy::parse(DEFAULT_POLICY, "policy/disclosure.toml (built in)"),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(Error::io("cannot read", p))?;
                Policy::parse(&text, &p.display().to_string())
            }
        }
    }

    /// Whether a count falls in the suppressed range.
    pub fn is_small(&self, n: Option<i64>) -> bool {
        n.is_some_and(|n| n >= self.suppress_min && n <= self.suppress_max)
    }

    /// A programme-wide count rounded to the policy's step.
    pub fn round(&self, n: Option<i64>) -> Option<i64> {
        let step = self.round_programme_to;
        n.map(|n| ((n + step / 2).div_euclid(step)) * step)
    }

    /// A value rounded to the published decimals.
    pub fn round_value(&self, v: Option<f64>) -> Option<f64> {
        let scale = 10f64.powi(self.value_decimals as i32);
        v.map(|v| (v * scale).round() / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_file_rejects_unknown_keys() {
        let err = Policy::parse("suppress_min = 1\nsupress_max = 5\n", "p.toml").expect_err("typo");
        assert!(err.to_string().contains("supress_max"));
    }
}
