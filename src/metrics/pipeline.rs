//! Orchestration: lake tables → per-account vectors → metric tables and summary.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::concentration::{self, ConcRow, Slices};
use super::fx;
use super::keyperson::{self, KeyFigures};
use super::keys::RunLookup;
use super::market;
use super::relationship::{self, OrgFacts};
use super::segmentation::{self, Segmentation};
use super::summary::{Headline, MajorCustomer, Summary, TierMismatch, Unavailable};
use super::windows::{date_lit, epoch_days, from_epoch_days, Window};
use super::{Inputs, MetricTables, MetricsConfig, MetricsError};
use crate::contract::Table;

type R<T> = Result<T, MetricsError>;

// ---------------------------------------------------------------------------------------------
// Column helpers

/// Add every contract column missing from `lf` as a typed null column (tests and partial
/// exports may omit optional columns).
fn normalize(lf: &LazyFrame, table: Table) -> R<LazyFrame> {
    let schema = lf.clone().collect_schema()?;
    let missing: Vec<Expr> = table
        .columns()
        .iter()
        .filter(|c| !schema.contains(c.name))
        .map(|c| lit(Null {}).cast(c.ty.polars_dtype()).alias(c.name))
        .collect();
    Ok(if missing.is_empty() {
        lf.clone()
    } else {
        lf.clone().with_columns(missing)
    })
}

fn opt_normalize(lf: &Option<LazyFrame>, table: Table) -> R<Option<LazyFrame>> {
    lf.as_ref().map(|l| normalize(l, table)).transpose()
}

/// Collect several queries at once: polars runs them together and shares their common
/// parts (the same table scanned, normalised and converted once).
fn collect_all(lfs: Vec<LazyFrame>) -> R<Vec<DataFrame>> {
    let opt = lfs
        .first()
        .map(|lf| lf.get_current_optimizations())
        .unwrap_or_default();
    let plans = lfs.into_iter().map(|lf| lf.logical_plan).collect();
    Ok(LazyFrame::collect_all_with_engine(
        plans,
        Engine::Auto,
        opt,
    )?)
}

/// [`collect_all`] over optional queries: `None` stays `None`, in place.
fn collect_some(lfs: Vec<Option<LazyFrame>>) -> R<Vec<Option<DataFrame>>> {
    let mut dfs = collect_all(lfs.iter().flatten().cloned().collect())?.into_iter();
    Ok(lfs
        .into_iter()
        .map(|lf| lf.and_then(|_| dfs.next()))
        .collect())
}

fn strs(df: &DataFrame, name: &str) -> R<Vec<Option<String>>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

fn f64s(df: &DataFrame, name: &str) -> R<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

fn i64s(df: &DataFrame, name: &str) -> R<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

fn bools(df: &DataFrame, name: &str) -> R<Vec<Option<bool>>> {
    let c = df.column(name)?.cast(&DataType::Boolean)?;
    Ok(c.bool()?.iter().collect())
}

fn dates(df: &DataFrame, name: &str) -> R<Vec<Option<NaiveDate>>> {
    let c = df.column(name)?.cast(&DataType::Date)?;
    Ok(c.date()?.as_date_iter().collect())
}

/// Row → account index of a frame keyed by `account_id` (None for unknown accounts).
/// Account id → row of the accounts table (foldhash: looked up for every fact row).
type AccountIndex = HashMap<String, usize, foldhash::fast::RandomState>;

fn rows(df: &DataFrame, idx: &AccountIndex) -> R<Vec<Option<usize>>> {
    Ok(strs(df, "account_id")?
        .into_iter()
        .map(|a| a.and_then(|a| idx.get(&a).copied()))
        .collect())
}

/// Scatter per-row values of a per-account frame onto the accounts.
fn scatter<T: Clone>(n: usize, rows: &[Option<usize>], vals: Vec<T>, default: T) -> Vec<T> {
    let mut out = vec![default; n];
    for (r, v) in rows.iter().zip(vals) {
        if let Some(i) = r {
            out[*i] = v;
        }
    }
    out
}

fn unavailable(summary: &mut Summary, metric: &str, code: &str, reason: &str) {
    summary.unavailable.push(Unavailable {
        metric: metric.into(),
        code: code.into(),
        reason: reason.into(),
    });
}

// ---------------------------------------------------------------------------------------------
// Accounts

struct Accounts {
    ids: Vec<String>,
    name: Vec<Option<String>>,
    industry: Vec<Option<String>>,
    region: Vec<Option<String>>,
    owner: Vec<Option<String>>,
    parent: Vec<Option<String>>,
    declared_tier: Vec<Option<String>>,
    annual_revenue: Vec<Option<f64>>,
    potential: Vec<Option<f64>>,
    /// Account id → index (shared with the holders worker thread).
    index: std::sync::Arc<AccountIndex>,
}

fn load_accounts(lf: &LazyFrame) -> R<Accounts> {
    let df = normalize(lf, Table::Accounts)?
        .filter(col("account_id").is_not_null())
        .select([
            col("account_id"),
            col("name"),
            col("industry"),
            col("region"),
            col("owner_id"),
            col("parent_account_id"),
            col("declared_tier"),
            col("annual_revenue").cast(DataType::Float64),
            col("potential").cast(DataType::Float64),
        ])
        .unique_stable(Some(cols(["account_id"])), UniqueKeepStrategy::First)
        .sort(["account_id"], Default::default())
        .collect()?;
    let ids: Vec<String> = strs(&df, "account_id")?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let index = std::sync::Arc::new(
        ids.iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect(),
    );
    Ok(Accounts {
        name: strs(&df, "name")?,
        industry: strs(&df, "industry")?,
        region: strs(&df, "region")?,
        owner: strs(&df, "owner_id")?,
        parent: strs(&df, "parent_account_id")?,
        declared_tier: strs(&df, "declared_tier")?,
        annual_revenue: f64s(&df, "annual_revenue")?,
        potential: f64s(&df, "potential")?,
        ids,
        index,
    })
}

fn owners_lf(acc: &Accounts) -> R<LazyFrame> {
    Ok(DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), acc.ids.clone()),
        Column::new("owner_id".into(), acc.owner.clone()),
    ])?
    .lazy())
}

// ---------------------------------------------------------------------------------------------
// Revenue

/// Revenue rows (account_id, document_id, date, amount, gross_margin, product_line) in the
/// reporting currency, from `revenue` or else from won opportunities.
fn revenue_rows(
    inputs: &Inputs,
    fx_rates: Option<&LazyFrame>,
    cur: &str,
) -> R<Option<(LazyFrame, &'static str)>> {
    if let Some(rev) = opt_normalize(&inputs.revenue, Table::Revenue)? {
        let lf = rev.filter(
            col("account_id")
                .is_not_null()
                .and(col("date").is_not_null()),
        );
        let lf = fx::to_reporting(
            lf,
            "revenue",
            &["amount", "gross_margin"],
            col("date"),
            fx_rates,
            cur,
        )?;
        let lf = lf.select([
            col("account_id"),
            col("document_id"),
            col("date"),
            col("amount").cast(DataType::Float64),
            col("gross_margin").cast(DataType::Float64),
            col("product_line"),
        ]);
        return Ok(Some((lf, "revenue")));
    }
    if let Some(opp) = opt_normalize(&inputs.opportunities, Table::Opportunities)? {
        let lf = opp.filter(
            col("is_won")
                .eq(lit(true))
                .fill_null(lit(false))
                .and(col("close_date").is_not_null())
                .and(col("account_id").is_not_null()),
        );
        let lf = fx::to_reporting(
            lf,
            "opportunities",
            &["amount"],
            col("close_date"),
            fx_rates,
            cur,
        )?;
        let lf = lf.select([
            col("account_id"),
            col("opportunity_id").alias("document_id"),
            col("close_date").alias("date"),
            col("amount").cast(DataType::Float64),
            lit(Null {}).cast(DataType::Float64).alias("gross_margin"),
            col("product_line"),
        ]);
        return Ok(Some((lf, "won_opportunities")));
    }
    Ok(None)
}

pub(super) fn default_as_of(inputs: &Inputs) -> R<Option<NaiveDate>> {
    let max_of = |lf: LazyFrame, c: &str| -> R<Option<NaiveDate>> {
        let df = lf
            .select([col(c).cast(DataType::Date).max().alias("d")])
            .collect()?;
        Ok(dates(&df, "d")?.into_iter().next().flatten())
    };
    if let Some(rev) = &inputs.revenue {
        if let Some(d) = max_of(rev.clone(), "date")? {
            return Ok(Some(d));
        }
    }
    if let Some(opp) = opt_normalize(&inputs.opportunities, Table::Opportunities)? {
        return max_of(
            opp.filter(col("is_won").eq(lit(true)).fill_null(lit(false))),
            "close_date",
        );
    }
    Ok(None)
}

