//! `segflow compare`: a known drift between two runs is recovered exactly in the transition
//! matrix and the migrations table; identical runs give the identity; runs that cannot be
//! compared are refused with what differs.

use crate::common::{read_parquet, strs, Workdir};

/// Four tight, far-apart groups of 25 customers (ids 0-99, group = id / 25), with `moved`
/// customers of group 0 placed in group 3, `gone` ids left out and `new` ids added to group 1.
fn customers(moved: usize, gone: &[usize], new: &[usize]) -> String {
    let centre = |g: usize| [(20, 20), (20, 80), (80, 20), (80, 80)][g];
    let mut csv = String::from("id,x,y\n");
    let mut row = |id: usize, g: usize| {
        let (cx, cy) = centre(g);
        csv.push_str(&format!(
            "{id},{},{}\n",
            cx + (id % 5) as i64,
            cy + (id % 3) as i64
        ));
    };
    for id in 0..100 {
        if gone.contains(&id) {
            continue;
        }
        let g = if id < moved { 3 } else { id / 25 };
        row(id, g);
    }
    for &id in new {
        row(id, 1);
    }
    csv
}

const PIPELINE: &str = "name: monthly\ninput: {path: c.csv, id: id}\nfeatures:\n  use: [x, y]\ncluster:\n  kmeans: {k: 4, n_init: 10}\n";

fn run(w: &Workdir, csv: &str, out: &str) {
    w.write("c.csv", csv);
    w.write("p.yaml", PIPELINE);
    w.ok(&["run", "-q", "p.yaml", "--out-dir", out]);
}

