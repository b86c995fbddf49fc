//! The Spark SQL of `segflow assign --engine spark`: a finished run's fitted transforms and
//! its nearest centroid, written for Spark, in the order and with the reasons of
//! [`crate::assign::prepare`] (numbers read from text, fills, outlier bounds, derived
//! features, one-hot encodings, scaling). Pure text building, unit-tested without a cluster.
//!
//! The query is a chain of steps (`s0` … `sN`), each a full projection of the one before:
//! a step replaces a column under its own name or adds one, so a derived feature's SQL sees
//! the columns by the names the run gave them. Reasons are columns `__r<i>`, joined at the
//! end in the order they were added.

use crate::cluster::Fit;
use crate::config::OutlierAction;
use crate::data_err;
use crate::error::Result;
use crate::model::ModelFile;

use super::sql::{ident, text, Kind, SourceColumn, LINE, READ};

/// What the customer id column needs: as read, or text that holds plain integers (`17850`,
/// `17850.0`) turned into whole numbers, as the local engine reads such ids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IdForm {
    AsRead,
    Integers,
    /// No id column: rows are numbered from 1 in file order.
    RowNumber,
}

/// The most model columns a DBSCAN model may have on Spark: each customer is looked up in
/// the 3^d cells around its own (729 at 6).
pub const DBSCAN_DIMS: usize = 6;

/// What Spark cannot score: a DBSCAN model of more than [`DBSCAN_DIMS`] columns.
pub fn check_model(model: &ModelFile) -> Result<()> {
    let chosen = model.chosen()?;
    let d = model.scaler.columns.len();
    let grid = match chosen.fit {
        Fit::Dbscan { .. } => true,
        Fit::Kmeans { .. } | Fit::Agglomerative { .. } => false,
        Fit::Hdbscan { .. } => {
            return Err(data_err!(
                "the Spark engine does not score HDBSCAN models (`{}`: each customer would be compared with every clustered point); run `segflow assign` without --engine spark",
                chosen.name
            ))
        }
        Fit::Gmm { .. } => {
            return Err(data_err!(
                "the Spark engine does not score Gaussian mixtures (`{}`); run `segflow assign` without --engine spark",
                chosen.name
            ))
        }
    };
    if grid && d > DBSCAN_DIMS {
        return Err(data_err!(
            "the Spark engine scores DBSCAN models of at most {DBSCAN_DIMS} model columns (each customer is looked up in the 3^d cells around it); `{}` has {d}: run `segflow assign` without --engine spark",
            chosen.name
        ));
    }
    Ok(())
}

/// The uploaded core points (`__i`, `__label`, `__c<j>`) with their cells of side eps
/// (`__k<j>`): the view [`CORE`] the DBSCAN scoring joins.
pub fn core_view(model: &ModelFile, uploaded: &str) -> Result<String> {
    let eps = dbscan_eps(model)?;
    let keys: Vec<String> = (0..model.scaler.columns.len())
        .map(|j| format!("CAST(floor(__c{j} / {}) AS BIGINT) AS __k{j}", num(eps)))
        .collect();
    Ok(format!("SELECT *, {} FROM {uploaded}", keys.join(", ")))
}

/// The view of the core points with their cells.
pub const CORE: &str = "segflow_core";

fn dbscan_eps(model: &ModelFile) -> Result<f64> {
    let chosen = model.chosen()?;
    match chosen.fit {
        Fit::Dbscan { eps, .. } => Some(eps),
        Fit::Kmeans { .. } | Fit::Agglomerative { .. } | Fit::Hdbscan { .. } | Fit::Gmm { .. } => {
            None
        }
    }
    .filter(|e| *e > 0.0)
    .ok_or_else(|| data_err!("model `{}` has no eps", chosen.name))
}

/// A Spark `rlike` pattern for an id written as a plain integer (as the local engine's
/// reader takes them: no leading zeros, an optional zero fraction, at most 18 digits).
pub const PLAIN_INTEGER: &str = "^-?(0|[1-9][0-9]{0,17})(\\\\.0+)?$";

