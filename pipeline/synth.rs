//! Synthetic returns (`rni synth`, and the input of `rni demo`).
//!
//! Makes CS returns for real authority codes in the layout of PRODUCT.md §3.1:
//! young people with their episodes, reviews and contexts, panels, practice
//! and adoption, and case notes written the way practitioners write them
//! (names of the young person and peers, phone numbers, postcodes, schools,
//! streets, dates), so that every later stage has something real to chew on.
//! Everything comes from one seeded ChaCha generator and the `fake` crate:
//! the same options give byte-identical files. With `--messy` the files look
//! like real LA exports (header aliases, DD/MM/YYYY dates, Windows-1252 and
//! BOMs, workbooks with date serials, notes with line breaks, value aliases)
//! and a few rows are deliberately bad; `synth-manifest.json` lists where each
//! kind of mess went, by file, row, column and rule, never by value.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::rngs::ChaCha8Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::reference::{self, Authority};
use crate::schema::{Schemas, TableSchema};

/// File format of a synthetic return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One CSV file per table.
    Csv,
    /// One workbook, one sheet per table.
    Xlsx,
}

/// What to synthesise.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Folder that receives `<authority_code>/<period>/…`.
    pub out: PathBuf,
    /// Number of authorities (Hillingdon first, then others chosen by the seed).
    pub authorities: usize,
    /// Young people per authority over all periods.
    pub young_people: usize,
    /// Quarters to write a return for.
    pub periods: Vec<Period>,
    /// Seed of the random generator.
    pub seed: u64,
    /// CSV or XLSX (messy output mixes in workbooks either way).
    pub format: Format,
    /// Make the files look like real exports, with a few bad rows.
    pub is_messy: bool,
}

/// What was written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SynthReport {
    /// Returns written (authority × period).
    pub returns: usize,
    /// Files written.
    pub files: usize,
    /// Data rows written over all tables.
    pub rows: usize,
    /// Rows deliberately made bad.
    pub planted: usize,
    /// Authorities used, by code.
    pub authority_codes: Vec<String>,
}

/// One return as written, for `synth-manifest.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReturnInfo {
    /// ONS code of the authority.
    pub authority_code: String,
    /// Quarter.
    pub period: String,
    /// `csv` or `xlsx`.
    pub format: String,
    /// `utf-8`, `utf-8-bom` or `windows-1252` (CSV only).
    pub encoding: String,
    /// `iso`, `dmy` or `serial`.
    pub date_style: String,
    /// `canonical`, `title`, `alias` or `shuffled-alias`.
    pub header_style: String,
    /// Files of the return, relative to the output folder.
    pub files: Vec<String>,
}

/// A deliberately bad row: where it is and which rule it breaks.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct PlantedRow {
    /// File, relative to the output folder.
    pub file: String,
    /// Table (sheet) name.
    pub table: String,
    /// Row as a spreadsheet shows it: the header is row 1.
    pub row: usize,
    /// Canonical column name.
    pub column: String,
    /// Rule broken: `required`, `date`, `code` or `reference`.
    pub rule: String,
}

/// Contents of `synth-manifest.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SynthManifest {
    /// Seed used.
    pub seed: u64,
    /// Whether `--messy` was on.
    pub messy: bool,
    /// Every return written.
    pub returns: Vec<ReturnInfo>,
    /// Every deliberately bad row.
    pub planted: Vec<PlantedRow>,
}

/// Name of the manifest file written beside the returns.
pub const MANIFEST_FILE: &str = "synth-manifest.json";

