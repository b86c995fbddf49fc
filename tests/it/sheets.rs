//! Spreadsheets as inputs: invoice lines and a customer table written as `.xlsx` workbooks
//! (typed cells: numbers, text, date cells) give the CSV files' features; a sheet is chosen
//! by name; an error cell, a missing sheet and a key that applies to text files are refused
//! with what to do. The workbooks are written here, cell by cell.

use std::io::Write;

use crate::common::{read_parquet, root, Workdir};

/// A cell of a written sheet.
#[derive(Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A serial day shown as a date and time.
    Date(f64),
    /// An error value such as `#N/A`.
    Error(&'static str),
    Empty,
}

/// A cell from CSV text: numbers as numbers, the rest as text.
fn cell(v: &str) -> Cell {
    match v.parse::<f64>() {
        _ if v.is_empty() => Cell::Empty,
        Ok(x) => Cell::Number(x),
        Err(_) => Cell::Text(v.to_string()),
    }
}

fn column_letters(mut n: usize) -> String {
    let mut s = String::new();
    n += 1;
    while n > 0 {
        s.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

fn sheet_xml(rows: &[Vec<Cell>]) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, row) in rows.iter().enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, i + 1));
        for (j, c) in row.iter().enumerate() {
            let at = format!("{}{}", column_letters(j), i + 1);
            let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;");
            x.push_str(&match c {
                Cell::Text(t) => format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                    escape(t)
                ),
                Cell::Number(n) => format!(r#"<c r="{at}"><v>{n}</v></c>"#),
                Cell::Date(d) => format!(r#"<c r="{at}" s="1"><v>{d}</v></c>"#),
                Cell::Error(e) => format!(r#"<c r="{at}" t="e"><v>{e}</v></c>"#),
                Cell::Empty => String::new(),
            });
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x
}

/// Writes an `.xlsx` workbook with these sheets (name, rows).
pub fn write_xlsx(path: &std::path::Path, sheets: &[(&str, Vec<Vec<Cell>>)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let mut put = |name: &str, body: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    let ns = "http://schemas.openxmlformats.org";
    let overrides: String = (1..=sheets.len())
        .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
        .collect();
    put(
        "[Content_Types].xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>"#
        ),
    );
    put(
        "_rels/.rels",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        ),
    );
    let entries: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!(
                r#"<sheet name="{name}" sheetId="{}" r:id="rId{}"/>"#,
                i + 1,
                i + 1
            )
        })
        .collect();
    put(
        "xl/workbook.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#
        ),
    );
    let rels: String = (1..=sheets.len())
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    put(
        "xl/_rels/workbook.xml.rels",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{ns}/package/2006/relationships">{rels}<Relationship Id="rIdS" Type="{ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#
        ),
    );
    put(
        "xl/styles.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{ns}/spreadsheetml/2006/main"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>"#
        ),
    );
    for (i, (_, rows)) in sheets.iter().enumerate() {
        put(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            &sheet_xml(rows),
        );
    }
    zip.finish().unwrap();
}

/// CSV text as rows of cells; `date` (a column index) becomes date cells.
fn rows_of(csv: &str, date: Option<usize>) -> Vec<Vec<Cell>> {
    csv.lines()
        .enumerate()
        .map(|(i, line)| {
            line.split(',')
                .enumerate()
                .map(|(j, v)| match date {
                    Some(d) if d == j && i > 0 => {
                        let at = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
                            .unwrap();
                        let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                            .unwrap()
                            .and_hms_opt(0, 0, 0)
                            .unwrap();
                        Cell::Date((at - epoch).num_minutes() as f64 / 1440.0)
                    }
                    _ => cell(v),
                })
                .collect()
        })
        .collect()
}

const LINES: &str = "  kind: transactions\n  columns: {customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}\nfeatures:\n  rfm: {}\n  use: [recency, frequency, monetary]\ncluster:\n  kmeans: {k: 2}\n";

