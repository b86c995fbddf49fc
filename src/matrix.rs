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

/// Squared Euclidean distance: the squared differences added left to right. Lengths 2-6
/// (the usual segmentation features) are unrolled at compile time; the additions and their
/// order are the same, so is the result, bit for bit.
#[inline]
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    match a.len().min(b.len()) {
        2 => sq_dist_fixed::<2>(a, b),
        3 => sq_dist_fixed::<3>(a, b),
        4 => sq_dist_fixed::<4>(a, b),
        5 => sq_dist_fixed::<5>(a, b),
        6 => sq_dist_fixed::<6>(a, b),
        _ => sq_dist_generic(a, b),
    }
}

#[inline]
fn sq_dist_generic(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[inline]
fn sq_dist_fixed<const D: usize>(a: &[f64], b: &[f64]) -> f64 {
    let (Ok(a), Ok(b)) = (
        <&[f64; D]>::try_from(&a[..D]),
        <&[f64; D]>::try_from(&b[..D]),
    ) else {
        return sq_dist_generic(a, b);
    };
    let mut s = -0.0;
    for j in 0..D {
        s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    s
}

/// Euclidean distance.
#[inline]
pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    sq_dist(a, b).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrolled_distances_are_the_generic_ones_bit_for_bit() {
        let v: Vec<f64> = (0..40)
            .map(|i| ((i * 7919) % 97) as f64 / 9.7 - 3.3)
            .collect();
        for d in 1..=8 {
            for i in 0..(40 - 2 * d) {
                let (a, b) = (&v[i..i + d], &v[i + d..i + 2 * d]);
                assert_eq!(
                    sq_dist(a, b).to_bits(),
                    sq_dist_generic(a, b).to_bits(),
                    "d={d}"
                );
            }
        }
    }
}
