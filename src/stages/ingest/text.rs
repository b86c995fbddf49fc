//! Text inputs: CSV/TSV with a sniffed or given delimiter, files whose columns are separated
//! by runs of spaces or tabs, files without a header line; the id column read as text so
//! that ids come out exactly as they went in.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;

use crate::config::{Format, InputPlan};
use crate::data_err;
use crate::error::{Error, Result};
use crate::numbers::{self, Decimal, Reading};

/// Reads a text input; `id` is the id column's name in the file, read as text. Text
/// columns of dates and of numbers as people write them are typed.
pub(super) fn read(
    input: &InputPlan,
    id: Option<&str>,
    n_rows: Option<usize>,
) -> Result<DataFrame> {
    let df = read_columns(input, id, n_rows)?;
    type_text(df, input, id)
}

/// The text columns of an input typed: dates and numbers as people write them (see
/// [`read_dates`], [`read_numbers`]); `id`, and the text columns of invoice lines, stay text.
pub(super) fn type_text(
    mut df: DataFrame,
    input: &InputPlan,
    id: Option<&str>,
) -> Result<DataFrame> {
    let mut keep: Vec<&str> = id.into_iter().collect();
    if let crate::config::InputKind::Transactions(tx) = &input.kind {
        // Typed by the transactions' own rules, which refuse what they cannot decide.
        keep.push(input.original_name(&tx.date));
    }
    read_dates(&mut df, &keep)?;
    read_numbers(&mut df, &always_text(input, id), input)?;
    Ok(df)
}

/// The columns that stay text whatever they hold (as named in the input): the id, and the
/// invoices, products, categories and countries (and the date, typed by its own rules) of
/// invoice lines.
fn always_text<'a>(input: &'a InputPlan, id: Option<&'a str>) -> Vec<&'a str> {
    let mut texts: Vec<&str> = id.into_iter().collect();
    if let crate::config::InputKind::Transactions(tx) = &input.kind {
        let numbers = [&tx.quantity, &tx.price, &tx.amount];
        texts.extend(
            tx.all()
                .into_iter()
                .filter(|c| !numbers.into_iter().any(|n| n.as_deref() == Some(*c)))
                .map(|c| input.original_name(c)),
        );
    }
    texts
}

/// The text columns of rows a database stored as text (`text`, `varchar`): typed as a text
/// file's are, and plain numbers (`6`, `2.55`) as polars types them in a file.
pub(super) fn type_stored_text(
    df: DataFrame,
    input: &InputPlan,
    id: Option<&str>,
) -> Result<DataFrame> {
    let mut df = type_text(df, input, id)?;
    for name in text_columns(&df, &always_text(input, id)) {
        plain_numbers(&mut df, &name)?;
    }
    Ok(df)
}

/// A text column whose every value is a plain number becomes numbers as polars types a
/// file's: whole numbers as integers, others as floats; any other column stays as it is.
fn plain_numbers(df: &mut DataFrame, name: &str) -> Result<()> {
    let col = df.column(name)?.as_materialized_series().clone();
    let filled: Vec<&str> = col
        .str()?
        .iter()
        .flatten()
        .filter(|v| !v.trim().is_empty())
        .collect();
    if filled.is_empty() || !filled.iter().all(|v| numbers::is_plain(v)) {
        return Ok(());
    }
    let dtype = match filled.iter().all(|v| numbers::is_whole(v)) {
        true => DataType::Int64,
        false => DataType::Float64,
    };
    if let Ok(typed) = col
        .str()?
        .apply_values(|v| v.trim().into())
        .into_series()
        .strict_cast(&dtype)
    {
        df.replace(name, typed.into())?;
    }
    Ok(())
}

