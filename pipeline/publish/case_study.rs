//! Case-study exports (`rni case-study`): record-level data for one authority,
//! ready for an evaluator writing a case study.
//!
//! Read from a warehouse (already pseudonymised and scrubbed), then made safe
//! to hand over: every young person gets a display name made with the `fake`
//! crate, because case studies say "names have been changed"; notes use those
//! names in place of `[PERSON:…]` tokens; pseudonyms are replaced by
//! export-local ids (`YP-001`); dates become months. Names, local ids and row
//! order all come from a random key drawn for the export and never written
//! ([`ExportKey`]): two exports of one warehouse share none of them, and
//! nobody holding the warehouse can recompute them. The young people then meet k-anonymity on age band, gender, ethnic
//! group and postcode district: attributes are generalised (wider age bands,
//! five ethnic groups, postcode area) until few records stand out, and the
//! records still in classes smaller than k are suppressed
//! with their episodes and reviews. `disclosure-report.json` says what was done.
//! The levels are the least generalisation (over every combination) that
//! leaves no more than a set share of young people to suppress.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use fake::Fake;
use fake::faker::name::raw::{FirstName, LastName};
use fake::locales::EN;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use serde::Serialize;

use crate::config::period::Period;
use crate::config::schema::Schemas;
use crate::engine::metrics;
use crate::error::{Error, Result};
use crate::publish::manifest::write_json;
use crate::publish::parquet::write_derived;

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

/// Latest row per id of a table, for one authority and a range of quarters.
fn latest_sql(table: &str, id: &str, options: &CaseStudyOptions) -> String {
    let mut filter = format!("authority_code = '{}'", options.authority_code);
    if let Some(from) = options.from {
        filter.push_str(&format!(" and period >= '{from}'"));
    }
    if let Some(to) = options.to {
        filter.push_str(&format!(" and period <= '{to}'"));
    }
    format!(
        "select * from (select *, row_number() over (partition by {id} order by period desc) as recency \
         from {table} where {filter}) where recency = 1 order by {id}"
    )
}

/// A random key drawn for one export and never written anywhere: it seeds the export's display
/// names, its local ids (`YP-001`…) and its row order, so two exports of one warehouse share no
/// name, id or order that would join them, and nobody holding the warehouse can recompute them.
pub struct ExportKey([u8; 32]);

impl ExportKey {
    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<ExportKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Key(format!("no randomness for the export's own key ({e})")))?;
        Ok(ExportKey(bytes))
    }

    /// A key from given bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> ExportKey {
        ExportKey(bytes)
    }

    /// A keyed digest of `value` under `label`: stable within the export, unguessable outside it.
    fn digest(&self, label: &str, value: &str) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(label.as_bytes());
        mac.update(b"\x1f");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A seed for this export's random choices about `value`.
    fn seed(&self, label: &str, value: &str) -> u64 {
        let d = self.digest(label, value);
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// Export-local ids (`{prefix}{n:03}`) for a set of values, numbered in an order only this
    /// export knows.
    fn local_ids<'a>(
        &self,
        label: &str,
        values: impl IntoIterator<Item = &'a String>,
        format: impl Fn(usize) -> String,
    ) -> BTreeMap<String, String> {
        let mut ordered: Vec<(&String, [u8; 32])> = values.into_iter().map(|v| (v, self.digest(label, v))).collect();
        ordered.sort_by_key(|(_, digest)| *digest);
        ordered.into_iter().enumerate().map(|(n, (v, _))| (v.clone(), format(n + 1))).collect()
    }

    /// Shuffles a table's rows in an order only this export knows.
    fn shuffle<T>(&self, table: &str, rows: &mut [T]) {
        use rand::seq::SliceRandom;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed("rows", table));
        rows.shuffle(&mut rng);
    }
}

