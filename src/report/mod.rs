//! `report.html` and `charts/`: one self-contained page (inline SVG, no network) with the data
//! summary, model selection, segment cards and the config, plus every chart as SVG and PNG.

pub mod charts;

use std::fmt::Write as _;

use polars::prelude::*;

use crate::cluster::Model;
use crate::config::Plan;
use crate::error::Result;
use crate::frame::f64_opts;
use crate::metrics::silhouette::sample_indices;
use crate::runner::StageRecord;
use crate::stages::{evaluate::Score, profile::Segment};
use charts::{render, Bars, Chart, Line, Scatter};

/// Points drawn in a scatter plot at most; the caption says when it is a sample.
pub const SCATTER_SAMPLE: usize = 5_000;

pub struct ReportInput<'a> {
    pub plan: &'a Plan,
    pub stages: &'a [StageRecord],
    /// Missing values per input column.
    pub missing: &'a [(String, usize)],
    /// Dropped rows per reason.
    pub dropped: &'a [(String, usize)],
    pub scores: &'a [Score],
    pub chosen: &'a Model,
    pub features: &'a DataFrame,
    pub model_columns: &'a [String],
    pub segments: &'a [Segment],
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.4}"))
}

/// The report page and its chart files, as (relative path, bytes).
pub fn build(input: &ReportInput) -> Result<Vec<(String, Vec<u8>)>> {
    let mut charts: Vec<Chart> = Vec::new();
    let km: Vec<&Score> = input.scores.iter().filter(|s| s.k.is_some()).collect();
    let chosen_k = input.chosen.k.map(|k| k as f64);
    if km.len() > 1 {
        let pts = |f: &dyn Fn(&Score) -> Option<f64>| -> Vec<(f64, f64)> {
            km.iter()
                .filter_map(|s| Some((s.k? as f64, f(s)?)))
                .collect()
        };
        charts.push(render(
            "elbow",
            &Line {
                title: "Elbow: within-cluster sum of squares".into(),
                y_label: "WCSS".into(),
                points: pts(&|s| Some(s.wcss)),
                chosen: chosen_k,
            },
        )?);
        charts.push(render(
            "silhouette",
            &Line {
                title: "Silhouette (higher is better)".into(),
                y_label: "silhouette".into(),
                points: pts(&|s| s.silhouette),
                chosen: chosen_k,
            },
        )?);
        charts.push(render(
            "davies_bouldin",
            &Line {
                title: "Davies-Bouldin (lower is better)".into(),
                y_label: "Davies-Bouldin".into(),
                points: pts(&|s| s.davies_bouldin),
                chosen: chosen_k,
            },
        )?);
        charts.push(render(
            "calinski_harabasz",
            &Line {
                title: "Calinski-Harabasz (higher is better)".into(),
                y_label: "Calinski-Harabasz".into(),
                points: pts(&|s| s.calinski_harabasz),
                chosen: chosen_k,
            },
        )?);
    }
    charts.push(render(
        "segment_sizes",
        &Bars {
            title: "Customers per segment".into(),
            bars: input
                .segments
                .iter()
                .map(|s| (format!("{}", s.id), s.size as f64))
                .collect(),
        },
    )?);
    let mut scatter_note = String::new();
    if input.model_columns.len() >= 2 {
        let (a, b) = (&input.model_columns[0], &input.model_columns[1]);
        let xa = f64_opts(input.features, a)?;
        let xb = f64_opts(input.features, b)?;
        let n = xa.len();
        let idx = sample_indices(n, SCATTER_SAMPLE, input.plan.seed);
        if idx.len() < n {
            scatter_note = format!(" (a seeded sample of {} of {n} customers)", idx.len());
        }
        let points = idx
            .iter()
            .filter_map(|&i| Some((xa[i]?, xb[i]?, input.chosen.labels[i])))
            .collect();
        charts.push(render(
            "segments_scatter",
            &Scatter {
                title: format!("Segments on {a} × {b}{scatter_note}"),
                x_label: a.clone(),
                y_label: b.clone(),
                points,
            },
        )?);
    }

    let mut h = String::new();
    let p = input.plan;
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>segflow report: {name}</title>\
         <style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}\
         th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
         .card{{border:1px solid #ccc;border-radius:6px;padding:0.6em 1em;margin:1em 0}}\
         .chosen{{background:#fff4d6}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style></head><body>\
         <h1>Customer segments: {name}</h1>\
         <p>segflow {ver}, input <code>{input}</code>, seed {seed}. Chosen model: <b>{chosen}</b> \
         ({n} segments, by {metric}).</p>",
        name = esc(&p.name),
        ver = crate::runner::VERSION,
        input = esc(&p.input.path.display().to_string()),
        seed = p.seed,
        chosen = esc(&input.chosen.name),
        n = input.segments.iter().filter(|s| s.id >= 0).count(),
        metric = p.evaluate.choose_by.as_str(),
    );

    // No timings here: the report is as reproducible as the artifacts (times are in the
    // manifest).
    h.push_str("<h2>Data</h2><table><tr><th>stage</th><th>rows in</th><th>rows out</th></tr>");
    for s in input.stages {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.stage),
            s.rows_in,
            s.rows_out
        );
    }
    h.push_str("</table>");
    if input.dropped.is_empty() {
        h.push_str("<p>No rows were dropped.</p>");
    } else {
        h.push_str("<p>Dropped rows (all kept in <code>02_clean_dropped.parquet</code> with their reason):</p><table><tr><th>reason</th><th>rows</th></tr>");
        for (r, n) in input.dropped {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(r));
        }
        h.push_str("</table>");
    }
    let gaps: Vec<&(String, usize)> = input.missing.iter().filter(|m| m.1 > 0).collect();
    if gaps.is_empty() {
        h.push_str("<p>No missing values in the input.</p>");
    } else {
        h.push_str("<p>Missing values in the input (imputed as configured):</p><table><tr><th>column</th><th>missing</th></tr>");
        for (c, n) in gaps {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(c));
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Model selection</h2><table><tr><th>model</th><th>clusters</th><th>noise</th><th>silhouette</th><th>Davies-Bouldin</th><th>Calinski-Harabasz</th><th>WCSS</th></tr>");
    for s in input.scores {
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td></tr>",
            if s.chosen { " class=\"chosen\"" } else { "" },
            esc(&s.model),
            s.clusters,
            s.noise_share * 100.0,
            num(s.silhouette),
            num(s.davies_bouldin),
            num(s.calinski_harabasz),
            s.wcss
        );
    }
    let _ = write!(
        h,
        "</table><p>Why this model: it has the best {} among the {} models{}.</p>",
        p.evaluate.choose_by.as_str(),
        match p.evaluate.choose_from {
            crate::config::ChooseFrom::KMeans => "K-means",
            crate::config::ChooseFrom::Dbscan => "DBSCAN",
            crate::config::ChooseFrom::Any => "configured",
        },
        if p.evaluate.choose_by.higher_is_better() {
            " (higher is better)"
        } else {
            " (lower is better)"
        }
    );
    for c in charts
        .iter()
        .filter(|c| c.name != "segment_sizes" && c.name != "segments_scatter")
    {
        h.push_str(&c.svg);
    }

    h.push_str("<h2>Segments</h2>");
    for c in charts
        .iter()
        .filter(|c| c.name == "segment_sizes" || c.name == "segments_scatter")
    {
        h.push_str(&c.svg);
    }
    // Each model column read once, for all the segment cards.
    let values: Vec<Vec<Option<f64>>> = input
        .model_columns
        .iter()
        .map(|c| f64_opts(input.features, c))
        .collect::<Result<_>>()?;
    let overall: Vec<Option<f64>> = values
        .iter()
        .map(|v| v.iter().copied().collect::<Float64Chunked>().mean())
        .collect();
    for s in input.segments {
        let _ = write!(
            h,
            "<div class=\"card\"><h3>Segment {}: {}</h3><p>{} customers ({:.1}%)</p><table><tr><th>feature</th><th>segment mean</th><th>all customers</th></tr>",
            s.id,
            esc(&s.name),
            s.size,
            s.share * 100.0
        );
        let members: Vec<usize> = (0..input.chosen.labels.len())
            .filter(|&i| input.chosen.labels[i] == s.id)
            .collect();
        for (j, c) in input.model_columns.iter().enumerate() {
            let mean = members
                .iter()
                .map(|&i| values[j][i])
                .collect::<Float64Chunked>()
                .mean();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(c),
                num(mean),
                num(overall[j])
            );
        }
        h.push_str("</table></div>");
    }

    let _ = write!(
        h,
        "<h2>Appendix: pipeline</h2><pre>{}</pre><p>Charts are also in <code>charts/</code> as SVG and PNG. \
         Every stage's data is in the Parquet artifacts beside this file; <code>manifest.json</code> has their hashes.</p></body></html>",
        esc(&p.source.text)
    );

    let mut files = vec![("report.html".to_string(), h.into_bytes())];
    for c in charts {
        files.push((format!("charts/{}.svg", c.name), c.svg.into_bytes()));
        files.push((format!("charts/{}.png", c.name), c.png));
    }
    Ok(files)
}