// Names that exercise encodings and apostrophes; messy returns always hold some.
const SPECIAL_FIRST: &[&str] = &["Zoë", "Seán", "Siobhán", "Chloë", "Renée", "José", "Róisín"];
const SPECIAL_LAST: &[&str] = &["O'Connor", "O'Brien", "D'Souza", "Nuñez", "Ó Briain", "Müller"];
const STREETS: &[&str] = &[
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
const STREET_KINDS: &[&str] = &["Road", "Street", "Close", "Avenue", "Lane", "Way", "Gardens", "Crescent"];
const TOWNS: &[&str] =
    &["Slough", "Reading", "Luton", "Swindon", "Southend", "Ipswich", "Margate", "Crawley", "Northampton"];
const PLACES: &[&str] = &[
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
const SCHOOL_WORDS: &[&str] = &["Academy", "High School", "School", "College", "Free School", "Pupil Referral Unit"];
const AREAS: &[&str] =
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

#[derive(Debug, Clone)]
struct Person {
    child_id: String,
    first: String,
    last: String,
    dob: NaiveDate,
    gender: &'static str,
    ethnicity: Option<&'static str>,
    postcode: Option<String>,
    school: Option<String>,
    upn: Option<String>,
    disability: Option<bool>,
    notes: Note,
}

#[derive(Debug, Clone)]
struct Episode {
    id: String,
    person: usize,
    start: NaiveDate,
    end: Option<NaiveDate>,
    referral: &'static str,
    harms: Vec<&'static str>,
    contexts: Vec<&'static str>,
    lead: &'static str,
    plan: &'static str,
    contextual_assessment: bool,
    parents_engaged: Option<bool>,
    relocated: Option<bool>,
    risk_start: &'static str,
    risk_end: &'static str,
    notes: Note,
}

#[derive(Debug, Clone)]
struct ContextRow {
    id: String,
    kind: &'static str,
    description: Note,
    identified: NaiveDate,
    assessed: Option<NaiveDate>,
    intervention: &'static str,
    outcome: &'static str,
    linked: Vec<usize>,
}

/// A cell before it is written in a file's style.
#[derive(Debug, Clone)]
enum Cell {
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

fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Cell) -> Cell {
    value.map_or(Cell::Empty, f)
}

struct Table {
    name: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// How one return's files are written.
#[derive(Debug, Clone, Copy)]
struct Style {
    format: Format,
    encoding: &'static str,
    date_style: &'static str,
    header_style: &'static str,
    is_messy: bool,
}

/// Writes synthetic returns under `options.out` and a `synth-manifest.json` beside them.
pub fn synthesise(options: &SynthOptions, schemas: &Schemas) -> Result<SynthReport> {
    if options.authorities == 0 || options.young_people == 0 || options.periods.is_empty() {
        return Err(Error::Usage("synth needs at least one authority, one young person and one period".into()));
    }
    let all = reference::authorities()?;
    let chosen = choose_authorities(&all, options.authorities, options.seed)?;
    std::fs::create_dir_all(&options.out).map_err(Error::io("cannot create", &options.out))?;
    let mut manifest = SynthManifest { seed: options.seed, messy: options.is_messy, returns: vec![], planted: vec![] };
    let mut report =
        SynthReport { authority_codes: chosen.iter().map(|a| a.code.clone()).collect(), ..Default::default() };
    let mut return_index = 0usize;
    for (a_index, authority) in chosen.iter().enumerate() {
        let mut rng =
            ChaCha8Rng::seed_from_u64(options.seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(a_index as u64 + 1)));
        let cohort = Cohort::generate(&mut rng, authority, a_index, options);
        for (p_index, &period) in options.periods.iter().enumerate() {
            let style = style_for(options, a_index, return_index);
            return_index += 1;
            let mut tables = cohort.tables_for(period, p_index, &mut rng);
            let dir_rel = format!("{}/{}", authority.code, period);
            let dir = options.out.join(&dir_rel);
            std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
            let mut planted = Vec::new();
            if options.is_messy {
                planted = plant_bad_rows(&mut tables, &cohort, &mut rng, period);
            }
            let mut info = ReturnInfo {
                authority_code: authority.code.clone(),
                period: period.to_string(),
                format: match style.format {
                    Format::Csv => "csv".into(),
                    Format::Xlsx => "xlsx".into(),
                },
                encoding: style.encoding.into(),
                date_style: style.date_style.into(),
                header_style: style.header_style.into(),
                files: vec![],
            };
            let rendered: Vec<RenderedTable> =
                tables.iter().map(|t| render_table(t, schemas, style, &mut rng)).collect::<Result<_>>()?;
            report.rows += tables.iter().map(|t| t.rows.len()).sum::<usize>();
            match style.format {
                Format::Csv => {
                    for ((table, headers, rows), t) in rendered.iter().zip(&tables) {
                        let file_rel = format!("{dir_rel}/{table}.csv");
                        write_csv(&options.out.join(&file_rel), headers, rows, style)?;
                        for p in planted.iter().filter(|p| p.table == t.name) {
                            manifest.planted.push(PlantedRow { file: file_rel.clone(), ..p.clone() });
                        }
                        info.files.push(file_rel);
                    }
                }
                Format::Xlsx => {
                    let file_rel = format!("{dir_rel}/return.xlsx");
                    write_xlsx(&options.out.join(&file_rel), &rendered)?;
                    for p in &planted {
                        manifest.planted.push(PlantedRow { file: file_rel.clone(), ..p.clone() });
                    }
                    info.files.push(file_rel);
                }
            }
            report.files += info.files.len();
            report.planted += planted.len();
            report.returns += 1;
            manifest.returns.push(info);
        }
    }
    let path = options.out.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Usage(e.to_string()))?;
    std::fs::write(&path, json).map_err(Error::io("cannot write", &path))?;
    Ok(report)
}

fn choose_authorities(all: &[Authority], n: usize, seed: u64) -> Result<Vec<Authority>> {
    if n > all.len() {
        return Err(Error::Usage(format!("--authorities {n}: the reference data has {} authorities", all.len())));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x5eed));
    let hillingdon = all.iter().find(|a| a.code == "E09000017").cloned();
    let mut out: Vec<Authority> = hillingdon.into_iter().collect();
    let mut rest: Vec<&Authority> = all.iter().filter(|a| a.code != "E09000017").collect();
    while out.len() < n {
        let i = rng.random_range(0..rest.len());
        out.push(rest.swap_remove(i).clone());
    }
    Ok(out)
}

