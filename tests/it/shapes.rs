//! One set of invoice lines written in the shapes real exports take (date forms, two-digit
//! years, zones, delimiters, CRLF, a byte-order mark, order ids with a country prefix): each
//! must give the canonical file's features table, value for value. Shapes that nothing in
//! the data decides are refused naming the key that does.

use chrono::NaiveDateTime;

use crate::common::{read_parquet, Workdir};

const COLUMNS: &str = "{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}";

fn config(name: &str, path: &str) -> String {
    format!("name: {name}\ninput:\n  path: {path}\n  kind: transactions\n  columns: {COLUMNS}\nfeatures:\n  rfm: {{}}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {{k: 2}}\n")
}

/// A shape: how each date is written, the delimiter, the line end, a byte-order mark, and
/// a prefix for the invoice numbers of purchases.
struct Shape {
    name: &'static str,
    date: fn(NaiveDateTime) -> String,
    sep: &'static str,
    crlf: bool,
    bom: bool,
    order_prefix: &'static str,
}

fn shapes() -> Vec<Shape> {
    let s = |name, date: fn(NaiveDateTime) -> String| Shape {
        name,
        date,
        sep: ",",
        crlf: false,
        bom: false,
        order_prefix: "",
    };
    vec![
        s("day_first", |d| d.format("%d/%m/%Y %H:%M").to_string()),
        s("month_first_two_digit_year", |d| {
            d.format("%m/%d/%y %H:%M").to_string()
        }),
        s("iso_utc", |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        s("iso_offset", |d| {
            (d + chrono::Duration::hours(2))
                .format("%Y-%m-%dT%H:%M:%S+02:00")
                .to_string()
        }),
        s("month_name", |d| d.format("%d-%b-%Y %H:%M:%S").to_string()),
        Shape {
            sep: ";",
            ..s("german", |d| d.format("%d.%m.%Y %H:%M").to_string())
        },
        Shape {
            sep: "\t",
            crlf: true,
            bom: true,
            ..s("tabs_crlf_bom_am_pm", |d| {
                d.format("%m/%d/%Y %I:%M %p").to_string()
            })
        },
        Shape {
            order_prefix: "CA-",
            ..s("country_prefixed_orders", |d| {
                d.format("%Y-%m-%d %H:%M:%S").to_string()
            })
        },
    ]
}

/// The generated lines rewritten in `shape`.
fn rewrite(canonical: &str, shape: &Shape) -> String {
    let end = if shape.crlf { "\r\n" } else { "\n" };
    let mut out = String::from(if shape.bom { "\u{feff}" } else { "" });
    for (i, line) in canonical.lines().enumerate() {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 {
            let at = NaiveDateTime::parse_from_str(&fields[4], "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            fields[4] = (shape.date)(at);
            if !fields[0].starts_with('C') {
                fields[0] = format!("{}{}", shape.order_prefix, fields[0]);
            }
        }
        out.push_str(&fields.join(shape.sep));
        out.push_str(end);
    }
    out
}

#[test]
fn every_shape_of_the_same_lines_gives_the_same_features() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "300",
        "--rows",
        "4000",
        "--seed",
        "3",
        "--out",
        "canonical.csv",
    ]);
    let canonical = std::fs::read_to_string(w.path("canonical.csv")).unwrap();
    assert!(canonical.lines().filter(|l| l.starts_with('C')).count() > 10);
    w.write("canonical.yaml", &config("canonical", "canonical.csv"));
    let out = w.ok(&["run", "canonical.yaml", "--until", "features"]);
    assert!(
        out.contains("cancellation (invoice starts with C)"),
        "{out}"
    );
    let expected = read_parquet(&w.path("outputs/canonical/03_features.parquet"));
    assert!(expected.height() > 50, "{expected}");
    let shapes = shapes();
    for shape in &shapes {
        let file = format!("{}.csv", shape.name);
        w.write(&file, &rewrite(&canonical, shape));
        w.write(&format!("{}.yaml", shape.name), &config(shape.name, &file));
        let out = w.ok(&[
            "run",
            &format!("{}.yaml", shape.name),
            "--until",
            "features",
        ]);
        let got = read_parquet(&w.path(&format!("outputs/{}/03_features.parquet", shape.name)));
        assert!(
            got.equals_missing(&expected),
            "shape {}: the features differ\n{out}\n{got}\n{expected}",
            shape.name
        );
        // What init proposes for the shape maps the same columns.
        let proposal = format!("{}_init.yaml", shape.name);
        let said = w.ok(&["init", &file, "--out", &proposal]);
        for role in [
            "customer: CustomerID",
            "invoice: InvoiceNo",
            "date: InvoiceDate",
            "quantity: Quantity",
            "price: UnitPrice",
        ] {
            assert!(
                said.contains(role),
                "shape {}: init said\n{said}",
                shape.name
            );
        }
        let yaml = std::fs::read_to_string(w.path(&proposal)).unwrap();
        // `cancel_prefix: C` only where every C-invoice takes something back: not when
        // purchases' ids start with `CA-`.
        let marks = !shape.order_prefix.starts_with('C');
        assert_eq!(
            yaml.contains("\n    cancel_prefix: C"),
            marks,
            "shape {}\n{yaml}",
            shape.name
        );
    }
    assert_eq!(shapes.len(), 8);
}

#[test]
fn dates_nothing_decides_are_refused_with_the_key() {
    let w = Workdir::new();
    let lines = "CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice\n1,a,03/01/19 10:00,1,2.5\n2,b,04/02/19 11:00,2,1.5\n1,c,05/03/19 12:00,1,3.0\n";
    w.write("l.csv", lines);
    w.write("p.yaml", &config("l", "l.csv"));
    let err = w.fails(&["run", "p.yaml"]);
    assert!(
        err.contains("the dates in `InvoiceDate` can be read two ways: `")
            && err.contains(
                "set input.columns.date_format: \"%d/%m/%y %H:%M\" or \"%m/%d/%y %H:%M\""
            ),
        "{err}"
    );
    // The key decides: two-digit years are read as strptime reads them, never as year 19.
    let fixed = config("l", "l.csv").replace(
        "date: InvoiceDate,",
        "date: InvoiceDate, date_format: \"%d/%m/%y %H:%M\",",
    );
    w.write("p.yaml", &fixed);
    let out = w.ok(&["run", "p.yaml", "--until", "ingest"]);
    assert!(out.contains("dates 2019-01-03 to 2019-03-05"), "{out}");
    // A four-digit format on two-digit years reads year 19: refused, saying why.
    w.write("p.yaml", &fixed.replace("%d/%m/%y", "%d/%m/%Y"));
    let err = w.fails(&["run", "p.yaml"]);
    assert!(err.contains("`%Y` needs a four-digit year"), "{err}");
}
