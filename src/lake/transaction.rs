//! An ingest as a transaction: everything is written under a staging folder inside the lake,
//! moved into `snapshot=<id>` folders, and only then made visible by replacing the manifest.
//! A crash at any point before the manifest rename leaves the previous lake exactly as it was
//! (the manifest still lists only the old snapshots); leftovers are removed by the next ingest.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::manifest::{Manifest, Snapshot, TableSnapshot};

/// Test hook: `MCR_FAIL_AT=<point>` aborts the process at that point of the commit
/// (`staged`, `moved`), to prove an interrupted ingest leaves the lake intact.
const FAIL_ENV: &str = "MCR_FAIL_AT";

/// What a snapshot records besides its tables.
#[derive(Debug, Clone, Default)]
pub struct SnapshotMeta {
    /// Profile name or file.
    pub profile: String,
    /// The source the snapshot belongs to.
    pub source: String,
    /// The options that changed rows (`ingest::fingerprint`).
    pub inputs: std::collections::BTreeMap<String, String>,
    /// The configured source precedence to record (empty: keep the manifest's).
    pub precedence: Vec<String>,
    /// Files skipped: optional tables whose export could not be mapped.
    pub skipped: Vec<super::manifest::SkippedFile>,
}

pub struct Transaction {
    root: PathBuf,
    id: String,
    staging: PathBuf,
}

fn maybe_fail(point: &str) {
    if std::env::var(FAIL_ENV).is_ok_and(|v| v == point) {
        eprintln!("{FAIL_ENV}={point}: aborting as requested");
        std::process::abort();
    }
}

impl Transaction {
    /// Start a snapshot. Removes staging leftovers of interrupted ingests and snapshot folders
    /// that the manifest does not list: the caller must hold the lake's lock
    /// ([`super::LakeLock`]), so that no other writer's staging folder is taken for a leftover.
    pub fn begin(root: &Path, manifest: &Manifest) -> anyhow::Result<Transaction> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the lake folder {}", root.display()))?;
        clean_leftovers(root, manifest);
        let id = new_snapshot_id(manifest, chrono::Utc::now(), super::random_u64());
        let staging = root.join(format!(".staging-{id}"));
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(Transaction {
            root: root.to_path_buf(),
            id,
            staging,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where a table's part file is staged.
    pub fn part_path(&self, table: &str) -> anyhow::Result<PathBuf> {
        let dir = self.staging.join(table);
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join("part-0.parquet"))
    }

    /// Where a table's rejects are staged.
    pub fn rejects_path(&self, table: &str) -> anyhow::Result<PathBuf> {
        let dir = self.staging.join("_rejects").join(table);
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join("rejects.parquet"))
    }

    /// Lake-relative path of the committed part file.
    pub fn final_part(&self, table: &str) -> String {
        format!("{table}/snapshot={}/part-0.parquet", self.id)
    }

    pub fn final_rejects(&self, table: &str) -> String {
        format!("_rejects/{table}/snapshot={}/rejects.parquet", self.id)
    }

