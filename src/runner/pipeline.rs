//! The stages in run order, each through the cache: one function per stage that computes its
//! outputs (or restores them) and hands later stages what they need. A frame is dropped as
//! soon as no later stage needs it: with ten million invoice lines, holding every stage's
//! copy would multiply the peak memory.

use std::borrow::Cow;
use std::fmt::Write as _;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::cache::{Produced, Runner};
use crate::cluster::{Model, NOISE};
use crate::config::{InputKind, Plan, ProfilePlan, TxColumns};
use crate::error::{Error, Result};
use crate::identity::{self, Identity};
use crate::matrix::Matrix;
use crate::model::{Fitted, ModelFile};
use crate::report::{eda::Before, ReportInput};
use crate::stages::files::{DROPPED, PROFILE_RFM, SEGMENTS_CSV, SEGMENTS_PARQUET};
use crate::stages::predict::{self, PredictState};
use crate::stages::{clean, cluster, evaluate, features, ingest, profile, scale, Stage};
use crate::transactions::{lines, purchases, rfm};
use crate::transform::{CleanModel, Encoding, Scaler};

/// What a complete run hands the summary.
pub(super) struct Outcome {
    pub(super) chosen: String,
    pub(super) scores: Vec<evaluate::Score>,
    pub(super) segments: Vec<profile::Segment>,
    pub(super) dropped_rows: usize,
    pub(super) predict: Option<PredictState>,
}

#[derive(Serialize, Deserialize)]
struct FeatureState {
    model_columns: Vec<String>,
    encodings: Vec<Encoding>,
}

