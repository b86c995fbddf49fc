//! `compare/report.html`: two runs side by side — the counts, the transition heatmap, the
//! biggest movements in words with what to do about the movers, and each segment's size
//! before and after. Self-contained like the run report (inline SVG, the sorting script).

use super::charts::{later, Heatmap, WIDE};
use super::figures::Figures;
use super::html::{Html, SORT_SCRIPT};
use super::STYLE;
use std::collections::BTreeMap;

use crate::error::Result;
use crate::frame::thousands;

/// Movements described in words at most.
const MOVEMENTS: usize = 8;

/// What the comparison page shows.
pub struct ComparePage {
    pub before: String,
    pub after: String,
    pub shared: usize,
    pub new: usize,
    pub lost: usize,
    /// (segment, name) of the earlier run (rows) and the later run (columns).
    pub from: Vec<(i64, String)>,
    pub to: Vec<(i64, String)>,
    pub counts: Vec<Vec<usize>>,
    /// Earlier segment → the later segment it matched.
    pub matched: Vec<(i64, Option<i64>)>,
    /// Segment → its recommended actions, in each run (its rule table's order).
    pub actions_before: BTreeMap<i64, Vec<String>>,
    pub actions_after: BTreeMap<i64, Vec<String>>,
}

/// A movement: (from row, to column, customers, share of the from-segment's shared customers).
type Movement = (usize, usize, usize, f64);

impl ComparePage {
    /// The cells where customers changed segment (the matched pair and noise-to-noise are
    /// staying), largest first.
    pub fn movements(&self) -> Vec<Movement> {
        let mut out = Vec::new();
        for (i, row) in self.counts.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (j, &n) in row.iter().enumerate() {
                let (a, b) = (self.from[i].0, self.to[j].0);
                let stays = self.matched.contains(&(a, Some(b))) || (a < 0 && b < 0);
                if n > 0 && !stays {
                    out.push((i, j, n, n as f64 / total.max(1) as f64));
                }
            }
        }
        out.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
        out
    }

    /// What to do about the customers of a movement: the first action their new segment
    /// calls for that their old one did not (the rule table's answer to the change), else
    /// the new segment's first action, "as before".
    pub fn mover_action(&self, m: &Movement) -> String {
        let none = Vec::new();
        let before = self.actions_before.get(&self.from[m.0].0).unwrap_or(&none);
        let after = self.actions_after.get(&self.to[m.1].0).unwrap_or(&none);
        match after.iter().find(|a| !before.contains(a)) {
            Some(new) => new.clone(),
            None => after
                .first()
                .map_or("–".to_string(), |a| format!("{a} (as before)")),
        }
    }

    /// "268 of Low frequency (37%) became High frequency · high monetary".
    pub fn sentence(&self, m: &Movement) -> String {
        format!(
            "{} customers of {} ({:.0}% of its customers in both runs) are now in {}.",
            thousands(m.2),
            self.from[m.0].1,
            m.3 * 100.0,
            self.to[m.1].1
        )
    }
}

/// The page and its chart, as (relative path, bytes).
pub fn compare_page(p: &ComparePage) -> Result<Vec<(String, Vec<u8>)>> {
    let mut figs = Figures::default();
    figs.add(
        later(
            "transitions",
            (
                WIDE.0.max(240 + 190 * p.to.len() as u32),
                WIDE.1.max(140 + 50 * p.from.len() as u32),
            ),
            Heatmap {
                title: "Customers from each earlier segment (rows) to each later one (columns)".into(),
                rows: p.from.iter().map(|f| short(&f.1)).collect(),
                cols: p.to.iter().map(|t| short(&t.1)).collect(),
                values: p.counts.iter().map(|row| shares(row)).collect(),
                range: 1.0,
                labels: Some(
                    p.counts
                        .iter()
                        .map(|row| {
                            let s = shares(row);
                            row.iter()
                                .zip(s)
                                .map(|(n, s)| format!("{} ({:.0}%)", thousands(*n), s * 100.0))
                                .collect()
                        })
                        .collect(),
                ),
            },
        ),
        "Each cell: customers in both runs who were in the row's segment and are in the column's, and their share of the row (long names are shortened; the table below has them in full)".into(),
    );
    let figs = figs.draw()?;
    let mut h = Html::default();
    h.markup("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>segflow comparison</title>");
    h.markup(STYLE)
        .markup("</head><body><h1>Segments over time</h1><p>From <code>");
    h.text(&p.before)
        .markup("</code> to <code>")
        .text(&p.after)
        .markup("</code>.</p>");
    h.markup("<h2 id=\"summary\">Summary</h2><ul class=\"findings\"><li>");
    h.text(format!(
        "{} customers are in both runs, {} are new in the later one and {} are gone from it.",
        thousands(p.shared),
        thousands(p.new),
        thousands(p.lost)
    ));
    h.markup("</li>");
    let moves = p.movements();
    for m in moves.iter().take(3) {
        h.markup("<li>").text(p.sentence(m)).markup("</li>");
    }
    h.markup("</ul><p>Every customer's move: <a href=\"migrations.csv\">migrations.csv</a>.</p>");
    figs.html(&mut h, &["transitions".to_string()], false);
    movements_html(&mut h, p, &moves);
    h.markup(SORT_SCRIPT).markup("</body></html>");
    let mut files = vec![("report.html".to_string(), h.into_string().into_bytes())];
    for (c, _) in figs.charts {
        files.push((format!("charts/{}.svg", c.name), c.svg.into_bytes()));
        files.push((format!("charts/{}.png", c.name), c.png));
    }
    Ok(files)
}

