//! PostgreSQL as a source and a destination, against a real server: the one at
//! `SEGFLOW_PG_URL` with its password in `PGPASSWORD` (`scripts/pg-local start`, then
//! `eval "$(scripts/pg-local env)"`; `.ci/run` does both). Without it every test skips with
//! the reason, and fails when `SEGFLOW_REQUIRE` names `postgres`.
//!
//! Each test works on tables of its own name, so the tests run side by side.

use std::io::{Read, Write};

use crate::common::{f64s, read_parquet, shared_data, skip, strs, Workdir};

/// The server's URL, or `None` after [`skip`].
fn server() -> Option<String> {
    match std::env::var("SEGFLOW_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skip(
                "postgres",
                "SEGFLOW_PG_URL is not set (scripts/pg-local start; eval \"$(scripts/pg-local env)\")",
            );
            None
        }
    }
}

fn client(url: &str) -> postgres::Client {
    let mut config: postgres::Config = url.parse().unwrap();
    if let Ok(p) = std::env::var("PGPASSWORD") {
        config.password(p);
    }
    config.connect(postgres::NoTls).unwrap()
}

/// A table `name` holding `csv` in columns `ddl` named as its header line says, in file order
/// (a `line` column numbers the rows from 1).
fn load(url: &str, name: &str, ddl: &str, csv: &[u8]) {
    let mut c = client(url);
    c.batch_execute(&format!(
        "DROP TABLE IF EXISTS {name} CASCADE; CREATE TABLE {name} (line bigserial, {ddl})"
    ))
    .unwrap();
    // The columns are named by the CSV's header line.
    let header = std::str::from_utf8(csv.split(|b| *b == b'\n').next().unwrap()).unwrap();
    let columns: Vec<String> = header
        .trim_end()
        .split(',')
        .map(|n| format!("\"{n}\""))
        .collect();
    let mut w = c
        .copy_in(&format!(
            "COPY {name} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
            columns.join(", ")
        ))
        .unwrap();
    w.write_all(csv).unwrap();
    w.finish().unwrap();
}

/// A query's rows as CSV with a header line.
fn rows(url: &str, query: &str) -> String {
    let mut c = client(url);
    c.batch_execute("SET extra_float_digits = 1").unwrap();
    let mut text = String::new();
    c.copy_out(&format!(
        "COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    ))
    .unwrap()
    .read_to_string(&mut text)
    .unwrap();
    text
}

const RETAIL_COLUMNS: &str = "\"InvoiceNo\" text, \"StockCode\" text, \"Description\" text, \
    \"Quantity\" integer, \"InvoiceDate\" timestamptz, \"UnitPrice\" numeric(10,3), \
    \"CustomerID\" bigint, \"Country\" text";

/// Two CSV texts with the same lines and fields, a field equal as text or as a number
/// (the server writes 146 where polars writes 146.0).
fn same_values(a: &str, b: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), b.len(), "line counts");
    for (n, (x, y)) in a.iter().zip(&b).enumerate() {
        let (xs, ys): (Vec<&str>, Vec<&str>) = (x.split(',').collect(), y.split(',').collect());
        let same = xs.len() == ys.len()
            && xs.iter().zip(&ys).all(|(p, q)| {
                p == q || matches!((p.parse::<f64>(), q.parse::<f64>()), (Ok(u), Ok(v)) if u == v)
            });
        assert!(same, "line {}:\n{x}\n{y}", n + 1);
    }
}

/// The shipped Online Retail example read from `input`, with `extra` appended.
fn retail_config(input: &str, extra: &str) -> String {
    let text =
        std::fs::read_to_string(crate::common::root().join("examples/online_retail_csv.yaml"))
            .unwrap();
    let from = "  path: ../shared/data/online_retail.csv.gz\n";
    assert!(text.contains(from));
    let text = text
        .replace(from, input)
        .replace("    date_format: \"%Y-%m-%d %H:%M:%S\"\n", "");
    format!("{text}{extra}")
}

