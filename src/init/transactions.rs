//! Recognising invoice lines: a customer id that repeats across rows, a date, and an amount
//! or a quantity and a price, found by column name and checked against the values.

use chrono::NaiveDate;

use polars::prelude::{DataFrame, DataType};

use super::columns::{Column, Kind};

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
    /// The lines whose invoice starts with `C`, and what they show.
    pub cancels: Cancels,
}

/// Column-name keys (see [`super::columns::key`]) that suggest each role, best first: in
/// English, then in German, French, Spanish, Italian, Dutch and Portuguese (letters outside
/// ASCII are dropped from keys: `Stück` is `stck`, `quantité` `quantit`).
const CUSTOMER: &[&str] = &[
    "customer", "client", "member", "shopper", "buyer", "user", "account", "kunde", "klant",
];
const INVOICE: &[&str] = &[
    "invoice",
    "order",
    "receipt",
    "basket",
    "transaction",
    "bill",
    "rechnung",
    "beleg",
    "bestell",
    "auftrag",
    "facture",
    "commande",
    "factura",
    "pedido",
    "fattura",
    "ordine",
    "factuur",
];
const DATE: &[&str] = &["date", "time", "day", "datum", "fecha", "data"];
const QUANTITY: &[&str] = &[
    "quantity", "qty", "units", "menge", "anzahl", "stck", "quantit", "cantidad", "aantal",
];
const PRICE: &[&str] = &[
    "unitprice",
    "price",
    "unitcost",
    "einzelpreis",
    "stckpreis",
    "preis",
    "prixunitaire",
    "prix",
    "preciounitario",
    "precio",
    "prezzo",
    "prijs",
    "preo",
];
const AMOUNT: &[&str] = &[
    "amount",
    "linetotal",
    "total",
    "sales",
    "revenue",
    "spend",
    "value",
    "betrag",
    "umsatz",
    "summe",
    "montant",
    "importe",
    "importo",
    "bedrag",
    "valor",
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
    "artikel",
    "produkt",
    "produit",
    "producto",
    "prodotto",
    "produto",
];
const CATEGORY: &[&str] = &[
    "category",
    "department",
    "dept",
    "kategorie",
    "warengruppe",
    "categorie",
    "categoria",
];
const COUNTRY: &[&str] = &["country", "land", "pays", "paese"];

