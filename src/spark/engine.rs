//! Runs [`super::sql`] on a Spark cluster through the Apache Spark Connect client.
//!
//! The client is synchronous (it owns its runtime). Failures come back as one line in the
//! user's words; Spark's full message (with its Java stack) goes to a log file the message
//! names.

use std::io::Cursor;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use polars::prelude::*;
use spark_connect::{DataType as SparkType, SparkError, SparkSession};

use super::sql::{self, Kind, SourceColumn, KEPT, LINE, LINES, READ, REASONED};
use super::{saved, score};
use super::{Dataset, Event, LineWork};
use crate::assign::Summary;
use crate::config::{Format, InputKind, InputPlan, Plan, SparkPlan, TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::{Error, Result};
use crate::model::ModelFile;
use crate::stages::{ingest, Stage};
use crate::transactions::lines::{describe, drop_note, read_note};
use crate::transactions::rfm::Aggregated;

/// How long connecting may take before the run fails naming the address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected session and where its failures are logged.
struct Session {
    spark: SparkSession,
    remote: String,
    log: PathBuf,
}

impl Session {
    fn connect(plan: &SparkPlan, log: PathBuf) -> Result<Session> {
        let remote = plan.remote.clone();
        reach(&remote)?;
        let url = remote.clone();
        // The first call is bounded: a port that answers but is not Spark Connect must not
        // keep the run waiting on the client's retries.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ready = match SparkSession::builder().remote(&url).get_or_create() {
                // Dates without a zone are read as UTC, as the local engine reads them.
                Ok(s) => match s.conf().set("spark.sql.session.timeZone", "UTC") {
                    Ok(()) => Ok(s),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(ready);
        });
        let spark = match rx.recv_timeout(CONNECT_TIMEOUT) {
            Ok(Ok(spark)) => spark,
            Ok(Err(e)) => {
                return Err(data_err!(
                    "the Spark Connect server at {remote} did not accept a session: {}",
                    first_line(&e)
                ))
            }
            Err(_) => {
                return Err(data_err!(
                    "the Spark Connect server at {remote} did not answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            }
        };
        Ok(Session { spark, remote, log })
    }

    /// One line naming what failed; the full text goes to the log.
    fn failed(&self, what: &str, e: SparkError) -> Error {
        let full = format!(
            "{what}\n{}\n{}\n",
            e,
            e.server_stacktrace.as_deref().unwrap_or_default()
        );
        let logged = std::fs::write(&self.log, full).is_ok();
        data_err!(
            "Spark ({}) could not {what}: {}{}",
            self.remote,
            first_line(&e.to_string()),
            if logged {
                format!(" (Spark's full message: {})", self.log.display())
            } else {
                String::new()
            }
        )
    }

    fn sql(&self, what: &str, query: &str) -> Result<spark_connect::DataFrame> {
        self.spark.sql(query).map_err(|e| self.failed(what, e))
    }

    fn view(&self, what: &str, name: &str, query: &str) -> Result<()> {
        self.sql(what, query)?
            .create_or_replace_temp_view(name)
            .map_err(|e| self.failed(what, e))
    }

    /// A small result (one row per customer at most) as a polars frame.
    fn collect(&self, what: &str, query: &str) -> Result<DataFrame> {
        let bytes = self
            .sql(what, query)?
            .to_arrow()
            .map_err(|e| self.failed(what, e))?;
        let df = IpcReader::new(Cursor::new(bytes)).finish()?;
        if df.width() == 0 {
            // Seen after the server ran out of memory on an earlier query.
            return Err(data_err!(
                "Spark ({}) returned no result when asked to {what}: check the cluster (`scripts/spark-local status`) and run again",
                self.remote
            ));
        }
        Ok(df)
    }

    /// Writes a query's rows as a Parquet dataset at `uri` (see [`Session::stage`]).
    fn write(&self, what: &str, query: &str, uri: &str) -> Result<()> {
        self.stage(what, query, uri)?.commit()
    }

    /// Writes a query's rows as a Parquet dataset for `uri`: a local folder under a
    /// temporary name, renamed by [`Staged::commit`], so a failed write or a refused result
    /// never leaves a partial dataset under the final name (a URI is written in place).
    fn stage(&self, what: &str, query: &str, uri: &str) -> Result<Staged> {
        Ok(self.stage_observed(what, query, uri, &[])?.0)
    }

    /// As [`Session::stage`], computing `metrics` (aggregates in Spark SQL, each named
    /// `… AS name`) over the rows as they are written, in the same job: their values by name.
    fn stage_observed(
        &self,
        what: &str,
        query: &str,
        uri: &str,
        metrics: &[String],
    ) -> Result<(Staged, Observed)> {
        let target = (!uri.contains("://")).then(|| PathBuf::from(uri));
        let written = match &target {
            Some(p) => temporary(p).to_string_lossy().into_owned(),
            None => uri.to_string(),
        };
        let mut df = self.sql(what, query)?;
        if !metrics.is_empty() {
            let exprs = metrics
                .iter()
                .map(|m| spark_connect::Expression::SQLExpression(m.clone()))
                .collect();
            df = df.observe(OBSERVED, exprs);
        }
        df.write()
            .mode("overwrite")
            .parquet(&written)
            .map_err(|e| self.failed(what, e))?;
        let observed = match metrics.is_empty() {
            true => Observed::default(),
            false => self.observed(what)?,
        };
        Ok((Staged { written, target }, observed))
    }

    /// The metrics the last write observed (see [`Session::stage_observed`]).
    fn observed(&self, what: &str) -> Result<Observed> {
        use spark_connect_proto::expression::literal::LiteralType;
        let info = self.spark.last_execution_info().unwrap_or_default();
        let Some(m) = info.observed_metrics.iter().find(|m| m.name == OBSERVED) else {
            return Err(data_err!(
                "Spark ({}) did not return the counts it was asked for when asked to {what}: check the cluster (`scripts/spark-local status`) and run again",
                self.remote
            ));
        };
        let values = m.keys.iter().zip(&m.values).map(|(k, v)| {
            let n = match &v.literal_type {
                Some(LiteralType::Long(n)) => Some(*n),
                Some(LiteralType::Integer(n)) => Some(i64::from(*n)),
                _ => None,
            };
            (k.clone(), n)
        });
        Ok(Observed(values.collect()))
    }
}

/// The name of the metrics a write observes.
const OBSERVED: &str = "segflow_observed";

/// Metric values by name (`None`: null).
#[derive(Default)]
struct Observed(std::collections::HashMap<String, Option<i64>>);

impl Observed {
    /// A count (0 when null).
    fn count(&self, name: &str) -> Result<usize> {
        match self.0.get(name) {
            Some(v) => Ok(v.unwrap_or(0).max(0) as usize),
            None => Err(Error::Internal(format!("Spark observed no `{name}`"))),
        }
    }
}

/// A dataset written by [`Session::stage`]: readable at `written`, not yet at its name.
struct Staged {
    written: String,
    /// The local folder it is renamed to (`None`: written in place).
    target: Option<PathBuf>,
}

impl Staged {
    /// Puts the dataset under its final name, replacing what was there.
    fn commit(self) -> Result<()> {
        let Some(final_path) = self.target else {
            return Ok(());
        };
        if final_path.exists() {
            std::fs::remove_dir_all(&final_path).map_err(|e| Error::io(&final_path, e))?;
        }
        std::fs::rename(&self.written, &final_path).map_err(|e| Error::io(&final_path, e))
    }

    /// Removes a local dataset that is not to be kept.
    fn discard(self) {
        if self.target.is_some() {
            let _ = std::fs::remove_dir_all(&self.written);
        }
    }
}

fn temporary(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    p.with_file_name(format!(".segflow-spark-{name}.tmp"))
}

/// The first line of Spark's message, its error class said once (`[PATH_NOT_FOUND]`).
fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text);
    let mut line = line.trim().to_string();
    if let Some(end) = line.find("] ").filter(|_| line.starts_with('[')) {
        let class = line[..end + 2].to_string();
        if line[end + 2..].starts_with(class.trim_end()) {
            line = line[end + 2..].to_string();
        }
    }
    if line.chars().count() > 400 {
        line = line.chars().take(400).collect::<String>() + "…";
    }
    line
}

/// Fails fast (and within seconds) when nothing listens at the address.
fn reach(remote: &str) -> Result<()> {
    let rest = remote.trim_start_matches("sc://");
    let hostport = rest.split(['/', ';']).next().unwrap_or_default();
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:15002")
    };
    let unreachable = |why: String| {
        data_err!(
            "cannot reach the Spark Connect server at {remote}: {why} (start a local one with `scripts/spark-local start`, or set input.spark.remote or SEGFLOW_SPARK_REMOTE)"
        )
    };
    let addrs: Vec<_> = hostport
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last = String::from("the address resolves to nothing");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(unreachable(last))
}

