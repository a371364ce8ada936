//! Free-text scrubbing: notes, descriptions and titles with people and
//! contact details taken out.
//!
//! Recall comes first: a missed name is a breach, an over-redacted word is a
//! nuisance. Three passes, in this order:
//!
//! 1. typed patterns: e-mail addresses, street addresses, postcodes, phone
//!    numbers, NHS numbers, UPNs and dates become `[EMAIL]`, `[ADDRESS]`,
//!    `[POSTCODE]`, `[PHONE]`, `[NHS]`, `[UPN]`, `[DATE]` (first, so that a
//!    name inside an e-mail address goes with the address);
//! 2. every name of every young person in the return (first name, surname,
//!    the two together, with or without accents and apostrophes, any case,
//!    possessives) becomes that person's stable token `[PERSON:xxxxxxxx]`;
//!
//! Before all three, the names of the schools the return's young people attend
//! become `[SCHOOL]`. Then:
//!
//! 3. other capitalised words found in the name gazetteer (`reference/names/`
//!    plus the `fake` crate's lists), a capitalised word after "called",
//!    "named" or "known as", and a listed surname after a name, become `[NAME]`.

//!
//! The parts live beside this file: [`tokens`] (splitting, folding, word
//! maps), [`patterns`] (the typed patterns) and [`gazetteer`] (other names).

mod gazetteer;
mod patterns;
mod tokens;

use std::borrow::Cow;
use std::sync::Arc;

pub use gazetteer::{Gazetteer, gazetteer};
use patterns::{LABELS, has_number_or_at, patterns};
pub use tokens::fold;
use tokens::{Word, WordMap, fold_into, name_words, possessive_suffix, word_spans, word_spans_in_chunks, words};
use unicode_normalization::UnicodeNormalization;

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
    gazetteer: &'static Gazetteer,
    schools: Option<aho_corasick::AhoCorasick>,
    /// Child ids written as one word (uppercase) → token; looked up word by word.
    id_words: WordMap<Target>,
    /// Byte lengths of those ids (bit n set for length n, up to 63), to skip most words unhashed.
    id_lengths: u64,
    /// Child ids that are not one word ("YP/001", "12 345"), found by an automaton.
    ids: Option<(aho_corasick::AhoCorasick, Vec<String>)>,
    /// Whether every child id holds a digit, so that a text with none holds no id.
    ids_need_number: bool,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} names)", self.single.len())
    }
}

