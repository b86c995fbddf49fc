//! The README and the user's guide: every relative link points at a file that exists, and
//! every `#anchor` at a heading of that file (GitHub's anchors: lower case, spaces to
//! hyphens, punctuation dropped). Every guide page is reachable from the README.

use crate::common::root;

/// GitHub's anchor of a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The relative links of a Markdown text, outside code blocks: (target file, anchor).
fn links(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        for part in line.split("](").skip(1) {
            let Some(target) = part.split(')').next() else {
                continue;
            };
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, hash) = match target.split_once('#') {
                Some((f, h)) => (f.to_string(), Some(h.to_string())),
                None => (target.to_string(), None),
            };
            out.push((file, hash));
        }
    }
    out
}

fn headings(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn readme_and_guide_links_resolve() {
    let mut pages = vec![root().join("README.md")];
    let mut guide: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guide.sort();
    assert!(guide.len() >= 10, "{guide:?}");
    pages.extend(guide.iter().cloned());
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 200,
        "the README is for five minutes"
    );
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (file, hash) in links(&text) {
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(&file)
            };
            assert!(
                target.exists(),
                "{}: link to {file}: no such file",
                page.display()
            );
            if let (Some(h), true) = (hash, target.extension().is_some_and(|e| e == "md")) {
                let text = std::fs::read_to_string(&target).unwrap();
                assert!(
                    headings(&text).contains(&h),
                    "{}: no heading #{h} in {file}",
                    page.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} links checked");
    for g in &guide {
        let name = format!("docs/{}", g.file_name().unwrap().to_str().unwrap());
        assert!(
            readme.contains(&format!("]({name})")),
            "{name} is not linked from the README"
        );
    }
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        anchor(" Machine-readable output"),
        "machine-readable-output"
    );
    assert_eq!(
        anchor(" Stability: segments you can trust"),
        "stability-segments-you-can-trust"
    );
    assert_eq!(
        anchor(" What lands in `outputs/<name>/`"),
        "what-lands-in-outputsname"
    );
    let l = links("see [a](docs/x.md#y) and [b](https://e.org)\n```\n[c](q.md)\n```\n[d](z.md)");
    let want = [("docs/x.md", Some("y")), ("z.md", None)];
    let want: Vec<(String, Option<String>)> = want
        .iter()
        .map(|(f, h)| (f.to_string(), h.map(str::to_string)))
        .collect();
    assert_eq!(l, want);
}
