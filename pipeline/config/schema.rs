//! Schemas: the single source of truth for every table rni reads.
//!
//! `schemas/*.toml` describe every table and column of the CS return, and
//! `schemas/<source>/*.toml` those of the statutory returns (each table names
//! its [`Source`]; a CIN table also the XML element one row is made from): type,
//! whether it is required, the header names LAs really use, accepted codes
//! and their aliases, and how the pipeline treats the column (keep,
//! pseudonymise, generalise, scrub, drop). They are read in two steps: the
//! TOML deserialises into plain `Raw*` structs that reject unknown keys, and
//! [`Schemas::compile`] turns those into the validated form every stage uses
//! (lookup tables for headers and codes, output columns, Arrow schemas). No
//! stage reads a raw struct. The files are compiled into the binary so that
//! `rni` works from any folder; `data-dictionary.md` is generated from them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use crate::config::codes::match_key;
use crate::config::codes::{CodeSet, compile_codes};
use crate::config::source::Source;
use crate::error::{Error, Result};

/// The schema files built into the binary, in the order tables are processed: the CS return's,
/// then each statutory return's.
pub const BUILTIN: &[(&str, &str)] = &[
    ("schemas/young_people.toml", include_str!("../../schemas/young_people.toml")),
    ("schemas/episodes.toml", include_str!("../../schemas/episodes.toml")),
    ("schemas/reviews.toml", include_str!("../../schemas/reviews.toml")),
    ("schemas/contexts.toml", include_str!("../../schemas/contexts.toml")),
    ("schemas/panels.toml", include_str!("../../schemas/panels.toml")),
    ("schemas/practice.toml", include_str!("../../schemas/practice.toml")),
    ("schemas/adoption.toml", include_str!("../../schemas/adoption.toml")),
    ("schemas/cin/cin_children.toml", include_str!("../../schemas/cin/cin_children.toml")),
    ("schemas/cin/cin_referrals.toml", include_str!("../../schemas/cin/cin_referrals.toml")),
    ("schemas/cin/cin_assessments.toml", include_str!("../../schemas/cin/cin_assessments.toml")),
    ("schemas/cin/cin_plans.toml", include_str!("../../schemas/cin/cin_plans.toml")),
    ("schemas/cin/cin_section47.toml", include_str!("../../schemas/cin/cin_section47.toml")),
    ("schemas/cin/cin_cp_plans.toml", include_str!("../../schemas/cin/cin_cp_plans.toml")),
    ("schemas/ssda903/header.toml", include_str!("../../schemas/ssda903/header.toml")),
    ("schemas/ssda903/episodes.toml", include_str!("../../schemas/ssda903/episodes.toml")),
    ("schemas/ssda903/missing.toml", include_str!("../../schemas/ssda903/missing.toml")),
    ("schemas/ssda903/uasc.toml", include_str!("../../schemas/ssda903/uasc.toml")),
    ("schemas/ssda903/reviews.toml", include_str!("../../schemas/ssda903/reviews.toml")),
    ("schemas/ssda903/oc2.toml", include_str!("../../schemas/ssda903/oc2.toml")),
    ("schemas/ssda903/oc3.toml", include_str!("../../schemas/ssda903/oc3.toml")),
    ("schemas/ssda903/ad1.toml", include_str!("../../schemas/ssda903/ad1.toml")),
    ("schemas/ssda903/placed_for_adoption.toml", include_str!("../../schemas/ssda903/placed_for_adoption.toml")),
    ("schemas/ssda903/previous_permanence.toml", include_str!("../../schemas/ssda903/previous_permanence.toml")),
    ("schemas/ssda903/sw_episodes.toml", include_str!("../../schemas/ssda903/sw_episodes.toml")),
    ("schemas/annex_a/list_01.toml", include_str!("../../schemas/annex_a/list_01.toml")),
    ("schemas/annex_a/list_02.toml", include_str!("../../schemas/annex_a/list_02.toml")),
    ("schemas/annex_a/list_03.toml", include_str!("../../schemas/annex_a/list_03.toml")),
    ("schemas/annex_a/list_04.toml", include_str!("../../schemas/annex_a/list_04.toml")),
    ("schemas/annex_a/list_05.toml", include_str!("../../schemas/annex_a/list_05.toml")),
    ("schemas/annex_a/list_06.toml", include_str!("../../schemas/annex_a/list_06.toml")),
    ("schemas/annex_a/list_07.toml", include_str!("../../schemas/annex_a/list_07.toml")),
    ("schemas/annex_a/list_08.toml", include_str!("../../schemas/annex_a/list_08.toml")),
    ("schemas/annex_a/list_09.toml", include_str!("../../schemas/annex_a/list_09.toml")),
    ("schemas/annex_a/list_10.toml", include_str!("../../schemas/annex_a/list_10.toml")),
    ("schemas/annex_a/list_11.toml", include_str!("../../schemas/annex_a/list_11.toml")),
];

