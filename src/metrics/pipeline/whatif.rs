//! `mcr whatif`: concentration and key-person figures before and after removing employees
//! or accounts.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::common::{load_core, Core};
use super::frames::strs;
use super::R;
use crate::contract::summary::Summary;
use crate::metrics::keyperson::{self, KeyFigures};
use crate::metrics::{concentration, Inputs, MetricsConfig, MetricsError};

/// Concentration and key-person figures of one scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScenarioFigures {
    pub revenue_total: f64,
    pub n_active: u64,
    pub hhi: Option<f64>,
    pub hhi_band: Option<String>,
    pub group_hhi: Option<f64>,
    pub gini: Option<f64>,
    pub top1_share: Option<f64>,
    pub top5_share: Option<f64>,
    pub top10_share: Option<f64>,
    pub accounts_for_80pct: Option<u64>,
    /// None when there is no contacts table.
    pub key_person: Option<KeyFigures>,
}

/// Before/after figures of a what-if.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WhatifResult {
    pub as_of: String,
    pub removed_employees: Vec<String>,
    pub removed_accounts: Vec<String>,
    /// Accounts that lose every holder because of the removed employees (active ones).
    pub accounts_orphaned: Vec<String>,
    pub before: ScenarioFigures,
    pub after: ScenarioFigures,
}

pub(super) fn scenario(
    core: &Core,
    revenue: &[f64],
    removed_acc: &[bool],
    removed_emp: &HashSet<String>,
    cfg: &MetricsConfig,
) -> ScenarioFigures {
    let n = revenue.len();
    let kept: Vec<f64> = (0..n)
        .map(|i| if removed_acc[i] { 0.0 } else { revenue[i] })
        .collect();
    let mut s = ScenarioFigures::default();
    if let Some(f) = concentration::figures(&kept) {
        s.revenue_total = f.revenue_total;
        s.n_active = f.n_active as u64;
        s.hhi = Some(f.hhi);
        s.hhi_band = Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).into());
        s.gini = Some(f.gini);
        s.top1_share = Some(f.top1_share);
        s.top5_share = Some(f.top5_share);
        s.top10_share = Some(f.top10_share);
        s.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
    }
    let mut groups: HashMap<usize, f64> = HashMap::new();
    for (i, k) in kept.iter().enumerate().take(n) {
        *groups.entry(core.group_idx(i)).or_default() += k;
    }
    s.group_hhi = concentration::hhi(&groups.values().copied().collect::<Vec<_>>());
    s.key_person = core
        .bus(removed_emp)
        .map(|b| keyperson::key_figures(&kept, &core.seg.tier, &b, removed_acc));
    s
}

pub(in crate::metrics) fn whatif(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    remove_employees: &[String],
    remove_accounts: &[String],
) -> R<WhatifResult> {
    let mut summary = Summary::default();
    let acc = std::sync::Arc::new(super::accounts::load_accounts(&inputs.accounts)?);
    let core = load_core(inputs, acc, as_of, cfg, cur, &mut summary, false)?;
    let n = core.acc.ids.len();
    let unknown_acc: Vec<String> = remove_accounts
        .iter()
        .filter(|a| !core.acc.index.contains_key(a.trim()))
        .cloned()
        .collect();
    if !unknown_acc.is_empty() {
        return Err(MetricsError::UnknownIds {
            kind: "account",
            ids: unknown_acc,
        });
    }
    let mut known_emp: HashSet<String> = core.acc.owner.iter().flatten().cloned().collect();
    if let Some(h) = &core.holders {
        known_emp.extend(h.iter().flatten().cloned());
    }
    if let Some(e) = &core.employees {
        let df = e.clone().select([col("employee_id")]).collect()?;
        known_emp.extend(strs(&df, "employee_id")?.into_iter().flatten());
    }
    let unknown_emp: Vec<String> = remove_employees
        .iter()
        .filter(|e| !known_emp.contains(e.trim()))
        .cloned()
        .collect();
    if !unknown_emp.is_empty() {
        return Err(MetricsError::UnknownIds {
            kind: "employee",
            ids: unknown_emp,
        });
    }
    let revenue = core.revenue();
    let removed_emp: HashSet<String> = remove_employees
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let removed_set: HashSet<&str> = remove_accounts.iter().map(|s| s.trim()).collect();
    let removed_acc: Vec<bool> = core
        .acc
        .ids
        .iter()
        .map(|a| removed_set.contains(a.as_str()))
        .collect();
    let before = scenario(&core, &revenue, &vec![false; n], &HashSet::new(), cfg);
    let after = scenario(&core, &revenue, &removed_acc, &removed_emp, cfg);
    let mut orphaned = Vec::new();
    if let (Some(b0), Some(b1)) = (core.bus(&HashSet::new()), core.bus(&removed_emp)) {
        for i in 0..n {
            if !removed_acc[i] && revenue[i] > 0.0 && b0[i] > 0 && b1[i] == 0 {
                orphaned.push(core.acc.ids[i].clone());
            }
        }
    }
    Ok(WhatifResult {
        as_of: as_of.to_string(),
        removed_employees: remove_employees.to_vec(),
        removed_accounts: remove_accounts.to_vec(),
        accounts_orphaned: orphaned,
        before,
        after,
    })
}
