//! The catalogue of hostile inputs (issue: bad input never crashes and never loses data).
//! Every case runs the real binary and asserts the exit code and the message; failing cases
//! must not panic and must leave an earlier run's outputs as they were.

use crate::common::Workdir;

/// Twelve customers, two numeric features and a category.
const DATA: &str = "id,a,b,g\n1,1,10,x\n2,2,11,y\n3,3,12,x\n4,4,13,y\n5,5,14,x\n6,6,15,y\n\
                    7,50,60,x\n8,51,61,y\n9,52,62,x\n10,53,63,y\n11,54,64,x\n12,55,65,y\n";

const BASE: &str = "name: c
input: {path: d.csv, id: id}
clean:
  impute: {numeric: median, categorical: mode}
features:
  one_hot: [g]
  use: [a, b]
scale: {method: standard}
cluster:
  kmeans: {k: [2, 3], n_init: 2}
evaluate: {choose_by: silhouette}
profile: {top_features: 2}
";

struct Case<'a> {
    config: String,
    data: &'a [u8],
    args: &'a [&'a str],
    expect: &'a [&'a str],
}

fn case(config: impl Into<String>, data: &[u8], expect: &[&str]) {
    run_case(Case {
        config: config.into(),
        data,
        args: &[],
        expect,
    });
}

fn run_case(c: Case) {
    let w = Workdir::new();
    std::fs::write(w.path("d.csv"), c.data).unwrap();
    w.write("p.yaml", &c.config);
    // An earlier run's output that a failing run must leave alone.
    let sentinel = w.write("outputs/c/earlier.txt", "earlier run");
    let mut args = vec!["run", "-q", "p.yaml"];
    args.extend_from_slice(c.args);
    let started = std::time::Instant::now();
    let err = w.fails(&args);
    assert!(started.elapsed().as_secs() < 60);
    for e in c.expect {
        assert!(
            err.contains(e),
            "expected {e:?} in:\n{err}\nconfig:\n{}",
            c.config
        );
    }
    assert_user_words(&err);
    assert_eq!(std::fs::read_to_string(sentinel).unwrap(), "earlier run");
}

/// Words of polars and Rust that must never reach a user: messages speak of numbers, text
/// and dates, of files, lines and columns.
const TYPE_NAMES: &[&str] = &[
    "i8",
    "i16",
    "i32",
    "i64",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
    "isize",
    "f32",
    "f64",
    "str",
    "String",
    "Utf8",
    "Int64",
    "Float64",
    "Int32",
    "UInt32",
    "DataType",
    "dtype",
    "PolarsError",
    "ComputeError",
    "SchemaMismatch",
    "ColumnNotFound",
    "polars",
    "Option<",
    "Vec<",
    "Some(",
    "None",
    "unwrap",
    "panicked",
    "RawK",
    "RawEps",
    "untagged enum",
];

/// Fails when `message` holds one of [`TYPE_NAMES`] as a word.
fn assert_user_words(message: &str) {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '<' || c == '('))
        .collect();
    for name in TYPE_NAMES {
        let hit = if name.ends_with('<') || name.ends_with('(') || name.contains(' ') {
            message.contains(name)
        } else {
            words.contains(name)
        };
        assert!(!hit, "`{name}` in a message a user reads:\n{message}");
    }
}

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replace(from, to)
}

