//! The per-customer aggregation of cleaned lines read from a Parquet file in parts, in file
//! order: memory holds one part and one accumulator per customer (and per customer and
//! order), never the lines.
//!
//! Sums are compensated (Kahan) sums in line order, the way polars sums a group in memory,
//! so the result is the same, bit for bit, as [`super::rfm::aggregate`] on the whole table,
//! on any thread count. (polars' streaming group-by adds partial sums in whatever order its
//! threads finish: a last-bit difference from run to run, which a reproducible artifact
//! cannot have.)

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::aggregated::{Aggregated, AMOUNT, FIRST, ITEMS, LAST};
use super::chunks::{self, Columns};
use super::lines::amount_expr;
use crate::config::{TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::{Error, Result};

/// Lines read per part.
const PART_ROWS: usize = 1 << 20;
const DAY_MS: i64 = 86_400_000;

/// polars' compensated sum (`polars_utils::kahan_sum::KahanSum`), step for step.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Kahan {
    pub(super) sum: f64,
    err: f64,
}

impl Kahan {
    pub(super) fn add(&mut self, x: f64) {
        let y = x - self.err;
        let new_sum = self.sum + y;
        let new_err = (new_sum - self.sum) - y;
        self.sum = new_sum;
        if new_err.is_finite() {
            self.err = new_err;
        }
    }
}

/// A customer id: whole numbers or text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key {
    Int(i64),
    Text(String),
}

impl Key {
    /// A number to split customers between threads by.
    pub(super) fn spread(&self) -> usize {
        match self {
            Key::Int(i) => spread_int(*i),
            Key::Text(t) => spread_text(t),
        }
    }
}

/// A number to split customers between threads by, of a whole-number id.
pub(super) fn spread_int(i: i64) -> usize {
    ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize
}

/// A number to split customers between threads by, of a text id.
pub(super) fn spread_text(t: &str) -> usize {
    let h = t.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    spread_int(h as i64)
}

/// What identifies an order: the invoice as text, or the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Order {
    Invoice(Option<String>),
    Day(Option<i64>),
}

#[derive(Debug, Default)]
struct Acc {
    first: Option<i64>,
    last: Option<i64>,
    monetary: Kahan,
    items: Kahan,
    /// The country of the earliest line (the first such line on ties).
    country: Option<(i64, Option<String>)>,
    /// Distinct orders, once [`Fold::count_orders`] has counted them.
    orders: usize,
}

#[derive(Default)]
struct Fold {
    index: FxHashMap<Key, usize>,
    accs: Vec<Acc>,
    orders: FxHashSet<(usize, Order)>,
    by_category: HashMap<(usize, Option<String>), Kahan>,
    /// The order of the line before.
    previous: Option<(usize, Order)>,
}

