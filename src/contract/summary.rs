//! `summary.json`: the typed contract between `analyze` (writes it) and `report` (reads it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Summary {
    /// YYYY-MM-DD.
    pub as_of: String,
    /// window_12m as [first day, last day], both inclusive.
    pub window_12m: [String; 2],
    pub reporting_currency: String,
    /// Why the amounts are in `reporting_currency`: `configured` (the setting), `data` (the
    /// data's one currency), `default` (several currencies, converted to the default) or
    /// `assumed` (no amount states a currency: the default is assumed).
    pub reporting_currency_basis: super::currency::Basis,
    /// `revenue` or `won_opportunities` (no revenue table: won opportunities stand in).
    pub revenue_source: String,
    /// The settings the metrics were computed with.
    pub settings: serde_json::Value,
    pub headline: Headline,
    /// Accounts and groups with ≥ 10 % of revenue_12m.
    pub major_customers: Vec<MajorCustomer>,
    /// Metrics that could not be computed and why (never a silent zero).
    pub unavailable: Vec<Unavailable>,
    /// Other notes for readers, e.g. "no margin data: value_score weights renormalised".
    pub notes: Vec<String>,
    pub data_quality: DataQuality,
    /// revenue_12m and account HHI at the last quarter-ends the data covers (at most 8, oldest
    /// first): the leadership page's trend. Empty without revenue.
    pub quarterly: Vec<QuarterPoint>,
}

