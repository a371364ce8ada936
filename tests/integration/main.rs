//! End-to-end tests: run the `rni` binary in temporary folders.

mod util;

mod build;
mod case_study;
mod cli;
mod corpus;
mod disclosure;
#[cfg(feature = "distributed")]
mod distributed;
mod hostile;
mod layout;
mod metrics;
#[cfg(feature = "distributed")]
mod object_store;
mod packages;
mod prepare;
mod profile;
mod report;
mod scrubbing;
mod statutory;
mod synth;
