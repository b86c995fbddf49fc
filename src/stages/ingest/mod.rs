//! Stage 1, ingest: reads CSV/TSV or Parquet, applies the renames and makes sure every row
//! has a unique, non-missing customer id (an `row_id` numbered from 1 when none is named).

mod sheet;
mod text;

pub use sheet::sheet_names;
pub(crate) use text::plain_integer;
pub(crate) use text::{late_column_of as late_column, late_value_of as late_value};

use std::fs::File;
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

/// The first `n` rows of the input after renames, unchecked (what `segflow init` profiles).
pub fn head(input: &InputPlan, n: usize) -> Result<DataFrame> {
    read_raw(input, Some(n))
}

/// The first line of a text input (inside a gzip file too), at most 1 MiB of it.
pub fn first_line(path: &Path) -> Result<Vec<u8>> {
    check_file(path)?;
    text::header_line(path)
}

/// What the first `n` rows of a text input say about its decimal mark.
pub fn decimal_evidence(input: &InputPlan, n: usize) -> Result<crate::numbers::Evidence> {
    check_file(&input.path)?;
    text::decimal_evidence(input, n)
}

/// The delimiter of a text file with this first line: the most frequent of `,` `;` tab `|`.
pub fn sniff_delimiter(first_line: &[u8]) -> u8 {
    text::sniff_delimiter(first_line)
}

/// Reads the whole input, applies renames and checks the id column. A fault polars finds in
/// the file is the file's problem (exit 2), said with the file's name.
pub fn run(input: &InputPlan) -> Result<DataFrame> {
    read_all(input).map_err(|e| match e {
        Error::Polars(p) => data_err!(
            "cannot read {}: {}",
            input.path.display(),
            p.to_string().lines().next().unwrap_or_default()
        ),
        other => other,
    })
}

fn read_all(input: &InputPlan) -> Result<DataFrame> {
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
            let df = ParquetReader::new(file)
                .with_slice(n_rows.map(|n| (0, n)))
                .finish()
                .map_err(|e| data_err!("cannot read {} as Parquet: {e}", path.display()))?;
            match input.postgres {
                // A table's `text` columns hold what a CSV would: typed the same way.
                Some(_) => text::type_stored_text(df, input, original_id(input))?,
                None => df,
            }
        }
        Format::Csv { .. } | Format::Whitespace => text::read(input, original_id(input), n_rows)?,
        Format::Sheet { sheet } => {
            let df = sheet::read(input, sheet.as_deref(), n_rows)?;
            text::type_text(df, input, original_id(input))?
        }
    };
    strip_bom(&mut df)?;
    // A text file's ids were read as text; a Parquet file's keep the type they were stored with.
    let is_text = input.format != Format::Parquet;
    if let Some(id) = original_id(input).filter(|id| is_text && df.column(id).is_ok()) {
        text::keep_ids(&mut df, id)?;
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
        return Err(missing_ids(id, nulls));
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
        return Err(duplicated_ids(id, df.height() - unique, &shown));
    }
    Ok(())
}

/// The error for ids missing in `n` rows (the local and the Spark engine say the same).
pub fn missing_ids(id: &str, n: usize) -> Error {
    data_err!("the id column `{id}` is empty in {n} row(s): every customer needs an id")
}

/// The error for `n` duplicated ids, with a few of them.
pub fn duplicated_ids(id: &str, n: usize, examples: &[String]) -> Error {
    data_err!(
        "the id column `{id}` has {n} duplicated value(s), e.g. {}: ids must be unique",
        examples.join(", ")
    )
}

/// The customer id column's name in the file (before renames), if the plan names one.
pub fn original_id(input: &InputPlan) -> Option<&str> {
    let id = match &input.kind {
        InputKind::Transactions(tx) => tx.customer.as_str(),
        InputKind::Customers => input.id.as_deref()?,
    };
    Some(input.original_name(id))
}
