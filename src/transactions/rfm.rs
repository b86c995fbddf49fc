//! The per-customer RFM table (recency, frequency, monetary, average order value, tenure,
//! items per order, R/F/M quintile scores and a named R×F segment).
//!
//! The aggregation folds the kept lines per customer by hand ([`super::grouped`]), or is a
//! polars group-by when the ids are neither whole numbers nor text; dates become integer
//! epoch milliseconds first, so recency and tenure (whole days, floored) are exact integer
//! arithmetic. The reference date is explicit (`as_of`) or the day after the last
//! transaction, never the wall clock.

use polars::prelude::*;

use crate::config::{RfmPlan, TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::Result;

const DAY_MS: i64 = 86_400_000;
const MS: &str = "__ms";

pub use super::aggregated::{Aggregated, AMOUNT, FIRST, ITEMS, LAST};

/// Invoice lines and the kept ones' numbers among them (the clean artifact's `ingest_row`;
/// `None`: every line is kept).
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    pub lines: &'a DataFrame,
    pub rows: Option<&'a DataFrame>,
}

impl<'a> Kept<'a> {
    /// Every line of `lines`.
    pub fn all(lines: &'a DataFrame) -> Kept<'a> {
        Kept { lines, rows: None }
    }

    /// The kept lines, their mapped columns only.
    fn selected(&self, tx: &TxColumns) -> Result<DataFrame> {
        match self.rows {
            Some(rows) => super::lines::selected(self.lines, rows, tx),
            None => Ok(self.lines.clone()),
        }
    }

    /// Whether each line is kept (`None`: every line).
    fn mask(&self) -> Result<Option<Vec<bool>>> {
        let Some(rows) = self.rows else {
            return Ok(None);
        };
        let mut kept = vec![false; self.lines.height()];
        for r in rows
            .column(super::lines::INGEST_ROW)?
            .u32()?
            .iter()
            .flatten()
        {
            if let Some(k) = kept.get_mut(r as usize) {
                *k = true;
            }
        }
        Ok(Some(kept))
    }
}

/// The RFM table, one row per customer, sorted by customer id.
pub fn features(
    lines: Kept,
    tx: &TxColumns,
    clean: &TxCleanPlan,
    plan: &RfmPlan,
) -> Result<DataFrame> {
    table(&aggregate(lines, tx, clean)?, tx, plan)
}

/// The RFM table from the per-customer aggregation.
pub fn table(aggregated: &Aggregated, tx: &TxColumns, plan: &RfmPlan) -> Result<DataFrame> {
    let agg = &aggregated.customers;
    let as_of_ms = as_of(agg, plan)?;
    let Measures {
        recency,
        frequency,
        monetary,
        aov,
        tenure,
        items_per_order,
    } = Measures::of(agg, as_of_ms)?;
    let n = agg.height();
    let ids = agg.column(&tx.customer)?.clone();
    let r_score = quintiles(&recency, true);
    let f_score = quintiles(&frequency, false);
    let m_score = quintiles(&monetary, false);
    let cell: Vec<String> = (0..n)
        .map(|i| format!("{}{}", r_score[i], f_score[i]))
        .collect();
    let segment: Vec<String> = cell
        .iter()
        .map(|c| plan.segments.get(c).cloned().unwrap_or_default())
        .collect();

    // Days and order counts are whole numbers, and are written as such.
    let whole = |v: &[f64]| -> Vec<Option<i64>> {
        v.iter()
            .map(|&x| x.is_finite().then_some(x as i64))
            .collect()
    };
    let mut cols = vec![
        ids,
        Column::new("recency".into(), whole(&recency)),
        Column::new("frequency".into(), whole(&frequency)),
        Column::new("monetary".into(), monetary.clone()),
        Column::new("aov".into(), aov.clone()),
        Column::new("tenure".into(), whole(&tenure)),
        Column::new("items_per_order".into(), items_per_order.clone()),
    ];
    if let Some(c) = &tx.country {
        cols.push(agg.column(c)?.clone());
    }
    cols.push(Column::new("r_score".into(), r_score));
    cols.push(Column::new("f_score".into(), f_score));
    cols.push(Column::new("m_score".into(), m_score));
    cols.push(Column::new("rfm_cell".into(), cell));
    cols.push(Column::new("rfm_segment".into(), segment));
    if let (Some(cat), Some(by)) = (&tx.category, &aggregated.by_category) {
        cols.extend(category_shares(
            by,
            tx,
            cat,
            agg.column(&tx.customer)?,
            &monetary,
        )?);
    }
    for c in &plan.log1p {
        let v = match c.as_str() {
            "recency" => &recency,
            "frequency" => &frequency,
            "monetary" => &monetary,
            "aov" => &aov,
            "tenure" => &tenure,
            _ => &items_per_order,
        };
        // log1p of a negative net amount is undefined: clamp at 0 (a customer who returned
        // everything has spent nothing).
        let logged: Vec<f64> = v.iter().map(|x| x.max(0.0).ln_1p()).collect();
        cols.push(Column::new(format!("log1p_{c}").into(), logged));
    }
    Ok(DataFrame::new(n, cols)?)
}

/// The reference date in epoch milliseconds: `as_of`, or the day after the last purchase.
fn as_of(agg: &DataFrame, plan: &RfmPlan) -> Result<i64> {
    let last_ms = agg
        .column(LAST)?
        .cast(&DataType::Int64)?
        .i64()?
        .max()
        .ok_or_else(|| data_err!("no transaction dates"))?;
    Ok(match plan.as_of {
        Some(d) => d
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()),
        None => (last_ms.div_euclid(DAY_MS) + 1) * DAY_MS,
    })
}

