//! The cohort: an authority's young people, their episodes, reviews and
//! contexts over every quarter asked for, and the tables of one quarter.

#![allow(unused_imports)] // one import list for the generator's parts

use chrono::{Duration, NaiveDate};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::*;

#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) child_id: String,
    pub(super) first: String,
    pub(super) last: String,
    pub(super) dob: NaiveDate,
    pub(super) gender: &'static str,
    pub(super) ethnicity: Option<&'static str>,
    pub(super) postcode: Option<String>,
    pub(super) school: Option<String>,
    pub(super) upn: Option<String>,
    pub(super) disability: Option<bool>,
    pub(super) notes: Note,
}

#[derive(Debug, Clone)]
pub(super) struct Episode {
    pub(super) id: String,
    pub(super) person: usize,
    pub(super) start: NaiveDate,
    pub(super) end: Option<NaiveDate>,
    pub(super) referral: &'static str,
    pub(super) harms: Vec<&'static str>,
    pub(super) contexts: Vec<&'static str>,
    pub(super) lead: &'static str,
    pub(super) plan: &'static str,
    pub(super) contextual_assessment: bool,
    pub(super) parents_engaged: Option<bool>,
    pub(super) relocated: Option<bool>,
    pub(super) risk_start: &'static str,
    pub(super) risk_end: &'static str,
    pub(super) notes: Note,
}

#[derive(Debug, Clone)]
pub(super) struct ContextRow {
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) description: Note,
    pub(super) identified: NaiveDate,
    pub(super) assessed: Option<NaiveDate>,
    pub(super) intervention: &'static str,
    pub(super) outcome: &'static str,
    pub(super) linked: Vec<usize>,
}

/// A cell before it is written in a file's style.
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Empty,
    Text(String),
    Date(NaiveDate),
    Code(&'static str),
    Codes(Vec<&'static str>),
    Flag(bool),
    Count(i64),
    /// Written exactly as given (deliberately bad values).
    Raw(String),
}

pub(super) fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Cell) -> Cell {
    value.map_or(Cell::Empty, f)
}

pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: Vec<&'static str>,
    pub(super) rows: Vec<Vec<Cell>>,
}

pub(super) struct Cohort {
    pub(super) authority_index: usize,
    pub(super) people: Vec<Person>,
    pub(super) episodes: Vec<Episode>,
    pub(super) contexts: Vec<ContextRow>,
    pub(super) review_interval: i64,
    pub(super) first_stage: usize,
}

pub(super) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Every list passed here is a non-empty constant.
    items[rng.random_range(0..items.len())]
}

pub(super) fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for &(item, weight) in items {
        if roll < weight {
            return item;
        }
        roll -= weight;
    }
    items[0].0
}

pub(super) fn date_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

