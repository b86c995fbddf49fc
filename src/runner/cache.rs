//! The stage cache and the bookkeeping of one run: each stage either restores its outputs
//! from `.state/NN_stage.json` and its Parquet files (when its key and every file's sha256
//! match) or computes them and writes them atomically.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::progress::Progress;
use super::RunOptions;
use crate::artifacts::{copy_file, sha256_bytes, sha256_file, write_bytes, write_parquet};
use crate::error::{Error, Result};
use crate::manifest::{StageRecord, VERSION};
use crate::stages::files::DROPPED;
use crate::stages::Stage;
use rayon::prelude::*;

/// What a stage computed: Parquet frames (the first is its artifact), other files, and the
/// state later stages need, which is saved so that a cached stage can be restored.
pub(super) struct Produced<S> {
    pub(super) frames: Vec<(&'static str, DataFrame)>,
    pub(super) files: Vec<(String, Vec<u8>)>,
    pub(super) rows_in: usize,
    /// A line for the manifest and the summary (e.g. distinct customers, drop reasons).
    pub(super) note: String,
    pub(super) state: S,
    /// A Parquet file whose data the first frame is, unchanged (the input, for an ingest
    /// that had nothing to rename or retype): copied instead of encoded again.
    pub(super) copy_of: Option<std::path::PathBuf>,
    /// Named parts of the computing and their seconds, for the manifest.
    pub(super) parts: Vec<(String, f64)>,
}

impl<S> Produced<S> {
    /// Frames and state, with no other files, no note and nothing copied.
    pub(super) fn frames(frames: Vec<(&'static str, DataFrame)>, state: S) -> Produced<S> {
        Produced {
            frames,
            files: Vec::new(),
            rows_in: 0,
            note: String::new(),
            state,
            copy_of: None,
            parts: Vec::new(),
        }
    }
}

/// `.state/NN_stage.json`: the cache entry of one stage.
#[derive(Serialize, Deserialize)]
pub(super) struct Saved<S> {
    pub(super) key: String,
    /// Every file the stage wrote with its sha256; Parquet frames first, in order.
    pub(super) files: Vec<(String, String)>,
    pub(super) rows_in: usize,
    pub(super) rows_out: usize,
    pub(super) note: String,
    pub(super) state: S,
}

/// Runs stages through the cache and keeps the bookkeeping of a run.
pub(super) struct Runner<'a> {
    pub(super) dir: &'a Path,
    pub(super) opts: &'a RunOptions,
    pub(super) records: Vec<StageRecord>,
    pub(super) files: Vec<(String, String)>,
    pub(super) warnings: Vec<String>,
    pub(super) progress: Progress,
    /// Hash chain of the input file and every artifact written so far.
    pub(super) upstream: String,
    pub(super) current: &'static str,
    /// Seconds spent for the next stage before it started (Spark's aggregation, for
    /// features), added to its record.
    pub(super) carried_seconds: f64,
}

impl Runner<'_> {
    pub(super) fn state_path(&self, stage: Stage) -> PathBuf {
        let file = stage.artifact().trim_end_matches(".parquet");
        self.dir.join(".state").join(format!("{file}.json"))
    }

