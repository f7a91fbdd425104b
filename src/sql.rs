//! Polars SQL context over lake and metric tables: lake tables under their names
//! (`accounts`, `contacts`, …) and the metric tables of one as_of as `metrics_<name>`
//! (`metrics_accounts`, `metrics_concentration`, `metrics_employees`, `metrics_tier_migration`,
//! `metrics_competitors`, `metrics_evidence`: every [`MetricTable`]).
//!
//! The report's `queries/*.sql` run through [`query`]; their header comments (`-- title: …`,
//! `-- title.zh: …`, `-- title.en: …`, `-- audience: …`, `-- chart: …`) are read by
//! [`crate::report::queries::parse_header`].

use chrono::NaiveDate;
use polars::prelude::DataFrame;
use polars::sql::SQLContext;

use crate::contract::metric_tables::MetricTable;
use crate::contract::Table;
use crate::error::hinted;
use crate::lake::LakeView;

/// A SQL context with every available table registered; returns the registered names too.
/// Every lake table comes from `view`, one state of the lake.
pub fn context(
    view: &LakeView,
    as_of: Option<NaiveDate>,
) -> anyhow::Result<(SQLContext, Vec<String>)> {
    let ctx = SQLContext::new();
    let mut names = Vec::new();
    let lake = view.lake();
    for t in Table::ALL {
        if let Some(lf) = view.scan(t)? {
            ctx.register(t.name(), lf);
            names.push(t.name().to_string());
        }
    }
    let as_of = match as_of {
        Some(d) => Some(d),
        None => lake.metric_as_ofs()?.into_iter().next_back(),
    };
    if let Some(d) = as_of {
        for m in MetricTable::ALL.map(MetricTable::name) {
            if let Some(lf) = lake.scan_metric(d, m)? {
                let name = format!("metrics_{m}");
                ctx.register(&name, lf);
                names.push(name);
            }
        }
    }
    Ok((ctx, names))
}

/// Run one SQL statement over the current lake and the metric tables of `as_of` (the newest
/// analyzed when `None`). SQL errors carry a hint listing the table names.
pub fn query(view: &LakeView, as_of: Option<NaiveDate>, sql: &str) -> anyhow::Result<DataFrame> {
    let (mut ctx, names) = context(view, as_of)?;
    let hint = || {
        let mut h = format!(
            "tables: {}",
            if names.is_empty() {
                "(none)".to_string()
            } else {
                names.join(", ")
            }
        );
        if !names.iter().any(|n| n.starts_with("metrics_")) {
            h.push_str("; the metrics_* tables appear after `mcr analyze`");
        }
        if !names.iter().any(|n| n == "accounts") {
            h.push_str("; lake tables appear after `mcr ingest`");
        }
        h
    };
    let lf = ctx
        .execute(sql)
        .map_err(|e| hinted(format!("SQL error: {e}"), hint()))?;
    lf.collect()
        .map_err(|e| hinted(format!("SQL error: {e}"), hint()))
}
