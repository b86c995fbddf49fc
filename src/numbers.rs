//! Numbers as people write them: a decimal point or a decimal comma, thousands separators
//! (`1,234.50`, `1.234,50`, `1 234,50`, `1'234.50`), a currency symbol or code before or
//! after (`$`, `€`, `£`, `USD`, `EUR` …), negatives as `-12.50`, `(12.50)` or `12.50-`, and
//! percentages (`12.5%` is 0.125, as a spreadsheet stores it).
//!
//! Which mark is the decimal one is a property of the file: `input.decimal` when given, else
//! decided by the values. A value that reads one way with a decimal point and another with a
//! decimal comma (`1,234`: 1234 or 1.234) decides nothing, and a column of such values is
//! refused naming `input.decimal`; so is a value only a decimal comma reads (`47,95`) when the
//! key is not set, since polars has then read the file's other columns with a decimal point.

use polars::prelude::{Float64Chunked, NewChunkedArray, StringChunked};

/// The decimal mark of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decimal {
    #[serde(rename = ".")]
    Point,
    #[serde(rename = ",")]
    Comma,
}

impl Decimal {
    /// The mark as written in `input.decimal`.
    pub fn mark(self) -> char {
        match self {
            Decimal::Point => '.',
            Decimal::Comma => ',',
        }
    }
}

/// Currency symbols and ISO codes recognised before or after a number.
const CURRENCIES: &[&str] = &[
    "US$", "$", "€", "£", "¥", "₹", "₩", "₽", "USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD",
    "NZD", "SEK", "NOK", "DKK", "PLN", "CZK", "INR", "CNY", "BRL", "MXN", "ZAR", "kr",
];

/// Spaces people and spreadsheets put in numbers: space, no-break and narrow no-break space.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// `value` read with `decimal` as the decimal mark; `None` when it is not a number so written
/// (an empty value is not one either).
pub fn parse(value: &str, decimal: Decimal) -> Option<f64> {
    let mut s = value.trim_matches(|c: char| c.is_whitespace() || is_space(c));
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        (s, negative) = (inner.trim(), true);
    }
    if let Some(rest) = s.strip_suffix('-') {
        if negative {
            return None;
        }
        (s, negative) = (rest.trim_end(), true);
    }
    let percent = match s.strip_suffix('%') {
        Some(rest) => {
            s = rest.trim_end();
            true
        }
        None => false,
    };
    // A sign may stand before or after a currency prefix (`-$5`, `$-5`).
    let mut sign = |s: &mut &str| -> Option<()> {
        if let Some(rest) = s.strip_prefix(['-', '\u{2212}']) {
            if negative {
                return None;
            }
            (*s, negative) = (rest.trim_start(), true);
        } else if let Some(rest) = s.strip_prefix('+') {
            *s = rest.trim_start();
        }
        Some(())
    };
    sign(&mut s)?;
    if let Some(rest) = strip_currency(s) {
        s = rest;
        sign(&mut s)?;
    }
    let number = body(s, decimal)?;
    let number = if percent { number / 100.0 } else { number };
    Some(if negative { -number } else { number })
}

/// `s` without one currency symbol or code at its start or end.
fn strip_currency(s: &str) -> Option<&str> {
    for c in CURRENCIES {
        if let Some(rest) = s.strip_prefix(c) {
            return Some(rest.trim_start_matches(is_space));
        }
        if let Some(rest) = s.strip_suffix(c) {
            return Some(rest.trim_end_matches(is_space));
        }
    }
    None
}

