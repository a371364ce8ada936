//! Ids and postcodes held as fingerprints, not as text.
//!
//! A large warehouse has tens of millions of raw ids to look for. Held as
//! strings in a hash map they took more memory than the rest of the build;
//! here each is a 96-bit fingerprint packed with its owner (kind and
//! authority) into one `u128`, sorted, with a directory on the top bits so a
//! look-up touches one or two cache lines. Equal text always gives an equal
//! fingerprint, so the audit can never miss an id this way; two different
//! texts share a fingerprint with a chance of about one in 2⁹⁶ per look-up,
//! which would only ever raise a false alarm.

use std::hash::BuildHasher;

use foldhash::quality::FixedState;

/// The kind of identifier an owner records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Identifier,
    Upn,
    Postcode,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Identifier, Kind::Upn, Kind::Postcode];

    /// The name a finding reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Identifier => "identifier",
            Kind::Upn => "upn",
            Kind::Postcode => "postcode",
        }
    }
}

/// The 96-bit fingerprint of a normalised id, in the top bits of a `u128`.
pub fn fingerprint(text: &str) -> u128 {
    const SEEDS: [u64; 2] = [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344];
    let high = FixedState::with_seed(SEEDS[0]).hash_one(text.as_bytes()) as u128;
    let low = FixedState::with_seed(SEEDS[1]).hash_one(text.as_bytes()) as u128 & 0xffff_ffff;
    (high << 64 | low << 32) & !OWNER_MASK
}

const OWNER_MASK: u128 = 0xffff_ffff;

/// A fingerprint with its owner: the kind in the top 8 bits of the low 32, the authority below.
pub fn with_owner(fingerprint: u128, kind: Kind, authority: usize) -> u128 {
    let kind = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u128;
    fingerprint | kind << 24 | (authority as u128 & 0xff_ffff)
}

/// Every owned fingerprint, sorted, with a directory on the top bits.
#[derive(Default)]
pub struct Index {
    entries: Vec<u128>,
    /// `directory[b]` is the first entry whose top `bits` bits are `b` or more.
    directory: Vec<u32>,
    bits: u32,
}

impl Index {
    /// Sorts `entries` (fingerprints with owners) and builds the directory.
    pub fn new(mut entries: Vec<u128>) -> Index {
        entries.sort_unstable();
        entries.dedup();
        entries.shrink_to_fit();
        // About one bucket per two entries, at most 2²⁴ buckets (64 MiB).
        let bits = (usize::BITS - entries.len().leading_zeros()).saturating_sub(1).clamp(1, 24);
        let mut directory = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0usize;
        for bucket in 0..=(1u128 << bits) {
            while at < entries.len() && (entries[at] >> (128 - bits)) < bucket {
                at += 1;
            }
            directory.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        Index { entries, directory, bits }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The owners (kind, authority) of `text`, if any.
    pub fn owners(&self, text: &str) -> impl Iterator<Item = (Kind, usize)> + '_ {
        let wanted = fingerprint(text);
        let range = if self.entries.is_empty() {
            0..0
        } else {
            let bucket = (wanted >> (128 - self.bits)) as usize;
            self.directory[bucket] as usize..self.directory[bucket + 1] as usize
        };
        let slice = &self.entries[range];
        let start = slice.partition_point(|e| *e < wanted);
        slice[start..].iter().take_while(move |e| **e & !OWNER_MASK == wanted).map(|e| {
            let kind = Kind::ALL.get(((e >> 24) & 0xff) as usize).copied().unwrap_or(Kind::Identifier);
            (kind, (e & 0xff_ffff) as usize)
        })
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.entries.capacity() * 16 + self.directory.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_owner_of_an_id_is_found_and_nothing_else() {
        let mut entries = Vec::new();
        for i in 0..50_000 {
            entries.push(with_owner(fingerprint(&format!("C{i:05}")), Kind::Identifier, i % 7));
        }
        entries.push(with_owner(fingerprint("C00001"), Kind::Upn, 3));
        entries.push(with_owner(fingerprint("UB81QZ"), Kind::Postcode, 0x00ab_cdef));
        let index = Index::new(entries);
        let mut owners: Vec<_> = index.owners("C00001").collect();
        owners.sort_by_key(|o| o.1);
        assert_eq!(owners, vec![(Kind::Identifier, 1), (Kind::Upn, 3)]);
        assert_eq!(index.owners("C49999").collect::<Vec<_>>(), vec![(Kind::Identifier, 49_999 % 7)]);
        assert_eq!(index.owners("UB81QZ").collect::<Vec<_>>(), vec![(Kind::Postcode, 0x00ab_cdef)]);
        for absent in ["C50000", "c00001", "C0000", "", "UB8 1QZ"] {
            assert_eq!(index.owners(absent).count(), 0, "{absent}");
        }
        assert!(index.bytes() < 50_002 * 16 + (1 << 15) * 4 + 64);
    }

    #[test]
    fn an_empty_or_tiny_index_answers() {
        assert_eq!(Index::new(Vec::new()).owners("X").count(), 0);
        let one = Index::new(vec![with_owner(fingerprint("ABC"), Kind::Identifier, 0)]);
        assert_eq!(one.owners("ABC").count(), 1);
        assert_eq!(one.owners("ABD").count(), 0);
    }
}
