//! One writer at a time: every command that writes the lake (`ingest`, `analyze`, `run`) holds
//! an exclusive OS lock (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::lock`)
//! on `<lake>/.lock` for as long as it runs.
//!
//! The lock dies with the process, so a crashed or `kill -9`ed writer never leaves a stale lock
//! behind. The file's text names the holder (command line, pid, start time) so that a refused
//! writer can say who is in the way; the text is only informative, the OS lock is what counts.
//! Readers (`report`, `query`, `lake status`) take no lock: they read the manifest once and
//! only ever see committed snapshots, which no writer deletes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Name of the lock file under the lake root.
pub const LOCK_FILE: &str = ".lock";

/// How often a waiting writer tries again.
const POLL: Duration = Duration::from_millis(200);

/// The lake could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the lake {lake} is locked by {holder}; gave up after waiting {waited} s")]
    Busy {
        lake: PathBuf,
        holder: String,
        waited: u64,
    },
    #[error("cannot lock the lake {lake} ({path}): {source}")]
    Io {
        lake: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl LockError {
    pub fn hint(&self) -> &'static str {
        match self {
            LockError::Busy { .. } => {
                "another mcr command is writing this lake; run again when it has finished, or pass `--wait SECS` to wait for it"
            }
            LockError::Io { .. } => {
                "the lake folder must be writable by this user (the lock file `.lock` is created in it)"
            }
        }
    }
}

/// An exclusive lock on a lake, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct LakeLock {
    _file: File,
}

impl LakeLock {
    /// Take the lake's lock, trying for up to `wait` while another process holds it.
    /// `command` is recorded for whoever is refused next (e.g. `mcr ingest data/sample`).
    pub fn acquire(root: &Path, command: &str, wait: Duration) -> Result<LakeLock, LockError> {
        let io = |path: &Path, source| LockError::Io {
            lake: root.to_path_buf(),
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(root).map_err(|e| io(root, e))?;
        let path = root.join(LOCK_FILE);
        // Never truncate before holding the lock: the text names the current holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if started.elapsed() >= wait {
                        return Err(LockError::Busy {
                            lake: root.to_path_buf(),
                            holder: holder_text(&mut file),
                            waited: started.elapsed().as_secs(),
                        });
                    }
                    std::thread::sleep(POLL.min(wait.saturating_sub(started.elapsed())));
                }
                Err(TryLockError::Error(e)) => return Err(io(&path, e)),
            }
        }
        let info = serde_json::json!({
            "command": command,
            "pid": std::process::id(),
            "since": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        // Best effort: the lock holds whether or not the note could be written.
        let _ = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| writeln!(file, "{info}"))
            .and_then(|_| file.flush());
        Ok(LakeLock { _file: file })
    }
}

/// "`mcr ingest x` (pid 12, since 2026-11-30T10:00:00Z)" from the lock file's note.
fn holder_text(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let v: serde_json::Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(_) => return "another process (it left no note)".into(),
    };
    format!(
        "`{}` (pid {}, since {})",
        v["command"].as_str().unwrap_or("?"),
        v["pid"].as_u64().map_or("?".into(), |p| p.to_string()),
        v["since"].as_str().unwrap_or("?")
    )
}

/// The command line of this process, for the lock note (`mcr ingest data/sample`).
pub fn this_command() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .and_then(|p| {
            Path::new(&p)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "mcr".into());
    std::iter::once(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = LakeLock::acquire(dir.path(), "mcr ingest a", Duration::ZERO).unwrap();
        // flock locks belong to the open file description: a second open in the same
        // process conflicts exactly as another process would.
        let err =
            LakeLock::acquire(dir.path(), "mcr ingest b", Duration::from_millis(300)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`mcr ingest a`"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(matches!(err, LockError::Busy { .. }));
        drop(first);
        let again = LakeLock::acquire(dir.path(), "mcr ingest b", Duration::ZERO);
        assert!(again.is_ok());
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = LakeLock::acquire(dir.path(), "mcr run", Duration::ZERO).unwrap();
        let root = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            LakeLock::acquire(&root, "mcr analyze", Duration::from_secs(20)).is_ok()
        });
        std::thread::sleep(Duration::from_millis(400));
        drop(first);
        assert!(waiter.join().unwrap());
    }
}
