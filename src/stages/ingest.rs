//! Stage 1, ingest: reads CSV/TSV or Parquet, applies the renames and makes sure every row
//! has a unique, non-missing customer id (an `row_id` numbered from 1 when none is named).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;

use crate::config::{Format, InputKind, InputPlan, ROW_ID};
use crate::data_err;
use crate::error::{Error, Result};

/// Columns and types of the input after renames, from a sample of its first rows.
pub fn schema(input: &InputPlan) -> Result<Schema> {
    Ok(sample(input)?.schema().as_ref().clone())
}

/// Rows read to check the plan against the data before running.
pub const SAMPLE_ROWS: usize = 1000;

/// The first rows of the input after renames (an error when it has no data rows).
pub fn sample(input: &InputPlan) -> Result<DataFrame> {
    let df = read_raw(input, Some(SAMPLE_ROWS))?;
    if df.height() == 0 {
        return Err(data_err!(
            "{} has a header but no data rows",
            input.path.display()
        ));
    }
    Ok(df)
}

/// Reads the whole input, applies renames and checks the id column.
pub fn run(input: &InputPlan) -> Result<DataFrame> {
    let mut df = read_raw(input, None)?;
    if df.height() == 0 {
        return Err(data_err!(
            "{} has a header but no data rows",
            input.path.display()
        ));
    }
    if let InputKind::Transactions(tx) = &input.kind {
        return crate::transactions::lines::type_lines(df, tx);
    }
    match &input.id {
        Some(id) => check_id(&df, id)?,
        None => {
            let ids: Vec<u32> = (1..=df.height() as u32).collect();
            df.insert_column(0, Column::new(ROW_ID.into(), ids))?;
        }
    }
    Ok(df)
}

/// Whether `df`, what [`run`] made of the input, is the input file's data unchanged: a
/// Parquet file with nothing renamed, added or retyped. The ingest artifact is then a copy of
/// the file (same data, no second encoding).
pub fn is_input_unchanged(input: &InputPlan, df: &DataFrame) -> Result<bool> {
    if input.format != Format::Parquet || !input.rename.is_empty() {
        return Ok(false);
    }
    let path = &input.path;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let head = ParquetReader::new(file)
        .with_slice(Some((0, 0)))
        .finish()
        .map_err(|e| data_err!("cannot read {} as Parquet: {e}", path.display()))?;
    Ok(head.schema() == df.schema())
}

fn check_file(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| data_err!("cannot read input {}: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(data_err!(
            "input {} is a directory: input.path must name a file",
            path.display()
        ));
    }
    if meta.len() == 0 {
        return Err(data_err!("input {} is empty (0 bytes)", path.display()));
    }
    Ok(())
}

fn read_raw(input: &InputPlan, n_rows: Option<usize>) -> Result<DataFrame> {
    let path = &input.path;
    check_file(path)?;
    let mut df = match &input.format {
        Format::Parquet => {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            ParquetReader::new(file)
                .with_slice(n_rows.map(|n| (0, n)))
                .finish()
                .map_err(|e| data_err!("cannot read {} as Parquet: {e}", path.display()))?
        }
        Format::Csv { delimiter } => {
            let header = header_line(path)?;
            let sep = match delimiter {
                Some(d) => *d,
                None => sniff_delimiter(&header),
            };
            // The id column is read as text, so that `0001` stays `0001` (see `keep_ids`).
            let names = header_names(&header, sep);
            // As polars names it: a byte-order mark stays on the first name until strip_bom.
            let as_read = |i: usize, n: &str| match i {
                0 if header.starts_with("\u{feff}".as_bytes()) => format!("\u{feff}{n}"),
                _ => n.to_string(),
            };
            let id_as_read = original_id(input)
                .and_then(|id| names.iter().position(|n| n == id))
                .map(|i| as_read(i, &names[i]));
            let overwrite = id_as_read
                .as_deref()
                .map(|id| Arc::new(Schema::from_iter([Field::new(id.into(), DataType::String)])));
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(10_000))
                .with_schema_overwrite(overwrite)
                .with_n_rows(n_rows)
                .map_parse_options(|p| p.with_separator(sep).with_try_parse_dates(true))
                .try_into_reader_with_file_path(Some(path.into()))
                .and_then(|r| r.finish())
                .map_err(|e| {
                    data_err!("cannot read {} as CSV: {}", path.display(), first_line(&e))
                })?
        }
    };
    strip_bom(&mut df)?;
    // A CSV's ids were read as text; a Parquet file's keep the type they were stored with.
    let is_csv = matches!(input.format, Format::Csv { .. });
    if let Some(id) = original_id(input).filter(|id| is_csv && df.column(id).is_ok()) {
        keep_ids(&mut df, id)?;
    }
    rename(&mut df, input)?;
    Ok(df)
}

