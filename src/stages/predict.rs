//! Stage "predict" (`08_predict.parquet`, only with `predict`): each customer's purchase
//! history from the cleaned lines, the purchase and spend models fitted on it, and one row
//! per customer with the history and the predictions. With `predict.holdout`, a second fit
//! on the purchases before that day is checked against what the customers did from it up to
//! `as_of`: the numbers a user needs to judge the predictions.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{PredictPlan, TxCleanPlan, TxColumns};
use crate::error::Result;
use crate::frame::finite_or_null;
use crate::predict::{self, Models, Settings, Summary};
use crate::transactions::purchases::{self, Day};

const EPOCH: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();

/// What the stage decided, kept in `model.json` under `predict` and read by the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictState {
    /// The end of the period (exclusive): the first day after it.
    pub as_of: String,
    pub time_unit: String,
    pub horizon_days: u32,
    pub discount: f64,
    /// The fitted models; `None` when they could not be fitted (the warnings say why).
    pub models: Option<Models>,
    pub holdout: Option<crate::predict::holdout::Check>,
    pub warnings: Vec<String>,
}

pub struct PredictOutput {
    pub data: DataFrame,
    pub state: PredictState,
    /// Seconds of reading the purchase days, fitting, scoring and the holdout check.
    pub parts: Vec<(String, f64)>,
}

/// Where the stage reads and what it is for.
pub struct PredictInput<'a> {
    pub lines: &'a purchases::Lines,
    pub tx: &'a TxColumns,
    pub clean: &'a TxCleanPlan,
    /// `features.rfm.as_of`; else the day after the last line.
    pub as_of: Option<chrono::NaiveDate>,
    pub plan: &'a PredictPlan,
    pub seed: u64,
}

pub fn run(input: &PredictInput) -> Result<PredictOutput> {
    let plan = input.plan;
    let mut clock = Clock::default();
    let p = purchases::read(input.lines, input.tx, input.clean)?;
    clock.lap("read");
    let end = match input.as_of {
        Some(d) => (d - EPOCH).num_days(),
        None => p.last_day.map_or(0, |l| l + 1),
    };
    let unit = plan.unit_days as f64;
    let settings = Settings {
        unit_days: unit,
        horizon_days: plan.horizon_days as f64,
        discount: plan.discount,
        seed: input.seed,
        model: match plan.model.as_str() {
            "pareto_nbd" => predict::PurchaseModel::ParetoNbd,
            _ => predict::PurchaseModel::BgNbd,
        },
    };
    let summary = summarise(&p.days, end, unit);
    let mut warnings = Vec::new();
    let models = fit(&summary, &settings, plan.spend, "", &mut warnings);
    clock.lap("fit");
    let predictions = models
        .as_ref()
        .map(|m| predict::predict(m, &summary, &settings));
    clock.lap("score");
    let mut columns = vec![p.ids.clone()];
    columns.extend(summary_columns(&summary));
    let pr = predictions.unwrap_or_else(|| predict::Predictions::empty(summary.x.len()));
    columns.extend(prediction_columns(&pr));
    let holdout = match plan.holdout {
        Some(day) => {
            let cut = (day - EPOCH).num_days();
            check_holdout_dates(cut, end, &p.days, day)?;
            let (check, cols) = holdout(&p.days, cut, end, &settings, plan.spend, &mut warnings);
            columns.extend(cols);
            clock.lap("holdout");
            check
        }
        None => None,
    };
    let data = DataFrame::new(p.ids.len(), columns)?;
    Ok(PredictOutput {
        data,
        state: PredictState {
            as_of: date(end).to_string(),
            time_unit: if plan.unit_days == 7 { "week" } else { "day" }.into(),
            horizon_days: plan.horizon_days,
            discount: plan.discount,
            models,
            holdout,
            warnings,
        },
        parts: clock.laps,
    })
}

/// Seconds of the stage's parts, each from the end of the one before.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(String, f64)>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }
}

impl Clock {
    fn lap(&mut self, name: &str) {
        let now = std::time::Instant::now();
        self.laps
            .push((name.to_string(), (now - self.last).as_secs_f64()));
        self.last = now;
    }
}

/// New customers' predictions from a finished run's fitted models (`segflow assign` with
/// invoice lines): the purchase days `p` up to `as_of` (exclusive), one row per customer
/// sorted by id, with the history and the prediction columns of `08_predict.parquet`.
/// `None` when the run fitted no models.
pub fn score(
    p: &purchases::Purchases,
    as_of: chrono::NaiveDate,
    state: &PredictState,
) -> Result<Option<DataFrame>> {
    let Some(models) = &state.models else {
        return Ok(None);
    };
    let settings = Settings {
        unit_days: if state.time_unit == "week" { 7.0 } else { 1.0 },
        horizon_days: state.horizon_days as f64,
        discount: state.discount,
        seed: 0,
        model: models.purchases.model(),
    };
    let summary = summarise(&p.days, (as_of - EPOCH).num_days(), settings.unit_days);
    let predictions = predict::predict(models, &summary, &settings);
    let mut columns = vec![p.ids.clone()];
    columns.extend(summary_columns(&summary));
    columns.extend(prediction_columns(&predictions));
    Ok(Some(DataFrame::new(p.ids.len(), columns)?))
}

