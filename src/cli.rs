//! Command-line definitions only: the doc comments are the help text. Values here are raw;
//! `settings::Settings::resolve` turns them (with the config file) into resolved settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::contract::{Audience, Lang};

/// mcr — Manage Client Relationship.
///
/// Turns CRM exports into value segmentation (Pareto, ABC, S/A/B/C tiers), three-dimensional
/// relationship depth (KRI/GRI/ORI) and concentration / key-person risk, as metric tables and
/// self-contained HTML reports.
#[derive(Debug, Parser)]
#[command(name = "mcr", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Examples:\n  mcr run                       # the bundled sample → lake/ and reports/\n  mcr ingest exports/ --profile salesforce\n  mcr analyze --as-of 2026-09-30\n  mcr report --lang en --audience finance"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (default: ./mcr.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lake directory (overrides `lake` in the config; default `lake`).
    #[arg(long, global = true, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// No progress bars or informational messages on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print a machine-readable JSON summary on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The scheduled job: ingest every configured source, analyze, render every report.
    #[command(
        after_help = "Examples:\n  mcr run                     # bundled sample (data/sample) → lake/, reports/\n  mcr run --config mcr.toml   # every [[sources]] of the config"
    )]
    Run(RunArgs),
    /// Read CRM exports into the lake (validated, typed, snapshotted Parquet).
    #[command(
        after_help = "Examples:\n  mcr ingest data/sample\n  mcr ingest exports/*.csv --profile salesforce --strict\n  mcr ingest crm.xlsx --profile my-crm.toml --dry-run"
    )]
    Ingest(IngestArgs),
    /// Compute every metric table for one as_of date into lake/metrics/as_of=<date>/.
    #[command(after_help = "Examples:\n  mcr analyze\n  mcr analyze --as-of 2026-09-30 --json")]
    Analyze(AnalyzeArgs),
    /// Render SVG charts and self-contained HTML reports per audience.
    #[command(
        after_help = "Examples:\n  mcr report\n  mcr report --lang en --audience finance,leadership --out /srv/reports"
    )]
    Report(ReportArgs),
    /// E-mail the leadership page of a rendered report: the full report to `[delivery] to`,
    /// each burst (bursts.csv) to its recipient. See docs/delivery.md.
    #[command(
        after_help = "Examples:\n  mcr deliver --dry-run\n  mcr deliver --as-of 2026-06-30 --lang en\n  mcr deliver --outbox outbox/   # .eml files instead of sending"
    )]
    Deliver(DeliverArgs),
    /// Run SQL over the lake tables and the metric tables.
    #[command(
        after_help = "Examples:\n  mcr query \"SELECT tier, count(*) AS n FROM metrics_accounts GROUP BY tier\"\n  mcr query queries/single_threaded_sa.sql --format csv > out.csv"
    )]
    Query(QueryArgs),
    /// Concentration and key-person figures with employees or accounts removed.
    #[command(
        after_help = "Examples:\n  mcr whatif --remove-employee E00003\n  mcr whatif --remove-account A000001 A000002 --json"
    )]
    Whatif(WhatifArgs),
    /// Write deterministic synthetic CRM exports of any size.
    #[command(
        after_help = "Examples:\n  mcr generate --accounts 300 --out data/sample\n  mcr generate --accounts 200000 --seed 7 --out /tmp/big --messy"
    )]
    Generate(GenerateArgs),
    /// Inspect the lake.
    #[command(subcommand)]
    Lake(LakeCommand),
    /// List the export profiles, or show one.
    #[command(after_help = "Examples:\n  mcr profiles\n  mcr profiles show salesforce")]
    Profiles(ProfilesArgs),
    /// Show the configuration.
    #[command(
        after_help = "Examples:\n  mcr config --defaults > mcr.toml\n  mcr config            # the resolved settings"
    )]
    Config(ConfigArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// as_of date for analyze and report (YYYY-MM-DD; default from config: latest data).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Report language.
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Reports directory (overrides `reports` in the config).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seconds to wait for another mcr command writing the same lake (default 300).
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
    /// Re-ingest every source even when its files and options are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Reject rows whose foreign keys point nowhere at ingest, and fail when fact rows point to
    /// no account or sources conflict (MCR030, MCR031).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct IngestArgs {
    /// Export files or folders (a folder holds one file per table: accounts.csv, contacts.csv, …).
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// Profile name (canonical, salesforce, hubspot, dynamics365, …) or a profile TOML file.
    #[arg(long, short, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Reject rows whose foreign keys point nowhere (otherwise they are kept and counted).
    #[arg(long)]
    pub strict: bool,
    /// Validate and print the data-quality summary without writing to the lake.
    #[arg(long)]
    pub dry_run: bool,
    /// Re-ingest even when the files, the profile and the options are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Seconds to wait for another mcr command writing the same lake (default 0: refuse at
    /// once, naming the command that holds it).
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
    /// The source these exports belong to (default: the `[[sources]]` entry with this path,
    /// else `default`). Re-ingesting a source replaces only its own tables.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct AnalyzeArgs {
    /// as_of date (YYYY-MM-DD; default: the latest revenue date).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Seconds to wait for another mcr command writing the same lake (default 0: refuse at
    /// once, naming the command that holds it).
    #[arg(long, value_name = "SECS")]
    pub wait: Option<u64>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ReportArgs {
    /// as_of date of the metrics to report (default: the newest analyzed).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Audiences, comma-separated.
    #[arg(long, value_delimiter = ',', value_enum)]
    pub audience: Vec<AudienceArg>,
    /// Report language.
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Output directory (reports/<as_of>/ is written under it).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write each owner's / region's pages over only its accounts (comma-separated).
    #[arg(long, value_delimiter = ',', value_enum, value_name = "owner|region")]
    pub burst: Vec<BurstArg>,
    /// Also print every page to PDF with headless Chromium.
    #[arg(long)]
    pub pdf: bool,
}

/// `--burst` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BurstArg {
    Owner,
    Region,
}

