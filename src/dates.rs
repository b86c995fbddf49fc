//! Dates as people write them: which format a column of text dates is in, decided from all
//! of its values, and the values read with it.
//!
//! Every candidate format that reads every value is a possible reading; when two of them
//! read some value differently (`03/01/19`: 3 January or 1 March), nothing in the data
//! decides and the caller refuses, naming both. Four-digit years must have four digits
//! (`%Y` never reads `19` as the year 19); two-digit years follow strptime's `%y` (69–99 →
//! 19xx, 00–68 → 20xx). Times with a zone (`Z`, `+01:00`) are read as UTC.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, NaiveDate};
use polars::prelude::{Int64Chunked, NewChunkedArray, StringChunked};

/// The formats tried, in order of preference among equal readings.
pub fn candidates() -> &'static [String] {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(build_candidates)
}

fn build_candidates() -> Vec<String> {
    let mut v = Vec::new();
    for t in [
        "",
        " %H:%M:%S",
        " %H:%M:%S%.f",
        " %H:%M",
        "T%H:%M:%S",
        "T%H:%M:%S%.f",
        "T%H:%M",
        "T%H:%M:%S%.fZ",
        " %H:%M:%S%.fZ",
        "T%H:%M:%S%.f%:z",
        "T%H:%M:%S%.f%z",
        " %H:%M:%S%.f%:z",
        " %H:%M:%S%.f%z",
    ] {
        v.push(format!("%Y-%m-%d{t}"));
    }
    for sep in ['/', '.'] {
        for t in &TIMES_OF_DAY[..3] {
            v.push(format!("%Y{sep}%m{sep}%d{t}"));
        }
    }
    for year in ["%Y", "%y"] {
        for sep in ['/', '.', '-'] {
            for order in [["%d", "%m"], ["%m", "%d"]] {
                for t in TIMES_OF_DAY {
                    v.push(format!("{}{sep}{}{sep}{year}{t}", order[0], order[1]));
                }
            }
        }
    }
    for named in [
        "%d %b %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%d %b %Y %H:%M",
        "%d-%b-%Y %H:%M:%S",
    ] {
        v.push(named.to_string());
    }
    v.push("%Y%m%d".to_string());
    // Years first and month names with every time of day, after the forms above (which
    // keep their places, so a column they read is read with the same format as before).
    let year_first = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"];
    for date in year_first.iter().chain(&NAMED_MONTH_DATES) {
        for t in TIMES_OF_DAY {
            let f = format!("{date}{t}");
            if !v.contains(&f) {
                v.push(f);
            }
        }
    }
    v
}

/// The times of day a date may be followed by (none: midnight).
const TIMES_OF_DAY: [&str; 5] = ["", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p"];

/// The ways of writing a date with its month's name (chrono's `%b` also reads the full
/// name, `%a` the weekday's either way).
const NAMED_MONTH_DATES: [&str; 9] = [
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%b %d, %Y",
    "%b %d %Y",
    "%d/%b/%Y",
    "%a, %d %b %Y",
    "%a %b %d %Y",
];

/// Whether a format reads a time of day (else the dates are at midnight).
pub fn has_time(format: &str) -> bool {
    format.contains("%H") || format.contains("%I")
}

/// `value` read with `format` as milliseconds since 1970-01-01 UTC; `None` when it does not
/// fit (a `%Y` whose year has fewer than four digits does not).
pub fn parse_ms(value: &str, format: &str) -> Option<i64> {
    Reader::new(format).ms(value)
}

/// A date format with its items parsed once, to read many values with it (what chrono's
/// `parse_from_str` does for each value, without reading the format again each time).
pub struct Reader<'f> {
    items: Vec<Item<'f>>,
    zoned: bool,
    timed: bool,
    four_digit_year: bool,
    two_digit_year: bool,
}

