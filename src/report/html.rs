//! Small formatting helpers of the page: escaping, numbers, labels, file names.

use crate::stages::profile::Segment;

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn num(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.4}"))
}

/// A segment on a chart axis: its id (and name), or "noise".
pub(super) fn segment_label(s: &Segment, with_name: bool) -> String {
    match (s.id < 0, with_name) {
        (true, _) => "noise".into(),
        (false, true) => format!("{}: {}", s.id, s.name),
        (false, false) => s.id.to_string(),
    }
}

/// A file-name-safe version of a column name.
pub(super) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}
