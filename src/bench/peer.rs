//! The Python peer (`../shared/peer`: polars + scikit-learn doing the same cleaning, RFM,
//! K-means sweep and silhouette), run on the same file as a segflow case, one peer run after
//! each segflow run, so that the ratio compares runs made minutes apart on the same machine
//! state. Found through `SEGFLOW_PEER_DIR` (else `../shared/peer`) and its own virtual
//! environment `SEGFLOW_PEER_PYTHON` (else `~/.cache/segflow/peer-venv/bin/python`); when
//! either is missing the cases run alone and the bench says how to install it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{median, timed, Data};
use crate::error::Result;

/// The peer's figures for one case, beside segflow's.
#[derive(Debug, Clone, Serialize)]
pub struct PeerResult {
    /// Median whole-process wall time.
    pub seconds: f64,
    /// Largest peak RSS over the runs, in MiB.
    pub peak_rss_mib: f64,
    /// The peer's median time over segflow's.
    pub ratio: f64,
    /// What of segflow's run the peer's time is compared with: the whole "run", or (the
    /// PySpark peer) the "line work" (ingest, clean and features).
    pub against: &'static str,
}

/// How to run the peer on one case's file.
pub struct Peer {
    python: PathBuf,
    script: PathBuf,
    args: Vec<String>,
    secs: Vec<f64>,
    rss: u64,
    /// The PySpark peer, which does the line work only.
    line_work: bool,
}

fn peer_dir() -> PathBuf {
    std::env::var_os("SEGFLOW_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/peer"))
}

fn peer_python() -> PathBuf {
    if let Some(p) = std::env::var_os("SEGFLOW_PEER_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/segflow/peer-venv/bin/python")
}

/// Whether the peer is installed: its script and a Python that imports its stack. Says once
/// (`said`) what is missing and how to install it.
fn ready(said: &mut bool) -> Option<(PathBuf, PathBuf)> {
    let (python, script) = (peer_python(), peer_dir().join("peer_polars.py"));
    let imports = std::process::Command::new(&python)
        .args(["-c", "import polars, sklearn, numpy, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if script.is_file() && imports {
        return Some((python, script));
    }
    if !*said {
        *said = true;
        eprintln!(
            "python peer skipped (no ratios): {} needs {} with polars, scikit-learn, numpy and pyarrow; install it with `python3 -m venv ~/.cache/segflow/peer-venv && ~/.cache/segflow/peer-venv/bin/pip install polars pandas numpy scikit-learn pyarrow threadpoolctl psutil` (or set SEGFLOW_PEER_DIR, SEGFLOW_PEER_PYTHON)",
            script.display(),
            python.display()
        );
    }
    None
}

impl Peer {
    /// The peer for case `name` on `data` (Parquet), or `None` when the case has no peer
    /// (DBSCAN with an automatic eps, the 100M lines, predictions, Spark) or it is not
    /// installed.
    pub fn of(name: &str, data: &Data, file: &Path, out: &Path, said: &mut bool) -> Option<Peer> {
        let dbscan = match (name, data) {
            ("customers_100k" | "customers_1m", _) => "auto",
            ("transactions_1m" | "transactions_10m" | "transactions_10m_streaming", _) => "skip",
            (_, Data::Shared(_)) => "skip",
            _ => return None,
        };
        let (python, script) = ready(said)?;
        let kind = match data {
            Data::Customers(_) => "customers",
            _ => "transactions",
        };
        let out = out.join(format!("{name}_peer"));
        let args = vec![
            kind.to_string(),
            file.to_string_lossy().into_owned(),
            "--dbscan".into(),
            dbscan.into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ];
        Some(Peer::new(python, script, args, false))
    }

    fn new(python: PathBuf, script: PathBuf, args: Vec<String>, line_work: bool) -> Peer {
        Peer {
            python,
            script,
            args,
            secs: Vec::new(),
            rss: 0,
            line_work,
        }
    }

    /// The PySpark peer of a Spark case (`script`, `bench/pyspark_peer.py`, run with
    /// `python` on `file` against the cluster at `remote`, writing under `out`): the same
    /// line work on the same cluster. `None`, saying why, when `python` lacks PySpark's
    /// Connect client.
    pub fn pyspark(
        python: PathBuf,
        script: PathBuf,
        file: &Path,
        out: &Path,
        remote: &str,
    ) -> Option<Peer> {
        let ready = std::process::Command::new(&python)
            .args([
                "-c",
                "import pyspark.sql.connect.session, pandas, pyarrow, grpc",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            eprintln!(
                "PySpark peer skipped (no ratio): {} cannot import PySpark's Connect client (install it with `{} -m pip install \"pyspark[connect]==4.2.1\" \"pandas<3\"`, or set SEGFLOW_SPARK_PYTHON)",
                python.display(),
                python.display()
            );
            return None;
        }
        let args = vec![
            file.to_string_lossy().into_owned(),
            out.to_string_lossy().into_owned(),
            remote.to_string(),
        ];
        Some(Peer::new(python, script, args, true))
    }

    /// Whether the peer does the line work only (compare it with segflow's ingest, clean
    /// and features).
    pub fn line_work(&self) -> bool {
        self.line_work
    }

    /// One timed run, as the peer's README says to run it: the two OpenBLAS variables unset
    /// and OpenMP threads passive, in that command only.
    pub fn run_once(&mut self, name: &str) -> Result<()> {
        eprintln!("{name} python peer run {}", self.secs.len() + 1);
        let (python, script) = (self.python.to_string_lossy(), self.script.to_string_lossy());
        let mut args = vec![
            "-u",
            "OPENBLAS_CORETYPE",
            "-u",
            "OPENBLAS_L2_SIZE",
            "OMP_WAIT_POLICY=passive",
            &python,
            &script,
        ];
        args.extend(self.args.iter().map(String::as_str));
        let (s, m) = timed(Path::new("/usr/bin/env"), &args)?;
        self.secs.push(s);
        self.rss = self.rss.max(m);
        Ok(())
    }

    /// The peer's figures against segflow's median time.
    pub fn result(self, segflow_seconds: f64) -> Option<PeerResult> {
        if self.secs.is_empty() {
            return None;
        }
        let seconds = median(self.secs);
        Some(PeerResult {
            seconds,
            peak_rss_mib: self.rss as f64 / 1024.0,
            ratio: seconds / segflow_seconds,
            against: match self.line_work {
                true => "line work",
                false => "run",
            },
        })
    }
}
