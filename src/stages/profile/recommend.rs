//! Recommendations: a rule table from segment traits to marketing actions.
//!
//! A segment's traits are read off its profile: `high <feature>` / `low <feature>` when its
//! mean is at least half a standard deviation above / below all customers' (the same
//! threshold the names use), `lapsed` / `recent` for a high / low recency, `rfm <segment>`
//! for the RFM segment most of its customers fall in, `most valuable` for the segment with
//! the highest value per customer (mean monetary, else of a column named like "spend"), and `average` when nothing sets it apart. A rule fires when all
//! of its `when` traits hold; `<feature>` matches any profiled column whose name contains
//! those words (case-insensitive, `_` read as a space), so `high spending` matches
//! `spending_score` and `total_spend`.

use serde::{Deserialize, Serialize};

use crate::config::{Rule, Trait};

/// What one segment shows, for matching rules.
pub struct Traits {
    /// (column, z) of every profiled numeric column.
    pub z: Vec<(String, f64)>,
    /// Column → the evidence in the data's units ("median monetary 2,045 vs 668 for all
    /// customers"); a column missing here is described by its z.
    pub figures: std::collections::BTreeMap<String, String>,
    pub rfm: Option<String>,
    pub most_valuable: bool,
    /// The predicted-value traits (runs with `predict`).
    pub outlook: super::value::Outlook,
    /// No model column is at least `threshold` standard deviations away.
    pub average: bool,
}

/// A recommended action and the traits that triggered it, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub action: String,
    pub because: String,
}

fn words(column: &str) -> String {
    column.to_lowercase().replace('_', " ")
}

/// How a trait holds for a segment: `Some(evidence)` or `None`.
fn holds(t: &Trait, s: &Traits, threshold: f64) -> Option<String> {
    let feature = |f: &str, high: bool| {
        s.z.iter()
            .filter(|(c, _)| words(c).contains(f))
            .filter(|(_, z)| {
                if high {
                    *z >= threshold
                } else {
                    *z <= -threshold
                }
            })
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(c, z)| {
                s.figures
                    .get(c)
                    .cloned()
                    .unwrap_or_else(|| format!("{c} {z:+.1} sd"))
            })
    };
    match t {
        Trait::High(f) => feature(f, true),
        Trait::Low(f) => feature(f, false),
        Trait::Lapsed => feature("recency", true).map(|e| format!("lapsed: {e}")),
        Trait::Recent => feature("recency", false).map(|e| format!("recent: {e}")),
        Trait::Average => s.average.then(|| "no feature stands out".to_string()),
        Trait::MostValuable => s
            .most_valuable
            .then(|| "highest value per customer of all segments".to_string()),
        Trait::Rfm(name) => s
            .rfm
            .as_ref()
            .filter(|r| words(r) == words(name))
            .map(|r| format!("mostly RFM `{r}`")),
        Trait::ChurnRisk => s
            .outlook
            .churn_risk
            .as_ref()
            .map(|e| format!("churn risk: {e}")),
        Trait::Rising => s.outlook.rising.as_ref().map(|e| format!("rising: {e}")),
        Trait::HighPredictedValue => s.outlook.high_predicted_value.clone(),
    }
}

/// The actions whose rules fire for a segment, in table order.
pub fn recommend(rules: &[Rule], s: &Traits, threshold: f64) -> Vec<Action> {
    rules
        .iter()
        .filter_map(|r| {
            let evidence: Option<Vec<String>> =
                r.when.iter().map(|t| holds(t, s, threshold)).collect();
            evidence.map(|e| Action {
                action: r.action.clone(),
                because: e.join(", "),
            })
        })
        .collect()
}

