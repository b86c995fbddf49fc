//! The predict stage against an independent reference: tests/fixtures/make_predict.py fits
//! BG/NBD and Gamma-Gamma with SciPy on the real Online Retail lines and computes each
//! checked customer's predictions with SciPy's hypergeometric function
//! (tests/fixtures/predict_reference.json). Parameters must agree to 1e-4, predictions to
//! 1e-6 (relative); the same run on one thread writes the same bytes.

use crate::common::{f64s, json, read_parquet, root, shared_data, strs, Workdir};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// examples/online_retail_predict.yaml, edited by `edit`, run on a temporary folder: the
/// folder, the run's output folder and its model.json (`None` without `../shared`).
fn run_example(
    edit: impl Fn(String) -> String,
) -> Option<(Workdir, std::path::PathBuf, serde_json::Value)> {
    shared_data("online_retail.parquet")?;
    let w = Workdir::new();
    let example = std::fs::read_to_string(root().join("examples/online_retail_predict.yaml"))
        .unwrap()
        .replace("../shared", &root().join("../shared").display().to_string());
    w.write("p.yaml", &edit(example));
    w.ok(&["run", "p.yaml", "--out-dir", "out"]);
    let dir = w.path("out/online_retail_predict");
    let model = serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
    Some((w, dir, model))
}

#[test]
fn online_retail_predictions_match_an_independent_reference() {
    let Some((w, dir, model)) = run_example(|e| e) else {
        return;
    };
    let reference = json("predict_reference.json");
    let predict = &model["predict"];
    assert_eq!(predict["as_of"], "2011-12-10");
    let fitted = &predict["models"];
    for (m, names) in [
        ("bg_nbd", &["r", "alpha", "a", "b"][..]),
        ("gamma_gamma", &["p", "q", "v"]),
    ] {
        for k in names {
            let (got, want) = (
                fitted[m]["params"][k].as_f64().unwrap(),
                reference[m][k].as_f64().unwrap(),
            );
            assert!(
                rel(got, want) < 1e-4,
                "{m}.{k}: {got} against SciPy's {want}"
            );
        }
        let (got, want) = (
            fitted[m]["log_likelihood"].as_f64().unwrap(),
            reference[m]["log_likelihood"].as_f64().unwrap(),
        );
        assert!(
            rel(got, want) < 1e-9,
            "{m} log-likelihood {got} against {want}"
        );
    }
    let table = read_parquet(&dir.join("08_predict.parquet"));
    assert_eq!(
        table.height() as i64,
        reference["customers"].as_i64().unwrap()
    );
    for c in ["x", "t_x", "T"] {
        let sum: f64 = f64s(&table, c).iter().sum();
        assert_eq!(sum, reference["summary_sums"][c].as_f64().unwrap(), "{c}");
    }
    let checked = reference["customers_checked"].as_array().unwrap();
    check_customers(&table, checked);
    check_holdout(&predict["holdout"], &reference["holdout"], &table);
    check_profile(&dir);
    check_outlook(&dir);
    check_holdout_by_segment(&dir, &predict["holdout"]);
    // Same bytes on one thread.
    let first = std::fs::read(dir.join("08_predict.parquet")).unwrap();
    let out = w.run_env(
        &["run", "p.yaml", "--out-dir", "out", "--from", "predict"],
        &[("RAYON_NUM_THREADS", "1"), ("POLARS_MAX_THREADS", "1")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        first,
        std::fs::read(dir.join("08_predict.parquet")).unwrap()
    );
}

/// Each checked customer's predictions to 1e-6 relative (missing where the reference's are).
fn check_customers(table: &polars::prelude::DataFrame, checked: &[serde_json::Value]) {
    let ids = strs(table, "CustomerID");
    assert_eq!(checked.len(), 217);
    for column in [
        "p_alive",
        "expected_purchases",
        "expected_order_value",
        "clv",
        "days_to_next_purchase",
    ] {
        let values = table.column(column).unwrap().f64().unwrap().clone();
        for c in checked {
            let row = ids
                .iter()
                .position(|i| i == c["id"].as_str().unwrap())
                .unwrap();
            match (values.get(row), c[column].as_f64()) {
                (Some(got), Some(want)) => {
                    assert!(
                        rel(got, want) < 1e-6,
                        "{column} of {}: {got} against {want}",
                        c["id"]
                    )
                }
                (None, None) => {}
                (got, want) => panic!("{column} of {}: {got:?} against {want:?}", c["id"]),
            }
        }
    }
}

#[test]
fn online_retail_pareto_nbd_matches_an_independent_reference() {
    // The same lines with `model: pareto_nbd`: SciPy's fit with `lifetimes`' likelihood and
    // SciPy's hyp2f1 (tests/fixtures/make_predict.py).
    let edit = |e: String| {
        let e = e
            .replace("model: bg_nbd", "model: pareto_nbd")
            .replace("k: [2, 8], n_init: 10", "k: [2, 3], n_init: 1");
        e[..e.find("  holdout:").unwrap()].to_string()
    };
    let Some((_w, dir, model)) = run_example(edit) else {
        return;
    };
    let reference = json("predict_reference.json");
    let fitted = &model["predict"]["models"]["pareto_nbd"];
    assert!(model["predict"]["models"]["bg_nbd"].is_null());
    let want = &reference["pareto_nbd"];
    // The year shows no drop-out the model can place: both fits take s → 0 and β → ∞ (each
    // stopping where the likelihood no longer changes), so only their ratio, the mean
    // drop-out rate, is compared: negligible in both.
    let rate = |m: &serde_json::Value| m["s"].as_f64().unwrap() / m["beta"].as_f64().unwrap();
    assert!(rate(&fitted["params"]) < 1e-12 && rate(want) < 1e-12);
    for k in ["r", "alpha"] {
        let (got, want) = (
            fitted["params"][k].as_f64().unwrap(),
            want[k].as_f64().unwrap(),
        );
        assert!(
            rel(got, want) < 1e-4,
            "pareto_nbd.{k}: {got} against SciPy's {want}"
        );
    }
    let (got, want) = (
        fitted["log_likelihood"].as_f64().unwrap(),
        want["log_likelihood"].as_f64().unwrap(),
    );
    assert!(rel(got, want) < 1e-9, "log-likelihood {got} against {want}");
    let table = read_parquet(&dir.join("08_predict.parquet"));
    check_customers(
        &table,
        reference["pareto_customers_checked"].as_array().unwrap(),
    );
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("Pareto/NBD (purchases), fitted on 4334 customers"));
}

