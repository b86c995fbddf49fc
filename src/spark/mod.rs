//! The Spark engine (`input.engine: spark`): reading, typing, the cleaning rules and the
//! per-customer aggregation of invoice lines run on a Spark cluster through Spark Connect;
//! the customer table comes back as Arrow and the rest of the pipeline runs here as usual.
//!
//! [`sql`] builds the queries (always compiled, unit-tested); the client that runs them is
//! behind the cargo feature `spark` (its build needs protoc). Without it, asking for the
//! Spark engine is a clear error.

pub mod score;
pub mod sql;

#[cfg(feature = "spark")]
mod engine;
#[cfg(feature = "spark")]
mod saved;

use polars::prelude::Schema;

use crate::config::Plan;
use crate::error::Result;
use crate::stages::Stage;

pub use crate::engines::{Dataset, Event, LineWork};

/// The input's columns as Spark reads them (after renames), for the plan's checks.
pub fn schema(plan: &Plan) -> Result<Schema> {
    #[cfg(feature = "spark")]
    return engine::schema(plan);
    #[cfg(not(feature = "spark"))]
    Err(absent(plan))
}

/// Runs ingest and clean on Spark (writing their datasets under `out_dir` or the configured
/// location) and aggregates the cleaned lines per customer, unless `until` stops earlier.
/// With `reuse` (the segflow build's identity), an earlier run's saved work is taken when
/// the input's files and the plan are the same, and this run's work is saved.
pub fn line_work(
    plan: &Plan,
    out_dir: &std::path::Path,
    until: Option<Stage>,
    reuse: Option<&str>,
    on: &mut dyn FnMut(Event),
) -> Result<LineWork> {
    #[cfg(feature = "spark")]
    return engine::line_work(plan, out_dir, until, reuse, on);
    #[cfg(not(feature = "spark"))]
    {
        let _ = (out_dir, until, reuse, on);
        Err(absent(plan))
    }
}

/// `segflow assign --engine spark`: scores the customers at `input` on the cluster at
/// `remote` and writes a Parquet dataset at `out` (a folder or a URI Spark writes).
pub fn assign(
    model: &crate::model::ModelFile,
    input: &std::path::Path,
    out: &str,
    remote: &str,
) -> Result<crate::assign::Summary> {
    if model.lines.is_some() {
        return Err(crate::error::Error::Config(
            "--engine spark scores customer tables; invoice lines are scored on this machine: drop --engine spark".into(),
        ));
    }
    let input = crate::assign::input_plan(model, input);
    #[cfg(feature = "spark")]
    return engine::assign(model, &input, out, remote);
    #[cfg(not(feature = "spark"))]
    {
        let _ = (input, out, remote);
        score::check_model(model)?;
        Err(crate::data_err!(
            "this segflow was built without the Spark engine: {BUILD}"
        ))
    }
}

/// How to get a segflow with the Spark engine.
#[cfg(not(feature = "spark"))]
const BUILD: &str = "build it with `cargo build --release --features spark` (the build needs protoc: Debian's protobuf-compiler and libprotobuf-dev)";

#[cfg(not(feature = "spark"))]
fn absent(plan: &Plan) -> crate::error::Error {
    plan.source.error_at(
        &["input", "engine"],
        format!("this segflow was built without the Spark engine: {BUILD}"),
    )
}
