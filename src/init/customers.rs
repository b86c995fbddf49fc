//! A customer table: which column is the id, which columns shape the segments, which are
//! left out and why, what needs imputing and what is better on a log scale.

use super::columns::{Column, Kind};
use super::transactions::thousands;

/// Text columns with at most this many values are one-hot encoded.
const MAX_LEVELS: usize = 12;
/// A never-negative number column skewed more than this is proposed on a log scale.
const SKEWED: f64 = 1.0;
/// Column-name keys that say whole numbers are codes of categories (region 1, 2, 3), not
/// quantities.
const CODE_WORDS: &[&str] = &[
    "region", "channel", "store", "type", "code", "status", "segment", "category", "class",
    "group", "zone", "area", "branch", "tier",
];
/// Column-name keys that suggest an id.
const ID_WORDS: &[&str] = &["id", "customer", "client", "key", "number", "code"];

/// What to do with the table's columns.
#[derive(Debug, Default)]
pub struct Choice {
    pub id: Option<(String, String)>,
    /// Original name → the name used in the pipeline, for names that are not plain words.
    pub rename: Vec<(String, String)>,
    /// Model columns (pipeline names, after `log1p_` where proposed).
    pub features: Vec<String>,
    /// (new column, SQL, why).
    pub derive: Vec<(String, String, String)>,
    /// (pipeline name, levels).
    pub one_hot: Vec<(String, usize)>,
    /// (pipeline name, share of rows missing), of the columns used.
    pub missing: Vec<(String, f64)>,
    /// (file name, reason).
    pub left_out: Vec<(String, String)>,
    /// Spend-per-category columns (pipeline names) sharing a money-like prefix, for
    /// `profile.categories`; empty when there are fewer than two.
    pub categories: Vec<String>,
    /// The value column proposed for `profile.value` (the categories' sum).
    pub value: Option<String>,
}

/// The prefix of a column name before its second word: `MntWines` → `mnt`,
/// `spend_food` → `spend`.
fn prefix_key(name: &str) -> String {
    let cut = name
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase() || *c == '_')
        .map_or(name.len(), |(i, _)| i);
    super::columns::key(&name[..cut])
}

