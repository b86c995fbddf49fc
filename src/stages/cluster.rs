//! Stage 5, cluster: K-means for every configured k and/or DBSCAN on the model matrix.
//! Labels are put in canonical order (see `cluster::canonical_labels`).

use polars::prelude::*;
use rayon::prelude::*;

use crate::cluster::{
    agglomerative, canonical_labels, dbscan, gmm, hdbscan, kmeans, Fit, Model, NOISE,
};
use crate::config::{
    AgglomerativePlan, ClusterPlan, DbscanPlan, Eps, GmmPlan, HdbscanPlan, KMeansPlan,
};
use crate::data_err;
use crate::error::Result;
use crate::matrix::Matrix;
use crate::metrics::silhouette::sample_indices;

/// Rows used to estimate `eps: auto` from the k-distance curve.
const AUTO_EPS_SAMPLE: usize = 5_000;

pub struct ClusterOutput {
    /// Id plus one label column per model.
    pub data: DataFrame,
    pub models: Vec<Model>,
    pub warnings: Vec<String>,
}

/// Fits every configured model; the runner has checked the k range against the rows (a
/// larger k is refused by `kmeans::fit_full` all the same).
pub fn run(x: &Matrix, ids: &Column, plan: &ClusterPlan, seed: u64) -> Result<ClusterOutput> {
    let mut models = Vec::new();
    let mut warnings = Vec::new();
    if let Some(km) = &plan.kmeans {
        models.extend(kmeans_models(x, km, seed, &mut warnings)?);
    }
    if let Some(db) = &plan.dbscan {
        models.push(dbscan_model(x, db, seed, &mut warnings)?);
    }
    if let Some(ag) = &plan.agglomerative {
        models.extend(agglomerative_models(x, ag, seed));
    }
    if let Some(h) = &plan.hdbscan {
        models.push(hdbscan_model(x, h, seed, &mut warnings));
    }
    if let Some(g) = &plan.gmm {
        models.extend(gmm_models(x, g, seed, &mut warnings));
    }
    let mut cols = vec![ids.clone()];
    for m in &models {
        let l: Vec<i32> = m.labels.iter().map(|&v| v as i32).collect();
        cols.push(Column::new(m.name.as_str().into(), l));
        if let Fit::Hdbscan { strength, .. } = &m.fit {
            let name = format!("{}_strength", m.name);
            cols.push(crate::frame::finite_or_null(&name, strength));
        }
        if let Fit::Gmm { probability, .. } = &m.fit {
            let name = format!("{}_probability", m.name);
            cols.push(Column::new(name.into(), probability.clone()));
        }
    }
    let data = DataFrame::new(x.n, cols)?;
    Ok(ClusterOutput {
        data,
        models,
        warnings,
    })
}

/// `n` rows of `x` drawn without replacement with the run's seed, in their order in `x`.
fn sample_rows(x: &Matrix, n: usize, seed: u64) -> Matrix {
    x.select_rows(&sample_indices(x.n, n, seed))
}

/// Labels per row, and the centroids they were assigned to when not the label means.
type Labelled = (Vec<i64>, Option<Vec<Vec<f64>>>);

/// K-means fitted on the sample `s`, every row of `x` then labelled with its nearest fitted
/// centroid: the labels and those centroids.
fn fit_on_sample(x: &Matrix, s: &Matrix, km: &KMeansPlan, k: usize, seed: u64) -> Result<Labelled> {
    let (labels, _, assigned) = kmeans::fit_full(km.engine, s, k, km.n_init, km.max_iter, seed)?;
    let centroids = match assigned {
        Some(c) => c,
        None => canonical_labels(s, &labels.iter().map(|&l| l as i64).collect::<Vec<_>>()).1,
    };
    let raw = (0..x.n)
        .into_par_iter()
        .map(|i| kmeans::nearest(&centroids, x.row(i)) as i64)
        .collect();
    Ok((raw, Some(centroids)))
}