/// Rows, missing ids, duplicated ids and ids that are not plain integers, in one scan.
pub fn id_stats_query(id: Option<&str>) -> String {
    let Some(id) = id else {
        return format!(
            "SELECT count(*) AS __rows, 0L AS __missing, 0L AS __duplicated, 0L AS __not_integers FROM {READ}"
        );
    };
    let c = ident(id);
    format!(
        "SELECT count(*) AS __rows, count_if({c} IS NULL) AS __missing, \
         count({c}) - count(DISTINCT {c}) AS __duplicated, \
         count_if({c} IS NOT NULL AND (CAST({c} AS STRING) = '-0' OR NOT CAST({c} AS STRING) RLIKE '{PLAIN_INTEGER}')) AS __not_integers \
         FROM {READ}"
    )
}

/// Up to five ids that occur more than once, for the error message.
pub fn duplicated_ids_query(id: &str) -> String {
    let c = ident(id);
    format!(
        "SELECT CAST({c} AS STRING) AS id FROM {READ} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) > 1 ORDER BY min({LINE}) LIMIT 5"
    )
}

/// An exact double literal.
fn num(x: f64) -> String {
    format!("CAST('{x:e}' AS DOUBLE)")
}

/// A double as text the way the local engine writes it in a reason (Rust's `{}`): whole
/// numbers without a fraction; others as Spark writes them (the same digits for values
/// between 0.001 and 10^7).
fn shown(c: &str) -> String {
    format!(
        "CASE WHEN {c} = floor({c}) AND abs({c}) < 1e15D THEN CAST(CAST({c} AS BIGINT) AS STRING) ELSE CAST({c} AS STRING) END"
    )
}

/// The chain of steps being built.
struct Steps {
    ctes: Vec<String>,
    columns: Vec<String>,
    reasons: usize,
    /// Steps so far (`s0` … `s<n-1>`); `ctes` may hold other named queries between them.
    n: usize,
}

impl Steps {
    /// One step: `replace` gives new expressions for existing columns, `add` new columns.
    fn step(&mut self, replace: &[(String, String)], add: Vec<(String, String)>) {
        let prev = match self.n {
            0 => READ.to_string(),
            n => format!("s{}", n - 1),
        };
        let mut select: Vec<String> = self
            .columns
            .iter()
            .map(|c| match replace.iter().find(|(name, _)| name == c) {
                Some((_, expr)) => format!("{expr} AS {}", ident(c)),
                None => ident(c),
            })
            .collect();
        for (name, expr) in &add {
            select.push(format!("{expr} AS {}", ident(name)));
            self.columns.push(name.clone());
        }
        self.ctes.push(format!(
            "s{} AS (SELECT {} FROM {prev})",
            self.n,
            select.join(", ")
        ));
        self.n += 1;
    }

    /// A new reason column's name.
    fn reason(&mut self) -> String {
        self.reasons += 1;
        format!("__r{}", self.reasons - 1)
    }

    fn last(&self) -> String {
        format!("s{}", self.n - 1)
    }
}

/// The scored customers: the id, `segment`, `segment_name` and `reason`, in file order.
/// `columns` are the input's columns after renames (without the line number).
pub fn scored_query(
    model: &ModelFile,
    columns: &[SourceColumn],
    id: Option<&str>,
    form: IdForm,
) -> Result<String> {
    check_model(model)?;
    let mut s = Steps {
        ctes: Vec::new(),
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        reasons: 0,
        n: 0,
    };
    s.columns.push(LINE.to_string());
    let parsed = numbers_from_text(model, &mut s, columns);
    clean(model, &mut s, columns, &parsed);
    for (name, sql) in &model.derive {
        s.step(
            &[],
            vec![(name.clone(), format!("CAST(({sql}) AS DOUBLE)"))],
        );
    }
    encode(model, &mut s);
    let z = scale(model, &mut s);
    let reasons: Vec<String> = (0..s.reasons).map(|i| format!("__r{i}")).collect();
    let reason = format!("NULLIF(concat_ws('; ', {}), '')", reasons.join(", "));
    s.step(&[], vec![("__reason".into(), reason)]);
    match model.chosen()?.fit {
        // A tree places new customers by its clusters' centroids, as K-means does.
        Fit::Kmeans { .. } | Fit::Agglomerative { .. } => {
            s.step(&[], vec![("__d".into(), distances(model, &z)?)]);
            let nearest = nearest(model)?;
            let segment = format!("CASE WHEN __reason IS NULL THEN {nearest} END");
            s.step(&[], vec![("__segment".into(), segment)]);
        }
        Fit::Dbscan { .. } => core_point_step(model, &z, &mut s)?,
        Fit::Hdbscan { .. } | Fit::Gmm { .. } => check_model(model)?,
    }
    let id_expr = match (id, form) {
        (Some(c), IdForm::AsRead) => ident(c),
        (Some(c), IdForm::Integers) => format!(
            "CAST(regexp_extract(CAST({} AS STRING), '^(-?[0-9]+)', 1) AS BIGINT)",
            ident(c)
        ),
        _ => format!("row_number() OVER (ORDER BY {LINE})"),
    };
    let id_name = id.unwrap_or(crate::config::ROW_ID);
    Ok(format!(
        "WITH {} SELECT {id_expr} AS {}, __segment AS segment, \
         CASE WHEN __segment IS NOT NULL THEN {} END AS segment_name, __reason AS reason FROM {} ORDER BY {LINE}",
        s.ctes.join(",\n"),
        ident(id_name),
        names(model, "__segment"),
        s.last()
    ))
}

