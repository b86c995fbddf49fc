//! The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV";
//! Fader & Hardie 2013): a customer's purchases vary around their own mean value ν ~
//! Gamma(q, γ), each purchase Gamma(p, ν). Fitted on the customers with a repeat purchase
//! from x and the mean value of their repeat purchases m (as `lifetimes` does); it assumes
//! spend does not depend on how often a customer buys, which `predict` checks and reports.

use super::cells::Cells;
use super::optimize::{minimise, Optimum, FIRST_STEP, POLISH_STEP};
use super::special::ln_gamma;

/// Fitted Gamma-Gamma parameters, with the literature's names (`v` is the paper's γ).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub v: f64,
}

impl GammaGamma {
    /// The model at log-parameters `l` (the scale the search runs on).
    pub(super) fn of_logs(l: &[f64]) -> GammaGamma {
        GammaGamma {
            p: l[0].exp(),
            q: l[1].exp(),
            v: l[2].exp(),
        }
    }

    /// The mean log-likelihood of the customers in `cells` (columns x > 0, m > 0, ln m).
    pub fn mean_log_likelihood(&self, cells: &Cells) -> f64 {
        let GammaGamma { p, q, v } = *self;
        let by_x = cells.per_level(0, |x| {
            ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * v.ln() + p * x * x.ln()
        });
        let [x, m, ln_m] = [0, 1, 2].map(|c| &cells.columns[c]);
        let ix = &cells.index[0];
        cells.mean(|i| {
            let px = p * x[i];
            by_x[ix[i] as usize] + (px - 1.0) * ln_m[i] - (px + q) * (x[i] * m[i] + v).ln()
        })
    }

    /// Maximum likelihood on `cells` (x, m, ln m) from `start` (log-parameters) alone, or
    /// else from seeded starting points.
    pub fn fit(cells: &Cells, start: Option<&[f64]>, seed: u64) -> Option<(GammaGamma, Optimum)> {
        let mean_m = cells.mean(|i| cells.columns[1][i]).max(1e-9);
        let nll = |l: &[f64]| {
            let ll = GammaGamma::of_logs(l).mean_log_likelihood(cells);
            if ll.is_finite() {
                -ll
            } else {
                f64::INFINITY
            }
        };
        let starts = [vec![0.0, 0.0, mean_m.ln()], vec![0.0; 3]];
        let o = match start {
            Some(x) => minimise(&nll, &[x.to_vec()], 0, seed, POLISH_STEP)?,
            None => minimise(&nll, &starts, 1, seed, FIRST_STEP)?,
        };
        Some((GammaGamma::of_logs(&o.x), o))
    }

    /// E[value of a purchase | x, m]: the paper's weighted mean of the population mean
    /// pγ/(q−1) and the customer's own m (the population mean for x = 0). Infinite for q ≤ 1,
    /// which `predict` refuses.
    pub fn expected_value(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, v } = *self;
        let population = p * v / (q - 1.0);
        if x <= 0.0 || !m.is_finite() || m <= 0.0 {
            return population;
        }
        let w = p * x / (p * x + q - 1.0);
        (1.0 - w) * population + w * m
    }
}

#[cfg(test)]
mod tests {
    use super::GammaGamma;

    #[test]
    fn expected_value_weighs_the_customer_against_the_population() {
        // The parameters Fader, Hardie & Lee report for CDNOW: p 6.25, q 3.74, γ 15.44.
        let g = GammaGamma {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let population = 6.25 * 15.44 / 2.74;
        assert!((g.expected_value(0.0, f64::NAN) - population).abs() < 1e-12);
        // The more purchases, the closer to the customer's own mean.
        let one = g.expected_value(1.0, 100.0);
        let ten = g.expected_value(10.0, 100.0);
        assert!(population < one && one < ten && ten < 100.0, "{one} {ten}");
    }
}
