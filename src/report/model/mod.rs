//! The report model: plain serializable structs holding the data behind every page, built from
//! in-memory metric tables ([`ReportInputs`]) so it can be tested without a lake.
//!
//! The model is language-neutral (numbers, keys and names); [`super::html`] and
//! [`super::charts`] translate and format it. A value that is `None` was not computable; the
//! reason is in [`Meta::reasons`] under the metric's name.

mod accounts;
mod concentration;
pub mod deals;
mod headline;
mod keyperson;
mod leadership;
pub mod market;
mod meta;
mod relationship;
mod tiers;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::DataFrame;
use serde::Serialize;

use super::queries::QueryResult;
#[cfg(test)]
pub(crate) use super::queries::{col_f64, col_str};
use crate::contract::metric_tables::SchemaError;
use crate::contract::summary::Summary;
use crate::lake::Manifest;
use crate::report::ReportConfig;

/// Everything a report is built from.
#[derive(Debug, Clone)]
pub struct ReportInputs {
    /// The as_of date reported.
    pub as_of: NaiveDate,
    /// The `accounts` metric table.
    pub accounts: DataFrame,
    /// The `concentration` metric table, if written.
    pub concentration: Option<DataFrame>,
    /// The `employees` metric table, if written.
    pub employees: Option<DataFrame>,
    /// The `tier_migration` metric table, if written.
    pub tier_migration: Option<DataFrame>,
    /// The `competitors` metric table, if written.
    pub competitors: Option<DataFrame>,
    /// The `evidence` metric table (backtest), if written.
    pub evidence: Option<DataFrame>,
    /// The `deals` metric table (open deals and their decision chains), if written.
    pub deals: Option<DataFrame>,
    /// `summary.json`.
    pub summary: Summary,
    /// The previous report's metrics (the newest earlier as_of), if any.
    pub previous: Option<PreviousInputs>,
    /// The lake manifest (sources, row counts, rejects).
    pub manifest: Manifest,
    /// Results of `queries/*.sql`.
    pub queries: Vec<QueryResult>,
    /// Warnings from reading the inputs (MCR041, MCR042), passed on to the outcome.
    pub warnings: Vec<crate::diagnostics::Diagnostic>,
    /// The book of accounts these inputs cover when they are a burst; None for the full report.
    pub scope: Option<Scope>,
}

/// The book of a burst (`mcr report --burst`), as its pages name it.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// `owner` or `region`.
    pub kind: &'static str,
    /// The employee_id or region.
    pub key: String,
    /// Display name: the employee's name, else the key.
    pub name: String,
}

/// The metrics of the previous report.
#[derive(Debug, Clone)]
pub struct PreviousInputs {
    /// Its as_of.
    pub as_of: NaiveDate,
    /// Its `summary.json`.
    pub summary: Summary,
    /// Its `accounts` table, when readable.
    pub accounts: Option<DataFrame>,
}

/// The data behind every page.
#[derive(Debug, Clone, Serialize)]
pub struct ReportModel {
    /// Header data: as_of, window, sources, settings, notes.
    pub meta: Meta,
    /// Headline figures with change against the previous report.
    pub headline: Vec<HeadlineItem>,
    /// Accounts and revenue per tier.
    pub tiers: Vec<TierRow>,
    /// Tier migration matrix.
    pub migration: Migration,
    /// Value × relationship scatter.
    pub quadrant: Quadrant,
    /// KRI/GRI/ORI of the top S and A accounts by revenue.
    pub sa_profile: Vec<AccountBrief>,
    /// Decision-chain status counts per tier.
    pub decision_chain: Vec<DecisionChainRow>,
    /// S/A accounts with a red/amber decision chain or opposition, by revenue.
    pub decision_chain_gaps: Vec<AccountBrief>,
    /// Revenue by industry (capped, with "other").
    pub industry: Vec<Slice>,
    /// Revenue by region (capped, with "other").
    pub region: Vec<Slice>,
    /// S and A accounts by value score.
    pub selection: Vec<AccountBrief>,
    /// Number of S and A accounts (selection may be truncated).
    pub selection_total: usize,
    /// Accounts whose declared tier differs from the computed one.
    pub tier_mismatches: usize,
    /// Pareto curve.
    pub pareto: Curve,
    /// Lorenz curve.
    pub lorenz: Curve,
    /// Concentration figures (dimension `all`) per level.
    pub concentration: Vec<ConcentrationRow>,
    /// Concentration by calendar year (level account).
    pub trend: Vec<TrendRow>,
    /// Major customers (≥ 10 %).
    pub major_customers: Vec<Major>,
    /// Group roll-up, top N by revenue.
    pub groups: Vec<GroupRow>,
    /// Number of groups with revenue.
    pub groups_total: usize,
    /// Employees by sole-holder revenue, top N.
    pub at_risk: Vec<EmployeeRow>,
    /// Leadership page data.
    pub leadership: Leadership,
    /// Backtest of relationship depth (strategy page).
    pub evidence: super::evidence::Evidence,
    /// Custom query results.
    pub queries: Vec<QueryResult>,
    /// Market insight: selection matrix, grow accounts, competitors.
    pub market: market::Market,
    /// Decision chains of the open deals (strategy, finance, leadership).
    pub deals: deals::Deals,
    /// Table length used for top-N tables.
    pub top_n: usize,
}