/// A UTF-8 byte-order mark at the start of a CSV ends up in the first column's name.
fn strip_bom(df: &mut DataFrame) -> Result<()> {
    let first = df.get_column_names().first().map(|s| s.to_string());
    if let Some(name) = first.filter(|n| n.starts_with('\u{feff}')) {
        let clean = name.trim_start_matches('\u{feff}').to_string();
        df.rename(&name, clean.as_str().into())?;
    }
    Ok(())
}

fn first_line(e: &PolarsError) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().to_string()
}

fn rename(df: &mut DataFrame, input: &InputPlan) -> Result<()> {
    for (from, to) in &input.rename {
        if df.column(from).is_err() {
            return Err(data_err!(
                "input.rename: column `{from}` is not in {}. The columns are: {}",
                input.path.display(),
                crate::frame::column_list(df)
            ));
        }
        if from != to && df.column(to).is_ok() {
            return Err(data_err!(
                "input.rename: cannot rename `{from}` to `{to}`: a column `{to}` already exists"
            ));
        }
        df.rename(from, to.as_str().into())?;
    }
    Ok(())
}

fn check_id(df: &DataFrame, id: &str) -> Result<()> {
    let col = df.column(id)?;
    let nulls = col.null_count();
    if nulls > 0 {
        return Err(data_err!(
            "the id column `{id}` is empty in {nulls} row(s): every customer needs an id"
        ));
    }
    let unique = col.n_unique()?;
    if unique != df.height() {
        let s = col.as_materialized_series().cast(&DataType::String)?;
        let mut counts: std::collections::HashMap<&str, usize> = Default::default();
        let mut shown: Vec<String> = Vec::new();
        for v in s.str()?.iter().flatten() {
            let c = counts.entry(v).or_default();
            *c += 1;
            if *c == 2 && shown.len() < 5 {
                shown.push(v.to_string());
            }
        }
        return Err(data_err!(
            "the id column `{id}` has {} duplicated value(s), e.g. {}: ids must be unique",
            df.height() - unique,
            shown.join(", ")
        ));
    }
    Ok(())
}

/// The first line of a CSV file (inside a gzip file too), at most 1 MiB of it.
fn header_line(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut line = Vec::new();
    BufReader::new(reader.take(1 << 20))
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
fn sniff_delimiter(line: &[u8]) -> u8 {
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

/// The customer id column's name in the file (before renames), if the plan names one.
fn original_id(input: &InputPlan) -> Option<&str> {
    let id = match &input.kind {
        InputKind::Transactions(tx) => tx.customer.as_str(),
        InputKind::Customers => input.id.as_deref()?,
    };
    let renamed_from = input.rename.iter().find(|(_, to)| to == id);
    Some(renamed_from.map_or(id, |(from, _)| from.as_str()))
}

/// Ids come out exactly as they went in: read as text, they become integers only when every
/// one is written as a plain integer (no sign but `-`, no leading zero, within 64 bits), or
/// as an integer with a zero fraction (`17850.0`, as spreadsheets export them), which is
/// read as `17850`. Anything else (`0001`, a 20-digit number, `C-17`) stays text.
pub fn keep_ids(df: &mut DataFrame, name: &str) -> Result<()> {
    let col = df.column(name)?.as_materialized_series().clone();
    let Ok(text) = col.str() else {
        return Ok(());
    };
    let parsed: Option<Vec<Option<i64>>> = text
        .iter()
        .map(|v| match v {
            None => Some(None),
            Some(v) => plain_integer(v).map(Some),
        })
        .collect();
    if let Some(ints) = parsed {
        df.replace(name, Column::new(name.into(), ints))?;
    }
    Ok(())
}

/// `v` as an integer if it is written as a plain one (`-12`, `0`, `17850`, `17850.0`).
fn plain_integer(v: &str) -> Option<i64> {
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
