//! Market insight (市场洞察, metrics.md "Market insight"): how much each customer could spend
//! on what we sell (its *wallet*), our share of it, the customer selection matrix, and whom we
//! win and lose deals against.
//!
//! Pure functions over plain values (unit-tested by hand below) plus the two pieces the
//! analyze pipeline calls: [`account_columns`] (the `wallet`, `wallet_share`, `headroom` and
//! `selection` columns of `accounts`) and [`competitors_frame`] / [`competitors`] (the
//! `competitors` table).

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::config::MarketConfig;
use super::windows::Window;

/// The selection cells, in the order the report lists them.
pub use crate::contract::domain::SELECTION_CELLS as CELLS;

/// Industry label used in the per-industry competitor rows for deals whose account has no
/// industry (the overall rows have a null industry).
pub const UNKNOWN_INDUSTRY: &str = "(unknown)";

/// The wallet of one account: what it spends per year on what we sell.
///
/// `potential` when given and > 0; else `annual_revenue × ratio` when both are given and the
/// product is > 0; else unknown. A wallet is never zero or negative (a share of nothing is
/// undefined).
///
/// Example: `wallet(Some(500.0), Some(10_000.0), Some(0.1)) == Some(500.0)` (potential wins);
/// `wallet(None, Some(10_000.0), Some(0.02)) == Some(200.0)`; `wallet(Some(0.0), None, None) == None`.
pub fn wallet(
    potential: Option<f64>,
    annual_revenue: Option<f64>,
    ratio: Option<f64>,
) -> Option<f64> {
    if let Some(p) = potential.filter(|p| p.is_finite() && *p > 0.0) {
        return Some(p);
    }
    match (annual_revenue, ratio) {
        (Some(a), Some(r)) => Some(a * r).filter(|w| w.is_finite() && *w > 0.0),
        _ => None,
    }
}

/// Our share of the customer's wallet: `min(1, revenue_12m / wallet)`, and not below 0 (net
/// credit notes give no negative share). Unknown without a wallet or without revenue data.
///
/// Example: revenue 60, wallet 200 → 0.3; revenue 260, wallet 200 → 1 (capped).
pub fn wallet_share(revenue_12m: Option<f64>, wallet: Option<f64>) -> Option<f64> {
    let (r, w) = (revenue_12m?, wallet?);
    Some((r / w).clamp(0.0, 1.0))
}

/// What is left to win: `max(0, wallet − revenue_12m)`. Unknown without a wallet or revenue.
///
/// Example: wallet 200, revenue 60 → 140; wallet 200, revenue 260 → 0.
pub fn headroom(revenue_12m: Option<f64>, wallet: Option<f64>) -> Option<f64> {
    let (r, w) = (revenue_12m?, wallet?);
    Some((w - r).max(0.0))
}

/// Median of the values: the middle one of an odd count, the mean of the two middle ones of
/// an even count; `None` for no values. Sorts `v`.
///
/// Example: [5, 1, 3] → 3; [4, 1, 3, 2] → (2 + 3) / 2 = 2.5.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The customer selection cell of an account with a wallet and a share: high potential =
/// wallet ≥ `median_wallet`, high share = share ≥ `share_threshold`.
///
/// | | low share | high share |
/// |---|---|---|
/// | high potential | `grow` | `defend` |
/// | low potential | `selective` | `maintain` |
///
/// Example: wallet 300 ≥ median 250, share 0.1 < 0.3 → `grow`.
pub fn selection(
    wallet: f64,
    share: f64,
    median_wallet: f64,
    share_threshold: f64,
) -> &'static str {
    match (wallet >= median_wallet, share >= share_threshold) {
        (true, false) => "grow",
        (true, true) => "defend",
        (false, true) => "maintain",
        (false, false) => "selective",
    }
}

/// `[metrics.market.wallet_ratio]` looked up by industry (trimmed, case-insensitive; `*` for
/// every industry not listed).
pub struct WalletRatios {
    by_industry: HashMap<String, f64>,
    other: Option<f64>,
}

impl WalletRatios {
    pub fn new(map: &BTreeMap<String, f64>) -> WalletRatios {
        let mut by_industry = HashMap::new();
        let mut other = None;
        for (k, v) in map {
            let k = k.trim();
            if k == "*" {
                other = Some(*v);
            } else {
                by_industry.insert(k.to_lowercase(), *v);
            }
        }
        WalletRatios { by_industry, other }
    }

