//! examples/marketing_campaign.yaml on the real Customer Personality table (read in place):
//! tab-separated despite its name, 24 missing incomes, data-entry outliers.

use crate::common::{read_parquet, run_in_root, shared_data};
use polars::prelude::*;

#[test]
fn marketing_campaign_is_ingested_imputed_and_its_outliers_audited() {
    if shared_data("marketing_campaign.csv").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in_root(
        &[
            "run",
            "examples/marketing_campaign.yaml",
            "--until",
            "features",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp.path().join("marketing_campaign");

    let raw = read_parquet(&dir.join("01_ingest.parquet"));
    assert_eq!(raw.shape(), (2240, 29));
    assert_eq!(raw.column("Income").unwrap().null_count(), 24);

    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(".state/02_clean.json")).unwrap()).unwrap();
    let income = model["state"]["fills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["column"] == "Income")
        .unwrap();
    assert_eq!(income["filled"], 24);
    assert_eq!(income["value"], 51381.5, "median income of the 2,216 known");

    let dropped = read_parquet(&dir.join("02_clean_dropped.parquet"));
    let reasons: Vec<String> = dropped
        .column("reason")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|r| r.unwrap().to_string())
        .collect();
    let ids: Vec<i64> = dropped
        .column("ID")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "{reasons:?}");
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.starts_with("outlier: Income=666666 above"))
            .count(),
        1,
        "{reasons:?}"
    );
    for year in ["1893", "1899", "1900"] {
        assert_eq!(
            reasons
                .iter()
                .filter(|r| r.starts_with(&format!("outlier: Year_Birth={year} below")))
                .count(),
            1,
            "{reasons:?}"
        );
    }

    let f = read_parquet(&dir.join("03_features.parquet"));
    assert_eq!(f.height(), 2236);
    let spend = f
        .column("total_spend")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    let mnt: f64 = [
        "MntWines",
        "MntFruits",
        "MntMeatProducts",
        "MntFishProducts",
        "MntSweetProducts",
        "MntGoldProds",
    ]
    .iter()
    .map(|c| {
        f.column(c)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap()
            .f64()
            .unwrap()
            .sum()
            .unwrap()
    })
    .sum();
    assert_eq!(spend.f64().unwrap().sum().unwrap(), mnt);
    let tenure = f
        .column("tenure_days")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    let t = tenure.f64().unwrap();
    // Customers joined between 2012-07-30 and 2014-06-29.
    assert_eq!((t.min(), t.max()), (Some(185.0), Some(884.0)));
}
