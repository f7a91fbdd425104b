//! What analyze and whatif share: the accounts, revenue and pipeline aggregates, the
//! segmentation of both years and the relationship holders (`Core`).

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::accounts::Accounts;
use super::frames::{joined, opt_contract_frame, unavailable, AccountIndex};
use super::orphans::orphan_counts;
use super::revenue::{pipeline, revenue_agg, revenue_rows, RevenueAgg};
use super::R;
use crate::contract::summary::Summary;
use crate::contract::{RevenueSource, Table};
use crate::metrics::recent::Recent;
use crate::metrics::segmentation::{self, Segmentation};
use crate::metrics::windows::Window;
use crate::metrics::{concentration, keyperson, Inputs, MetricsConfig};

pub(super) struct Core {
    /// Shared by the analysis at as_of and the backtest's at the look-back date (the same
    /// table: loading it is not date-dependent).
    pub(super) acc: std::sync::Arc<Accounts>,
    pub(super) revenue_source: Option<RevenueSource>,
    pub(super) rev: Option<RevenueAgg>,
    pub(super) pipe: Option<[Vec<f64>; 2]>,
    pub(super) seg: Segmentation,
    pub(super) seg_prev: Segmentation,
    pub(super) holders: Option<Vec<Vec<String>>>,
    pub(super) group_id: Vec<Option<String>>,
    pub(super) cycles: Vec<String>,
    /// Recent activities (the longest recent window), read once; analyze takes them out
    /// for the per-account queries and drops them after.
    pub(super) recent_df: Option<Recent>,
    pub(super) contacts: Option<LazyFrame>,
    pub(super) activities: Option<LazyFrame>,
    pub(super) employees: Option<LazyFrame>,
    /// Rows per table whose account_id is not in accounts (when asked for).
    pub(super) orphan_counts: BTreeMap<String, u64>,
}

/// Recent activities (the longest recent window) and the relationship holders per account,
/// collected on their own thread while revenue is aggregated.
pub(super) fn recent_and_holders(
    contacts: Option<LazyFrame>,
    activities: Option<LazyFrame>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    index: &AccountIndex,
) -> R<(Option<Recent>, Option<Vec<Vec<String>>>)> {
    crate::metrics::timing::start();
    let recent_acts = recent_activities(activities, as_of, cfg, index)?;
    crate::metrics::timing::lap("(worker) recent activities");
    let holders = holders(contacts, recent_acts.as_ref(), as_of, cfg, index)?;
    crate::metrics::timing::lap("(worker) holders");
    Ok((recent_acts, holders))
}

/// The activities of the longest recent window (holders, GRI, multi-headed contact, roles
/// and teams) up to `as_of`, numbered ([`Recent`]).
pub(super) fn recent_activities(
    activities: Option<LazyFrame>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    index: &AccountIndex,
) -> R<Option<Recent>> {
    let recent_days = cfg
        .holder_days
        .max(cfg.active_contact_days)
        .max(cfg.multi_headed_days)
        .max(cfg.multi_headed_team_days);
    Ok(match activities {
        Some(a) => Some(Recent::read(a, Window::days(as_of, recent_days), |id| {
            index.get(id).copied()
        })?),
        None => None,
    })
}

/// The relationship holders per account at `as_of` (None without contacts).
pub(super) fn holders(
    contacts: Option<LazyFrame>,
    recent: Option<&Recent>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    index: &AccountIndex,
) -> R<Option<Vec<Vec<String>>>> {
    Ok(match contacts {
        Some(c) => Some(keyperson::holders(
            c,
            recent,
            Window::days(as_of, cfg.holder_days),
            index.len(),
            |a| index.get(a).copied(),
        )?),
        None => None,
    })
}

