//! Case-study exports (`rni case-study`): record-level data for one authority,
//! ready for an evaluator writing a case study.
//!
//! Read from a warehouse (already pseudonymised and scrubbed), then made safe
//! to hand over:
//! - every young person gets a display name made with the `fake` crate
//!   (case studies say "names have been changed"), and pseudonyms become
//!   export-local ids (`YP-001`); names, ids and row order all come from a
//!   random key drawn for the export and never written ([`key::ExportKey`]),
//!   so two exports of one warehouse share none of them;
//! - free text is scrubbed again with the current scrubber (the warehouse may
//!   have been built by an older one), then young people's tokens become their
//!   display names; `--notes none` leaves free text out;
//! - the young people meet k-anonymity over every quasi-identifier the export
//!   carries (age, gender, ethnicity, postcode, school, disability, number of
//!   episodes and every date: [`anonymity`]); a quasi-identifier no level makes
//!   safe is left out, and the records still in classes smaller than k are
//!   suppressed with their episodes and reviews. `disclosure-report.json`
//!   says what was done.

mod anonymity;
pub mod key;
pub mod profile;
mod readme;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use arrow::array::{Array, ListArray, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::config::period::Period;
use crate::config::schema::Schemas;
use crate::engine::metrics;
use crate::error::{Error, Result};
use crate::privacy::scrub::Scrubber;
use crate::publish::manifest::write_json;
use anonymity::{Attribute, Records, anonymise_among, chain};
use key::{ExportKey, display_names, name_people};
use tables::{Cell, Kind, Table, write_table};

/// What to export.
#[derive(Debug, Clone)]
pub struct CaseStudyOptions {
    /// Warehouse built by `rni build`.
    pub warehouse: PathBuf,
    /// ONS code of the authority.
    pub authority_code: String,
    /// Folder to write.
    pub out: PathBuf,
    /// Smallest class size on the quasi-identifiers.
    pub k: usize,
    /// First quarter (inclusive).
    pub from: Option<Period>,
    /// Last quarter (inclusive).
    pub to: Option<Period>,
    /// Share of young people that may be suppressed before generalising further.
    pub max_suppression: f64,
    /// Whether free text (notes, descriptions) is exported, scrubbed again.
    pub include_notes: bool,
    /// The engine the records are pulled with.
    pub engine: crate::engine::session::Engine,
    /// A build on object storage to pull the records from in place (`warehouse` then holds
    /// only its published figures, for the profile).
    #[cfg(feature = "distributed")]
    pub store: Option<crate::engine::store::StoreWarehouse>,
}

/// One column of a pulled table: every value as optional text, lists as their items.
#[derive(Debug, Clone)]
enum Column {
    Text(Vec<Option<String>>),
    List(Vec<Vec<String>>),
}

struct Pulled {
    columns: HashMap<String, Column>,
    rows: usize,
}

impl Pulled {
    fn text(&self, name: &str, row: usize) -> Option<String> {
        match self.columns.get(name) {
            Some(Column::Text(v)) => v.get(row).cloned().flatten(),
            _ => None,
        }
    }

