//! The Spark SQL that does the invoice-line work: the same typing, cleaning rules and
//! per-customer aggregation as [`crate::transactions`], written for Spark. Pure text
//! building, so it is unit-tested without a cluster; [`super::engine`] runs it.
//!
//! Views, each built on the one before: `segflow_read` (the input with renames and a line
//! number), `segflow_lines` (typed), `segflow_reasoned` (each line with the first cleaning
//! rule it breaks, or none), `segflow_kept` (the cleaned lines).

use crate::config::{TxCleanPlan, TxColumns};
use crate::data_err;
use crate::error::Result;
use crate::transactions::rfm::{AMOUNT, FIRST, ITEMS, LAST};

pub const READ: &str = "segflow_read";
pub const LINES: &str = "segflow_lines";
pub const REASONED: &str = "segflow_reasoned";
pub const KEPT: &str = "segflow_kept";
/// The line number in file order (`monotonically_increasing_id`), for "the first line"
/// tie-breaks; never written to an artifact.
pub const LINE: &str = "__line";
const MS: &str = "__ms";
const DAY_MS: i64 = 86_400_000;

/// What kind of values an input column holds, as Spark reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Whole,
    Fractional,
    Text,
    Date,
    Timestamp,
    Boolean,
    Other(String),
}

/// A column of the input as Spark reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceColumn {
    pub name: String,
    pub kind: Kind,
}

/// A Spark SQL identifier.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A Spark SQL string literal.
pub fn text(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `segflow_read`: the input view `src` with the column names of a headerless file, the
/// renames, and the line number.
pub fn read_view(
    src: &str,
    columns: &[SourceColumn],
    names: Option<&[String]>,
    rename: &[(String, String)],
) -> String {
    let select: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = names.and_then(|n| n.get(i)).unwrap_or(&c.name);
            let name = rename
                .iter()
                .find(|(from, _)| from == name)
                .map_or(name, |(_, to)| to);
            format!("{} AS {}", ident(&c.name), ident(name))
        })
        .collect();
    format!(
        "SELECT {}, monotonically_increasing_id() AS {LINE} FROM {src}",
        select.join(", ")
    )
}

/// A strftime format (`%d/%m/%Y %H:%M`) as a Spark datetime pattern (`d/M/yyyy H:m`).
/// Numeric fields next to another field (`%Y%m%d`) keep fixed widths.
pub fn spark_pattern(format: &str) -> Result<String> {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut literal = String::new();
    let flush = |literal: &mut String, out: &mut String| {
        if literal.is_empty() {
            return;
        }
        if literal
            .chars()
            .any(|c| c.is_ascii_alphabetic() || c == '\'')
        {
            out.push_str(&format!("'{}'", literal.replace('\'', "''")));
        } else {
            out.push_str(literal);
        }
        literal.clear();
    };
    let is_field = |i: usize| chars.get(i) == Some(&'%') && chars.get(i + 1) != Some(&'%');
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            literal.push(chars[i]);
            i += 1;
            continue;
        }
        let spec = *chars.get(i + 1).ok_or_else(|| {
            data_err!("input.columns.date_format `{format}` ends with a lone `%`")
        })?;
        let packed = (i >= 2 && is_field(i - 2)) || is_field(i + 2);
        let field = |one: &str, two: &str| if packed { two } else { one }.to_string();
        let piece = match spec {
            '%' => {
                literal.push('%');
                i += 2;
                continue;
            }
            'Y' => "yyyy".to_string(),
            'y' => {
                // Spark's `yy` puts every two-digit year in 2000–2099; strptime's `%y`, which
                // the local engines follow, reads 69–99 as 1969–1999. The same file would give
                // other dates here: refused.
                return Err(data_err!(
                    "input.columns.date_format `{format}`: a two-digit year (`%y`) reads 69-99 as 1969-1999 on this machine but as 2069-2099 on Spark; use `engine: local` or `engine: streaming`, or export four-digit years (`%Y`)"
                ));
            }
            'm' => field("M", "MM"),
            'd' => field("d", "dd"),
            'H' => field("H", "HH"),
            'I' => field("h", "hh"),
            'M' => field("m", "mm"),
            'S' => field("s", "ss"),
            'j' => "DDD".to_string(),
            'b' | 'h' => "MMM".to_string(),
            'B' => "MMMM".to_string(),
            'p' => "a".to_string(),
            'T' => "HH:mm:ss".to_string(),
            'F' => "yyyy-MM-dd".to_string(),
            other => {
                return Err(data_err!(
                    "input.columns.date_format `{format}`: the Spark engine reads %Y %m %d %H %I %M %S %j %b %B %p %T %F, not `%{other}`"
                ))
            }
        };
        flush(&mut literal, &mut out);
        out.push_str(&piece);
        i += 2;
    }
    flush(&mut literal, &mut out);
    Ok(out)
}

