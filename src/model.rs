//! `model.json`: everything needed to place new customers in the segments of a run, with a
//! versioned schema. Written by the runner, read by `segflow assign`.

use serde::{Deserialize, Serialize};

use crate::cluster::Model;
use crate::config::{InputKind, Plan, RfmPlan, TxCleanPlan, TxColumns};
use crate::error::{Error, Result};
use crate::manifest::VERSION;
use crate::matrix::Matrix;
use crate::stages::profile::Segment;
use crate::transform::{CleanModel, Encoding, Scaler};

/// Bumped whenever a field changes meaning; `assign` refuses other versions.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    pub schema_version: u32,
    pub segflow_version: String,
    pub pipeline: String,
    /// The id column after renames.
    pub id_column: String,
    /// Input column renames, original → new.
    pub rename: Vec<(String, String)>,
    /// The decimal mark the training input was read with (`input.decimal`), which new
    /// customers' files are read with too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal: Option<crate::numbers::Decimal>,
    pub clean: CleanModel,
    /// Derived features: (name, SQL expression), applied in order.
    pub derive: Vec<(String, String)>,
    pub encodings: Vec<Encoding>,
    pub scaler: Scaler,
    /// The model whose segments `assign` uses, one of `models`.
    pub chosen_model: String,
    pub models: Vec<Model>,
    /// When DBSCAN is chosen: its core points (scaled coordinates) and their segments;
    /// when HDBSCAN is: its clustered points.
    pub core_points: Vec<(Vec<f64>, i64)>,
    /// When HDBSCAN is chosen: each of `core_points`' core distance (a new customer joins
    /// the segment of the nearest point within its own core distance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub core_radii: Vec<f64>,
    pub segments: Vec<Segment>,
    /// The fitted purchase and spend models (runs with `predict`), with the time unit they
    /// were fitted in and the holdout check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predict: Option<crate::stages::predict::PredictState>,
    /// Invoice-lines runs: how lines became customers, which `assign` applies to new lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<LinesModel>,
}

/// How an invoice-lines run made its customer table: the mapped columns, the line rules and
/// the RFM settings, as the config resolved them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinesModel {
    pub columns: TxColumns,
    /// The column names of a file without a header line (`input.header: false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    pub rules: TxCleanPlan,
    pub rfm: RfmPlan,
}

impl LinesModel {
    /// The line model of an invoice-lines run; `None` for a customer table.
    fn of_plan(plan: &Plan) -> Option<LinesModel> {
        match (&plan.input.kind, &plan.features.rfm) {
            (InputKind::Transactions(tx), Some(rfm)) => Some(LinesModel {
                columns: (**tx).clone(),
                names: plan.input.names.clone(),
                rules: plan.clean.transactions.clone(),
                rfm: rfm.clone(),
            }),
            _ => None,
        }
    }
}

/// A DBSCAN fit's core points or an HDBSCAN fit's members (rows of the model matrix); none
/// for other algorithms.
fn core_rows(fit: &crate::cluster::Fit) -> &[usize] {
    match fit {
        crate::cluster::Fit::Dbscan { core_points, .. } => core_points,
        crate::cluster::Fit::Hdbscan { members, .. } => members,
        crate::cluster::Fit::Kmeans { .. }
        | crate::cluster::Fit::Agglomerative { .. }
        | crate::cluster::Fit::Gmm { .. } => &[],
    }
}

/// The transforms a run fitted, in the order they apply.
pub struct Fitted<'a> {
    pub clean: &'a CleanModel,
    pub encodings: &'a [Encoding],
    pub scaler: &'a Scaler,
}

