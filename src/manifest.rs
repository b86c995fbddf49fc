//! `manifest.json`: what a run did, stage by stage. Written by the runner (last, also when a
//! stage fails), read by `segflow inspect`, the benchmark and the report.

use serde::{Deserialize, Serialize};

/// The segflow version recorded in every manifest, model and report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One stage of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: String,
    pub artifact: String,
    pub rows_in: usize,
    pub rows_out: usize,
    pub seconds: f64,
    /// Of `seconds`, the time spent writing the stage's files (encoding included).
    #[serde(default)]
    pub write_seconds: f64,
    pub sha256: String,
    pub cached: bool,
    pub cache_key: String,
    #[serde(default)]
    pub note: String,
    /// Of `seconds`, named parts of the computing (the predict stage's reading, fitting and
    /// scoring), in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<(String, f64)>,
}

/// How a run ended. Written to `manifest.json` as one sentence: `complete`,
/// `stopped after stage scale`, `failed in stage cluster: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Status {
    Complete,
    StoppedAfter(String),
    Failed { stage: String, message: String },
}

impl Status {
    pub fn is_complete(&self) -> bool {
        *self == Status::Complete
    }

    /// Failed in `stage` with `error`'s message.
    pub fn failed(stage: &str, error: &impl std::fmt::Display) -> Status {
        Status::Failed {
            stage: stage.to_string(),
            message: error.to_string(),
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Complete => write!(f, "complete"),
            Status::StoppedAfter(stage) => write!(f, "stopped after stage {stage}"),
            Status::Failed { stage, message } => write!(f, "failed in stage {stage}: {message}"),
        }
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.to_string()
    }
}

impl From<String> for Status {
    fn from(s: String) -> Status {
        if s == "complete" {
            return Status::Complete;
        }
        if let Some(stage) = s.strip_prefix("stopped after stage ") {
            return Status::StoppedAfter(stage.to_string());
        }
        let failed = s.strip_prefix("failed in stage ").unwrap_or(&s);
        let (stage, message) = failed.split_once(": ").unwrap_or(("", failed));
        Status::Failed {
            stage: stage.to_string(),
            message: message.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub segflow_version: String,
    pub pipeline: String,
    pub status: Status,
    pub config_path: String,
    pub config_sha256: String,
    pub input_path: String,
    pub input_sha256: String,
    pub seed: u64,
    pub stages: Vec<StageRecord>,
    /// Every other file of the run with its sha256.
    pub files: Vec<(String, String)>,
    pub chosen_model: String,
    pub warnings: Vec<String>,
    /// With `input.postgres`: the URL (never a password) and the query; `input_path` is
    /// then the `source.csv` the rows were read into and `input_sha256` their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<crate::config::PgSource>,
    /// With `output.postgres`: the table the segments were written to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<crate::database::sink::Written>,
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn status_reads_back_what_it_writes() {
        for s in [
            Status::Complete,
            Status::StoppedAfter("scale".into()),
            Status::Failed {
                stage: "cluster".into(),
                message: "k: 12 is more than the 10 customers: left".into(),
            },
        ] {
            let text = String::from(s.clone());
            assert_eq!(Status::from(text), s);
        }
        assert_eq!(
            String::from(Status::StoppedAfter("scale".into())),
            "stopped after stage scale"
        );
    }
}
