//! What `segflow init` knows of each column: its kind, missing values, distinct values,
//! spread, and the first values as written.

use polars::prelude::*;

use crate::error::Result;

/// Values kept as text per column, for recognising dates and cancellation prefixes.
const KEPT_VALUES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Float,
    Text,
    Date,
    Flag,
    Other,
}

/// One column of the profiled rows.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name in the file.
    pub name: String,
    pub kind: Kind,
    pub rows: usize,
    pub nulls: usize,
    /// Distinct non-missing values.
    pub distinct: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Fisher's skewness of the non-missing values (numbers only).
    pub skew: Option<f64>,
    /// Whether every number is whole (a float column of ids such as 17850.0).
    pub whole: bool,
    /// The first non-missing values as text.
    pub values: Vec<String>,
}

impl Column {
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind, Kind::Integer | Kind::Float)
    }

    /// `name` lower-cased with everything but letters and digits removed.
    pub fn key(&self) -> String {
        key(&self.name)
    }

    pub fn null_share(&self) -> f64 {
        self.nulls as f64 / self.rows.max(1) as f64
    }
}

/// `name` lower-cased with everything but letters and digits removed: `Customer ID`,
/// `customer_id` and `CustomerID` all become `customerid`.
pub fn key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The words of a name, lower-cased: `store_type` → [store, type], `StoreType` → [store,
/// type], `Region` → [region].
pub fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        let split = !ch.is_ascii_alphanumeric() || (ch.is_ascii_uppercase() && prev_lower);
        if split && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if ch.is_ascii_alphanumeric() {
            word.push(ch.to_ascii_lowercase());
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Profiles every column of `df`.
pub fn profile(df: &DataFrame) -> Result<Vec<Column>> {
    df.columns()
        .iter()
        .map(|c| one(c.as_materialized_series()))
        .collect()
}

fn kind_of(dt: &DataType) -> Kind {
    match dt {
        d if d.is_integer() => Kind::Integer,
        d if d.is_float() => Kind::Float,
        DataType::String | DataType::Categorical(..) => Kind::Text,
        DataType::Date | DataType::Datetime(..) => Kind::Date,
        DataType::Boolean => Kind::Flag,
        _ => Kind::Other,
    }
}

fn one(s: &Series) -> Result<Column> {
    let kind = kind_of(s.dtype());
    let present = s.drop_nulls();
    let distinct = present.n_unique()?;
    let values: Vec<String> = present
        .head(Some(KEPT_VALUES))
        .cast(&DataType::String)?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let mut col = Column {
        name: s.name().to_string(),
        kind,
        rows: s.len(),
        nulls: s.null_count(),
        distinct,
        min: None,
        max: None,
        skew: None,
        whole: false,
        values,
    };
    if col.is_numeric() {
        let v: Vec<f64> = present
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .flatten()
            .filter(|x| x.is_finite())
            .collect();
        col.min = v.iter().copied().reduce(f64::min);
        col.max = v.iter().copied().reduce(f64::max);
        col.skew = skewness(&v);
        col.whole = v.iter().all(|x| x.fract() == 0.0);
    }
    Ok(col)
}

/// Fisher's (biased) skewness, as pandas' `skew(bias=True)`; `None` without spread.
pub fn skewness(v: &[f64]) -> Option<f64> {
    let n = v.len() as f64;
    if v.len() < 3 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    (m2 > 0.0).then(|| m3 / m2.powf(1.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_punctuation() {
        assert_eq!(key("Customer ID"), "customerid");
        assert_eq!(key("customer_id"), "customerid");
        assert_eq!(key("Annual Income (k$)"), "annualincomek");
        assert_eq!(words("store_type"), ["store", "type"]);
        assert_eq!(words("StoreType"), ["store", "type"]);
        assert_eq!(words("REGION"), ["region"]);
        assert_eq!(
            words("Spending Score (1-100)"),
            ["spending", "score", "1", "100"]
        );
    }

    #[test]
    fn skewness_matches_scipy() {
        // scipy.stats.skew([1, 2, 3, 10]) = 1.0182...
        let s = skewness(&[1.0, 2.0, 3.0, 10.0]).unwrap();
        assert!((s - 1.018_233_764_908_628_4).abs() < 1e-12, "{s}");
        assert_eq!(skewness(&[2.0, 2.0, 2.0]), None);
    }

    #[test]
    fn profiles_kinds_missing_and_distinct_values() {
        let df = df!(
            "id" => [1i64, 2, 3, 4],
            "spend" => [Some(1.5), None, Some(3.0), Some(3.0)],
            "city" => ["a", "b", "a", "a"],
        )
        .unwrap();
        let cols = profile(&df).unwrap();
        assert_eq!(cols[0].kind, Kind::Integer);
        assert_eq!(cols[0].distinct, 4);
        assert!(cols[0].whole);
        assert_eq!(
            (cols[1].kind, cols[1].nulls, cols[1].distinct),
            (Kind::Float, 1, 2)
        );
        assert_eq!((cols[1].min, cols[1].max), (Some(1.5), Some(3.0)));
        assert_eq!((cols[2].kind, cols[2].distinct), (Kind::Text, 2));
        assert_eq!(cols[2].values, ["a", "b", "a", "a"]);
    }
}
