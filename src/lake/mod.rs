//! The Parquet lake: snapshots, the manifest (replaced atomically, written last), rejects,
//! and the metric tables written by `analyze`.
//!
//! Layout (interface.md): `<lake>/<table>/snapshot=<YYYYMMDDTHHMMSS>/part-0.parquet`,
//! `<lake>/_manifest.json`, `<lake>/_rejects/<table>/snapshot=…/rejects.parquet`,
//! `<lake>/metrics/as_of=<YYYY-MM-DD>/{accounts,concentration,employees,tier_migration}.{parquet,csv}`
//! and `summary.json`.

pub mod manifest;
pub mod transaction;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::contract::Table;
pub use manifest::Manifest;

/// A lake rooted at a directory.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
}

impl Lake {
    pub fn open(root: impl Into<PathBuf>) -> Lake {
        Lake { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The manifest (empty when the lake does not exist yet).
    pub fn manifest(&self) -> anyhow::Result<Manifest> {
        Manifest::load(&self.root)
    }

    /// The current view of a table (its newest snapshot), with the canonical columns and
    /// dtypes of `contract`; `None` when the table was never ingested.
    pub fn scan(&self, table: Table) -> anyhow::Result<Option<LazyFrame>> {
        let manifest = self.manifest()?;
        let Some((_, t)) = manifest.current(table.name()) else {
            return Ok(None);
        };
        let paths: Vec<PathBuf> = t.parts.iter().map(|p| self.root.join(p)).collect();
        scan_parquet_files(&paths).map(Some)
    }

    /// The folder of one as_of's metric tables.
    pub fn metrics_dir(&self, as_of: NaiveDate) -> PathBuf {
        self.root
            .join("metrics")
            .join(format!("as_of={}", as_of.format("%Y-%m-%d")))
    }

    /// Write metric tables (each as `<name>.parquet` and `<name>.csv`, UTF-8 with BOM) and
    /// `summary.json` for one as_of, replacing any earlier result atomically (written to a
    /// temporary folder, then renamed into place).
    pub fn write_metrics(
        &self,
        as_of: NaiveDate,
        tables: Vec<(&str, DataFrame)>,
        summary: &serde_json::Value,
    ) -> anyhow::Result<PathBuf> {
        let dir = self.metrics_dir(as_of);
        let parent = self.root.join("metrics");
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-as_of=")
            .tempdir_in(&parent)
            .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?;
        for (name, mut df) in tables {
            write_parquet(&mut df, &tmp.path().join(format!("{name}.parquet")))?;
            write_csv_bom(&mut df, &tmp.path().join(format!("{name}.csv")))?;
        }
        let text = serde_json::to_string_pretty(summary)?;
        std::fs::write(tmp.path().join("summary.json"), text)?;
        let staged = tmp.keep();
        let old = parent.join(format!(
            ".old-{}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("as_of")
        ));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&dir, &old)
                .with_context(|| format!("cannot replace {}", dir.display()))?;
        }
        std::fs::rename(&staged, &dir)
            .with_context(|| format!("cannot write {}", dir.display()))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(dir)
    }

    /// The as_of dates with metric tables, ascending.
    pub fn metric_as_ofs(&self) -> anyhow::Result<Vec<NaiveDate>> {
        let dir = self.root.join("metrics");
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(date) = name.to_str().and_then(|n| n.strip_prefix("as_of=")) else {
                continue;
            };
            if let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                if e.path().join("summary.json").is_file() {
                    out.push(d);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// One metric table of one as_of (`accounts`, `concentration`, `employees`, `tier_migration`).
    pub fn scan_metric(&self, as_of: NaiveDate, name: &str) -> anyhow::Result<Option<LazyFrame>> {
        let path = self.metrics_dir(as_of).join(format!("{name}.parquet"));
        if !path.is_file() {
            return Ok(None);
        }
        scan_parquet_files(&[path]).map(Some)
    }

    /// `summary.json` of one as_of.
    pub fn read_summary(&self, as_of: NaiveDate) -> anyhow::Result<Option<serde_json::Value>> {
        let path = self.metrics_dir(as_of).join("summary.json");
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))?,
        ))
    }
}

/// Lazily scan Parquet files as one frame.
pub fn scan_parquet_files(paths: &[PathBuf]) -> anyhow::Result<LazyFrame> {
    let refs: Vec<PlRefPath> = paths
        .iter()
        .map(|p| PlRefPath::new(p.to_string_lossy().as_ref()))
        .collect();
    let lf = anyhow::Context::with_context(
        LazyFrame::scan_parquet_files(refs.into_iter().collect(), ScanArgsParquet::default()),
        || {
            format!(
                "cannot scan {}",
                paths
                    .first()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )
        },
    )?;
    Ok(lf)
}

/// Parquet writer settings of the lake: zstd, statistics on.
pub fn parquet_writer<W: std::io::Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
}

/// Write one frame to a Parquet file.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    anyhow::Context::with_context(
        parquet_writer(std::io::BufWriter::new(f)).finish(df),
        || format!("cannot write {}", path.display()),
    )?;
    Ok(())
}

/// Write one frame as CSV, UTF-8 with BOM so that Excel opens it cleanly.
pub fn write_csv_bom(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    anyhow::Context::with_context(
        CsvWriter::new(std::io::BufWriter::new(f))
            .include_bom(true)
            .finish(df),
        || format!("cannot write {}", path.display()),
    )?;
    Ok(())
}
