//! Export profiles: TOML files mapping one CRM's export onto the canonical contract.
//!
//! A profile is data, not code: which files feed which table (glob patterns on the file
//! name, or XLSX sheet names), column renames, value maps (stages, roles, levels, support
//! labels, activity types…), constants, date layouts, decimal comma and null markers.
//! `canonical`, `salesforce`, `hubspot`, `dynamics365`, `maven` and `invoice_lines` are built in (embedded
//! TOML under `src/profiles/`); any other file is loaded from disk, so a user can copy one,
//! edit it and ingest without recompiling.

pub mod labels;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::contract::{ColType, Table};
use crate::error::{hinted, UsageError};

/// The built-in profiles: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("canonical", include_str!("canonical.toml")),
    ("salesforce", include_str!("salesforce.toml")),
    ("hubspot", include_str!("hubspot.toml")),
    ("dynamics365", include_str!("dynamics365.toml")),
    ("maven", include_str!("maven.toml")),
    ("invoice_lines", include_str!("invoice_lines.toml")),
];

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
    /// CSV delimiter: `auto` (detect `,` `;` tab `|`), `\t` or `tab`, or one ASCII
    /// character other than a quote or a line break (checked by [`check_delimiter`]).
    #[serde(default = "auto")]
    pub delimiter: String,
    /// Cell values read as empty (null), compared after trimming.
    #[serde(default = "default_nulls")]
    pub null_values: Vec<String>,
    /// Opportunity stages meaning won / lost (case-insensitive), used when is_won/is_closed
    /// are absent. Other stages are open.
    #[serde(default)]
    pub stages: StageMap,
    /// Key lookups built in a pre-pass over small files (companies, users,
    /// OpportunityContactRole…), used by `derive` to turn names, emails or domains into ids.
    #[serde(default, rename = "lookup")]
    pub lookups: Vec<Lookup>,
    /// One entry per (file pattern → canonical table) mapping.
    #[serde(default, rename = "table")]
    pub tables: Vec<Mapping>,
}

/// A key → value map read from some export files before the tables are ingested.
///
/// Keys compare trimmed and case-insensitively. A key with two different values is
/// ambiguous: the rows that need it are reported, never resolved by guessing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// Name used by `derive` entries.
    pub name: String,
    /// Glob patterns of the files (or XLSX sheets) read; a file may also feed a table.
    #[serde(default)]
    pub files: Vec<String>,
    /// A lake table (`accounts`, `employees`, …) whose current view is read as well, with
    /// `key` and `value` naming its canonical columns: links a source to what another source
    /// already delivered (an ERP's customer names to the CRM's account ids) without a
    /// crosswalk file. The lake is read as it is when the ingest starts.
    #[serde(default)]
    pub lake: Option<String>,
    /// Source header(s) holding the key; the first header present in a file is used. A
    /// composite key is `{ concat = ["FirstName", "LastName"] }` (joined by a space, or
    /// `sep`), so that `Owner` = "Ada Lovelace" finds a user file without a full-name column.
    pub key: Cols,
    /// Source header(s) holding the value returned; the first header present is used (or a
    /// `concat`, when the table it points at is keyed by a composite).
    pub value: Cols,
    /// Rows of the lookup's files left out (e.g. `IsDeleted = ["1", "true"]`), as in a table.
    #[serde(default)]
    pub exclude: BTreeMap<String, Vec<String>>,
    /// Look the value up again in another lookup (e.g. contact email → company domain →
    /// company id).
    #[serde(default)]
    pub then: Option<String>,
}

/// Where a lookup's key or value comes from: one header, candidate headers (the first present
/// is used), or a concatenation of headers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Cols {
    One(String),
    Many(Vec<String>),
    Concat(Concat),
}

/// A concatenation of source columns: the non-empty cells joined by `sep` (a space by
/// default). Empty when every cell is empty.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Concat {
    pub concat: Vec<String>,
    #[serde(default = "space")]
    pub sep: String,
}

fn space() -> String {
    " ".into()
}

/// The product of numeric source columns (e.g. `Quantity × UnitPrice`); empty when a factor
/// is empty, a reject when one is not a number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub product: Vec<String>,
}

