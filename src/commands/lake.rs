use std::io::Write;

use serde::Serialize;

use crate::cli::LakeCommand;
use crate::commands::Context;
use crate::error::ExitStatus;
use crate::lake::Lake;

#[derive(Serialize)]
struct TableStatus {
    table: String,
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
    tables: Vec<TableStatus>,
    metrics_as_of: Vec<String>,
}

pub fn run(ctx: &Context, cmd: &LakeCommand) -> anyhow::Result<ExitStatus> {
    let LakeCommand::Status = cmd;
    let lake = Lake::open(&ctx.settings.lake);
    let manifest = lake.manifest()?;
    let mut tables = Vec::new();
    for t in crate::contract::Table::ALL {
        let Some((snap, ts)) = manifest.current(t.name()) else {
            continue;
        };
        let bytes = ts
            .parts
            .iter()
            .filter_map(|p| std::fs::metadata(lake.root().join(p)).ok())
            .map(|m| m.len())
            .sum();
        tables.push(TableStatus {
            table: t.name().into(),
            snapshot: snap.id.clone(),
            snapshots: manifest
                .snapshots
                .iter()
                .filter(|s| s.tables.contains_key(t.name()))
                .count(),
            rows: ts.rows,
            bytes,
            rejected: ts.files.iter().map(|f| f.rejected).sum(),
            orphans: ts.files.iter().map(|f| f.orphans).sum(),
            files: ts.files.len(),
        });
    }
    let last = manifest.snapshots.last();
    let status = Status {
        lake: lake.root().display().to_string(),
        last_ingest: last.map(|s| s.created_at.clone()),
        profile: last.map(|s| s.profile.clone()),
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
        "lake {}  (last ingest {}, profile {})",
        status.lake,
        status.last_ingest.as_deref().unwrap_or("-"),
        status.profile.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "{:<14} {:<16} {:>5} {:>11} {:>11} {:>9} {:>8}",
        "table", "snapshot", "snaps", "rows", "size", "rejected", "orphans"
    )?;
    for t in &status.tables {
        writeln!(
            out,
            "{:<14} {:<16} {:>5} {:>11} {:>11} {:>9} {:>8}",
            t.table,
            t.snapshot,
            t.snapshots,
            t.rows,
            human_bytes(t.bytes),
            t.rejected,
            t.orphans
        )?;
    }
    if !status.metrics_as_of.is_empty() {
        writeln!(out, "metrics as_of: {}", status.metrics_as_of.join(", "))?;
    }
    Ok(ExitStatus::Success)
}

fn human_bytes(b: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}
