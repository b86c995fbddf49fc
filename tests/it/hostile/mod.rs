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

/// Invoice lines `c,i,d,m` (customer, invoice, date, amount) and a pipeline for them.
const TX: &str = "name: c\ninput:\n  path: d.csv\n  kind: transactions\n  columns: {customer: c, invoice: i, date: d, amount: m}\ncluster: {kmeans: {k: 2}}\nfeatures: {use: [recency, monetary]}\n";

/// [`TX`] on the streaming engine.
fn tx_streaming() -> String {
    TX.replace(
        "  kind: transactions\n",
        "  kind: transactions\n  engine: streaming\n",
    )
}

/// [`TX`] over `data` on the local and then the streaming engine: both run, give the same
/// features table, and say what they read.
fn on_both_engines(data: &[u8]) -> [(Workdir, String); 2] {
    let runs = [ok(TX, data), ok(&tx_streaming(), data)];
    let features =
        |w: &Workdir| crate::common::read_parquet(&w.path("outputs/c/03_features.parquet"));
    assert!(features(&runs[0].0).equals_missing(&features(&runs[1].0)));
    runs
}

mod config_refused;
mod data_refused;
mod expressions_refused;
mod file_shapes_refused;
mod numbers_as_written;
mod paths_refused;
mod unusual_but_fine;
