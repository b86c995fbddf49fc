//! Typed errors of the library. Each kind maps to an exit code at the binary edge:
//! problems with the user's config or data exit 2, anything else exits 1.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline file is malformed or asks for something impossible.
    #[error("{0}")]
    Config(String),
    /// The input data does not fit the pipeline (missing columns, wrong types, too few rows).
    #[error("{0}")]
    Data(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// polars reported an error we did not anticipate.
    #[error("polars: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Anything else that is a bug in segflow rather than a problem with the input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Exit code for the binary: 2 for bad config or data, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Data(_) => 2,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 2,
            _ => 1,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for a data error with a formatted message.
#[macro_export]
macro_rules! data_err {
    ($($arg:tt)*) => { $crate::error::Error::Data(format!($($arg)*)) };
}

/// Shorthand for a config error with a formatted message.
#[macro_export]
macro_rules! config_err {
    ($($arg:tt)*) => { $crate::error::Error::Config(format!($($arg)*)) };
}
