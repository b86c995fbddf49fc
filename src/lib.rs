//! segflow: customer segmentation as a declarative, reproducible pipeline.
//!
//! `pipeline.yaml` → [`config::load`] → [`config::Plan`] → [`runner::run`], which runs the
//! stages in [`stages`] and writes one Parquet artifact per stage. Modules import only from
//! the groups listed above them (`scripts/import-cycles` checks that no two import each other).

// Leaves: no imports from the modules below them.
pub mod artifacts;
mod crash;
pub mod dates;
pub mod error;
pub mod frame;
pub mod matrix;
pub mod numbers;
// Numeric kernels.
pub mod cluster;
pub mod metrics;
pub mod predict;
// The validated pipeline file.
pub mod config;
// What the stages compute, and the fitted transforms they share with `assign`.
pub mod stages;
pub mod transactions;
pub mod transform;
// Engines that do the invoice-line work and write their own datasets.
pub mod database;
pub mod engines;
pub mod spark;
// What a run leaves behind.
pub mod identity;
pub mod manifest;
pub mod model;
pub mod report;
// Running and using runs.
pub mod assign;
pub mod bench;
pub mod compare;
pub mod generate;
pub mod init;
pub mod inspect;
pub mod runner;
// Machine-readable output of the commands above.
pub mod json;

pub use error::{Error, Result};
