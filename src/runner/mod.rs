//! Runs the stages in order with a content cache, writes each artifact as soon as its stage
//! finishes, shows progress, and writes `manifest.json` last.
//!
//! Cache: a stage's key is the sha256 of the segflow version and build, the stage's own config section
//! and the sha256s of the input file and of every file and fitted state upstream of it. When the key and
//! the artifacts on disk match what `.state/NN_stage.json` recorded, the stage is skipped
//! and its outputs are read back from its Parquet files. Because the stages are
//! deterministic, an upstream stage that re-runs to a byte-identical artifact does not
//! invalidate the stages after it.

mod cache;
mod lock;
mod pipeline;
mod progress;

use std::path::PathBuf;

use polars::prelude::*;

use crate::artifacts::{sha256_bytes, sha256_file, write_bytes};
use crate::config::{InputKind, Plan};
use crate::error::{Error, Result};
use crate::manifest::{Manifest, Status, VERSION};
use crate::stages::files::MANIFEST;
use crate::stages::{evaluate, ingest, profile, Stage};
use cache::{remove_stale_temporaries, Runner};
use progress::Progress;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folder that holds one sub-folder per pipeline name.
    pub out_root: PathBuf,
    /// Show progress spinners (only when stderr is a terminal).
    pub progress: bool,
    /// Re-run every stage, ignoring the cache.
    pub force: bool,
    /// Re-run from this stage on.
    pub from: Option<Stage>,
    /// Stop after this stage.
    pub until: Option<Stage>,
    /// Fail at once, instead of waiting, when another run holds the output folder.
    pub no_wait: bool,
}

/// What a run produced, for the summary the CLI prints.
pub struct RunSummary {
    pub out_dir: PathBuf,
    pub manifest: Manifest,
    pub scores: Vec<evaluate::Score>,
    pub segments: Vec<profile::Segment>,
    pub dropped_rows: usize,
    /// With `predict`: the fitted models and the holdout check.
    pub predict: Option<crate::stages::predict::PredictState>,
    /// With `output.postgres`: the table written.
    pub written: Option<crate::database::sink::Written>,
}

/// Checks the plan against the input's columns (what `segflow validate` does) and
/// returns the input's schema.
pub fn check(plan: &Plan) -> Result<Schema> {
    if let (Some(pg), true) = (&plan.input.postgres, plan.input.path.as_os_str().is_empty()) {
        // Before the rows are read: the query's columns as the server describes them,
        // renamed as ingest will rename them. A `text` column may hold numbers (ingest
        // types it from its values, as a file's), so only its name is checked here; the
        // rows read are checked again.
        let schema: Schema = crate::database::source::schema(pg)?
            .iter()
            .map(|(name, dtype)| {
                let renamed = plan
                    .input
                    .rename
                    .iter()
                    .find(|(from, _)| from == name.as_str());
                let name = renamed.map_or(name.as_str(), |(_, to)| to.as_str());
                let dtype = match dtype {
                    DataType::String => DataType::Float64,
                    other => other.clone(),
                };
                Field::new(name.into(), dtype)
            })
            .collect();
        plan.check_schema(&schema)?;
        return Ok(schema);
    }
    if plan.input.on_spark().is_some() {
        let schema = crate::spark::schema(plan)?;
        plan.check_schema(&schema)?;
        return Ok(schema);
    }
    let sample = ingest::sample(&plan.input).map_err(|e| match e {
        Error::Data(msg) => plan.source.error_at(&["input", "path"], msg),
        other => other,
    })?;
    text_in_numeric_columns(plan, &sample)?;
    let schema = sample.schema().as_ref().clone();
    plan.check_schema(&schema)?;
    Ok(schema)
}

/// A column the plan needs as numbers that reads as text: name the first row that is not a
/// number (or say the column is empty), rather than only its type.
fn text_in_numeric_columns(plan: &Plan, sample: &DataFrame) -> Result<()> {
    if plan.input.kind != InputKind::Customers {
        return Ok(());
    }
    let id = plan.input.id_column();
    let mut wanted: Vec<(&str, [&str; 3])> = Vec::new();
    if let Some(o) = &plan.clean.outliers {
        wanted.extend(
            o.columns
                .iter()
                .map(|c| (c.as_str(), ["clean", "outliers", "columns"])),
        );
    }
    wanted.extend(
        plan.features
            .use_
            .iter()
            .filter(|c| !plan.features.one_hot.contains(c))
            .map(|c| (c.as_str(), ["features", "use", ""])),
    );
    for (c, at) in wanted {
        let Ok(col) = sample.column(c) else { continue };
        if !matches!(col.dtype(), DataType::String | DataType::Null) {
            continue;
        }
        let at: Vec<&str> = at.into_iter().filter(|s| !s.is_empty()).collect();
        let values = crate::frame::str_opts(sample, c)?;
        let bad = values.iter().enumerate().find_map(|(i, v)| {
            let v = v.as_deref()?.trim();
            (!v.is_empty() && v.parse::<f64>().is_err()).then_some((i, v.to_string()))
        });
        let msg = match bad {
            Some((i, v)) => {
                let who = sample
                    .column(id)
                    .ok()
                    .and_then(|c| c.get(i).ok())
                    .map(|v| format!(" ({id} {v})"))
                    .unwrap_or_default();
                format!("column `{c}` should hold numbers but data row {}{who} has `{v}`", i + 1)
            }
            None => format!(
                "column `{c}` is empty in every one of the first {} rows: there is nothing to cluster on",
                sample.height()
            ),
        };
        return Err(plan.source.error_at(&at, msg));
    }
    Ok(())
}

