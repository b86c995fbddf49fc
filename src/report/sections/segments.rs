//! Segments: sizes, the PCA projection, the z-score heatmap, the RFM crosstab, and a card
//! per segment with its traits, actions, rules and means.

use polars::prelude::*;

use super::super::charts::by_segment::{BoxStats, SegmentBars, SegmentBoxes};
use super::super::charts::{later, Heatmap, Pending, Scatter, WIDE};
use super::super::figures::{Drawn, Figures};
use super::super::html::{segment_names, slug, Html};
use super::super::keys::KeyFigures;
use super::super::mix::CategoryMix;
use super::super::{ReportInput, Sample, MAX_HISTOGRAMS, PCA_SAMPLE};
use crate::error::Result;
use crate::frame::{figure, str_opts, thousands};
use crate::matrix::Matrix;
use crate::metrics::silhouette::sample_indices;
use crate::metrics::{centroids_without_noise, dense_labels};
use crate::stages::profile::explain::Explanation;
use crate::stages::profile::{Segment, SegmentStability};

/// Key figures given a box plot at most.
const BOX_PLOTS: usize = 4;

/// A box plot per key figure (the first [`BOX_PLOTS`]), one box per segment; returns the
/// figures' names.
fn box_plots(
    kf: &KeyFigures,
    rows: &[(String, i64)],
    tall: (u32, u32),
    figs: &mut Figures,
) -> Vec<String> {
    let mut names = Vec::new();
    for key in kf.keys.iter().take(BOX_PLOTS) {
        let name = figs.unique(&format!("box_{}", slug(&key.name)));
        let boxes = kf
            .members
            .iter()
            .map(|m| BoxStats::of(&m.iter().map(|&i| key.values[i]).collect::<Vec<_>>()))
            .collect();
        figs.add(
            later(
                &name,
                tall,
                SegmentBoxes {
                    title: format!("{} by segment", key.name),
                    x_label: key.name.clone(),
                    rows: rows.to_vec(),
                    boxes,
                    log: key.logged,
                },
            ),
            format!(
                "{}: the box holds the middle half of each segment's customers, the thick line is the median, whiskers reach the furthest customer within 1.5 box lengths",
                key.name
            ),
        );
        names.push(name);
    }
    names
}

pub fn charts(
    input: &ReportInput,
    kf: &KeyFigures,
    mix: Option<&CategoryMix>,
    s: &Sample,
    figs: &mut Figures,
) -> Result<Vec<String>> {
    let (sample, sample_note) = (&s.rows, &s.note);
    let mut seg_charts = Vec::new();
    let rows: Vec<(String, i64)> = segment_names(input.segments)
        .into_iter()
        .map(|(id, name)| (name, id))
        .collect();
    let tall = (WIDE.0, WIDE.1.max(80 + 36 * rows.len() as u32));
    figs.add(
        later(
            "segment_sizes",
            tall,
            SegmentBars {
                title: "Customers per segment".into(),
                x_label: "customers".into(),
                rows: rows.clone(),
                series: vec![(
                    "customers".into(),
                    input.segments.iter().map(|s| s.size as f64).collect(),
                )],
                percent: false,
            },
        ),
        "Segment sizes".into(),
    );
    seg_charts.push("segment_sizes".to_string());
    seg_charts.extend(box_plots(kf, &rows, tall, figs));
    if let Some((chart, caption)) = pca_chart(input, sample, sample_note)? {
        figs.add(chart, caption);
        seg_charts.push("segments_pca".into());
    }
    if let Some(mix) = mix {
        figs.add(category_heatmap(input, mix), "Spend per customer in each category against the average customer: 2.0× is twice the average, 0.5× half; categories with the most spend first".into());
        seg_charts.push("segment_categories".into());
    }
    if let Some(z) = zscore_heatmap(input, kf) {
        let logs = if kf.readable.iter().any(|r| r.is_transform()) {
            " (a column the model takes the log of, on its log scale)"
        } else {
            ""
        };
        figs.add(
            z,
            format!(
                "Each segment's mean per feature, in standard deviations from all customers{logs}"
            ),
        );
        seg_charts.push("segment_zscores".into());
    }
    Ok(seg_charts)
}

/// Each segment's spend per customer per category against everyone's, as "2.1×".
fn category_heatmap(input: &ReportInput, mix: &CategoryMix) -> Pending {
    segment_heatmap("segment_categories", input, (200, 120), |rows| Heatmap {
        title: "Spend per category against the average customer".into(),
        rows,
        cols: mix.categories.clone(),
        values: mix
            .lift
            .iter()
            .map(|r| r.iter().map(|l| l.map_or(f64::NAN, f64::log2)).collect())
            .collect(),
        range: 1.5,
        labels: Some(
            mix.lift
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|l| l.map_or("–".into(), |l| format!("{l:.1}×")))
                        .collect()
                })
                .collect(),
        ),
    })
}

