//! Model selection: every model's metrics, why the chosen one won, the metric curves
//! against k, the chosen model's silhouette per segment and DBSCAN's k-distance curve.

use super::super::charts::dendrogram::{cut_height, Dendrogram};
use super::super::charts::{later, Line, SilhouettePlot, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::{num, Html};
use super::super::{ReportInput, Sample, SCATTER_SAMPLE};
use crate::cluster::{dbscan, Fit};
use crate::identity::Identity;
use crate::metrics::dense_labels;
use crate::metrics::knee::{knee, Slope};
use crate::metrics::silhouette::silhouette_samples;
use crate::stages::evaluate::Score;

/// The section's charts and the elbow it found.
pub struct Selection {
    names: Vec<String>,
    knee: Option<f64>,
    chosen_k: Option<f64>,
}

/// The k at the knee of a falling WCSS curve, `points` as (k, WCSS).
pub fn elbow_knee(points: &[(f64, f64)]) -> Option<f64> {
    knee(points, Slope::Falling).map(|i| points[i].0)
}

pub fn charts(input: &ReportInput, s: &Sample, figs: &mut Figures) -> Selection {
    let chosen_k = input.chosen.k().map(|k| k as f64);
    let (mut names, knee) = metric_curves(input, chosen_k, figs);
    names.extend(silhouette_per_segment(input, s, figs));
    names.extend(k_distance(input, s, figs));
    names.extend(dendrogram(input, figs));
    Selection {
        names,
        knee,
        chosen_k,
    }
}

/// The scores drawn against k: the chosen model's algorithm's (K-means' when the chosen
/// model has no k).
fn k_scores<'a>(input: &'a ReportInput) -> Vec<&'a Score> {
    let family = match input.chosen.k() {
        Some(_) => input.chosen.algorithm(),
        None => crate::cluster::Algorithm::Kmeans,
    };
    input
        .scores
        .iter()
        .filter(|s| s.k.is_some() && s.algorithm == family)
        .collect()
}

/// WCSS (with its knee), silhouette, Davies-Bouldin and Calinski-Harabasz against k.
fn metric_curves(
    input: &ReportInput,
    chosen_k: Option<f64>,
    figs: &mut Figures,
) -> (Vec<String>, Option<f64>) {
    let km = k_scores(input);
    let mut selection = Vec::new();
    let mut knee = None;
    if km.len() > 1 {
        let pts = |f: &dyn Fn(&Score) -> Option<f64>| -> Vec<(f64, f64)> {
            km.iter()
                .filter_map(|s| Some((s.k? as f64, f(s)?)))
                .collect()
        };
        let wcss = pts(&|s| Some(s.wcss));
        knee = elbow_knee(&wcss);
        let mut elbow = Line::metric(
            "Elbow: within-cluster sum of squares",
            "WCSS",
            wcss,
            chosen_k,
        );
        elbow.knee = knee;
        for (name, chart, caption) in [
            (
                "elbow",
                elbow,
                "WCSS against k; the knee (green) and the chosen k (red)",
            ),
            (
                "silhouette",
                Line::metric(
                    "Silhouette (higher is better)",
                    "silhouette",
                    pts(&|s| s.silhouette),
                    chosen_k,
                ),
                "Mean silhouette against k",
            ),
            (
                "stability",
                Line::metric(
                    "Stability: the least stable segment (higher is better)",
                    "Jaccard",
                    pts(&|s| s.stability.as_ref().and_then(|st| st.min())),
                    chosen_k,
                ),
                "Each k's least stable segment: its mean Jaccard with the segments found again on resamples (0.75 and above: stable; under 0.6: not to be trusted)",
            ),
            (
                "davies_bouldin",
                Line::metric(
                    "Davies-Bouldin (lower is better)",
                    "Davies-Bouldin",
                    pts(&|s| s.davies_bouldin),
                    chosen_k,
                ),
                "Davies-Bouldin index against k",
            ),
            (
                "calinski_harabasz",
                Line::metric(
                    "Calinski-Harabasz (higher is better)",
                    "Calinski-Harabasz",
                    pts(&|s| s.calinski_harabasz),
                    chosen_k,
                ),
                "Calinski-Harabasz index against k",
            ),
        ] {
            if name == "stability" && km.iter().all(|s| s.stability.is_none()) {
                continue;
            }
            figs.add(later(name, WIDE, chart), caption.to_string());
            selection.push(name.to_string());
        }
    }
    (selection, knee)
}

