//! Gaussian mixtures against scikit-learn (tests/fixtures/gmm.json, made by
//! tests/fixtures/make_gmm.py): EM run to convergence from a K-means partition gives
//! scikit-learn's weights (1e-7), means (1e-6), mean log-likelihood and BIC (1e-8) and labels,
//! on three fixtures with full and diagonal covariances. Then through the
//! binary: the clusters artifact with each customer's probability, BIC in the evaluation,
//! and `assign` placing the training customers in their segments.

use segflow::cluster::gmm::{criteria, fit, Covariance};
use segflow::cluster::kmeans::{fit_full, Engine};

use crate::common::{adjusted_rand, assert_rel, json, json_f64s as f64s, json_i64s, labelled_csv};

#[test]
fn em_gives_scikit_learns_mixtures() {
    let reference = json("gmm.json");
    let mut matched = Vec::new();
    for case in reference["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let cov = match case["covariance"].as_str().unwrap() {
            "diag" => Covariance::Diag,
            _ => Covariance::Full,
        };
        let what = format!("{file} k={k} {cov:?}");
        let (x, _) = labelled_csv(file);
        let (start, _, _) = fit_full(Engine::Lloyd, &x, k, 10, 300, 42).unwrap();
        let f = fit(&x, &start, k, cov, 1e-10, 5000).unwrap();
        let ll = case["log_likelihood"].as_f64().unwrap();
        assert_rel(
            f.log_likelihood,
            ll,
            1e-8,
            &format!("{what}: log-likelihood"),
        );
        let (bic, _) = criteria(&f.mixture, f.log_likelihood, x.n);
        assert_rel(
            bic,
            case["bic"].as_f64().unwrap(),
            1e-8,
            &format!("{what}: BIC"),
        );
        // Components are matched by their means.
        let means: Vec<Vec<f64>> = case["means"].as_array().unwrap().iter().map(f64s).collect();
        let weights = f64s(&case["weights"]);
        for (j, m) in f.mixture.means.iter().enumerate() {
            let (e, d) = means
                .iter()
                .enumerate()
                .map(|(e, r)| {
                    (
                        e,
                        r.iter()
                            .zip(m)
                            .map(|(a, b)| (a - b).abs())
                            .fold(0.0, f64::max),
                    )
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            assert!(
                d < 1e-6,
                "{what}: component {j}'s mean is {d} from the nearest"
            );
            assert!(
                (f.mixture.weights[j] - weights[e]).abs() < 1e-7,
                "{what}: weight {j}"
            );
        }
        let labels: Vec<i64> = (0..x.n)
            .map(|i| f.mixture.place(x.row(i)).0 as i64)
            .collect();
        assert_eq!(
            adjusted_rand(&labels, &json_i64s(&case["labels"])),
            1.0,
            "{what}: labels"
        );
        matched.push(what);
    }
    assert_eq!(matched.len(), 6, "{matched:?}");
}

#[test]
fn a_run_gives_probabilities_and_bic_and_assign_reproduces_its_segments() {
    use crate::common::{f64s as col, i64s, read_parquet, run_on_scaled_customers, Workdir};
    let w = Workdir::new();
    let features = "age, income, score";
    let clusters = run_on_scaled_customers(&w, "g", features, "gmm: {k: [2, 4], covariance: full}");
    for k in 2..=4 {
        let p = col(&clusters, &format!("gmm_k{k}_probability"));
        assert_eq!(p.len(), 198);
        // The probability of the most probable of k segments: at least 1/k.
        assert!(
            p.iter().all(|&v| v >= 1.0 / k as f64 - 1e-12 && v <= 1.0),
            "k={k}"
        );
        assert_eq!(
            i64s(&clusters, &format!("gmm_k{k}")).iter().max(),
            Some(&(k as i64 - 1))
        );
    }
    let evaluation = read_parquet(&w.path("outputs/g/06_evaluation.parquet"));
    let bic = col(&evaluation, "bic");
    assert!(bic.iter().all(|b| b.is_finite()), "{bic:?}");
    // The deliverable carries each customer's probability of its segment.
    let segments = read_parquet(&w.path("outputs/g/segments.parquet"));
    let chosen = segments.column("segment").unwrap().len();
    let p = col(&segments, "segment_probability");
    assert_eq!(p.len(), chosen);
    let csv = std::fs::read_to_string(w.path("outputs/g/segments.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",segment,segment_name,segment_probability"),
        "{csv}"
    );
    let (assigned, trained, said) = crate::common::assign_training(&w, "g");
    assert!(
        said.contains("scored 198 of 198 customers with gmm_k"),
        "{said}"
    );
    assert_eq!(assigned, trained);
    // assign's output carries the same probabilities as the run's deliverable.
    let scored = std::fs::read_to_string(w.path("scored.csv")).unwrap();
    let mut lines = scored.lines();
    assert_eq!(
        lines.next(),
        Some("id,segment,segment_name,segment_probability,reason")
    );
    let again: Vec<f64> = lines
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(again.len(), p.len());
    for (a, b) in again.iter().zip(&p) {
        assert!((a - b).abs() <= 1e-12, "{a} against {b}");
    }
}
