//! `clean`: imputation, outliers, and the rules for invoice lines.

use super::input::InputKind;
use super::raw::{RawClean, RawImpute, RawOutliers};
use super::source::{pick, Source};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum NumericImpute {
    None,
    Median,
    Mean,
    Constant(f64),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum CategoricalImpute {
    None,
    Mode,
    Constant(String),
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum OutlierMethod {
    Iqr { factor: f64 },
    ZScore { threshold: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutlierAction {
    Drop,
    Clip,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OutlierPlan {
    pub method: OutlierMethod,
    pub columns: Vec<String>,
    pub action: OutlierAction,
}

/// Rules for invoice lines; each dropped line is kept in the audit table with its reason.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TxCleanPlan {
    /// Keep cancellations and returns and net them against purchases (else drop them).
    pub net: bool,
    pub cancel_prefix: String,
    /// The config names `cancel_prefix`: every line whose invoice has it is a cancellation.
    /// Otherwise (the default `C`) only such a line with a negative amount is: an order id
    /// such as `CA-2019-1` (Canada) is a purchase.
    pub cancel_prefix_given: bool,
    pub drop_non_positive_price: bool,
    pub exclude_products: Vec<String>,
    /// `input.window`: lines dated outside it are dropped first.
    pub window: Option<super::input::Window>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CleanPlan {
    pub numeric: NumericImpute,
    pub categorical: CategoricalImpute,
    pub outliers: Option<OutlierPlan>,
    pub transactions: TxCleanPlan,
}

pub(super) fn from_raw(
    raw: Option<&RawClean>,
    input: &super::input::InputPlan,
    src: &Source,
) -> Result<CleanPlan> {
    let kind = &input.kind;
    let rclean = raw.cloned().unwrap_or_default();
    let rimp = rclean.impute.clone().unwrap_or_default();
    let (numeric, categorical) = impute_from_raw(&rimp, src)?;
    let outliers = match &rclean.outliers {
        None => None,
        Some(o) => outliers_from_raw(o, src)?,
    };
    let rtx = rclean.transactions.clone().unwrap_or_default();
    let net = pick(
        src,
        &["clean", "transactions", "cancellations"],
        rtx.cancellations.as_deref().unwrap_or("drop"),
        &["drop", "net"],
    )? == "net";
    let clean = CleanPlan {
        numeric,
        categorical,
        outliers,
        transactions: TxCleanPlan {
            net,
            cancel_prefix_given: rtx.cancel_prefix.is_some(),
            cancel_prefix: rtx.cancel_prefix.unwrap_or_else(|| "C".into()),
            drop_non_positive_price: rtx.drop_non_positive_price.unwrap_or(true),
            exclude_products: rtx.exclude_products,
            window: input.window,
        },
    };
    if rclean.transactions.is_some() && *kind == InputKind::Customers {
        return Err(src.error_at(
            &["clean", "transactions"],
            "clean.transactions applies to invoice lines: set input.kind: transactions",
        ));
    }
    Ok(clean)
}

/// `clean.impute`: how numeric and categorical gaps are filled.
fn impute_from_raw(rimp: &RawImpute, src: &Source) -> Result<(NumericImpute, CategoricalImpute)> {
    let numeric = match rimp.numeric.as_deref() {
        None => NumericImpute::Median,
        Some(m) => match pick(
            src,
            &["clean", "impute", "numeric"],
            m,
            &["median", "mean", "constant", "none"],
        )? {
            "median" => NumericImpute::Median,
            "mean" => NumericImpute::Mean,
            "none" => NumericImpute::None,
            _ => NumericImpute::Constant(rimp.numeric_value.ok_or_else(|| {
                src.error_at(
                    &["clean", "impute", "numeric"],
                    "clean.impute.numeric is `constant` but clean.impute.numeric_value is not set",
                )
            })?),
        },
    };
    let categorical = match rimp.categorical.as_deref() {
        None => CategoricalImpute::Mode,
        Some(m) => match pick(
            src,
            &["clean", "impute", "categorical"],
            m,
            &["mode", "constant", "none"],
        )? {
            "mode" => CategoricalImpute::Mode,
            "none" => CategoricalImpute::None,
            _ => CategoricalImpute::Constant(rimp.categorical_value.clone().ok_or_else(|| {
                src.error_at(
                    &["clean", "impute", "categorical"],
                    "clean.impute.categorical is `constant` but clean.impute.categorical_value is not set",
                )
            })?),
        },
    };
    Ok((numeric, categorical))
}

/// `clean.outliers`: the method, its factor or threshold, the columns and the action
/// (`None` for `method: none`).
fn outliers_from_raw(o: &RawOutliers, src: &Source) -> Result<Option<OutlierPlan>> {
    let method = pick(
        src,
        &["clean", "outliers", "method"],
        o.method.as_deref().unwrap_or("iqr"),
        &["iqr", "zscore", "none"],
    )?;
    let action = match pick(
        src,
        &["clean", "outliers", "action"],
        o.action.as_deref().unwrap_or("drop"),
        &["drop", "clip"],
    )? {
        "drop" => OutlierAction::Drop,
        _ => OutlierAction::Clip,
    };
    let method = match method {
        "none" => None,
        "iqr" => {
            let factor = o.factor.unwrap_or(1.5);
            if !(factor.is_finite() && factor > 0.0) {
                return Err(src.error_at(
                    &["clean", "outliers", "factor"],
                    format!("clean.outliers.factor must be a positive number, got {factor}"),
                ));
            }
            Some(OutlierMethod::Iqr { factor })
        }
        _ => {
            let threshold = o.threshold.unwrap_or(3.0);
            if !(threshold.is_finite() && threshold > 0.0) {
                return Err(src.error_at(
                    &["clean", "outliers", "threshold"],
                    format!("clean.outliers.threshold must be a positive number, got {threshold}"),
                ));
            }
            Some(OutlierMethod::ZScore { threshold })
        }
    };
    Ok(match method {
        Some(method) if !o.columns.is_empty() => Some(OutlierPlan {
            method,
            columns: o.columns.clone(),
            action,
        }),
        Some(_) => {
            return Err(src.error_at(
                &["clean", "outliers"],
                "clean.outliers needs `columns`: the numeric columns to check for outliers",
            ))
        }
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, BASE};
    use super::{CategoricalImpute, NumericImpute, OutlierAction, OutlierMethod};

    #[test]
    fn imputation() {
        let c = plan(BASE).clean;
        assert_eq!(
            (c.numeric, c.categorical),
            (NumericImpute::Median, CategoricalImpute::Mode)
        );
        refuses(
            &with("clean: {impute: {numeric: constant}}\n"),
            "clean.impute.numeric is `constant` but clean.impute.numeric_value is not set",
        );
        refuses(
            &with("clean: {impute: {categorical: constant}}\n"),
            "clean.impute.categorical is `constant` but clean.impute.categorical_value is not set",
        );
        refuses(
            &with("clean: {impute: {numeric: medain}}\n"),
            "did you mean `median`?",
        );
    }

    #[test]
    fn outliers() {
        let o = plan(&with("clean: {outliers: {columns: [a], action: clip}}\n"))
            .clean
            .outliers
            .unwrap();
        assert_eq!(
            (o.method, o.action),
            (OutlierMethod::Iqr { factor: 1.5 }, OutlierAction::Clip)
        );
        assert!(plan(&with("clean: {outliers: {method: none}}\n"))
            .clean
            .outliers
            .is_none());
        refuses(
            &with("clean: {outliers: {factor: 0, columns: [a]}}\n"),
            "clean.outliers.factor must be a positive number, got 0",
        );
        refuses(
            &with("clean: {outliers: {method: zscore, threshold: -1, columns: [a]}}\n"),
            "clean.outliers.threshold must be a positive number, got -1",
        );
        refuses(
            &with("clean: {outliers: {method: iqr}}\n"),
            "clean.outliers needs `columns`",
        );
        refuses(
            &with("clean: {outliers: {action: delete, columns: [a]}}\n"),
            "expected one of `drop`, `clip`",
        );
    }

    #[test]
    fn transaction_rules_belong_to_transactions() {
        refuses(
            &with("clean: {transactions: {cancellations: net}}\n"),
            "clean.transactions applies to invoice lines",
        );
    }
}
