//! Placing new rows in a fitted model's segments: the nearest centroid for K-means; for
//! DBSCAN the segment of the nearest core point within eps (noise when none is), for HDBSCAN
//! the nearest member within its own core distance, both found through a grid of cells
//! (side the largest radius, or finer) instead of a scan of every point.
//!
//! The answer is the scan's, bit for bit: the same squared distances (`sq_dist`), the
//! nearest core point, on equal distances the one listed first.

use polars::prelude::PlHashMap as HashMap;

use super::kmeans::nearest;
use super::{Fit, Model, NOISE};
use crate::matrix::sq_dist;

/// The most dimensions the grid serves; beyond it 3^d neighbour cells cost more than the
/// scan they would save.
const GRID_DIMS: usize = 6;
type Cell = [i64; GRID_DIMS];

/// Places rows in the segments of one model.
pub enum Placer<'a> {
    Centroids(&'a Model),
    /// A Gaussian mixture: the component of highest posterior probability.
    Mixture(&'a Model, &'a super::gmm::Mixture),
    /// HDBSCAN: the nearest member within its own core distance.
    Radii {
        core: &'a [(Vec<f64>, i64)],
        radii: &'a [f64],
    },
    Scan {
        core: &'a [(Vec<f64>, i64)],
        eps2: f64,
    },
    Grid(Grid<'a>),
}

/// DBSCAN's core points (or HDBSCAN's members, each with its own radius) by cell. Cells are
/// eps/m wide (eps the largest radius for HDBSCAN), m chosen so that a cell holds a few
/// points where the core points are dense; rows are searched ring by ring of cells around
/// their own, stopping once no farther cell can hold a nearer point.
pub struct Grid<'a> {
    core: &'a [(Vec<f64>, i64)],
    /// HDBSCAN: each point's own radius (a row must lie within it); `eps` is then the
    /// largest of them.
    radii: Option<&'a [f64]>,
    eps: f64,
    side: f64,
    /// Rings of cells that can hold points within eps: ceil(eps / side).
    rings: i64,
    d: usize,
    cells: HashMap<Cell, Vec<u32>>,
}

impl<'a> Placer<'a> {
    /// `core`: the model's core points (scaled coordinates) with their segments; `radii`:
    /// an HDBSCAN model's core distance of each.
    pub fn new(model: &'a Model, core: &'a [(Vec<f64>, i64)], radii: &'a [f64]) -> Placer<'a> {
        let eps = match model.fit {
            Fit::Dbscan { eps, .. } => eps,
            Fit::Kmeans { .. } | Fit::Agglomerative { .. } => return Placer::Centroids(model),
            Fit::Hdbscan { .. } => return Placer::within_radii(core, radii),
            Fit::Gmm { ref mixture, .. } => return Placer::Mixture(model, mixture),
        };
        let d = core.first().map_or(0, |(p, _)| p.len());
        if d == 0 || d > GRID_DIMS || eps <= 0.0 || core.len() < 64 {
            return Placer::Scan {
                core,
                eps2: eps * eps,
            };
        }
        Placer::Grid(Grid::new(core, None, eps, d))
    }

    /// HDBSCAN's members (`core`), each with its own core distance: the nearest member
    /// whose distance covers the row, through a grid of cells where one serves (up to
    /// [`GRID_DIMS`] dimensions, 64 members or more), else a scan.
    pub fn within_radii(core: &'a [(Vec<f64>, i64)], radii: &'a [f64]) -> Placer<'a> {
        let d = core.first().map_or(0, |(p, _)| p.len());
        let widest = radii.iter().copied().fold(0.0, f64::max);
        let usable = radii.len() == core.len() && radii.iter().all(|r| r.is_finite());
        if d == 0 || d > GRID_DIMS || core.len() < 64 || !usable || widest <= 0.0 {
            return Placer::Radii { core, radii };
        }
        Placer::Grid(Grid::new(core, Some(radii), widest, d))
    }

    /// The segment of `row` and, for a Gaussian mixture, its posterior probability.
    pub fn place_with_probability(&self, row: &[f64]) -> (i64, Option<f64>) {
        match self {
            Placer::Mixture(model, mixture) => {
                let (j, p) = mixture.place(row);
                (model.segment_id(j), Some(p))
            }
            _ => (self.place(row), None),
        }
    }

    /// The segment of `row` (model space), or [`NOISE`].
    pub fn place(&self, row: &[f64]) -> i64 {
        match self {
            Placer::Centroids(m) => m.segment_id(nearest(&m.centroids, row)),
            Placer::Scan { core, eps2 } => core
                .iter()
                .map(|(p, l)| (sq_dist(row, p), *l))
                .filter(|(d, _)| *d <= *eps2)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or(NOISE, |(_, l)| l),
            Placer::Grid(g) => g.place(row),
            Placer::Mixture(model, mixture) => model.segment_id(mixture.place(row).0),
            Placer::Radii { core, radii } => core
                .iter()
                .zip(radii.iter())
                .map(|((p, l), r)| (sq_dist(row, p), *l, r * r))
                .filter(|(d, _, r2)| d <= r2)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or(NOISE, |(_, l, _)| l),
        }
    }
}

