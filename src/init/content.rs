//! Invoice lines recognised by their values alone, for files whose column names say nothing
//! segflow knows: no header line, or names in a language the name lists miss (`Kunde`,
//! `Beleg`, `Menge`…). The customer is a repeating id-like column (the one an invoice column
//! determines, when one does: every invoice belongs to one customer); then a column of
//! dates, and an amount or a quantity and a price, told apart by what dividing by the
//! quantity does to their values.
//!
//! A file with a column that is unique and never empty is a customer table unless an
//! invoice column determines a customer column: a customer table is never read as lines.

use polars::prelude::*;

use super::columns::{Column, Kind};
use super::transactions::{date_column, thousands, whole_dates, Mapping, Pick};

/// The invoice-line mapping of `cols` (profiled from `df`) by content, or `None`.
pub fn detect(df: &DataFrame, cols: &[Column]) -> PolarsResult<Option<Mapping>> {
    let ids: Vec<&Column> = cols.iter().filter(|c| id_like(c)).collect();
    let pair = invoice_pair(df, &ids)?;
    if pair.is_none() && cols.iter().any(unique) {
        return Ok(None);
    }
    let (invoice, customer) = match pair {
        Some((i, c)) => (Some(i), c),
        // Without an invoice, the id-like column with the most distinct values.
        None => match ids.iter().rev().max_by_key(|c| c.distinct) {
            Some(c) => (None, *c),
            None => return Ok(None),
        },
    };
    let mut taken = vec![customer.name.as_str()];
    taken.extend(invoice.map(|i| i.name.as_str()));
    let Some((date, date_format)) = date_column(cols, &mut taken, true) else {
        return Ok(None);
    };
    let Some(money) = money(df, cols, &taken)? else {
        return Ok(None);
    };
    let why = match invoice {
        Some(i) => format!(
            "its {} ids repeat over {} rows, one per value of `{}`",
            thousands(customer.distinct),
            thousands(customer.rows),
            i.name
        ),
        None => format!(
            "its {} ids repeat over {} rows",
            thousands(customer.distinct),
            thousands(customer.rows)
        ),
    };
    let invoice = invoice.map(|i| {
        pick(
            i,
            format!(
                "{} ids, each with one customer (an order or invoice number)",
                thousands(i.distinct)
            ),
        )
    });
    Ok(Some(Mapping {
        customer: Some(pick(customer, why)),
        invoice,
        date: Some(date),
        date_format,
        quantity: money.quantity,
        price: money.price,
        amount: money.amount,
        ..Mapping::default()
    }))
}

fn pick(c: &Column, why: String) -> Pick {
    Pick {
        column: c.name.clone(),
        why: format!("by content: {why}"),
    }
}

/// A column of ids: text without spaces or whole numbers never below zero, not dates,
/// every value repeated twice on average.
fn id_like(c: &Column) -> bool {
    let kind = match c.kind {
        Kind::Text => !c.values.iter().any(|v| v.contains(char::is_whitespace)),
        Kind::Integer | Kind::Float => c.whole && c.min.is_some_and(|m| m >= 0.0),
        _ => false,
    };
    kind && !is_date(c) && c.distinct >= 2 && c.distinct * 2 <= c.rows - c.nulls
}

fn is_date(c: &Column) -> bool {
    match c.kind {
        Kind::Date => true,
        Kind::Integer => whole_dates(&c.values),
        Kind::Text => matches!(
            crate::dates::decide(c.values.iter().map(String::as_str)),
            Ok(Some(_)) | Err(crate::dates::Undecided::Ambiguous { .. })
        ),
        _ => false,
    }
}

fn unique(c: &Column) -> bool {
    c.rows > 1 && c.nulls == 0 && c.distinct == c.rows
}

/// The (invoice, customer) pair of id columns where each invoice has one customer, with the
/// most customers; `None` when no id column determines another.
fn invoice_pair<'a>(
    df: &DataFrame,
    ids: &[&'a Column],
) -> PolarsResult<Option<(&'a Column, &'a Column)>> {
    let mut best: Option<(&Column, &Column)> = None;
    for a in ids {
        for b in ids.iter().filter(|b| b.distinct < a.distinct) {
            let better = best.is_none_or(|(bi, bc)| {
                (b.distinct, std::cmp::Reverse(a.distinct))
                    > (bc.distinct, std::cmp::Reverse(bi.distinct))
            });
            if better && determines(df, &a.name, &b.name)? {
                best = Some((a, b));
            }
        }
    }
    Ok(best)
}

