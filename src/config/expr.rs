//! Derived-feature expressions: polars' SQL expression parser, refusing anything that would
//! turn an expression into a query or a file read. Used to validate `features.derive` and by
//! the transform that computes the columns.

use polars::prelude::Expr;

use crate::error::{Error, Result};

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
