//! Each engine's RFM table against an independent reference: tests/fixtures/make_rfm.py
//! computes the per-customer table with pandas, its own code, from the lines as stored
//! (tests/fixtures/rfm_reference.json). For the real Online Retail lines the reference holds
//! counts, sums and a SHA-256 of the table as text (the data stays in ../shared); for the
//! hand-made lines the whole table. Ids, counts and days must be equal, money to 1e-9.

use sha2::{Digest, Sha256};

use crate::common::{f64s, fixture, i64s, json, read_parquet, root, shared_data, strs, Workdir};

/// id, recency, frequency, tenure, monetary, items (= items per order × frequency).
type Row = (String, i64, i64, i64, f64, i64);

pub fn rows(features: &polars::prelude::DataFrame, id: &str) -> Vec<Row> {
    let (ids, r, f, t) = (
        strs(features, id),
        i64s(features, "recency"),
        i64s(features, "frequency"),
        i64s(features, "tenure"),
    );
    let (m, per) = (
        f64s(features, "monetary"),
        f64s(features, "items_per_order"),
    );
    (0..ids.len())
        .map(|i| {
            let items = (per[i] * f[i] as f64).round() as i64;
            (ids[i].clone(), r[i], f[i], t[i], m[i], items)
        })
        .collect()
}

/// The reference's digest: `id,recency,frequency,tenure,monetary (6 decimals),items` lines
/// sorted as text.
fn digest(rows: &[Row]) -> String {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(c, r, f, t, m, i)| format!("{c},{r},{f},{t},{m:.6},{i}"))
        .collect();
    lines.sort();
    format!("{:x}", Sha256::digest(lines.join("\n").as_bytes()))
}

pub fn check_online_retail(rows: &[Row], engine: &str) {
    let r = &json("rfm_reference.json")["online_retail"];
    let n = |k: &str| r[k].as_i64().unwrap();
    assert_eq!(rows.len() as i64, n("customers"), "{engine}");
    let sum = |f: fn(&Row) -> i64| rows.iter().map(f).sum::<i64>();
    assert_eq!(sum(|x| x.1), n("sum_recency"), "{engine}");
    assert_eq!(sum(|x| x.2), n("sum_frequency"), "{engine}");
    assert_eq!(sum(|x| x.3), n("sum_tenure"), "{engine}");
    assert_eq!(sum(|x| x.5), n("sum_items"), "{engine}");
    let monetary: f64 = rows.iter().map(|x| x.4).sum();
    let expected = r["sum_monetary"].as_f64().unwrap();
    assert!(
        (monetary - expected).abs() <= 1e-9 * expected,
        "{engine}: {monetary} against {expected}"
    );
    assert_eq!(digest(rows), r["digest"].as_str().unwrap(), "{engine}");
}

/// Runs `cfg` (named `name`) up to its features; returns the features table.
fn features(w: &Workdir, name: &str, cfg: &str) -> polars::prelude::DataFrame {
    w.write(&format!("{name}.yaml"), cfg);
    w.ok(&["run", "-q", &format!("{name}.yaml"), "--until", "features"]);
    read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")))
}

/// examples/online_retail.yaml on the local and the streaming engine.
#[test]
fn online_retail_rfm_equals_the_pandas_reference_on_every_local_engine() {
    let Some(_) = shared_data("online_retail.parquet") else {
        return;
    };
    let w = Workdir::new();
    let example = std::fs::read_to_string(root().join("examples/online_retail.yaml")).unwrap();
    let example = example.replace(
        "../shared/data/",
        &format!("{}/../shared/data/", root().display()),
    );
    for engine in ["local", "streaming"] {
        let cfg = example
            .replace("name: online_retail", &format!("name: or_{engine}"))
            .replace(
                "  kind: transactions\n",
                &format!("  kind: transactions\n  engine: {engine}\n"),
            );
        let f = features(&w, &format!("or_{engine}"), &cfg);
        check_online_retail(&rows(&f, "CustomerID"), engine);
    }
}

/// The hand-made lines, value for value, on the local and the streaming engine.
#[test]
fn hand_made_lines_give_the_pandas_table() {
    let w = Workdir::new();
    w.copy(&fixture("transactions_hand.csv"), "tx.csv");
    let reference: Vec<Row> = json("rfm_reference.json")["transactions_hand"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let i = |k: usize| r[k].as_i64().unwrap();
            (
                r[0].as_str().unwrap().to_string(),
                i(1),
                i(2),
                i(3),
                r[4].as_f64().unwrap(),
                i(5),
            )
        })
        .collect();
    for engine in ["local", "streaming"] {
        let cfg = format!("name: hand_{engine}\ninput:\n  path: tx.csv\n  kind: transactions\n  engine: {engine}\n  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode}}\nclean:\n  transactions: {{cancel_prefix: C, drop_non_positive_price: true, exclude_products: [POST, D, M, DOT, BANK CHARGES, AMAZONFEE, CRUK, PADS, C2, S, B]}}\nfeatures:\n  rfm: {{as_of: 2011-12-10}}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {{k: 2}}\n");
        let f = features(&w, &format!("hand_{engine}"), &cfg);
        let got = rows(&f, "CustomerID");
        assert_eq!(got.len(), reference.len(), "{engine}");
        for (g, e) in got.iter().zip(&reference) {
            assert_eq!(
                (&g.0, g.1, g.2, g.3, g.5),
                (&e.0, e.1, e.2, e.3, e.5),
                "{engine}"
            );
            assert!(
                (g.4 - e.4).abs() <= 1e-9 * e.4.abs(),
                "{engine}: {g:?} against {e:?}"
            );
        }
    }
}
