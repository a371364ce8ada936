//! Free-text scrubbing: notes, descriptions and titles with people and
//! contact details taken out.
//!
//! Recall comes first: a missed name is a breach, an over-redacted word is a
//! nuisance. In this order:
//!
//! 1. the young people's own ids and the names of their schools become
//!    their tokens and `[SCHOOL]`;
//! 2. typed patterns ([`patterns`]): e-mail addresses, URLs, handles, phone,
//!    NHS, NI and UPN numbers, vehicle registrations, references of other
//!    systems, the police and hospitals, dates in every written form, street
//!    addresses, schools and health sites become typed tokens (`[EMAIL]`,
//!    `[HANDLE]`, `[CASE_REF]`, `[ADDRESS]`, `[SCHOOL]`…), a match never
//!    cutting into a word;
//! 3. word by word, by allow-list ([`lexicon`]): every name of every young
//!    person of the authority becomes that person's stable token
//!    `[PERSON:xxxxxxxx]` (any case, accents or none, possessives, parts of
//!    joined names); any other word that is not an ordinary English word or
//!    a word of the domain becomes `[NAME]` (capitalised, or after a naming
//!    cue) or `[REDACTED]`; and an ordinary word that is also a name (Will,
//!    Rose, White) becomes `[NAME]` only when the context makes it one (a
//!    title, a relation, a naming cue, an age, another name beside it).
//!
//! The parts live beside this file: [`tokens`] (splitting, folding, word
//! maps), [`patterns`] (the typed patterns), [`lexicon`] (the allow-list) and
//! [`gazetteer`] (the name lists that tell names among ordinary words).

mod context;
mod gazetteer;
mod ids;
mod lexicon;
mod packed;
mod patterns;
mod tokens;

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::Result;

use context::{ALLOWED_AS_WRITTEN, WordsView, role, role_of};
pub use gazetteer::{Gazetteer, gazetteer};
use ids::ReturnIds;
pub use lexicon::Lexicon;
use lexicon::bits;
use patterns::{has_number_or_at, patterns};
pub use tokens::fold;
use tokens::{WordMap, fold_into, name_words, possessive_suffix, words};
use unicode_normalization::UnicodeNormalization;

/// Characters that cannot be seen and may hide inside a name.
const INVISIBLE: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{180E}'];

/// What a name in the return stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Person(Arc<str>),
    /// Shared by several young people: still a name, but not attributable.
    Ambiguous,
}

impl Target {
    fn token(&self) -> &str {
        match self {
            Target::Person(t) => t,
            Target::Ambiguous => "[PERSON]",
        }
    }
}

/// A scrubber for one return: knows its young people's names (and their schools).
pub struct Scrubber {
    single: WordMap<Target>,
    /// First name → surname → person, for "First Last" written together.
    pairs: WordMap<WordMap<Target>>,
    /// The words free text may keep.
    lexicon: Arc<Lexicon>,
    schools: Option<aho_corasick::AhoCorasick>,
    /// The return's own ids (child, episode, context, meeting, activity ids and UPNs), found
    /// in any case and with any spacing or hyphens, and the token of each.
    ids: Option<ReturnIds>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} names)", self.single.len())
    }
}

/// Adds `key → target` to a map, or marks the key ambiguous when it already stands for someone else.
fn insert_or_ambiguous(map: &mut WordMap<Target>, key: &str, target: Target) {
    map.upsert(key, target, |existing, target| {
        let same = match (&*existing, &target) {
            (Target::Person(a), Target::Person(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        };
        if !same {
            *existing = Target::Ambiguous;
        }
    });
}

/// The token of a young person's name written alone (a first name, a surname): theirs only on
/// their own record (`own`), for anyone else may share it; `[NAME]` elsewhere.
fn alone<'s>(target: &'s Target, own: Option<&str>) -> &'s str {
    match target {
        Target::Person(t) if own == Some(&**t) => t,
        Target::Person(_) => "[NAME]",
        Target::Ambiguous => "[PERSON]",
    }
}