    pub fn is_empty(&self) -> bool {
        self.by_industry.is_empty() && self.other.is_none()
    }

    /// The ratio of an industry (an account without an industry gets the `*` ratio).
    pub fn get(&self, industry: Option<&str>) -> Option<f64> {
        industry
            .map(|i| i.trim().to_lowercase())
            .and_then(|i| self.by_industry.get(&i).copied())
            .or(self.other)
    }
}

/// The market columns of the `accounts` table, aligned with the accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountColumns {
    pub wallet: Vec<Option<f64>>,
    pub wallet_share: Vec<Option<f64>>,
    pub headroom: Vec<Option<f64>>,
    pub selection: Vec<Option<&'static str>>,
    /// The median wallet of the accounts with a wallet (the potential boundary).
    pub median_wallet: Option<f64>,
    /// Why the columns are null, when they all are: (metrics, code, reason).
    pub unavailable: Vec<(&'static str, &'static str, String)>,
}

/// wallet, wallet_share, headroom and selection of every account (metrics.md "Market
/// insight"). `revenue_12m` is `None` when there is no revenue data at all (then only the
/// wallet is known). The median is taken over every account with a wallet, active or not.
pub fn account_columns(
    potential: &[Option<f64>],
    annual_revenue: &[Option<f64>],
    industry: &[Option<String>],
    revenue_12m: Option<&[f64]>,
    cfg: &MarketConfig,
) -> AccountColumns {
    let n = potential.len();
    let ratios = WalletRatios::new(&cfg.wallet_ratio);
    let wallet: Vec<Option<f64>> = (0..n)
        .map(|i| {
            // The ratio is looked up only when it can matter.
            let ratio = match (potential[i], annual_revenue[i]) {
                (Some(p), _) if p > 0.0 => None,
                (_, Some(_)) if !ratios.is_empty() => ratios.get(industry[i].as_deref()),
                _ => None,
            };
            wallet(potential[i], annual_revenue[i], ratio)
        })
        .collect();
    let rev = |i: usize| revenue_12m.map(|r| r[i]);
    let wallet_share: Vec<Option<f64>> = (0..n).map(|i| wallet_share(rev(i), wallet[i])).collect();
    let headroom: Vec<Option<f64>> = (0..n).map(|i| headroom(rev(i), wallet[i])).collect();
    let mut ws: Vec<f64> = wallet.iter().flatten().copied().collect();
    let median_wallet = median(&mut ws);
    let selection: Vec<Option<&'static str>> = (0..n)
        .map(|i| match (wallet[i], wallet_share[i], median_wallet) {
            (Some(w), Some(s), Some(m)) => Some(selection(w, s, m, cfg.share_threshold)),
            _ => None,
        })
        .collect();
    let mut unavailable = Vec::new();
    if median_wallet.is_none() {
        let has_annual = annual_revenue.iter().any(|a| a.is_some());
        let (code, reason) = if !has_annual {
            (
                "no_wallet_data",
                "no account has a potential (> 0) or an annual_revenue".to_string(),
            )
        } else if ratios.is_empty() {
            (
                "no_wallet_ratio",
                "no account has a potential (> 0), and no wallet_ratio is configured to derive the wallet from annual_revenue ([metrics.market] wallet_ratio)".to_string(),
            )
        } else {
            (
                "no_wallet_ratio",
                "no account has a potential (> 0), and no configured wallet_ratio matches the industry of an account with annual_revenue".to_string(),
            )
        };
        for m in ["wallet", "wallet_share", "headroom", "selection"] {
            unavailable.push((m, code, reason.clone()));
        }
    } else if revenue_12m.is_none() {
        for m in ["wallet_share", "headroom", "selection"] {
            unavailable.push((
                m,
                "no_revenue",
                "there is neither a revenue table nor won opportunities".to_string(),
            ));
        }
    }
    AccountColumns {
        wallet,
        wallet_share,
        headroom,
        selection,
        median_wallet,
        unavailable,
    }
}

// ---------------------------------------------------------------------------------------------
// Competitors

/// The comparison key of a competitor name: trimmed, inner runs of whitespace as one space,
/// lower case; `None` when nothing is left.
///
/// Example: `"  Huawei   Cloud "` and `"HUAWEI CLOUD"` → `"huawei cloud"`.
pub fn competitor_key(s: &str) -> Option<String> {
    let k = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!k.is_empty()).then(|| k.to_lowercase())
}

