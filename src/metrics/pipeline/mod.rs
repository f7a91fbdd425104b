//! Orchestration: lake tables → per-account vectors → metric tables and summary.

use chrono::NaiveDate;
use polars::prelude::*;

use super::keyperson;
use super::market;
use super::windows::Window;
use super::{Inputs, MetricTables, MetricsConfig, MetricsError};
use crate::contract::summary::{Headline, Summary};
use crate::contract::RevenueSource;

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
use frames::unavailable;
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
    // The backtest's analysis at the look-back date runs first and keeps only the columns
    // the backtest reads, so that its frames are freed before the analysis at as_of builds
    // its own: peak memory is the larger of the two analyses, not their sum.
    let acc = std::sync::Arc::new(accounts::load_accounts(&inputs.accounts)?);
    super::timing::lap("load accounts");
    let at_t = if cfg.evidence.backtest {
        let t = super::windows::sub_months(as_of, cfg.window_months);
        Some(look_back(inputs, acc.clone(), t, cfg, cur)?)
    } else {
        None
    };
    analyze_at(inputs, acc, as_of, cfg, cur, true, at_t)
}

/// The columns the backtest reads (account_id, revenue_12m, rdi, bus_factor) of the accounts
/// table of the analysis at the look-back date `t` (the same code as analyze; without orphan
/// counts, competitors, concentration, intervals, deals and backtest, which the backtest does
/// not read).
fn look_back(
    inputs: &Inputs,
    acc: std::sync::Arc<accounts::Accounts>,
    t: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<DataFrame> {
    let accounts = analyze_at(inputs, acc, t, cfg, cur, false, None)?.accounts;
    super::timing::lap("evidence: analysis at the look-back date");
    Ok(accounts.select(["account_id", "revenue_12m", "rdi", "bus_factor"])?)
}

/// `full`: everything; otherwise only what the look-back analysis needs (see [`look_back`]).
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
    full: bool,
    at_t: Option<DataFrame>,
) -> R<MetricTables> {
    let mut summary = Summary::default();
    let w12 = Window::months(as_of, cfg.window_months);
    summary.as_of = as_of.to_string();
    summary.window_12m = [w12.first_day().to_string(), as_of.to_string()];
    summary.reporting_currency = cur.trim().to_uppercase();
    summary.settings = serde_json::to_value(cfg).unwrap_or_default();
    let core = load_core(inputs, acc, as_of, cfg, cur, &mut summary, full)?;
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
        let frames = collect_account_frames(inputs, core, as_of, cfg, cur, full)?;
        // The deals run on their own thread from here: the stages below are mostly one-thread
        // Rust passes, which left the other core idle (1 M accounts: 11 s of deals after them).
        let deals_job = full.then(|| {
            scope.spawn(move || -> R<_> {
                crate::metrics::timing::start();
                let mut s = Summary::default();
                let d = deals::deals(inputs, as_of, cfg, cur, core, &mut s)?;
                crate::metrics::timing::lap("(worker) deals");
                Ok((d, s))
            })
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
            full,
            &mut headline,
            &mut summary,
        )?;
        let employees = if full {
            employees_table(core, &revenue)?
        } else {
            DataFrame::empty()
        };
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
        let evidence = if full {
            evidence(
                inputs,
                as_of,
                cfg,
                at_t,
                core,
                &revenue,
                &mut headline,
                &mut summary,
            )?
        } else {
            super::evidence::frame(&[], None)?
        };
        let deals = match deals_job {
            Some(job) => {
                let (d, s) = frames::joined(job)?;
                // In the order they were added before the deals ran on their own thread.
                summary.unavailable.extend(s.unavailable);
                summary.notes.extend(s.notes);
                if let Some((p, open, with_group)) = &d.pipeline {
                    p.clone().fill(*open, *with_group, &mut headline);
                }
                super::timing::lap("(waited for) deals");
                d
            }
            None => deals::Deals::none()?,
        };
        let mut evidence = evidence;
        if !deals.evidence.is_empty() {
            // Deals closed in window_12m = (T, as_of]: their rows carry the same look_back T.
            let t = super::windows::sub_months(as_of, cfg.window_months);
            evidence.vstack_mut(&super::evidence::frame(&deals.evidence, Some(t))?)?;
        }
        summary.headline = headline;
        let account_quarters = if full {
            account_quarters_table(core)?
        } else {
            crate::contract::metric_tables::empty(
                crate::contract::metric_tables::MetricTable::AccountQuarters,
            )
        };
        if full {
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
        }
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
