//! Stability of a clustering under resampling, after Hennig (2007), "Cluster-wise assessment
//! of cluster stability" (R's `fpc::clusterboot`, its `subset` scheme): each resample is half
//! of the rows drawn without replacement (at most `sample` rows: a fixed cost on large
//! tables), the model's algorithm is fitted again with the model's own settings, and each original
//! cluster is compared with the clusters of the refit on the resampled rows. A cluster's
//! stability is the mean over resamples of its best Jaccard similarity with a new cluster;
//! it is "found again" in a resample when that Jaccard is at least 0.5 (Hennig's dissolution
//! threshold). The adjusted Rand index of the original and the refitted labels on the
//! resampled rows says the same for the whole partition.
//!
//! Every resample has its own seed drawn from the run's, so the numbers are the same on any
//! thread count. Noise (label -1, DBSCAN) is no cluster: it has no stability and is not a
//! cluster a refit can match.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::matrix::Matrix;

/// Fits a model's algorithm again on a resample (rows, seed): its labels, `None` when it
/// cannot.
pub type Refit<'a> = dyn Fn(&Matrix, u64) -> Option<Vec<i64>> + Sync + 'a;

/// The Jaccard at or above which a cluster counts as found again in a resample.
pub const FOUND: f64 = 0.5;

/// How stable a model's clusters are.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stability {
    /// Resamples whose refit succeeded.
    pub resamples: usize,
    /// Per cluster (by label): the mean best Jaccard over the resamples it appeared in.
    pub jaccard: Vec<f64>,
    /// Per cluster: the resamples in which its best Jaccard was at least [`FOUND`].
    pub found: Vec<usize>,
    /// The mean adjusted Rand index between the labels and the refits' on the resamples.
    pub ari: f64,
}

impl Stability {
    /// The mean of the clusters' stabilities (`None` without clusters or resamples).
    pub fn mean(&self) -> Option<f64> {
        (self.resamples > 0 && !self.jaccard.is_empty())
            .then(|| self.jaccard.iter().sum::<f64>() / self.jaccard.len() as f64)
    }

    /// The least stable cluster's stability (`None` without clusters or resamples).
    pub fn min(&self) -> Option<f64> {
        self.jaccard
            .iter()
            .copied()
            .reduce(f64::min)
            .filter(|_| self.resamples > 0)
    }
}

/// The rows of one resample: half of the `n` rows, at most `sample`, drawn without
/// replacement, in their order. (A bootstrap of all rows costs as much as the fit itself
/// per resample, and its repeated rows make density-based refits see clusters that are not
/// there.)
fn draw(n: usize, sample: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let m = (n / 2).clamp(1.min(n), sample.max(1));
    let mut rows = rand::seq::index::sample(rng, n, m).into_vec();
    rows.sort_unstable();
    rows
}

/// The stability of `labels` (clusters `0..clusters`, noise `-1`) on `x`, over `resamples`
/// resamples; `refit` fits the model's algorithm on a matrix with a seed and returns its
/// labels (`None` when it cannot, e.g. fewer distinct rows than k: that resample is left
/// out).
pub fn assess(
    x: &Matrix,
    labels: &[i64],
    clusters: usize,
    resamples: usize,
    sample: usize,
    seed: u64,
    refit: &Refit<'_>,
) -> Stability {
    let per: Vec<Option<(Vec<Option<f64>>, f64)>> = (0..resamples)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(
                seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(b as u64 + 1)),
            );
            let rows = draw(x.n, sample, &mut rng);
            let fitted = refit(&x.select_rows(&rows), rng.random())?;
            Some(compare(labels, clusters, &rows, &fitted))
        })
        .collect();
    let done: Vec<&(Vec<Option<f64>>, f64)> = per.iter().flatten().collect();
    let mut jaccard = vec![0.0; clusters];
    let mut found = vec![0; clusters];
    for c in 0..clusters {
        let seen: Vec<f64> = done.iter().filter_map(|(j, _)| j[c]).collect();
        jaccard[c] = if seen.is_empty() {
            0.0
        } else {
            seen.iter().sum::<f64>() / seen.len() as f64
        };
        found[c] = seen.iter().filter(|&&j| j >= FOUND).count();
    }
    let ari = match done.len() {
        0 => 0.0,
        n => done.iter().map(|(_, a)| a).sum::<f64>() / n as f64,
    };
    Stability {
        resamples: done.len(),
        jaccard,
        found,
        ari,
    }
}