impl Cohort {
    pub(super) fn generate(
        rng: &mut ChaCha8Rng,
        authority: &Authority,
        a_index: usize,
        options: &SynthOptions,
    ) -> Cohort {
        let first_period = options.periods[0];
        let last_period = options.periods[options.periods.len() - 1];
        let (range_start, range_end) = (first_period.start(), last_period.end());
        let area = if authority.code == "E09000017" { "UB" } else { AREAS[a_index % AREAS.len()] };
        let id_prefix = ["YP", "C", "LCS", "M"][a_index % 4];
        let schools: Vec<String> =
            (0..8).map(|_| format!("{} {}", pick(rng, STREETS), pick(rng, SCHOOL_WORDS))).collect();
        let british_first = reference::name_list(reference::FIRST_NAMES);
        let british_last = reference::name_list(reference::SURNAMES);
        let mut people = Vec::with_capacity(options.young_people);
        for i in 0..options.young_people {
            let mut first: String = FirstName(EN).fake_with_rng(rng);
            let mut last: String = LastName(EN).fake_with_rng(rng);
            if rng.random_bool(0.5) {
                first = pick(rng, &british_first).to_string();
                last = pick(rng, &british_last).to_string();
            }
            if options.is_messy && (i < 3 || rng.random_bool(0.05)) {
                first = SPECIAL_FIRST[(i + a_index) % SPECIAL_FIRST.len()].to_string();
                last = SPECIAL_LAST[(i + 2 * a_index) % SPECIAL_LAST.len()].to_string();
            }
            let age_at_start = rng.random_range(10..=17);
            let dob = date_between(
                rng,
                range_start - Duration::days(365 * (age_at_start + 1) - 1),
                range_start - Duration::days(365 * age_at_start),
            );
            let gender = pick_weighted(rng, &[("M", 60), ("F", 36), ("X", 2), ("U", 2)]);
            let ethnicity = if rng.random_bool(0.93) {
                Some(pick_weighted(
                    rng,
                    &[
                        ("WBRI", 45),
                        ("BCRB", 10),
                        ("BAFR", 9),
                        ("BOTH", 3),
                        ("MWBC", 7),
                        ("MOTH", 3),
                        ("APKN", 5),
                        ("AIND", 4),
                        ("ABAN", 2),
                        ("AOTH", 2),
                        ("WOTH", 5),
                        ("WROM", 1),
                        ("OOTH", 2),
                        ("REFU", 1),
                        ("NOBT", 1),
                    ],
                ))
            } else {
                None
            };
            let postcode = rng.random_bool(0.9).then(|| postcode(rng, area));
            let school = rng.random_bool(0.85).then(|| schools[rng.random_range(0..schools.len())].clone());
            let upn = rng.random_bool(0.7).then(|| upn(rng));
            let disability = rng.random_bool(0.8).then(|| rng.random_bool(0.15));
            people.push(Person {
                child_id: format!("{id_prefix}{:06}", 1000 + i * 7 + rng.random_range(0..7)),
                first,
                last,
                dob,
                gender,
                ethnicity,
                postcode,
                school,
                upn,
                disability,
                notes: Note { text: String::new(), names_in_return: vec![], names_outside: vec![] },
            });
        }
        let names: Vec<(String, String)> = people.iter().map(|p| (p.first.clone(), p.last.clone())).collect();
        for (i, person) in people.iter_mut().enumerate() {
            let ctx = NoteContext { subject: Some(i), school: person.school.clone(), area, upn: person.upn.clone() };
            person.notes = make_note(rng, &names, &ctx, options.is_messy, 1..3);
        }
        let mut episodes = Vec::new();
        let span = (range_end - range_start).num_days();
        for (i, person) in people.iter().enumerate() {
            let count = if rng.random_bool(0.25) { 2 } else { 1 };
            let mut start = if options.is_messy && i < 3 {
                range_start - Duration::days(30)
            } else {
                range_start - Duration::days(60) + Duration::days(rng.random_range(0..=span + 40))
            };
            for _ in 0..count {
                let start_date = start.min(range_end);
                let ended = !(options.is_messy && i < 3) && rng.random_bool(0.6);
                let end = ended.then(|| start_date + Duration::days(rng.random_range(20..280)));
                let year_progress = (start_date - range_start).num_days() as f64 / span.max(1) as f64;
                let harms = pick_some(
                    rng,
                    &[
                        ("CCE", 30),
                        ("CSE", 14),
                        ("SYV", 16),
                        ("GANG", 10),
                        ("TRAFFICKING", 3),
                        ("MISSING", 20),
                        ("ONLINE", 8),
                        ("PEER_ABUSE", 6),
                        ("OTHER", 3),
                    ],
                    1,
                    3,
                );
                let contexts = pick_some(
                    rng,
                    &[("PEER_GROUP", 30), ("SCHOOL", 15), ("NEIGHBOURHOOD", 25), ("ONLINE", 12), ("FAMILY", 8)],
                    0,
                    3,
                );
                let plan = pick_weighted(
                    rng,
                    &[
                        ("CHILD_PROTECTION", (30.0 - 15.0 * year_progress) as u32),
                        ("CHILD_IN_NEED", 20),
                        ("CONTEXT_SAFETY", (10.0 + 25.0 * year_progress) as u32),
                        ("YOUTH_JUSTICE", 12),
                        ("NONE", 8),
                    ],
                );
                let risk_start = pick_weighted(rng, &[("LOW", 15), ("MEDIUM", 45), ("HIGH", 40)]);
                let risk_end = pick_weighted(rng, &[("LOW", 45), ("MEDIUM", 35), ("HIGH", 20)]);
                let ctx =
                    NoteContext { subject: Some(i), school: person.school.clone(), area, upn: person.upn.clone() };
                episodes.push(Episode {
                    id: format!("EP{}{:07}", a_index + 1, episodes.len() * 3 + 11),
                    person: i,
                    start: start_date,
                    end,
                    referral: pick_weighted(
                        rng,
                        &[
                            ("POLICE", 30),
                            ("SCHOOL", 22),
                            ("HEALTH", 8),
                            ("CSC", 15),
                            ("YJS", 10),
                            ("FAMILY", 7),
                            ("SELF", 2),
                            ("VCS", 4),
                            ("OTHER", 2),
                        ],
                    ),
                    harms,
                    contexts,
                    lead: pick_weighted(
                        rng,
                        &[
                            ("YJS", 25),
                            ("CSC_ADOLESCENT", 30),
                            ("CSC_CHILD_PROTECTION", 25),
                            ("EARLY_HELP", 15),
                            ("OTHER", 5),
                        ],
                    ),
                    plan,
                    contextual_assessment: rng.random_bool(0.35 + 0.4 * year_progress),
                    parents_engaged: rng.random_bool(0.85).then(|| rng.random_bool(0.6)),
                    relocated: rng.random_bool(0.9).then(|| rng.random_bool(0.06)),
                    risk_start,
                    risk_end,
                    notes: make_note(rng, &names, &ctx, options.is_messy, 2..5),
                });
                start = start_date + Duration::days(rng.random_range(120..400));
            }
        }
        let mut contexts = Vec::new();
        for c in 0..(options.young_people / 8).max(2) {
            let identified = date_between(rng, range_start - Duration::days(30), range_end);
            let assessed = rng.random_bool(0.75).then(|| identified + Duration::days(rng.random_range(3..70)));
            let linked: Vec<usize> = (0..rng.random_range(1..=4)).map(|_| rng.random_range(0..people.len())).collect();
            let mut linked_sorted = linked.clone();
            linked_sorted.sort_unstable();
            linked_sorted.dedup();
            let ctx = NoteContext { subject: linked_sorted.first().copied(), school: None, area, upn: None };
            contexts.push(ContextRow {
                id: format!("CTX-{}-{:04}", a_index + 1, c + 1),
                kind: pick_weighted(
                    rng,
                    &[("LOCATION", 40), ("PEER_GROUP", 30), ("SCHOOL", 15), ("ONLINE", 10), ("OTHER", 5)],
                ),
                description: make_context_note(rng, &names, &ctx),
                identified,
                assessed,
                intervention: pick_weighted(
                    rng,
                    &[
                        ("DETACHED_YOUTH_WORK", 20),
                        ("GUARDIANSHIP", 12),
                        ("PLACE_DESIGN", 8),
                        ("POLICING", 15),
                        ("SCHOOL_SAFETY_PLAN", 10),
                        ("ONLINE_SAFETY", 6),
                        ("DISRUPTION", 10),
                        ("NONE", 15),
                        ("OTHER", 4),
                    ],
                ),
                outcome: pick_weighted(rng, &[("IMPROVED", 35), ("NO_CHANGE", 25), ("WORSENED", 8), ("ONGOING", 32)]),
                linked: linked_sorted,
            });
        }
        Cohort {
            authority_index: a_index,
            people,
            episodes,
            contexts,
            review_interval: if a_index.is_multiple_of(2) { 30 } else { 90 },
            first_stage: a_index % 3,
        }
    }

