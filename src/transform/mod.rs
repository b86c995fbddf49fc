//! The fitted transforms between the input's columns and the model matrix: imputation,
//! outlier bounds, derived columns, one-hot encoding and scaling. Each is fitted once by its
//! stage (clean, features, scale), saved in `model.json`, and applied by the same code to the
//! training rows and, in `segflow assign`, to new customers, so the two cannot drift apart.

pub mod derive;
pub mod encode;
pub mod impute;
pub mod outliers;
pub mod scale;

use serde::{Deserialize, Serialize};

pub use encode::Encoding;
pub use impute::Fill;
pub use outliers::Bounds;
pub use scale::Scaler;

use crate::config::OutlierAction;

/// What the clean stage fitted: the values `assign` must reuse on new customers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CleanModel {
    pub fills: Vec<Fill>,
    pub bounds: Vec<Bounds>,
    /// What happens to a value outside its bounds (`None`: no outlier rule).
    pub outlier_action: Option<OutlierAction>,
    /// Columns left with gaps because they have no value to impute from.
    pub empty_columns: Vec<String>,
}
