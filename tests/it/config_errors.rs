//! Every kind of config mistake gets exit code 2 and a message that says where (file, line,
//! column) and what to do (nearest valid key or value, the columns that exist).

use crate::common::{root, Workdir};

const GOOD: &str = "name: t
input:
  path: customers.csv
  id: CustomerID
  rename:
    \"Annual Income (k$)\": income
features:
  use: [income, Age]
cluster:
  kmeans:
    k: [2, 4]
";

fn project(config: &str) -> Workdir {
    let w = Workdir::new();
    w.copy(&root().join("data/mall_customers.csv"), "customers.csv");
    w.write("p.yaml", config);
    w
}

/// Runs `validate` on the config and asserts every expected fragment is in the message.
fn check(config: &str, expected: &[&str]) {
    let w = project(config);
    let err = w.fails(&["validate", "p.yaml"]);
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
    // `run` refuses the same config the same way, before writing anything.
    let err2 = w.fails(&["run", "p.yaml"]);
    assert_eq!(err, err2);
    assert!(!w.path("outputs/t").exists());
}

#[test]
fn the_good_config_validates() {
    let w = project(GOOD);
    let out = w.ok(&["validate", "p.yaml"]);
    assert!(out.contains("p.yaml: ok"), "{out}");
}

#[test]
fn unknown_top_level_key_names_position_and_nearest_key() {
    check(
        &GOOD.replace("features:", "featurs:"),
        &[
            "p.yaml:7:1: unknown field `featurs`",
            "did you mean `features`?",
        ],
    );
}

#[test]
fn unknown_nested_key_names_position_and_nearest_key() {
    check(
        &GOOD.replace("  id: CustomerID", "  idd: CustomerID"),
        &[
            "p.yaml:4:3: input: unknown field `idd`",
            "did you mean `id`?",
        ],
    );
    check(
        &GOOD.replace("    k: [2, 4]", "    k: [2, 4]\n    n_inti: 3"),
        &[
            "p.yaml:12:5: cluster.kmeans: unknown field `n_inti`",
            "did you mean `n_init`?",
        ],
    );
}

#[test]
fn missing_feature_column_lists_the_columns_that_exist() {
    check(
        &GOOD.replace("use: [income, Age]", "use: [income, age]"),
        &[
            "p.yaml:8:3: feature column `age` is not in customers.csv (after renames).",
            "Did you mean `Age`?",
            "The columns are: `CustomerID`, `Gender`, `Age`, `income`, `Spending Score (1-100)`",
        ],
    );
}

#[test]
fn missing_id_and_outlier_columns_are_named() {
    check(
        &GOOD.replace("id: CustomerID", "id: CustomerId"),
        &[
            "p.yaml:4:3: the id column `CustomerId` is not in customers.csv",
            "Did you mean `CustomerID`?",
        ],
    );
    check(
        &format!("{GOOD}clean:\n  outliers: {{columns: [Income]}}\n"),
        &[
            "p.yaml:13:",
            "outlier column `Income` is not in customers.csv",
            "Did you mean `income`?",
        ],
    );
}

#[test]
fn rename_of_a_missing_column_lists_the_columns() {
    check(&GOOD.replace("\"Annual Income (k$)\": income", "\"Annual income\": income"), &[
        "input.rename: column `Annual income` is not in customers.csv. The columns are: `CustomerID`",
    ]);
}

#[test]
fn k_below_two_reversed_or_malformed_is_refused() {
    check(
        &GOOD.replace("k: [2, 4]", "k: 1"),
        &["p.yaml:11:5: cluster.kmeans.k must be at least 2, got 1"],
    );
    check(
        &GOOD.replace("k: [2, 4]", "k: [6, 3]"),
        &["p.yaml:11:5: cluster.kmeans.k range [6, 3] is reversed: write [3, 6]"],
    );
    check(
        &GOOD.replace("k: [2, 4]", "k: [2, 4, 6]"),
        &["p.yaml:11:5:", "a range of two numbers"],
    );
    check(
        &GOOD.replace("k: [2, 4]", "k: many"),
        &["p.yaml:11:", "k must be a whole number (k: 5) or a range"],
    );
}

#[test]
fn k_larger_than_the_rows_left_is_refused_with_its_position() {
    let w = project(&GOOD.replace("k: [2, 4]", "k: 250"));
    let err = w.fails(&["run", "p.yaml"]);
    assert!(err.contains("p.yaml:11:5: cluster.kmeans.k goes up to 250 but only 200 customers are left after cleaning"), "{err}");
}

