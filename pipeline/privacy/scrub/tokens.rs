//! Words for the scrubber: splitting a text into words, folding each to its
//! matching key, and the inline-keyed maps that every look-up goes through.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Hash maps keyed by short words: a fast hash (no keys chosen by an attacker reach it
/// that could matter more than a slower scrub).
pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A set with the same hashing.
pub(super) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Longest word held inline in a [`WordMap`]'s table.
pub(super) const INLINE: usize = 24;

/// A word of up to [`INLINE`] bytes, zero-padded: a key compared without following a pointer.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct InlineWord([u8; INLINE]);

impl InlineWord {
    pub(super) fn new(word: &str) -> Option<InlineWord> {
        let bytes = word.as_bytes();
        if bytes.len() > INLINE || bytes.contains(&0) {
            return None;
        }
        let mut inline = [0; INLINE];
        inline[..bytes.len()].copy_from_slice(bytes);
        Some(InlineWord(inline))
    }
}

/// A map keyed by words. Look-ups run for every word of every note, so short words (nearly
/// all of them) sit inline in the table, where a look-up compares them in place. Once
/// [`WordMap::seal`]ed, a Bloom filter of its words, small enough for the cache, answers most
/// look-ups of a word it does not hold without touching the table.
pub(super) struct WordMap<V> {
    short: HashMap<InlineWord, V>,
    long: HashMap<String, V>,
    /// Two bits per word held (see [`filter_positions`]); empty when not sealed, or changed since.
    filter: Vec<u64>,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap { short: HashMap::default(), long: HashMap::default(), filter: Vec::new() }
    }
}

/// The two bits of a word in a filter of `words` 64-bit words (a power of two).
fn filter_positions(word: &str, words: usize) -> (usize, usize) {
    // FNV-1a, then a multiply to spread its bits: the two positions come from its two halves.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mask = (words * 64 - 1) as u64;
    ((h & mask) as usize, ((h >> 32) & mask) as usize)
}

impl<V> WordMap<V> {
    /// Builds the filter of the words held now: call once every word is in.
    pub(super) fn seal(&mut self) {
        // Sixteen bits per word, two set by each: about one look-up in seventy of a word that is
        // not held reaches the table.
        let words = (self.len() * 16 / 64).max(64).next_power_of_two();
        let mut filter = vec![0u64; words];
        for (word, _) in self.entries() {
            let (a, b) = filter_positions(word, words);
            filter[a / 64] |= 1 << (a % 64);
            filter[b / 64] |= 1 << (b % 64);
        }
        self.filter = filter;
    }

    /// Whether the word may be held: `false` only when the filter says it is not.
    fn may_hold(&self, word: &str) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let (a, b) = filter_positions(word, self.filter.len());
        self.filter[a / 64] & (1 << (a % 64)) != 0 && self.filter[b / 64] & (1 << (b % 64)) != 0
    }

    pub(super) fn get(&self, word: &str) -> Option<&V> {
        if !self.may_hold(word) {
            return None;
        }
        match InlineWord::new(word) {
            Some(key) => self.short.get(&key),
            None => self.long.get(word),
        }
    }

    pub(super) fn get_mut(&mut self, word: &str) -> Option<&mut V> {
        match InlineWord::new(word) {
            Some(key) => self.short.get_mut(&key),
            None => self.long.get_mut(word),
        }
    }

    pub(super) fn insert(&mut self, word: &str, value: V) {
        self.filter.clear();
        match InlineWord::new(word) {
            Some(key) => self.short.insert(key, value),
            None => self.long.insert(word.to_string(), value),
        };
    }

    /// Every word and its value.
    pub(super) fn entries(&self) -> impl Iterator<Item = (&str, &V)> {
        let short = self.short.iter().filter_map(|(word, v)| {
            let len = word.0.iter().position(|b| *b == 0).unwrap_or(INLINE);
            std::str::from_utf8(&word.0[..len]).ok().map(|w| (w, v))
        });
        short.chain(self.long.iter().map(|(word, v)| (word.as_str(), v)))
    }

    /// Inserts `value`, or merges it into the value already held for the word; one look-up.
    pub(super) fn upsert(&mut self, word: &str, value: V, merge: impl FnOnce(&mut V, V)) {
        self.filter.clear();
        match InlineWord::new(word) {
            Some(key) => match self.short.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut held) => merge(held.get_mut(), value),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            },
            None => match self.long.get_mut(word) {
                Some(held) => merge(held, value),
                None => {
                    self.long.insert(word.to_string(), value);
                }
            },
        }
    }

    pub(super) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        self.short.reserve(additional);
    }
}

/// Matching key of a word: lowercase letters and digits, accents and apostrophes removed,
/// letters without a decomposition spelled in ASCII (Ł → l, Đ → d, Ø → o, ß → ss).
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

/// [`fold`] into a reused buffer; the ASCII case without Unicode decomposition.
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.extend(word.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase() as char));
        return;
    }
    for c in word.nfkd().filter(|c| !is_combining_mark(*c)) {
        match spelled(c) {
            Some(ascii) => out.push_str(ascii),
            None if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            None => {}
        }
    }
}

/// Letters that Unicode does not decompose into a base letter and a mark, as they are
/// written in ASCII.
fn spelled(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ø' | 'Ø' => "o",
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        'ŧ' | 'Ŧ' => "t",
        'ŀ' | 'Ŀ' => "l",
        _ => return None,
    })
}

