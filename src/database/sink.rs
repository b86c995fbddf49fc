//! The segments of a complete run written to a PostgreSQL table (`output.postgres`): every
//! column of `segments.parquet` (ids as written, segment, name, the features and, when the
//! run has them, the predictions) plus `run_name` and `run_at`, in one transaction.
//! `replace` copies the rows into a new table that then takes the old one's name, so a
//! reader sees the old table or the new one, never half of one, and a failed or killed write
//! leaves the old table as it was; `append` adds the rows (creating the table when missing).

use std::io::Write;

use polars::prelude::{lit, CsvWriter, DataFrame, DataType, IntoLazy, SerWriter};

use super::{connect, server_error};
use crate::config::{quote_ident, PgTarget, WriteMode};
use crate::error::{Error, Result};

/// The suffix of the table the rows go into before they take the target's name.
const NEW_SUFFIX: &str = "__segflow_new";

/// The time of a write as `run_at` holds it (UTC, microseconds).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S%.6f+00")
        .to_string()
}

/// What was written, for the run's summary.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Written {
    pub rows: usize,
    pub table: String,
    pub place: String,
    pub mode: WriteMode,
}

/// Writes `segments` (the run's `segments.parquet`) with the run's name and time.
pub fn write_segments(
    target: &PgTarget,
    segments: DataFrame,
    run_name: &str,
    run_at: &str,
) -> Result<Written> {
    let place = super::place(&target.url);
    let Rows {
        columns,
        names,
        rows,
        body,
    } = rows(segments, run_name, run_at)?;
    let mut client = connect(&target.url)?;
    let at = place.as_str();
    let fail = |what: &str| {
        let what = format!("{what} {}", target.describe());
        move |e: postgres::Error| server_error(at, &what, &e)
    };
    let mut tx = client
        .transaction()
        .map_err(fail("could not start writing"))?;
    let into = match target.mode {
        WriteMode::Replace => {
            let new = target.sibling(NEW_SUFFIX);
            tx.batch_execute(&format!(
                "DROP TABLE IF EXISTS {new}; CREATE TABLE {new} ({})",
                columns.join(", ")
            ))
            .map_err(fail("refused to create the table beside"))?;
            new
        }
        WriteMode::Append => {
            let table = target.qualified();
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {table} ({})",
                columns.join(", ")
            ))
            .map_err(fail("refused to create"))?;
            table
        }
    };
    let copy = format!(
        "COPY {into} ({}) FROM STDIN WITH (FORMAT csv)",
        names.join(", ")
    );
    let mut writer = tx
        .copy_in(copy.as_str())
        .map_err(fail("refused the rows of"))?;
    writer.write_all(&body).map_err(|e| {
        Error::Data(format!(
            "PostgreSQL at {place} stopped taking the rows of {}: {e}",
            target.describe()
        ))
    })?;
    writer.finish().map_err(fail("refused the rows of"))?;
    if target.mode == WriteMode::Replace {
        tx.batch_execute(&format!(
            "DROP TABLE IF EXISTS {}; ALTER TABLE {into} RENAME TO {}",
            target.qualified(),
            quote_ident(&target.table)
        ))
        .map_err(fail("refused to replace"))?;
    }
    // Killed here (the test hook), the server rolls the transaction back: the old table stays.
    crate::crash::maybe_abort("database");
    tx.commit().map_err(fail("could not commit"))?;
    Ok(Written {
        rows,
        table: target.describe(),
        place,
        mode: target.mode,
    })
}

/// The rows to copy: the table's column definitions and names, and the rows as CSV.
struct Rows {
    columns: Vec<String>,
    names: Vec<String>,
    rows: usize,
    body: Vec<u8>,
}

/// `segments` with `run_name` and `run_at`, as the table's columns and CSV lines.
fn rows(segments: DataFrame, run_name: &str, run_at: &str) -> Result<Rows> {
    let mut df = segments
        .lazy()
        .with_columns([
            lit(run_name.to_string()).alias("run_name"),
            lit(run_at.to_string()).alias("run_at"),
        ])
        .collect()?;
    let columns: Vec<String> = df
        .columns()
        .iter()
        .map(|c| {
            let sql = match c.name().as_str() {
                "run_at" => "timestamptz",
                _ => sql_type(c.dtype()),
            };
            format!("{} {sql}", quote_ident(c.name()))
        })
        .collect();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| quote_ident(n))
        .collect();
    let rows = df.height();
    // Without a header line: COPY takes the columns by the names listed.
    let mut body = Vec::new();
    CsvWriter::new(&mut body)
        .include_header(false)
        .finish(&mut df)?;
    Ok(Rows {
        columns,
        names,
        rows,
        body,
    })
}

/// The column type of a table column for a frame column.
fn sql_type(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => "bigint",
        DataType::UInt64 => "numeric",
        DataType::Float32 | DataType::Float64 => "double precision",
        DataType::Boolean => "boolean",
        DataType::Date => "date",
        DataType::Datetime(_, _) => "timestamp",
        _ => "text",
    }
}
