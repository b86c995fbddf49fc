//! Real files as they come: outputs readable as the umask says, ids kept as written,
//! headerless and whitespace-separated files, integer dates, one lock per output folder.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{read_parquet, root, strs, Workdir};

/// The default pipeline and its data in a fresh folder.
fn mall() -> Workdir {
    let w = Workdir::new();
    w.copy(&root().join("pipeline.yaml"), "pipeline.yaml");
    w.copy(
        &root().join("data/mall_customers.csv"),
        "data/mall_customers.csv",
    );
    w
}

/// Runs `segflow ARGS` in `w` under the given umask.
fn run_with_umask(w: &Workdir, umask: &str, args: &str) {
    let bin = env!("CARGO_BIN_EXE_segflow");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec '{bin}' {args}"))
        .current_dir(w.path(""))
        .status()
        .unwrap();
    assert!(status.success());
}

fn modes_under(dir: &std::path::Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = e.metadata().unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if meta.is_dir() {
            out.extend(modes_under(&e.path()));
        } else {
            out.push((name, meta.permissions().mode() & 0o777));
        }
    }
    out
}

#[test]
fn outputs_are_created_as_the_umask_says() {
    for (umask, want) in [("022", 0o644), ("027", 0o640)] {
        let w = mall();
        run_with_umask(&w, umask, "run -q pipeline.yaml");
        let modes = modes_under(&w.path("outputs/mall"));
        assert!(modes.len() > 30, "{modes:?}");
        for (name, mode) in &modes {
            assert_eq!(*mode, want, "{name} under umask {umask}: {mode:o}");
        }
        run_with_umask(
            &w,
            umask,
            "assign --model outputs/mall/model.json data/mall_customers.csv --out scored.csv",
        );
        let mode = std::fs::metadata(w.path("scored.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, want);
    }
}

/// Zero-padded, 20-digit and float-looking ids through run, assign and inspect.
#[test]
fn ids_come_out_exactly_as_they_went_in() {
    let w = Workdir::new();
    let mut csv = String::from("id,a,b\n");
    let ids: Vec<String> = (1..=12)
        .map(|i| match i {
            1 => "00001".to_string(),
            2 => "12345678901234567890".to_string(),
            _ => format!("{i:04}"),
        })
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let x = if i < 6 { i as f64 } else { 50.0 + i as f64 };
        csv.push_str(&format!("{id},{x},{}\n", x * 2.0));
    }
    w.write("d.csv", &csv);
    w.write(
        "p.yaml",
        "name: z\ninput: {path: d.csv, id: id}\nfeatures: {use: [a, b]}\ncluster: {kmeans: {k: 2}}\n",
    );
    w.ok(&["run", "-q", "p.yaml"]);
    for artifact in ["01_ingest", "03_features", "05_clusters", "segments"] {
        let df = read_parquet(&w.path(&format!("outputs/z/{artifact}.parquet")));
        let mut got = strs(&df, "id");
        got.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(got, want, "{artifact}");
    }
    let text = std::fs::read_to_string(w.path("outputs/z/segments.csv")).unwrap();
    for id in &ids {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id},"))),
            "{id} in segments.csv"
        );
    }
    w.ok(&[
        "assign",
        "--model",
        "outputs/z/model.json",
        "d.csv",
        "--out",
        "s.csv",
    ]);
    let scored = std::fs::read_to_string(w.path("s.csv")).unwrap();
    assert!(scored.contains("\n00001,") && scored.contains("\n12345678901234567890,"));
    let shown = w.ok(&["inspect", "outputs/z/segments.parquet", "--head", "3"]);
    assert!(shown.contains("00001"), "{shown}");

    // Plain integers stay integers, and `17850.0` is read as 17850.
    w.write("n.csv", "id,a,b\n17850.0,1,2\n2,3,4\n3,30,40\n4,31,41\n");
    w.write(
        "n.yaml",
        "name: n\ninput: {path: n.csv, id: id}\nfeatures: {use: [a, b]}\ncluster: {kmeans: {k: 2}}\n",
    );
    w.ok(&["run", "-q", "n.yaml"]);
    let df = read_parquet(&w.path("outputs/n/segments.parquet"));
    assert_eq!(
        df.column("id").unwrap().dtype(),
        &polars::prelude::DataType::Int64
    );
    assert_eq!(strs(&df, "id"), ["17850", "2", "3", "4"]);
}

