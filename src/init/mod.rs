//! `segflow init DATA`: reads the user's file and writes a commented pipeline that runs as
//! is: how to read the file, a customer table or invoice lines, the id, the features, what is
//! left out and why, and the clustering to try.

mod columns;
mod content;
mod customers;
mod probe;
mod roles;
mod transactions;
mod trial;
mod yaml;

use std::path::Path;

use crate::config;
use crate::data_err;
use crate::error::{Error, Result};
use columns::Column;
use customers::Choice;
use transactions::{thousands, Mapping};
use yaml::{list, quote, Doc};

/// The proposed pipeline and one line per decision, for the terminal.
pub struct Proposal {
    pub yaml: String,
    pub decisions: Vec<String>,
    /// The rows read to propose it.
    pub rows: polars::prelude::DataFrame,
    pub invoice_lines: bool,
}

/// Writes the pipeline proposed for `data` to `out`; refuses to replace an existing file
/// unless `force`.
pub fn write(data: &Path, out: &Path, force: bool) -> Result<Proposal> {
    if out.exists() && !force {
        return Err(Error::Config(format!(
            "{} exists: segflow init does not overwrite it (pass --force to replace it, or --out to write elsewhere)",
            out.display()
        )));
    }
    let mut proposal = propose(data)?;
    // The proposal must pass the checks `segflow validate` makes before it is written.
    let validated = |yaml: &str| -> Result<config::Plan> {
        let plan = config::parse(out, yaml.to_string()).map_err(|e| {
            Error::Internal(format!("the proposed pipeline does not validate: {e}"))
        })?;
        crate::runner::check(&plan)?;
        Ok(plan)
    };
    let plan = validated(&proposal.yaml)?;
    // DBSCAN stays only where it finds segments on the rows read; elsewhere HDBSCAN is
    // tried in its place.
    let table = !proposal.invoice_lines;
    let found = trial::density(&plan, &proposal.rows, table, trial::Density::Dbscan)?;
    match found {
        Some(f) if !f.usable() => {
            drop_dbscan(&mut proposal, &f);
            let size = (f.customers / 50).clamp(10, 500);
            let with = proposal.yaml.replacen(
                "\n\nevaluate:",
                &format!("\n  hdbscan: {{min_cluster_size: {size}}}\n\nevaluate:"),
                1,
            );
            let plan = validated(&with)?;
            let h = trial::density(&plan, &proposal.rows, table, trial::Density::Hdbscan)?;
            if let Some(h) = h {
                propose_hdbscan(&mut proposal, with, size, &h);
            }
            validated(&proposal.yaml)?;
        }
        Some(f) => proposal
            .decisions
            .push(format!("DBSCAN kept: eps auto finds {}", f.describe())),
        None => {}
    }
    // Editors with the YAML language server (VS Code's YAML extension, Neovim, Helix…)
    // read the schema named on the first line: completion, types, unknown keys.
    let schema = out.with_file_name(SCHEMA_FILE);
    crate::artifacts::write_bytes(&schema, config::json_schema().as_bytes())?;
    proposal.yaml = format!("{SCHEMA_LINE}\n{}", proposal.yaml);
    proposal.decisions.push(format!(
        "wrote {} beside it: the keys and types of pipeline.yaml for editors (its first line names it)",
        schema.display()
    ));
    crate::artifacts::write_bytes(out, proposal.yaml.as_bytes())?;
    Ok(proposal)
}

/// The schema file `init` writes beside the pipeline (what `segflow schema` prints).
pub const SCHEMA_FILE: &str = "segflow.schema.json";
/// The first line of a proposed pipeline: where editors find its schema.
pub const SCHEMA_LINE: &str = "# yaml-language-server: $schema=segflow.schema.json";

/// Puts HDBSCAN (`with`: the proposal with its line) in the proposal when it finds
/// segments on the rows read, with what it found; else writes its line commented out.
fn propose_hdbscan(proposal: &mut Proposal, with: String, size: usize, h: &trial::Found) {
    let line = format!("  hdbscan: {{min_cluster_size: {size}}}");
    let (text, decision) = if h.usable() {
        (
            format!("{line}  # no eps to guess: finds {}", h.describe()),
            format!(
                "HDBSCAN proposed (min_cluster_size {size}): finds {}",
                h.describe()
            ),
        )
    } else {
        (
            format!(
                "  # hdbscan: {{min_cluster_size: {size}}}  # left out: finds {}",
                h.describe()
            ),
            format!(
                "HDBSCAN left out (min_cluster_size {size}): finds {}",
                h.describe()
            ),
        )
    };
    proposal.yaml = with.replacen(&format!("{line}\n"), &format!("{text}\n"), 1);
    proposal.decisions.push(decision);
}