/// How the input holds column `c`, if it has it.
fn kind<'a>(columns: &'a [SourceColumn], c: &str) -> Option<&'a Kind> {
    columns.iter().find(|s| s.name == c).map(|s| &s.kind)
}

/// A numeric column of the run that Spark read as text (a stray word in one row) is parsed
/// row by row; a row that is not a number gets a reason (`assign::numbers_from_text`).
fn numbers_from_text(model: &ModelFile, s: &mut Steps, columns: &[SourceColumn]) -> Vec<String> {
    let kind = |c: &str| kind(columns, c);
    let numeric: Vec<&String> = model
        .numeric_columns()
        .into_iter()
        .filter(|c| kind(c) == Some(&Kind::Text))
        .collect();
    let mut replace = Vec::new();
    let mut add = Vec::new();
    for c in &numeric {
        let t = format!("trim({})", ident(c));
        let v = format!("try_cast({t} AS DOUBLE)");
        let ok = format!("({v} IS NOT NULL AND abs({v}) < CAST('Infinity' AS DOUBLE))");
        replace.push((c.to_string(), format!("CASE WHEN {ok} THEN {v} END")));
        let why = text(&format!("{c} is not a number: `"));
        add.push((
            s.reason(),
            format!("CASE WHEN {t} <> '' AND NOT {ok} THEN concat({why}, {t}, '`') END"),
        ));
    }
    if !numeric.is_empty() {
        s.step(&replace, add);
    }
    numeric.into_iter().cloned().collect()
}

/// The run's fills, then its outlier bounds: clipped as the run clipped them, or a reason
/// for a row the run would have dropped (`assign::clean`).
fn clean(model: &ModelFile, s: &mut Steps, columns: &[SourceColumn], parsed: &[String]) {
    let kind = |c: &str| kind(columns, c);
    let numeric = |c: &str| {
        parsed.iter().any(|p| p == c) || matches!(kind(c), Some(Kind::Whole | Kind::Fractional))
    };
    let fills: Vec<(String, String)> = model
        .clean
        .fills
        .iter()
        .filter(|f| kind(&f.column).is_some())
        .filter_map(|f| {
            let c = ident(&f.column);
            match (f.value.as_f64(), f.value.as_str()) {
                (Some(v), _) if numeric(&f.column) => {
                    Some(format!("coalesce(CAST({c} AS DOUBLE), {})", num(v)))
                }
                (None, Some(v)) if kind(&f.column) == Some(&Kind::Text) => {
                    Some(format!("coalesce({c}, {})", text(v)))
                }
                _ => None,
            }
            .map(|e| (f.column.clone(), e))
        })
        .collect();
    if !fills.is_empty() {
        s.step(&fills, Vec::new());
    }
    if model.clean.bounds.is_empty() {
        return;
    }
    let clip = model.clean.outlier_action == Some(OutlierAction::Clip);
    let mut replace = Vec::new();
    let mut add = Vec::new();
    for b in &model.clean.bounds {
        let v = format!("CAST({} AS DOUBLE)", ident(&b.column));
        let (lo, hi) = (num(b.lower), num(b.upper));
        if clip {
            replace.push((
                b.column.clone(),
                format!("CASE WHEN {v} IS NOT NULL THEN least(greatest({v}, {lo}), {hi}) END"),
            ));
        } else {
            let head = text(&format!("outlier: {}=", b.column));
            let tail = text(&format!(" outside [{}, {}]", b.lower, b.upper));
            add.push((
                s.reason(),
                format!(
                    "CASE WHEN {v} < {lo} OR {v} > {hi} THEN concat({head}, {}, {tail}) END",
                    shown(&v)
                ),
            ));
        }
    }
    s.step(&replace, add);
}

