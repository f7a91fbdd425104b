//! `mcr report`: render charts and HTML for one as_of.

use crate::cli::ReportArgs;
use crate::commands::Context;
use crate::contract::Audience;
use crate::error::{hinted, ExitStatus};
use crate::lake::Lake;
use crate::report::render_reports;
use crate::settings::AsOf;

/// Resolve as_of (flag/config, or the newest analyzed), audiences and language, render, and
/// print the paths written (or a JSON summary with `--json`).
pub fn run(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let s = &ctx.settings;
    let lake = Lake::open(&s.lake);
    let as_of = match s.as_of {
        AsOf::Date(d) => d,
        AsOf::Latest => {
            let dates = lake.metric_as_ofs()?;
            match dates.last() {
                Some(d) => *d,
                None => {
                    return Err(hinted(
                        format!(
                            "no analyzed metrics in {}",
                            lake.root().join("metrics").display()
                        ),
                        "run `mcr analyze` first",
                    ))
                }
            }
        }
    };
    ctx.info(format!("rendering reports for as_of {as_of}…"));
    let audiences: Vec<Audience> = args.audience.iter().map(|&a| a.into()).collect();
    let outcome = render_reports(
        &lake,
        &s.report,
        &s.queries_dir(),
        &s.reports,
        as_of,
        &audiences,
        s.lang,
    )?;
    if s.json {
        crate::commands::out(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&outcome)?
        ))?;
    } else {
        for p in &outcome.pages {
            crate::commands::out(format_args!("{}\n", p.display()))?;
        }
        ctx.info(format!(
            "{} charts in {}",
            outcome.charts.len(),
            outcome.dir.join("charts").display()
        ));
    }
    // With --json the warnings are in the summary; --quiet silences them (as analyze's).
    if !s.json && !s.quiet {
        for w in &outcome.warnings {
            eprintln!("{}", w.render());
        }
    }
    Ok(ExitStatus::Success)
}
