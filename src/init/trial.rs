//! Whether a density model finds segments: the proposal run through evaluate on the rows
//! init read (a temporary Parquet copy, the one density model alone), so that DBSCAN with
//! `eps: auto`, or HDBSCAN in its place, is proposed only where it finds two clusters or
//! more with under half the customers as noise.

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use crate::config::{ChooseFrom, ClusterPlan, Engine, Format, Plan};
use crate::error::{Error, Result};
use crate::runner::{run, RunOptions};
use crate::stages::Stage;

/// Rows of a customer table the trial runs on (DBSCAN compares every pair of rows).
const CUSTOMER_ROWS: usize = 5_000;

/// The density model tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    Dbscan,
    Hdbscan,
}

/// What the density model found on the rows read.
pub struct Found {
    pub clusters: usize,
    pub noise_share: f64,
    /// Customers clustered.
    pub customers: usize,
}

impl Found {
    /// Two clusters or more, and under half the customers noise.
    pub fn usable(&self) -> bool {
        self.clusters >= 2 && self.noise_share < 0.5
    }

    pub fn describe(&self) -> String {
        format!(
            "{} cluster{} with {:.0}% noise on {} customers of the rows read",
            self.clusters,
            if self.clusters == 1 { "" } else { "s" },
            self.noise_share * 100.0,
            crate::frame::thousands(self.customers)
        )
    }
}

/// The density model `which` as `plan` sets it, on `rows` (the first rows of the input,
/// read as `plan` reads them); `None` when the plan does not configure it.
pub fn density(
    plan: &Plan,
    rows: &DataFrame,
    customers_table: bool,
    which: Density,
) -> Result<Option<Found>> {
    let (configured, name) = match which {
        Density::Dbscan => (plan.cluster.dbscan.is_some(), "dbscan"),
        Density::Hdbscan => (plan.cluster.hdbscan.is_some(), "hdbscan"),
    };
    if !configured {
        return Ok(None);
    }
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut head = if customers_table {
        rows.head(Some(CUSTOMER_ROWS))
    } else {
        rows.clone()
    };
    let copy = dir.path().join("rows.parquet");
    crate::artifacts::write_parquet(&copy, &mut head)?;
    let mut trial = plan.clone();
    trial.name = "trial".to_string();
    trial.input.path = copy;
    trial.input.format = Format::Parquet;
    trial.input.decimal = None;
    trial.input.names = None;
    trial.input.engine = Engine::Local;
    // The density model alone; only its clusters and noise are read: no stability.
    trial.cluster = ClusterPlan {
        kmeans: None,
        dbscan: None,
        agglomerative: None,
        hdbscan: None,
        gmm: None,
        reference: None,
    };
    trial.evaluate.stability = None;
    match which {
        Density::Dbscan => {
            trial.cluster.dbscan = plan.cluster.dbscan.clone();
            trial.evaluate.choose_from = ChooseFrom::Dbscan;
        }
        Density::Hdbscan => {
            trial.cluster.hdbscan = plan.cluster.hdbscan.clone();
            trial.evaluate.choose_from = ChooseFrom::Hdbscan;
        }
    }
    let opts = RunOptions {
        out_root: dir.path().join("outputs"),
        progress: false,
        force: true,
        from: None,
        until: Some(Stage::Evaluate),
        no_wait: true,
    };
    let summary = run(&trial, &opts)?;
    let customers = summary
        .manifest
        .stages
        .iter()
        .find(|s| s.stage == Stage::Cluster.name())
        .map_or(0, |s| s.rows_out);
    // `--until` leaves the scores in the evaluation artifact.
    let evaluation = summary.out_dir.join(Stage::Evaluate.artifact());
    let file = std::fs::File::open(&evaluation).map_err(|e| Error::io(&evaluation, e))?;
    let scores = ParquetReader::new(file).finish()?;
    let models = scores.column("model")?.str()?.clone();
    let Some(at) = models.iter().position(|m| m == Some(name)) else {
        return Ok(None);
    };
    let clusters = scores.column("clusters")?.cast(&DataType::UInt64)?;
    let noise = scores.column("noise_share")?.cast(&DataType::Float64)?;
    Ok(Some(Found {
        clusters: clusters.u64()?.get(at).unwrap_or(0) as usize,
        noise_share: noise.f64()?.get(at).unwrap_or(1.0),
        customers,
    }))
}