/// The columns of a text input as polars reads them (every one as text with a decimal
/// comma), named.
fn read_columns(input: &InputPlan, id: Option<&str>, n_rows: Option<usize>) -> Result<DataFrame> {
    let path = &input.path;
    // The header line is read once: for the delimiter, the names and the messages.
    let (bytes, header, sep) = match input.format {
        Format::Whitespace => {
            // Only as many lines as will be read (a sample reads the first thousand).
            let lines = n_rows.map(|n| n + 1);
            let b = whitespace_to_tabs(&mut open(path)?, path, lines)?;
            let header = b.split(|&c| c == b'\n').next().unwrap_or_default().to_vec();
            (Some(b), header, b'\t')
        }
        Format::Csv { delimiter } => {
            let header = header_line(path)?;
            let sep = delimiter.unwrap_or_else(|| sniff_delimiter(&header));
            (None, header, sep)
        }
        Format::Parquet | Format::Sheet { .. } => {
            return Err(Error::Internal("a typed input read as text".into()))
        }
    };
    // The names as polars gives them: column_1.. without a header; a byte-order mark stays on
    // the first name until ingest strips it.
    let names: Vec<String> = match &input.names {
        Some(names) => (1..=names.len()).map(|i| format!("column_{i}")).collect(),
        None => header_names(&header, sep),
    };
    let position = id.and_then(|id| match &input.names {
        Some(given) => given.iter().position(|n| n == id),
        None => names
            .iter()
            .position(|n| n.trim_start_matches('\u{feff}') == id),
    });
    // Read as text: the id (as written), and any column whose type the first 10,000 lines
    // decided but a later value does not fit (`$1,234.50` after plain amounts), then typed
    // from all of its values (`read_numbers`, `read_dates`) like any text column.
    let mut as_text: Vec<String> = position.map(|i| names[i].clone()).into_iter().collect();
    // With a decimal comma every column is read as text and typed here: polars would read
    // `1.234` (one thousand two hundred and thirty-four) as a fraction.
    let infer = match input.decimal {
        Some(Decimal::Comma) => 0,
        _ => 10_000,
    };
    let mut df = loop {
        let read = read_once(input, bytes.as_deref(), sep, (n_rows, infer), &as_text);
        match read {
            Ok(df) => break df,
            Err(e) => match late_column(&e).filter(|c| names.contains(c) && !as_text.contains(c)) {
                Some(column) => as_text.push(column),
                None => return Err(unreadable(input, &header, &e)),
            },
        }
    };
    let late = &as_text[usize::from(position.is_some())..];
    retype_late(&mut df, late, input)?;
    if matches!(input.format, Format::Csv { .. }) && df.width() == 1 {
        // One column whose name is a whole line of space-separated words.
        if let Some(hint) = whitespace_hint(&header, path) {
            return Err(data_err!("cannot read {} as CSV: {hint}", path.display()));
        }
    }
    if let Some(given) = &input.names {
        name_columns(&mut df, given, path)?;
    }
    Ok(df)
}

/// One read of a text input, the columns `as_text` read as text; `rows`: the rows to read
/// and the rows polars infers the other columns' types from.
fn read_once(
    input: &InputPlan,
    bytes: Option<&[u8]>,
    sep: u8,
    (n_rows, infer): (Option<usize>, usize),
    as_text: &[String],
) -> PolarsResult<DataFrame> {
    let overwrite = (!as_text.is_empty()).then(|| {
        let fields = as_text
            .iter()
            .map(|n| Field::new(n.as_str().into(), DataType::String));
        Arc::new(Schema::from_iter(fields))
    });
    let options = CsvReadOptions::default()
        .with_has_header(input.names.is_none())
        .with_infer_schema_length(Some(infer))
        .with_schema_overwrite(overwrite)
        .with_n_rows(n_rows)
        .map_parse_options(|p| p.with_separator(sep));
    match bytes {
        Some(b) => options
            .into_reader_with_file_handle(Cursor::new(b))
            .finish(),
        None => options
            .try_into_reader_with_file_path(Some(input.path.clone()))
            .and_then(|r| r.finish()),
    }
}

/// The names of the text columns of `df` but `keep`.
fn text_columns(df: &DataFrame, keep: &[&str]) -> Vec<String> {
    df.columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String && !keep.contains(&c.name().as_str()))
        .map(|c| c.name().to_string())
        .collect()
}

/// Text columns (but `keep`) that hold numbers as people write them (see
/// [`crate::numbers`]) become numbers: whole numbers stay whole; a column that is numbers but
/// for a value, or whose decimal mark only `input.decimal` can decide, is refused with the
/// line, the value and the key.
fn read_numbers(df: &mut DataFrame, keep: &[&str], input: &InputPlan) -> Result<()> {
    let names = text_columns(df, keep);
    let path = input.path.display();
    for name in names {
        let text = df.column(&name)?.as_materialized_series().clone();
        let ca = text.str()?;
        if !numbers::may_be_numbers(ca.iter().flatten().take(1000)) {
            continue;
        }
        if input.decimal == Some(Decimal::Comma) && ca.iter().flatten().all(numbers::is_whole) {
            if let Ok(ints) = text.strict_cast(&DataType::Int64) {
                df.replace(&name, ints.into())?;
                continue;
            }
        }
        // In the order of the file: the value a message shows is the first such.
        let unique = text.unique_stable()?;
        let decimal = match numbers::decide(unique.str()?.iter().flatten(), input.decimal) {
            Reading::Text => continue,
            Reading::Numbers(d) => d,
            Reading::Bad(v) => {
                let row = ca.iter().position(|x| x == Some(v.as_str())).unwrap_or(0);
                return Err(not_a_number(input, row, &name, &v));
            }
            other => {
                let why = numbers::refusal(&name, &other).unwrap_or_default();
                return Err(data_err!("cannot read {path}: {why}"));
            }
        };
        let typed = numbers::parse_column(ca, decimal)
            .map_err(|(row, v)| not_a_number(input, row, &name, &v))?;
        df.replace(&name, typed.into_series().into())?;
    }
    Ok(())
}

