//! One set of invoice lines written in the shapes real exports take (date forms, two-digit
//! years, zones, delimiters, CRLF, a byte-order mark, order ids with a country prefix,
//! decimal commas, thousands separators, currencies, negatives as `(3)` or `3-`): each must
//! give the canonical file's features table, value for value, on the local engine and (for
//! the number shapes) the streaming one; init must map the same columns and propose the
//! decimal mark. Shapes that nothing in the data decides are refused naming the key.

use chrono::NaiveDateTime;

use crate::common::{read_parquet, Workdir};

const COLUMNS: &str = "{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}";

fn config(name: &str, path: &str) -> String {
    format!("name: {name}\ninput:\n  path: {path}\n  kind: transactions\n  columns: {COLUMNS}\nfeatures:\n  rfm: {{}}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {{k: 2}}\n")
}

/// The config of a shape: its decimal mark, and the engine.
fn shape_config(shape: &Shape, path: &str, streaming: bool) -> String {
    let mut extra = String::new();
    if let Some(d) = shape.decimal {
        extra.push_str(&format!("  decimal: \"{d}\"\n"));
    }
    if streaming {
        extra.push_str("  engine: streaming\n");
    }
    config(shape.name, path).replace(
        "  kind: transactions\n",
        &format!("  kind: transactions\n{extra}"),
    )
}

/// `6430.25` with thousands grouped by `sep` and `mark` as the decimal mark.
fn grouped(price: &str, sep: &str, mark: &str) -> String {
    let (whole, fraction) = price.split_once('.').unwrap_or((price, "0"));
    let mut groups: Vec<&str> = Vec::new();
    let mut end = whole.len();
    while end > 3 {
        groups.insert(0, &whole[end - 3..end]);
        end -= 3;
    }
    groups.insert(0, &whole[..end]);
    format!("{}{mark}{fraction:0<2}", groups.join(sep))
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
    /// How a unit price (`6430.25`) and a quantity (`-3`) are written.
    price: fn(&str) -> String,
    quantity: fn(&str) -> String,
    /// `input.decimal`, and what init must propose.
    decimal: Option<&'static str>,
    /// Every field in quotes (else only those holding the delimiter, a quote or a line end).
    quote_all: bool,
    /// How a customer id (`17850`) and a product's description are written.
    customer: fn(&str) -> String,
    description: fn(&str) -> String,
    /// A delimiter after the last field, a blank line after every 100 lines, gzip.
    trailing: bool,
    blank_lines: bool,
    gzip: bool,
}

impl Shape {
    fn numbers(&self) -> bool {
        (self.price)("1234.5") != "1234.5" || (self.quantity)("-3") != "-3"
    }
}

fn same(v: &str) -> String {
    v.to_string()
}

