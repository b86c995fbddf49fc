//! `report.html` and `charts/`: one self-contained page (inline SVG, nothing from the network,
//! one small inline script that sorts tables — the page reads the same without it)
//! with the data summary, exploration, model selection, the segments with their actions and
//! rules, and the config; every chart is also written as SVG and PNG.
//!
//! The page is as reproducible as the artifacts: no timings, no dates, seeded samples.

pub mod charts;
pub mod compare;
pub mod eda;
mod figures;
mod html;
pub mod keys;
mod mix;
mod sections;

use polars::prelude::*;

use crate::cluster::Model;
use crate::config::Plan;
use crate::error::Result;
use crate::manifest::StageRecord;
use crate::matrix::Matrix;
use crate::metrics::silhouette::sample_indices;
use crate::stages::evaluate::Score;
use crate::stages::profile::explain::Explanation;
use crate::stages::profile::Segment;
use figures::Figures;
use html::Html;

pub use sections::selection::elbow_knee;

/// Points drawn in a scatter plot at most; the title says when it is a sample.
pub const SCATTER_SAMPLE: usize = 5_000;
/// Numeric columns given a histogram (model columns first).
const MAX_HISTOGRAMS: usize = 12;
/// Model columns whose pairs get a scatter plot (4 columns: 6 plots).
const MAX_PAIR_COLUMNS: usize = 4;
/// Rows the PCA is fitted on at most (seeded sample).
const PCA_SAMPLE: usize = 20_000;

pub struct ReportInput<'a> {
    pub plan: &'a Plan,
    pub stages: &'a [StageRecord],
    /// Missing values per input column.
    pub missing: &'a [(String, usize)],
    /// Dropped rows per reason.
    pub dropped: &'a [(String, usize)],
    pub scores: &'a [Score],
    pub models: &'a [Model],
    pub chosen: &'a Model,
    /// The scaled model matrix the models were fitted on.
    pub x: &'a Matrix,
    /// The features table (unscaled), one row per customer, in `x`'s order.
    pub features: &'a DataFrame,
    pub id: &'a str,
    pub model_columns: &'a [String],
    pub segments: &'a [Segment],
    /// The input before cleaning (customer tables).
    pub before: Option<&'a eda::Before>,
    pub explanation: Option<&'a Explanation>,
    /// (columns, z per segment in `segments` order)
    pub zscores: &'a (Vec<String>, Vec<Vec<f64>>),
    pub rfm_crosstab: Option<&'a DataFrame>,
    /// With `cluster.reference`: the segment ids kept from the earlier run.
    pub identity: Option<&'a crate::identity::Identity>,
    /// With `predict`: the fitted models and the holdout check (the per-customer
    /// predictions are in `features`, the per-segment values in `segments`).
    pub predict: Option<&'a crate::stages::predict::PredictState>,
}

/// The rows the scatter plots, the silhouette plot and the k-distance curve show, and the
/// note their titles carry when that is a sample.
pub(crate) struct Sample {
    rows: Vec<usize>,
    note: String,
}

/// The page and its chart files, as (relative path, bytes).
pub fn build(input: &ReportInput) -> Result<Vec<(String, Vec<u8>)>> {
    let n = input.chosen.labels.len();
    let rows = sample_indices(n, SCATTER_SAMPLE, input.plan.seed);
    let note = if rows.len() < n {
        format!(" (seeded sample of {} of {n})", rows.len())
    } else {
        String::new()
    };
    let sample = Sample { rows, note };
    let kf = keys::KeyFigures::of(input)?;
    let mix = mix::CategoryMix::of(input, &kf)?;
    let mut figs = Figures::default();
    let exploration = sections::exploration::charts(input, &kf, &sample, &mut figs)?;
    let selection = sections::selection::charts(input, &sample, &mut figs);
    let value = sections::value::charts(input, &kf, &mut figs);
    let predicted = sections::predict::charts(input, &mut figs);
    let segments = sections::segments::charts(input, &kf, mix.as_ref(), &sample, &mut figs)?;
    let figs = figs.draw()?;

    let mut h = head(input, n);
    sections::summary::html(&mut h, input, &kf);
    sections::value::html(&mut h, &value, &figs);
    sections::predict::html(&mut h, input, &predicted, &figs);
    sections::data::html(&mut h, input);
    sections::exploration::html(&mut h, &exploration, &figs);
    sections::selection::html(&mut h, input, &selection, &figs);
    sections::segments::html(&mut h, input, &kf, mix.as_ref(), &segments, &figs)?;
    sections::appendix::html(&mut h, input);

    let mut files = vec![("report.html".to_string(), h.into_string().into_bytes())];
    for (c, _) in figs.charts {
        files.push((format!("charts/{}.svg", c.name), c.svg.into_bytes()));
        files.push((format!("charts/{}.png", c.name), c.png));
    }
    Ok(files)
}

/// The page's stylesheet (with its print rules), shared by the run report and the
/// comparison page.
const STYLE: &str = "\
         <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222;padding:0 1em}\
         table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
         th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
         .card{border:1px solid #ccc;border-radius:6px;padding:0.6em 1em;margin:1em 0}.stability.unstable{color:#a00}.stability.unsure{color:#850}\
         .chosen{background:#fff4d6}pre{background:#f6f6f6;padding:1em;overflow:auto}\
         figure{margin:0.5em 0}figcaption{font-size:0.85em;color:#555}svg{max-width:100%;height:auto}\
         .grid{display:grid;grid-template-columns:1fr 1fr;gap:0.5em}.why{color:#555;font-size:0.9em}td.text{text-align:left}\
         th[aria-sort=ascending]::after{content:\" \\25B2\"}th[aria-sort=descending]::after{content:\" \\25BC\"}\
         @media print{body{max-width:none;margin:0;font-size:10pt}table{display:table;page-break-inside:avoid}\
         .card,figure{break-inside:avoid;page-break-inside:avoid}h2{break-before:page}#summary,h2#value{break-before:auto}\
         .grid{grid-template-columns:1fr 1fr}a{color:inherit}}</style>";

/// The page up to its first section: style, title and the one-line summary.
fn head(input: &ReportInput, n: usize) -> Html {
    let p = input.plan;
    let mut h = Html::default();
    let n_segments = input.segments.iter().filter(|s| s.id >= 0).count();
    h.markup(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>segflow report: ",
    );
    h.text(&p.name).markup("</title>");
    h.markup(STYLE).markup(
        "</head><body>\
         <h1>Customer segments: ",
    );
    h.text(&p.name)
        .markup("</h1><p>segflow ")
        .text(crate::manifest::VERSION);
    h.markup(", input <code>")
        .text(p.input.path.display())
        .markup("</code>, seed ");
    h.text(p.seed)
        .markup(". ")
        .text(crate::frame::thousands(n))
        .markup(" customers in ")
        .text(n_segments);
    h.markup(" segments; chosen model: <b>")
        .text(&input.chosen.name)
        .markup("</b> (by ");
    h.text(p.evaluate.choose_by.as_str()).markup(").</p>");
    h
}