    fn list(&self, name: &str, row: usize) -> Vec<String> {
        match self.columns.get(name) {
            Some(Column::List(v)) => v.get(row).cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

fn pull(batches: &[RecordBatch]) -> Result<Pulled> {
    let mut columns: HashMap<String, Column> = HashMap::new();
    let mut rows = 0;
    let err = |source: arrow::error::ArrowError| Error::Arrow { context: "case study".into(), source };
    for batch in batches {
        rows += batch.num_rows();
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            match field.data_type() {
                DataType::List(_) => {
                    let list = array.as_any().downcast_ref::<ListArray>();
                    let entry = columns.entry(field.name().clone()).or_insert_with(|| Column::List(Vec::new()));
                    if let (Column::List(v), Some(list)) = (entry, list) {
                        for i in 0..list.len() {
                            let items = if list.is_null(i) {
                                Vec::new()
                            } else {
                                let values = list.value(i);
                                let values = arrow::compute::cast(&values, &DataType::Utf8).map_err(err)?;
                                let s = values.as_any().downcast_ref::<StringArray>();
                                s.map(|s| {
                                    (0..s.len()).filter(|&j| s.is_valid(j)).map(|j| s.value(j).to_string()).collect()
                                })
                                .unwrap_or_default()
                            };
                            v.push(items);
                        }
                    }
                }
                _ => {
                    let text = arrow::compute::cast(array, &DataType::Utf8).map_err(err)?;
                    let s = text.as_any().downcast_ref::<StringArray>();
                    let entry = columns.entry(field.name().clone()).or_insert_with(|| Column::Text(Vec::new()));
                    if let (Column::Text(v), Some(s)) = (entry, s) {
                        v.extend((0..s.len()).map(|i| s.is_valid(i).then(|| s.value(i).to_string())));
                    }
                }
            }
        }
    }
    Ok(Pulled { columns, rows })
}

/// Latest row per id of a table, for one authority (its code checked to be an ONS code).
fn latest_sql(table: &str, id: &str, authority_code: &str) -> String {
    format!(
        "select * from (select *, row_number() over (partition by {id} order by period desc) as recency \
         from {table} where authority_code = '{authority_code}') where recency = 1 order by {id}"
    )
}

/// The quasi-identifiers of a young person, in this order, weighted by what leaving each out costs an
/// evaluator (age, ethnicity and dates most; school and the number of episodes least).
const ATTRIBUTES: [Attribute; 8] = [
    Attribute {
        name: "age",
        levels: &["age in years", "2-year age bands", "4-year age bands", "under 16 / 16 and over", "left out"],
        weight: 2.0,
    },
    Attribute { name: "gender", levels: &["gender", "left out"], weight: 1.0 },
    Attribute { name: "ethnicity", levels: &["ethnicity code", "five ethnic groups", "left out"], weight: 1.5 },
    Attribute { name: "postcode", levels: &["postcode district", "postcode area", "left out"], weight: 1.0 },
    Attribute { name: "school", levels: &["school (export-local label)", "left out"], weight: 0.5 },
    Attribute { name: "disability", levels: &["disability (Y/N)", "left out"], weight: 1.0 },
    Attribute { name: "episodes", levels: &["number of episodes", "one, or two or more", "left out"], weight: 0.5 },
    Attribute { name: "dates", levels: &["months", "quarters", "years", "left out"], weight: 1.5 },
];
const AGE: usize = 0;
const GENDER: usize = 1;
const ETHNICITY: usize = 2;
const POSTCODE: usize = 3;
const SCHOOL: usize = 4;
const DISABILITY: usize = 5;
const EPISODES: usize = 6;
const DATES: usize = 7;

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok())
}

fn yes_no(flag: Option<String>) -> Option<bool> {
    flag.map(|f| f == "true")
}

/// A date at a level of the `dates` hierarchy: the month (its first day), quarter or year.
fn date_at(date: NaiveDate, level: usize) -> String {
    match level {
        0 => format!("{}-{:02}", date.year(), date.month()),
        1 => format!("{}Q{}", date.year(), (date.month() - 1) / 3 + 1),
        2 => date.year().to_string(),
        _ => "*".into(),
    }
}

/// A date column at the chosen level: its name and type, and how a date is written.
fn date_column(stem: &str, level: usize) -> Option<(String, Kind)> {
    match level {
        0 => Some((format!("{stem}_month"), Kind::Date)),
        1 => Some((format!("{stem}_quarter"), Kind::Text)),
        2 => Some((format!("{stem}_year"), Kind::Int)),
        _ => None,
    }
}

fn date_cell(date: Option<NaiveDate>, level: usize) -> Cell {
    match level {
        0 => Cell::Date(date.and_then(|d| d.with_day(1))),
        1 => Cell::Text(date.map(|d| date_at(d, 1))),
        _ => Cell::Int(date.map(|d| i64::from(d.year()))),
    }
}

/// Every quasi-identifier value of one young person at every level.
fn hierarchy(
    yp: &Pulled,
    i: usize,
    episodes: usize,
    dates: &BTreeSet<NaiveDate>,
    reference: NaiveDate,
) -> Vec<Vec<String>> {
    let text = |c: &str| yp.text(c, i).unwrap_or_else(|| "UNKNOWN".into());
    let age = yp.text("birth_month", i).and_then(|m| {
        let born = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()?;
        let months = (reference.year() - born.year()) * 12 + reference.month() as i32 - born.month() as i32;
        Some(i64::from(months.div_euclid(12)))
    });
    let age_levels = match age {
        None => vec!["UNKNOWN".to_string(); 4],
        Some(a) => vec![
            a.to_string(),
            format!("{}-{}", a - a.rem_euclid(2), a - a.rem_euclid(2) + 1),
            format!("{}-{}", a - a.rem_euclid(4), a - a.rem_euclid(4) + 3),
            if a < 16 { "under 16" } else { "16 and over" }.to_string(),
        ],
    };
    let district = text("postcode_district");
    let area: String = district.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let with_star = |mut levels: Vec<String>| {
        levels.push("*".into());
        levels
    };
    let dates_at = |level: usize| {
        let set: BTreeSet<String> = dates.iter().map(|d| date_at(*d, level)).collect();
        set.into_iter().collect::<Vec<_>>().join(" ")
    };
    vec![
        with_star(age_levels),
        with_star(vec![text("gender")]),
        with_star(vec![text("ethnicity"), text("ethnic_group")]),
        with_star(vec![district, if area.is_empty() { "UNKNOWN".into() } else { area }]),
        with_star(vec![text("school_id")]),
        with_star(vec![text("disability")]),
        with_star(vec![episodes.to_string(), if episodes <= 1 { episodes.to_string() } else { "2+".into() }]),
        with_star(vec![dates_at(0), dates_at(1), dates_at(2)]),
    ]
}

/// What the k-anonymity step and the export did, for the disclosure report.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureReport {
    /// k.
    pub k: usize,
    /// Every quasi-identifier and the level it was generalised to.
    pub generalisation: BTreeMap<String, String>,
    /// Quasi-identifiers that no level made safe enough, left out of the export.
    pub left_out: Vec<String>,
    /// What happened to free text.
    pub free_text: String,
    /// The dates the export covers: the quarters asked for, widened to whole units of the
    /// level dates are shown at.
    pub range: String,
    /// Young people in that range, before the step.
    pub young_people_in: usize,
    /// Young people suppressed (removed with their episodes and reviews).
    pub young_people_suppressed: usize,
    /// Young people whose quasi-identifiers were coarsened.
    pub records_generalised: usize,
    /// Records changed in all: generalised or suppressed.
    pub records_changed: usize,
    /// Smallest equivalence class over every quasi-identifier in the export.
    pub smallest_class: usize,
    /// Equivalence classes in the export.
    pub classes: usize,
    /// Episodes, reviews and contexts links removed with suppressed young people.
    pub linked_rows_removed: BTreeMap<String, usize>,
    /// Rows written per table.
    pub rows_written: BTreeMap<String, usize>,
}