fn kind_of(t: &SparkType) -> Kind {
    match t {
        SparkType::Byte | SparkType::Short | SparkType::Integer | SparkType::Long => Kind::Whole,
        SparkType::Float | SparkType::Double | SparkType::Decimal { .. } => Kind::Fractional,
        SparkType::String { .. } | SparkType::Char { .. } | SparkType::Varchar { .. } => Kind::Text,
        SparkType::Date => Kind::Date,
        SparkType::Timestamp | SparkType::TimestampNtz => Kind::Timestamp,
        SparkType::Boolean => Kind::Boolean,
        other => Kind::Other(format!("{other:?}")),
    }
}

fn polars_type(kind: &Kind) -> DataType {
    match kind {
        Kind::Whole => DataType::Int64,
        Kind::Fractional => DataType::Float64,
        Kind::Text => DataType::String,
        Kind::Date => DataType::Date,
        Kind::Timestamp => DataType::Datetime(TimeUnit::Microseconds, None),
        Kind::Boolean => DataType::Boolean,
        Kind::Other(_) => DataType::Binary,
    }
}

/// Registers the input as `segflow_src` and `segflow_read`; returns its columns after the
/// names of a headerless file and the renames. The columns named in `text` (before renames)
/// of a delimited file are read as text, the others as Spark infers them.
fn read(s: &Session, input: &InputPlan, text: &[&str]) -> Result<Vec<SourceColumn>> {
    let path = input.spark_path();
    let what = format!("read {path}");
    let sep = match &input.format {
        Format::Csv { delimiter: None } => Some(sniffed(s, input)?),
        Format::Csv { delimiter } => *delimiter,
        _ => None,
    };
    let mut df = load(s, input, sep, None)?;
    if matches!(input.format, Format::Csv { .. }) && !text.is_empty() {
        let schema = df.schema().map_err(|e| s.failed(&what, e))?;
        let SparkType::Struct { fields } = schema else {
            return Err(data_err!(
                "Spark read {path} as something other than a table"
            ));
        };
        let ddl: Vec<String> = fields
            .iter()
            .map(|f| {
                let kind = match text.contains(&f.name.as_str()) {
                    true => Kind::Text,
                    false => kind_of(&f.data_type),
                };
                format!("{} {}", sql::ident(&f.name), ddl_type(&kind))
            })
            .collect();
        df = load(s, input, sep, Some(ddl.join(", ")))?;
    }
    let schema = df.schema().map_err(|e| s.failed(&what, e))?;
    let SparkType::Struct { fields } = schema else {
        return Err(data_err!(
            "Spark read {path} as something other than a table"
        ));
    };
    df.create_or_replace_temp_view("segflow_src")
        .map_err(|e| s.failed(&what, e))?;
    let raw: Vec<SourceColumn> = fields
        .iter()
        .map(|f| SourceColumn {
            name: f.name.clone(),
            kind: kind_of(&f.data_type),
        })
        .collect();
    if let Some(names) = &input.names {
        if names.len() != raw.len() {
            return Err(data_err!(
                "{path} has {} columns but input.names gives {}",
                raw.len(),
                names.len()
            ));
        }
    }
    s.view(
        &what,
        READ,
        &sql::read_view("segflow_src", &raw, input.names.as_deref(), &input.rename),
    )?;
    let names = s
        .sql(&what, &format!("SELECT * FROM {READ}"))?
        .schema()
        .map_err(|e| s.failed(&what, e))?;
    let SparkType::Struct { fields } = names else {
        return Err(data_err!(
            "Spark read {path} as something other than a table"
        ));
    };
    Ok(fields
        .iter()
        .filter(|f| f.name != LINE)
        .map(|f| SourceColumn {
            name: f.name.clone(),
            kind: kind_of(&f.data_type),
        })
        .collect())
}

