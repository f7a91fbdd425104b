//! Raw CLI arguments + the config file → resolved [`Settings`]. This is the one place where
//! precedence is decided: command-line flag > config file > built-in default.
//!
//! The config file (`mcr.toml`) is read once; unknown keys are errors naming the key and the
//! file. `mcr config --defaults` prints [`DEFAULT_CONFIG`], every setting with its default and
//! meaning; a test checks that text parses to exactly [`ConfigFile::default`].

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cli::{Command, GlobalArgs};
use crate::contract::Lang;
use crate::delivery::{DeliveryConfig, DeliverySettings};
use crate::error::{hinted, UsageError};
use crate::metrics::MetricsConfig;
use crate::report::ReportConfig;

/// The commented default configuration printed by `mcr config --defaults`.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// The config file as written by the user. Every field is optional; see DEFAULT_CONFIG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Lake directory (relative paths are relative to the config file). Default `lake`.
    pub lake: PathBuf,
    /// Reports directory; reports go to `<reports>/<as_of>/`. Default `reports`.
    pub reports: PathBuf,
    /// Report language, `zh` or `en`. Default `zh`.
    pub language: Lang,
    /// `latest` (the latest revenue date, or won-opportunity close date) or a date YYYY-MM-DD.
    pub as_of: String,
    /// Currency all amounts are converted to (with fx_rates) before any sum. Unset (or
    /// `auto`): the one currency the amounts are stated in, else `CNY` (see
    /// [`crate::contract::currency`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporting_currency: Option<String>,
    /// Store contact email and phone as salted hashes (the salt lives in `<lake>/_salt`).
    pub hash_contact_pii: bool,
    /// Reject rows whose foreign keys point nowhere (as `mcr ingest --strict`).
    pub strict: bool,
    /// Profile used for sources that do not name one. Default `canonical`.
    pub default_profile: String,
    /// Export folders or files ingested by `mcr run`. Default: the bundled sample.
    pub sources: Vec<SourceConfig>,
    pub metrics: MetricsConfig,
    pub report: ReportConfig,
    /// `mcr deliver`: SMTP server, sender, recipients (docs/delivery.md).
    pub delivery: DeliveryConfig,
}

impl Default for ConfigFile {
    fn default() -> Self {
        ConfigFile {
            lake: PathBuf::from("lake"),
            reports: PathBuf::from("reports"),
            language: Lang::Zh,
            as_of: "latest".into(),
            reporting_currency: None,
            hash_contact_pii: true,
            strict: false,
            default_profile: "canonical".into(),
            sources: Vec::new(),
            metrics: MetricsConfig::default(),
            report: ReportConfig::default(),
            delivery: DeliveryConfig::default(),
        }
    }
}

/// One `[[sources]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The source's name in the lake (default: the last component of `path`). Re-ingesting a
    /// source replaces only its own tables; earlier entries win key conflicts.
    #[serde(default)]
    pub name: Option<String>,
    /// A folder of exports or one file.
    pub path: PathBuf,
    /// Profile name or profile file (default: `default_profile`).
    #[serde(default)]
    pub profile: Option<String>,
}

/// How the as_of date is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AsOf {
    /// The latest date found in revenue (or won opportunities when there is no revenue).
    Latest,
    Date(NaiveDate),
}

