//! `segflow bench`: the reference pipelines of the performance issue on generated data,
//! each run as a separate `segflow run --force` process, reporting per-stage wall time (from
//! the run's manifest) and the whole process's peak RSS (from `wait4`), median of N runs.

mod database;
mod peer;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// One benchmark case: a data set and a pipeline.
struct Case {
    name: &'static str,
    data: Data,
    dbscan: &'static str,
    /// `input.engine` when not the default (`local`).
    engine: &'static str,
    /// `cluster.kmeans.fit_sample` when set.
    fit_sample: usize,
    /// Whether the pipeline predicts (BG/NBD + Gamma-Gamma, `predict: {}`).
    predict: bool,
}

/// The engine of the case that needs `--spark`.
const SPARK: &str = "spark";

enum Data {
    Customers(usize),
    Transactions {
        customers: usize,
        rows: usize,
    },
    /// A real data set of `../shared/data` (or `SEGFLOW_SHARED_DATA`), read in place.
    Shared(&'static str),
}

const CASES: [Case; 11] = [
    Case {
        name: "customers_100k",
        data: Data::Customers(100_000),
        dbscan: "{eps: 0.5, min_samples: 5}",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "customers_1m",
        data: Data::Customers(1_000_000),
        dbscan: "{eps: 0.5, min_samples: 5}",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "transactions_1m",
        data: Data::Transactions {
            customers: 50_000,
            rows: 1_000_000,
        },
        dbscan: "",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "transactions_10m",
        data: Data::Transactions {
            customers: 500_000,
            rows: 10_000_000,
        },
        dbscan: "",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "transactions_10m_dbscan",
        data: Data::Transactions {
            customers: 500_000,
            rows: 10_000_000,
        },
        dbscan: "{eps: auto, min_samples: 5}",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "transactions_10m_streaming",
        data: Data::Transactions {
            customers: 500_000,
            rows: 10_000_000,
        },
        dbscan: "",
        engine: "streaming",
        fit_sample: 0,
        predict: false,
    },
    // Run only with `--spark` (a build with the Spark engine and a cluster to run on).
    Case {
        name: "transactions_10m_spark",
        data: Data::Transactions {
            customers: 500_000,
            rows: 10_000_000,
        },
        dbscan: "",
        engine: SPARK,
        fit_sample: 0,
        predict: false,
    },
    Case {
        name: "transactions_100m_streaming",
        data: Data::Transactions {
            customers: 5_000_000,
            rows: 100_000_000,
        },
        dbscan: "",
        engine: "streaming",
        fit_sample: 200_000,
        predict: false,
    },
    // The same with predictions: the purchase histories of 1.86M customers within the bound.
    Case {
        name: "transactions_100m_streaming_predict",
        data: Data::Transactions {
            customers: 5_000_000,
            rows: 100_000_000,
        },
        dbscan: "",
        engine: "streaming",
        fit_sample: 200_000,
        predict: true,
    },
    // The real Online Retail lines (Parquet, dates as text), when ../shared/data has them.
    Case {
        name: "online_retail",
        data: Data::Shared("online_retail.parquet"),
        dbscan: "",
        engine: "",
        fit_sample: 0,
        predict: false,
    },
    // About a million customers' purchase histories for the predict stage (967,640 with
    // lines among the 10M ids; the manifest times its reading, fitting and scoring).
    Case {
        name: "transactions_30m_predict",
        data: Data::Transactions {
            customers: 10_000_000,
            rows: 30_000_000,
        },
        dbscan: "",
        engine: "",
        fit_sample: 0,
        predict: true,
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub case: String,
    pub input_rows: usize,
    pub customers: usize,
    pub runs: usize,
    /// Median whole-process wall time.
    pub seconds: f64,
    /// Largest peak RSS over the runs, in MiB.
    pub peak_rss_mib: f64,
    /// Median seconds per stage.
    pub stages: Vec<(String, f64)>,
    pub chosen_model: String,
    /// The Python peer on the same file, its runs interleaved with these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<peer::PeerResult>,
}

fn data_file(dir: &Path, data: &Data) -> PathBuf {
    match data {
        Data::Customers(n) => dir.join(format!("customers_{n}.parquet")),
        Data::Shared(name) => std::env::var_os("SEGFLOW_SHARED_DATA")
            .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from)
            .join(name),
        Data::Transactions { customers, rows } => {
            dir.join(format!("transactions_{customers}_{rows}.parquet"))
        }
    }
}

fn config(case: &Case, path: &Path) -> String {
    let cluster_db = if case.dbscan.is_empty() {
        String::new()
    } else {
        format!("\n  dbscan: {}", case.dbscan)
    };
    let sample = match case.fit_sample {
        0 => String::new(),
        n => format!(", fit_sample: {n}"),
    };
    let engine = match case.engine {
        "" => String::new(),
        e => format!("\n  engine: {e}"),
    };
    let common = format!(
        "scale: {{method: standard}}\ncluster:\n  kmeans: {{k: [2, 10], n_init: 1, max_iter: 300{sample}}}{cluster_db}\n\
         evaluate: {{choose_by: silhouette, choose_from: kmeans, silhouette_sample: 10000}}\nprofile: {{top_features: 2}}\n{}",
        if case.predict { "predict: {}\n" } else { "" }
    );
    match case.data {
        Data::Customers(_) => format!(
            "name: {}\nseed: 42\ninput:\n  path: {}\n  id: CustomerID\n  rename: {{\"Annual Income (k$)\": income, \"Spending Score (1-100)\": score}}\n\
             clean:\n  impute: {{numeric: median, categorical: mode}}\n  outliers: {{method: iqr, factor: 1.5, columns: [Age, income, score], action: drop}}\n\
             features:\n  one_hot: [Gender]\n  drop_first: true\n  use: [Age, income, score, Gender]\n{common}",
            case.name,
            path.display()
        ),
        Data::Transactions { .. } | Data::Shared(_) => format!(
            "name: {}\nseed: 42\ninput:\n  path: {}\n  kind: transactions{engine}\n  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}}\n\
             clean:\n  transactions: {{cancellations: drop, drop_non_positive_price: false}}\n\
             features:\n  rfm: {{log1p: [frequency, monetary]}}\n  use: [recency, log1p_frequency, log1p_monetary, aov, tenure]\n{common}",
            case.name,
            path.display()
        ),
    }
}

/// The data file of a case, generated first when it is missing.
/// The data set's file under `dir`, generated first when missing. Generated by a
/// `segflow generate` child process: a child's peak RSS counts the memory its parent holds
/// when it starts, so the bench process itself must stay small.
fn ensure_data(dir: &Path, data: &Data) -> Result<PathBuf> {
    let path = data_file(dir, data);
    if !path.exists() && !matches!(data, Data::Shared(_)) {
        eprintln!("generating {}", path.display());
        let exe = std::env::current_exe().map_err(|e| Error::io("segflow", e))?;
        let out = path.to_string_lossy();
        let (rows, customers) = match *data {
            Data::Customers(n) => (n.to_string(), None),
            Data::Transactions { customers, rows } => (rows.to_string(), Some(customers)),
            Data::Shared(_) => unreachable!("a shared data set is never generated"),
        };
        let customers = customers.map(|c| c.to_string());
        let mut args = vec!["generate"];
        match &customers {
            None => args.extend(["customers", "--rows", &rows]),
            Some(c) => args.extend(["transactions", "--customers", c, "--rows", &rows]),
        }
        args.extend(["--seed", "42", "--out", &out]);
        timed(&exe, &args)?;
    }
    Ok(path)
}

/// Scoring cases: the 1M customers of `customers_1m` scored by `segflow assign` against the
/// model of a run of that pipeline that chose K-means or DBSCAN (the run is not timed), on
/// this machine or (with `--spark`) on the cluster, which writes a Parquet dataset.
/// (DBSCAN on the cluster is not a case: 1M customers against its 990,038 core points ran
/// the local cluster's 1 GB driver out of heap; see the README.)
const ASSIGN_CASES: [(&str, &str, &str); 3] = [
    ("assign_1m_kmeans", "kmeans", "local"),
    ("assign_1m_dbscan", "dbscan", "local"),
    ("assign_1m_kmeans_spark", "kmeans", SPARK),
];

fn assign_cases(
    dir: &Path,
    exe: &Path,
    runs: usize,
    filter: &str,
    spark: bool,
) -> Result<Vec<CaseResult>> {
    let mut results = Vec::new();
    let base = &CASES[1];
    let cases = ASSIGN_CASES
        .iter()
        .filter(|c| c.0.contains(filter) && (spark || c.2 != SPARK));
    for (name, algorithm, engine) in cases {
        let path = ensure_data(dir, &base.data)?;
        let cfg = dir.join(format!("{name}.yaml"));
        let text = config(base, &path)
            .replacen(base.name, name, 1)
            .replace("choose_from: kmeans", &format!("choose_from: {algorithm}"));
        crate::artifacts::write_bytes(&cfg, text.as_bytes())?;
        let out = dir.join("outputs");
        let (cfg, out_s) = (cfg.to_string_lossy(), out.to_string_lossy());
        eprintln!("{name}: fitting the model");
        timed(exe, &["run", "--force", "-q", &cfg, "--out-dir", &out_s])?;
        let model = out.join(name).join("model.json");
        let scored = match *engine {
            SPARK => dir.join(format!("{name}_scored")),
            _ => dir.join(format!("{name}.csv")),
        };
        let (model, path, scored) = (
            model.to_string_lossy(),
            path.to_string_lossy(),
            scored.to_string_lossy(),
        );
        let args = ["assign", "--model", &model, &path, "--out", &scored];
        let (mut secs, mut rss) = (Vec::new(), 0u64);
        for r in 0..runs {
            eprintln!("{name} run {}/{runs}", r + 1);
            let (s, m) = timed(exe, &[&args[..], &["--engine", engine]].concat())?;
            secs.push(s);
            rss = rss.max(m);
        }
        let seconds = median(secs);
        results.push(CaseResult {
            case: name.to_string(),
            input_rows: 1_000_000,
            customers: 1_000_000,
            runs,
            seconds,
            peak_rss_mib: rss as f64 / 1024.0,
            stages: vec![("assign".to_string(), seconds)],
            chosen_model: algorithm.to_string(),
            peer: None,
        });
    }
    Ok(results)
}

/// Lines of the order export of the first-hour cases: the size of the public Superstore
/// table the issue measured (10,194 lines, 21 columns).
const EXPORT_LINES: usize = 10_194;

/// The first hour on a small export: `segflow init` on a 21-column order export
/// (`init_orders_10k`), then its proposal run through ingest (`ingest_orders_10k`: the whole
/// process, and the ingest stage from the manifest).
fn export_cases(dir: &Path, exe: &Path, runs: usize, filter: &str) -> Result<Vec<CaseResult>> {
    let (init_case, ingest_case) = ("init_orders_10k", "ingest_orders_10k");
    if !init_case.contains(filter) && !ingest_case.contains(filter) {
        return Ok(Vec::new());
    }
    let data = dir.join(format!("orders_{EXPORT_LINES}.csv"));
    let (data_s, lines) = (data.to_string_lossy(), EXPORT_LINES.to_string());
    if !data.exists() {
        timed(
            exe,
            &[
                "generate", "orders", "--rows", &lines, "--seed", "42", "--out", &data_s,
            ],
        )?;
    }
    let yaml = dir.join("orders.yaml");
    let out = dir.join("outputs");
    let (yaml_s, out_s) = (yaml.to_string_lossy(), out.to_string_lossy());
    let init = ["init", &data_s, "--out", &yaml_s, "--force"];
    let ingest = [
        "run",
        "--force",
        "-q",
        &yaml_s,
        "--until",
        "ingest",
        "--out-dir",
        &out_s,
    ];
    let (mut init_secs, mut run_secs, mut stage_secs, mut rss) =
        (Vec::new(), Vec::new(), Vec::new(), (0u64, 0u64));
    for r in 0..runs {
        eprintln!("{init_case} and {ingest_case} run {}/{runs}", r + 1);
        let (s, m) = timed(exe, &init)?;
        init_secs.push(s);
        rss.0 = rss.0.max(m);
        let (s, m) = timed(exe, &ingest)?;
        run_secs.push(s);
        rss.1 = rss.1.max(m);
        // init names the pipeline after the file.
        let name = format!("orders_{EXPORT_LINES}");
        let bytes =
            std::fs::read(out.join(name).join("manifest.json")).map_err(|e| Error::io(&out, e))?;
        let mf: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| Error::Internal(e.to_string()))?;
        stage_secs.push(mf.stages.first().map_or(0.0, |st| st.seconds));
    }
    let result = |case: &str, seconds: f64, rss: u64, stage: (&str, f64)| CaseResult {
        case: case.to_string(),
        input_rows: EXPORT_LINES,
        customers: 0,
        runs,
        seconds,
        peak_rss_mib: rss as f64 / 1024.0,
        stages: vec![(stage.0.to_string(), stage.1)],
        chosen_model: String::new(),
        peer: None,
    };
    let init_s = median(init_secs);
    Ok(vec![
        result(init_case, init_s, rss.0, ("init", init_s)),
        result(
            ingest_case,
            median(run_secs),
            rss.1,
            ("ingest", median(stage_secs)),
        ),
    ])
}

