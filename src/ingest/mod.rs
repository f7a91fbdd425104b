//! Reading exports into the lake: discover files → map them through a profile → parse and
//! validate row by row (streaming, bounded memory) → write a snapshot transactionally.
//!
//! Nothing is lost silently: per file, rows read = accepted + rejected; rejected rows are kept
//! with file, line, column, reason and the raw record under `_rejects/`.

pub mod derived;
pub mod draft;
pub mod fingerprint;
pub mod parse;
pub mod probability;
pub mod read;
pub mod rejects;
pub mod resolve;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use anyhow::Context as _;
use polars::prelude::*;
use serde::Serialize;

use crate::contract::{currency, Table};
use crate::diagnostics::{Code, Diagnostic};
use crate::error::hinted;
use crate::lake::manifest::{SourceFile, TableSnapshot};
use crate::lake::transaction::Transaction;
use crate::lake::{Lake, LakeView};
use crate::profiles::Profile;
use read::{FileKind, RecordBatch};
use validate::{Reject, TablePlan};

/// Records per parse chunk. Small enough that the stages' queues keep few chunks alive (the
/// reader reuses their records) and the pipeline fills and drains quickly.
const CHUNK: usize = 16 * 1024;

/// Rows per Parquet row group: the writer gathers parsed chunks up to this size (a small
/// row group costs a compression context per column and a less useful footer; the last
/// one is compressed after the parse is over).
const ROW_GROUP: usize = 64 * 1024;

/// Options of one ingest.
pub struct IngestOptions<'a> {
    pub profile: &'a Profile,
    /// How the profile was named (`canonical`, a file path…), recorded in the manifest.
    pub profile_label: String,
    pub strict: bool,
    pub dry_run: bool,
    pub hash_pii: bool,
    /// The `reporting_currency` setting; `None`: taken from the data
    /// ([`crate::contract::currency::reporting`]).
    pub reporting_currency: Option<String>,
    pub progress: bool,
    /// Re-ingest even when the files and [`fingerprint::inputs`] are unchanged.
    pub force: bool,
    /// The options that change rows, recorded in the manifest ([`fingerprint`]).
    pub inputs: BTreeMap<String, String>,
    /// The source these files belong to: re-ingesting it replaces only its own tables.
    pub source: String,
    /// The configured source precedence (`[[sources]]` order), recorded in the manifest.
    pub precedence: Vec<String>,
}

/// What happened to one source file (or sheet).
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub sheet: Option<String>,
    pub table: String,
    pub encoding: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub orphans: u64,
    /// Rows left out by the profile's `exclude` (rows_read = accepted + rejected + excluded).
    #[serde(skip_serializing_if = "is_zero")]
    pub excluded: u64,
    pub columns: validate::ColumnReport,
    /// The first rejects, for the summary.
    pub reject_samples: Vec<RejectSample>,
    /// Rejects grouped by column and kind, largest group first, each with its first reason
    /// (what `profiles init` reports and acts on).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reject_groups: Vec<RejectGroup>,
}

/// Rejects of one column and kind in one file.
#[derive(Debug, Clone, Serialize)]
pub struct RejectGroup {
    pub column: String,
    pub duplicate_key: bool,
    /// The first reject's reason.
    pub reason: String,
    pub rows: u64,
}

/// Count a reject in its group.
fn tally(groups: &mut Vec<RejectGroup>, r: &Reject) {
    let dup = r.is_duplicate();
    match groups
        .iter_mut()
        .find(|g| g.column == r.column && g.duplicate_key == dup)
    {
        Some(g) => g.rows += 1,
        None => groups.push(RejectGroup {
            column: r.column.clone(),
            duplicate_key: dup,
            reason: r.reason.clone(),
            rows: 1,
        }),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectSample {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The outcome of an ingest.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The snapshot written; `None` for a dry run or a no-op.
    pub snapshot: Option<String>,
    /// True when the same files were already ingested with the same profile and options.
    pub noop: bool,
    /// Why files already in the lake were ingested again (an edited profile, another option,
    /// `--force`); empty for new files.
    pub reingest_because: Vec<String>,
    pub dry_run: bool,
    pub profile: String,
    pub files: Vec<FileReport>,
    /// Files of optional tables that could not be mapped (skipped with warning MCR012).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<crate::lake::manifest::SkippedFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl IngestReport {
    pub fn totals(&self) -> (u64, u64, u64) {
        let sources = self.files.iter().filter(|f| f.encoding != "derived");
        sources.fold((0, 0, 0), |(r, a, j), f| {
            (r + f.rows_read, a + f.accepted, j + f.rejected)
        })
    }
}

/// One file (or sheet) to ingest.
#[derive(Debug, Clone)]
struct Item {
    path: PathBuf,
    sheet: Option<String>,
    table: Table,
    mapping: usize,
    size: u64,
    hash: String,
}

/// Find the files of the sources and the table each feeds.
fn discover(
    sources: &[PathBuf],
    profile: &Profile,
    diags: &mut Vec<Diagnostic>,
) -> anyhow::Result<(Vec<Item>, Vec<PathBuf>)> {
    let mut files = Vec::new();
    for s in sources {
        if s.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(s)
                .with_context(|| format!("cannot list {}", s.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    !p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'))
                })
                .collect();
            entries.sort();
            files.extend(entries);
        } else if s.is_file() {
            files.push(s.clone());
        } else {
            return Err(hinted(
                format!("source {} does not exist", s.display()),
                "give a folder of exports or export files, e.g. `mcr ingest data/sample`",
            ));
        }
    }
    let mut items = Vec::new();
    // Files no table of the profile takes (warning MCR010), named again if nothing is left.
    let mut skipped: Vec<String> = Vec::new();
    let all_files = files.clone();
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let kind = FileKind::of(&f);
        let matches: Vec<usize> = (0..profile.tables.len())
            .filter(|&i| profile.tables[i].matches(&name))
            .collect();
        if kind.is_none() {
            if !matches.is_empty() {
                diags.push(
                    Diagnostic::warning(
                        Code::Mcr011,
                        format!("{}: unsupported file type, skipped", f.display()),
                    )
                    .with_hint("export as .csv, .xlsx, .json, .ndjson or .parquet"),
                );
            }
            continue;
        }
        let (size, hash) = hash_file(&f)?;
        if let Some(&i) = matches.first() {
            let table = profile.tables[i].table().context("profile table")?;
            items.push(Item {
                path: f.clone(),
                sheet: None,
                table,
                mapping: i,
                size,
                hash: hash.clone(),
            });
            continue;
        }
        // A workbook whose file name matches nothing: its sheets may be tables (one that
        // cannot be opened is an error naming it, not "matches no table").
        if kind == Some(FileKind::Excel) {
            let mut any = false;
            for sheet in read::excel_sheets(&f).map_err(read::ReadError::into_hinted)? {
                if let Some(i) =
                    (0..profile.tables.len()).find(|&i| profile.tables[i].matches_sheet(&sheet))
                {
                    let table = profile.tables[i].table().context("profile table")?;
                    items.push(Item {
                        path: f.clone(),
                        sheet: Some(sheet),
                        table,
                        mapping: i,
                        size,
                        hash: hash.clone(),
                    });
                    any = true;
                }
            }
            if any {
                continue;
            }
        }
        if profile.lookups.iter().any(|l| l.matches(&name)) {
            // Read only as a lookup source (e.g. OpportunityContactRole.csv).
            continue;
        }
        skipped.push(f.display().to_string());
        diags.push(
            Diagnostic::warning(Code::Mcr010, format!("{}: no table of profile `{}` matches this file name; skipped", f.display(), profile.name))
                .with_hint("rename the file after its table (accounts.csv, contacts.csv, …) or add its name to a `files` pattern of the profile"),
        );
    }
    if items.is_empty() {
        let patterns: Vec<String> = profile
            .tables
            .iter()
            .map(|m| format!("{}: {}", m.name, m.files.join(" ")))
            .collect();
        return Err(hinted(
            format!(
                "no export file in {} matches profile `{}`{}",
                sources
                    .iter()
                    .map(|s| s.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                profile.name,
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (skipped: {})", skipped.join(", "))
                }
            ),
            format!(
                "the profile expects files named like — {}",
                patterns.join("; ")
            ),
        ));
    }
    items.sort_by_key(|i| Table::ALL.iter().position(|t| *t == i.table));
    Ok((items, all_files))
}

