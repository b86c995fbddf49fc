//! `segflow assign` places customers with the run's fitted cleaning, features and scaling:
//! the training customers get their own segments back, for K-means and for DBSCAN, and a
//! customer that cannot be scored gets a reason instead of a crash.

use std::collections::HashMap;

use crate::common::{root, Workdir};

fn project(choose_from: &str) -> Workdir {
    let w = Workdir::new();
    let text = std::fs::read_to_string(root().join("pipeline.yaml")).unwrap();
    w.write(
        "pipeline.yaml",
        &text.replace(
            "choose_from: kmeans",
            &format!("choose_from: {choose_from}"),
        ),
    );
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w.ok(&["run", "-q", "pipeline.yaml"]);
    w
}

/// id → (segment, reason) from a CSV with columns id, segment, segment_name, reason.
fn read_scored(w: &Workdir, rel: &str) -> HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(w.path(rel)).unwrap();
    let mut out = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        out.insert(
            f[0].to_string(),
            (f[1].to_string(), f[3].trim_matches('"').to_string()),
        );
    }
    out
}

/// id → segment from the run's segments.csv (segment is the second-to-last column).
fn trained(w: &Workdir) -> HashMap<String, String> {
    let text = std::fs::read_to_string(w.path("outputs/mall/segments.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[f.len() - 2].to_string())
        })
        .collect()
}

/// Scores the training file with the run's model into `scored.csv`; returns stdout.
fn assign_training_file(w: &Workdir) -> String {
    w.ok(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "data/mall_customers.csv",
        "--out",
        "scored.csv",
    ])
}

fn roundtrip(choose_from: &str) {
    let w = project(choose_from);
    let out = assign_training_file(&w);
    assert!(out.contains("scored 198 of 200 customers"), "{out}");
    let scored = read_scored(&w, "scored.csv");
    let trained = trained(&w);
    assert_eq!(trained.len(), 198);
    for (id, seg) in &trained {
        assert_eq!(&scored[id].0, seg, "customer {id}");
    }
    // The two customers the run dropped as outliers are not scored, and say why.
    let unscored: Vec<_> = scored.iter().filter(|(_, (s, _))| s.is_empty()).collect();
    assert_eq!(unscored.len(), 2);
    assert!(
        unscored
            .iter()
            .all(|(_, (_, r))| r.starts_with("outlier: ")),
        "{unscored:?}"
    );
}

#[test]
fn kmeans_training_customers_get_their_segments_back() {
    roundtrip("kmeans");
}

#[test]
fn kmeans_fitted_on_a_sample_labels_and_scores_every_customer() {
    let w = project("kmeans");
    let text = std::fs::read_to_string(w.path("pipeline.yaml")).unwrap();
    w.write(
        "pipeline.yaml",
        &text.replace("max_iter: 300}", "max_iter: 300, fit_sample: 120}"),
    );
    w.ok(&["run", "-q", "pipeline.yaml"]);
    // Every one of the 198 customers has a segment, and assign gives each the same one.
    let trained = trained(&w);
    assert_eq!(trained.len(), 198);
    assign_training_file(&w);
    let scored = read_scored(&w, "scored.csv");
    for (id, seg) in &trained {
        assert_eq!(&scored[id].0, seg, "customer {id}");
    }
    let report = std::fs::read_to_string(w.path("outputs/mall/report.html")).unwrap();
    assert!(
        report.contains("fitted on a seeded sample of 120 of the 198 customers"),
        "the report says the model was fitted on a sample"
    );
    // Same config, same sample, same bytes.
    let before = std::fs::read(w.path("outputs/mall/05_clusters.parquet")).unwrap();
    w.ok(&["run", "-q", "--force", "pipeline.yaml"]);
    assert_eq!(
        before,
        std::fs::read(w.path("outputs/mall/05_clusters.parquet")).unwrap()
    );
}

#[test]
fn dbscan_training_customers_get_their_segments_back_noise_included() {
    roundtrip("dbscan");
    let w = project("dbscan");
    w.ok(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "data/mall_customers.csv",
        "--out",
        "s.csv",
    ]);
    let noise = read_scored(&w, "s.csv")
        .values()
        .filter(|(s, _)| s == "-1")
        .count();
    assert!(
        noise > 0,
        "the DBSCAN run has noise points and they stay noise"
    );
}

