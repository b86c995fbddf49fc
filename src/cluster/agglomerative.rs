//! Agglomerative clustering: Ward, average or complete linkage on Euclidean distances, by
//! kodama (a port of fastcluster, whose algorithms SciPy's `linkage` uses: the same
//! dendrogram). Cutting the tree where k clusters are left gives scikit-learn's
//! `AgglomerativeClustering(n_clusters=k, linkage=…)` partition; one tree serves every k.
//!
//! The tree needs every pairwise distance, n(n-1)/2 numbers (400 MB at 10,000 rows), so it
//! is grown on at most `max_rows` rows; above that on a seeded sample, and then every row
//! (the sample's too, so that one rule labels all) joins the nearest centroid of the
//! sample tree's clusters. `assign` places new customers by the nearest final centroid (a
//! tree has no rule for a point it did not grow on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kodama::{Dendrogram, Method};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::{sq_dist, Matrix};

/// How the distance between two groups is measured when the tree merges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Linkage {
    /// The merge that least increases the within-cluster sum of squares.
    Ward,
    /// The mean distance between the two groups' members.
    Average,
    /// The largest distance between the two groups' members.
    Complete,
}

impl Linkage {
    pub const NAMES: [&'static str; 3] = ["ward", "average", "complete"];

    pub fn as_str(self) -> &'static str {
        match self {
            Linkage::Ward => "ward",
            Linkage::Average => "average",
            Linkage::Complete => "complete",
        }
    }

    pub fn parse(name: &str) -> Option<Linkage> {
        match name {
            "ward" => Some(Linkage::Ward),
            "average" => Some(Linkage::Average),
            "complete" => Some(Linkage::Complete),
            _ => None,
        }
    }

    fn method(self) -> Method {
        match self {
            Linkage::Ward => Method::Ward,
            Linkage::Average => Method::Average,
            Linkage::Complete => Method::Complete,
        }
    }
}

/// The most rows a tree is grown on by default: 10,000 rows hold 50 million distances
/// (400 MB) and take a few seconds.
pub const MAX_ROWS: usize = 10_000;

/// The most rows `max_rows` may name: 40,000 rows hold 800 million distances (6.4 GB).
pub const MAX_ROWS_LIMIT: usize = 40_000;

/// The dendrogram of the rows of `x`.
pub fn tree(x: &Matrix, linkage: Linkage) -> Dendrogram<f64> {
    let n = x.n;
    let mut condensed = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        let a = x.row(i);
        condensed.extend((i + 1..n).map(|j| sq_dist(a, x.row(j)).sqrt()));
    }
    kodama::linkage(&mut condensed, n, linkage.method())
}

/// One merge of the top of a tree, for its chart: the two nodes joined (leaves are
/// numbered 0..p from the left of the truncated tree's order, merges p.. in merge order),
/// the height of the merge and the customers below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub left: usize,
    pub right: usize,
    pub height: f64,
    pub size: usize,
}

/// The top of a tree for its chart: the last merges and the sizes of the leaves below them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeTop {
    pub merges: Vec<Merge>,
    pub sizes: Vec<usize>,
}

/// Leaves of the chart of a tree's top: SciPy's `truncate_mode="lastp"` with p = 30.
pub const TOP_LEAVES: usize = 30;

/// The last `p - 1` merges of `tree` (all when it has fewer rows), renumbered so that the
/// leaves (the clusters left before those merges) are 0..p in their order under the tree
/// and merge i is node p + i; with each leaf's size.
pub fn top(tree: &Dendrogram<f64>, p: usize) -> (Vec<Merge>, Vec<usize>) {
    let n = tree.observations();
    let steps = tree.steps();
    let p = p.min(n).max(1);
    let first = n - p; // the first merge shown
    let size_of = |id: usize| if id < n { 1 } else { steps[id - n].size };
    // Leaves in the order a depth-first walk from the root meets them.
    let mut order = Vec::new();
    let mut stack = match steps.len() {
        0 => vec![0],
        len => vec![n + len - 1],
    };
    while let Some(id) = stack.pop() {
        if id >= n + first {
            let s = &steps[id - n];
            stack.push(s.cluster2);
            stack.push(s.cluster1);
        } else {
            order.push(id);
        }
    }
    let leaf: HashMap<usize, usize> = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let node = |id: usize| match leaf.get(&id) {
        Some(&i) => i,
        None => p + (id - n - first),
    };
    let merges = steps[first..]
        .iter()
        .map(|s| Merge {
            left: node(s.cluster1),
            right: node(s.cluster2),
            height: s.dissimilarity,
            size: s.size,
        })
        .collect();
    (merges, order.iter().map(|&id| size_of(id)).collect())
}

/// A tree and the rows it was grown on: all of them, or a seeded sample.
pub struct Grown {
    tree: Dendrogram<f64>,
    sample: Option<Matrix>,
}

