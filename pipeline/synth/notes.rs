//! Case notes written the way practitioners write them: names of the young
//! person, peers and family, phone numbers, postcodes, schools, streets and
//! dates, with the names each note mentions kept beside it for measuring.

#![allow(unused_imports)] // one import list for the generator's parts

use chrono::{Duration, NaiveDate};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::*;

// Names that exercise encodings and apostrophes; messy returns always hold some.
pub(super) const SPECIAL_FIRST: &[&str] = &["Zoë", "Seán", "Siobhán", "Chloë", "Renée", "José", "Róisín"];
pub(super) const SPECIAL_LAST: &[&str] = &["O'Connor", "O'Brien", "D'Souza", "Nuñez", "Ó Briain", "Müller"];
pub(super) const STREETS: &[&str] = &[
    "Station",
    "Church",
    "Victoria",
    "Park",
    "Mill",
    "Kingsway",
    "Chapel",
    "Manor",
    "Uxbridge",
    "Harefield",
    "Long Lane",
    "Queensway",
    "Cherry",
    "Field End",
    "Pinn",
];
pub(super) const STREET_KINDS: &[&str] = &["Road", "Street", "Close", "Avenue", "Lane", "Way", "Gardens", "Crescent"];
pub(super) const TOWNS: &[&str] =
    &["Slough", "Reading", "Luton", "Swindon", "Southend", "Ipswich", "Margate", "Crawley", "Northampton"];
pub(super) const PLACES: &[&str] = &[
    "the park behind the leisure centre",
    "the chicken shop on the high street",
    "the bus station",
    "the underpass by the retail park",
    "the canal towpath",
    "the skate park",
    "the shopping centre car park",
    "a flat above the bookmakers",
    "the station forecourt",
];
pub(super) const SCHOOL_WORDS: &[&str] =
    &["Academy", "High School", "School", "College", "Free School", "Pupil Referral Unit"];
pub(super) const AREAS: &[&str] =
    &["HA", "TW", "SE", "N", "E", "B", "M", "LS", "BS", "NE", "L", "S", "CV", "NG", "SL", "RG", "LU"];

/// A generated case note and the names it mentions.
#[derive(Debug, Clone)]
pub struct Note {
    /// The note.
    pub text: String,
    /// Names of young people in the return that the note mentions.
    pub names_in_return: Vec<String>,
    /// Names of people who are not in the return (peers, parents, staff).
    pub names_outside: Vec<String>,
}

pub(super) fn phone(rng: &mut ChaCha8Rng) -> String {
    let n: u32 = rng.random_range(100_000..999_999);
    match rng.random_range(0..4) {
        0 => format!("07700 9{n:05}").chars().take(12).collect(),
        1 => format!("077009{n:05}").chars().take(11).collect(),
        2 => format!("+44 7700 {n:06}"),
        _ => format!("020 8{:03} {:04}", n % 1000, n % 10000),
    }
}

