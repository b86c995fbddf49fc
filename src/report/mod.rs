//! `report.html` and `charts/`: one self-contained page (inline SVG, no scripts, no network)
//! with the data summary, exploration, model selection, the segments with their actions and
//! rules, and the config; every chart is also written as SVG and PNG.
//!
//! The page is as reproducible as the artifacts: no timings, no dates, seeded samples.

pub mod charts;
pub mod eda;

use std::fmt::Write as _;

use polars::prelude::*;
use rayon::prelude::*;

use crate::cluster::{dbscan, Model};
use crate::config::Plan;
use crate::error::Result;
use crate::frame::{f64_opts, is_categorical, is_numeric, str_opts};
use crate::matrix::Matrix;
use crate::metrics::silhouette::{sample_indices, silhouette_samples};
use crate::metrics::{centroids_without_noise, dense_labels};
use crate::runner::StageRecord;
use crate::stages::evaluate::Score;
use crate::stages::profile::explain::Explanation;
use crate::stages::profile::Segment;
use charts::{later, Bars, Chart, Heatmap, Histogram, Line, Pending, Scatter, SilhouettePlot};
use charts::{SMALL, WIDE};

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

/// A segment on a chart axis: its id (and name), or "noise".
fn segment_label(s: &Segment, with_name: bool) -> String {
    match (s.id < 0, with_name) {
        (true, _) => "noise".into(),
        (false, true) => format!("{}: {}", s.id, s.name),
        (false, false) => s.id.to_string(),
    }
}

/// A file-name-safe version of a column name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The knee of a decreasing WCSS curve: the k farthest below the chord joining the first
/// and last points, on axes scaled to [0, 1] (the "kneedle" idea).
pub fn elbow_knee(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let (x0, y0) = points[0];
    let (x1, y1) = points[points.len() - 1];
    if x1 <= x0 || y0 <= y1 {
        return None;
    }
    points
        .iter()
        .map(|&(x, y)| {
            let t = (x - x0) / (x1 - x0);
            let chord = 1.0 - t; // the chord on the scaled axes, from (0, 1) to (1, 0)
            let scaled = (y - y1) / (y0 - y1);
            (x, chord - scaled)
        })
        .filter(|(_, gap)| *gap > 1e-12)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.total_cmp(&a.0)))
        .map(|(x, _)| x)
}

/// Collects charts in page order (drawn later, in parallel) and says where each goes.
struct Figures {
    pending: Vec<(Pending, String)>,
    names: std::collections::BTreeSet<String>,
}

impl Figures {
    fn add(&mut self, chart: Pending, caption: String) {
        self.names.insert(chart.name.clone());
        self.pending.push((chart, caption));
    }

    /// A chart name not taken yet.
    fn unique(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut i = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        name
    }