/// The tree of `x`'s rows, or of a seeded sample of `max_rows` of them when there are more.
pub fn grow(x: &Matrix, linkage: Linkage, max_rows: usize, seed: u64) -> Grown {
    let sample = (max_rows < x.n).then(|| {
        x.select_rows(&crate::metrics::silhouette::sample_indices(
            x.n, max_rows, seed,
        ))
    });
    let tree = tree(sample.as_ref().unwrap_or(x), linkage);
    Grown { tree, sample }
}

impl Grown {
    /// The top of the tree for its chart: see [`top`].
    pub fn top(&self) -> TreeTop {
        let (merges, sizes) = top(&self.tree, TOP_LEAVES);
        TreeTop { merges, sizes }
    }

    /// The labels of `x` (the rows the tree was grown for) with the tree cut at k: the
    /// cut's, or with a sample every row's nearest centre of the sample's clusters.
    pub fn labels(&self, x: &Matrix, k: usize) -> Vec<i64> {
        let cut = cut(&self.tree, k);
        let Some(s) = &self.sample else {
            return cut;
        };
        let (_, centroids) = super::canonical_labels(s, &cut);
        (0..x.n)
            .into_par_iter()
            .map(|i| super::kmeans::nearest(&centroids, x.row(i)) as i64)
            .collect()
    }
}

/// Trees already grown, by the seed of the resample they were grown on: the models of
/// every k refit on the same resamples, and one tree serves all their cuts.
#[derive(Default)]
pub struct Trees(Mutex<HashMap<u64, Arc<Grown>>>);

impl Trees {
    /// The tree of resample `seed`, grown by `grow` the first time it is asked for.
    pub fn grown(&self, seed: u64, grow: impl FnOnce() -> Grown) -> Arc<Grown> {
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = lock().get(&seed) {
            return t.clone();
        }
        let t = Arc::new(grow());
        lock().insert(seed, t.clone());
        t
    }
}

/// The labels of the clusters left after the tree's first n - k merges: 0, 1, … in the
/// order of their first row.
pub fn cut(tree: &Dendrogram<f64>, k: usize) -> Vec<i64> {
    let n = tree.observations();
    // parent[c]: the cluster that c was merged into (c itself while it is a root).
    let mut parent: Vec<usize> = (0..(2 * n).saturating_sub(1)).collect();
    for (i, step) in tree.steps().iter().take(n.saturating_sub(k)).enumerate() {
        parent[step.cluster1] = n + i;
        parent[step.cluster2] = n + i;
    }
    let mut label_of_root: HashMap<usize, i64> = HashMap::new();
    (0..n)
        .map(|i| {
            let root = find(&mut parent, i);
            let next = label_of_root.len() as i64;
            *label_of_root.entry(root).or_insert(next)
        })
        .collect()
}

/// The root of `c`, shortening the path on the way.
fn find(parent: &mut [usize], c: usize) -> usize {
    let mut root = c;
    while parent[root] != root {
        root = parent[root];
    }
    let mut at = c;
    while parent[at] != root {
        let next = parent[at];
        parent[at] = root;
        at = next;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_the_tree_where_k_clusters_are_left() {
        // Two pairs far apart, and a point between them nearer the right pair.
        let x = Matrix::new(5, 1, vec![0.0, 0.1, 10.0, 10.2, 7.0]);
        for linkage in [Linkage::Ward, Linkage::Average, Linkage::Complete] {
            let t = tree(&x, linkage);
            assert_eq!(t.steps().len(), 4);
            assert_eq!(cut(&t, 5), [0, 1, 2, 3, 4]);
            assert_eq!(cut(&t, 2), [0, 0, 1, 1, 1], "{linkage:?}");
            assert_eq!(cut(&t, 1), [0, 0, 0, 0, 0]);
        }
        // Ward's first merge is the closest pair, at their Euclidean distance.
        let t = tree(&x, Linkage::Ward);
        assert!((t.steps()[0].dissimilarity - 0.1).abs() < 1e-12);
        // The top three leaves: the left pair, the right pair, and the point 7; then the
        // point joins the right pair, then everything joins.
        let (merges, sizes) = top(&t, 3);
        assert_eq!(sizes.iter().sum::<usize>(), 5);
        assert_eq!(merges.len(), 2);
        assert_eq!(merges[1].size, 5);
        assert!(merges[0].height <= merges[1].height);
        let leaves_of_first: Vec<usize> = [merges[0].left, merges[0].right].to_vec();
        assert!(leaves_of_first.iter().all(|&l| l < 3));
        assert_eq!(
            leaves_of_first.iter().map(|&l| sizes[l]).sum::<usize>(),
            3,
            "{merges:?} {sizes:?}"
        );
        assert!(merges[1].left == 3 || merges[1].right == 3);
        // p above the rows: every row a leaf.
        let (all, sizes) = top(&t, 50);
        assert_eq!((all.len(), sizes), (4, vec![1; 5]));
    }
}
