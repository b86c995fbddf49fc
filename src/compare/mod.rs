//! `segflow compare A B`: two finished runs of pipelines with the same id column (last month
//! and this month, say). Which segment of B is which segment of A, how many customers went
//! from each segment to each other, who is new and who is gone, and each customer's move.
//!
//! Segments are matched on customer overlap: the pairing of A's and B's segments that keeps
//! the most shared customers in "their" segment (a minimum-cost matching, `matching`). The
//! overlap is what a CRM sees — the same people under the same label — and it needs no shared
//! feature space, so it works when the two pipelines use different features or scalers.

mod matching;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::artifacts::{csv_bytes, write_bytes, write_parquet};
use crate::data_err;
use crate::error::Result;
use crate::frame::thousands;
use crate::inspect::read_parquet;
use crate::manifest::{Manifest, Status};
use crate::model::ModelFile;
use crate::report::compare::{compare_page, ComparePage};
use crate::stages::files::{MANIFEST, MODEL, SEGMENTS_PARQUET};

/// Segment id of DBSCAN noise.
const NOISE: i64 = crate::cluster::NOISE;

/// One finished run, as far as comparing needs it.
struct Run {
    dir: PathBuf,
    id_column: String,
    id_type: DataType,
    /// Customer id (as text) → segment.
    segment_of: HashMap<String, i64>,
    /// Ids in the run's order.
    ids: Vec<String>,
    names: BTreeMap<i64, String>,
    /// Each segment's recommended actions, in the rule table's order.
    actions: BTreeMap<i64, Vec<String>>,
    /// The value column (`monetary`, else a column named like "spend") and each segment's
    /// total of it, when the run has one.
    value: Option<(String, BTreeMap<i64, f64>)>,
}

impl Run {
    fn open(dir: &Path) -> Result<Run> {
        let manifest_path = dir.join(MANIFEST);
        let bytes = std::fs::read(&manifest_path).map_err(|_| {
            data_err!(
                "{} is not a segflow run folder: it has no {MANIFEST}",
                dir.display()
            )
        })?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| data_err!("{} is not a segflow manifest: {e}", manifest_path.display()))?;
        if manifest.status != Status::Complete {
            return Err(data_err!(
                "{} did not finish ({}): re-run it before comparing",
                dir.display(),
                manifest.status
            ));
        }
        let model = ModelFile::read(&dir.join(MODEL))?;
        let seg = read_parquet(&dir.join(SEGMENTS_PARQUET))?;
        let id = seg.column(&model.id_column).map_err(|_| {
            data_err!(
                "{} has no id column `{}`",
                dir.join(SEGMENTS_PARQUET).display(),
                model.id_column
            )
        })?;
        let id_type = id.dtype().clone();
        let ids: Vec<String> = id
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect();
        let segments: Vec<i64> = seg
            .column("segment")?
            .i64()?
            .iter()
            .map(|v| v.unwrap_or(NOISE))
            .collect();
        let mut names = BTreeMap::new();
        for s in &model.segments {
            names.insert(s.id, s.name.clone());
        }
        let numeric: Vec<String> = seg
            .columns()
            .iter()
            .filter(|c| c.dtype().is_primitive_numeric() && c.name() != "segment")
            .map(|c| c.name().to_string())
            .collect();
        let value = match crate::report::keys::value_column(None, &numeric) {
            Some(v) => {
                let mut totals = BTreeMap::new();
                for (s, x) in segments.iter().zip(crate::frame::f64_opts(&seg, &v)?) {
                    *totals.entry(*s).or_insert(0.0) += x.filter(|x| x.is_finite()).unwrap_or(0.0);
                }
                Some((v, totals))
            }
            None => None,
        };
        Ok(Run {
            dir: dir.to_path_buf(),
            id_column: model.id_column,
            id_type,
            segment_of: ids.iter().cloned().zip(segments.iter().copied()).collect(),
            ids,
            names,
            actions: model
                .segments
                .iter()
                .map(|s| (s.id, s.actions.iter().map(|a| a.action.clone()).collect()))
                .collect(),
            value,
        })
    }

    /// Segment ids (named in model.json or held by a customer), clusters in order and noise
    /// last, so every customer is counted.
    fn segments(&self) -> Vec<i64> {
        let mut s: Vec<i64> = self.names.keys().copied().collect();
        s.extend(self.segment_of.values().copied());
        s.sort_by_key(|&s| (s < 0, s));
        s.dedup();
        s
    }

    fn name(&self, s: i64) -> String {
        self.names
            .get(&s)
            .cloned()
            .unwrap_or_else(|| format!("segment {s}"))
    }
}

