//! Mapping a file's columns onto a canonical table (through a profile) and parsing raw
//! records into typed columns. A row that fails is rejected with its line, column and reason;
//! the others go on.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Maps probed once per cell: foldhash instead of SipHash (no untrusted-key DoS concern in a
/// batch job over the user's own files).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use super::parse;
use super::read::{Batch, RawRecord};
use super::resolve::{Found, Lookups};
use crate::contract::{ColType, Column as ContractColumn, EnumKind, Table};
use crate::diagnostics::{Code, Diagnostic};
use crate::profiles::{Many, Mapping, Profile};

/// A rejected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub line: u64,
    pub column: String,
    /// The message shown to the user (file summary, `_rejects/`).
    pub reason: String,
    pub raw: String,
    /// Why, as data: what later stages complete the message from.
    pub kind: RejectKind,
}

/// The kind of a reject, for the stages that act on it (never parsed back from `reason`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RejectKind {
    /// A value that does not parse, a required value missing, a ragged row…
    #[default]
    Invalid,
    /// The row's key was seen before (this key): the message says where, once known.
    DuplicateKey(String),
}

impl Reject {
    /// A row whose key was already seen.
    pub fn duplicate(line: u64, column: &str, key: &str, raw: String) -> Reject {
        Reject {
            line,
            column: column.to_string(),
            reason: format!("duplicate key `{key}`"),
            raw,
            kind: RejectKind::DuplicateKey(key.to_string()),
        }
    }

    pub fn is_duplicate(&self) -> bool {
        matches!(self.kind, RejectKind::DuplicateKey(_))
    }

    /// Complete a duplicate's message with where its key was first seen.
    pub fn found_first(&mut self, where_: &str) {
        if let RejectKind::DuplicateKey(k) = &self.kind {
            self.reason = format!("duplicate key `{k}` (first seen {where_})");
        }
    }
}

/// How one canonical column is filled.
#[derive(Debug, Clone)]
struct ColumnPlan {
    col: &'static ContractColumn,
    /// Indexes of the source columns, in preference order (per row, the first non-empty).
    sources: Vec<usize>,
    /// Lookups tried, in order, when no source cell has a value.
    derive: Vec<DerivePlan>,
    constant: Option<String>,
    /// Normalised label → canonical value (built-in labels + profile value map).
    labels: FastMap<String, String>,
    /// Whether the profile gave labels for a non-enum column (values rewritten before parsing).
    rewrite: bool,
    /// Computed from other source columns when no source cell has a value.
    compute: Option<ComputePlan>,
    /// Made negative on some rows (credit notes).
    sign: Option<SignPlan>,
    /// The source headers, for messages (`CustomerID`, `A|B`).
    source_names: String,
}

/// A resolved `[table.compute]` entry (source column indexes).
#[derive(Debug, Clone)]
enum ComputePlan {
    Concat(Vec<usize>, String),
    Product(Vec<usize>),
    /// The row's content hash; the keys stage appends the occurrence number.
    Row,
}

/// A resolved sign rule.
#[derive(Debug, Clone)]
struct SignPlan {
    col: usize,
    /// Lower-case prefixes.
    prefixes: Vec<String>,
    /// Normalised values.
    values: FastSet<String>,
    negative: bool,
}

impl ColumnPlan {
    /// The canonical value of a label. Values already in normalised form (the common case:
    /// canonical exports) are looked up as they are, without building a normalised copy.
    fn label(&self, s: &str) -> Option<&str> {
        let plain = s.bytes().all(|b| {
            !(b.is_ascii_uppercase() || b.is_ascii_whitespace() || b == b'_' || b == b'-')
        }) && s.is_ascii();
        let v = if plain {
            self.labels.get(s)
        } else {
            self.labels.get(&parse::normalize_label(s))
        };
        v.map(String::as_str)
    }
}

/// One `derive` entry usable in this file.
#[derive(Debug, Clone)]
struct DerivePlan {
    lookup: String,
    /// Source column holding the key.
    from: usize,
    from_header: String,
    many: Many,
    /// A key not found is expected (not reported).
    quiet: bool,
}

/// Lookup outcomes that left an optional column empty or rejected a row, per canonical
/// column, for the diagnostics (MCR020 ambiguous, MCR021 not found).
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq)]
pub struct DeriveStats {
    pub column: String,
    pub lookup: String,
    pub ambiguous: u64,
    pub not_found: u64,
    /// The first few ambiguous keys.
    pub ambiguous_samples: Vec<String>,
    /// The first few keys not found.
    pub not_found_samples: Vec<String>,
}

/// Which source columns were found for which canonical ones (for `--dry-run` and the summary).
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq)]
pub struct ColumnReport {
    /// (canonical column, source header)
    pub found: Vec<(String, String)>,
    /// (canonical column, `lookup(source header)`) for columns filled through a lookup.
    #[serde(default)]
    pub derived: Vec<(String, String)>,
    /// Canonical columns with no source column (filled with nulls or a constant).
    pub missing: Vec<String>,
    /// Source columns no canonical column uses.
    pub ignored: Vec<String>,
}

/// Why a file cannot be mapped at all.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("no column for the required `{column}` of {table} (headers: {headers})")]
    MissingRequired {
        table: Table,
        column: String,
        headers: String,
    },
    #[error("no column {header:?} for the {what} of `{column}` (headers: {headers})")]
    MissingSource {
        what: &'static str,
        column: String,
        header: String,
        headers: String,
    },
    #[error("columns {first:?} and {second:?} both map to `{column}`")]
    Duplicate {
        column: String,
        first: String,
        second: String,
    },
}

/// Everything needed to parse the records of one file into one canonical table.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub table: Table,
    cols: Vec<ColumnPlan>,
    pub columns: ColumnReport,
    n_fields: usize,
    nulls: FastSet<String>,
    /// Positions of the columns `fix_up` reads, found once.
    fix: FixColumns,
    /// Length of the longest null value, and the first bytes of null values: other fields
    /// are not looked up.
    max_null_len: usize,
    null_first: [bool; 256],
    date_formats: Vec<String>,
    decimal_comma: bool,
    won: HashSet<String>,
    lost: HashSet<String>,
    /// Salt for hashing contact email/phone; `None` keeps them verbatim.
    salt: Option<String>,
    delimiter: u8,
    lookups: Option<Arc<Lookups>>,
    stats: Arc<Mutex<Vec<DeriveStats>>>,
    /// Labels of optional enum and boolean columns not in their vocabulary, over the rows
    /// parsed so far (MCR009).
    unknown: Arc<Mutex<LabelTally>>,
    /// Reject rows holding such a label instead of keeping them (`--strict`).
    strict_labels: bool,
    /// Rows left out (`exclude`), counted apart from rejects.
    exclude: super::resolve::Exclude,
    /// Position of the row-key column, if the table is keyed by row content.
    row_key: Option<usize>,
}

/// The result of trying a column's lookups on one row.
enum Derived {
    Value(String),
    Ambiguous(String),
    NotFound(String),
    /// No key cell: nothing to look up.
    NoKey,
}

fn norm_header(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_lowercase()
}

impl TablePlan {
    pub fn new(
        table: Table,
        headers: &[String],
        mapping: &Mapping,
        profile: &Profile,
        salt: Option<String>,
        delimiter: u8,
    ) -> Result<TablePlan, PlanError> {
        Self::with_lookups(table, headers, mapping, profile, salt, delimiter, None)
    }

