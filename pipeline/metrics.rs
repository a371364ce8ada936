//! Metrics: the SQL in `queries/`, run by DataFusion over the pseudonymised tables.
//!
//! A warehouse's `tables/` are registered as hive-partitioned Parquet tables
//! (an absent table is an empty one with its schema), beside small tables
//! rni makes itself: `periods` (every authority and quarter with a return,
//! with its first and last day), `codes` (accepted codes from the schemas)
//! and the reference statistics in tidy form (`efh_factors`, `population`,
//! `statistical_neighbours`). The views in `queries/views/` keep the latest
//! row of each episode, young person and context and add programme-wide
//! (`ALL`) copies. Each file in `queries/` is one metric: its stem is the
//! metric id, a `-- kind:` line in its header says how disclosure control
//! treats it, and it returns `authority_code, period, breakdown, numerator,
//! denominator, value` (and `status` for published reference figures). The
//! SQL is compiled into the binary, so `rni` needs no folder at run time,
//! and uses only built-in functions, so the same files run in DataFusion's
//! Python package or DuckDB.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::error::{Error, Result};
use crate::period::Period;
use crate::reference::{self, Published};
use crate::schema::Schemas;

pub use crate::queries::{QUERIES, VIEWS};

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
    fn parse(sql: &str, origin: &str) -> Result<MetricKind> {
        let line = sql
            .lines()
            .take_while(|l| l.starts_with("--"))
            .find_map(|l| l.trim_start_matches('-').trim().strip_prefix("kind:").map(str::trim))
            .ok_or_else(|| Error::Usage(format!("query {origin}: the header has no `-- kind:` line")))?;
        Ok(match line {
            "count" => MetricKind::Count,
            "percentage" => MetricKind::Percentage,
            "value" => MetricKind::Value,
            "level" => MetricKind::Level,
            "reference" => MetricKind::Reference,
            other => return Err(Error::Usage(format!("query {origin}: unknown kind `{other}`"))),
        })
    }
}

/// One row of `metric_values`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Metric id (the query's file stem).
    pub metric: String,
    /// How it is disclosure-controlled.
    pub kind: MetricKind,
    /// ONS code, `ALL`, `SN:<code>` or England's code.
    pub authority_code: String,
    /// Name of the area.
    pub authority_name: String,
    /// Quarter, or DfE reporting year for reference metrics.
    pub period: String,
    /// `''` or a code.
    pub breakdown: String,
    /// Numerator (the count for counts).
    pub numerator: Option<i64>,
    /// Denominator.
    pub denominator: Option<i64>,
    /// The value.
    pub value: Option<f64>,
    /// `''` published, `c` suppressed, `x` not available, `z` not applicable, or a published symbol.
    pub status: String,
}

fn query_error(origin: &str) -> impl Fn(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::Query { origin: origin.to_string(), source }
}

fn mem_table(schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<Arc<MemTable>> {
    let batch = RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::Query { origin: "registering tables".into(), source: e.into() })?;
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(query_error("registering tables"))?;
    Ok(Arc::new(table))
}

fn text(values: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

/// Every (authority, period) partition under `tables/`.
fn partitions(warehouse: &Path) -> Result<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    let tables = warehouse.join("tables");
    let Ok(entries) = std::fs::read_dir(&tables) else { return Ok(out) };
    for table in entries.flatten() {
        let Ok(authorities) = std::fs::read_dir(table.path()) else { continue };
        for a in authorities.flatten() {
            let name = a.file_name().to_string_lossy().into_owned();
            let Some(code) = name.strip_prefix("authority_code=") else { continue };
            let Ok(periods) = std::fs::read_dir(a.path()) else { continue };
            for p in periods.flatten() {
                let pname = p.file_name().to_string_lossy().into_owned();
                if let Some(period) = pname.strip_prefix("period=") {
                    out.insert((code.to_string(), period.to_string()));
                }
            }
        }
    }
    Ok(out)
}

fn days(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce() - 719_163
}

/// A DataFusion session over a warehouse, with every table, reference table and view registered.
pub async fn open(warehouse: &Path, schemas: &Schemas) -> Result<Session> {
    open_in(warehouse, schemas, &std::env::temp_dir()).await
}

