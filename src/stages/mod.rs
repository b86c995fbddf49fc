//! The seven pipeline stages, one module each, in the order they run. Each is a function
//! from its upstream data and its validated config section to a DataFrame (its artifact)
//! and the fitted values later stages and `model.json` need. Stages never call each other;
//! `runner` wires them together.

pub mod clean;
pub mod cluster;
pub mod evaluate;
pub mod features;
pub mod ingest;
pub mod predict;
pub mod profile;
pub mod scale;

/// A stage of the pipeline, in run order (`Stage::Ingest < Stage::Profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Ingest,
    Clean,
    Features,
    Scale,
    Cluster,
    Evaluate,
    /// Predicted value (only with `predict`): after the segments are chosen, before they are
    /// profiled, which reads the predictions; its artifact is numbered after the profile's.
    Predict,
    Profile,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Ingest,
        Stage::Clean,
        Stage::Features,
        Stage::Scale,
        Stage::Cluster,
        Stage::Evaluate,
        Stage::Predict,
        Stage::Profile,
    ];

    /// The name used in messages, the manifest and `--from` / `--until`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Clean => "clean",
            Stage::Features => "features",
            Stage::Scale => "scale",
            Stage::Cluster => "cluster",
            Stage::Evaluate => "evaluate",
            Stage::Predict => "predict",
            Stage::Profile => "profile",
        }
    }

    /// The stage's own artifact, the first file it writes.
    pub fn artifact(self) -> &'static str {
        match self {
            Stage::Ingest => "01_ingest.parquet",
            Stage::Clean => "02_clean.parquet",
            Stage::Features => "03_features.parquet",
            Stage::Scale => "04_scaled.parquet",
            Stage::Cluster => "05_clusters.parquet",
            Stage::Evaluate => "06_evaluation.parquet",
            Stage::Predict => "08_predict.parquet",
            Stage::Profile => "07_profile.parquet",
        }
    }

    /// Position in run order, from 0.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stage called `name`, or an error listing the names.
    pub fn parse(name: &str) -> Result<Stage, String> {
        Stage::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown stage `{name}`: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The files a run writes besides the stages' own artifacts.
pub mod files {
    /// Every row the clean stage dropped, with its reason.
    pub const DROPPED: &str = "02_clean_dropped.parquet";
    /// The segment × RFM segment crosstab (transactions only).
    pub const PROFILE_RFM: &str = "07_profile_rfm.parquet";
    pub const SEGMENTS_PARQUET: &str = "segments.parquet";
    pub const SEGMENTS_CSV: &str = "segments.csv";
    pub const MODEL: &str = "model.json";
    pub const MANIFEST: &str = "manifest.json";
    pub const REPORT: &str = "report.html";
}

#[cfg(test)]
mod tests {
    use super::Stage;

    #[test]
    fn stages_parse_by_name_in_run_order() {
        for (i, s) in Stage::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(Stage::parse(s.name()), Ok(s));
        }
        // Artifacts are numbered in run order, but for predict's, added after the profile's.
        let numbers: Vec<&str> = Stage::ALL.iter().map(|s| &s.artifact()[..3]).collect();
        assert_eq!(
            numbers,
            ["01_", "02_", "03_", "04_", "05_", "06_", "08_", "07_"]
        );
        assert!(Stage::Ingest < Stage::Profile);
        let err = Stage::parse("clustr").unwrap_err();
        assert_eq!(err, "unknown stage `clustr`: expected one of ingest, clean, features, scale, cluster, evaluate, predict, profile");
    }
}
