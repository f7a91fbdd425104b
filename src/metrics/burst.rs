//! Figures over a subset of accounts — one owner's or one region's book, for
//! `mcr report --burst` — computed from the company-wide metric tables, never from the lake.
//!
//! Per-account columns (tiers, value scores, KRI/GRI/ORI, bus factors…) stay as the company-wide
//! analysis computed them: an account is an S account of the company wherever it is shown.
//! Figures *over* accounts are recomputed over the subset with the same functions as analyze:
//! concentration (HHI, Gini, top-N, the 80 % line, by industry, region and year, account and
//! group level), totals, tier counts and revenue, tier migration, key-person figures, major
//! customers and the quarterly trend. What a subset cannot give is left out and said so in the
//! summary's notes: the backtest (a company-wide study; the deals' win rates by chain status
//! with it), the competitor table and the product-line
//! slices (per-deal and per-line facts are not in the metric tables), lake-wide data-quality
//! counts (orphans, source conflicts).
//!
//! Example: accounts a (owner E1, 60), b (E1, 40), c (E2, 100): the E1 burst has HHI
//! (0.6² + 0.4²)·10 000 = 5 200, revenue 100 and two accounts.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::concentration::{self, ConcRow, Slices};
use super::{keyperson, MetricTables, MetricsConfig, MetricsError};
use crate::contract::metric_tables::{
    account_quarters as aq, accounts as ac, deals as dl, employees as em, empty, MetricTable,
};
use crate::contract::summary::{Headline, MajorCustomer};
use crate::contract::{is_key_tier, Dimension, SliceLevel};

type R<T> = Result<T, MetricsError>;

/// One book of accounts: an owner's or a region's accounts, as row numbers of the company-wide
/// `accounts` and `account_quarters` tables.
#[derive(Debug, Clone)]
pub struct Book {
    /// The employee_id or the region.
    pub key: String,
    /// Rows of `accounts`.
    pub accounts: Vec<IdxSize>,
    /// Rows of `account_quarters`.
    pub quarters: Vec<IdxSize>,
}