#[test]
fn unscorable_customers_get_a_reason_and_the_rest_are_scored() {
    let w = project("kmeans");
    w.write(
        "new.csv",
        "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n\
         1001,Female,30,90,85\n\
         1002,Other,30,90,85\n\
         1003,Male,30,,85\n\
         1004,Male,30,20,\n\
         1005,,41,20,15\n\
         1006,Male,41,20,lots\n\
         1013,Male,30,61.5,85\n\
         1014,Male,30,20,49.5\n\
         1015,Female,41,20,15\n",
    );
    w.ok(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "new.csv",
        "--out",
        "s.csv",
    ]);
    let s = read_scored(&w, "s.csv");
    assert!(!s["1001"].0.is_empty() && s["1001"].1.is_empty());
    assert_eq!(s["1002"].0, "");
    assert!(
        s["1002"]
            .1
            .contains("unknown Gender level `Other` (known: Female, Male)"),
        "{:?}",
        s["1002"]
    );
    // The fills the run fitted (checked here, so that the twins below mean what they say).
    let model = std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap();
    for fill in [
        "{\"column\":\"income\",\"value\":61.5",
        "{\"column\":\"spending\",\"value\":49.5",
        "{\"column\":\"Gender\",\"value\":\"Female\"",
    ] {
        assert!(model.replace([' ', '\n'], "").contains(fill), "{fill}");
    }
    // A missing income is imputed with the run's median, as in training: the segment of
    // the same customer with the median written in (1013).
    assert!(!s["1003"].0.is_empty(), "{:?}", s["1003"]);
    assert_eq!(s["1003"], s["1013"]);
    // The run saw no missing spending but fitted a median for it all the same (1014).
    assert!(!s["1004"].0.is_empty(), "{:?}", s["1004"]);
    assert_eq!(s["1004"], s["1014"]);
    // Text in a numeric column: that customer is not scored, the others are.
    assert_eq!(
        s["1006"],
        (
            String::new(),
            "spending is not a number: `lots`".to_string()
        )
    );
    // A missing gender is filled with the run's mode (1015 has it written in).
    assert!(!s["1005"].0.is_empty(), "{:?}", s["1005"]);
    assert_eq!(s["1005"], s["1015"]);
    // Same customer as 1001 in a Parquet output.
    w.ok(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "new.csv",
        "--out",
        "s.parquet",
    ]);
    let df = crate::common::read_parquet(&w.path("s.parquet"));
    assert_eq!(df.height(), 9);
    let ids = crate::common::strs(&df, "CustomerID");
    let segments = crate::common::strs(&df, "segment");
    let at = ids.iter().position(|i| i == "1001").unwrap();
    assert_eq!(segments[at], s["1001"].0);
}

#[test]
fn a_missing_column_or_a_bad_model_is_a_clear_error() {
    let w = project("kmeans");
    w.write(
        "new.csv",
        "CustomerID,Gender,Age,Annual Income (k$)\n1,Male,30,40\n",
    );
    let err = w.fails(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "new.csv",
        "--out",
        "s.csv",
    ]);
    assert!(err.contains("input.rename: column `Spending Score (1-100)` is not in new.csv. The columns are: `CustomerID`, `Gender`, `Age`, `income`"), "{err}");
    w.write(
        "new2.csv",
        "CustomerID,Gender,Annual Income (k$),Spending Score (1-100)\n1,Male,40,50\n",
    );
    let err = w.fails(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "new2.csv",
        "--out",
        "s.csv",
    ]);
    assert!(err.contains("column `Age`, which the model uses, is not in new2.csv (after the run's renames). The columns are: `CustomerID`, `Gender`, `income`, `spending`"), "{err}");
    w.write("bad.json", "{}");
    let err = w.fails(&["assign", "--model", "bad.json", "new.csv", "--out", "s.csv"]);
    assert!(
        err.contains("bad.json is not a segflow model.json"),
        "{err}"
    );
    assert!(!w.path("s.csv").exists());
    // Hand edits that leave the parts disagreeing: exit 2 naming what, never a panic.
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap())
            .unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(Edit, &str); 4] = [
        (
            |m| _ = m["scaler"]["center"].as_array_mut().unwrap().pop(),
            "the scaler has 2 columns but 1 centres and 2 scales",
        ),
        (
            |m| m["chosen_model"] = "kmeans_k99".into(),
            "the chosen model `kmeans_k99` is not among its models",
        ),
        (
            |m| {
                m["models"][0]["centroids"][0]
                    .as_array_mut()
                    .unwrap()
                    .push(1.0.into())
            },
            "model `kmeans_k2` has a centroid of 3 numbers for 2 columns",
        ),
        (
            |m| m["schema_version"] = 7.into(),
            "has model schema version 7, this segflow reads version 1",
        ),
    ];
    for (edit, want) in edits {
        let mut m = model.clone();
        edit(&mut m);
        w.write("edited.json", &m.to_string());
        let err = w.fails(&[
            "assign",
            "--model",
            "edited.json",
            "new2.csv",
            "--out",
            "s.csv",
        ]);
        assert!(err.contains(want), "{want}: {err}");
        assert!(!w.path("s.csv").exists());
    }
}