/// Per-account revenue aggregates for three consecutive windows ending at as_of.
struct RevenueAgg {
    rev: [Vec<f64>; 3],
    margin: [Vec<Option<f64>>; 2],
    orders: Vec<i64>,
    last_order: Vec<Option<NaiveDate>>,
    /// (account index, year, revenue)
    years: Vec<(usize, i32, f64)>,
    /// (account index, product_line, revenue_12m)
    product_lines: Vec<(usize, String, f64)>,
    any_margin: [bool; 2],
    orphan_rows: u64,
    /// Σ amount of orphan rows dated in the 12-month window (reporting currency).
    orphan_revenue_12m: f64,
}

/// Money sums rounded to 12 significant digits: the order rows are summed in (file order,
/// threads) changes the last bits, and ranks must not split a tie over them (two accounts with
/// the same invoices summed in reverse order gave 126192.90300000001 and 126192.90299999999).
///
/// Example: `round_sum(126192.90300000001) == round_sum(126192.90299999999) == 126192.903`.
pub fn round_sum(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = 11 - x.abs().log10().floor() as i32;
    if e >= 0 {
        let s = 10f64.powi(e);
        (x * s).round() / s
    } else {
        let s = 10f64.powi(-e);
        (x / s).round() * s
    }
}

type Sums<K> = HashMap<K, f64, foldhash::fast::RandomState>;

/// Sums per year and per product line of one run of rows of the same account (see
/// `revenue_agg`), added to the per-(account, key) maps by `flush`.
#[derive(Default)]
struct RunSums<'a> {
    account: usize,
    years: Vec<(i32, f64)>,
    lines: Vec<(&'a str, f64)>,
}

impl<'a> RunSums<'a> {
    /// Keys kept before a flush: the vectors are searched linearly.
    const MAX: usize = 32;

    fn add<K: PartialEq>(v: &mut Vec<(K, f64)>, key: K, a: f64) {
        match v.iter_mut().find(|(k, _)| *k == key) {
            Some((_, s)) => *s += a,
            None => v.push((key, 0.0 + a)),
        }
    }

