//! `input.engine: streaming`: invoice lines out of core give the in-memory engine's rows,
//! and its features table byte for byte, on any thread count.

use crate::common::{read_parquet, shared_data, Workdir};

const COLUMNS: &str = "customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode, country: Country";

fn pipeline(name: &str, input: &str, engine: &str, columns: &str, clean: &str) -> String {
    format!(
        "name: {name}\nseed: 42\ninput:\n  path: {input}\n  kind: transactions\n  engine: {engine}\n  columns: {{{columns}}}\nclean:\n  transactions: {{{clean}}}\nfeatures:\n  rfm: {{log1p: [frequency, monetary]}}\n  use: [recency, log1p_frequency, log1p_monetary, aov, tenure]\nscale: {{method: standard}}\ncluster:\n  kmeans: {{k: [2, 4], n_init: 2}}\n"
    )
}

/// Runs `yaml` locally and on the streaming engine (to features) and compares the artifacts.
fn same_as_local(w: &Workdir, name: &str, yaml: &str) {
    for engine in ["local", "streaming"] {
        let text = yaml
            .replace("engine: ENGINE", &format!("engine: {engine}"))
            .replace(&format!("name: {name}"), &format!("name: {name}_{engine}"));
        w.write(&format!("{name}_{engine}.yaml"), &text);
        w.ok(&[
            "run",
            "-q",
            &format!("{name}_{engine}.yaml"),
            "--until",
            "features",
        ]);
    }
    let (local, streamed) = (
        w.path(&format!("outputs/{name}_local")),
        w.path(&format!("outputs/{name}_streaming")),
    );
    let bytes = |d: &std::path::Path| std::fs::read(d.join("03_features.parquet")).unwrap();
    assert!(
        bytes(&local) == bytes(&streamed),
        "{name}: 03_features differs"
    );
    for file in [
        "01_ingest.parquet",
        "02_clean.parquet",
        "02_clean_dropped.parquet",
    ] {
        let (a, b) = (
            read_parquet(&local.join(file)),
            read_parquet(&streamed.join(file)),
        );
        assert!(a.height() > 0 || file.contains("dropped"), "{name} {file}");
        assert!(a.equals_missing(&b), "{name}: {file} differs:\n{a}\n{b}");
    }
    let notes = |d: &std::path::Path| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("manifest.json")).unwrap()).unwrap();
        m["stages"].as_array().unwrap()[..2]
            .iter()
            .map(|s| (s["rows_out"].clone(), s["note"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(notes(&local), notes(&streamed), "{name}");
}

#[test]
fn streaming_gives_the_in_memory_artifacts() {
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
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "8000",
        "--out",
        "lines.csv",
    ]);
    let with_category = format!("{COLUMNS}, category: Description");
    let no_invoice =
        "customer: CustomerID, date: InvoiceDate, quantity: Quantity, price: UnitPrice";
    for (name, input, columns, clean) in [
        (
            "drop",
            "lines.parquet",
            with_category.as_str(),
            "cancellations: drop, exclude_products: [POST]",
        ),
        ("net", "lines.parquet", COLUMNS, "cancellations: net"),
        (
            "days",
            "lines.parquet",
            no_invoice,
            "drop_non_positive_price: false",
        ),
        ("csv", "lines.csv", COLUMNS, "cancellations: drop"),
    ] {
        same_as_local(&w, name, &pipeline(name, input, "ENGINE", columns, clean));
    }
}

/// Both engines, with spend per category: the same bytes on 1, 2 and 4 threads. (Before the
/// ordered fold, the in-memory engine's category sums changed with the thread count.)
#[test]
fn both_engines_are_the_same_on_any_thread_count() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "2000",
        "--rows",
        "100000",
        "--out",
        "lines.parquet",
    ]);
    let columns = format!("{COLUMNS}, category: Description");
    for engine in ["local", "streaming"] {
        w.write(
            "p.yaml",
            &pipeline(
                "t",
                "lines.parquet",
                engine,
                &columns,
                "cancellations: drop",
            ),
        );
        let mut seen = Vec::new();
        for threads in ["1", "2", "4"] {
            let out = w.run_env(
                &["run", "-q", "p.yaml", "--force", "--until", "features"],
                &[
                    ("POLARS_MAX_THREADS", threads),
                    ("RAYON_NUM_THREADS", threads),
                ],
            );
            assert!(out.status.success());
            seen.push(std::fs::read(w.path("outputs/t/03_features.parquet")).unwrap());
        }
        assert!(seen.windows(2).all(|p| p[0] == p[1]), "{engine}");
    }
}

