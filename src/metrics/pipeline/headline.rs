//! Concentration rows with their bootstrap intervals (metrics.md "Concentration"), the headline
//! figures and major customers, and the summary's headline block.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::common::Core;
use super::depth::Depth;
use super::revenue::RevenueAgg;
use super::risk::KeyPerson;
use super::R;
use crate::contract::summary::{Headline, MajorCustomer, Summary, TierMismatch};
use crate::contract::{is_key_tier, Dimension, SliceLevel};
use crate::metrics::concentration::{self, ConcRow, Slices};
use crate::metrics::keyperson::{self, KeyFigures};
use crate::metrics::MetricsConfig;

/// The `concentration` table and the headline concentration figures (account and group HHI,
/// Gini, top-N shares, owner HHI, major customers). Computed only in the full analysis and
/// with revenue; otherwise the table is empty and the figures stay unset.
#[allow(clippy::too_many_arguments)]
pub(super) fn concentration(
    core: &Core,
    revenue: &[f64],
    kp: &KeyPerson,
    key_all: &KeyFigures,
    cfg: &MetricsConfig,
    full: bool,
    headline: &mut Headline,
    summary: &mut Summary,
) -> R<DataFrame> {
    let mut conc: Vec<ConcRow> = Vec::new();
    let mut intervals: BTreeMap<&str, [f64; 2]> = BTreeMap::new();
    if let (Some(r), true) = (&core.rev, full) {
        let grp_slices = slice_rows(core, r, revenue, &mut conc);
        let owner_hhi = keyperson::owner_hhi(revenue, &core.acc.owner);
        if let Some(h) = owner_hhi {
            conc.push(ConcRow::all("owner_hhi", h));
        }
        if kp.bus.is_some() {
            if let Some(s) = key_all.single_threaded_revenue_share {
                conc.push(ConcRow::all("single_threaded_revenue_share", s));
            }
        }
        headline_concentration(revenue, cfg, headline, &mut intervals);
        if let Some(g) = grp_slices
            .get(Dimension::All.name())
            .and_then(|d| d.get(""))
        {
            let v: Vec<f64> = g.iter().map(|x| x.1).collect();
            headline.group_hhi = concentration::hhi(&v);
            if let Some(m) = major_customers(core, revenue, g, cfg) {
                summary.major_customers = m;
            }
        }
        headline.owner_hhi = owner_hhi;
    }
    crate::metrics::timing::lap("concentration");
    let df = concentration::frame(&conc, |r| conc_interval(&intervals, r))?;
    for (k, v) in intervals {
        headline.intervals.insert(k.to_string(), v);
    }
    Ok(df)
}

/// Concentration rows of every slice (all, industry, region, product line, year) at account
/// and group level; returns the group slices (the headline group HHI and major groups read
/// them).
fn slice_rows(core: &Core, r: &RevenueAgg, revenue: &[f64], conc: &mut Vec<ConcRow>) -> Slices {
    let n = core.acc.ids.len();
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
    let dims: [(Dimension, Vec<(&str, usize, f64)>); 5] = [
        (
            Dimension::All,
            (0..n).map(|i| ("", i, revenue[i])).collect(),
        ),
        (
            Dimension::Industry,
            (0..n)
                .map(|i| (unknown(&core.acc.industry[i]), i, revenue[i]))
                .collect(),
        ),
        (
            Dimension::Region,
            (0..n)
                .map(|i| (unknown(&core.acc.region[i]), i, revenue[i]))
                .collect(),
        ),
        (
            Dimension::ProductLine,
            r.product_lines
                .iter()
                .map(|(i, pl, v)| (pl.as_str(), *i, *v))
                .collect(),
        ),
        (
            Dimension::Year,
            r.years
                .iter()
                .map(|(i, y, v)| (year_keys[y].as_str(), *i, *v))
                .collect(),
        ),
    ];
    for (dim, rows) in &dims {
        concentration::add_rows(&mut acc_slices, dim.name(), rows.iter().copied());
        concentration::add_rows(
            &mut grp_slices,
            dim.name(),
            rows.iter().map(|(k, i, v)| (*k, group_idx[*i], *v)),
        );
    }
    crate::metrics::timing::lap("  concentration: slices");
    conc.extend(concentration::slice_rows(SliceLevel::Account, &acc_slices));
    conc.extend(concentration::slice_rows(SliceLevel::Group, &grp_slices));
    crate::metrics::timing::lap("  concentration: slice rows");
    grp_slices
}

