//! `segflow assign` with the model of an invoice-lines run: lines in, one scored customer out,
//! as the run made its customers (and with its fitted predictions).

use polars::prelude::*;

use crate::common::{f64s, i64s, read_parquet, scaled_customers_csv, strs, Workdir};

const GENERATED: &str = "name: lines
input:
  path: lines.parquet
  kind: transactions
  columns: {customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}
features:
  rfm: {log1p: [monetary]}
  derive: {per_order: \"monetary / frequency\"}
  use: [recency, frequency, log1p_monetary, per_order]
cluster:
  kmeans: {k: [2, 4]}
predict: {time_unit: week}
";

/// The run's own lines, as Parquet and as CSV, scored with its model: every customer's
/// segment and predictions equal to the run's `segments.parquet`, value for value.
#[test]
fn the_runs_own_lines_are_scored_as_the_run_scored_them() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "600",
        "--rows",
        "40000",
        "--out",
        "lines.parquet",
    ]);
    w.write("p.yaml", GENERATED);
    w.ok(&["run", "-q", "p.yaml"]);
    let run = read_parquet(&w.path("outputs/lines/segments.parquet"));
    assert!(run.column("p_alive").unwrap().null_count() < run.height());
    // The same lines as CSV: another file shape, the same customers.
    let mut lines = read_parquet(&w.path("lines.parquet"));
    let mut f = std::fs::File::create(w.path("lines.csv")).unwrap();
    CsvWriter::new(&mut f).finish(&mut lines).unwrap();
    for file in ["lines.parquet", "lines.csv"] {
        let said = w.ok(&[
            "assign",
            "--model",
            "outputs/lines/model.json",
            file,
            "--out",
            "scored.parquet",
        ]);
        assert!(said.contains("read 40,000 lines of"), "{said}");
        let scored = read_parquet(&w.path("scored.parquet"));
        assert_eq!(scored.height(), run.height(), "{file}");
        assert_eq!(strs(&scored, "CustomerID"), strs(&run, "CustomerID"));
        assert_eq!(i64s(&scored, "segment"), i64s(&run, "segment"), "{file}");
        for c in ["recency", "frequency", "monetary"] {
            assert_eq!(f64s(&scored, c), f64s(&run, c), "{file}: {c}");
        }
        for c in ["p_alive", "expected_purchases", "clv"] {
            let (a, b) = (scored.column(c).unwrap(), run.column(c).unwrap());
            assert!(a.equals_missing(b), "{file}: {c}");
        }
        assert_eq!(scored.column("reason").unwrap().null_count(), run.height());
    }
}

const HAND: &str = "name: hand
input:
  path: tx.csv
  kind: transactions
  columns: {customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode}
clean:
  transactions: {exclude_products: [POST, DOT, M, D]}
features:
  rfm: {}
  use: [USE]
cluster:
  kmeans: {k: 2}
";

/// Runs the `HAND` pipeline on `tx.csv` with `features.use: [columns]`.
fn run_hand(w: &Workdir, columns: &str) {
    w.write("p.yaml", &HAND.replace("USE", columns));
    w.ok(&["run", "-q", "p.yaml"]);
}

/// The arguments of `segflow assign` with the `HAND` run's model on `tx.csv` into `out`.
fn assign_hand<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "assign",
        "--model",
        "outputs/hand/model.json",
        "tx.csv",
        "--out",
        out,
    ];
    args.extend(extra);
    args
}

