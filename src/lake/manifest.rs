//! `_manifest.json`: every snapshot with its source files, hashes and row counts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Manifest format version: 1 = second-resolution snapshot ids; 2 = ids with
    /// microseconds and a random suffix, and the re-ingest `inputs` of each snapshot. A
    /// version-2 reader reads version 1 unchanged.
    pub version: u32,
    /// Snapshots, oldest first.
    pub snapshots: Vec<Snapshot>,
    /// Source precedence, strongest first: when two sources deliver the same key with
    /// different rows, the earlier source's row is kept. The order of `[[sources]]` in the
    /// config, recorded by each ingest; sources not listed follow by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// The source of snapshots ingested without a name (`mcr ingest DIR` with no `--source` and
/// no matching `[[sources]]` entry): one source, so each ingest replaces the last, as before
/// sources existed.
pub const DEFAULT_SOURCE: &str = "default";

fn default_source() -> String {
    DEFAULT_SOURCE.to_string()
}

/// One ingest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// `YYYYMMDDTHHMMSS.ffffff-xxxxxxxx` (UTC time to the microsecond, then 8 random hex
    /// digits), also the folder name `snapshot=<id>`. Ids sort by time; the suffix keeps two
    /// writers apart even within one microsecond or across machines sharing a folder.
    /// Lakes written before version 2 have `YYYYMMDDTHHMMSS`, which sorts before any later id.
    pub id: String,
    /// RFC 3339 time of the ingest.
    pub created_at: String,
    /// Profile name (or file) used.
    pub profile: String,
    /// The source this snapshot belongs to (a `[[sources]]` name, `--source`, or `default`).
    /// A table's current view is the union over sources of each source's newest snapshot.
    #[serde(default = "default_source")]
    pub source: String,
    /// Tables written by this ingest.
    pub tables: BTreeMap<String, TableSnapshot>,
    /// What besides the files decided the rows (see `ingest::fingerprint`): the profile's text
    /// hash, the options that change rows, the parser revision. Re-ingesting the same files
    /// is a no-op only when these are equal too.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, String>,
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

impl TableSnapshot {
    /// Rows derived from other tables' facts (accounts from invoice lines), not read from an
    /// export of this table.
    pub fn is_derived(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.encoding == "derived")
    }
}

impl Manifest {
    pub const FILE: &'static str = "_manifest.json";
    /// The format version this mcr writes.
    pub const VERSION: u32 = 2;

    /// Read `<root>/_manifest.json`; an absent file is an empty lake.
    pub fn load(root: &Path) -> anyhow::Result<Manifest> {
        let path = root.join(Self::FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    version: Self::VERSION,
                    ..Default::default()
                })
            }
            Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            crate::error::hinted(
                format!("{} is not a valid manifest: {e}", path.display()),
                "restore it from a backup, or move the lake folder away and ingest again",
            )
        })?;
        if m.version > Self::VERSION {
            return Err(crate::error::hinted(
                format!(
                    "{} has format version {}, newer than this mcr reads ({})",
                    path.display(),
                    m.version,
                    Self::VERSION
                ),
                "upgrade mcr to the version that wrote this lake",
            ));
        }
        Ok(m)
    }

    /// Replace `<root>/_manifest.json` atomically: write a temporary file, fsync, rename,
    /// fsync the folder (so that the rename itself survives a power cut). The file gets the
    /// permissions of any file the user creates (the umask), so that a reporting account in
    /// the same group can read a lake an operator wrote.
    pub fn save(&self, root: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        let path = root.join(Self::FILE);
        let tmp = root.join(format!(
            ".manifest-{}-{:08x}.tmp",
            std::process::id(),
            super::random_u64() as u32
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::anyhow!("cannot write {}: {e}", tmp.display()));
        }
        if let Err(e) = std::fs::rename(&tmp, &path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::anyhow!("cannot replace {}: {e}", path.display()));
        }
        super::sync_dir(root);
        Ok(())
    }

    /// The newest snapshot holding a table, of any source.
    pub fn current(&self, table: &str) -> Option<(&Snapshot, &TableSnapshot)> {
        self.snapshots
            .iter()
            .rev()
            .find_map(|s| s.tables.get(table).map(|t| (s, t)))
    }

    /// The newest snapshot holding a table in one source.
    pub fn current_in(&self, source: &str, table: &str) -> Option<(&Snapshot, &TableSnapshot)> {
        self.snapshots
            .iter()
            .rev()
            .filter(|s| s.source == source)
            .find_map(|s| s.tables.get(table).map(|t| (s, t)))
    }

    /// Every source with snapshots, in precedence order: those of [`Manifest::sources`]
    /// first, then the others by name.
    pub fn source_order(&self) -> Vec<String> {
        let mut present: Vec<&str> = self.snapshots.iter().map(|s| s.source.as_str()).collect();
        present.sort();
        present.dedup();
        let mut out: Vec<String> = self
            .sources
            .iter()
            .filter(|s| present.contains(&s.as_str()))
            .cloned()
            .collect();
        for s in present {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        out
    }

    /// The current view of a table: each source's newest snapshot of it, strongest source
    /// first — except that accounts derived from facts (an export without an accounts file)
    /// come after every source that delivers real accounts, so they only fill in accounts no
    /// other source has. Empty when no source has the table.
    pub fn current_all(&self, table: &str) -> Vec<(&Snapshot, &TableSnapshot)> {
        let mut out: Vec<(&Snapshot, &TableSnapshot)> = self
            .source_order()
            .iter()
            .filter_map(|src| self.current_in(src, table))
            .collect();
        out.sort_by_key(|(_, t)| t.is_derived());
        out
    }

    /// Record the configured precedence (`[[sources]]` order), keeping sources not named there.
    pub fn set_precedence(&mut self, configured: &[String]) {
        if configured.is_empty() {
            return;
        }
        let mut order: Vec<String> = configured.to_vec();
        for s in &self.sources {
            if !order.contains(s) {
                order.push(s.clone());
            }
        }
        self.sources = order;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: &str, source: &str, encoding: &str) -> Snapshot {
        let file = SourceFile {
            path: "x".into(),
            size: 0,
            hash: id.into(),
            encoding: encoding.into(),
            rows_read: 1,
            accepted: 1,
            rejected: 0,
            orphans: 0,
            excluded: 0,
        };
        let table = TableSnapshot {
            parts: vec![],
            rows: 1,
            files: vec![file],
            rejects: None,
        };
        Snapshot {
            id: id.into(),
            created_at: String::new(),
            profile: "p".into(),
            source: source.into(),
            tables: BTreeMap::from([("accounts".to_string(), table)]),
            inputs: BTreeMap::new(),
            skipped: vec![],
        }
    }

    #[test]
    fn current_view_is_newest_per_source_in_precedence_order_derived_last() {
        let m = Manifest {
            version: 2,
            sources: vec!["erp".into(), "crm".into()],
            snapshots: vec![
                snap("1", "crm", "utf-8"),
                snap("2", "erp", "derived"),
                snap("3", "crm", "utf-8"),
                snap("4", "other", "utf-8"),
            ],
        };
        let ids: Vec<(&str, &str)> = m
            .current_all("accounts")
            .iter()
            .map(|(s, _)| (s.source.as_str(), s.id.as_str()))
            .collect();
        // erp is listed first but its accounts are derived: real accounts first.
        assert_eq!(ids, [("crm", "3"), ("other", "4"), ("erp", "2")]);
        assert_eq!(m.source_order(), ["erp", "crm", "other"]);
        assert_eq!(
            m.current_in("crm", "accounts").map(|(s, _)| s.id.as_str()),
            Some("3")
        );
    }
}
