//! Predicted value: the "buy till you die" models fitted on each customer's purchase history
//! (BG/NBD for how many purchases are to come and whether the customer is still a customer,
//! Gamma-Gamma for what a purchase is worth), and the predictions the stage writes per
//! customer: P(alive), expected purchases and lifetime value over a horizon, the expected
//! value of an order and the days until the next one is expected.
//!
//! This module is the numbers alone; `stages::predict` makes the histories from invoice
//! lines and writes `08_predict.parquet`.

pub mod bgnbd;
pub mod cells;
pub mod gamma_gamma;
pub mod holdout;
pub mod optimize;
pub mod pareto_nbd;
#[cfg(test)]
mod recovery;
pub mod special;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use bgnbd::BgNbd;
use cells::Cells;
use gamma_gamma::GammaGamma;
use pareto_nbd::ParetoNbd;

/// Fewest customers with a repeat purchase a model is fitted on: below this the estimates
/// are noise, and no predictions are made.
pub const MIN_REPEAT_BUYERS: usize = 30;

/// Above this correlation between purchases and their mean value, Gamma-Gamma's assumption
/// (spend does not depend on frequency) is in doubt: a warning says so.
pub const MAX_SPEND_CORRELATION: f64 = 0.3;

/// Each customer's history in the model's time unit: repeat purchases x (purchase days after
/// the first), t_x (first to last purchase), T (first purchase to the end of the period) and
/// the mean value of the repeat purchases (NaN without one). A customer without a purchase
/// has x = NaN and gets no prediction.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub x: Vec<f64>,
    pub t_x: Vec<f64>,
    pub t: Vec<f64>,
    pub value: Vec<f64>,
}

impl Summary {
    fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.x.len()).filter(|&i| self.x[i].is_finite())
    }
}

/// What the predictions are for.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Days per time unit (1 or 7).
    pub unit_days: f64,
    pub horizon_days: f64,
    /// Annual discount rate of future value.
    pub discount: f64,
    pub seed: u64,
    pub model: PurchaseModel,
}

/// Which purchase model a run fits (`predict.model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseModel {
    BgNbd,
    ParetoNbd,
}

impl PurchaseModel {
    /// The model's name as the literature writes it.
    pub fn name(self) -> &'static str {
        match self {
            PurchaseModel::BgNbd => "BG/NBD",
            PurchaseModel::ParetoNbd => "Pareto/NBD",
        }
    }
}

/// A fitted model with how the fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitted<P> {
    pub params: P,
    pub log_likelihood: f64,
    pub converged: bool,
    pub evaluations: usize,
    /// Customers the model was fitted on.
    pub customers: usize,
}

/// A fitted purchase model, kept in `model.json` under its name (`bg_nbd`, `pareto_nbd`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchases {
    BgNbd(Fitted<BgNbd>),
    ParetoNbd(Fitted<ParetoNbd>),
}

impl Purchases {
    /// P(alive at T | x, t_x, T).
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Purchases::BgNbd(m) => m.params.p_alive(x, t_x, t),
            Purchases::ParetoNbd(m) => m.params.p_alive(x, t_x, t),
        }
    }

    /// E[purchases in (T, T + h] | x, t_x, T], h in the model's time unit.
    pub fn expected(&self, h: f64, x: f64, t_x: f64, t: f64) -> f64 {
        match self {
            Purchases::BgNbd(m) => m.params.expected(h, x, t_x, t),
            Purchases::ParetoNbd(m) => m.params.expected(h, x, t_x, t),
        }
    }

    /// Which model this is.
    pub fn model(&self) -> PurchaseModel {
        match self {
            Purchases::BgNbd(_) => PurchaseModel::BgNbd,
            Purchases::ParetoNbd(_) => PurchaseModel::ParetoNbd,
        }
    }

    /// The model's name as the literature writes it.
    pub fn name(&self) -> &'static str {
        self.model().name()
    }

    /// The parameters with the literature's names, in its order.
    pub fn params(&self) -> Vec<(&'static str, f64)> {
        match self {
            Purchases::BgNbd(m) => {
                let BgNbd { r, alpha, a, b } = m.params;
                vec![("r", r), ("α", alpha), ("a", a), ("b", b)]
            }
            Purchases::ParetoNbd(m) => {
                let ParetoNbd { r, alpha, s, beta } = m.params;
                vec![("r", r), ("α", alpha), ("s", s), ("β", beta)]
            }
        }
    }

    /// Customers the model was fitted on, and its log-likelihood.
    pub fn fit_of(&self) -> (usize, f64) {
        match self {
            Purchases::BgNbd(m) => (m.customers, m.log_likelihood),
            Purchases::ParetoNbd(m) => (m.customers, m.log_likelihood),
        }
    }
}

