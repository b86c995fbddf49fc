//! Clustering algorithms and the canonical labelling shared by all of them.

pub mod dbscan;
pub mod kmeans;
pub mod place;
pub mod stability;

use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;
use crate::metrics::centroids_without_noise;

/// Which algorithm fitted a model (`kmeans` or `dbscan` in the artifacts and model.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Kmeans,
    Dbscan,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Kmeans => "kmeans",
            Algorithm::Dbscan => "dbscan",
        }
    }
}

/// Label given to DBSCAN noise points.
pub const NOISE: i64 = -1;

/// One fitted model: its labels in canonical order and what `assign` needs to reuse it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Column name in the clusters artifact, e.g. `kmeans_k5` or `dbscan`.
    pub name: String,
    pub algorithm: Algorithm,
    /// The k asked for (K-means only).
    pub k: Option<usize>,
    /// Number of clusters found (without noise).
    pub n_clusters: usize,
    /// One label per row of the model matrix; kept in the clusters artifact, not in JSON.
    #[serde(skip)]
    pub labels: Vec<i64>,
    /// Cluster means in the scaled space, by label.
    pub centroids: Vec<Vec<f64>>,
    /// DBSCAN's radius (the resolved value when `auto`).
    pub eps: Option<f64>,
    pub min_samples: Option<usize>,
    /// DBSCAN core points (rows of the model matrix).
    pub core_points: Vec<usize>,
    /// The segment id of each centroid when the ids were kept from a reference run
    /// (`cluster.reference`); empty when a centroid's index is its id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_ids: Vec<i64>,
}

impl Model {
    /// The segment id of centroid `i`.
    pub fn segment_id(&self, i: usize) -> i64 {
        self.segment_ids.get(i).copied().unwrap_or(i as i64)
    }
}

/// Renumbers clusters canonically: largest first, ties broken by the centroid coordinates,
/// so the same partition gets the same ids on any machine, thread count or run.
/// Noise (-1) stays -1. Returns the new labels and the centroids in the new order.
pub fn canonical_labels(x: &Matrix, labels: &[i64]) -> (Vec<i64>, Vec<Vec<f64>>) {
    let k = labels
        .iter()
        .copied()
        .max()
        .map_or(0, |m| (m + 1).max(0) as usize);
    let (sizes, cents) = centroids_without_noise(x, labels, k);
    let mut order: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    order.sort_by(|&a, &b| {
        sizes[b].cmp(&sizes[a]).then_with(|| {
            cents[a]
                .iter()
                .zip(&cents[b])
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut map = vec![NOISE; k];
    for (new, &old) in order.iter().enumerate() {
        map[old] = new as i64;
    }
    let relabeled = labels
        .iter()
        .map(|&l| if l < 0 { NOISE } else { map[l as usize] })
        .collect();
    let new_cents = order.iter().map(|&c| cents[c].clone()).collect();
    (relabeled, new_cents)
}

/// Number of distinct rows of `x` (capped at `cap`, to keep the check cheap).
pub fn distinct_rows(x: &Matrix, cap: usize) -> usize {
    let mut seen = std::collections::HashSet::new();
    for i in 0..x.n {
        let key: Vec<u64> = x.row(i).iter().map(|v| v.to_bits()).collect();
        seen.insert(key);
        if seen.len() >= cap {
            break;
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_is_by_size_then_centroid() {
        let x = Matrix::new(6, 1, vec![5.0, 5.0, 0.0, 0.0, 9.0, 1.0]);
        // clusters: 7 -> {5,5}, 3 -> {0,0}, 1 -> {9}, 0 -> {1}; one noise point
        let labels = vec![2, 2, 1, 1, -1, 0];
        let (l, c) = canonical_labels(&x, &labels);
        // sizes tie (2, 2): smaller centroid (0.0) first.
        assert_eq!(l, vec![1, 1, 0, 0, -1, 2]);
        assert_eq!(c, vec![vec![0.0], vec![5.0], vec![1.0]]);
    }
}
