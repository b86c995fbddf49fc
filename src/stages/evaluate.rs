//! Stage 6, evaluate: WCSS, silhouette, Davies-Bouldin and Calinski-Harabasz for every
//! model, and the choice of one by the configured metric.
//!
//! DBSCAN's noise points are left out of its metrics (they belong to no cluster); the share
//! of noise is reported beside them. Silhouette is exact up to `silhouette_sample` rows and
//! computed on a seeded sample above that.

use polars::prelude::*;
use rayon::prelude::*;

use crate::cluster::{Algorithm, Model};
use crate::config::{ChooseFrom, EvaluatePlan, Metric};
use crate::error::Result;
use crate::matrix::Matrix;
use crate::metrics;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Score {
    pub model: String,
    pub algorithm: Algorithm,
    pub k: Option<usize>,
    pub clusters: usize,
    pub noise_share: f64,
    pub wcss: f64,
    pub silhouette: Option<f64>,
    pub silhouette_rows: usize,
    pub davies_bouldin: Option<f64>,
    pub calinski_harabasz: Option<f64>,
    pub chosen: bool,
}

impl Score {
    pub fn metric(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Silhouette => self.silhouette,
            Metric::DaviesBouldin => self.davies_bouldin,
            Metric::CalinskiHarabasz => self.calinski_harabasz,
        }
    }
}

pub struct EvaluateOutput {
    pub data: DataFrame,
    pub scores: Vec<Score>,
    /// Index into the models of the chosen one.
    pub chosen: usize,
}

/// Scores one model, its noise left out, with its own silhouette computation.
pub fn score(x: &Matrix, m: &Model, plan: &EvaluatePlan, seed: u64) -> Score {
    let keep: Vec<usize> = (0..x.n).filter(|&i| m.labels[i] >= 0).collect();
    let xs = x.select_rows(&keep);
    let labels: Vec<usize> = keep.iter().map(|&i| m.labels[i] as usize).collect();
    let sil = metrics::silhouette_sampled(&xs, &labels, m.n_clusters, plan.silhouette_sample, seed);
    score_with(m, &xs, &labels, x.n, sil)
}

/// Scores one model on its non-noise rows `xs` (with `labels`) out of `n` rows, given its
/// silhouette (value, rows used).
fn score_with(
    m: &Model,
    xs: &Matrix,
    labels: &[usize],
    n: usize,
    sil: Option<(f64, usize)>,
) -> Score {
    let k = m.n_clusters;
    Score {
        model: m.name.clone(),
        algorithm: m.algorithm,
        k: m.k,
        clusters: k,
        noise_share: (n - xs.n) as f64 / n as f64,
        wcss: metrics::wcss(xs, labels, k),
        silhouette: sil.map(|s| s.0),
        silhouette_rows: sil.map_or(0, |s| s.1),
        davies_bouldin: metrics::davies_bouldin(xs, labels, k),
        calinski_harabasz: metrics::calinski_harabasz(xs, labels, k),
        chosen: false,
    }
}

pub fn run(x: &Matrix, models: &[Model], plan: &EvaluatePlan, seed: u64) -> Result<EvaluateOutput> {
    // Silhouette of every noise-free model in one pass over one (seeded) sample, computing
    // each distance once for the whole k sweep. Noise models are scored on their own.
    let shared: Vec<usize> = (0..models.len())
        .filter(|&i| models[i].labels.iter().all(|&l| l >= 0))
        .collect();
    let idx: Vec<usize> = if x.n > plan.silhouette_sample {
        metrics::silhouette::sample_indices(x.n, plan.silhouette_sample, seed)
    } else {
        (0..x.n).collect()
    };
    let xs = x.select_rows(&idx);
    let relabeled: Vec<(Vec<usize>, usize)> = shared
        .iter()
        .map(|&m| metrics::dense_labels(idx.iter().map(|&i| models[m].labels[i] as usize)))
        .collect();
    let views: Vec<(&[usize], usize)> = relabeled.iter().map(|(l, k)| (l.as_slice(), *k)).collect();
    let sils = metrics::silhouette_many(&xs, &views);
    // Each model's WCSS, Davies-Bouldin and Calinski-Harabasz are passes over all rows:
    // the models are scored side by side.
    let mut scores: Vec<Score> = models
        .par_iter()
        .enumerate()
        .map(|(i, m)| match shared.iter().position(|&s| s == i) {
            Some(p) => {
                // No noise: score on the model matrix itself, without a copy.
                let labels: Vec<usize> = m.labels.iter().map(|&l| l as usize).collect();
                score_with(m, x, &labels, x.n, sils[p].map(|s| (s, idx.len())))
            }
            None => score(x, m, plan, seed),
        })
        .collect();
    let eligible = |s: &Score| match plan.choose_from {
        ChooseFrom::KMeans => s.algorithm == Algorithm::Kmeans,
        ChooseFrom::Dbscan => s.algorithm == Algorithm::Dbscan,
        ChooseFrom::Any => true,
    };
    let mut chosen: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        let (Some(v), true) = (s.metric(plan.choose_by), eligible(s)) else {
            continue;
        };
        let better = match chosen.and_then(|c| scores[c].metric(plan.choose_by)) {
            None => true,
            Some(b) if plan.choose_by.higher_is_better() => v > b,
            Some(b) => v < b,
        };
        if better {
            chosen = Some(i);
        }
    }
    // No model has a valid score (e.g. DBSCAN found one cluster): take the first eligible.
    let chosen = chosen
        .or_else(|| scores.iter().position(eligible))
        .unwrap_or(0);
    scores[chosen].chosen = true;
    let data = df!(
        "model" => scores.iter().map(|s| s.model.clone()).collect::<Vec<_>>(),
        "algorithm" => scores.iter().map(|s| s.algorithm.as_str()).collect::<Vec<_>>(),
        "k" => scores.iter().map(|s| s.k.map(|k| k as u32)).collect::<Vec<_>>(),
        "clusters" => scores.iter().map(|s| s.clusters as u32).collect::<Vec<_>>(),
        "noise_share" => scores.iter().map(|s| s.noise_share).collect::<Vec<_>>(),
        "wcss" => scores.iter().map(|s| s.wcss).collect::<Vec<_>>(),
        "silhouette" => scores.iter().map(|s| s.silhouette).collect::<Vec<_>>(),
        "silhouette_rows" => scores.iter().map(|s| s.silhouette_rows as u32).collect::<Vec<_>>(),
        "davies_bouldin" => scores.iter().map(|s| s.davies_bouldin).collect::<Vec<_>>(),
        "calinski_harabasz" => scores.iter().map(|s| s.calinski_harabasz).collect::<Vec<_>>(),
        "chosen" => scores.iter().map(|s| s.chosen).collect::<Vec<_>>(),
    )?;
    Ok(EvaluateOutput {
        data,
        scores,
        chosen,
    })
}