/// The purchase model and, when it could be fitted, the spend model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Models {
    #[serde(flatten)]
    pub purchases: Purchases,
    pub gamma_gamma: Option<Fitted<GammaGamma>>,
    /// Pearson correlation of x and the mean repeat value among repeat buyers.
    pub spend_correlation: Option<f64>,
}

/// Fits the purchase model, then the spend model; `Err` says why there are no predictions.
/// A spend model that cannot be fitted leaves purchases predicted and values out (the
/// warnings say why).
pub fn fit(s: &Summary, settings: &Settings, spend: bool) -> Result<(Models, Vec<String>), String> {
    let rows: Vec<usize> = s.rows().collect();
    let repeat: Vec<usize> = rows.iter().copied().filter(|&i| s.x[i] > 0.0).collect();
    if repeat.len() < MIN_REPEAT_BUYERS {
        return Err(format!(
            "only {} customer(s) bought more than once (at least {MIN_REPEAT_BUYERS} are needed to fit {}): no predictions",
            repeat.len(),
            settings.model.name()
        ));
    }
    let pick = |v: &[f64], rows: &[usize]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let (x, t_x, t) = (pick(&s.x, &rows), pick(&s.t_x, &rows), pick(&s.t, &rows));
    let purchases = fit_purchases(&[&x, &t_x, &t], settings)?;
    let mut warnings = Vec::new();
    let (rx, rm) = (pick(&s.x, &repeat), pick(&s.value, &repeat));
    let spend_correlation = pearson(&rx, &rm);
    if let Some(c) = spend_correlation.filter(|c| c.abs() > MAX_SPEND_CORRELATION) {
        warnings.push(format!("purchases and their mean value correlate ({c:.2}): Gamma-Gamma assumes they do not, so expected order values and CLV are less reliable"));
    }
    let positive: Vec<usize> = (0..rx.len()).filter(|&i| rm[i] > 0.0).collect();
    let gamma_gamma = if !spend {
        None
    } else if positive.len() < MIN_REPEAT_BUYERS {
        warnings.push(format!("only {} repeat buyer(s) with a positive mean value: Gamma-Gamma not fitted, no order values or CLV", positive.len()));
        None
    } else {
        let m = pick(&rm, &positive);
        let ln_m: Vec<f64> = m.iter().map(|v| v.ln()).collect();
        let columns = [&pick(&rx, &positive)[..], &m, &ln_m];
        match two_step(&columns, settings.seed, &GammaGamma::fit) {
            Some((g, o)) if g.q > 1.0 => match checked(g, &o, positive.len(), &[true; 3]) {
                Ok(f) => Some(f),
                Err(why) => {
                    warnings.push(format!("Gamma-Gamma {why}: no order values or CLV"));
                    None
                }
            },
            _ => {
                warnings.push(
                    "Gamma-Gamma found no finite mean order value (q ≤ 1): no order values or CLV"
                        .into(),
                );
                None
            }
        }
    };
    Ok((
        Models {
            purchases,
            gamma_gamma,
            spend_correlation,
        },
        warnings,
    ))
}