/// Comments DBSCAN out of the proposal, with what it found.
fn drop_dbscan(proposal: &mut Proposal, found: &trial::Found) {
    let why = format!(
        "left out: eps auto finds {}; set eps by hand to try it",
        found.describe()
    );
    let lines: Vec<String> = proposal
        .yaml
        .lines()
        .map(|l| match l.trim_start().strip_prefix("dbscan: ") {
            Some(rest) => {
                let setting = rest.split("  #").next().unwrap_or(rest).trim_end();
                format!("  # dbscan: {setting}  # {why}")
            }
            None => l.to_string(),
        })
        .collect();
    proposal.yaml = lines.join("\n") + "\n";
    proposal.decisions.push(format!("DBSCAN {why}"));
}

/// The pipeline proposed for `data` (the path as written in the pipeline).
pub fn propose(data: &Path) -> Result<Proposal> {
    let shown = data.to_string_lossy().to_string();
    let reading = probe::read(data, &shown)?;
    let cols = columns::profile(&reading.df)?;
    let mut decisions = reading.decisions.clone();
    let mut doc = Doc::default();
    let rows = reading.df.height();
    doc.line(format!(
        "# Proposed by `segflow init` from {shown} ({} rows and {} columns read).",
        thousands(rows),
        cols.len()
    ));
    doc.line("# Check the choices and the comments, then: segflow run <this file>");
    doc.line(format!("name: {}", quote(&pipeline_name(data))));
    doc.line("seed: 42");
    doc.line("");
    doc.line("input:");
    doc.line(format!("  path: {}", quote(&shown)));
    for l in &reading.lines {
        match l.split_once("  # ") {
            Some((text, comment)) => doc.note(format!("  {text}"), comment),
            None => doc.line(format!("  {l}")),
        }
    }
    let mut profiled: Option<Choice> = None;
    let (customers, dims) = match detect_lines(&reading.df, &cols)? {
        Some(mut m) => {
            m.cancels = transactions::cancels(&reading.df, &m)?;
            decisions.push(format!(
                "kind: invoice lines (customer ids repeat over the rows; {} customers in the rows read)",
                m.customer.as_ref().map_or(0, |p| distinct(&cols, &p.column))
            ));
            invoice_lines(&mut doc, &mut decisions, &m);
            (
                m.customer
                    .as_ref()
                    .map_or(0, |p| distinct(&cols, &p.column)),
                5,
            )
        }
        None => {
            decisions.push("kind: customer table (one row per customer)".to_string());
            let ch = customers::choose(&cols);
            customer_table(&mut doc, &mut decisions, &ch, &cols)?;
            profiled = Some(ch);
            (rows, profiled.as_ref().map_or(0, |c| c.features.len()))
        }
    };
    clustering(&mut doc, &mut decisions, customers, dims);
    if let Some(ch) = profiled.as_ref().filter(|c| c.value.is_some()) {
        profile_section(&mut doc, &mut decisions, ch);
    }
    Ok(Proposal {
        yaml: doc.render(),
        decisions,
        invoice_lines: profiled.is_none(),
        rows: reading.df,
    })
}

/// The invoice-line mapping of `cols` (profiled from `df`), or `None` when they read as a
/// customer table: by column names, or by content when the names say nothing (no header
/// line, or names in a language the name lists miss).
fn detect_lines(df: &polars::prelude::DataFrame, cols: &[Column]) -> Result<Option<Mapping>> {
    let headerless = !cols.is_empty()
        && cols.iter().all(|c| {
            c.name
                .strip_prefix("column_")
                .is_some_and(|n| n.parse::<usize>().is_ok())
        });
    let mut found = match headerless {
        false => transactions::by_names(cols),
        true => None,
    };
    if found.is_none() {
        found = content::detect(df, cols)?;
    }
    if let Some(m) = &mut found {
        roles::fill(m, df, cols)?;
    }
    Ok(found)
}

fn distinct(cols: &[Column], name: &str) -> usize {
    cols.iter()
        .find(|c| c.name == name)
        .map_or(0, |c| c.distinct)
}