fn style_for(options: &SynthOptions, authority_index: usize, return_index: usize) -> Style {
    if !options.is_messy {
        return Style {
            format: options.format,
            encoding: "utf-8",
            date_style: if options.format == Format::Xlsx { "serial" } else { "iso" },
            header_style: "canonical",
            is_messy: false,
        };
    }
    // Cycle through the kinds of mess so that any four returns hold all of them.
    let format = if options.format == Format::Xlsx || return_index % 4 == 3 { Format::Xlsx } else { Format::Csv };
    let encoding = match (format, return_index % 4) {
        (Format::Xlsx, _) => "utf-8",
        (_, 1) => "windows-1252",
        (_, 2) => "utf-8-bom",
        _ => "utf-8",
    };
    let date_style = match format {
        Format::Xlsx => "serial",
        Format::Csv if authority_index.is_multiple_of(2) => "dmy",
        Format::Csv => "iso",
    };
    let header_style = ["alias", "title", "shuffled-alias", "canonical"][(authority_index + return_index) % 4];
    Style { format, encoding, date_style, header_style, is_messy: true }
}

struct Cohort {
    authority_index: usize,
    people: Vec<Person>,
    episodes: Vec<Episode>,
    contexts: Vec<ContextRow>,
    review_interval: i64,
    first_stage: usize,
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Every list passed here is a non-empty constant.
    items[rng.random_range(0..items.len())]
}

fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
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

fn date_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