    /// A plan whose `derive` entries resolve through `lookups` (built by
    /// [`super::resolve::build`]); without lookups, derive entries are not used.
    pub fn with_lookups(
        table: Table,
        headers: &[String],
        mapping: &Mapping,
        profile: &Profile,
        salt: Option<String>,
        delimiter: u8,
        lookups: Option<Arc<Lookups>>,
    ) -> Result<TablePlan, PlanError> {
        let hdr = HeaderIndex::new(headers);
        let mut used: HashMap<usize, &'static str> = HashMap::new();
        let mut cols = Vec::new();
        let mut report = ColumnReport::default();
        let computes = mapping.computes();
        let find = |h: &str| hdr.find(h);
        for col in table.columns() {
            let mut candidates: Vec<String> = mapping
                .columns
                .get(col.name)
                .map(|c| c.as_slice().iter().map(|s| norm_header(s)).collect())
                .unwrap_or_default();
            // Of several alternatives, the first whose headers are all in the file.
            let computed = computes.get(col.name).and_then(|alts| {
                alts.iter()
                    .find(|c| c.headers().iter().all(|h| find(h).is_some()))
                    .or(alts.first())
            });
            if let Some(crate::profiles::Compute::Column(h)) = computed {
                candidates.push(norm_header(h));
            }
            candidates.push(col.name.to_string());
            let sources = hdr.sources(&candidates, col.name)?;
            for &i in &sources {
                // One source column feeding two canonical columns is fine (e.g. a name used
                // as both id and name).
                used.insert(i, col.name);
            }
            if !sources.is_empty() {
                let names: Vec<&str> = sources.iter().map(|&i| headers[i].as_str()).collect();
                report.found.push((col.name.to_string(), names.join("|")));
            }
            let compute = computed.and_then(|c| ComputePlan::of(c, &hdr));
            if let (Some(c), Some(comp)) = (&compute, computed) {
                if let ComputePlan::Concat(ix, _) | ComputePlan::Product(ix) = c {
                    for &i in ix {
                        used.insert(i, col.name);
                    }
                }
                let shown = match c {
                    ComputePlan::Row => "(row key)".to_string(),
                    _ => comp.describe(),
                };
                match report.found.iter_mut().find(|(c, _)| c == col.name) {
                    Some((_, h)) => h.push_str(&format!("|{shown}")),
                    None => report.found.push((col.name.to_string(), shown)),
                }
            }
            let sign = SignPlan::of(mapping, col.name, &hdr, &mut used)?;
            let derive = DerivePlan::of(mapping, col.name, &hdr, lookups.as_deref(), &mut used);
            for d in &derive {
                report.derived.push((
                    col.name.to_string(),
                    format!("{}({})", d.lookup, d.from_header),
                ));
            }
            let constant = mapping.constants.get(col.name).cloned();
            if sources.is_empty() && derive.is_empty() && compute.is_none() {
                if let (true, None, Some(comp)) = (col.required, &constant, computed) {
                    // A compute whose headers are not all in the file: name the first absent.
                    if let Some(h) = comp.headers().iter().find(|h| find(h).is_none()) {
                        return Err(PlanError::MissingSource {
                            what: "computed value",
                            column: col.name.into(),
                            header: h.clone(),
                            headers: headers.join(", "),
                        });
                    }
                }
                if col.required && constant.is_none() {
                    return Err(PlanError::MissingRequired {
                        table,
                        column: col.name.to_string(),
                        headers: headers.join(", "),
                    });
                }
                if constant.is_none() {
                    report.missing.push(col.name.to_string());
                }
            }
            let (labels, rewrite) = value_labels(mapping, col);
            cols.push(ColumnPlan {
                col,
                sources,
                derive,
                constant,
                labels,
                rewrite,
                compute,
                sign,
                source_names: report
                    .found
                    .iter()
                    .find(|(c, _)| c == col.name)
                    .map(|(_, h)| h.clone())
                    .unwrap_or_default(),
            });
        }
        let exclude = super::resolve::Exclude::new(&mapping.exclude, headers);
        mark_derive_and_exclude(mapping, &exclude, &hdr, &mut used);
        report.ignored = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !used.contains_key(i) && !h.is_empty())
            .map(|(_, h)| h.clone())
            .collect();
        let row_key = cols
            .iter()
            .position(|c| matches!(c.compute, Some(ComputePlan::Row)) && c.sources.is_empty());
        let lower = |v: &[String]| v.iter().map(|s| parse::normalize_label(s)).collect();
        Ok(TablePlan {
            table,
            fix: FixColumns::of(&cols),
            cols,
            columns: report,
            n_fields: headers.len(),
            null_first: null_first_bytes(&profile.null_values),
            max_null_len: profile
                .null_values
                .iter()
                .map(|s| s.trim().len())
                .max()
                .unwrap_or(0),
            nulls: profile
                .null_values
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
            date_formats: profile.date_formats.clone(),
            decimal_comma: profile.decimal_comma,
            won: lower(&profile.stages.won),
            lost: lower(&profile.stages.lost),
            salt: if table == Table::Contacts { salt } else { None },
            delimiter,
            lookups,
            stats: Arc::new(Mutex::new(Vec::new())),
            unknown: Arc::new(Mutex::new(LabelTally::default())),
            strict_labels: false,
            exclude,
            row_key,
        })
    }

    /// What the lookups left empty or rejected so far.
    pub fn derive_stats(&self) -> Vec<DeriveStats> {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// With `strict`, a row whose optional enum or boolean cell holds a label not in the
    /// vocabulary is rejected (as `--strict` asks) instead of kept with the cell read as
    /// `other` or left empty.
    pub fn strict_labels(mut self, strict: bool) -> Self {
        self.strict_labels = strict;
        self
    }

    /// The labels of optional enum and boolean columns that are not in their vocabulary, per
    /// column (in table order), over the rows [`Self::parse_chunk_counted`] accepted so far.
    pub fn unknown_labels(&self) -> Vec<UnknownLabels> {
        let Ok(t) = self.unknown.lock() else {
            return Vec::new();
        };
        let mut cols: Vec<&ColumnTally> = t.cols.iter().filter(|c| c.rows > 0).collect();
        cols.sort_by_key(|c| c.col);
        cols.into_iter()
            .filter_map(|c| {
                let plan = self.cols.get(c.col)?;
                let mut labels = c.labels.clone();
                // Most frequent first, then alphabetically (the halves of a chunk are parsed
                // in parallel: the order of first appearance is not stable).
                labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                Some(UnknownLabels {
                    column: plan.col.name.to_string(),
                    read_as: unknown_label_value(plan.col.ty).map(String::from),
                    rows: c.rows,
                    distinct: labels.len() as u64,
                    labels,
                    more: c.more,
                })
            })
            .collect()
    }

    /// MCR009 (warning), one per column with labels not in its vocabulary: how many rows and
    /// labels, the most frequent labels with their rows, what the cells became, and how to
    /// map them in the profile. `file` names the file, as in the other messages.
    pub fn label_diagnostics(&self, file: &str) -> Vec<Diagnostic> {
        self.unknown_labels()
            .into_iter()
            .filter_map(|u| {
                let col = self.table.column(&u.column)?;
                Some(unknown_label_diagnostic(file, self.table, col, &u))
            })
            .collect()
    }

    /// Add a chunk's unrecognised labels to the file's.
    fn add_unknown(&self, chunk: LabelTally) {
        if chunk.cols.is_empty() {
            return;
        }
        if let Ok(mut t) = self.unknown.lock() {
            t.merge(chunk);
        }
    }

    fn note(&self, column: &str, lookup: &str, ambiguous: bool, sample: String) {
        let Ok(mut stats) = self.stats.lock() else {
            return;
        };
        let i = match stats
            .iter()
            .position(|s| s.column == column && s.lookup == lookup)
        {
            Some(i) => i,
            None => {
                stats.push(DeriveStats {
                    column: column.to_string(),
                    lookup: lookup.to_string(),
                    ..DeriveStats::default()
                });
                stats.len() - 1
            }
        };
        let s = &mut stats[i];
        let samples = if ambiguous {
            s.ambiguous += 1;
            &mut s.ambiguous_samples
        } else {
            s.not_found += 1;
            &mut s.not_found_samples
        };
        if samples.len() < 3 && !samples.contains(&sample) {
            samples.push(sample);
        }
    }

    /// Try a column's lookups on a record: the first that finds a value wins; an ambiguous
    /// key stops the search (it is never guessed).
    fn derive(&self, plan: &ColumnPlan, rec: &RawRecord<'_>) -> Derived {
        let Some(lookups) = self.lookups.as_deref() else {
            return Derived::NoKey;
        };
        let mut not_found: Vec<(&str, &DerivePlan)> = Vec::new();
        for d in &plan.derive {
            let Ok(Some(key)) = self.field(rec, d.from) else {
                continue;
            };
            match lookups.get(&d.lookup, key) {
                Found::Values(v) if v.len() == 1 => return Derived::Value(v[0].to_string()),
                Found::Values(v) => {
                    if d.many == Many::Strongest {
                        if let Some(best) = self.strongest(plan, &v) {
                            return Derived::Value(best);
                        }
                    }
                    let shown: Vec<&str> = v.iter().take(3).copied().collect();
                    let more = if v.len() > 3 { ", …" } else { "" };
                    self.note(plan.col.name, &d.lookup, true, key.to_string());
                    return Derived::Ambiguous(format!(
                        "{} `{key}` is ambiguous: {} different values in lookup `{}` ({}{more}); not guessed",
                        d.from_header,
                        v.len(),
                        d.lookup,
                        shown.join(", ")
                    ));
                }
                Found::NotFound => not_found.push((key, d)),
            }
        }
        if not_found.is_empty() {
            return Derived::NoKey;
        }
        let tried: Vec<String> = not_found
            .iter()
            .map(|(key, d)| {
                format!(
                    "{} `{key}` not found in lookup `{}` ({})",
                    d.from_header,
                    d.lookup,
                    lookups.files_of(&d.lookup)
                )
            })
            .collect();
        if !not_found.iter().all(|(_, d)| d.quiet) {
            let names: Vec<&str> = not_found.iter().map(|(_, d)| d.lookup.as_str()).collect();
            self.note(
                plan.col.name,
                &names.join("/"),
                false,
                not_found[0].0.to_string(),
            );
        }
        Derived::NotFound(tried.join("; "))
    }

    /// The most powerful of several values of an ordered enum, after label mapping. `None`
    /// when a value is not a known label (the row is then reported as ambiguous).
    fn strongest(&self, plan: &ColumnPlan, values: &[&str]) -> Option<String> {
        let ColType::Enum(kind) = plan.col.ty else {
            return None;
        };
        let mut best: Option<(i32, String)> = None;
        for v in values {
            let canon = plan
                .labels
                .get(&parse::normalize_label(v))
                .cloned()
                .or_else(|| {
                    kind.is_integer()
                        .then(|| parse::parse_int_label(v).map(|i| i.to_string()))
                        .flatten()
                })?;
            let rank = crate::profiles::strength(kind, &canon)?;
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((rank, canon));
            }
        }
        best.map(|(_, v)| v)
    }

    /// The lake schema of this table.
    pub fn schema(&self) -> Schema {
        self.table.schema()
    }

    /// Index of a canonical column in the output frame.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.col.name == name)
    }

    /// Parse a chunk of records. Returns the typed frame of accepted rows, the indexes (into
    /// `records`) of those rows, and the rejects.
    ///
    /// For a second look at records already parsed (finding where a duplicate key was first
    /// seen): unlike [`Self::parse_chunk_counted`], it does not add to the unrecognised labels
    /// ([`Self::unknown_labels`]), which therefore count each row once.
    pub fn parse_chunk(&self, records: Batch<'_>) -> (DataFrame, Vec<usize>, Vec<Reject>) {
        let p = self.parse(records, false);
        (p.df, p.accepted, p.rejects)
    }

    /// The column holding a row key (left empty by the parse: the keys stage fills it from
    /// [`Parsed::row_hashes`] and the occurrence numbers).
    pub fn row_key_index(&self) -> Option<usize> {
        self.row_key
    }

    /// [`Self::parse_chunk`], also counting the rows left out by `exclude` and the labels not
    /// in a vocabulary ([`Self::unknown_labels`]), and returning the accepted rows' content
    /// hashes when the table is keyed by row.
    pub fn parse_chunk_counted(&self, records: Batch<'_>) -> Parsed {
        self.parse(records, true)
    }

    fn parse(&self, records: Batch<'_>, count_labels: bool) -> Parsed {
        let mut excluded = 0u64;
        let n = records.len();
        let mut builders: Vec<Builder> = self.cols.iter().map(|c| Builder::new(c.col, n)).collect();
        let mut accepted = Vec::with_capacity(n);
        let mut rejects = Vec::new();
        let mut row_hashes = Vec::with_capacity(if self.row_key.is_some() { n } else { 0 });
        let mut cells: Vec<Cell> = Vec::with_capacity(self.cols.len());
        let mut scratch = Vec::new();
        let mut raw_lines = None;
        // The row's unrecognised labels (column, label), counted only if the row is accepted.
        let mut unknown: Vec<(usize, Cow<'_, str>)> = Vec::new();
        let mut tally = LabelTally::default();
        for (idx, rec) in records.iter().enumerate() {
            cells.clear();
            unknown.clear();
            match self.parse_row(&rec, &mut cells, &mut scratch, &mut unknown) {
                Ok(false) => excluded += 1,
                Ok(true) => {
                    for (b, c) in builders.iter_mut().zip(cells.drain(..)) {
                        if let Cell::RowHash(h) = c {
                            row_hashes.push(h);
                        }
                        b.push(c);
                    }
                    accepted.push(idx);
                    if count_labels {
                        for (ci, label) in unknown.drain(..) {
                            tally.add(ci, &label);
                        }
                    }
                }
                Err((column, reason)) => {
                    let w = raw_lines.get_or_insert_with(|| RawLines::new(self.delimiter));
                    rejects.push(Reject {
                        line: rec.line,
                        column,
                        reason,
                        raw: w.line(&rec),
                        kind: RejectKind::Invalid,
                    })
                }
            }
        }
        self.add_unknown(tally);
        let columns: Vec<Column> = builders.into_iter().map(Builder::finish).collect();
        let df = DataFrame::new(accepted.len(), columns).unwrap_or_default();
        Parsed {
            df,
            accepted,
            rejects,
            excluded,
            row_hashes,
        }
    }

    /// The record as one line of text, for the rejects file.
    pub fn raw_text(&self, rec: &RawRecord<'_>) -> String {
        RawLines::new(self.delimiter).line(rec)
    }

    pub(crate) fn field<'r>(
        &self,
        rec: &RawRecord<'r>,
        i: usize,
    ) -> Result<Option<&'r str>, String> {
        let Some(bytes) = rec.fields.get(i) else {
            return Ok(None);
        };
        let s = if bytes.is_ascii() {
            // SAFETY: ASCII is valid UTF-8 (checking it is several times faster than
            // `from_utf8` on short fields; most fields of most exports are ASCII).
            unsafe { std::str::from_utf8_unchecked(bytes) }
        } else {
            std::str::from_utf8(bytes)
                .map_err(|_| "invalid UTF-8 (is the file's encoding consistent?)".to_string())?
        };
        let t = trim(s);
        let maybe_null = match t.as_bytes().first() {
            None => true,
            Some(b) => self.null_first[usize::from(*b)] && t.len() <= self.max_null_len,
        };
        Ok(if maybe_null && self.nulls.contains(t) {
            None
        } else {
            Some(t)
        })
    }

    /// Parse one record into `cells`: `Ok(false)` when the profile excludes it, the column
    /// and reason when it is rejected. Labels of optional enum and boolean columns that are
    /// not in the vocabulary go to `unknown` (the row is kept).
    fn parse_row<'r>(
        &'r self,
        rec: &RawRecord<'r>,
        cells: &mut Vec<Cell<'r>>,
        scratch: &mut Vec<u8>,
        unknown: &mut Vec<(usize, Cow<'r, str>)>,
    ) -> Result<bool, (String, String)> {
        // Rows the profile leaves out, whatever their shape (a report's footer lines).
        if !self.exclude.is_empty() && self.exclude.matches(|i| self.field(rec, i).ok().flatten()) {
            return Ok(false);
        }
        let nf = rec.fields.len();
        if nf != self.n_fields {
            let extra_empty = nf > self.n_fields
                && rec
                    .fields
                    .iter()
                    .skip(self.n_fields)
                    .all(|f| f.iter().all(u8::is_ascii_whitespace));
            if !extra_empty {
                return Err((
                    String::new(),
                    format!("row has {nf} fields but the header has {} (ragged row or unbalanced quote)", self.n_fields),
                ));
            }
        }
        for (ci, plan) in self.cols.iter().enumerate() {
            let mut raw: Option<Cow<'r, str>> = None;
            let mut direct: Option<Cell<'r>> = None;
            for &i in &plan.sources {
                if let Some(v) = self
                    .field(rec, i)
                    .map_err(|e| (plan.col.name.to_string(), e))?
                {
                    raw = Some(Cow::Borrowed(v));
                    break;
                }
            }
            if let (None, Some(comp)) = (&raw, &plan.compute) {
                match comp {
                    ComputePlan::Concat(ix, sep) => {
                        let mut parts = Vec::with_capacity(ix.len());
                        for &i in ix {
                            parts.push(
                                self.field(rec, i)
                                    .map_err(|e| (plan.col.name.to_string(), e))?,
                            );
                        }
                        raw = crate::profiles::concat_cells(parts.into_iter(), sep);
                    }
                    ComputePlan::Product(ix) => {
                        let mut v = 1.0;
                        let mut all = true;
                        for &i in ix {
                            match self
                                .field(rec, i)
                                .map_err(|e| (plan.col.name.to_string(), e))?
                            {
                                Some(s) => {
                                    v *=
                                        parse::parse_amount(s, self.decimal_comma).map_err(|e| {
                                            (
                                                plan.col.name.to_string(),
                                                format!("{e} (a factor of {})", plan.col.name),
                                            )
                                        })?
                                }
                                None => all = false,
                            }
                        }
                        if all {
                            direct = Some(Cell::F(v));
                        }
                    }
                    ComputePlan::Row => {
                        let h = row_hash(rec, self.n_fields, scratch);
                        if self.row_key == Some(ci) {
                            // The keys stage makes the key (hash + occurrence number).
                            cells.push(Cell::RowHash(h));
                            continue;
                        }
                        raw = Some(Cow::Owned(format!("{h:016x}")));
                    }
                }
            }
            // A product. (`if let (Some(cell), Some(sign)) = (direct.take(), …)` here took the
            // value out before testing the sign rule, so without one every product was lost
            // and a required amount read as empty.)
            if let Some(cell) = direct {
                cells.push(match &plan.sign {
                    Some(sign) => self.signed(sign, rec, cell),
                    None => cell,
                });
                continue;
            }
            if raw.is_none() && !plan.derive.is_empty() {
                match self.derive(plan, rec) {
                    Derived::Value(v) => raw = Some(Cow::Owned(v)),
                    Derived::Ambiguous(why) => {
                        if plan.col.required {
                            return Err((plan.col.name.into(), why));
                        }
                        cells.push(Cell::Null);
                        continue;
                    }
                    Derived::NotFound(why) => {
                        if plan.col.required && plan.constant.is_none() {
                            return Err((
                                plan.col.name.into(),
                                format!("required {}: {why}", plan.col.name),
                            ));
                        }
                    }
                    Derived::NoKey => {}
                }
            }
            let raw = raw.or_else(|| plan.constant.clone().map(Cow::Owned));
            let cell = match raw {
                None => {
                    if plan.col.required {
                        let also = if plan.derive.is_empty() {
                            if plan.source_names.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", plan.source_names)
                            }
                        } else {
                            let from: Vec<&str> =
                                plan.derive.iter().map(|d| d.from_header.as_str()).collect();
                            format!(" (and so is {}, to look it up)", from.join(", "))
                        };
                        return Err((
                            plan.col.name.into(),
                            format!("required {} is empty{also}", plan.col.name),
                        ));
                    }
                    Cell::Null
                }
                Some(s) => match self.parse_cell(plan, s) {
                    Ok(cell) => cell,
                    Err(BadCell::Invalid(e)) => return Err((plan.col.name.to_string(), e)),
                    // Only a required column (or `--strict`) loses the row over a label.
                    Err(BadCell::Label(s)) if plan.col.required => {
                        return Err((plan.col.name.to_string(), label_error(plan.col.ty, &s)));
                    }
                    Err(BadCell::Label(s)) if self.strict_labels => {
                        let why = label_error(plan.col.ty, &s);
                        return Err((plan.col.name.to_string(), format!("{why} (--strict)")));
                    }
                    Err(BadCell::Label(s)) => {
                        unknown.push((ci, s));
                        match unknown_label_value(plan.col.ty) {
                            Some(v) => Cell::Str(Cow::Borrowed(v)),
                            None => Cell::Unknown,
                        }
                    }
                },
            };
            let cell = match &plan.sign {
                Some(sign) => self.signed(sign, rec, cell),
                None => cell,
            };
            cells.push(cell);
        }
        self.fix_up(cells);
        Ok(true)
    }

    /// Apply a sign rule: −|v| when the row matches it.
    fn signed<'r>(&self, sign: &SignPlan, rec: &RawRecord<'_>, cell: Cell<'r>) -> Cell<'r> {
        let Cell::F(v) = cell else {
            return cell;
        };
        let Ok(Some(s)) = self.field(rec, sign.col) else {
            return cell;
        };
        let neg = (sign.negative
            && parse::parse_amount(s, self.decimal_comma).is_ok_and(|x| x < 0.0))
            || sign.prefixes.iter().any(|p| {
                // Case-insensitive prefix without allocating (ASCII prefixes, the usual case).
                let (b, pb) = (s.as_bytes(), p.as_bytes());
                if p.is_ascii() {
                    b.len() >= pb.len() && b[..pb.len()].eq_ignore_ascii_case(pb)
                } else {
                    s.to_lowercase().starts_with(p.as_str())
                }
            })
            || (!sign.values.is_empty() && sign.values.contains(&parse::normalize_label(s)));
        if neg {
            Cell::F(-v.abs())
        } else {
            cell
        }
    }

    /// A cell's value. A label not in an enum's vocabulary, or a value of a boolean column
    /// that is not a yes/no, is a [`BadCell::Label`] (the caller decides: required columns
    /// reject the row, optional ones keep it); any other value that does not parse is
    /// [`BadCell::Invalid`].
    fn parse_cell<'r>(
        &'r self,
        plan: &'r ColumnPlan,
        s: Cow<'r, str>,
    ) -> Result<Cell<'r>, BadCell<'r>> {
        let s = if plan.rewrite {
            match plan.label(&s) {
                Some(v) => Cow::Borrowed(v),
                None => s,
            }
        } else {
            s
        };
        Ok(match plan.col.ty {
            ColType::Str => Cell::Str(s),
            // A probability may be written `81%` (a percentage, whatever the file's other
            // values say: the file-level rule of [`super::probability`] then sees 81).
            ColType::Float if plan.col.name == "probability" => Cell::F(
                parse::parse_amount(s.trim_end().trim_end_matches('%'), self.decimal_comma)
                    .map_err(BadCell::Invalid)?,
            ),
            ColType::Float => {
                Cell::F(parse::parse_amount(&s, self.decimal_comma).map_err(BadCell::Invalid)?)
            }
            ColType::Date => Cell::D(crate::contract::values::epoch_days(
                parse::parse_date(&s, &self.date_formats).map_err(BadCell::Invalid)?,
            )),
            ColType::Bool => match parse::parse_bool(&s) {
                Ok(b) => Cell::B(b),
                Err(_) => return Err(BadCell::Label(s)),
            },
            ColType::Enum(kind) => {
                let found = plan.label(&s).map(Cow::Borrowed).or_else(|| {
                    // "2.0" for a support of 2
                    kind.is_integer()
                        .then(|| parse::parse_int_label(&s).map(|v| v.to_string()))
                        .flatten()
                        .filter(|v| kind.values().contains(&v.as_str()))
                        .map(Cow::Owned)
                });
                match found {
                    Some(v) if kind.is_integer() => match v.parse() {
                        Ok(i) => Cell::I(i),
                        Err(_) => return Err(BadCell::Label(s)),
                    },
                    Some(v) => Cell::Str(v),
                    None => return Err(BadCell::Label(s)),
                }
            }
        })
    }

    /// Table-specific derivations after a row parsed: hashing personal data, level from title,
    /// won/closed from stage, currency codes, employees active by default.
    fn fix_up(&self, cells: &mut [Cell<'_>]) {
        let f = &self.fix;
        match self.table {
            Table::Contacts => {
                if let Some(salt) = &self.salt {
                    for i in [f.email, f.phone].into_iter().flatten() {
                        if let Cell::Str(v) = &cells[i] {
                            let h = hash_pii(salt, v);
                            cells[i] = Cell::Str(std::borrow::Cow::Owned(h));
                        }
                    }
                }
                if let (Some(li), Some(ti)) = (f.level, f.title) {
                    if matches!(cells[li], Cell::Null) {
                        if let Cell::Str(t) = &cells[ti] {
                            if let Some(l) = level_from_title(t) {
                                cells[li] = Cell::Str(std::borrow::Cow::Borrowed(l));
                            }
                        }
                    }
                }
            }
            Table::Opportunities => {
                let (Some(si), Some(wi), Some(ci)) = (f.stage, f.is_won, f.is_closed) else {
                    return;
                };
                if let Cell::Str(stage) = &cells[si] {
                    let s = parse::normalize_label(stage);
                    let (closed, won) = if self.won.contains(&s) {
                        (true, true)
                    } else if self.lost.contains(&s) {
                        (true, false)
                    } else {
                        (false, false)
                    };
                    if matches!(cells[ci], Cell::Null) {
                        cells[ci] = Cell::B(closed || matches!(cells[wi], Cell::B(true)));
                    }
                    if matches!(cells[wi], Cell::Null) {
                        cells[wi] = Cell::B(won);
                    }
                }
            }
            Table::Employees => {
                if let Some(ai) = f.active {
                    if matches!(cells[ai], Cell::Null) {
                        cells[ai] = Cell::B(true);
                    }
                }
            }
            _ => {}
        }
        if let Some(ci) = f.currency {
            // Names and symbols → ISO codes (after the profile's value map, which wins).
            if let Cell::Str(c) = &cells[ci] {
                if let Some(code) = crate::contract::currency::to_iso(c) {
                    cells[ci] = Cell::Str(code);
                }
            }
        }
    }
}

