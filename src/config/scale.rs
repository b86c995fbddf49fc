//! `scale`: how the model columns become the model matrix.

use super::raw::RawScale;
use super::source::{pick, Source};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleMethod {
    Standard,
    MinMax,
    Robust,
    None,
}

impl ScaleMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ScaleMethod::Standard => "standard",
            ScaleMethod::MinMax => "minmax",
            ScaleMethod::Robust => "robust",
            ScaleMethod::None => "none",
        }
    }
}

pub(super) fn from_raw(raw: Option<&RawScale>, src: &Source) -> Result<ScaleMethod> {
    Ok(match raw.and_then(|s| s.method.as_deref()) {
        None => ScaleMethod::Standard,
        Some(m) => match pick(
            src,
            &["scale", "method"],
            m,
            &["standard", "minmax", "robust", "none"],
        )? {
            "standard" => ScaleMethod::Standard,
            "minmax" => ScaleMethod::MinMax,
            "robust" => ScaleMethod::Robust,
            _ => ScaleMethod::None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{plan, refuses, with, BASE};
    use super::ScaleMethod;

    #[test]
    fn standard_by_default_and_only_known_methods() {
        assert_eq!(plan(BASE).scale, ScaleMethod::Standard);
        assert_eq!(
            plan(&with("scale: {method: robust}\n")).scale,
            ScaleMethod::Robust
        );
        refuses(
            &with("scale: {method: minmaxx}\n"),
            "did you mean `minmax`?",
        );
    }
}