// ---------------------------------------------------------------------------
// Step one: the files as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: String,
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    source: Source,
    xml_record: Option<String>,
    columns: Vec<RawColumn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    name: String,
    #[serde(rename = "type")]
    column_type: ColumnType,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    aliases: Vec<String>,
    treatment: RawTreatment,
    kind: Option<IdKind>,
    output: Option<String>,
    method: Option<Method>,
    codes: Option<Vec<String>>,
    #[serde(default)]
    value_aliases: BTreeMap<String, Vec<String>>,
    references: Option<String>,
    #[serde(default)]
    not_in_future: bool,
    not_before: Option<String>,
    min_age: Option<u32>,
    max_age: Option<u32>,
    description: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawTreatment {
    Keep,
    Pseudonymise,
    Generalise,
    Scrub,
    Drop,
}

// ---------------------------------------------------------------------------
// Step two: the validated form.

/// How a cell is read.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Any text.
    Text,
    /// A date: `YYYY-MM-DD`, `DD/MM/YYYY` or an Excel serial number.
    Date,
    /// One code from the column's accepted list.
    Code,
    /// A `;`-separated list of codes.
    CodeList,
    /// `Y` or `N`.
    Flag,
    /// A whole number, zero or more.
    Count,
    /// A `;`-separated list of identifiers.
    IdList,
}

impl ColumnType {
    /// The word used in the data dictionary.
    pub fn label(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Date => "date",
            ColumnType::Code => "code",
            ColumnType::CodeList => "list of codes",
            ColumnType::Flag => "Y/N",
            ColumnType::Count => "count",
            ColumnType::IdList => "list of ids",
        }
    }
}

/// The kinds of identifier, each with its own HMAC subkey.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// A young person.
    Person,
    /// An episode of extra-familial harm.
    Episode,
    /// A context (Level 2 work).
    Context,
    /// A panel meeting.
    Meeting,
    /// An organisational activity.
    Activity,
    /// A school.
    School,
}

impl IdKind {
    /// Every kind, in a fixed order.
    pub const ALL: [IdKind; 6] =
        [IdKind::Person, IdKind::Episode, IdKind::Context, IdKind::Meeting, IdKind::Activity, IdKind::School];

    /// The kind's name as used in the subkey label `rni/v1/<name>`.
    pub fn name(self) -> &'static str {
        match self {
            IdKind::Person => "person",
            IdKind::Episode => "episode",
            IdKind::Context => "context",
            IdKind::Meeting => "meeting",
            IdKind::Activity => "activity",
            IdKind::School => "school",
        }
    }
}

/// How a quasi-identifier is generalised.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Date of birth → `birth_month` and `age_at_period_end`.
    BirthDate,
    /// Postcode → `postcode_district` (the outward code).
    Postcode,
    /// Ethnicity code kept, 5-group `ethnic_group` added.
    Ethnicity,
}

/// What the pipeline does with a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Treatment {
    /// Written out as read (after validation).
    Keep,
    /// Replaced by a keyed pseudonym of the given kind, under a new name.
    Pseudonymise {
        /// Identifier kind (selects the HMAC subkey).
        kind: IdKind,
        /// The output column's name.
        output: String,
    },
    /// Coarsened.
    Generalise(Method),
    /// Free text with names and contact details replaced.
    Scrub,
    /// Never written out.
    Drop,
}

