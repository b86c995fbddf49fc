//! Clustering algorithms and the canonical labelling shared by all of them.

pub mod agglomerative;
pub mod dbscan;
pub mod gmm;
pub mod hdbscan;
pub mod kmeans;
pub mod place;
pub mod stability;

use serde::{Deserialize, Serialize};

pub use agglomerative::Linkage;

use crate::matrix::Matrix;
use crate::metrics::centroids_without_noise;

/// Which algorithm fitted a model (`kmeans`, `dbscan`, `agglomerative` in the artifacts
/// and model.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Kmeans,
    Dbscan,
    Agglomerative,
    Hdbscan,
    Gmm,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Kmeans => "kmeans",
            Algorithm::Dbscan => "dbscan",
            Algorithm::Agglomerative => "agglomerative",
            Algorithm::Hdbscan => "hdbscan",
            Algorithm::Gmm => "gmm",
        }
    }
}

/// Label given to DBSCAN noise points.
pub const NOISE: i64 = -1;

/// What one algorithm fitted, beyond the labels and centroids every model has. The variant
/// names the algorithm: adding one is a change the compiler guides through every `match`.
#[derive(Debug, Clone, PartialEq)]
pub enum Fit {
    /// K-means with the k asked for.
    Kmeans { k: usize },
    /// DBSCAN with its radius (the resolved value when `auto`), its min_samples and its
    /// core points (rows of the model matrix; none in model.json, which keeps the chosen
    /// model's as coordinates).
    Dbscan {
        eps: f64,
        min_samples: usize,
        core_points: Vec<usize>,
    },
    /// A hierarchical tree cut at k clusters.
    /// With the top of the tree for the report's chart (kept in the stage's state, not in
    /// model.json).
    Agglomerative {
        k: usize,
        linkage: Linkage,
        top: Option<agglomerative::TreeTop>,
    },
    /// HDBSCAN: its settings, its clustered rows (the members new customers are placed
    /// by) with their core distances, and each row's membership strength (0 for noise;
    /// kept in the clusters artifact, not in JSON).
    Hdbscan {
        min_cluster_size: usize,
        min_samples: usize,
        members: Vec<usize>,
        radii: Vec<f64>,
        strength: Vec<f64>,
    },
    /// A Gaussian mixture of k components (in segment order) with its mean log-likelihood
    /// per row, and each row's posterior probability of its segment (not in JSON).
    Gmm {
        k: usize,
        mixture: gmm::Mixture,
        log_likelihood: f64,
        probability: Vec<f64>,
    },
}

impl Fit {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Fit::Kmeans { .. } => Algorithm::Kmeans,
            Fit::Dbscan { .. } => Algorithm::Dbscan,
            Fit::Agglomerative { .. } => Algorithm::Agglomerative,
            Fit::Hdbscan { .. } => Algorithm::Hdbscan,
            Fit::Gmm { .. } => Algorithm::Gmm,
        }
    }

    /// The same fit without the row numbers and per-row values (model.json holds the
    /// chosen model's points as coordinates).
    pub fn without_rows(&self) -> Fit {
        match self {
            Fit::Hdbscan {
                min_cluster_size,
                min_samples,
                ..
            } => Fit::Hdbscan {
                min_cluster_size: *min_cluster_size,
                min_samples: *min_samples,
                members: Vec::new(),
                radii: Vec::new(),
                strength: Vec::new(),
            },
            Fit::Dbscan {
                eps, min_samples, ..
            } => Fit::Dbscan {
                eps: *eps,
                min_samples: *min_samples,
                core_points: Vec::new(),
            },
            Fit::Gmm {
                k,
                mixture,
                log_likelihood,
                ..
            } => Fit::Gmm {
                k: *k,
                mixture: mixture.clone(),
                log_likelihood: *log_likelihood,
                probability: Vec::new(),
            },
            Fit::Agglomerative { k, linkage, .. } => Fit::Agglomerative {
                k: *k,
                linkage: *linkage,
                top: None,
            },
            other => other.clone(),
        }
    }
}

/// One fitted model: its labels in canonical order and what `assign` needs to reuse it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "ModelJson", try_from = "ModelJson")]
pub struct Model {
    /// Column name in the clusters artifact, e.g. `kmeans_k5` or `dbscan`.
    pub name: String,
    pub fit: Fit,
    /// Number of clusters found (without noise).
    pub n_clusters: usize,
    /// One label per row of the model matrix; kept in the clusters artifact, not in JSON.
    pub labels: Vec<i64>,
    /// Cluster means in the scaled space, by label.
    pub centroids: Vec<Vec<f64>>,
    /// The segment id of each centroid when the ids were kept from a reference run
    /// (`cluster.reference`); empty when a centroid's index is its id.
    pub segment_ids: Vec<i64>,
}

impl Model {
    /// The segment id of centroid `i`.
    pub fn segment_id(&self, i: usize) -> i64 {
        self.segment_ids.get(i).copied().unwrap_or(i as i64)
    }

    pub fn algorithm(&self) -> Algorithm {
        self.fit.algorithm()
    }

    /// The k asked for (K-means only).
    pub fn k(&self) -> Option<usize> {
        match self.fit {
            Fit::Kmeans { k } | Fit::Agglomerative { k, .. } | Fit::Gmm { k, .. } => Some(k),
            Fit::Dbscan { .. } | Fit::Hdbscan { .. } => None,
        }
    }
}

