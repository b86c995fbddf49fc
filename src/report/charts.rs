//! Charts with plotters, each drawn on two backends: SVG (inlined in the report) and PNG
//! (files in charts/). Text uses the DejaVu Sans bytes the `dejavu` crate embeds, so the
//! charts render on machines without any system font.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::frame::figure;

pub mod by_segment;
pub mod dendrogram;

/// Full-width charts; `SMALL` for the grids of histograms and bars.
pub const WIDE: (u32, u32) = (720, 400);
pub const SMALL: (u32, u32) = (420, 280);

/// Registers the embedded font once per process.
fn fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

fn err(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("drawing a chart: {e}"))
}

/// One chart as an SVG string and PNG bytes.
pub struct Chart {
    pub name: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Something that can draw itself on any plotters backend.
pub trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// The legend box every chart uses, at `pos`.
fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    c: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    pos: SeriesLabelPosition,
) -> Result<()> {
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .position(pos)
        .draw()
        .map_err(err)
}

/// A chart to draw later (charts are independent, so the report draws them in parallel).
pub struct Pending {
    pub name: String,
    job: Box<dyn FnOnce() -> Result<Chart> + Send>,
}

impl Pending {
    pub fn draw(self) -> Result<Chart> {
        (self.job)()
    }
}

/// `d`, to be drawn as SVG and PNG by [`Pending::draw`].
pub fn later<D: Draw + Send + 'static>(name: &str, size: (u32, u32), d: D) -> Pending {
    let owned = name.to_string();
    Pending {
        name: name.to_string(),
        job: Box::new(move || render(&owned, size, &d)),
    }
}

/// Draws `d` as SVG and as PNG, `size` pixels.
pub fn render<D: Draw>(name: &str, size: (u32, u32), d: &D) -> Result<Chart> {
    fonts();
    let (w, h) = size;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        d.draw(&root)?;
        root.present().map_err(err)?;
    }
    let tmp = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .map_err(|e| Error::io("chart", e))?;
    {
        let root = BitMapBackend::new(tmp.path(), (w, h)).into_drawing_area();
        d.draw(&root)?;
        root.present().map_err(err)?;
    }
    let png = std::fs::read(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
    Ok(Chart {
        name: name.to_string(),
        svg,
        png,
    })
}

fn bounds(v: &[f64], pad: f64) -> (f64, f64) {
    let finite = || v.iter().copied().filter(|x| x.is_finite());
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let p = ((hi - lo) * pad).max(1e-9 + hi.abs() * 0.01);
    (lo - p, hi + p)
}

/// A curve: a metric against k (chosen k circled in red, the knee as a green square), or
/// the DBSCAN k-distance curve (a horizontal line at the eps used).
pub struct Line {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<(f64, f64)>,
    pub chosen: Option<f64>,
    pub knee: Option<f64>,
    pub hline: Option<(f64, String)>,
    /// Draw a marker at every point (off for long curves).
    pub markers: bool,
}

impl Line {
    pub fn metric(
        title: &str,
        y_label: &str,
        points: Vec<(f64, f64)>,
        chosen: Option<f64>,
    ) -> Line {
        Line {
            title: title.to_string(),
            x_label: "k".into(),
            y_label: y_label.to_string(),
            points,
            chosen,
            knee: None,
            hline: None,
            markers: true,
        }
    }
}

impl Draw for Line {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let xs: Vec<f64> = self.points.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        if let Some((y, _)) = &self.hline {
            ys.push(*y);
        }
        let (x0, x1) = bounds(&xs, 0.05);
        let (y0, y1) = bounds(&ys, 0.08);
        let pad = if self.markers { 0.3 } else { 0.0 };
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0 - pad..x1 + pad, y0..y1)
            .map_err(err)?;
        // Against k: a label at every integer and nowhere else.
        let integer_x = self.markers;
        c.configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(if integer_x {
                4 * self.points.len() + 1
            } else {
                10
            })
            .x_label_formatter(&|x| {
                if !integer_x {
                    format!("{x}")
                } else if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(self.points.clone(), &BLUE))
            .map_err(err)?;
        if self.markers {
            c.draw_series(
                self.points
                    .iter()
                    .map(|&p| Circle::new(p, 4, BLUE.filled())),
            )
            .map_err(err)?;
        }
        self.marks(&mut c, (x0 - pad, x1 + pad))
    }
}

