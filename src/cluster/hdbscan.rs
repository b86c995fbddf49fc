//! HDBSCAN (Campello, Moulavi & Sander 2013; McInnes & Healy 2017) with scikit-learn's
//! semantics (`sklearn.cluster.HDBSCAN`: Euclidean distances, excess-of-mass selection, no
//! single cluster, no selection epsilon): a point's core distance is the distance to its
//! `min_samples`-th nearest neighbour counting itself; Prim's algorithm grows the minimum
//! spanning tree of the mutual-reachability distances max(core_a, core_b, d(a, b)) as
//! scikit-learn's `mst_from_data_matrix` does (from point 0, ties to the lowest index); its
//! edges sorted by weight give the single-linkage tree, condensed by `min_cluster_size`; the
//! clusters of the largest total stability are kept, the other points are noise (-1). Each
//! clustered point's membership strength is its λ = 1/distance at leaving, over its
//! cluster's largest λ.
//!
//! Written here rather than taken from a crate: petal-clustering's and hdbscan's HDBSCAN
//! differ from scikit-learn's in the core distance (self excluded) or the selection, and
//! the issue asks for scikit-learn's labels. Time is O(n²·d) and memory O(n): the cluster
//! stage grows it on at most `max_rows` rows.

use rayon::prelude::*;

use crate::matrix::{sq_dist, Matrix};

/// HDBSCAN's answer on the rows it was fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Cluster per row (0.. in the order of scikit-learn's cluster ids), noise -1.
    pub labels: Vec<i64>,
    /// Membership strength per row, 0 for noise.
    pub strength: Vec<f64>,
    /// Core distance per row.
    pub core: Vec<f64>,
}

/// HDBSCAN of the rows of `x`.
pub fn fit(x: &Matrix, min_cluster_size: usize, min_samples: usize) -> Found {
    let n = x.n;
    if n < 2 {
        return Found {
            labels: vec![-1; n],
            strength: vec![0.0; n],
            core: vec![0.0; n],
        };
    }
    let core = core_distances(x, min_samples);
    let mut mst = spanning_tree(x, &core);
    mst.sort_by(|a, b| a.2.total_cmp(&b.2));
    let merges = single_linkage(&mst, n);
    let (labels, strength) = from_tree(&merges, n, min_cluster_size);
    Found {
        labels,
        strength,
        core,
    }
}

/// Labels and strengths from a single-linkage tree of `n` points (SciPy's format: merge i
/// makes node n + i): condensed by `min_cluster_size`, clusters by excess of mass.
pub fn from_tree(merges: &[Merge], n: usize, min_cluster_size: usize) -> (Vec<i64>, Vec<f64>) {
    let tree = condense(merges, n, min_cluster_size.max(2));
    let chosen = select(&tree, n);
    label(&tree, &chosen, n)
}

/// Each row's distance to its `min_samples`-th nearest row, itself counted first.
pub fn core_distances(x: &Matrix, min_samples: usize) -> Vec<f64> {
    let k = min_samples.clamp(1, x.n) - 1;
    (0..x.n)
        .into_par_iter()
        .map(|i| {
            let a = x.row(i);
            let mut d: Vec<f64> = (0..x.n).map(|j| sq_dist(a, x.row(j))).collect();
            let (_, kth, _) = d.select_nth_unstable_by(k, f64::total_cmp);
            kth.sqrt()
        })
        .collect()
}

