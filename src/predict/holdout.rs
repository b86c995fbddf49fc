//! The check a user can see: models fitted on the purchases before a day, their expected
//! repeat purchases compared with what the customers did from that day on, overall, per
//! calibration frequency (Fader, Hardie & Lee's figure 4) and cumulated week by week (their
//! figure 2, conditional on each customer's history).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Models, Settings, Summary};

/// What each customer did in the holdout period.
#[derive(Debug, Clone, Default)]
pub struct Actual {
    /// Purchase days in the period.
    pub purchases: Vec<f64>,
    /// Net amount in the period.
    pub value: Vec<f64>,
    /// The purchase days, as days since the period's start.
    pub days: Vec<Vec<i64>>,
}

impl Actual {
    /// From each customer's days in the period: (days since its start, amount, purchase).
    pub fn of(customers: impl Iterator<Item = Vec<(i64, f64, bool)>>) -> Actual {
        let mut a = Actual::default();
        for days in customers {
            let bought: Vec<i64> = days.iter().filter(|d| d.2).map(|d| d.0).collect();
            a.purchases.push(bought.len() as f64);
            a.value.push(days.iter().map(|d| d.1).sum());
            a.days.push(bought);
        }
        a
    }
}

/// Customers of one calibration frequency: mean expected and actual holdout purchases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Repeat purchases in the calibration period: "0" … "6", "7+".
    pub x: String,
    pub customers: usize,
    pub expected: f64,
    pub actual: f64,
}

/// Cumulated repeat purchases of all calibration customers by the end of a week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Week {
    /// Days since the holdout's start.
    pub day: f64,
    pub expected: f64,
    pub actual: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub days: f64,
    /// Customers with a purchase before the holdout.
    pub customers: usize,
    /// The models fitted on the calibration period.
    pub models: Models,
    pub expected_purchases: f64,
    pub actual_purchases: f64,
    /// (expected − actual) / actual of the total.
    pub error: f64,
    /// Mean |expected − actual| per customer.
    pub mean_absolute_error: f64,
    /// Σ expected purchases × expected order value, when the spend model was fitted.
    pub expected_value: Option<f64>,
    pub actual_value: f64,
    pub by_frequency: Vec<Group>,
    pub weekly: Vec<Week>,
}

/// The check, and each customer's expected holdout purchases and, with the spend model,
/// expected holdout value (NaN without a calibration purchase or a spend model).
pub fn check(
    m: &Models,
    cal: &Summary,
    actual: &Actual,
    days: f64,
    settings: &Settings,
) -> (Check, Vec<f64>, Vec<f64>) {
    let unit = settings.unit_days;
    let model = &m.purchases;
    let rows: Vec<usize> = (0..cal.x.len()).filter(|&i| cal.x[i].is_finite()).collect();
    let expected_at = |i: usize, d: f64| model.expected(d / unit, cal.x[i], cal.t_x[i], cal.t[i]);
    let mut expected = vec![f64::NAN; cal.x.len()];
    let per: Vec<(usize, f64)> = rows
        .par_iter()
        .map(|&i| (i, expected_at(i, days)))
        .collect();
    for (i, e) in per {
        expected[i] = e;
    }
    let sum = |f: &dyn Fn(usize) -> f64| rows.iter().map(|&i| f(i)).sum::<f64>();
    let (e_total, a_total) = (sum(&|i| expected[i]), sum(&|i| actual.purchases[i]));
    let mut value = vec![f64::NAN; cal.x.len()];
    if let Some(g) = &m.gamma_gamma {
        for &i in &rows {
            value[i] = expected[i] * g.params.expected_value(cal.x[i], cal.value[i]);
        }
    }
    let expected_value = m.gamma_gamma.as_ref().map(|_| sum(&|i| value[i]));
    let check = Check {
        days,
        customers: rows.len(),
        models: m.clone(),
        expected_purchases: e_total,
        actual_purchases: a_total,
        error: (e_total - a_total) / a_total,
        mean_absolute_error: sum(&|i| (expected[i] - actual.purchases[i]).abs())
            / rows.len().max(1) as f64,
        expected_value,
        actual_value: sum(&|i| actual.value[i]),
        by_frequency: by_frequency(&rows, cal, &expected, actual),
        weekly: weekly(&rows, days, actual, &expected_at),
    };
    (check, expected, value)
}

fn by_frequency(rows: &[usize], cal: &Summary, expected: &[f64], actual: &Actual) -> Vec<Group> {
    (0..=7)
        .filter_map(|g| {
            let members: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| (cal.x[i] as usize).min(7) == g)
                .collect();
            let n = members.len() as f64;
            (!members.is_empty()).then(|| Group {
                x: if g == 7 { "7+".into() } else { g.to_string() },
                customers: members.len(),
                expected: members.iter().map(|&i| expected[i]).sum::<f64>() / n,
                actual: members.iter().map(|&i| actual.purchases[i]).sum::<f64>() / n,
            })
        })
        .collect()
}

fn weekly(
    rows: &[usize],
    days: f64,
    actual: &Actual,
    expected_at: &(dyn Fn(usize, f64) -> f64 + Sync),
) -> Vec<Week> {
    let weeks = (days / 7.0).ceil() as usize;
    (1..=weeks)
        .map(|w| {
            let day = (7.0 * w as f64).min(days);
            let expected: f64 = rows
                .par_iter()
                .map(|&i| expected_at(i, day))
                .collect::<Vec<f64>>()
                .iter()
                .sum();
            let actual = rows
                .iter()
                .map(|&i| actual.days[i].iter().filter(|&&d| (d as f64) < day).count())
                .sum::<usize>() as f64;
            Week {
                day,
                expected,
                actual,
            }
        })
        .collect()
}