/// Aggregates per customer the lines of the ingest artifact `path` the clean rules keep:
/// the same table as [`super::rfm::aggregate`] of the kept lines.
pub fn aggregate(path: &Path, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Aggregated> {
    let total = part(path, 0, 0)?;
    let customer_dtype = total.column(&tx.customer)?.dtype().clone();
    let mut folds: Vec<Fold> = per_thread();
    in_parts(path, tx, clean, |d, keys| {
        by_owner(&mut folds, &keys, |f, mine| f.add(d, &keys, mine))
    })?;
    let mut all = Fold::default();
    for f in folds {
        all.merge(f);
    }
    all.finish(tx, &customer_dtype)
}

/// One accumulator per thread (at most 16), for [`by_owner`].
pub(super) fn per_thread<A: Default>() -> Vec<A> {
    let threads = rayon::current_num_threads().clamp(1, 16);
    (0..threads).map(|_| A::default()).collect()
}

/// Customers are split between the accumulators by their id; each folds its customers'
/// lines of the part (`add` with the lines it owns) in file order, in parallel, so the sums
/// do not depend on the number of threads.
pub(super) fn by_owner<A: Send>(
    accs: &mut [A],
    keys: &[Key],
    add: impl Fn(&mut A, &dyn Fn(usize) -> bool) -> Result<()> + Sync,
) -> Result<()> {
    let n = accs.len();
    let owner: Vec<usize> = keys.iter().map(|k| k.spread() % n).collect();
    accs.par_iter_mut()
        .enumerate()
        .try_for_each(|(t, a)| add(a, &|i| owner[i] == t))
}

/// Reads the lines of the ingest artifact at `path` in parts, in file order, keeps those the
/// clean rules keep, and hands each part's [`derived`] columns and customer keys to `f`.
pub(super) fn in_parts(
    path: &Path,
    tx: &TxColumns,
    clean: &TxCleanPlan,
    f: impl FnMut(&DataFrame, Vec<Key>) -> Result<()>,
) -> Result<()> {
    let columns = super::lines::mapped(part(path, 0, 0)?.get_column_names(), tx);
    let kept = |lines| derived(super::lines::kept(lines, tx, clean)?, tx, clean);
    each_part(path, Some(columns), kept, f)
}

/// Reads `columns` (all: `None`) of the lines at `path` in parts, in file order, and hands
/// each part's `derive`d columns (with `__customer`) and customer keys to `f`. `path` is a
/// Parquet file or a folder of them (a dataset Spark wrote: its part files in name order).
pub(super) fn each_part(
    path: &Path,
    columns: Option<Vec<String>>,
    derive: impl Fn(DataFrame) -> Result<DataFrame>,
    mut f: impl FnMut(&DataFrame, Vec<Key>) -> Result<()>,
) -> Result<()> {
    for file in parquet_files(path)? {
        let mut offset = 0;
        loop {
            let open = std::fs::File::open(&file).map_err(|e| Error::io(&file, e))?;
            let lines = ParquetReader::new(open)
                .with_columns(columns.clone())
                .with_slice(Some((offset, PART_ROWS)))
                .finish()?;
            if lines.height() == 0 {
                break;
            }
            offset += lines.height();
            let d = derive(lines)?;
            let keys = keys(d.column("__customer")?)?;
            f(&d, keys)?;
        }
    }
    Ok(())
}

/// The Parquet file at `path`, or the `.parquet` files of the folder, sorted by name.
pub(super) fn parquet_files(path: &Path) -> Result<Vec<std::path::PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut files = Vec::new();
    for e in entries {
        let file = e.map_err(|e| Error::io(path, e))?.path();
        if file.extension().is_some_and(|x| x == "parquet") {
            files.push(file);
        }
    }
    files.sort();
    match files.is_empty() {
        true => Err(data_err!("{} holds no Parquet file", path.display())),
        false => Ok(files),
    }
}

/// Spend per customer and category of the lines in memory, as [`aggregate`] gives it.
pub fn by_category(
    lines: &DataFrame,
    tx: &TxColumns,
    clean: &TxCleanPlan,
) -> Result<Option<DataFrame>> {
    let dtype = lines.column(&tx.customer)?.dtype().clone();
    let d = derived(lines.clone(), tx, clean)?;
    let keys = keys(d.column("__customer")?)?;
    let mut fold = Fold::default();
    fold.add(&d, &keys, |_| true)?;
    Ok(fold.finish(tx, &dtype)?.by_category)
}

pub(super) fn part(path: &Path, offset: usize, len: usize) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(ParquetReader::new(file)
        .with_slice(Some((offset, len)))
        .finish()?)
}

/// The columns the fold reads, computed as the in-memory aggregation computes them.
pub(super) fn derived(lines: DataFrame, tx: &TxColumns, clean: &TxCleanPlan) -> Result<DataFrame> {
    let ms = col(tx.date.as_str()).dt().timestamp(TimeUnit::Milliseconds);
    let mut cols = vec![
        col(tx.customer.as_str()).alias("__customer"),
        amount_expr(tx)?.alias(AMOUNT),
        ms.clone().alias("__ms"),
    ];
    cols.push(match &tx.invoice {
        Some(invoice) => col(invoice.as_str())
            .cast(DataType::String)
            .alias("__order"),
        None => ms.floor_div(lit(DAY_MS)).alias("__order"),
    });
    let cancelled = match (clean.net, tx.invoice_text()) {
        (true, Some(_)) => super::lines::cancelled(tx, clean)?.unwrap_or(lit(false)),
        _ => lit(false),
    };
    // A line counts as an order unless it is a cancellation (under `net`); a missing flag
    // (no invoice) is not counted, as polars' filter drops it.
    cols.push(cancelled.not().fill_null(lit(false)).alias("__counts"));
    if let Some(q) = &tx.quantity {
        cols.push(col(q.as_str()).cast(DataType::Float64).alias("__items"));
    }
    for (c, name) in [(&tx.country, "__country"), (&tx.category, "__category")] {
        if let Some(c) = c {
            cols.push(col(c.as_str()).cast(DataType::String).alias(name));
        }
    }
    Ok(lines.lazy().select(cols).collect()?)
}

