//! `--json`: the outcome of `run`, `validate`, `inspect` and `assign` as one JSON document,
//! and an error as one too (message, file, line, column, exit code). The shapes are listed
//! in the README ("Machine-readable output").

use std::path::Path;

use polars::prelude::*;
use serde_json::{json, Map, Value};

use crate::assign::Summary;
use crate::config::Plan;
use crate::error::{Error, Result};
use crate::inspect;
use crate::model::ModelFile;
use crate::runner::RunSummary;

/// `segflow run --json`.
pub fn run(s: &RunSummary) -> Value {
    let m = &s.manifest;
    let stages: Vec<Value> = m
        .stages
        .iter()
        .map(|r| {
            json!({
                "stage": r.stage, "artifact": s.out_dir.join(&r.artifact),
                "rows_in": r.rows_in, "rows_out": r.rows_out, "seconds": r.seconds,
                "cached": r.cached, "note": r.note,
            })
        })
        .collect();
    let models: Vec<Value> = s
        .scores
        .iter()
        .map(|sc| {
            json!({
                "model": sc.model, "clusters": sc.clusters, "noise_share": sc.noise_share,
                "silhouette": sc.silhouette, "davies_bouldin": sc.davies_bouldin,
                "calinski_harabasz": sc.calinski_harabasz, "wcss": sc.wcss, "chosen": sc.chosen,
                "stability_mean": sc.stability.as_ref().and_then(|t| t.mean()),
                "stability_min": sc.stability.as_ref().and_then(|t| t.min()),
                "smallest_share": sc.smallest_share, "null_silhouette": sc.null_silhouette,
            })
        })
        .collect();
    let segments: Vec<Value> = s
        .segments
        .iter()
        .map(|seg| {
            json!({
                "id": seg.id, "name": seg.name, "size": seg.size, "share": seg.share,
                "traits": seg.traits,
                "action": seg.actions.first().map(|a| a.action.clone()),
                "stability": seg.stability.as_ref().map(|t| t.jaccard),
                "stability_found": seg.stability.as_ref().map(|t| t.found),
                "stability_resamples": seg.stability.as_ref().map(|t| t.resamples),
                "value": seg.value,
            })
        })
        .collect();
    let files: Vec<Value> = m
        .files
        .iter()
        .map(|(f, _)| {
            let uri = f.contains("://") || Path::new(f).is_absolute();
            json!(if uri { f.into() } else { s.out_dir.join(f) })
        })
        .collect();
    let mut doc = json!({
        "command": "run", "ok": m.status.is_complete(), "pipeline": m.pipeline,
        "status": m.status.to_string(), "out_dir": s.out_dir, "stages": stages,
        "dropped_rows": s.dropped_rows, "models": models, "chosen_model": m.chosen_model,
        "segments": segments, "files": files, "warnings": m.warnings,
        "predict": s.predict,
    });
    // Only with a database: the query read and the table written.
    if let Some(pg) = &m.postgres {
        doc["postgres"] = json!(pg);
    }
    if let Some(w) = &s.written {
        doc["written"] = json!(w);
    }
    doc
}

/// `segflow validate --json`.
pub fn validate(plan: &Plan, schema: &Schema) -> Value {
    let columns: Vec<Value> = schema
        .iter()
        .map(|(n, dt)| json!({"name": n.as_str(), "type": crate::frame::type_words(dt)}))
        .collect();
    let mut doc = json!({
        "command": "validate", "ok": true, "pipeline": plan.name,
        "config": plan.source.path, "input": plan.input.path, "columns": columns,
    });
    // Rows from a database: the query, where `input` is a file otherwise.
    if let Some(pg) = &plan.input.postgres {
        doc["input"] = Value::Null;
        doc["postgres"] = json!(pg);
    }
    doc
}

/// `segflow inspect --json` of a run folder: its manifest, and each file's state.
pub fn inspect_dir(dir: &Path) -> Result<Value> {
    let m = inspect::manifest(dir)?;
    let mut files: Vec<Value> = m
        .stages
        .iter()
        .map(|s| json!({"file": s.artifact, "stage": s.stage, "state": inspect::file_state(dir, &s.artifact, &s.sha256)}))
        .collect();
    files.extend(
        m.files
            .iter()
            .map(|(f, sha)| json!({"file": f, "state": inspect::file_state(dir, f, sha)})),
    );
    Ok(json!({"command": "inspect", "ok": true, "manifest": m, "files": files}))
}

