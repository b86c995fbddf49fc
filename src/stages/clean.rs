//! Stage 2, clean: fills missing values, then handles outliers.
//!
//! Imputation comes first so that outlier bounds are computed on the completed table (the
//! order of the reference pipeline). Bounds for every outlier column are computed on the
//! same table before any row is dropped, so the result does not depend on column order.
//! Dropped rows are never lost: they are returned, as read, with a `reason`.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{CategoricalImpute, CleanPlan, NumericImpute, OutlierAction, OutlierMethod};
use crate::data_err;
use crate::error::Result;
use crate::frame::{f64_opts, is_categorical, is_numeric, mask, str_opts};

/// The value that fills the gaps of one column. Fitted for every column (like
/// scikit-learn's SimpleImputer), so `assign` can fill a gap the training data did not have.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fill {
    pub column: String,
    /// The number for numeric columns, the level for categorical ones.
    pub value: serde_json::Value,
    /// Cells filled in the training data.
    pub filled: usize,
}

/// Outlier bounds of one column: values outside `[lower, upper]` are outliers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bounds {
    pub column: String,
    pub lower: f64,
    pub upper: f64,
    /// Quartiles (IQR) or mean and standard deviation (z-score) the bounds came from.
    pub basis: [f64; 2],
    pub flagged: usize,
}

/// What the clean stage fitted: the values `assign` must reuse on new customers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CleanModel {
    pub fills: Vec<Fill>,
    pub bounds: Vec<Bounds>,
    pub outlier_action: Option<String>,
    /// Columns left with gaps because they have no value to impute from.
    pub empty_columns: Vec<String>,
}

pub struct CleanOutput {
    pub data: DataFrame,
    /// Rows removed, with the values they had at ingest and a `reason` column.
    pub dropped: DataFrame,
    pub model: CleanModel,
}

pub fn run(input: &DataFrame, plan: &CleanPlan, id: &str) -> Result<CleanOutput> {
    let mut df = input.clone();
    let mut model = CleanModel::default();
    impute(&mut df, plan, id, &mut model)?;

    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); df.height()];
    if let Some(out) = &plan.outliers {
        let mut all_bounds = Vec::new();
        for c in &out.columns {
            let values = f64_opts(&df, c)?;
            let b = bounds(c, &values, out.method)?;
            all_bounds.push((b, values));
        }
        for (mut b, values) in all_bounds {
            let label = match out.method {
                OutlierMethod::Iqr { factor } => format!("IQR x{factor}"),
                OutlierMethod::ZScore { threshold } => format!("|z| > {threshold}"),
            };
            let mut clipped = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let outside = v.is_some_and(|x| x < b.lower || x > b.upper);
                if outside {
                    b.flagged += 1;
                    let x = v.unwrap_or_default();
                    let side = if x < b.lower {
                        format!("below {}", b.lower)
                    } else {
                        format!("above {}", b.upper)
                    };
                    reasons[i].push(format!("outlier: {}={x} {side} ({label})", b.column));
                }
                clipped.push(v.map(|x| x.clamp(b.lower, b.upper)));
            }
            if out.action == OutlierAction::Clip {
                let s = Series::new(b.column.as_str().into(), clipped);
                df.replace(&b.column, s.into())?;
            }
            model.bounds.push(b);
        }
        model.outlier_action = Some(
            match out.action {
                OutlierAction::Drop => "drop",
                OutlierAction::Clip => "clip",
            }
            .to_string(),
        );
        if out.action == OutlierAction::Clip {
            reasons.iter_mut().for_each(Vec::clear);
        }
    }

    let drop: Vec<bool> = reasons.iter().map(|r| !r.is_empty()).collect();
    let keep: Vec<bool> = drop.iter().map(|d| !d).collect();
    let data = df.filter(&mask(&keep))?;
    if data.height() == 0 {
        return Err(data_err!(
            "cleaning dropped all {} rows (outlier rules too strict?): nothing left to segment",
            df.height()
        ));
    }
    let mut dropped = input.filter(&mask(&drop))?;
    let why: Vec<String> = reasons
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.join("; "))
        .collect();
    dropped.with_column(Column::new("reason".into(), why))?;
    Ok(CleanOutput {
        data,
        dropped,
        model,
    })
}

