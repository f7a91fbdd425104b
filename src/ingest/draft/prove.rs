//! The closed loop of `profiles init`: run the draft over the data (the code path of
//! `ingest --dry-run`, on each file's sample) and improve it while the rows it keeps grow.
//!
//! Each round reads the reject groups of every file and tries the repair each one calls for:
//! a key that repeats gives way to the next key alternative (ultimately a row key), an
//! optional column whose values do not parse is left unmapped, a required date takes the
//! next column whose values are dates. A change stays only if the file keeps more rows.

use std::path::{Path, PathBuf};

use super::build::{FileDraft, Plan};
use super::infer::Sample;
use crate::contract::{ColType, Table};
use crate::ingest::{IngestOptions, IngestReport};

/// What the draft did with one file's sample.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Proof {
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Rows the profile leaves out (deleted rows, footers).
    pub excluded: u64,
    /// Accepted rows whose account is not in the accounts table.
    pub orphans: u64,
    /// Whether the whole file was read (else its first rows).
    pub whole_file: bool,
    /// (column, reason, rows), largest first.
    pub reject_groups: Vec<(String, String, u64)>,
    /// Why ingest skipped the file, if it did.
    pub skipped: Option<String>,
}

impl Proof {
    /// Rows kept that reach every metric (accepted, not orphans).
    pub fn score(&self) -> u64 {
        self.accepted.saturating_sub(self.orphans)
    }
}

/// The samples written as files ingest can read: small files as they are, the first rows of
/// large CSV files re-written (UTF-8, comma).
pub struct SampleDir {
    dir: tempfile::TempDir,
}

impl SampleDir {
    pub fn new(samples: &[Sample]) -> anyhow::Result<SampleDir> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data)?;
        let mut copied: Vec<PathBuf> = Vec::new();
        for s in samples {
            let name = s
                .path
                .file_name()
                .map(std::ffi::OsStr::to_os_string)
                .unwrap_or_default();
            let to = data.join(&name);
            let csv = s.sheet.is_none()
                && !matches!(s.encoding.as_str(), "xlsx" | "json" | "ndjson" | "parquet");
            if s.complete || !csv {
                if !copied.contains(&s.path) {
                    std::fs::copy(&s.path, &to)?;
                    copied.push(s.path.clone());
                }
                continue;
            }
            let mut w = csv::Writer::from_path(&to)?;
            w.write_record(&s.headers)?;
            for r in &s.rows {
                w.write_record(r)?;
            }
            w.flush()?;
        }
        Ok(SampleDir { dir })
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn lake(&self) -> PathBuf {
        self.dir.path().join("lake")
    }
}

/// Run the draft `toml` over the samples: one proof per file of the plan (`None` for files
/// it does not use), or the ingest error.
pub fn run(
    toml: &str,
    plan: &Plan,
    samples: &[Sample],
    dir: &SampleDir,
    currency: &str,
) -> anyhow::Result<Result<Vec<Option<Proof>>, String>> {
    let mut profile = crate::profiles::Profile::from_toml(toml, "the draft")?;
    // The samples of large files are re-written as UTF-8 with commas.
    profile.encoding = "auto".into();
    profile.delimiter = "auto".into();
    let lake = crate::lake::Lake::open(dir.lake());
    let opts = IngestOptions {
        profile: &profile,
        profile_label: "draft".into(),
        strict: false,
        dry_run: true,
        hash_pii: false,
        reporting_currency: Some(currency.to_string()),
        progress: false,
        force: true,
        inputs: Default::default(),
        source: crate::lake::manifest::DEFAULT_SOURCE.to_string(),
        precedence: vec![],
    };
    let report = match crate::ingest::ingest(&lake, &[dir.data()], &opts) {
        Ok(r) => r,
        Err(e) => return Ok(Err(format!("{e:#}"))),
    };
    let mut proofs = proofs(&report, plan, samples);
    // Reasons name the sample's copies: say the file names only.
    let prefix = format!("{}{}", dir.data().display(), std::path::MAIN_SEPARATOR);
    for p in proofs.iter_mut().flatten() {
        for g in &mut p.reject_groups {
            g.1 = g.1.replace(&prefix, "");
        }
    }
    Ok(Ok(proofs))
}

