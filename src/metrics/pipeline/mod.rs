//! Orchestration: lake tables → per-account vectors → metric tables and summary.

use chrono::NaiveDate;

use super::keyperson;
use super::market;
use super::windows::Window;
use super::{Inputs, MetricTables, MetricsConfig, MetricsError};
use crate::contract::summary::{Headline, Summary};
use crate::contract::{RevenueSource, Table};

type R<T> = Result<T, MetricsError>;

mod accounts;
mod backtest;
mod common;
mod competitors;
mod deals;
mod depth;
mod frames;
mod headline;
mod orphans;
mod queries;
mod revenue;
mod rfm;
mod risk;
mod tables;
mod whatif;

use backtest::evidence;
use common::load_core;
use competitors::competitors_table;
use frames::{opt_contract_frame, unavailable};
use headline::{concentration, headline_figures};
use queries::collect_account_frames;
use risk::key_person;
use tables::{account_quarters_table, accounts_table, employees_table};

pub(super) use revenue::default_as_of;
pub use tables::migration_table;
pub(super) use whatif::whatif;
pub use whatif::{ScenarioFigures, WhatifResult};

// ---------------------------------------------------------------------------------------------
// analyze

pub(super) fn analyze(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<MetricTables> {
    let acc = std::sync::Arc::new(accounts::load_accounts(&inputs.accounts)?);
    super::timing::lap("load accounts");
    // The backtest's relationship inputs at the look-back date T are read first and only
    // the per-account ones are kept (GRI counts, key-relationship, agreement, activity and
    // survey frames, holders), so that T's recent activities are freed before the analysis
    // at as_of reads its own: peak memory is that of one analysis, not the sum of two. RDI
    // and the bus factor at T are computed once the analysis at as_of has the tiers at T:
    // the year before as_of is window_12m at T, so they are its previous year's tiers, and
    // no second revenue pass is needed.
    let look_back = if cfg.evidence.backtest {
        let t = super::windows::sub_months(as_of, cfg.window_months);
        Some(look_back(inputs, acc.clone(), t, cfg, cur)?)
    } else {
        None
    };
    analyze_at(inputs, acc, as_of, cfg, cur, look_back)
}

/// The backtest's inputs at the look-back date: the relationship stages of analyze at `t`
/// without competitors, multi-headed contact and coverage, which the backtest does not read.
/// Holders and GRI counts (one-thread passes) run beside each other and beside the polars
/// queries.
fn look_back(
    inputs: &Inputs,
    acc: std::sync::Arc<accounts::Accounts>,
    t: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<LookBack> {
    let mut core = common::Core {
        acc,
        revenue_source: None,
        rev: None,
        pipe: None,
        // Filled in by `LookBack::predictors` (the tiers at T).
        seg: Default::default(),
        seg_prev: Default::default(),
        holders: None,
        group_id: Vec::new(),
        cycles: Vec::new(),
        recent_df: None,
        contacts: opt_contract_frame(&inputs.contacts, Table::Contacts)?,
        activities: opt_contract_frame(&inputs.activities, Table::Activities)?,
        employees: opt_contract_frame(&inputs.employees, Table::Employees)?,
        orphan_counts: Default::default(),
    };
    let recent = common::recent_activities(core.activities.clone(), t, cfg, &core.acc.index)?;
    super::timing::lap("evidence: recent activities at T");
    let (holders, frames) = std::thread::scope(|scope| -> R<_> {
        let (c, r, a) = (core.contacts.clone(), recent.as_ref(), &core.acc);
        let holders_job = scope.spawn(move || -> R<_> {
            crate::metrics::timing::start();
            let h = common::holders(c, r, t, cfg, &a.index)?;
            crate::metrics::timing::lap("(worker) holders at T");
            Ok(h)
        });
        let frames = collect_account_frames(inputs, &core, recent.as_ref(), t, cfg, cur, false)?;
        Ok((frames::joined(holders_job)?, frames))
    })?;
    drop(recent);
    core.holders = holders;
    super::timing::lap("evidence: inputs at T");
    Ok(LookBack { core, frames })
}

/// What [`look_back`] keeps of the analysis at the look-back date.
struct LookBack {
    core: common::Core,
    frames: queries::AccountFrames,
}

impl LookBack {
    /// RDI and the bus factor at T, with `tiers_t` the tiers at T.
    fn predictors(
        mut self,
        tiers_t: &crate::metrics::segmentation::Segmentation,
        cfg: &MetricsConfig,
    ) -> R<backtest::AtT> {
        self.core.seg = tiers_t.clone();
        // What the analysis at T finds missing is found again at as_of: not reported twice.
        let mut found = Summary::default();
        let depth = depth::depth(&self.core, &self.frames, cfg, &mut found)?;
        Ok(backtest::AtT {
            rdi: depth.rdi,
            bus: self.core.bus(&Default::default()),
        })
    }
}

/// The analysis at `as_of`; `look_back`: the backtest's inputs at the look-back date.
///
/// The stages, in order: the shared core (accounts, revenue, pipeline, segmentation,
/// holders), the per-account queries, relationship depth, key-person risk, RFM and market
/// columns, then the tables (accounts, concentration, employees, tier migration, evidence)
/// and the summary.
fn analyze_at(
    inputs: &Inputs,
    acc: std::sync::Arc<accounts::Accounts>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    look_back: Option<LookBack>,
) -> R<MetricTables> {
    let mut summary = Summary::default();
    let w12 = Window::months(as_of, cfg.window_months);
    summary.as_of = as_of.to_string();
    summary.window_12m = [w12.first_day().to_string(), as_of.to_string()];
    summary.reporting_currency = cur.trim().to_uppercase();
    summary.settings = serde_json::to_value(cfg).unwrap_or_default();
    let mut core = load_core(inputs, acc, as_of, cfg, cur, &mut summary, true)?;
    let at_t = look_back
        .map(|lb| lb.predictors(&core.seg_prev, cfg))
        .transpose()?;
    super::timing::lap("evidence: RDI and bus factor at T");
    // The recent activities are read only by the per-account queries: dropped after them
    // (1 M accounts: 1.7 GB), before the accounts table and the deals are built.
    let recent = core.recent_df.take();
    super::timing::lap("rest of core");
    let n = core.acc.ids.len();
    summary.revenue_source = core
        .revenue_source
        .map_or("none", RevenueSource::name)
        .to_string();
    summary.data_quality.hierarchy_cycles = core.cycles.clone();
    let revenue = core.revenue();

    let core = &core;
    std::thread::scope(|scope| -> R<MetricTables> {
        let frames = collect_account_frames(inputs, core, recent.as_ref(), as_of, cfg, cur, true)?;
        drop(recent);
        // The deals run on their own thread from here: the stages below are mostly one-thread
        // Rust passes, which left the other core idle (1 M accounts: 11 s of deals after them).
        let deals_job = scope.spawn(move || -> R<_> {
            crate::metrics::timing::start();
            let mut s = Summary::default();
            let d = deals::deals(inputs, as_of, cfg, cur, core, &mut s)?;
            crate::metrics::timing::lap("(worker) deals");
            Ok((d, s))
        });
        let depth = depth::depth(core, &frames, cfg, &mut summary)?;
        let kp = key_person(core, &frames, cfg, &mut summary)?;
        let rfm = rfm::rfm(core, as_of, &revenue);
        super::timing::lap("iron triangle, RFM");
        let mkt = market::account_columns(
            &core.acc.potential,
            &core.acc.annual_revenue,
            &core.acc.industry,
            core.rev.as_ref().map(|_| revenue.as_slice()),
            &cfg.market,
        );
        for (m, code, reason) in &mkt.unavailable {
            unavailable(&mut summary, m, code, reason);
        }
        let competitors = competitors_table(frames.competitor_rows, &mut summary)?;
        super::timing::lap("market insight");
        let accounts = accounts_table(core, &revenue, &depth, &kp, &rfm, &mkt)?;
        super::timing::lap("accounts table");

        let mut headline = Headline {
            accounts_total: n as u64,
            median_wallet: mkt.median_wallet,
            ..Default::default()
        };
        let key_all = keyperson::key_figures(
            &revenue,
            &core.seg.tier,
            &kp.bus.clone().unwrap_or_else(|| vec![0; n]),
            &vec![false; n],
        );
        let concentration = concentration(
            core,
            &revenue,
            &kp,
            &key_all,
            cfg,
            true,
            &mut headline,
            &mut summary,
        )?;
        let employees = employees_table(core, &revenue)?;
        super::timing::lap("employees table");
        let tier_migration = migration_table(&core.seg.tier, &core.seg_prev.tier, &revenue)?;
        headline_figures(
            core,
            &revenue,
            &depth,
            &kp,
            &key_all,
            &mut headline,
            &mut summary,
        );
        super::timing::lap("headline figures");
        let evidence = evidence(
            inputs,
            as_of,
            cfg,
            at_t,
            core,
            &revenue,
            &mut headline,
            &mut summary,
        )?;
        let (deals, s) = frames::joined(deals_job)?;
        // In the order they were added before the deals ran on their own thread.
        summary.unavailable.extend(s.unavailable);
        summary.notes.extend(s.notes);
        if let Some((p, open, with_group)) = &deals.pipeline {
            p.clone().fill(*open, *with_group, &mut headline);
        }
        super::timing::lap("(waited for) deals");
        let mut evidence = evidence;
        if !deals.evidence.is_empty() {
            // Deals closed in window_12m = (T, as_of]: their rows carry the same look_back T.
            let t = super::windows::sub_months(as_of, cfg.window_months);
            evidence.vstack_mut(&super::evidence::frame(&deals.evidence, Some(t))?)?;
        }
        summary.headline = headline;
        let account_quarters = account_quarters_table(core)?;
        super::timing::lap("account quarters");
        let empty: &[(usize, i32, f64)] = &[];
        let rows = core.rev.as_ref().map_or(empty, |r| r.quarters.as_slice());
        summary.quarterly = super::trend::points(rows, as_of);
        super::timing::lap("quarterly trend");
        summary.data_quality.orphans = core.orphans();
        if core.revenue_source == Some(RevenueSource::Revenue) {
            if let Some(r) = &core.rev {
                summary.data_quality.orphan_revenue_12m = r.orphan_revenue_12m;
            }
        }
        super::timing::lap("orphans");
        Ok(MetricTables {
            accounts,
            concentration,
            employees,
            tier_migration,
            competitors,
            evidence,
            account_quarters,
            deals: deals.table,
            summary,
        })
    })
}