/// The shared core at `as_of`. `full` (analyze at as_of): with orphan counts and the
/// revenue pass's orders, quarters and product lines; otherwise the lean core of whatif,
/// which reads neither.
pub(super) fn load_core(
    inputs: &Inputs,
    acc: std::sync::Arc<Accounts>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    summary: &mut Summary,
    full: bool,
) -> R<Core> {
    let contacts = opt_contract_frame(&inputs.contacts, Table::Contacts)?;
    let activities = opt_contract_frame(&inputs.activities, Table::Activities)?;
    let employees = opt_contract_frame(&inputs.employees, Table::Employees)?;
    // Two independent jobs run beside the revenue aggregation (2 cores: polars alone leaves
    // one idle much of the time): recent activities with holders, and orphan counts.
    std::thread::scope(|scope| -> R<Core> {
        let (c, a) = (contacts.clone(), activities.clone());
        let shared = acc.clone();
        let recent_job = scope.spawn(move || recent_and_holders(c, a, as_of, cfg, &shared.index));
        let orphan_job = scope.spawn(move || -> R<BTreeMap<String, u64>> {
            if full {
                orphan_counts(inputs)
            } else {
                Ok(BTreeMap::new())
            }
        });
        let fx_rates = opt_contract_frame(&inputs.fx_rates, Table::FxRates)?;
        let revsrc = revenue_rows(inputs, fx_rates.as_ref(), cur)?;
        let prev_as_of = crate::metrics::windows::sub_months(as_of, cfg.window_months);
        let (rev, revenue_source) = match &revsrc {
            Some((lf, src)) => (Some(revenue_agg(lf, as_of, cfg, &acc, !full)?), Some(*src)),
            None => (None, None),
        };
        crate::metrics::timing::lap("revenue aggregates");
        if revenue_source == Some(RevenueSource::WonOpportunities) {
            summary.notes.push(
                "no revenue table: won opportunities (amount at close_date) stand in for revenue"
                    .into(),
            );
            unavailable(
                summary,
                "margin_12m",
                "no_revenue_table",
                "margin needs the revenue table (won opportunities carry no margin)",
            );
        }
        if rev.is_none() {
            for m in [
                "revenue_12m",
                "value_score",
                "tier",
                "abc_class",
                "concentration",
                "rfm",
            ] {
                unavailable(
                    summary,
                    m,
                    "no_revenue",
                    "there is neither a revenue table nor won opportunities",
                );
            }
        }
        let opps = opt_contract_frame(&inputs.opportunities, Table::Opportunities)?;
        let pipe = match &opps {
            Some(o) => Some([
                pipeline(o, fx_rates.as_ref(), cur, as_of, cfg, &acc)?,
                pipeline(o, fx_rates.as_ref(), cur, prev_as_of, cfg, &acc)?,
            ]),
            None => {
                unavailable(
                    summary,
                    "pipeline_weighted",
                    "no_opportunities",
                    "there is no opportunities table",
                );
                None
            }
        };
        crate::metrics::timing::lap("pipeline");
        let (seg, seg_prev) = segment_years(&acc, &rev, &pipe, revenue_source, cfg, summary);

        crate::metrics::timing::lap("segmentation");
        let (recent_df, holders) = joined(recent_job)?;
        crate::metrics::timing::lap("recent activities, holders");
        let holders = match holders {
            Some(h) => {
                if activities.is_none() {
                    summary.notes.push(
                        "no activities table: relationship holders are contact owners only".into(),
                    );
                }
                Some(h)
            }
            None => {
                for m in [
                    "bus_factor",
                    "single_threaded",
                    "sole_holder_revenue",
                    "accounts_held",
                ] {
                    unavailable(summary, m, "no_contacts", "there is no contacts table");
                }
                None
            }
        };
        let (group_id, cycles) = concentration::resolve_groups(&acc.ids, &acc.parent);
        let orphan_counts = joined(orphan_job)?;
        Ok(Core {
            orphan_counts,
            acc,
            revenue_source,
            rev,
            pipe,
            seg,
            seg_prev,
            holders,
            group_id,
            cycles,
            recent_df,
            contacts,
            activities,
            employees,
        })
    })
}

impl Core {
    /// Orphan rows of every table: the counts of `orphans::orphan_counts` plus revenue's.
    pub(super) fn orphans(&self) -> BTreeMap<String, u64> {
        let mut out = self.orphan_counts.clone();
        if self.revenue_source == Some(RevenueSource::Revenue) {
            if let Some(r) = &self.rev {
                if r.orphan_rows > 0 {
                    out.insert("revenue".into(), r.orphan_rows);
                }
            }
        }
        out
    }

    pub(super) fn revenue(&self) -> Vec<f64> {
        match &self.rev {
            Some(r) => r.rev[0].clone(),
            None => vec![0.0; self.acc.ids.len()],
        }
    }

    /// Group of account `i` for concentration (index of the top-most account; the account
    /// itself when its chain loops).
    pub(super) fn group_idx(&self, i: usize) -> usize {
        self.group_id[i]
            .as_ref()
            .and_then(|g| self.acc.index.get(g).copied())
            .unwrap_or(i)
    }

    pub(super) fn bus(&self, removed: &HashSet<String>) -> Option<Vec<usize>> {
        self.holders
            .as_ref()
            .map(|h| keyperson::bus_factors(h, removed))
    }
}

/// Segmentation of this year (window ending at as_of) and of the year before; with no
/// revenue, every account is inactive and untiered.
fn segment_years(
    acc: &Accounts,
    rev: &Option<RevenueAgg>,
    pipe: &Option<[Vec<f64>; 2]>,
    revenue_source: Option<RevenueSource>,
    cfg: &MetricsConfig,
    summary: &mut Summary,
) -> (Segmentation, Segmentation) {
    let n = acc.ids.len();
    match rev {
        Some(r) => {
            let p0: Vec<Option<f64>> = match pipe {
                Some(p) => p[0].iter().map(|x| Some(*x)).collect(),
                None => vec![None; n],
            };
            let p1: Vec<Option<f64>> = match pipe {
                Some(p) => p[1].iter().map(|x| Some(*x)).collect(),
                None => vec![None; n],
            };
            let s0 = segmentation::segment(&acc.ids, &r.rev[0], &r.rev[1], &r.margin[0], &p0, cfg);
            let s1 = segmentation::segment(&acc.ids, &r.rev[1], &r.rev[2], &r.margin[1], &p1, cfg);
            if !s0.dropped_inputs.is_empty() {
                summary.notes.push(format!(
                "value_score: {} missing for every account, dropped; the other weights are renormalised",
                s0.dropped_inputs.join(", ")
            ));
            }
            if !r.any_margin[0] && revenue_source == Some(RevenueSource::Revenue) {
                unavailable(
                    summary,
                    "margin_12m",
                    "no_margin_data",
                    "no gross_margin recorded in window_12m",
                );
            }
            (s0, s1)
        }
        None => {
            let s = Segmentation {
                growth: vec![0.0; n],
                active: vec![false; n],
                value_score: vec![None; n],
                tier: vec![None; n],
                pareto: None,
                dropped_inputs: Vec::new(),
            };
            (s.clone(), s)
        }
    }
}
