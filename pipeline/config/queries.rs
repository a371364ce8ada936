//! The SQL of `queries/`, compiled into the binary, and the metric catalogue.
//!
//! Kept apart from the query engine so that everything that only needs the
//! text (the data dictionary, the report, tests) builds without it. The
//! catalogue (`queries/metrics.toml`) lists every metric once, in display
//! order, with its section and labels; each SQL file's header says how
//! disclosure control treats it (`-- kind:`) and what it measures. The
//! report, the demo's headline table, the dictionary and the tests all read
//! [`catalogue`], so a new metric is one SQL file and one catalogue entry.

use crate::error::{Error, HeaderError, Result};

/// The metric queries, by id.
pub const QUERIES: &[(&str, &str)] = &[
    ("adoption_stage", include_str!("../../queries/adoption_stage.sql")),
    ("cin_efh_assessments", include_str!("../../queries/cin_efh_assessments.sql")),
    ("contexts_assessed", include_str!("../../queries/contexts_assessed.sql")),
    ("contexts_identified", include_str!("../../queries/contexts_identified.sql")),
    ("contexts_with_intervention", include_str!("../../queries/contexts_with_intervention.sql")),
    ("efh_factor_rate", include_str!("../../queries/efh_factor_rate.sql")),
    ("episodes_started", include_str!("../../queries/episodes_started.sql")),
    ("lac_children_missing", include_str!("../../queries/lac_children_missing.sql")),
    ("lac_missing_episodes", include_str!("../../queries/lac_missing_episodes.sql")),
    ("median_days_between_reviews", include_str!("../../queries/median_days_between_reviews.sql")),
    ("panel_meetings", include_str!("../../queries/panel_meetings.sql")),
    ("panel_meetings_contextual_lens", include_str!("../../queries/panel_meetings_contextual_lens.sql")),
    ("pct_child_protection_plan", include_str!("../../queries/pct_child_protection_plan.sql")),
    ("pct_context_safety_plan", include_str!("../../queries/pct_context_safety_plan.sql")),
    ("pct_contexts_improved", include_str!("../../queries/pct_contexts_improved.sql")),
    ("pct_contextual_assessment", include_str!("../../queries/pct_contextual_assessment.sql")),
    ("pct_efh_assessed_with_cs_episode", include_str!("../../queries/pct_efh_assessed_with_cs_episode.sql")),
    ("pct_parents_engaged", include_str!("../../queries/pct_parents_engaged.sql")),
    ("pct_relocated", include_str!("../../queries/pct_relocated.sql")),
    ("pct_rereferral_12m", include_str!("../../queries/pct_rereferral_12m.sql")),
    ("pct_risk_reduced", include_str!("../../queries/pct_risk_reduced.sql")),
    ("policy_documents_cs", include_str!("../../queries/policy_documents_cs.sql")),
    ("practitioners_trained", include_str!("../../queries/practitioners_trained.sql")),
    ("young_people_reached", include_str!("../../queries/young_people_reached.sql")),
];

/// The views the metric queries build on, in the order they are created: the latest row of
/// each record, the same rows scoped to each authority and `ALL`, then the intermediate
/// models (`int_*`) that several metrics share.
pub const VIEWS: &[(&str, &str)] = &[
    ("young_people_latest", include_str!("../../queries/views/young_people_latest.sql")),
    ("episodes_latest", include_str!("../../queries/views/episodes_latest.sql")),
    ("reviews_latest", include_str!("../../queries/views/reviews_latest.sql")),
    ("contexts_latest", include_str!("../../queries/views/contexts_latest.sql")),
    ("panels_latest", include_str!("../../queries/views/panels_latest.sql")),
    ("practice_latest", include_str!("../../queries/views/practice_latest.sql")),
    ("scoped_periods", include_str!("../../queries/views/scoped_periods.sql")),
    ("young_people_scoped", include_str!("../../queries/views/young_people_scoped.sql")),
    ("episodes_scoped", include_str!("../../queries/views/episodes_scoped.sql")),
    ("reviews_scoped", include_str!("../../queries/views/reviews_scoped.sql")),
    ("contexts_scoped", include_str!("../../queries/views/contexts_scoped.sql")),
    ("panels_scoped", include_str!("../../queries/views/panels_scoped.sql")),
    ("practice_scoped", include_str!("../../queries/views/practice_scoped.sql")),
    ("int_episodes_started", include_str!("../../queries/views/int_episodes_started.sql")),
    ("int_episodes_started_counts", include_str!("../../queries/views/int_episodes_started_counts.sql")),
    ("scoped_years", include_str!("../../queries/views/scoped_years.sql")),
    ("int_cin_efh_assessments", include_str!("../../queries/views/int_cin_efh_assessments.sql")),
    ("int_lac_missing_episodes", include_str!("../../queries/views/int_lac_missing_episodes.sql")),
];

