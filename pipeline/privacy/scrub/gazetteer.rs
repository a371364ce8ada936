//! The name gazetteer: names that no return holds but a note may.
//!
//! England and Wales name lists (`reference/names/`) plus the `fake` crate's
//! English lists, folded once. With the allow-list, a word that is not an
//! ordinary word is removed whatever list it is on; the gazetteer decides the
//! words that are both: capitalised, a word on it (Tom, Harry, Jack) is read
//! as a name unless it is an ordinary word first (Will, May, Hope; see
//! [`super::lexicon`]).

use std::sync::OnceLock;

use crate::config::reference;
use crate::privacy::scrub::tokens::{WordMap, fold};

/// The name gazetteer, built once.
pub struct Gazetteer {
    pub(super) names: WordMap<()>,
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
        Gazetteer { names }
    })
}