impl Fold {
    /// Folds the lines `mine` selects, in order, one chunk of the columns at a time.
    fn add(&mut self, d: &DataFrame, keys: &[Key], mine: impl Fn(usize) -> bool) -> Result<()> {
        let mut d = d.clone();
        d.align_chunks_par();
        for chunk in Columns::all(&d)? {
            for i in (0..chunk.n).filter(|i| mine(chunk.start + i)) {
                self.add_line(&chunk, i, &keys[chunk.start + i]);
            }
        }
        Ok(())
    }

    /// Folds line `i` of `lines`, of customer `key`.
    fn add_line(&mut self, lines: &Columns, i: usize, key: &Key) {
        let next = self.accs.len();
        let c = match self.index.get(key) {
            Some(&c) => c,
            None => {
                self.index.insert(key.clone(), next);
                next
            }
        };
        if c == next {
            self.accs.push(Acc::default());
        }
        let acc = &mut self.accs[c];
        if let Some(m) = lines.ms.get(i) {
            acc.first = Some(acc.first.map_or(m, |f| f.min(m)));
            acc.last = Some(acc.last.map_or(m, |l| l.max(m)));
            if acc.country.as_ref().is_none_or(|(best, _)| m < *best) {
                let name = lines.country.and_then(|s| s.get(i).map(str::to_string));
                acc.country = Some((m, name));
            }
        }
        if let Some(a) = lines.amount.get(i) {
            acc.monetary.add(a);
            if let Some(cat) = lines.category {
                let k = (c, cat.get(i).map(str::to_string));
                self.by_category.entry(k).or_default().add(a);
            }
        }
        if let Some(q) = lines.items.and_then(|s| s.get(i)) {
            acc.items.add(q);
        }
        if lines.counts.get(i) == Some(true) {
            self.count_order(c, lines.order(i));
        }
    }

    /// Counts an order for customer `c`. The lines of an order mostly follow one another: a
    /// line of the same customer and order as the line before is not looked up.
    fn count_order(&mut self, c: usize, order: chunks::Order) {
        let o = match order {
            chunks::Order::Invoice(text) => {
                if self.previous.as_ref().is_some_and(|(pc, p)| {
                    *pc == c && matches!(p, Order::Invoice(t) if t.as_deref() == text)
                }) {
                    return;
                }
                Order::Invoice(text.map(str::to_string))
            }
            chunks::Order::Day(day) => Order::Day(day),
        };
        self.orders.insert((c, o.clone()));
        self.previous = Some((c, o));
    }

    /// Takes over the customers of `other` (none of them is in `self`).
    fn merge(&mut self, mut other: Fold) {
        other.count_orders();
        self.count_orders();
        let offset = self.accs.len();
        self.accs.extend(other.accs);
        self.index
            .extend(other.index.into_iter().map(|(k, c)| (k, c + offset)));
        self.by_category.extend(
            other
                .by_category
                .into_iter()
                .map(|((c, cat), s)| ((c + offset, cat), s)),
        );
    }

    /// Moves the distinct orders into each customer's count.
    fn count_orders(&mut self) {
        for (c, _) in self.orders.drain() {
            self.accs[c].orders += 1;
        }
        self.previous = None;
    }

