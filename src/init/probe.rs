//! How to read the file: its format, delimiter and whether its first line is a header,
//! decided from the file itself, then the first rows read the way `segflow run` will.

use std::path::Path;

use polars::prelude::DataFrame;

use super::yaml::quote;
use crate::config::{self, Format};
use crate::data_err;
use crate::error::Result;
use crate::numbers;
use crate::stages::ingest;

/// Rows profiled: enough to see ids repeat across invoice lines and dates' formats.
pub const PROFILE_ROWS: usize = 100_000;

/// The file's reading options and its first rows.
pub struct Reading {
    /// `input:` lines after `path:` (delimiter, header, names), each with its comment.
    pub lines: Vec<String>,
    pub decisions: Vec<String>,
    pub df: DataFrame,
}

/// The reading options of a text file, from its first line.
#[derive(Debug, PartialEq)]
pub struct TextLayout {
    /// Columns separated by runs of spaces or tabs.
    pub whitespace: bool,
    pub delimiter: char,
    /// The first line is data: `Some(number of fields)`.
    pub headerless: Option<usize>,
}

pub fn layout(first: &str) -> TextLayout {
    let first = first.trim_start_matches('\u{feff}').trim_end();
    let count = |c: char| first.matches(c).count();
    let delimiter = [',', ';', '\t', '|']
        .into_iter()
        .max_by_key(|&c| (count(c), c == ','))
        .unwrap_or(',');
    let whitespace = count(delimiter) == 0 && first.split_whitespace().count() > 1;
    let fields: Vec<&str> = if whitespace {
        first.split_whitespace().collect()
    } else {
        first.split(delimiter).collect()
    };
    // A header names columns; a first line with a number in it is data.
    let data = fields
        .iter()
        .map(|f| f.trim().trim_matches('"'))
        .any(|f| !f.is_empty() && f.parse::<f64>().is_ok());
    TextLayout {
        whitespace,
        delimiter,
        headerless: data.then_some(fields.len()),
    }
}

/// Decides how to read `path` and reads its first [`PROFILE_ROWS`] rows.
pub fn read(path: &Path, shown: &str) -> Result<Reading> {
    let mut lines = Vec::new();
    let mut decisions = Vec::new();
    let format = config::infer_format(path);
    let text = matches!(format, Format::Csv { .. } | Format::Whitespace);
    match &format {
        Format::Parquet => decisions.push("format: Parquet".to_string()),
        Format::Sheet { .. } => {
            let plan = probe_plan(shown, &lines)?;
            let sheets = ingest::sheet_names(&plan.input)?;
            let first = sheets.first().cloned().unwrap_or_default();
            let more = match sheets.len() {
                1 => String::new(),
                n => format!(" (of {n}: set `sheet:` for another)"),
            };
            decisions.push(format!("format: spreadsheet, sheet `{first}`{more}"));
            lines.push(format!(
                "sheet: {}  # the first of: {}",
                quote(&first),
                sheets.join(", ")
            ));
        }
        Format::Csv { .. } | Format::Whitespace => {
            let first = ingest::first_line(path)?;
            let t = layout(&String::from_utf8_lossy(&first));
            text_lines(&t, &mut lines, &mut decisions);
        }
    }
    let mut plan = probe_plan(shown, &lines)?;
    if text {
        let evidence = ingest::decimal_evidence(&plan.input, PROFILE_ROWS)?;
        if let Some(line) = decimal_line(path, &evidence, &mut decisions)? {
            lines.push(line);
            plan = probe_plan(shown, &lines)?;
        }
    }
    let df = ingest::head(&plan.input, PROFILE_ROWS)?;
    Ok(Reading {
        lines,
        decisions,
        df,
    })
}

/// The plan `segflow run` would read the file with, from the `input:` lines decided so far.
fn probe_plan(shown: &str, lines: &[String]) -> Result<config::Plan> {
    let probe = format!(
        "name: init\ninput:\n  path: {}\n{}cluster: {{kmeans: {{k: 2}}}}\n",
        quote(shown),
        lines
            .iter()
            .map(|l| format!("  {}\n", l.split("  #").next().unwrap_or(l)))
            .collect::<String>()
    );
    config::parse(Path::new("segflow init"), probe)
}

/// The `decimal:` line the file's numbers call for: a decimal comma when a value reads only
/// with one and none only with a decimal point; a point, marked for checking, when values
/// read both ways and nothing decides; refused when the file writes both marks.
fn decimal_line(
    path: &Path,
    evidence: &numbers::Evidence,
    decisions: &mut Vec<String>,
) -> Result<Option<String>> {
    let show = |(c, v): &(String, String)| format!("`{v}` in `{c}`");
    match (&evidence.point, &evidence.comma, &evidence.ambiguous) {
        (Some(p), Some(c), _) => Err(data_err!(
            "{} writes numbers with a decimal comma ({}) and with a decimal point ({}): segflow reads one decimal mark per file (`input.decimal`); export the file with one",
            path.display(),
            show(c),
            show(p)
        )),
        (None, Some(c), _) => {
            decisions.push(format!("numbers: decimal comma ({})", show(c)));
            Ok(Some(format!(
                "decimal: \",\"  # numbers are written with a decimal comma: {}",
                show(c)
            )))
        }
        (None, None, Some(a)) => {
            decisions.push(format!(
                "numbers: {} reads with a decimal point or a decimal comma and no value decides: proposed `decimal: \".\"`, check it",
                show(a)
            ));
            Ok(Some(format!(
                "decimal: \".\"  # CHECK: {} could be read with a decimal comma too; no value decides",
                show(a)
            )))
        }
        _ => Ok(None),
    }
}

fn text_lines(t: &TextLayout, lines: &mut Vec<String>, decisions: &mut Vec<String>) {
    let separated = match (t.whitespace, t.delimiter) {
        (true, _) => {
            lines.push(
                "delimiter: whitespace  # columns separated by runs of spaces or tabs".into(),
            );
            "runs of spaces or tabs".to_string()
        }
        (false, '\t') => "tabs".to_string(),
        (false, c) => format!("`{c}`"),
    };
    decisions.push(format!("format: text, columns separated by {separated}"));
    if let Some(n) = t.headerless {
        let names: Vec<String> = (1..=n).map(|i| format!("column_{i}")).collect();
        lines.push("header: false  # the first line holds numbers: it is data, not names".into());
        lines.push(format!(
            "names: [{}]  # rename them to what they mean",
            names.join(", ")
        ));
        decisions.push(format!(
            "header: none (the first line is data); columns named column_1..column_{n}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_delimiters_whitespace_and_missing_headers() {
        let l = layout("CustomerID,Gender,Age\r\n");
        assert_eq!(
            (l.delimiter, l.whitespace, l.headerless),
            (',', false, None)
        );
        assert_eq!(layout("ID\tYear_Birth\tIncome").delimiter, '\t');
        let w = layout("id   age  income\n");
        assert!(w.whitespace);
        assert_eq!(w.headerless, None);
        assert_eq!(layout("0001,Male,19,15,39").headerless, Some(5));
        assert_eq!(layout("1  17.5  0.3").headerless, Some(3));
        assert!(layout("1  17.5  0.3").whitespace);
    }
}