/// The catalogue file, compiled in.
pub const CATALOGUE: &str = include_str!("../../queries/metrics.toml");

/// How disclosure control treats a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A count of people, episodes, contexts, meetings…: small counts are suppressed.
    Count,
    /// 100 × numerator / denominator: suppressed when either part is small.
    Percentage,
    /// A statistic such as a median over `denominator` items: suppressed when that is small.
    Value,
    /// A level such as the adoption stage: published as it is.
    Level,
    /// Published reference statistics: their own symbols stand.
    Reference,
}

impl MetricKind {
    /// The kind named by a query's `-- kind:` header line.
    pub fn parse(sql: &str) -> std::result::Result<MetricKind, HeaderError> {
        let line = header_lines(sql).find_map(|l| l.strip_prefix("kind:").map(str::trim)).ok_or(HeaderError::NoKind)?;
        Ok(match line {
            "count" => MetricKind::Count,
            "percentage" => MetricKind::Percentage,
            "value" => MetricKind::Value,
            "level" => MetricKind::Level,
            "reference" => MetricKind::Reference,
            other => return Err(HeaderError::UnknownKind(other.to_string())),
        })
    }

    /// The kind as written in a header.
    pub fn label(self) -> &'static str {
        match self {
            MetricKind::Count => "count",
            MetricKind::Percentage => "percentage",
            MetricKind::Value => "value",
            MetricKind::Level => "level",
            MetricKind::Reference => "reference",
        }
    }
}

/// The part of the programme's evaluation a metric belongs to (PRODUCT.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// How far CS has spread into policy, governance and practice.
    Reach,
    /// Whether practice and outcomes changed.
    Impact,
    /// Published reference statistics beside the authority's own figures.
    Context,
    /// Figures from the authority's statutory returns (CIN census, SSDA903), per collection year.
    Statutory,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    metric: Vec<CatalogueEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueEntry {
    id: String,
    section: Section,
    label: String,
    headline: Option<String>,
    table: Option<String>,
    breakdowns: Option<Breakdowns>,
    denominator_is: Option<String>,
    denominator_within: Option<String>,
    within: Option<String>,
}

/// How a count metric's breakdown cells relate to its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Breakdowns {
    /// Each record has one code: the cells add up to the total.
    Partition,
    /// A record may have several codes: each cell is at most the total, and together at least it.
    Overlapping,
}

/// How a metric's published figures relate to other metrics' (same authority and quarter):
/// public facts, in the data dictionary, that disclosure control and its attacker's audit
/// both take into account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// How the breakdown cells relate to the total.
    pub breakdowns: Option<Breakdowns>,
    /// A percentage whose denominator is this count metric's total.
    pub denominator_is: Option<String>,
    /// A percentage whose denominator is at most this count metric's total.
    pub denominator_within: Option<String>,
    /// A count that is at most this count metric's total.
    pub within: Option<String>,
}

/// One metric: its catalogue entry, its kind and description from the SQL header, and the SQL.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Metric id: the file stem and the `metric` column's value.
    pub id: String,
    /// Reach, impact or context.
    pub section: Section,
    /// Its name in the report.
    pub label: String,
    /// Its column heading in the demo's headline table, when it has one.
    pub headline: Option<String>,
    /// How disclosure control treats it.
    pub kind: MetricKind,
    /// The return table it is computed from (none for reference statistics).
    pub table: Option<String>,
    /// How its figures relate to other metrics'.
    pub links: Links,
    /// What it measures: the header's first lines, up to the first `key:` line.
    pub description: String,
    /// The query.
    pub sql: &'static str,
}

