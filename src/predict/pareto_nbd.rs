//! The Pareto/NBD model of repeat purchases (Schmittlein, Morrison & Colombo 1987): while
//! alive a customer buys at a Poisson rate λ ~ Gamma(r, α) and stays alive for an
//! exponential lifetime of rate μ ~ Gamma(s, β), in continuous time (BG/NBD's customers can
//! only leave right after a purchase). The likelihood, P(alive) and the conditional
//! expectation are those of Fader & Hardie's "A Note on Deriving the Pareto/NBD Model and
//! Related Expressions" (2005), as `lifetimes` writes them.
//!
//! The likelihood's second term, the weight of the customer having left between the last
//! purchase (t_x) and the end of the period (T), is s·∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ.
//! The note (and `lifetimes`) write it as a difference of two Gauss hypergeometric functions
//! ₂F₁(r+s+x, ·; r+s+x+1; z), z = |α−β| / (max(α, β) + y); when one of α and β is many times
//! the other — the fit's path towards "no one leaves" — z comes so close to 1 that their
//! series needs millions of terms, and the difference of two large numbers loses the value.
//! segflow integrates the positive, decreasing integrand itself, by adaptive Gauss-Kronrod
//! (7-15 points, QUADPACK's rule) on the log scale, relative to its value at t_x: the same
//! number to 1e-12 wherever the series is usable (tested), and as good where it is not. The
//! subdivision is deterministic, so the likelihood is the same bits on any thread count.

use super::cells::Cells;
use super::optimize::{minimise, Optimum, FIRST_STEP, POLISH_STEP};
use super::special::ln_gamma;

/// Fitted Pareto/NBD parameters, with the literature's names.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParetoNbd {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
}

impl ParetoNbd {
    /// The model at log-parameters `p` (the scale the search runs on).
    pub(super) fn of_logs(p: &[f64]) -> ParetoNbd {
        ParetoNbd {
            r: p[0].exp(),
            alpha: p[1].exp(),
            s: p[2].exp(),
            beta: p[3].exp(),
        }
    }

    /// ln of s·∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ: the weight of having left after the
    /// last purchase (the note's s/(r+s+x)·A₀), −∞ when t_x = T.
    fn ln_gone(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let ln_f = |tau: f64| -(r + x) * (alpha + tau).ln() - (s + 1.0) * (beta + tau).ln();
        let top = ln_f(t_x);
        let integral = integrate(&|tau: f64| (ln_f(tau) - top).exp(), t_x, t);
        if integral > 0.0 {
            s.ln() + top + integral.ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// One customer's log-likelihood.
    pub fn ln_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        a1 + log_add_exp(self.ln_survived(x, t), self.ln_gone(x, t_x, t))
    }

    /// ln of the term of a customer still alive at T: (α+T)^−(r+x) (β+T)^−s.
    fn ln_survived(&self, x: f64, t: f64) -> f64 {
        -(self.r + x) * (self.alpha + t).ln() - self.s * (self.beta + t).ln()
    }

    /// The mean log-likelihood of the customers in `cells` (columns x, t_x, T).
    pub fn mean_log_likelihood(&self, cells: &Cells) -> f64 {
        let [x, t_x, t] = [0, 1, 2].map(|c| &cells.columns[c]);
        cells.mean(|i| self.ln_likelihood(x[i], t_x[i], t[i]))
    }

    /// Maximum likelihood on `cells` from `start` (log-parameters) alone, or else from
    /// seeded starting points.
    pub fn fit(cells: &Cells, start: Option<&[f64]>, seed: u64) -> Option<(ParetoNbd, Optimum)> {
        let mean_t = cells.mean(|i| cells.columns[2][i]).max(1e-3);
        let nll = |p: &[f64]| {
            let ll = ParetoNbd::of_logs(p).mean_log_likelihood(cells);
            if ll.is_finite() {
                -ll
            } else {
                f64::INFINITY
            }
        };
        let starts = [vec![0.0, mean_t.ln(), 0.0, mean_t.ln()], vec![0.0; 4]];
        let o = match start {
            Some(x) => minimise(&nll, &[x.to_vec()], 0, seed, POLISH_STEP)?,
            None => minimise(&nll, &starts, 2, seed, FIRST_STEP)?,
        };
        Some((ParetoNbd::of_logs(&o.x), o))
    }

    /// P(alive at T | x, t_x, T): the note's equation (18).
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let odds = self.ln_gone(x, t_x, t) - self.ln_survived(x, t);
        1.0 / (1.0 + odds.exp())
    }

