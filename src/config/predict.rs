//! `predict`: predicted purchases, P(alive) and lifetime value per customer (BG/NBD and
//! Gamma-Gamma), for invoice lines.

use super::input::{Engine, InputKind};
use super::raw::RawPredict;
use super::source::{pick, Source};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PredictPlan {
    /// `bg_nbd` or `pareto_nbd`.
    pub model: String,
    /// Whether to fit Gamma-Gamma for the value of purchases (`spend: gamma_gamma | none`).
    pub spend: bool,
    /// Days per time unit the models are fitted in: 1 (`day`) or 7 (`week`).
    pub unit_days: u32,
    pub horizon_days: u32,
    /// Annual discount rate of future value.
    pub discount: f64,
    /// The first day of the holdout period: the check model is fitted on purchases before
    /// it and compared with the purchases from it up to `as_of`.
    pub holdout: Option<chrono::NaiveDate>,
}

pub(super) fn from_raw(
    raw: Option<&RawPredict>,
    kind: &InputKind,
    engine: &Engine,
    src: &Source,
) -> Result<Option<PredictPlan>> {
    let Some(r) = raw else { return Ok(None) };
    if matches!(kind, InputKind::Customers) {
        return Err(src.error_at(
            &["predict"],
            "predict fits purchase models on invoice lines: set input.kind: transactions",
        ));
    }
    // On Spark the stage reads the clean dataset Spark wrote, from this machine.
    if let Engine::Spark(spark) = engine {
        if let Some(uri) = spark.artifacts.as_deref().filter(|a| a.contains("://")) {
            return Err(src.error_at(
                &["predict"],
                format!("predict reads the clean lines Spark writes from this machine, but input.spark.artifacts is `{uri}`: name a local folder there, or leave it out to use the run's folder"),
            ));
        }
    }
    let model = pick(
        src,
        &["predict", "model"],
        r.model.as_deref().unwrap_or("bg_nbd"),
        &["bg_nbd", "pareto_nbd"],
    )?;
    let spend = pick(
        src,
        &["predict", "spend"],
        r.spend.as_deref().unwrap_or("gamma_gamma"),
        &["gamma_gamma", "none"],
    )? == "gamma_gamma";
    let unit_days = match pick(
        src,
        &["predict", "time_unit"],
        r.time_unit.as_deref().unwrap_or("day"),
        &["day", "week"],
    )? {
        "day" => 1,
        _ => 7,
    };
    let horizon_days = horizon(r.horizon.as_deref().unwrap_or("365d"), src)?;
    let discount = r.discount.unwrap_or(0.1);
    if !(0.0..=1.0).contains(&discount) {
        return Err(src.error_at(
            &["predict", "discount"],
            format!("predict.discount is an annual rate between 0 and 1 (0.1 = 10% a year), got {discount}"),
        ));
    }
    let holdout = match &r.holdout {
        None => None,
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                src.error_at(
                    &["predict", "holdout"],
                    format!("predict.holdout must be a date like 2011-09-10 (the first day of the holdout period), got `{s}`"),
                )
            })?,
        ),
    };
    Ok(Some(PredictPlan {
        model: model.to_string(),
        spend,
        unit_days,
        horizon_days,
        discount,
        holdout,
    }))
}

/// `365d`, `52w` or a number of days.
fn horizon(text: &str, src: &Source) -> Result<u32> {
    let t = text.trim();
    let (number, per) = match t.strip_suffix('d') {
        Some(n) => (n, 1),
        None => match t.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (t, 1),
        },
    };
    match number.trim().parse::<u32>() {
        Ok(n) if (1..=3650).contains(&n.saturating_mul(per)) => Ok(n * per),
        _ => Err(src.error_at(
            &["predict", "horizon"],
            format!(
                "predict.horizon is days or weeks up to ten years, like 365d or 52w, got `{text}`"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, TX};

    #[test]
    fn defaults_and_checks() {
        let p = plan(&format!("{TX}predict: {{}}\n")).predict.unwrap();
        assert_eq!(
            (p.model.as_str(), p.spend, p.unit_days),
            ("bg_nbd", true, 1)
        );
        assert_eq!((p.horizon_days, p.discount, p.holdout), (365, 0.1, None));
        let p = plan(&format!(
            "{TX}predict: {{time_unit: week, horizon: 26w, spend: none, holdout: 2011-09-10}}\n"
        ))
        .predict
        .unwrap();
        assert_eq!((p.unit_days, p.horizon_days, p.spend), (7, 182, false));
        assert_eq!(p.holdout.unwrap().to_string(), "2011-09-10");
        let p = plan(&format!("{TX}predict: {{model: pareto_nbd}}\n"));
        assert_eq!(p.predict.unwrap().model, "pareto_nbd");
        refuses(&with("predict: {}\n"), "set input.kind: transactions");
        let spark = |artifacts: &str| {
            format!("{TX}predict: {{}}\n").replace(
                "kind: transactions",
                &format!(
                    "kind: transactions\n  engine: spark\n  spark: {{artifacts: \"{artifacts}\"}}"
                ),
            )
        };
        assert!(plan(&spark("/data/runs")).predict.is_some());
        refuses(
            &spark("s3a://bucket/runs"),
            "input.spark.artifacts is `s3a://bucket/runs`: name a local folder",
        );
        refuses(
            &format!("{TX}predict: {{model: pareto}}\n"),
            "expected one of `bg_nbd`, `pareto_nbd`",
        );
        refuses(
            &format!("{TX}predict: {{horizon: 12m}}\n"),
            "like 365d or 52w, got `12m`",
        );
        refuses(
            &format!("{TX}predict: {{discount: 10}}\n"),
            "between 0 and 1",
        );
        refuses(
            &format!("{TX}predict: {{holdout: 10/09/2011}}\n"),
            "got `10/09/2011`",
        );
        refuses(
            &format!("{TX}predict: {{horizon: 30}}\n").replace("horizon: 30", "horizn: 30"),
            "horizon",
        );
    }
}