fn shapes() -> Vec<Shape> {
    let s = |name, date: fn(NaiveDateTime) -> String| Shape {
        name,
        date,
        sep: ",",
        crlf: false,
        bom: false,
        order_prefix: "",
        price: same,
        quantity: same,
        decimal: None,
        quote_all: false,
        customer: same,
        description: same,
        trailing: false,
        blank_lines: false,
        gzip: false,
    };
    let iso = |d: NaiveDateTime| d.format("%Y-%m-%d %H:%M:%S").to_string();
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
        // Month names and years first with the other times of day (a candidate was missing
        // for each, and init took such a file for a customer table).
        Shape {
            sep: "|",
            ..s("month_name_minutes_pipes", |d| {
                d.format("%d-%b-%Y %H:%M").to_string()
            })
        },
        s("year_first_twelve_hour", |d| {
            d.format("%Y/%m/%d %I:%M %p").to_string()
        }),
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
            ..s("country_prefixed_orders", iso)
        },
        s("excel_serial_days", |d| {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            let minutes = (d - epoch).num_minutes();
            format!("{:.10}", minutes as f64 / 1440.0)
        }),
        Shape {
            sep: ";",
            decimal: Some(","),
            price: |p| format!("{} €", grouped(p, ".", ",")),
            ..s("decimal_comma_euro_after", |d| {
                d.format("%d.%m.%Y %H:%M").to_string()
            })
        },
        Shape {
            price: |p| format!("\"${}\"", grouped(p, ",", ".")),
            quantity: |q| match q.strip_prefix('-') {
                Some(n) => format!("({n})"),
                None => q.to_string(),
            },
            ..s("dollars_quoted_parenthesised_returns", iso)
        },
        Shape {
            sep: "\t",
            decimal: Some(","),
            price: |p| grouped(p, "\u{a0}", ","),
            ..s("no_break_space_groups_decimal_comma", iso)
        },
        Shape {
            sep: ";",
            price: |p| format!("USD {}", grouped(p, ",", ".")),
            quantity: |q| match q.strip_prefix('-') {
                Some(n) => format!("{n}-"),
                None => q.to_string(),
            },
            ..s("currency_code_trailing_minus", iso)
        },
        // The classic CSV of Online Retail: month and day without a leading zero.
        s("unpadded_month_first", |d| {
            d.format("%-m/%-d/%Y %-H:%M").to_string()
        }),
        Shape {
            sep: "|",
            quote_all: true,
            ..s("pipes_every_field_quoted", iso)
        },
        s("day_first_two_digit_year", |d| {
            d.format("%d/%m/%y %H:%M").to_string()
        }),
        Shape {
            sep: ";",
            decimal: Some(","),
            price: |p| p.replace('.', ","),
            ..s("decimal_comma_no_groups", |d| {
                d.format("%Y-%m-%d %H:%M").to_string()
            })
        },
        s("iso_t_milliseconds", |d| {
            d.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
        }),
        s("iso_milliseconds_z", |d| {
            d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        }),
        s("iso_space_milliseconds", |d| {
            d.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
        }),
        s("year_first_slashes", |d| {
            d.format("%Y/%m/%d %H:%M:%S").to_string()
        }),
        s("year_first_dots", |d| {
            d.format("%Y.%m.%d %H:%M").to_string()
        }),
        s("day_first_dashes", |d| {
            d.format("%d-%m-%Y %H:%M").to_string()
        }),
        Shape {
            sep: ";",
            ..s("day_first_dots_two_digit_year", |d| {
                d.format("%d.%m.%y %H:%M").to_string()
            })
        },
        s("month_first_am_pm_seconds", |d| {
            d.format("%m/%d/%Y %I:%M:%S %p").to_string()
        }),
        Shape {
            price: |p| format!("\"£{}\"", grouped(p, ",", ".")),
            ..s("pounds_before_grouped", iso)
        },
        Shape {
            sep: ";",
            decimal: Some(","),
            price: |p| format!("{} EUR", grouped(p, ".", ",")),
            ..s("euro_code_after_dot_groups", |d| {
                d.format("%d.%m.%Y %H:%M:%S").to_string()
            })
        },
        Shape {
            sep: "\t",
            price: |p| format!("{p} €"),
            quantity: |q| match q.strip_prefix('-') {
                Some(n) => format!("-{n}"),
                None => format!("+{q}"),
            },
            ..s("tabs_signed_quantities_euro_after", iso)
        },
        Shape {
            crlf: true,
            quote_all: true,
            ..s("crlf_every_field_quoted", |d| {
                d.format("%d/%m/%Y %H:%M:%S").to_string()
            })
        },
        Shape {
            bom: true,
            sep: ";",
            decimal: Some(","),
            price: |p| grouped(p, "", ","),
            quantity: |q| match q.strip_prefix('-') {
                Some(n) => format!("({n})"),
                None => q.to_string(),
            },
            ..s("bom_decimal_comma_parenthesised_returns", |d| {
                d.format("%d.%m.%Y %H:%M").to_string()
            })
        },
        Shape {
            customer: |c| match c.is_empty() {
                true => String::new(),
                false => format!("{c}.0"),
            },
            ..s("ids_as_spreadsheet_floats", iso)
        },
        Shape {
            description: |d| format!("{d}\nsecond line of the description"),
            ..s("line_ends_inside_quoted_text", iso)
        },
        Shape {
            trailing: true,
            ..s("a_delimiter_after_the_last_field", iso)
        },
        Shape {
            blank_lines: true,
            ..s("blank_lines", iso)
        },
        Shape {
            gzip: true,
            ..s("gzip", |d| d.format("%d/%m/%Y %H:%M").to_string())
        },
    ]
}