/// Free text for the export: scrubbed again, young people's tokens as their display names.
struct Text<'a> {
    scrubber: Option<Scrubber>,
    by_token: &'a HashMap<String, String>,
}

impl Text<'_> {
    fn cell(&self, text: Option<String>) -> Cell {
        Cell::Text(match &self.scrubber {
            Some(s) => text.map(|t| name_people(&s.scrub(&t), self.by_token)),
            None => None,
        })
    }
}

/// The four tables of an export: young people, episodes, reviews, contexts.
type Loaded = (Pulled, Pulled, Pulled, Pulled);

/// The latest row of each record of the authority, over every quarter the warehouse holds: a
/// range of quarters is chosen from these by the records' own dates (see [`Range`]), so every
/// export of a warehouse shows the same row and the same values of a record.
fn load(options: &CaseStudyOptions, schemas: &Schemas) -> Result<Loaded> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the query engine", &options.warehouse))?;
    runtime.block_on(async {
        use crate::engine::session::{Warehouse, open_at};
        #[cfg(feature = "distributed")]
        let location = match &options.store {
            Some(store) => Warehouse::Store(store),
            None => Warehouse::Folder(&options.warehouse),
        };
        #[cfg(not(feature = "distributed"))]
        let location = Warehouse::Folder(&options.warehouse);
        let ctx = open_at(location, schemas, &std::env::temp_dir(), None, &options.engine).await?;
        let code = &options.authority_code;
        let get = |sql: String| {
            let ctx = &ctx;
            async move { metrics::run_sql(ctx, &sql, "case study").await }
        };
        let yp = get(latest_sql("young_people", "person_id", code)).await?;
        let ep = get(latest_sql("episodes", "episode_id", code)).await?;
        let rv = get(latest_sql("reviews", "episode_id, review_date", code)).await?;
        let cx = get(latest_sql("contexts", "context_id", code)).await?;
        Ok((pull(&yp)?, pull(&ep)?, pull(&rv)?, pull(&cx)?))
    })
}

