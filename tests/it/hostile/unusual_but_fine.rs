//! Inputs that are unusual but fine: each gives the artifacts its plain form gives, or keeps the value as written.

use super::*;

#[test]
fn byte_order_mark_reads_as_the_plain_file() {
    let mut data = b"\xef\xbb\xbf".to_vec();
    data.extend_from_slice(DATA.as_bytes());
    same_as_plain(&data);
}
#[test]
fn crlf_line_endings_read_as_the_plain_file() {
    same_as_plain(DATA.replace('\n', "\r\n").as_bytes());
}
#[test]
fn semicolon_delimiter_reads_as_the_plain_file() {
    same_as_plain(DATA.replace(',', ";").as_bytes());
}

/// `data`, the plain DATA in another form, gives the plain file's artifacts: the same
/// ingested table (names without a byte-order mark), features and segments.
fn same_as_plain(data: &[u8]) {
    let (plain, _) = ok(BASE, DATA.as_bytes());
    let (shaped, out) = ok(BASE, data);
    for file in [
        "01_ingest.parquet",
        "03_features.parquet",
        "segments.parquet",
    ] {
        let a = crate::common::read_parquet(&plain.path(&format!("outputs/c/{file}")));
        let b = crate::common::read_parquet(&shaped.path(&format!("outputs/c/{file}")));
        if file == "01_ingest.parquet" {
            let names: Vec<&str> = b.get_column_names().iter().map(|c| c.as_str()).collect();
            assert_eq!(names, ["id", "a", "b", "g"], "{file}");
        }
        assert!(a.equals_missing(&b), "{file} differs:\n{a}\n{b}\n{out}");
    }
}
#[test]
fn quoted_newlines_come_out_as_written() {
    let data = DATA
        .replace("\n1,1,10,x\n", "\n1,1,10,\"x\"\n")
        .replace("id,a,b,g\n", "id,a,b,g,note\n");
    let data: String = data
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{l},\"two\nlines\"\n")
            }
        })
        .collect();
    let (w, _) = ok(BASE, data.as_bytes());
    let seg = std::fs::read_to_string(w.path("outputs/c/segments.csv")).unwrap();
    assert!(seg.contains("\"two\nlines\""), "{seg}");
}
#[test]
fn constant_column_does_not_divide_by_zero() {
    let data = DATA
        .replace(",10,", ",7,")
        .replace(",11,", ",7,")
        .replace(",12,", ",7,")
        .replace(",13,", ",7,")
        .replace(",14,", ",7,")
        .replace(",15,", ",7,")
        .replace(",60,", ",7,")
        .replace(",61,", ",7,")
        .replace(",62,", ",7,")
        .replace(",63,", ",7,")
        .replace(",64,", ",7,")
        .replace(",65,", ",7,");
    let (w, _) = ok(BASE, data.as_bytes());
    let scaled = crate::common::read_parquet(&w.path("outputs/c/04_scaled.parquet"));
    let b = scaled.column("b").unwrap().f64().unwrap();
    assert!(b.iter().all(|v| v == Some(0.0)));
}
#[test]
fn nan_and_inf_are_imputed() {
    let data = DATA
        .replace("\n3,3,12,x\n", "\n3,NaN,12,x\n")
        .replace("\n4,4,13,y\n", "\n4,inf,13,y\n");
    let (w, _) = ok(BASE, data.as_bytes());
    let model = std::fs::read_to_string(w.path("outputs/c/model.json")).unwrap();
    assert!(model.contains("\"filled\": 2"), "{model}");
}
#[test]
fn negative_ages_are_data_not_errors() {
    let data = DATA.replace("\n3,3,12,x\n", "\n3,-3,12,x\n");
    let (w, _) = ok(BASE, data.as_bytes());
    // Kept as a value, not dropped or cleared: customer 3 has a = -3 in the features.
    let f = crate::common::read_parquet(&w.path("outputs/c/03_features.parquet"));
    assert_eq!(f.height(), 12);
    let a = crate::common::strs(&f, "a");
    let ids = crate::common::strs(&f, "id");
    let at = ids.iter().position(|i| i == "3").unwrap();
    assert_eq!(a[at], "-3");
}
#[test]
fn dbscan_leaving_every_point_noise_warns_and_reports() {
    let config = with(
        "  kmeans: {k: [2, 3], n_init: 2}",
        "  dbscan: {eps: 0.001, min_samples: 3}",
    );
    let (w, out) = ok(&config, DATA.as_bytes());
    assert!(
        out.contains("warning: dbscan (eps 0.0010, min_samples 3): every point is noise"),
        "{out}"
    );
    let seg = std::fs::read_to_string(w.path("outputs/c/segments.csv")).unwrap();
    assert_eq!(seg.matches("Noise (no segment)").count(), 12);
}
#[test]
fn identical_points_with_dbscan_make_one_segment() {
    let config = with(
        "  kmeans: {k: [2, 3], n_init: 2}",
        "  dbscan: {eps: 0.5, min_samples: 2}",
    );
    let (_, out) = ok(&config, b"id,a,b,g\n1,1,1,x\n2,1,1,x\n3,1,1,y\n");
    assert!(
        out.contains("every point is core and in one cluster"),
        "{out}"
    );
}

#[test]
fn a_one_hot_column_in_use_is_text_by_design() {
    // Regression: the text-in-numeric check must not flag a category listed in one_hot.
    let (w, _) = ok(&with("use: [a, b]", "use: [a, b, g]"), DATA.as_bytes());
    let model = std::fs::read_to_string(w.path("outputs/c/model.json")).unwrap();
    assert!(model.contains("\"g_y\""), "{model}");
}
#[test]
fn orders_starting_with_c_are_purchases_unless_the_prefix_is_named() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    let data = b"c,i,d,m\n1,CA-2019-1,2011-01-02 10:00:00,5\n2,CA-2019-2,2011-03-04 10:00:00,6\n3,US-2019-3,2011-03-05 10:00:00,7\n3,C4,2011-03-06 10:00:00,-7\n";
    let w = Workdir::new();
    w.write("d.csv", std::str::from_utf8(data).unwrap());
    w.write("p.yaml", config);
    let out = w.ok(&["run", "p.yaml", "--until", "clean"]);
    assert!(
        out.contains("dropped: 1 cancellation (invoice starts with C)"),
        "{out}"
    );
    let named = config.replace(
        "features:",
        "clean: {transactions: {cancel_prefix: C}}\nfeatures:",
    );
    w.write("p.yaml", &named);
    let out = w.ok(&["run", "p.yaml", "--until", "clean"]);
    assert!(
        out.contains("dropped: 3 cancellation (invoice starts with C)"),
        "{out}"
    );
}

/// Dates that could be day-first or month-first for 10,000 lines, then `12/13/2011`: both
/// engines read every date month-first (the streaming engine no longer lets polars guess
/// from the first lines).
#[test]
fn month_first_dates_decided_after_ten_thousand_lines_on_both_engines() {
    let mut data = String::from("c,i,d,m\n");
    for i in 1..=10_050 {
        let (month, day) = (1 + i % 12, 1 + (i / 12) % 12);
        data.push_str(&format!(
            "{},{i},{month:02}/{day:02}/2011 10:00,5\n",
            i % 97
        ));
    }
    data.push_str("5,99999,12/13/2011 10:00,5\n");
    for (_, said) in on_both_engines(data.as_bytes()) {
        assert!(
            said.contains("97 distinct customers, dates 2011-01-01 to 2011-12-13"),
            "{said}"
        );
    }
}
