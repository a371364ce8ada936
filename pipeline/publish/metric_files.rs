//! The published metric files: `metrics/metric_values.parquet` and `.csv`.
//!
//! The same tidy rows in both formats (and, unsuppressed, in
//! `restricted/metric_values_exact.csv`); the Parquet goes through the one
//! writer of every output ([`crate::publish::parquet`]).

use std::path::Path;

use crate::engine::metrics::{MetricRow, to_batch};
use crate::error::{Error, Result};
use crate::publish::parquet::write_derived_sorted;

/// The columns of `metric_values.csv`, in order.
pub const COLUMNS: [&str; 9] = [
    "metric",
    "authority_code",
    "authority_name",
    "period",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "status",
];

/// Writes rows as Parquet in the `metric_values` schema; the rows come sorted by metric,
/// area, period and breakdown, and the file says so.
pub fn write_parquet(path: &Path, rows: &[MetricRow]) -> Result<()> {
    write_derived_sorted(path, &to_batch(rows)?, &["metric", "authority_code", "period", "breakdown"])
}

/// Writes rows as CSV with the `metric_values` columns.
pub fn write_csv(path: &Path, rows: &[MetricRow]) -> Result<()> {
    let io = |source: csv::Error| Error::Csv { path: path.to_path_buf(), source };
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(COLUMNS).map_err(io)?;
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
