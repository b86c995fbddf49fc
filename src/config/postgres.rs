//! `input.postgres` and `output.postgres`: a PostgreSQL database as the source of the rows
//! and as a destination of the segments. Checked here, before anything connects: the URL
//! (from the file or `SEGFLOW_PG_URL`) parses and carries no password, a query or a table
//! (not both), a table name to write and a write mode.

use super::raw::{RawInput, RawPgInput, RawPgOutput};
use super::source::{pick, Source};
use crate::error::Result;

/// The environment variable that gives the URL when the file does not.
pub const URL_VARIABLE: &str = "SEGFLOW_PG_URL";

/// Rows from a query (a table is read as `select * from` it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PgSource {
    /// As written: it never holds a password.
    pub url: String,
    pub query: String,
}

/// A table written with the segments.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PgTarget {
    pub url: String,
    /// The schema, when the table was named `schema.table`.
    pub schema: Option<String>,
    pub table: String,
    pub mode: WriteMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// A new table in place of the old one, in one transaction.
    Replace,
    /// The rows added to the table (created when missing).
    Append,
}

impl PgTarget {
    /// `"schema"."table"` (or `"table"`), quoted for SQL.
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&self.table)),
            None => quote_ident(&self.table),
        }
    }

    /// The same table under another name in the same schema, quoted.
    pub fn sibling(&self, suffix: &str) -> String {
        let name = format!("{}{suffix}", self.table);
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&name)),
            None => quote_ident(&name),
        }
    }

    /// `schema.table` as the user wrote it.
    pub fn describe(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.table),
            None => self.table.clone(),
        }
    }
}

impl PgTarget {
    /// A table named by one address, `postgresql://user@host:port/database/schema.table`
    /// (`segflow assign --out`), written in `replace` mode. The error says what to write.
    pub fn from_address(address: &str) -> std::result::Result<PgTarget, String> {
        let (base, params) = match address.split_once('?') {
            Some((b, p)) => (b, format!("?{p}")),
            None => (address, String::new()),
        };
        let after_scheme = base.split_once("://").map_or("", |(_, rest)| rest);
        let shape = "postgresql://user@host:5432/database/schema.table";
        let Some((url, table)) = base
            .rsplit_once('/')
            .filter(|_| after_scheme.matches('/').count() == 2)
        else {
            return Err(format!(
                "a table address names the database and then the table: {shape}"
            ));
        };
        let url = format!("{url}{params}");
        let parsed: postgres::Config = url
            .parse()
            .map_err(|e| format!("`{url}` is not a PostgreSQL URL ({e}): write {shape}"))?;
        if parsed.get_password().is_some() {
            return Err("the address holds a password: give it in PGPASSWORD or ~/.pgpass, never in the address".into());
        }
        let (schema, table) = match table.split_once('.') {
            Some((s, t)) if !s.is_empty() && !t.is_empty() => (Some(s.to_string()), t.to_string()),
            None if !table.is_empty() => (None, table.to_string()),
            _ => return Err(format!("`{table}` is not a table name: write {shape}")),
        };
        Ok(PgTarget {
            url,
            schema,
            table,
            mode: WriteMode::Replace,
        })
    }
}

