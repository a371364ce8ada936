//! The allow-list: the words that free text may keep.
//!
//! Scrubbing is by allow-list (the Philter approach): a word survives only
//! when it is an ordinary English word (the lowercase entries of SCOWL's
//! British English list, `reference/words/english.txt`), a word of the
//! project's domain (`reference/words/domain.txt`: services, agencies,
//! platforms, places, days, months, nationalities, abbreviations), a word of
//! an authority's name from the reference data, or a word of a vocabulary
//! file the user adds (`--vocabulary`). Everything else is removed, whatever
//! name list it is or is not on. A third list,
//! `reference/words/ordinary-names.txt`, holds the names that are ordinary
//! words first (Will, May, Hope): capitalised, they are still kept unless the
//! context makes them a name. An empty or missing list stops the run: the
//! allow-list fails closed, it never scrubs less.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::config::reference;
use crate::error::{Error, Result};
use crate::privacy::scrub::packed::PackedWords;
use crate::privacy::scrub::tokens::{WordMap, fold};

/// The English word list (lowercase entries of SCOWL's British English list).
pub const ENGLISH: &str = include_str!("../../../reference/words/english.txt");
/// Its common words (SCOWL's smaller list): a capitalised word not on it is read as a name.
pub const ENGLISH_COMMON: &str = include_str!("../../../reference/words/english-common.txt");
/// The project's domain vocabulary.
pub const DOMAIN: &str = include_str!("../../../reference/words/domain.txt");
/// Names that are ordinary words first.
pub const ORDINARY_NAMES: &str = include_str!("../../../reference/words/ordinary-names.txt");

/// What the lists say of a folded word, as bits of one entry: a word costs one look-up.
pub(super) mod bits {
    /// On the allow-list (English, domain, ordinary names, authorities, vocabularies).
    pub(in crate::privacy::scrub) const ALLOWED: u8 = 1;
    /// Common enough to stay when written capitalised ("Concerns", "Subsequently").
    pub(in crate::privacy::scrub) const COMMON: u8 = 2;
    /// An abbreviation of the domain list (RUI, ED): kept only when written in capitals.
    pub(in crate::privacy::scrub) const ABBREVIATION: u8 = 4;
    /// A name that is an ordinary word first (Will, Hope), or a word of the domain list (Ford,
    /// London): a name list holding it does not make it a name.
    pub(in crate::privacy::scrub) const ORDINARY_NAME: u8 = 8;
    /// On the name gazetteer ([`super::super::gazetteer`]).
    pub(in crate::privacy::scrub) const LISTED_NAME: u8 = 16;
}

/// The words free text may keep, and what else the lists know of each word.
pub struct Lexicon {
    /// Every word of every list of up to 7 bytes (most words of a note), with its [`bits`].
    short: PackedWords,
    /// The longer words, with their [`bits`].
    long: WordMap<u8>,
    /// How many words are on the allow-list.
    allowed: usize,
    /// sha256 of the vocabulary files added to the built-in lists (`built-in` when none).
    vocabulary_digest: String,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lexicon({} words)", self.allowed)
    }
}

/// The entries of a word-list text: one or more words per line, `#` starts a comment line.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).flat_map(str::split_whitespace)
}

/// Sets `bit` on every entry of a list; the number of entries.
fn add_all(map: &mut WordMap<u8>, text: &str, bit: u8) -> usize {
    let mut added = 0;
    for entry in entries(text) {
        let key = fold(entry);
        if !key.is_empty() {
            set(map, &key, bit);
            added += 1;
        }
    }
    added
}

fn set(map: &mut WordMap<u8>, key: &str, bit: u8) {
    map.upsert(key, bit, |bits, bit| *bits |= bit);
}

