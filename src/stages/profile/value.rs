//! Past and predicted value per segment, when the run has `predict`: each segment's share
//! of last period's value and of the lifetime value expected over the horizon, its mean
//! P(alive), and its customers at risk (above-median past value, P(alive) below ½).

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::frame::f64_opts;

/// Below this P(alive) a valuable customer counts as at risk.
pub const AT_RISK_P_ALIVE: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentValue {
    /// Share of the past value (`monetary`) of all customers.
    pub past_share: f64,
    /// Share of the expected lifetime value (`clv`), when it was predicted.
    pub predicted_share: Option<f64>,
    pub mean_p_alive: f64,
    /// Customers with above-median past value and P(alive) below ½.
    pub at_risk: usize,
}

/// Each segment's value (`None` for all when the features carry no predictions), in the
/// order of `segment_ids`.
pub fn of(
    features: &DataFrame,
    labels: &[i64],
    segment_ids: &[i64],
) -> Result<Option<Vec<SegmentValue>>> {
    let (Ok(_), Ok(_)) = (features.column("p_alive"), features.column("monetary")) else {
        return Ok(None);
    };
    let get = |c: &str| -> Result<Vec<f64>> {
        Ok(f64_opts(features, c)?
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    };
    let (p_alive, past) = (get("p_alive")?, get("monetary")?);
    let clv = features
        .column("clv")
        .ok()
        .map(|_| get("clv"))
        .transpose()?;
    let mut sorted: Vec<f64> = past.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let total = |v: &[f64]| v.iter().filter(|x| x.is_finite()).sum::<f64>();
    let (past_total, clv_total) = (total(&past), clv.as_deref().map(total));
    let values = segment_ids
        .iter()
        .map(|&s| {
            let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == s).collect();
            let sum = |v: &[f64]| {
                rows.iter()
                    .map(|&i| v[i])
                    .filter(|x| x.is_finite())
                    .sum::<f64>()
            };
            let alive: Vec<f64> = rows
                .iter()
                .map(|&i| p_alive[i])
                .filter(|p| p.is_finite())
                .collect();
            SegmentValue {
                past_share: sum(&past) / past_total,
                predicted_share: clv
                    .as_deref()
                    .zip(clv_total)
                    .map(|(c, t)| sum(c) / t)
                    .filter(|v| v.is_finite()),
                mean_p_alive: alive.iter().sum::<f64>() / alive.len().max(1) as f64,
                at_risk: rows
                    .iter()
                    .filter(|&&i| past[i] > median && p_alive[i] < AT_RISK_P_ALIVE)
                    .count(),
            }
        })
        .collect();
    Ok(Some(values))
}

/// The table's columns for `values`.
pub fn columns(values: &[Option<SegmentValue>]) -> Vec<Column> {
    let pick = |f: &dyn Fn(&SegmentValue) -> Option<f64>| {
        values
            .iter()
            .map(|v| v.as_ref().and_then(f))
            .collect::<Vec<_>>()
    };
    vec![
        Column::new("past_value_share".into(), pick(&|v| Some(v.past_share))),
        Column::new("predicted_value_share".into(), pick(&|v| v.predicted_share)),
        Column::new("mean_p_alive".into(), pick(&|v| Some(v.mean_p_alive))),
        Column::new(
            "at_risk".into(),
            values
                .iter()
                .map(|v| v.as_ref().map(|v| v.at_risk as u32))
                .collect::<Vec<_>>(),
        ),
    ]
}
