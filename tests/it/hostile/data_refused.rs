//! Data files that cannot make segments: refused naming the file, the column and the value.

use super::*;

#[test]
fn empty_file_says_zero_bytes() {
    case(BASE, b"", &["input d.csv is empty (0 bytes)"]);
}
#[test]
fn header_only() {
    case(
        BASE,
        b"id,a,b,g\n",
        &["d.csv has a header but no data rows"],
    );
}
#[test]
fn one_row() {
    case(
        BASE,
        b"id,a,b,g\n1,2,3,x\n",
        &["cluster.kmeans.k goes up to 3 but only 1 customers are left after cleaning"],
    );
}
#[test]
fn missing_id_column() {
    case(
        BASE,
        b"ID,a,b,g\n1,2,3,x\n2,3,4,y\n3,4,5,x\n",
        &["the id column `id` is not in d.csv (after renames). Did you mean `ID`?"],
    );
}
#[test]
fn duplicate_ids() {
    let data = DATA.replace("\n2,2,11,y\n", "\n1,2,11,y\n");
    case(
        BASE,
        data.as_bytes(),
        &["the id column `id` has 1 duplicated value(s), e.g. 1: ids must be unique"],
    );
}
#[test]
fn missing_feature_column() {
    case(
        with("use: [a, b]", "use: [a, c]"),
        DATA.as_bytes(),
        &[
            "feature column `c` is not in d.csv (after renames).",
            "The columns are: `id`, `a`, `b`, `g`",
        ],
    );
}
#[test]
fn text_in_a_numeric_column() {
    let data = DATA.replace("\n3,3,12,x\n", "\n3,three,12,x\n");
    case(
        BASE,
        data.as_bytes(),
        &[
            "p.yaml:7:",
            "column `a` should hold numbers but data row 3 (id 3) has `three`",
        ],
    );
}
#[test]
fn all_null_column() {
    let data: String = DATA
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},,{},{}\n", f[0], f[2], f[3])
            }
        })
        .collect();
    case(
        BASE,
        data.as_bytes(),
        &["column `a` is empty in every one of the first 12 rows"],
    );
}
#[test]
fn huge_numbers() {
    let data = DATA.replace("\n7,50,60,x\n", "\n7,1e300,60,x\n");
    case(
        BASE,
        data.as_bytes(),
        &["feature `a` has a value too large to cluster on (1e300)"],
    );
}
#[test]
fn fewer_distinct_points_than_k() {
    let data = "id,a,b,g\n1,1,1,x\n2,1,1,x\n3,2,2,x\n4,2,2,x\n5,1,1,y\n";
    case(
        BASE,
        data.as_bytes(),
        &["k = 3 but the data has only 2 distinct point(s): lower cluster.kmeans.k"],
    );
}
#[test]
fn all_points_identical() {
    let data = "id,a,b,g\n1,1,1,x\n2,1,1,x\n3,1,1,x\n4,1,1,x\n";
    case(
        BASE,
        data.as_bytes(),
        &["k = 2 but the data has only 1 distinct point(s)"],
    );
}
#[test]
fn invalid_utf8() {
    let mut data = DATA.as_bytes().to_vec();
    data.extend_from_slice(b"13,3,4,\xff\xfe\n");
    case(
        BASE,
        &data,
        &["cannot read d.csv as CSV: invalid utf-8 sequence"],
    );
}
#[test]
fn transaction_dates_in_the_wrong_format() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, date_format: \"%d/%m/%Y\", amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    case(
        config,
        b"c,i,d,m\n1,a,2011-01-32 10:00,5\n2,b,2011-03-04 10:00,6\n",
        &["cannot read the transaction dates in `d` with format `%d/%m/%Y`: 2 of 2 distinct values are not dates in that format, e.g. `2011-01-32 10:00`"],
    );
}
#[test]
fn transactions_all_cancellations() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    case(config, b"c,i,d,m\n1,C1,2011-01-02 10:00:00,-5\n2,C2,2011-03-04 10:00:00,-6\n", &["no transaction lines are left after cleaning (2 dropped: 2 cancellation (invoice starts with C))"]);
}
/// A `C` that starts an order id (`CA-…`, Canada) marks no cancellation unless the config
/// names the prefix: positive lines are purchases; with `cancel_prefix: C` every one goes.
#[test]
fn unknown_input_kind() {
    case(
        with("id: id}", "id: id, kind: invoices}"),
        DATA.as_bytes(),
        &["`invoices` is not a valid input.kind: expected one of `customers`, `transactions`"],
    );
}
#[test]
fn transactions_without_a_column_map() {
    case(
        with("id: id}", "id: id, kind: transactions}"),
        DATA.as_bytes(),
        &["input.kind: transactions needs input.columns"],
    );
}
#[test]
fn transaction_column_missing() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: cust, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\n";
    case(
        config,
        b"c,i,d,m\n1,a,2011-01-02 10:00:00,5\n",
        &[
            "transaction column `cust` is not in d.csv (after renames).",
            "The columns are: `c`, `i`, `d`, `m`",
        ],
    );
}

/// The streaming engine takes the date format from the first 100,000 lines when only one
/// format reads them; a later date in another format is refused by value on both engines.
#[test]
fn a_date_in_another_format_after_a_hundred_thousand_lines_on_both_engines() {
    let mut data = String::from("c,i,d,m\n");
    for i in 1..=100_010 {
        data.push_str(&format!("{},{i},2011-01-02 10:00:00,5\n", i % 97));
    }
    data.push_str("5,999999,02/01/2011 10:00,5\n");
    for config in [TX.to_string(), tx_streaming()] {
        case(
            config,
            data.as_bytes(),
            &["`02/01/2011 10:00` is not a date in"],
        );
    }
}