/// The top of the agglomerative tree (one tree serves every k), cut where the chosen model
/// is when it is one of the tree's.
fn dendrogram(input: &ReportInput, figs: &mut Figures) -> Option<String> {
    let (linkage, top) = input.models.iter().find_map(|m| match &m.fit {
        Fit::Agglomerative {
            linkage,
            top: Some(top),
            ..
        } => Some((*linkage, top)),
        _ => None,
    })?;
    let cut = match &input.chosen.fit {
        Fit::Agglomerative { k, .. } => cut_height(top, *k),
        _ => None,
    };
    let rows: usize = top.sizes.iter().sum();
    let caption = format!(
        "The last {} merges of the {} tree above the {} clusters left before them ({rows} customers{}); {}",
        top.merges.len(),
        linkage.as_str(),
        top.sizes.len(),
        if rows < input.x.n { ", the tree's sample" } else { "" },
        match cut {
            Some(_) => format!("the dashed line cuts it into the chosen {}'s segments", input.chosen.name),
            None => "the chosen model is not one of this tree's cuts".to_string(),
        }
    );
    figs.add(
        later(
            "dendrogram",
            WIDE,
            Dendrogram {
                title: format!(
                    "Agglomerative clustering ({} linkage): the top of the tree",
                    linkage.as_str()
                ),
                top: top.clone(),
                cut,
            },
        ),
        caption,
    );
    Some("dendrogram".into())
}

/// Per-cluster silhouette of the chosen model (noise left out), on the scatter sample.
fn silhouette_per_segment(input: &ReportInput, s: &Sample, figs: &mut Figures) -> Option<String> {
    let (sample, sample_note) = (&s.rows, &s.note);
    let kept: Vec<usize> = sample
        .iter()
        .copied()
        .filter(|&i| input.chosen.labels[i] >= 0)
        .collect();
    let (dense, k) = dense_labels(kept.iter().map(|&i| input.chosen.labels[i] as usize));
    let values = silhouette_samples(&input.x.select_rows(&kept), &dense, k)?;
    let mut clusters: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for (j, &i) in kept.iter().enumerate() {
        clusters
            .entry(input.chosen.labels[i])
            .or_default()
            .push(values[j]);
    }
    let average = values.iter().sum::<f64>() / values.len() as f64;
    let clusters = clusters
        .into_iter()
        .map(|(s, mut v)| {
            v.sort_by(|a, b| b.total_cmp(a));
            (s, v)
        })
        .collect();
    figs.add(
        later(
            "silhouette_clusters",
            WIDE,
            SilhouettePlot {
                title: format!("Silhouette per segment, {}{sample_note}", input.chosen.name),
                clusters,
                average,
            },
        ),
        "Each customer's silhouette, sorted within its segment; the dashed line is the average"
            .into(),
    );
    Some("silhouette_clusters".into())
}

/// DBSCAN's k-distance curve with the eps used.
fn k_distance(input: &ReportInput, s: &Sample, figs: &mut Figures) -> Option<String> {
    let (eps, ms) = input.models.iter().find_map(|m| match m.fit {
        Fit::Dbscan {
            eps, min_samples, ..
        } => Some((eps, min_samples)),
        Fit::Kmeans { .. } | Fit::Agglomerative { .. } | Fit::Hdbscan { .. } | Fit::Gmm { .. } => {
            None
        }
    })?;
    let sample_note = &s.note;
    let curve = dbscan::k_distances(input.x, ms, SCATTER_SAMPLE, input.plan.seed);
    let points: Vec<(f64, f64)> = curve
        .iter()
        .enumerate()
        .map(|(i, &d)| (i as f64, d))
        .collect();
    let mut line = Line::metric(
        &format!("DBSCAN: distance to the {ms}-th nearest neighbour{sample_note}"),
        "distance (scaled units)",
        points,
        None,
    );
    line.x_label = "customers, sorted".into();
    line.markers = false;
    line.hline = Some((eps, format!("eps used = {eps:.4}")));
    figs.add(
        later("k_distance", WIDE, line),
        "The k-distance curve: eps should sit near its knee".into(),
    );
    Some("k_distance".into())
}