pub(super) struct Word {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Where the folded word (without a possessive) sits in the keys buffer.
    pub(super) key_start: usize,
    pub(super) key_end: usize,
}

/// Byte spans of the words of a text: letters and digits, with apostrophes and
/// hyphens inside a word.
pub(super) fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    // The character at byte `at` (a char boundary) and its length; ASCII without decoding.
    let char_at = move |at: usize| -> Option<(char, usize)> {
        match bytes.get(at) {
            None => None,
            Some(&b) if b < 0x80 => Some((b as char, 1)),
            Some(_) => text[at..].chars().next().map(|c| (c, c.len_utf8())),
        }
    };
    let is_word_char = |c: char| if c.is_ascii() { c.is_ascii_alphanumeric() } else { c.is_alphanumeric() };
    let mut i = 0;
    std::iter::from_fn(move || {
        let mut start: Option<usize> = None;
        while let Some((c, len)) = char_at(i) {
            let is_inner = matches!(c, '\'' | '’' | '-')
                && start.is_some()
                && char_at(i + len).is_some_and(|(next, _)| is_word_char(next));
            let at = i;
            i += len;
            if is_word_char(c) || is_inner {
                if start.is_none() {
                    start = Some(at);
                }
            } else if let Some(s) = start {
                return Some((s, at));
            }
        }
        start.map(|s| (s, text.len()))
    })
}

/// Words of a text: letters and digits, with apostrophes and hyphens inside a
/// word; and one buffer holding every word's folded key.
pub(super) fn words(text: &str) -> (Vec<Word>, String) {
    let mut out = Vec::with_capacity(text.len() / 5);
    let mut keys = String::with_capacity(text.len());
    let mut scratch = String::new();
    for (s, e) in word_spans(text) {
        let original = &text[s..e];
        // A word's key leaves out a possessive `'s`, so "Jayden's" matches "Jayden".
        let base = original.strip_suffix("'s").or_else(|| original.strip_suffix("’s")).unwrap_or(original);
        fold_into(base, &mut scratch);
        let key_start = keys.len();
        keys.push_str(&scratch);
        out.push(Word { start: s, end: e, key_start, key_end: keys.len() });
    }
    (out, keys)
}

pub(super) fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || c == '-').map(fold).filter(|k| k.chars().count() >= 2).collect()
}

pub(super) fn possessive_suffix(original: &str) -> &'static str {
    if original.ends_with("'s") || original.ends_with("’s") { "'s" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_spells_letters_without_a_decomposition() {
        for (a, b) in [
            ("Łukasz", "lukasz"),
            ("ĐẶNG", "dang"),
            ("Søren", "soren"),
            ("Strauß", "strauss"),
            ("O'Driscoll", "odriscoll"),
            ("Zoë", "zoe"),
            ("ＡＭＡＲＡ", "amara"),
            ("Işıl", "isil"),
        ] {
            assert_eq!(fold(a), b, "{a}");
        }
    }

    /// The byte-level word splitter agrees with the plain definition on any text.
    fn word_spans_by_chars(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let is_inner = matches!(c, '\'' | '’' | '-')
                && start.is_some()
                && chars.peek().is_some_and(|&(_, next)| next.is_alphanumeric());
            if c.is_alphanumeric() || is_inner {
                start.get_or_insert(i);
            } else if let Some(s) = start.take() {
                out.push((s, i));
            }
        }
        out.extend(start.map(|s| (s, text.len())));
        out
    }

    proptest::proptest! {
        #[test]
        fn word_spans_match_the_definition(text in "[a-cé’'\\- 0-9ÅΩ,.\t\n]{0,40}", other in "\\PC{0,30}") {
            for t in [&text, &other] {
                proptest::prop_assert_eq!(word_spans(t).collect::<Vec<_>>(), word_spans_by_chars(t));
            }
        }
    }

    #[test]
    fn word_maps_hold_short_and_long_words() {
        let mut map = WordMap::default();
        let long = "a".repeat(INLINE + 1);
        for word in ["ab", "", long.as_str(), "a".repeat(INLINE).as_str()] {
            assert!(map.get(word).is_none());
            map.insert(word, word.len());
            assert_eq!(map.get(word), Some(&word.len()));
        }
        assert!(map.get("ab\0").is_none() && map.get("a").is_none() && map.get(&"a".repeat(INLINE + 2)).is_none());
        assert_eq!(map.len(), 4);
    }

    proptest::proptest! {
        /// A sealed map answers every look-up as the map without its filter does, and an insert
        /// after sealing is found.
        #[test]
        fn a_sealed_map_answers_as_the_map(
            words in proptest::collection::vec("[a-zé]{0,30}", 0..200),
            probes in proptest::collection::vec("[a-zé]{0,30}", 0..200),
        ) {
            let mut sealed = WordMap::default();
            let mut open = WordMap::default();
            for (n, w) in words.iter().enumerate() {
                sealed.insert(w, n);
                open.insert(w, n);
            }
            sealed.seal();
            for p in words.iter().chain(&probes) {
                proptest::prop_assert_eq!(sealed.get(p), open.get(p));
            }
            sealed.insert("zzzz", 7);
            proptest::prop_assert_eq!(sealed.get("zzzz"), Some(&7));
        }
    }
}
