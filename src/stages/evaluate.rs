//! Stage 6, evaluate: WCSS, silhouette, Davies-Bouldin and Calinski-Harabasz for every
//! model, and the choice of one by the configured metric.
//!
//! DBSCAN's noise points are left out of its metrics (they belong to no cluster); the share
//! of noise is reported beside them. Silhouette is exact up to `silhouette_sample` rows and
//! computed on a seeded sample above that.

use polars::prelude::*;
use rayon::prelude::*;

use crate::cluster::stability::{self, Stability};
use crate::cluster::{agglomerative, dbscan, gmm, hdbscan, kmeans, Algorithm, Fit, Model};
use crate::config::{ChooseFrom, ClusterPlan, EvaluatePlan, Metric};
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
    /// Per segment and for the model (`None` when `evaluate.stability` is off).
    pub stability: Option<Stability>,
    /// The smallest segment's share of the customers.
    pub smallest_share: f64,
    /// K-means: the silhouette of the same k on structureless data (see `null_silhouette`).
    #[serde(default)]
    pub null_silhouette: Option<f64>,
    /// Gaussian mixtures: the Bayesian and Akaike information criteria (lower is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aic: Option<f64>,
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
    pub warnings: Vec<String>,
}

/// Reference data sets without structure per K-means model, and their rows.
const NULL_SETS: usize = 3;
const NULL_ROWS: usize = 1_000;
/// How much higher than on structureless data a model's silhouette must be for its
/// segments to count as structure (`choose_by: stability`).
pub const STRUCTURE_MARGIN: f64 = 0.05;

/// The silhouette K-means with `k` reaches on data without structure: the mean over
/// [`NULL_SETS`] sets of rows drawn uniformly in the bounding box of `x` (Tibshirani,
/// Walther and Hastie's reference distribution for the gap statistic). Uniform noise splits
/// into stable pieces (a square into its quadrants), so stability alone does not say that a
/// segmentation is real; a silhouette no higher than this says it is not.
fn null_silhouette(x: &Matrix, k: usize, km: &crate::config::KMeansPlan, seed: u64) -> Option<f64> {
    use rand::{Rng, SeedableRng};
    let (lo, hi): (Vec<f64>, Vec<f64>) = (0..x.d)
        .map(|j| {
            (0..x.n)
                .map(|i| x.row(i)[j])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
        })
        .unzip();
    let m = x.n.min(NULL_ROWS);
    let sils: Vec<f64> = (0..NULL_SETS)
        .into_par_iter()
        .filter_map(|b| {
            let mut rng =
                rand_chacha::ChaCha8Rng::seed_from_u64(seed.wrapping_add(0x4e55_0000 + b as u64));
            let data = (0..m * x.d)
                .map(|c| {
                    let j = c % x.d;
                    lo[j] + (hi[j] - lo[j]) * rng.random::<f64>()
                })
                .collect();
            let r = Matrix::new(m, x.d, data);
            let (labels, _, _) = kmeans::fit_full(
                km.engine,
                &r,
                k,
                km.n_init.min(REFIT_STARTS),
                km.max_iter,
                rng.random(),
            )
            .ok()?;
            metrics::silhouette(&r, &labels, k)
        })
        .collect();
    (!sils.is_empty()).then(|| sils.iter().sum::<f64>() / sils.len() as f64)
}

/// K-means starts per refit: the model's n_init, at most this many (a resample's fit is one
/// of 20 or more; the best of three k-means++ starts is what keeps a refit from a poor
/// local optimum, at a third of ten's cost).
const REFIT_STARTS: usize = 3;

/// Each model's stability, refitting it with its own settings on seeded resamples: K-means
/// with its k, max_iter, engine and up to [`REFIT_STARTS`] starts; DBSCAN with its eps (as
/// resolved) and min_samples scaled to the resample's share of the rows, so that a cluster
/// needs the same density as in the whole table.
fn assess_stability(
    x: &Matrix,
    models: &[Model],
    plan: &EvaluatePlan,
    cluster: &ClusterPlan,
    seed: u64,
) -> Vec<Option<Stability>> {
    let Some(st) = &plan.stability else {
        return vec![None; models.len()];
    };
    let trees = agglomerative::Trees::default();
    models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let refit = refit(m, x, cluster, &trees)?;
            // One seed per model: the models' resamples differ, and a model's do not
            // depend on which others are fitted. The trees of every k share theirs: one
            // tree per resample serves every cut.
            let stream = match m.fit {
                Fit::Agglomerative { .. } => 0xa661,
                _ => i as u64,
            };
            let model_seed = seed.wrapping_add(0x5eed_0000 + stream);
            Some(stability::assess(
                x,
                &m.labels,
                m.n_clusters,
                st.resamples,
                st.sample,
                model_seed,
                refit.as_ref(),
            ))
        })
        .collect()
}

