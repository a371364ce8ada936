//! `rni query`: run SQL, a file from `queries/` or a metric by its id, against a warehouse;
//! the published figures are the table `metric_values`.

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::error::ArrowError;

use crate::cli::{QueryArgs, QueryFormat};
use crate::config::queries::QUERIES;
use crate::config::schema::Schemas;
use crate::engine::{metrics, session};
use crate::error::{Error, ExitStatus, Result};
use crate::publish::case_study::tables::csv_safe;

/// Runs the query and prints its result as a table, CSV or JSON lines.
pub fn run(args: &QueryArgs) -> Result<ExitStatus> {
    let metric = QUERIES.iter().find(|(id, _)| *id == args.sql.trim());
    let (sql, origin) = if let Some((id, sql)) = metric {
        (sql.to_string(), format!("queries/{id}.sql"))
    } else if args.sql.trim_end().ends_with(".sql") && Path::new(args.sql.trim()).is_file() {
        let path = Path::new(args.sql.trim());
        (std::fs::read_to_string(path).map_err(Error::io("cannot read", path))?, path.display().to_string())
    } else {
        (args.sql.clone(), "from the command line".to_string())
    };
    // A warehouse on object storage is read in place: its current build, found by its pointer.
    #[cfg(feature = "distributed")]
    let current = if crate::publish::remote::is_remote(&args.warehouse) {
        let remote = crate::publish::remote::Remote::parse(&args.warehouse)?;
        let build = crate::publish::remote::blocking(remote.current_build())?;
        Some(build.ok_or_else(|| Error::Usage(format!("no warehouse is published at {}", remote.url())))?)
    } else {
        None
    };
    #[cfg(feature = "distributed")]
    let location = match &current {
        Some(crate::publish::remote::CurrentBuild::Store(store)) => session::Warehouse::Store(store),
        Some(crate::publish::remote::CurrentBuild::Folder(folder)) => session::Warehouse::Folder(folder),
        None => session::Warehouse::Folder(&args.warehouse),
    };
    #[cfg(not(feature = "distributed"))]
    let location = session::Warehouse::Folder(&args.warehouse);
    if let session::Warehouse::Folder(folder) = location
        && !folder.join("tables").is_dir()
        && !folder.join("MANIFEST.json").is_file()
    {
        return Err(Error::Usage(format!(
            "{} is not a warehouse or package (no tables/ or MANIFEST.json)",
            args.warehouse.display()
        )));
    }
    let schemas = Schemas::builtin()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the query engine", &args.warehouse))?;
    let batches = runtime.block_on(async {
        let ctx = session::open_at(location, &schemas, &std::env::temp_dir(), None, &args.engine.engine()).await?;
        // A warehouse's published figures, after disclosure control.
        let published = match location {
            session::Warehouse::Folder(folder) => {
                let path = folder.join("metrics/metric_values.parquet");
                path.is_file().then(|| path.display().to_string())
            }
            #[cfg(feature = "distributed")]
            session::Warehouse::Store(store) => store
                .has("metrics/metric_values.parquet")
                .await
                .then(|| format!("{}/metrics/metric_values.parquet", store.url())),
        };
        if let Some(url) = published {
            ctx.register_parquet("metric_values", &url, datafusion::prelude::ParquetReadOptions::default())
                .await
                .map_err(session::query_error("registering metrics/metric_values.parquet"))?;
        }
        let mut batches = metrics::run_sql(&ctx, &sql, &origin).await?;
        if batches.is_empty() {
            // No rows: the header still says what the query returns.
            let df = ctx.sql(&sql).await.map_err(session::query_error(&origin))?;
            batches.push(arrow::array::RecordBatch::new_empty(std::sync::Arc::new(df.schema().as_arrow().clone())));
        }
        Ok::<_, Error>(batches)
    })?;
    let text = format(&batches, args.format)
        .map_err(|source| Error::Arrow { context: format!("query {origin}: formatting the result"), source })?;
    crate::term::out(&text);
    Ok(ExitStatus::Success)
}

fn format(batches: &[RecordBatch], format: QueryFormat) -> std::result::Result<String, ArrowError> {
    Ok(match format {
        QueryFormat::Table => arrow::util::pretty::pretty_format_batches(batches)?.to_string(),
        QueryFormat::Csv => query_csv(batches)?,
        QueryFormat::Json => {
            let mut buf = Vec::new();
            {
                let mut w = arrow::json::LineDelimitedWriter::new(&mut buf);
                for b in batches {
                    w.write(b)?;
                }
                w.finish()?;
            }
            String::from_utf8_lossy(&buf).trim_end().to_string()
        }
    })
}

/// Query results as CSV. A text cell that a spreadsheet would run as a formula gets a leading `'`.
fn query_csv(batches: &[RecordBatch]) -> std::result::Result<String, ArrowError> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ArrowError::CsvError(e.to_string());
    if let Some(first) = batches.first() {
        w.write_record(first.schema().fields().iter().map(|f| f.name().clone())).map_err(csv_err)?;
    }
    let options = FormatOptions::default().with_null("");
    for batch in batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<_, _>>()?;
        // Numbers are written as numbers (`-3.5`, not `'-3.5`): only text can hold a formula.
        let is_number: Vec<bool> = batch.columns().iter().map(|c| c.data_type().is_numeric()).collect();
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .zip(&is_number)
                .map(|(f, &number)| {
                    let text = f.value(row).to_string();
                    if number { text } else { csv_safe(&text).into_owned() }
                })
                .collect();
            w.write_record(cells).map_err(csv_err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| ArrowError::CsvError(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn numbers_stay_numbers_and_text_that_would_run_as_a_formula_is_neutralised() {
        let batch = RecordBatch::try_from_iter([
            ("value", Arc::new(Float64Array::from(vec![Some(-3.5), None])) as ArrayRef),
            ("change", Arc::new(Int64Array::from(vec![-2, 7])) as ArrayRef),
            ("label", Arc::new(StringArray::from(vec!["=HYPERLINK(\"x\")", "-3.5"])) as ArrayRef),
        ])
        .expect("batch");
        let csv = query_csv(&[batch]).expect("csv");
        assert_eq!(csv, "value,change,label\n-3.5,-2,\"'=HYPERLINK(\"\"x\"\")\"\n,7,'-3.5");
    }
}
