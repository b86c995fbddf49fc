//! The pipeline file exactly as written: serde structs that reject unknown keys.
//!
//! Nothing here is checked beyond YAML types; `plan.rs` turns this into a validated `Plan`.
//! Sections are plain structs with optional fields (not internally tagged enums) because
//! serde keeps the precise line and column of an unknown key only for plain structs.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the pipeline's settings (name:, input:, cluster:, ...)"
)]
pub struct RawConfig {
    pub name: String,
    #[serde(default)]
    pub seed: Option<u64>,
    pub input: RawInput,
    #[serde(default)]
    pub clean: Option<RawClean>,
    #[serde(default)]
    pub features: RawFeatures,
    #[serde(default)]
    pub scale: Option<RawScale>,
    pub cluster: RawCluster,
    #[serde(default)]
    pub evaluate: Option<RawEvaluate>,
    #[serde(default)]
    pub profile: Option<RawProfile>,
    #[serde(default)]
    pub predict: Option<RawPredict>,
    /// Where the segments go besides the output folder.
    #[serde(default)]
    pub output: Option<RawOutput>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPgInput {
    /// `postgresql://user@host:port/database`; default `SEGFLOW_PG_URL`.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    /// `table` or `schema.table`: every row and column of it.
    #[serde(default)]
    pub table: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    #[serde(default)]
    pub postgres: Option<RawPgOutput>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPgOutput {
    #[serde(default)]
    pub url: Option<String>,
    pub table: String,
    /// `replace` (default) or `append`.
    #[serde(default)]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    /// The input file; empty when the rows come from `postgres`.
    #[serde(default)]
    pub path: String,
    /// A PostgreSQL query or table as the input, instead of `path`.
    #[serde(default)]
    pub postgres: Option<RawPgInput>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `false`: the file has no header line; `names` gives the columns.
    #[serde(default)]
    pub header: Option<bool>,
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// The decimal mark of a text file's numbers: `.` or `,`.
    #[serde(default)]
    pub decimal: Option<String>,
    /// The sheet of a spreadsheet to read (default the first).
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// `customers` (one row per customer, the default) or `transactions` (invoice lines).
    #[serde(default)]
    pub kind: Option<String>,
    /// For transactions: which input column holds what.
    #[serde(default)]
    pub columns: Option<RawTxColumns>,
    /// `local` (the default) or `spark`: where the invoice-line work runs.
    #[serde(default)]
    pub engine: Option<String>,
    #[serde(default)]
    pub spark: Option<RawSpark>,
    /// Keep only invoice lines dated in this period (both ends included).
    #[serde(default)]
    pub window: Option<RawWindow>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSpark {
    /// The Spark Connect address, `sc://host:port`.
    #[serde(default)]
    pub remote: Option<String>,
    /// Where Spark writes the line-level datasets (a path or URI Spark can write).
    #[serde(default)]
    pub artifacts: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTxColumns {
    pub customer: String,
    /// Optional: without it, each customer-day is one order.
    #[serde(default)]
    pub invoice: Option<String>,
    pub date: String,
    /// strftime format of `date` when it is text and not ISO (`%d/%m/%Y %H:%M`).
    #[serde(default)]
    pub date_format: Option<String>,
    #[serde(default)]
    pub quantity: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    /// A line amount column, instead of quantity × price.
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTxClean {
    /// `drop` (default) or `net` (keep returns, netted against purchases).
    #[serde(default)]
    pub cancellations: Option<String>,
    /// Invoice prefix that marks a cancellation (default `C`).
    #[serde(default)]
    pub cancel_prefix: Option<String>,
    /// Drop lines with a price <= 0 (default true).
    #[serde(default)]
    pub drop_non_positive_price: Option<bool>,
    /// Product codes that are not purchases (postage, fees, manual adjustments).
    #[serde(default)]
    pub exclude_products: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRfm {
    /// Reference date (YYYY-MM-DD); default: the day after the last transaction.
    #[serde(default)]
    pub as_of: Option<String>,
    /// Columns to add as `log1p_<column>` (for skewed counts and amounts).
    #[serde(default)]
    pub log1p: Vec<String>,
    /// R×F cell (e.g. "55") → segment name, replacing entries of the default table.
    #[serde(default)]
    pub segments: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClean {
    #[serde(default)]
    pub impute: Option<RawImpute>,
    #[serde(default)]
    pub outliers: Option<RawOutliers>,
    /// Cleaning rules for invoice lines (input.kind: transactions).
    #[serde(default)]
    pub transactions: Option<RawTxClean>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawImpute {
    #[serde(default)]
    pub numeric: Option<String>,
    #[serde(default)]
    pub numeric_value: Option<f64>,
    #[serde(default)]
    pub categorical: Option<String>,
    #[serde(default)]
    pub categorical_value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOutliers {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub factor: Option<f64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub columns: Vec<String>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFeatures {
    /// New columns from SQL expressions, in the order written (later ones may use earlier).
    #[serde(default)]
    pub derive: IndexMap<String, String>,
    #[serde(default)]
    pub one_hot: Vec<String>,
    #[serde(default)]
    pub drop_first: Option<bool>,
    #[serde(default, rename = "use")]
    pub use_: Vec<String>,
    /// Recency / frequency / monetary per customer from transactions.
    #[serde(default)]
    pub rfm: Option<RawRfm>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScale {
    #[serde(default)]
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    #[serde(default)]
    pub kmeans: Option<RawKMeans>,
    #[serde(default)]
    pub dbscan: Option<RawDbscan>,
    #[serde(default)]
    pub agglomerative: Option<RawAgglomerative>,
    #[serde(default)]
    pub hdbscan: Option<RawHdbscan>,
    #[serde(default)]
    pub gmm: Option<RawGmm>,
    /// An earlier run's model.json (or its folder) whose segment ids and names to keep.
    #[serde(default)]
    pub reference: Option<String>,
}

/// `k: 5` fixes k; `k: [2, 10]` sweeps the inclusive range.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "k must be a whole number (k: 5) or a range of two whole numbers (k: [2, 10])"
)]
pub enum RawK {
    One(i64),
    Range(Vec<i64>),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKMeans {
    pub k: RawK,
    #[serde(default)]
    pub n_init: Option<i64>,
    #[serde(default)]
    pub max_iter: Option<i64>,
    /// `lloyd` (segflow's parallel engine, default) or `smartcore`.
    #[serde(default)]
    pub engine: Option<String>,
    /// Fit on a seeded sample of this many customers, then assign every customer.
    #[serde(default)]
    pub fit_sample: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAgglomerative {
    pub k: RawK,
    /// `ward` (default), `average` or `complete`.
    #[serde(default)]
    pub linkage: Option<String>,
    /// The most rows the tree is grown on (a seeded sample above it).
    #[serde(default)]
    pub max_rows: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGmm {
    pub k: RawK,
    /// `full` (default) or `diag`.
    #[serde(default)]
    pub covariance: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHdbscan {
    pub min_cluster_size: i64,
    /// Default: min_cluster_size.
    #[serde(default)]
    pub min_samples: Option<i64>,
    /// The most rows it is fitted on (a seeded sample above it).
    #[serde(default)]
    pub max_rows: Option<i64>,
}

/// `eps: 0.3`, or `eps: auto` for the knee of the k-distance curve.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "eps must be a positive number or `auto`")]
pub enum RawEps {
    Value(f64),
    Word(String),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDbscan {
    pub eps: RawEps,
    #[serde(default)]
    pub min_samples: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEvaluate {
    #[serde(default)]
    pub choose_by: Option<String>,
    #[serde(default)]
    pub choose_from: Option<String>,
    #[serde(default)]
    pub silhouette_sample: Option<i64>,
    /// How stable each model's segments are under resampling.
    #[serde(default)]
    pub stability: Option<RawStability>,
    /// With `choose_by: stability`: the smallest share of customers a segment may have.
    #[serde(default)]
    pub min_segment_share: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStability {
    /// Resamples per model; 0 turns stability off.
    #[serde(default)]
    pub resamples: Option<i64>,
    /// Above this many customers, each resample is a subsample of this many.
    #[serde(default)]
    pub sample: Option<i64>,
    /// The mean Jaccard at which a segment counts as stable.
    #[serde(default)]
    pub stable: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPredict {
    /// The purchase model: `bg_nbd` (default) or `pareto_nbd`.
    #[serde(default)]
    pub model: Option<String>,
    /// The spend model: `gamma_gamma` (default) or `none`.
    #[serde(default)]
    pub spend: Option<String>,
    /// `day` (default) or `week`: the unit the models are fitted in.
    #[serde(default)]
    pub time_unit: Option<String>,
    /// `365d`, `52w`, or days.
    #[serde(default)]
    pub horizon: Option<String>,
    #[serde(default)]
    pub discount: Option<f64>,
    #[serde(default)]
    pub holdout: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    #[serde(default)]
    pub top_features: Option<i64>,
    /// Segment id → name, replacing the automatic names.
    #[serde(default)]
    pub names: BTreeMap<i64, String>,
    /// Depth of the explanation tree (default: the shallowest of 2-5 with 90% fidelity).
    #[serde(default)]
    pub explain_depth: Option<i64>,
    /// Replaces the shipped recommendation rule table.
    #[serde(default)]
    pub recommendations: Option<Vec<RawRule>>,
    /// The column holding each customer's value (default: `monetary`, else a column named
    /// like "spend").
    #[serde(default)]
    pub value: Option<String>,
    /// Spend-per-category columns of a customer table, for the segments' category mix.
    #[serde(default)]
    pub categories: Vec<String>,
}

/// `{when: [high income, low spending], action: "Premium offers"}`; `when` may be one trait.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(deserialize_with = "one_or_many")]
    #[schemars(with = "OneOrMany")]
    pub when: Vec<String>,
    pub action: String,
}

/// One trait or a list of them.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}