/// Digits with an optional fraction after the decimal mark; the whole part plain or grouped
/// in threes by one thousands separator (`,` `'` or a space with a decimal point; `.` `'` or
/// a space with a decimal comma).
fn body(s: &str, decimal: Decimal) -> Option<f64> {
    let (whole, fraction) = match s.split_once(decimal.mark()) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if let Some(f) = fraction {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let digits = whole_digits(whole, decimal)?;
    if digits.is_empty() && fraction.is_none() {
        return None;
    }
    let text = format!("0{digits}.{}", fraction.unwrap_or("0"));
    text.parse().ok()
}

/// The digits of a whole part, its thousands separators removed (`None` if malformed).
fn whole_digits(whole: &str, decimal: Decimal) -> Option<String> {
    if whole.bytes().all(|b| b.is_ascii_digit()) {
        return Some(whole.to_string());
    }
    let sep = whole.chars().find(|c| !c.is_ascii_digit())?;
    let allowed = match decimal {
        Decimal::Point => sep == ',' || sep == '\'' || is_space(sep),
        Decimal::Comma => sep == '.' || sep == '\'' || is_space(sep),
    };
    if !allowed {
        return None;
    }
    let groups: Vec<&str> = whole.split(sep).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let digits_ok = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    (first_ok && rest_ok && digits_ok).then(|| groups.concat())
}

/// Whether polars reads `value` as a number itself (plain digits, a decimal point, an
/// exponent), so that a column of only such values needs none of the rules here. A leading
/// `+` is not (polars reads `+3` as text).
pub fn is_plain(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty()
        && !v.starts_with('+')
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && v.parse::<f64>().is_ok()
}

/// A whole number as written plainly (`-12`, `007`) or an empty value.
pub fn is_whole(value: &str) -> bool {
    let v = value.trim();
    let digits = v.strip_prefix('-').unwrap_or(v);
    v.is_empty() || (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether values from a column's start could be numbers (nine in ten read with one mark or
/// the other): the quick test before a column's distinct values are read.
pub fn may_be_numbers<'a>(values: impl Iterator<Item = &'a str>) -> bool {
    let (mut all, mut read) = (0usize, 0usize);
    for v in values.filter(|v| !v.trim().is_empty()) {
        all += 1;
        read +=
            usize::from(parse(v, Decimal::Point).is_some() || parse(v, Decimal::Comma).is_some());
    }
    all > 0 && read * 10 >= all * 9
}

/// How the values of one text column read as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Not a column of numbers (most values are not numbers in any way written here).
    Text,
    /// Numbers with this decimal mark.
    Numbers(Decimal),
    /// Numbers, but this value is not one (it should be corrected or cleared).
    Bad(String),
    /// Only a decimal comma reads this value, and `input.decimal` is not set.
    NeedsComma(String),
    /// This value reads differently with a decimal point and a decimal comma, and no value
    /// of the column decides.
    Ambiguous(String),
}

/// How a column with these distinct non-empty values reads: with `given` (`input.decimal`)
/// every value must read with it; without, a value that reads only one way decides.
pub fn decide<'a>(values: impl IntoIterator<Item = &'a str>, given: Option<Decimal>) -> Reading {
    let (mut all, mut parsed, mut needs_rules) = (0usize, 0usize, false);
    let (mut bad, mut point, mut comma, mut ambiguous) = (None, false, None, None);
    for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
        all += 1;
        let p = parse(v, Decimal::Point);
        let c = parse(v, Decimal::Comma);
        let ok = match given {
            Some(Decimal::Point) => p.is_some(),
            Some(Decimal::Comma) => c.is_some(),
            None => p.is_some() || c.is_some(),
        };
        if !ok {
            bad.get_or_insert_with(|| v.to_string());
            continue;
        }
        parsed += 1;
        needs_rules |= match given {
            Some(Decimal::Comma) => !is_whole(v),
            _ => !is_plain(v),
        };
        match (p, c) {
            (Some(_), None) => point = true,
            (None, Some(_)) => _ = comma.get_or_insert_with(|| v.to_string()),
            (Some(a), Some(b)) if a != b => _ = ambiguous.get_or_insert_with(|| v.to_string()),
            _ => {}
        }
    }
    // A column of numbers: every value, or all but a few (which are then errors), and at
    // least one number written in a way polars does not read (with a decimal comma: not a
    // plain whole number). `C536379` among whole invoice numbers is not one: that column is
    // text, and a column of whole numbers is the caller's to type.
    if all == 0 || !needs_rules || parsed * 10 < all * 9 {
        return Reading::Text;
    }
    if let Some(v) = bad {
        return Reading::Bad(v);
    }
    match (given, comma, ambiguous) {
        (Some(d), _, _) => Reading::Numbers(d),
        (None, Some(v), _) => Reading::NeedsComma(v),
        (None, None, Some(v)) if !point => Reading::Ambiguous(v),
        (None, None, _) => Reading::Numbers(Decimal::Point),
    }
}

/// What to say about a column that did not read as [`Reading::Numbers`] (`None` for text).
pub fn refusal(column: &str, reading: &Reading) -> Option<String> {
    Some(match reading {
        Reading::Text | Reading::Numbers(_) => return None,
        Reading::Bad(v) => format!(
            "column `{column}` holds numbers, but `{v}` is not one: correct that value, or clear it to leave the cell empty"
        ),
        Reading::NeedsComma(v) => format!(
            "column `{column}` holds numbers written with a decimal comma (`{v}`): set `input.decimal: \",\"` to read the file so"
        ),
        Reading::Ambiguous(v) => {
            let (p, c) = (
                parse(v, Decimal::Point).unwrap_or_default(),
                parse(v, Decimal::Comma).unwrap_or_default(),
            );
            format!(
                "column `{column}` holds numbers such as `{v}` that read as {p} with a decimal point and as {c} with a decimal comma, and no value decides: set `input.decimal: \".\"` or `input.decimal: \",\"`"
            )
        }
    })
}

/// What a file's columns say about its decimal mark: the first value (and its column) that
/// reads only with a decimal point, only with a decimal comma, and either way but differently.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Evidence {
    pub point: Option<(String, String)>,
    pub comma: Option<(String, String)>,
    pub ambiguous: Option<(String, String)>,
}