impl From<BurstArg> for crate::contract::BurstKind {
    fn from(b: BurstArg) -> Self {
        match b {
            BurstArg::Owner => crate::contract::BurstKind::Owner,
            BurstArg::Region => crate::contract::BurstKind::Region,
        }
    }
}

#[derive(Debug, Args, Clone, Default)]
pub struct DeliverArgs {
    /// The report to send, <reports>/<DATE>/ (default: as_of of the config, else the newest
    /// report folder with a leadership page).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Language of the subjects and the plain-text part.
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Write one .eml file per message into DIR instead of sending (no delivery log).
    #[arg(long, value_name = "DIR", conflicts_with = "dry_run")]
    pub outbox: Option<PathBuf>,
    /// List the recipients and subjects (and the skipped ones) without sending or writing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct QueryArgs {
    /// SQL text, or a path to a .sql file.
    #[arg(value_name = "SQL_OR_FILE")]
    pub sql: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Output file (required for parquet; default stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// as_of of the metric tables (default: the newest analyzed).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct WhatifArgs {
    /// Employees to remove (their relationships are lost).
    #[arg(long, num_args = 1.., value_name = "ID")]
    pub remove_employee: Vec<String>,
    /// Accounts to remove (their revenue is lost).
    #[arg(long, num_args = 1.., value_name = "ID")]
    pub remove_account: Vec<String>,
    /// as_of date (default: as for analyze).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct GenerateArgs {
    /// Number of accounts (1 to 10000000).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub accounts: u64,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Valid-but-untidy formats (¥1,234.50, 2026/1/31, Chinese labels, 是/否, BOM).
    #[arg(long)]
    pub messy: bool,
    /// Years of history (1 to 50).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub years: u32,
    /// Last date of the generated history (YYYY-MM-DD).
    #[arg(long, default_value = "2026-09-30")]
    pub end: String,
    /// Strength of the planted effect of relationship depth on retention, growth and win rate
    /// (0 = none: outcomes do not depend on relationships; 1 = mild, as in the bundled sample;
    /// 2 = strong; at most 10). Lets you see what the backtest shows with and without a real
    /// effect.
    #[arg(long, default_value_t = 1.0, value_name = "E")]
    pub effect: f64,
}

#[derive(Debug, Subcommand, Clone)]
pub enum LakeCommand {
    /// Tables, snapshots, row counts per source, sizes, last ingest, rejects.
    #[command(after_help = "Examples:\n  mcr lake status\n  mcr lake status --json")]
    Status,
    /// Remove one source's snapshots from the lake (the other sources stay as they are).
    #[command(after_help = "Examples:\n  mcr lake drop-source erp")]
    DropSource {
        /// The source's name (see `mcr lake status`).
        name: String,
        /// Seconds to wait for another mcr command writing the same lake.
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        wait: u64,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub action: Option<ProfilesAction>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ProfilesAction {
    /// Print one profile's TOML (copy it to start your own).
    Show {
        /// Profile name or file.
        name: String,
    },
    /// Draft a profile for an export folder: tables recognised by file name and headers,
    /// columns mapped by English and Chinese synonyms, keys made from what the files have.
    /// Prints a coverage table; check the draft with `mcr ingest DIR --profile FILE --dry-run`.
    Init {
        /// The export folder.
        dir: std::path::PathBuf,
        /// Write the draft here (default: print it).
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// Print the full default configuration, every setting commented.
    #[arg(long)]
    pub defaults: bool,
}

/// `--lang`: mapped onto [`crate::contract::Lang`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// `--audience`: mapped onto [`crate::contract::Audience`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    Strategy,
    Finance,
    Leadership,
}

impl From<AudienceArg> for Audience {
    fn from(a: AudienceArg) -> Audience {
        match a {
            AudienceArg::Strategy => Audience::Strategy,
            AudienceArg::Finance => Audience::Finance,
            AudienceArg::Leadership => Audience::Leadership,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Table,
    Csv,
    Json,
    Parquet,
}
