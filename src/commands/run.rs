//! `mcr run`: the scheduled job — ingest every configured source, analyze, render every
//! report — ending with a one-screen summary. Any failing stage makes the exit status 1; a
//! failed source stops before analyze, so reports are never made from a half-updated lake.

use std::io::Write;

use crate::cli::RunArgs;
use crate::commands::Context;
use crate::contract::Audience;
use crate::error::ExitStatus;
use crate::lake::Lake;

pub fn run(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let started = std::time::Instant::now();
    // One lock for the whole job: ingest and analyze of this run are one unit for other
    // writers. A scheduled run waits (default 300 s) behind a manual ingest.
    let _lock = Lake::open(&ctx.settings.lake)
        .lock(std::time::Duration::from_secs(ctx.settings.lock_wait_secs))?;
    let mut lines: Vec<String> = Vec::new();
    for source in &ctx.settings.sources {
        let profile = source
            .profile
            .clone()
            .unwrap_or_else(|| ctx.settings.default_profile.clone());
        ctx.info(format!(
            "── ingest {} (profile {profile})",
            source.path.display()
        ));
        let report = super::ingest::ingest_sources(
            ctx,
            std::slice::from_ref(&source.path),
            &profile,
            source
                .name
                .as_deref()
                .unwrap_or(crate::lake::manifest::DEFAULT_SOURCE),
            false,
            args.force,
        )
        .map_err(|e| {
            e.context(format!(
                "stage ingest failed for source {}",
                source.path.display()
            ))
        })?;
        super::ingest::print_report(ctx, &report)?;
        let (read, accepted, rejected) = report.totals();
        lines.push(if report.noop {
            format!(
                "ingest   {}: unchanged since snapshot {}",
                source.path.display(),
                report.snapshot.as_deref().unwrap_or("?")
            )
        } else {
            format!(
                "ingest   {}: {read} rows read, {accepted} accepted, {rejected} rejected",
                source.path.display()
            )
        });
    }
    ctx.info("── analyze");
    let (as_of, metrics_dir) =
        super::analyze::analyze_lake(ctx).map_err(|e| e.context("stage analyze failed"))?;
    lines.push(format!(
        "analyze  as_of {as_of} → {}",
        metrics_dir.display()
    ));
    ctx.info("── report");
    let lake = Lake::open(&ctx.settings.lake);
    let outcome = crate::report::render_reports(
        &lake,
        &ctx.settings.report,
        &ctx.settings.queries_dir(),
        &ctx.settings.reports,
        as_of,
        &Audience::ALL,
        ctx.settings.lang,
    )
    .map_err(|e| e.context("stage report failed"))?;
    let extras = super::report::extras(ctx, &lake, &outcome)
        .map_err(|e| e.context("stage report failed"))?;
    // With --json the warnings are in the summary (`reports.warnings`); --quiet silences them.
    if !ctx.settings.json && !ctx.settings.quiet {
        for w in &outcome.warnings {
            eprintln!("{}", w.render());
        }
    }
    let mut out = std::io::stdout().lock();
    if ctx.settings.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "as_of": as_of.to_string(),
                "metrics": metrics_dir,
                "reports": outcome,
                "bursts": extras,
                "seconds": started.elapsed().as_secs_f64(),
            }),
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "\nmcr run finished in {:.1}s",
            started.elapsed().as_secs_f64()
        )?;
        for l in &lines {
            writeln!(out, "  {l}")?;
        }
        writeln!(
            out,
            "  report   {}",
            outcome.dir.join("index.html").display()
        )?;
        let index = outcome.dir.join("index.html");
        for p in outcome.pages.iter().filter(|p| **p != index) {
            writeln!(out, "           {}", p.display())?;
        }
        if let Some(i) = &extras.bursts_index {
            writeln!(out, "  bursts   {} ({})", i.display(), extras.bursts)?;
        }
        if !extras.pdfs.is_empty() {
            writeln!(out, "  pdf      {} pages", extras.pdfs.len())?;
        }
        if !outcome.query_errors.is_empty() {
            writeln!(
                out,
                "  {} queries failed (see above)",
                outcome.query_errors.len()
            )?;
        }
    }
    Ok(if outcome.query_errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
