//! Reports: model → charts (SVG) → HTML, in Chinese or English.
//!
//! [`render_reports`] reads one as_of's metric tables from the lake (plus the previous as_of,
//! the manifest and `queries/*.sql`), builds the [`model::ReportModel`], draws the charts in
//! parallel ([`charts`]) and writes, under `<reports>/<as_of>/`, one self-contained HTML page
//! per audience, `index.html` and every chart as `charts/<name>.svg`.
//! [`render_from_inputs`] does the same from in-memory inputs (used by tests).
//!
//! The metric tables are read through their declarations in [`crate::contract::metric_tables`]:
//! a column the report needs that is missing or of another type stops the report with an
//! error naming table and column. What does not stop it — a custom query that fails, an
//! earlier report that cannot be read — is a warning with a stable code in
//! [`ReportOutcome::warnings`]:
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | MCR040 | warning | a custom query (`queries/*.sql`) failed; its section shows the error |
//! | MCR041 | warning | the previous report's metrics cannot be read; changes are not shown |
//! | MCR042 | warning | the earlier reports cannot be listed; changes are not shown |
//! | MCR043 | warning | a chart could not be drawn; its place shows the error |

pub mod browser;
pub mod burst;
pub mod charts;
mod config;
pub mod evidence;
#[cfg(test)]
pub mod fixture;
pub mod html;
pub mod i18n;
pub mod layout;
pub mod model;
pub mod pdf;
pub mod queries;

pub use config::ReportConfig;
pub use model::market;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::{DataFrame, LazyFrame};
use serde::Serialize;

use crate::contract::metric_tables::{MetricTable, SchemaError};
use crate::contract::summary::Summary;
use crate::contract::{Audience, Lang};
use crate::diagnostics::{Code, Diagnostic};
use crate::error::hinted;
use crate::lake::Lake;
use model::{PreviousInputs, ReportInputs};

/// What [`render_reports`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ReportOutcome {
    /// The as_of reported.
    pub as_of: NaiveDate,
    /// `<reports>/<as_of>/`.
    pub dir: PathBuf,
    /// HTML pages written (audience pages — with `leadership-appendix.html` after the leadership
    /// page when custom queries address leadership — then `index.html`).
    pub pages: Vec<PathBuf>,
    /// SVG charts written.
    pub charts: Vec<PathBuf>,
    /// Custom queries that failed: `file: error`.
    pub query_errors: Vec<String>,
    /// What the user should know (MCR040–MCR043): failed queries, unreadable earlier reports.
    pub warnings: Vec<Diagnostic>,
}

fn collect(lf: Option<LazyFrame>) -> anyhow::Result<Option<DataFrame>> {
    lf.map(|lf| lf.collect().map_err(anyhow::Error::from))
        .transpose()
}

fn read_summary(lake: &Lake, as_of: NaiveDate) -> anyhow::Result<Summary> {
    match lake.read_summary(as_of)? {
        Some(v) => serde_json::from_value(v).with_context(|| {
            format!("summary.json of as_of {as_of} does not match the expected layout")
        }),
        None => Ok(Summary::default()),
    }
}

/// Read the inputs of one as_of from the lake (metric tables, summary, previous as_of,
/// manifest) and run the custom queries of `queries_dir`.
pub fn load_inputs(
    lake: &Lake,
    as_of: NaiveDate,
    queries_dir: &Path,
    cfg: &ReportConfig,
) -> anyhow::Result<ReportInputs> {
    let table = |t: MetricTable| collect(lake.scan_metric(as_of, t.name())?);
    let accounts = table(MetricTable::Accounts)?.ok_or_else(|| {
        hinted(
            format!(
                "no metric tables for as_of {as_of} in {}",
                lake.metrics_dir(as_of).display()
            ),
            format!("run `mcr analyze --as-of {as_of}` first"),
        )
    })?;
    let concentration = table(MetricTable::Concentration)?;
    let employees = table(MetricTable::Employees)?;
    let tier_migration = table(MetricTable::TierMigration)?;
    let competitors = table(MetricTable::Competitors)?;
    let evidence = table(MetricTable::Evidence)?;
    let deals = table(MetricTable::Deals)?;
    let summary = read_summary(lake, as_of)?;
    let mut warnings = Vec::new();
    let previous = previous_inputs(lake, as_of, &mut warnings);
    // One manifest read for the sources shown and every query's lake tables.
    let view = lake.view()?;
    let manifest = view.manifest().clone();
    let queries = queries::run_queries(&view, as_of, queries_dir, cfg.query_rows);
    Ok(ReportInputs {
        as_of,
        accounts,
        concentration,
        employees,
        tier_migration,
        competitors,
        evidence,
        deals,
        summary,
        previous,
        manifest,
        queries,
        warnings,
        scope: None,
    })
}

