//! One-hot encoding: the levels of a categorical column, fitted on the training table, and
//! one 0/1 indicator column per level (without the first when `drop_first`).

use serde::{Deserialize, Serialize};

/// The levels of one encoded column and the indicator columns made from them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Encoding {
    pub column: String,
    /// Every level seen, sorted.
    pub levels: Vec<String>,
    /// The indicator columns, `<column>_<level>` (without the first level when drop_first).
    pub indicators: Vec<String>,
}

impl Encoding {
    /// The levels of `values` (gaps left out), sorted, and their indicator names.
    pub fn fit(column: &str, values: &[Option<String>], drop_first: bool) -> Encoding {
        let mut levels: Vec<String> = values.iter().flatten().cloned().collect();
        levels.sort();
        levels.dedup();
        let skip = usize::from(drop_first && levels.len() > 1);
        let indicators = levels[skip..]
            .iter()
            .map(|level| format!("{column}_{level}"))
            .collect();
        Encoding {
            column: column.to_string(),
            levels,
            indicators,
        }
    }

    /// Each indicator column's name and values (1.0 where the row has its level).
    pub fn indicator_columns(&self, values: &[Option<String>]) -> Vec<(String, Vec<f64>)> {
        self.indicators
            .iter()
            .map(|ind| {
                let level = &ind[self.column.len() + 1..];
                let col = values
                    .iter()
                    .map(|v| f64::from(u8::from(v.as_deref() == Some(level))))
                    .collect();
                (ind.clone(), col)
            })
            .collect()
    }

    /// Why a value cannot be encoded: missing, or a level the training data did not have.
    pub fn problem(&self, value: Option<&str>) -> Option<String> {
        match value {
            None => Some(format!("missing {}", self.column)),
            Some(v) if !self.levels.iter().any(|l| l == v) => Some(format!(
                "unknown {} level `{v}` (known: {})",
                self.column,
                self.levels.join(", ")
            )),
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Encoding;

    #[test]
    fn levels_sorted_first_dropped_unknown_named() {
        let v = |s: &str| Some(s.to_string());
        let values = [v("M"), v("F"), None, v("M")];
        let e = Encoding::fit("sex", &values, true);
        assert_eq!(e.levels, ["F", "M"]);
        assert_eq!(e.indicators, ["sex_M"]);
        assert_eq!(
            e.indicator_columns(&values),
            [("sex_M".to_string(), vec![1.0, 0.0, 0.0, 1.0])]
        );
        assert_eq!(
            Encoding::fit("sex", &values, false).indicators,
            ["sex_F", "sex_M"]
        );
        assert_eq!(Encoding::fit("one", &[v("a")], true).indicators, ["one_a"]);
        assert_eq!(e.problem(Some("M")), None);
        assert_eq!(e.problem(None).unwrap(), "missing sex");
        assert_eq!(
            e.problem(Some("X")).unwrap(),
            "unknown sex level `X` (known: F, M)"
        );
    }
}
