//! The clean → features → scale path on the raw generated table, against the reference
//! pipeline (pandas + scikit-learn) recorded in tests/fixtures/customers_200.json.

use crate::common::{assert_rel, fixture, json, labelled_csv};
use segflow::config;
use segflow::stages::{clean, features, ingest, scale};

const PIPELINE: &str = r#"
name: reference
input:
  path: PATH
  id: CustomerID
clean:
  impute: {numeric: median, categorical: mode}
  outliers: {method: iqr, factor: 1.5, columns: [Age, "Annual Income (k$)", "Spending Score (1-100)"], action: drop}
features:
  one_hot: [Gender]
  drop_first: true
  use: [Age, "Annual Income (k$)", "Spending Score (1-100)", Gender]
scale: {method: standard}
cluster:
  kmeans: {k: 5}
"#;

#[test]
fn clean_features_scale_match_the_reference_pipeline() {
    let raw_path = fixture("customers_200_raw.csv");
    let text = PIPELINE.replace("PATH", raw_path.to_str().unwrap());
    let plan = config::parse(std::path::Path::new("reference.yaml"), text).unwrap();
    let reference = &json("customers_200.json")["pipeline_reference"];

    let raw = ingest::run(&plan.input).unwrap();
    assert_eq!(
        raw.height(),
        reference["rows_in"].as_u64().unwrap() as usize
    );
    let out = clean::run(&raw, &plan.clean, "CustomerID").unwrap();

    // Imputed values: medians of the numeric columns, mode of Gender.
    for (col, v) in reference["impute_median"].as_object().unwrap() {
        let fill = out.model.fills.iter().find(|f| &f.column == col);
        let missing = reference["missing"][col].as_u64().unwrap() as usize;
        match fill {
            Some(f) => {
                assert_eq!(
                    f.value.as_f64().unwrap(),
                    v.as_f64().unwrap(),
                    "median of {col}"
                );
                assert_eq!(f.filled, missing, "cells filled in {col}");
            }
            None => assert_eq!(missing, 0, "{col} has gaps but was not imputed"),
        }
    }
    let gender = out
        .model
        .fills
        .iter()
        .find(|f| f.column == "Gender")
        .unwrap();
    assert_eq!(gender.value, reference["impute_mode"]["Gender"]);

    // IQR bounds and quartiles.
    for b in &out.model.bounds {
        let r = &reference["iqr"][&b.column];
        assert_rel(b.basis[0], r["q1"].as_f64().unwrap(), 1e-12, "q1");
        assert_rel(b.basis[1], r["q3"].as_f64().unwrap(), 1e-12, "q3");
        assert_rel(b.lower, r["lower"].as_f64().unwrap(), 1e-12, "lower");
        assert_rel(b.upper, r["upper"].as_f64().unwrap(), 1e-12, "upper");
    }
    assert_eq!(out.model.bounds.len(), 3);

    // The same customers removed, each with its reason.
    let removed: Vec<i64> = out
        .dropped
        .column("CustomerID")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let expected: Vec<i64> = reference["removed_customer_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(removed, expected);
    let reasons = out.dropped.column("reason").unwrap();
    for i in 0..reasons.len() {
        assert!(reasons.get(i).unwrap().to_string().contains("outlier:"));
    }
    assert_eq!(
        out.data.height(),
        reference["rows_model"].as_u64().unwrap() as usize
    );

    // Features and scaling.
    let feats = features::run(&out.data, &plan.features, "CustomerID").unwrap();
    let names: Vec<String> = reference["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(feats.model_columns, names);
    let scaled = scale::run(&feats.data, &feats.model_columns, plan.scale, "CustomerID").unwrap();
    for (j, m) in reference["scaler_mean"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_rel(
            scaled.scaler.center[j],
            m.as_f64().unwrap(),
            1e-12,
            "scaler mean",
        );
    }
    for (j, s) in reference["scaler_scale"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_rel(
            scaled.scaler.scale[j],
            s.as_f64().unwrap(),
            1e-12,
            "scaler scale",
        );
    }
    let (expected, _) = labelled_csv("customers_200.csv");
    assert_eq!((scaled.matrix.n, scaled.matrix.d), (expected.n, expected.d));
    for (a, e) in scaled.matrix.data.iter().zip(&expected.data) {
        assert!(
            (a - e).abs() <= 1e-12 * e.abs().max(1.0),
            "scaled value {a} vs {e}"
        );
    }
}
