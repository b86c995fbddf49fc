//! Writing the proposed pipeline: YAML by hand, because the comments are half its worth.

/// A YAML scalar for `s`: as is when it is a plain word, else double-quoted.
pub fn quote(s: &str) -> String {
    let reserved = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".inf", ".nan",
    ];
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !s.starts_with('-')
        && s.parse::<f64>().is_err()
        && !reserved.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

/// `[a, "b c"]`.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// Lines of a YAML document, with comments aligned after the values.
#[derive(Default)]
pub struct Doc {
    lines: Vec<(String, String)>,
}

impl Doc {
    /// A line without a comment (`""` for a blank line).
    pub fn line(&mut self, text: impl Into<String>) {
        self.lines.push((text.into(), String::new()));
    }

    /// A line with a trailing comment.
    pub fn note(&mut self, text: impl Into<String>, comment: impl Into<String>) {
        self.lines.push((text.into(), comment.into()));
    }

    pub fn render(&self) -> String {
        let width = self
            .lines
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(t, _)| t.chars().count())
            .filter(|&w| w <= 48)
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for (text, comment) in &self.lines {
            out.push_str(text);
            if !comment.is_empty() {
                let pad = width.saturating_sub(text.chars().count());
                out.push_str(&" ".repeat(pad + 2));
                out.push_str("# ");
                out.push_str(comment);
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_yaml_would_misread() {
        assert_eq!(quote("CustomerID"), "CustomerID");
        assert_eq!(
            quote("../shared/data/Mall_Customers.csv"),
            "../shared/data/Mall_Customers.csv"
        );
        assert_eq!(quote("Annual Income (k$)"), "\"Annual Income (k$)\"");
        assert_eq!(quote("no"), "\"no\"");
        assert_eq!(quote(".nan"), "\".nan\"");
        assert_eq!(quote("-x"), "\"-x\"");
        assert_eq!(quote("1.5"), "\"1.5\"");
        assert_eq!(quote("%Y-%m-%d"), "\"%Y-%m-%d\"");
        assert_eq!(list(&["a", "b c"]), "[a, \"b c\"]");
    }

    #[test]
    fn comments_line_up() {
        let mut d = Doc::default();
        d.note("a: 1", "one");
        d.note("bbb: 2", "two");
        d.line("");
        assert_eq!(d.render(), "a: 1    # one\nbbb: 2  # two\n\n");
    }
}
