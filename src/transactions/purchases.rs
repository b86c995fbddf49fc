//! Each customer's purchase days, from the cleaned lines: what the purchase models of
//! `predict` read (x, t_x, T, the value of repeat purchases), read in parts in file order:
//! the lines of `01_ingest.parquet` the clean rules keep, or Spark's clean dataset. A
//! purchase day is a day with at least one line that counts as an order (a cancellation
//! kept under `net` does not); each day's amount is the net amount of all its lines, summed
//! in line order.
//!
//! Only the columns the days and the rules need are read. Customers are split between threads by their
//! id; each thread folds its customers' lines in file order, so the sums are the same on
//! any thread count.

use std::path::PathBuf;

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::aggregated::AMOUNT;
use super::fold::{by_owner, each_part, id_column, keys, part, per_thread, Kahan, Key};
use crate::config::{TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::Result;

const DAY_MS: i64 = 86_400_000;

/// One day of a customer's lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    /// Days since 1970-01-01.
    pub day: i64,
    /// The net amount of the day's lines.
    pub amount: f64,
    /// Whether a line that day counts as an order.
    pub purchase: bool,
}

/// Every customer's days, customers sorted by id.
pub struct Purchases {
    /// The customer column (its input type), sorted.
    pub ids: Column,
    /// Each customer's days, in date order.
    pub days: Vec<Vec<Day>>,
    /// The last day of any line.
    pub last_day: Option<i64>,
}

/// A day being summed: the day (days since 1970-01-01; 24 bytes instead of 32 with an i64:
/// a hundred million lines hold tens of millions of them), the amount so far, whether a
/// line counts as an order.
type Open = (i32, Kahan, bool);

/// One thread's customers: each one's days so far, sorted by day.
#[derive(Default)]
struct Histories {
    index: FxHashMap<Key, usize>,
    days: Vec<Vec<Open>>,
    last_day: Option<i64>,
}

impl Histories {
    /// Folds the lines `mine` selects, in order.
    fn add(&mut self, d: &DataFrame, keys: &[Key], mine: impl Fn(usize) -> bool) -> Result<()> {
        let amount = d.column(AMOUNT)?.f64()?;
        let ms = d.column("__ms")?.i64()?;
        let counts = d.column("__counts")?.bool()?;
        for (i, key) in keys.iter().enumerate().filter(|(i, _)| mine(*i)) {
            let c = match self.index.get(key) {
                Some(&c) => c,
                None => {
                    self.index.insert(key.clone(), self.days.len());
                    self.days.push(Vec::new());
                    self.days.len() - 1
                }
            };
            let Some(m) = ms.get(i) else { continue };
            let day = m.div_euclid(DAY_MS);
            self.last_day = Some(self.last_day.map_or(day, |l| l.max(day)));
            let day = i32::try_from(day).map_err(|_| {
                data_err!("a line is dated {day} days from 1970-01-01: beyond any calendar")
            })?;
            let acc = open(&mut self.days[c], day);
            if let Some(a) = amount.get(i) {
                acc.1.add(a);
            }
            acc.2 |= counts.get(i) == Some(true);
        }
        Ok(())
    }
}

/// The entry of `day` in `days` (sorted by day), added where it belongs if new. Lines
/// mostly come in date order: the last entry is tried first.
fn open(days: &mut Vec<Open>, day: i32) -> &mut Open {
    let at = match days.last() {
        Some(last) if last.0 == day => days.len() - 1,
        Some(last) if last.0 < day => {
            days.push((day, Kahan::default(), false));
            days.len() - 1
        }
        None => {
            days.push((day, Kahan::default(), false));
            0
        }
        Some(_) => match days.binary_search_by_key(&day, |d| d.0) {
            Ok(at) => at,
            Err(at) => {
                days.insert(at, (day, Kahan::default(), false));
                at
            }
        },
    };
    &mut days[at]
}

/// Where the lines of the purchase days are.
pub enum Lines {
    /// The ingest artifact: the clean stage's rules are applied to it as it is read.
    Ingested(PathBuf),
    /// The kept lines (Spark's clean dataset, a folder of parts).
    Kept(PathBuf),
}

