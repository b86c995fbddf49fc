//! Paths that cannot be read or written: refused naming the path, an earlier run kept.

use super::*;

#[test]
fn missing_input() {
    case(
        with("path: d.csv", "path: nowhere.csv"),
        DATA.as_bytes(),
        &["p.yaml:2:9: cannot read input nowhere.csv: No such file or directory"],
    );
}
#[test]
fn input_is_a_directory() {
    case(
        with("path: d.csv", "path: outputs"),
        DATA.as_bytes(),
        &["input outputs is a directory: input.path must name a file"],
    );
}
#[test]
fn missing_pipeline_file() {
    let w = Workdir::new();
    let err = w.fails(&["run", "nope.yaml"]);
    assert!(err.contains("cannot read pipeline file nope.yaml"), "{err}");
}
#[test]
fn pipeline_is_a_directory() {
    let w = Workdir::new();
    w.write("dir/x", "");
    let err = w.fails(&["run", "dir"]);
    assert!(
        err.contains("dir is a directory, not a pipeline file"),
        "{err}"
    );
}
#[test]
fn name_escaping_the_outputs_folder() {
    case(
        with("name: c", "name: \"../../etc\""),
        DATA.as_bytes(),
        &["name `../../etc` must be 1-100 characters of letters, digits"],
    );
}
#[test]
fn absolute_name() {
    case(
        with("name: c", "name: /tmp/x"),
        DATA.as_bytes(),
        &["name `/tmp/x` must be"],
    );
}
#[test]
fn unwritable_output_folder() {
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