    /// E[purchases in (T, T + h] | x, t_x, T]: the note's equation (41), P(alive) times
    /// (r+x)(β+T) / ((α+T)(s−1)) · (1 − ((β+T)/(β+T+h))^(s−1)), whose limit at s = 1 is
    /// (r+x)(β+T)/(α+T) · ln((β+T+h)/(β+T)).
    pub fn expected(&self, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        if h <= 0.0 {
            return 0.0;
        }
        let ParetoNbd { r, alpha, s, beta } = *self;
        let ln_q = ((beta + t) / (beta + t + h)).ln();
        let d = s - 1.0;
        let growth = if d == 0.0 {
            -ln_q
        } else {
            -(d * ln_q).exp_m1() / d
        };
        self.p_alive(x, t_x, t) * (r + x) * (beta + t) / (alpha + t) * growth
    }
}

/// Nodes of the 15-point Kronrod rule on [−1, 1] (the non-negative half, descending); the
/// odd ones (1, 3, 5, 7) are the 7-point Gauss rule's. QUADPACK's `qk15`.
const KRONROD_NODES: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const KRONROD_WEIGHTS: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
const GAUSS_WEIGHTS: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Relative accuracy [`integrate`] aims at.
const TOLERANCE: f64 = 1e-13;
/// Deepest halving of an interval (2^-40 of it).
const MAX_DEPTH: u32 = 40;

/// ∫ₐᵇ f for a smooth f ≥ 0 of at most 1, by adaptive Gauss-Kronrod: an interval whose
/// 15- and 7-point estimates differ by more than its share of [`TOLERANCE`] × the first
/// estimate is halved, left half first.
fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let whole = kronrod(f, a, b);
    let scale = TOLERANCE * whole.0.abs().max(f64::MIN_POSITIVE);
    let mut stack = vec![(a, b, 0u32, whole)];
    let mut sum = 0.0;
    while let Some((lo, hi, depth, (k, g))) = stack.pop() {
        let allowed = scale * (hi - lo) / (b - a);
        if (k - g).abs() <= allowed || depth >= MAX_DEPTH {
            sum += k;
        } else {
            let mid = 0.5 * (lo + hi);
            stack.push((mid, hi, depth + 1, kronrod(f, mid, hi)));
            stack.push((lo, mid, depth + 1, kronrod(f, lo, mid)));
        }
    }
    sum
}