#[test]
fn invoice_lines_in_a_workbook_give_the_csv_features() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--customers",
        "200",
        "--rows",
        "3000",
        "--seed",
        "5",
        "--out",
        "lines.csv",
    ]);
    let csv = std::fs::read_to_string(w.path("lines.csv")).unwrap();
    // Typed cells as a spreadsheet holds them: numbers, text (`C…` invoices), date cells.
    write_xlsx(
        &w.path("lines.xlsx"),
        &[("Online Retail", rows_of(&csv, Some(4)))],
    );
    for (name, file) in [("csv", "lines.csv"), ("xlsx", "lines.xlsx")] {
        w.write(
            &format!("{name}.yaml"),
            &format!("name: {name}\ninput:\n  path: {file}\n{LINES}"),
        );
        w.ok(&["run", "-q", &format!("{name}.yaml"), "--until", "features"]);
    }
    let a = read_parquet(&w.path("outputs/csv/03_features.parquet"));
    let b = read_parquet(&w.path("outputs/xlsx/03_features.parquet"));
    assert!(a.height() > 40, "{a}");
    assert!(a.equals_missing(&b), "{a}\n{b}");
    let said = w.ok(&["init", "lines.xlsx", "--out", "init.yaml"]);
    assert!(
        said.contains("format: spreadsheet, sheet `Online Retail`"),
        "{said}"
    );
    for role in [
        "customer: CustomerID",
        "invoice: InvoiceNo",
        "date: InvoiceDate",
        "quantity: Quantity",
        "price: UnitPrice",
    ] {
        assert!(said.contains(role), "{said}");
    }
    w.ok(&["run", "-q", "init.yaml", "--until", "features"]);
}

#[test]
fn a_customer_table_on_its_sheet_and_the_refusals() {
    let w = Workdir::new();
    let csv = std::fs::read_to_string(root().join("data/mall_customers.csv")).unwrap();
    let notes = vec![
        vec![Cell::Text("notes".into())],
        vec![Cell::Text("exported 2026-12-01".into())],
    ];
    write_xlsx(
        &w.path("mall.xlsx"),
        &[("Notes", notes.clone()), ("Customers", rows_of(&csv, None))],
    );
    w.copy(&root().join("data/mall_customers.csv"), "mall.csv");
    let pipeline = std::fs::read_to_string(root().join("pipeline.yaml")).unwrap();
    let config = |path: &str, name: &str, extra: &str| {
        pipeline
            .replace("data/mall_customers.csv", path)
            .replace("name: mall", &format!("name: {name}"))
            .replace("  id: CustomerID", &format!("  id: CustomerID\n{extra}"))
    };
    w.write("csv.yaml", &config("mall.csv", "csv", ""));
    w.write(
        "xlsx.yaml",
        &config("mall.xlsx", "xlsx", "  sheet: Customers"),
    );
    w.ok(&["run", "-q", "csv.yaml"]);
    w.ok(&["run", "-q", "xlsx.yaml"]);
    for file in ["03_features.parquet", "segments.parquet"] {
        let a = read_parquet(&w.path(&format!("outputs/csv/{file}")));
        let b = read_parquet(&w.path(&format!("outputs/xlsx/{file}")));
        assert!(a.equals_missing(&b), "{file}\n{a}\n{b}");
    }
    // assign reads a workbook of new customers too (its first sheet).
    write_xlsx(&w.path("new.xlsx"), &[("Customers", rows_of(&csv, None))]);
    w.ok(&[
        "assign",
        "--model",
        "outputs/xlsx/model.json",
        "new.xlsx",
        "--out",
        "scored.csv",
    ]);
    let scored = std::fs::read_to_string(w.path("scored.csv")).unwrap();
    assert_eq!(scored.lines().count(), 201);

    // The first sheet is not the table: the run says what it found.
    w.write("first.yaml", &config("mall.xlsx", "first", ""));
    let err = w.fails(&["run", "-q", "first.yaml"]);
    assert!(
        err.contains("is not in mall.xlsx. The columns are: `notes`"),
        "{err}"
    );
    // A sheet that is not there lists the sheets.
    w.write("none.yaml", &config("mall.xlsx", "none", "  sheet: Kunden"));
    let err = w.fails(&["run", "-q", "none.yaml"]);
    assert!(
        err.contains(
            "input.sheet: mall.xlsx has no sheet `Kunden`; its sheets are: `Notes`, `Customers`"
        ),
        "{err}"
    );
    // An error cell is named by its address.
    let mut rows = rows_of(&csv, None);
    rows[12][3] = Cell::Error("#N/A");
    write_xlsx(&w.path("bad.xlsx"), &[("Customers", rows)]);
    w.write("bad.yaml", &config("bad.xlsx", "bad", ""));
    let err = w.fails(&["run", "-q", "bad.yaml"]);
    assert!(err.contains("sheet `Customers` of bad.xlsx, cell D13: `#N/A` is an error value of the sheet: correct or clear it"), "{err}");
    // Keys for text files are refused on a workbook.
    w.write(
        "delim.yaml",
        &config("mall.xlsx", "delim", "  delimiter: \";\""),
    );
    let err = w.fails(&["validate", "delim.yaml"]);
    assert!(
        err.contains("input.delimiter applies to text files; a spreadsheet's cells are typed"),
        "{err}"
    );
    let _ = Cell::Empty;
}