/// A file read only by lookups, recorded with the tables derived from it so that a change
/// to it makes the next ingest run again (and the manifest says where values came from).
#[derive(Debug, Clone)]
struct LookupOnly {
    label: String,
    size: u64,
    hash: String,
    tables: Vec<Table>,
}

/// Build the lookups the discovered files' mappings use (none for most profiles).
fn prepare_lookups(
    profile: &Profile,
    items: &[Item],
    files: &[PathBuf],
    view: &LakeView,
    diags: &mut Vec<Diagnostic>,
) -> anyhow::Result<(Option<std::sync::Arc<resolve::Lookups>>, Vec<LookupOnly>)> {
    let mut mappings: Vec<usize> = items.iter().map(|i| i.mapping).collect();
    mappings.sort();
    mappings.dedup();
    let names = resolve::used_lookups(profile, &mappings);
    if names.is_empty() {
        return Ok((None, vec![]));
    }
    let (mut lookups, used) = resolve::build(profile, &names, files)?;
    resolve::add_lake_lookups(&mut lookups, profile, &names, view)?;
    for n in &names {
        for why in lookups.skipped(n) {
            diags.push(Diagnostic::info(
                Code::Mcr024,
                format!("lookup `{n}` did not read {why}"),
            ));
        }
        if lookups.is_empty(n) && lookups.skipped(n).is_empty() {
            let patterns = profile
                .lookups
                .iter()
                .find(|l| &l.name == n)
                .map(|l| l.files.join(" "))
                .unwrap_or_default();
            diags.push(
                Diagnostic::warning(
                    Code::Mcr022,
                    format!("lookup `{n}`: no file matches {patterns}; values derived through it are left empty, or their rows rejected when required"),
                )
                .with_hint("add the export it reads to the sources, or adjust the lookup's `files` patterns"),
            );
        } else if !lookups.is_empty(n) {
            diags.push(Diagnostic::info(
                Code::Mcr023,
                format!(
                    "lookup `{n}`: {} keys from {}",
                    lookups.len(n),
                    lookups.files_of(n)
                ),
            ));
        }
    }
    // Which tables use which lookup (through derive, following `then`).
    let mut only: Vec<LookupOnly> = Vec::new();
    for (src, lookup) in used {
        let is_item = items
            .iter()
            .any(|i| i.path == src.path && i.sheet == src.sheet);
        if is_item {
            continue;
        }
        let tables: Vec<Table> = items
            .iter()
            .filter(|i| resolve::used_lookups(profile, &[i.mapping]).contains(&lookup))
            .map(|i| i.table)
            .collect();
        let label = format!("{} (lookup {lookup})", src.label());
        if let Some(o) = only.iter_mut().find(|o| o.label.starts_with(&src.label())) {
            o.tables.extend(tables);
            continue;
        }
        let (size, hash) = hash_file(&src.path)?;
        only.push(LookupOnly {
            label,
            size,
            hash,
            tables,
        });
    }
    for o in &mut only {
        o.tables.sort();
        o.tables.dedup();
    }
    Ok((Some(std::sync::Arc::new(lookups)), only))
}

/// Size and xxh3-128 content hash of a file.
fn hash_file(path: &Path) -> anyhow::Result<(u64, String)> {
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, format!("{:032x}", h.digest128())))
}

fn key_hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.trim().as_bytes())
}

/// Sets and maps keyed by [`key_hash`] values, which are already well mixed: hashing them
/// again (SipHash) was a fifth of the ingest CPU time at 20 M activities.
type KeySet = HashSet<u64, nohash_hasher::BuildNoHashHasher<u64>>;

type ParquetWriter = polars::io::parquet::write::BatchedWriter<std::io::BufWriter<std::fs::File>>;

