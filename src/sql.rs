//! Polars SQL context over lake and metric tables: lake tables under their names
//! (`accounts`, `contacts`, …) and the metric tables of one as_of as `metrics_accounts`,
//! `metrics_concentration`, `metrics_employees`, `metrics_tier_migration`, `metrics_competitors`.
//!
//! `queries/*.sql` start with header comments read by [`QueryHeader::parse`]:
//! `-- title: …`, `-- audience: strategy|finance|leadership`, `-- chart: bar|line|table`.

use chrono::NaiveDate;
use polars::prelude::DataFrame;
use polars::sql::SQLContext;

use crate::contract::Table;
use crate::error::hinted;
use crate::lake::Lake;

/// The metric tables registered as `metrics_<name>`.
pub const METRIC_TABLES: [&str; 5] = [
    "accounts",
    "concentration",
    "employees",
    "tier_migration",
    "competitors",
];

/// A SQL context with every available table registered; returns the registered names too.
pub fn context(lake: &Lake, as_of: Option<NaiveDate>) -> anyhow::Result<(SQLContext, Vec<String>)> {
    let ctx = SQLContext::new();
    let mut names = Vec::new();
    for t in Table::ALL {
        if let Some(lf) = lake.scan(t)? {
            ctx.register(t.name(), lf);
            names.push(t.name().to_string());
        }
    }
    let as_of = match as_of {
        Some(d) => Some(d),
        None => lake.metric_as_ofs()?.into_iter().next_back(),
    };
    if let Some(d) = as_of {
        for m in METRIC_TABLES {
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
pub fn query(lake: &Lake, as_of: Option<NaiveDate>, sql: &str) -> anyhow::Result<DataFrame> {
    let (mut ctx, names) = context(lake, as_of)?;
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

/// The header comments of a `queries/*.sql` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryHeader {
    pub title: Option<String>,
    /// `strategy`, `finance` or `leadership`.
    pub audience: Option<String>,
    /// `bar`, `line` or `table`.
    pub chart: Option<String>,
}

impl QueryHeader {
    /// Read `-- key: value` lines at the top of the file (until the first non-comment line).
    pub fn parse(sql: &str) -> QueryHeader {
        let mut h = QueryHeader::default();
        for line in sql.lines() {
            let l = line.trim();
            if l.is_empty() {
                continue;
            }
            let Some(c) = l.strip_prefix("--") else { break };
            if let Some((k, v)) = c.split_once(':') {
                let v = Some(v.trim().to_string());
                match k.trim().to_ascii_lowercase().as_str() {
                    "title" => h.title = v,
                    "audience" => h.audience = v,
                    "chart" => h.chart = v,
                    _ => {}
                }
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_parsed() {
        let h = QueryHeader::parse(
            "-- title: Top accounts\n-- audience: strategy\n-- chart: bar\nSELECT 1",
        );
        assert_eq!(h.title.as_deref(), Some("Top accounts"));
        assert_eq!(h.audience.as_deref(), Some("strategy"));
        assert_eq!(h.chart.as_deref(), Some("bar"));
    }

    #[test]
    fn shipped_queries_have_headers_and_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().and_then(|x| x.to_str()) != Some("sql") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let h = QueryHeader::parse(&text);
            assert!(h.title.is_some(), "{} has no title", p.display());
            assert!(
                matches!(
                    h.audience.as_deref(),
                    Some("strategy" | "finance" | "leadership")
                ),
                "{}",
                p.display()
            );
            assert!(
                matches!(h.chart.as_deref(), Some("bar" | "line" | "table")),
                "{}",
                p.display()
            );
            n += 1;
        }
        assert!(n >= 5);
    }
}