/// Accepted range of every day window (`metrics.*_days`): up to ten years.
pub const DAYS: RangeInclusive<u64> = 1..=3650;
/// Accepted range of `metrics.window_months`: up to ten years.
pub const MONTHS: RangeInclusive<u64> = 1..=120;
/// Accepted range of the multi-headed thresholds (employees, teams).
pub const HEADS: RangeInclusive<u64> = 1..=1000;
/// Accepted range of a GRI target (active contacts per tier and level; 0 drops the level).
pub const GRI_TARGET: RangeInclusive<u64> = 0..=1000;
/// Accepted range of `metrics.evidence.bootstrap_draws` (0 = no intervals).
pub const BOOTSTRAP_DRAWS: RangeInclusive<u64> = 0..=100_000;
/// Accepted range of a share or fraction setting.
pub const FRACTION: RangeInclusive<f64> = 0.0..=1.0;
/// Accepted range of an HHI band limit (HHI runs from 0 to 10 000).
pub const HHI: RangeInclusive<f64> = 0.0..=10_000.0;
/// Accepted range of `report.top_n`.
pub const TOP_N: RangeInclusive<u64> = 1..=10_000;
/// Accepted range of `report.chart_top_n`.
pub const CHART_TOP_N: RangeInclusive<u64> = 1..=100;
/// Accepted range of `report.leadership_top_n` (the page must fit one sheet).
pub const LEADERSHIP_TOP_N: RangeInclusive<u64> = 1..=50;
/// Accepted range of `report.scatter_labels` (0 = no labels).
pub const SCATTER_LABELS: RangeInclusive<u64> = 0..=1000;
/// Accepted range of `report.scatter_max_points`.
pub const SCATTER_MAX_POINTS: RangeInclusive<u64> = 10..=1_000_000;
/// Accepted range of `report.curve_points`.
pub const CURVE_POINTS: RangeInclusive<u64> = 2..=100_000;
/// Accepted range of `report.max_categories`.
pub const MAX_CATEGORIES: RangeInclusive<u64> = 1..=100;
/// Accepted range of `report.deal_min_amount` (an amount in the reporting currency).
pub const DEAL_MIN_AMOUNT: RangeInclusive<f64> = 0.0..=1e15;
/// Accepted range of `report.query_rows`.
pub const QUERY_ROWS: RangeInclusive<u64> = 1..=10_000;

/// A number read from the config file, for range checks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(u64),
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(v) => write!(f, "{v}"),
            Num::Float(v) => write!(f, "{v}"),
        }
    }
}

/// One setting with an accepted range: its key path in the config file, its value, the range.
#[derive(Debug, Clone, Copy)]
struct Ranged {
    key: &'static str,
    value: Num,
    min: Num,
    max: Num,
}

impl Ranged {
    fn int(key: &'static str, value: impl TryInto<u64>, range: RangeInclusive<u64>) -> Ranged {
        Ranged {
            key,
            value: Num::Int(value.try_into().unwrap_or(u64::MAX)),
            min: Num::Int(*range.start()),
            max: Num::Int(*range.end()),
        }
    }

    fn float(key: &'static str, value: f64, range: RangeInclusive<f64>) -> Ranged {
        Ranged {
            key,
            value: Num::Float(value),
            min: Num::Float(*range.start()),
            max: Num::Float(*range.end()),
        }
    }

    fn in_range(&self) -> bool {
        match (self.value, self.min, self.max) {
            (Num::Int(v), Num::Int(lo), Num::Int(hi)) => (lo..=hi).contains(&v),
            // NaN is in no range.
            (Num::Float(v), Num::Float(lo), Num::Float(hi)) => (lo..=hi).contains(&v),
            _ => false,
        }
    }

    /// A usage error naming the setting, its value and the accepted range.
    fn check(&self) -> Result<(), UsageError> {
        if self.in_range() {
            return Ok(());
        }
        let (key, value, min, max) = (self.key, self.value, self.min, self.max);
        Err(UsageError::new(format!(
            "invalid `{key} = {value}` in the config: the accepted range is {min} to {max}"
        ))
        .with_hint(format!(
            "set `{key}` to a value from {min} to {max}, or remove it to use the default (see `mcr config --defaults`)"
        )))
    }
}

