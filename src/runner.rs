//! Runs the stages in order, writes each artifact as soon as its stage finishes, shows
//! progress, and writes `model.json` and then `manifest.json` last.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use serde::Serialize;

use crate::artifacts::{sha256_bytes, sha256_file, write_bytes, write_csv, write_parquet};
use crate::cluster::Model;
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::stages::{clean, cluster, evaluate, features, ingest, profile, scale, STAGES};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Folder that holds one sub-folder per pipeline name.
    pub out_root: PathBuf,
    /// Show progress spinners (only when stderr is a terminal).
    pub progress: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageRecord {
    pub stage: String,
    pub artifact: String,
    pub rows_in: usize,
    pub rows_out: usize,
    pub seconds: f64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub segflow_version: String,
    pub pipeline: String,
    /// `complete`, or `failed in stage …: message`.
    pub status: String,
    pub config_path: String,
    pub config_sha256: String,
    pub input_path: String,
    pub input_sha256: String,
    pub seed: u64,
    pub stages: Vec<StageRecord>,
    /// Other files of the run with their sha256.
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

struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let b = ProgressBar::new(STAGES.len() as u64);
            b.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Progress { bar }
    }
    fn stage(&self, name: &str) {
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }
    fn done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Keeps the per-stage bookkeeping of a run.
struct Recorder<'a> {
    dir: &'a Path,
    records: Vec<StageRecord>,
    /// Side artifacts (audit table, deliverables, model) with their sha256.
    files: Vec<(String, String)>,
    warnings: Vec<String>,
    progress: Progress,
    started: Instant,
    current: &'static str,
}

impl Recorder<'_> {
    fn begin(&mut self, stage: &'static str) {
        self.progress.stage(stage);
        self.started = Instant::now();
        self.current = stage;
    }
    fn extra(&mut self, file: &str, df: &mut DataFrame) -> Result<()> {
        let sha = write_parquet(&self.dir.join(file), df)?;
        self.files.push((file.to_string(), sha));
        Ok(())
    }
    fn write(&mut self, idx: usize, rows_in: usize, df: &mut DataFrame) -> Result<()> {
        let (stage, file) = STAGES[idx];
        let sha = write_parquet(&self.dir.join(file), df)?;
        self.records.push(StageRecord {
            stage: stage.to_string(),
            artifact: file.to_string(),
            rows_in,
            rows_out: df.height(),
            seconds: self.started.elapsed().as_secs_f64(),
            sha256: sha,
        });
        self.progress.done();
        Ok(())
    }
}

/// Checks the plan against the input's columns (what `segflow validate` does) and
/// returns the input's schema.
pub fn check(plan: &Plan) -> Result<Schema> {
    let schema = ingest::schema(&plan.input).map_err(|e| match e {
        Error::Data(msg) => plan.source.error_at(&["input", "path"], msg),
        other => other,
    })?;
    plan.check_schema(&schema)?;
    Ok(schema)
}