/// tests/fixtures/transactions_hand.csv as of 2011-12-01, worked out by hand: the lines of
/// December are left out, the run's rules drop the rest as the run did.
#[test]
fn lines_up_to_as_of_make_the_customers_worked_out_by_hand() {
    let w = Workdir::new();
    w.copy(&crate::common::fixture("transactions_hand.csv"), "tx.csv");
    run_hand(&w, "recency, frequency, monetary");
    let said = w.ok(&assign_hand("scored.csv", &["--as-of", "2011-12-01"]));
    assert!(
        said.contains("read 20 lines of tx.csv, kept 7: 4 distinct customers, dates 2011-01-15 to 2011-11-30; as of 2011-12-01; dropped: 6 dated on or after 2011-12-01, 1 missing customer id"),
        "{said}"
    );
    let scored = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(w.path("scored.csv")))
        .unwrap()
        .finish()
        .unwrap();
    // 100: the candle of 11-30 09:00 (postage excluded); 200: 01-15 and 09-10 (the free
    // line and the postage dropped); 500: 10-01 (the return dropped); 600: three tables of
    // 100 (the manual excluded); 300's lines are all in December, 700's is a cancellation.
    assert_eq!(i64s(&scored, "CustomerID"), [100, 200, 500, 600]);
    assert_eq!(i64s(&scored, "frequency"), [1, 2, 1, 3]);
    assert_eq!(f64s(&scored, "monetary"), [10.0, 20.0, 7.5, 300.0]);
    assert_eq!(i64s(&scored, "recency"), [0, 82, 60, 22]);
    assert_eq!(scored.column("segment").unwrap().null_count(), 0);
}

/// Lines before 1970 (negative epoch days): the default as-of date is the day after the
/// last line, 1969-11-16.
#[test]
fn lines_before_1970_are_dated_as_written() {
    let w = Workdir::new();
    w.write(
        "tx.csv",
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID
1,A,1,1969-10-30 10:00:00,5.00,1
2,A,2,1969-10-31 10:00:00,5.00,1
3,A,1,1969-06-01 10:00:00,5.00,2
4,A,3,1969-11-15 10:00:00,5.00,3
",
    );
    run_hand(&w, "recency, frequency, monetary");
    let said = w.ok(&assign_hand("scored.parquet", &[]));
    assert!(said.contains("as of 1969-11-16"), "{said}");
    let scored = read_parquet(&w.path("scored.parquet"));
    assert_eq!(i64s(&scored, "recency"), [15, 167, 0]);
    assert_eq!(i64s(&scored, "frequency"), [2, 1, 1]);
    assert_eq!(f64s(&scored, "monetary"), [15.0, 5.0, 15.0]);
}

#[test]
fn what_cannot_score_lines_is_refused_with_what_to_do() {
    let w = Workdir::new();
    w.copy(&crate::common::fixture("transactions_hand.csv"), "tx.csv");
    // Quintile scores rank customers among those of one table.
    run_hand(&w, "r_score, recency");
    let assign = |extra: &[&str]| w.fails(&assign_hand("s.parquet", extra));
    let err = assign(&[]);
    assert!(
        err.contains("the model uses `r_score`, a rank among the customers of one table"),
        "{err}"
    );
    run_hand(&w, "recency, frequency");
    let err = assign(&["--engine", "spark"]);
    assert!(
        err.contains("invoice lines are scored on this machine: drop --engine spark"),
        "{err}"
    );
    let err = assign(&["--as-of", "1.12.2011"]);
    assert!(
        err.contains("--as-of must be a date like 2011-12-10, got `1.12.2011`"),
        "{err}"
    );
    // A customer table's model has no lines to date.
    scaled_customers_csv(&w);
    w.write(
        "c.yaml",
        "name: c\ninput: {path: customers.csv, id: id}\ncluster:\n  kmeans: {k: 2}\n",
    );
    w.ok(&["run", "-q", "c.yaml"]);
    let err = w.fails(&[
        "assign",
        "--model",
        "outputs/c/model.json",
        "customers.csv",
        "--as-of",
        "2011-12-01",
        "--out",
        "s.csv",
    ]);
    assert!(
        err.contains("--as-of is for the model of an invoice-lines run"),
        "{err}"
    );
    // A model.json of an invoice-lines run from before the line rules were kept: the lines
    // cannot be read as customers, and the message says what to do.
    run_hand(&w, "recency, frequency");
    let path = w.path("outputs/hand/model.json");
    let mut model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    model.as_object_mut().unwrap().remove("lines");
    std::fs::write(&path, serde_json::to_vec(&model).unwrap()).unwrap();
    let err = assign(&[]);
    assert!(
        err.contains("made before segflow kept the run's line rules in it: run the pipeline again"),
        "{err}"
    );
}
