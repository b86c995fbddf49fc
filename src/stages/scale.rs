//! Stage 4, scale: turns the model columns into the model matrix with a fitted
//! [`Scaler`].

use polars::prelude::*;

use crate::config::ScaleMethod;
use crate::error::Result;
use crate::frame::f64_values;
use crate::matrix::Matrix;
use crate::transform::Scaler;

pub struct ScaleOutput {
    /// Id plus one scaled column per model column.
    pub data: DataFrame,
    pub matrix: Matrix,
    pub scaler: Scaler,
}

pub fn run(
    features: &DataFrame,
    columns: &[String],
    method: ScaleMethod,
    id: &str,
) -> Result<ScaleOutput> {
    let values: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| f64_values(features, c, id))
        .collect::<Result<_>>()?;
    for (c, v) in columns.iter().zip(&values) {
        // Squared distances of values beyond ~1e150 overflow to infinity.
        if let Some(x) = v.iter().find(|x| x.abs() > 1e150) {
            return Err(crate::data_err!(
                "feature `{c}` has a value too large to cluster on ({x:e}): check its units or drop the row as an outlier"
            ));
        }
    }
    let scaler = Scaler::fit(method, columns, &values);
    let matrix = scaler.transform(&values);
    let mut cols = vec![features.column(id)?.clone()];
    for (j, c) in columns.iter().enumerate() {
        cols.push(Column::new(c.as_str().into(), matrix.column(j)));
    }
    let data = DataFrame::new(matrix.n, cols)?;
    Ok(ScaleOutput {
        data,
        matrix,
        scaler,
    })
}
