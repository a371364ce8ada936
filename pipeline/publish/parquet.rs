//! Writing safe batches to hive-partitioned, zstd-compressed Parquet.
//!
//! Every Parquet output goes through [`ParquetWriter`]: the tables, the
//! metric values and case-study exports. One file per table, authority and period:
//! `tables/<table>/authority_code=<code>/period=<period>/part-0.parquet`.
//! The file is written beside its final name and renamed into place only when
//! complete, so a failed or interrupted table never leaves half a file; a
//! writer dropped without [`PartitionWriter::finish`] deletes its temporary
//! file. Output is deterministic: the same batches give the same bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::WriterProperties;

use crate::config::period::Period;
use crate::error::{Error, Result};
use crate::privacy::pseudonymise::SafeBatch;

/// Rows per Parquet row group: bounds the writer's memory.
const ROW_GROUP_ROWS: usize = 65_536;

/// Relative path of a table partition's file inside a package or warehouse.
pub fn partition_file(table: &str, authority_code: &str, period: Period) -> PathBuf {
    PathBuf::from("tables")
        .join(table)
        .join(format!("authority_code={authority_code}"))
        .join(format!("period={period}"))
        .join("part-0.parquet")
}

/// Writes one Parquet file: zstd, bounded row groups, beside its final name until complete.
pub struct ParquetWriter {
    temp: PathBuf,
    dest: PathBuf,
    writer: Option<ArrowWriter<File>>,
    /// Rows written so far.
    pub rows: usize,
}

impl ParquetWriter {
    /// Starts the file that will be `dest` once finished.
    fn create(dest: PathBuf, schema: SchemaRef, sorted_by: &[&str]) -> Result<Self> {
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        }
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&temp).map_err(Error::io("cannot write", &temp))?;
        let level = ZstdLevel::try_new(3).map_err(parquet_error(&temp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("rni {}", env!("CARGO_PKG_VERSION")))
            .set_sorting_columns(sorting_columns(&schema, sorted_by))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(parquet_error(&temp))?;
        Ok(ParquetWriter { temp, dest, writer: Some(writer), rows: 0 })
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::Parquet {
                action: "cannot write",
                path: self.temp.clone(),
                source: ParquetError::General("the writer is already closed".into()),
            });
        };
        writer.write(batch).map_err(parquet_error(&self.temp))?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Closes the file and moves it into place; returns its final path.
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(writer) = self.writer.take() {
            let file = writer.into_inner().map_err(parquet_error(&self.temp))?;
            file.sync_all().map_err(Error::io("cannot write", &self.temp))?;
        }
        std::fs::rename(&self.temp, &self.dest).map_err(Error::io("cannot move into place", &self.dest))?;
        Ok(self.dest.clone())
    }
}

impl Drop for ParquetWriter {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes one partition file of a pseudonymised table: it takes only [`SafeBatch`]es.
pub struct PartitionWriter(ParquetWriter);

impl PartitionWriter {
    /// Starts the file for `table`'s partition under `root`.
    pub fn create(root: &Path, table: &str, authority_code: &str, period: Period, schema: SchemaRef) -> Result<Self> {
        ParquetWriter::create(root.join(partition_file(table, authority_code, period)), schema, &[])
            .map(PartitionWriter)
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &SafeBatch) -> Result<()> {
        self.0.write_batch(batch.batch())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.0.rows
    }

    /// Closes the file and moves it into place; returns its final path.
    pub fn finish(self) -> Result<PathBuf> {
        self.0.finish()
    }
}

/// Writes a whole file from one batch derived from pseudonymised data (metric values, a
/// case-study table): the safe side's outputs, with the same settings as the tables.
pub fn write_derived(path: &Path, batch: &RecordBatch) -> Result<()> {
    write_derived_sorted(path, batch, &[])
}

/// As [`write_derived`], for a batch whose rows are in the order of `sorted_by` (ascending):
/// the file declares it, so readers can rely on it. The order is checked, never assumed.
pub fn write_derived_sorted(path: &Path, batch: &RecordBatch, sorted_by: &[&str]) -> Result<()> {
    let is_sorted = sorted_by.is_empty() || rows_are_sorted(batch, sorted_by);
    let declared = if is_sorted { sorted_by } else { &[] };
    let mut writer = ParquetWriter::create(path.to_path_buf(), batch.schema(), declared)?;
    writer.write_batch(batch)?;
    writer.finish().map(drop)
}

/// Whether the rows are in ascending order of the columns named.
fn rows_are_sorted(batch: &RecordBatch, columns: &[&str]) -> bool {
    use arrow::row::{RowConverter, SortField};
    let arrays: Option<Vec<_>> = columns.iter().map(|c| batch.column_by_name(c).cloned()).collect();
    let Some(arrays) = arrays else { return false };
    let Ok(converter) = RowConverter::new(arrays.iter().map(|a| SortField::new(a.data_type().clone())).collect())
    else {
        return false;
    };
    let Ok(rows) = converter.convert_columns(&arrays) else { return false };
    (1..rows.num_rows()).all(|i| rows.row(i - 1) <= rows.row(i))
}

/// The Parquet sorting columns for the named columns of `schema` (ascending, nulls first).
fn sorting_columns(schema: &SchemaRef, names: &[&str]) -> Option<Vec<SortingColumn>> {
    let columns: Vec<SortingColumn> = names
        .iter()
        .filter_map(|n| schema.index_of(n).ok())
        .map(|i| SortingColumn { column_idx: i as i32, descending: false, nulls_first: true })
        .collect();
    (!columns.is_empty()).then_some(columns)
}

fn parquet_error(path: &Path) -> impl Fn(ParquetError) -> Error + '_ {
    move |source| Error::Parquet { action: "cannot write", path: path.to_path_buf(), source }
}
