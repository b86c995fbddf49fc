//! Charts with plotters, each drawn on two backends: SVG (inlined in the report) and PNG
//! (files in charts/). Text uses the DejaVu Sans bytes the `dejavu` crate embeds, so the
//! charts render on machines without any system font.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

const W: u32 = 720;
const H: u32 = 400;

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

/// Draws `d` as SVG and as PNG.
pub fn render<D: Draw>(name: &str, d: &D) -> Result<Chart> {
    fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        d.draw(&root)?;
        root.present().map_err(err)?;
    }
    let tmp = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .map_err(|e| Error::io("chart", e))?;
    {
        let root = BitMapBackend::new(tmp.path(), (W, H)).into_drawing_area();
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

/// A metric against k, with the chosen k circled in red.
pub struct Line {
    pub title: String,
    pub y_label: String,
    pub points: Vec<(f64, f64)>,
    pub chosen: Option<f64>,
}

impl Draw for Line {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let xs: Vec<f64> = self.points.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        let (x0, x1) = bounds(&xs, 0.05);
        let (y0, y1) = bounds(&ys, 0.08);
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0 - 0.3..x1 + 0.3, y0..y1)
            .map_err(err)?;
        c.configure_mesh()
            .x_desc("k")
            .y_desc(self.y_label.as_str())
            .draw()
            .map_err(err)?;
        c.draw_series(LineSeries::new(self.points.clone(), &BLUE))
            .map_err(err)?;
        c.draw_series(
            self.points
                .iter()
                .map(|&p| Circle::new(p, 4, BLUE.filled())),
        )
        .map_err(err)?;
        if let Some(k) = self.chosen {
            c.draw_series(
                self.points
                    .iter()
                    .filter(|p| p.0 == k)
                    .map(|&p| Circle::new(p, 9, RED.stroke_width(3))),
            )
            .map_err(err)?;
        }
        Ok(())
    }
}

/// Segment sizes as bars, coloured like the scatter plot.
pub struct Bars {
    pub title: String,
    pub bars: Vec<(String, f64)>,
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
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                labels
                    .get(x.floor().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            })
            .y_desc("customers")
            .draw()
            .map_err(err)?;
        c.draw_series(self.bars.iter().enumerate().map(|(i, b)| {
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, b.1)],
                Palette99::pick(i).filled(),
            )
        }))
        .map_err(err)?;
        Ok(())
    }
}

/// Two features of the customers, coloured by segment (noise in grey).
pub struct Scatter {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// (x, y, segment)
    pub points: Vec<(f64, f64, i64)>,
}

impl Draw for Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(err)?;
        let xs: Vec<f64> = self.points.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        let (x0, x1) = bounds(&xs, 0.05);
        let (y0, y1) = bounds(&ys, 0.05);
        let mut c = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        c.configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .draw()
            .map_err(err)?;
        c.draw_series(self.points.iter().map(|&(x, y, s)| {
            let color = if s < 0 {
                RGBColor(170, 170, 170).filled()
            } else {
                Palette99::pick(s as usize).filled()
            };
            Circle::new((x, y), 3, color)
        }))
        .map_err(err)?;
        Ok(())
    }
}
