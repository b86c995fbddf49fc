//! A seeded mutation fuzzer for the config loader and CSV ingest: mutated pipeline files and
//! mutated CSV files must give `Ok` or a typed error, never a panic.
//!
//! CI runs a short pass. For a long run:
//!   SEGFLOW_FUZZ_ITERS=100000 cargo test --release --test it fuzz:: -- --nocapture

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use segflow::config;
use segflow::stages::ingest;

const PIPELINE: &str = include_str!("../../pipeline.yaml");
const DATA: &str = include_str!("../../data/mall_customers.csv");

fn iterations() -> usize {
    std::env::var("SEGFLOW_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

/// One random edit: flip, insert, delete, duplicate a slice, or splice in a YAML/CSV token.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8]) -> Vec<u8> {
    const TOKENS: &[&[u8]] = &[
        b":",
        b"- ",
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b"\"",
        b"'",
        b"&a ",
        b"*a",
        b"!!binary ",
        b"\n",
        b"\t",
        b"~",
        b"null",
        b"-1",
        b"1e999",
        b"NaN",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\r\n",
        b";",
        b"#",
    ];
    let mut v = input.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if v.is_empty() {
            v.push(b'x');
        }
        let at = rng.random_range(0..v.len());
        match rng.random_range(0..5) {
            0 => v[at] = rng.random(),
            1 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 => {
                let end = (at + rng.random_range(1..40)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let end = (at + rng.random_range(1..80)).min(v.len());
                let piece = v[at..end].to_vec();
                v.splice(at..at, piece);
            }
            _ => v.truncate(at),
        }
    }
    v
}

/// A refusal a user can act on: exit code 2 (bad config or data, not an internal error) and a
/// message of some words.
fn refused_for_the_user(e: &segflow::error::Error, what: &str) {
    let message = e.to_string();
    assert_eq!(
        e.exit_code(),
        2,
        "{what}\nrefused as an internal error: {message}"
    );
    assert!(
        message.split_whitespace().count() >= 3,
        "{what}\nmessage: {message:?}"
    );
}

#[test]
fn mutated_pipelines_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), DATA).unwrap();
    let base = PIPELINE.replace(
        "data/mall_customers.csv",
        dir.path().join("data.csv").to_str().unwrap(),
    );
    let (mut ok, mut err) = (0, 0);
    for i in 0..iterations() {
        let bytes = mutate(&mut rng, base.as_bytes());
        let text = String::from_utf8_lossy(&bytes).to_string();
        let result = catch_unwind(AssertUnwindSafe(|| {
            config::parse(Path::new("fuzz.yaml"), text.clone())
                .and_then(|plan| segflow::runner::check(&plan).map(|_| ()))
        }));
        match result {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                refused_for_the_user(&e, &format!("iteration {i}, pipeline:\n{text}"));
                err += 1
            }
            Err(_) => panic!("iteration {i}: panic on pipeline:\n{text}"),
        }
    }
    eprintln!(
        "config fuzz: {} inputs, {ok} accepted, {err} refused with an error",
        ok + err
    );
    // Both outcomes occur: a mutator that broke nothing, or everything, tests nothing.
    assert!(ok > 0 && err > 0, "{ok} accepted, {err} refused");
}

#[test]
fn mutated_csv_never_panics() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    let text = PIPELINE.replace("data/mall_customers.csv", path.to_str().unwrap());
    let plan = config::parse(Path::new("p.yaml"), text).unwrap();
    let (mut ok, mut err) = (0, 0);
    for i in 0..iterations() / 2 {
        let bytes = mutate(&mut rng, &DATA.as_bytes()[..2000]);
        std::fs::write(&path, &bytes).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| {
            segflow::runner::check(&plan).and_then(|_| ingest::run(&plan.input).map(|_| ()))
        }));
        match result {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                let csv = String::from_utf8_lossy(&bytes);
                refused_for_the_user(&e, &format!("iteration {i}, CSV:\n{csv}"));
                err += 1
            }
            Err(_) => panic!(
                "iteration {i}: panic on CSV:\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    eprintln!(
        "csv fuzz: {} inputs, {ok} read, {err} refused with an error",
        ok + err
    );
    assert!(ok > 0 && err > 0);
}