/// Prim's minimum spanning tree of the mutual-reachability graph, edges (from, to, weight)
/// in the order they are added, as scikit-learn's `mst_from_data_matrix`.
pub fn spanning_tree(x: &Matrix, core: &[f64]) -> Vec<(usize, usize, f64)> {
    let n = x.n;
    let mut in_tree = vec![false; n];
    let mut reach = vec![f64::INFINITY; n];
    let mut source = vec![1usize; n];
    let mut edges = Vec::with_capacity(n - 1);
    let mut current = 0;
    for _ in 0..n - 1 {
        in_tree[current] = true;
        let (cur_row, cur_core) = (x.row(current), core[current]);
        // Each candidate's best reach so far, then the nearest: ties to the lowest index.
        let best = reach
            .par_iter_mut()
            .zip(source.par_iter_mut())
            .enumerate()
            .filter(|(j, _)| !in_tree[*j])
            .map(|(j, (r, s))| {
                let d = sq_dist(cur_row, x.row(j)).sqrt();
                let mutual = cur_core.max(core[j]).max(d);
                if mutual < *r {
                    *r = mutual;
                    *s = current;
                }
                (*r, j, *s)
            })
            .reduce(
                || (f64::MAX, usize::MAX, 0),
                |a, b| if (b.0, b.1) < (a.0, a.1) { b } else { a },
            );
        let (weight, next, from) = if best.1 == usize::MAX {
            (f64::MAX, 0, 0)
        } else {
            best
        };
        edges.push((from, next, weight));
        current = next;
    }
    edges
}

/// One merge of the single-linkage tree (SciPy's format: nodes n.. are merges).
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    pub left: usize,
    pub right: usize,
    pub distance: f64,
    pub size: usize,
}

/// The single-linkage tree of the sorted spanning tree.
pub fn single_linkage(mst: &[(usize, usize, f64)], n: usize) -> Vec<Merge> {
    let mut parent: Vec<usize> = (0..2 * n - 1).collect();
    let mut size = vec![1usize; 2 * n - 1];
    let find = |parent: &mut Vec<usize>, mut c: usize| {
        let mut root = c;
        while parent[root] != root {
            root = parent[root];
        }
        while parent[c] != root {
            let next = parent[c];
            parent[c] = root;
            c = next;
        }
        root
    };
    let mut merges = Vec::with_capacity(n - 1);
    for (i, &(a, b, distance)) in mst.iter().enumerate() {
        let (left, right) = (find(&mut parent, a), find(&mut parent, b));
        let node = n + i;
        size[node] = size[left] + size[right];
        parent[left] = node;
        parent[right] = node;
        merges.push(Merge {
            left,
            right,
            distance,
            size: size[node],
        });
    }
    merges
}

/// One edge of the condensed tree: a cluster (ids from n, the root n) and a child cluster
/// or point leaving it at `lambda`.
#[derive(Debug, Clone, Copy)]
struct Edge {
    parent: usize,
    child: usize,
    lambda: f64,
    size: usize,
}

/// The nodes below `root` (itself included), breadth first.
fn below(merges: &[Merge], n: usize, root: usize) -> Vec<usize> {
    let mut out = vec![root];
    let mut at = 0;
    while at < out.len() {
        let node = out[at];
        if node >= n {
            let m = &merges[node - n];
            out.extend([m.left, m.right]);
        }
        at += 1;
    }
    out
}

/// The single-linkage tree condensed by `min_size` (scikit-learn's `_condense_tree`).
fn condense(merges: &[Merge], n: usize, min_size: usize) -> Vec<Edge> {
    let root = 2 * n - 2;
    let mut relabel = vec![0usize; root + 1];
    relabel[root] = n;
    let mut next = n + 1;
    let mut ignore = vec![false; root + 1];
    let mut out = Vec::new();
    let count = |c: usize| if c >= n { merges[c - n].size } else { 1 };
    for node in below(merges, n, root) {
        if ignore[node] || node < n {
            continue;
        }
        let m = &merges[node - n];
        let lambda = if m.distance > 0.0 {
            1.0 / m.distance
        } else {
            f64::INFINITY
        };
        let (l, r) = (count(m.left), count(m.right));
        let parent = relabel[node];
        let mut fall_out = |side: usize, out: &mut Vec<Edge>| {
            for sub in below(merges, n, side) {
                if sub < n {
                    out.push(Edge {
                        parent,
                        child: sub,
                        lambda,
                        size: 1,
                    });
                }
                ignore[sub] = true;
            }
        };
        if l >= min_size && r >= min_size {
            for (side, size) in [(m.left, l), (m.right, r)] {
                relabel[side] = next;
                out.push(Edge {
                    parent,
                    child: next,
                    lambda,
                    size,
                });
                next += 1;
            }
        } else if l < min_size && r < min_size {
            fall_out(m.left, &mut out);
            fall_out(m.right, &mut out);
        } else if l < min_size {
            relabel[m.right] = parent;
            fall_out(m.left, &mut out);
        } else {
            relabel[m.left] = parent;
            fall_out(m.right, &mut out);
        }
    }
    out
}

