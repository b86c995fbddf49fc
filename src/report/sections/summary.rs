//! Summary, the page's first section: one row per segment (customers, share of customers,
//! share of value where the table has a value column, key figures as medians in the units
//! of the data, the first recommended action) and a few findings in words, all computed from
//! the run.

use super::super::html::Html;
use super::super::keys::KeyFigures;
use super::super::ReportInput;
use crate::cluster::NOISE;
use crate::frame::figure;

/// Key figures shown per segment at most.
const KEY_FIGURES: usize = 3;

/// One segment's row of the summary table.
pub struct Row {
    pub id: i64,
    /// The segment's own CSV, relative to the report.
    pub file: String,
    pub name: String,
    pub customers: usize,
    pub share: f64,
    /// Share of the value column's total, when there is one.
    pub value_share: Option<f64>,
    /// Medians of the key columns, in `Summary::keys` order.
    pub medians: Vec<Option<f64>>,
    pub action: String,
}

pub struct Summary {
    /// The value column (`monetary`, else a column named like "spend"), if any.
    pub value: Option<String>,
    /// Columns whose medians are shown, in the units of the data.
    pub keys: Vec<String>,
    pub rows: Vec<Row>,
    /// Medians over all customers, in `keys` order.
    pub overall: Vec<Option<f64>>,
    pub noise: usize,
    /// The algorithm that left customers as noise.
    pub noise_by: &'static str,
}

