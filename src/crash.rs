//! A test hook for kill-safety: with `SEGFLOW_ABORT_AT=write:N` the process aborts just
//! before the N-th artifact rename (a crash mid-stage, with the temporary file written);
//! with `database:1`, just before a database write commits (the rows copied, the new
//! table in the old one's place, nothing committed).
//! Unset in normal use; reading one environment variable costs nothing.

use std::sync::atomic::{AtomicUsize, Ordering};

static COUNT: AtomicUsize = AtomicUsize::new(0);

pub fn maybe_abort(point: &str) {
    let Ok(spec) = std::env::var("SEGFLOW_ABORT_AT") else {
        return;
    };
    let Some((name, n)) = spec.split_once(':') else {
        return;
    };
    if name != point {
        return;
    }
    let seen = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if n.parse::<usize>().ok() == Some(seen) {
        eprintln!("segflow: SEGFLOW_ABORT_AT={spec}: aborting");
        std::process::abort();
    }
}