    /// Draws every chart, in parallel, keeping the page order.
    fn draw(self) -> Result<Drawn> {
        let charts = self
            .pending
            .into_par_iter()
            .map(|(p, caption)| Ok((p.draw()?, caption)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Drawn { charts })
    }
}

struct Drawn {
    charts: Vec<(Chart, String)>,
}

impl Drawn {
    fn html(&self, names: &[String], grid: bool) -> String {
        let mut h = String::new();
        if grid {
            h.push_str("<div class=\"grid\">");
        }
        for (c, caption) in &self.charts {
            if names.contains(&c.name) {
                let _ = write!(
                    h,
                    "<figure id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>",
                    c.name,
                    c.svg,
                    esc(caption)
                );
            }
        }
        if grid {
            h.push_str("</div>");
        }
        h
    }
}

/// Numeric columns of the features table worth a histogram: every model column first (the
/// rest of the page relies on that), then the
/// others that take more than two values (indicator columns are shown as categoricals).
fn histogram_columns(input: &ReportInput) -> Result<Vec<(String, Vec<Option<f64>>)>> {
    let mut out = Vec::new();
    for c in input.model_columns {
        out.push((c.clone(), f64_opts(input.features, c)?));
    }
    for c in input.features.columns() {
        let name = c.name().to_string();
        if out.len() >= MAX_HISTOGRAMS {
            break;
        }
        if name == input.id || !is_numeric(c.dtype()) || input.model_columns.contains(&name) {
            continue;
        }
        if c.as_materialized_series().n_unique()? <= 2 {
            continue;
        }
        out.push((name.clone(), f64_opts(input.features, &name)?));
    }
    Ok(out)
}

/// Pearson correlation of two columns over the rows where both have a value (two passes,
/// no copy).
fn correlation(a: &[Option<f64>], b: &[Option<f64>]) -> f64 {
    let pairs = || a.iter().zip(b).filter_map(|(x, y)| Some(((*x)?, (*y)?)));
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for (x, y) in pairs() {
        n += 1;
        sa += x;
        sb += y;
    }
    if n < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (sa / n as f64, sb / n as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs() {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return f64::NAN;
    }
    sab / (saa.sqrt() * sbb.sqrt())
}

/// The page and its chart files, as (relative path, bytes).
pub fn build(input: &ReportInput) -> Result<Vec<(String, Vec<u8>)>> {
    let p = input.plan;
    let n = input.chosen.labels.len();
    let mut figs = Figures {
        pending: Vec::new(),
        names: Default::default(),
    };
    let sample = sample_indices(n, SCATTER_SAMPLE, p.seed);
    let sample_note = if sample.len() < n {
        format!(" (seeded sample of {} of {n})", sample.len())
    } else {
        String::new()
    };

    // ---- Exploration
    let hist_cols = histogram_columns(input)?;
    let mut eda_hist = Vec::new();
    for (c, values) in &hist_cols {
        let before = input
            .before
            .and_then(|b| b.numeric.iter().find(|(name, _)| name == c))
            .map(|(_, v)| v.as_slice());
        let name = figs.unique(&format!("hist_{}", slug(c)));
        let after: Vec<f64> = values.iter().flatten().copied().collect();
        let chart = later(&name, SMALL, Histogram::new(c, before, &after, 30));
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
    let mut eda_wide = Vec::new();
    if hist_cols.len() >= 2 {
        let names: Vec<String> = hist_cols.iter().map(|c| c.0.clone()).collect();
        // Symmetric: each pair once, in parallel.
        let m = hist_cols.len();
        let pairs: Vec<(usize, usize)> = (0..m).flat_map(|a| (a..m).map(move |b| (a, b))).collect();
        let r: Vec<f64> = pairs
            .par_iter()
            .map(|&(a, b)| {
                if a == b {
                    1.0
                } else {
                    correlation(&hist_cols[a].1, &hist_cols[b].1)
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
            },
        );
        figs.add(
            chart,
            "Correlation matrix of the features after cleaning".into(),
        );
        eda_wide.push("correlation".to_string());
    }
    // `hist_cols` starts with the model columns, in order: read once for the whole page.
    let model_values: Vec<&Vec<Option<f64>>> = hist_cols[..input.model_columns.len()]
        .iter()
        .map(|(_, v)| v)
        .collect();
    let pair_cols: Vec<&String> = input.model_columns.iter().take(MAX_PAIR_COLUMNS).collect();
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
                slug(pair_cols[a]),
                slug(pair_cols[b])
            ));
            let chart = later(
                &name,
                WIDE,
                Scatter {
                    title: format!(
                        "{} × {} by segment{sample_note}",
                        pair_cols[a], pair_cols[b]
                    ),
                    x_label: pair_cols[a].clone(),
                    y_label: pair_cols[b].clone(),
                    points,
                    centres: vec![],
                },
            );
            figs.add(
                chart,
                format!(
                    "Customers on {} and {}, coloured by segment",
                    pair_cols[a], pair_cols[b]
                ),
            );
            pairs.push(name);
        }
    }

