//! `segflow assign` with the model of an invoice-lines run: new lines become customers the
//! way the run made them (its line rules, the per-customer RFM table, its derived features,
//! encodings and scaling), then each customer is placed in a segment and written with the
//! RFM measures it was placed by; with `predict`, the run's fitted purchase and spend
//! models (not fitted again) score each customer's history.
//!
//! The lines are each customer's history up to `--as-of` (exclusive; default the day after
//! the last line): lines dated on or after it are dropped, the run's `input.window` start is
//! kept. A model whose features are ranks within the customers scored together (the R/F/M
//! quintile scores, the R×F cell) is refused: new lines would be ranked among themselves,
//! not among the run's customers.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use super::{place, Scored};
use crate::config::{infer_format, Engine, InputKind, InputPlan, Window, RFM_COLUMNS};
use crate::data_err;
use crate::error::{Error, Result};
use crate::model::{LinesModel, ModelFile};
use crate::stages::ingest;
use crate::transactions::{lines, rfm};

/// RFM columns that rank a customer among the customers of the same table.
const RANKS: [&str; 5] = ["r_score", "f_score", "m_score", "rfm_cell", "rfm_segment"];

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();

/// Scores the customers of the invoice lines in `input`.
pub fn assign(
    model: &ModelFile,
    l: &LinesModel,
    input: &Path,
    as_of: Option<NaiveDate>,
) -> Result<Scored> {
    refuse_ranks(model)?;
    let mut rules = l.rules.clone();
    rules.window = window(&l.rules, as_of);
    let raw = ingest::run(&input_plan(model, l, input, rules.window))?;
    let out = lines::clean_lines(&raw, &l.columns, &rules)?;
    let kept = lines::selected(&raw, &out.selection, &l.columns)?;
    let (first, last) = lines::date_span(&kept, &l.columns)?;
    let day_after =
        |ms: i64| EPOCH.checked_add_signed(chrono::TimeDelta::days(ms.div_euclid(86_400_000) + 1));
    let as_of = match (as_of, last) {
        (Some(d), _) => d,
        (None, Some(ms)) => day_after(ms).ok_or_else(|| {
            data_err!(
                "{}: the last line's date is beyond any calendar",
                input.display()
            )
        })?,
        (None, None) => return Err(Error::Internal("kept lines without dates".into())),
    };
    let rfm_plan = crate::config::RfmPlan {
        as_of: Some(as_of),
        ..l.rfm.clone()
    };
    let table = rfm::features(rfm::Kept::all(&kept), &l.columns, &rules, &rfm_plan)?;
    // The measures each customer was placed by, beside the segment.
    let measures = table.select(RFM_COLUMNS)?;
    let mut scored = place(model, table)?;
    scored.hstack_mut(measures.columns())?;
    if let Some(state) = &model.predict {
        let days = crate::transactions::purchases::of_lines(&kept, &l.columns, &rules)?;
        if let Some(p) = crate::stages::predict::score(&days, as_of, state)? {
            scored = with_predictions(scored, p, &l.columns.customer)?;
        }
    }
    let customers = scored.height();
    let note = format!(
        "read {} lines of {}, kept {}: {}; as of {as_of}; {}",
        crate::frame::thousands(raw.height()),
        input.display(),
        crate::frame::thousands(kept.height()),
        lines::read_note(customers, first, last),
        drop_note(&out.counts, rules.window.and_then(|w| w.from), as_of),
    );
    Ok(Scored {
        table: scored,
        read: Some(note),
    })
}

/// The run's window start, and the day before `as_of` as its end.
fn window(rules: &crate::config::TxCleanPlan, as_of: Option<NaiveDate>) -> Option<Window> {
    let from = rules.window.and_then(|w| w.from);
    let to = as_of.and_then(|d| d.pred_opt());
    (from.is_some() || to.is_some()).then_some(Window { from, to })
}

/// The clean stage's drop counts, the window's reason said as `--as-of` (and the run's
/// window start) made it.
fn drop_note(counts: &[(String, usize)], from: Option<NaiveDate>, as_of: NaiveDate) -> String {
    let outside = match from {
        Some(from) => format!("dated before {from} (the run's input.window) or on/after {as_of}"),
        None => format!("dated on or after {as_of}"),
    };
    let counts: Vec<(String, usize)> = counts
        .iter()
        .map(|(why, n)| match why.starts_with("outside input.window") {
            true => (outside.clone(), *n),
            false => (why.clone(), *n),
        })
        .collect();
    lines::drop_note(&counts)
}

/// How the lines are read: the run's columns, renames, header names and decimal mark.
fn input_plan(m: &ModelFile, l: &LinesModel, input: &Path, window: Option<Window>) -> InputPlan {
    InputPlan {
        path: input.to_path_buf(),
        kind: InputKind::Transactions(Box::new(l.columns.clone())),
        format: infer_format(input),
        id: None,
        rename: m.rename.clone(),
        names: l.names.clone(),
        engine: Engine::Local,
        window,
        decimal: m.decimal,
        postgres: None,
    }
}

/// A model that uses a customer's rank among the scored customers cannot score new lines.
fn refuse_ranks(m: &ModelFile) -> Result<()> {
    let uses = |c: &str| {
        m.scaler.columns.iter().any(|s| s == c)
            || m.encodings.iter().any(|e| e.column == c)
            || m.derive.iter().any(|(_, sql)| mentions(sql, c))
    };
    match RANKS.iter().find(|c| uses(c)) {
        Some(c) => Err(Error::Config(format!(
            "the model uses `{c}`, a rank among the customers of one table: new invoice lines would be ranked among themselves, not among the run's customers. Use the RFM measures (recency, frequency, monetary, …) in features.use and run the pipeline again to score new lines"
        ))),
        None => Ok(()),
    }
}

/// Whether `sql` names `column` as a whole word.
fn mentions(sql: &str, column: &str) -> bool {
    sql.split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .any(|w| w == column)
}

/// The scored customers with their history and predictions (both sorted by customer id).
fn with_predictions(scored: DataFrame, p: DataFrame, id: &str) -> Result<DataFrame> {
    if !scored.column(id)?.equals_missing(p.column(id)?) {
        return Err(Error::Internal(
            "the scored customers and their purchase histories differ".into(),
        ));
    }
    let extra: Vec<Column> = p
        .columns()
        .iter()
        .filter(|c| c.name().as_str() != id)
        .cloned()
        .collect();
    let mut scored = scored;
    scored.hstack_mut(&extra)?;
    Ok(scored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_mentioned_as_a_whole_word_only() {
        assert!(mentions("r_score * 2", "r_score"));
        assert!(mentions("(f_score+1)", "f_score"));
        assert!(!mentions("my_r_score * 2", "r_score"));
        assert!(!mentions("recency", "r_score"));
    }

    #[test]
    fn the_window_keeps_the_runs_start_and_ends_before_as_of() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let mut rules = crate::config::TxCleanPlan {
            net: false,
            cancel_prefix: "C".into(),
            cancel_prefix_given: false,
            drop_non_positive_price: true,
            exclude_products: Vec::new(),
            window: Some(Window {
                from: d("2011-01-01"),
                to: d("2011-06-30"),
            }),
        };
        let w = window(&rules, d("2011-12-10")).unwrap();
        assert_eq!((w.from, w.to), (d("2011-01-01"), d("2011-12-09")));
        let w = window(&rules, None).unwrap();
        assert_eq!((w.from, w.to), (d("2011-01-01"), None));
        rules.window = None;
        assert!(window(&rules, None).is_none());
    }
}
