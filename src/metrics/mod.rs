//! Metric computations (see `../shared/spec/metrics.md`): value segmentation, relationship
//! depth, concentration and key-person risk, computed from lake tables for one as_of.
//!
//! Heavy work (windows over revenue and activities, per-account aggregates) runs lazily in
//! polars and is grouped per account before anything is joined; per-account derivations
//! (ranks, tiers, Gini, hierarchy roll-up) run over vectors aligned with the accounts.
//!
//! Entry points: [`Inputs::from_lake`], [`default_as_of`], [`analyze`], [`whatif`].

pub mod bootstrap;
pub mod burst;
pub mod concentration;
pub mod config;
pub mod deals;
pub mod evidence;
pub mod fx;
pub mod keyperson;
pub mod keys;
pub mod market;
mod pipeline;
pub mod recent;
pub mod relationship;
pub mod segmentation;
#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;
pub mod timing;
pub mod trend;
pub mod windows;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::contract::Table;
use crate::lake::Lake;

use crate::contract::summary::Summary;
pub use config::{
    EvidenceConfig, GriTargets, KriConfig, LevelTargets, MarketConfig, OriPoints, RdiWeights,
    RolePower, ValueScoreWeights,
};
pub use pipeline::{ScenarioFigures, WhatifResult};

/// Every metric setting, with the defaults of metrics.md (the `[metrics]` config section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// ABC class A while the cumulative revenue share *before* the account is below this. Default 0.80. Accepted 0 to 1.
    pub abc_a: f64,
    /// ABC class B while the share before the account is below this (else C). Default 0.95. Accepted 0 to 1.
    pub abc_b: f64,
    /// Tier S: positions ≤ ceil(tier_s · n) by value_score. Default 0.05. Accepted 0 to 1.
    pub tier_s: f64,
    /// Tier A: positions ≤ ceil(tier_a · n). Default 0.20. Accepted 0 to 1.
    pub tier_a: f64,
    /// Tier B: positions ≤ ceil(tier_b · n); the rest are C. Default 0.50. Accepted 0 to 1.
    pub tier_b: f64,
    /// Length of the revenue windows (window_12m, window_prev_12m) in calendar months. Default 12. Accepted 1 to 120.
    pub window_months: u32,
    /// Open opportunities count in pipeline_weighted when close_date ≥ as_of − this many days. Default 90. Accepted 1 to 3650.
    pub pipeline_days: u32,
    /// GRI: a contact is active with an activity in the last this many days. Default 90. Accepted 1 to 3650.
    pub active_contact_days: u32,
    /// Relationship holders and iron triangle look at activities of the last this many days. Default 180. Accepted 1 to 3650.
    pub holder_days: u32,
    /// Multi-headed contact: distinct non-owner employees per contact in the last this many days. Default 30. Accepted 1 to 3650.
    pub multi_headed_days: u32,
    /// Multi-headed account: distinct teams with activities in the last this many days. Default 90. Accepted 1 to 3650.
    pub multi_headed_team_days: u32,
    /// A contact touched by at least this many non-owner employees flags the account. Default 3. Accepted 1 to 1000.
    pub multi_headed_contact_employees: u32,
    /// Activities from at least this many distinct teams flag the account. Default 3. Accepted 1 to 1000.
    pub multi_headed_teams: u32,
    /// Value × relationship quadrant: RDI at or above this is "high". Default 50.
    pub quadrant_threshold: f64,
    /// HHI below this is unconcentrated. Default 1500. Accepted 0 to 10000.
    pub hhi_moderate: f64,
    /// HHI above this is high (between the two: moderate). Default 2500. Accepted 0 to 10000.
    pub hhi_high: f64,
    /// Major customer: an account or group with at least this share of revenue_12m. Default 0.10. Accepted 0 to 1.
    pub major_customer_share: f64,
    /// ORI level strategic partner at or above this. Default 70.
    pub ori_strategic_partner: f64,
    /// ORI level partner at or above this (else supplier). Default 40.
    pub ori_partner: f64,
    /// value_score weights.
    pub value_score_weights: ValueScoreWeights,
    /// Key relationship index: strength weights and role powers.
    pub kri: KriConfig,
    /// General relationship index: active-contact targets per tier and level.
    pub gri_targets: GriTargets,
    /// Organisational relationship index points.
    pub ori: OriPoints,
    /// Relationship depth index weights.
    pub rdi_weights: RdiWeights,
    /// Market insight: wallet ratios and the customer selection matrix.
    pub market: MarketConfig,
    /// Backtest and bootstrap intervals.
    pub evidence: EvidenceConfig,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            abc_a: 0.80,
            abc_b: 0.95,
            tier_s: 0.05,
            tier_a: 0.20,
            tier_b: 0.50,
            window_months: 12,
            pipeline_days: 90,
            active_contact_days: 90,
            holder_days: 180,
            multi_headed_days: 30,
            multi_headed_team_days: 90,
            multi_headed_contact_employees: 3,
            multi_headed_teams: 3,
            quadrant_threshold: 50.0,
            hhi_moderate: 1500.0,
            hhi_high: 2500.0,
            major_customer_share: 0.10,
            ori_strategic_partner: 70.0,
            ori_partner: 40.0,
            value_score_weights: ValueScoreWeights::default(),
            kri: KriConfig::default(),
            gri_targets: GriTargets::default(),
            ori: OriPoints::default(),
            rdi_weights: RdiWeights::default(),
            market: MarketConfig::default(),
            evidence: EvidenceConfig::default(),
        }
    }
}

