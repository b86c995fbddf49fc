//! The descriptive columns of invoice lines — product, category, country — recognised by
//! their values when their names did not say (a header line in another language, or none):
//! country names; codes that repeat over the lines (a product); a few labels, one per
//! product (a category: a region or a shipping mode is not one per product). A role goes to
//! a column only when exactly one column fits it; none or two leave it for the user.

use std::collections::BTreeSet;

use polars::prelude::{DataFrame, PolarsResult};

use super::columns::{Column, Kind};
use super::transactions::{thousands, Mapping, Pick};

/// Country names as shops and spreadsheets write them (English short names and the usual
/// other forms), compared lower-cased.
const COUNTRIES: &str = "afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|azerbaijan|bahamas|bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bermuda|bhutan|bolivia|bosnia and herzegovina|botswana|brazil|brunei|bulgaria|burkina faso|burundi|cambodia|cameroon|canada|cape verde|cayman islands|central african republic|chad|channel islands|chile|china|colombia|comoros|congo|costa rica|croatia|cuba|cyprus|czech republic|czechia|denmark|djibouti|dominica|dominican republic|ecuador|egypt|eire|el salvador|england|eritrea|estonia|eswatini|ethiopia|european community|fiji|finland|france|gabon|gambia|georgia|germany|ghana|greece|greenland|guatemala|guinea|guyana|haiti|honduras|hong kong|hungary|iceland|india|indonesia|iran|iraq|ireland|israel|italy|ivory coast|jamaica|japan|jordan|kazakhstan|kenya|korea|south korea|kosovo|kuwait|kyrgyzstan|laos|latvia|lebanon|lesotho|liberia|libya|liechtenstein|lithuania|luxembourg|macau|madagascar|malawi|malaysia|maldives|mali|malta|mauritania|mauritius|mexico|moldova|monaco|mongolia|montenegro|morocco|mozambique|myanmar|namibia|nepal|netherlands|the netherlands|holland|new zealand|nicaragua|niger|nigeria|north macedonia|northern ireland|norway|oman|pakistan|panama|papua new guinea|paraguay|peru|philippines|poland|portugal|puerto rico|qatar|romania|russia|russian federation|rwanda|rsa|saudi arabia|scotland|senegal|serbia|seychelles|sierra leone|singapore|slovakia|slovenia|somalia|south africa|spain|sri lanka|sudan|suriname|sweden|switzerland|syria|taiwan|tajikistan|tanzania|thailand|togo|trinidad and tobago|tunisia|turkey|türkiye|turkmenistan|uganda|ukraine|united arab emirates|uae|united kingdom|uk|great britain|united states|united states of america|usa|us|uruguay|uzbekistan|venezuela|vietnam|viet nam|wales|yemen|zambia|zimbabwe|deutschland|österreich|schweiz|frankreich|italien|spanien|niederlande|belgien|dänemark|schweden|norwegen|polen|españa|francia|alemania|italia|reino unido|estados unidos|méxico|brasil|allemagne|espagne|italie|royaume-uni|belgique|suisse|pays-bas|états-unis";

/// At most this many labels make a category (more are products or names).
const MAX_CATEGORIES: usize = 50;

/// Fills the product, category and country of `m` that its names left empty, from the
/// values of the columns no role has taken.
pub fn fill(m: &mut Mapping, df: &DataFrame, cols: &[Column]) -> PolarsResult<()> {
    let mut taken: Vec<String> = [
        &m.customer,
        &m.invoice,
        &m.date,
        &m.quantity,
        &m.price,
        &m.amount,
        &m.product,
        &m.category,
        &m.country,
    ]
    .into_iter()
    .flatten()
    .map(|p| p.column.clone())
    .collect();
    let free = |taken: &[String]| -> Vec<&Column> {
        cols.iter()
            .filter(|c| c.kind == Kind::Text && !taken.contains(&c.name))
            .collect()
    };
    if m.country.is_none() {
        m.country = sole(free(&taken).into_iter().filter_map(country));
    }
    taken.extend(m.country.iter().map(|p| p.column.clone()));
    if m.product.is_none() {
        m.product = sole(free(&taken).into_iter().filter_map(product));
    }
    taken.extend(m.product.iter().map(|p| p.column.clone()));
    if let (None, Some(product)) = (&m.category, &m.product) {
        let mut found = Vec::new();
        for c in free(&taken) {
            if let Some(p) = category(c) {
                if super::content::determines(df, &product.column, &c.name)? {
                    found.push(p);
                }
            }
        }
        m.category = sole(found.into_iter());
    }
    Ok(())
}

/// The one candidate, or none when there are none or several.
fn sole(mut candidates: impl Iterator<Item = Pick>) -> Option<Pick> {
    let first = candidates.next()?;
    candidates.next().is_none().then_some(first)
}

