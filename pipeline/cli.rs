//! Command-line interface: every command, its flags and its `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::synth::Format;
use crate::term::LogFormat;

/// Reach and Impact pipeline: turns local authorities' returns about children
/// at risk of extra-familial harm into pseudonymised research data and
/// cross-authority metrics.
#[derive(Debug, Parser)]
#[command(name = "rni", version, about, long_about = None)]
pub struct Cli {
    /// How messages on stderr are written: `auto` (bars on a terminal), `plain` or `json` (one object per line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
    /// Only warnings and errors on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Synthesise messy returns for several authorities and show what was made (no input needed).
    Demo(DemoArgs),
    /// Write synthetic returns: realistic, seeded, CSV or XLSX, messy on request.
    Synth(SynthArgs),
    /// Write a new project key file (32 random bytes as 64 hex characters, mode 0600).
    Keygen(KeygenArgs),
    /// Write data-dictionary.md from the schemas, or check that it is current.
    Dictionary(DictionaryArgs),
    /// Check returns: report problems by file, row, column and rule; write nothing else.
    Validate(ValidateArgs),
    /// Pseudonymise one authority's returns into a Parquet package (at source; raw data stays).
    Prepare(PrepareArgs),
    /// The nightly job: prepare what changed, run every query, control disclosure, publish atomically.
    Build(BuildArgs),
    /// Run SQL, or a file from queries/, against a warehouse.
    Query(QueryArgs),
    /// A k-anonymous, scrubbed, record-level dataset for one authority, with its dictionary.
    CaseStudy(CaseStudyArgs),
    /// Scan a warehouse (or package) for any raw identifier from the returns; exit 1 on a finding.
    Audit(AuditArgs),
}

/// `rni audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The warehouse, package or export folder to scan (every file: Parquet decoded, the rest as text).
    pub warehouse: PathBuf,
    /// The returns whose identifiers must not appear.
    #[arg(long)]
    pub returns: PathBuf,
    /// Log files to scan as well.
    #[arg(long)]
    pub logs: Vec<PathBuf>,
}

/// `rni case-study`.
#[derive(Debug, Clone, Args)]
pub struct CaseStudyArgs {
    /// Warehouse built by `rni build`.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// ONS code of the authority, e.g. E09000017.
    #[arg(long)]
    pub authority: String,
    /// Folder to write the export to.
    #[arg(long)]
    pub out: PathBuf,
    /// Smallest class size (k-anonymity); by default the policy file's `k_anonymity`.
    #[arg(long)]
    pub k: Option<usize>,
    /// Disclosure policy file (the built-in `policy/disclosure.toml` if absent), as for `rni build`.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// First quarter to include, e.g. 2025Q1: the export holds the young people with an episode,
    /// review or context dated from then on (each with their whole history), the range widened to
    /// the level dates are shown at (whole years when dates are years; see `disclosure-report.json`).
    #[arg(long)]
    pub from: Option<String>,
    /// Last quarter to include, e.g. 2025Q4 (as --from).
    #[arg(long)]
    pub to: Option<String>,
    /// Share of young people that may be suppressed rather than generalising further (0 to 1).
    #[arg(long, default_value_t = 0.05)]
    pub max_suppression: f64,
    /// Free text (notes, descriptions): `scrubbed` (scrubbed again with the current scrubber,
    /// young people shown by their display names) or `none` (left out).
    #[arg(long, value_enum, default_value_t = NotesChoice::Scrubbed)]
    pub notes: NotesChoice,
    /// Write only the authority profile (`profile.md`, `profile.html`, `profile_metrics.csv`:
    /// the published figures by quarter, under the headings case studies use), no records.
    #[arg(long)]
    pub profile_only: bool,
    /// The query engine.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// What a case-study export does with free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotesChoice {
    /// Scrubbed again at export; young people by their display names.
    Scrubbed,
    /// Left out.
    None,
}

/// `rni build`.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Folder of raw returns: `<authority_code>/<period>/…`.
    #[arg(long, required_unless_present = "packages")]
    pub returns: Option<PathBuf>,
    /// A package made at source by `rni prepare`, or a folder of them (repeatable). Each is
    /// verified whole (key, schema, the sha256 of every file) before it is used; packages and
    /// raw returns mix in one build, each return given once.
    #[arg(long, value_name = "DIR")]
    pub packages: Vec<PathBuf>,
    /// The warehouse to publish (replaced atomically; `<out>.lock` guards it). With the
    /// `distributed` feature, also `s3://bucket/prefix` or `file:///folder`: published as a new
    /// build behind a pointer (see the README's "Running at scale").
    #[arg(long)]
    pub out: PathBuf,
    /// Project key file (made by `rni keygen`); if absent, the file named by RNI_KEY_FILE.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Fail, publishing nothing, when any row is rejected.
    #[arg(long)]
    pub strict: bool,
    /// Disclosure policy file (default: the built-in policy/disclosure.toml).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A file of words free text may keep besides the built-in word lists (local places,
    /// services), one or more per line. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vocabulary: Vec<PathBuf>,
    /// Memory the query engine may hold at once (e.g. `1GiB`, `512MiB`); sorts and aggregations
    /// beyond it spill to disk in the staging folder, and joins are done by sorting so that
    /// they can spill too.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub memory_limit: u64,
    /// The query engine.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// With `--out s3://…`: how many builds the store keeps (the newest; a reader that read
    /// the pointer just before a build moved it still finds its build).
    #[cfg(feature = "distributed")]
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub keep_builds: usize,
}

