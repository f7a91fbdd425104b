//! The market-insight part of the strategy page (metrics.md "Market insight"): the customer
//! selection matrix (wallet × share), the `grow` accounts ranked by headroom, and win rate /
//! lost amount by competitor. Built from the `accounts` and `competitors` metric tables; a
//! missing input leaves the section "unavailable" with the reason analyze recorded.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;
use serde::Serialize;

use super::accounts::{sample_indices, NO_TIER};
use crate::contract::domain::SELECTION_CELLS as CELLS;
use crate::contract::is_key_tier;
use crate::contract::metric_tables::{accounts as acc, competitors as cmp, SchemaError};
use crate::contract::summary::Summary;
use crate::report::ReportConfig;

/// Competitors shown on the strategy page (top by deals).
pub const TOP_COMPETITORS: usize = 10;

/// The market sections of the strategy page.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Market {
    /// Why the selection matrix cannot be shown (None: it can).
    pub reason: Option<String>,
    /// High share at or above this.
    pub share_threshold: f64,
    /// High potential at or above this.
    pub median_wallet: Option<f64>,
    /// Points plotted (sampled when there are many).
    pub points: Vec<MarketPoint>,
    /// Accounts with a selection cell.
    pub total: usize,
    /// One row per cell (in [`CELLS`] order).
    pub cells: Vec<CellRow>,
    /// `grow` accounts by headroom (top N).
    pub grow: Vec<GrowRow>,
    /// All `grow` accounts.
    pub grow_total: usize,
    /// Why the competitor section cannot be shown (None: it can).
    pub competitors_reason: Option<String>,
    /// Top competitors by deals (overall rows).
    pub competitors: Vec<CompetitorBar>,
    /// Named competitors in the table.
    pub competitors_total: usize,
    /// The closed deals without a competitor.
    pub no_competitor: Option<CompetitorBar>,
}

/// One scatter point.
#[derive(Debug, Clone, Serialize)]
pub struct MarketPoint {
    pub name: String,
    /// S/A/B/C or `none`.
    pub tier: String,
    pub wallet: f64,
    pub share: f64,
    pub headroom: f64,
    /// Candidate for a label (top grow accounts by headroom).
    pub label: bool,
}

/// Accounts and amounts of one selection cell.
#[derive(Debug, Clone, Serialize)]
pub struct CellRow {
    pub cell: String,
    pub accounts: u64,
    pub wallet: f64,
    pub revenue: f64,
    pub headroom: f64,
}

/// One `grow` account.
#[derive(Debug, Clone, Serialize)]
pub struct GrowRow {
    pub name: String,
    pub industry: Option<String>,
    pub tier: Option<String>,
    pub rdi: Option<f64>,
    pub wallet: f64,
    pub share: f64,
    pub revenue: Option<f64>,
    pub headroom: f64,
}

/// One competitor (overall row of the `competitors` table).
#[derive(Debug, Clone, Serialize)]
pub struct CompetitorBar {
    pub name: Option<String>,
    pub deals: u64,
    pub won: u64,
    pub lost: u64,
    pub win_rate: Option<f64>,
    pub won_amount: f64,
    pub lost_amount: f64,
}

fn share_threshold(s: &Summary) -> f64 {
    s.settings
        .get("market")
        .and_then(|m| m.get("share_threshold"))
        .and_then(|v| v.as_f64())
        .unwrap_or(0.3)
}

/// The market sections from the `accounts` and (optional) `competitors` tables.
pub fn build(
    accounts: &DataFrame,
    competitors: Option<&DataFrame>,
    s: &Summary,
    reasons: &BTreeMap<String, String>,
    cfg: &ReportConfig,
) -> Result<Market, SchemaError> {
    let mut m = Market {
        share_threshold: share_threshold(s),
        ..Default::default()
    };
    selection(&mut m, accounts, s, reasons, cfg)?;
    competitor_bars(&mut m, competitors, reasons)?;
    Ok(m)
}

