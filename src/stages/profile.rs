//! Stage 7, profile: what characterises each segment of the chosen model, in the units of
//! the original (unscaled) features, plus a descriptive name and the deliverable table of
//! customers with their segment.
//!
//! Names come from the model features that set a segment furthest apart from all customers
//! (its mean in standard deviations of the whole population): "High income · low score".

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cluster::Model;
use crate::config::ProfilePlan;
use crate::error::Result;
use crate::frame::{f64_opts, is_numeric};

/// A segment's summary, also written to model.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub size: usize,
    pub share: f64,
}

pub struct ProfileOutput {
    /// One row per segment.
    pub data: DataFrame,
    /// Segment × RFM segment customer counts (transaction pipelines).
    pub rfm_crosstab: Option<DataFrame>,
    /// Every customer with the features table's columns, `segment` and `segment_name`.
    pub segments: DataFrame,
    pub summary: Vec<Segment>,
}

/// |z| below this counts as "average" when naming.
const DISTINCT_Z: f64 = 0.5;

pub fn run(
    features: &DataFrame,
    model_columns: &[String],
    model: &Model,
    plan: &ProfilePlan,
    id: &str,
) -> Result<ProfileOutput> {
    let n = features.height();
    let mut seg_ids: Vec<i64> = model.labels.clone();
    seg_ids.sort_unstable();
    seg_ids.dedup();
    // Noise last, after the clusters.
    seg_ids.sort_by_key(|&s| (s < 0, s));

    // Profile every numeric column except the id; model columns come first.
    let mut cols: Vec<String> = model_columns.to_vec();
    for c in features.columns() {
        let name = c.name().to_string();
        if name != id && is_numeric(c.dtype()) && !cols.contains(&name) {
            cols.push(name);
        }
    }
    let values: Vec<Vec<Option<f64>>> = cols
        .iter()
        .map(|c| f64_opts(features, c))
        .collect::<Result<_>>()?;
    let overall: Vec<(Option<f64>, Option<f64>)> = values
        .iter()
        .map(|v| {
            let ca: Float64Chunked = v.iter().copied().collect();
            (ca.mean(), ca.std(0))
        })
        .collect();

    let crosstab = rfm_crosstab(features, &model.labels)?;
    let mut summary = Vec::new();
    let mut table: Vec<Column> = Vec::new();
    let mut per_col: Vec<[Vec<Option<f64>>; 3]> = vec![[vec![], vec![], vec![]]; cols.len()];
    for &s in &seg_ids {
        let members: Vec<usize> = (0..n).filter(|&i| model.labels[i] == s).collect();
        let mut zs: Vec<(f64, &str)> = Vec::new(); // model columns only, in order
        for (j, v) in values.iter().enumerate() {
            let ca: Float64Chunked = members.iter().map(|&i| v[i]).collect();
            let (mean, median) = (ca.mean(), ca.median());
            let (omean, ostd) = overall[j];
            let lift = match (mean, omean) {
                (Some(m), Some(o)) if o != 0.0 => Some(m / o),
                _ => None,
            };
            per_col[j][0].push(mean);
            per_col[j][1].push(median);
            per_col[j][2].push(lift);
            if j < model_columns.len() {
                if let (Some(m), Some(o), Some(sd)) = (mean, omean, ostd) {
                    if sd > 0.0 {
                        zs.push(((m - o) / sd, cols[j].as_str()));
                    }
                }
            }
        }
        let name = match plan.names.get(&(s.max(0) as usize)) {
            Some(custom) if s >= 0 => custom.clone(),
            _ if s < 0 => "Noise (no segment)".to_string(),
            _ => auto_name(&zs, plan.top_features),
        };
        // Transaction pipelines: say which RFM segment dominates the cluster.
        let name = match crosstab
            .as_ref()
            .and_then(|(_, d)| d.iter().find(|(l, _)| *l == s))
        {
            Some((_, rfm)) if !plan.names.contains_key(&(s.max(0) as usize)) => {
                format!("{name} (mostly {rfm})")
            }
            _ => name,
        };
        summary.push(Segment {
            id: s,
            name,
            size: members.len(),
            share: members.len() as f64 / n as f64,
        });
    }
    table.push(Column::new(
        "segment".into(),
        summary.iter().map(|s| s.id).collect::<Vec<_>>(),
    ));
    table.push(Column::new(
        "name".into(),
        summary.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
    ));
    table.push(Column::new(
        "size".into(),
        summary.iter().map(|s| s.size as u32).collect::<Vec<_>>(),
    ));
    table.push(Column::new(
        "share".into(),
        summary.iter().map(|s| s.share).collect::<Vec<_>>(),
    ));
    for (j, c) in cols.iter().enumerate() {
        for (k, suffix) in ["mean", "median", "lift"].iter().enumerate() {
            let name = format!("{c}_{suffix}");
            table.push(Column::new(name.as_str().into(), per_col[j][k].clone()));
        }
    }
    let data = DataFrame::new(summary.len(), table)?;

    let mut segments = features.clone();
    let names: std::collections::HashMap<i64, &str> =
        summary.iter().map(|s| (s.id, s.name.as_str())).collect();
    segments.with_column(Column::new("segment".into(), model.labels.clone()))?;
    segments.with_column(Column::new(
        "segment_name".into(),
        model
            .labels
            .iter()
            .map(|l| names.get(l).copied().unwrap_or_default())
            .collect::<Vec<_>>(),
    ))?;
    Ok(ProfileOutput {
        data,
        rfm_crosstab: crosstab.map(|(df, _)| df),
        segments,
        summary,
    })
}

