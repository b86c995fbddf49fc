//! The `segflow` command line: parses arguments, calls the library, prints errors.
//! Exit codes: 0 ok, 2 bad config or data, 1 internal error.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser, Subcommand};
use segflow::runner::{self, RunOptions, RunSummary};
use segflow::stages::Stage;
use segflow::{config, generate, Error};

#[derive(Parser)]
#[command(
    name = "segflow",
    version,
    about = "Customer segmentation as a declarative, reproducible pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a pipeline: every stage writes its artifact under OUT_DIR/<name>/.
    #[command(after_help = "Example:\n  segflow run pipeline.yaml --until features")]
    Run {
        /// The pipeline file (YAML).
        pipeline: PathBuf,
        /// Folder for run outputs.
        #[arg(long, default_value = "outputs")]
        out_dir: PathBuf,
        /// No progress display; print only the output folder.
        #[arg(long, short)]
        quiet: bool,
        /// Re-run every stage, ignoring the cache.
        #[arg(long)]
        force: bool,
        /// Re-run from this stage on (ingest, clean, features, scale, cluster, evaluate, profile).
        #[arg(long, value_name = "STAGE", value_parser = stage_parser())]
        from: Option<Stage>,
        /// Stop after this stage.
        #[arg(long, value_name = "STAGE", value_parser = stage_parser())]
        until: Option<Stage>,
        /// When another run is writing the same output folder, exit 2 at once instead of
        /// waiting for it to finish.
        #[arg(long)]
        no_wait: bool,
        /// Print one JSON document on stdout (the outcome, or the error) and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Propose a pipeline for your own file: reads it and writes a commented pipeline.yaml.
    #[command(
        after_help = "Example:\n  segflow init customers.csv --out pipeline.yaml && segflow run pipeline.yaml"
    )]
    Init {
        /// Your data: a customer table or invoice lines (CSV, TSV, whitespace-separated text,
        /// gzip, or Parquet).
        data: PathBuf,
        /// Where to write the pipeline.
        #[arg(long, default_value = "pipeline.yaml")]
        out: PathBuf,
        /// Replace the file at --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check a pipeline file and the input's columns without running anything.
    #[command(after_help = "Example:\n  segflow validate examples/online_retail.yaml")]
    Validate {
        pipeline: PathBuf,
        /// Print one JSON document on stdout (the outcome, or the error) and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Print a Parquet artifact, or summarise a run folder from its manifest.
    #[command(
        after_help = "Example:\n  segflow inspect outputs/mall\n  segflow inspect outputs/mall/03_features.parquet --describe"
    )]
    Inspect {
        /// A `.parquet` file or a run folder (outputs/<name>).
        path: PathBuf,
        /// Rows to show.
        #[arg(long, default_value_t = 10)]
        head: usize,
        /// Show column names and types.
        #[arg(long)]
        schema: bool,
        /// Show count, nulls, mean, std, min, quartiles and max per column.
        #[arg(long)]
        describe: bool,
        /// Print one JSON document on stdout (the outcome, or the error) and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Place new customers in the segments of a finished run.
    #[command(
        after_help = "Example:\n  segflow assign --model outputs/mall/model.json new_customers.csv --out scored.csv"
    )]
    Assign {
        /// The run's model.json.
        #[arg(long)]
        model: PathBuf,
        /// New customers (CSV, TSV or Parquet) with the columns the run's input had.
        input: PathBuf,
        /// Where to write id, segment, segment_name, reason (.csv or .parquet; a PostgreSQL
        /// table, postgresql://user@host:5432/database/schema.table; with --engine spark, a
        /// Parquet dataset: a folder, or a URI the cluster writes).
        #[arg(long)]
        out: PathBuf,
        /// Where to score: this machine, or a Spark cluster (K-means models; the input is
        /// read by the cluster: a path it sees or an hdfs://, s3a:// URI).
        #[arg(long, value_enum, default_value = "local")]
        engine: AssignEngine,
        /// The Spark Connect server (default: SEGFLOW_SPARK_REMOTE, else sc://127.0.0.1:15002).
        #[arg(long, requires = "engine")]
        remote: Option<String>,
        /// With the model of an invoice-lines run: the reference date (YYYY-MM-DD), the day
        /// after the period scored; lines dated on or after it are left out. Default: the
        /// day after the last line.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Print one JSON document on stdout (the outcome, or the error) and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Compare two finished runs: which segment is which, who moved where, who is new or gone.
    #[command(
        after_help = "Example:\n  segflow compare outputs/retail_2024_11 outputs/retail_2024_12\n\nWrites transitions.parquet, migrations.parquet and migrations.csv to --out\n(default: the later run's compare/ folder)."
    )]
    Compare {
        /// The earlier run folder (outputs/<name>).
        before: PathBuf,
        /// The later run folder.
        after: PathBuf,
        /// Folder for the comparison's files (default: AFTER/compare).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON document on stdout (the outcome, or the error) and nothing else.
        #[arg(long)]
        json: bool,
    },
    /// Benchmark the reference pipelines on generated data (use a release build).
    #[command(
        after_help = "Example:\n  cargo run --release -- bench --runs 3 --only transactions_1m"
    )]
    Bench {
        /// Folder for the generated data, configs, outputs and results.json.
        #[arg(long, default_value = "bench")]
        dir: PathBuf,
        /// Runs per case (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Only the cases whose name contains this (e.g. customers_100k).
        #[arg(long, default_value = "")]
        only: String,
        /// Also run the 10M lines on the Spark cluster at SEGFLOW_SPARK_REMOTE (default
        /// sc://127.0.0.1:15002; `scripts/spark-local start`); needs `--features spark`.
        #[arg(long)]
        spark: bool,
    },
    /// Generate synthetic data.
    #[command(
        after_help = "Example:\n  segflow generate transactions --customers 5000 --rows 100000 --out lines.parquet"
    )]
    Generate {
        #[command(subcommand)]
        what: Generate,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Example:\n  segflow completions bash > ~/.local/share/bash-completion/completions/segflow"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout.
    #[command(after_help = "Example:\n  segflow man > segflow.1 && man ./segflow.1")]
    Man,
    /// Print the JSON Schema of pipeline.yaml, for editors (completion, unknown keys, types).
    #[command(
        after_help = "Example:\n  segflow schema > segflow.schema.json\n  (then, as the first line of pipeline.yaml: # yaml-language-server: $schema=segflow.schema.json)"
    )]
    Schema,
}