fn proofs(report: &IngestReport, plan: &Plan, samples: &[Sample]) -> Vec<Option<Proof>> {
    plan.files
        .iter()
        .map(|f| {
            f.table?;
            let s = &samples[f.sample];
            let name = s
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let ends = |p: &str| {
                let p = Path::new(p.split('[').next().unwrap_or(p));
                p.file_name().and_then(|n| n.to_str()) == Some(name.as_str())
            };
            let same_sheet = |sheet: &Option<String>| *sheet == f.sheet;
            if let Some(r) = report
                .files
                .iter()
                .find(|r| ends(&r.path) && same_sheet(&r.sheet) && r.encoding != "derived")
            {
                return Some(Proof {
                    rows_read: r.rows_read,
                    accepted: r.accepted,
                    rejected: r.rejected,
                    excluded: r.excluded,
                    orphans: r.orphans,
                    whole_file: s.complete,
                    reject_groups: r
                        .reject_groups
                        .iter()
                        .map(|g| (g.column.clone(), g.reason.clone(), g.rows))
                        .collect(),
                    skipped: None,
                });
            }
            let skipped = report
                .skipped
                .iter()
                .find(|k| ends(&k.path))
                .map(|k| k.reason.clone())
                .unwrap_or_else(|| "not read by ingest".into());
            Some(Proof {
                rows_read: s.rows.len() as u64,
                whole_file: s.complete,
                skipped: Some(skipped),
                ..Proof::default()
            })
        })
        .collect()
}

/// The repairs a file's rejects call for, applied to a copy of its draft; `None` when there
/// is nothing to try.
fn repair(f: &FileDraft, proof: &Proof, s: &Sample, plan: &Plan) -> Option<FileDraft> {
    let t = f.table?;
    let mut g = f.clone();
    let mut changed = false;
    for (column, reason, _) in &proof.reject_groups {
        let key = t.key() == Some(column.as_str());
        if key && reason.starts_with("duplicate key") {
            if g.key.len() > 1 {
                g.key.remove(0);
                changed = true;
            } else if g.key.is_empty() && t != Table::Accounts {
                // An id column that repeats on the whole file: a key made of the row.
                g.drop_column(column);
                g.key.push("{ row = true }".into());
                g.notes.push(format!(
                    "{column}: repeats on the data; rows are keyed by their content"
                ));
                changed = true;
            }
            continue;
        }
        let Some(col) = t.column(column) else {
            continue;
        };
        if !col.required {
            if g.has(column) {
                let h = g.header(column).unwrap_or("").to_string();
                g.drop_column(column);
                g.notes.push(format!(
                    "{h}: its values do not read as {} ({reason}); left unmapped",
                    col.ty.describe()
                ));
                changed = true;
            }
            continue;
        }
        if col.ty == ColType::Date {
            // The next column whose values are dates.
            let cur = g.header(column).map(str::to_string);
            let next = s
                .headers
                .iter()
                .enumerate()
                .filter(|(_, h)| Some(*h) != cur.as_ref())
                .filter(|(_, h)| !g.columns.iter().any(|(_, x)| x == *h))
                .map(|(i, h)| (h, super::infer::date_share(s, i, &plan.date_formats)))
                .filter(|(_, share)| *share >= 0.8)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((h, _)) = next {
                let h = h.clone();
                g.drop_column(column);
                g.columns.push((col.name, h));
                changed = true;
            }
        }
    }
    changed.then_some(g)
}

/// The loop: prove, repair, keep what keeps more rows; at most `rounds` rounds.
pub fn improve(
    mut plan: Plan,
    samples: &[Sample],
    write: impl Fn(&Plan) -> String,
    currency: &str,
) -> anyhow::Result<(Plan, Vec<Option<Proof>>, Option<String>)> {
    let dir = SampleDir::new(samples)?;
    let mut proofs = match run(&write(&plan), &plan, samples, &dir, currency)? {
        Ok(p) => p,
        Err(e) => return Ok((plan, vec![], Some(e))),
    };
    for _ in 0..4 {
        let mut cand = plan.clone();
        let mut any = false;
        for (i, f) in plan.files.iter().enumerate() {
            let Some(Some(p)) = proofs.get(i) else {
                continue;
            };
            if p.rejected == 0 {
                continue;
            }
            if let Some(g) = repair(f, p, &samples[f.sample], &plan) {
                cand.files[i] = g;
                any = true;
            }
        }
        if !any {
            break;
        }
        let Ok(next) = run(&write(&cand), &cand, samples, &dir, currency)? else {
            break;
        };
        // Per file, the version that keeps more rows.
        let mut improved = false;
        for i in 0..plan.files.len() {
            let old = proofs
                .get(i)
                .cloned()
                .flatten()
                .map(|p| p.score())
                .unwrap_or(0);
            let new = next
                .get(i)
                .cloned()
                .flatten()
                .map(|p| p.score())
                .unwrap_or(0);
            if new > old {
                plan.files[i] = cand.files[i].clone();
                improved = true;
            }
        }
        if !improved {
            break;
        }
        proofs = match run(&write(&plan), &plan, samples, &dir, currency)? {
            Ok(p) => p,
            Err(e) => return Ok((plan, vec![], Some(e))),
        };
    }
    Ok((plan, proofs, None))
}
