//! Residue: what is left in free text that is neither an ordinary word nor a placeholder.
//!
//! Not a finding (the audit cannot tell a rare word from a name no return holds), but a number
//! a data manager can watch per table: words that are on no word list, and tokens shaped like
//! identifiers (five digits or more, letters and digits mixed, `@handles`). Counted with the
//! audit's own tokenising and word lists, never the scrubber's.

use std::collections::BTreeMap;

use crate::audit::text::{folded, is_ordinary_word, placeholders};

/// Counts by (table, kind of residue).
pub type Residue = BTreeMap<(String, &'static str), usize>;

/// Adds the residue of one free-text value of `table` to `residue`.
pub fn count(table: &str, text: &str, residue: &mut Residue) {
    let text = placeholders().replace_all(text, " ");
    let mut add = |kind: &'static str| *residue.entry((table.to_string(), kind)).or_insert(0) += 1;
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '!' | '?')) {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '@');
        if token.is_empty() {
            continue;
        }
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let letters = token.chars().filter(|c| c.is_alphabetic()).count();
        if token.starts_with('@') && letters > 0 {
            add("handle");
        } else if digits >= 5 {
            add("long number");
        } else if digits >= 1 && letters >= 2 && token.chars().count() >= 6 {
            add("letters and digits");
        } else if digits == 0 {
            let is_unknown = token
                .split(['\'', '’', '-'])
                .map(folded)
                .filter(|w| w.chars().count() >= 2)
                .any(|w| !is_ordinary_word(&w) && !is_ordinary_word(w.trim_end_matches('s')));
            if is_unknown {
                add("word on no list");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residue_counts_unknown_words_and_identifier_shapes() {
        let mut residue = Residue::new();
        count(
            "episodes",
            "[NAME] seen with Xochitl at @dee_2k, ref 1234567 and AB12CD3; [PERSON:1a2b3c4d] fine.",
            &mut residue,
        );
        let get = |kind| residue.get(&("episodes".to_string(), kind)).copied().unwrap_or(0);
        assert_eq!(get("word on no list"), 1, "{residue:?}");
        assert_eq!((get("handle"), get("long number"), get("letters and digits")), (1, 1, 1));
    }
}
