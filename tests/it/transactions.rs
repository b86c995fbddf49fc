//! Transactions in, RFM features out: a hand-made fixture with every value worked out by
//! hand, and the real Online Retail data (read in place) against an independent computation.

use std::collections::{HashMap, HashSet};

use crate::common::{f64s, fixture, read_parquet, shared_data, strs, Workdir};

/// The clean artifact selects the kept lines of the ingest artifact: `inspect` shows them,
/// and a run resumed from features (the clean stage restored from its artifacts) rebuilds
/// them and gives the same features, byte for byte.
#[test]
fn clean_artifact_selects_the_kept_lines() {
    let w = Workdir::new();
    w.copy(&fixture("transactions_hand.csv"), "tx.csv");
    w.write("p.yaml", &pipeline("tx.csv", "hand", ""));
    w.ok(&["run", "-q", "p.yaml"]);
    let shown = w.ok(&["inspect", "outputs/hand/02_clean.parquet", "--head", "20"]);
    assert!(
        shown.contains("02_clean.parquet: 12 rows × 1 columns"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "the rows of 01_ingest.parquet it selects (`ingest_row`): 12 lines × 9 columns"
        ),
        "{shown}"
    );
    // Line 3 of the file (row 2) is kept, the cancellation after it (row 3) is not.
    assert!(
        shown.contains("CANDLE") && !shown.contains("C1003"),
        "{shown}"
    );
    let dropped = w.ok(&[
        "inspect",
        "outputs/hand/02_clean_dropped.parquet",
        "--head",
        "20",
    ]);
    assert!(
        dropped.contains(
            "the rows of 01_ingest.parquet it selects (`ingest_row`): 8 lines × 10 columns"
        ),
        "{dropped}"
    );
    assert!(
        dropped.contains("C1003") && dropped.contains("FREEBIE"),
        "{dropped}"
    );
    let features = || std::fs::read(w.path("outputs/hand/03_features.parquet")).unwrap();
    let before = features();
    let again = w.ok(&["run", "p.yaml", "--from", "features"]);
    assert!(again.contains("02_clean.parquet  (cached)"), "{again}");
    assert_eq!(features(), before);
}

/// The rows of the report's table of dropped lines: (reason, lines).
fn dropped_table(report: &std::path::Path) -> Vec<(String, usize)> {
    let html = std::fs::read_to_string(report).unwrap();
    let table = html.split("Dropped rows").nth(1).unwrap();
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            let (why, n) = row.split_once("</td><td>").unwrap();
            let n = n.split('<').next().unwrap().parse().unwrap();
            (why.to_string(), n)
        })
        .collect()
}

fn pipeline(path: &str, name: &str, extra_clean: &str) -> String {
    format!(
        "name: {name}
input:
  path: {path}
  kind: transactions
  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode, country: Country}}
clean:
  transactions: {{exclude_products: [POST, DOT, M, D, BANK CHARGES, AMAZONFEE]{extra_clean}}}
features:
  rfm: {{log1p: [monetary]}}
  use: [recency, frequency, log1p_monetary]
cluster:
  kmeans: {{k: 2}}
"
    )
}