#[derive(Serialize, Deserialize)]
struct ClusterState {
    models: Vec<Model>,
    warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct EvaluateState {
    scores: Vec<evaluate::Score>,
    chosen: usize,
    #[serde(default)]
    warnings: Vec<String>,
}

/// What ingest leaves for the report: the input's missing values and, for customer tables,
/// the distributions before cleaning.
struct Ingested {
    raw: DataFrame,
    before: Option<Before>,
    missing: Vec<(String, usize)>,
}

/// The cleaned rows the features stage starts from: a table (customers, or invoice lines
/// cleaned here) or invoice lines already aggregated per customer (by Spark).
enum Rows {
    Frame(DataFrame),
    /// Invoice lines read (the ingest artifact's) and the clean artifact's selection of them.
    Lines(DataFrame, DataFrame),
    Aggregated(rfm::Aggregated),
}

/// What clean leaves: the cleaned rows, what was fitted, and the drop counts for the report.
struct Cleaned {
    data: Rows,
    model: CleanModel,
    dropped_rows: usize,
    dropped_reasons: Vec<(String, usize)>,
}

/// The features table and what the features stage decided.
struct Featured {
    data: DataFrame,
    state: FeatureState,
}

/// The scaled model matrix with its fitted scaler.
struct Scaled {
    ids: Column,
    x: Matrix,
    scaler: Scaler,
}

/// Runs the stages; `Ok(None)` when `--until` stopped the run early.
pub(super) fn run_stages(plan: &Plan, r: &mut Runner) -> Result<Option<Outcome>> {
    let Some((ing, cleaned)) = run_line_stages(plan, r)? else {
        return Ok(None);
    };
    let feats = run_features(plan, r, cleaned.data)?;
    if r.stop_after(Stage::Features) {
        return Ok(None);
    }
    let scaled = run_scale(plan, r, &feats)?;
    if r.stop_after(Stage::Scale) {
        return Ok(None);
    }
    let (models, warnings) = run_cluster(plan, r, &scaled)?;
    r.warnings.extend(warnings);
    if r.stop_after(Stage::Cluster) {
        return Ok(None);
    }
    let es = run_evaluate(plan, r, &scaled.x, &models)?;
    r.warnings.extend(es.warnings.iter().cloned());
    if r.stop_after(Stage::Evaluate) {
        return Ok(None);
    }
    let chosen = models.get(es.chosen).ok_or_else(|| {
        Error::Internal("the evaluation chose a model that does not exist".into())
    })?;
    let identity = identify(plan, r, &scaled.scaler, chosen)?;
    let kept = identity.as_ref().map(|i| i.relabel(chosen));
    let chosen = kept.as_ref().unwrap_or(chosen);
    let predicted = run_predict(plan, r)?;
    if r.stop_after(Stage::Predict) {
        return Ok(None);
    }
    let profiled = match &predicted {
        Some(p) => Cow::Owned(with_predictions(&feats.data, p, plan.input.id_column())?),
        None => Cow::Borrowed(&feats.data),
    };
    let run = Finished {
        before: ing.before.as_ref(),
        missing: &ing.missing,
        clean_model: &cleaned.model,
        dropped: &cleaned.dropped_reasons,
        feats: &feats,
        profiled: &profiled,
        scaled: &scaled,
        models: &models,
        chosen,
        scores: &es.scores,
        identity: identity.as_ref(),
        predicted: predicted.as_ref(),
    };
    let segments = run_profile(plan, r, &run)?;
    Ok(Some(Outcome {
        chosen: chosen.name.clone(),
        scores: es.scores,
        segments,
        dropped_rows: cleaned.dropped_rows,
        predict: predicted.map(|p| p.state),
    }))
}

/// Ingest and clean, on the configured engine; `None` when `--until` stopped the run.
fn run_line_stages(plan: &Plan, r: &mut Runner) -> Result<Option<(Ingested, Cleaned)>> {
    let streaming = plan.input.engine == crate::config::Engine::Streaming;
    // Spark's saved line work is taken unless the run is forced through features.
    let forced = r.opts.force || r.opts.from.is_some_and(|f| f <= Stage::Features);
    let reuse =
        (!forced).then(|| format!("{} {}", crate::manifest::VERSION, super::cache::build_id()));
    Ok(match (plan.input.on_spark(), transactions(plan)) {
        (Some(_), _) => run_line_work(r, &mut |dir, until, on| {
            crate::spark::line_work(plan, dir, until, reuse.as_deref(), on)
        })?,
        (None, Some(tx)) if streaming => run_line_work(r, &mut |dir, until, on| {
            crate::engines::streaming::line_work(plan, tx, dir, until, on)
        })?,
        _ => {
            let mut ing = run_ingest(plan, r)?;
            if r.stop_after(Stage::Ingest) {
                return Ok(None);
            }
            let raw = std::mem::take(&mut ing.raw);
            let cleaned = run_clean(plan, r, raw)?;
            if r.stop_after(Stage::Clean) {
                return Ok(None);
            }
            Some((ing, cleaned))
        }
    })
}

/// With `cluster.reference`: how the chosen model's segments match the reference's (its
/// lines go to the warnings, so they are printed and kept in the manifest).
fn identify(
    plan: &Plan,
    r: &mut Runner,
    scaler: &Scaler,
    chosen: &Model,
) -> Result<Option<Identity>> {
    let Some(path) = &plan.cluster.reference else {
        return Ok(None);
    };
    r.current = Stage::Profile.name();
    let (file, reference) = identity::read_reference(path)?;
    let id = identity::identify(&file, &reference, scaler, chosen)?;
    r.warnings.extend(id.lines());
    Ok(Some(id))
}

fn transactions(plan: &Plan) -> Option<&TxColumns> {
    match &plan.input.kind {
        InputKind::Transactions(tx) => Some(tx),
        InputKind::Customers => None,
    }
}

fn run_ingest(plan: &Plan, r: &mut Runner) -> Result<Ingested> {
    let input = &plan.input;
    let tx = transactions(plan);
    let material = material(&(
        &input.kind,
        &input.format,
        &input.id,
        &input.rename,
        &input.names,
    ))?;
    let (mut f, ()) = r.stage(Stage::Ingest, material, || {
        let raw = ingest::run(input)?;
        let note = match tx {
            Some(tx) => {
                let (first, last) = lines::date_span(&raw, tx)?;
                let customers = crate::frame::distinct_ids(raw.column(&tx.customer)?)?;
                lines::read_note(customers, first, last)
            }
            None => String::new(),
        };
        let copy_of = ingest::is_input_unchanged(input, &raw)?.then(|| input.path.clone());
        Ok(Produced {
            copy_of,
            rows_in: raw.height(),
            note,
            ..Produced::frames(vec![(Stage::Ingest.artifact(), raw)], ())
        })
    })?;
    let raw = f.remove(0);
    // The report's "before cleaning" view (customer tables; invoice lines are summarised
    // per customer by the features stage instead).
    let before = match tx {
        None => Some(Before::of(&raw, input.id_column())?),
        Some(_) => None,
    };
    let missing = raw
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.null_count()))
        .collect();
    Ok(Ingested {
        raw,
        before,
        missing,
    })
}

