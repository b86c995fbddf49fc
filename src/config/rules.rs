//! The recommendation rule table's types: traits a segment can show and the rules that map
//! them to marketing actions, with the table segflow ships. `profile.recommendations`
//! replaces the table; the profile stage evaluates it (`stages::profile::recommend`).

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
    /// With `predict`: a segment whose customers are likely gone or whose valuable ones are.
    ChurnRisk,
    /// With `predict`: a larger share of the expected value than of the past value.
    Rising,
    /// With `predict`: expected value per customer well above all customers'.
    HighPredictedValue,
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
            "churn risk" => Trait::ChurnRisk,
            "rising" => Trait::Rising,
            "high predicted value" => Trait::HighPredictedValue,
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

    /// Whether the trait reads the predictions (it never holds without `predict`).
    pub fn needs_predict(&self) -> bool {
        matches!(
            self,
            Trait::ChurnRisk | Trait::Rising | Trait::HighPredictedValue
        )
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
            Trait::ChurnRisk => "churn risk".into(),
            Trait::Rising => "rising".into(),
            Trait::HighPredictedValue => "high predicted value".into(),
        }
    }
}

pub const TRAIT_FORMS: &str =
    "`high <feature>`, `low <feature>`, `lapsed`, `recent`, `average`, `most valuable`, `rfm <segment>`, or with `predict` `churn risk`, `rising` or `high predicted value`";

/// A row of the rule table.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
        r(&["churn risk"], "Retention before it is too late: reach the valuable customers the model expects to lose (P(alive) below ½) with a personal offer now"),
        r(&["rising"], "Invest ahead of the curve: this segment's expected value outgrows its past; onboard and cross-sell while they are building the habit"),
        r(&["high predicted value"], "Protect future value: priority service and early access for the customers expected to be worth the most next year"),
        r(&["most valuable"], "Budget focus: the most valuable customers per head; give them the largest share of the retention budget"),
        r(&["average"], "Nurture: regular newsletters and cross-selling to move them into a more valuable segment"),
    ]
}
