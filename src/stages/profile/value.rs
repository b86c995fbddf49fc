//! Past and predicted value per segment, when the run has `predict`: each segment's share
//! of last period's value and of the lifetime value expected over the horizon, its mean
//! P(alive), and its customers at risk (above-median past value, P(alive) below ½).

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::frame::f64_opts;

/// Below this P(alive) a valuable customer counts as at risk.
pub const AT_RISK_P_ALIVE: f64 = 0.5;

/// `churn risk`: a mean P(alive) below [`AT_RISK_P_ALIVE`], or at least this share of the
/// segment's customers valuable and at risk.
pub const CHURN_RISK_SHARE: f64 = 0.2;
/// `rising`: a share of the expected value at least this many times the share of the past
/// value, and at least [`RISING_MIN_SHARE`] of the expected value.
pub const RISING_RATIO: f64 = 1.25;
pub const RISING_MIN_SHARE: f64 = 0.05;
/// `high predicted value`: expected value per customer at least this many times all
/// customers'.
pub const HIGH_PREDICTED_RATIO: f64 = 1.5;

/// The predicted-value traits of one segment, each with its evidence when it holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outlook {
    pub churn_risk: Option<String>,
    pub rising: Option<String>,
    pub high_predicted_value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentValue {
    /// Share of the past value (`monetary`) of all customers.
    pub past_share: f64,
    /// Share of the expected lifetime value (`clv`), when it was predicted.
    pub predicted_share: Option<f64>,
    pub mean_p_alive: f64,
    /// Customers with above-median past value and P(alive) below ½.
    pub at_risk: usize,
    /// With `predict.holdout`: the value the calibration fit expected from the segment's
    /// customers over the holdout period (with a spend model), and what they spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_expected_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_value: Option<f64>,
}

impl SegmentValue {
    /// Which of the predicted-value traits hold for a segment of `size` customers, `share`
    /// of all.
    pub fn outlook(&self, size: usize, share: f64) -> Outlook {
        let pct = |v: f64| format!("{:.0}%", 100.0 * v);
        let churn_risk = if self.mean_p_alive < AT_RISK_P_ALIVE {
            Some(format!("mean P(alive) {:.2}", self.mean_p_alive))
        } else if self.at_risk as f64 >= CHURN_RISK_SHARE * size as f64 && self.at_risk > 0 {
            Some(format!(
                "{} of its {size} customers valuable and likely gone (P(alive) below {AT_RISK_P_ALIVE})",
                self.at_risk
            ))
        } else {
            None
        };
        let predicted = self.predicted_share.filter(|p| p.is_finite());
        let rising = predicted
            .filter(|&p| p >= RISING_MIN_SHARE && p >= RISING_RATIO * self.past_share)
            .map(|p| {
                format!(
                    "{} of the expected value against {} of the past value",
                    pct(p),
                    pct(self.past_share)
                )
            });
        let high_predicted_value = predicted
            .filter(|&p| share > 0.0 && p >= HIGH_PREDICTED_RATIO * share)
            .map(|p| {
                format!(
                    "expected value per customer {:.1}× all customers'",
                    p / share
                )
            });
        Outlook {
            churn_risk,
            rising,
            high_predicted_value,
        }
    }
}

/// Each segment's value (`None` for all when the features carry no predictions), in the
/// order of `segment_ids`.
pub fn of(
    features: &DataFrame,
    predictions: Option<&DataFrame>,
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
    let (h_expected, h_actual) = holdout_columns(predictions)?;
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
                // Expected only where the spend model was fitted (some customer has a value).
                holdout_expected_value: h_expected
                    .as_deref()
                    .filter(|v| v.iter().any(|x| x.is_finite()))
                    .map(sum),
                holdout_value: h_expected.as_ref().and(h_actual.as_deref()).map(sum),
            }
        })
        .collect();
    Ok(Some(values))
}

/// A column of the predict table as numbers (NaN where empty), when it has it.
type Column64 = Option<Vec<f64>>;

