//! A dense row-major `f64` matrix: the model matrix that clustering and metrics work on.

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub n: usize,
    pub d: usize,
    /// Row-major values: row `i` is `data[i * d..(i + 1) * d]`.
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn new(n: usize, d: usize, data: Vec<f64>) -> Matrix {
        assert_eq!(data.len(), n * d, "matrix data length");
        Matrix { n, d, data }
    }

    /// Builds a matrix from columns of equal length.
    pub fn from_columns(columns: &[Vec<f64>]) -> Matrix {
        let d = columns.len();
        let n = columns.first().map_or(0, Vec::len);
        let mut data = vec![0.0; n * d];
        for (j, col) in columns.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                data[i * d + j] = *v;
            }
        }
        Matrix { n, d, data }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.n).map(|i| self.data[i * self.d + j]).collect()
    }

    /// The rows at `idx`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.d);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Matrix::new(idx.len(), self.d, data)
    }
}

/// Squared Euclidean distance.
#[inline]
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Euclidean distance.
#[inline]
pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    sq_dist(a, b).sqrt()
}