/// The salt for hashing personal data, created on first use beside the lake data (readable
/// by its owner only: with it, hashed e-mail addresses could be tested against guesses).
/// An existing salt is never replaced: hashes of the same address must stay equal across
/// snapshots, so a salt that cannot be read stops the ingest instead.
fn salt(lake: &Lake, create: bool) -> anyhow::Result<String> {
    let path = lake.root().join("_salt");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 16 => return Ok(s.trim().to_string()),
        Ok(_) => {
            return Err(hinted(
                format!("{} is empty or too short to be mcr's salt", path.display()),
                "restore `_salt` from a backup of the lake; without it the contact hashes of earlier snapshots cannot be matched (set `hash_contact_pii = false` only if you accept plain contact data)",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(hinted(
                format!("cannot read the salt {}: {e}", path.display()),
                "run mcr as the user that owns the lake, or give this user read access to `_salt`; it is never replaced, so that contact hashes stay comparable across snapshots",
            ))
        }
    }
    let s: String = (0..2)
        .map(|_| format!("{:016x}", crate::lake::random_u64()))
        .collect();
    if create {
        use std::io::Write as _;
        std::fs::create_dir_all(lake.root())?;
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(s.as_bytes())
            .and_then(|_| f.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(s)
}

/// Per-table state across its files: key dedupe and writers.
#[derive(Default)]
struct TableState {
    /// Keys seen so far (8 bytes per row: where a key was first seen is found by a second
    /// pass over the file, only when it has duplicates).
    seen: KeySet,
    /// Row-keyed tables: per content hash, how many identical rows earlier files had and
    /// this file has so far (their keys are `{hash}-1` … `{hash}-n`).
    row_counts: RowCounts,
    writer: Option<ParquetWriter>,
    rejects: rejects::RejectSink,
    rows: u64,
    files: Vec<SourceFile>,
    currencies: HashSet<String>,
    /// Row ranges (first row, rows) of the part holding percentages to divide by 100.
    rescale: Vec<(u64, u64)>,
}

/// Ingest sources into the lake (or only validate them with `dry_run`).
pub fn ingest(
    lake: &Lake,
    sources: &[PathBuf],
    opts: &IngestOptions,
) -> anyhow::Result<IngestReport> {
    let mut diags = Vec::new();
    let (items, files) = discover(sources, opts.profile, &mut diags)?;
    let view = lake.view()?;
    let (lookups, lookup_only) = prepare_lookups(opts.profile, &items, &files, &view, &mut diags)?;
    let manifest = view.manifest().clone();

    // Same files, same profile, same options: nothing to do.
    let same = same_files(&manifest, &opts.source, &items, &lookup_only);
    let reingest_because = match &same {
        None => vec![],
        Some(_) if opts.force => vec!["--force".to_string()],
        Some(snaps) => {
            let mut why = Vec::new();
            for snap in snaps.iter() {
                if snap.profile != opts.profile_label {
                    why.push(format!("profile {} → {}", snap.profile, opts.profile_label));
                }
                why.extend(fingerprint::changes(&snap.inputs, &opts.inputs));
            }
            why.sort();
            why.dedup();
            why
        }
    };
    if !opts.dry_run && same.is_some() && reingest_because.is_empty() {
        return Ok(IngestReport {
            snapshot: manifest
                .snapshots
                .iter()
                .rev()
                .find(|s| s.source == opts.source)
                .map(|s| s.id.clone()),
            noop: true,
            reingest_because,
            dry_run: false,
            profile: opts.profile_label.clone(),
            files: vec![],
            skipped: vec![],
            diagnostics: diags,
        });
    }
    let salt = if opts.hash_pii {
        Some(salt(lake, !opts.dry_run)?)
    } else {
        None
    };
    let tx = if opts.dry_run {
        None
    } else {
        Some(Transaction::begin(lake.root(), &manifest)?)
    };
    let result = run_items(
        &view,
        &items,
        (lookups, &lookup_only),
        opts,
        salt,
        tx.as_ref(),
        &mut diags,
    );
    let (files, tables, skipped) = match result {
        Ok(v) => v,
        Err(e) => {
            if let Some(tx) = tx {
                tx.rollback();
            }
            return Err(e);
        }
    };
    let snapshot = match tx {
        Some(tx) => {
            let id = tx.id().to_string();
            let meta = crate::lake::transaction::SnapshotMeta {
                profile: opts.profile_label.clone(),
                source: opts.source.clone(),
                inputs: opts.inputs.clone(),
                precedence: opts.precedence.clone(),
                skipped: skipped.clone(),
            };
            tx.commit(manifest, meta, tables)?;
            Some(id)
        }
        None => None,
    };
    Ok(IngestReport {
        snapshot,
        noop: false,
        reingest_because,
        dry_run: opts.dry_run,
        profile: opts.profile_label.clone(),
        files,
        skipped,
        diagnostics: diags,
    })
}

/// The snapshots of `source` holding the current view of every table these files feed, when
/// each table's current files have exactly these content hashes; `None` when any file is new
/// or changed.
fn same_files<'m>(
    manifest: &'m crate::lake::Manifest,
    source: &str,
    items: &[Item],
    lookup_only: &[LookupOnly],
) -> Option<Vec<&'m crate::lake::manifest::Snapshot>> {
    let mut by_table: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for i in items {
        by_table.entry(i.table.name()).or_default().push(&i.hash);
    }
    for o in lookup_only {
        for t in &o.tables {
            by_table.entry(t.name()).or_default().push(&o.hash);
        }
    }
    if by_table.is_empty() {
        return None;
    }
    let mut snaps: Vec<&crate::lake::manifest::Snapshot> = Vec::new();
    for (t, hashes) in &by_table {
        let (snap, ts) = manifest.current_in(source, t)?;
        let mut a: Vec<&str> = ts.files.iter().map(|f| f.hash.as_str()).collect();
        let mut b = hashes.clone();
        a.sort();
        b.sort();
        a.dedup();
        b.dedup();
        if a != b {
            return None;
        }
        if !snaps.iter().any(|s| s.id == snap.id) {
            snaps.push(snap);
        }
    }
    Some(snaps)
}

type Outcome = (
    Vec<FileReport>,
    BTreeMap<String, TableSnapshot>,
    Vec<crate::lake::manifest::SkippedFile>,
);

/// The metrics a table feeds, named in the warning when its export is skipped.
pub fn metrics_needing(table: Table) -> &'static [&'static str] {
    match table {
        Table::Accounts => &["every metric"],
        Table::Contacts => &[
            "KRI and decision-chain status",
            "GRI",
            "key-person risk (relationship holders, bus factor)",
        ],
        Table::Opportunities => &[
            "pipeline_weighted",
            "win rates",
            "value_score's pipeline input",
        ],
        Table::Revenue => &[
            "revenue_12m, growth and Pareto/ABC",
            "tiers",
            "concentration (HHI, Gini, top-N)",
            "RFM",
        ],
        Table::Activities => &[
            "GRI (active contacts)",
            "ORI visits and meetings",
            "multi-headed contacts",
            "iron triangle",
        ],
        Table::Employees => &[
            "iron triangle (roles)",
            "multi-headed contacts by team",
            "employee names in key-person risk",
        ],
        Table::Agreements => &["ORI agreements"],
        Table::Surveys => &["ORI survey points"],
        Table::FxRates => &["amounts in other currencies (their rows are refused)"],
        Table::DealContacts => {
            &["per-deal decision chains (deals fall back to their account's contacts)"]
        }
    }
}

/// An optional table that cannot be mapped: skipped, said (MCR012), recorded.
fn skip_optional(
    item: &Item,
    why: &validate::PlanError,
    diags: &mut Vec<Diagnostic>,
) -> crate::lake::manifest::SkippedFile {
    let label = item_label(item);
    let unavailable: Vec<String> = metrics_needing(item.table)
        .iter()
        .map(|m| m.to_string())
        .collect();
    diags.push(
        Diagnostic::warning(
            Code::Mcr012,
            format!(
                "{label}: skipped, the optional table {} cannot be mapped: {why}; unavailable without it: {}",
                item.table,
                unavailable.join(", ")
            ),
        )
        .with_hint(format!(
            "map the column in the profile ([[table]] name = \"{}\" / columns, key or compute), or use --strict to stop on it",
            item.table
        )),
    );
    crate::lake::manifest::SkippedFile {
        path: label,
        table: item.table.name().to_string(),
        reason: why.to_string(),
        unavailable,
    }
}

/// The accounts derived from facts (no accounts file): written as the accounts table, with
/// a report line and MCR025.
fn add_derived_accounts(
    d: derived::DerivedAccounts,
    states: &mut BTreeMap<Table, TableState>,
    tx: Option<&Transaction>,
    reports: &mut Vec<FileReport>,
    diags: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let df = d.frame()?;
    let schema = Table::Accounts.schema();
    let mut writer = None;
    write_frame(&mut writer, tx, Table::Accounts, &schema, &df)?;
    let n = d.len() as u64;
    let label = format!("accounts derived from {}", d.sources.join(", "));
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for st in states.values() {
        for f in &st.files {
            h.update(f.hash.as_bytes());
        }
    }
    diags.push(Diagnostic::info(
        Code::Mcr025,
        format!(
            "{n} accounts derived from the customers of {} (no accounts file)",
            d.sources.join(", ")
        ),
    ));
    reports.insert(
        0,
        FileReport {
            path: label.clone(),
            sheet: None,
            table: "accounts".into(),
            encoding: "derived".into(),
            rows_read: n,
            accepted: n,
            rejected: 0,
            orphans: 0,
            excluded: 0,
            columns: validate::ColumnReport::default(),
            reject_samples: vec![],
            reject_groups: vec![],
        },
    );
    states.insert(
        Table::Accounts,
        TableState {
            writer,
            rows: n,
            files: vec![SourceFile {
                path: label,
                size: 0,
                hash: format!("{:032x}", h.digest128()),
                encoding: "derived".into(),
                rows_read: n,
                accepted: n,
                rejected: 0,
                orphans: 0,
                excluded: 0,
            }],
            ..TableState::default()
        },
    );
    Ok(())
}

/// The reporting currency this ingest's amounts imply (the setting when there is one), from
/// the currencies of its opportunities and revenue and the fx rates of the ingest and the lake.
fn reporting_currency(
    states: &BTreeMap<Table, TableState>,
    view: &LakeView,
    opts: &IngestOptions,
) -> anyhow::Result<currency::Reporting> {
    let amounts: BTreeSet<String> = states
        .iter()
        .filter(|(t, _)| matches!(t, Table::Opportunities | Table::Revenue))
        .flat_map(|(_, st)| st.currencies.iter().cloned())
        .collect();
    let mut fx: BTreeSet<String> = states
        .get(&Table::FxRates)
        .map(|st| st.currencies.clone().into_iter().collect())
        .unwrap_or_default();
    // Rates already in the lake count only when they could matter (one currency, not set).
    if opts.reporting_currency.is_none() && amounts.len() == 1 {
        if let Some(lf) = view.scan(Table::FxRates)? {
            fx.extend(currency::distinct(&lf)?);
        }
    }
    Ok(currency::reporting(
        opts.reporting_currency.as_deref(),
        &amounts,
        &fx,
    ))
}