/// The predict table's expected holdout value and, for the check's customers only (those
/// with a purchase before the holdout), the actual holdout value; `None` without a holdout.
fn holdout_columns(predictions: Option<&DataFrame>) -> Result<(Column64, Column64)> {
    let holdout = |c: &str| -> Result<Option<Vec<f64>>> {
        match predictions.filter(|p| p.column(c).is_ok()) {
            Some(p) => Ok(Some(
                f64_opts(p, c)?
                    .into_iter()
                    .map(|v| v.unwrap_or(f64::NAN))
                    .collect(),
            )),
            None => Ok(None),
        }
    };
    let (h_expected, h_actual) = (
        holdout("holdout_expected_value")?,
        holdout("holdout_value")?,
    );
    // The check's customers: those with a purchase before the holdout (an expectation).
    let h_actual = match (holdout("holdout_expected")?, h_actual) {
        (Some(e), Some(a)) => Some(
            e.iter()
                .zip(a)
                .map(|(e, a)| if e.is_finite() { a } else { f64::NAN })
                .collect::<Vec<f64>>(),
        ),
        _ => None,
    };
    Ok((h_expected, h_actual))
}

/// The table's columns for `values`.
pub fn columns(values: &[Option<SegmentValue>]) -> Vec<Column> {
    let pick = |f: &dyn Fn(&SegmentValue) -> Option<f64>| {
        values
            .iter()
            .map(|v| v.as_ref().and_then(f))
            .collect::<Vec<_>>()
    };
    let mut columns = vec![
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
    ];
    if values.iter().flatten().any(|v| v.holdout_value.is_some()) {
        columns.push(Column::new(
            "holdout_expected_value".into(),
            pick(&|v| v.holdout_expected_value),
        ));
        columns.push(Column::new(
            "holdout_value".into(),
            pick(&|v| v.holdout_value),
        ));
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::SegmentValue;

    fn value(past: f64, predicted: f64, p_alive: f64, at_risk: usize) -> SegmentValue {
        SegmentValue {
            past_share: past,
            predicted_share: Some(predicted),
            mean_p_alive: p_alive,
            at_risk,
            holdout_expected_value: None,
            holdout_value: None,
        }
    }

    #[test]
    fn the_outlook_traits_hold_on_their_thresholds() {
        // 100 customers, 10% of all: a fifth at risk is churn risk, a fifth less one is not.
        let o = value(0.1, 0.1, 0.9, 20).outlook(100, 0.1);
        assert_eq!(
            o.churn_risk.as_deref(),
            Some("20 of its 100 customers valuable and likely gone (P(alive) below 0.5)")
        );
        assert_eq!(value(0.1, 0.1, 0.9, 19).outlook(100, 0.1).churn_risk, None);
        let gone = value(0.1, 0.1, 0.42, 0).outlook(100, 0.1);
        assert_eq!(gone.churn_risk.as_deref(), Some("mean P(alive) 0.42"));
        // Rising: a quarter more of the expected value than of the past, and at least 5% of it.
        let o = value(0.12, 0.15, 0.9, 0).outlook(100, 0.1);
        assert_eq!(
            o.rising.as_deref(),
            Some("15% of the expected value against 12% of the past value")
        );
        assert_eq!(value(0.12, 0.149, 0.9, 0).outlook(100, 0.1).rising, None);
        assert_eq!(value(0.02, 0.04, 0.9, 0).outlook(100, 0.1).rising, None);
        // High predicted value: 1.5 times the value per customer of all customers.
        let o = value(0.1, 0.151, 0.9, 0).outlook(100, 0.1);
        assert_eq!(
            o.high_predicted_value.as_deref(),
            Some("expected value per customer 1.5× all customers'")
        );
        assert_eq!(
            value(0.1, 0.149, 0.9, 0)
                .outlook(100, 0.1)
                .high_predicted_value,
            None
        );
        // No predicted value (no spend model): neither rising nor high.
        let none = SegmentValue {
            predicted_share: None,
            ..value(0.1, 0.0, 0.9, 0)
        };
        let o = none.outlook(100, 0.1);
        assert_eq!((o.rising, o.high_predicted_value), (None, None));
    }
}
