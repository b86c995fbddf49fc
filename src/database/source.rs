//! Rows of a query as a CSV file. The statement is described first (its columns and their
//! types, no rows read), so a column the pipeline needs and the query lacks stops the run
//! before any work; then one `COPY (…) TO STDOUT` streams the rows, timestamps with a time
//! zone turned to UTC, into the output folder's [`SOURCE_FILE`] through a temporary file (a
//! failed read leaves the earlier one). Ingest reads that file like any CSV: ids and text as
//! written, `numeric` and `float8` as numbers (f64), `date` and `timestamp` as dates, `NULL`
//! as a missing value.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::{DataType, Field, Schema, TimeUnit};
use postgres::types::Type;
use postgres::Client;

use super::{connect, describe, server_error};
use crate::config::{quote_ident, PgSource};
use crate::error::{Error, Result};

/// The file of the output folder that holds the rows the run read.
pub const SOURCE_FILE: &str = "source.csv";

/// Settings that make the server write values one way whatever its defaults: UTC, ISO
/// dates, floats that read back to the same number.
const SESSION: &str =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1";

/// The query's columns as the pipeline's checks see them (no rows are read).
pub fn schema(pg: &PgSource) -> Result<Schema> {
    let mut client = connect(&pg.url)?;
    let columns = columns(&mut client, pg)?;
    Ok(columns
        .iter()
        .map(|(name, ty)| Field::new(name.into(), dtype(ty)))
        .collect())
}

/// Reads the query's rows into `dir`/[`SOURCE_FILE`] and returns that path.
pub fn read_into(pg: &PgSource, dir: &Path) -> Result<PathBuf> {
    let mut client = connect(&pg.url)?;
    let place = place(pg);
    let columns = columns(&mut client, pg)?;
    client
        .batch_execute(SESSION)
        .map_err(|e| server_error(&place, "refused the session settings", &e))?;
    let list: Vec<String> = columns
        .iter()
        .map(|(name, ty)| {
            let q = quote_ident(name);
            match *ty == Type::TIMESTAMPTZ {
                true => format!("(segflow_q.{q} AT TIME ZONE 'UTC') AS {q}"),
                false => format!("segflow_q.{q}"),
            }
        })
        .collect();
    let copy = format!(
        "COPY (SELECT {} FROM ({}) AS segflow_q) TO STDOUT WITH (FORMAT csv, HEADER true)",
        list.join(", "),
        pg.query
    );
    let mut reader = client
        .copy_out(copy.as_str())
        .map_err(|e| server_error(&place, "refused the query", &e))?;
    let target = dir.join(SOURCE_FILE);
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, tmp.as_file());
    std::io::copy(&mut reader, &mut out).map_err(|e| {
        Error::Data(format!(
            "PostgreSQL at {place} stopped sending the rows of the query: {e}"
        ))
    })?;
    out.flush().map_err(|e| Error::io(&target, e))?;
    drop(out);
    tmp.persist(&target)
        .map_err(|e| Error::io(&target, e.error))?;
    Ok(target)
}

/// `host:port/database` of the source.
pub fn place(pg: &PgSource) -> String {
    pg.url
        .parse::<postgres::Config>()
        .map(|c| describe(&c))
        .unwrap_or_else(|_| "the server".into())
}

/// The query's result columns (name, type), refused when two share a name.
fn columns(client: &mut Client, pg: &PgSource) -> Result<Vec<(String, Type)>> {
    let place = place(pg);
    let statement = client
        .prepare(&pg.query)
        .map_err(|e| server_error(&place, "refused the query", &e))?;
    let columns: Vec<(String, Type)> = statement
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_().clone()))
        .collect();
    if columns.is_empty() {
        return Err(Error::Data(format!(
            "the query of input.postgres returns no columns (at {place}): it must be a select"
        )));
    }
    for (i, (name, _)) in columns.iter().enumerate() {
        if columns[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::Data(format!(
                "the query of input.postgres returns two columns named `{name}`: name one otherwise with `AS`"
            )));
        }
    }
    Ok(columns)
}

/// The column type ingest gives the CSV text of a server type.
fn dtype(ty: &Type) -> DataType {
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => DataType::Int64,
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC | Type::MONEY => DataType::Float64,
        Type::BOOL => DataType::Boolean,
        Type::DATE => DataType::Date,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DataType::Datetime(TimeUnit::Microseconds, None),
        _ => DataType::String,
    }
}
