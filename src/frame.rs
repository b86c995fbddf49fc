//! Small helpers between polars columns and the plain `f64` vectors the numeric code uses.

use polars::prelude::*;

use crate::data_err;
use crate::error::Result;

/// Is this a type we treat as a numeric feature?
pub fn is_numeric(dt: &DataType) -> bool {
    dt.is_primitive_numeric() || matches!(dt, DataType::Boolean)
}

/// Is this a type we treat as categorical (impute with the mode, one-hot encode)?
pub fn is_categorical(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..)
    )
}

/// What a column holds, in the words of someone who made the file (never a polars type name).
pub fn type_words(dt: &DataType) -> &'static str {
    match dt {
        DataType::String | DataType::Categorical(..) | DataType::Enum(..) => "text",
        DataType::Boolean => "true/false values",
        DataType::Date => "dates",
        DataType::Datetime(..) => "dates with times",
        DataType::Duration(..) => "durations",
        DataType::Time => "times of day",
        DataType::Null => "no values (every cell is empty)",
        dt if dt.is_integer() => "whole numbers",
        dt if dt.is_float() => "decimal numbers",
        _ => "values of an unsupported kind",
    }
}

/// A numeric column as `f64`s; nulls, NaN and ±inf become `None`.
pub fn f64_opts(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let col = df.column(name)?;
    if !is_numeric(col.dtype()) {
        return Err(data_err!(
            "column `{name}` holds {}, not numbers",
            type_words(col.dtype())
        ));
    }
    let s = col.as_materialized_series().cast(&DataType::Float64)?;
    Ok(s.f64()?
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect())
}

/// A numeric column without gaps as `f64`s; an error names the first missing row.
pub fn f64_values(df: &DataFrame, name: &str, id: &str) -> Result<Vec<f64>> {
    let opts = f64_opts(df, name)?;
    let mut out = Vec::with_capacity(opts.len());
    for (i, v) in opts.into_iter().enumerate() {
        match v {
            Some(x) => out.push(x),
            None => {
                let idv = df
                    .column(id)
                    .ok()
                    .and_then(|c| c.get(i).ok().map(|v| v.to_string()))
                    .unwrap_or_else(|| format!("row {}", i + 1));
                return Err(data_err!(
                    "feature `{name}` is missing (or not finite) for customer {idv}: impute it in clean.impute or drop the column"
                ));
            }
        }
    }
    Ok(out)
}

/// A string view of a categorical column (`None` for nulls).
pub fn str_opts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// A boolean mask as a polars `BooleanChunked`.
pub fn mask(values: &[bool]) -> BooleanChunked {
    BooleanChunked::from_slice("mask".into(), values)
}

/// "`a`, `b`, `c`": the columns of a frame, for messages that list what exists.
pub fn column_list(df: &DataFrame) -> String {
    df.get_column_names()
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Number of distinct non-missing values of an id column. Integer ids spanning fewer than
/// 2^27 values are counted in one pass over a bitmap (16 MiB at most; 10M invoice lines:
/// ~0.2 s by hashing, a few hundredths this way); other ids by polars' hashing.
pub fn distinct_ids(c: &Column) -> Result<usize> {
    if c.dtype().is_integer() {
        let ids = c.cast(&DataType::Int64)?;
        let ids = ids.i64()?;
        let (Some(lo), Some(hi)) = (ids.min(), ids.max()) else {
            return Ok(0); // every id missing
        };
        if let Some(span) = hi.checked_sub(lo).filter(|s| *s < 1 << 27) {
            let mut seen = vec![0u64; (span as usize >> 6) + 1];
            for v in ids.iter().flatten() {
                let o = (v - lo) as usize;
                seen[o >> 6] |= 1 << (o & 63);
            }
            return Ok(seen.iter().map(|w| w.count_ones() as usize).sum());
        }
    }
    Ok(c.drop_nulls().n_unique()?)
}

/// 541909 → "541,909".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A figure as a person writes it: 12345.678 → "12,346", 7.7184 → "7.72", none → "–".
pub fn figure(v: Option<f64>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "–".into();
    };
    if v.abs() < 100.0 {
        let s = format!("{v:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return if s == "-0" { "0".into() } else { s.to_string() };
    }
    let whole = thousands(v.abs().round() as usize);
    if v < 0.0 {
        format!("-{whole}")
    } else {
        whole
    }
}

/// A column of `values` with NaN and infinities written as missing.
pub fn finite_or_null(name: &str, values: &[f64]) -> Column {
    let v: Vec<Option<f64>> = values.iter().map(|x| x.is_finite().then_some(*x)).collect();
    Column::new(name.into(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_a_person_writes_them() {
        assert_eq!(figure(Some(12_345.678)), "12,346");
        assert_eq!(figure(Some(-1_234_567.0)), "-1,234,567");
        assert_eq!(figure(Some(7.7184)), "7.72");
        assert_eq!(figure(Some(3.0)), "3");
        assert_eq!(figure(Some(-0.001)), "0");
        assert_eq!(figure(None), "–");
        assert_eq!(figure(Some(f64::NAN)), "–");
    }

    #[test]
    fn distinct_ids_counts_as_polars_does() {
        let small = Column::new(
            "id".into(),
            [Some(5i64), None, Some(5), Some(-3), Some(64), Some(0)],
        );
        assert_eq!(distinct_ids(&small).unwrap(), 4);
        let cases = [
            small,
            // A span too wide for the bitmap.
            Column::new(
                "id".into(),
                [Some(i64::MIN), Some(i64::MAX), Some(0), Some(0)],
            ),
            Column::new("id".into(), [None::<i64>, None]),
            Column::new("id".into(), ["a", "b", "a"]),
            Column::new("id".into(), (0..200u32).map(|i| i % 70).collect::<Vec<_>>()),
        ];
        for c in cases {
            let want = c.drop_nulls().n_unique().unwrap();
            assert_eq!(distinct_ids(&c).unwrap(), want, "{c:?}");
        }
    }
}