/// The run's one-hot encodings; a missing or unknown level is a reason (`Encoding::problem`).
fn encode(model: &ModelFile, s: &mut Steps) {
    for enc in &model.encodings {
        let v = format!("CAST({} AS STRING)", ident(&enc.column));
        let levels: Vec<String> = enc.levels.iter().map(|l| text(l)).collect();
        let unknown = text(&format!("unknown {} level `", enc.column));
        let known = text(&format!("` (known: {})", enc.levels.join(", ")));
        let mut add = vec![(
            s.reason(),
            format!(
                "CASE WHEN {v} IS NULL THEN {} WHEN {v} NOT IN ({}) THEN concat({unknown}, {v}, {known}) END",
                text(&format!("missing {}", enc.column)),
                levels.join(", ")
            ),
        )];
        for ind in &enc.indicators {
            let level = &ind[enc.column.len() + 1..];
            add.push((
                ind.clone(),
                format!("CASE WHEN {v} = {} THEN 1.0D ELSE 0.0D END", text(level)),
            ));
        }
        s.step(&[], add);
    }
}

/// Each model column scaled (`__z<j>`), and a reason for each that is missing.
fn scale(model: &ModelFile, s: &mut Steps) -> Vec<String> {
    let sc = &model.scaler;
    let mut add = Vec::new();
    let mut z = Vec::new();
    for (j, c) in sc.columns.iter().enumerate() {
        let v = format!("CAST({} AS DOUBLE)", ident(c));
        add.push((
            format!("__z{j}"),
            format!("({v} - {}) / {}", num(sc.center[j]), num(sc.scale[j])),
        ));
        z.push(format!("__z{j}"));
    }
    for c in &sc.columns {
        let why = text(&format!("missing {c}"));
        add.push((
            s.reason(),
            format!("CASE WHEN {} IS NULL THEN {why} END", ident(c)),
        ));
    }
    s.step(&[], add);
    z
}

/// DBSCAN: the segment of the nearest core point within eps (on equal distances the one
/// listed first), else noise (-1), as [`crate::cluster::place::Placer`] places: each scored
/// customer is joined to the core points of the 3^d cells of side eps around its own.
fn core_point_step(model: &ModelFile, z: &[String], s: &mut Steps) -> Result<()> {
    let eps = dbscan_eps(model)?;
    let d = z.len();
    let offsets: Vec<String> = (0..3usize.pow(d as u32))
        .map(|mut code| {
            let fields: Vec<String> = (0..d)
                .map(|j| {
                    let o = (code % 3) as i64 - 1;
                    code /= 3;
                    format!("'o{j}', {o}L")
                })
                .collect();
            format!("named_struct({})", fields.join(", "))
        })
        .collect();
    let prev = s.last();
    let zs = z.join(", ");
    s.ctes.push(format!(
        "__probe AS (SELECT {LINE}, {zs}, explode(array({})) AS __o FROM {prev} WHERE __reason IS NULL)",
        offsets.join(", ")
    ));
    let same_cell: Vec<String> = z
        .iter()
        .enumerate()
        .map(|(j, zj)| {
            format!(
                "c.__k{j} = CAST(floor(p.{zj} / {}) AS BIGINT) + p.__o.o{j}",
                num(eps)
            )
        })
        .collect();
    let dd: Vec<String> = z
        .iter()
        .enumerate()
        .map(|(j, zj)| format!("(p.{zj} - c.__c{j}) * (p.{zj} - c.__c{j})"))
        .collect();
    s.ctes.push(format!(
        "__pairs AS (SELECT p.{LINE}, c.__i, c.__label, ({}) AS __dd FROM __probe p JOIN {CORE} c ON {})",
        dd.join(" + "),
        same_cell.join(" AND ")
    ));
    s.ctes.push(format!(
        "__near AS (SELECT {LINE}, min_by(__label, named_struct('d', __dd, 'i', __i)) AS __seg FROM __pairs WHERE __dd <= {} GROUP BY {LINE})",
        num(eps * eps)
    ));
    let columns: Vec<String> = s
        .columns
        .iter()
        .map(|c| format!("t.{}", ident(c)))
        .collect();
    s.ctes.push(format!(
        "s{} AS (SELECT {}, CASE WHEN t.__reason IS NULL THEN coalesce(n.__seg, -1L) END AS __segment FROM {prev} t LEFT JOIN __near n ON t.{LINE} = n.{LINE})",
        s.n,
        columns.join(", ")
    ));
    s.n += 1;
    s.columns.push("__segment".into());
    Ok(())
}