fn run_clean(plan: &Plan, r: &mut Runner, raw: DataFrame) -> Result<Cleaned> {
    let id = plan.input.id_column();
    // Invoice lines: the artifact selects the kept lines of the ingest artifact; the lines
    // read and the selection go on to features, which folds the kept ones.
    let mut counted = None;
    let (mut f, model) = r.stage(Stage::Clean, material(&plan.clean)?, || {
        if let Some(tx) = transactions(plan) {
            let out = lines::clean_lines(&raw, tx, &plan.clean.transactions)?;
            let note = lines::drop_note(&out.counts);
            counted = Some(out.counts);
            let frames = vec![
                (Stage::Clean.artifact(), out.selection),
                (DROPPED, out.dropped),
            ];
            return Ok(Produced {
                rows_in: raw.height(),
                note,
                ..Produced::frames(frames, CleanModel::default())
            });
        }
        let out = clean::run(&raw, &plan.clean, id)?;
        let frames = vec![(Stage::Clean.artifact(), out.data), (DROPPED, out.dropped)];
        Ok(Produced {
            rows_in: raw.height(),
            ..Produced::frames(frames, out.model)
        })
    })?;
    let dropped = f.pop().unwrap_or_default();
    // Invoice lines go on as read, with the selection (features folds the kept ones).
    let data = match transactions(plan) {
        Some(_) => Rows::Lines(raw, f.remove(0)),
        None => Rows::Frame(f.remove(0)),
    };
    // Invoice lines: per rule, in the rules' order (as the clean note says them).
    let dropped_reasons = match (counted, transactions(plan)) {
        (Some(counts), _) => counts.into_iter().filter(|(_, n)| *n > 0).collect(),
        (None, Some(tx)) => lines::reason_counts(&dropped, tx, &plan.clean.transactions)?,
        (None, None) => reason_counts(&dropped)?,
    };
    for c in &model.empty_columns {
        r.warnings
            .push(format!("column `{c}` has no values; it was left empty"));
    }
    Ok(Cleaned {
        data,
        model,
        dropped_rows: dropped.height(),
        dropped_reasons,
    })
}

/// The engine's line work (Spark's, or polars' streaming engine's).
type LineWorkFn<'a> = dyn FnMut(
        &std::path::Path,
        Option<Stage>,
        &mut dyn FnMut(crate::engines::Event),
    ) -> Result<crate::engines::LineWork>
    + 'a;

