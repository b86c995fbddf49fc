//! Invoice lines out of core (`input.engine: streaming`): ingest, the cleaning rules and the
//! per-customer aggregation run on polars' streaming engine, reading the input in parts and
//! writing `01_ingest.parquet`, `02_clean.parquet` and `02_clean_dropped.parquet` (the rows
//! of the first that are kept and dropped) through sinks, so memory is bounded by the
//! customer table, not the number of lines.
//!
//! The lines are typed and cleaned by the same expressions as in memory ([`lines::typing`],
//! [`lines::rules`]) and aggregated by the same query ([`rfm::aggregate_lazy`]); the rows of
//! every artifact are those of the in-memory engine, in the same order.

use std::path::Path;

use polars::prelude::*;

use super::{Dataset, Event, LineWork};
use crate::artifacts::{copy_file, sha256_file};
use crate::config::{Format, InputKind, InputPlan, Plan, TxColumns};
use crate::data_err;
use crate::error::{Error, Result};
use crate::numbers::{self, Decimal, Reading};
use crate::stages::files::DROPPED;
use crate::stages::Stage;
use crate::transactions::aggregated::Aggregated;
use crate::transactions::{fold, lines};

/// Runs ingest and clean, then aggregates the cleaned lines per customer, unless `until`
/// stops earlier.
pub fn line_work(
    plan: &Plan,
    tx: &TxColumns,
    dir: &Path,
    until: Option<Stage>,
    on: &mut dyn FnMut(Event),
) -> Result<LineWork> {
    let mut work = LineWork {
        missing: Vec::new(),
        dropped: Vec::new(),
        aggregated: None,
    };
    on(Event::Started(Stage::Ingest));
    let (ingested, missing) = ingest(&plan.input, tx, dir)?;
    work.missing = missing;
    let lines_read = ingested.rows_out;
    on(Event::Finished(ingested));
    if until.is_some_and(|u| u <= Stage::Ingest) {
        return Ok(work);
    }
    on(Event::Started(Stage::Clean));
    let (cleaned, dropped) = clean(plan, tx, dir, lines_read)?;
    work.dropped = dropped;
    on(Event::Finished(cleaned));
    if until.is_some_and(|u| u <= Stage::Clean) {
        return Ok(work);
    }
    on(Event::Started(Stage::Features));
    work.aggregated = Some(aggregate(plan, tx, dir)?);
    Ok(work)
}

/// The input as polars scans it, renames applied; `as_text`: the columns (as named in the
/// file) read as text besides those of [`text_columns`].
fn scan(input: &InputPlan, as_text: &[String]) -> Result<LazyFrame> {
    let path = PlRefPath::try_from_path(&input.path)?;
    let lf = match &input.format {
        Format::Parquet => LazyFrame::scan_parquet(path, ScanArgsParquet::default())?,
        Format::Csv { delimiter } => {
            let first = crate::stages::ingest::first_line(&input.path)?;
            let sep = delimiter.unwrap_or_else(|| crate::stages::ingest::sniff_delimiter(&first));
            LazyCsvReader::new(path)
                .with_has_header(true)
                .with_infer_schema_length(Some(10_000))
                .with_dtype_overwrite(text_columns(input, as_text))
                .with_separator(sep)
                .finish()?
        }
        Format::Whitespace | Format::Sheet { .. } => {
            return Err(Error::Internal(
                "the streaming engine read a whitespace file or a spreadsheet".into(),
            ))
        }
    };
    let (from, to): (Vec<&str>, Vec<&str>) = input
        .rename
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .unzip();
    Ok(lf.rename(from, to, true))
}

