//! # rni — the Reach and Impact pipeline
//!
//! rni turns local authorities' returns about children at risk of
//! extra-familial harm into pseudonymised research data and cross-authority
//! metrics for the evaluation of the Contextual Safeguarding programme.
//!
//! Each stage has its own folder, and data flows one way through them:
//!
//! 1. [`config`] — what is known before a return is read: the schemas (the
//!    single source of truth for columns, aliases, codes and treatments),
//!    quarters, the published reference statistics, the disclosure policy,
//!    and the SQL of `queries/` with its metric catalogue.
//! 2. [`ingest`] — **the raw side**: finding returns, reading CSV (UTF-8,
//!    UTF-8 with BOM, Windows-1252) and workbooks in batches, validating each
//!    row; a bad row goes to a rejected-row report with file, row, column and
//!    rule, never its values.
//! 3. [`privacy`] — **the boundary**: the project key and keyed pseudonyms,
//!    the names pass, the scrubber of free text, and pseudonymisation into a
//!    `SafeBatch`, the only way from the raw side to the safe side. Raw values
//!    exist only in `ingest` and `privacy`.
//! 4. [`engine`] — **the safe side**: DataFusion sessions over the
//!    pseudonymised tables, every metric, disclosure control. It never imports
//!    `ingest` or `privacy`.
//! 5. [`publish`] — everything that writes: manifests, the package runner
//!    (`rni validate`, `rni prepare`), the one Parquet writer, the nightly
//!    build as named steps and its atomic publish, the report, case-study
//!    exports and the data dictionary.
//! 6. [`audit`] — the independent leak audit: it reads the returns again and
//!    scans every output, with its own folding and tokenising (it shares no
//!    code with the scrubber it checks).
//!
//! Beside the stages: [`commands`] (one file per subcommand, dispatch and
//! exit statuses), [`cli`] (the arguments), [`synth`] (realistic synthetic
//! returns for tests and the demo), [`error`] (one error type by cause) and
//! [`term`] (the only module that writes to the terminal).

pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
#[cfg(feature = "engine")]
pub mod engine;
pub mod error;
pub mod ingest;
pub mod privacy;
pub mod publish;
pub mod synth;
pub mod term;

pub use error::{Error, ExitStatus, Result};