impl ModelFile {
    /// The model file of a finished run: its transforms, every model's parameters, the
    /// chosen model (`x` is the run's model matrix) and its segments.
    pub fn of_run(
        plan: &Plan,
        fitted: Fitted,
        models: &[Model],
        chosen: &Model,
        x: &Matrix,
        segments: &[Segment],
    ) -> ModelFile {
        ModelFile {
            schema_version: SCHEMA_VERSION,
            segflow_version: VERSION.to_string(),
            pipeline: plan.name.clone(),
            id_column: plan.input.id_column().to_string(),
            rename: plan.input.rename.clone(),
            decimal: plan.input.decimal,
            clean: fitted.clean.clone(),
            derive: plan.features.derive.clone(),
            encodings: fitted.encodings.to_vec(),
            scaler: fitted.scaler.clone(),
            chosen_model: chosen.name.clone(),
            // A DBSCAN model's core points are row numbers of this run's matrix: `assign`
            // needs the chosen model's as coordinates (below), not the numbers (a million
            // of them took 15 MB of model.json).
            // With `cluster.reference`, `chosen` carries the kept segment ids.
            models: models
                .iter()
                .map(|m| if m.name == chosen.name { chosen } else { m })
                .map(|m| Model {
                    name: m.name.clone(),
                    fit: m.fit.without_rows(),
                    n_clusters: m.n_clusters,
                    labels: Vec::new(), // not serialised
                    centroids: m.centroids.clone(),
                    segment_ids: m.segment_ids.clone(),
                })
                .collect(),
            core_points: core_rows(&chosen.fit)
                .iter()
                .map(|&i| (x.row(i).to_vec(), chosen.labels[i]))
                .collect(),
            core_radii: match &chosen.fit {
                crate::cluster::Fit::Hdbscan { radii, .. } => radii.clone(),
                _ => Vec::new(),
            },
            segments: segments.to_vec(),
            predict: None,
            lines: LinesModel::of_plan(plan),
        }
    }

    pub fn read(path: &std::path::Path) -> Result<ModelFile> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Data(format!("cannot read model {}: {e}", path.display())))?;
        let m: ModelFile = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Data(format!(
                "{} is not a segflow model.json: {e}",
                path.display()
            ))
        })?;
        if m.schema_version != SCHEMA_VERSION {
            return Err(Error::Data(format!(
                "{} has model schema version {}, this segflow reads version {SCHEMA_VERSION}: re-run the pipeline",
                path.display(),
                m.schema_version
            )));
        }
        m.check().map_err(|what| {
            Error::Data(format!(
                "{} does not hold together: {what} (edited by hand or damaged): re-run the pipeline to write it again",
                path.display()
            ))
        })?;
        Ok(m)
    }

    /// The parts of a model that must agree: the scaler's columns and numbers, each model's
    /// centroids and segment ids, the chosen model, the core points.
    fn check(&self) -> std::result::Result<(), String> {
        let s = &self.scaler;
        let dims = s.columns.len();
        if s.center.len() != dims || s.scale.len() != dims {
            return Err(format!(
                "the scaler has {dims} columns but {} centres and {} scales",
                s.center.len(),
                s.scale.len()
            ));
        }
        if let Some(v) = s.center.iter().chain(&s.scale).find(|v| !v.is_finite()) {
            return Err(format!("the scaler holds {v}, not a finite number"));
        }
        for m in &self.models {
            if let Some(c) = m.centroids.iter().find(|c| c.len() != dims) {
                return Err(format!(
                    "model `{}` has a centroid of {} numbers for {dims} columns",
                    m.name,
                    c.len()
                ));
            }
            if !m.segment_ids.is_empty() && m.segment_ids.len() != m.centroids.len() {
                return Err(format!(
                    "model `{}` has {} segment ids for {} centroids",
                    m.name,
                    m.segment_ids.len(),
                    m.centroids.len()
                ));
            }
        }
        if !self.models.iter().any(|m| m.name == self.chosen_model) {
            return Err(format!(
                "the chosen model `{}` is not among its models",
                self.chosen_model
            ));
        }
        if !self.core_radii.is_empty() && self.core_radii.len() != self.core_points.len() {
            return Err(format!(
                "{} core distances for {} points",
                self.core_radii.len(),
                self.core_points.len()
            ));
        }
        if let Some((p, _)) = self.core_points.iter().find(|(p, _)| p.len() != dims) {
            return Err(format!(
                "a core point has {} numbers for {dims} columns",
                p.len()
            ));
        }
        Ok(())
    }

    /// The input columns the run read as numbers: those it fills with a number, then the
    /// model's columns, each once.
    pub fn numeric_columns(&self) -> Vec<&String> {
        let mut numeric: Vec<&String> = Vec::new();
        let fills = self.clean.fills.iter().filter(|f| f.value.is_number());
        for c in fills.map(|f| &f.column).chain(&self.scaler.columns) {
            if !numeric.contains(&c) {
                numeric.push(c);
            }
        }
        numeric
    }

    pub fn chosen(&self) -> Result<&Model> {
        self.models
            .iter()
            .find(|m| m.name == self.chosen_model)
            .ok_or_else(|| {
                Error::Data(format!(
                    "model.json names model `{}` but does not hold it",
                    self.chosen_model
                ))
            })
    }
}
