//! Customers grouped by what a likelihood reads of them, with the count of each: a million
//! customers are a few hundred thousand distinct (x, t_x, T), and the terms that depend on x
//! alone are computed once per distinct x. Sums over cells go in fixed chunks, added in
//! order, so the likelihood is the same number on any thread count.

use rayon::prelude::*;

/// Distinct rows of equal-length columns, with their counts; per column its distinct values
/// (levels) and each cell's level, so that a term of one column is computed once per level.
pub struct Cells {
    /// The distinct rows, column by column.
    pub columns: Vec<Vec<f64>>,
    pub weight: Vec<f64>,
    /// Per column, its distinct values, ascending.
    pub levels: Vec<Vec<f64>>,
    /// Per column, each cell's index in `levels`.
    pub index: Vec<Vec<u32>>,
    pub total: f64,
}

impl Cells {
    /// Groups the rows of `columns` (each the same length); the first column is x.
    pub fn of(columns: &[&[f64]]) -> Cells {
        // Rows sorted by their values in `f64::total_cmp`'s order, as integers: equal rows
        // are next to each other (which of them comes first does not matter).
        // The likelihoods read three columns; a fourth and more are compared as floats.
        let key = |i: usize| {
            let mut k = [0u64; 3];
            for (k, c) in k.iter_mut().zip(columns) {
                *k = total_order(c[i]);
            }
            (k, i)
        };
        let cmp = |a: usize, b: usize| {
            columns
                .iter()
                .map(|c| c[a].total_cmp(&c[b]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        let n = columns.first().map_or(0, |c| c.len());
        let mut order: Vec<([u64; 3], usize)> = (0..n).map(key).collect();
        match columns.len() {
            0..=3 => order.sort_unstable(),
            _ => order.sort_unstable_by(|a, b| cmp(a.1, b.1)),
        }
        let mut out: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
        let mut weight: Vec<f64> = Vec::new();
        let mut last: Option<usize> = None;
        for i in order.into_iter().map(|(_, i)| i) {
            if last.is_some_and(|l| cmp(l, i).is_eq()) {
                if let Some(w) = weight.last_mut() {
                    *w += 1.0;
                }
                continue;
            }
            for (o, c) in out.iter_mut().zip(columns) {
                o.push(c[i]);
            }
            weight.push(1.0);
            last = Some(i);
        }
        let (levels, index) = out.iter().map(|c| levels(c)).unzip();
        Cells {
            columns: out,
            total: weight.iter().sum(),
            weight,
            levels,
            index,
        }
    }

    /// Each level of column `c` mapped by `f`: a table to index with `index[c]`.
    pub fn per_level(&self, c: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
        self.levels[c].iter().map(|&v| f(v)).collect()
    }

    /// Σ weight · `term(cell)` over the cells, divided by the customers: a mean.
    pub fn mean(&self, term: impl Fn(usize) -> f64 + Sync) -> f64 {
        const CHUNK: usize = 4096;
        let n = self.weight.len();
        let sums: Vec<f64> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                (c * CHUNK..((c + 1) * CHUNK).min(n))
                    .map(|i| self.weight[i] * term(i))
                    .sum::<f64>()
            })
            .collect();
        sums.iter().sum::<f64>() / self.total
    }
}

/// `v` as an integer in the order of `f64::total_cmp`.
fn total_order(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The distinct values of `column`, ascending, and each value's index among them.
fn levels(column: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut distinct = column.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let index = column
        .iter()
        .map(|v| distinct.partition_point(|u| u.total_cmp(v).is_lt()) as u32)
        .collect();
    (distinct, index)
}

#[cfg(test)]
mod tests {
    use super::Cells;

    #[test]
    fn groups_equal_rows_and_counts_them() {
        let x = [1.0, 0.0, 1.0, 3.0, 1.0];
        let t = [5.0, 9.0, 5.0, 2.0, 6.0];
        let c = Cells::of(&[&x, &t]);
        assert_eq!(c.columns[0], [0.0, 1.0, 1.0, 3.0]);
        assert_eq!(c.columns[1], [9.0, 5.0, 6.0, 2.0]);
        assert_eq!(c.weight, [1.0, 2.0, 1.0, 1.0]);
        assert_eq!(c.levels[0], [0.0, 1.0, 3.0]);
        assert_eq!(c.index[0], [0, 1, 1, 2]);
        assert_eq!(c.levels[1], [2.0, 5.0, 6.0, 9.0]);
        assert_eq!(c.index[1], [3, 1, 2, 0]);
        assert_eq!(c.per_level(0, |x| 2.0 * x), [0.0, 2.0, 6.0]);
        assert_eq!(c.total, 5.0);
        assert_eq!(c.mean(|i| c.columns[1][i]), (9.0 + 10.0 + 6.0 + 2.0) / 5.0);
    }

    #[test]
    fn the_integer_order_is_total_cmps() {
        let v = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            3.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for a in v {
            for b in v {
                assert_eq!(
                    super::total_order(a).cmp(&super::total_order(b)),
                    a.total_cmp(&b)
                );
            }
        }
    }
}