fn selection(
    m: &mut Market,
    df: &DataFrame,
    s: &Summary,
    reasons: &BTreeMap<String, String>,
    cfg: &ReportConfig,
) -> Result<(), SchemaError> {
    let wallet = acc::WALLET.f64s(df)?;
    let share = acc::WALLET_SHARE.f64s(df)?;
    let headroom = acc::HEADROOM.f64s(df)?;
    let cell = acc::SELECTION.strs(df)?;
    let rows: Vec<usize> = (0..df.height())
        .filter(|&i| {
            cell[i].is_some()
                && wallet[i].is_some_and(f64::is_finite)
                && share[i].is_some_and(f64::is_finite)
        })
        .collect();
    if rows.is_empty() {
        m.reason = Some(
            reasons
                .get("selection")
                .or_else(|| reasons.get("wallet"))
                .cloned()
                .unwrap_or_else(|| "no account has a wallet and a share".into()),
        );
        return Ok(());
    }
    let ids = acc::ACCOUNT_ID.strs(df)?;
    let names = acc::NAME.strs(df)?;
    let tier = acc::TIER.strs(df)?;
    let rdi = acc::RDI.f64s(df)?;
    let industry = acc::INDUSTRY.strs(df)?;
    let revenue = acc::REVENUE_12M.f64s(df)?;
    let name = |i: usize| {
        names[i]
            .clone()
            .or_else(|| ids[i].clone())
            .unwrap_or_default()
    };
    m.median_wallet = s.headline.median_wallet;
    m.total = rows.len();
    // cells
    m.cells = CELLS
        .iter()
        .map(|c| {
            let inside = rows.iter().filter(|&&i| cell[i].as_deref() == Some(*c));
            let mut r = CellRow {
                cell: c.to_string(),
                accounts: 0,
                wallet: 0.0,
                revenue: 0.0,
                headroom: 0.0,
            };
            for &i in inside {
                r.accounts += 1;
                r.wallet += wallet[i].unwrap_or(0.0);
                r.revenue += revenue[i].unwrap_or(0.0);
                r.headroom += headroom[i].unwrap_or(0.0);
            }
            r
        })
        .collect();
    // grow accounts by headroom (ties: account id)
    let mut grow: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&i| cell[i].as_deref() == Some("grow"))
        .collect();
    grow.sort_by(|&a, &b| {
        headroom[b]
            .unwrap_or(0.0)
            .total_cmp(&headroom[a].unwrap_or(0.0))
            .then_with(|| ids[a].cmp(&ids[b]))
    });
    m.grow_total = grow.len();
    m.grow = grow
        .iter()
        .take(cfg.top_n.max(1))
        .map(|&i| GrowRow {
            name: name(i),
            industry: industry[i].clone(),
            tier: tier[i].clone(),
            rdi: rdi[i],
            wallet: wallet[i].unwrap_or(0.0),
            share: share[i].unwrap_or(0.0),
            revenue: revenue[i],
            headroom: headroom[i].unwrap_or(0.0),
        })
        .collect();
    // points: every S/A account first, the others sampled evenly (by wallet)
    let is_sa = |i: usize| is_key_tier(tier[i].as_deref());
    let mut sa: Vec<usize> = rows.iter().copied().filter(|&i| is_sa(i)).collect();
    let mut rest: Vec<usize> = rows.iter().copied().filter(|&i| !is_sa(i)).collect();
    let by_wallet = |a: &usize, b: &usize| {
        wallet[*b]
            .unwrap_or(0.0)
            .total_cmp(&wallet[*a].unwrap_or(0.0))
            .then_with(|| ids[*a].cmp(&ids[*b]))
    };
    sa.sort_by(by_wallet);
    rest.sort_by(by_wallet);
    let maxp = cfg.scatter_max_points.max(10);
    let mut chosen: Vec<usize> = sa.iter().copied().take(maxp).collect();
    if chosen.len() < maxp {
        chosen.extend(
            sample_indices(rest.len(), maxp - chosen.len())
                .into_iter()
                .map(|k| rest[k]),
        );
    }
    let labelled: Vec<usize> = grow
        .iter()
        .copied()
        .filter(|i| chosen.contains(i))
        .take(cfg.scatter_labels)
        .collect();
    m.points = chosen
        .iter()
        .map(|&i| MarketPoint {
            name: name(i),
            tier: tier[i].clone().unwrap_or_else(|| NO_TIER.into()),
            wallet: wallet[i].unwrap_or(0.0),
            share: share[i].unwrap_or(0.0),
            headroom: headroom[i].unwrap_or(0.0),
            label: labelled.contains(&i),
        })
        .collect();
    Ok(())
}