/// The date column as a timestamp, from the column's kind and the configured format.
pub fn date_expr(tx: &TxColumns, kind: &Kind) -> Result<String> {
    let d = ident(&tx.date);
    let parse = |value: String| -> Result<String> {
        if tx.date_format.as_deref() == Some(crate::transactions::lines::EXCEL) {
            return Err(data_err!(
                "input.columns.date_format: excel (spreadsheet serial days) is read by `engine: local` and `engine: streaming`, not on Spark"
            ));
        }
        Ok(match &tx.date_format {
            Some(f) => format!("try_to_timestamp({value}, {})", text(&spark_pattern(f)?)),
            None => format!("try_to_timestamp({value})"),
        })
    };
    match kind {
        Kind::Text => parse(d),
        Kind::Date | Kind::Timestamp => Ok(format!("CAST({d} AS TIMESTAMP)")),
        Kind::Whole if tx.date_format.is_some() => parse(format!("CAST({d} AS STRING)")),
        Kind::Whole => Err(data_err!(
            "transaction date column `{}` holds whole numbers: set input.columns.date_format to read them as dates (\"%Y%m%d\" for 19970101)",
            tx.date
        )),
        other => Err(data_err!(
            "transaction date column `{}` holds {}: expected dates, or text or whole numbers with input.columns.date_format",
            tx.date,
            kind_words(other)
        )),
    }
}

/// A kind in the words of segflow's messages.
pub fn kind_words(kind: &Kind) -> String {
    match kind {
        Kind::Whole => "whole numbers".into(),
        Kind::Fractional => "numbers".into(),
        Kind::Text => "text".into(),
        Kind::Date => "dates".into(),
        Kind::Timestamp => "dates and times".into(),
        Kind::Boolean => "true/false values".into(),
        Kind::Other(t) => format!("values of Spark type {t}"),
    }
}

/// One scan of `segflow_read` for what typing needs to know first and what was read: the
/// row count, the distinct customers, each column's missing values (`__null_<i>`), the
/// dates that do not parse (`__bad_dates`; [`bad_date_query`] shows one), the customer ids
/// with a fraction (`__fractional_ids`) and the first and last date (`__first`, `__last`,
/// epoch milliseconds). Numbers only: an aggregate that keeps text (`first` of a bad value)
/// makes Spark sort the lines instead of hashing them, which took this scan from 3.7 to
/// 7.5 s on 10M lines; and the distinct customers are a grouping of their own, as a
/// `count(DISTINCT …)` beside the other aggregates makes Spark expand every line.
pub fn stats_query(columns: &[String], tx: &TxColumns, date: &str) -> String {
    let mut parts = vec!["count(*) AS __rows".to_string()];
    for (i, c) in columns.iter().enumerate() {
        parts.push(format!("count_if({} IS NULL) AS __null_{i}", ident(c)));
    }
    let d = ident(&tx.date);
    parts.push(format!(
        "count_if({d} IS NOT NULL AND {date} IS NULL) AS __bad_dates"
    ));
    let c = ident(&tx.customer);
    parts.push(format!(
        "count_if({c} IS NOT NULL AND CAST({c} AS DOUBLE) != floor(CAST({c} AS DOUBLE))) AS __fractional_ids"
    ));
    parts.push(format!("min(unix_millis({date})) AS __first"));
    parts.push(format!("max(unix_millis({date})) AS __last"));
    format!(
        "SELECT * FROM (SELECT {} FROM {READ}) CROSS JOIN (SELECT count(*) AS __customers FROM (SELECT {c} FROM {READ} WHERE {c} IS NOT NULL GROUP BY {c}))",
        parts.join(", ")
    )
}

