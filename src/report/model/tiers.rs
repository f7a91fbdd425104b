//! The tier section of the strategy page: accounts and revenue per tier, the tier migration
//! matrix (from the `tier_migration` table only: without it the matrix is unavailable) and
//! decision-chain status counts per tier.

use polars::prelude::DataFrame;

use super::accounts::{tier_key, tier_labels, Acc, Active, NO_TIER};
use super::{DecisionChainRow, Migration, TierRow};
use crate::contract::metric_tables::{tier_migration as col, SchemaError};
use crate::contract::Tier;

/// Accounts, revenue, share and mean RDI per tier (`none` only when some account has none).
pub(super) fn rows(accs: &[Acc], active: &Active) -> Vec<TierRow> {
    let mut tiers = Vec::new();
    for t in tier_labels() {
        let members: Vec<&Acc> = accs.iter().filter(|a| tier_key(&a.tier) == t).collect();
        if t == NO_TIER && members.is_empty() {
            continue;
        }
        let revenue: f64 = members.iter().map(|a| a.rev()).sum();
        let rdis: Vec<f64> = members.iter().filter_map(|a| a.rdi).collect();
        tiers.push(TierRow {
            tier: t,
            accounts: members.len() as u64,
            revenue,
            share: active.share(revenue),
            mean_rdi: (!rdis.is_empty()).then(|| rdis.iter().sum::<f64>() / rdis.len() as f64),
        });
    }
    tiers
}

/// The migration matrix of the `tier_migration` table; `available: false` without it.
pub(super) fn migration(table: Option<&DataFrame>) -> Result<Migration, SchemaError> {
    let labels = tier_labels();
    let pos = |t: &Option<String>| {
        labels
            .iter()
            .position(|l| *l == tier_key(t))
            .unwrap_or(labels.len() - 1)
    };
    let mut accounts = vec![vec![0u64; labels.len()]; labels.len()];
    let mut revenue = vec![vec![0f64; labels.len()]; labels.len()];
    if let Some(df) = table {
        let from = col::TIER_PREV.strs(df)?;
        let to = col::TIER.strs(df)?;
        let n = col::ACCOUNTS.f64s(df)?;
        let r = col::REVENUE_12M.f64s(df)?;
        for i in 0..df.height() {
            let (a, b) = (pos(&from[i]), pos(&to[i]));
            accounts[a][b] += n[i].unwrap_or(0.0).max(0.0) as u64;
            revenue[a][b] += r[i].unwrap_or(0.0);
        }
    }
    Ok(Migration {
        from: labels.clone(),
        to: labels,
        accounts,
        revenue,
        available: table.is_some(),
    })
}

/// Decision-chain status counts per tier.
pub(super) fn decision_chain(accs: &[Acc]) -> Vec<DecisionChainRow> {
    Tier::ALL
        .iter()
        .map(|t| {
            let mut row = DecisionChainRow {
                tier: t.code().to_string(),
                red: 0,
                amber: 0,
                green: 0,
                unknown: 0,
            };
            for a in accs.iter().filter(|a| a.tier.as_deref() == Some(t.code())) {
                match a.dc.as_deref() {
                    Some("red") => row.red += 1,
                    Some("amber") => row.amber += 1,
                    Some("green") => row.green += 1,
                    _ => row.unknown += 1,
                }
            }
            row
        })
        .collect()
}
