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

pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| data_err!("cannot read {} as Parquet: {e}", path.display()))
}

/// The first `head` rows (with the shape), and optionally the schema and statistics.
pub fn file(path: &Path, head: usize, schema: bool, describe: bool) -> Result<String> {
    let df = read_parquet(path)?;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} rows × {} columns",
        path.display(),
        df.height(),
        df.width()
    );
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

/// count, nulls, mean, std, min, quartiles and max of every numeric column.
pub fn describe(df: &DataFrame) -> Result<String> {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<28} {:>8} {:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "column", "count", "nulls", "mean", "std", "min", "25%", "50%", "75%", "max"
    );
    for c in df.columns() {
        if !is_numeric(c.dtype()) {
            let _ = writeln!(
                o,
                "{:<28} {:>8} {:>6}  {} distinct",
                c.name(),
                c.len() - c.null_count(),
                c.null_count(),
                c.n_unique()?
            );
            continue;
        }
        let ca: Float64Chunked = f64_opts(df, c.name())?.into_iter().collect();
        let q = |p| ca.quantile(p, QuantileMethod::Linear).ok().flatten();
        let f = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4}"));
        let _ = writeln!(
            o,
            "{:<28} {:>8} {:>6} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
            c.name(),
            ca.len() - ca.null_count(),
            c.null_count(),
            f(ca.mean()),
            f(ca.std(1)),
            f(ca.min()),
            f(q(0.25)),
            f(q(0.5)),
            f(q(0.75)),
            f(ca.max())
        );
    }
    Ok(o)
}

/// A run folder: status, each stage's rows, time, cache state and whether its artifact
/// still matches the manifest's hash.
pub fn run_dir(dir: &Path) -> Result<String> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        data_err!(
            "{} has no readable manifest.json ({e}): is it a run folder?",
            dir.display()
        )
    })?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| data_err!("{}: not a segflow manifest: {e}", path.display()))?;
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
    let check = |file: &str, sha: &str| match sha256_file(&dir.join(file)) {
        // A Parquet dataset Spark wrote (a folder or a URI) has no single digest.
        _ if sha.is_empty() => "written by Spark",
        Ok(s) if s == sha => "ok",
        Ok(_) => "MODIFIED since the run",
        Err(_) => "MISSING",
    };
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
