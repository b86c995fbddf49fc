//! The page under construction, and small formatting helpers: numbers, labels, file names.
//!
//! HTML is escaped by construction: [`Html`] takes markup only as string literals
//! (`&'static str`), and everything else — names, numbers, the user's pipeline — through
//! [`Html::text`], which escapes it. A column called `<script>` is shown, never run.

use crate::stages::profile::Segment;

/// The page being written.
#[derive(Default)]
pub(super) struct Html(String);

impl Html {
    /// Markup, written as it is: only string literals can be.
    pub(super) fn markup(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Text or a number, escaped.
    pub(super) fn text(&mut self, text: impl std::fmt::Display) -> &mut Html {
        self.0.push_str(&esc(&text.to_string()));
        self
    }

    /// A chart as plotters drew it: SVG whose text plotters escaped.
    pub(super) fn svg(&mut self, svg: &str) -> &mut Html {
        self.0.push_str(svg);
        self
    }

    pub(super) fn into_string(self) -> String {
        self.0
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A metric with four decimals, or a dash when it is undefined.
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

#[cfg(test)]
mod tests {
    use super::Html;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut h = Html::default();
        h.markup("<td>")
            .text("<script>\"a&b\"</script>")
            .text(1.5)
            .markup("</td>");
        assert_eq!(
            h.into_string(),
            "<td>&lt;script&gt;&quot;a&amp;b&quot;&lt;/script&gt;1.5</td>"
        );
    }
}