pub use super::lines::amount_expr;

/// The per-customer aggregation of cleaned lines, sorted by customer id.
pub fn aggregate(kept: Kept, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Aggregated> {
    // The table folded by hand when the ids allow it (faster; see `grouped`), else polars'
    // group-by of the kept lines.
    let mask = kept.mask()?;
    let by_hand = super::grouped::customers(kept.lines, mask.as_deref(), tx, clean)?;
    let lines = match (&by_hand, &tx.category) {
        (Some(_), None) => None,
        _ => Some(kept.selected(tx)?),
    };
    let customers = match by_hand {
        Some(customers) => customers,
        None => group_by(lines.as_ref().unwrap_or(kept.lines), tx, clean)?,
    };
    // Spend per category: a compensated sum in line order, as the streaming engine's fold
    // makes it (polars' two-key group-by sum is neither, so the engines would differ).
    let by_category = match (&tx.category, &lines) {
        (Some(_), Some(lines)) => super::fold::by_category(lines, tx, clean)?,
        _ => None,
    };
    Ok(Aggregated {
        customers,
        by_category,
    })
}

/// The customers of [`aggregate`] by polars' group-by of the kept `lines`.
fn group_by(lines: &DataFrame, tx: &TxColumns, clean: &TxCleanPlan) -> Result<DataFrame> {
    let lf = lines.clone().lazy().with_columns([
        amount_expr(tx)?.alias(AMOUNT),
        col(tx.date.as_str())
            .dt()
            .timestamp(TimeUnit::Milliseconds)
            .alias(MS),
    ]);
    // Under `net`, cancellations count towards the amounts but not as orders (without
    // `net` they were dropped by the clean stage: every invoice is an order, no filter).
    // Without an invoice number, each customer-day is one order; an invoice column that is
    // also the date counts each distinct timestamp as one.
    let invoices = match &tx.invoice {
        Some(invoice) => col(invoice.as_str()),
        None => col(MS).floor_div(lit(DAY_MS)),
    };
    let orders = match (clean.net, tx.invoice_text()) {
        (true, Some(_)) => match super::lines::cancelled(tx, clean)? {
            Some(cancelled) => invoices.filter(cancelled.not()),
            None => invoices,
        },
        _ => invoices,
    };
    let mut aggs = vec![
        col(MS).max().alias(LAST),
        col(MS).min().alias(FIRST),
        orders.n_unique().cast(DataType::Float64).alias("frequency"),
        col(AMOUNT).sum().alias("monetary"),
    ];
    match &tx.quantity {
        Some(q) => aggs.push(col(q.as_str()).cast(DataType::Float64).sum().alias(ITEMS)),
        None => aggs.push(lit(f64::NAN).alias(ITEMS)),
    }
    if let Some(c) = &tx.country {
        // The country of the customer's first purchase (the first line of it on ties).
        aggs.push(
            col(c.as_str())
                .get(col(MS).arg_min(), true)
                .alias(c.as_str()),
        );
    }
    Ok(lf
        .group_by([col(tx.customer.as_str())])
        .agg(aggs)
        .sort([tx.customer.as_str()], SortMultipleOptions::default())
        .collect()?)
}

/// The per-customer measures, in the aggregation's order.
struct Measures {
    recency: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
    aov: Vec<f64>,
    tenure: Vec<f64>,
    items_per_order: Vec<f64>,
}

impl Measures {
    fn of(agg: &DataFrame, as_of_ms: i64) -> Result<Measures> {
        let get = |c: &str| -> Result<Vec<f64>> {
            Ok(agg
                .column(c)?
                .cast(&DataType::Float64)?
                .f64()?
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect())
        };
        let last = get(LAST)?;
        let first = get(FIRST)?;
        let frequency = get("frequency")?;
        let monetary = get("monetary")?;
        let items = get(ITEMS)?;
        let days = |ms: f64| ((as_of_ms as f64 - ms) / DAY_MS as f64).floor();
        let recency: Vec<f64> = last.iter().map(|&m| days(m)).collect();
        let tenure: Vec<f64> = first.iter().map(|&m| days(m)).collect();
        let per_order = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&frequency)
                .map(|(x, f)| if *f > 0.0 { x / f } else { f64::NAN })
                .collect()
        };
        let aov = per_order(&monetary);
        let items_per_order = per_order(&items);
        Ok(Measures {
            recency,
            frequency,
            monetary,
            aov,
            tenure,
            items_per_order,
        })
    }
}

