//! The relationship sections of the strategy page: the value × relationship quadrant, the
//! relationship profile and decision-chain gaps of S/A accounts, the customer selection list
//! and the industry and region breakdowns.

use std::collections::{BTreeMap, HashMap};

use super::accounts::{by_revenue_desc, sample_indices, tier_key, Acc};
use super::{AccountBrief, QuadPoint, Quadrant, Slice};
use crate::report::ReportConfig;

/// The value × relationship scatter: every S/A account first, the rest sampled, the top S/A
/// by revenue labelled.
pub(super) fn quadrant(accs: &[Acc], cfg: &ReportConfig) -> Quadrant {
    let mut plotted: Vec<&Acc> = accs
        .iter()
        .filter(|a| a.value_score.is_some_and(f64::is_finite) && a.rdi.is_some_and(f64::is_finite))
        .collect();
    let qtotal = plotted.len();
    plotted.sort_by(|a, b| {
        b.is_sa()
            .cmp(&a.is_sa())
            .then_with(|| by_revenue_desc(a, b))
    });
    let n_sa = plotted.iter().take_while(|a| a.is_sa()).count();
    let maxp = cfg.scatter_max_points.max(10);
    let chosen: Vec<&Acc> = if plotted.len() <= maxp {
        plotted.clone()
    } else if n_sa >= maxp {
        plotted[..maxp].to_vec()
    } else {
        let rest = &plotted[n_sa..];
        let mut v = plotted[..n_sa].to_vec();
        v.extend(
            sample_indices(rest.len(), maxp - n_sa)
                .into_iter()
                .map(|i| rest[i]),
        );
        v
    };
    let mut sa_by_rev: Vec<&Acc> = chosen.iter().copied().filter(|a| a.is_sa()).collect();
    sa_by_rev.sort_by(|a, b| by_revenue_desc(a, b));
    let labelled: Vec<&str> = sa_by_rev
        .iter()
        .take(cfg.scatter_labels)
        .map(|a| a.id.as_str())
        .collect();
    let points = chosen
        .iter()
        .map(|a| QuadPoint {
            name: a.display_name(),
            tier: tier_key(&a.tier),
            value_score: a.value_score.unwrap_or(0.0),
            rdi: a.rdi.unwrap_or(0.0),
            revenue: a.rev(),
            label: labelled.contains(&a.id.as_str()),
        })
        .collect();
    let mut counts: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for a in accs {
        if let Some(q) = &a.quadrant {
            let e = counts.entry(q.clone()).or_default();
            e.0 += 1;
            e.1 += a.rev();
        }
    }
    Quadrant {
        points,
        total: qtotal,
        counts,
    }
}

/// The S/A accounts by revenue descending.
pub(super) fn sa_by_revenue(accs: &[Acc]) -> Vec<&Acc> {
    let mut sa: Vec<&Acc> = accs.iter().filter(|a| a.is_sa()).collect();
    sa.sort_by(|a, b| by_revenue_desc(a, b));
    sa
}

/// The S/A lists of the strategy page.
pub(super) struct SaLists {
    /// KRI/GRI/ORI of the top S/A by revenue.
    pub profile: Vec<AccountBrief>,
    /// S/A with a red/amber decision chain or opposition, by revenue.
    pub gaps: Vec<AccountBrief>,
    /// S/A by value score.
    pub selection: Vec<AccountBrief>,
}

/// The S/A lists from the S/A accounts by revenue.
pub(super) fn sa_lists(sa: &[&Acc], cfg: &ReportConfig, top_n: usize) -> SaLists {
    let profile = sa
        .iter()
        .take(cfg.chart_top_n.max(1))
        .map(|a| a.brief())
        .collect();
    let gaps = sa
        .iter()
        .filter(|a| {
            matches!(a.dc.as_deref(), Some("red") | Some("amber")) || a.opposition == Some(true)
        })
        .take(top_n)
        .map(|a| a.brief())
        .collect();
    let mut by_value = sa.to_vec();
    by_value.sort_by(|a, b| {
        b.value_score
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.value_score.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| by_revenue_desc(a, b))
    });
    let selection = by_value.iter().take(top_n).map(|a| a.brief()).collect();
    SaLists {
        profile,
        gaps,
        selection,
    }
}

/// Revenue and active accounts per category (`key`), the largest `cap` kept and the rest
/// summed as `other`.
pub(super) fn breakdown(
    accs: &[Acc],
    key: impl Fn(&Acc) -> Option<&String>,
    total: f64,
    cap: usize,
) -> Vec<Slice> {
    let mut m: HashMap<Option<String>, (u64, f64)> = HashMap::new();
    for a in accs {
        let e = m.entry(key(a).cloned()).or_default();
        if a.rev() > 0.0 {
            e.0 += 1;
        }
        e.1 += a.rev();
    }
    let mut v: Vec<(Option<String>, (u64, f64))> = m
        .into_iter()
        .filter(|(_, (n, r))| *n > 0 || *r != 0.0)
        .collect();
    v.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1).then_with(|| a.0.cmp(&b.0)));
    let share = |r: f64| (total > 0.0).then(|| r / total);
    let cap = cap.max(1);
    let mut out = Vec::new();
    let mut other = (0u64, 0.0f64);
    let mut n_other = 0;
    for (i, (k, (n, r))) in v.into_iter().enumerate() {
        if i < cap {
            let kind = if k.is_some() { "value" } else { "unknown" };
            out.push(Slice {
                key: k.unwrap_or_default(),
                kind: kind.into(),
                accounts: n,
                revenue: r,
                share: share(r),
            });
        } else {
            other.0 += n;
            other.1 += r;
            n_other += 1;
        }
    }
    if n_other > 0 {
        out.push(Slice {
            key: n_other.to_string(),
            kind: "other".into(),
            accounts: other.0,
            revenue: other.1,
            share: share(other.1),
        });
    }
    out
}
