//! What the exploration section needs from the input before cleaning: every numeric
//! column's values and every text column's level counts. Collected right after ingest
//! (customer tables only: for invoice lines the customer-level view is the features table).

use polars::prelude::*;

use crate::error::Result;
use crate::frame::{f64_opts, is_categorical, is_numeric, str_opts};

/// Levels shown per categorical column; the rest are summed as "(other)".
pub const MAX_LEVELS: usize = 12;

#[derive(Debug, Default)]
pub struct Before {
    /// (column, non-missing values)
    pub numeric: Vec<(String, Vec<f64>)>,
    /// (column, (level, count) most frequent first, "(missing)" included)
    pub categorical: Vec<(String, Vec<(String, usize)>)>,
}

/// Level counts, most frequent first (ties by level), the tail folded into "(other)".
pub fn level_counts(values: &[Option<String>]) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for v in values {
        *counts
            .entry(v.as_deref().unwrap_or("(missing)"))
            .or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if out.len() > MAX_LEVELS {
        let rest: usize = out[MAX_LEVELS - 1..].iter().map(|x| x.1).sum();
        out.truncate(MAX_LEVELS - 1);
        out.push(("(other)".to_string(), rest));
    }
    out
}

impl Before {
    pub fn of(raw: &DataFrame, id: &str) -> Result<Before> {
        let mut b = Before::default();
        for c in raw.columns() {
            let name = c.name().to_string();
            if name == id {
                continue;
            }
            if is_numeric(c.dtype()) {
                let v: Vec<f64> = f64_opts(raw, &name)?.into_iter().flatten().collect();
                b.numeric.push((name, v));
            } else if is_categorical(c.dtype()) {
                b.categorical
                    .push((name.clone(), level_counts(&str_opts(raw, &name)?)));
            }
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_most_frequent_first_with_missing_and_other() {
        let v: Vec<Option<String>> = ["b", "a", "b", "c"]
            .iter()
            .map(|s| Some(s.to_string()))
            .chain([None])
            .collect();
        assert_eq!(
            level_counts(&v),
            vec![
                ("b".to_string(), 2),
                ("(missing)".to_string(), 1),
                ("a".to_string(), 1),
                ("c".to_string(), 1)
            ]
        );
        let many: Vec<Option<String>> = (0..20).map(|i| Some(format!("l{i:02}"))).collect();
        let got = level_counts(&many);
        assert_eq!(got.len(), MAX_LEVELS);
        assert_eq!(got[MAX_LEVELS - 1], ("(other)".to_string(), 9));
    }
}
