//! `segflow init` on invoice lines whose column names say nothing it knows in English: the
//! real Online Retail lines under German names (`;`, decimal commas, `dd.mm.yyyy HH:MM`), and
//! under names that say nothing at all (`Spalte 1`…, zero-padded customer ids), recognised by
//! their values. Each proposal must map the columns the canonical file maps and give its
//! features table.

use chrono::NaiveDateTime;
use polars::prelude::*;

use crate::common::{read_parquet, shared_data, strs, Workdir};

/// The first lines of the real file read by the tests (a few weeks of orders, with
/// cancellations and lines without a customer).
const LINES: usize = 60_000;

/// One line of Online Retail: invoice, stock code, description, quantity, date, unit
/// price, customer (as written in the canonical file), country.
struct Line {
    invoice: String,
    stock: String,
    description: String,
    quantity: i64,
    date: NaiveDateTime,
    price: f64,
    customer: Option<i64>,
    country: String,
}

fn lines() -> Option<Vec<Line>> {
    let path = shared_data("online_retail.parquet")?;
    let df = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
        .head(Some(LINES));
    let s = |c: &str| -> Vec<String> {
        let col = df.column(c).unwrap().str().unwrap().clone();
        col.iter().map(|v| v.unwrap_or("").to_string()).collect()
    };
    let (inv, stock, desc, date, country) = (
        s("InvoiceNo"),
        s("StockCode"),
        s("Description"),
        s("InvoiceDate"),
        s("Country"),
    );
    let qty: Vec<i64> = crate::common::i64s(&df, "Quantity");
    let price = df.column("UnitPrice").unwrap().f64().unwrap().clone();
    let cust = df.column("CustomerID").unwrap().f64().unwrap().clone();
    Some(
        (0..df.height())
            .map(|i| Line {
                invoice: inv[i].clone(),
                stock: stock[i].clone(),
                description: desc[i].clone(),
                quantity: qty[i],
                date: NaiveDateTime::parse_from_str(&date[i], "%Y-%m-%d %H:%M:%S").unwrap(),
                price: price.get(i).unwrap(),
                customer: cust.get(i).map(|c| c as i64),
                country: country[i].clone(),
            })
            .collect(),
    )
}

fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// The lines as CSV: `header`, fields joined by `sep`, each line written by `row`.
fn write(
    w: &Workdir,
    file: &str,
    header: &str,
    sep: &str,
    rows: &[Line],
    row: fn(&Line) -> [String; 8],
) {
    let mut s = format!("{header}\n");
    for l in rows {
        s.push_str(&row(l).join(sep));
        s.push('\n');
    }
    w.write(file, &s);
}

fn canonical(l: &Line) -> [String; 8] {
    [
        l.invoice.clone(),
        l.stock.clone(),
        quoted(&l.description),
        l.quantity.to_string(),
        l.date.format("%Y-%m-%d %H:%M:%S").to_string(),
        l.price.to_string(),
        l.customer.map_or(String::new(), |c| c.to_string()),
        quoted(&l.country),
    ]
}

fn german(l: &Line) -> [String; 8] {
    let mut f = canonical(l);
    f[4] = l.date.format("%d.%m.%Y %H:%M").to_string();
    f[5] = l.price.to_string().replace('.', ",");
    f
}

fn padded(l: &Line) -> [String; 8] {
    let mut f = canonical(l);
    f[6] = l.customer.map_or(String::new(), |c| format!("{c:06}"));
    f
}

/// `init` then `run --until features`; returns the proposal and the features table.
fn init_and_run(w: &Workdir, data: &str) -> (String, DataFrame) {
    let yaml_file = format!("{data}.yaml");
    w.ok(&["init", data, "--out", &yaml_file]);
    let yaml = std::fs::read_to_string(w.path(&yaml_file)).unwrap();
    w.ok(&["run", "-q", &yaml_file, "--until", "features"]);
    let name = yaml.lines().find_map(|l| l.strip_prefix("name: ")).unwrap();
    let features = read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")));
    (yaml, features)
}

fn has(yaml: &str, line: &str) {
    assert!(
        yaml.lines()
            .any(|l| l.split("  #").next().unwrap().trim_end() == line),
        "no line `{line}` in:\n{yaml}"
    );
}

#[test]
fn german_names_decimal_commas_and_day_first_dates_read_as_the_canonical_lines() {
    let Some(rows) = lines() else { return };
    let w = Workdir::new();
    let en = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    write(&w, "retail.csv", en, ",", &rows, canonical);
    let de = "Rechnung;Artikel;Beschreibung;Menge;Datum;Einzelpreis;Kunde;Land";
    write(&w, "rechnungen.csv", de, ";", &rows, german);
    let (base, expected) = init_and_run(&w, "retail.csv");
    let (yaml, got) = init_and_run(&w, "rechnungen.csv");
    has(&base, "    customer: CustomerID");
    for line in [
        "  kind: transactions",
        "  decimal: \",\"",
        "    customer: Kunde",
        "    invoice: Rechnung",
        "    date: Datum",
        "    quantity: Menge",
        "    price: Einzelpreis",
        "    product: Artikel",
        "    country: Land",
        "    cancel_prefix: C",
    ] {
        has(&yaml, line);
    }
    assert!(expected.height() > 1_000, "{}", expected.height());
    // The canonical dates carry seconds (always :00 in this file); the German ones do not.
    let expected = expected.drop("CustomerID").unwrap();
    let mut got = got.drop("Kunde").unwrap();
    got.rename("Land", "Country".into()).unwrap();
    assert!(got.equals_missing(&expected), "{got}\n{expected}");
}