/// Adds `key → target` to a map, or marks the key ambiguous when it already stands for someone else.
fn insert_or_ambiguous(map: &mut WordMap<Target>, key: &str, target: Target) {
    match map.get_mut(key) {
        Some(existing) => {
            let same = match (&*existing, &target) {
                (Target::Person(a), Target::Person(b)) => Arc::ptr_eq(a, b) || a == b,
                _ => false,
            };
            if !same {
                *existing = Target::Ambiguous;
            }
        }
        None => map.insert(key, target),
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
    /// A scrubber for the given young people: (token, first name, last name).
    pub fn new(people: &[(String, String, String)]) -> Scrubber {
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
        Scrubber {
            single,
            pairs,
            gazetteer: gazetteer(),
            schools: None,
            id_words: WordMap::default(),
            id_lengths: 0,
            ids: None,
            ids_need_number: true,
        }
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

    /// Also replaces the young people's own ids (`child_id`) in free text by their tokens.
    pub fn with_ids(mut self, ids: &[(String, String)]) -> Scrubber {
        let mut usable: Vec<&(String, String)> = Vec::new();
        let mut previous = None;
        for pair in ids.iter().filter(|(_, id)| id.trim().chars().count() >= 3) {
            let (token, id) = (&pair.0, pair.1.trim());
            self.ids_need_number &= id.chars().any(char::is_numeric);
            let is_one_word = word_spans(id).eq([(0, id.len())]);
            if is_one_word && !id.ends_with("'s") && !id.ends_with("’s") {
                let key = id.to_ascii_uppercase();
                self.id_lengths |= 1u64.checked_shl(key.len() as u32).unwrap_or(1 << 63);
                // One id written for two people (it happens across quarters) is not attributable.
                let target = Target::Person(shared_token(token, &mut previous));
                insert_or_ambiguous(&mut self.id_words, &key, target);
            } else {
                usable.push(pair);
            }
        }
        if !usable.is_empty() {
            let automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(usable.iter().map(|(_, id)| id.trim()));
            if let Ok(ac) = automaton {
                self.ids = Some((ac, usable.iter().map(|(token, _)| token.clone()).collect()));
            }
        }
        self
    }

    fn replace_schools<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        match &self.schools {
            Some(ac) => replace_whole(text, ac, |_| "[SCHOOL]"),
            None => text,
        }
    }

    fn replace_ids<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        let text = self.replace_id_words(text);
        match &self.ids {
            Some((ac, tokens)) => replace_whole(text, ac, |i| tokens[i].as_str()),
            None => text,
        }
    }

    /// Child ids written as words (or as parts of a word joined by an apostrophe or
    /// hyphen) replaced by their tokens; an id is matched in any ASCII case.
    fn replace_id_words<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        if self.id_words.is_empty() {
            return text;
        }
        let mut out = String::new();
        let mut last = 0;
        let mut key = String::new();
        let mut lookup = |part: &str| -> Option<&str> {
            // Bit 63 stands for every length from 63 up.
            if self.id_lengths & 1u64.checked_shl(part.len() as u32).unwrap_or(1 << 63) == 0 {
                return None;
            }
            key.clear();
            key.extend(part.chars().map(|c| c.to_ascii_uppercase()));
            self.id_words.get(&key).map(Target::token)
        };
        // When every id holds a digit, only the words of a space-separated chunk with a digit
        // (or a character outside ASCII) can be one.
        let may_hold_id = |chunk: &str| !self.ids_need_number || chunk.bytes().any(|b| b.is_ascii_digit() || b >= 0x80);
        for (start, end) in word_spans_in_chunks(&text, may_hold_id) {
            let word = &text[start..end];
            let base = word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")).unwrap_or(word);
            let rewritten = match lookup(base) {
                Some(token) => Some(format!("{token}{}", &word[base.len()..])),
                None => rewrite_parts(word, &mut lookup),
            };
            if let Some(rewritten) = rewritten {
                out.push_str(&text[last..start]);
                out.push_str(&rewritten);
                last = end;
            }
        }
        if last == 0 {
            return text;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// The text with people and contact details replaced.
    pub fn scrub(&self, text: &str) -> String {
        let nfc = if text.is_ascii() {
            Cow::Borrowed(text)
        } else {
            match unicode_normalization::is_nfc_quick(text.chars()) {
                unicode_normalization::IsNormalized::Yes => Cow::Borrowed(text),
                _ => Cow::Owned(text.nfc().collect()),
            }
        };
        let mut current = self.replace_schools(self.replace_ids(nfc));
        // Most typed patterns need a digit (or an `@`): a text without one skips them
        // (exact, see `always_needs_number_or_at`).
        let has_number = has_number_or_at(&current);
        let patterns = patterns();
        // One pass finds which patterns occur; each of those then runs in order (a replacement
        // can only remove later matches, never create one, so skipping the absent ones is exact).
        let present = has_number.then(|| patterns.set.matches(&current));
        for (i, (re, label, anywhere)) in patterns.list.iter().enumerate() {
            let may_occur = match &present {
                Some(present) => present.matched(i),
                None => *anywhere,
            };
            if may_occur && let Cow::Owned(replaced) = re.replace_all(&current, *label) {
                current = Cow::Owned(replaced);
            }
        }
        self.scrub_words(&current)
    }

    fn scrub_words(&self, text: &str) -> String {
        let (words, keys) = words(text);
        let key = |w: &Word| &keys[w.key_start..w.key_end];
        let mut out = String::with_capacity(text.len() + 16);
        let mut last_end = 0;
        let mut i = 0;
        let mut previous_was_name = false;
        while i < words.len() {
            let w = &words[i];
            let between = &text[last_end..w.start];
            // Only this scrubber's own tokens are skipped: `[NAME]`, `[PERSON:1a2b3c4d]`.
            let (before, word, after) = (&text[..w.start], &text[w.start..w.end], &text[w.end..]);
            let is_hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
            let is_placeholder = (before.ends_with('[')
                && LABELS.contains(&word)
                && (after.starts_with(']')
                    || (word == "PERSON"
                        && after.strip_prefix(':').and_then(|a| a.split_once(']')).is_some_and(|(h, _)| is_hex(h)))))
                || (before.ends_with("[PERSON:") && is_hex(word) && after.starts_with(']'));
            if is_placeholder {
                i += 1;
                previous_was_name = false;
                continue;
            }
            // One look-up per word: a first name in `pairs` is always a key of `single` too.
            let known = self.single.get(key(w));
            // Two words of one person's name, separated only by spaces, become one token.
            if known.is_some()
                && let Some(next) = words.get(i + 1)
            {
                let gap = &text[w.end..next.start];
                if !gap.is_empty()
                    && gap.bytes().all(|c| c == b' ')
                    && let Some(target) = self.pairs.get(key(w)).and_then(|m| m.get(key(next)))
                {
                    out.push_str(between);
                    out.push_str(target.token());
                    out.push_str(possessive_suffix(&text[next.start..next.end]));
                    last_end = next.end;
                    i += 2;
                    previous_was_name = true;
                    continue;
                }
            }
            // A surname straight after a name ("Tyler White") is a name even when it is also a word.
            let follows_name = previous_was_name && !between.is_empty() && between.chars().all(|c| c == ' ');
            let replacement = match known {
                Some(target) => Some(target.token()),
                None => self.other_name(key(w), &text[w.start..w.end], follows_name, i, &words, &keys, text),
            };
            match replacement {
                Some(token) => {
                    out.push_str(between);
                    out.push_str(token);
                    out.push_str(possessive_suffix(&text[w.start..w.end]));
                    last_end = w.end;
                    previous_was_name = true;
                }
                None => {
                    previous_was_name = false;
                    // A name joined to another word by an apostrophe or hyphen ("l'Orlaith",
                    // "Orlaith-Mae") is still a name: look at the parts of a word that is not one.
                    if let Some(rewritten) = self.scrub_parts(&text[w.start..w.end]) {
                        out.push_str(between);
                        out.push_str(&rewritten);
                        last_end = w.end;
                    }
                }
            }
            i += 1;
        }
        out.push_str(&text[last_end..]);
        out
    }

    /// The word with each apostrophe- or hyphen-separated part that is a name replaced,
    /// or `None` when no part is.
    fn scrub_parts(&self, word: &str) -> Option<String> {
        let mut key = String::new();
        rewrite_parts(word, |part| {
            fold_into(part, &mut key);
            let is_capitalised = part.chars().next().is_some_and(char::is_uppercase);
            match self.single.get(key.as_str()) {
                Some(target) => Some(target.token()),
                None if is_capitalised
                    && key.chars().count() >= 2
                    && self.gazetteer.names.contains_key(key.as_str())
                    && !self.gazetteer.common.contains_key(key.as_str()) =>
                {
                    Some("[NAME]")
                }
                None => None,
            }
        })
    }

    /// `[NAME]` for a word that is not a name of the return but is a name all the same
    /// (the gazetteer, a naming cue).
    #[allow(clippy::too_many_arguments)] // the word, its neighbours and the text they come from
    fn other_name(
        &self,
        key: &str,
        original: &str,
        previous_was_name: bool,
        i: usize,
        words: &[Word],
        keys: &str,
        text: &str,
    ) -> Option<&'static str> {
        let is_capitalised = original.chars().next().is_some_and(char::is_uppercase);
        if !is_capitalised {
            return None;
        }
        let g = self.gazetteer;
        if g.names.contains_key(key)
            && (previous_was_name || !g.common.contains_key(key) || self.precedes_name(i, words, keys, text))
        {
            return Some("[NAME]");
        }
        // "called Tiegan", "known as Big Man": a capitalised word after a naming cue.
        let is_word = |j: usize, cue: &str| {
            words.get(j).is_some_and(|p| {
                let w = &text[p.start..p.end];
                if w.is_ascii() { w.eq_ignore_ascii_case(cue) } else { w.to_lowercase() == cue }
            })
        };
        if i >= 1 {
            let is_cue = ["called", "named", "nicknamed", "aka"].iter().any(|cue| is_word(i - 1, cue))
                || (i >= 2 && is_word(i - 1, "as") && is_word(i - 2, "known"));
            if is_cue && !g.common.contains_key(key) {
                return Some("[NAME]");
            }
        }
        None
    }
}