/// Share of each customer's spend per category: `share_<category>` columns, categories
/// sorted, 0 where the customer bought nothing of it.
fn category_shares(
    by: &DataFrame,
    tx: &TxColumns,
    cat: &str,
    customers: &Column,
    monetary: &[f64],
) -> Result<Vec<Column>> {
    let ids = by.column(&tx.customer)?.cast(&DataType::String)?;
    let cats = by.column(cat)?.cast(&DataType::String)?;
    let amounts = by.column(AMOUNT)?.cast(&DataType::Float64)?;
    let (ids, cats, amounts) = (ids.str()?, cats.str()?, amounts.f64()?);
    let row_of: std::collections::HashMap<String, usize> = customers
        .cast(&DataType::String)?
        .str()?
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (v.to_string(), i)))
        .collect();
    let mut names: Vec<String> = cats.iter().flatten().map(str::to_string).collect();
    names.sort();
    names.dedup();
    let mut shares = vec![vec![0.0; monetary.len()]; names.len()];
    for i in 0..by.height() {
        let (Some(id), Some(c), Some(a)) = (ids.get(i), cats.get(i), amounts.get(i)) else {
            continue;
        };
        let (Some(&row), Ok(k)) = (row_of.get(id), names.binary_search(&c.to_string())) else {
            continue;
        };
        if monetary[row] != 0.0 {
            shares[k][row] = a / monetary[row];
        }
    }
    Ok(names
        .iter()
        .zip(shares)
        .map(|(n, v)| Column::new(format!("share_{n}").into(), v))
        .collect())
}

