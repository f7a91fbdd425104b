//! `mcr profiles init DIR`: draft a profile for an export folder mcr has never seen. (Here in
//! ingest, not in profiles: it reads the exports, and profiles sit below ingest.)
//!
//! Each file's table is recognised by its name and headers; columns are mapped by synonyms
//! (English and Chinese: Salesforce, Dynamics, HubSpot and Chinese-CRM vocabulary). Where a
//! table has no id column, its key comes from what it has (a name, account + name, or a row
//! key), and references by name then use the same value. A required column with no
//! confident match is said plainly, never guessed. The draft is a commented TOML profile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::read;
use crate::contract::Table;
use crate::profiles::labels;
use build::q;

use crate::contract::vocab::norm;

/// Synonyms of each canonical column, per table (normalised by [`norm`] when compared):
/// data, in `contract/vocabulary.toml`.
fn synonyms(table: Table, column: &str) -> &'static [String] {
    crate::contract::vocab::synonyms(table, column)
}

/// Words in file names (normalised) that say which table a file holds, strongest first:
/// data, in `contract/vocabulary.toml`.
fn file_words(table: Table) -> &'static [String] {
    crate::contract::vocab::file_words(table)
}

mod build;
mod infer;
mod prove;

pub use build::{FileDraft, Plan};
pub use prove::Proof;

/// Auxiliary header lists of the drafting, by kind: `account_name` (a reference to the
/// account by name), `quantity`, `unit_price` (also `contact_name`, `parent_account_name`):
/// data, in `contract/vocabulary.toml`.
pub(crate) fn header_words(kind: &str) -> &'static [String] {
    crate::contract::vocab::header_words(kind)
}

/// The first header (as written, trimmed) matching one of the synonyms, in synonym order.
pub(crate) fn find<S: AsRef<str>>(headers: &[String], syns: &[S]) -> Option<String> {
    let hs: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    syns.iter()
        .find_map(|s| hs.iter().position(|h| *h == norm(s.as_ref())))
        .map(|i| headers[i].trim().trim_start_matches('\u{feff}').to_string())
}

/// A file (or sheet) name as a pattern that matches only itself (`[`, `*`, `?` escaped).
pub(crate) fn pattern(file: &str) -> String {
    globset::escape(file)
}

/// What `profiles init` drafted and proved: the profile text, and per file what it feeds and
/// what the draft kept of it (`--json` prints this).
#[derive(Debug, serde::Serialize)]
pub struct Drafted {
    /// The profile (TOML, commented).
    #[serde(skip)]
    pub toml: String,
    pub files: Vec<Coverage>,
    /// What init could not decide, with the edit that fixes it.
    pub notes: Vec<String>,
    /// The reporting currency the data states (one currency), if any.
    pub currency: Option<String>,
    /// Set when the draft could not be run over the data (it is written anyway).
    pub error: Option<String>,
}

/// One file in the coverage table.
#[derive(Debug, serde::Serialize)]
pub struct Coverage {
    pub file: String,
    pub sheet: Option<String>,
    pub table: Option<String>,
    /// Why the file is not used.
    pub unused: Option<String>,
    pub proof: Option<Proof>,
    pub unmapped_required: Vec<&'static str>,
    pub notes: Vec<String>,
    /// Labels not recognised: (column, labels).
    pub unknown_labels: Vec<(String, Vec<String>)>,
    /// Labels recognised and mapped by the draft: (header, column, [(label, value)]).
    pub mapped_labels: Vec<(String, String, Vec<(String, String)>)>,
    /// Stage labels read as open: (header, labels).
    pub open_stages: Vec<(String, Vec<String>)>,
}

/// The export files of a folder, sorted, with each sheet of a workbook of several sheets.
fn export_files(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Option<String>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            crate::error::hinted(
                format!("cannot list {}: {e}", dir.display()),
                "give the folder that holds the export files",
            )
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && read::FileKind::of(p).is_some())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        if read::FileKind::of(&f) == Some(read::FileKind::Excel) {
            let sheets = read::excel_sheets(&f).unwrap_or_default();
            if sheets.len() > 1 {
                out.extend(sheets.into_iter().map(|s| (f.clone(), Some(s))));
                continue;
            }
        }
        out.push((f, None));
    }
    Ok(out)
}