impl<'f> Reader<'f> {
    pub fn new(format: &'f str) -> Reader<'f> {
        Reader {
            items: StrftimeItems::new(format).collect(),
            zoned: format.contains("%z") || format.contains("%:z"),
            timed: has_time(format),
            four_digit_year: format.contains("%Y"),
            two_digit_year: format.contains("%y"),
        }
    }

    /// `value` as milliseconds since 1970-01-01 UTC (see [`parse_ms`]).
    pub fn ms(&self, value: &str) -> Option<i64> {
        let v = value.trim();
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, v, self.items.iter()).ok()?;
        let at = if self.zoned {
            parsed.to_datetime().ok()?.naive_utc()
        } else if self.timed {
            parsed.to_naive_datetime_with_offset(0).ok()?
        } else {
            parsed.to_naive_date().ok()?.and_hms_opt(0, 0, 0)?
        };
        if self.four_digit_year && !four_digit_year(v, at.year()) {
            return None;
        }
        // chrono's `%y` reads 69 as 2069; strptime's (and so Python's) as 1969.
        let at = match at.year() {
            2069 if self.two_digit_year => at.with_year(1969)?,
            _ => at,
        };
        Some(at.and_utc().timestamp_millis())
    }
}

/// The candidate formats' readers, in [`candidates`]' order.
fn candidate_readers() -> &'static [Reader<'static>] {
    static LIST: std::sync::OnceLock<Vec<Reader<'static>>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| candidates().iter().map(|f| Reader::new(f)).collect())
}

/// A `%Y` year read from `v` was written with four digits (chrono reads `19` as the year 19).
fn four_digit_year(v: &str, year: i32) -> bool {
    (1000..=9999).contains(&year) && v.contains(&year.to_string())
}

/// A text column read with `format` as milliseconds (each distinct value parsed once; empty
/// values stay empty); `Err` holds the first value that does not fit.
pub fn parse_column(text: &StringChunked, format: &str) -> Result<Int64Chunked, String> {
    let reader = Reader::new(format);
    let mut seen: std::collections::HashMap<&str, Option<i64>> = Default::default();
    let mut out = Vec::with_capacity(text.len());
    for v in text.iter() {
        let ms = match v.filter(|v| !v.trim().is_empty()) {
            Some(v) => {
                let ms = *seen.entry(v).or_insert_with(|| reader.ms(v));
                if ms.is_none() {
                    return Err(v.to_string());
                }
                ms
            }
            None => None,
        };
        out.push(ms);
    }
    Ok(Int64Chunked::from_iter_options(
        text.name().clone(),
        out.into_iter(),
    ))
}

/// Why the values of a column could not be given one reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Undecided {
    /// No format reads this value (and every value before it fitted some format).
    NoFormat { value: String },
    /// Two formats read every value, and read `value` differently.
    Ambiguous {
        first: String,
        second: String,
        value: String,
    },
}

/// The format of a column of text dates, from its distinct values (empty ones skipped):
/// the first candidate that reads them all, when every candidate that does reads them alike.
pub fn decide<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Option<String>, Undecided> {
    let values: Vec<&str> = values
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    let alive = alive_readers(&values)?;
    let (chosen, a) = alive[0];
    for &(other, b) in &alive[1..] {
        if let Some(v) = values.iter().find(|v| a.ms(v) != b.ms(v)) {
            return Err(Undecided::Ambiguous {
                first: chosen.clone(),
                second: other.to_string(),
                value: v.to_string(),
            });
        }
    }
    Ok(Some(chosen.clone()))
}

/// The known formats that read every one of `values` (trimmed, non-empty), in the order
/// they are tried; none is the first value no format reads.
pub fn readers(values: &[&str]) -> Result<Vec<&'static String>, Undecided> {
    Ok(alive_readers(values)?.into_iter().map(|(f, _)| f).collect())
}

