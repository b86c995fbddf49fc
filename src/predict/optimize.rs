//! Maximum likelihood by Nelder-Mead simplex search (Nelder & Mead 1965, with the standard
//! coefficients of Lagarias et al. 1998 and SciPy: reflection 1, expansion 2, contraction
//! ½, shrink ½), restarted from its best point until a restart no longer improves it, from
//! several seeded starting points. The models' parameters are positive: the search runs on
//! their logarithms, bounded to ±[`BOUND`] (a value outside is infinitely bad), so every
//! point it tries is a valid model. No gradients, no randomness beyond the seeded starts:
//! the same data and seed give the same parameters, bit for bit.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Largest |log-parameter| the search may try: e^±30 reaches the limits a model can tend to
/// (BG/NBD's a → 0 when the data show no drop-out) closely enough for every prediction.
pub const BOUND: f64 = 30.0;

/// The best point a search found.
#[derive(Debug, Clone)]
pub struct Optimum {
    pub x: Vec<f64>,
    /// The objective at `x` (a negative mean log-likelihood).
    pub value: f64,
    /// Whether the simplex settled (its spread below the tolerances) before the limit.
    pub converged: bool,
    pub evaluations: usize,
}

/// Limits of one search from one starting point, restarts included.
const MAX_EVALUATIONS: usize = 4_000;
const X_TOL: f64 = 1e-8;
const F_TOL: f64 = 1e-13;
const MAX_RESTARTS: usize = 10;
/// The width of a restart's first simplex (on the log scale: about 5%).
const RESTART_STEP: f64 = 0.05;
/// The width of a search's first simplex from a starting point of unknown quality.
pub const FIRST_STEP: f64 = 0.5;
/// The width of the first simplex around a point already near the optimum (a sample's).
pub const POLISH_STEP: f64 = 0.05;
/// Evaluations per parameter over which the best value must improve (by more than
/// [`F_TOL`]) for a search to go on.
const STALL_WINDOW: usize = 100;

/// Minimises `f` from `starts` (and `extra` seeded random points around the first), each
/// searched to convergence; the best converged search wins (the best of all when none
/// converged). `f` must be finite at a start to be searched.
pub fn minimise(
    f: &(dyn Fn(&[f64]) -> f64 + Sync),
    starts: &[Vec<f64>],
    extra: usize,
    seed: u64,
    step: f64,
) -> Option<Optimum> {
    let bounded = |x: &[f64]| {
        if x.iter().all(|v| v.abs() <= BOUND) {
            f(x)
        } else {
            f64::INFINITY
        }
    };
    let mut points = starts.to_vec();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if let Some(first) = starts.first() {
        for _ in 0..extra {
            points.push(
                first
                    .iter()
                    .map(|v| v + rng.random_range(-2.0..2.0))
                    .collect(),
            );
        }
    }
    // The starts are searched side by side; the best is chosen in start order, so the
    // result does not depend on the number of threads.
    let found: Vec<Optimum> = points
        .into_par_iter()
        .filter(|p| bounded(p).is_finite())
        .map(|p| restarted(&bounded, p, step))
        .collect();
    let mut best: Option<Optimum> = None;
    for o in found {
        // A converged search beats one that ran out of evaluations (still creeping along a
        // flat valley); among equals, the lower value.
        let better = |b: &Optimum| (o.converged, -o.value) > (b.converged, -b.value);
        if best.as_ref().is_none_or(better) {
            best = Some(o);
        }
    }
    best
}

/// Nelder-Mead from `x0` (its first simplex `step` wide), restarted from its best point
/// (with a simplex [`RESTART_STEP`] wide) until the value stops improving.
fn restarted(f: &(dyn Fn(&[f64]) -> f64 + Sync), x0: Vec<f64>, step: f64) -> Optimum {
    let mut o = nelder_mead(f, x0, MAX_EVALUATIONS, step);
    for _ in 0..MAX_RESTARTS {
        if !o.converged || o.evaluations >= MAX_EVALUATIONS {
            break;
        }
        let again = nelder_mead(
            f,
            o.x.clone(),
            MAX_EVALUATIONS - o.evaluations,
            RESTART_STEP,
        );
        let gain = o.value - again.value;
        let evaluations = o.evaluations + again.evaluations;
        if again.value <= o.value {
            o = Optimum {
                evaluations,
                ..again
            };
        } else {
            o.evaluations = evaluations;
            o.converged &= again.converged;
        }
        if gain <= F_TOL * o.value.abs().max(1.0) {
            break;
        }
    }
    o
}

fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: Vec<f64>, limit: usize, width: f64) -> Optimum {
    let n = x0.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((x0.clone(), f(&x0)));
    for i in 0..n {
        let mut x = x0.clone();
        x[i] += width;
        let v = f(&x);
        simplex.push((x, v));
    }
    let mut evaluations = n + 1;
    let mut converged = false;
    // The best value a window of evaluations ago: a search that no longer improves it along
    // a flat valley (a limit the model tends to, such as BG/NBD's a, b → ∞ at a fixed
    // a/(a+b)) has converged in value, where its points would crawl on.
    let window = STALL_WINDOW * n;
    let mut mark = (evaluations, f64::INFINITY);
    while evaluations < limit {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        if settled(&simplex) {
            converged = true;
            break;
        }
        if evaluations >= mark.0 + window {
            let best = simplex[0].1;
            if mark.1 - best <= F_TOL * best.abs().max(1.0) {
                converged = true;
                break;
            }
            mark = (evaluations, best);
        }
        evaluations += step(f, &mut simplex);
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Optimum {
        x,
        value,
        converged,
        evaluations,
    }
}

/// Whether the sorted simplex's points and values have all come within the tolerances.
fn settled(simplex: &[(Vec<f64>, f64)]) -> bool {
    let (best, fb) = &simplex[0];
    simplex[1..].iter().all(|(x, v)| {
        (v - fb).abs() <= F_TOL * fb.abs().max(1.0)
            && x.iter().zip(best).all(|(a, b)| (a - b).abs() <= X_TOL)
    })
}

/// One reflection, expansion, contraction or shrink of the sorted simplex; the number of
/// evaluations it took.
fn step(f: &dyn Fn(&[f64]) -> f64, s: &mut [(Vec<f64>, f64)]) -> usize {
    let n = s.len() - 1;
    let centroid: Vec<f64> = (0..n)
        .map(|j| s[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
        .collect();
    let towards = |t: f64| -> Vec<f64> {
        centroid
            .iter()
            .zip(&s[n].0)
            .map(|(c, w)| c + t * (w - c))
            .collect()
    };
    let reflected = towards(-1.0);
    let fr = f(&reflected);
    if fr < s[0].1 {
        let expanded = towards(-2.0);
        let fe = f(&expanded);
        s[n] = if fe < fr {
            (expanded, fe)
        } else {
            (reflected, fr)
        };
        return 2;
    }
    if fr < s[n - 1].1 {
        s[n] = (reflected, fr);
        return 1;
    }
    // Contract outside when the reflection beat the worst point, inside otherwise.
    let (contracted, limit) = if fr < s[n].1 {
        (towards(-0.5), fr)
    } else {
        (towards(0.5), s[n].1)
    };
    let fc = f(&contracted);
    if fc <= limit {
        s[n] = (contracted, fc);
        return 2;
    }
    let best = s[0].0.clone();
    for p in s[1..].iter_mut() {
        p.0 =
            p.0.iter()
                .zip(&best)
                .map(|(x, b)| b + 0.5 * (x - b))
                .collect();
        p.1 = f(&p.0);
    }
    1 + n
}

#[cfg(test)]
mod tests {
    use super::{minimise, FIRST_STEP};

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let o = minimise(&rosen, &[vec![-1.2, 1.0]], 2, 7, FIRST_STEP).unwrap();
        assert!(o.converged);
        assert!(
            (o.x[0] - 1.0).abs() < 1e-6 && (o.x[1] - 1.0).abs() < 1e-6,
            "{o:?}"
        );
        // Same seed, same answer, bit for bit.
        let again = minimise(&rosen, &[vec![-1.2, 1.0]], 2, 7, FIRST_STEP).unwrap();
        assert_eq!(o.x, again.x);
    }

    #[test]
    fn stays_within_the_bound() {
        // The minimum is at −∞; the search stops at the bound, never beyond.
        let o = minimise(&|x: &[f64]| x[0], &[vec![0.0]], 0, 1, FIRST_STEP).unwrap();
        assert!(o.x[0] >= -super::BOUND && o.x[0] < -29.0, "{o:?}");
    }
}
