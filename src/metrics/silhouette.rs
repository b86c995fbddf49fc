//! Silhouette coefficient, exact and on a seeded sample.
//!
//! Exact: every point's summed distance to each cluster, computed in parallel over points
//! with O(n·k) memory (no n×n matrix), so tens of thousands of rows stay practical.
//! Sampled: as scikit-learn's `silhouette_score(sample_size=…)`, the silhouette of a
//! seeded random subset computed among that subset only.

use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::matrix::Matrix;

/// Silhouette value of every point. A point alone in its cluster scores 0.
/// Returns `None` unless 2 <= k <= n - 1 (scikit-learn's validity range).
pub fn silhouette_samples(x: &Matrix, labels: &[usize], k: usize) -> Option<Vec<f64>> {
    if k < 2 || k >= x.n {
        return None;
    }
    Some(
        point_scores(x, &[(labels, k)])
            .into_iter()
            .map(|s| s[0])
            .collect(),
    )
}

/// Every point's silhouette under each labelling. Distances from a point to all others are
/// computed column by column into one buffer (vectorisable), then added to each labelling's
/// per-cluster sums in row order, so the result does not depend on the thread count.
fn point_scores(x: &Matrix, labelings: &[(&[usize], usize)]) -> Vec<Vec<f64>> {
    let n = x.n;
    let cols: Vec<Vec<f64>> = (0..x.d).map(|j| x.column(j)).collect();
    let sizes: Vec<Vec<usize>> = labelings
        .iter()
        .map(|(l, k)| {
            let mut s = vec![0usize; *k];
            l.iter().for_each(|&c| s[c] += 1);
            s
        })
        .collect();
    // Rows with the same cluster in every labelling form a group. A point's distances are
    // summed once per group (a gather over the group's rows, in row order, with independent
    // accumulators), and each labelling's cluster sums are sums of group sums. A k sweep has
    // far fewer groups than rows, so this replaces one pass over the distances per labelling
    // by one pass in all. (With one labelling the groups are its clusters, and the sums are
    // exactly those of a per-cluster gather.)
    let mut keys: std::collections::HashMap<Vec<usize>, u32> = Default::default();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for j in 0..n {
        let key: Vec<usize> = labelings.iter().map(|(l, _)| l[j]).collect();
        let next = members.len() as u32;
        let id = *keys.entry(key).or_insert(next);
        if id == next {
            members.push(Vec::new());
        }
        members[id as usize].push(j as u32);
    }
    // Each group's cluster under each labelling.
    let cluster_of: Vec<Vec<usize>> = labelings
        .iter()
        .map(|(l, _)| members.iter().map(|m| l[m[0] as usize]).collect())
        .collect();
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; n], vec![0.0f64; members.len()]),
            |(dist, group_sums), i| {
                dist.iter_mut().for_each(|v| *v = 0.0);
                for col in &cols {
                    let xi = col[i];
                    for (d, v) in dist.iter_mut().zip(col) {
                        let t = xi - v;
                        *d += t * t;
                    }
                }
                dist.iter_mut().for_each(|v| *v = v.sqrt());
                for (gs, m) in group_sums.iter_mut().zip(&members) {
                    *gs = gather_sum(dist, m);
                }
                labelings
                    .iter()
                    .enumerate()
                    .map(|(m, (l, k))| {
                        let mut sums = vec![0.0f64; *k];
                        for (g, gs) in group_sums.iter().enumerate() {
                            sums[cluster_of[m][g]] += gs;
                        }
                        point_score(&sums, &sizes[m], l[i], *k)
                    })
                    .collect()
            },
        )
        .collect()
}

/// Mean silhouette over all points.
pub fn silhouette(x: &Matrix, labels: &[usize], k: usize) -> Option<f64> {
    let s = silhouette_samples(x, labels, k)?;
    Some(s.iter().sum::<f64>() / s.len() as f64)
}

/// Mean silhouette of a seeded random sample of `size` points (exact when n <= size).
/// Returns the value and the number of points it was computed on.
pub fn silhouette_sampled(
    x: &Matrix,
    labels: &[usize],
    k: usize,
    size: usize,
    seed: u64,
) -> Option<(f64, usize)> {
    if x.n <= size {
        return silhouette(x, labels, k).map(|s| (s, x.n));
    }
    let idx = sample_indices(x.n, size, seed);
    let xs = x.select_rows(&idx);
    // Relabel the clusters present in the sample to 0..k'.
    let (ls, present) = super::dense_labels(idx.iter().map(|&i| labels[i]));
    silhouette(&xs, &ls, present).map(|s| (s, idx.len()))
}

/// `size` distinct indices of `0..n`, sorted, from a seeded generator.
pub fn sample_indices(n: usize, size: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx = sample(&mut rng, n, size.min(n)).into_vec();
    idx.sort_unstable();
    idx
}

/// Mean silhouette of several labellings of the same rows in one pass: each distance is
/// computed once and added to every labelling's per-cluster sums (what a k sweep needs).
/// `labelings` holds (labels 0..k, k); results are in the same order, `None` where k is
/// outside 2..=n-1. Equal to calling [`silhouette`] on each up to rounding (a cluster's
/// distance sum is added up group by group).
pub fn silhouette_many(x: &Matrix, labelings: &[(&[usize], usize)]) -> Vec<Option<f64>> {
    let n = x.n;
    let scores = point_scores(x, labelings);
    labelings
        .iter()
        .enumerate()
        .map(|(m, (_, k))| {
            (*k >= 2 && *k < n).then(|| scores.iter().map(|t| t[m]).sum::<f64>() / n as f64)
        })
        .collect()
}

/// Sum of `values[idx]` over `idx`, with four accumulators (a fixed order, so the same
/// result on any machine).
#[inline]
fn gather_sum(values: &[f64], idx: &[u32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = idx.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        acc[0] += values[c[0] as usize];
        acc[1] += values[c[1] as usize];
        acc[2] += values[c[2] as usize];
        acc[3] += values[c[3] as usize];
    }
    let mut tail = 0.0;
    for &j in rest {
        tail += values[j as usize];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// One point's silhouette from its summed distances to each cluster.
fn point_score(sums: &[f64], sizes: &[usize], own: usize, k: usize) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = sums[own] / (sizes[own] - 1) as f64;
    let b = (0..k)
        .filter(|&c| c != own && sizes[c] > 0)
        .map(|c| sums[c] / sizes[c] as f64)
        .fold(f64::INFINITY, f64::min);
    let m = a.max(b);
    if m > 0.0 && m.is_finite() {
        (b - a) / m
    } else {
        0.0
    }
}
