//! Gaussian mixtures fitted by expectation-maximisation, as scikit-learn's
//! `GaussianMixture` (full or diagonal covariances, `reg_covar` 1e-6 added to the variances,
//! responsibilities started from a K-means partition, stopping when the mean log-likelihood
//! gains less than `tol`, a last E-step so that the labels follow the final parameters).
//! Each customer gets the component of highest posterior probability, and that probability.
//!
//! Written here rather than taken from linfa-clustering: its mixture needs ndarray and
//! linfa's traits for one algorithm of a few dozen lines, and the issue asks for
//! scikit-learn's answer. Sums run over fixed blocks of rows added in block order, so the
//! result is the same on any thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// The shape of each component's covariance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Covariance {
    /// A full d × d matrix per component.
    Full,
    /// Variances only (axis-aligned ellipsoids).
    Diag,
}

impl Covariance {
    pub const NAMES: [&'static str; 2] = ["full", "diag"];

    pub fn as_str(self) -> &'static str {
        match self {
            Covariance::Full => "full",
            Covariance::Diag => "diag",
        }
    }
}

/// scikit-learn's defaults.
pub const REG_COVAR: f64 = 1e-6;
pub const TOL: f64 = 1e-3;
pub const MAX_ITER: usize = 100;

/// Rows per block of the sums.
const BLOCK: usize = 2048;

/// A fitted mixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mixture {
    pub covariance: Covariance,
    pub weights: Vec<f64>,
    pub means: Vec<Vec<f64>>,
    /// Per component: d × d row-major (full) or d variances (diag).
    pub covariances: Vec<Vec<f64>>,
    /// Per component: the lower-triangular Cholesky factor (full) or standard deviations.
    #[serde(skip)]
    factors: Vec<Vec<f64>>,
}

/// The outcome of a fit.
pub struct Fitted {
    pub mixture: Mixture,
    /// Mean log-likelihood per row at the end.
    pub log_likelihood: f64,
    pub converged: bool,
    pub iterations: usize,
}

/// Why a fit failed: a component's covariance is not positive definite.
#[derive(Debug, Clone, PartialEq)]
pub struct IllDefined;

/// A mixture of k components started from a seeded K-means partition (one start, as
/// scikit-learn's `init_params="kmeans"`): the fit, each row's component and the posterior
/// probability of it.
pub fn fit_from_kmeans(
    x: &Matrix,
    k: usize,
    covariance: Covariance,
    seed: u64,
) -> Result<(Fitted, Vec<i64>, Vec<f64>), IllDefined> {
    let engine = super::kmeans::Engine::Lloyd;
    let (start, _, _) =
        super::kmeans::fit_full(engine, x, k, 1, 300, seed).map_err(|_| IllDefined)?;
    let used = start.iter().copied().max().map_or(0, |m| m + 1);
    let fitted = fit(x, &start, used, covariance, TOL, MAX_ITER)?;
    let placed: Vec<(usize, f64)> = (0..x.n)
        .into_par_iter()
        .map(|i| fitted.mixture.place(x.row(i)))
        .collect();
    let labels = placed.iter().map(|p| p.0 as i64).collect();
    let probability = placed.iter().map(|p| p.1).collect();
    Ok((fitted, labels, probability))
}

/// EM from the partition `start` (labels 0..k, every label used).
pub fn fit(
    x: &Matrix,
    start: &[usize],
    k: usize,
    covariance: Covariance,
    tol: f64,
    max_iter: usize,
) -> Result<Fitted, IllDefined> {
    let one_hot: Vec<f64> = start
        .iter()
        .flat_map(|&l| (0..k).map(move |c| if c == l { 1.0 } else { 0.0 }))
        .collect();
    let mut mixture = m_step(x, &one_hot, k, covariance)?;
    let (mut lower, mut converged, mut iterations) = (f64::NEG_INFINITY, false, 0);
    for it in 1..=max_iter {
        let (ll, resp) = e_step(x, &mixture);
        mixture = m_step(x, &resp, k, covariance)?;
        let change = ll - lower;
        lower = ll;
        iterations = it;
        if change.abs() < tol {
            converged = true;
            break;
        }
    }
    Ok(Fitted {
        mixture,
        log_likelihood: lower,
        converged,
        iterations,
    })
}

