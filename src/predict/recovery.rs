//! Parameter recovery: customers simulated from each model with known parameters, fitted
//! back; every estimate must lie within three standard errors (from the observed
//! information) of the truth, and those errors must be small.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bgnbd::BgNbd;
use super::cells::Cells;
use super::gamma_gamma::GammaGamma;
use super::pareto_nbd::ParetoNbd;

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Gamma(shape, rate) by Marsaglia & Tsang (2000), with the shape < 1 boost.
fn gamma(rng: &mut ChaCha8Rng, shape: f64, rate: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        return gamma(rng, shape + 1.0, rate) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = normal(rng);
        let v = (1.0 + c * z).powi(3);
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        if v > 0.0 && u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v / rate;
        }
    }
}

/// (x, t_x, T) of `n` customers under BG/NBD (as `lifetimes`' generator: a drop-out chance
/// after each repeat purchase), observed for T between 52 and 78 weeks.
fn simulate_bgnbd(m: &BgNbd, n: usize, seed: u64) -> [Vec<f64>; 3] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..n {
        let t = rng.random_range(52.0..78.0);
        let lambda = gamma(&mut rng, m.r, m.alpha);
        let (ga, gb) = (gamma(&mut rng, m.a, 1.0), gamma(&mut rng, m.b, 1.0));
        let p = ga / (ga + gb);
        let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += -rng.random_range(f64::EPSILON..1.0f64).ln() / lambda;
            if now >= t {
                break;
            }
            x += 1.0;
            last = now;
            if rng.random::<f64>() < p {
                break;
            }
        }
        for (o, v) in out.iter_mut().zip([x, last, t]) {
            o.push(v);
        }
    }
    out
}

/// (x, t_x, T) of `n` customers under Pareto/NBD: a Poisson rate λ ~ Gamma(r, α) while
/// alive, an exponential lifetime of rate μ ~ Gamma(s, β), observed for T between 52 and 78
/// weeks from the first purchase.
fn simulate_pareto_nbd(m: &ParetoNbd, n: usize, seed: u64) -> [Vec<f64>; 3] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..n {
        let t = rng.random_range(52.0..78.0);
        let lambda = gamma(&mut rng, m.r, m.alpha);
        let mu = gamma(&mut rng, m.s, m.beta);
        let end = (-rng.random_range(f64::EPSILON..1.0f64).ln() / mu).min(t);
        let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += -rng.random_range(f64::EPSILON..1.0f64).ln() / lambda;
            if now >= end {
                break;
            }
            x += 1.0;
            last = now;
        }
        for (o, v) in out.iter_mut().zip([x, last, t]) {
            o.push(v);
        }
    }
    out
}

/// Standard errors of the log-parameters at the optimum `x` of the mean negative
/// log-likelihood `nll` over `n` customers: the inverse of the observed information
/// (a central-difference Hessian), the usual asymptotic errors of maximum likelihood.
fn standard_errors(nll: &dyn Fn(&[f64]) -> f64, x: &[f64], n: f64) -> Vec<f64> {
    let k = x.len();
    let h = 1e-4;
    let at = |i: usize, di: f64, j: usize, dj: f64| {
        let mut y = x.to_vec();
        y[i] += di;
        y[j] += dj;
        nll(&y)
    };
    let mut m = vec![vec![0.0; 2 * k]; k];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().take(k).enumerate() {
            let d = at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h);
            *v = d / (4.0 * h * h) * n;
        }
        row[k + i] = 1.0;
    }
    // Gauss-Jordan: [H | I] → [I | H⁻¹].
    for c in 0..k {
        let p = (c..k)
            .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            .unwrap();
        m.swap(c, p);
        let d = m[c][c];
        m[c].iter_mut().for_each(|v| *v /= d);
        for r in (0..k).filter(|&r| r != c) {
            let f = m[r][c];
            let row = m[c].clone();
            m[r].iter_mut().zip(row).for_each(|(v, w)| *v -= f * w);
        }
    }
    (0..k).map(|i| m[i][k + i].sqrt()).collect()
}