/// The largest group of at least two non-negative number columns whose names share a
/// money-like prefix (`MntWines`, `MntFruits`, …): spend per category.
fn spend_categories(cols: &[Column], pipeline: &[(String, String)]) -> Vec<String> {
    let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (file, name) in pipeline {
        let Some(c) = cols.iter().find(|c| c.name == *file) else {
            continue;
        };
        let numeric = matches!(c.kind, Kind::Integer | Kind::Float);
        let prefix = prefix_key(file);
        let money = ["mnt", "spend", "amount", "sales", "revenue"].contains(&prefix.as_str());
        if numeric && money && c.min.is_some_and(|m| m >= 0.0) && prefix.len() < c.key().len() {
            groups.entry(prefix).or_default().push(name.clone());
        }
    }
    groups
        .into_values()
        .filter(|g| g.len() >= 2)
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

/// Decides the id and the role of every other column.
pub fn choose(cols: &[Column]) -> Choice {
    let mut ch = Choice {
        id: pick_id(cols),
        ..Choice::default()
    };
    let mut used_names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    let mut named: Vec<(String, String)> = Vec::new();
    for c in cols {
        if ch.id.as_ref().is_some_and(|(id, _)| *id == c.name) {
            continue;
        }
        if let Some(why) = left_out(c) {
            ch.left_out.push((c.name.clone(), why));
            continue;
        }
        let name = pipeline_name(c, &mut used_names, &mut ch.rename);
        named.push((c.name.clone(), name.clone()));
        if c.nulls > 0 {
            ch.missing.push((name.clone(), c.null_share()));
        }
        if c.kind == Kind::Text || is_code(c) {
            ch.one_hot.push((name, c.distinct));
            continue;
        }
        match skewed(c) {
            Some(skew) => {
                let logged = format!("log1p_{name}");
                ch.derive.push((
                    logged.clone(),
                    format!("LN(1 + {name})"),
                    format!(
                        "{} is skewed (skewness {skew:.1}): its log evens it out",
                        name
                    ),
                ));
                ch.features.push(logged);
            }
            None => ch.features.push(name),
        }
    }
    ch.categories = spend_categories(cols, &named);
    if ch.categories.len() >= 2 {
        // Their sum is each customer's value: the report's shares of value use it.
        let taken = |n: &str| named.iter().any(|(_, p)| p == n);
        let total = ["total_spend", "category_total", "segflow_total"]
            .into_iter()
            .find(|n| !taken(n))
            .unwrap_or("segflow_total");
        ch.derive.push((
            total.to_string(),
            ch.categories.join(" + "),
            format!(
                "spend per category ({}): their sum is each customer's value",
                ch.categories.join(", ")
            ),
        ));
        ch.value = Some(total.to_string());
    }
    ch
}

/// A unique, never-empty column of whole numbers or text: by an id-like name first, else
/// the first column if it is one.
fn pick_id(cols: &[Column]) -> Option<(String, String)> {
    let unique = |c: &&Column| {
        c.nulls == 0
            && c.distinct == c.rows
            && (matches!(c.kind, Kind::Integer | Kind::Text) || (c.kind == Kind::Float && c.whole))
    };
    let rows = cols.first().map_or(0, |c| c.rows);
    let why = format!("unique and never empty in {} rows", thousands(rows));
    let id_like = |c: &&Column| {
        let k = c.key();
        ID_WORDS
            .iter()
            .any(|w| k == *w || k.ends_with(w) || k.starts_with(w))
    };
    if let Some(c) = cols.iter().filter(unique).find(id_like) {
        return Some((c.name.clone(), format!("by name; {why}")));
    }
    cols.first()
        .filter(unique)
        .filter(|c| c.kind != Kind::Float)
        .map(|c| {
            (
                c.name.clone(),
                format!("by content: the first column, {why}"),
            )
        })
}

/// Why a column is not proposed as a feature, if it is not.
fn left_out(c: &Column) -> Option<String> {
    let present = c.rows - c.nulls;
    Some(match c.kind {
        _ if present == 0 => "empty in every row".to_string(),
        _ if c.distinct == 1 => "the same value in every row".to_string(),
        Kind::Date => "a date: derive a number of days from it to use it".to_string(),
        Kind::Flag => {
            "a yes/no column: add it to `use` if it should shape the segments".to_string()
        }
        Kind::Other => "neither numbers nor text".to_string(),
        Kind::Text if present > 20 && c.distinct * 10 > present * 9 => {
            format!(
                "text with a different value in almost every row ({} distinct): a name or a code",
                thousands(c.distinct)
            )
        }
        Kind::Text if c.distinct > MAX_LEVELS => {
            format!(
                "text with {} distinct values: too many to one-hot encode",
                thousands(c.distinct)
            )
        }
        Kind::Integer | Kind::Float if c.distinct == 2 => {
            "a yes/no flag: add it to `use` if it should shape the segments".to_string()
        }
        Kind::Integer | Kind::Float if names_things(c) => format!(
            "whole numbers named as an identifier ({} distinct{}): they label, they do not measure",
            thousands(c.distinct),
            if c.distinct < present {
                ", repeated: are these rows invoice lines? then `kind: transactions`"
            } else {
                ""
            }
        ),
        _ => return None,
    })
}

/// Whole numbers whose name ends in an identifier's word (`Customer Id`, `Order No`,
/// `zip_code` with many values): ids, not quantities (a code with a few values is
/// [`is_code`]'s category instead).
fn names_things(c: &Column) -> bool {
    let words = super::columns::words(&c.name);
    let last = words.last().map_or("", String::as_str);
    whole_numbers(c) && ["id", "key", "no", "nr", "number", "code"].contains(&last) && !is_code(c)
}

/// Integers, or numbers with no fraction in any value.
fn whole_numbers(c: &Column) -> bool {
    c.kind == Kind::Integer || (c.kind == Kind::Float && c.whole)
}

/// A never-negative column's skewness when it is above [`SKEWED`], whatever its name
/// (`Fresh`, `Milk` and `Grocery` spend are as skewed as `MntWines`).
fn skewed(c: &Column) -> Option<f64> {
    let skew = c.skew?;
    (c.min? >= 0.0 && skew > SKEWED).then_some(skew)
}

/// Whole numbers with a few values (3 to [`MAX_LEVELS`]) and a code-like name (`Region`,
/// `Channel`, `store_type`): categories, one-hot encoded rather than measured.
fn is_code(c: &Column) -> bool {
    let words = super::columns::words(&c.name);
    let named = words.iter().any(|w| CODE_WORDS.contains(&w.as_str()));
    whole_numbers(c) && named && (3..=MAX_LEVELS).contains(&c.distinct)
}

/// The name a column goes by in the pipeline: as in the file when it is a plain word,
/// else readable snake_case (`Annual Income (k$)` → `annual_income`, the unit left to the
/// rename's comment; `BALANCE_FREQUENCY` → `balance_frequency`), recorded in `rename`.
fn pipeline_name(
    c: &Column,
    taken: &mut Vec<String>,
    rename: &mut Vec<(String, String)>,
) -> String {
    let shouting = c.name.len() > 3
        && c.name.contains('_')
        && !c.name.chars().any(|ch| ch.is_ascii_lowercase());
    if is_plain(&c.name) && !shouting {
        return c.name.clone();
    }
    let readable = [snake_case(&without_units(&c.name)), snake_case(&c.name)]
        .into_iter()
        .find(|n| !n.is_empty() && is_plain(n) && !taken.contains(n));
    let Some(snake) = readable else {
        return c.name.clone();
    };
    taken.push(snake.clone());
    rename.push((c.name.clone(), snake.clone()));
    snake
}

/// A name without its parenthesised or bracketed parts: `Annual Income (k$)` →
/// `Annual Income`.
fn without_units(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for ch in name.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out
}

pub use crate::config::unit_of;

/// Letters, digits and `_`, not starting with a digit: usable in `derive` expressions as is.
pub fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `Annual Income (k$)` → `annual_income_k`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: Kind, distinct: usize) -> Column {
        Column {
            name: name.into(),
            kind,
            rows: 100,
            nulls: 0,
            distinct,
            min: Some(0.0),
            max: Some(10.0),
            skew: Some(0.1),
            whole: true,
            values: vec![],
        }
    }

    #[test]
    fn names_become_snake_case() {
        assert_eq!(snake_case("Annual Income (k$)"), "annual_income_k");
        assert_eq!(without_units("Annual Income (k$)").trim(), "Annual Income");
        assert_eq!(unit_of("Spending Score (1-100)"), Some("(1-100)"));
        let mut taken = Vec::new();
        let mut rename = Vec::new();
        let named = |n: &str, taken: &mut Vec<String>, rename: &mut Vec<(String, String)>| {
            pipeline_name(&col(n, Kind::Float, 50), taken, rename)
        };
        assert_eq!(
            named("Annual Income (k$)", &mut taken, &mut rename),
            "annual_income"
        );
        assert_eq!(
            named("Annual Income (USD)", &mut taken, &mut rename),
            "annual_income_usd"
        );
        assert_eq!(
            named("BALANCE_FREQUENCY", &mut taken, &mut rename),
            "balance_frequency"
        );
        assert_eq!(named("MntWines", &mut taken, &mut rename), "MntWines");
        assert_eq!(named("ID", &mut taken, &mut rename), "ID");
        assert_eq!(snake_case("Spending Score (1-100)"), "spending_score_1_100");
        assert!(is_plain("MntWines"));
        assert!(!is_plain("1st"));
    }

    #[test]
    fn picks_the_id_and_leaves_out_constant_and_near_unique_columns() {
        let mut spend = col("Total Spend", Kind::Float, 90);
        spend.skew = Some(2.5);
        spend.nulls = 5;
        let cols = vec![
            col("age", Kind::Integer, 40),
            col("CustomerID", Kind::Integer, 100),
            col("country", Kind::Text, 1),
            col("email", Kind::Text, 100),
            col("gender", Kind::Text, 2),
            col("churned", Kind::Integer, 2),
            spend,
        ];
        let ch = choose(&cols);
        let mut region = col("Region", Kind::Integer, 3);
        region.skew = Some(3.0);
        let mut fresh = col("Fresh", Kind::Integer, 90);
        fresh.skew = Some(2.5);
        let mut repeated = col("Customer Id", Kind::Integer, 40);
        repeated.nulls = 10;
        let mut orders = col("number_of_orders", Kind::Integer, 30);
        orders.skew = Some(0.5);
        let codes = choose(&[
            col("Channel_ID", Kind::Integer, 100),
            region,
            fresh,
            repeated,
            orders,
        ]);
        assert_eq!(codes.one_hot, [("Region".to_string(), 3)]);
        assert_eq!(codes.features, ["log1p_Fresh", "number_of_orders"]);
        let (name, why) = &codes.left_out[0];
        assert_eq!(name, "Customer Id");
        assert!(
            why.contains(
                "named as an identifier (40 distinct, repeated: are these rows invoice lines?"
            ),
            "{why}"
        );
        assert_eq!(ch.id.unwrap().0, "CustomerID");
        assert_eq!(ch.features, ["age", "log1p_total_spend"]);
        assert_eq!(
            ch.rename,
            [("Total Spend".to_string(), "total_spend".to_string())]
        );
        assert_eq!(ch.one_hot, [("gender".to_string(), 2)]);
        assert_eq!(ch.missing, [("total_spend".to_string(), 0.05)]);
        let out: Vec<&str> = ch.left_out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(out, ["country", "email", "churned"]);
    }

    #[test]
    fn without_an_id_like_name_the_first_unique_column_is_the_id() {
        let cols = vec![
            col("column_1", Kind::Integer, 100),
            col("column_2", Kind::Integer, 30),
        ];
        assert_eq!(choose(&cols).id.unwrap().0, "column_1");
        let cols = vec![
            col("column_1", Kind::Integer, 30),
            col("column_2", Kind::Integer, 100),
        ];
        assert!(choose(&cols).id.is_none());
    }
}