/// Reads the cleaned lines in parts and gathers each customer's days.
pub fn read(lines: &Lines, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Purchases> {
    let (Lines::Ingested(path) | Lines::Kept(path)) = lines;
    let first = &super::fold::parquet_files(path)?[0];
    let schema = part(first, 0, 0)?;
    let dtype = schema.column(&tx.customer)?.dtype().clone();
    let ingested = matches!(lines, Lines::Ingested(_));
    let mut columns = needed(tx, clean);
    if ingested {
        for c in super::lines::rule_columns(tx, clean) {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    gather(&tx.customer, &dtype, |fold| {
        each_part(
            path,
            Some(columns),
            |lines| match ingested {
                true => day_columns(super::lines::kept(lines, tx, clean)?, tx, clean),
                false => day_columns(lines, tx, clean),
            },
            fold,
        )
    })
}

/// Each customer's days of cleaned lines in memory, as [`read`] gathers them from a file.
pub fn of_lines(lines: &DataFrame, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Purchases> {
    let dtype = lines.column(&tx.customer)?.dtype().clone();
    let d = day_columns(lines.clone(), tx, clean)?;
    let customers = keys(d.column("__customer")?)?;
    gather(&tx.customer, &dtype, |fold| fold(&d, customers))
}

/// A fold of lines: each part's day columns and customer keys, in line order.
type Fold<'a> = dyn FnMut(&DataFrame, Vec<Key>) -> Result<()> + 'a;

/// The days of the lines `feed` hands to its fold, customers sorted by id (`customer`, of
/// type `dtype`).
fn gather(
    customer: &str,
    dtype: &DataType,
    feed: impl FnOnce(&mut Fold) -> Result<()>,
) -> Result<Purchases> {
    let mut parts: Vec<Histories> = per_thread();
    feed(&mut |d, keys| by_owner(&mut parts, &keys, |h, mine| h.add(d, &keys, mine)))?;
    let last_day = parts.iter().filter_map(|h| h.last_day).max();
    let mut all: Vec<(Key, Vec<Open>)> = parts
        .into_iter()
        .flat_map(|h| {
            let mut days: Vec<Option<Vec<Open>>> = h.days.into_iter().map(Some).collect();
            h.index
                .into_iter()
                .map(move |(k, c)| (k, days[c].take().unwrap_or_default()))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let (keys, open): (Vec<Key>, Vec<Vec<Open>>) = all.into_iter().unzip();
    // Each customer's open days are freed as they are turned into days.
    let days = open
        .into_iter()
        .map(|d| {
            d.into_iter()
                .map(|(day, sum, purchase)| Day {
                    day: day as i64,
                    amount: sum.sum,
                    purchase,
                })
                .collect()
        })
        .collect();
    Ok(Purchases {
        ids: id_column(customer, keys.iter(), dtype)?,
        days,
        last_day,
    })
}

/// The input columns the days are computed from.
fn needed(tx: &TxColumns, clean: &TxCleanPlan) -> Vec<String> {
    let mut columns = vec![tx.customer.clone(), tx.date.clone()];
    columns.extend(
        [&tx.amount, &tx.quantity, &tx.price]
            .into_iter()
            .flatten()
            .cloned(),
    );
    if clean.net {
        columns.extend(tx.invoice_text().map(str::to_string));
    }
    let mut unique: Vec<String> = Vec::new();
    for c in columns {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    unique
}

/// The customer, the line's amount, its time in milliseconds and whether it counts as an
/// order, computed as [`super::fold`]'s derived columns are.
fn day_columns(lines: DataFrame, tx: &TxColumns, clean: &TxCleanPlan) -> Result<DataFrame> {
    let cancelled = match (clean.net, tx.invoice_text()) {
        (true, Some(_)) => super::lines::cancelled(tx, clean)?.unwrap_or(lit(false)),
        _ => lit(false),
    };
    Ok(lines
        .lazy()
        .select([
            col(tx.customer.as_str()).alias("__customer"),
            super::lines::amount_expr(tx)?.alias(AMOUNT),
            col(tx.date.as_str())
                .dt()
                .timestamp(TimeUnit::Milliseconds)
                .alias("__ms"),
            cancelled.not().fill_null(lit(false)).alias("__counts"),
        ])
        .collect()?)
}