/// Errors at the edge of the metrics module.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Amounts in a currency with no exchange rate.
    #[error("table `{table}` has amounts in {currency} but no exchange rate to the reporting currency{detail}")]
    MissingFxRate {
        table: String,
        currency: String,
        detail: String,
    },
    /// Ids given to what-if that are not in the data.
    #[error("unknown {kind} id(s): {}", ids.join(", "))]
    UnknownIds {
        kind: &'static str,
        ids: Vec<String>,
    },
    #[error("computing metrics failed: {0}")]
    Polars(#[from] PolarsError),
    /// A metric table that does not match `contract::metric_tables` (a bug in mcr).
    #[error("internal error: {0}")]
    Schema(#[from] crate::contract::metric_tables::SchemaError),
}

impl MetricsError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            MetricsError::MissingFxRate { currency, .. } => Some(format!(
                "add an fx_rates.csv (currency,rate_to_reporting,valid_from) with a rate for {currency} to the export folder and run `mcr ingest` again, or set `reporting_currency` in the config"
            )),
            MetricsError::UnknownIds { kind, .. } => Some(format!("list the known {kind} ids with `mcr query \"SELECT {kind}_id FROM {kind}s\"`")),
            MetricsError::Polars(_) => None,
            MetricsError::Schema(_) => Some("please report this bug: analyze and contract::metric_tables disagree".into()),
        }
    }
}

/// The lake tables metrics read (current snapshots). Only `accounts` is required.
#[derive(Clone)]
pub struct Inputs {
    pub accounts: LazyFrame,
    pub contacts: Option<LazyFrame>,
    pub opportunities: Option<LazyFrame>,
    pub revenue: Option<LazyFrame>,
    pub activities: Option<LazyFrame>,
    pub employees: Option<LazyFrame>,
    pub agreements: Option<LazyFrame>,
    pub surveys: Option<LazyFrame>,
    pub fx_rates: Option<LazyFrame>,
    /// The buying group of each deal (optional).
    pub deal_contacts: Option<LazyFrame>,
    /// Orphan rows per table as counted at ingest, for the tables where that count still
    /// holds (ingested together with or after the current accounts); analyze counts the
    /// others itself.
    pub ingest_orphans: std::collections::BTreeMap<String, u64>,
}

impl Inputs {
    /// Scan the current snapshot of every table; an error with a hint when there are no accounts.
    pub fn from_lake(lake: &Lake) -> anyhow::Result<Inputs> {
        // One manifest read: every table from the same state of the lake.
        Self::from_view(&lake.view()?)
    }

    /// Every table from one state of the lake.
    pub fn from_view(view: &crate::lake::LakeView) -> anyhow::Result<Inputs> {
        let accounts = view.scan(Table::Accounts)?.ok_or_else(|| {
            crate::error::hinted(
                format!(
                    "the lake at {} has no accounts table",
                    view.root().display()
                ),
                "run `mcr ingest SOURCE` first (or `mcr run` for the bundled sample)",
            )
        })?;
        Ok(Inputs {
            ingest_orphans: ingest_orphans(view.manifest()),
            accounts,
            contacts: view.scan(Table::Contacts)?,
            opportunities: view.scan(Table::Opportunities)?,
            revenue: view.scan(Table::Revenue)?,
            activities: view.scan(Table::Activities)?,
            employees: view.scan(Table::Employees)?,
            agreements: view.scan(Table::Agreements)?,
            surveys: view.scan(Table::Surveys)?,
            fx_rates: view.scan(Table::FxRates)?,
            deal_contacts: view.scan(Table::DealContacts)?,
        })
    }

    /// Inputs with only accounts (tests, partial data).
    pub fn accounts_only(accounts: LazyFrame) -> Inputs {
        Inputs {
            accounts,
            contacts: None,
            opportunities: None,
            revenue: None,
            activities: None,
            employees: None,
            agreements: None,
            surveys: None,
            fx_rates: None,
            deal_contacts: None,
            ingest_orphans: Default::default(),
        }
    }
}

