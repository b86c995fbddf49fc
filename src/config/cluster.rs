//! `cluster`: the K-means k range and engine, DBSCAN's eps and min_samples.

use super::raw::{
    RawAgglomerative, RawCluster, RawDbscan, RawEps, RawGmm, RawHdbscan, RawK, RawKMeans,
};
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

/// `cluster.agglomerative`: a tree cut at every k of the range.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgglomerativePlan {
    pub ks: Vec<usize>,
    pub linkage: crate::cluster::Linkage,
    /// The most rows the tree is grown on; above it a seeded sample, the other rows
    /// placed by the nearest centroid.
    pub max_rows: usize,
}

/// `cluster.gmm`: a Gaussian mixture for every k of the range.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GmmPlan {
    pub ks: Vec<usize>,
    pub covariance: crate::cluster::gmm::Covariance,
}

/// `cluster.hdbscan`: the smallest cluster, the neighbours of a core point, and the most
/// rows it is fitted on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HdbscanPlan {
    pub min_cluster_size: usize,
    pub min_samples: usize,
    pub max_rows: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterPlan {
    pub kmeans: Option<KMeansPlan>,
    pub dbscan: Option<DbscanPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agglomerative: Option<AgglomerativePlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hdbscan: Option<HdbscanPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmm: Option<GmmPlan>,
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
    let agglomerative = raw
        .agglomerative
        .as_ref()
        .map(|a| agglomerative_from_raw(a, src))
        .transpose()?;
    let hdbscan = raw
        .hdbscan
        .as_ref()
        .map(|h| hdbscan_from_raw(h, src))
        .transpose()?;
    let gmm = raw.gmm.as_ref().map(|g| gmm_from_raw(g, src)).transpose()?;
    let none = kmeans.is_none() && dbscan.is_none() && agglomerative.is_none();
    if none && hdbscan.is_none() && gmm.is_none() {
        return Err(src.error_at(
            &["cluster"],
            "cluster needs at least one algorithm: `kmeans`, `dbscan`, `agglomerative`, `hdbscan` or `gmm`",
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
        agglomerative,
        hdbscan,
        gmm,
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

/// `cluster.<algorithm>.k`: one k, or every k of an inclusive range.
fn ks_from_raw(k: &RawK, algorithm: &str, src: &Source) -> Result<Vec<usize>> {
    let at = ["cluster", algorithm, "k"];
    match k {
        RawK::One(k) => Ok(vec![positive_int(src, &at, *k, 2)?]),
        RawK::Range(r) if r.len() == 2 => {
            let lo = positive_int(src, &at, r[0], 2)?;
            let hi = positive_int(src, &at, r[1], 2)?;
            if lo > hi {
                return Err(src.error_at(
                    &at,
                    format!("cluster.{algorithm}.k range [{lo}, {hi}] is reversed: write [{hi}, {lo}]"),
                ));
            }
            if hi - lo > 200 {
                return Err(src.error_at(&at, format!("cluster.{algorithm}.k range [{lo}, {hi}] sweeps more than 200 values")));
            }
            Ok((lo..=hi).collect())
        }
        RawK::Range(r) => Err(src.error_at(
            &at,
            format!("cluster.{algorithm}.k must be a number (k: 5) or a range of two numbers (k: [2, 10]), got a list of {}", r.len()),
        )),
    }
}

/// `cluster.agglomerative`: the k (or k range), the linkage and the most rows of a tree.
fn agglomerative_from_raw(a: &RawAgglomerative, src: &Source) -> Result<AgglomerativePlan> {
    use crate::cluster::agglomerative::{Linkage, MAX_ROWS, MAX_ROWS_LIMIT};
    let ks = ks_from_raw(&a.k, "agglomerative", src)?;
    let name = pick(
        src,
        &["cluster", "agglomerative", "linkage"],
        a.linkage.as_deref().unwrap_or("ward"),
        &Linkage::NAMES,
    )?;
    let linkage = Linkage::parse(name).unwrap_or(Linkage::Ward);
    let at = ["cluster", "agglomerative", "max_rows"];
    let max_rows = positive_int(src, &at, a.max_rows.unwrap_or(MAX_ROWS as i64), 2)?;
    if max_rows > MAX_ROWS_LIMIT {
        return Err(src.error_at(
            &at,
            format!("cluster.agglomerative.max_rows is at most {MAX_ROWS_LIMIT} (a tree of n rows holds n²/2 distances: 6.4 GB at 40,000), got {max_rows}"),
        ));
    }
    let kmax = ks.iter().max().copied().unwrap_or(2);
    if max_rows < kmax {
        return Err(src.error_at(
            &at,
            format!("cluster.agglomerative.max_rows ({max_rows}) must be at least the largest k ({kmax})"),
        ));
    }
    Ok(AgglomerativePlan {
        ks,
        linkage,
        max_rows,
    })
}

/// The most rows HDBSCAN is fitted on by default: each row's distance to every other is
/// computed twice (core distances, then the spanning tree), about 2 s at 20,000 rows.
pub const HDBSCAN_MAX_ROWS: usize = 20_000;

/// `cluster.hdbscan`: min_cluster_size, min_samples (default min_cluster_size), max_rows.
fn hdbscan_from_raw(h: &RawHdbscan, src: &Source) -> Result<HdbscanPlan> {
    let at = |key: &'static str| ["cluster", "hdbscan", key];
    let min_cluster_size = positive_int(src, &at("min_cluster_size"), h.min_cluster_size, 2)?;
    let min_samples = positive_int(
        src,
        &at("min_samples"),
        h.min_samples.unwrap_or(min_cluster_size as i64),
        1,
    )?;
    let max_rows = positive_int(
        src,
        &at("max_rows"),
        h.max_rows.unwrap_or(HDBSCAN_MAX_ROWS as i64),
        2,
    )?;
    if max_rows < min_cluster_size.max(min_samples) {
        return Err(src.error_at(
            &at("max_rows"),
            format!("cluster.hdbscan.max_rows ({max_rows}) must be at least min_cluster_size and min_samples"),
        ));
    }
    Ok(HdbscanPlan {
        min_cluster_size,
        min_samples,
        max_rows,
    })
}

/// `cluster.gmm`: the k (or k range) and the covariance shape.
fn gmm_from_raw(g: &RawGmm, src: &Source) -> Result<GmmPlan> {
    use crate::cluster::gmm::Covariance;
    let ks = ks_from_raw(&g.k, "gmm", src)?;
    let word = pick(
        src,
        &["cluster", "gmm", "covariance"],
        g.covariance.as_deref().unwrap_or("full"),
        &Covariance::NAMES,
    )?;
    let covariance = if word == "diag" {
        Covariance::Diag
    } else {
        Covariance::Full
    };
    Ok(GmmPlan { ks, covariance })
}

/// `cluster.kmeans`: the k (or k range), n_init, max_iter and engine.
fn kmeans_from_raw(km: &RawKMeans, src: &Source) -> Result<KMeansPlan> {
    let ks = ks_from_raw(&km.k, "kmeans", src)?;
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
    fn trees_and_hdbscan() {
        let p = plan(&cluster(
            "cluster: {agglomerative: {k: [2, 5], linkage: average}, hdbscan: {min_cluster_size: 15}}\n",
        ));
        let ag = p.cluster.agglomerative.unwrap();
        assert_eq!(
            (ag.ks, ag.linkage.as_str(), ag.max_rows),
            (vec![2, 3, 4, 5], "average", 10_000)
        );
        let h = p.cluster.hdbscan.unwrap();
        assert_eq!(
            (h.min_cluster_size, h.min_samples, h.max_rows),
            (15, 15, 20_000)
        );
        assert_eq!(
            p.evaluate.choose_from,
            super::super::ChooseFrom::Agglomerative
        );
        refuses(
            &cluster("cluster: {agglomerative: {k: 3, linkage: single}}\n"),
            "cluster.agglomerative.linkage",
        );
        refuses(
            &cluster("cluster: {agglomerative: {k: [2, 9], max_rows: 5}}\n"),
            "cluster.agglomerative.max_rows (5) must be at least the largest k (9)",
        );
        let g = plan(&cluster("cluster: {gmm: {k: [2, 3], covariance: diag}}\n"));
        assert_eq!(g.evaluate.choose_from, super::super::ChooseFrom::Gmm);
        let gm = g.cluster.gmm.unwrap();
        assert_eq!((gm.ks, gm.covariance.as_str()), (vec![2, 3], "diag"));
        refuses(
            &cluster("cluster: {gmm: {k: 3, covariance: spherical}}\n"),
            "cluster.gmm.covariance",
        );
        refuses(
            &cluster("cluster: {hdbscan: {min_cluster_size: 1}}\n"),
            "cluster.hdbscan.min_cluster_size must be at least 2, got 1",
        );
        refuses(
            &cluster("cluster: {hdbscan: {min_cluster_size: 50, max_rows: 10}}\n"),
            "cluster.hdbscan.max_rows (10) must be at least min_cluster_size and min_samples",
        );
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