/// One shared string per token: inputs come sorted by token, so the previous one is reused.
fn shared_token(token: &str, previous: &mut Option<Arc<str>>) -> Arc<str> {
    let shared = match previous.take() {
        Some(t) if t.as_bytes() == token.as_bytes() => t,
        _ => Arc::from(token),
    };
    *previous = Some(shared.clone());
    shared
}

/// The word with each apostrophe- or hyphen-separated part that `token_for` knows replaced,
/// or `None` when no part is.
fn rewrite_parts<'t>(word: &str, mut token_for: impl FnMut(&str) -> Option<&'t str>) -> Option<String> {
    if !word.contains(['\'', '’', '-']) {
        return None;
    }
    let mut out = String::with_capacity(word.len());
    let mut changed = false;
    let mut rest = word;
    while !rest.is_empty() {
        let end = rest.find(['\'', '’', '-']).unwrap_or(rest.len());
        match token_for(&rest[..end]) {
            Some(t) => {
                out.push_str(t);
                changed = true;
            }
            None => out.push_str(&rest[..end]),
        }
        let mut separator = rest[end..].chars();
        if let Some(c) = separator.next() {
            out.push(c);
        }
        rest = separator.as_str();
    }
    changed.then_some(out)
}

/// Token for a young person, from their pseudonym.
pub fn person_token(person_id: &str) -> String {
    format!("[PERSON:{}]", &person_id[..person_id.len().min(8)])
}

impl Scrubber {
    /// A scrubber for the given young people: (token, first name, last name), with the
    /// built-in allow-list.
    pub fn new(people: &[(String, String, String)]) -> Result<Scrubber> {
        Ok(Scrubber::with_lexicon(people, Lexicon::builtin()?))
    }

    /// A scrubber for the given young people that keeps only the words of `lexicon`.
    pub fn with_lexicon(people: &[(String, String, String)], lexicon: Arc<Lexicon>) -> Scrubber {
        let mut single: WordMap<Target> = WordMap::default();
        single.reserve(people.len() * 2);
        let mut pairs: WordMap<WordMap<Target>> = WordMap::default();
        let add = |map_key: &str, token: &Arc<str>, single: &mut WordMap<Target>| {
            if map_key.chars().count() >= 2 {
                insert_or_ambiguous(single, map_key, Target::Person(token.clone()));
            }
        };
        let mut previous = None;
        for (token, first, last) in people {
            let token = &shared_token(token, &mut previous);
            let first_words = name_words(first);
            let last_words = name_words(last);
            // Whole names written as one word ("Mary-Jane", "O'Connor") and their parts. A name
            // with no space or hyphen folds to its one word, added below.
            for whole in [first, last] {
                if whole.contains(|c: char| c.is_whitespace() || c == '-') {
                    add(&fold(whole), token, &mut single);
                }
            }
            if let (Some(f), Some(l)) = (first_words.last(), last_words.first()) {
                let target = Target::Person(token.clone());
                match pairs.get_mut(f) {
                    Some(by_surname) => insert_or_ambiguous(by_surname, l, target),
                    None => {
                        let mut by_surname = WordMap::default();
                        by_surname.insert(l, target);
                        pairs.insert(f, by_surname);
                    }
                }
            }
            for w in first_words.iter().chain(&last_words) {
                add(w, token, &mut single);
            }
        }
        // Most words of a note are no one's name: the filters answer those from the cache.
        single.seal();
        pairs.seal();
        Scrubber { single, pairs, lexicon, schools: None, ids: None }
    }

    /// Also replaces the names of these schools (from the return's young people) by `[SCHOOL]`.
    pub fn with_schools(mut self, schools: &[String]) -> Scrubber {
        let names: Vec<&str> = schools.iter().map(|s| s.trim()).filter(|s| s.chars().count() >= 4).collect();
        if !names.is_empty() {
            self.schools = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(names)
                .ok();
        }
        self
    }

    /// Also replaces the return's own ids in free text by their tokens: (token, id) pairs, a
    /// young person's token for a child id, a typed token (`[EPISODE]`, `[UPN]`…) for the rest.
    /// An id written for two people is not attributable and becomes `[PERSON]`. Ids are found
    /// in any ASCII case and with any spacing, hyphens, dots or slashes inside ("ep 10000014"
    /// for "EP10000014").
    pub fn with_ids(mut self, ids: &[(String, String)]) -> Scrubber {
        self.ids = ReturnIds::new(ids);
        self
    }

