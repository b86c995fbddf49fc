//! `features`: derived columns, one-hot encodings, the model columns, and the RFM table of
//! invoice lines (its columns are known before running, so `features.use` is checked
//! against them).

use std::collections::BTreeMap;

use polars::prelude::{DataType, Schema};

use super::input::{InputKind, TxColumns};
use super::raw::RawFeatures;
use super::source::Source;
use crate::error::Result;

/// The numeric columns of the RFM table.
pub const RFM_COLUMNS: [&str; 6] = [
    "recency",
    "frequency",
    "monetary",
    "aov",
    "tenure",
    "items_per_order",
];

/// RFM features from transactions.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RfmPlan {
    /// Reference date; `None`: the day after the last transaction.
    pub as_of: Option<chrono::NaiveDate>,
    pub log1p: Vec<String>,
    /// R×F cell ("11".."55") → segment name, all 25 cells.
    pub segments: BTreeMap<String, String>,
}

/// The default R×F segment table (rows: recency score, columns: frequency score).
pub fn default_rfm_segments() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for r in 1..=5 {
        for f in 1..=5 {
            let name = match (r, f) {
                (1..=2, 1..=2) => "hibernating",
                (1..=2, 3..=4) => "at_risk",
                (1..=2, 5) => "cant_lose",
                (3, 1..=2) => "about_to_sleep",
                (3, 3) => "need_attention",
                (3..=4, 4..=5) => "loyal",
                (4, 1) => "promising",
                (5, 1) => "new_customers",
                (4..=5, 2..=3) => "potential_loyalist",
                _ => "champions", // (5, 4..=5)
            };
            m.insert(format!("{r}{f}"), name.to_string());
        }
    }
    m
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FeaturePlan {
    /// (new column, SQL expression), in the order written.
    pub derive: Vec<(String, String)>,
    pub one_hot: Vec<String>,
    pub drop_first: bool,
    /// Model columns as written; a one-hot source column stands for all its indicator columns.
    /// Empty: every numeric column except the id.
    pub use_: Vec<String>,
    pub rfm: Option<RfmPlan>,
}

/// Columns and types of the RFM table, for validating the features section before running.
pub fn rfm_schema(tx: &TxColumns, plan: Option<&RfmPlan>) -> Schema {
    let mut s = Schema::default();
    s.insert(tx.customer.as_str().into(), DataType::Int64);
    for c in RFM_COLUMNS {
        let whole = matches!(c, "recency" | "frequency" | "tenure");
        let dt = if whole {
            DataType::Int64
        } else {
            DataType::Float64
        };
        s.insert(c.into(), dt);
    }
    if let Some(c) = &tx.country {
        s.insert(c.as_str().into(), DataType::String);
    }
    for c in ["r_score", "f_score", "m_score"] {
        s.insert(c.into(), DataType::Int32);
    }
    s.insert("rfm_cell".into(), DataType::String);
    s.insert("rfm_segment".into(), DataType::String);
    for c in plan.map(|p| p.log1p.as_slice()).unwrap_or_default() {
        s.insert(format!("log1p_{c}").into(), DataType::Float64);
    }
    s
}

pub(super) fn from_raw(rf: &RawFeatures, kind: &InputKind, src: &Source) -> Result<FeaturePlan> {
    let mut derive = Vec::new();
    for (k, v) in &rf.derive {
        if k.trim().is_empty() {
            return Err(src.error_at(&["features", "derive"], "a derived feature needs a name"));
        }
        derive.push((k.clone(), v.clone()));
    }
    let rfm = match (kind, &rf.rfm) {
        (InputKind::Customers, Some(_)) => {
            return Err(src.error_at(
                &["features", "rfm"],
                "features.rfm aggregates transactions: set input.kind: transactions",
            ))
        }
        (InputKind::Customers, None) => None,
        (InputKind::Transactions(_), r) => {
            let r = r.clone().unwrap_or_default();
            let as_of = match &r.as_of {
                None => None,
                Some(s) => Some(
                    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                        src.error_at(
                            &["features", "rfm", "as_of"],
                            format!("features.rfm.as_of must be a date like 2011-12-10, got `{s}`"),
                        )
                    })?,
                ),
            };
            let mut segments = default_rfm_segments();
            for (cell, name) in r.segments {
                if !segments.contains_key(&cell) {
                    return Err(src.error_at(&["features", "rfm", "segments"], format!("`{cell}` is not an R×F cell: use two digits 1-5, recency then frequency (e.g. \"55\")")));
                }
                segments.insert(cell, name);
            }
            for c in &r.log1p {
                if !RFM_COLUMNS.contains(&c.as_str()) {
                    return Err(src.error_at(
                        &["features", "rfm", "log1p"],
                        format!(
                            "`{c}` is not an RFM column: expected one of {}",
                            RFM_COLUMNS.join(", ")
                        ),
                    ));
                }
            }
            Some(RfmPlan {
                as_of,
                log1p: r.log1p,
                segments,
            })
        }
    };
    Ok(FeaturePlan {
        derive,
        one_hot: rf.one_hot.clone(),
        drop_first: rf.drop_first.unwrap_or(true),
        use_: rf.use_.clone(),
        rfm,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, TX};

    #[test]
    fn rfm_belongs_to_transactions() {
        refuses(
            &with("features: {rfm: {}}\n"),
            "features.rfm aggregates transactions: set input.kind: transactions",
        );
        let p = plan(TX);
        assert!(
            p.features.rfm.is_some(),
            "transactions get the RFM table by default"
        );
    }

    #[test]
    fn rfm_settings() {
        let rfm = |s: &str| format!("{TX}features:\n  rfm: {s}\n");
        refuses(
            &rfm("{as_of: 10/12/2011}"),
            "features.rfm.as_of must be a date like 2011-12-10, got `10/12/2011`",
        );
        refuses(&rfm("{segments: {\"66\": x}}"), "`66` is not an R×F cell");
        refuses(
            &rfm("{log1p: [revenue]}"),
            "`revenue` is not an RFM column: expected one of recency, frequency",
        );
        let p = plan(&rfm(
            "{as_of: 2011-12-10, segments: {\"55\": vip}, log1p: [monetary]}",
        ));
        let r = p.features.rfm.unwrap();
        assert_eq!(r.segments["55"], "vip");
        assert_eq!(r.log1p, ["monetary"]);
    }

    #[test]
    fn derived_features_need_a_name() {
        refuses(
            &with("features:\n  derive: {\" \": \"a + b\"}\n"),
            "a derived feature needs a name",
        );
    }
}
