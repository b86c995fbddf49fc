//! `profile`: segment names, the explanation tree's depth and the recommendation rules.

use std::collections::BTreeMap;

use super::raw::{RawProfile, RawRule};
use super::rules::{default_rules, Rule, Trait, TRAIT_FORMS};
use super::source::{positive_int, Source};
use crate::error::Result;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfilePlan {
    pub top_features: usize,
    pub names: BTreeMap<usize, String>,
    /// Depth of the explanation tree; `None`: the shallowest of 2..=5 reaching 90% fidelity.
    pub explain_depth: Option<usize>,
    /// The recommendation rule table (the shipped one unless the YAML gives one).
    pub rules: Vec<Rule>,
    /// The value column (`profile.value`); `None`: `monetary`, else a column named like "spend".
    pub value: Option<String>,
    /// Spend-per-category columns (`profile.categories`) of a customer table.
    pub categories: Vec<String>,
    /// A renamed column → the unit its name in the file gave (`annual_income` → `(k$)` from
    /// `Annual Income (k$)`), shown with its figures.
    pub units: BTreeMap<String, String>,
}

pub(super) fn from_raw(raw: Option<&RawProfile>, src: &Source) -> Result<ProfilePlan> {
    let rp = raw.cloned().unwrap_or_default();
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
        None => default_rules(),
        Some(raw_rules) => rules_from_raw(raw_rules, src)?,
    };
    let value = rp.value.map(|v| v.trim().to_string());
    if value.as_deref() == Some("") {
        return Err(src.error_at(
            &["profile", "value"],
            "profile.value names a column: it cannot be empty",
        ));
    }
    let categories = categories_from_raw(rp.categories, src)?;
    Ok(ProfilePlan {
        top_features,
        names,
        explain_depth,
        rules,
        value,
        categories,
        units: BTreeMap::new(),
    })
}

/// `profile.recommendations`: each rule a non-empty `when` of known traits and an action.
fn rules_from_raw(raw_rules: Vec<RawRule>, src: &Source) -> Result<Vec<Rule>> {
    let at = &["profile", "recommendations"];
    let mut rules = Vec::new();
    for (i, r) in raw_rules.into_iter().enumerate() {
        if r.when.is_empty() || r.action.trim().is_empty() {
            return Err(src.error_at(
                at,
                format!(
                    "profile.recommendations rule {} needs a non-empty `when` and `action`",
                    i + 1
                ),
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
    Ok(rules)
}

/// Without `predict`, a rule on a predicted-value trait could never fire: refused.
pub(super) fn predicted_traits_need_predict(rules: &[Rule], src: &Source) -> Result<()> {
    for (i, r) in rules.iter().enumerate() {
        if let Some(t) = r.when.iter().find(|t| t.needs_predict()) {
            return Err(src.error_at(
                &["profile", "recommendations"],
                format!(
                    "profile.recommendations rule {}: `{}` reads the predictions; add a `predict` section (invoice lines) or remove the rule",
                    i + 1,
                    t.label()
                ),
            ));
        }
    }
    Ok(())
}

/// `profile.categories`: spend columns, each named once.
fn categories_from_raw(raw: Vec<String>, src: &Source) -> Result<Vec<String>> {
    let mut categories = Vec::new();
    for c in raw {
        let c = c.trim().to_string();
        if c.is_empty() || categories.contains(&c) {
            return Err(src.error_at(
                &["profile", "categories"],
                format!(
                    "profile.categories lists `{c}` twice or empty: name each spend column once"
                ),
            ));
        }
        categories.push(c);
    }
    Ok(categories)
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, BASE};

    #[test]
    fn names_depth_and_rules() {
        let p = plan(BASE).profile;
        assert_eq!((p.top_features, p.explain_depth), (2, None));
        assert!(!p.rules.is_empty(), "the shipped rule table");
        refuses(
            &with("profile: {top_features: 0}\n"),
            "profile.top_features must be at least 1",
        );
        refuses(
            &with("profile: {explain_depth: 9}\n"),
            "profile.explain_depth must be at most 8",
        );
        refuses(
            &with("profile: {names: {-1: x}}\n"),
            "profile.names must be at least 0",
        );
        refuses(
            &with("profile:\n  recommendations:\n    - {when: [], action: x}\n"),
            "rule 1 needs a non-empty `when` and `action`",
        );
        refuses(
            &with("profile:\n  recommendations:\n    - {when: [tall], action: x}\n"),
            "rule 1: `tall` is not a trait",
        );
        refuses(
            &with("profile:\n  recommendations:\n    - {when: [rising], action: x}\n"),
            "rule 1: `rising` reads the predictions; add a `predict` section",
        );
        refuses(
            &with("profile: {categories: [a, a]}\n"),
            "profile.categories lists `a` twice",
        );
        refuses(
            &with("profile: {value: \" \"}\n"),
            "profile.value names a column",
        );
        let p = plan(&with("profile: {value: b, categories: [a, b]}\n")).profile;
        assert_eq!((p.value.as_deref(), p.categories.len()), (Some("b"), 2));
        let custom = plan(&with(
            "profile:\n  recommendations:\n    - {when: [lapsed], action: \" Win back \"}\n",
        ));
        assert_eq!(custom.profile.rules.len(), 1);
        assert_eq!(custom.profile.rules[0].action, "Win back");
    }
}
