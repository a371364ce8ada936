//! The name gazetteer: names that no return holds but a note may.
//!
//! England and Wales name lists (`reference/names/`) plus the `fake`
//! crate's English lists, folded once, and the short list of words in them
//! that are far more often ordinary words in case notes.

use std::sync::OnceLock;

use crate::config::reference;
use crate::privacy::scrub::tokens::{WordMap, fold};

/// Words in the name lists that are far more often ordinary words in case
/// notes; they are redacted only beside another name. Kept short on purpose:
/// names such as Will, May, Hope, Brown or White stay redacted (recall first).
pub(super) const COMMON_WORDS: &[&str] = &[
    "young", "black", "church", "court", "park", "street", "lane", "hall", "house", "general", "name", "baby",
    "sister", "unique", "queen", "prince", "princess", "police", "school", "strategy", "worker", "mum", "dad",
    "concerns", "missing", "online", "older", "people", "contact", "review", "home", "family", "north", "south",
    "east", "west", "case", "plan", "team", "social", "care", "health", "city", "town", "long", "page", "day",
];

/// The name gazetteer, built once.
pub struct Gazetteer {
    pub(super) names: WordMap<()>,
    pub(super) common: WordMap<()>,
}

/// The shared gazetteer: England and Wales name lists plus the `fake` crate's English lists.
pub fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        use fake::locales::{Data, EN};
        let mut names = WordMap::default();
        let lists = [
            reference::name_list(reference::FIRST_NAMES),
            reference::name_list(reference::SURNAMES),
            <EN as Data>::NAME_FIRST_NAME.to_vec(),
            <EN as Data>::NAME_LAST_NAME.to_vec(),
        ];
        for name in lists.iter().flatten() {
            let key = fold(name);
            if key.chars().count() >= 2 {
                names.insert(&key, ());
            }
        }
        let mut common = WordMap::default();
        for word in COMMON_WORDS {
            common.insert(word, ());
        }
        Gazetteer { names, common }
    })
}
