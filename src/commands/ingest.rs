use std::io::Write;

use crate::cli::IngestArgs;
use crate::commands::Context;
use crate::error::ExitStatus;
use crate::ingest::{IngestOptions, IngestReport};
use crate::lake::Lake;

pub fn run(ctx: &Context, args: &IngestArgs) -> anyhow::Result<ExitStatus> {
    let profile_name = args
        .profile
        .clone()
        .unwrap_or_else(|| ctx.settings.default_profile.clone());
    let report = ingest_sources(ctx, &args.sources, &profile_name, args.dry_run)?;
    print_report(ctx, &report)?;
    Ok(ExitStatus::Success)
}

/// Ingest some sources with one profile (shared with `mcr run`).
pub fn ingest_sources(
    ctx: &Context,
    sources: &[std::path::PathBuf],
    profile_name: &str,
    dry_run: bool,
) -> anyhow::Result<IngestReport> {
    let profile = crate::profiles::load(profile_name)?;
    let lake = Lake::open(&ctx.settings.lake);
    let opts = IngestOptions {
        profile: &profile,
        profile_label: profile_name.to_string(),
        strict: ctx.settings.strict,
        dry_run,
        hash_pii: ctx.settings.hash_contact_pii,
        reporting_currency: ctx.settings.reporting_currency.clone(),
        progress: ctx.settings.progress,
    };
    crate::ingest::ingest(&lake, sources, &opts)
}

/// The per-file summary (stderr) or JSON (stdout).
pub fn print_report(ctx: &Context, report: &IngestReport) -> anyhow::Result<()> {
    if ctx.settings.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    if ctx.settings.quiet {
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    if report.noop {
        writeln!(
            err,
            "nothing to ingest: these files were already ingested with profile `{}` (snapshot {})",
            report.profile,
            report.snapshot.as_deref().unwrap_or("?")
        )?;
        return Ok(());
    }
    writeln!(
        err,
        "{:<14} {:>10} {:>10} {:>9} {:>8}  file",
        "table", "read", "accepted", "rejected", "orphans"
    )?;
    for f in &report.files {
        writeln!(
            err,
            "{:<14} {:>10} {:>10} {:>9} {:>8}  {} ({})",
            f.table, f.rows_read, f.accepted, f.rejected, f.orphans, f.path, f.encoding
        )?;
        for r in &f.reject_samples {
            let col = if r.column.is_empty() {
                String::new()
            } else {
                format!(", column {}", r.column)
            };
            writeln!(err, "    line {}{col}: {}", r.line, r.reason)?;
        }
        if f.excluded > 0 {
            writeln!(
                err,
                "    {} rows excluded by the profile (not counted as accepted or rejected)",
                f.excluded
            )?;
        }
        if f.rejected as usize > f.reject_samples.len() {
            writeln!(
                err,
                "    … {} more rejected rows in the rejects file",
                f.rejected as usize - f.reject_samples.len()
            )?;
        }
        if report.dry_run && f.encoding != "derived" {
            let found: Vec<String> = f
                .columns
                .found
                .iter()
                .map(|(c, s)| {
                    if c == s {
                        c.clone()
                    } else {
                        format!("{c}←{s}")
                    }
                })
                .collect();
            writeln!(err, "    found:   {}", found.join(", "))?;
            if !f.columns.derived.is_empty() {
                let derived: Vec<String> = f
                    .columns
                    .derived
                    .iter()
                    .map(|(c, s)| format!("{c}←{s}"))
                    .collect();
                writeln!(err, "    lookup:  {}", derived.join(", "))?;
            }
            if !f.columns.missing.is_empty() {
                writeln!(err, "    missing: {}", f.columns.missing.join(", "))?;
            }
            if !f.columns.ignored.is_empty() {
                writeln!(err, "    ignored: {}", f.columns.ignored.join(", "))?;
            }
        }
    }
    let (read, accepted, rejected) = report.totals();
    writeln!(
        err,
        "{:<14} {:>10} {:>10} {:>9}",
        "total", read, accepted, rejected
    )?;
    for sk in &report.skipped {
        writeln!(
            err,
            "skipped        {} ({}): {}",
            sk.path, sk.table, sk.reason
        )?;
    }
    for d in &report.diagnostics {
        writeln!(err, "{}", d.render())?;
    }
    match (&report.snapshot, report.dry_run) {
        (_, true) => writeln!(err, "dry run: nothing was written")?,
        (Some(s), false) => writeln!(err, "wrote snapshot {s} to {}", ctx.settings.lake.display())?,
        (None, false) => {}
    }
    Ok(())
}