#[test]
fn a_known_drift_is_recovered_exactly() {
    let w = Workdir::new();
    run(&w, &customers(0, &[], &[]), "nov");
    // December: 7 customers of group 0 now look like group 3; ids 90-92 are gone; 5 are new.
    run(
        &w,
        &customers(7, &[90, 91, 92], &[100, 101, 102, 103, 104]),
        "dec",
    );
    let text = w.ok(&["compare", "nov/monthly", "dec/monthly"]);
    assert!(
        text.contains("97 customers in both, 5 new, 3 gone"),
        "{text}"
    );
    // Group g's segment in each run, read from any of its customers.
    let seg = |run: &str, id: i64| -> i64 {
        let df = read_parquet(&w.path(&format!("{run}/monthly/segments.parquet")));
        let ids = df.column("id").unwrap().i64().unwrap();
        let s = df.column("segment").unwrap().i64().unwrap();
        (0..df.height())
            .find(|&i| ids.get(i) == Some(id))
            .map(|i| s.get(i).unwrap())
            .unwrap()
    };
    let (g0_nov, g3_nov) = (seg("nov", 10), seg("nov", 80));
    let (g0_dec, g3_dec) = (seg("dec", 10), seg("dec", 80));
    let t = read_parquet(&w.path("dec/monthly/compare/transitions.parquet"));
    let cell = |from: i64, to: i64| -> u32 {
        let f = t.column("from_segment").unwrap().i64().unwrap();
        let to_c = t.column("to_segment").unwrap().i64().unwrap();
        let n = t.column("customers").unwrap().u32().unwrap();
        (0..t.height())
            .find(|&i| f.get(i) == Some(from) && to_c.get(i) == Some(to))
            .map(|i| n.get(i).unwrap())
            .unwrap()
    };
    assert_eq!(cell(g0_nov, g3_dec), 7, "the 7 movers");
    assert_eq!(cell(g0_nov, g0_dec), 18);
    assert_eq!(cell(g3_nov, g3_dec), 22, "25 less the 3 gone");
    let total: u32 = t
        .column("customers")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .sum();
    assert_eq!(total, 97, "every shared customer once");
    // Each customer's move, with the id as it went in (a whole number).
    let m = read_parquet(&w.path("dec/monthly/compare/migrations.parquet"));
    assert_eq!(
        m.column("id").unwrap().dtype(),
        &polars::prelude::DataType::Int64
    );
    let status = strs(&m, "status");
    let count = |s: &str| status.iter().filter(|x| *x == s).count();
    assert_eq!(
        (count("moved"), count("new"), count("lost"), count("stayed")),
        (7, 5, 3, 90)
    );
    // Sizes per matched pair: group 0 lost its 7 movers, group 3 gained them and lost 3,
    // group 1 gained the 5 new customers.
    let sizes = read_parquet(&w.path("dec/monthly/compare/segments.parquet"));
    let col = |c: &str| -> Vec<i64> {
        let c = sizes
            .column(c)
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap();
        c.i64().unwrap().iter().map(|v| v.unwrap_or(-9)).collect()
    };
    let (before, after, change) = (col("before_segment"), col("customers_after"), col("change"));
    let row = |s: i64| before.iter().position(|&b| b == s).unwrap();
    assert_eq!((after[row(g0_nov)], change[row(g0_nov)]), (18, -7));
    assert_eq!((after[row(g3_nov)], change[row(g3_nov)]), (29, 4));
    assert_eq!(change.iter().sum::<i64>(), 2, "5 new less 3 gone");
    // The page says it in words, largest movement first.
    let page = std::fs::read_to_string(w.path("dec/monthly/compare/report.html")).unwrap();
    let names = strs(
        &read_parquet(&w.path("nov/monthly/07_profile.parquet")),
        "name",
    );
    let later = strs(
        &read_parquet(&w.path("dec/monthly/07_profile.parquet")),
        "name",
    );
    let sentence = format!(
        "<li>7 customers of {} (28% of its customers in both runs) are now in {}.</li>",
        names[g0_nov as usize], later[g3_dec as usize]
    );
    assert!(page.contains(&sentence), "{sentence}");
    let csv = std::fs::read_to_string(w.path("dec/monthly/compare/migrations.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 105);
    assert!(
        csv.contains(&format!("\n3,{g0_nov},")),
        "customer 3 moved from group 0"
    );
}

#[test]
fn identical_runs_give_the_identity_and_the_same_segments() {
    let w = Workdir::new();
    run(&w, &customers(0, &[], &[]), "a");
    run(&w, &customers(0, &[], &[]), "b");
    let text = w.ok(&["compare", "a/monthly", "b/monthly", "--out", "cmp"]);
    assert!(
        text.contains("100 customers in both, 0 new, 0 gone"),
        "{text}"
    );
    for s in 0..4 {
        assert!(text.contains(&format!("\n  {s}: ")), "{text}");
    }
    let t = read_parquet(&w.path("cmp/transitions.parquet"));
    let f = t.column("from_segment").unwrap().i64().unwrap();
    let to = t.column("to_segment").unwrap().i64().unwrap();
    let n = t.column("customers").unwrap().u32().unwrap();
    assert!(t.height() >= 4, "{t}");
    for i in 0..t.height() {
        let want = if f.get(i) == to.get(i) { 25 } else { 0 };
        assert_eq!(n.get(i), Some(want));
    }
    let status = strs(&read_parquet(&w.path("cmp/migrations.parquet")), "status");
    assert!(status.iter().all(|s| s == "stayed"));
    // The same as one JSON document: every segment matched to itself, the identity matrix.
    let doc: serde_json::Value = serde_json::from_str(&w.ok(&[
        "compare",
        "a/monthly",
        "b/monthly",
        "--out",
        "cmp",
        "--json",
    ]))
    .unwrap();
    assert_eq!(doc["customers_in_both"], 100);
    let matched = doc["matched"].as_array().unwrap();
    assert_eq!(matched.len(), 4, "{doc}");
    for m in matched {
        assert_eq!(m["before"], m["after"]);
    }
    let t = doc["transitions"].as_array().unwrap();
    assert_eq!(t.len(), 4, "{doc}");
    for (i, row) in t.iter().enumerate() {
        assert_eq!(row.as_array().unwrap().len(), 4);
        for (j, n) in row.as_array().unwrap().iter().enumerate() {
            assert_eq!(n.as_u64().unwrap(), if i == j { 25 } else { 0 });
        }
    }
}

#[test]
fn runs_that_cannot_be_compared_are_refused_with_what_differs() {
    let w = Workdir::new();
    run(&w, &customers(0, &[], &[]), "a");
    std::fs::create_dir_all(w.path("empty")).unwrap();
    let err = w.fails(&["compare", "empty", "a/monthly"]);
    assert!(
        err.contains("is not a segflow run folder: it has no manifest.json"),
        "{err}"
    );
    // The same customers under another id column.
    w.write(
        "c.csv",
        &customers(0, &[], &[]).replacen("id,", "customer,", 1),
    );
    w.write("p.yaml", &PIPELINE.replace("id: id", "id: customer"));
    w.ok(&["run", "-q", "p.yaml", "--out-dir", "b"]);
    let err = w.fails(&["compare", "a/monthly", "b/monthly"]);
    assert!(
        err.contains("different columns: `id` in a/monthly and `customer` in b/monthly"),
        "{err}"
    );
}

/// The README's half-year example: Online Retail cut by `input.window` into two periods,
/// compared. Every customer of either half is counted once: in both, new or gone.
#[test]
fn online_retail_first_half_against_second_half() {
    let Some(_) = crate::common::shared_data("online_retail.parquet") else {
        return;
    };
    let w = Workdir::new();
    for half in ["h1", "h2"] {
        let out = crate::common::run_in_root(
            &["run", "-q", &format!("examples/online_retail_{half}.yaml")],
            &w.path("out"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = w.ok(&["compare", "out/online_retail_h1", "out/online_retail_h2"]);
    let customers = |half: &str| {
        read_parquet(&w.path(&format!("out/online_retail_{half}/segments.parquet"))).height()
    };
    let t = read_parquet(&w.path("out/online_retail_h2/compare/transitions.parquet"));
    let shared: u32 = t
        .column("customers")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .sum();
    let m = read_parquet(&w.path("out/online_retail_h2/compare/migrations.parquet"));
    let status = strs(&m, "status");
    let count = |s: &str| status.iter().filter(|x| *x == s).count();
    assert_eq!(count("stayed") + count("moved"), shared as usize);
    assert_eq!(shared as usize + count("new"), customers("h2"));
    assert_eq!(shared as usize + count("lost"), customers("h1"));
    assert!(
        text.contains(&format!(
            "{} customers in both",
            segflow::frame::thousands(shared as usize)
        )),
        "{text}"
    );
    // The first half's dropped lines name the window.
    let dropped = read_parquet(&w.path("out/online_retail_h1/02_clean_dropped.parquet"));
    assert!(strs(&dropped, "reason")
        .iter()
        .any(|r| r == "outside input.window (2010-12-01 to 2011-05-31)"));
}

/// `segflow generate transactions --drift`: the lines are those without drift but for the
/// 2023 lines of the customers who lapse, dated a year earlier; comparing 2022 with 2023
/// finds every one of those customers gone.
#[test]
fn a_generated_drift_is_found_by_compare() {
    use std::collections::BTreeSet;
    let w = Workdir::new();
    let generate = |file: &str, drift: &str| {
        w.ok(&[
            "generate",
            "transactions",
            "--customers",
            "400",
            "--rows",
            "30000",
            "--seed",
            "7",
            "--drift",
            drift,
            "--out",
            file,
        ])
    };
    generate("plain.parquet", "0");
    let said = generate("drift.parquet", "0.25");
    let lapsing: usize = said
        .lines()
        .find_map(|l| l.strip_suffix(" customers lapse after 2022-12-31 (--drift 0.25): their 2023 invoices are dated in 2022"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        (60..=140).contains(&lapsing),
        "about a quarter of 400: {lapsing}"
    );
    let (plain, drift) = (
        read_parquet(&w.path("plain.parquet")),
        read_parquet(&w.path("drift.parquet")),
    );
    assert_eq!(plain.height(), drift.height());
    for c in [
        "InvoiceNo",
        "StockCode",
        "Quantity",
        "UnitPrice",
        "CustomerID",
        "Country",
    ] {
        assert!(
            plain
                .column(c)
                .unwrap()
                .equals_missing(drift.column(c).unwrap()),
            "{c}"
        );
    }
    let ms = |df: &polars::prelude::DataFrame| -> Vec<i64> {
        let c = df
            .column("InvoiceDate")
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap();
        c.i64().unwrap().into_no_null_iter().collect()
    };
    let (before, after) = (ms(&plain), ms(&drift));
    let customer = plain.column("CustomerID").unwrap().i64().unwrap().clone();
    const YEAR_2023: i64 = 1_672_531_200_000;
    let mut moved = BTreeSet::new();
    for i in 0..before.len() {
        if before[i] != after[i] {
            assert!(
                before[i] >= YEAR_2023 && before[i] - after[i] == 365 * 86_400_000,
                "line {i}"
            );
            // Guests' invoices (no customer id) lapse with the customer they were drawn for.
            moved.extend(customer.get(i));
        }
    }
    assert!(
        !moved.is_empty() && moved.len() <= lapsing,
        "{} of {lapsing}",
        moved.len()
    );
    // 2022 against 2023 on the drifted lines: everyone who moved their 2023 buying is gone.
    for (year, to) in [("2022", "2023"), ("2023", "2024")] {
        let yaml = format!(
            "name: y{year}\ninput:\n  path: drift.parquet\n  kind: transactions\n  window: {{from: {year}-01-01, to: {year}-12-31}}\n  columns: {{customer: CustomerID, invoice: InvoiceNo, date: InvoiceDate, quantity: Quantity, price: UnitPrice}}\nfeatures:\n  rfm: {{as_of: {to}-01-01, log1p: [frequency, monetary]}}\n  use: [recency, log1p_frequency, log1p_monetary]\ncluster:\n  kmeans: {{k: 3, n_init: 2}}\n"
        );
        w.write(&format!("y{year}.yaml"), &yaml);
        w.ok(&["run", "-q", &format!("y{year}.yaml")]);
    }
    w.ok(&["compare", "outputs/y2022", "outputs/y2023"]);
    let m = read_parquet(&w.path("outputs/y2023/compare/migrations.parquet"));
    let (ids, status) = (strs(&m, "CustomerID"), strs(&m, "status"));
    // A customer whose lines were all cancellations is in neither run; every other is lost.
    let mut lost = 0;
    for c in &moved {
        if let Some(at) = ids.iter().position(|i| *i == c.to_string()) {
            assert_eq!(status[at], "lost", "customer {c}");
            lost += 1;
        }
    }
    assert!(lost * 10 >= moved.len() * 9, "{lost} of {}", moved.len());
}
