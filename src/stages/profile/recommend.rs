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

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Trait {
    High(String),
    Low(String),
    Lapsed,
    Recent,
    Average,
    MostValuable,
    Rfm(String),
}

impl Trait {
    /// Parses `high income`, `lapsed`, `rfm champions`, … (case-insensitive).
    pub fn parse(s: &str) -> Option<Trait> {
        let t = s.trim().to_lowercase();
        let words = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let rest = |p: &str| {
            words
                .strip_prefix(p)
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
        };
        Some(match words.as_str() {
            "lapsed" => Trait::Lapsed,
            "recent" => Trait::Recent,
            "average" => Trait::Average,
            "most valuable" => Trait::MostValuable,
            _ => {
                if let Some(r) = rest("high ") {
                    Trait::High(r)
                } else if let Some(r) = rest("low ") {
                    Trait::Low(r)
                } else if let Some(r) = rest("rfm:").or_else(|| rest("rfm ")) {
                    Trait::Rfm(r)
                } else {
                    return None;
                }
            }
        })
    }

    pub fn label(&self) -> String {
        match self {
            Trait::High(f) => format!("high {f}"),
            Trait::Low(f) => format!("low {f}"),
            Trait::Lapsed => "lapsed".into(),
            Trait::Recent => "recent".into(),
            Trait::Average => "average".into(),
            Trait::MostValuable => "most valuable".into(),
            Trait::Rfm(s) => format!("rfm {s}"),
        }
    }
}

pub const TRAIT_FORMS: &str =
    "`high <feature>`, `low <feature>`, `lapsed`, `recent`, `average`, `most valuable` or `rfm <segment>`";

/// A row of the rule table.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub when: Vec<Trait>,
    pub action: String,
}

/// The rule table shipped with segflow (`profile.recommendations` replaces it).
pub fn default_rules() -> Vec<Rule> {
    let r = |when: &[&str], action: &str| Rule {
        when: when.iter().filter_map(|w| Trait::parse(w)).collect(),
        action: action.to_string(),
    };
    vec![
        r(&["high income", "high spend"], "VIP programme: exclusive previews, personal service and loyalty rewards to keep them"),
        r(&["high income", "low spend"], "Premium offers: curated high-end products and personal invitations to win a larger share of their wallet"),
        r(&["low income", "high spend"], "Loyalty points and member prices: reward their enthusiasm with value rather than margin-eating discounts"),
        r(&["low income", "low spend"], "Low-cost incentives: entry-price offers and discounts through cheap channels; keep the acquisition cost low"),
        r(&["rfm champions"], "Ask for reviews and referrals; early access to new products"),
        r(&["high monetary"], "VIP / loyalty programme for high-value customers: tiered rewards and a personal contact"),
        r(&["high frequency"], "Loyalty programme for frequent buyers: points, early access and subscriptions"),
        r(&["lapsed"], "Win-back campaign: a personal reminder with a time-limited incentive, then stop spending on those who do not return"),
        r(&["low frequency"], "Incentives for occasional buyers: a second-purchase offer and reminders timed to their cycle"),
        r(&["low monetary"], "Raise basket value: bundles and free-shipping thresholds"),
        r(&["most valuable"], "Budget focus: the most valuable customers per head; give them the largest share of the retention budget"),
        r(&["average"], "Nurture: regular newsletters and cross-selling to move them into a more valuable segment"),
    ]
}

/// What one segment shows, for matching rules.
pub struct Traits {
    /// (column, z) of every profiled numeric column.
    pub z: Vec<(String, f64)>,
    pub rfm: Option<String>,
    pub most_valuable: bool,
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
            .map(|(c, z)| format!("{c} {z:+.1} sd"))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(z: &[(&str, f64)]) -> Traits {
        Traits {
            z: z.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
            rfm: None,
            most_valuable: false,
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
}