/// The distinct non-empty values read, trimmed.
fn labels(c: &Column) -> BTreeSet<&str> {
    c.values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Nine in ten of the distinct values are country names.
fn country(c: &Column) -> Option<Pick> {
    let labels = labels(c);
    let names: BTreeSet<&str> = COUNTRIES.split('|').collect();
    let known: Vec<&str> = labels
        .iter()
        .copied()
        .filter(|v| names.contains(v.to_lowercase().as_str()))
        .collect();
    // Two-letter codes alone (`CA`, `US`) could be states or anything: names are needed.
    let named = known.iter().any(|v| v.chars().count() > 3);
    (named && known.len() * 10 >= labels.len() * 9).then(|| {
        let shown: Vec<&str> = known.iter().take(3).copied().collect();
        pick(
            c,
            format!(
                "{} of its {} values are country names ({}…)",
                known.len(),
                labels.len(),
                shown.join(", ")
            ),
        )
    })
}

/// Codes with digits and without spaces (nine in ten: `BANK CHARGES` may be among them; a
/// city's name has no digit), many of them, each on several lines: what was bought.
fn product(c: &Column) -> Option<Pick> {
    let labels = labels(c);
    let code =
        |v: &&&str| !v.contains(char::is_whitespace) && v.contains(|ch: char| ch.is_ascii_digit());
    let codes = labels.iter().filter(code).count() * 10 >= labels.len() * 9;
    let filled = c.rows - c.nulls;
    let fits = codes && c.distinct > MAX_CATEGORIES && c.distinct * 2 <= filled;
    fits.then(|| {
        pick(
            c,
            format!(
                "{} codes, repeated over {} lines (what was bought)",
                thousands(c.distinct),
                thousands(filled)
            ),
        )
    })
}

/// A few words that repeat a lot and are not numbers: a category of what was bought, when
/// each product has one.
fn category(c: &Column) -> Option<Pick> {
    let filled = c.rows - c.nulls;
    let words = c
        .values
        .iter()
        .any(|v| v.chars().any(|ch| ch.is_alphabetic()));
    let few = (2..=MAX_CATEGORIES).contains(&c.distinct) && c.distinct * 20 <= filled;
    (words && few).then(|| {
        pick(
            c,
            format!(
                "{} labels, one per product, repeated over {} lines",
                c.distinct,
                thousands(filled)
            ),
        )
    })
}

fn pick(c: &Column, why: String) -> Pick {
    Pick {
        column: c.name.clone(),
        why: format!("by content: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::df;

    use super::*;

    fn text(name: &str, values: &[&str], rows: usize, distinct: usize) -> Column {
        Column {
            name: name.into(),
            kind: Kind::Text,
            rows,
            nulls: 0,
            distinct,
            min: None,
            max: None,
            skew: None,
            whole: false,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// 1,000 lines of 100 products, each in one of 3 groups, shipped 2 ways whatever the
    /// product, to 3 countries.
    fn lines() -> (DataFrame, Vec<Column>) {
        let n = 1000usize;
        let product: Vec<String> = (0..n).map(|i| format!("P{:03}", i % 100)).collect();
        let group = |i: usize| ["Garden", "Kitchen", "Toys"][(i % 100) % 3];
        let ship = |i: usize| ["Standard", "Express"][(i / 100) % 2];
        let land = |i: usize| ["Deutschland", "France", "EIRE"][i % 3];
        let df = df!(
            "Art" => product.clone(),
            "Gruppe" => (0..n).map(group).collect::<Vec<_>>(),
            "Versand" => (0..n).map(ship).collect::<Vec<_>>(),
            "Land" => (0..n).map(land).collect::<Vec<_>>(),
        )
        .unwrap();
        let values = |f: &dyn Fn(usize) -> &'static str| (0..n).map(f).collect::<Vec<_>>();
        let codes: Vec<&str> = product.iter().map(String::as_str).collect();
        let cols = vec![
            text("Art", &codes, n, 100),
            text("Gruppe", &values(&group), n, 3),
            text("Versand", &values(&ship), n, 2),
            text("Land", &values(&land), n, 3),
        ];
        (df, cols)
    }

    fn got(p: &Option<Pick>) -> Option<&str> {
        p.as_ref().map(|p| p.column.as_str())
    }

    #[test]
    fn each_role_goes_to_the_one_column_that_fits() {
        let (df, cols) = lines();
        let mut m = Mapping::default();
        fill(&mut m, &df, &cols).unwrap();
        assert_eq!(got(&m.country), Some("Land"));
        assert_eq!(got(&m.product), Some("Art"));
        // A shipping mode repeats as much, but is not one per product.
        assert_eq!(got(&m.category), Some("Gruppe"));
        let why = &m.country.as_ref().unwrap().why;
        assert!(why.contains("3 of its 3 values are country names"), "{why}");
    }

    #[test]
    fn what_could_be_two_things_is_left_to_the_user() {
        let (df, mut cols) = lines();
        // Nine in ten of the names must be countries: 3 of 4 are not enough.
        cols[3].values.push("Unspecified".into());
        // Two columns one per product: no category.
        let mut df = df;
        let twin = df
            .column("Gruppe")
            .unwrap()
            .clone()
            .with_name("Familie".into());
        df.with_column(twin).unwrap();
        let mut family = cols[1].clone();
        family.name = "Familie".into();
        cols.push(family);
        let mut m = Mapping::default();
        fill(&mut m, &df, &cols).unwrap();
        assert_eq!(got(&m.country), None);
        assert_eq!(got(&m.category), None);
        // Codes alone, cities and states are not countries.
        for places in [
            ["US", "CA", "MX", "DE"],
            ["London", "Paris", "Berlin", "Luxembourg"],
            ["Georgia", "Texas", "Ohio", "Oregon"],
        ] {
            let mut m = Mapping::default();
            let df = df!("place" => places).unwrap();
            fill(&mut m, &df, &[text("place", &places, 1000, 4)]).unwrap();
            assert!(m.country.is_none(), "{places:?}");
        }
    }
}
