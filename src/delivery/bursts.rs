//! `bursts.csv` (written by `mcr report --burst`) and the folder checks of its rows: a path
//! read from data is only used after it is shown to stay inside the report folder.

use std::path::{Component, Path, PathBuf};

pub use crate::contract::{BURSTS_FILE as FILE, BURSTS_HEADER as HEADER};

/// One row of `bursts.csv`, as text (checked when its message is planned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstRow {
    /// The 1-based line of the row in the file (the header is line 1).
    pub line: u64,
    pub kind: String,
    pub key: String,
    pub name: String,
    pub email: String,
    pub folder: String,
}

/// `bursts.csv` cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BurstsError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{path} has the header `{found}`, not `{expected}`")]
    Header {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("{path} line {line}: {count} fields, the header has {expected}")]
    Fields {
        path: PathBuf,
        line: u64,
        count: usize,
        expected: usize,
    },
}

/// The rows of `<dir>/bursts.csv`; none when the file does not exist.
pub fn read(dir: &Path) -> Result<Vec<BurstRow>, BurstsError> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let read_err = |source: csv::Error| BurstsError::Read {
        path: path.clone(),
        source,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(&path)
        .map_err(read_err)?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(read_err)?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    if header != HEADER {
        return Err(BurstsError::Header {
            path: path.clone(),
            found: header.join(","),
            expected: HEADER.join(","),
        });
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(read_err)?;
        let line = rec.position().map(|p| p.line()).unwrap_or_default();
        if rec.len() != HEADER.len() {
            return Err(BurstsError::Fields {
                path: path.clone(),
                line,
                count: rec.len(),
                expected: HEADER.len(),
            });
        }
        let cell = |i: usize| rec.get(i).unwrap_or_default().trim().to_string();
        rows.push(BurstRow {
            line,
            kind: cell(0),
            key: cell(1),
            name: cell(2),
            email: cell(3),
            folder: cell(6),
        });
    }
    Ok(rows)
}

/// Why a burst folder from the data is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    #[error("the folder is empty")]
    Empty,
    #[error("the folder `{0}` is absolute; it must be relative to the report folder")]
    Absolute(String),
    #[error("the folder `{0}` has a `..` component")]
    ParentDir(String),
    #[error("the folder `{0}` has a backslash or a control character")]
    BadChar(String),
    #[error("the folder `{0}` does not exist")]
    Missing(String),
    #[error("the folder `{0}` resolves outside the report folder")]
    Outside(String),
}

/// The checks that need no file system: relative, no `..`, no root or drive, no backslash or
/// control character.
pub fn check_relative(folder: &str) -> Result<(), FolderError> {
    if folder.trim().is_empty() {
        return Err(FolderError::Empty);
    }
    if folder.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(FolderError::BadChar(folder.escape_debug().to_string()));
    }
    let p = Path::new(folder);
    if p.is_absolute() || p.has_root() {
        return Err(FolderError::Absolute(folder.to_string()));
    }
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(FolderError::ParentDir(folder.to_string())),
            Component::RootDir | Component::Prefix(_) => {
                return Err(FolderError::Absolute(folder.to_string()))
            }
        }
    }
    Ok(())
}

/// `folder` (from `bursts.csv`) inside `base` (the report folder): checked with
/// [`check_relative`], then resolved (symbolic links followed) and required to stay inside
/// `base`.
pub fn resolve_folder(base: &Path, folder: &str) -> Result<PathBuf, FolderError> {
    check_relative(folder)?;
    let root = base
        .canonicalize()
        .map_err(|_| FolderError::Missing(base.display().to_string()))?;
    let dir = root
        .join(folder)
        .canonicalize()
        .map_err(|_| FolderError::Missing(folder.to_string()))?;
    if !dir.starts_with(&root) || !dir.is_dir() {
        return Err(FolderError::Outside(folder.to_string()));
    }
    Ok(dir)
}

/// A file of a checked folder, resolved: `None` when it does not exist or (through a
/// symbolic link) lies outside `base`.
pub fn file_inside(base: &Path, dir: &Path, name: &str) -> Option<PathBuf> {
    let root = base.canonicalize().ok()?;
    let p = dir.join(name).canonicalize().ok()?;
    (p.starts_with(&root) && p.is_file()).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_and_absolute_folders_are_rejected() {
        for bad in [
            "../x",
            "by-owner/../../etc",
            "by-owner/..",
            "..",
            "/etc",
            "/tmp/x",
            "",
            "  ",
            "by-owner\\..\\x",
            "by-owner/E001\n",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?} accepted");
        }
        for ok in ["by-owner/E001", "by-region/华东", "./by-owner/E 2", "x"] {
            assert_eq!(check_relative(ok), Ok(()), "{ok}");
        }
        assert!(matches!(
            check_relative("a/../b"),
            Err(FolderError::ParentDir(_))
        ));
        assert!(matches!(
            check_relative("/abs"),
            Err(FolderError::Absolute(_))
        ));
    }

    #[test]
    fn folders_resolve_inside_the_report_folder_only() {
        let t = tempfile::tempdir().unwrap();
        let base = t.path().join("2026-06-30");
        std::fs::create_dir_all(base.join("by-owner/E001")).unwrap();
        std::fs::create_dir_all(t.path().join("elsewhere")).unwrap();
        std::fs::write(base.join("by-owner/E001/leadership.html"), "<p>x</p>").unwrap();
        let dir = resolve_folder(&base, "by-owner/E001").unwrap();
        assert!(file_inside(&base, &dir, "leadership.html").is_some());
        assert!(file_inside(&base, &dir, "leadership.pdf").is_none());
        assert!(matches!(
            resolve_folder(&base, "by-owner/E002"),
            Err(FolderError::Missing(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(t.path().join("elsewhere"), base.join("by-owner/link"))
                .unwrap();
            assert!(matches!(
                resolve_folder(&base, "by-owner/link"),
                Err(FolderError::Outside(_))
            ));
            std::fs::write(t.path().join("elsewhere/secret.html"), "s").unwrap();
            std::os::unix::fs::symlink(
                t.path().join("elsewhere/secret.html"),
                base.join("by-owner/E001/leadership.pdf"),
            )
            .unwrap();
            assert!(file_inside(&base, &dir, "leadership.pdf").is_none());
        }
    }

    #[test]
    fn header_must_match_and_missing_file_is_no_bursts() {
        let t = tempfile::tempdir().unwrap();
        assert!(read(t.path()).unwrap().is_empty());
        std::fs::write(
            t.path().join(FILE),
            "\u{feff}kind,key,name,email,accounts,revenue_12m,folder\nowner,E001,\"Li, Lei\",li@example.com,3,100.5,by-owner/E001\nregion,华东,华东,,7,2000,by-region/华东\n",
        )
        .unwrap();
        let rows = read(t.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "Li, Lei");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].email, "");
        assert_eq!(rows[1].folder, "by-region/华东");
        std::fs::write(
            t.path().join(FILE),
            "kind,key,email,folder\nowner,E1,a@b.c,x\n",
        )
        .unwrap();
        assert!(matches!(read(t.path()), Err(BurstsError::Header { .. })));
    }
}
