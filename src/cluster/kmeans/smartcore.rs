//! K-means through smartcore: k-means++ seeding and Lloyd iterations (smartcore runs one
//! initialisation per fit, so we run `n_init` seeded fits and keep the lowest WCSS).
//!
//! smartcore keeps its centroids and inertia private, so labels come from `predict` and
//! WCSS and centroids are computed here from the labels.

use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::{check_k, compact, nearest};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::metrics::{centroids, wcss};

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
