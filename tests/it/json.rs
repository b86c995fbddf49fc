//! `--json`: one JSON document on stdout, carrying the same figures as the artifacts.

use serde_json::Value;

use crate::common::{read_parquet, root, strs, Workdir};

fn project() -> Workdir {
    let w = Workdir::new();
    w.copy(&root().join("pipeline.yaml"), "pipeline.yaml");
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w
}

/// Runs, and parses all of stdout as one JSON document.
fn json(w: &Workdir, args: &[&str]) -> (Value, Option<i32>) {
    let out = w.run(args);
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (v, out.status.code())
}

fn f64_column(df: &polars::prelude::DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c)
        .unwrap()
        .cast(&polars::prelude::DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

#[test]
fn run_json_carries_the_figures_of_the_artifacts() {
    let w = project();
    let (v, code) = json(&w, &["run", "pipeline.yaml", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (v["command"].as_str(), v["ok"].as_bool()),
        (Some("run"), Some(true))
    );
    assert_eq!(v["status"], "complete");
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 7);
    for s in stages {
        let df = read_parquet(&w.path(s["artifact"].as_str().unwrap()));
        assert_eq!(s["rows_out"].as_u64().unwrap() as usize, df.height(), "{s}");
    }
    // Models: the evaluation artifact's metrics, and the chosen one.
    let eval = read_parquet(&w.path("outputs/mall/06_evaluation.parquet"));
    let names = strs(&eval, "model");
    let sil = f64_column(&eval, "silhouette");
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), names.len());
    for (m, (name, s)) in models.iter().zip(names.iter().zip(sil)) {
        assert_eq!(m["model"].as_str().unwrap(), name);
        assert_eq!(m["silhouette"].as_f64(), s, "{name}");
    }
    let chosen: Vec<&Value> = models.iter().filter(|m| m["chosen"] == true).collect();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0]["model"], v["chosen_model"]);
    // Segments: sizes as counted in segments.parquet.
    let seg = read_parquet(&w.path("outputs/mall/segments.parquet"));
    let ids = f64_column(&seg, "segment");
    let segments = v["segments"].as_array().unwrap();
    let total: u64 = segments.iter().map(|s| s["size"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, seg.height());
    for s in segments {
        let id = s["id"].as_f64().unwrap();
        let n = ids.iter().filter(|v| **v == Some(id)).count();
        assert_eq!(s["size"].as_u64().unwrap() as usize, n, "{s}");
        assert!(!s["name"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        v["dropped_rows"].as_u64().unwrap() as usize,
        read_parquet(&w.path("outputs/mall/02_clean_dropped.parquet")).height()
    );
    assert!(v["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f.as_str().unwrap().ends_with("report.html")));
}

#[test]
fn errors_are_json_with_where_and_the_exit_code() {
    let w = project();
    w.write(
        "bad.yaml",
        "name: x\ninput: {path: data/mall_customers.csv}\ncluster:\n  kmean: {k: 2}\n",
    );
    let (v, code) = json(&w, &["validate", "bad.yaml", "--json"]);
    assert_eq!(code, Some(2));
    assert_eq!(v["ok"], false);
    let e = &v["error"];
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()),
        (Some("bad.yaml"), Some(4), Some(3))
    );
    assert_eq!(e["exit_code"], 2);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `kmeans`"),
        "{e}"
    );
    let (v, code) = json(&w, &["run", "missing.yaml", "--json"]);
    assert_eq!(code, Some(2));
    assert_eq!(v["error"]["file"], "missing.yaml");
}

#[test]
fn validate_inspect_and_assign_json() {
    let w = project();
    let (v, _) = json(&w, &["validate", "pipeline.yaml", "--json"]);
    assert_eq!(v["pipeline"], "mall");
    let cols: Vec<&str> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, ["CustomerID", "Gender", "Age", "income", "spending"]);
    w.ok(&["run", "-q", "pipeline.yaml"]);
    let (v, _) = json(&w, &["inspect", "outputs/mall", "--json"]);
    assert_eq!(v["manifest"]["pipeline"], "mall");
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["state"] == "ok"),
        "{v}"
    );
    let (v, _) = json(
        &w,
        &[
            "inspect",
            "outputs/mall/segments.parquet",
            "--json",
            "--head",
            "3",
            "--describe",
        ],
    );
    let seg = read_parquet(&w.path("outputs/mall/segments.parquet"));
    assert_eq!(v["rows"].as_u64().unwrap() as usize, seg.height());
    assert_eq!(v["head"].as_array().unwrap().len(), 3);
    let first = v["head"][0]["CustomerID"].to_string();
    assert_eq!(first.trim_matches('"'), strs(&seg, "CustomerID")[0]);
    let describe = v["describe"].as_array().unwrap();
    assert_eq!(describe.len(), seg.width());
    let (v, code) = json(
        &w,
        &[
            "assign",
            "--model",
            "outputs/mall/model.json",
            "data/mall_customers.csv",
            "--out",
            "scored.csv",
            "--json",
        ],
    );
    assert_eq!(code, Some(0));
    let scored = std::fs::read_to_string(w.path("scored.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(v["customers"].as_u64().unwrap() as usize, scored);
    let per: u64 = v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(per, v["scored"].as_u64().unwrap());
    assert_eq!(
        v["scored"].as_u64().unwrap() + v["not_scored"].as_u64().unwrap(),
        scored as u64
    );
}
