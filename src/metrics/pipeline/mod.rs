//! Orchestration: lake tables → per-account vectors → metric tables and summary.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::concentration::{self, ConcRow, Slices};
use super::fx;
use super::keyperson::{self, KeyFigures};
use super::keys::RunLookup;
use super::market;
use super::relationship::{self, OrgFacts};
use super::segmentation::{self, Segmentation};
use super::summary::{Headline, MajorCustomer, Summary, TierMismatch, Unavailable};
use super::windows::{date_lit, epoch_days, from_epoch_days, Window};
use super::{Inputs, MetricTables, MetricsConfig, MetricsError};
use crate::contract::Table;

type R<T> = Result<T, MetricsError>;

mod backtest;
mod common;
mod competitors;
mod frames;
mod orphans;
mod revenue;
mod tables;
mod whatif;

use backtest::*;
use common::*;
use competitors::*;
use frames::*;
use orphans::*;
use revenue::*;
use tables::*;

pub(super) use revenue::default_as_of;
pub use revenue::round_sum;
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
    analyze_at(inputs, as_of, cfg, cur, true)
}

/// The accounts table of the analysis at the look-back date `t` (the same code as analyze;
/// without orphan counts, concentration, intervals and backtest, which the backtest does not
/// read).
pub(super) fn look_back(
    inputs: &Inputs,
    t: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<DataFrame> {
    Ok(analyze_at(inputs, t, cfg, cur, false)?.accounts)
}

/// `full`: everything; otherwise only what the look-back analysis needs (see [`look_back`]).
fn analyze_at(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    full: bool,
) -> R<MetricTables> {
    let mut summary = Summary::default();
    let w12 = Window::months(as_of, cfg.window_months);
    summary.as_of = as_of.to_string();
    summary.window_12m = [w12.first_day().to_string(), as_of.to_string()];
    summary.reporting_currency = cur.trim().to_uppercase();
    summary.settings = serde_json::to_value(cfg).unwrap_or_default();
    let core = core(inputs, as_of, cfg, cur, &mut summary, full)?;
    super::timing::lap("rest of core");
    let n = core.acc.ids.len();
    summary.revenue_source = core.revenue_source.unwrap_or("none").to_string();
    summary.data_quality.hierarchy_cycles = core.cycles.clone();
    let revenue = core.revenue();
    let tier = &core.seg.tier;
    let agreements = opt_contract_frame(&inputs.agreements, Table::Agreements)?;
    let surveys = opt_contract_frame(&inputs.surveys, Table::Surveys)?;

    // The relationship and key-person queries are independent of each other: collected
    // together, they keep both cores busy (one after another, each left one idle much of the
    // time).
    let acts_window = |days| Window::days(as_of, days);
    let plans = vec![
        core.contacts
            .as_ref()
            .map(|c| relationship::kri_frame(c.clone(), &cfg.kri)),
        agreements
            .as_ref()
            .map(|ag| relationship::agreements_frame(ag.clone(), as_of)),
        core.activities
            .as_ref()
            .map(|a| relationship::org_activities_frame(a.clone(), w12)),
        surveys
            .as_ref()
            .map(|s| relationship::survey_frame(s.clone(), w12))
            .transpose()?,
        match &core.recent_df {
            Some(a) => Some(keyperson::multi_headed_contacts_frame(
                a.clone().lazy(),
                owners_lf(&core.acc)?,
                acts_window(cfg.multi_headed_days),
            )),
            None => None,
        },
    ];
    // GRI counts, iron-triangle roles and teams (Rust passes) on a thread meanwhile.
    // The competitor deals (a query and a Rust pass) on another thread.
    let (frames, gri_counts, coverage, competitor_rows) = std::thread::scope(|scope| -> R<_> {
        let core = &core;
        let index = |a: &str| core.acc.index.get(a).copied();
        let deals_job = scope.spawn(move || competitor_rows(inputs, w12, cur, &core.acc));
        let job = scope.spawn(move || -> R<_> {
            super::timing::start();
            let gri = match (&core.contacts, &core.recent_df) {
                (Some(c), Some(a)) => Some(relationship::gri_counts(
                    c.clone(),
                    a,
                    acts_window(cfg.active_contact_days),
                    n,
                    index,
                )?),
                _ => None,
            };
            super::timing::lap("(worker) GRI counts");
            let coverage = match &core.employees {
                Some(e) => Some(keyperson::coverage(
                    core.recent_df.as_ref(),
                    &core.acc.owner,
                    e.clone(),
                    acts_window(cfg.holder_days),
                    acts_window(cfg.multi_headed_team_days),
                    index,
                )?),
                None => None,
            };
            super::timing::lap("(worker) roles and teams");
            Ok((gri, coverage))
        });
        let frames = collect_some(plans)?;
        super::timing::lap("polars queries");
        let (gri, coverage) = joined(job)?;
        let competitor_rows = joined(deals_job)?;
        Ok((frames, gri, coverage, competitor_rows))
    })?;
    let [kri_df, agreements_df, org_acts_df, surveys_df, multi_df]: [Option<DataFrame>; 5] = frames
        .try_into()
        .map_err(|_| PolarsError::ComputeError("collect_some lost a frame".into()))?;
    super::timing::lap("(waited for) GRI, roles and teams");

    // --- relationship depth
    let mut kri: Vec<Option<f64>> = vec![None; n];
    let mut status: Vec<Option<&str>> = vec![None; n];
    let mut opposition: Vec<Option<bool>> = vec![None; n];
    let mut dm_support: Vec<Option<f64>> = vec![None; n];
    if let Some(df) = &kri_df {
        let r = rows(&df, &core.acc.index)?;
        let spk = scatter(n, &r, f64s(&df, "sum_pk")?, None);
        let sp = scatter(n, &r, f64s(&df, "sum_p")?, None);
        let dms = scatter(n, &r, bools(&df, "dm_supportive")?, None);
        let keys = scatter(n, &r, bools(&df, "key_supportive")?, None);
        let opp = scatter(n, &r, bools(&df, "opposition")?, None);
        dm_support = scatter(n, &r, f64s(&df, "dm_support")?, None);
        for i in 0..n {
            kri[i] = Some(relationship::kri(
                spk[i].unwrap_or(0.0),
                sp[i].unwrap_or(0.0),
            ));
            status[i] = Some(relationship::chain_status(
                dms[i].unwrap_or(false),
                keys[i].unwrap_or(false),
            ));
            opposition[i] = Some(opp[i].unwrap_or(false));
        }
    } else {
        for m in ["kri", "decision_chain_status", "opposition", "dm_support"] {
            unavailable(&mut summary, m, "no_contacts", "there is no contacts table");
        }
    }

    super::timing::lap("KRI");
    let mut gri: Vec<Option<f64>> = vec![None; n];
    let mut dep_active: Vec<Option<i64>> = vec![None; n];
    let mut dep_known: Vec<Option<i64>> = vec![None; n];
    match &gri_counts {
        Some(g) => {
            for i in 0..n {
                gri[i] = relationship::gri(g.active[i], cfg.gri_targets.for_tier(tier[i]));
                dep_active[i] = Some(g.departments_active[i]);
                dep_known[i] = Some(g.departments_known[i]);
            }
        }
        _ => unavailable(
            &mut summary,
            "gri",
            "no_contacts_or_activities",
            "GRI needs both the contacts and the activities tables",
        ),
    }

    super::timing::lap("GRI");
    let mut ori: Vec<Option<f64>> = vec![None; n];
    if agreements.is_none() && core.activities.is_none() && surveys.is_none() {
        unavailable(
            &mut summary,
            "ori",
            "no_org_data",
            "ORI needs agreements, activities or surveys",
        );
    } else {
        let mut facts = vec![OrgFacts::default(); n];
        if let Some(df) = &agreements_df {
            let r = rows(df, &core.acc.index)?;
            let sc = bools(&df, "strategic_cooperation")?;
            let ex = bools(&df, "exclusive")?;
            let ji = bools(&df, "joint_innovation")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].strategic_cooperation = sc[k].unwrap_or(false);
                    facts[i].exclusive = ex[k].unwrap_or(false);
                    facts[i].joint_innovation = ji[k].unwrap_or(false);
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.agreements",
                "no_agreements",
                "no agreements table: ORI counts no agreement points",
            );
        }
        if let Some(df) = &org_acts_df {
            let r = rows(df, &core.acc.index)?;
            let ev = i64s(&df, "n_executive_visit")?;
            let sm = i64s(&df, "n_strategic_meeting")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].executive_visits = ev[k].unwrap_or(0).max(0) as u32;
                    facts[i].strategic_meetings = sm[k].unwrap_or(0).max(0) as u32;
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.activities",
                "no_activities",
                "no activities table: ORI counts no visit or meeting points",
            );
        }
        if let Some(df) = &surveys_df {
            let r = rows(df, &core.acc.index)?;
            let sc = f64s(&df, "survey_score")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].survey_score = sc[k];
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.surveys",
                "no_surveys",
                "no surveys table: ORI counts no satisfaction points",
            );
        }
        for i in 0..n {
            ori[i] = Some(relationship::ori(&facts[i], &cfg.ori));
        }
    }
    super::timing::lap("ORI");
    let rdi: Vec<Option<f64>> = (0..n)
        .map(|i| relationship::rdi(kri[i], gri[i], ori[i], &cfg.rdi_weights))
        .collect();
    let quadrant: Vec<Option<&str>> = (0..n)
        .map(|i| relationship::quadrant(tier[i], rdi[i], cfg.quadrant_threshold))
        .collect();
    let ori_level: Vec<Option<&str>> = ori
        .iter()
        .map(|o| o.map(|o| relationship::ori_level(o, cfg.ori_strategic_partner, cfg.ori_partner)))
        .collect();

    // --- key person
    let bus = core.bus(&HashSet::new());
    let holders_str: Vec<Option<String>> = match &core.holders {
        Some(h) => h.iter().map(|h| Some(h.join(","))).collect(),
        None => vec![None; n],
    };
    super::timing::lap("bus factor");
    let mut multi: Vec<Option<bool>> = vec![None; n];
    if let Some(df) = &multi_df {
        let r = rows(df, &core.acc.index)?;
        let mce = scatter(n, &r, i64s(df, "max_contact_employees")?, None);
        let teams = match &coverage {
            Some(c) => c.teams.clone(),
            None => {
                summary.notes.push(
                    "no employees table: multi_headed uses the per-contact rule only (no teams)"
                        .into(),
                );
                vec![None; n]
            }
        };
        for i in 0..n {
            multi[i] = Some(keyperson::multi_headed(
                mce[i],
                teams[i],
                cfg.multi_headed_contact_employees,
                cfg.multi_headed_teams,
            ));
        }
    } else {
        unavailable(
            &mut summary,
            "multi_headed",
            "no_activities",
            "there is no activities table",
        );
    }
    super::timing::lap("multi-headed");
    let mut iron: Vec<Option<f64>> = vec![None; n];
    let mut iron_missing: Vec<Option<String>> = vec![None; n];
    if let Some(c) = &coverage {
        let has = |i: usize, role: u8| c.roles[i] & role != 0;
        for i in 0..n {
            if matches!(tier[i], Some("S") | Some("A")) {
                let (s, m) = keyperson::iron_triangle(
                    has(i, keyperson::Coverage::AR),
                    has(i, keyperson::Coverage::SR),
                    has(i, keyperson::Coverage::FR),
                );
                iron[i] = Some(s);
                iron_missing[i] = Some(m);
            }
        }
    } else {
        unavailable(
            &mut summary,
            "iron_triangle",
            "no_employees",
            "the iron triangle needs employee roles (employees table)",
        );
    }

    // --- RFM
    let mut rfm: [Vec<Option<u8>>; 3] = [vec![None; n], vec![None; n], vec![None; n]];
    let mut recency: Vec<Option<i64>> = vec![None; n];
    if let Some(r) = &core.rev {
        for i in 0..n {
            recency[i] = r.last_order[i].map(|d| (as_of - d).num_days());
        }
        let act: Vec<usize> = (0..n).filter(|&i| core.seg.active[i]).collect();
        let rv: Vec<Option<f64>> = act
            .iter()
            .map(|&i| recency[i].map(|x| -(x as f64)))
            .collect();
        let fv: Vec<Option<f64>> = act.iter().map(|&i| Some(r.orders[i] as f64)).collect();
        let mv: Vec<Option<f64>> = act.iter().map(|&i| Some(revenue[i])).collect();
        for (k, v) in [rv, fv, mv].iter().enumerate() {
            let s = segmentation::quintile_scores(v);
            for (j, &i) in act.iter().enumerate() {
                rfm[k][i] = Some(s[j]);
            }
        }
    }

    super::timing::lap("iron triangle, RFM");
    // --- market insight
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
    let competitors = competitors_table(competitor_rows, &mut summary)?;
    super::timing::lap("market insight");
    // --- accounts table
    let has_rev = core.rev.is_some();
    let opt_rev =
        |v: &[f64]| -> Vec<Option<f64>> { v.iter().map(|x| has_rev.then_some(*x)).collect() };
    let (rev_prev, margin, orders, last_order) = match &core.rev {
        Some(r) => (
            opt_rev(&r.rev[1]),
            r.margin[0].clone(),
            r.orders.iter().map(|x| Some(*x)).collect::<Vec<_>>(),
            r.last_order.clone(),
        ),
        None => (vec![None; n], vec![None; n], vec![None; n], vec![None; n]),
    };
    let pipe: Vec<Option<f64>> = match &core.pipe {
        Some(p) => p[0].iter().map(|x| Some(*x)).collect(),
        None => vec![None; n],
    };
    let (prank, cum, abc) = match &core.seg.pareto {
        Some(p) => (p.rank.clone(), p.cum_share.clone(), p.class.clone()),
        None => (vec![None; n], vec![None; n], vec![None; n]),
    };
    let growth: Vec<Option<f64>> = core
        .seg
        .growth
        .iter()
        .map(|g| has_rev.then_some(*g))
        .collect();
    let bus_col: Vec<Option<u32>> = match &bus {
        Some(b) => b.iter().map(|x| Some(*x as u32)).collect(),
        None => vec![None; n],
    };
    let single: Vec<Option<bool>> = bus_col.iter().map(|b| b.map(|b| b <= 1)).collect();
    let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
        v.iter().map(|x| x.map(str::to_string)).collect()
    };
    let date_col = |name: &str, v: &[Option<NaiveDate>]| -> R<Column> {
        Ok(Column::new(
            name.into(),
            v.iter()
                .map(|d| d.map(super::windows::epoch_days))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)?)
    };
    let accounts = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), core.acc.ids.clone()),
        Column::new("name".into(), core.acc.name.clone()),
        Column::new("industry".into(), core.acc.industry.clone()),
        Column::new("region".into(), core.acc.region.clone()),
        Column::new("group_id".into(), core.group_id.clone()),
        Column::new("revenue_12m".into(), opt_rev(&revenue)),
        Column::new("revenue_prev_12m".into(), rev_prev),
        Column::new("margin_12m".into(), margin),
        Column::new("orders_12m".into(), orders),
        Column::new("pipeline_weighted".into(), pipe.clone()),
        Column::new("growth".into(), growth),
        Column::new("value_score".into(), core.seg.value_score.clone()),
        Column::new("tier".into(), s(tier)),
        Column::new("tier_prev".into(), s(&core.seg_prev.tier)),
        Column::new("declared_tier".into(), core.acc.declared_tier.clone()),
        Column::new("abc_class".into(), s(&abc)),
        Column::new("pareto_rank".into(), prank),
        Column::new("cum_share".into(), cum),
        Column::new(
            "rfm_r".into(),
            rfm[0].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_f".into(),
            rfm[1].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_m".into(),
            rfm[2].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new("kri".into(), kri.clone()),
        Column::new("gri".into(), gri.clone()),
        Column::new("ori".into(), ori.clone()),
        Column::new("rdi".into(), rdi.clone()),
        Column::new("decision_chain_status".into(), s(&status)),
        Column::new("opposition".into(), opposition.clone()),
        Column::new("dm_support".into(), dm_support),
        Column::new("bus_factor".into(), bus_col),
        Column::new("single_threaded".into(), single),
        Column::new("iron_triangle".into(), iron),
        Column::new("multi_headed".into(), multi.clone()),
        Column::new("quadrant".into(), s(&quadrant)),
        Column::new("wallet".into(), mkt.wallet),
        Column::new("wallet_share".into(), mkt.wallet_share),
        Column::new("headroom".into(), mkt.headroom),
        Column::new("selection".into(), s(&mkt.selection)),
        // extras
        Column::new("owner_id".into(), core.acc.owner.clone()),
        date_col("last_order_date", &last_order)?,
        Column::new("recency_days".into(), recency),
        Column::new("departments_active".into(), dep_active),
        Column::new("departments_known".into(), dep_known),
        Column::new("ori_level".into(), s(&ori_level)),
        Column::new("iron_triangle_missing".into(), iron_missing),
        Column::new("holders".into(), holders_str),
    ])?;

    super::timing::lap("  accounts table");
    // --- concentration
    let mut conc: Vec<ConcRow> = Vec::new();
    let mut headline = Headline {
        accounts_total: n as u64,
        ..Default::default()
    };
    let key_all = keyperson::key_figures(
        &revenue,
        tier,
        &bus.clone().unwrap_or_else(|| vec![0; n]),
        &vec![false; n],
    );
    let mut intervals: BTreeMap<&str, [f64; 2]> = BTreeMap::new();
    if let (Some(r), true) = (&core.rev, full) {
        fn unknown(v: &Option<String>) -> &str {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("(unknown)")
        }
        let group_idx: Vec<usize> = (0..n).map(|i| core.group_idx(i)).collect();
        let mut acc_slices: Slices = BTreeMap::new();
        let mut grp_slices: Slices = BTreeMap::new();
        let year_keys: BTreeMap<i32, String> = r
            .years
            .iter()
            .map(|(_, y, _)| (*y, y.to_string()))
            .collect();
        let dims: [(&str, Vec<(&str, usize, f64)>); 5] = [
            ("all", (0..n).map(|i| ("", i, revenue[i])).collect()),
            (
                "industry",
                (0..n)
                    .map(|i| (unknown(&core.acc.industry[i]), i, revenue[i]))
                    .collect(),
            ),
            (
                "region",
                (0..n)
                    .map(|i| (unknown(&core.acc.region[i]), i, revenue[i]))
                    .collect(),
            ),
            (
                "product_line",
                r.product_lines
                    .iter()
                    .map(|(i, pl, v)| (pl.as_str(), *i, *v))
                    .collect(),
            ),
            (
                "year",
                r.years
                    .iter()
                    .map(|(i, y, v)| (year_keys[y].as_str(), *i, *v))
                    .collect(),
            ),
        ];
        for (dim, rows) in &dims {
            concentration::add_rows(&mut acc_slices, dim, rows.iter().copied());
            concentration::add_rows(
                &mut grp_slices,
                dim,
                rows.iter().map(|(k, i, v)| (*k, group_idx[*i], *v)),
            );
        }
        super::timing::lap("  concentration: slices");
        conc.extend(concentration::slice_rows("account", &acc_slices));
        conc.extend(concentration::slice_rows("group", &grp_slices));
        super::timing::lap("  concentration: slice rows");
        let owner_hhi = keyperson::owner_hhi(&revenue, &core.acc.owner);
        let dim_all = |m: &str, v: f64| ConcRow {
            level: "account",
            dimension: "all".into(),
            key: String::new(),
            metric: m.into(),
            value: v,
        };
        if let Some(h) = owner_hhi {
            conc.push(dim_all("owner_hhi", h));
        }
        if bus.is_some() {
            if let Some(s) = key_all.single_threaded_revenue_share {
                conc.push(dim_all("single_threaded_revenue_share", s));
            }
        }
        // headline
        let acc_all: Vec<f64> = revenue.clone();
        if let Some(f) = concentration::figures(&acc_all) {
            headline.hhi = Some(f.hhi);
            headline.hhi_band =
                Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).to_string());
            headline.gini = Some(f.gini);
            headline.top1_share = Some(f.top1_share);
            headline.top5_share = Some(f.top5_share);
            headline.top10_share = Some(f.top10_share);
            headline.top20pct_share = Some(f.top20pct_share);
            headline.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
            let ci = super::bootstrap::concentration_intervals(
                &acc_all,
                cfg.evidence.bootstrap_draws,
                cfg.evidence.bootstrap_seed,
            );
            for (m, c) in super::bootstrap::CONCENTRATION_METRICS.iter().zip(ci) {
                if let Some(c) = c {
                    intervals.insert(m, c);
                }
            }
            super::timing::lap("  concentration: bootstrap intervals");
        }
        if let Some(g) = grp_slices.get("all").and_then(|d| d.get("")) {
            let v: Vec<f64> = g.iter().map(|x| x.1).collect();
            headline.group_hhi = concentration::hhi(&v);
            // major customers
            let total: f64 = revenue.iter().filter(|x| **x > 0.0).sum();
            if total > 0.0 {
                let mut majors = Vec::new();
                for i in 0..n {
                    if revenue[i] > 0.0 && revenue[i] / total >= cfg.major_customer_share - 1e-12 {
                        majors.push(MajorCustomer {
                            level: "account".into(),
                            key: core.acc.ids[i].clone(),
                            name: core.acc.name[i].clone().unwrap_or_default(),
                            revenue_12m: revenue[i],
                            share: revenue[i] / total,
                        });
                    }
                }
                let mut groups: Vec<&(usize, f64)> = g.iter().filter(|(_, v)| *v > 0.0).collect();
                groups.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                for &(k, v) in groups {
                    if v / total >= cfg.major_customer_share - 1e-12 {
                        let name = core.acc.name[k].clone().unwrap_or_default();
                        majors.push(MajorCustomer {
                            level: "group".into(),
                            key: core.acc.ids[k].clone(),
                            name,
                            revenue_12m: v,
                            share: v / total,
                        });
                    }
                }
                majors.sort_by(|a, b| {
                    a.level
                        .cmp(&b.level)
                        .then(b.revenue_12m.total_cmp(&a.revenue_12m))
                        .then(a.key.cmp(&b.key))
                });
                summary.major_customers = majors;
            }
        }
        headline.owner_hhi = owner_hhi;
    }
    super::timing::lap("accounts table, concentration");
    let concentration = DataFrame::new_infer_height(vec![
        Column::new(
            "level".into(),
            conc.iter().map(|r| r.level).collect::<Vec<_>>(),
        ),
        Column::new(
            "dimension".into(),
            conc.iter().map(|r| r.dimension.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "key".into(),
            conc.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "metric".into(),
            conc.iter().map(|r| r.metric.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "value".into(),
            conc.iter().map(|r| r.value).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_low".into(),
            conc.iter()
                .map(|r| conc_interval(&intervals, r).map(|c| c[0]))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_high".into(),
            conc.iter()
                .map(|r| conc_interval(&intervals, r).map(|c| c[1]))
                .collect::<Vec<_>>(),
        ),
    ])?;

    // --- employees
    let employees = if full {
        employees_table(&core, &revenue)?
    } else {
        DataFrame::empty()
    };
    super::timing::lap("employees table");

    // --- tier migration
    let tier_migration = migration_table(tier, &core.seg_prev.tier, &revenue)?;

    // --- headline and data quality
    headline.active_accounts = core.seg.active.iter().filter(|a| **a).count() as u64;
    headline.revenue_12m_total = revenue.iter().filter(|x| **x > 0.0).sum();
    if let Some(r) = &core.rev {
        headline.revenue_prev_12m_total = r.rev[1].iter().filter(|x| **x > 0.0).sum();
        headline.margin_12m_total = r.any_margin[0].then(|| r.margin[0].iter().flatten().sum());
    }
    headline.pipeline_weighted_total = core.pipe.as_ref().map(|p| p[0].iter().sum());
    if bus.is_some() {
        headline.single_threaded_revenue_share = key_all.single_threaded_revenue_share;
        headline.sa_single_threaded_revenue = Some(key_all.sa_single_threaded_revenue);
    }
    if core.contacts.is_some() {
        headline.opposition_accounts =
            Some(opposition.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    if core.recent_df.is_some() {
        headline.multi_headed_accounts =
            Some(multi.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    let sa_rdi: Vec<f64> = (0..n)
        .filter(|&i| matches!(tier[i], Some("S") | Some("A")))
        .filter_map(|i| rdi[i])
        .collect();
    headline.mean_rdi_sa =
        (!sa_rdi.is_empty()).then(|| sa_rdi.iter().sum::<f64>() / sa_rdi.len() as f64);
    for i in 0..n {
        if let Some(t) = tier[i] {
            *headline.tier_counts.entry(t.to_string()).or_default() += 1;
            *headline.tier_revenue.entry(t.to_string()).or_default() += revenue[i];
        }
        if let Some(d) = &core.acc.declared_tier[i] {
            let computed = tier[i].unwrap_or("");
            if d.trim() != computed {
                summary.data_quality.tier_mismatches.push(TierMismatch {
                    account_id: core.acc.ids[i].clone(),
                    declared: d.clone(),
                    computed: computed.to_string(),
                });
            }
        }
    }
    super::timing::lap("headline figures");
    let evidence = if full {
        evidence(
            inputs,
            as_of,
            cfg,
            cur,
            &core,
            &revenue,
            &mut headline,
            &mut summary,
        )?
    } else {
        super::evidence::frame(&[], None)?
    };
    headline.intervals = intervals
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(std::mem::take(&mut headline.intervals))
        .collect();
    summary.headline = headline;
    if full {
        summary.data_quality.orphans = orphans(&core);
        if core.revenue_source == Some("revenue") {
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
        summary,
    })
}

/// The interval of a concentration row (account level, dimension all) if it has one.
fn conc_interval(intervals: &BTreeMap<&str, [f64; 2]>, r: &ConcRow) -> Option<[f64; 2]> {
    (r.level == "account" && r.dimension == "all")
        .then(|| intervals.get(r.metric.as_str()).copied())
        .flatten()
}