/// One parsed chunk: the typed frame of the accepted rows and what happened to the others.
#[derive(Debug, Default)]
pub struct Parsed {
    pub df: DataFrame,
    /// Indexes (into the chunk's records) of the accepted rows.
    pub accepted: Vec<usize>,
    pub rejects: Vec<Reject>,
    /// Rows left out by the profile's `exclude`.
    pub excluded: u64,
    /// Per accepted row, the content hash of its cells, when the table is keyed by row
    /// ([`TablePlan::row_key_index`]; empty otherwise).
    pub row_hashes: Vec<u64>,
}

impl Parsed {
    /// Append the next part of the same chunk (`offset` = the records before it).
    pub fn append(&mut self, other: Parsed, offset: usize) -> PolarsResult<()> {
        self.df.vstack_mut_owned(other.df)?;
        self.accepted
            .extend(other.accepted.into_iter().map(|i| i + offset));
        self.rejects.extend(other.rejects);
        self.excluded += other.excluded;
        self.row_hashes.extend(other.row_hashes);
        Ok(())
    }
}

/// Records as lines of CSV, for the rejects file, through one reused writer (making a
/// writer per reject was 4 % of an invoice-line ingest with a fifth of its lines rejected).
struct RawLines {
    w: csv::Writer<Vec<u8>>,
    delimiter: u8,
}

