//! Segments: sizes, the PCA projection, the z-score heatmap, the RFM crosstab, and a card
//! per segment with its traits, actions, rules and means.

use polars::prelude::*;

use super::super::charts::{later, Bars, Heatmap, Pending, Scatter, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::{num, segment_label, Html};
use super::super::{ReportInput, Sample, MAX_HISTOGRAMS, PCA_SAMPLE};
use crate::error::Result;
use crate::frame::str_opts;
use crate::matrix::Matrix;
use crate::metrics::silhouette::sample_indices;
use crate::metrics::{centroids_without_noise, dense_labels};
use crate::stages::profile::Segment;

pub fn charts(input: &ReportInput, s: &Sample, figs: &mut Figures) -> Result<Vec<String>> {
    let (sample, sample_note) = (&s.rows, &s.note);
    let mut seg_charts = Vec::new();
    figs.add(
        later(
            "segment_sizes",
            WIDE,
            Bars {
                title: "Customers per segment".into(),
                bars: input
                    .segments
                    .iter()
                    .map(|s| (segment_label(s, false), s.size as f64))
                    .collect(),
                by_segment: true,
            },
        ),
        "Segment sizes".into(),
    );
    seg_charts.push("segment_sizes".to_string());
    if let Some((chart, caption)) = pca_chart(input, sample, sample_note)? {
        figs.add(chart, caption);
        seg_charts.push("segments_pca".into());
    }
    let (zcols, zrows) = input.zscores;
    if !zcols.is_empty() && !zrows.is_empty() {
        let shown = zcols.len().min(MAX_HISTOGRAMS);
        let rows: Vec<String> = input
            .segments
            .iter()
            .map(|s| segment_label(s, true))
            .collect();
        figs.add(
            later(
                "segment_zscores",
                (
                    WIDE.0.max(160 + 70 * shown as u32),
                    WIDE.1.max(120 + 40 * rows.len() as u32),
                ),
                Heatmap {
                    title: "Segment means as z-scores (sd from all customers)".into(),
                    rows,
                    cols: zcols[..shown].to_vec(),
                    values: zrows.iter().map(|r| r[..shown].to_vec()).collect(),
                    range: 1.5,
                },
            ),
            "Each segment's mean per feature, in standard deviations from all customers".into(),
        );
        seg_charts.push("segment_zscores".into());
    }
    Ok(seg_charts)
}

pub fn html(h: &mut Html, input: &ReportInput, names: &[String], figs: &Drawn) -> Result<()> {
    h.markup("<h2>Segments</h2>");
    figs.html(h, names, false);
    if let Some(ct) = input.rfm_crosstab {
        crosstab_html(h, ct)?;
    }
    if let Some(e) = input.explanation {
        h.markup("<p>Rules below come from a decision tree of depth ")
            .text(e.depth);
        h.markup(" trained to predict the segment from the unscaled features ");
        for (i, c) in input.model_columns.iter().enumerate() {
            h.markup(if i == 0 { "<code>" } else { ", <code>" })
                .text(c)
                .markup("</code>");
        }
        h.markup("; it puts <b>")
            .text(format!("{:.1}%", e.fidelity * 100.0));
        h.markup("</b> of customers in their own segment (its fidelity).</p>");
    }
    for (r, s) in input.segments.iter().enumerate() {
        card(h, input, s, &input.means.per_segment[r]);
    }
    Ok(())
}

/// One segment's card: size, traits, actions, the tree's rules and its means.
fn card(h: &mut Html, input: &ReportInput, s: &Segment, means: &[Option<f64>]) {
    h.markup("<div class=\"card\" id=\"segment-")
        .text(s.id)
        .markup("\"><h3>Segment ");
    h.text(s.id)
        .markup(": ")
        .text(&s.name)
        .markup("</h3><p>")
        .text(s.size);
    h.markup(" customers (")
        .text(format!("{:.1}%", s.share * 100.0))
        .markup("). Traits: ");
    let traits = if s.traits.is_empty() {
        "none".to_string()
    } else {
        s.traits.join(", ")
    };
    h.text(traits).markup(".</p>");
    if !s.actions.is_empty() {
        h.markup("<p><b>Recommended actions</b></p><ul>");
        for a in &s.actions {
            h.markup("<li>")
                .text(&a.action)
                .markup(" <span class=\"why\">(because: ");
            h.text(&a.because).markup(")</span></li>");
        }
        h.markup("</ul>");
    }
    if let Some(e) = input.explanation {
        let mut leaves: Vec<_> = e
            .leaves
            .iter()
            .filter(|l| l.segment == s.id && l.correct > 0)
            .collect();
        leaves.sort_by_key(|l| std::cmp::Reverse(l.correct));
        if !leaves.is_empty() {
            h.markup("<p><b>Rules</b></p><ul>");
            for l in leaves {
                let share = 100.0 * l.correct as f64 / l.customers.max(1) as f64;
                h.markup("<li><code>")
                    .text(&l.conditions)
                    .markup("</code> <span class=\"why\">(");
                h.text(l.correct).markup(" of this segment's ").text(s.size);
                h.markup(" customers; ")
                    .text(format!("{share:.0}%"))
                    .markup(" of the ");
                h.text(l.customers)
                    .markup(" customers it matches are in this segment)</span></li>");
            }
            h.markup("</ul>");
        }
    }
    h.markup("<table><tr><th>feature</th><th>segment mean</th><th>all customers</th></tr>");
    for (j, c) in input.model_columns.iter().enumerate() {
        let (mean, overall) = (means[j], input.means.overall[j]);
        h.markup("<tr><td>")
            .text(c)
            .markup("</td><td>")
            .text(num(mean));
        h.markup("</td><td>")
            .text(num(overall))
            .markup("</td></tr>");
    }
    h.markup("</table></div>");
}

/// The segment × RFM segment crosstab as a table (rows: segments, columns: RFM segments).
fn crosstab_html(h: &mut Html, ct: &DataFrame) -> Result<()> {
    let segs: Vec<i64> = ct.column("segment")?.i64()?.iter().flatten().collect();
    let rfm = str_opts(ct, "rfm_segment")?;
    let counts: Vec<u32> = ct
        .column("customers")?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let mut rows: Vec<i64> = segs.clone();
    rows.sort_unstable();
    rows.dedup();
    let mut cols: Vec<String> = rfm.iter().map(|r| r.clone().unwrap_or_default()).collect();
    cols.sort();
    cols.dedup();
    h.markup("<p>Customers per segment and RFM segment:</p><table><tr><th>segment</th>");
    for c in &cols {
        h.markup("<th>").text(c).markup("</th>");
    }
    h.markup("</tr>");
    for r in &rows {
        let label = if *r < 0 {
            "noise".into()
        } else {
            r.to_string()
        };
        h.markup("<tr><td>").text(label).markup("</td>");
        for c in &cols {
            let v: u32 = (0..segs.len())
                .filter(|&i| segs[i] == *r && rfm[i].as_deref().unwrap_or("") == c)
                .map(|i| counts[i])
                .sum();
            h.markup("<td>").text(v).markup("</td>");
        }
        h.markup("</tr>");
    }
    h.markup("</table>");
    Ok(())
}

/// The customers projected on the first two principal components (smartcore's PCA, fitted
/// on the scaled model matrix), coloured by segment, with the segment centres.
fn pca_chart(
    input: &ReportInput,
    sample: &[usize],
    note: &str,
) -> Result<Option<(Pending, String)>> {
    use smartcore::decomposition::pca::{PCAParameters, PCA};
    use smartcore::linalg::basic::arrays::Array;
    use smartcore::linalg::basic::matrix::DenseMatrix;
    let x = input.x;
    if x.d < 2 || x.n < 3 {
        return Ok(None);
    }
    let fail = |e: &dyn std::fmt::Display| crate::error::Error::Internal(format!("PCA: {e}"));
    let to_dense = |m: &Matrix| {
        let rows: Vec<Vec<f64>> = (0..m.n).map(|i| m.row(i).to_vec()).collect();
        DenseMatrix::from_2d_vec(&rows).map_err(|e| fail(&e))
    };
    let fit_rows = sample_indices(x.n, PCA_SAMPLE, input.plan.seed);
    let pca = PCA::fit(
        &to_dense(&x.select_rows(&fit_rows))?,
        PCAParameters::default().with_n_components(2),
    )
    .map_err(|e| fail(&e))?;
    let shown = x.select_rows(sample);
    let proj = pca.transform(&to_dense(&shown)?).map_err(|e| fail(&e))?;
    let points: Vec<(f64, f64, i64)> = (0..shown.n)
        .map(|j| {
            (
                *proj.get((j, 0)),
                *proj.get((j, 1)),
                input.chosen.labels[sample[j]],
            )
        })
        .collect();
    // Centres: of the clusters (noise excluded), from all customers.
    let kept: Vec<usize> = (0..x.n).filter(|&i| input.chosen.labels[i] >= 0).collect();
    let (dense, k) = dense_labels(kept.iter().map(|&i| input.chosen.labels[i] as usize));
    let mut ids = vec![0i64; k];
    for (j, &i) in kept.iter().enumerate() {
        ids[dense[j]] = input.chosen.labels[i];
    }
    let kmax = ids.iter().max().map_or(0, |&m| m as usize + 1);
    let (_, by_label) = centroids_without_noise(x, &input.chosen.labels, kmax);
    let cs: Vec<Vec<f64>> = ids.iter().map(|&l| by_label[l as usize].clone()).collect();
    let centres = if cs.is_empty() {
        vec![]
    } else {
        let c = Matrix::new(cs.len(), x.d, cs.concat());
        let cp = pca.transform(&to_dense(&c)?).map_err(|e| fail(&e))?;
        (0..c.n)
            .map(|j| (*cp.get((j, 0)), *cp.get((j, 1)), ids[j]))
            .collect()
    };
    // Share of the (scaled) variance each component carries, from the projected sample.
    let var = |v: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = v.collect();
        let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|a| (a - m) * (a - m)).sum::<f64>()
    };
    let total: f64 = (0..x.d)
        .map(|j| var(&mut (0..shown.n).map(|i| shown.row(i)[j])))
        .sum();
    let share = |c: usize| {
        if total > 0.0 {
            100.0 * var(&mut points.iter().map(|p| if c == 0 { p.0 } else { p.1 })) / total
        } else {
            0.0
        }
    };
    let chart = later(
        "segments_pca",
        WIDE,
        Scatter {
            title: format!("Segments on the first two principal components{note}"),
            x_label: format!("PC1 ({:.0}% of variance)", share(0)),
            y_label: format!("PC2 ({:.0}% of variance)", share(1)),
            points,
            centres,
        },
    );
    Ok(Some((
        chart,
        "PCA of the scaled model features; crosses mark the segment centres".into(),
    )))
}