/// A display name for a person, drawn with `fake` from a seed that only this export's key gives.
fn display_name(person_id: &str, attempt: u64, key: &ExportKey) -> String {
    let seed = key.seed("display name", person_id) ^ attempt.wrapping_mul(0x9e37_79b9);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first: String = FirstName(EN).fake_with_rng(&mut rng);
    let last: String = LastName(EN).fake_with_rng(&mut rng);
    format!("{first} {last}")
}

/// Display names for a set of people: unique in the set, the same within one export (one key),
/// different in another.
pub fn display_names(person_ids: &BTreeSet<String>, key: &ExportKey) -> BTreeMap<String, String> {
    let mut used = BTreeSet::new();
    let mut out = BTreeMap::new();
    for id in person_ids {
        let mut attempt = 0;
        let mut name = display_name(id, attempt, key);
        while used.contains(&name) {
            attempt += 1;
            name = display_name(id, attempt, key);
        }
        used.insert(name.clone());
        out.insert(id.clone(), name);
    }
    out
}

/// Replaces `[PERSON:xxxxxxxx]` tokens with display names.
fn name_people(text: &str, by_token: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[PERSON") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find(']') else {
            out.push_str(after);
            return out;
        };
        let token = &after[..=end];
        let replacement = match token.strip_prefix("[PERSON:").and_then(|t| t.strip_suffix(']')) {
            Some(prefix) => by_token.get(prefix).cloned().unwrap_or_else(|| "[another young person]".into()),
            None => "[a young person]".into(),
        };
        out.push_str(&replacement);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn month(date: Option<String>) -> Option<String> {
    date.map(|d| d.chars().take(7).collect())
}

fn yes_no(flag: Option<String>) -> Option<String> {
    flag.map(|f| if f == "true" { "Y".into() } else { "N".into() })
}

/// Quasi-identifier values of one young person at the finest level.
#[derive(Debug, Clone)]
struct Quasi {
    age: Option<i64>,
    gender: String,
    ethnicity: String,
    ethnic_group: String,
    district: String,
}

/// Generalisation levels: age 0-4, gender 0-1, ethnicity 0-2, postcode 0-2.
const MAX_LEVELS: [usize; 4] = [4, 1, 2, 2];
const LEVEL_NAMES: [&[&str]; 4] = [
    &["age in years", "2-year age bands", "4-year age bands", "under 16 / 16 and over", "suppressed"],
    &["gender", "suppressed"],
    &["ethnicity code", "five ethnic groups", "suppressed"],
    &["postcode district", "postcode area", "suppressed"],
];

fn generalise(q: &Quasi, levels: [usize; 4]) -> [String; 4] {
    let age = match (q.age, levels[0]) {
        (None, _) => "UNKNOWN".to_string(),
        (Some(a), 0) => a.to_string(),
        (Some(a), 1) => format!("{}-{}", a - a.rem_euclid(2), a - a.rem_euclid(2) + 1),
        (Some(a), 2) => format!("{}-{}", a - a.rem_euclid(4), a - a.rem_euclid(4) + 3),
        (Some(a), 3) => if a < 16 { "under 16" } else { "16 and over" }.to_string(),
        _ => "*".to_string(),
    };
    let gender = if levels[1] == 0 { q.gender.clone() } else { "*".into() };
    let ethnicity = match levels[2] {
        0 => q.ethnicity.clone(),
        1 => q.ethnic_group.clone(),
        _ => "*".into(),
    };
    let postcode = match levels[3] {
        0 => q.district.clone(),
        1 => q.district.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>(),
        _ => "*".into(),
    };
    let postcode = if postcode.is_empty() { "UNKNOWN".into() } else { postcode };
    [age, gender, ethnicity, postcode]
}

fn violators(quasi: &[Quasi], levels: [usize; 4], k: usize) -> usize {
    let mut classes: HashMap<[String; 4], usize> = HashMap::new();
    for q in quasi {
        *classes.entry(generalise(q, levels)).or_insert(0) += 1;
    }
    classes.values().filter(|&&n| n < k).sum()
}

/// What the k-anonymity step did, for the disclosure report.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureReport {
    /// k.
    pub k: usize,
    /// The quasi-identifiers and the level each was generalised to.
    pub generalisation: BTreeMap<String, String>,
    /// Young people before the step.
    pub young_people_in: usize,
    /// Young people suppressed (removed with their episodes and reviews).
    pub young_people_suppressed: usize,
    /// Young people whose quasi-identifiers were coarsened.
    pub records_generalised: usize,
    /// Records changed in all: generalised or suppressed.
    pub records_changed: usize,
    /// Smallest equivalence class in the export.
    pub smallest_class: usize,
    /// Equivalence classes in the export.
    pub classes: usize,
    /// Episodes, reviews and contexts links removed with suppressed young people.
    pub linked_rows_removed: BTreeMap<String, usize>,
    /// Rows written per table.
    pub rows_written: BTreeMap<String, usize>,
}

