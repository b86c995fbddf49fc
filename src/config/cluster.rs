//! `cluster`: the K-means k range and engine, DBSCAN's eps and min_samples.

use super::raw::{RawCluster, RawDbscan, RawEps, RawK, RawKMeans};
use std::path::PathBuf;

use super::source::{pick, positive_int, Source};
use crate::error::Result;

#[derive(Debug, Clone, serde::Serialize)]
pub struct KMeansPlan {
    pub ks: Vec<usize>,
    pub n_init: usize,
    pub max_iter: usize,
    pub engine: crate::cluster::kmeans::Engine,
    /// Fit on a seeded sample of this many customers and assign every customer to the
    /// nearest fitted centroid; `None`: fit on all.
    pub fit_sample: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Eps {
    Value(f64),
    Auto,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DbscanPlan {
    pub eps: Eps,
    pub min_samples: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterPlan {
    pub kmeans: Option<KMeansPlan>,
    pub dbscan: Option<DbscanPlan>,
    /// `cluster.reference`: the model.json of an earlier run whose segment ids and names
    /// the matching segments of this run keep.
    pub reference: Option<PathBuf>,
}

pub(super) fn from_raw(raw: &RawCluster, src: &Source) -> Result<ClusterPlan> {
    let kmeans = raw
        .kmeans
        .as_ref()
        .map(|km| kmeans_from_raw(km, src))
        .transpose()?;
    let dbscan = raw
        .dbscan
        .as_ref()
        .map(|db| dbscan_from_raw(db, src))
        .transpose()?;
    if kmeans.is_none() && dbscan.is_none() {
        return Err(src.error_at(
            &["cluster"],
            "cluster needs at least one algorithm: `kmeans` or `dbscan`",
        ));
    }
    let reference = raw
        .reference
        .as_deref()
        .map(|r| reference_from_raw(r, src))
        .transpose()?;
    Ok(ClusterPlan {
        kmeans,
        dbscan,
        reference,
    })
}

/// `cluster.reference`: a run folder or its model.json, which must exist (the model in it
/// is read and checked when the run reaches its segments).
fn reference_from_raw(text: &str, src: &Source) -> Result<PathBuf> {
    let at = ["cluster", "reference"];
    if text.trim().is_empty() {
        return Err(src.error_at(
            &at,
            "cluster.reference names an earlier run's folder or its model.json: it cannot be empty",
        ));
    }
    let path = PathBuf::from(text);
    if !path.exists() {
        return Err(src.error_at(
            &at,
            format!(
                "cluster.reference: {} does not exist; name the folder of a finished run (outputs/<name>) or its model.json",
                path.display()
            ),
        ));
    }
    Ok(path)
}

/// `cluster.kmeans`: the k (or k range), n_init, max_iter and engine.
fn kmeans_from_raw(km: &RawKMeans, src: &Source) -> Result<KMeansPlan> {
    let at = ["cluster", "kmeans", "k"];
    let ks: Vec<usize> = match &km.k {
        RawK::One(k) => vec![positive_int(src, &at, *k, 2)?],
        RawK::Range(r) if r.len() == 2 => {
            let lo = positive_int(src, &at, r[0], 2)?;
            let hi = positive_int(src, &at, r[1], 2)?;
            if lo > hi {
                return Err(src.error_at(
                    &at,
                    format!("cluster.kmeans.k range [{lo}, {hi}] is reversed: write [{hi}, {lo}]"),
                ));
            }
            if hi - lo > 200 {
                return Err(src.error_at(&at, format!("cluster.kmeans.k range [{lo}, {hi}] sweeps more than 200 values")));
            }
            (lo..=hi).collect()
        }
        RawK::Range(r) => {
            return Err(src.error_at(
                &at,
                format!("cluster.kmeans.k must be a number (k: 5) or a range of two numbers (k: [2, 10]), got a list of {}", r.len()),
            ))
        }
    };
    let n_init = positive_int(
        src,
        &["cluster", "kmeans", "n_init"],
        km.n_init.unwrap_or(10),
        1,
    )?;
    let max_iter = positive_int(
        src,
        &["cluster", "kmeans", "max_iter"],
        km.max_iter.unwrap_or(300),
        1,
    )?;
    if n_init > 1000 {
        return Err(src.error_at(
            &["cluster", "kmeans", "n_init"],
            format!("cluster.kmeans.n_init must be at most 1000, got {n_init}"),
        ));
    }
    let engine = match pick(
        src,
        &["cluster", "kmeans", "engine"],
        km.engine.as_deref().unwrap_or("lloyd"),
        &["lloyd", "smartcore"],
    )? {
        "smartcore" => crate::cluster::kmeans::Engine::Smartcore,
        _ => crate::cluster::kmeans::Engine::Lloyd,
    };
    let fit_sample = match km.fit_sample {
        None => None,
        Some(n) => {
            let at = ["cluster", "kmeans", "fit_sample"];
            let kmax = ks.iter().max().copied().unwrap_or(2);
            let n = positive_int(src, &at, n, 2)?;
            if n < kmax {
                return Err(src.error_at(
                    &at,
                    format!(
                        "cluster.kmeans.fit_sample ({n}) must be at least the largest k ({kmax})"
                    ),
                ));
            }
            Some(n)
        }
    };
    Ok(KMeansPlan {
        ks,
        n_init,
        max_iter,
        engine,
        fit_sample,
    })
}

/// `cluster.dbscan`: eps (a number or `auto`) and min_samples.
fn dbscan_from_raw(db: &RawDbscan, src: &Source) -> Result<DbscanPlan> {
    let at = ["cluster", "dbscan", "eps"];
    let eps = match &db.eps {
        RawEps::Value(v) if v.is_finite() && *v > 0.0 => Eps::Value(*v),
        RawEps::Value(v) => {
            return Err(src.error_at(
                &at,
                format!("cluster.dbscan.eps must be a positive number or `auto`, got {v}"),
            ))
        }
        RawEps::Word(w) if w.trim().eq_ignore_ascii_case("auto") => Eps::Auto,
        RawEps::Word(w) => {
            return Err(src.error_at(
                &at,
                format!("cluster.dbscan.eps must be a positive number or `auto`, got `{w}`"),
            ))
        }
    };
    let min_samples = positive_int(
        src,
        &["cluster", "dbscan", "min_samples"],
        db.min_samples.unwrap_or(5),
        1,
    )?;
    Ok(DbscanPlan { eps, min_samples })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, BASE};
    use super::Eps;

    fn cluster(section: &str) -> String {
        BASE.replace("cluster:\n  kmeans: {k: [2, 4]}\n", section)
    }

    #[test]
    fn k_is_a_number_or_an_inclusive_range() {
        assert_eq!(plan(BASE).cluster.kmeans.unwrap().ks, [2, 3, 4]);
        assert_eq!(
            plan(&cluster("cluster: {kmeans: {k: 3}}\n"))
                .cluster
                .kmeans
                .unwrap()
                .ks,
            [3]
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 1}}\n"),
            "cluster.kmeans.k must be at least 2, got 1",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: [5, 2]}}\n"),
            "range [5, 2] is reversed: write [2, 5]",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: [2, 300]}}\n"),
            "sweeps more than 200 values",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: [2, 3, 4]}}\n"),
            "got a list of 3",
        );
    }

    #[test]
    fn n_init_max_iter_and_engine() {
        refuses(
            &cluster("cluster: {kmeans: {k: 2, n_init: 0}}\n"),
            "cluster.kmeans.n_init must be at least 1, got 0",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 2, n_init: 1001}}\n"),
            "n_init must be at most 1000",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 2, max_iter: 0}}\n"),
            "cluster.kmeans.max_iter must be at least 1",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 2, engine: smartcor}}\n"),
            "did you mean `smartcore`?",
        );
        let km = plan(&cluster(
            "cluster: {kmeans: {k: [2, 6], fit_sample: 5000}}\n",
        ))
        .cluster
        .kmeans
        .unwrap();
        assert_eq!(km.fit_sample, Some(5000));
        refuses(
            &cluster("cluster: {kmeans: {k: [2, 6], fit_sample: 5}}\n"),
            "cluster.kmeans.fit_sample (5) must be at least the largest k (6)",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 2, fit_sample: 0}}\n"),
            "cluster.kmeans.fit_sample must be at least 2, got 0",
        );
    }

    #[test]
    fn dbscan_eps_and_min_samples() {
        let db = plan(&cluster("cluster: {dbscan: {eps: auto}}\n"))
            .cluster
            .dbscan
            .unwrap();
        assert_eq!((db.eps, db.min_samples), (Eps::Auto, 5));
        refuses(
            &cluster("cluster: {dbscan: {eps: -1}}\n"),
            "eps must be a positive number or `auto`, got -1",
        );
        refuses(
            &cluster("cluster: {dbscan: {eps: soon}}\n"),
            "eps must be a positive number or `auto`, got `soon`",
        );
        refuses(
            &cluster("cluster: {dbscan: {eps: 0.5, min_samples: 0}}\n"),
            "min_samples must be at least 1",
        );
    }

    #[test]
    fn reference_must_exist() {
        refuses(
            &cluster("cluster: {kmeans: {k: 2}, reference: no/such/run}\n"),
            "cluster.reference: no/such/run does not exist",
        );
        refuses(
            &cluster("cluster: {kmeans: {k: 2}, reference: ' '}\n"),
            "cluster.reference names an earlier run's folder",
        );
        let dir = std::env::temp_dir();
        let text = cluster(&format!(
            "cluster: {{kmeans: {{k: 2}}, reference: '{}'}}\n",
            dir.display()
        ));
        assert_eq!(plan(&text).cluster.reference, Some(dir));
    }

    #[test]
    fn at_least_one_algorithm() {
        refuses(
            &cluster("cluster: {}\n"),
            "cluster needs at least one algorithm",
        );
    }
}
