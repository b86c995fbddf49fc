//! Numbers as people write them (src/numbers.rs): read when one reading is possible, else refused naming `input.decimal`.

use super::*;

/// DATA with column `a` written by `write` (a value and its row).
fn data_with_a(sep: char, write: impl Fn(usize, &str) -> String) -> String {
    DATA.lines()
        .enumerate()
        .map(|(i, line)| {
            let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                f[1] = write(i, &f[1]);
            }
            f.join(&sep.to_string()) + "\n"
        })
        .collect()
}

#[test]
fn decimal_comma_without_the_key() {
    let data = data_with_a(';', |_, a| format!("{a},5"));
    case(
        BASE,
        data.as_bytes(),
        &[
            "cannot read d.csv: column `a` holds numbers written with a decimal comma (`",
            "set `input.decimal: \",\"`",
        ],
    );
}

#[test]
fn thousands_that_nothing_decides() {
    let data = data_with_a(',', |_, a| format!("\"{a},250\""));
    case(
        BASE,
        data.as_bytes(),
        &["column `a` holds numbers such as `1,250` that read as 1250 with a decimal point and as 1.25 with a decimal comma, and no value decides: set `input.decimal: \".\"` or `input.decimal: \",\"`"],
    );
}

#[test]
fn a_word_among_amounts_names_its_line() {
    let data = data_with_a(',', |i, a| match i {
        7 => "n/a".to_string(),
        _ => format!("${a}.00"),
    });
    case(
        BASE,
        data.as_bytes(),
        &["cannot read d.csv: line 8, column `a`: `n/a` is not a number, and the column holds numbers: correct that value, or clear it to leave the cell empty"],
    );
}

#[test]
fn decimal_is_a_mark() {
    case(
        with(
            "input: {path: d.csv, id: id}",
            "input: {path: d.csv, id: id, decimal: \";\"}",
        ),
        DATA.as_bytes(),
        &[
            "p.yaml:",
            "input.decimal is the decimal mark of the file's numbers, `.` or `,`; got `;`",
        ],
    );
}

#[test]
fn decimal_comma_with_a_point_in_a_value() {
    let data = data_with_a(';', |i, a| match i {
        3 => "2.5".to_string(),
        _ => format!("{a},5"),
    });
    let config = with(
        "input: {path: d.csv, id: id}",
        "input: {path: d.csv, id: id, decimal: \",\"}",
    );
    case(
        config,
        data.as_bytes(),
        &["line 4, column `a`: `2.5` is not a number with input.decimal `,`"],
    );
}

#[test]
fn the_key_decides_thousands() {
    // `1,250` is 1250 once `input.decimal: "."` says so.
    let data = data_with_a(',', |_, a| format!("\"{a},250\""));
    let config = with(
        "input: {path: d.csv, id: id}",
        "input: {path: d.csv, id: id, decimal: \".\"}",
    );
    let (w, _) = ok(&config, data.as_bytes());
    let df = crate::common::read_parquet(&w.path("outputs/c/01_ingest.parquet"));
    let a: Vec<f64> = df
        .column("a")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(&a[..3], &[1250.0, 2250.0, 3250.0]);
}

#[test]
fn serial_days_out_of_the_span_say_which() {
    let config = TX.replace("date: d,", "date: d, date_format: excel,");
    case(
        config,
        b"c,i,d,m\n1,a,40513.5,5\n2,b,40514,6\n1,c,99999,7\n",
        &["transaction date column `d` is read as spreadsheet serial days (date_format: excel), but 99999 is not a day of 1950–2099"],
    );
    // Unasked, numbers outside the span are not dates: the key is named.
    case(
        TX,
        b"c,i,d,m\n1,a,40513.5,5\n2,b,40514,6\n1,c,99999.5,7\n",
        &["transaction date column `d` holds decimal numbers (e.g. 40513.5) that are not spreadsheet serial days of 1950–2099", "(`excel` reads serial days)"],
    );
}

/// Plain amounts for more lines than polars looks at, then `$1,234.50`: the column is read
/// as numbers from all of its values, in the whole file and in the sample the checks read.
#[test]
fn currency_after_ten_thousand_plain_amounts_is_read() {
    let mut data = String::from("id,a,b,g\n");
    for i in 1..=10_050 {
        data.push_str(&format!("{i},{}.25,{},x\n", i % 50, i % 7));
    }
    data.push_str("10051,\"$1,234.50\",3,y\n");
    let (w, _) = ok(BASE, data.as_bytes());
    let df = crate::common::read_parquet(&w.path("outputs/c/01_ingest.parquet"));
    let a = crate::common::f64s(&df, "a");
    assert_eq!((a.len(), a[0], a[10_050]), (10_051, 1.25, 1234.5));
}

/// Amounts, quantities and prices are typed from all their values on the streaming engine
/// too: a currency after 10,000 plain amounts reads as on the local engine.
#[test]
fn currency_after_ten_thousand_plain_amounts_on_streaming_is_read() {
    let mut data = String::from("c,i,d,m\n");
    for i in 1..=10_050 {
        data.push_str(&format!(
            "{},{i},2011-01-02 10:00:00,{}.25\n",
            i % 97,
            i % 50
        ));
    }
    data.push_str("5,99999,2011-01-03 10:00:00,\"$1,234.50\"\n");
    let [_, (stream, _)] = on_both_engines(data.as_bytes());
    let lines = crate::common::read_parquet(&stream.path("outputs/c/01_ingest.parquet"));
    let m = crate::common::f64s(&lines, "m");
    assert_eq!((m.len(), m[0], m[10_050]), (10_051, 1.25, 1234.5));
}
