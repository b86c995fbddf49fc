//! `cluster.reference`: a run keeps an earlier run's segment ids and names for the segments
//! that match, whatever the row order and the segments' sizes; a new segment gets a new id,
//! a vanished one is reported; a reference on other columns is refused.

use std::collections::BTreeMap;

use crate::common::{read_parquet, strs, Workdir};

/// Tight groups at far-apart centres; `sizes[g]` customers in group `g`, ids from `first`,
/// rows in a scrambled order. Returns the CSV and each id's group.
fn customers(
    centres: &[(i64, i64)],
    sizes: &[usize],
    first: usize,
) -> (String, Vec<(usize, usize)>) {
    let mut rows = Vec::new();
    let mut id = first;
    for (g, (&(cx, cy), &n)) in centres.iter().zip(sizes).enumerate() {
        for _ in 0..n {
            rows.push((id, g, cx + (id % 5) as i64, cy + (id % 3) as i64));
            id += 1;
        }
    }
    // Scrambled: by id × 37 modulo a prime above the count.
    rows.sort_by_key(|r| (r.0 * 37) % 1009);
    let mut csv = String::from("id,x,y\n");
    for (id, _, x, y) in &rows {
        csv.push_str(&format!("{id},{x},{y}\n"));
    }
    (csv, rows.iter().map(|r| (r.0, r.1)).collect())
}

const CENTRES: [(i64, i64); 4] = [(20, 20), (20, 80), (80, 20), (80, 80)];

fn pipeline(name: &str, k: usize, reference: Option<&str>) -> String {
    let reference = reference.map_or(String::new(), |r| format!("  reference: {r}\n"));
    format!("name: {name}\ninput: {{path: {name}.csv, id: id}}\nfeatures:\n  use: [x, y]\ncluster:\n  kmeans: {{k: {k}, n_init: 10}}\n{reference}")
}

/// Runs pipeline `name` on `csv`; returns each group's segment id and name.
fn run(
    w: &Workdir,
    name: &str,
    csv: &str,
    groups: &[(usize, usize)],
    yaml: &str,
) -> BTreeMap<usize, (i64, String)> {
    w.write(&format!("{name}.csv"), csv);
    w.write(&format!("{name}.yaml"), yaml);
    w.ok(&["run", "-q", &format!("{name}.yaml")]);
    segments_by_group(w, name, groups)
}

fn segments_by_group(
    w: &Workdir,
    name: &str,
    groups: &[(usize, usize)],
) -> BTreeMap<usize, (i64, String)> {
    let df = read_parquet(&w.path(&format!("outputs/{name}/segments.parquet")));
    let ids = df.column("id").unwrap().i64().unwrap();
    let seg = df.column("segment").unwrap().i64().unwrap();
    let names = strs(&df, "segment_name");
    let mut by_group = BTreeMap::new();
    for (i, name) in names.into_iter().enumerate() {
        let id = ids.get(i).unwrap() as usize;
        let g = groups.iter().find(|(c, _)| *c == id).unwrap().1;
        let got = (seg.get(i).unwrap(), name);
        // Every customer of a group is in the same segment.
        assert_eq!(
            by_group.entry(g).or_insert_with(|| got.clone()),
            &got,
            "group {g}"
        );
    }
    by_group
}