/// Invoice lines (the header first; fields in Online Retail's order) rewritten in `shape`:
/// a field is quoted when the shape quotes all, or it holds the delimiter or a quote.
fn rewrite(rows: &[Vec<String>], shape: &Shape) -> String {
    let end = if shape.crlf { "\r\n" } else { "\n" };
    let mut out = String::from(if shape.bom { "\u{feff}" } else { "" });
    for (i, row) in rows.iter().enumerate() {
        let mut fields = row.clone();
        if i > 0 {
            let at = NaiveDateTime::parse_from_str(&fields[4], "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(&fields[4], "%Y-%m-%d %H:%M:%S"))
                .unwrap();
            fields[4] = (shape.date)(at);
            if !fields[0].starts_with('C') {
                fields[0] = format!("{}{}", shape.order_prefix, fields[0]);
            }
            fields[3] = (shape.quantity)(&fields[3]);
            fields[5] = (shape.price)(&fields[5]);
            fields[6] = (shape.customer)(&fields[6]);
            let text = fields[2].trim_matches('"').replace("\"\"", "\"");
            fields[2] = (shape.description)(&text);
        }
        let quoted: Vec<String> = fields
            .iter()
            .map(|f| {
                let bare = f.strip_prefix('"').and_then(|f| f.strip_suffix('"'));
                let text = bare.map_or(f.clone(), |b| b.replace("\"\"", "\""));
                let needs =
                    shape.quote_all || text.contains(shape.sep) || text.contains(['"', '\n']);
                match needs {
                    true => format!("\"{}\"", text.replace('"', "\"\"")),
                    false => text,
                }
            })
            .collect();
        out.push_str(&quoted.join(shape.sep));
        if shape.trailing {
            out.push_str(shape.sep);
        }
        out.push_str(end);
        if shape.blank_lines && i % 100 == 99 {
            out.push_str(end);
        }
    }
    out
}

/// Each shape of `rows` gives `expected` features on both engines, and init maps the same
/// columns and proposes the shape's decimal mark and cancellation rule.
fn check_shapes(w: &Workdir, rows: &[Vec<String>], expected: &polars::prelude::DataFrame) {
    for shape in &shapes() {
        let text = rewrite(rows, shape);
        let file = match shape.gzip {
            true => {
                let file = format!("{}.csv.gz", shape.name);
                let out = std::fs::File::create(w.path(&file)).unwrap();
                let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
                std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
                gz.finish().unwrap();
                file
            }
            false => {
                let file = format!("{}.csv", shape.name);
                w.write(&file, &text);
                file
            }
        };
        // The streaming engine reads files in parts: gzip is refused there.
        let engines: &[bool] = if shape.gzip { &[false] } else { &[false, true] };
        for &streaming in engines {
            w.write(
                &format!("{}.yaml", shape.name),
                &shape_config(shape, &file, streaming),
            );
            let out = w.ok(&[
                "run",
                &format!("{}.yaml", shape.name),
                "--until",
                "features",
                "--force",
            ]);
            let got = read_parquet(&w.path(&format!("outputs/{}/03_features.parquet", shape.name)));
            assert!(
                got.equals_missing(expected),
                "shape {} (streaming: {streaming}): the features differ\n{out}\n{got}\n{expected}",
                shape.name
            );
        }
        check_init(w, &file, shape);
    }
}

/// What init proposes for a shape maps the same columns, its decimal mark, and
/// `cancel_prefix: C` only where every C-invoice takes something back (not when
/// purchases' ids start with `CA-`).
fn check_init(w: &Workdir, file: &str, shape: &Shape) {
    let proposal = format!("{}_init.yaml", shape.name);
    let said = w.ok(&["init", file, "--out", &proposal]);
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
    assert_eq!(
        yaml.contains("\n  decimal: \",\""),
        shape.decimal == Some(","),
        "shape {}\n{yaml}",
        shape.name
    );
    let marks = !shape.order_prefix.starts_with('C');
    assert_eq!(
        yaml.contains("\n    cancel_prefix: C"),
        marks,
        "shape {}\n{yaml}",
        shape.name
    );
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
    // Prices made larger (×100, plus 0.25) so that many need a thousands separator.
    let canonical: String = std::fs::read_to_string(w.path("canonical.csv"))
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                let p: f64 = fields[5].parse().unwrap();
                fields[5] = format!("{:.2}", p * 100.0 + 0.25);
            }
            fields.join(",") + "\n"
        })
        .collect();
    w.write("canonical.csv", &canonical);
    assert!(canonical.lines().filter(|l| l.starts_with('C')).count() > 10);
    assert!(canonical
        .lines()
        .skip(1)
        .any(|l| l.split(',').nth(5).unwrap().len() >= 7));
    w.write("canonical.yaml", &config("canonical", "canonical.csv"));
    let out = w.ok(&["run", "canonical.yaml", "--until", "features"]);
    assert!(
        out.contains("cancellation (invoice starts with C)"),
        "{out}"
    );
    let expected = read_parquet(&w.path("outputs/canonical/03_features.parquet"));
    assert!(expected.height() > 50, "{expected}");
    let rows: Vec<Vec<String>> = canonical
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    check_shapes(&w, &rows, &expected);
    let shapes = shapes();
    assert_eq!(shapes.len(), 37);
    assert_eq!(shapes.iter().filter(|s| s.numbers()).count(), 9);
}