/// The plotting area of a chart with numbers on both axes.
type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl Line {
    /// The knee, the chosen k and the horizontal line (across `xs`), with their legend.
    fn marks<'a, DB: DrawingBackend + 'a>(
        &self,
        c: &mut Plane<'a, DB>,
        xs: (f64, f64),
    ) -> Result<()> {
        if let Some(k) = self.knee {
            c.draw_series(
                self.points
                    .iter()
                    .filter(|p| p.0 == k)
                    .map(|&p| Rectangle::new([p, p], GREEN.stroke_width(12))),
            )
            .map_err(err)?
            .label(format!("knee (k = {k})"))
            .legend(|(x, y)| Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], GREEN.filled()));
        }
        if let Some(k) = self.chosen {
            c.draw_series(
                self.points
                    .iter()
                    .filter(|p| p.0 == k)
                    .map(|&p| Circle::new(p, 9, RED.stroke_width(3))),
            )
            .map_err(err)?
            .label(format!("chosen (k = {k})"))
            .legend(|(x, y)| Circle::new((x, y), 5, RED.stroke_width(2)));
        }
        if let Some((y, label)) = &self.hline {
            c.draw_series(LineSeries::new(
                vec![(xs.0, *y), (xs.1, *y)],
                RED.stroke_width(2),
            ))
            .map_err(err)?
            .label(label.as_str())
            .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], RED.stroke_width(2)));
        }
        if self.knee.is_some() || self.chosen.is_some() || self.hline.is_some() {
            legend(c, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}

/// Bars: segment sizes (coloured like the scatter plots) or a categorical's counts.
pub struct Bars {
    pub title: String,
    pub bars: Vec<(String, f64)>,
    /// Colour each bar as its segment; otherwise all in one colour.
    pub by_segment: bool,
}

impl Draw for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let n = self.bars.len().max(1);
        let top = self.bars.iter().map(|b| b.1).fold(0.0, f64::max) * 1.1 + 1.0;
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(err)?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        // A label at the middle of each bar (x = i + 0.5), none at the edges.
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(2 * n + 1)
            .x_label_formatter(&|x| {
                if ((x - x.floor()) - 0.5).abs() < 1e-6 {
                    labels.get(x.floor() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("customers")
            .draw()
            .map_err(err)?;
        c.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
            let style = if self.by_segment {
                segment_colour(i as i64).filled()
            } else {
                RGBColor(70, 110, 170).filled()
            };
            Rectangle::new([(i as f64 + 0.15, 0.0), (i as f64 + 0.85, b.1)], style)
        }))
        .map_err(err)?;
        Ok(())
    }
}

/// The colour of a segment in every chart (noise in grey).
pub fn segment_colour(s: i64) -> RGBColor {
    if s < 0 {
        RGBColor(170, 170, 170)
    } else {
        let c = Palette99::pick(s as usize).to_rgba();
        RGBColor(c.0, c.1, c.2)
    }
}

/// Customers on two axes, coloured by segment (noise in grey), with a legend and,
/// optionally, the segment centres as large crosses.
pub struct Scatter {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// (x, y, segment)
    pub points: Vec<(f64, f64, i64)>,
    /// (x, y, segment)
    pub centres: Vec<(f64, f64, i64)>,
    /// Segment id → name, for the legend.
    pub names: Vec<(i64, String)>,
    /// Map axis values back to the data's units (log columns' ticks read as money).
    pub x_back: Option<fn(f64) -> f64>,
    pub y_back: Option<fn(f64) -> f64>,
}