    /// Move staged tables into place and replace the manifest (last).
    pub fn commit(
        self,
        mut manifest: Manifest,
        meta: SnapshotMeta,
        tables: std::collections::BTreeMap<String, TableSnapshot>,
    ) -> anyhow::Result<Manifest> {
        maybe_fail("staged");
        for (name, t) in &tables {
            let from = self.staging.join(name);
            if from.is_dir() {
                let to = self.root.join(name).join(format!("snapshot={}", self.id));
                move_dir(&from, &to)?;
            }
            if t.rejects.is_some() {
                let from = self.staging.join("_rejects").join(name);
                let to = self
                    .root
                    .join("_rejects")
                    .join(name)
                    .join(format!("snapshot={}", self.id));
                move_dir(&from, &to)?;
            }
        }
        maybe_fail("moved");
        manifest.version = Manifest::VERSION;
        manifest.set_precedence(&meta.precedence);
        manifest.snapshots.push(Snapshot {
            id: self.id.clone(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            profile: meta.profile,
            source: meta.source,
            tables,
            inputs: meta.inputs,
            skipped: meta.skipped,
        });
        manifest.save(&self.root)?;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(manifest)
    }

    /// Drop the staged files (on error or dry run).
    pub fn rollback(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// `YYYYMMDDTHHMMSS.ffffff-xxxxxxxx`: UTC to the microsecond, then 32 random bits. Later than
/// every id in the manifest (the clock is moved on by a microsecond while it is not), so ids
/// sort in commit order even when the clock steps back; the random part keeps two writers on
/// different machines apart even within one microsecond.
fn new_snapshot_id(
    manifest: &Manifest,
    mut now: chrono::DateTime<chrono::Utc>,
    random: u64,
) -> String {
    let fmt = |t: chrono::DateTime<chrono::Utc>| {
        format!("{}-{:08x}", t.format("%Y%m%dT%H%M%S%.6f"), random as u32)
    };
    let newest = manifest.snapshots.iter().map(|s| s.id.as_str()).max();
    let mut id = fmt(now);
    if let Some(t) = newest.filter(|n| *n >= id.as_str()).and_then(id_time) {
        now = now.max(t + chrono::Duration::microseconds(1));
        id = fmt(now);
    }
    while newest.is_some_and(|n| n >= id.as_str()) {
        now += chrono::Duration::microseconds(1);
        id = fmt(now);
    }
    id
}

/// The time in a snapshot id of either format.
fn id_time(id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let stamp = id.split('-').next()?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

fn move_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::rename(from, to)
        .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))
}

/// Remove one source's snapshots: the manifest without them replaces the old one (atomic),
/// then their folders go (as leftovers a crash would leave, removed by the next writer too).
/// The caller holds the lake's lock. Returns how many snapshots were dropped.
pub fn drop_source(root: &Path, mut manifest: Manifest, source: &str) -> anyhow::Result<usize> {
    let before = manifest.snapshots.len();
    manifest.snapshots.retain(|s| s.source != source);
    let dropped = before - manifest.snapshots.len();
    if dropped == 0 {
        return Ok(0);
    }
    manifest.sources.retain(|s| s != source);
    manifest.save(root)?;
    clean_leftovers(root, &manifest);
    Ok(dropped)
}

/// Remove `.staging-*` folders and `snapshot=` folders not listed in the manifest.
fn clean_leftovers(root: &Path, manifest: &Manifest) {
    let listed: std::collections::HashSet<String> =
        manifest.snapshots.iter().map(|s| s.id.clone()).collect();
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if name.starts_with(".staging-") {
            let _ = std::fs::remove_dir_all(&path);
            continue;
        }
        let table_dirs: Vec<PathBuf> = if name == "_rejects" {
            std::fs::read_dir(&path)
                .map(|r| r.flatten().map(|e| e.path()).collect())
                .unwrap_or_default()
        } else if crate::contract::Table::from_name(&name).is_some() {
            vec![path]
        } else {
            continue;
        };
        for dir in table_dirs {
            let Ok(snaps) = std::fs::read_dir(&dir) else {
                continue;
            };
            for s in snaps.flatten() {
                let n = s.file_name().to_string_lossy().into_owned();
                if let Some(id) = n.strip_prefix("snapshot=") {
                    if !listed.contains(id) {
                        let _ = std::fs::remove_dir_all(s.path());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn manifest_with(ids: &[&str]) -> Manifest {
        Manifest {
            version: 2,
            sources: vec![],
            snapshots: ids
                .iter()
                .map(|id| Snapshot {
                    id: id.to_string(),
                    created_at: String::new(),
                    profile: "canonical".into(),
                    source: "default".into(),
                    tables: Default::default(),
                    inputs: Default::default(),
                    skipped: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn snapshot_ids_sort_after_old_and_new_ids_and_differ_within_a_microsecond() {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, 15, 5, 1)
            .unwrap();
        let a = new_snapshot_id(&manifest_with(&[]), t, 0xdead_beef);
        assert_eq!(a, "20261130T150501.000000-deadbeef");
        let b = new_snapshot_id(&manifest_with(&[]), t, 0x1234);
        assert_ne!(a, b, "two writers in the same microsecond");
        // A version-1 id of the same second sorts first.
        let c = new_snapshot_id(&manifest_with(&["20261130T150501"]), t, 1);
        assert!(c.as_str() > "20261130T150501");
        // The clock stepped back: still after the newest id.
        let d = new_snapshot_id(&manifest_with(&["20261130T150502.000000-ffffffff"]), t, 2);
        assert!(d.as_str() > "20261130T150502.000000-ffffffff", "{d}");
        assert!(d.starts_with("20261130T150502.000001-"), "{d}");
    }
}
