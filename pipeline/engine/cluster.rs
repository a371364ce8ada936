//! The same queries on Apache DataFusion Ballista (the `distributed` feature).
//!
//! A Ballista session is a DataFusion session whose query planner sends each
//! plan to a scheduler, which splits it into stages that executors run and
//! shuffle between them. [`context`] opens one from the same session state a
//! local session is made from, so every table, view and query is registered
//! the same way whichever engine runs it. What a plan may hold changes:
//!
//! - an in-memory table (MemTable) cannot be sent to an executor, so rni's
//!   small tables (quarters, codes, reference figures) and empty tables are
//!   `VALUES` (or empty) views instead ([`values_table`]);
//! - the executors must see the warehouse's files at the same address as the
//!   client, or the scheduler lists no file and a query returns no rows with
//!   no error: [`check_visible`] compares what the cluster counts with what
//!   the files' footers say before any metric runs;
//! - Ballista's adaptive planner is off: with it on, a LEFT JOIN against a
//!   grouping over an empty table never returns (rni's metrics join many such).
//!   No upstream issue names this case; the nearest are the adaptive planner's
//!   join hangs in apache/datafusion-ballista#2023 and #1900 (a filter made by
//!   one stage and awaited by another). Until one is fixed, it stays off, and
//!   so does DataFusion's dynamic filter pushdown (the filter of #1900).
//! - a UNION ALL of a constant row (`select '' as x`) and a table scan, joined
//!   to another table, never finishes on Ballista 55: the stage's tasks report
//!   different numbers of operators and the scheduler rejects their status.
//!   rni's queries avoid the shape; the query time limit catches it elsewhere.

use std::sync::Arc;

use arrow::array::RecordBatch;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan, LogicalPlanBuilder, col, lit};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};

/// Wraps a DataFusion error with what was being done.
fn query_error(origin: &str) -> impl Fn(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::Query { origin: origin.to_string(), source }
}

/// Ballista's settings that rni changes from its defaults.
fn ballista_config(config: SessionConfig) -> SessionConfig {
    config
        .upgrade_for_ballista()
        .set_bool("ballista.planner.adaptive.enabled", false)
        .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false)
}

/// A session whose queries run on Ballista: in this process (`scheduler` none: a scheduler
/// and one executor, with real gRPC and shuffle) or on a running cluster (`df://host:port`).
pub async fn context(
    scheduler: Option<&str>,
    config: SessionConfig,
    runtime: Arc<RuntimeEnv>,
) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_config(ballista_config(config))
        .with_runtime_env(runtime)
        .with_default_features()
        .build();
    let connected = match scheduler {
        None => SessionContext::standalone_with_state(state).await,
        Some(url) => SessionContext::remote_with_state(url, state).await,
    };
    connected.map_err(|source| Error::Query {
        origin: match scheduler {
            None => "starting Ballista in this process".to_string(),
            Some(url) => format!("connecting to the Ballista scheduler at {url}"),
        },
        source,
    })
}

/// A small table as a view over `VALUES` (an empty relation when it has no rows), which a
/// plan can carry to an executor.
pub fn values_table(batch: &RecordBatch) -> Result<Arc<dyn TableProvider>> {
    let origin = "registering rni's own tables";
    let schema = Arc::new(DFSchema::try_from(batch.schema()).map_err(query_error(origin))?);
    let plan = if batch.num_rows() == 0 {
        LogicalPlan::EmptyRelation(EmptyRelation { produce_one_row: false, schema })
    } else {
        let mut rows = Vec::with_capacity(batch.num_rows());
        for i in 0..batch.num_rows() {
            let mut row = Vec::with_capacity(batch.num_columns());
            for column in batch.columns() {
                row.push(lit(ScalarValue::try_from_array(column, i).map_err(query_error(origin))?));
            }
            rows.push(row);
        }
        // VALUES names its columns column1, column2…: each gets its name back.
        let fields = batch.schema();
        let names = fields.fields().iter().enumerate().map(|(i, f)| col(format!("column{}", i + 1)).alias(f.name()));
        LogicalPlanBuilder::values_with_schema(rows, &schema)
            .and_then(|values| values.project(names))
            .and_then(LogicalPlanBuilder::build)
            .map_err(query_error(origin))?
    };
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// The rows of a table or view, counted by the session's engine.
async fn count(ctx: &SessionContext, relation: &str, origin: &str) -> Result<i64> {
    let batches = ctx
        .sql(&format!("select count(*) as n from \"{relation}\""))
        .await
        .map_err(query_error(origin))?
        .collect()
        .await
        .map_err(query_error(origin))?;
    Ok(batches
        .iter()
        .filter(|b| b.num_rows() > 0)
        .filter_map(|b| b.column(0).as_any().downcast_ref::<arrow::array::Int64Array>().map(|a| a.value(0)))
        .sum())
}

/// Stops when the cluster does not see every row of the warehouse's tables: for each table
/// read from files, `rows` (what the files' footers hold, read by this process) against what
/// a count on the cluster returns.
pub async fn check_visible(ctx: &SessionContext, rows: &[(String, u64, String)]) -> Result<()> {
    for (table, expected, location) in rows {
        let counted = count(ctx, table, &format!("counting {table} on the cluster")).await?;
        if counted as u64 != *expected {
            return Err(Error::Usage(format!(
                "the Ballista cluster counts {counted} rows in table {table} where its files hold {expected}: \
                 the scheduler and every executor must see the warehouse at the same address as this client \
                 ({location})"
            )));
        }
    }
    Ok(())
}

/// Stops when a metric came back with no rows on the cluster although every relation its
/// `-- inputs:` header names holds rows: what an executor that cannot see the files answers.
pub async fn check_not_silently_empty(ctx: &SessionContext, metric: &str, sql: &str) -> Result<()> {
    let Some(inputs) = sql.lines().find_map(|l| l.strip_prefix("-- inputs:")) else { return Ok(()) };
    let inputs: Vec<&str> = inputs.split(',').map(str::trim).filter(|i| !i.is_empty()).collect();
    for input in &inputs {
        if count(ctx, input, &format!("counting {input} for {metric}")).await? == 0 {
            return Ok(());
        }
    }
    Err(Error::Usage(format!(
        "metric {metric} came back with no rows on the Ballista cluster although its inputs ({}) hold rows: \
         an executor may not see the warehouse's files; the build stops rather than publish it empty",
        inputs.join(", ")
    )))
}