/// A heatmap with one row per segment, by name, sized to its rows and its columns
/// (`px`: pixels for the labels, and per column).
fn segment_heatmap(
    name: &str,
    input: &ReportInput,
    px: (u32, u32),
    make: impl FnOnce(Vec<String>) -> Heatmap,
) -> Pending {
    let rows: Vec<String> = segment_names(input.segments)
        .into_iter()
        .map(|n| n.1)
        .collect();
    let height = WIDE.1.max(120 + 40 * rows.len() as u32);
    let map = make(rows);
    let width = WIDE.0.max(px.0 + px.1 * map.cols.len() as u32);
    later(name, (width, height), map)
}

/// The segments' means as z-scores: a column the model takes the log of is shown on that
/// scale under its own name ("monetary (log)") and its raw twin left out.
fn zscore_heatmap(input: &ReportInput, kf: &KeyFigures) -> Option<Pending> {
    let (zcols, zrows) = input.zscores;
    if zcols.is_empty() || zrows.is_empty() {
        return None;
    }
    let logged = |c: &String| {
        kf.readable
            .iter()
            .find(|r| r.is_transform() && r.model == *c)
    };
    let raw_twin = |c: &String| kf.readable.iter().any(|r| r.is_transform() && r.name == *c);
    let shown: Vec<usize> = (0..zcols.len())
        .filter(|&j| !raw_twin(&zcols[j]))
        .take(MAX_HISTOGRAMS)
        .collect();
    let cols: Vec<String> = shown
        .iter()
        .map(|&j| logged(&zcols[j]).map_or(zcols[j].clone(), |r| format!("{} (log)", r.name)))
        .collect();
    Some(segment_heatmap(
        "segment_zscores",
        input,
        (160, 70),
        |rows| Heatmap {
            title: "Segment means as z-scores (sd from all customers)".into(),
            rows,
            cols,
            values: zrows
                .iter()
                .map(|r| shown.iter().map(|&j| r[j]).collect())
                .collect(),
            range: 1.5,
            labels: None,
        },
    ))
}

pub fn html(
    h: &mut Html,
    input: &ReportInput,
    kf: &KeyFigures,
    mix: Option<&CategoryMix>,
    names: &[String],
    figs: &Drawn,
) -> Result<()> {
    h.markup("<h2 id=\"segments\">Segments</h2>");
    figs.html(h, names, false);
    if let Some(ct) = input.rfm_crosstab {
        crosstab_html(h, input, ct)?;
    }
    if let Some(e) = input.explanation {
        h.markup("<p>The rules in each card come from a decision tree of depth ")
            .text(e.depth);
        h.markup(" trained to predict the segment from ");
        for (i, r) in kf.readable.iter().enumerate() {
            h.markup(if i == 0 { "<code>" } else { ", <code>" })
                .text(&r.name)
                .markup("</code>");
        }
        h.markup(" (thresholds in the data's units); it puts <b>")
            .text(format!("{:.1}%", e.fidelity * 100.0));
        h.markup("</b> of customers in their own segment (its fidelity).</p>");
    }
    for (r, s) in input.segments.iter().enumerate() {
        card(h, input, kf, r, s);
        if let Some(mix) = mix {
            mix_html(h, mix, r);
        }
        h.markup("</div>");
    }
    Ok(())
}

/// One segment's card: size, traits, actions, the tree's rules and its key figures.
fn card(h: &mut Html, input: &ReportInput, kf: &KeyFigures, r: usize, s: &Segment) {
    h.markup("<div class=\"card\" id=\"segment-")
        .text(s.id)
        .markup("\"><h3>");
    h.text(&s.name).markup("</h3><p>").text(thousands(s.size));
    h.markup(" customers (")
        .text(format!("{:.1}%", s.share * 100.0))
        .markup("). Traits: ");
    let traits = if s.traits.is_empty() {
        "none".to_string()
    } else {
        s.traits.join(", ")
    };
    h.text(traits).markup(".</p>");
    if let Some(st) = &s.stability {
        stability_html(
            h,
            st,
            input
                .plan
                .evaluate
                .stability
                .as_ref()
                .map_or(0.75, |p| p.stable),
        );
    }
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
        rules_html(h, e, s);
    }
    h.markup("<table class=\"sortable figures\"><thead><tr><th>key figure</th><th>segment mean</th><th>segment median</th><th>all customers: mean</th><th>all customers: median</th><th>lift (mean / all)</th></tr></thead><tbody>");
    for key in &kf.keys {
        let (mine, all) = (key.per_segment[r], key.overall);
        h.markup("<tr><td>")
            .text(&key.name)
            .markup("</td><td>")
            .text(figure(mine.mean));
        h.markup("</td><td>")
            .text(figure(mine.median))
            .markup("</td><td>")
            .text(figure(all.mean));
        h.markup("</td><td>")
            .text(figure(all.median))
            .markup("</td><td>")
            .text(key.lift(r).map_or("–".into(), |l| format!("{l:.2}×")));
        h.markup("</td></tr>");
    }
    h.markup("</tbody></table>");
}