/// The outcome of a comparison.
pub struct Comparison {
    /// What `segflow compare` prints.
    pub text: String,
    pub out: PathBuf,
    /// Customers in both runs, only in B, only in A.
    pub shared: usize,
    pub new: usize,
    pub lost: usize,
    /// (A segment, B segment it matched), for A's clusters; `None`: it has no match in B.
    pub matched: Vec<(i64, Option<i64>)>,
    /// Shared customers in A's segment (rows, `from`) and B's segment (columns, `to`).
    pub from: Vec<i64>,
    pub to: Vec<i64>,
    pub counts: Vec<Vec<usize>>,
}

/// Compares run `a` (before) with run `b` (after) and writes `out/`: `transitions.parquet`,
/// `migrations.parquet` / `.csv` and `segments.parquet` (size and value per matched pair).
pub fn compare(a: &Path, b: &Path, out: &Path) -> Result<Comparison> {
    let (ra, rb) = (Run::open(a)?, Run::open(b)?);
    if ra.id_column != rb.id_column {
        return Err(data_err!(
            "the runs identify customers by different columns: `{}` in {} and `{}` in {}",
            ra.id_column,
            a.display(),
            rb.id_column,
            b.display()
        ));
    }
    if ra.id_type != rb.id_type {
        return Err(data_err!(
            "the runs' ids `{}` are of different kinds: {} in {} and {} in {}",
            ra.id_column,
            crate::frame::type_words(&ra.id_type),
            a.display(),
            crate::frame::type_words(&rb.id_type),
            b.display()
        ));
    }
    let (from, to) = (ra.segments(), rb.segments());
    let mut counts = vec![vec![0usize; to.len()]; from.len()];
    let pos = |list: &[i64], s: i64| list.iter().position(|&x| x == s);
    let mut shared = 0;
    for (id, &sa) in &ra.segment_of {
        if let Some(&sb) = rb.segment_of.get(id) {
            if let (Some(i), Some(j)) = (pos(&from, sa), pos(&to, sb)) {
                counts[i][j] += 1;
                shared += 1;
            }
        }
    }
    let new = rb
        .ids
        .iter()
        .filter(|id| !ra.segment_of.contains_key(*id))
        .count();
    let lost = ra
        .ids
        .iter()
        .filter(|id| !rb.segment_of.contains_key(*id))
        .count();
    let matched = match_segments(&from, &to, &counts);
    std::fs::create_dir_all(out).map_err(|e| crate::error::Error::io(out, e))?;
    write_transitions(out, &ra, &rb, &from, &to, &counts)?;
    write_migrations(out, &ra, &rb, &matched)?;
    write_segments(out, &ra, &rb, &matched)?;
    let mut c = Comparison {
        text: String::new(),
        out: out.to_path_buf(),
        shared,
        new,
        lost,
        matched,
        from,
        to,
        counts,
    };
    write_page(&c, &ra, &rb)?;
    c.text = summary(&c, &ra, &rb);
    Ok(c)
}

/// Each of A's clusters with the B cluster that shares the most customers with it under a
/// one-to-one matching (noise is never matched; a pair sharing nobody is no match).
fn match_segments(from: &[i64], to: &[i64], counts: &[Vec<usize>]) -> Vec<(i64, Option<i64>)> {
    let rows: Vec<usize> = (0..from.len()).filter(|&i| from[i] >= 0).collect();
    let cols: Vec<usize> = (0..to.len()).filter(|&j| to[j] >= 0).collect();
    let cost: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| cols.iter().map(|&j| -(counts[i][j] as f64)).collect())
        .collect();
    let pairs = matching::min_cost(&cost);
    rows.iter()
        .zip(pairs)
        .map(|(&i, j)| {
            let j = j.map(|j| cols[j]).filter(|&j| counts[i][j] > 0);
            (from[i], j.map(|j| to[j]))
        })
        .collect()
}