/// Asserts every estimate is within three standard errors of the truth (on the log scale
/// the search uses).
fn within_three_errors(names: &[&str], fit: &[f64], truth: &[f64], se: &[f64]) {
    for i in 0..names.len() {
        let z = (fit[i].ln() - truth[i].ln()) / se[i];
        assert!(
            z.abs() < 3.0,
            "{}: {} for {} is {z:.1} standard errors off (se of the log {:.3})",
            names[i],
            fit[i],
            truth[i],
            se[i]
        );
        // And the errors are small: the test has the power to see a wrong fit.
        assert!(se[i] < 0.12, "{}: se of the log {}", names[i], se[i]);
    }
}

#[test]
fn bgnbd_recovers_simulated_parameters() {
    let truth = BgNbd {
        r: 0.5,
        alpha: 4.0,
        a: 0.8,
        b: 2.5,
    };
    for seed in [7, 8] {
        let [x, t_x, t] = simulate_bgnbd(&truth, 20_000, seed);
        let cells = Cells::of(&[&x, &t_x, &t]);
        let (fit, o) = BgNbd::fit(&cells, None, 42).unwrap();
        assert!(o.converged);
        let nll = |p: &[f64]| -BgNbd::of_logs(p).mean_log_likelihood(&cells);
        let se = standard_errors(&nll, &o.x, cells.total);
        let got = [fit.r, fit.alpha, fit.a, fit.b];
        let want = [truth.r, truth.alpha, truth.a, truth.b];
        within_three_errors(&["r", "alpha", "a", "b"], &got, &want, &se);
    }
}

#[test]
fn pareto_nbd_recovers_simulated_parameters() {
    // The CDNOW estimates of Fader & Hardie's note, in weeks.
    let truth = ParetoNbd {
        r: 0.55,
        alpha: 10.58,
        s: 0.61,
        beta: 11.67,
    };
    // One seed, the product's search (a seeded 5,000-customer sample, then all): each
    // likelihood is an integral per customer, and the tests run unoptimised.
    let [x, t_x, t] = simulate_pareto_nbd(&truth, 20_000, 11);
    let cells = Cells::of(&[&x, &t_x, &t]);
    let (fit, o) = super::two_step(&[&x, &t_x, &t], 42, &ParetoNbd::fit).unwrap();
    assert!(o.converged);
    let nll = |p: &[f64]| -ParetoNbd::of_logs(p).mean_log_likelihood(&cells);
    let se = standard_errors(&nll, &o.x, cells.total);
    let got = [fit.r, fit.alpha, fit.s, fit.beta];
    let want = [truth.r, truth.alpha, truth.s, truth.beta];
    within_three_errors(&["r", "alpha", "s", "beta"], &got, &want, &se);
}

#[test]
fn gamma_gamma_recovers_simulated_parameters() {
    let truth = GammaGamma {
        p: 6.0,
        q: 4.0,
        v: 15.0,
    };
    for seed in [9, 10] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut xs, mut ms) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let x = rng.random_range(1..=20) as f64;
            let nu = gamma(&mut rng, truth.q, truth.v);
            let total: f64 = (0..x as usize).map(|_| gamma(&mut rng, truth.p, nu)).sum();
            xs.push(x);
            ms.push(total / x);
        }
        let ln_ms: Vec<f64> = ms.iter().map(|m| m.ln()).collect();
        let cells = Cells::of(&[&xs, &ms, &ln_ms]);
        let (fit, o) = GammaGamma::fit(&cells, None, 42).unwrap();
        assert!(o.converged);
        let nll = |l: &[f64]| -GammaGamma::of_logs(l).mean_log_likelihood(&cells);
        let se = standard_errors(&nll, &o.x, cells.total);
        within_three_errors(
            &["p", "q", "v"],
            &[fit.p, fit.q, fit.v],
            &[6.0, 4.0, 15.0],
            &se,
        );
    }
}

#[test]
fn standard_errors_of_a_normal_mean() {
    // −mean log-likelihood of N(μ, 1) data in μ = e^l: the error of μ is 1/√n, of l 1/(μ√n).
    let nll = |l: &[f64]| 0.5 * (l[0].exp() - 2.0).powi(2);
    let se = standard_errors(&nll, &[2f64.ln()], 100.0);
    assert!((se[0] - 1.0 / (2.0 * 10.0)).abs() < 1e-6, "{se:?}");
}