    // ---- Model selection
    let km: Vec<&Score> = input.scores.iter().filter(|s| s.k.is_some()).collect();
    let chosen_k = input.chosen.k.map(|k| k as f64);
    let mut selection = Vec::new();
    let mut knee = None;
    if km.len() > 1 {
        let pts = |f: &dyn Fn(&Score) -> Option<f64>| -> Vec<(f64, f64)> {
            km.iter()
                .filter_map(|s| Some((s.k? as f64, f(s)?)))
                .collect()
        };
        let wcss = pts(&|s| Some(s.wcss));
        knee = elbow_knee(&wcss);
        let mut elbow = Line::metric(
            "Elbow: within-cluster sum of squares",
            "WCSS",
            wcss,
            chosen_k,
        );
        elbow.knee = knee;
        for (name, chart, caption) in [
            (
                "elbow",
                elbow,
                "WCSS against k; the knee (green) and the chosen k (red)",
            ),
            (
                "silhouette",
                Line::metric(
                    "Silhouette (higher is better)",
                    "silhouette",
                    pts(&|s| s.silhouette),
                    chosen_k,
                ),
                "Mean silhouette against k",
            ),
            (
                "davies_bouldin",
                Line::metric(
                    "Davies-Bouldin (lower is better)",
                    "Davies-Bouldin",
                    pts(&|s| s.davies_bouldin),
                    chosen_k,
                ),
                "Davies-Bouldin index against k",
            ),
            (
                "calinski_harabasz",
                Line::metric(
                    "Calinski-Harabasz (higher is better)",
                    "Calinski-Harabasz",
                    pts(&|s| s.calinski_harabasz),
                    chosen_k,
                ),
                "Calinski-Harabasz index against k",
            ),
        ] {
            figs.add(later(name, WIDE, chart), caption.to_string());
            selection.push(name.to_string());
        }
    }
    // Per-cluster silhouette of the chosen model (noise left out), on the scatter sample.
    let kept: Vec<usize> = sample
        .iter()
        .copied()
        .filter(|&i| input.chosen.labels[i] >= 0)
        .collect();
    let (dense, k) = dense_labels(kept.iter().map(|&i| input.chosen.labels[i] as usize));
    if let Some(values) = silhouette_samples(&input.x.select_rows(&kept), &dense, k) {
        let mut clusters: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (j, &i) in kept.iter().enumerate() {
            clusters
                .entry(input.chosen.labels[i])
                .or_default()
                .push(values[j]);
        }
        let average = values.iter().sum::<f64>() / values.len() as f64;
        let clusters = clusters
            .into_iter()
            .map(|(s, mut v)| {
                v.sort_by(|a, b| b.total_cmp(a));
                (s, v)
            })
            .collect();
        figs.add(
            later(
                "silhouette_clusters",
                WIDE,
                SilhouettePlot {
                    title: format!("Silhouette per segment, {}{sample_note}", input.chosen.name),
                    clusters,
                    average,
                },
            ),
            "Each customer's silhouette, sorted within its segment; the dashed line is the average"
                .into(),
        );
        selection.push("silhouette_clusters".into());
    }
    if let Some(db) = input.models.iter().find(|m| m.eps.is_some()) {
        if let (Some(eps), Some(ms)) = (db.eps, db.min_samples) {
            let curve = dbscan::k_distances(input.x, ms, SCATTER_SAMPLE, p.seed);
            let points: Vec<(f64, f64)> = curve
                .iter()
                .enumerate()
                .map(|(i, &d)| (i as f64, d))
                .collect();
            let mut line = Line::metric(
                &format!("DBSCAN: distance to the {ms}-th nearest neighbour{sample_note}"),
                "distance (scaled units)",
                points,
                None,
            );
            line.x_label = "customers, sorted".into();
            line.markers = false;
            line.hline = Some((eps, format!("eps used = {eps:.4}")));
            figs.add(
                later("k_distance", WIDE, line),
                "The k-distance curve: eps should sit near its knee".into(),
            );
            selection.push("k_distance".into());
        }
    }

    // ---- Segments
    let mut seg_charts = Vec::new();
    figs.add(
        later(
            "segment_sizes",
            WIDE,
            Bars {
                title: "Customers per segment".into(),
                bars: input
                    .segments
                    .iter()
                    .map(|s| (segment_label(s, false), s.size as f64))
                    .collect(),
                by_segment: true,
            },
        ),
        "Segment sizes".into(),
    );
    seg_charts.push("segment_sizes".to_string());
    if let Some((chart, caption)) = pca_chart(input, &sample, &sample_note)? {
        figs.add(chart, caption);
        seg_charts.push("segments_pca".into());
    }
    let (zcols, zrows) = input.zscores;
    if !zcols.is_empty() && !zrows.is_empty() {
        let shown = zcols.len().min(MAX_HISTOGRAMS);
        let rows: Vec<String> = input
            .segments
            .iter()
            .map(|s| segment_label(s, true))
            .collect();
        figs.add(
            later(
                "segment_zscores",
                (
                    WIDE.0.max(160 + 70 * shown as u32),
                    WIDE.1.max(120 + 40 * rows.len() as u32),
                ),
                Heatmap {
                    title: "Segment means as z-scores (sd from all customers)".into(),
                    rows,
                    cols: zcols[..shown].to_vec(),
                    values: zrows.iter().map(|r| r[..shown].to_vec()).collect(),
                    range: 1.5,
                },
            ),
            "Each segment's mean per feature, in standard deviations from all customers".into(),
        );
        seg_charts.push("segment_zscores".into());
    }