/// `--from` / `--until`: the stage names, offered by shell completion.
fn stage_parser() -> impl TypedValueParser<Value = Stage> {
    let names: Vec<&'static str> = Stage::ALL.iter().map(|s| s.name()).collect();
    PossibleValuesParser::new(names).try_map(|s| Stage::parse(&s))
}

#[derive(Subcommand)]
enum Generate {
    /// A customers table with the Kaggle Mall Customers schema and five latent segments.
    Customers {
        #[arg(long, default_value_t = 200)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// A retail order export (21 columns, Superstore-shaped: CA-/US- order ids, month-first
    /// order and ship dates, quoted product names).
    Orders {
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Online-Retail-shaped invoice lines (CSV, or Parquet for a .parquet name).
    Transactions {
        #[arg(long, default_value_t = 1000)]
        customers: usize,
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of customers (0 to 1) who lapse after 2022: their 2023 invoices move to 2022.
        #[arg(long, default_value_t = 0.0)]
        drift: f64,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = json_request(&cli.command);
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match json {
                Some((command, file)) => {
                    print_json(&segflow::json::error(command, &e, Some(&file)));
                }
                None => eprintln!("error: {e}"),
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// With `--json`: the command's name and the file it was given, for an error document.
fn json_request(cmd: &Command) -> Option<(&'static str, PathBuf)> {
    match cmd {
        Command::Run {
            json: true,
            pipeline,
            ..
        } => Some(("run", pipeline.clone())),
        Command::Validate {
            json: true,
            pipeline,
        } => Some(("validate", pipeline.clone())),
        Command::Inspect {
            json: true, path, ..
        } => Some(("inspect", path.clone())),
        Command::Assign {
            json: true, input, ..
        } => Some(("assign", input.clone())),
        Command::Compare {
            json: true, after, ..
        } => Some(("compare", after.clone())),
        _ => None,
    }
}

fn print_json(v: &serde_json::Value) {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    emit(&format!("{text}\n"));
}

fn dispatch(cmd: Command) -> Result<(), Error> {
    match cmd {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "segflow",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| Error::io("stdout", e)),
        Command::Schema => {
            emit(&config::json_schema());
            Ok(())
        }
        Command::Run {
            pipeline,
            out_dir,
            quiet,
            force,
            from,
            until,
            no_wait,
            json,
        } => {
            let opts = RunOptions {
                out_root: out_dir,
                progress: !quiet && !json && std::io::stderr().is_terminal(),
                force,
                from,
                until,
                no_wait,
            };
            run(&pipeline, &opts, quiet, json)
        }
        Command::Init { data, out, force } => init(&data, &out, force),
        Command::Validate { pipeline, json } => validate(&pipeline, json),
        Command::Inspect {
            path,
            head,
            schema,
            describe,
            json,
        } => inspect(&path, head, (schema, describe), json),
        Command::Assign {
            model,
            input,
            out,
            engine,
            remote,
            as_of,
            json,
        } => assign(
            &model,
            &input,
            &out,
            (engine, remote),
            as_of.as_deref(),
            json,
        ),
        Command::Compare {
            before,
            after,
            out,
            json,
        } => compare(&before, &after, out, json),
        Command::Bench {
            dir,
            runs,
            only,
            spark,
        } => bench(&dir, runs, &only, spark),
        Command::Generate { what } => generate(what),
    }
}

/// `segflow compare`: who moved between two runs (into `after/compare` by default).
fn compare(
    before: &std::path::Path,
    after: &std::path::Path,
    out: Option<PathBuf>,
    json: bool,
) -> Result<(), Error> {
    let out = out.unwrap_or_else(|| after.join("compare"));
    let c = segflow::compare::compare(before, after, &out)?;
    if json {
        print_json(&segflow::json::compare(&c));
    } else {
        emit(&c.text);
    }
    Ok(())
}

/// `segflow run`: runs the pipeline and prints its summary (or the JSON document).
fn run(
    pipeline: &std::path::Path,
    opts: &RunOptions,
    quiet: bool,
    json: bool,
) -> Result<(), Error> {
    let plan = config::load(pipeline)?;
    let summary = runner::run(&plan, opts)?;
    if json {
        for w in &summary.manifest.warnings {
            eprintln!("warning: {w}");
        }
        print_json(&segflow::json::run(&summary));
    } else {
        print_summary(&summary, quiet);
    }
    Ok(())
}

/// `segflow init`: writes a pipeline for the user's file and says what it decided.
fn init(data: &std::path::Path, out: &std::path::Path, force: bool) -> Result<(), Error> {
    let proposal = segflow::init::write(data, out, force)?;
    let mut text = String::new();
    for d in &proposal.decisions {
        let _ = writeln!(text, "{d}");
    }
    let _ = writeln!(
        text,
        "wrote {}: check it, then run `segflow run {}`",
        out.display(),
        out.display()
    );
    emit(&text);
    Ok(())
}

/// `segflow validate`: checks the pipeline against its input without running it.
fn validate(pipeline: &std::path::Path, json: bool) -> Result<(), Error> {
    let plan = config::load(pipeline)?;
    let schema = runner::check(&plan)?;
    if json {
        print_json(&segflow::json::validate(&plan, &schema));
        return Ok(());
    }
    let input = match &plan.input.postgres {
        Some(pg) => format!("the query at {}", segflow::database::source::place(pg)),
        None => plan.input.path.display().to_string(),
    };
    println!(
        "{}: ok (pipeline `{}`, input {input} with {} columns)",
        pipeline.display(),
        plan.name,
        schema.len()
    );
    Ok(())
}

/// `segflow inspect`: a data file's head, schema or description, or a run folder's summary.
fn inspect(
    path: &std::path::Path,
    head: usize,
    (schema, describe): (bool, bool),
    json: bool,
) -> Result<(), Error> {
    if json {
        print_json(&if path.is_dir() {
            segflow::json::inspect_dir(path)?
        } else {
            segflow::json::inspect_file(path, head, describe)?
        });
        return Ok(());
    }
    let text = if path.is_dir() {
        segflow::inspect::run_dir(path)?
    } else {
        segflow::inspect::file(path, head, schema, describe)?
    };
    emit(&text);
    Ok(())
}

/// `segflow bench`: runs the benchmark cases and prints their table.
fn bench(dir: &std::path::Path, runs: usize, only: &str, spark: bool) -> Result<(), Error> {
    if spark && !cfg!(feature = "spark") {
        return Err(Error::Config(
            "--spark needs the Spark engine: build with `cargo build --release --features spark`"
                .into(),
        ));
    }
    let (table, _) = segflow::bench::run(dir, runs.max(1), only, spark)?;
    emit(&table);
    emit(&format!(
        "results: {}\n",
        dir.join("results.json").display()
    ));
    Ok(())
}

/// Where `segflow assign` scores.
#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum AssignEngine {
    Local,
    Spark,
}

/// `--out` names a PostgreSQL table (`postgresql://…/database/schema.table`).
fn is_database(out: &std::path::Path) -> bool {
    let text = out.to_string_lossy();
    text.starts_with("postgresql://") || text.starts_with("postgres://")
}

/// Writes scored customers to `out`: a PostgreSQL table (replaced in one transaction, with
/// `run_name` "assign with <pipeline>" and `run_at`), a `.parquet` file, or CSV.
fn write_scored(
    m: &segflow::model::ModelFile,
    mut scored: polars::prelude::DataFrame,
    out: &std::path::Path,
) -> Result<segflow::assign::Summary, Error> {
    let summary = segflow::assign::Summary::of(&scored)?;
    if is_database(out) {
        let target = config::PgTarget::from_address(&out.to_string_lossy())
            .map_err(|e| Error::Config(format!("--out: {e}")))?;
        let name = format!("assign with {}", m.pipeline);
        let at = segflow::database::sink::now();
        segflow::database::sink::write_segments(&target, scored, &name, &at)?;
    } else if out.extension().is_some_and(|e| e == "parquet") {
        segflow::artifacts::write_parquet(out, &mut scored)?;
    } else {
        segflow::artifacts::write_csv(out, &mut scored)?;
    }
    Ok(summary)
}

/// `segflow assign`: scores new customers and writes them as CSV or Parquet (or, on Spark,
/// a Parquet dataset).
fn assign(
    model: &std::path::Path,
    input: &std::path::Path,
    out: &std::path::Path,
    (engine, remote): (AssignEngine, Option<String>),
    as_of: Option<&str>,
    json: bool,
) -> Result<(), Error> {
    let m = segflow::model::ModelFile::read(model)?;
    let as_of = as_of.map(parse_as_of).transpose()?;
    let mut read = None;
    let summary = match engine {
        AssignEngine::Local => {
            let scored = segflow::assign::assign(&m, input, as_of)?;
            read = scored.read;
            write_scored(&m, scored.table, out)?
        }
        AssignEngine::Spark if as_of.is_some() => {
            return Err(Error::Config(
                "--as-of scores invoice lines, on this machine: drop --engine spark".into(),
            ))
        }
        AssignEngine::Spark => {
            let remote = segflow::config::spark_remote(remote);
            if out.extension().is_some_and(|e| e == "csv") || is_database(out) {
                return Err(Error::Config(
                    "--engine spark writes a Parquet dataset: name a folder for --out (e.g. scored/ or scored.parquet)".into(),
                ));
            }
            segflow::spark::assign(&m, input, &segflow::config::spark_uri(out), &remote)?
        }
    };
    let out = out.to_string_lossy();
    if json {
        print_json(&segflow::json::assign(&m, &out, &summary, read.as_deref())?);
        return Ok(());
    }
    if let Some(read) = read {
        emit(&format!("{read}\n"));
    }
    let unscored = summary.not_scored;
    emit(&format!(
        "scored {} of {} customers with {} into {}{}\n",
        summary.customers - unscored,
        summary.customers,
        m.chosen_model,
        out,
        if unscored > 0 {
            format!(" ({unscored} not scored: see the reason column)")
        } else {
            String::new()
        }
    ));
    Ok(())
}

/// `--as-of`: a date like 2011-12-10.
fn parse_as_of(text: &str) -> Result<chrono::NaiveDate, Error> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Error::Config(format!(
            "--as-of must be a date like 2011-12-10, got `{text}`"
        ))
    })
}

