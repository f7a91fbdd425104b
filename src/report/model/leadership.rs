//! The leadership page: top risks, concentration band change, S/A tier moves and new risks
//! since the previous report (or, without one, against `tier_prev`).

use std::collections::HashMap;

use super::accounts::{tier_key, Acc, Active};
use super::{Leadership, NewRisk, ReportInputs, TierMove};
use crate::contract::is_key_tier;

/// The leadership page data. `prev_accs` are the previous report's accounts, when readable.
pub(super) fn build(
    inputs: &ReportInputs,
    accs: &[Acc],
    sa: &[&Acc],
    prev_accs: Option<&[Acc]>,
    active: &Active,
    top_n: usize,
) -> Leadership {
    let h = &inputs.summary.headline;
    let prev_by_id: Option<HashMap<&str, &Acc>> =
        prev_accs.map(|v| v.iter().map(|a| (a.id.as_str(), a)).collect());
    let sa_st_rev = h.sa_single_threaded_revenue;
    let (sa_moves, moves_basis) = sa_moves(accs, prev_by_id.as_ref(), top_n);
    Leadership {
        previous_as_of: inputs
            .previous
            .as_ref()
            .map(|p| p.as_of.format("%Y-%m-%d").to_string()),
        sa_single_threaded_revenue: sa_st_rev,
        sa_single_threaded_share: sa_st_rev.and_then(|r| active.share(r)),
        opposition_accounts: h.opposition_accounts,
        band_now: h.hhi_band.clone(),
        band_prev: inputs
            .previous
            .as_ref()
            .and_then(|p| p.summary.headline.hhi_band.clone()),
        sa_moves,
        moves_basis,
        new_risks: new_risks(sa, prev_by_id.as_ref(), top_n),
        quarterly: inputs.summary.quarterly.clone(),
    }
}

/// Accounts that moved into or out of S/A, by revenue: against the previous report when there
/// is one (`previous_report`), else against `tier_prev` (`tier_prev`).
fn sa_moves(
    accs: &[Acc],
    prev: Option<&HashMap<&str, &Acc>>,
    top_n: usize,
) -> (Vec<TierMove>, String) {
    let mut moves = Vec::new();
    let basis = if prev.is_some() {
        "previous_report"
    } else {
        "tier_prev"
    };
    for a in accs {
        let before = match prev {
            Some(prev) => prev.get(a.id.as_str()).and_then(|p| p.tier.clone()),
            None => a.tier_prev.clone(),
        };
        let was_sa = is_key_tier(before.as_deref());
        if (a.is_sa() || was_sa) && tier_key(&before) != tier_key(&a.tier) {
            moves.push(TierMove {
                account_id: a.id.clone(),
                name: a.display_name(),
                from: tier_key(&before),
                to: tier_key(&a.tier),
                revenue: a.rev(),
            });
        }
    }
    moves.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    moves.truncate(top_n);
    (moves, basis.to_string())
}

/// Risks on S/A accounts that were not risks on S/A accounts in the previous report (every
/// current one without a previous report).
fn new_risks(sa: &[&Acc], prev: Option<&HashMap<&str, &Acc>>, top_n: usize) -> Vec<NewRisk> {
    let mut out = Vec::new();
    for a in sa.iter() {
        let prev = prev.map(|m| m.get(a.id.as_str()).copied());
        let was = |f: &dyn Fn(&Acc) -> bool| match prev {
            None => false,                      // no previous report: every current risk
            Some(None) => false,                // new account
            Some(Some(p)) => f(p) && p.is_sa(), // already a risk last time
        };
        let mut kinds = Vec::new();
        if a.single_threaded == Some(true) && !was(&|p| p.single_threaded == Some(true)) {
            kinds.push("single_threaded".to_string());
        }
        if a.opposition == Some(true) && !was(&|p| p.opposition == Some(true)) {
            kinds.push("opposition".to_string());
        }
        if a.quadrant.as_deref() == Some("invest")
            && !was(&|p| p.quadrant.as_deref() == Some("invest"))
        {
            kinds.push("invest".to_string());
        }
        if !kinds.is_empty() {
            out.push(NewRisk {
                account_id: a.id.clone(),
                name: a.display_name(),
                tier: tier_key(&a.tier),
                kinds,
                revenue: a.rev(),
            });
        }
    }
    out.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    out.truncate(top_n);
    out
}