    /// Runs `stage` (or restores it from the cache) and returns its frames and state.
    pub(super) fn stage<S: Serialize + DeserializeOwned>(
        &mut self,
        stage: Stage,
        material: String,
        compute: impl FnOnce() -> Result<Produced<S>>,
    ) -> Result<(Vec<DataFrame>, S)> {
        let (name, artifact) = (stage.name(), stage.artifact());
        self.current = name;
        self.progress.stage(name);
        let started = Instant::now();
        let key = sha256_bytes(
            format!(
                "{VERSION} {}\n{name}\n{material}\n{}",
                build_id(),
                self.upstream
            )
            .as_bytes(),
        );
        let forced = self.opts.force || self.opts.from.is_some_and(|f| stage >= f);
        let restored = if forced {
            None
        } else {
            self.restore::<S>(stage, &key)
        };
        let mut write_seconds = 0.0;
        let mut parts = Vec::new();
        let (frames, saved, cached) = match restored {
            Some((frames, saved)) => (frames, saved, true),
            None => {
                let mut produced = compute()?;
                parts = std::mem::take(&mut produced.parts);
                // Only the writing (encoding included), not the computing.
                let writing = Instant::now();
                let (frames, saved) = self.write(stage, key.clone(), produced)?;
                write_seconds = writing.elapsed().as_secs_f64();
                (frames, saved, false)
            }
        };
        let sha = saved.files[0].1.clone();
        self.files.extend(saved.files[1..].iter().cloned());
        self.records.push(StageRecord {
            stage: name.to_string(),
            artifact: artifact.to_string(),
            rows_in: saved.rows_in,
            rows_out: saved.rows_out,
            seconds: started.elapsed().as_secs_f64() + std::mem::take(&mut self.carried_seconds),
            write_seconds,
            sha256: sha.clone(),
            cached,
            cache_key: key,
            note: saved.note.clone(),
            parts,
        });
        // Later stages read more than their direct upstream (evaluate reads the scaled
        // matrix, profile the features and the clean stage's fitted values), so the chain
        // covers every file and every fitted state so far.
        let state = serde_json::to_vec(&saved.state).map_err(|e| Error::Internal(e.to_string()))?;
        let mut link = format!("{}\n{}", self.upstream, sha256_bytes(&state));
        for (_, file_sha) in &saved.files {
            link.push('\n');
            link.push_str(file_sha);
        }
        self.upstream = sha256_bytes(link.as_bytes());
        self.progress.done();
        Ok((frames, saved.state))
    }

    /// Removes the files this stage's previous run wrote and this run did not (a chart or a
    /// segment's CSV that no longer exists), so the folder holds only what the run says.
    /// Only plain relative paths inside the run folder are touched.
    fn remove_stale(&self, stage: Stage, now: &[(String, String)]) {
        #[derive(serde::Deserialize)]
        struct Listed {
            files: Vec<(String, String)>,
        }
        let Ok(bytes) = std::fs::read(self.state_path(stage)) else {
            return;
        };
        let Ok(before) = serde_json::from_slice::<Listed>(&bytes) else {
            return;
        };
        let plain = |f: &str| {
            let p = std::path::Path::new(f);
            p.is_relative()
                && p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        };
        for (file, _) in before.files {
            if plain(&file) && !now.iter().any(|(f, _)| *f == file) {
                let _ = std::fs::remove_file(self.dir.join(&file));
            }
        }
    }

    /// Writes what a stage computed (each frame atomically, in parallel; then its other
    /// files and its cache entry) and returns the frames with the entry.
    fn write<S: Serialize>(
        &self,
        stage: Stage,
        key: String,
        out: Produced<S>,
    ) -> Result<(Vec<DataFrame>, Saved<S>)> {
        // A stage's frames are written in parallel (the audit table beside the
        // cleaned lines, say); each one atomically.
        let copy_of = out.copy_of.as_deref();
        let dir = &self.dir;
        let written: Vec<Result<(String, String, DataFrame)>> = out
            .frames
            .into_par_iter()
            .enumerate()
            .map(|(i, (file, mut df))| {
                let path = dir.join(file);
                let sha = match copy_of.filter(|_| i == 0) {
                    Some(src) => copy_file(src, &path)?,
                    None => write_parquet(&path, &mut df)?,
                };
                Ok((file.to_string(), sha, df))
            })
            .collect();
        let mut files = Vec::new();
        let mut frames = Vec::new();
        for w in written {
            let (file, sha, df) = w?;
            files.push((file, sha));
            frames.push(df);
        }
        for (file, bytes) in &out.files {
            let path = self.dir.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            let sha = write_bytes(&path, bytes)?;
            files.push((file.to_string(), sha));
        }
        self.remove_stale(stage, &files);
        let saved = Saved {
            key,
            files,
            rows_in: out.rows_in,
            rows_out: frames[0].height(),
            note: out.note,
            state: out.state,
        };
        let json = serde_json::to_vec(&saved).map_err(|e| Error::Internal(e.to_string()))?;
        let state_path = self.state_path(stage);
        if let Some(parent) = state_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        write_bytes(&state_path, &json)?;
        Ok((frames, saved))
    }

