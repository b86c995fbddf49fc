//! Engines that do the invoice-line work themselves and write their own datasets (Spark, in
//! [`crate::spark`], and polars' streaming engine on this machine, in [`streaming`]): what
//! they tell the runner — the stages they ran, their datasets and counts, and the
//! per-customer aggregation the features stage starts from.

pub mod streaming;

use crate::stages::Stage;
use crate::transactions::aggregated::Aggregated;

/// A stage the engine ran: its dataset and its row counts.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub stage: Stage,
    /// Where it was written: a file name in the run folder, or Spark's dataset URI.
    pub uri: String,
    /// The file's sha256; empty for a dataset of many files (Spark's).
    pub sha256: String,
    /// Other datasets the stage wrote (the clean stage's dropped lines), with their sha256.
    pub also: Vec<(String, String)>,
    pub rows_in: usize,
    pub rows_out: usize,
    pub note: String,
    /// Restored from an earlier run's saved work rather than run again.
    pub cached: bool,
}

/// What the runner hears while the engine works.
pub enum Event {
    Started(Stage),
    Finished(Dataset),
}

/// What the line work hands the rest of the pipeline.
pub struct LineWork {
    /// Missing values per input column.
    pub missing: Vec<(String, usize)>,
    /// Dropped lines per reason, in rule order (reasons with none included).
    pub dropped: Vec<(String, usize)>,
    /// `None` when `until` stopped the work before the aggregation.
    pub aggregated: Option<Aggregated>,
}