/// Whether each value of `a` goes with one value of `b` (in 99% of them, lines where either
/// is missing aside).
pub(super) fn determines(df: &DataFrame, a: &str, b: &str) -> PolarsResult<bool> {
    let pairs = df
        .select([a, b])?
        .drop_nulls::<String>(None)?
        .unique_stable(None, UniqueKeepStrategy::Any, None)?;
    let firsts = pairs.column(a)?.n_unique()?;
    Ok(firsts > 0 && pairs.height() * 100 <= firsts * 101)
}

/// The money columns found.
struct Money {
    quantity: Option<Pick>,
    price: Option<Pick>,
    amount: Option<Pick>,
}

/// The first number column with a fraction is the money; the whole-number column of the
/// smallest numbers the quantity (a postal code or a row number has few values too, but
/// large ones). Money divided by the quantity takes fewer values when it is a line's amount
/// (what is left is the unit price) and more when it is a unit price.
fn money(df: &DataFrame, cols: &[Column], taken: &[&str]) -> PolarsResult<Option<Money>> {
    let free = || cols.iter().filter(|c| !taken.contains(&c.name.as_str()));
    let Some(cash) = free().find(|c| c.kind == Kind::Float && !c.whole) else {
        return Ok(None);
    };
    let mut quantity = None;
    for c in free().filter(|c| c.kind == Kind::Integer && !whole_dates(&c.values)) {
        let size = typical_size(df, &c.name)?;
        if quantity.is_none_or(|(_, s)| size < s) {
            quantity = Some((c, size));
        }
    }
    let quantity = quantity.map(|(c, _)| c);
    let Some(q) = quantity else {
        let why = "numbers with a fraction: the line's amount".to_string();
        return Ok(Some(Money {
            quantity: None,
            price: None,
            amount: Some(pick(cash, why)),
        }));
    };
    let ratios = per_unit_values(df, &cash.name, &q.name)?;
    let own = cash.distinct;
    let quantity = Some(pick(q, "whole numbers: the quantity".into()));
    Ok(Some(if ratios < own {
        let why = format!(
            "numbers with a fraction, a line's amount: divided by `{}` they take {} values (unit prices), fewer than their own {}",
            q.name, thousands(ratios), thousands(own)
        );
        Money {
            quantity,
            price: None,
            amount: Some(pick(cash, why)),
        }
    } else {
        let why = format!(
            "numbers with a fraction, a unit price: divided by `{}` they take {} values, more than their own {}",
            q.name, thousands(ratios), thousands(own)
        );
        Money {
            quantity,
            price: Some(pick(cash, why)),
            amount: None,
        }
    }))
}

/// The median of a number column's sizes (absolute values): a quantity's is a few units.
fn typical_size(df: &DataFrame, name: &str) -> PolarsResult<f64> {
    let x = df.column(name)?.cast(&DataType::Float64)?;
    let sizes = x.as_materialized_series().f64()?.apply_values(f64::abs);
    Ok(sizes.median().unwrap_or(f64::INFINITY))
}

/// Distinct values of `money / quantity` (quantities of 0 aside), to 4 decimals so that
/// 11.97 / 3 is 3.99.
fn per_unit_values(df: &DataFrame, money: &str, quantity: &str) -> PolarsResult<usize> {
    let m = df.column(money)?.cast(&DataType::Float64)?;
    let q = df.column(quantity)?.cast(&DataType::Float64)?;
    let seen: std::collections::HashSet<i64> = m
        .f64()?
        .iter()
        .zip(q.f64()?.iter())
        .filter_map(|(m, q)| Some((m?, q?)))
        .filter(|(_, q)| *q != 0.0)
        .map(|(m, q)| ((m / q) * 1e4).round() as i64)
        .collect();
    Ok(seen.len())
}
