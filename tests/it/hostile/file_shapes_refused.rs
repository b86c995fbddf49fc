//! Real files as they come (headerless, whitespace, integer dates): what cannot be read is refused with the key that decides, in words, not types.

use super::*;

#[test]
fn header_false_without_names() {
    case(
        with("id: id}", "id: id, header: false}"),
        DATA.as_bytes(),
        &["p.yaml:2:", "input.header: false needs input.names"],
    );
}
#[test]
fn names_without_header_false() {
    case(
        with("id: id}", "id: id, names: [id, a, b, g]}"),
        DATA.as_bytes(),
        &["input.names names the columns of a file without a header line: add `header: false`"],
    );
}
#[test]
fn duplicate_names() {
    case(
        with("id: id}", "id: id, header: false, names: [id, a, a, g]}"),
        DATA.as_bytes(),
        &["input.names must be distinct and not empty; `a` is not"],
    );
}
#[test]
fn names_and_fields_disagree() {
    case(
        with("id: id}", "id: id, header: false, names: [id, a, b]}"),
        b"1,1,10,x\n2,2,11,y\n",
        &["input.names lists 3 names but the lines of d.csv have 4 fields"],
    );
}
#[test]
fn whitespace_delimiter_on_parquet() {
    case(
        with("id: id}", "id: id, format: parquet, delimiter: whitespace}"),
        DATA.as_bytes(),
        &["input.delimiter applies to text files"],
    );
}
#[test]
fn two_character_delimiter() {
    case(
        with("id: id}", "id: id, delimiter: ab}"),
        DATA.as_bytes(),
        &["input.delimiter must be a single ASCII character, `tab` or `whitespace`, got `ab`"],
    );
}
#[test]
fn space_separated_file_read_as_csv_suggests_whitespace() {
    case(BASE, b"id a b g\n1 1 10 x\n2 2 11 y\n", &["cannot read d.csv as CSV: line 1 of d.csv has 4 fields separated by spaces, read as 1 column: try `delimiter: whitespace`"]);
}
#[test]
fn integer_dates_not_yyyymmdd_ask_for_date_format() {
    case(TX, b"c,i,d,m\n1,a,1997011,5\n2,b,1997012,6\n", &["transaction date column `d` holds whole numbers (e.g. 1997011) that are not dates written as YYYYMMDD: set input.columns.date_format"]);
}
#[test]
fn integer_dates_in_another_format() {
    let config = TX.replace("date: d,", "date: d, date_format: \"%d%m%Y\",");
    case(config, b"c,i,d,m\n1,a,19970101,5\n2,b,19970102,6\n", &["cannot read the transaction dates in `d` with format `%d%m%Y`: 2 of 2 distinct values are not dates in that format, e.g. `19970101`"]);
}
#[test]
fn decimal_dates() {
    case(TX, b"c,i,d,m\n1,a,1.5,5\n2,b,2.5,6\n", &["transaction date column `d` holds decimal numbers (e.g. 1.5) that are not spreadsheet serial days of 1950–2099: expected dates, text, or numbers with input.columns.date_format (`excel` reads serial days)"]);
}
#[test]
fn text_amounts() {
    case(
        TX,
        b"c,i,d,m\n1,a,2011-01-02 10:00:00,five\n2,b,2011-01-03 10:00:00,six\n",
        &["transaction column `m` holds text: expected numbers"],
    );
}
#[test]
fn text_feature() {
    let config = with("use: [a, b]", "use: [a, g]").replace("  one_hot: [g]\n", "");
    case(
        config,
        DATA.as_bytes(),
        &["column `g` should hold numbers but data row 1 (id 1) has `x`"],
    );
}
#[test]
fn text_outlier_column() {
    let config = with(
        "  impute: {numeric: median, categorical: mode}\n",
        "  impute: {numeric: median, categorical: mode}\n  outliers: {columns: [g]}\n",
    );
    case(
        config,
        DATA.as_bytes(),
        &["p.yaml:5:14: column `g` should hold numbers but data row 1 (id 1) has `x`"],
    );
}
#[test]
fn seed_as_a_word() {
    case(
        with("name: c\n", "name: c\nseed: abc\n"),
        DATA.as_bytes(),
        &["seed: invalid type: string \"abc\", expected a whole number"],
    );
}
#[test]
fn drop_first_as_a_word() {
    case(
        with("  one_hot: [g]\n", "  one_hot: [g]\n  drop_first: maybe\n"),
        DATA.as_bytes(),
        &["drop_first: invalid type: string \"maybe\", expected true or false"],
    );
}
#[test]
fn numeric_value_as_a_word() {
    case(
        with("{numeric: median,", "{numeric: constant, numeric_value: x,"),
        DATA.as_bytes(),
        &["numeric_value: invalid type: string \"x\", expected a number"],
    );
}
#[test]
fn names_as_one_string() {
    case(
        with("id: id}", "id: id, header: false, names: id a b g}"),
        DATA.as_bytes(),
        &["names: invalid type: string \"id a b g\", expected a list such as [a, b]"],
    );
}
#[test]
fn zero_padded_duplicate_ids_named_as_written() {
    case(
        BASE,
        b"id,a,b,g\n01,1,10,x\n01,2,11,y\n1,3,12,x\n",
        &["the id column `id` has 1 duplicated value(s), e.g. 01: ids must be unique"],
    );
}
#[test]
fn transactions_without_a_customer_column() {
    case(
        TX.replace("customer: c, ", ""),
        b"c,i,d,m\n1,a,2011-01-02 10:00:00,5\n",
        &["missing field `customer`"],
    );
}
#[test]
fn n_init_as_a_fraction() {
    case(
        with("n_init: 2}", "n_init: 1.5}"),
        DATA.as_bytes(),
        &["n_init: invalid type: floating point `1.5`, expected a whole number"],
    );
}
#[test]
fn header_false_on_parquet() {
    case(
        with(
            "id: id}",
            "id: id, format: parquet, header: false, names: [a]}",
        ),
        DATA.as_bytes(),
        &["input.header and input.names apply to text files"],
    );
}
#[test]
fn invoice_prefix_rule_without_invoices() {
    // Without an invoice column there is no cancellation rule: a log of returns only is
    // refused by the quantity rule, and says so.
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, date: d, quantity: q, price: p}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    case(
        config,
        b"c,d,q,p\n1,2011-01-02 10:00:00,-1,5\n2,2011-01-03 10:00:00,-2,6\n",
        &["no transaction lines are left after cleaning (2 dropped: 2 quantity <= 0 (return))"],
    );
}
#[test]
fn text_after_ten_thousand_numbers_names_its_line() {
    let mut data = String::from("id,a,b,g\n");
    for i in 1..=10_050 {
        data.push_str(&format!("{i},{},{},x\n", i % 50, i % 7));
    }
    data.push_str("10051,abc,3,y\n");
    case(BASE, data.as_bytes(), &["cannot read d.csv: line 10052, column `a`: `abc` is not a number, and the column holds numbers: correct that value, or clear it to leave the cell empty"]);
}