/// One resample: each original cluster's best Jaccard with a refitted cluster over the
/// distinct resampled rows (`None` for a cluster none of whose rows was drawn), and the
/// adjusted Rand index of the two labellings on those rows.
fn compare(
    labels: &[i64],
    clusters: usize,
    rows: &[usize],
    fitted: &[i64],
) -> (Vec<Option<f64>>, f64) {
    // Each drawn row once (a bootstrap repeats rows; repeats carry the same label).
    let mut seen = vec![false; labels.len()];
    let mut pairs: Vec<(i64, i64)> = Vec::new();
    for (&r, &f) in rows.iter().zip(fitted) {
        if !std::mem::replace(&mut seen[r], true) {
            pairs.push((labels[r], f));
        }
    }
    let new_k = fitted
        .iter()
        .copied()
        .max()
        .map_or(0, |m| (m + 1).max(0) as usize);
    let mut table = vec![vec![0usize; new_k]; clusters];
    let (mut size_old, mut size_new) = (vec![0usize; clusters], vec![0usize; new_k]);
    for &(o, f) in &pairs {
        if o >= 0 {
            size_old[o as usize] += 1;
        }
        if f >= 0 {
            size_new[f as usize] += 1;
        }
        if o >= 0 && f >= 0 {
            table[o as usize][f as usize] += 1;
        }
    }
    let jaccard = (0..clusters)
        .map(|c| {
            (size_old[c] > 0).then(|| {
                (0..new_k)
                    .map(|j| {
                        let both = table[c][j] as f64;
                        both / (size_old[c] + size_new[j] - table[c][j]) as f64
                    })
                    .fold(0.0, f64::max)
            })
        })
        .collect();
    let (a, b): (Vec<i64>, Vec<i64>) = pairs.into_iter().unzip();
    (jaccard, adjusted_rand(&a, &b))
}

/// The adjusted Rand index of two labellings (noise `-1` is one more label); 1 when both put
/// every row in one cluster.
pub fn adjusted_rand(a: &[i64], b: &[i64]) -> f64 {
    let pairs = |n: usize| (n as f64) * (n as f64 - 1.0) / 2.0;
    // Labels are small: -1 (noise) and 0..k. Counts in dense tables, offset by one; the sums
    // of whole numbers are exact in any order.
    let width = |v: &[i64]| {
        v.iter()
            .copied()
            .max()
            .map_or(0, |m| (m.max(-1) + 2) as usize)
    };
    let (wa, wb) = (width(a), width(b));
    let mut joint = vec![0usize; wa * wb];
    let (mut ra, mut rb) = (vec![0usize; wa], vec![0usize; wb]);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = ((x.max(-1) + 1) as usize, (y.max(-1) + 1) as usize);
        joint[x * wb + y] += 1;
        ra[x] += 1;
        rb[y] += 1;
    }
    let index: f64 = joint.iter().map(|&n| pairs(n)).sum();
    let sa: f64 = ra.iter().map(|&n| pairs(n)).sum();
    let sb: f64 = rb.iter().map(|&n| pairs(n)).sum();
    let total = pairs(a.len());
    if total == 0.0 {
        return 1.0;
    }
    let expected = sa * sb / total;
    let max = (sa + sb) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups far apart, refit by splitting on the first coordinate.
    fn two_groups() -> (Matrix, Vec<i64>) {
        let mut data = Vec::new();
        let mut labels = Vec::new();
        for i in 0..100 {
            let g = i % 2;
            data.extend([g as f64 * 10.0 + (i as f64) * 0.001, 0.0]);
            labels.push(g as i64);
        }
        (Matrix::new(100, 2, data), labels)
    }

    #[test]
    fn separated_groups_are_found_in_every_resample() {
        let (x, labels) = two_groups();
        let split = |m: &Matrix, _| Some((0..m.n).map(|i| i64::from(m.row(i)[0] > 5.0)).collect());
        let s = assess(&x, &labels, 2, 20, 1000, 7, &split);
        assert_eq!(s.resamples, 20);
        assert_eq!(s.jaccard, [1.0, 1.0]);
        assert_eq!(s.found, [20, 20]);
        assert_eq!(s.ari, 1.0);
        // The same numbers from smaller subsamples, and on any thread count.
        let sub = assess(&x, &labels, 2, 20, 10, 7, &split);
        assert_eq!(sub.jaccard, [1.0, 1.0]);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(
            one.install(|| assess(&x, &labels, 2, 20, 1000, 7, &split)),
            s
        );
    }

    #[test]
    fn a_cluster_the_refit_does_not_see_scores_low() {
        let (x, labels) = two_groups();
        // A refit that puts everyone together: each cluster's best Jaccard is its share.
        let lump = |m: &Matrix, _| Some(vec![0; m.n]);
        let s = assess(&x, &labels, 2, 10, 1000, 3, &lump);
        assert!(
            s.jaccard.iter().all(|&j| j > 0.3 && j < 0.7),
            "{:?}",
            s.jaccard
        );
        assert!(s.ari.abs() < 1e-12);
        // A refit that fails is left out.
        let fails = |_: &Matrix, _| None;
        let none = assess(&x, &labels, 2, 10, 1000, 3, &fails);
        assert_eq!((none.resamples, none.mean(), none.min()), (0, None, None));
    }

    #[test]
    fn adjusted_rand_matches_scikit_learn() {
        // The example of scikit-learn's documentation of adjusted_rand_score:
        // adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.57…
        let a = adjusted_rand(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((a - 4.0 / 7.0).abs() < 1e-12, "{a}");
        assert_eq!(adjusted_rand(&[1, 1, 0], &[5, 5, 7]), 1.0);
    }
}