/// One point of the quarterly trend (`metrics::burst::quarterly`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct QuarterPoint {
    /// The quarter's last day, YYYY-MM-DD.
    pub quarter_end: String,
    /// Σ revenue over the four quarters ending there, of accounts with a positive sum.
    pub revenue_12m: f64,
    /// HHI of those per-account sums; None when no sum is positive.
    pub hhi: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Headline {
    pub accounts_total: u64,
    pub active_accounts: u64,
    pub revenue_12m_total: f64,
    pub revenue_prev_12m_total: f64,
    pub margin_12m_total: Option<f64>,
    pub pipeline_weighted_total: Option<f64>,
    pub hhi: Option<f64>,
    /// `unconcentrated` | `moderate` | `high`.
    pub hhi_band: Option<String>,
    pub group_hhi: Option<f64>,
    pub gini: Option<f64>,
    pub top1_share: Option<f64>,
    pub top5_share: Option<f64>,
    pub top10_share: Option<f64>,
    pub top20pct_share: Option<f64>,
    pub accounts_for_80pct: Option<u64>,
    pub owner_hhi: Option<f64>,
    /// Median wallet of the accounts with a wallet: the potential boundary of the selection
    /// matrix (metrics.md "Market insight"); None without wallets.
    pub median_wallet: Option<f64>,
    pub single_threaded_revenue_share: Option<f64>,
    /// Revenue_12m of S and A accounts that are single-threaded.
    pub sa_single_threaded_revenue: Option<f64>,
    /// Accounts with a decision maker at support ≤ −1.
    pub opposition_accounts: Option<u64>,
    pub multi_headed_accounts: Option<u64>,
    pub mean_rdi_sa: Option<f64>,
    /// Accounts per tier (S/A/B/C).
    pub tier_counts: BTreeMap<String, u64>,
    /// revenue_12m per tier.
    pub tier_revenue: BTreeMap<String, f64>,
    /// 90 % percentile-bootstrap intervals [low, high] by figure: hhi, gini, top1_share,
    /// top5_share, top20pct_share (account level) and rdi_growth_spearman. Empty when the
    /// bootstrap is off (bootstrap_draws = 0).
    pub intervals: BTreeMap<String, [f64; 2]>,
    /// Look-back date T of the backtest (table `evidence`), YYYY-MM-DD.
    pub look_back: Option<String>,
    /// Accounts active at T (the backtest cohort).
    pub evidence_cohort: Option<u64>,
    /// Spearman rank correlation of RDI(T) with growth over the cohort.
    pub rdi_growth_spearman: Option<f64>,
    /// Open deals (table `deals`; metrics.md "Deal decision chain"); None without
    /// opportunities or any contacts.
    pub open_deals: Option<u64>,
    /// Σ amount of the open deals (reporting currency).
    pub open_pipeline_amount: Option<f64>,
    /// Open pipeline amount per deal_chain_status (red / amber / green).
    pub pipeline_by_chain_status: BTreeMap<String, f64>,
    /// Open deals per deal_chain_status.
    pub deals_by_chain_status: BTreeMap<String, u64>,
    /// Amount of red-chain open deals / open amount (probability-weighted when every open
    /// deal has a probability: see `pipeline_red_share_weighted`).
    pub pipeline_red_share: Option<f64>,
    pub pipeline_red_share_weighted: Option<bool>,
    /// Open pipeline amount with no supportive decision maker (deal chain red or amber).
    pub pipeline_no_supportive_dm: Option<f64>,
    /// Their number.
    pub deals_no_supportive_dm: Option<u64>,
    /// Open deals whose chain comes from their own deal_contacts rows (the rest: their
    /// account's contacts).
    pub deals_with_buying_group: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct MajorCustomer {
    /// `account` or `group`.
    pub level: String,
    pub key: String,
    pub name: String,
    pub revenue_12m: f64,
    pub share: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Unavailable {
    /// Metric or column name, e.g. `gri`, `margin_12m`, `iron_triangle`.
    pub metric: String,
    /// Stable reason code, e.g. `no_activities`, `no_margin_data`.
    pub code: String,
    /// Human-readable reason (English).
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DataQuality {
    /// Account ids whose parent chain loops (their group roll-up is null).
    pub hierarchy_cycles: Vec<String>,
    /// declared_tier ≠ computed tier.
    pub tier_mismatches: Vec<TierMismatch>,
    /// Rows of child tables whose account_id is not in accounts, per table.
    pub orphans: BTreeMap<String, u64>,
    /// Revenue (reporting currency) in the 12-month window whose account_id is not in
    /// accounts: left out of every figure. Its share of all revenue in the window is
    /// `orphan_revenue_12m / (orphan_revenue_12m + revenue_12m_total)`.
    pub orphan_revenue_12m: f64,
    /// Keys that several sources deliver with different rows (the strongest source's row was
    /// used), per table; empty with one source.
    pub source_conflicts: Vec<SourceConflict>,
}

/// Keys of one table delivered by several sources (computed by `lake::sources`): keys that several sources deliver with different rows (stored in the analysis summary as
/// `data_quality.source_conflicts`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SourceConflict {
    pub table: String,
    /// Keys delivered by more than one source (identical rows or not).
    pub shared_keys: u64,
    /// Of those, keys whose rows differ: the strongest source's row was kept.
    pub conflicting_keys: u64,
    /// Up to five conflicting keys.
    pub examples: Vec<String>,
    /// The sources in precedence order.
    pub sources: Vec<String>,
}

impl DataQuality {
    /// The share of all revenue in the 12-month window that points to no account:
    /// `orphan_revenue_12m / (orphan_revenue_12m + revenue_12m_total)`, 1 when both are 0;
    /// `None` when no orphan revenue was found.
    ///
    /// Example: 25 orphan and 75 counted → 0.25.
    pub fn orphan_revenue_share(&self, revenue_12m_total: f64) -> Option<f64> {
        if self.orphan_revenue_12m == 0.0 {
            return None;
        }
        let all = self.orphan_revenue_12m + revenue_12m_total;
        Some(if all != 0.0 {
            self.orphan_revenue_12m / all
        } else {
            1.0
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TierMismatch {
    pub account_id: String,
    pub declared: String,
    /// Empty when the account has no computed tier.
    pub computed: String,
}
