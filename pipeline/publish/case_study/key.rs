//! The export's own key, display names and local ids: what makes two exports unlinkable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use crate::error::{Error, Result};

/// A random key drawn for one export and never written anywhere: it seeds the export's display
/// names, its local ids (`YP-001`…) and its row order, so two exports of one warehouse share no
/// name, id or order that would join them, and nobody holding the warehouse can recompute them.
pub struct ExportKey([u8; 32]);

impl ExportKey {
    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<ExportKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Key(format!("no randomness for the export's own key ({e})")))?;
        Ok(ExportKey(bytes))
    }

    /// A key from given bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> ExportKey {
        ExportKey(bytes)
    }

    /// A keyed digest of `value` under `label`: stable within the export, unguessable outside it.
    fn digest(&self, label: &str, value: &str) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(label.as_bytes());
        mac.update(b"\x1f");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A seed for this export's random choices about `value`.
    fn seed(&self, label: &str, value: &str) -> u64 {
        let d = self.digest(label, value);
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// Export-local ids (`{prefix}{n:03}`) for a set of values, numbered in an order only this
    /// export knows.
    pub fn local_ids<'a>(
        &self,
        label: &str,
        values: impl IntoIterator<Item = &'a String>,
        format: impl Fn(usize) -> String,
    ) -> BTreeMap<String, String> {
        let mut ordered: Vec<(&String, [u8; 32])> = values.into_iter().map(|v| (v, self.digest(label, v))).collect();
        ordered.sort_by_key(|(_, digest)| *digest);
        ordered.into_iter().enumerate().map(|(n, (v, _))| (v.clone(), format(n + 1))).collect()
    }

    /// Shuffles a table's rows in an order only this export knows.
    pub fn shuffle<T>(&self, table: &str, rows: &mut [T]) {
        use rand::seq::SliceRandom;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed("rows", table));
        rows.shuffle(&mut rng);
    }
}

/// A display name for a person, drawn with `fake` from a seed that only this export's key gives.
fn display_name(person_id: &str, attempt: u64, key: &ExportKey) -> String {
    let seed = key.seed("display name", person_id) ^ attempt.wrapping_mul(0x9e37_79b9);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first: String = FirstName(EN).fake_with_rng(&mut rng);
    let last: String = LastName(EN).fake_with_rng(&mut rng);
    format!("{first} {last}")
}

/// Display names for a set of people: unique in the set, the same within one export (one key),
/// different in another.
pub fn display_names(person_ids: &BTreeSet<String>, key: &ExportKey) -> BTreeMap<String, String> {
    let mut used = BTreeSet::new();
    let mut out = BTreeMap::new();
    for id in person_ids {
        let mut attempt = 0;
        let mut name = display_name(id, attempt, key);
        while used.contains(&name) {
            attempt += 1;
            name = display_name(id, attempt, key);
        }
        used.insert(name.clone());
        out.insert(id.clone(), name);
    }
    out
}

/// Replaces `[PERSON:xxxxxxxx]` tokens with display names.
pub fn name_people(text: &str, by_token: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[PERSON") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find(']') else {
            out.push_str(after);
            return out;
        };
        let token = &after[..=end];
        let replacement = match token.strip_prefix("[PERSON:").and_then(|t| t.strip_suffix(']')) {
            Some(prefix) => by_token.get(prefix).cloned().unwrap_or_else(|| "[another young person]".into()),
            None => "[a young person]".into(),
        };
        out.push_str(&replacement);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_stable_within_an_export_unique_and_new_in_the_next() {
        let ids: BTreeSet<String> = (0..500).map(|i| format!("{:032x}", i * 7919)).collect();
        let key = ExportKey::from_bytes([7; 32]);
        let a = display_names(&ids, &key);
        let b = display_names(&ids, &key);
        assert_eq!(a, b);
        let unique: BTreeSet<&String> = a.values().collect();
        assert_eq!(unique.len(), ids.len());
        let other = display_names(&ids, &ExportKey::from_bytes([8; 32]));
        let same = ids.iter().filter(|id| a[*id] == other[*id]).count();
        assert!(same < 5, "{same} of 500 people kept their display name under another export key");
    }

    #[test]
    fn tokens_become_display_names() {
        let mut by_token = HashMap::new();
        by_token.insert("abcd1234".to_string(), "Ada Lovelace".to_string());
        let out = name_people("[PERSON:abcd1234] met [PERSON:ffff0000] and [PERSON] at [ADDRESS].", &by_token);
        assert_eq!(out, "Ada Lovelace met [another young person] and [a young person] at [ADDRESS].");
    }
}