impl RawLines {
    fn new(delimiter: u8) -> Self {
        RawLines {
            w: Self::writer(delimiter),
            delimiter,
        }
    }

    /// Ragged records allowed: they are rejects too.
    fn writer(delimiter: u8) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new())
    }

    fn line(&mut self, rec: &RawRecord<'_>) -> String {
        // The writer keeps what it wrote (it has no way to clear its `Vec`): start afresh
        // now and then.
        if self.w.get_ref().len() > 1 << 20 {
            self.w = Self::writer(self.delimiter);
        }
        let start = self.w.get_ref().len();
        let _ = self.w.write_record(rec.fields.iter());
        let _ = self.w.flush();
        String::from_utf8_lossy(&self.w.get_ref()[start..])
            .trim_end_matches('\n')
            .to_string()
    }
}

/// The content hash of a record's first `n` fields (trimmed, each followed by 0x1f): the
/// base of a row key. One-shot xxh3 over a reused buffer (the streaming hasher fed field by
/// field was 5 % of an invoice-line ingest); the same value as streaming the same bytes.
pub(crate) fn row_hash(rec: &RawRecord<'_>, n: usize, scratch: &mut Vec<u8>) -> u64 {
    scratch.clear();
    for f in rec.fields.iter().take(n) {
        scratch.extend_from_slice(f.trim_ascii());
        scratch.push(0x1f);
    }
    xxhash_rust::xxh3::xxh3_64(scratch)
}

/// A file's headers with their normalised forms, for looking up profile column names.
struct HeaderIndex<'a> {
    raw: &'a [String],
    norm: Vec<String>,
}

impl<'a> HeaderIndex<'a> {
    fn new(raw: &'a [String]) -> Self {
        HeaderIndex {
            raw,
            norm: raw.iter().map(|h| norm_header(h)).collect(),
        }
    }

    /// Position of the header equal to `h` after normalisation.
    fn find(&self, h: &str) -> Option<usize> {
        let h = norm_header(h);
        self.norm.iter().position(|x| *x == h)
    }

    /// The headers matching `candidates` (profile names, then the canonical name), in that
    /// order; two headers equal to one chosen candidate are ambiguous.
    fn sources(&self, candidates: &[String], column: &str) -> Result<Vec<usize>, PlanError> {
        let mut sources: Vec<usize> = Vec::new();
        for c in candidates {
            if let Some(i) = self.norm.iter().position(|h| h == c) {
                if !sources.contains(&i) {
                    sources.push(i);
                }
            }
        }
        for &i in &sources {
            if let Some(j) = self
                .norm
                .iter()
                .enumerate()
                .position(|(j, h)| j != i && *h == self.norm[i])
            {
                return Err(PlanError::Duplicate {
                    column: column.into(),
                    first: self.raw[i.min(j)].clone(),
                    second: self.raw[i.max(j)].clone(),
                });
            }
        }
        Ok(sources)
    }

    /// Every header, for error messages.
    fn joined(&self) -> String {
        self.raw.join(", ")
    }
}

impl ComputePlan {
    /// The plan of a profile compute, when every header it reads is in the file.
    fn of(c: &crate::profiles::Compute, hdr: &HeaderIndex) -> Option<ComputePlan> {
        match c {
            crate::profiles::Compute::Concat(c) => c
                .concat
                .iter()
                .map(|h| hdr.find(h))
                .collect::<Option<Vec<usize>>>()
                .map(|ix| ComputePlan::Concat(ix, c.sep.clone())),
            crate::profiles::Compute::Product(p) => p
                .product
                .iter()
                .map(|h| hdr.find(h))
                .collect::<Option<Vec<usize>>>()
                .map(ComputePlan::Product),
            crate::profiles::Compute::Row(_) => Some(ComputePlan::Row),
            _ => None,
        }
    }
}

impl SignPlan {
    /// The sign rule of column `name`, if the profile has one; its source header must exist.
    fn of(
        mapping: &Mapping,
        name: &'static str,
        hdr: &HeaderIndex,
        used: &mut HashMap<usize, &'static str>,
    ) -> Result<Option<SignPlan>, PlanError> {
        let Some(rule) = mapping.sign.get(name) else {
            return Ok(None);
        };
        let Some(i) = hdr.find(&rule.column) else {
            return Err(PlanError::MissingSource {
                what: "sign rule",
                column: name.into(),
                header: rule.column.clone(),
                headers: hdr.joined(),
            });
        };
        used.insert(i, name);
        Ok(Some(SignPlan {
            col: i,
            prefixes: rule
                .prefix
                .iter()
                .map(|p| p.trim().to_lowercase())
                .collect(),
            values: rule
                .values
                .iter()
                .map(|v| parse::normalize_label(v))
                .collect(),
            negative: rule.negative,
        }))
    }
}

impl DerivePlan {
    /// The derives of column `name` whose source header is in the file (none without
    /// lookups). Lookups that read no file are dropped when another one can help (MCR022
    /// says so).
    fn of(
        mapping: &Mapping,
        name: &'static str,
        hdr: &HeaderIndex,
        lookups: Option<&Lookups>,
        used: &mut HashMap<usize, &'static str>,
    ) -> Vec<DerivePlan> {
        let mut derive = Vec::new();
        let (Some(spec), Some(l)) = (mapping.derive.get(name), lookups) else {
            return derive;
        };
        for d in spec.as_slice() {
            let from = d.from.as_slice().iter().find_map(|c| hdr.find(c));
            if let Some(from) = from {
                used.insert(from, name);
                derive.push(DerivePlan {
                    lookup: d.lookup.clone(),
                    from,
                    from_header: hdr.raw[from].clone(),
                    many: d.many,
                    quiet: d.missing == crate::profiles::Missing::Quiet,
                });
            }
        }
        if derive.iter().any(|d| !l.is_empty(&d.lookup)) {
            derive.retain(|d| !l.is_empty(&d.lookup));
        }
        derive
    }
}