/// Every config setting with an accepted range, with its value in `file`.
fn ranged_settings(file: &ConfigFile) -> Vec<Ranged> {
    let m = &file.metrics;
    let r = &file.report;
    let g = &m.gri_targets;
    vec![
        Ranged::int("metrics.window_months", m.window_months, MONTHS),
        Ranged::int("metrics.pipeline_days", m.pipeline_days, DAYS),
        Ranged::int("metrics.active_contact_days", m.active_contact_days, DAYS),
        Ranged::int("metrics.holder_days", m.holder_days, DAYS),
        Ranged::int("metrics.multi_headed_days", m.multi_headed_days, DAYS),
        Ranged::int(
            "metrics.multi_headed_team_days",
            m.multi_headed_team_days,
            DAYS,
        ),
        Ranged::int(
            "metrics.multi_headed_contact_employees",
            m.multi_headed_contact_employees,
            HEADS,
        ),
        Ranged::int("metrics.multi_headed_teams", m.multi_headed_teams, HEADS),
        Ranged::float("metrics.abc_a", m.abc_a, FRACTION),
        Ranged::float("metrics.abc_b", m.abc_b, FRACTION),
        Ranged::float("metrics.tier_s", m.tier_s, FRACTION),
        Ranged::float("metrics.tier_a", m.tier_a, FRACTION),
        Ranged::float("metrics.tier_b", m.tier_b, FRACTION),
        Ranged::float(
            "metrics.major_customer_share",
            m.major_customer_share,
            FRACTION,
        ),
        Ranged::float("metrics.hhi_moderate", m.hhi_moderate, HHI),
        Ranged::float("metrics.hhi_high", m.hhi_high, HHI),
        Ranged::float(
            "metrics.market.share_threshold",
            m.market.share_threshold,
            FRACTION,
        ),
        Ranged::int(
            "metrics.evidence.bootstrap_draws",
            m.evidence.bootstrap_draws,
            BOOTSTRAP_DRAWS,
        ),
        Ranged::int("metrics.gri_targets.S.executive", g.s.executive, GRI_TARGET),
        Ranged::int("metrics.gri_targets.S.middle", g.s.middle, GRI_TARGET),
        Ranged::int("metrics.gri_targets.S.base", g.s.base, GRI_TARGET),
        Ranged::int("metrics.gri_targets.A.executive", g.a.executive, GRI_TARGET),
        Ranged::int("metrics.gri_targets.A.middle", g.a.middle, GRI_TARGET),
        Ranged::int("metrics.gri_targets.A.base", g.a.base, GRI_TARGET),
        Ranged::int("metrics.gri_targets.B.executive", g.b.executive, GRI_TARGET),
        Ranged::int("metrics.gri_targets.B.middle", g.b.middle, GRI_TARGET),
        Ranged::int("metrics.gri_targets.B.base", g.b.base, GRI_TARGET),
        Ranged::int("metrics.gri_targets.C.executive", g.c.executive, GRI_TARGET),
        Ranged::int("metrics.gri_targets.C.middle", g.c.middle, GRI_TARGET),
        Ranged::int("metrics.gri_targets.C.base", g.c.base, GRI_TARGET),
        Ranged::int("report.top_n", r.top_n, TOP_N),
        Ranged::int("report.chart_top_n", r.chart_top_n, CHART_TOP_N),
        Ranged::int(
            "report.leadership_top_n",
            r.leadership_top_n,
            LEADERSHIP_TOP_N,
        ),
        Ranged::int("report.scatter_labels", r.scatter_labels, SCATTER_LABELS),
        Ranged::int(
            "report.scatter_max_points",
            r.scatter_max_points,
            SCATTER_MAX_POINTS,
        ),
        Ranged::int("report.curve_points", r.curve_points, CURVE_POINTS),
        Ranged::int("report.max_categories", r.max_categories, MAX_CATEGORIES),
        Ranged::int("report.query_rows", r.query_rows, QUERY_ROWS),
        Ranged::float("report.deal_min_amount", r.deal_min_amount, DEAL_MIN_AMOUNT),
    ]
}

/// Check every ranged setting of the config: the first one out of range is a usage error
/// naming the setting, its value and the accepted range.
pub fn check_ranges(file: &ConfigFile) -> Result<(), UsageError> {
    ranged_settings(file).iter().try_for_each(Ranged::check)
}

/// How long `mcr run` waits for the lake's lock by default.
pub const RUN_LOCK_WAIT_SECS: u64 = 300;

/// Resolved settings: what every command works with.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    pub lake: PathBuf,
    pub reports: PathBuf,
    pub lang: Lang,
    pub as_of: AsOf,
    /// The `reporting_currency` setting as an ISO code; `None` when it is not set (the
    /// currency then comes from the data: [`crate::contract::currency::reporting`]).
    #[serde(serialize_with = "serialize_currency")]
    pub reporting_currency: Option<String>,
    pub hash_contact_pii: bool,
    pub strict: bool,
    pub default_profile: String,
    /// Sources with relative paths resolved against the config file's folder.
    pub sources: Vec<SourceConfig>,
    pub metrics: MetricsConfig,
    pub report: ReportConfig,
    /// `[delivery]` with its addresses checked.
    pub delivery: DeliverySettings,
    pub quiet: bool,
    pub json: bool,
    /// Seconds a lake writer waits for another one holding the lake's lock: `--wait`, else
    /// [`RUN_LOCK_WAIT_SECS`] for `mcr run` (a scheduled job should queue behind a manual
    /// ingest), else 0 (interactive commands refuse at once, naming the holder).
    pub lock_wait_secs: u64,
    /// True when stderr is a terminal and not `--quiet`: progress bars are drawn.
    pub progress: bool,
}

