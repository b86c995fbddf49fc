//! `segflow assign`: places new customers in the segments of a finished run, applying the
//! run's fitted cleaning, features and scaling from `model.json`.
//!
//! K-means: the nearest centroid. DBSCAN: the segment of the nearest core point within eps,
//! else noise (-1). A customer that cannot be scored (a missing value with nothing to impute
//! it from, an unknown category, an outlier the run would have dropped) gets a `reason` and
//! no segment; the others are still scored.

use std::path::Path;

use chrono::NaiveDate;

use polars::prelude::*;
use rayon::prelude::*;

use crate::cluster::place::Placer;
use crate::config::{
    infer_format, parse_expression, Engine, InputKind, InputPlan, OutlierAction, ROW_ID,
};
use crate::data_err;
use crate::error::{Error, Result};
use crate::frame::{f64_opts, str_opts};
use crate::model::ModelFile;
use crate::stages::ingest;
use crate::transform::derive;

pub mod lines;

/// What `assign` gave: one row per customer, and for invoice lines what was read.
pub struct Scored {
    pub table: DataFrame,
    /// Lines read and kept, customers, first and last date, `as_of`, the drops.
    pub read: Option<String>,
}

/// Scores the customers in `input`: a customer table, or invoice lines (up to `as_of`) when
/// the model is an invoice-lines run's. Each row has the id, `segment`, `segment_name` (with
/// a Gaussian mixture `segment_probability`) and `reason`; invoice lines with `predict`
/// also the history and the predictions.
pub fn assign(model: &ModelFile, input: &Path, as_of: Option<NaiveDate>) -> Result<Scored> {
    if let Some(l) = &model.lines {
        return lines::assign(model, l, input, as_of);
    }
    if as_of.is_some() {
        return Err(Error::Config(
            "--as-of is for the model of an invoice-lines run; this model was fitted on a customer table".into(),
        ));
    }
    let older = older_lines_model(model);
    if older && model.predict.is_some() {
        return Err(Error::Config(OLDER.into()));
    }
    let read = ingest::run(&input_plan(model, input))
        .and_then(|df| check_columns(model, &df, input).map(|()| df));
    let df = match read {
        Err(e) if older => return Err(Error::Data(format!("{e}. If {OLDER}"))),
        other => other?,
    };
    Ok(Scored {
        table: place(model, df)?,
        read: None,
    })
}

/// What to do with a model of an invoice-lines run written before `model.json` kept the
/// line rules.
const OLDER: &str = "this model.json comes from an invoice-lines run made before segflow kept the run's line rules in it: run the pipeline again, then assign with its new model.json";

/// Whether the model may be an invoice-lines run's from before `lines` was kept: it has
/// predictions (only invoice lines have them), or its features are all RFM measures (a
/// customer table may have such columns too: then only a failed reading says so).
fn older_lines_model(model: &ModelFile) -> bool {
    let rfm = |c: &String| {
        let measure = c.strip_prefix("log1p_").unwrap_or(c);
        crate::config::RFM_COLUMNS.contains(&measure)
    };
    let columns = &model.scaler.columns;
    model.lines.is_none()
        && (model.predict.is_some() || (!columns.is_empty() && columns.iter().all(rfm)))
}

/// Places each customer of `df` (the run's input columns) in a segment.
fn place(model: &ModelFile, df: DataFrame) -> Result<DataFrame> {
    let n = df.height();
    let Prepared { df, rows, reasons } = prepare(model, df)?;
    let chosen = model.chosen()?;
    // Rows are placed independently, in parallel; DBSCAN's core points through a grid.
    let placer = Placer::new(chosen, &model.core_points, &model.core_radii);
    let placed: Vec<Option<(i64, Option<f64>)>> = rows
        .par_iter()
        .map(|row| row.as_deref().map(|row| placer.place_with_probability(row)))
        .collect();
    let segment: Vec<Option<i64>> = placed.iter().map(|p| p.map(|p| p.0)).collect();
    let names: std::collections::HashMap<i64, &str> = model
        .segments
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
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
    let mut columns = vec![
        id,
        Column::new("segment".into(), segment),
        Column::new("segment_name".into(), segment_name),
    ];
    // A mixture's customers carry the probability of their segment, as in segments.csv.
    if let crate::cluster::Fit::Gmm { .. } = &chosen.fit {
        let p: Vec<Option<f64>> = placed.iter().map(|p| p.and_then(|p| p.1)).collect();
        columns.push(Column::new("segment_probability".into(), p));
    }
    columns.push(Column::new("reason".into(), reason));
    Ok(DataFrame::new(n, columns)?)
}