/// Label → value map of a column: the contract's labels of an enum column plus the profile's
/// value map; `true` when a non-enum column's values are rewritten by a map.
fn value_labels(
    mapping: &Mapping,
    col: &crate::contract::Column,
) -> (FastMap<String, String>, bool) {
    let mut labels = FastMap::default();
    if let ColType::Enum(kind) = col.ty {
        for (l, v) in kind.labels() {
            labels.insert(parse::normalize_label(l), (*v).to_string());
        }
        for v in kind.values() {
            labels.insert(parse::normalize_label(v), (*v).to_string());
        }
    }
    let mut rewrite = false;
    if let Some(map) = mapping.values.get(col.name) {
        for (l, v) in map {
            labels.insert(parse::normalize_label(l), v.clone());
        }
        rewrite = !matches!(col.ty, ColType::Enum(_)) && !map.is_empty();
    }
    (labels, rewrite)
}

/// Columns read for accounts derived from this table, and the exclusion rule's columns, count
/// as used (not reported as ignored).
fn mark_derive_and_exclude(
    mapping: &Mapping,
    exclude: &super::resolve::Exclude,
    hdr: &HeaderIndex,
    used: &mut HashMap<usize, &'static str>,
) {
    for srcs in mapping.derive_accounts.iter().flat_map(|d| d.values()) {
        for h in srcs.as_slice() {
            if let Some(i) = hdr.find(h) {
                used.insert(i, "derive_accounts");
            }
        }
    }
    for (i, h) in hdr.norm.iter().enumerate() {
        if exclude.headers().iter().any(|x| norm_header(x) == *h) {
            used.insert(i, "exclude");
        }
    }
}

/// Which first bytes can start a null marker (a fast pre-check before the lookup).
fn null_first_bytes(null_values: &[String]) -> [bool; 256] {
    let mut t = [false; 256];
    for v in null_values {
        if let Some(b) = v.trim().as_bytes().first() {
            t[usize::from(*b)] = true;
        }
    }
    t
}

/// Positions (in the plan's columns) of the columns `TablePlan::fix_up` reads.
#[derive(Debug, Clone, Default)]
struct FixColumns {
    email: Option<usize>,
    phone: Option<usize>,
    level: Option<usize>,
    title: Option<usize>,
    stage: Option<usize>,
    is_won: Option<usize>,
    is_closed: Option<usize>,
    active: Option<usize>,
    currency: Option<usize>,
}

impl FixColumns {
    fn of(cols: &[ColumnPlan]) -> Self {
        let idx = |name: &str| cols.iter().position(|c| c.col.name == name);
        FixColumns {
            email: idx("email"),
            phone: idx("phone"),
            level: idx("level"),
            title: idx("title"),
            stage: idx("stage"),
            is_won: idx("is_won"),
            is_closed: idx("is_closed"),
            active: idx("active"),
            currency: idx("currency"),
        }
    }
}

/// `s.trim()`, without decoding characters when the first and last bytes are visible ASCII
/// (the common case).
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if (0x21..0x7f).contains(f) && (0x21..0x7f).contains(l) => s,
        _ => s.trim(),
    }
}

fn enum_error(kind: EnumKind, s: &str) -> String {
    if kind.is_integer() {
        let range = if kind == EnumKind::Support {
            "−2..3"
        } else {
            "0..4"
        };
        format!(
            "`{s}` is not a valid {} (expected {range} or a label such as {})",
            kind.name(),
            example_labels(kind)
        )
    } else {
        format!(
            "unknown {} `{s}` (expected one of {}; map other labels in the profile's values)",
            kind.name(),
            kind.values().join(", ")
        )
    }
}

/// Why a required (or, with `--strict`, any) enum or boolean cell rejects its row.
fn label_error(ty: ColType, s: &str) -> String {
    match ty {
        ColType::Enum(kind) => enum_error(kind, s),
        _ => match parse::parse_bool(s) {
            Err(e) => e,
            Ok(_) => format!("`{s}` is not a valid value"),
        },
    }
}

/// A cell that does not parse.
enum BadCell<'r> {
    /// A value that is not one (a number, a date): the row is rejected.
    Invalid(String),
    /// A label not in an enum's vocabulary, or a boolean that is not a yes/no: a required
    /// column rejects the row, an optional one keeps it (MCR009).
    Label(Cow<'r, str>),
}

/// What an optional enum cell with an unrecognised label becomes: `other` where the
/// vocabulary has it (activity, employee role, agreement types); otherwise nothing (empty).
fn unknown_label_value(ty: ColType) -> Option<&'static str> {
    match ty {
        ColType::Enum(kind) => kind.values().iter().copied().find(|v| *v == "other"),
        _ => None,
    }
}

/// Distinct unrecognised labels kept per column and file (their rows are all counted).
const MAX_DISTINCT_LABELS: usize = 1000;
/// Labels listed in an MCR009 message.
const SHOWN_LABELS: usize = 10;

/// Labels of one optional enum or boolean column of one file that are not in its vocabulary
/// (MCR009). Labels compare as the profile's value maps compare them (case, spaces, `_`
/// and `-` aside); each is shown as first seen.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct UnknownLabels {
    pub column: String,
    /// What the cells were read as: `other`, or nothing (left empty).
    pub read_as: Option<String>,
    /// Rows holding one, among those the parse accepted (a row the keys stage rejects
    /// afterwards, as a duplicate key, is still counted).
    pub rows: u64,
    /// Distinct labels (a lower bound when `more`).
    pub distinct: u64,
    /// (label, rows), most frequent first, then alphabetically.
    pub labels: Vec<(String, u64)>,
    /// More distinct labels than are kept (1,000): the others are counted in `rows`
    /// only.
    pub more: bool,
}

/// Unrecognised labels per column, over some rows.
#[derive(Debug, Default)]
struct LabelTally {
    cols: Vec<ColumnTally>,
}

#[derive(Debug, Default)]
struct ColumnTally {
    /// Position in the plan's columns.
    col: usize,
    rows: u64,
    /// Normalised label → position in `labels`.
    index: FastMap<String, usize>,
    /// (label as first seen, rows).
    labels: Vec<(String, u64)>,
    more: bool,
}

impl LabelTally {
    fn column(&mut self, col: usize) -> &mut ColumnTally {
        let i = match self.cols.iter().position(|c| c.col == col) {
            Some(i) => i,
            None => {
                self.cols.push(ColumnTally {
                    col,
                    ..ColumnTally::default()
                });
                self.cols.len() - 1
            }
        };
        &mut self.cols[i]
    }

    /// One row's label in column `col`.
    fn add(&mut self, col: usize, label: &str) {
        let c = self.column(col);
        c.rows += 1;
        c.count(label, 1);
    }

    fn merge(&mut self, other: LabelTally) {
        for o in other.cols {
            let c = self.column(o.col);
            c.rows += o.rows;
            c.more |= o.more;
            for (label, n) in &o.labels {
                c.count(label, *n);
            }
        }
    }
}

impl ColumnTally {
    fn count(&mut self, label: &str, rows: u64) {
        let key = parse::normalize_label(label);
        if let Some(&i) = self.index.get(&key) {
            self.labels[i].1 += rows;
        } else if self.labels.len() < MAX_DISTINCT_LABELS {
            self.index.insert(key, self.labels.len());
            self.labels.push((label.to_string(), rows));
        } else {
            self.more = true;
        }
    }
}

/// A label as shown in a message: at most 40 characters, on one line.
fn shown_label(l: &str) -> String {
    let mut out: String = l
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if l.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A label as a TOML basic string's content.
fn toml_escaped(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    for c in l.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// MCR009: one column's unrecognised labels, with how to map them.
fn unknown_label_diagnostic(
    file: &str,
    table: Table,
    col: &ContractColumn,
    u: &UnknownLabels,
) -> Diagnostic {
    let (what, values) = match col.ty {
        ColType::Enum(kind) if kind.is_integer() => ("value", kind.values().join(", ")),
        ColType::Enum(kind) => ("label", kind.values().join(", ")),
        _ => ("value", "true, false".to_string()),
    };
    let distinct = if u.more {
        format!("over {} distinct unrecognised {what}s", u.distinct)
    } else {
        plural(u.distinct, &format!("unrecognised {what}"))
    };
    let fate = match &u.read_as {
        Some(v) => format!("read as `{v}`"),
        None => "left empty".to_string(),
    };
    let mut shown: Vec<String> = u
        .labels
        .iter()
        .take(SHOWN_LABELS)
        .map(|(l, n)| format!("`{}` ({n})", shown_label(l)))
        .collect();
    let rest = u.labels.len().saturating_sub(SHOWN_LABELS);
    if rest > 0 || u.more {
        shown.push(format!(
            "… and {rest}{} more",
            if u.more { "+" } else { "" }
        ));
    }
    let example = match u.labels.first() {
        Some((l, _)) if l.chars().count() <= 40 => toml_escaped(l),
        _ => format!("<{what}>"),
    };
    Diagnostic::warning(
        Code::Mcr009,
        format!(
            "{file}: {table}.{}: {distinct} in {} (rows kept, {} {fate}): {}",
            col.name,
            plural(u.rows, "row"),
            col.name,
            shown.join(", ")
        ),
    )
    .with_hint(format!(
        "map each in the profile, under the [[table]] of {table}: [table.values.{}] \"{example}\" = \"<one of {values}>\" (one line per {what}; they compare case-insensitively)",
        col.name
    ))
}

fn example_labels(kind: EnumKind) -> String {
    kind.labels()
        .iter()
        .filter(|(l, _)| l.parse::<i32>().is_err())
        .take(4)
        .map(|(l, _)| *l)
        .collect::<Vec<_>>()
        .join("/")
}

/// Salted SHA-256 of a normalised email or phone, hex (first 16 bytes).
pub fn hash_pii(salt: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let norm: String = value
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(b":")
        .chain_update(norm.as_bytes())
        .finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// Infer a contact's level from a job title (used only when `level` is empty).
pub fn level_from_title(title: &str) -> Option<&'static str> {
    let t = title.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "ceo",
        "cio",
        "cto",
        "cfo",
        "coo",
        "chief",
        "president",
        "vp",
        "vice president",
        "owner",
        "founder",
        "chairman",
        "总裁",
        "总经理",
        "董事",
        "副总",
        "局长",
        "院长",
        "行长",
        "总监",
    ]) {
        Some("executive")
    } else if has(&[
        "director", "manager", "head", "lead", "经理", "主管", "处长", "科长", "部长", "主任",
    ]) {
        Some("middle")
    } else if has(&[
        "engineer",
        "specialist",
        "analyst",
        "staff",
        "buyer",
        "assistant",
        "coordinator",
        "representative",
        "工程师",
        "专员",
        "职员",
        "助理",
        "采购员",
    ]) {
        Some("base")
    } else {
        None
    }
}

