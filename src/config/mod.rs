//! The pipeline file: parsed raw (`raw`), then validated into a `Plan` (`plan`), one module
//! per section (`input`, `clean`, `features`, `scale`, `cluster`, `evaluate`, `profile`).
//! Errors name the file, line and column, and suggest the nearest valid key.

mod clean;
mod cluster;
mod evaluate;
mod expr;
mod features;
mod input;
pub mod locate;
mod plan;
mod postgres;
mod predict;
mod profile;
pub mod raw;
mod rules;
mod scale;
mod source;
pub mod suggest;

use std::path::Path;

pub use clean::{
    CategoricalImpute, CleanPlan, NumericImpute, OutlierAction, OutlierMethod, OutlierPlan,
    TxCleanPlan,
};
pub use cluster::{
    AgglomerativePlan, ClusterPlan, DbscanPlan, Eps, GmmPlan, HdbscanPlan, KMeansPlan,
};
pub use evaluate::{ChooseFrom, EvaluatePlan, Metric, StabilityPlan};
pub use expr::parse_expression;
pub use features::{default_rfm_segments, rfm_schema, FeaturePlan, RfmPlan, RFM_COLUMNS};
pub use input::{
    format_for_extension, infer_format, spark_remote, spark_uri, Engine, Format, InputKind,
    InputPlan, SparkPlan, TxColumns, Window, DEFAULT_SPARK_REMOTE, ROW_ID, SPARK_REMOTE_ENV,
};
pub use plan::{unit_of, Plan};
pub use postgres::{quote_ident, PgSource, PgTarget, WriteMode, URL_VARIABLE};
pub use predict::PredictPlan;
pub use profile::ProfilePlan;
pub use raw::RawConfig;
pub use rules::{default_rules, Rule, Trait, TRAIT_FORMS};
pub use scale::ScaleMethod;
pub use source::Source;

use crate::error::{Error, Result};

/// Pipeline files larger than this are refused before parsing.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads, parses and validates a pipeline file (without looking at the data).
pub fn load(path: &Path) -> Result<Plan> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Config(format!("cannot read pipeline file {}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(Error::Config(format!(
            "{} is a directory, not a pipeline file",
            path.display()
        )));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(Error::Config(format!(
            "{} is {} bytes: a pipeline file must be under 1 MiB",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Config(format!(
            "{}: not valid UTF-8 (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(path, text)
}

/// The JSON Schema of `pipeline.yaml` (draft 2020-12), from the raw config's types and
/// their doc comments: what `segflow schema` prints and editors read. It says which keys
/// exist and their types; the values' rules are checked by the parser.
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(RawConfig);
    schema.insert("title".into(), "segflow pipeline.yaml".into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Parses and validates pipeline text; `path` is only used in messages.
pub fn parse(path: &Path, text: String) -> Result<Plan> {
    let source = Source {
        path: path.to_path_buf(),
        text,
    };
    let has_content = source
        .text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Err(Error::Config(format!(
            "{} is empty: a pipeline needs at least `name`, `input` and `cluster`",
            path.display()
        )));
    }
    let raw: RawConfig = serde_norway::from_str(&source.text).map_err(|e| yaml_error(path, &e))?;
    Plan::from_raw(raw, source)
}

/// Turns a YAML/serde error into `file:line:col: message`, adding "did you mean" for
/// unknown keys and plain words for the untagged `k` and `eps` forms.
fn yaml_error(path: &Path, e: &serde_norway::Error) -> Error {
    let mut msg = e.to_string();
    if let Some(pos) = msg.find(" at line ") {
        msg.truncate(pos);
    }
    if let Some(rest) = msg.split("unknown field `").nth(1) {
        if let Some((field, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            if let Some(n) = suggest::nearest(field, expected.iter().copied()) {
                msg.push_str(&format!("; did you mean `{n}`?"));
            }
        }
    }
    // serde's primitive visitors name the Rust type they wanted; say what the user should
    // write instead. (The raw types name what they expect themselves, with `expecting`.)
    for (rust, words) in [
        ("expected u64", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected text"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list such as [a, b]"),
    ] {
        if let Some(rest) = msg.strip_suffix(rust) {
            msg = format!("{rest}{words}");
        }
    }
    match e.location() {
        Some(loc) => Error::Config(format!(
            "{}:{}:{}: {msg}",
            path.display(),
            loc.line(),
            loc.column()
        )),
        None => Error::Config(format!("{}: {msg}", path.display())),
    }
}

/// Helpers for the sections' unit tests: a valid customers pipeline to change one key of,
/// and the message a changed one fails with.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::path::Path;

    pub const BASE: &str =
        "name: t\ninput: {path: d.csv, id: id}\ncluster:\n  kmeans: {k: [2, 4]}\n";
    pub const TX: &str = "name: t\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster:\n  kmeans: {k: 2}\n";

    /// `BASE` with `extra` YAML appended (a top-level section).
    pub fn with(extra: &str) -> String {
        format!("{BASE}{extra}")
    }

    pub fn plan(yaml: &str) -> super::Plan {
        super::parse(Path::new("t.yaml"), yaml.to_string()).expect("valid config")
    }

    /// The error message of an invalid config; panics when it is accepted.
    pub fn err(yaml: &str) -> String {
        match super::parse(Path::new("t.yaml"), yaml.to_string()) {
            Ok(_) => panic!("accepted:\n{yaml}"),
            Err(e) => e.to_string(),
        }
    }

    /// Asserts `yaml` fails with a message containing `want`.
    pub fn refuses(yaml: &str, want: &str) {
        let e = err(yaml);
        assert!(e.contains(want), "expected {want:?} in {e:?}");
    }
}
