//! The typed patterns: e-mail addresses, street addresses, postcodes, phone
//! numbers, NHS numbers, UPNs and dates, each with its placeholder.
//!
//! Which patterns can only match a text holding a digit or `@` is worked
//! out from each pattern's syntax tree, so the scrubber skips them for
//! texts without one and an edited pattern cannot be skipped wrongly.

use std::sync::OnceLock;

use regex::Regex;

/// The words inside this scrubber's own placeholders (`[NAME]`, `[PERSON:1a2b3c4d]`, `[DATE]`…),
/// which a second pass leaves alone. Anything else in brackets is scrubbed like any word.
pub(super) const LABELS: &[&str] =
    &["NAME", "PERSON", "SCHOOL", "EMAIL", "ADDRESS", "POSTCODE", "PHONE", "NHS", "UPN", "DATE"];

/// The typed patterns in the order they run.
pub(super) struct Patterns {
    /// Each pattern, its label, and whether it can match a text with no number and no `@`.
    pub(super) list: Vec<(Regex, &'static str, bool)>,
    /// All of them, to find in one pass which ones occur.
    pub(super) set: regex::RegexSet,
}

/// Whether a character is one that most typed patterns need: a digit (any script) or `@`.
pub(super) fn is_number_or_at(c: char) -> bool {
    c == '@' || c.is_numeric()
}

/// Whether a text has a character of [`is_number_or_at`]; most notes are ASCII.
pub(super) fn has_number_or_at(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_digit() || b == b'@')
    } else {
        text.chars().any(is_number_or_at)
    }
}

/// Whether every match of a parsed pattern holds a character of [`is_number_or_at`]:
/// worked out from the pattern itself, so a pattern edited later cannot be skipped wrongly.
pub(super) fn always_needs_number_or_at(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).chars().any(is_number_or_at),
        HirKind::Class(Class::Unicode(class)) => {
            !class.ranges().is_empty() && class.ranges().iter().all(|r| (r.start()..=r.end()).all(is_number_or_at))
        }
        HirKind::Class(Class::Bytes(class)) => {
            !class.ranges().is_empty()
                && class.ranges().iter().all(|r| (r.start()..=r.end()).all(|b| is_number_or_at(b as char)))
        }
        HirKind::Repetition(rep) => rep.min >= 1 && always_needs_number_or_at(&rep.sub),
        HirKind::Capture(cap) => always_needs_number_or_at(&cap.sub),
        HirKind::Concat(parts) => parts.iter().any(always_needs_number_or_at),
        HirKind::Alternation(options) => options.iter().all(always_needs_number_or_at),
    }
}

/// The typed patterns, built once.
pub(super) fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
        const STREET: &str = r"(?:Road|Rd|Street|St|Close|Avenue|Ave|Lane|Way|Gardens|Crescent|Drive|Court|Place|Terrace|Grove|Square|Walk|Mews|Row|Parade|Hill|Park|Rise|View|Green)";
        let list: Vec<(String, &'static str)> = vec![
            (r"(?i)\b[a-z0-9._%+'’-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b".into(), "[EMAIL]"),
            (format!(r"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){{1,3}}{STREET}\b"), "[ADDRESS]"),
            (r"(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b".into(), "[POSTCODE]"),
            (r"(?:\+44\s?(?:\(0\)\s?)?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b".into(), "[PHONE]"),
            (r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b".into(), "[NHS]"),
            (r"(?i)\b[A-Z]\d{11}[0-9A-Z]\b".into(), "[UPN]"),
            (r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b".into(), "[DATE]"),
            (format!(r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b(?:\s+\d{{4}})?"), "[DATE]"),
            (format!(r"(?i)\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"), "[DATE]"),
            (format!(r"\b(?:[A-Z][\w'’-]*\s+){{1,3}}{STREET}\b"), "[ADDRESS]"),
        ];
        // Every `\b` becomes an ASCII word boundary: that keeps each pattern on the fast DFA
        // engines even in notes with accented letters (a Unicode `\b` there falls back to a much
        // slower engine); a letter such as é then counts as a boundary, which can only redact more.
        let compiled: Vec<(Regex, &'static str, bool)> = list
            .into_iter()
            .filter_map(|(re, label)| {
                let re = re.replace(r"\b", r"(?-u:\b)");
                let anywhere = !regex_syntax::parse(&re).is_ok_and(|hir| always_needs_number_or_at(&hir));
                Regex::new(&re).ok().map(|r| (r, label, anywhere))
            })
            .collect();
        let set = regex::RegexSet::new(compiled.iter().map(|(r, _, _)| r.as_str()))
            .unwrap_or_else(|_| regex::RegexSet::empty());
        Patterns { list: compiled, set }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(patterns().list.len(), 10);
        assert_eq!(patterns().set.len(), 10);
    }

    #[test]
    fn patterns_that_need_a_digit_or_at_are_told_from_the_pattern() {
        let needs = |re: &str| always_needs_number_or_at(&regex_syntax::parse(re).expect("pattern"));
        assert!(needs(r"\d{3}") && needs(r"(?i)[a-z]+@[a-z]+") && needs(r"(?:\+44|\b0)\d") && needs("x[0-9]?7"));
        assert!(!needs(r"\d*") && !needs(r"[A-Z]\w+") && !needs(r"\d|[a-z]") && !needs(r"(?:\d)?x") && !needs(""));
        // Only the street-name address can match a text with no digit and no `@`.
        let anywhere: Vec<bool> = patterns().list.iter().map(|(_, _, anywhere)| *anywhere).collect();
        assert_eq!(anywhere, [false, false, false, false, false, false, false, false, false, true]);
        assert!(has_number_or_at("a@b") && has_number_or_at("Zoë 7") && has_number_or_at("Zoë \u{0663}"));
        assert!(!has_number_or_at("Zoë seen on Acacia Avenue") && !has_number_or_at("plain words"));
    }
}