/// How real the segment is: how often resampling finds it again, in words, and a warning
/// below [`SegmentStability::UNSTABLE`].
fn stability_html(h: &mut Html, st: &SegmentStability, stable: f64) {
    let (class, verdict) = if st.jaccard >= stable {
        ("stable", "Stable")
    } else if st.jaccard >= SegmentStability::UNSTABLE {
        ("unsure", "A pattern, but who belongs to it is unsure")
    } else {
        ("unstable", "Unstable: don't build a campaign on it alone")
    };
    h.markup("<p class=\"stability ")
        .text(class)
        .markup("\"><b>")
        .text(verdict)
        .markup("</b>: ")
        .text(st.describe())
        .markup(".</p>");
}

/// The segment's spend mix against everyone's, with the sentence that sums it up.
fn mix_html(h: &mut Html, mix: &CategoryMix, r: usize) {
    if let Some(line) = mix.sentence(r) {
        h.markup("<p class=\"mix\">").text(line).markup("</p>");
    }
    h.markup("<table class=\"sortable mix\"><thead><tr><th>category</th><th>share of this segment's spend</th><th>share of all spend</th><th>spend per customer vs average</th></tr></thead><tbody>");
    for (j, c) in mix.categories.iter().enumerate() {
        h.markup("<tr><td>")
            .text(c)
            .markup("</td><td>")
            .text(format!("{:.1}%", mix.share[r][j] * 100.0));
        h.markup("</td><td>")
            .text(format!("{:.1}%", mix.overall_share[j] * 100.0))
            .markup("</td><td>")
            .text(mix.lift[r][j].map_or("–".into(), |l| format!("{l:.2}×")));
        h.markup("</td></tr>");
    }
    h.markup("</tbody></table>");
}

/// The tree's leaves that place this segment's customers, most customers first.
fn rules_html(h: &mut Html, e: &Explanation, s: &Segment) {
    let mut leaves: Vec<_> = e
        .leaves
        .iter()
        .filter(|l| l.segment == s.id && l.correct > 0)
        .collect();
    leaves.sort_by_key(|l| std::cmp::Reverse(l.correct));
    if leaves.is_empty() {
        return;
    }
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

/// The segment × RFM segment crosstab as a table (rows: segments, columns: RFM segments).
fn crosstab_html(h: &mut Html, input: &ReportInput, ct: &DataFrame) -> Result<()> {
    let names = segment_names(input.segments);
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
    h.markup("<p>Customers per segment and RFM segment:</p><table class=\"sortable\"><tr><th>segment</th>");
    for c in &cols {
        h.markup("<th>").text(c).markup("</th>");
    }
    h.markup("</tr>");
    for r in &rows {
        let label = names
            .iter()
            .find(|n| n.0 == *r)
            .map_or_else(|| r.to_string(), |n| n.1.clone());
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
/// The clusters' centres (noise excluded), from all customers: their labels in the order
/// labels first occur, and their coordinates.
fn centres(x: &Matrix, labels: &[i64]) -> (Vec<i64>, Vec<Vec<f64>>) {
    let kept: Vec<usize> = (0..x.n).filter(|&i| labels[i] >= 0).collect();
    let (dense, k) = dense_labels(kept.iter().map(|&i| labels[i] as usize));
    let mut ids = vec![0i64; k];
    for (j, &i) in kept.iter().enumerate() {
        ids[dense[j]] = labels[i];
    }
    let kmax = ids.iter().max().map_or(0, |&m| m as usize + 1);
    let (_, by_label) = centroids_without_noise(x, labels, kmax);
    let cs = ids.iter().map(|&l| by_label[l as usize].clone()).collect();
    (ids, cs)
}

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
    let (ids, cs) = centres(x, &input.chosen.labels);
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
            names: segment_names(input.segments),
            x_back: None,
            y_back: None,
        },
    );
    Ok(Some((
        chart,
        "PCA of the scaled model features; crosses mark the segment centres".into(),
    )))
}