/// Quintile scores 1-5 by rank: sorted ascending (descending when `reverse`, so that the
/// most recent customers score 5 on recency), ties broken by position, which is customer id
/// order. Score = floor(5 · rank / n) + 1 for rank 0..n.
pub fn quintiles(values: &[f64], reverse: bool) -> Vec<i32> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let o = values[a].total_cmp(&values[b]);
        (if reverse { o.reverse() } else { o }).then(a.cmp(&b))
    });
    let mut score = vec![0; n];
    for (rank, &i) in order.iter().enumerate() {
        score[i] = (rank * 5 / n.max(1)) as i32 + 1;
    }
    score
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;
    use rand::{Rng, SeedableRng};

    use super::{group_by, quintiles};
    use crate::config::{default_rfm_segments, TxCleanPlan, TxColumns};

    /// Lines with ties, missing values, runs of one order, cancellations (`C…`) and
    /// Canadian orders (`CA-…`), customers as numbers or text.
    fn lines(n: usize, text_ids: bool, seed: u64) -> DataFrame {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let (mut ids, mut texts, mut invoices, mut ms, mut qty, mut price, mut country) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut order = 0u32;
        for i in 0..n {
            if i == 0 || rng.random_bool(0.3) {
                order = rng.random_range(0..n as u32 / 2);
            }
            let c = (order * 7 % 97) as i64 - 20;
            ids.push(c);
            texts.push(format!("c{c}"));
            invoices.push(match order % 11 {
                0 => format!("C{order}"),
                1 => format!("CA-{order}"),
                _ => order.to_string(),
            });
            let when = 1_300_000_000_000i64 + (order as i64 % 4) * 86_400_000;
            ms.push((i % 53 != 0).then_some(when + (i as i64 % 2) * 60_000));
            let q: i64 = rng.random_range(-3..12);
            qty.push((i % 31 != 0).then_some(q));
            price.push((i % 29 != 0).then(|| (rng.random::<f64>() * 900.0).round() / 100.0 + 0.1));
            country.push(["UK", "France", "Canada"][(order % 3) as usize]);
        }
        let customer = match text_ids {
            true => Column::new("Customer".into(), texts),
            false => Column::new("Customer".into(), ids),
        };
        let date = Column::new("Date".into(), ms)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap();
        DataFrame::new(
            n,
            vec![
                customer,
                Column::new("Invoice".into(), invoices),
                date,
                Column::new("Qty".into(), qty),
                Column::new("Price".into(), price),
                Column::new("Country".into(), country),
            ],
        )
        .unwrap()
    }

    fn bits(df: &DataFrame) -> Vec<Vec<String>> {
        df.columns()
            .iter()
            .map(|c| match c.dtype() {
                DataType::Float64 => c
                    .f64()
                    .unwrap()
                    .iter()
                    .map(|v| format!("{:?}", v.map(f64::to_bits)))
                    .collect(),
                _ => c
                    .as_materialized_series()
                    .iter()
                    .map(|v| v.to_string())
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn folded_by_hand_equals_the_group_by_bit_for_bit() {
        let tx = |invoice: Option<&str>, quantity: bool| TxColumns {
            customer: "Customer".into(),
            invoice: invoice.map(String::from),
            date: "Date".into(),
            date_format: None,
            // Without a quantity, the price column is the line's amount.
            quantity: quantity.then(|| "Qty".into()),
            price: quantity.then(|| "Price".into()),
            amount: (!quantity).then(|| "Price".into()),
            product: None,
            category: None,
            country: Some("Country".into()),
        };
        for (seed, text_ids) in [(1, false), (2, true)] {
            let all = lines(4000, text_ids, seed);
            for (net, columns) in [
                (false, tx(Some("Invoice"), true)),
                (true, tx(Some("Invoice"), true)),
                (true, tx(None, false)),
            ] {
                let clean = TxCleanPlan {
                    net,
                    cancel_prefix: "C".into(),
                    cancel_prefix_given: false,
                    drop_non_positive_price: false,
                    exclude_products: vec![],
                    window: None,
                };
                let at = format!("seed {seed}, net {net}, invoice {:?}", columns.invoice);
                // Every line, and every line but each third (as a clean selection).
                let by_hand = super::super::grouped::customers(&all, None, &columns, &clean)
                    .unwrap()
                    .expect("ids the fold reads");
                let want = group_by(&all, &columns, &clean).unwrap();
                assert_eq!(bits(&by_hand), bits(&want), "{at}");
                let mask: Vec<bool> = (0..all.height()).map(|i| i % 3 != 1).collect();
                let kept = all
                    .filter(&BooleanChunked::from_slice("k".into(), &mask))
                    .unwrap();
                let by_hand = super::super::grouped::customers(&all, Some(&mask), &columns, &clean)
                    .unwrap()
                    .expect("ids the fold reads");
                let want = group_by(&kept, &columns, &clean).unwrap();
                assert_eq!(bits(&by_hand), bits(&want), "kept lines, {at}");
                assert!(want.height() > 50, "{at}");
            }
        }
    }

    #[test]
    fn quintiles_rank_with_deterministic_ties() {
        let v = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0];
        assert_eq!(quintiles(&v, false), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintiles(&v, true), vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        // Ties go by position: equal values still fill the quintiles evenly.
        assert_eq!(quintiles(&[1.0; 5], false), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn every_rf_cell_has_a_name() {
        let table = default_rfm_segments();
        for r in 1..=5 {
            for f in 1..=5 {
                let name = &table[&format!("{r}{f}")];
                assert!(!name.is_empty());
            }
        }
        assert_eq!(table.len(), 25);
        assert_eq!(table["55"], "champions");
        assert_eq!(table["11"], "hibernating");
        assert_eq!(table["15"], "cant_lose");
        assert_eq!(table["51"], "new_customers");
        let names: std::collections::BTreeSet<&str> = table.values().map(String::as_str).collect();
        assert_eq!(names.len(), 10, "{names:?}");
    }
}