impl Treatment {
    /// A short phrase for the data dictionary.
    pub fn label(&self) -> String {
        match self {
            Treatment::Keep => "keep".into(),
            Treatment::Pseudonymise { kind, output } => {
                format!("pseudonymise ({} → `{output}`)", kind.name())
            }
            Treatment::Generalise(Method::BirthDate) => "generalise (→ `birth_month`, `age_at_period_end`)".into(),
            Treatment::Generalise(Method::Postcode) => "generalise (→ `postcode_district`)".into(),
            Treatment::Generalise(Method::Ethnicity) => "keep, add `ethnic_group`".into(),
            Treatment::Scrub => "scrub".into(),
            Treatment::Drop => "drop".into(),
        }
    }
}

/// One column of a return table, validated.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Canonical column name.
    pub name: String,
    /// How cells are read.
    pub column_type: ColumnType,
    /// A row without a value here is rejected.
    pub is_required: bool,
    /// Two rows of one return may not share a value here.
    pub is_unique: bool,
    /// Header names accepted besides the canonical one, as written in the schema.
    pub aliases: Vec<String>,
    /// What the pipeline does with the column.
    pub treatment: Treatment,
    /// Accepted codes, for code and code-list columns.
    pub codes: Option<CodeSet>,
    /// `table.column` this column must refer to, inside the same return.
    pub references: Option<(String, String)>,
    /// A date after the end of the return's period is rejected.
    pub is_not_in_future: bool,
    /// Index of a date column this one may not precede.
    pub not_before: Option<usize>,
    /// Plausible age at the end of the period, inclusive.
    pub age_range: Option<(u32, u32)>,
    /// The output column's name, where the schema gives one for a generalised postcode.
    pub output: Option<String>,
    /// What the column holds.
    pub description: String,
}

/// One column of a pseudonymised output table.
#[derive(Debug, Clone)]
pub struct OutputColumn {
    /// Output name.
    pub name: String,
    /// Arrow type in the Parquet files.
    pub data_type: DataType,
    /// What it holds.
    pub description: String,
    /// The input column it comes from.
    pub source: String,
}

/// One table of the return, validated and ready for the stages.
#[derive(Debug, Clone)]
pub struct TableSchema {
    /// Canonical table name (also the file stem and sheet name).
    pub name: String,
    /// What one row is.
    pub description: String,
    /// File stems and sheet names accepted besides the canonical one.
    pub aliases: Vec<String>,
    /// The return the table belongs to.
    pub source: Source,
    /// For an XML source: the path of element names below the root of the element one row
    /// is made from (`Children/Child/CINdetails`).
    pub xml_record: Option<Vec<String>>,
    /// For an XML source: the records of the source's other tables, whose elements are theirs.
    pub xml_barriers: Vec<Vec<String>>,
    /// Input columns in schema order.
    pub columns: Vec<ColumnSpec>,
    /// Output columns in order.
    pub outputs: Vec<OutputColumn>,
    /// Arrow schema of the output files (partition columns excluded).
    pub arrow_schema: SchemaRef,
    header_lookup: HashMap<String, usize>,
}

impl TableSchema {
    /// The column a header names, matched case-, space- and punctuation-insensitively.
    pub fn column_for_header(&self, header: &str) -> Option<usize> {
        self.header_lookup.get(&match_key(header)).copied()
    }

    /// Whether a file stem or sheet name names this table.
    pub fn matches_name(&self, stem: &str) -> bool {
        let key = match_key(stem);
        key == match_key(&self.name) || self.aliases.iter().any(|a| match_key(a) == key)
    }

    /// Index of a column by canonical name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// All tables of the CS return.
#[derive(Debug, Clone)]
pub struct Schemas {
    /// Tables in processing order (referenced tables first).
    pub tables: Vec<TableSchema>,
    /// Short digest of the schema texts, recorded in manifests.
    pub version: String,
}

impl Schemas {
    /// The schemas compiled into the binary.
    pub fn builtin() -> Result<Schemas> {
        Schemas::compile(BUILTIN.iter().map(|(file, text)| ((*file).to_string(), (*text).to_string())).collect())
    }

