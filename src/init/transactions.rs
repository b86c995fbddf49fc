//! Recognising invoice lines: a customer id that repeats across rows, a date, and an amount
//! or a quantity and a price, found by column name and checked against the values.

use chrono::{NaiveDate, NaiveDateTime};

use super::columns::{Column, Kind};

/// Text date formats tried, most common first. Day-first comes before month-first; a file
/// whose days never pass 12 is ambiguous and said so.
const DATE_FORMATS: [&str; 14] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
];

/// A column given a role, and how it was recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub column: String,
    pub why: String,
}

/// The transaction columns found.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub customer: Option<Pick>,
    pub invoice: Option<Pick>,
    pub date: Option<Pick>,
    /// For text dates and whole-number dates.
    pub date_format: Option<String>,
    pub quantity: Option<Pick>,
    pub price: Option<Pick>,
    pub amount: Option<Pick>,
    pub product: Option<Pick>,
    pub category: Option<Pick>,
    pub country: Option<Pick>,
    /// Invoices that start with `C` followed by a digit: cancellations.
    pub cancellations: usize,
}

/// Column-name keys (see [`super::columns::key`]) that suggest each role, best first.
const CUSTOMER: &[&str] = &[
    "customer", "client", "member", "shopper", "buyer", "user", "account",
];
const INVOICE: &[&str] = &[
    "invoice",
    "order",
    "receipt",
    "basket",
    "transaction",
    "bill",
];
const DATE: &[&str] = &["date", "time", "day"];
const QUANTITY: &[&str] = &["quantity", "qty", "units"];
const PRICE: &[&str] = &["unitprice", "price", "unitcost"];
const AMOUNT: &[&str] = &[
    "amount",
    "linetotal",
    "total",
    "sales",
    "revenue",
    "spend",
    "value",
];
const PRODUCT: &[&str] = &[
    "stockcode",
    "sku",
    "productid",
    "productcode",
    "itemcode",
    "product",
    "item",
    "article",
];
const CATEGORY: &[&str] = &["category", "department", "dept"];
const COUNTRY: &[&str] = &["country"];

/// The invoice-line mapping of `cols`, or `None` when they read as a customer table.
pub fn detect(cols: &[Column]) -> Option<Mapping> {
    let mut taken: Vec<&str> = Vec::new();
    let customer = by_name(cols, CUSTOMER, &mut taken, |c| {
        let repeats = c.distinct * 2 <= c.rows - c.nulls;
        let id_like = matches!(c.kind, Kind::Text | Kind::Integer) || c.whole;
        (repeats && id_like).then(|| {
            format!(
                "by name, and its {} ids repeat over {} rows",
                thousands(c.distinct),
                thousands(c.rows)
            )
        })
    })?;
    let (date, date_format) = date_column(cols, &mut taken)?;
    let mut m = Mapping {
        customer: Some(customer),
        date: Some(date),
        date_format,
        ..Mapping::default()
    };
    let numeric = |c: &Column| c.is_numeric().then(|| "by name, numbers".to_string());
    m.quantity = by_name(cols, QUANTITY, &mut taken, numeric);
    m.price = by_name(cols, PRICE, &mut taken, numeric);
    if m.quantity.is_none() || m.price.is_none() {
        m.amount = by_name(cols, AMOUNT, &mut taken, numeric);
        m.amount.as_ref()?;
        m.quantity = None;
        m.price = None;
    }
    let text = |c: &Column| (!c.is_numeric() || c.whole).then(|| "by name".to_string());
    m.invoice = by_name(cols, INVOICE, &mut taken, text);
    m.product = by_name(cols, PRODUCT, &mut taken, text);
    m.category = by_name(cols, CATEGORY, &mut taken, text);
    m.country = by_name(cols, COUNTRY, &mut taken, text);
    m.cancellations = m
        .invoice
        .as_ref()
        .map_or(0, |p| cancellations(cols, &p.column));
    Some(m)
}

