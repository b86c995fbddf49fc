//! Where the value will be (runs with `predict`): each segment's share of last period's
//! value beside its share of the value expected over the horizon, its mean P(alive) and its
//! valuable customers at risk; the fitted models; the holdout check in numbers; and what the
//! models assume.

use super::super::html::Html;
use super::super::ReportInput;
use crate::predict::holdout::Check;
use crate::stages::predict::PredictState;

pub fn html(h: &mut Html, input: &ReportInput) {
    let Some(state) = input.predict else { return };
    h.markup("<h2 id=\"predicted\">Where the value will be</h2>");
    let Some(models) = &state.models else {
        h.markup("<p>No predictions: ");
        h.text(state.warnings.join("; "));
        h.markup("</p>");
        return;
    };
    segments_table(h, input, state);
    let bg = &models.bg_nbd;
    h.markup("<h3>The models</h3><p>BG/NBD (purchases), fitted on ")
        .text(bg.customers)
        .markup(" customers in ")
        .text(format!("{}s", state.time_unit))
        .markup(": r ")
        .text(format!("{:.4}", bg.params.r))
        .markup(", α ")
        .text(format!("{:.4}", bg.params.alpha))
        .markup(", a ")
        .text(format!("{:.4}", bg.params.a))
        .markup(", b ")
        .text(format!("{:.4}", bg.params.b))
        .markup(" (log-likelihood ")
        .text(format!("{:.2}", bg.log_likelihood))
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

const ASSUMPTIONS: &str = "<p class=\"why\">What the models assume: while alive, a customer buys at a steady rate of \
their own (no seasons, no campaigns); after each purchase they may leave for good; the value of a customer's \
purchases does not depend on how often they buy. Don't trust them for a seasonal business over a horizon shorter \
than a year, for subscriptions (leaving is seen there, not guessed), or when the holdout check above is far off. A \
customer with a single purchase is held alive by BG/NBD (P(alive) 1).</p>";