/// One date of `segflow_read` that does not parse (`date` is its parsed form), as text.
pub fn bad_date_query(tx: &TxColumns, date: &str) -> String {
    let d = ident(&tx.date);
    format!(
        "SELECT CAST({d} AS STRING) AS value FROM {READ} WHERE {d} IS NOT NULL AND {date} IS NULL LIMIT 1"
    )
}

/// `segflow_lines`: the mapped columns typed as the local engine types them (ids as whole
/// numbers where they are, invoice and text columns as text, dates as timestamps; whole
/// numbers read from text as 64-bit, as polars reads them, where Spark may pick 32).
pub fn lines_view(
    columns: &[SourceColumn],
    tx: &TxColumns,
    date: &str,
    ids_whole: bool,
    from_text: bool,
) -> String {
    let mut texts: Vec<&String> = [&tx.product, &tx.category, &tx.country]
        .into_iter()
        .flatten()
        .collect();
    texts.extend(tx.invoice.as_ref().filter(|_| tx.invoice_text().is_some()));
    let select: Vec<String> = columns
        .iter()
        .map(|c| {
            let name = ident(&c.name);
            if c.name == tx.date {
                format!("{date} AS {name}")
            } else if c.name == tx.customer && ids_whole && c.kind == Kind::Fractional {
                format!("CAST({name} AS BIGINT) AS {name}")
            } else if texts.contains(&&c.name) && c.kind != Kind::Text {
                format!("CAST({name} AS STRING) AS {name}")
            } else if from_text && c.kind == Kind::Whole {
                format!("CAST({name} AS BIGINT) AS {name}")
            } else {
                name
            }
        })
        .collect();
    format!("SELECT {}, {LINE} FROM {READ}", select.join(", "))
}

/// The cleaning rules in order as SQL conditions, with their reasons: the same rules and
/// words as [`crate::transactions::lines`].
pub fn rules(tx: &TxColumns, plan: &TxCleanPlan) -> Vec<(String, String)> {
    let prefix = plan.cancel_prefix.as_str();
    let mut rules = Vec::new();
    if let Some(w) = &plan.window {
        // The line's date (its UTC day: the session's time zone) against the window's ends.
        let day = format!("CAST({} AS DATE)", ident(&tx.date));
        let outside = match (w.from, w.to) {
            (Some(f), Some(t)) => format!("({day} < DATE '{f}' OR {day} > DATE '{t}')"),
            (Some(f), None) => format!("{day} < DATE '{f}'"),
            (None, Some(t)) => format!("{day} > DATE '{t}'"),
            (None, None) => "false".to_string(),
        };
        rules.push((outside, format!("outside input.window ({})", w.describe())));
    }
    rules.push((
        format!("{} IS NULL", ident(&tx.customer)),
        "missing customer id".to_string(),
    ));
    if !plan.net {
        if let Some(cancelled) = cancelled(tx, plan) {
            rules.push((
                cancelled,
                format!("cancellation (invoice starts with {prefix})"),
            ));
        }
        if let Some(q) = &tx.quantity {
            rules.push((
                format!("{} <= 0", ident(q)),
                "quantity <= 0 (return)".into(),
            ));
        }
    }
    if plan.drop_non_positive_price {
        if let Some(p) = &tx.price {
            rules.push((format!("{} <= 0", ident(p)), "price <= 0".into()));
        }
    }
    if let (Some(p), false) = (&tx.product, plan.exclude_products.is_empty()) {
        let codes: Vec<String> = plan.exclude_products.iter().map(|c| text(c)).collect();
        rules.push((
            format!("{} IN ({})", ident(p), codes.join(", ")),
            "excluded product code".into(),
        ));
    }
    rules
}

