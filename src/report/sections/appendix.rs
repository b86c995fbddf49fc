//! Appendix: the recommendation rules in use, the artifacts with their hashes, the pipeline.

use super::super::html::Html;
use super::super::ReportInput;

pub fn html(h: &mut Html, input: &ReportInput) {
    let p = input.plan;
    h.markup("<h2 id=\"appendix\">Appendix</h2><h3>Recommendation rules</h3><table><tr><th>when</th><th>action</th></tr>");
    // Rules on predicted value only where the run predicts.
    let shown = p
        .profile
        .rules
        .iter()
        .filter(|r| p.predict.is_some() || !r.when.iter().any(|t| t.needs_predict()));
    for r in shown {
        let when: Vec<String> = r.when.iter().map(|t| t.label()).collect();
        h.markup("<tr><td>").text(when.join(" and "));
        h.markup("</td><td style=\"text-align:left\">")
            .text(&r.action)
            .markup("</td></tr>");
    }
    h.markup(
        "</table><p class=\"why\">A rule fires when all its traits hold. <code>high X</code> / <code>low X</code>: the segment's \
         mean of a feature whose name contains X is at least 0.5 sd above / below all customers'. \
         Replace the table with <code>profile.recommendations</code> in the pipeline file.</p>",
    );
    h.markup("<h3>Artifacts</h3><table><tr><th>stage</th><th>artifact</th><th>sha256</th></tr>");
    for s in input.stages {
        h.markup("<tr><td>")
            .text(&s.stage)
            .markup("</td><td>")
            .text(&s.artifact);
        h.markup("</td><td><code>")
            .text(&s.sha256)
            .markup("</code></td></tr>");
    }
    h.markup(
        "</table><p>The profile stage's files, this report included, are listed with their hashes in \
         <code>manifest.json</code>.</p><h3>Pipeline</h3><pre>",
    );
    h.text(&p.source.text);
    h.markup("</pre><p>Charts are also in <code>charts/</code> as SVG and PNG.</p>");
    h.markup(super::super::html::SORT_SCRIPT);
    h.markup("</body></html>");
}
