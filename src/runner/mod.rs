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
mod progress;

use std::path::PathBuf;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::artifacts::{sha256_bytes, sha256_file, write_bytes};
use crate::cluster::Model;
use crate::config::{InputKind, Plan};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::model::ModelFile;
use crate::stages::{clean, cluster, evaluate, features, ingest, profile, rfm, scale, STAGES};
use cache::{remove_stale_temporaries, Produced, Runner};
use progress::Progress;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Folder that holds one sub-folder per pipeline name.
    pub out_root: PathBuf,
    /// Show progress spinners (only when stderr is a terminal).
    pub progress: bool,
    /// Re-run every stage, ignoring the cache.
    pub force: bool,
    /// Re-run from this stage (index into `STAGES`) on.
    pub from: Option<usize>,
    /// Stop after this stage.
    pub until: Option<usize>,
}

/// The index of a stage by name, for `--from` and `--until`.
pub fn stage_index(name: &str) -> Option<usize> {
    STAGES.iter().position(|(s, _)| *s == name)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: String,
    pub artifact: String,
    pub rows_in: usize,
    pub rows_out: usize,
    pub seconds: f64,
    /// Of `seconds`, the time spent writing the stage's files (encoding included).
    #[serde(default)]
    pub write_seconds: f64,
    pub sha256: String,
    pub cached: bool,
    pub cache_key: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub segflow_version: String,
    pub pipeline: String,
    /// `complete`, `stopped after …` or `failed in stage …: message`.
    pub status: String,
    pub config_path: String,
    pub config_sha256: String,
    pub input_path: String,
    pub input_sha256: String,
    pub seed: u64,
    pub stages: Vec<StageRecord>,
    /// Every other file of the run with its sha256.
    pub files: Vec<(String, String)>,
    pub chosen_model: String,
    pub warnings: Vec<String>,
}

/// What a run produced, for the summary the CLI prints.
pub struct RunSummary {
    pub out_dir: PathBuf,
    pub manifest: Manifest,
    pub scores: Vec<evaluate::Score>,
    pub segments: Vec<profile::Segment>,
    pub dropped_rows: usize,
}

/// Checks the plan against the input's columns (what `segflow validate` does) and
/// returns the input's schema.
pub fn check(plan: &Plan) -> Result<Schema> {
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
    let id = ingest::id_column(&plan.input);
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
    let dir = opts.out_root.join(&plan.name);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Data(format!(
            "cannot create the output folder {}: {e}",
            dir.display()
        ))
    })?;
    remove_stale_temporaries(&dir);
    remove_stale_temporaries(&dir.join(".state"));
    let input_sha256 = sha256_file(&plan.input.path)?;
    let mut runner = Runner {
        dir: &dir,
        opts,
        records: Vec::new(),
        files: Vec::new(),
        warnings: Vec::new(),
        progress: Progress::new(opts.progress),
        upstream: input_sha256.clone(),
        current: "",
    };
    let result = run_stages(plan, &mut runner);
    runner.progress.finish();
    let status = match &result {
        Ok(Some(_)) => "complete".to_string(),
        Ok(None) => format!("stopped after stage {}", runner.current),
        Err(e) => format!("failed in stage {}: {e}", runner.current),
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
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    write_bytes(&dir.join("manifest.json"), &json)?;
    let out = result?;
    Ok(RunSummary {
        out_dir: dir,
        scores: out.as_ref().map(|o| o.scores.clone()).unwrap_or_default(),
        segments: out.as_ref().map(|o| o.segments.clone()).unwrap_or_default(),
        dropped_rows: out.as_ref().map_or(0, |o| o.dropped_rows),
        manifest,
    })
}

struct Outcome {
    chosen: String,
    scores: Vec<evaluate::Score>,
    segments: Vec<profile::Segment>,
    dropped_rows: usize,
}

#[derive(Serialize, Deserialize)]
struct FeatureState {
    model_columns: Vec<String>,
    encodings: Vec<features::Encoding>,
}

