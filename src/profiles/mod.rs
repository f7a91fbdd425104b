//! Export profiles: TOML files mapping one CRM's export onto the canonical contract.
//!
//! A profile is data, not code: which files feed which table (glob patterns on the file
//! name, or XLSX sheet names), column renames, value maps (stages, roles, levels, support
//! labels, activity types…), constants, date layouts, decimal comma and null markers.
//! `canonical`, `salesforce`, `hubspot`, `dynamics365` and `maven` are built in (embedded
//! TOML under `src/profiles/`); any other file is loaded from disk, so a user can copy one,
//! edit it and ingest without recompiling.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::contract::{ColType, Table};
use crate::error::{hinted, UsageError};

/// The built-in profiles: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[("canonical", include_str!("canonical.toml"))];

/// A parsed profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name shown in the manifest and reports.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Extra date layouts (chrono syntax, e.g. `%m/%d/%Y`) tried after the built-in ISO,
    /// `YYYY/M/D` and `YYYY年M月D日` layouts.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Amounts use a decimal comma (`1.234,50`).
    #[serde(default)]
    pub decimal_comma: bool,
    /// Encoding: `auto` (detect UTF-8, UTF-8 BOM, UTF-16, GBK/GB18030) or an encoding label.
    #[serde(default = "auto")]
    pub encoding: String,
    /// CSV delimiter: `auto` (detect `,` `;` tab `|`) or the character.
    #[serde(default = "auto")]
    pub delimiter: String,
    /// Cell values read as empty (null), compared after trimming.
    #[serde(default = "default_nulls")]
    pub null_values: Vec<String>,
    /// Opportunity stages meaning won / lost (case-insensitive), used when is_won/is_closed
    /// are absent. Other stages are open.
    #[serde(default)]
    pub stages: StageMap,
    /// One entry per (file pattern → canonical table) mapping.
    #[serde(default, rename = "table")]
    pub tables: Vec<Mapping>,
}

fn auto() -> String {
    "auto".into()
}