/// [`readers`], each format with its reader.
fn alive_readers(
    values: &[&str],
) -> Result<Vec<(&'static String, &'static Reader<'static>)>, Undecided> {
    let mut alive: Vec<(&'static String, &'static Reader)> =
        candidates().iter().zip(candidate_readers()).collect();
    for v in values {
        alive.retain(|(_, r)| r.ms(v).is_some());
        if alive.is_empty() {
            return Err(Undecided::NoFormat {
                value: v.to_string(),
            });
        }
    }
    Ok(alive)
}

/// Whether the first non-empty value could be a date at all (a cheap test before reading a
/// whole column).
pub fn could_be_date(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 6 && candidate_readers().iter().any(|r| r.ms(v).is_some())
}

/// `ms` as `YYYY-MM-DD` (or with the time when it is not midnight), for messages.
pub fn show(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(d) if d.timestamp_millis() % 86_400_000 == 0 => d.format("%Y-%m-%d").to_string(),
        Some(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => ms.to_string(),
    }
}

/// The earliest and latest dates segflow accepts: 1900-01-01 and a year after today.
pub fn plausible_range() -> (i64, i64) {
    let start = NaiveDate::from_ymd_opt(1900, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    (start, now + 366 * 86_400_000)
}

/// The error of a format decision, for a column whose format `key` sets.
pub fn undecided_message(column: &str, key: &str, why: &Undecided) -> String {
    match why {
        Undecided::NoFormat { value } => format!(
            "cannot read the dates in `{column}`: `{value}` is not a date in any format segflow knows (e.g. 2019-01-31, 31/01/2019, 01/31/19 14:05, 31.01.2019): set {key} to its strftime format"
        ),
        Undecided::Ambiguous {
            first,
            second,
            value,
        } => {
            let read = |f: &str| parse_ms(value, f).map(show).unwrap_or_default();
            format!(
                "the dates in `{column}` can be read two ways: `{value}` is {} as `{first}` and {} as `{second}`, and no value decides (a day above 12 would): set {key}: \"{first}\" or \"{second}\"",
                read(first),
                read(second)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32, h: u32, mi: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn two_digit_years_follow_strptime_and_never_become_year_19() {
        assert_eq!(parse_ms("03/01/19", "%d/%m/%Y"), None);
        assert_eq!(parse_ms("03/01/19", "%d/%m/%y"), Some(ms(2019, 1, 3, 0, 0)));
        assert_eq!(parse_ms("03/01/68", "%d/%m/%y"), Some(ms(2068, 1, 3, 0, 0)));
        assert_eq!(parse_ms("03/01/69", "%d/%m/%y"), Some(ms(1969, 1, 3, 0, 0)));
        assert_eq!(parse_ms("03/01/2019", "%d/%m/%y"), None);
    }

    #[test]
    fn day_first_or_month_first_is_decided_by_the_data_or_refused() {
        assert_eq!(
            decide(["03/01/19", "13/02/19"]),
            Ok(Some("%d/%m/%y".to_string()))
        );
        assert_eq!(
            decide(["03/01/19", "02/13/19"]),
            Ok(Some("%m/%d/%y".to_string()))
        );
        match decide(["03/01/19", "04/01/19"]) {
            Err(Undecided::Ambiguous { first, second, .. }) => {
                assert_eq!((first.as_str(), second.as_str()), ("%d/%m/%y", "%m/%d/%y"))
            }
            other => panic!("{other:?}"),
        }
        // A day equal to its month reads the same either way: not ambiguous.
        assert_eq!(
            decide(["01/01/2019", "05/05/2019"]),
            Ok(Some("%d/%m/%Y".to_string()))
        );
        assert_eq!(
            decide(["12/1/2010 8:26", "12/13/2010 9:01"]),
            Ok(Some("%m/%d/%Y %H:%M".to_string()))
        );
        assert_eq!(
            decide(["11.02.2013", "28.02.2013"]),
            Ok(Some("%d.%m.%Y".to_string()))
        );
    }

    /// Every way of writing a date and a time of day the candidates are meant to cover,
    /// generated: day, month and year in each order with `/`, `.` or `-` (four- or
    /// two-digit years), the month's name in each form, each with each time of day. A column
    /// written so is read at the instants written (what the form keeps of them).
    #[test]
    fn every_written_form_is_read_at_the_instants_written() {
        let instants = [
            (2011, 8, 12, 15, 22, 7),
            (2010, 12, 1, 8, 26, 0),
            (2011, 1, 9, 23, 5, 45),
            (2010, 3, 28, 0, 0, 0),
        ];
        let mut dates: Vec<String> = Vec::new();
        for sep in ["/", ".", "-"] {
            for year in ["%Y", "%y"] {
                dates.push(format!("%d{sep}%m{sep}{year}"));
                dates.push(format!("%m{sep}%d{sep}{year}"));
            }
            dates.push(format!("%Y{sep}%m{sep}%d"));
        }
        dates.extend(NAMED_MONTH_DATES.iter().map(|d| d.to_string()));
        let mut forms = 0;
        for date in &dates {
            for time in TIMES_OF_DAY {
                let written = format!("{date}{time}");
                let at = |&(y, mo, d, h, mi, se): &(i32, u32, u32, u32, u32, u32)| {
                    let (h, mi) = if time.is_empty() { (0, 0) } else { (h, mi) };
                    let se = if time.contains("%S") { se } else { 0 };
                    NaiveDate::from_ymd_opt(y, mo, d)
                        .and_then(|d| d.and_hms_opt(h, mi, se))
                        .unwrap()
                };
                let values: Vec<String> = instants
                    .iter()
                    .map(|i| at(i).format(&written).to_string())
                    .collect();
                let read = decide(values.iter().map(String::as_str))
                    .unwrap_or_else(|why| panic!("{written} ({values:?}): {why:?}"))
                    .unwrap();
                for (v, i) in values.iter().zip(&instants) {
                    let want = at(i).and_utc().timestamp_millis();
                    assert_eq!(
                        parse_ms(v, &read),
                        Some(want),
                        "{written}: `{v}` with {read}"
                    );
                }
                forms += 1;
            }
        }
        assert_eq!(forms, 120);
    }

    #[test]
    fn iso_forms_zones_and_others() {
        let d = |v: &[&str]| decide(v.iter().copied()).unwrap().unwrap();
        assert_eq!(d(&["2010-12-01 08:26:00"]), "%Y-%m-%d %H:%M:%S");
        assert_eq!(d(&["2010-12-01 08:26:00.5"]), "%Y-%m-%d %H:%M:%S%.f");
        assert_eq!(d(&["2010-12-01"]), "%Y-%m-%d");
        assert_eq!(d(&["2010-12-01T08:26:00Z"]), "%Y-%m-%dT%H:%M:%S%.fZ");
        let f = d(&["2010-12-01T09:26:00+01:00", "2010-12-01T08:26:00.500+00:00"]);
        assert_eq!(
            parse_ms("2010-12-01T09:26:00+01:00", &f),
            Some(ms(2010, 12, 1, 8, 26))
        );
        assert_eq!(d(&["20101201", "20111209"]), "%Y%m%d");
        assert_eq!(d(&["01-Dec-2010", "9-Jan-2011"]), "%d-%b-%Y");
        assert_eq!(
            parse_ms(
                "12/1/2010 8:26 PM",
                &d(&["12/1/2010 8:26 PM", "12/13/2010 9:01 AM"])
            ),
            Some(ms(2010, 12, 1, 20, 26))
        );
        assert_eq!(
            decide(["2010-12-01", "Male"]),
            Err(Undecided::NoFormat {
                value: "Male".into()
            })
        );
        assert!(!could_be_date("17850"));
        assert!(could_be_date("2010-12-01"));
    }
}
