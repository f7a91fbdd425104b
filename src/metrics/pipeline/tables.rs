//! Metric tables built from the per-account vectors: employees and tier migration.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::common::Core;
use super::depth::Depth;
use super::frames::strs;
use super::rfm::Rfm;
use super::risk::KeyPerson;
use super::R;
use crate::contract::Tier;
use crate::metrics::{keyperson, market};

pub(super) fn employees_table(core: &Core, revenue: &[f64]) -> R<DataFrame> {
    let n = core.acc.ids.len();
    let empty: Vec<Vec<String>> = vec![Vec::new(); n];
    let stats = keyperson::employee_stats(
        revenue,
        core.holders.as_ref().unwrap_or(&empty),
        &core.acc.owner,
    );
    let mut owned_count: HashMap<&str, u64> = HashMap::new();
    for o in core.acc.owner.iter().flatten() {
        *owned_count.entry(o.as_str()).or_default() += 1;
    }
    let mut ids: Vec<String> = Vec::new();
    let mut role: Vec<Option<String>> = Vec::new();
    let mut team: Vec<Option<String>> = Vec::new();
    let mut name: Vec<Option<String>> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    if let Some(e) = &core.employees {
        let df = e
            .clone()
            .filter(col("employee_id").is_not_null())
            .select([col("employee_id"), col("role"), col("team"), col("name")])
            .unique_stable(Some(cols(["employee_id"])), UniqueKeepStrategy::First)
            .collect()?;
        for (((i, r), t), nm) in strs(&df, "employee_id")?
            .into_iter()
            .zip(strs(&df, "role")?)
            .zip(strs(&df, "team")?)
            .zip(strs(&df, "name")?)
        {
            if let Some(i) = i {
                seen.insert(i.clone());
                ids.push(i);
                role.push(r);
                team.push(t);
                name.push(nm);
            }
        }
    }
    for k in stats.keys() {
        if !seen.contains(k) {
            seen.insert(k.clone());
            ids.push(k.clone());
            role.push(None);
            team.push(None);
            name.push(None);
        }
    }
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|a, b| ids[*a].cmp(&ids[*b]));
    let has_holders = core.holders.is_some();
    let has_rev = core.rev.is_some();
    let pick = |i: usize| stats.get(&ids[i]);
    let df = DataFrame::new_infer_height(vec![
        Column::new(
            "employee_id".into(),
            order.iter().map(|&i| ids[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            order.iter().map(|&i| role[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "team".into(),
            order.iter().map(|&i| team[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_held".into(),
            order
                .iter()
                .map(|&i| has_holders.then(|| pick(i).map_or(0, |s| s.accounts_held)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "sole_holder_revenue".into(),
            order
                .iter()
                .map(|&i| {
                    (has_holders && has_rev).then(|| pick(i).map_or(0.0, |s| s.sole_holder_revenue))
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "owned_revenue".into(),
            order
                .iter()
                .map(|&i| has_rev.then(|| pick(i).map_or(0.0, |s| s.owned_revenue)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_owned".into(),
            order
                .iter()
                .map(|&i| owned_count.get(ids[i].as_str()).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            order.iter().map(|&i| name[i].clone()).collect::<Vec<_>>(),
        ),
    ])?;
    Ok(df)
}

/// Tier migration matrix: accounts and revenue_12m by (tier_prev, tier); accounts with no
/// tier in either year are left out; null = no tier.
///
/// Example: one account B → A with revenue 10 and one new account (no tier_prev) → C:
/// rows (B, A, 1, 10) and (null, C, 1, …).
pub fn migration_table(
    tier: &[Option<&str>],
    tier_prev: &[Option<&str>],
    revenue: &[f64],
) -> R<DataFrame> {
    // S, A, B, C, then no tier.
    let rank = |t: &Option<&str>| t.and_then(Tier::parse).map_or(4, |t| t as u8);
    let mut m: BTreeMap<(u8, u8), (Option<&str>, Option<&str>, u64, f64)> = BTreeMap::new();
    for i in 0..tier.len() {
        if tier[i].is_none() && tier_prev[i].is_none() {
            continue;
        }
        let e = m.entry((rank(&tier_prev[i]), rank(&tier[i]))).or_insert((
            tier_prev[i],
            tier[i],
            0,
            0.0,
        ));
        e.2 += 1;
        e.3 += revenue[i];
    }
    let v: Vec<_> = m.into_values().collect();
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "tier_prev".into(),
            v.iter().map(|x| x.0).collect::<Vec<_>>(),
        ),
        Column::new("tier".into(), v.iter().map(|x| x.1).collect::<Vec<_>>()),
        Column::new("accounts".into(), v.iter().map(|x| x.2).collect::<Vec<_>>()),
        Column::new(
            "revenue_12m".into(),
            v.iter().map(|x| x.3).collect::<Vec<_>>(),
        ),
    ])?)
}

/// The `accounts` metric table (interface.md): one row per account, in account_id order.
pub(super) fn accounts_table(
    core: &Core,
    revenue: &[f64],
    d: &Depth,
    kp: &KeyPerson,
    rfm: &Rfm,
    mkt: &market::AccountColumns,
) -> R<DataFrame> {
    let n = core.acc.ids.len();
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
    let bus_col: Vec<Option<u32>> = match &kp.bus {
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
                .map(|d| d.map(crate::metrics::windows::epoch_days))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)?)
    };
    Ok(DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), core.acc.ids.clone()),
        Column::new("name".into(), core.acc.name.clone()),
        Column::new("industry".into(), core.acc.industry.clone()),
        Column::new("region".into(), core.acc.region.clone()),
        Column::new("group_id".into(), core.group_id.clone()),
        Column::new("revenue_12m".into(), opt_rev(revenue)),
        Column::new("revenue_prev_12m".into(), rev_prev),
        Column::new("margin_12m".into(), margin),
        Column::new("orders_12m".into(), orders),
        Column::new("pipeline_weighted".into(), pipe),
        Column::new("growth".into(), growth),
        Column::new("value_score".into(), core.seg.value_score.clone()),
        Column::new("tier".into(), s(&core.seg.tier)),
        Column::new("tier_prev".into(), s(&core.seg_prev.tier)),
        Column::new("declared_tier".into(), core.acc.declared_tier.clone()),
        Column::new("abc_class".into(), s(&abc)),
        Column::new("pareto_rank".into(), prank),
        Column::new("cum_share".into(), cum),
        Column::new(
            "rfm_r".into(),
            rfm.scores[0]
                .iter()
                .map(|x| x.map(u32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_f".into(),
            rfm.scores[1]
                .iter()
                .map(|x| x.map(u32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_m".into(),
            rfm.scores[2]
                .iter()
                .map(|x| x.map(u32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new("kri".into(), d.kri.clone()),
        Column::new("gri".into(), d.gri.clone()),
        Column::new("ori".into(), d.ori.clone()),
        Column::new("rdi".into(), d.rdi.clone()),
        Column::new("decision_chain_status".into(), s(&d.status)),
        Column::new("opposition".into(), d.opposition.clone()),
        Column::new("dm_support".into(), d.dm_support.clone()),
        Column::new("bus_factor".into(), bus_col),
        Column::new("single_threaded".into(), single),
        Column::new("iron_triangle".into(), kp.iron_triangle.clone()),
        Column::new("multi_headed".into(), kp.multi_headed.clone()),
        Column::new("quadrant".into(), s(&d.quadrant)),
        Column::new("wallet".into(), mkt.wallet.clone()),
        Column::new("wallet_share".into(), mkt.wallet_share.clone()),
        Column::new("headroom".into(), mkt.headroom.clone()),
        Column::new("selection".into(), s(&mkt.selection)),
        // extras
        Column::new("owner_id".into(), core.acc.owner.clone()),
        date_col("last_order_date", &last_order)?,
        Column::new("recency_days".into(), rfm.recency_days.clone()),
        Column::new("departments_active".into(), d.departments_active.clone()),
        Column::new("departments_known".into(), d.departments_known.clone()),
        Column::new("ori_level".into(), s(&d.ori_level)),
        Column::new(
            "iron_triangle_missing".into(),
            kp.iron_triangle_missing.clone(),
        ),
        Column::new("holders".into(), kp.holders.clone()),
    ])?)
}

/// The `account_quarters` table: revenue per account and calendar quarter (empty without
/// revenue).
pub(super) fn account_quarters_table(core: &Core) -> R<DataFrame> {
    let empty: &[(usize, i32, f64)] = &[];
    let q = core.rev.as_ref().map_or(empty, |r| r.quarters.as_slice());
    let ends: Vec<Option<i32>> = q
        .iter()
        .map(|(_, k, _)| {
            crate::metrics::windows::quarter_bounds(*k)
                .map(|b| crate::metrics::windows::epoch_days(b.1))
        })
        .collect();
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "account_id".into(),
            q.iter()
                .map(|(i, _, _)| core.acc.ids[*i].as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new("quarter_end".into(), ends).cast(&DataType::Date)?,
        Column::new(
            "revenue".into(),
            q.iter().map(|(_, _, v)| *v).collect::<Vec<_>>(),
        ),
    ])?)
}