#[test]
fn online_retail_from_a_table_equals_the_file_run_and_its_segments_go_back() {
    let (Some(url), Some(data)) = (server(), shared_data("online_retail.csv.gz")) else {
        return;
    };
    let mut csv = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&data).unwrap())
        .read_to_end(&mut csv)
        .unwrap();
    load(&url, "it_retail_lines", RETAIL_COLUMNS, &csv);
    let w = Workdir::new();
    let file_run = retail_config(&format!("  path: {}\n", data.display()), "");
    // In file order: without `order by` the server chooses the order, and a sum of money
    // may differ in its last bit.
    let query = "select \"InvoiceNo\", \"StockCode\", \"Description\", \"Quantity\", \"InvoiceDate\", \"UnitPrice\", \"CustomerID\", \"Country\" from it_retail_lines order by line";
    let db_run = retail_config(
        &format!(
            "  postgres:\n    url: {url}\n    query: '{}'\n",
            query.replace('\'', "''")
        ),
        "output:\n  postgres: {table: it_retail_segments}\n",
    );
    w.write(
        "file.yaml",
        &file_run.replace("name: online_retail_csv", "name: file"),
    );
    w.write(
        "db.yaml",
        &db_run.replace("name: online_retail_csv", "name: db"),
    );
    w.ok(&["run", "-q", "file.yaml", "--out-dir", "out"]);
    let said = w.ok(&["run", "db.yaml", "--out-dir", "out"]);
    assert!(
        said.contains("database:  4334 customers replaced in it_retail_segments at 127.0.0.1:"),
        "{said}"
    );
    for artifact in [
        "01_ingest.parquet",
        "02_clean.parquet",
        "03_features.parquet",
        "segments.parquet",
    ] {
        let a = read_parquet(&w.path(&format!("out/file/{artifact}")));
        let b = read_parquet(&w.path(&format!("out/db/{artifact}")));
        assert!(a.equals_missing(&b), "{artifact} differs:\n{a}\n{b}");
    }
    // The table holds segments.csv's rows and columns, with the run's name.
    let segments = std::fs::read_to_string(w.path("out/db/segments.csv")).unwrap();
    let header = segments.lines().next().unwrap();
    let quoted: Vec<String> = header.split(',').map(|c| format!("\"{c}\"")).collect();
    let table = rows(
        &url,
        &format!("select {} from it_retail_segments", quoted.join(", ")),
    );
    same_values(&table, &segments);
    let names = rows(&url, "select distinct run_name from it_retail_segments");
    assert_eq!(names, "run_name\ndb\n");
    // The manifest says what was read, without a password.
    let manifest = std::fs::read_to_string(w.path("out/db/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"query\": \"select \\\"InvoiceNo\\\""),
        "{manifest}"
    );
    assert!(manifest.contains("source.parquet"), "{manifest}");
    // Unchanged rows: every stage comes from the cache.
    let again = w.ok(&["run", "--json", "db.yaml", "--out-dir", "out"]);
    let doc: serde_json::Value = serde_json::from_str(&again).unwrap();
    let cached: Vec<bool> = doc["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cached"].as_bool().unwrap())
        .collect();
    assert!(cached.iter().all(|c| *c), "{cached:?}");
    assert_eq!(doc["written"]["rows"], 4334);
}