/// The opportunities closed in window_12m (is_closed, close_date in the window), all
/// columns kept so that the caller can convert amounts to the reporting currency.
pub fn closed_deals(opps: LazyFrame, w12: Window) -> LazyFrame {
    opps.filter(
        col("is_closed")
            .eq(lit(true))
            .fill_null(lit(false))
            .and(w12.expr(col("close_date"))),
    )
}

/// What the competitor table needs of [`closed_deals`]: account_id, competitor, won (is_won
/// true; null counts as lost) and amount, in the table's row order.
pub fn deal_columns(deals: LazyFrame) -> LazyFrame {
    deals.select([
        col("account_id"),
        col("competitor"),
        col("is_won")
            .eq(lit(true))
            .fill_null(lit(false))
            .alias("won"),
        col("amount").cast(DataType::Float64),
    ])
}

/// One row of the `competitors` table.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetitorRow {
    /// Display name (the first spelling seen, trimmed); `None` for deals without one.
    pub competitor: Option<String>,
    /// `None` for the overall row; else the account's industry ([`UNKNOWN_INDUSTRY`] when
    /// the account has none).
    pub industry: Option<String>,
    pub deals: u64,
    pub won: u64,
    pub lost: u64,
    pub won_amount: f64,
    pub lost_amount: f64,
}

impl CompetitorRow {
    /// won / deals.
    pub fn win_rate(&self) -> Option<f64> {
        (self.deals > 0).then(|| self.won as f64 / self.deals as f64)
    }
}

/// One closed deal of window_12m.
#[derive(Debug, Clone, Copy)]
pub struct Deal<'a> {
    pub competitor: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub won: bool,
    pub amount: Option<f64>,
}

#[derive(Default)]
struct Tally {
    deals: u64,
    won: u64,
    won_amount: f64,
    lost_amount: f64,
}

impl Tally {
    fn add(&mut self, d: &Deal) {
        self.deals += 1;
        let a = d.amount.filter(|a| a.is_finite()).unwrap_or(0.0);
        if d.won {
            self.won += 1;
            self.won_amount += a;
        } else {
            self.lost_amount += a;
        }
    }
    fn row(&self, competitor: Option<String>, industry: Option<String>) -> CompetitorRow {
        CompetitorRow {
            competitor,
            industry,
            deals: self.deals,
            won: self.won,
            lost: self.deals - self.won,
            won_amount: super::concentration::round_sum(self.won_amount),
            lost_amount: super::concentration::round_sum(self.lost_amount),
        }
    }
}

/// The `competitors` rows of some closed deals: per competitor (compared by
/// [`competitor_key`], shown as first seen) the overall row (industry `None`), then one row per
/// industry. Deals without a competitor form the competitor `None` rows.
///
/// Order: competitors by deals descending (ties: first seen first), the no-competitor rows
/// last; within a competitor the overall row, then industries by deals descending, then name.
pub fn competitors<'a>(deals: impl IntoIterator<Item = Deal<'a>>) -> Vec<CompetitorRow> {
    // key → position in `names`; position 0 is reserved for "no competitor".
    let mut pos: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<Option<String>> = vec![None];
    let mut overall: Vec<Tally> = vec![Tally::default()];
    let mut by_industry: Vec<BTreeMap<&'a str, Tally>> = vec![BTreeMap::new()];
    // Raw spelling → position: the key is computed once per distinct spelling.
    let mut by_raw: HashMap<&'a str, usize> = HashMap::new();
    for d in deals {
        let k = match d.competitor {
            None => 0,
            Some(raw) => match by_raw.get(raw) {
                Some(k) => *k,
                None => {
                    let k = match competitor_key(raw) {
                        None => 0,
                        Some(key) => *pos.entry(key).or_insert_with(|| {
                            names.push(Some(raw.split_whitespace().collect::<Vec<_>>().join(" ")));
                            overall.push(Tally::default());
                            by_industry.push(BTreeMap::new());
                            names.len() - 1
                        }),
                    };
                    by_raw.insert(raw, k);
                    k
                }
            },
        };
        overall[k].add(&d);
        let ind = d
            .industry
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(UNKNOWN_INDUSTRY);
        by_industry[k].entry(ind).or_default().add(&d);
    }
    let mut order: Vec<usize> = (1..names.len()).collect();
    order.sort_by(|a, b| overall[*b].deals.cmp(&overall[*a].deals).then(a.cmp(b)));
    if overall[0].deals > 0 {
        order.push(0);
    }
    let mut out = Vec::new();
    for k in order {
        out.push(overall[k].row(names[k].clone(), None));
        let mut inds: Vec<(&&str, &Tally)> = by_industry[k].iter().collect();
        inds.sort_by(|a, b| b.1.deals.cmp(&a.1.deals).then(a.0.cmp(b.0)));
        for (ind, t) in inds {
            out.push(t.row(names[k].clone(), Some(ind.to_string())));
        }
    }
    out
}

