//! DBSCAN with scikit-learn's semantics, implemented here.
//!
//! Why not smartcore's: its `predict` labels each point by a majority vote over neighbours,
//! which is not DBSCAN (measured: 487 noise points where true DBSCAN finds 536 on 10k
//! points), and its `fit` does not expose the labels it computes.
//!
//! Semantics (as scikit-learn): a point is core when at least `min_samples` points,
//! itself included, lie within distance `eps` (inclusive). Clusters grow from core points
//! in index order; a border point joins the first cluster that reaches it; the rest is
//! noise (-1). Neighbour lists are computed on demand, never stored for all points.

use polars::prelude::PlHashMap;
use rayon::prelude::*;

use super::NOISE;
use crate::matrix::{sq_dist, Matrix};
use crate::metrics::knee;
use crate::metrics::silhouette::sample_indices;

/// Result of a DBSCAN fit: labels (0.., or -1 for noise) and which points are core.
pub struct Fit {
    pub labels: Vec<i64>,
    pub is_core: Vec<bool>,
}

/// Finds the points within eps of a point.
trait Neighbours: Sync {
    /// Calls `f` with each neighbour of row `i` (itself included) until `f` returns false.
    fn each(&self, i: usize, f: &mut dyn FnMut(usize) -> bool);
}

/// Every pair compared: O(n²), for small or high-dimensional data.
struct Brute<'a> {
    x: &'a Matrix,
    eps2: f64,
}

impl Neighbours for Brute<'_> {
    fn each(&self, i: usize, f: &mut dyn FnMut(usize) -> bool) {
        let xi = self.x.row(i);
        for j in 0..self.x.n {
            if sq_dist(xi, self.x.row(j)) <= self.eps2 && !f(j) {
                return;
            }
        }
    }
}

/// DBSCAN: cell-based for up to 4 dimensions, boxes under a coarse grid for 5-6, else
/// brute force. All give the same labels (tested against `fit_brute`).
pub fn fit(x: &Matrix, eps: f64, min_samples: usize) -> Fit {
    if x.n <= 64 || x.d > 6 {
        fit_brute(x, eps, min_samples)
    } else if x.d <= 4 {
        fit_cells(x, eps, min_samples)
    } else {
        fit_boxes(x, eps, min_samples)
    }
}

/// Most dimensions [`fit_boxes`] takes.
const BOX_DIMS: usize = 6;
type BoxKey = [i64; BOX_DIMS];

