//! Invoice lines derived for a fold ([`super::fold::derived`]), one chunk of every column at
//! a time, read in place: what [`super::grouped`] and [`super::fold`] fold line by line.

use polars::prelude::*;

use super::aggregated::AMOUNT;
use crate::error::{Error, Result};

pub(super) type Floats = <Float64Type as PolarsDataType>::Array;
pub(super) type Ints = <Int64Type as PolarsDataType>::Array;
pub(super) type Flags = <BooleanType as PolarsDataType>::Array;
pub(super) type Texts = <StringType as PolarsDataType>::Array;

/// The columns the fold reads, one array each.
pub(super) struct Columns<'a> {
    /// The chunk's lines, and the number of its first among all.
    pub(super) n: usize,
    pub(super) start: usize,
    /// The customer ids: whole numbers, or text.
    pub(super) ints: &'a [i64],
    pub(super) texts: Option<&'a Texts>,
    pub(super) amount: &'a Floats,
    pub(super) ms: &'a Ints,
    pub(super) counts: &'a Flags,
    pub(super) order: Orders<'a>,
    pub(super) items: Option<&'a Floats>,
    pub(super) country: Option<&'a Texts>,
    pub(super) category: Option<&'a Texts>,
}

/// What identifies an order: the invoice as text, or the day.
pub(super) enum Orders<'a> {
    Invoice(&'a Texts),
    Day(&'a Ints),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Order<'a> {
    Invoice(Option<&'a str>),
    Day(Option<i64>),
}

impl<'a> Columns<'a> {
    /// Every chunk of `d`, in order (its chunks aligned).
    pub(super) fn all(d: &'a DataFrame) -> Result<Vec<Columns<'a>>> {
        let mut chunks = Vec::with_capacity(d.first_col_n_chunks());
        let mut start = 0;
        for j in 0..d.first_col_n_chunks() {
            let c = Columns::of(d, j, start)?;
            start += c.n;
            chunks.push(c);
        }
        Ok(chunks)
    }

    /// The `j`th chunk of every column (the chunks aligned).
    fn of(d: &'a DataFrame, j: usize, start: usize) -> Result<Columns<'a>> {
        let at = |name: &str| -> Result<Option<&'a Column>> { Ok(d.column(name).ok()) };
        let chunk = |c: &'a Column| -> Result<&'a Series> { Ok(c.as_materialized_series()) };
        let floats = |name: &str| -> Result<Option<&'a Floats>> {
            at(name)?
                .map(|c| Ok(chunk(c)?.f64()?.downcast_get(j)))
                .transpose()
                .map(Option::flatten)
        };
        let texts = |name: &str| -> Result<Option<&'a Texts>> {
            at(name)?
                .map(|c| Ok(chunk(c)?.str()?.downcast_get(j)))
                .transpose()
                .map(Option::flatten)
        };
        let ids = d.column("__customer")?;
        // Ids of other types are left out (the fold of parts keys its lines itself).
        let (ints, texts_ids): (&'a [i64], _) = match ids.dtype() {
            DataType::String => (&[], texts("__customer")?),
            DataType::Int64 => (
                int_chunk(ids, j)?.map_or(&[], |a| a.values().as_slice()),
                None,
            ),
            _ => (&[], None),
        };
        let order = d.column("__order")?;
        let order = match order.dtype() {
            DataType::String => Orders::Invoice(texts("__order")?.ok_or_else(missing)?),
            _ => Orders::Day(int_chunk(order, j)?.ok_or_else(missing)?),
        };
        let amount = floats(AMOUNT)?.ok_or_else(missing)?;
        Ok(Columns {
            n: amount.len(),
            start,
            ints,
            texts: texts_ids,
            amount,
            ms: int_chunk(d.column("__ms")?, j)?.ok_or_else(missing)?,
            counts: d
                .column("__counts")?
                .bool()?
                .downcast_get(j)
                .ok_or_else(missing)?,
            order,
            items: floats("__items")?,
            country: texts("__country")?,
            category: texts("__category")?,
        })
    }

    pub(super) fn order(&self, i: usize) -> Order<'a> {
        match self.order {
            Orders::Invoice(a) => Order::Invoice(a.get(i)),
            Orders::Day(a) => Order::Day(a.get(i)),
        }
    }
}

fn int_chunk(c: &Column, j: usize) -> Result<Option<&Ints>> {
    Ok(c.as_materialized_series().i64()?.downcast_get(j))
}

fn missing() -> Error {
    Error::Internal("the aligned columns have different chunks".into())
}
