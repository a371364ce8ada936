//! A DataFusion session over a warehouse or package.
//!
//! A warehouse's `tables/` are registered as hive-partitioned Parquet tables
//! (an absent table is an empty one with its schema), beside small tables
//! rni makes itself: `periods` (every authority and quarter with a CS return,
//! with its first and last day), `reporting_years` (the same for the
//! statutory returns' collection years), `returned_tables` (every period of
//! each table a return holds), `codes` (accepted codes from the schemas),
//! the reference statistics in tidy form (`efh_factors`, `population`,
//! `statistical_neighbours`) and the CIN census's extra-familial harm factor
//! codes (`cin_efh_factors`). Then the views of `queries/views/` are created
//! in order: the `*_latest` views keep the latest row of each episode, young
//! person and context, the `*_scoped` views add programme-wide (`ALL`)
//! copies, and the `int_*` views are the intermediate models that several
//! metrics share.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::config::period::Period;
use crate::config::queries::VIEWS;
use crate::config::reference::{self, Published};
use crate::config::schema::Schemas;
use crate::error::{Error, Result};

/// Wraps a DataFusion error with the query (file or table) it came from.
pub(crate) fn query_error(origin: &str) -> impl Fn(datafusion::error::DataFusionError) -> Error + '_ {
    move |source| Error::Query { origin: origin.to_string(), source }
}

/// Which engine runs a session's queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion in this process.
    #[default]
    Local,
    /// Apache DataFusion Ballista (the `distributed` feature).
    Ballista {
        /// The scheduler of a running cluster, `df://host:port`; none: a scheduler and an
        /// executor in this process.
        scheduler: Option<String>,
        /// A query that takes longer stops with an error.
        query_timeout: std::time::Duration,
    },
}

impl Engine {
    fn is_local(&self) -> bool {
        matches!(self, Engine::Local)
    }
}

/// What a session's queries run under, kept in its configuration so that whoever runs a
/// query on it finds it (see [`crate::engine::metrics::run_sql`]).
#[derive(Debug)]
pub struct QueryLimits {
    /// The longest a query may take.
    pub timeout: Option<std::time::Duration>,
    /// Whether the queries run on Ballista.
    pub distributed: bool,
}

/// One of rni's own small tables: in memory on the local engine, a `VALUES` view on Ballista
/// (an executor cannot be sent an in-memory table).
fn small_table(engine: &Engine, schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<Arc<dyn TableProvider>> {
    let batch = RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::Query { origin: "registering tables".into(), source: e.into() })?;
    if !engine.is_local() {
        #[cfg(feature = "distributed")]
        return crate::engine::cluster::values_table(&batch);
    }
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(query_error("registering tables"))?;
    Ok(Arc::new(table))
}

/// A session context on the chosen engine.
async fn context(engine: &Engine, config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
    let limits = QueryLimits {
        timeout: match engine {
            Engine::Local => None,
            Engine::Ballista { query_timeout, .. } => Some(*query_timeout),
        },
        distributed: !engine.is_local(),
    };
    let config = config.with_extension(Arc::new(limits));
    match engine {
        Engine::Local => Ok(SessionContext::new_with_config_rt(config, runtime)),
        #[cfg(feature = "distributed")]
        Engine::Ballista { scheduler, .. } => {
            crate::engine::cluster::context(scheduler.as_deref(), config, runtime).await
        }
        #[cfg(not(feature = "distributed"))]
        Engine::Ballista { .. } => Err(Error::Usage(
            "this rni was built without the `distributed` feature: it runs queries with the local engine only".into(),
        )),
    }
}

