//! The report in the marketer's language: the data's own units wherever a person reads
//! (cards, rules, evidence, charts), segment names in every legend and axis, value shares
//! that match the segments, the category mix, and a run folder holding only what the run
//! wrote.

use std::collections::BTreeSet;

use crate::common::{read_parquet, run_in_root, shared_data, strs, Workdir};
use crate::report::assert_value_shares;

/// The page's visible text (tags dropped, chart text kept) outside the model-selection
/// section and the appendix (which echoes the user's own pipeline file).
fn reader_text(html: &str) -> String {
    let cut = |from: &str, to: &str, h: &str| -> String {
        let a = h.find(from).unwrap_or_else(|| panic!("no {from}"));
        let b = a + h[a..].find(to).unwrap_or(h.len() - a);
        format!("{}{}", &h[..a], &h[b..])
    };
    let html = cut("<h2 id=\"selection\"", "<h2 id=", html);
    let html = cut("<h2 id=\"appendix\"", "</body>", &html);
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// "segment 0" … "segment 99" anywhere in `text`.
fn numbered_segment(text: &str) -> Option<&str> {
    text.match_indices("segment ").find_map(|(i, _)| {
        let rest = &text[i + 8..];
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then(|| &text[i..(i + 10).min(text.len())])
    })
}

#[test]
fn mall_report_reads_in_the_data_units_and_names_segments() {
    let Some(mall) = shared_data("Mall_Customers.csv") else {
        return;
    };
    let w = Workdir::new();
    // The model sees the log of income; every reader-facing part must still say income.
    w.write(
        "mall.yaml",
        &format!(
            "name: mall\nseed: 42\ninput:\n  path: {}\n  id: CustomerID\n  rename: {{\"Annual Income (k$)\": income, \"Spending Score (1-100)\": spending}}\nfeatures:\n  one_hot: [Gender]\n  derive: {{log1p_income: \"LN(1 + income)\"}}\n  use: [log1p_income, spending]\ncluster:\n  kmeans: {{k: [5, 5], n_init: 10}}\n",
            mall.display()
        ),
    );
    w.ok(&["run", "-q", "mall.yaml"]);
    let html = std::fs::read_to_string(w.path("outputs/mall/report.html")).unwrap();
    let text = reader_text(&html);
    assert!(
        !text.contains("log1p_"),
        "a model column shown to the reader"
    );
    assert_eq!(numbered_segment(&text), None, "a segment shown by number");
    // The rules are stated on income itself, thresholds mapped back from the log.
    let profile = read_parquet(&w.path("outputs/mall/07_profile.parquet"));
    let rules = strs(&profile, "rules").join(" | ");
    assert!(!rules.contains("log1p"), "{rules}");
    assert!(rules.contains("income"), "{rules}");
    // A threshold on income is in k$ (between the smallest and largest income), not on
    // the log scale the tree was fitted on (where it would be about 4).
    let incomes: Vec<f64> = strs(
        &read_parquet(&w.path("outputs/mall/03_features.parquet")),
        "income",
    )
    .iter()
    .map(|v| v.parse().unwrap())
    .collect();
    let (lo, hi) = incomes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let thresholds: Vec<f64> = rules
        .split("income > ")
        .skip(1)
        .chain(rules.split("income ≤ ").skip(1))
        .map(|t| t.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(!thresholds.is_empty(), "{rules}");
    for t in thresholds {
        assert!(
            lo < t && t < hi,
            "threshold {t} outside {lo}..{hi}: {rules}"
        );
    }
    // Legends carry the names: each segment's name is in the PCA chart's legend.
    let pca = &html[html.find("id=\"chart-segments_pca\"").unwrap()..];
    let pca = &pca[..pca.find("</figure>").unwrap()];
    for name in strs(&profile, "name") {
        assert!(
            pca.contains(&name.replace('&', "&amp;")),
            "{name} not in the legend"
        );
    }
    // The cards' key figures are in income's own units: the median income of all
    // customers is the data's (61.5 k$ on the Kaggle table).
    assert!(
        html.contains("<td>income</td>") && html.contains("<td>61.5</td>"),
        "income in k$ in the cards"
    );
}

#[test]
fn online_retail_summary_shares_add_up_and_match_the_segments() {
    let Some(_) = shared_data("online_retail.parquet") else {
        return;
    };
    let w = Workdir::new();
    let out = run_in_root(
        &["run", "-q", "examples/online_retail.yaml"],
        &w.path("out"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(w.path("out/online_retail/report.html")).unwrap();
    let (_, segments) = assert_value_shares(
        &html,
        &w.path("out/online_retail/segments.parquet"),
        "monetary",
    );
    assert!(segments.len() >= 2);
    let text = reader_text(&html);
    assert!(
        !text.contains("log1p_"),
        "a model column shown to the reader"
    );
    assert_eq!(numbered_segment(&text), None);
    // Value concentration and the key figures' box plots, in money, right after the summary.
    let value = html.find("<h2 id=\"value\"").expect("a value section");
    assert!(value < html.find("<h2 id=\"data\"").unwrap());
    for chart in [
        "value_shares",
        "value_concentration",
        "box_monetary",
        "box_recency",
    ] {
        assert!(html.contains(&format!("id=\"chart-{chart}\"")), "{chart}");
    }
    assert!(
        html.contains("monetary (log scale)"),
        "skewed money on a log axis"
    );
}

#[test]
fn a_customer_tables_spend_columns_give_each_segment_its_category_mix() {
    let w = Workdir::new();
    // Two groups: 30 wine lovers (wine 100, meat 10) and 30 meat lovers (wine 10, meat 100).
    let mut csv = String::from("id,wine,meat\n");
    for i in 0..60 {
        let (wine, meat) = if i < 30 {
            (100 + i % 3, 10)
        } else {
            (10, 100 + i % 3)
        };
        csv.push_str(&format!("{i},{wine},{meat}\n"));
    }
    w.write("c.csv", &csv);
    let yaml = "name: c\ninput: {path: c.csv, id: id}\nfeatures:\n  use: [wine, meat]\ncluster:\n  kmeans: {k: 2}\nprofile:\n  categories: [wine, meat]\n";
    w.write("c.yaml", yaml);
    w.ok(&["run", "-q", "c.yaml"]);
    let html = std::fs::read_to_string(w.path("outputs/c/report.html")).unwrap();
    // Wine lovers: mean wine 101 against 55.5 for everyone (1.8×), meat 10 against 55.5 (0.2×).
    assert!(
        html.contains("Spends more than the average customer on wine (1.8×); less on meat (0.2×)."),
        "{}",
        reader_text(&html)
    );
    assert!(
        html.contains("Spends more than the average customer on meat (1.8×); less on wine (0.2×).")
    );
    assert!(html.contains("id=\"chart-segment_categories\""));
    // The spend mix of a wine lover: 101 / (101 + 10) = 91.0% of their spend.
    assert!(html.contains("<td>wine</td><td>91.0%</td><td>50.0%</td><td>1.82×</td>"));
    // A spend column that is not there is named, with the columns that are.
    w.write(
        "bad.yaml",
        &yaml.replace("[wine, meat]\n", "[wne, meat]\n").replacen(
            "use: [wne, meat]",
            "use: [wine, meat]",
            1,
        ),
    );
    let err = w.fails(&["validate", "bad.yaml"]);
    assert!(
        err.contains("`wne`") && err.contains("Did you mean `wine`?"),
        "{err}"
    );
}

#[test]
fn a_rerun_leaves_only_the_charts_and_lists_it_wrote() {
    let w = Workdir::new();
    w.ok(&[
        "generate",
        "customers",
        "--rows",
        "300",
        "--seed",
        "4",
        "--out",
        "c.csv",
    ]);
    let yaml = "name: c\ninput:\n  path: c.csv\n  id: CustomerID\n  rename: {\"Annual Income (k$)\": income, \"Spending Score (1-100)\": spending}\nfeatures:\n  use: [Age, income, spending]\ncluster:\n  kmeans: {k: 4}\n";
    w.write("c.yaml", yaml);
    w.ok(&["run", "-q", "c.yaml"]);
    let first: BTreeSet<String> = chart_files(&w);
    assert!(
        first.iter().any(|f| f.starts_with("pair_age__")),
        "{first:?}"
    );
    // Age leaves the model: its pair plots must go with it.
    w.write(
        "c.yaml",
        &yaml.replace("[Age, income, spending]", "[income, spending]"),
    );
    w.ok(&["run", "-q", "c.yaml"]);
    let html = std::fs::read_to_string(w.path("outputs/c/report.html")).unwrap();
    let now = chart_files(&w);
    assert!(!now.iter().any(|f| f.starts_with("pair_age__")), "{now:?}");
    assert!(now.len() >= 3, "{now:?}");
    for f in &now {
        let chart = f.strip_suffix(".svg").unwrap();
        assert!(
            html.contains(&format!("id=\"chart-{chart}\"")),
            "{f} is not on the page"
        );
    }
    let segment_files = std::fs::read_dir(w.path("outputs/c/segments"))
        .unwrap()
        .count();
    assert_eq!(
        segment_files, 4,
        "one CSV per segment, none left from the first run"
    );
}

fn chart_files(w: &Workdir) -> BTreeSet<String> {
    std::fs::read_dir(w.path("outputs/c/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|f| f.ends_with(".svg"))
        .collect()
}