/// Account-level headline figures and their bootstrap intervals.
fn headline_concentration(
    revenue: &[f64],
    cfg: &MetricsConfig,
    headline: &mut Headline,
    intervals: &mut BTreeMap<&str, [f64; 2]>,
) {
    if let Some(f) = concentration::figures(revenue) {
        headline.hhi = Some(f.hhi);
        headline.hhi_band =
            Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).to_string());
        headline.gini = Some(f.gini);
        headline.top1_share = Some(f.top1_share);
        headline.top5_share = Some(f.top5_share);
        headline.top10_share = Some(f.top10_share);
        headline.top20pct_share = Some(f.top20pct_share);
        headline.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
        let ci = crate::metrics::bootstrap::concentration_intervals(
            revenue,
            cfg.evidence.bootstrap_draws,
            cfg.evidence.bootstrap_seed,
        );
        for (m, c) in crate::metrics::bootstrap::CONCENTRATION_METRICS
            .iter()
            .zip(ci)
        {
            if let Some(c) = c {
                intervals.insert(m, c);
            }
        }
        crate::metrics::timing::lap("  concentration: bootstrap intervals");
    }
}

/// Accounts and groups with at least `major_customer_share` of revenue_12m; None when there
/// is no positive revenue.
fn major_customers(
    core: &Core,
    revenue: &[f64],
    groups: &[(usize, f64)],
    cfg: &MetricsConfig,
) -> Option<Vec<MajorCustomer>> {
    let n = core.acc.ids.len();
    let total: f64 = revenue.iter().filter(|x| **x > 0.0).sum();
    if total > 0.0 {
        let mut majors = Vec::new();
        for (i, &r) in revenue.iter().enumerate().take(n) {
            if r > 0.0 && r / total >= cfg.major_customer_share - 1e-12 {
                majors.push(MajorCustomer {
                    level: SliceLevel::Account.name().into(),
                    key: core.acc.ids[i].clone(),
                    name: core.acc.name[i].clone().unwrap_or_default(),
                    revenue_12m: r,
                    share: r / total,
                });
            }
        }
        let mut groups: Vec<&(usize, f64)> = groups.iter().filter(|(_, v)| *v > 0.0).collect();
        groups.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for &(k, v) in groups {
            if v / total >= cfg.major_customer_share - 1e-12 {
                let name = core.acc.name[k].clone().unwrap_or_default();
                majors.push(MajorCustomer {
                    level: SliceLevel::Group.name().into(),
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
        return Some(majors);
    }
    None
}

/// The rest of the headline block (totals, key-person and depth counts, tier counts and
/// revenue) and the declared-vs-computed tier mismatches.
pub(super) fn headline_figures(
    core: &Core,
    revenue: &[f64],
    d: &Depth,
    kp: &KeyPerson,
    key_all: &KeyFigures,
    headline: &mut Headline,
    summary: &mut Summary,
) {
    let n = core.acc.ids.len();
    let tier = &core.seg.tier;
    headline.active_accounts = core.seg.active.iter().filter(|a| **a).count() as u64;
    headline.revenue_12m_total = revenue.iter().filter(|x| **x > 0.0).sum();
    if let Some(r) = &core.rev {
        headline.revenue_prev_12m_total = r.rev[1].iter().filter(|x| **x > 0.0).sum();
        headline.margin_12m_total = r.any_margin[0].then(|| r.margin[0].iter().flatten().sum());
    }
    headline.pipeline_weighted_total = core.pipe.as_ref().map(|p| p[0].iter().sum());
    if kp.bus.is_some() {
        headline.single_threaded_revenue_share = key_all.single_threaded_revenue_share;
        headline.sa_single_threaded_revenue = Some(key_all.sa_single_threaded_revenue);
    }
    if core.contacts.is_some() {
        headline.opposition_accounts =
            Some(d.opposition.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    if core.activities.is_some() {
        headline.multi_headed_accounts =
            Some(kp.multi_headed.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    let sa_rdi: Vec<f64> = (0..n)
        .filter(|&i| is_key_tier(tier[i]))
        .filter_map(|i| d.rdi[i])
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
}

/// The interval of a concentration row (account level, dimension all) if it has one.
fn conc_interval(intervals: &BTreeMap<&str, [f64; 2]>, r: &ConcRow) -> Option<[f64; 2]> {
    (r.level == SliceLevel::Account && r.dimension == Dimension::All.name())
        .then(|| intervals.get(r.metric.as_str()).copied())
        .flatten()
}