/// Ingest and clean on an engine that writes its own datasets (Spark, or the streaming
/// engine): they are recorded in the manifest and run on every run (the cache covers the
/// stages from features on, keyed by the aggregated table the engine returns). `None` when
/// `--until` stops before features.
fn run_line_work(r: &mut Runner, work: &mut LineWorkFn) -> Result<Option<(Ingested, Cleaned)>> {
    use crate::engines::Event;
    let until = r.opts.until;
    let dir = r.dir.to_path_buf();
    let mut started = std::time::Instant::now();
    let work = work(&dir, until, &mut |event| match event {
        Event::Started(stage) => {
            started = std::time::Instant::now();
            r.begin(stage);
        }
        Event::Finished(d) => r.record_dataset(&d, started.elapsed().as_secs_f64()),
    })?;
    let Some(aggregated) = work.aggregated else {
        return Ok(None);
    };
    // The aggregation counts towards the features stage's seconds.
    r.carried_seconds = started.elapsed().as_secs_f64();
    r.chain_digest(&aggregated)?;
    let dropped_rows = work.dropped.iter().map(|(_, n)| n).sum();
    let ingested = Ingested {
        raw: DataFrame::empty(),
        before: None,
        missing: work.missing,
    };
    let cleaned = Cleaned {
        data: Rows::Aggregated(aggregated),
        model: CleanModel::default(),
        dropped_rows,
        dropped_reasons: work.dropped.into_iter().filter(|(_, n)| *n > 0).collect(),
    };
    Ok(Some((ingested, cleaned)))
}

fn run_features(plan: &Plan, r: &mut Runner, cleaned: Rows) -> Result<Featured> {
    let id = plan.input.id_column();
    let rows_in = match &cleaned {
        Rows::Frame(df) => df.height(),
        Rows::Lines(_, kept) => kept.height(),
        Rows::Aggregated(a) => a.customers.height(),
    };
    let (mut f, state) = r.stage(Stage::Features, material(&plan.features)?, || {
        let out = match (transactions(plan), &plan.features.rfm, &cleaned) {
            (Some(tx), Some(rfm_plan), Rows::Lines(lines, kept)) => {
                let kept = rfm::Kept {
                    lines,
                    rows: Some(kept),
                };
                let table = rfm::features(kept, tx, &plan.clean.transactions, rfm_plan)?;
                features::run(&table, &plan.features, id)?
            }
            (Some(tx), Some(rfm_plan), Rows::Aggregated(a)) => {
                features::run(&rfm::table(a, tx, rfm_plan)?, &plan.features, id)?
            }
            (_, _, Rows::Frame(table)) => features::run(table, &plan.features, id)?,
            (Some(tx), None, Rows::Lines(lines, kept)) => {
                features::run(&lines::selected(lines, kept, tx)?, &plan.features, id)?
            }
            (_, _, Rows::Aggregated(_) | Rows::Lines(..)) => {
                return Err(Error::Internal(
                    "aggregated invoice lines without features.rfm".into(),
                ))
            }
        };
        let state = FeatureState {
            model_columns: out.model_columns,
            encodings: out.encodings,
        };
        Ok(Produced {
            rows_in,
            ..Produced::frames(vec![(Stage::Features.artifact(), out.data)], state)
        })
    })?;
    // The lines read are freed beside the next stages (10M lines: 0.07 s of unmapping).
    std::thread::spawn(move || drop(cleaned));
    Ok(Featured {
        data: f.remove(0),
        state,
    })
}

fn run_scale(plan: &Plan, r: &mut Runner, feats: &Featured) -> Result<Scaled> {
    let id = plan.input.id_column();
    let columns = &feats.state.model_columns;
    let (mut f, scaler) = r.stage(Stage::Scale, material(&plan.scale)?, || {
        let out = scale::run(&feats.data, columns, plan.scale, id)?;
        Ok(Produced {
            rows_in: feats.data.height(),
            ..Produced::frames(vec![(Stage::Scale.artifact(), out.data)], out.scaler)
        })
    })?;
    let scaled = f.remove(0);
    Ok(Scaled {
        ids: scaled.column(id)?.clone(),
        x: matrix_of(&scaled, columns, id)?,
        scaler,
    })
}

