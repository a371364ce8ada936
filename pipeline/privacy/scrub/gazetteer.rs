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
use crate::privacy::scrub::tokens::fold;

/// The name gazetteer, built once: folded names, each once. The lexicon marks them
/// ([`super::lexicon::bits::LISTED_NAME`]), so that a word's look-up answers this too.
pub struct Gazetteer {
    names: Vec<String>,
}

impl Gazetteer {
    /// The folded names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

/// The shared gazetteer: England and Wales name lists plus the `fake` crate's English lists.
pub fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        use fake::locales::{Data, EN};
        let mut names = Vec::new();
        let lists = [
            reference::name_list(reference::FIRST_NAMES),
            reference::name_list(reference::SURNAMES),
            <EN as Data>::NAME_FIRST_NAME.to_vec(),
            <EN as Data>::NAME_LAST_NAME.to_vec(),
        ];
        for name in lists.iter().flatten() {
            let key = fold(name);
            if key.chars().count() >= 2 {
                names.push(key);
            }
        }
        names.sort_unstable();
        names.dedup();
        Gazetteer { names }
    })
}