/// An identifier in double quotes, its own double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `input.postgres`, with the file-only keys refused beside it.
pub(super) fn source_from_raw(rin: &RawInput, raw: &RawPgInput, src: &Source) -> Result<PgSource> {
    if !rin.path.is_empty() {
        return Err(src.error_at(
            &["input", "postgres"],
            "input.path and input.postgres both name the input: keep one",
        ));
    }
    let file_keys = [
        ("format", rin.format.is_some()),
        ("delimiter", rin.delimiter.is_some()),
        ("header", rin.header.is_some()),
        ("names", rin.names.is_some()),
        ("decimal", rin.decimal.is_some()),
        ("sheet", rin.sheet.is_some()),
    ];
    if let Some((key, _)) = file_keys.iter().find(|(_, set)| *set) {
        return Err(src.error_at(
            &["input", key],
            format!(
                "input.{key} applies to files; the rows of input.postgres come typed by the server"
            ),
        ));
    }
    let at = ["input", "postgres"];
    let url = url(raw.url.as_deref(), &at, src)?;
    let query = match (&raw.query, &raw.table) {
        (Some(_), Some(_)) => {
            return Err(src.error_at(&at, "input.postgres takes `query` or `table`, not both"))
        }
        (Some(q), None) if !q.trim().is_empty() => q.trim().trim_end_matches(';').to_string(),
        (None, Some(t)) => {
            let (schema, table) = table_name(t, &["input", "postgres", "table"], src)?;
            match schema {
                Some(s) => format!("select * from {}.{}", quote_ident(&s), quote_ident(&table)),
                None => format!("select * from {}", quote_ident(&table)),
            }
        }
        _ => {
            return Err(src.error_at(
                &at,
                "input.postgres needs `query: \"select …\"` or `table: schema.table`",
            ))
        }
    };
    Ok(PgSource { url, query })
}

/// `output.postgres`.
pub(super) fn target_from_raw(raw: &RawPgOutput, src: &Source) -> Result<PgTarget> {
    let at = ["output", "postgres"];
    let url = url(raw.url.as_deref(), &at, src)?;
    let (schema, table) = table_name(&raw.table, &["output", "postgres", "table"], src)?;
    let mode = match raw.mode.as_deref() {
        None => WriteMode::Replace,
        Some(m) => match pick(
            src,
            &["output", "postgres", "mode"],
            m,
            &["replace", "append"],
        )? {
            "append" => WriteMode::Append,
            _ => WriteMode::Replace,
        },
    };
    Ok(PgTarget {
        url,
        schema,
        table,
        mode,
    })
}

/// The URL from the file, else from [`URL_VARIABLE`]; it must parse and hold no password.
fn url(given: Option<&str>, at: &[&str], src: &Source) -> Result<String> {
    let (url, from) = match given {
        Some(u) => (u.trim().to_string(), format!("{}.url", at.join("."))),
        None => match std::env::var(URL_VARIABLE) {
            Ok(u) if !u.trim().is_empty() => (u.trim().to_string(), URL_VARIABLE.to_string()),
            _ => {
                return Err(src.error_at(
                    at,
                    format!(
                        "{} needs `url: postgresql://user@host:5432/database` (or {URL_VARIABLE} in the environment)",
                        at.join(".")
                    ),
                ))
            }
        },
    };
    let key: Vec<&str> = at.iter().copied().chain(["url"]).collect();
    if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        return Err(src.error_at(
            &key,
            format!("{from} must look like postgresql://user@host:5432/database"),
        ));
    }
    let parsed: postgres::Config = url
        .parse()
        .map_err(|e| src.error_at(&key, format!("{from} is not a PostgreSQL URL: {e}")))?;
    if parsed.get_password().is_some() {
        return Err(src.error_at(
            &key,
            format!("{from} holds a password: give it in PGPASSWORD or ~/.pgpass, never in the URL (it would be written to the manifest)"),
        ));
    }
    Ok(url)
}

