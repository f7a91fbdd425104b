//! The report model: plain serializable structs holding the data behind every page, built from
//! in-memory metric tables ([`ReportInputs`]) so it can be tested without a lake.
//!
//! The model is language-neutral (numbers, keys and names); [`super::html`] and
//! [`super::charts`] translate and format it. A value that is `None` was not computable; the
//! reason is in [`Meta::reasons`] under the metric's name.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType};
use serde::Serialize;

use super::queries::QueryResult;
use super::ReportConfig;
use crate::lake::Manifest;
use crate::metrics::summary::Summary;

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
    /// `summary.json`.
    pub summary: Summary,
    /// The previous report's metrics (the newest earlier as_of), if any.
    pub previous: Option<PreviousInputs>,
    /// The lake manifest (sources, row counts, rejects).
    pub manifest: Manifest,
    /// Results of `queries/*.sql`.
    pub queries: Vec<QueryResult>,
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
    pub market: super::market::Market,
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

/// The data-quality rows of a summary (see [`DataQualityRow`]).
fn data_quality_rows(s: &crate::metrics::summary::Summary) -> Vec<DataQualityRow> {
    let dq = &s.data_quality;
    let mut out: Vec<DataQualityRow> = dq
        .orphans
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(table, n)| {
            let share = (table == "revenue")
                .then(|| dq.orphan_revenue_share(s.headline.revenue_12m_total))
                .flatten();
            DataQualityRow {
                kind: "orphans",
                table: table.clone(),
                count: *n,
                share,
                sources: String::new(),
            }
        })
        .collect();
    out.extend(
        dq.source_conflicts
            .iter()
            .filter(|c| c.conflicting_keys > 0)
            .map(|c| DataQualityRow {
                kind: "conflicts",
                table: c.table.clone(),
                count: c.conflicting_keys,
                share: None,
                sources: c.sources.join(" > "),
            }),
    );
    out
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

