//! Configuration: what the pipeline knows before it reads a return.
//!
//! The schemas of the CS return and the statutory returns ([`schema`],
//! compiled in two steps from `schemas/**/*.toml`; [`source`] says which
//! return a table belongs to), periods and ages ([`period`]), the published
//! reference statistics shipped with the project ([`reference`]), the
//! disclosure policy ([`policy`]) and the SQL of `queries/` with its metric
//! catalogue ([`queries`]). Every other stage reads these; none of them
//! reads a return.

pub mod codes;
pub mod period;
pub mod policy;
pub mod queries;
pub mod reference;
pub mod schema;
pub mod source;
