//! The Parquet lake: snapshots, the manifest (replaced atomically, written last), rejects,
//! and the metric tables written by `analyze`.
//!
//! Layout (interface.md): `<lake>/<table>/snapshot=<YYYYMMDDTHHMMSS>/part-0.parquet`,
//! `<lake>/_manifest.json`, `<lake>/_rejects/<table>/snapshot=…/rejects.parquet`,
//! `<lake>/metrics/as_of=<YYYY-MM-DD>/{accounts,concentration,employees,tier_migration}.{parquet,csv}`
//! and `summary.json`.

pub mod excel;
pub mod lock;
pub mod manifest;
pub mod sources;
pub mod transaction;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::contract::Table;
pub use lock::LakeLock;
pub use manifest::Manifest;

/// 64 random bits from the operating system's random source (std seeds `RandomState` from
/// it), mixed with the clock. For snapshot-id suffixes and temporary names, not for secrets
/// that need more than 64 bits (the salt draws several).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// fsync a folder so that renames into it are durable (a no-op where folders cannot be
/// opened, as on Windows).
pub fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// One consistent view of the lake: the manifest read once, every table taken from it. An
/// ingest that commits while a command runs does not mix into what the command reads.
#[derive(Debug, Clone)]
pub struct LakeView {
    root: PathBuf,
    manifest: Manifest,
}

impl LakeView {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lake this view was taken of (for its metric tables).
    pub fn lake(&self) -> Lake {
        Lake::open(&self.root)
    }

    /// The current view of a table — the union over sources of each source's newest
    /// snapshot, a key kept once (see [`sources`]) — with the canonical columns and dtypes of
    /// `contract`; `None` when the table was never ingested.
    pub fn scan(&self, table: Table) -> anyhow::Result<Option<LazyFrame>> {
        sources::scan_union(&self.root, &self.manifest, table)
    }

    /// Keys that several sources deliver with different rows, per keyed table held by more
    /// than one source.
    pub fn conflicts(&self) -> anyhow::Result<Vec<sources::Conflicts>> {
        let mut out = Vec::new();
        for t in Table::ALL {
            if let Some(c) = sources::conflicts(&self.root, &self.manifest, t)? {
                out.push(c);
            }
        }
        Ok(out)
    }
}

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

    /// The lake as of now: the manifest read once (see [`LakeView`]).
    pub fn view(&self) -> anyhow::Result<LakeView> {
        Ok(LakeView {
            root: self.root.clone(),
            manifest: self.manifest()?,
        })
    }

    /// Take the lake's writer lock (see [`lock`]).
    pub fn lock(&self, wait: std::time::Duration) -> anyhow::Result<LakeLock> {
        LakeLock::acquire(&self.root, &lock::this_command(), wait).map_err(|e| {
            let hint = e.hint();
            crate::error::hinted(e.to_string(), hint)
        })
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
        remove_metric_leftovers(&parent);
        // Created like any folder of the user's (umask), not 0700 as a tempdir would be, so
        // that a reporting account can read the tables.
        let staged = parent.join(format!(
            ".tmp-as_of={}-{:08x}",
            as_of.format("%Y-%m-%d"),
            random_u64() as u32
        ));
        std::fs::create_dir(&staged)
            .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?;
        let write_all = || -> anyhow::Result<()> {
            // Parquet on this thread, CSV on another: each format's writer leaves a core
            // idle much of the time (1 M accounts: 10 s one after the other).
            std::thread::scope(|scope| -> anyhow::Result<()> {
                let csvs: Vec<(&str, DataFrame)> =
                    tables.iter().map(|(n, df)| (*n, df.clone())).collect();
                let staged = &staged;
                let csv_job = scope.spawn(move || -> anyhow::Result<()> {
                    for (name, mut df) in csvs {
                        write_csv_bom(&mut df, &staged.join(format!("{name}.csv")))?;
                    }
                    Ok(())
                });
                for (name, mut df) in tables {
                    write_parquet(&mut df, &staged.join(format!("{name}.parquet")))?;
                }
                csv_job
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the CSV writer thread panicked")))
            })?;
            let text = serde_json::to_string_pretty(summary)?;
            std::fs::write(staged.join("summary.json"), text)?;
            Ok(())
        };
        if let Err(e) = write_all() {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(e);
        }
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
        sync_dir(&parent);
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

/// Tidy what an interrupted analyze left (callers hold the lake's lock, so no other analyze
/// is writing): `.tmp-as_of=…` folders are removed; an `.old-as_of=…` folder whose
/// replacement never arrived (killed between the two renames) is put back, else removed.
fn remove_metric_leftovers(metrics: &Path) {
    let Ok(entries) = std::fs::read_dir(metrics) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".tmp-as_of=") {
            let _ = std::fs::remove_dir_all(e.path());
        } else if let Some(orig) = name.strip_prefix(".old-") {
            let target = metrics.join(orig);
            if orig.starts_with("as_of=") && !target.exists() {
                let _ = std::fs::rename(e.path(), &target);
            } else {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
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

/// The lake's Parquet compression: zstd at level 1. Against zstd's default level (3) it
/// ingests 8 % faster for 9 % more bytes (200 k accounts: 19.4 s / 266 MB against 21.2 s /
/// 245 MB, best of three each, 2026-12-03; docs/decisions.md).
pub const ZSTD_LEVEL: i32 = 1;

/// [`ZSTD_LEVEL`] as polars' option.
pub fn compression() -> ParquetCompression {
    ParquetCompression::Zstd(polars::polars_utils::compression::ZstdLevel::try_new(ZSTD_LEVEL).ok())
}

/// Parquet writer settings of the lake: zstd ([`compression`]), statistics on.
pub fn parquet_writer<W: std::io::Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(compression())
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

/// Write one frame as CSV, UTF-8 with BOM so that Excel opens it cleanly, with formula-like
/// text cells neutralised ([`excel`]).
pub fn write_csv_bom(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut safe = excel::excel_safe(df)?;
    anyhow::Context::with_context(
        CsvWriter::new(std::io::BufWriter::new(f))
            .include_bom(true)
            .finish(&mut safe),
        || format!("cannot write {}", path.display()),
    )?;
    Ok(())
}