/// Typed columns as written: zero-padded text ids, times with offsets (to UTC), `numeric`,
/// a `NULL` amount (an empty field, as in a file), on both engines.
#[test]
fn server_types_are_read_as_written_on_both_engines() {
    let Some(url) = server() else { return };
    let csv = "customer,invoice,at,amount\n\
               007,a1,2011-01-02 23:30:00+02,10.50\n\
               007,a2,2011-01-05 01:00:00-05,5.25\n\
               010,b1,2011-01-03 12:00:00+00,\n\
               010,b2,2011-01-04 12:00:00+00,7.125\n\
               12,c1,2011-01-06 00:15:00+01,1\n";
    load(
        &url,
        "it_types",
        "customer text, invoice text, at timestamptz, amount numeric(12,3)",
        csv.as_bytes(),
    );
    let w = Workdir::new();
    for engine in ["local", "streaming"] {
        w.write(
            &format!("{engine}.yaml"),
            &format!(
                "name: {engine}\ninput:\n  postgres: {{url: '{url}', query: 'select customer, invoice, at, amount from it_types order by line'}}\n  kind: transactions\n  engine: {engine}\n  columns: {{customer: customer, invoice: invoice, date: at, amount: amount}}\nfeatures: {{use: [recency, monetary], rfm: {{as_of: 2011-01-07}}}}\ncluster: {{kmeans: {{k: 2}}}}\n"
            ),
        );
        w.ok(&["run", "-q", &format!("{engine}.yaml"), "--out-dir", "out"]);
    }
    // The rows as the server sent them, typed: text ids as written, times in UTC,
    // numeric as numbers, NULL missing.
    let source = read_parquet(&w.path("out/local/source.parquet"));
    assert_eq!(
        strs(&source, "customer"),
        ["007", "007", "010", "010", "12"]
    );
    assert_eq!(
        strs(&source, "at"),
        [
            "2011-01-02 21:30:00.000",
            "2011-01-05 06:00:00.000",
            "2011-01-03 12:00:00.000",
            "2011-01-04 12:00:00.000",
            "2011-01-05 23:15:00.000"
        ]
    );
    assert_eq!(
        strs(&source, "amount"),
        ["10.5", "5.25", "", "7.125", "1.0"]
    );
    let f = read_parquet(&w.path("out/local/03_features.parquet"));
    assert_eq!(strs(&f, "customer"), ["007", "010", "12"]);
    assert_eq!(strs(&f, "monetary"), ["15.75", "7.125", "1.0"]);
    // Whole days from the last purchase to as_of (00:00): 12's at 00:15 +01 is 23:15 UTC
    // on 2011-01-05, a day and 45 minutes before (read as 00:15 it would be 0 days).
    assert_eq!(strs(&f, "recency"), ["1", "2", "1"]);
    for artifact in ["03_features.parquet", "segments.parquet"] {
        let a = read_parquet(&w.path(&format!("out/local/{artifact}")));
        let b = read_parquet(&w.path(&format!("out/streaming/{artifact}")));
        assert!(a.equals_missing(&b), "{artifact}:\n{a}\n{b}");
    }
}

/// Invoice lines `c,i,d,m` in table `name`, and a pipeline reading them through `postgres`.
fn small(url: &str, name: &str) -> impl Fn(&str) -> String {
    load(
        url,
        name,
        "c text, i text, d timestamptz, m numeric",
        b"c,i,d,m\n1,a,2011-01-02 10:00:00+00,5\n2,b,2011-01-03 10:00:00+00,6\n\
          3,c,2011-01-04 10:00:00+00,60\n4,d,2011-01-05 10:00:00+00,70\n",
    );
    |postgres: &str| {
        format!("name: f\ninput:\n  postgres: {postgres}\n  kind: transactions\n  columns: {{customer: c, invoice: i, date: d, amount: m}}\nfeatures: {{use: [recency, monetary]}}\ncluster: {{kmeans: {{k: 2}}}}\n")
    }
}