/// A parsed value.
#[derive(Debug, Clone)]
enum Cell<'a> {
    Null,
    Str(std::borrow::Cow<'a, str>),
    F(f64),
    D(i32),
    B(bool),
    I(i32),
    /// A row key's content hash (stored as null; the keys stage fills the column).
    RowHash(u64),
    /// A label of an optional enum or boolean column that is not in its vocabulary: stored
    /// as null, and unlike an empty cell never filled by a default or an inference (level
    /// from the title, `active` = true, is_won from the stage). MCR009 counts them.
    Unknown,
}

enum Builder {
    Str(StringChunkedBuilder),
    F(PrimitiveChunkedBuilder<Float64Type>),
    D(PrimitiveChunkedBuilder<Int32Type>),
    B(BooleanChunkedBuilder),
    I(PrimitiveChunkedBuilder<Int32Type>),
}

impl Builder {
    fn new(col: &ContractColumn, n: usize) -> Builder {
        let name: PlSmallStr = col.name.into();
        match col.ty {
            ColType::Str => Builder::Str(StringChunkedBuilder::new(name, n)),
            ColType::Float => Builder::F(PrimitiveChunkedBuilder::new(name, n)),
            ColType::Date => Builder::D(PrimitiveChunkedBuilder::new(name, n)),
            ColType::Bool => Builder::B(BooleanChunkedBuilder::new(name, n)),
            ColType::Enum(k) if k.is_integer() => Builder::I(PrimitiveChunkedBuilder::new(name, n)),
            ColType::Enum(_) => Builder::Str(StringChunkedBuilder::new(name, n)),
        }
    }