/// `segflow generate`: synthetic customers or invoice lines.
fn generate(what: Generate) -> Result<(), Error> {
    match what {
        Generate::Customers { rows, seed, out } => {
            if rows == 0 {
                return Err(Error::Config("--rows must be at least 1".into()));
            }
            generate::write_customers(&out, rows, seed)?;
            println!("wrote {rows} customers to {}", out.display());
            Ok(())
        }
        Generate::Orders { rows, seed, out } => {
            if rows == 0 {
                return Err(Error::Config("--rows must be at least 1".into()));
            }
            generate::write_orders(&out, rows, seed)?;
            println!("wrote {rows} order lines to {}", out.display());
            Ok(())
        }
        Generate::Transactions {
            customers,
            rows,
            seed,
            drift,
            out,
        } => {
            if rows == 0 || customers == 0 {
                return Err(Error::Config(
                    "--rows and --customers must be at least 1".into(),
                ));
            }
            if !(0.0..=1.0).contains(&drift) {
                return Err(Error::Config(format!(
                    "--drift is a share of the customers, from 0 to 1: got {drift}"
                )));
            }
            let started = std::time::Instant::now();
            let n = generate::write_transactions(&out, customers, rows, seed, drift)?;
            println!(
                "wrote {n} invoice lines of {customers} customers to {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            if drift > 0.0 {
                let lapsed = generate::lapsing(customers, seed, drift);
                println!(
                    "{} customers lapse after 2022-12-31 (--drift {drift}): their 2023 invoices are dated in 2022",
                    lapsed.iter().filter(|&&l| l).count()
                );
            }
            Ok(())
        }
    }
}

