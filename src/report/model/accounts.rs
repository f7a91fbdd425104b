//! The rows of the `accounts` metric table as the report uses them, read through the
//! declared schema (`contract::metric_tables::accounts`), and the orderings shared by the
//! page sections.

use polars::prelude::DataFrame;

use super::AccountBrief;
use crate::contract::metric_tables::{accounts as col, SchemaError};
use crate::contract::{is_key_tier, Tier};

/// The tier row labels of tables and matrices: `S`, `A`, `B`, `C`, then `none`.
pub(crate) fn tier_labels() -> Vec<String> {
    Tier::ALL
        .iter()
        .map(|t| t.code().to_string())
        .chain(std::iter::once(NO_TIER.to_string()))
        .collect()
}

/// The label of accounts without a (known) tier.
pub(crate) const NO_TIER: &str = "none";

/// A tier code as shown: `S`…`C`, else `none`.
pub(crate) fn tier_key(t: &Option<String>) -> String {
    t.as_deref()
        .and_then(Tier::parse)
        .map_or_else(|| NO_TIER.to_string(), |t| t.code().to_string())
}

/// One account row extracted from the `accounts` table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub id: String,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub group_id: Option<String>,
    pub revenue: Option<f64>,
    pub growth: Option<f64>,
    pub value_score: Option<f64>,
    pub tier: Option<String>,
    pub tier_prev: Option<String>,
    pub declared_tier: Option<String>,
    pub kri: Option<f64>,
    pub gri: Option<f64>,
    pub ori: Option<f64>,
    pub rdi: Option<f64>,
    pub dc: Option<String>,
    pub opposition: Option<bool>,
    pub dm_support: Option<f64>,
    pub bus_factor: Option<f64>,
    pub single_threaded: Option<bool>,
    pub iron_triangle: Option<f64>,
    pub quadrant: Option<String>,
}

impl Acc {
    /// Revenue_12m, 0 when missing or not finite.
    pub(crate) fn rev(&self) -> f64 {
        self.revenue.filter(|v| v.is_finite()).unwrap_or(0.0)
    }
    pub(crate) fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.id.clone())
    }
    /// Tier S or A.
    pub(crate) fn is_sa(&self) -> bool {
        is_key_tier(self.tier.as_deref())
    }
    pub(crate) fn brief(&self) -> AccountBrief {
        AccountBrief {
            account_id: self.id.clone(),
            name: self.display_name(),
            tier: self.tier.clone(),
            declared_tier: self.declared_tier.clone(),
            industry: self.industry.clone(),
            revenue: self.revenue,
            growth: self.growth.filter(|g| g.is_finite()),
            growth_new: self.growth.is_some_and(|g| g.is_infinite() && g > 0.0),
            value_score: self.value_score,
            kri: self.kri,
            gri: self.gri,
            ori: self.ori,
            rdi: self.rdi,
            quadrant: self.quadrant.clone(),
            decision_chain_status: self.dc.clone(),
            opposition: self.opposition,
            dm_support: self.dm_support,
            bus_factor: self.bus_factor,
            single_threaded: self.single_threaded,
            iron_triangle: self.iron_triangle,
        }
    }
}

/// The accounts of a metric table; an error names the column that is missing or mistyped.
pub(crate) fn extract_accounts(df: &DataFrame) -> Result<Vec<Acc>, SchemaError> {
    let id = col::ACCOUNT_ID.strs(df)?;
    let name = col::NAME.strs(df)?;
    let industry = col::INDUSTRY.strs(df)?;
    let region = col::REGION.strs(df)?;
    let group_id = col::GROUP_ID.strs(df)?;
    let revenue = col::REVENUE_12M.f64s(df)?;
    let growth = col::GROWTH.f64s(df)?;
    let value_score = col::VALUE_SCORE.f64s(df)?;
    let tier = col::TIER.strs(df)?;
    let tier_prev = col::TIER_PREV.strs(df)?;
    let declared = col::DECLARED_TIER.strs(df)?;
    let kri = col::KRI.f64s(df)?;
    let gri = col::GRI.f64s(df)?;
    let ori = col::ORI.f64s(df)?;
    let rdi = col::RDI.f64s(df)?;
    let dc = col::DECISION_CHAIN_STATUS.strs(df)?;
    let opposition = col::OPPOSITION.bools(df)?;
    let dm_support = col::DM_SUPPORT.f64s(df)?;
    let bus = col::BUS_FACTOR.f64s(df)?;
    let st = col::SINGLE_THREADED.bools(df)?;
    let it = col::IRON_TRIANGLE.f64s(df)?;
    let quadrant = col::QUADRANT.strs(df)?;
    Ok((0..df.height())
        .map(|i| Acc {
            id: id[i].clone().unwrap_or_default(),
            name: name[i].clone(),
            industry: industry[i].clone(),
            region: region[i].clone(),
            group_id: group_id[i].clone(),
            revenue: revenue[i],
            growth: growth[i],
            value_score: value_score[i],
            tier: tier[i].clone(),
            tier_prev: tier_prev[i].clone(),
            declared_tier: declared[i].clone(),
            kri: kri[i],
            gri: gri[i],
            ori: ori[i],
            rdi: rdi[i],
            dc: dc[i].clone(),
            opposition: opposition[i],
            dm_support: dm_support[i],
            bus_factor: bus[i],
            single_threaded: st[i],
            iron_triangle: it[i],
            quadrant: quadrant[i].clone(),
        })
        .collect())
}

/// Revenue descending, then account id ascending (the Pareto order of metrics.md).
pub(crate) fn by_revenue_desc(a: &Acc, b: &Acc) -> std::cmp::Ordering {
    b.rev().total_cmp(&a.rev()).then_with(|| a.id.cmp(&b.id))
}

/// Indices 0..n (n ≥ 1) downsampled to at most `max` (≥ 2) evenly spaced ones, first and
/// last always kept.
pub(crate) fn sample_indices(n: usize, max: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let max = max.max(2);
    if n <= max {
        return (0..n).collect();
    }
    let mut out: Vec<usize> = (0..max)
        .map(|i| ((i as f64) * ((n - 1) as f64) / ((max - 1) as f64)).round() as usize)
        .collect();
    out.dedup();
    out
}

/// The accounts with revenue, by revenue descending, and their total revenue.
pub(crate) struct Active<'a> {
    pub accounts: Vec<&'a Acc>,
    pub total: f64,
}

impl<'a> Active<'a> {
    pub(crate) fn of(accs: &'a [Acc]) -> Active<'a> {
        let mut accounts: Vec<&Acc> = accs.iter().filter(|a| a.rev() > 0.0).collect();
        accounts.sort_by(|a, b| by_revenue_desc(a, b));
        let total = accounts.iter().map(|a| a.rev()).sum();
        Active { accounts, total }
    }

    /// `r` as a share of the total revenue (None when there is none).
    pub(crate) fn share(&self, r: f64) -> Option<f64> {
        (self.total > 0.0).then(|| r / self.total)
    }
}
