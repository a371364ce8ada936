//! The safe side's query engine: metrics and disclosure control.
//!
//! Sees only pseudonymised data: it reads the Parquet tables of a warehouse
//! or package and never imports [`crate::ingest`] or [`crate::privacy`] (a
//! test checks the source). [`session`] registers the tables, rni's own
//! small tables and the views of `queries/views/` in DataFusion; [`metrics`]
//! runs every metric query into tidy rows, with [`coverage`] marking what an
//! authority did not send; [`disclosure`] suppresses and rounds them under
//! the policy, [`linked`] adds secondary suppression over every linked
//! figure, and [`attack`] audits the result as an attacker would. With the
//! `distributed` feature, `cluster` runs the same session on Apache DataFusion
//! Ballista and `store` reads a warehouse in place on object storage.

pub mod attack;
#[cfg(feature = "distributed")]
pub mod cluster;
pub mod coverage;
pub mod disclosure;
pub mod linked;
pub mod metrics;
pub mod rows;
pub mod session;
#[cfg(feature = "distributed")]
pub mod store;
