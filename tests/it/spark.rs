//! The Spark engine on a real local cluster (`scripts/spark-local`: a standalone master, two
//! workers and the Spark Connect server on 127.0.0.1). Built with `--features spark`.
//!
//! The cluster is the one already answering at `SEGFLOW_SPARK_REMOTE` (or the default
//! address), or one these tests start with the script and stop afterwards. Outside CI,
//! without Java, they skip with the reason; in CI they never skip.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use polars::prelude::*;

use crate::common::{read_parquet, root, shared_data, skip, strs, Workdir};

/// The Spark Connect address: `SEGFLOW_SPARK_REMOTE`, else the one `scripts/spark-local` uses.
fn remote() -> String {
    std::env::var("SEGFLOW_SPARK_REMOTE").unwrap_or_else(|_| "sc://127.0.0.1:15002".into())
}

/// `host:port` of [`remote`], for the check that a server answers.
fn remote_addr() -> String {
    let r = remote();
    let rest = r.strip_prefix("sc://").unwrap_or(&r);
    rest.split(['/', ';'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The local cluster for the length of a test: stopped on drop if this test started it.
/// Tests that use it take turns (one `start` at a time).
struct Cluster {
    started_here: bool,
    _turn: std::sync::MutexGuard<'static, ()>,
}

static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn answers(addr: &str) -> bool {
    let addr = addr.parse().unwrap();
    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok()
}

impl Cluster {
    fn up() -> Option<Cluster> {
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        if answers(&remote_addr()) {
            return Some(Cluster {
                started_here: false,
                _turn: turn,
            });
        }
        let java = Command::new("java").arg("-version").output().is_ok();
        if !java && std::env::var_os("CI").is_none() {
            skip(
                "spark",
                "Java is absent and this is not CI (scripts/spark-local start installs it)",
            );
            return None;
        }
        let out = Command::new(root().join("scripts/spark-local"))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/spark-local start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Some(Cluster {
            started_here: true,
            _turn: turn,
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started_here {
            let _ = Command::new(root().join("scripts/spark-local"))
                .arg("stop")
                .output();
        }
    }
}

/// The Online Retail example with its data path made absolute, on `engine`.
fn online_retail(data: &Path, name: &str, engine: &str) -> String {
    example("online_retail", data, name, engine)
}

/// `examples/<example>.yaml` named `name`, reading `data`, on `engine`.
fn example(example: &str, data: &Path, name: &str, engine: &str) -> String {
    let text = std::fs::read_to_string(root().join(format!("examples/{example}.yaml"))).unwrap();
    let text = text
        .replace(
            "../shared/data/online_retail.parquet",
            data.to_str().unwrap(),
        )
        .replace(&format!("name: {example}\n"), &format!("name: {name}\n"));
    if engine == "spark" {
        text.replace(
            "  kind: transactions\n",
            &format!(
                "  kind: transactions\n  engine: spark\n  spark: {{remote: \"{}\"}}\n",
                remote()
            ),
        )
    } else {
        text
    }
}

/// Equal tables: same columns, types and rows; numbers equal to 1e-12 (relative), the rest
/// exactly. Sums of amounts run in another order on Spark, so the last bit may differ.
fn assert_same_table(a: &DataFrame, b: &DataFrame) {
    assert_eq!(a.schema(), b.schema());
    assert_eq!(a.height(), b.height());
    for c in a.columns() {
        let name = c.name().as_str();
        if c.dtype().is_float() {
            let x = c.f64().unwrap();
            let y = b.column(name).unwrap().f64().unwrap();
            for (i, (u, v)) in x.iter().zip(y.iter()).enumerate() {
                let (u, v) = (u.unwrap_or(f64::NAN), v.unwrap_or(f64::NAN));
                let close = (u.is_nan() && v.is_nan())
                    || (u - v).abs() <= 1e-12 * u.abs().max(v.abs()).max(1.0);
                assert!(close, "{name} row {i}: {u} vs {v}");
            }
        } else {
            assert_eq!(strs(a, name), strs(b, name), "column {name}");
        }
    }
}

fn manifest(w: &Workdir, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(w.path(&format!("outputs/{name}/manifest.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A Parquet dataset's rows in part-file order (the order Spark wrote them in).
fn dataset(dir: &Path) -> DataFrame {
    assert!(
        dir.join("_SUCCESS").exists(),
        "{} is complete",
        dir.display()
    );
    let mut parts: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut all = read_parquet(&parts[0]);
    for p in &parts[1..] {
        all.vstack_mut(&read_parquet(p)).unwrap();
    }
    all
}

#[test]
fn spark_engine_gives_the_local_features_drop_counts_and_segments() {
    let Some(data) = shared_data("online_retail.parquet") else {
        return;
    };
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = Workdir::new();
    w.write("local.yaml", &online_retail(&data, "local", "local"));
    w.write("spark.yaml", &online_retail(&data, "spark", "spark"));
    w.ok(&["run", "-q", "local.yaml"]);
    let started = Instant::now();
    w.ok(&["run", "-q", "spark.yaml"]);
    eprintln!(
        "Online Retail on Spark: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let local = read_parquet(&w.path("outputs/local/03_features.parquet"));
    let spark = read_parquet(&w.path("outputs/spark/03_features.parquet"));
    assert_eq!(local.height(), 4334);
    assert_same_table(&local, &spark);
    // And both equal to the independent pandas reference (tests/fixtures/make_rfm.py).
    use crate::rfm_reference::{check_online_retail, rows};
    check_online_retail(&rows(&spark, "CustomerID"), "spark");
    // The same customers land in the same segments.
    let seg = |name: &str| {
        strs(
            &read_parquet(&w.path(&format!("outputs/{name}/segments.parquet"))),
            "segment",
        )
    };
    assert_eq!(seg("local"), seg("spark"));

    // Ingest and clean: the same row counts and drop counts per reason; Spark's datasets
    // hold them and the manifest records where.
    let (ml, ms) = (manifest(&w, "local"), manifest(&w, "spark"));
    for i in 0..2 {
        let (l, s) = (&ml["stages"][i], &ms["stages"][i]);
        assert_eq!(l["rows_in"], s["rows_in"]);
        assert_eq!(l["rows_out"], s["rows_out"]);
    }
    assert_eq!(ml["stages"][1]["note"], ms["stages"][1]["note"]);
    assert_eq!(
        ms["stages"][1]["note"],
        "dropped: 135080 missing customer id, 8905 cancellation (invoice starts with C), 40 price <= 0, 1547 excluded product code"
    );
    let out = w.path("outputs/spark");
    assert_eq!(
        ms["stages"][0]["artifact"],
        out.join("01_ingest")
            .canonicalize()
            .unwrap()
            .to_str()
            .unwrap()
    );
    assert_eq!(dataset(&out.join("01_ingest")).height(), 541_909);
    assert_eq!(dataset(&out.join("02_clean")).height(), 396_337);
    assert_eq!(dataset(&out.join("02_clean_dropped")).height(), 145_572);
    let dropped = read_parquet(&w.path("outputs/local/02_clean_dropped.parquet"));
    assert_eq!(dropped.height(), 145_572);

    // The same lines as gzipped CSV, read by Spark's CSV reader: the same table.
    if let Some(gz) = shared_data("online_retail.csv.gz") {
        w.write("gz.yaml", &online_retail(&gz, "gz", "spark"));
        w.ok(&["run", "-q", "gz.yaml", "--until", "features"]);
        let g = read_parquet(&w.path("outputs/gz/03_features.parquet"));
        assert_same_table(&local, &g);
    }

    // The first half-year of the same lines (`input.window`): the same features and drops.
    let half = |engine: &str| {
        let text = example("online_retail_h1", &data, &format!("h1_{engine}"), engine);
        w.write(&format!("h1_{engine}.yaml"), &text);
        w.ok(&[
            "run",
            "-q",
            &format!("h1_{engine}.yaml"),
            "--until",
            "features",
        ]);
        let features = read_parquet(&w.path(&format!("outputs/h1_{engine}/03_features.parquet")));
        (
            features,
            manifest(&w, &format!("h1_{engine}"))["stages"][1]["note"].clone(),
        )
    };
    let (local_h1, local_note) = half("local");
    let (spark_h1, spark_note) = half("spark");
    assert_same_table(&local_h1, &spark_h1);
    assert_eq!(local_note, spark_note);
    assert!(
        spark_note.as_str().unwrap().starts_with("dropped: ")
            && spark_note
                .as_str()
                .unwrap()
                .contains(" outside input.window (2010-12-01 to 2011-05-31)"),
        "{spark_note}"
    );

    // A second run restores the stages after Spark's from the cache.
    let again = w.ok(&["run", "spark.yaml"]);
    for stage in ["features", "cluster", "profile"] {
        assert!(
            again
                .lines()
                .any(|l| l.starts_with(stage) && l.ends_with("(cached)")),
            "{stage} cached: {again}"
        );
    }
}

#[test]
fn spark_engine_failures_are_one_clear_line() {
    let Some(data) = shared_data("online_retail.parquet") else {
        return;
    };
    // Nothing listens: exit 2 within seconds, naming the address.
    let w = Workdir::new();
    let unreachable = online_retail(&data, "x", "spark").replace(&remote(), "sc://127.0.0.1:9");
    w.write("down.yaml", &unreachable);
    let started = Instant::now();
    let err = w.fails(&["run", "down.yaml"]);
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
    assert!(
        err.contains("cannot reach the Spark Connect server at sc://127.0.0.1:9"),
        "{err}"
    );

    let Some(_cluster) = Cluster::up() else {
        return;
    };
    // A file Spark cannot find: one line naming the path, Spark's text in a log file.
    let missing = online_retail(Path::new("/nonexistent/lines.parquet"), "m", "spark");
    w.write("missing.yaml", &missing);
    let err = w.fails(&["run", "missing.yaml"]);
    assert!(err.contains("/nonexistent/lines.parquet"), "{err}");
    assert!(!err.contains("\tat "), "no Java stack: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A mapped column the input does not have: named, with what it has.
    let bad = online_retail(&data, "b", "spark").replace("price: UnitPrice", "price: Price");
    w.write("bad.yaml", &bad);
    let err = w.fails(&["run", "bad.yaml"]);
    assert!(err.contains("`Price`"), "{err}");
    assert!(err.contains("UnitPrice"), "{err}");
    // Dates that do not parse in the given format: counted, one shown, no dataset left.
    let lines = |name: &str, file: &str| {
        format!("name: {name}\ninput:\n  path: {file}\n  kind: transactions\n  engine: spark\n  spark: {{remote: \"{}\"}}\n  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, date_format: \"%Y-%m-%d\", quantity: Quantity, price: UnitPrice}}\nfeatures:\n  rfm: {{}}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {{k: 2}}\n", remote())
    };
    let header = "CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice\n";
    w.write(
        "dates.csv",
        &format!("{header}1,A1,2011-01-05,2,3.5\n2,A2,2011-13-45,1,2.0\n2,A3,2011-02-01,1,2.0\n"),
    );
    w.write("dates.yaml", &lines("dates", "dates.csv"));
    let err = w.fails(&["run", "dates.yaml"]);
    assert!(
        err.contains("cannot read the transaction dates in `InvoiceDate` with format `%Y-%m-%d`: 1 of 3 values are not dates in that format, e.g. `2011-13-45`"),
        "{err}"
    );
    // No line left after cleaning: refused, and neither clean dataset is left behind.
    w.write(
        "nobody.csv",
        &format!("{header},A1,2011-01-05,2,3.5\n,A2,2011-01-06,1,2.0\n"),
    );
    w.write("nobody.yaml", &lines("nobody", "nobody.csv"));
    let err = w.fails(&["run", "nobody.yaml"]);
    assert!(
        err.contains(
            "no transaction lines are left after cleaning (2 dropped: 2 missing customer id)"
        ),
        "{err}"
    );
    let run = w.path("outputs/nobody");
    let mut left: Vec<String> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("02_clean"))
        .collect();
    left.sort();
    assert!(left.is_empty(), "{left:?}");
    assert!(run.join("01_ingest").join("_SUCCESS").is_file());
}

/// `predict` on Spark: the stage reads the clean dataset Spark wrote, part by part in line
/// order, and gives the local engine's predictions; `segflow assign` of the run's model
/// scores the lines as the run did.
#[test]
fn spark_engine_predicts_what_the_local_engine_does() {
    let Some(data) = shared_data("online_retail.parquet") else {
        return;
    };
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = Workdir::new();
    for engine in ["local", "spark"] {
        let name = format!("p_{engine}");
        let text = example("online_retail_predict", &data, &name, engine);
        w.write(&format!("{name}.yaml"), &text);
        w.ok(&["run", "-q", &format!("{name}.yaml")]);
    }
    let read = |name: &str, file: &str| read_parquet(&w.path(&format!("outputs/{name}/{file}")));
    let (local, spark) = (
        read("p_local", "08_predict.parquet"),
        read("p_spark", "08_predict.parquet"),
    );
    assert_eq!(local.height(), 4334);
    assert!(local.column("p_alive").unwrap().null_count() == 0);
    assert_same_table(&local, &spark);
    let model = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(w.path(&format!("outputs/{name}/model.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!(
        model("p_local")["predict"]["models"]["bg_nbd"]["params"],
        model("p_spark")["predict"]["models"]["bg_nbd"]["params"]
    );
    let segments = |name: &str| strs(&read(name, "segments.parquet"), "segment");
    assert_eq!(segments("p_local"), segments("p_spark"));
    // The Spark run's model scores the same lines on this machine as the run scored them.
    w.ok(&[
        "assign",
        "--model",
        "outputs/p_spark/model.json",
        data.to_str().unwrap(),
        "--as-of",
        "2011-12-10",
        "--out",
        "scored.parquet",
    ]);
    let scored = read_parquet(&w.path("scored.parquet"));
    assert_eq!(strs(&scored, "segment"), segments("p_spark"));
    assert_same_table(
        &scored.select(["CustomerID", "p_alive", "clv"]).unwrap(),
        &spark.select(["CustomerID", "p_alive", "clv"]).unwrap(),
    );
}

/// A pipeline named `engine` over the generated lines in `lines.parquet`, on `engine`
/// (`local` or `spark`).
fn generated(engine: &str) -> String {
    let spark = match engine {
        "spark" => format!("  engine: spark\n  spark: {{remote: \"{}\"}}\n", remote()),
        _ => String::new(),
    };
    format!("name: {engine}\ninput:\n  path: lines.parquet\n  kind: transactions\n{spark}  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice, product: StockCode, country: Country}}\nfeatures:\n  rfm: {{log1p: [frequency, monetary]}}\n  use: [recency, log1p_frequency, log1p_monetary]\ncluster:\n  kmeans: {{k: 3}}\n")
}

/// The pid `scripts/spark-local` recorded for a worker, if it started the cluster.
fn worker_pid(n: usize) -> Option<String> {
    let home = std::env::var_os("SEGFLOW_SPARK_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/segflow/spark")))?;
    let pid = std::fs::read_to_string(home.join(format!("run/worker{n}.pid"))).ok()?;
    Some(pid.trim().to_string())
}

/// A worker killed with `kill -9` while a run is on the cluster: Spark runs the lost tasks
/// again on the other worker and the run ends with the local engine's table, or it fails
/// with a message and no dataset or artifact under a final name that is not complete;
/// either way, with the worker back, a rerun gives the local engine's table.
#[test]
fn a_worker_killed_mid_run_loses_nothing() {
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let Some(pid) = worker_pid(1) else {
        skip(
            "spark",
            "the cluster was not started by scripts/spark-local (no worker pid)",
        );
        return;
    };
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "50000",
        "--rows",
        "3000000",
        "--out",
        "lines.parquet",
    ]);
    w.write("local.yaml", &generated("local"));
    w.write("spark.yaml", &generated("spark"));
    w.ok(&["run", "-q", "local.yaml", "--until", "features"]);
    let local = read_parquet(&w.path("outputs/local/03_features.parquet"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(["run", "-q", "spark.yaml", "--until", "features"])
        .current_dir(w.path("."))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(8));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run was still on the cluster when the worker was killed"
    );
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success(), "kill -9 {pid}");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed().as_secs() > 600 {
            let _ = child.kill();
            panic!("the run did not end within 10 minutes of the kill");
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    let out = w.path("outputs/spark");
    eprintln!(
        "worker 1 killed 8 s into the run: the run {} {:.0} s later",
        if status.success() {
            "finished"
        } else {
            "failed"
        },
        started.elapsed().as_secs_f64()
    );
    if status.success() {
        let spark = read_parquet(&out.join("03_features.parquet"));
        assert_same_table(&local, &spark);
    } else {
        assert!(err.lines().count() <= 3, "a short message: {err}");
        assert!(!out.join("03_features.parquet").exists());
        for d in ["01_ingest", "02_clean", "02_clean_dropped"] {
            let d = out.join(d);
            assert!(
                !d.exists() || d.join("_SUCCESS").exists(),
                "{} complete or absent",
                d.display()
            );
        }
    }

    // The worker back, a rerun gives the local engine's table.
    let again = Command::new(root().join("scripts/spark-local"))
        .arg("start")
        .output()
        .unwrap();
    assert!(again.status.success());
    w.ok(&["run", "-q", "spark.yaml", "--until", "features", "--force"]);
    let spark = read_parquet(&out.join("03_features.parquet"));
    assert_same_table(&local, &spark);
}

/// Scores `input` with the run's model here and on the cluster; returns both tables.
fn assign_both(w: &crate::common::Workdir, input: &str, name: &str) -> (DataFrame, DataFrame) {
    let model = "outputs/mall/model.json";
    let local = format!("{name}.parquet");
    w.ok(&["assign", "--model", model, input, "--out", &local]);
    let started = Instant::now();
    let out = w.ok(&[
        "assign",
        "--model",
        model,
        input,
        "--out",
        name,
        "--engine",
        "spark",
        "--remote",
        &remote(),
    ]);
    eprintln!(
        "assign {input} on Spark: {:.1} s: {out}",
        started.elapsed().as_secs_f64()
    );
    (read_parquet(&w.path(&local)), dataset(&w.path(name)))
}

#[test]
fn assign_on_spark_equals_local_assign() {
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = crate::common::Workdir::new();
    // The default pipeline with a derived feature (evaluated as Spark SQL on the cluster).
    let text = std::fs::read_to_string(root().join("pipeline.yaml")).unwrap();
    let derived = "  derive: {ratio: \"spending / income\"}\n  use: [income, spending, ratio]\n";
    w.write(
        "pipeline.yaml",
        &text.replace("  use: [income, spending]\n", derived),
    );
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w.ok(&["run", "-q", "pipeline.yaml"]);
    let model = std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap();
    assert!(
        model.contains("spending / income"),
        "the model derives ratio"
    );

    // The training customers: ids written as plain integers come back as integers.
    let (local, spark) = assign_both(&w, "data/mall_customers.csv", "train");
    assert_eq!(local.height(), 200);
    assert_eq!(
        spark.column("CustomerID").unwrap().dtype(),
        &DataType::Int64
    );
    assert_same_table(&local, &spark);
    assert_eq!(spark.column("reason").unwrap().null_count(), 198);

    // New customers as they come: a zero-padded id (so ids stay text), an unknown level,
    // missing values the run fills, text in a number column, outliers the run would drop.
    w.write(
        "new.csv",
        "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n\
         0042,Female,30,90,85\n\
         1002,Other,30,90,85\n\
         1003,Male,30,,85\n\
         1004,Male,30,20,\n\
         1005,,41,20,15\n\
         1006,Male,41,20,lots\n\
         1007,Female,,300.5,50\n\
         1008,Male,19,1000,\n\
         1009,,x,20,101\n\
         1010,Female,67.5,137,99\n",
    );
    let (local, spark) = assign_both(&w, "new.csv", "new");
    assert_eq!(strs(&spark, "CustomerID")[0], "0042");
    assert_same_table(&local, &spark);
    let reasons = strs(&spark, "reason");
    assert_eq!(
        reasons[1],
        "unknown Gender level `Other` (known: Female, Male)"
    );
    assert_eq!(reasons[5], "spending is not a number: `lots`");
    assert!(
        reasons[6].starts_with("outlier: income=300.5 outside ["),
        "{}",
        reasons[6]
    );
    assert_eq!(
        strs(&spark, "segment")
            .iter()
            .filter(|s| !s.is_empty())
            .count(),
        5
    );
    // The same pipeline choosing DBSCAN: the core points go to the cluster.
    let text = std::fs::read_to_string(w.path("pipeline.yaml")).unwrap();
    w.write(
        "pipeline.yaml",
        &text.replace("choose_from: kmeans", "choose_from: dbscan"),
    );
    w.ok(&["run", "-q", "pipeline.yaml"]);
    let model = std::fs::read_to_string(w.path("outputs/mall/model.json")).unwrap();
    assert!(
        model.contains("\"chosen_model\": \"dbscan\""),
        "DBSCAN chosen"
    );
    for (input, name) in [
        ("data/mall_customers.csv", "train_dbscan"),
        ("new.csv", "new_dbscan"),
    ] {
        let (local, spark) = assign_both(&w, input, name);
        assert_same_table(&local, &spark);
        let noise = strs(&spark, "segment")
            .iter()
            .filter(|s| *s == "-1")
            .count();
        eprintln!("{input}: {noise} noise of {}", spark.height());
        if name == "train_dbscan" {
            // The training customers keep their segments, noise included.
            let run = read_parquet(&w.path("outputs/mall/segments.parquet"));
            let trained = strs(&run, "segment").iter().filter(|s| *s == "-1").count();
            assert!(trained > 0, "the DBSCAN run has noise");
            assert_eq!(noise, trained);
        }
    }
    let w2 = w.fails(&[
        "assign",
        "--model",
        "outputs/mall/model.json",
        "missing.csv",
        "--out",
        "m",
        "--engine",
        "spark",
        "--remote",
        &remote(),
    ]);
    assert!(
        w2.contains("missing.csv") && !w2.contains("at org.apache"),
        "{w2}"
    );
    assert!(!w.path("m").exists());
}

/// The stages of a manifest: (stage, cached).
fn cached_stages(w: &Workdir, name: &str) -> Vec<(String, bool)> {
    manifest(w, name)["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_string(),
                s["cached"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// A second run on the same input takes Spark's line work from the first (its counts, its
/// datasets, its customer table) and the stages after it from the cache; a changed input
/// file, a deleted dataset or `--force` runs it on the cluster again.
#[test]
fn a_second_run_reuses_the_spark_line_work_until_the_input_changes() {
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = Workdir::new();
    let generate = |seed: &str| {
        w.ok(&[
            "generate",
            "transactions",
            "--customers",
            "2000",
            "--rows",
            "60000",
            "--seed",
            seed,
            "--out",
            "lines.parquet",
        ])
    };
    generate("1");
    w.write("spark.yaml", &generated("spark"));
    let features = || std::fs::read(w.path("outputs/spark/03_features.parquet")).unwrap();
    let segments = || std::fs::read(w.path("outputs/spark/segments.csv")).unwrap();
    w.ok(&["run", "-q", "spark.yaml"]);
    let first = manifest(&w, "spark");
    let (f1, s1) = (features(), segments());
    assert!(cached_stages(&w, "spark").iter().all(|(_, c)| !c));

    let started = Instant::now();
    w.ok(&["run", "-q", "spark.yaml"]);
    eprintln!("second run: {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        cached_stages(&w, "spark").iter().all(|(_, c)| *c),
        "{:?}",
        cached_stages(&w, "spark")
    );
    let second = manifest(&w, "spark");
    for i in 0..3 {
        for k in ["artifact", "rows_in", "rows_out", "note"] {
            assert_eq!(
                first["stages"][i][k], second["stages"][i][k],
                "stage {i} {k}"
            );
        }
    }
    assert_eq!((features(), segments()), (f1.clone(), s1));

    // A deleted dataset: the line work runs again (and gives the same table).
    std::fs::remove_file(w.path("outputs/spark/02_clean_dropped/_SUCCESS")).unwrap();
    w.ok(&["run", "-q", "spark.yaml"]);
    assert!(!cached_stages(&w, "spark")[0].1);
    assert_eq!(features(), f1);
    assert!(w.path("outputs/spark/02_clean_dropped/_SUCCESS").exists());
    w.ok(&["run", "-q", "spark.yaml", "--force"]);
    assert!(!cached_stages(&w, "spark")[0].1);

    // Another file under the same name: read again, other customers.
    generate("2");
    w.ok(&["run", "-q", "spark.yaml"]);
    assert_eq!(
        cached_stages(&w, "spark")[..3]
            .iter()
            .map(|(_, c)| *c)
            .collect::<Vec<_>>(),
        [false, false, false]
    );
    assert_ne!(features(), f1);
}

/// A model whose derived feature Spark SQL reads otherwise (the marketing example casts a
/// date column this machine parses, dd-mm-yyyy, which Spark reads as text) is refused after
/// scoring the first rows both ways, before any table is written.
#[test]
fn assign_on_spark_refuses_what_it_would_score_otherwise() {
    let Some(data) = shared_data("marketing_campaign.csv") else {
        return;
    };
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = Workdir::new();
    let text = std::fs::read_to_string(root().join("examples/marketing_campaign.yaml")).unwrap();
    w.write(
        "mc.yaml",
        &text.replace(
            "../shared/data/marketing_campaign.csv",
            data.to_str().unwrap(),
        ),
    );
    w.ok(&["run", "-q", "mc.yaml", "--until", "profile"]);
    let model = "outputs/marketing_campaign/model.json";
    let input = data.to_str().unwrap();
    w.ok(&["assign", "--model", model, input, "--out", "local.csv"]);
    let err = w.fails(&[
        "assign",
        "--model",
        model,
        input,
        "--out",
        "scored",
        "--engine",
        "spark",
        "--remote",
        &remote(),
    ]);
    assert!(
        err.contains("tenure_days = \"16435 - CAST(Dt_Customer AS INTEGER)\"")
            && err.contains("score this file without --engine spark"),
        "{err}"
    );
    assert!(err.lines().count() <= 2, "{err}");
    assert!(!w.path("scored").exists());
}

/// A semicolon-separated `.csv` named without a delimiter: Spark reads it with the delimiter
/// the local engine sniffs (it used to read one column), and both give the same features.
#[test]
fn spark_sniffs_the_delimiter_as_the_local_engine_does() {
    let Some(_cluster) = Cluster::up() else {
        return;
    };
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "500",
        "--rows",
        "20000",
        "--out",
        "c.csv",
    ]);
    let text = std::fs::read_to_string(w.path("c.csv")).unwrap();
    assert!(!text.contains(';'));
    w.write("lines.csv", &text.replace(',', ";"));
    let yaml = |name: &str, spark: &str| {
        format!("name: {name}\ninput:\n  path: lines.csv\n  kind: transactions\n{spark}  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}}\nfeatures:\n  rfm: {{}}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {{k: 2}}\n")
    };
    w.write("local.yaml", &yaml("local", ""));
    let on_spark = format!("  engine: spark\n  spark: {{remote: \"{}\"}}\n", remote());
    w.write("spark.yaml", &yaml("spark", &on_spark));
    for name in ["local", "spark"] {
        w.ok(&["run", "-q", &format!("{name}.yaml"), "--until", "features"]);
    }
    let read = |name: &str| read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")));
    assert_eq!(read("local").height(), 276);
    assert_same_table(&read("local"), &read("spark"));
}