fn run_cluster(plan: &Plan, r: &mut Runner, s: &Scaled) -> Result<(Vec<Model>, Vec<String>)> {
    let x = &s.x;
    let c = &plan.cluster;
    let ranges = [
        ("kmeans", c.kmeans.as_ref().map(|k| &k.ks)),
        ("agglomerative", c.agglomerative.as_ref().map(|a| &a.ks)),
        ("gmm", c.gmm.as_ref().map(|g| &g.ks)),
    ];
    for (name, ks) in ranges {
        if let Some(kmax) = ks.and_then(|ks| ks.iter().max()).filter(|&&k| k > x.n) {
            r.current = Stage::Cluster.name();
            return Err(plan.source.error_at(
                &["cluster", name, "k"],
                format!("cluster.{name}.k goes up to {kmax} but only {} customers are left after cleaning", x.n),
            ));
        }
    }
    let material = format!("{} seed {}", material(&plan.cluster)?, plan.seed);
    let (mut f, cs) = r.stage(Stage::Cluster, material, || {
        let out = cluster::run(x, &s.ids, &plan.cluster, plan.seed)?;
        let state = ClusterState {
            models: out.models,
            warnings: out.warnings,
        };
        Ok(Produced {
            rows_in: x.n,
            ..Produced::frames(vec![(Stage::Cluster.artifact(), out.data)], state)
        })
    })?;
    let labels = f.remove(0);
    let mut models = cs.models;
    for m in models.iter_mut() {
        let col = labels.column(&m.name)?.cast(&DataType::Int64)?;
        m.labels = col.i64()?.iter().map(|v| v.unwrap_or(NOISE)).collect();
        restore_per_row(m, &labels)?;
    }
    Ok((models, cs.warnings))
}

/// The per-row values a model keeps beside its labels in the clusters artifact (not in the
/// cache's JSON): HDBSCAN's strengths, a mixture's probabilities.
fn restore_per_row(m: &mut Model, clusters: &DataFrame) -> Result<()> {
    let column = |suffix: &str| -> Result<Vec<f64>> {
        let c = clusters.column(&format!("{}_{suffix}", m.name))?;
        let c = c.cast(&DataType::Float64)?;
        Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    };
    match &mut m.fit {
        crate::cluster::Fit::Hdbscan { strength, .. } if strength.is_empty() => {
            *strength = column("strength")?
        }
        crate::cluster::Fit::Gmm { probability, .. } if probability.is_empty() => {
            *probability = column("probability")?
        }
        _ => {}
    }
    Ok(())
}

fn run_evaluate(
    plan: &Plan,
    r: &mut Runner,
    x: &Matrix,
    models: &[Model],
) -> Result<EvaluateState> {
    let material = format!("{} seed {}", material(&plan.evaluate)?, plan.seed);
    let (_, es) = r.stage(Stage::Evaluate, material, || {
        let out = evaluate::run(x, models, &plan.evaluate, &plan.cluster, plan.seed)?;
        let state = EvaluateState {
            scores: out.scores,
            chosen: out.chosen,
            warnings: out.warnings,
        };
        Ok(Produced {
            rows_in: models.len(),
            ..Produced::frames(vec![(Stage::Evaluate.artifact(), out.data)], state)
        })
    })?;
    Ok(es)
}

/// Everything the profile stage, `model.json` and the report read.
struct Finished<'a> {
    /// The input before cleaning (customer tables) and its missing values per column.
    before: Option<&'a Before>,
    missing: &'a [(String, usize)],
    clean_model: &'a CleanModel,
    /// Dropped rows per reason.
    dropped: &'a [(String, usize)],
    feats: &'a Featured,
    /// The features with the predictions beside them (runs with `predict`), which the
    /// profile and the deliverables read.
    profiled: &'a DataFrame,
    scaled: &'a Scaled,
    models: &'a [Model],
    chosen: &'a Model,
    scores: &'a [evaluate::Score],
    /// With `cluster.reference`: the kept segment ids (already in `chosen`) and names.
    identity: Option<&'a Identity>,
    predicted: Option<&'a Predicted>,
}

