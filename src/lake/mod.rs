//! The Parquet lake: snapshots, the manifest (replaced atomically, written last), rejects,
//! and the metric tables written by `analyze`.
//!
//! Layout (interface.md): `<lake>/<table>/snapshot=<YYYYMMDDTHHMMSS>/part-0.parquet`,
//! `<lake>/_manifest.json`, `<lake>/_rejects/<table>/snapshot=…/rejects.parquet`,
//! `<lake>/metrics/as_of=<YYYY-MM-DD>/{accounts,concentration,employees,tier_migration}.{parquet,csv}`
//! and `summary.json`.

pub mod manifest;

use std::path::{Path, PathBuf};

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
        let _ = table;
        anyhow::bail!("lake scan not implemented yet")
    }

    /// The folder of one as_of's metric tables.
    pub fn metrics_dir(&self, as_of: NaiveDate) -> PathBuf {
        self.root.join("metrics").join(format!("as_of={}", as_of.format("%Y-%m-%d")))
    }

    /// Write metric tables (each as `<name>.parquet` and `<name>.csv`, UTF-8 with BOM) and
    /// `summary.json` for one as_of, replacing any earlier result atomically.
    pub fn write_metrics(
        &self,
        as_of: NaiveDate,
        tables: Vec<(&str, DataFrame)>,
        summary: &serde_json::Value,
    ) -> anyhow::Result<PathBuf> {
        let _ = (as_of, tables, summary);
        anyhow::bail!("write_metrics not implemented yet")
    }

    /// The as_of dates with metric tables, ascending.
    pub fn metric_as_ofs(&self) -> anyhow::Result<Vec<NaiveDate>> {
        anyhow::bail!("metric_as_ofs not implemented yet")
    }

    /// One metric table of one as_of (`accounts`, `concentration`, `employees`, `tier_migration`).
    pub fn scan_metric(&self, as_of: NaiveDate, name: &str) -> anyhow::Result<Option<LazyFrame>> {
        let _ = (as_of, name);
        anyhow::bail!("scan_metric not implemented yet")
    }

    /// `summary.json` of one as_of.
    pub fn read_summary(&self, as_of: NaiveDate) -> anyhow::Result<Option<serde_json::Value>> {
        let _ = as_of;
        anyhow::bail!("read_summary not implemented yet")
    }
}