    /// The tables of one period's return.
    pub(super) fn tables_for(&self, period: Period, p_index: usize, rng: &mut ChaCha8Rng) -> Vec<Table> {
        let (ps, pe) = (period.start(), period.end());
        let episodes: Vec<&Episode> =
            self.episodes.iter().filter(|e| e.start <= pe && e.end.is_none_or(|end| end >= ps)).collect();
        let contexts: Vec<&ContextRow> = self
            .contexts
            .iter()
            .filter(|c| period.contains(c.identified) || c.assessed.is_some_and(|a| period.contains(a)))
            .collect();
        let mut in_return = vec![false; self.people.len()];
        for e in &episodes {
            in_return[e.person] = true;
        }
        for c in &contexts {
            for &p in &c.linked {
                in_return[p] = true;
            }
        }
        let young_people = Table {
            name: "young_people",
            columns: vec![
                "child_id",
                "first_name",
                "last_name",
                "date_of_birth",
                "gender",
                "ethnicity",
                "postcode",
                "school_name",
                "upn",
                "disability",
                "notes",
            ],
            rows: self
                .people
                .iter()
                .enumerate()
                .filter(|(i, _)| in_return[*i])
                .map(|(_, p)| {
                    vec![
                        Cell::Text(p.child_id.clone()),
                        Cell::Text(p.first.clone()),
                        Cell::Text(p.last.clone()),
                        Cell::Date(p.dob),
                        Cell::Code(p.gender),
                        opt(p.ethnicity, Cell::Code),
                        opt(p.postcode.clone(), Cell::Text),
                        opt(p.school.clone(), Cell::Text),
                        opt(p.upn.clone(), Cell::Text),
                        opt(p.disability, Cell::Flag),
                        Cell::Text(p.notes.text.clone()),
                    ]
                })
                .collect(),
        };
        let episode_rows = episodes
            .iter()
            .map(|e| {
                // An episode that ends after the period was still open when the return was made.
                let end = e.end.filter(|&d| d <= pe);
                vec![
                    Cell::Text(e.id.clone()),
                    Cell::Text(self.people[e.person].child_id.clone()),
                    Cell::Date(e.start),
                    opt(end, Cell::Date),
                    Cell::Code(e.referral),
                    Cell::Codes(e.harms.clone()),
                    Cell::Codes(e.contexts.clone()),
                    Cell::Code(e.lead),
                    Cell::Code(e.plan),
                    Cell::Flag(e.contextual_assessment),
                    opt(e.parents_engaged, Cell::Flag),
                    opt(e.relocated, Cell::Flag),
                    Cell::Code(e.risk_start),
                    if end.is_some() { Cell::Code(e.risk_end) } else { Cell::Empty },
                    Cell::Text(e.notes.text.clone()),
                ]
            })
            .collect();
        let mut review_rows = Vec::new();
        for e in &episodes {
            let mut date = e.start + Duration::days(14);
            let stop = e.end.unwrap_or(pe).min(pe);
            while date <= stop {
                if date >= ps {
                    review_rows.push(vec![
                        Cell::Text(e.id.clone()),
                        Cell::Date(date),
                        Cell::Code(pick_weighted(rng, &[("LOW", 25), ("MEDIUM", 45), ("HIGH", 30)])),
                        Cell::Flag(rng.random_bool(0.7)),
                        Cell::Flag(rng.random_bool(0.55)),
                    ]);
                }
                date += Duration::days(self.review_interval + rng.random_range(-5..=5));
            }
        }
        let context_rows = contexts
            .iter()
            .map(|c| {
                let assessed = c.assessed.filter(|&d| d <= pe);
                vec![
                    Cell::Text(c.id.clone()),
                    Cell::Code(c.kind),
                    Cell::Text(c.description.text.clone()),
                    Cell::Date(c.identified),
                    opt(assessed, Cell::Date),
                    if assessed.is_some() { Cell::Code(c.intervention) } else { Cell::Empty },
                    if assessed.is_some() { Cell::Code(c.outcome) } else { Cell::Code("ONGOING") },
                    Cell::Text(
                        c.linked.iter().map(|&p| self.people[p].child_id.as_str()).collect::<Vec<_>>().join(";"),
                    ),
                ]
            })
            .collect();
        let mut panel_rows = Vec::new();
        for m in 0..rng.random_range(3..=8) {
            let kind = pick_weighted(rng, &[("STRATEGIC", 20), ("OPERATIONAL", 45), ("MACE", 30), ("OTHER", 5)]);
            panel_rows.push(vec![
                Cell::Text(format!("MTG-{}-{}-{:02}", self.authority_index + 1, period, m + 1)),
                Cell::Code(kind),
                Cell::Date(date_between(rng, ps, pe)),
                Cell::Flag(rng.random_bool((0.3 + 0.15 * p_index as f64).min(0.95))),
                Cell::Codes(pick_some(
                    rng,
                    &[
                        ("POLICE", 30),
                        ("CSC", 30),
                        ("YJS", 20),
                        ("HEALTH", 12),
                        ("EDUCATION", 18),
                        ("COMMUNITY_SAFETY", 10),
                        ("HOUSING", 5),
                        ("TRANSPORT", 3),
                        ("VCS", 6),
                    ],
                    2,
                    6,
                )),
                Cell::Count(rng.random_range(2..25)),
                Cell::Count(rng.random_range(0..8)),
            ]);
        }
        let mut practice_rows = Vec::new();
        for a in 0..rng.random_range(2..=6) {
            let kind = pick_weighted(
                rng,
                &[
                    ("TRAINING", 45),
                    ("POLICY_DOCUMENT", 20),
                    ("GOVERNANCE", 12),
                    ("PRACTICE_TOOL", 13),
                    ("QA_AUDIT", 10),
                ],
            );
            let trainer = format!(
                "{} {}",
                FirstName(EN).fake_with_rng::<String, _>(rng),
                LastName(EN).fake_with_rng::<String, _>(rng)
            );
            let title = match kind {
                "TRAINING" => format!(
                    "Contextual Safeguarding briefing for {} (led by {trainer})",
                    pick(
                        rng,
                        &[
                            "social workers",
                            "YJS staff",
                            "designated safeguarding leads",
                            "police partners",
                            "youth workers"
                        ]
                    )
                ),
                "POLICY_DOCUMENT" => pick(
                    rng,
                    &[
                        "Adolescent safeguarding strategy",
                        "Child exploitation operating protocol",
                        "Extra-familial harm pathway",
                    ],
                )
                .to_string(),
                "GOVERNANCE" => "Strategic high-risk panel terms of reference".to_string(),
                "PRACTICE_TOOL" => {
                    pick(rng, &["Peer group mapping tool", "Context assessment template", "Safety mapping form"])
                        .to_string()
                }
                _ => format!("QA audit of assessments recording extra-familial risk, reviewed by {trainer}"),
            };
            practice_rows.push(vec![
                Cell::Text(format!("ACT-{}-{}-{:02}", self.authority_index + 1, period, a + 1)),
                Cell::Code(kind),
                Cell::Date(date_between(rng, ps, pe)),
                Cell::Text(title),
                Cell::Flag(rng.random_bool(0.6)),
                Cell::Flag(rng.random_bool(0.8)),
                if kind == "TRAINING" { Cell::Count(rng.random_range(5..60)) } else { Cell::Count(0) },
                Cell::Codes(pick_some(
                    rng,
                    &[
                        ("SOCIAL_WORKER", 30),
                        ("YJS_PRACTITIONER", 20),
                        ("POLICE", 10),
                        ("TEACHER", 15),
                        ("HEALTH", 8),
                        ("YOUTH_WORKER", 10),
                        ("MANAGER", 10),
                        ("OTHER", 3),
                    ],
                    1,
                    4,
                )),
            ]);
        }
        let stage = ["EXPLORING", "PILOTING", "EMBEDDING", "SUSTAINING"][(self.first_stage + p_index / 2).min(3)];
        let adoption = Table {
            name: "adoption",
            columns: vec![
                "stage",
                "has_cs_strategy",
                "has_working_party",
                "panels_use_contextual_lens",
                "assessments_record_efh",
                "family_review_interval_days",
            ],
            rows: vec![vec![
                Cell::Code(stage),
                Cell::Flag(stage != "EXPLORING"),
                Cell::Flag(true),
                Cell::Flag(stage == "EMBEDDING" || stage == "SUSTAINING"),
                Cell::Flag(p_index > 0),
                Cell::Count(self.review_interval),
            ]],
        };
        vec![
            young_people,
            Table {
                name: "episodes",
                columns: vec![
                    "episode_id",
                    "child_id",
                    "start_date",
                    "end_date",
                    "referral_source",
                    "harm_types",
                    "contexts_identified",
                    "lead_service",
                    "plan_type",
                    "contextual_assessment",
                    "parents_engaged",
                    "relocated",
                    "risk_at_start",
                    "risk_at_end",
                    "notes",
                ],
                rows: episode_rows,
            },
            Table {
                name: "reviews",
                columns: vec![
                    "episode_id",
                    "review_date",
                    "risk_level",
                    "young_person_participated",
                    "parent_participated",
                ],
                rows: review_rows,
            },
            Table {
                name: "contexts",
                columns: vec![
                    "context_id",
                    "context_type",
                    "description",
                    "identified_date",
                    "assessment_date",
                    "intervention",
                    "outcome",
                    "linked_child_ids",
                ],
                rows: context_rows,
            },
            Table {
                name: "panels",
                columns: vec![
                    "meeting_id",
                    "panel_type",
                    "meeting_date",
                    "contextual_lens",
                    "agencies",
                    "young_people_discussed",
                    "contexts_discussed",
                ],
                rows: panel_rows,
            },
            Table {
                name: "practice",
                columns: vec![
                    "activity_id",
                    "activity_type",
                    "activity_date",
                    "title",
                    "references_cs",
                    "references_efh",
                    "practitioners_reached",
                    "roles",
                ],
                rows: practice_rows,
            },
            adoption,
        ]
    }
}