#[derive(Serialize, Deserialize)]
struct ClusterState {
    models: Vec<Model>,
    warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct EvaluateState {
    scores: Vec<evaluate::Score>,
    chosen: usize,
}

/// Runs the stages; `Ok(None)` when `--until` stopped the run early.
fn run_stages(plan: &Plan, r: &mut Runner) -> Result<Option<Outcome>> {
    let id = ingest::id_column(&plan.input).to_string();
    let input = &plan.input;

    let tx = match &input.kind {
        InputKind::Transactions(tx) => Some(tx),
        InputKind::Customers => None,
    };
    let material = format!(
        "{:?} {:?} {:?} {:?}",
        input.kind, input.format, input.id, input.rename
    );
    let (mut f, ()) = r.stage(0, material, || {
        let raw = ingest::run(input)?;
        let note = match tx {
            Some(tx) => format!(
                "{} distinct customers",
                crate::frame::distinct_ids(raw.column(&tx.customer)?)?
            ),
            None => String::new(),
        };
        let copy_of = ingest::is_input_unchanged(input, &raw)?.then(|| input.path.clone());
        Ok(Produced {
            copy_of,
            rows_in: raw.height(),
            frames: vec![(STAGES[0].1, raw)],
            files: vec![],
            note,
            state: (),
        })
    })?;
    let raw = f.remove(0);
    // The report's "before cleaning" view (customer tables; invoice lines are summarised
    // per customer by the features stage instead).
    let before = match tx {
        None => Some(crate::report::eda::Before::of(&raw, &id)?),
        Some(_) => None,
    };
    let missing: Vec<(String, usize)> = raw
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.null_count()))
        .collect();
    if r.stop_after(0) {
        return Ok(None);
    }

    let (mut f, clean_model) = r.stage(1, format!("{:?}", plan.clean), || {
        if let Some(tx) = tx {
            let out = rfm::clean_lines(&raw, tx, &plan.clean.transactions)?;
            let note = out
                .counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(why, n)| format!("{n} {why}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(Produced {
                copy_of: None,
                rows_in: raw.height(),
                frames: vec![
                    (STAGES[1].1, out.data),
                    ("02_clean_dropped.parquet", out.dropped),
                ],
                files: vec![],
                note: format!("dropped: {note}"),
                state: clean::CleanModel::default(),
            });
        }
        let out = clean::run(&raw, &plan.clean, &id)?;
        Ok(Produced {
            copy_of: None,
            rows_in: raw.height(),
            frames: vec![
                (STAGES[1].1, out.data),
                ("02_clean_dropped.parquet", out.dropped),
            ],
            files: vec![],
            note: String::new(),
            state: out.model,
        })
    })?;
    // Frames are dropped as soon as no later stage needs them: with ten million invoice
    // lines, holding every stage's copy would multiply the peak memory.
    drop(raw);
    let cleaned = f.remove(0);
    let dropped_frame = f.remove(0);
    let dropped_rows = dropped_frame.height();
    let dropped_reasons = reason_counts(&dropped_frame)?;
    drop(dropped_frame);
    for c in &clean_model.empty_columns {
        r.warnings
            .push(format!("column `{c}` has no values; it was left empty"));
    }
    if r.stop_after(1) {
        return Ok(None);
    }

    let (mut f, fs) = r.stage(2, format!("{:?}", plan.features), || {
        let out = match (tx, &plan.features.rfm) {
            (Some(tx), Some(rfm_plan)) => {
                let table = rfm::features(&cleaned, tx, &plan.clean.transactions, rfm_plan)?;
                features::run(&table, &plan.features, &id)?
            }
            _ => features::run(&cleaned, &plan.features, &id)?,
        };
        Ok(Produced {
            copy_of: None,
            rows_in: cleaned.height(),
            frames: vec![(STAGES[2].1, out.data)],
            files: vec![],
            note: String::new(),
            state: FeatureState {
                model_columns: out.model_columns,
                encodings: out.encodings,
            },
        })
    })?;
    let feats = f.remove(0);
    drop(cleaned);
    if r.stop_after(2) {
        return Ok(None);
    }

    let (mut f, scaler) = r.stage(3, format!("{:?}", plan.scale), || {
        let out = scale::run(&feats, &fs.model_columns, plan.scale, &id)?;
        Ok(Produced {
            copy_of: None,
            rows_in: feats.height(),
            frames: vec![(STAGES[3].1, out.data)],
            files: vec![],
            note: String::new(),
            state: out.scaler,
        })
    })?;
    let scaled = f.remove(0);
    let x = matrix_of(&scaled, &fs.model_columns, &id)?;
    if r.stop_after(3) {
        return Ok(None);
    }

    if let Some(kmax) = plan.cluster.kmeans.as_ref().and_then(|k| k.ks.iter().max()) {
        if *kmax > x.n {
            r.current = STAGES[4].0;
            return Err(plan.source.error_at(
                &["cluster", "kmeans", "k"],
                format!("cluster.kmeans.k goes up to {kmax} but only {} customers are left after cleaning", x.n),
            ));
        }
    }
    let ids = scaled.column(&id)?.clone();
    let (mut f, cs) = r.stage(4, format!("{:?} seed {}", plan.cluster, plan.seed), || {
        let out = cluster::run(&x, &ids, &plan.cluster, plan.seed)?;
        Ok(Produced {
            copy_of: None,
            rows_in: x.n,
            frames: vec![(STAGES[4].1, out.data)],
            files: vec![],
            note: String::new(),
            state: ClusterState {
                models: out.models,
                warnings: out.warnings,
            },
        })
    })?;
    let labels_df = f.remove(0);
    let mut models = cs.models;
    for m in models.iter_mut() {
        let col = labels_df.column(&m.name)?.cast(&DataType::Int64)?;
        m.labels = col
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(crate::cluster::NOISE))
            .collect();
    }
    r.warnings.extend(cs.warnings);
    if r.stop_after(4) {
        return Ok(None);
    }

    let (_, es) = r.stage(5, format!("{:?} seed {}", plan.evaluate, plan.seed), || {
        let out = evaluate::run(&x, &models, &plan.evaluate, plan.seed)?;
        Ok(Produced {
            copy_of: None,
            rows_in: models.len(),
            frames: vec![(STAGES[5].1, out.data)],
            files: vec![],
            note: String::new(),
            state: EvaluateState {
                scores: out.scores,
                chosen: out.chosen,
            },
        })
    })?;
    if r.stop_after(5) {
        return Ok(None);
    }

    let chosen = models.get(es.chosen).ok_or_else(|| {
        Error::Internal("the evaluation chose a model that does not exist".into())
    })?;
    let records_so_far = r.records.clone();
    let (_, segments) = r.stage(6, format!("{:?}", plan.profile), || {
        let mut out = profile::run(
            &feats,
            &fs.model_columns,
            chosen,
            &plan.profile,
            &id,
            plan.seed,
        )?;
        let model = ModelFile {
            schema_version: crate::model::SCHEMA_VERSION,
            segflow_version: VERSION.to_string(),
            pipeline: plan.name.clone(),
            id_column: id.clone(),
            rename: plan.input.rename.clone(),
            clean: clean_model.clone(),
            derive: plan.features.derive.clone(),
            encodings: fs.encodings.clone(),
            scaler: scaler.clone(),
            chosen_model: chosen.name.clone(),
            // A DBSCAN model's core points are row numbers of this run's matrix: `assign`
            // needs the chosen model's as coordinates (below), not the numbers (a million
            // of them took 15 MB of model.json).
            models: models
                .iter()
                .map(|m| Model {
                    name: m.name.clone(),
                    algorithm: m.algorithm.clone(),
                    k: m.k,
                    n_clusters: m.n_clusters,
                    labels: Vec::new(), // not serialised
                    centroids: m.centroids.clone(),
                    eps: m.eps,
                    min_samples: m.min_samples,
                    core_points: Vec::new(),
                })
                .collect(),
            core_points: chosen
                .core_points
                .iter()
                .map(|&i| (x.row(i).to_vec(), chosen.labels[i]))
                .collect(),
            segments: out.summary.clone(),
        };
        let json = serde_json::to_vec_pretty(&model).map_err(|e| Error::Internal(e.to_string()))?;
        // The CRM table and the report are independent: made side by side.
        let segments_table = &mut out.segments;
        let (csv, report) = rayon::join(
            || -> Result<Vec<u8>> {
                let mut csv = Vec::new();
                CsvWriter::new(&mut csv)
                    .include_header(true)
                    .finish(segments_table)?;
                Ok(csv)
            },
            || {
                crate::report::build(&crate::report::ReportInput {
                    plan,
                    stages: &records_so_far,
                    missing: &missing,
                    dropped: &dropped_reasons,
                    scores: &es.scores,
                    models: &models,
                    chosen,
                    x: &x,
                    features: &feats,
                    id: &id,
                    model_columns: &fs.model_columns,
                    segments: &out.summary,
                    before: before.as_ref(),
                    explanation: out.explanation.as_ref(),
                    zscores: &out.zscores,
                    rfm_crosstab: out.rfm_crosstab.as_ref(),
                })
            },
        );
        let (csv, report) = (csv?, report?);
        let mut frames = vec![(STAGES[6].1, out.data), ("segments.parquet", out.segments)];
        if let Some(ct) = out.rfm_crosstab {
            frames.push(("07_profile_rfm.parquet", ct));
        }
        let mut files = vec![
            ("segments.csv".to_string(), csv),
            ("model.json".to_string(), json),
        ];
        files.extend(report);
        Ok(Produced {
            copy_of: None,
            rows_in: feats.height(),
            frames,
            files,
            note: String::new(),
            state: out.summary,
        })
    })?;

    Ok(Some(Outcome {
        chosen: chosen.name.clone(),
        scores: es.scores,
        segments,
        dropped_rows,
    }))
}

/// Dropped rows per reason; outlier reasons are counted per column ("outlier: Age").
fn reason_counts(dropped: &DataFrame) -> Result<Vec<(String, usize)>> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    if let Ok(col) = dropped.column("reason") {
        for r in col.as_materialized_series().str()?.iter().flatten() {
            for part in r.split("; ") {
                let key = part.split('=').next().unwrap_or(part).to_string();
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    Ok(counts.into_iter().collect())
}

/// The model matrix from the scaled artifact's columns.
fn matrix_of(scaled: &DataFrame, columns: &[String], id: &str) -> Result<Matrix> {
    let cols: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| crate::frame::f64_values(scaled, c, id))
        .collect::<Result<_>>()?;
    Ok(Matrix::from_columns(&cols))
}
