//! PostgreSQL as a source of rows and a destination of segments (`input.postgres`,
//! `output.postgres`). One connection per use, opened with a 10 s limit; the password comes
//! from `PGPASSWORD` or the password file (`PGPASSFILE`, else `~/.pgpass`), never from the
//! pipeline file, and no message names it.
//!
//! Rows are read with a binary `COPY (query) TO STDOUT`, decoded into typed columns
//! ([`binary`]) and written to a Parquet file of the output folder, which ingest then reads
//! like any file (in parts, on the streaming engine): see [`source`]. Segments are written with `COPY … FROM STDIN` into a new table that takes
//! the old one's place in the same transaction: see [`sink`].

pub mod binary;
pub mod sink;
pub mod source;

use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

use crate::error::{Error, Result};

/// How long a connection may take before the run stops with the server's address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `host:port/database` of a URL, for messages (never the password).
pub fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// `host:port/database` of a URL as the config checked it, for messages.
pub fn place(url: &str) -> String {
    url.parse::<Config>()
        .map(|c| describe(&c))
        .unwrap_or_else(|_| "the server".into())
}

/// Opens a connection to `url` (checked by the config: no password in it).
pub fn connect(url: &str) -> Result<Client> {
    let mut config: Config = url
        .parse()
        .map_err(|e| Error::Config(format!("not a PostgreSQL URL ({e})")))?;
    config.connect_timeout(CONNECT_TIMEOUT);
    config.application_name("segflow");
    if let Some(password) = password(&config) {
        config.password(password);
    }
    let place = describe(&config);
    config.connect(NoTls).map_err(|e| match e.as_db_error() {
        Some(db) => Error::Data(format!(
            "PostgreSQL at {place} refused the connection: {}",
            db.message()
        )),
        None => Error::Data(format!(
            "cannot connect to PostgreSQL at {place}: {} (is the server running and listening there?)",
            plain(&e)
        )),
    })
}

/// A server's error as one line: its message and, for a query, the character it points at.
pub fn server_error(place: &str, what: &str, e: &postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => {
            let at = match db.position() {
                Some(postgres::error::ErrorPosition::Original(p)) => {
                    format!(" (at character {p} of the query)")
                }
                _ => String::new(),
            };
            let hint = db.hint().map(|h| format!("; {h}")).unwrap_or_default();
            Error::Data(format!(
                "PostgreSQL at {place} {what}: {}{at}{hint}",
                db.message()
            ))
        }
        None => Error::Data(format!("PostgreSQL at {place} {what}: {}", plain(e))),
    }
}

/// The error's words and its causes', without the client's wrapping.
fn plain(e: &postgres::Error) -> String {
    let mut words = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !words.contains(&text) {
            words = format!("{words}: {text}");
        }
        cause = c.source();
    }
    words
}

/// `PGPASSWORD`, else the first matching line of the password file.
fn password(config: &Config) -> Option<String> {
    if let Ok(p) = std::env::var("PGPASSWORD") {
        return Some(p);
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    pgpass_lookup(&text, [&host, &port, &db, &user])
}

/// The password of the first line of a `.pgpass` text whose four fields (host, port,
/// database, user; `*` matches anything, `\:` and `\\` escape) match `want`.
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(want)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4].clone())
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::pgpass_lookup;

    #[test]
    fn pgpass_lines_match_field_by_field_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    db.example:5432:shop:ann:first\n\
                    127.0.0.1:*:*:segflow:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback\n";
        let find = |w: [&str; 4]| pgpass_lookup(text, w);
        assert_eq!(
            find(["db.example", "5432", "shop", "ann"]).unwrap(),
            "first"
        );
        assert_eq!(
            find(["127.0.0.1", "54329", "segflow", "segflow"]).unwrap(),
            "pa:ss\\word"
        );
        assert_eq!(
            find(["db.example", "5433", "shop", "ann"]).unwrap(),
            "fallback"
        );
        assert_eq!(pgpass_lookup("h:1:d:u\n", ["h", "1", "d", "u"]), None);
    }
}
