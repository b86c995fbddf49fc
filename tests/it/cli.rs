//! The real binary on temporary folders: the default pipeline end to end, reproducibility,
//! and what a failing or killed run leaves behind.

use crate::common::{read_parquet, root, Workdir};

const ARTIFACTS: [&str; 14] = [
    "01_ingest.parquet",
    "02_clean.parquet",
    "02_clean_dropped.parquet",
    "03_features.parquet",
    "04_scaled.parquet",
    "05_clusters.parquet",
    "06_evaluation.parquet",
    "07_profile.parquet",
    "segments.parquet",
    "segments.csv",
    "model.json",
    "report.html",
    "charts/elbow.png",
    "manifest.json",
];

/// A workdir holding the project's default pipeline and data.
pub fn default_project() -> Workdir {
    let w = Workdir::new();
    w.copy(&root().join("pipeline.yaml"), "pipeline.yaml");
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w
}

fn bytes(w: &Workdir, rel: &str) -> Vec<u8> {
    std::fs::read(w.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn default_pipeline_writes_every_artifact() {
    let w = default_project();
    let out = w.ok(&["run", "pipeline.yaml"]);
    assert!(
        out.contains("kmeans_k5") && out.contains("<- chosen"),
        "{out}"
    );
    for a in ARTIFACTS {
        assert!(w.path("outputs/mall").join(a).is_file(), "missing {a}");
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(w.path("outputs/mall"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".segflow-"))
        .collect();
    assert!(leftovers.is_empty());
    // The manifest's write_seconds is the writing alone: the k-means sweep is not in it.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(w.path("outputs/mall/manifest.json")).unwrap(),
    )
    .unwrap();
    let cluster = manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "cluster")
        .unwrap();
    let (all, writing) = (
        cluster["seconds"].as_f64().unwrap(),
        cluster["write_seconds"].as_f64().unwrap(),
    );
    assert!(writing > 0.0 && writing < all / 2.0, "{writing} of {all}");

    // The generated data has 200 customers, 2 gross outliers: both in the audit table.
    let dropped = read_parquet(&w.path("outputs/mall/02_clean_dropped.parquet"));
    assert_eq!(dropped.height(), 2);
    let reasons = dropped.column("reason").unwrap().str().unwrap();
    assert!(
        reasons.iter().flatten().all(|r| r.starts_with("outlier: ")),
        "{reasons:?}"
    );
    let clean = read_parquet(&w.path("outputs/mall/02_clean.parquet"));
    assert_eq!(clean.height() + dropped.height(), 200, "no row is lost");
    assert_eq!(clean.column("Age").unwrap().null_count(), 0, "ages imputed");

    // The deliverable: every kept customer with a segment and its name.
    let csv = std::fs::read_to_string(w.path("outputs/mall/segments.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("CustomerID,") && header.ends_with(",segment,segment_name"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 199);

    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&w, "outputs/mall/manifest.json")).unwrap();
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["stages"].as_array().unwrap().len(), 7);
    assert_eq!(manifest["stages"][1]["rows_out"], 198);
    assert_eq!(manifest["chosen_model"], "kmeans_k5");
    // The report: one self-contained page with inline SVG charts, and every chart as PNG.
    let report = String::from_utf8(bytes(&w, "outputs/mall/report.html")).unwrap();
    assert!(report.contains("<h1>Customer segments: mall</h1>"));
    assert!(
        report
            .contains("<div class=\"card\" id=\"segment-1\"><h3>High income · high spending</h3>"),
        "segment cards, by name"
    );
    assert!(
        report.contains("<td>outlier: Age</td>"),
        "dropped rows by reason"
    );
    let charts = [
        "hist_income",
        "hist_spending",
        "hist_age",
        "bars_gender",
        "correlation",
        "pair_income__spending",
        "elbow",
        "silhouette",
        "stability",
        "davies_bouldin",
        "calinski_harabasz",
        "silhouette_clusters",
        "k_distance",
        "value_shares",
        "value_concentration",
        "segment_sizes",
        "box_spending",
        "box_income",
        "segments_pca",
        "segment_zscores",
    ];
    assert_eq!(report.matches("<svg").count(), charts.len());
    assert!(
        report.matches("<script").count() == 1
            && !report.contains("<script src")
            && !report.contains("src=\"http"),
        "one inline script (table sorting), nothing loaded from the network"
    );
    for chart in charts {
        assert!(
            report.contains(&format!("<figure id=\"chart-{chart}\"><svg")),
            "{chart} inline"
        );
        assert!(
            bytes(&w, &format!("outputs/mall/charts/{chart}.png")).starts_with(b"\x89PNG"),
            "{chart}.png"
        );
        assert!(
            String::from_utf8(bytes(&w, &format!("outputs/mall/charts/{chart}.svg")))
                .unwrap()
                .contains("<svg")
        );
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(w.path("outputs/mall/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = charts
        .iter()
        .flat_map(|c| [format!("{c}.png"), format!("{c}.svg")])
        .collect();
    expected.sort();
    assert_eq!(on_disk, expected);
    let model: serde_json::Value =
        serde_json::from_slice(&bytes(&w, "outputs/mall/model.json")).unwrap();
    assert_eq!(
        model["scaler"]["columns"],
        serde_json::json!(["income", "spending"])
    );
    assert_eq!(model["segments"].as_array().unwrap().len(), 5);
}

#[test]
fn same_config_and_input_give_byte_identical_artifacts_on_any_thread_count() {
    let w = default_project();
    let mut runs = Vec::new();
    for threads in ["1", "2", "2"] {
        let out = w.run_env(
            &["run", "-q", "pipeline.yaml"],
            &[
                ("RAYON_NUM_THREADS", threads),
                ("POLARS_MAX_THREADS", threads),
            ],
        );
        assert!(out.status.success());
        let files: Vec<Vec<u8>> = ARTIFACTS[..13]
            .iter()
            .map(|a| bytes(&w, &format!("outputs/mall/{a}")))
            .collect();
        runs.push(files);
    }
    for (i, a) in ARTIFACTS[..13].iter().enumerate() {
        assert_eq!(
            runs[0][i], runs[1][i],
            "{a} differs between 1 and 2 threads"
        );
        assert_eq!(runs[1][i], runs[2][i], "{a} differs between two runs");
    }
}

#[test]
fn generator_is_deterministic_and_made_the_shipped_data() {
    let w = Workdir::new();
    let customers = |seed: &str, out: &str| {
        w.ok(&[
            "generate",
            "customers",
            "--rows",
            "200",
            "--seed",
            seed,
            "--out",
            out,
        ]);
    };
    customers("42", "a.csv");
    assert_eq!(
        bytes(&w, "a.csv"),
        std::fs::read(root().join("data/mall_customers.csv")).unwrap()
    );
    customers("7", "b.csv");
    assert_ne!(bytes(&w, "a.csv"), bytes(&w, "b.csv"));
    // Parquet for a .parquet name: the same customers, value for value.
    customers("42", "a.parquet");
    let table = crate::common::read_parquet(&w.path("a.parquet"));
    let csv = std::fs::read_to_string(w.path("a.csv")).unwrap();
    let lines: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(table.height(), 200);
    let ids = crate::common::strs(&table, "CustomerID");
    let genders = table.column("Gender").unwrap().str().unwrap().clone();
    let ages = table.column("Age").unwrap().f64().unwrap().clone();
    let scores = crate::common::f64s(&table, "Spending Score (1-100)");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(ids[i], l[0]);
        assert_eq!(genders.get(i).unwrap_or(""), l[1]);
        assert_eq!(ages.get(i).map(|a| a.to_string()).unwrap_or_default(), l[2]);
        assert_eq!(scores[i].to_string(), l[4]);
    }
}

/// `bench` with a case's shared data absent says so and goes on; with the data present
/// but no Python peer, it runs the case alone and says how to install the peer.
#[test]
fn bench_skips_absent_data_and_peer_with_the_reason() {
    let w = Workdir::new();
    let bench = |env: &[(&str, &str)]| {
        w.run_env(
            &[
                "bench",
                "--dir",
                "b",
                "--runs",
                "1",
                "--only",
                "online_retail",
            ],
            env,
        )
    };
    let none = w.path("none");
    let err = bench(&[("SEGFLOW_SHARED_DATA", none.to_str().unwrap())]);
    let said = String::from_utf8_lossy(&err.stderr);
    assert!(err.status.success(), "{said}");
    assert!(said.contains("online_retail skipped: "), "{said}");
    assert!(said.contains("online_retail.parquet is absent"), "{said}");
    // A small file in the real one's place, and no peer.
    std::fs::create_dir_all(w.path("shared")).unwrap();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "200",
        "--rows",
        "3000",
        "--out",
        "shared/online_retail.parquet",
    ]);
    let shared = w.path("shared");
    let out = bench(&[
        ("SEGFLOW_SHARED_DATA", shared.to_str().unwrap()),
        ("SEGFLOW_PEER_PYTHON", "/nonexistent/python"),
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("python peer skipped (no ratios)"), "{said}");
    assert!(
        said.contains("pip install polars pandas numpy scikit-learn"),
        "{said}"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("online_retail") && !table.contains("python peer"),
        "{table}"
    );
}

#[test]
fn a_failing_stage_keeps_the_earlier_artifacts_and_says_where_it_failed() {
    let w = default_project();
    w.ok(&["run", "-q", "pipeline.yaml"]);
    let before = bytes(&w, "outputs/mall/04_scaled.parquet");
    let text = std::fs::read_to_string(w.path("pipeline.yaml")).unwrap();
    w.write(
        "pipeline.yaml",
        &text.replace("k: [2, 10]", "k: [200, 205]"),
    );
    let err = w.fails(&["run", "-q", "pipeline.yaml"]);
    assert!(
        err.contains("pipeline.yaml:28:12: cluster.kmeans.k goes up to 205")
            && err.contains("only 198 customers are left"),
        "{err}"
    );
    assert_eq!(bytes(&w, "outputs/mall/04_scaled.parquet"), before);
    read_parquet(&w.path("outputs/mall/05_clusters.parquet"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&w, "outputs/mall/manifest.json")).unwrap();
    assert!(
        manifest["status"]
            .as_str()
            .unwrap()
            .starts_with("failed in stage cluster"),
        "{}",
        manifest["status"]
    );
    assert_eq!(manifest["stages"].as_array().unwrap().len(), 4);
}

#[test]
fn a_crash_mid_write_never_leaves_a_half_written_artifact_and_a_rerun_recovers() {
    let reference = default_project();
    reference.ok(&["run", "-q", "pipeline.yaml"]);
    let w = default_project();
    // Abort just before the 6th file (03_features.parquet; each stage also writes its cache
    // entry) is renamed into place.
    let out = w.run_env(
        &["run", "-q", "pipeline.yaml"],
        &[("SEGFLOW_ABORT_AT", "write:6")],
    );
    assert!(!out.status.success());
    assert!(w.path("outputs/mall/02_clean.parquet").is_file());
    assert!(
        !w.path("outputs/mall/03_features.parquet").exists(),
        "no partial file under the final name"
    );
    assert!(!w.path("outputs/mall/manifest.json").exists());
    w.ok(&["run", "-q", "pipeline.yaml"]);
    for a in &ARTIFACTS[..13] {
        assert_eq!(
            bytes(&w, &format!("outputs/mall/{a}")),
            bytes(&reference, &format!("outputs/mall/{a}")),
            "{a}"
        );
    }
    let leftovers = std::fs::read_dir(w.path("outputs/mall"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".segflow-"))
        .count();
    assert_eq!(
        leftovers, 0,
        "the rerun removes the crashed run's temporary files"
    );
}

#[test]
fn a_crash_at_every_write_then_a_rerun_gives_the_uninterrupted_artifacts() {
    let reference = default_project();
    reference.ok(&["run", "-q", "pipeline.yaml"]);
    let w = default_project();
    let mut n = 1;
    loop {
        let n_str = format!("write:{n}");
        let out = w.run_env(
            &["run", "-q", "pipeline.yaml", "--force"],
            &[("SEGFLOW_ABORT_AT", n_str.as_str())],
        );
        if out.status.success() {
            break; // fewer writes than n: the run completed
        }
        // Every file under its final name is whole.
        for a in ARTIFACTS.iter().filter(|a| a.ends_with(".parquet")) {
            let p = w.path("outputs/mall").join(a);
            if p.exists() {
                read_parquet(&p);
            }
        }
        w.ok(&["run", "-q", "pipeline.yaml"]);
        for a in &ARTIFACTS[..13] {
            assert_eq!(
                bytes(&w, &format!("outputs/mall/{a}")),
                bytes(&reference, &format!("outputs/mall/{a}")),
                "{a} after a crash at write {n}"
            );
        }
        n += 1;
        assert!(n < 100);
    }
    assert!(n > 15, "crashed at each of the {} writes of a run", n - 1);
}

#[test]
fn completions_offer_the_subcommands_and_the_stage_names_and_man_renders() {
    let w = Workdir::new();
    let bash = w.ok(&["completions", "bash"]);
    assert!(bash.contains("_segflow()"), "a bash completion function");
    for word in ["run", "validate", "assign", "completions"] {
        assert!(bash.contains(word), "{word} is completed");
    }
    // --from and --until complete to the stage names, in run order.
    assert!(
        bash.contains("ingest clean features scale cluster evaluate predict profile"),
        "stage names offered"
    );
    for shell in ["zsh", "fish", "powershell"] {
        assert!(w.ok(&["completions", shell]).contains("segflow"), "{shell}");
    }
    let man = w.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH segflow"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("Customer segmentation"));
    // Every subcommand's help ends with an example; a wrong stage name lists the right ones.
    for cmd in [
        "run",
        "validate",
        "inspect",
        "assign",
        "bench",
        "generate",
        "completions",
        "man",
    ] {
        let help = w.ok(&[cmd, "--help"]);
        assert!(help.contains("Example:\n  "), "{cmd} --help has an example");
    }
    let out = w.run(&["run", "p.yaml", "--until", "featurs"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("[possible values: ingest, clean, features"),
        "{err}"
    );
}

/// `bench --spark` from a build without the Spark engine: exit 2 saying how to build it,
/// before generating any data.
#[cfg(not(feature = "spark"))]
#[test]
fn bench_spark_needs_the_spark_build() {
    let w = Workdir::new();
    let err = w.fails(&["bench", "--spark", "--dir", "b", "--only", "spark"]);
    assert!(
        err.contains(
            "--spark needs the Spark engine: build with `cargo build --release --features spark`"
        ),
        "{err}"
    );
    assert!(!w.path("b").exists());
}