/// A row key, for exports with no key at all (invoice lines, activity logs): a hash of the
/// row's cells plus its occurrence number among identical rows of the file (see
/// docs/byo-crm.md, "Row keys").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RowKey {
    pub row: bool,
}

/// A computed canonical column (`[table.compute]`, or a table's `key`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Compute {
    /// One source header (a natural key such as the account name or the user's email).
    Column(String),
    Concat(Concat),
    Product(Product),
    Row(RowKey),
}

impl Compute {
    /// A short description for listings: `Name`, `FirstName+LastName`, `Quantity×UnitPrice`,
    /// `row`.
    pub fn describe(&self) -> String {
        match self {
            Compute::Column(c) => c.clone(),
            Compute::Concat(c) => c.concat.join("+"),
            Compute::Product(p) => p.product.join("×"),
            Compute::Row(_) => "row key".into(),
        }
    }

    /// The source headers it reads.
    pub fn headers(&self) -> &[String] {
        match self {
            Compute::Column(c) => std::slice::from_ref(c),
            Compute::Concat(c) => &c.concat,
            Compute::Product(p) => &p.product,
            Compute::Row(_) => &[],
        }
    }
}

/// A table's key: one way, or several tried in order (the first whose headers are all in
/// the file), e.g. `[{ concat = ["Account Name", "Opportunity Name"] }, { concat =
/// ["Account.Name", "Name"] }]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeySpec {
    One(Compute),
    Many(Vec<Compute>),
}

impl KeySpec {
    pub fn as_slice(&self) -> &[Compute] {
        match self {
            KeySpec::One(c) => std::slice::from_ref(c),
            KeySpec::Many(v) => v,
        }
    }
}

/// A sign rule (`[table.sign]`): the column's value is made negative (−|v|) on rows where
/// `column` starts with one of `prefix`, equals one of `values`, or (with `negative = true`)
/// holds a negative number. For credit notes: `InvoiceNo` starting with `C`, a `Type` of
/// `Credit Note`, or a negative `Quantity` beside a positive line total.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SignRule {
    pub column: String,
    #[serde(default)]
    pub prefix: Vec<String>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub negative: bool,
}

/// How a canonical column is derived through a lookup, when the file has no direct column
/// for it (or the direct cell is empty).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    /// The `[[lookup]]` to use.
    pub lookup: String,
    /// Source header(s) of this file whose value is looked up; the first one present is used.
    pub from: OneOrMany,
    /// What to do when the key has several values: `ambiguous` (default: report the row) or
    /// `strongest` (enum columns with an order — decision_role, level, support, intimacy —
    /// take the most powerful value after label mapping).
    #[serde(default)]
    pub many: Many,
    /// A key not found in the lookup: `report` (default: a warning, MCR021) or `quiet`
    /// (expected, e.g. most contacts have no opportunity role).
    #[serde(default)]
    pub missing: Missing,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    #[default]
    Report,
    Quiet,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Many {
    #[default]
    Ambiguous,
    Strongest,
}

/// One derive or a list tried in order (per row, the first that finds a value wins).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum DeriveSpec {
    One(Derive),
    Many(Vec<Derive>),
}

impl DeriveSpec {
    pub fn as_slice(&self) -> &[Derive] {
        match self {
            DeriveSpec::One(d) => std::slice::from_ref(d),
            DeriveSpec::Many(v) => v,
        }
    }
}

impl Lookup {
    /// Whether a file (or sheet) name matches one of the patterns.
    pub fn matches(&self, file_name: &str) -> bool {
        glob_matches(&self.files, file_name)
    }
}

fn glob_matches(patterns: &[String], file_name: &str) -> bool {
    let lower = file_name.to_lowercase();
    patterns.iter().any(|p| {
        globset::Glob::new(&p.to_lowercase())
            .map(|g| g.compile_matcher().is_match(&lower))
            .unwrap_or(false)
    })
}

fn auto() -> String {
    "auto".into()
}

