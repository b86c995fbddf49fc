//! The top of an agglomerative model's tree: the last merges above the clusters left
//! before them (SciPy's `truncate_mode="lastp"`), each leaf labelled with its customers,
//! and, for the chosen model, the height where the tree is cut into its segments.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{err, Draw};
use crate::cluster::agglomerative::TreeTop;
use crate::error::Result;

pub struct Dendrogram {
    pub title: String,
    pub top: TreeTop,
    /// The height of the chosen cut, when the chosen model is one of the tree's.
    pub cut: Option<f64>,
}

impl Dendrogram {
    /// Each node's (x, height): leaves at 0.5, 1.5, … at height 0, a merge above the
    /// middle of its two children.
    fn positions(&self) -> Vec<(f64, f64)> {
        let mut at: Vec<(f64, f64)> = (0..self.top.sizes.len())
            .map(|i| (i as f64 + 0.5, 0.0))
            .collect();
        for m in &self.top.merges {
            let (l, r) = (at[m.left], at[m.right]);
            at.push((0.5 * (l.0 + r.0), m.height));
        }
        at
    }
}

impl Draw for Dendrogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let leaves = self.top.sizes.len().max(1) as f64;
        let highest = self.top.merges.iter().map(|m| m.height).fold(0.0, f64::max);
        let top = if highest > 0.0 { highest * 1.05 } else { 1.0 };
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..leaves, 0f64..top)
            .map_err(err)?;
        let sizes = self.top.sizes.clone();
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(2 * sizes.len() + 1)
            .x_label_formatter(&|x| {
                let f = x - x.floor();
                match (f - 0.5).abs() < 1e-6 {
                    true => sizes
                        .get(x.floor() as usize)
                        .map_or(String::new(), |s| format!("{s}")),
                    false => String::new(),
                }
            })
            .x_desc("customers under each leaf")
            .y_desc("merge height (distance)")
            .draw()
            .map_err(err)?;
        let at = self.positions();
        let line = RGBColor(70, 110, 170).stroke_width(1);
        let n = self.top.sizes.len();
        for (i, m) in self.top.merges.iter().enumerate() {
            let (l, r, h) = (at[m.left], at[m.right], at[n + i].1);
            c.draw_series([PathElement::new(
                vec![(l.0, l.1), (l.0, h), (r.0, h), (r.0, r.1)],
                line,
            )])
            .map_err(err)?;
        }
        if let Some(cut) = self.cut {
            c.draw_series(DashedLineSeries::new(
                vec![(0.0, cut), (leaves, cut)],
                6,
                4,
                RGBColor(200, 60, 40).stroke_width(2),
            ))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// The height between the merges that leave `k` clusters and `k - 1`: where a tree is cut
/// into k (`None` for k < 2 or more clusters than the leaves shown).
pub fn cut_height(top: &TreeTop, k: usize) -> Option<f64> {
    let m = top.merges.len();
    if k < 2 || k > m + 1 {
        return None;
    }
    // The last k - 1 merges are not made; below the first one, the leaves are the clusters.
    let below = if k == m + 1 {
        0.0
    } else {
        top.merges[m - k].height
    };
    Some(0.5 * (below + top.merges[m + 1 - k].height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::agglomerative::Merge;

    #[test]
    fn merges_sit_above_their_children_and_the_cut_between_two_merges() {
        let merge = |left, right, height, size| Merge {
            left,
            right,
            height,
            size,
        };
        // Leaves 0, 1, 2: 1 and 2 merge at 1.0 (node 3), then 0 and 3 at 4.0.
        let top = TreeTop {
            merges: vec![merge(1, 2, 1.0, 5), merge(0, 3, 4.0, 9)],
            sizes: vec![4, 2, 3],
        };
        let d = Dendrogram {
            title: String::new(),
            top: top.clone(),
            cut: None,
        };
        assert_eq!(
            d.positions(),
            vec![(0.5, 0.0), (1.5, 0.0), (2.5, 0.0), (2.0, 1.0), (1.25, 4.0)]
        );
        assert_eq!(cut_height(&top, 2), Some(2.5));
        assert_eq!(cut_height(&top, 3), Some(0.5));
        assert_eq!(cut_height(&top, 4), None);
        assert_eq!(cut_height(&top, 1), None);
    }
}