/// A cancellation as SQL, as [`crate::transactions::lines::cancelled`] has it: the prefix,
/// and a negative amount unless the config names the prefix.
fn cancelled(tx: &TxColumns, plan: &TxCleanPlan) -> Option<String> {
    let invoice = tx.invoice_text()?;
    let prefixed = format!(
        "startswith({}, {})",
        ident(invoice),
        text(&plan.cancel_prefix)
    );
    if plan.cancel_prefix_given {
        return Some(prefixed);
    }
    Some(format!("({prefixed} AND {} < 0)", amount(tx).ok()?))
}

/// `segflow_reasoned`: every line with `reason`, the first rule it breaks (a rule whose
/// condition is unknown, on a missing value, is not broken).
pub fn reasoned_view(tx: &TxColumns, plan: &TxCleanPlan) -> String {
    let cases: Vec<String> = rules(tx, plan)
        .iter()
        .map(|(cond, why)| format!("WHEN coalesce({cond}, false) THEN {}", text(why)))
        .collect();
    format!(
        "SELECT *, CASE {} END AS reason FROM {LINES}",
        cases.join(" ")
    )
}

/// What the write of the dropped lines observes: the lines dropped by each rule of
/// `rules` in order (`__dropped_<i>`, by its reason).
pub fn dropped_metrics(rules: &[(String, String)]) -> Vec<String> {
    rules
        .iter()
        .enumerate()
        .map(|(i, (_, why))| format!("count_if(reason = {}) AS __dropped_{i}", text(why)))
        .collect()
}

/// The line amount as a double: the amount column, or quantity × price.
fn amount(tx: &TxColumns) -> Result<String> {
    let double = |c: &str| format!("CAST({} AS DOUBLE)", ident(c));
    match (&tx.amount, &tx.quantity, &tx.price) {
        (Some(a), _, _) => Ok(double(a)),
        (None, Some(q), Some(p)) => Ok(format!("{} * {}", double(q), double(p))),
        _ => Err(data_err!(
            "transactions need an amount, or a quantity and a price"
        )),
    }
}

/// The kept lines with their amount and epoch milliseconds.
fn priced(tx: &TxColumns) -> Result<String> {
    Ok(format!(
        "(SELECT *, {} AS {AMOUNT}, unix_millis({}) AS {MS} FROM {KEPT})",
        amount(tx)?,
        ident(&tx.date)
    ))
}

/// The per-customer aggregation, with the columns and meaning of
/// [`crate::transactions::rfm::aggregate`]: distinct orders counting a missing invoice as
/// one (as polars' `n_unique` does), sums of nothing as 0, the country of the first line of
/// the first purchase.
pub fn customers_query(tx: &TxColumns, clean: &TxCleanPlan) -> Result<String> {
    let invoices = match &tx.invoice {
        Some(invoice) => ident(invoice),
        None => format!("floor({MS} / {DAY_MS})"),
    };
    let frequency = match (clean.net, tx.invoice_text()) {
        (true, Some(invoice)) => format!(
            "count(DISTINCT CASE WHEN NOT coalesce({}, false) THEN {} END)",
            cancelled(tx, clean).unwrap_or_else(|| "false".into()),
            ident(invoice)
        ),
        _ => format!(
            "count(DISTINCT {invoices}) + max(CASE WHEN {invoices} IS NULL THEN 1 ELSE 0 END)"
        ),
    };
    let items = match &tx.quantity {
        Some(q) => format!("coalesce(sum(CAST({} AS DOUBLE)), 0D)", ident(q)),
        None => "CAST('NaN' AS DOUBLE)".to_string(),
    };
    let c = ident(&tx.customer);
    let mut parts = vec![
        c.clone(),
        format!("max({MS}) AS {LAST}"),
        format!("min({MS}) AS {FIRST}"),
        format!("CAST({frequency} AS DOUBLE) AS frequency"),
        format!("coalesce(sum({AMOUNT}), 0D) AS monetary"),
        format!("{items} AS {ITEMS}"),
    ];
    if let Some(country) = &tx.country {
        parts.push(format!(
            "min_by({0}, CASE WHEN {MS} IS NOT NULL THEN named_struct('ms', {MS}, 'line', {LINE}) END) AS {0}",
            ident(country)
        ));
    }
    Ok(format!(
        "SELECT {} FROM {} GROUP BY {c}",
        parts.join(", "),
        priced(tx)?
    ))
}