    /// Reads every `*.toml` in a folder (sorted by file name) and compiles them.
    pub fn load_dir(dir: &Path) -> Result<Schemas> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(Error::io("cannot read", dir))? {
            let path = entry.map_err(Error::io("cannot read", dir))?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(Error::io("cannot read", &path))?;
                files.push((path.display().to_string(), text));
            }
        }
        files.sort();
        Schemas::compile(files)
    }

    /// Parses and validates schema texts given as (file name, contents).
    pub fn compile(files: Vec<(String, String)>) -> Result<Schemas> {
        let mut digest = Sha256::new();
        let mut raws = Vec::new();
        for (file, text) in &files {
            digest.update(file.as_bytes());
            digest.update(text.as_bytes());
            let raw: RawTable = toml::from_str(text)
                .map_err(|e| Error::Schema { file: file.clone(), message: e.to_string().trim_end().to_string() })?;
            raws.push((file.clone(), raw));
        }
        let mut tables = Vec::new();
        for (file, raw) in raws {
            if tables.iter().any(|t: &TableSchema| t.name == raw.name) {
                return Err(schema_error(&file, format!("table `{}` is defined twice", raw.name)));
            }
            tables.push(compile_table(&file, raw)?);
        }
        // References must point at an existing, earlier table's column.
        for (i, table) in tables.iter().enumerate() {
            for column in &table.columns {
                if let Some((ref_table, ref_column)) = &column.references {
                    let target = tables[..i].iter().find(|t| &t.name == ref_table && t.source == table.source);
                    let ok = target.is_some_and(|t| t.column_index(ref_column).is_some());
                    if !ok {
                        return Err(schema_error(
                            &table.name,
                            format!(
                                "column `{}`: key `references` names `{ref_table}.{ref_column}`, which is not a column of an earlier table of the same return",
                                column.name
                            ),
                        ));
                    }
                }
            }
        }
        let records: Vec<(Source, String, Vec<String>)> =
            tables.iter().filter_map(|t| t.xml_record.clone().map(|r| (t.source, t.name.clone(), r))).collect();
        for table in &mut tables {
            table.xml_barriers = records
                .iter()
                .filter(|(source, name, _)| *source == table.source && *name != table.name)
                .map(|(_, _, r)| r.clone())
                .collect();
        }
        let version = hex::encode(&digest.finalize()[..6]);
        Ok(Schemas { tables, version })
    }

    /// A table by canonical name.
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table of a source that a file stem or sheet name stands for.
    pub fn table_for_name(&self, source: Source, stem: &str) -> Option<&TableSchema> {
        self.tables_of(source).find(|t| t.matches_name(stem))
    }

    /// The tables of one source, in processing order.
    pub fn tables_of(&self, source: Source) -> impl Iterator<Item = &TableSchema> {
        self.tables.iter().filter(move |t| t.source == source)
    }
}

fn schema_error(file: &str, message: String) -> Error {
    Error::Schema { file: file.to_string(), message }
}

