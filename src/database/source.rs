//! Rows of a query as a Parquet file. The statement is described first (its columns and
//! their types, no rows read), so a column the pipeline needs and the query lacks stops the
//! run before any work; then one binary `COPY (…) TO STDOUT` streams the rows, decoded into
//! typed columns by [`super::binary`] in batches (memory holds one batch), into the output
//! folder's [`SOURCE_FILE`] (written atomically: a failed read leaves the earlier one).
//! Ingest reads that file like any Parquet input, on the local or the streaming engine.

use std::path::{Path, PathBuf};

use polars::prelude::{DataType, Field, Schema};
use postgres::Client;

use super::binary::{decode, Kind};
use super::{connect, server_error};
use crate::artifacts::{parquet_batches, write_atomic};
use crate::config::{quote_ident, PgSource};
use crate::error::{Error, Result};

/// The file of the output folder that holds the rows the run read.
pub const SOURCE_FILE: &str = "source.parquet";

/// The query's columns as the pipeline's checks see them (no rows are read).
pub fn schema(pg: &PgSource) -> Result<Schema> {
    let mut client = connect(&pg.url)?;
    Ok(columns(&mut client, pg)?
        .into_iter()
        .map(|(name, kind)| Field::new(name.into(), dtype(kind)))
        .collect())
}

/// Reads the query's rows into `dir`/[`SOURCE_FILE`] and returns that path.
pub fn read_into(pg: &PgSource, dir: &Path) -> Result<PathBuf> {
    let mut client = connect(&pg.url)?;
    let place = place(pg);
    let columns = columns(&mut client, pg)?;
    // A type without a decoding here is asked for as text.
    let list: Vec<String> = columns
        .iter()
        .map(|(name, kind)| {
            let q = quote_ident(name);
            match kind {
                Some(_) => format!("segflow_q.{q}"),
                None => format!("segflow_q.{q}::text AS {q}"),
            }
        })
        .collect();
    let copy = format!(
        "COPY (SELECT {} FROM ({}) AS segflow_q) TO STDOUT WITH (FORMAT binary)",
        list.join(", "),
        pg.query
    );
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let kinds: Vec<Kind> = columns
        .iter()
        .map(|(_, k)| k.unwrap_or(Kind::Text))
        .collect();
    let reader = client
        .copy_out(copy.as_str())
        .map_err(|e| server_error(&place, "refused the query", &e))?;
    let target = dir.join(SOURCE_FILE);
    let mut reader = Some(reader);
    write_atomic(&target, |file| {
        let mut produce = |emit: &mut dyn FnMut(polars::prelude::DataFrame) -> Result<()>| {
            let reader = reader
                .take()
                .ok_or_else(|| Error::Internal("COPY read twice".into()))?;
            decode(reader, &names, &kinds, emit).map_err(|e| match e {
                Error::Data(why) => Error::Data(format!("PostgreSQL at {place}: {why}")),
                other => other,
            })
        };
        parquet_batches(file, &mut produce).map(|_| ())
    })?;
    Ok(target)
}

/// `host:port/database` of the source.
pub fn place(pg: &PgSource) -> String {
    super::place(&pg.url)
}

/// The query's result columns with their decoding (`None`: read as text), refused when two
/// share a name.
fn columns(client: &mut Client, pg: &PgSource) -> Result<Vec<(String, Option<Kind>)>> {
    let place = place(pg);
    let statement = client
        .prepare(&pg.query)
        .map_err(|e| server_error(&place, "refused the query", &e))?;
    let columns: Vec<(String, Option<Kind>)> = statement
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), Kind::of(c.type_())))
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

/// The column type a server type becomes (text for the types read as text).
fn dtype(kind: Option<Kind>) -> DataType {
    kind.map_or(DataType::String, Kind::dtype)
}
