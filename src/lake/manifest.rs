//! `_manifest.json`: every snapshot with its source files, hashes and row counts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Manifest format version.
    pub version: u32,
    /// Snapshots, oldest first.
    pub snapshots: Vec<Snapshot>,
}

/// One ingest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// `YYYYMMDDTHHMMSS` (UTC), also the folder name `snapshot=<id>`.
    pub id: String,
    /// RFC 3339 time of the ingest.
    pub created_at: String,
    /// Profile name (or file) used.
    pub profile: String,
    /// Tables written by this ingest.
    pub tables: BTreeMap<String, TableSnapshot>,
    /// Files skipped: optional tables whose export could not be mapped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableSnapshot {
    /// Parquet files relative to the lake root.
    pub parts: Vec<String>,
    /// Rows in the snapshot (= Σ accepted).
    pub rows: u64,
    pub files: Vec<SourceFile>,
    /// Rejects file relative to the lake root, when any row was rejected.
    pub rejects: Option<String>,
}

/// One source file's accounting: rows_read = accepted + rejected.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceFile {
    pub path: String,
    pub size: u64,
    /// xxh3-128 of the content, hex.
    pub hash: String,
    pub encoding: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Accepted rows whose foreign key points nowhere.
    pub orphans: u64,
    /// Rows left out by the profile's `exclude` (e.g. `IsDeleted = 1`): rows_read =
    /// accepted + rejected + excluded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excluded: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A source file the ingest skipped because its (optional) table could not be mapped.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedFile {
    pub path: String,
    pub table: String,
    /// Why (the missing column).
    pub reason: String,
    /// Metrics unavailable without the table.
    pub unavailable: Vec<String>,
}

impl Manifest {
    pub const FILE: &'static str = "_manifest.json";

    /// Read `<root>/_manifest.json`; an absent file is an empty lake.
    pub fn load(root: &Path) -> anyhow::Result<Manifest> {
        let path = root.join(Self::FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    version: 1,
                    snapshots: vec![],
                })
            }
            Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        };
        serde_json::from_str(&text).map_err(|e| {
            crate::error::hinted(
                format!("{} is not a valid manifest: {e}", path.display()),
                "restore it from a backup, or move the lake folder away and ingest again",
            )
        })
    }

    /// Replace `<root>/_manifest.json` atomically: write a temporary file, fsync, rename.
    pub fn save(&self, root: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        let path = root.join(Self::FILE);
        let mut tmp = tempfile::NamedTempFile::new_in(root)
            .map_err(|e| anyhow::anyhow!("cannot write in {}: {e}", root.display()))?;
        tmp.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path)
            .map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))?;
        Ok(())
    }

    /// The newest snapshot holding a table.
    pub fn current(&self, table: &str) -> Option<(&Snapshot, &TableSnapshot)> {
        self.snapshots
            .iter()
            .rev()
            .find_map(|s| s.tables.get(table).map(|t| (s, t)))
    }
}
