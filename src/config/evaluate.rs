//! `evaluate`: the metric that chooses the model and which models it chooses from.

use super::cluster::ClusterPlan;
use super::raw::RawEvaluate;
use super::source::{pick, positive_int, Source};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Metric {
    Silhouette,
    DaviesBouldin,
    CalinskiHarabasz,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Silhouette => "silhouette",
            Metric::DaviesBouldin => "davies_bouldin",
            Metric::CalinskiHarabasz => "calinski_harabasz",
        }
    }
    /// Davies-Bouldin is better when lower; the others when higher.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::DaviesBouldin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ChooseFrom {
    KMeans,
    Dbscan,
    Any,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EvaluatePlan {
    pub choose_by: Metric,
    pub choose_from: ChooseFrom,
    pub silhouette_sample: usize,
}

pub(super) fn from_raw(
    raw: Option<&RawEvaluate>,
    cluster: &ClusterPlan,
    src: &Source,
) -> Result<EvaluatePlan> {
    let rev = raw.cloned().unwrap_or_default();
    let choose_by = match pick(
        src,
        &["evaluate", "choose_by"],
        rev.choose_by.as_deref().unwrap_or("silhouette"),
        &["silhouette", "davies_bouldin", "calinski_harabasz"],
    )? {
        "silhouette" => Metric::Silhouette,
        "davies_bouldin" => Metric::DaviesBouldin,
        _ => Metric::CalinskiHarabasz,
    };
    let default_from = if cluster.kmeans.is_some() {
        "kmeans"
    } else {
        "dbscan"
    };
    let choose_from = match pick(
        src,
        &["evaluate", "choose_from"],
        rev.choose_from.as_deref().unwrap_or(default_from),
        &["kmeans", "dbscan", "any"],
    )? {
        "kmeans" => ChooseFrom::KMeans,
        "dbscan" => ChooseFrom::Dbscan,
        _ => ChooseFrom::Any,
    };
    if (choose_from == ChooseFrom::KMeans && cluster.kmeans.is_none())
        || (choose_from == ChooseFrom::Dbscan && cluster.dbscan.is_none())
    {
        return Err(src.error_at(
            &["evaluate", "choose_from"],
            "evaluate.choose_from names an algorithm that cluster does not configure",
        ));
    }
    let silhouette_sample = positive_int(
        src,
        &["evaluate", "silhouette_sample"],
        rev.silhouette_sample.unwrap_or(50_000),
        2,
    )?;
    Ok(EvaluatePlan {
        choose_by,
        choose_from,
        silhouette_sample,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, BASE};
    use super::{ChooseFrom, Metric};

    #[test]
    fn defaults_and_choices() {
        let e = plan(BASE).evaluate;
        assert_eq!(
            (e.choose_by, e.choose_from, e.silhouette_sample),
            (Metric::Silhouette, ChooseFrom::KMeans, 50_000)
        );
        refuses(
            &with("evaluate: {choose_by: silhouete}\n"),
            "did you mean `silhouette`?",
        );
        refuses(
            &with("evaluate: {choose_from: dbscan}\n"),
            "evaluate.choose_from names an algorithm that cluster does not configure",
        );
        refuses(
            &with("evaluate: {silhouette_sample: 1}\n"),
            "evaluate.silhouette_sample must be at least 2",
        );
    }
}
