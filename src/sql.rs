//! Polars SQL context over lake and metric tables: lake tables under their names
//! (`accounts`, `contacts`, …) and the metric tables of one as_of as `metrics_accounts`,
//! `metrics_concentration`, `metrics_employees`, `metrics_tier_migration`.

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::lake::Lake;

/// Run one SQL statement over the current lake and the metric tables of `as_of`.
pub fn query(lake: &Lake, as_of: Option<NaiveDate>, sql: &str) -> anyhow::Result<DataFrame> {
    let _ = (lake, as_of, sql);
    anyhow::bail!("sql not implemented yet")
}