/// The tiers in display order.
pub const TIERS: [&str; 4] = ["S", "A", "B", "C"];

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
    fn rev(&self) -> f64 {
        self.revenue.filter(|v| v.is_finite()).unwrap_or(0.0)
    }
    fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.id.clone())
    }
    fn is_sa(&self) -> bool {
        matches!(self.tier.as_deref(), Some("S") | Some("A"))
    }
    fn brief(&self) -> AccountBrief {
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

/// A column as `Option<f64>` per row (all `None` when the column is missing or not numeric).
pub(crate) fn col_f64(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let n = df.height();
    let Ok(c) = df.column(name) else {
        return vec![None; n];
    };
    let Ok(c) = c.cast(&DataType::Float64) else {
        return vec![None; n];
    };
    match c.f64() {
        Ok(ca) => ca.iter().collect(),
        Err(_) => vec![None; n],
    }
}

/// A column as `Option<String>` per row (empty strings become `None`).
pub(crate) fn col_str(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let n = df.height();
    let Ok(c) = df.column(name) else {
        return vec![None; n];
    };
    let Ok(c) = c.cast(&DataType::String) else {
        return vec![None; n];
    };
    match c.str() {
        Ok(ca) => ca
            .iter()
            .map(|v| v.map(str::to_string).filter(|s| !s.trim().is_empty()))
            .collect(),
        Err(_) => vec![None; n],
    }
}

/// A column as `Option<bool>` per row.
pub(crate) fn col_bool(df: &DataFrame, name: &str) -> Vec<Option<bool>> {
    let n = df.height();
    let Ok(c) = df.column(name) else {
        return vec![None; n];
    };
    let Ok(c) = c.cast(&DataType::Boolean) else {
        return vec![None; n];
    };
    match c.bool() {
        Ok(ca) => ca.iter().collect(),
        Err(_) => vec![None; n],
    }
}

pub(crate) fn extract_accounts(df: &DataFrame) -> Vec<Acc> {
    let id = col_str(df, "account_id");
    let name = col_str(df, "name");
    let industry = col_str(df, "industry");
    let region = col_str(df, "region");
    let group_id = col_str(df, "group_id");
    let revenue = col_f64(df, "revenue_12m");
    let growth = col_f64(df, "growth");
    let value_score = col_f64(df, "value_score");
    let tier = col_str(df, "tier");
    let tier_prev = col_str(df, "tier_prev");
    let declared = col_str(df, "declared_tier");
    let kri = col_f64(df, "kri");
    let gri = col_f64(df, "gri");
    let ori = col_f64(df, "ori");
    let rdi = col_f64(df, "rdi");
    let dc = col_str(df, "decision_chain_status");
    let opposition = col_bool(df, "opposition");
    let dm_support = col_f64(df, "dm_support");
    let bus = col_f64(df, "bus_factor");
    let st = col_bool(df, "single_threaded");
    let it = col_f64(df, "iron_triangle");
    let quadrant = col_str(df, "quadrant");
    (0..df.height())
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
        .collect()
}

/// Revenue descending, then account id ascending (the Pareto order of metrics.md).
fn by_revenue_desc(a: &Acc, b: &Acc) -> std::cmp::Ordering {
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

fn pareto_curve(active: &[&Acc], max_points: usize) -> Curve {
    let n = active.len();
    let total: f64 = active.iter().map(|a| a.rev()).sum();
    if n == 0 || total <= 0.0 {
        return Curve {
            points: Vec::new(),
            n,
            marker: None,
        };
    }
    let mut cum = Vec::with_capacity(n + 1);
    cum.push((0.0, 0.0));
    let mut s = 0.0;
    let mut x80 = None;
    for (i, a) in active.iter().enumerate() {
        s += a.rev();
        let x = (i + 1) as f64 / n as f64;
        let y = s / total;
        if x80.is_none() && y >= 0.8 - 1e-12 {
            x80 = Some(x);
        }
        cum.push((x, y));
    }
    let idx = sample_indices(cum.len(), max_points);
    Curve {
        points: idx.into_iter().map(|i| cum[i]).collect(),
        n,
        marker: x80,
    }
}

fn lorenz_curve(active: &[&Acc], max_points: usize, gini: Option<f64>) -> Curve {
    let n = active.len();
    let total: f64 = active.iter().map(|a| a.rev()).sum();
    if n == 0 || total <= 0.0 {
        return Curve {
            points: Vec::new(),
            n,
            marker: gini,
        };
    }
    let mut cum = Vec::with_capacity(n + 1);
    cum.push((0.0, 0.0));
    let mut s = 0.0;
    let mut g = 0.0;
    // active is sorted descending: walk it from the end (ascending).
    for (i, a) in active.iter().rev().enumerate() {
        s += a.rev();
        g += (2.0 * (i + 1) as f64 - n as f64 - 1.0) * a.rev();
        cum.push(((i + 1) as f64 / n as f64, s / total));
    }
    let computed = g / (n as f64 * total);
    let idx = sample_indices(cum.len(), max_points);
    Curve {
        points: idx.into_iter().map(|i| cum[i]).collect(),
        n,
        marker: gini.or(Some(computed)),
    }
}

fn breakdown(
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

fn flatten_settings(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_settings(&key, v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn tier_key(t: &Option<String>) -> String {
    match t.as_deref() {
        Some(t @ ("S" | "A" | "B" | "C")) => t.to_string(),
        _ => "none".into(),
    }
}

/// Build the model from the inputs.
pub fn build(inputs: ReportInputs, cfg: &ReportConfig) -> ReportModel {
    let top_n = cfg.top_n.max(1);
    let s = &inputs.summary;
    let accs = extract_accounts(&inputs.accounts);
    let market = super::market::build(
        &inputs.accounts,
        inputs.competitors.as_ref(),
        s,
        &s.unavailable
            .iter()
            .map(|u| (u.metric.clone(), u.reason.clone()))
            .collect(),
        cfg,
    );
    let mut active: Vec<&Acc> = accs.iter().filter(|a| a.rev() > 0.0).collect();
    active.sort_by(|a, b| by_revenue_desc(a, b));
    let total: f64 = active.iter().map(|a| a.rev()).sum();
    let share = |r: f64| (total > 0.0).then(|| r / total);

    // --- meta
    let mut settings = Vec::new();
    flatten_settings("", &s.settings, &mut settings);
    let mut sources = Vec::new();
    let mut tables: Vec<&String> = inputs
        .manifest
        .snapshots
        .iter()
        .flat_map(|s| s.tables.keys())
        .collect();
    tables.sort();
    tables.dedup();
    for t in tables {
        for (snap, ts) in inputs.manifest.current_all(t) {
            for f in &ts.files {
                sources.push(SourceRow {
                    table: t.clone(),
                    snapshot: snap.id.clone(),
                    profile: snap.profile.clone(),
                    file: f.path.clone(),
                    rows_read: f.rows_read,
                    accepted: f.accepted,
                    rejected: f.rejected,
                });
            }
        }
    }
    let as_of = inputs.as_of.format("%Y-%m-%d").to_string();
    let reasons: BTreeMap<String, String> = s
        .unavailable
        .iter()
        .map(|u| (u.metric.clone(), u.reason.clone()))
        .collect();
    let meta = Meta {
        as_of: as_of.clone(),
        window: s.window_12m.clone(),
        currency: s.reporting_currency.clone(),
        revenue_source: s.revenue_source.clone(),
        settings,
        sources,
        notes: s.notes.clone(),
        unavailable: s
            .unavailable
            .iter()
            .map(|u| (u.metric.clone(), u.reason.clone()))
            .collect(),
        reasons,
        metrics_path: format!("metrics/as_of={as_of}/"),
        data_quality: data_quality_rows(s),
    };

    // --- headline (concentration figures fall back to the concentration table)
    let conc_all = |metric: &str| -> Option<f64> {
        let df = inputs.concentration.as_ref()?;
        let (level, dim, m, v) = (
            col_str(df, "level"),
            col_str(df, "dimension"),
            col_str(df, "metric"),
            col_f64(df, "value"),
        );
        (0..df.height()).find_map(|i| {
            (level[i].as_deref() == Some("account")
                && matches!(dim[i].as_deref(), Some("all") | None)
                && m[i].as_deref() == Some(metric))
            .then_some(v[i])
            .flatten()
        })
    };
    let mut h = s.headline.clone();
    h.hhi = conc_all("hhi").or(h.hhi);
    h.gini = conc_all("gini").or(h.gini);
    h.top10_share = conc_all("top10_share").or(h.top10_share);
    h.single_threaded_revenue_share = h
        .single_threaded_revenue_share
        .or_else(|| conc_all("single_threaded_revenue_share"));
    let h = &h;
    let ph = inputs.previous.as_ref().map(|p| &p.summary.headline);
    let item = |key: &str, kind: &str, value: Option<f64>, prev: Option<f64>| HeadlineItem {
        key: key.into(),
        kind: kind.into(),
        value,
        previous: prev,
        change: value.zip(prev).map(|(a, b)| a - b),
    };
    let headline = vec![
        item(
            "revenue_12m",
            "money",
            Some(h.revenue_12m_total),
            ph.map(|p| p.revenue_12m_total),
        ),
        item(
            "active_accounts",
            "count",
            Some(h.active_accounts as f64),
            ph.map(|p| p.active_accounts as f64),
        ),
        item(
            "margin_12m",
            "money",
            h.margin_12m_total,
            ph.and_then(|p| p.margin_12m_total),
        ),
        item("hhi", "hhi", h.hhi, ph.and_then(|p| p.hhi)),
        item("gini", "ratio", h.gini, ph.and_then(|p| p.gini)),
        item(
            "top10_share",
            "pct",
            h.top10_share,
            ph.and_then(|p| p.top10_share),
        ),
        item(
            "single_threaded_revenue_share",
            "pct",
            h.single_threaded_revenue_share,
            ph.and_then(|p| p.single_threaded_revenue_share),
        ),
        item(
            "risk_sa_single_threaded",
            "money",
            h.sa_single_threaded_revenue,
            ph.and_then(|p| p.sa_single_threaded_revenue),
        ),
        item(
            "risk_opposition",
            "count",
            h.opposition_accounts.map(|v| v as f64),
            ph.and_then(|p| p.opposition_accounts.map(|v| v as f64)),
        ),
        item(
            "mean_rdi_sa",
            "index",
            h.mean_rdi_sa,
            ph.and_then(|p| p.mean_rdi_sa),
        ),
    ];

    // --- tiers
    let mut tiers = Vec::new();
    for t in TIERS
        .iter()
        .map(|t| t.to_string())
        .chain(std::iter::once("none".to_string()))
    {
        let members: Vec<&Acc> = accs.iter().filter(|a| tier_key(&a.tier) == t).collect();
        if t == "none" && members.is_empty() {
            continue;
        }
        let revenue: f64 = members.iter().map(|a| a.rev()).sum();
        let rdis: Vec<f64> = members.iter().filter_map(|a| a.rdi).collect();
        tiers.push(TierRow {
            tier: t,
            accounts: members.len() as u64,
            revenue,
            share: share(revenue),
            mean_rdi: (!rdis.is_empty()).then(|| rdis.iter().sum::<f64>() / rdis.len() as f64),
        });
    }

    // --- migration
    let labels: Vec<String> = TIERS
        .iter()
        .map(|t| t.to_string())
        .chain(std::iter::once("none".into()))
        .collect();
    let pos = |t: &Option<String>| labels.iter().position(|l| *l == tier_key(t)).unwrap_or(4);
    let mut mig_acc = vec![vec![0u64; 5]; 5];
    let mut mig_rev = vec![vec![0f64; 5]; 5];
    let migration_available = match &inputs.tier_migration {
        Some(df) => {
            let from = col_str(df, "tier_prev");
            let to = col_str(df, "tier");
            let n = col_f64(df, "accounts");
            let r = col_f64(df, "revenue_12m");
            for i in 0..df.height() {
                let (a, b) = (pos(&from[i]), pos(&to[i]));
                mig_acc[a][b] += n[i].unwrap_or(0.0).max(0.0) as u64;
                mig_rev[a][b] += r[i].unwrap_or(0.0);
            }
            true
        }
        None => {
            // Derive it from the accounts table (tier_prev, tier).
            let mut any = false;
            for a in &accs {
                if a.tier.is_some() || a.tier_prev.is_some() {
                    any = true;
                    let (i, j) = (pos(&a.tier_prev), pos(&a.tier));
                    mig_acc[i][j] += 1;
                    mig_rev[i][j] += a.rev();
                }
            }
            any
        }
    };
    let migration = Migration {
        from: labels.clone(),
        to: labels.clone(),
        accounts: mig_acc,
        revenue: mig_rev,
        available: migration_available,
    };

    // --- quadrant
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
    for a in &accs {
        if let Some(q) = &a.quadrant {
            let e = counts.entry(q.clone()).or_default();
            e.0 += 1;
            e.1 += a.rev();
        }
    }
    let quadrant = Quadrant {
        points,
        total: qtotal,
        counts,
    };

    // --- S/A
    let mut sa: Vec<&Acc> = accs.iter().filter(|a| a.is_sa()).collect();
    sa.sort_by(|a, b| by_revenue_desc(a, b));
    let sa_profile: Vec<AccountBrief> = sa
        .iter()
        .take(cfg.chart_top_n.max(1))
        .map(|a| a.brief())
        .collect();
    let decision_chain_gaps: Vec<AccountBrief> = sa
        .iter()
        .filter(|a| {
            matches!(a.dc.as_deref(), Some("red") | Some("amber")) || a.opposition == Some(true)
        })
        .take(top_n)
        .map(|a| a.brief())
        .collect();
    let mut by_value = sa.clone();
    by_value.sort_by(|a, b| {
        b.value_score
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.value_score.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| by_revenue_desc(a, b))
    });
    let selection: Vec<AccountBrief> = by_value.iter().take(top_n).map(|a| a.brief()).collect();
    let tier_mismatches = if s.data_quality.tier_mismatches.is_empty() {
        accs.iter()
            .filter(|a| a.declared_tier.is_some() && a.declared_tier != a.tier)
            .count()
    } else {
        s.data_quality.tier_mismatches.len()
    };

    let decision_chain = TIERS
        .iter()
        .map(|t| {
            let mut row = DecisionChainRow {
                tier: t.to_string(),
                red: 0,
                amber: 0,
                green: 0,
                unknown: 0,
            };
            for a in accs.iter().filter(|a| a.tier.as_deref() == Some(t)) {
                match a.dc.as_deref() {
                    Some("red") => row.red += 1,
                    Some("amber") => row.amber += 1,
                    Some("green") => row.green += 1,
                    _ => row.unknown += 1,
                }
            }
            row
        })
        .collect();

    let industry = breakdown(&accs, |a| a.industry.as_ref(), total, cfg.max_categories);
    let region = breakdown(&accs, |a| a.region.as_ref(), total, cfg.max_categories);

    // --- finance
    let pareto = pareto_curve(&active, cfg.curve_points);
    let lorenz = lorenz_curve(&active, cfg.curve_points, h.gini);
    let mut concentration = Vec::new();
    let mut trend_map: BTreeMap<String, TrendRow> = BTreeMap::new();
    if let Some(df) = &inputs.concentration {
        let level = col_str(df, "level");
        let dim = col_str(df, "dimension");
        let key = col_str(df, "key");
        let metric = col_str(df, "metric");
        let value = col_f64(df, "value");
        let (ci_low, ci_high) = (col_f64(df, "ci_low"), col_f64(df, "ci_high"));
        for i in 0..df.height() {
            let (Some(l), Some(m)) = (&level[i], &metric[i]) else {
                continue;
            };
            match dim[i].as_deref() {
                Some("all") | None => concentration.push(ConcentrationRow {
                    level: l.clone(),
                    metric: m.clone(),
                    value: value[i],
                    ci: ci_low[i].zip(ci_high[i]).map(|(a, b)| [a, b]),
                }),
                Some("year") if l == "account" => {
                    let y = key[i].clone().unwrap_or_default();
                    let e = trend_map.entry(y.clone()).or_insert(TrendRow {
                        year: y,
                        hhi: None,
                        gini: None,
                        top1_share: None,
                        top10_share: None,
                        revenue_total: None,
                    });
                    match m.as_str() {
                        "hhi" => e.hhi = value[i],
                        "gini" => e.gini = value[i],
                        "top1_share" => e.top1_share = value[i],
                        "top10_share" => e.top10_share = value[i],
                        "revenue_total" => e.revenue_total = value[i],
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    let trend: Vec<TrendRow> = trend_map.into_values().collect();
    let mut major_customers: Vec<Major> = s
        .major_customers
        .iter()
        .map(|m| Major {
            level: m.level.clone(),
            key: m.key.clone(),
            name: if m.name.trim().is_empty() {
                m.key.clone()
            } else {
                m.name.clone()
            },
            revenue: m.revenue_12m,
            share: m.share,
        })
        .collect();
    major_customers.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then_with(|| b.share.total_cmp(&a.share))
    });

    let names: HashMap<&str, String> = accs
        .iter()
        .map(|a| (a.id.as_str(), a.display_name()))
        .collect();
    let mut gmap: HashMap<String, (u64, f64)> = HashMap::new();
    for a in &active {
        let g = a.group_id.clone().unwrap_or_else(|| a.id.clone());
        let e = gmap.entry(g).or_default();
        e.0 += 1;
        e.1 += a.rev();
    }
    let mut groups: Vec<GroupRow> = gmap
        .into_iter()
        .map(|(g, (n, r))| GroupRow {
            name: names.get(g.as_str()).cloned().unwrap_or_else(|| g.clone()),
            group_id: g,
            members: n,
            revenue: r,
            share: share(r),
        })
        .collect();
    groups.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.group_id.cmp(&b.group_id))
    });
    let groups_total = groups.len();
    groups.truncate(top_n);

    let mut at_risk = Vec::new();
    if let Some(df) = &inputs.employees {
        let id = col_str(df, "employee_id");
        let role = col_str(df, "role");
        let team = col_str(df, "team");
        let held = col_f64(df, "accounts_held");
        let sole = col_f64(df, "sole_holder_revenue");
        let owned = col_f64(df, "owned_revenue");
        for i in 0..df.height() {
            at_risk.push(EmployeeRow {
                employee_id: id[i].clone().unwrap_or_default(),
                role: role[i].clone(),
                team: team[i].clone(),
                accounts_held: held[i],
                sole_holder_revenue: sole[i],
                owned_revenue: owned[i],
            });
        }
        at_risk.retain(|e| e.sole_holder_revenue.is_some_and(|v| v > 0.0));
        at_risk.sort_by(|a, b| {
            b.sole_holder_revenue
                .unwrap_or(0.0)
                .total_cmp(&a.sole_holder_revenue.unwrap_or(0.0))
                .then_with(|| a.employee_id.cmp(&b.employee_id))
        });
        at_risk.truncate(top_n);
    }

    // --- leadership
    let prev_accs: Option<Vec<Acc>> = inputs
        .previous
        .as_ref()
        .and_then(|p| p.accounts.as_ref())
        .map(extract_accounts);
    let prev_by_id: Option<HashMap<&str, &Acc>> = prev_accs
        .as_ref()
        .map(|v| v.iter().map(|a| (a.id.as_str(), a)).collect());
    let sa_st_rev = h.sa_single_threaded_revenue.or_else(|| {
        let any = accs.iter().any(|a| a.single_threaded.is_some());
        any.then(|| {
            accs.iter()
                .filter(|a| a.is_sa() && a.single_threaded == Some(true))
                .map(|a| a.rev())
                .sum()
        })
    });
    let mut sa_moves = Vec::new();
    let moves_basis;
    match &prev_by_id {
        Some(prev) => {
            moves_basis = "previous_report".to_string();
            for a in &accs {
                let before = prev.get(a.id.as_str()).and_then(|p| p.tier.clone());
                let was_sa = matches!(before.as_deref(), Some("S") | Some("A"));
                if (a.is_sa() || was_sa) && tier_key(&before) != tier_key(&a.tier) {
                    sa_moves.push(TierMove {
                        account_id: a.id.clone(),
                        name: a.display_name(),
                        from: tier_key(&before),
                        to: tier_key(&a.tier),
                        revenue: a.rev(),
                    });
                }
            }
        }
        None => {
            moves_basis = "tier_prev".to_string();
            for a in &accs {
                let was_sa = matches!(a.tier_prev.as_deref(), Some("S") | Some("A"));
                if (a.is_sa() || was_sa) && tier_key(&a.tier_prev) != tier_key(&a.tier) {
                    sa_moves.push(TierMove {
                        account_id: a.id.clone(),
                        name: a.display_name(),
                        from: tier_key(&a.tier_prev),
                        to: tier_key(&a.tier),
                        revenue: a.rev(),
                    });
                }
            }
        }
    }
    sa_moves.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    sa_moves.truncate(top_n);

    let mut new_risks = Vec::new();
    for a in sa.iter() {
        let prev = prev_by_id.as_ref().map(|m| m.get(a.id.as_str()).copied());
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
            new_risks.push(NewRisk {
                account_id: a.id.clone(),
                name: a.display_name(),
                tier: tier_key(&a.tier),
                kinds,
                revenue: a.rev(),
            });
        }
    }
    new_risks.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    new_risks.truncate(top_n);

    let leadership = Leadership {
        previous_as_of: inputs
            .previous
            .as_ref()
            .map(|p| p.as_of.format("%Y-%m-%d").to_string()),
        sa_single_threaded_revenue: sa_st_rev,
        sa_single_threaded_share: sa_st_rev.and_then(|r| share(r)),
        opposition_accounts: h.opposition_accounts.or_else(|| {
            accs.iter()
                .any(|a| a.opposition.is_some())
                .then(|| accs.iter().filter(|a| a.opposition == Some(true)).count() as u64)
        }),
        band_now: h.hhi_band.clone(),
        band_prev: inputs
            .previous
            .as_ref()
            .and_then(|p| p.summary.headline.hhi_band.clone()),
        sa_moves,
        moves_basis,
        new_risks,
    };

    ReportModel {
        meta,
        headline,
        tiers,
        migration,
        quadrant,
        sa_profile,
        decision_chain,
        decision_chain_gaps,
        industry,
        region,
        selection_total: sa.len(),
        selection,
        tier_mismatches,
        pareto,
        lorenz,
        concentration,
        trend,
        major_customers,
        groups,
        groups_total,
        at_risk,
        leadership,
        evidence: super::evidence::build(inputs.evidence.as_ref(), &inputs.summary),
        queries: inputs.queries,
        market,
        top_n,
    }
}
