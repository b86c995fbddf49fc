//! Customers grouped by what a likelihood reads of them, with the count of each: a million
//! customers are a few hundred thousand distinct (x, t_x, T), and the terms that depend on x
//! alone are computed once per distinct x. Sums over cells go in fixed chunks, added in
//! order, so the likelihood is the same number on any thread count.

use rayon::prelude::*;

/// Distinct rows of equal-length columns, with their counts, and the index of each row's
/// distinct x (the first column) in `xs`.
pub struct Cells {
    /// The distinct rows, column by column.
    pub columns: Vec<Vec<f64>>,
    pub weight: Vec<f64>,
    /// The distinct values of the first column, ascending.
    pub xs: Vec<f64>,
    /// For each cell, its x's index in `xs`.
    pub x_index: Vec<usize>,
    pub total: f64,
}

impl Cells {
    /// Groups the rows of `columns` (each the same length); the first column is x.
    pub fn of(columns: &[&[f64]]) -> Cells {
        let n = columns.first().map_or(0, |c| c.len());
        let mut order: Vec<usize> = (0..n).collect();
        let cmp = |a: usize, b: usize| {
            columns
                .iter()
                .map(|c| c[a].total_cmp(&c[b]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        order.sort_by(|&a, &b| cmp(a, b));
        let mut out: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
        let mut weight: Vec<f64> = Vec::new();
        let mut last: Option<usize> = None;
        for i in order {
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
        let mut xs: Vec<f64> = out.first().cloned().unwrap_or_default();
        xs.dedup();
        let x_index = out.first().map_or(Vec::new(), |x| {
            x.iter().map(|v| xs.partition_point(|u| u < v)).collect()
        });
        Cells {
            columns: out,
            total: weight.iter().sum(),
            weight,
            xs,
            x_index,
        }
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
        assert_eq!(c.xs, [0.0, 1.0, 3.0]);
        assert_eq!(c.x_index, [0, 1, 1, 2]);
        assert_eq!(c.total, 5.0);
        assert_eq!(c.mean(|i| c.columns[1][i]), (9.0 + 10.0 + 6.0 + 2.0) / 5.0);
    }
}
