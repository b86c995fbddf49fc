//! "Did you mean …?" for keys, method names and columns.

/// The candidate closest to `word` by Jaro-Winkler similarity, if any is reasonably close.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&w, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(nearest("fromat", ["path", "format", "id"]), Some("format"));
        assert_eq!(nearest("standrd", ["standard", "minmax"]), Some("standard"));
        assert_eq!(nearest("zzz", ["standard", "minmax"]), None);
        assert_eq!(nearest("a", ["name", "seed", "input"]), None);
    }
}