/// Holds `outputs/<name>/.state/run.lock` as another process would.
fn hold_lock(w: &Workdir, name: &str, holder: &str) -> std::fs::File {
    use std::os::unix::io::AsRawFd;
    let path = w.path(&format!("outputs/{name}/.state/run.lock"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, holder).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    f
}

/// Waits (at most two minutes) for a child and returns whether it succeeded.
fn finish(mut child: std::process::Child) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed().as_secs() < 120 {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("segflow did not finish within two minutes");
}

fn spawn(w: &Workdir, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_segflow"))
        .args(args)
        .current_dir(w.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_second_run_into_the_same_folder_waits_or_refuses() {
    let w = mall();
    let lock = hold_lock(&w, "mall", "the nightly job (pid 4242)");
    let err = w.fails(&["run", "-q", "pipeline.yaml", "--no-wait"]);
    assert!(
        err.contains("outputs/mall is in use by the nightly job (pid 4242)"),
        "{err}"
    );
    assert!(!w.path("outputs/mall/01_ingest.parquet").exists());

    let mut waiting = spawn(&w, &["run", "-q", "pipeline.yaml"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "it should wait for the lock"
    );
    assert!(!w.path("outputs/mall/01_ingest.parquet").exists());
    drop(lock);
    let mut stderr = String::new();
    use std::io::Read;
    let mut pipe = waiting.stderr.take().unwrap();
    assert!(finish(waiting));
    pipe.read_to_string(&mut stderr).unwrap();
    assert!(
        stderr.contains("waiting for outputs/mall: in use by the nightly job"),
        "{stderr}"
    );
    assert!(w.path("outputs/mall/07_profile.parquet").exists());
}

/// Two different configs with the same name started together: the folder ends with one
/// complete run, every hash in its manifest matching the file.
#[test]
fn two_configs_started_together_do_not_mix() {
    let w = mall();
    let text = std::fs::read_to_string(w.path("pipeline.yaml")).unwrap();
    let other = text
        .replace("seed: 42", "seed: 7")
        .replace("k: [2, 10]", "k: [3, 4]");
    assert_ne!(text, other, "the second config must differ");
    w.write("other.yaml", &other);
    let a = spawn(&w, &["run", "-q", "pipeline.yaml", "--force"]);
    let b = spawn(&w, &["run", "-q", "other.yaml", "--force"]);
    assert!(finish(a) && finish(b));
    let dir = w.path("outputs/mall");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "complete");
    let sha = |p: &std::path::Path| {
        use sha2::Digest;
        let d = sha2::Sha256::digest(std::fs::read(p).unwrap());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let configs = [sha(&w.path("pipeline.yaml")), sha(&w.path("other.yaml"))];
    assert!(configs.contains(&m["config_sha256"].as_str().unwrap().to_string()));
    let mut checked = 0;
    for s in m["stages"].as_array().unwrap() {
        let file = dir.join(s["artifact"].as_str().unwrap());
        assert_eq!(sha(&file), s["sha256"].as_str().unwrap(), "{file:?}");
        checked += 1;
    }
    for f in m["files"].as_array().unwrap() {
        let file = dir.join(f[0].as_str().unwrap());
        assert_eq!(sha(&file), f[1].as_str().unwrap(), "{file:?}");
        checked += 1;
    }
    assert!(checked > 20);
}

/// A classic transaction log: no header, columns separated by runs of spaces, leading
/// spaces, CRLF line ends, zero-padded customer ids, integer dates, no invoice number.
const LOG: &str = "   00001 19970101  1  11.77\r\n   00001 19970101  2   5.00\r\n\
                   00001 19970105  1   3.00\r\n   00002 19970102  4  20.00\r\n\
                   \t00003 19970110  1   7.50\r\n   00003 19970111  1   2.50\r\n\r\n";

fn log_config(name: &str, invoice: &str) -> String {
    format!(
        "name: {name}\ninput:\n  path: log.txt\n  kind: transactions\n  header: false\n  names: [customer, date, quantity, amount]\n  delimiter: whitespace\n  columns: {{customer: customer, date: date, date_format: \"%Y%m%d\", quantity: quantity, amount: amount{invoice}}}\nfeatures:\n  rfm: {{}}\n  use: [recency, frequency, monetary]\ncluster: {{kmeans: {{k: 2}}}}\n"
    )
}

#[test]
fn a_headerless_whitespace_log_with_integer_dates_and_no_invoices() {
    let w = Workdir::new();
    w.write("log.txt", LOG);
    // Without an invoice column each customer-day is one order; with the date as the
    // invoice, each distinct date: the same here.
    for (name, invoice) in [("log", ""), ("dated", ", invoice: date")] {
        w.write(&format!("{name}.yaml"), &log_config(name, invoice));
        let summary = w.ok(&["run", &format!("{name}.yaml")]);
        assert!(summary.contains("no line dropped"), "{summary}");
        assert!(!summary.contains("dropped: \n"), "{summary}");
        let f = read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")));
        assert_eq!(strs(&f, "customer"), ["00001", "00002", "00003"], "{name}");
        assert_eq!(strs(&f, "frequency"), ["2", "1", "2"], "{name}");
        assert_eq!(strs(&f, "monetary"), ["19.77", "20.0", "10.0"], "{name}");
        assert_eq!(strs(&f, "recency"), ["7", "10", "1"], "{name}");
        let csv = std::fs::read_to_string(w.path(&format!("outputs/{name}/segments.csv"))).unwrap();
        let first = csv.lines().nth(1).unwrap();
        assert!(first.starts_with("00001,7,2,19.77,"), "{first}");
    }
}

#[test]
fn a_space_separated_file_read_as_csv_says_what_to_change() {
    let w = Workdir::new();
    w.write("log.txt", LOG);
    let cfg = log_config("log", "").replace("  delimiter: whitespace\n", "");
    w.write(
        "p.yaml",
        &cfg.replace(
            "  header: false\n  names: [customer, date, quantity, amount]\n",
            "",
        ),
    );
    let err = w.fails(&["run", "-q", "p.yaml"]);
    assert!(err.contains("line 1 of log.txt has 4 fields separated by spaces, read as 1 column: try `delimiter: whitespace` (its first line looks like data: add `header: false` and `names: [...]` too)"), "{err}");
    w.write(
        "q.yaml",
        &log_config("log", "").replace(
            "names: [customer, date, quantity, amount]",
            "names: [customer, date, amount]",
        ),
    );
    let err = w.fails(&["run", "-q", "q.yaml"]);
    assert!(
        err.contains("input.names lists 3 names but the lines of log.txt have 4 fields"),
        "{err}"
    );
    w.write(
        "r.yaml",
        &log_config("log", "").replace("date_format: \"%Y%m%d\", ", ""),
    );
    // Whole numbers that are all dates written as YYYYMMDD need no format: the run shows
    // the dates it read.
    let out = w.ok(&["run", "r.yaml", "--until", "ingest"]);
    assert!(out.contains("dates 1997-01-01 to 1997-"), "{out}");
}
