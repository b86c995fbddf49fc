//! Pipeline files that are refused: each names the file, line and column, the key and what it expects.

use super::*;

#[test]
fn empty_file() {
    case(
        "",
        DATA.as_bytes(),
        &["p.yaml is empty: a pipeline needs at least `name`, `input` and `cluster`"],
    );
}
#[test]
fn comments_only() {
    case("# nothing\n\n", DATA.as_bytes(), &["p.yaml is empty"]);
}
#[test]
fn not_yaml() {
    case(
        "name: [unclosed\n",
        DATA.as_bytes(),
        &["p.yaml:1:7: name: invalid type: sequence, expected text"],
    );
}
#[test]
fn plain_text() {
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
fn unknown_top_level_key() {
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
fn unknown_key_input() {
    case(
        with("id: id}", "idd: id}"),
        DATA.as_bytes(),
        &["p.yaml:2:", "unknown field `idd`", "did you mean `id`?"],
    );
}
#[test]
fn unknown_key_clean() {
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
fn unknown_key_impute() {
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
fn unknown_key_outliers() {
    case(
        BASE.replace("clean:\n", "clean:\n  outliers: {colums: [a]}\n"),
        DATA.as_bytes(),
        &["unknown field `colums`", "did you mean `columns`?"],
    );
}
#[test]
fn unknown_key_features() {
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
fn unknown_key_scale() {
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
fn unknown_key_cluster() {
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
fn unknown_key_kmeans() {
    case(
        with("n_init: 2", "ninit: 2"),
        DATA.as_bytes(),
        &["unknown field `ninit`", "did you mean `n_init`?"],
    );
}
#[test]
fn unknown_key_dbscan() {
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
fn unknown_key_evaluate() {
    case(
        with("{choose_by: silhouette}", "{chose_by: silhouette}"),
        DATA.as_bytes(),
        &["unknown field `chose_by`", "did you mean `choose_by`?"],
    );
}
#[test]
fn unknown_key_profile() {
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
fn wrong_type_seed() {
    case(
        with("name: c\n", "name: c\nseed: [1]\n"),
        DATA.as_bytes(),
        &["p.yaml:2:7: seed: invalid type: sequence, expected a whole number"],
    );
}
#[test]
fn wrong_type_use() {
    case(
        with("use: [a, b]", "use: a"),
        DATA.as_bytes(),
        &["features.use: invalid type: string \"a\", expected a list such as [a, b]"],
    );
}
#[test]
fn wrong_type_k() {
    case(
        with("k: [2, 3]", "k: two"),
        DATA.as_bytes(),
        &["k must be a whole number (k: 5) or a range of two whole numbers (k: [2, 10])"],
    );
}
#[test]
fn k_range_reversed() {
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
fn k_range_of_three() {
    case(
        with("k: [2, 3]", "k: [2, 3, 4]"),
        DATA.as_bytes(),
        &["a range of two numbers (k: [2, 10]), got a list of 3"],
    );
}
#[test]
fn k_below_two() {
    case(
        with("k: [2, 3]", "k: [1, 3]"),
        DATA.as_bytes(),
        &["cluster.kmeans.k must be at least 2, got 1"],
    );
}
#[test]
fn k_above_rows() {
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
fn eps_zero() {
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
fn eps_negative() {
    case(
        with("n_init: 2}", "n_init: 2}\n  dbscan: {eps: -2.5}"),
        DATA.as_bytes(),
        &["got -2.5"],
    );
}
#[test]
fn eps_word() {
    case(
        with("n_init: 2}", "n_init: 2}\n  dbscan: {eps: big}"),
        DATA.as_bytes(),
        &["must be a positive number or `auto`, got `big`"],
    );
}
#[test]
fn unknown_scaler() {
    case(with("method: standard", "method: zscore"), DATA.as_bytes(), &["`zscore` is not a valid scale.method: expected one of `standard`, `minmax`, `robust`, `none`"]);
}
#[test]
fn unknown_impute_method() {
    case(
        with("numeric: median", "numeric: mode"),
        DATA.as_bytes(),
        &["`mode` is not a valid clean.impute.numeric"],
    );
}
#[test]
fn unknown_outlier_method() {
    case(BASE.replace("clean:\n", "clean:\n  outliers: {method: isolation_forest, columns: [a]}\n"), DATA.as_bytes(), &["`isolation_forest` is not a valid clean.outliers.method: expected one of `iqr`, `zscore`, `none`"]);
}
#[test]
fn unknown_metric() {
    case(with("choose_by: silhouette", "choose_by: inertia"), DATA.as_bytes(), &["`inertia` is not a valid evaluate.choose_by: expected one of `silhouette`, `davies_bouldin`, `calinski_harabasz`"]);
}
#[test]
fn choose_from_missing_algorithm() {
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
fn duplicate_keys() {
    case(
        with("name: c\n", "name: c\nname: d\n"),
        DATA.as_bytes(),
        &["p.yaml:1:1: duplicate field `name`"],
    );
}
#[test]
fn alias_bomb_within_seconds() {
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
fn very_long_name() {
    case(
        with("name: c", &format!("name: {}", "n".repeat(50_000))),
        DATA.as_bytes(),
        &["p.yaml:1:1: name `nnnn", "must be 1-100 characters"],
    );
}
#[test]
fn over_one_mib() {
    case(
        format!("{BASE}#{}\n", "x".repeat(1 << 20)),
        DATA.as_bytes(),
        &["a pipeline file must be under 1 MiB"],
    );
}
#[test]
fn missing_required_section() {
    case(
        "name: c\ninput: {path: d.csv}\n",
        DATA.as_bytes(),
        &["missing field `cluster`"],
    );
}
#[test]
fn cluster_without_algorithm() {
    case(
        with("  kmeans: {k: [2, 3], n_init: 2}\n", "  {}\n")
            .replace("cluster:\n  {}", "cluster: {}"),
        DATA.as_bytes(),
        &["cluster needs at least one algorithm: `kmeans`, `dbscan`, `agglomerative`, `hdbscan` or `gmm`"],
    );
}
#[test]
fn constant_impute_without_value() {
    case(
        with("numeric: median", "numeric: constant"),
        DATA.as_bytes(),
        &["clean.impute.numeric is `constant` but clean.impute.numeric_value is not set"],
    );
}
#[test]
fn recommendations_not_a_list() {
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
fn recommendation_with_a_typo_and_an_unknown_trait() {
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
fn explain_depth_out_of_range() {
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
