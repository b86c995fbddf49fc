//! Stage 3, features: derived columns from SQL expressions (polars' SQL expression parser),
//! one-hot encodings, and the choice of model columns.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::FeaturePlan;
use crate::data_err;
use crate::error::{Error, Result};
use crate::frame::{f64_values, is_numeric, str_opts};

/// The levels of one encoded column and the indicator columns made from them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Encoding {
    pub column: String,
    /// Every level seen, sorted.
    pub levels: Vec<String>,
    /// The indicator columns, `<column>_<level>` (without the first level when drop_first).
    pub indicators: Vec<String>,
}

pub struct FeatureOutput {
    /// Id, every input column, derived columns and indicators.
    pub data: DataFrame,
    /// The model columns, in order.
    pub model_columns: Vec<String>,
    pub encodings: Vec<Encoding>,
}

/// Words that would turn an expression into a query or a file read. Derived features are
/// row-wise expressions over the table's own columns, nothing else.
const FORBIDDEN: &[&str] = &[
    "select", "from", "join", "union", "with", "into", "copy", "create", "drop", "insert",
    "delete", "update", "attach", "pragma", "install", "load",
];

/// Parses one derived-feature expression, refusing queries and table functions.
pub fn parse_expression(sql: &str) -> Result<Expr> {
    if sql.trim().is_empty() {
        return Err(Error::Config("the expression is empty".into()));
    }
    let lower = sql.to_ascii_lowercase();
    let words = lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    for w in words {
        if FORBIDDEN.contains(&w) || w.starts_with("read_") || w.starts_with("scan_") {
            return Err(Error::Config(format!(
                "`{w}` is not allowed: a derived feature is an expression over the table's columns (e.g. \"income / age\"), not a query or a file read"
            )));
        }
    }
    polars::sql::sql_expr(sql).map_err(|e| {
        Error::Config(format!(
            "cannot parse expression \"{sql}\": {}",
            e.to_string().lines().next().unwrap_or_default()
        ))
    })
}

pub fn run(input: &DataFrame, plan: &FeaturePlan, id: &str) -> Result<FeatureOutput> {
    let mut df = input.clone();
    for (name, sql) in &plan.derive {
        let expr = parse_expression(sql)?.alias(name.as_str());
        df = df.lazy().with_column(expr).collect().map_err(|e| {
            data_err!(
                "derived feature `{name}` = \"{sql}\" failed: {}",
                e.to_string().lines().next().unwrap_or_default()
            )
        })?;
        let dt = df.column(name)?.dtype().clone();
        if !is_numeric(&dt) {
            return Err(data_err!(
                "derived feature `{name}` = \"{sql}\" gives {dt}, not a number"
            ));
        }
    }

    let mut encodings = Vec::new();
    for col in &plan.one_hot {
        let values = str_opts(&df, col)?;
        if let Some(row) = values.iter().position(Option::is_none) {
            return Err(data_err!(
                "one-hot column `{col}` is missing in row {} after cleaning: impute it (clean.impute.categorical)",
                row + 1
            ));
        }
        let mut levels: Vec<String> = values.iter().flatten().cloned().collect();
        levels.sort();
        levels.dedup();
        let skip = usize::from(plan.drop_first && levels.len() > 1);
        let mut indicators = Vec::new();
        for level in &levels[skip..] {
            let name = format!("{col}_{level}");
            if df.column(&name).is_ok() {
                return Err(data_err!(
                    "one-hot column `{name}` would replace an existing column of that name"
                ));
            }
            let ind: Vec<f64> = values
                .iter()
                .map(|v| f64::from(u8::from(v.as_deref() == Some(level.as_str()))))
                .collect();
            df.with_column(Column::new(name.as_str().into(), ind))?;
            indicators.push(name);
        }
        encodings.push(Encoding {
            column: col.clone(),
            levels,
            indicators,
        });
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
                    "feature `{u}` is {}, not numeric: list it under features.one_hot to encode it",
                    col.dtype()
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
