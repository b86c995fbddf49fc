//! Appendix: the recommendation rules in use, the artifacts with their hashes, the pipeline.

use std::fmt::Write as _;

use super::super::html::esc;
use super::super::ReportInput;

pub fn html(h: &mut String, input: &ReportInput) {
    let p = input.plan;
    h.push_str("<h2>Appendix</h2><h3>Recommendation rules</h3><table><tr><th>when</th><th>action</th></tr>");
    for r in &p.profile.rules {
        let _ = write!(
            h,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&r
                .when
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(" and ")),
            esc(&r.action)
        );
    }
    h.push_str(
        "</table><p class=\"why\">A rule fires when all its traits hold. <code>high X</code> / <code>low X</code>: the segment's \
         mean of a feature whose name contains X is at least 0.5 sd above / below all customers'. \
         Replace the table with <code>profile.recommendations</code> in the pipeline file.</p>",
    );
    h.push_str("<h3>Artifacts</h3><table><tr><th>stage</th><th>artifact</th><th>sha256</th></tr>");
    for s in input.stages {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&s.stage),
            esc(&s.artifact),
            esc(&s.sha256)
        );
    }
    let _ = write!(
        h,
        "</table><p>The profile stage's files, this report included, are listed with their hashes in \
         <code>manifest.json</code>.</p><h3>Pipeline</h3><pre>{}</pre><p>Charts are also in <code>charts/</code> as SVG and PNG.</p></body></html>",
        esc(&p.source.text)
    );
}
