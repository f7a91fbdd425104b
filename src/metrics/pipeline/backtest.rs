//! The evidence backtest glue: the analysis at the look-back date and the outcomes since.

use chrono::NaiveDate;
use polars::prelude::*;

use super::common::Core;
use super::frames::{i64s, opt_contract_frame, rows, unavailable};
use super::R;
use crate::contract::summary::{Headline, Summary};
use crate::contract::Table;
use crate::metrics::{Inputs, MetricsConfig};

/// The backtest's predictors at the look-back date T (`pipeline::look_back`), per account in
/// the order of the accounts table.
pub(super) struct AtT {
    pub(super) rdi: Vec<Option<f64>>,
    /// None without a contacts table.
    pub(super) bus: Option<Vec<usize>>,
}

/// The backtest (metrics.md "Evidence"): the analysis at T = as_of − window_months gives
/// RDI and bus_factor at T (`at_t`) and revenue_12m at T, which is the previous year's
/// revenue of the analysis at as_of (`rev[1]`: the same window); outcomes are revenue_12m now
/// and deals closed in (T, as_of].
#[allow(clippy::too_many_arguments)]
pub(super) fn evidence(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    at_t: Option<AtT>,
    core: &Core,
    revenue: &[f64],
    headline: &mut Headline,
    summary: &mut Summary,
) -> R<DataFrame> {
    let t = crate::metrics::windows::sub_months(as_of, cfg.window_months);
    let Some(at_t) = at_t.filter(|_| cfg.evidence.backtest) else {
        return Ok(crate::metrics::evidence::frame(&[], None)?);
    };
    let Some(rev) = &core.rev else {
        unavailable(
            summary,
            "evidence",
            "no_revenue",
            "the backtest needs revenue (or won opportunities)",
        );
        return Ok(crate::metrics::evidence::frame(&[], None)?);
    };
    let n = core.acc.ids.len();
    let rev_t = rev.rev[1].clone();
    let rdi_t = at_t.rdi;
    let bus_t = at_t
        .bus
        .map(|b| b.into_iter().map(|x| Some(x as u32)).collect());
    let (mut closed, mut won) = (vec![0u32; n], vec![0u32; n]);
    match opt_contract_frame(&inputs.opportunities, Table::Opportunities)? {
        Some(o) => {
            let df = crate::metrics::evidence::closed_deals(o, t, as_of).collect()?;
            let r = rows(&df, &core.acc.index)?;
            let c = i64s(&df, "closed")?;
            let w = i64s(&df, "won")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    closed[i] = c[k].unwrap_or(0) as u32;
                    won[i] = w[k].unwrap_or(0) as u32;
                }
            }
        }
        None => unavailable(
            summary,
            "evidence.win_rate",
            "no_opportunities",
            "there is no opportunities table",
        ),
    }
    let data = crate::metrics::evidence::BacktestData {
        ids: core.acc.ids.clone(),
        rev_t,
        rev_now: revenue.to_vec(),
        rdi_t,
        bus_t,
        closed,
        won,
    };
    let bt = crate::metrics::evidence::backtest(&data);
    headline.look_back = Some(t.to_string());
    headline.evidence_cohort = Some(bt.cohort as u64);
    headline.rdi_growth_spearman = bt.spearman;
    if bt.spearman.is_some() {
        if let Some(ci) = crate::metrics::bootstrap::spearman_interval(
            &bt.rdi,
            &bt.growth,
            cfg.evidence.bootstrap_draws,
            cfg.evidence.bootstrap_seed,
        ) {
            headline.intervals.insert("rdi_growth_spearman".into(), ci);
        }
    }
    crate::metrics::timing::lap("evidence: backtest and interval");
    Ok(crate::metrics::evidence::frame(&bt.rows, Some(t))?)
}
