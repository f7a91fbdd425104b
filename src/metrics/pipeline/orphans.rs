//! Rows whose account_id is not an account, per table.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::frames::{collect_all, i64s};
use super::R;
use crate::metrics::Inputs;

/// Rows of child tables whose account_id is not an account, per table (only non-zero counts;
/// revenue's are counted by `revenue_agg`).
pub(super) fn orphan_counts(inputs: &Inputs) -> R<BTreeMap<String, u64>> {
    crate::metrics::timing::start();
    let ids = inputs
        .accounts
        .clone()
        .select([col("account_id")])
        .unique(None, UniqueKeepStrategy::Any);
    let tables: [(&str, &Option<LazyFrame>); 5] = [
        ("contacts", &inputs.contacts),
        ("opportunities", &inputs.opportunities),
        ("activities", &inputs.activities),
        ("agreements", &inputs.agreements),
        ("surveys", &inputs.surveys),
    ];
    let mut out = BTreeMap::new();
    let present: Vec<(&str, LazyFrame)> = tables
        .into_iter()
        .filter(|(name, _)| match inputs.ingest_orphans.get(*name) {
            Some(&k) => {
                if k > 0 {
                    out.insert(name.to_string(), k);
                }
                false
            }
            None => true,
        })
        .filter_map(|(name, lf)| Some((name, lf.clone()?)))
        .collect();
    // An anti join probes each row's account_id once (no per-account groups are built);
    // a null account_id matches nothing, so it counts as an orphan.
    let frames = collect_all(
        present
            .iter()
            .map(|(_, lf)| {
                lf.clone()
                    .select([col("account_id")])
                    .join(
                        ids.clone(),
                        [col("account_id")],
                        [col("account_id")],
                        JoinArgs::new(JoinType::Anti),
                    )
                    .select([len().cast(DataType::Int64).alias("n")])
            })
            .collect(),
    )?;
    for ((name, _), df) in present.iter().zip(frames) {
        let k = i64s(&df, "n")?
            .first()
            .copied()
            .flatten()
            .unwrap_or(0)
            .max(0) as u64;
        if k > 0 {
            out.insert(name.to_string(), k);
        }
    }
    crate::metrics::timing::lap("(worker) orphan counts");
    Ok(out)
}