/// The refit of a model's algorithm with the model's own settings (see [`assess_stability`]).
fn refit<'a>(
    m: &Model,
    x: &Matrix,
    cluster: &'a ClusterPlan,
    trees: &'a agglomerative::Trees,
) -> Option<Box<stability::Refit<'a>>> {
    Some(match m.fit {
        Fit::Kmeans { k } => {
            let km = cluster.kmeans.as_ref()?;
            let starts = km.n_init.min(REFIT_STARTS);
            Box::new(move |xs: &Matrix, s: u64| {
                let (labels, _, _) =
                    kmeans::fit_full(km.engine, xs, k, starts, km.max_iter, s).ok()?;
                Some(labels.into_iter().map(|l| l as i64).collect())
            })
        }
        Fit::Gmm { k, ref mixture, .. } => {
            let covariance = mixture.covariance;
            Box::new(move |xs: &Matrix, s: u64| {
                gmm::fit_from_kmeans(xs, k, covariance, s).ok().map(|f| f.1)
            })
        }
        Fit::Agglomerative { k, linkage, .. } => {
            let (trees, most) = (trees, cluster.agglomerative.as_ref()?.max_rows);
            Box::new(move |xs: &Matrix, s: u64| {
                let grown = trees.grown(s, || agglomerative::grow(xs, linkage, most, s));
                Some(grown.labels(xs, k))
            })
        }
        // Sizes scaled to the resample's share of the rows, as DBSCAN's.
        Fit::Hdbscan {
            min_cluster_size,
            min_samples,
            ..
        } => {
            // Relative to the rows it was fitted on (a sample above max_rows).
            let n = x.n.min(cluster.hdbscan.as_ref()?.max_rows).max(1);
            Box::new(move |xs: &Matrix, _| {
                let scaled = |v: usize, low: usize| (v * xs.n).div_ceil(n).max(low).min(v);
                let found = hdbscan::fit(xs, scaled(min_cluster_size, 2), scaled(min_samples, 1));
                Some(found.labels)
            })
        }
        Fit::Dbscan {
            eps, min_samples, ..
        } => {
            let n = x.n;
            Box::new(move |xs: &Matrix, _| {
                let scaled = (min_samples * xs.n).div_ceil(n.max(1)).max(2);
                Some(dbscan::fit(xs, eps, scaled.min(min_samples)).labels)
            })
        }
    })
}

/// The evaluation artifact: one row per model.
fn evaluation_frame(scores: &[Score]) -> PolarsResult<DataFrame> {
    df!(
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
        "stability_mean" => scores.iter().map(|s| s.stability.as_ref().and_then(Stability::mean)).collect::<Vec<_>>(),
        "stability_min" => scores.iter().map(|s| s.stability.as_ref().and_then(Stability::min)).collect::<Vec<_>>(),
        "stability_ari" => scores.iter().map(|s| s.stability.as_ref().map(|st| st.ari)).collect::<Vec<_>>(),
        "smallest_share" => scores.iter().map(|s| s.smallest_share).collect::<Vec<_>>(),
        "null_silhouette" => scores.iter().map(|s| s.null_silhouette).collect::<Vec<_>>(),
        "bic" => scores.iter().map(|s| s.bic).collect::<Vec<_>>(),
        "aic" => scores.iter().map(|s| s.aic).collect::<Vec<_>>(),
        "chosen" => scores.iter().map(|s| s.chosen).collect::<Vec<_>>(),
    )
}