/// One pipeline case run `runs` times: the median time, the peak RSS and the median
/// seconds per stage from each run's manifest (`None` when no run was made).
fn pipeline_case(
    dir: &Path,
    exe: &Path,
    case: &Case,
    runs: usize,
    said: &mut bool,
) -> Result<Option<CaseResult>> {
    let path = ensure_data(dir, &case.data)?;
    if !path.exists() {
        eprintln!("{} skipped: {} is absent", case.name, path.display());
        return Ok(None);
    }
    let cfg = dir.join(format!("{}.yaml", case.name));
    crate::artifacts::write_bytes(&cfg, config(case, &path).as_bytes())?;
    let out = dir.join("outputs");
    let mut peer = match case.engine {
        SPARK => pyspark_peer(dir, &path, &out)?,
        _ => peer::Peer::of(case.name, &case.data, &path, &out, said),
    };
    let (mut secs, mut rss, mut stage_secs) = (Vec::new(), 0u64, Vec::<Vec<f64>>::new());
    // Ingest, clean and features: what the PySpark peer does.
    let mut line_secs = Vec::new();
    let mut manifest: Option<Manifest> = None;
    for r in 0..runs {
        eprintln!("{} run {}/{runs}", case.name, r + 1);
        let (s, m) = timed(
            exe,
            &[
                "run",
                "--force",
                "-q",
                cfg.to_str().unwrap_or_default(),
                "--out-dir",
                out.to_str().unwrap_or_default(),
            ],
        )?;
        secs.push(s);
        rss = rss.max(m);
        let bytes = std::fs::read(out.join(case.name).join("manifest.json"))
            .map_err(|e| Error::io(&out, e))?;
        let mf: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| Error::Internal(e.to_string()))?;
        line_secs.push(line_work(&mf));
        let timed = per_stage(&mf);
        if stage_secs.is_empty() {
            stage_secs = vec![Vec::new(); timed.len()];
        }
        for (i, (_, s)) in timed.iter().enumerate() {
            stage_secs[i].push(*s);
        }
        manifest = Some(mf);
        if let Some(p) = peer.as_mut() {
            p.run_once(case.name)?;
        }
    }
    let Some(mf) = manifest else { return Ok(None) };
    let seconds = median(secs);
    Ok(Some(CaseResult {
        case: case.name.to_string(),
        input_rows: mf.stages[0].rows_in,
        customers: mf.stages[3].rows_out,
        runs,
        seconds,
        peak_rss_mib: rss as f64 / 1024.0,
        peer: peer.and_then(|p| match p.line_work() {
            true => p.result(median(line_secs)),
            false => p.result(seconds),
        }),
        stages: per_stage(&mf)
            .into_iter()
            .zip(stage_secs)
            .map(|((name, _), v)| (name, median(v)))
            .collect(),
        chosen_model: mf.chosen_model.clone(),
    }))
}

