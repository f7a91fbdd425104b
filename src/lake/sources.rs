//! Several sources, one lake. Each snapshot belongs to a source (`[[sources]]` name,
//! `mcr ingest --source`, or `default`); a table's current view is the union over sources of
//! each source's newest snapshot of it, in precedence order ([`Manifest::source_order`]).
//!
//! Keys across sources: a key delivered by several sources is one row. When the rows are
//! identical nothing is lost; when they differ, the strongest source's row is kept and the
//! others are reported as conflicts ([`conflicts`], diagnostic MCR031). Keyless tables
//! (surveys, fx_rates) are the plain union.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::manifest::{Manifest, TableSnapshot};
use super::scan_parquet_files;
use crate::contract::Table;

/// The current view of `table` over every source; `None` when no source has it.
pub fn scan_union(
    root: &Path,
    manifest: &Manifest,
    table: Table,
) -> anyhow::Result<Option<LazyFrame>> {
    let current = manifest.current_all(table.name());
    let frames = source_frames(root, &current)?;
    let mut frames = frames.into_iter();
    match (frames.next(), frames.len()) {
        (None, _) => Ok(None),
        // One source: its snapshot as it is (no extra work on the common path).
        (Some(one), 0) => Ok(Some(one)),
        (Some(first), _) => {
            let all: Vec<LazyFrame> = std::iter::once(first).chain(frames).collect();
            let union = concat(all, UnionArgs::default())?;
            Ok(Some(match table.key() {
                // Strongest source first, so its row wins a key conflict.
                Some(key) => union.unique_stable(Some(cols([key])), UniqueKeepStrategy::First),
                None => union,
            }))
        }
    }
}

fn source_frames(
    root: &Path,
    current: &[(&super::manifest::Snapshot, &TableSnapshot)],
) -> anyhow::Result<Vec<LazyFrame>> {
    current
        .iter()
        .map(|(_, t)| {
            let paths: Vec<PathBuf> = t.parts.iter().map(|p| root.join(p)).collect();
            scan_parquet_files(&paths)
        })
        .collect()
}

/// Cross-source key statistics (defined with the summary that stores them).
pub use crate::contract::summary::SourceConflict as Conflicts;

/// Cross-source key statistics of a keyed table held by more than one source; `None` for a
/// table with one source or no key.
pub fn conflicts(
    root: &Path,
    manifest: &Manifest,
    table: Table,
) -> anyhow::Result<Option<Conflicts>> {
    let Some(key) = table.key() else {
        return Ok(None);
    };
    // Derived accounts only fill in what no source delivers: not a conflict.
    let current: Vec<_> = manifest
        .current_all(table.name())
        .into_iter()
        .filter(|(_, t)| !t.is_derived())
        .collect();
    if current.len() < 2 {
        return Ok(None);
    }
    let frames: Vec<LazyFrame> = source_frames(root, &current)?
        .into_iter()
        .enumerate()
        .map(|(i, lf)| lf.with_column(lit(i as u32).alias("__source")))
        .collect();
    let union = concat(frames, UnionArgs::default())?;
    // Per key: how many sources deliver it, and how many distinct rows (all columns but the
    // source and the hive partition column `snapshot`) there are.
    let distinct_rows = union
        .clone()
        .drop(cols(["__source", "snapshot"]))
        .unique(None, UniqueKeepStrategy::Any)
        .group_by([col(key)])
        .agg([len().alias("rows")]);
    let per_source = union
        .group_by([col(key)])
        .agg([col("__source").n_unique().alias("sources")])
        .filter(col("sources").gt(lit(1u32)));
    let df = per_source
        .join(
            distinct_rows,
            [col(key)],
            [col(key)],
            JoinArgs::new(JoinType::Left),
        )
        .sort([key], SortMultipleOptions::default())
        .collect()?;
    let rows = df.column("rows")?.cast(&DataType::UInt32)?;
    let rows = rows.u32()?;
    let keys = df.column(key)?.str()?;
    let mut conflicting = 0u64;
    let mut examples = Vec::new();
    for (k, r) in keys.iter().zip(rows.iter()) {
        if r.unwrap_or(0) > 1 {
            conflicting += 1;
            if examples.len() < 5 {
                examples.push(k.unwrap_or("").to_string());
            }
        }
    }
    Ok(Some(Conflicts {
        table: table.name().to_string(),
        shared_keys: df.height() as u64,
        conflicting_keys: conflicting,
        examples,
        sources: current.iter().map(|(s, _)| s.source.clone()).collect(),
    }))
}
