//! Stable segment identities (`cluster.reference`): this run's segments matched to those of
//! an earlier run, so that a matched segment keeps the earlier run's id and name and a CRM
//! field means the same thing month after month. A segment with no counterpart gets a new
//! id (above every id the earlier run used); an earlier segment with none is reported gone.
//!
//! Matching: a segment keeps an earlier id when the two centroids are each other's nearest
//! (mutual nearest neighbours), in this run's scaled space — the earlier centroids are taken
//! back to the data's units through the earlier run's scaler, then scaled with this run's.
//! Mutual nearest rather than a forced one-to-one matching: a segment that appeared while
//! another vanished is then new, not the vanished one's heir because the counts agree; and
//! it needs no threshold. Centroids rather than shared customers (as `segflow compare`
//! uses): next month's run may hold none of this month's customers. Both runs must model
//! the same columns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cluster::Model;
use crate::error::{Error, Result};
use crate::matrix::sq_dist;
use crate::model::ModelFile;
use crate::transform::Scaler;

/// How this run's segments relate to the reference run's.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The reference's model.json.
    pub reference: PathBuf,
    /// One per cluster of this run, by its label before the ids were kept.
    pub matches: Vec<Match>,
    /// The reference's segments that match none of this run's: id and name.
    pub gone: Vec<(i64, String)>,
    /// The reference's names of the matched segments, by id.
    pub names: BTreeMap<i64, String>,
}

/// One cluster of this run: the id it gets, and its distance to the reference segment whose
/// id it keeps (`None`: a new segment, with a new id).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub id: i64,
    pub distance: Option<f64>,
}

/// The reference's model.json: `path` is a run folder or the file itself.
pub fn read_reference(path: &Path) -> Result<(PathBuf, ModelFile)> {
    let file = if path.is_dir() {
        path.join(crate::stages::files::MODEL)
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(Error::Data(format!(
            "cluster.reference: {} holds no model.json; name the folder of a finished run",
            path.display()
        )));
    }
    let model = ModelFile::read(&file)?;
    Ok((file, model))
}

/// Matches `chosen` (fitted on columns scaled by `scaler`) to the reference's chosen model.
pub fn identify(
    file: &Path,
    reference: &ModelFile,
    scaler: &Scaler,
    chosen: &Model,
) -> Result<Identity> {
    let earlier = reference.chosen()?;
    let theirs = centroids_in(reference, earlier, scaler, file)?;
    let ours = &chosen.centroids;
    let cost: Vec<Vec<f64>> = ours
        .iter()
        .map(|c| theirs.iter().map(|t| sq_dist(c, t)).collect())
        .collect();
    let pairs = mutual_nearest(&cost);
    let their_ids: Vec<i64> = (0..theirs.len()).map(|j| earlier.segment_id(j)).collect();
    let mut next = their_ids
        .iter()
        .chain(reference.segments.iter().map(|s| &s.id))
        .copied()
        .max()
        .map_or(0, |m| m + 1)
        .max(0);
    let matches = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            Some(j) => Match {
                id: their_ids[*j],
                distance: Some(cost[i][*j].sqrt()),
            },
            None => {
                next += 1;
                Match {
                    id: next - 1,
                    distance: None,
                }
            }
        })
        .collect::<Vec<_>>();
    let name_of = |id: i64| {
        reference
            .segments
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
    };
    let kept: Vec<i64> = matches
        .iter()
        .filter(|m| m.distance.is_some())
        .map(|m| m.id)
        .collect();
    let gone = their_ids
        .iter()
        .filter(|id| !kept.contains(id))
        .map(|&id| (id, name_of(id).unwrap_or_default()))
        .collect();
    let names = kept
        .iter()
        .filter_map(|&id| name_of(id).map(|n| (id, n)))
        .collect();
    Ok(Identity {
        reference: file.to_path_buf(),
        matches,
        gone,
        names,
    })
}

/// For each row of `cost` (this run's segments × the reference's), the column it is
/// matched to: the two are each other's nearest (the first on equal costs).
fn mutual_nearest(cost: &[Vec<f64>]) -> Vec<Option<usize>> {
    let argmin = |it: &mut dyn Iterator<Item = (usize, f64)>| {
        it.fold(None, |best: Option<(usize, f64)>, (i, c)| match best {
            Some((_, b)) if b <= c => best,
            _ => Some((i, c)),
        })
        .map(|(i, _)| i)
    };
    (0..cost.len())
        .map(|i| {
            let j = argmin(&mut cost[i].iter().copied().enumerate())?;
            let back = argmin(&mut cost.iter().map(|row| row[j]).enumerate())?;
            (back == i).then_some(j)
        })
        .collect()
}

