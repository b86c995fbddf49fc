//! Minimum-cost matching of two sets (the Hungarian algorithm, O(n³)): which segment of one
//! run is which segment of the other.

/// For a cost matrix of `rows` × `cols` (any shape), the column matched to each row (`None`
/// for rows left over when there are more rows than columns), minimising the total cost.
pub fn min_cost(cost: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = cost.len();
    let cols = cost.first().map_or(0, Vec::len);
    let n = rows.max(cols);
    if n == 0 {
        return Vec::new();
    }
    // Square, padded with zero-cost dummies; 1-based arrays as in the classic formulation.
    let at = |i: usize, j: usize| {
        if i < rows && j < cols {
            cost[i][j]
        } else {
            0.0
        }
    };
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let mut p = vec![0usize; n + 1]; // p[j]: row matched to column j
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=n {
                if used[j] {
                    continue;
                }
                let cur = at(i0 - 1, j - 1) - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; rows];
    for (j, &row) in p.iter().enumerate().skip(1) {
        let (i, col) = (row - 1, j - 1);
        if i < rows && col < cols {
            out[i] = Some(col);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every assignment of rows to distinct columns, by brute force.
    fn best(cost: &[Vec<f64>]) -> f64 {
        fn go(cost: &[Vec<f64>], i: usize, used: &mut Vec<bool>) -> f64 {
            if i == cost.len() {
                return 0.0;
            }
            let mut b = if cost.len() > used.len() {
                go(cost, i + 1, used)
            } else {
                f64::INFINITY
            };
            for j in 0..used.len() {
                if !used[j] {
                    used[j] = true;
                    b = b.min(cost[i][j] + go(cost, i + 1, used));
                    used[j] = false;
                }
            }
            b
        }
        go(cost, 0, &mut vec![false; cost[0].len()])
    }

    #[test]
    fn matches_brute_force_on_square_and_rectangular_costs() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 100) as f64
        };
        for (r, c) in [(3, 3), (4, 4), (5, 5), (3, 5), (2, 4), (4, 5)] {
            for _ in 0..20 {
                let cost: Vec<Vec<f64>> =
                    (0..r).map(|_| (0..c).map(|_| next()).collect()).collect();
                let m = min_cost(&cost);
                let total: f64 = m.iter().enumerate().map(|(i, j)| cost[i][j.unwrap()]).sum();
                assert_eq!(total, best(&cost), "{cost:?}");
                let mut cols: Vec<usize> = m.iter().flatten().copied().collect();
                cols.sort_unstable();
                cols.dedup();
                assert_eq!(cols.len(), r);
            }
        }
        // More rows than columns: one row is left over.
        let m = min_cost(&[vec![5.0, 1.0], vec![1.0, 5.0], vec![9.0, 9.0]]);
        assert_eq!(m, vec![Some(1), Some(0), None]);
    }
}
