//! `segflow init`: a pipeline proposed from the user's own file, which `validate` accepts and
//! `run` completes, on customer tables and invoice lines as they come.

use crate::common::{read_parquet, root, shared_data, strs, Workdir};

/// `init DATA --out p.yaml`, then `validate` and `run`; returns the pipeline text and what
/// init printed.
fn init_validate_run(w: &Workdir, data: &str, out: &str) -> (String, String) {
    let printed = w.ok(&["init", data, "--out", out]);
    let yaml = std::fs::read_to_string(w.path(out)).unwrap();
    w.ok(&["validate", out]);
    w.ok(&["run", "-q", out]);
    (yaml, printed)
}

fn run_dir(w: &Workdir, yaml: &str) -> std::path::PathBuf {
    let name = yaml.lines().find_map(|l| l.strip_prefix("name: ")).unwrap();
    w.path(&format!("outputs/{name}"))
}

#[test]
fn init_on_the_shipped_customer_table() {
    let w = Workdir::new();
    w.copy(&root().join("data/mall_customers.csv"), "customers.csv");
    let (yaml, printed) = init_validate_run(&w, "customers.csv", "p.yaml");
    assert!(yaml.contains("  id: CustomerID "), "{yaml}");
    assert!(
        yaml.lines().any(
            |l| l.starts_with("    \"Annual Income (k$)\": annual_income ")
                && l.ends_with("# unit: (k$)")
        ),
        "{yaml}"
    );
    assert!(yaml.contains("one_hot: [Gender]"), "{yaml}");
    // 2% of ages are missing in the shipped data; income has planted outliers (skewed).
    assert!(yaml.contains("missing: Age 2.0%"), "{yaml}");
    assert!(
        yaml.contains("log1p_annual_income: \"LN(1 + annual_income)\""),
        "{yaml}"
    );
    assert!(printed.contains("id: CustomerID (by name; unique and never empty in 200 rows)"));
    assert!(printed.lines().last().unwrap().starts_with("wrote p.yaml"));
    let segments = read_parquet(&run_dir(&w, &yaml).join("segments.parquet"));
    assert_eq!(segments.height(), 200);
    // Editors find the keys and types of the file in the schema beside it.
    assert!(yaml.starts_with("# yaml-language-server: $schema=segflow.schema.json\n"));
    let schema = std::fs::read_to_string(w.path("segflow.schema.json")).unwrap();
    assert_eq!(schema, w.ok(&["schema"]));
    assert!(
        printed.contains("wrote segflow.schema.json beside it"),
        "{printed}"
    );
}

#[test]
fn init_on_invoice_lines_in_csv_and_parquet() {
    let w = Workdir::new();
    for file in ["lines.csv", "lines.parquet"] {
        w.ok(&[
            "generate",
            "transactions",
            "--customers",
            "120",
            "--rows",
            "3000",
            "--out",
            file,
        ]);
        let out = format!("{file}.yaml");
        let (yaml, _) = init_validate_run(&w, file, &out);
        for line in [
            "  kind: transactions",
            "    customer: CustomerID",
            "    invoice: InvoiceNo",
            "    date: InvoiceDate",
            "    quantity: Quantity",
            "    price: UnitPrice",
            "    product: StockCode",
            "    country: Country",
            "  use: [recency, log1p_frequency, log1p_monetary, log1p_aov, tenure]",
        ] {
            assert!(yaml.contains(line), "{file}: no `{line}` in\n{yaml}");
        }
        let dir = run_dir(&w, &yaml);
        let clean = crate::common::kept_lines(&dir);
        let mut customers = strs(&clean, "CustomerID");
        customers.sort();
        customers.dedup();
        let features = read_parquet(&dir.join("03_features.parquet"));
        assert_eq!(features.height(), customers.len(), "{file}");
    }
}