/// The clusters excess of mass selects (scikit-learn's `_get_clusters`, method `eom`,
/// the root never selected): ids of the condensed tree.
fn select(tree: &[Edge], n: usize) -> Vec<usize> {
    let Some(last) = tree.iter().map(|e| e.parent).max() else {
        return Vec::new();
    };
    // A cluster's birth: the λ at which it appears as a child (the root's is 0).
    let mut birth = vec![0.0f64; last + 1];
    for e in tree.iter().filter(|e| e.child >= n) {
        birth[e.child] = e.lambda;
    }
    let mut stability = vec![0.0f64; last + 1];
    for e in tree {
        stability[e.parent] += (e.lambda - birth[e.parent]) * e.size as f64;
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); last + 1];
    for e in tree.iter().filter(|e| e.size > 1) {
        children[e.parent].push(e.child);
    }
    let mut selected = vec![false; last + 1];
    for node in (n + 1..=last).rev() {
        let below: f64 = children[node].iter().map(|&c| stability[c]).sum();
        if below > stability[node] {
            stability[node] = below;
        } else {
            selected[node] = true;
            let mut stack = children[node].clone();
            while let Some(c) = stack.pop() {
                selected[c] = false;
                stack.extend(children[c].iter().copied());
            }
        }
    }
    (n + 1..=last).filter(|&c| selected[c]).collect()
}

/// Each point's cluster (its nearest selected ancestor, numbered in the order of the ids;
/// noise without one) and membership strength.
fn label(tree: &[Edge], chosen: &[usize], n: usize) -> (Vec<i64>, Vec<f64>) {
    let last = tree.iter().map(|e| e.parent).max().unwrap_or(n);
    let mut parent_of = vec![usize::MAX; last.max(n) + 1];
    let mut leaves_at = vec![0.0f64; n];
    for e in tree {
        parent_of[e.child] = e.parent;
        if e.child < n {
            leaves_at[e.child] = e.lambda;
        }
    }
    let mut number = vec![-1i64; last + 1];
    for (i, &c) in chosen.iter().enumerate() {
        number[c] = i as i64;
    }
    // A selected cluster's largest λ among its own edges.
    let mut death = vec![0.0f64; last + 1];
    for e in tree {
        death[e.parent] = death[e.parent].max(e.lambda);
    }
    let mut labels = vec![-1i64; n];
    let mut strength = vec![0.0; n];
    for p in 0..n {
        let mut at = parent_of[p];
        while at != usize::MAX && number[at] < 0 {
            at = parent_of[at];
        }
        if at == usize::MAX {
            continue;
        }
        labels[p] = number[at];
        let (most, lambda) = (death[at], leaves_at[p]);
        strength[p] = if most == 0.0 || lambda.is_infinite() {
            1.0
        } else {
            lambda.min(most) / most
        };
    }
    (labels, strength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_dense_groups_and_a_far_point() {
        // Two groups of 6 around 0 and 10, one point at 100.
        let mut v: Vec<f64> = (0..6).map(|i| i as f64 * 0.1).collect();
        v.extend((0..6).map(|i| 10.0 + i as f64 * 0.1));
        v.push(100.0);
        let x = Matrix::new(13, 1, v);
        let f = fit(&x, 5, 5);
        assert_eq!(&f.labels[..6], [0; 6]);
        assert_eq!(&f.labels[6..12], [1; 6]);
        assert_eq!(f.labels[12], -1);
        assert_eq!(f.strength[12], 0.0);
        assert!(f.strength[..12].iter().all(|&s| s > 0.0 && s <= 1.0));
        // The 5th nearest counting itself: 0.4 away for the group's first point.
        assert!((f.core[0] - 0.4).abs() < 1e-12);
    }
}