impl Lexicon {
    /// The built-in lists and the authorities' names, built once.
    pub fn builtin() -> Result<Arc<Lexicon>> {
        static BUILT: OnceLock<std::result::Result<Arc<Lexicon>, String>> = OnceLock::new();
        BUILT
            .get_or_init(|| Lexicon::build(&[]).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(|message| Error::Reference { file: "reference/words/".into(), message })
    }

    /// The built-in lists plus the words of the given vocabulary files. A file that is
    /// missing, unreadable or holds no word stops the run (the allow-list fails closed).
    pub fn with_vocabularies(files: &[impl AsRef<Path>]) -> Result<Arc<Lexicon>> {
        if files.is_empty() {
            return Lexicon::builtin();
        }
        let mut texts = Vec::new();
        for file in files {
            let path = file.as_ref();
            let text = std::fs::read_to_string(path).map_err(Error::io("cannot read the vocabulary file", path))?;
            if entries(&text).next().is_none() {
                return Err(Error::Input {
                    path: path.to_path_buf(),
                    message: "is an empty vocabulary file: give one word (or several) per line, or leave the \
                              option out; nothing was scrubbed or written"
                        .into(),
                });
            }
            texts.push(text);
        }
        Lexicon::build(&texts).map(Arc::new)
    }

    fn build(extra: &[String]) -> Result<Lexicon> {
        let checked = |file: &str, n: usize| {
            if n == 0 {
                Err(Error::Reference {
                    file: file.into(),
                    message: "holds no word; the scrubber will not run without its allow-list".into(),
                })
            } else {
                Ok(())
            }
        };
        use bits::*;
        let mut words: WordMap<u8> = WordMap::default();
        words.reserve(120_000);
        checked("reference/words/english.txt", add_all(&mut words, ENGLISH, ALLOWED))?;
        checked("reference/words/english-common.txt", add_all(&mut words, ENGLISH_COMMON, COMMON))?;
        // Domain words written in capitals are abbreviations: "RUI" must not keep "Rui".
        let (short, domain): (Vec<&str>, Vec<&str>) =
            entries(DOMAIN).partition(|e| e.chars().count() >= 2 && !e.chars().any(char::is_lowercase));
        checked("reference/words/domain.txt", domain.len() + short.len())?;
        let both = ALLOWED | COMMON;
        add_all(&mut words, &domain.join("\n"), both | ORDINARY_NAME);
        checked("reference/words/ordinary-names.txt", add_all(&mut words, ORDINARY_NAMES, both | ORDINARY_NAME))?;
        for authority in reference::authorities()? {
            add_all(&mut words, &authority.name, both);
        }
        for text in extra {
            add_all(&mut words, text, both);
        }
        add_all(&mut words, &short.join("\n"), ABBREVIATION);
        // Single letters (initials, "a", "I") carry no name.
        for c in 'a'..='z' {
            set(&mut words, &c.to_string(), both);
        }
        for name in super::gazetteer::gazetteer().names() {
            set(&mut words, name, LISTED_NAME);
        }
        let allowed = words.entries().filter(|(_, b)| **b & ALLOWED != 0).count();
        let mut packed = Vec::new();
        let mut long = WordMap::default();
        for (word, bits) in words.entries() {
            match PackedWords::key(word) {
                Some(key) => packed.push((key, *bits)),
                None => long.insert(word, *bits),
            }
        }
        let short = PackedWords::new(&packed);
        let vocabulary_digest = if extra.is_empty() {
            "built-in".to_string()
        } else {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            for text in extra {
                hasher.update(text.as_bytes());
                hasher.update(b"\x1f");
            }
            hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
        };
        Ok(Lexicon { short, long, allowed, vocabulary_digest })
    }

    /// A digest of the vocabulary files added to the built-in lists, so that a build can tell
    /// whether free text must be scrubbed again.
    pub fn vocabulary_digest(&self) -> &str {
        &self.vocabulary_digest
    }

    /// The [`bits`] of a folded word (0 for a word no list holds).
    pub(super) fn bits(&self, key: &str) -> u8 {
        match PackedWords::key(key) {
            Some(short) => self.short.get(short),
            None => self.long.get(key).copied(),
        }
        .unwrap_or(0)
    }

    /// Whether a word (its folded key, and as written) may stay in free text: an allowed word,
    /// an abbreviation written in capitals, or an inflected form of an allowed word
    /// ("balaclavas", "groomed").
    pub fn allows(&self, key: &str, original: &str) -> bool {
        self.allows_with(self.bits(key), key, original)
    }

    /// [`Lexicon::allows`], given the word's [`bits`].
    pub(super) fn allows_with(&self, bits: u8, key: &str, original: &str) -> bool {
        if bits & bits::ALLOWED != 0 {
            return true;
        }
        if bits & bits::ABBREVIATION != 0 && !original.chars().any(char::is_lowercase) {
            return true;
        }
        stems(key).any(|stem| self.bits(&stem) & bits::ALLOWED != 0)
    }

    /// Whether a folded word is common enough to stay when written capitalised.
    pub fn is_common(&self, key: &str) -> bool {
        self.is_common_with(self.bits(key), key)
    }

    /// [`Lexicon::is_common`], given the word's [`bits`].
    pub(super) fn is_common_with(&self, bits: u8, key: &str) -> bool {
        bits & bits::COMMON != 0 || stems(key).any(|stem| self.bits(&stem) & bits::COMMON != 0)
    }

    /// Whether a folded word is a name that is an ordinary word first, or a word of the domain
    /// list (Ford, London, Wednesday): a name list holding it does not make it a name.
    pub fn is_ordinary_name(&self, key: &str) -> bool {
        self.bits(key) & bits::ORDINARY_NAME != 0
    }
}

/// The stems a word may be an inflection of: plurals, past tenses and -ing forms. Plain
/// strips borrow the word; only the stems that add a letter ("-ies" → "-y") allocate.
fn stems(key: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> + '_ {
    use std::borrow::Cow;
    let n = key.len();
    let cut = move |suffix: &str| (n > suffix.len() + 2 && key.ends_with(suffix)).then(|| &key[..n - suffix.len()]);
    let plain = ["s", "es", "ed", "ing"].into_iter().filter_map(move |s| cut(s).map(Cow::Borrowed));
    let added = [("ies", "y"), ("ed", "e"), ("ing", "e")]
        .into_iter()
        .filter_map(move |(s, add)| cut(s).map(|stem| Cow::Owned(format!("{stem}{add}"))));
    plain.chain(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_words_and_not_names() {
        let lexicon = Lexicon::builtin().expect("lexicon");
        for word in ["will", "attend", "safeguarding", "snapchat", "monday", "hillingdon", "dont", "polish"] {
            assert!(lexicon.allows(word, word), "{word}");
        }
        assert!(lexicon.allows("camhs", "CAMHS") && !lexicon.allows("camhs", "Camhs"), "abbreviations in capitals");
        for name in ["kacper", "wiktoria", "bartek", "olu", "tunde", "jakub", "siobhan", "abdirahman"] {
            assert!(!lexicon.allows(name, name), "{name}");
        }
        assert!(lexicon.is_ordinary_name("will") && lexicon.is_ordinary_name("hope"));
        assert!(
            lexicon.allows("pressured", "pressured") && lexicon.allows("rui", "RUI") && !lexicon.allows("rui", "Rui")
        );
        assert!(lexicon.is_common("concerns") && !lexicon.is_common("florin") && lexicon.allows("florin", "florin"));
        assert!(!lexicon.is_ordinary_name("jack"));
    }

    #[test]
    fn every_word_of_every_list_is_found_short_or_long() {
        let lexicon = Lexicon::builtin().expect("lexicon");
        let (mut short, mut long) = (0, 0);
        for entry in entries(ENGLISH) {
            let key = fold(entry);
            if key.is_empty() {
                continue;
            }
            assert!(lexicon.bits(&key) & bits::ALLOWED != 0, "{key}");
            if key.len() <= 7 { short += 1 } else { long += 1 }
        }
        assert!(short > 10_000 && long > 10_000, "both tables are exercised: {short} short, {long} long");
        for entry in entries(ENGLISH_COMMON) {
            let key = fold(entry);
            assert!(key.is_empty() || lexicon.is_common(&key), "{key}");
        }
        for entry in entries(ORDINARY_NAMES) {
            assert!(lexicon.is_ordinary_name(&fold(entry)), "{entry}");
        }
        for name in super::super::gazetteer::gazetteer().names() {
            assert!(lexicon.bits(name) & bits::LISTED_NAME != 0, "{name}");
        }
        for absent in ["kacper", "zzqx", "abcdefghijklmnopqrstuvwxyzabcdef", ""] {
            assert_eq!(lexicon.bits(absent) & bits::ALLOWED, 0, "{absent}");
        }
    }

    #[test]
    fn a_vocabulary_file_adds_words_and_an_empty_or_missing_one_stops() {
        let dir = tempfile::tempdir().expect("temp");
        let good = dir.path().join("local.txt");
        std::fs::write(&good, "# local places\nHarmondsworth Sipson\n").expect("write");
        let lexicon = Lexicon::with_vocabularies(&[&good]).expect("lexicon");
        assert!(lexicon.allows("harmondsworth", "harmondsworth") && lexicon.allows("sipson", "sipson"));
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# nothing here\n\n").expect("write");
        let err = Lexicon::with_vocabularies(&[&empty]).expect_err("empty");
        assert!(err.to_string().contains("empty vocabulary"), "{err}");
        let err = Lexicon::with_vocabularies(&[dir.path().join("missing.txt")]).expect_err("missing");
        assert!(err.to_string().contains("cannot read the vocabulary file"), "{err}");
    }
}
