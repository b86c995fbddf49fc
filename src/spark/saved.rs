//! The Spark engine's line work, kept for the next run: when the input's files (as Spark
//! lists them: path, length, modification time), the input and cleaning sections and the
//! segflow build are the same and Spark's datasets are still complete, a run takes the
//! counts and the per-customer tables from `.state/` instead of running them again.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Dataset, LineWork};
use crate::artifacts::{sha256_file, write_bytes, write_parquet};
use crate::error::{Error, Result};
use crate::stages::Stage;
use crate::transactions::rfm::Aggregated;

const ENTRY: &str = "spark_line_work.json";
const CUSTOMERS: &str = "spark_customers.parquet";
const BY_CATEGORY: &str = "spark_by_category.parquet";

/// A dataset Spark wrote, as the manifest records it.
#[derive(Serialize, Deserialize)]
struct Written {
    uri: String,
    also: Vec<(String, String)>,
    rows_in: usize,
    rows_out: usize,
    note: String,
}

/// `.state/spark_line_work.json`.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// Ingest's dataset, then clean's.
    datasets: [Written; 2],
    missing: Vec<(String, usize)>,
    dropped: Vec<(String, usize)>,
    /// sha256 of the saved customer table, and of the spend per category.
    customers: String,
    by_category: Option<String>,
}

/// What a finished line work leaves for the next run.
pub struct Done<'a> {
    pub ingest: &'a Dataset,
    pub clean: &'a Dataset,
    pub work: &'a LineWork,
}

fn written(d: &Dataset) -> Written {
    Written {
        uri: d.uri.clone(),
        also: d.also.clone(),
        rows_in: d.rows_in,
        rows_out: d.rows_out,
        note: d.note.clone(),
    }
}

fn dataset(stage: Stage, w: Written) -> Dataset {
    Dataset {
        stage,
        uri: w.uri,
        sha256: String::new(),
        also: w.also,
        rows_in: w.rows_in,
        rows_out: w.rows_out,
        note: w.note,
        cached: true,
    }
}

/// Saves a finished line work under `state` with its key.
pub fn save(state: &Path, key: &str, done: Done) -> Result<()> {
    let Some(agg) = &done.work.aggregated else {
        return Ok(());
    };
    let customers = write_parquet(&state.join(CUSTOMERS), &mut agg.customers.clone())?;
    let by_category = match &agg.by_category {
        Some(by) => Some(write_parquet(&state.join(BY_CATEGORY), &mut by.clone())?),
        None => None,
    };
    let entry = Entry {
        key: key.to_string(),
        datasets: [written(done.ingest), written(done.clean)],
        missing: done.work.missing.clone(),
        dropped: done.work.dropped.clone(),
        customers,
        by_category,
    };
    let json = serde_json::to_vec(&entry).map_err(|e| Error::Internal(e.to_string()))?;
    write_bytes(&state.join(ENTRY), &json)?;
    Ok(())
}

/// The saved line work with this key, its tables as they were saved, and the datasets its
/// runs wrote, when `complete` says each of them still is.
pub fn restore(
    state: &Path,
    key: &str,
    complete: &dyn Fn(&str) -> bool,
) -> Option<([Dataset; 2], LineWork)> {
    let bytes = std::fs::read(state.join(ENTRY)).ok()?;
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.key != key {
        return None;
    }
    let read = |file: &str, sha: &str| -> Option<DataFrame> {
        let path: PathBuf = state.join(file);
        if sha256_file(&path).ok()? != sha {
            return None;
        }
        ParquetReader::new(std::fs::File::open(&path).ok()?)
            .finish()
            .ok()
    };
    let customers = read(CUSTOMERS, &entry.customers)?;
    let by_category = match &entry.by_category {
        Some(sha) => Some(read(BY_CATEGORY, sha)?),
        None => None,
    };
    let [ingest, clean] = entry.datasets;
    let uris = [&ingest.uri, &clean.uri];
    let others = clean.also.iter().map(|(u, _)| u);
    if !uris.into_iter().chain(others).all(|u| complete(u)) {
        return None;
    }
    let work = LineWork {
        missing: entry.missing,
        dropped: entry.dropped,
        aggregated: Some(Aggregated {
            customers,
            by_category,
        }),
    };
    Some((
        [dataset(Stage::Ingest, ingest), dataset(Stage::Clean, clean)],
        work,
    ))
}