/// A model as model.json and the cache hold it (the fields of schema version 1, flat).
#[derive(Serialize, Deserialize)]
struct ModelJson {
    name: String,
    algorithm: Algorithm,
    k: Option<usize>,
    n_clusters: usize,
    centroids: Vec<Vec<f64>>,
    eps: Option<f64>,
    min_samples: Option<usize>,
    core_points: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    segment_ids: Vec<i64>,
    /// Agglomerative models only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    linkage: Option<Linkage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tree: Option<agglomerative::TreeTop>,
    /// HDBSCAN models only: the smallest cluster, and each member's core distance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_cluster_size: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    radii: Vec<f64>,
    /// Gaussian mixtures only: the components and the mean log-likelihood.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mixture: Option<gmm::Mixture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_likelihood: Option<f64>,
}

impl From<Model> for ModelJson {
    fn from(m: Model) -> ModelJson {
        let algorithm = m.algorithm();
        let (mut linkage, mut min_cluster_size, mut member_radii) = (None, None, Vec::new());
        let (mut components, mut ll, mut tree) = (None, None, None);
        let (k, eps, min_samples, core_points) = match m.fit {
            Fit::Kmeans { k } => (Some(k), None, None, Vec::new()),
            Fit::Dbscan {
                eps,
                min_samples,
                core_points,
            } => (None, Some(eps), Some(min_samples), core_points),
            Fit::Agglomerative {
                k,
                linkage: l,
                top: t,
            } => {
                linkage = Some(l);
                tree = t;
                (Some(k), None, None, Vec::new())
            }
            Fit::Hdbscan {
                min_cluster_size: m,
                min_samples,
                members,
                radii,
                ..
            } => {
                min_cluster_size = Some(m);
                member_radii = radii;
                (None, None, Some(min_samples), members)
            }
            Fit::Gmm {
                k,
                mixture,
                log_likelihood,
                ..
            } => {
                components = Some(mixture);
                ll = Some(log_likelihood);
                (Some(k), None, None, Vec::new())
            }
        };
        ModelJson {
            name: m.name,
            algorithm,
            k,
            n_clusters: m.n_clusters,
            centroids: m.centroids,
            eps,
            min_samples,
            core_points,
            segment_ids: m.segment_ids,
            linkage,
            tree,
            min_cluster_size,
            radii: member_radii,
            mixture: components,
            log_likelihood: ll,
        }
    }
}

impl TryFrom<ModelJson> for Model {
    type Error = String;

    fn try_from(j: ModelJson) -> Result<Model, String> {
        let missing =
            |what: &str| format!("{} model `{}` has no {what}", j.algorithm.as_str(), j.name);
        let fit = match j.algorithm {
            Algorithm::Kmeans => Fit::Kmeans {
                k: j.k.ok_or_else(|| missing("k"))?,
            },
            Algorithm::Dbscan => Fit::Dbscan {
                eps: j.eps.ok_or_else(|| missing("eps"))?,
                min_samples: j.min_samples.ok_or_else(|| missing("min_samples"))?,
                core_points: j.core_points,
            },
            Algorithm::Agglomerative => Fit::Agglomerative {
                k: j.k.ok_or_else(|| missing("k"))?,
                linkage: j.linkage.ok_or_else(|| missing("linkage"))?,
                top: j.tree,
            },
            Algorithm::Hdbscan => Fit::Hdbscan {
                min_cluster_size: j
                    .min_cluster_size
                    .ok_or_else(|| missing("min_cluster_size"))?,
                min_samples: j.min_samples.ok_or_else(|| missing("min_samples"))?,
                members: j.core_points,
                radii: j.radii,
                strength: Vec::new(),
            },
            Algorithm::Gmm => {
                let m = j.mixture.ok_or_else(|| missing("mixture"))?;
                let mixture = gmm::Mixture::new(m.covariance, m.weights, m.means, m.covariances)
                    .map_err(|_| format!("gmm model `{}` has components whose weights, means or covariances do not hold together", j.name))?;
                Fit::Gmm {
                    k: j.k.ok_or_else(|| missing("k"))?,
                    mixture,
                    log_likelihood: j.log_likelihood.ok_or_else(|| missing("log_likelihood"))?,
                    probability: Vec::new(),
                }
            }
        };
        Ok(Model {
            name: j.name,
            fit,
            n_clusters: j.n_clusters,
            labels: Vec::new(),
            centroids: j.centroids,
            segment_ids: j.segment_ids,
        })
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
    fn models_keep_the_flat_json_of_schema_version_1() {
        let m = Model {
            name: "dbscan".into(),
            fit: Fit::Dbscan {
                eps: 0.5,
                min_samples: 4,
                core_points: vec![3],
            },
            n_clusters: 1,
            labels: vec![0, -1],
            centroids: vec![vec![1.0]],
            segment_ids: Vec::new(),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"name":"dbscan","algorithm":"dbscan","k":null,"n_clusters":1,"centroids":[[1.0]],"eps":0.5,"min_samples":4,"core_points":[3]}"#
        );
        let back: Model = serde_json::from_str(&json).unwrap();
        assert_eq!((back.fit, back.labels.len()), (m.fit, 0));
        let no_eps = json.replace(r#""eps":0.5"#, r#""eps":null"#);
        let err = serde_json::from_str::<Model>(&no_eps).unwrap_err();
        assert!(
            err.to_string().contains("dbscan model `dbscan` has no eps"),
            "{err}"
        );
        let km = r#"{"name":"kmeans_k2","algorithm":"kmeans","k":2,"n_clusters":2,"centroids":[],"eps":null,"min_samples":null,"core_points":[]}"#;
        let km: Model = serde_json::from_str(km).unwrap();
        assert_eq!((km.k(), km.algorithm()), (Some(2), Algorithm::Kmeans));
    }

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
