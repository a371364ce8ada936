//! The return's own ids in free text: child, episode, context, meeting and activity ids and
//! UPNs, found in any ASCII case and with any spacing, hyphens, dots, slashes or underscores
//! inside ("ep 1000-0014" for "EP10000014").
//!
//! An id is written as one or more runs of letters and digits with only separators between
//! them, and with no letter or digit right before or after. So the runs of a text are found
//! once, and each run starting a window is tried with the runs after it, joined without their
//! separators, against a hash table of the ids' compact forms, longest window first. Building
//! that table is one insert per id. Ids holding other characters (rare: a `#`, a letter
//! outside ASCII) are found by an automaton over the text with its separators taken out.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use super::tokens::HashSet;

use super::Target;
use super::patterns::inside_placeholder;
use super::tokens::WordMap;

/// Characters that may stand inside an id as written in a note ("EP 1000-0014").
fn is_id_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '/' | '_' | '\u{a0}')
}

/// An id without its separators.
fn compact_id(id: &str) -> String {
    id.trim().chars().filter(|c| !is_id_separator(*c)).collect()
}

/// How the ids are looked for.
enum Finder {
    /// Every id is ASCII letters and digits: windows of runs, looked up by their uppercase form.
    Runs { by_key: WordMap<Target>, longest: usize, starts: Box<Starts> },
    /// Some id holds another character: an automaton over the text without separators.
    Automaton { automaton: AhoCorasick, targets: Vec<Target> },
}

/// How an id may begin, so that most runs of a text (ordinary words) are passed over without a
/// look-up: the letters an id starts with, before its first digit ("EP" of "EP10000014", "" of
/// "10045"). A run of letters alone may start an id only if it is a prefix of one of these (the
/// id goes on in the next run: "ep 1000-0014", "L CS001"); a run holding a digit only if its
/// letters before the digit are one of them.
struct Starts {
    /// The leading letters of every id, uppercase.
    letters: HashSet<Vec<u8>>,
    /// Every prefix of those, the empty one included.
    prefixes: HashSet<Vec<u8>>,
    longest: usize,
    /// The first two letters (see [`pair`]) of every entry of `letters` and of `prefixes`: most
    /// runs of a text are ordinary words that no id begins like, told apart without hashing.
    letters_pairs: Vec<bool>,
    prefixes_pairs: Vec<bool>,
    /// Bytes a run may start with: the first letters of the ids (both cases), and the digits
    /// when an id starts with one.
    first: Vec<bool>,
}

impl Default for Starts {
    fn default() -> Self {
        Starts {
            letters: HashSet::default(),
            prefixes: HashSet::default(),
            longest: 0,
            letters_pairs: vec![false; PAIRS],
            prefixes_pairs: vec![false; PAIRS],
            first: vec![false; 256],
        }
    }
}

/// How many values [`pair`] takes.
const PAIRS: usize = 27 * 27;

/// The first two of some uppercase ASCII letters as one number: each letter 1 to 26, and 0 where
/// there is none.
fn pair(letters: &[u8]) -> usize {
    let code = |i: usize| letters.get(i).map_or(0, |b| usize::from(b.wrapping_sub(b'A')).min(25) + 1);
    code(0) * 27 + code(1)
}

impl Starts {
    #[cfg(test)]
    fn new<'a>(keys: impl Iterator<Item = &'a str>) -> Starts {
        let mut starts = Starts::default();
        keys.for_each(|key| starts.add(key));
        starts
    }

    /// Learns how an id (uppercase) begins.
    fn add(&mut self, key: &str) {
        let n = key.bytes().take_while(u8::is_ascii_alphabetic).count();
        let lead = &key.as_bytes()[..n];
        if self.letters.contains(lead) {
            return;
        }
        for end in 0..=n {
            if !self.prefixes.contains(&lead[..end]) {
                self.prefixes.insert(lead[..end].to_vec());
                self.prefixes_pairs[pair(&lead[..end])] = true;
            }
        }
        self.letters.insert(lead.to_vec());
        self.letters_pairs[pair(lead)] = true;
        match lead.first() {
            Some(&letter) => {
                self.first[usize::from(letter)] = true;
                self.first[usize::from(letter.to_ascii_lowercase())] = true;
            }
            None => (b'0'..=b'9').for_each(|d| self.first[usize::from(d)] = true),
        }
        self.longest = self.longest.max(n);
    }

    /// Whether an id may begin with this run (ASCII letters and digits).
    fn may_start(&self, run: &str) -> bool {
        let bytes = run.as_bytes();
        // Most runs are told apart by their first byte.
        if !bytes.first().is_some_and(|b| self.first[usize::from(*b)]) {
            return false;
        }
        let n = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if n > self.longest {
            return false;
        }
        let mut lead = [0u8; 64];
        let lead = &mut lead[..n];
        lead.copy_from_slice(&bytes[..n]);
        lead.make_ascii_uppercase();
        if n == bytes.len() {
            self.prefixes_pairs[pair(lead)] && self.prefixes.contains(&lead[..])
        } else {
            self.letters_pairs[pair(lead)] && self.letters.contains(&lead[..])
        }
    }
}

