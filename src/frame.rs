//! Small helpers between polars columns and the plain `f64` vectors the numeric code uses.

use polars::prelude::*;

use crate::data_err;
use crate::error::Result;

/// Is this a type we treat as a numeric feature?
pub fn is_numeric(dt: &DataType) -> bool {
    dt.is_primitive_numeric() || matches!(dt, DataType::Boolean)
}

/// Is this a type we treat as categorical (impute with the mode, one-hot encode)?
pub fn is_categorical(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..)
    )
}

/// A numeric column as `f64`s; nulls, NaN and ±inf become `None`.
pub fn f64_opts(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let col = df.column(name)?;
    if !is_numeric(col.dtype()) {
        return Err(data_err!("column `{name}` is {}, not numeric", col.dtype()));
    }
    let s = col.as_materialized_series().cast(&DataType::Float64)?;
    Ok(s.f64()?
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect())
}

/// A numeric column without gaps as `f64`s; an error names the first missing row.
pub fn f64_values(df: &DataFrame, name: &str, id: &str) -> Result<Vec<f64>> {
    let opts = f64_opts(df, name)?;
    let mut out = Vec::with_capacity(opts.len());
    for (i, v) in opts.into_iter().enumerate() {
        match v {
            Some(x) => out.push(x),
            None => {
                let idv = df
                    .column(id)
                    .ok()
                    .and_then(|c| c.get(i).ok().map(|v| v.to_string()))
                    .unwrap_or_else(|| format!("row {}", i + 1));
                return Err(data_err!(
                    "feature `{name}` is missing (or not finite) for customer {idv}: impute it in clean.impute or drop the column"
                ));
            }
        }
    }
    Ok(out)
}

/// A string view of a categorical column (`None` for nulls).
pub fn str_opts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// A boolean mask as a polars `BooleanChunked`.
pub fn mask(values: &[bool]) -> BooleanChunked {
    BooleanChunked::from_slice("mask".into(), values)
}

/// "`a`, `b`, `c`": the columns of a frame, for messages that list what exists.
pub fn column_list(df: &DataFrame) -> String {
    df.get_column_names()
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