    /// The customers sorted by id, in the columns and types of the in-memory aggregation.
    fn finish(mut self, tx: &TxColumns, customer_dtype: &DataType) -> Result<Aggregated> {
        self.count_orders();
        let frequency: Vec<usize> = self.accs.iter().map(|a| a.orders).collect();
        let mut keys: Vec<(Key, usize)> = self.index.into_iter().collect();
        keys.sort();
        let rows: Vec<usize> = keys.iter().map(|(_, c)| *c).collect();
        let id = id_column(&tx.customer, keys.iter().map(|(k, _)| k), customer_dtype)?;
        let accs = &self.accs;
        let pick =
            |f: &dyn Fn(&Acc) -> Option<i64>| rows.iter().map(|&c| f(&accs[c])).collect::<Vec<_>>();
        let mut columns = vec![
            id,
            Column::new(LAST.into(), pick(&|a| a.last)),
            Column::new(FIRST.into(), pick(&|a| a.first)),
            Column::new(
                "frequency".into(),
                rows.iter()
                    .map(|&c| frequency[c] as f64)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "monetary".into(),
                rows.iter()
                    .map(|&c| accs[c].monetary.sum)
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                ITEMS.into(),
                rows.iter()
                    .map(|&c| {
                        if tx.quantity.is_some() {
                            accs[c].items.sum
                        } else {
                            f64::NAN
                        }
                    })
                    .collect::<Vec<_>>(),
            ),
        ];
        if let Some(country) = &tx.country {
            let names: Vec<Option<String>> = rows
                .iter()
                .map(|&c| accs[c].country.as_ref().and_then(|(_, n)| n.clone()))
                .collect();
            columns.push(Column::new(country.as_str().into(), names));
        }
        let customers = DataFrame::new(rows.len(), columns)?;
        let by_category = match &tx.category {
            Some(cat) => Some(categories(
                self.by_category,
                &keys,
                tx,
                cat,
                customer_dtype,
            )?),
            None => None,
        };
        Ok(Aggregated {
            customers,
            by_category,
        })
    }
}

/// Spend per customer and category, sorted by customer (as its id sorts) and category.
fn categories(
    sums: HashMap<(usize, Option<String>), Kahan>,
    keys: &[(Key, usize)],
    tx: &TxColumns,
    cat: &str,
    customer_dtype: &DataType,
) -> Result<DataFrame> {
    let key_of: HashMap<usize, &Key> = keys.iter().map(|(k, c)| (*c, k)).collect();
    let mut rows: Vec<(&Key, Option<String>, f64)> = sums
        .into_iter()
        .map(|((c, name), s)| (key_of[&c], name, s.sum))
        .collect();
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let id = match customer_dtype {
        DataType::String => Column::new(
            tx.customer.as_str().into(),
            rows.iter().map(|r| text_of(r.0)).collect::<Vec<_>>(),
        ),
        dt => Column::new(
            tx.customer.as_str().into(),
            rows.iter().map(|r| int_of(r.0)).collect::<Vec<_>>(),
        )
        .cast(dt)?,
    };
    Ok(DataFrame::new(
        rows.len(),
        vec![
            id,
            Column::new(
                cat.into(),
                rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
            ),
            Column::new(AMOUNT.into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
        ],
    )?)
}

pub(super) fn keys(c: &Column) -> Result<Vec<Key>> {
    let s = c.as_materialized_series();
    if s.dtype().is_integer() {
        let v = s.cast(&DataType::Int64)?;
        return v
            .i64()?
            .iter()
            .map(|k| k.map(Key::Int).ok_or_else(missing))
            .collect();
    }
    if s.dtype() == &DataType::String {
        return s
            .str()?
            .iter()
            .map(|k| k.map(|t| Key::Text(t.to_string())).ok_or_else(missing))
            .collect();
    }
    Err(data_err!(
        "input.engine: streaming needs customer ids that are whole numbers or text; `{}` holds {}",
        c.name(),
        crate::frame::type_words(s.dtype())
    ))
}

/// The customer column of `keys`, in the input's type.
pub(super) fn id_column<'a>(
    name: &str,
    keys: impl Iterator<Item = &'a Key>,
    dtype: &DataType,
) -> Result<Column> {
    Ok(match dtype {
        DataType::String => Column::new(name.into(), keys.map(text_of).collect::<Vec<_>>()),
        dt => Column::new(name.into(), keys.map(int_of).collect::<Vec<_>>()).cast(dt)?,
    })
}

fn missing() -> Error {
    Error::Internal("a cleaned line has no customer id".into())
}

fn text_of(k: &Key) -> Option<String> {
    match k {
        Key::Text(t) => Some(t.clone()),
        Key::Int(i) => Some(i.to_string()),
    }
}

fn int_of(k: &Key) -> Option<i64> {
    match k {
        Key::Int(i) => Some(*i),
        Key::Text(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Kahan;

    #[test]
    fn kahan_keeps_what_plain_addition_loses() {
        let mut k = Kahan::default();
        for x in [1.0, 1e-16, 1e-16, 1e-16, 1e-16] {
            k.add(x);
        }
        assert_eq!(k.sum, 1.0000000000000004);
        assert_eq!(1.0 + 1e-16 + 1e-16 + 1e-16 + 1e-16, 1.0);
    }
}