impl Settings {
    /// The folder of custom queries: `report.queries_dir`, relative to the config file's
    /// folder when it is relative and there is a config file.
    pub fn queries_dir(&self) -> PathBuf {
        let dir = &self.report.queries_dir;
        if dir.is_absolute() {
            return dir.clone();
        }
        self.config_file
            .as_ref()
            .and_then(|c| c.parent())
            .map(|p| p.join(dir))
            .unwrap_or_else(|| dir.clone())
    }

    /// Resolve CLI flags over the config file over defaults.
    pub fn resolve(global: &GlobalArgs, command: &Command) -> anyhow::Result<Settings> {
        let explicit = global.config.clone();
        let path = match &explicit {
            Some(p) => Some(p.clone()),
            None => Some(PathBuf::from("mcr.toml")).filter(|p| p.is_file()),
        };
        let (file, base) = match &path {
            Some(p) => (
                load_config(p)?,
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
            ),
            None => (ConfigFile::default(), PathBuf::new()),
        };
        Self::from_parts(global, command, file, &base, path)
    }

    /// Resolution without touching the file system (used by tests).
    pub fn from_parts(
        global: &GlobalArgs,
        command: &Command,
        file: ConfigFile,
        base: &Path,
        config_file: Option<PathBuf>,
    ) -> anyhow::Result<Settings> {
        check_ranges(&file)?;
        let rel = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let mut as_of = parse_as_of(&file.as_of).map_err(|e| {
            hinted(
                format!("invalid `as_of = \"{}\"` in the config", file.as_of),
                format!("{e}; write `as_of = \"latest\"` or a date like `as_of = \"2026-09-30\"`"),
            )
        })?;
        let mut lang = file.language;
        let mut reports = rel(&file.reports);
        let mut strict = file.strict;
        let (flag_as_of, flag_lang, flag_out) = match command {
            Command::Run(a) => {
                strict |= a.strict;
                (a.as_of.as_deref(), a.lang, a.out.as_ref())
            }
            Command::Analyze(a) => (a.as_of.as_deref(), None, None),
            Command::Report(a) => (a.as_of.as_deref(), a.lang, a.out.as_ref()),
            Command::Deliver(a) => (a.as_of.as_deref(), a.lang, None),
            Command::Query(a) => (a.as_of.as_deref(), None, None),
            Command::Whatif(a) => (a.as_of.as_deref(), None, None),
            Command::Ingest(a) => {
                strict |= a.strict;
                (None, None, None)
            }
            _ => (None, None, None),
        };
        if let Some(s) = flag_as_of {
            as_of = parse_as_of(s).map_err(|e| {
                UsageError::new(format!("invalid --as-of `{s}`: {e}"))
                    .with_hint("use a date like --as-of 2026-09-30, or omit it for the latest data")
            })?;
        }
        if let Some(l) = flag_lang {
            lang = l.into();
        }
        if let Some(o) = flag_out {
            reports = o.clone();
        }
        let lake = match &global.lake {
            Some(l) => l.clone(),
            None => rel(&file.lake),
        };
        let sources = if file.sources.is_empty() && config_file.is_none() {
            // Without a config, everything goes to the one `default` source (each ingest
            // replaces the last), as for `mcr ingest DIR`.
            vec![SourceConfig {
                name: Some(crate::lake::manifest::DEFAULT_SOURCE.into()),
                path: bundled_sample(),
                profile: Some("canonical".into()),
            }]
        } else {
            file.sources
                .iter()
                .map(|s| {
                    Ok(SourceConfig {
                        name: Some(source_name(s)?),
                        path: rel(&s.path),
                        profile: s.profile.clone(),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?
        };
        let mut seen = std::collections::BTreeSet::new();
        for s in &sources {
            let name = s.name.clone().unwrap_or_default();
            if !seen.insert(name.clone()) {
                return Err(hinted(
                    format!("two [[sources]] entries are named `{name}`"),
                    "give each entry its own `name = \"…\"`; a name is the source's identity in the lake",
                ));
            }
        }
        let reporting_currency = match &file.reporting_currency {
            Some(c) => crate::contract::currency::parse_setting(c).map_err(|e| {
                hinted(
                    format!("invalid `reporting_currency = \"{c}\"` in the config: {e}"),
                    "write an ISO 4217 code such as `reporting_currency = \"USD\"`, or remove the line to take the currency from the data",
                )
            })?,
            None => None,
        };
        let mut report = file.report;
        if let Command::Report(a) = command {
            if !a.burst.is_empty() {
                report.burst = a.burst.iter().map(|&b| b.into()).collect();
            }
            report.pdf |= a.pdf;
        }
        report.burst.sort();
        report.burst.dedup();
        let delivery = crate::delivery::config::resolve(&file.delivery).map_err(|e| {
            UsageError::new(e.to_string()).with_hint(format!(
                "{}; see docs/delivery.md and `mcr config --defaults`",
                e.hint
            ))
        })?;
        let quiet = global.quiet;
        let lock_wait_secs = match command {
            Command::Run(a) => a.wait.unwrap_or(RUN_LOCK_WAIT_SECS),
            Command::Ingest(a) => a.wait.unwrap_or(0),
            Command::Analyze(a) => a.wait.unwrap_or(0),
            _ => 0,
        };
        Ok(Settings {
            config_file,
            lake,
            reports,
            lang,
            as_of,
            reporting_currency,
            hash_contact_pii: file.hash_contact_pii,
            strict,
            default_profile: file.default_profile,
            sources,
            metrics: file.metrics,
            report,
            delivery,
            quiet,
            json: global.json,
            lock_wait_secs,
            progress: !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        })
    }
}

/// An unset reporting currency prints as `auto (…)` in `mcr config`.
fn serialize_currency<S: serde::Serializer>(c: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c),
        None => s.serialize_str(&format!(
            "auto (the data's one currency, else {})",
            crate::contract::currency::DEFAULT_REPORTING_CURRENCY
        )),
    }
}

/// A `[[sources]]` entry's name: `name`, else the last component of its path.
fn source_name(s: &SourceConfig) -> anyhow::Result<String> {
    let name = match &s.name {
        Some(n) => n.trim().to_string(),
        None => s
            .path
            .file_stem()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    check_source_name(&name).map_err(|e| {
        hinted(
            format!("[[sources]] entry {}: {e}", s.path.display()),
            "set `name = \"crm\"` (letters, digits, `-`, `_`, `.`, Chinese allowed) on the entry",
        )
    })?;
    Ok(name)
}

/// A source name is text shown in the lake and reports: not empty, no control characters
/// or path separators, at most 64 characters.
pub fn check_source_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the source name is empty".into());
    }
    if name.chars().count() > 64 {
        return Err(format!(
            "the source name `{name}` is longer than 64 characters"
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"' | '\''))
    {
        return Err(format!(
            "the source name `{}` has a control character, a quote or a path separator",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// `data/sample` under the current directory, else beside the source tree this binary was
/// built from (so `mcr run` works from anywhere in a checkout).
fn bundled_sample() -> PathBuf {
    let local = PathBuf::from("data/sample");
    if local.is_dir() {
        return local;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    if built.is_dir() {
        built
    } else {
        local
    }
}

pub fn parse_as_of(s: &str) -> Result<AsOf, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("latest") || t.is_empty() {
        return Ok(AsOf::Latest);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(AsOf::Date)
        .map_err(|_| format!("`{t}` is not a date in YYYY-MM-DD form"))
}

/// Read and parse a config file; unknown keys name the key and the file.
pub fn load_config(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse_config(&text).map_err(|e| {
        hinted(
            format!("invalid config file {}: {}", path.display(), e.message()),
            "see every setting with `mcr config --defaults`",
        )
    })
}

pub fn parse_config(text: &str) -> Result<ConfigFile, toml::de::Error> {
    toml::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_text_is_the_default() {
        let parsed = parse_config(DEFAULT_CONFIG).expect("default config parses");
        assert_eq!(parsed, ConfigFile::default());
    }

    /// The commented `[delivery]` section of the default config, uncommented, is a valid
    /// section whose every key is documented.
    #[test]
    fn default_config_delivery_example_resolves() {
        let start = DEFAULT_CONFIG
            .find("# [delivery]")
            .expect("a [delivery] section");
        let text: String = DEFAULT_CONFIG[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| !l.starts_with(' ') && !l.starts_with("Region"))
            .collect::<Vec<_>>()
            .join("\n");
        let file = parse_config(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let d = &file.delivery;
        assert_eq!(d.host.as_deref(), Some("smtp.example.com"));
        assert_eq!(d.regions.len(), 1);
        let s = Settings::from_parts(
            &GlobalArgs::default(),
            &Command::Analyze(Default::default()),
            file,
            Path::new(""),
            None,
        )
        .expect("the example resolves");
        assert_eq!(s.delivery.port, 587);
        assert_eq!(s.delivery.to.len(), 2);
        // Every field of the section is in the example.
        let keys: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
            .collect();
        for k in ["host", "port", "from", "tls", "user", "password_env", "to"] {
            assert!(keys.contains(k), "{k} is not documented");
        }
    }

    #[test]
    fn bad_delivery_address_is_a_usage_error_naming_the_setting() {
        let file = parse_config("[delivery]\nto = [\"ok@example.com\", \"nope\"]").unwrap();
        let err = Settings::from_parts(
            &GlobalArgs::default(),
            &Command::Analyze(Default::default()),
            file,
            Path::new(""),
            None,
        )
        .unwrap_err();
        let usage = err.downcast_ref::<UsageError>().expect("a usage error");
        assert!(usage.message.contains("delivery.to"), "{}", usage.message);
        assert!(usage.hint.is_some());
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = parse_config("lake = \"x\"\nlaguage = \"en\"\n").unwrap_err();
        assert!(err.message().contains("laguage"), "{}", err.message());
    }

    #[test]
    fn flags_override_config() {
        let file = ConfigFile {
            language: Lang::Zh,
            as_of: "2026-01-31".into(),
            ..Default::default()
        };
        let cmd = Command::Report(crate::cli::ReportArgs {
            lang: Some(crate::cli::LangArg::En),
            as_of: Some("2026-09-30".into()),
            ..Default::default()
        });
        let s = Settings::from_parts(&GlobalArgs::default(), &cmd, file, Path::new("/cfg"), None)
            .unwrap();
        assert_eq!(s.lang, Lang::En);
        assert_eq!(
            s.as_of,
            AsOf::Date(NaiveDate::from_ymd_opt(2026, 9, 30).unwrap())
        );
        assert_eq!(s.lake, PathBuf::from("/cfg/lake"));
    }

    #[test]
    fn reporting_currency_is_unset_by_default_and_read_as_a_code() {
        let resolve = |text: &str| {
            let file = parse_config(text).expect("config parses");
            Settings::from_parts(
                &GlobalArgs::default(),
                &Command::Analyze(Default::default()),
                file,
                Path::new(""),
                None,
            )
        };
        assert_eq!(resolve("").unwrap().reporting_currency, None);
        assert_eq!(
            resolve("reporting_currency = \"auto\"")
                .unwrap()
                .reporting_currency,
            None
        );
        assert_eq!(
            resolve("reporting_currency = \" usd \"")
                .unwrap()
                .reporting_currency
                .as_deref(),
            Some("USD")
        );
        assert_eq!(
            resolve("reporting_currency = \"人民币\"")
                .unwrap()
                .reporting_currency
                .as_deref(),
            Some("CNY")
        );
        let err = resolve("reporting_currency = \"moon money\"").unwrap_err();
        assert!(crate::error::hint_of(&err).is_some(), "{err:#}");
    }

    #[test]
    fn bad_as_of_flag_is_a_usage_error() {
        let cmd = Command::Analyze(crate::cli::AnalyzeArgs {
            as_of: Some("yesterday".into()),
            ..Default::default()
        });
        let err = Settings::from_parts(
            &GlobalArgs::default(),
            &cmd,
            ConfigFile::default(),
            Path::new(""),
            None,
        )
        .unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some());
    }

    /// DEFAULT_CONFIG with one setting (a dotted key path) replaced, resolved.
    fn resolve_with(key: &str, value: toml::Value) -> anyhow::Result<Settings> {
        let mut doc: toml::Table = DEFAULT_CONFIG.parse().expect("default config parses");
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().expect("a key");
        let mut table = &mut doc;
        for p in parts {
            table = table
                .get_mut(p)
                .and_then(toml::Value::as_table_mut)
                .unwrap_or_else(|| panic!("no table {p} in {key}"));
        }
        assert!(
            table.contains_key(last),
            "{key} is not in the default config"
        );
        table.insert(last.to_string(), value);
        let file: ConfigFile = toml::Value::Table(doc).try_into()?;
        Settings::from_parts(
            &GlobalArgs::default(),
            &Command::Analyze(Default::default()),
            file,
            Path::new(""),
            None,
        )
    }

    fn toml_num(n: Num) -> toml::Value {
        match n {
            Num::Int(v) => toml::Value::Integer(i64::try_from(v).expect("small")),
            Num::Float(v) => toml::Value::Float(v),
        }
    }

    fn assert_out_of_range(r: &Ranged, value: Num) {
        let err = resolve_with(r.key, toml_num(value))
            .expect_err(&format!("{} = {value} accepted", r.key));
        let usage = err
            .downcast_ref::<UsageError>()
            .unwrap_or_else(|| panic!("{} = {value}: not a usage error: {err:#}", r.key));
        let msg = &usage.message;
        assert!(msg.contains(r.key), "{msg}");
        assert!(msg.contains(&format!("= {value}`")), "{msg}");
        assert!(
            msg.contains(&format!("range is {} to {}", r.min, r.max)),
            "{msg}"
        );
        assert!(usage.hint.is_some(), "{msg}");
    }

    #[test]
    fn every_ranged_setting_accepts_its_bounds_and_rejects_past_them() {
        let all = ranged_settings(&ConfigFile::default());
        assert!(all.len() >= 30);
        for r in &all {
            assert!(r.in_range(), "the default of {} is out of its range", r.key);
            for ok in [r.min, r.max] {
                if let Err(e) = resolve_with(r.key, toml_num(ok)) {
                    panic!("{} = {ok} rejected: {e:#}", r.key);
                }
            }
            let (above, below) = match (r.min, r.max) {
                (Num::Int(lo), Num::Int(hi)) => (Num::Int(hi + 1), lo.checked_sub(1).map(Num::Int)),
                (Num::Float(lo), Num::Float(hi)) => {
                    (Num::Float(hi + 1.0), Some(Num::Float(lo - 1.0)))
                }
                _ => panic!("{}: mixed range", r.key),
            };
            assert_out_of_range(r, above);
            if let Some(below) = below {
                assert_out_of_range(r, below);
            }
        }
    }

    #[test]
    fn day_windows_are_bounded() {
        for key in [
            "metrics.holder_days",
            "metrics.pipeline_days",
            "metrics.active_contact_days",
            "metrics.multi_headed_days",
            "metrics.multi_headed_team_days",
        ] {
            for ok in [1, 3650] {
                assert!(resolve_with(key, toml::Value::Integer(ok)).is_ok(), "{key}");
            }
            for bad in [0, 3651, 100_000] {
                let err = resolve_with(key, toml::Value::Integer(bad)).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    format!(
                        "invalid `{key} = {bad}` in the config: the accepted range is 1 to 3650"
                    )
                );
            }
        }
        let err = resolve_with("metrics.window_months", toml::Value::Integer(121)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `metrics.window_months = 121` in the config: the accepted range is 1 to 120"
        );
        assert!(resolve_with("metrics.window_months", toml::Value::Integer(120)).is_ok());
        assert!(resolve_with("metrics.window_months", toml::Value::Integer(0)).is_err());
    }

    #[test]
    fn nan_is_out_of_every_float_range() {
        let err = resolve_with("metrics.abc_a", toml::Value::Float(f64::NAN)).unwrap_err();
        assert!(err.to_string().contains("metrics.abc_a = NaN"), "{err}");
    }
}