/// The summary of a run.
pub fn summary(input: &ReportInput, kf: &KeyFigures) -> Summary {
    let keys = &kf.keys[..kf.keys.len().min(KEY_FIGURES)];
    let value_of: Option<&Vec<f64>> = kf.value.as_ref().map(|_| &kf.keys[0].values);
    let finite_sum = |it: &mut dyn Iterator<Item = f64>| it.filter(|x| x.is_finite()).sum::<f64>();
    let total_value: f64 = value_of.map_or(0.0, |v| finite_sum(&mut v.iter().copied()));
    let n = input.chosen.labels.len().max(1);
    let rows = input
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.id != NOISE)
        .map(|(r, s)| {
            let mine = &kf.members[r];
            Row {
                id: s.id,
                file: crate::stages::profile::export_file(s),
                name: s.name.clone(),
                customers: mine.len(),
                share: mine.len() as f64 / n as f64,
                value_share: value_of
                    .filter(|_| total_value > 0.0)
                    .map(|v| finite_sum(&mut mine.iter().map(|&i| v[i])) / total_value),
                medians: keys.iter().map(|k| k.per_segment[r].median).collect(),
                action: s
                    .actions
                    .first()
                    .map(|a| a.action.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Summary {
        overall: keys.iter().map(|k| k.overall.median).collect(),
        noise: input.chosen.labels.iter().filter(|&&l| l == NOISE).count(),
        noise_by: match input.chosen.algorithm() {
            crate::cluster::Algorithm::Hdbscan => "HDBSCAN",
            _ => "DBSCAN",
        },
        value: kf.value.clone(),
        keys: keys.iter().map(|k| k.name.clone()).collect(),
        rows,
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The findings: who brings the value, the largest segment, the most lapsed, and for each
/// other key figure the segment furthest above everyone.
pub fn findings(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let mut said = None;
    if let (Some(value), Some(top)) = (
        &s.value,
        s.rows
            .iter()
            .filter(|r| r.value_share.is_some())
            .max_by(|a, b| {
                a.value_share
                    .partial_cmp(&b.value_share)
                    .unwrap_or(std::cmp::Ordering::Equal)
            }),
    ) {
        out.push(format!(
            "{} ({} of customers) bring {} of all {value}; their median {value} is {} (all customers: {}).",
            top.name,
            percent(top.share),
            percent(top.value_share.unwrap_or(0.0)),
            figure(top.medians[0]),
            figure(s.overall[0])
        ));
        said = Some(top.id);
    }
    // The largest segment, unless the first finding was already about it.
    let largest = s.rows.iter().max_by_key(|r| (r.customers, -r.id));
    if let Some(big) = largest.filter(|b| said != Some(b.id)) {
        out.push(format!(
            "The largest segment, {}, holds {} of customers{}.",
            big.name,
            percent(big.share),
            big.value_share
                .map(|v| format!(
                    " and {} of {}",
                    percent(v),
                    s.value.as_deref().unwrap_or("value")
                ))
                .unwrap_or_default()
        ));
    }
    for (j, key) in s.keys.iter().enumerate() {
        if s.value.as_ref() == Some(key) {
            continue;
        }
        let best = s
            .rows
            .iter()
            .filter_map(|r| r.medians[j].map(|m| (r, m)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((r, m)) = best {
            let what = if key == "recency" {
                format!("last bought a median {} days ago", figure(Some(m)))
            } else {
                format!("have the highest median {key}: {}", figure(Some(m)))
            };
            out.push(format!(
                "{} {what} (all customers: {}).",
                r.name,
                figure(s.overall[j])
            ));
        }
    }
    if s.noise > 0 {
        let n = s.noise + s.rows.iter().map(|r| r.customers).sum::<usize>();
        out.push(format!(
            "{} customers ({}) fit no segment: {} left them as noise, to review one by one.",
            s.noise,
            percent(s.noise as f64 / n as f64),
            s.noise_by
        ));
    }
    out
}

/// With predictions: the segment that holds most of the expected value (against its past
/// share), and the valuable customers at risk.
pub fn predicted_findings(input: &ReportInput) -> Vec<String> {
    let valued: Vec<_> = input
        .segments
        .iter()
        .filter_map(|s| s.value.as_ref().map(|v| (s, v)))
        .collect();
    let mut out = Vec::new();
    let top = valued
        .iter()
        .filter_map(|(s, v)| v.predicted_share.map(|p| (s, v, p)))
        .max_by(|a, b| a.2.total_cmp(&b.2));
    if let (Some((s, v, p)), Some(state)) = (top, input.predict) {
        out.push(format!(
            "{}: {} of last period's value, {} of the next {} days' expected value.",
            s.name,
            percent(v.past_share),
            percent(p),
            state.horizon_days
        ));
    }
    let at_risk: usize = valued.iter().map(|(_, v)| v.at_risk).sum();
    if let Some((s, v)) = valued
        .iter()
        .max_by_key(|(_, v)| v.at_risk)
        .filter(|_| at_risk > 0)
    {
        out.push(format!(
            "{at_risk} customers with above-median past value are likely gone (P(alive) below ½); {} of them in {}.",
            v.at_risk, s.name
        ));
    }
    out
}

pub fn html(h: &mut Html, input: &ReportInput, kf: &KeyFigures) {
    let s = summary(input, kf);
    h.markup("<h2 id=\"summary\">Summary</h2><ul class=\"findings\">");
    for f in findings(&s).into_iter().chain(predicted_findings(input)) {
        h.markup("<li>").text(f).markup("</li>");
    }
    h.markup("</ul><table id=\"summary-table\" class=\"sortable\"><tr><th>segment</th><th>customers</th><th>share of customers</th>");
    if let Some(v) = &s.value {
        h.markup("<th>share of ").text(v).markup("</th>");
    }
    for k in &s.keys {
        h.markup("<th>median ").text(k).markup("</th>");
    }
    h.markup("<th>first action</th><th>customer list</th></tr>");
    for r in &s.rows {
        h.markup("<tr><td>")
            .text(&r.name)
            .markup("</td><td>")
            .text(crate::frame::thousands(r.customers));
        h.markup("</td><td>").text(percent(r.share));
        if s.value.is_some() {
            h.markup("</td><td class=\"value-share\">")
                .text(r.value_share.map_or("–".into(), percent));
        }
        for m in &r.medians {
            h.markup("</td><td>").text(figure(*m));
        }
        h.markup("</td><td class=\"text\">").text(&r.action);
        h.markup("</td><td><a href=\"")
            .text(&r.file)
            .markup("\">CSV</a></td></tr>");
    }
    h.markup("</table><p>All customers with their segment: <a href=\"segments.csv\">segments.csv</a>.</p>");
}
