//! The key figures every reader-facing part of the page uses: the value column and the
//! model columns as the user knows them (`log1p_monetary` read as `monetary`), with each
//! segment's mean and median against all customers'. Computed once per page.

use polars::prelude::DataFrame;

use super::ReportInput;
use crate::error::Result;
use crate::frame::f64_opts;
use crate::stages::profile::units::{readable, Readable};
use crate::stages::profile::Segment;

/// Mean and median of one column over a group of customers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stat {
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

impl Stat {
    fn of(values: impl Iterator<Item = f64>) -> Stat {
        let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Stat::default();
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        };
        Stat {
            mean: Some(mean),
            median: Some(median),
        }
    }
}

/// One key figure: a column in the data's units.
pub struct Key {
    pub name: String,
    /// The model used its log: charts draw it on a log axis.
    pub logged: bool,
    /// One value per customer (NaN where missing), in the features table's order.
    pub values: Vec<f64>,
    /// Per segment, in `input.segments` order.
    pub per_segment: Vec<Stat>,
    pub overall: Stat,
}

impl Key {
    /// The segment's mean over all customers' mean.
    pub fn lift(&self, r: usize) -> Option<f64> {
        match (self.per_segment[r].mean, self.overall.mean) {
            (Some(m), Some(o)) if o != 0.0 => Some(m / o),
            _ => None,
        }
    }
}

pub struct KeyFigures {
    /// The value column, when the table has one; it is `keys[0]` then.
    pub value: Option<String>,
    pub keys: Vec<Key>,
    /// The model columns as read.
    pub readable: Vec<Readable>,
    /// Row numbers of each segment's customers, in `input.segments` order.
    pub members: Vec<Vec<usize>>,
}

/// `profile.value`, else `monetary`, else the first column named like "spend" (not a log).
pub fn value_column(named: Option<&str>, cols: &[String]) -> Option<String> {
    if let Some(v) = named {
        return cols.iter().find(|c| *c == v).cloned();
    }
    let lower = |c: &String| c.to_lowercase();
    cols.iter()
        .find(|c| lower(c) == "monetary")
        .or_else(|| {
            cols.iter()
                .find(|c| lower(c).contains("spend") && !lower(c).starts_with("log"))
        })
        .cloned()
}

fn numeric_columns(df: &DataFrame) -> Vec<String> {
    df.columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .map(|c| c.name().to_string())
        .collect()
}

/// Row numbers of each segment's customers, in `segments` order.
pub fn members(labels: &[i64], segments: &[Segment]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); segments.len()];
    for (i, l) in labels.iter().enumerate() {
        if let Some(r) = segments.iter().position(|s| s.id == *l) {
            out[r].push(i);
        }
    }
    out
}

impl KeyFigures {
    pub fn of(input: &ReportInput) -> Result<KeyFigures> {
        let cols = numeric_columns(input.features);
        let value = value_column(input.plan.profile.value.as_deref(), &cols);
        let readable = readable(input.features, input.model_columns)?;
        let one_hot = &input.plan.features.one_hot;
        let mut names: Vec<(String, bool)> = value.iter().map(|v| (v.clone(), false)).collect();
        for r in &readable {
            let indicator = one_hot.iter().any(|o| r.name.starts_with(&format!("{o}_")));
            let usable = cols.contains(&r.name) && r.name != input.id && !indicator;
            match names.iter_mut().find(|(n, _)| *n == r.name) {
                Some(known) => known.1 |= r.is_transform(),
                None if usable => names.push((r.name.clone(), r.is_transform())),
                None => {}
            }
        }
        let members = members(&input.chosen.labels, input.segments);
        let keys = names
            .into_iter()
            .map(|(name, logged)| {
                let values: Vec<f64> = f64_opts(input.features, &name)?
                    .into_iter()
                    .map(|v| v.unwrap_or(f64::NAN))
                    .collect();
                let per_segment = members
                    .iter()
                    .map(|m| Stat::of(m.iter().map(|&i| values[i])))
                    .collect();
                Ok(Key {
                    overall: Stat::of(values.iter().copied()),
                    name,
                    logged,
                    values,
                    per_segment,
                })
            })
            .collect::<Result<_>>()?;
        Ok(KeyFigures {
            value,
            keys,
            readable,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_skip_what_is_missing() {
        let s = Stat::of([3.0, 1.0, 2.0, f64::NAN].into_iter());
        assert_eq!((s.mean, s.median), (Some(2.0), Some(2.0)));
        let s = Stat::of([4.0, 1.0, 2.0, 3.0].into_iter());
        assert_eq!(s.median, Some(2.5));
        assert_eq!(Stat::of(std::iter::empty()).mean, None);
    }

    #[test]
    fn the_value_column_is_named_else_monetary_else_a_spend_column() {
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let pick = |named, v: &[&str]| value_column(named, &cols(v));
        assert_eq!(
            pick(None, &["recency", "monetary"]).as_deref(),
            Some("monetary")
        );
        assert_eq!(
            pick(None, &["log_total_spend", "total_spend"]).as_deref(),
            Some("total_spend")
        );
        assert_eq!(
            pick(None, &["income", "spending"]).as_deref(),
            Some("spending")
        );
        assert_eq!(pick(None, &["income"]), None);
        assert_eq!(
            pick(Some("income"), &["income", "monetary"]).as_deref(),
            Some("income")
        );
    }
}
