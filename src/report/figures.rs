//! The page's charts: collected in page order, drawn in parallel, then placed by name.

use rayon::prelude::*;

use super::charts::{Chart, Pending};
use super::html::Html;
use crate::error::Result;

/// Collects charts in page order (drawn later, in parallel) and says where each goes.
#[derive(Default)]
pub(super) struct Figures {
    pending: Vec<(Pending, String)>,
    names: std::collections::BTreeSet<String>,
}

impl Figures {
    pub(super) fn add(&mut self, chart: Pending, caption: String) {
        self.names.insert(chart.name.clone());
        self.pending.push((chart, caption));
    }

    /// A chart name not taken yet.
    pub(super) fn unique(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut i = 2;
        while self.names.contains(&name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        name
    }

    /// Draws every chart, in parallel, keeping the page order.
    pub(super) fn draw(self) -> Result<Drawn> {
        let charts = self
            .pending
            .into_par_iter()
            .map(|(p, caption)| Ok((p.draw()?, caption)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Drawn { charts })
    }
}

pub(super) struct Drawn {
    pub(super) charts: Vec<(Chart, String)>,
}

impl Drawn {
    /// The charts called `names`, in page order, each with its caption.
    pub(super) fn html(&self, h: &mut Html, names: &[String], grid: bool) {
        if grid {
            h.markup("<div class=\"grid\">");
        }
        for (c, caption) in self.charts.iter().filter(|(c, _)| names.contains(&c.name)) {
            h.markup("<figure id=\"chart-")
                .text(&c.name)
                .markup("\">")
                .svg(&c.svg);
            h.markup("<figcaption>")
                .text(caption)
                .markup("</figcaption></figure>");
        }
        if grid {
            h.markup("</div>");
        }
    }
}
