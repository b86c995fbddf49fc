//! Data: rows in and out of every stage, dropped rows by reason, missing values.

use super::super::html::Html;
use super::super::ReportInput;

pub fn html(h: &mut Html, input: &ReportInput) {
    h.markup(
        "<h2 id=\"data\">Data</h2><table><tr><th>stage</th><th>rows in</th><th>rows out</th></tr>",
    );
    for s in input.stages {
        h.markup("<tr><td>")
            .text(&s.stage)
            .markup("</td><td>")
            .text(s.rows_in);
        h.markup("</td><td>").text(s.rows_out).markup("</td></tr>");
    }
    h.markup("</table>");
    if input.dropped.is_empty() {
        h.markup("<p>No rows were dropped.</p>");
    } else {
        h.markup("<p>Dropped rows (all kept in <code>02_clean_dropped.parquet</code> with their reason):</p><table><tr><th>reason</th><th>rows</th></tr>");
        for (r, n) in input.dropped {
            h.markup("<tr><td>")
                .text(r)
                .markup("</td><td>")
                .text(n)
                .markup("</td></tr>");
        }
        h.markup("</table>");
    }
    let gaps: Vec<&(String, usize)> = input.missing.iter().filter(|m| m.1 > 0).collect();
    if gaps.is_empty() {
        h.markup("<p>No missing values in the input.</p>");
    } else {
        h.markup("<p>Missing values in the input (imputed as configured):</p><table><tr><th>column</th><th>missing</th></tr>");
        for (c, n) in gaps {
            h.markup("<tr><td>")
                .text(c)
                .markup("</td><td>")
                .text(n)
                .markup("</td></tr>");
        }
        h.markup("</table>");
    }
}
