//! The context of a word: what stands before and after it.
//!
//! An ordinary word that is also a name (Will, Rose, White) is a name when
//! its context says so: a title before it (Mr, DC), a naming cue (called,
//! known as, aka), a relation (mum, friend) or an age (", 14") beside it
//! written capitalised, or another name next to it. These are the questions
//! the word pass asks of a word's neighbours.

use crate::privacy::scrub::patterns::inside_placeholder;
use crate::privacy::scrub::tokens::Word;

/// Words that a naming cue does not make a name ("known as a runner", "called the police").
pub(super) const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "his", "her", "their", "its", "this", "that", "these", "those", "my", "your", "our", "him",
    "them", "me", "us", "it", "being", "part", "one", "some", "any", "member", "members", "by", "for", "to", "in",
    "on", "at", "of", "with", "and", "or", "but", "as", "is", "was", "are", "were", "be", "been", "not", "no", "back",
    "police", "mum", "dad", "out", "up", "off", "round", "over", "again", "twice", "several", "many",
];

/// Titles before a name.
pub(super) const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "dc", "pc", "ds", "di", "dci", "dsupt", "sgt", "insp", "cllr", "prof",
    "sir", "dame", "rev", "revd", "fr", "sr", "imam", "pastor", "rabbi",
];

/// Relations and roles before a name.
pub(super) const RELATIONS: &[&str] = &[
    "mum",
    "mummy",
    "mom",
    "mother",
    "dad",
    "daddy",
    "father",
    "brother",
    "bro",
    "sister",
    "sis",
    "nan",
    "nana",
    "nanny",
    "gran",
    "granny",
    "grandma",
    "grandad",
    "granddad",
    "grandmother",
    "grandfather",
    "aunt",
    "auntie",
    "aunty",
    "uncle",
    "cousin",
    "cuz",
    "stepdad",
    "stepmum",
    "stepfather",
    "stepmother",
    "stepbrother",
    "stepsister",
    "partner",
    "boyfriend",
    "girlfriend",
    "bf",
    "gf",
    "friend",
    "friends",
    "peer",
    "peers",
    "mate",
    "mates",
    "carer",
    "guardian",
    "son",
    "daughter",
    "sibling",
    "siblings",
    "child",
    "baby",
    "niece",
    "nephew",
    "husband",
    "wife",
    "ex",
    "associate",
    "associates",
    "male",
    "female",
    "man",
    "woman",
    "boy",
    "girl",
    "adult",
    "teacher",
    "worker",
    "officer",
    "manager",
    "head",
    "headteacher",
    "sw",
    "yp",
    "cousins",
    "brothers",
    "sisters",
];

/// Naming cues: after one of these, even a lowercase ordinary word is a name.
pub(super) const STRONG_CUES: &[&[&str]] = &[
    &["known", "as"],
    &["aka"],
    &["a", "k", "a"],
    &["goes", "by"],
    &["go", "by"],
    &["calls", "himself"],
    &["calls", "herself"],
    &["calls", "themselves"],
    &["calls", "themself"],
    &["call", "himself"],
    &["call", "herself"],
    &["nicknamed"],
    &["nickname"],
    &["alias"],
    &["street", "name"],
    &["name", "is"],
    &["named", "as"],
    &["referred", "to", "as"],
];

/// Cues after which a capitalised ordinary word is a name.
pub(super) const CUES: &[&[&str]] = &[&["called"], &["named"], &["name"], &["names"]];

/// What a word may be to its neighbours, as bits: found once per word, by one look-up.
pub(super) mod role {
    /// A stop word.
    pub(in crate::privacy::scrub) const STOP: u8 = 1;
    /// A title.
    pub(in crate::privacy::scrub) const TITLE: u8 = 2;
    /// A relation.
    pub(in crate::privacy::scrub) const RELATION: u8 = 4;
    /// The last word of a naming cue.
    pub(in crate::privacy::scrub) const CUE_END: u8 = 8;
    /// The last word of a strong naming cue.
    pub(in crate::privacy::scrub) const STRONG_CUE_END: u8 = 16;
}