/// "line 12, column `Betrag`: `n/a` is not a number" (the line as the file numbers it when
/// no value spans lines).
fn not_a_number(input: &InputPlan, row: usize, column: &str, value: &str) -> Error {
    let line = match input.postgres {
        Some(_) => format!("row {}", row + 1),
        None => format!("line {}", row + if input.names.is_some() { 1 } else { 2 }),
    };
    let mark = match input.decimal {
        Some(d) => format!(" with input.decimal `{}`", d.mark()),
        None => String::new(),
    };
    data_err!(
        "cannot read {}: {line}, column `{column}`: `{value}` is not a number{mark}, and the column holds numbers: correct that value, or clear it to leave the cell empty",
        input.origin()
    )
}

/// Text columns (but `keep`) whose every value is a date in one format its values decide
/// become dates (a time of day in the format: datetimes); a column whose values could be
/// read two ways, or are not all dates, stays text.
fn read_dates(df: &mut DataFrame, keep: &[&str]) -> Result<()> {
    let names = text_columns(df, keep);
    for name in names {
        let text = df.column(&name)?.as_materialized_series().clone();
        let first = text.str()?.iter().flatten().find(|v| !v.trim().is_empty());
        if !first.is_some_and(crate::dates::could_be_date) {
            continue;
        }
        let unique = text.unique()?;
        let Ok(Some(format)) = crate::dates::decide(unique.str()?.iter().flatten()) else {
            continue;
        };
        let Ok(ms) = crate::dates::parse_column(text.str()?, &format) else {
            continue; // cannot happen: every distinct value fitted the format
        };
        let typed = if crate::dates::has_time(&format) {
            (ms * 1000)
                .into_datetime(TimeUnit::Microseconds, None)
                .into_series()
        } else {
            (ms / 86_400_000)
                .cast(&DataType::Int32)?
                .cast(&DataType::Date)?
        };
        df.replace(&name, typed.with_name(name.as_str().into()).into())?;
    }
    Ok(())
}

/// What the first `n_rows` of a text input, every column read as text, say about its
/// decimal mark (what `segflow init` proposes `input.decimal` from).
pub(super) fn decimal_evidence(input: &InputPlan, n_rows: usize) -> Result<numbers::Evidence> {
    let as_text = InputPlan {
        decimal: Some(Decimal::Comma), // reads every column as text
        kind: crate::config::InputKind::Customers,
        ..input.clone()
    };
    let df = read_columns(&as_text, None, Some(n_rows))?;
    let mut evidence = numbers::Evidence::default();
    for c in df.columns() {
        if let Ok(text) = c.str() {
            let values: Vec<&str> = text.iter().flatten().collect();
            evidence.add(c.name(), &values);
        }
    }
    Ok(evidence)
}

/// Names the columns of a file without a header line.
fn name_columns(df: &mut DataFrame, given: &[String], path: &Path) -> Result<()> {
    if df.width() != given.len() {
        return Err(data_err!(
            "input.names lists {} names but the lines of {} have {} fields",
            given.len(),
            path.display(),
            df.width()
        ));
    }
    df.set_column_names(given)?;
    Ok(())
}

/// Why polars could not read the file, in the user's terms, with a hint when the file looks
/// separated by spaces or has no header line.
fn unreadable(input: &InputPlan, header: &[u8], e: &PolarsError) -> Error {
    let path = &input.path;
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let hint = match input.format {
        Format::Csv { .. } => whitespace_hint(header, path),
        _ => None,
    };
    match hint {
        Some(hint) => data_err!("cannot read {} as CSV: {hint}", path.display()),
        None if first.starts_with("could not parse") => {
            data_err!(
                "cannot read {} as CSV: {}",
                path.display(),
                late_value(first)
            )
        }
        None if first.contains("found more fields than defined in 'Schema'") => data_err!(
            "cannot read {} as CSV: a line has more fields than the header line",
            path.display()
        ),
        None => data_err!("cannot read {} as CSV: {first}", path.display()),
    }
}