impl Draw for Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let xs: Vec<f64> = self
            .points
            .iter()
            .chain(&self.centres)
            .map(|p| p.0)
            .collect();
        let ys: Vec<f64> = self
            .points
            .iter()
            .chain(&self.centres)
            .map(|p| p.1)
            .collect();
        let (x0, x1) = bounds(&xs, 0.05);
        let (y0, y1) = bounds(&ys, 0.05);
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        let (xb, yb) = (self.x_back, self.y_back);
        let xt = move |x: &f64| xb.map_or_else(|| format!("{x}"), |f| figure(Some(f(*x))));
        let yt = move |y: &f64| yb.map_or_else(|| format!("{y}"), |f| figure(Some(f(*y))));
        let mut mesh = c.configure_mesh();
        mesh.x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str());
        if xb.is_some() {
            mesh.x_label_formatter(&xt);
        }
        if yb.is_some() {
            mesh.y_label_formatter(&yt);
        }
        mesh.draw().map_err(err)?;
        let mut segments: Vec<i64> = self.points.iter().map(|p| p.2).collect();
        segments.sort_unstable();
        segments.dedup();
        for s in segments {
            let colour = segment_colour(s);
            c.draw_series(
                self.points
                    .iter()
                    .filter(|p| p.2 == s)
                    .map(|&(x, y, _)| Circle::new((x, y), 3, colour.mix(0.75).filled())),
            )
            .map_err(err)?
            .label(
                self.names
                    .iter()
                    .find(|n| n.0 == s)
                    .map_or_else(|| format!("segment {s}"), |n| n.1.clone()),
            )
            .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
        }
        c.draw_series(self.centres.iter().flat_map(|&(x, y, s)| {
            [
                Cross::new((x, y), 9, BLACK.stroke_width(5)),
                Cross::new((x, y), 8, segment_colour(s).stroke_width(3)),
            ]
        }))
        .map_err(err)?;
        legend(&mut c, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

/// A feature's distribution before and after cleaning, on shared bins (counted once, by
/// [`Histogram::new`], not per backend).
pub struct Histogram {
    pub title: String,
    pub x_label: String,
    lo: f64,
    hi: f64,
    before: Option<Vec<usize>>,
    after: Vec<usize>,
    /// Maps an axis value back to the data's units (a log column's ticks read as money).
    pub back: Option<fn(f64) -> f64>,
}

impl Histogram {
    pub fn new(title: &str, before: Option<&[f64]>, after: &[f64], bins: usize) -> Histogram {
        let range = |v: &[f64]| {
            v.iter()
                .filter(|x| x.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                })
        };
        let (mut lo, mut hi) = range(after);
        if let Some(b) = before {
            let (l, h) = range(b);
            lo = lo.min(l);
            hi = hi.max(h);
        }
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let bins = bins.max(1);
        Histogram {
            title: title.to_string(),
            x_label: title.to_string(),
            lo,
            hi,
            before: before.map(|b| bin_counts(b, lo, hi, bins)),
            after: bin_counts(after, lo, hi, bins),
            back: None,
        }
    }
}

