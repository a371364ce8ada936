//! One error type for the whole pipeline, by cause.
//!
//! Errors are what stops a command: a bad key, an unreadable schema, a file
//! that is not a return. A bad *row* is not an error; it is data for the
//! rejected-row report. No variant carries a raw value from a return: messages
//! name files, tables, columns and rules, never cell contents.

use std::path::PathBuf;

/// Result with the pipeline's error type as default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },

    /// A schema file is malformed or inconsistent.
    #[error("schema {file}: {message}")]
    Schema {
        /// The schema file (or built-in schema name).
        file: String,
        /// What is wrong, naming the key.
        message: String,
    },

    /// The project key is missing or unusable. The message never holds key material.
    #[error("key: {0}")]
    Key(String),

    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),

    /// The reference data shipped with the project is unreadable.
    #[error("reference data {file}: {message}")]
    Reference {
        /// The reference file.
        file: String,
        /// What is wrong.
        message: String,
    },

    /// A return file cannot be read at all (not a CSV, no header, corrupt workbook).
    #[error("{path}: {message}")]
    Input {
        /// The return file.
        path: PathBuf,
        /// What a data manager should know, without any cell values.
        message: String,
    },

    /// Writing an Excel workbook failed.
    #[error("cannot write workbook {path}: {source}")]
    Xlsx {
        /// The workbook being written.
        path: PathBuf,
        /// The writer's reason.
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },

    /// Pseudonymising a table failed; its output is dropped (fail closed).
    #[error("table {table}: pseudonymisation failed at column {column}; the table's output was dropped")]
    Pseudonymise {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },

    /// Writing or reading a Parquet file failed.
    #[error("{action} {path}: {source}")]
    Parquet {
        /// What was being done ("cannot write", "cannot read").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The Parquet library's reason.
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building or converting Arrow data failed.
    #[error("{context}: {source}")]
    Arrow {
        /// What was being built (a file, a table, a result).
        context: String,
        /// Arrow's reason.
        #[source]
        source: arrow::error::ArrowError,
    },

    /// Writing or reading JSON failed.
    #[error("{action} {path}: {source}")]
    Json {
        /// What was being done ("cannot write", "is not a warehouse manifest").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// serde_json's reason (it names the line and column; never a value from a return).
        #[source]
        source: serde_json::Error,
    },

    /// Writing a CSV file failed.
    #[error("cannot write {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV writer's reason.
        #[source]
        source: csv::Error,
    },

    /// A query file's header, or its entry in the metric catalogue, is wrong.
    #[error("query {origin}: {source}")]
    QueryHeader {
        /// The query file or the catalogue.
        origin: String,
        /// What is wrong.
        #[source]
        source: HeaderError,
    },

    /// A query failed: names the query (file or command line) and DataFusion's reason.
    #[cfg(feature = "engine")]
    #[error("query {origin}: {source}")]
    Query {
        /// The query file, or `command line`.
        origin: String,
        /// DataFusion's error (it names the line and column of a syntax error).
        #[source]
        source: datafusion::error::DataFusionError,
    },

    /// A package given to a build cannot be used as it is (another key, altered bytes, files no
    /// package holds, a return given twice): the build publishes nothing.
    #[error("package {path}: {reason}; nothing was published")]
    Package {
        /// The package folder.
        path: PathBuf,
        /// What is wrong with it, naming files, never a value.
        reason: String,
    },

    /// Another build holds the warehouse's lock.
    #[error("{0}")]
    Locked(String),

    /// The build found problems and published nothing.
    #[error("{0}")]
    Failed(String),

    /// A committed generated file is out of date.
    #[error("{0}")]
    Stale(String),
}

impl Error {
    /// Wraps an I/O error with the action and the path it concerned.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    /// Who must act on this error: [`ExitStatus::Problems`] when the command ran and found
    /// something in its inputs the user must act on (a stale file, a build that published
    /// nothing, a lock held by another build, a query that failed on the data);
    /// [`ExitStatus::Error`] when it could not run (usage, configuration, key, a failed write).
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Stale(_) | Error::Locked(_) | Error::Failed(_) => ExitStatus::Problems,
            #[cfg(feature = "engine")]
            Error::Query { .. } => ExitStatus::Problems,
            _ => ExitStatus::Error,
        }
    }
}

/// What is wrong with a query file's header or its catalogue entry.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// The header has no `-- kind:` line.
    #[error("the header has no `-- kind:` line")]
    NoKind,
    /// The `-- kind:` line names no known kind.
    #[error("unknown kind `{0}` (count, percentage, value, level or reference)")]
    UnknownKind(String),
    /// The header does not open with `-- <id>:`.
    #[error("the header does not open with `-- <metric id>:`")]
    NotNamed,
    /// The catalogue lists a metric with no SQL file.
    #[error("listed in queries/metrics.toml but there is no such query file")]
    NoQuery,
    /// A query file is not in the catalogue.
    #[error("not listed in queries/metrics.toml")]
    NotListed,
    /// The catalogue file is not valid.
    #[error("queries/metrics.toml is not a valid catalogue")]
    Catalogue(#[source] toml::de::Error),
    /// A catalogue link names no count metric.
    #[error("`{metric}` is linked to `{target}`, which is not a count metric of the catalogue")]
    BadLink {
        /// The metric with the link.
        metric: String,
        /// What it names.
        target: String,
    },
}

/// How a command ended, as the process exit code says it (ripgrep's and ruff's convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: it ran and found nothing to act on.
    Success,
    /// 1: it ran and found problems the user must act on (rejected rows, leaks, a stale file).
    Problems,
    /// 2: it could not run (usage, configuration, key, a failed write).
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Problems => 1,
            ExitStatus::Error => 2,
        }
    }

    /// [`ExitStatus::Problems`] when `has_problems`, else [`ExitStatus::Success`].
    pub fn problems_if(has_problems: bool) -> ExitStatus {
        if has_problems { ExitStatus::Problems } else { ExitStatus::Success }
    }
}
