//! The knee of a convex curve, the "kneedle" idea: the point farthest below the chord that
//! joins the curve's first and last points, with the gap measured in units of the curve's
//! rise (or fall), so that the tolerance means the same on any scale. One finder serves the
//! WCSS elbow (falling with k) and DBSCAN's k-distance curve (rising with rank).

/// Which way the curve goes from its first point to its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slope {
    Rising,
    Falling,
}

/// Gaps at or below this (in units of the curve's rise) are no knee: a straight line has none.
const TOLERANCE: f64 = 1e-12;

/// The index of the knee of `points` (sorted by x), or `None` for fewer than three points,
/// a curve that does not go the `slope` way, or one without a point below its chord. Of
/// equal gaps the first wins.
pub fn knee(points: &[(f64, f64)], slope: Slope) -> Option<usize> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let ((x0, y0), (x1, y1)) = (points[0], points[n - 1]);
    let rise = match slope {
        Slope::Rising => y1 - y0,
        Slope::Falling => y0 - y1,
    };
    if x1 <= x0 || rise <= 0.0 {
        return None;
    }
    let mut best: (f64, Option<usize>) = (TOLERANCE, None);
    for (i, &(x, y)) in points.iter().enumerate() {
        let t = (x - x0) / (x1 - x0);
        let chord = y0 + t * (y1 - y0);
        let gap = (chord - y) / rise;
        if gap > best.0 {
            best = (gap, Some(i));
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knee_of_a_falling_elbow() {
        let pts: Vec<(f64, f64)> = [100.0, 60.0, 30.0, 25.0, 22.0, 20.0]
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64 + 2.0, y))
            .collect();
        assert_eq!(knee(&pts, Slope::Falling), Some(2));
        assert_eq!(knee(&pts, Slope::Rising), None);
        assert_eq!(knee(&pts[..2], Slope::Falling), None);
        // A straight line has no knee.
        let line = [(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)];
        assert_eq!(knee(&line, Slope::Falling), None);
    }

    #[test]
    fn the_knee_of_a_rising_k_distance_curve() {
        let curve = [0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.5, 2.0];
        let pts: Vec<(f64, f64)> = curve
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64, y))
            .collect();
        assert_eq!(knee(&pts, Slope::Rising), Some(5));
        let flat = [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)];
        assert_eq!(knee(&flat, Slope::Rising), None);
    }
}