    fn push(&mut self, c: Cell<'_>) {
        match (self, c) {
            (Builder::Str(b), Cell::Str(s)) => b.append_value(s.as_ref()),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::F(b), Cell::F(v)) => b.append_value(v),
            (Builder::F(b), _) => b.append_null(),
            (Builder::D(b), Cell::D(v)) => b.append_value(v),
            (Builder::D(b), _) => b.append_null(),
            (Builder::B(b), Cell::B(v)) => b.append_value(v),
            (Builder::B(b), _) => b.append_null(),
            (Builder::I(b), Cell::I(v)) => b.append_value(v),
            (Builder::I(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Str(b) => b.finish().into_series().into_column(),
            Builder::F(b) => b.finish().into_series().into_column(),
            Builder::D(b) => b.finish().into_date().into_series().into_column(),
            Builder::B(b) => b.finish().into_series().into_column(),
            Builder::I(b) => b.finish().into_series().into_column(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read::RecordBatch;

    proptest::proptest! {
        /// The fast `trim` is `str::trim`, Unicode spaces (U+3000) and control characters
        /// included.
        #[test]
        fn trim_is_str_trim(s in "[ \t\r\n\u{b}\u{c}\u{3000}\u{a0}a-z0-9~,.中-]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn fields_trim_nulls_and_invalid_utf8() {
        let p = plan(Table::Accounts, &["account_id", "name"]);
        let mut b = RecordBatch::default();
        b.push(
            2,
            [
                &b" A1 "[..],
                &b"NULL"[..],
                &b"\xff"[..],
                &b"\xe4\xb8\xad "[..],
            ],
        );
        let r = b.get(0);
        assert_eq!(p.field(&r, 0), Ok(Some("A1")));
        assert_eq!(p.field(&r, 1), Ok(None));
        assert!(p.field(&r, 2).unwrap_err().contains("invalid UTF-8"));
        assert_eq!(p.field(&r, 3), Ok(Some("中")));
        assert_eq!(p.field(&r, 9), Ok(None));
    }

    fn rec<'a>(line: u64, fields: &[&'a str]) -> (u64, Vec<&'a str>) {
        (line, fields.to_vec())
    }

    fn batch(recs: &[(u64, Vec<&str>)]) -> RecordBatch {
        let mut b = RecordBatch::default();
        for (line, fields) in recs {
            b.push(*line, fields);
        }
        b
    }

    fn plan(table: Table, headers: &[&str]) -> TablePlan {
        let p = crate::profiles::load("canonical").unwrap();
        let m = p
            .tables
            .iter()
            .find(|m| m.table() == Some(table))
            .unwrap()
            .clone();
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        TablePlan::new(table, &h, &m, &p, Some("salt".into()), b',').unwrap()
    }

    #[test]
    fn contacts_parse_labels_hash_pii_keep_unknown_labels_and_reject_bad_rows() {
        let p = plan(
            Table::Contacts,
            &[
                "contact_id",
                "account_id",
                "email",
                "title",
                "level",
                "decision_role",
                "support",
                "intimacy",
                "extra",
            ],
        );
        assert_eq!(p.columns.ignored, vec!["extra".to_string()]);
        assert!(p.columns.missing.contains(&"phone".to_string()));
        let recs = vec![
            rec(
                2,
                &[
                    "C1",
                    "A1",
                    "x@example.com",
                    "CIO",
                    "",
                    "决策者",
                    "教练",
                    "3",
                    "",
                ],
            ),
            rec(
                3,
                &[
                    "C2",
                    "A1",
                    "",
                    "Engineer",
                    "中层",
                    "Economic Buyer",
                    "-1.0",
                    "",
                    "",
                ],
            ),
            rec(4, &["C3", "A1", "", "", "", "boss", "1", "1", ""]),
            rec(5, &["C4", "A1", "", "", "", "user", "7", "1", ""]),
            rec(6, &["", "A1", "", "", "", "", "", "", ""]),
            rec(7, &["C6", "A1", ""]),
        ];
        let (df, acc, rej) = p.parse_chunk(batch(&recs).all());
        // An unknown decision role (`boss`) and a support of 7 cost no row: they are left
        // empty (MCR009). A missing required id and a ragged row are rejected.
        assert_eq!(acc, vec![0, 1, 2, 3]);
        assert_eq!(df.height(), 4);
        let reasons: Vec<(u64, &str)> = rej.iter().map(|r| (r.line, r.column.as_str())).collect();
        assert_eq!(reasons, vec![(6, "contact_id"), (7, "")]);
        let level = df.column("level").unwrap().str().unwrap().clone();
        assert_eq!(level.get(0), Some("executive")); // inferred from CIO
        assert_eq!(level.get(1), Some("middle"));
        let support = df.column("support").unwrap().i32().unwrap().clone();
        let support: Vec<Option<i32>> = support.iter().collect();
        assert_eq!(support, vec![Some(3), Some(-1), Some(1), None]);
        let role = df.column("decision_role").unwrap().str().unwrap().clone();
        let role: Vec<Option<&str>> = role.iter().collect();
        assert_eq!(
            role,
            vec![
                Some("decision_maker"),
                Some("decision_maker"),
                None,
                Some("user")
            ]
        );
        let email = df
            .column("email")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_string();
        assert!(!email.contains('@') && email.len() == 32);
        assert_eq!(email, hash_pii("salt", " X@Example.com "));
    }

    #[test]
    fn hash_pii_is_salted_sha256_of_the_normalised_value() {
        // python3: hashlib.sha256(b"salt:x@example.com").hexdigest()[:32]
        assert_eq!(
            hash_pii("salt", " X@Example.com "),
            "bb0122b39a54af1180b6d432e7ba251f"
        );
    }

    #[test]
    fn opportunities_derive_won_and_closed_from_stage() {
        let p = plan(
            Table::Opportunities,
            &["opportunity_id", "account_id", "stage", "amount"],
        );
        let recs = vec![
            rec(2, &["O1", "A1", "Closed Won", "¥1,000"]),
            rec(3, &["O2", "A1", "输单", "5"]),
            rec(4, &["O3", "A1", "Proposal", "(5)"]),
        ];
        let (df, _, rej) = p.parse_chunk(batch(&recs).all());
        assert!(rej.is_empty());
        let won: Vec<Option<bool>> = df
            .column("is_won")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        let closed: Vec<Option<bool>> = df
            .column("is_closed")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(won, vec![Some(true), Some(false), Some(false)]);
        assert_eq!(closed, vec![Some(true), Some(true), Some(false)]);
        let amount: Vec<Option<f64>> = df.column("amount").unwrap().f64().unwrap().iter().collect();
        assert_eq!(amount, vec![Some(1000.0), Some(5.0), Some(-5.0)]);
    }

    #[test]
    fn missing_required_and_duplicate_columns_are_plan_errors() {
        let p = crate::profiles::load("canonical").unwrap();
        let m = p.tables[0].clone();
        let h = vec!["name".to_string()];
        assert!(matches!(
            TablePlan::new(Table::Accounts, &h, &m, &p, None, b','),
            Err(PlanError::MissingRequired { .. })
        ));
        let h = vec![
            "account_id".to_string(),
            "name".into(),
            "Account_ID ".into(),
        ];
        assert!(matches!(
            TablePlan::new(Table::Accounts, &h, &m, &p, None, b','),
            Err(PlanError::Duplicate { .. })
        ));
    }

    #[test]
    fn computed_columns_sign_rules_row_keys_and_excluded_rows() {
        let p = Profile::from_toml(
            r#"name = "t"
[[table]]
name = "revenue"
files = ["*.csv"]
key = { row = true }
columns = { account_id = "Cust", date = "Date" }
compute = { amount = { product = ["Qty", "Price"] }, product_line = { concat = ["Cat", "Sub"], sep = "/" } }
exclude = { Deleted = ["1", "TRUE"] }
[table.sign.amount]
column = "Invoice"
prefix = ["c"]
"#,
            "t",
        )
        .unwrap();
        let h: Vec<String> = [
            "Invoice", "Cust", "Date", "Qty", "Price", "Cat", "Sub", "Deleted",
        ]
        .map(String::from)
        .to_vec();
        let plan = TablePlan::new(Table::Revenue, &h, &p.tables[0], &p, None, b',').unwrap();
        assert_eq!(plan.row_key_index(), Some(0));
        assert!(
            plan.columns.ignored.is_empty(),
            "{:?}",
            plan.columns.ignored
        );
        let recs = vec![
            rec(
                2,
                &[
                    "536365",
                    "A",
                    "2011-01-05",
                    "6",
                    "2.55",
                    "Home",
                    "Light",
                    "0",
                ],
            ),
            rec(
                3,
                &[
                    "536365",
                    "A",
                    "2011-01-05",
                    "6",
                    "2.55",
                    "Home",
                    "Light",
                    "0",
                ],
            ),
            // A credit note with a negative quantity stays negative; one with a positive
            // quantity is made negative by the prefix.
            rec(4, &["C536379", "A", "2011-01-06", "-2", "7.65", "", "", ""]),
            rec(
                5,
                &["C536380", "A", "2011-01-06", "2", "7.65", "Home", "", ""],
            ),
            rec(6, &["536366", "A", "2011-01-07", "x", "1", "", "", ""]),
            rec(7, &["536367", "A", "2011-01-07", "1", "1", "", "", "true"]),
            rec(8, &["536368", "A", "2011-01-07", "", "1", "", "", ""]),
        ];
        let Parsed {
            df,
            accepted: acc,
            rejects: rej,
            excluded,
            row_hashes,
        } = plan.parse_chunk_counted(batch(&recs).all());
        assert_eq!(acc, vec![0, 1, 2, 3]);
        assert_eq!(excluded, 1);
        assert_eq!(rej.len(), 2);
        assert_eq!(rej[0].line, 6);
        assert!(
            rej[0].reason.contains("a factor of amount"),
            "{}",
            rej[0].reason
        );
        // An empty factor leaves the (required) amount empty: rejected.
        assert_eq!((rej[1].line, rej[1].column.as_str()), (8, "amount"));
        let amount: Vec<Option<f64>> = df.column("amount").unwrap().f64().unwrap().iter().collect();
        // 6 × 2.55 = 15.3; −2 × 7.65 = −15.3; 2 × 7.65 → −15.3 (prefix C).
        assert_eq!(
            amount[..4]
                .iter()
                .map(|a| a.map(|v| (v * 100.0).round() / 100.0))
                .collect::<Vec<_>>(),
            vec![Some(15.3), Some(15.3), Some(-15.3), Some(-15.3)]
        );
        let pl: Vec<Option<&str>> = df
            .column("product_line")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            pl[..4],
            [Some("Home/Light"), Some("Home/Light"), None, Some("Home")]
        );
        // Identical rows get the same content hash (the occurrence number comes later, in
        // the keys stage, which also fills the column: the parse leaves it empty).
        let keys: Vec<String> = row_hashes.iter().map(|h| format!("{h:016x}")).collect();
        assert_eq!(keys.len(), 4);
        assert_eq!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
        assert_eq!(keys[0].len(), 16);
        assert_eq!(df.column("document_id").unwrap().null_count(), 4);
    }

    fn strs(df: &DataFrame, col: &str) -> Vec<Option<String>> {
        df.column(col)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    }

    fn bools(df: &DataFrame, col: &str) -> Vec<Option<bool>> {
        df.column(col).unwrap().bool().unwrap().iter().collect()
    }

    /// Labels never cost rows: an unknown label of an optional enum or boolean column keeps
    /// the row, reads as `other` where the vocabulary has it and as empty otherwise (no
    /// default or inference fills it), and MCR009 counts the labels and rows per column.
    #[test]
    fn unknown_labels_of_optional_columns_keep_the_row_and_are_counted() {
        let p = plan(
            Table::Contacts,
            &[
                "contact_id",
                "account_id",
                "title",
                "level",
                "decision_role",
                "support",
                "intimacy",
            ],
        );
        let recs = vec![
            rec(2, &["C1", "A1", "CIO", "Big Boss", "astrologer", "7", "1"]),
            rec(3, &["C2", "A1", "", "", "Astrologer ", "教练", "9"]),
            rec(4, &["C3", "A1", "", "", "user", "1", "1"]),
            // Rejected for its empty id: its label is not counted.
            rec(5, &["", "A1", "", "", "oracle", "", ""]),
            rec(6, &["C5", "A1", "Engineer", "", "ASTROLOGER", "", ""]),
        ];
        let parsed = p.parse_chunk_counted(batch(&recs).all());
        // rows read = accepted + rejected + excluded
        assert_eq!(
            recs.len(),
            parsed.accepted.len() + parsed.rejects.len() + parsed.excluded as usize
        );
        assert_eq!(parsed.accepted, vec![0, 1, 2, 4]);
        let rej: Vec<(u64, &str)> = parsed
            .rejects
            .iter()
            .map(|r| (r.line, r.column.as_str()))
            .collect();
        assert_eq!(rej, vec![(5, "contact_id")]);
        let df = &parsed.df;
        // An unrecognised level is unknown: not inferred from the title (CIO); an empty one
        // still is (Engineer → base).
        assert_eq!(
            strs(df, "level"),
            vec![None, None, None, Some("base".into())]
        );
        assert_eq!(
            strs(df, "decision_role"),
            vec![None, None, Some("user".into()), None]
        );
        let ints =
            |c: &str| -> Vec<Option<i32>> { df.column(c).unwrap().i32().unwrap().iter().collect() };
        assert_eq!(ints("support"), vec![None, Some(3), Some(1), None]);
        assert_eq!(ints("intimacy"), vec![Some(1), None, Some(1), None]);

        let u = p.unknown_labels();
        let cols: Vec<(&str, u64, u64)> = u
            .iter()
            .map(|u| (u.column.as_str(), u.rows, u.distinct))
            .collect();
        assert_eq!(
            cols,
            vec![
                ("level", 1, 1),
                ("decision_role", 3, 1),
                ("support", 1, 1),
                ("intimacy", 1, 1)
            ]
        );
        // Labels compare as value maps do (case, spaces); shown as first seen.
        assert_eq!(u[1].labels, vec![("astrologer".to_string(), 3)]);
        assert_eq!(u[1].read_as, None);
        assert_eq!(u[2].labels, vec![("7".to_string(), 1)]);

        let d = p.label_diagnostics("exports/contacts.csv");
        assert_eq!(d.len(), 4);
        assert!(d
            .iter()
            .all(|d| d.code == "MCR009" && d.severity == crate::diagnostics::Severity::Warning));
        assert_eq!(
            d[1].message,
            "exports/contacts.csv: contacts.decision_role: 1 unrecognised label in 3 rows (rows kept, decision_role left empty): `astrologer` (3)"
        );
        assert_eq!(
            d[1].hint.as_deref(),
            Some(
                "map each in the profile, under the [[table]] of contacts: [table.values.decision_role] \"astrologer\" = \"<one of decision_maker, evaluator, technical, procurement, user, influencer, none>\" (one line per label; they compare case-insensitively)"
            )
        );
        assert!(
            d[2].message
                .contains("contacts.support: 1 unrecognised value in 1 row (rows kept, support left empty): `7` (1)"),
            "{}",
            d[2].message
        );
        assert!(
            d[2].hint
                .as_deref()
                .unwrap()
                .contains("[table.values.support] \"7\" = \"<one of -2, -1, 0, 1, 2, 3>\""),
            "{:?}",
            d[2].hint
        );

        // The duplicate-key pass parses the records again: counted once.
        let _ = p.parse_chunk(batch(&recs).all());
        assert_eq!(p.unknown_labels(), u);
        // A second chunk adds to the file's counts.
        let more = vec![rec(7, &["C6", "A1", "", "", "oracle", "", ""])];
        let _ = p.parse_chunk_counted(batch(&more).all());
        let u = p.unknown_labels();
        assert_eq!(
            (u[1].rows, u[1].distinct, u[1].labels.clone()),
            (
                4,
                2,
                vec![("astrologer".to_string(), 3), ("oracle".to_string(), 1)]
            )
        );
    }

    #[test]
    fn unknown_labels_read_as_other_where_the_vocabulary_has_it_and_booleans_stay_unknown() {
        let acts = plan(
            Table::Activities,
            &["activity_id", "account_id", "date", "type"],
        );
        let recs = vec![
            rec(2, &["V1", "A1", "2024-01-02", "Photo shoot"]),
            rec(3, &["V2", "A1", "2024-01-02", "meeting"]),
            rec(4, &["V3", "A1", "2024-01-02", "photo_shoot"]),
            rec(5, &["V4", "A1", "2024-01-02", ""]),
        ];
        let parsed = acts.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![0, 1, 2, 3]);
        assert_eq!(
            strs(&parsed.df, "type"),
            vec![
                Some("other".into()),
                Some("meeting".into()),
                Some("other".into()),
                None
            ]
        );
        let d = acts.label_diagnostics("a.csv");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "a.csv: activities.type: 1 unrecognised label in 2 rows (rows kept, type read as `other`): `Photo shoot` (2)"
        );

        let emps = plan(Table::Employees, &["employee_id", "role", "active"]);
        let recs = vec![
            rec(2, &["E1", "Intern", "maybe"]),
            rec(3, &["E2", "AR", ""]),
            rec(4, &["E3", "顾问", "否"]),
        ];
        let parsed = emps.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![0, 1, 2]);
        assert_eq!(
            strs(&parsed.df, "role"),
            vec![
                Some("other".into()),
                Some("AR".into()),
                Some("other".into())
            ]
        );
        // An unrecognised `active` is unknown, not the default (true) of an empty one.
        assert_eq!(
            bools(&parsed.df, "active"),
            vec![None, Some(true), Some(false)]
        );
        let d = emps.label_diagnostics("e.csv");
        assert_eq!(d.len(), 2);
        assert!(
            d[0].message.ends_with(
                "employees.role: 2 unrecognised labels in 2 rows (rows kept, role read as `other`): `Intern` (1), `顾问` (1)"
            ),
            "{}",
            d[0].message
        );
        assert!(
            d[1].message
                .ends_with("employees.active: 1 unrecognised value in 1 row (rows kept, active left empty): `maybe` (1)"),
            "{}",
            d[1].message
        );
        assert!(
            d[1].hint
                .as_deref()
                .unwrap()
                .contains("[table.values.active] \"maybe\" = \"<one of true, false>\""),
            "{:?}",
            d[1].hint
        );