/// Day `day` (days since 1970-01-01) as a date.
fn date(day: i64) -> chrono::NaiveDate {
    EPOCH + chrono::Days::new(day.max(0) as u64)
}

/// The models, or `None` with the reason in `warnings` (prefixed with `what`).
fn fit(
    s: &Summary,
    settings: &Settings,
    spend: bool,
    what: &str,
    warnings: &mut Vec<String>,
) -> Option<Models> {
    match predict::fit(s, settings, spend) {
        Ok((m, w)) => {
            warnings.extend(w.into_iter().map(|w| format!("{what}{w}")));
            Some(m)
        }
        Err(why) => {
            warnings.push(format!("{what}{why}"));
            None
        }
    }
}

/// The histories up to (not including) day `end`, in units of `unit` days. The mean repeat
/// value is the net amount of the days after the first purchase day, over x.
pub fn summarise(days: &[Vec<Day>], end: i64, unit: f64) -> Summary {
    let mut s = Summary::default();
    for d in days {
        let bought: Vec<&Day> = d.iter().filter(|d| d.purchase && d.day < end).collect();
        let (Some(first), Some(last)) = (bought.first(), bought.last()) else {
            s.x.push(f64::NAN);
            s.t_x.push(f64::NAN);
            s.t.push(f64::NAN);
            s.value.push(f64::NAN);
            continue;
        };
        let x = (bought.len() - 1) as f64;
        let later: f64 = d
            .iter()
            .filter(|d| d.day > first.day && d.day < end)
            .map(|d| d.amount)
            .sum();
        s.x.push(x);
        s.t_x.push((last.day - first.day) as f64 / unit);
        s.t.push((end - first.day) as f64 / unit);
        s.value.push(if x > 0.0 { later / x } else { f64::NAN });
    }
    s
}

fn summary_columns(s: &Summary) -> Vec<Column> {
    vec![
        finite_or_null("x", &s.x),
        finite_or_null("t_x", &s.t_x),
        finite_or_null("T", &s.t),
        finite_or_null("mean_repeat_value", &s.value),
    ]
}

fn prediction_columns(p: &predict::Predictions) -> Vec<Column> {
    vec![
        finite_or_null("p_alive", &p.p_alive),
        finite_or_null("expected_purchases", &p.expected_purchases),
        finite_or_null("expected_order_value", &p.expected_order_value),
        finite_or_null("clv", &p.clv),
        finite_or_null("days_to_next_purchase", &p.days_to_next_purchase),
    ]
}

/// The holdout must start after the first purchase and before `as_of`.
fn check_holdout_dates(
    cut: i64,
    end: i64,
    days: &[Vec<Day>],
    day: chrono::NaiveDate,
) -> Result<()> {
    let first = days.iter().filter_map(|d| d.first().map(|d| d.day)).min();
    if cut >= end || first.is_none_or(|f| cut <= f) {
        let as_of = date(end);
        return Err(crate::data_err!(
            "predict.holdout ({day}) must fall after the first purchase and before as_of ({as_of}): the models are fitted on the purchases before it and checked on those from it to as_of"
        ));
    }
    Ok(())
}

/// The calibration fit (purchases before `cut`) checked against the purchases from `cut` to
/// `end`: the check, and the per-customer columns (actual and expected purchases, actual
/// value in the holdout).
fn holdout(
    days: &[Vec<Day>],
    cut: i64,
    end: i64,
    settings: &Settings,
    spend: bool,
    warnings: &mut Vec<String>,
) -> (Option<predict::holdout::Check>, Vec<Column>) {
    let calibration = summarise(days, cut, settings.unit_days);
    let actual = predict::holdout::Actual::of(days.iter().map(|d| {
        d.iter()
            .filter(|d| d.day >= cut && d.day < end)
            .map(|d| (d.day - cut, d.amount, d.purchase))
            .collect::<Vec<_>>()
    }));
    let models = fit(&calibration, settings, spend, "holdout check: ", warnings);
    let check = models
        .as_ref()
        .map(|m| predict::holdout::check(m, &calibration, &actual, (end - cut) as f64, settings));
    let nan = || vec![f64::NAN; calibration.x.len()];
    let (expected, value) = match &check {
        Some((_, e, v)) => (e.clone(), v.clone()),
        None => (nan(), nan()),
    };
    let cols = vec![
        finite_or_null("holdout_purchases", &actual.purchases),
        finite_or_null("holdout_expected", &expected),
        finite_or_null("holdout_value", &actual.value),
        finite_or_null("holdout_expected_value", &value),
    ];
    (check.map(|(c, _, _)| c), cols)
}