    fn replace_schools<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        match &self.schools {
            Some(ac) => replace_whole(text, ac, |_| "[SCHOOL]"),
            None => text,
        }
    }

    /// The return's ids replaced by their tokens.
    fn replace_ids<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        match &self.ids {
            Some(ids) => ids.replace(text),
            None => text,
        }
    }

    /// The text with people and contact details replaced, written about no one in particular
    /// (a name written alone is never attributed: see [`Scrubber::scrub_for`]).
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_for(text, None)
    }

    /// The text with people and contact details replaced, written on the record of the young
    /// person whose token is `own`. A young person's whole name ("Jakub Kowalczyk") or id
    /// becomes their token wherever it is written; a name written alone (a first name, a
    /// surname, a nickname) becomes their token only on their own record: elsewhere it may be
    /// anyone's (a mother, an uncle, a peer with the same first name), so it is `[NAME]`.
    pub fn scrub_for(&self, text: &str, own: Option<&str>) -> String {
        let typed = self.replace_typed(text);
        self.scrub_words(&typed, own)
    }

    /// The first steps: the return's ids, its schools and the typed patterns replaced.
    fn replace_typed<'t>(&self, text: &'t str) -> Cow<'t, str> {
        // Compatibility forms (fullwidth letters, ligatures) become plain letters, and characters
        // that cannot be seen (zero-width spaces and joiners, soft hyphens) go before anything is
        // matched: "Ka\u{200b}cper" is Kacper.
        let nfc = if text.is_ascii() {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(text.nfkc().filter(|c| !INVISIBLE.contains(c)).collect())
        };
        let mut current = self.replace_schools(self.replace_ids(nfc));
        // Most typed patterns need a digit (or an `@`): a text without one skips them
        // (exact, see `always_needs_number_or_at`).
        let has_number = has_number_or_at(&current);
        let patterns = patterns();
        // One pass finds which patterns occur; each of those then runs in order (a replacement
        // can only remove later matches, never create one, so skipping the absent ones is exact).
        let present = if has_number { patterns.set.as_ref().map(|set| set.matches(&current)) } else { None };
        for (i, pattern) in patterns.list.iter().enumerate() {
            let may_occur = match (&present, has_number) {
                (Some(present), _) => patterns.may_occur(i, present),
                (None, true) => true,
                (None, false) => pattern.anywhere,
            };
            if may_occur && let Cow::Owned(replaced) = pattern.apply(&current) {
                current = Cow::Owned(replaced);
            }
        }
        current
    }

    fn scrub_words(&self, text: &str, own: Option<&str>) -> String {
        let (words, keys) = words(text);
        // What the lists say of each word, found once: its role, one look-up in the lexicon,
        // one among the return's names.
        let mut roles = Vec::with_capacity(words.len());
        let mut lex = Vec::with_capacity(words.len());
        let mut single = Vec::with_capacity(words.len());
        for w in &words {
            let key = &keys[w.key_start..w.key_end];
            let bits = self.lexicon.bits(key);
            let allowed = self.is_allowed(bits, key, &text[w.start..w.end]);
            roles.push(role_of(key));
            lex.push(if allowed { bits | ALLOWED_AS_WRITTEN } else { bits });
            single.push(self.single.get(key));
        }
        let view = WordsView { text, words: &words, keys: &keys, roles: &roles, lex: &lex, single: &single };
        let mut out = String::with_capacity(text.len() + 16);
        let mut last_end = 0;
        let mut i = 0;
        let mut previous_was_name = false;
        while i < words.len() {
            let w = &words[i];
            let between = &text[last_end..w.start];
            let original = view.original(i);
            if view.is_placeholder(i) {
                i += 1;
                previous_was_name = false;
                continue;
            }
            if original.bytes().any(|b| b.is_ascii_digit()) {
                // Numbers are the typed patterns' business; a name with digits stuck to it
                // ("Jayden2", "dripboy09") still goes.
                if let Some(token) = self.token_with_digits(original, own) {
                    out.push_str(between);
                    out.push_str(token);
                    last_end = w.end;
                }
                i += 1;
                previous_was_name = false;
                continue;
            }
            let single = view.single[i];
            // Two words of one person's name, separated only by spaces, become one token (every
            // first name of a pair is also a name of its own, so only those are looked up).
            if single.is_some()
                && let Some(next) = words.get(i + 1)
                && view.gap_is_spaces(i)
                && let Some(target) = self.pairs.get(view.key(i)).and_then(|m| m.get(view.key(i + 1)))
                && (self.is_name_in_context(&view, i, previous_was_name) || self.is_name_in_context(&view, i + 1, true))
            {
                out.push_str(between);
                out.push_str(target.token());
                out.push_str(possessive_suffix(&text[next.start..next.end]));
                last_end = next.end;
                i += 2;
                previous_was_name = true;
                continue;
            }
            let replacement = self.token_for(&view, i, single, previous_was_name, own);
            match replacement {
                Some(token) => {
                    out.push_str(between);
                    out.push_str(token);
                    out.push_str(possessive_suffix(original));
                    last_end = w.end;
                    previous_was_name = true;
                }
                None => {
                    previous_was_name = false;
                    // A word joined from parts ("l'Orlaith", "Orlaith-Mae", "well-known"): each part
                    // that is not an allowed word goes.
                    if let Some(rewritten) = self.scrub_parts(original, own) {
                        out.push_str(between);
                        out.push_str(&rewritten);
                        last_end = w.end;
                        previous_was_name = rewritten.contains("[NAME]") || rewritten.contains("[PERSON");
                    }
                }
            }
            i += 1;
        }
        out.push_str(&text[last_end..]);
        out
    }

    /// The token of a word holding digits whose letters are a name or no word ("Jayden2",
    /// "dripboy09"); short letter parts ("S47", "KS3", "Y10", "A3") stay.
    fn token_with_digits<'s>(&'s self, original: &str, own: Option<&str>) -> Option<&'s str> {
        let mut found = None;
        for run in original.split(|c: char| !c.is_alphabetic()).filter(|r| r.chars().count() >= 4) {
            let key = fold(run);
            match self.single.get(&key) {
                Some(target) => return Some(alone(target, own)),
                None if !self.lexicon.allows(&key, run) => found = Some("[NAME]"),
                None => {}
            }
        }
        found
    }

    /// Whether a word (its lexicon bits, key and as written) may stay: an allowed word, or a
    /// word joined from allowed parts.
    fn is_allowed(&self, bits: u8, key: &str, original: &str) -> bool {
        if self.lexicon.allows_with(bits, key, original) {
            return true;
        }
        original.contains(['\'', '’', '-'])
            && original.split(['\'', '’', '-']).all(|part| {
                let part_key = fold(part);
                part_key.is_empty() || self.lexicon.allows(&part_key, part)
            })
    }

    /// The token a word becomes, or `None` when it stays (`single`: what the word is as one
    /// of the return's names). Its parts are looked at apart
    /// only when the word as a whole stays (see [`Scrubber::scrub_parts`]).
    fn token_for<'s>(
        &'s self,
        view: &WordsView<'_>,
        i: usize,
        single: Option<&'s Target>,
        previous_was_name: bool,
        own: Option<&str>,
    ) -> Option<&'s str> {
        let key = view.key(i);
        if key.is_empty() {
            return None;
        }
        let original = view.original(i);
        let is_allowed = view.has(i, ALLOWED_AS_WRITTEN);
        if let Some(target) = single {
            // A young person's name that is no ordinary word goes in any case and form; one that
            // is (Will, Rose, White) goes when it is written as a name, or in lowercase where a
            // sentence starts (a note typed without capitals).
            let is_written_as_name = !is_allowed
                || self.is_name_in_context(view, i, previous_was_name)
                || (view.starts_sentence(i) && !view.is(i, role::STOP));
            return is_written_as_name.then(|| alone(target, own));
        }
        if !is_allowed {
            if original.contains(['\'', '’', '-']) {
                // Parts are rewritten one by one, so that "drop-in" or "l'Orlaith" keep what they can.
                return None;
            }
            return Some(if view.is_capitalised(i) || view.has(i, bits::LISTED_NAME) || view.follows_cue(i) {
                "[NAME]"
            } else {
                "[REDACTED]"
            });
        }
        self.is_name_in_context(view, i, previous_was_name).then_some("[NAME]")
    }

    /// Whether an allowed word is written as a name: after a title or a naming cue, or
    /// capitalised after a relation, before an age, beside another name, or as a name that is
    /// not an ordinary word first.
    fn is_name_in_context(&self, view: &WordsView<'_>, i: usize, previous_was_name: bool) -> bool {
        // A relation or a title ("Uncle Ray", "DS Patel") is the cue, not the name.
        if view.is(i, role::RELATION | role::TITLE) && !view.is_single(i) {
            return false;
        }
        if view.follows_title(i) {
            return true;
        }
        if view.follows_cue(i) && !view.is(i, role::STOP) && (view.is_capitalised(i) || view.follows_strong_cue(i)) {
            return true;
        }
        if !view.is_capitalised(i) {
            return false;
        }
        if view.is_single(i) {
            return true;
        }
        // An abbreviation in capitals (SIM, YRO) is no name, whatever list holds the word.
        let is_abbreviation = view.is_all_caps(i) && view.has(i, bits::ABBREVIATION);
        let is_listed_name = view.has(i, bits::LISTED_NAME) && !is_abbreviation;
        let is_ordinary_name = view.has(i, bits::ORDINARY_NAME);
        if is_listed_name && !is_ordinary_name {
            return true;
        }
        // A capitalised word that is no common word (Yaw, Florin, Biddy) is a name, unless the
        // whole word is in capitals (a heading, an abbreviation).
        if !view.is_all_caps(i) && !is_ordinary_name && !self.lexicon.is_common_with(view.lex[i], view.key(i)) {
            return true;
        }
        if view.follows_relation(i) || view.precedes_age(i) || view.is_quoted_alone(i) {
            return true;
        }
        // Beside another name: "Kacper White", "White Kacper", "Grace Brown", and in a list with
        // one: "Blade and [NAME]", "[NAME], Ratty and Tiny".
        let is_name_at = |j: usize| view.is_name_placeholder(j) || self.looks_like_name(view, j);
        let beside_name = (previous_was_name && view.gap_is_spaces_before(i))
            || (view.gap_is_spaces(i) && i + 1 < view.words.len() && self.looks_like_name(view, i + 1))
            || view.listed_neighbour(i, -1).is_some_and(is_name_at)
            || view.listed_neighbour(i, 1).is_some_and(is_name_at);
        // Two capitalised words of the name lists together, one of them no ordinary word.
        let listed_beside = |j: usize| {
            view.is_capitalised(j)
                && view.has(j, bits::LISTED_NAME)
                && !(is_ordinary_name && view.has(j, bits::ORDINARY_NAME))
        };
        let listed_pair = is_listed_name
            && !view.is_all_caps(i)
            && ((i > 0 && view.gap_is_spaces_before(i) && listed_beside(i - 1))
                || (view.gap_is_spaces(i) && i + 1 < view.words.len() && listed_beside(i + 1)));
        beside_name || listed_pair
    }

    /// Whether a word would go as a name on its own, without looking at its neighbours.
    fn looks_like_name(&self, view: &WordsView<'_>, j: usize) -> bool {
        let key = view.key(j);
        if key.is_empty() || view.is_placeholder(j) || view.original(j).bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let capitalised = view.is_capitalised(j);
        let is_allowed = view.has(j, ALLOWED_AS_WRITTEN);
        let is_ordinary_name = view.has(j, bits::ORDINARY_NAME);
        (view.is_single(j) && (capitalised || !is_allowed))
            || (!is_allowed && capitalised)
            || (capitalised
                && view.has(j, bits::LISTED_NAME)
                && !is_ordinary_name
                && !(view.is_all_caps(j) && view.has(j, bits::ABBREVIATION)))
            || (capitalised
                && !view.is_all_caps(j)
                && !is_ordinary_name
                && !self.lexicon.is_common_with(view.lex[j], key))
    }

    /// The word with each apostrophe- or hyphen-separated part that is a name, or no allowed
    /// word, replaced; `None` when every part stays.
    fn scrub_parts(&self, word: &str, own: Option<&str>) -> Option<String> {
        let mut key = String::new();
        rewrite_parts(word, |part| {
            fold_into(part, &mut key);
            if key.chars().count() < 2 {
                return None;
            }
            let is_capitalised = part.chars().next().is_some_and(char::is_uppercase);
            let found = self.lexicon.bits(key.as_str());
            let is_allowed = self.lexicon.allows_with(found, key.as_str(), part);
            match self.single.get(key.as_str()) {
                Some(target) if !is_allowed || is_capitalised => Some(alone(target, own)),
                _ if !is_allowed => Some(if is_capitalised { "[NAME]" } else { "[REDACTED]" }),
                _ if is_capitalised && found & bits::LISTED_NAME != 0 && found & bits::ORDINARY_NAME == 0 => {
                    Some("[NAME]")
                }
                _ => None,
            }
        })
    }
}