impl Mixture {
    /// Checks the shapes and builds the factors of `covariances` (after a fit, or reading a
    /// model).
    pub fn new(
        covariance: Covariance,
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        covariances: Vec<Vec<f64>>,
    ) -> Result<Mixture, IllDefined> {
        let d = means.first().map_or(0, Vec::len);
        let size = match covariance {
            Covariance::Full => d * d,
            Covariance::Diag => d,
        };
        let shaped = weights.len() == means.len()
            && means.len() == covariances.len()
            && means.iter().all(|m| m.len() == d)
            && covariances.iter().all(|c| c.len() == size);
        if !shaped || weights.iter().any(|w| w.is_nan() || *w <= 0.0) {
            return Err(IllDefined);
        }
        let factors = covariances
            .iter()
            .map(|c| factor(c, covariance, means.first().map_or(0, Vec::len)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Mixture {
            covariance,
            weights,
            means,
            covariances,
            factors,
        })
    }

    pub fn k(&self) -> usize {
        self.weights.len()
    }

    /// The components in the order `order` gives (old indices), the others left out.
    pub fn reordered(&self, order: &[usize]) -> Result<Mixture, IllDefined> {
        let pick = |v: &Vec<Vec<f64>>| order.iter().map(|&j| v[j].clone()).collect();
        Mixture::new(
            self.covariance,
            order.iter().map(|&j| self.weights[j]).collect(),
            pick(&self.means),
            pick(&self.covariances),
        )
    }

    /// log(weight) + log density of `row` under each component.
    fn weighted_log(&self, row: &[f64]) -> Vec<f64> {
        let d = row.len() as f64;
        let c = d * (2.0 * std::f64::consts::PI).ln();
        (0..self.k())
            .map(|j| {
                let (maha, log_det) =
                    mahalanobis(row, &self.means[j], &self.factors[j], self.covariance);
                self.weights[j].ln() - 0.5 * (c + maha) - log_det
            })
            .collect()
    }

    /// The component of highest posterior probability for `row`, and that probability.
    pub fn place(&self, row: &[f64]) -> (usize, f64) {
        let w = self.weighted_log(row);
        let norm = log_sum_exp(&w);
        let (best, top) =
            w.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |b, (j, &v)| if v > b.1 { (j, v) } else { b },
            );
        (best, (top - norm).exp())
    }

    /// Free parameters: weights, means and covariances.
    pub fn parameters(&self) -> usize {
        let (k, d) = (self.k(), self.means.first().map_or(0, Vec::len));
        let cov = match self.covariance {
            Covariance::Full => k * d * (d + 1) / 2,
            Covariance::Diag => k * d,
        };
        cov + k * d + k - 1
    }
}

/// Bayesian and Akaike information criteria of a fit on `n` rows (lower is better), as
/// scikit-learn's `bic` and `aic`.
pub fn criteria(m: &Mixture, log_likelihood: f64, n: usize) -> (f64, f64) {
    let total = -2.0 * log_likelihood * n as f64;
    let p = m.parameters() as f64;
    (total + p * (n as f64).ln(), total + 2.0 * p)
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return top;
    }
    top + v.iter().map(|x| (x - top).exp()).sum::<f64>().ln()
}

/// The squared Mahalanobis distance of `row` from `mean`, and log sqrt(det Σ).
fn mahalanobis(row: &[f64], mean: &[f64], f: &[f64], cov: Covariance) -> (f64, f64) {
    let d = row.len();
    match cov {
        Covariance::Diag => {
            let maha = (0..d).map(|i| ((row[i] - mean[i]) / f[i]).powi(2)).sum();
            (maha, f.iter().map(|s| s.ln()).sum())
        }
        Covariance::Full => {
            // Solve L z = row - mean by forward substitution.
            let mut z = vec![0.0; d];
            for i in 0..d {
                let mut s = row[i] - mean[i];
                for j in 0..i {
                    s -= f[i * d + j] * z[j];
                }
                z[i] = s / f[i * d + i];
            }
            let maha = z.iter().map(|v| v * v).sum();
            (maha, (0..d).map(|i| f[i * d + i].ln()).sum())
        }
    }
}

