//! End-to-end tests: run the `rni` binary in temporary folders.

mod util;

mod cli;
mod metrics;
mod prepare;
mod synth;