/// The first 30,000 real Online Retail lines (to 2010-12-14: a day above 12 decides the
/// day-first shapes; quoted descriptions, missing customers,
/// cancellations, prices from 0 to thousands) in every shape: the same features as the
/// file itself, on both engines.
#[test]
fn every_shape_of_real_online_retail_lines_gives_the_same_features() {
    let Some(data) = crate::common::shared_data("online_retail.csv.gz") else {
        return;
    };
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(data).unwrap()),
        &mut text,
    )
    .unwrap();
    let head: String = text
        .lines()
        .take(30_001)
        .map(|l| format!("{l}\n"))
        .collect();
    let w = Workdir::new();
    w.write("canonical.csv", &head);
    let mut config = config("canonical", "canonical.csv");
    config = config.replace(
        "date: InvoiceDate,",
        "date: InvoiceDate, date_format: \"%Y-%m-%d %H:%M:%S\",",
    );
    w.write("canonical.yaml", &config);
    w.ok(&["run", "canonical.yaml", "--until", "features"]);
    let expected = read_parquet(&w.path("outputs/canonical/03_features.parquet"));
    assert!(expected.height() > 500, "{expected}");
    let rows: Vec<Vec<String>> = head.lines().map(split_quoted).collect();
    assert!(rows.iter().all(|r| r.len() == 8));
    check_shapes(&w, &rows, &expected);
    check_parquet(&w, &rows, &expected);
}

/// The lines as Parquet files (what a pandas or Spark job leaves behind): dates as text, or
/// as timestamps; ids as floats (missing ones as nulls), quantities as integers, prices as
/// floats. Each gives the CSV's features on both engines.
fn check_parquet(w: &Workdir, rows: &[Vec<String>], expected: &polars::prelude::DataFrame) {
    use polars::prelude::*;
    let column = |i: usize| -> Vec<String> {
        rows[1..]
            .iter()
            .map(|r| r[i].trim_matches('"').to_string())
            .collect()
    };
    let text = |i: usize| Column::new(rows[0][i].as_str().into(), column(i));
    let number = |i: usize, dtype: &DataType| {
        let values: Vec<Option<String>> = column(i)
            .into_iter()
            .map(|v| (!v.is_empty()).then_some(v))
            .collect();
        let c = Column::new(rows[0][i].as_str().into(), values);
        c.strict_cast(dtype).unwrap()
    };
    let dates = text(4);
    let stamps = dates
        .as_materialized_series()
        .str()
        .unwrap()
        .as_datetime(
            Some("%Y-%m-%d %H:%M:%S"),
            TimeUnit::Milliseconds,
            false,
            false,
            None,
            &StringChunked::from_iter([Some("raise")]),
        )
        .unwrap()
        .into_series()
        .into_column();
    for (name, date) in [
        ("parquet_text_dates", dates),
        ("parquet_timestamps", stamps),
    ] {
        let mut df = DataFrame::new_infer_height(vec![
            text(0),
            text(1),
            text(2),
            number(3, &DataType::Int64),
            date,
            number(5, &DataType::Float64),
            number(6, &DataType::Float64),
            text(7),
        ])
        .unwrap();
        let file = format!("{name}.parquet");
        let out = std::fs::File::create(w.path(&file)).unwrap();
        ParquetWriter::new(out).finish(&mut df).unwrap();
        for engine in ["local", "streaming"] {
            let yaml = config(name, &file).replace(
                "  kind: transactions\n",
                &format!("  kind: transactions\n  engine: {engine}\n"),
            );
            w.write(&format!("{name}.yaml"), &yaml);
            w.ok(&[
                "run",
                "-q",
                &format!("{name}.yaml"),
                "--until",
                "features",
                "--force",
            ]);
            let got = read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")));
            assert!(
                got.equals_missing(expected),
                "{name} on {engine}:\n{got}\n{expected}"
            );
        }
    }
}