/// The Cholesky factor (full) or the standard deviations (diag) of a covariance.
fn factor(c: &[f64], cov: Covariance, d: usize) -> Result<Vec<f64>, IllDefined> {
    match cov {
        Covariance::Diag => c
            .iter()
            .map(|&v| {
                if v > 0.0 {
                    Ok(v.sqrt())
                } else {
                    Err(IllDefined)
                }
            })
            .collect(),
        Covariance::Full => {
            let mut l = vec![0.0; d * d];
            for i in 0..d {
                for j in 0..=i {
                    let s: f64 = (0..j).map(|p| l[i * d + p] * l[j * d + p]).sum();
                    if i == j {
                        let v = c[i * d + i] - s;
                        if v <= 0.0 || !v.is_finite() {
                            return Err(IllDefined);
                        }
                        l[i * d + i] = v.sqrt();
                    } else {
                        l[i * d + j] = (c[i * d + j] - s) / l[j * d + j];
                    }
                }
            }
            Ok(l)
        }
    }
}

/// Responsibilities (row-major n × k) and the mean log-likelihood.
fn e_step(x: &Matrix, m: &Mixture) -> (f64, Vec<f64>) {
    let k = m.k();
    let blocks: Vec<(f64, Vec<f64>)> = (0..x.n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * BLOCK..((b + 1) * BLOCK).min(x.n);
            let mut ll = 0.0;
            let mut resp = Vec::with_capacity(rows.len() * k);
            for i in rows {
                let w = m.weighted_log(x.row(i));
                let norm = log_sum_exp(&w);
                ll += norm;
                resp.extend(w.iter().map(|v| (v - norm).exp()));
            }
            (ll, resp)
        })
        .collect();
    let total: f64 = blocks.iter().map(|b| b.0).sum();
    let resp = blocks.into_iter().flat_map(|b| b.1).collect();
    (total / x.n as f64, resp)
}

/// Weights, means and covariances from responsibilities (scikit-learn's
/// `_estimate_gaussian_parameters`, with `10 × machine epsilon` added to each weight).
fn m_step(x: &Matrix, resp: &[f64], k: usize, cov: Covariance) -> Result<Mixture, IllDefined> {
    let d = x.d;
    let nk: Vec<f64> = (0..k)
        .map(|j| (0..x.n).map(|i| resp[i * k + j]).sum::<f64>() + 10.0 * f64::EPSILON)
        .collect();
    let means: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let mut m = vec![0.0; d];
            for i in 0..x.n {
                let r = resp[i * k + j];
                for (a, v) in m.iter_mut().zip(x.row(i)) {
                    *a += r * v;
                }
            }
            m.iter().map(|v| v / nk[j]).collect()
        })
        .collect();
    let covariances: Vec<Vec<f64>> = (0..k)
        .into_par_iter()
        .map(|j| {
            let mu = &means[j];
            let mut c = vec![0.0; if cov == Covariance::Full { d * d } else { d }];
            for i in 0..x.n {
                let r = resp[i * k + j];
                let row = x.row(i);
                match cov {
                    Covariance::Full => {
                        for a in 0..d {
                            let da = row[a] - mu[a];
                            for b in 0..d {
                                c[a * d + b] += r * da * (row[b] - mu[b]);
                            }
                        }
                    }
                    Covariance::Diag => {
                        for a in 0..d {
                            c[a] += r * (row[a] - mu[a]).powi(2);
                        }
                    }
                }
            }
            for v in c.iter_mut() {
                *v /= nk[j];
            }
            match cov {
                Covariance::Full => (0..d).for_each(|a| c[a * d + a] += REG_COVAR),
                Covariance::Diag => c.iter_mut().for_each(|v| *v += REG_COVAR),
            }
            c
        })
        .collect();
    let total: f64 = nk.iter().sum();
    Mixture::new(
        cov,
        nk.iter().map(|v| v / total).collect(),
        means,
        covariances,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_separated_groups() {
        let mut v = Vec::new();
        for i in 0..50 {
            v.extend([(i % 7) as f64 * 0.1, (i % 5) as f64 * 0.1]);
        }
        for i in 0..30 {
            v.extend([10.0 + (i % 7) as f64 * 0.1, 10.0 + (i % 3) as f64 * 0.1]);
        }
        let x = Matrix::new(80, 2, v);
        let start: Vec<usize> = (0..80).map(|i| usize::from(i >= 50)).collect();
        for cov in [Covariance::Full, Covariance::Diag] {
            let f = fit(&x, &start, 2, cov, 1e-10, 200).unwrap();
            assert!(f.converged);
            let m = &f.mixture;
            assert!((m.weights[0] - 50.0 / 80.0).abs() < 1e-9);
            assert_eq!(m.place(&[0.3, 0.2]).0, 0);
            let (j, p) = m.place(&[10.2, 10.1]);
            assert_eq!(j, 1);
            assert!(p > 0.999_999);
        }
    }
}