/// "High income · low score" from the `top` features with the largest |z| above 0.5,
/// named in the order the features are listed (`zs` is in model-column order).
fn auto_name(zs: &[(f64, &str)], top: usize) -> String {
    let mut order: Vec<usize> = (0..zs.len()).collect();
    order.sort_by(|&a, &b| zs[b].0.abs().total_cmp(&zs[a].0.abs()).then(a.cmp(&b)));
    let mut picked: Vec<usize> = order
        .into_iter()
        .take(top)
        .filter(|&i| zs[i].0.abs() >= DISTINCT_Z)
        .collect();
    picked.sort_unstable();
    let parts: Vec<String> = picked
        .iter()
        .map(|&i| trait_words(zs[i].1, zs[i].0 > 0.0))
        .collect();
    if parts.is_empty() {
        return "Average".to_string();
    }
    let s = parts.join(" · ");
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().collect::<String>() + chars.as_str(),
        None => s,
    }
}

/// "high income", "low monetary"; recency reads as "recent" / "lapsed" (a high recency is
/// a long time since the last purchase), and log1p_ / log_ prefixes are dropped.
fn trait_words(column: &str, high: bool) -> String {
    let base = column
        .strip_prefix("log1p_")
        .or_else(|| column.strip_prefix("log_"))
        .unwrap_or(column);
    match (base, high) {
        ("recency", true) => "lapsed".to_string(),
        ("recency", false) => "recent".to_string(),
        (b, true) => format!("high {b}"),
        (b, false) => format!("low {b}"),
    }
}

/// A crosstab and, per cluster, its most common RFM segment.
type Crosstab = (DataFrame, Vec<(i64, String)>);

/// Segment × RFM segment counts, when the features table has RFM segments.
fn rfm_crosstab(features: &DataFrame, labels: &[i64]) -> Result<Option<Crosstab>> {
    let Ok(col) = features.column("rfm_segment") else {
        return Ok(None);
    };
    let names: Vec<Option<String>> = col
        .as_materialized_series()
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let mut counts: std::collections::BTreeMap<(i64, String), u32> = Default::default();
    for (l, n) in labels.iter().zip(&names) {
        *counts
            .entry((*l, n.clone().unwrap_or_default()))
            .or_default() += 1;
    }
    // The most common RFM segment of each cluster (ties: alphabetical).
    let mut dominant: std::collections::BTreeMap<i64, (u32, String)> = Default::default();
    for ((l, n), c) in &counts {
        let e = dominant.entry(*l).or_insert((0, String::new()));
        if *c > e.0 {
            *e = (*c, n.clone());
        }
    }
    let df = df!(
        "segment" => counts.keys().map(|k| k.0).collect::<Vec<_>>(),
        "rfm_segment" => counts.keys().map(|k| k.1.clone()).collect::<Vec<_>>(),
        "customers" => counts.values().copied().collect::<Vec<_>>(),
    )?;
    Ok(Some((
        df,
        dominant.into_iter().map(|(l, (_, n))| (l, n)).collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::auto_name;

    #[test]
    fn names_from_the_most_distinct_features() {
        let zs = [(0.9, "income"), (-1.2, "score"), (0.1, "age")];
        assert_eq!(auto_name(&zs, 2), "High income · low score");
        assert_eq!(auto_name(&zs, 1), "Low score");
        assert_eq!(auto_name(&[(0.2, "income"), (-0.1, "score")], 2), "Average");
        assert_eq!(
            auto_name(&[(1.0, "recency"), (-0.8, "log1p_monetary")], 2),
            "Lapsed · low monetary"
        );
    }
}
