//! Preferred categories: what each segment spends per category against all customers.
//! From invoice lines with a `category` column (the features table's `share_<category>`
//! columns times `monetary`), or from the spend columns a customer table lists under
//! `profile.categories`.

use super::keys::KeyFigures;
use super::ReportInput;
use crate::error::Result;
use crate::frame::f64_opts;

/// Categories shown at most (the ones with the most spend).
pub const MAX_CATEGORIES: usize = 12;
/// A lift at least this far from 1 is worth a sentence in the card.
const NOTABLE: f64 = 1.2;

pub struct CategoryMix {
    /// Category names, most spend first.
    pub categories: Vec<String>,
    /// Per segment (`input.segments` order), per category: mean spend per customer over
    /// all customers' (None when nobody bought it).
    pub lift: Vec<Vec<Option<f64>>>,
    /// Per segment, per category: the category's share of the segment's spend.
    pub share: Vec<Vec<f64>>,
    /// Per category: its share of all spend.
    pub overall_share: Vec<f64>,
}

/// (category name, spend per customer) from the features table, if it has any.
fn spend_columns(input: &ReportInput) -> Result<Vec<(String, Vec<f64>)>> {
    let zero = |v: Vec<Option<f64>>| -> Vec<f64> {
        v.into_iter()
            .map(|x| x.filter(|x| x.is_finite()).unwrap_or(0.0))
            .collect()
    };
    if !input.plan.profile.categories.is_empty() {
        return input
            .plan
            .profile
            .categories
            .iter()
            .map(|c| Ok((c.clone(), zero(f64_opts(input.features, c)?))))
            .collect();
    }
    let shares: Vec<String> = input
        .features
        .get_column_names()
        .iter()
        .filter_map(|c| c.strip_prefix("share_").map(str::to_string))
        .collect();
    if shares.is_empty() || input.features.column("monetary").is_err() {
        return Ok(Vec::new());
    }
    let monetary = zero(f64_opts(input.features, "monetary")?);
    shares
        .into_iter()
        .map(|c| {
            let share = zero(f64_opts(input.features, &format!("share_{c}"))?);
            let spend = share.iter().zip(&monetary).map(|(s, m)| s * m).collect();
            Ok((c, spend))
        })
        .collect()
}

impl CategoryMix {
    pub fn of(input: &ReportInput, kf: &KeyFigures) -> Result<Option<CategoryMix>> {
        let mut columns = spend_columns(input)?;
        let total = |v: &Vec<f64>| v.iter().sum::<f64>();
        columns.retain(|c| total(&c.1) > 0.0);
        if columns.len() < 2 {
            return Ok(None);
        }
        columns.sort_by(|a, b| total(&b.1).total_cmp(&total(&a.1)).then(a.0.cmp(&b.0)));
        columns.truncate(MAX_CATEGORIES);
        let n = input.chosen.labels.len().max(1) as f64;
        let all: f64 = columns.iter().map(|c| total(&c.1)).sum();
        let lift = kf
            .members
            .iter()
            .map(|m| {
                columns
                    .iter()
                    .map(|(_, v)| {
                        let mine = m.iter().map(|&i| v[i]).sum::<f64>() / m.len().max(1) as f64;
                        let everyone = total(v) / n;
                        (everyone > 0.0 && !m.is_empty()).then(|| mine / everyone)
                    })
                    .collect()
            })
            .collect();
        let share = kf
            .members
            .iter()
            .map(|m| {
                let sums: Vec<f64> = columns
                    .iter()
                    .map(|(_, v)| m.iter().map(|&i| v[i]).sum())
                    .collect();
                let spent: f64 = sums.iter().sum();
                sums.iter()
                    .map(|s| if spent > 0.0 { s / spent } else { 0.0 })
                    .collect()
            })
            .collect();
        Ok(Some(CategoryMix {
            overall_share: columns.iter().map(|c| total(&c.1) / all).collect(),
            categories: columns.into_iter().map(|c| c.0).collect(),
            lift,
            share,
        }))
    }

    /// Segment `r`'s notable categories in words: "2.1× the average on MntWines, …", the
    /// most over-bought first, then the most under-bought.
    pub fn sentence(&self, r: usize) -> Option<String> {
        let mut lifts: Vec<(f64, &String)> = self.lift[r]
            .iter()
            .zip(&self.categories)
            .filter_map(|(l, c)| l.map(|l| (l, c)))
            .collect();
        lifts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let more: Vec<String> = lifts
            .iter()
            .filter(|(l, _)| *l >= NOTABLE)
            .take(3)
            .map(|(l, c)| format!("{c} ({l:.1}×)"))
            .collect();
        let less: Vec<String> = lifts
            .iter()
            .rev()
            .filter(|(l, _)| *l <= 1.0 / NOTABLE)
            .take(2)
            .map(|(l, c)| format!("{c} ({l:.1}×)"))
            .collect();
        let mut parts = Vec::new();
        if !more.is_empty() {
            parts.push(format!(
                "spends more than the average customer on {}",
                more.join(", ")
            ));
        }
        if !less.is_empty() {
            parts.push(format!("less on {}", less.join(", ")));
        }
        if parts.is_empty() {
            return None;
        }
        let s = parts.join("; ");
        Some(format!("{}{}.", s[..1].to_uppercase(), &s[1..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_names_what_a_segment_buys_more_and_less_of() {
        let mix = CategoryMix {
            categories: vec!["wine".into(), "meat".into(), "gold".into()],
            lift: vec![vec![Some(2.13), Some(1.0), Some(0.4)]],
            share: vec![vec![0.5, 0.3, 0.2]],
            overall_share: vec![0.3, 0.3, 0.4],
        };
        assert_eq!(
            mix.sentence(0).unwrap(),
            "Spends more than the average customer on wine (2.1×); less on gold (0.4×)."
        );
    }
}
