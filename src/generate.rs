//! Synthetic data the project ships and tests with: a customers table with the Kaggle Mall
//! Customers schema, drawn from five latent segments on income × spending score, with a few
//! missing values and gross outliers so the clean stage has work to do.

use std::fmt::Write as _;
use std::path::Path;

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

/// Writes the customers table as CSV (Kaggle header, LF line endings), atomically.
pub fn write_customers(path: &Path, rows: usize, seed: u64) -> Result<usize> {
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