/// The quarters an export holds, widened to whole units of the level its dates are shown at
/// (a range of quarters becomes whole years when dates are shown as years), so that which
/// records it holds follows from the dates it shows. `None` bounds are open.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

impl Range {
    /// The range asked for at a level of the `dates` hierarchy; `None` when it is every quarter:
    /// none was asked for, or dates are left out (a range would tell what they hide).
    fn at(from: Option<Period>, to: Option<Period>, level: usize) -> Option<Range> {
        if (from.is_none() && to.is_none()) || level >= ATTRIBUTES[DATES].left_out() {
            return None;
        }
        let first = |d: NaiveDate| match level {
            2 => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
            _ => d,
        };
        let last = |d: NaiveDate| match level {
            2 => NaiveDate::from_ymd_opt(d.year(), 12, 31).unwrap_or(d),
            _ => d,
        };
        // Quarters are whole months and whole quarters already.
        Some(Range { start: from.map(|p| first(p.start())), end: to.map(|p| last(p.end())) })
    }

    fn holds(&self, date: Option<NaiveDate>) -> bool {
        date.is_some_and(|d| self.start.is_none_or(|s| d >= s) && self.end.is_none_or(|e| d <= e))
    }

    fn describe(&self) -> String {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        match (day(self.start), day(self.end)) {
            (Some(s), Some(e)) => format!("{s} to {e}"),
            (Some(s), None) => format!("from {s}"),
            (None, Some(e)) => format!("up to {e}"),
            (None, None) => "every quarter".into(),
        }
    }
}

/// The last day of the latest quarter the authority's young people appear in: ages are worked
/// out at that day from the month of birth, the same in every export of the warehouse.
fn latest_quarter_end(yp: &Pulled) -> NaiveDate {
    (0..yp.rows)
        .filter_map(|i| yp.text("period", i).and_then(|p| Period::parse(&p).ok()))
        .max()
        .map(|p| p.end())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default())
}

/// Every young person's quasi-identifiers at every level (the dates of their episodes, reviews
/// and contexts are one of them), and those dates.
type People = (Vec<Vec<Vec<String>>>, Vec<BTreeSet<NaiveDate>>);