/// Columns read as text for a value further down than polars looked: numbers in their
/// first 10,000 lines. A value that is no number in any way written is an error naming its
/// line; rows that hold only plain numbers (a sample that stops before that value) are typed
/// as polars types them; the rest is typed from all its values by [`read_numbers`].
fn retype_late(df: &mut DataFrame, columns: &[String], input: &InputPlan) -> Result<()> {
    for name in columns {
        let col = df.column(name)?.as_materialized_series().clone();
        let values = col.str()?;
        let no_number = |v: &str| {
            !v.trim().is_empty()
                && numbers::parse(v, Decimal::Point).is_none()
                && numbers::parse(v, Decimal::Comma).is_none()
        };
        if let Some((row, v)) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.filter(|v| no_number(v)).map(|v| (i, v)))
        {
            return Err(not_a_number(input, row, name, v));
        }
        plain_numbers(df, name)?;
    }
    Ok(())
}

/// The column of polars' "could not parse `abc` as dtype `i64` at column 'a' (column
/// number 2)": its type came from the first lines, and a later value does not fit it.
fn late_column(e: &PolarsError) -> Option<String> {
    let text = e.to_string();
    let first = text.lines().next()?;
    if !first.starts_with("could not parse") {
        return None;
    }
    late_column_of(e)
}

/// The column of a "could not parse" error anywhere in a message (a streaming sink wraps it).
pub(crate) fn late_column_of(e: &PolarsError) -> Option<String> {
    let text = e.to_string();
    let line = text.lines().find(|l| l.contains("could not parse"))?;
    let column = line.split(" at column '").nth(1)?;
    Some(column.rsplit_once("' (column number")?.0.to_string())
}

/// A reader's "could not parse" error in words (see [`late_value`]); `None` for another.
pub(crate) fn late_value_of(e: &PolarsError) -> Option<String> {
    let text = e.to_string();
    let first = text.lines().find(|l| l.contains("could not parse"))?;
    Some(late_value(&first[first.find("could not parse")?..]))
}

/// polars' "could not parse `abc` as dtype `i64` at column 'a' (column number 2)" in words:
/// the column's type was inferred from the first lines, and a later one does not fit it.
fn late_value(message: &str) -> String {
    let ticked: Vec<&str> = message.split('`').collect();
    let column = message.split('\'').nth(1).unwrap_or_default();
    let (value, dtype) = (
        ticked.get(1).copied().unwrap_or_default(),
        ticked.get(3).copied().unwrap_or_default(),
    );
    let kind = match dtype {
        t if t.starts_with('i') || t.starts_with('u') => "whole numbers",
        t if t.starts_with('f') => "decimal numbers",
        t if t.starts_with("datetime") => "dates with times",
        "date" => "dates",
        "bool" => "true/false values",
        _ => "values of one kind",
    };
    format!(
        "column `{column}` holds {kind} in its first 10,000 lines but `{value}` further down: correct that value, or clear it to leave the cell empty"
    )
}

/// "line 1 has 4 fields separated by spaces, the header has 1: try `delimiter: whitespace`".
fn whitespace_hint(header: &[u8], path: &Path) -> Option<String> {
    let line = String::from_utf8_lossy(header);
    let by_space = line.split_whitespace().count();
    let sep = sniff_delimiter(header);
    let by_sep = line.split(sep as char).count();
    if by_sep > 1 || by_space < 2 {
        return None;
    }
    let looks_like_data = line.split_whitespace().all(|f| f.parse::<f64>().is_ok());
    let also = if looks_like_data {
        " (its first line looks like data: add `header: false` and `names: [...]` too)"
    } else {
        ""
    };
    Some(format!(
        "line 1 of {} has {by_space} fields separated by spaces, read as 1 column: try `delimiter: whitespace`{also}",
        path.display()
    ))
}