/// The stages' rows, seconds and artifacts, with their notes.
fn stage_table(o: &mut String, s: &RunSummary) {
    let _ = writeln!(o, "stage      rows in  rows out  seconds  artifact");
    for r in &s.manifest.stages {
        let _ = writeln!(
            o,
            "{:<9} {:>8} {:>9} {:>8.3}  {}{}",
            r.stage,
            r.rows_in,
            r.rows_out,
            r.seconds,
            r.artifact,
            if r.cached { "  (cached)" } else { "" }
        );
        if !r.note.is_empty() {
            let _ = writeln!(o, "{:>11}{}", "", r.note);
        }
    }
}

/// The models' scores and the chosen model's segments.
fn model_tables(o: &mut String, s: &RunSummary) {
    let w = s
        .scores
        .iter()
        .map(|sc| sc.model.len())
        .fold(14, usize::max);
    let _ = writeln!(
        o,
        "{:<w$} clusters  noise  silhouette  davies_bouldin  calinski_harabasz  wcss        stability",
        "model"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.4}"));
    for sc in &s.scores {
        let _ = writeln!(
            o,
            "{:<w$} {:>8} {:>6.1}% {:>11} {:>15} {:>18} {:>10.3} {:>10}{}",
            sc.model,
            sc.clusters,
            sc.noise_share * 100.0,
            f(sc.silhouette),
            f(sc.davies_bouldin),
            f(sc.calinski_harabasz),
            sc.wcss,
            sc.stability
                .as_ref()
                .and_then(|t| t.min())
                .map_or("-".to_string(), |m| format!("{m:.2}")),
            if sc.chosen { "  <- chosen" } else { "" }
        );
    }
    o.push('\n');
    let _ = writeln!(o, "segment  size   share  stability  name");
    for seg in &s.segments {
        let st = seg.stability.as_ref();
        let _ = writeln!(
            o,
            "{:>7} {:>5} {:>6.1}%  {:>9}  {}",
            seg.id,
            seg.size,
            seg.share * 100.0,
            st.map_or("-".to_string(), |t| format!("{:.2}", t.jaccard)),
            seg.name
        );
    }
    if s.scores.iter().any(|sc| sc.stability.is_some()) {
        let _ = writeln!(
            o,
            "stability: the least stable segment's (per model) or the segment's mean Jaccard with the segments found again on resamples; 0.75 and above is stable, under 0.6 not to be trusted"
        );
    }
}

