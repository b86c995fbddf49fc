//! Agglomerative clustering against scikit-learn and SciPy (tests/fixtures/agglomerative.json,
//! made by tests/fixtures/make_agglomerative.py): the same merge heights and, cut at every
//! k from 2 to 8, the same partition, for Ward, average and complete linkage on three
//! fixtures. Then through the binary: the clusters artifact, model.json, `assign`
//! reproducing the training segments, and a tree grown on a sample.

use segflow::cluster::agglomerative::{cut, tree};
use segflow::cluster::Linkage;

use crate::common::{
    adjusted_rand, assert_rel, i64s, json, json_i64s, labelled_csv, read_parquet, Workdir,
};

const FILES: [&str; 3] = [
    "blobs_300_2_4.csv",
    "blobs_1000_5_6.csv",
    "customers_200.csv",
];

#[test]
fn trees_and_cuts_equal_scipy_and_scikit_learn() {
    let reference = json("agglomerative.json");
    let mut checked = 0;
    for file in FILES {
        let (x, _) = labelled_csv(file);
        for linkage in [Linkage::Ward, Linkage::Average, Linkage::Complete] {
            let r = &reference["files"][file][linkage.as_str()];
            let t = tree(&x, linkage);
            let heights = r["heights"].as_array().unwrap();
            assert_eq!(t.steps().len(), heights.len());
            for (step, h) in t.steps().iter().zip(heights) {
                let what = format!("{file} {linkage:?} merge height");
                assert_rel(step.dissimilarity, h.as_f64().unwrap(), 1e-9, &what);
            }
            for k in 2..=8 {
                let expected = json_i64s(&r["labels"][k.to_string()]);
                let got = cut(&t, k);
                let ari = adjusted_rand(&got, &expected);
                assert_eq!(ari, 1.0, "{file} {linkage:?} k={k}: ARI {ari}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * 3 * 7);
}

fn pipeline(name: &str, extra: &str) -> String {
    format!("name: {name}\ninput: {{path: customers.csv, id: id}}\nfeatures:\n  use: [age, income, score, male]\nscale: {{method: none}}\ncluster:\n  agglomerative: {{k: [2, 6], linkage: ward{extra}}}\n")
}

#[test]
fn a_run_gives_scikit_learns_segments_and_assign_says_whom_it_would_move() {
    let w = Workdir::new();
    crate::common::scaled_customers_csv(&w);
    w.write("p.yaml", &pipeline("ward", ""));
    let out = w.ok(&["run", "p.yaml"]);
    assert!(out.contains("agglomerative_k2 "), "{out}");
    let clusters = read_parquet(&w.path("outputs/ward/05_clusters.parquet"));
    let reference = json("agglomerative.json");
    let r = &reference["files"]["customers_200.csv"]["ward"]["labels"];
    for k in 2..=6 {
        let got = i64s(&clusters, &format!("agglomerative_k{k}"));
        assert_eq!(
            adjusted_rand(&got, &json_i64s(&r[k.to_string()])),
            1.0,
            "k={k}"
        );
    }
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path("outputs/ward/model.json")).unwrap())
            .unwrap();
    let chosen = model["chosen_model"].as_str().unwrap().to_string();
    assert!(chosen.starts_with("agglomerative_k"), "{chosen}");
    let m = model["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == chosen.as_str())
        .unwrap();
    assert_eq!(
        (m["algorithm"].as_str(), m["linkage"].as_str()),
        (Some("agglomerative"), Some("ward"))
    );
    // The report draws the top of the tree, cut where the chosen model is.
    let report = std::fs::read_to_string(w.path("outputs/ward/report.html")).unwrap();
    assert!(report.contains("id=\"chart-dendrogram\""));
    assert!(
        report.contains("The last 29 merges of the ward tree above the 30 clusters left before them (198 customers); the dashed line cuts it into the chosen agglomerative_k6's segments"),
        "{}",
        &report[report.find("chart-dendrogram").unwrap()..][..600]
    );
    // assign places each customer by the nearest final centroid: a tree's segments are not
    // the centres' regions, so a few customers land elsewhere, as the run said.
    let (assigned, trained, said) = crate::common::assign_training(&w, "ward");
    assert!(
        said.contains("scored 198 of 198 customers with agglomerative_k6"),
        "{said}"
    );
    assert_eq!(assigned.len(), 198);
    let moved = assigned
        .iter()
        .zip(&trained)
        .filter(|(a, t)| a != t)
        .count();
    // scikit-learn's Ward k = 6 labels against their nearest label mean: 7 differ.
    assert_eq!((chosen.as_str(), moved), ("agglomerative_k6", 7));
    let manifest = std::fs::read_to_string(w.path("outputs/ward/manifest.json")).unwrap();
    let said =
        format!("{chosen}: {moved} of 198 customers (3.5%) sit nearer another segment's centre");
    assert!(manifest.contains(&said), "{manifest}");
}

/// Above `max_rows` the tree grows on a seeded sample and every customer joins the nearest
/// centroid of its clusters: the same run twice gives the same labels.
#[test]
fn a_tree_on_a_sample_labels_every_customer() {
    let w = Workdir::new();
    crate::common::scaled_customers_csv(&w);
    w.write("p.yaml", &pipeline("sampled", ", max_rows: 120"));
    w.ok(&["run", "-q", "p.yaml"]);
    let a = read_parquet(&w.path("outputs/sampled/05_clusters.parquet"));
    w.write("q.yaml", &pipeline("sampled2", ", max_rows: 120"));
    w.ok(&["run", "-q", "q.yaml"]);
    let b = read_parquet(&w.path("outputs/sampled2/05_clusters.parquet"));
    assert!(a.equals(&b));
    let labels = i64s(&a, "agglomerative_k4");
    assert_eq!(labels.len(), 198);
    assert!(labels.iter().all(|&l| (0..4).contains(&l)));
    w.write("r.yaml", &pipeline("r", ", max_rows: 50000"));
    let msg = w.fails(&["run", "-q", "r.yaml"]);
    assert!(
        msg.contains("cluster.agglomerative.max_rows is at most 40000"),
        "{msg}"
    );
}