/// The purchase model of `settings` on (x, t_x, T), or why it cannot be used. Either model's
/// last two parameters may tend to their limits (BG/NBD's a → 0, Pareto/NBD's s → 0 with
/// β → ∞: no drop-out seen; the predictions are then the NBD's); r and α must be placed.
fn fit_purchases(columns: &[&[f64]; 3], settings: &Settings) -> Result<Purchases, String> {
    fn one<P>(
        columns: &[&[f64]; 3],
        seed: u64,
        fit: &FitFn<P>,
        name: &str,
    ) -> Result<Fitted<P>, String> {
        let (params, o) = two_step(columns, seed, fit).ok_or_else(|| {
            format!("{name} has no valid starting point on this data: no predictions")
        })?;
        checked(params, &o, columns[0].len(), &[true, true, false, false])
            .map_err(|why| format!("{name} {why}"))
    }
    let name = settings.model.name();
    match settings.model {
        PurchaseModel::BgNbd => {
            one(columns, settings.seed, &BgNbd::fit, name).map(Purchases::BgNbd)
        }
        PurchaseModel::ParetoNbd => {
            one(columns, settings.seed, &ParetoNbd::fit, name).map(Purchases::ParetoNbd)
        }
    }
}

/// Customers a model's multi-start search runs on; its best point is then polished on all.
pub const SEARCH_SAMPLE: usize = 5_000;

/// A fit function: on cells, from a start or by its own multi-start search.
type FitFn<P> = dyn Fn(&Cells, Option<&[f64]>, u64) -> Option<(P, optimize::Optimum)>;

/// Up to [`SEARCH_SAMPLE`] customers: the multi-start search on all of them. Above: the
/// search on a seeded sample, then one search on all from its best point (a million
/// customers would make every start cost seconds).
fn two_step<P>(columns: &[&[f64]], seed: u64, fit: &FitFn<P>) -> Option<(P, optimize::Optimum)> {
    let n = columns.first().map_or(0, |c| c.len());
    let all = Cells::of(columns);
    if n <= SEARCH_SAMPLE {
        return fit(&all, None, seed);
    }
    let rows = crate::metrics::silhouette::sample_indices(n, SEARCH_SAMPLE, seed);
    let picked: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| rows.iter().map(|&i| c[i]).collect())
        .collect();
    let refs: Vec<&[f64]> = picked.iter().map(Vec::as_slice).collect();
    let (_, o) = fit(&Cells::of(&refs), None, seed)?;
    fit(&all, Some(&o.x), seed)
}

/// The fit as a result, or why it cannot be used: not converged, or a parameter that must
/// be placed (`placed`) at the search's bound (the likelihood still rising at e^±29).
fn checked<P>(
    params: P,
    o: &optimize::Optimum,
    customers: usize,
    placed: &[bool],
) -> Result<Fitted<P>, String> {
    if !o.converged {
        return Err(format!("did not converge in {} evaluations", o.evaluations));
    }
    let at_edge = |(v, p): (&f64, &bool)| *p && v.abs() > optimize::BOUND - 1.0;
    if o.x.iter().zip(placed).any(at_edge) {
        return Err("has a parameter the data cannot place (at the edge of the search)".into());
    }
    Ok(Fitted {
        params,
        log_likelihood: -o.value * customers as f64,
        converged: true,
        evaluations: o.evaluations,
        customers,
    })
}

/// Pearson correlation of `a` and `b`, when defined.
fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let some = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    let r = crate::metrics::correlation(&some(a), &some(b));
    r.is_finite().then_some(r)
}

/// Per-customer predictions (NaN where there is none).
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    pub p_alive: Vec<f64>,
    pub expected_purchases: Vec<f64>,
    pub expected_order_value: Vec<f64>,
    pub clv: Vec<f64>,
    pub days_to_next_purchase: Vec<f64>,
}

impl Predictions {
    /// No predictions for `n` customers.
    pub fn empty(n: usize) -> Predictions {
        let nan = vec![f64::NAN; n];
        Predictions {
            p_alive: nan.clone(),
            expected_purchases: nan.clone(),
            expected_order_value: nan.clone(),
            clv: nan.clone(),
            days_to_next_purchase: nan,
        }
    }
}

/// Days per cash-flow step of the CLV sum.
const CLV_STEP_DAYS: f64 = 30.0;

