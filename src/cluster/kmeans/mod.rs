//! K-means: `n_init` seeded runs of an engine, keeping the lowest WCSS. The default engine is
//! segflow's own parallel Lloyd loop ([`lloyd`], with its distance [`kernels`]); smartcore's
//! KMeans ([`smartcore`]) is the other, kept as a reference.

mod kernels;
pub mod lloyd;
pub mod smartcore;

use crate::data_err;
use crate::error::{Error, Result};
use crate::matrix::{sq_dist, Matrix};
use crate::metrics::{dense_labels, wcss};

/// Which implementation runs the K-means iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Engine {
    /// segflow's parallel Lloyd with greedy k-means++ (the default).
    Lloyd,
    /// smartcore 0.7's KMeans (single-threaded).
    Smartcore,
}

/// Labels (0..k, possibly fewer clusters if one emptied) and WCSS of the best of `n_init`
/// seeded runs of the chosen engine.
pub fn fit_with(
    engine: Engine,
    x: &Matrix,
    k: usize,
    n_init: usize,
    max_iter: usize,
    seed: u64,
) -> Result<(Vec<usize>, f64)> {
    fit_full(engine, x, k, n_init, max_iter, seed).map(|(l, w, _)| (l, w))
}

/// Labels, WCSS, and the centroids the labels were assigned to (when not the label means).
pub type FullFit = (Vec<usize>, f64, Option<Vec<Vec<f64>>>);

/// As [`fit_with`], plus the centroids the labels are nearest to (for the lloyd engine,
/// the final centroids; for smartcore, whose labels are polished to a fixed point, `None`:
/// the label means are those centroids).
pub fn fit_full(
    engine: Engine,
    x: &Matrix,
    k: usize,
    n_init: usize,
    max_iter: usize,
    seed: u64,
) -> Result<FullFit> {
    match engine {
        Engine::Smartcore => {
            smartcore::fit(x, k, n_init, max_iter, seed).map(|(l, w)| (l, w, None))
        }
        Engine::Lloyd => {
            check_k(x, k)?;
            let mut best: Option<FullFit> = None;
            for run in 0..n_init {
                let (labels, cents, _) =
                    lloyd::fit_once(x, k, max_iter, seed.wrapping_add(run as u64));
                // Drop centroids that ended up with no points, renumbering the rest.
                let mut used: Vec<usize> = labels.clone();
                used.sort_unstable();
                used.dedup();
                let mut map = vec![usize::MAX; k];
                for (new, &old) in used.iter().enumerate() {
                    map[old] = new;
                }
                let labels: Vec<usize> = labels.iter().map(|&l| map[l]).collect();
                let cents: Vec<Vec<f64>> = used.iter().map(|&c| cents[c].clone()).collect();
                let w = wcss(x, &labels, used.len());
                if best.as_ref().is_none_or(|(_, bw, _)| w < *bw) {
                    best = Some((labels, w, Some(cents)));
                }
            }
            best.ok_or_else(|| Error::Internal("n_init is zero".into()))
        }
    }
}

pub(super) fn check_k(x: &Matrix, k: usize) -> Result<()> {
    if k > x.n {
        return Err(data_err!(
            "k = {k} is larger than the {} customers left to cluster",
            x.n
        ));
    }
    let distinct = super::distinct_rows(x, k);
    if distinct < k {
        return Err(data_err!(
            "k = {k} but the data has only {distinct} distinct point(s): lower cluster.kmeans.k"
        ));
    }
    Ok(())
}

/// Index of the centroid nearest to `row` (the first one on ties).
pub fn nearest(centroids: &[Vec<f64>], row: &[f64]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (c, cent) in centroids.iter().enumerate() {
        let d = sq_dist(row, cent);
        if d < best.0 {
            best = (d, c);
        }
    }
    best.1
}

/// Renumbers labels so that the clusters used are exactly 0..k' (a cluster can empty out).
pub(super) fn compact(labels: Vec<usize>) -> Vec<usize> {
    dense_labels(labels).0
}