/// 60 customers: the id in the third column, a constant column, a near-unique text column.
fn tab_separated() -> String {
    let mut s = String::from("age\tincome\tcustomer_id\tcountry\temail\tvisits\n");
    for i in 0..60u64 {
        let age = 20 + (i * 7) % 45;
        let income = 20_000 + (i * 7919) % 60_000;
        let visits = (i * 13) % 30;
        s.push_str(&format!(
            "{age}\t{income}\tC{i:04}\tUK\tu{i}@example.com\t{visits}\n"
        ));
    }
    s
}

#[test]
fn init_on_a_tab_separated_file_with_the_id_not_first() {
    let w = Workdir::new();
    w.write("people.txt", &tab_separated());
    let (yaml, printed) = init_validate_run(&w, "people.txt", "p.yaml");
    assert!(printed.contains("columns separated by tabs"), "{printed}");
    assert!(yaml.contains("  id: customer_id "), "{yaml}");
    assert!(yaml.contains("  use: [age, income, visits]"), "{yaml}");
    assert!(
        yaml.contains("# left out: country: the same value in every row"),
        "{yaml}"
    );
    assert!(
        yaml.contains("# left out: email: text with a different value in almost every row"),
        "{yaml}"
    );
    let segments = read_parquet(&run_dir(&w, &yaml).join("segments.parquet"));
    assert_eq!(strs(&segments, "customer_id")[..2], ["C0000", "C0001"]);
}

#[test]
fn init_on_a_headerless_whitespace_file() {
    let w = Workdir::new();
    let mut s = String::new();
    for i in 1..=80u64 {
        s.push_str(&format!(
            "{i:03}   {}  {}.5\n",
            18 + (i * 11) % 50,
            (i * 37) % 90
        ));
    }
    w.write("plain.dat", &s);
    let (yaml, _) = init_validate_run(&w, "plain.dat", "p.yaml");
    assert!(yaml.contains("  delimiter: whitespace"), "{yaml}");
    assert!(yaml.contains("  header: false"), "{yaml}");
    assert!(
        yaml.contains("  names: [column_1, column_2, column_3]"),
        "{yaml}"
    );
    assert!(yaml.contains("  id: column_1 "), "{yaml}");
    // Zero-padded ids come out as written.
    let segments = read_parquet(&run_dir(&w, &yaml).join("segments.parquet"));
    assert_eq!(strs(&segments, "column_1")[0], "001");
}

