//! Finds where a key sits in the pipeline file, so that errors found after parsing
//! (k < 2, an unknown column) can still point at a line and column.
//!
//! serde only reports positions for syntax and type errors; for semantic checks we walk the
//! block-style YAML by indentation. Flow-style maps (`{a: 1}`) are searched on their line.

/// 1-based line and column of the key at `path` (e.g. `["cluster", "kmeans", "k"]`).
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    // Stack of (indent, key) for the block-style keys seen so far.
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = line.len() - trimmed.len();
        let mut rest = trimmed;
        if let Some(after) = rest.strip_prefix("- ") {
            indent += 2;
            rest = after.trim_start();
        }
        let Some(key) = leading_key(rest) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key.to_string()));
        let keys: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
        if keys == path {
            return Some((lineno + 1, indent + 1));
        }
        // A flow map on this line: `kmeans: {k: [2, 10], n_init: 10}`.
        if path.len() > keys.len() && path.starts_with(&keys) {
            let wanted = path[path.len() - 1];
            let parent_ok = path.len() == keys.len() + 1;
            if parent_ok {
                if let Some(col) = find_flow_key(line, wanted) {
                    return Some((lineno + 1, col + 1));
                }
            }
        }
    }
    // Fall back to the deepest parent we can find.
    if path.len() > 1 {
        return locate(text, &path[..path.len() - 1]);
    }
    None
}

fn leading_key(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let (key, _) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        let after = &q[end + 1..];
        if !after.trim_start().starts_with(':') {
            return None;
        }
        return Some(&q[..end]);
    } else {
        s.split_once(':')?
    };
    let key = key.trim_end();
    if key.is_empty() || key.contains(['{', '[', ',', '"']) {
        return None;
    }
    Some(key)
}

fn find_flow_key(line: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = line[from..].find(key) {
        let start = from + pos;
        let before = line[..start].trim_end().chars().last();
        let after = line[start + key.len()..].trim_start().chars().next();
        if matches!(before, Some('{') | Some(',')) && after == Some(':') {
            return Some(start);
        }
        from = start + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::locate;

    const DOC: &str = "name: x\ninput:\n  path: a.csv\ncluster:\n  kmeans:\n    k: [2, 10]\n  dbscan: {eps: 0.3, min_samples: 5}\nfeatures:\n  use:\n    - income\n";

    #[test]
    fn finds_block_keys() {
        assert_eq!(locate(DOC, &["input", "path"]), Some((3, 3)));
        assert_eq!(locate(DOC, &["cluster", "kmeans", "k"]), Some((6, 5)));
        assert_eq!(locate(DOC, &["features", "use"]), Some((9, 3)));
    }

    #[test]
    fn finds_flow_keys_and_falls_back_to_parent() {
        assert_eq!(
            locate(DOC, &["cluster", "dbscan", "min_samples"]),
            Some((7, 22))
        );
        assert_eq!(locate(DOC, &["clean", "impute"]), None);
        assert_eq!(locate(DOC, &["input", "nothere"]), Some((2, 1)));
    }
}