fn compile_table(file: &str, raw: RawTable) -> Result<TableSchema> {
    let mut columns: Vec<ColumnSpec> = Vec::new();
    let mut header_lookup: HashMap<String, usize> = HashMap::new();
    let names: Vec<String> = raw.columns.iter().map(|c| c.name.clone()).collect();
    for (index, col) in raw.columns.into_iter().enumerate() {
        let at = |key: &str, msg: String| schema_error(file, format!("column `{}`, key `{key}`: {msg}", col.name));
        if columns.iter().any(|c| c.name == col.name) {
            return Err(at("name", "defined twice".into()));
        }
        for header in std::iter::once(&col.name).chain(col.aliases.iter()) {
            let key = match_key(header);
            if key.is_empty() {
                return Err(at("aliases", format!("`{header}` has no letters or digits")));
            }
            match header_lookup.get(&key) {
                Some(&other) if other != index => {
                    return Err(at("aliases", format!("`{header}` also matches column `{}`", names[other])));
                }
                _ => {
                    header_lookup.insert(key, index);
                }
            }
        }
        let treatment = match col.treatment {
            RawTreatment::Keep => Treatment::Keep,
            RawTreatment::Scrub => Treatment::Scrub,
            RawTreatment::Drop => Treatment::Drop,
            RawTreatment::Pseudonymise => {
                let kind = col.kind.ok_or_else(|| at("kind", "required when treatment is `pseudonymise`".into()))?;
                let output = col
                    .output
                    .clone()
                    .ok_or_else(|| at("output", "required when treatment is `pseudonymise`".into()))?;
                Treatment::Pseudonymise { kind, output }
            }
            RawTreatment::Generalise => Treatment::Generalise(
                col.method.ok_or_else(|| at("method", "required when treatment is `generalise`".into()))?,
            ),
        };
        let renames_postcode = col.method == Some(Method::Postcode) && col.kind.is_none();
        if col.treatment != RawTreatment::Pseudonymise
            && (col.kind.is_some() || (col.output.is_some() && !renames_postcode))
        {
            return Err(at(
                "kind",
                "only allowed when treatment is `pseudonymise` (`output` also with method `postcode`)".into(),
            ));
        }
        if col.treatment != RawTreatment::Generalise && col.method.is_some() {
            return Err(at("method", "only allowed when treatment is `generalise`".into()));
        }
        if matches!(treatment, Treatment::Keep) && col.column_type == ColumnType::Text {
            return Err(at(
                "treatment",
                "a text column is never written out as it is: scrub, pseudonymise, generalise or drop it (or give it codes)"
                    .into(),
            ));
        }
        if matches!(treatment, Treatment::Scrub) && col.column_type != ColumnType::Text {
            return Err(at("treatment", "only text columns can be scrubbed".into()));
        }
        if col.column_type == ColumnType::IdList && !matches!(treatment, Treatment::Pseudonymise { .. }) {
            return Err(at("treatment", "a list of ids must be pseudonymised".into()));
        }
        let method_type = match treatment {
            Treatment::Generalise(Method::BirthDate) => Some(ColumnType::Date),
            Treatment::Generalise(Method::Postcode) => Some(ColumnType::Text),
            Treatment::Generalise(Method::Ethnicity) => Some(ColumnType::Code),
            _ => None,
        };
        if method_type.is_some_and(|t| t != col.column_type) {
            return Err(at("method", format!("does not apply to a {} column", col.column_type.label())));
        }
        let has_codes = matches!(col.column_type, ColumnType::Code | ColumnType::CodeList);
        let codes = match (has_codes, col.codes) {
            (true, Some(codes)) => Some(compile_codes(codes, col.value_aliases).map_err(|m| at("value_aliases", m))?),
            (true, None) => return Err(at("codes", format!("required for a {} column", col.column_type.label()))),
            (false, Some(_)) => {
                return Err(at("codes", format!("not allowed for a {} column", col.column_type.label())));
            }
            (false, None) => {
                if !col.value_aliases.is_empty() {
                    return Err(at("value_aliases", "only allowed with `codes`".into()));
                }
                None
            }
        };
        let references = match col.references {
            None => None,
            Some(r) => match r.split_once('.') {
                Some((t, c)) => Some((t.to_string(), c.to_string())),
                None => return Err(at("references", "must be written `table.column`".into())),
            },
        };
        let not_before = match col.not_before {
            None => None,
            Some(other) => {
                let i = names.iter().position(|n| *n == other);
                match i {
                    Some(i) if i < index && columns[i].column_type == ColumnType::Date => Some(i),
                    _ => return Err(at("not_before", format!("`{other}` is not an earlier date column"))),
                }
            }
        };
        if col.column_type != ColumnType::Date && (col.not_in_future || not_before.is_some()) {
            return Err(at("type", "date rules need a date column".into()));
        }
        let age_range = match (col.min_age, col.max_age) {
            (None, None) => None,
            (Some(lo), Some(hi)) if lo <= hi && col.column_type == ColumnType::Date => Some((lo, hi)),
            _ => return Err(at("min_age", "give both min_age and max_age (min ≤ max) on a date column".into())),
        };
        columns.push(ColumnSpec {
            name: col.name,
            column_type: col.column_type,
            is_required: col.required,
            is_unique: col.unique,
            aliases: col.aliases,
            treatment,
            codes,
            references,
            is_not_in_future: col.not_in_future,
            not_before,
            age_range,
            output: if renames_postcode { col.output } else { None },
            description: col.description,
        });
    }
    if columns.is_empty() {
        return Err(schema_error(file, "key `columns`: a table needs at least one column".into()));
    }
    let xml_record = match (raw.source, raw.xml_record) {
        (Source::Cin, Some(path)) => {
            let parts: Vec<String> = path.split('/').map(str::trim).map(str::to_string).collect();
            if parts.iter().any(String::is_empty) {
                return Err(schema_error(file, format!("key `xml_record`: `{path}` is not a path of element names")));
            }
            Some(parts)
        }
        (Source::Cin, None) => {
            return Err(schema_error(file, "key `xml_record`: required for a table of the CIN census (XML)".into()));
        }
        (_, Some(_)) => return Err(schema_error(file, "key `xml_record`: only for a table of the CIN census".into())),
        (_, None) => None,
    };
    let outputs = output_columns(&columns);
    let mut seen = std::collections::HashSet::new();
    for out in &outputs {
        if !seen.insert(out.name.clone()) {
            return Err(schema_error(file, format!("output column `{}` is produced twice", out.name)));
        }
    }
    // Each output column carries its description, treatment and source as Arrow field
    // metadata, so pyarrow, pandas, polars and R show what a column is without the dictionary.
    let arrow_schema = Arc::new(Schema::new(
        outputs
            .iter()
            .map(|o| {
                let treatment = columns.iter().find(|c| c.name == o.source).map(|c| c.treatment.label());
                let metadata = std::collections::HashMap::from([
                    ("description".to_string(), o.description.clone()),
                    ("treatment".to_string(), treatment.unwrap_or_default()),
                    ("source_column".to_string(), o.source.clone()),
                ]);
                Field::new(&o.name, o.data_type.clone(), true).with_metadata(metadata)
            })
            .collect::<Vec<_>>(),
    ));
    Ok(TableSchema {
        name: raw.name,
        description: raw.description,
        aliases: raw.aliases,
        source: raw.source,
        xml_record,
        xml_barriers: Vec::new(),
        columns,
        outputs,
        arrow_schema,
        header_lookup,
    })
}