/// Runs the whole pipeline. The input's columns are checked against the plan first.
///
/// Each artifact is written as soon as its stage finishes, so a failing stage leaves the
/// artifacts of the stages before it in place. `manifest.json` is written last, also on
/// failure, with `status` saying which stage failed and why.
pub fn run(plan: &Plan, opts: &RunOptions) -> Result<RunSummary> {
    check(plan)?;
    let dir = opts.out_root.join(&plan.name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    remove_stale_temporaries(&dir);
    let mut rec = Recorder {
        dir: &dir,
        records: Vec::new(),
        files: Vec::new(),
        warnings: Vec::new(),
        progress: Progress::new(opts.progress),
        started: Instant::now(),
        current: "",
    };
    let result = run_stages(plan, &mut rec);
    rec.progress.finish();
    let status = match &result {
        Ok(_) => "complete".to_string(),
        Err(e) => format!("failed in stage {}: {e}", rec.current),
    };
    let manifest = Manifest {
        segflow_version: VERSION.to_string(),
        pipeline: plan.name.clone(),
        status,
        config_path: plan.source.path.display().to_string(),
        config_sha256: sha256_bytes(plan.source.text.as_bytes()),
        input_path: plan.input.path.display().to_string(),
        input_sha256: sha256_file(&plan.input.path)?,
        seed: plan.seed,
        stages: rec.records,
        files: rec.files,
        chosen_model: result
            .as_ref()
            .map(|o| o.chosen.clone())
            .unwrap_or_default(),
        warnings: rec.warnings,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    write_bytes(&dir.join("manifest.json"), &json)?;
    let out = result?;
    Ok(RunSummary {
        out_dir: dir,
        manifest,
        scores: out.scores,
        segments: out.segments,
        dropped_rows: out.dropped_rows,
    })
}

struct Outcome {
    chosen: String,
    scores: Vec<evaluate::Score>,
    segments: Vec<profile::Segment>,
    dropped_rows: usize,
}

fn run_stages(plan: &Plan, rec: &mut Recorder) -> Result<Outcome> {
    let id = ingest::id_column(&plan.input).to_string();

    rec.begin("ingest");
    let mut raw = ingest::run(&plan.input)?;
    rec.write(0, raw.height(), &mut raw)?;

    rec.begin("clean");
    let mut cleaned = clean::run(&raw, &plan.clean, &id)?;
    rec.extra("02_clean_dropped.parquet", &mut cleaned.dropped)?;
    rec.write(1, raw.height(), &mut cleaned.data)?;
    for c in &cleaned.model.empty_columns {
        rec.warnings
            .push(format!("column `{c}` has no values; it was left empty"));
    }

    rec.begin("features");
    let mut feats = features::run(&cleaned.data, &plan.features, &id)?;
    rec.write(2, cleaned.data.height(), &mut feats.data)?;

    rec.begin("scale");
    let mut scaled = scale::run(&feats.data, &feats.model_columns, plan.scale, &id)?;
    rec.write(3, feats.data.height(), &mut scaled.data)?;

    rec.begin("cluster");
    if let Some(kmax) = plan.cluster.kmeans.as_ref().and_then(|k| k.ks.iter().max()) {
        if *kmax > scaled.matrix.n {
            return Err(plan.source.error_at(
                &["cluster", "kmeans", "k"],
                format!(
                    "cluster.kmeans.k goes up to {kmax} but only {} customers are left after cleaning",
                    scaled.matrix.n
                ),
            ));
        }
    }
    let ids = feats.data.column(&id)?.clone();
    let mut clusters = cluster::run(&scaled.matrix, &ids, &plan.cluster, plan.seed)?;
    rec.warnings.extend(clusters.warnings.iter().cloned());
    rec.write(4, scaled.matrix.n, &mut clusters.data)?;

    rec.begin("evaluate");
    let mut eval = evaluate::run(&scaled.matrix, &clusters.models, &plan.evaluate, plan.seed)?;
    rec.write(5, clusters.models.len(), &mut eval.data)?;

    rec.begin("profile");
    let chosen = &clusters.models[eval.chosen];
    let mut prof = profile::run(
        &feats.data,
        &feats.model_columns,
        chosen,
        &plan.profile,
        &id,
    )?;
    rec.extra("segments.parquet", &mut prof.segments)?;
    let sha = write_csv(&rec.dir.join("segments.csv"), &mut prof.segments)?;
    rec.files.push(("segments.csv".to_string(), sha));
    let model = ModelFile {
        schema_version: 1,
        segflow_version: VERSION,
        pipeline: &plan.name,
        id_column: &id,
        clean: &cleaned.model,
        encodings: &feats.encodings,
        derive: &plan.features.derive,
        scaler: &scaled.scaler,
        chosen_model: &chosen.name,
        models: &clusters.models,
        core_points: core_points(chosen, &scaled.matrix),
        segments: &prof.summary,
    };
    let json = serde_json::to_vec_pretty(&model).map_err(|e| Error::Internal(e.to_string()))?;
    let sha = write_bytes(&rec.dir.join("model.json"), &json)?;
    rec.files.push(("model.json".to_string(), sha));
    rec.write(6, feats.data.height(), &mut prof.data)?;

    Ok(Outcome {
        chosen: chosen.name.clone(),
        scores: eval.scores,
        segments: prof.summary,
        dropped_rows: cleaned.dropped.height(),
    })
}

/// What `model.json` holds: everything needed to score new customers the same way.
#[derive(Serialize)]
struct ModelFile<'a> {
    schema_version: u32,
    segflow_version: &'a str,
    pipeline: &'a str,
    id_column: &'a str,
    clean: &'a clean::CleanModel,
    encodings: &'a [features::Encoding],
    derive: &'a [(String, String)],
    scaler: &'a scale::Scaler,
    chosen_model: &'a str,
    models: &'a [Model],
    /// DBSCAN core points (scaled coordinates and segment) when DBSCAN is chosen.
    core_points: Vec<(Vec<f64>, i64)>,
    segments: &'a [profile::Segment],
}

fn core_points(m: &Model, x: &crate::matrix::Matrix) -> Vec<(Vec<f64>, i64)> {
    m.core_points
        .iter()
        .map(|&i| (x.row(i).to_vec(), m.labels[i]))
        .collect()
}

/// Removes temporary files a crashed run left behind (`.segflow-*.tmp`).
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".segflow-") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