/// The input as a Spark frame: Parquet, or text separated by `sep` with a header (or
/// `input.names`) read with the given schema or with the types Spark infers.
fn load(
    s: &Session,
    input: &InputPlan,
    sep: Option<u8>,
    schema: Option<String>,
) -> Result<spark_connect::DataFrame> {
    let path = input.spark_path();
    let reader = s.spark.read();
    match &input.format {
        Format::Parquet => Ok(reader.format("parquet").load(Some(&path))),
        Format::Csv { .. } => {
            let sep = (sep.unwrap_or(b',') as char).to_string();
            let header = if input.names.is_some() {
                "false"
            } else {
                "true"
            };
            let reader = reader
                .format("csv")
                .option("header", header)
                .option("sep", &sep);
            let reader = match schema {
                Some(ddl) => reader.schema(ddl),
                None => reader.option("inferSchema", "true"),
            };
            Ok(reader.load(Some(&path)))
        }
        Format::Whitespace | Format::Sheet { .. } => Err(data_err!(
            "the Spark engine reads Parquet and delimited text, not whitespace-separated files or spreadsheets"
        )),
    }
}

/// The delimiter of a text input named without one, picked from its first line as the
/// local engine picks it; the first line is read here for a local file, by Spark for a URI.
fn sniffed(s: &Session, input: &InputPlan) -> Result<u8> {
    let path = input.spark_path();
    if !path.contains("://") {
        return Ok(ingest::sniff_delimiter(&ingest::first_line(&input.path)?));
    }
    let what = format!("read the first line of {path}");
    let first = s.collect(
        &what,
        &format!("SELECT value FROM text.{} LIMIT 1", sql::ident(&path)),
    )?;
    let line = first
        .column("value")?
        .str()?
        .get(0)
        .unwrap_or_default()
        .to_string();
    Ok(ingest::sniff_delimiter(line.as_bytes()))
}