/// The whole file (inside a gzip file too).
fn open(path: &Path) -> Result<Box<dyn Read>> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// Runs of spaces and tabs become one tab; leading and trailing ones, and `\r`, go; blank
/// lines are skipped. With `max_lines`, stops after that many lines.
fn whitespace_to_tabs(
    reader: &mut dyn Read,
    path: &Path,
    max_lines: Option<usize>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut r = BufReader::new(reader);
    let mut kept = 0;
    while max_lines.is_none_or(|m| kept < m) {
        line.clear();
        let n = r
            .read_until(b'\n', &mut line)
            .map_err(|e| data_err!("cannot read {}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        let fields: Vec<&[u8]> = line
            .split(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .filter(|f| !f.is_empty())
            .collect();
        if fields.is_empty() {
            continue;
        }
        out.extend_from_slice(&fields.join(&b'\t'));
        out.push(b'\n');
        kept += 1;
    }
    Ok(out)
}

/// The first line of a CSV file (inside a gzip file too), at most 1 MiB of it.
pub(super) fn header_line(path: &Path) -> Result<Vec<u8>> {
    let mut line = Vec::new();
    BufReader::new(open(path)?.take(1 << 20))
        .read_until(b'\n', &mut line)
        .map_err(|e| data_err!("cannot read {}: {e}", path.display()))?;
    Ok(line)
}

/// The column names of a header line (quotes, a byte-order mark and the line end removed).
fn header_names(header: &[u8], sep: u8) -> Vec<String> {
    let text = String::from_utf8_lossy(header);
    let text = text
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    text.split(sep as char)
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect()
}

/// Picks the delimiter that occurs most often in the header line (`,` `;` tab `|`).
pub(super) fn sniff_delimiter(line: &[u8]) -> u8 {
    let count = |c: u8| line.iter().filter(|&&b| b == c).count();
    let best = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&c| (count(c), c == b','))
        .unwrap_or(b',');
    if count(best) == 0 {
        b','
    } else {
        best
    }
}

/// Ids come out exactly as they went in: read as text, they become integers only when every
/// one is written as a plain integer (no sign but `-`, no leading zero, within 64 bits), or
/// as an integer with a zero fraction (`17850.0`, as spreadsheets export them), which is
/// read as `17850`. Anything else (`0001`, a 20-digit number, `C-17`) stays text.
pub(super) fn keep_ids(df: &mut DataFrame, name: &str) -> Result<()> {
    let mut col = df.column(name)?.as_materialized_series().clone();
    let Ok(text) = col.str() else {
        return Ok(());
    };
    // A blank id (`""` in a file that quotes every field, or spaces) is a missing one.
    if text.iter().flatten().any(|v| v.trim().is_empty()) {
        let blank_free: StringChunked = text
            .iter()
            .map(|v| v.filter(|v| !v.trim().is_empty()))
            .collect();
        col = blank_free.with_name(name.into()).into_series();
        df.replace(name, col.clone().into())?;
    }
    let text = col.str()?;
    // One pass: are they all plain integers, and is any written with a zero fraction?
    let mut fraction = false;
    for v in text.iter().flatten() {
        if plain_integer(v).is_none() {
            return Ok(());
        }
        fraction |= v.contains('.');
    }
    if !fraction {
        // A cast keeps the reader's chunks (and so the artifacts' bytes) as inferring did.
        let ints = col.strict_cast(&DataType::Int64)?;
        df.replace(name, ints.into())?;
        return Ok(());
    }
    let ints: Vec<Option<i64>> = text.iter().map(|v| v.and_then(plain_integer)).collect();
    df.replace(name, Column::new(name.into(), ints))?;
    Ok(())
}

/// `v` as an integer if it is written as a plain one (`-12`, `0`, `17850`, `17850.0`).
pub(crate) fn plain_integer(v: &str) -> Option<i64> {
    let int = match v.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        Some(_) => return None,
        None => v,
    };
    let digits = int.strip_prefix('-').unwrap_or(int);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && int != "-0";
    canonical.then(|| int.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_integers_only_when_written_as_plain_integers() {
        assert_eq!(plain_integer("17850"), Some(17850));
        assert_eq!(plain_integer("17850.0"), Some(17850));
        assert_eq!(plain_integer("-3"), Some(-3));
        assert_eq!(plain_integer("0"), Some(0));
        for text in [
            "0001",
            "00",
            "-0",
            "+5",
            "1.5",
            "1.",
            " 7",
            "12345678901234567890",
            "C17",
            "",
        ] {
            assert_eq!(plain_integer(text), None, "{text}");
        }
        let mut df = df!("id" => [Some("0001"), Some("2"), None]).unwrap();
        keep_ids(&mut df, "id").unwrap();
        assert_eq!(df.column("id").unwrap().dtype(), &DataType::String);
        let mut df = df!("id" => [Some("1"), Some("17850.0"), None]).unwrap();
        keep_ids(&mut df, "id").unwrap();
        let ids: Vec<Option<i64>> = df.column("id").unwrap().i64().unwrap().iter().collect();
        assert_eq!(ids, [Some(1), Some(17850), None]);
    }

    #[test]
    fn header_names_and_delimiters() {
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
        assert_eq!(header_names(b"\xef\xbb\xbf\"id\",x\r\n", b','), ["id", "x"]);
    }
}