/// `segflow inspect --json` of a Parquet file: shape, columns, the first rows, and
/// statistics with `--describe`.
pub fn inspect_file(path: &Path, head: usize, describe: bool) -> Result<Value> {
    let df = inspect::read_parquet(path)?;
    let columns: Vec<Value> = df
        .columns()
        .iter()
        .map(|c| json!({"name": c.name().as_str(), "type": crate::frame::type_words(c.dtype())}))
        .collect();
    let mut out = json!({
        "command": "inspect", "ok": true, "path": path, "rows": df.height(),
        "columns": columns, "head": rows(&df.head(Some(head)))?,
    });
    if describe {
        out["describe"] = json!(inspect::stats(&df)?);
    }
    Ok(out)
}

/// `segflow assign --json`: counts, and customers per segment.
pub fn assign(model: &ModelFile, out: &str, scored: &Summary, read: Option<&str>) -> Result<Value> {
    let mut v = json!({
        "command": "assign", "ok": true, "model": model.chosen_model, "out": out,
        "customers": scored.customers, "scored": scored.customers - scored.not_scored,
        "not_scored": scored.not_scored, "segments": rows(&scored.per_segment)?,
    });
    if let Some(read) = read {
        v["read"] = json!(read);
    }
    Ok(v)
}

/// `compare`: the counts, which segment matched which, and the transition matrix.
pub fn compare(c: &crate::compare::Comparison) -> Value {
    let matched: Vec<Value> = c
        .matched
        .iter()
        .map(|(a, b)| json!({"before": a, "after": b}))
        .collect();
    json!({
        "command": "compare", "ok": true, "out": c.out,
        "customers_in_both": c.shared, "new": c.new, "gone": c.lost,
        "matched": matched, "from_segments": c.from, "to_segments": c.to,
        "transitions": c.counts,
    })
}

/// An error: its message, where it points (`file:line:column:` at its start, else the file
/// the command was given) and the exit code.
pub fn error(command: &str, e: &Error, file: Option<&Path>) -> Value {
    let text = e.to_string();
    let (file, line, column) = match location(&text) {
        Some((f, l, c)) => (Some(f.to_string()), Some(l), Some(c)),
        None => (file.map(|f| f.display().to_string()), None, None),
    };
    json!({
        "command": command, "ok": false,
        "error": {"message": text, "file": file, "line": line, "column": column, "exit_code": e.exit_code()},
    })
}

/// `pipeline.yaml:12:5: message` → (`pipeline.yaml`, 12, 5).
pub fn location(message: &str) -> Option<(&str, usize, usize)> {
    let first = message.lines().next()?;
    let (head, _) = first.split_once(": ")?;
    let mut parts = head.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?, line, column))
}

/// The rows of `df` as JSON objects.
fn rows(df: &DataFrame) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut row = Map::new();
        for c in df.columns() {
            row.insert(c.name().to_string(), value(c.get(i)?));
        }
        out.push(Value::Object(row));
    }
    Ok(out)
}

fn value(v: AnyValue) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => json!(b),
        AnyValue::String(s) => json!(s),
        AnyValue::StringOwned(s) => json!(s.as_str()),
        AnyValue::Float32(x) => json!(x),
        AnyValue::Float64(x) => json!(x),
        v if v.is_integer() => v
            .extract::<i64>()
            .map_or_else(|| json!(v.to_string()), |i| json!(i)),
        other => json!(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_come_from_the_message_start() {
        assert_eq!(
            location("pipeline.yaml:12:5: unknown field `kmean`"),
            Some(("pipeline.yaml", 12, 5))
        );
        assert_eq!(
            location("C:/x/p.yaml:3:1: bad"),
            Some(("C:/x/p.yaml", 3, 1))
        );
        assert_eq!(location("cannot read data.csv: no such file"), None);
        assert_eq!(location("p.yaml: empty"), None);
    }

    #[test]
    fn errors_carry_the_exit_code() {
        let e = Error::Config("p.yaml:2:3: bad key".into());
        let v = error("validate", &e, None);
        assert_eq!(v["error"]["line"], 2);
        assert_eq!(v["error"]["column"], 3);
        assert_eq!(v["error"]["file"], "p.yaml");
        assert_eq!(v["error"]["exit_code"], 2);
        assert_eq!(v["ok"], false);
    }
}