/// The seconds of a run's line work: its ingest, clean and features stages.
fn line_work(mf: &Manifest) -> f64 {
    mf.stages
        .iter()
        .filter(|st| matches!(st.stage.as_str(), "ingest" | "clean" | "features"))
        .map(|st| st.seconds)
        .sum()
}

/// Each stage's seconds, each followed by its named parts' (`predict.fit`).
fn per_stage(mf: &Manifest) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for st in &mf.stages {
        out.push((st.stage.clone(), st.seconds));
        for (part, s) in &st.parts {
            out.push((format!("{}.{part}", st.stage), *s));
        }
    }
    out
}

/// The printable table of the results.
fn table(results: &[CaseResult]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<30} {:>10} {:>9} {:>8} {:>9}  per stage (s)",
        "case", "rows", "customers", "seconds", "peak MiB"
    );
    for r in results {
        let stages: Vec<String> = r
            .stages
            .iter()
            .map(|(n, s)| format!("{n} {s:.2}"))
            .collect();
        let _ = writeln!(
            t,
            "{:<30} {:>10} {:>9} {:>8.2} {:>9.0}  {}",
            r.case,
            r.input_rows,
            r.customers,
            r.seconds,
            r.peak_rss_mib,
            stages.join(" ")
        );
        if let Some(p) = &r.peer {
            let faster = match p.ratio >= 1.0 {
                true => format!("{:.2}x faster", p.ratio),
                false => format!("{:.2}x slower", 1.0 / p.ratio),
            };
            let label = match p.against {
                "line work" => "  PySpark peer",
                _ => "  python peer",
            };
            let _ = writeln!(
                t,
                "{:<30} {:>10} {:>9} {:>8.2} {:>9.0}  segflow's {} {faster} (same file, runs interleaved)",
                label, "", "", p.seconds, p.peak_rss_mib, p.against
            );
        }
    }
    t
}

