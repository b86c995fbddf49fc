//! The stage cache: unchanged stages are skipped, a changed config section re-runs from
//! that stage, and `--force`, `--from` and `--until` do what they say.

use crate::common::{root, Workdir};

fn project() -> Workdir {
    let w = Workdir::new();
    w.copy(&root().join("pipeline.yaml"), "pipeline.yaml");
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w
}

/// Runs and returns which stages were cached, in order, from the manifest.
fn cached(w: &Workdir, extra: &[&str]) -> Vec<bool> {
    let mut args = vec!["run", "-q", "pipeline.yaml"];
    args.extend_from_slice(extra);
    w.ok(&args);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("outputs/mall/manifest.json")).unwrap())
            .unwrap();
    m["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cached"].as_bool().unwrap())
        .collect()
}

fn edit(w: &Workdir, from: &str, to: &str) {
    let text = std::fs::read_to_string(w.path("pipeline.yaml")).unwrap();
    assert!(text.contains(from), "{from}");
    w.write("pipeline.yaml", &text.replace(from, to));
}

const ALL: [bool; 7] = [true; 7];
const NONE: [bool; 7] = [false; 7];

#[test]
fn a_second_run_is_all_cached_and_identical() {
    let w = project();
    assert_eq!(cached(&w, &[]), NONE);
    let first = std::fs::read(w.path("outputs/mall/segments.parquet")).unwrap();
    assert_eq!(cached(&w, &[]), ALL);
    assert_eq!(
        std::fs::read(w.path("outputs/mall/segments.parquet")).unwrap(),
        first
    );
}

#[test]
fn editing_one_section_reruns_from_that_stage() {
    let w = project();
    cached(&w, &[]);
    edit(&w, "top_features: 2", "top_features: 1");
    assert_eq!(cached(&w, &[]), [true, true, true, true, true, true, false]);
    edit(
        &w,
        "dbscan: {eps: 0.3, min_samples: 5}",
        "dbscan: {eps: 0.35, min_samples: 5}",
    );
    assert_eq!(
        cached(&w, &[]),
        [true, true, true, true, false, false, false]
    );
    let model_before = std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap();
    edit(&w, "factor: 1.5", "factor: 3.0");
    // With factor 3 the same two gross outliers go and the cleaned table is byte-identical,
    // but the fitted bounds (which model.json carries) changed: everything after re-runs.
    assert_eq!(
        cached(&w, &[]),
        [true, false, false, false, false, false, false]
    );
    let model = std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap();
    assert_ne!(model, model_before, "model.json carries the new bounds");
    edit(&w, "method: standard", "method: minmax");
    assert_eq!(
        cached(&w, &[]),
        [true, true, true, false, false, false, false]
    );
}

#[test]
fn the_input_is_judged_by_content_not_by_timestamp() {
    let w = project();
    cached(&w, &[]);
    // Rewrite the same bytes (a new mtime): still cached.
    let bytes = std::fs::read(w.path("data/mall_customers.csv")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(w.path("data/mall_customers.csv"), &bytes).unwrap();
    assert_eq!(cached(&w, &[]), ALL);
    // Change one customer's spending score: everything re-runs.
    let text = String::from_utf8(bytes).unwrap();
    let changed = text.replacen("\n1,Male,33,84,15\n", "\n1,Male,33,84,16\n", 1);
    assert_ne!(changed, text);
    std::fs::write(w.path("data/mall_customers.csv"), changed).unwrap();
    assert_eq!(cached(&w, &[]), NONE);
}

#[test]
fn a_tampered_artifact_is_recomputed() {
    let w = project();
    cached(&w, &[]);
    let good = std::fs::read(w.path("outputs/mall/04_scaled.parquet")).unwrap();
    std::fs::write(w.path("outputs/mall/04_scaled.parquet"), b"not parquet").unwrap();
    assert_eq!(cached(&w, &[]), [true, true, true, false, true, true, true]);
    assert_eq!(
        std::fs::read(w.path("outputs/mall/04_scaled.parquet")).unwrap(),
        good
    );
}

#[test]
fn force_from_and_until() {
    let w = project();
    cached(&w, &[]);
    assert_eq!(cached(&w, &["--force"]), NONE);
    assert_eq!(
        cached(&w, &["--from", "cluster"]),
        [true, true, true, true, false, false, false]
    );
    let w2 = project();
    assert_eq!(cached(&w2, &["--until", "scale"]), [false; 4]);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w2.path("outputs/mall/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["status"], "stopped after stage scale");
    assert!(!w2.path("outputs/mall/05_clusters.parquet").exists());
    assert_eq!(
        cached(&w2, &[]),
        [true, true, true, true, false, false, false]
    );
    let err = w.fails(&["run", "pipeline.yaml", "--from", "clustr"]);
    assert!(
        err.contains("invalid value 'clustr' for '--from <STAGE>'")
            && err.contains(
                "[possible values: ingest, clean, features, scale, cluster, evaluate, predict, profile]"
            )
            && err.contains("a similar value exists: 'cluster'"),
        "{err}"
    );
}

/// The column names given to a headerless file are part of what ingest read: new names
/// (here two swapped) read the file again, so the features follow the new names.
#[test]
fn new_names_for_a_headerless_file_read_it_again() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(root().join("data/mall_customers.csv")).unwrap();
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    w.write("data/mall.csv", &body);
    let yaml = |names: &str| {
        format!("name: mall\ninput:\n  path: data/mall.csv\n  id: id\n  header: false\n  names: [{names}]\nfeatures:\n  one_hot: [gender]\n  use: [income, spending]\ncluster:\n  kmeans: {{k: 3}}\n")
    };
    w.write("pipeline.yaml", &yaml("id, gender, age, income, spending"));
    assert_eq!(cached(&w, &[]), NONE);
    let before = std::fs::read(w.path("outputs/mall/03_features.parquet")).unwrap();
    w.write("pipeline.yaml", &yaml("id, gender, age, spending, income"));
    assert!(!cached(&w, &[])[0], "ingest ran again");
    let after = std::fs::read(w.path("outputs/mall/03_features.parquet")).unwrap();
    assert_ne!(before, after);
}