/// A list of strings, as written to Parquet.
pub fn list_of_text() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn output_columns(columns: &[ColumnSpec]) -> Vec<OutputColumn> {
    let mut outputs = Vec::new();
    let mut push = |name: &str, data_type: DataType, description: String, source: &str| {
        outputs.push(OutputColumn { name: name.to_string(), data_type, description, source: source.to_string() })
    };
    for col in columns {
        let kept_type = match col.column_type {
            ColumnType::Text | ColumnType::Code => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::CodeList | ColumnType::IdList => list_of_text(),
            ColumnType::Flag => DataType::Boolean,
            ColumnType::Count => DataType::Int64,
        };
        match &col.treatment {
            Treatment::Keep => push(&col.name, kept_type, col.description.clone(), &col.name),
            Treatment::Pseudonymise { kind, output } => push(
                output,
                kept_type,
                format!("{} Pseudonym ({} kind): 32 lowercase hex characters.", col.description, kind.name()),
                &col.name,
            ),
            Treatment::Generalise(Method::BirthDate) => {
                push("birth_month", DataType::Utf8, "Month of birth, `YYYY-MM`.".into(), &col.name);
                push(
                    "age_at_period_end",
                    DataType::Int32,
                    "Age in whole years on the last day of the return's period.".into(),
                    &col.name,
                );
            }
            Treatment::Generalise(Method::Postcode) => push(
                col.output.as_deref().unwrap_or("postcode_district"),
                DataType::Utf8,
                "Outward code of the postcode (`UB8 1QX` → `UB8`); empty when the postcode was malformed.".into(),
                &col.name,
            ),
            Treatment::Generalise(Method::Ethnicity) => {
                push(&col.name, DataType::Utf8, col.description.clone(), &col.name);
                push(
                    "ethnic_group",
                    DataType::Utf8,
                    "Five-group ethnicity: WHITE, MIXED, ASIAN, BLACK, OTHER, or UNKNOWN (refused or not obtained)."
                        .into(),
                    &col.name,
                );
            }
            Treatment::Scrub => push(
                &col.name,
                DataType::Utf8,
                format!("{} Scrubbed: names and contact details replaced by tokens.", col.description),
                &col.name,
            ),
            Treatment::Drop => {}
        }
    }
    outputs
}