/// The first column, in the order of `words`, whose key contains a word and that `check`
/// accepts (it says why).
fn by_name<'a>(
    cols: &'a [Column],
    words: &[&str],
    taken: &mut Vec<&'a str>,
    check: impl Fn(&Column) -> Option<String>,
) -> Option<Pick> {
    for w in words {
        for c in cols.iter().filter(|c| !taken.contains(&c.name.as_str())) {
            if !c.key().contains(w) {
                continue;
            }
            if let Some(why) = check(c) {
                taken.push(&c.name);
                return Some(Pick {
                    column: c.name.clone(),
                    why,
                });
            }
        }
    }
    None
}

/// The date column: a column read as dates, text in one of [`DATE_FORMATS`], or whole
/// numbers such as 20101201 in a column named like a date.
fn date_column<'a>(cols: &'a [Column], taken: &mut Vec<&'a str>) -> Option<(Pick, Option<String>)> {
    let free = || cols.iter().filter(|c| !taken.contains(&c.name.as_str()));
    let named = |c: &Column| DATE.iter().any(|w| c.key().contains(w));
    let found = free()
        .filter(|c| c.kind == Kind::Date)
        .max_by_key(|c| named(c))
        .map(|c| (c, None, "read as dates".to_string()))
        .or_else(|| {
            free().filter(|c| c.kind == Kind::Text).find_map(|c| {
                let f = text_date_format(&c.values)?;
                Some((
                    c,
                    Some(f.to_string()),
                    format!("text dates in the format `{f}`"),
                ))
            })
        })
        .or_else(|| {
            free()
                .filter(|c| c.kind == Kind::Integer && named(c) && whole_dates(&c.values))
                .map(|c| {
                    (
                        c,
                        Some("%Y%m%d".to_string()),
                        "whole numbers read as YYYYMMDD".to_string(),
                    )
                })
                .next()
        })?;
    let (c, format, how) = found;
    taken.push(&c.name);
    let by = if named(c) {
        "by name and content"
    } else {
        "by content"
    };
    Some((
        Pick {
            column: c.name.clone(),
            why: format!("{by}: {how}"),
        },
        format,
    ))
}

/// The first format in [`DATE_FORMATS`] that reads every value.
pub fn text_date_format(values: &[String]) -> Option<&'static str> {
    if values.is_empty() {
        return None;
    }
    DATE_FORMATS.into_iter().find(|f| {
        let with_time = f.contains("%H");
        values.iter().all(|v| {
            let v = v.trim();
            if with_time {
                NaiveDateTime::parse_from_str(v, f).is_ok()
            } else {
                NaiveDate::parse_from_str(v, f).is_ok()
            }
        })
    })
}

fn whole_dates(values: &[String]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.len() == 8 && NaiveDate::parse_from_str(v, "%Y%m%d").is_ok())
}

/// Invoices such as `C536379`: a `C` then digits.
fn cancellations(cols: &[Column], invoice: &str) -> usize {
    let Some(c) = cols.iter().find(|c| c.name == invoice) else {
        return 0;
    };
    c.values
        .iter()
        .filter(|v| {
            v.strip_prefix('C')
                .is_some_and(|rest| rest.starts_with(|ch: char| ch.is_ascii_digit()))
        })
        .count()
}

pub use crate::frame::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_text_date_formats() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            text_date_format(&v(&["2010-12-01 08:26:00", "2011-01-30 17:05:00"])),
            Some("%Y-%m-%d %H:%M:%S")
        );
        assert_eq!(
            text_date_format(&v(&["12/1/2010 8:26", "12/13/2010 9:01"])),
            Some("%m/%d/%Y %H:%M")
        );
        assert_eq!(
            text_date_format(&v(&["04-09-2012", "21-08-2013"])),
            Some("%d-%m-%Y")
        );
        assert_eq!(text_date_format(&v(&["Male", "Female"])), None);
        assert!(whole_dates(&v(&["19970101", "19971231"])));
        assert!(!whole_dates(&v(&["19971301"])));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(541_909), "541,909");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