/// The newest report before `as_of`, if any and readable (else a warning: the pages then show
/// no change against it).
fn previous_inputs(
    lake: &Lake,
    as_of: NaiveDate,
    warnings: &mut Vec<Diagnostic>,
) -> Option<PreviousInputs> {
    let dates = match lake.metric_as_ofs() {
        Ok(d) => d,
        Err(e) => {
            warnings.push(
                Diagnostic::warning(
                    Code::Mcr042,
                    format!("cannot list earlier reports, changes not shown: {e:#}"),
                )
                .with_hint("check that the lake's metrics folder is readable"),
            );
            return None;
        }
    };
    let p = dates.into_iter().filter(|d| *d < as_of).max()?;
    let rerun = format!("run `mcr analyze --as-of {p}` again to compare with it");
    let summary = match read_summary(lake, p) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(
                Diagnostic::warning(
                    Code::Mcr041,
                    format!("previous report {p} unreadable, changes not shown: {e:#}"),
                )
                .with_hint(rerun),
            );
            return None;
        }
    };
    let accounts = lake
        .scan_metric(p, MetricTable::Accounts.name())
        .and_then(collect)
        .and_then(|df| match &df {
            Some(d) => model::check_accounts(d).map(|_| df).map_err(Into::into),
            None => Ok(df),
        })
        .unwrap_or_else(|e| {
            warnings.push(
                Diagnostic::warning(
                    Code::Mcr041,
                    format!("previous accounts of {p} unreadable, tier moves shown against tier_prev: {e:#}"),
                )
                .with_hint(rerun.clone()),
            );
            None
        });
    Some(PreviousInputs {
        as_of: p,
        summary,
        accounts,
    })
}

/// The error of a metric table the report cannot read, with how to fix it.
fn schema_error(as_of: NaiveDate, e: SchemaError) -> anyhow::Error {
    hinted(
        format!("cannot report as_of {as_of}: {e}"),
        format!(
            "the metric tables were written by another version of mcr: run `mcr analyze --as-of {as_of}` again"
        ),
    )
}

/// Render the reports of one as_of from the lake into `<out_root>/<as_of>/`; custom queries
/// come from `queries_dir` (resolved by `Settings::queries_dir`).
pub fn render_reports(
    lake: &Lake,
    cfg: &ReportConfig,
    queries_dir: &Path,
    out_root: &Path,
    as_of: NaiveDate,
    audiences: &[Audience],
    lang: Lang,
) -> anyhow::Result<ReportOutcome> {
    let inputs = load_inputs(lake, as_of, queries_dir, cfg)?;
    render_from_inputs(inputs, cfg, out_root, audiences, lang)
}

/// Render from in-memory inputs into `<out_root>/<as_of>/`.
pub fn render_from_inputs(
    inputs: ReportInputs,
    cfg: &ReportConfig,
    out_root: &Path,
    audiences: &[Audience],
    lang: Lang,
) -> anyhow::Result<ReportOutcome> {
    // The folder name comes from the validated date, never from the data.
    let dir = out_root.join(inputs.as_of.format("%Y-%m-%d").to_string());
    render_into(inputs, cfg, &dir, audiences, lang)
}