/// Columns read as text: the customer id, as written (`007` is not 7, as on the local
/// engine); with a decimal comma, the quantities, prices and amounts, typed by
/// [`crate::numbers`] (polars would read `1.234` as a fraction); and `as_text`, number
/// columns with a value further down than polars looked (see [`ingest`]). Text dates stay
/// text (no `try_parse_dates`: [`date_format`] decides, not a guess from the first lines).
fn text_columns(input: &InputPlan, as_text: &[String]) -> Option<SchemaRef> {
    let InputKind::Transactions(tx) = &input.kind else {
        return None;
    };
    let numbers = match input.decimal {
        Some(Decimal::Comma) => vec![&tx.quantity, &tx.price, &tx.amount],
        _ => Vec::new(),
    };
    let mut names: Vec<&str> = numbers
        .into_iter()
        .flatten()
        .chain([&tx.customer])
        .map(|c| input.original_name(c))
        .collect();
    names.extend(as_text.iter().map(String::as_str));
    names.sort_unstable();
    names.dedup();
    let fields = names
        .into_iter()
        .map(|c| Field::new(c.into(), DataType::String));
    Some(Arc::new(Schema::from_iter(fields)))
}

/// Customer ids, read as text, as the local engine reads them (`stages::ingest`
/// `keep_ids`): a blank one (`""`, spaces) is missing; integers when every distinct one is
/// written as a plain integer (`17850`, or `17850.0` as spreadsheets write it); `007` and
/// `C-17` stay as written.
fn integer_ids(raw: &LazyFrame, schema: &Schema, tx: &TxColumns) -> Result<Option<Expr>> {
    let c = tx.customer.as_str();
    if schema.get(c) != Some(&DataType::String) {
        return Ok(None);
    }
    let unique = collect(raw.clone().select([col(c).unique()]))?;
    let (mut fraction, mut blank, mut integers) = (false, false, true);
    for v in unique.column(c)?.str()?.iter().flatten() {
        if v.trim().is_empty() {
            blank = true;
            continue;
        }
        match crate::stages::ingest::plain_integer(v) {
            // A zero fraction goes through a float, exact up to 2^53.
            Some(i) if !v.contains('.') || i.unsigned_abs() <= 1 << 53 => {}
            _ => integers = false,
        }
        fraction |= v.contains('.');
    }
    let ids = match blank {
        true => when(col(c).str().strip_chars(lit(NULL)).eq(lit("")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(col(c)),
        false => col(c),
    };
    let ids = match (integers, fraction) {
        (false, _) => ids,
        (true, true) => ids
            .strict_cast(DataType::Float64)
            .strict_cast(DataType::Int64),
        (true, false) => ids.strict_cast(DataType::Int64),
    };
    Ok((blank || integers).then(|| ids.alias(c)))
}

/// How text quantities, prices and amounts are read: the decimal mark (`None`: none of them
/// is text) — `input.decimal`, else a decimal point, once all of their distinct values are
/// checked as the local engine checks them (a comma-only value without the key is refused)
/// — and the columns of whole numbers, which become integers as in memory.
fn text_numbers(
    raw: &LazyFrame,
    schema: &Schema,
    tx: &TxColumns,
    input: &InputPlan,
) -> Result<(Option<Decimal>, Vec<String>)> {
    let (mut any_text, mut whole) = (false, Vec::new());
    for c in [&tx.quantity, &tx.price, &tx.amount].into_iter().flatten() {
        if schema.get(c) != Some(&DataType::String) {
            continue;
        }
        any_text = true;
        let unique = collect(raw.clone().select([col(c.as_str()).unique()]))?;
        let values = unique
            .column(c)?
            .as_materialized_series()
            .sort(SortOptions::default())?;
        let values = values.str()?;
        if values.iter().flatten().all(numbers::is_whole) {
            whole.push(c.clone());
            continue;
        }
        // Plain numbers (`2.55`, from a table's text column) read with either mark's rules.
        let plain = |v: &str| v.trim().is_empty() || numbers::is_plain(v);
        if input.decimal != Some(Decimal::Comma) && values.iter().flatten().all(plain) {
            continue;
        }
        match numbers::decide(values.iter().flatten(), input.decimal) {
            Reading::Numbers(_) => {}
            Reading::Text => {
                return Err(data_err!(
                    "transaction column `{c}` holds text: expected numbers"
                ))
            }
            other => {
                let why = numbers::refusal(c, &other).unwrap_or_default();
                return Err(data_err!("cannot read {}: {why}", input.origin()));
            }
        }
    }
    let decimal = any_text.then(|| input.decimal.unwrap_or(Decimal::Point));
    Ok((decimal, whole))
}

fn scan_file(path: &Path) -> Result<LazyFrame> {
    Ok(LazyFrame::scan_parquet(
        PlRefPath::try_from_path(path)?,
        ScanArgsParquet::default(),
    )?)
}

fn collect(lf: LazyFrame) -> Result<DataFrame> {
    Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// Writes `lf` to `dir/file` through a streaming sink: under a temporary name first, renamed
/// when complete. Returns the file's sha256.
fn sink(lf: LazyFrame, dir: &Path, file: &str) -> Result<String> {
    let tmp = dir.join(format!(".segflow-{file}.tmp"));
    let options = ParquetWriteOptions {
        compression: ParquetCompression::Zstd(Some(polars_parquet::write::ZstdLevel::try_new(3)?)),
        statistics: StatisticsOptions::full(),
        ..ParquetWriteOptions::default()
    };
    let target = SinkTarget::Path(PlRefPath::try_from_path(&tmp)?);
    let written = lf
        .sink(
            SinkDestination::File { target },
            FileWriteFormat::Parquet(Arc::new(options)),
            UnifiedSinkArgs::default(),
        )
        .and_then(|lf| lf.collect_with_engine(Engine::Streaming));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    let path = dir.join(file);
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    sha256_file(&path)
}

/// Ingest: the typed lines, copied when the input is a Parquet file that needs no change.
/// A quantity, price or amount column polars typed from its first lines that a later value
/// breaks (`$1,234.50` after 10,000 plain amounts) is read again as text, typed from all
/// its values as in memory; the common file costs one pass, that one two.
fn ingest(
    input: &InputPlan,
    tx: &TxColumns,
    dir: &Path,
) -> Result<(Dataset, Vec<(String, usize)>)> {
    let numbers: Vec<&str> = [&tx.quantity, &tx.price, &tx.amount]
        .into_iter()
        .flatten()
        .map(|c| input.original_name(c))
        .collect();
    let mut as_text: Vec<String> = Vec::new();
    let (raw, schema, sha) = loop {
        match write_lines(input, tx, dir, &as_text) {
            Err(Error::Polars(p)) => match crate::stages::ingest::late_column(&p) {
                Some(c) if numbers.contains(&c.as_str()) && !as_text.contains(&c) => {
                    as_text.push(c)
                }
                _ => return Err(late_or_date(input, tx, &p)),
            },
            other => break other?,
        }
    };
    let file = Stage::Ingest.artifact();
    let read = Read::of(&scan_file(&dir.join(file))?, &schema, tx)?;
    lines::check_date_range(tx, read.first, read.last, || first_value(&raw, &tx.date))?;
    let (lines_read, missing) = (read.lines, read.missing);
    let dataset = Dataset {
        stage: Stage::Ingest,
        uri: file.to_string(),
        sha256: sha,
        also: Vec::new(),
        rows_in: lines_read,
        rows_out: lines_read,
        note: lines::read_note(read.customers, read.first, read.last),
        cached: false,
    };
    Ok((dataset, missing))
}

/// The lines typed and written to the ingest artifact: the scan, its schema, the sha256.
fn write_lines(
    input: &InputPlan,
    tx: &TxColumns,
    dir: &Path,
    as_text: &[String],
) -> Result<(LazyFrame, SchemaRef, String)> {
    let raw = scan(input, as_text)?;
    let schema = raw.clone().collect_schema()?;
    let fractional = fractional_ids(&raw, &schema, tx)?;
    let format = date_format(&raw, &schema, tx)?;
    let (decimal, whole) = text_numbers(&raw, &schema, tx, input)?;
    let mut exprs = lines::typing(&schema, tx, format.as_deref(), fractional, decimal, || {
        first_value(&raw, &tx.date)
    })?;
    exprs.extend(integer_ids(&raw, &schema, tx)?);
    let integers = whole
        .iter()
        .map(|c| col(c.as_str()).strict_cast(DataType::Int64));
    let typed = raw
        .clone()
        .with_columns(exprs)
        .with_columns(integers.collect::<Vec<_>>());
    let unchanged = input.format == Format::Parquet
        && input.rename.is_empty()
        && *typed.clone().collect_schema()? == *schema;
    let file = Stage::Ingest.artifact();
    let sha = match unchanged {
        true => copy_file(&input.path, &dir.join(file))?,
        false => sink(typed, dir, file)?,
    };
    Ok((raw, schema, sha))
}

/// Whether float customer ids hold a fraction (then they stay as they are).
fn fractional_ids(raw: &LazyFrame, schema: &Schema, tx: &TxColumns) -> Result<bool> {
    let c = tx.customer.as_str();
    if !schema.get(c).is_some_and(|dt| dt.is_float()) {
        return Ok(false);
    }
    let any = col(c).neq(col(c).floor()).any(true);
    let found = collect(raw.clone().select([any]))?;
    Ok(found.column(c)?.bool()?.get(0) == Some(true))
}

/// A typing failure in words: a value further down than polars looked, or a date.
fn late_or_date(input: &InputPlan, tx: &TxColumns, p: &PolarsError) -> Error {
    match crate::stages::ingest::late_value(p) {
        Some(why) => data_err!(
            "cannot read {}: {why}; the streaming engine types a column from its first 10,000 lines (engine: local reads it from all of them)",
            input.origin()
        ),
        None => lines::date_error(tx, p),
    }
}

/// What the ingest artifact holds: lines, distinct customers, the first and last date, and
/// each input column's missing values.
struct Read {
    lines: usize,
    customers: usize,
    first: Option<i64>,
    last: Option<i64>,
    missing: Vec<(String, usize)>,
}

impl Read {
    fn of(written: &LazyFrame, schema: &Schema, tx: &TxColumns) -> Result<Read> {
        let ms = || col(tx.date.as_str()).cast(DataType::Int64);
        let mut counts = vec![
            len().alias("__lines"),
            col(tx.customer.as_str())
                .drop_nulls()
                .n_unique()
                .alias("__customers"),
            ms().min().alias("__first"),
            ms().max().alias("__last"),
        ];
        counts.extend(schema.iter_names().map(|n| col(n.as_str()).null_count()));
        let stats = collect(written.clone().select(counts))?;
        let number = |c: &str| -> Result<usize> {
            Ok(stats
                .column(c)?
                .cast(&DataType::UInt64)?
                .u64()?
                .get(0)
                .unwrap_or(0) as usize)
        };
        let date = |c: &str| -> Result<Option<i64>> { Ok(stats.column(c)?.i64()?.get(0)) };
        Ok(Read {
            lines: number("__lines")?,
            customers: number("__customers")?,
            first: date("__first")?,
            last: date("__last")?,
            missing: schema
                .iter_names()
                .map(|n| Ok((n.to_string(), number(n)?)))
                .collect::<Result<Vec<_>>>()?,
        })
    }
}

/// The date column's format when it is text or whole numbers, decided from its distinct
/// values as in memory (so every value fits it), and the first and last date it reads.
fn date_format(raw: &LazyFrame, schema: &Schema, tx: &TxColumns) -> Result<Option<String>> {
    let Some(dt) = schema.get(&tx.date) else {
        return Ok(None);
    };
    if !(dt == &DataType::String || dt.is_primitive_numeric()) {
        return Ok(None);
    }
    if dt == &DataType::String && tx.date_format.is_none() {
        if let Some(only) = sole_reader(raw, &tx.date)? {
            return Ok(Some(only));
        }
    }
    let unique = collect(raw.clone().select([col(tx.date.as_str()).unique()]))?;
    // In the order of the values (the first that does not fit is the example in the message).
    let values = &unique
        .column(&tx.date)?
        .as_materialized_series()
        .sort(SortOptions::default())?;
    if dt.is_primitive_numeric() {
        return lines::numeric_date_format(tx, values);
    }
    lines::date_format(tx, values.str()?.iter().flatten())
}

/// The one known format that reads the dates of the first 100,000 lines, when only one
/// does: then it is the format all the values decide (no other reads them all), and a later
/// value it does not read is refused by name when the lines are typed. The distinct values
/// of a whole column cost seconds and hundreds of MiB at tens of millions of lines.
fn sole_reader(raw: &LazyFrame, date: &str) -> Result<Option<String>> {
    let head = raw.clone().limit(100_000).select([col(date).unique()]);
    let head = collect(head)?;
    let values: Vec<&str> = head
        .column(date)?
        .str()?
        .iter()
        .flatten()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let Ok(mut formats) = crate::dates::readers(&values) else {
        return Ok(None);
    };
    // `…%S` and `…%S%.f` read a value both read alike (`%.f` may read no fraction): the
    // second reads all the first does.
    let with_fraction = |f: &String| f.replacen(":%S", ":%S%.f", 1);
    let all = formats.clone();
    formats.retain(|f| !all.iter().any(|g| g != f && **g == with_fraction(f)));
    Ok(match formats[..] {
        [only] if !values.is_empty() => Some(only.clone()),
        _ => None,
    })
}

/// The first non-missing value of a column, as written, for messages.
fn first_value(lf: &LazyFrame, name: &str) -> String {
    let first = lf
        .clone()
        .select([col(name).drop_nulls().first().cast(DataType::String)]);
    collect(first)
        .ok()
        .and_then(|df| df.column(name).ok()?.str().ok()?.get(0).map(str::to_string))
        .unwrap_or_default()
}

/// Clean: the rows of the kept lines, and of the dropped ones with the first rule each
/// breaks, as the in-memory engine gives them.
fn clean(
    plan: &Plan,
    tx: &TxColumns,
    dir: &Path,
    lines_read: usize,
) -> Result<(Dataset, Vec<(String, usize)>)> {
    let rules = lines::rules(tx, &plan.clean.transactions);
    let any = lines::broken(&rules);
    let reason = rules
        .iter()
        .rev()
        .fold(lit(NULL).cast(DataType::String), |rest, (cond, why)| {
            when(cond.clone().fill_null(lit(false)))
                .then(lit(why.as_str()))
                .otherwise(rest)
        });
    let lines = scan_file(&dir.join(Stage::Ingest.artifact()))?;
    let file = Stage::Clean.artifact();
    // The kept lines' rows of the ingest artifact, as in memory (`lines::INGEST_ROW`).
    let selection = lines
        .clone()
        .with_row_index(lines::INGEST_ROW, None)
        .filter(any.clone().not())
        .select([col(lines::INGEST_ROW)]);
    let kept_sha = sink(selection, dir, file)?;
    let dropped = lines
        .with_row_index(lines::INGEST_ROW, None)
        .filter(any)
        .select([col(lines::INGEST_ROW), reason.alias("reason")]);
    let dropped_sha = sink(dropped, dir, DROPPED)?;
    let per_reason = collect(
        scan_file(&dir.join(DROPPED))?
            .group_by([col("reason")])
            .agg([len().alias("n")]),
    )?;
    let mut counts: Vec<(String, usize)> = rules.iter().map(|(_, why)| (why.clone(), 0)).collect();
    for (why, n) in per_reason
        .column("reason")?
        .str()?
        .iter()
        .zip(per_reason.column("n")?.idx()?.iter())
    {
        if let Some(c) = counts.iter_mut().find(|(w, _)| Some(w.as_str()) == why) {
            c.1 = n.unwrap_or(0) as usize;
        }
    }
    let dropped: usize = counts.iter().map(|c| c.1).sum();
    if dropped == lines_read {
        return Err(data_err!(
            "no transaction lines are left after cleaning ({dropped} dropped: {}): nothing to segment",
            lines::describe(&counts)
        ));
    }
    let dataset = Dataset {
        stage: Stage::Clean,
        uri: file.to_string(),
        sha256: kept_sha,
        also: vec![(DROPPED.to_string(), dropped_sha)],
        rows_in: lines_read,
        rows_out: lines_read - dropped,
        note: lines::drop_note(&counts),
        cached: false,
    };
    Ok((dataset, counts))
}

/// The per-customer aggregation of the cleaned lines, read in parts in file order.
fn aggregate(plan: &Plan, tx: &TxColumns, dir: &Path) -> Result<Aggregated> {
    fold::aggregate(
        &dir.join(Stage::Ingest.artifact()),
        tx,
        &plan.clean.transactions,
    )
}