/// The predict stage's per-customer table and what it fitted.
struct Predicted {
    data: DataFrame,
    state: PredictState,
}

/// The predictions the profile and the deliverables carry, beside each customer's features.
const CARRIED: [&str; 5] = [
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "clv",
    "days_to_next_purchase",
];

fn run_predict(plan: &Plan, r: &mut Runner) -> Result<Option<Predicted>> {
    let (Some(p), Some(tx)) = (&plan.predict, transactions(plan)) else {
        return Ok(None);
    };
    let material = format!("{} seed {}", material(p)?, plan.seed);
    // Spark's clean dataset is a folder of parts (in line order), where the engine wrote it;
    // here the kept lines are those of the ingest artifact the clean rules keep.
    let lines = match plan.input.on_spark() {
        Some(spark) => purchases::Lines::Kept(
            match &spark.artifacts {
                Some(folder) => std::path::PathBuf::from(folder),
                None => r.dir.to_path_buf(),
            }
            .join("02_clean"),
        ),
        None => purchases::Lines::Ingested(r.dir.join(Stage::Ingest.artifact())),
    };
    let (mut f, state) = r.stage(Stage::Predict, material, || {
        let out = predict::run(&predict::PredictInput {
            lines: &lines,
            tx,
            clean: &plan.clean.transactions,
            as_of: plan.features.rfm.as_ref().and_then(|f| f.as_of),
            plan: p,
            seed: plan.seed,
        })?;
        let note = match &out.state.models {
            Some(m) => format!(
                "{} on {} customers; as of {}",
                m.purchases.name(),
                m.purchases.fit_of().0,
                out.state.as_of
            ),
            None => "no predictions (see the warnings)".into(),
        };
        Ok(Produced {
            rows_in: out.data.height(),
            note,
            parts: out.parts,
            ..Produced::frames(vec![(Stage::Predict.artifact(), out.data)], out.state)
        })
    })?;
    r.warnings.extend(state.warnings.iter().cloned());
    Ok(Some(Predicted {
        data: f.remove(0),
        state,
    }))
}

/// The features with the predictions beside them (the same customers, in the same order).
fn with_predictions(features: &DataFrame, p: &Predicted, id: &str) -> Result<DataFrame> {
    if features.column(id)? != p.data.column(id)? {
        return Err(Error::Internal(
            "the predictions are not for the customers of the features table".into(),
        ));
    }
    let mut out = features.clone();
    for c in CARRIED {
        out.with_column(p.data.column(c)?.clone())?;
    }
    Ok(out)
}

/// The profile section with the names kept from the reference (unless `profile.names` gives
/// one), and the stage's cache material.
fn profile_plan(plan: &Plan, identity: Option<&Identity>) -> Result<(ProfilePlan, String)> {
    let mut profile_plan = plan.profile.clone();
    let mut material = material(&plan.profile)?;
    if let Some(identity) = identity {
        for (&id, name) in &identity.names {
            if id >= 0 {
                profile_plan
                    .names
                    .entry(id as usize)
                    .or_insert(name.clone());
            }
        }
        // The report names the reference: another file with the same matching is another page.
        let at = identity.reference.display();
        let matches = self::material(&identity.matches)?;
        write!(material, " reference {at} {matches}").ok();
        write!(material, " {}", self::material(&profile_plan.names)?).ok();
    }
    Ok((profile_plan, material))
}

/// A plan section as the material of a stage's cache key: its JSON.
fn material(section: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(section).map_err(|e| Error::Internal(e.to_string()))
}

/// The chosen model's stability, when it was assessed.
fn chosen_stability<'a>(run: &Finished<'a>) -> Option<&'a crate::cluster::stability::Stability> {
    run.scores
        .iter()
        .find(|s| s.model == run.chosen.name)
        .and_then(|s| s.stability.as_ref())
}