fn default_nulls() -> Vec<String> {
    ["", "#N/A", "N/A", "NULL", "null", "(blank)"]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StageMap {
    pub won: Vec<String>,
    pub lost: Vec<String>,
}

impl Default for StageMap {
    fn default() -> Self {
        StageMap {
            won: ["closed won", "won", "赢单", "已赢单", "成交"]
                .map(String::from)
                .to_vec(),
            lost: ["closed lost", "lost", "输单", "已输单", "丢单"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// How one kind of export file maps onto one canonical table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Canonical table name (`accounts`, `contacts`, …).
    pub name: String,
    /// Glob patterns matched case-insensitively against the file name (e.g. `Account*.csv`)
    /// or, inside an XLSX workbook, the sheet name.
    pub files: Vec<String>,
    /// Canonical column → source column header(s), tried in order. A canonical column is
    /// also found under its own name.
    #[serde(default)]
    pub columns: BTreeMap<String, OneOrMany>,
    /// Canonical column → (source label → canonical value). Labels compare case-insensitively.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Canonical column → constant value for every row (when the export has no such column).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

impl Mapping {
    pub fn table(&self) -> Option<Table> {
        Table::from_name(&self.name)
    }

    /// Whether a file (or sheet) name matches one of the patterns.
    pub fn matches(&self, file_name: &str) -> bool {
        let lower = file_name.to_lowercase();
        self.files.iter().any(|p| {
            globset::Glob::new(&p.to_lowercase())
                .map(|g| g.compile_matcher().is_match(&lower))
                .unwrap_or(false)
        })
    }
}

impl Profile {
    /// Parse and check a profile: table names, column names and constant values exist in the
    /// contract, patterns are valid globs.
    pub fn from_toml(text: &str, origin: &str) -> anyhow::Result<Profile> {
        let p: Profile = toml::from_str(text).map_err(|e| {
            hinted(
                format!("invalid profile {origin}: {}", e.message()),
                "compare with `mcr profiles show canonical`; every key is documented there",
            )
        })?;
        for m in &p.tables {
            let Some(t) = m.table() else {
                return Err(hinted(
                    format!("profile {origin}: unknown table `{}`", m.name),
                    format!("use one of: {}", Table::ALL.map(|t| t.name()).join(", ")),
                ));
            };
            for f in &m.files {
                globset::Glob::new(f).map_err(|e| {
                    hinted(
                        format!("profile {origin}: bad file pattern `{f}`: {e}"),
                        "use * and ? wildcards, e.g. `Account*.csv`",
                    )
                })?;
            }
            let cols = m
                .columns
                .keys()
                .chain(m.values.keys())
                .chain(m.constants.keys());
            for c in cols {
                if t.column(c).is_none() {
                    return Err(hinted(
                        format!("profile {origin}: table `{t}` has no column `{c}`"),
                        format!(
                            "canonical columns of {t}: {}",
                            t.columns()
                                .iter()
                                .map(|c| c.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
            for (c, map) in &m.values {
                if let Some(col) = t.column(c) {
                    if let ColType::Enum(kind) = col.ty {
                        for (label, v) in map {
                            if !kind.values().contains(&v.as_str()) {
                                return Err(hinted(
                                    format!("profile {origin}: `{label}` maps to `{v}`, not a valid {c}"),
                                    format!("valid values: {}", kind.values().join(", ")),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(p)
    }

    /// The mappings that a file (or sheet) name matches, first match per table.
    pub fn mappings_for(&self, file_name: &str) -> Vec<&Mapping> {
        self.tables
            .iter()
            .filter(|m| m.matches(file_name))
            .collect()
    }
}

/// Load a profile by built-in name or from a TOML file.
pub fn load(name_or_path: &str) -> anyhow::Result<Profile> {
    if let Some((_, text)) = BUILTIN
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name_or_path))
    {
        return Profile::from_toml(text, &format!("built-in `{name_or_path}`"));
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read profile {}: {e}", path.display()))?;
        return Profile::from_toml(&text, &path.display().to_string());
    }
    Err(UsageError::new(format!("unknown profile `{name_or_path}`"))
        .with_hint(format!(
            "built-in profiles: {}; or give a path to a profile .toml file (`mcr profiles show canonical` prints one to start from)",
            BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ))
        .into())
}

/// The built-in profile text, or a file's text.
pub fn source_text(name_or_path: &str) -> anyhow::Result<String> {
    if let Some((_, text)) = BUILTIN
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name_or_path))
    {
        return Ok((*text).to_string());
    }
    load(name_or_path)?;
    Ok(std::fs::read_to_string(name_or_path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_cover_tables() {
        for (name, text) in BUILTIN {
            let p = Profile::from_toml(text, name).unwrap();
            assert_eq!(&p.name, name);
            assert!(
                p.tables.iter().any(|m| m.table() == Some(Table::Accounts)),
                "{name}"
            );
        }
    }

    #[test]
    fn canonical_matches_table_files() {
        let p = load("canonical").unwrap();
        assert_eq!(
            p.mappings_for("accounts.csv")[0].table(),
            Some(Table::Accounts)
        );
        assert_eq!(
            p.mappings_for("Revenue.XLSX")[0].table(),
            Some(Table::Revenue)
        );
        assert_eq!(
            p.mappings_for("fx_rates.ndjson")[0].table(),
            Some(Table::FxRates)
        );
        assert!(p.mappings_for("README.md").is_empty());
    }

    #[test]
    fn bad_profiles_name_the_problem() {
        let e = Profile::from_toml(
            "name='x'\n[[table]]\nname='acounts'\nfiles=['a.csv']\n",
            "t",
        )
        .unwrap_err();
        assert!(e.to_string().contains("acounts"));
        let e = Profile::from_toml(
            "name='x'\n[[table]]\nname='accounts'\nfiles=['a.csv']\ncolumns={nme='Name'}\n",
            "t",
        )
        .unwrap_err();
        assert!(e.to_string().contains("nme"));
        let e = Profile::from_toml(
            "name='x'\n[[table]]\nname='contacts'\nfiles=['c.csv']\n[table.values.level]\nBoss='boss'\n",
            "t",
        )
        .unwrap_err();
        assert!(e.to_string().contains("boss"));
        let e = Profile::from_toml("name='x'\nfoo=1\n", "t").unwrap_err();
        assert!(e.to_string().contains("foo"));
        assert!(load("nonexistent-profile")
            .unwrap_err()
            .downcast_ref::<UsageError>()
            .is_some());
    }
}
