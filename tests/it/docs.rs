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

/// The base a probe changes: the smallest pipeline the parser takes.
const PROBE_BASE: &str = "name: t\ninput: {path: d.csv}\ncluster: {kmeans: {k: 2}}\n";

/// The fields of the section at `path` as the parser lists them for an unknown key (`None`:
/// not a section: a value, a list of values, a map of the user's names). A list of sections
/// (`profile.recommendations`) is probed through its first item.
fn fields_at(path: &[String]) -> Option<Vec<String>> {
    use serde_norway::{Mapping, Value};
    let probe = |leaf: Value| {
        let mut root: Value = serde_norway::from_str(PROBE_BASE).unwrap();
        let mut at = &mut root;
        for key in path {
            let map = at.as_mapping_mut().unwrap();
            let key = Value::String(key.clone());
            if !matches!(map.get(&key), Some(Value::Mapping(_))) {
                map.insert(key.clone(), Value::Mapping(Mapping::new()));
            }
            at = map.get_mut(&key).unwrap();
        }
        *at = leaf;
        let text = serde_norway::to_string(&root).unwrap();
        let e = segflow::config::parse(std::path::Path::new("p.yaml"), text).err()?;
        let msg = e.to_string();
        let rest = msg
            .split("unknown field `zz_probe`, expected ")
            .nth(1)?
            .to_string();
        let rest = rest.split("; did you mean").next().unwrap().to_string();
        Some(
            rest.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect(),
        )
    };
    let mut section = Mapping::new();
    section.insert(Value::String("zz_probe".into()), Value::from(1));
    probe(Value::Mapping(section.clone()))
        .or_else(|| probe(Value::Sequence(vec![Value::Mapping(section)])))
}

