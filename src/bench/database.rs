//! The database cases of `segflow bench`: the real Online Retail lines (`../shared/data`)
//! read through ingest from the CSV file (`online_retail_csv_ingest`) and from a table on
//! the PostgreSQL server at `SEGFLOW_PG_URL` (`online_retail_postgres_ingest`), the runs
//! interleaved. Skipped with the reason when the data or the server is absent.

use std::io::{Read, Write};
use std::path::Path;

use super::{median, timed, CaseResult};
use crate::error::{Error, Result};

const CSV_CASE: &str = "online_retail_csv_ingest";
const TABLE_CASE: &str = "online_retail_postgres_ingest";
const TABLE: &str = "segflow_bench_online_retail";
const DATA: &str = "../shared/data/online_retail.csv.gz";

/// The table's columns, typed as a shop's database would hold them.
const COLUMNS: &str = "\"InvoiceNo\" text, \"StockCode\" text, \"Description\" text, \
    \"Quantity\" integer, \"InvoiceDate\" timestamptz, \"UnitPrice\" numeric(10,3), \
    \"CustomerID\" bigint, \"Country\" text";

/// The pipeline through ingest, reading `input` (a `path:` or `postgres:` line).
fn config(name: &str, input: &str) -> String {
    format!(
        "name: {name}\ninput:\n  {input}\n  kind: transactions\n  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}}\ncluster: {{kmeans: {{k: 2}}}}\n"
    )
}

pub(super) fn cases(dir: &Path, exe: &Path, runs: usize, filter: &str) -> Result<Vec<CaseResult>> {
    if !CSV_CASE.contains(filter) && !TABLE_CASE.contains(filter) {
        return Ok(Vec::new());
    }
    let skip = |why: &str| {
        eprintln!("{TABLE_CASE} skipped: {why}");
        Ok(Vec::new())
    };
    if !Path::new(DATA).exists() {
        return skip(&format!(
            "{DATA} is absent (run from the project root, beside ../shared)"
        ));
    }
    let Ok(url) = std::env::var(crate::config::URL_VARIABLE) else {
        return skip(
            "SEGFLOW_PG_URL is not set (scripts/pg-local start; eval \"$(scripts/pg-local env)\")",
        );
    };
    let folder = dir.join("database");
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let csv = folder.join("online_retail.csv");
    let mut lines = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(DATA).map_err(|e| Error::io(DATA, e))?)
        .read_to_end(&mut lines)
        .map_err(|e| Error::io(DATA, e))?;
    crate::artifacts::write_bytes(&csv, &lines)?;
    if let Err(e) = load(&url, &lines) {
        return skip(&e.to_string());
    }
    let (csv_cfg, table_cfg) = (folder.join("csv.yaml"), folder.join("postgres.yaml"));
    let by_path = format!("path: {}", csv.display());
    let by_query = format!("postgres: {{table: {TABLE}, url: '{url}'}}");
    crate::artifacts::write_bytes(&csv_cfg, config(CSV_CASE, &by_path).as_bytes())?;
    crate::artifacts::write_bytes(&table_cfg, config(TABLE_CASE, &by_query).as_bytes())?;
    let out = folder.join("outputs");
    let mut timings = [(Vec::new(), 0u64), (Vec::new(), 0u64)];
    for r in 0..runs {
        for (i, cfg) in [&csv_cfg, &table_cfg].iter().enumerate() {
            eprintln!("{} run {}/{runs}", [CSV_CASE, TABLE_CASE][i], r + 1);
            let (cfg, out) = (cfg.to_string_lossy(), out.to_string_lossy());
            let args = [
                "run",
                "--force",
                "-q",
                &cfg,
                "--until",
                "ingest",
                "--out-dir",
                &out,
            ];
            let (s, m) = timed(exe, &args)?;
            timings[i].0.push(s);
            timings[i].1 = timings[i].1.max(m);
        }
    }
    let [(csv_secs, csv_rss), (table_secs, table_rss)] = timings;
    let (csv_s, table_s) = (median(csv_secs), median(table_secs));
    eprintln!(
        "{TABLE_CASE}: {:.2}x the time of the same lines from the CSV file",
        table_s / csv_s
    );
    let result = |case: &str, seconds: f64, rss: u64| CaseResult {
        case: case.to_string(),
        input_rows: 541_909,
        customers: 0,
        runs,
        seconds,
        peak_rss_mib: rss as f64 / 1024.0,
        stages: vec![("read and ingest".to_string(), seconds)],
        chosen_model: String::new(),
        peer: None,
    };
    Ok(vec![
        result(CSV_CASE, csv_s, csv_rss),
        result(TABLE_CASE, table_s, table_rss),
    ])
}

/// The lines into the bench table, replaced.
fn load(url: &str, csv: &[u8]) -> Result<()> {
    let mut client = crate::database::connect(url)?;
    let fail = |e: postgres::Error| Error::Data(format!("loading the bench table: {e}"));
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} ({COLUMNS})"
        ))
        .map_err(fail)?;
    let mut w = client
        .copy_in(&format!(
            "COPY {TABLE} FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .map_err(fail)?;
    w.write_all(csv)
        .map_err(|e| Error::Data(format!("loading the bench table: {e}")))?;
    w.finish().map_err(fail)?;
    Ok(())
}
