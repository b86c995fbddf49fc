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

/// Sorting for tables of class `sortable`: a click on a header sorts the rows by that
/// column (numbers as numbers, "1,234", "12.5%" and "2.1×" included; a second click reverses).
/// Inline and self-contained; without script the tables read the same, unsorted.
pub(super) const SORT_SCRIPT: &str = "<script>(function(){\
function key(r,c){var s=r.cells[c]?r.cells[c].textContent.trim():'';var n=parseFloat(s.replace(/[,%\\u00d7]/g,''));return isNaN(n)?s.toLowerCase():n;}\
document.querySelectorAll('table.sortable').forEach(function(t){var head=t.rows[0];\
Array.prototype.forEach.call(head.cells,function(th,c){th.style.cursor='pointer';th.title='Sort by this column';\
th.addEventListener('click',function(){var body=t.tBodies[t.tBodies.length-1];\
var rows=Array.prototype.filter.call(body.rows,function(r){return r!==head;});\
var asc=th.getAttribute('aria-sort')!=='ascending';\
rows.sort(function(a,b){var x=key(a,c),y=key(b,c);var d=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));return asc?d:-d;});\
Array.prototype.forEach.call(head.cells,function(h){h.removeAttribute('aria-sort');});\
th.setAttribute('aria-sort',asc?'ascending':'descending');rows.forEach(function(r){body.appendChild(r);});});});});})();</script>";

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

/// Each segment's name as charts and tables show it ("noise" for DBSCAN's), the id added
/// only where two segments share a name.
pub(super) fn segment_names(segments: &[Segment]) -> Vec<(i64, String)> {
    let base = |s: &Segment| {
        if s.id < 0 {
            "noise".to_string()
        } else {
            s.name.clone()
        }
    };
    segments
        .iter()
        .map(|s| {
            let twice = segments.iter().filter(|o| base(o) == base(s)).count() > 1;
            let name = if twice {
                format!("{} ({})", base(s), s.id)
            } else {
                base(s)
            };
            (s.id, name)
        })
        .collect()
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