fn text(values: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

/// Every (table, authority, period) partition under `tables/`: the tables each authority sent
/// for each quarter (a table sent with no rows has a partition all the same).
fn partitions(warehouse: &Path) -> Result<BTreeSet<(String, String, String)>> {
    let mut out = BTreeSet::new();
    let tables = warehouse.join("tables");
    let Ok(entries) = std::fs::read_dir(&tables) else { return Ok(out) };
    for table in entries.flatten() {
        let table_name = table.file_name().to_string_lossy().into_owned();
        let Ok(authorities) = std::fs::read_dir(table.path()) else { continue };
        for a in authorities.flatten() {
            let name = a.file_name().to_string_lossy().into_owned();
            let Some(code) = name.strip_prefix("authority_code=") else { continue };
            let Ok(periods) = std::fs::read_dir(a.path()) else { continue };
            for p in periods.flatten() {
                let pname = p.file_name().to_string_lossy().into_owned();
                if let Some(period) = pname.strip_prefix("period=") {
                    out.insert((table_name.clone(), code.to_string(), period.to_string()));
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
    open_on(warehouse, schemas, &Engine::Local).await
}

/// As [`open`], on the given engine.
pub async fn open_on(warehouse: &Path, schemas: &Schemas, engine: &Engine) -> Result<Session> {
    open_in(warehouse, schemas, &std::env::temp_dir(), None, engine).await
}

/// Where a warehouse's files are.
#[derive(Debug, Clone, Copy)]
pub enum Warehouse<'a> {
    /// A folder.
    Folder(&'a Path),
    /// A build on object storage, read in place.
    #[cfg(feature = "distributed")]
    Store(&'a crate::engine::store::StoreWarehouse),
}

/// As [`open_in`], for a warehouse in a folder or on a store.
pub async fn open_at(
    warehouse: Warehouse<'_>,
    schemas: &Schemas,
    scratch: &Path,
    memory_limit: Option<u64>,
    engine: &Engine,
) -> Result<Session> {
    open_files(warehouse, schemas, scratch, memory_limit, engine).await
}

/// As [`open`], with the views' temporary folder made inside `scratch` (a build uses its
/// staging folder, which the next build removes if this one is killed). With a memory limit,
/// the engine holds at most that many bytes in its pool: sorts and aggregations spill to
/// `scratch` beyond it, and joins are sort-merge joins, which can spill, not hash joins.
///
/// On Ballista the views are not computed ahead: an executor elsewhere could not read this
/// machine's temporary folder, so every view stays a view.
pub async fn open_in(
    warehouse: &Path,
    schemas: &Schemas,
    scratch: &Path,
    memory_limit: Option<u64>,
    engine: &Engine,
) -> Result<Session> {
    open_files(Warehouse::Folder(warehouse), schemas, scratch, memory_limit, engine).await
}

async fn open_files(
    warehouse: Warehouse<'_>,
    schemas: &Schemas,
    scratch: &Path,
    memory_limit: Option<u64>,
    engine: &Engine,
) -> Result<Session> {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false);
    let mut runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new();
    if let Some(bytes) = memory_limit {
        use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
        // A query that runs out names the five consumers that hold most of the pool.
        let top = std::num::NonZeroUsize::new(5).unwrap_or(std::num::NonZeroUsize::MIN);
        let pool = TrackConsumersPool::new(FairSpillPool::new(bytes as usize), top);
        runtime = runtime.with_memory_pool(Arc::new(pool)).with_temp_file_path(scratch);
        config = config.set_bool("datafusion.optimizer.prefer_hash_join", false);
    }
    let runtime = runtime.build_arc().map_err(query_error("the query engine's memory pool"))?;
    let ctx = context(engine, config, runtime).await?;
    // Each table's address, when it has files; the partitions; the rows the files hold.
    let (parts, stored_rows) = match &warehouse {
        Warehouse::Folder(path) => (partitions(path)?, Vec::<(String, u64)>::new()),
        #[cfg(feature = "distributed")]
        Warehouse::Store(store) => {
            store.register(&ctx)?;
            store.partitions().await?
        }
    };
    let address = |table: &str| -> Option<String> {
        match &warehouse {
            Warehouse::Folder(path) => {
                let dir = path.join("tables").join(table);
                dir.is_dir().then(|| format!("{}/", dir.display()))
            }
            #[cfg(feature = "distributed")]
            Warehouse::Store(store) => parts.iter().any(|(t, _, _)| t == table).then(|| store.table_url(table)),
        }
    };
    let mut read_from_files = Vec::new();
    let partition_cols =
        || vec![("authority_code".to_string(), DataType::Utf8), ("period".to_string(), DataType::Utf8)];
    for table in &schemas.tables {
        if let Some(url) = address(&table.name) {
            let options =
                ParquetReadOptions::default().schema(&table.arrow_schema).table_partition_cols(partition_cols());
            ctx.register_parquet(&table.name, &url, options).await.map_err(query_error(&table.name))?;
            read_from_files.push((table.name.clone(), url));
        } else {
            let mut fields: Vec<Field> = table.arrow_schema.fields().iter().map(|f| f.as_ref().clone()).collect();
            fields.push(Field::new("authority_code", DataType::Utf8, true));
            fields.push(Field::new("period", DataType::Utf8, true));
            let schema = Arc::new(Schema::new(fields));
            let columns = schema.fields().iter().map(|f| arrow::array::new_empty_array(f.data_type())).collect();
            let empty = small_table(engine, schema, columns)?;
            ctx.register_table(&table.name, empty).map_err(query_error(&table.name))?;
        }
    }
    #[cfg(feature = "distributed")]
    if !engine.is_local() {
        let mut rows = Vec::new();
        for (name, url) in &read_from_files {
            let expected = match &warehouse {
                Warehouse::Folder(_) => footer_rows(Path::new(url))?,
                Warehouse::Store(_) => stored_rows.iter().find(|(t, _)| t == name).map_or(0, |(_, n)| *n),
            };
            rows.push((name.clone(), expected, url.clone()));
        }
        crate::engine::cluster::check_visible(&ctx, &rows).await?;
    }
    #[cfg(not(feature = "distributed"))]
    let _ = (read_from_files, stored_rows);
    let returns: BTreeSet<(&str, &str)> = parts.iter().map(|(_, c, p)| (c.as_str(), p.as_str())).collect();
    // A quarter's, collection year's or list date's first and last day.
    let bounds = |period: &str| Period::parse_any(period).ok().map(|p| (days(p.start()), days(p.end())));
    let is_quarter = |period: &str| Period::parse(period).is_ok();
    let is_year = |period: &str| matches!(Period::parse_any(period), Ok(Period::Year(_)));
    let dates = |keys: &mut dyn Iterator<Item = &str>| -> (ArrayRef, ArrayRef) {
        let (starts, ends): (Vec<i32>, Vec<i32>) = keys.filter_map(bounds).unzip();
        (Arc::new(Date32Array::from(starts)), Arc::new(Date32Array::from(ends)))
    };
    let period_fields = || {
        vec![
            Field::new("authority_code", DataType::Utf8, false),
            Field::new("period", DataType::Utf8, false),
            Field::new("period_start", DataType::Date32, false),
            Field::new("period_end", DataType::Date32, false),
        ]
    };
    // periods: the CS returns' quarters; reporting_years: the statutory returns' collection years.
    for (name, keep) in [("periods", &is_quarter as &dyn Fn(&str) -> bool), ("reporting_years", &is_year)] {
        let dated: Vec<(&str, &str)> = returns.iter().copied().filter(|(_, p)| keep(p)).collect();
        let (starts, ends) = dates(&mut dated.iter().map(|(_, p)| *p));
        let table = small_table(
            engine,
            Arc::new(Schema::new(period_fields())),
            vec![
                text(dated.iter().map(|(c, _)| c.to_string()).collect()),
                text(dated.iter().map(|(_, p)| p.to_string()).collect()),
                starts,
                ends,
            ],
        )?;
        ctx.register_table(name, table).map_err(query_error(name))?;
    }
    let sent: Vec<&(String, String, String)> = parts.iter().filter(|(_, _, p)| bounds(p).is_some()).collect();
    let (starts, ends) = dates(&mut sent.iter().map(|(_, _, p)| p.as_str()));
    let mut fields = vec![Field::new("table_name", DataType::Utf8, false)];
    fields.extend(period_fields());
    let returned = small_table(
        engine,
        Arc::new(Schema::new(fields)),
        vec![
            text(sent.iter().map(|(t, _, _)| t.clone()).collect()),
            text(sent.iter().map(|(_, c, _)| c.clone()).collect()),
            text(sent.iter().map(|(_, _, p)| p.clone()).collect()),
            starts,
            ends,
        ],
    )?;
    ctx.register_table("returned_tables", returned).map_err(query_error("returned_tables"))?;
    register_codes(&ctx, schemas, engine)?;
    register_reference(&ctx, engine)?;
    // The views of `is_materialised` are computed once, not once per metric, and
    // streamed to uncompressed Parquet in a private temporary folder (removed when the session
    // ends), so that memory does not hold every view of a large warehouse at once. The other
    // views only copy or filter those rows and stay views. A view the temporary folder cannot
    // take (none, or full) is kept in memory instead.
    let scratch = match engine {
        Engine::Local => tempfile::Builder::new().prefix(".rni-views-").tempdir_in(scratch).ok(),
        Engine::Ballista { .. } => None,
    };
    if scratch.is_none() && engine.is_local() {
        tracing::warn!("no temporary folder: the metric views are kept in memory");
    }
    for (name, sql) in VIEWS {
        let origin = format!("queries/views/{name}.sql");
        let started = std::time::Instant::now();
        let df = ctx.sql(sql).await.map_err(query_error(&origin))?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let in_memory = match &scratch {
            Some(dir) if is_materialised(name) => {
                let path = dir.path().join(name);
                let written = match per_authority(sql, &parts) {
                    Some((table, codes)) => view_per_authority(&ctx, sql, table, &codes, &path).await,
                    None => view_to_parquet(df.clone(), &path).await,
                };
                let url = format!("{}/", path.display());
                let registered = match written {
                    Ok(()) => ctx.register_parquet(*name, &url, ParquetReadOptions::default().schema(&schema)).await,
                    Err(e) => Err(e),
                };
                match registered {
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
            None if engine.is_local() => true,
            None => {
                ctx.register_table(*name, df.clone().into_view()).map_err(query_error(&origin))?;
                false
            }
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

/// Whether a view is computed once and kept (in the temporary folder): the `*_latest` views join
/// whole tables, and the `*_counts` models are read by several metrics; the rest stay views.
fn is_materialised(name: &str) -> bool {
    name.ends_with("_latest") || name.ends_with("_counts")
}

/// Streams a view to uncompressed Parquet under `path` (appending to what is there).
async fn view_to_parquet(df: datafusion::dataframe::DataFrame, path: &Path) -> datafusion::error::Result<()> {
    let df = with_fitting_joins(df).await?;
    let url = format!("{}/", path.display());
    let mut options = TableParquetOptions::default();
    options.global.compression = Some("uncompressed".into());
    // Small row groups keep the writer's buffers small.
    options.global.max_row_group_size = 64 * 1024;
    df.write_parquet(&url, DataFrameWriteOptions::new(), Some(options)).await?;
    Ok(())
}

/// A hash join whose build side (held whole in memory) is one of rni's small tables, of at most
/// this many rows, is chosen over a sort-merge join even under a memory limit: joined to the
/// quarters, a sort-merge join would buffer every row of one key (`ALL`: every episode) at once.
const SMALL_BUILD_ROWS: usize = 100_000;

/// `df` planned with hash joins when every join's build side is known to be small, and as the
/// session says otherwise (with a memory limit, sort-merge joins, which can spill).
pub async fn with_fitting_joins(
    df: datafusion::dataframe::DataFrame,
) -> datafusion::error::Result<datafusion::dataframe::DataFrame> {
    use datafusion::dataframe::DataFrame;
    use datafusion::execution::SessionStateBuilder;
    let (state, plan) = df.into_parts();
    if state.config().options().optimizer.prefer_hash_join {
        return Ok(DataFrame::new(state, plan));
    }
    let mut config = state.config().clone();
    config.options_mut().optimizer.prefer_hash_join = true;
    // The new state shares the session's catalogue; it must not put a fresh, empty one in its place.
    config.options_mut().catalog.create_default_catalog_and_schema = false;
    let hashed = SessionStateBuilder::new_from_existing(state.clone()).with_config(config).build();
    let physical = hashed.create_physical_plan(&plan).await?;
    Ok(if small_build_sides(&physical) { DataFrame::new(hashed, plan) } else { DataFrame::new(state, plan) })
}

/// Whether every hash join in a plan builds on a side read only from rni's own in-memory
/// tables (quarters, codes, reference figures: never a warehouse table) and estimated at no more
/// than [`SMALL_BUILD_ROWS`] rows. Estimates over Parquet can be far too low after a filter or a
/// join; over those small tables they cannot exceed the tables themselves.
fn small_build_sides(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) -> bool {
    use datafusion::physical_plan::joins::HashJoinExec;
    use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
    if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
        let stats = StatisticsContext::new().compute(join.left().as_ref(), &StatisticsArgs::new());
        let rows = stats.ok().and_then(|s| s.num_rows.get_value().copied());
        if !in_memory_only(join.left()) || rows.is_none_or(|r| r > SMALL_BUILD_ROWS) {
            return false;
        }
    }
    plan.children().iter().all(|c| small_build_sides(c))
}

/// Whether every leaf of a plan reads an in-memory table.
fn in_memory_only(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) -> bool {
    use datafusion::catalog::memory::{DataSourceExec, MemorySourceConfig};
    let children = plan.children();
    if children.is_empty() {
        return plan.downcast_ref::<DataSourceExec>().is_some_and(|d| d.data_source().is::<MemorySourceConfig>());
    }
    children.iter().all(|c| in_memory_only(c))
}

/// The warehouse table a view is computed from one authority at a time, with the authorities
/// that sent it: a view whose grain starts with `authority_code` (no `ALL` rows) and whose only
/// input is one warehouse table is the union of the same view over each authority's rows alone.
/// Computing it so holds one authority's rows at a time, however many authorities there are.
fn per_authority<'a>(sql: &str, parts: &'a BTreeSet<(String, String, String)>) -> Option<(&'a str, Vec<&'a str>)> {
    let header = |key: &str| sql.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
    let grain = header("-- grain:")?;
    if !grain.starts_with("authority_code,") || grain.contains("ALL") {
        return None;
    }
    let inputs: Vec<&str> = header("-- inputs:")?.split(',').map(str::trim).collect();
    let [input] = inputs.as_slice() else { return None };
    let mut codes: Vec<&str> = Vec::new();
    let mut table = None;
    for (t, code, _) in parts.iter().filter(|(t, _, _)| t == input) {
        table = Some(t.as_str());
        if codes.last() != Some(&code.as_str()) {
            codes.push(code);
        }
    }
    Some((table?, codes))
}

/// Writes a view authority by authority: the view's input table is replaced, while each is
/// planned, by that authority's rows (its partitions alone are read), then put back.
async fn view_per_authority(
    ctx: &SessionContext,
    sql: &str,
    table: &str,
    codes: &[&str],
    path: &Path,
) -> datafusion::error::Result<()> {
    use datafusion::prelude::{col, lit};
    let whole = ctx.table_provider(table).await?;
    for code in codes {
        let rows = ctx.table(table).await?.filter(col("authority_code").eq(lit(*code)))?.into_view();
        ctx.deregister_table(table)?;
        ctx.register_table(table, rows)?;
        let planned = ctx.sql(sql).await;
        ctx.deregister_table(table)?;
        ctx.register_table(table, whole.clone())?;
        view_to_parquet(planned?, path).await?;
    }
    Ok(())
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

fn register_codes(ctx: &SessionContext, schemas: &Schemas, engine: &Engine) -> Result<()> {
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
    let table = small_table(engine, schema, vec![text(tables), text(columns), text(codes)])?;
    ctx.register_table("codes", table).map_err(query_error("codes"))?;
    Ok(())
}

fn split(p: &Published) -> (Option<i64>, Option<String>) {
    match p {
        Published::Count(n) => (Some(*n), None),
        Published::Symbol(s) => (None, Some(s.clone())),
    }
}

fn register_reference(ctx: &SessionContext, engine: &Engine) -> Result<()> {
    let factors = reference::factor_counts()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("authority_code", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("factor", DataType::Utf8, false),
        Field::new("factor_count", DataType::Int64, true),
        Field::new("symbol", DataType::Utf8, true),
    ]));
    let (counts, symbols): (Vec<_>, Vec<_>) = factors.iter().map(|f| split(&f.value)).unzip();
    let table = small_table(
        engine,
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
    let table = small_table(
        engine,
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
    let table = small_table(
        engine,
        schema,
        vec![
            text(neighbours.iter().map(|n| n.0.clone()).collect()),
            text(neighbours.iter().map(|n| n.1.clone()).collect()),
            Arc::new(Int32Array::from(neighbours.iter().map(|n| n.2).collect::<Vec<_>>())),
        ],
    )?;
    ctx.register_table("statistical_neighbours", table).map_err(query_error("statistical_neighbours"))?;

    let codes = reference::cin_efh_factor_codes()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("code", DataType::Utf8, false),
        Field::new("factor", DataType::Utf8, false),
    ]));
    let table = small_table(
        engine,
        schema,
        vec![
            text(codes.iter().map(|c| c.code.clone()).collect()),
            text(codes.iter().map(|c| c.factor.clone()).collect()),
        ],
    )?;
    ctx.register_table("cin_efh_factors", table).map_err(query_error("cin_efh_factors"))?;
    Ok(())
}

/// The rows a table's Parquet files hold, from their footers.
#[cfg(feature = "distributed")]
fn footer_rows(dir: &Path) -> Result<u64> {
    let mut rows = 0u64;
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).map_err(Error::io("cannot read", &folder))?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                let file = std::fs::File::open(&path).map_err(Error::io("cannot read", &path))?;
                let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
                    .map_err(|source| Error::Parquet { action: "cannot read", path: path.clone(), source })?;
                use parquet::file::reader::FileReader;
                rows += reader.metadata().file_metadata().num_rows().max(0) as u64;
            }
        }
    }
    Ok(rows)
}