/// The `competitors` table of interface.md.
pub fn competitors_table(rows: &[CompetitorRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "competitor".into(),
            rows.iter()
                .map(|r| r.competitor.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "industry".into(),
            rows.iter().map(|r| r.industry.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "deals".into(),
            rows.iter().map(|r| r.deals).collect::<Vec<_>>(),
        ),
        Column::new("won".into(), rows.iter().map(|r| r.won).collect::<Vec<_>>()),
        Column::new(
            "lost".into(),
            rows.iter().map(|r| r.lost).collect::<Vec<_>>(),
        ),
        Column::new(
            "win_rate".into(),
            rows.iter().map(|r| r.win_rate()).collect::<Vec<_>>(),
        ),
        Column::new(
            "won_amount".into(),
            rows.iter().map(|r| r.won_amount).collect::<Vec<_>>(),
        ),
        Column::new(
            "lost_amount".into(),
            rows.iter().map(|r| r.lost_amount).collect::<Vec<_>>(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn wallet_from_potential_ratio_or_nothing() {
        // potential > 0 wins over annual revenue × ratio
        assert_eq!(wallet(Some(500.0), Some(10_000.0), Some(0.1)), Some(500.0));
        // no potential: 10 000 × 0.02 = 200
        assert_eq!(wallet(None, Some(10_000.0), Some(0.02)), Some(200.0));
        // potential 0 or negative falls back to the ratio: 1 000 × 0.5 = 500
        assert_eq!(wallet(Some(0.0), Some(1_000.0), Some(0.5)), Some(500.0));
        assert_eq!(wallet(Some(-3.0), Some(1_000.0), Some(0.5)), Some(500.0));
        // no ratio for the industry, or no annual revenue: unknown
        assert_eq!(wallet(None, Some(10_000.0), None), None);
        assert_eq!(wallet(None, None, Some(0.1)), None);
        assert_eq!(wallet(Some(0.0), None, None), None);
        // a zero product is no wallet
        assert_eq!(wallet(None, Some(0.0), Some(0.1)), None);
    }

    #[test]
    fn share_is_capped_and_headroom_floored() {
        // 60 / 200 = 0.3; headroom 200 − 60 = 140
        assert!(close(wallet_share(Some(60.0), Some(200.0)).unwrap(), 0.3));
        assert_eq!(headroom(Some(60.0), Some(200.0)), Some(140.0));
        // 260 / 200 = 1.3 → capped at 1; headroom max(0, −60) = 0
        assert_eq!(wallet_share(Some(260.0), Some(200.0)), Some(1.0));
        assert_eq!(headroom(Some(260.0), Some(200.0)), Some(0.0));
        // net credit notes: −20 / 200 → 0; headroom 200 − (−20) = 220
        assert_eq!(wallet_share(Some(-20.0), Some(200.0)), Some(0.0));
        assert_eq!(headroom(Some(-20.0), Some(200.0)), Some(220.0));
        // no revenue data or no wallet: unknown, never 0
        assert_eq!(wallet_share(None, Some(200.0)), None);
        assert_eq!(wallet_share(Some(10.0), None), None);
        assert_eq!(headroom(Some(10.0), None), None);
        // no revenue in the window (0) is a known share of 0 and the whole wallet as headroom
        assert_eq!(wallet_share(Some(0.0), Some(200.0)), Some(0.0));
        assert_eq!(headroom(Some(0.0), Some(200.0)), Some(200.0));
    }

    #[test]
    fn median_odd_even_and_ties() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7.0]), Some(7.0));
        // odd: sorted 1 3 5 → 3
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        // even: sorted 1 2 3 4 → (2 + 3) / 2 = 2.5
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        // ties: sorted 2 2 2 9 → (2 + 2) / 2 = 2
        assert_eq!(median(&mut [2.0, 9.0, 2.0, 2.0]), Some(2.0));
        // even with the two middle values equal to neighbours: 1 5 5 8 → 5
        assert_eq!(median(&mut [8.0, 5.0, 1.0, 5.0]), Some(5.0));
    }

    #[test]
    fn selection_cells() {
        // median 250, threshold 0.3
        assert_eq!(selection(300.0, 0.1, 250.0, 0.3), "grow");
        assert_eq!(selection(300.0, 0.5, 250.0, 0.3), "defend");
        assert_eq!(selection(100.0, 0.5, 250.0, 0.3), "maintain");
        assert_eq!(selection(100.0, 0.1, 250.0, 0.3), "selective");
        // boundaries are "high": wallet = median, share = threshold → defend
        assert_eq!(selection(250.0, 0.3, 250.0, 0.3), "defend");
    }

    #[test]
    fn wallet_ratios_by_industry() {
        let map: BTreeMap<String, f64> = [
            (" Finance ".to_string(), 0.02),
            ("制造".to_string(), 0.01),
            ("*".to_string(), 0.005),
        ]
        .into_iter()
        .collect();
        let r = WalletRatios::new(&map);
        assert_eq!(r.get(Some("finance")), Some(0.02));
        assert_eq!(r.get(Some("  FINANCE")), Some(0.02));
        assert_eq!(r.get(Some("制造")), Some(0.01));
        assert_eq!(r.get(Some("Retail")), Some(0.005));
        assert_eq!(r.get(None), Some(0.005));
        let none = WalletRatios::new(&BTreeMap::new());
        assert!(none.is_empty());
        assert_eq!(none.get(Some("Finance")), None);
    }

    #[test]
    fn account_columns_by_hand() {
        // Five accounts, threshold 0.3, ratio Finance 0.02:
        //   a: potential 400, revenue 40            → wallet 400, share 0.1
        //   b: annual 10 000 Finance, revenue 150   → wallet 200, share 0.75
        //   c: potential 100, revenue 50            → wallet 100, share 0.5
        //   d: annual 5 000 Retail (no ratio)       → no wallet
        //   e: potential 300, revenue 0             → wallet 300, share 0
        // wallets 100 200 300 400 → median (200 + 300) / 2 = 250
        //   a: 400 ≥ 250, 0.1 < 0.3 → grow;   b: 200 < 250, 0.75 → maintain
        //   c: 100 < 250, 0.5 → maintain;     e: 300 ≥ 250, 0 → grow
        // headroom: a 360, b 50, c 50, e 300
        let cfg = MarketConfig {
            share_threshold: 0.3,
            wallet_ratio: [("Finance".to_string(), 0.02)].into_iter().collect(),
        };
        let pot = [Some(400.0), None, Some(100.0), None, Some(300.0)];
        let ann = [None, Some(10_000.0), None, Some(5_000.0), None];
        let ind: Vec<Option<String>> = [None, Some("Finance"), None, Some("Retail"), None]
            .iter()
            .map(|s| s.map(String::from))
            .collect();
        let rev = [40.0, 150.0, 50.0, 10.0, 0.0];
        let c = account_columns(&pot, &ann, &ind, Some(&rev), &cfg);
        assert_eq!(
            c.wallet,
            vec![Some(400.0), Some(200.0), Some(100.0), None, Some(300.0)]
        );
        assert_eq!(c.median_wallet, Some(250.0));
        assert_eq!(
            c.selection,
            vec![
                Some("grow"),
                Some("maintain"),
                Some("maintain"),
                None,
                Some("grow")
            ]
        );
        assert_eq!(
            c.headroom,
            vec![Some(360.0), Some(50.0), Some(50.0), None, Some(300.0)]
        );
        assert!(close(c.wallet_share[0].unwrap(), 0.1));
        assert!(close(c.wallet_share[1].unwrap(), 0.75));
        assert_eq!(c.wallet_share[3], None);
        assert!(c.unavailable.is_empty());

        // Without revenue data: wallets known, the rest unavailable (never zero).
        let c = account_columns(&pot, &ann, &ind, None, &cfg);
        assert_eq!(c.wallet[0], Some(400.0));
        assert_eq!(c.wallet_share, vec![None; 5]);
        assert_eq!(c.selection, vec![None; 5]);
        assert_eq!(c.unavailable.len(), 3);
        assert_eq!(c.unavailable[0].1, "no_revenue");

        // Annual revenue but no ratio configured: every column unavailable with that reason.
        let c = account_columns(
            &[None, None],
            &[Some(1.0), None],
            &[None, None],
            Some(&[1.0, 2.0]),
            &MarketConfig::default(),
        );
        assert_eq!(c.wallet, vec![None, None]);
        assert_eq!(c.unavailable.len(), 4);
        assert_eq!(c.unavailable[0].1, "no_wallet_ratio");
        let c = account_columns(
            &[None],
            &[None],
            &[None],
            Some(&[1.0]),
            &MarketConfig::default(),
        );
        assert_eq!(c.unavailable[0].1, "no_wallet_data");
    }

    fn deal<'a>(c: Option<&'a str>, ind: Option<&'a str>, won: bool, amount: f64) -> Deal<'a> {
        Deal {
            competitor: c,
            industry: ind,
            won,
            amount: Some(amount),
        }
    }

    #[test]
    fn competitor_grouping_by_hand() {
        assert_eq!(
            competitor_key("  Huawei   Cloud "),
            Some("huawei cloud".into())
        );
        assert_eq!(competitor_key("HUAWEI CLOUD"), Some("huawei cloud".into()));
        assert_eq!(competitor_key("   "), None);
        // Deals (competitor, industry, won, amount):
        //   " acme"  Finance  won  100
        //   "ACME "  Finance  lost  40
        //   "Acme"   Retail   lost  60
        //   "Zeta"   Finance  won   10
        //   none     Retail   lost   5
        //   "  "     none     won    7   (blank competitor = none; no industry = (unknown))
        // acme (shown "acme", first seen, trimmed): deals 3, won 1, lost 2, win rate 1/3,
        //   won 100, lost 40 + 60 = 100; Finance: 2 deals, 1 won (0.5), won 100, lost 40;
        //   Retail: 1 deal, 0 won, lost 60.
        // Zeta: 1 deal, 1 won, won 10. none: 2 deals, 1 won, won 7, lost 5.
        let deals = vec![
            deal(Some(" acme"), Some("Finance"), true, 100.0),
            deal(Some("ACME "), Some("Finance"), false, 40.0),
            deal(Some("Acme"), Some("Retail"), false, 60.0),
            deal(Some("Zeta"), Some("Finance"), true, 10.0),
            deal(None, Some("Retail"), false, 5.0),
            deal(Some("  "), None, true, 7.0),
        ];
        let rows = competitors(deals);
        let key: Vec<(Option<&str>, Option<&str>, u64, u64, u64, f64, f64)> = rows
            .iter()
            .map(|r| {
                (
                    r.competitor.as_deref(),
                    r.industry.as_deref(),
                    r.deals,
                    r.won,
                    r.lost,
                    r.won_amount,
                    r.lost_amount,
                )
            })
            .collect();
        assert_eq!(
            key,
            vec![
                (Some("acme"), None, 3, 1, 2, 100.0, 100.0),
                (Some("acme"), Some("Finance"), 2, 1, 1, 100.0, 40.0),
                (Some("acme"), Some("Retail"), 1, 0, 1, 0.0, 60.0),
                (Some("Zeta"), None, 1, 1, 0, 10.0, 0.0),
                (Some("Zeta"), Some("Finance"), 1, 1, 0, 10.0, 0.0),
                (None, None, 2, 1, 1, 7.0, 5.0),
                // Retail and (unknown) both 1 deal: by name; "(" sorts before "R"
                (None, Some("(unknown)"), 1, 1, 0, 7.0, 0.0),
                (None, Some("Retail"), 1, 0, 1, 0.0, 5.0),
            ]
        );
        assert!(close(rows[0].win_rate().unwrap(), 1.0 / 3.0));
        assert_eq!(rows[1].win_rate(), Some(0.5));
        assert_eq!(rows[2].win_rate(), Some(0.0));
        let df = competitors_table(&rows).unwrap();
        assert_eq!(df.height(), 8);
        assert_eq!(
            df.get_column_names()
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            [
                "competitor",
                "industry",
                "deals",
                "won",
                "lost",
                "win_rate",
                "won_amount",
                "lost_amount"
            ]
        );
    }

    #[test]
    fn competitor_ties_keep_first_seen_and_no_deals_no_rows() {
        // b and a both 1 deal: first seen (b) first; no null row without such deals.
        let rows = competitors(vec![
            deal(Some("b"), Some("X"), true, 1.0),
            deal(Some("a"), Some("X"), false, 1.0),
        ]);
        let names: Vec<_> = rows
            .iter()
            .filter(|r| r.industry.is_none())
            .map(|r| r.competitor.clone())
            .collect();
        assert_eq!(names, vec![Some("b".to_string()), Some("a".to_string())]);
        assert!(competitors(Vec::new()).is_empty());
    }
}