/// Per segment, the holdout's expected and actual value add up to the check's totals, and
/// each is its customers' sum in `08_predict.parquet` (customers new in the holdout left out).
fn check_holdout_by_segment(dir: &std::path::Path, check: &serde_json::Value) {
    use std::collections::BTreeMap;
    let profile = read_parquet(&dir.join("07_profile.parquet"));
    let ids = f64s(&profile, "segment");
    let (expected, actual) = (
        f64s(&profile, "holdout_expected_value"),
        f64s(&profile, "holdout_value"),
    );
    let total = |v: &[f64]| v.iter().sum::<f64>();
    let want = check["expected_value"].as_f64().unwrap();
    assert!(
        rel(total(&expected), want) < 1e-9,
        "{expected:?} against {want}"
    );
    let want = check["actual_value"].as_f64().unwrap();
    assert!(
        rel(total(&actual), want) < 1e-9,
        "{actual:?} against {want}"
    );
    let table = read_parquet(&dir.join("08_predict.parquet"));
    let labels = f64s(&read_parquet(&dir.join("segments.parquet")), "segment");
    let opt =
        |c: &str| -> Vec<Option<f64>> { table.column(c).unwrap().f64().unwrap().iter().collect() };
    let (e, a) = (opt("holdout_expected"), opt("holdout_value"));
    let mut by: BTreeMap<i64, f64> = BTreeMap::new();
    for i in 0..labels.len() {
        if e[i].is_some() {
            *by.entry(labels[i] as i64).or_default() += a[i].unwrap_or(0.0);
        }
    }
    for (j, id) in ids.iter().enumerate() {
        assert!(rel(actual[j], by[&(*id as i64)]) < 1e-12, "segment {id}");
    }
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("<th>expected value in the holdout</th>"));
}