/// As [`open`], with the views' temporary folder made inside `scratch` (a build uses its
/// staging folder, which the next build removes if this one is killed).
pub async fn open_in(warehouse: &Path, schemas: &Schemas, scratch: &Path) -> Result<Session> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false);
    let ctx = SessionContext::new_with_config(config);
    let partition_cols =
        || vec![("authority_code".to_string(), DataType::Utf8), ("period".to_string(), DataType::Utf8)];
    for table in &schemas.tables {
        let dir = warehouse.join("tables").join(&table.name);
        let has_files = dir.is_dir();
        if has_files {
            let options =
                ParquetReadOptions::default().schema(&table.arrow_schema).table_partition_cols(partition_cols());
            ctx.register_parquet(&table.name, &format!("{}/", dir.display()), options)
                .await
                .map_err(query_error(&table.name))?;
        } else {
            let mut fields: Vec<Field> = table.arrow_schema.fields().iter().map(|f| f.as_ref().clone()).collect();
            fields.push(Field::new("authority_code", DataType::Utf8, true));
            fields.push(Field::new("period", DataType::Utf8, true));
            let schema = Arc::new(Schema::new(fields));
            let empty = MemTable::try_new(schema.clone(), vec![vec![RecordBatch::new_empty(schema)]])
                .map_err(query_error(&table.name))?;
            ctx.register_table(&table.name, Arc::new(empty)).map_err(query_error(&table.name))?;
        }
    }
    // periods: every return in the warehouse with its quarter's first and last day.
    let parts = partitions(warehouse)?;
    let mut codes_col = Vec::new();
    let mut periods_col = Vec::new();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for (code, period) in &parts {
        let Ok(p) = Period::parse(period) else { continue };
        codes_col.push(code.clone());
        periods_col.push(period.clone());
        starts.push(days(p.start()));
        ends.push(days(p.end()));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("period", DataType::Utf8, false),
        Field::new("period_start", DataType::Date32, false),
        Field::new("period_end", DataType::Date32, false),
    ]));
    let periods = mem_table(
        schema,
        vec![
            text(codes_col),
            text(periods_col),
            Arc::new(Date32Array::from(starts)),
            Arc::new(Date32Array::from(ends)),
        ],
    )?;
    ctx.register_table("periods", periods).map_err(query_error("periods"))?;
    register_codes(&ctx, schemas)?;
    register_reference(&ctx)?;
    // The `*_latest` views join whole tables: each is computed once, not once per metric, and
    // streamed to uncompressed Parquet in a private temporary folder (removed when the session
    // ends), so that memory does not hold every view of a large warehouse at once. The other
    // views only copy or filter those rows and stay views. A view the temporary folder cannot
    // take (none, or full) is kept in memory instead.
    let scratch = tempfile::Builder::new().prefix(".rni-views-").tempdir_in(scratch).ok();
    if scratch.is_none() {
        tracing::warn!("no temporary folder: the metric views are kept in memory");
    }
    for (name, sql) in VIEWS {
        let origin = format!("queries/views/{name}.sql");
        let started = std::time::Instant::now();
        let df = ctx.sql(sql).await.map_err(query_error(&origin))?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let in_memory = match &scratch {
            Some(dir) if name.ends_with("_latest") => {
                let path = dir.path().join(name);
                match view_to_parquet(&ctx, df.clone(), name, &path, &schema).await {
                    Ok(()) => false,
                    Err(e) => {
                        tracing::warn!(view = %name, "view kept in memory: the temporary folder could not take it ({e})");
                        let _ = std::fs::remove_dir_all(&path);
                        true
                    }
                }
            }
            Some(_) => {
                ctx.register_table(*name, df.clone().into_view()).map_err(query_error(&origin))?;
                false
            }
            None => true,
        };
        if in_memory {
            let batches = df.collect().await.map_err(query_error(&origin))?;
            // Dealt out over as many partitions as cores, so every query's scans run in parallel.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); cores];
            for (i, batch) in batches.into_iter().enumerate() {
                partitions[i % cores].push(batch);
            }
            let table = MemTable::try_new(schema, partitions).map_err(query_error(&origin))?;
            ctx.register_table(*name, Arc::new(table)).map_err(query_error(&origin))?;
        }
        tracing::debug!(view = %name, seconds = started.elapsed().as_secs_f64(), "view ready");
    }
    Ok(Session { ctx, scratch })
}

/// Streams a view to uncompressed Parquet under `path` and registers it from there.
async fn view_to_parquet(
    ctx: &SessionContext,
    df: datafusion::dataframe::DataFrame,
    name: &str,
    path: &Path,
    schema: &SchemaRef,
) -> datafusion::error::Result<()> {
    let url = format!("{}/", path.display());
    let mut options = TableParquetOptions::default();
    options.global.compression = Some("uncompressed".into());
    // Small row groups keep the writer's buffers small.
    options.global.max_row_group_size = 64 * 1024;
    df.write_parquet(&url, DataFrameWriteOptions::new(), Some(options)).await?;
    ctx.register_parquet(name, &url, ParquetReadOptions::default().schema(schema)).await
}