/// Which engine runs the queries (`--engine`, `--scheduler`: the `distributed` feature).
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// `local`: DataFusion in this process; `standalone`: Apache DataFusion Ballista's scheduler
    /// and an executor in this process (real gRPC and shuffle). Built with the `distributed`
    /// feature only.
    #[cfg(feature = "distributed")]
    #[arg(long, value_enum, default_value_t = EngineChoice::Local)]
    pub engine: EngineChoice,
    /// A running Ballista cluster's scheduler, e.g. `df://scheduler:50050`: the queries run
    /// there. Every executor must read the warehouse at the same address as this command.
    #[cfg(feature = "distributed")]
    #[arg(long, value_name = "URL", conflicts_with = "engine")]
    pub scheduler: Option<String>,
    /// On Ballista, the longest one query may take (seconds) before the command stops with an
    /// error.
    #[cfg(feature = "distributed")]
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub query_timeout: u64,
}

/// The engines of `--engine`.
#[cfg(feature = "distributed")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// DataFusion in this process.
    Local,
    /// Ballista in this process.
    Standalone,
}

impl EngineArgs {
    /// The engine these flags choose.
    #[cfg(feature = "engine")]
    pub fn engine(&self) -> crate::engine::session::Engine {
        #[cfg(feature = "distributed")]
        {
            use crate::engine::session::Engine;
            let query_timeout = std::time::Duration::from_secs(self.query_timeout.max(1));
            match (&self.scheduler, self.engine) {
                (Some(url), _) => Engine::Ballista { scheduler: Some(url.clone()), query_timeout },
                (None, EngineChoice::Standalone) => Engine::Ballista { scheduler: None, query_timeout },
                (None, EngineChoice::Local) => Engine::Local,
            }
        }
        #[cfg(not(feature = "distributed"))]
        crate::engine::session::Engine::Local
    }
}

/// A size in bytes from `1GiB`, `512MiB`, `1500M`, `2G` or a number of bytes.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("`{text}` is not a size such as 1GiB or 512MiB"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown unit `{other}` in `{text}` (use KiB, MiB or GiB)")),
    };
    let bytes = number * scale;
    if bytes < 64.0 * 1024.0 * 1024.0 {
        return Err(format!("`{text}` is too little memory for the query engine (at least 64MiB)"));
    }
    Ok(bytes as u64)
}

/// Output format of `rni query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row, one per line.
    Json,
}

/// `rni query`.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// A warehouse written by `rni build` (or a package written by `rni prepare`).
    pub warehouse: PathBuf,
    /// SQL text, the path of a `.sql` file (e.g. queries/episodes_started.sql), or a metric id
    /// (e.g. pct_rereferral_12m: its exact figures, before disclosure control). The figures a
    /// build published, after disclosure control, are the table `metric_values`.
    pub sql: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// The query engine.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `rni validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A return (`<authority_code>/<quarter>/` or `<authority_code>/cin/<year>/`), one source of an authority (`<authority_code>/cin/`), an authority's folder of returns, or a folder of authorities.
    pub returns: PathBuf,
    /// Where to write the problem report (CSV: file, row, column, rule; never a value).
    #[arg(long, default_value = "validation-report.csv")]
    pub report: PathBuf,
}

/// `rni prepare`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// A return (`<authority_code>/<quarter>/` or `<authority_code>/cin/<year>/`), one source of an authority (`<authority_code>/cin/`), an authority's folder of returns, or a folder of authorities.
    pub returns: PathBuf,
    /// Package folder to write (`tables/`, `MANIFEST.json`, `restricted/`).
    #[arg(long)]
    pub out: PathBuf,
    /// Project key file (made by `rni keygen`); if absent, the file named by RNI_KEY_FILE.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Other returns of the same authority (earlier quarters, say) whose young people's names
    /// the scrubber must also find in notes; they are read for names only. Quarters beside
    /// the returns given are always read for names.
    #[arg(long, value_name = "DIR")]
    pub names_from: Vec<PathBuf>,
    /// A file of words free text may keep besides the built-in word lists (local places,
    /// services), one or more per line. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vocabulary: Vec<PathBuf>,
}

/// `rni demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo's returns and outputs (replaced if it holds an earlier demo).
    #[arg(long, default_value = "rni-demo")]
    pub out: PathBuf,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
}

/// `rni synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder that receives `<authority_code>/<period>/…` and `synth-manifest.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of authorities (Hillingdon, E09000017, is always first).
    #[arg(long, default_value_t = 3)]
    pub authorities: usize,
    /// Young people per authority, over all periods.
    #[arg(long, default_value_t = 200)]
    pub young_people: usize,
    /// Quarters to write, as a range `2025Q1..2025Q4` or one quarter `2025Q3`.
    #[arg(long, default_value = "2025Q1..2025Q4")]
    pub periods: String,
    /// Seed of the random generator: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File format of the returns.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Make the files look like real exports (aliases, encodings, workbooks, line breaks) with a few bad rows.
    #[arg(long)]
    pub messy: bool,
    /// Also write statutory returns (CIN census XML, SSDA903 CSVs) that share children with the CS return.
    #[arg(long)]
    pub statutory: bool,
}

/// `rni keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key; an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

/// `rni dictionary`.
#[derive(Debug, Args)]
pub struct DictionaryArgs {
    /// Where to write (or what to check).
    #[arg(long, default_value = "data-dictionary.md")]
    pub out: PathBuf,
    /// Do not write; exit 1 when the file differs from what would be written.
    #[arg(long)]
    pub check: bool,
}
