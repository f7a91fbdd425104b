use std::io::Write;

use serde::Serialize;

use crate::cli::LakeCommand;
use crate::commands::Context;
use crate::error::ExitStatus;
use crate::fmt::{human_bytes, ByteUnits};
use crate::lake::Lake;

#[derive(Serialize)]
struct TableStatus {
    table: String,
    /// The source this row's snapshot belongs to (one row per table and source).
    source: String,
    snapshot: String,
    snapshots: usize,
    rows: u64,
    bytes: u64,
    rejected: u64,
    orphans: u64,
    files: usize,
}

#[derive(Serialize)]
struct Status {
    lake: String,
    last_ingest: Option<String>,
    profile: Option<String>,
    /// Sources in precedence order (the earlier wins a key conflict).
    sources: Vec<String>,
    tables: Vec<TableStatus>,
    metrics_as_of: Vec<String>,
}

pub fn run(ctx: &Context, cmd: &LakeCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        LakeCommand::Status => status(ctx),
        LakeCommand::DropSource { name, wait } => drop_source(ctx, name, *wait),
    }
}

fn status(ctx: &Context) -> anyhow::Result<ExitStatus> {
    let lake = Lake::open(&ctx.settings.lake);
    let manifest = lake.manifest()?;
    let mut tables = Vec::new();
    for t in crate::contract::Table::ALL {
        for (snap, ts) in manifest.current_all(t.name()) {
            let bytes = ts
                .parts
                .iter()
                .filter_map(|p| std::fs::metadata(lake.root().join(p)).ok())
                .map(|m| m.len())
                .sum();
            tables.push(TableStatus {
                table: t.name().into(),
                source: snap.source.clone(),
                snapshot: snap.id.clone(),
                snapshots: manifest
                    .snapshots
                    .iter()
                    .filter(|s| s.source == snap.source && s.tables.contains_key(t.name()))
                    .count(),
                rows: ts.rows,
                bytes,
                rejected: ts.files.iter().map(|f| f.rejected).sum(),
                orphans: ts.files.iter().map(|f| f.orphans).sum(),
                files: ts.files.len(),
            });
        }
    }
    let last = manifest.snapshots.last();
    let status = Status {
        lake: lake.root().display().to_string(),
        last_ingest: last.map(|s| s.created_at.clone()),
        profile: last.map(|s| s.profile.clone()),
        sources: manifest.source_order(),
        tables,
        metrics_as_of: lake
            .metric_as_ofs()?
            .iter()
            .map(|d| d.to_string())
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    if ctx.settings.json {
        serde_json::to_writer_pretty(&mut out, &status)?;
        writeln!(out)?;
        return Ok(ExitStatus::Success);
    }
    if status.tables.is_empty() {
        writeln!(
            out,
            "lake {} is empty — run `mcr ingest <exports>` or `mcr run`",
            status.lake
        )?;
        return Ok(ExitStatus::Success);
    }
    writeln!(
        out,
        "lake {}  (last ingest {}, profile {}; sources {})",
        status.lake,
        status.last_ingest.as_deref().unwrap_or("-"),
        status.profile.as_deref().unwrap_or("-"),
        status.sources.join(" > ")
    )?;
    let src_w = status
        .tables
        .iter()
        .map(|t| t.source.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "{:<14} {:<src_w$} {:<31} {:>5} {:>11} {:>11} {:>9} {:>8}",
        "table", "source", "snapshot", "snaps", "rows", "size", "rejected", "orphans"
    )?;
    for t in &status.tables {
        writeln!(
            out,
            "{:<14} {:<src_w$} {:<31} {:>5} {:>11} {:>11} {:>9} {:>8}",
            t.table,
            t.source,
            t.snapshot,
            t.snapshots,
            t.rows,
            human_bytes(t.bytes, ByteUnits::Short),
            t.rejected,
            t.orphans
        )?;
    }
    if !status.metrics_as_of.is_empty() {
        writeln!(out, "metrics as_of: {}", status.metrics_as_of.join(", "))?;
    }
    Ok(ExitStatus::Success)
}

/// `mcr lake drop-source NAME`: a new manifest without the source's snapshots (atomic, under
/// the lock), then their folders are removed.
fn drop_source(ctx: &Context, name: &str, wait: u64) -> anyhow::Result<ExitStatus> {
    let lake = Lake::open(&ctx.settings.lake);
    let _lock = lake.lock(std::time::Duration::from_secs(wait))?;
    let manifest = lake.manifest()?;
    let known = manifest.source_order();
    let dropped = crate::lake::transaction::drop_source(lake.root(), manifest, name)?;
    if dropped == 0 {
        return Err(crate::error::UsageError::new(format!(
            "the lake {} has no source `{name}`",
            lake.root().display()
        ))
        .with_hint(format!(
            "sources in this lake: {}",
            if known.is_empty() {
                "(none)".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    }
    ctx.info(format!(
        "dropped source `{name}` ({dropped} snapshots) from {}",
        lake.root().display()
    ));
    Ok(ExitStatus::Success)
}