/// A query session over a warehouse: its tables, rni's own tables and the metric views.
pub struct Session {
    ctx: SessionContext,
    /// Where the views are kept; removed when the session is dropped.
    scratch: Option<tempfile::TempDir>,
}

impl Session {
    /// Ends the session and removes the views' folder, saying whether that worked (dropping
    /// a session removes it too, silently).
    pub fn close(self) -> std::io::Result<()> {
        match self.scratch {
            Some(dir) => dir.close(),
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for Session {
    type Target = SessionContext;

    fn deref(&self) -> &SessionContext {
        &self.ctx
    }
}

fn register_codes(ctx: &SessionContext, schemas: &Schemas) -> Result<()> {
    let (mut tables, mut columns, mut codes) = (Vec::new(), Vec::new(), Vec::new());
    for t in &schemas.tables {
        for c in &t.columns {
            for code in c.codes.iter().flat_map(|s| s.codes.iter()) {
                tables.push(t.name.clone());
                columns.push(c.name.clone());
                codes.push(code.clone());
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("code", DataType::Utf8, false),
    ]));
    let table = mem_table(schema, vec![text(tables), text(columns), text(codes)])?;
    ctx.register_table("codes", table).map_err(query_error("codes"))?;
    Ok(())
}

fn split(p: &Published) -> (Option<i64>, Option<String>) {
    match p {
        Published::Count(n) => (Some(*n), None),
        Published::Symbol(s) => (None, Some(s.clone())),
    }
}

fn register_reference(ctx: &SessionContext) -> Result<()> {
    let factors = reference::factor_counts()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("factor", DataType::Utf8, false),
        Field::new("factor_count", DataType::Int64, true),
        Field::new("symbol", DataType::Utf8, true),
    ]));
    let (counts, symbols): (Vec<_>, Vec<_>) = factors.iter().map(|f| split(&f.value)).unzip();
    let table = mem_table(
        schema,
        vec![
            text(factors.iter().map(|f| f.authority_code.clone()).collect()),
            Arc::new(Int32Array::from(factors.iter().map(|f| f.year).collect::<Vec<_>>())),
            text(factors.iter().map(|f| f.factor.to_string()).collect()),
            Arc::new(Int64Array::from(counts)),
            Arc::new(StringArray::from(symbols)),
        ],
    )?;
    ctx.register_table("efh_factors", table).map_err(query_error("efh_factors"))?;

    let pops = reference::populations()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("population", DataType::Int64, true),
        Field::new("symbol", DataType::Utf8, true),
    ]));
    let (counts, symbols): (Vec<_>, Vec<_>) = pops.iter().map(|p| split(&p.value)).unzip();
    let table = mem_table(
        schema,
        vec![
            text(pops.iter().map(|p| p.authority_code.clone()).collect()),
            Arc::new(Int32Array::from(pops.iter().map(|p| p.year).collect::<Vec<_>>())),
            Arc::new(Int64Array::from(counts)),
            Arc::new(StringArray::from(symbols)),
        ],
    )?;
    ctx.register_table("population", table).map_err(query_error("population"))?;

    let neighbours = reference::statistical_neighbours()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("neighbour_code", DataType::Utf8, false),
        Field::new("rank", DataType::Int32, false),
    ]));
    let table = mem_table(
        schema,
        vec![
            text(neighbours.iter().map(|n| n.0.clone()).collect()),
            text(neighbours.iter().map(|n| n.1.clone()).collect()),
            Arc::new(Int32Array::from(neighbours.iter().map(|n| n.2).collect::<Vec<_>>())),
        ],
    )?;
    ctx.register_table("statistical_neighbours", table).map_err(query_error("statistical_neighbours"))?;
    Ok(())
}

/// Runs SQL and collects the result.
pub async fn run_sql(ctx: &SessionContext, sql: &str, origin: &str) -> Result<Vec<RecordBatch>> {
    let df = ctx.sql(sql).await.map_err(query_error(origin))?;
    df.collect().await.map_err(query_error(origin))
}

fn column_as(batch: &RecordBatch, name: &str, to: &DataType, origin: &str) -> Result<Option<ArrayRef>> {
    let Some(col) = batch.column_by_name(name) else { return Ok(None) };
    arrow::compute::cast(col, to).map(Some).map_err(|e| Error::Query { origin: origin.to_string(), source: e.into() })
}