fn write_transitions(
    out: &Path,
    ra: &Run,
    rb: &Run,
    from: &[i64],
    to: &[i64],
    counts: &[Vec<usize>],
) -> Result<()> {
    let (mut fs, mut fname, mut ts, mut tname, mut n, mut share) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (i, &f) in from.iter().enumerate() {
        let row: usize = counts[i].iter().sum();
        for (j, &t) in to.iter().enumerate() {
            fs.push(f);
            fname.push(ra.name(f));
            ts.push(t);
            tname.push(rb.name(t));
            n.push(counts[i][j] as u32);
            share.push(if row > 0 {
                counts[i][j] as f64 / row as f64
            } else {
                0.0
            });
        }
    }
    let n_rows = fs.len();
    let mut df = DataFrame::new(
        n_rows,
        vec![
            Column::new("from_segment".into(), fs),
            Column::new("from_name".into(), fname),
            Column::new("to_segment".into(), ts),
            Column::new("to_name".into(), tname),
            Column::new("customers".into(), n),
            Column::new("share_of_from".into(), share),
        ],
    )?;
    write_parquet(&out.join("transitions.parquet"), &mut df)?;
    Ok(())
}

/// Every customer of either run: where they were, where they are, and whether they stayed
/// (B's segment is the match of A's), moved, are new or are gone. Ids keep their type.
fn write_migrations(out: &Path, ra: &Run, rb: &Run, matched: &[(i64, Option<i64>)]) -> Result<()> {
    let mut ids: Vec<&String> = rb.ids.iter().collect();
    ids.extend(ra.ids.iter().filter(|id| !rb.segment_of.contains_key(*id)));
    let (mut fs, mut fname, mut ts, mut tname, mut status) =
        (vec![], vec![], vec![], vec![], vec![]);
    for id in &ids {
        let (sa, sb) = (ra.segment_of.get(*id), rb.segment_of.get(*id));
        fs.push(sa.copied());
        fname.push(sa.map(|&s| ra.name(s)));
        ts.push(sb.copied());
        tname.push(sb.map(|&s| rb.name(s)));
        status.push(match (sa, sb) {
            (None, _) => "new",
            (_, None) => "lost",
            (Some(a), Some(b)) => {
                let stays = matched.iter().any(|(x, y)| x == a && *y == Some(*b));
                if stays || (*a < 0 && *b < 0) {
                    "stayed"
                } else {
                    "moved"
                }
            }
        });
    }
    let id_col = Column::new(
        ra.id_column.as_str().into(),
        ids.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    )
    .cast(&ra.id_type)?;
    let mut df = DataFrame::new(
        ids.len(),
        vec![
            id_col,
            Column::new("from_segment".into(), fs),
            Column::new("from_name".into(), fname),
            Column::new("to_segment".into(), ts),
            Column::new("to_name".into(), tname),
            Column::new("status".into(), status),
        ],
    )?;
    write_parquet(&out.join("migrations.parquet"), &mut df)?;
    write_bytes(&out.join("migrations.csv"), &csv_bytes(&mut df)?)?;
    Ok(())
}