/// The DfE five-group ethnicity for a 4-letter code.
pub fn ethnic_group(code: &str) -> &'static str {
    match code {
        "WBRI" | "WIRI" | "WIRT" | "WOTH" | "WROM" => "WHITE",
        "MWBC" | "MWBA" | "MWAS" | "MOTH" => "MIXED",
        "AIND" | "APKN" | "ABAN" | "AOTH" | "CHNE" => "ASIAN",
        "BCRB" | "BAFR" | "BOTH" => "BLACK",
        "OOTH" => "OTHER",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schemas_compile() {
        let schemas = Schemas::builtin().expect("built-in schemas compile");
        assert_eq!(schemas.tables_of(Source::Cs).count(), 7);
        let yp = schemas.table("young_people").expect("young_people");
        assert_eq!(yp.column_for_header("LA Child ID"), yp.column_index("child_id"));
        assert_eq!(yp.column_for_header("  d.o.b "), yp.column_index("date_of_birth"));
        assert_eq!(yp.column_for_header("Post_Code"), yp.column_index("postcode"));
        assert_eq!(yp.column_for_header("favourite colour"), None);
        let gender = &yp.columns[yp.column_index("gender").expect("gender")];
        let codes = gender.codes.as_ref().expect("codes");
        assert_eq!(codes.resolve("Male"), Some("M"));
        assert_eq!(codes.resolve(" f "), Some("F"));
        assert_eq!(codes.resolve("Q"), None);
        // Picklist entries: an option letter, then the code and its meaning.
        assert_eq!(codes.resolve("a) Male"), Some("M"));
        assert_eq!(codes.resolve("F: Female"), Some("F"));
        assert_eq!(codes.resolve("b) F - Female"), Some("F"));
        assert_eq!(codes.resolve("Q: Mole"), None, "neither the code nor its meaning is known");
        assert_eq!(codes.resolve("Mal"), None);
        assert_eq!(codes.resolve("c) Z9: Male"), Some("M"), "or by its meaning when the code is another list's");
        assert!(yp.arrow_schema.field_with_name("first_name").is_err());
        assert!(yp.arrow_schema.field_with_name("person_id").is_ok());
        assert!(yp.arrow_schema.field_with_name("birth_month").is_ok());
    }

    #[test]
    fn sheet_and_file_names_match_aliases() {
        let schemas = Schemas::builtin().expect("schemas");
        let name = |source, stem| schemas.table_for_name(source, stem).map(|t| t.name.as_str());
        assert_eq!(name(Source::Cs, "Young People"), Some("young_people"));
        assert_eq!(name(Source::Cs, "EPISODES"), Some("episodes"));
        assert!(name(Source::Cs, "sheet1").is_none());
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let text = BUILTIN[2].1.replace("required = true", "requird = true");
        let err = Schemas::compile(vec![("schemas/reviews.toml".into(), text)]).expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.contains("schemas/reviews.toml"), "{msg}");
        assert!(msg.contains("requird"), "{msg}");
    }

    #[test]
    fn pseudonymise_without_kind_is_refused() {
        let text = BUILTIN[0].1.replacen("kind = \"person\"\n", "", 1);
        let err = Schemas::compile(vec![("yp.toml".into(), text)]).expect_err("must fail");
        assert!(err.to_string().contains("key `kind`"), "{err}");
    }

    #[test]
    fn dangling_reference_is_refused() {
        // episodes without young_people before it
        let err = Schemas::compile(vec![("episodes.toml".into(), BUILTIN[1].1.to_string())]).expect_err("must fail");
        assert!(err.to_string().contains("references"), "{err}");
    }

    #[test]
    fn ambiguous_alias_is_refused() {
        let text = BUILTIN[0].1.replace("\"Forename\",", "\"Forename\", \"Surname\",");
        let err = Schemas::compile(vec![("yp.toml".into(), text)]).expect_err("must fail");
        assert!(err.to_string().contains("Surname"), "{err}");
    }
}
