//! Everything that writes a result: packages, warehouses, reports, exports.
//!
//! [`manifest`] holds the manifest types of packages and warehouses (what
//! was read, what was written, with which key); [`package`] runs returns
//! through validation or pseudonymisation into a package (`rni validate`,
//! `rni prepare`, and the prepare step of a build); [`packages`] verifies
//! packages made at source before a build takes them; [`parquet`] is the one
//! Parquet writer of every output; [`build`] is the nightly build as named
//! steps, published (like a prepared package) through [`staging`]; [`report`] renders the comparison page; [`case_study`] makes
//! k-anonymous exports; [`dictionary`] writes `data-dictionary.md`; with the `distributed`
//! feature, `remote` keeps warehouses, returns and packages on object storage.

#[cfg(feature = "engine")]
pub mod build;
#[cfg(feature = "engine")]
pub mod case_study;
pub mod dictionary;
pub mod manifest;
#[cfg(feature = "engine")]
pub mod metric_files;
pub mod package;
#[cfg(feature = "engine")]
pub mod packages;
pub mod parquet;
#[cfg(feature = "distributed")]
pub mod remote;
#[cfg(feature = "engine")]
pub mod report;
pub mod staging;
