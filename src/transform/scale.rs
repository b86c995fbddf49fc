//! Scaling: `standard` uses the population standard deviation, like scikit-learn's
//! StandardScaler; `minmax` maps to [0, 1]; `robust` centres on the median and divides by
//! the interquartile range (RobustScaler). A constant column gets scale 1 (as scikit-learn
//! does) instead of dividing by zero.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::ScaleMethod;
use crate::matrix::Matrix;

/// Fitted scaler: `scaled = (x - center) / scale`, per column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scaler {
    pub method: ScaleMethod,
    pub columns: Vec<String>,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Scaler {
    pub fn fit(method: ScaleMethod, columns: &[String], values: &[Vec<f64>]) -> Scaler {
        let mut center = Vec::new();
        let mut scale = Vec::new();
        for v in values {
            let (c, s) = match method {
                ScaleMethod::Standard => {
                    let n = v.len() as f64;
                    let mean = v.iter().sum::<f64>() / n;
                    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                    (mean, var.sqrt())
                }
                ScaleMethod::MinMax => {
                    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (min, max - min)
                }
                ScaleMethod::Robust => {
                    let ca: Float64Chunked = v.iter().copied().map(Some).collect();
                    let q = |p| {
                        ca.quantile(p, QuantileMethod::Linear)
                            .ok()
                            .flatten()
                            .unwrap_or(0.0)
                    };
                    (q(0.5), q(0.75) - q(0.25))
                }
                ScaleMethod::None => (0.0, 1.0),
            };
            center.push(c);
            scale.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
        }
        Scaler {
            method,
            columns: columns.to_vec(),
            center,
            scale,
        }
    }

    /// The scaled value of `x` in model column `j`.
    pub fn value(&self, j: usize, x: f64) -> f64 {
        (x - self.center[j]) / self.scale[j]
    }

    pub fn transform(&self, values: &[Vec<f64>]) -> Matrix {
        let cols: Vec<Vec<f64>> = values
            .iter()
            .enumerate()
            .map(|(j, v)| v.iter().map(|&x| self.value(j, x)).collect())
            .collect();
        Matrix::from_columns(&cols)
    }
}