/// Exact DBSCAN for up to 6 dimensions (used for 5-6), in parallel. Points fall in boxes of
/// side eps/√d, so any two points of a box are within eps: a box of min_samples points is
/// all core without a distance computed, and the core points of a box are always in one
/// cluster. Clusters are joined box to box in a concurrent union-find, a distance computed
/// only while two boxes are not yet joined. The boxes that can hold points within eps of
/// each other are found through a coarse grid of blocks of boxes: 3^d neighbour blocks are
/// looked up instead of every box offset (6,095 in 5 dimensions, most of them empty).
/// Labels as scikit-learn's: clusters numbered in the order of their smallest core index, a
/// border point in the smallest-numbered cluster with a core point within eps of it.
///
/// One function of more than 80 lines on purpose: a numeric kernel whose labels are tested
/// bit for bit against the all-pairs reference; its phases share the box/cell tables and
/// the union-find, and splitting them would move that state into a struct without making
/// the order of operations (which the exact results depend on) any easier to follow.
pub fn fit_boxes(x: &Matrix, eps: f64, min_samples: usize) -> Fit {
    let d = x.d;
    assert!(
        d <= BOX_DIMS,
        "fit_boxes takes at most {BOX_DIMS} dimensions"
    );
    let side = eps / (d as f64).sqrt();
    let eps2 = eps * eps;
    // Boxes within eps of each other are at most 1 + √d boxes apart in any coordinate (see
    // `near`); blocks that many boxes wide put them in the same or adjacent blocks.
    let per_block = (1.0 + (d as f64).sqrt()).floor() as i64;
    let mut index: PlHashMap<BoxKey, u32> = PlHashMap::default();
    let mut keys: Vec<BoxKey> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut box_of: Vec<u32> = Vec::with_capacity(x.n);
    for i in 0..x.n {
        let mut key = [0i64; BOX_DIMS];
        for (k, v) in key.iter_mut().zip(x.row(i)) {
            *k = (v / side).floor() as i64;
        }
        let b = *index.entry(key).or_insert_with(|| {
            keys.push(key);
            members.push(Vec::new());
            (keys.len() - 1) as u32
        });
        members[b as usize].push(i);
        box_of.push(b);
    }
    let block_of = |key: &BoxKey| -> BoxKey {
        let mut out = [0i64; BOX_DIMS];
        for (o, k) in out.iter_mut().zip(key).take(d) {
            *o = k.div_euclid(per_block);
        }
        out
    };
    let mut blocks: PlHashMap<BoxKey, Vec<u32>> = PlHashMap::default();
    for (b, key) in keys.iter().enumerate() {
        blocks.entry(block_of(key)).or_default().push(b as u32);
    }
    // The boxes (itself included) whose gap to box `a` is at most eps: with box offsets δ,
    // the gap is side · sqrt(Σ max(|δ| - 1, 0)²) and side² = eps²/d.
    let near = |a: usize| -> Vec<u32> {
        let ka = &keys[a];
        let base = block_of(ka);
        let mut block = base;
        let mut out = Vec::new();
        for offset in 0..3usize.pow(d as u32) {
            let mut o = offset;
            for (k, b) in block.iter_mut().zip(&base).take(d) {
                *k = b + (o % 3) as i64 - 1;
                o /= 3;
            }
            let Some(list) = blocks.get(&block) else {
                continue;
            };
            for &b in list {
                let kb = &keys[b as usize];
                let gap: i64 = (0..d)
                    .map(|j| ((ka[j] - kb[j]).abs() - 1).max(0).pow(2))
                    .sum();
                if gap <= d as i64 {
                    out.push(b);
                }
            }
        }
        out
    };

    let mut is_core = vec![false; x.n];
    let core_of_box: Vec<Vec<(usize, bool)>> = (0..keys.len())
        .into_par_iter()
        .map(|a| {
            let own = &members[a];
            if own.len() >= min_samples {
                return own.iter().map(|&i| (i, true)).collect();
            }
            let around = near(a);
            own.iter()
                .map(|&i| {
                    let xi = x.row(i);
                    // Every point of its own box is within eps.
                    let mut count = own.len();
                    'count: for &b in around.iter().filter(|&&b| b as usize != a) {
                        for &j in &members[b as usize] {
                            if sq_dist(xi, x.row(j)) <= eps2 {
                                count += 1;
                                if count >= min_samples {
                                    break 'count;
                                }
                            }
                        }
                    }
                    (i, count >= min_samples)
                })
                .collect()
        })
        .collect();
    for (i, core) in core_of_box.into_iter().flatten() {
        is_core[i] = core;
    }
    let cores: Vec<Vec<usize>> = members
        .iter()
        .map(|m| m.iter().copied().filter(|&i| is_core[i]).collect())
        .collect();

    let comps = Components::new(keys.len());
    (0..keys.len())
        .into_par_iter()
        .filter(|&a| !cores[a].is_empty())
        .for_each(|a| {
            for b in near(a) {
                let b = b as usize;
                if b <= a || cores[b].is_empty() || comps.find(a) == comps.find(b) {
                    continue;
                }
                let linked = cores[a].iter().any(|&p| {
                    let xp = x.row(p);
                    cores[b].iter().any(|&q| sq_dist(xp, x.row(q)) <= eps2)
                });
                if linked {
                    comps.union(a, b);
                }
            }
        });

    let mut labels = vec![NOISE; x.n];
    let mut number = vec![NOISE; keys.len()];
    let mut next = 0i64;
    for p in (0..x.n).filter(|&p| is_core[p]) {
        let root = comps.find(box_of[p] as usize);
        if number[root] == NOISE {
            number[root] = next;
            next += 1;
        }
        labels[p] = number[root];
    }
    let border: Vec<(usize, i64)> = (0..keys.len())
        .into_par_iter()
        .filter(|&a| cores[a].len() < members[a].len())
        .flat_map_iter(|a| {
            let around = near(a);
            let labels = &labels;
            members[a]
                .iter()
                .filter(|&&i| !is_core[i])
                .filter_map(|&i| {
                    let xi = x.row(i);
                    let mut best = NOISE;
                    for &b in &around {
                        for &q in &cores[b as usize] {
                            if sq_dist(xi, x.row(q)) <= eps2 && (best == NOISE || labels[q] < best)
                            {
                                best = labels[q];
                            }
                        }
                    }
                    (best != NOISE).then_some((i, best))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (i, l) in border {
        labels[i] = l;
    }
    Fit { labels, is_core }
}

/// Cell-based exact DBSCAN (the idea of Gunawan's algorithm): cells of side eps/√d, so any
/// two points of a cell are within eps. A cell with min_samples points is all core without a
/// distance computed; clusters are unions of core cells with a core pair within eps; a
/// border point joins, as in scikit-learn, the cluster discovered first (the one whose
/// smallest core index is lowest) among those with a core point within eps of it.
///
/// One function of more than 80 lines on purpose: a numeric kernel whose labels are tested
/// bit for bit against the all-pairs reference; its phases share the box/cell tables and
/// the union-find, and splitting them would move that state into a struct without making
/// the order of operations (which the exact results depend on) any easier to follow.
pub fn fit_cells(x: &Matrix, eps: f64, min_samples: usize) -> Fit {
    let d = x.d;
    let side = eps / (d as f64).sqrt();
    let eps2 = eps * eps;
    let reach = (d as f64).sqrt().ceil() as i64;
    // Cells in order of their first point.
    let mut index: rustc_hash::FxHashMap<Vec<i64>, usize> = Default::default();
    let mut keys: Vec<Vec<i64>> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let cell_of: Vec<usize> = (0..x.n)
        .map(|i| {
            let key: Vec<i64> = x.row(i).iter().map(|v| (v / side).floor() as i64).collect();
            let c = *index.entry(key.clone()).or_insert_with(|| {
                keys.push(key);
                members.push(Vec::new());
                keys.len() - 1
            });
            members[c].push(i);
            c
        })
        .collect();
    // Offsets of cells that can hold a point within eps: the gap between the cells is
    // side · sqrt(Σ max(|Δ| - 1, 0)²), which must not exceed eps.
    let mut offsets: Vec<Vec<i64>> = vec![vec![]];
    for _ in 0..d {
        offsets = offsets
            .into_iter()
            .flat_map(|o| (-reach..=reach).map(move |v| [o.clone(), vec![v]].concat()))
            .collect();
    }
    offsets.retain(|o| {
        let gap: i64 = o.iter().map(|v| (v.abs() - 1).max(0).pow(2)).sum();
        (gap as f64) * side * side <= eps2
    });
    let near: Vec<Vec<usize>> = (0..keys.len())
        .into_par_iter()
        .map(|c| {
            let mut key = keys[c].clone();
            let mut out = Vec::new();
            for o in &offsets {
                for (k, (b, v)) in key.iter_mut().zip(keys[c].iter().zip(o)) {
                    *k = b + v;
                }
                if let Some(&n) = index.get(&key) {
                    out.push(n);
                }
            }
            out
        })
        .collect();
    let is_core: Vec<bool> = (0..x.n)
        .into_par_iter()
        .map(|i| {
            let c = cell_of[i];
            if members[c].len() >= min_samples {
                return true;
            }
            let xi = x.row(i);
            let mut count = 0;
            for &n in &near[c] {
                for &j in &members[n] {
                    if sq_dist(xi, x.row(j)) <= eps2 {
                        count += 1;
                        if count >= min_samples {
                            return true;
                        }
                    }
                }
            }
            false
        })
        .collect();
    let core_members: Vec<Vec<usize>> = members
        .iter()
        .map(|m| m.iter().copied().filter(|&i| is_core[i]).collect())
        .collect();
    // Union-find over cells with core points.
    let mut parent: Vec<usize> = (0..keys.len()).collect();
    fn find(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    for c in 0..keys.len() {
        if core_members[c].is_empty() {
            continue;
        }
        for &n in &near[c] {
            if n <= c || core_members[n].is_empty() {
                continue;
            }
            let (a, b) = (find(&mut parent, c), find(&mut parent, n));
            if a == b {
                continue;
            }
            let linked = core_members[c].iter().any(|&p| {
                core_members[n]
                    .iter()
                    .any(|&q| sq_dist(x.row(p), x.row(q)) <= eps2)
            });
            if linked {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // Clusters numbered in order of their smallest core point, as scikit-learn discovers them.
    let mut rank: std::collections::HashMap<usize, i64> = Default::default();
    let mut labels = vec![NOISE; x.n];
    for i in 0..x.n {
        if is_core[i] {
            let root = find(&mut parent, cell_of[i]);
            let next = rank.len() as i64;
            labels[i] = *rank.entry(root).or_insert(next);
        }
    }
    let border: Vec<(usize, i64)> = (0..x.n)
        .into_par_iter()
        .filter(|&i| !is_core[i])
        .filter_map(|i| {
            let xi = x.row(i);
            let mut best = NOISE;
            for &n in &near[cell_of[i]] {
                for &j in &core_members[n] {
                    if sq_dist(xi, x.row(j)) <= eps2 && (best == NOISE || labels[j] < best) {
                        best = labels[j];
                    }
                }
            }
            (best != NOISE).then_some((i, best))
        })
        .collect();
    for (i, l) in border {
        labels[i] = l;
    }
    Fit { labels, is_core }
}

/// DBSCAN comparing every pair of points (the reference the grid search is tested against).
pub fn fit_brute(x: &Matrix, eps: f64, min_samples: usize) -> Fit {
    run(x, min_samples, &Brute { x, eps2: eps * eps })
}

/// Which points have at least `min_samples` points (themselves included) within eps; the
/// count stops as soon as it gets there.
fn core_points(x: &Matrix, min_samples: usize, nb: &dyn Neighbours) -> Vec<bool> {
    (0..x.n)
        .into_par_iter()
        .map(|i| {
            let mut count = 0;
            nb.each(i, &mut |_| {
                count += 1;
                count < min_samples
            });
            count >= min_samples
        })
        .collect()
}

fn run(x: &Matrix, min_samples: usize, nb: &dyn Neighbours) -> Fit {
    let is_core = core_points(x, min_samples, nb);
    let mut labels = vec![NOISE; x.n];
    let mut next = 0i64;
    let mut stack = Vec::new();
    for i in 0..x.n {
        if labels[i] != NOISE || !is_core[i] {
            continue;
        }
        labels[i] = next;
        stack.push(i);
        while let Some(p) = stack.pop() {
            if !is_core[p] {
                continue;
            }
            nb.each(p, &mut |q| {
                if labels[q] == NOISE {
                    labels[q] = next;
                    stack.push(q);
                }
                true
            });
        }
        next += 1;
    }
    Fit { labels, is_core }
}

/// A union-find over the points that several threads may join at once (path halving,
/// the larger root linked under the smaller): which points end up together does not
/// depend on the order of the unions, only the shape of the trees does.
struct Components(Vec<std::sync::atomic::AtomicUsize>);

impl Components {
    fn new(n: usize) -> Components {
        Components((0..n).map(std::sync::atomic::AtomicUsize::new).collect())
    }

    fn find(&self, mut i: usize) -> usize {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        loop {
            let p = self.0[i].load(Acquire);
            if p == i {
                return i;
            }
            let gp = self.0[p].load(Acquire);
            if gp != p {
                let _ = self.0[i].compare_exchange(p, gp, AcqRel, Acquire);
            }
            i = p;
        }
    }

    fn union(&self, a: usize, b: usize) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        loop {
            let (ra, rb) = (self.find(a), self.find(b));
            if ra == rb {
                return;
            }
            let (hi, lo) = if ra > rb { (ra, rb) } else { (rb, ra) };
            if self.0[hi].compare_exchange(hi, lo, AcqRel, Acquire).is_ok() {
                return;
            }
        }
    }
}

/// Sorted distances of each point (of a seeded sample of at most `sample` points) to its
/// `k`-th nearest neighbour, the point itself counted as the first (scikit-learn's
/// convention for min_samples).
pub fn k_distances(x: &Matrix, k: usize, sample: usize, seed: u64) -> Vec<f64> {
    let idx = sample_indices(x.n, sample, seed);
    let xs = x.select_rows(&idx);
    let mut out: Vec<f64> = (0..xs.n)
        .into_par_iter()
        .map(|i| {
            let mut d: Vec<f64> = (0..xs.n).map(|j| sq_dist(xs.row(i), xs.row(j))).collect();
            let kk = k.min(d.len()).max(1) - 1;
            d.select_nth_unstable_by(kk, f64::total_cmp);
            d[kk].sqrt()
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The knee of a sorted k-distance curve (see [`crate::metrics::knee`]): the distance there.
/// `None` for a flat or too-short curve.
pub fn knee(curve: &[f64]) -> Option<f64> {
    let points: Vec<(f64, f64)> = curve
        .iter()
        .enumerate()
        .map(|(i, &d)| (i as f64, d))
        .collect();
    knee::knee(&points, knee::Slope::Rising)
        .map(|i| curve[i])
        .filter(|v| *v > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_samples_counts_the_point_itself() {
        // Three points within eps of each other, one far away.
        let x = Matrix::new(4, 1, vec![0.0, 0.5, 1.0, 10.0]);
        let f = fit(&x, 0.5, 2);
        assert_eq!(f.labels, vec![0, 0, 0, -1]);
        let f = fit(&x, 0.5, 3);
        // only the middle point has 3 points (itself included) within 0.5: 0 and 1.0 are border.
        assert_eq!(f.is_core, vec![false, true, false, false]);
        assert_eq!(f.labels, vec![0, 0, 0, -1]);
        let f = fit(&x, 0.4, 2);
        assert_eq!(f.labels, vec![-1, -1, -1, -1]);
    }

    #[test]
    fn boxes_equal_the_sequential_reference() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        // Five blobs in 2, 4, 5 and 6 dimensions on a coarse grid (ties and shared borders,
        // points on box edges), plus noise; eps from sparse to one cluster.
        for d in [2, 4, 5, 6] {
            let n = 3000;
            let mut v = Vec::with_capacity(n * d);
            for i in 0..n {
                let c = (i % 6) as f64 * 1.2;
                for _ in 0..d {
                    let spread = if i % 6 == 5 { 8.0 } else { 1.0 };
                    v.push(((c + rng.random::<f64>() * spread) * 8.0).round() / 8.0);
                }
            }
            let x = Matrix::new(n, d, v);
            for (eps, min) in [(0.4, 4), (0.6, 10), (0.9, 25), (0.25, 2), (2.5, 5)] {
                let reference = fit_brute(&x, eps, min);
                let fast = fit_boxes(&x, eps, min);
                assert!(reference.labels.iter().any(|&l| l >= 0), "d {d} eps {eps}");
                assert_eq!(fast.is_core, reference.is_core, "d {d} eps {eps}");
                assert_eq!(fast.labels, reference.labels, "d {d} eps {eps}");
            }
        }
    }

    #[test]
    fn knee_finds_the_bend() {
        let curve = [0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.5, 2.0];
        assert_eq!(knee(&curve), Some(0.15));
        assert_eq!(knee(&[1.0, 1.0, 1.0]), None);
    }
}