#[test]
fn init_never_overwrites_without_force() {
    let w = Workdir::new();
    w.copy(&root().join("data/mall_customers.csv"), "customers.csv");
    w.write("p.yaml", "# mine\n");
    let err = w.fails(&["init", "customers.csv", "--out", "p.yaml"]);
    assert!(err.contains("p.yaml exists"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(w.path("p.yaml")).unwrap(),
        "# mine\n"
    );
    w.ok(&["init", "customers.csv", "--out", "p.yaml", "--force"]);
    assert!(std::fs::read_to_string(w.path("p.yaml"))
        .unwrap()
        .contains("id: CustomerID"));
    let err = w.fails(&["init", "missing.csv", "--out", "q.yaml"]);
    assert!(err.contains("missing.csv"), "{err}");
    assert!(!w.path("q.yaml").exists());
}

#[test]
fn init_on_the_real_customer_tables() {
    let w = Workdir::new();
    let Some(mall) = shared_data("Mall_Customers.csv") else {
        return;
    };
    let Some(campaign) = shared_data("marketing_campaign.csv") else {
        return;
    };
    let (yaml, _) = init_validate_run(&w, mall.to_str().unwrap(), "mall.yaml");
    assert!(
        yaml.contains("use: [Age, annual_income, spending_score]"),
        "{yaml}"
    );
    let (yaml, _) = init_validate_run(&w, campaign.to_str().unwrap(), "campaign.yaml");
    assert!(yaml.contains("  id: ID "), "{yaml}");
    assert!(yaml.contains("missing: Income 1.1%"), "{yaml}");
    for out in [
        "Z_CostContact: the same value",
        "Z_Revenue: the same value",
        "Dt_Customer: a date",
        "Response: a yes/no flag",
    ] {
        assert!(
            yaml.contains(&format!("# left out: {out}")),
            "{out}: {yaml}"
        );
    }
    assert!(
        yaml.contains("one_hot: [Education, Marital_Status]"),
        "{yaml}"
    );
    // DBSCAN with eps auto finds one cluster here: proposed commented out, with why.
    assert!(
        yaml.contains(
            "  # dbscan: {eps: auto, min_samples: 20}  # left out: eps auto finds 1 cluster with "
        ),
        "{yaml}"
    );
    // Spend per category: their sum is the value, and each segment gets its mix.
    assert!(
        yaml.contains("total_spend: \"MntWines + MntFruits + MntMeatProducts + MntFishProducts + MntSweetProducts + MntGoldProds\""),
        "{yaml}"
    );
    assert!(yaml.contains("  value: total_spend "), "{yaml}");
    assert!(
        yaml.contains("  categories: [MntWines, MntFruits, MntMeatProducts, MntFishProducts, MntSweetProducts, MntGoldProds]"),
        "{yaml}"
    );
}

/// Online Retail as Parquet runs to the end; the gzip CSV copy gives the same features.
#[test]
fn init_on_the_real_invoice_lines() {
    let w = Workdir::new();
    let Some(parquet) = shared_data("online_retail.parquet") else {
        return;
    };
    let Some(csv) = shared_data("online_retail.csv.gz") else {
        return;
    };
    let (yaml, _) = init_validate_run(&w, parquet.to_str().unwrap(), "parquet.yaml");
    assert!(
        yaml.contains("    date_format: \"%Y-%m-%d %H:%M:%S\""),
        "{yaml}"
    );
    let printed = w.ok(&["init", csv.to_str().unwrap(), "--out", "csv.yaml"]);
    assert!(printed.contains("date: InvoiceDate (by name and content: read as dates)"));
    let text = std::fs::read_to_string(w.path("csv.yaml")).unwrap();
    w.write(
        "csv.yaml",
        &text.replace("name: online_retail", "name: online_retail_csv"),
    );
    w.ok(&["run", "-q", "csv.yaml", "--until", "features"]);
    let a = read_parquet(&w.path("outputs/online_retail/03_features.parquet"));
    let b = read_parquet(&w.path("outputs/online_retail_csv/03_features.parquet"));
    assert_eq!(a.height(), 4_338);
    assert!(a.equals_missing(&b));
}

/// A wholesale-shaped table (UCI "Wholesale customers": spend per product group under names
/// that say nothing of money, a region code 1/2/3, a channel 1/2): the skewed spend is
/// proposed on a log scale whatever its name, the region is a category, the channel a flag.
#[test]
fn init_reads_codes_as_categories_and_logs_any_skewed_column() {
    let w = Workdir::new();
    let mut text = String::from("Channel,Region,Fresh,Milk,Grocery,Detergents_Paper\n");
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for i in 0..440 {
        // Exponential spend: skewness 2.
        let spend: Vec<i64> = (0..4).map(|_| (-next().ln() * 5000.0) as i64).collect();
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            1 + i % 2,
            1 + i % 3,
            spend[0],
            spend[1],
            spend[2],
            spend[3]
        ));
    }
    w.write("wholesale.csv", &text);
    let (yaml, printed) = init_validate_run(&w, "wholesale.csv", "p.yaml");
    assert!(yaml.contains("  one_hot: [Region]"), "{yaml}");
    assert!(
        yaml.contains("  use: [log1p_Fresh, log1p_Milk, log1p_Grocery, log1p_Detergents_Paper]"),
        "{yaml}"
    );
    assert!(
        printed.contains("left out: Channel (a yes/no flag"),
        "{printed}"
    );
    let features = read_parquet(&run_dir(&w, &yaml).join("03_features.parquet"));
    assert!(features.column("Region_2").is_ok(), "{features}");
}

