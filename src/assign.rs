//! `segflow assign`: places new customers in the segments of a finished run, applying the
//! run's fitted cleaning, features and scaling from `model.json`.
//!
//! K-means: the nearest centroid. DBSCAN: the segment of the nearest core point within eps,
//! else noise (-1). A customer that cannot be scored (a missing value with nothing to impute
//! it from, an unknown category, an outlier the run would have dropped) gets a `reason` and
//! no segment; the others are still scored.

use std::path::Path;

use polars::prelude::*;

use crate::cluster::kmeans::nearest;
use crate::config::{infer_format, InputPlan};
use crate::data_err;
use crate::error::Result;
use crate::frame::{f64_opts, str_opts};
use crate::matrix::sq_dist;
use crate::model::ModelFile;
use crate::stages::features::parse_expression;
use crate::stages::ingest;

/// Scores the customers in `input`; returns id, `segment`, `segment_name` and `reason`.
pub fn assign(model: &ModelFile, input: &Path) -> Result<DataFrame> {
    let plan = InputPlan {
        path: input.to_path_buf(),
        kind: crate::config::InputKind::Customers,
        format: infer_format(input),
        id: (model.id_column != ingest::ROW_ID).then(|| model.id_column.clone()),
        rename: model.rename.clone(),
    };
    let mut df = ingest::run(&plan)?;
    check_columns(model, &df, input)?;
    let n = df.height();
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); n];
    numbers_from_text(model, &mut df, &mut reasons)?;

    // Cleaning with the run's fitted values.
    for fill in &model.clean.fills {
        let Ok(col) = df.column(&fill.column) else {
            continue;
        };
        if let Some(v) = fill.value.as_f64() {
            if col.dtype().is_primitive_numeric() {
                let filled: Vec<f64> = f64_opts(&df, &fill.column)?
                    .into_iter()
                    .map(|x| x.unwrap_or(v))
                    .collect();
                df.replace(
                    &fill.column,
                    Column::new(fill.column.as_str().into(), filled),
                )?;
            }
        } else if let Some(v) = fill.value.as_str() {
            let filled: Vec<String> = str_opts(&df, &fill.column)?
                .into_iter()
                .map(|x| x.unwrap_or_else(|| v.to_string()))
                .collect();
            df.replace(
                &fill.column,
                Column::new(fill.column.as_str().into(), filled),
            )?;
        }
    }
    let clip = model.clean.outlier_action.as_deref() == Some("clip");
    for b in &model.clean.bounds {
        let values = f64_opts(&df, &b.column)?;
        if clip {
            let clipped: Vec<Option<f64>> = values
                .iter()
                .map(|v| v.map(|x| x.clamp(b.lower, b.upper)))
                .collect();
            df.replace(&b.column, Column::new(b.column.as_str().into(), clipped))?;
        } else {
            for (i, v) in values.iter().enumerate() {
                if let Some(x) = v.filter(|x| *x < b.lower || *x > b.upper) {
                    reasons[i].push(format!(
                        "outlier: {}={x} outside [{}, {}]",
                        b.column, b.lower, b.upper
                    ));
                }
            }
        }
    }

    // Features.
    for (name, sql) in &model.derive {
        df = df
            .lazy()
            .with_column(parse_expression(sql)?.alias(name.as_str()))
            .collect()
            .map_err(|e| data_err!("derived feature `{name}` = \"{sql}\" failed: {e}"))?;
    }
    for enc in &model.encodings {
        let values = str_opts(&df, &enc.column)?;
        for (i, v) in values.iter().enumerate() {
            match v {
                None => reasons[i].push(format!("missing {}", enc.column)),
                Some(v) if !enc.levels.contains(v) => reasons[i].push(format!(
                    "unknown {} level `{v}` (known: {})",
                    enc.column,
                    enc.levels.join(", ")
                )),
                _ => {}
            }
        }
        for ind in &enc.indicators {
            let level = &ind[enc.column.len() + 1..];
            let col: Vec<f64> = values
                .iter()
                .map(|v| f64::from(u8::from(v.as_deref() == Some(level))))
                .collect();
            df.with_column(Column::new(ind.as_str().into(), col))?;
        }
    }

    // Scaling and assignment.
    let sc = &model.scaler;
    let cols: Vec<Vec<Option<f64>>> = sc
        .columns
        .iter()
        .map(|c| f64_opts(&df, c))
        .collect::<Result<_>>()?;
    let chosen = model.chosen()?;
    let names: std::collections::HashMap<i64, &str> = model
        .segments
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let mut segment: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut row = vec![0.0; sc.columns.len()];
    for i in 0..n {
        for (j, c) in cols.iter().enumerate() {
            match c[i] {
                Some(v) => row[j] = (v - sc.center[j]) / sc.scale[j],
                None => reasons[i].push(format!("missing {}", sc.columns[j])),
            }
        }
        if !reasons[i].is_empty() {
            segment.push(None);
            continue;
        }
        let label = if chosen.algorithm == "dbscan" {
            let eps2 = chosen.eps.unwrap_or(0.0).powi(2);
            model
                .core_points
                .iter()
                .map(|(p, l)| (sq_dist(&row, p), *l))
                .filter(|(d, _)| *d <= eps2)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or(crate::cluster::NOISE, |(_, l)| l)
        } else {
            nearest(&chosen.centroids, &row) as i64
        };
        segment.push(Some(label));
    }
    let segment_name: Vec<Option<&str>> = segment
        .iter()
        .map(|s| {
            s.and_then(|s| names.get(&s).copied())
                .or(s.map(|_| "Noise (no segment)"))
        })
        .collect();
    let reason: Vec<Option<String>> = reasons
        .into_iter()
        .map(|r| (!r.is_empty()).then(|| r.join("; ")))
        .collect();
    let id = df.column(&model.id_column)?.clone();
    Ok(DataFrame::new(
        n,
        vec![
            id,
            Column::new("segment".into(), segment),
            Column::new("segment_name".into(), segment_name),
            Column::new("reason".into(), reason),
        ],
    )?)
}

