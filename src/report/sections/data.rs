//! Data: rows in and out of every stage, dropped rows by reason, missing values.

use std::fmt::Write as _;

use super::super::html::esc;
use super::super::ReportInput;

pub fn html(h: &mut String, input: &ReportInput) {
    h.push_str("<h2>Data</h2><table><tr><th>stage</th><th>rows in</th><th>rows out</th></tr>");
    for s in input.stages {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.stage),
            s.rows_in,
            s.rows_out
        );
    }
    h.push_str("</table>");
    if input.dropped.is_empty() {
        h.push_str("<p>No rows were dropped.</p>");
    } else {
        h.push_str("<p>Dropped rows (all kept in <code>02_clean_dropped.parquet</code> with their reason):</p><table><tr><th>reason</th><th>rows</th></tr>");
        for (r, n) in input.dropped {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(r));
        }
        h.push_str("</table>");
    }
    let gaps: Vec<&(String, usize)> = input.missing.iter().filter(|m| m.1 > 0).collect();
    if gaps.is_empty() {
        h.push_str("<p>No missing values in the input.</p>");
    } else {
        h.push_str("<p>Missing values in the input (imputed as configured):</p><table><tr><th>column</th><th>missing</th></tr>");
        for (c, n) in gaps {
            let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(c));
        }
        h.push_str("</table>");
    }
}