/// The role bits of a folded word ([`role`]); 0 for most words.
pub(super) fn role_of(key: &str) -> u8 {
    type Roles = (super::tokens::HashMap<&'static str, u8>, usize);
    static ROLES: std::sync::OnceLock<Roles> = std::sync::OnceLock::new();
    let (roles, longest) = ROLES.get_or_init(|| {
        let mut map: super::tokens::HashMap<&'static str, u8> = super::tokens::HashMap::default();
        let cue_ends =
            |cues: &[&[&'static str]]| -> Vec<&'static str> { cues.iter().filter_map(|c| c.last().copied()).collect() };
        for (words, bit) in [
            (STOP_WORDS.to_vec(), role::STOP),
            (TITLES.to_vec(), role::TITLE),
            (RELATIONS.to_vec(), role::RELATION),
            (cue_ends(CUES), role::CUE_END),
            (cue_ends(STRONG_CUES), role::STRONG_CUE_END),
        ] {
            for w in words {
                *map.entry(w).or_insert(0) |= bit;
            }
        }
        let longest = map.keys().map(|k| k.len()).max().unwrap_or(0);
        (map, longest)
    });
    if key.len() > *longest { 0 } else { roles.get(key).copied().unwrap_or(0) }
}

/// The words of a text with their keys, and questions about a word's neighbours.
pub(super) struct WordsView<'t> {
    pub(super) text: &'t str,
    pub(super) words: &'t [Word],
    pub(super) keys: &'t str,
    /// Each word's [`role`] bits.
    pub(super) roles: &'t [u8],
    /// Each word's lexicon bits ([`super::lexicon::bits`]), with [`ALLOWED_AS_WRITTEN`].
    pub(super) lex: &'t [u8],
    /// Each word's entry among the return's names.
    pub(super) single: &'t [Option<&'t super::Target>],
}

/// A lexicon bit of the word as written: allowed in free text (an allowed word, an abbreviation
/// in capitals, an inflection, or a word joined from allowed parts).
pub(super) const ALLOWED_AS_WRITTEN: u8 = 128;

impl WordsView<'_> {
    /// Whether word `i` has the lexicon bit.
    pub(super) fn has(&self, i: usize, bit: u8) -> bool {
        self.lex[i] & bit != 0
    }

    /// Whether word `i` is one of the return's names.
    pub(super) fn is_single(&self, i: usize) -> bool {
        self.single[i].is_some()
    }

    pub(super) fn key(&self, i: usize) -> &str {
        let w = &self.words[i];
        &self.keys[w.key_start..w.key_end]
    }

    pub(super) fn original(&self, i: usize) -> &str {
        let w = &self.words[i];
        &self.text[w.start..w.end]
    }

    pub(super) fn is_capitalised(&self, i: usize) -> bool {
        self.original(i).chars().next().is_some_and(char::is_uppercase)
    }

    pub(super) fn is_all_caps(&self, i: usize) -> bool {
        let o = self.original(i);
        o.chars().count() > 1 && !o.chars().any(char::is_lowercase)
    }

    /// Whether only spaces separate word `i` from the next.
    pub(super) fn gap_is_spaces(&self, i: usize) -> bool {
        match self.words.get(i + 1) {
            Some(next) => {
                let gap = &self.text[self.words[i].end..next.start];
                !gap.is_empty() && gap.bytes().all(|b| b == b' ')
            }
            None => false,
        }
    }

    pub(super) fn gap_is_spaces_before(&self, i: usize) -> bool {
        i > 0 && self.gap_is_spaces(i - 1)
    }

    /// Whether the words before `i` are `phrase`, separated by spaces, dots or nothing else.
    pub(super) fn follows(&self, i: usize, phrase: &[&str]) -> bool {
        if i < phrase.len() {
            return false;
        }
        let start = i - phrase.len();
        phrase.iter().enumerate().all(|(n, word)| self.key(start + n) == *word)
            && (start..i).all(|j| {
                let gap = &self.text[self.words[j].end..self.words[j + 1].start];
                gap.chars().all(|c| c == ' ' || c == '.' || c == ':' || c == '"' || c == '\'' || c == '‘' || c == '“')
                    && gap.chars().count() <= 4
            })
    }

    /// The key of the word before `i`, if any: every title and cue ends with it, so most words
    /// are told apart by one comparison.
    fn previous_is(&self, i: usize, bit: u8) -> bool {
        i.checked_sub(1).is_some_and(|p| self.roles[p] & bit != 0)
    }

    /// Whether word `i` has the [`role`] bit.
    pub(super) fn is(&self, i: usize, bit: u8) -> bool {
        self.roles[i] & bit != 0
    }

    pub(super) fn follows_title(&self, i: usize) -> bool {
        self.previous_is(i, role::TITLE) && TITLES.iter().any(|t| self.follows(i, &[t]))
    }

    pub(super) fn follows_strong_cue(&self, i: usize) -> bool {
        self.previous_is(i, role::STRONG_CUE_END) && STRONG_CUES.iter().any(|cue| self.follows(i, cue))
    }

    pub(super) fn follows_cue(&self, i: usize) -> bool {
        self.follows_strong_cue(i)
            || (self.previous_is(i, role::CUE_END) && CUES.iter().any(|cue| self.follows(i, cue)))
    }

    /// After a relation ("mum Rose", "his friend, Will,"): spaces, a comma or a bracket between.
    pub(super) fn follows_relation(&self, i: usize) -> bool {
        if i == 0 {
            return false;
        }
        let gap = &self.text[self.words[i - 1].end..self.words[i].start];
        gap.chars().count() <= 3
            && gap.chars().all(|c| matches!(c, ' ' | ',' | '(' | ':' | '-'))
            && self.is(i - 1, role::RELATION)
    }

    /// Before an age: "Filip, 14", "Dawid (16)", "Rose aged 15", "Will - 17".
    pub(super) fn precedes_age(&self, i: usize) -> bool {
        let is_age = |j: usize| {
            self.words.get(j).is_some_and(|_| {
                let o = self.original(j);
                let digits = o.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                (1..=2).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && matches!(&o[digits.len()..], "" | "yo" | "yrs" | "y" | "years")
            })
        };
        let Some(next) = self.words.get(i + 1) else { return false };
        let gap = &self.text[self.words[i].end..next.start];
        let is_short_gap = gap.chars().count() <= 3 && gap.chars().all(|c| matches!(c, ' ' | ',' | '(' | '-'));
        // "Filip, 14" and "Dawid (16)", not "Section 47" or "Year 10": a bare space before a
        // number makes a label, not an age.
        let is_punctuated = gap.contains([',', '(', '-']);
        // A number that goes on (1:1, 3/4, 2.5) is no age.
        let goes_on = |j: usize| {
            self.words.get(j).is_some_and(|w| {
                self.text[w.end..].starts_with([':', '/', '.', '%']) && !self.text[w.end..].starts_with(". ")
            })
        };
        if goes_on(i + 1) {
            return false;
        }
        (is_short_gap && is_punctuated && is_age(i + 1))
            || (is_short_gap && matches!(self.key(i + 1), "aged" | "age") && is_age(i + 2))
    }

    /// Whether the word stands alone between quotes: a nickname ("Smokes", 'Gee-Gee').
    pub(super) fn is_quoted_alone(&self, i: usize) -> bool {
        let w = &self.words[i];
        let before = self.text[..w.start].chars().next_back();
        let after = self.text[w.end..].chars().next();
        let is_quote = |c: Option<char>| matches!(c, Some('"' | '“' | '”' | '\'' | '‘' | '’'));
        is_quote(before) && is_quote(after)
    }

    /// The word a list joins to word `i` on one side (`step` -1 before, +1 after): across a
    /// comma, `&` or `/` ("[NAME], Ratty"), or across "and" / "or" ("Blade and [NAME]").
    pub(super) fn listed_neighbour(&self, i: usize, step: isize) -> Option<usize> {
        let at = |k: isize| usize::try_from(i as isize + k).ok().filter(|j| *j < self.words.len());
        let gap = |a: usize, b: usize| {
            let (a, b) = (a.min(b), a.max(b));
            &self.text[self.words[a].end..self.words[b].start]
        };
        let quote_or_space = |g: &str| g.chars().all(|c| matches!(c, ' ' | '"' | '“' | '”' | '\'' | '‘' | '’'));
        let next = at(step)?;
        let g = gap(i, next).trim_matches(|c: char| matches!(c, ' ' | '"' | '“' | '”' | '\'' | '‘' | '’'));
        if matches!(g, "," | "&" | "/") {
            return Some(next);
        }
        let further = at(2 * step)?;
        (matches!(self.key(next), "and" | "or") && quote_or_space(gap(i, next)) && quote_or_space(gap(next, further)))
            .then_some(further)
    }

    /// Whether word `j` is one of the scrubber's name placeholders (`[NAME]`, `[PERSON:…]`).
    pub(super) fn is_name_placeholder(&self, j: usize) -> bool {
        let w = &self.words[j];
        let word = &self.text[w.start..w.end];
        self.text[..w.start].ends_with('[') && matches!(word, "NAME" | "PERSON")
            || self.text[..w.start].ends_with("[PERSON:")
    }

    /// Whether the word starts a sentence (the text, a line, or after `.`, `!`, `?` or `:`).
    pub(super) fn starts_sentence(&self, i: usize) -> bool {
        let before = self.text[..self.words[i].start].trim_end_matches([' ', '\t', '"', '\'', '(', '-', '*', '•']);
        before.is_empty() || before.ends_with(['.', '!', '?', ':', '\n', ';'])
    }

    /// Whether word `i` is part of one of the scrubber's own placeholders.
    pub(super) fn is_placeholder(&self, i: usize) -> bool {
        let w = &self.words[i];
        inside_placeholder(self.text, w.start, w.end)
    }
}
