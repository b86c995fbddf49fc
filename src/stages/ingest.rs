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
            let sep = match delimiter {
                Some(d) => *d,
                None => sniff_delimiter(path)?,
            };
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(10_000))
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

/// Picks the delimiter that occurs most often in the header line (`,` `;` tab `|`),
/// looking inside gzip files.
fn sniff_delimiter(path: &Path) -> Result<u8> {
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
    let count = |c: u8| line.iter().filter(|&&b| b == c).count();
    let best = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|&c| (count(c), c == b','))
        .unwrap_or(b',');
    Ok(if count(best) == 0 { b',' } else { best })
}
