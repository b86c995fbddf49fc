//! Stage 7, profile: what characterises each segment of the chosen model, in the units of
//! the original (unscaled) features, plus a descriptive name and the deliverable table of
//! customers with their segment.
//!
//! Names come from the model features that set a segment furthest apart from all customers
//! (its mean in standard deviations of the whole population): "High income · low score".
//! Each segment also gets its traits, the marketing actions of the rule table that fire on
//! them (`recommend`), and readable rules from a shallow decision tree (`explain`).

pub mod explain;
pub mod recommend;
pub mod units;
pub mod value;

use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cluster::stability::Stability;
use crate::cluster::Model;
use crate::config::ProfilePlan;
use crate::error::Result;
use crate::frame::{f64_opts, figure, is_numeric};
use std::collections::BTreeMap;

/// A segment's summary, also written to model.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub size: usize,
    pub share: f64,
    /// What sets the segment apart ("high income", "lapsed", "rfm champions").
    #[serde(default)]
    pub traits: Vec<String>,
    /// Recommended actions with the traits that triggered them.
    #[serde(default)]
    pub actions: Vec<recommend::Action>,
    /// How often the segment is found again when the data is resampled (`None` for noise,
    /// or when stability is off).
    #[serde(default)]
    pub stability: Option<SegmentStability>,
    /// Past and predicted value (runs with `predict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<value::SegmentValue>,
}

/// A segment's stability (see [`crate::cluster::stability`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentStability {
    /// Mean best Jaccard over the resamples.
    pub jaccard: f64,
    /// Resamples in which it was found again (Jaccard 0.5 or more).
    pub found: usize,
    pub resamples: usize,
}

impl SegmentStability {
    /// Below this a segment is not to be trusted (Hennig 2007).
    pub const UNSTABLE: f64 = 0.6;

    /// "found again in 48 of 50 resamples (Jaccard 0.97)".
    pub fn describe(&self) -> String {
        format!(
            "found again in {} of {} resamples (Jaccard {:.2})",
            self.found, self.resamples, self.jaccard
        )
    }
}

/// Two segments never share a name (a CRM list per name must not merge them): the segment
/// with the lowest id keeps a shared name (with `cluster.reference`, the one that kept an
/// earlier run's id and name), each other one gets its id ("Loyal (segment 3)").
fn distinct_names(summary: &mut [Segment]) {
    let mut first: std::collections::HashMap<String, i64> = Default::default();
    for s in summary.iter().filter(|s| s.id >= 0) {
        let id = first.entry(s.name.clone()).or_insert(s.id);
        *id = (*id).min(s.id);
    }
    for s in summary.iter_mut().filter(|s| s.id >= 0) {
        if first[&s.name] != s.id {
            s.name = format!("{} (segment {})", s.name, s.id);
        }
    }
}

/// Each segment's stability from the chosen model's, by segment id.
fn attach_stability(summary: &mut [Segment], model: &Model, stability: Option<&Stability>) {
    let Some(st) = stability else { return };
    for seg in summary.iter_mut().filter(|s| s.id >= 0) {
        let at = (0..st.jaccard.len()).find(|&i| model.segment_id(i) == seg.id);
        seg.stability = at.map(|i| SegmentStability {
            jaccard: st.jaccard[i],
            found: st.found[i],
            resamples: st.resamples,
        });
    }
}

pub struct ProfileOutput {
    /// One row per segment.
    pub data: DataFrame,
    /// Segment × RFM segment customer counts (transaction pipelines).
    pub rfm_crosstab: Option<DataFrame>,
    /// Every customer with the features table's columns, `segment` and `segment_name`.
    pub segments: DataFrame,
    pub summary: Vec<Segment>,
    /// The decision tree's rules (None with a single segment).
    pub explanation: Option<explain::Explanation>,
    /// Mean z-score of every segment (rows, in `summary` order) on every profiled column.
    pub zscores: (Vec<String>, Vec<Vec<f64>>),
}

/// What the profile reads beside the features: the chosen model's stability and, with
/// `predict`, the predict stage's table (for the holdout check per segment).
#[derive(Default, Clone, Copy)]
pub struct Evidence<'a> {
    pub stability: Option<&'a Stability>,
    pub predictions: Option<&'a DataFrame>,
}