fn competitor_bars(
    m: &mut Market,
    df: Option<&DataFrame>,
    reasons: &BTreeMap<String, String>,
) -> Result<(), SchemaError> {
    let Some(df) = df else {
        m.competitors_reason = Some(reasons.get("competitors").cloned().unwrap_or_else(|| {
            crate::report::i18n::t(crate::contract::Lang::En, "market_no_table").into()
        }));
        return Ok(());
    };
    let comp = cmp::COMPETITOR.strs(df)?;
    let industry = cmp::INDUSTRY.strs(df)?;
    let deals = cmp::DEALS.f64s(df)?;
    let won = cmp::WON.f64s(df)?;
    let lost = cmp::LOST.f64s(df)?;
    let win_rate = cmp::WIN_RATE.f64s(df)?;
    let won_amount = cmp::WON_AMOUNT.f64s(df)?;
    let lost_amount = cmp::LOST_AMOUNT.f64s(df)?;
    let mut named = Vec::new();
    for i in 0..df.height() {
        if industry[i].is_some() {
            continue;
        }
        let bar = CompetitorBar {
            name: comp[i].clone(),
            deals: deals[i].unwrap_or(0.0) as u64,
            won: won[i].unwrap_or(0.0) as u64,
            lost: lost[i].unwrap_or(0.0) as u64,
            win_rate: win_rate[i],
            won_amount: won_amount[i].unwrap_or(0.0),
            lost_amount: lost_amount[i].unwrap_or(0.0),
        };
        if bar.name.is_some() {
            named.push(bar);
        } else {
            m.no_competitor = Some(bar);
        }
    }
    // Top by deals (the table is already in that order; sorted again for older tables).
    named.sort_by_key(|c| std::cmp::Reverse(c.deals));
    m.competitors_total = named.len();
    named.truncate(TOP_COMPETITORS);
    m.competitors = named;
    if m.competitors.is_empty() {
        m.competitors_reason = Some(
            reasons
                .get("competitors")
                .cloned()
                .unwrap_or_else(|| "no closed deal in window_12m names a competitor".into()),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn labels_exist_once_in_both_languages() {
        for c in CELLS {
            assert!(crate::report::i18n::has(&format!("market_cell_{c}")));
            assert!(crate::report::i18n::has(&format!("market_cell_{c}_short")));
        }
        for (k, en, zh) in crate::report::i18n::MARKET_LABELS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
            let n = crate::report::i18n::LABELS
                .iter()
                .chain(crate::report::i18n::MARKET_LABELS)
                .filter(|(k2, _, _)| k2 == k)
                .count();
            assert_eq!(n, 1, "{k} defined {n} times");
        }
    }

    #[test]
    fn sections_from_tables() {
        // 4 accounts with a wallet; a and d grow (d has the larger headroom: 900 − 10 = 890).
        let acc = df!(
            "account_id" => ["a", "b", "c", "d", "e"],
            "name" => [Some("A<x>"), Some("B"), Some("C"), Some("D"), Some("E")],
            "tier" => [Some("S"), Some("A"), Some("B"), None, Some("C")],
            "rdi" => [Some(40.0), None, Some(10.0), Some(5.0), None],
            "industry" => [Some("Finance"), None, None, None, None],
            "revenue_12m" => [100.0, 50.0, 60.0, 10.0, 0.0],
            "wallet" => [Some(1000.0), Some(100.0), Some(120.0), Some(900.0), None],
            "wallet_share" => [Some(0.1), Some(0.5), Some(0.5), Some(10.0 / 900.0), None],
            "headroom" => [Some(900.0), Some(50.0), Some(60.0), Some(890.0), None],
            "selection" => [Some("grow"), Some("maintain"), Some("maintain"), Some("grow"), None],
        )
        .unwrap();
        let comp = df!(
            "competitor" => [Some("Globex"), Some("Globex"), None, Some("Zeta")],
            "industry" => [None, Some("Finance"), None, None],
            "deals" => [3u64, 3, 2, 5],
            "won" => [1u64, 1, 1, 5],
            "lost" => [2u64, 2, 1, 0],
            "win_rate" => [Some(1.0 / 3.0), Some(1.0 / 3.0), Some(0.5), Some(1.0)],
            "won_amount" => [10.0, 10.0, 1.0, 50.0],
            "lost_amount" => [20.0, 20.0, 2.0, 0.0],
        )
        .unwrap();
        use crate::contract::metric_tables::{conform, MetricTable};
        let (acc, comp) = (
            conform(MetricTable::Accounts, acc),
            conform(MetricTable::Competitors, comp),
        );
        // The median wallet is analyze's (summary headline): wallets 100 120 900 1000 →
        // (120 + 900) / 2 = 510; the report shows it, it does not recompute it.
        let mut summary = Summary::default();
        summary.headline.median_wallet = Some(510.0);
        let m = build(
            &acc,
            Some(&comp),
            &summary,
            &BTreeMap::new(),
            &ReportConfig::default(),
        )
        .unwrap();
        assert_eq!(m.reason, None);
        assert_eq!(m.total, 4);
        assert_eq!(m.median_wallet, Some(510.0));
        assert_eq!(
            m.grow.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
            ["A<x>", "D"]
        );
        assert_eq!(m.cells[0].cell, "grow");
        assert_eq!(m.cells[0].accounts, 2);
        assert_eq!(m.cells[0].headroom, 1790.0);
        assert_eq!(m.cells[2].accounts, 2);
        assert_eq!(m.points.len(), 4);
        assert_eq!(m.points.iter().filter(|p| p.label).count(), 2);
        // competitors: overall rows only, by deals; the null row apart
        let names: Vec<_> = m
            .competitors
            .iter()
            .map(|c| c.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["Zeta", "Globex"]);
        assert_eq!(m.no_competitor.as_ref().map(|c| c.deals), Some(2));
        assert_eq!(m.competitors_reason, None);

        // Without market figures (analyze writes the columns, all null) or a competitors table:
        // both sections unavailable, with reasons.
        let bare = df!("account_id" => ["a"], "revenue_12m" => [1.0]).unwrap();
        let bare = conform(MetricTable::Accounts, bare);
        let reasons: BTreeMap<String, String> =
            [("wallet".to_string(), "no wallet data".to_string())]
                .into_iter()
                .collect();
        let m = build(
            &bare,
            None,
            &Summary::default(),
            &reasons,
            &ReportConfig::default(),
        )
        .unwrap();
        assert_eq!(m.reason.as_deref(), Some("no wallet data"));
        assert!(m.competitors_reason.is_some());
        assert!(m.points.is_empty() && m.competitors.is_empty());
    }
}