/// The books of `t` by `kind`, ordered by key: every owner (region) with at least one account.
/// Accounts without an owner (region) are in no book. One pass over each table, so that a
/// thousand books cost no more than one.
pub fn books(t: &MetricTables, kind: crate::contract::BurstKind) -> R<Vec<Book>> {
    let column = match kind {
        crate::contract::BurstKind::Owner => &ac::OWNER_ID,
        crate::contract::BurstKind::Region => &ac::REGION,
    };
    let keys = strs(&t.accounts, column)?;
    let ids = strs(&t.accounts, &ac::ACCOUNT_ID)?;
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Book> = Vec::new();
    let mut book_of: HashMap<&str, usize> = HashMap::new();
    for (row, (k, id)) in keys.iter().zip(&ids).enumerate() {
        let Some(k) = k.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
            continue;
        };
        let b = *by_key.entry(k.to_string()).or_insert_with(|| {
            out.push(Book {
                key: k.to_string(),
                accounts: Vec::new(),
                quarters: Vec::new(),
            });
            out.len() - 1
        });
        out[b].accounts.push(row as IdxSize);
        if let Some(id) = id {
            book_of.insert(id.as_str(), b);
        }
    }
    if t.account_quarters.height() > 0 {
        let qids = aq::ACCOUNT_ID.strs(&t.account_quarters)?;
        for (row, id) in qids.iter().enumerate() {
            if let Some(b) = id.as_deref().and_then(|id| book_of.get(id)) {
                out[*b].quarters.push(row as IdxSize);
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// The metric tables and summary of the accounts in `keep` (by account_id).
pub fn subset(t: &MetricTables, keep: &HashSet<&str>, cfg: &MetricsConfig) -> R<MetricTables> {
    let rows = |df: &DataFrame, c: &str| -> R<Vec<IdxSize>> {
        if df.height() == 0 {
            return Ok(Vec::new());
        }
        Ok(df
            .column(c)?
            .str()?
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some_and(|v| keep.contains(v)))
            .map(|(i, _)| i as IdxSize)
            .collect())
    };
    let book = Book {
        key: String::new(),
        accounts: rows(&t.accounts, ac::ACCOUNT_ID.name)?,
        quarters: rows(&t.account_quarters, aq::ACCOUNT_ID.name)?,
    };
    subset_book(t, &book, cfg)
}

/// The metric tables and summary of one [`Book`] (see [`books`]).
pub fn subset_book(t: &MetricTables, book: &Book, cfg: &MetricsConfig) -> R<MetricTables> {
    let take = |df: &DataFrame, rows: &[IdxSize]| -> R<DataFrame> {
        if df.height() == 0 {
            return Ok(df.clone());
        }
        let idx = IdxCa::from_vec("idx".into(), rows.to_vec());
        Ok(df.take(&idx)?)
    };
    let accounts = take(&t.accounts, &book.accounts)?;
    let quarters = take(&t.account_quarters, &book.quarters)?;
    let ids = strs(&accounts, &ac::ACCOUNT_ID)?;
    let keep: HashSet<&str> = ids.iter().flatten().map(String::as_str).collect();
    let revenue: Vec<f64> = ac::REVENUE_12M
        .f64s(&accounts)?
        .into_iter()
        .map(|x| x.unwrap_or(0.0))
        .collect();
    let tier = strs(&accounts, &ac::TIER)?;
    let tier_prev = strs(&accounts, &ac::TIER_PREV)?;
    let owner = strs(&accounts, &ac::OWNER_ID)?;
    let tiers: Vec<Option<&str>> = tier.iter().map(|t| t.as_deref()).collect();
    let tiers_prev: Vec<Option<&str>> = tier_prev.iter().map(|t| t.as_deref()).collect();
    let bus: Vec<Option<f64>> = ac::BUS_FACTOR.f64s(&accounts)?;
    let holders: Vec<Vec<String>> = strs(&accounts, &ac::HOLDERS)?
        .into_iter()
        .map(|h| {
            h.map(|h| {
                h.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
        })
        .collect();
    let company = &t.summary.headline;

    let mut summary = t.summary.clone();
    summary.major_customers.clear();
    summary.data_quality.orphans.clear();
    summary.data_quality.orphan_revenue_12m = 0.0;
    summary.data_quality.source_conflicts.clear();
    summary
        .data_quality
        .tier_mismatches
        .retain(|m| keep.contains(m.account_id.as_str()));
    summary
        .data_quality
        .hierarchy_cycles
        .retain(|a| keep.contains(a.as_str()));
    summary.notes.push(
        "burst: figures over this book of accounts only; the backtest, the competitor table, product-line slices and lake-wide data-quality counts are in the full report".to_string(),
    );
    let mut h = Headline {
        accounts_total: ids.len() as u64,
        active_accounts: revenue.iter().filter(|x| **x > 0.0).count() as u64,
        revenue_12m_total: revenue.iter().filter(|x| **x > 0.0).sum(),
        revenue_prev_12m_total: ac::REVENUE_PREV_12M
            .f64s(&accounts)?
            .into_iter()
            .flatten()
            .filter(|x| *x > 0.0)
            .sum(),
        ..Default::default()
    };
    if company.margin_12m_total.is_some() {
        h.margin_12m_total = Some(ac::MARGIN_12M.f64s(&accounts)?.into_iter().flatten().sum());
    }
    if company.pipeline_weighted_total.is_some() {
        h.pipeline_weighted_total = Some(
            ac::PIPELINE_WEIGHTED
                .f64s(&accounts)?
                .into_iter()
                .flatten()
                .sum(),
        );
    }
    let groups = strs(&accounts, &ac::GROUP_ID)?;
    let conc = concentration_rows(&accounts, &revenue, &groups, &quarters)?;
    if let Some(f) = concentration::figures(&revenue) {
        h.hhi = Some(f.hhi);
        h.hhi_band =
            Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).to_string());
        h.gini = Some(f.gini);
        h.top1_share = Some(f.top1_share);
        h.top5_share = Some(f.top5_share);
        h.top10_share = Some(f.top10_share);
        h.top20pct_share = Some(f.top20pct_share);
        h.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
    }
    let by_group = group_sums(&ids, &groups, &revenue);
    h.group_hhi = concentration::hhi(&by_group.iter().map(|g| g.1).collect::<Vec<_>>());
    h.owner_hhi = keyperson::owner_hhi(&revenue, &owner);
    if company.median_wallet.is_some() {
        h.median_wallet = median(ac::WALLET.f64s(&accounts)?.into_iter().flatten().collect());
    }
    if company.single_threaded_revenue_share.is_some()
        || company.sa_single_threaded_revenue.is_some()
    {
        let b: Vec<usize> = bus.iter().map(|b| b.unwrap_or(0.0) as usize).collect();
        let k = keyperson::key_figures(&revenue, &tiers, &b, &vec![false; ids.len()]);
        h.single_threaded_revenue_share = k.single_threaded_revenue_share;
        h.sa_single_threaded_revenue = Some(k.sa_single_threaded_revenue);
    }
    if company.opposition_accounts.is_some() {
        let o = ac::OPPOSITION.bools(&accounts)?;
        h.opposition_accounts = Some(o.iter().filter(|x| **x == Some(true)).count() as u64);
    }
    if company.multi_headed_accounts.is_some() {
        let o = ac::MULTI_HEADED.bools(&accounts)?;
        h.multi_headed_accounts = Some(o.iter().filter(|x| **x == Some(true)).count() as u64);
    }
    let rdi = ac::RDI.f64s(&accounts)?;
    let sa_rdi: Vec<f64> = (0..ids.len())
        .filter(|&i| is_key_tier(tiers[i]))
        .filter_map(|i| rdi[i])
        .collect();
    h.mean_rdi_sa = (!sa_rdi.is_empty()).then(|| sa_rdi.iter().sum::<f64>() / sa_rdi.len() as f64);
    for i in 0..ids.len() {
        if let Some(t) = tiers[i] {
            *h.tier_counts.entry(t.to_string()).or_default() += 1;
            *h.tier_revenue.entry(t.to_string()).or_default() += revenue[i];
        }
    }
    let deals = filter_rows(&t.deals, dl::ACCOUNT_ID.name, &keep)?;
    if company.open_deals.is_some() {
        deal_figures(&deals, &mut h)?;
    }
    summary.major_customers = major_customers(&accounts, &ids, &revenue, &by_group, cfg)?;
    summary.quarterly = super::trend::quarterly(&quarters, parse_date(&summary.as_of))?;
    summary.headline = h;

    let employees = employees(&t.employees, &revenue, &holders, &owner)?;
    let tier_migration = super::pipeline::migration_table(&tiers, &tiers_prev, &revenue)?;
    Ok(MetricTables {
        accounts,
        concentration: conc,
        employees,
        tier_migration,
        competitors: empty(MetricTable::Competitors),
        evidence: empty(MetricTable::Evidence),
        account_quarters: quarters,
        deals,
        summary,
    })
}

/// Rows of `df` whose `column` is in `keep` (a small table: one pass per burst is fine).
fn filter_rows(df: &DataFrame, column: &str, keep: &HashSet<&str>) -> R<DataFrame> {
    if df.height() == 0 {
        return Ok(df.clone());
    }
    let mask: BooleanChunked = df
        .column(column)?
        .str()?
        .iter()
        .map(|v| Some(v.is_some_and(|v| keep.contains(v))))
        .collect();
    Ok(df.filter(&mask)?)
}

/// The open-pipeline headline figures of the book's deals (metrics.md "Deal decision chain").
fn deal_figures(deals: &DataFrame, h: &mut Headline) -> R<()> {
    let status = dl::DEAL_CHAIN_STATUS.strs(deals)?;
    let amount = dl::AMOUNT.f64s(deals)?;
    let prob = dl::PROBABILITY.f64s(deals)?;
    let source = dl::CHAIN_SOURCE.strs(deals)?;
    let open: Vec<super::deals::OpenDeal> = (0..deals.height())
        .filter_map(|i| {
            let st = match status[i].as_deref()? {
                "red" => "red",
                "amber" => "amber",
                "green" => "green",
                _ => return None,
            };
            Some(super::deals::OpenDeal {
                amount: amount[i],
                probability: prob[i],
                status: st,
            })
        })
        .collect();
    let with_group = source
        .iter()
        .filter(|s| s.as_deref() == Some(dl::SOURCE_DEAL))
        .count();
    super::deals::pipeline_by_chain(&open).fill(open.len(), with_group, h);
    Ok(())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn strs(
    df: &DataFrame,
    c: &crate::contract::metric_tables::MetricColumn,
) -> R<Vec<Option<String>>> {
    Ok(c.strs(df)?)
}

/// Revenue per group (the account's `group_id`, else the account itself), by group id.
fn group_sums(
    ids: &[Option<String>],
    groups: &[Option<String>],
    revenue: &[f64],
) -> Vec<(String, f64)> {
    let mut by: BTreeMap<String, f64> = BTreeMap::new();
    for i in 0..ids.len() {
        let g = groups[i]
            .clone()
            .or_else(|| ids[i].clone())
            .unwrap_or_default();
        *by.entry(g).or_default() += revenue[i];
    }
    by.into_iter().collect()
}

/// The `concentration` rows of the subset: dimensions all, industry, region and year, at
/// account and group level, plus owner HHI and the single-threaded revenue share.
fn concentration_rows(
    accounts: &DataFrame,
    revenue: &[f64],
    groups: &[Option<String>],
    quarters: &DataFrame,
) -> R<DataFrame> {
    let ids = strs(accounts, &ac::ACCOUNT_ID)?;
    let n = ids.len();
    let industry = strs(accounts, &ac::INDUSTRY)?;
    let region = strs(accounts, &ac::REGION)?;
    let unknown = |v: &Option<String>| -> String {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("(unknown)")
            .to_string()
    };
    // Group index: the index of the group's first account in the subset (an entity number).
    let mut gidx: HashMap<String, usize> = HashMap::new();
    let group_of: Vec<usize> = (0..n)
        .map(|i| {
            let g = groups[i]
                .clone()
                .or_else(|| ids[i].clone())
                .unwrap_or_default();
            let next = gidx.len();
            *gidx.entry(g).or_insert(next)
        })
        .collect();
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| id.as_deref().map(|id| (id, i)))
        .collect();
    let mut years: Vec<(usize, String, f64)> = Vec::new();
    if quarters.height() > 0 {
        let qid = aq::ACCOUNT_ID.strs(quarters)?;
        let qend = super::trend::dates(quarters, aq::QUARTER_END.name)?;
        let qrev = aq::REVENUE.f64s(quarters)?;
        for ((id, end), v) in qid.iter().zip(&qend).zip(&qrev) {
            if let (Some(i), Some(end), Some(v)) =
                (id.as_deref().and_then(|id| index.get(id)), end, v)
            {
                years.push((*i, chrono::Datelike::year(end).to_string(), *v));
            }
        }
    }
    let ind: Vec<String> = industry.iter().map(unknown).collect();
    let reg: Vec<String> = region.iter().map(unknown).collect();
    let dims: [(Dimension, Vec<(&str, usize, f64)>); 4] = [
        (
            Dimension::All,
            (0..n).map(|i| ("", i, revenue[i])).collect(),
        ),
        (
            Dimension::Industry,
            (0..n).map(|i| (ind[i].as_str(), i, revenue[i])).collect(),
        ),
        (
            Dimension::Region,
            (0..n).map(|i| (reg[i].as_str(), i, revenue[i])).collect(),
        ),
        (
            Dimension::Year,
            years.iter().map(|(i, y, v)| (y.as_str(), *i, *v)).collect(),
        ),
    ];
    let mut acc_slices: Slices = BTreeMap::new();
    let mut grp_slices: Slices = BTreeMap::new();
    for (dim, rows) in &dims {
        concentration::add_rows(&mut acc_slices, dim.name(), rows.iter().copied());
        concentration::add_rows(
            &mut grp_slices,
            dim.name(),
            rows.iter().map(|(k, i, v)| (*k, group_of[*i], *v)),
        );
    }
    let mut rows: Vec<ConcRow> = concentration::slice_rows(SliceLevel::Account, &acc_slices);
    rows.extend(concentration::slice_rows(SliceLevel::Group, &grp_slices));
    let owner = strs(accounts, &ac::OWNER_ID)?;
    if let Some(v) = keyperson::owner_hhi(revenue, &owner) {
        rows.push(ConcRow::all("owner_hhi", v));
    }
    Ok(concentration::frame(&rows, |_| None)?)
}

/// Accounts and groups with at least `major_customer_share` of the subset's revenue_12m.
fn major_customers(
    accounts: &DataFrame,
    ids: &[Option<String>],
    revenue: &[f64],
    groups: &[(String, f64)],
    cfg: &MetricsConfig,
) -> R<Vec<MajorCustomer>> {
    let total: f64 = revenue.iter().filter(|x| **x > 0.0).sum();
    let mut out = Vec::new();
    if total <= 0.0 {
        return Ok(out);
    }
    let names = strs(accounts, &ac::NAME)?;
    let name_of: HashMap<&str, &str> = ids
        .iter()
        .zip(&names)
        .filter_map(|(i, n)| Some((i.as_deref()?, n.as_deref().unwrap_or(""))))
        .collect();
    let line = cfg.major_customer_share - 1e-12;
    for i in 0..ids.len() {
        if revenue[i] > 0.0 && revenue[i] / total >= line {
            out.push(MajorCustomer {
                level: SliceLevel::Account.name().into(),
                key: ids[i].clone().unwrap_or_default(),
                name: names[i].clone().unwrap_or_default(),
                revenue_12m: revenue[i],
                share: revenue[i] / total,
            });
        }
    }
    for (g, v) in groups {
        if *v > 0.0 && v / total >= line {
            out.push(MajorCustomer {
                level: SliceLevel::Group.name().into(),
                key: g.clone(),
                // A group's name is its top account's, when that account is in the subset.
                name: name_of
                    .get(g.as_str())
                    .map_or_else(String::new, |s| s.to_string()),
                revenue_12m: *v,
                share: v / total,
            });
        }
    }
    out.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(b.revenue_12m.total_cmp(&a.revenue_12m))
            .then(a.key.cmp(&b.key))
    });
    Ok(out)
}

