//! The per-customer RFM table (recency, frequency, monetary, average order value, tenure,
//! items per order, R/F/M quintile scores and a named R×F segment).
//!
//! The aggregation is a polars group-by; dates become integer epoch milliseconds first, so
//! recency and tenure (whole days, floored) are exact integer arithmetic. The reference date
//! is explicit (`as_of`) or the day after the last transaction, never the wall clock.

use polars::prelude::*;

use crate::config::{RfmPlan, TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::Result;

const DAY_MS: i64 = 86_400_000;
const MS: &str = "__ms";

pub use super::aggregated::{Aggregated, AMOUNT, FIRST, ITEMS, LAST};

/// The RFM table, one row per customer, sorted by customer id.
pub fn features(
    lines: &DataFrame,
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
pub fn aggregate(lines: &DataFrame, tx: &TxColumns, clean: &TxCleanPlan) -> Result<Aggregated> {
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
    let customers = lf
        .clone()
        .group_by([col(tx.customer.as_str())])
        .agg(aggs)
        .sort([tx.customer.as_str()], SortMultipleOptions::default())
        .collect()?;
    // Spend per category: a compensated sum in line order, as the streaming engine's fold
    // makes it (polars' two-key group-by sum is neither, so the engines would differ).
    let by_category = match &tx.category {
        Some(_) => super::fold::by_category(lines, tx, clean)?,
        None => None,
    };
    Ok(Aggregated {
        customers,
        by_category,
    })
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
    use super::quintiles;
    use crate::config::default_rfm_segments;

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
