//! A retail order export of the shape analysts download from shop systems (modelled on the
//! public "Superstore" sales table): 21 columns, one line per product ordered, order ids with
//! a country prefix (`CA-2021-152156`, `US-2021-108966`: purchases, not cancellations), the
//! order date and a later ship date written month-first (`11/8/2021`), customer ids such as
//! `CG-12520`, product names with commas (quoted), sales with cents, discounts and profits
//! that can be negative. Deterministic for a seed.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::artifacts::write_bytes;
use crate::error::Result;

const HEADER: &str = "Row ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,Country,City,State,Postal Code,Region,Product ID,Category,Sub-Category,Product Name,Sales,Quantity,Discount,Profit";

const FIRST: [&str; 12] = [
    "Claire",
    "Darrin",
    "Sean",
    "Brosina",
    "Andrew",
    "Irene",
    "Harold",
    "Pete",
    "Alejandro",
    "Zuschuss",
    "Ken",
    "Sandra",
];
const LAST: [&str; 10] = [
    "Gute",
    "Van Huff",
    "O'Donnell",
    "Hoffman",
    "Allen",
    "Maddox",
    "Pawlan",
    "Kriz",
    "Grossman",
    "Flores",
];
const SEGMENTS: [&str; 3] = ["Consumer", "Corporate", "Home Office"];
const SHIP_MODES: [&str; 4] = ["Standard Class", "Second Class", "First Class", "Same Day"];
/// (city, state, postal code, region, country prefix of the order id).
const PLACES: [(&str, &str, &str, &str, &str); 6] = [
    ("Henderson", "Kentucky", "42420", "South", "CA"),
    ("Los Angeles", "California", "90036", "West", "CA"),
    ("Fort Lauderdale", "Florida", "33311", "South", "US"),
    ("Philadelphia", "Pennsylvania", "19140", "East", "US"),
    ("Houston", "Texas", "77095", "Central", "US"),
    ("Seattle", "Washington", "98103", "West", "CA"),
];
/// (category, sub-category, product id prefix, a product name, typical price).
const PRODUCTS: [(&str, &str, &str, &str, f64); 6] = [
    (
        "Furniture",
        "Bookcases",
        "FUR-BO",
        "Bush Somerset Collection Bookcase",
        261.96,
    ),
    (
        "Furniture",
        "Chairs",
        "FUR-CH",
        "Hon Deluxe Fabric Upholstered Stacking Chairs, Rounded Back",
        243.98,
    ),
    (
        "Office Supplies",
        "Labels",
        "OFF-LA",
        "Self-Adhesive Address Labels for Typewriters by Universal",
        7.31,
    ),
    (
        "Office Supplies",
        "Binders",
        "OFF-BI",
        "GBC Standard Plastic Binding Systems Combs",
        3.54,
    ),
    (
        "Technology",
        "Phones",
        "TEC-PH",
        "Mitel 5320 IP Phone VoIP phone",
        302.38,
    ),
    (
        "Technology",
        "Accessories",
        "TEC-AC",
        "Logitech Wireless Gaming Headset G930",
        53.32,
    ),
];

/// One customer of the export.
struct Buyer {
    id: String,
    name: String,
    segment: &'static str,
    place: usize,
}

fn buyers(n: usize, rng: &mut ChaCha8Rng) -> Vec<Buyer> {
    (0..n)
        .map(|i| {
            let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            let initials: String = [first, last]
                .iter()
                .filter_map(|w| w.chars().next())
                .collect();
            Buyer {
                id: format!("{initials}-{}", 10_000 + i * 7),
                name: format!("{first} {last}"),
                segment: SEGMENTS[rng.random_range(0..SEGMENTS.len())],
                place: rng.random_range(0..PLACES.len()),
            }
        })
        .collect()
}

/// `rows` order lines of about `rows / 12` customers (as in the public table: 9,994 lines of
/// 793 customers), orders of 1 to 5 lines between 2019 and 2022.
pub fn orders(rows: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let people = buyers((rows / 12).max(1), &mut rng);
    let start = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
    let mut out = format!("{HEADER}\n");
    let (mut row, mut order) = (0usize, 100_000usize);
    while row < rows {
        // Heavy users order more often: the square of a uniform picks low indices more.
        let who = &people[((rng.random::<f64>().powi(2)) * people.len() as f64) as usize];
        let ordered = start + Duration::days(rng.random_range(0..4 * 365));
        let shipped = ordered + Duration::days(rng.random_range(0..8));
        let (city, state, postal, region, prefix) = PLACES[who.place];
        let id = format!("{prefix}-{}-{order}", ordered.format("%Y"));
        order += rng.random_range(1..40);
        let mode = SHIP_MODES[rng.random_range(0..SHIP_MODES.len())];
        for _ in 0..rng.random_range(1..=5usize) {
            if row == rows {
                break;
            }
            row += 1;
            let p = rng.random_range(0..PRODUCTS.len());
            let (category, sub, code, name, price) = PRODUCTS[p];
            let quantity = rng.random_range(1..=14u32);
            let discount = [0.0, 0.0, 0.1, 0.2, 0.5][rng.random_range(0..5)];
            let sales = (price * f64::from(quantity) * (1.0 - discount) * 100.0).round() / 100.0;
            let profit = (sales * rng.random_range(-0.4..0.45) * 10_000.0).round() / 10_000.0;
            let _ = writeln!(
                out,
                "{row},{id},{},{},{mode},{},{},{},United States,{city},{state},{postal},{region},{code}-{},{category},{sub},\"{name}\",{sales:.2},{quantity},{discount},{profit}",
                us_date(ordered),
                us_date(shipped),
                who.id,
                who.name,
                who.segment,
                10_001_000 + p * 797,
            );
        }
    }
    out
}

/// `11/8/2021`: month first, no leading zeros, as the public export writes dates.
fn us_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}/{}/{}", d.month(), d.day(), d.year())
}

/// Writes [`orders`] to `path` atomically.
pub fn write_orders(path: &Path, rows: usize, seed: u64) -> Result<usize> {
    write_bytes(path, orders(rows, seed).as_bytes())?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_one_columns_and_the_rows_asked_for() {
        let text = orders(500, 3);
        assert_eq!(text.lines().count(), 501);
        let line = text.lines().nth(1).unwrap();
        assert!(line.starts_with("1,"), "{line}");
        assert_eq!(text.lines().next().unwrap().split(',').count(), 21);
        // Deterministic for a seed.
        assert_eq!(text, orders(500, 3));
        assert!(text.contains(",CA-20") && text.contains(",US-20"));
    }
}
