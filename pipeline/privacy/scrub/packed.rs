//! Short words with a byte of flags, packed in one machine word each.
//!
//! Most words of a note are short, and every one is looked up in the lexicon. A word of up
//! to 7 bytes fits in a `u64` with its flags in the top byte, so the table is one array of
//! `u64` (half a MiB for the lexicon's 27,000 short words, where a general hash map takes several):
//! a look-up reads one slot, or a few neighbours, and compares the word exactly.

/// The low seven bytes of a slot: the word.
const WORD: u64 = (1 << 56) - 1;

/// Words of 1 to 7 bytes (no zero byte) with their flags; open addressing, linear probing,
/// at most half full so that every probe ends at an empty slot.
pub(super) struct PackedWords {
    slots: Vec<u64>,
    /// log2 of the number of slots.
    bits: u32,
}

impl PackedWords {
    /// The word as a key: its bytes, little-endian, in the low seven bytes; `None` when it is
    /// empty, longer than 7 bytes or holds a zero byte.
    pub(super) fn key(word: &str) -> Option<u64> {
        let bytes = word.as_bytes();
        if bytes.is_empty() || bytes.len() > 7 || bytes.contains(&0) {
            return None;
        }
        let mut eight = [0u8; 8];
        eight[..bytes.len()].copy_from_slice(bytes);
        Some(u64::from_le_bytes(eight))
    }

    /// A table of the given keys (from [`PackedWords::key`]) and their flags. A flag byte of 0
    /// is kept as such: the slot is still taken, since the word is never 0.
    pub(super) fn new(entries: &[(u64, u8)]) -> PackedWords {
        let bits = (entries.len().max(8) * 2).next_power_of_two().trailing_zeros();
        let mut table = PackedWords { slots: vec![0; 1 << bits], bits };
        for &(key, flags) in entries {
            let mut i = table.home(key);
            loop {
                let slot = table.slots[i];
                if slot == 0 || slot & WORD == key {
                    table.slots[i] = key | (u64::from(flags) << 56);
                    break;
                }
                i = (i + 1) & table.mask();
            }
        }
        table
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The first slot to look at: the high bits of the key times a large odd constant.
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    /// The flags of a key, or `None` when the word is not in the table.
    pub(super) fn get(&self, key: u64) -> Option<u8> {
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot & WORD == key {
                return Some((slot >> 56) as u8);
            }
            i = (i + 1) & self.mask();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn only_words_of_one_to_seven_bytes_without_a_zero_are_keys() {
        assert!(PackedWords::key("").is_none() && PackedWords::key("abcdefgh").is_none());
        assert!(PackedWords::key("a\0").is_none() && PackedWords::key("ł").is_some());
        assert_ne!(PackedWords::key("ab"), PackedWords::key("ab\u{1}"));
    }

    proptest::proptest! {
        /// The table answers exactly as a map of the same words, for words in it and not.
        #[test]
        fn the_table_answers_as_a_map(
            words in proptest::collection::vec(("[a-zé]{1,7}", 0u8..=255), 0..300),
            probes in proptest::collection::vec("[a-zé]{1,8}", 0..100),
        ) {
            let model: HashMap<String, u8> = words.iter().map(|(w, f)| (w.clone(), *f)).collect();
            let entries: Vec<(u64, u8)> =
                model.iter().filter_map(|(w, f)| PackedWords::key(w).map(|k| (k, *f))).collect();
            let table = PackedWords::new(&entries);
            for word in model.keys().chain(probes.iter()) {
                let expected = model.get(word).copied().filter(|_| PackedWords::key(word).is_some());
                proptest::prop_assert_eq!(PackedWords::key(word).and_then(|k| table.get(k)), expected);
            }
        }
    }
}
