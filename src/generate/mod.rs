//! Synthetic data the project ships and tests with: a customers table with the Kaggle Mall
//! Customers schema, drawn from five latent segments on income × spending score, with a few
//! missing values and gross outliers so the clean stage has work to do.

mod orders;

use std::fmt::Write as _;
use std::path::Path;

pub use orders::{orders, write_orders};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::artifacts::write_bytes;
use crate::error::Result;

/// A latent segment: its share of customers and the (mean, sd) of income, score and age.
struct Latent {
    name: &'static str,
    share: f64,
    income: [f64; 2],
    score: [f64; 2],
    age: [f64; 2],
}

/// Modelled on the five groups of the Kaggle table.
const SEGMENTS: [Latent; 5] = [
    Latent {
        name: "average",
        share: 0.405,
        income: [55.0, 8.0],
        score: [50.0, 6.0],
        age: [43.0, 14.0],
    },
    Latent {
        name: "high_income_high_spending",
        share: 0.195,
        income: [87.0, 14.0],
        score: [82.0, 8.0],
        age: [33.0, 4.0],
    },
    Latent {
        name: "high_income_low_spending",
        share: 0.175,
        income: [88.0, 14.0],
        score: [17.0, 9.0],
        age: [41.0, 11.0],
    },
    Latent {
        name: "low_income_low_spending",
        share: 0.115,
        income: [26.0, 7.0],
        score: [21.0, 11.0],
        age: [45.0, 13.0],
    },
    Latent {
        name: "low_income_high_spending",
        share: 0.11,
        income: [25.0, 7.0],
        score: [79.0, 9.0],
        age: [25.0, 5.0],
    },
];

/// One generated customer with its true segment.
pub struct Customer {
    pub id: usize,
    pub gender: Option<&'static str>,
    pub age: Option<f64>,
    pub income: Option<f64>,
    pub score: f64,
    pub segment: &'static str,
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    // Box-Muller: two uniforms to one standard normal.
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Draws `rows` customers. Deterministic for a given seed.
pub fn customers(rows: usize, seed: u64) -> Vec<Customer> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(rows);
    for id in 1..=rows {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut seg = &SEGMENTS[0];
        for s in &SEGMENTS {
            acc += s.share;
            if u < acc {
                seg = s;
                break;
            }
        }
        let income = normal(&mut rng, seg.income[0], seg.income[1])
            .clamp(15.0, 140.0)
            .round();
        let score = normal(&mut rng, seg.score[0], seg.score[1])
            .clamp(1.0, 99.0)
            .round();
        let age = normal(&mut rng, seg.age[0], seg.age[1])
            .clamp(18.0, 70.0)
            .round();
        let gender = if rng.random::<f64>() < 0.56 {
            "Female"
        } else {
            "Male"
        };
        out.push(Customer {
            id,
            gender: Some(gender),
            age: Some(age),
            income: Some(income),
            score,
            segment: seg.name,
        });
    }
    // About 1.5% missing ages and 1% missing incomes, 0.5% missing gender.
    for c in out.iter_mut() {
        let r: f64 = rng.random();
        if r < 0.015 {
            c.age = None;
        } else if r < 0.025 {
            c.income = None;
        } else if r < 0.03 {
            c.gender = None;
        }
    }
    // Gross outliers: a data-entry age and an income typed in dollars, every ~100 rows.
    for j in 0..rows / 100 {
        let i = rng.random_range(0..rows);
        if j % 2 == 0 {
            out[i].age = Some(rng.random_range(150..=200) as f64);
        } else {
            out[i].income = out[i].income.map(|v| v * 1000.0);
        }
    }
    out
}

/// Writes the customers table as CSV (Kaggle header, LF line endings) or, for a
/// `.parquet` name, Parquet (the same values; ids as integers, the rest as numbers and
/// text), atomically.
pub fn write_customers(path: &Path, rows: usize, seed: u64) -> Result<usize> {
    if path.extension().is_some_and(|e| e == "parquet") {
        return write_customers_parquet(path, rows, seed);
    }
    let mut s = String::from("CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n");
    let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
    for c in customers(rows, seed) {
        let _ = writeln!(
            s,
            "{},{},{},{},{}",
            c.id,
            c.gender.unwrap_or_default(),
            opt(c.age),
            opt(c.income),
            c.score
        );
    }
    write_bytes(path, s.as_bytes())?;
    Ok(rows)
}