    // ---- The page
    let figs = figs.draw()?;
    let mut h = String::new();
    let n_segments = input.segments.iter().filter(|s| s.id >= 0).count();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>segflow report: {name}</title>\
         <style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222;padding:0 1em}}\
         table{{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto;max-width:100%}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}\
         th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}\
         .card{{border:1px solid #ccc;border-radius:6px;padding:0.6em 1em;margin:1em 0}}\
         .chosen{{background:#fff4d6}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}\
         figure{{margin:0.5em 0}}figcaption{{font-size:0.85em;color:#555}}svg{{max-width:100%;height:auto}}\
         .grid{{display:grid;grid-template-columns:1fr 1fr;gap:0.5em}}.why{{color:#555;font-size:0.9em}}</style></head><body>\
         <h1>Customer segments: {name}</h1>\
         <p>segflow {ver}, input <code>{input}</code>, seed {seed}. {customers} customers in {n_segments} segments; \
         chosen model: <b>{chosen}</b> (by {metric}).</p>",
        name = esc(&p.name),
        ver = crate::runner::VERSION,
        input = esc(&p.input.path.display().to_string()),
        seed = p.seed,
        customers = n,
        chosen = esc(&input.chosen.name),
        metric = p.evaluate.choose_by.as_str(),
    );

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

    h.push_str("<h2>Exploration</h2>");
    h.push_str(&figs.html(&eda_hist, true));
    h.push_str(&figs.html(&eda_bars, true));
    h.push_str(&figs.html(&eda_wide, false));
    h.push_str(&figs.html(&pairs, false));

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
        "</table><p>Why this model: it has the best {} among the {} models{}.{}</p>",
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
        },
        match (knee, chosen_k) {
            (Some(kn), Some(c)) if kn == c =>
                format!(" The elbow of the WCSS curve is at the same k = {kn}."),
            (Some(kn), _) => format!(" The elbow of the WCSS curve is at k = {kn}."),
            _ => String::new(),
        }
    );
    h.push_str(&figs.html(&selection, false));

    h.push_str("<h2>Segments</h2>");
    h.push_str(&figs.html(&seg_charts, false));
    if let Some(ct) = input.rfm_crosstab {
        h.push_str(&crosstab_html(ct)?);
    }
    if let Some(e) = input.explanation {
        let _ = write!(
            h,
            "<p>Rules below come from a decision tree of depth {} trained to predict the segment from the \
             unscaled features {}; it puts <b>{:.1}%</b> of customers in their own segment (its fidelity).</p>",
            e.depth,
            input.model_columns.iter().map(|c| format!("<code>{}</code>", esc(c))).collect::<Vec<_>>().join(", "),
            e.fidelity * 100.0
        );
    }
    let values = &model_values;
    let overall: Vec<Option<f64>> = values
        .iter()
        .map(|v| v.iter().copied().collect::<Float64Chunked>().mean())
        .collect();
    let mut members_of: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, &l) in input.chosen.labels.iter().enumerate() {
        members_of.entry(l).or_default().push(i);
    }
    for s in input.segments {
        let _ = write!(
            h,
            "<div class=\"card\" id=\"segment-{}\"><h3>Segment {}: {}</h3><p>{} customers ({:.1}%). Traits: {}.</p>",
            s.id,
            s.id,
            esc(&s.name),
            s.size,
            s.share * 100.0,
            if s.traits.is_empty() { "none".to_string() } else { esc(&s.traits.join(", ")) }
        );
        if !s.actions.is_empty() {
            h.push_str("<p><b>Recommended actions</b></p><ul>");
            for a in &s.actions {
                let _ = write!(
                    h,
                    "<li>{} <span class=\"why\">(because: {})</span></li>",
                    esc(&a.action),
                    esc(&a.because)
                );
            }
            h.push_str("</ul>");
        }
        if let Some(e) = input.explanation {
            let mut leaves: Vec<_> = e
                .leaves
                .iter()
                .filter(|l| l.segment == s.id && l.correct > 0)
                .collect();
            leaves.sort_by_key(|l| std::cmp::Reverse(l.correct));
            if !leaves.is_empty() {
                h.push_str("<p><b>Rules</b></p><ul>");
                for l in leaves {
                    let _ = write!(
                        h,
                        "<li><code>{}</code> <span class=\"why\">({} of this segment's {} customers; {:.0}% of the {} customers it matches are in this segment)</span></li>",
                        esc(&l.conditions),
                        l.correct,
                        s.size,
                        100.0 * l.correct as f64 / l.customers.max(1) as f64,
                        l.customers
                    );
                }
                h.push_str("</ul>");
            }
        }
        h.push_str("<table><tr><th>feature</th><th>segment mean</th><th>all customers</th></tr>");
        let members = members_of.get(&s.id).map(Vec::as_slice).unwrap_or(&[]);
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

    h.push_str("<h2>Appendix</h2><h3>Recommendation rules</h3><table><tr><th>when</th><th>action</th></tr>");
    for r in &p.profile.rules {
        let _ = write!(
            h,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&r
                .when
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(" and ")),
            esc(&r.action)
        );
    }
    h.push_str(
        "</table><p class=\"why\">A rule fires when all its traits hold. <code>high X</code> / <code>low X</code>: the segment's \
         mean of a feature whose name contains X is at least 0.5 sd above / below all customers'. \
         Replace the table with <code>profile.recommendations</code> in the pipeline file.</p>",
    );
    h.push_str("<h3>Artifacts</h3><table><tr><th>stage</th><th>artifact</th><th>sha256</th></tr>");
    for s in input.stages {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&s.stage),
            esc(&s.artifact),
            esc(&s.sha256)
        );
    }
    let _ = write!(
        h,
        "</table><p>The profile stage's files, this report included, are listed with their hashes in \
         <code>manifest.json</code>.</p><h3>Pipeline</h3><pre>{}</pre><p>Charts are also in <code>charts/</code> as SVG and PNG.</p></body></html>",
        esc(&p.source.text)
    );

    let mut files = vec![("report.html".to_string(), h.into_bytes())];
    for (c, _) in figs.charts {
        files.push((format!("charts/{}.svg", c.name), c.svg.into_bytes()));
        files.push((format!("charts/{}.png", c.name), c.png));
    }
    Ok(files)
}

/// The segment × RFM segment crosstab as a table (rows: segments, columns: RFM segments).
fn crosstab_html(ct: &DataFrame) -> Result<String> {
    let segs: Vec<i64> = ct.column("segment")?.i64()?.iter().flatten().collect();
    let rfm = str_opts(ct, "rfm_segment")?;
    let counts: Vec<u32> = ct
        .column("customers")?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let mut rows: Vec<i64> = segs.clone();
    rows.sort_unstable();
    rows.dedup();
    let mut cols: Vec<String> = rfm.iter().map(|r| r.clone().unwrap_or_default()).collect();
    cols.sort();
    cols.dedup();
    let mut h =
        String::from("<p>Customers per segment and RFM segment:</p><table><tr><th>segment</th>");
    for c in &cols {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for r in &rows {
        let _ = write!(
            h,
            "<tr><td>{}</td>",
            if *r < 0 {
                "noise".into()
            } else {
                r.to_string()
            }
        );
        for c in &cols {
            let v: u32 = (0..segs.len())
                .filter(|&i| segs[i] == *r && rfm[i].as_deref().unwrap_or("") == c)
                .map(|i| counts[i])
                .sum();
            let _ = write!(h, "<td>{v}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    Ok(h)
}

/// The customers projected on the first two principal components (smartcore's PCA, fitted
/// on the scaled model matrix), coloured by segment, with the segment centres.
fn pca_chart(
    input: &ReportInput,
    sample: &[usize],
    note: &str,
) -> Result<Option<(Pending, String)>> {
    use smartcore::decomposition::pca::{PCAParameters, PCA};
    use smartcore::linalg::basic::arrays::Array;
    use smartcore::linalg::basic::matrix::DenseMatrix;
    let x = input.x;
    if x.d < 2 || x.n < 3 {
        return Ok(None);
    }
    let fail = |e: &dyn std::fmt::Display| crate::error::Error::Internal(format!("PCA: {e}"));
    let to_dense = |m: &Matrix| {
        let rows: Vec<Vec<f64>> = (0..m.n).map(|i| m.row(i).to_vec()).collect();
        DenseMatrix::from_2d_vec(&rows).map_err(|e| fail(&e))
    };
    let fit_rows = sample_indices(x.n, PCA_SAMPLE, input.plan.seed);
    let pca = PCA::fit(
        &to_dense(&x.select_rows(&fit_rows))?,
        PCAParameters::default().with_n_components(2),
    )
    .map_err(|e| fail(&e))?;
    let shown = x.select_rows(sample);
    let proj = pca.transform(&to_dense(&shown)?).map_err(|e| fail(&e))?;
    let points: Vec<(f64, f64, i64)> = (0..shown.n)
        .map(|j| {
            (
                *proj.get((j, 0)),
                *proj.get((j, 1)),
                input.chosen.labels[sample[j]],
            )
        })
        .collect();
    // Centres: of the clusters (noise excluded), from all customers.
    let kept: Vec<usize> = (0..x.n).filter(|&i| input.chosen.labels[i] >= 0).collect();
    let (dense, k) = dense_labels(kept.iter().map(|&i| input.chosen.labels[i] as usize));
    let mut ids = vec![0i64; k];
    for (j, &i) in kept.iter().enumerate() {
        ids[dense[j]] = input.chosen.labels[i];
    }
    let kmax = ids.iter().max().map_or(0, |&m| m as usize + 1);
    let (_, by_label) = centroids_without_noise(x, &input.chosen.labels, kmax);
    let cs: Vec<Vec<f64>> = ids.iter().map(|&l| by_label[l as usize].clone()).collect();
    let centres = if cs.is_empty() {
        vec![]
    } else {
        let c = Matrix::new(cs.len(), x.d, cs.concat());
        let cp = pca.transform(&to_dense(&c)?).map_err(|e| fail(&e))?;
        (0..c.n)
            .map(|j| (*cp.get((j, 0)), *cp.get((j, 1)), ids[j]))
            .collect()
    };
    // Share of the (scaled) variance each component carries, from the projected sample.
    let var = |v: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = v.collect();
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|a| (a - m) * (a - m)).sum::<f64>()
    };
    let total: f64 = (0..x.d)
        .map(|j| var(&mut (0..shown.n).map(|i| shown.row(i)[j])))
        .sum();
    let share = |c: usize| {
        if total > 0.0 {
            100.0 * var(&mut points.iter().map(|p| if c == 0 { p.0 } else { p.1 })) / total
        } else {
            0.0
        }
    };
    let chart = later(
        "segments_pca",
        WIDE,
        Scatter {
            title: format!("Segments on the first two principal components{note}"),
            x_label: format!("PC1 ({:.0}% of variance)", share(0)),
            y_label: format!("PC2 ({:.0}% of variance)", share(1)),
            points,
            centres,
        },
    );
    Ok(Some((
        chart,
        "PCA of the scaled model features; crosses mark the segment centres".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_of_an_elbow() {
        let pts: Vec<(f64, f64)> = [
            (2.0, 100.0),
            (3.0, 60.0),
            (4.0, 30.0),
            (5.0, 25.0),
            (6.0, 22.0),
            (7.0, 20.0),
        ]
        .to_vec();
        assert_eq!(elbow_knee(&pts), Some(4.0));
        assert_eq!(elbow_knee(&pts[..2]), None);
        // A straight line has no knee.
        assert_eq!(elbow_knee(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]), None);
    }

    #[test]
    fn pearson_correlation() {
        let a: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0].iter().map(|v| Some(*v)).collect();
        let b: Vec<Option<f64>> = [2.0, 4.0, 6.0, 8.0].iter().map(|v| Some(*v)).collect();
        let c: Vec<Option<f64>> = [4.0, 3.0, 2.0, 1.0].iter().map(|v| Some(*v)).collect();
        assert!((correlation(&a, &b) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &c) + 1.0).abs() < 1e-12);
        // Missing values are skipped pairwise.
        let d = vec![Some(1.0), None, Some(3.0), Some(4.0)];
        assert!((correlation(&a, &d) - 1.0).abs() < 1e-12);
    }
}