#[test]
fn faults_name_the_server_and_its_message_never_the_password() {
    let Some(url) = server() else { return };
    let config = small(&url, "it_faults");
    let w = Workdir::new();
    let refused = |postgres: &str, env: &[(&str, &str)]| {
        w.write("p.yaml", &config(postgres));
        let started = std::time::Instant::now();
        let out = w.run_env(&["run", "p.yaml"], env);
        assert!(started.elapsed().as_secs() < 12, "{:?}", started.elapsed());
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let err = refused(
        "{url: 'postgresql://segflow@127.0.0.1:1/segflow', table: it_faults}",
        &[],
    );
    assert!(
        err.contains("cannot connect to PostgreSQL at 127.0.0.1:1/segflow: "),
        "{err}"
    );
    assert!(err.contains("is the server running"), "{err}");
    let err = refused(&format!("{{url: '{url}', table: it_nowhere}}"), &[]);
    assert!(err.contains("refused the query: relation \"it_nowhere\" does not exist (at character 15 of the query)"), "{err}");
    let err = refused(
        &format!("{{url: '{url}', query: 'select c, i, d, m fro it_faults'}}"),
        &[],
    );
    assert!(err.contains("refused the query: syntax error at or near \"it_faults\" (at character 23 of the query)"), "{err}");
    // A column the mapping needs and the query lacks: before any row is read.
    let err = refused(
        &format!("{{url: '{url}', query: 'select c, i, d from it_faults'}}"),
        &[],
    );
    assert!(err.contains("transaction column `m` is not in the rows of input.postgres (after renames). The columns are: `c`, `i`, `d`"), "{err}");
    assert!(!w.path("outputs/f/source.parquet").exists());
    let err = refused(
        &format!("{{url: '{url}', table: it_faults}}"),
        &[("PGPASSWORD", "not-the-one-42")],
    );
    assert!(
        err.contains("refused the connection: password authentication failed for user \"segflow\""),
        "{err}"
    );
    assert!(!err.contains("not-the-one-42"), "{err}");
    let with_password = url.replacen("segflow@", "segflow:hunter2@", 1);
    let err = refused(
        &format!("{{url: '{with_password}', table: it_faults}}"),
        &[],
    );
    assert!(err.contains("p.yaml:3:"), "{err}");
    assert!(
        err.contains("holds a password: give it in PGPASSWORD or ~/.pgpass"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    // Without `url`, SEGFLOW_PG_URL gives it (the environment has it here).
    w.write("p.yaml", &config("{table: it_faults}"));
    w.ok(&["run", "-q", "p.yaml"]);
}

#[test]
fn a_failed_or_killed_replace_leaves_the_old_table_and_append_adds() {
    let Some(url) = server() else { return };
    let config = small(&url, "it_keep_lines");
    let w = Workdir::new();
    let count = || rows(&url, "select count(*) from it_keep");
    let input = format!("{{url: '{url}', table: it_keep_lines}}");
    let out =
        |mode: &str| format!("output:\n  postgres: {{table: public.it_keep, mode: {mode}}}\n");
    client(&url)
        .batch_execute("DROP TABLE IF EXISTS it_keep CASCADE")
        .unwrap();
    w.write("p.yaml", &format!("{}{}", config(&input), out("replace")));
    w.ok(&["run", "-q", "p.yaml"]);
    assert_eq!(count(), "count\n4\n");
    // A view on the table: the new table cannot take its place, and nothing changes.
    client(&url)
        .batch_execute("CREATE VIEW it_keep_view AS SELECT * FROM it_keep")
        .unwrap();
    let err = w.fails(&["run", "--force", "p.yaml"]);
    assert!(err.contains("refused to replace public.it_keep: cannot drop table it_keep because other objects depend on it"), "{err}");
    assert_eq!(count(), "count\n4\n");
    let leftover_query = "select count(*) from pg_tables where tablename like 'it_keep\\_\\_%'";
    let leftover = rows(&url, leftover_query);
    assert_eq!(leftover, "count\n0\n");
    let manifest = std::fs::read_to_string(w.path("outputs/f/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"failed in stage output: PostgreSQL at 127.0.0.1:"),
        "{manifest}"
    );
    assert!(w.path("outputs/f/segments.csv").exists());
    // Killed before its commit, a replace leaves the old table too.
    client(&url)
        .batch_execute("DROP VIEW it_keep_view; INSERT INTO it_keep_lines (c, i, d, m) VALUES ('5', 'e', '2011-01-06 10:00:00+00', 80)")
        .unwrap();
    let killed = w.run_env(
        &["run", "-q", "p.yaml"],
        &[("SEGFLOW_ABORT_AT", "database:1")],
    );
    assert_eq!(killed.status.code(), None, "killed by a signal");
    assert_eq!(count(), "count\n4\n");
    assert_eq!(rows(&url, leftover_query), "count\n0\n");
    w.ok(&["run", "-q", "p.yaml"]);
    assert_eq!(count(), "count\n5\n");
    w.write("p.yaml", &format!("{}{}", config(&input), out("append")));
    w.ok(&["run", "-q", "p.yaml"]);
    assert_eq!(count(), "count\n10\n");
}

/// `segflow assign --out postgresql://…/database/table` writes what `--out scored.csv` does.
#[test]
fn assign_writes_the_scored_customers_to_a_table() {
    let Some(url) = server() else { return };
    let w = Workdir::new();
    let out = w.path("out");
    let run = crate::common::run_in_root(&["run", "-q", "pipeline.yaml"], &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let model = out.join("mall/model.json");
    let data = crate::common::root().join("data/mall_customers.csv");
    let (model, data) = (model.to_str().unwrap(), data.to_str().unwrap());
    client(&url)
        .batch_execute("DROP TABLE IF EXISTS it_scored")
        .unwrap();
    let address = format!("{url}/it_scored");
    let said = w.ok(&["assign", "--model", model, data, "--out", &address]);
    assert!(said.contains("scored 198 of 200 customers"), "{said}");
    w.ok(&["assign", "--model", model, data, "--out", "scored.csv"]);
    let csv = std::fs::read_to_string(w.path("scored.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    let quoted: Vec<String> = header.split(',').map(|c| format!("\"{c}\"")).collect();
    same_values(
        &rows(
            &url,
            &format!("select {} from it_scored", quoted.join(", ")),
        ),
        &csv,
    );
    assert_eq!(
        rows(&url, "select distinct run_name from it_scored"),
        "run_name\nassign with mall\n"
    );
    let err = w.fails(&["assign", "--model", model, data, "--out", &url]);
    assert!(err.contains("--out: a table address names the database and then the table: postgresql://user@host:5432/database/schema.table"), "{err}");
}

/// A customer table from the database gives the file run's artifacts (ids, renames, text).
#[test]
fn a_customer_table_gives_the_file_runs_segments() {
    let Some(url) = server() else { return };
    let csv = std::fs::read(crate::common::root().join("data/mall_customers.csv")).unwrap();
    load(
        &url,
        "it_mall",
        "\"CustomerID\" bigint, \"Gender\" text, \"Age\" integer, \"Annual Income (k$)\" numeric, \"Spending Score (1-100)\" integer",
        &csv,
    );
    let yaml = std::fs::read_to_string(crate::common::root().join("pipeline.yaml")).unwrap();
    let file = yaml.replace(
        "data/mall_customers.csv",
        &crate::common::root()
            .join("data/mall_customers.csv")
            .display()
            .to_string(),
    );
    let from = "  path: data/mall_customers.csv";
    let line = yaml.lines().find(|l| l.starts_with(from)).unwrap();
    let table = yaml.replace(
        line,
        &format!("  postgres: {{url: '{url}', query: 'select \"CustomerID\", \"Gender\", \"Age\", \"Annual Income (k$)\", \"Spending Score (1-100)\" from it_mall order by line'}}"),
    );
    let w = Workdir::new();
    w.write("file.yaml", &file.replace("name: mall", "name: file"));
    w.write("table.yaml", &table.replace("name: mall", "name: table"));
    let said = w.ok(&["validate", "table.yaml"]);
    assert!(
        said.contains("table.yaml: ok (pipeline `table`, input the query at 127.0.0.1:"),
        "{said}"
    );
    assert!(said.contains("/segflow with 5 columns)"), "{said}");
    w.ok(&["run", "-q", "file.yaml"]);
    w.ok(&["run", "-q", "table.yaml"]);
    for artifact in [
        "03_features.parquet",
        "05_clusters.parquet",
        "segments.parquet",
    ] {
        let a = read_parquet(&w.path(&format!("outputs/file/{artifact}")));
        let b = read_parquet(&w.path(&format!("outputs/table/{artifact}")));
        assert!(a.equals_missing(&b), "{artifact} differs:\n{a}\n{b}");
    }
}

/// 12,000 invoice lines as a spreadsheet export writes them: zero-padded ids, month-first
/// dates whose first 10,000 lines could be either way round, whole quantities, prices with
/// a thousands separator only from line 11,001. Returns the CSV and Σ quantity × price.
fn export_lines() -> (String, f64) {
    let mut csv = String::from("Invoice,Qty,Order Date,Unit Price,Customer\n");
    let mut total = 0.0;
    for n in 0..12_000u32 {
        let (month, hour) = (1 + n % 12, n % 24);
        let day = if n < 10_000 { 1 + n % 12 } else { 13 + n % 15 };
        let qty = 1 + n % 7;
        let cents = 99
            + (n * 37) % 500
            + if n >= 11_000 && n % 9 == 0 {
                250_000
            } else {
                0
            };
        let price = format!("{}.{:02}", cents / 100, cents % 100);
        let written = match cents >= 100_000 {
            true => format!(
                "\"{},{:03}.{:02}\"",
                cents / 100_000,
                (cents / 100) % 1000,
                cents % 100
            ),
            false => price.clone(),
        };
        total += f64::from(qty) * price.parse::<f64>().unwrap();
        csv.push_str(&format!(
            "{},{qty},{month:02}/{day:02}/2011 {hour:02}:05,{written},{:07}\n",
            500_000 + n / 3,
            17_000 + n % 300
        ));
    }
    (csv, total)
}

/// A table whose every column is `text` (as a staging table loaded from a CSV often is)
/// reads as the CSV itself does, on both engines: the same features and segments, the
/// money of every line.
#[test]
fn a_table_of_text_columns_reads_as_its_csv_on_both_engines() {
    let Some(url) = server() else { return };
    let (csv, total) = export_lines();
    assert!(
        csv.contains("\"2,"),
        "the generator writes thousands separators"
    );
    load(
        &url,
        "it_text_lines",
        "\"Invoice\" text, \"Qty\" text, \"Order Date\" text, \"Unit Price\" text, \"Customer\" text",
        csv.as_bytes(),
    );
    let w = Workdir::new();
    w.write("export.csv", &csv);
    let query = "select \"Invoice\", \"Qty\", \"Order Date\", \"Unit Price\", \"Customer\" from it_text_lines order by line";
    let sources = [
        ("file", "path: export.csv".to_string()),
        (
            "table",
            format!(
                "postgres: {{url: '{url}', query: '{}'}}",
                query.replace('\'', "''")
            ),
        ),
    ];
    let mut runs = Vec::new();
    for (name, source) in &sources {
        for engine in ["local", "streaming"] {
            let run = format!("{name}_{engine}");
            w.write(
                &format!("{run}.yaml"),
                &format!("name: {run}\ninput:\n  {source}\n  kind: transactions\n  engine: {engine}\n  columns: {{customer: Customer, invoice: Invoice, date: Order Date, quantity: Qty, price: Unit Price}}\nfeatures: {{use: [recency, frequency, monetary], rfm: {{as_of: 2012-01-01}}}}\ncluster: {{kmeans: {{k: 3}}}}\n"),
            );
            w.ok(&["run", "-q", &format!("{run}.yaml")]);
            runs.push(run);
        }
    }
    let features = read_parquet(&w.path("outputs/file_local/03_features.parquet"));
    assert_eq!(strs(&features, "Customer")[..2], ["0017000", "0017001"]);
    let money: f64 = f64s(&features, "monetary").iter().sum();
    assert!(
        (money - total).abs() < 1e-6 * total,
        "{money} against {total}"
    );
    for run in &runs[1..] {
        for artifact in ["03_features.parquet", "segments.parquet"] {
            let a = read_parquet(&w.path(&format!("outputs/file_local/{artifact}")));
            let b = read_parquet(&w.path(&format!("outputs/{run}/{artifact}")));
            assert!(a.equals_missing(&b), "{run} {artifact}:\n{a}\n{b}");
        }
    }
}

/// The Mall customer table with every column `text` gives the file run's segments.
#[test]
fn a_customer_table_of_text_columns_gives_the_file_runs_segments() {
    let Some(url) = server() else { return };
    let csv = std::fs::read(crate::common::root().join("data/mall_customers.csv")).unwrap();
    load(
        &url,
        "it_mall_text",
        "\"CustomerID\" text, \"Gender\" text, \"Age\" text, \"Annual Income (k$)\" text, \"Spending Score (1-100)\" text",
        &csv,
    );
    let yaml = std::fs::read_to_string(crate::common::root().join("pipeline.yaml")).unwrap();
    let path = crate::common::root().join("data/mall_customers.csv");
    let from = "  path: data/mall_customers.csv";
    let line = yaml.lines().find(|l| l.starts_with(from)).unwrap();
    let table = yaml.replace(
        line,
        &format!("  postgres: {{url: '{url}', query: 'select \"CustomerID\", \"Gender\", \"Age\", \"Annual Income (k$)\", \"Spending Score (1-100)\" from it_mall_text order by line'}}"),
    );
    let w = Workdir::new();
    w.write(
        "file.yaml",
        &yaml
            .replace("data/mall_customers.csv", &path.display().to_string())
            .replace("name: mall", "name: file"),
    );
    w.write("table.yaml", &table.replace("name: mall", "name: table"));
    w.ok(&["run", "-q", "file.yaml"]);
    w.ok(&["run", "-q", "table.yaml"]);
    // The ids a `text` column holds stay text (a file's plain integers become integers):
    // the same as written in segments.csv, and every other column the same.
    let csv = |run: &str| std::fs::read_to_string(w.path(&format!("outputs/{run}/segments.csv")));
    assert_eq!(csv("file").unwrap(), csv("table").unwrap());
    for artifact in ["03_features.parquet", "segments.parquet"] {
        let a = read_parquet(&w.path(&format!("outputs/file/{artifact}")));
        let b = read_parquet(&w.path(&format!("outputs/table/{artifact}")));
        assert_eq!(strs(&b, "CustomerID"), strs(&a, "CustomerID"));
        let (a, b) = (a.drop("CustomerID").unwrap(), b.drop("CustomerID").unwrap());
        assert!(a.equals_missing(&b), "{artifact} differs:\n{a}\n{b}");
    }
}