/// Header data.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// as_of, `YYYY-MM-DD` (from the validated date).
    pub as_of: String,
    /// 12-month window, first and last day.
    pub window: [String; 2],
    /// Reporting currency.
    pub currency: String,
    /// Why: `configured`, `data`, `default` or `assumed` (the page says the currency is
    /// assumed when no amount states one).
    pub currency_basis: &'static str,
    /// `revenue` or `won_opportunities`.
    pub revenue_source: String,
    /// Settings the metrics were computed with, flattened to `key = value`.
    pub settings: Vec<(String, String)>,
    /// Source files from the manifest.
    pub sources: Vec<SourceRow>,
    /// Notes from analyze.
    pub notes: Vec<String>,
    /// Unavailable metrics: (metric, reason).
    pub unavailable: Vec<(String, String)>,
    /// metric → reason, for rendering `n/a` with its reason.
    pub reasons: BTreeMap<String, String>,
    /// Path of the metric CSVs, relative to the lake root.
    pub metrics_path: String,
    /// Where a reader finds the full lists: `lake/<metrics_path>` for the full report, the
    /// burst folder's `data/` for a burst (its CSVs hold only its accounts).
    pub csv_path: String,
    /// The burst's book, None for the full report.
    pub scope: Option<Scope>,
    /// What analyze left out or had to choose (MCR030, MCR031), shown on every page.
    pub data_quality: Vec<DataQualityRow>,
}

/// One data-quality finding of analyze, as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct DataQualityRow {
    /// `orphans` (rows pointing to no account) or `conflicts` (keys several sources deliver
    /// differently).
    pub kind: &'static str,
    pub table: String,
    /// Rows (orphans) or keys (conflicts).
    pub count: u64,
    /// For revenue orphans: their share of all revenue in the 12-month window.
    pub share: Option<f64>,
    /// For conflicts: the sources in precedence order, `a > b`.
    pub sources: String,
}

/// One source file of the current view of a table.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    /// Table name.
    pub table: String,
    /// Snapshot id.
    pub snapshot: String,
    /// Profile used.
    pub profile: String,
    /// Source file path.
    pub file: String,
    /// Rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub accepted: u64,
    /// Rows rejected.
    pub rejected: u64,
}

/// One headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct HeadlineItem {
    /// Label key (i18n).
    pub key: String,
    /// `money`, `pct`, `count`, `index` (0–100), `hhi` or `ratio`.
    pub kind: String,
    /// Value now (None: not available).
    pub value: Option<f64>,
    /// Value in the previous report.
    pub previous: Option<f64>,
    /// value − previous.
    pub change: Option<f64>,
}

/// Accounts and revenue of one tier.
#[derive(Debug, Clone, Serialize)]
pub struct TierRow {
    /// `S`, `A`, `B`, `C` or `none`.
    pub tier: String,
    /// Accounts.
    pub accounts: u64,
    /// Revenue_12m.
    pub revenue: f64,
    /// Share of total revenue.
    pub share: Option<f64>,
    /// Mean RDI of the tier.
    pub mean_rdi: Option<f64>,
}

/// Tier migration matrix: rows tier_prev, columns tier.
#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    /// Row labels (`S`…`C`, `none`).
    pub from: Vec<String>,
    /// Column labels.
    pub to: Vec<String>,
    /// accounts[from][to].
    pub accounts: Vec<Vec<u64>>,
    /// revenue[from][to].
    pub revenue: Vec<Vec<f64>>,
    /// False when the table was missing (nothing to show).
    pub available: bool,
}

/// The value × relationship scatter.
#[derive(Debug, Clone, Serialize)]
pub struct Quadrant {
    /// Points plotted (sampled when there are many).
    pub points: Vec<QuadPoint>,
    /// Accounts with both coordinates.
    pub total: usize,
    /// quadrant → (accounts, revenue).
    pub counts: BTreeMap<String, (u64, f64)>,
}

