//! Revenue bars: revenue by industry and by region (with the "other" and "unknown" slices),
//! and the revenue at risk per employee (sole-holder revenue of the key people).

use super::bars::amount_bars;
use super::draw::DResult;
use super::palette::{BLUE, VERMILLION};
use super::ReportConfig;
use crate::contract::Lang;
use crate::report::i18n::t;
use crate::report::model::{ReportModel, Slice};

/// Which breakdown chart.
#[derive(Clone, Copy)]
pub(super) enum Breakdown {
    Industry,
    Region,
}

fn slice_label(lang: Lang, s: &Slice) -> String {
    match s.kind.as_str() {
        "other" => format!("{} ({})", t(lang, "other"), s.key),
        "unknown" => t(lang, "unknown").to_string(),
        _ => s.key.clone(),
    }
}

pub(super) fn breakdown(m: &ReportModel, lang: Lang, which: Breakdown) -> DResult<String> {
    let (key, slices) = match which {
        Breakdown::Industry => ("breakdown_industry", &m.industry),
        Breakdown::Region => ("breakdown_region", &m.region),
    };
    let rows = slices
        .iter()
        .map(|s| (slice_label(lang, s), s.revenue, s.share))
        .collect();
    amount_bars(lang, &m.meta.currency, (t(lang, key), None), rows, BLUE)
}

pub(super) fn at_risk(m: &ReportModel, lang: Lang, cfg: &ReportConfig) -> DResult<String> {
    let rows = m
        .at_risk
        .iter()
        .take(cfg.chart_top_n)
        .map(|e| {
            let label = match &e.team {
                Some(team) => format!("{} · {}", e.employee_id, team),
                None => e.employee_id.clone(),
            };
            (label, e.sole_holder_revenue.unwrap_or(0.0), None)
        })
        .collect();
    let titles = (
        t(lang, "revenue_at_risk"),
        Some(t(lang, "sole_holder_revenue")),
    );
    amount_bars(lang, &m.meta.currency, titles, rows, VERMILLION)
}