/// The predicted-value traits hold exactly where the profile's numbers put them, and the
/// P(alive) chart counts every customer with an order once.
fn check_outlook(dir: &std::path::Path) {
    let profile = read_parquet(&dir.join("07_profile.parquet"));
    let traits = strs(&profile, "traits");
    let (size, share) = (f64s(&profile, "size"), f64s(&profile, "share"));
    let (past, predicted) = (
        f64s(&profile, "past_value_share"),
        f64s(&profile, "predicted_value_share"),
    );
    let (alive, at_risk) = (f64s(&profile, "mean_p_alive"), f64s(&profile, "at_risk"));
    let mut seen = 0;
    for i in 0..traits.len() {
        let has = |t: &str| traits[i].split("; ").any(|x| x == t);
        let rising = predicted[i] >= 0.05 && predicted[i] >= 1.25 * past[i];
        let high = predicted[i] >= 1.5 * share[i];
        let churn = alive[i] < 0.5 || (at_risk[i] > 0.0 && at_risk[i] >= 0.2 * size[i]);
        assert_eq!(has("rising"), rising, "segment {i}: {}", traits[i]);
        assert_eq!(
            has("high predicted value"),
            high,
            "segment {i}: {}",
            traits[i]
        );
        assert_eq!(has("churn risk"), churn, "segment {i}: {}", traits[i]);
        seen += usize::from(rising) + usize::from(high);
    }
    assert!(
        seen > 0,
        "no segment rising or of high predicted value: {traits:?}"
    );
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("id=\"chart-p_alive_by_recency\""));
    let svg = std::fs::read_to_string(dir.join("charts/p_alive_by_recency.svg")).unwrap();
    let counted: usize = svg
        .split('(')
        .skip(1)
        .filter_map(|t| t.split(')').next()?.parse::<usize>().ok())
        .sum();
    let features = read_parquet(&dir.join("03_features.parquet"));
    let buyers = f64s(&features, "frequency")
        .iter()
        .filter(|&&f| f >= 1.0)
        .count();
    assert_eq!(counted, buyers);
}

/// The holdout check: SciPy's calibration fit, the actual purchase days counted by pandas.
fn check_holdout(
    h: &serde_json::Value,
    reference: &serde_json::Value,
    table: &polars::prelude::DataFrame,
) {
    assert_eq!(h["days"], 91.0);
    assert_eq!(h["customers"], reference["customers"]);
    assert_eq!(
        h["actual_purchases"].as_f64().unwrap(),
        reference["actual_purchases"].as_f64().unwrap()
    );
    let bg = &h["models"]["bg_nbd"]["params"];
    for k in ["r", "alpha"] {
        let (got, want) = (bg[k].as_f64().unwrap(), reference[k].as_f64().unwrap());
        assert!(rel(got, want) < 1e-4, "holdout {k}: {got} against {want}");
    }
    // No drop-out before September: the mean drop-out chance a / (a + b) tends to 0.
    let (a, b) = (bg["a"].as_f64().unwrap(), bg["b"].as_f64().unwrap());
    assert!(a / (a + b) < 1e-6, "a {a}, b {b}");
    let (got, want) = (
        h["expected_purchases"].as_f64().unwrap(),
        reference["expected_purchases"].as_f64().unwrap(),
    );
    assert!(
        rel(got, want) < 1e-5,
        "expected holdout purchases {got} against {want}"
    );
    // The groups and the weeks add up to the totals.
    let groups = h["by_frequency"].as_array().unwrap();
    let customers: u64 = groups
        .iter()
        .map(|g| g["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(customers, h["customers"].as_u64().unwrap());
    let actual: f64 = groups
        .iter()
        .map(|g| g["actual"].as_f64().unwrap() * g["customers"].as_f64().unwrap())
        .sum();
    assert!((actual - h["actual_purchases"].as_f64().unwrap()).abs() < 1e-6);
    let last = h["weekly"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["day"], 91.0);
    assert_eq!(last["actual"], h["actual_purchases"]);
    assert!(rel(last["expected"].as_f64().unwrap(), got) < 1e-9);
    // Per customer: the column sums are the totals (customers new in the holdout have no
    // expectation).
    let expected: f64 = table
        .column("holdout_expected")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .flatten()
        .sum();
    assert!(rel(expected, got) < 1e-9);
}

/// Segments carry past and predicted value shares, and the customers their predictions.
fn check_profile(dir: &std::path::Path) {
    let profile = read_parquet(&dir.join("07_profile.parquet"));
    for c in ["past_value_share", "predicted_value_share"] {
        let total: f64 = f64s(&profile, c).iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{c} sums to {total}");
    }
    let alive = f64s(&profile, "mean_p_alive");
    assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)), "{alive:?}");
    let segments = read_parquet(&dir.join("segments.parquet"));
    let clv: f64 = f64s(&segments, "clv").iter().sum();
    let table = read_parquet(&dir.join("08_predict.parquet"));
    let want: f64 = f64s(&table, "clv").iter().sum();
    assert!(rel(clv, want) < 1e-12);
    let csv = std::fs::read_to_string(dir.join("segments.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for c in [
        "p_alive",
        "expected_purchases",
        "expected_order_value",
        "clv",
    ] {
        assert!(header.split(',').any(|h| h == c), "{c} not in {header}");
    }
}

fn hand_pipeline(predict: &str) -> String {
    format!(
        "name: hand
input:
  path: tx.csv
  kind: transactions
  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode}}
clean:
  transactions: {{exclude_products: [POST, DOT, M, D]}}