/// Mixed currencies without rates: an error, never a silent sum.
fn check_currencies(
    states: &BTreeMap<Table, TableState>,
    has_fx: bool,
    reporting: &currency::Reporting,
) -> anyhow::Result<()> {
    let reporting_currency = reporting.code.as_str();
    for (t, st) in states {
        let foreign: Vec<&String> = st
            .currencies
            .iter()
            .filter(|c| **c != reporting_currency)
            .collect();
        if !foreign.is_empty() && !has_fx {
            let mut all: Vec<&String> = st.currencies.iter().collect();
            all.sort();
            let why = match reporting.basis {
                currency::Basis::Configured => "",
                _ => " (the default: `reporting_currency` is not set and the amounts are in several currencies)",
            };
            return Err(hinted(
                format!(
                    "{t} ({}) has amounts in {} but the reporting currency is {}{why} and there is no fx_rates table",
                    st.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", "),
                    all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    reporting_currency
                ),
                "add fx_rates.csv (currency, rate_to_reporting, valid_from) to the export folder, or set `reporting_currency` in mcr.toml",
            ));
        }
    }
    Ok(())
}

/// Tell which currency the reports will use when it comes from the data (MCR007) or is
/// assumed (MCR008); nothing when it is set or the ingest has no amounts.
fn currency_diagnostic(
    states: &BTreeMap<Table, TableState>,
    reporting: &currency::Reporting,
    diags: &mut Vec<Diagnostic>,
) {
    let tables: Vec<&str> = states
        .keys()
        .filter(|t| matches!(t, Table::Opportunities | Table::Revenue))
        .map(|t| t.name())
        .collect();
    if tables.is_empty() {
        return;
    }
    let code = &reporting.code;
    match reporting.basis {
        currency::Basis::Data => diags.push(
            Diagnostic::info(
                Code::Mcr007,
                format!(
                    "every amount ({}) is in {code} and `reporting_currency` is not set: the reports use {code}",
                    tables.join(", ")
                ),
            )
            .with_hint(format!(
                "to report in another currency, set `reporting_currency` in mcr.toml and add fx_rates.csv with a rate for {code}"
            )),
        ),
        currency::Basis::Assumed => diags.push(
            Diagnostic::info(
                Code::Mcr008,
                format!(
                    "no amount ({}) states its currency and `reporting_currency` is not set: amounts are assumed to be in {code}, and the reports say so",
                    tables.join(", ")
                ),
            )
            .with_hint(
                "map the export's currency column onto `currency` in the profile, or set `reporting_currency` in mcr.toml",
            ),
        ),
        currency::Basis::Configured | currency::Basis::Default => {}
    }
}

fn run_items(
    view: &LakeView,
    items: &[Item],
    (lookups, lookup_only): (Option<std::sync::Arc<resolve::Lookups>>, &[LookupOnly]),
    opts: &IngestOptions,
    salt: Option<String>,
    tx: Option<&Transaction>,
    diags: &mut Vec<Diagnostic>,
) -> anyhow::Result<Outcome> {
    // Account keys for orphan checks: from this ingest's accounts, else the lake's. With no
    // accounts file and a mapping that derives them, the accounts are the facts' customers.
    let ingesting_accounts = items.iter().any(|i| i.table == Table::Accounts);
    let derive_accounts = !ingesting_accounts
        && items
            .iter()
            .any(|i| opts.profile.tables[i.mapping].derive_accounts.is_some());
    let mut accounts = AccountSet {
        derived: derive_accounts.then(derived::DerivedAccounts::default),
        keys: if ingesting_accounts {
            Some(KeySet::default())
        } else if derive_accounts {
            None
        } else {
            lake_account_keys(view)?
        },
    };
    let ctx = RunCtx {
        opts,
        lookups,
        salt,
        tx,
    };
    let mut skipped = Vec::new();
    let has_fx = items.iter().any(|i| i.table == Table::FxRates)
        || !view.manifest().current_all("fx_rates").is_empty();
    let mut reports = Vec::new();
    let mut states: BTreeMap<Table, TableState> = BTreeMap::new();
    for item in items {
        let state = states.entry(item.table).or_default();
        match ingest_file(&ctx, item, state, &mut accounts, diags)? {
            Ok(r) => reports.push(r),
            Err(why) => {
                skipped.push(skip_optional(item, &why, diags));
                if states.get(&item.table).is_some_and(|s| s.files.is_empty()) {
                    states.remove(&item.table);
                }
            }
        }
    }
    if let Some(d) = accounts.derived.filter(|d| !d.is_empty()) {
        add_derived_accounts(d, &mut states, tx, &mut reports, diags)?;
    }
    let reporting = reporting_currency(&states, view, opts)?;
    check_currencies(&states, has_fx, &reporting)?;
    currency_diagnostic(&states, &reporting, diags);
    for o in lookup_only {
        for t in &o.tables {
            if let Some(st) = states.get_mut(t) {
                st.files.push(SourceFile {
                    path: o.label.clone(),
                    size: o.size,
                    hash: o.hash.clone(),
                    encoding: "lookup".into(),
                    rows_read: 0,
                    accepted: 0,
                    rejected: 0,
                    orphans: 0,
                    excluded: 0,
                });
            }
        }
    }
    let tables = finish_tables(states, tx)?;
    Ok((reports, tables, skipped))
}

/// Close each table's part (an empty table when every row was rejected), rescale
/// percentage probabilities, write the rejects: the tables of the snapshot.
fn finish_tables(
    states: BTreeMap<Table, TableState>,
    tx: Option<&Transaction>,
) -> anyhow::Result<BTreeMap<String, TableSnapshot>> {
    let mut tables = BTreeMap::new();
    for (t, mut st) in states {
        let name = t.name().to_string();
        match (st.writer.take(), tx) {
            (Some(w), _) => {
                anyhow::Context::with_context(w.finish(), || {
                    format!("cannot finish the {name} snapshot")
                })?;
                if let (false, Some(tx)) = (st.rescale.is_empty(), tx) {
                    probability::rescale(&tx.part_path(&name)?, &st.rescale)?;
                }
            }
            // Every row rejected (or a header-only file): the snapshot is an empty table, so
            // that the manifest never lists a part file that does not exist.
            (None, Some(tx)) => {
                let mut empty = DataFrame::empty_with_schema(&t.schema());
                crate::lake::write_parquet(&mut empty, &tx.part_path(&name)?)?;
            }
            (None, None) => {}
        }
        let rejects = match (st.rejects.rows(), tx) {
            (0, _) => None,
            (_, Some(tx)) => Some(tx.final_rejects(&name)),
            (_, None) => Some(String::new()),
        };
        std::mem::take(&mut st.rejects).finish(tx, t)?;
        let parts = match tx {
            Some(tx) => vec![tx.final_part(&name)],
            None => vec![],
        };
        tables.insert(
            name,
            TableSnapshot {
                parts,
                rows: st.rows,
                files: st.files,
                rejects,
            },
        );
    }
    Ok(tables)
}

/// The account_id set of the lake's current accounts (hashed), if any.
fn lake_account_keys(view: &LakeView) -> anyhow::Result<Option<KeySet>> {
    let Some(lf) = view.scan(Table::Accounts)? else {
        return Ok(None);
    };
    let df = lf.select([col("account_id")]).collect()?;
    let ca = df.column("account_id")?.str()?.clone();
    Ok(Some(ca.iter().flatten().map(key_hash).collect()))
}

/// What every file of one ingest shares.
struct RunCtx<'a> {
    opts: &'a IngestOptions<'a>,
    lookups: Option<std::sync::Arc<resolve::Lookups>>,
    salt: Option<String>,
    /// `None` on a dry run.
    tx: Option<&'a Transaction>,
}