/// One K-means model per k, fitted side by side, in canonical label order.
fn kmeans_models(
    x: &Matrix,
    km: &KMeansPlan,
    seed: u64,
    warnings: &mut Vec<String>,
) -> Result<Vec<Model>> {
    let mut models = Vec::new();
    let sample = km
        .fit_sample
        .filter(|&n| n < x.n)
        .map(|n| sample_rows(x, n, seed));
    let fits: Vec<Result<Model>> = km
        .ks
        .par_iter()
        .map(|&k| {
            let (raw, assigned) = match &sample {
                None => {
                    let (labels, _, assigned) =
                        kmeans::fit_full(km.engine, x, k, km.n_init, km.max_iter, seed)?;
                    (labels.iter().map(|&l| l as i64).collect(), assigned)
                }
                Some(s) => fit_on_sample(x, s, km, k, seed)?,
            };
            let (canon, means) = canonical_labels(x, &raw);
            // Keep the centroids the labels were assigned to (what `assign` must use),
            // in canonical order; without them the label means are those centroids.
            let centroids = match assigned {
                Some(cents) => {
                    let mut ordered = vec![Vec::new(); means.len()];
                    for (old, new) in raw.iter().zip(&canon) {
                        ordered[*new as usize] = cents[*old as usize].clone();
                    }
                    ordered
                }
                None => means,
            };
            let labels = canon;
            Ok(Model {
                name: format!("kmeans_k{k}"),
                fit: Fit::Kmeans { k },
                n_clusters: centroids.len(),
                labels,
                centroids,
                segment_ids: Vec::new(),
            })
        })
        .collect();
    for f in fits {
        let m = f?;
        if m.n_clusters < m.k().unwrap_or(0) {
            warnings.push(format!(
                "{}: only {} non-empty clusters",
                m.name, m.n_clusters
            ));
        }
        models.push(m);
    }
    Ok(models)
}

/// DBSCAN with the configured (or the knee's) eps, in canonical label order.
fn dbscan_model(
    x: &Matrix,
    db: &DbscanPlan,
    seed: u64,
    warnings: &mut Vec<String>,
) -> Result<Model> {
    let eps = match db.eps {
        Eps::Value(v) => v,
        Eps::Auto => {
            let curve = dbscan::k_distances(x, db.min_samples, AUTO_EPS_SAMPLE, seed);
            dbscan::knee(&curve).ok_or_else(|| {
                data_err!("cluster.dbscan.eps: auto found no knee in the k-distance curve (all distances equal?): set eps to a number")
            })?
        }
    };
    let fit = dbscan::fit(x, eps, db.min_samples);
    let (labels, centroids) = canonical_labels(x, &fit.labels);
    let noise = labels.iter().filter(|&&l| l < 0).count();
    let cores = fit.is_core.iter().filter(|&&c| c).count();
    if centroids.is_empty() {
        warnings.push(format!("dbscan (eps {eps:.4}, min_samples {}): every point is noise; raise eps or lower min_samples", db.min_samples));
    } else if noise as f64 > 0.5 * x.n as f64 {
        warnings.push(format!(
            "dbscan (eps {eps:.4}): {noise} of {} points are noise",
            x.n
        ));
    } else if centroids.len() == 1 && cores == x.n {
        warnings.push(format!(
            "dbscan (eps {eps:.4}): every point is core and in one cluster; lower eps"
        ));
    }
    Ok(Model {
        name: "dbscan".into(),
        fit: Fit::Dbscan {
            eps,
            min_samples: db.min_samples,
            core_points: (0..x.n).filter(|&i| fit.is_core[i]).collect(),
        },
        n_clusters: centroids.len(),
        labels,
        centroids,
        segment_ids: Vec::new(),
    })
}

/// One tree (on at most `max_rows` rows: a seeded sample above it), cut at every k.
fn agglomerative_models(x: &Matrix, ag: &AgglomerativePlan, seed: u64) -> Vec<Model> {
    let grown = agglomerative::grow(x, ag.linkage, ag.max_rows, seed);
    let top = grown.top();
    ag.ks
        .par_iter()
        .map(|&k| {
            let (labels, centroids) = canonical_labels(x, &grown.labels(x, k));
            Model {
                name: format!("agglomerative_k{k}"),
                fit: Fit::Agglomerative {
                    k,
                    linkage: ag.linkage,
                    top: Some(top.clone()),
                },
                n_clusters: centroids.len(),
                labels,
                centroids,
                segment_ids: Vec::new(),
            }
        })
        .collect()
}