impl Cohort {
    fn generate(rng: &mut ChaCha8Rng, authority: &Authority, a_index: usize, options: &SynthOptions) -> Cohort {
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
    fn tables_for(&self, period: Period, p_index: usize, rng: &mut ChaCha8Rng) -> Vec<Table> {
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
                Cell::Flag(rng.random_bool(0.3 + 0.15 * p_index as f64)),
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

fn pick_some(rng: &mut ChaCha8Rng, items: &[(&'static str, u32)], min: usize, max: usize) -> Vec<&'static str> {
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

fn postcode(rng: &mut ChaCha8Rng, area: &str) -> String {
    const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let l = |rng: &mut ChaCha8Rng| LETTERS[rng.random_range(0..LETTERS.len())] as char;
    format!("{area}{} {}{}{}", rng.random_range(1..=10), rng.random_range(0..=9), l(rng), l(rng))
}

fn upn(rng: &mut ChaCha8Rng) -> String {
    let letter = (b'A' + rng.random_range(0..26u8)) as char;
    format!("{letter}{:012}", rng.random_range(0..1_000_000_000_000u64))
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    let n: u32 = rng.random_range(100_000..999_999);
    match rng.random_range(0..4) {
        0 => format!("07700 9{n:05}").chars().take(12).collect(),
        1 => format!("077009{n:05}").chars().take(11).collect(),
        2 => format!("+44 7700 {n:06}"),
        _ => format!("020 8{:03} {:04}", n % 1000, n % 10000),
    }
}

fn spoken_date(rng: &mut ChaCha8Rng) -> String {
    let d = NaiveDate::from_ymd_opt(2025, rng.random_range(1..=12), rng.random_range(1..=28)).unwrap_or_default();
    match rng.random_range(0..4) {
        0 => d.format("%d/%m/%Y").to_string(),
        1 => d.format("%d.%m.%y").to_string(),
        2 => d.format("%-d %B").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

struct NoteContext {
    subject: Option<usize>,
    school: Option<String>,
    area: &'static str,
    upn: Option<String>,
}

/// A name for somebody who is not in the return (a peer, parent or worker).
fn outside_name(rng: &mut ChaCha8Rng) -> (String, String) {
    (FirstName(EN).fake_with_rng(rng), LastName(EN).fake_with_rng(rng))
}

fn make_note(
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
    note
}

fn make_context_note(rng: &mut ChaCha8Rng, people: &[(String, String)], ctx: &NoteContext) -> Note {
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

fn plant_bad_rows(tables: &mut [Table], cohort: &Cohort, rng: &mut ChaCha8Rng, period: Period) -> Vec<PlantedRow> {
    let mut planted = Vec::new();
    let known: Vec<String> = tables[0]
        .rows
        .iter()
        .filter_map(|r| match &r[0] {
            Cell::Text(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let base_person = cohort.people[0].clone();
    let young_person = |id: Cell, dob: Cell| -> Vec<Cell> {
        vec![
            id,
            Cell::Text(base_person.first.clone()),
            Cell::Text(base_person.last.clone()),
            dob,
            Cell::Code("F"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]
    };
    let mut insert =
        |tables: &mut [Table], t: usize, row: Vec<Cell>, column: &str, rule: &str, rng: &mut ChaCha8Rng| {
            let rows = &mut tables[t].rows;
            let at = rng.random_range(0..=rows.len());
            rows.insert(at, row);
            for p in planted.iter_mut() {
                let p: &mut PlantedRow = p;
                if p.table == tables[t].name && p.row >= at + 2 {
                    p.row += 1;
                }
            }
            planted.push(PlantedRow {
                file: String::new(),
                table: tables[t].name.to_string(),
                row: at + 2,
                column: column.to_string(),
                rule: rule.to_string(),
            });
        };
    insert(tables, 0, young_person(Cell::Empty, Cell::Date(base_person.dob)), "child_id", "required", rng);
    let year = period.year - 14;
    insert(
        tables,
        0,
        young_person(Cell::Text(format!("BAD{:05}", rng.random_range(0..99999))), Cell::Raw(format!("31/02/{year}"))),
        "date_of_birth",
        "date",
        rng,
    );
    let template = tables[1].rows.first().cloned();
    if let (Some(template), Some(child)) = (template, known.first()) {
        let mut row = template.clone();
        row[0] = Cell::Text(format!("EPX{:06}", rng.random_range(0..999999)));
        row[1] = Cell::Text(child.clone());
        row[4] = Cell::Raw("Carrier Pigeon".into());
        insert(tables, 1, row, "referral_source", "code", rng);
        let mut row = template;
        row[0] = Cell::Text(format!("EPY{:06}", rng.random_range(0..999999)));
        row[1] = Cell::Text(format!("ZZ{:06}", rng.random_range(0..999999)));
        insert(tables, 1, row, "child_id", "reference", rng);
    }
    planted
}

/// A cell as it will be written.
#[derive(Debug, Clone)]
enum RenderedCell {
    Text(String),
    Number(f64),
    DateSerial(f64),
    Empty,
}

/// A table ready to write: name (file stem or sheet), headers, rows.
type RenderedTable = (String, Vec<String>, Vec<Vec<RenderedCell>>);

fn excel_serial(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (date - epoch).num_days() as f64
}

fn render_table(table: &Table, schemas: &Schemas, style: Style, rng: &mut ChaCha8Rng) -> Result<RenderedTable> {
    let schema =
        schemas.table(table.name).ok_or_else(|| Error::Usage(format!("no schema for table {}", table.name)))?;
    let mut order: Vec<usize> = (0..table.columns.len()).collect();
    if style.header_style == "shuffled-alias" {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
    }
    let headers = order.iter().map(|&i| header_for(schema, table.columns[i], style.header_style, rng)).collect();
    let rows = table
        .rows
        .iter()
        .map(|row| order.iter().map(|&i| render_cell(&row[i], schema, table.columns[i], style, rng)).collect())
        .collect();
    let name = match (style.format, style.is_messy) {
        (Format::Xlsx, true) => schema.aliases.first().cloned().unwrap_or_else(|| schema.name.clone()),
        _ => schema.name.clone(),
    };
    Ok((name, headers, rows))
}

fn header_for(schema: &TableSchema, column: &str, style: &str, rng: &mut ChaCha8Rng) -> String {
    let spec = schema.column_index(column).map(|i| &schema.columns[i]);
    let aliases = spec.map(|s| s.aliases.as_slice()).unwrap_or(&[]);
    match style {
        "title" => column
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" "),
        "alias" => aliases.first().cloned().unwrap_or_else(|| column.to_string()),
        "shuffled-alias" => aliases
            .choose(rng)
            .map(|a| if rng.random_bool(0.3) { a.to_uppercase() } else { a.clone() })
            .unwrap_or_else(|| column.to_uppercase()),
        _ => column.to_string(),
    }
}

fn render_cell(cell: &Cell, schema: &TableSchema, column: &str, style: Style, rng: &mut ChaCha8Rng) -> RenderedCell {
    let alias_of = |code: &str, rng: &mut ChaCha8Rng| -> String {
        if !style.is_messy || !rng.random_bool(0.3) {
            return code.to_string();
        }
        schema
            .column_index(column)
            .and_then(|i| schema.columns[i].codes.as_ref())
            .and_then(|set| set.aliases.get(code))
            .and_then(|a| a.choose(rng).cloned())
            .unwrap_or_else(|| code.to_string())
    };
    match cell {
        Cell::Empty => RenderedCell::Empty,
        Cell::Text(s) | Cell::Raw(s) => {
            if s.is_empty() {
                RenderedCell::Empty
            } else {
                RenderedCell::Text(s.clone())
            }
        }
        Cell::Date(d) => match style.date_style {
            "serial" => RenderedCell::DateSerial(excel_serial(*d)),
            "dmy" => RenderedCell::Text(d.format("%d/%m/%Y").to_string()),
            _ => RenderedCell::Text(d.format("%Y-%m-%d").to_string()),
        },
        Cell::Code(c) => RenderedCell::Text(alias_of(c, rng)),
        Cell::Codes(list) => {
            if list.is_empty() {
                return RenderedCell::Empty;
            }
            let sep = if style.is_messy && rng.random_bool(0.5) { "; " } else { ";" };
            RenderedCell::Text(list.iter().map(|c| alias_of(c, rng)).collect::<Vec<_>>().join(sep))
        }
        Cell::Flag(b) => {
            let (y, n) = if style.is_messy && rng.random_bool(0.3) { ("Yes", "No") } else { ("Y", "N") };
            RenderedCell::Text(if *b { y } else { n }.to_string())
        }
        Cell::Count(n) => match style.format {
            Format::Xlsx => RenderedCell::Number(*n as f64),
            Format::Csv => RenderedCell::Text(n.to_string()),
        },
    }
}

fn write_csv(path: &Path, headers: &[String], rows: &[Vec<RenderedCell>], style: Style) -> Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(if style.is_messy { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    let io = |e: csv::Error| Error::Io { action: "cannot write", path: path.to_path_buf(), source: e.into() };
    writer.write_record(headers).map_err(io)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|c| match c {
                RenderedCell::Text(s) => s.clone(),
                RenderedCell::Number(n) | RenderedCell::DateSerial(n) => n.to_string(),
                RenderedCell::Empty => String::new(),
            }))
            .map_err(io)?;
    }
    let utf8 = writer.into_inner().map_err(|e| Error::Io {
        action: "cannot write",
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    let bytes = match style.encoding {
        "windows-1252" => {
            let text = String::from_utf8_lossy(&utf8);
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        }
        "utf-8-bom" => [b"\xEF\xBB\xBF".as_slice(), &utf8].concat(),
        _ => utf8,
    };
    std::fs::write(path, bytes).map_err(Error::io("cannot write", path))
}

fn write_xlsx(path: &Path, tables: &[RenderedTable]) -> Result<()> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Workbook};
    let xerr = |source| Error::Xlsx { path: path.to_path_buf(), source };
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the workbook byte-identical run after run.
    let created = ExcelDateTime::from_ymd(2025, 1, 1).map_err(xerr)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date_format = XFormat::new().set_num_format("dd/mm/yyyy");
    for (name, headers, rows) in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name.as_str()).map_err(xerr)?;
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(0, c as u16, h.as_str()).map_err(xerr)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    RenderedCell::Text(s) => sheet.write_string(r, c, s.as_str()).map(|_| ()),
                    RenderedCell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    RenderedCell::DateSerial(n) => sheet.write_number_with_format(r, c, *n, &date_format).map(|_| ()),
                    RenderedCell::Empty => Ok(()),
                }
                .map_err(xerr)?;
            }
        }
    }
    workbook.save(path).map_err(xerr)
}

/// Reads `synth-manifest.json` from a folder written by [`synthesise`].
pub fn read_manifest(dir: &Path) -> Result<SynthManifest> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(Error::io("cannot read", &path))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Input { path, message: e.to_string() })
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