/// The reference model's centroids in this run's scaled space, column by column by name.
fn centroids_in(
    reference: &ModelFile,
    earlier: &Model,
    scaler: &Scaler,
    file: &Path,
) -> Result<Vec<Vec<f64>>> {
    let theirs = &reference.scaler;
    let absent = |a: &[String], from: &[String]| -> Vec<String> {
        a.iter().filter(|c| !from.contains(c)).cloned().collect()
    };
    let missing = absent(&scaler.columns, &theirs.columns);
    let extra = absent(&theirs.columns, &scaler.columns);
    if !missing.is_empty() || !extra.is_empty() {
        let mut what = Vec::new();
        if !missing.is_empty() {
            what.push(format!(
                "this run models {} and it does not",
                missing.join(", ")
            ));
        }
        if !extra.is_empty() {
            what.push(format!(
                "it models {} and this run does not",
                extra.join(", ")
            ));
        }
        return Err(Error::Data(format!(
            "cluster.reference: {} was fitted on other columns ({}); a reference must model the same columns",
            file.display(),
            what.join("; ")
        )));
    }
    let at: Vec<usize> = scaler
        .columns
        .iter()
        .map(|c| theirs.columns.iter().position(|t| t == c).unwrap_or(0))
        .collect();
    Ok(earlier
        .centroids
        .iter()
        .map(|c| {
            at.iter()
                .enumerate()
                .map(|(j, &t)| {
                    let raw =
                        c.get(t).copied().unwrap_or(f64::NAN) * theirs.scale[t] + theirs.center[t];
                    scaler.value(j, raw)
                })
                .collect()
        })
        .collect())
}

impl Identity {
    /// `model` with the kept ids: its labels renumbered, its centroids' ids recorded.
    pub fn relabel(&self, model: &Model) -> Model {
        let ids: Vec<i64> = self.matches.iter().map(|m| m.id).collect();
        let mut kept = model.clone();
        for l in kept.labels.iter_mut().filter(|l| **l >= 0) {
            *l = ids.get(*l as usize).copied().unwrap_or(*l);
        }
        kept.segment_ids = ids;
        kept
    }

    /// What a user must hear of (printed, kept in the manifest): new and vanished segments.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for m in self.matches.iter().filter(|m| m.distance.is_none()) {
            lines.push(format!(
                "cluster.reference: segment {} is new (no segment of {} matches it)",
                m.id,
                self.reference.display()
            ));
        }
        for (id, name) in &self.gone {
            lines.push(format!(
                "cluster.reference: segment {id} ({name}) of {} has no match in this run",
                self.reference.display()
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Fit;
    use crate::config::ScaleMethod;

    fn model(centroids: Vec<Vec<f64>>, ids: Vec<i64>) -> Model {
        Model {
            name: "kmeans_k2".into(),
            fit: Fit::Kmeans { k: centroids.len() },
            n_clusters: centroids.len(),
            labels: vec![0, 1, 1, -1],
            centroids,
            segment_ids: ids,
        }
    }

    fn scaler(columns: &[&str], center: f64, scale: f64) -> Scaler {
        Scaler {
            method: ScaleMethod::Standard,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            center: vec![center; columns.len()],
            scale: vec![scale; columns.len()],
        }
    }

    fn reference(m: Model, s: Scaler) -> ModelFile {
        let json = serde_json::json!({
            "schema_version": crate::model::SCHEMA_VERSION,
            "segflow_version": "test", "pipeline": "p", "id_column": "id", "rename": [],
            "clean": crate::transform::CleanModel::default(), "derive": [], "encodings": [],
            "scaler": s, "chosen_model": m.name, "models": [m], "core_points": [],
            "segments": [
                {"id": 0, "name": "Big", "size": 3, "share": 0.6},
                {"id": 1, "name": "Small", "size": 2, "share": 0.4},
                {"id": 7, "name": "Old", "size": 0, "share": 0.0}
            ]
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn matched_segments_keep_ids_through_two_scalers() {
        // Reference: raw centroids 10 and 30 (scaled by (x - 20) / 10: -1 and 1).
        let r = reference(
            model(vec![vec![-1.0], vec![1.0]], vec![]),
            scaler(&["a"], 20.0, 10.0),
        );
        // This run: raw 31 and 9, scaled by (x - 0) / 1, in the other order, plus a third.
        let ours = model(vec![vec![31.0], vec![9.0], vec![100.0]], vec![]);
        let id = identify(Path::new("m.json"), &r, &scaler(&["a"], 0.0, 1.0), &ours).unwrap();
        assert_eq!(
            id.matches,
            vec![
                Match {
                    id: 1,
                    distance: Some(1.0)
                },
                Match {
                    id: 0,
                    distance: Some(1.0)
                },
                // New: above every id the reference names (7).
                Match {
                    id: 8,
                    distance: None
                },
            ]
        );
        assert!(id.gone.is_empty());
        // A third segment far from both: new, though it is nearest to the first.
        assert_eq!(
            mutual_nearest(&[vec![1.0, 4.0], vec![2.0, 9.0]]),
            vec![Some(0), None]
        );
        assert_eq!(id.names[&1], "Small");
        let relabeled = id.relabel(&ours);
        assert_eq!(relabeled.labels, vec![1, 0, 0, -1]);
        assert_eq!(relabeled.segment_id(2), 8);
    }

    #[test]
    fn a_vanished_segment_is_reported_and_other_columns_refused() {
        let r = reference(
            model(vec![vec![-1.0], vec![1.0]], vec![4, 2]),
            scaler(&["a"], 0.0, 1.0),
        );
        let ours = model(vec![vec![0.9]], vec![]);
        let id = identify(Path::new("m.json"), &r, &scaler(&["a"], 0.0, 1.0), &ours).unwrap();
        assert_eq!(
            id.matches,
            vec![Match {
                id: 2,
                distance: Some((0.9f64 - 1.0).abs())
            }]
        );
        assert_eq!(id.gone, vec![(4, String::new())]);
        let err = identify(Path::new("m.json"), &r, &scaler(&["b"], 0.0, 1.0), &ours)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("this run models b and it does not; it models a and this run does not"),
            "{err}"
        );
    }
}
