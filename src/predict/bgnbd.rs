//! The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting your customers
//! the easy way"): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood on
//! each customer's (x, t_x, T); the formulas are the paper's equations 6, 10 and 13 (the
//! likelihood, the conditional expectation and P(alive)), as `lifetimes` implements them.

use super::cells::Cells;
use super::optimize::{minimise, Optimum, FIRST_STEP, POLISH_STEP};
use super::special::{hyp2f1, ln_gamma};

/// Fitted BG/NBD parameters, with the literature's names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    /// The model at log-parameters `p` (the scale the search runs on).
    pub(super) fn of_logs(p: &[f64]) -> BgNbd {
        BgNbd {
            r: p[0].exp(),
            alpha: p[1].exp(),
            a: p[2].exp(),
            b: p[3].exp(),
        }
    }

    /// The mean log-likelihood of the customers in `cells` (columns x, t_x, T).
    pub fn mean_log_likelihood(&self, cells: &Cells) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        // Every term of one column is computed once per distinct value of it (equation 6's
        // first factors for x; the logarithms for x, t_x and T).
        let by_x = cells.per_level(0, |x| {
            ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x)
                - ln_gamma(b)
                - ln_gamma(a + b + x)
        });
        let ln_b = cells.per_level(0, |x| (b + x - 1.0).ln());
        let ln_tx = cells.per_level(1, |t_x| (alpha + t_x).ln());
        let ln_t = cells.per_level(2, |t| (alpha + t).ln());
        let ln_a = a.ln();
        let [ix, itx, it] = [0, 1, 2].map(|c| &cells.index[c]);
        let x = &cells.columns[0];
        cells.mean(|i| {
            let rx = r + x[i];
            let a3 = -rx * ln_t[it[i] as usize];
            let rest = if x[i] > 0.0 {
                let a4 = ln_a - ln_b[ix[i] as usize] - rx * ln_tx[itx[i] as usize];
                log_add_exp(a3, a4)
            } else {
                a3
            };
            by_x[ix[i] as usize] + rest
        })
    }

    /// Maximum likelihood on `cells` from `start` (log-parameters) alone, or else (x, t_x, T), from seeded starting points.
    pub fn fit(cells: &Cells, start: Option<&[f64]>, seed: u64) -> Option<(BgNbd, Optimum)> {
        let mean_t = cells.mean(|i| cells.columns[2][i]).max(1e-3);
        let nll = |p: &[f64]| {
            let ll = BgNbd::of_logs(p).mean_log_likelihood(cells);
            if ll.is_finite() {
                -ll
            } else {
                f64::INFINITY
            }
        };
        let starts = [vec![0.0, mean_t.ln(), 0.0, 0.0], vec![0.0; 4]];
        let o = match start {
            Some(x) => minimise(&nll, &[x.to_vec()], 0, seed, POLISH_STEP)?,
            None => minimise(&nll, &starts, 2, seed, FIRST_STEP)?,
        };
        Some((BgNbd::of_logs(&o.x), o))
    }

    /// P(alive at T | x, t_x, T): equation 13 (1 for a customer without a repeat purchase).
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let log_odds = (a / (b + x - 1.0)).ln() + (r + x) * ((alpha + t) / (alpha + t_x)).ln();
        1.0 / (1.0 + log_odds.exp())
    }

    /// E[purchases in (T, T + h] | x, t_x, T]: equation 10. The paper's
    /// (α+T)/(α+T+h))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z) is computed after Euler's
    /// transformation as (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z), z = h/(α+T+h), whose
    /// series does not grow with x.
    pub fn expected(&self, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if h <= 0.0 {
            return 0.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let z = h / (alpha + t + h);
        let c = a + b + x - 1.0;
        let tail = (1.0 - z).powf(a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z);
        let numerator = c / (a - 1.0) * (1.0 - tail);
        let denominator = if x > 0.0 {
            1.0 + a / (b + x - 1.0) * ((alpha + t) / (alpha + t_x)).powf(r + x)
        } else {
            1.0
        };
        numerator / denominator
    }
}

/// ln(eᵃ + eᵇ) without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::BgNbd;

    // The parameters Fader, Hardie & Lee (2005) report for the CDNOW sample (weeks).
    const CDNOW: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn expectation_and_p_alive_match_the_paper() {
        // The paper's worked example (section 5): a customer with x = 2, t_x = 30.43, T =
        // 38.86 weeks is expected to make 1.226 purchases in the next 39 weeks.
        let e = CDNOW.expected(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 5e-4, "{e}");
        // Without a repeat purchase BG/NBD holds a customer alive.
        assert_eq!(CDNOW.p_alive(0.0, 0.0, 30.0), 1.0);
        let p = CDNOW.p_alive(2.0, 30.43, 38.86);
        assert!(p > 0.5 && p < 1.0, "{p}");
        assert!(
            CDNOW.p_alive(2.0, 5.0, 38.86) < p,
            "a long silence lowers P(alive)"
        );
        assert_eq!(CDNOW.expected(0.0, 2.0, 30.43, 38.86), 0.0);
    }
}
