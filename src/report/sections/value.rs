//! Where the value is: each segment's share of customers beside its share of value, and
//! the concentration curve (segments from the most valuable per customer down), so "put
//! the budget where the value is" can be read off the page. Only when the table has a value
//! column (`profile.value`, `monetary`, or a column named like "spend").

use super::super::charts::by_segment::{Concentration, SegmentBars};
use super::super::charts::{later, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::{segment_names, Html};
use super::super::keys::KeyFigures;
use super::super::ReportInput;

/// A segment's (name, id, share of customers, share of value).
type Share = (String, i64, f64, f64);

/// Every segment's shares (noise included, as DBSCAN left it), in `input.segments` order.
pub fn shares(input: &ReportInput, kf: &KeyFigures) -> Option<Vec<Share>> {
    kf.value.as_ref()?;
    let values = &kf.keys[0].values;
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let total: f64 = values.iter().copied().map(finite).sum();
    let n = values.len();
    if total <= 0.0 || n == 0 {
        return None;
    }
    let names = segment_names(input.segments);
    Some(
        kf.members
            .iter()
            .zip(names)
            .map(|(m, (id, name))| {
                let value: f64 = m.iter().map(|&i| finite(values[i])).sum();
                (name, id, m.len() as f64 / n as f64, value / total)
            })
            .collect(),
    )
}

pub fn charts(input: &ReportInput, kf: &KeyFigures, figs: &mut Figures) -> Vec<String> {
    let (Some(value), Some(shares)) = (kf.value.as_ref(), shares(input, kf)) else {
        return Vec::new();
    };
    let rows: Vec<(String, i64)> = shares.iter().map(|s| (s.0.clone(), s.1)).collect();
    let tall = (WIDE.0, WIDE.1.max(100 + 44 * rows.len() as u32));
    figs.add(
        later(
            "value_shares",
            tall,
            SegmentBars {
                title: format!("Share of customers and share of {value}"),
                x_label: "share (%)".into(),
                rows,
                series: vec![
                    ("customers".into(), shares.iter().map(|s| s.2).collect()),
                    (value.clone(), shares.iter().map(|s| s.3).collect()),
                ],
                percent: true,
            },
        ),
        format!("A segment whose {value} bar is longer than its customers bar brings more than its share of {value}"),
    );
    // Most valuable per customer first.
    let mut ordered = shares.clone();
    ordered.retain(|s| s.2 > 0.0);
    ordered.sort_by(|a, b| (b.3 / b.2).total_cmp(&(a.3 / a.2)).then(a.1.cmp(&b.1)));
    figs.add(
        later(
            "value_concentration",
            WIDE,
            Concentration {
                title: format!("How concentrated {value} is"),
                value: value.clone(),
                segments: ordered,
            },
        ),
        format!("Read up from a share of customers to the share of {value} they bring; the further above the diagonal, the more concentrated"),
    );
    vec!["value_shares".into(), "value_concentration".into()]
}

pub fn html(h: &mut Html, names: &[String], figs: &Drawn) {
    if names.is_empty() {
        return;
    }
    h.markup("<h2 id=\"value\">Where the value is</h2>");
    figs.html(h, names, false);
}
