//! The audit's own reading of text: folding, tokens, placeholders.
//!
//! Written apart from the scrubber on purpose: a checker that borrowed the
//! scrubber's folding or tokenising would be blind to exactly the bugs in
//! them. It folds harder than it needs to (compatibility decomposition,
//! letters without a decomposition such as ł, đ, ø and ß spelled out,
//! apostrophes and hyphens dropped), so any spelling of a name that a reader
//! would recognise is caught.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word folded for comparison: compatibility-decomposed, marks dropped, letters that do
/// not decompose spelled in ASCII, lowercase, letters and digits only.
pub fn fold_word(word: &str, out: &mut String) {
    out.clear();
    for c in word.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ø' | 'Ø' => out.push('o'),
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'þ' | 'Þ' => out.push_str("th"),
            'ı' => out.push('i'),
            'ħ' | 'Ħ' => out.push('h'),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
}

/// Ordinary words (the English word list and the domain vocabulary the scrubber keeps), folded:
/// a young person's name that is one of these ("Will", "White") is looked for only where it
/// is written as a name, capitalised. Read from the same data files as the scrubber, with the
/// audit's own parsing and folding.
pub fn is_ordinary_word(key: &str) -> bool {
    static WORDS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    WORDS
        .get_or_init(|| {
            let lists =
                [include_str!("../../reference/words/english.txt"), include_str!("../../reference/words/domain.txt")];
            lists
                .iter()
                .flat_map(|list| list.lines())
                .filter(|line| !line.trim_start().starts_with('#'))
                .flat_map(str::split_whitespace)
                .map(folded)
                .filter(|w| !w.is_empty())
                .collect()
        })
        .contains(key)
}

/// [`fold_word`] into a new string.
pub fn folded(word: &str) -> String {
    let mut out = String::new();
    fold_word(word, &mut out);
    out
}

/// Uppercase with every white space removed: how ids and postcodes are compared.
pub fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// The words of a text for the name look-up: runs of letters, digits and apostrophes.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty())
}

/// The parts of a name cell: split at white space, hyphens and the separators of a list of names.
pub fn name_parts(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | '/' | '(' | ')')).filter(|w| !w.is_empty())
}

/// Byte spans of the maximal runs of letters and digits of a text.
pub fn alphanumeric_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|(_, c)| c.is_alphanumeric())?;
        let mut end = text.len();
        while let Some(&(at, c)) = chars.peek() {
            if !c.is_alphanumeric() {
                end = at;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// Whether the match `start..end` of `haystack` is a whole token.
#[cfg(test)]
pub fn is_whole(haystack: &str, start: usize, end: usize) -> bool {
    let before = haystack[..start].chars().next_back();
    let after = haystack[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Whether `needle` occurs in `haystack` as a whole token.
#[cfg(test)]
pub fn contains_token(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, m)| is_whole(haystack, at, at + m.len()))
}

/// The scrubber's placeholders as they appear in outputs (`[NAME]`, `[PERSON:1a2b…]`): not names,
/// even for a young person called Name or Date. Recognised by their shape, not by the scrubber's list.
pub fn placeholders() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\[[A-Z_]+(?::[0-9a-f]{1,32})?\]").unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_reaches_letters_without_a_decomposition() {
        for (a, b) in [
            ("Łukasz", "lukasz"),
            ("ĐặNG", "dang"),
            ("Søren", "soren"),
            ("Strauß", "strauss"),
            ("O’Driscoll", "odriscoll"),
            ("Zoë", "zoe"),
            ("ＡＭＡＲＡ", "amara"),
        ] {
            assert_eq!(folded(a), b, "{a}");
        }
    }

    #[test]
    fn name_parts_and_words() {
        assert_eq!(name_parts("Mary-Jane  O'Neil").collect::<Vec<_>>(), ["Mary", "Jane", "O'Neil"]);
        assert_eq!(words("met O'Neil, then (Zoë).").collect::<Vec<_>>(), ["met", "O'Neil", "then", "Zoë"]);
    }

    #[test]
    fn alphanumeric_runs_are_maximal() {
        let runs: Vec<_> = alphanumeric_runs("  ab-c1 Ø2å,").collect();
        assert_eq!(runs, [(2, 4), (5, 7), (8, 13)]);
        assert_eq!(alphanumeric_runs("").count(), 0);
    }

    #[test]
    fn tokens_are_whole() {
        assert!(contains_token("SEEN WITH C123 TODAY", "C123"));
        assert!(!contains_token("SEEN WITH C1234 TODAY", "C123"));
        assert!(!contains_token("ABC123", "C123"));
        assert!(contains_token("C123", "C123"));
    }
}