/// The fields of a CSV line, quotes kept as written (`"A, B"` stays one field).
fn split_quoted(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                field.push(ch);
            }
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(ch),
        }
    }
    fields.push(field);
    fields
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

/// The shipped customer table with its income written as people write money: each shape
/// gives the plain file's features, and init proposes the same features and the mark.
#[test]
fn customer_table_numbers_as_written_give_the_same_features() {
    let w = Workdir::new();
    let plain =
        std::fs::read_to_string(crate::common::root().join("data/mall_customers.csv")).unwrap();
    let pipeline = std::fs::read_to_string(crate::common::root().join("pipeline.yaml")).unwrap();
    type Write = fn(&str) -> String;
    let shapes: [(&str, char, Option<&str>, Write); 4] = [
        ("plain", ',', None, |v| v.to_string()),
        ("euro_decimal_comma", ';', Some(","), |v| {
            format!("{v},00 €")
        }),
        ("dollars_quoted", ',', None, |v| format!("\"${v}.00\"")),
        ("code_after", '\t', None, |v| format!("{v}.00 USD")),
    ];
    let mut expected = None;
    let mut proposed_features = None;
    for (name, sep, decimal, write) in shapes {
        let text: String = plain
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
                if i > 0 {
                    f[3] = write(&f[3]);
                }
                f.join(&sep.to_string()) + "\n"
            })
            .collect();
        let file = format!("{name}.csv");
        w.write(&file, &text);
        let mut config = pipeline
            .replace("name: mall", &format!("name: {name}"))
            .replace("data/mall_customers.csv", &file);
        if let Some(d) = decimal {
            config = config.replace(
                "  id: CustomerID",
                &format!("  id: CustomerID\n  decimal: \"{d}\""),
            );
        }
        w.write(&format!("{name}.yaml"), &config);
        w.ok(&["run", &format!("{name}.yaml"), "--until", "features"]);
        let got = read_parquet(&w.path(&format!("outputs/{name}/03_features.parquet")));
        let income = got.column("income").unwrap();
        assert!(income.dtype().is_primitive_numeric(), "{name}: {got}");
        match &expected {
            None => expected = Some(got),
            Some(e) => assert!(got.equals_missing(e), "{name}:\n{got}\n{e}"),
        }
        let said = w.ok(&["init", &file, "--out", &format!("{name}_init.yaml")]);
        let yaml = std::fs::read_to_string(w.path(&format!("{name}_init.yaml"))).unwrap();
        assert_eq!(
            yaml.contains("decimal: \",\""),
            decimal.is_some(),
            "{name}\n{yaml}"
        );
        let features = said
            .lines()
            .find(|l| l.starts_with("features:"))
            .unwrap()
            .to_string();
        assert!(features.contains("annual_income"), "{name}: {features}");
        match &proposed_features {
            None => proposed_features = Some(features),
            Some(f) => assert_eq!(&features, f, "{name}"),
        }
    }
}