/// The orphan counts of the manifest that are still exact: a table's rows were checked at
/// ingest against the accounts of that ingest or of the lake, which are the current accounts
/// when the table's snapshot is not older than the accounts' snapshot.
fn ingest_orphans(m: &crate::lake::manifest::Manifest) -> std::collections::BTreeMap<String, u64> {
    let position = |table: &str| {
        m.snapshots
            .iter()
            .rposition(|s| s.tables.contains_key(table))
    };
    let mut out = std::collections::BTreeMap::new();
    // With several sources, a table's view is a de-duplicated union: analyze counts itself.
    if m.source_order().len() > 1 {
        return out;
    }
    let Some(accounts_at) = position("accounts") else {
        return out;
    };
    for table in [
        "contacts",
        "opportunities",
        "activities",
        "agreements",
        "surveys",
    ] {
        if let (Some(at), Some((_, t))) = (position(table), m.current(table)) {
            if at >= accounts_at {
                out.insert(table.to_string(), t.files.iter().map(|f| f.orphans).sum());
            }
        }
    }
    out
}

/// The default as_of: the latest revenue date, else the latest won-opportunity close_date;
/// `None` when there is neither.
pub fn default_as_of(inputs: &Inputs) -> anyhow::Result<Option<NaiveDate>> {
    Ok(pipeline::default_as_of(inputs)?)
}

/// The reporting currency of an analysis: `explicit` (the `reporting_currency` setting) when
/// given, else the one currency the lake's opportunity and revenue amounts are stated in
/// (when fx_rates has no rate for it), else the default — assumed when no amount states a
/// currency ([`crate::contract::currency::reporting`]). Read from the lake, so that
/// `mcr ingest` and a later `mcr analyze` agree without anything stored in between.
pub fn reporting_currency(
    inputs: &Inputs,
    explicit: Option<&str>,
) -> Result<crate::contract::currency::Reporting, MetricsError> {
    use crate::contract::currency;
    if let Some(c) = explicit {
        return Ok(currency::reporting(
            Some(c),
            &Default::default(),
            &Default::default(),
        ));
    }
    let mut amounts = std::collections::BTreeSet::new();
    for lf in [&inputs.opportunities, &inputs.revenue]
        .into_iter()
        .flatten()
    {
        amounts.extend(currency::distinct(lf)?);
    }
    let fx = match (&inputs.fx_rates, amounts.len()) {
        (Some(lf), 1) => currency::distinct(lf)?,
        _ => Default::default(),
    };
    Ok(currency::reporting(None, &amounts, &fx))
}

/// The metric tables of one as_of (interface.md "Lake layout").
#[derive(Debug, Clone)]
pub struct MetricTables {
    pub accounts: DataFrame,
    pub concentration: DataFrame,
    pub employees: DataFrame,
    pub tier_migration: DataFrame,
    /// Win/loss per competitor (metrics.md "Market insight"); empty when unavailable.
    pub competitors: DataFrame,
    /// The backtest (metrics.md "Evidence"); no rows when it was not run.
    pub evidence: DataFrame,
    /// Revenue per account and calendar quarter (see `contract::metric_tables::account_quarters`).
    pub account_quarters: DataFrame,
    /// One row per open deal with its decision chain (metrics.md "Deal decision chain");
    /// no rows without opportunities.
    pub deals: DataFrame,
    pub summary: Summary,
}

/// Compute every metric table for `as_of`, amounts in `reporting_currency`.
pub fn analyze(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    reporting_currency: &str,
) -> Result<MetricTables, MetricsError> {
    let t = pipeline::analyze(inputs, as_of, cfg, reporting_currency)?;
    t.check_schemas()?;
    Ok(t)
}

impl MetricTables {
    /// The tables with their names, in the order they are written.
    pub fn tables(&self) -> [(crate::contract::metric_tables::MetricTable, &DataFrame); 8] {
        use crate::contract::metric_tables::MetricTable as T;
        [
            (T::Accounts, &self.accounts),
            (T::Concentration, &self.concentration),
            (T::Employees, &self.employees),
            (T::TierMigration, &self.tier_migration),
            (T::Competitors, &self.competitors),
            (T::Evidence, &self.evidence),
            (T::AccountQuarters, &self.account_quarters),
            (T::Deals, &self.deals),
        ]
    }

    /// Check every table against its declaration in `contract::metric_tables` (the hook run
    /// before anything is written): a mismatch names table and column.
    pub fn check_schemas(&self) -> Result<(), crate::contract::metric_tables::SchemaError> {
        self.tables()
            .into_iter()
            .try_for_each(|(t, df)| crate::contract::metric_tables::check(t, df))
    }
}

/// Concentration and key-person figures before and after removing employees (their
/// relationships are lost) and accounts (their revenue is lost). Unknown ids are a
/// [`MetricsError::UnknownIds`].
pub fn whatif(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    reporting_currency: &str,
    remove_employees: &[String],
    remove_accounts: &[String],
) -> Result<WhatifResult, MetricsError> {
    pipeline::whatif(
        inputs,
        as_of,
        cfg,
        reporting_currency,
        remove_employees,
        remove_accounts,
    )
}