/// The accounts known so far: their keys for orphan checks (this ingest's accounts, else
/// the lake's), and the accounts derived from facts when there is no accounts file.
struct AccountSet {
    keys: Option<KeySet>,
    derived: Option<derived::DerivedAccounts>,
}

/// A file's or sheet's label in messages and the manifest (`path` or `path[sheet]`).
fn item_label(item: &Item) -> String {
    match &item.sheet {
        Some(s) => format!("{}[{s}]", item.path.display()),
        None => item.path.display().to_string(),
    }
}

/// Ingest one file (or sheet) into its table: plan its columns, stream it through the four
/// stages, then report. `Ok(Err(_))`: an optional table that cannot be mapped (skipped by
/// the caller). Long: the four stages share the file's counters and sets through one
/// `thread::scope`; the steps before and after it are separate functions.
fn ingest_file(
    ctx: &RunCtx,
    item: &Item,
    state: &mut TableState,
    accounts: &mut AccountSet,
    diags: &mut Vec<Diagnostic>,
) -> anyhow::Result<Result<FileReport, validate::PlanError>> {
    let (opts, tx) = (ctx.opts, ctx.tx);
    let mut mapping = &opts.profile.tables[item.mapping];
    let (account_keys, derived) = (&mut accounts.keys, &mut accounts.derived);
    let label = item_label(item);
    let raw = open_item(item, opts)?;
    let keyed;
    if let Some(m) = key_on_data(item, opts, mapping, &raw.headers)? {
        keyed = m;
        mapping = &keyed;
    }
    let plan = TablePlan::with_lookups(
        item.table,
        &raw.headers,
        mapping,
        opts.profile,
        ctx.salt.clone(),
        raw.delimiter,
        ctx.lookups.clone(),
    );
    let plan = match plan {
        Err(e) if item.table != Table::Accounts && !opts.strict => return Ok(Err(e)),
        p => p,
    };
    let plan = plan.map_err(|e| {
        hinted(
            format!("{label} (line 1, the header): {e}"),
            format!(
                "rename the column in the file, or map it in the profile: [[table]] name = \"{}\" / columns = {{ <canonical> = \"<your header>\" }}",
                item.table
            ),
        )
    })?;
    let plan = plan.strict_labels(opts.strict);
    if !plan.columns.ignored.is_empty() {
        diags.push(Diagnostic::info(
            Code::Mcr001,
            format!(
                "{label}: columns not used by `{}`: {}",
                item.table,
                plan.columns.ignored.join(", ")
            ),
        ));
    }
    let encoding = raw.encoding.clone();
    let position = raw.position.clone();
    let bar = progress_bar(opts.progress, raw.size, &label);
    let key_col = item.table.key().and_then(|k| plan.index_of(k));
    let fk_col = if item.table.has_account_fk() {
        plan.index_of("account_id")
    } else {
        None
    };
    let cur_col = plan.index_of("currency");
    let is_accounts = item.table == Table::Accounts;
    let row_key = plan.row_key_index();
    let attr_cols = match (&mapping.derive_accounts, derived.is_some()) {
        (Some(spec), true) => Some(derived::attr_columns(spec, &raw.headers)),
        _ => None,
    };
    if let (Some(d), Some(_)) = (derived.as_mut(), &attr_cols) {
        d.sources.push(label.clone());
    }
    let mut excluded = 0u64;
    // Opportunity probabilities: the largest accepted value decides fractions or percentages
    // (see [`probability`]); the rows stream as they are, rescaled afterwards if needed.
    let prob_col = (item.table == Table::Opportunities)
        .then(|| plan.index_of("probability"))
        .flatten();
    let mut max_prob: Option<f64> = None;

    let (mut rows_read, mut accepted, mut orphans) = (0u64, 0u64, 0u64);
    // Rejects stream to the table's rejects file through the rejects thread; the first few
    // are kept for the summary, and duplicate keys are held until the second pass below
    // tells where each was first seen.
    let mut rejected = 0u64;
    let mut samples: Vec<Reject> = Vec::new();
    let mut groups: Vec<RejectGroup> = Vec::new();
    let mut held: Vec<Reject> = Vec::new();
    let mut duplicates = KeySet::default();
    let mut records = raw.records;
    let mut read_error: Option<read::ReadError> = None;

    // Five stages run at once: the reader thread reads records into batches, this thread
    // parses them (two halves on the rayon pool), the keys thread checks keys, the writer
    // thread encodes the table's Parquet and the rejects thread its rejects.
    let mut writer = state.writer.take();
    let seen = &mut state.seen;
    let row_counts = &mut state.row_counts;
    let currencies = &mut state.currencies;
    let schema = plan.schema();
    let file_size = raw.size;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx_chunks, rx_chunks) = sync_channel::<Result<RecordBatch, read::ReadError>>(2);
        // Parsed chunks come back to the reader, which reads into their buffers again.
        let (tx_spent, rx_spent) = sync_channel::<RecordBatch>(3);
        scope.spawn(move || loop {
            let mut chunk = rx_spent.try_recv().unwrap_or_default();
            let read = records.read_batch(&mut chunk, CHUNK);
            let n = chunk.len();
            // The records before a read error are sent first.
            if n > 0 && tx_chunks.send(Ok(chunk)).is_err() {
                return;
            }
            match read {
                Err(e) => {
                    let _ = tx_chunks.send(Err(e));
                    return;
                }
                Ok(()) if n < CHUNK => return,
                Ok(()) => {}
            }
        });
        let (tx_frames, rx_frames) = sync_channel::<DataFrame>(2);
        let writer_slot = &mut writer;
        let schema = &schema;
        let write_thread = scope.spawn(move || -> anyhow::Result<()> {
            let mut pending: Option<DataFrame> = None;
            for df in rx_frames {
                let p = match pending.as_mut() {
                    Some(p) => p.vstack_mut_owned(df)?,
                    None => pending.insert(df),
                };
                if p.height() >= ROW_GROUP {
                    write_frame(writer_slot, tx, item.table, schema, p.rechunk_mut())?;
                    pending = None;
                }
            }
            if let Some(mut p) = pending {
                write_frame(writer_slot, tx, item.table, schema, p.rechunk_mut())?;
            }
            Ok(())
        });
        // Rejects go to their own file on their own thread (so that neither writer waits
        // for the other's compression at the end of the file).
        let (tx_rejects, rx_rejects) = sync_channel::<Vec<Reject>>(4);
        let sink = &mut state.rejects;
        let label_r = label.as_str();
        let rejects_thread = scope.spawn(move || -> anyhow::Result<()> {
            for rej in rx_rejects {
                sink.push(tx, item.table, label_r, rej)?;
            }
            Ok(())
        });
        // Keys: duplicates (across this table's files) and orphans, in file order, on their
        // own thread so that parsing the next chunk overlaps with them.
        let (tx_parsed, rx_parsed) = sync_channel::<(RecordBatch, validate::Parsed)>(1);
        let (accepted, orphans, rejected, samples, held, max_prob, duplicates) = (
            &mut accepted,
            &mut orphans,
            &mut rejected,
            (&mut samples, &mut groups),
            &mut held,
            &mut max_prob,
            &mut duplicates,
        );
        let position_keys = position.clone();
        let plan_ref = &plan;
        let keys_thread = scope.spawn(move || -> anyhow::Result<()> {
            let mut first = true;
            for (chunk, parsed) in rx_parsed {
                let validate::Parsed {
                    mut df,
                    accepted: acc,
                    rejects: mut rej,
                    row_hashes,
                    ..
                } = parsed;
                if std::mem::take(&mut first) && key_col.is_some() {
                    // Size the key map once for the whole file, from the first chunk's density.
                    let consumed = position_keys
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .max(1);
                    let estimate =
                        (file_size as f64 / consumed as f64 * chunk.len() as f64).min(1e9) as usize;
                    // Row-keyed tables count rows instead of keeping a key set.
                    if row_key.is_some() {
                        row_counts.reserve(estimate);
                    } else {
                        seen.reserve(estimate.saturating_sub(seen.len()));
                    }
                }
                let mut row_dup = None;
                if let Some(rk) = row_key {
                    let (keys, dup) = row_keys(&row_hashes, row_counts, &df.columns()[rk]);
                    df.replace_column(rk, keys)?;
                    if df.should_rechunk() {
                        // Only when a half of the chunk was empty: the layouts then differ,
                        // and the Parquet writer needs aligned batches.
                        df.align_chunks_par();
                    }
                    row_dup = Some(dup);
                }
                let mut mask: Option<Vec<bool>> = None;
                if key_col.is_some() || fk_col.is_some() {
                    let keys = key_col
                        .map(|i| df.columns()[i].str().cloned())
                        .transpose()?;
                    let fks = fk_col.map(|i| df.columns()[i].str().cloned()).transpose()?;
                    let dup = match (row_dup, &keys) {
                        (Some(dup), _) => dup,
                        (None, Some(kc)) => insert_keys(seen, kc, duplicates, |h| {
                            if let (true, Some(set)) = (is_accounts, account_keys.as_mut()) {
                                set.insert(h);
                            }
                        }),
                        (None, None) => vec![false; df.height()],
                    };
                    let mut keys = keys.as_ref().map(|k| k.iter());
                    let mut fks = fks.as_ref().map(|f| f.iter());
                    let mut keep = vec![true; df.height()];
                    let mut last: Option<(&str, bool, bool)> = None;
                    for (row, &rec_idx) in acc.iter().enumerate() {
                        let rec = chunk.get(rec_idx);
                        let key = keys.as_mut().and_then(|k| k.next()).flatten();
                        let fk = fks.as_mut().and_then(|f| f.next()).flatten();
                        if let (Some(k), true) = (key, dup[row]) {
                            let mut r = Reject::duplicate(
                                rec.line,
                                item.table.key().unwrap_or_default(),
                                k,
                                plan_ref.raw_text(&rec),
                            );
                            if row_key.is_some() {
                                // Row keys are unique within a file.
                                r.found_first("in an earlier file");
                            }
                            rej.push(r);
                            keep[row] = false;
                            continue;
                        }
                        let Some(fk) = fk else { continue };
                        // Lines of one invoice or deal follow each other: the previous
                        // row's account needs no second lookup.
                        let known = match last {
                            Some((l, known, true)) if l == fk => known,
                            _ => {
                                let complete = match (derived.as_mut(), attr_cols.as_ref()) {
                                    (Some(d), Some(cols)) => {
                                        d.add(fk, cols, |i| plan_ref.field(&rec, i).ok().flatten())
                                    }
                                    _ => true,
                                };
                                let known = account_keys
                                    .as_ref()
                                    .is_none_or(|set| set.contains(&key_hash(fk)));
                                last = Some((fk, known, complete));
                                known
                            }
                        };
                        if !known && opts.strict {
                            rej.push(Reject {
                                line: rec.line,
                                column: "account_id".into(),
                                reason: format!("account_id `{fk}` is not in accounts (--strict)"),
                                raw: plan_ref.raw_text(&rec),
                                kind: validate::RejectKind::Invalid,
                            });
                            keep[row] = false;
                        } else if !known {
                            *orphans += 1;
                        }
                    }
                    if keep.iter().any(|k| !k) {
                        mask = Some(keep);
                    }
                }
                let _ = tx_spent.try_send(chunk);
                if let Some(mask) = mask {
                    df = df.filter(&BooleanChunked::from_slice("keep".into(), &mask))?;
                }
                if let Some(ci) = cur_col {
                    let cur = df.columns()[ci].str()?.clone();
                    for c in cur.iter().flatten() {
                        if !currencies.contains(c) {
                            currencies.insert(c.to_string());
                        }
                    }
                }
                rej.sort_by_key(|r| r.line);
                *accepted += df.height() as u64;
                *rejected += rej.len() as u64;
                samples
                    .0
                    .extend(rej.iter().take(5 - samples.0.len()).cloned());
                for r in &rej {
                    tally(samples.1, r);
                }
                if row_key.is_none() && rej.iter().any(|r| r.is_duplicate()) {
                    let (dup, rest): (Vec<Reject>, Vec<Reject>) =
                        rej.into_iter().partition(Reject::is_duplicate);
                    held.extend(dup);
                    rej = rest;
                }
                if let Some(m) = prob_col.and_then(|i| df.columns()[i].f64().ok()?.max()) {
                    *max_prob = Some(max_prob.map_or(m, |x: f64| x.max(m)));
                }
                if !rej.is_empty() && tx_rejects.send(rej).is_err() {
                    break; // the rejects writer stopped: its error is reported below
                }
                if df.height() > 0 && tx_frames.send(df).is_err() {
                    // The writer stopped: its error is reported by the caller.
                    break;
                }
            }
            Ok(())
        });
        for msg in rx_chunks {
            let chunk = match msg {
                Ok(c) => c,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            };
            rows_read += chunk.len() as u64;
            let parsed = parse_parallel(&plan, chunk.all());
            excluded += parsed.excluded;
            if tx_parsed.send((chunk, parsed)).is_err() {
                break; // the keys thread stopped: its error is reported below
            }
            bar.set_position(position.load(std::sync::atomic::Ordering::Relaxed));
        }
        drop(tx_parsed);
        let keys = keys_thread
            .join()
            .map_err(|_| anyhow::anyhow!("the key-checking thread panicked"))?;
        let written = write_thread
            .join()
            .map_err(|_| anyhow::anyhow!("the Parquet writer thread panicked"))?;
        let rejects_written = rejects_thread
            .join()
            .map_err(|_| anyhow::anyhow!("the rejects writer thread panicked"))?;
        keys?;
        written?;
        rejects_written
    })?;
    state.writer = writer;
    end_row_counts(&mut state.row_counts);
    bar.finish_and_clear();
    if let Some(e) = read_error {
        return Err(e.into_hinted());
    }
    if max_prob.is_some_and(|m| m > 1.0) {
        // Probabilities: a file whose values are all ≤ 1 holds fractions, else percentages.
        state.rescale.push((state.rows, accepted));
        diags.push(Diagnostic::info(
            Code::Mcr005,
            format!("{label}: probabilities read as percentages"),
        ));
    }
    // Lookup outcomes of this file, before the duplicate pass below parses it again.
    let derive_stats = plan.derive_stats();
    if let (false, Some(key_col)) = (duplicates.is_empty(), key_col) {
        let first = first_lines(item, opts, &plan, key_col, &duplicates)?;
        for r in held.iter_mut().chain(samples.iter_mut()) {
            let validate::RejectKind::DuplicateKey(k) = &r.kind else {
                continue;
            };
            let where_ = match first.get(&key_hash(k)) {
                Some(&line) if line < r.line => format!("on line {line}"),
                _ => "in an earlier file".to_string(),
            };
            r.found_first(&where_);
        }
    }
    state.rejects.push(ctx.tx, item.table, &label, held)?;
    lookup_diagnostics(&label, item.table, derive_stats, diags);
    diags.extend(plan.label_diagnostics(&label));
    if rows_read == 0 {
        diags.push(Diagnostic::warning(
            Code::Mcr002,
            format!("{label}: header only, no rows"),
        ));
    }
    if orphans > 0 {
        diags.push(
            Diagnostic::warning(Code::Mcr003, format!("{label}: {orphans} rows refer to an account_id not in accounts (kept, counted as orphans)"))
                .with_hint("ingest the matching accounts, or use --strict to reject them"),
        );
    }
    if rejected > 0 {
        diags.push(
            Diagnostic::warning(Code::Mcr004, format!("{label}: {rejected} rows rejected"))
                .with_hint("see `_rejects/` in the lake, or the samples above"),
        );
    }
    // Nothing is lost silently: a row that is neither accepted, rejected nor excluded is a
    // bug, and the ingest fails (its transaction rolls back) rather than write a lake that
    // lost it. Checked in the release build users run.
    if rows_read != accepted + rejected + excluded {
        return Err(hinted(
            format!("internal error: {label}: {rows_read} rows read but {accepted} accepted + {rejected} rejected + {excluded} excluded; nothing was written"),
            "this is a bug in mcr, not in the file: please report it with the file's header and a few rows",
        ));
    }
    if excluded > 0 {
        diags.push(Diagnostic::info(
            Code::Mcr006,
            format!(
                "{label}: {excluded} rows excluded by the profile ({})",
                mapping
                    .exclude
                    .iter()
                    .map(|(h, v)| format!("{h} = {}", v.join("/")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    state.rows += accepted;
    state.files.push(SourceFile {
        path: label.clone(),
        size: item.size,
        hash: item.hash.clone(),
        encoding: encoding.clone(),
        rows_read,
        accepted,
        rejected,
        orphans,
        excluded,
    });
    let samples = samples
        .into_iter()
        .map(|r| RejectSample {
            line: r.line,
            column: r.column.clone(),
            reason: r.reason.clone(),
        })
        .collect();
    Ok(Ok(FileReport {
        path: label,
        sheet: item.sheet.clone(),
        table: item.table.name().to_string(),
        encoding,
        rows_read,
        accepted,
        rejected,
        orphans,
        excluded,
        columns: plan.columns.clone(),
        reject_samples: samples,
        reject_groups: {
            groups.sort_by_key(|g| std::cmp::Reverse(g.rows));
            groups
        },
    }))
}

/// A key given as alternatives (`key = [a, b, { row = true }]`), decided on the data: the
/// first whose headers are all in the file and whose values are present and unique on every
/// row, else the last one present. Costs one pass over the file, made only when two
/// alternatives or more are present; `None` when there is nothing to decide.
fn key_on_data(
    item: &Item,
    opts: &IngestOptions,
    mapping: &crate::profiles::Mapping,
    headers: &[String],
) -> anyhow::Result<Option<crate::profiles::Mapping>> {
    use crate::profiles::{Cols, Compute, KeySpec};
    let Some(KeySpec::Many(alts)) = &mapping.key else {
        return Ok(None);
    };
    let present: Vec<(&Compute, Option<crate::profiles::Extract>)> = alts
        .iter()
        .filter_map(|c| match c {
            Compute::Row(_) => Some((c, None)),
            Compute::Column(h) => Cols::One(h.clone()).resolve(headers).map(|e| (c, Some(e))),
            Compute::Concat(k) => Cols::Concat(k.clone())
                .resolve(headers)
                .map(|e| (c, Some(e))),
            Compute::Product(_) => None,
        })
        .collect();
    if present.len() < 2 {
        return Ok(None);
    }
    // Alternatives up to the first row key (always unique) are checked.
    let n = present
        .iter()
        .position(|(_, e)| e.is_none())
        .unwrap_or(present.len());
    let mut seen: Vec<HashSet<u64>> = vec![HashSet::new(); n];
    let mut unique = vec![true; n];
    let nulls = &opts.profile.null_values;
    let mut records = open_item(item, opts)?.records;
    records.for_each_batch(CHUNK, |batch| {
        for rec in batch.iter() {
            let cell = |i: usize| rec.text(i, nulls);
            for k in 0..n {
                let Some(e) = present[k].1.as_ref().filter(|_| unique[k]) else {
                    continue;
                };
                unique[k] = e.get(cell).is_some_and(|v| seen[k].insert(key_hash(&v)));
            }
        }
        Ok(())
    })?;
    let pick = (0..n).find(|&k| unique[k]).unwrap_or(present.len() - 1);
    let mut m = mapping.clone();
    m.key = Some(KeySpec::One(present[pick].0.clone()));
    Ok(Some(m))
}

/// MCR020 / MCR021: rows whose lookups found an ambiguous key or none.
fn lookup_diagnostics(
    label: &str,
    table: Table,
    stats: Vec<validate::DeriveStats>,
    diags: &mut Vec<Diagnostic>,
) {
    for st in stats {
        let outcome = |n: u64, what: &str, samples: &[String]| {
            let col = table.column(&st.column);
            let fate = if col.is_some_and(|c| c.required) {
                "rows rejected"
            } else {
                "left empty"
            };
            format!(
                "{label}: {n} rows with {what} in lookup `{}` for {} ({fate}; e.g. {})",
                st.lookup,
                st.column,
                samples.join(", ")
            )
        };
        if st.ambiguous > 0 {
            diags.push(
                Diagnostic::warning(Code::Mcr020, outcome(
                    st.ambiguous,
                    "a key that is ambiguous",
                    &st.ambiguous_samples,
                ))
                    .with_hint("the key matches several records (two companies with the same name…); make it unique in the CRM or export ids"),
            );
        }
        if st.not_found > 0 {
            diags.push(
                Diagnostic::warning(
                    Code::Mcr021,
                    outcome(st.not_found, "a key not found", &st.not_found_samples),
                )
                .with_hint(
                    "export the records it refers to as well, or check the lookup's key column",
                ),
            );
        }
    }
}

/// Insert a chunk's keys into `seen`; returns, per row, whether its key was there already
/// (those keys are also added to `duplicates`). `on_new` sees each new key.
///
/// Keys go in in bucket order (hashbrown places a hash at `hash & (buckets − 1)`), so the
/// probes of a chunk sweep the table once instead of jumping around it; rows break ties, so
/// the first occurrence of a key is still the one kept.
fn insert_keys(
    seen: &mut KeySet,
    keys: &StringChunked,
    duplicates: &mut KeySet,
    mut on_new: impl FnMut(u64),
) -> Vec<bool> {
    let mut dup = vec![false; keys.len()];
    let mut hs: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .filter_map(|(row, k)| k.map(|k| (key_hash(k), row as u32)))
        .collect();
    let bmask = bucket_mask(seen.capacity());
    hs.sort_unstable_by_key(|&(h, row)| (h & bmask, row));
    for (h, row) in hs {
        if seen.insert(h) {
            on_new(h);
        } else {
            dup[row as usize] = true;
            duplicates.insert(h);
        }
    }
    dup
}

/// The bucket mask of a hashbrown table of this capacity (7/8 load factor, buckets a power
/// of two): a [`key_hash`] goes to bucket `hash & mask`, so probing keys sorted by it sweeps
/// the table once.
fn bucket_mask(capacity: usize) -> u64 {
    (capacity / 7 * 8).max(8).next_power_of_two() as u64 - 1
}

/// Open a file (or sheet) to ingest with the profile's encoding and delimiter.
fn open_item(item: &Item, opts: &IngestOptions) -> anyhow::Result<read::RawTable> {
    read::open(
        &item.path,
        item.sheet.as_deref(),
        &opts.profile.encoding,
        &opts.profile.delimiter,
    )
    .map_err(read::ReadError::into_hinted)
}

/// The first line of each key in `wanted` among a file's accepted rows: a second pass, run
/// only for a file with duplicate keys, so that the common case keeps just a set of hashes.
fn first_lines(
    item: &Item,
    opts: &IngestOptions,
    plan: &TablePlan,
    key_col: usize,
    wanted: &KeySet,
) -> anyhow::Result<HashMap<u64, u64>> {
    let mut records = open_item(item, opts)?.records;
    let mut first = HashMap::new();
    records.for_each_batch(CHUNK, |chunk| {
        let (df, acc, _) = plan.parse_chunk(chunk.all());
        let keys = df.columns()[key_col].str()?;
        for (k, &i) in keys.iter().zip(&acc) {
            let Some(h) = k.map(key_hash).filter(|h| wanted.contains(h)) else {
                continue;
            };
            first.entry(h).or_insert(chunk.get(i).line);
        }
        Ok(())
    })?;
    Ok(first)
}

/// Parse a chunk on two threads (halves) and stitch the results.
fn parse_parallel(plan: &TablePlan, chunk: read::Batch<'_>) -> validate::Parsed {
    if chunk.len() < 4096 {
        return plan.parse_chunk_counted(chunk);
    }
    let mid = chunk.len() / 2;
    let (mut a, b) = rayon::join(
        || plan.parse_chunk_counted(chunk.slice(0..mid)),
        || plan.parse_chunk_counted(chunk.slice(mid..chunk.len())),
    );
    if a.append(b, mid).is_err() {
        return plan.parse_chunk_counted(chunk);
    }
    a
}

/// `{h:016x}-{n}` written into `buf` (`format!` was a tenth of an invoice-line ingest).
fn row_key_text(h: u64, n: u32, buf: &mut [u8; 32]) -> &str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in buf[..16].iter_mut().enumerate() {
        *b = HEX[((h >> (60 - 4 * i)) & 0xf) as usize];
    }
    buf[16] = b'-';
    let mut digits = [0u8; 10];
    let (mut v, mut len) = (n, 0);
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[17 + i] = digits[len - 1 - i];
    }
    // ASCII only: hex digits, `-`, decimal digits.
    std::str::from_utf8(&buf[..17 + len]).unwrap_or_default()
}

/// Per content hash of a row-keyed table: identical rows in the earlier files (the most in
/// any one of them) and in this file so far.
#[derive(Clone, Copy, Default)]
struct RowCount {
    before: u32,
    here: u32,
}

type RowCounts = HashMap<u64, RowCount, nohash_hasher::BuildNoHashHasher<u64>>;

/// After a file: its counts become the earlier files' counts.
fn end_row_counts(counts: &mut RowCounts) {
    for c in counts.values_mut() {
        c.before = c.before.max(c.here);
        c.here = 0;
    }
}

/// Row keys: the content hash + the occurrence number among identical rows of the file, in
/// file order (stable across re-ingests of the file), as `{hash:016x}-{n}`. Returns the key
/// column, laid out in the same chunks as `like` (so that the frame needs no rechunk before
/// the Parquet writer), and per row whether an earlier file had the same key: the n-th copy
/// of a line is a duplicate when an earlier file had n copies or more (each file numbers
/// its copies from 1), which is what a set of the earlier keys would say, with one map
/// probe per row instead of a probe, a key hash and a set insert.
fn row_keys(hashes: &[u64], counts: &mut RowCounts, like: &Column) -> (Column, Vec<bool>) {
    // The map is far larger than the caches: probed in bucket order (as `insert_keys`
    // does), a chunk sweeps it once instead of missing the cache on every row.
    counts.reserve(hashes.len());
    let bmask = bucket_mask(counts.capacity());
    let mut order: Vec<(u64, u32)> = (0..hashes.len() as u32)
        .map(|row| (hashes[row as usize] & bmask, row))
        .collect();
    order.sort_unstable();
    let mut nth = vec![0u32; hashes.len()];
    let mut dup = vec![false; hashes.len()];
    for (_, row) in order {
        let c = counts.entry(hashes[row as usize]).or_default();
        c.here += 1;
        nth[row as usize] = c.here;
        dup[row as usize] = c.here <= c.before;
    }
    let mut keys: Option<StringChunked> = None;
    let mut buf = [0u8; 32];
    let mut rest = hashes;
    let mut nth = nth.into_iter();
    for len in like.as_materialized_series().chunk_lengths() {
        let (part, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        let mut b = StringChunkedBuilder::new(like.name().clone(), part.len());
        for (&h, n) in part.iter().zip(nth.by_ref()) {
            b.append_value(row_key_text(h, n, &mut buf));
        }
        let piece = b.finish();
        match keys.as_mut() {
            // `append_owned` adds the piece's chunk as it is (no copy).
            Some(k) => {
                let _ = k.append_owned(piece);
            }
            None => keys = Some(piece),
        }
    }
    let ca = keys.unwrap_or_else(|| StringChunked::full_null(like.name().clone(), 0));
    (ca.into_series().into_column(), dup)
}

/// Write a frame to the table's part file (opened on first use; nothing on a dry run).
fn write_frame(
    writer: &mut Option<ParquetWriter>,
    tx: Option<&Transaction>,
    table: Table,
    schema: &Schema,
    df: &DataFrame,
) -> anyhow::Result<()> {
    let Some(tx) = tx else {
        return Ok(());
    };
    if df.height() == 0 {
        return Ok(());
    }
    if writer.is_none() {
        let path = tx.part_path(table.name())?;
        let f = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let w = crate::lake::parquet_writer(std::io::BufWriter::with_capacity(1 << 20, f))
            .batched(schema)?;
        *writer = Some(w);
    }
    if let Some(w) = writer.as_mut() {
        anyhow::Context::with_context(w.write_batch(df), || {
            format!("cannot write the {table} snapshot")
        })?;
    }
    Ok(())
}

fn progress_bar(enabled: bool, size: u64, label: &str) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(
        Path::new(label)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_key_text_is_hex_hash_dash_occurrence() {
        let mut buf = [0u8; 32];
        for (h, n) in [
            (0u64, 1u32),
            (0xdead_beef, 12),
            (u64::MAX, u32::MAX),
            (1 << 63, 10),
        ] {
            assert_eq!(super::row_key_text(h, n, &mut buf), format!("{h:016x}-{n}"));
        }
    }

    /// Identical rows are numbered in file order; across files, the n-th copy is a duplicate
    /// when an earlier file had n copies or more (as a set of the earlier keys would say).
    #[test]
    fn row_keys_number_copies_and_find_copies_of_earlier_files() {
        use polars::prelude::*;
        let keys = |hashes: &[u64], counts: &mut super::RowCounts| {
            let like = StringChunked::full_null("k".into(), hashes.len()).into_column();
            let (col, dup) = super::row_keys(hashes, counts, &like);
            let col: Vec<String> = col
                .str()
                .unwrap()
                .iter()
                .map(|k| k.unwrap_or_default().to_string())
                .collect();
            (col, dup)
        };
        let mut counts = super::RowCounts::default();
        let (k, d) = keys(&[7, 9, 7, 7], &mut counts);
        let h7 = format!("{:016x}", 7);
        assert_eq!(k[0], format!("{h7}-1"));
        assert_eq!(k[2], format!("{h7}-2"));
        assert_eq!(k[3], format!("{h7}-3"));
        assert_eq!(d, [false; 4]);
        // The same file's next chunk goes on numbering.
        let (k, d) = keys(&[7], &mut counts);
        assert_eq!((k[0].as_str(), d[0]), (format!("{h7}-4").as_str(), false));
        super::end_row_counts(&mut counts);
        // A second file: its first four 7s were in the first file, its fifth was not.
        let (k, d) = keys(&[7, 7, 7, 7, 7, 9, 9, 3], &mut counts);
        assert_eq!(d, [true, true, true, true, false, true, false, false]);
        assert_eq!(k[4], format!("{h7}-5"));
        super::end_row_counts(&mut counts);
        // A third file is checked against the most copies of any earlier file.
        let (_, d) = keys(&[7, 7, 7, 7, 7, 7, 9, 9, 9], &mut counts);
        assert_eq!(d, [true, true, true, true, true, false, true, true, false]);
    }
}