/// The employees table over the subset: the employees who hold or own one of its accounts,
/// with accounts held, sole-holder revenue, owned revenue and accounts owned within it.
fn employees(
    company: &DataFrame,
    revenue: &[f64],
    holders: &[Vec<String>],
    owner: &[Option<String>],
) -> R<DataFrame> {
    let stats = keyperson::employee_stats(revenue, holders, owner);
    let mut owned: HashMap<&str, u64> = HashMap::new();
    for o in owner.iter().flatten() {
        *owned.entry(o.as_str()).or_default() += 1;
    }
    let has_holders =
        company.height() == 0 || em::ACCOUNTS_HELD.f64s(company)?.iter().any(Option::is_some);
    let ids = em::EMPLOYEE_ID.strs(company)?;
    let (role, team, name) = (
        em::ROLE.strs(company)?,
        em::TEAM.strs(company)?,
        em::NAME.strs(company)?,
    );
    let mut rows: Vec<(String, Option<String>, Option<String>, Option<String>)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for i in 0..ids.len() {
        if let Some(id) = &ids[i] {
            if stats.contains_key(id) || owned.contains_key(id.as_str()) {
                seen.insert(id.clone());
                rows.push((
                    id.clone(),
                    role[i].clone(),
                    team[i].clone(),
                    name[i].clone(),
                ));
            }
        }
    }
    for k in stats.keys().chain(
        owned
            .keys()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        if seen.insert(k.clone()) {
            rows.push((k.clone(), None, None, None));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let pick = |id: &str| stats.get(id);
    let df = DataFrame::new_infer_height(vec![
        Column::new(
            "employee_id".into(),
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "team".into(),
            rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_held".into(),
            rows.iter()
                .map(|r| has_holders.then(|| pick(&r.0).map_or(0, |s| s.accounts_held)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "sole_holder_revenue".into(),
            rows.iter()
                .map(|r| has_holders.then(|| pick(&r.0).map_or(0.0, |s| s.sole_holder_revenue)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "owned_revenue".into(),
            rows.iter()
                .map(|r| Some(pick(&r.0).map_or(0.0, |s| s.owned_revenue)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_owned".into(),
            rows.iter()
                .map(|r| owned.get(r.0.as_str()).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>(),
        ),
    ])?;
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::metric_tables::conform;
    use crate::contract::summary::Summary;

    fn tables() -> MetricTables {
        let accounts = df!(
            "account_id" => ["a", "b", "c"],
            "name" => ["Alpha", "Beta", "Gamma"],
            "revenue_12m" => [60.0, 40.0, 100.0],
            "owner_id" => ["E1", "E1", "E2"],
            "tier" => ["S", "A", "S"],
            "tier_prev" => ["S", "B", "S"],
            "holders" => ["E1", "E1,E3", "E2"],
            "bus_factor" => [1u32, 2, 1],
        )
        .unwrap();
        let quarters = df!(
            "account_id" => ["a", "a", "a", "a", "b", "c"],
            "quarter_end" => ["2025-09-30", "2025-12-31", "2026-03-31", "2026-06-30", "2026-06-30", "2026-06-30"],
            "revenue" => [15.0, 15.0, 15.0, 15.0, 40.0, 100.0],
        )
        .unwrap()
        .lazy()
        .with_column(col("quarter_end").cast(DataType::Date))
        .collect()
        .unwrap();
        let mut summary = Summary {
            as_of: "2026-06-30".into(),
            ..Default::default()
        };
        summary.headline.single_threaded_revenue_share = Some(0.8);
        MetricTables {
            accounts: conform(MetricTable::Accounts, accounts),
            concentration: conform(MetricTable::Concentration, DataFrame::empty()),
            employees: conform(MetricTable::Employees, DataFrame::empty()),
            tier_migration: conform(MetricTable::TierMigration, DataFrame::empty()),
            competitors: empty(MetricTable::Competitors),
            evidence: empty(MetricTable::Evidence),
            account_quarters: conform(MetricTable::AccountQuarters, quarters),
            deals: conform(MetricTable::Deals, DataFrame::empty()),
            summary,
        }
    }

    /// E1's book: a (60) and b (40) → HHI 5 200, Gini of two values 60/40 = 0.1, revenue 100,
    /// single-threaded share 60/100 (b has two holders), one S account.
    #[test]
    fn owner_book_figures_by_hand() {
        let t = tables();
        let keep: HashSet<&str> = ["a", "b"].into_iter().collect();
        let s = subset(&t, &keep, &MetricsConfig::default()).unwrap();
        let h = &s.summary.headline;
        assert_eq!(s.accounts.height(), 2);
        assert_eq!(h.accounts_total, 2);
        assert!((h.revenue_12m_total - 100.0).abs() < 1e-9);
        assert!((h.hhi.unwrap() - 5200.0).abs() < 1e-6);
        assert!((h.single_threaded_revenue_share.unwrap() - 0.6).abs() < 1e-9);
        assert_eq!(h.owner_hhi, Some(10_000.0));
        assert_eq!(h.tier_counts.get("S"), Some(&1));
        assert_eq!(h.tier_counts.get("C"), None);
        // both accounts are ≥ 10 % of the book
        assert_eq!(s.summary.major_customers.len(), 4);
        assert!(s.summary.major_customers.iter().all(|m| m.name != "Gamma"));
        // account_quarters filtered: c's row is gone
        assert_eq!(s.account_quarters.height(), 5);
        // employees: E1 (owner, holder), E3 (holder of b); not E2
        let e = em::EMPLOYEE_ID.strs(&s.employees).unwrap();
        assert_eq!(e, vec![Some("E1".to_string()), Some("E3".to_string())]);
        let sole = em::SOLE_HOLDER_REVENUE.f64s(&s.employees).unwrap();
        assert_eq!(sole, vec![Some(60.0), Some(0.0)]);
        // tier migration: S→S (a), B→A (b)
        assert_eq!(s.tier_migration.height(), 2);
        // concentration row of dimension all, account level, hhi
        let c = &s.concentration;
        let m = c.column("metric").unwrap().str().unwrap();
        let d = c.column("dimension").unwrap().str().unwrap();
        let l = c.column("level").unwrap().str().unwrap();
        let v = c.column("value").unwrap().f64().unwrap();
        let hhi = (0..c.height())
            .find(|&i| {
                m.get(i) == Some("hhi") && d.get(i) == Some("all") && l.get(i) == Some("account")
            })
            .and_then(|i| v.get(i));
        assert!((hhi.unwrap() - 5200.0).abs() < 1e-6);
        // quarterly: 2025-12-31 is the first quarter-end with 12 months of data? The data
        // starts 2025-Q3, so the first full window ends 2026-06-30: a (60) + b (40).
        assert_eq!(s.summary.quarterly.len(), 1);
        let q = &s.summary.quarterly[0];
        assert_eq!(q.quarter_end, "2026-06-30");
        assert!((q.revenue_12m - 100.0).abs() < 1e-9);
        assert!((q.hhi.unwrap() - 5200.0).abs() < 1e-6);
    }
}
