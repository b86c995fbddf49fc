//! Shared test helpers: a temporary work directory that runs the real `segflow` binary,
//! fixture loading, and tolerances.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use segflow::matrix::Matrix;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A test that cannot run here. When `SEGFLOW_REQUIRE` (a comma-separated list; `.ci/run`
/// sets `shared,spark,postgres`) names its `group`, that is a failure with the reason; otherwise
/// the reason is printed and the test returns without checking anything.
pub fn skip(group: &str, reason: &str) {
    let required = std::env::var("SEGFLOW_REQUIRE").unwrap_or_default();
    if required.split(',').any(|g| g.trim() == group) {
        panic!(
            "SEGFLOW_REQUIRE={required} requires the `{group}` tests, which cannot run: {reason}"
        );
    }
    eprintln!("skipped: {reason}");
}

/// `../shared/data/<name>` when it exists; otherwise skips (see [`skip`], group `shared`).
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let p = root().join("../shared/data").join(name);
    if p.exists() {
        Some(p.canonicalize().unwrap())
    } else {
        skip(
            "shared",
            &format!(
                "{} is absent (the shared reference data is not here)",
                p.display()
            ),
        );
        None
    }
}

/// Runs the binary from the project root (for the examples, whose paths are relative to it).
pub fn run_in_root(args: &[&str], out_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(args)
        .arg("--out-dir")
        .arg(out_dir)
        .current_dir(root())
        .output()
        .unwrap()
}

/// A column as text (nulls as empty strings).
pub fn strs(df: &polars::prelude::DataFrame, c: &str) -> Vec<String> {
    use polars::prelude::DataType;
    df.column(c)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

/// A column as numbers (each must be present).
pub fn f64s(df: &polars::prelude::DataFrame, c: &str) -> Vec<f64> {
    df.column(c)
        .unwrap()
        .cast(&polars::prelude::DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect()
}

/// A column as whole numbers (each must be present).
pub fn i64s(df: &polars::prelude::DataFrame, c: &str) -> Vec<i64> {
    df.column(c)
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect()
}

/// A JSON array of whole numbers.
pub fn json_i64s(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

pub fn json_f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A fixture CSV of numeric columns: the matrix of every column but `label`, and the labels.
pub fn labelled_csv(name: &str) -> (Matrix, Vec<usize>) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let li = header.iter().position(|h| *h == "label").unwrap();
    let mut data = Vec::new();
    let mut labels = Vec::new();
    let mut n = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        for (j, v) in line.split(',').enumerate() {
            if j == li {
                labels.push(v.parse().unwrap());
            } else {
                data.push(v.parse::<f64>().unwrap());
            }
        }
        n += 1;
    }
    let d = header.len() - 1;
    (Matrix::new(n, d, data), labels)
}

pub fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
    let err = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(
        err <= tol,
        "{what}: got {actual:.17}, expected {expected:.17} (relative error {err:e} > {tol:e})"
    );
}

/// Adjusted Rand index of two labellings (noise -1 is its own group).
pub fn adjusted_rand(a: &[i64], b: &[i64]) -> f64 {
    use std::collections::HashMap;
    let n = a.len() as f64;
    let mut pairs: HashMap<(i64, i64), f64> = HashMap::new();
    let mut ra: HashMap<i64, f64> = HashMap::new();
    let mut rb: HashMap<i64, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *pairs.entry((x, y)).or_default() += 1.0;
        *ra.entry(x).or_default() += 1.0;
        *rb.entry(y).or_default() += 1.0;
    }
    let c2 = |v: f64| v * (v - 1.0) / 2.0;
    let sum_ij: f64 = pairs.values().map(|&v| c2(v)).sum();
    let sa: f64 = ra.values().map(|&v| c2(v)).sum();
    let sb: f64 = rb.values().map(|&v| c2(v)).sum();
    let expected = sa * sb / c2(n);
    let max = (sa + sb) / 2.0;
    if max == expected {
        return 1.0;
    }
    (sum_ij - expected) / (max - expected)
}

/// A temporary folder to run the binary in.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn copy(&self, from: &Path, rel: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::copy(from, &p).unwrap();
        p
    }

    /// Runs `segflow ARGS` in this folder.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_segflow"));
        cmd.args(args).current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "segflow {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs, asserts exit code 2, returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(2),
            "segflow {args:?}: expected exit 2, stderr: {err}"
        );
        assert!(!err.contains("panicked"), "panic: {err}");
        err
    }
}

/// The 198 scaled customers of `customers_200.csv` as `customers.csv` with an id column
/// (1001…) and columns age, income, score, male.
pub fn scaled_customers_csv(w: &Workdir) {
    let text = std::fs::read_to_string(fixture("customers_200.csv")).unwrap();
    let mut out = String::from("id,age,income,score,male\n");
    for (i, line) in text.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        out.push_str(&format!("{},{}\n", 1001 + i, fields[..4].join(",")));
    }
    w.write("customers.csv", &out);
}

/// Runs pipeline `name` on the scaled customers (`scaled_customers_csv`, scale `none`) with
/// `features` and the `cluster` section's one line; returns its clusters artifact.
pub fn run_on_scaled_customers(
    w: &Workdir,
    name: &str,
    features: &str,
    cluster: &str,
) -> polars::prelude::DataFrame {
    scaled_customers_csv(w);
    let yaml = format!("name: {name}\ninput: {{path: customers.csv, id: id}}\nfeatures:\n  use: [{features}]\nscale: {{method: none}}\ncluster:\n  {cluster}\n");
    w.write("p.yaml", &yaml);
    w.ok(&["run", "-q", "p.yaml"]);
    read_parquet(&w.path(&format!("outputs/{name}/05_clusters.parquet")))
}

/// `assign` with the model of run `name` on `customers.csv`: each customer's segment as
/// assigned and as the run gave it (`segments.parquet`), and what assign printed.
pub fn assign_training(w: &Workdir, name: &str) -> (Vec<String>, Vec<String>, String) {
    let model = format!("outputs/{name}/model.json");
    let said = w.ok(&[
        "assign",
        "--model",
        &model,
        "customers.csv",
        "--out",
        "scored.csv",
    ]);
    let scored = std::fs::read_to_string(w.path("scored.csv")).unwrap();
    let assigned = scored
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    let segments = read_parquet(&w.path(&format!("outputs/{name}/segments.parquet")));
    (assigned, strs(&segments, "segment"), said)
}

/// Reads a Parquet artifact.
pub fn read_parquet(path: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// The kept lines of an invoice-lines run in `dir`: the rows of `01_ingest.parquet` its
/// `02_clean.parquet` selects (`ingest_row`).
pub fn kept_lines(dir: &Path) -> polars::prelude::DataFrame {
    let selection = read_parquet(&dir.join("02_clean.parquet"));
    let rows = selection.column("ingest_row").unwrap().u32().unwrap();
    read_parquet(&dir.join("01_ingest.parquet"))
        .take(rows)
        .unwrap()
}
