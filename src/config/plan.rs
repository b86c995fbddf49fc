//! The validated pipeline: every default resolved, every value checked, so that no stage
//! re-checks its configuration. Built from a [`RawConfig`] by [`Plan::from_raw`], one call
//! per section; checked against the input's columns by [`Plan::check_schema`] before the
//! first stage runs.

use polars::prelude::{DataType, Schema};

use super::clean::CleanPlan;
use super::cluster::ClusterPlan;
use super::evaluate::EvaluatePlan;
use super::expr::parse_expression;
use super::features::{rfm_schema, FeaturePlan};
use super::input::{InputKind, InputPlan};
use super::postgres::PgTarget;
use super::predict::PredictPlan;
use super::profile::ProfilePlan;
use super::raw::RawConfig;
use super::scale::ScaleMethod;
use super::source::Source;
use super::suggest::nearest;
use super::{clean, cluster, evaluate, features, input, postgres, predict, profile, scale};
use crate::error::{Error, Result};
use crate::frame::type_words;

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
    pub predict: Option<PredictPlan>,
    /// `output.postgres`: the table the segments are written to after a complete run.
    pub output: Option<PgTarget>,
}

/// The parenthesised part of a column's name (its unit or scale), if any: `(k$)` of
/// `Annual Income (k$)`.
pub fn unit_of(name: &str) -> Option<&str> {
    let start = name.find(['(', '['])?;
    let end = name.rfind([')', ']'])?;
    (end > start + 1).then(|| &name[start..=end])
}

impl Plan {
    /// Checks every value of the raw config and resolves defaults, section by section.
    pub fn from_raw(raw: RawConfig, source: Source) -> Result<Plan> {
        let src = &source;
        let name = pipeline_name(&raw, src)?;
        let input = input::from_raw(&raw.input, src)?;
        let clean = clean::from_raw(raw.clean.as_ref(), &input, src)?;
        let features = features::from_raw(&raw.features, &input.kind, src)?;
        let scale = scale::from_raw(raw.scale.as_ref(), src)?;
        let cluster = cluster::from_raw(&raw.cluster, src)?;
        let evaluate = evaluate::from_raw(raw.evaluate.as_ref(), &cluster, src)?;
        let mut profile = profile::from_raw(raw.profile.as_ref(), src)?;
        profile.units = input
            .rename
            .iter()
            .filter_map(|(from, to)| Some((to.clone(), unit_of(from)?.to_string())))
            .collect();
        let predict = predict::from_raw(raw.predict.as_ref(), &input.kind, &input.engine, src)?;
        let own_rules = raw
            .profile
            .as_ref()
            .is_some_and(|p| p.recommendations.is_some());
        if predict.is_none() && own_rules {
            profile::predicted_traits_need_predict(&profile.rules, src)?;
        }
        let output = raw
            .output
            .as_ref()
            .and_then(|o| o.postgres.as_ref())
            .map(|pg| postgres::target_from_raw(pg, src))
            .transpose()?;
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
            predict,
            output,
        })
    }

    /// Checks every column the plan names against the input's columns (after renames), so a
    /// typo fails before any stage runs, with the list of columns that exist.
    pub fn check_schema(&self, schema: &Schema) -> Result<()> {
        let table = match &self.input.postgres {
            Some(_) => "the rows of input.postgres (after renames)".to_string(),
            None => format!("{} (after renames)", self.input.path.display()),
        };
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
            let rfm = rfm_schema(tx, self.features.rfm.as_ref());
            return self.check_columns(&rfm, "the per-customer RFM table", &tx.customer);
        }
        if let Some(id) = &self.input.id {
            if schema.get(id).is_none() {
                return Err(self.missing(schema, &table, id, &["input", "id"], "the id"));
            }
        }
        self.check_columns(schema, &table, self.input.id_column())
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
        self.check_outliers(schema, table)?;
        for c in &self.features.one_hot {
            if schema.get(c).is_none() {
                return Err(self.missing(schema, table, c, &["features", "one_hot"], "one-hot"));
            }
        }
        let known = self.check_derived(schema, table)?;
        self.check_use(schema, table, &known)?;
        let profiled = self.profile.value.iter().map(|v| (v, "value"));
        let profiled = profiled.chain(self.profile.categories.iter().map(|c| (c, "categories")));
        for (c, key) in profiled {
            if !known.contains(c) {
                let role = format!("profile.{key}");
                return Err(self.missing(schema, table, c, &["profile", key], &role));
            }
        }
        if self.features.use_.iter().any(|c| c == id) {
            return Err(self.source.error_at(
                &["features", "use"],
                format!("the id column `{id}` cannot be a feature"),
            ));
        }
        Ok(())
    }

    /// Outlier columns: present and numeric.
    fn check_outliers(&self, schema: &Schema, table: &str) -> Result<()> {
        let Some(o) = &self.clean.outliers else {
            return Ok(());
        };
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
                    return Err(self.source.error_at(
                        &["clean", "outliers", "columns"],
                        format!("outlier column `{c}` holds {}, not numbers", type_words(dt)),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Derived columns may use the table's columns and earlier derived columns; returns
    /// the table's columns and the derived ones.
    fn check_derived(&self, schema: &Schema, table: &str) -> Result<Vec<String>> {
        let mut known: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        for (name, sql) in &self.features.derive {
            let expr = parse_expression(sql).map_err(|e| {
                self.source.error_at(
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
        Ok(known)
    }

    /// `features.use`: known columns (or one-hot indicators, or category shares) holding
    /// numbers.
    fn check_use(&self, schema: &Schema, table: &str, known: &[String]) -> Result<()> {
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
                    return Err(self.source.error_at(
                        &["features", "use"],
                        format!("feature column `{c}` holds {}, not numbers: list it under features.one_hot to encode it", type_words(dt)),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `name`: it names the folder outputs/<name>, so letters, digits, `_`, `-` and `.` only.
fn pipeline_name(raw: &RawConfig, src: &Source) -> Result<String> {
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
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, BASE};

    #[test]
    fn the_name_is_a_safe_folder_name() {
        assert_eq!(plan(BASE).name, "t");
        assert_eq!(plan(BASE).seed, 42);
        for bad in ["\"\"", "\"../x\"", ".hidden", "a/b", "\"white space\""] {
            refuses(
                &BASE.replace("name: t", &format!("name: {bad}")),
                "must be 1-100 characters",
            );
        }
    }
}