/// `outputs/<name>`: the file name without its extensions, in lower case.
fn pipeline_name(data: &Path) -> String {
    let file = data
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let name = customers::snake_case(stem);
    if name.is_empty() {
        "segments".to_string()
    } else {
        name
    }
}

fn customer_table(
    doc: &mut Doc,
    decisions: &mut Vec<String>,
    ch: &Choice,
    cols: &[Column],
) -> Result<()> {
    match &ch.id {
        Some((id, why)) => {
            doc.note(format!("  id: {}", quote(id)), why.as_str());
            decisions.push(format!("id: {id} ({why})"));
        }
        None => {
            doc.line("  # no id: no column is unique and never empty, so rows are numbered from 1 (row_id)");
            decisions.push("id: none found; rows are numbered from 1 as row_id".to_string());
        }
    }
    if !ch.rename.is_empty() {
        doc.note("  rename:", "plain names, usable in derive expressions");
        for (from, to) in &ch.rename {
            let line = format!("    {}: {}", quote(from), quote(to));
            match customers::unit_of(from) {
                Some(unit) => doc.note(line, format!("unit: {unit}")),
                None => doc.line(line),
            }
            decisions.push(format!("rename: {from} -> {to}"));
        }
    }
    if ch.features.is_empty() && ch.one_hot.is_empty() {
        let why: Vec<String> = ch
            .left_out
            .iter()
            .map(|(n, w)| format!("`{n}`: {w}"))
            .collect();
        return Err(data_err!(
            "no column of the {} columns read can shape segments ({}): segflow needs numbers or short lists of categories per customer",
            cols.len(),
            why.join("; ")
        ));
    }
    doc.line("");
    cleaning(doc, decisions, ch);
    doc.line("");
    features(doc, decisions, ch);
    Ok(())
}

fn cleaning(doc: &mut Doc, decisions: &mut Vec<String>, ch: &Choice) {
    doc.line("clean:");
    if ch.missing.is_empty() {
        doc.note(
            "  impute: {numeric: median, categorical: mode}",
            "no value is missing in the rows read",
        );
        return;
    }
    let shares: Vec<String> = ch
        .missing
        .iter()
        .map(|(n, s)| format!("{n} {:.1}%", s * 100.0))
        .collect();
    doc.note(
        "  impute: {numeric: median, categorical: mode}",
        format!("missing: {}", shares.join(", ")),
    );
    decisions.push(format!(
        "impute: median / most frequent ({})",
        shares.join(", ")
    ));
}

fn features(doc: &mut Doc, decisions: &mut Vec<String>, ch: &Choice) {
    doc.line("features:");
    if !ch.derive.is_empty() {
        doc.line("  derive:");
        for (name, sql, why) in &ch.derive {
            doc.note(format!("    {name}: {}", quote(sql)), why.as_str());
            decisions.push(format!("derive {name}: {why}"));
        }
    }
    if !ch.one_hot.is_empty() {
        let names: Vec<&str> = ch.one_hot.iter().map(|(n, _)| n.as_str()).collect();
        let levels: Vec<String> = ch.one_hot.iter().map(|(n, l)| format!("{n} {l}")).collect();
        doc.note(
            format!("  one_hot: {}", list(&names)),
            format!(
                "categories ({}): in the profiles; add to `use` to let them shape segments",
                levels.join(", ")
            ),
        );
        decisions.push(format!("one-hot: {}", levels.join(", ")));
    }
    doc.line(format!("  use: {}", list(&ch.features)));
    decisions.push(format!("features: {}", ch.features.join(", ")));
    for (name, why) in &ch.left_out {
        doc.line(format!("  # left out: {name}: {why}"));
        decisions.push(format!("left out: {name} ({why})"));
    }
    doc.line("");
    doc.line("scale: {method: standard}");
}