fn ok(config: &str, data: &[u8]) -> (Workdir, String) {
    let w = Workdir::new();
    std::fs::write(w.path("d.csv"), data).unwrap();
    w.write("p.yaml", config);
    let out = w.run(&["run", "p.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (
        w,
        format!("{}{stderr}", String::from_utf8_lossy(&out.stdout)),
    )
}

// ---- config ----

#[test]
fn c01_empty_file() {
    case(
        "",
        DATA.as_bytes(),
        &["p.yaml is empty: a pipeline needs at least `name`, `input` and `cluster`"],
    );
}
#[test]
fn c02_comments_only() {
    case("# nothing\n\n", DATA.as_bytes(), &["p.yaml is empty"]);
}
#[test]
fn c03_not_yaml() {
    case(
        "name: [unclosed\n",
        DATA.as_bytes(),
        &["p.yaml:1:7: name: invalid type: sequence, expected text"],
    );
}
#[test]
fn c04_plain_text() {
    case(
        "just words",
        DATA.as_bytes(),
        &[
            "p.yaml:1:1:",
            "expected the pipeline's settings (name:, input:, cluster:, ...)",
        ],
    );
}
#[test]
fn c05_unknown_top_level_key() {
    case(
        with("profile:", "profiel:"),
        DATA.as_bytes(),
        &[
            "p.yaml:12:1: unknown field `profiel`",
            "did you mean `profile`?",
        ],
    );
}
#[test]
fn c06_unknown_key_input() {
    case(
        with("id: id}", "idd: id}"),
        DATA.as_bytes(),
        &["p.yaml:2:", "unknown field `idd`", "did you mean `id`?"],
    );
}
#[test]
fn c07_unknown_key_clean() {
    case(
        with("  impute:", "  imputer:"),
        DATA.as_bytes(),
        &[
            "p.yaml:4:3: clean: unknown field `imputer`",
            "did you mean `impute`?",
        ],
    );
}
#[test]
fn c08_unknown_key_impute() {
    case(
        with("numeric: median", "numerc: median"),
        DATA.as_bytes(),
        &[
            "p.yaml:4:",
            "unknown field `numerc`",
            "did you mean `numeric`?",
        ],
    );
}
#[test]
fn c09_unknown_key_outliers() {
    case(
        BASE.replace("clean:\n", "clean:\n  outliers: {colums: [a]}\n"),
        DATA.as_bytes(),
        &["unknown field `colums`", "did you mean `columns`?"],
    );
}
#[test]
fn c10_unknown_key_features() {
    case(
        with("  one_hot:", "  onehot:"),
        DATA.as_bytes(),
        &[
            "p.yaml:6:3: features: unknown field `onehot`",
            "did you mean `one_hot`?",
        ],
    );
}
#[test]
fn c11_unknown_key_scale() {
    case(
        with("{method: standard}", "{methd: standard}"),
        DATA.as_bytes(),
        &[
            "p.yaml:8:",
            "unknown field `methd`",
            "did you mean `method`?",
        ],
    );
}
#[test]
fn c12_unknown_key_cluster() {
    case(
        with("  kmeans:", "  kmean:"),
        DATA.as_bytes(),
        &[
            "p.yaml:10:3: cluster: unknown field `kmean`",
            "did you mean `kmeans`?",
        ],
    );
}
#[test]
fn c13_unknown_key_kmeans() {
    case(
        with("n_init: 2", "ninit: 2"),
        DATA.as_bytes(),
        &["unknown field `ninit`", "did you mean `n_init`?"],
    );
}
#[test]
fn c14_unknown_key_dbscan() {
    case(
        with(
            "n_init: 2}",
            "n_init: 2}\n  dbscan: {eps: 1, min_sample: 3}",
        ),
        DATA.as_bytes(),
        &["unknown field `min_sample`", "did you mean `min_samples`?"],
    );
}
#[test]
fn c15_unknown_key_evaluate() {
    case(
        with("{choose_by: silhouette}", "{chose_by: silhouette}"),
        DATA.as_bytes(),
        &["unknown field `chose_by`", "did you mean `choose_by`?"],
    );
}
#[test]
fn c16_unknown_key_profile() {
    case(
        with("{top_features: 2}", "{top_feature: 2}"),
        DATA.as_bytes(),
        &[
            "unknown field `top_feature`",
            "did you mean `top_features`?",
        ],
    );
}
#[test]
fn c17_wrong_type_seed() {
    case(
        with("name: c\n", "name: c\nseed: [1]\n"),
        DATA.as_bytes(),
        &["p.yaml:2:7: seed: invalid type: sequence, expected a whole number"],
    );
}
#[test]
fn c18_wrong_type_use() {
    case(
        with("use: [a, b]", "use: a"),
        DATA.as_bytes(),
        &["features.use: invalid type: string \"a\", expected a list such as [a, b]"],
    );
}
#[test]
fn c19_wrong_type_k() {
    case(
        with("k: [2, 3]", "k: two"),
        DATA.as_bytes(),
        &["k must be a whole number (k: 5) or a range of two whole numbers (k: [2, 10])"],
    );
}
#[test]
fn c20_k_range_reversed() {
    case(
        with("k: [2, 3]", "k: [3, 2]"),
        DATA.as_bytes(),
        &[
            "p.yaml:10:",
            "cluster.kmeans.k range [3, 2] is reversed: write [2, 3]",
        ],
    );
}
#[test]
fn c21_k_range_of_three() {
    case(
        with("k: [2, 3]", "k: [2, 3, 4]"),
        DATA.as_bytes(),
        &["a range of two numbers (k: [2, 10]), got a list of 3"],
    );
}
#[test]
fn c22_k_below_two() {
    case(
        with("k: [2, 3]", "k: [1, 3]"),
        DATA.as_bytes(),
        &["cluster.kmeans.k must be at least 2, got 1"],
    );
}
#[test]
fn c23_k_above_rows() {
    case(
        with("k: [2, 3]", "k: [2, 13]"),
        DATA.as_bytes(),
        &[
            "p.yaml:10:",
            "cluster.kmeans.k goes up to 13 but only 12 customers are left after cleaning",
        ],
    );
}
#[test]
fn c24_eps_zero() {
    case(
        with("n_init: 2}", "n_init: 2}\n  dbscan: {eps: 0}"),
        DATA.as_bytes(),
        &[
            "p.yaml:11:",
            "cluster.dbscan.eps must be a positive number or `auto`, got 0",
        ],
    );
}
#[test]
fn c25_eps_negative() {
    case(
        with("n_init: 2}", "n_init: 2}\n  dbscan: {eps: -2.5}"),
        DATA.as_bytes(),
        &["got -2.5"],
    );
}
#[test]
fn c26_eps_word() {
    case(
        with("n_init: 2}", "n_init: 2}\n  dbscan: {eps: big}"),
        DATA.as_bytes(),
        &["must be a positive number or `auto`, got `big`"],
    );
}
#[test]
fn c27_unknown_scaler() {
    case(with("method: standard", "method: zscore"), DATA.as_bytes(), &["`zscore` is not a valid scale.method: expected one of `standard`, `minmax`, `robust`, `none`"]);
}
#[test]
fn c28_unknown_impute_method() {
    case(
        with("numeric: median", "numeric: mode"),
        DATA.as_bytes(),
        &["`mode` is not a valid clean.impute.numeric"],
    );
}
#[test]
fn c29_unknown_outlier_method() {
    case(BASE.replace("clean:\n", "clean:\n  outliers: {method: isolation_forest, columns: [a]}\n"), DATA.as_bytes(), &["`isolation_forest` is not a valid clean.outliers.method: expected one of `iqr`, `zscore`, `none`"]);
}
#[test]
fn c30_unknown_metric() {
    case(with("choose_by: silhouette", "choose_by: inertia"), DATA.as_bytes(), &["`inertia` is not a valid evaluate.choose_by: expected one of `silhouette`, `davies_bouldin`, `calinski_harabasz`"]);
}
#[test]
fn c31_choose_from_missing_algorithm() {
    case(
        with(
            "{choose_by: silhouette}",
            "{choose_by: silhouette, choose_from: dbscan}",
        ),
        DATA.as_bytes(),
        &["evaluate.choose_from names an algorithm that cluster does not configure"],
    );
}
#[test]
fn c32_duplicate_keys() {
    case(
        with("name: c\n", "name: c\nname: d\n"),
        DATA.as_bytes(),
        &["p.yaml:1:1: duplicate field `name`"],
    );
}
#[test]
fn c33_alias_bomb_is_refused_quickly() {
    let bomb = "features:\n  use: &a [l,l,l,l,l,l,l,l,l]\n  one_hot: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  \
                drop_first: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  derive: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n\
                name: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ninput: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
                cluster: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nseed: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
    let started = std::time::Instant::now();
    case(
        bomb,
        DATA.as_bytes(),
        &["p.yaml:", "invalid type: sequence, expected text"],
    );
    assert!(started.elapsed().as_secs() < 10);
}
#[test]
fn c34_very_long_name() {
    case(
        with("name: c", &format!("name: {}", "n".repeat(50_000))),
        DATA.as_bytes(),
        &["p.yaml:1:1: name `nnnn", "must be 1-100 characters"],
    );
}
#[test]
fn c35_config_over_one_mib() {
    case(
        format!("{BASE}#{}\n", "x".repeat(1 << 20)),
        DATA.as_bytes(),
        &["a pipeline file must be under 1 MiB"],
    );
}
#[test]
fn c36_missing_required_section() {
    case(
        "name: c\ninput: {path: d.csv}\n",
        DATA.as_bytes(),
        &["missing field `cluster`"],
    );
}
#[test]
fn c37_cluster_without_algorithm() {
    case(
        with("  kmeans: {k: [2, 3], n_init: 2}\n", "  {}\n")
            .replace("cluster:\n  {}", "cluster: {}"),
        DATA.as_bytes(),
        &["cluster needs at least one algorithm: `kmeans`, `dbscan`, `agglomerative`, `hdbscan` or `gmm`"],
    );
}
#[test]
fn c38_constant_impute_without_value() {
    case(
        with("numeric: median", "numeric: constant"),
        DATA.as_bytes(),
        &["clean.impute.numeric is `constant` but clean.impute.numeric_value is not set"],
    );
}
#[test]
fn c39_recommendations_not_a_list() {
    case(
        with(
            "profile: {top_features: 2}",
            "profile: {recommendations: 5}",
        ),
        DATA.as_bytes(),
        &[
            "p.yaml:12:",
            "profile.recommendations: invalid type: integer `5`, expected a list such as [a, b]",
        ],
    );
}
#[test]
fn c40_recommendation_with_a_typo_and_an_unknown_trait() {
    case(
        with(
            "profile: {top_features: 2}",
            "profile:\n  recommendations:\n    - {when: [high a], actoin: x}",
        ),
        DATA.as_bytes(),
        &[
            "profile.recommendations[0]: unknown field `actoin`",
            "did you mean `action`?",
        ],
    );
    case(
        with(
            "profile: {top_features: 2}",
            "profile:\n  recommendations:\n    - {when: [high a, rich], action: x}",
        ),
        DATA.as_bytes(),
        &["p.yaml:13:3: profile.recommendations rule 1: `rich` is not a trait; use `high <feature>`"],
    );
}
#[test]
fn c41_explain_depth_out_of_range() {
    case(
        with("profile: {top_features: 2}", "profile: {explain_depth: 0}"),
        DATA.as_bytes(),
        &["profile.explain_depth must be at least 1, got 0"],
    );
    case(
        with("profile: {top_features: 2}", "profile: {explain_depth: 30}"),
        DATA.as_bytes(),
        &["profile.explain_depth must be at most 8"],
    );
}

// ---- paths ----

#[test]
fn p01_missing_input() {
    case(
        with("path: d.csv", "path: nowhere.csv"),
        DATA.as_bytes(),
        &["p.yaml:2:9: cannot read input nowhere.csv: No such file or directory"],
    );
}
#[test]
fn p02_input_is_a_directory() {
    case(
        with("path: d.csv", "path: outputs"),
        DATA.as_bytes(),
        &["input outputs is a directory: input.path must name a file"],
    );
}
#[test]
fn p03_missing_pipeline_file() {
    let w = Workdir::new();
    let err = w.fails(&["run", "nope.yaml"]);
    assert!(err.contains("cannot read pipeline file nope.yaml"), "{err}");
}
#[test]
fn p04_pipeline_is_a_directory() {
    let w = Workdir::new();
    w.write("dir/x", "");
    let err = w.fails(&["run", "dir"]);
    assert!(
        err.contains("dir is a directory, not a pipeline file"),
        "{err}"
    );
}
#[test]
fn p05_name_escaping_the_outputs_folder() {
    case(
        with("name: c", "name: \"../../etc\""),
        DATA.as_bytes(),
        &["name `../../etc` must be 1-100 characters of letters, digits"],
    );
}
#[test]
fn p06_absolute_name() {
    case(
        with("name: c", "name: /tmp/x"),
        DATA.as_bytes(),
        &["name `/tmp/x` must be"],
    );
}
#[test]
fn p07_unwritable_output_folder() {
    let w = Workdir::new();
    std::fs::write(w.path("d.csv"), DATA).unwrap();
    w.write("p.yaml", BASE);
    w.write("afile", "not a folder");
    let err = w.fails(&["run", "p.yaml", "--out-dir", "afile"]);
    assert!(
        err.contains("cannot create the output folder afile/c"),
        "{err}"
    );
}

// ---- data ----

#[test]
fn d01_empty_file() {
    case(BASE, b"", &["input d.csv is empty (0 bytes)"]);
}
#[test]
fn d02_header_only() {
    case(
        BASE,
        b"id,a,b,g\n",
        &["d.csv has a header but no data rows"],
    );
}
#[test]
fn d03_one_row() {
    case(
        BASE,
        b"id,a,b,g\n1,2,3,x\n",
        &["cluster.kmeans.k goes up to 3 but only 1 customers are left after cleaning"],
    );
}
#[test]
fn d04_missing_id_column() {
    case(
        BASE,
        b"ID,a,b,g\n1,2,3,x\n2,3,4,y\n3,4,5,x\n",
        &["the id column `id` is not in d.csv (after renames). Did you mean `ID`?"],
    );
}
#[test]
fn d05_duplicate_ids() {
    let data = DATA.replace("\n2,2,11,y\n", "\n1,2,11,y\n");
    case(
        BASE,
        data.as_bytes(),
        &["the id column `id` has 1 duplicated value(s), e.g. 1: ids must be unique"],
    );
}
#[test]
fn d06_missing_feature_column() {
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
fn d07_text_in_a_numeric_column() {
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
fn d08_all_null_column() {
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
fn d09_huge_numbers() {
    let data = DATA.replace("\n7,50,60,x\n", "\n7,1e300,60,x\n");
    case(
        BASE,
        data.as_bytes(),
        &["feature `a` has a value too large to cluster on (1e300)"],
    );
}
#[test]
fn d10_fewer_distinct_points_than_k() {
    let data = "id,a,b,g\n1,1,1,x\n2,1,1,x\n3,2,2,x\n4,2,2,x\n5,1,1,y\n";
    case(
        BASE,
        data.as_bytes(),
        &["k = 3 but the data has only 2 distinct point(s): lower cluster.kmeans.k"],
    );
}
#[test]
fn d11_all_points_identical() {
    let data = "id,a,b,g\n1,1,1,x\n2,1,1,x\n3,1,1,x\n4,1,1,x\n";
    case(
        BASE,
        data.as_bytes(),
        &["k = 2 but the data has only 1 distinct point(s)"],
    );
}
#[test]
fn d12_invalid_utf8() {
    let mut data = DATA.as_bytes().to_vec();
    data.extend_from_slice(b"13,3,4,\xff\xfe\n");
    case(
        BASE,
        &data,
        &["cannot read d.csv as CSV: invalid utf-8 sequence"],
    );
}
#[test]
fn d13_transaction_dates_in_the_wrong_format() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, date_format: \"%d/%m/%Y\", amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    case(
        config,
        b"c,i,d,m\n1,a,2011-01-32 10:00,5\n2,b,2011-03-04 10:00,6\n",
        &["cannot read the transaction dates in `d` with format `%d/%m/%Y`: 2 of 2 distinct values are not dates in that format, e.g. `2011-01-32 10:00`"],
    );
}
#[test]
fn d14_transactions_all_cancellations() {
    let config = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";
    case(config, b"c,i,d,m\n1,C1,2011-01-02 10:00:00,-5\n2,C2,2011-03-04 10:00:00,-6\n", &["no transaction lines are left after cleaning (2 dropped: 2 cancellation (invoice starts with C))"]);
}
/// A `C` that starts an order id (`CA-…`, Canada) marks no cancellation unless the config
/// names the prefix: positive lines are purchases; with `cancel_prefix: C` every one goes.
#[test]
fn d14_orders_starting_with_c_are_purchases_unless_the_prefix_is_named() {
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
#[test]
fn d15_unknown_input_kind() {
    case(
        with("id: id}", "id: id, kind: invoices}"),
        DATA.as_bytes(),
        &["`invoices` is not a valid input.kind: expected one of `customers`, `transactions`"],
    );
}
#[test]
fn d16_transactions_without_a_column_map() {
    case(
        with("id: id}", "id: id, kind: transactions}"),
        DATA.as_bytes(),
        &["input.kind: transactions needs input.columns"],
    );
}
#[test]
fn d17_transaction_column_missing() {
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

// ---- expressions ----

#[test]
fn e01_a_query_is_not_an_expression() {
    case(
        with(
            "  one_hot:",
            "  derive: {x: \"(SELECT a FROM t)\"}\n  one_hot:",
        ),
        DATA.as_bytes(),
        &["derived feature `x`: `select` is not allowed"],
    );
}
#[test]
fn e02_file_reads_are_refused() {
    case(
        with(
            "  one_hot:",
            "  derive: {x: \"read_parquet('/etc/passwd')\"}\n  one_hot:",
        ),
        DATA.as_bytes(),
        &["`read_parquet` is not allowed"],
    );
}
#[test]
fn e03_unknown_column_in_an_expression() {
    case(
        with("  one_hot:", "  derive: {x: \"a / bb\"}\n  one_hot:"),
        DATA.as_bytes(),
        &[
            "derived feature `x` uses a column `bb` is not in d.csv",
            "Did you mean `b`?",
        ],
    );
}
#[test]
fn e04_text_valued_expression() {
    case(
        with("  one_hot:", "  derive: {x: \"'word'\"}\n  one_hot:")
            .replace("use: [a, b]", "use: [a, x]"),
        DATA.as_bytes(),
        &["derived feature `x` = \"'word'\" gives text, not numbers"],
    );
}

// ---- inputs that are unusual but fine ----

#[test]
fn g01_byte_order_mark() {
    let mut data = b"\xef\xbb\xbf".to_vec();
    data.extend_from_slice(DATA.as_bytes());
    same_as_plain(&data);
}
#[test]
fn g02_crlf_line_endings() {
    same_as_plain(DATA.replace('\n', "\r\n").as_bytes());
}
#[test]
fn g03_semicolon_delimiter() {
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
fn g04_quoted_newlines() {
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
fn g05_constant_column_does_not_divide_by_zero() {
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
fn g06_nan_and_inf_are_imputed() {
    let data = DATA
        .replace("\n3,3,12,x\n", "\n3,NaN,12,x\n")
        .replace("\n4,4,13,y\n", "\n4,inf,13,y\n");
    let (w, _) = ok(BASE, data.as_bytes());
    let model = std::fs::read_to_string(w.path("outputs/c/model.json")).unwrap();
    assert!(model.contains("\"filled\": 2"), "{model}");
}
#[test]
fn g07_negative_ages_are_data_not_errors() {
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
fn g08_dbscan_leaving_every_point_noise_warns_and_reports() {
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
fn g09_identical_points_with_dbscan_make_one_segment() {
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
fn g10_a_one_hot_column_in_use_is_text_by_design() {
    // Regression: the text-in-numeric check must not flag a category listed in one_hot.
    let (w, _) = ok(&with("use: [a, b]", "use: [a, b, g]"), DATA.as_bytes());
    let model = std::fs::read_to_string(w.path("outputs/c/model.json")).unwrap();
    assert!(model.contains("\"g_y\""), "{model}");
}

// Real files as they come: headerless and whitespace files, integer dates, words not types.

const TX: &str = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";

#[test]
fn e01_header_false_without_names() {
    case(
        with("id: id}", "id: id, header: false}"),
        DATA.as_bytes(),
        &["p.yaml:2:", "input.header: false needs input.names"],
    );
}
#[test]
fn e02_names_without_header_false() {
    case(
        with("id: id}", "id: id, names: [id, a, b, g]}"),
        DATA.as_bytes(),
        &["input.names names the columns of a file without a header line: add `header: false`"],
    );
}
#[test]
fn e03_duplicate_names() {
    case(
        with("id: id}", "id: id, header: false, names: [id, a, a, g]}"),
        DATA.as_bytes(),
        &["input.names must be distinct and not empty; `a` is not"],
    );
}
#[test]
fn e04_names_and_fields_disagree() {
    case(
        with("id: id}", "id: id, header: false, names: [id, a, b]}"),
        b"1,1,10,x\n2,2,11,y\n",
        &["input.names lists 3 names but the lines of d.csv have 4 fields"],
    );
}
#[test]
fn e05_whitespace_delimiter_on_parquet() {
    case(
        with("id: id}", "id: id, format: parquet, delimiter: whitespace}"),
        DATA.as_bytes(),
        &["input.delimiter applies to text files"],
    );
}
#[test]
fn e06_two_character_delimiter() {
    case(
        with("id: id}", "id: id, delimiter: ab}"),
        DATA.as_bytes(),
        &["input.delimiter must be a single ASCII character, `tab` or `whitespace`, got `ab`"],
    );
}
#[test]
fn e07_space_separated_file_read_as_csv() {
    case(BASE, b"id a b g\n1 1 10 x\n2 2 11 y\n", &["cannot read d.csv as CSV: line 1 of d.csv has 4 fields separated by spaces, read as 1 column: try `delimiter: whitespace`"]);
}
#[test]
fn e08_integer_dates_not_yyyymmdd_without_a_format() {
    case(TX, b"c,i,d,m\n1,a,1997011,5\n2,b,1997012,6\n", &["transaction date column `d` holds whole numbers (e.g. 1997011) that are not dates written as YYYYMMDD: set input.columns.date_format"]);
}
#[test]
fn e09_integer_dates_in_another_format() {
    let config = TX.replace("date: d,", "date: d, date_format: \"%d%m%Y\",");
    case(config, b"c,i,d,m\n1,a,19970101,5\n2,b,19970102,6\n", &["cannot read the transaction dates in `d` with format `%d%m%Y`: 2 of 2 distinct values are not dates in that format, e.g. `19970101`"]);
}
#[test]
fn e10_decimal_dates() {
    case(TX, b"c,i,d,m\n1,a,1.5,5\n2,b,2.5,6\n", &["transaction date column `d` holds decimal numbers (e.g. 1.5) that are not spreadsheet serial days of 1950–2099: expected dates, text, or numbers with input.columns.date_format (`excel` reads serial days)"]);
}
#[test]
fn e11_text_amounts() {
    case(
        TX,
        b"c,i,d,m\n1,a,2011-01-02 10:00:00,five\n2,b,2011-01-03 10:00:00,six\n",
        &["transaction column `m` holds text: expected numbers"],
    );
}
#[test]
fn e12_text_feature() {
    let config = with("use: [a, b]", "use: [a, g]").replace("  one_hot: [g]\n", "");
    case(
        config,
        DATA.as_bytes(),
        &["column `g` should hold numbers but data row 1 (id 1) has `x`"],
    );
}
#[test]
fn e13_text_outlier_column() {
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
fn e14_seed_as_a_word() {
    case(
        with("name: c\n", "name: c\nseed: abc\n"),
        DATA.as_bytes(),
        &["seed: invalid type: string \"abc\", expected a whole number"],
    );
}
#[test]
fn e15_drop_first_as_a_word() {
    case(
        with("  one_hot: [g]\n", "  one_hot: [g]\n  drop_first: maybe\n"),
        DATA.as_bytes(),
        &["drop_first: invalid type: string \"maybe\", expected true or false"],
    );
}
#[test]
fn e16_numeric_value_as_a_word() {
    case(
        with("{numeric: median,", "{numeric: constant, numeric_value: x,"),
        DATA.as_bytes(),
        &["numeric_value: invalid type: string \"x\", expected a number"],
    );
}
#[test]
fn e17_names_as_one_string() {
    case(
        with("id: id}", "id: id, header: false, names: id a b g}"),
        DATA.as_bytes(),
        &["names: invalid type: string \"id a b g\", expected a list such as [a, b]"],
    );
}
#[test]
fn e18_zero_padded_duplicate_ids_are_named_as_written() {
    case(
        BASE,
        b"id,a,b,g\n01,1,10,x\n01,2,11,y\n1,3,12,x\n",
        &["the id column `id` has 1 duplicated value(s), e.g. 01: ids must be unique"],
    );
}
#[test]
fn e19_transactions_without_a_customer_column() {
    case(
        TX.replace("customer: c, ", ""),
        b"c,i,d,m\n1,a,2011-01-02 10:00:00,5\n",
        &["missing field `customer`"],
    );
}
#[test]
fn e20_n_init_as_a_fraction() {
    case(
        with("n_init: 2}", "n_init: 1.5}"),
        DATA.as_bytes(),
        &["n_init: invalid type: floating point `1.5`, expected a whole number"],
    );
}
#[test]
fn e21_header_false_on_parquet() {
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
fn e22_invoice_prefix_rule_without_invoices() {
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
fn e23_text_after_ten_thousand_numbers() {
    let mut data = String::from("id,a,b,g\n");
    for i in 1..=10_050 {
        data.push_str(&format!("{i},{},{},x\n", i % 50, i % 7));
    }
    data.push_str("10051,abc,3,y\n");
    case(BASE, data.as_bytes(), &["cannot read d.csv as CSV: column `a` holds whole numbers in its first 10,000 lines but `abc` further down"]);
}

// ---- numbers as people write them (src/numbers.rs) ----

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
fn n01_decimal_comma_without_the_key() {
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
fn n02_thousands_that_nothing_decides() {
    let data = data_with_a(',', |_, a| format!("\"{a},250\""));
    case(
        BASE,
        data.as_bytes(),
        &["column `a` holds numbers such as `1,250` that read as 1250 with a decimal point and as 1.25 with a decimal comma, and no value decides: set `input.decimal: \".\"` or `input.decimal: \",\"`"],
    );
}

#[test]
fn n03_a_word_among_amounts_names_its_line() {
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
fn n04_decimal_is_a_mark() {
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
fn n05_decimal_comma_with_a_point_in_a_value() {
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
fn n06_the_key_decides_thousands() {
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
fn n07_serial_days_out_of_the_span_say_which() {
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