/// The 15-point Kronrod and 7-point Gauss estimates of ∫ f on [lo, hi].
fn kronrod(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64) -> (f64, f64) {
    let (centre, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let mid = f(centre);
    let (mut k, mut g) = (KRONROD_WEIGHTS[7] * mid, GAUSS_WEIGHTS[3] * mid);
    for i in 0..7 {
        let d = half * KRONROD_NODES[i];
        let pair = f(centre - d) + f(centre + d);
        k += KRONROD_WEIGHTS[i] * pair;
        if i % 2 == 1 {
            g += GAUSS_WEIGHTS[i / 2] * pair;
        }
    }
    (k * half, g * half)
}

/// ln(eᵃ + eᵇ) without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::super::special::hyp2f1;
    use super::{integrate, kronrod, ParetoNbd};

    // The parameters Fader & Hardie's note reports for the CDNOW sample (weeks).
    const CDNOW: ParetoNbd = ParetoNbd {
        r: 0.5534,
        alpha: 10.5802,
        s: 0.6061,
        beta: 11.6562,
    };

    /// ∫ₐᵇ f by composite Simpson on `n` (even) steps.
    fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
        let h = (b - a) / n as f64;
        let inner: f64 = (1..n)
            .map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        (f(a) + f(b) + inner) * h / 3.0
    }

    #[test]
    fn the_likelihood_is_the_integral_it_stands_for() {
        // L = Γ(r+x)αʳβˢ/Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s ∫_{t_x}^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ]:
        // a customer alive at T, or gone at some τ after the last purchase.
        for m in [
            CDNOW,
            ParetoNbd {
                r: 0.8,
                alpha: 60.0,
                s: 0.4,
                beta: 900.0,
            },
            ParetoNbd {
                r: 2.5,
                alpha: 400.0,
                s: 1.7,
                beta: 3.0,
            },
        ] {
            for (x, t_x, t) in [(0.0, 0.0, 38.9), (2.0, 30.43, 38.86), (14.0, 300.0, 370.0)] {
                let ParetoNbd { r, alpha, s, beta } = m;
                let lead =
                    super::ln_gamma(r + x) - super::ln_gamma(r) + r * alpha.ln() + s * beta.ln();
                let alive = (alpha + t).powf(-(r + x)) * (beta + t).powf(-s);
                let f = |u: f64| (alpha + u).powf(-(r + x)) * (beta + u).powf(-(s + 1.0));
                let gone = s * simpson(f, t_x, t, 20_000);
                let want = lead + (alive + gone).ln();
                let got = m.ln_likelihood(x, t_x, t);
                assert!(
                    (got - want).abs() < 1e-9,
                    "{m:?} {x} {t_x} {t}: {got} vs {want}"
                );
                let p = alive / (alive + gone);
                assert!((m.p_alive(x, t_x, t) - p).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn gauss_kronrod_is_exact_on_polynomials_and_adapts_to_peaks() {
        // The 15-point rule integrates degree 22 exactly, the 7-point degree 13.
        let (k, g) = kronrod(&|x: f64| x.powi(22), -1.0, 1.0);
        assert!((k - 2.0 / 23.0).abs() < 1e-15, "{k}");
        let g13 = kronrod(&|x: f64| x.powi(12), -1.0, 1.0).1;
        assert!(
            (g13 - 2.0 / 13.0).abs() < 1e-15 && (g - 2.0 / 23.0).abs() > 1e-6,
            "{k} {g}"
        );
        // A peak of width 1e-3 at the start of a long interval: ∫₀¹⁰⁰ e^(−1000x) dx.
        let got = integrate(&|x: f64| (-1000.0 * x).exp(), 0.0, 100.0);
        assert!((got - 1e-3).abs() < 1e-15, "{got}");
        assert_eq!(integrate(&|_| 1.0, 3.0, 3.0), 0.0);
    }

    #[test]
    fn the_integral_is_the_notes_hypergeometric_difference() {
        // Where the series settles (z well below 1), the note's A₀ from ₂F₁ by its power series.
        let m = ParetoNbd {
            r: 0.8,
            alpha: 60.0,
            s: 0.4,
            beta: 300.0,
        };
        for (x, t_x, t) in [(0.0, 0.0, 200.0), (3.0, 120.0, 330.0), (40.0, 300.0, 371.0)] {
            let ParetoNbd { r, alpha, s, beta } = m;
            let a = r + s + x;
            let f = |y: f64| {
                let q = beta + y;
                hyp2f1(a, r + x, a + 1.0, (beta - alpha) / q) * q.powf(-a)
            };
            let want = s / a * (f(t_x) - f(t));
            let got = m.ln_gone(x, t_x, t).exp();
            assert!((got - want).abs() < 1e-12 * want, "{x}: {got} vs {want}");
        }
        // β e^25 times α (no one leaves, the fit's way out): finite, and the terms still add up.
        let far = ParetoNbd {
            beta: 60.0 * 25f64.exp(),
            ..m
        };
        let p = far.p_alive(2.0, 10.0, 300.0);
        assert!(p > 0.999_999 && p < 1.0, "{p}");
        assert!(far.ln_likelihood(2.0, 10.0, 300.0).is_finite());
    }

    #[test]
    fn matches_lifetimes_formulas_with_scipys_hyp2f1() {
        // tests/fixtures/pareto_cases.json (make_predict.py --cases): the CDNOW parameters,
        // customers from one-time buyers to 60 repeat purchases, horizons 1 to 104 weeks.
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/pareto_cases.json")).unwrap();
        let p = &fixture["params"];
        let m = ParetoNbd {
            r: p["r"].as_f64().unwrap(),
            alpha: p["alpha"].as_f64().unwrap(),
            s: p["s"].as_f64().unwrap(),
            beta: p["beta"].as_f64().unwrap(),
        };
        let cases = fixture["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 24);
        for c in cases {
            let f = |k: &str| c[k].as_f64().unwrap();
            let (x, t_x, t, h) = (f("x"), f("t_x"), f("T"), f("t"));
            let rel = |got: f64, want: f64| (got - want).abs() / want.abs();
            assert!(rel(m.p_alive(x, t_x, t), f("p_alive")) < 1e-9, "{c}");
            assert!(rel(m.expected(h, x, t_x, t), f("expected")) < 1e-9, "{c}");
            assert!(
                rel(m.ln_likelihood(x, t_x, t), f("ln_likelihood")) < 1e-10,
                "{c}"
            );
        }
    }

    #[test]
    fn expectation_is_p_alive_times_the_rate_still_to_come() {
        // A customer of the note's example data: more purchases expected over a longer
        // horizon, none over none, and a long silence lowers both P(alive) and the
        // expectation.
        let e = CDNOW.expected(39.0, 2.0, 30.43, 38.86);
        assert!(
            e > CDNOW.expected(20.0, 2.0, 30.43, 38.86) && e < 2.0,
            "{e}"
        );
        assert_eq!(CDNOW.expected(0.0, 2.0, 30.43, 38.86), 0.0);
        assert!(CDNOW.p_alive(2.0, 5.0, 38.86) < CDNOW.p_alive(2.0, 30.43, 38.86));
        // s = 1 exactly: the limit, continuous with its neighbours.
        let one = ParetoNbd { s: 1.0, ..CDNOW };
        let near = ParetoNbd {
            s: 1.0 + 1e-7,
            ..CDNOW
        };
        let (a, b) = (
            one.expected(39.0, 2.0, 30.43, 38.86),
            near.expected(39.0, 2.0, 30.43, 38.86),
        );
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }
}