/// Chooses the least generalisation that leaves at most `max_suppression` of
/// the young people in classes smaller than k (every combination of levels is
/// tried: there are 90), then marks the records still in such classes for suppression.
fn anonymise(quasi: &[Quasi], k: usize, max_suppression: f64) -> ([usize; 4], Vec<bool>) {
    let allowed = (quasi.len() as f64 * max_suppression).floor() as usize;
    let mut best: Option<(f64, usize, [usize; 4])> = None;
    for age in 0..=MAX_LEVELS[0] {
        for gender in 0..=MAX_LEVELS[1] {
            for ethnicity in 0..=MAX_LEVELS[2] {
                for postcode in 0..=MAX_LEVELS[3] {
                    let levels = [age, gender, ethnicity, postcode];
                    let v = violators(quasi, levels, k);
                    if v > allowed {
                        continue;
                    }
                    // Information lost: each attribute's share of its way to full suppression.
                    let loss: f64 = levels.iter().zip(MAX_LEVELS).map(|(&l, m)| l as f64 / m as f64).sum();
                    let better = match best {
                        None => true,
                        Some((bl, bv, _)) => loss < bl - 1e-9 || ((loss - bl).abs() < 1e-9 && v < bv),
                    };
                    if better {
                        best = Some((loss, v, levels));
                    }
                }
            }
        }
    }
    // Full suppression of every attribute always qualifies unless there are fewer than k records.
    let levels = best.map(|(_, _, l)| l).unwrap_or(MAX_LEVELS);
    let mut classes: HashMap<[String; 4], usize> = HashMap::new();
    for q in quasi {
        *classes.entry(generalise(q, levels)).or_insert(0) += 1;
    }
    let suppressed = quasi.iter().map(|q| classes[&generalise(q, levels)] < k).collect();
    (levels, suppressed)
}

