use std::io::Write;
use std::time::Duration;

use crate::cli::IngestArgs;
use crate::commands::Context;
use crate::error::ExitStatus;
use crate::ingest::{fingerprint, IngestOptions, IngestReport};
use crate::lake::Lake;

pub fn run(ctx: &Context, args: &IngestArgs) -> anyhow::Result<ExitStatus> {
    let profile_name = args
        .profile
        .clone()
        .unwrap_or_else(|| ctx.settings.default_profile.clone());
    // A dry run writes nothing and takes no lock.
    let _lock = if args.dry_run {
        None
    } else {
        Some(
            Lake::open(&ctx.settings.lake)
                .lock(Duration::from_secs(ctx.settings.lock_wait_secs))?,
        )
    };
    let source = source_for(ctx, args)?;
    let report = ingest_sources(
        ctx,
        &args.sources,
        &profile_name,
        &source,
        args.dry_run,
        args.force,
    )?;
    print_report(ctx, &report)?;
    Ok(ExitStatus::Success)
}

/// The source an `mcr ingest` writes: `--source`, else the `[[sources]]` entry whose path is
/// the one given, else `default`.
fn source_for(ctx: &Context, args: &IngestArgs) -> anyhow::Result<String> {
    if let Some(name) = &args.source {
        let name = name.trim().to_string();
        crate::settings::check_source_name(&name).map_err(|e| {
            crate::error::UsageError::new(format!("invalid --source: {e}"))
                .with_hint("use a short name such as --source crm")
        })?;
        return Ok(name);
    }
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let [one] = args.sources.as_slice() {
        if let Some(s) = ctx.settings.sources.iter().find(|s| same(&s.path, one)) {
            if let Some(n) = &s.name {
                return Ok(n.clone());
            }
        }
    }
    Ok(crate::lake::manifest::DEFAULT_SOURCE.to_string())
}

/// Ingest some export paths with one profile into one source (shared with `mcr run`). The
/// caller holds the lake's lock unless this is a dry run.
pub fn ingest_sources(
    ctx: &Context,
    sources: &[std::path::PathBuf],
    profile_name: &str,
    source: &str,
    dry_run: bool,
    force: bool,
) -> anyhow::Result<IngestReport> {
    let profile = crate::profiles::load(profile_name)?;
    let inputs = fingerprint::inputs(&fingerprint::RowOptions {
        profile_text: &crate::profiles::source_text(profile_name)?,
        strict: ctx.settings.strict,
        hash_contact_pii: ctx.settings.hash_contact_pii,
        reporting_currency: ctx.settings.reporting_currency.as_deref().unwrap_or("auto"),
    });
    let lake = Lake::open(&ctx.settings.lake);
    let opts = IngestOptions {
        profile: &profile,
        profile_label: profile_name.to_string(),
        strict: ctx.settings.strict,
        dry_run,
        hash_pii: ctx.settings.hash_contact_pii,
        reporting_currency: ctx.settings.reporting_currency.clone(),
        progress: ctx.settings.progress,
        force,
        inputs,
        source: source.to_string(),
        // The configured order, when there is a config; else keep what the lake has.
        precedence: if ctx.settings.config_file.is_some() {
            ctx.settings
                .sources
                .iter()
                .filter_map(|s| s.name.clone())
                .collect()
        } else {
            Vec::new()
        },
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
            "nothing to ingest: these files were already ingested with profile `{}` and the same options (snapshot {}); `--force` ingests them again",
            report.profile,
            report.snapshot.as_deref().unwrap_or("?")
        )?;
        return Ok(());
    }
    if !report.reingest_because.is_empty() && !report.dry_run {
        writeln!(
            err,
            "these files are already in the lake; ingesting them again because of: {}",
            report.reingest_because.join("; ")
        )?;
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