/// `table` or `schema.table`, each part not empty.
fn table_name(text: &str, at: &[&str], src: &Source) -> Result<(Option<String>, String)> {
    let text = text.trim();
    let (schema, table) = match text.split_once('.') {
        Some((s, t)) => (Some(s.to_string()), t.to_string()),
        None => (None, text.to_string()),
    };
    if table.is_empty() || schema.as_deref().is_some_and(str::is_empty) {
        return Err(src.error_at(
            at,
            format!(
                "{} must name a table, `table` or `schema.table`, got `{text}`",
                at.join(".")
            ),
        ));
    }
    Ok((schema, table))
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, BASE, TX};
    use super::{PgTarget, WriteMode};

    const URL: &str = "postgresql://segflow@127.0.0.1:5432/shop";

    fn tx_from(postgres: &str) -> String {
        TX.replace("  path: d.csv\n", &format!("  postgres: {postgres}\n"))
    }

    #[test]
    fn a_table_is_read_whole_and_a_query_as_written() {
        let p = plan(&tx_from(&format!("{{url: '{URL}', table: sales.lines}}")));
        let pg = p.input.postgres.unwrap();
        assert_eq!(pg.query, "select * from \"sales\".\"lines\"");
        assert_eq!(pg.url, URL);
        let p = plan(&tx_from(&format!(
            "{{url: '{URL}', query: 'select * from t order by n;'}}"
        )));
        assert_eq!(
            p.input.postgres.unwrap().query,
            "select * from t order by n"
        );
    }

    #[test]
    fn the_input_is_a_file_or_a_query_never_both_nor_neither() {
        refuses(
            &TX.replace("  path: d.csv\n", ""),
            "t.yaml:2:1: input needs `path: <file>` or `postgres: {query: …}`",
        );
        refuses(
            &TX.replace(
                "  path: d.csv\n",
                &format!("  path: d.csv\n  postgres: {{url: '{URL}', table: t}}\n"),
            ),
            "input.path and input.postgres both name the input: keep one",
        );
        refuses(
            &tx_from(&format!("{{url: '{URL}', table: t, query: 'select 1'}}")),
            "input.postgres takes `query` or `table`, not both",
        );
        refuses(
            &tx_from(&format!("{{url: '{URL}'}}")),
            "input.postgres needs `query: \"select …\"` or `table: schema.table`",
        );
        refuses(
            &tx_from(&format!("{{url: '{URL}', table: t}}\n  decimal: \",\"")),
            "input.decimal applies to files; the rows of input.postgres come typed by the server",
        );
    }

    #[test]
    fn a_url_must_parse_and_hold_no_password() {
        refuses(
            &tx_from("{url: 'mysql://a@b/c', table: t}"),
            "input.postgres.url must look like postgresql://user@host:5432/database",
        );
        let e = super::super::tests_support::err(&tx_from(
            "{url: 'postgresql://a:s3cret@b/c', table: t}",
        ));
        assert!(
            e.contains("holds a password: give it in PGPASSWORD or ~/.pgpass"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn an_address_names_the_database_then_the_table() {
        let t = PgTarget::from_address("postgresql://ann@db:5433/shop/crm.scored").unwrap();
        assert_eq!(t.url, "postgresql://ann@db:5433/shop");
        assert_eq!(t.qualified(), "\"crm\".\"scored\"");
        let t = PgTarget::from_address("postgres://ann@db/shop/scored?connect_timeout=5").unwrap();
        assert_eq!(t.url, "postgres://ann@db/shop?connect_timeout=5");
        assert_eq!((t.schema, t.table.as_str()), (None, "scored"));
        for bad in [
            "postgresql://ann@db/shop",
            "postgresql://ann@db/shop/",
            "postgresql://ann@db/a/b/c",
        ] {
            let e = PgTarget::from_address(bad).unwrap_err();
            assert!(
                e.contains("postgresql://user@host:5432/database/schema.table"),
                "{bad}: {e}"
            );
        }
        let e = PgTarget::from_address("postgresql://ann:pw@db/shop/t").unwrap_err();
        assert!(e.contains("holds a password") && !e.contains("pw@"), "{e}");
    }

    #[test]
    fn output_names_a_table_and_a_mode() {
        let p = plan(&format!(
            "{BASE}output:\n  postgres: {{url: '{URL}', table: crm.segments, mode: append}}\n"
        ));
        let target: PgTarget = p.output.unwrap();
        assert_eq!(target.qualified(), "\"crm\".\"segments\"");
        assert_eq!(target.sibling("__new"), "\"crm\".\"segments__new\"");
        assert_eq!(target.mode, WriteMode::Append);
        refuses(
            &format!("{BASE}output:\n  postgres: {{url: '{URL}', table: s, mode: upsert}}\n"),
            "`upsert` is not a valid output.postgres.mode: expected one of `replace`, `append`",
        );
        refuses(
            &format!("{BASE}output:\n  postgres: {{url: '{URL}', table: 'crm.'}}\n"),
            "output.postgres.table must name a table, `table` or `schema.table`, got `crm.`",
        );
    }
}
