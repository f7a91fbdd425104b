//! Metric tables built from the per-account vectors: employees and tier migration.

use super::*;

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
    let rank = |t: &Option<&str>| match t {
        Some("S") => 0,
        Some("A") => 1,
        Some("B") => 2,
        Some("C") => 3,
        _ => 4,
    };
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