/// Render from in-memory inputs into `dir` (pages, `index.html`, `charts/`).
pub fn render_into(
    mut inputs: ReportInputs,
    cfg: &ReportConfig,
    dir: &Path,
    audiences: &[Audience],
    lang: Lang,
) -> anyhow::Result<ReportOutcome> {
    let as_of = inputs.as_of;
    let audiences: Vec<Audience> = if audiences.is_empty() {
        Audience::ALL.to_vec()
    } else {
        Audience::ALL
            .iter()
            .copied()
            .filter(|a| audiences.contains(a))
            .collect()
    };
    let mut warnings = std::mem::take(&mut inputs.warnings);
    let model = model::build(inputs, cfg).map_err(|e| schema_error(as_of, e))?;
    let charts = charts::render_all(&model, lang, cfg);
    for c in charts.values() {
        if let Some(e) = &c.error {
            warnings.push(
                Diagnostic::warning(
                    Code::Mcr043,
                    format!(
                        "chart {} could not be drawn (its place shows why): {e}",
                        c.name
                    ),
                )
                .with_hint("please report this bug with the message above"),
            );
        }
    }
    let dir = dir.to_path_buf();
    let chart_dir = dir.join("charts");
    std::fs::create_dir_all(&chart_dir)
        .with_context(|| format!("cannot create the reports folder {}", chart_dir.display()))?;
    let settings_used = vec![
        (
            "report.lang".to_string(),
            format!("{lang:?}").to_lowercase(),
        ),
        ("report.top_n".to_string(), cfg.top_n.to_string()),
        (
            "report.chart_top_n".to_string(),
            cfg.chart_top_n.to_string(),
        ),
        (
            "report.scatter_labels".to_string(),
            cfg.scatter_labels.to_string(),
        ),
        (
            "report.max_categories".to_string(),
            cfg.max_categories.to_string(),
        ),
    ];
    let mut out_charts = Vec::new();
    for c in charts.values().filter(|c| audiences.contains(&c.audience)) {
        let p = chart_dir.join(format!("{}.svg", c.name));
        std::fs::write(&p, &c.svg).with_context(|| format!("cannot write {}", p.display()))?;
        out_charts.push(p);
    }
    let mut pages = Vec::new();
    for a in &audiences {
        let page_charts: BTreeMap<String, charts::Chart> = charts
            .iter()
            .filter(|(_, c)| c.audience == *a)
            .map(|(k, c)| (k.clone(), c.clone()))
            .collect();
        let html = html::render_page(*a, lang, &model, &page_charts, cfg, &settings_used)
            .with_context(|| format!("cannot render the {} report", a.name()))?;
        let p = dir.join(format!("{}.html", a.name()));
        std::fs::write(&p, html).with_context(|| format!("cannot write {}", p.display()))?;
        pages.push(p);
        // Leadership queries go to an appendix page: the summary stays one A4 sheet.
        if *a == Audience::Leadership && html::has_leadership_appendix(&model) {
            let html =
                html::render_leadership_appendix(lang, &model, &page_charts, cfg, &settings_used)
                    .context("cannot render the leadership appendix")?;
            let p = dir.join(format!("{}.html", html::LEADERSHIP_APPENDIX));
            std::fs::write(&p, html).with_context(|| format!("cannot write {}", p.display()))?;
            pages.push(p);
        }
    }
    let index = html::render_index(lang, &model, &audiences)?;
    let p = dir.join("index.html");
    std::fs::write(&p, index).with_context(|| format!("cannot write {}", p.display()))?;
    pages.push(p);
    let mut query_errors = Vec::new();
    for q in &model.queries {
        if let Some(e) = &q.error {
            query_errors.push(format!("{}: {e}", q.file));
            warnings.push(
                Diagnostic::warning(Code::Mcr040, format!("query {} failed: {e}", q.file))
                    .with_hint("fix the query (its section on the page shows the error), or remove the file from the queries folder"),
            );
        }
    }
    Ok(ReportOutcome {
        as_of,
        dir,
        pages,
        charts: out_charts,
        query_errors,
        warnings,
    })
}

#[cfg(test)]
mod tests;