pub fn html(h: &mut Html, input: &ReportInput, s: &Selection, figs: &Drawn) {
    let p = input.plan;
    h.markup("<h2 id=\"selection\">Model selection</h2><table class=\"sortable\"><tr><th>model</th><th>clusters</th><th>noise</th><th>silhouette</th><th>Davies-Bouldin</th><th>Calinski-Harabasz</th><th>WCSS</th><th>stability: least stable segment</th><th>stability: mean</th><th>smallest segment</th></tr>");
    for s in input.scores {
        h.markup(if s.chosen {
            "<tr class=\"chosen\">"
        } else {
            "<tr>"
        });
        h.markup("<td>")
            .text(&s.model)
            .markup("</td><td>")
            .text(s.clusters);
        h.markup("</td><td>")
            .text(format!("{:.1}%", s.noise_share * 100.0));
        h.markup("</td><td>").text(num(s.silhouette));
        h.markup("</td><td>").text(num(s.davies_bouldin));
        h.markup("</td><td>").text(num(s.calinski_harabasz));
        h.markup("</td><td>").text(format!("{:.3}", s.wcss));
        let st = s.stability.as_ref();
        h.markup("</td><td>").text(num(st.and_then(|t| t.min())));
        h.markup("</td><td>").text(num(st.and_then(|t| t.mean())));
        h.markup("</td><td>")
            .text(format!("{:.1}%", s.smallest_share * 100.0))
            .markup("</td></tr>");
    }
    let from = match p.evaluate.choose_from {
        crate::config::ChooseFrom::KMeans => "K-means",
        crate::config::ChooseFrom::Dbscan => "DBSCAN",
        crate::config::ChooseFrom::Agglomerative => "agglomerative",
        crate::config::ChooseFrom::Hdbscan => "HDBSCAN",
        crate::config::ChooseFrom::Gmm => "Gaussian mixture",
        crate::config::ChooseFrom::Any => "configured",
    };
    let better = if p.evaluate.choose_by.higher_is_better() {
        " (higher is better)"
    } else {
        " (lower is better)"
    };
    let elbow = match (s.knee, s.chosen_k) {
        (Some(kn), Some(c)) if kn == c => {
            format!(" The elbow of the WCSS curve is at the same k = {kn}.")
        }
        (Some(kn), _) => format!(" The elbow of the WCSS curve is at k = {kn}."),
        _ => String::new(),
    };
    h.markup("</table><p>Why this model: ");
    h.text(why(input, from, better)).text(elbow).markup("</p>");
    if let Some(n) = p.cluster.kmeans.as_ref().and_then(|k| k.fit_sample) {
        if n < input.x.n {
            h.markup("<p>").text(format!(
                "The K-means models were fitted on a seeded sample of {n} of the {} customers (cluster.kmeans.fit_sample); every customer was then assigned to the nearest fitted centroid, and the metrics above are computed on all of them.",
                input.x.n
            )).markup("</p>");
        }
    }
    if let Some(ag) = &p.cluster.agglomerative {
        h.markup("<p>")
            .text(tree_note(ag, input.x.n))
            .markup("</p>");
    }
    if let Some(note) = between_note(input.chosen) {
        h.markup("<p>").text(note).markup("</p>");
    }
    if let Some(hd) = &p.cluster.hdbscan {
        h.markup("<p>")
            .text(hdbscan_note(hd, input.x.n))
            .markup("</p>");
    }
    if let Some(identity) = input.identity {
        identity_html(h, input, identity);
    }
    figs.html(h, &s.names, false);
}

/// For a chosen Gaussian mixture: how many customers sit between segments (no segment of
/// posterior probability 0.8 or more).
fn between_note(chosen: &crate::cluster::Model) -> Option<String> {
    let Fit::Gmm {
        probability,
        mixture,
        ..
    } = &chosen.fit
    else {
        return None;
    };
    let n = probability.len().max(1);
    let between = probability.iter().filter(|&&p| p < 0.8).count();
    Some(format!(
        "A Gaussian mixture ({} covariances) gives each customer a probability of each segment: {between} of {n} customers ({:.1}%) have no segment of probability 0.8 or more and sit between two segments (their probabilities are the column {}_probability of 05_clusters.parquet). `segflow assign` places new customers in their most probable segment.",
        mixture.covariance.as_str(),
        100.0 * between as f64 / n as f64,
        chosen.name
    ))
}

/// How HDBSCAN was fitted, and how new customers are placed.
fn hdbscan_note(hd: &crate::config::HdbscanPlan, n: usize) -> String {
    let on = if hd.max_rows < n {
        format!(
            "fitted on a seeded sample of {} of the {n} customers (cluster.hdbscan.max_rows); every other customer joined the segment of the nearest clustered sample customer within that customer's core distance, else noise",
            hd.max_rows
        )
    } else {
        format!("fitted on all {n} customers")
    };
    format!(
        "HDBSCAN (min_cluster_size {}, min_samples {}) was {on}. Each customer's membership strength (1: at the heart of its segment, 0: noise) is the column hdbscan_strength of 05_clusters.parquet. `segflow assign` places new customers in the segment of the nearest clustered customer within that customer's core distance, else noise.",
        hd.min_cluster_size, hd.min_samples
    )
}

/// How the agglomerative models were grown, and how new customers are placed in them.
fn tree_note(ag: &crate::config::AgglomerativePlan, n: usize) -> String {
    let grown = if ag.max_rows < n {
        format!(
            "grown on a seeded sample of {} of the {n} customers (cluster.agglomerative.max_rows: a tree holds every pairwise distance), then every customer joined the nearest centre of the sample's segments",
            ag.max_rows
        )
    } else {
        format!("grown on all {n} customers")
    };
    format!(
        "The agglomerative models are one tree ({} linkage) cut at each k, {grown}. `segflow assign` places new customers by the nearest segment centre.",
        ag.linkage.as_str()
    )
}