/// A segment name short enough for a chart axis (the table beside it has the full name).
fn short(name: &str) -> String {
    const MAX: usize = 24;
    if name.chars().count() <= MAX {
        return name.to_string();
    }
    let cut: String = name.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

fn shares(row: &[usize]) -> Vec<f64> {
    let total: usize = row.iter().sum();
    row.iter()
        .map(|&n| n as f64 / total.max(1) as f64)
        .collect()
}

/// The largest movements with what the later run recommends for where they went.
fn movements_html(h: &mut Html, p: &ComparePage, moves: &[Movement]) {
    h.markup("<h2 id=\"movements\">Who moved where</h2>");
    if moves.is_empty() {
        h.markup("<p>Nobody changed segment.</p>");
        return;
    }
    h.markup("<p>What to do: the first action the new segment calls for that the old one did not (the rules of each run's <code>profile.recommendations</code>); \"as before\" when the new segment calls for nothing new.</p>");
    h.markup("<table class=\"sortable\"><thead><tr><th>from</th><th>customers</th><th>share of the segment</th><th>to</th><th>what to do</th></tr></thead><tbody>");
    for m in moves.iter().take(MOVEMENTS) {
        let action = p.mover_action(m);
        h.markup("<tr><td>")
            .text(&p.from[m.0].1)
            .markup("</td><td>")
            .text(thousands(m.2));
        h.markup("</td><td>")
            .text(format!("{:.1}%", m.3 * 100.0))
            .markup("</td><td class=\"text\">")
            .text(&p.to[m.1].1);
        h.markup("</td><td class=\"text\">")
            .text(action)
            .markup("</td></tr>");
    }
    h.markup("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movements_leave_out_the_stayers_and_read_as_sentences() {
        let p = ComparePage {
            before: "a".into(),
            after: "b".into(),
            shared: 100,
            new: 0,
            lost: 0,
            from: vec![(0, "Loyal".into()), (1, "Lapsed".into())],
            to: vec![(0, "Lapsed".into()), (1, "Loyal".into())],
            counts: vec![vec![10, 40], vec![45, 5]],
            matched: vec![(0, Some(1)), (1, Some(0))],
            actions_before: [
                (0, vec!["Reward".to_string()]),
                (1, vec!["Win back".to_string()]),
            ]
            .into(),
            actions_after: [
                (0, vec!["Win back".to_string()]),
                (1, vec!["Reward".to_string(), "Upsell".to_string()]),
            ]
            .into(),
        };
        let m = p.movements();
        assert_eq!(m.len(), 2);
        // Loyal → Lapsed: what Lapsed calls for that Loyal did not.
        assert_eq!(p.mover_action(&m[0]), "Win back");
        // Lapsed → Loyal: Reward is new to them.
        assert_eq!(p.mover_action(&m[1]), "Reward");
        // Loyal → Loyal (had they moved): Upsell is new; Lapsed → Lapsed: nothing is.
        assert_eq!(p.mover_action(&(0, 1, 10, 0.2)), "Upsell");
        assert_eq!(p.mover_action(&(1, 0, 5, 0.1)), "Win back (as before)");
        assert_eq!(
            p.sentence(&m[0]),
            "10 customers of Loyal (20% of its customers in both runs) are now in Lapsed."
        );
    }
}