#[test]
fn hand_worked_rfm_values() {
    let w = Workdir::new();
    w.copy(&fixture("transactions_hand.csv"), "tx.csv");
    w.write("p.yaml", &pipeline("tx.csv", "hand", ""));
    let out = w.ok(&["run", "p.yaml"]);
    assert!(out.contains("6 distinct customers"), "{out}");
    assert!(out.contains("dropped: 1 missing customer id, 2 cancellation (invoice starts with C), 1 quantity <= 0 (return), 1 price <= 0, 3 excluded product code"), "{out}");

    // The clean artifacts select lines of the ingest artifact (0: the first line): the kept
    // ones, and the dropped ones with the first rule each breaks.
    let rows = |file: &str| -> Vec<u32> {
        let df = read_parquet(&w.path(&format!("outputs/hand/{file}")));
        let rows = df.column("ingest_row").unwrap().u32().unwrap();
        rows.into_no_null_iter().collect()
    };
    assert_eq!(
        rows("02_clean.parquet"),
        [0, 1, 2, 5, 8, 9, 10, 12, 14, 15, 16, 17]
    );
    assert_eq!(
        rows("02_clean_dropped.parquet"),
        [3, 4, 6, 7, 11, 13, 18, 19]
    );
    let dropped = read_parquet(&w.path("outputs/hand/02_clean_dropped.parquet"));
    let (cancel, code) = (
        "cancellation (invoice starts with C)",
        "excluded product code",
    );
    assert_eq!(
        strs(&dropped, "reason"),
        [
            cancel,
            code,
            "price <= 0",
            code,
            "missing customer id",
            "quantity <= 0 (return)",
            code,
            cancel
        ]
    );

    // The report's table of dropped lines: each rule's words as the clean note says them,
    // in the rules' order, when the clean stage runs and when it is restored from the cache.
    let expected = [
        ("missing customer id", 1),
        ("cancellation (invoice starts with C)", 2),
        ("quantity &lt;= 0 (return)", 1),
        ("price &lt;= 0", 1),
        ("excluded product code", 3),
    ]
    .map(|(why, n)| (why.to_string(), n));
    assert_eq!(
        dropped_table(&w.path("outputs/hand/report.html")),
        &expected
    );
    w.ok(&["run", "p.yaml", "--from", "features"]);
    assert_eq!(
        dropped_table(&w.path("outputs/hand/report.html")),
        &expected
    );

    let f = read_parquet(&w.path("outputs/hand/03_features.parquet"));
    // Customer 700 only cancelled: not a customer of the RFM table.
    assert_eq!(
        f64s(&f, "CustomerID"),
        vec![100.0, 200.0, 300.0, 500.0, 600.0]
    );
    // Reference date: the day after the last purchase (2011-12-09 20:00) = 2011-12-10.
    assert_eq!(f64s(&f, "recency"), vec![0.0, 91.0, 0.0, 69.0, 0.0]);
    assert_eq!(f64s(&f, "frequency"), vec![2.0, 2.0, 2.0, 1.0, 4.0]);
    assert_eq!(f64s(&f, "monetary"), vec![40.0, 20.0, 200.0, 7.5, 400.0]);
    assert_eq!(f64s(&f, "aov"), vec![20.0, 10.0, 100.0, 7.5, 100.0]);
    assert_eq!(f64s(&f, "tenure"), vec![9.0, 328.0, 0.0, 69.0, 92.0]);
    assert_eq!(f64s(&f, "items_per_order"), vec![3.5, 7.5, 1.5, 6.0, 10.0]);
    assert_eq!(
        f64s(&f, "log1p_monetary"),
        [40.0f64, 20.0, 200.0, 7.5, 400.0].map(f64::ln_1p).to_vec()
    );
    assert_eq!(
        strs(&f, "Country"),
        vec![
            "United Kingdom",
            "France",
            "Germany",
            "Spain",
            "United Kingdom"
        ]
    );
    // Recency reversed (recent = 5); ties broken by customer order.
    assert_eq!(f64s(&f, "r_score"), vec![3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(f64s(&f, "f_score"), vec![2.0, 3.0, 4.0, 1.0, 5.0]);
    assert_eq!(f64s(&f, "m_score"), vec![3.0, 2.0, 4.0, 1.0, 5.0]);
    // The most recent, most frequent, highest-spending customer: 5-5-5, a champion.
    assert_eq!(
        strs(&f, "rfm_segment"),
        vec![
            "about_to_sleep",
            "at_risk",
            "loyal",
            "hibernating",
            "champions"
        ]
    );

    let ct = read_parquet(&w.path("outputs/hand/07_profile_rfm.parquet"));
    assert_eq!(f64s(&ct, "customers").iter().sum::<f64>(), 5.0);
}

#[test]
fn net_mode_keeps_returns_and_nets_them() {
    let w = Workdir::new();
    w.copy(&fixture("transactions_hand.csv"), "tx.csv");
    w.write("p.yaml", &pipeline("tx.csv", "net", ", cancellations: net"));
    w.ok(&["run", "-q", "p.yaml", "--until", "features"]);
    let f = read_parquet(&w.path("outputs/net/03_features.parquet"));
    // 700 only returned a vase: frequency 0, net monetary -30.
    assert_eq!(
        f64s(&f, "CustomerID"),
        vec![100.0, 200.0, 300.0, 500.0, 600.0, 700.0]
    );
    assert_eq!(
        f64s(&f, "monetary"),
        vec![20.0, 20.0, 200.0, 5.0, 400.0, -30.0]
    );
    assert_eq!(f64s(&f, "frequency")[..5], [2.0, 2.0, 2.0, 2.0, 4.0]);
}

#[test]
fn all_cancellations_is_a_clear_error() {
    let w = Workdir::new();
    w.write(
        "tx.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
         C1,A,x,-1,2011-01-01 10:00:00,2.0,1,UK\nC2,A,x,-2,2011-01-02 10:00:00,2.0,2,UK\n",
    );
    w.write("p.yaml", &pipeline("tx.csv", "allc", ""));
    let err = w.fails(&["run", "p.yaml"]);
    assert!(err.contains("no transaction lines are left after cleaning (2 dropped: 2 cancellation (invoice starts with C))"), "{err}");
}

/// Independent computation: plain Rust over the Parquet rows, the default rules.
fn reference(path: &std::path::Path) -> (usize, usize, f64) {
    let df = read_parquet(path);
    let inv = df.column("InvoiceNo").unwrap().str().unwrap().clone();
    let code = df.column("StockCode").unwrap().str().unwrap().clone();
    let qty = df.column("Quantity").unwrap().i64().unwrap().clone();
    let price = df.column("UnitPrice").unwrap().f64().unwrap().clone();
    let cust = df.column("CustomerID").unwrap().f64().unwrap().clone();
    let excluded: HashSet<&str> = ["POST", "DOT", "M", "D", "BANK CHARGES", "AMAZONFEE"].into();
    let mut spend: HashMap<i64, f64> = HashMap::new();
    let mut all = HashSet::new();
    for i in 0..df.height() {
        let Some(c) = cust.get(i) else { continue };
        all.insert(c as i64);
        let (q, p) = (qty.get(i).unwrap(), price.get(i).unwrap());
        if inv.get(i).unwrap().starts_with('C')
            || q <= 0
            || p <= 0.0
            || excluded.contains(code.get(i).unwrap())
        {
            continue;
        }
        *spend.entry(c as i64).or_default() += q as f64 * p;
    }
    (all.len(), spend.len(), spend.values().sum())
}

#[test]
fn online_retail_parquet_and_csv_give_the_published_counts_and_the_same_features() {
    let (Some(pq), Some(gz)) = (
        shared_data("online_retail.parquet"),
        shared_data("online_retail.csv.gz"),
    ) else {
        return;
    };
    let w = Workdir::new();
    w.write("pq.yaml", &pipeline(pq.to_str().unwrap(), "pq", ""));
    w.write("gz.yaml", &pipeline(gz.to_str().unwrap(), "gz", ""));
    let out = w.ok(&["run", "pq.yaml", "--until", "features"]);
    assert!(out.contains("ingest      541909    541909"), "{out}");
    assert!(
        out.contains("4,372 distinct customers, dates 2010-12-01 to 2011-12-09"),
        "{out}"
    );
    w.ok(&["run", "-q", "gz.yaml", "--until", "features"]);

    let (all, kept, total) = reference(&pq);
    assert_eq!(all, 4372);
    let f = read_parquet(&w.path("outputs/pq/03_features.parquet"));
    assert_eq!(f.height(), kept);
    let monetary: f64 = f64s(&f, "monetary").iter().sum();
    assert!(
        (monetary - total).abs() <= 1e-9 * total,
        "{monetary} vs {total}"
    );
    let g = read_parquet(&w.path("outputs/gz/03_features.parquet"));
    assert!(
        f.equals_missing(&g),
        "CSV and Parquet copies give the same features table"
    );
    assert_eq!(
        std::fs::read(w.path("outputs/pq/03_features.parquet")).unwrap(),
        std::fs::read(w.path("outputs/gz/03_features.parquet")).unwrap()
    );
}

#[test]
fn generated_transactions_run_through_the_whole_pipeline() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "20000",
        "--seed",
        "7",
        "--out",
        "tx.csv",
    ]);
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "20000",
        "--seed",
        "7",
        "--out",
        "tx.parquet",
    ]);
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "20000",
        "--seed",
        "7",
        "--out",
        "again.csv",
    ]);
    assert_eq!(
        std::fs::read(w.path("tx.csv")).unwrap(),
        std::fs::read(w.path("again.csv")).unwrap()
    );

    let lines = read_parquet(&w.path("tx.parquet"));
    assert_eq!(lines.height(), 20_000);
    let missing = lines.column("CustomerID").unwrap().null_count() as f64 / 20_000.0;
    assert!(
        (0.15..0.25).contains(&missing),
        "missing customer ids {missing}"
    );
    let inv = strs(&lines, "InvoiceNo");
    let cancelled = inv.iter().filter(|i| i.starts_with('C')).count() as f64 / 20_000.0;
    assert!(
        (0.005..0.04).contains(&cancelled),
        "cancellation lines {cancelled}"
    );
    let zero = f64s(&lines, "UnitPrice")
        .iter()
        .filter(|p| **p == 0.0)
        .count();
    assert!(zero > 0);

    w.write("csv.yaml", &pipeline("tx.csv", "gen_csv", ""));
    w.write("pq.yaml", &pipeline("tx.parquet", "gen_pq", ""));
    let out = w.ok(&["run", "csv.yaml"]);
    assert!(out.contains("<- chosen"), "{out}");
    w.ok(&["run", "-q", "pq.yaml"]);
    let a = read_parquet(&w.path("outputs/gen_csv/03_features.parquet"));
    let b = read_parquet(&w.path("outputs/gen_pq/03_features.parquet"));
    assert!(a.equals_missing(&b));
    // A Parquet input that ingest leaves as it is becomes the ingest artifact by copy; the
    // CSV input, typed by ingest, gives the same lines.
    assert_eq!(
        std::fs::read(w.path("outputs/gen_pq/01_ingest.parquet")).unwrap(),
        std::fs::read(w.path("tx.parquet")).unwrap()
    );
    let from_csv = read_parquet(&w.path("outputs/gen_csv/01_ingest.parquet"));
    assert!(from_csv.equals_missing(&lines), "{from_csv:?}\n{lines:?}");
    // Heavy-tailed activity: the top 10% of customers place far more than 10% of orders.
    let mut freq = f64s(&a, "frequency");
    freq.sort_by(|x, y| y.total_cmp(x));
    let top: f64 = freq[..freq.len() / 10].iter().sum();
    assert!(
        top / freq.iter().sum::<f64>() > 0.3,
        "top decile share {}",
        top / freq.iter().sum::<f64>()
    );
}

