//! `input`: the file, its format, renames, the id column, and for invoice lines which column
//! holds what.

use std::path::PathBuf;

use super::raw::RawInput;
use super::source::{pick, Source};
use crate::error::Result;
use crate::numbers::Decimal;

/// The id column segflow adds (rows numbered from 1) when the input names none.
pub const ROW_ID: &str = "row_id";

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Format {
    Csv {
        delimiter: Option<u8>,
    },
    /// Text with columns separated by runs of spaces or tabs (leading and trailing ignored).
    Whitespace,
    Parquet,
    /// A spreadsheet (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`): this sheet, or the first.
    Sheet {
        sheet: Option<String>,
    },
}

/// Which input column holds what, for invoice lines.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TxColumns {
    pub customer: String,
    /// The invoice (order) number; `None`: each customer-day is one order.
    pub invoice: Option<String>,
    pub date: String,
    pub date_format: Option<String>,
    pub quantity: Option<String>,
    pub price: Option<String>,
    pub amount: Option<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
}

impl TxColumns {
    /// Every mapped input column.
    pub fn all(&self) -> Vec<&str> {
        let mut v = vec![self.customer.as_str(), self.date.as_str()];
        for c in [
            &self.invoice,
            &self.quantity,
            &self.price,
            &self.amount,
            &self.product,
            &self.category,
            &self.country,
        ]
        .into_iter()
        .flatten()
        {
            v.push(c);
        }
        v
    }

    /// The invoice column when it is one of its own (not also the date): cancellations are
    /// recognised by its prefix, and it is read as text.
    pub fn invoice_text(&self) -> Option<&str> {
        self.invoice.as_deref().filter(|i| *i != self.date)
    }
}

/// Where the invoice-line work (reading, typing, cleaning rules, per-customer aggregation)
/// runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Engine {
    /// In memory on this machine.
    Local,
    /// On this machine with polars' streaming engine: memory bounded by the customer table.
    Streaming,
    Spark(SparkPlan),
}

/// The default Spark Connect address: the cluster `scripts/spark-local start` runs.
pub const DEFAULT_SPARK_REMOTE: &str = "sc://127.0.0.1:15002";
/// The environment variable naming the Spark Connect address when the pipeline does not.
pub const SPARK_REMOTE_ENV: &str = "SEGFLOW_SPARK_REMOTE";

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SparkPlan {
    /// `sc://host:port`: `input.spark.remote`, else `SEGFLOW_SPARK_REMOTE`, else the default.
    pub remote: String,
    /// Where Spark writes `01_ingest/`, `02_clean/` and `02_clean_dropped/`; `None`: the
    /// run's output folder.
    pub artifacts: Option<String>,
}

/// The Spark Connect address: the one given, else `SEGFLOW_SPARK_REMOTE` (when set and not
/// empty), else the local cluster's.
pub fn spark_remote(given: Option<String>) -> String {
    given
        .or_else(|| {
            std::env::var(SPARK_REMOTE_ENV)
                .ok()
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_SPARK_REMOTE.to_string())
}

/// A path as a Spark cluster takes it: a URI as written, a local path made absolute (the
/// cluster does not share our working directory).
pub fn spark_uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    if text.contains("://") {
        return text.into_owned();
    }
    std::path::absolute(path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| text.into_owned())
}

impl InputPlan {
    /// The input as Spark reads it: a URI as written, a local path made absolute (the
    /// cluster does not share our working directory).
    pub fn spark_path(&self) -> String {
        spark_uri(&self.path)
    }

    /// Where the rows come from, for messages: the file, or the query's rows.
    pub fn origin(&self) -> String {
        match &self.postgres {
            Some(pg) => format!("the rows of `{}`", pg.query),
            None => self.path.display().to_string(),
        }
    }

    /// The name in the file of the column the plan calls `name` (before `input.rename`).
    pub fn original_name<'a>(&'a self, name: &'a str) -> &'a str {
        let from = self.rename.iter().find(|(_, to)| to == name);
        from.map_or(name, |(from, _)| from.as_str())
    }

    /// Whether the input is read by Spark (and not from this machine's disk by segflow).
    pub fn on_spark(&self) -> Option<&SparkPlan> {
        match &self.engine {
            Engine::Spark(s) => Some(s),
            Engine::Local | Engine::Streaming => None,
        }
    }
}