/// The squared distance to each centroid (`__d`), summed in the order
/// [`crate::matrix::sq_dist`] sums.
fn distances(model: &ModelFile, z: &[String]) -> Result<String> {
    let chosen = model.chosen()?;
    if chosen.centroids.is_empty() {
        return Err(data_err!("model `{}` has no centroids", chosen.name));
    }
    let distances: Vec<String> = chosen
        .centroids
        .iter()
        .map(|c| {
            let terms: Vec<String> = z
                .iter()
                .zip(c)
                .map(|(zj, cj)| format!("({zj} - {0}) * ({zj} - {0})", num(*cj)))
                .collect();
            format!("({})", terms.join(" + "))
        })
        .collect();
    Ok(format!("array({})", distances.join(", ")))
}

/// The segment id of the nearest centroid: the first of equally near ones, as
/// [`crate::cluster::kmeans::nearest`] picks.
fn nearest(model: &ModelFile) -> Result<String> {
    let chosen = model.chosen()?;
    let ids: Vec<String> = (0..chosen.centroids.len())
        .map(|i| format!("{}L", chosen.segment_id(i)))
        .collect();
    Ok(format!(
        "element_at(array({}), CAST(array_position(__d, array_min(__d)) AS INT))",
        ids.join(", ")
    ))
}

