//! Derived columns: a SQL expression over the table's columns (and earlier derived ones),
//! computed by polars, and required to give numbers.

use polars::prelude::*;

use crate::config::parse_expression;
use crate::data_err;
use crate::error::Result;
use crate::frame::is_numeric;

/// Adds the column `name` = `sql` to `df`.
pub fn apply(df: DataFrame, name: &str, sql: &str) -> Result<DataFrame> {
    let expr = parse_expression(sql)?.alias(name);
    let df = df.lazy().with_column(expr).collect().map_err(|e| {
        data_err!(
            "derived feature `{name}` = \"{sql}\" failed: {}",
            e.to_string().lines().next().unwrap_or_default()
        )
    })?;
    let dt = df.column(name)?.dtype().clone();
    if !is_numeric(&dt) {
        return Err(data_err!(
            "derived feature `{name}` = \"{sql}\" gives {}, not numbers",
            crate::frame::type_words(&dt)
        ));
    }
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_columns_are_computed_and_must_be_numbers() {
        let df = df!("a" => [2.0, 4.0], "b" => [1.0, 2.0]).unwrap();
        let df = apply(df, "ratio", "a / b").unwrap();
        let r: Vec<Option<f64>> = df.column("ratio").unwrap().f64().unwrap().iter().collect();
        assert_eq!(r, [Some(2.0), Some(2.0)]);
        let err = apply(df, "w", "'word'").unwrap_err().to_string();
        assert!(err.contains("gives text, not numbers"), "{err}");
    }
}