/// `input.engine` and `input.spark`.
fn engine_from_raw(
    rin: &RawInput,
    kind: &InputKind,
    format: &Format,
    src: &Source,
) -> Result<Engine> {
    let word = pick(
        src,
        &["input", "engine"],
        rin.engine.as_deref().unwrap_or("local"),
        &["local", "streaming", "spark"],
    )?;
    if word != "spark" && rin.spark.is_some() {
        return Err(src.error_at(
            &["input", "spark"],
            "input.spark configures the Spark engine: add `engine: spark`",
        ));
    }
    match word {
        "local" => return Ok(Engine::Local),
        "streaming" => return streaming(rin, kind, format, src),
        _ => {}
    }
    if *kind == InputKind::Customers {
        return Err(src.error_at(
            &["input", "engine"],
            "input.engine: spark runs the invoice-line work (input.kind: transactions); a customer table is read on this machine",
        ));
    }
    if *format == Format::Whitespace {
        return Err(src.error_at(
            &["input", "delimiter"],
            "the Spark engine reads Parquet and delimited text; `delimiter: whitespace` is read on this machine only",
        ));
    }
    if let Format::Sheet { .. } = format {
        return Err(src.error_at(
            &["input", "path"],
            "the Spark engine reads Parquet and delimited text; a spreadsheet is read on this machine only (`engine: local`)",
        ));
    }
    let spark = rin.spark.clone().unwrap_or_default();
    let remote = spark_remote(spark.remote);
    if !remote.starts_with("sc://") {
        return Err(src.error_at(
            &["input", "spark", "remote"],
            format!("the Spark Connect address must look like sc://host:15002, got `{remote}`"),
        ));
    }
    Ok(Engine::Spark(SparkPlan {
        remote,
        artifacts: spark.artifacts,
    }))
}

/// `input.engine: streaming`: invoice lines in a Parquet file or an uncompressed CSV/TSV
/// file with a header line.
fn streaming(rin: &RawInput, kind: &InputKind, format: &Format, src: &Source) -> Result<Engine> {
    let refuse = |key: &str, why: &str| {
        Err(src.error_at(
            &["input", key],
            format!("input.engine: streaming {why}; use `engine: local` for it"),
        ))
    };
    if *kind == InputKind::Customers {
        return refuse(
            "engine",
            "streams invoice lines (input.kind: transactions); a customer table is read in memory",
        );
    }
    if *format == Format::Whitespace {
        return refuse(
            "delimiter",
            "reads Parquet and delimited text, not `delimiter: whitespace`",
        );
    }
    if let Format::Sheet { .. } = format {
        return refuse(
            "path",
            "reads Parquet and delimited text; a spreadsheet is read in memory",
        );
    }
    if rin.header == Some(false) {
        return refuse("header", "reads files with a header line");
    }
    if rin.path.to_ascii_lowercase().ends_with(".gz") {
        return refuse(
            "path",
            "reads uncompressed files (gzip cannot be read in parts)",
        );
    }
    Ok(Engine::Streaming)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum InputKind {
    Customers,
    Transactions(Box<TxColumns>),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InputPlan {
    pub path: PathBuf,
    pub kind: InputKind,
    pub format: Format,
    /// The customer id column (after renames). `None`: rows are numbered from 1 as `row_id`.
    pub id: Option<String>,
    /// Original name → new name.
    pub rename: Vec<(String, String)>,
    /// The column names of a file without a header line (`input.header: false`).
    pub names: Option<Vec<String>>,
    pub engine: Engine,
    /// Invoice lines outside this period are dropped with their reason (`input.window`).
    pub window: Option<Window>,
    /// The decimal mark of a text file's numbers (`input.decimal`); `None`: decided by the
    /// values (see [`crate::numbers`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal: Option<Decimal>,
    /// Rows from PostgreSQL (`input.postgres`): `path` is then the Parquet file the run
    /// writes them to (`source.parquet` in the output folder) before ingest reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<super::postgres::PgSource>,
}

/// A period of invoice dates, both ends included; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl Window {
    /// "2011-01-01 to 2011-06-30", "from 2011-01-01", "to 2011-06-30".
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("{f} to {t}"),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("to {t}"),
            (None, None) => "all dates".into(),
        }
    }
}