/// For a chosen tree: how many customers `assign` (the nearest segment centre) would place
/// in another segment than the tree did, said when there are any.
fn placed_elsewhere(x: &Matrix, m: &Model) -> Option<String> {
    let Fit::Agglomerative { .. } = m.fit else {
        return None;
    };
    let moved = (0..x.n)
        .filter(|&i| kmeans::nearest(&m.centroids, x.row(i)) as i64 != m.labels[i])
        .count();
    (moved > 0).then(|| {
        format!(
            "{}: {moved} of {} customers ({:.1}%) sit nearer another segment's centre than their own; `segflow assign` places customers by the nearest centre, so it would move them",
            m.name,
            x.n,
            100.0 * moved as f64 / x.n as f64
        )
    })
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
    let mut sizes = vec![0usize; k];
    for &l in labels {
        sizes[l] += 1;
    }
    let (bic, aic) = match &m.fit {
        Fit::Gmm {
            mixture,
            log_likelihood,
            ..
        } => {
            let (b, a) = gmm::criteria(mixture, *log_likelihood, n);
            (Some(b), Some(a))
        }
        _ => (None, None),
    };
    Score {
        bic,
        aic,
        null_silhouette: None,
        stability: None,
        smallest_share: sizes.iter().min().map_or(0.0, |&s| s as f64 / n as f64),
        model: m.name.clone(),
        algorithm: m.algorithm(),
        k: m.k(),
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

pub fn run(
    x: &Matrix,
    models: &[Model],
    plan: &EvaluatePlan,
    cluster: &ClusterPlan,
    seed: u64,
) -> Result<EvaluateOutput> {
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
    for (s, st) in scores
        .iter_mut()
        .zip(assess_stability(x, models, plan, cluster, seed))
    {
        s.stability = st;
    }
    if let (Some(km), Some(_)) = (&cluster.kmeans, &plan.stability) {
        for (s, m) in scores.iter_mut().zip(models) {
            if let Fit::Kmeans { k } = m.fit {
                s.null_silhouette = null_silhouette(x, k, km, seed);
            }
        }
    }
    let (chosen, mut warnings) = choose(&scores, plan);
    scores[chosen].chosen = true;
    warnings.extend(placed_elsewhere(x, &models[chosen]));
    let data = evaluation_frame(&scores)?;
    Ok(EvaluateOutput {
        data,
        scores,
        chosen,
        warnings,
    })
}

/// Whether a model may be chosen: its algorithm, and with `choose_by: stability` every
/// segment stable and none under `min_segment_share`.
pub fn qualifies(s: &Score, plan: &EvaluatePlan, stable_only: bool) -> bool {
    let algorithm = match plan.choose_from {
        ChooseFrom::KMeans => s.algorithm == Algorithm::Kmeans,
        ChooseFrom::Dbscan => s.algorithm == Algorithm::Dbscan,
        ChooseFrom::Agglomerative => s.algorithm == Algorithm::Agglomerative,
        ChooseFrom::Hdbscan => s.algorithm == Algorithm::Hdbscan,
        ChooseFrom::Gmm => s.algorithm == Algorithm::Gmm,
        ChooseFrom::Any => true,
    };
    let stable = |st: &Stability| {
        let threshold = plan.stability.as_ref().map_or(1.0, |p| p.stable);
        st.min().is_some_and(|m| m >= threshold)
    };
    algorithm
        && (!stable_only
            || (s.smallest_share >= plan.min_segment_share
                && s.clusters >= 2
                && s.stability.as_ref().is_some_and(stable)
                && has_structure(s)))
}

/// Whether a model's silhouette is above what structureless data gives the same k by
/// [`STRUCTURE_MARGIN`] (models without that reference pass).
pub fn has_structure(s: &Score) -> bool {
    match (s.silhouette, s.null_silhouette) {
        (Some(sil), Some(null)) => sil >= null + STRUCTURE_MARGIN,
        _ => true,
    }
}

/// The best model by the plan's metric among those that qualify; with `choose_by:
/// stability` and none qualifying, the most stable (its least stable segment), with a
/// warning saying so.
fn choose(scores: &[Score], plan: &EvaluatePlan) -> (usize, Vec<String>) {
    let best = |stable_only: bool| {
        let mut chosen: Option<usize> = None;
        for (i, s) in scores.iter().enumerate() {
            let (Some(v), true) = (s.metric(plan.choose_by), qualifies(s, plan, stable_only))
            else {
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
        chosen
    };
    let eligible = |s: &&Score| qualifies(s, plan, false);
    if !plan.stable_only {
        // No model has a valid score (e.g. DBSCAN found one cluster): the first eligible.
        let first = scores.iter().position(|s| eligible(&s)).unwrap_or(0);
        return (best(false).unwrap_or(first), Vec::new());
    }
    if let Some(i) = best(true) {
        return (i, Vec::new());
    }
    let least = |s: &Score| s.stability.as_ref().and_then(Stability::min).unwrap_or(0.0);
    let most_stable = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| eligible(s) && s.clusters >= 2)
        .max_by(|(_, a), (_, b)| least(a).total_cmp(&least(b)))
        .map_or(0, |(i, _)| i);
    let threshold = plan.stability.as_ref().map_or(1.0, |p| p.stable);
    let warning = format!(
        "no stable segments: no model has every segment stable (Jaccard {threshold:.2} or more in resamples), none under {:.0}% of the customers and a silhouette above structureless data's; {} is the most stable (its least stable segment {:.2}): do not build campaigns on these segments alone",
        plan.min_segment_share * 100.0,
        scores[most_stable].model,
        least(&scores[most_stable])
    );
    (most_stable, vec![warning])
}