/// The one currency of the export's amounts, when its currency columns hold exactly one.
fn single_currency(plan: &Plan, samples: &[infer::Sample]) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for f in &plan.files {
        let Some(h) = f.header("currency") else {
            continue;
        };
        let s = &samples[f.sample];
        let Some(i) = s.index(h) else { continue };
        for v in s.values(i) {
            let code = crate::contract::currency::iso_code(v);
            if !found.contains(&code) {
                found.push(code);
            }
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// Draft a profile for the export files in `dir`, prove it on their data and improve it.
/// `configured`: the `reporting_currency` setting, which wins over the data's currency.
pub fn draft(dir: &Path, configured: Option<&str>) -> anyhow::Result<Drafted> {
    let mut samples = Vec::new();
    for (path, sheet) in export_files(dir)? {
        samples.push(infer::Sample::read(&path, sheet.as_deref())?);
    }
    let plan = build::plan(&samples);
    let currency = single_currency(&plan, &samples);
    let cur = configured
        .map(str::to_string)
        .or_else(|| currency.clone())
        .unwrap_or_else(|| crate::contract::currency::DEFAULT_REPORTING_CURRENCY.to_string());
    let (plan, proofs, error) = prove::improve(plan, &samples, |p| write_toml(dir, p), &cur)?;
    let toml = write_toml(dir, &plan);
    // The draft must load: a profile that does not parse is a bug here, not the user's.
    crate::profiles::Profile::from_toml(&toml, "the draft")?;
    let files = plan
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| Coverage {
            file: f.file.clone(),
            sheet: f.sheet.clone(),
            table: f.table.map(|t| t.name().to_string()),
            unused: f.unused.clone(),
            proof: proofs.get(i).cloned().flatten(),
            unmapped_required: f.unmapped_required.clone(),
            notes: f.notes.clone(),
            unknown_labels: f
                .labels
                .iter()
                .filter(|l| !l.unknown.is_empty())
                .map(|l| (l.column.to_string(), l.unknown.clone()))
                .collect(),
            mapped_labels: f
                .labels
                .iter()
                .filter(|l| !l.mapped.is_empty())
                .map(|l| (l.header.clone(), l.column.to_string(), l.mapped.clone()))
                .collect(),
            open_stages: f
                .labels
                .iter()
                .filter(|l| !l.open.is_empty())
                .map(|l| (l.header.clone(), l.open.clone()))
                .collect(),
        })
        .collect();
    Ok(Drafted {
        toml,
        files,
        notes: plan.notes.clone(),
        currency,
        error,
    })
}

/// Text from the data (headers, file names, labels) made safe for a `#` comment: a line
/// break or another control character would end the comment and write TOML of its own.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The commented TOML of a plan.
pub fn write_toml(dir: &Path, plan: &Plan) -> String {
    let mut t = String::new();
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export")
        .to_string();
    let _ = writeln!(
        t,
        "# Drafted by `mcr profiles init`, proved on the data: run it with"
    );
    let _ = writeln!(t, "#   mcr ingest <folder> --profile <this file>");
    let _ = writeln!(
        t,
        "# Tables by file names and headers; columns by English and Chinese synonyms; layouts,"
    );
    let _ = writeln!(
        t,
        "# keys and links between files by the values. Labels it could not read are TODO lines."
    );
    for n in &plan.notes {
        let _ = writeln!(t, "# NOTE: {}", comment(n));
    }
    let _ = writeln!(t, "name = {}", q(&name));
    let _ = writeln!(t, "description = {}", q(&format!("drafted from {name}")));
    let _ = writeln!(t, "encoding = {}", q(&plan.encoding));
    if !plan.date_formats.is_empty() {
        let f: Vec<String> = plan.date_formats.iter().map(|f| q(f)).collect();
        let _ = writeln!(
            t,
            "# Date layouts that parse the most values (ISO dates are always read)."
        );
        let _ = writeln!(t, "date_formats = [{}]", f.join(", "));
    }
    if plan.decimal_comma {
        let _ = writeln!(t, "# Amounts are written 1.234,50.");
        let _ = writeln!(t, "decimal_comma = true");
    }
    write_stages(&mut t, &plan.files);
    for d in &plan.files {
        let Some(table) = d.table else { continue };
        let _ = writeln!(t, "\n# {} → {}", comment(&d.file), table);
        for n in &d.notes {
            let _ = writeln!(t, "# NOTE: {}", comment(n));
        }
        if !d.unmapped_required.is_empty() {
            let _ = writeln!(
                t,
                "# NOT MAPPED (required, no confident match): {} — map it by hand",
                d.unmapped_required.join(", ")
            );
        }
        let _ = writeln!(
            t,
            "[[table]]\nname = {}\nfiles = [{}]",
            q(table.name()),
            q(&pattern(&d.file))
        );
        match d.key.len() {
            0 => {}
            1 => {
                let _ = writeln!(
                    t,
                    "# no unique id column: the key is made from what the file has"
                );
                let _ = writeln!(t, "key = {}", d.key[0]);
            }
            _ => {
                let _ = writeln!(
                    t,
                    "# no unique id column: the first key that is unique on the data, then fallbacks"
                );
                let _ = writeln!(t, "key = [{}]", d.key.join(", "));
            }
        }
        if !d.exclude.is_empty() {
            let parts: Vec<String> = d
                .exclude
                .iter()
                .map(|(h, v)| {
                    let v: Vec<String> = v.iter().map(|x| q(x)).collect();
                    format!("{} = [{}]", q(h), v.join(", "))
                })
                .collect();
            let _ = writeln!(
                t,
                "# rows left out (counted as excluded): deleted, cancelled or not done, footers"
            );
            let _ = writeln!(t, "exclude = {{ {} }}", parts.join(", "));
        }
        if let Some(a) = &d.derive_accounts {
            let _ = writeln!(
                t,
                "# no accounts file: accounts are the customers of these rows"
            );
            let _ = writeln!(t, "derive_accounts = {a}");
        }
        let _ = writeln!(t, "[table.columns]");
        for (c, h) in &d.columns {
            match d.fallbacks.iter().find(|(x, _)| x == c) {
                Some((_, more)) => {
                    let all: Vec<String> = std::iter::once(h).chain(more).map(|x| q(x)).collect();
                    let _ = writeln!(t, "{c} = [{}]", all.join(", "));
                }
                None => {
                    let _ = writeln!(t, "{c} = {}", q(h));
                }
            }
        }
        if !d.compute.is_empty() {
            let _ = writeln!(t, "[table.compute]");
            for (c, v) in &d.compute {
                let _ = writeln!(t, "{c} = {v}");
            }
        }
        if !d.derive.is_empty() {
            let _ = writeln!(t, "[table.derive]");
            for (c, v) in &d.derive {
                let _ = writeln!(t, "{c} = {v}");
            }
        }
        if !d.sign.is_empty() {
            let _ = writeln!(t, "# credit notes are made negative");
            let _ = writeln!(t, "[table.sign]");
            for (c, v) in &d.sign {
                let _ = writeln!(t, "{c} = {v}");
            }
        }
        let used = |h: &str| {
            d.columns.iter().any(|(_, u)| u == h)
                || d.fallbacks.iter().any(|(_, v)| v.iter().any(|u| u == h))
                || d.key
                    .iter()
                    .chain(d.compute.iter().map(|(_, v)| v))
                    .chain(d.derive.iter().map(|(_, v)| v))
                    .chain(d.sign.iter().map(|(_, v)| v))
                    .any(|e| e.contains(&q(h)))
                || d.derive_accounts
                    .as_ref()
                    .is_some_and(|e| e.contains(&q(h)))
                || d.exclude.iter().any(|(x, _)| x == h)
        };
        let ignored: Vec<&str> = d
            .headers
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty() && !used(h))
            .collect();
        if !ignored.is_empty() {
            let _ = writeln!(t, "# not used: {}", comment(&ignored.join(", ")));
        }
        write_value_maps(&mut t, d, table);
    }
    build::write_lookups(&mut t, plan);
    let unused: Vec<&FileDraft> = plan.files.iter().filter(|f| f.table.is_none()).collect();
    if !unused.is_empty() {
        let _ = writeln!(t, "\n# Files not used:");
        for f in unused {
            let _ = writeln!(
                t,
                "#   {} — {}",
                comment(&f.file),
                comment(f.unused.as_deref().unwrap_or("not recognised"))
            );
        }
    }
    t
}