    fn flush(&mut self, years: &mut Sums<(usize, i32)>, lines: &mut Sums<(usize, &'a str)>) {
        for (y, s) in self.years.drain(..) {
            *years.entry((self.account, y)).or_default() += s;
        }
        for (l, s) in self.lines.drain(..) {
            *lines.entry((self.account, l)).or_default() += s;
        }
    }
}

fn revenue_agg(
    lf: &LazyFrame,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    acc: &Accounts,
) -> R<RevenueAgg> {
    // One pass in Rust over the rows up to as_of: polars group-bys on (account_id, year) and
    // (account_id, product_line) string keys took 3.4 s at 5 M rows, this loop takes well
    // under one.
    let n = acc.ids.len();
    let w0 = Window::months(as_of, cfg.window_months);
    let w1 = w0.previous_months(cfg.window_months);
    let w2 = w1.previous_months(cfg.window_months);
    let wins = [w0.day_range(), w1.day_range(), w2.day_range()];
    let df = lf
        .clone()
        .filter(col("date").lt_eq(date_lit(as_of)))
        .select([
            col("account_id"),
            col("document_id"),
            col("date").cast(DataType::Date).to_physical().alias("date"),
            col("amount"),
            col("gross_margin"),
            col("product_line"),
        ])
        .collect()?;
    super::timing::lap("  revenue: collect rows");
    let ids = df.column("account_id")?.str()?;
    let docs = df.column("document_id")?.str()?;
    let dates = df.column("date")?.i32()?;
    let amounts = df.column("amount")?.f64()?;
    let margins = df.column("gross_margin")?.f64()?;
    let lines = df.column("product_line")?.str()?;

    let mut rev = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut msum = [vec![0.0; n], vec![0.0; n]];
    let mut mcnt = [vec![0u32; n], vec![0u32; n]];
    let mut orders: Vec<(usize, Option<&str>)> = Vec::new();
    let mut last_order: Vec<Option<i32>> = vec![None; n];
    let mut year_sums: Sums<(usize, i32)> = HashMap::default();
    let mut line_sums: Sums<(usize, &str)> = HashMap::default();
    let mut orphan_rows = 0u64;
    let mut orphan_revenue_12m = 0.0;
    let mut year_cache: (i32, i32, i32) = (i32::MAX, i32::MIN, 0); // [from, to] days → year
                                                                   // Exports list an account's rows together more often than not: the last account id is
                                                                   // remembered (no hash lookup), and the per-(account, year) and per-(account, line) sums
                                                                   // of a run of rows are kept in small vectors and added to the maps when the run ends.
    let mut account = RunLookup::new(|id: &str| acc.index.get(id).copied());
    let mut run = RunSums::default();
    let rows = ids
        .iter()
        .zip(docs.iter())
        .zip(dates.iter())
        .zip(amounts.iter())
        .zip(margins.iter())
        .zip(lines.iter());
    for (((((id, doc), date), amount), margin), line) in rows {
        let Some(d) = date else {
            continue;
        };
        // A null account_id matches nothing: an orphan, as in the other tables.
        let Some(i) = id.and_then(|id| account.get(id)) else {
            orphan_rows += 1;
            if wins[0].contains(d) {
                orphan_revenue_12m += amount.unwrap_or(0.0);
            }
            continue;
        };
        if run.account != i {
            run.flush(&mut year_sums, &mut line_sums);
            run.account = i;
        }
        let a = amount.unwrap_or(0.0);
        if !(year_cache.0 <= d && d <= year_cache.1) {
            let y = from_epoch_days(d).year();
            let start = NaiveDate::from_ymd_opt(y, 1, 1).map_or(d, epoch_days);
            let end = NaiveDate::from_ymd_opt(y, 12, 31).map_or(d, epoch_days);
            year_cache = (start, end, y);
        }
        RunSums::add(&mut run.years, year_cache.2, a);
        if last_order[i].is_none_or(|l| d > l) {
            last_order[i] = Some(d);
        }
        for (k, w) in wins.iter().enumerate() {
            if w.contains(d) {
                rev[k][i] += a;
                if let (Some(m), true) = (margin, k < 2) {
                    msum[k][i] += m;
                    mcnt[k][i] += 1;
                }
            }
        }
        if wins[0].contains(d) {
            orders.push((i, doc));
            RunSums::add(&mut run.lines, line.unwrap_or("(none)"), a);
        }
        if run.years.len() + run.lines.len() > RunSums::MAX {
            run.flush(&mut year_sums, &mut line_sums);
        }
    }
    run.flush(&mut year_sums, &mut line_sums);
    super::timing::lap("  revenue: row loop");
    orders.sort_unstable();
    orders.dedup();
    super::timing::lap("  revenue: distinct orders");
    let mut order_counts = vec![0i64; n];
    for (i, _) in &orders {
        order_counts[*i] += 1;
    }
    let margin = |k: usize| -> Vec<Option<f64>> {
        (0..n)
            .map(|i| (mcnt[k][i] > 0).then(|| round_sum(msum[k][i])))
            .collect()
    };
    let (m0, m1) = (margin(0), margin(1));
    let any_margin = [
        m0.iter().any(Option::is_some),
        m1.iter().any(Option::is_some),
    ];
    let [r0, r1, r2] = rev.map(|v| v.into_iter().map(round_sum).collect::<Vec<f64>>());
    let mut years: Vec<(usize, i32, f64)> =
        year_sums.into_iter().map(|((i, y), v)| (i, y, v)).collect();
    years.sort_unstable_by_key(|x| (x.0, x.1));
    let mut product_lines: Vec<(usize, String, f64)> = line_sums
        .into_iter()
        .map(|((i, l), v)| (i, l.to_string(), v))
        .collect();
    product_lines.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(RevenueAgg {
        rev: [r0, r1, r2],
        margin: [m0, m1],
        orders: order_counts,
        last_order: last_order
            .into_iter()
            .map(|d| d.map(from_epoch_days))
            .collect(),
        years,
        product_lines,
        any_margin,
        orphan_rows,
        orphan_revenue_12m: round_sum(orphan_revenue_12m),
    })
}

/// pipeline_weighted per account at `as_of`: Σ amount × probability over open opportunities
/// (not closed; created by as_of when known) with close_date ≥ as_of − pipeline_days.
fn pipeline(
    opps: &LazyFrame,
    fx_rates: Option<&LazyFrame>,
    cur: &str,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    acc: &Accounts,
) -> R<Vec<f64>> {
    let since = as_of - chrono::Duration::days(i64::from(cfg.pipeline_days));
    let lf = opps.clone().filter(
        col("is_closed")
            .eq(lit(true))
            .fill_null(lit(false))
            .not()
            .and(col("close_date").gt_eq(date_lit(since)))
            .and(
                col("created_date")
                    .is_null()
                    .or(col("created_date").lt_eq(date_lit(as_of))),
            ),
    );
    let lf = fx::to_reporting(
        lf,
        "opportunities",
        &["amount"],
        col("close_date").fill_null(date_lit(as_of)),
        fx_rates,
        cur,
    )?;
    let df =
        lf.group_by([col("account_id")])
            .agg([(col("amount").cast(DataType::Float64)
                * col("probability").cast(DataType::Float64))
            .sum()
            .alias("p")])
            .collect()?;
    let r = rows(&df, &acc.index)?;
    Ok(scatter(
        acc.ids.len(),
        &r,
        f64s(&df, "p")?
            .into_iter()
            .map(|x| x.unwrap_or(0.0))
            .collect(),
        0.0,
    ))
}

// ---------------------------------------------------------------------------------------------
// Core: what analyze and whatif share

struct Core {
    acc: Accounts,
    revenue_source: Option<&'static str>,
    rev: Option<RevenueAgg>,
    pipe: Option<[Vec<f64>; 2]>,
    seg: Segmentation,
    seg_prev: Segmentation,
    holders: Option<Vec<Vec<String>>>,
    group_id: Vec<Option<String>>,
    cycles: Vec<String>,
    /// Recent activities (the longest recent window), collected once.
    recent_df: Option<DataFrame>,
    contacts: Option<LazyFrame>,
    activities: Option<LazyFrame>,
    employees: Option<LazyFrame>,
    /// Rows per table whose account_id is not in accounts (when asked for).
    orphan_counts: BTreeMap<String, u64>,
}

/// Recent activities (the longest recent window) and the relationship holders per account,
/// collected on their own thread while revenue is aggregated.
fn recent_and_holders(
    contacts: Option<LazyFrame>,
    activities: Option<LazyFrame>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    index: &AccountIndex,
) -> R<(Option<DataFrame>, Option<Vec<Vec<String>>>)> {
    super::timing::start();
    let recent_days = cfg
        .holder_days
        .max(cfg.active_contact_days)
        .max(cfg.multi_headed_days)
        .max(cfg.multi_headed_team_days);
    let recent_acts = match activities {
        Some(a) => Some(
            a.filter(Window::days(as_of, recent_days).expr(col("date")))
                .select([
                    col("account_id"),
                    col("contact_id"),
                    col("employee_id"),
                    col("date"),
                ])
                .collect()?,
        ),
        None => None,
    };
    super::timing::lap("(worker) recent activities");
    let holders = match contacts {
        Some(c) => Some(keyperson::holders(
            c,
            recent_acts.as_ref(),
            Window::days(as_of, cfg.holder_days),
            index.len(),
            |a| index.get(a).copied(),
        )?),
        None => None,
    };
    super::timing::lap("(worker) holders");
    Ok((recent_acts, holders))
}

fn joined<T>(h: std::thread::ScopedJoinHandle<'_, R<T>>) -> R<T> {
    h.join().unwrap_or_else(|_| {
        Err(PolarsError::ComputeError("an analyze worker thread panicked".into()).into())
    })
}

fn core(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    summary: &mut Summary,
    with_orphans: bool,
) -> R<Core> {
    let acc = load_accounts(&inputs.accounts)?;
    super::timing::lap("load accounts");
    let contacts = opt_normalize(&inputs.contacts, Table::Contacts)?;
    let activities = opt_normalize(&inputs.activities, Table::Activities)?;
    let employees = opt_normalize(&inputs.employees, Table::Employees)?;
    // Two independent jobs run beside the revenue aggregation (2 cores: polars alone leaves
    // one idle much of the time): recent activities with holders, and orphan counts.
    std::thread::scope(|scope| -> R<Core> {
        let (c, a) = (contacts.clone(), activities.clone());
        let index = acc.index.clone();
        let recent_job = scope.spawn(move || recent_and_holders(c, a, as_of, cfg, &index));
        let orphan_job = scope.spawn(move || -> R<BTreeMap<String, u64>> {
            if with_orphans {
                orphan_counts(inputs)
            } else {
                Ok(BTreeMap::new())
            }
        });
        let n = acc.ids.len();
        let fx_rates = opt_normalize(&inputs.fx_rates, Table::FxRates)?;
        let revsrc = revenue_rows(inputs, fx_rates.as_ref(), cur)?;
        let prev_as_of = super::windows::sub_months(as_of, cfg.window_months);
        let (rev, revenue_source) = match &revsrc {
            Some((lf, src)) => (Some(revenue_agg(lf, as_of, cfg, &acc)?), Some(*src)),
            None => (None, None),
        };
        super::timing::lap("revenue aggregates");
        if revenue_source == Some("won_opportunities") {
            summary.notes.push(
                "no revenue table: won opportunities (amount at close_date) stand in for revenue"
                    .into(),
            );
            unavailable(
                summary,
                "margin_12m",
                "no_revenue_table",
                "margin needs the revenue table (won opportunities carry no margin)",
            );
        }
        if rev.is_none() {
            for m in [
                "revenue_12m",
                "value_score",
                "tier",
                "abc_class",
                "concentration",
                "rfm",
            ] {
                unavailable(
                    summary,
                    m,
                    "no_revenue",
                    "there is neither a revenue table nor won opportunities",
                );
            }
        }
        let opps = opt_normalize(&inputs.opportunities, Table::Opportunities)?;
        let pipe = match &opps {
            Some(o) => Some([
                pipeline(o, fx_rates.as_ref(), cur, as_of, cfg, &acc)?,
                pipeline(o, fx_rates.as_ref(), cur, prev_as_of, cfg, &acc)?,
            ]),
            None => {
                unavailable(
                    summary,
                    "pipeline_weighted",
                    "no_opportunities",
                    "there is no opportunities table",
                );
                None
            }
        };
        super::timing::lap("pipeline");
        let (seg, seg_prev) = match &rev {
            Some(r) => {
                let p0: Vec<Option<f64>> = match &pipe {
                    Some(p) => p[0].iter().map(|x| Some(*x)).collect(),
                    None => vec![None; n],
                };
                let p1: Vec<Option<f64>> = match &pipe {
                    Some(p) => p[1].iter().map(|x| Some(*x)).collect(),
                    None => vec![None; n],
                };
                let s0 =
                    segmentation::segment(&acc.ids, &r.rev[0], &r.rev[1], &r.margin[0], &p0, cfg);
                let s1 =
                    segmentation::segment(&acc.ids, &r.rev[1], &r.rev[2], &r.margin[1], &p1, cfg);
                if !s0.dropped_inputs.is_empty() {
                    summary.notes.push(format!(
                    "value_score: {} missing for every account, dropped; the other weights are renormalised",
                    s0.dropped_inputs.join(", ")
                ));
                }
                if !r.any_margin[0] && revenue_source == Some("revenue") {
                    unavailable(
                        summary,
                        "margin_12m",
                        "no_margin_data",
                        "no gross_margin recorded in window_12m",
                    );
                }
                (s0, s1)
            }
            None => {
                let s = Segmentation {
                    growth: vec![0.0; n],
                    active: vec![false; n],
                    value_score: vec![None; n],
                    tier: vec![None; n],
                    pareto: None,
                    dropped_inputs: Vec::new(),
                };
                (s.clone(), s)
            }
        };

        super::timing::lap("segmentation");
        let (recent_df, holders) = joined(recent_job)?;
        super::timing::lap("recent activities, holders");
        let holders = match holders {
            Some(h) => {
                if activities.is_none() {
                    summary.notes.push(
                        "no activities table: relationship holders are contact owners only".into(),
                    );
                }
                Some(h)
            }
            None => {
                for m in [
                    "bus_factor",
                    "single_threaded",
                    "sole_holder_revenue",
                    "accounts_held",
                ] {
                    unavailable(summary, m, "no_contacts", "there is no contacts table");
                }
                None
            }
        };
        let (group_id, cycles) = concentration::resolve_groups(&acc.ids, &acc.parent);
        let orphan_counts = joined(orphan_job)?;
        Ok(Core {
            orphan_counts,
            acc,
            revenue_source,
            rev,
            pipe,
            seg,
            seg_prev,
            holders,
            group_id,
            cycles,
            recent_df,
            contacts,
            activities,
            employees,
        })
    })
}

impl Core {
    fn revenue(&self) -> Vec<f64> {
        match &self.rev {
            Some(r) => r.rev[0].clone(),
            None => vec![0.0; self.acc.ids.len()],
        }
    }

    /// Group of account `i` for concentration (index of the top-most account; the account
    /// itself when its chain loops).
    fn group_idx(&self, i: usize) -> usize {
        self.group_id[i]
            .as_ref()
            .and_then(|g| self.acc.index.get(g).copied())
            .unwrap_or(i)
    }