    /// The stage's saved outputs, if its key matches and every file is as it was written.
    pub(super) fn restore<S: DeserializeOwned>(
        &self,
        stage: Stage,
        key: &str,
    ) -> Option<(Vec<DataFrame>, Saved<S>)> {
        let bytes = std::fs::read(self.state_path(stage)).ok()?;
        let saved: Saved<S> = serde_json::from_slice(&bytes).ok()?;
        if saved.key != key {
            return None;
        }
        for (file, sha) in &saved.files {
            if sha256_file(&self.dir.join(file)).ok()?.as_str() != sha {
                return None;
            }
        }
        let mut frames = Vec::new();
        for (file, _) in saved.files.iter().filter(|(f, _)| f.ends_with(".parquet")) {
            let f = std::fs::File::open(self.dir.join(file)).ok()?;
            frames.push(ParquetReader::new(f).finish().ok()?);
        }
        // An entry that does not hold what this stage writes (the stage artifact first, and
        // the clean stage's audit table) is not trusted.
        let needed = if stage == Stage::Clean { 2 } else { 1 };
        let audit_kept =
            stage != Stage::Clean || saved.files.get(1).is_some_and(|f| f.0 == DROPPED);
        if frames.len() < needed || saved.files[0].0 != stage.artifact() || !audit_kept {
            return None;
        }
        Some((frames, saved))
    }

    /// Marks `stage` as running (for progress and for naming it if it fails).
    pub(super) fn begin(&mut self, stage: Stage) {
        self.current = stage.name();
        self.progress.stage(stage.name());
    }

    /// Records a stage whose dataset its engine wrote (Spark: no digest, a dataset of many
    /// files maybe on another machine; the streaming engine: a file here) and no cache entry;
    /// the other datasets go to `files`.
    pub(super) fn record_dataset(&mut self, d: &crate::engines::Dataset, seconds: f64) {
        self.records.push(StageRecord {
            stage: d.stage.name().to_string(),
            artifact: d.uri.clone(),
            rows_in: d.rows_in,
            rows_out: d.rows_out,
            seconds,
            write_seconds: 0.0,
            sha256: d.sha256.clone(),
            cached: d.cached,
            cache_key: String::new(),
            note: d.note.clone(),
            parts: Vec::new(),
        });
        self.files.extend(d.also.iter().cloned());
        self.progress.done();
    }

    /// Chains the digest of the aggregated customer table Spark returned, so that the
    /// stages after it are restored from the cache only for the same table.
    pub(super) fn chain_digest(
        &mut self,
        agg: &crate::transactions::rfm::Aggregated,
    ) -> Result<()> {
        let mut link = self.upstream.clone();
        let mut customers = agg.customers.clone();
        link.push('\n');
        link.push_str(&sha256_bytes(&crate::artifacts::csv_bytes(&mut customers)?));
        if let Some(by) = &agg.by_category {
            // Spark returns these rows in no particular order: sorted first.
            let names: Vec<PlSmallStr> = by.get_column_names().into_iter().cloned().collect();
            let mut sorted = by.sort(names, SortMultipleOptions::default())?;
            link.push('\n');
            link.push_str(&sha256_bytes(&crate::artifacts::csv_bytes(&mut sorted)?));
        }
        self.upstream = sha256_bytes(link.as_bytes());
        Ok(())
    }

    pub(super) fn stop_after(&self, stage: Stage) -> bool {
        self.opts.until.is_some_and(|u| stage >= u)
    }
}

/// Identifies the segflow binary (size and modification time of the executable), so that a
/// rebuilt segflow with the same version number does not reuse results of the old code.
pub(super) fn build_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| {
                let t = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                format!("{}-{}", m.len(), t.map_or(0, |d| d.as_nanos()))
            })
            .unwrap_or_default()
    })
}

/// Removes temporary files a crashed run left behind (`.segflow-*.tmp`).
pub(super) fn remove_stale_temporaries(dir: &Path) {
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