/// The segment's name (as `assign` names it: noise for an id without a name).
fn names(model: &ModelFile, segment: &str) -> String {
    let cases: Vec<String> = model
        .segments
        .iter()
        .map(|s| format!("WHEN {} THEN {}", s.id, text(&s.name)))
        .collect();
    format!(
        "CASE {segment} {} ELSE 'Noise (no segment)' END",
        cases.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(algorithm: &str, outlier_action: &str) -> ModelFile {
        let json = serde_json::json!({
            "schema_version": crate::model::SCHEMA_VERSION,
            "segflow_version": "test", "pipeline": "p", "id_column": "id", "rename": [],
            "clean": {
                "fills": [
                    {"column": "age", "value": 40.5, "filled": 1},
                    {"column": "sex", "value": "F", "filled": 1}
                ],
                "bounds": [{"column": "income", "lower": -1.5, "upper": 120.0,
                            "basis": [1.0, 2.0], "flagged": 0}],
                "outlier_action": outlier_action, "empty_columns": []
            },
            "derive": [["ratio", "income / age"]],
            "encodings": [{"column": "sex", "levels": ["F", "M"], "indicators": ["sex_M"]}],
            "scaler": {"method": "standard", "columns": ["age", "ratio", "sex_M"],
                       "center": [40.0, 0.1, 0.5], "scale": [10.0, 3.0, 0.5]},
            "chosen_model": "m",
            "models": [{"name": "m", "algorithm": algorithm, "k": 2, "n_clusters": 2,
                        "centroids": [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
                        "eps": 0.25, "min_samples": 5, "core_points": [],
                        "linkage": "ward", "min_cluster_size": 5,
                        "segment_ids": [4, 2]}],
            "core_points": [],
            "segments": [{"id": 4, "name": "Four", "size": 3, "share": 0.6},
                         {"id": 2, "name": "Two's", "size": 2, "share": 0.4}]
        });
        serde_json::from_value(json).unwrap()
    }

    fn columns() -> Vec<SourceColumn> {
        let c = |name: &str, kind: Kind| SourceColumn {
            name: name.into(),
            kind,
        };
        vec![
            c("id", Kind::Text),
            c("age", Kind::Text),
            c("income", Kind::Whole),
            c("sex", Kind::Text),
        ]
    }

    #[test]
    fn trees_are_scored_by_their_centres_and_hdbscan_is_refused() {
        let tree = scored_query(
            &model("agglomerative", "drop"),
            &columns(),
            Some("id"),
            IdForm::AsRead,
        )
        .unwrap();
        let centres = scored_query(
            &model("kmeans", "drop"),
            &columns(),
            Some("id"),
            IdForm::AsRead,
        )
        .unwrap();
        assert_eq!(tree, centres);
        let err = scored_query(
            &model("hdbscan", "drop"),
            &columns(),
            Some("id"),
            IdForm::AsRead,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("the Spark engine does not score HDBSCAN models (`m`"),
            "{err}"
        );
        assert!(
            err.contains("run `segflow assign` without --engine spark"),
            "{err}"
        );
    }

    #[test]
    fn the_steps_follow_assign_in_order_with_its_words() {
        let q = scored_query(
            &model("kmeans", "drop"),
            &columns(),
            Some("id"),
            IdForm::AsRead,
        )
        .unwrap();
        let at = |needle: &str| q.find(needle).unwrap_or_else(|| panic!("{needle} in {q}"));
        // Numbers from text, fills, bounds, derive, encodings, scaling, reasons, segments.
        let order = [
            "'age is not a number: `'",
            "coalesce(CAST(`age` AS DOUBLE), CAST('4.05e1' AS DOUBLE)) AS `age`",
            "coalesce(`sex`, 'F') AS `sex`",
            "'outlier: income='",
            "' outside [-1.5, 120]'",
            "CAST((income / age) AS DOUBLE) AS `ratio`",
            "'unknown sex level `'",
            "'` (known: F, M)'",
            "CASE WHEN CAST(`sex` AS STRING) = 'M' THEN 1.0D ELSE 0.0D END AS `sex_M`",
            "(CAST(`age` AS DOUBLE) - CAST('4e1' AS DOUBLE)) / CAST('1e1' AS DOUBLE) AS `__z0`",
            "'missing sex_M'",
            "concat_ws('; ', __r0, __r1, __r2, __r3, __r4, __r5)",
            "element_at(array(4L, 2L), CAST(array_position(__d, array_min(__d)) AS INT))",
            "WHEN 2 THEN 'Two\\'s'",
        ];
        for pair in order.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
        }
        // A whole-number column is not parsed from text; clipping replaces instead of a reason.
        assert!(!q.contains("'income is not a number"));
        let clip = scored_query(
            &model("kmeans", "clip"),
            &columns(),
            Some("id"),
            IdForm::AsRead,
        )
        .unwrap();
        assert!(clip.contains("least(greatest(CAST(`income` AS DOUBLE), CAST('-1.5e0' AS DOUBLE)), CAST('1.2e2' AS DOUBLE)) END AS `income`"));
        assert!(!clip.contains("'outlier: "));
    }

    #[test]
    fn ids_literals_and_dbscan_lookups_are_exact() {
        let m = model("kmeans", "drop");
        let q = |form| scored_query(&m, &columns(), Some("id"), form).unwrap();
        assert!(q(IdForm::Integers).contains(
            "CAST(regexp_extract(CAST(`id` AS STRING), '^(-?[0-9]+)', 1) AS BIGINT) AS `id`"
        ));
        assert!(scored_query(&m, &columns(), None, IdForm::RowNumber)
            .unwrap()
            .contains("row_number() OVER (ORDER BY __line) AS `row_id`"));
        for x in [0.1, -1.0 / 3.0, 1e-300, 123456789.123] {
            let lit = num(x);
            let inner = &lit["CAST('".len()..lit.len() - "' AS DOUBLE)".len()];
            assert_eq!(
                inner.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{lit}"
            );
        }
        // DBSCAN: each customer looked up in the 27 cells around its own (3 columns), the
        // nearest core point within eps (0.5: 0.25 squared), else noise.
        let mut dbscan = model("dbscan", "drop");
        dbscan.models[0].fit = Fit::Dbscan {
            eps: 0.5,
            min_samples: 5,
            core_points: Vec::new(),
        };
        let q = scored_query(&dbscan, &columns(), Some("id"), IdForm::AsRead).unwrap();
        assert_eq!(q.matches("named_struct('o0'").count(), 27);
        assert!(q.contains("min_by(__label, named_struct('d', __dd, 'i', __i))"));
        assert!(q.contains("WHERE __dd <= CAST('2.5e-1' AS DOUBLE)"));
        assert!(q.contains("coalesce(n.__seg, -1L)"));
        let core = core_view(&dbscan, "up").unwrap();
        assert!(core.contains("CAST(floor(__c2 / CAST('5e-1' AS DOUBLE)) AS BIGINT) AS __k2"));
        // More than six model columns: refused, saying what to run instead.
        dbscan.scaler.columns = (0..7).map(|j| format!("c{j}")).collect();
        let err = check_model(&dbscan).unwrap_err().to_string();
        assert!(
            err.contains("at most 6 model columns") && err.contains("without --engine spark"),
            "{err}"
        );
    }
}
