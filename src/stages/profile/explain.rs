//! Explanation rules: a shallow decision tree (smartcore's CART) trained to predict each
//! customer's segment from the unscaled model features. Every leaf is a readable rule
//! ("income > 69.5 and score > 59.5"); a segment's card lists the leaves that place its
//! customers, and the tree's fidelity says how far the rules can be trusted (the share of
//! customers the tree puts in their own segment).
//!
//! smartcore keeps its nodes private; its serde form (`nodes`, `classes`) is the one public
//! view of the fitted tree, so the rules are read from that.

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters,
};

use super::units::Readable;
use crate::error::{Error, Result};
use crate::metrics::silhouette::sample_indices;

/// Customers the tree is fitted on at most (a seeded sample above that); fidelity is
/// always measured on every customer.
pub const FIT_SAMPLE: usize = 20_000;

#[derive(Deserialize)]
struct TreeForm {
    nodes: Vec<NodeForm>,
    classes: Vec<i64>,
}

#[derive(Deserialize)]
struct NodeForm {
    output: usize,
    split_feature: usize,
    split_value: Option<f64>,
    true_child: Option<usize>,
    false_child: Option<usize>,
}

/// A leaf of the tree as a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leaf {
    pub segment: i64,
    pub conditions: String,
    /// Customers the leaf holds, and how many of them are in `segment`.
    pub customers: usize,
    pub correct: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub depth: usize,
    /// Share of all customers the tree places in their own segment.
    pub fidelity: f64,
    pub leaves: Vec<Leaf>,
}

/// A number for a rule: at most 4 significant digits, no trailing zeros.
fn short(v: f64) -> String {
    let mag = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    let decimals = (3 - mag).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A split on the way to a leaf: (feature, took the `≤` branch, threshold).
type Step = (usize, bool, f64);

/// Readable conditions from a path's splits: bounds on one feature merge into a range.
/// Thresholds are shown in the data's units (`monetary > 785`, not `log1p_monetary > 6.666`).
fn conditions(path: &[Step], names: &[Readable]) -> String {
    let mut parts = Vec::new();
    for (f, column) in names.iter().enumerate() {
        let name = &column.name;
        let lo = path
            .iter()
            .filter(|p| p.0 == f && !p.1)
            .map(|p| column.back(p.2))
            .fold(f64::NEG_INFINITY, f64::max);
        let hi = path
            .iter()
            .filter(|p| p.0 == f && p.1)
            .map(|p| column.back(p.2))
            .fold(f64::INFINITY, f64::min);
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) => parts.push(format!("{} < {name} ≤ {}", short(lo), short(hi))),
            (true, false) => parts.push(format!("{name} > {}", short(lo))),
            (false, true) => parts.push(format!("{name} ≤ {}", short(hi))),
            (false, false) => {}
        }
    }
    if parts.is_empty() {
        "every customer".to_string()
    } else {
        parts.join(" and ")
    }
}

/// Fidelity the automatic depth aims for, and the depths it tries.
pub const TARGET_FIDELITY: f64 = 0.9;
pub const AUTO_DEPTHS: std::ops::RangeInclusive<usize> = 2..=5;

/// The tree of the given depth, or the shallowest of [`AUTO_DEPTHS`] that reaches
/// [`TARGET_FIDELITY`] (the deepest when none does): short rules when they suffice.
pub fn explain_auto(
    columns: &[Vec<f64>],
    names: &[Readable],
    labels: &[i64],
    depth: Option<usize>,
    seed: u64,
) -> Result<Option<Explanation>> {
    if let Some(d) = depth {
        return explain(columns, names, labels, d, seed);
    }
    let mut best = None;
    for d in AUTO_DEPTHS {
        let e = explain(columns, names, labels, d, seed)?;
        let done = e.as_ref().is_none_or(|e| e.fidelity >= TARGET_FIDELITY);
        best = e;
        if done {
            break;
        }
    }
    Ok(best)
}

/// Fits the tree on `columns` (one Vec per feature, NaN allowed) and reads its rules.
/// `None` when there are fewer than two segments.
pub fn explain(
    columns: &[Vec<f64>],
    names: &[Readable],
    labels: &[i64],
    depth: usize,
    seed: u64,
) -> Result<Option<Explanation>> {
    let n = labels.len();
    let mut distinct = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 || columns.is_empty() || n == 0 {
        return Ok(None);
    }
    let fail = |e: &dyn std::fmt::Display| Error::Internal(format!("explanation tree: {e}"));
    let idx = sample_indices(n, FIT_SAMPLE, seed);
    let rows: Vec<Vec<f64>> = idx
        .iter()
        .map(|&i| columns.iter().map(|c| c[i]).collect())
        .collect();
    let y: Vec<i64> = idx.iter().map(|&i| labels[i]).collect();
    let x = DenseMatrix::from_2d_vec(&rows).map_err(|e| fail(&e))?;
    let params = DecisionTreeClassifierParameters::default()
        .with_max_depth(depth.min(u16::MAX as usize) as u16)
        .with_min_samples_leaf(1);
    let params = DecisionTreeClassifierParameters {
        seed: Some(seed),
        ..params
    };
    let tree: DecisionTreeClassifier<f64, i64, DenseMatrix<f64>, Vec<i64>> =
        DecisionTreeClassifier::fit(&x, &y, params).map_err(|e| fail(&e))?;
    let form: TreeForm = serde_json::from_value(serde_json::to_value(&tree).map_err(|e| fail(&e))?)
        .map_err(|e| fail(&e))?;
    if form.nodes.is_empty() {
        return Ok(None);
    }
    let leaves = leaf_paths(&form)?;
    let walked = walk(&form, columns, labels);
    // The rules are only worth showing if they are the tree smartcore fitted: its own
    // predictions on the fit sample must be ours.
    let theirs = tree.predict(&x).map_err(|e| fail(&e))?;
    if idx
        .iter()
        .zip(&theirs)
        .any(|(&i, t)| walked.predicted[i] != Some(*t))
    {
        return Err(fail(
            &"the tree read from smartcore's serde form predicts differently",
        ));
    }
    let leaves = leaves
        .into_iter()
        .filter_map(|(id, path)| {
            let segment = *form.classes.get(form.nodes[id].output)?;
            Some(Leaf {
                segment,
                conditions: conditions(&path, names),
                customers: walked.at_leaf[id].0,
                correct: walked.at_leaf[id].1,
            })
        })
        .collect();
    Ok(Some(Explanation {
        depth,
        fidelity: walked.correct as f64 / n as f64,
        leaves,
    }))
}