fn invoice_lines(doc: &mut Doc, decisions: &mut Vec<String>, m: &Mapping) {
    doc.line("  kind: transactions");
    doc.note("  columns:", "recognised by name and content; check them");
    let mut picked = vec![
        ("customer", &m.customer),
        ("invoice", &m.invoice),
        ("date", &m.date),
    ];
    let more = [
        ("quantity", &m.quantity),
        ("price", &m.price),
        ("amount", &m.amount),
        ("product", &m.product),
        ("category", &m.category),
        ("country", &m.country),
    ];
    picked.extend(more);
    for (name, p) in picked {
        let Some(p) = p else { continue };
        doc.note(format!("    {name}: {}", quote(&p.column)), p.why.as_str());
        decisions.push(format!("{name}: {} ({})", p.column, p.why));
        if name == "date" {
            if let Some(f) = &m.date_format {
                doc.line(format!("    date_format: {}", quote(f)));
            }
        }
    }
    if m.invoice.is_none() {
        doc.line("    # no invoice column: each customer-day counts as one order");
    }
    if [&m.product, &m.category, &m.country]
        .iter()
        .all(|p| p.is_none())
    {
        doc.line("    # product, category, country: none recognised; name them here to see them in the profiles");
    }
    doc.line("");
    doc.line("clean:");
    doc.line("  transactions:");
    if m.invoice.is_some() {
        cancellations(doc, decisions, &m.cancels);
    }
    doc.note(
        format!("    drop_non_positive_price: {}", m.price.is_some()),
        "lines priced at 0 or less are not purchases",
    );
    doc.line("    # exclude_products: [POST, BANK CHARGES]  # codes that are not purchases (postage, fees)");
    doc.line("");
    doc.line("features:");
    doc.line("  rfm:");
    doc.note(
        "    log1p: [frequency, monetary, aov]",
        "counts and money are skewed: logs even them out",
    );
    doc.line("    # as_of: 2011-12-10  # the reference day for recency; default: the day after the last line");
    doc.line("  use: [recency, log1p_frequency, log1p_monetary, log1p_aov, tenure]");
    decisions.push(
        "features: recency, frequency, monetary, average order value, tenure (RFM)".to_string(),
    );
    doc.line("");
    doc.line("scale: {method: standard}");
}

/// The cancellation rule, as the lines read justify it: `cancel_prefix: C` only when every
/// line whose invoice starts with C takes something back.
fn cancellations(doc: &mut Doc, decisions: &mut Vec<String>, c: &transactions::Cancels) {
    let seen = if c.marks_cancellations() {
        format!(
            "{} lines read have an invoice starting with C, each with a negative quantity or amount: cancellations",
            thousands(c.prefixed)
        )
    } else if c.prefixed == 0 {
        "no invoice in the rows read starts with C".to_string()
    } else {
        format!(
            "{} lines read have an invoice starting with C, {} of them not negative (e.g. {}): C is not a cancellation mark here",
            thousands(c.prefixed),
            thousands(c.prefixed - c.negative),
            c.positive_example.as_deref().unwrap_or_default()
        )
    };
    doc.note("    cancellations: drop", seen.as_str());
    if c.marks_cancellations() {
        doc.line("    cancel_prefix: C");
    } else {
        doc.line("    # cancel_prefix: C  # unset: only a C-invoice with a negative amount is a cancellation; set: every C-invoice is");
    }
    decisions.push(format!("cancellations: drop ({seen})"));
}

/// `profile.value` and `profile.categories` when the table has spend per category.
fn profile_section(doc: &mut Doc, decisions: &mut Vec<String>, ch: &Choice) {
    let Some(value) = &ch.value else { return };
    doc.line("");
    doc.line("profile:");
    doc.note(
        format!("  value: {}", quote(value)),
        "the report's shares of value are measured in it",
    );
    let names: Vec<&str> = ch.categories.iter().map(String::as_str).collect();
    doc.note(
        format!("  categories: {}", list(&names)),
        "each segment's spend mix against everyone's, in its card",
    );
    decisions.push(format!(
        "profile: value {value}, categories {}",
        ch.categories.join(", ")
    ));
}

fn clustering(doc: &mut Doc, decisions: &mut Vec<String>, customers: usize, dims: usize) {
    let k_max = if customers >= 100 {
        10
    } else {
        (customers / 10).max(2)
    };
    let k = if k_max > 2 {
        format!("[2, {k_max}]")
    } else {
        "2".to_string()
    };
    let min_samples = (2 * dims).clamp(4, 20);
    doc.line("");
    doc.line("cluster:");
    doc.note(
        format!("  kmeans: {{k: {k}, n_init: 10, max_iter: 300}}"),
        "every k in the range is fitted; evaluate picks one",
    );
    doc.note(
        format!("  dbscan: {{eps: auto, min_samples: {min_samples}}}"),
        "eps from the knee of the k-distance curve; min_samples = 2 x features",
    );
    doc.line("");
    doc.line("evaluate:");
    doc.note(
        "  choose_by: silhouette",
        "or davies_bouldin, calinski_harabasz",
    );
    decisions.push(format!(
        "clustering: k-means with k {k}, DBSCAN with eps auto and min_samples {min_samples}; chosen by silhouette"
    ));
}
