//! Writing safe batches to hive-partitioned, zstd-compressed Parquet.
//!
//! One file per table, authority and period:
//! `tables/<table>/authority_code=<code>/period=<period>/part-0.parquet`.
//! The file is written beside its final name and renamed into place only when
//! complete, so a failed or interrupted table never leaves half a file; a
//! writer dropped without [`PartitionWriter::finish`] deletes its temporary
//! file. Output is deterministic: the same batches give the same bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::pseudonymise::SafeBatch;

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

/// Writes one partition file.
pub struct PartitionWriter {
    temp: PathBuf,
    dest: PathBuf,
    writer: Option<ArrowWriter<File>>,
    /// Rows written so far.
    pub rows: usize,
}

impl PartitionWriter {
    /// Starts the file for `table`'s partition under `root`.
    pub fn create(root: &Path, table: &str, authority_code: &str, period: Period, schema: SchemaRef) -> Result<Self> {
        let dest = root.join(partition_file(table, authority_code, period));
        let dir = dest.parent().unwrap_or(root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let temp = dir.join(".part-0.parquet.tmp");
        let file = File::create(&temp).map_err(Error::io("cannot write", &temp))?;
        let level = ZstdLevel::try_new(3).map_err(|e| parquet_error(&temp, &e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("rni {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| parquet_error(&temp, &e))?;
        Ok(PartitionWriter { temp, dest, writer: Some(writer), rows: 0 })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &SafeBatch) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::Parquet { path: self.temp.clone(), message: "writer already closed".into() })?;
        writer.write(batch.batch()).map_err(|e| parquet_error(&self.temp, &e))?;
        self.rows += batch.batch().num_rows();
        Ok(())
    }

    /// Closes the file and moves it into place; returns its final path.
    pub fn finish(mut self) -> Result<PathBuf> {
        if let Some(writer) = self.writer.take() {
            let file = writer.into_inner().map_err(|e| parquet_error(&self.temp, &e))?;
            file.sync_all().map_err(Error::io("cannot write", &self.temp))?;
        }
        std::fs::rename(&self.temp, &self.dest).map_err(Error::io("cannot move into place", &self.dest))?;
        Ok(self.dest.clone())
    }
}

impl Drop for PartitionWriter {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Parquet { path: path.to_path_buf(), message: e.to_string() }
}
