//! The progress display: one spinner line per run, only on a terminal.

use indicatif::{ProgressBar, ProgressStyle};

use crate::stages::Stage;

pub(super) struct Progress {
    pub(super) bar: Option<ProgressBar>,
}

impl Progress {
    pub(super) fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let b = ProgressBar::new(Stage::ALL.len() as u64);
            b.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Progress { bar }
    }
    pub(super) fn stage(&self, name: &str) {
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }
    pub(super) fn done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
