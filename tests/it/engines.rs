//! The two K-means engines (segflow's parallel Lloyd, smartcore's) reach the same partition
//! and WCSS as scikit-learn on the well-separated fixtures, and DBSCAN's neighbour search
//! (grid or brute force) gives the same labels.

use crate::common::{adjusted_rand, assert_rel, json, labelled_csv};
use segflow::cluster::dbscan;
use segflow::cluster::kmeans::{fit_with, Engine};

fn check(name: &str) {
    let (x, labels) = labelled_csv(&format!("{name}.csv"));
    let j = json(&format!("{name}.json"));
    let k = j["k"].as_u64().unwrap() as usize;
    let theirs: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    for engine in [Engine::Lloyd, Engine::Smartcore] {
        let (ours, wcss) = fit_with(engine, &x, k, 10, 300, 42).unwrap();
        let ours: Vec<i64> = ours.iter().map(|&l| l as i64).collect();
        assert_eq!(adjusted_rand(&ours, &theirs), 1.0, "{name} {engine:?}");
        assert_rel(
            wcss,
            j["wcss_from_labels"].as_f64().unwrap(),
            1e-9,
            &format!("{name} {engine:?} WCSS"),
        );
    }
}

#[test]
fn engines_agree_on_blobs_300_2_4() {
    check("blobs_300_2_4");
}

#[test]
fn engines_agree_on_blobs_1000_5_6() {
    check("blobs_1000_5_6");
}

#[test]
fn engines_agree_on_singleton_identical() {
    check("singleton_identical");
}

#[test]
fn lloyd_is_the_same_on_any_thread_count() {
    let (x, _) = labelled_csv("blobs_1000_5_6.csv");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let a = one.install(|| fit_with(Engine::Lloyd, &x, 6, 3, 300, 7).unwrap());
    let b = two.install(|| fit_with(Engine::Lloyd, &x, 6, 3, 300, 7).unwrap());
    assert_eq!(a.0, b.0);
    assert_eq!(a.1.to_bits(), b.1.to_bits());
}

#[test]
fn dbscan_grid_and_brute_force_agree() {
    for (name, eps, min) in [
        ("blobs_300_2_4", 0.3, 5),
        ("blobs_1000_5_6", 1.0, 5),
        ("blobs_1000_5_6", 1.5, 10),
        ("singleton_identical", 0.5, 3),
    ] {
        let (x, _) = labelled_csv(&format!("{name}.csv"));
        let brute = dbscan::fit_brute(&x, eps, min);
        assert!(brute.labels.iter().any(|&l| l >= 0));
        for (how, fit) in [
            ("boxes", dbscan::fit_boxes(&x, eps, min)),
            ("cells", dbscan::fit_cells(&x, eps, min)),
        ] {
            assert_eq!(fit.labels, brute.labels, "{how}: {name} eps {eps}");
            assert_eq!(fit.is_core, brute.is_core, "{how}: {name} eps {eps}");
        }
    }
}