#[test]
fn inspect_summarises_a_run_and_flags_modified_artifacts() {
    let w = project("kmeans");
    let out = w.ok(&["inspect", "outputs/mall"]);
    assert!(out.contains("pipeline mall (complete)"), "{out}");
    assert!(out.contains("cluster        198       198"), "{out}");
    // 7 stage artifacts, the audit table, segments.parquet/.csv, model.json, report.html,
    // the 5 segments' own CSVs, and 20 charts as SVG and PNG: histograms of income, spending
    // and Age, Gender's bars, correlation, one pair plot, elbow, silhouette, stability,
    // Davies-Bouldin, Calinski-Harabasz, per-cluster silhouette, k-distance, value shares and
    // concentration, sizes, box plots of spending and income, PCA, z-scores.
    assert_eq!(out.matches("(ok)").count(), 12 + 5 + 2 * 20, "{out}");
    std::fs::write(w.path("outputs/mall/segments.csv"), "changed").unwrap();
    let out = w.ok(&["inspect", "outputs/mall"]);
    assert!(
        out.contains("segments.csv") && out.contains("MODIFIED since the run"),
        "{out}"
    );
    let out = w.ok(&[
        "inspect",
        "outputs/mall/06_evaluation.parquet",
        "--schema",
        "--describe",
        "--head",
        "2",
    ]);
    assert!(
        out.contains("06_evaluation.parquet: 10 rows × 18 columns"),
        "{out}"
    );
    assert!(out.contains("  silhouette: f64"), "{out}");
    assert!(out.contains("shape: (2, 18)"), "{out}");
    assert!(out.contains("  stability_min: f64"), "{out}");
    let err = w.fails(&["inspect", "nothing.parquet"]);
    assert!(err.contains("nothing.parquet"), "{err}");
}