/// `input.window`: dates like 2011-01-01, `from` not after `to`, invoice lines only.
fn window_from_raw(rin: &RawInput, kind: &InputKind, src: &Source) -> Result<Option<Window>> {
    let Some(w) = &rin.window else {
        return Ok(None);
    };
    let at = |k: &'static str| ["input", "window", k];
    let date = |v: &Option<String>, k: &'static str| -> Result<Option<chrono::NaiveDate>> {
        v.as_deref()
            .map(|s| {
                chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                    src.error_at(
                        &at(k),
                        format!("input.window.{k} must be a date like 2011-01-01, got `{s}`"),
                    )
                })
            })
            .transpose()
    };
    let window = Window {
        from: date(&w.from, "from")?,
        to: date(&w.to, "to")?,
    };
    if *kind == InputKind::Customers {
        return Err(src.error_at(
            &["input", "window"],
            "input.window selects invoice lines by date: set input.kind: transactions",
        ));
    }
    match (window.from, window.to) {
        (None, None) => Err(src.error_at(
            &["input", "window"],
            "input.window needs `from`, `to` or both",
        )),
        (Some(f), Some(t)) if f > t => Err(src.error_at(
            &["input", "window"],
            format!("input.window.from ({f}) is after input.window.to ({t})"),
        )),
        _ => Ok(Some(window)),
    }
}

impl InputPlan {
    /// The id column after renames: the customer column of invoice lines, else the
    /// configured id, else [`ROW_ID`].
    pub fn id_column(&self) -> &str {
        match &self.kind {
            InputKind::Transactions(tx) => &tx.customer,
            InputKind::Customers => self.id.as_deref().unwrap_or(ROW_ID),
        }
    }
}

/// `csv`, `tsv`, `parquet` or `xlsx` (any spreadsheet), from a file extension (lower case).
pub fn format_for_extension(ext: &str) -> &'static str {
    match ext {
        "parquet" | "pq" => "parquet",
        "tsv" | "tab" => "tsv",
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => "xlsx",
        _ => "csv",
    }
}

/// The reading format of a file from its extension: Parquet, TSV, or CSV with a sniffed
/// delimiter.
pub fn infer_format(path: &std::path::Path) -> Format {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match format_for_extension(&ext) {
        "parquet" => Format::Parquet,
        "xlsx" => Format::Sheet { sheet: None },
        "tsv" => Format::Csv {
            delimiter: Some(b'\t'),
        },
        _ => Format::Csv { delimiter: None },
    }
}

/// `input.kind` and, for invoice lines, `input.columns`.
fn kind_from_raw(rin: &RawInput, src: &Source) -> Result<InputKind> {
    Ok(
        match pick(
            src,
            &["input", "kind"],
            rin.kind.as_deref().unwrap_or("customers"),
            &["customers", "transactions"],
        )? {
            "customers" => {
                if rin.columns.is_some() {
                    return Err(src.error_at(
                        &["input", "columns"],
                        "input.columns maps transaction columns: set input.kind: transactions",
                    ));
                }
                InputKind::Customers
            }
            _ => {
                let c = rin.columns.clone().ok_or_else(|| {
                src.error_at(&["input", "kind"], "input.kind: transactions needs input.columns (customer, date, and quantity + price or amount; invoice if the lines have one)")
            })?;
                if c.amount.is_none() && (c.quantity.is_none() || c.price.is_none()) {
                    return Err(src.error_at(
                        &["input", "columns"],
                        "input.columns needs `amount`, or both `quantity` and `price`",
                    ));
                }
                InputKind::Transactions(Box::new(TxColumns {
                    customer: c.customer,
                    invoice: c.invoice,
                    date: c.date,
                    date_format: c.date_format,
                    quantity: c.quantity,
                    price: c.price,
                    amount: c.amount,
                    product: c.product,
                    category: c.category,
                    country: c.country,
                }))
            }
        },
    )
}