/// The rule that chose the model, the runner-up under it, and how stable the choice is.
fn why(input: &ReportInput, from: &str, better: &str) -> String {
    let e = &input.plan.evaluate;
    let metric = e.choose_by.as_str();
    let stable = e.stability.as_ref().map_or(0.75, |p| p.stable);
    let least = |s: &Score| s.stability.as_ref().and_then(|t| t.min());
    let chosen = input.scores.iter().find(|s| s.chosen);
    let qualifies = |s: &Score| crate::stages::evaluate::qualifies(s, e, e.stable_only);
    let runner_up = input
        .scores
        .iter()
        .filter(|s| !s.chosen && qualifies(s) && s.metric(e.choose_by).is_some())
        .max_by(|a, b| {
            let (x, y) = (
                a.metric(e.choose_by).unwrap_or(0.0),
                b.metric(e.choose_by).unwrap_or(0.0),
            );
            if e.choose_by.higher_is_better() {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            }
        });
    let mut text = match (e.stable_only, chosen.is_some_and(&qualifies)) {
        (true, true) => format!(
            "choose_by: stability takes the best {metric} among the {from} models whose every segment is stable (found again with a mean Jaccard of {stable:.2} or more on resamples) and none under {:.0}% of the customers{better}.",
            e.min_segment_share * 100.0
        ),
        (true, false) => format!(
            "choose_by: stability found no {from} model whose every segment is stable (Jaccard {stable:.2} or more) and none under {:.0}% of the customers, so it took the most stable one: there are no stable segments here, and campaigns should not be built on these alone.",
            e.min_segment_share * 100.0
        ),
        (false, _) => format!("it has the best {metric} among the {from} models{better}."),
    };
    if let (Some(c), Some(r)) = (chosen.filter(|c| qualifies(c)), runner_up) {
        text.push_str(&format!(
            " The runner-up is {} ({metric} {} against {}).",
            r.model,
            num(r.metric(e.choose_by)),
            num(c.metric(e.choose_by))
        ));
    }
    if let Some(m) = chosen.and_then(least).filter(|_| !e.stable_only) {
        let verdict = if m >= stable {
            "stable"
        } else {
            "below the stable mark"
        };
        text.push_str(&format!(
            " Its least stable segment is found again with a mean Jaccard of {m:.2} on resamples ({verdict}, {stable:.2}); choose_by: stability takes only models whose every segment is stable."
        ));
    }
    text
}

/// With `cluster.reference`: which segment kept which earlier id, which are new or gone.
fn identity_html(h: &mut Html, input: &ReportInput, identity: &Identity) {
    let kept = identity
        .matches
        .iter()
        .filter(|m| m.distance.is_some())
        .count();
    h.markup("<p>").text(format!(
        "Segment ids and names are kept from an earlier run ({}, cluster.reference): {kept} of this run's {} segments matched one of its segments, by the nearest centroids (distance in this run's scaled units).",
        identity.reference.display(),
        identity.matches.len()
    ));
    h.markup("</p><table class=\"sortable\"><tr><th>segment</th><th>name</th><th>in the earlier run</th><th>centroid distance</th></tr>");
    for m in &identity.matches {
        let name = input
            .segments
            .iter()
            .find(|s| s.id == m.id)
            .map(|s| s.name.as_str());
        h.markup("<tr><td>")
            .text(m.id)
            .markup("</td><td>")
            .text(name.unwrap_or(""));
        h.markup("</td><td>").text(match m.distance {
            Some(_) => "same id",
            None => "new",
        });
        h.markup("</td><td>")
            .text(m.distance.map_or(String::new(), |d| format!("{d:.3}")))
            .markup("</td></tr>");
    }
    for (id, name) in &identity.gone {
        h.markup("<tr><td>").text(id).markup("</td><td>").text(name);
        h.markup("</td><td>gone: no segment of this run matches it</td><td></td></tr>");
    }
    h.markup("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_of_an_elbow() {
        let pts: Vec<(f64, f64)> = [
            (2.0, 100.0),
            (3.0, 60.0),
            (4.0, 30.0),
            (5.0, 25.0),
            (6.0, 22.0),
            (7.0, 20.0),
        ]
        .to_vec();
        assert_eq!(elbow_knee(&pts), Some(4.0));
        assert_eq!(elbow_knee(&pts[..2]), None);
        // A straight line has no knee.
        assert_eq!(elbow_knee(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]), None);
    }
}