/// The return's ids and the token each one becomes.
pub(super) struct ReturnIds {
    finder: Finder,
    /// Whether every id holds a digit, so that a text with none holds no id.
    need_number: bool,
}

impl ReturnIds {
    /// The ids of `(token, id)` pairs; an id written for two people is not attributable and
    /// becomes `[PERSON]`. Ids of fewer than 3 characters are left out. `None` when none is left.
    pub(super) fn new(ids: &[(String, String)]) -> Option<ReturnIds> {
        let mut by_key: WordMap<Target> = WordMap::default();
        by_key.reserve(ids.len());
        let mut starts = Starts::default();
        let mut previous = None;
        let mut need_number = true;
        let mut longest = 0;
        let mut all_ascii = true;
        for (token, id) in ids {
            let mut key = compact_id(id);
            if key.chars().count() < 3 {
                continue;
            }
            key.make_ascii_uppercase();
            need_number &= key.chars().any(|c| c.is_numeric());
            all_ascii &= key.bytes().all(|b| b.is_ascii_alphanumeric());
            longest = longest.max(key.len());
            let target = Target::Person(super::shared_token(token, &mut previous));
            starts.add(&key);
            super::insert_or_ambiguous(&mut by_key, &key, target);
        }
        if by_key.len() == 0 {
            return None;
        }
        by_key.seal();
        let finder = if all_ascii && starts.longest <= 64 {
            Finder::Runs { by_key, longest, starts: Box::new(starts) }
        } else {
            let (keys, targets): (Vec<&str>, Vec<Target>) = by_key.entries().map(|(k, t)| (k, t.clone())).unzip();
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&keys)
                .ok()?;
            Finder::Automaton { automaton, targets }
        };
        Some(ReturnIds { finder, need_number })
    }

    /// The text with every id replaced by its token.
    pub(super) fn replace<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        let has_number =
            if text.is_ascii() { text.bytes().any(|b| b.is_ascii_digit()) } else { text.chars().any(char::is_numeric) };
        if self.need_number && !has_number {
            return text;
        }
        let found = match &self.finder {
            Finder::Runs { by_key, longest, starts } => find_in_runs(&text, by_key, *longest, starts),
            Finder::Automaton { automaton, targets } => find_compact(&text, automaton, targets),
        };
        let mut out = String::new();
        let mut last = 0;
        for (start, end, target) in found {
            if start < last || inside_placeholder(&text, start, end) {
                continue;
            }
            out.push_str(&text[last..start]);
            out.push_str(target.token());
            last = end;
        }
        if last == 0 && out.is_empty() {
            return text;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

/// Runs of letters and digits of a text, as byte spans.
fn runs(text: &str) -> Vec<(usize, usize)> {
    // About one run for every six bytes of prose: sized once, not grown run by run.
    let mut out = Vec::with_capacity(text.len() / 4 + 1);
    let mut start = None;
    if text.is_ascii() {
        for (i, b) in text.bytes().enumerate() {
            match (b.is_ascii_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        out.extend(start.map(|s| (s, text.len())));
        return out;
    }
    for (i, c) in text.char_indices() {
        let is_run = if c.is_ascii() { c.is_ascii_alphanumeric() } else { c.is_alphanumeric() };
        match (is_run, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Ids found as windows of runs joined over separators: leftmost, then longest, none overlapping.
fn find_in_runs<'m>(
    text: &str,
    by_key: &'m WordMap<Target>,
    longest: usize,
    starts: &Starts,
) -> Vec<(usize, usize, &'m Target)> {
    let runs = runs(text);
    let mut found = Vec::new();
    let mut key = String::with_capacity(longest);
    let mut i = 0;
    while i < runs.len() {
        let (s, e) = runs[i];
        if !text[s..e].is_ascii() || !starts.may_start(&text[s..e]) {
            i += 1;
            continue;
        }
        key.clear();
        let mut best: Option<(usize, &Target)> = None;
        let mut j = i;
        while j < runs.len() {
            let (s, e) = runs[j];
            if j > i && !text[runs[j - 1].1..s].chars().all(is_id_separator) {
                break;
            }
            let part = &text[s..e];
            if key.len() + part.len() > longest || !part.is_ascii() {
                break;
            }
            key.extend(part.bytes().map(|b| b.to_ascii_uppercase() as char));
            if let Some(target) = by_key.get(&key) {
                best = Some((j, target));
            }
            j += 1;
        }
        match best {
            Some((last, target)) => {
                found.push((runs[i].0, runs[last].1, target));
                i = last + 1;
            }
            None => i += 1,
        }
    }
    found
}

/// Ids found by the automaton on the text with its separators taken out, kept where no letter
/// or digit stands right before or after them.
fn find_compact<'m>(text: &str, automaton: &AhoCorasick, targets: &'m [Target]) -> Vec<(usize, usize, &'m Target)> {
    let mut compact = String::with_capacity(text.len());
    let mut at: Vec<u32> = Vec::with_capacity(text.len());
    for (i, ch) in text.char_indices() {
        if is_id_separator(ch) {
            continue;
        }
        compact.push(ch);
        at.extend(std::iter::repeat_n(i as u32, ch.len_utf8()));
    }
    let mut found = Vec::new();
    for m in automaton.find_iter(compact.as_str()) {
        let start = at[m.start()] as usize;
        let end_char = at[m.end() - 1] as usize;
        let end = end_char + text[end_char..].chars().next().map_or(1, char::len_utf8);
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphanumeric) {
            continue;
        }
        found.push((start, end, &targets[m.pattern().as_usize()]));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(pairs: &[(&str, &str)]) -> ReturnIds {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(t, i)| (t.to_string(), i.to_string())).collect();
        ReturnIds::new(&pairs).expect("ids")
    }

    #[test]
    fn ids_are_found_in_any_case_and_spacing_and_only_whole() {
        let r = ids(&[("[EPISODE]", "EP10000014"), ("[A]", "C001"), ("[B]", "C0011")]);
        let out = r.replace(Cow::Borrowed("see ep 1000-0014, EP10000014x, xEP10000014 and (c 0011) c001/c001"));
        assert_eq!(out, "see [EPISODE], EP10000014x, xEP10000014 and ([B]) [A]/[A]");
    }

    #[test]
    fn the_longest_id_from_the_leftmost_run_wins() {
        let r = ids(&[("[A]", "AB12"), ("[B]", "AB1234"), ("[C]", "3456")]);
        assert_eq!(r.replace(Cow::Borrowed("AB 12 34 56")), "[B] 56");
        assert_eq!(r.replace(Cow::Borrowed("AB12, 3456")), "[A], [C]");
    }

    #[test]
    fn a_run_is_tried_only_where_an_id_may_begin() {
        let r = ids(&[("[EP]", "EP10000014"), ("[N]", "10045"), ("[L]", "LCS001")]);
        // Letters alone that begin an id's letters, then the rest in the next runs.
        assert_eq!(r.replace(Cow::Borrowed("e p1000 0014; l cs 001; 100 45")), "[EP]; [L]; [N]");
        assert_eq!(r.replace(Cow::Borrowed("ep10000014 lcs001 10045")), "[EP] [L] [N]");
        // An ordinary word before an id does not hide it, and none is taken for one.
        assert_eq!(r.replace(Cow::Borrowed("seen EP10000014 then 10045")), "seen [EP] then [N]");
        let starts = Starts::new(["EP10000014", "10045", "LCS001"].into_iter());
        for run in ["e", "Ep", "ep1000", "LC", "lcs001", "100", "1"] {
            assert!(starts.may_start(run), "{run}");
        }
        for run in ["seen", "epx", "P10", "CS001", "x1", "lcsx"] {
            assert!(!starts.may_start(run), "{run}");
        }
    }

    proptest::proptest! {
        /// Passing over the runs no id may begin with finds what trying every run finds.
        #[test]
        fn the_start_filter_loses_no_id(
            text in "[abcABC012 .-]{0,40}",
            raw in proptest::collection::vec("[abcABC012]{3,6}", 1..6),
        ) {
            let pairs: Vec<(String, String)> =
                raw.iter().enumerate().map(|(n, id)| (format!("[T{n}]"), id.clone())).collect();
            let Some(r) = ReturnIds::new(&pairs) else { return Ok(()) };
            let Finder::Runs { by_key, longest, starts } = &r.finder else { return Ok(()) };
            // Every letter string of up to 6 letters over the alphabet: a filter that lets all through.
            let mut all: Vec<Vec<u8>> = vec![Vec::new()];
            for _ in 0..6 {
                let next: Vec<Vec<u8>> = all.iter().flat_map(|p| b"ABC".iter().map(move |c| [p.clone(), vec![*c]].concat())).collect();
                all.extend(next);
                all.sort();
                all.dedup();
            }
            let open = Starts {
                letters: all.iter().cloned().collect(),
                prefixes: all.into_iter().collect(),
                longest: 6,
                letters_pairs: vec![true; PAIRS],
                prefixes_pairs: vec![true; PAIRS],
                first: vec![true; 256],
            };
            proptest::prop_assert_eq!(find_in_runs(&text, by_key, *longest, starts), find_in_runs(&text, by_key, *longest, &open));
        }
    }

    #[test]
    fn ids_with_other_characters_are_found_by_the_automaton() {
        let r = ids(&[("[A]", "Ć#123")]);
        assert_eq!(r.replace(Cow::Borrowed("ref ć#1 23 seen")), "ref ć#1 23 seen");
        assert_eq!(r.replace(Cow::Borrowed("ref Ć#1 23 seen")), "ref [A] seen");
    }
}