/// A column type in Spark's DDL, as [`polars_type`] types it here.
fn ddl_type(kind: &Kind) -> &'static str {
    match kind {
        Kind::Whole => "BIGINT",
        Kind::Fractional => "DOUBLE",
        Kind::Date => "DATE",
        Kind::Timestamp => "TIMESTAMP",
        Kind::Boolean => "BOOLEAN",
        Kind::Text | Kind::Other(_) => "STRING",
    }
}

fn columns_schema(columns: &[SourceColumn]) -> Schema {
    columns
        .iter()
        .map(|c| Field::new(c.name.as_str().into(), polars_type(&c.kind)))
        .collect()
}

fn session(plan: &Plan, log: &Path) -> Result<Session> {
    let spark = plan
        .input
        .on_spark()
        .ok_or_else(|| Error::Internal("the Spark engine was not configured".into()))?;
    Session::connect(spark, log.to_path_buf())
}

pub fn schema(plan: &Plan) -> Result<Schema> {
    let s = session(plan, &std::env::temp_dir().join("segflow-spark-error.log"))?;
    Ok(columns_schema(&read(&s, &plan.input, &[])?))
}

fn transactions(plan: &Plan) -> Result<&TxColumns> {
    match &plan.input.kind {
        InputKind::Transactions(tx) => Ok(tx),
        InputKind::Customers => Err(Error::Internal(
            "the Spark engine runs invoice lines only".into(),
        )),
    }
}

/// What one scan of the input told: rows, missing values, distinct customers, whether the
/// ids are whole numbers, and the first and last date (epoch milliseconds).
struct Scanned {
    rows: usize,
    missing: Vec<(String, usize)>,
    customers: usize,
    ids_whole: bool,
    first: Option<i64>,
    last: Option<i64>,
}

fn scan(s: &Session, columns: &[SourceColumn], tx: &TxColumns, date: &str) -> Result<Scanned> {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let stats = s.collect("read the input", &sql::stats_query(&names, tx, date))?;
    let int = |c: &str| first_count(&stats, c);
    let rows = int("__rows")?;
    let bad = int("__bad_dates")?;
    if bad > 0 {
        return Err(bad_dates(s, tx, date, bad, rows)?);
    }
    let missing = names
        .iter()
        .enumerate()
        .map(|(i, n)| Ok((n.clone(), int(&format!("__null_{i}"))?)))
        .collect::<Result<_>>()?;
    let ms = |c: &str| -> Result<Option<i64>> {
        Ok(stats.column(c)?.cast(&DataType::Int64)?.i64()?.get(0))
    };
    Ok(Scanned {
        rows,
        missing,
        customers: int("__customers")?,
        ids_whole: int("__fractional_ids")? == 0,
        first: ms("__first")?,
        last: ms("__last")?,
    })
}

/// The dates that do not parse, named with one of them.
fn bad_dates(s: &Session, tx: &TxColumns, date: &str, bad: usize, rows: usize) -> Result<Error> {
    let shown = s.collect("read the input", &sql::bad_date_query(tx, date))?;
    let example = shown
        .column("value")?
        .str()?
        .get(0)
        .unwrap_or_default()
        .to_string();
    Ok(data_err!(
        "cannot read the transaction dates in `{}`{}: {bad} of {rows} values are not dates in that format, e.g. `{example}`",
        tx.date,
        tx.date_format
            .as_ref()
            .map(|f| format!(" with format `{f}`"))
            .unwrap_or_default()
    ))
}

/// A count in the first row of a small result (0 when missing).
fn first_count(df: &DataFrame, c: &str) -> Result<usize> {
    let v = df.column(c)?.cast(&DataType::Int64)?.i64()?.get(0);
    Ok(v.unwrap_or(0).max(0) as usize)
}