/// `model.json`: everything `assign` needs to score new customers as this run did.
fn model_json(plan: &Plan, run: &Finished, segments: &[profile::Segment]) -> Result<Vec<u8>> {
    let fitted = Fitted {
        clean: run.clean_model,
        encodings: &run.feats.state.encodings,
        scaler: &run.scaled.scaler,
    };
    let mut model = ModelFile::of_run(
        plan,
        fitted,
        run.models,
        run.chosen,
        &run.scaled.x,
        segments,
    );
    model.predict = run.predicted.map(|p| p.state.clone());
    serde_json::to_vec_pretty(&model).map_err(|e| Error::Internal(e.to_string()))
}

fn run_profile(plan: &Plan, r: &mut Runner, run: &Finished) -> Result<Vec<profile::Segment>> {
    let id = plan.input.id_column();
    let feats = run.feats;
    let records_so_far = r.records.clone();
    let (profile_plan, material) = profile_plan(plan, run.identity)?;
    let features = run.profiled;
    let (_, segments) = r.stage(Stage::Profile, material, || {
        let cols = &feats.state.model_columns;
        let stability = chosen_stability(run);
        let evidence = profile::Evidence {
            stability,
            predictions: run.predicted.map(|p| &p.data),
        };
        let mut out = profile::run(
            features,
            cols,
            run.chosen,
            evidence,
            &profile_plan,
            id,
            plan.seed,
        )?;
        let json = model_json(plan, run, &out.summary)?;
        // The CRM table and the report are independent: made side by side.
        let segments_table = &mut out.segments;
        let (csv, report) = rayon::join(
            || crate::artifacts::csv_bytes(segments_table),
            || {
                crate::report::build(&ReportInput {
                    plan,
                    stages: &records_so_far,
                    missing: run.missing,
                    dropped: run.dropped,
                    scores: run.scores,
                    models: run.models,
                    chosen: run.chosen,
                    x: &run.scaled.x,
                    features,
                    id,
                    model_columns: cols,
                    segments: &out.summary,
                    before: run.before,
                    explanation: out.explanation.as_ref(),
                    zscores: &out.zscores,
                    rfm_crosstab: out.rfm_crosstab.as_ref(),
                    identity: run.identity,
                    predict: run.predicted.map(|p| &p.state),
                })
            },
        );
        let (csv, report) = (csv?, report?);
        let exports = profile::exports(&out.segments, &out.summary)?;
        let mut frames = vec![
            (Stage::Profile.artifact(), out.data),
            (SEGMENTS_PARQUET, out.segments),
        ];
        if let Some(ct) = out.rfm_crosstab {
            frames.push((PROFILE_RFM, ct));
        }
        let mut files = vec![
            (SEGMENTS_CSV.to_string(), csv),
            (crate::stages::files::MODEL.to_string(), json),
        ];
        files.extend(exports);
        files.extend(report);
        Ok(Produced {
            rows_in: feats.data.height(),
            files,
            ..Produced::frames(frames, out.summary)
        })
    })?;
    Ok(segments)
}

/// Dropped rows of a customer table per reason; outlier reasons are counted per column
/// ("outlier: Age").
fn reason_counts(dropped: &DataFrame) -> Result<Vec<(String, usize)>> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    if let Ok(col) = dropped.column("reason") {
        for r in col.as_materialized_series().str()?.iter().flatten() {
            for part in r.split("; ") {
                let key = part.split('=').next().unwrap_or(part).to_string();
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    Ok(counts.into_iter().collect())
}

/// The model matrix from the scaled artifact's columns.
fn matrix_of(scaled: &DataFrame, columns: &[String], id: &str) -> Result<Matrix> {
    let cols: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| crate::frame::f64_values(scaled, c, id))
        .collect::<Result<_>>()?;
    Ok(Matrix::from_columns(&cols))
}