/// Every leaf of the tree with its path from the root, depth first (true = the `≤` branch).
fn leaf_paths(form: &TreeForm) -> Result<Vec<(usize, Vec<Step>)>> {
    let fail = |e: &dyn std::fmt::Display| Error::Internal(format!("explanation tree: {e}"));
    let mut leaves: Vec<(usize, Vec<Step>)> = Vec::new();
    let mut stack = vec![(0usize, Vec::new())];
    while let Some((id, path)) = stack.pop() {
        let node = form
            .nodes
            .get(id)
            .ok_or_else(|| fail(&"node out of range"))?;
        match (node.true_child, node.false_child, node.split_value) {
            (Some(t), Some(f), Some(v)) => {
                let mut pf = path.clone();
                pf.push((node.split_feature, false, v));
                stack.push((f, pf));
                let mut pt = path;
                pt.push((node.split_feature, true, v));
                stack.push((t, pt));
            }
            _ => leaves.push((id, path)),
        }
    }
    Ok(leaves)
}

/// Every customer's way through the tree.
struct Walked {
    /// Per node: customers that end there, and of those, the ones in the predicted segment.
    at_leaf: Vec<(usize, usize)>,
    correct: usize,
    predicted: Vec<Option<i64>>,
}

/// Every customer through the tree (as smartcore's predict: `x ≤ split` goes to the true
/// child, so a missing value goes to the false one).
fn walk(form: &TreeForm, columns: &[Vec<f64>], labels: &[i64]) -> Walked {
    let n = labels.len();
    let mut at_leaf = vec![(0usize, 0usize); form.nodes.len()];
    let mut correct = 0usize;
    let mut ours = Vec::with_capacity(n);
    for i in 0..n {
        let mut id = 0;
        loop {
            let node = &form.nodes[id];
            match (node.true_child, node.false_child) {
                (Some(t), Some(f)) => {
                    let v = columns[node.split_feature][i];
                    id = if v <= node.split_value.unwrap_or(f64::NAN) {
                        t
                    } else {
                        f
                    };
                }
                _ => break,
            }
        }
        let node = &form.nodes[id];
        let predicted = form.classes.get(node.output).copied();
        ours.push(predicted);
        at_leaf[id].0 += 1;
        if predicted == Some(labels[i]) {
            at_leaf[id].1 += 1;
            correct += 1;
        }
    }
    Walked {
        at_leaf,
        correct,
        predicted: ours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ranges_read_well() {
        assert_eq!(short(69.5), "69.5");
        assert_eq!(short(40.0), "40");
        assert_eq!(short(0.123456), "0.1235");
        assert_eq!(short(12345.678), "12346");
        let names = vec![Readable::same("income"), Readable::same("score")];
        let path = [
            (0, false, 69.5),
            (1, true, 40.5),
            (0, true, 90.0),
            (0, false, 70.0),
        ];
        assert_eq!(
            conditions(&path, &names),
            "70 < income ≤ 90 and score ≤ 40.5"
        );
        // A split on a log column reads in the column's own units.
        let logged = [Readable {
            model: "log1p_monetary".into(),
            name: "monetary".into(),
            inverse: super::super::units::Inverse::Expm1,
        }];
        assert_eq!(
            conditions(&[(0, false, 100f64.ln_1p())], &logged),
            "monetary > 100"
        );
    }

    #[test]
    fn a_tree_recovers_a_rule_and_agrees_with_smartcore() {
        // Segment 1 is exactly income > 50 and score > 50; the tree must find it.
        let mut income = Vec::new();
        let mut score = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let (a, b) = (i as f64 * 5.0 + 2.0, j as f64 * 5.0 + 1.0);
                income.push(a);
                score.push(b);
                labels.push(i64::from(a > 50.0 && b > 50.0));
            }
        }
        let names = vec![Readable::same("income"), Readable::same("score")];
        let e = explain(&[income, score], &names, &labels, 3, 7)
            .unwrap()
            .unwrap();
        assert_eq!(e.fidelity, 1.0);
        let rules: Vec<&Leaf> = e.leaves.iter().filter(|l| l.segment == 1).collect();
        assert_eq!(rules.len(), 1, "{:?}", e.leaves);
        assert_eq!(rules[0].conditions, "income > 49.5 and score > 48.5");
        assert_eq!((rules[0].customers, rules[0].correct), (100, 100));
        let total: usize = e.leaves.iter().map(|l| l.customers).sum();
        assert_eq!(total, 400);
    }
}