/// A numeric column of the run that reads as text here (a stray word in one row) is parsed
/// row by row: rows that are not numbers get a reason; the rest are scored.
fn numbers_from_text(
    model: &ModelFile,
    df: &mut DataFrame,
    reasons: &mut [Vec<String>],
) -> Result<()> {
    let numeric: Vec<&String> = model
        .clean
        .fills
        .iter()
        .filter(|f| f.value.is_number())
        .map(|f| &f.column)
        .chain(model.scaler.columns.iter())
        .collect();
    for name in numeric {
        let Ok(col) = df.column(name) else { continue };
        if col.dtype() != &DataType::String {
            continue;
        }
        let text = str_opts(df, name)?;
        let parsed: Vec<Option<f64>> = text
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let t = t.as_deref()?.trim();
                if t.is_empty() {
                    return None;
                }
                let v = t.parse::<f64>().ok().filter(|v| v.is_finite());
                if v.is_none() {
                    reasons[i].push(format!("{name} is not a number: `{t}`"));
                }
                v
            })
            .collect();
        df.replace(name, Column::new(name.as_str().into(), parsed))?;
    }
    Ok(())
}

/// Every input column the model reads must exist (renamed as in the run).
fn check_columns(model: &ModelFile, df: &DataFrame, input: &Path) -> Result<()> {
    let derived: Vec<&str> = model.derive.iter().map(|(n, _)| n.as_str()).collect();
    let indicators: Vec<&str> = model
        .encodings
        .iter()
        .flat_map(|e| e.indicators.iter().map(String::as_str))
        .collect();
    let mut needed: Vec<String> = Vec::new();
    needed.extend(model.encodings.iter().map(|e| e.column.clone()));
    needed.extend(model.clean.bounds.iter().map(|b| b.column.clone()));
    for (_, sql) in &model.derive {
        for r in parse_expression(sql)?.meta().root_names() {
            needed.push(r.to_string());
        }
    }
    for c in &model.scaler.columns {
        if !derived.contains(&c.as_str()) && !indicators.contains(&c.as_str()) {
            needed.push(c.clone());
        }
    }
    for c in needed {
        if df.column(&c).is_err() && !derived.contains(&c.as_str()) {
            return Err(data_err!(
                "column `{c}`, which the model uses, is not in {} (after the run's renames). The columns are: {}",
                input.display(),
                crate::frame::column_list(df)
            ));
        }
    }
    Ok(())
}