impl Evidence {
    /// Adds the values of one column (only a column whose first values are numbers counts).
    pub fn add(&mut self, column: &str, values: &[&str]) {
        if !may_be_numbers(values.iter().copied().take(1000)) {
            return;
        }
        let found = |v: &str| Some((column.to_string(), v.to_string()));
        for &v in values {
            match (parse(v, Decimal::Point), parse(v, Decimal::Comma)) {
                (Some(_), None) if self.point.is_none() => self.point = found(v),
                (None, Some(_)) if self.comma.is_none() => self.comma = found(v),
                (Some(a), Some(b)) if a != b && self.ambiguous.is_none() => {
                    self.ambiguous = found(v)
                }
                _ => {}
            }
        }
    }
}

/// A text column read as numbers with `decimal` (empty values stay empty); `Err` holds the
/// position and the value of the first one that is not a number.
pub fn parse_column(
    text: &StringChunked,
    decimal: Decimal,
) -> Result<Float64Chunked, (usize, String)> {
    let mut out = Vec::with_capacity(text.len());
    for (i, v) in text.iter().enumerate() {
        let x = match v.filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(parse(v, decimal).ok_or_else(|| (i, v.to_string()))?),
            None => None,
        };
        out.push(x);
    }
    Ok(Float64Chunked::from_iter_options(
        text.name().clone(),
        out.into_iter(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decimal::{Comma, Point};

    #[test]
    fn numbers_as_people_write_them() {
        let cases: &[(&str, Decimal, f64)] = &[
            ("1234.5", Point, 1234.5),
            ("1,234.50", Point, 1234.5),
            ("1.234,50", Comma, 1234.5),
            ("1 234,50", Comma, 1234.5),
            ("1\u{a0}234,50", Comma, 1234.5),
            ("1'234.50", Point, 1234.5),
            ("47,95", Comma, 47.95),
            ("$1,438.50", Point, 1438.5),
            ("1.438,50 €", Comma, 1438.5),
            ("€1.438,50", Comma, 1438.5),
            ("USD 12.00", Point, 12.0),
            ("12.00 EUR", Point, 12.0),
            ("(12.50)", Point, -12.5),
            ("($12.50)", Point, -12.5),
            ("12.50-", Point, -12.5),
            ("-$5", Point, -5.0),
            ("$-5", Point, -5.0),
            ("12.5%", Point, 0.125),
            ("12,5 %", Comma, 0.125),
            (",5", Comma, 0.5),
            ("1,234,567", Point, 1234567.0),
            ("0", Point, 0.0),
        ];
        for &(text, decimal, want) in cases {
            assert_eq!(parse(text, decimal), Some(want), "{text}");
        }
        for text in [
            "",
            "-",
            "$",
            "12,34.5",
            "1,2345",
            "1.234.5",
            "abc",
            "12a",
            "--5",
            "(-5)",
            "1e3x",
            "12.",
            "1,,234",
            "1 234.5.6",
            "CA-2019-1",
        ] {
            assert_eq!(parse(text, Point), None, "{text}");
        }
        assert_eq!(parse("1.234", Comma), Some(1234.0));
        assert_eq!(parse("12.34", Comma), None);
    }

    #[test]
    fn a_column_reads_one_way_or_is_refused_with_the_key() {
        assert_eq!(decide(["1", "2.5"], None), Reading::Text); // polars reads these itself
        assert_eq!(decide(["red", "blue"], None), Reading::Text);
        let invoices: Vec<String> = (0..30)
            .map(|i| format!("5363{i:02}"))
            .chain(["C536379".to_string()])
            .collect();
        assert_eq!(
            decide(invoices.iter().map(String::as_str), None),
            Reading::Text
        );
        let values = invoices.iter().map(String::as_str);
        assert_eq!(decide(values, Some(Comma)), Reading::Text);
        assert_eq!(
            decide(["$1,438.50", "$12.00"], None),
            Reading::Numbers(Point)
        );
        assert_eq!(
            decide(["47,95", "3,50"], None),
            Reading::NeedsComma("47,95".into())
        );
        assert_eq!(
            decide(["47,95", "3,50"], Some(Comma)),
            Reading::Numbers(Comma)
        );
        assert_eq!(
            decide(["1,234", "2,500"], None),
            Reading::Ambiguous("1,234".into())
        );
        // One value with a decimal point decides the others' commas.
        assert_eq!(decide(["1,234", "2,500.75"], None), Reading::Numbers(Point));
        assert_eq!(
            decide(["1,234", "2,500"], Some(Point)),
            Reading::Numbers(Point)
        );
        let mostly: Vec<String> = (0..20)
            .map(|i| format!("${i}.50"))
            .chain(["n/a".to_string()])
            .collect();
        assert_eq!(
            decide(mostly.iter().map(String::as_str), None),
            Reading::Bad("n/a".into())
        );
        let msg = refusal("Betrag", &Reading::NeedsComma("47,95".into())).unwrap();
        assert!(msg.contains("input.decimal: \",\""), "{msg}");
    }
}
