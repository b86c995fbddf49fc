//! Where the config came from, and the checks every section shares: a config error points at
//! the key's line and column, and a word that is not one of the allowed ones suggests the
//! nearest that is.

use std::path::PathBuf;

use super::locate::locate;
use super::suggest::nearest;
use crate::error::{Error, Result};

/// Where the config came from, for error positions and the manifest.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    /// A config error pointing at the key `path` in the file, when it can be found.
    pub fn error_at(&self, path: &[&str], msg: impl std::fmt::Display) -> Error {
        match locate(&self.text, path) {
            Some((line, col)) => {
                Error::Config(format!("{}:{line}:{col}: {msg}", self.path.display()))
            }
            None => Error::Config(format!("{}: {msg}", self.path.display())),
        }
    }
}

/// `value` (trimmed, any case) if it is one of `allowed`, else an error listing them.
pub(super) fn pick<'a>(
    src: &Source,
    path: &[&str],
    value: &str,
    allowed: &[&'a str],
) -> Result<&'a str> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(a) = allowed.iter().find(|a| **a == v) {
        return Ok(a);
    }
    let hint = nearest(&v, allowed.iter().copied())
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(src.error_at(
        path,
        format!(
            "`{}` is not a valid {}: expected one of {}{hint}",
            value,
            path.join("."),
            allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// An integer of at least `min`, as a `usize`.
pub(super) fn positive_int(src: &Source, path: &[&str], v: i64, min: i64) -> Result<usize> {
    if v < min {
        return Err(src.error_at(
            path,
            format!("{} must be at least {min}, got {v}", path.join(".")),
        ));
    }
    usize::try_from(v)
        .map_err(|_| src.error_at(path, format!("{} is too large: {v}", path.join("."))))
}
