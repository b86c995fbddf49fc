//! Charts with one row per segment, labelled with the segment's name: horizontal bars
//! (sizes; share of customers beside share of value), the value concentration curve, and
//! box plots of a key figure.

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{err, legend, segment_colour, Draw};
use crate::error::Result;
use crate::frame::figure;

/// Colours of the series when bars stand side by side.
const SERIES: [RGBColor; 2] = [RGBColor(70, 110, 170), RGBColor(230, 140, 40)];

/// Room for the longest segment name on the left axis, in pixels.
fn label_area(rows: &[(String, i64)]) -> u32 {
    let longest = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(4);
    (longest as u32 * 7 + 16).clamp(60, 300)
}

/// The segment name at the middle of row band `y` (row 0 at the top), nothing elsewhere.
fn row_label(rows: &[(String, i64)], y: f64) -> String {
    let n = rows.len();
    if ((y - y.floor()) - 0.5).abs() < 1e-6 && y >= 0.0 && (y as usize) < n {
        rows[n - 1 - y.floor() as usize].0.clone()
    } else {
        String::new()
    }
}

/// Horizontal bars, one band per segment: a single series coloured as each segment, or
/// several series side by side with a legend. Each bar carries its value.
pub struct SegmentBars {
    pub title: String,
    pub x_label: String,
    /// (segment name, segment id), top to bottom.
    pub rows: Vec<(String, i64)>,
    /// (series name, one value per row)
    pub series: Vec<(String, Vec<f64>)>,
    /// Values are shares, shown as percentages.
    pub percent: bool,
}

impl Draw for SegmentBars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let n = self.rows.len().max(1);
        let m = self.series.len().max(1);
        let scale = if self.percent { 100.0 } else { 1.0 };
        let top = self
            .series
            .iter()
            .flat_map(|s| s.1.iter())
            .fold(0.0f64, |a, &b| a.max(b * scale))
            * 1.2
            + 1e-9;
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_area(&self.rows))
            .build_cartesian_2d(0f64..top, 0f64..n as f64)
            .map_err(err)?;
        let ticks = |x: &f64| {
            if self.percent {
                format!("{x:.0}")
            } else {
                figure(Some(*x))
            }
        };
        c.configure_mesh()
            .disable_y_mesh()
            .x_max_light_lines(2)
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| row_label(&self.rows, *y))
            .x_label_formatter(&ticks)
            .x_desc(self.x_label.as_str())
            .y_label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let band = 0.8 / m as f64;
        for (k, (name, values)) in self.series.iter().enumerate() {
            let colour = SERIES[k % SERIES.len()];
            let bars = values.iter().enumerate().map(|(r, &v)| {
                let y = (n - 1 - r) as f64 + 0.1 + band * (m - 1 - k) as f64;
                let fill = if m == 1 {
                    segment_colour(self.rows[r].1)
                } else {
                    colour
                };
                Rectangle::new([(0.0, y), (v * scale, y + band)], fill.filled())
            });
            let drawn = c.draw_series(bars).map_err(err)?;
            if m > 1 {
                drawn.label(name.as_str()).legend(move |(x, y)| {
                    Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], colour.filled())
                });
            }
            let texts = values.iter().enumerate().map(|(r, &v)| {
                let y = (n - 1 - r) as f64 + 0.1 + band * (m - 1 - k) as f64 + band / 2.0;
                let text = if self.percent {
                    format!("{:.1}%", v * 100.0)
                } else {
                    figure(Some(v))
                };
                Text::new(
                    text,
                    (v * scale + top * 0.01, y),
                    ("sans-serif", 11)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            });
            c.draw_series(texts).map_err(err)?;
        }
        if m > 1 {
            legend(&mut c, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    }
}

/// The value concentration curve: segments from the most valuable per customer down, the
/// cumulative share of customers against the cumulative share of value, with the diagonal
/// an even spread would give.
pub struct Concentration {
    pub title: String,
    pub value: String,
    /// (segment name, segment id, share of customers, share of value), most valuable per
    /// customer first.
    pub segments: Vec<(String, i64, f64, f64)>,
}

impl Draw for Concentration {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..100.0, 0f64..100.0)
            .map_err(err)?;
        c.configure_mesh()
            .x_max_light_lines(2)
            .y_max_light_lines(2)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("share of customers, cumulative (%)")
            .y_desc(format!("share of {}, cumulative (%)", self.value))
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (100.0, 100.0)],
            RGBColor(160, 160, 160).stroke_width(1),
        ))
        .map_err(err)?
        .label("an even spread")
        .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], RGBColor(160, 160, 160)));
        let mut points = vec![(0.0, 0.0, String::new(), -2)];
        let (mut x, mut y) = (0.0, 0.0);
        for (name, id, customers, value) in &self.segments {
            x += customers * 100.0;
            y += value * 100.0;
            points.push((x, y, name.clone(), *id));
        }
        c.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            SERIES[0].stroke_width(2),
        ))
        .map_err(err)?
        .label("segments, most valuable per customer first")
        .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], SERIES[0].stroke_width(2)));
        for (x, y, name, id) in points.iter().skip(1) {
            c.draw_series([Circle::new((*x, *y), 5, segment_colour(*id).filled())])
                .map_err(err)?;
            // Names near the right edge are written to the left of their point.
            let (dx, h) = if *x > 60.0 {
                (-1.5, HPos::Right)
            } else {
                (1.5, HPos::Left)
            };
            c.draw_series([Text::new(
                name.clone(),
                (*x + dx, *y - 2.0),
                ("sans-serif", 11)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(h, VPos::Top)),
            )])
            .map_err(err)?;
        }
        legend(&mut c, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}