/// Runs the whole pipeline. The input's columns are checked against the plan first.
///
/// Each artifact is written as soon as its stage finishes, so a failing stage leaves the
/// artifacts of the stages before it in place. `manifest.json` is written last, also on
/// failure, with `status` saying which stage failed and why.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<RunSummary> {
    check(plan)?;
    let dir = output_folder(plan, opts)?;
    let holder = format!(
        "segflow run of {} (pid {})",
        plan.source.path.display(),
        std::process::id()
    );
    let _lock = lock::acquire(&dir, &holder, !opts.no_wait)?;
    remove_stale_temporaries(&dir);
    remove_stale_temporaries(&dir.join(".state"));
    let from_database = rows_from_database(plan, &dir)?;
    let plan = from_database.as_ref().unwrap_or(plan);
    // Spark reads the input where it lies (maybe on another machine): its digest is the
    // aggregated customer table's, taken by the pipeline before the features stage.
    let input_sha256 = match plan.input.on_spark() {
        Some(_) => String::new(),
        None => sha256_file(&plan.input.path)?,
    };
    let mut runner = Runner {
        dir: &dir,
        opts,
        records: Vec::new(),
        files: Vec::new(),
        warnings: Vec::new(),
        progress: Progress::new(opts.progress),
        upstream: input_sha256.clone(),
        current: "",
        carried_seconds: 0.0,
    };
    let mut result = pipeline::run_stages(plan, &mut runner);
    runner.progress.finish();
    let written = match (&result, &plan.output) {
        (Ok(Some(_)), Some(target)) => {
            runner.current = "output";
            write_back(target, &dir, &plan.name)
                .map_err(|e| result = Err(e))
                .ok()
        }
        _ => None,
    };
    let status = match &result {
        Ok(Some(_)) => Status::Complete,
        Ok(None) => Status::StoppedAfter(runner.current.to_string()),
        Err(e) => Status::failed(runner.current, e),
    };
    let chosen_model = match &result {
        Ok(Some(o)) => o.chosen.clone(),
        _ => String::new(),
    };
    let manifest = Manifest {
        segflow_version: VERSION.to_string(),
        pipeline: plan.name.clone(),
        status,
        config_path: plan.source.path.display().to_string(),
        config_sha256: sha256_bytes(plan.source.text.as_bytes()),
        input_path: plan.input.path.display().to_string(),
        input_sha256,
        seed: plan.seed,
        stages: runner.records,
        files: runner.files,
        chosen_model,
        warnings: runner.warnings,
        postgres: plan.input.postgres.clone(),
        written: written.clone(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    write_bytes(&dir.join(MANIFEST), &json)?;
    let out = result?;
    Ok(RunSummary {
        out_dir: dir,
        scores: out.as_ref().map(|o| o.scores.clone()).unwrap_or_default(),
        segments: out.as_ref().map(|o| o.segments.clone()).unwrap_or_default(),
        dropped_rows: out.as_ref().map_or(0, |o| o.dropped_rows),
        predict: out.as_ref().and_then(|o| o.predict.clone()),
        manifest,
        written,
    })
}

/// `out_root/name`, created when missing.
fn output_folder(plan: &Plan, opts: &RunOptions) -> Result<PathBuf> {
    let dir = opts.out_root.join(&plan.name);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Data(format!(
            "cannot create the output folder {}: {e}",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// With `input.postgres`: the query's columns checked, then its rows read into the output
/// folder's `source.csv`, and the plan reading that file (checked like any file).
fn rows_from_database(plan: &Plan, dir: &std::path::Path) -> Result<Option<Plan>> {
    let Some(pg) = &plan.input.postgres else {
        return Ok(None);
    };
    let mut read = plan.clone();
    read.input.path = crate::database::source::read_into(pg, dir)?;
    check(&read)?;
    Ok(Some(read))
}

/// `output.postgres`: the run's `segments.parquet`, with its name and the time, written to
/// the table.
fn write_back(
    target: &crate::config::PgTarget,
    dir: &std::path::Path,
    name: &str,
) -> Result<crate::database::sink::Written> {
    let path = dir.join(crate::stages::files::SEGMENTS_PARQUET);
    let segments = crate::inspect::read_parquet(&path)?;
    let at = crate::database::sink::now();
    crate::database::sink::write_segments(target, segments, name, &at)
}
