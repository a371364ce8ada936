//! Scrubbing measured on notes written outside the project (`tests/fixtures/corpus/`):
//! realistic practitioner notes with every name, identifier and place annotated, and control
//! sentences whose ordinary words (Will, May, Hope), numbers and times must survive. The
//! names and identifiers there come from no list the scrubber uses. Recall is the share of
//! annotated spans removed; the control figure is the share of words that must stay and did
//! not.

use std::collections::BTreeMap;
use std::path::Path;

use rni::privacy::scrub::{Lexicon, Scrubber};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

fn records(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus").join(file);
    std::fs::read_to_string(path)
        .expect("corpus")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// The text as compared: compatibility forms folded, invisible characters gone.
fn plain(text: &str) -> String {
    text.nfkc().filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')).collect()
}

/// Whether `needle` occurs in `haystack` not inside a longer word.
fn occurs(haystack: &str, needle: &str, ignore_case: bool) -> bool {
    let (h, n) =
        if ignore_case { (haystack.to_lowercase(), needle.to_lowercase()) } else { (haystack.into(), needle.into()) };
    if n.is_empty() {
        return false;
    }
    h.match_indices(&n).any(|(at, m)| {
        let before = h[..at].chars().next_back();
        let after = h[at + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether an identifier span survived: written as it was, or any of its parts that identify
/// (a run holding a digit, or a word that is no ordinary word).
fn survives(output: &str, span: &str) -> bool {
    let span = plain(span);
    if occurs(output, &span, true) {
        return true;
    }
    span.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 2).any(|part| {
        let identifying = (part.chars().any(|c| c.is_ascii_digit()) && part.chars().count() >= 3)
            || (part.chars().count() >= 3 && !rni::audit::text::is_ordinary_word(&rni::audit::text::folded(part)));
        identifying && occurs(output, part, true)
    })
}

#[derive(Default)]
struct Tally {
    by_category: BTreeMap<String, (usize, usize)>,
    misses: Vec<String>,
}

impl Tally {
    fn add(&mut self, category: &str, is_removed: bool, what: String) {
        let entry = self.by_category.entry(category.to_string()).or_default();
        entry.0 += 1;
        if is_removed {
            entry.1 += 1;
        } else {
            self.misses.push(what);
        }
    }

    fn total(&self) -> (usize, usize) {
        self.by_category.values().fold((0, 0), |(a, b), (n, r)| (a + n, b + r))
    }

    fn line(&self) -> String {
        self.by_category
            .iter()
            .map(|(c, (n, r))| format!("{c} {:.1}% ({r}/{n})", 100.0 * *r as f64 / *n as f64))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Prints recall per category, the control figure and the first misses, and fails below 98%
/// recall or above 5% of controls lost.
#[allow(clippy::print_stdout)] // the measured figures are the test's output
fn report(corpus: &str, spans: &Tally, controls: &Tally, min_spans: usize) {
    let (n, removed) = spans.total();
    let (k, kept) = controls.total();
    let recall = removed as f64 / n as f64;
    let lost = (k - kept) as f64 / k as f64;
    println!("{corpus} corpus: recall {:.1}% ({removed}/{n}): {}", 100.0 * recall, spans.line());
    println!("{corpus} corpus: control words lost {:.1}% ({} of {k})", 100.0 * lost, k - kept);
    for miss in spans.misses.iter().take(40) {
        println!("  missed {miss}");
    }
    for miss in controls.misses.iter().take(40) {
        println!("  lost {miss}");
    }
    assert!(n >= min_spans && k >= 200, "the {corpus} corpus holds {min_spans} spans and 200 controls");
    assert!(recall >= 0.98, "{corpus}: recall {:.2}% is below 98%", 100.0 * recall);
    assert!(lost <= 0.05, "{corpus}: {:.2}% of controls lost, above 5%", 100.0 * lost);
}

fn people_of(record: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (i, p) in record["people"].as_array().into_iter().flatten().enumerate() {
        let token = format!("[PERSON:{:08x}]", i + 1);
        let field = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        out.push((token.clone(), field("first_name"), field("last_name")));
        if !field("known_as").is_empty() {
            out.push((token, field("known_as"), String::new()));
        }
    }
    out
}

#[test]
fn names_no_list_holds_are_removed_and_ordinary_words_stay() {
    let lexicon = Lexicon::builtin().expect("lexicon");
    let (mut names, mut controls) = (Tally::default(), Tally::default());
    for record in records("names.jsonl") {
        let scrubber = Scrubber::with_lexicon(&people_of(&record), lexicon.clone());
        let text = record["text"].as_str().unwrap_or_default();
        let output = scrubber.scrub(text);
        let category = record["category"].as_str().unwrap_or_default();
        if category == "control" {
            for word in strings(&record, "keep") {
                controls.add("control", occurs(&output, &plain(&word), false), format!("{word:?} in {output:?}"));
            }
        } else {
            for name in strings(&record, "names") {
                let removed = !occurs(&output, &plain(&name), true);
                names.add(category, removed, format!("{name:?} in {output:?}"));
            }
        }
    }
    report("names", &names, &controls, 1000);
}

#[test]
fn identifiers_and_places_are_removed_and_numbers_that_identify_no_one_stay() {
    let lexicon = Lexicon::builtin().expect("lexicon");
    let (mut spans, mut controls) = (Tally::default(), Tally::default());
    for record in records("identifiers.jsonl") {
        let ret = &record["return"];
        let mut ids: Vec<(String, String)> = Vec::new();
        for (key, token) in [
            ("child_ids", "[PERSON:0000aaaa]"),
            ("episode_ids", "[EPISODE]"),
            ("context_ids", "[CONTEXT]"),
            ("meeting_ids", "[MEETING]"),
            ("activity_ids", "[ACTIVITY]"),
            ("upns", "[UPN]"),
        ] {
            ids.extend(strings(ret, key).into_iter().map(|id| (token.to_string(), id)));
        }
        let scrubber =
            Scrubber::with_lexicon(&[], lexicon.clone()).with_schools(&strings(ret, "schools")).with_ids(&ids);
        let text = record["text"].as_str().unwrap_or_default();
        let output = scrubber.scrub(text);
        let category = record["category"].as_str().unwrap_or_default();
        if category == "control" {
            for keep in strings(&record, "keep") {
                controls.add("control", occurs(&output, &plain(&keep), false), format!("{keep:?} in {output:?}"));
            }
        } else {
            for span in strings(&record, "spans") {
                spans.add(category, !survives(&output, &span), format!("{span:?} in {output:?}"));
            }
        }
    }
    report("identifiers", &spans, &controls, 500);
}
