//! The normal form of an identifier.
//!
//! Part of the pseudonymisation contract (PRODUCT.md §5, written out in
//! `data-dictionary.md` so an authority can reproduce it): the same id
//! written with other spacing, case or Unicode composition is the same id.
//! Validation uses it to check references inside a return (an episode's
//! child id against the young people's), and [`crate::privacy::keys`] uses
//! it before every HMAC, so the two can never disagree.

use unicode_normalization::UnicodeNormalization;

const ZERO_WIDTH: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// Normalises an identifier before it is pseudonymised: Unicode NFC, zero-width
/// characters removed, trim, inner runs of whitespace collapsed to one space,
/// Unicode uppercase.
pub fn normalise(value: &str) -> String {
    // Fast path: printable ASCII without lowercase letters or stray spaces is already normal.
    let b = value.as_bytes();
    let is_plain = !b.is_empty()
        && b.iter().all(|&c| c.is_ascii_graphic() && !c.is_ascii_lowercase() || c == b' ')
        && b[0] != b' '
        && b[b.len() - 1] != b' '
        && !value.contains("  ");
    if is_plain {
        return value.to_string();
    }
    // ASCII is already NFC and holds no zero-width character.
    let nfc: std::borrow::Cow<str> = if value.is_ascii() {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(value.nfc().filter(|c| !ZERO_WIDTH.contains(c)).collect())
    };
    let mut out = String::with_capacity(nfc.len());
    for word in nfc.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_ascii() {
        out.make_ascii_uppercase();
        out
    } else {
        out.to_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_width_characters_do_not_make_a_new_id() {
        assert_eq!(normalise("C\u{200B}123\u{FEFF}"), "C123");
        assert_ne!(normalise("00123"), normalise("123"), "leading zeros are part of an id");
    }

    #[test]
    fn normalise_is_nfc_trimmed_collapsed_upper() {
        assert_eq!(normalise("  zo\u{0065}\u{0308}  o'connor\t"), "ZOË O'CONNOR");
        assert_eq!(normalise("Zo\u{00eb}"), normalise("Zoe\u{0308}"));
    }

    proptest! {
        #[test]
        fn fast_paths_agree_with_the_definition(v in "[ -~\t\n\x0b\x0c\r]{0,24}|\\PC{0,12}") {
            let nfc: String = v.nfc().filter(|c| !ZERO_WIDTH.contains(c)).collect();
            let defined = nfc.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
            prop_assert_eq!(normalise(&v), defined);
        }
    }
}