pub(crate) fn default_nulls() -> Vec<String> {
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
    /// The built-in won / lost stages (`[stage.won]` / `[stage.lost]` labels of
    /// `contract/vocabulary.toml`).
    fn default() -> Self {
        use crate::contract::vocab::{value_labels, Target};
        StageMap {
            won: value_labels(Target::Stage, "won").to_vec(),
            lost: value_labels(Target::Stage, "lost").to_vec(),
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
    /// Canonical column → source column header(s). A canonical column is also found under
    /// its own name. Per row, the first of these headers present in the file with a
    /// non-empty cell wins.
    #[serde(default)]
    pub columns: BTreeMap<String, OneOrMany>,
    /// Canonical column → (source label → canonical value). Labels compare case-insensitively.
    /// For enum columns they add to the built-in labels; for other columns a matching cell is
    /// replaced before it is parsed (e.g. `Won` → `true` for is_won, `US Dollar` → `USD`).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Canonical column → lookup(s) filling it when the direct column is absent or empty.
    #[serde(default)]
    pub derive: BTreeMap<String, DeriveSpec>,
    /// Canonical column → constant value for every row (when the export has no such column).
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// The table's key when the export has no id column: a natural key (`key = "Name"`), a
    /// composite (`key = { concat = ["FirstName", "LastName"] }`) or a row key
    /// (`key = { row = true }`). Shorthand for `[table.compute]` on the key column.
    /// A list is tried in order: the first whose headers are all in the file is used.
    #[serde(default)]
    pub key: Option<KeySpec>,
    /// Canonical column → computed value, used when no `columns` header has a value:
    /// `{ product = ["Quantity", "UnitPrice"] }`, `{ concat = [...], sep = " " }`.
    #[serde(default)]
    pub compute: BTreeMap<String, Compute>,
    /// Canonical (numeric) column → sign rule, e.g. credit notes made negative.
    #[serde(default)]
    pub sign: BTreeMap<String, SignRule>,
    /// Source header → values: rows whose cell is one of them (case-insensitive) are left
    /// out and counted as excluded, e.g. `IsDeleted = ["1", "true"]`.
    #[serde(default)]
    pub exclude: BTreeMap<String, Vec<String>>,
    /// When the sources have no accounts file: accounts are the distinct `account_id`s of
    /// this table's accepted rows, with these account columns (→ source headers) taken from
    /// the first row that has them, e.g. `{ name = "Customer Name", country = "Country" }`.
    #[serde(default)]
    pub derive_accounts: Option<BTreeMap<String, OneOrMany>>,
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

impl Cols {
    /// A short description for listings: `A|B` (candidates) or `A+B` (concatenation).
    pub fn describe(&self) -> String {
        match self {
            Cols::Concat(c) => c.concat.join("+"),
            other => other.headers().join("|"),
        }
    }

    /// Every header named (for messages).
    pub fn headers(&self) -> &[String] {
        match self {
            Cols::One(s) => std::slice::from_ref(s),
            Cols::Many(v) => v,
            Cols::Concat(c) => &c.concat,
        }
    }

    /// How to read it from a file with these headers: `None` when a header is missing.
    pub fn resolve(&self, headers: &[String]) -> Option<Extract> {
        let find = |c: &str| {
            let c = c.trim().to_lowercase();
            headers
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase() == c)
        };
        match self {
            Cols::One(s) => find(s).map(Extract::Col),
            Cols::Many(v) => v.iter().find_map(|c| find(c)).map(Extract::Col),
            Cols::Concat(c) => c
                .concat
                .iter()
                .map(|h| find(h))
                .collect::<Option<Vec<usize>>>()
                .map(|ix| Extract::Concat(ix, c.sep.clone())),
        }
    }
}

/// A resolved [`Cols`]: a column index, or indexes concatenated with a separator.
#[derive(Debug, Clone, PartialEq)]
pub enum Extract {
    Col(usize),
    Concat(Vec<usize>, String),
}

impl Extract {
    /// The value of a row, given a cell reader (trimmed, nulls as `None`).
    pub fn get<'a>(
        &self,
        cell: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<std::borrow::Cow<'a, str>> {
        match self {
            Extract::Col(i) => cell(*i).map(std::borrow::Cow::Borrowed),
            Extract::Concat(ix, sep) => concat_cells(ix.iter().map(|&i| cell(i)), sep),
        }
    }
}

/// The non-empty parts joined by `sep`; `None` when every part is empty.
pub fn concat_cells<'a>(
    parts: impl Iterator<Item = Option<&'a str>>,
    sep: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    let mut out: Option<std::borrow::Cow<'a, str>> = None;
    for p in parts.flatten().filter(|p| !p.is_empty()) {
        out = Some(match out {
            None => std::borrow::Cow::Borrowed(p),
            Some(o) => std::borrow::Cow::Owned(format!("{o}{sep}{p}")),
        });
    }
    out
}

