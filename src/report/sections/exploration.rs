//! Exploration: a histogram per numeric feature (before and after cleaning), bars per
//! categorical column, the correlation heatmap, and scatter plots of the model features.

use rayon::prelude::*;

use super::super::charts::{later, Bars, Heatmap, Histogram, Scatter, SMALL, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::{segment_names, slug, Html};
use super::super::keys::KeyFigures;
use super::super::{eda, ReportInput, Sample, MAX_HISTOGRAMS, MAX_PAIR_COLUMNS};
use crate::error::Result;
use crate::frame::{f64_opts, is_categorical, is_numeric, str_opts};
use crate::stages::profile::units::Readable;

/// The section's charts.
pub struct Exploration {
    hist: Vec<String>,
    bars: Vec<String>,
    wide: Vec<String>,
    pairs: Vec<String>,
}

pub fn charts(
    input: &ReportInput,
    kf: &KeyFigures,
    s: &Sample,
    figs: &mut Figures,
) -> Result<Exploration> {
    let hist_cols = histogram_columns(input, &kf.readable)?;
    let hist = histograms(input, &hist_cols, &kf.readable, figs);
    let bars = category_bars(input, figs)?;
    let names: Vec<String> = hist_cols
        .iter()
        .enumerate()
        .map(|(j, c)| kf.readable.get(j).map_or(c.0.clone(), |r| r.name.clone()))
        .collect();
    let wide = correlation_heatmap(&hist_cols, names, figs);
    // `hist_cols` starts with the model columns, in order: read once for the whole page.
    let model_values: Vec<&Vec<Option<f64>>> = hist_cols[..input.model_columns.len()]
        .iter()
        .map(|(_, v)| v)
        .collect();
    let pairs = pair_plots(input, &kf.readable, &model_values, s, figs);
    Ok(Exploration {
        hist,
        bars,
        wide,
        pairs,
    })
}

/// A histogram per numeric column, before cleaning (grey) and after (blue); a log model
/// column on its log scale with ticks in the data's units.
fn histograms(
    input: &ReportInput,
    hist_cols: &[(String, Vec<Option<f64>>)],
    readable: &[Readable],
    figs: &mut Figures,
) -> Vec<String> {
    let mut eda_hist = Vec::new();
    for (j, (c, values)) in hist_cols.iter().enumerate() {
        let shown = readable.get(j).filter(|r| r.is_transform());
        let before = input
            .before
            .and_then(|b| b.numeric.iter().find(|(name, _)| name == c))
            .map(|(_, v)| v.as_slice());
        let name = figs.unique(&format!("hist_{}", shown.map_or(slug(c), chart_slug)));
        let after: Vec<f64> = values.iter().flatten().copied().collect();
        let title = shown.map_or(c.clone(), |r| r.axis());
        let mut hist = Histogram::new(&title, before, &after, 30);
        hist.back = shown.and_then(|r| r.back_fn());
        let chart = later(&name, SMALL, hist);
        let c = &title;
        figs.add(
            chart,
            if input.before.is_some() {
                format!("{c}: before cleaning (grey) and after (blue)")
            } else {
                format!("{c}: distribution over customers")
            },
        );
        eda_hist.push(name);
    }
    eda_hist
}

/// Bars of each categorical column's most frequent levels.
fn category_bars(input: &ReportInput, figs: &mut Figures) -> Result<Vec<String>> {
    let mut eda_bars = Vec::new();
    let categoricals: Vec<(String, Vec<(String, usize)>)> = match input.before {
        Some(b) => b.categorical.clone(),
        None => input
            .features
            .columns()
            .iter()
            .filter(|c| c.name().as_str() != input.id && is_categorical(c.dtype()))
            .map(|c| {
                let name = c.name().to_string();
                Ok((
                    name.clone(),
                    eda::level_counts(&str_opts(input.features, &name)?),
                ))
            })
            .collect::<Result<_>>()?,
    };
    for (c, levels) in &categoricals {
        let name = figs.unique(&format!("bars_{}", slug(c)));
        let chart = later(
            &name,
            SMALL,
            Bars {
                title: c.clone(),
                bars: levels.iter().map(|(l, k)| (l.clone(), *k as f64)).collect(),
                by_segment: false,
            },
        );
        figs.add(chart, format!("{c}: customers per level"));
        eda_bars.push(name);
    }
    Ok(eda_bars)
}

/// The Pearson correlation heatmap of the numeric columns.
fn correlation_heatmap(
    hist_cols: &[(String, Vec<Option<f64>>)],
    names: Vec<String>,
    figs: &mut Figures,
) -> Vec<String> {
    let mut eda_wide = Vec::new();
    if hist_cols.len() >= 2 {
        // Symmetric: each pair once, in parallel.
        let m = hist_cols.len();
        let pairs: Vec<(usize, usize)> = (0..m).flat_map(|a| (a..m).map(move |b| (a, b))).collect();
        let r: Vec<f64> = pairs
            .par_iter()
            .map(|&(a, b)| {
                if a == b {
                    1.0
                } else {
                    crate::metrics::correlation(&hist_cols[a].1, &hist_cols[b].1)
                }
            })
            .collect();
        let mut values = vec![vec![f64::NAN; m]; m];
        for (&(a, b), v) in pairs.iter().zip(r) {
            values[a][b] = v;
            values[b][a] = v;
        }
        let chart = later(
            "correlation",
            (WIDE.0, WIDE.1.max(90 + 34 * names.len() as u32)),
            Heatmap {
                title: "Correlation between numeric features (Pearson)".into(),
                rows: names.clone(),
                cols: names,
                values,
                range: 1.0,
                labels: None,
            },
        );
        figs.add(
            chart,
            "Correlation matrix of the features after cleaning".into(),
        );
        eda_wide.push("correlation".to_string());
    }
    eda_wide
}

/// A chart name for a column as read: `monetary_log` for `log1p_monetary`.
fn chart_slug(r: &Readable) -> String {
    if r.is_transform() {
        format!("{}_log", slug(&r.name))
    } else {
        slug(&r.name)
    }
}

/// Scatter plots of the first model columns in pairs, coloured by segment.
fn pair_plots(
    input: &ReportInput,
    readable: &[Readable],
    model_values: &[&Vec<Option<f64>>],
    s: &Sample,
    figs: &mut Figures,
) -> Vec<String> {
    let (sample, sample_note) = (&s.rows, &s.note);
    let pair_cols: Vec<&Readable> = readable.iter().take(MAX_PAIR_COLUMNS).collect();
    let pair_values = &model_values[..pair_cols.len()];
    let mut pairs = Vec::new();
    for a in 0..pair_cols.len() {
        for b in a + 1..pair_cols.len() {
            let points = sample
                .iter()
                .filter_map(|&i| {
                    Some((
                        pair_values[a][i]?,
                        pair_values[b][i]?,
                        input.chosen.labels[i],
                    ))
                })
                .collect();
            let name = figs.unique(&format!(
                "pair_{}__{}",
                chart_slug(pair_cols[a]),
                chart_slug(pair_cols[b])
            ));
            let (x, y) = (pair_cols[a], pair_cols[b]);
            let chart = later(
                &name,
                WIDE,
                Scatter {
                    title: format!("{} × {} by segment{sample_note}", x.name, y.name),
                    x_label: x.axis(),
                    y_label: y.axis(),
                    points,
                    centres: vec![],
                    names: segment_names(input.segments),
                    x_back: x.back_fn(),
                    y_back: y.back_fn(),
                },
            );
            figs.add(
                chart,
                format!(
                    "Customers on {} and {}, coloured by segment",
                    x.name, y.name
                ),
            );
            pairs.push(name);
        }
    }
    pairs
}

pub fn html(h: &mut Html, e: &Exploration, figs: &Drawn) {
    h.markup("<h2 id=\"exploration\">Exploration</h2>");
    figs.html(h, &e.hist, true);
    figs.html(h, &e.bars, true);
    figs.html(h, &e.wide, false);
    figs.html(h, &e.pairs, false);
}

/// Numeric columns of the features table worth a histogram: every model column first (the
/// rest of the page relies on that), then the
/// others that take more than two values (indicator columns are shown as categoricals).
fn histogram_columns(
    input: &ReportInput,
    readable: &[Readable],
) -> Result<Vec<(String, Vec<Option<f64>>)>> {
    let mut out = Vec::new();
    // A column the model takes the log of is shown once, on the log scale.
    let logged = |name: &str| readable.iter().any(|r| r.is_transform() && r.name == name);
    for c in input.model_columns {
        out.push((c.clone(), f64_opts(input.features, c)?));
    }
    for c in input.features.columns() {
        let name = c.name().to_string();
        if out.len() >= MAX_HISTOGRAMS {
            break;
        }
        if name == input.id
            || !is_numeric(c.dtype())
            || input.model_columns.contains(&name)
            || logged(&name)
        {
            continue;
        }
        if c.as_materialized_series().n_unique()? <= 2 {
            continue;
        }
        out.push((name.clone(), f64_opts(input.features, &name)?));
    }
    Ok(out)
}