/// HDBSCAN on at most `max_rows` rows (a seeded sample above it: every other row joins the
/// segment of the nearest clustered sample row within that row's core distance, as
/// `assign` places new customers), in canonical label order.
fn hdbscan_model(x: &Matrix, h: &HdbscanPlan, seed: u64, warnings: &mut Vec<String>) -> Model {
    let rows: Vec<usize> = if h.max_rows < x.n {
        sample_indices(x.n, h.max_rows, seed)
    } else {
        (0..x.n).collect()
    };
    let sample;
    let fitted = if rows.len() < x.n {
        sample = x.select_rows(&rows);
        &sample
    } else {
        x
    };
    let found = hdbscan::fit(fitted, h.min_cluster_size, h.min_samples);
    let (mut raw, mut strength) = (vec![NOISE; x.n], vec![f64::NAN; x.n]);
    let mut members = Vec::new();
    for (s, &r) in rows.iter().enumerate() {
        raw[r] = found.labels[s];
        strength[r] = found.strength[s];
        if found.labels[s] >= 0 {
            members.push((s, r));
        }
    }
    let radii: Vec<f64> = members.iter().map(|&(s, _)| found.core[s]).collect();
    if rows.len() < x.n {
        let core: Vec<(Vec<f64>, i64)> = members
            .iter()
            .map(|&(s, _)| (fitted.row(s).to_vec(), found.labels[s]))
            .collect();
        let placer = crate::cluster::place::Placer::within_radii(&core, &radii);
        let placed: Vec<(usize, i64)> = (0..x.n)
            .into_par_iter()
            .filter(|&i| strength[i].is_nan())
            .map(|i| (i, placer.place(x.row(i))))
            .collect();
        for (i, l) in placed {
            raw[i] = l;
        }
    }
    let (labels, centroids) = canonical_labels(x, &raw);
    let noise = labels.iter().filter(|&&l| l < 0).count();
    if centroids.len() < 2 {
        warnings.push(format!(
            "hdbscan (min_cluster_size {}): {} cluster(s), {noise} of {} customers noise; lower min_cluster_size",
            h.min_cluster_size,
            centroids.len(),
            x.n
        ));
    }
    Model {
        name: "hdbscan".into(),
        fit: Fit::Hdbscan {
            min_cluster_size: h.min_cluster_size,
            min_samples: h.min_samples,
            radii,
            members: members.iter().map(|&(_, r)| r).collect(),
            strength,
        },
        n_clusters: centroids.len(),
        labels,
        centroids,
        segment_ids: Vec::new(),
    }
}

/// A Gaussian mixture per k, each started from a seeded K-means partition, its components
/// in canonical segment order; a k whose covariances degenerate is left out with a warning.
fn gmm_models(x: &Matrix, g: &GmmPlan, seed: u64, warnings: &mut Vec<String>) -> Vec<Model> {
    let fits: Vec<(usize, Option<Model>)> =
        g.ks.par_iter()
            .map(|&k| (k, gmm_model(x, k, g, seed)))
            .collect();
    let mut models = Vec::new();
    for (k, m) in fits {
        match m {
            Some(m) => models.push(m),
            None => warnings.push(format!(
                "gmm_k{k}: a component's covariance is not positive definite (too few distinct customers in it); left out"
            )),
        }
    }
    models
}

fn gmm_model(x: &Matrix, k: usize, g: &GmmPlan, seed: u64) -> Option<Model> {
    let (fitted, raw, probability) = gmm::fit_from_kmeans(x, k, g.covariance, seed).ok()?;
    let (labels, centroids) = canonical_labels(x, &raw);
    // The components in segment order (a component no customer is placed in is left out).
    let mut order = vec![usize::MAX; centroids.len()];
    for (old, new) in raw.iter().zip(&labels) {
        order[*new as usize] = *old as usize;
    }
    let mixture = fitted.mixture.reordered(&order).ok()?;
    Some(Model {
        name: format!("gmm_k{k}"),
        fit: Fit::Gmm {
            k,
            mixture,
            log_likelihood: fitted.log_likelihood,
            probability,
        },
        n_clusters: centroids.len(),
        labels,
        centroids,
        segment_ids: Vec::new(),
    })
}