/// The `[stages]` block, when the stage labels found include won / lost ones the built-in
/// lists do not hold (they are added to the built-in lists).
fn write_stages(t: &mut String, drafts: &[FileDraft]) {
    let stage_labels = drafts
        .iter()
        .flat_map(|d| &d.labels)
        .filter(|l| l.column == "stage" && !l.too_many);
    let mut stages = crate::profiles::StageMap::default();
    let mut open: Vec<&str> = Vec::new();
    let mut any = false;
    for l in stage_labels {
        for (label, v) in &l.mapped {
            any = true;
            match v.as_str() {
                "won" => stages.won.push(label.clone()),
                _ => stages.lost.push(label.clone()),
            }
        }
        open.extend(l.open.iter().map(String::as_str));
    }
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    if any {
        let _ = writeln!(
            t,
            "# Stages that close an opportunity: the built-in labels and those found in the export."
        );
        let _ = writeln!(
            t,
            "[stages]\nwon = [{}]\nlost = [{}]",
            list(&stages.won),
            list(&stages.lost)
        );
    }
    if !open.is_empty() {
        let _ = writeln!(
            t,
            "# Stages read as open (neither won nor lost): {}. Add a closing one to [stages] won / lost.",
            comment(&open.join(", "))
        );
    }
}

/// `[table.values.<column>]` for the labels found that the built-in vocabulary does not
/// accept: the recognised ones mapped, the others as TODO comments.
fn write_value_maps(t: &mut String, d: &FileDraft, table: Table) {
    for (c, lines) in &d.value_maps {
        let _ = writeln!(t, "[table.values.{c}]");
        for l in lines {
            let _ = writeln!(t, "{l}");
        }
    }
    for l in &d.labels {
        if l.column == "stage" || (l.mapped.is_empty() && l.unknown.is_empty()) {
            continue;
        }
        let Some(target) = labels::Target::of(table, l.column) else {
            continue;
        };
        let _ = writeln!(
            t,
            "# labels of {} that mcr reads only through this map:",
            comment(&l.header)
        );
        let _ = writeln!(t, "[table.values.{}]", l.column);
        for (label, v) in &l.mapped {
            let _ = writeln!(t, "{} = {}", q(label), q(v));
        }
        for label in &l.unknown {
            let _ = writeln!(
                t,
                "# TODO {} = \"?\"  — not recognised; map it to one of {} (until then it reads as {})",
                q(label),
                labels::allowed(target),
                if matches!(target, labels::Target::Enum(k) if k.values().contains(&"other")) { "other" } else { "unknown" }
            );
        }
    }
}