    fn bus(&self, removed: &HashSet<String>) -> Option<Vec<usize>> {
        self.holders
            .as_ref()
            .map(|h| keyperson::bus_factors(h, removed))
    }
}

// ---------------------------------------------------------------------------------------------
// analyze

pub(super) fn analyze(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<MetricTables> {
    analyze_at(inputs, as_of, cfg, cur, true)
}

/// The accounts table of the analysis at the look-back date `t` (the same code as analyze;
/// without orphan counts, concentration, intervals and backtest, which the backtest does not
/// read).
pub(super) fn look_back(
    inputs: &Inputs,
    t: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
) -> R<DataFrame> {
    Ok(analyze_at(inputs, t, cfg, cur, false)?.accounts)
}

/// `full`: everything; otherwise only what the look-back analysis needs (see [`look_back`]).
fn analyze_at(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    full: bool,
) -> R<MetricTables> {
    let mut summary = Summary::default();
    let w12 = Window::months(as_of, cfg.window_months);
    summary.as_of = as_of.to_string();
    summary.window_12m = [w12.first_day().to_string(), as_of.to_string()];
    summary.reporting_currency = cur.trim().to_uppercase();
    summary.settings = serde_json::to_value(cfg).unwrap_or_default();
    let core = core(inputs, as_of, cfg, cur, &mut summary, full)?;
    super::timing::lap("rest of core");
    let n = core.acc.ids.len();
    summary.revenue_source = core.revenue_source.unwrap_or("none").to_string();
    summary.data_quality.hierarchy_cycles = core.cycles.clone();
    let revenue = core.revenue();
    let tier = &core.seg.tier;
    let agreements = opt_normalize(&inputs.agreements, Table::Agreements)?;
    let surveys = opt_normalize(&inputs.surveys, Table::Surveys)?;

    // The relationship and key-person queries are independent of each other: collected
    // together, they keep both cores busy (one after another, each left one idle much of the
    // time).
    let acts_window = |days| Window::days(as_of, days);
    let plans = vec![
        core.contacts
            .as_ref()
            .map(|c| relationship::kri_frame(c.clone(), &cfg.kri)),
        agreements
            .as_ref()
            .map(|ag| relationship::agreements_frame(ag.clone(), as_of)),
        core.activities
            .as_ref()
            .map(|a| relationship::org_activities_frame(a.clone(), w12)),
        surveys
            .as_ref()
            .map(|s| relationship::survey_frame(s.clone(), w12))
            .transpose()?,
        match &core.recent_df {
            Some(a) => Some(keyperson::multi_headed_contacts_frame(
                a.clone().lazy(),
                owners_lf(&core.acc)?,
                acts_window(cfg.multi_headed_days),
            )),
            None => None,
        },
    ];
    // GRI counts, iron-triangle roles and teams (Rust passes) on a thread meanwhile.
    // The competitor deals (a query and a Rust pass) on another thread.
    let (frames, gri_counts, coverage, competitor_rows) = std::thread::scope(|scope| -> R<_> {
        let core = &core;
        let index = |a: &str| core.acc.index.get(a).copied();
        let deals_job = scope.spawn(move || competitor_rows(inputs, w12, cur, &core.acc));
        let job = scope.spawn(move || -> R<_> {
            super::timing::start();
            let gri = match (&core.contacts, &core.recent_df) {
                (Some(c), Some(a)) => Some(relationship::gri_counts(
                    c.clone(),
                    a,
                    acts_window(cfg.active_contact_days),
                    n,
                    index,
                )?),
                _ => None,
            };
            super::timing::lap("(worker) GRI counts");
            let coverage = match &core.employees {
                Some(e) => Some(keyperson::coverage(
                    core.recent_df.as_ref(),
                    &core.acc.owner,
                    e.clone(),
                    acts_window(cfg.holder_days),
                    acts_window(cfg.multi_headed_team_days),
                    index,
                )?),
                None => None,
            };
            super::timing::lap("(worker) roles and teams");
            Ok((gri, coverage))
        });
        let frames = collect_some(plans)?;
        super::timing::lap("polars queries");
        let (gri, coverage) = joined(job)?;
        let competitor_rows = joined(deals_job)?;
        Ok((frames, gri, coverage, competitor_rows))
    })?;
    let [kri_df, agreements_df, org_acts_df, surveys_df, multi_df]: [Option<DataFrame>; 5] = frames
        .try_into()
        .map_err(|_| PolarsError::ComputeError("collect_some lost a frame".into()))?;
    super::timing::lap("(waited for) GRI, roles and teams");

    // --- relationship depth
    let mut kri: Vec<Option<f64>> = vec![None; n];
    let mut status: Vec<Option<&str>> = vec![None; n];
    let mut opposition: Vec<Option<bool>> = vec![None; n];
    let mut dm_support: Vec<Option<f64>> = vec![None; n];
    if let Some(df) = &kri_df {
        let r = rows(&df, &core.acc.index)?;
        let spk = scatter(n, &r, f64s(&df, "sum_pk")?, None);
        let sp = scatter(n, &r, f64s(&df, "sum_p")?, None);
        let dms = scatter(n, &r, bools(&df, "dm_supportive")?, None);
        let keys = scatter(n, &r, bools(&df, "key_supportive")?, None);
        let opp = scatter(n, &r, bools(&df, "opposition")?, None);
        dm_support = scatter(n, &r, f64s(&df, "dm_support")?, None);
        for i in 0..n {
            kri[i] = Some(relationship::kri(
                spk[i].unwrap_or(0.0),
                sp[i].unwrap_or(0.0),
            ));
            status[i] = Some(relationship::chain_status(
                dms[i].unwrap_or(false),
                keys[i].unwrap_or(false),
            ));
            opposition[i] = Some(opp[i].unwrap_or(false));
        }
    } else {
        for m in ["kri", "decision_chain_status", "opposition", "dm_support"] {
            unavailable(&mut summary, m, "no_contacts", "there is no contacts table");
        }
    }

    super::timing::lap("KRI");
    let mut gri: Vec<Option<f64>> = vec![None; n];
    let mut dep_active: Vec<Option<i64>> = vec![None; n];
    let mut dep_known: Vec<Option<i64>> = vec![None; n];
    match &gri_counts {
        Some(g) => {
            for i in 0..n {
                gri[i] = relationship::gri(g.active[i], cfg.gri_targets.for_tier(tier[i]));
                dep_active[i] = Some(g.departments_active[i]);
                dep_known[i] = Some(g.departments_known[i]);
            }
        }
        _ => unavailable(
            &mut summary,
            "gri",
            "no_contacts_or_activities",
            "GRI needs both the contacts and the activities tables",
        ),
    }

    super::timing::lap("GRI");
    let mut ori: Vec<Option<f64>> = vec![None; n];
    if agreements.is_none() && core.activities.is_none() && surveys.is_none() {
        unavailable(
            &mut summary,
            "ori",
            "no_org_data",
            "ORI needs agreements, activities or surveys",
        );
    } else {
        let mut facts = vec![OrgFacts::default(); n];
        if let Some(df) = &agreements_df {
            let r = rows(df, &core.acc.index)?;
            let sc = bools(&df, "strategic_cooperation")?;
            let ex = bools(&df, "exclusive")?;
            let ji = bools(&df, "joint_innovation")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].strategic_cooperation = sc[k].unwrap_or(false);
                    facts[i].exclusive = ex[k].unwrap_or(false);
                    facts[i].joint_innovation = ji[k].unwrap_or(false);
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.agreements",
                "no_agreements",
                "no agreements table: ORI counts no agreement points",
            );
        }
        if let Some(df) = &org_acts_df {
            let r = rows(df, &core.acc.index)?;
            let ev = i64s(&df, "n_executive_visit")?;
            let sm = i64s(&df, "n_strategic_meeting")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].executive_visits = ev[k].unwrap_or(0).max(0) as u32;
                    facts[i].strategic_meetings = sm[k].unwrap_or(0).max(0) as u32;
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.activities",
                "no_activities",
                "no activities table: ORI counts no visit or meeting points",
            );
        }
        if let Some(df) = &surveys_df {
            let r = rows(df, &core.acc.index)?;
            let sc = f64s(&df, "survey_score")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    facts[i].survey_score = sc[k];
                }
            }
        } else {
            unavailable(
                &mut summary,
                "ori.surveys",
                "no_surveys",
                "no surveys table: ORI counts no satisfaction points",
            );
        }
        for i in 0..n {
            ori[i] = Some(relationship::ori(&facts[i], &cfg.ori));
        }
    }
    super::timing::lap("ORI");
    let rdi: Vec<Option<f64>> = (0..n)
        .map(|i| relationship::rdi(kri[i], gri[i], ori[i], &cfg.rdi_weights))
        .collect();
    let quadrant: Vec<Option<&str>> = (0..n)
        .map(|i| relationship::quadrant(tier[i], rdi[i], cfg.quadrant_threshold))
        .collect();
    let ori_level: Vec<Option<&str>> = ori
        .iter()
        .map(|o| o.map(|o| relationship::ori_level(o, cfg.ori_strategic_partner, cfg.ori_partner)))
        .collect();

    // --- key person
    let bus = core.bus(&HashSet::new());
    let holders_str: Vec<Option<String>> = match &core.holders {
        Some(h) => h.iter().map(|h| Some(h.join(","))).collect(),
        None => vec![None; n],
    };
    super::timing::lap("bus factor");
    let mut multi: Vec<Option<bool>> = vec![None; n];
    if let Some(df) = &multi_df {
        let r = rows(df, &core.acc.index)?;
        let mce = scatter(n, &r, i64s(df, "max_contact_employees")?, None);
        let teams = match &coverage {
            Some(c) => c.teams.clone(),
            None => {
                summary.notes.push(
                    "no employees table: multi_headed uses the per-contact rule only (no teams)"
                        .into(),
                );
                vec![None; n]
            }
        };
        for i in 0..n {
            multi[i] = Some(keyperson::multi_headed(
                mce[i],
                teams[i],
                cfg.multi_headed_contact_employees,
                cfg.multi_headed_teams,
            ));
        }
    } else {
        unavailable(
            &mut summary,
            "multi_headed",
            "no_activities",
            "there is no activities table",
        );
    }
    super::timing::lap("multi-headed");
    let mut iron: Vec<Option<f64>> = vec![None; n];
    let mut iron_missing: Vec<Option<String>> = vec![None; n];
    if let Some(c) = &coverage {
        let has = |i: usize, role: u8| c.roles[i] & role != 0;
        for i in 0..n {
            if matches!(tier[i], Some("S") | Some("A")) {
                let (s, m) = keyperson::iron_triangle(
                    has(i, keyperson::Coverage::AR),
                    has(i, keyperson::Coverage::SR),
                    has(i, keyperson::Coverage::FR),
                );
                iron[i] = Some(s);
                iron_missing[i] = Some(m);
            }
        }
    } else {
        unavailable(
            &mut summary,
            "iron_triangle",
            "no_employees",
            "the iron triangle needs employee roles (employees table)",
        );
    }

    // --- RFM
    let mut rfm: [Vec<Option<u8>>; 3] = [vec![None; n], vec![None; n], vec![None; n]];
    let mut recency: Vec<Option<i64>> = vec![None; n];
    if let Some(r) = &core.rev {
        for i in 0..n {
            recency[i] = r.last_order[i].map(|d| (as_of - d).num_days());
        }
        let act: Vec<usize> = (0..n).filter(|&i| core.seg.active[i]).collect();
        let rv: Vec<Option<f64>> = act
            .iter()
            .map(|&i| recency[i].map(|x| -(x as f64)))
            .collect();
        let fv: Vec<Option<f64>> = act.iter().map(|&i| Some(r.orders[i] as f64)).collect();
        let mv: Vec<Option<f64>> = act.iter().map(|&i| Some(revenue[i])).collect();
        for (k, v) in [rv, fv, mv].iter().enumerate() {
            let s = segmentation::quintile_scores(v);
            for (j, &i) in act.iter().enumerate() {
                rfm[k][i] = Some(s[j]);
            }
        }
    }

    super::timing::lap("iron triangle, RFM");
    // --- market insight
    let mkt = market::account_columns(
        &core.acc.potential,
        &core.acc.annual_revenue,
        &core.acc.industry,
        core.rev.as_ref().map(|_| revenue.as_slice()),
        &cfg.market,
    );
    for (m, code, reason) in &mkt.unavailable {
        unavailable(&mut summary, m, code, reason);
    }
    let competitors = competitors_table(competitor_rows, &mut summary)?;
    super::timing::lap("market insight");
    // --- accounts table
    let has_rev = core.rev.is_some();
    let opt_rev =
        |v: &[f64]| -> Vec<Option<f64>> { v.iter().map(|x| has_rev.then_some(*x)).collect() };
    let (rev_prev, margin, orders, last_order) = match &core.rev {
        Some(r) => (
            opt_rev(&r.rev[1]),
            r.margin[0].clone(),
            r.orders.iter().map(|x| Some(*x)).collect::<Vec<_>>(),
            r.last_order.clone(),
        ),
        None => (vec![None; n], vec![None; n], vec![None; n], vec![None; n]),
    };
    let pipe: Vec<Option<f64>> = match &core.pipe {
        Some(p) => p[0].iter().map(|x| Some(*x)).collect(),
        None => vec![None; n],
    };
    let (prank, cum, abc) = match &core.seg.pareto {
        Some(p) => (p.rank.clone(), p.cum_share.clone(), p.class.clone()),
        None => (vec![None; n], vec![None; n], vec![None; n]),
    };
    let growth: Vec<Option<f64>> = core
        .seg
        .growth
        .iter()
        .map(|g| has_rev.then_some(*g))
        .collect();
    let bus_col: Vec<Option<u32>> = match &bus {
        Some(b) => b.iter().map(|x| Some(*x as u32)).collect(),
        None => vec![None; n],
    };
    let single: Vec<Option<bool>> = bus_col.iter().map(|b| b.map(|b| b <= 1)).collect();
    let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
        v.iter().map(|x| x.map(str::to_string)).collect()
    };
    let date_col = |name: &str, v: &[Option<NaiveDate>]| -> R<Column> {
        Ok(Column::new(
            name.into(),
            v.iter()
                .map(|d| d.map(super::windows::epoch_days))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)?)
    };
    let accounts = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), core.acc.ids.clone()),
        Column::new("name".into(), core.acc.name.clone()),
        Column::new("industry".into(), core.acc.industry.clone()),
        Column::new("region".into(), core.acc.region.clone()),
        Column::new("group_id".into(), core.group_id.clone()),
        Column::new("revenue_12m".into(), opt_rev(&revenue)),
        Column::new("revenue_prev_12m".into(), rev_prev),
        Column::new("margin_12m".into(), margin),
        Column::new("orders_12m".into(), orders),
        Column::new("pipeline_weighted".into(), pipe.clone()),
        Column::new("growth".into(), growth),
        Column::new("value_score".into(), core.seg.value_score.clone()),
        Column::new("tier".into(), s(tier)),
        Column::new("tier_prev".into(), s(&core.seg_prev.tier)),
        Column::new("declared_tier".into(), core.acc.declared_tier.clone()),
        Column::new("abc_class".into(), s(&abc)),
        Column::new("pareto_rank".into(), prank),
        Column::new("cum_share".into(), cum),
        Column::new(
            "rfm_r".into(),
            rfm[0].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_f".into(),
            rfm[1].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new(
            "rfm_m".into(),
            rfm[2].iter().map(|x| x.map(u32::from)).collect::<Vec<_>>(),
        ),
        Column::new("kri".into(), kri.clone()),
        Column::new("gri".into(), gri.clone()),
        Column::new("ori".into(), ori.clone()),
        Column::new("rdi".into(), rdi.clone()),
        Column::new("decision_chain_status".into(), s(&status)),
        Column::new("opposition".into(), opposition.clone()),
        Column::new("dm_support".into(), dm_support),
        Column::new("bus_factor".into(), bus_col),
        Column::new("single_threaded".into(), single),
        Column::new("iron_triangle".into(), iron),
        Column::new("multi_headed".into(), multi.clone()),
        Column::new("quadrant".into(), s(&quadrant)),
        Column::new("wallet".into(), mkt.wallet),
        Column::new("wallet_share".into(), mkt.wallet_share),
        Column::new("headroom".into(), mkt.headroom),
        Column::new("selection".into(), s(&mkt.selection)),
        // extras
        Column::new("owner_id".into(), core.acc.owner.clone()),
        date_col("last_order_date", &last_order)?,
        Column::new("recency_days".into(), recency),
        Column::new("departments_active".into(), dep_active),
        Column::new("departments_known".into(), dep_known),
        Column::new("ori_level".into(), s(&ori_level)),
        Column::new("iron_triangle_missing".into(), iron_missing),
        Column::new("holders".into(), holders_str),
    ])?;

    super::timing::lap("  accounts table");
    // --- concentration
    let mut conc: Vec<ConcRow> = Vec::new();
    let mut headline = Headline {
        accounts_total: n as u64,
        ..Default::default()
    };
    let key_all = keyperson::key_figures(
        &revenue,
        tier,
        &bus.clone().unwrap_or_else(|| vec![0; n]),
        &vec![false; n],
    );
    let mut intervals: BTreeMap<&str, [f64; 2]> = BTreeMap::new();
    if let (Some(r), true) = (&core.rev, full) {
        fn unknown(v: &Option<String>) -> &str {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("(unknown)")
        }
        let group_idx: Vec<usize> = (0..n).map(|i| core.group_idx(i)).collect();
        let mut acc_slices: Slices = BTreeMap::new();
        let mut grp_slices: Slices = BTreeMap::new();
        let year_keys: BTreeMap<i32, String> = r
            .years
            .iter()
            .map(|(_, y, _)| (*y, y.to_string()))
            .collect();
        let dims: [(&str, Vec<(&str, usize, f64)>); 5] = [
            ("all", (0..n).map(|i| ("", i, revenue[i])).collect()),
            (
                "industry",
                (0..n)
                    .map(|i| (unknown(&core.acc.industry[i]), i, revenue[i]))
                    .collect(),
            ),
            (
                "region",
                (0..n)
                    .map(|i| (unknown(&core.acc.region[i]), i, revenue[i]))
                    .collect(),
            ),
            (
                "product_line",
                r.product_lines
                    .iter()
                    .map(|(i, pl, v)| (pl.as_str(), *i, *v))
                    .collect(),
            ),
            (
                "year",
                r.years
                    .iter()
                    .map(|(i, y, v)| (year_keys[y].as_str(), *i, *v))
                    .collect(),
            ),
        ];
        for (dim, rows) in &dims {
            concentration::add_rows(&mut acc_slices, dim, rows.iter().copied());
            concentration::add_rows(
                &mut grp_slices,
                dim,
                rows.iter().map(|(k, i, v)| (*k, group_idx[*i], *v)),
            );
        }
        super::timing::lap("  concentration: slices");
        conc.extend(concentration::slice_rows("account", &acc_slices));
        conc.extend(concentration::slice_rows("group", &grp_slices));
        super::timing::lap("  concentration: slice rows");
        let owner_hhi = keyperson::owner_hhi(&revenue, &core.acc.owner);
        let dim_all = |m: &str, v: f64| ConcRow {
            level: "account",
            dimension: "all".into(),
            key: String::new(),
            metric: m.into(),
            value: v,
        };
        if let Some(h) = owner_hhi {
            conc.push(dim_all("owner_hhi", h));
        }
        if bus.is_some() {
            if let Some(s) = key_all.single_threaded_revenue_share {
                conc.push(dim_all("single_threaded_revenue_share", s));
            }
        }
        // headline
        let acc_all: Vec<f64> = revenue.clone();
        if let Some(f) = concentration::figures(&acc_all) {
            headline.hhi = Some(f.hhi);
            headline.hhi_band =
                Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).to_string());
            headline.gini = Some(f.gini);
            headline.top1_share = Some(f.top1_share);
            headline.top5_share = Some(f.top5_share);
            headline.top10_share = Some(f.top10_share);
            headline.top20pct_share = Some(f.top20pct_share);
            headline.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
            let ci = super::bootstrap::concentration_intervals(
                &acc_all,
                cfg.evidence.bootstrap_draws,
                cfg.evidence.bootstrap_seed,
            );
            for (m, c) in super::bootstrap::CONCENTRATION_METRICS.iter().zip(ci) {
                if let Some(c) = c {
                    intervals.insert(m, c);
                }
            }
            super::timing::lap("  concentration: bootstrap intervals");
        }
        if let Some(g) = grp_slices.get("all").and_then(|d| d.get("")) {
            let v: Vec<f64> = g.iter().map(|x| x.1).collect();
            headline.group_hhi = concentration::hhi(&v);
            // major customers
            let total: f64 = revenue.iter().filter(|x| **x > 0.0).sum();
            if total > 0.0 {
                let mut majors = Vec::new();
                for i in 0..n {
                    if revenue[i] > 0.0 && revenue[i] / total >= cfg.major_customer_share - 1e-12 {
                        majors.push(MajorCustomer {
                            level: "account".into(),
                            key: core.acc.ids[i].clone(),
                            name: core.acc.name[i].clone().unwrap_or_default(),
                            revenue_12m: revenue[i],
                            share: revenue[i] / total,
                        });
                    }
                }
                let mut groups: Vec<&(usize, f64)> = g.iter().filter(|(_, v)| *v > 0.0).collect();
                groups.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                for &(k, v) in groups {
                    if v / total >= cfg.major_customer_share - 1e-12 {
                        let name = core.acc.name[k].clone().unwrap_or_default();
                        majors.push(MajorCustomer {
                            level: "group".into(),
                            key: core.acc.ids[k].clone(),
                            name,
                            revenue_12m: v,
                            share: v / total,
                        });
                    }
                }
                majors.sort_by(|a, b| {
                    a.level
                        .cmp(&b.level)
                        .then(b.revenue_12m.total_cmp(&a.revenue_12m))
                        .then(a.key.cmp(&b.key))
                });
                summary.major_customers = majors;
            }
        }
        headline.owner_hhi = owner_hhi;
    }
    super::timing::lap("accounts table, concentration");
    let concentration = DataFrame::new_infer_height(vec![
        Column::new(
            "level".into(),
            conc.iter().map(|r| r.level).collect::<Vec<_>>(),
        ),
        Column::new(
            "dimension".into(),
            conc.iter().map(|r| r.dimension.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "key".into(),
            conc.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "metric".into(),
            conc.iter().map(|r| r.metric.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "value".into(),
            conc.iter().map(|r| r.value).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_low".into(),
            conc.iter()
                .map(|r| conc_interval(&intervals, r).map(|c| c[0]))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_high".into(),
            conc.iter()
                .map(|r| conc_interval(&intervals, r).map(|c| c[1]))
                .collect::<Vec<_>>(),
        ),
    ])?;

    // --- employees
    let employees = if full {
        employees_table(&core, &revenue)?
    } else {
        DataFrame::empty()
    };
    super::timing::lap("employees table");

    // --- tier migration
    let tier_migration = migration_table(tier, &core.seg_prev.tier, &revenue)?;

    // --- headline and data quality
    headline.active_accounts = core.seg.active.iter().filter(|a| **a).count() as u64;
    headline.revenue_12m_total = revenue.iter().filter(|x| **x > 0.0).sum();
    if let Some(r) = &core.rev {
        headline.revenue_prev_12m_total = r.rev[1].iter().filter(|x| **x > 0.0).sum();
        headline.margin_12m_total = r.any_margin[0].then(|| r.margin[0].iter().flatten().sum());
    }
    headline.pipeline_weighted_total = core.pipe.as_ref().map(|p| p[0].iter().sum());
    if bus.is_some() {
        headline.single_threaded_revenue_share = key_all.single_threaded_revenue_share;
        headline.sa_single_threaded_revenue = Some(key_all.sa_single_threaded_revenue);
    }
    if core.contacts.is_some() {
        headline.opposition_accounts =
            Some(opposition.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    if core.recent_df.is_some() {
        headline.multi_headed_accounts =
            Some(multi.iter().filter(|o| **o == Some(true)).count() as u64);
    }
    let sa_rdi: Vec<f64> = (0..n)
        .filter(|&i| matches!(tier[i], Some("S") | Some("A")))
        .filter_map(|i| rdi[i])
        .collect();
    headline.mean_rdi_sa =
        (!sa_rdi.is_empty()).then(|| sa_rdi.iter().sum::<f64>() / sa_rdi.len() as f64);
    for i in 0..n {
        if let Some(t) = tier[i] {
            *headline.tier_counts.entry(t.to_string()).or_default() += 1;
            *headline.tier_revenue.entry(t.to_string()).or_default() += revenue[i];
        }
        if let Some(d) = &core.acc.declared_tier[i] {
            let computed = tier[i].unwrap_or("");
            if d.trim() != computed {
                summary.data_quality.tier_mismatches.push(TierMismatch {
                    account_id: core.acc.ids[i].clone(),
                    declared: d.clone(),
                    computed: computed.to_string(),
                });
            }
        }
    }
    super::timing::lap("headline figures");
    let evidence = if full {
        evidence(
            inputs,
            as_of,
            cfg,
            cur,
            &core,
            &revenue,
            &mut headline,
            &mut summary,
        )?
    } else {
        super::evidence::frame(&[], None)?
    };
    headline.intervals = intervals
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(std::mem::take(&mut headline.intervals))
        .collect();
    summary.headline = headline;
    if full {
        summary.data_quality.orphans = orphans(&core);
        if core.revenue_source == Some("revenue") {
            if let Some(r) = &core.rev {
                summary.data_quality.orphan_revenue_12m = r.orphan_revenue_12m;
            }
        }
        super::timing::lap("orphans");
    }
    Ok(MetricTables {
        accounts,
        concentration,
        employees,
        tier_migration,
        competitors,
        evidence,
        summary,
    })
}

/// The `competitors` rows of the deals closed in window_12m (amounts in the reporting
/// currency); `None` when there is no opportunities table.
fn competitor_rows(
    inputs: &Inputs,
    w12: Window,
    cur: &str,
    acc: &Accounts,
) -> R<Option<Vec<market::CompetitorRow>>> {
    super::timing::start();
    let Some(opps) = opt_normalize(&inputs.opportunities, Table::Opportunities)? else {
        return Ok(None);
    };
    let fx_rates = opt_normalize(&inputs.fx_rates, Table::FxRates)?;
    let closed = fx::to_reporting(
        market::closed_deals(opps, w12),
        "opportunities",
        &["amount"],
        col("close_date"),
        fx_rates.as_ref(),
        cur,
    )?;
    let df = market::deal_columns(closed).collect()?;
    super::timing::lap("(worker) competitor deals");
    let ids = df.column("account_id")?.str()?;
    let comp = df.column("competitor")?.str()?;
    let won = df.column("won")?.bool()?;
    let amount = df.column("amount")?.f64()?;
    let mut account = RunLookup::new(|id: &str| acc.index.get(id).copied());
    let deals = ids
        .iter()
        .zip(comp.iter())
        .zip(won.iter())
        .zip(amount.iter())
        .map(|(((id, c), w), a)| market::Deal {
            competitor: c,
            industry: id
                .and_then(|id| account.get(id))
                .and_then(|i| acc.industry[i].as_deref()),
            won: w.unwrap_or(false),
            amount: a,
        });
    let rows = market::competitors(deals);
    super::timing::lap("(worker) competitors");
    Ok(Some(rows))
}

/// The `competitors` table; marks it unavailable in the summary when there is nothing to
/// compare (no opportunities table, no deal closed in window_12m, or none naming a competitor).
fn competitors_table(
    rows: Option<Vec<market::CompetitorRow>>,
    summary: &mut Summary,
) -> R<DataFrame> {
    let Some(rows) = rows else {
        unavailable(
            summary,
            "competitors",
            "no_opportunities",
            "there is no opportunities table",
        );
        return Ok(market::competitors_table(&[])?);
    };
    if rows.is_empty() {
        unavailable(
            summary,
            "competitors",
            "no_closed_deals",
            "no opportunity closed in window_12m",
        );
    } else if rows.iter().all(|r| r.competitor.is_none()) {
        unavailable(
            summary,
            "competitors",
            "no_competitor_data",
            "no opportunity closed in window_12m names a competitor",
        );
    }
    Ok(market::competitors_table(&rows)?)
}

/// The interval of a concentration row (account level, dimension all) if it has one.
fn conc_interval(intervals: &BTreeMap<&str, [f64; 2]>, r: &ConcRow) -> Option<[f64; 2]> {
    (r.level == "account" && r.dimension == "all")
        .then(|| intervals.get(r.metric.as_str()).copied())
        .flatten()
}

/// The backtest (metrics.md "Evidence"): the analysis at T = as_of − window_months gives RDI
/// and bus_factor at T; outcomes are revenue_12m now and deals closed in (T, as_of].
#[allow(clippy::too_many_arguments)]
fn evidence(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    core: &Core,
    revenue: &[f64],
    headline: &mut Headline,
    summary: &mut Summary,
) -> R<DataFrame> {
    let t = super::windows::sub_months(as_of, cfg.window_months);
    if !cfg.evidence.backtest {
        return Ok(super::evidence::frame(&[], None)?);
    }
    if core.rev.is_none() {
        unavailable(
            summary,
            "evidence",
            "no_revenue",
            "the backtest needs revenue (or won opportunities)",
        );
        return Ok(super::evidence::frame(&[], None)?);
    }
    let at_t = look_back(inputs, t, cfg, cur)?;
    super::timing::lap("evidence: analysis at the look-back date");
    let n = core.acc.ids.len();
    // Same accounts, same order (both runs load and sort the same accounts table).
    let same = at_t.height() == n;
    let col_f64 =
        |c: &str| -> R<Vec<Option<f64>>> { Ok(if same { f64s(&at_t, c)? } else { vec![None; n] }) };
    let rev_t: Vec<f64> = col_f64("revenue_12m")?
        .into_iter()
        .map(|x| x.unwrap_or(0.0))
        .collect();
    let rdi_t = col_f64("rdi")?;
    let bus_t = match (&core.holders, same) {
        (Some(_), true) => Some(
            i64s(&at_t, "bus_factor")?
                .into_iter()
                .map(|b| b.map(|b| b.max(0) as u32))
                .collect(),
        ),
        _ => None,
    };
    let (mut closed, mut won) = (vec![0u32; n], vec![0u32; n]);
    match opt_normalize(&inputs.opportunities, Table::Opportunities)? {
        Some(o) => {
            let df = super::evidence::closed_deals(o, t, as_of).collect()?;
            let r = rows(&df, &core.acc.index)?;
            let c = i64s(&df, "closed")?;
            let w = i64s(&df, "won")?;
            for k in 0..df.height() {
                if let Some(i) = r[k] {
                    closed[i] = c[k].unwrap_or(0) as u32;
                    won[i] = w[k].unwrap_or(0) as u32;
                }
            }
        }
        None => unavailable(
            summary,
            "evidence.win_rate",
            "no_opportunities",
            "there is no opportunities table",
        ),
    }
    let data = super::evidence::BacktestData {
        ids: core.acc.ids.clone(),
        rev_t,
        rev_now: revenue.to_vec(),
        rdi_t,
        bus_t,
        closed,
        won,
    };
    let bt = super::evidence::backtest(&data);
    headline.look_back = Some(t.to_string());
    headline.evidence_cohort = Some(bt.cohort as u64);
    headline.rdi_growth_spearman = bt.spearman;
    if bt.spearman.is_some() {
        if let Some(ci) = super::bootstrap::spearman_interval(
            &bt.rdi,
            &bt.growth,
            cfg.evidence.bootstrap_draws,
            cfg.evidence.bootstrap_seed,
        ) {
            headline.intervals.insert("rdi_growth_spearman".into(), ci);
        }
    }
    super::timing::lap("evidence: backtest and interval");
    Ok(super::evidence::frame(&bt.rows, Some(t))?)
}

fn employees_table(core: &Core, revenue: &[f64]) -> R<DataFrame> {
    let n = core.acc.ids.len();
    let empty: Vec<Vec<String>> = vec![Vec::new(); n];
    let stats = keyperson::employee_stats(
        revenue,
        core.holders.as_ref().unwrap_or(&empty),
        &core.acc.owner,
    );
    let mut owned_count: HashMap<&str, u64> = HashMap::new();
    for o in core.acc.owner.iter().flatten() {
        *owned_count.entry(o.as_str()).or_default() += 1;
    }
    let mut ids: Vec<String> = Vec::new();
    let mut role: Vec<Option<String>> = Vec::new();
    let mut team: Vec<Option<String>> = Vec::new();
    let mut name: Vec<Option<String>> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    if let Some(e) = &core.employees {
        let df = e
            .clone()
            .filter(col("employee_id").is_not_null())
            .select([col("employee_id"), col("role"), col("team"), col("name")])
            .unique_stable(Some(cols(["employee_id"])), UniqueKeepStrategy::First)
            .collect()?;
        for (((i, r), t), nm) in strs(&df, "employee_id")?
            .into_iter()
            .zip(strs(&df, "role")?)
            .zip(strs(&df, "team")?)
            .zip(strs(&df, "name")?)
        {
            if let Some(i) = i {
                seen.insert(i.clone());
                ids.push(i);
                role.push(r);
                team.push(t);
                name.push(nm);
            }
        }
    }
    for k in stats.keys() {
        if !seen.contains(k) {
            seen.insert(k.clone());
            ids.push(k.clone());
            role.push(None);
            team.push(None);
            name.push(None);
        }
    }
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|a, b| ids[*a].cmp(&ids[*b]));
    let has_holders = core.holders.is_some();
    let has_rev = core.rev.is_some();
    let pick = |i: usize| stats.get(&ids[i]);
    let df = DataFrame::new_infer_height(vec![
        Column::new(
            "employee_id".into(),
            order.iter().map(|&i| ids[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            order.iter().map(|&i| role[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "team".into(),
            order.iter().map(|&i| team[i].clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_held".into(),
            order
                .iter()
                .map(|&i| has_holders.then(|| pick(i).map_or(0, |s| s.accounts_held)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "sole_holder_revenue".into(),
            order
                .iter()
                .map(|&i| {
                    (has_holders && has_rev).then(|| pick(i).map_or(0.0, |s| s.sole_holder_revenue))
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "owned_revenue".into(),
            order
                .iter()
                .map(|&i| has_rev.then(|| pick(i).map_or(0.0, |s| s.owned_revenue)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "accounts_owned".into(),
            order
                .iter()
                .map(|&i| owned_count.get(ids[i].as_str()).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            order.iter().map(|&i| name[i].clone()).collect::<Vec<_>>(),
        ),
    ])?;
    Ok(df)
}

/// Tier migration matrix: accounts and revenue_12m by (tier_prev, tier); accounts with no
/// tier in either year are left out; null = no tier.
///
/// Example: one account B → A with revenue 10 and one new account (no tier_prev) → C:
/// rows (B, A, 1, 10) and (null, C, 1, …).
pub fn migration_table(
    tier: &[Option<&str>],
    tier_prev: &[Option<&str>],
    revenue: &[f64],
) -> R<DataFrame> {
    let rank = |t: &Option<&str>| match t {
        Some("S") => 0,
        Some("A") => 1,
        Some("B") => 2,
        Some("C") => 3,
        _ => 4,
    };
    let mut m: BTreeMap<(u8, u8), (Option<&str>, Option<&str>, u64, f64)> = BTreeMap::new();
    for i in 0..tier.len() {
        if tier[i].is_none() && tier_prev[i].is_none() {
            continue;
        }
        let e = m.entry((rank(&tier_prev[i]), rank(&tier[i]))).or_insert((
            tier_prev[i],
            tier[i],
            0,
            0.0,
        ));
        e.2 += 1;
        e.3 += revenue[i];
    }
    let v: Vec<_> = m.into_values().collect();
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "tier_prev".into(),
            v.iter().map(|x| x.0).collect::<Vec<_>>(),
        ),
        Column::new("tier".into(), v.iter().map(|x| x.1).collect::<Vec<_>>()),
        Column::new("accounts".into(), v.iter().map(|x| x.2).collect::<Vec<_>>()),
        Column::new(
            "revenue_12m".into(),
            v.iter().map(|x| x.3).collect::<Vec<_>>(),
        ),
    ])?)
}

/// Rows of child tables whose account_id is not an account, per table (only non-zero counts).
/// Rows per table whose account_id is not an account (revenue's are counted by
/// [`revenue_agg`]).
fn orphan_counts(inputs: &Inputs) -> R<BTreeMap<String, u64>> {
    super::timing::start();
    let ids = inputs
        .accounts
        .clone()
        .select([col("account_id")])
        .unique(None, UniqueKeepStrategy::Any);
    let tables: [(&str, &Option<LazyFrame>); 5] = [
        ("contacts", &inputs.contacts),
        ("opportunities", &inputs.opportunities),
        ("activities", &inputs.activities),
        ("agreements", &inputs.agreements),
        ("surveys", &inputs.surveys),
    ];
    let mut out = BTreeMap::new();
    let present: Vec<(&str, LazyFrame)> = tables
        .into_iter()
        .filter(|(name, _)| match inputs.ingest_orphans.get(*name) {
            Some(&k) => {
                if k > 0 {
                    out.insert(name.to_string(), k);
                }
                false
            }
            None => true,
        })
        .filter_map(|(name, lf)| Some((name, lf.clone()?)))
        .collect();
    // An anti join probes each row's account_id once (no per-account groups are built);
    // a null account_id matches nothing, so it counts as an orphan.
    let frames = collect_all(
        present
            .iter()
            .map(|(_, lf)| {
                lf.clone()
                    .select([col("account_id")])
                    .join(
                        ids.clone(),
                        [col("account_id")],
                        [col("account_id")],
                        JoinArgs::new(JoinType::Anti),
                    )
                    .select([len().cast(DataType::Int64).alias("n")])
            })
            .collect(),
    )?;
    for ((name, _), df) in present.iter().zip(frames) {
        let k = i64s(&df, "n")?
            .first()
            .copied()
            .flatten()
            .unwrap_or(0)
            .max(0) as u64;
        if k > 0 {
            out.insert(name.to_string(), k);
        }
    }
    super::timing::lap("(worker) orphan counts");
    Ok(out)
}

/// Orphan rows of every table: the counts of [`orphan_counts`] plus revenue's.
fn orphans(core: &Core) -> BTreeMap<String, u64> {
    let mut out = core.orphan_counts.clone();
    if core.revenue_source == Some("revenue") {
        if let Some(r) = &core.rev {
            if r.orphan_rows > 0 {
                out.insert("revenue".into(), r.orphan_rows);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// whatif

/// Concentration and key-person figures of one scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScenarioFigures {
    pub revenue_total: f64,
    pub n_active: u64,
    pub hhi: Option<f64>,
    pub hhi_band: Option<String>,
    pub group_hhi: Option<f64>,
    pub gini: Option<f64>,
    pub top1_share: Option<f64>,
    pub top5_share: Option<f64>,
    pub top10_share: Option<f64>,
    pub accounts_for_80pct: Option<u64>,
    /// None when there is no contacts table.
    pub key_person: Option<KeyFigures>,
}

/// Before/after figures of a what-if.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WhatifResult {
    pub as_of: String,
    pub removed_employees: Vec<String>,
    pub removed_accounts: Vec<String>,
    /// Accounts that lose every holder because of the removed employees (active ones).
    pub accounts_orphaned: Vec<String>,
    pub before: ScenarioFigures,
    pub after: ScenarioFigures,
}

fn scenario(
    core: &Core,
    revenue: &[f64],
    removed_acc: &[bool],
    removed_emp: &HashSet<String>,
    cfg: &MetricsConfig,
) -> ScenarioFigures {
    let n = revenue.len();
    let kept: Vec<f64> = (0..n)
        .map(|i| if removed_acc[i] { 0.0 } else { revenue[i] })
        .collect();
    let mut s = ScenarioFigures::default();
    if let Some(f) = concentration::figures(&kept) {
        s.revenue_total = f.revenue_total;
        s.n_active = f.n_active as u64;
        s.hhi = Some(f.hhi);
        s.hhi_band = Some(concentration::hhi_band(f.hhi, cfg.hhi_moderate, cfg.hhi_high).into());
        s.gini = Some(f.gini);
        s.top1_share = Some(f.top1_share);
        s.top5_share = Some(f.top5_share);
        s.top10_share = Some(f.top10_share);
        s.accounts_for_80pct = Some(f.accounts_for_80pct as u64);
    }
    let mut groups: HashMap<usize, f64> = HashMap::new();
    for i in 0..n {
        *groups.entry(core.group_idx(i)).or_default() += kept[i];
    }
    s.group_hhi = concentration::hhi(&groups.values().copied().collect::<Vec<_>>());
    s.key_person = core
        .bus(removed_emp)
        .map(|b| keyperson::key_figures(&kept, &core.seg.tier, &b, removed_acc));
    s
}

pub(super) fn whatif(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    remove_employees: &[String],
    remove_accounts: &[String],
) -> R<WhatifResult> {
    let mut summary = Summary::default();
    let core = core(inputs, as_of, cfg, cur, &mut summary, false)?;
    let n = core.acc.ids.len();
    let unknown_acc: Vec<String> = remove_accounts
        .iter()
        .filter(|a| !core.acc.index.contains_key(a.trim()))
        .cloned()
        .collect();
    if !unknown_acc.is_empty() {
        return Err(MetricsError::UnknownIds {
            kind: "account",
            ids: unknown_acc,
        });
    }
    let mut known_emp: HashSet<String> = core.acc.owner.iter().flatten().cloned().collect();
    if let Some(h) = &core.holders {
        known_emp.extend(h.iter().flatten().cloned());
    }
    if let Some(e) = &core.employees {
        let df = e.clone().select([col("employee_id")]).collect()?;
        known_emp.extend(strs(&df, "employee_id")?.into_iter().flatten());
    }
    let unknown_emp: Vec<String> = remove_employees
        .iter()
        .filter(|e| !known_emp.contains(e.trim()))
        .cloned()
        .collect();
    if !unknown_emp.is_empty() {
        return Err(MetricsError::UnknownIds {
            kind: "employee",
            ids: unknown_emp,
        });
    }
    let revenue = core.revenue();
    let removed_emp: HashSet<String> = remove_employees
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let removed_set: HashSet<&str> = remove_accounts.iter().map(|s| s.trim()).collect();
    let removed_acc: Vec<bool> = core
        .acc
        .ids
        .iter()
        .map(|a| removed_set.contains(a.as_str()))
        .collect();
    let before = scenario(&core, &revenue, &vec![false; n], &HashSet::new(), cfg);
    let after = scenario(&core, &revenue, &removed_acc, &removed_emp, cfg);
    let mut orphaned = Vec::new();
    if let (Some(b0), Some(b1)) = (core.bus(&HashSet::new()), core.bus(&removed_emp)) {
        for i in 0..n {
            if !removed_acc[i] && revenue[i] > 0.0 && b0[i] > 0 && b1[i] == 0 {
                orphaned.push(core.acc.ids[i].clone());
            }
        }
    }
    Ok(WhatifResult {
        as_of: as_of.to_string(),
        removed_employees: remove_employees.to_vec(),
        removed_accounts: remove_accounts.to_vec(),
        accounts_orphaned: orphaned,
        before,
        after,
    })
}
