//! segflow: customer segmentation as a declarative, reproducible pipeline.
//!
//! `pipeline.yaml` → [`config::load`] → [`config::Plan`] → [`runner::run`], which runs the
//! stages in [`stages`] and writes one Parquet artifact per stage.

pub mod artifacts;
pub mod assign;
pub mod bench;
pub mod cluster;
pub mod config;
pub mod error;
pub mod frame;
pub mod generate;
pub mod inspect;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod report;
pub mod runner;
pub mod stages;
pub mod testing;

pub use error::{Error, Result};
