//! Headline figures with their change against the previous report.
//!
//! One source per number: every headline figure — HHI, Gini and top-10 share included —
//! comes from `summary.json` (`headline`), now and in the previous report, so a figure and its
//! change are read from the same place. The concentration section of the finance page (table,
//! Lorenz marker, trend) reads the `concentration` metric table instead; analyze writes both
//! from the same computation.

use super::{HeadlineItem, ReportInputs};

/// The headline items, in page order.
pub(super) fn build(inputs: &ReportInputs) -> Vec<HeadlineItem> {
    let h = &inputs.summary.headline;
    let ph = inputs.previous.as_ref().map(|p| &p.summary.headline);
    let item = |key: &str, kind: &str, value: Option<f64>, prev: Option<f64>| HeadlineItem {
        key: key.into(),
        kind: kind.into(),
        value,
        previous: prev,
        change: value.zip(prev).map(|(a, b)| a - b),
    };
    vec![
        item(
            "revenue_12m",
            "money",
            Some(h.revenue_12m_total),
            ph.map(|p| p.revenue_12m_total),
        ),
        item(
            "active_accounts",
            "count",
            Some(h.active_accounts as f64),
            ph.map(|p| p.active_accounts as f64),
        ),
        item(
            "margin_12m",
            "money",
            h.margin_12m_total,
            ph.and_then(|p| p.margin_12m_total),
        ),
        item("hhi", "hhi", h.hhi, ph.and_then(|p| p.hhi)),
        item("gini", "ratio", h.gini, ph.and_then(|p| p.gini)),
        item(
            "top10_share",
            "pct",
            h.top10_share,
            ph.and_then(|p| p.top10_share),
        ),
        item(
            "single_threaded_revenue_share",
            "pct",
            h.single_threaded_revenue_share,
            ph.and_then(|p| p.single_threaded_revenue_share),
        ),
        item(
            "risk_sa_single_threaded",
            "money",
            h.sa_single_threaded_revenue,
            ph.and_then(|p| p.sa_single_threaded_revenue),
        ),
        item(
            "risk_opposition",
            "count",
            h.opposition_accounts.map(|v| v as f64),
            ph.and_then(|p| p.opposition_accounts.map(|v| v as f64)),
        ),
        item(
            "mean_rdi_sa",
            "index",
            h.mean_rdi_sa,
            ph.and_then(|p| p.mean_rdi_sa),
        ),
    ]
}