/// How `assign` reads `input`: a customer table with the run's id column and renames.
pub fn input_plan(model: &ModelFile, input: &Path) -> InputPlan {
    InputPlan {
        path: input.to_path_buf(),
        kind: InputKind::Customers,
        format: infer_format(input),
        id: (model.id_column != ROW_ID).then(|| model.id_column.clone()),
        rename: model.rename.clone(),
        names: None,
        engine: Engine::Local,
        window: None,
        decimal: model.decimal,
        postgres: None,
    }
}

/// What a scoring gave: customers, those not scored, and the scored per segment
/// (`segment`, `segment_name`, `customers`, by segment).
pub struct Summary {
    pub customers: usize,
    pub not_scored: usize,
    pub per_segment: DataFrame,
}

impl Summary {
    pub fn of(scored: &DataFrame) -> Result<Summary> {
        let reason = scored.column("reason")?;
        let per_segment = scored
            .clone()
            .lazy()
            .filter(col("reason").is_null())
            .group_by([col("segment"), col("segment_name")])
            .agg([len().alias("customers")])
            .sort(["segment"], SortMultipleOptions::default())
            .collect()?;
        Ok(Summary {
            customers: scored.height(),
            not_scored: reason.len() - reason.null_count(),
            per_segment,
        })
    }
}

/// Customers in the run's model space: the table after the run's transforms, each row's
/// scaled values (`None` when it cannot be scored) and the reasons why not.
pub struct Prepared {
    pub df: DataFrame,
    pub rows: Vec<Option<Vec<f64>>>,
    pub reasons: Vec<Vec<String>>,
}

/// Applies the run's fitted transforms, in the stages' order (clean, derive, one-hot,
/// scale), with the code the stages use.
pub fn prepare(model: &ModelFile, mut df: DataFrame) -> Result<Prepared> {
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); df.height()];
    numbers_from_text(model, &mut df, &mut reasons)?;
    clean(model, &mut df, &mut reasons)?;
    for (name, sql) in &model.derive {
        df = derive::apply(df, name, sql)?;
    }
    encode(model, &mut df, &mut reasons)?;
    let rows = scaled_rows(model, &df, &mut reasons)?;
    Ok(Prepared { df, rows, reasons })
}

/// The run's fills, then its outlier bounds: clipped as the run clipped, or a reason for a
/// row the run would have dropped.
fn clean(model: &ModelFile, df: &mut DataFrame, reasons: &mut [Vec<String>]) -> Result<()> {
    for fill in &model.clean.fills {
        fill.apply(df)?;
    }
    let clip = model.clean.outlier_action == Some(OutlierAction::Clip);
    for b in &model.clean.bounds {
        let values = f64_opts(df, &b.column)?;
        if clip {
            df.replace(
                &b.column,
                Column::new(b.column.as_str().into(), b.clip(&values)),
            )?;
            continue;
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(x) = v.filter(|x| b.outside(*x)) {
                reasons[i].push(format!(
                    "outlier: {}={x} outside [{}, {}]",
                    b.column, b.lower, b.upper
                ));
            }
        }
    }
    Ok(())
}

/// The run's one-hot encodings; a missing or unknown level is a reason.
fn encode(model: &ModelFile, df: &mut DataFrame, reasons: &mut [Vec<String>]) -> Result<()> {
    for enc in &model.encodings {
        let values = str_opts(df, &enc.column)?;
        for (i, v) in values.iter().enumerate() {
            reasons[i].extend(enc.problem(v.as_deref()));
        }
        for (name, ind) in enc.indicator_columns(&values) {
            df.with_column(Column::new(name.into(), ind))?;
        }
    }
    Ok(())
}

/// Each row in the run's model space, or `None` (with a reason) when it cannot be scored.
fn scaled_rows(
    model: &ModelFile,
    df: &DataFrame,
    reasons: &mut [Vec<String>],
) -> Result<Vec<Option<Vec<f64>>>> {
    let sc = &model.scaler;
    let cols: Vec<Vec<Option<f64>>> = sc
        .columns
        .iter()
        .map(|c| f64_opts(df, c))
        .collect::<Result<_>>()?;
    let mut rows = Vec::with_capacity(df.height());
    for (i, why) in reasons.iter_mut().enumerate() {
        let mut row = vec![0.0; sc.columns.len()];
        for (j, c) in cols.iter().enumerate() {
            match c[i] {
                Some(v) => row[j] = sc.value(j, v),
                None => why.push(format!("missing {}", sc.columns[j])),
            }
        }
        rows.push(why.is_empty().then_some(row));
    }
    Ok(rows)
}

/// A numeric column of the run that reads as text here (a stray word in one row) is parsed
/// row by row: rows that are not numbers get a reason; the rest are scored.
fn numbers_from_text(
    model: &ModelFile,
    df: &mut DataFrame,
    reasons: &mut [Vec<String>],
) -> Result<()> {
    for name in model.numeric_columns() {
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
pub fn check_columns(model: &ModelFile, df: &DataFrame, input: &Path) -> Result<()> {
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
