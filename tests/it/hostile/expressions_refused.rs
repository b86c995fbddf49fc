//! Derived-feature expressions that could do more than arithmetic: refused naming the feature.

use super::*;

#[test]
fn a_query_is_not_an_expression() {
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
fn file_reads_are_refused() {
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
fn unknown_column_in_an_expression() {
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
fn text_valued_expression() {
    case(
        with("  one_hot:", "  derive: {x: \"'word'\"}\n  one_hot:")
            .replace("use: [a, b]", "use: [a, x]"),
        DATA.as_bytes(),
        &["derived feature `x` = \"'word'\" gives text, not numbers"],
    );
}