/// One scatter point.
#[derive(Debug, Clone, Serialize)]
pub struct QuadPoint {
    /// Account name (or id).
    pub name: String,
    /// Tier.
    pub tier: String,
    /// x: value score.
    pub value_score: f64,
    /// y: RDI.
    pub rdi: f64,
    /// Revenue_12m.
    pub revenue: f64,
    /// Candidate for a label (top S/A by revenue).
    pub label: bool,
}

/// The fields of one account shown in the strategy tables.
#[derive(Debug, Clone, Serialize)]
pub struct AccountBrief {
    /// Account id.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: Option<String>,
    /// Declared tier.
    pub declared_tier: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Revenue_12m.
    pub revenue: Option<f64>,
    /// Growth (None when infinite: see `growth_new`).
    pub growth: Option<f64>,
    /// Revenue from zero (growth = +∞).
    pub growth_new: bool,
    /// Value score.
    pub value_score: Option<f64>,
    /// KRI.
    pub kri: Option<f64>,
    /// GRI.
    pub gri: Option<f64>,
    /// ORI.
    pub ori: Option<f64>,
    /// RDI.
    pub rdi: Option<f64>,
    /// Quadrant.
    pub quadrant: Option<String>,
    /// red/amber/green.
    pub decision_chain_status: Option<String>,
    /// Opposition at a decision maker.
    pub opposition: Option<bool>,
    /// Mean support of decision makers.
    pub dm_support: Option<f64>,
    /// Relationship holders.
    pub bus_factor: Option<f64>,
    /// Single-threaded.
    pub single_threaded: Option<bool>,
    /// Iron triangle 0..1.
    pub iron_triangle: Option<f64>,
}

/// Decision-chain status counts of one tier.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionChainRow {
    /// Tier.
    pub tier: String,
    /// red.
    pub red: u64,
    /// amber.
    pub amber: u64,
    /// green.
    pub green: u64,
    /// no status.
    pub unknown: u64,
}

/// One category of a breakdown.
#[derive(Debug, Clone, Serialize)]
pub struct Slice {
    /// The category (for `kind` = `value`).
    pub key: String,
    /// `value`, `unknown` (null in the data) or `other` (the categories beyond the cap).
    pub kind: String,
    /// Active accounts.
    pub accounts: u64,
    /// Revenue_12m.
    pub revenue: f64,
    /// Share of total revenue.
    pub share: Option<f64>,
}

/// A downsampled curve in [0,1]².
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Active accounts the curve is drawn from.
    pub n: usize,
    /// Pareto: share of accounts bringing 80 % of revenue; Lorenz: Gini.
    pub marker: Option<f64>,
}

/// One concentration figure.
#[derive(Debug, Clone, Serialize)]
pub struct ConcentrationRow {
    /// `account` or `group`.
    pub level: String,
    /// Metric name.
    pub metric: String,
    /// Value.
    pub value: Option<f64>,
    /// 90 % bootstrap interval [low, high] (account level hhi, gini, top-1/5, top-20 %).
    pub ci: Option<[f64; 2]>,
}

/// Concentration of one calendar year.
#[derive(Debug, Clone, Serialize)]
pub struct TrendRow {
    /// Year.
    pub year: String,
    /// HHI.
    pub hhi: Option<f64>,
    /// Gini.
    pub gini: Option<f64>,
    /// Top-1 share.
    pub top1_share: Option<f64>,
    /// Top-10 share.
    pub top10_share: Option<f64>,
    /// Revenue total.
    pub revenue_total: Option<f64>,
}

/// A major customer.
#[derive(Debug, Clone, Serialize)]
pub struct Major {
    /// `account` or `group`.
    pub level: String,
    /// Id.
    pub key: String,
    /// Name.
    pub name: String,
    /// Revenue_12m.
    pub revenue: f64,
    /// Share.
    pub share: f64,
}

/// A group roll-up row.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    /// Group id (the top-most parent).
    pub group_id: String,
    /// Name of the parent account.
    pub name: String,
    /// Member accounts.
    pub members: u64,
    /// Revenue.
    pub revenue: f64,
    /// Share of revenue.
    pub share: Option<f64>,
}

/// An employee row.
#[derive(Debug, Clone, Serialize)]
pub struct EmployeeRow {
    /// Employee id.
    pub employee_id: String,
    /// Role.
    pub role: Option<String>,
    /// Team.
    pub team: Option<String>,
    /// Accounts held.
    pub accounts_held: Option<f64>,
    /// Sole-holder revenue.
    pub sole_holder_revenue: Option<f64>,
    /// Owned revenue.
    pub owned_revenue: Option<f64>,
}