fn write_customers_parquet(path: &Path, rows: usize, seed: u64) -> Result<usize> {
    use polars::prelude::{Column, DataFrame};
    let all = customers(rows, seed);
    let col = |name: &str, f: &dyn Fn(&Customer) -> Option<f64>| {
        Column::new(name.into(), all.iter().map(f).collect::<Vec<_>>())
    };
    let mut df = DataFrame::new(
        rows,
        vec![
            Column::new(
                "CustomerID".into(),
                all.iter().map(|c| c.id as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "Gender".into(),
                all.iter().map(|c| c.gender).collect::<Vec<_>>(),
            ),
            col("Age", &|c| c.age),
            col("Annual Income (k$)", &|c| c.income),
            col("Spending Score (1-100)", &|c| Some(c.score)),
        ],
    )?;
    crate::artifacts::write_parquet(path, &mut df)?;
    Ok(rows)
}

/// Countries of generated customers, with their shares (the UK dominates, as in Online Retail).
const COUNTRIES: [(&str, f64); 6] = [
    ("United Kingdom", 0.88),
    ("Germany", 0.03),
    ("France", 0.03),
    ("EIRE", 0.02),
    ("Spain", 0.02),
    ("Netherlands", 0.02),
];

/// Invoices generated per parallel chunk; fixed so the output does not depend on threads.
const INVOICES_PER_CHUNK: usize = 2_000;

/// Online-Retail-shaped invoice lines: `customers` customers with heavy-tailed (log-normal)
/// activity, invoices of ~20 lines over two years (2022-2023), ~2% cancellations (invoice
/// `C…`, negative quantities), ~20% of invoices without a customer id, ~0.5% zero prices and
/// some postage lines (`POST`). Exactly `rows` lines; deterministic for a seed.
///
/// `drift` (0 to 1): that share of the customers (drawn with the seed) lapse after the first
/// year — their 2023 invoices are dated a year earlier, so they buy as much as before, all
/// in 2022 — a known change between two periods for `input.window` and `segflow compare`.
/// Every other line is the same as without drift.
pub fn transactions(
    customers: usize,
    rows: usize,
    seed: u64,
    drift: f64,
) -> Result<polars::prelude::DataFrame> {
    let mut all: Option<polars::prelude::DataFrame> = None;
    transaction_batches(customers, rows, seed, drift, &mut |df| {
        match &mut all {
            Some(a) => {
                a.vstack_mut(&df)?;
            }
            None => all = Some(df),
        }
        Ok(())
    })?;
    let mut df = all.ok_or_else(|| crate::error::Error::Internal("no lines generated".into()))?;
    df.rechunk_mut();
    Ok(df)
}

/// Which customers lapse after the first year: a `drift` share of them, drawn from a
/// stream of their own so that the lines' random draws do not change.
pub fn lapsing(customers: usize, seed: u64, drift: f64) -> Vec<bool> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_d41f_7000_0001);
    (0..customers)
        .map(|_| rng.random::<f64>() < drift)
        .collect()
}

/// Chunks of invoices generated per batch: ~2.5M lines, two cores busy, bounded memory.
const BATCH_CHUNKS: usize = 64;

/// [`transactions`] in batches of about 2.5M lines, handed to `emit` in order: the lines
/// are the same, however they are batched. Returns the number of lines.
pub fn transaction_batches(
    customers: usize,
    rows: usize,
    seed: u64,
    drift: f64,
    emit: &mut dyn FnMut(polars::prelude::DataFrame) -> Result<()>,
) -> Result<usize> {
    use rayon::prelude::*;

    let shop = Shop::new(customers.max(1), seed, drift);
    // Invoices have ~20 lines; chunks are generated (in parallel, each from its own seed)
    // until there are enough lines, then the last ones are cut.
    let per_round = rows
        .div_ceil(20 * INVOICES_PER_CHUNK)
        .clamp(1, BATCH_CHUNKS);
    let mut have = 0;
    let mut next = 0;
    while have < rows {
        let round: Vec<Lines> = (next..next + per_round)
            .into_par_iter()
            .map(|chunk| shop.chunk(chunk, seed))
            .collect();
        next += per_round;
        let mut batch = Lines::default();
        for p in round {
            let take = (rows - have - batch.qty.len()).min(p.qty.len());
            batch.append(p, take);
        }
        have += batch.qty.len();
        emit(batch.into_frame()?)?;
    }
    Ok(have)
}

/// The generated shop: customers (activity weights, countries, who lapses) and products.
struct Shop {
    customers: usize,
    /// Cumulative activity weights for sampling customers, and their total.
    cum: Vec<f64>,
    acc: f64,
    country: Vec<usize>,
    lapses: Vec<bool>,
    products: Vec<f64>,
}

/// 2022-01-01 00:00 UTC, the first day of generated invoices.
const START_MS: i64 = 1_640_995_200_000;
/// Generated invoices span two years.
const SPAN_DAYS: i32 = 730;

impl Shop {
    fn new(customers: usize, seed: u64, drift: f64) -> Shop {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut cum = Vec::with_capacity(customers);
        let mut country = Vec::with_capacity(customers);
        let mut acc = 0.0;
        for _ in 0..customers {
            acc += normal(&mut rng, 0.0, 1.3).exp();
            cum.push(acc);
            let u: f64 = rng.random();
            let mut c = 0.0;
            let mut pick = 0;
            for (i, (_, share)) in COUNTRIES.iter().enumerate() {
                c += share;
                if u < c {
                    pick = i;
                    break;
                }
            }
            country.push(pick);
        }
        let lapses = lapsing(customers, seed, drift);
        let products: Vec<f64> = (0..3000)
            .map(|_| (normal(&mut rng, 0.7, 0.9).exp() * 100.0).round() / 100.0)
            .collect();
        Shop {
            customers,
            cum,
            acc,
            country,
            lapses,
            products,
        }
    }

