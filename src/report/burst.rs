//! Bursts on disk: one folder per book of accounts (`by-owner/<id>/`, `by-region/<region>/`)
//! with its pages and the CSVs of its metric tables, and `bursts.csv` listing them.
//!
//! The figures of a burst are computed by `metrics::burst` from the company-wide metric
//! tables; this module only names folders, writes the CSVs and the index, and renders the
//! pages through [`super::render_into`]. Folder names come from data (an employee id, a
//! region), so they are made safe here: letters and digits of any script, `-`, `_` and `.`
//! (not leading), at most 64 characters; anything else becomes `_`, and two keys that end up
//! alike get `-2`, `-3`… in key order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use polars::prelude::{CsvWriter, DataFrame, SerWriter};
use serde::Serialize;

use crate::contract::BurstKind;

use crate::contract::{BURSTS_FILE, BURSTS_HEADER};

/// One row of `bursts.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct BurstRow {
    /// `owner` or `region`.
    pub kind: &'static str,
    /// employee_id or region.
    pub key: String,
    /// Display name (the employee's name, else the key).
    pub name: String,
    /// Where `mcr deliver` sends it; empty when unknown.
    pub email: String,
    pub accounts: u64,
    pub revenue_12m: f64,
    /// Relative to `<reports>/<as_of>/`, `/`-separated: `by-owner/E001`.
    pub folder: String,
}

/// A safe folder name for `key` (see the module doc). Never empty, `.` or `..`.
///
/// Example: `"华东 / East"` → `"华东___East"`, `"../x"` → `"_._x"`.
pub fn folder_name(key: &str) -> String {
    let mut s: String = key
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    // No leading dot: no hidden folders, no `.` or `..`.
    while s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    if s.is_empty() {
        s.push('_');
    }
    s
}

/// Folder names for `keys` (in their order), unique: the second key that maps to the same
/// name gets `-2`, the third `-3`, and so on (compared without case, for case-insensitive
/// file systems).
pub fn unique_folders<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    keys.into_iter()
        .map(|k| {
            let base = folder_name(k);
            let mut name = base.clone();
            let mut i = 2;
            while !seen.insert(name.to_lowercase()) {
                name = format!("{base}-{i}");
                i += 1;
            }
            name
        })
        .collect()
}

/// `<dir>/<kind folder>/<name>`, the folder of one burst.
pub fn burst_dir(dir: &Path, kind: BurstKind, folder: &str) -> PathBuf {
    dir.join(kind.folder()).join(folder)
}

/// Write `tables` as `<burst>/data/<name>.csv` (the "full list" the pages point to).
pub fn write_csvs(burst: &Path, tables: &mut [(&str, DataFrame)]) -> anyhow::Result<()> {
    let data = burst.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    for (name, df) in tables.iter_mut() {
        let p = data.join(format!("{name}.csv"));
        let f =
            std::fs::File::create(&p).with_context(|| format!("cannot write {}", p.display()))?;
        CsvWriter::new(std::io::BufWriter::new(f))
            .finish(df)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

/// Write `bursts.csv` into `dir` (replacing an earlier one) and return its path.
pub fn write_index(dir: &Path, rows: &[BurstRow]) -> anyhow::Result<PathBuf> {
    let p = dir.join(BURSTS_FILE);
    let tmp = dir.join(format!(".{BURSTS_FILE}.tmp"));
    {
        let mut w = csv::Writer::from_path(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        w.write_record(BURSTS_HEADER)?;
        for r in rows {
            w.write_record([
                r.kind,
                &r.key,
                &r.name,
                &r.email,
                &r.accounts.to_string(),
                &format!("{:.2}", r.revenue_12m),
                &r.folder,
            ])?;
        }
        w.flush()
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &p).with_context(|| format!("cannot write {}", p.display()))?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("E001"), "E001");
        assert_eq!(folder_name("华东"), "华东");
        assert_eq!(folder_name("../etc"), "_._etc");
        assert_eq!(folder_name(".."), "_.");
        assert_eq!(folder_name("/abs/path"), "_abs_path");
        assert_eq!(folder_name("a\\b:c*?"), "a_b_c__");
        assert_eq!(folder_name("  "), "_");
        assert_eq!(folder_name(&"x".repeat(100)).len(), 64);
        for k in ["..", ".", "/", "a/../../b", "\0", "C:\\x"] {
            let f = folder_name(k);
            assert!(
                !f.contains('/') && !f.contains('\\') && !f.starts_with('.'),
                "{k} → {f}"
            );
        }
    }

    #[test]
    fn colliding_keys_get_numbered() {
        assert_eq!(
            unique_folders(["a/b", "a_b", "A_B", "c"]),
            ["a_b", "a_b-2", "A_B-3", "c"]
        );
    }
}