        // is_won unrecognised: unknown, not derived from the stage; is_closed still is.
        let opps = plan(
            Table::Opportunities,
            &["opportunity_id", "account_id", "stage", "is_won"],
        );
        let recs = vec![
            rec(2, &["O1", "A1", "Closed Won", "perhaps"]),
            rec(3, &["O2", "A1", "Closed Won", ""]),
        ];
        let parsed = opps.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![0, 1]);
        assert_eq!(bools(&parsed.df, "is_won"), vec![None, Some(true)]);
        assert_eq!(bools(&parsed.df, "is_closed"), vec![Some(true), Some(true)]);
        assert_eq!(opps.unknown_labels()[0].column, "is_won");

        // A row rejected by a later column (the required start_date) is not counted as kept.
        let agr = plan(
            Table::Agreements,
            &["agreement_id", "account_id", "type", "start_date"],
        );
        let recs = vec![
            rec(2, &["G1", "A1", "MoU", "2024-01-01"]),
            rec(3, &["G2", "A1", "MoU", "someday"]),
        ];
        let parsed = agr.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![0]);
        assert_eq!(parsed.rejects[0].column, "start_date");
        assert_eq!(strs(&parsed.df, "type"), vec![Some("other".into())]);
        let u = agr.unknown_labels();
        assert_eq!(
            (u[0].rows, u[0].labels.clone()),
            (1, vec![("MoU".into(), 1)])
        );
    }

    /// Only a required column (or `--strict`) rejects a row over a label; the reject names
    /// the label and the vocabulary, and such rows are not counted as kept.
    #[test]
    fn unknown_labels_reject_the_row_in_required_columns_and_with_strict() {
        static REQUIRED_ROLE: ContractColumn = ContractColumn {
            name: "decision_role",
            ty: ColType::Enum(EnumKind::DecisionRole),
            required: true,
        };
        let headers = ["contact_id", "account_id", "decision_role"];
        let recs = vec![
            rec(2, &["C1", "A1", "astrologer"]),
            rec(3, &["C2", "A1", "user"]),
        ];
        let mut p = plan(Table::Contacts, &headers);
        let i = p.index_of("decision_role").unwrap();
        p.cols[i].col = &REQUIRED_ROLE;
        let parsed = p.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![1]);
        assert_eq!(parsed.rejects.len(), 1);
        let r = &parsed.rejects[0];
        assert_eq!((r.line, r.column.as_str()), (2, "decision_role"));
        assert!(
            r.reason.starts_with(
                "unknown decision_role `astrologer` (expected one of decision_maker, evaluator"
            ),
            "{}",
            r.reason
        );
        assert!(p.unknown_labels().is_empty());
        assert!(p.label_diagnostics("c.csv").is_empty());

        let p = plan(Table::Contacts, &headers).strict_labels(true);
        let parsed = p.parse_chunk_counted(batch(&recs).all());
        assert_eq!(parsed.accepted, vec![1]);
        assert!(
            parsed.rejects[0].reason.ends_with("(--strict)"),
            "{}",
            parsed.rejects[0].reason
        );
        assert!(p.unknown_labels().is_empty());

        // Booleans too.
        let emps = plan(Table::Employees, &["employee_id", "active"]).strict_labels(true);
        let parsed = emps.parse_chunk_counted(batch(&[rec(2, &["E1", "maybe"])]).all());
        assert!(parsed.accepted.is_empty());
        assert!(
            parsed.rejects[0]
                .reason
                .contains("`maybe` is not a boolean"),
            "{}",
            parsed.rejects[0].reason
        );
    }

    #[test]
    fn mcr009_lists_ten_labels_most_frequent_first_and_counts_the_rest() {
        let p = plan(
            Table::Activities,
            &["activity_id", "account_id", "date", "type"],
        );
        let ids: Vec<String> = (0..15).map(|i| format!("V{i}")).collect();
        let types: Vec<String> = (0..15).map(|i| format!("kind {i:02}")).collect();
        let mut recs: Vec<(u64, Vec<&str>)> = (0..15)
            .map(|i| rec(i as u64 + 2, &[&ids[i], "A1", "2024-01-02", &types[i]]))
            .collect();
        recs.push(rec(17, &["W1", "A1", "2024-01-02", "Kind 14"]));
        recs.push(rec(18, &["W2", "A1", "2024-01-02", "say \"hi\""]));
        let _ = p.parse_chunk_counted(batch(&recs).all());
        let d = p.label_diagnostics("a.csv");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains(
                "16 unrecognised labels in 17 rows (rows kept, type read as `other`): `kind 14` (2), `kind 00` (1), `kind 01` (1)"
            ),
            "{}",
            d[0].message
        );
        assert!(
            d[0].message.ends_with("`kind 08` (1), … and 6 more"),
            "{}",
            d[0].message
        );
        assert!(
            d[0].hint
                .as_deref()
                .unwrap()
                .contains("[table.values.type] \"kind 14\" = "),
            "{:?}",
            d[0].hint
        );
        assert_eq!(toml_escaped("say \"hi\"\\"), "say \\\"hi\\\"\\\\");
    }

    /// `[table.compute]` fills a column whether or not it is also under `columns`; when it
    /// is, a non-empty cell of the `columns` header wins and the compute fills the others.
    #[test]
    fn compute_applies_with_or_without_the_column_under_columns() {
        // With or without a sign rule: the products were lost when the column had none.
        let profile = |amount_column: &str, sign: &str| {
            Profile::from_toml(
                &format!(
                    r#"name = "t"
[[table]]
name = "revenue"
files = ["*.csv"]
[table.columns]
document_id = "Invoice"
account_id = "Cust"
date = "Date"
{amount_column}
[table.compute]
amount = {{ product = ["Qty", "Price"] }}
{sign}
"#
                ),
                "t",
            )
            .unwrap()
        };
        let headers: Vec<String> = ["Invoice", "Cust", "Date", "Qty", "Price", "Total"]
            .map(String::from)
            .to_vec();
        let recs = vec![
            rec(2, &["I1", "A", "2024-01-02", "2", "3.5", ""]),
            rec(3, &["I2", "A", "2024-01-02", "2", "3.5", "10"]),
            rec(4, &["I3", "A", "2024-01-02", "", "3.5", ""]),
        ];
        let amounts = |p: &Profile, headers: &[String]| {
            let plan =
                TablePlan::new(Table::Revenue, headers, &p.tables[0], p, None, b',').unwrap();
            let parsed = plan.parse_chunk_counted(batch(&recs).all());
            let a: Vec<Option<f64>> = parsed
                .df
                .column("amount")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect();
            let rej: Vec<(u64, String)> = parsed
                .rejects
                .iter()
                .map(|r| (r.line, r.reason.clone()))
                .collect();
            (parsed.accepted, a, rej)
        };
        let empty_factor = vec![(4, "required amount is empty (Qty×Price)".to_string())];
        // A sign rule that matches no row here (invoices starting with C).
        for sign in [
            "",
            "[table.sign.amount]\ncolumn = \"Invoice\"\nprefix = [\"C\"]",
        ] {
            // Not under `columns`: computed on every row (the Total column is not read).
            let p = profile("", sign);
            assert_eq!(
                amounts(&p, &headers),
                (vec![0, 1], vec![Some(7.0), Some(7.0)], empty_factor.clone()),
                "{sign}"
            );
            // Under `columns`: the Total header wins where it has a value.
            let p = profile("amount = \"Total\"", sign);
            assert_eq!(
                amounts(&p, &headers),
                (
                    vec![0, 1],
                    vec![Some(7.0), Some(10.0)],
                    vec![(4, "required amount is empty (Total|Qty×Price)".to_string())]
                ),
                "{sign}"
            );
            // Under `columns` with a header the file does not have: computed.
            let p = profile("amount = \"Line Total\"", sign);
            assert_eq!(
                amounts(&p, &headers),
                (vec![0, 1], vec![Some(7.0), Some(7.0)], empty_factor.clone()),
                "{sign}"
            );
        }
        // An optional column (opportunities.amount) lost its product the same way, silently.
        let p = Profile::from_toml(
            r#"name = "t"
[[table]]
name = "opportunities"
files = ["*.csv"]
columns = { opportunity_id = "Id", account_id = "Cust" }
compute = { amount = { product = ["Qty", "Price"] } }
"#,
            "t",
        )
        .unwrap();
        let h: Vec<String> = ["Id", "Cust", "Qty", "Price"].map(String::from).to_vec();
        let plan = TablePlan::new(Table::Opportunities, &h, &p.tables[0], &p, None, b',').unwrap();
        let (df, acc, _) = plan.parse_chunk(batch(&[rec(2, &["O1", "A", "4", "2.5"])]).all());
        assert_eq!(acc, vec![0]);
        assert_eq!(
            df.column("amount").unwrap().f64().unwrap().get(0),
            Some(10.0)
        );
    }

    /// Row keys stay what they were before the one-shot hash (same keys on re-ingest): the
    /// streaming hash of the trimmed fields, each followed by 0x1f.
    #[test]
    fn row_hash_equals_the_streaming_hash_of_the_trimmed_fields() {
        let b = batch(&[rec(
            2,
            &["536365", " 85123A ", "", "WHITE HANGING HEART", "6"],
        )]);
        let r = b.get(0);
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for f in ["536365", "85123A", "", "WHITE HANGING HEART", "6"] {
            h.update(f.as_bytes());
            h.update(&[0x1f]);
        }
        assert_eq!(row_hash(&r, 5, &mut Vec::new()), h.digest());
        // Only the header's fields count (extra empty fields of a ragged row do not).
        assert_ne!(row_hash(&r, 4, &mut Vec::new()), h.digest());
    }

    #[test]
    fn levels_from_titles() {
        assert_eq!(
            level_from_title("Chief Information Officer"),
            Some("executive")
        );
        assert_eq!(level_from_title("采购部经理"), Some("middle"));
        assert_eq!(level_from_title("网络工程师"), Some("base"));
        assert_eq!(level_from_title("???"), None);
    }
}
