//! The integration tests, one binary (one link instead of thirteen): each module drives the
//! real `segflow` binary on temporary folders or calls the library on fixtures and the real
//! data sets. `cargo test --test it report::` runs one module.

mod common;

mod agglomerative;
mod assign;
mod assign_lines;
mod cache;
mod clean_reference;
mod cli;
mod compare;
mod config_errors;
mod docs;
mod engines;
mod fuzz;
mod gmm;
mod hdbscan;
mod hostile;
mod init;
mod init_content;
mod json;
mod mall_kaggle;
mod marketing_campaign;
mod metrics;
mod postgres;
mod predict;
mod real_files;
mod reference;
mod report;
mod report_language;
mod rfm_reference;
mod shapes;
mod sheets;
#[cfg(feature = "spark")]
mod spark;
mod stability;
mod streaming;
mod transactions;
