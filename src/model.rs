//! `model.json`: everything needed to place new customers in the segments of a run, with a
//! versioned schema. Written by the runner, read by `segflow assign`.

use serde::{Deserialize, Serialize};

use crate::cluster::Model;
use crate::error::{Error, Result};
use crate::stages::{clean::CleanModel, features::Encoding, profile::Segment, scale::Scaler};

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
    pub clean: CleanModel,
    /// Derived features: (name, SQL expression), applied in order.
    pub derive: Vec<(String, String)>,
    pub encodings: Vec<Encoding>,
    pub scaler: Scaler,
    /// The model whose segments `assign` uses, one of `models`.
    pub chosen_model: String,
    pub models: Vec<Model>,
    /// When DBSCAN is chosen: its core points (scaled coordinates) and their segments.
    pub core_points: Vec<(Vec<f64>, i64)>,
    pub segments: Vec<Segment>,
}

impl ModelFile {
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
        Ok(m)
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