/// The stages (fit and apply) and `assign` (apply the fitted values) go through the same
/// transforms: on the training rows — gaps filled, outliers clipped, a derived column, a
/// one-hot column — assign's model-space rows are the scaled matrix bit for bit; new
/// customers with gaps, outliers and an unseen level are filled, clipped and refused as
/// the run would.
#[test]
fn assign_applies_the_stages_transforms_bit_for_bit() {
    use polars::prelude::*;
    use segflow::model::{Fitted, ModelFile};
    use segflow::stages::{clean, features, scale};

    let yaml = "name: t\ninput: {path: x.csv, id: id}\n\
        clean:\n  impute: {numeric: median, categorical: mode}\n  outliers: {method: iqr, factor: 1.5, columns: [income], action: clip}\n\
        features:\n  derive: {ratio: \"spend / income\"}\n  one_hot: [sex]\n  use: [age, income, spend, ratio, sex]\n\
        scale: {method: robust}\ncluster: {kmeans: {k: 2}}\n";
    let plan = segflow::config::parse(std::path::Path::new("t.yaml"), yaml.into()).unwrap();
    let train = df!(
        "id" => ["a", "b", "c", "d", "e", "f", "g"],
        "age" => [Some(30i64), None, Some(45), Some(23), Some(51), Some(38), Some(29)],
        "income" => [Some(40.0), Some(52.0), None, Some(61.0), Some(900.0), Some(47.0), Some(55.0)],
        "spend" => [Some(3.0), Some(5.5), Some(2.0), None, Some(7.0), Some(4.0), Some(6.0)],
        "sex" => [Some("F"), None, Some("M"), Some("F"), Some("M"), Some("M"), Some("F")],
    )
    .unwrap();

    // The stage path.
    let cleaned = clean::run(&train, &plan.clean, "id").unwrap();
    assert_eq!(cleaned.data.height(), 7, "clipping keeps every row");
    let feats = features::run(&cleaned.data, &plan.features, "id").unwrap();
    let scaled = scale::run(&feats.data, &feats.model_columns, plan.scale, "id").unwrap();
    let fitted = Fitted {
        clean: &cleaned.model,
        encodings: &feats.encodings,
        scaler: &scaled.scaler,
    };
    let x = &scaled.matrix;
    let model = ModelFile::of_run(&plan, fitted, &[], &dummy_model(), x, &[]);

    // The assign path on the same rows.
    let prepared = segflow::assign::prepare(&model, train.clone()).unwrap();
    for i in 0..x.n {
        let row = prepared.rows[i]
            .as_ref()
            .expect("every training row is scored");
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(row), bits(x.row(i)), "row {i}");
    }

    // New customers: a gap (filled with the run's median), an outlier (clipped to the run's
    // bound) and an unseen level (refused with its reason).
    let new = df!(
        "id" => ["n1", "n2", "n3"],
        "age" => [None, Some(40i64), Some(40)],
        "income" => [Some(50.0), Some(1.0e6), Some(50.0)],
        "spend" => [Some(4.0), Some(4.0), Some(4.0)],
        "sex" => [Some("F"), Some("M"), Some("X")],
    )
    .unwrap();
    let p = segflow::assign::prepare(&model, new).unwrap();
    let age =
        p.df.column("age")
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap();
    let median_age = cleaned
        .model
        .fills
        .iter()
        .find(|f| f.column == "age")
        .unwrap();
    assert_eq!(age.f64().unwrap().get(0), median_age.value.as_f64());
    let upper = cleaned.model.bounds[0].upper;
    let income = p.df.column("income").unwrap().f64().unwrap().get(1);
    assert_eq!(income, Some(upper));
    assert!(p.rows[0].is_some() && p.rows[1].is_some());
    assert_eq!(p.rows[2], None);
    assert_eq!(p.reasons[2], ["unknown sex level `X` (known: F, M)"]);
}

fn dummy_model() -> segflow::cluster::Model {
    segflow::cluster::Model {
        name: "kmeans_k2".into(),
        fit: segflow::cluster::Fit::Kmeans { k: 2 },
        n_clusters: 2,
        labels: Vec::new(),
        centroids: Vec::new(),
        segment_ids: Vec::new(),
    }
}

/// `--engine spark` needs a Parquet dataset for `--out`; a build without the Spark engine
/// says how to get one (checked before reaching for a cluster).
#[test]
fn spark_scoring_needs_a_dataset_and_the_spark_build() {
    let w = project("dbscan");
    let run = |out: &str| {
        w.fails(&[
            "assign",
            "--model",
            "outputs/mall/model.json",
            "data/mall_customers.csv",
            "--out",
            out,
            "--engine",
            "spark",
            "--remote",
            "sc://127.0.0.1:1",
        ])
    };
    let err = run("scored.csv");
    assert!(
        err.contains("--engine spark writes a Parquet dataset"),
        "{err}"
    );
    let err = run("scored");
    if cfg!(feature = "spark") {
        assert!(
            err.contains("cannot reach the Spark Connect server at sc://127.0.0.1:1"),
            "{err}"
        );
    } else {
        assert!(err.contains("this segflow was built without the Spark engine: build it with `cargo build --release --features spark`"), "{err}");
    }
    assert!(!w.path("scored").exists());
}
