//! Metrics: the SQL in `queries/`, run by DataFusion over the pseudonymised tables.
//!
//! Each file in `queries/` is one metric, listed in the catalogue
//! ([`crate::config::queries`]): its stem is the metric id, a `-- kind:`
//! line in its header says how disclosure control treats it, and it returns
//! `authority_code, period, breakdown, numerator, denominator, value` (and
//! `status` for published reference figures), run over a
//! [`crate::engine::session`]. The SQL is compiled into the binary, so `rni`
//! needs no folder at run time, and uses only built-in functions, so the
//! same files run in DataFusion's Python package or DuckDB.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::prelude::SessionContext;

use crate::config::queries::catalogue;
use crate::config::reference;
use crate::engine::coverage;
use crate::engine::session::{QueryLimits, query_error, with_fitting_joins};
use crate::error::{Error, Result};

pub use crate::engine::rows::{MetricRow, NOT_APPLICABLE, SUPPRESSED};

/// Runs SQL and collects the result, within the session's time limit (see [`QueryLimits`]).
pub async fn run_sql(ctx: &SessionContext, sql: &str, origin: &str) -> Result<Vec<RecordBatch>> {
    let limits = ctx.state().config().get_extension::<QueryLimits>();
    let df = ctx.sql(sql).await.map_err(query_error(origin))?;
    let distributed = limits.as_ref().is_some_and(|l| l.distributed);
    // Ballista plans its joins on the cluster; the local engine's choice does not apply there.
    let df = if distributed { df } else { with_fitting_joins(df).await.map_err(query_error(origin))? };
    match limits.as_ref().and_then(|l| l.timeout) {
        None => df.collect().await.map_err(query_error(origin)),
        Some(limit) => match tokio::time::timeout(limit, df.collect()).await {
            Ok(collected) => collected.map_err(query_error(origin)),
            Err(_) => Err(Error::Usage(format!(
                "query {origin} had no answer within {} s: the cluster may be stuck or too busy \
                 (raise --query-timeout to wait longer)",
                limit.as_secs()
            ))),
        },
    }
}

fn column_as(batch: &RecordBatch, name: &str, to: &DataType, origin: &str) -> Result<Option<ArrayRef>> {
    let Some(col) = batch.column_by_name(name) else { return Ok(None) };
    arrow::compute::cast(col, to).map(Some).map_err(|e| Error::Query { origin: origin.to_string(), source: e.into() })
}

/// Runs every metric query; returns the exact rows (before disclosure control), sorted.
pub async fn compute(ctx: &SessionContext) -> Result<Vec<MetricRow>> {
    let authorities = reference::authorities()?;
    let metrics = catalogue()?;
    let mut rows = Vec::new();
    for entry in &metrics {
        let (metric, sql, kind) = (&entry.id, entry.sql, entry.kind);
        let origin = format!("queries/{metric}.sql");
        let started = std::time::Instant::now();
        let batches = run_sql(ctx, sql, &origin).await?;
        #[cfg(feature = "distributed")]
        if batches.iter().all(|b| b.num_rows() == 0)
            && ctx.state().config().get_extension::<QueryLimits>().is_some_and(|l| l.distributed)
        {
            crate::engine::cluster::check_not_silently_empty(ctx, metric, sql).await?;
        }
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
    let returned = returned_tables(ctx).await?;
    coverage::apply(&mut rows, &returned, &metrics, |code| reference::area_name(code, &authorities));
    Ok(rows)
}

/// Every (table, authority, period) the warehouse holds a return table for.
async fn returned_tables(ctx: &SessionContext) -> Result<coverage::Returned> {
    let origin = "returned_tables";
    let batches = run_sql(ctx, "select table_name, authority_code, period from returned_tables", origin).await?;
    let mut out = coverage::Returned::new();
    for batch in batches {
        let column = |i: usize| -> Result<StringArray> {
            let col = arrow::compute::cast(batch.column(i), &DataType::Utf8)
                .map_err(|e| Error::Query { origin: origin.to_string(), source: e.into() })?;
            Ok(col
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .unwrap_or_else(|| StringArray::from(Vec::<String>::new())))
        };
        let (t, a, p) = (column(0)?, column(1)?, column(2)?);
        for i in 0..batch.num_rows().min(t.len()).min(a.len()).min(p.len()) {
            out.insert((t.value(i).to_string(), a.value(i).to_string(), p.value(i).to_string()));
        }
    }
    Ok(out)
}

/// The Arrow schema of `metric_values`, each column with its description as Arrow field metadata.
pub fn metric_values_schema() -> SchemaRef {
    let field = |name: &str, data_type: DataType, nullable: bool, description: &str| {
        Field::new(name, data_type, nullable)
            .with_metadata([("description".to_string(), description.to_string())].into_iter().collect())
    };
    Arc::new(Schema::new(vec![
        field("metric", DataType::Utf8, false, "Metric id: its query is queries/<metric>.sql."),
        field(
            "authority_code",
            DataType::Utf8,
            false,
            "ONS code of the authority, ALL (partner authorities), SN:<code> (its statistical neighbours) or England's code.",
        ),
        field("authority_name", DataType::Utf8, false, "Name of the area."),
        field("period", DataType::Utf8, false, "Quarter (YYYYQn), or the DfE reporting year of a reference statistic."),
        field("breakdown", DataType::Utf8, false, "Empty, or the code the row is broken down by."),
        field("numerator", DataType::Int64, true, "Numerator (the count, for counts), after disclosure control."),
        field("denominator", DataType::Int64, true, "Denominator, after disclosure control."),
        field(
            "value",
            DataType::Float64,
            true,
            "The figure: a count, a percentage (0-100) or a statistic; empty where suppressed.",
        ),
        field(
            "status",
            DataType::Utf8,
            false,
            "Empty when published; c suppressed, x not available, z not applicable, or a published symbol.",
        ),
    ]))
}

/// Rows as a record batch in the `metric_values` schema.
pub fn to_batch(rows: &[MetricRow]) -> Result<RecordBatch> {
    let t = |f: fn(&MetricRow) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(rows.iter().map(f))) };
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
