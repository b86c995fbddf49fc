//! Imputation: one fill value per column, fitted on the training table (median, mean or a
//! constant for numbers; the mode or a constant for categories), applied to any table.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{CategoricalImpute, CleanPlan, NumericImpute};
use crate::error::Result;
use crate::frame::{f64_opts, is_categorical, is_numeric, str_opts};

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

/// What fitting a column's fill gave.
pub enum Fitted {
    Fill(Fill),
    /// The column has no value to impute from: it stays with its gaps.
    Empty,
    /// The plan imputes nothing for columns of this kind, or the column is neither.
    Skipped,
}

/// Fits the fill of column `name` of `df` under `plan`.
pub fn fit(df: &DataFrame, name: &str, plan: &CleanPlan) -> Result<Fitted> {
    let dtype = df.column(name)?.dtype().clone();
    if is_numeric(&dtype) && !matches!(dtype, DataType::Boolean) {
        let values = f64_opts(df, name)?;
        let ca: Float64Chunked = values.iter().copied().collect();
        let value = match &plan.numeric {
            NumericImpute::None => return Ok(Fitted::Skipped),
            NumericImpute::Median => ca.median(),
            NumericImpute::Mean => ca.mean(),
            NumericImpute::Constant(c) => Some(*c),
        };
        return Ok(value.map_or(Fitted::Empty, |v| fitted(name, json(v), &values)));
    }
    if is_categorical(&dtype) {
        let values = str_opts(df, name)?;
        let value = match &plan.categorical {
            CategoricalImpute::None => return Ok(Fitted::Skipped),
            CategoricalImpute::Mode => mode(&values),
            CategoricalImpute::Constant(c) => Some(c.clone()),
        };
        return Ok(value.map_or(Fitted::Empty, |v| fitted(name, json(v), &values)));
    }
    Ok(Fitted::Skipped)
}

fn json(v: impl Serialize) -> serde_json::Value {
    serde_json::json!(v)
}

fn fitted<T>(name: &str, value: serde_json::Value, values: &[Option<T>]) -> Fitted {
    Fitted::Fill(Fill {
        column: name.to_string(),
        value,
        filled: values.iter().filter(|v| v.is_none()).count(),
    })
}

impl Fill {
    /// Fills the gaps of the column in `df` (a column without gaps, or absent, is left as
    /// it is). Numbers fill numeric columns, as `f64`; levels fill text columns.
    pub fn apply(&self, df: &mut DataFrame) -> Result<()> {
        let name = self.column.as_str();
        let Ok(col) = df.column(name) else {
            return Ok(());
        };
        let dtype = col.dtype().clone();
        let numeric = is_numeric(&dtype) && !matches!(dtype, DataType::Boolean);
        if dtype == DataType::Null {
            // A column with no value at all (a file of new customers without this field).
            let filled = Column::new_scalar(name.into(), json_scalar(&self.value), df.height());
            df.replace(name, filled)?;
            return Ok(());
        }
        if let Some(v) = self.value.as_f64() {
            if !numeric {
                return Ok(());
            }
            let values = f64_opts(df, name)?;
            if values.iter().any(Option::is_none) {
                let filled: Vec<f64> = values.iter().map(|x| x.unwrap_or(v)).collect();
                df.replace(name, Column::new(name.into(), filled))?;
            }
        } else if let Some(v) = self.value.as_str() {
            if !is_categorical(&dtype) {
                return Ok(());
            }
            let values = str_opts(df, name)?;
            if values.iter().any(Option::is_none) {
                let filled: Vec<String> = values
                    .into_iter()
                    .map(|x| x.unwrap_or_else(|| v.to_string()))
                    .collect();
                df.replace(name, Column::new(name.into(), filled))?;
            }
        }
        Ok(())
    }
}

fn json_scalar(v: &serde_json::Value) -> Scalar {
    match (v.as_f64(), v.as_str()) {
        (Some(x), _) => Scalar::from(x),
        (None, Some(s)) => Scalar::from(PlSmallStr::from(s)),
        _ => Scalar::null(DataType::Null),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_fill_fills_only_gaps_and_leaves_whole_columns_alone() {
        let mut df = df!(
            "age" => [Some(30i64), None, Some(50)],
            "sex" => [None, Some("F"), Some("M")],
            "full" => [1i64, 2, 3],
        )
        .unwrap();
        let fill = |c: &str, v: serde_json::Value| Fill {
            column: c.into(),
            value: v,
            filled: 0,
        };
        fill("age", json(40.0)).apply(&mut df).unwrap();
        fill("sex", json("F")).apply(&mut df).unwrap();
        fill("full", json(0.0)).apply(&mut df).unwrap();
        fill("absent", json(0.0)).apply(&mut df).unwrap();
        assert_eq!(
            f64_opts(&df, "age").unwrap(),
            [Some(30.0), Some(40.0), Some(50.0)]
        );
        assert_eq!(str_opts(&df, "sex").unwrap()[0].as_deref(), Some("F"));
        assert_eq!(df.column("full").unwrap().dtype(), &DataType::Int64);
    }
}
