//! Reports: model → charts (SVG) → HTML, in Chinese or English.
//!
//! [`render_reports`] reads one as_of's metric tables from the lake (plus the previous as_of,
//! the manifest and `queries/*.sql`), builds the [`model::ReportModel`], draws the charts in
//! parallel ([`charts`]) and writes, under `<reports>/<as_of>/`, one self-contained HTML page
//! per audience, `index.html` and every chart as `charts/<name>.svg`.
//! [`render_from_inputs`] does the same from in-memory inputs (used by tests).

pub mod charts;
pub mod evidence;
pub mod fixture;
pub mod html;
pub mod i18n;
pub mod layout;
pub mod market;
pub mod model;
pub mod queries;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::NaiveDate;
use polars::prelude::{DataFrame, LazyFrame};
use serde::Serialize;

use crate::contract::{Audience, Lang};
use crate::error::hinted;
use crate::lake::Lake;
use crate::metrics::summary::Summary;
use crate::settings::Settings;
use model::{PreviousInputs, ReportInputs};

/// Report settings (the `[report]` config section).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Rows in top-N tables (customer selection, groups, revenue at risk…). Default 20.
    pub top_n: usize,
    /// Bars in top-N charts (relationship profile, revenue at risk). Default 15.
    pub chart_top_n: usize,
    /// Rows of the leadership page's tables (it must fit one page). Default 6.
    pub leadership_top_n: usize,
    /// Accounts labelled by name in the quadrant scatter (top S/A by revenue). Default 12.
    pub scatter_labels: usize,
    /// Most points drawn in the quadrant scatter (all S/A first, the rest sampled). Default 3000.
    pub scatter_max_points: usize,
    /// Points of the Pareto and Lorenz curves (downsampled). Default 500.
    pub curve_points: usize,
    /// Categories shown in industry/region breakdowns; the rest are summed as "other". Default 10.
    pub max_categories: usize,
    /// Rows of a custom query's table. Default 20.
    pub query_rows: usize,
    /// Folder of custom queries (`*.sql`), relative to the config file. Default `queries`.
    pub queries_dir: PathBuf,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            top_n: 20,
            chart_top_n: 15,
            leadership_top_n: 6,
            scatter_labels: 12,
            scatter_max_points: 3000,
            curve_points: 500,
            max_categories: 10,
            query_rows: 20,
            queries_dir: PathBuf::from("queries"),
        }
    }
}

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
    let accounts = collect(lake.scan_metric(as_of, "accounts")?)?.ok_or_else(|| {
        hinted(
            format!(
                "no metric tables for as_of {as_of} in {}",
                lake.metrics_dir(as_of).display()
            ),
            format!("run `mcr analyze --as-of {as_of}` first"),
        )
    })?;
    let concentration = collect(lake.scan_metric(as_of, "concentration")?)?;
    let employees = collect(lake.scan_metric(as_of, "employees")?)?;
    let tier_migration = collect(lake.scan_metric(as_of, "tier_migration")?)?;
    let competitors = collect(lake.scan_metric(as_of, "competitors")?)?;
    let evidence = collect(lake.scan_metric(as_of, "evidence")?)?;
    let summary = read_summary(lake, as_of)?;
    let previous = match lake.metric_as_ofs() {
        Ok(dates) => match dates.into_iter().filter(|d| *d < as_of).max() {
            Some(p) => {
                let prev_summary = read_summary(lake, p);
                let prev_accounts = lake.scan_metric(p, "accounts").and_then(collect);
                match prev_summary {
                    Ok(summary) => Some(PreviousInputs {
                        as_of: p,
                        summary,
                        accounts: prev_accounts.unwrap_or_else(|e| {
                            eprintln!("warning: previous accounts of {p} unreadable: {e:#}");
                            None
                        }),
                    }),
                    Err(e) => {
                        eprintln!(
                            "warning: previous report {p} unreadable, changes not shown: {e:#}"
                        );
                        None
                    }
                }
            }
            None => None,
        },
        Err(e) => {
            eprintln!("warning: cannot list earlier reports: {e:#}");
            None
        }
    };
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
        summary,
        previous,
        manifest,
        queries,
    })
}

/// Render the reports of one as_of from the lake into `<settings.reports>/<as_of>/`.
pub fn render_reports(
    lake: &Lake,
    settings: &Settings,
    as_of: NaiveDate,
    audiences: &[Audience],
    lang: Lang,
) -> anyhow::Result<ReportOutcome> {
    let cfg = &settings.report;
    let queries_dir = if cfg.queries_dir.is_absolute() {
        cfg.queries_dir.clone()
    } else {
        settings
            .config_file
            .as_ref()
            .and_then(|c| c.parent())
            .map(|p| p.join(&cfg.queries_dir))
            .unwrap_or_else(|| cfg.queries_dir.clone())
    };
    let inputs = load_inputs(lake, as_of, &queries_dir, cfg)?;
    render_from_inputs(inputs, cfg, &settings.reports, audiences, lang)
}

/// Render from in-memory inputs into `<out_root>/<as_of>/`.
pub fn render_from_inputs(
    inputs: ReportInputs,
    cfg: &ReportConfig,
    out_root: &Path,
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
    let model = model::build(inputs, cfg);
    let charts = charts::render_all(&model, lang, cfg);
    // The folder name comes from the validated date, never from the data.
    let dir = out_root.join(as_of.format("%Y-%m-%d").to_string());
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
    let query_errors = model
        .queries
        .iter()
        .filter_map(|q| q.error.as_ref().map(|e| format!("{}: {e}", q.file)))
        .collect();
    Ok(ReportOutcome {
        as_of,
        dir,
        pages,
        charts: out_charts,
        query_errors,
    })
}

#[cfg(test)]
mod tests;