impl Scrubber {
    /// Whether the next word, after only spaces, is a capitalised name ("Will Smith").
    fn precedes_name(&self, i: usize, words: &[Word], keys: &str, text: &str) -> bool {
        let (Some(w), Some(next)) = (words.get(i), words.get(i + 1)) else { return false };
        let next_key = &keys[next.key_start..next.key_end];
        let gap = &text[w.end..next.start];
        let is_capitalised = text[next.start..].chars().next().is_some_and(char::is_uppercase);
        !gap.is_empty()
            && gap.chars().all(|c| c == ' ')
            && is_capitalised
            && (self.single.contains_key(next_key)
                || (self.gazetteer.names.contains_key(next_key) && !self.gazetteer.common.contains_key(next_key)))
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
mod tests {
    use super::*;

    fn scrubber() -> Scrubber {
        Scrubber::new(&[
            ("[PERSON:aaaa1111]".into(), "Zoë".into(), "O'Connor".into()),
            ("[PERSON:bbbb2222]".into(), "Jayden".into(), "Smith".into()),
            ("[PERSON:cccc3333]".into(), "Mary-Jane".into(), "Ó Briain".into()),
        ])
    }

    #[test]
    fn young_people_become_their_tokens_in_every_spelling() {
        let s = scrubber();
        let out = s.scrub("Zoë O'Connor met ZOE and oconnor; Zoe’s mum and Jayden's friend JAYDEN SMITH.");
        assert!(!out.to_lowercase().contains("zo"), "{out}");
        assert!(!out.to_lowercase().contains("connor"), "{out}");
        assert!(!out.to_lowercase().contains("jayden"), "{out}");
        assert!(!out.to_lowercase().contains("smith"), "{out}");
        assert!(out.starts_with("[PERSON:aaaa1111] met"), "{out}");
        assert!(out.contains("[PERSON:bbbb2222]'s friend"), "{out}");
        let out = s.scrub("Mary-Jane and Mary were seen; Briain too.");
        assert!(!out.contains("Mary") && !out.contains("Briain"), "{out}");
    }

    #[test]
    fn schools_of_the_return_are_replaced() {
        let s = scrubber().with_schools(&["Brook Academy".into(), "St Mary's High School".into()]);
        let out = s.scrub("Concerns from brook academy and St Mary's High School; Brookacademy stays.");
        assert_eq!(out, "Concerns from [SCHOOL] and [SCHOOL]; Brookacademy stays.");
    }

    #[test]
    fn ids_of_the_return_become_tokens() {
        let s = scrubber()
            .with_ids(&[("[PERSON:aaaa1111]".into(), "YP001005".into()), ("[PERSON:bbbb2222]".into(), "12".into())]);
        assert_eq!(
            s.scrub("Sibling yp001005 open; ref YP0010051 and 12 stay."),
            "Sibling [PERSON:aaaa1111] open; ref YP0010051 and 12 stay."
        );
        let s = scrubber().with_ids(&[
            ("[PERSON:aaaa1111]".into(), "C001005".into()),
            ("[PERSON:bbbb2222]".into(), "YP/77 1".into()),
            ("[PERSON:cccc3333]".into(), "C001005".into()),
        ]);
        assert_eq!(
            s.scrub("C001005's plan, ref c001005-2 (was yp/77 1); C0010050 is another."),
            "[PERSON]'s plan, ref [PERSON]-2 (was [PERSON:bbbb2222]); C0010050 is another."
        );
    }

    /// Regression (found by the scrub fuzz target): a name joined to a word by an apostrophe survived.
    #[test]
    fn names_inside_joined_words_are_removed() {
        let s = scrubber();
        let out = s.scrub("Ol’Zoë met Qs Q12 St 12X;uenlStael, and Jayden-Lee too.");
        assert!(!out.contains("Zo") && !out.contains("Jayden"), "{out}");
        // Regression (fuzz): a name straight after a colon was taken for a placeholder's inside.
        let out = s.scrub("Contact:Zoë, U:Jayden [PERSON:Jayden and [Jayden] [JAYDEN] [PERSON:JAYDEN]");
        assert!(!out.contains("Zo") && !out.to_lowercase().contains("jayden"), "{out}");
        // Its own tokens pass through a second scrub unchanged.
        let once = s.scrub("Zoë met Jayden Smith at [SCHOOL] on [DATE]; [PERSON] and [NAME] too.");
        assert_eq!(s.scrub(&once), once);
        assert!(once.contains("[PERSON:aaaa1111]") && once.contains("[PERSON:bbbb2222]"), "{once}");
        let kept = s.scrub("A well-known drop-in.");
        assert_eq!(kept, "A well-known drop-in.", "ordinary hyphenated words stay");
    }

    #[test]
    fn texts_without_digits_still_lose_addresses_and_digit_free_ids() {
        let s = scrubber();
        assert_eq!(s.scrub("Seen near Acacia Avenue."), "Seen near [ADDRESS].");
        let s = scrubber().with_ids(&[("[PERSON:aaaa1111]".into(), "ABCDEF".into())]);
        assert_eq!(
            s.scrub("Sibling abcdef seen near Acacia Avenue."),
            "Sibling [PERSON:aaaa1111] seen near [ADDRESS]."
        );
    }

    #[test]
    fn every_placeholder_is_a_known_label() {
        let labels = patterns().list.iter().map(|(_, l, _)| *l).chain(["[NAME]", "[PERSON]", "[SCHOOL]"]);
        for label in labels {
            let inner = label.trim_start_matches('[').trim_end_matches(']');
            assert!(LABELS.contains(&inner), "{label} is skipped by a second scrub only if listed");
        }
    }

    #[test]
    fn decomposed_accents_are_matched() {
        let s = scrubber();
        let out = s.scrub("Zoe\u{0308} was seen");
        assert_eq!(out, "[PERSON:aaaa1111] was seen");
    }

    #[test]
    fn contact_details_become_placeholders() {
        let s = scrubber();
        let out = s.scrub(
            "Call 07700 900123 or +44 7700 900456 or 020 8123 4567, email jo.bloggs12@example.org, \
             at 12 Station Road, UB8 1QX, NHS 485 777 3456, UPN A123456789012, on 12/03/2025, 3rd March and 2025-04-01; \
             visit Church Street.",
        );
        for leaked in [
            "07700",
            "7700 900456",
            "8123",
            "bloggs",
            "Station",
            "UB8",
            "485 777",
            "A1234",
            "12/03",
            "March",
            "2025-04",
            "Church",
        ] {
            assert!(!out.contains(leaked), "{leaked} survived: {out}");
        }
        for label in ["[PHONE]", "[EMAIL]", "[ADDRESS]", "[POSTCODE]", "[NHS]", "[UPN]", "[DATE]"] {
            assert!(out.contains(label), "{label} missing: {out}");
        }
    }

    #[test]
    fn other_names_from_the_gazetteer_and_cues() {
        let s = scrubber();
        let out = s.scrub("Seen with Tyler and Oluwaseun; an older male called Tiegan, known as Blaze. Will was there. Police attended.");
        for leaked in ["Tyler", "Oluwaseun", "Tiegan", "Blaze", "Will"] {
            assert!(!out.contains(leaked), "{leaked} survived: {out}");
        }
        assert!(out.contains("Police attended"), "common words at the start of a sentence stay: {out}");
        let out = s.scrub("Trainer Young Smith and Tyler Day attended.");
        assert!(!out.contains("Young") && !out.contains("Day"), "names beside names go: {out}");
    }

    #[test]
    fn ordinary_words_survive() {
        let s = scrubber();
        let text = "Concerns raised by school about attendance; risk discussed at MACE panel.";
        assert_eq!(s.scrub(text), text);
    }

    #[test]
    fn shared_first_names_are_still_removed() {
        let s = Scrubber::new(&[
            ("[PERSON:11111111]".into(), "Alex".into(), "Jones".into()),
            ("[PERSON:22222222]".into(), "Alex".into(), "Brown".into()),
        ]);
        let out = s.scrub("Alex was seen with Alex Brown.");
        assert_eq!(out, "[PERSON] was seen with [PERSON:22222222].");
    }
}

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
        let s = super::Scrubber::new(&tokens).with_ids(&ids);
        println!("build scrubber for {} people: {:?}", people.len(), t.elapsed());
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