features:
  rfm: {{}}
  use: [recency, frequency, monetary]
cluster:
  kmeans: {{k: 2}}
predict: {predict}
"
    )
}

/// Each customer's history worked out by hand from tests/fixtures/transactions_hand.csv
/// (as_of: the day after the last line, 2011-12-10); three repeat buyers are too few to fit.
#[test]
fn hand_worked_histories_and_too_few_repeat_buyers() {
    let w = Workdir::new();
    w.copy(&crate::common::fixture("transactions_hand.csv"), "tx.csv");
    w.write("p.yaml", &hand_pipeline("{}"));
    let out = w.run(&["run", "p.yaml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("only 3 customer(s) bought more than once (at least 30 are needed to fit BG/NBD): no predictions"),
        "{all}"
    );
    let t = read_parquet(&w.path("outputs/hand/08_predict.parquet"));
    assert_eq!(strs(&t, "CustomerID"), ["100", "200", "300", "500", "600"]);
    // 100: 2011-11-30 (candle 10) and 12-09 (30; the cancelled plate is dropped).
    // 200: 01-15 and 09-10 (06-01's lines are dropped). 300: one day. 500: one day (the
    // return is dropped). 600: 09-08, 10-08, 11-08, 12-09, 100 each.
    assert_eq!(f64s(&t, "x"), [1.0, 1.0, 0.0, 0.0, 3.0]);
    assert_eq!(f64s(&t, "t_x"), [9.0, 238.0, 0.0, 0.0, 92.0]);
    assert_eq!(f64s(&t, "T"), [10.0, 329.0, 1.0, 70.0, 93.0]);
    let value = t
        .column("mean_repeat_value")
        .unwrap()
        .f64()
        .unwrap()
        .clone();
    assert_eq!(
        value.iter().collect::<Vec<_>>(),
        [Some(30.0), Some(10.0), None, None, Some(100.0)]
    );
    assert_eq!(
        t.column("p_alive").unwrap().null_count(),
        5,
        "no numbers from a fit that was not made"
    );
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("outputs/hand/model.json")).unwrap()).unwrap();
    assert!(model["predict"]["models"].is_null());
    // Weeks divide the days by 7.
    w.write("p.yaml", &hand_pipeline("{time_unit: week}"));
    w.ok(&["run", "p.yaml"]);
    let t = read_parquet(&w.path("outputs/hand/08_predict.parquet"));
    assert_eq!(
        f64s(&t, "T"),
        [10.0 / 7.0, 329.0 / 7.0, 1.0 / 7.0, 10.0, 93.0 / 7.0]
    );
}

#[test]
fn a_holdout_outside_the_period_is_refused_with_its_key() {
    let w = Workdir::new();
    w.copy(&crate::common::fixture("transactions_hand.csv"), "tx.csv");
    for day in ["2011-12-10", "2010-06-01"] {
        w.write("p.yaml", &hand_pipeline(&format!("{{holdout: {day}}}")));
        let out = w.run(&["run", "p.yaml"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("predict.holdout ({day}) must fall after the first purchase and before as_of (2011-12-10)")),
            "{err}"
        );
    }
}

/// The streaming engine's cleaned lines give the in-memory engine's predictions, byte for
/// byte, with cancellations dropped or netted (a day of returns only is not a purchase).
#[test]
fn streaming_predicts_what_the_in_memory_engine_does() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "400",
        "--rows",
        "30000",
        "--out",
        "lines.parquet",
    ]);
    for clean in ["drop", "net"] {
        for engine in ["local", "streaming"] {
            w.write(
                "p.yaml",
                &format!(
                    "name: {clean}_{engine}
input:
  path: lines.parquet
  kind: transactions
  engine: {engine}
  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}}
clean:
  transactions: {{cancellations: {clean}}}
features:
  use: [recency, frequency, monetary]
cluster:
  kmeans: {{k: 3}}
predict: {{time_unit: week, holdout: 2023-10-01}}
"
                ),
            );
            w.ok(&["run", "-q", "p.yaml"]);
        }
        let bytes = |e: &str| {
            std::fs::read(w.path(&format!("outputs/{clean}_{e}/08_predict.parquet"))).unwrap()
        };
        assert!(
            bytes("local") == bytes("streaming"),
            "{clean}: 08_predict differs"
        );
        let t = read_parquet(&w.path(&format!("outputs/{clean}_local/08_predict.parquet")));
        assert_eq!(
            t.column("p_alive").unwrap().null_count(),
            0,
            "{clean}: every buyer predicted"
        );
        assert!(t.column("holdout_expected").unwrap().null_count() < t.height());
    }
}