/// A box: the whisker ends (the furthest values within 1.5 IQR of the box), the quartiles
/// and the median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStats {
    pub low: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub high: f64,
}

impl BoxStats {
    /// Tukey's box of the finite values (linear interpolation between order statistics, as
    /// numpy's default percentile); `None` without any.
    pub fn of(values: &[f64]) -> Option<BoxStats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let pos = p * (v.len() - 1) as f64;
            let (i, f) = (pos.floor() as usize, pos - pos.floor());
            v[i] + (v[(i + 1).min(v.len() - 1)] - v[i]) * f
        };
        let (q1, median, q3) = (at(0.25), at(0.5), at(0.75));
        let reach = 1.5 * (q3 - q1);
        let low = v.iter().copied().find(|&x| x >= q1 - reach).unwrap_or(q1);
        let high = v
            .iter()
            .rev()
            .copied()
            .find(|&x| x <= q3 + reach)
            .unwrap_or(q3);
        Some(BoxStats {
            low,
            q1,
            median,
            q3,
            high,
        })
    }
}

/// Box plots of one key figure, one per segment, on a log axis when the figure is skewed
/// enough that the model used its log (and every value shown is positive).
pub struct SegmentBoxes {
    pub title: String,
    pub x_label: String,
    pub rows: Vec<(String, i64)>,
    pub boxes: Vec<Option<BoxStats>>,
    pub log: bool,
}

impl Draw for SegmentBoxes {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let shown = self.boxes.iter().flatten();
        let lo = shown.clone().map(|b| b.low).fold(f64::INFINITY, f64::min);
        let hi = shown.map(|b| b.high).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let n = self.rows.len().max(1) as f64;
        let mut b = ChartBuilder::on(root);
        b.caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_area(&self.rows));
        if self.log && lo > 0.0 {
            let x = (lo / 1.2..hi * 1.2).log_scale();
            let mut c = b.build_cartesian_2d(x, 0f64..n).map_err(err)?;
            self.boxes_on(&mut c, &format!("{} (log scale)", self.x_label))
        } else {
            let pad = ((hi - lo) * 0.05).max(1e-9);
            let mut c = b
                .build_cartesian_2d(lo - pad..hi + pad, 0f64..n)
                .map_err(err)?;
            self.boxes_on(&mut c, &self.x_label)
        }
    }
}

impl SegmentBoxes {
    fn boxes_on<'a, DB, X>(
        &self,
        c: &mut ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
        x_label: &str,
    ) -> Result<()>
    where
        DB: DrawingBackend + 'a,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let n = self.rows.len();
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| row_label(&self.rows, *y))
            .x_label_formatter(&|x| figure(Some(*x)))
            .x_desc(x_label)
            .y_label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        for (r, b) in self.boxes.iter().enumerate() {
            let Some(b) = b else { continue };
            let y = (n - 1 - r) as f64;
            let colour = segment_colour(self.rows[r].1);
            let mid = y + 0.5;
            c.draw_series([
                PathElement::new(vec![(b.low, mid), (b.q1, mid)], BLACK.stroke_width(1)),
                PathElement::new(vec![(b.q3, mid), (b.high, mid)], BLACK.stroke_width(1)),
                PathElement::new(
                    vec![(b.low, y + 0.35), (b.low, y + 0.65)],
                    BLACK.stroke_width(1),
                ),
                PathElement::new(
                    vec![(b.high, y + 0.35), (b.high, y + 0.65)],
                    BLACK.stroke_width(1),
                ),
            ])
            .map_err(err)?;
            c.draw_series([
                Rectangle::new([(b.q1, y + 0.2), (b.q3, y + 0.8)], colour.mix(0.6).filled()),
                Rectangle::new([(b.q1, y + 0.2), (b.q3, y + 0.8)], BLACK.stroke_width(1)),
            ])
            .map_err(err)?;
            c.draw_series([PathElement::new(
                vec![(b.median, y + 0.2), (b.median, y + 0.8)],
                BLACK.stroke_width(3),
            )])
            .map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_follow_tukey() {
        // 1..=9 and an outlier: quartiles 3.25 / 5.5 / 7.75 (numpy), whiskers stop at 1 and 9.
        let mut v: Vec<f64> = (1..=9).map(f64::from).collect();
        v.push(100.0);
        let b = BoxStats::of(&v).unwrap();
        assert_eq!((b.q1, b.median, b.q3), (3.25, 5.5, 7.75));
        assert_eq!((b.low, b.high), (1.0, 9.0));
        assert_eq!(BoxStats::of(&[f64::NAN]), None);
    }
}