/// Numbers where the plan needs numbers, as the local engine checks them.
fn check_numbers(columns: &[SourceColumn], tx: &TxColumns) -> Result<()> {
    for c in [&tx.quantity, &tx.price, &tx.amount].into_iter().flatten() {
        if let Some(col) = columns.iter().find(|s| &s.name == c) {
            if !matches!(col.kind, Kind::Whole | Kind::Fractional) {
                return Err(data_err!(
                    "transaction column `{c}` holds {}: expected numbers (numbers written with a currency, thousands separators or a decimal comma are read by `engine: local` and `engine: streaming`, not on Spark)",
                    sql::kind_words(&col.kind)
                ));
            }
        }
    }
    Ok(())
}

fn list(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| sql::ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn line_work(
    plan: &Plan,
    out_dir: &Path,
    until: Option<Stage>,
    reuse: Option<&str>,
    on: &mut dyn FnMut(Event),
) -> Result<LineWork> {
    let tx = transactions(plan)?;
    on(Event::Started(Stage::Ingest));
    let (s, state, base) = open(plan, out_dir)?;
    let at = |name: &str| format!("{base}/{name}");
    let key = match reuse {
        Some(salt) => Some(saved_key(&s, plan, &base, salt)?),
        None => None,
    };
    if let Some(key) = &key {
        if let Some(([ingest, clean], work)) = saved::restore(&state, key, &|uri| complete(&s, uri))
        {
            return Ok(replay(ingest, clean, work, until, on));
        }
    }

    let (columns, scanned) = ingest(&s, &plan.input, tx, &at("01_ingest"))?;
    let rows = scanned.rows;
    let ingest = Dataset {
        stage: Stage::Ingest,
        uri: at("01_ingest"),
        sha256: String::new(),
        also: Vec::new(),
        rows_in: rows,
        rows_out: rows,
        note: format!(
            "{}; read by Spark",
            read_note(scanned.customers, scanned.first, scanned.last)
        ),
        cached: false,
    };
    on(Event::Finished(ingest.clone()));
    let mut work = LineWork {
        missing: scanned.missing,
        dropped: Vec::new(),
        aggregated: None,
    };
    if until.is_some_and(|u| u <= Stage::Ingest) {
        return Ok(work);
    }

    on(Event::Started(Stage::Clean));
    let (clean_uri, dropped_uri) = (at("02_clean"), at("02_clean_dropped"));
    let kept;
    (work.dropped, kept) = clean(&s, plan, tx, &columns, rows, [&clean_uri, &dropped_uri])?;
    let clean = Dataset {
        stage: Stage::Clean,
        uri: clean_uri,
        sha256: String::new(),
        also: vec![(dropped_uri, String::new())],
        rows_in: rows,
        rows_out: kept,
        note: drop_note(&work.dropped),
        cached: false,
    };
    on(Event::Finished(clean.clone()));
    if until.is_some_and(|u| u <= Stage::Clean) {
        return Ok(work);
    }

    // The per-customer aggregation: the first half of the features stage (the local engine
    // aggregates there too).
    on(Event::Started(Stage::Features));
    work.aggregated = Some(aggregate(&s, tx, &plan.clean.transactions)?);
    if let Some(key) = &key {
        let done = saved::Done {
            ingest: &ingest,
            clean: &clean,
            work: &work,
        };
        saved::save(&state, key, done)?;
    }
    Ok(work)
}

/// A session on the configured cluster, the run's `.state/` folder (its error log goes
/// there) and where the datasets go (`input.spark.artifacts`, else the run folder).
fn open(plan: &Plan, out_dir: &Path) -> Result<(Session, PathBuf, String)> {
    let spark = plan
        .input
        .on_spark()
        .ok_or_else(|| Error::Internal("the Spark engine was not configured".into()))?;
    let state = out_dir.join(".state");
    std::fs::create_dir_all(&state).map_err(|e| Error::io(&state, e))?;
    let s = Session::connect(spark, state.join("spark-error.log"))?;
    let base = match &spark.artifacts {
        Some(uri) => uri.trim_end_matches('/').to_string(),
        None => std::path::absolute(out_dir)
            .map_err(|e| Error::io(out_dir, e))?
            .to_string_lossy()
            .into_owned(),
    };
    Ok((s, state, base))
}

/// The key of the saved line work: the segflow build (`salt`), the input and cleaning
/// sections, where the datasets go, and the input's files as Spark lists them (path,
/// length, modification time), so that a changed file is read again.
fn saved_key(s: &Session, plan: &Plan, base: &str, salt: &str) -> Result<String> {
    let path = plan.input.spark_path();
    let mut files = s.collect(
        "list the input's files",
        &format!(
            "SELECT path, length, CAST(modificationTime AS STRING) AS modified FROM binaryFile.{} ORDER BY path",
            sql::ident(&path)
        ),
    )?;
    let listed = crate::artifacts::csv_bytes(&mut files)?;
    let sections = serde_json::to_string(&(&plan.input, &plan.clean.transactions))
        .map_err(|e| Error::Internal(e.to_string()))?;
    let material = format!(
        "{salt}\nspark line work\n{sections}\n{base}\n{}",
        String::from_utf8_lossy(&listed)
    );
    Ok(crate::artifacts::sha256_bytes(material.as_bytes()))
}

/// Whether the dataset at `uri` is complete (Spark's `_SUCCESS` marker is there).
fn complete(s: &Session, uri: &str) -> bool {
    if !uri.contains("://") {
        return Path::new(uri).join("_SUCCESS").is_file();
    }
    let query = format!(
        "SELECT count(*) AS n FROM binaryFile.{}",
        sql::ident(&format!("{uri}/_SUCCESS"))
    );
    s.collect("look for the dataset", &query)
        .ok()
        .and_then(|df| first_count(&df, "n").ok())
        .is_some_and(|n| n == 1)
}

/// Tells the runner the saved stages, as far as `until` goes.
fn replay(
    ingest: Dataset,
    clean: Dataset,
    mut work: LineWork,
    until: Option<Stage>,
    on: &mut dyn FnMut(Event),
) -> LineWork {
    on(Event::Finished(ingest));
    if until.is_some_and(|u| u <= Stage::Ingest) {
        work.aggregated = None;
        return work;
    }
    on(Event::Started(Stage::Clean));
    on(Event::Finished(clean));
    if until.is_some_and(|u| u <= Stage::Clean) {
        work.aggregated = None;
        return work;
    }
    on(Event::Started(Stage::Features));
    work
}

/// Ingest: reads the input, types the lines (view `segflow_lines`) and writes them at `uri`.
fn ingest(
    s: &Session,
    input: &InputPlan,
    tx: &TxColumns,
    uri: &str,
) -> Result<(Vec<SourceColumn>, Scanned)> {
    let columns = read(s, input, &[])?;
    check_numbers(&columns, tx)?;
    let date_kind = columns
        .iter()
        .find(|c| c.name == tx.date)
        .map(|c| c.kind.clone())
        .ok_or_else(|| data_err!("the input has no column `{}`", tx.date))?;
    let date = sql::date_expr(tx, &date_kind)?;
    let scanned = scan(s, &columns, tx, &date)?;
    s.view(
        "type the lines",
        LINES,
        &sql::lines_view(
            &columns,
            tx,
            &date,
            scanned.ids_whole,
            input.format != Format::Parquet,
        ),
    )?;
    let all: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    s.write(
        "write the ingest dataset",
        &format!("SELECT {} FROM {LINES}", list(&all)),
        uri,
    )?;
    Ok((columns, scanned))
}

/// Clean: the rules (view `segflow_reasoned`), the kept lines (view `segflow_kept`, written
/// at the first URI, counted as they are written) and the dropped ones with their reason
/// (at the second, counted per reason as they are written). Returns the counts per reason
/// and the lines kept; with none kept, neither dataset is kept.
fn clean(
    s: &Session,
    plan: &Plan,
    tx: &TxColumns,
    columns: &[SourceColumn],
    rows: usize,
    [clean_uri, dropped_uri]: [&str; 2],
) -> Result<(Vec<(String, usize)>, usize)> {
    let clean = &plan.clean.transactions;
    s.view(
        "apply the cleaning rules",
        REASONED,
        &sql::reasoned_view(tx, clean),
    )?;
    let all: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let used: Vec<&str> = all
        .iter()
        .copied()
        .filter(|c| tx.all().contains(c))
        .collect();
    s.view(
        "keep the clean lines",
        KEPT,
        &format!(
            "SELECT {}, {LINE} FROM {REASONED} WHERE reason IS NULL",
            list(&used)
        ),
    )?;
    let (kept_lines, seen) = s.stage_observed(
        "write the clean dataset",
        &format!("SELECT {} FROM {KEPT}", list(&used)),
        clean_uri,
        &["count(*) AS __kept".to_string()],
    )?;
    let kept = seen.count("__kept")?;
    let rules = sql::rules(tx, clean);
    let (dropped_lines, seen) = s.stage_observed(
        "write the dropped lines",
        &format!(
            "SELECT {}, reason FROM {REASONED} WHERE reason IS NOT NULL",
            list(&all)
        ),
        dropped_uri,
        &sql::dropped_metrics(&rules),
    )?;
    let dropped: Vec<(String, usize)> = rules
        .iter()
        .enumerate()
        .map(|(i, (_, why))| Ok((why.clone(), seen.count(&format!("__dropped_{i}"))?)))
        .collect::<Result<_>>()?;
    if kept == 0 {
        kept_lines.discard();
        dropped_lines.discard();
        return Err(data_err!(
            "no transaction lines are left after cleaning ({} dropped: {}): nothing to segment",
            rows - kept,
            describe(&dropped)
        ));
    }
    kept_lines.commit()?;
    dropped_lines.commit()?;
    Ok((dropped, kept))
}

/// The kept lines per customer, sorted here as the local engine sorts them, and the spend
/// per category when there is a category column.
fn aggregate(s: &Session, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Aggregated> {
    let customers = s
        .collect(
            "aggregate the lines per customer",
            &sql::customers_query(tx, clean)?,
        )?
        .sort([tx.customer.as_str()], SortMultipleOptions::default())?;
    let by_category = match &tx.category {
        Some(cat) => Some(s.collect(
            "sum the spend per category",
            &sql::categories_query(tx, cat)?,
        )?),
        None => None,
    };
    Ok(Aggregated {
        customers,
        by_category,
    })
}

/// `segflow assign --engine spark`: scores the customer table at `input` (a path or a URI
/// Spark reads) with the run's model (K-means, or DBSCAN through its core points) and
/// writes id, segment, segment_name and reason as a Parquet dataset at `out`, in the
/// input's order.
pub fn assign(model: &ModelFile, input: &InputPlan, out: &str, remote: &str) -> Result<Summary> {
    score::check_model(model)?;
    let plan = SparkPlan {
        remote: remote.to_string(),
        artifacts: None,
    };
    let s = Session::connect(&plan, std::env::temp_dir().join("segflow-spark-error.log"))?;
    let original_id = ingest::original_id(input);
    let columns = read(&s, input, &original_id.into_iter().collect::<Vec<_>>())?;
    let empty = DataFrame::empty_with_schema(&columns_schema(&columns));
    crate::assign::check_columns(model, &empty, &input.path)?;
    let id = input.id.as_deref();
    let form = id_form(&s, input, id)?;
    match model.chosen()?.fit {
        crate::cluster::Fit::Dbscan { .. } => upload_core_points(&s, model)?,
        crate::cluster::Fit::Kmeans { .. }
        | crate::cluster::Fit::Agglomerative { .. }
        | crate::cluster::Fit::Hdbscan { .. }
        | crate::cluster::Fit::Gmm { .. } => {}
    }
    let query = score::scored_query(model, &columns, id, form)?;
    check_sample(&s, model, input, &query)?;
    s.write("score the customers", &query, out)?;
    // One pass over what was written: customers per segment, the unscored (no segment) too.
    let counts = s
        .collect(
            "count the scored customers",
            &format!(
                "SELECT segment, segment_name, count(*) AS customers FROM parquet.{} GROUP BY segment, segment_name ORDER BY segment",
                sql::ident(out)
            ),
        )?
        .lazy()
        .with_column(col("customers").cast(DataType::UInt32));
    let total = |scored: Expr| -> Result<usize> {
        let n = counts
            .clone()
            .filter(scored)
            .select([col("customers").sum()]);
        first_count(&n.collect()?, "customers")
    };
    Ok(Summary {
        customers: total(lit(true))?,
        not_scored: total(col("segment").is_null())?,
        per_segment: counts.filter(col("segment").is_not_null()).collect()?,
    })
}

/// Core points sent to the cluster per message.
const CORE_CHUNK: usize = 50_000;

/// Sends a DBSCAN model's core points (scaled coordinates and segment, numbered in the
/// model's order) to the cluster, as the view the scoring joins ([`score::CORE`]).
fn upload_core_points(s: &Session, model: &ModelFile) -> Result<()> {
    use spark_connect::row::{Row, Value};
    use spark_connect::types::StructField;
    let what = "send the core points";
    let d = model.scaler.columns.len();
    let mut names = vec!["__i".to_string(), "__label".to_string()];
    names.extend((0..d).map(|j| format!("__c{j}")));
    let fields = names
        .iter()
        .enumerate()
        .map(|(k, name)| StructField {
            name: name.clone(),
            data_type: if k < 2 {
                SparkType::Long
            } else {
                SparkType::Double
            },
            nullable: false,
            metadata: Default::default(),
        })
        .collect();
    let schema = SparkType::Struct { fields };
    let mut all: Option<spark_connect::DataFrame> = None;
    let mut chunks: Vec<&[(Vec<f64>, i64)]> = model.core_points.chunks(CORE_CHUNK).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for (c, chunk) in chunks.into_iter().enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(k, (p, label))| {
                let mut values = vec![
                    Value::Long((c * CORE_CHUNK + k) as i64),
                    Value::Long(*label),
                ];
                values.extend(p.iter().map(|v| Value::Double(*v)));
                Row::new(names.clone(), values)
            })
            .collect();
        let df = s
            .spark
            .create_dataframe(rows, schema.clone())
            .map_err(|e| s.failed(what, e))?;
        all = Some(match all {
            None => df,
            Some(a) => a.union_all(&df),
        });
    }
    if let Some(all) = all {
        all.create_or_replace_temp_view("segflow_core_points")
            .map_err(|e| s.failed(what, e))?;
    }
    s.view(
        what,
        score::CORE,
        &score::core_view(model, "segflow_core_points")?,
    )
}