pub(super) fn pick_some(
    rng: &mut ChaCha8Rng,
    items: &[(&'static str, u32)],
    min: usize,
    max: usize,
) -> Vec<&'static str> {
    let n = rng.random_range(min..=max);
    let mut out: Vec<&'static str> = Vec::new();
    for _ in 0..n * 3 {
        if out.len() >= n {
            break;
        }
        let item = pick_weighted(rng, items);
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

pub(super) fn postcode(rng: &mut ChaCha8Rng, area: &str) -> String {
    const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let l = |rng: &mut ChaCha8Rng| LETTERS[rng.random_range(0..LETTERS.len())] as char;
    format!("{area}{} {}{}{}", rng.random_range(1..=10), rng.random_range(0..=9), l(rng), l(rng))
}

pub(super) fn upn(rng: &mut ChaCha8Rng) -> String {
    let letter = (b'A' + rng.random_range(0..26u8)) as char;
    format!("{letter}{:012}", rng.random_range(0..1_000_000_000_000u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_and_upns_have_their_shapes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let pc = postcode(&mut rng, "UB");
            let (outward, inward) = pc.split_once(' ').expect("a space");
            assert!(outward.starts_with("UB") && inward.len() == 3, "{pc}");
            let upn = upn(&mut rng);
            assert_eq!(upn.len(), 13, "{upn}");
            assert!(upn.starts_with(|c: char| c.is_ascii_uppercase()));
        }
    }

    #[test]
    fn weighted_picks_follow_their_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let items = [("rare", 1), ("common", 99)];
        let common = (0..2000).filter(|_| pick_weighted(&mut rng, &items) == "common").count();
        assert!(common > 1900, "{common}");
        let some = pick_some(&mut rng, &items, 1, 2);
        assert!((1..=2).contains(&some.len()));
    }
}