    /// The lines of chunk `chunk`'s invoices, from the chunk's own seed.
    fn chunk(&self, chunk: usize, seed: u64) -> Lines {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(chunk as u64 + 1)),
        );
        let mut l = Lines::default();
        let first = chunk * INVOICES_PER_CHUNK;
        for inv in first..first + INVOICES_PER_CHUNK {
            let u: f64 = rng.random::<f64>() * self.acc;
            let c = self.cum.partition_point(|&w| w < u).min(self.customers - 1);
            let guest = rng.random::<f64>() < 0.2;
            let cancel = !guest && rng.random::<f64>() < 0.02;
            let mut day = rng.random_range(0..SPAN_DAYS) as i64;
            if self.lapses[c] && day >= 365 {
                day -= 365;
            }
            let minute = rng.random_range(8 * 60..20 * 60) as i64;
            let when = START_MS + day * 86_400_000 + minute * 60_000;
            let n_lines = 1 + (-(rng.random::<f64>().max(1e-12)).ln() * 19.0) as usize;
            let id = format!("{}{}", if cancel { "C" } else { "" }, 500_000 + inv);
            for _ in 0..n_lines {
                let postage = rng.random::<f64>() < 0.01;
                let p = rng.random_range(0..self.products.len());
                let mut q = 1 + (-(rng.random::<f64>().max(1e-12)).ln() * 6.0) as i64;
                if cancel {
                    q = -q;
                }
                let price = if rng.random::<f64>() < 0.005 {
                    0.0
                } else if postage {
                    18.0
                } else {
                    self.products[p]
                };
                l.invoice.push(id.clone());
                l.code.push(if postage {
                    "POST".to_string()
                } else {
                    format!("P{p:05}")
                });
                l.qty.push(q);
                l.date.push(when);
                l.price.push(price);
                l.customer.push((!guest).then_some(10_000 + c as i64));
                l.country.push(COUNTRIES[self.country[c]].0);
            }
        }
        l
    }
}

/// Generated invoice lines, column by column.
#[derive(Default)]
struct Lines {
    invoice: Vec<String>,
    code: Vec<String>,
    qty: Vec<i64>,
    date: Vec<i64>,
    price: Vec<f64>,
    customer: Vec<Option<i64>>,
    country: Vec<&'static str>,
}

impl Lines {
    /// Appends the first `take` lines of `p`.
    fn append(&mut self, p: Lines, take: usize) {
        self.invoice.extend(p.invoice.into_iter().take(take));
        self.code.extend(p.code.into_iter().take(take));
        self.qty.extend(p.qty.into_iter().take(take));
        self.date.extend(p.date.into_iter().take(take));
        self.price.extend(p.price.into_iter().take(take));
        self.customer.extend(p.customer.into_iter().take(take));
        self.country.extend(p.country.into_iter().take(take));
    }

    fn into_frame(self) -> Result<polars::prelude::DataFrame> {
        use polars::prelude::*;
        let n = self.qty.len();
        let description: Vec<&str> = self
            .code
            .iter()
            .map(|c| if c == "POST" { "POSTAGE" } else { "PRODUCT" })
            .collect();
        let date = Column::new("InvoiceDate".into(), self.date)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?;
        Ok(DataFrame::new(
            n,
            vec![
                Column::new("InvoiceNo".into(), self.invoice),
                Column::new("StockCode".into(), self.code),
                Column::new("Description".into(), description),
                Column::new("Quantity".into(), self.qty),
                date,
                Column::new("UnitPrice".into(), self.price),
                Column::new("CustomerID".into(), self.customer),
                Column::new("Country".into(), self.country),
            ],
        )?)
    }
}

/// Lines up to which `write_transactions` writes one table as before; above, it writes
/// batch by batch, holding one batch at a time.
const WRITE_AT_ONCE: usize = 20_000_000;

/// Writes generated transactions as Parquet (`.parquet`) or CSV, atomically. Above
/// [`WRITE_AT_ONCE`] lines, batch by batch (a Parquet row group or CSV block each).
pub fn write_transactions(
    path: &Path,
    customers: usize,
    rows: usize,
    seed: u64,
    drift: f64,
) -> Result<usize> {
    let parquet = path.extension().is_some_and(|e| e == "parquet");
    if rows <= WRITE_AT_ONCE {
        let mut df = transactions(customers, rows, seed, drift)?;
        if parquet {
            crate::artifacts::write_parquet(path, &mut df)?;
        } else {
            crate::artifacts::write_csv(path, &mut df)?;
        }
        return Ok(df.height());
    }
    let mut n = 0;
    crate::artifacts::write_atomic(path, |file| {
        n = if parquet {
            crate::artifacts::parquet_batches(file, &mut |emit| {
                transaction_batches(customers, rows, seed, drift, emit)
            })?
        } else {
            crate::artifacts::csv_batches(file, &mut |emit| {
                transaction_batches(customers, rows, seed, drift, emit)
            })?
        };
        Ok(())
    })?;
    Ok(n)
}