/// Every young person's quasi-identifiers at every level, and the dates of their episodes,
/// reviews and contexts.
fn quasi_identifiers((yp, ep, rv, cx): &Loaded, reference: NaiveDate) -> People {
    let mut person_episodes: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..ep.rows {
        if let Some(p) = ep.text("person_id", i) {
            person_episodes.entry(p).or_default().push(i);
        }
    }
    let mut episode_reviews: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..rv.rows {
        if let Some(e) = rv.text("episode_id", i) {
            episode_reviews.entry(e).or_default().push(i);
        }
    }
    let mut person_contexts: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..cx.rows {
        for p in cx.list("linked_person_ids", i) {
            person_contexts.entry(p).or_default().push(i);
        }
    }
    (0..yp.rows)
        .map(|i| {
            let id = yp.text("person_id", i).unwrap_or_default();
            let episodes = person_episodes.get(&id).map(Vec::as_slice).unwrap_or_default();
            let mut dates = BTreeSet::new();
            for &e in episodes {
                dates.extend(parse_date(ep.text("start_date", e)));
                dates.extend(parse_date(ep.text("end_date", e)));
                let reviews = ep.text("episode_id", e).and_then(|id| episode_reviews.get(&id));
                for &r in reviews.map(Vec::as_slice).unwrap_or_default() {
                    dates.extend(parse_date(rv.text("review_date", r)));
                }
            }
            for &c in person_contexts.get(&id).map(Vec::as_slice).unwrap_or_default() {
                dates.extend(parse_date(cx.text("identified_date", c)));
                dates.extend(parse_date(cx.text("assessment_date", c)));
            }
            (hierarchy(yp, i, episodes.len(), &dates, reference), dates)
        })
        .unzip()
}