pub(super) fn spoken_date(rng: &mut ChaCha8Rng) -> String {
    let d = NaiveDate::from_ymd_opt(2025, rng.random_range(1..=12), rng.random_range(1..=28)).unwrap_or_default();
    match rng.random_range(0..4) {
        0 => d.format("%d/%m/%Y").to_string(),
        1 => d.format("%d.%m.%y").to_string(),
        2 => d.format("%-d %B").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

pub(super) struct NoteContext {
    pub(super) subject: Option<usize>,
    pub(super) school: Option<String>,
    pub(super) area: &'static str,
    pub(super) upn: Option<String>,
}

/// A name for somebody who is not in the return (a peer, parent or worker).
pub(super) fn outside_name(rng: &mut ChaCha8Rng) -> (String, String) {
    (FirstName(EN).fake_with_rng(rng), LastName(EN).fake_with_rng(rng))
}

pub(super) fn make_note(
    rng: &mut ChaCha8Rng,
    people: &[(String, String)],
    ctx: &NoteContext,
    is_messy: bool,
    sentences: std::ops::Range<usize>,
) -> Note {
    let mut note = Note { text: String::new(), names_in_return: vec![], names_outside: vec![] };
    let (first, last) = match ctx.subject {
        Some(i) => people[i].clone(),
        None => outside_name(rng),
    };
    if ctx.subject.is_some() {
        note.names_in_return.push(first.clone());
        note.names_in_return.push(last.clone());
    }
    let n = rng.random_range(sentences);
    let mut parts = Vec::new();
    for _ in 0..n {
        // A peer: half the time another young person in the same return.
        let peer_in_return = !people.is_empty() && rng.random_bool(0.5);
        let (peer_first, peer_last) =
            if peer_in_return { people[rng.random_range(0..people.len())].clone() } else { outside_name(rng) };
        let list = if peer_in_return { &mut note.names_in_return } else { &mut note.names_outside };
        list.push(peer_first.clone());
        let street = format!("{} {} {}", rng.random_range(1..200), pick(rng, STREETS), pick(rng, STREET_KINDS));
        let school = ctx.school.clone().unwrap_or_else(|| format!("{} Academy", pick(rng, STREETS)));
        let sentence = match rng.random_range(0..9) {
            0 => {
                list.push(peer_last.clone());
                format!("{first} was found with {peer_first} {peer_last} near {street} on {}.", spoken_date(rng))
            }
            1 => format!(
                "Concerns raised by {school} that {first} is being groomed by older males; {first}'s attendance has dropped."
            ),
            2 => {
                let (mum, _) = outside_name(rng);
                note.names_outside.push(mum.clone());
                format!(
                    "Mum ({mum}) called on {} to report {first} missing overnight; returned {}.",
                    phone(rng),
                    spoken_date(rng)
                )
            }
            3 => {
                list.push(peer_last.clone());
                format!(
                    "Police stopped {first} {last} at {} with {peer_first} {peer_last}; possible county lines to {}.",
                    postcode(rng, ctx.area),
                    pick(rng, TOWNS)
                )
            }
            4 => format!(
                "{first} says {peer_first} has been pressuring them to hold items. Worker to follow up by email: {}.{}{}@example.org",
                first.to_lowercase().replace(['\'', ' '], ""),
                last.to_lowercase().replace(['\'', ' '], ""),
                rng.random_range(1..99)
            ),
            5 => format!(
                "Strategy discussion held {}. NHS number {} {} {} checked{}.",
                spoken_date(rng),
                rng.random_range(400..999),
                rng.random_range(100..999),
                rng.random_range(1000..9999),
                ctx.upn.as_ref().map(|u| format!("; UPN {u} shared with school")).unwrap_or_default()
            ),
            6 => {
                list.push(peer_last.clone());
                format!(
                    "{first} spends time at {} with {peer_first} {peer_last}; worker to visit the address on {street}.",
                    pick(rng, PLACES)
                )
            }
            7 => format!(
                "{first} disclosed being sent images online by someone called {peer_first}, believed to live near {}.",
                postcode(rng, ctx.area)
            ),
            _ => format!(
                "{first} and {peer_first} seen at {} after school; {first}'s risk discussed at MACE.",
                pick(rng, PLACES)
            ),
        };
        parts.push(sentence);
    }
    let separator =
        if is_messy && rng.random_bool(0.4) { if rng.random_bool(0.5) { "\n" } else { "\r\n" } } else { " " };
    note.text = parts.join(separator);
    // A name is listed only when the note holds it (a subject's surname, say, may appear in no
    // sentence): a listed name that is not there would count as removed and flatter the recall.
    let lower = note.text.to_lowercase();
    let is_in_text = |name: &String| lower.contains(&name.to_lowercase());
    note.names_in_return.retain(is_in_text);
    note.names_outside.retain(is_in_text);
    note
}

pub(super) fn make_context_note(rng: &mut ChaCha8Rng, people: &[(String, String)], ctx: &NoteContext) -> Note {
    let mut note = Note { text: String::new(), names_in_return: vec![], names_outside: vec![] };
    let place = pick(rng, PLACES);
    let street = format!("{} {}", pick(rng, STREETS), pick(rng, STREET_KINDS));
    let who = match ctx.subject {
        Some(i) => {
            let (f, l) = people[i].clone();
            note.names_in_return.push(f.clone());
            note.names_in_return.push(l.clone());
            format!("{f} {l}")
        }
        None => "several young people".into(),
    };
    let (adult, _) = outside_name(rng);
    note.names_outside.push(adult.clone());
    note.text = format!(
        "Young people including {who} gather at {place} off {street} ({}). Older male known as {adult} seen handing out phones.",
        postcode(rng, ctx.area)
    );
    note
}

/// Case notes for measuring the scrubber: `count` notes over a synthetic cohort.
pub fn sample_notes(seed: u64, people: usize, count: usize) -> (Vec<(String, String)>, Vec<Note>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<(String, String)> = (0..people.max(1))
        .map(|_| (FirstName(EN).fake_with_rng(&mut rng), LastName(EN).fake_with_rng(&mut rng)))
        .collect();
    let notes = (0..count)
        .map(|i| {
            let ctx = NoteContext { subject: Some(i % names.len()), school: None, area: "UB", upn: None };
            make_note(&mut rng, &names, &ctx, true, 1..4)
        })
        .collect();
    (names, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_mention_the_names_they_list_and_are_seeded() {
        let (people, notes) = sample_notes(7, 20, 60);
        assert_eq!((people.len(), notes.len()), (20, 60));
        for note in &notes {
            for name in note.names_in_return.iter().chain(&note.names_outside) {
                assert!(
                    note.text.to_lowercase().contains(&name.to_lowercase()),
                    "{name} is listed but not in: {}",
                    note.text
                );
            }
        }
        assert!(notes.iter().any(|n| !n.names_in_return.is_empty()));
        assert!(notes.iter().any(|n| !n.names_outside.is_empty()));
        let again = sample_notes(7, 20, 60).1;
        assert!(notes.iter().zip(&again).all(|(a, b)| a.text == b.text), "same seed, same notes");
        assert!(sample_notes(8, 20, 60).1.iter().zip(&notes).any(|(a, b)| a.text != b.text));
    }

    #[test]
    fn phone_numbers_and_spoken_dates_look_real() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let phone = phone(&mut rng);
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            assert!((10..=12).contains(&digits), "{phone}");
            assert!(spoken_date(&mut rng).chars().any(|c| c.is_ascii_digit()));
        }
    }
}
