//! The seven pipeline stages, one module each, in the order they run. Each is a function
//! from its upstream data and its validated config section to a DataFrame (its artifact)
//! and the fitted values later stages and `model.json` need. Stages never call each other;
//! `runner` wires them together.

pub mod clean;
pub mod cluster;
pub mod evaluate;
pub mod features;
pub mod ingest;
pub mod profile;
pub mod rfm;
pub mod scale;

/// Stage names and their artifact files, in run order.
pub const STAGES: [(&str, &str); 7] = [
    ("ingest", "01_ingest.parquet"),
    ("clean", "02_clean.parquet"),
    ("features", "03_features.parquet"),
    ("scale", "04_scaled.parquet"),
    ("cluster", "05_clusters.parquet"),
    ("evaluate", "06_evaluation.parquet"),
    ("profile", "07_profile.parquet"),
];
