//! Summary, the page's first section: one row per segment (customers, share of customers,
//! share of value where the table has a value column, key figures as medians in the units
//! of the data, the first recommended action) and a few findings in words, all computed from
//! the run.

use polars::prelude::*;

use super::super::html::Html;
use super::super::ReportInput;
use crate::cluster::NOISE;
use crate::frame::f64_opts;

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
}

/// The numeric columns of the features table, lower-cased name → name.
fn numeric_columns(df: &DataFrame) -> Vec<String> {
    df.columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .map(|c| c.name().to_string())
        .collect()
}

/// `monetary`, else the first column whose name contains "spend" (not a log of one).
fn value_column(cols: &[String]) -> Option<String> {
    let lower = |c: &String| c.to_lowercase();
    cols.iter()
        .find(|c| lower(c) == "monetary")
        .or_else(|| {
            cols.iter()
                .find(|c| lower(c).contains("spend") && !lower(c).starts_with("log"))
        })
        .cloned()
}

/// The model columns as the user knows them: `log1p_x` read as `x`, one-hot indicators and
/// the id left out; the value column first.
fn key_columns(input: &ReportInput, cols: &[String], value: Option<&String>) -> Vec<String> {
    let mut keys: Vec<String> = value.into_iter().cloned().collect();
    let one_hot = &input.plan.features.one_hot;
    for c in input.model_columns {
        let raw = ["log1p_", "log_", "ln_"]
            .iter()
            .find_map(|p| c.strip_prefix(p))
            .filter(|r| cols.iter().any(|x| x == r))
            .unwrap_or(c);
        let indicator = one_hot.iter().any(|o| raw.starts_with(&format!("{o}_")));
        let usable = cols.iter().any(|x| x == raw) && raw != input.id && !indicator;
        if usable && !keys.iter().any(|k| k == raw) {
            keys.push(raw.to_string());
        }
    }
    keys.truncate(KEY_FIGURES);
    keys
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// The summary of a run.
pub fn summary(input: &ReportInput) -> crate::error::Result<Summary> {
    let cols = numeric_columns(input.features);
    let value = value_column(&cols);
    let keys = key_columns(input, &cols, value.as_ref());
    let labels = &input.chosen.labels;
    let values: Vec<Vec<f64>> = keys
        .iter()
        .map(|k| {
            Ok(f64_opts(input.features, k)?
                .into_iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect())
        })
        .collect::<crate::error::Result<_>>()?;
    let value_of: Option<&Vec<f64>> = value.as_ref().map(|_| &values[0]);
    let total_value: f64 = value_of.map_or(0.0, |v| v.iter().filter(|x| x.is_finite()).sum());
    let n = labels.len().max(1);
    let rows = input
        .segments
        .iter()
        .filter(|s| s.id != NOISE)
        .map(|s| {
            let mine: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == s.id).collect();
            let pick = |v: &Vec<f64>| mine.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            Row {
                id: s.id,
                file: crate::stages::profile::export_file(s),
                name: s.name.clone(),
                customers: mine.len(),
                share: mine.len() as f64 / n as f64,
                value_share: value_of
                    .filter(|_| total_value > 0.0)
                    .map(|v| pick(v).iter().filter(|x| x.is_finite()).sum::<f64>() / total_value),
                medians: values.iter().map(|v| median(pick(v))).collect(),
                action: s
                    .actions
                    .first()
                    .map(|a| a.action.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Summary {
        overall: values.iter().map(|v| median(v.clone())).collect(),
        noise: labels.iter().filter(|&&l| l == NOISE).count(),
        value,
        keys,
        rows,
    })
}

/// 12345.678 → "12,346"; 7.7184 → "7.72".
pub fn figure(v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    if v.abs() < 100.0 {
        let s = format!("{v:.2}");
        return s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let whole = crate::frame::thousands(v.abs().round() as usize);
    if v < 0.0 {
        format!("-{whole}")
    } else {
        whole
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The findings: who brings the value, the largest segment, the most lapsed, and for each
/// other key figure the segment furthest above everyone.
pub fn findings(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
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
    }
    if let Some(big) = s.rows.iter().max_by_key(|r| (r.customers, -r.id)) {
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
            "{} customers ({}) fit no segment: DBSCAN left them as noise, to review one by one.",
            s.noise,
            percent(s.noise as f64 / n as f64)
        ));
    }
    out
}

pub fn html(h: &mut Html, input: &ReportInput) -> crate::error::Result<()> {
    let s = summary(input)?;
    h.markup("<h2 id=\"summary\">Summary</h2><ul class=\"findings\">");
    for f in findings(&s) {
        h.markup("<li>").text(f).markup("</li>");
    }
    h.markup("</ul><table id=\"summary-table\"><tr><th>segment</th><th>customers</th><th>share of customers</th>");
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
            .text(r.customers);
        h.markup("</td><td>").text(percent(r.share));
        if s.value.is_some() {
            h.markup("</td><td class=\"value-share\">")
                .text(r.value_share.map_or("–".into(), percent));
        }
        for m in &r.medians {
            h.markup("</td><td>").text(figure(*m));
        }
        h.markup("</td><td>").text(&r.action);
        h.markup("</td><td><a href=\"")
            .text(&r.file)
            .markup("\">CSV</a></td></tr>");
    }
    h.markup("</table><p>All customers with their segment: <a href=\"segments.csv\">segments.csv</a>.</p>");
    Ok(())
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
        assert_eq!(figure(None), "–");
        assert_eq!(median(vec![3.0, 1.0, 2.0, f64::NAN]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn the_value_column_is_monetary_else_a_spend_column() {
        let cols = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            value_column(&cols(&["recency", "monetary"])).as_deref(),
            Some("monetary")
        );
        assert_eq!(
            value_column(&cols(&["log_total_spend", "total_spend"])).as_deref(),
            Some("total_spend")
        );
        assert_eq!(
            value_column(&cols(&["income", "spending"])).as_deref(),
            Some("spending")
        );
        assert_eq!(value_column(&cols(&["income"])), None);
    }
}