impl Mapping {
    /// The computed columns (alternatives in order), with `key` as a compute on the table's
    /// key column.
    pub fn computes(&self) -> BTreeMap<String, Vec<Compute>> {
        let mut out: BTreeMap<String, Vec<Compute>> = self
            .compute
            .iter()
            .map(|(c, v)| (c.clone(), vec![v.clone()]))
            .collect();
        if let (Some(k), Some(col)) = (&self.key, self.table().and_then(|t| t.key())) {
            out.insert(col.to_string(), k.as_slice().to_vec());
        }
        out
    }

    pub fn table(&self) -> Option<Table> {
        Table::from_name(&self.name)
    }

    /// Whether a file (or sheet) name matches one of the patterns.
    pub fn matches(&self, file_name: &str) -> bool {
        glob_matches(&self.files, file_name)
    }

    /// Whether a workbook sheet matches: by its name, or as if it were a file `<sheet>.xlsx`
    /// (so that the sheet `accounts` matches the pattern `accounts.*`).
    pub fn matches_sheet(&self, sheet: &str) -> bool {
        self.matches(sheet) || self.matches(&format!("{}.xlsx", sheet.trim()))
    }
}

/// A profile's `delimiter`: `auto` (or empty), `\t` / `tab`, or one ASCII character that
/// is not a quote or a line break. The reader takes the delimiter's first byte, so a
/// non-ASCII character such as `，` would be read as part of a character.
pub fn check_delimiter(d: &str) -> Result<(), String> {
    if matches!(d, "auto" | "" | "\\t" | "tab") {
        return Ok(());
    }
    let mut chars = d.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && !matches!(c, '"' | '\r' | '\n') => Ok(()),
        _ => Err(format!(
            "invalid `delimiter = \"{}\"`: a delimiter is one ASCII character (not a quote or a line break), `auto`, or `\\t` for tab",
            d.escape_debug()
        )),
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
        check_delimiter(&p.delimiter).map_err(|e| {
            hinted(
                format!("profile {origin}: {e}"),
                "write one ASCII character such as `delimiter = \";\"`, `delimiter = \"\\t\"` for tab, or `delimiter = \"auto\"`",
            )
        })?;
        for m in &p.tables {
            p.check_mapping(m, origin)?;
        }
        p.check_lookups(origin)?;
        Ok(p)
    }

    /// A `[[table]]`'s names, patterns, keys, computes, sign rules, derived accounts, value
    /// maps and derives against the contract.
    fn check_mapping(&self, m: &Mapping, origin: &str) -> anyhow::Result<()> {
        let p = self;
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
        if m.key.is_some() && t.key().is_none() {
            return Err(hinted(
                format!("profile {origin}: table `{t}` has no key, so `key` cannot be set"),
                "remove `key` from this [[table]]",
            ));
        }
        check_computes(m, t, origin)?;
        for c in m.sign.keys() {
            if t.column(c).is_some_and(|c| c.ty != ColType::Float) {
                return Err(hinted(
                    format!("profile {origin}: {t}.{c} is not numeric, a sign rule cannot apply"),
                    "use a sign rule on amount or gross_margin",
                ));
            }
        }
        if let Some(attrs) = &m.derive_accounts {
            if !t.has_account_fk() {
                return Err(hinted(
                    format!(
                        "profile {origin}: `derive_accounts` on `{t}`, which has no account_id"
                    ),
                    "use it on revenue or opportunities",
                ));
            }
            for a in attrs.keys() {
                let ok = Table::Accounts
                    .column(a)
                    .is_some_and(|c| c.ty == ColType::Str && c.name != "account_id");
                if !ok {
                    return Err(hinted(
                        format!("profile {origin}: derive_accounts: `{a}` is not a text column of accounts"),
                        "use name, industry, region, country, owner_id or parent_account_id",
                    ));
                }
            }
        }
        let cols = m
            .columns
            .keys()
            .chain(m.values.keys())
            .chain(m.constants.keys())
            .chain(m.derive.keys())
            .chain(m.compute.keys())
            .chain(m.sign.keys());
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
        check_values(m, t, origin)?;
        for (c, spec) in &m.derive {
            for d in spec.as_slice() {
                if !p.lookups.iter().any(|l| l.name == d.lookup) {
                    return Err(hinted(
                        format!(
                            "profile {origin}: {t}.{c} derives from an unknown lookup `{}`",
                            d.lookup
                        ),
                        format!(
                            "declare it with [[lookup]] name = \"{}\" / files / key / value",
                            d.lookup
                        ),
                    ));
                }
                let ranked = t
                    .column(c)
                    .and_then(|col| match col.ty {
                        ColType::Enum(k) => Some(k),
                        _ => None,
                    })
                    .is_some_and(|k| strength(k, k.values()[0]).is_some());
                if d.many == Many::Strongest && !ranked {
                    return Err(hinted(
                        format!("profile {origin}: `many = \"strongest\"` on {t}.{c}, which has no order"),
                        "use it for decision_role, level, support or intimacy; elsewhere leave `many` out",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Lookup names are unique, their file patterns valid, and `then` chains end (no cycles)
    /// at known lookups.
    fn check_lookups(&self, origin: &str) -> anyhow::Result<()> {
        let p = self;
        let mut names = std::collections::HashSet::new();
        for l in &p.lookups {
            if !names.insert(l.name.as_str()) {
                return Err(hinted(
                    format!("profile {origin}: two lookups are named `{}`", l.name),
                    "give each [[lookup]] its own name",
                ));
            }
            for f in &l.files {
                globset::Glob::new(f).map_err(|e| {
                    hinted(
                        format!(
                            "profile {origin}: bad file pattern `{f}` in lookup `{}`: {e}",
                            l.name
                        ),
                        "use * and ? wildcards, e.g. `companies*.csv`",
                    )
                })?;
            }
            // `then` chains must end (no cycles) at known lookups.
            let mut seen = vec![l.name.as_str()];
            let mut cur = l;
            while let Some(next) = &cur.then {
                let Some(n) = p.lookups.iter().find(|x| &x.name == next) else {
                    return Err(hinted(
                        format!(
                            "profile {origin}: lookup `{}` chains to an unknown lookup `{next}`",
                            cur.name
                        ),
                        "`then` must name another [[lookup]]",
                    ));
                };
                if seen.contains(&n.name.as_str()) {
                    return Err(hinted(
                        format!(
                            "profile {origin}: lookups chain in a cycle: {} → {next}",
                            seen.join(" → ")
                        ),
                        "remove one `then`",
                    ));
                }
                seen.push(n.name.as_str());
                cur = n;
            }
        }
        Ok(())
    }

    /// The mappings that a file (or sheet) name matches, first match per table.
    pub fn mappings_for(&self, file_name: &str) -> Vec<&Mapping> {
        self.tables
            .iter()
            .filter(|m| m.matches(file_name))
            .collect()
    }
}

/// How powerful a value of an ordered enum is (lower is stronger), for `many = "strongest"`:
/// decision_maker > evaluator / technical / procurement > influencer / user > none;
/// executive > middle > base; the highest support; the highest intimacy.
pub fn strength(kind: crate::contract::EnumKind, value: &str) -> Option<i32> {
    use crate::contract::EnumKind;
    match kind {
        EnumKind::DecisionRole => Some(match value {
            "decision_maker" => 0,
            "evaluator" | "technical" | "procurement" => 1,
            "influencer" | "user" => 2,
            _ => 3,
        }),
        EnumKind::Level => Some(match value {
            "executive" => 0,
            "middle" => 1,
            _ => 2,
        }),
        EnumKind::Support | EnumKind::Intimacy => value.parse::<i32>().ok().map(|v| -v),
        _ => None,
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

/// Computed columns fit their target: row keys only in the key column, products only in
/// numeric columns with two factors or more, concatenations of at least one column.
fn check_computes(m: &Mapping, t: Table, origin: &str) -> anyhow::Result<()> {
    let computes = m.computes();
    for (c, comp) in computes
        .iter()
        .flat_map(|(c, v)| v.iter().map(move |x| (c, x)))
    {
        let col = t.column(c);
        let bad = match comp {
            Compute::Row(r) if !r.row => Some("`row = false` means nothing; remove it"),
            Compute::Row(_) if t.key() != Some(c.as_str()) => {
                Some("a row key fills only the table's key column")
            }
            Compute::Row(_) if t == Table::Accounts => Some(
                "accounts are referred to by their account_id, which a row key cannot be; key them by a column or a concat",
            ),
            Compute::Product(_) if col.is_some_and(|c| c.ty != ColType::Float) => {
                Some("a product fills only a numeric column (amount, gross_margin…)")
            }
            Compute::Product(p) if p.product.len() < 2 => {
                Some("a product needs at least two columns")
            }
            Compute::Concat(k) if k.concat.is_empty() => Some("a concat needs at least one column"),
            _ => None,
        };
        if let (Some(why), true) = (bad, col.is_some()) {
            return Err(hinted(
                format!("profile {origin}: {t}.{c}: invalid compute"),
                why,
            ));
        }
    }
    Ok(())
}

/// Value maps map onto valid values of enum and boolean columns.
fn check_values(m: &Mapping, t: Table, origin: &str) -> anyhow::Result<()> {
    for (c, map) in &m.values {
        if let Some(col) = t.column(c) {
            for (label, v) in map {
                let bad = match col.ty {
                    ColType::Enum(kind) => (!kind.values().contains(&v.as_str()))
                        .then(|| format!("valid values: {}", kind.values().join(", "))),
                    ColType::Bool => crate::contract::values::parse_bool(v)
                        .err()
                        .map(|_| "use true or false".to_string()),
                    _ => None,
                };
                if let Some(hint) = bad {
                    return Err(hinted(
                        format!("profile {origin}: `{label}` maps to `{v}`, not a valid {c}"),
                        hint,
                    ));
                }
            }
        }
    }
    Ok(())
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
                p.tables
                    .iter()
                    .any(|m| m.table() == Some(Table::Accounts) || m.derive_accounts.is_some()),
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
        // Other tables refer to accounts by id: a row key cannot be one.
        let e = Profile::from_toml(
            "name='x'\n[[table]]\nname='accounts'\nfiles=['a.csv']\nkey={row=true}\n",
            "t",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("invalid compute"), "{e:#}");
        let hint = crate::error::hint_of(&e).unwrap_or_default();
        assert!(hint.contains("referred to by their account_id"), "{hint}");
        assert!(load("nonexistent-profile")
            .unwrap_err()
            .downcast_ref::<UsageError>()
            .is_some());
    }

    #[test]
    fn delimiter_is_one_ascii_character_auto_or_tab() {
        let profile = |d: &str| {
            let text = format!("name='x'\ndelimiter = {}\n", toml::Value::String(d.into()));
            Profile::from_toml(&text, "t")
        };
        for ok in [
            "auto", "", "\\t", "tab", "\t", ",", ";", "|", "~", " ", "\u{1}", "\u{7f}",
        ] {
            assert!(
                profile(ok).is_ok(),
                "{ok:?}: {:#}",
                profile(ok).unwrap_err()
            );
        }
        for bad in [
            "，", "；", "é", ",;", "\"", "\n", "\r", "\u{80}", "tabs", "Auto",
        ] {
            let e = profile(bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("profile t"), "{msg}");
            assert!(
                msg.contains(&format!("`delimiter = \"{}\"`", bad.escape_debug())),
                "{msg}"
            );
            assert!(msg.contains("one ASCII character"), "{msg}");
            assert!(crate::error::hint_of(&e).is_some(), "{msg}");
        }
    }
}