/// Customers scored on Spark and here before the whole table is: the input's first rows.
const SAMPLE: usize = 1000;

/// Spark's scoring of the input's first rows against this machine's `assign` of the same
/// rows (a local input only): a derived feature whose SQL means something else in Spark
/// SQL, or a column this machine reads as a date, stops the run here rather than writing a
/// table that differs from the local one.
fn check_sample(s: &Session, model: &ModelFile, input: &InputPlan, query: &str) -> Result<()> {
    if input.spark_path().contains("://") {
        return Ok(());
    }
    let raw = InputPlan {
        rename: Vec::new(),
        id: ingest::original_id(input).map(str::to_string),
        ..input.clone()
    };
    let mut head = ingest::head(&raw, SAMPLE)?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let sample = dir.path().join("sample.parquet");
    crate::artifacts::write_parquet(&sample, &mut head)?;
    let here = crate::assign::assign(model, &sample, None)?.table;
    let derived: Vec<String> = model
        .derive
        .iter()
        .map(|(name, sql)| format!("{name} = \"{sql}\""))
        .collect();
    let hint = match derived.is_empty() {
        true => String::new(),
        false => format!(
            " (the model's derived features, which Spark evaluates as Spark SQL: {})",
            derived.join(", ")
        ),
    };
    let there = s
        .collect(
            "score the first customers",
            &format!("SELECT * FROM ({query}) LIMIT {SAMPLE}"),
        )
        .map_err(|e| data_err!("{e}{hint}: score this file without --engine spark"))?;
    let text = |df: &DataFrame, c: &str| -> Result<Vec<Option<String>>> {
        let col = df.column(c)?.cast(&DataType::String)?;
        Ok(col.str()?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let id = &model.id_column;
    let ids = text(&here, id)?;
    for c in [id.as_str(), "segment", "reason"] {
        let (a, b) = (text(&here, c)?, text(&there, c)?);
        if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
            return Err(data_err!(
                "Spark scores customer {} of {} differently from this machine ({c}: {} here, {} on Spark){hint}: score this file without --engine spark",
                ids[i].as_deref().unwrap_or("?"),
                input.path.display(),
                a[i].as_deref().unwrap_or("none"),
                b[i].as_deref().unwrap_or("none")
            ));
        }
    }
    Ok(())
}

/// Checks the ids as the local engine does (present, unique) and says how to write them.
fn id_form(s: &Session, input: &InputPlan, id: Option<&str>) -> Result<score::IdForm> {
    let stats = s.collect("read the input", &score::id_stats_query(id))?;
    let int = |c: &str| first_count(&stats, c);
    if int("__rows")? == 0 {
        return Err(data_err!(
            "{} has a header but no data rows",
            input.spark_path()
        ));
    }
    let Some(id) = id else {
        return Ok(score::IdForm::RowNumber);
    };
    let missing = int("__missing")?;
    if missing > 0 {
        return Err(ingest::missing_ids(id, missing));
    }
    let duplicated = int("__duplicated")?;
    if duplicated > 0 {
        let shown = s.collect("read the input", &score::duplicated_ids_query(id))?;
        let shown: Vec<String> = shown
            .column("id")?
            .str()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        return Err(ingest::duplicated_ids(id, duplicated, &shown));
    }
    let text = matches!(input.format, Format::Csv { .. });
    Ok(match text && int("__not_integers")? == 0 {
        true => score::IdForm::Integers,
        false => score::IdForm::AsRead,
    })
}
