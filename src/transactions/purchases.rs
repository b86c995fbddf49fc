//! Each customer's purchase days, from the cleaned lines: what the purchase models of
//! `predict` read (x, t_x, T, the value of repeat purchases), for every engine from the same
//! file, `02_clean.parquet`, read in parts in file order. A purchase day is a day with at
//! least one line that counts as an order (a cancellation kept under `net` does not); each
//! day's amount is the net amount of all its lines, summed in line order.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::aggregated::AMOUNT;
use super::fold::{id_column, in_parts, part, Kahan, Key};
use crate::config::{TxCleanPlan, TxColumns};
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

/// Reads the cleaned lines at `path` in parts and gathers each customer's days.
pub fn read(path: &Path, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Purchases> {
    let customer_dtype = part(path, 0, 0)?.column(&tx.customer)?.dtype().clone();
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut days: HashMap<(usize, i64), (Kahan, bool)> = HashMap::new();
    let mut last_day: Option<i64> = None;
    in_parts(path, tx, clean, |d, keys| {
        let amount = d.column(AMOUNT)?.f64()?;
        let ms = d.column("__ms")?.i64()?;
        let counts = d.column("__counts")?.bool()?;
        for (i, key) in keys.into_iter().enumerate() {
            let next = index.len();
            let c = *index.entry(key).or_insert(next);
            let Some(m) = ms.get(i) else { continue };
            let day = m.div_euclid(DAY_MS);
            last_day = Some(last_day.map_or(day, |l| l.max(day)));
            let acc = days.entry((c, day)).or_default();
            if let Some(a) = amount.get(i) {
                acc.0.add(a);
            }
            acc.1 |= counts.get(i) == Some(true);
        }
        Ok(())
    })?;
    let mut keys: Vec<(Key, usize)> = index.into_iter().collect();
    keys.sort();
    let mut per: Vec<Vec<Day>> = vec![Vec::new(); keys.len()];
    let row: HashMap<usize, usize> = keys.iter().enumerate().map(|(r, (_, c))| (*c, r)).collect();
    for ((c, day), (sum, purchase)) in days {
        per[row[&c]].push(Day {
            day,
            amount: sum.sum,
            purchase,
        });
    }
    for d in per.iter_mut() {
        d.sort_by_key(|d| d.day);
    }
    Ok(Purchases {
        ids: id_column(&tx.customer, keys.iter().map(|(k, _)| k), &customer_dtype)?,
        days: per,
        last_day,
    })
}