#[test]
fn eps_must_be_positive_or_auto() {
    for eps in ["0", "-0.5", ".nan"] {
        let cfg = GOOD.replace(
            "    k: [2, 4]\n",
            &format!("    k: [2, 4]\n  dbscan: {{eps: {eps}}}\n"),
        );
        check(
            &cfg,
            &["p.yaml:12:12: cluster.dbscan.eps must be a positive number or `auto`"],
        );
    }
    let cfg = GOOD.replace(
        "    k: [2, 4]\n",
        "    k: [2, 4]\n  dbscan: {eps: automatic}\n",
    );
    check(
        &cfg,
        &["cluster.dbscan.eps must be a positive number or `auto`, got `automatic`"],
    );
}

#[test]
fn unknown_method_names_list_what_is_allowed() {
    check(&format!("{GOOD}scale: {{method: standart}}\n"), &[
        "p.yaml:12:9: `standart` is not a valid scale.method: expected one of `standard`, `minmax`, `robust`, `none`; did you mean `standard`?",
    ]);
    check(&format!("{GOOD}clean:\n  impute: {{numeric: medain}}\n"), &[
        "`medain` is not a valid clean.impute.numeric: expected one of `median`, `mean`, `constant`, `none`; did you mean `median`?",
    ]);
    check(
        &format!("{GOOD}clean:\n  outliers: {{method: zscor, columns: [Age]}}\n"),
        &["did you mean `zscore`?"],
    );
    check(
        &format!("{GOOD}evaluate: {{choose_by: silhouete}}\n"),
        &["did you mean `silhouette`?"],
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    check(
        &GOOD.replace("name: t", "name: t\nseed: forty-two"),
        &["p.yaml:2:7: seed: invalid type: string \"forty-two\", expected a whole number"],
    );
    check(
        &GOOD.replace("use: [income, Age]", "use: income"),
        &["p.yaml:8:8: features.use: invalid type: string \"income\", expected a list such as [a, b]"],
    );
}

#[test]
fn empty_and_non_yaml_files_are_refused() {
    check(
        "",
        &["p.yaml is empty: a pipeline needs at least `name`, `input` and `cluster`"],
    );
    check("   \n# only a comment\n", &["p.yaml is empty"]);
    check(
        "name: [unclosed\n",
        &["p.yaml:1:7: name: invalid type: sequence, expected text"],
    );
    check(
        "just some text",
        &[
            "p.yaml:",
            "expected the pipeline's settings (name:, input:, cluster:, ...)",
        ],
    );
}

#[test]
fn missing_input_and_directories_are_named() {
    check(
        &GOOD.replace("path: customers.csv", "path: nowhere.csv"),
        &["p.yaml:3:3: cannot read input nowhere.csv:"],
    );
    let w = project(&GOOD.replace("path: customers.csv", "path: ."));
    let err = w.fails(&["validate", "p.yaml"]);
    assert!(err.contains("input . is a directory"), "{err}");
    let w = Workdir::new();
    let err = w.fails(&["validate", "missing.yaml"]);
    assert!(
        err.contains("cannot read pipeline file missing.yaml"),
        "{err}"
    );
}

#[test]
fn unsafe_pipeline_names_are_refused() {
    for name in ["../escape", "/abs", "a/b", ".hidden"] {
        check(
            &GOOD.replace("name: t", &format!("name: \"{name}\"")),
            &["p.yaml:1:1: name", "it names the folder outputs/<name>"],
        );
    }
}

#[test]
fn derived_features_are_checked_before_running() {
    let with = |expr: &str| {
        GOOD.replace(
            "features:\n",
            &format!("features:\n  derive: {{ratio: \"{expr}\"}}\n"),
        )
    };
    check(
        &with("income / Agee"),
        &[
            "derived feature `ratio` uses a column `Agee` is not in customers.csv",
            "Did you mean `Age`?",
        ],
    );
    check(
        &with("(SELECT income FROM customers)"),
        &["`select` is not allowed"],
    );
    check(&with("read_csv('x.csv')"), &["`read_csv` is not allowed"]);
    check(&with("income +"), &["cannot parse expression \"income +\""]);
    let w = project(&with("income / Age").replace("use: [income, Age]", "use: [income, ratio]"));
    w.ok(&["run", "-q", "p.yaml"]);
    // The derived column holds income / Age, row for row.
    let f = crate::common::read_parquet(&w.path("outputs/t/03_features.parquet"));
    let col = |c: &str| crate::common::f64s(&f, c);
    let (ratio, income, age) = (col("ratio"), col("income"), col("Age"));
    assert!(ratio.len() > 150);
    for i in 0..ratio.len() {
        assert_eq!(ratio[i], income[i] / age[i], "row {i}");
    }
}