/// The predictions for every customer of `s`. What depends on the purchase history alone
/// (P(alive), the expected purchases at each step, the days to the next purchase) is
/// computed once per distinct (x, t_x, T); a million customers are a few hundred thousand.
pub fn predict(m: &Models, s: &Summary, settings: &Settings) -> Predictions {
    let mut cell_of: rustc_hash::FxHashMap<[u64; 3], usize> = Default::default();
    let mut histories: Vec<(f64, f64, f64)> = Vec::new();
    let cells: Vec<usize> = (0..s.x.len())
        .map(|i| {
            let h = (s.x[i], s.t_x[i], s.t[i]);
            let next = histories.len();
            let c = *cell_of
                .entry([h.0.to_bits(), h.1.to_bits(), h.2.to_bits()])
                .or_insert(next);
            if c == next {
                histories.push(h);
            }
            c
        })
        .collect();
    let outlooks: Vec<Outlook> = histories
        .par_iter()
        .map(|&h| Outlook::of(&m.purchases, h, settings))
        .collect();
    let rows: Vec<[f64; 5]> = (0..s.x.len())
        .into_par_iter()
        .map(|i| customer(m, s, settings, i, &outlooks[cells[i]]))
        .collect();
    let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    Predictions {
        p_alive: col(0),
        expected_purchases: col(1),
        expected_order_value: col(2),
        clv: col(3),
        days_to_next_purchase: col(4),
    }
}

/// What a purchase history predicts: P(alive), the expected purchases over the horizon and
/// at the end of each CLV step, the days to the next purchase (NaN: none expected).
struct Outlook {
    p_alive: f64,
    horizon: f64,
    steps: Vec<f64>,
    next: f64,
}

impl Outlook {
    fn of(model: &Purchases, (x, t_x, t): (f64, f64, f64), set: &Settings) -> Outlook {
        if !x.is_finite() {
            return Outlook {
                p_alive: f64::NAN,
                horizon: f64::NAN,
                steps: Vec::new(),
                next: f64::NAN,
            };
        }
        let e = |days: f64| model.expected(days / set.unit_days, x, t_x, t);
        let horizon = e(set.horizon_days);
        let steps = clv_steps(set).map(e).collect();
        let next = if horizon >= 1.0 {
            let (mut lo, mut hi) = (0.0, set.horizon_days);
            for _ in 0..30 {
                let mid = 0.5 * (lo + hi);
                if e(mid) >= 1.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        } else {
            f64::NAN
        };
        Outlook {
            p_alive: model.p_alive(x, t_x, t),
            horizon,
            steps,
            next,
        }
    }
}

/// The ends of the CLV's 30-day steps, in days, the last one at the horizon.
fn clv_steps(set: &Settings) -> impl Iterator<Item = f64> + '_ {
    let mut end = 0.0;
    std::iter::from_fn(move || {
        (end < set.horizon_days).then(|| {
            end = (end + CLV_STEP_DAYS).min(set.horizon_days);
            end
        })
    })
}

/// One customer's predictions: P(alive), expected purchases over the horizon, expected order
/// value, CLV (30-day steps, each discounted at the annual rate for its end), days to the
/// next purchase (when one is expected within the horizon).
fn customer(m: &Models, s: &Summary, set: &Settings, i: usize, o: &Outlook) -> [f64; 5] {
    if !s.x[i].is_finite() {
        return [f64::NAN; 5];
    }
    let value = m
        .gamma_gamma
        .as_ref()
        .map_or(f64::NAN, |g| g.params.expected_value(s.x[i], s.value[i]));
    let mut clv = 0.0;
    let mut before = 0.0;
    if value.is_finite() {
        for (end, &now) in clv_steps(set).zip(&o.steps) {
            clv += value * (now - before) / (1.0 + set.discount).powf(end / 365.0);
            before = now;
        }
    }
    [
        o.p_alive,
        o.horizon,
        value,
        if value.is_finite() { clv } else { f64::NAN },
        o.next,
    ]
}
