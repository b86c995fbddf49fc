//! The model columns as the user knows them. A column the pipeline made by taking a log
//! (`log1p_monetary` from the RFM table's `log1p`, `log_total_spend: "LN(1 + total_spend)"`)
//! is read as the column it came from, and a threshold on it maps back through the inverse:
//! `log1p_monetary > 6.666` reads `monetary > 785`. The link is checked on the data, not
//! guessed from the name alone: every row must satisfy it.

use polars::prelude::DataFrame;

use crate::error::Result;
use crate::frame::{f64_opts, is_numeric};

/// How a model column's values map back to the column it was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inverse {
    /// The column is in the data's own units.
    Same,
    /// The column is `ln(1 + x)`.
    Expm1,
    /// The column is `ln(x)`.
    Exp,
}

/// A model column as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Readable {
    /// The model column.
    pub model: String,
    /// The column in the data's units (`model` itself when it is not a transform).
    pub name: String,
    pub inverse: Inverse,
}

impl Readable {
    pub fn same(name: &str) -> Readable {
        Readable {
            model: name.to_string(),
            name: name.to_string(),
            inverse: Inverse::Same,
        }
    }

    /// A value of the model column in the data's units.
    pub fn back(&self, v: f64) -> f64 {
        match self.inverse {
            Inverse::Same => v,
            Inverse::Expm1 => v.exp_m1(),
            Inverse::Exp => v.exp(),
        }
    }

    /// The inverse as a function, `None` when the column is in the data's units.
    pub fn back_fn(&self) -> Option<fn(f64) -> f64> {
        match self.inverse {
            Inverse::Same => None,
            Inverse::Expm1 => Some(f64::exp_m1),
            Inverse::Exp => Some(f64::exp),
        }
    }

    /// The column's name as a chart axis shows it: "monetary (log scale)" for a log.
    pub fn axis(&self) -> String {
        if self.is_transform() {
            format!("{} (log scale)", self.name)
        } else {
            self.name.clone()
        }
    }

    /// True when the model column is a transform of another column.
    pub fn is_transform(&self) -> bool {
        self.inverse != Inverse::Same
    }
}

/// Prefixes that name a log of another column.
const LOG_PREFIXES: [&str; 3] = ["log1p_", "log_", "ln_"];

/// Each model column as a person reads it, in `model_columns` order.
pub fn readable(features: &DataFrame, model_columns: &[String]) -> Result<Vec<Readable>> {
    model_columns
        .iter()
        .map(|c| readable_column(features, c))
        .collect()
}

fn readable_column(features: &DataFrame, column: &str) -> Result<Readable> {
    let numeric = |name: &str| features.column(name).is_ok_and(|c| is_numeric(c.dtype()));
    for prefix in LOG_PREFIXES {
        let Some(raw) = column.strip_prefix(prefix).filter(|r| !r.is_empty()) else {
            continue;
        };
        if !numeric(raw) || !numeric(column) {
            continue;
        }
        let (model, data) = (f64_opts(features, column)?, f64_opts(features, raw)?);
        for (inverse, f) in [
            (Inverse::Expm1, f64::ln_1p as fn(f64) -> f64),
            (Inverse::Exp, f64::ln as fn(f64) -> f64),
        ] {
            if agrees(&model, &data, f) {
                return Ok(Readable {
                    model: column.to_string(),
                    name: raw.to_string(),
                    inverse,
                });
            }
        }
    }
    Ok(Readable::same(column))
}

/// Every row has `model == f(data)` (to 1e-9 relative; both missing counts as agreeing),
/// and at least one row has a value.
fn agrees(model: &[Option<f64>], data: &[Option<f64>], f: fn(f64) -> f64) -> bool {
    let mut seen = false;
    for (m, d) in model.iter().zip(data) {
        match (m, d) {
            (None, None) => {}
            (Some(m), Some(d)) => {
                let want = f(*d);
                if !(want.is_finite() && (m - want).abs() <= 1e-9 * want.abs().max(1.0)) {
                    return false;
                }
                seen = true;
            }
            _ => return false,
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn a_log_column_reads_as_its_source_and_others_as_themselves() {
        let x = [0.0, 9.0, 99.0, 999.0];
        let df = df!(
            "monetary" => x,
            "log1p_monetary" => x.map(f64::ln_1p),
            "log_spend" => x.map(|v| (v + 1.0).ln()),
            "spend" => x.map(|v| v + 1.0),
            "log_income" => [1.0, 2.0, 3.0, 4.0],
            "income" => [5.0, 6.0, 7.0, 8.0],
            "recency" => [1.0, 2.0, 3.0, 4.0],
        )
        .unwrap();
        let cols: Vec<String> = ["log1p_monetary", "log_spend", "log_income", "recency"]
            .map(String::from)
            .to_vec();
        let r = readable(&df, &cols).unwrap();
        assert_eq!(
            (r[0].name.as_str(), r[0].inverse),
            ("monetary", Inverse::Expm1)
        );
        assert!((r[0].back(99f64.ln_1p()) - 99.0).abs() < 1e-9);
        assert_eq!((r[1].name.as_str(), r[1].inverse), ("spend", Inverse::Exp));
        // Named like a log, but not one of `income`: read as itself.
        assert_eq!(r[2], Readable::same("log_income"));
        assert_eq!(r[3], Readable::same("recency"));
    }
}
