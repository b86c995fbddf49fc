//! Cluster quality metrics, pure functions of (X, labels), written to agree with
//! scikit-learn's definitions (checked to 1e-9 against its values in `tests/fixtures`).
//!
//! Labels are `0..k` with every cluster non-empty; DBSCAN noise is removed by the caller.

pub mod knee;
pub mod silhouette;

pub use silhouette::{silhouette, silhouette_many, silhouette_sampled, silhouette_samples};

use crate::matrix::{dist, sq_dist, Matrix};

/// Labels renumbered 0..k' in order of first appearance, and k'.
pub fn dense_labels(labels: impl IntoIterator<Item = usize>) -> (Vec<usize>, usize) {
    let mut map = std::collections::HashMap::new();
    let out: Vec<usize> = labels
        .into_iter()
        .map(|l| {
            let next = map.len();
            *map.entry(l).or_insert(next)
        })
        .collect();
    let k = map.len();
    (out, k)
}

/// Per-cluster sizes and centroids (means).
pub fn centroids(x: &Matrix, labels: &[usize], k: usize) -> (Vec<usize>, Vec<Vec<f64>>) {
    centroids_by(x, labels.len(), k, |i| Some(labels[i]))
}

/// [`centroids`] of the rows with a label of 0 or more: DBSCAN noise (-1) is left out, and
/// the rows are read in place (no copy of the clustered rows).
pub fn centroids_without_noise(
    x: &Matrix,
    labels: &[i64],
    k: usize,
) -> (Vec<usize>, Vec<Vec<f64>>) {
    centroids_by(x, labels.len(), k, |i| usize::try_from(labels[i]).ok())
}

/// Sizes and means of rows `0..n` by `label_of(row)` (rows without one are skipped), the
/// coordinates added in row order.
fn centroids_by(
    x: &Matrix,
    n: usize,
    k: usize,
    label_of: impl Fn(usize) -> Option<usize>,
) -> (Vec<usize>, Vec<Vec<f64>>) {
    let mut sizes = vec![0usize; k];
    let mut sums = vec![vec![0.0; x.d]; k];
    for i in 0..n {
        let Some(l) = label_of(i) else {
            continue;
        };
        sizes[l] += 1;
        for (s, v) in sums[l].iter_mut().zip(x.row(i)) {
            *s += v;
        }
    }
    for (s, &n) in sums.iter_mut().zip(&sizes) {
        if n > 0 {
            s.iter_mut().for_each(|v| *v /= n as f64);
        }
    }
    (sizes, sums)
}

/// Within-cluster sum of squared distances to the cluster means (k-means inertia).
pub fn wcss(x: &Matrix, labels: &[usize], k: usize) -> f64 {
    let (_, c) = centroids(x, labels, k);
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| sq_dist(x.row(i), &c[l]))
        .sum()
}

/// Calinski-Harabasz index: between- over within-cluster dispersion, scaled by degrees of
/// freedom. 1.0 when the within dispersion is zero, as scikit-learn returns. `None` for k < 2.
///
/// ```
/// use segflow::matrix::Matrix;
/// use segflow::metrics::{calinski_harabasz, silhouette, wcss};
///
/// // Two tight pairs far apart on a line.
/// let x = Matrix::new(4, 1, vec![0.0, 1.0, 10.0, 11.0]);
/// let labels = [0, 0, 1, 1];
/// assert_eq!(wcss(&x, &labels, 2), 1.0);
/// assert_eq!(calinski_harabasz(&x, &labels, 2), Some(200.0));
/// // Outer points: a = 1, b = 10.5; inner points: a = 1, b = 9.5.
/// let expected = (9.5 / 10.5 + 8.5 / 9.5) / 2.0;
/// assert!((silhouette(&x, &labels, 2).unwrap() - expected).abs() < 1e-15);
/// ```
pub fn calinski_harabasz(x: &Matrix, labels: &[usize], k: usize) -> Option<f64> {
    if k < 2 || x.n <= k {
        return None;
    }
    let (sizes, c) = centroids(x, labels, k);
    let all: Vec<usize> = vec![0; x.n];
    let (_, mean) = centroids(x, &all, 1);
    let extra: f64 = (0..k)
        .map(|j| sizes[j] as f64 * sq_dist(&c[j], &mean[0]))
        .sum();
    let intra: f64 = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| sq_dist(x.row(i), &c[l]))
        .sum();
    if intra == 0.0 {
        return Some(1.0);
    }
    Some(extra * (x.n - k) as f64 / (intra * (k - 1) as f64))
}

/// Davies-Bouldin index: mean over clusters of the worst (s_i + s_j) / d(c_i, c_j).
/// Lower is better. `None` for k < 2.
pub fn davies_bouldin(x: &Matrix, labels: &[usize], k: usize) -> Option<f64> {
    if k < 2 {
        return None;
    }
    let (sizes, c) = centroids(x, labels, k);
    let mut intra = vec![0.0; k];
    for (i, &l) in labels.iter().enumerate() {
        intra[l] += dist(x.row(i), &c[l]);
    }
    for (s, &n) in intra.iter_mut().zip(&sizes) {
        *s /= n.max(1) as f64;
    }
    let cd: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| dist(&c[i], &c[j])).collect())
        .collect();
    // numpy.allclose(a, 0): every |a| <= 1e-8.
    let close0 = |a: &f64| a.abs() <= 1e-8;
    if intra.iter().all(close0) || cd.iter().flatten().all(close0) {
        return Some(0.0);
    }
    let mut total = 0.0;
    for i in 0..k {
        let worst = (0..k)
            .filter(|&j| cd[i][j] != 0.0)
            .map(|j| (intra[i] + intra[j]) / cd[i][j])
            .fold(0.0, f64::max);
        total += worst;
    }
    Some(total / k as f64)
}

/// Pearson correlation of two columns over the rows where both have a value (two passes,
/// no copy).
pub fn correlation(a: &[Option<f64>], b: &[Option<f64>]) -> f64 {
    let pairs = || a.iter().zip(b).filter_map(|(x, y)| Some(((*x)?, (*y)?)));
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for (x, y) in pairs() {
        n += 1;
        sa += x;
        sb += y;
    }
    if n < 2 {
        return f64::NAN;
    }
    let (ma, mb) = (sa / n as f64, sb / n as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs() {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return f64::NAN;
    }
    sab / (saa.sqrt() * sbb.sqrt())
}

#[cfg(test)]
mod correlation_tests {
    use super::correlation;

    #[test]
    fn pearson_correlation() {
        let a: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0].iter().map(|v| Some(*v)).collect();
        let b: Vec<Option<f64>> = [2.0, 4.0, 6.0, 8.0].iter().map(|v| Some(*v)).collect();
        let c: Vec<Option<f64>> = [4.0, 3.0, 2.0, 1.0].iter().map(|v| Some(*v)).collect();
        assert!((correlation(&a, &b) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &c) + 1.0).abs() < 1e-12);
        // Missing values are skipped pairwise.
        let d = vec![Some(1.0), None, Some(3.0), Some(4.0)];
        assert!((correlation(&a, &d) - 1.0).abs() < 1e-12);
    }
}