/// Leadership page.
#[derive(Debug, Clone, Serialize)]
pub struct Leadership {
    /// The previous report's as_of, if any.
    pub previous_as_of: Option<String>,
    /// Single-threaded S/A revenue.
    pub sa_single_threaded_revenue: Option<f64>,
    /// That as share of revenue.
    pub sa_single_threaded_share: Option<f64>,
    /// Accounts with opposition at decision makers.
    pub opposition_accounts: Option<u64>,
    /// HHI band now.
    pub band_now: Option<String>,
    /// HHI band in the previous report.
    pub band_prev: Option<String>,
    /// S/A tier moves.
    pub sa_moves: Vec<TierMove>,
    /// `previous_report` or `tier_prev`.
    pub moves_basis: String,
    /// New (or, without a previous report, current) risks.
    pub new_risks: Vec<NewRisk>,
    /// revenue_12m and HHI at the last quarter-ends (oldest first), from the summary.
    pub quarterly: Vec<crate::contract::summary::QuarterPoint>,
}

/// One account's tier move.
#[derive(Debug, Clone, Serialize)]
pub struct TierMove {
    /// Account id.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// Tier before (`none` when it had none).
    pub from: String,
    /// Tier now.
    pub to: String,
    /// Revenue_12m now.
    pub revenue: f64,
}

/// One risk on an account.
#[derive(Debug, Clone, Serialize)]
pub struct NewRisk {
    /// Account id.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// `single_threaded`, `opposition` and/or `invest`.
    pub kinds: Vec<String>,
    /// Revenue_12m.
    pub revenue: f64,
}

/// Build the model from the inputs. Each page section is built by its module; a metric table
/// without a column the report reads (or with another type) is an error naming both.
pub fn build(inputs: ReportInputs, cfg: &ReportConfig) -> Result<ReportModel, SchemaError> {
    let top_n = cfg.top_n.max(1);
    let s = &inputs.summary;
    let accs = accounts::extract_accounts(&inputs.accounts)?;
    let market = market::build(
        &inputs.accounts,
        inputs.competitors.as_ref(),
        s,
        &meta::reasons(s),
        cfg,
    )?;
    let active = accounts::Active::of(&accs);
    let meta = meta::build(&inputs);
    let headline = headline::build(&inputs);
    let tiers = tiers::rows(&accs, &active);
    let migration = tiers::migration(inputs.tier_migration.as_ref())?;
    let quadrant = relationship::quadrant(&accs, cfg);
    let sa = relationship::sa_by_revenue(&accs);
    let lists = relationship::sa_lists(&sa, cfg, top_n);
    let industry = relationship::breakdown(
        &accs,
        |a| a.industry.as_ref(),
        active.total,
        cfg.max_categories,
    );
    let region = relationship::breakdown(
        &accs,
        |a| a.region.as_ref(),
        active.total,
        cfg.max_categories,
    );
    let figures = concentration::figures(inputs.concentration.as_ref())?;
    let (groups, groups_total) = concentration::groups(&accs, &active, top_n);
    let prev_accs = match inputs.previous.as_ref().and_then(|p| p.accounts.as_ref()) {
        Some(df) => Some(accounts::extract_accounts(df)?),
        None => None,
    };
    let leadership = leadership::build(&inputs, &accs, &sa, prev_accs.as_deref(), &active, top_n);
    let deals = deals::build(&inputs, cfg.deal_min_amount, top_n)?;
    Ok(ReportModel {
        meta,
        headline,
        tiers,
        migration,
        quadrant,
        sa_profile: lists.profile,
        decision_chain: tiers::decision_chain(&accs),
        decision_chain_gaps: lists.gaps,
        industry,
        region,
        selection_total: sa.len(),
        selection: lists.selection,
        tier_mismatches: s.data_quality.tier_mismatches.len(),
        pareto: concentration::pareto_curve(&active.accounts, cfg.curve_points, figures.share_80),
        lorenz: concentration::lorenz_curve(&active.accounts, cfg.curve_points, figures.gini),
        concentration: figures.rows,
        trend: figures.trend,
        major_customers: concentration::major_customers(s),
        groups,
        groups_total,
        at_risk: keyperson::at_risk(inputs.employees.as_ref(), top_n)?,
        leadership,
        evidence: super::evidence::build(inputs.evidence.as_ref(), &inputs.summary)?,
        queries: inputs.queries,
        market,
        deals,
        top_n,
    })
}

/// Check that the `accounts` table of a previous report can be read (the report then shows
/// moves against it).
pub fn check_accounts(df: &DataFrame) -> Result<(), SchemaError> {
    accounts::extract_accounts(df).map(|_| ())
}
