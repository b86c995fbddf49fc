//! Stage 3, features: derived columns from SQL expressions (polars' SQL expression parser),
//! one-hot encodings, and the choice of model columns.

use polars::prelude::*;

use crate::config::FeaturePlan;
use crate::data_err;
use crate::error::Result;
use crate::frame::{f64_values, is_numeric, str_opts};
use crate::transform::{derive, Encoding};

pub struct FeatureOutput {
    /// Id, every input column, derived columns and indicators.
    pub data: DataFrame,
    /// The model columns, in order.
    pub model_columns: Vec<String>,
    pub encodings: Vec<Encoding>,
}

pub fn run(input: &DataFrame, plan: &FeaturePlan, id: &str) -> Result<FeatureOutput> {
    let mut df = input.clone();
    for (name, sql) in &plan.derive {
        df = derive::apply(df, name, sql)?;
    }
    let mut encodings = Vec::new();
    for col in &plan.one_hot {
        encodings.push(one_hot(&mut df, col, plan.drop_first)?);
    }
    let model_columns = resolve_use(&df, plan, &encodings, id)?;
    // Every model column must be complete: fail here with the customer named.
    for c in &model_columns {
        f64_values(&df, c, id)?;
    }
    Ok(FeatureOutput {
        data: df,
        model_columns,
        encodings,
    })
}

/// Fits the encoding of `col` and adds its indicator columns to `df`.
fn one_hot(df: &mut DataFrame, col: &str, drop_first: bool) -> Result<Encoding> {
    let values = str_opts(df, col)?;
    if let Some(row) = values.iter().position(Option::is_none) {
        return Err(data_err!(
            "one-hot column `{col}` is missing in row {} after cleaning: impute it (clean.impute.categorical)",
            row + 1
        ));
    }
    let enc = Encoding::fit(col, &values, drop_first);
    if let Some(name) = enc.indicators.iter().find(|n| df.column(n).is_ok()) {
        return Err(data_err!(
            "one-hot column `{name}` would replace an existing column of that name"
        ));
    }
    for (name, ind) in enc.indicator_columns(&values) {
        df.with_column(Column::new(name.into(), ind))?;
    }
    Ok(enc)
}

fn resolve_use(
    df: &DataFrame,
    plan: &FeaturePlan,
    encodings: &[Encoding],
    id: &str,
) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    if plan.use_.is_empty() {
        for c in df.columns() {
            let name = c.name().as_str();
            if name != id && is_numeric(c.dtype()) {
                out.push(name.to_string());
            }
        }
    } else {
        for u in &plan.use_ {
            if let Some(enc) = encodings.iter().find(|e| &e.column == u) {
                out.extend(enc.indicators.iter().cloned());
                continue;
            }
            let col = df.column(u).map_err(|_| {
                data_err!(
                    "feature `{u}` does not exist. The columns are: {}",
                    crate::frame::column_list(df)
                )
            })?;
            if !is_numeric(col.dtype()) {
                return Err(data_err!(
                    "feature `{u}` holds {}, not numbers: list it under features.one_hot to encode it",
                    crate::frame::type_words(col.dtype())
                ));
            }
            out.push(u.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
    if out.is_empty() {
        return Err(data_err!(
            "no numeric feature columns to cluster on: set features.use"
        ));
    }
    Ok(out)
}