/// The comment lines that open a query, without their `--`.
fn header_lines(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines().take_while(|l| l.starts_with("--")).map(|l| l.trim_start_matches('-').trim())
}

/// The description of a query: its header from the first line up to the first `key:` line.
fn description(sql: &str) -> String {
    let mut out = Vec::new();
    for (i, line) in header_lines(sql).enumerate() {
        let line = if i == 0 { line.split_once(": ").map_or(line, |(_, d)| d) } else { line };
        if i > 0 && line.split_once(':').is_some_and(|(k, _)| !k.contains(' ')) {
            break;
        }
        out.push(line);
    }
    out.join(" ")
}

/// Every metric, in catalogue order, checked against the query files.
pub fn catalogue() -> Result<Vec<Metric>> {
    let bad = |origin: &str, source: HeaderError| Error::QueryHeader { origin: origin.to_string(), source };
    let file: CatalogueFile =
        toml::from_str(CATALOGUE).map_err(|e| bad("queries/metrics.toml", HeaderError::Catalogue(e)))?;
    let mut metrics = Vec::with_capacity(file.metric.len());
    for entry in file.metric {
        let origin = format!("queries/{}.sql", entry.id);
        let sql = QUERIES
            .iter()
            .find(|(id, _)| *id == entry.id)
            .map(|(_, sql)| *sql)
            .ok_or_else(|| bad(&origin, HeaderError::NoQuery))?;
        if !sql.starts_with(&format!("-- {}:", entry.id)) {
            return Err(bad(&origin, HeaderError::NotNamed));
        }
        metrics.push(Metric {
            kind: MetricKind::parse(sql).map_err(|e| bad(&origin, e))?,
            description: description(sql),
            id: entry.id,
            section: entry.section,
            label: entry.label,
            headline: entry.headline,
            table: entry.table,
            links: Links {
                breakdowns: entry.breakdowns,
                denominator_is: entry.denominator_is,
                denominator_within: entry.denominator_within,
                within: entry.within,
            },
            sql,
        });
    }
    for m in &metrics {
        let links = [&m.links.denominator_is, &m.links.denominator_within, &m.links.within];
        for target in links.into_iter().flatten() {
            if !metrics.iter().any(|t| &t.id == target && t.kind == MetricKind::Count) {
                let origin = "queries/metrics.toml".to_string();
                return Err(bad(&origin, HeaderError::BadLink { metric: m.id.clone(), target: target.clone() }));
            }
        }
    }
    if let Some((id, _)) = QUERIES.iter().find(|(id, _)| !metrics.iter().any(|m| m.id == *id)) {
        return Err(bad(&format!("queries/{id}.sql"), HeaderError::NotListed));
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn every_query_file_is_built_in_and_has_a_kind() {
        let on_disk = |dir: &str| -> BTreeSet<String> {
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .expect("queries folder")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter_map(|n| n.strip_suffix(".sql").map(str::to_string))
                .collect()
        };
        let built_in: BTreeSet<String> = QUERIES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(built_in, on_disk("queries"));
        let views: BTreeSet<String> = VIEWS.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(views, on_disk("queries/views"));
        for (name, sql) in QUERIES {
            MetricKind::parse(sql).expect("kind line");
            assert!(sql.starts_with(&format!("-- {name}:")), "{name}: header names the metric");
        }
        let metrics = catalogue().expect("catalogue");
        assert_eq!(metrics.len(), QUERIES.len(), "every query once in the catalogue");
        assert!(metrics.iter().all(|m| !m.description.is_empty() && !m.label.is_empty()));
    }

    #[test]
    fn a_bad_kind_is_an_error_that_keeps_its_cause() {
        assert!(
            matches!(MetricKind::parse("-- m: x\n-- kind: counts\nselect 1"), Err(HeaderError::UnknownKind(k)) if k == "counts")
        );
        assert!(matches!(MetricKind::parse("-- m: x\nselect 1"), Err(HeaderError::NoKind)));
        let err = Error::QueryHeader { origin: "queries/m.sql".into(), source: HeaderError::NoKind };
        assert!(std::error::Error::source(&err).is_some(), "the header error is kept as the source");
    }
}
