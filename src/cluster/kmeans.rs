//! K-means through smartcore: k-means++ seeding and Lloyd iterations (smartcore runs one
//! initialisation per fit, so we run `n_init` seeded fits and keep the lowest WCSS).
//!
//! smartcore keeps its centroids and inertia private, so labels come from `predict` and
//! WCSS and centroids are computed here from the labels.

use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::data_err;
use crate::error::{Error, Result};
use crate::matrix::{sq_dist, Matrix};
use crate::metrics::{centroids, dense_labels, wcss};

/// Which implementation runs the K-means iterations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        Engine::Smartcore => fit(x, k, n_init, max_iter, seed).map(|(l, w)| (l, w, None)),
        Engine::Lloyd => {
            check_k(x, k)?;
            let mut best: Option<FullFit> = None;
            for run in 0..n_init {
                let (labels, cents, _) =
                    super::lloyd::fit_once(x, k, max_iter, seed.wrapping_add(run as u64));
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

fn check_k(x: &Matrix, k: usize) -> Result<()> {
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

/// smartcore's KMeans: labels and WCSS of the best of `n_init` seeded fits.
pub fn fit(
    x: &Matrix,
    k: usize,
    n_init: usize,
    max_iter: usize,
    seed: u64,
) -> Result<(Vec<usize>, f64)> {
    check_k(x, k)?;
    let dm = DenseMatrix::new(x.n, x.d, x.data.clone(), false)
        .map_err(|e| Error::Internal(format!("building the smartcore matrix: {e}")))?;
    let mut best: Option<(Vec<usize>, f64)> = None;
    for run in 0..n_init {
        let params = KMeansParameters {
            k,
            max_iter,
            seed: Some(seed.wrapping_add(run as u64)),
        };
        let labels = std::panic::catch_unwind(|| {
            let model: KMeans<f64, usize, DenseMatrix<f64>, Vec<usize>> =
                KMeans::fit(&dm, params).map_err(|e| e.to_string())?;
            model.predict(&dm).map_err(|e| e.to_string())
        })
        .map_err(|_| Error::Internal(format!("smartcore K-means panicked (k = {k})")))?
        .map_err(|e| Error::Internal(format!("smartcore K-means (k = {k}): {e}")))?;
        let labels = polish(x, compact(labels), max_iter);
        let kk = labels.iter().max().map_or(0, |m| m + 1);
        let w = wcss(x, &labels, kk);
        if best.as_ref().is_none_or(|(_, bw)| w < *bw) {
            best = Some((labels, w));
        }
    }
    best.ok_or_else(|| Error::Internal("n_init is zero".into()))
}

/// Lloyd steps until every point is nearest to its own cluster's mean. smartcore stops when
/// the distortion stops falling, which can leave a point nearer another mean; after this,
/// `assign` (nearest centroid) gives every training customer its own segment back.
fn polish(x: &Matrix, mut labels: Vec<usize>, max_iter: usize) -> Vec<usize> {
    for _ in 0..max_iter {
        let k = labels.iter().max().map_or(0, |m| m + 1);
        let (_, cents) = centroids(x, &labels, k);
        let next: Vec<usize> = (0..x.n).map(|i| nearest(&cents, x.row(i))).collect();
        if next == labels {
            break;
        }
        labels = compact(next);
    }
    labels
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
fn compact(labels: Vec<usize>) -> Vec<usize> {
    dense_labels(labels).0
}