/// One row per segment of either run: its match in the other, customers before and after
/// and the change, and the value column's total before and after when both runs have it.
fn write_segments(out: &Path, ra: &Run, rb: &Run, matched: &[(i64, Option<i64>)]) -> Result<()> {
    let size = |r: &Run, s: i64| r.segment_of.values().filter(|&&x| x == s).count() as u32;
    let mut pairs: Vec<(Option<i64>, Option<i64>)> =
        matched.iter().map(|(a, b)| (Some(*a), *b)).collect();
    for t in rb.segments() {
        if t >= 0 && !pairs.iter().any(|p| p.1 == Some(t)) {
            pairs.push((None, Some(t)));
        }
    }
    let (mut sa, mut na, mut sb, mut nb, mut before, mut after, mut change) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (a, b) in &pairs {
        let (x, y) = (a.map_or(0, |a| size(ra, a)), b.map_or(0, |b| size(rb, b)));
        sa.push(*a);
        na.push(a.map(|a| ra.name(a)));
        sb.push(*b);
        nb.push(b.map(|b| rb.name(b)));
        before.push(x);
        after.push(y);
        change.push(y as i64 - x as i64);
    }
    let mut cols = vec![
        Column::new("before_segment".into(), sa),
        Column::new("before_name".into(), na),
        Column::new("after_segment".into(), sb),
        Column::new("after_name".into(), nb),
        Column::new("customers_before".into(), before),
        Column::new("customers_after".into(), after),
        Column::new("change".into(), change),
    ];
    if let (Some((va, ta)), Some((vb, tb))) = (&ra.value, &rb.value) {
        if va == vb {
            let total = |t: &BTreeMap<i64, f64>, s: Option<i64>| {
                s.map_or(0.0, |s| t.get(&s).copied().unwrap_or(0.0))
            };
            cols.push(Column::new(
                format!("{va}_before").into(),
                pairs.iter().map(|p| total(ta, p.0)).collect::<Vec<_>>(),
            ));
            cols.push(Column::new(
                format!("{va}_after").into(),
                pairs.iter().map(|p| total(tb, p.1)).collect::<Vec<_>>(),
            ));
        }
    }
    let mut df = DataFrame::new(pairs.len(), cols)?;
    write_parquet(&out.join("segments.parquet"), &mut df)?;
    Ok(())
}

/// `report.html` and its chart.
fn write_page(c: &Comparison, ra: &Run, rb: &Run) -> Result<()> {
    let (out, from, to, counts, matched) = (&c.out, &c.from, &c.to, &c.counts, &c.matched);
    let (shared, new, lost) = (c.shared, c.new, c.lost);
    let named = |r: &Run, list: &[i64]| list.iter().map(|&s| (s, r.name(s))).collect();
    let page = ComparePage {
        before: ra.dir.display().to_string(),
        after: rb.dir.display().to_string(),
        shared,
        new,
        lost,
        from: named(ra, from),
        to: named(rb, to),
        counts: counts.to_vec(),
        matched: matched.to_vec(),
        actions_before: ra.actions.clone(),
        actions_after: rb.actions.clone(),
    };
    for (file, bytes) in compare_page(&page)? {
        let path = out.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| crate::error::Error::io(parent, e))?;
        }
        write_bytes(&path, &bytes)?;
    }
    Ok(())
}

/// What the command prints: the counts, the matching, and the transition matrix.
fn summary(c: &Comparison, ra: &Run, rb: &Run) -> String {
    let (out, from, to, counts, matched) = (&c.out, &c.from, &c.to, &c.counts, &c.matched);
    let (shared, new, lost) = (c.shared, c.new, c.lost);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} → {}: {} customers in both, {} new, {} gone",
        ra.dir.display(),
        rb.dir.display(),
        thousands(shared),
        thousands(new),
        thousands(lost)
    );
    let _ = writeln!(
        o,
        "segments matched on customer overlap (the pairing that keeps the most shared customers in their segment):"
    );
    for (a, b) in matched {
        let to_text = b.map_or("no match (its customers went elsewhere)".into(), |b| {
            format!("{b}: {}", rb.name(b))
        });
        let _ = writeln!(o, "  {a}: {} → {to_text}", ra.name(*a));
    }
    for &t in to.iter().filter(|&&t| t >= 0) {
        if !matched.iter().any(|(_, b)| *b == Some(t)) {
            let _ = writeln!(o, "  new segment {t}: {}", rb.name(t));
        }
    }
    let _ = writeln!(o, "customers from (rows) → to (columns):");
    let label = |s: i64| {
        if s < 0 {
            "noise".to_string()
        } else {
            s.to_string()
        }
    };
    let _ = write!(o, "{:>8}", "");
    for &t in to {
        let _ = write!(o, "{:>9}", label(t));
    }
    let _ = writeln!(o);
    for (i, &f) in from.iter().enumerate() {
        let _ = write!(o, "{:>8}", label(f));
        for c in &counts[i] {
            let _ = write!(o, "{:>9}", thousands(*c));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "written: {}/report.html, transitions.parquet, migrations.parquet, migrations.csv, segments.parquet",
        out.display()
    );
    o
}
