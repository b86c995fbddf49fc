//! `segflow inspect`: prints a Parquet artifact (head, schema, per-column statistics) or
//! summarises a run folder from its manifest, checking every artifact against its hash.

use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;

use crate::artifacts::sha256_file;
use crate::data_err;
use crate::error::{Error, Result};
use crate::frame::{f64_opts, is_numeric};
use crate::manifest::Manifest;
use crate::stages::Stage;
use crate::transactions::lines::INGEST_ROW;

pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| data_err!("cannot read {} as Parquet: {e}", path.display()))
}

/// The first `head` rows (with the shape), and optionally the schema and statistics.
/// The clean artifacts of invoice lines select rows of the ingest artifact beside it: shown
/// as those lines, with their row (and the reason of a dropped one).
pub fn file(path: &Path, head: usize, schema: bool, describe: bool) -> Result<String> {
    let mut df = read_parquet(path)?;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} rows × {} columns",
        path.display(),
        df.height(),
        df.width()
    );
    if let Some(lines) = selected_lines(path, &df)? {
        df = lines;
        let _ = writeln!(
            o,
            "the rows of {} it selects (`{}`): {} lines × {} columns",
            Stage::Ingest.artifact(),
            INGEST_ROW,
            df.height(),
            df.width()
        );
    }
    if schema {
        for c in df.columns() {
            let _ = writeln!(o, "  {}: {}", c.name(), c.dtype());
        }
    }
    if describe {
        o.push_str(&self::describe(&df)?);
    }
    if head > 0 {
        let _ = writeln!(o, "{}", df.head(Some(head)));
    }
    Ok(o)
}

/// The lines a selection of ingest rows (`ingest_row`, and the `reason` of dropped lines)
/// selects, when `01_ingest.parquet` is beside it; `None` for any other table.
fn selected_lines(path: &Path, df: &DataFrame) -> Result<Option<DataFrame>> {
    let ingest = path.with_file_name(Stage::Ingest.artifact());
    let names: Vec<&str> = df.get_column_names().iter().map(|c| c.as_str()).collect();
    let selection = matches!(names[..], [INGEST_ROW] | [INGEST_ROW, "reason"]);
    if !selection || !ingest.is_file() {
        return Ok(None);
    }
    let rows = df.column(INGEST_ROW)?.u32()?;
    let lines = read_parquet(&ingest)?;
    if rows.max().is_some_and(|m| m as usize >= lines.height()) {
        return Err(data_err!(
            "{} selects rows {} does not have: they are not from the same run",
            path.display(),
            ingest.display()
        ));
    }
    let mut taken = lines.take(rows)?;
    taken.insert_column(0, df.column(INGEST_ROW)?.clone())?;
    if let Ok(reason) = df.column("reason") {
        taken.with_column(reason.clone())?;
    }
    Ok(Some(taken))
}

/// One column's statistics: counts for every column, the numbers for numeric ones.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnStats {
    pub column: String,
    pub count: usize,
    pub nulls: usize,
    /// Distinct values, for columns that are not numeric.
    pub distinct: Option<usize>,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub q25: Option<f64>,
    pub median: Option<f64>,
    pub q75: Option<f64>,
    pub max: Option<f64>,
}

/// count, nulls, mean, std, min, quartiles and max of every numeric column; count, nulls
/// and distinct values of the others.
pub fn stats(df: &DataFrame) -> Result<Vec<ColumnStats>> {
    let mut out = Vec::new();
    for c in df.columns() {
        let mut s = ColumnStats {
            column: c.name().to_string(),
            count: c.len() - c.null_count(),
            nulls: c.null_count(),
            distinct: None,
            mean: None,
            std: None,
            min: None,
            q25: None,
            median: None,
            q75: None,
            max: None,
        };
        if !is_numeric(c.dtype()) {
            s.distinct = Some(c.n_unique()?);
            out.push(s);
            continue;
        }
        let ca: Float64Chunked = f64_opts(df, c.name())?.into_iter().collect();
        let q = |p| ca.quantile(p, QuantileMethod::Linear).ok().flatten();
        (s.mean, s.std, s.min, s.max) = (ca.mean(), ca.std(1), ca.min(), ca.max());
        (s.q25, s.median, s.q75) = (q(0.25), q(0.5), q(0.75));
        out.push(s);
    }
    Ok(out)
}

/// [`stats`] as a table.
pub fn describe(df: &DataFrame) -> Result<String> {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<28} {:>8} {:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "column", "count", "nulls", "mean", "std", "min", "25%", "50%", "75%", "max"
    );
    let f = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4}"));
    for s in stats(df)? {
        if let Some(d) = s.distinct {
            let _ = writeln!(
                o,
                "{:<28} {:>8} {:>6}  {d} distinct",
                s.column, s.count, s.nulls
            );
            continue;
        }
        let _ = writeln!(
            o,
            "{:<28} {:>8} {:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
            s.column,
            s.count,
            s.nulls,
            f(s.mean),
            f(s.std),
            f(s.min),
            f(s.q25),
            f(s.median),
            f(s.q75),
            f(s.max)
        );
    }
    Ok(o)
}

/// The manifest of a run folder.
pub fn manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        data_err!(
            "{} has no readable manifest.json ({e}): is it a run folder?",
            dir.display()
        )
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| data_err!("{}: not a segflow manifest: {e}", path.display()))
}

/// Whether a file of the run still has the digest the manifest recorded.
pub fn file_state(dir: &Path, file: &str, sha: &str) -> &'static str {
    match sha256_file(&dir.join(file)) {
        // A Parquet dataset Spark wrote (a folder or a URI) has no single digest.
        _ if sha.is_empty() => "written by Spark",
        Ok(s) if s == sha => "ok",
        Ok(_) => "MODIFIED since the run",
        Err(_) => "MISSING",
    }
}

/// A run folder: status, each stage's rows, time, cache state and whether its artifact
/// still matches the manifest's hash.
pub fn run_dir(dir: &Path) -> Result<String> {
    let m = manifest(dir)?;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "pipeline {} ({}), segflow {}",
        m.pipeline, m.status, m.segflow_version
    );
    let _ = writeln!(
        o,
        "config   {} sha256 {}",
        m.config_path,
        &m.config_sha256[..12]
    );
    let _ = writeln!(
        o,
        "input    {} sha256 {}",
        m.input_path,
        short(&m.input_sha256)
    );
    let _ = writeln!(o, "seed {}, chosen model {}", m.seed, m.chosen_model);
    let _ = writeln!(
        o,
        "\nstage      rows in  rows out  seconds  cached  artifact"
    );
    let check = |file: &str, sha: &str| file_state(dir, file, sha);
    for s in &m.stages {
        let _ = writeln!(
            o,
            "{:<9} {:>8} {:>9} {:>8.3}  {:<6}  {} {} ({})",
            s.stage,
            s.rows_in,
            s.rows_out,
            s.seconds,
            if s.cached { "yes" } else { "no" },
            s.artifact,
            short(&s.sha256),
            check(&s.artifact, &s.sha256)
        );
    }
    for (file, sha) in &m.files {
        let _ = writeln!(o, "{:<46}{file} {} ({})", "", short(sha), check(file, sha));
    }
    for w in &m.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    Ok(o)
}

/// The first 12 characters of a digest; `-` where there is none.
fn short(sha: &str) -> &str {
    match sha.get(..12) {
        Some(s) => s,
        None if sha.is_empty() => "-",
        None => sha,
    }
}