/// Spend per customer and category.
pub fn categories_query(tx: &TxColumns, category: &str) -> Result<String> {
    let (c, cat) = (ident(&tx.customer), ident(category));
    Ok(format!(
        "SELECT {c}, {cat}, coalesce(sum({AMOUNT}), 0D) AS {AMOUNT} FROM {} GROUP BY {c}, {cat}",
        priced(tx)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strftime_formats_become_spark_patterns() {
        let p = |f: &str| spark_pattern(f).unwrap();
        assert_eq!(p("%Y-%m-%d %H:%M:%S"), "yyyy-M-d H:m:s");
        assert_eq!(p("%d/%m/%Y %H:%M"), "d/M/yyyy H:m");
        assert_eq!(p("%Y%m%d"), "yyyyMMdd");
        assert_eq!(p("%Y-%m-%dT%H:%M:%S"), "yyyy-M-d'T'H:m:s");
        assert_eq!(p("%d %b %Y, 100%%"), "d MMM yyyy, 100%");
        assert!(spark_pattern("%Y %Z")
            .unwrap_err()
            .to_string()
            .contains("not `%Z`"));
        assert!(spark_pattern("%d/%m/%y")
            .unwrap_err()
            .to_string()
            .contains("a two-digit year (`%y`) reads 69-99 as 1969-1999 on this machine but as 2069-2099 on Spark"));
    }

    /// Invoice lines with a customer, invoice, date, quantity and price.
    fn columns() -> TxColumns {
        TxColumns {
            customer: "c".into(),
            invoice: Some("i".into()),
            date: "d".into(),
            date_format: None,
            quantity: Some("q".into()),
            price: Some("p".into()),
            amount: None,
            product: None,
            category: None,
            country: None,
        }
    }

    #[test]
    fn the_window_is_the_first_rule_with_the_local_engines_words() {
        let tx = columns();
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let plan = TxCleanPlan {
            window: Some(crate::config::Window {
                from: date("2011-01-01"),
                to: date("2011-06-30"),
            }),
            net: false,
            cancel_prefix: "C".into(),
            cancel_prefix_given: true,
            drop_non_positive_price: true,
            exclude_products: Vec::new(),
        };
        let rules = rules(&tx, &plan);
        assert_eq!(
            rules[0],
            (
                "(CAST(`d` AS DATE) < DATE '2011-01-01' OR CAST(`d` AS DATE) > DATE '2011-06-30')"
                    .to_string(),
                "outside input.window (2011-01-01 to 2011-06-30)".to_string()
            )
        );
        let local = crate::transactions::lines::rules(&tx, &plan);
        let words: Vec<&String> = rules.iter().map(|(_, w)| w).collect();
        let local: Vec<&String> = local.iter().map(|(_, w)| w).collect();
        assert_eq!(words, local);
    }

    #[test]
    fn the_scan_and_the_counts_keep_spark_hashing() {
        let tx = columns();
        let q = stats_query(&["c".into(), "d".into()], &tx, "CAST(`d` AS TIMESTAMP)");
        // No text aggregate, no DISTINCT beside the counts: the customers are a grouping.
        assert!(!q.contains("first("), "{q}");
        assert!(!q.contains("DISTINCT"), "{q}");
        assert!(q.contains("CROSS JOIN (SELECT count(*) AS __customers FROM (SELECT `c` FROM segflow_read WHERE `c` IS NOT NULL GROUP BY `c`))"), "{q}");
        assert!(q.contains("count_if(`d` IS NULL) AS __null_1"), "{q}");
        let rules = vec![
            ("x".to_string(), "missing customer id".to_string()),
            ("y".to_string(), "it's a return".to_string()),
        ];
        assert_eq!(
            dropped_metrics(&rules),
            [
                "count_if(reason = 'missing customer id') AS __dropped_0",
                "count_if(reason = 'it\\'s a return') AS __dropped_1"
            ]
        );
    }

    #[test]
    fn names_and_texts_are_quoted() {
        assert_eq!(ident("a`b c"), "`a``b c`");
        assert_eq!(text("it's"), "'it\\'s'");
    }
}