fn cell_of(p: &[f64], side: f64) -> Cell {
    let mut key = [0i64; GRID_DIMS];
    for (k, v) in key.iter_mut().zip(p) {
        *k = (v / side).floor() as i64;
    }
    key
}

impl<'a> Grid<'a> {
    fn new(core: &'a [(Vec<f64>, i64)], radii: Option<&'a [f64]>, eps: f64, d: usize) -> Grid<'a> {
        let by_cell = |side: f64| {
            let mut cells: HashMap<Cell, Vec<u32>> = HashMap::default();
            for (i, (p, _)) in core.iter().enumerate() {
                cells.entry(cell_of(p, side)).or_default().push(i as u32);
            }
            cells
        };
        // The coarsest cells (eps/m wide, m up to 8) that hold at most 4 points per
        // occupied cell: a measure, not a formula, since the points may fill fewer
        // dimensions than they have (a one-hot column takes two values). A distance costs
        // less than a cell lookup, so cells hold a few points rather than one (4 measured faster
        // than 16 on 1M customers).
        let mut m = 1.0;
        let mut cells = by_cell(eps);
        while m < 8.0 && core.len() as f64 / cells.len().max(1) as f64 > 4.0 {
            m += 1.0;
            cells = by_cell(eps / m);
        }
        let side = eps / m;
        Grid {
            core,
            radii,
            eps,
            side,
            rings: (eps / side).ceil() as i64,
            d,
            cells,
        }
    }

    fn place(&self, row: &[f64]) -> i64 {
        if row.len() != self.d || row.iter().any(|v| !v.is_finite()) {
            return NOISE;
        }
        let home = cell_of(row, self.side);
        // (distance, index) of the best core point so far: smallest distance, then first.
        let mut best: Option<(f64, u32)> = None;
        for ring in 0..=self.rings {
            let mut cell = home;
            let bound = best.map_or(self.eps * self.eps, |b| b.0);
            self.visit(
                row,
                &home,
                ring,
                &mut cell,
                0,
                0.0,
                bound,
                false,
                &mut |list| {
                    for &i in list {
                        let dist = sq_dist(row, &self.core[i as usize].0);
                        let r = self.radii.map_or(self.eps, |r| r[i as usize]);
                        if dist <= r * r
                            && best.is_none_or(|(bd, bi)| dist < bd || (dist == bd && i < bi))
                        {
                            best = Some((dist, i));
                        }
                    }
                },
            );
            // Cells beyond this ring are at least `reach` away from the row: its distance to
            // the nearest face of the block of cells searched so far.
            let reach = (0..self.d)
                .map(|j| {
                    let lo = (home[j] - ring) as f64 * self.side;
                    let hi = (home[j] + ring + 1) as f64 * self.side;
                    (row[j] - lo).min(hi - row[j])
                })
                .fold(f64::INFINITY, f64::min)
                .max(0.0);
            if best.is_some_and(|b| b.0 < reach * reach * (1.0 - 1e-9)) {
                break;
            }
        }
        best.map_or(NOISE, |(_, i)| self.core[i as usize].1)
    }

    /// Visits the cells exactly `ring` cells from `home` (in the largest coordinate) that
    /// can hold a point within `bound` (a squared distance) of `row`: offsets are chosen
    /// dimension by dimension while the squared gap from `row` to them stays within it.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        row: &[f64],
        home: &Cell,
        ring: i64,
        cell: &mut Cell,
        dim: usize,
        gap2: f64,
        bound: f64,
        on_ring: bool,
        seen: &mut dyn FnMut(&[u32]),
    ) {
        if dim == self.d {
            if on_ring || ring == 0 {
                if let Some(list) = self.cells.get(cell) {
                    seen(list);
                }
            }
            return;
        }
        // Only the last dimension must reach the ring when none before it has.
        let last = dim + 1 == self.d;
        for delta in -ring..=ring {
            if last && !on_ring && delta.abs() != ring {
                continue;
            }
            let lo = (home[dim] + delta) as f64 * self.side;
            let gap = if delta < 0 {
                row[dim] - (lo + self.side)
            } else if delta > 0 {
                lo - row[dim]
            } else {
                0.0
            };
            // A little slack: the cell bounds are rounded, the distances are exact.
            let g2 = gap2 + gap.max(0.0) * gap.max(0.0);
            if g2 > bound * (1.0 + 1e-9) + 1e-300 {
                continue;
            }
            cell[dim] = home[dim] + delta;
            let reached = on_ring || delta.abs() == ring;
            self.visit(row, home, ring, cell, dim + 1, g2, bound, reached, seen);
        }
        cell[dim] = home[dim];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn model(eps: f64) -> Model {
        Model {
            name: "dbscan".into(),
            fit: Fit::Dbscan {
                eps,
                min_samples: 5,
                core_points: Vec::new(),
            },
            n_clusters: 3,
            labels: Vec::new(),
            centroids: Vec::new(),
            segment_ids: Vec::new(),
        }
    }

    /// The grid's answer is the scan's for every row, and both outcomes (a segment, noise)
    /// occur.
    fn assert_as_scan(grid: &Placer, core: &[(Vec<f64>, i64)], eps: f64, rows: &[Vec<f64>]) {
        let scan = Placer::Scan {
            core,
            eps2: eps * eps,
        };
        let mut noise = 0;
        for r in rows {
            let (g, s) = (grid.place(r), scan.place(r));
            assert_eq!(g, s, "row {r:?}");
            noise += (s == NOISE) as usize;
        }
        assert!(noise > 0 && noise < rows.len(), "both outcomes occur");
    }

    #[test]
    fn the_grid_places_every_row_as_the_scan_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for d in 2..=6 {
            // Coordinates on a coarse lattice, so that equal distances (ties) happen.
            let mut point = |_| {
                (0..d)
                    .map(|_| rng.random_range(-20..20) as f64 * 0.25)
                    .collect::<Vec<f64>>()
            };
            let core: Vec<(Vec<f64>, i64)> = (0..400).map(|i| (point(i), (i % 3) as i64)).collect();
            let rows: Vec<Vec<f64>> = (0..2000).map(&mut point).collect();
            // A radius that leaves some rows near no core point.
            let eps = [0.3, 1.0, 2.0, 2.5, 3.0][d - 2];
            let m = model(eps);
            let grid = Placer::new(&m, &core, &[]);
            assert!(matches!(grid, Placer::Grid(_)), "d = {d}");
            assert_as_scan(&grid, &core, eps, &rows);
        }
    }

    #[test]
    fn hdbscan_members_are_found_through_the_grid_as_by_the_scan() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        let mut hdbscan = model(1.0);
        hdbscan.fit = Fit::Hdbscan {
            min_cluster_size: 5,
            min_samples: 5,
            members: Vec::new(),
            radii: Vec::new(),
            strength: Vec::new(),
        };
        for d in 2..=6 {
            let mut point = |_| {
                (0..d)
                    .map(|_| rng.random_range(-20..20) as f64 * 0.25)
                    .collect::<Vec<f64>>()
            };
            let members: Vec<(Vec<f64>, i64)> =
                (0..500).map(|i| (point(i), (i % 4) as i64)).collect();
            let rows: Vec<Vec<f64>> = (0..2000).map(&mut point).collect();
            // Core distances from a tenth of the largest to all of it, on the lattice too
            // (ties at a radius's edge).
            let widest = [0.5, 1.25, 2.0, 2.5, 3.0][d - 2];
            let radii: Vec<f64> = (0..members.len())
                .map(|_| widest * rng.random_range(1..=10) as f64 / 10.0)
                .collect();
            let grid = Placer::new(&hdbscan, &members, &radii);
            assert!(matches!(grid, Placer::Grid(_)), "d = {d}");
            let scan = Placer::Radii {
                core: &members,
                radii: &radii,
            };
            let mut noise = 0;
            for r in &rows {
                let (g, s) = (grid.place(r), scan.place(r));
                assert_eq!(g, s, "d = {d}, row {r:?}");
                noise += (s == NOISE) as usize;
            }
            assert!(
                noise > 0 && noise < rows.len(),
                "d = {d}: both outcomes occur"
            );
        }
    }

    #[test]
    fn dense_core_points_get_finer_cells_and_the_same_answers() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for d in 2..=5 {
            // Dense core points on a fine lattice in [-1, 1)^d, rows over [-3, 3)^d.
            let core: Vec<(Vec<f64>, i64)> = (0..6000)
                .map(|i| {
                    let p = (0..d)
                        .map(|_| rng.random_range(-20..20) as f64 * 0.05)
                        .collect();
                    (p, (i % 4) as i64)
                })
                .collect();
            let rows: Vec<Vec<f64>> = (0..1500)
                .map(|_| {
                    (0..d)
                        .map(|_| rng.random_range(-60..60) as f64 * 0.05)
                        .collect()
                })
                .collect();
            let eps = 0.8;
            let m = model(eps);
            let grid = Placer::new(&m, &core, &[]);
            let Placer::Grid(g) = &grid else {
                panic!("grid")
            };
            assert!(g.side < eps, "d = {d}: finer cells for dense points");
            assert_as_scan(&grid, &core, eps, &rows);
        }
    }
}