/// Replaces whole-token matches of an automaton's patterns.
fn replace_whole<'t, 'a>(
    text: Cow<'t, str>,
    ac: &aho_corasick::AhoCorasick,
    label: impl Fn(usize) -> &'a str,
) -> Cow<'t, str> {
    let mut out = String::new();
    let mut last = 0;
    for m in ac.find_iter(text.as_ref()) {
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
            continue;
        }
        out.push_str(&text[last..m.start()]);
        out.push_str(label(m.pattern().as_usize()));
        last = m.end();
    }
    if last == 0 {
        return text;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod speed {
    /// Not a test of speed (timings belong to bench/): prints how long scrubbing takes, for profiling.
    #[test]
    #[ignore = "prints timings; run with --ignored --nocapture in release mode"]
    #[allow(clippy::print_stdout)] // the timing is the output
    fn scrub_speed() {
        let (people, notes) = crate::synth::sample_notes(3, 40_000, 40_000);
        let tokens: Vec<(String, String, String)> =
            people.iter().enumerate().map(|(i, (f, l))| (format!("[PERSON:{i:08x}]"), f.clone(), l.clone())).collect();
        let ids: Vec<(String, String)> =
            (0..people.len()).map(|i| (format!("[PERSON:{i:08x}]"), format!("YP{i:06}"))).collect();
        let t = std::time::Instant::now();
        let s = super::Scrubber::new(&tokens).expect("scrubber").with_ids(&ids);
        println!("build scrubber for {} people: {:?}", people.len(), t.elapsed());
        {
            let pats = super::patterns();
            let mut per = vec![(0usize, std::time::Duration::ZERO); pats.list.len()];
            let t = std::time::Instant::now();
            let sets: Vec<_> = notes.iter().map(|n| pats.set.as_ref().map(|set| set.matches(&n.text))).collect();
            println!("set: {:?}", t.elapsed());
            for (n, set) in notes.iter().zip(&sets) {
                for (i, p) in pats.list.iter().enumerate() {
                    if set.as_ref().is_some_and(|m| pats.may_occur(i, m)) {
                        let t = std::time::Instant::now();
                        let _ = p.apply(&n.text);
                        per[i].0 += 1;
                        per[i].1 += t.elapsed();
                    }
                }
            }
            for (i, (count, time)) in per.iter().enumerate() {
                println!("pattern {i:2} {:14} present in {count:6} notes, {time:?}", pats.list[i].label);
            }
        }
        let t = std::time::Instant::now();
        let typed: Vec<String> = notes.iter().map(|n| s.replace_typed(&n.text).into_owned()).collect();
        let typed_time = t.elapsed();
        let t = std::time::Instant::now();
        let words: usize = typed.iter().map(|n| s.scrub_words(n, None).len()).sum();
        println!(
            "ids, schools and typed patterns: {typed_time:?}; then the word pass: {:?} ({words} bytes)",
            t.elapsed()
        );
        let t = std::time::Instant::now();
        let mut total = 0;
        for n in &notes {
            total += s.scrub(&n.text).len();
        }
        let e = t.elapsed();
        println!(
            "scrub {} notes: {:?} ({:.1} µs/note, {total} bytes out)",
            notes.len(),
            e,
            e.as_secs_f64() * 1e6 / notes.len() as f64
        );
    }
}