/// |z| below this counts as "average" when naming.
const DISTINCT_Z: f64 = 0.5;

pub fn run(
    features: &DataFrame,
    model_columns: &[String],
    model: &Model,
    evidence: Evidence,
    plan: &ProfilePlan,
    id: &str,
    seed: u64,
) -> Result<ProfileOutput> {
    let st = Stats::of(features, model_columns, &model.labels, id)?;
    let crosstab = rfm_crosstab(features, &model.labels)?;
    let dominant: Vec<Option<String>> = st
        .seg_ids
        .iter()
        .map(|&s| {
            crosstab
                .as_ref()
                .and_then(|(_, d)| d.iter().find(|(l, _)| *l == s))
                .map(|(_, rfm)| rfm.clone())
        })
        .collect();
    let most_valuable = st.most_valuable(plan.value.as_deref());
    let readable = units::readable(features, model_columns)?;
    let values = value::of(features, evidence.predictions, &model.labels, &st.seg_ids)?;
    let mut summary: Vec<Segment> = (0..st.seg_ids.len())
        .map(|r| {
            let value = values.as_ref().map(|v| &v[r]);
            st.segment(
                r,
                &readable,
                plan,
                dominant[r].clone(),
                most_valuable,
                value,
            )
        })
        .collect();
    attach_stability(&mut summary, model, evidence.stability);
    distinct_names(&mut summary);

    // Explanation rules on the unscaled model features.
    let tree_cols: Vec<Vec<f64>> = st.values[..model_columns.len()]
        .iter()
        .map(|v| v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        .collect();
    let explanation = explain::explain_auto(
        &tree_cols,
        &readable,
        &model.labels,
        plan.explain_depth,
        seed,
    )?;
    let data = st.table(&summary, explanation.as_ref())?;
    let mut segments = customers_table(features, &model.labels, &summary)?;
    // A mixture's customers carry the probability of their segment.
    if let crate::cluster::Fit::Gmm { probability, .. } = &model.fit {
        let p = Column::new("segment_probability".into(), probability.clone());
        segments.with_column(p)?;
    }
    Ok(ProfileOutput {
        data,
        rfm_crosstab: crosstab.map(|(df, _)| df),
        segments,
        summary,
        explanation,
        zscores: (st.cols, st.zrows),
    })
}

/// Every profiled column's statistics, overall and per segment.
struct Stats {
    /// Segment ids, noise (-1) last.
    seg_ids: Vec<i64>,
    /// Every numeric column but the id; model columns first.
    cols: Vec<String>,
    values: Vec<Vec<Option<f64>>>,
    /// (mean, population sd) of every column over all customers.
    overall: Vec<(Option<f64>, Option<f64>)>,
    /// Median of every column over all customers.
    overall_median: Vec<Option<f64>>,
    /// Row numbers of each segment's customers.
    members_of: std::collections::BTreeMap<i64, Vec<usize>>,
    /// Per column: the segments' means, medians and lifts, in `seg_ids` order.
    per_col: Vec<[Vec<Option<f64>>; 3]>,
    /// z of every segment (rows, `seg_ids` order) on every column (0 where undefined).
    zrows: Vec<Vec<f64>>,
}

/// Per column: every segment's mean, median and lift (mean over the overall mean); per
/// segment: its z on every column (0 where undefined). `stats` is (mean, median) by column,
/// then segment; `overall` (mean, std) by column.
#[allow(clippy::type_complexity)]
fn lifts_and_z(
    segments: usize,
    stats: &[Vec<(Option<f64>, Option<f64>)>],
    overall: &[(Option<f64>, Option<f64>)],
) -> (Vec<[Vec<Option<f64>>; 3]>, Vec<Vec<f64>>) {
    let mut per_col: Vec<[Vec<Option<f64>>; 3]> = vec![[vec![], vec![], vec![]]; stats.len()];
    let mut zrows: Vec<Vec<f64>> = Vec::new();
    for r in 0..segments {
        let mut zrow = Vec::with_capacity(stats.len());
        for (j, col_stats) in stats.iter().enumerate() {
            let (mean, median) = col_stats[r];
            let (omean, ostd) = overall[j];
            let lift = match (mean, omean) {
                (Some(m), Some(o)) if o != 0.0 => Some(m / o),
                _ => None,
            };
            per_col[j][0].push(mean);
            per_col[j][1].push(median);
            per_col[j][2].push(lift);
            zrow.push(match (mean, omean, ostd) {
                (Some(m), Some(o), Some(sd)) if sd > 0.0 => (m - o) / sd,
                _ => 0.0,
            });
        }
        zrows.push(zrow);
    }
    (per_col, zrows)
}

impl Stats {
    fn of(
        features: &DataFrame,
        model_columns: &[String],
        labels: &[i64],
        id: &str,
    ) -> Result<Stats> {
        let mut seg_ids: Vec<i64> = labels.to_vec();
        seg_ids.sort_unstable();
        seg_ids.dedup();
        // Noise last, after the clusters.
        seg_ids.sort_by_key(|&s| (s < 0, s));
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
        let overall_median: Vec<Option<f64>> = values
            .par_iter()
            .map(|v| v.iter().copied().collect::<Float64Chunked>().median())
            .collect();
        let mut members_of: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
        for (i, &l) in labels.iter().enumerate() {
            members_of.entry(l).or_default().push(i);
        }
        // (mean, median) of every segment on every column, the columns in parallel
        // (medians sort each segment's values).
        let stats: Vec<Vec<(Option<f64>, Option<f64>)>> = values
            .par_iter()
            .map(|v| {
                seg_ids
                    .iter()
                    .map(|s| {
                        let ca: Float64Chunked = members_of[s].iter().map(|&i| v[i]).collect();
                        (ca.mean(), ca.median())
                    })
                    .collect()
            })
            .collect();
        let (per_col, zrows) = lifts_and_z(seg_ids.len(), &stats, &overall);
        Ok(Stats {
            seg_ids,
            cols,
            values,
            overall,
            overall_median,
            members_of,
            per_col,
            zrows,
        })
    }

    /// The segment whose customers are worth most on average (mean of the value column:
    /// `profile.value`, else monetary, else a column named like "spend"), if there is one.
    fn most_valuable(&self, value: Option<&str>) -> Option<i64> {
        let cols = &self.cols;
        let named = value.map(|v| cols.iter().position(|c| c == v));
        let value_col = named.unwrap_or_else(|| {
            ["monetary", "spend"]
                .iter()
                .find_map(|w| cols.iter().position(|c| c.to_lowercase() == *w))
                .or_else(|| {
                    ["monetary", "spend"]
                        .iter()
                        .find_map(|w| cols.iter().position(|c| c.to_lowercase().contains(w)))
                })
        });
        value_col.and_then(|j| {
            self.seg_ids
                .iter()
                .enumerate()
                .filter(|(_, &s)| s >= 0)
                .map(|(r, _)| (r, self.per_col[j][0][r].unwrap_or(f64::NEG_INFINITY)))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(r, _)| self.seg_ids[r])
        })
    }

    /// The `r`-th segment's name, size, traits and actions.
    fn segment(
        &self,
        r: usize,
        readable: &[units::Readable],
        plan: &ProfilePlan,
        dominant_rfm: Option<String>,
        most_valuable: Option<i64>,
        value: Option<&value::SegmentValue>,
    ) -> Segment {
        let s = self.seg_ids[r];
        let n_model = readable.len();
        let size = self.members_of[&s].len();
        let n: usize = self.members_of.values().map(Vec::len).sum();
        let varies = |j: usize| self.overall[j].1.is_some_and(|sd| sd > 0.0);
        let zs: Vec<(f64, &str)> = (0..n_model)
            .filter(|&j| varies(j))
            .map(|j| (self.zrows[r][j], self.cols[j].as_str()))
            .collect();
        let custom = plan.names.get(&(s.max(0) as usize)).filter(|_| s >= 0);
        let name = match custom {
            Some(custom) => custom.clone(),
            None if s < 0 => "Noise (no segment)".to_string(),
            None => auto_name(&zs, plan.top_features),
        };
        // Transaction pipelines: say which RFM segment dominates the cluster.
        let name = match &dominant_rfm {
            Some(rfm) if custom.is_none() && s >= 0 => format!("{name} (mostly {rfm})"),
            _ => name,
        };
        let (traits, actions) = if s < 0 {
            (
                vec!["noise".to_string()],
                vec![recommend::Action {
                    action: "Review individually: these customers fit no segment".to_string(),
                    because: "noise: in no dense region".to_string(),
                }],
            )
        } else {
            let t = recommend::Traits {
                z: (0..self.cols.len())
                    .filter(|&j| varies(j))
                    .map(|j| (self.cols[j].clone(), self.zrows[r][j]))
                    .collect(),
                figures: self.figures(r, readable, &plan.units),
                rfm: dominant_rfm,
                most_valuable: most_valuable == Some(s),
                outlook: value
                    .map(|v| v.outlook(size, size as f64 / n as f64))
                    .unwrap_or_default(),
                average: zs.iter().all(|(z, _)| z.abs() < DISTINCT_Z),
            };
            let mut actions = recommend::recommend(&plan.rules, &t, DISTINCT_Z);
            if actions.is_empty() {
                actions.push(recommend::fallback(&t, DISTINCT_Z));
            }
            (traits_of(&zs, &t), actions)
        };
        Segment {
            id: s,
            name,
            size,
            share: size as f64 / n as f64,
            traits,
            actions,
            stability: None,
            value: value.filter(|_| s >= 0).cloned(),
        }
    }

    /// Every column's evidence for segment `r` in the data's units: its median against all
    /// customers' (a log column speaks through the column it was made from).
    fn figures(
        &self,
        r: usize,
        readable: &[units::Readable],
        units: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (j, col) in self.cols.iter().enumerate() {
            let name = readable.get(j).map_or(col, |u| &u.name);
            let k = self.cols.iter().position(|c| c == name).unwrap_or(j);
            let (seg, all) = (self.per_col[k][1][r], self.overall_median[k]);
            let unit = units.get(name).map(|u| format!(" {u}")).unwrap_or_default();
            if seg.is_some() && all.is_some() {
                out.insert(
                    col.clone(),
                    format!(
                        "median {name}{unit} {} vs {} for all customers",
                        figure(seg),
                        figure(all)
                    ),
                );
            }
        }
        out
    }

    /// `07_profile.parquet`: one row per segment with its summary, rules and statistics.
    fn table(
        &self,
        summary: &[Segment],
        explanation: Option<&explain::Explanation>,
    ) -> Result<DataFrame> {
        let strings = |f: &dyn Fn(&Segment) -> String| summary.iter().map(f).collect::<Vec<_>>();
        let mut table: Vec<Column> = vec![
            Column::new("segment".into(), self.seg_ids.clone()),
            Column::new("name".into(), strings(&|s| s.name.clone())),
            Column::new(
                "size".into(),
                summary.iter().map(|s| s.size as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "share".into(),
                summary.iter().map(|s| s.share).collect::<Vec<_>>(),
            ),
            Column::new("traits".into(), strings(&|s| s.traits.join("; "))),
            Column::new(
                "actions".into(),
                strings(&|s| {
                    s.actions
                        .iter()
                        .map(|a| format!("{} [{}]", a.action, a.because))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            ),
        ];
        if summary.iter().any(|s| s.stability.is_some()) {
            let st = summary.iter().map(|s| s.stability.as_ref());
            table.push(Column::new(
                "stability".into(),
                st.clone().map(|t| t.map(|t| t.jaccard)).collect::<Vec<_>>(),
            ));
            table.push(Column::new(
                "stability_found".into(),
                st.map(|t| t.map(|t| t.found as u32)).collect::<Vec<_>>(),
            ));
        }
        if summary.iter().any(|s| s.value.is_some()) {
            let values: Vec<_> = summary.iter().map(|s| s.value.clone()).collect();
            table.extend(value::columns(&values));
        }
        if let Some(e) = explanation {
            let rules = self.seg_ids.iter().map(|&s| {
                e.leaves
                    .iter()
                    .filter(|l| l.segment == s)
                    .map(|l| l.conditions.clone())
                    .collect::<Vec<_>>()
                    .join(" | ")
            });
            table.push(Column::new("rules".into(), rules.collect::<Vec<_>>()));
        }
        for (j, c) in self.cols.iter().enumerate() {
            for (k, suffix) in ["mean", "median", "lift"].iter().enumerate() {
                let name = format!("{c}_{suffix}");
                table.push(Column::new(
                    name.as_str().into(),
                    self.per_col[j][k].clone(),
                ));
            }
        }
        Ok(DataFrame::new(summary.len(), table)?)
    }
}

/// A segment's traits in words: the model features it stands out on, then `average`,
/// its dominant RFM segment and `most valuable`.
fn traits_of(zs: &[(f64, &str)], t: &recommend::Traits) -> Vec<String> {
    let mut traits: Vec<String> = zs
        .iter()
        .filter(|(z, _)| z.abs() >= DISTINCT_Z)
        .map(|(z, c)| trait_words(c, *z > 0.0))
        .collect();
    if t.average {
        traits.push("average".into());
    }
    if let Some(r) = &t.rfm {
        traits.push(format!("rfm {r}"));
    }
    if t.most_valuable {
        traits.push("most valuable".into());
    }
    let o = &t.outlook;
    for (holds, name) in [
        (&o.churn_risk, "churn risk"),
        (&o.rising, "rising"),
        (&o.high_predicted_value, "high predicted value"),
    ] {
        if holds.is_some() {
            traits.push(name.into());
        }
    }
    traits
}

/// The deliverable: every customer with the features table's columns, `segment` and
/// `segment_name` (and, for a Gaussian mixture, `segment_probability`).
fn customers_table(features: &DataFrame, labels: &[i64], summary: &[Segment]) -> Result<DataFrame> {
    let mut segments = features.clone();
    let names: std::collections::HashMap<i64, &str> =
        summary.iter().map(|s| (s.id, s.name.as_str())).collect();
    segments.with_column(Column::new("segment".into(), labels.to_vec()))?;
    segments.with_column(Column::new(
        "segment_name".into(),
        labels
            .iter()
            .map(|l| names.get(l).copied().unwrap_or_default())
            .collect::<Vec<_>>(),
    ))?;
    Ok(segments)
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
        .unwrap_or(column)
        .replace('_', " ");
    match (base.as_str(), high) {
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

/// Where a segment's own customer list is written, relative to the run folder:
/// `segments/<id>_<name as a slug>.csv` (`segments/noise.csv` for DBSCAN noise).
pub fn export_file(s: &Segment) -> String {
    if s.id < 0 {
        return "segments/noise.csv".to_string();
    }
    let mut slug = String::new();
    for ch in s.name.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    format!("segments/{}_{}.csv", s.id, slug.trim_matches('_'))
}

/// One CSV per segment (the rows of `segments.csv` that are in it), for a campaign.
pub fn exports(table: &DataFrame, summary: &[Segment]) -> Result<Vec<(String, Vec<u8>)>> {
    let ids = table.column("segment")?.i64()?.clone();
    summary
        .iter()
        .map(|s| {
            let mask: BooleanChunked = ids.iter().map(|v| v == Some(s.id)).collect();
            let mut part = table.filter(&mask)?;
            Ok((export_file(s), crate::artifacts::csv_bytes(&mut part)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{auto_name, distinct_names, Segment};

    #[test]
    fn two_segments_never_share_a_name() {
        let seg = |id: i64, name: &str| Segment {
            id,
            name: name.into(),
            size: 1,
            share: 0.25,
            traits: vec![],
            actions: vec![],
            stability: None,
            value: None,
        };
        let mut s = vec![
            seg(0, "Loyal"),
            seg(1, "Average"),
            seg(2, "Loyal"),
            seg(-1, "Noise (no segment)"),
        ];
        distinct_names(&mut s);
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Loyal",
                "Average",
                "Loyal (segment 2)",
                "Noise (no segment)"
            ]
        );
    }

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