#[test]
fn names_that_say_nothing_are_read_by_content() {
    let Some(rows) = lines() else { return };
    let w = Workdir::new();
    let en = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";
    write(&w, "retail.csv", en, ",", &rows, canonical);
    let none = "Spalte 1,Spalte 2,Spalte 3,Spalte 4,Spalte 5,Spalte 6,Spalte 7,Spalte 8";
    write(&w, "export.csv", none, ",", &rows, padded);
    let (_, expected) = init_and_run(&w, "retail.csv");
    let (yaml, got) = init_and_run(&w, "export.csv");
    for line in [
        "  kind: transactions",
        "    customer: \"Spalte 7\"",
        "    invoice: \"Spalte 1\"",
        "    date: \"Spalte 5\"",
        "    quantity: \"Spalte 4\"",
        "    price: \"Spalte 6\"",
        "    cancel_prefix: C",
    ] {
        has(&yaml, line);
    }
    // Product and country by their values: codes repeated over the lines, country names.
    assert!(
        yaml.contains("    product: \"Spalte 2\"                 # by content: 2,950 codes, repeated over 60,000 lines (what was bought)"),
        "{yaml}"
    );
    assert!(
        yaml.contains("    country: \"Spalte 8\"                 # by content: 16 of its 16 values are country names (Australia, Belgium, EIRE…)"),
        "{yaml}"
    );
    assert!(
        yaml.contains("by content: its ") && yaml.contains("one per value of `Spalte 1`"),
        "{yaml}"
    );
    // Ids come out as written; every other value as the canonical file's.
    let ids = strs(&got, "Spalte 7");
    let padded: Vec<String> = strs(&expected, "CustomerID")
        .iter()
        .map(|c| format!("{:06}", c.parse::<i64>().unwrap()))
        .collect();
    assert_eq!(ids, padded);
    let mut got = got.drop("Spalte 7").unwrap();
    got.rename("Spalte 8", "Country".into()).unwrap();
    let expected = expected.drop("CustomerID").unwrap();
    assert_eq!(got.get_column_names(), expected.get_column_names());
    assert!(got.equals_missing(&expected), "{got}\n{expected}");
}

/// A classic purchase log without a header line (customer, yyyymmdd, quantity, amount):
/// invoice lines by content, the amount told from a unit price by its values.
#[test]
fn a_headerless_purchase_log_is_read_as_invoice_lines() {
    let w = Workdir::new();
    let mut s = String::new();
    for i in 0..400u64 {
        let (customer, day, qty) = (i % 37, 1 + (i * 7) % 28, 1 + i % 3);
        let unit = [11.77, 5.25, 3.99, 14.5][(i % 4) as usize];
        s.push_str(&format!(
            "  {customer:05} 199701{day:02} {qty:>2} {:>7.2}\n",
            unit * qty as f64
        ));
    }
    w.write("log.txt", &s);
    w.ok(&["init", "log.txt", "--out", "p.yaml"]);
    let yaml = std::fs::read_to_string(w.path("p.yaml")).unwrap();
    for line in [
        "  kind: transactions",
        "    customer: column_1",
        "    date: column_2",
        "    date_format: \"%Y%m%d\"",
        "    quantity: column_3",
        "    amount: column_4",
    ] {
        has(&yaml, line);
    }
    assert!(
        yaml.contains("divided by `column_3` they take 4 values (unit prices)"),
        "{yaml}"
    );
    w.ok(&["run", "-q", "p.yaml", "--until", "features"]);
    let f = read_parquet(&w.path("outputs/log/03_features.parquet"));
    assert_eq!(strs(&f, "column_1")[..2], ["00000", "00001"]);
    assert_eq!(f.height(), 37);
}

/// A customer table with a repeating postcode, a sign-up date and a spend with cents: its
/// unique id makes it a customer table, whatever the other columns look like.
#[test]
fn a_customer_table_with_a_repeating_code_and_a_date_stays_a_customer_table() {
    let w = Workdir::new();
    let mut s = "Nummer,PLZ,Seit,Ausgaben\n".to_string();
    for i in 0..300u64 {
        s.push_str(&format!(
            "{},{},2020-{:02}-{:02},{}.{:02}\n",
            1000 + i,
            10_000 + (i % 40) * 7,
            1 + i % 12,
            1 + i % 28,
            20 + (i * 37) % 500,
            i % 100
        ));
    }
    w.write("kunden.csv", &s);
    let printed = w.ok(&["init", "kunden.csv", "--out", "p.yaml"]);
    assert!(printed.contains("kind: customer table"), "{printed}");
    let yaml = std::fs::read_to_string(w.path("p.yaml")).unwrap();
    assert!(yaml.contains("  id: Nummer "), "{yaml}");
}

/// A Superstore-shaped order export without its header line: the quantity is the column of
/// small whole numbers (not the postal code, which has fewer values), the sales a line's
/// amount, and the run gives the named file's features.
#[test]
fn a_headerless_order_export_finds_its_quantity_and_amount() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "orders",
        "--rows",
        "3000",
        "--out",
        "orders.csv",
    ]);
    let text = std::fs::read_to_string(w.path("orders.csv")).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    w.write("headerless.csv", body);
    let (yaml, got) = init_and_run(&w, "headerless.csv");
    for line in [
        "  kind: transactions",
        "    customer: column_6",
        "    invoice: column_2",
        "    date: column_3",
        "    quantity: column_19",
        "    amount: column_18",
        "    country: column_9",
    ] {
        has(&yaml, line);
    }
    let (named_yaml, expected) = init_and_run(&w, "orders.csv");
    has(&named_yaml, "    amount: Sales");
    for c in ["monetary", "frequency", "recency"] {
        assert_eq!(
            crate::common::f64s(&got, c),
            crate::common::f64s(&expected, c),
            "{c}"
        );
    }
}