#[test]
fn streaming_refuses_what_it_cannot_read_in_parts() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "50",
        "--rows",
        "500",
        "--out",
        "lines.csv",
    ]);
    let gz = pipeline(
        "t",
        "lines.csv.gz",
        "streaming",
        COLUMNS,
        "cancellations: drop",
    );
    w.write("gz.yaml", &gz);
    let err = w.fails(&["validate", "gz.yaml"]);
    assert!(
        err.contains("gz.yaml:4:")
            && err.contains("input.engine: streaming reads uncompressed files"),
        "{err}"
    );
    w.write(
        "c.yaml",
        "name: c\ninput: {path: lines.csv, engine: streaming}\ncluster: {kmeans: {k: 2}}\n",
    );
    let err = w.fails(&["validate", "c.yaml"]);
    assert!(err.contains("streams invoice lines"), "{err}");
    let bad_dates = pipeline(
        "t",
        "lines.csv",
        "streaming",
        &COLUMNS.replace("date: InvoiceDate", "date: Description"),
        "cancellations: drop",
    );
    w.write("d.yaml", &bad_dates);
    let err = w.fails(&["run", "-q", "d.yaml"]);
    assert!(
        err.contains("cannot read the dates in `Description`: `")
            && err.contains("set input.columns.date_format"),
        "{err}"
    );
}

/// The real Online Retail lines: the same features table and drop counts as in memory.
#[test]
fn streaming_on_the_real_online_retail_lines() {
    let Some(data) = shared_data("online_retail.parquet") else {
        return;
    };
    let w = Workdir::new();
    let yaml = std::fs::read_to_string(crate::common::root().join("examples/online_retail.yaml"))
        .unwrap()
        .replace(
            "../shared/data/online_retail.parquet",
            data.to_str().unwrap(),
        )
        .replace(
            "  kind: transactions",
            "  kind: transactions\n  engine: ENGINE",
        )
        .replace("name: online_retail", "name: or");
    same_as_local(&w, "or", &yaml);
}

/// `input.window` keeps the lines of its period, on both engines alike: every line outside
/// it is dropped with its reason (counted here from the ingested lines), every kept line is
/// inside it.
#[test]
fn a_window_keeps_the_lines_of_its_period_on_both_engines() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "10000",
        "--out",
        "lines.parquet",
    ]);
    let yaml = pipeline(
        "h2",
        "lines.parquet",
        "ENGINE",
        COLUMNS,
        "cancellations: drop",
    )
    .replace(
        "  kind: transactions\n",
        "  kind: transactions\n  window: {from: 2022-07-01, to: 2023-06-30}\n",
    );
    same_as_local(&w, "h2", &yaml);
    let run = w.path("outputs/h2_local");
    let days = |file: &str| -> Vec<String> {
        let df = match file {
            "02_clean.parquet" => crate::common::kept_lines(&run),
            _ => read_parquet(&run.join(file)),
        };
        let c = df
            .column("InvoiceDate")
            .unwrap()
            .cast(&polars::prelude::DataType::String)
            .unwrap();
        c.str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap_or_default().chars().take(10).collect())
            .collect()
    };
    let inside = |d: &String| d.as_str() >= "2022-07-01" && d.as_str() <= "2023-06-30";
    let outside = days("01_ingest.parquet")
        .iter()
        .filter(|d| !inside(d))
        .count();
    assert!(outside > 1000, "{outside}");
    assert!(days("02_clean.parquet").iter().all(inside));
    let dropped = read_parquet(&w.path("outputs/h2_local/02_clean_dropped.parquet"));
    let reasons = crate::common::strs(&dropped, "reason");
    let by_window = reasons
        .iter()
        .filter(|r| *r == "outside input.window (2022-07-01 to 2023-06-30)")
        .count();
    assert_eq!(by_window, outside);
}

/// Zero-padded customer ids in a CSV file stay as written on the streaming engine, as on the
/// local one (`007` is not 7); plain integer ids stay whole numbers on both.
#[test]
fn ids_come_out_as_written_on_both_engines() {
    let w = Workdir::new();
    let lines = "CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice,StockCode,Country\n\
                 007,1,2011-01-02 10:00:00,1,5.0,A,UK\n\
                 007,2,2011-01-05 10:00:00,2,2.5,A,UK\n\
                 010,3,2011-01-03 10:00:00,1,7.0,B,UK\n\
                 12,4,2011-01-04 10:00:00,3,1.0,B,UK\n";
    w.write("padded.csv", lines);
    w.write(
        "plain.csv",
        &lines.replace("\n007,", "\n7,").replace("\n010,", "\n10,"),
    );
    for (name, file) in [("padded", "padded.csv"), ("plain", "plain.csv")] {
        let yaml = pipeline(name, file, "ENGINE", COLUMNS, "cancellations: drop").replace(
            "  kmeans: {k: [2, 4], n_init: 2}",
            "  kmeans: {k: 2, n_init: 2}",
        );
        same_as_local(&w, name, &yaml);
    }
    let ids = |name: &str| {
        let f = read_parquet(&w.path(&format!("outputs/{name}_streaming/03_features.parquet")));
        (
            crate::common::strs(&f, "CustomerID"),
            f.column("CustomerID").unwrap().dtype().clone(),
        )
    };
    assert_eq!(ids("padded").0, ["007", "010", "12"]);
    assert_eq!(ids("padded").1, polars::prelude::DataType::String);
    assert_eq!(ids("plain").0, ["7", "10", "12"]);
    assert_eq!(ids("plain").1, polars::prelude::DataType::Int64);
}