#[test]
fn spend_share_per_category() {
    let w = Workdir::new();
    w.copy(&fixture("transactions_hand.csv"), "tx.csv");
    let config = pipeline("tx.csv", "cat", "")
        .replace(
            "country: Country}",
            "country: Country, category: StockCode}",
        )
        .replace(
            "use: [recency, frequency, log1p_monetary]",
            "use: [recency, frequency, share_F1]",
        );
    w.write("p.yaml", &config);
    w.ok(&["run", "-q", "p.yaml"]);
    let f = read_parquet(&w.path("outputs/cat/03_features.parquet"));
    // Customer 100 spent 10 on A1, 20 on A2 and 10 on A3 (the DOT postage line is excluded).
    assert_eq!(f64s(&f, "share_A1")[0], 0.25);
    assert_eq!(f64s(&f, "share_A2")[0], 0.5);
    assert_eq!(f64s(&f, "share_A3")[0], 0.25);
    assert_eq!(f64s(&f, "share_F1"), vec![0.0, 0.0, 0.0, 0.0, 1.0]);
    assert!(
        f.column("share_POST").is_err(),
        "excluded products are not categories"
    );
}

/// Without the cargo feature `spark`, asking for the Spark engine says how to get it.
#[cfg(not(feature = "spark"))]
#[test]
fn the_spark_engine_needs_the_spark_build() {
    let w = Workdir::new();
    w.write("tx.csv", "c,d,m\n1,2024-01-01,5\n");
    w.write(
        "p.yaml",
        "name: s\ninput:\n  path: tx.csv\n  kind: transactions\n  engine: spark\n  columns: {customer: c, date: d, amount: m}\nfeatures:\n  rfm: {}\n  use: [recency, monetary]\ncluster:\n  kmeans: {k: 2}\n",
    );
    let err = w.fails(&["run", "p.yaml"]);
    assert!(
        err.contains("p.yaml:5:") && err.contains("built without the Spark engine: build it with `cargo build --release --features spark`"),
        "{err}"
    );
}
