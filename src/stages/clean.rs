//! Stage 2, clean: fills missing values, then handles outliers.
//!
//! Imputation comes first so that outlier bounds are computed on the completed table (the
//! order of the reference pipeline). Bounds for every outlier column are computed on the
//! same table before any row is dropped, so the result does not depend on column order.
//! Dropped rows are never lost: they are returned, as read, with a `reason`.

use polars::prelude::*;

use crate::config::{CleanPlan, OutlierAction, OutlierMethod, OutlierPlan};
use crate::data_err;
use crate::error::Result;
use crate::frame::{f64_opts, mask};
use crate::transform::impute::{self, Fitted};
use crate::transform::{Bounds, CleanModel};

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
        outliers(&mut df, out, &mut reasons, &mut model)?;
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

/// Fits a fill for every column but the id and fills the gaps.
fn impute(df: &mut DataFrame, plan: &CleanPlan, id: &str, model: &mut CleanModel) -> Result<()> {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for name in names.iter().filter(|n| n.as_str() != id) {
        match impute::fit(df, name, plan)? {
            Fitted::Fill(fill) => {
                // The fit counted the gaps: a column without any is left as it is.
                if fill.filled > 0 {
                    fill.apply(df)?;
                }
                model.fills.push(fill);
            }
            Fitted::Empty => model.empty_columns.push(name.clone()),
            Fitted::Skipped => {}
        }
    }
    Ok(())
}

/// Fits the bounds of every outlier column on the same table, then flags (and, with
/// `clip`, clips) the values outside them. A clipped row is kept, so it has no reason.
fn outliers(
    df: &mut DataFrame,
    out: &OutlierPlan,
    reasons: &mut [Vec<String>],
    model: &mut CleanModel,
) -> Result<()> {
    let mut all_bounds = Vec::new();
    for c in &out.columns {
        let values = f64_opts(df, c)?;
        let b = Bounds::fit(c, &values, out.method)?;
        all_bounds.push((b, values));
    }
    let label = match out.method {
        OutlierMethod::Iqr { factor } => format!("IQR x{factor}"),
        OutlierMethod::ZScore { threshold } => format!("|z| > {threshold}"),
    };
    for (mut b, values) in all_bounds {
        for (i, v) in values.iter().enumerate() {
            let Some(x) = v.filter(|x| b.outside(*x)) else {
                continue;
            };
            b.flagged += 1;
            let side = if x < b.lower {
                format!("below {}", b.lower)
            } else {
                format!("above {}", b.upper)
            };
            reasons[i].push(format!("outlier: {}={x} {side} ({label})", b.column));
        }
        if out.action == OutlierAction::Clip {
            let s = Series::new(b.column.as_str().into(), b.clip(&values));
            df.replace(&b.column, s.into())?;
        }
        model.bounds.push(b);
    }
    model.outlier_action = Some(out.action);
    if out.action == OutlierAction::Clip {
        reasons.iter_mut().for_each(Vec::clear);
    }
    Ok(())
}