/// The coverage table printed by `mcr profiles init`: per file, its table and the rows the
/// draft keeps and rejects on the data, with the largest reject groups.
pub fn coverage(d: &Drafted) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<14} {:>8} {:>8} {:>8} {:>8} {:>7}  file",
        "table", "read", "kept", "rejected", "left out", "kept%"
    );
    for f in &d.files {
        let name = match &f.sheet {
            Some(sh) if *sh != f.file => format!("{} [{sh}]", f.file),
            _ => f.file.clone(),
        };
        let Some(table) = &f.table else {
            let _ = writeln!(
                s,
                "{:<14} {:>8} {:>8} {:>8} {:>8} {:>7}  {name}: not used — {}",
                "—",
                "",
                "",
                "",
                "",
                "",
                f.unused.as_deref().unwrap_or("not recognised")
            );
            continue;
        };
        match &f.proof {
            Some(p) => {
                let data = p.rows_read.saturating_sub(p.excluded);
                let pct = if data == 0 {
                    "—".to_string()
                } else {
                    format!("{:.1}", 100.0 * p.accepted as f64 / data as f64)
                };
                let whole = if p.whole_file { "" } else { " (first rows)" };
                let _ = writeln!(
                    s,
                    "{:<14} {:>8} {:>8} {:>8} {:>8} {:>7}  {name}{whole}",
                    table, p.rows_read, p.accepted, p.rejected, p.excluded, pct
                );
                if let Some(why) = &p.skipped {
                    let _ = writeln!(s, "    skipped by ingest: {why}");
                }
                for (col, reason, n) in p.reject_groups.iter().take(3) {
                    let _ = writeln!(s, "    {n} rejected on {col}: {reason}");
                }
                if p.orphans > 0 {
                    let _ = writeln!(
                        s,
                        "    {} rows name an account not in the accounts file",
                        p.orphans
                    );
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "{table:<14} {:>8} {:>8} {:>8} {:>8} {:>7}  {name}",
                    "?", "?", "?", "?", ""
                );
            }
        }
        if !f.unmapped_required.is_empty() {
            let _ = writeln!(
                s,
                "    NOT MAPPED (required): {}",
                f.unmapped_required.join(", ")
            );
        }
        for (h, col, m) in &f.mapped_labels {
            let m: Vec<String> = m.iter().map(|(a, b)| format!("{a} → {b}")).collect();
            let _ = writeln!(s, "    {h} ({col}) mapped: {}", m.join(", "));
        }
        for (h, open) in &f.open_stages {
            let _ = writeln!(s, "    {h} read as open stages: {}", open.join(", "));
        }
        for (col, labels) in &f.unknown_labels {
            let _ = writeln!(
                s,
                "    {col} NOT RECOGNISED: {} — rows kept, read as other/unknown until mapped (see TODO in the draft)",
                labels.join(", ")
            );
        }
        for n in &f.notes {
            let _ = writeln!(s, "    note: {n}");
        }
    }
    for n in &d.notes {
        let _ = writeln!(s, "note: {n}");
    }
    if let Some(c) = &d.currency {
        let _ = writeln!(s, "amounts are in {c} (the only currency in the export)");
    }
    if let Some(e) = &d.error {
        let _ = writeln!(s, "the draft could not be run over the data: {e}");
    }
    s
}