/// Past and expected value per segment, and the holdout check (runs with `predict`).
fn predicted_table(o: &mut String, s: &RunSummary, p: &segflow::stages::predict::PredictState) {
    if p.models.is_none() {
        let _ = writeln!(o, "predict: no predictions (see the warnings)");
        return;
    }
    let _ = writeln!(
        o,
        "segment  past value  next {} days  mean P(alive)  at risk",
        p.horizon_days
    );
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", 100.0 * v));
    for seg in &s.segments {
        let Some(v) = &seg.value else { continue };
        let _ = writeln!(
            o,
            "{:>7} {:>11} {:>13} {:>14.3} {:>8}",
            seg.id,
            pct(Some(v.past_share)),
            pct(v.predicted_share),
            v.mean_p_alive,
            v.at_risk
        );
    }
    if let Some(h) = &p.holdout {
        let _ = writeln!(
            o,
            "holdout check ({} days to {}): expected {:.0} repeat purchase days, actual {:.0} ({:+.1}%)",
            h.days,
            p.as_of,
            h.expected_purchases,
            h.actual_purchases,
            100.0 * h.error
        );
    }
}

fn print_summary(s: &RunSummary, quiet: bool) {
    let mut o = String::new();
    for w in &s.manifest.warnings {
        eprintln!("warning: {w}");
    }
    if quiet {
        let _ = writeln!(o, "{}", s.out_dir.display());
        emit(&o);
        return;
    }
    stage_table(&mut o, s);
    if !s.manifest.status.is_complete() {
        let _ = writeln!(o, "{}", s.manifest.status);
        emit(&o);
        return;
    }
    // Where the dropped rows are: the clean stage's audit table, or Spark's dataset.
    let audit = match s
        .manifest
        .files
        .iter()
        .find(|(f, sha)| sha.is_empty() && f.ends_with("02_clean_dropped"))
    {
        Some((uri, _)) => uri.as_str(),
        None => "02_clean_dropped.parquet",
    };
    let _ = writeln!(o, "dropped rows: {} ({audit})", s.dropped_rows);
    o.push('\n');
    model_tables(&mut o, s);
    o.push('\n');
    if let Some(p) = &s.predict {
        predicted_table(&mut o, s, p);
        o.push('\n');
    }
    if let Some(pg) = &s.manifest.postgres {
        let place = segflow::database::source::place(pg);
        let _ = writeln!(
            o,
            "read:      the query at {place}, kept as {}",
            s.manifest.input_path
        );
    }
    let _ = writeln!(o, "artifacts: {}", s.out_dir.display());
    if let Some(w) = &s.written {
        let mode = match w.mode {
            config::WriteMode::Replace => "replaced",
            config::WriteMode::Append => "appended",
        };
        let _ = writeln!(
            o,
            "database:  {} customers {mode} in {} at {}",
            w.rows, w.table, w.place
        );
    }
    let report = s.out_dir.join("report.html");
    if report.exists() {
        let _ = writeln!(
            o,
            "report:    {} (segment cards with actions and rules)",
            report.display()
        );
    }
    emit(&o);
}

/// Writes to stdout, ignoring a closed pipe (`segflow run … | head`).
fn emit(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
