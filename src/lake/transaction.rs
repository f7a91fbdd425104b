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
    /// that the manifest does not list.
    pub fn begin(root: &Path, manifest: &Manifest) -> anyhow::Result<Transaction> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the lake folder {}", root.display()))?;
        clean_leftovers(root, manifest);
        let mut now = chrono::Utc::now();
        let mut id = now.format("%Y%m%dT%H%M%S").to_string();
        while manifest.snapshots.iter().any(|s| s.id >= id) {
            now += chrono::Duration::seconds(1);
            id = now.format("%Y%m%dT%H%M%S").to_string();
        }
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
        manifest: Manifest,
        profile: &str,
        tables: std::collections::BTreeMap<String, TableSnapshot>,
    ) -> anyhow::Result<Manifest> {
        self.commit_with(manifest, profile, tables, vec![])
    }

    /// [`Self::commit`], recording the files skipped (optional tables not mappable).
    pub fn commit_with(
        self,
        mut manifest: Manifest,
        profile: &str,
        tables: std::collections::BTreeMap<String, TableSnapshot>,
        skipped: Vec<super::manifest::SkippedFile>,
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
        manifest.version = 1;
        manifest.snapshots.push(Snapshot {
            id: self.id.clone(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            profile: profile.to_string(),
            tables,
            skipped,
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

fn move_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::rename(from, to)
        .with_context(|| format!("cannot move {} to {}", from.display(), to.display()))
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
