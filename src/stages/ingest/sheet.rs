//! Spreadsheets (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) through calamine: one sheet
//! (`input.sheet`, default the first), its first row the column names (or `input.names`
//! with `header: false`), each column typed from its cells: whole numbers, numbers, dates
//! (a date cell at midnight everywhere: dates; else date-times), yes/no, else text with
//! numbers and dates written as the sheet shows them. An error cell (`#N/A`) stops the read
//! naming its cell.

use calamine::{open_workbook_auto, Data, Range, Reader};
use polars::prelude::*;

use crate::config::InputPlan;
use crate::data_err;
use crate::error::Result;

/// The sheets of a workbook, in order.
pub fn sheet_names(input: &InputPlan) -> Result<Vec<String>> {
    let book = open_workbook_auto(&input.path)
        .map_err(|e| data_err!("cannot read {} as a spreadsheet: {e}", input.path.display()))?;
    Ok(book.sheet_names())
}

/// The sheet `input.sheet` (default the first) as a frame, at most `n_rows` data rows.
pub(super) fn read(
    input: &InputPlan,
    sheet: Option<&str>,
    n_rows: Option<usize>,
) -> Result<DataFrame> {
    let path = input.path.display();
    let mut book = open_workbook_auto(&input.path)
        .map_err(|e| data_err!("cannot read {path} as a spreadsheet: {e}"))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(data_err!(
                "input.sheet: {path} has no sheet `{s}`; its sheets are: {}",
                quoted(&names)
            ))
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| data_err!("{path} has no sheet"))?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| data_err!("cannot read sheet `{name}` of {path}: {e}"))?;
    frame(input, &name, &range, n_rows)
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cells of `range` as columns: names from the first row unless `input.names` gives them.
fn frame(
    input: &InputPlan,
    sheet: &str,
    range: &Range<Data>,
    n_rows: Option<usize>,
) -> Result<DataFrame> {
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let names: Vec<String> = match &input.names {
        Some(given) => given.clone(),
        None => match rows.next() {
            Some(header) => header
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Data::Empty => format!("column_{}", i + 1),
                    other => other.to_string().trim().to_string(),
                })
                .collect(),
            None => {
                return Err(data_err!(
                    "sheet `{sheet}` of {} is empty",
                    input.path.display()
                ))
            }
        },
    };
    let first_data = top as usize + usize::from(input.names.is_none());
    let data: Vec<&[Data]> = rows.take(n_rows.unwrap_or(usize::MAX)).collect();
    let width = range.width();
    if input.names.is_some() && names.len() != width {
        return Err(data_err!(
            "input.names lists {} names but sheet `{sheet}` of {} has {width} columns",
            names.len(),
            input.path.display()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut columns = Vec::with_capacity(width);
    for (j, name) in names.iter().enumerate() {
        if !seen.insert(name.as_str()) {
            return Err(data_err!(
                "sheet `{sheet}` of {} has two columns named `{name}`: rename one in the sheet",
                input.path.display()
            ));
        }
        let cells: Vec<&Data> = data
            .iter()
            .map(|r| r.get(j).unwrap_or(&Data::Empty))
            .collect();
        if let Some(i) = cells.iter().position(|c| matches!(c, Data::Error(_))) {
            return Err(data_err!(
                "sheet `{sheet}` of {}, cell {}: `{}` is an error value of the sheet: correct or clear it",
                input.path.display(),
                cell_name(first_data + i, left as usize + j),
                cells[i]
            ));
        }
        columns.push(column(name, &cells));
    }
    Ok(DataFrame::new(data.len(), columns)?)
}

/// `B12`: the cell at a zero-based row and column.
fn cell_name(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let r = (n - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// One column, typed by what its non-empty cells all are.
fn column(name: &str, cells: &[&Data]) -> Column {
    let present: Vec<&Data> = cells.iter().copied().filter(|c| !is_blank(c)).collect();
    let all = |f: fn(&Data) -> bool| !present.is_empty() && present.iter().all(|c| f(c));
    let name = PlSmallStr::from(name);
    if all(|c| {
        matches!(c, Data::Int(_))
            || matches!(c, Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15)
    }) {
        let v: Vec<Option<i64>> = cells
            .iter()
            .map(|c| match c {
                Data::Int(i) => Some(*i),
                other => number(other).map(|f| f as i64),
            })
            .collect();
        return Column::new(name, v);
    }
    if all(|c| matches!(c, Data::Int(_) | Data::Float(_))) {
        let v: Vec<Option<f64>> = cells.iter().map(|c| number(c)).collect();
        return Column::new(name, v);
    }
    if all(|c| matches!(c, Data::DateTime(d) if d.is_datetime())) {
        let ms: Vec<Option<i64>> = cells.iter().map(|c| date_ms(c)).collect();
        let midnight = ms.iter().flatten().all(|m| m.rem_euclid(86_400_000) == 0);
        let ca = Int64Chunked::from_iter_options(name, ms.into_iter());
        return if midnight {
            (ca / 86_400_000)
                .cast(&DataType::Int32)
                .and_then(|s| s.cast(&DataType::Date))
                .map(Column::from)
                .unwrap_or_else(|_| Column::full_null("".into(), cells.len(), &DataType::Date))
        } else {
            ca.into_datetime(TimeUnit::Milliseconds, None).into_column()
        };
    }
    if all(|c| matches!(c, Data::Bool(_))) {
        let v: Vec<Option<bool>> = cells
            .iter()
            .map(|c| match c {
                Data::Bool(b) => Some(*b),
                _ => None,
            })
            .collect();
        return Column::new(name, v);
    }
    let v: Vec<Option<String>> = cells.iter().map(|c| text(c)).collect();
    Column::new(name, v)
}

fn is_blank(c: &Data) -> bool {
    match c {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn number(c: &Data) -> Option<f64> {
    match c {
        Data::Int(i) => Some(*i as f64),
        Data::Float(f) => Some(*f),
        _ => None,
    }
}

/// A date cell as milliseconds since 1970 (to the millisecond the sheet stores).
fn date_ms(c: &Data) -> Option<i64> {
    match c {
        Data::DateTime(d) => Some(((d.as_f64() - 25569.0) * 86_400_000.0).round() as i64),
        _ => None,
    }
}

/// A cell as text: strings as written, whole numbers without `.0`, dates in ISO form.
fn text(c: &Data) -> Option<String> {
    match c {
        _ if is_blank(c) => None,
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(format!("{}", *f as i64)),
        Data::DateTime(_) => date_ms(c).map(crate::dates::show),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_count_columns_in_letters() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(11, 1), "B12");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(4, 27), "AB5");
    }
}