/// DBSCAN is proposed where eps auto finds segments on the rows read: four tight groups.
#[test]
fn init_keeps_dbscan_where_it_finds_segments() {
    let w = Workdir::new();
    let mut text = String::from("id,x,y\n");
    let mut state: u64 = 11;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..400 {
        let (cx, cy) = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (10.0, 10.0)][i % 4];
        text.push_str(&format!(
            "{},{:.4},{:.4}\n",
            i + 1,
            cx + next(),
            cy + next()
        ));
    }
    w.write("blobs.csv", &text);
    let (yaml, printed) = init_validate_run(&w, "blobs.csv", "p.yaml");
    assert!(
        yaml.contains("\n  dbscan: {eps: auto, min_samples: 4}"),
        "{yaml}"
    );
    // Measured: 6 clusters (the uniform squares' corners thin out) with 4% noise.
    let kept = printed
        .lines()
        .find_map(|l| l.strip_prefix("DBSCAN kept: eps auto finds "))
        .unwrap_or_else(|| panic!("{printed}"));
    let clusters: usize = kept.split(' ').next().unwrap().parse().unwrap();
    assert!(clusters >= 2, "{kept}");
    assert!(
        kept.ends_with("% noise on 400 customers of the rows read"),
        "{kept}"
    );
}

/// Where DBSCAN's eps auto finds one cluster (3,000 generated customers in five latent
/// segments of different spreads), HDBSCAN is proposed in its place with what it found on
/// the rows read, and the proposal runs.
#[test]
fn init_proposes_hdbscan_where_dbscan_finds_one_cluster() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "customers",
        "--rows",
        "3000",
        "--out",
        "gen.csv",
    ]);
    let (yaml, printed) = init_validate_run(&w, "gen.csv", "p.yaml");
    assert!(
        yaml.contains("\n  # dbscan: {eps: auto, min_samples: 6}  # left out: eps auto finds 1 cluster with 3% noise on 3,000 customers"),
        "{yaml}"
    );
    assert!(
        yaml.contains("\n  hdbscan: {min_cluster_size: 60}  # no eps to guess: finds 5 clusters with 39% noise on 3,000 customers of the rows read\n"),
        "{yaml}"
    );
    assert!(
        printed.contains("HDBSCAN proposed (min_cluster_size 60): finds 5 clusters"),
        "{printed}"
    );
    let clusters = read_parquet(&run_dir(&w, &yaml).join("05_clusters.parquet"));
    let labels = crate::common::i64s(&clusters, "hdbscan");
    assert_eq!(labels.len(), 3_000);
    assert_eq!(labels.iter().copied().max(), Some(4));
}

/// A shop's order export (`segflow generate orders`: 21 columns, CA-/US- order ids, order and
/// ship dates month-first, quoted product names): init maps it as invoice lines with the
/// order date, keeps the Canadian orders, and the run reads every line in 2019–2022.
#[test]
fn init_on_an_order_export() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "orders",
        "--rows",
        "3000",
        "--seed",
        "4",
        "--out",
        "orders.csv",
    ]);
    let (yaml, printed) = init_validate_run(&w, "orders.csv", "p.yaml");
    for role in [
        "customer: Customer ID (by name",
        "invoice: Order ID (by name)",
        "date: Order Date (by name and content: read as dates; the purchase date, not Ship Date)",
        "amount: Sales (by name, numbers)",
    ] {
        assert!(printed.contains(role), "{role}\n{printed}");
    }
    assert!(yaml.contains("    # cancel_prefix: C  # unset"), "{yaml}");
    let out = w.ok(&["run", "p.yaml", "--until", "clean", "--force"]);
    assert!(out.contains("ingest        3000      3000"), "{out}");
    assert!(out.contains("clean         3000      3000"), "{out}");
    let dates = out
        .lines()
        .find(|l| l.contains("distinct customers, dates "))
        .unwrap();
    assert!(dates.contains("dates 2019-01-"), "{dates}");
    assert!(
        dates.contains(" to 2022-12-") || dates.contains(" to 2023-01-"),
        "{dates}"
    );
}
