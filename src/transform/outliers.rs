//! Outlier bounds: fitted per column from quartiles (IQR) or mean and standard deviation
//! (z-score); a value outside them is dropped with its reason or clipped to the bound.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::OutlierMethod;
use crate::data_err;
use crate::error::Result;

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

impl Bounds {
    /// Fits the bounds of `column` from its values (gaps left out).
    pub fn fit(column: &str, values: &[Option<f64>], method: OutlierMethod) -> Result<Bounds> {
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

    /// Is `x` outside the bounds?
    pub fn outside(&self, x: f64) -> bool {
        x < self.lower || x > self.upper
    }

    /// The values with every one outside the bounds moved to the nearer bound.
    pub fn clip(&self, values: &[Option<f64>]) -> Vec<Option<f64>> {
        values
            .iter()
            .map(|v| v.map(|x| x.clamp(self.lower, self.upper)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iqr_bounds_flag_and_clip() {
        let v: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0, 100.0].map(Some).to_vec();
        let b = Bounds::fit("x", &v, OutlierMethod::Iqr { factor: 1.5 }).unwrap();
        assert_eq!((b.basis, b.lower, b.upper), ([2.0, 4.0], -1.0, 7.0));
        assert!(b.outside(100.0) && !b.outside(7.0) && b.outside(-1.5));
        assert_eq!(b.clip(&[Some(100.0), None])[..], [Some(7.0), None]);
        assert!(Bounds::fit("x", &[None], OutlierMethod::Iqr { factor: 1.5 }).is_err());
    }
}
