//! Metrics against scikit-learn 1.9.1's values on the fixtures (tests/fixtures/README.md):
//! silhouette, Davies-Bouldin and Calinski-Harabasz to 1e-9 relative, WCSS to 1e-12.

use crate::common::{assert_rel, json, labelled_csv};
use segflow::metrics;

fn check(name: &str) {
    let (x, labels) = labelled_csv(&format!("{name}.csv"));
    let j = json(&format!("{name}.json"));
    let k = j["k"].as_u64().unwrap() as usize;
    let f = |key: &str| j[key].as_f64().unwrap();
    assert_eq!(x.n, j["n"].as_u64().unwrap() as usize);
    assert_rel(
        metrics::silhouette(&x, &labels, k).unwrap(),
        f("silhouette"),
        1e-9,
        "silhouette",
    );
    assert_rel(
        metrics::davies_bouldin(&x, &labels, k).unwrap(),
        f("davies_bouldin"),
        1e-9,
        "davies_bouldin",
    );
    assert_rel(
        metrics::calinski_harabasz(&x, &labels, k).unwrap(),
        f("calinski_harabasz"),
        1e-9,
        "calinski_harabasz",
    );
    assert_rel(
        metrics::wcss(&x, &labels, k),
        f("wcss_from_labels"),
        1e-12,
        "wcss",
    );
    let (sizes, _) = metrics::centroids(&x, &labels, k);
    let expected: Vec<usize> = j["cluster_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(sizes, expected);
}

#[test]
fn blobs_300_2_4_match_sklearn() {
    check("blobs_300_2_4");
}

#[test]
fn blobs_1000_5_6_match_sklearn() {
    check("blobs_1000_5_6");
}

#[test]
fn singleton_and_identical_points_match_sklearn() {
    check("singleton_identical");
    // A singleton's silhouette is 0; points identical to their whole cluster score 1.
    let (x, labels) = labelled_csv("singleton_identical.csv");
    let s = metrics::silhouette_samples(&x, &labels, 3).unwrap();
    assert_eq!(s[30], 0.0);
    assert!(s[31..41].iter().all(|&v| v == 1.0), "{:?}", &s[31..41]);
}

#[test]
fn customers_200_match_sklearn() {
    check("customers_200");
}

#[test]
fn silhouette_needs_two_clusters_and_fewer_than_n() {
    let (x, labels) = labelled_csv("blobs_300_2_4.csv");
    assert_eq!(metrics::silhouette(&x, &vec![0; x.n], 1), None);
    let own: Vec<usize> = (0..x.n).collect();
    assert_eq!(metrics::silhouette(&x, &own, x.n), None);
    assert_eq!(metrics::davies_bouldin(&x, &labels, 1), None);
}

#[test]
fn sampled_silhouette_is_exact_below_the_sample_size_and_seeded_above() {
    let (x, labels) = labelled_csv("blobs_1000_5_6.csv");
    let exact = metrics::silhouette(&x, &labels, 6).unwrap();
    let (s, rows) = metrics::silhouette_sampled(&x, &labels, 6, 5000, 1).unwrap();
    assert_eq!((s, rows), (exact, 1000));
    let (a, rows) = metrics::silhouette_sampled(&x, &labels, 6, 300, 7).unwrap();
    let (b, _) = metrics::silhouette_sampled(&x, &labels, 6, 300, 7).unwrap();
    assert_eq!(rows, 300);
    assert_eq!(a, b, "same seed, same sample");
    assert!((a - exact).abs() < 0.05, "sample {a} vs exact {exact}");
    assert_ne!(a, exact);
}

#[test]
fn one_pass_silhouette_for_a_sweep_equals_one_at_a_time() {
    let (x, labels) = labelled_csv("blobs_1000_5_6.csv");
    let halves: Vec<usize> = (0..x.n).map(|i| i % 2).collect();
    let thirds: Vec<usize> = (0..x.n).map(|i| (i * 7) % 3).collect();
    let many = metrics::silhouette_many(&x, &[(&labels, 6), (&halves, 2), (&thirds, 3)]);
    // Cluster sums are added up group by group (36 groups here), so equal up to rounding.
    assert_rel(
        many[0].unwrap(),
        metrics::silhouette(&x, &labels, 6).unwrap(),
        1e-12,
        "k=6",
    );
    assert_rel(
        many[1].unwrap(),
        metrics::silhouette(&x, &halves, 2).unwrap(),
        1e-12,
        "halves",
    );
    assert_rel(
        many[2].unwrap(),
        metrics::silhouette(&x, &thirds, 3).unwrap(),
        1e-12,
        "thirds",
    );
    assert_ne!(many[1], many[2]);
    assert_rel(
        many[0].unwrap(),
        json("blobs_1000_5_6.json")["silhouette"].as_f64().unwrap(),
        1e-9,
        "silhouette",
    );
}