#[test]
fn ids_and_names_follow_the_groups_not_their_sizes() {
    let w = Workdir::new();
    let (jan_csv, jan_groups) = customers(&CENTRES, &[40, 30, 20, 10], 0);
    let jan = run(&w, "jan", &jan_csv, &jan_groups, &pipeline("jan", 4, None));
    // Largest first without a reference: group 0 is segment 0, group 3 segment 3.
    assert_eq!((jan[&0].0, jan[&3].0), (0, 3));
    // February: other customers, the sizes reversed.
    let (feb_csv, feb_groups) = customers(&CENTRES, &[10, 20, 30, 40], 1000);
    let plain = run(
        &w,
        "plain",
        &feb_csv,
        &feb_groups,
        &pipeline("plain", 4, None),
    );
    assert_eq!(
        plain[&3].0, 0,
        "without a reference the largest group is segment 0"
    );
    let feb = run(
        &w,
        "feb",
        &feb_csv,
        &feb_groups,
        &pipeline("feb", 4, Some("outputs/jan")),
    );
    assert_eq!(feb, jan, "each group keeps January's segment id and name");
    // The report says so; model.json records the ids, and `assign` answers with them.
    let report = std::fs::read_to_string(w.path("outputs/feb/report.html")).unwrap();
    assert!(
        report.contains("4 of this run's 4 segments matched"),
        "report"
    );
    w.write("new.csv", "id,x,y\n5000,81,81\n5001,19,21\n");
    w.ok(&[
        "assign",
        "--model",
        "outputs/feb/model.json",
        "new.csv",
        "--out",
        "scored.csv",
    ]);
    let scored = std::fs::read_to_string(w.path("scored.csv")).unwrap();
    let seg_of = |id: &str| {
        let line = scored.lines().find(|l| l.starts_with(id)).unwrap();
        line.split(',').nth(1).unwrap().to_string()
    };
    assert_eq!(seg_of("5000"), jan[&3].0.to_string(), "{scored}");
    assert_eq!(seg_of("5001"), jan[&0].0.to_string(), "{scored}");
    // The same model under another name: the same ids, and the page names the new file (the
    // profile stage is not restored from the cache of the other reference).
    std::fs::copy(w.path("outputs/jan/model.json"), w.path("copy.json")).unwrap();
    let copy = run(
        &w,
        "feb",
        &feb_csv,
        &feb_groups,
        &pipeline("feb", 4, Some("copy.json")),
    );
    assert_eq!(copy, jan);
    let report = std::fs::read_to_string(w.path("outputs/feb/report.html")).unwrap();
    assert!(
        report.contains("earlier run (copy.json, cluster.reference)"),
        "report"
    );
}

#[test]
fn a_new_segment_gets_a_new_id_and_a_vanished_one_is_reported() {
    let w = Workdir::new();
    let (jan_csv, jan_groups) = customers(&CENTRES, &[40, 30, 20, 10], 0);
    let jan = run(&w, "jan", &jan_csv, &jan_groups, &pipeline("jan", 4, None));
    // March: group 2 is gone and a group far from every January one appears.
    let centres = [CENTRES[0], CENTRES[1], (200, 200), CENTRES[3]];
    let (csv, groups) = customers(&centres, &[40, 30, 25, 10], 2000);
    w.write("mar.csv", &csv);
    w.write(
        "mar.yaml",
        &pipeline("mar", 4, Some("outputs/jan/model.json")),
    );
    let out = w.run(&["run", "mar.yaml"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cluster.reference: segment 4 is new"), "{err}");
    assert!(
        err.contains(&format!(
            "segment 2 ({}) of outputs/jan/model.json has no match",
            jan[&2].1
        )),
        "{err}"
    );
    let mar = segments_by_group(&w, "mar", &groups);
    for g in [0, 1, 3] {
        assert_eq!(mar[&g], jan[&g], "group {g} keeps its id and name");
    }
    assert_eq!(mar[&2].0, 4, "the new group gets the next id");
    assert_ne!(mar[&2].1, jan[&2].1);
}

#[test]
fn a_reference_on_other_columns_is_refused() {
    let w = Workdir::new();
    let (csv, groups) = customers(&CENTRES, &[40, 30, 20, 10], 0);
    run(&w, "jan", &csv, &groups, &pipeline("jan", 4, None));
    w.write("feb.csv", &csv);
    let yaml = pipeline("feb", 4, Some("outputs/jan")).replace("use: [x, y]", "use: [x]");
    w.write("feb.yaml", &yaml);
    let err = w.fails(&["run", "feb.yaml"]);
    assert!(
        err.contains("outputs/jan/model.json was fitted on other columns (it models y and this run does not)"),
        "{err}"
    );
    w.write("bad.yaml", &pipeline("bad", 4, Some("outputs/nope")));
    w.write("bad.csv", &csv);
    let err = w.fails(&["validate", "bad.yaml"]);
    assert!(
        err.contains("bad.yaml:7:3: cluster.reference: outputs/nope does not exist"),
        "{err}"
    );
}