/// Writes the export; returns its disclosure report.
pub fn export(options: &CaseStudyOptions, schemas: &Schemas) -> Result<DisclosureReport> {
    if !crate::config::reference::is_authority_code(&options.authority_code) {
        return Err(Error::Usage(format!(
            "`{}` is not an ONS authority code such as E09000017",
            options.authority_code
        )));
    }
    if options.k < 2 {
        return Err(Error::Usage("--k must be 2 or more".into()));
    }
    // The records and the generalisation path come from the authority's whole data, so that
    // every export of this warehouse shows the same values of a record and picks from the same
    // path (see `anonymity`); a range of quarters holds the young people with a date in it.
    let loaded = load(options, schemas)?;
    let (yp, ep, rv, cx) = &loaded;
    if yp.rows == 0 {
        return Err(Error::Usage(format!("the warehouse holds no young people for {}", options.authority_code)));
    }
    let reference = latest_quarter_end(yp);
    let (hierarchies, dates_of) = quasi_identifiers(&loaded, reference);
    let records = Records::new(&hierarchies);
    let path = chain(&records, &ATTRIBUTES);
    let inside_at = |levels: &[usize]| -> Vec<bool> {
        let dates = levels.get(DATES).copied().unwrap_or(usize::MAX);
        match Range::at(options.from, options.to, dates) {
            None => vec![true; yp.rows],
            Some(range) => dates_of.iter().map(|d| d.iter().any(|&x| range.holds(Some(x)))).collect(),
        }
    };
    let choice = anonymise_among(&records, &path, options.k, options.max_suppression, inside_at);
    let level = |a: usize| choice.levels.get(a).copied().unwrap_or(ATTRIBUTES[a].left_out());
    let shown = |a: usize| level(a) < ATTRIBUTES[a].left_out();
    let range = Range::at(options.from, options.to, level(DATES));
    let young_people_in = choice.outside.iter().filter(|&&o| !o).count();
    if young_people_in == 0 {
        return Err(Error::Usage(format!(
            "the warehouse holds no young people for {} with an episode, review or context dated in the quarters asked for",
            options.authority_code
        )));
    }
    let kept: Vec<usize> = (0..yp.rows).filter(|&i| !choice.suppressed[i] && !choice.outside[i]).collect();
    let suppressed_people: BTreeSet<String> =
        (0..yp.rows).filter(|&i| choice.suppressed[i]).filter_map(|i| yp.text("person_id", i)).collect();
    let in_range = |date: Option<NaiveDate>| range.is_none_or(|r| r.holds(date));

    // Export-local ids and display names.
    let kept_people: BTreeSet<String> = kept.iter().filter_map(|&i| yp.text("person_id", i)).collect();
    let key = ExportKey::random()?;
    let names = display_names(&kept_people, &key);
    let local_person = key.local_ids("young person", &kept_people, |n| format!("YP-{n:03}"));
    let by_token: HashMap<String, String> =
        names.iter().map(|(id, name)| (id[..id.len().min(8)].to_string(), name.clone())).collect();
    let schools: BTreeSet<String> = kept.iter().filter_map(|&i| yp.text("school_id", i)).collect();
    let local_school = key.local_ids("school", &schools, |n| format!("School {n:02}"));
    let scrubber = if options.include_notes { Some(Scrubber::new(&[])?) } else { None };
    let text = Text { scrubber, by_token: &by_token };
    let dates = level(DATES);

    let mut young_people = Table::default();
    let mut columns = vec![("young_person", Kind::Text), ("display_name", Kind::Text)];
    for (a, column) in [(AGE, "age_band"), (GENDER, "gender"), (ETHNICITY, "ethnic_group"), (POSTCODE, "postcode")] {
        if shown(a) {
            columns.push((column, Kind::Text));
        }
    }
    if shown(SCHOOL) {
        columns.push(("school", Kind::Text));
    }
    if shown(DISABILITY) {
        columns.push(("disability", Kind::Bool));
    }
    match level(EPISODES) {
        0 => columns.push(("episodes", Kind::Int)),
        1 => columns.push(("episodes_band", Kind::Text)),
        _ => {}
    }
    if options.include_notes {
        columns.push(("notes", Kind::Text));
    }
    young_people.columns = columns.into_iter().map(|(c, k)| (c.to_string(), k)).collect();
    let mut generalised = 0;
    for &i in &kept {
        let Some(id) = yp.text("person_id", i) else { continue };
        let h = &hierarchies[i];
        if (0..ATTRIBUTES.len()).any(|a| h[a][level(a)] != h[a][0]) {
            generalised += 1;
        }
        let mut row = vec![Cell::Text(local_person.get(&id).cloned()), Cell::Text(names.get(&id).cloned())];
        for a in [AGE, GENDER, ETHNICITY, POSTCODE] {
            if shown(a) {
                row.push(Cell::Text(Some(h[a][level(a)].clone())));
            }
        }
        if shown(SCHOOL) {
            row.push(Cell::Text(yp.text("school_id", i).and_then(|s| local_school.get(&s).cloned())));
        }
        if shown(DISABILITY) {
            row.push(Cell::Bool(yes_no(yp.text("disability", i))));
        }
        match level(EPISODES) {
            0 => row.push(Cell::Int(h[EPISODES][0].parse().ok())),
            1 => row.push(Cell::Text(Some(h[EPISODES][1].clone()))),
            _ => {}
        }
        if options.include_notes {
            row.push(text.cell(yp.text("notes", i)));
        }
        young_people.rows.push(row);
    }

    // Every episode and review of the young people kept (a range chooses young people, then shows
    // each with their whole history, so what it shows of them is what any export shows); what
    // belonged to a suppressed young person is counted as removed.
    let mut linked_removed: BTreeMap<String, usize> = BTreeMap::new();
    let mut episode_ids: Vec<String> = Vec::new();
    let mut removed_episodes: BTreeSet<String> = BTreeSet::new();
    for i in 0..ep.rows {
        let (Some(person), Some(id)) = (ep.text("person_id", i), ep.text("episode_id", i)) else { continue };
        if local_person.contains_key(&person) {
            episode_ids.push(id);
        } else if suppressed_people.contains(&person) {
            removed_episodes.insert(id);
        }
    }
    linked_removed.insert("episodes".into(), removed_episodes.len());
    let local_episode = key.local_ids("episode", &episode_ids, |n| format!("EP-{n:03}"));
    let mut episodes = Table::default();
    let mut columns: Vec<(String, Kind)> = vec![("episode".into(), Kind::Text), ("young_person".into(), Kind::Text)];
    columns.extend(date_column("start", dates));
    columns.extend(date_column("end", dates));
    for (c, k) in [
        ("referral_source", Kind::Text),
        ("harm_types", Kind::Text),
        ("contexts_identified", Kind::Text),
        ("lead_service", Kind::Text),
        ("plan_type", Kind::Text),
        ("contextual_assessment", Kind::Bool),
        ("parents_engaged", Kind::Bool),
        ("relocated", Kind::Bool),
        ("risk_at_start", Kind::Text),
        ("risk_at_end", Kind::Text),
    ] {
        columns.push((c.into(), k));
    }
    if options.include_notes {
        columns.push(("notes".into(), Kind::Text));
    }
    episodes.columns = columns;
    for i in 0..ep.rows {
        let Some(local) = ep.text("episode_id", i).and_then(|e| local_episode.get(&e).cloned()) else { continue };
        let person = ep.text("person_id", i).and_then(|p| local_person.get(&p).cloned());
        let list = |name: &str| Cell::Text(Some(ep.list(name, i).join(";")).filter(|s| !s.is_empty()));
        let mut row = vec![Cell::Text(Some(local)), Cell::Text(person)];
        if dates < ATTRIBUTES[DATES].left_out() {
            row.push(date_cell(parse_date(ep.text("start_date", i)), dates));
            row.push(date_cell(parse_date(ep.text("end_date", i)), dates));
        }
        row.extend([
            Cell::Text(ep.text("referral_source", i)),
            list("harm_types"),
            list("contexts_identified"),
            Cell::Text(ep.text("lead_service", i)),
            Cell::Text(ep.text("plan_type", i)),
            Cell::Bool(yes_no(ep.text("contextual_assessment", i))),
            Cell::Bool(yes_no(ep.text("parents_engaged", i))),
            Cell::Bool(yes_no(ep.text("relocated", i))),
            Cell::Text(ep.text("risk_at_start", i)),
            Cell::Text(ep.text("risk_at_end", i)),
        ]);
        if options.include_notes {
            row.push(text.cell(ep.text("notes", i)));
        }
        episodes.rows.push(row);
    }

    let mut reviews = Table::default();
    let mut columns: Vec<(String, Kind)> = vec![("episode".into(), Kind::Text)];
    columns.extend(date_column("review", dates));
    columns.extend([
        ("risk_level".into(), Kind::Text),
        ("young_person_participated".into(), Kind::Bool),
        ("parent_participated".into(), Kind::Bool),
    ]);
    reviews.columns = columns;
    linked_removed.insert("reviews".into(), 0);
    for i in 0..rv.rows {
        let episode = rv.text("episode_id", i).unwrap_or_default();
        match local_episode.get(&episode).cloned() {
            Some(local) => {
                let mut row = vec![Cell::Text(Some(local))];
                if dates < ATTRIBUTES[DATES].left_out() {
                    row.push(date_cell(parse_date(rv.text("review_date", i)), dates));
                }
                row.extend([
                    Cell::Text(rv.text("risk_level", i)),
                    Cell::Bool(yes_no(rv.text("young_person_participated", i))),
                    Cell::Bool(yes_no(rv.text("parent_participated", i))),
                ]);
                reviews.rows.push(row);
            }
            None if removed_episodes.contains(&episode) => *linked_removed.entry("reviews".into()).or_insert(0) += 1,
            None => {}
        }
    }

    let mut contexts = Table::default();
    let mut columns: Vec<(String, Kind)> = vec![("context".into(), Kind::Text), ("context_type".into(), Kind::Text)];
    if options.include_notes {
        columns.push(("description".into(), Kind::Text));
    }
    columns.extend(date_column("identified", dates));
    columns.extend(date_column("assessment", dates));
    columns.extend([
        ("intervention".into(), Kind::Text),
        ("outcome".into(), Kind::Text),
        ("linked_young_people".into(), Kind::Text),
    ]);
    contexts.columns = columns;
    // Contexts: those linked to a young person kept, and the others dated in the range.
    let contexts_in: Vec<(usize, String)> = (0..cx.rows)
        .filter(|&i| {
            range.is_none()
                || cx.list("linked_person_ids", i).iter().any(|p| local_person.contains_key(p))
                || in_range(parse_date(cx.text("identified_date", i)))
                || in_range(parse_date(cx.text("assessment_date", i)))
        })
        .map(|i| (i, cx.text("context_id", i).unwrap_or_else(|| i.to_string())))
        .collect();
    let context_ids: Vec<String> = contexts_in.iter().map(|(_, id)| id.clone()).collect();
    let local_context = key.local_ids("context", &context_ids, |n| format!("CX-{n:03}"));
    linked_removed.insert("context links".into(), 0);
    for (i, context_id) in contexts_in.iter().map(|(i, id)| (*i, id)) {
        let linked = cx.list("linked_person_ids", i);
        let local: Vec<String> = linked.iter().filter_map(|p| local_person.get(p).cloned()).collect();
        *linked_removed.entry("context links".into()).or_insert(0) +=
            linked.iter().filter(|p| suppressed_people.contains(*p)).count();
        let mut row = vec![Cell::Text(local_context.get(context_id).cloned()), Cell::Text(cx.text("context_type", i))];
        if options.include_notes {
            row.push(text.cell(cx.text("description", i)));
        }
        if dates < ATTRIBUTES[DATES].left_out() {
            row.push(date_cell(parse_date(cx.text("identified_date", i)), dates));
            row.push(date_cell(parse_date(cx.text("assessment_date", i)), dates));
        }
        row.extend([
            Cell::Text(cx.text("intervention", i)),
            Cell::Text(cx.text("outcome", i)),
            Cell::Text(Some(local.join(";")).filter(|s| !s.is_empty())),
        ]);
        contexts.rows.push(row);
    }

    std::fs::create_dir_all(&options.out).map_err(Error::io("cannot create", &options.out))?;
    let mut rows_written = BTreeMap::new();
    for (name, table) in [
        ("young_people", &mut young_people),
        ("episodes", &mut episodes),
        ("reviews", &mut reviews),
        ("contexts", &mut contexts),
    ] {
        key.shuffle(name, &mut table.rows);
        write_table(&options.out, name, table)?;
        rows_written.insert(name.to_string(), table.rows.len());
    }
    let generalisation = ATTRIBUTES
        .iter()
        .enumerate()
        .map(|(a, attr)| (attr.name.to_string(), attr.levels[level(a)].to_string()))
        .collect();
    let suppressed_count = choice.suppressed.iter().filter(|&&s| s).count();
    let report = DisclosureReport {
        k: options.k,
        generalisation,
        left_out: (0..ATTRIBUTES.len()).filter(|&a| !shown(a)).map(|a| ATTRIBUTES[a].name.to_string()).collect(),
        free_text: if options.include_notes {
            "scrubbed again at export with the current scrubber; young people's tokens became display names".into()
        } else {
            "left out (--notes none)".into()
        },
        range: match (range, options.from.is_some() || options.to.is_some()) {
            (Some(r), _) => format!("{}: young people with an episode, review or context dated in it", r.describe()),
            (None, true) => "every quarter: dates are left out of this export, so a range of quarters would \
                             tell what they hide"
                .into(),
            (None, false) => "every quarter".into(),
        },
        young_people_in,
        young_people_suppressed: suppressed_count,
        records_generalised: generalised,
        records_changed: generalised + suppressed_count,
        smallest_class: choice.smallest_class,
        classes: choice.classes,
        linked_rows_removed: linked_removed,
        rows_written,
    };
    write_json(&options.out.join("disclosure-report.json"), &report)?;
    let path = options.out.join("README.md");
    std::fs::write(&path, readme::readme(options, &report)).map_err(Error::io("cannot write", &path))?;
    let path = options.out.join("data-dictionary.md");
    std::fs::write(&path, readme::EXPORT_DICTIONARY).map_err(Error::io("cannot write", &path))?;
    Ok(report)
}