/// Runs every metric query; returns the exact rows (before disclosure control), sorted.
pub async fn compute(ctx: &SessionContext) -> Result<Vec<MetricRow>> {
    let authorities = reference::authorities()?;
    let mut rows = Vec::new();
    for (metric, sql) in QUERIES {
        let origin = format!("queries/{metric}.sql");
        let kind = MetricKind::parse(sql, &origin)?;
        let started = std::time::Instant::now();
        let batches = run_sql(ctx, sql, &origin).await?;
        tracing::debug!(metric = %metric, seconds = started.elapsed().as_secs_f64(), "metric computed");
        for batch in batches {
            let need = |name: &str, t: &DataType| -> Result<ArrayRef> {
                column_as(&batch, name, t, &origin)?
                    .ok_or_else(|| Error::Usage(format!("query {origin}: the result has no column `{name}`")))
            };
            let authority = need("authority_code", &DataType::Utf8)?;
            let period = need("period", &DataType::Utf8)?;
            let breakdown = need("breakdown", &DataType::Utf8)?;
            let numerator = need("numerator", &DataType::Int64)?;
            let denominator = need("denominator", &DataType::Int64)?;
            let value = need("value", &DataType::Float64)?;
            let status = column_as(&batch, "status", &DataType::Utf8, &origin)?;
            let s = |a: &ArrayRef, i: usize| {
                let a = a.as_any().downcast_ref::<StringArray>();
                a.filter(|a| a.is_valid(i)).map(|a| a.value(i).to_string()).unwrap_or_default()
            };
            let n = |a: &ArrayRef, i: usize| {
                a.as_any().downcast_ref::<Int64Array>().filter(|a| a.is_valid(i)).map(|a| a.value(i))
            };
            let f = |a: &ArrayRef, i: usize| {
                a.as_any().downcast_ref::<Float64Array>().filter(|a| a.is_valid(i)).map(|a| a.value(i))
            };
            for i in 0..batch.num_rows() {
                let code = s(&authority, i);
                rows.push(MetricRow {
                    metric: metric.to_string(),
                    kind,
                    authority_name: reference::area_name(&code, &authorities),
                    authority_code: code,
                    period: s(&period, i),
                    breakdown: s(&breakdown, i),
                    numerator: n(&numerator, i),
                    denominator: n(&denominator, i),
                    value: f(&value, i),
                    status: status.as_ref().map(|st| s(st, i)).unwrap_or_default(),
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        (&a.metric, &a.authority_code, &a.period, &a.breakdown).cmp(&(
            &b.metric,
            &b.authority_code,
            &b.period,
            &b.breakdown,
        ))
    });
    Ok(rows)
}

/// The Arrow schema of `metric_values`.
pub fn metric_values_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("metric", DataType::Utf8, false),
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("authority_name", DataType::Utf8, false),
        Field::new("period", DataType::Utf8, false),
        Field::new("breakdown", DataType::Utf8, false),
        Field::new("numerator", DataType::Int64, true),
        Field::new("denominator", DataType::Int64, true),
        Field::new("value", DataType::Float64, true),
        Field::new("status", DataType::Utf8, false),
    ]))
}

/// Rows as a record batch in the `metric_values` schema.
pub fn to_batch(rows: &[MetricRow]) -> Result<RecordBatch> {
    let t = |f: fn(&MetricRow) -> &str| text(rows.iter().map(|r| f(r).to_string()).collect());
    RecordBatch::try_new(
        metric_values_schema(),
        vec![
            t(|r| &r.metric),
            t(|r| &r.authority_code),
            t(|r| &r.authority_name),
            t(|r| &r.period),
            t(|r| &r.breakdown),
            Arc::new(Int64Array::from(rows.iter().map(|r| r.numerator).collect::<Vec<_>>())),
            Arc::new(Int64Array::from(rows.iter().map(|r| r.denominator).collect::<Vec<_>>())),
            Arc::new(Float64Array::from(rows.iter().map(|r| r.value).collect::<Vec<_>>())),
            t(|r| &r.status),
        ],
    )
    .map_err(|e| Error::Query { origin: "metric_values".into(), source: e.into() })
}

/// Writes rows as CSV with the `metric_values` columns.
pub fn write_csv(path: &Path, rows: &[MetricRow]) -> Result<()> {
    let io = |e: csv::Error| Error::Io { action: "cannot write", path: path.to_path_buf(), source: e.into() };
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record([
        "metric",
        "authority_code",
        "authority_name",
        "period",
        "breakdown",
        "numerator",
        "denominator",
        "value",
        "status",
    ])
    .map_err(io)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.metric.as_str(),
            r.authority_code.as_str(),
            r.authority_name.as_str(),
            r.period.as_str(),
            r.breakdown.as_str(),
            &opt(r.numerator),
            &opt(r.denominator),
            &r.value.map(|v| v.to_string()).unwrap_or_default(),
            r.status.as_str(),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(Error::io("cannot write", path))
}

#[cfg(test)]
mod tests {
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
            MetricKind::parse(sql, name).expect("kind line");
            assert!(sql.starts_with(&format!("-- {name}:")), "{name}: header names the metric");
        }
    }
}
