//! Where the value will be (runs with `predict`): each segment's share of last period's
//! value beside its share of the value expected over the horizon, its mean P(alive) and its
//! valuable customers at risk; the fitted models; the holdout check in numbers; and what the
//! models assume.

use super::super::charts::{later, Heatmap, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::Html;
use super::super::ReportInput;
use crate::frame::f64_opts;
use crate::predict::holdout::Check;
use crate::stages::predict::PredictState;

/// Orders (rows) and days since the last purchase (columns) the P(alive) chart groups
/// customers by: (label, lowest value).
const ORDERS: [(&str, f64); 6] = [
    ("1 order", 1.0),
    ("2", 2.0),
    ("3-4", 3.0),
    ("5-7", 5.0),
    ("8-12", 8.0),
    ("13+", 13.0),
];
const DAYS_SINCE: [(&str, f64); 5] = [
    ("0-30 days", 0.0),
    ("31-90", 31.0),
    ("91-180", 91.0),
    ("181-270", 181.0),
    ("271+", 271.0),
];

/// The bin of `v` among `bins` (by their lowest values).
fn bin(bins: &[(&str, f64)], v: f64) -> usize {
    bins.iter().rposition(|(_, lo)| v >= *lo).unwrap_or(0)
}

/// Mean P(alive) of the customers by orders and days since their last purchase (the RFM
/// frequency and recency), each cell with its count: where the customers likely gone are.
pub fn charts(input: &ReportInput, figs: &mut Figures) -> Vec<String> {
    let Some(state) = input.predict.filter(|s| s.models.is_some()) else {
        return Vec::new();
    };
    let get = |c: &str| f64_opts(input.features, c).ok();
    let (Some(orders), Some(days), Some(alive)) =
        (get("frequency"), get("recency"), get("p_alive"))
    else {
        return Vec::new();
    };
    let (nr, nc) = (ORDERS.len(), DAYS_SINCE.len());
    let (mut sum, mut count) = (vec![vec![0.0; nc]; nr], vec![vec![0usize; nc]; nr]);
    for i in 0..alive.len() {
        if let (Some(o @ 1.0..), Some(d), Some(p)) = (orders[i], days[i], alive[i]) {
            let (r, c) = (bin(&ORDERS, o), bin(&DAYS_SINCE, d));
            sum[r][c] += p;
            count[r][c] += 1;
        }
    }
    let mean = |r: usize, c: usize| sum[r][c] / count[r][c] as f64;
    let labels = (0..nr)
        .map(|r| {
            (0..nc)
                .map(|c| match count[r][c] {
                    0 => String::new(),
                    n => format!("{:.2} ({n})", mean(r, c)),
                })
                .collect()
        })
        .collect();
    figs.add(
        later(
            "p_alive_by_recency",
            WIDE,
            Heatmap {
                title: "Mean P(alive) by orders (rows) and days since the last purchase".into(),
                rows: ORDERS.iter().map(|(l, _)| l.to_string()).collect(),
                cols: DAYS_SINCE.iter().map(|(l, _)| l.to_string()).collect(),
                // Red where customers are likely gone, blue where they are likely still buying.
                values: (0..nr)
                    .map(|r| (0..nc).map(|c| 0.5 - mean(r, c)).collect())
                    .collect(),
                range: 0.5,
                labels: Some(labels),
            },
        ),
        format!(
            "Each cell: the customers' mean P(alive) on {} (and how many customers); red below ½, blue above",
            state.as_of
        ),
    );
    vec!["p_alive_by_recency".into()]
}

pub fn html(h: &mut Html, input: &ReportInput, names: &[String], figs: &Drawn) {
    let Some(state) = input.predict else { return };
    h.markup("<h2 id=\"predicted\">Where the value will be</h2>");
    let Some(models) = &state.models else {
        h.markup("<p>No predictions: ");
        h.text(state.warnings.join("; "));
        h.markup("</p>");
        return;
    };
    segments_table(h, input, state);
    figs.html(h, names, false);
    let purchases = &models.purchases;
    let (customers, log_likelihood) = purchases.fit_of();
    h.markup("<h3>The models</h3><p>")
        .text(purchases.name())
        .markup(" (purchases), fitted on ")
        .text(customers)
        .markup(" customers in ")
        .text(format!("{}s", state.time_unit))
        .markup(": ");
    let params: Vec<String> = purchases
        .params()
        .iter()
        .map(|(name, v)| format!("{name} {v:.4}"))
        .collect();
    h.text(params.join(", "))
        .markup(" (log-likelihood ")
        .text(format!("{log_likelihood:.2}"))
        .markup(").");
    match &models.gamma_gamma {
        Some(g) => {
            h.markup(" Gamma-Gamma (order value), on ")
                .text(g.customers)
                .markup(" repeat buyers: p ")
                .text(format!("{:.4}", g.params.p))
                .markup(", q ")
                .text(format!("{:.4}", g.params.q))
                .markup(", v ")
                .text(format!("{:.4}", g.params.v))
                .markup(".");
        }
        None => {
            h.markup(" No spend model: no order values or CLV.");
        }
    }
    if let Some(c) = models.spend_correlation {
        h.markup(" Correlation of purchases and their mean value: ")
            .text(format!("{c:.2}"))
            .markup(" (Gamma-Gamma assumes none).");
    }
    h.markup("</p>");
    if let Some(check) = &state.holdout {
        holdout(h, check);
        holdout_by_segment(h, input);
    }
    h.markup(ASSUMPTIONS);
}

fn segments_table(h: &mut Html, input: &ReportInput, state: &PredictState) {
    h.markup("<p>Expected over the next ")
        .text(state.horizon_days)
        .markup(" days from ")
        .text(&state.as_of)
        .markup(", future value discounted at ")
        .text(format!("{:.0}%", state.discount * 100.0))
        .markup(" a year. <i>At risk</i>: customers with above-median past value whose P(alive) is below ½.</p>");
    h.markup("<table><tr><th>segment</th><th>customers</th><th>share of past value</th><th>share of expected value</th><th>mean P(alive)</th><th>at risk</th></tr>");
    let pct = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{:.1}%", 100.0 * v));
    for s in input.segments.iter().filter(|s| s.id >= 0) {
        let Some(v) = &s.value else { continue };
        h.markup("<tr><td class=\"text\">").text(&s.name);
        h.markup("</td><td>").text(s.size);
        h.markup("</td><td>").text(pct(Some(v.past_share)));
        h.markup("</td><td>").text(pct(v.predicted_share));
        h.markup("</td><td>").text(format!("{:.2}", v.mean_p_alive));
        h.markup("</td><td>").text(v.at_risk).markup("</td></tr>");
    }
    h.markup("</table>");
}

fn holdout(h: &mut Html, c: &Check) {
    h.markup("<h3>Checked on the holdout</h3><p>Fitted on the purchases before the last ")
        .text(c.days)
        .markup(" days, the models expected ")
        .text(format!("{:.0}", c.expected_purchases))
        .markup(" repeat purchase days from the ")
        .text(c.customers)
        .markup(" customers; they made ")
        .text(format!("{:.0}", c.actual_purchases))
        .markup(" (")
        .text(format!("{:+.1}%", 100.0 * c.error))
        .markup("; mean absolute error per customer ")
        .text(format!("{:.2}", c.mean_absolute_error))
        .markup(").");
    if let Some(v) = c.expected_value {
        h.markup(" Expected value ")
            .text(format!("{v:.0}"))
            .markup(", actual ")
            .text(format!("{:.0}", c.actual_value))
            .markup(".");
    }
    h.markup("</p><table><tr><th>purchases before</th><th>customers</th><th>expected per customer</th><th>actual per customer</th></tr>");
    for g in &c.by_frequency {
        h.markup("<tr><td>").text(&g.x);
        h.markup("</td><td>").text(g.customers);
        h.markup("</td><td>").text(format!("{:.2}", g.expected));
        h.markup("</td><td>")
            .text(format!("{:.2}", g.actual))
            .markup("</td></tr>");
    }
    h.markup("</table><table><tr><th>day of the holdout</th><th>expected, cumulated</th><th>actual, cumulated</th></tr>");
    for w in &c.weekly {
        h.markup("<tr><td>").text(w.day);
        h.markup("</td><td>").text(format!("{:.0}", w.expected));
        h.markup("</td><td>")
            .text(format!("{:.0}", w.actual))
            .markup("</td></tr>");
    }
    h.markup("</table>");
}

/// Per segment, the value the calibration fit expected over the holdout against what the
/// segment's customers spent (with a spend model).
fn holdout_by_segment(h: &mut Html, input: &ReportInput) {
    let rows: Vec<(&str, f64, f64)> = input
        .segments
        .iter()
        .filter_map(|s| {
            let v = s.value.as_ref()?;
            Some((s.name.as_str(), v.holdout_expected_value?, v.holdout_value?))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    h.markup("<table><tr><th>segment</th><th>expected value in the holdout</th><th>actual value</th><th>error</th></tr>");
    for (name, expected, actual) in rows {
        h.markup("<tr><td class=\"text\">").text(name);
        h.markup("</td><td>").text(format!("{expected:.0}"));
        h.markup("</td><td>").text(format!("{actual:.0}"));
        let error = match actual != 0.0 {
            true => format!("{:+.1}%", 100.0 * (expected - actual) / actual),
            false => "–".to_string(),
        };
        h.markup("</td><td>").text(error).markup("</td></tr>");
    }
    h.markup("</table>");
}

const ASSUMPTIONS: &str = "<p class=\"why\">What the models assume: while alive, a customer buys at a steady rate of \
their own (no seasons, no campaigns); after each purchase they may leave for good; the value of a customer's \
purchases does not depend on how often they buy. Don't trust them for a seasonal business over a horizon shorter \
than a year, for subscriptions (leaving is seen there, not guessed), or when the holdout check above is far off. A \
customer with a single purchase is held alive by BG/NBD (P(alive) 1); Pareto/NBD lets customers leave at any \
time, so a long silence after a single purchase lowers their P(alive) too.</p>";