/// Every key path the parser accepts, `input.columns.customer` and the like.
fn accepted_keys() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        for field in fields_at(&path).unwrap_or_default() {
            let mut p = path.clone();
            p.push(field);
            out.push(p.clone());
            if fields_at(&p).is_some() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The key paths the YAML blocks of docs/config.md write, descending only into sections.
fn documented_keys(sections: &[Vec<String>]) -> Vec<Vec<String>> {
    fn walk(
        v: &serde_norway::Value,
        path: &[String],
        sections: &[Vec<String>],
        out: &mut Vec<Vec<String>>,
    ) {
        match v {
            serde_norway::Value::Mapping(m)
                if path.is_empty() || sections.iter().any(|s| s == path) =>
            {
                for (k, v) in m {
                    let mut p = path.to_vec();
                    p.push(k.as_str().unwrap_or_default().to_string());
                    out.push(p.clone());
                    walk(v, &p, sections, out);
                }
            }
            serde_norway::Value::Sequence(items) if sections.iter().any(|s| s == path) => {
                for item in items {
                    walk(item, path, sections, out);
                }
            }
            _ => {}
        }
    }
    let text = std::fs::read_to_string(root().join("docs/config.md")).unwrap();
    let mut out = Vec::new();
    for block in text.split("```yaml\n").skip(1) {
        let yaml = block.split("```").next().unwrap();
        let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap_or_else(|e| {
            panic!("a YAML block of docs/config.md does not parse: {e}\n{yaml}")
        });
        walk(&value, &[], sections, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// docs/config.md writes every key `pipeline.yaml` accepts, and no key it refuses.
#[test]
fn the_config_reference_has_every_key_and_only_those() {
    let accepted = accepted_keys();
    assert!(accepted.len() > 60, "{accepted:?}");
    let sections: Vec<Vec<String>> = accepted
        .iter()
        .filter(|p| fields_at(p).is_some())
        .cloned()
        .collect();
    let documented = documented_keys(&sections);
    let join = |p: &Vec<String>| p.join(".");
    let missing: Vec<String> = accepted
        .iter()
        .filter(|p| !documented.contains(p))
        .map(join)
        .collect();
    let unknown: Vec<String> = documented
        .iter()
        .filter(|p| !accepted.contains(p))
        .map(join)
        .collect();
    assert!(
        missing.is_empty(),
        "accepted but not in docs/config.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "in docs/config.md but refused: {unknown:?}"
    );
}

/// docs/commands.md names every command of `segflow --help` and every option of each.
#[test]
fn the_commands_page_has_every_command_and_option() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_segflow"))
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    // The names under "Commands:", but `help`.
    let commands = |text: &str| -> Vec<String> {
        text.split("Commands:\n")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|c| c != "help")
            .collect()
    };
    let page = std::fs::read_to_string(root().join("docs/commands.md")).unwrap();
    let mut missing = Vec::new();
    let mut todo: Vec<Vec<String>> = commands(&help(&[])).into_iter().map(|c| vec![c]).collect();
    assert!(todo.len() >= 10, "{todo:?}");
    while let Some(cmd) = todo.pop() {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let text = help(&args);
        if !page.contains(&format!("segflow {}", cmd.join(" "))) {
            missing.push(format!("segflow {}", cmd.join(" ")));
        }
        for sub in commands(&text) {
            todo.push([cmd.clone(), vec![sub]].concat());
        }
        // Option lines: "  -o, --out <OUT>" or "      --runs <RUNS>".
        for line in text.lines().filter(|l| l.trim_start().starts_with('-')) {
            let Some(flag) = line.split_whitespace().find(|w| w.starts_with("--")) else {
                continue;
            };
            let flag = flag.trim_end_matches(',');
            if !["--help", "--version"].contains(&flag) && !page.contains(flag) {
                missing.push(format!("segflow {} {flag}", cmd.join(" ")));
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/commands.md: {missing:?}");
}

/// Every key path of a JSON Schema (`$ref`s resolved, alternatives and list items walked).
fn schema_keys(schema: &serde_json::Value) -> Vec<Vec<String>> {
    fn walk(
        root: &serde_json::Value,
        v: &serde_json::Value,
        path: &[String],
        out: &mut Vec<Vec<String>>,
    ) {
        let v = match v.get("$ref").and_then(|r| r.as_str()) {
            Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
            None => v,
        };
        for key in ["anyOf", "oneOf", "allOf"] {
            for alt in v.get(key).and_then(|a| a.as_array()).into_iter().flatten() {
                walk(root, alt, path, out);
            }
        }
        if let Some(items) = v.get("items") {
            walk(root, items, path, out);
        }
        for (k, sub) in v
            .get("properties")
            .and_then(|p| p.as_object())
            .into_iter()
            .flatten()
        {
            let p = [path.to_vec(), vec![k.clone()]].concat();
            out.push(p.clone());
            walk(root, sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(schema, schema, &[], &mut out);
    out.sort();
    out.dedup();
    out
}

/// `segflow schema` names exactly the keys the parser accepts, and the shipped
/// `segflow.schema.json` (which `pipeline.yaml`'s first line points editors at) is its output.
#[test]
fn the_schema_has_the_parsers_keys_and_ships_as_printed() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_segflow"))
        .arg("schema")
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    let keys = schema_keys(&schema);
    let accepted = accepted_keys();
    let join = |p: &Vec<String>| p.join(".");
    let extra: Vec<String> = keys
        .iter()
        .filter(|k| !accepted.contains(k))
        .map(join)
        .collect();
    let absent: Vec<String> = accepted
        .iter()
        .filter(|k| !keys.contains(k))
        .map(join)
        .collect();
    assert!(
        extra.is_empty() && absent.is_empty(),
        "schema only: {extra:?}; parser only: {absent:?}"
    );
    let shipped = std::fs::read_to_string(root().join("segflow.schema.json")).unwrap();
    assert!(shipped == printed, "segflow.schema.json is not `segflow schema`'s output: run `cargo run -- schema > segflow.schema.json`");
    let pipeline = std::fs::read_to_string(root().join("pipeline.yaml")).unwrap();
    assert!(pipeline.starts_with("# yaml-language-server: $schema=segflow.schema.json\n"));
}

/// The shipped `segflow.schema.json`, as an editor's YAML language server applies it: it
/// accepts `pipeline.yaml`, every example and what `init` proposes, and rejects the shapes
/// the parser refuses (an unknown key, a value of the wrong type).
#[test]
fn the_schema_accepts_the_shipped_pipelines_and_rejects_wrong_shapes() {
    let text = std::fs::read_to_string(root().join("segflow.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |yaml: &str| -> serde_json::Value { serde_norway::from_str(yaml).unwrap() };
    let errors = |yaml: &str| -> Vec<String> {
        let v = as_json(yaml);
        validator.iter_errors(&v).map(|e| e.to_string()).collect()
    };
    let w = crate::common::Workdir::new();
    w.ok(&[
        "generate",
        "transactions",
        "--rows",
        "3000",
        "--out",
        "lines.csv",
    ]);
    let mall = root().join("data/mall_customers.csv");
    w.ok(&[
        "init",
        &mall.display().to_string(),
        "--out",
        "customers.yaml",
    ]);
    w.ok(&["init", "lines.csv", "--out", "lines.yaml"]);
    let mut files = vec![
        root().join("pipeline.yaml"),
        w.path("customers.yaml"),
        w.path("lines.yaml"),
    ];
    let mut examples: Vec<_> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 7, "{examples:?}");
    files.extend(examples);
    for f in &files {
        let yaml = std::fs::read_to_string(f).unwrap();
        assert_eq!(errors(&yaml), Vec::<String>::new(), "{}", f.display());
    }
    let pipeline = std::fs::read_to_string(root().join("pipeline.yaml")).unwrap();
    let wrong = [
        (
            "an unknown top-level key",
            format!("{pipeline}colour: red\n"),
        ),
        (
            "an unknown key in a section",
            pipeline.replace("scale:\n", "scale:\n  colour: red\n"),
        ),
        (
            "a seed that is text",
            pipeline.replace("seed: 42", "seed: forty-two"),
        ),
        (
            "k as a word",
            pipeline.replace("kmeans: {k: [2, 10],", "kmeans: {k: five,"),
        ),
    ];
    for (what, yaml) in &wrong {
        let parsed: Result<serde_norway::Value, _> = serde_norway::from_str(yaml);
        assert!(parsed.is_ok(), "{what}: not YAML");
        assert!(!errors(yaml).is_empty(), "{what} is accepted:\n{yaml}");
        // And the parser refuses it too.
        w.write("wrong.yaml", yaml);
        w.fails(&["validate", "wrong.yaml"]);
    }
}
