//! The validated pipeline: every default resolved, every value checked, so that no stage
//! re-checks its configuration. Built from a [`RawConfig`] by [`Plan::from_raw`]; checked
//! against the input's columns by [`Plan::check_schema`] before the first stage runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use polars::prelude::{DataType, Schema};

use super::locate::locate;
use super::raw::*;
use super::suggest::nearest;
use crate::error::{Error, Result};

/// Where the config came from, for error positions and the manifest.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    /// A config error pointing at the key `path` in the file, when it can be found.
    pub fn error_at(&self, path: &[&str], msg: impl std::fmt::Display) -> Error {
        match locate(&self.text, path) {
            Some((line, col)) => {
                Error::Config(format!("{}:{line}:{col}: {msg}", self.path.display()))
            }
            None => Error::Config(format!("{}: {msg}", self.path.display())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub seed: u64,
    pub source: Source,
    pub input: InputPlan,
    pub clean: CleanPlan,
    pub features: FeaturePlan,
    pub scale: ScaleMethod,
    pub cluster: ClusterPlan,
    pub evaluate: EvaluatePlan,
    pub profile: ProfilePlan,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    Csv { delimiter: Option<u8> },
    Parquet,
}

/// Which input column holds what, for invoice lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TxColumns {
    pub customer: String,
    pub invoice: String,
    pub date: String,
    pub date_format: Option<String>,
    pub quantity: Option<String>,
    pub price: Option<String>,
    pub amount: Option<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub country: Option<String>,
}

impl TxColumns {
    /// Every mapped input column.
    pub fn all(&self) -> Vec<&str> {
        let mut v = vec![
            self.customer.as_str(),
            self.invoice.as_str(),
            self.date.as_str(),
        ];
        for c in [
            &self.quantity,
            &self.price,
            &self.amount,
            &self.product,
            &self.category,
            &self.country,
        ]
        .into_iter()
        .flatten()
        {
            v.push(c);
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Customers,
    Transactions(Box<TxColumns>),
}

#[derive(Debug, Clone)]
pub struct InputPlan {
    pub path: PathBuf,
    pub kind: InputKind,
    pub format: Format,
    /// The customer id column (after renames). `None`: rows are numbered from 1 as `row_id`.
    pub id: Option<String>,
    /// Original name → new name.
    pub rename: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NumericImpute {
    None,
    Median,
    Mean,
    Constant(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum CategoricalImpute {
    None,
    Mode,
    Constant(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutlierMethod {
    Iqr { factor: f64 },
    ZScore { threshold: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutlierAction {
    Drop,
    Clip,
}

#[derive(Debug, Clone)]
pub struct OutlierPlan {
    pub method: OutlierMethod,
    pub columns: Vec<String>,
    pub action: OutlierAction,
}

/// Rules for invoice lines; each dropped line is kept in the audit table with its reason.
#[derive(Debug, Clone)]
pub struct TxCleanPlan {
    /// Keep cancellations and returns and net them against purchases (else drop them).
    pub net: bool,
    pub cancel_prefix: String,
    pub drop_non_positive_price: bool,
    pub exclude_products: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CleanPlan {
    pub numeric: NumericImpute,
    pub categorical: CategoricalImpute,
    pub outliers: Option<OutlierPlan>,
    pub transactions: TxCleanPlan,
}

/// RFM features from transactions.
#[derive(Debug, Clone)]
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

#[derive(Debug, Clone)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleMethod {
    Standard,
    MinMax,
    Robust,
    None,
}

impl ScaleMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleMethod::Standard => "standard",
            ScaleMethod::MinMax => "minmax",
            ScaleMethod::Robust => "robust",
            ScaleMethod::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
pub struct KMeansPlan {
    pub ks: Vec<usize>,
    pub n_init: usize,
    pub max_iter: usize,
    pub engine: crate::cluster::kmeans::Engine,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Eps {
    Value(f64),
    Auto,
}

#[derive(Debug, Clone)]
pub struct DbscanPlan {
    pub eps: Eps,
    pub min_samples: usize,
}

#[derive(Debug, Clone)]
pub struct ClusterPlan {
    pub kmeans: Option<KMeansPlan>,
    pub dbscan: Option<DbscanPlan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Silhouette,
    DaviesBouldin,
    CalinskiHarabasz,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Silhouette => "silhouette",
            Metric::DaviesBouldin => "davies_bouldin",
            Metric::CalinskiHarabasz => "calinski_harabasz",
        }
    }
    /// Davies-Bouldin is better when lower; the others when higher.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::DaviesBouldin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChooseFrom {
    KMeans,
    Dbscan,
    Any,
}

#[derive(Debug, Clone)]
pub struct EvaluatePlan {
    pub choose_by: Metric,
    pub choose_from: ChooseFrom,
    pub silhouette_sample: usize,
}

#[derive(Debug, Clone)]
pub struct ProfilePlan {
    pub top_features: usize,
    pub names: BTreeMap<usize, String>,
    /// Depth of the explanation tree; `None`: the shallowest of 2..=5 reaching 90% fidelity.
    pub explain_depth: Option<usize>,
    /// The recommendation rule table (the shipped one unless the YAML gives one).
    pub rules: Vec<crate::stages::profile::recommend::Rule>,
}

/// `csv`, `tsv` or `parquet`, from a file extension (lower case).
pub fn format_for_extension(ext: &str) -> &'static str {
    match ext {
        "parquet" | "pq" => "parquet",
        "tsv" | "tab" => "tsv",
        _ => "csv",
    }
}

/// The reading format of a file from its extension: Parquet, TSV, or CSV with a sniffed
/// delimiter.
pub fn infer_format(path: &std::path::Path) -> Format {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match format_for_extension(&ext) {
        "parquet" => Format::Parquet,
        "tsv" => Format::Csv {
            delimiter: Some(b'\t'),
        },
        _ => Format::Csv { delimiter: None },
    }
}

fn pick<'a>(src: &Source, path: &[&str], value: &str, allowed: &[&'a str]) -> Result<&'a str> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(a) = allowed.iter().find(|a| **a == v) {
        return Ok(a);
    }
    let hint = nearest(&v, allowed.iter().copied())
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(src.error_at(
        path,
        format!(
            "`{}` is not a valid {}: expected one of {}{hint}",
            value,
            path.join("."),
            allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

fn positive_int(src: &Source, path: &[&str], v: i64, min: i64) -> Result<usize> {
    if v < min {
        return Err(src.error_at(
            path,
            format!("{} must be at least {min}, got {v}", path.join(".")),
        ));
    }
    usize::try_from(v)
        .map_err(|_| src.error_at(path, format!("{} is too large: {v}", path.join("."))))
}

impl Plan {
    /// Checks every value of the raw config and resolves defaults.
    pub fn from_raw(raw: RawConfig, source: Source) -> Result<Plan> {
        let src = &source;
        let name = raw.name.trim().to_string();
        if name.is_empty()
            || name.len() > 100
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            || name.starts_with('.')
        {
            return Err(src.error_at(
                &["name"],
                format!(
                    "name `{}` must be 1-100 characters of letters, digits, `_`, `-` or `.` and not start with `.`: it names the folder outputs/<name>",
                    raw.name
                ),
            ));
        }

        // input
        let rin = &raw.input;
        let path = PathBuf::from(&rin.path);
        let ext = rin
            .path
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let format_word = match &rin.format {
            Some(f) => pick(src, &["input", "format"], f, &["csv", "tsv", "parquet"])?,
            None => format_for_extension(&ext),
        };
        let delimiter = match &rin.delimiter {
            Some(d) => {
                let d = match d.as_str() {
                    "\\t" | "tab" => "\t",
                    other => other,
                };
                if d.len() != 1 {
                    return Err(src.error_at(
                        &["input", "delimiter"],
                        format!("input.delimiter must be a single ASCII character (or `tab`), got `{d}`"),
                    ));
                }
                Some(d.as_bytes()[0])
            }
            None if format_word == "tsv" => Some(b'\t'),
            None => None,
        };
        let format = if format_word == "parquet" {
            Format::Parquet
        } else {
            Format::Csv { delimiter }
        };
        let mut rename: Vec<(String, String)> = rin
            .rename
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect();
        rename.sort();
        let kind = match pick(
            src,
            &["input", "kind"],
            rin.kind.as_deref().unwrap_or("customers"),
            &["customers", "transactions"],
        )? {
            "customers" => {
                if rin.columns.is_some() {
                    return Err(src.error_at(
                        &["input", "columns"],
                        "input.columns maps transaction columns: set input.kind: transactions",
                    ));
                }
                InputKind::Customers
            }
            _ => {
                let c = rin.columns.clone().ok_or_else(|| {
                    src.error_at(&["input", "kind"], "input.kind: transactions needs input.columns (customer, invoice, date, and quantity + price or amount)")
                })?;
                if c.amount.is_none() && (c.quantity.is_none() || c.price.is_none()) {
                    return Err(src.error_at(
                        &["input", "columns"],
                        "input.columns needs `amount`, or both `quantity` and `price`",
                    ));
                }
                InputKind::Transactions(Box::new(TxColumns {
                    customer: c.customer,
                    invoice: c.invoice,
                    date: c.date,
                    date_format: c.date_format,
                    quantity: c.quantity,
                    price: c.price,
                    amount: c.amount,
                    product: c.product,
                    category: c.category,
                    country: c.country,
                }))
            }
        };
        let input = InputPlan {
            path,
            kind,
            format,
            id: rin.id.clone(),
            rename,
        };

        // clean
        let rclean = raw.clean.clone().unwrap_or_default();
        let rimp = rclean.impute.clone().unwrap_or_default();
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
        let outliers = match &rclean.outliers {
            None => None,
            Some(o) => {
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
                                format!(
                                    "clean.outliers.factor must be a positive number, got {factor}"
                                ),
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
                match method {
                    Some(method) if !o.columns.is_empty() => Some(OutlierPlan {
                        method,
                        columns: o.columns.clone(),
                        action,
                    }),
                    Some(_) => return Err(src.error_at(
                        &["clean", "outliers"],
                        "clean.outliers needs `columns`: the numeric columns to check for outliers",
                    )),
                    None => None,
                }
            }
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
                cancel_prefix: rtx.cancel_prefix.unwrap_or_else(|| "C".into()),
                drop_non_positive_price: rtx.drop_non_positive_price.unwrap_or(true),
                exclude_products: rtx.exclude_products,
            },
        };
        if rclean.transactions.is_some() && input.kind == InputKind::Customers {
            return Err(src.error_at(
                &["clean", "transactions"],
                "clean.transactions applies to invoice lines: set input.kind: transactions",
            ));
        }

        // features
        let rf = &raw.features;
        let mut derive = Vec::new();
        for (k, v) in &rf.derive {
            if k.trim().is_empty() {
                return Err(src.error_at(&["features", "derive"], "a derived feature needs a name"));
            }
            derive.push((k.clone(), v.clone()));
        }
        let rfm = match (&input.kind, &rf.rfm) {
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
                                format!(
                                    "features.rfm.as_of must be a date like 2011-12-10, got `{s}`"
                                ),
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
                    if !crate::stages::rfm::NUMERIC_COLUMNS.contains(&c.as_str()) {
                        return Err(src.error_at(
                            &["features", "rfm", "log1p"],
                            format!(
                                "`{c}` is not an RFM column: expected one of {}",
                                crate::stages::rfm::NUMERIC_COLUMNS.join(", ")
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
        let features = FeaturePlan {
            derive,
            one_hot: rf.one_hot.clone(),
            drop_first: rf.drop_first.unwrap_or(true),
            use_: rf.use_.clone(),
            rfm,
        };

        let scale = match raw.scale.as_ref().and_then(|s| s.method.as_deref()) {
            None => ScaleMethod::Standard,
            Some(m) => match pick(
                src,
                &["scale", "method"],
                m,
                &["standard", "minmax", "robust", "none"],
            )? {
                "standard" => ScaleMethod::Standard,
                "minmax" => ScaleMethod::MinMax,
                "robust" => ScaleMethod::Robust,
                _ => ScaleMethod::None,
            },
        };

        // cluster
        let kmeans = match &raw.cluster.kmeans {
            None => None,
            Some(km) => {
                let at = ["cluster", "kmeans", "k"];
                let ks: Vec<usize> = match &km.k {
                    RawK::One(k) => vec![positive_int(src, &at, *k, 2)?],
                    RawK::Range(r) if r.len() == 2 => {
                        let lo = positive_int(src, &at, r[0], 2)?;
                        let hi = positive_int(src, &at, r[1], 2)?;
                        if lo > hi {
                            return Err(src.error_at(
                                &at,
                                format!("cluster.kmeans.k range [{lo}, {hi}] is reversed: write [{hi}, {lo}]"),
                            ));
                        }
                        if hi - lo > 200 {
                            return Err(src.error_at(&at, format!("cluster.kmeans.k range [{lo}, {hi}] sweeps more than 200 values")));
                        }
                        (lo..=hi).collect()
                    }
                    RawK::Range(r) => {
                        return Err(src.error_at(
                            &at,
                            format!("cluster.kmeans.k must be a number (k: 5) or a range of two numbers (k: [2, 10]), got a list of {}", r.len()),
                        ))
                    }
                };
                let n_init = positive_int(
                    src,
                    &["cluster", "kmeans", "n_init"],
                    km.n_init.unwrap_or(10),
                    1,
                )?;
                let max_iter = positive_int(
                    src,
                    &["cluster", "kmeans", "max_iter"],
                    km.max_iter.unwrap_or(300),
                    1,
                )?;
                if n_init > 1000 {
                    return Err(src.error_at(
                        &["cluster", "kmeans", "n_init"],
                        format!("cluster.kmeans.n_init must be at most 1000, got {n_init}"),
                    ));
                }
                let engine = match pick(
                    src,
                    &["cluster", "kmeans", "engine"],
                    km.engine.as_deref().unwrap_or("lloyd"),
                    &["lloyd", "smartcore"],
                )? {
                    "smartcore" => crate::cluster::kmeans::Engine::Smartcore,
                    _ => crate::cluster::kmeans::Engine::Lloyd,
                };
                Some(KMeansPlan {
                    ks,
                    n_init,
                    max_iter,
                    engine,
                })
            }
        };
        let dbscan = match &raw.cluster.dbscan {
            None => None,
            Some(db) => {
                let at = ["cluster", "dbscan", "eps"];
                let eps = match &db.eps {
                    RawEps::Value(v) if v.is_finite() && *v > 0.0 => Eps::Value(*v),
                    RawEps::Value(v) => {
                        return Err(src.error_at(
                            &at,
                            format!(
                                "cluster.dbscan.eps must be a positive number or `auto`, got {v}"
                            ),
                        ))
                    }
                    RawEps::Word(w) if w.trim().eq_ignore_ascii_case("auto") => Eps::Auto,
                    RawEps::Word(w) => {
                        return Err(src.error_at(
                            &at,
                            format!(
                                "cluster.dbscan.eps must be a positive number or `auto`, got `{w}`"
                            ),
                        ))
                    }
                };
                let min_samples = positive_int(
                    src,
                    &["cluster", "dbscan", "min_samples"],
                    db.min_samples.unwrap_or(5),
                    1,
                )?;
                Some(DbscanPlan { eps, min_samples })
            }
        };
        if kmeans.is_none() && dbscan.is_none() {
            return Err(src.error_at(
                &["cluster"],
                "cluster needs at least one algorithm: `kmeans` or `dbscan`",
            ));
        }
        let cluster = ClusterPlan { kmeans, dbscan };

        // evaluate
        let rev = raw.evaluate.clone().unwrap_or_default();
        let choose_by = match pick(
            src,
            &["evaluate", "choose_by"],
            rev.choose_by.as_deref().unwrap_or("silhouette"),
            &["silhouette", "davies_bouldin", "calinski_harabasz"],
        )? {
            "silhouette" => Metric::Silhouette,
            "davies_bouldin" => Metric::DaviesBouldin,
            _ => Metric::CalinskiHarabasz,
        };
        let default_from = if cluster.kmeans.is_some() {
            "kmeans"
        } else {
            "dbscan"
        };
        let choose_from = match pick(
            src,
            &["evaluate", "choose_from"],
            rev.choose_from.as_deref().unwrap_or(default_from),
            &["kmeans", "dbscan", "any"],
        )? {
            "kmeans" => ChooseFrom::KMeans,
            "dbscan" => ChooseFrom::Dbscan,
            _ => ChooseFrom::Any,
        };
        if (choose_from == ChooseFrom::KMeans && cluster.kmeans.is_none())
            || (choose_from == ChooseFrom::Dbscan && cluster.dbscan.is_none())
        {
            return Err(src.error_at(
                &["evaluate", "choose_from"],
                "evaluate.choose_from names an algorithm that cluster does not configure",
            ));
        }
        let silhouette_sample = positive_int(
            src,
            &["evaluate", "silhouette_sample"],
            rev.silhouette_sample.unwrap_or(50_000),
            2,
        )?;
        let evaluate = EvaluatePlan {
            choose_by,
            choose_from,
            silhouette_sample,
        };

        let rp = raw.profile.clone().unwrap_or_default();
        let top_features = positive_int(
            src,
            &["profile", "top_features"],
            rp.top_features.unwrap_or(2),
            1,
        )?;
        let mut names = BTreeMap::new();
        for (k, v) in rp.names {
            names.insert(positive_int(src, &["profile", "names"], k, 0)?, v);
        }
        let explain_depth = rp
            .explain_depth
            .map(|d| positive_int(src, &["profile", "explain_depth"], d, 1))
            .transpose()?;
        if let Some(explain_depth) = explain_depth.filter(|d| *d > 8) {
            return Err(src.error_at(
                &["profile", "explain_depth"],
                format!("profile.explain_depth must be at most 8 (rules of a deeper tree are not readable), got {explain_depth}"),
            ));
        }
        let rules = match rp.recommendations {
            None => crate::stages::profile::recommend::default_rules(),
            Some(raw_rules) => {
                use crate::stages::profile::recommend::{Rule, Trait, TRAIT_FORMS};
                let at = &["profile", "recommendations"];
                let mut rules = Vec::new();
                for (i, r) in raw_rules.into_iter().enumerate() {
                    if r.when.is_empty() || r.action.trim().is_empty() {
                        return Err(src.error_at(
                            at,
                            format!("profile.recommendations rule {} needs a non-empty `when` and `action`", i + 1),
                        ));
                    }
                    let when = r
                        .when
                        .iter()
                        .map(|w| {
                            Trait::parse(w).ok_or_else(|| {
                                src.error_at(
                                    at,
                                    format!("profile.recommendations rule {}: `{w}` is not a trait; use {TRAIT_FORMS}", i + 1),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    rules.push(Rule {
                        when,
                        action: r.action.trim().to_string(),
                    });
                }
                rules
            }
        };
        let profile = ProfilePlan {
            top_features,
            names,
            explain_depth,
            rules,
        };

        Ok(Plan {
            name,
            seed: raw.seed.unwrap_or(42),
            source,
            input,
            clean,
            features,
            scale,
            cluster,
            evaluate,
            profile,
        })
    }

    /// Checks every column the plan names against the input's columns (after renames), so a
    /// typo fails before any stage runs, with the list of columns that exist.
    pub fn check_schema(&self, schema: &Schema) -> Result<()> {
        let table = format!("{} (after renames)", self.input.path.display());
        if let InputKind::Transactions(tx) = &self.input.kind {
            for c in tx.all() {
                if schema.get(c).is_none() {
                    return Err(self.missing(
                        schema,
                        &table,
                        c,
                        &["input", "columns"],
                        "transaction",
                    ));
                }
            }
            if self.clean.outliers.is_some() {
                return Err(self.source.error_at(
                    &["clean", "outliers"],
                    "clean.outliers works on one row per customer; for transactions use clean.transactions rules and features.rfm.log1p for skewed amounts",
                ));
            }
            // The later stages see the per-customer RFM table, not the input's columns.
            let rfm = crate::stages::rfm::output_schema(tx, self.features.rfm.as_ref());
            return self.check_columns(&rfm, "the per-customer RFM table", &tx.customer);
        }
        if let Some(id) = &self.input.id {
            if schema.get(id).is_none() {
                return Err(self.missing(schema, &table, id, &["input", "id"], "the id"));
            }
        }
        let id = self
            .input
            .id
            .as_deref()
            .unwrap_or(crate::stages::ingest::ROW_ID);
        self.check_columns(schema, &table, id)
    }

    fn missing(&self, schema: &Schema, table: &str, col: &str, at: &[&str], role: &str) -> Error {
        let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        let hint = nearest(col, names.iter().copied())
            .map(|n| format!(" Did you mean `{n}`?"))
            .unwrap_or_default();
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        self.source.error_at(
            at,
            format!(
                "{role} column `{col}` is not in {table}.{hint} The columns are: {}",
                list.join(", ")
            ),
        )
    }

    /// Outlier, one-hot, derived and model columns against the table the clean and
    /// features stages will see.
    fn check_columns(&self, schema: &Schema, table: &str, id: &str) -> Result<()> {
        let src = &self.source;
        if let Some(o) = &self.clean.outliers {
            for c in &o.columns {
                match schema.get(c) {
                    None => {
                        return Err(self.missing(
                            schema,
                            table,
                            c,
                            &["clean", "outliers", "columns"],
                            "outlier",
                        ))
                    }
                    Some(dt) if !dt.is_primitive_numeric() => {
                        return Err(src.error_at(
                            &["clean", "outliers", "columns"],
                            format!("outlier column `{c}` is {dt}, not numeric"),
                        ))
                    }
                    _ => {}
                }
            }
        }
        for c in &self.features.one_hot {
            if schema.get(c).is_none() {
                return Err(self.missing(schema, table, c, &["features", "one_hot"], "one-hot"));
            }
        }
        // Derived columns may use the table's columns and earlier derived columns.
        let mut known: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        for (name, sql) in &self.features.derive {
            let expr = crate::stages::features::parse_expression(sql).map_err(|e| {
                src.error_at(
                    &["features", "derive", name],
                    format!("derived feature `{name}`: {e}"),
                )
            })?;
            for root in expr.meta().root_names() {
                if !known.iter().any(|k| k == root.as_str()) {
                    return Err(self.missing(
                        schema,
                        table,
                        root.as_str(),
                        &["features", "derive", name],
                        &format!("derived feature `{name}` uses a"),
                    ));
                }
            }
            known.push(name.clone());
        }
        for c in &self.features.use_ {
            let is_dummy = self
                .features
                .one_hot
                .iter()
                .any(|oh| c.starts_with(&format!("{oh}_")));
            if is_dummy || self.features.one_hot.contains(c) {
                continue;
            }
            // Category shares (`share_<category>`) depend on the data's categories.
            let is_share = c.starts_with("share_")
                && matches!(&self.input.kind, InputKind::Transactions(tx) if tx.category.is_some());
            if !known.contains(c) && !is_share {
                return Err(self.missing(schema, table, c, &["features", "use"], "feature"));
            }
            if let Some(dt) = schema.get(c) {
                if !(dt.is_primitive_numeric() || matches!(dt, DataType::Boolean)) {
                    return Err(src.error_at(
                        &["features", "use"],
                        format!("feature column `{c}` is {dt}, not numeric: list it under features.one_hot to encode it"),
                    ));
                }
            }
        }
        if self.features.use_.iter().any(|c| c == id) {
            return Err(src.error_at(
                &["features", "use"],
                format!("the id column `{id}` cannot be a feature"),
            ));
        }
        Ok(())
    }
}