/// Counts of `v` in `bins` equal bins over [lo, hi] (the top edge included in the last).
pub fn bin_counts(v: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<usize> {
    let mut counts = vec![0usize; bins];
    let width = (hi - lo) / bins as f64;
    for &x in v.iter().filter(|x| x.is_finite()) {
        let b = if width > 0.0 {
            (((x - lo) / width).floor().max(0.0) as usize).min(bins - 1)
        } else {
            0
        };
        counts[b] += 1;
    }
    counts
}

impl Draw for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let (lo, hi) = (self.lo, self.hi);
        let width = (hi - lo) / self.after.len().max(1) as f64;
        let after = &self.after;
        let before = &self.before;
        let top = after
            .iter()
            .chain(before.iter().flatten())
            .copied()
            .max()
            .unwrap_or(0) as f64
            * 1.1
            + 1.0;
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(56)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(err)?;
        let back = self.back;
        let ticks = move |x: &f64| back.map_or_else(|| format!("{x}"), |f| figure(Some(f(*x))));
        let mut mesh = c.configure_mesh();
        mesh.disable_x_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc("customers")
            .x_labels(5)
            .y_labels(5);
        if back.is_some() {
            mesh.x_label_formatter(&ticks);
        }
        mesh.draw().map_err(err)?;
        let rect = |counts: &Vec<usize>, style: ShapeStyle| {
            counts
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let x = lo + i as f64 * width;
                    Rectangle::new([(x, 0.0), (x + width, n as f64)], style)
                })
                .collect::<Vec<_>>()
        };
        let grey = RGBColor(150, 150, 150);
        let blue = RGBColor(50, 100, 200);
        if let Some(b) = &before {
            c.draw_series(rect(b, grey.mix(0.5).filled()))
                .map_err(err)?
                .label("before cleaning")
                .legend(move |(x, y)| {
                    Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], grey.filled())
                });
        }
        c.draw_series(rect(after, blue.mix(0.55).filled()))
            .map_err(err)?
            .label(if before.is_some() {
                "after cleaning"
            } else {
                "customers"
            })
            .legend(move |(x, y)| Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], blue.filled()));
        legend(&mut c, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

/// A matrix of values on a diverging scale (blue negative, red positive, white 0), each
/// cell labelled with its value: correlations, or segment means as z-scores.
pub struct Heatmap {
    pub title: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub values: Vec<Vec<f64>>,
    /// |value| that gets the full colour.
    pub range: f64,
    /// Cell texts in place of the values (`values` then only colour the cells).
    pub labels: Option<Vec<Vec<String>>>,
}

fn diverging(v: f64, range: f64) -> RGBColor {
    if !v.is_finite() {
        // No value (an empty cell): light grey, not the black NaN would make.
        return RGBColor(240, 240, 240);
    }
    let t = if range > 0.0 {
        (v / range).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let mix = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    if t >= 0.0 {
        RGBColor(mix(255, 200, t), mix(255, 40, t), mix(255, 40, t))
    } else {
        RGBColor(mix(255, 40, -t), mix(255, 90, -t), mix(255, 200, -t))
    }
}

impl Draw for Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let (nr, nc) = (self.rows.len().max(1), self.cols.len().max(1));
        let longest = self
            .rows
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(4);
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(70)
            .y_label_area_size((longest as u32 * 8 + 16).min(220))
            .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)
            .map_err(err)?;
        let cols = self.cols.clone();
        let rows = self.rows.clone();
        c.configure_mesh()
            .disable_mesh()
            .x_labels(nc * 2 + 1)
            .y_labels(nr * 2 + 1)
            .x_label_formatter(&|x| {
                let f = x - x.floor();
                if (f - 0.5).abs() < 1e-6 {
                    cols.get(x.floor() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| {
                let f = y - y.floor();
                if (f - 0.5).abs() < 1e-6 {
                    // Row 0 at the top.
                    rows.get(nr - 1 - y.floor() as usize)
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_label_style(("sans-serif", 12))
            .y_label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        for (r, row) in self.values.iter().enumerate() {
            let y = (nr - 1 - r) as f64;
            for (j, &v) in row.iter().enumerate() {
                let x = j as f64;
                c.draw_series(std::iter::once(Rectangle::new(
                    [(x, y), (x + 1.0, y + 1.0)],
                    diverging(v, self.range).filled(),
                )))
                .map_err(err)?;
                let given = self.labels.as_ref().and_then(|l| l.get(r)?.get(j).cloned());
                let text = match given {
                    Some(t) => t,
                    None if v.is_finite() => format!("{v:.2}"),
                    None => "–".into(),
                };
                c.draw_series(std::iter::once(Text::new(
                    text,
                    (x + 0.5, y + 0.5),
                    ("sans-serif", 12)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    }
}

/// The per-cluster silhouette plot: each cluster's silhouette values sorted, as a band of
/// horizontal bars, with the average as a dashed vertical line.
pub struct SilhouettePlot {
    pub title: String,
    /// (segment, values sorted descending)
    pub clusters: Vec<(i64, Vec<f64>)>,
    pub average: f64,
}

impl Draw for SilhouettePlot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let gap = 10.0;
        let total: f64 = self
            .clusters
            .iter()
            .map(|c| c.1.len() as f64 + gap)
            .sum::<f64>()
            + gap;
        let lo = self
            .clusters
            .iter()
            .flat_map(|c| c.1.iter().copied())
            .fold(0.0, f64::min)
            .max(-1.0);
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(lo - 0.05..1f64, 0f64..total)
            .map_err(err)?;
        c.configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("silhouette")
            .y_desc("customers, by segment")
            .draw()
            .map_err(err)?;
        let mut y = gap;
        for (s, values) in &self.clusters {
            let colour = segment_colour(*s);
            // The band's outline: (value, position) down the sorted values, back along 0.
            let mut outline: Vec<(f64, f64)> = vec![(0.0, y)];
            outline.extend(values.iter().enumerate().map(|(i, &v)| (v, y + i as f64)));
            outline.push((0.0, y + values.len() as f64));
            c.draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.8).filled(),
            )))
            .map_err(err)?;
            c.draw_series(std::iter::once(Text::new(
                format!("{s}"),
                (lo - 0.04, y + values.len() as f64 / 2.0),
                ("sans-serif", 13)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(err)?;
            y += values.len() as f64 + gap;
        }
        c.draw_series(DashedLineSeries::new(
            vec![(self.average, 0.0), (self.average, total)],
            6,
            4,
            RED.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("average {:.3}", self.average))
        .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], RED.stroke_width(2)));
        legend(&mut c, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}