/// `input.header` and `input.names`: the column names of a file without a header line.
fn header_names(rin: &RawInput, format: &Format, src: &Source) -> Result<Option<Vec<String>>> {
    let names = match (rin.header.unwrap_or(true), &rin.names) {
        (true, None) => return Ok(None),
        (true, Some(_)) => return Err(src.error_at(
            &["input", "names"],
            "input.names names the columns of a file without a header line: add `header: false`",
        )),
        (false, None) => {
            return Err(src.error_at(
                &["input", "header"],
                "input.header: false needs input.names, the column names in file order",
            ))
        }
        (false, Some(names)) => names,
    };
    if *format == Format::Parquet {
        return Err(src.error_at(
            &["input", "header"],
            "input.header and input.names apply to text files; a Parquet file names its columns",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if n.trim().is_empty() || !seen.insert(n.as_str()) {
            return Err(src.error_at(
                &["input", "names"],
                format!("input.names must be distinct and not empty; `{n}` is not"),
            ));
        }
    }
    Ok(Some(names.clone()))
}

/// `input.decimal`: `.` or `,`, for text files read on this machine.
fn decimal_from_raw(
    rin: &RawInput,
    format: &Format,
    engine: &Engine,
    src: &Source,
) -> Result<Option<Decimal>> {
    let Some(word) = rin.decimal.as_deref() else {
        return Ok(None);
    };
    let at = &["input", "decimal"];
    let decimal = match word.trim() {
        "." => Decimal::Point,
        "," => Decimal::Comma,
        other => {
            return Err(src.error_at(
                at,
                format!("input.decimal is the decimal mark of the file's numbers, `.` or `,`; got `{other}`"),
            ))
        }
    };
    if *format == Format::Parquet {
        return Err(src.error_at(
            at,
            "input.decimal applies to text files; a Parquet file's numbers are typed",
        ));
    }
    if let Engine::Spark(_) = engine {
        return Err(src.error_at(
            at,
            "input.decimal is read by the local and streaming engines; Spark reads numbers with a decimal point only: use `engine: streaming`, or export the file with decimal points",
        ));
    }
    Ok(Some(decimal))
}

/// `input.format`, `input.delimiter` and `input.sheet`: how the file is read.
fn format_from_raw(rin: &RawInput, src: &Source) -> Result<Format> {
    let ext = rin
        .path
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format_word = match &rin.format {
        Some(f) => pick(
            src,
            &["input", "format"],
            f,
            &["csv", "tsv", "parquet", "xlsx"],
        )?,
        None => format_for_extension(&ext),
    };
    match (format_word, &rin.sheet) {
        ("xlsx", _) if rin.delimiter.is_some() || rin.decimal.is_some() => {
            let key = if rin.delimiter.is_some() {
                "delimiter"
            } else {
                "decimal"
            };
            return Err(src.error_at(
                &["input", key],
                format!("input.{key} applies to text files; a spreadsheet's cells are typed"),
            ));
        }
        ("xlsx", sheet) => {
            return Ok(Format::Sheet {
                sheet: sheet.clone(),
            })
        }
        (_, Some(_)) => return Err(src.error_at(
            &["input", "sheet"],
            "input.sheet names a sheet of a spreadsheet (.xlsx, .xls, .ods); this input is not one",
        )),
        _ => {}
    }
    let whitespace = rin
        .delimiter
        .as_deref()
        .is_some_and(|d| d.trim().eq_ignore_ascii_case("whitespace"));
    let delimiter = match &rin.delimiter {
        Some(_) if whitespace => None,
        Some(d) => {
            let d = match d.as_str() {
                "\\t" | "tab" => "\t",
                other => other,
            };
            if d.len() != 1 {
                return Err(src.error_at(
                    &["input", "delimiter"],
                    format!(
                        "input.delimiter must be a single ASCII character, `tab` or `whitespace`, got `{d}`"
                    ),
                ));
            }
            Some(d.as_bytes()[0])
        }
        None if format_word == "tsv" => Some(b'\t'),
        None => None,
    };
    Ok(match (format_word, whitespace) {
        ("parquet", true) => {
            return Err(src.error_at(
                &["input", "delimiter"],
                "input.delimiter applies to text files; a Parquet file has typed columns",
            ))
        }
        ("parquet", false) => Format::Parquet,
        (_, true) => Format::Whitespace,
        (_, false) => Format::Csv { delimiter },
    })
}

pub(super) fn from_raw(rin: &RawInput, src: &Source) -> Result<InputPlan> {
    let postgres = match &rin.postgres {
        Some(raw) => Some(super::postgres::source_from_raw(rin, raw, src)?),
        None if rin.path.trim().is_empty() => {
            return Err(src.error_at(
                &["input"],
                "input needs `path: <file>` or `postgres: {query: …}`",
            ))
        }
        None => None,
    };
    let path = PathBuf::from(&rin.path);
    // The rows of a query arrive typed, in a Parquet file (see crate::database).
    let format = match postgres {
        Some(_) => Format::Parquet,
        None => format_from_raw(rin, src)?,
    };
    let names = header_names(rin, &format, src)?;
    let mut rename: Vec<(String, String)> = rin
        .rename
        .iter()
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect();
    rename.sort();
    let kind = kind_from_raw(rin, src)?;
    let engine = engine_from_raw(rin, &kind, &format, src)?;
    if postgres.is_some() && matches!(engine, Engine::Spark(_)) {
        return Err(src.error_at(
            &["input", "engine"],
            "input.postgres is read by the local and streaming engines, not yet by Spark",
        ));
    }
    let window = window_from_raw(rin, &kind, src)?;
    let decimal = match postgres {
        Some(_) => None,
        None => decimal_from_raw(rin, &format, &engine, src)?,
    };
    Ok(InputPlan {
        postgres,
        decimal,
        window,
        engine,
        names,
        path,
        kind,
        format,
        id: rin.id.clone(),
        rename,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, BASE, TX};
    use super::{Engine, Format, InputKind, DEFAULT_SPARK_REMOTE};

    fn input(section: &str) -> String {
        BASE.replace("input: {path: d.csv, id: id}\n", section)
    }

    #[test]
    fn formats_and_delimiters() {
        assert_eq!(plan(BASE).input.format, Format::Csv { delimiter: None });
        assert_eq!(
            plan(&input("input: {path: d.txt, delimiter: tab}\n"))
                .input
                .format,
            Format::Csv {
                delimiter: Some(b'\t')
            }
        );
        assert_eq!(
            plan(&input("input: {path: d.txt, delimiter: whitespace}\n"))
                .input
                .format,
            Format::Whitespace
        );
        assert_eq!(
            plan(&input("input: {path: d.pq}\n")).input.format,
            Format::Parquet
        );
        refuses(
            &input("input: {path: d.csv, delimiter: \"::\"}\n"),
            "input.delimiter must be a single ASCII character, `tab` or `whitespace`, got `::`",
        );
        refuses(
            &input("input: {path: d.csv, format: xls}\n"),
            "expected one of `csv`, `tsv`, `parquet`, `xlsx`",
        );
        let plan = plan(&input("input: {path: d.ods, sheet: Kunden}\n"));
        assert_eq!(
            plan.input.format,
            Format::Sheet {
                sheet: Some("Kunden".into())
            }
        );
        refuses(
            &input("input: {path: d.csv, sheet: Kunden}\n"),
            "input.sheet names a sheet of a spreadsheet",
        );
        refuses(
            &input("input: {path: d.parquet, delimiter: whitespace}\n"),
            "input.delimiter applies to text files",
        );
    }

    #[test]
    fn headerless_files_name_their_columns() {
        let p = plan(&input(
            "input: {path: d.txt, header: false, names: [id, a]}\n",
        ));
        assert_eq!(p.input.names.unwrap(), ["id", "a"]);
        refuses(
            &input("input: {path: d.txt, header: false}\n"),
            "input.header: false needs input.names",
        );
        refuses(
            &input("input: {path: d.txt, names: [a]}\n"),
            "add `header: false`",
        );
        refuses(
            &input("input: {path: d.txt, header: false, names: [a, a]}\n"),
            "input.names must be distinct and not empty; `a` is not",
        );
        refuses(
            &input("input: {path: d.parquet, header: false, names: [a]}\n"),
            "apply to text files",
        );
    }

    #[test]
    fn transactions_map_their_columns() {
        let p = plan(TX);
        let InputKind::Transactions(tx) = &p.input.kind else {
            panic!("transactions")
        };
        assert_eq!(
            (tx.invoice.as_deref(), p.input.id_column()),
            (Some("i"), "c")
        );
        let no_invoice = plan(&TX.replace("invoice: i, ", ""));
        let InputKind::Transactions(tx) = &no_invoice.input.kind else {
            panic!("transactions")
        };
        assert_eq!(tx.invoice, None);
        let same = plan(&TX.replace("invoice: i", "invoice: d"));
        let InputKind::Transactions(tx) = &same.input.kind else {
            panic!("transactions")
        };
        assert_eq!(
            tx.invoice_text(),
            None,
            "an invoice that is the date is not read as text"
        );
        refuses(
            &TX.replace(", amount: m", ""),
            "input.columns needs `amount`, or both `quantity` and `price`",
        );
        refuses(
            &TX.replace(
                "  columns: {customer: c, invoice: i, date: d, amount: m}\n",
                "",
            ),
            "input.kind: transactions needs input.columns",
        );
        refuses(
            &input("input: {path: d.csv, columns: {customer: c, date: d, amount: m}}\n"),
            "set input.kind: transactions",
        );
    }

    #[test]
    fn a_window_selects_invoice_lines_by_date() {
        let with = |w: &str| {
            TX.replace(
                "  kind: transactions\n",
                &format!("  kind: transactions\n  window: {w}\n"),
            )
        };
        let p = plan(&with("{from: 2011-01-01, to: 2011-06-30}"));
        let w = p.input.window.unwrap();
        assert_eq!(w.describe(), "2011-01-01 to 2011-06-30");
        assert_eq!(p.clean.transactions.window, Some(w));
        assert_eq!(
            plan(&with("{to: 2011-06-30}"))
                .input
                .window
                .unwrap()
                .describe(),
            "to 2011-06-30"
        );
        refuses(
            &with("{from: 2011-13-01}"),
            "input.window.from must be a date like 2011-01-01, got `2011-13-01`",
        );
        refuses(
            &with("{from: 2011-07-01, to: 2011-06-30}"),
            "input.window.from (2011-07-01) is after input.window.to (2011-06-30)",
        );
        refuses(&with("{}"), "input.window needs `from`, `to` or both");
        refuses(&with("{from: 2011-01-01, until: 2011-02-01}"), "until");
        refuses(
            &BASE.replace("id: id}", "id: id, window: {from: 2011-01-01}}"),
            "input.window selects invoice lines by date: set input.kind: transactions",
        );
        let spark = plan(&with("{from: 2011-01-01}\n  engine: spark"));
        assert!(spark.input.window.is_some());
    }

    #[test]
    fn the_spark_engine_runs_invoice_lines() {
        assert_eq!(plan(TX).input.engine, Engine::Local);
        let spark = |extra: &str| {
            TX.replace(
                "  kind: transactions\n",
                &format!("  kind: transactions\n{extra}"),
            )
        };
        let p = plan(&spark("  engine: spark\n"));
        let Engine::Spark(s) = &p.input.engine else {
            panic!("spark")
        };
        if std::env::var_os("SEGFLOW_SPARK_REMOTE").is_none() {
            assert_eq!(s.remote, DEFAULT_SPARK_REMOTE);
        }
        assert_eq!(s.artifacts, None);
        let p = plan(&spark(
            "  engine: spark\n  spark: {remote: \"sc://spark.example:443/;use_ssl=true\", artifacts: \"s3a://b/runs\"}\n",
        ));
        let Engine::Spark(s) = &p.input.engine else {
            panic!("spark")
        };
        assert_eq!(s.remote, "sc://spark.example:443/;use_ssl=true");
        assert_eq!(s.artifacts.as_deref(), Some("s3a://b/runs"));
        refuses(
            &spark("  engine: spark\n  spark: {remote: \"http://h:15002\"}\n"),
            "must look like sc://host:15002, got `http://h:15002`",
        );
        refuses(
            &spark("  spark: {remote: \"sc://h\"}\n"),
            "input.spark configures the Spark engine: add `engine: spark`",
        );
        refuses(
            &spark("  engine: spark\n  delimiter: whitespace\n"),
            "`delimiter: whitespace` is read on this machine only",
        );
        refuses(
            &input("input: {path: d.csv, id: id, engine: spark}\n"),
            "a customer table is read on this machine",
        );
        refuses(
            &spark("  engine: flink\n"),
            "expected one of `local`, `streaming`, `spark`",
        );
    }
}