type TableOut = (Vec<&'static str>, Vec<Vec<Option<String>>>);

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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the query engine", &options.warehouse))?;
    let (yp, ep, rv, cx) = runtime.block_on(async {
        let ctx = crate::engine::session::open(&options.warehouse, schemas).await?;
        let get = |sql: String| {
            let ctx = &ctx;
            async move { metrics::run_sql(ctx, &sql, "case study").await }
        };
        let yp = get(latest_sql("young_people", "person_id", options)).await?;
        let ep = get(latest_sql("episodes", "episode_id", options)).await?;
        let rv = get(latest_sql("reviews", "episode_id, review_date", options)).await?;
        let cx = get(latest_sql("contexts", "context_id", options)).await?;
        Ok::<_, Error>((pull(&yp)?, pull(&ep)?, pull(&rv)?, pull(&cx)?))
    })?;
    if yp.rows == 0 {
        return Err(Error::Usage(format!(
            "the warehouse holds no young people for {} in the quarters asked for",
            options.authority_code
        )));
    }

    // k-anonymity on the young people.
    let quasi: Vec<Quasi> = (0..yp.rows)
        .map(|i| Quasi {
            age: yp.text("age_at_period_end", i).and_then(|a| a.parse().ok()),
            gender: yp.text("gender", i).unwrap_or_else(|| "U".into()),
            ethnicity: yp.text("ethnicity", i).unwrap_or_else(|| "UNKNOWN".into()),
            ethnic_group: yp.text("ethnic_group", i).unwrap_or_else(|| "UNKNOWN".into()),
            district: yp.text("postcode_district", i).unwrap_or_else(|| "UNKNOWN".into()),
        })
        .collect();
    let (levels, suppressed) = anonymise(&quasi, options.k, options.max_suppression);
    let kept: Vec<usize> = (0..yp.rows).filter(|&i| !suppressed[i]).collect();

    // Export-local ids and display names.
    let kept_people: BTreeSet<String> = kept.iter().filter_map(|&i| yp.text("person_id", i)).collect();
    let key = ExportKey::random()?;
    let names = display_names(&kept_people, &key);
    let local_person = key.local_ids("young person", &kept_people, |n| format!("YP-{n:03}"));
    let by_token: HashMap<String, String> =
        names.iter().map(|(id, name)| (id[..id.len().min(8)].to_string(), name.clone())).collect();
    let schools: BTreeSet<String> = kept.iter().filter_map(|&i| yp.text("school_id", i)).collect();
    let local_school = key.local_ids("school", &schools, |n| format!("School {n:02}"));

    let mut linked_removed: BTreeMap<String, usize> = BTreeMap::new();
    let mut young_people: TableOut = (
        vec![
            "young_person",
            "display_name",
            "age_band",
            "gender",
            "ethnic_group",
            "postcode",
            "school",
            "disability",
            "notes",
        ],
        Vec::new(),
    );
    let mut classes: HashMap<[String; 4], usize> = HashMap::new();
    let mut generalised = 0;
    for &i in &kept {
        let Some(id) = yp.text("person_id", i) else { continue };
        let g = generalise(&quasi[i], levels);
        if g != generalise(&quasi[i], [0; 4]) {
            generalised += 1;
        }
        *classes.entry(g.clone()).or_insert(0) += 1;
        let [age, gender, ethnicity, postcode] = g;
        young_people.1.push(vec![
            local_person.get(&id).cloned(),
            names.get(&id).cloned(),
            Some(age),
            Some(gender),
            Some(ethnicity),
            Some(postcode),
            yp.text("school_id", i).and_then(|s| local_school.get(&s).cloned()),
            yes_no(yp.text("disability", i)),
            yp.text("notes", i).map(|n| name_people(&n, &by_token)),
        ]);
    }

    let episode_ids: Vec<String> = (0..ep.rows)
        .filter(|&i| ep.text("person_id", i).is_some_and(|p| local_person.contains_key(&p)))
        .filter_map(|i| ep.text("episode_id", i))
        .collect();
    *linked_removed.entry("episodes".into()).or_insert(0) += ep.rows - episode_ids.len();
    let local_episode = key.local_ids("episode", &episode_ids, |n| format!("EP-{n:03}"));
    let mut episodes: TableOut = (
        vec![
            "episode",
            "young_person",
            "start_month",
            "end_month",
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
        Vec::new(),
    );
    for i in 0..ep.rows {
        let Some(local) = ep.text("episode_id", i).and_then(|e| local_episode.get(&e).cloned()) else { continue };
        let person = ep.text("person_id", i).and_then(|p| local_person.get(&p).cloned());
        let list = |name: &str| Some(ep.list(name, i).join(";")).filter(|s| !s.is_empty());
        episodes.1.push(vec![
            Some(local),
            person,
            month(ep.text("start_date", i)),
            month(ep.text("end_date", i)),
            ep.text("referral_source", i),
            list("harm_types"),
            list("contexts_identified"),
            ep.text("lead_service", i),
            ep.text("plan_type", i),
            yes_no(ep.text("contextual_assessment", i)),
            yes_no(ep.text("parents_engaged", i)),
            yes_no(ep.text("relocated", i)),
            ep.text("risk_at_start", i),
            ep.text("risk_at_end", i),
            ep.text("notes", i).map(|n| name_people(&n, &by_token)),
        ]);
    }

    let mut reviews: TableOut =
        (vec!["episode", "review_month", "risk_level", "young_person_participated", "parent_participated"], Vec::new());
    for i in 0..rv.rows {
        match rv.text("episode_id", i).and_then(|e| local_episode.get(&e).cloned()) {
            Some(local) => reviews.1.push(vec![
                Some(local),
                month(rv.text("review_date", i)),
                rv.text("risk_level", i),
                yes_no(rv.text("young_person_participated", i)),
                yes_no(rv.text("parent_participated", i)),
            ]),
            None => *linked_removed.entry("reviews".into()).or_insert(0) += 1,
        }
    }

    let mut contexts: TableOut = (
        vec![
            "context",
            "context_type",
            "description",
            "identified_month",
            "assessment_month",
            "intervention",
            "outcome",
            "linked_young_people",
        ],
        Vec::new(),
    );
    let context_ids: Vec<String> =
        (0..cx.rows).map(|i| cx.text("context_id", i).unwrap_or_else(|| i.to_string())).collect();
    let local_context = key.local_ids("context", &context_ids, |n| format!("CX-{n:03}"));
    for (i, context_id) in context_ids.iter().enumerate() {
        let linked = cx.list("linked_person_ids", i);
        let local: Vec<String> = linked.iter().filter_map(|p| local_person.get(p).cloned()).collect();
        *linked_removed.entry("context links".into()).or_insert(0) += linked.len() - local.len();
        contexts.1.push(vec![
            local_context.get(context_id).cloned(),
            cx.text("context_type", i),
            cx.text("description", i).map(|n| name_people(&n, &by_token)),
            month(cx.text("identified_date", i)),
            month(cx.text("assessment_date", i)),
            cx.text("intervention", i),
            cx.text("outcome", i),
            Some(local.join(";")).filter(|s| !s.is_empty()),
        ]);
    }

    std::fs::create_dir_all(&options.out).map_err(Error::io("cannot create", &options.out))?;
    let mut rows_written = BTreeMap::new();
    for (name, table) in [
        ("young_people", &mut young_people),
        ("episodes", &mut episodes),
        ("reviews", &mut reviews),
        ("contexts", &mut contexts),
    ] {
        key.shuffle(name, &mut table.1);
        write_table(&options.out, name, table)?;
        rows_written.insert(name.to_string(), table.1.len());
    }
    let generalisation = ["age", "gender", "ethnicity", "postcode"]
        .iter()
        .enumerate()
        .map(|(i, a)| (a.to_string(), LEVEL_NAMES[i][levels[i]].to_string()))
        .collect();
    let suppressed_count = suppressed.iter().filter(|&&s| s).count();
    let report = DisclosureReport {
        k: options.k,
        generalisation,
        young_people_in: yp.rows,
        young_people_suppressed: suppressed_count,
        records_generalised: generalised,
        records_changed: generalised + suppressed_count,
        smallest_class: classes.values().copied().min().unwrap_or(0),
        classes: classes.len(),
        linked_rows_removed: linked_removed,
        rows_written,
    };
    write_json(&options.out.join("disclosure-report.json"), &report)?;
    let path = options.out.join("README.md");
    std::fs::write(&path, readme(options, &report)).map_err(Error::io("cannot write", &path))?;
    let path = options.out.join("data-dictionary.md");
    std::fs::write(&path, EXPORT_DICTIONARY).map_err(Error::io("cannot write", &path))?;
    Ok(report)
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula.
pub fn csv_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn write_table(dir: &Path, name: &str, (columns, rows): &TableOut) -> Result<()> {
    let schema =
        Arc::new(Schema::new(columns.iter().map(|c| Field::new(*c, DataType::Utf8, true)).collect::<Vec<_>>()));
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|c| Arc::new(StringArray::from(rows.iter().map(|r| r[c].clone()).collect::<Vec<_>>())) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(schema, arrays)
        .map_err(|source| Error::Arrow { context: format!("case-study table {name}"), source })?;
    write_derived(&dir.join(format!("{name}.parquet")), &batch)?;
    let path = dir.join(format!("{name}.csv"));
    let io = |source: csv::Error| Error::Csv { path: path.clone(), source };
    let mut w = csv::Writer::from_path(&path).map_err(io)?;
    w.write_record(columns).map_err(io)?;
    for row in rows {
        w.write_record(row.iter().map(|c| csv_safe(c.as_deref().unwrap_or("")).into_owned())).map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", &path))
}

fn readme(options: &CaseStudyOptions, r: &DisclosureReport) -> String {
    let range = match (options.from, options.to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("up to {t}"),
        (None, None) => "all quarters in the warehouse".into(),
    };
    let levels: Vec<String> = r.generalisation.iter().map(|(a, l)| format!("- {a}: {l}")).collect();
    format!(
        "# Case-study export: {code}\n\n\
Record-level data for one authority ({range}), for writing a case study. Names have been changed.\n\n\
## What is here\n\n\
| file | one row per |\n|---|---|\n\
| `young_people.parquet` / `.csv` | young person |\n\
| `episodes.parquet` / `.csv` | episode of extra-familial harm |\n\
| `reviews.parquet` / `.csv` | review of an episode |\n\
| `contexts.parquet` / `.csv` | context (place, peer group, school, online space) |\n\
| `disclosure-report.json` | what was generalised and suppressed |\n\
| `data-dictionary.md` | every column |\n\n\
Where the same young person, episode or context appeared in several quarterly returns, the latest return's row is used.\n\n\
## How it was made safe\n\n\
- Every young person has a **display name**, drawn at random for this export (no two people in it share one). \
Notes and descriptions use those names. They are not real names, and another export of the same data gives other names.\n\
- Identifiers are local to this export (`YP-001`, `EP-001`, `CX-001`, `School 01`), numbered and ordered by a random key \
drawn for this export and never stored: they do not link to the warehouse, to any other export or to any other dataset.\n\
- What can still be matched: the text of notes is the warehouse's scrubbed text, so someone holding the warehouse \
could find a note there, so this export is for people without access to the warehouse.\n\
- Dates are months (`YYYY-MM`). Phone numbers, addresses, postcodes, dates and other people's names in notes were \
replaced before the data reached the warehouse (`[PHONE]`, `[ADDRESS]`, `[NAME]`, …).\n\
- **k-anonymity, k = {k}**, on age band, gender, ethnic group and postcode: every combination of those four values \
is shared by at least {k} young people. To get there the attributes were generalised to:\n\n{levels}\n\n\
  and {suppressed} of {total} young people (with their episodes and reviews) were suppressed. \
{generalised} records were generalised; the smallest class has {smallest} young people.\n\n\
Do not try to re-identify anyone, and do not publish counts below 6 from this data without the programme's disclosure rules.\n",
        code = options.authority_code,
        k = r.k,
        levels = levels.join("\n"),
        suppressed = r.young_people_suppressed,
        total = r.young_people_in,
        generalised = r.records_generalised,
        smallest = r.smallest_class,
    )
}

/// The part of the data dictionary that describes an export.
pub const EXPORT_DICTIONARY: &str = "\
# Case-study export: data dictionary

All columns are text. Empty means not recorded.

## young_people
| column | meaning |
|---|---|
| `young_person` | export-local id (`YP-001`) |
| `display_name` | a made-up name, stable for the person; not their real name |
| `age_band` | age on the last day of their latest quarter, generalised as the disclosure report says |
| `gender` | M, F, X, U (or `*` if suppressed) |
| `ethnic_group` | DfE ethnicity code or five-group ethnicity (WHITE, MIXED, ASIAN, BLACK, OTHER, UNKNOWN), as the report says |
| `postcode` | postcode district or area, as the report says |
| `school` | export-local school label |
| `disability` | Y or N |
| `notes` | scrubbed notes, with display names |

## episodes
| column | meaning |
|---|---|
| `episode` | export-local id (`EP-001`) |
| `young_person` | the young person (`YP-…`) |
| `start_month`, `end_month` | `YYYY-MM`; end empty while open |
| `referral_source`, `lead_service`, `plan_type` | codes as in the CS return |
| `harm_types`, `contexts_identified` | `;`-separated codes |
| `contextual_assessment`, `parents_engaged`, `relocated` | Y or N |
| `risk_at_start`, `risk_at_end` | LOW, MEDIUM, HIGH |
| `notes` | scrubbed notes, with display names |

## reviews
| column | meaning |
|---|---|
| `episode` | the episode (`EP-…`) |
| `review_month` | `YYYY-MM` |
| `risk_level` | LOW, MEDIUM, HIGH |
| `young_person_participated`, `parent_participated` | Y or N |

## contexts
| column | meaning |
|---|---|
| `context` | export-local id (`CX-001`) |
| `context_type` | LOCATION, PEER_GROUP, SCHOOL, ONLINE, OTHER |
| `description` | scrubbed description, with display names |
| `identified_month`, `assessment_month` | `YYYY-MM` |
| `intervention`, `outcome` | codes as in the CS return |
| `linked_young_people` | `;`-separated `YP-…` ids of young people in this export |
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_stable_within_an_export_unique_and_new_in_the_next() {
        let ids: BTreeSet<String> = (0..500).map(|i| format!("{:032x}", i * 7919)).collect();
        let key = ExportKey::from_bytes([7; 32]);
        let a = display_names(&ids, &key);
        let b = display_names(&ids, &key);
        assert_eq!(a, b);
        let unique: BTreeSet<&String> = a.values().collect();
        assert_eq!(unique.len(), ids.len());
        let other = display_names(&ids, &ExportKey::from_bytes([8; 32]));
        let same = ids.iter().filter(|id| a[*id] == other[*id]).count();
        assert!(same < 5, "{same} of 500 people kept their display name under another export key");
    }

    #[test]
    fn tokens_become_display_names() {
        let mut by_token = HashMap::new();
        by_token.insert("abcd1234".to_string(), "Ada Lovelace".to_string());
        let out = name_people("[PERSON:abcd1234] met [PERSON:ffff0000] and [PERSON] at [ADDRESS].", &by_token);
        assert_eq!(out, "Ada Lovelace met [another young person] and [a young person] at [ADDRESS].");
    }

    #[test]
    fn every_class_reaches_k_after_generalising_and_suppressing() {
        let quasi: Vec<Quasi> = (0..200)
            .map(|i| Quasi {
                age: Some(10 + (i * 7 % 8)),
                gender: ["M", "F", "X"][(i % 3) as usize].into(),
                ethnicity: ["WBRI", "BCRB", "APKN", "MWBC", "WROM"][(i % 5) as usize].into(),
                ethnic_group: ["WHITE", "BLACK", "ASIAN", "MIXED", "WHITE"][(i % 5) as usize].into(),
                district: format!("UB{}", i % 11),
            })
            .collect();
        let (levels, suppressed) = anonymise(&quasi, 5, 0.05);
        let mut classes: HashMap<[String; 4], usize> = HashMap::new();
        for (q, s) in quasi.iter().zip(&suppressed) {
            if !s {
                *classes.entry(generalise(q, levels)).or_insert(0) += 1;
            }
        }
        assert!(classes.values().all(|&n| n >= 5), "{classes:?}");
        assert!(suppressed.iter().filter(|&&s| s).count() <= 10);
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("plain"), "plain");
    }
}
