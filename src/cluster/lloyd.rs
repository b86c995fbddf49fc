//! K-means, segflow's own engine: greedy k-means++ seeding (as scikit-learn: 2 + ln k
//! candidates per step, the one that lowers the potential most) and Lloyd iterations until no
//! label changes.
//!
//! Why not only smartcore: measured on 1M×4, k = 5, smartcore 0.7 took 3.9 s to converge
//! where a plain Lloyd loop took 0.26 s to the same WCSS, and smartcore runs on one core.
//! Here each iteration runs in parallel over fixed blocks of rows whose partial sums are
//! added in block order, so the result does not depend on the number of threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::matrix::{sq_dist, Matrix};

/// Rows per parallel block; fixed so that sums are added in the same order on any machine.
const BLOCK: usize = 4096;

/// One block's labels, per-cluster coordinate sums and counts, and cost.
type Block = (Vec<usize>, Vec<f64>, Vec<usize>, f64);

/// Labels (0..k) and WCSS of one seeded run.
pub fn fit_once(x: &Matrix, k: usize, max_iter: usize, seed: u64) -> (Vec<usize>, f64) {
    let mut centroids = seed_plus_plus(x, k, seed);
    let mut labels = vec![usize::MAX; x.n];
    let mut wcss = f64::INFINITY;
    for _ in 0..max_iter.max(1) {
        let blocks: Vec<Block> = (0..x.n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| {
                let rows = b * BLOCK..((b + 1) * BLOCK).min(x.n);
                let mut lab = Vec::with_capacity(rows.len());
                let mut sums = vec![0.0; k * x.d];
                let mut counts = vec![0usize; k];
                let mut cost = 0.0;
                for i in rows {
                    let (c, d2) = nearest(&centroids, x.row(i));
                    lab.push(c);
                    counts[c] += 1;
                    cost += d2;
                    for (s, v) in sums[c * x.d..(c + 1) * x.d].iter_mut().zip(x.row(i)) {
                        *s += v;
                    }
                }
                (lab, sums, counts, cost)
            })
            .collect();
        let mut sums = vec![0.0; k * x.d];
        let mut counts = vec![0usize; k];
        let mut new_labels = Vec::with_capacity(x.n);
        wcss = 0.0;
        for (lab, s, c, cost) in blocks {
            new_labels.extend(lab);
            sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
            counts.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
            wcss += cost;
        }
        let changed = new_labels != labels;
        labels = new_labels;
        if !changed {
            break;
        }
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..x.d {
                    centroids[c][j] = sums[c * x.d + j] / counts[c] as f64;
                }
            } else {
                // An empty cluster restarts at the point farthest from its centroid.
                let far = (0..x.n)
                    .max_by(|&a, &b| {
                        let da = sq_dist(x.row(a), &centroids[labels[a]]);
                        let db = sq_dist(x.row(b), &centroids[labels[b]]);
                        da.total_cmp(&db).then(b.cmp(&a))
                    })
                    .unwrap_or(0);
                centroids[c] = x.row(far).to_vec();
            }
        }
    }
    (labels, wcss)
}

/// Nearest centroid and its squared distance (the first one on ties).
#[inline]
fn nearest(centroids: &[Vec<f64>], row: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, cent) in centroids.iter().enumerate() {
        let d = sq_dist(row, cent);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Greedy k-means++: each new centre is the best of `2 + ln k` candidates drawn with
/// probability proportional to the squared distance to the nearest chosen centre.
pub fn seed_plus_plus(x: &Matrix, k: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = vec![x.row(rng.random_range(0..x.n)).to_vec()];
    let mut closest: Vec<f64> = (0..x.n)
        .into_par_iter()
        .map(|i| sq_dist(x.row(i), &centres[0]))
        .collect();
    let mut potential: f64 = closest.iter().sum();
    while centres.len() < k {
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                if potential <= 0.0 {
                    return rng.random_range(0..x.n);
                }
                let target = rng.random::<f64>() * potential;
                let mut acc = 0.0;
                for (i, d) in closest.iter().enumerate() {
                    acc += d;
                    if acc >= target {
                        return i;
                    }
                }
                x.n - 1
            })
            .collect();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for c in candidates {
            let cand = x.row(c);
            let dists: Vec<f64> = (0..x.n)
                .into_par_iter()
                .map(|i| closest[i].min(sq_dist(x.row(i), cand)))
                .collect();
            let pot: f64 = dists.chunks(BLOCK).map(|b| b.iter().sum::<f64>()).sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, c, dists));
            }
        }
        if let Some((pot, c, dists)) = best {
            centres.push(x.row(c).to_vec());
            closest = dists;
            potential = pot;
        }
    }
    centres
}