/// Invoice lines recognised by their column names, checked against the values.
pub fn by_names(cols: &[Column]) -> Option<Mapping> {
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
    let (date, date_format) = date_column(cols, &mut taken, false)?;
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
/// `by_content` takes whole-number dates whatever the column's name.
pub(super) fn date_column<'a>(
    cols: &'a [Column],
    taken: &mut Vec<&'a str>,
    by_content: bool,
) -> Option<(Pick, Option<String>)> {
    // Best first: a purchase date, any other date but the ones that are not purchases.
    let mut ranked: Vec<&Column> = cols
        .iter()
        .filter(|c| !taken.contains(&c.name.as_str()))
        .collect();
    ranked.sort_by_key(|c| std::cmp::Reverse(date_rank(c)));
    let free = || ranked.iter().copied();
    let named = |c: &Column| DATE.iter().any(|w| c.key().contains(w));
    let found = free()
        .find(|c| c.kind == Kind::Date)
        .map(|c| (c, None, "read as dates".to_string()))
        .or_else(|| {
            free().filter(|c| c.kind == Kind::Text).find_map(|c| {
                match crate::dates::decide(c.values.iter().map(String::as_str)) {
                    Ok(Some(f)) => Some((c, Some(f.clone()), format!("text dates in the format `{f}`"))),
                    Err(crate::dates::Undecided::Ambiguous { first, second, .. }) => Some((
                        c,
                        None,
                        format!("text dates that read as `{first}` or as `{second}`: set date_format (the run stops until it is set)"),
                    )),
                    _ => None,
                }
            })
        })
        .or_else(|| {
            free()
                .filter(|c| c.kind == Kind::Integer && (by_content || named(c)))
                .filter(|c| whole_dates(&c.values))
                .map(|c| {
                    (
                        c,
                        Some("%Y%m%d".to_string()),
                        "whole numbers read as YYYYMMDD".to_string(),
                    )
                })
                .next()
        })
        .or_else(|| {
            free()
                .find(|c| c.is_numeric() && named(c) && serial_days(c))
                .map(|c| {
                    (
                        c,
                        Some(crate::transactions::lines::EXCEL.to_string()),
                        "spreadsheet serial day numbers (days since 1899-12-30)".to_string(),
                    )
                })
        })?;
    let (c, format, how) = found;
    taken.push(&c.name);
    let others: Vec<&str> = free()
        .filter(|o| o.name != c.name && o.kind == Kind::Date)
        .map(|o| o.name.as_str())
        .collect();
    let how = match (others.is_empty(), date_rank(c)) {
        (true, _) => how,
        (false, 2) => format!("{how}; the purchase date, not {}", others.join(", ")),
        (false, _) => format!(
            "{how}; over {} (check which is the purchase date)",
            others.join(", ")
        ),
    };
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

/// Words of a date column's name that say it is the purchase's, and ones that say it is not.
const PURCHASE_DATE: &[&str] = &[
    "order",
    "invoice",
    "transaction",
    "purchase",
    "sale",
    "bought",
    "rechnung",
    "bestell",
    "kauf",
    "beleg",
    "facture",
    "commande",
    "achat",
    "factura",
    "pedido",
    "compra",
    "venta",
    "fattura",
    "ordine",
];
const OTHER_DATE: &[&str] = &[
    "ship",
    "deliver",
    "due",
    "birth",
    "signup",
    "register",
    "created",
    "updated",
    "return",
    "versand",
    "liefer",
    "flligkeit",
    "geburt",
    "anmeld",
    "expedi",
    "livraison",
    "naissance",
    "envio",
    "entrega",
    "nacimiento",
    "spedizione",
    "consegna",
];

/// 2 for a purchase date by name, 0 for another date by name (shipping, birth…), else 1.
fn date_rank(c: &Column) -> u8 {
    let key = c.key();
    if PURCHASE_DATE.iter().any(|w| key.contains(w)) {
        2
    } else if OTHER_DATE.iter().any(|w| key.contains(w)) {
        0
    } else {
        1
    }
}

/// Numbers that are all serial days of 1950–2099, as spreadsheets store dates (40513 is
/// 2010-12-01).
fn serial_days(c: &Column) -> bool {
    c.min.is_some_and(|m| m >= 18264.0) && c.max.is_some_and(|m| m < 73051.0)
}

pub(super) fn whole_dates(values: &[String]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.len() == 8 && NaiveDate::parse_from_str(v, "%Y%m%d").is_ok())
}

/// The lines read whose invoice starts with `C`: how many, how many of them have a negative
/// quantity or amount (cancellations, as in UCI's Online Retail), and one that does not.
#[derive(Debug, Clone, Default)]
pub struct Cancels {
    pub prefixed: usize,
    pub negative: usize,
    pub positive_example: Option<String>,
}

impl Cancels {
    /// Whether the data shows `C` to mark cancellations: some invoices have it, and every
    /// line of them takes something back.
    pub fn marks_cancellations(&self) -> bool {
        self.prefixed > 0 && self.negative == self.prefixed
    }
}

/// [`Cancels`] of the lines read, with the columns `m` maps.
pub fn cancels(df: &DataFrame, m: &Mapping) -> polars::prelude::PolarsResult<Cancels> {
    let (Some(invoice), Some(sign)) = (
        m.invoice.as_ref(),
        m.quantity.as_ref().or(m.amount.as_ref()),
    ) else {
        return Ok(Cancels::default());
    };
    let invoices = df.column(&invoice.column)?.cast(&DataType::String)?;
    let signs = df.column(&sign.column)?.cast(&DataType::Float64)?;
    let mut c = Cancels::default();
    for (inv, v) in invoices.str()?.iter().zip(signs.f64()?.iter()) {
        let Some(inv) = inv.filter(|i| i.starts_with('C')) else {
            continue;
        };
        c.prefixed += 1;
        if v.is_some_and(|v| v < 0.0) {
            c.negative += 1;
        } else if c.positive_example.is_none() {
            c.positive_example = Some(inv.to_string());
        }
    }
    Ok(c)
}

pub use crate::frame::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_text_date_formats() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
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
