//! The delivery log `<reports>/<as_of>/delivery-log.jsonl`: one JSON object a line, appended
//! and flushed to disk after every message, so an interrupted run keeps the entries of the
//! mail it sent. A rerun skips what the log shows as sent.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file name of the log inside `<reports>/<as_of>/`.
pub const FILE: &str = "delivery-log.jsonl";

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Sent,
    Failed,
    Skipped,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// The address the message went (or would go) to; empty when there is none.
    pub recipient: String,
    /// `full`, `owner` or `region`.
    pub kind: String,
    pub key: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The log cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the delivery log {path}")]
pub struct LogError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The identity of a message across runs: kind, key, recipient address.
pub type Id = (String, String, String);

/// What an earlier run left: the sent messages (id → message-id) and the lines that could
/// not be read (1-based line numbers; an interrupted write leaves at most the last one).
#[derive(Debug, Default)]
pub struct History {
    pub sent: BTreeMap<Id, String>,
    pub unreadable: Vec<usize>,
}

/// Read the log at `path` (an absent log is an empty history).
pub fn read(path: &Path) -> Result<History, LogError> {
    let mut h = History::default();
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(h),
        Err(source) => {
            return Err(LogError {
                action: "read",
                path: path.to_path_buf(),
                source,
            })
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(e) if e.status == Status::Sent => {
                h.sent.insert(
                    (e.kind, e.key, e.recipient.to_lowercase()),
                    e.message_id.unwrap_or_default(),
                );
            }
            Ok(_) => {}
            Err(_) => h.unreadable.push(i + 1),
        }
    }
    Ok(h)
}

/// The log open for appending.
pub struct Writer {
    path: PathBuf,
    file: File,
}

impl Writer {
    /// Open (or create) the log for appending. A last line cut short by an interrupted run
    /// is ended first, so the next entry starts on a line of its own.
    pub fn open(path: &Path) -> Result<Writer, LogError> {
        let err = |source: std::io::Error| LogError {
            action: "open",
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(err)?;
        let len = file.metadata().map_err(err)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
            file.read_exact(&mut last).map_err(err)?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(err)?;
            }
        }
        Ok(Writer {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Take the log's exclusive lock without waiting: false when another process holds it
    /// (a file system without locks does not stop the run).
    pub fn try_lock(&self) -> bool {
        !matches!(self.file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
    }

    /// Append one entry as one write of one line, and flush it to disk.
    pub fn append(&mut self, e: &Entry) -> Result<(), LogError> {
        let err = |source: std::io::Error| LogError {
            action: "write",
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_string(e).map_err(|e| err(e.into()))?;
        line.push('\n');
        self.file.write_all(line.as_bytes()).map_err(err)?;
        self.file.sync_data().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, status: Status) -> Entry {
        Entry {
            time: "2026-07-01T08:00:00Z".into(),
            recipient: "A@example.com".into(),
            kind: "owner".into(),
            key: key.into(),
            status,
            message_id: Some(format!("<{key}@x>")),
            error: None,
        }
    }

    #[test]
    fn sent_entries_survive_a_cut_last_line() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(FILE);
        assert!(read(&p).unwrap().sent.is_empty());
        let mut w = Writer::open(&p).unwrap();
        w.append(&entry("E1", Status::Sent)).unwrap();
        w.append(&entry("E2", Status::Failed)).unwrap();
        drop(w);
        // An interrupted write: half a line, no newline.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"time\":\"2026").unwrap();
        drop(f);
        let mut w = Writer::open(&p).unwrap();
        w.append(&entry("E3", Status::Sent)).unwrap();
        let h = read(&p).unwrap();
        let keys: Vec<&str> = h.sent.keys().map(|k| k.1.as_str()).collect();
        assert_eq!(keys, ["E1", "E3"]);
        assert_eq!(h.unreadable, [3]);
        assert_eq!(
            h.sent[&("owner".into(), "E1".into(), "a@example.com".into())],
            "<E1@x>"
        );
    }
}