/// When no rule of the table fires: an action from the segment's strongest traits (at most
/// two features at least `threshold` sd from all customers), so that no segment is left
/// without one; the reason says that no rule fitted and shows the evidence.
pub fn fallback(s: &Traits, threshold: f64) -> Action {
    let mut strong: Vec<&(String, f64)> =
        s.z.iter().filter(|(_, z)| z.abs() >= threshold).collect();
    strong.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    strong.truncate(2);
    let name = |c: &str| words(c).trim_start_matches("log1p ").to_string();
    let side = |high: bool| -> Vec<String> {
        strong
            .iter()
            .filter(|(_, z)| (*z > 0.0) == high)
            .map(|(c, _)| name(c))
            .collect()
    };
    let (highs, lows) = (side(true), side(false));
    let action = if !highs.is_empty() {
        format!(
            "Build on what sets it apart: its high {}",
            highs.join(" and high ")
        )
    } else if !lows.is_empty() {
        format!(
            "Find out what holds it back: its low {}",
            lows.join(" and low ")
        )
    } else {
        "Keep it in the general programme: it is close to the average customer".to_string()
    };
    let evidence: Vec<String> = strong
        .iter()
        .map(|(c, z)| {
            s.figures
                .get(c)
                .cloned()
                .unwrap_or_else(|| format!("{c} {z:+.1} sd"))
        })
        .collect();
    let because = match evidence.is_empty() {
        true => "no rule of the table fits; no feature stands out".to_string(),
        false => format!("no rule of the table fits; {}", evidence.join(", ")),
    };
    Action { action, because }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_rules;

    fn traits(z: &[(&str, f64)]) -> Traits {
        Traits {
            z: z.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
            figures: Default::default(),
            rfm: None,
            most_valuable: false,
            outlook: Default::default(),
            average: false,
        }
    }

    #[test]
    fn traits_parse_and_print() {
        assert_eq!(
            Trait::parse("High  Income"),
            Some(Trait::High("income".into()))
        );
        assert_eq!(
            Trait::parse("rfm: At risk"),
            Some(Trait::Rfm("at risk".into()))
        );
        assert_eq!(Trait::parse("most valuable"), Some(Trait::MostValuable));
        assert_eq!(Trait::parse("Churn  risk"), Some(Trait::ChurnRisk));
        assert_eq!(Trait::parse("rising"), Some(Trait::Rising));
        assert_eq!(
            Trait::parse("high predicted value"),
            Some(Trait::HighPredictedValue)
        );
        for t in [Trait::ChurnRisk, Trait::Rising, Trait::HighPredictedValue] {
            assert_eq!(Trait::parse(&t.label()), Some(t));
        }
        assert_eq!(Trait::parse("high"), None);
        assert_eq!(Trait::parse("wealthy"), None);
        assert_eq!(
            Trait::High("spending score".into()).label(),
            "high spending score"
        );
    }

    #[test]
    fn rules_fire_on_all_their_traits() {
        let rules = default_rules();
        let s = traits(&[("income", 1.2), ("spending_score", -1.1), ("Age", 0.1)]);
        let got = recommend(&rules, &s, 0.5);
        assert_eq!(got.len(), 1);
        assert!(got[0].action.starts_with("Premium offers"), "{got:?}");
        assert_eq!(got[0].because, "income +1.2 sd, spending_score -1.1 sd");

        let s = traits(&[("recency", 0.9), ("log1p_frequency", -0.7)]);
        let got: Vec<String> = recommend(&rules, &s, 0.5)
            .into_iter()
            .map(|a| a.because)
            .collect();
        assert_eq!(
            got,
            vec!["lapsed: recency +0.9 sd", "log1p_frequency -0.7 sd"]
        );
        // Below the threshold nothing fires, not even `average` (that is decided by the caller).
        assert!(recommend(&rules, &traits(&[("recency", 0.4)]), 0.5).is_empty());
    }

    #[test]
    fn a_segment_no_rule_fits_gets_an_action_from_its_strongest_traits() {
        let t = traits(&[("Grocery", 1.4), ("Detergents_Paper", 2.1), ("Fresh", -0.2)]);
        let a = fallback(&t, 0.5);
        assert_eq!(
            a.action,
            "Build on what sets it apart: its high detergents paper and high grocery"
        );
        assert_eq!(
            a.because,
            "no rule of the table fits; Detergents_Paper +2.1 sd, Grocery +1.4 sd"
        );
        let low = fallback(&traits(&[("log1p_monetary", -0.9)]), 0.5);
        assert_eq!(low.action, "Find out what holds it back: its low monetary");
        let flat = fallback(&traits(&[("Age", 0.1)]), 0.5);
        assert!(flat.action.starts_with("Keep it in the general programme"));
        assert_eq!(
            flat.because,
            "no rule of the table fits; no feature stands out"
        );
    }
}