/// The PySpark peer of the Spark engine's line work (`bench/pyspark_peer.py`), written to
/// the bench folder and run with the Python of `scripts/spark-local`'s environment.
const PYSPARK_PEER: &str = include_str!("../../bench/pyspark_peer.py");

/// The Python that runs the peer: `SEGFLOW_SPARK_PYTHON`, else the virtual environment of
/// `scripts/spark-local`.
fn peer_python() -> PathBuf {
    if let Some(p) = std::env::var_os("SEGFLOW_SPARK_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/segflow/spark/venv/bin/python")
}

/// The PySpark peer of a Spark case on its `data` (see [`peer::Peer::pyspark`]), its script
/// written to `dir`, its datasets under `out`.
fn pyspark_peer(dir: &Path, data: &Path, out: &Path) -> Result<Option<peer::Peer>> {
    let script = dir.join("pyspark_peer.py");
    crate::artifacts::write_bytes(&script, PYSPARK_PEER.as_bytes())?;
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
    Ok(peer::Peer::pyspark(
        peer_python(),
        script,
        &absolute(data)?,
        &absolute(&out.join("pyspark_peer"))?,
        &crate::config::spark_remote(None),
    ))
}

/// Runs `exe ARGS`, returning wall seconds and the child's peak RSS in KiB (what it prints
/// on stdout is read and left out).
fn timed(exe: &Path, args: &[&str]) -> Result<(f64, u64)> {
    use std::io::Read as _;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(exe, e))?;
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut Vec::new())
            .map_err(|e| Error::io(exe, e))?;
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 only writes into the two
    // locals; the child is reaped here, so `child` is never waited on again.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    std::mem::forget(child);
    if rc < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(Error::Internal(format!(
            "benchmark run `{} {}` failed",
            exe.display(),
            args.join(" ")
        )));
    }
    Ok((seconds, usage.ru_maxrss as u64))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Generates missing data sets under `dir`, runs the cases whose names contain `filter`
/// (the Spark case only with `spark`: it needs the cluster at `SEGFLOW_SPARK_REMOTE` or the
/// default address), writes `dir/results.json` and returns a printable table.
pub fn run(
    dir: &Path,
    runs: usize,
    filter: &str,
    spark: bool,
) -> Result<(String, Vec<CaseResult>)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let exe = std::env::current_exe().map_err(|e| Error::io("segflow", e))?;
    let mut results = Vec::new();
    let cases = CASES
        .iter()
        .filter(|c| c.name.contains(filter) && (spark || c.engine != SPARK));
    let mut said = false;
    for case in cases {
        results.extend(pipeline_case(dir, &exe, case, runs, &mut said)?);
    }
    results.extend(assign_cases(dir, &exe, runs, filter, spark)?);
    results.extend(export_cases(dir, &exe, runs, filter)?);
    results.extend(database::cases(dir, &exe, runs, filter)?);
    let json = serde_json::to_vec_pretty(&results).map_err(|e| Error::Internal(e.to_string()))?;
    crate::artifacts::write_bytes(&dir.join("results.json"), &json)?;
    let t = table(&results);
    Ok((t, results))
}