fn impute(df: &mut DataFrame, plan: &CleanPlan, id: &str, model: &mut CleanModel) -> Result<()> {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for name in names.iter().filter(|n| n.as_str() != id) {
        let dtype = df.column(name)?.dtype().clone();
        if is_numeric(&dtype) && !matches!(dtype, DataType::Boolean) {
            let values = f64_opts(df, name)?;
            let missing = values.iter().filter(|v| v.is_none()).count();
            if plan.numeric == NumericImpute::None {
                continue;
            }
            let ca: Float64Chunked = values.iter().copied().collect();
            let fill = match &plan.numeric {
                NumericImpute::Median => ca.median(),
                NumericImpute::Mean => ca.mean(),
                NumericImpute::Constant(c) => Some(*c),
                NumericImpute::None => None,
            };
            let Some(fill) = fill else {
                model.empty_columns.push(name.clone());
                continue;
            };
            if missing > 0 {
                let filled: Vec<f64> = values.iter().map(|v| v.unwrap_or(fill)).collect();
                df.replace(name, Column::new(name.as_str().into(), filled))?;
            }
            model.fills.push(Fill {
                column: name.clone(),
                value: serde_json::json!(fill),
                filled: missing,
            });
        } else if is_categorical(&dtype) {
            let values = str_opts(df, name)?;
            let missing = values.iter().filter(|v| v.is_none()).count();
            if plan.categorical == CategoricalImpute::None {
                continue;
            }
            let fill = match &plan.categorical {
                CategoricalImpute::Mode => mode(&values),
                CategoricalImpute::Constant(c) => Some(c.clone()),
                CategoricalImpute::None => None,
            };
            let Some(fill) = fill else {
                model.empty_columns.push(name.clone());
                continue;
            };
            if missing > 0 {
                let filled: Vec<String> = values
                    .into_iter()
                    .map(|v| v.unwrap_or_else(|| fill.clone()))
                    .collect();
                df.replace(name, Column::new(name.as_str().into(), filled))?;
            }
            model.fills.push(Fill {
                column: name.clone(),
                value: serde_json::json!(fill),
                filled: missing,
            });
        }
    }
    Ok(())
}

/// The most frequent level; ties go to the smallest level (as scikit-learn's SimpleImputer).
fn mode(values: &[Option<String>]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for v in values.iter().flatten() {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, c)| *c == best)
        .map(|(k, _)| k.to_string())
}

fn bounds(column: &str, values: &[Option<f64>], method: OutlierMethod) -> Result<Bounds> {
    let ca: Float64Chunked = values.iter().copied().collect();
    let empty = || data_err!("outlier column `{column}` has no values");
    let (lower, upper, basis) = match method {
        OutlierMethod::Iqr { factor } => {
            let q1 = ca
                .quantile(0.25, QuantileMethod::Linear)?
                .ok_or_else(empty)?;
            let q3 = ca
                .quantile(0.75, QuantileMethod::Linear)?
                .ok_or_else(empty)?;
            let iqr = q3 - q1;
            (q1 - factor * iqr, q3 + factor * iqr, [q1, q3])
        }
        OutlierMethod::ZScore { threshold } => {
            let mean = ca.mean().ok_or_else(empty)?;
            let std = ca.std(0).ok_or_else(empty)?;
            (mean - threshold * std, mean + threshold * std, [mean, std])
        }
    };
    Ok(Bounds {
        column: column.to_string(),
        lower,
        upper,
        basis,
        flagged: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::mode;

    #[test]
    fn mode_breaks_ties_by_smallest_level() {
        let v = |s: &str| Some(s.to_string());
        assert_eq!(
            mode(&[v("b"), v("a"), None, v("b"), v("a")]),
            Some("a".into())
        );
        assert_eq!(mode(&[v("b"), v("a"), v("b")]), Some("b".into()));
        assert_eq!(mode(&[None, None]), None);
    }
}
