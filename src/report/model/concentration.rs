//! The concentration sections of the finance page: Pareto and Lorenz curves, the
//! `concentration` table's figures (dimension `all`) and trend by year, major customers and
//! the group roll-up.
//!
//! The curves are drawn from the accounts' revenue (their points are a picture of the
//! distribution); every number shown — the Gini on the Lorenz chart and the share of accounts
//! bringing 80 % on the Pareto chart included — comes from the `concentration` metric table or
//! the summary.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::DataFrame;

use super::accounts::{sample_indices, Acc, Active};
use super::{ConcentrationRow, Curve, GroupRow, Major, TrendRow};
use crate::contract::metric_tables::{concentration as col, SchemaError};
use crate::contract::summary::Summary;

/// The figures of the `concentration` table the finance page shows.
pub(super) struct Figures {
    /// Dimension `all`, per level.
    pub rows: Vec<ConcentrationRow>,
    /// Level account, dimension `year`, per year.
    pub trend: Vec<TrendRow>,
    /// Level account, dimension `all`, metric `gini` (the Lorenz chart's marker).
    pub gini: Option<f64>,
    /// Level account, dimension `all`, metric `accounts_for_80pct_share` (the Pareto chart's
    /// marker).
    pub share_80: Option<f64>,
}

/// Read the `concentration` table (nothing when it is missing).
pub(super) fn figures(table: Option<&DataFrame>) -> Result<Figures, SchemaError> {
    let mut rows = Vec::new();
    let mut gini = None;
    let mut share_80 = None;
    let mut trend_map: BTreeMap<String, TrendRow> = BTreeMap::new();
    if let Some(df) = table {
        let level = col::LEVEL.strs(df)?;
        let dim = col::DIMENSION.strs(df)?;
        let key = col::KEY.strs(df)?;
        let metric = col::METRIC.strs(df)?;
        let value = col::VALUE.f64s(df)?;
        let (ci_low, ci_high) = (col::CI_LOW.f64s(df)?, col::CI_HIGH.f64s(df)?);
        for i in 0..df.height() {
            let (Some(l), Some(m)) = (&level[i], &metric[i]) else {
                continue;
            };
            match dim[i].as_deref() {
                Some("all") | None => {
                    if l == "account" {
                        match m.as_str() {
                            "gini" if gini.is_none() => gini = value[i],
                            "accounts_for_80pct_share" if share_80.is_none() => share_80 = value[i],
                            _ => {}
                        }
                    }
                    rows.push(ConcentrationRow {
                        level: l.clone(),
                        metric: m.clone(),
                        value: value[i],
                        ci: ci_low[i].zip(ci_high[i]).map(|(a, b)| [a, b]),
                    })
                }
                Some("year") if l == "account" => {
                    let y = key[i].clone().unwrap_or_default();
                    let e = trend_map.entry(y.clone()).or_insert(TrendRow {
                        year: y,
                        hhi: None,
                        gini: None,
                        top1_share: None,
                        top10_share: None,
                        revenue_total: None,
                    });
                    match m.as_str() {
                        "hhi" => e.hhi = value[i],
                        "gini" => e.gini = value[i],
                        "top1_share" => e.top1_share = value[i],
                        "top10_share" => e.top10_share = value[i],
                        "revenue_total" => e.revenue_total = value[i],
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    Ok(Figures {
        rows,
        trend: trend_map.into_values().collect(),
        gini,
        share_80,
    })
}

/// The Lorenz curve of the active accounts (ascending revenue) with `gini` as its marker.
pub(super) fn lorenz_curve(active: &[&Acc], max_points: usize, gini: Option<f64>) -> Curve {
    let n = active.len();
    let total: f64 = active.iter().map(|a| a.rev()).sum();
    if n == 0 || total <= 0.0 {
        return Curve {
            points: Vec::new(),
            n,
            marker: gini,
        };
    }
    let mut cum = Vec::with_capacity(n + 1);
    cum.push((0.0, 0.0));
    let mut s = 0.0;
    // active is sorted descending: walk it from the end (ascending).
    for (i, a) in active.iter().rev().enumerate() {
        s += a.rev();
        cum.push(((i + 1) as f64 / n as f64, s / total));
    }
    let idx = sample_indices(cum.len(), max_points);
    Curve {
        points: idx.into_iter().map(|i| cum[i]).collect(),
        n,
        marker: gini,
    }
}

/// The major customers of the summary, accounts first, by share descending.
pub(super) fn major_customers(s: &Summary) -> Vec<Major> {
    let mut major_customers: Vec<Major> = s
        .major_customers
        .iter()
        .map(|m| Major {
            level: m.level.clone(),
            key: m.key.clone(),
            name: if m.name.trim().is_empty() {
                m.key.clone()
            } else {
                m.name.clone()
            },
            revenue: m.revenue_12m,
            share: m.share,
        })
        .collect();
    major_customers.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then_with(|| b.share.total_cmp(&a.share))
    });
    major_customers
}

/// Revenue per group (the top-most parent; an account without one is its own group), the
/// top `top_n` by revenue, and the number of groups with revenue.
pub(super) fn groups(accs: &[Acc], active: &Active, top_n: usize) -> (Vec<GroupRow>, usize) {
    let names: HashMap<&str, String> = accs
        .iter()
        .map(|a| (a.id.as_str(), a.display_name()))
        .collect();
    let mut gmap: HashMap<String, (u64, f64)> = HashMap::new();
    for a in &active.accounts {
        let g = a.group_id.clone().unwrap_or_else(|| a.id.clone());
        let e = gmap.entry(g).or_default();
        e.0 += 1;
        e.1 += a.rev();
    }
    let mut groups: Vec<GroupRow> = gmap
        .into_iter()
        .map(|(g, (n, r))| GroupRow {
            name: names.get(g.as_str()).cloned().unwrap_or_else(|| g.clone()),
            group_id: g,
            members: n,
            revenue: r,
            share: active.share(r),
        })
        .collect();
    groups.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.group_id.cmp(&b.group_id))
    });
    let total = groups.len();
    groups.truncate(top_n);
    (groups, total)
}

/// The Pareto curve of the active accounts (descending revenue), marked at `share_80`, the
/// share of accounts bringing 80 % of revenue (from the `concentration` table).
pub(super) fn pareto_curve(active: &[&Acc], max_points: usize, share_80: Option<f64>) -> Curve {
    let n = active.len();
    let total: f64 = active.iter().map(|a| a.rev()).sum();
    if n == 0 || total <= 0.0 {
        return Curve {
            points: Vec::new(),
            n,
            marker: share_80,
        };
    }
    let mut cum = Vec::with_capacity(n + 1);
    cum.push((0.0, 0.0));
    let mut s = 0.0;
    for (i, a) in active.iter().enumerate() {
        s += a.rev();
        cum.push(((i + 1) as f64 / n as f64, s / total));
    }
    let idx = sample_indices(cum.len(), max_points);
    Curve {
        points: idx.into_iter().map(|i| cum[i]).collect(),
        n,
        marker: share_80,
    }
}
