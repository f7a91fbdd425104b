//! Revenue rows (the revenue table, or won opportunities), their per-account aggregates over
//! three windows, and the weighted pipeline.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::accounts::Accounts;
use super::frames::{dates, f64s, opt_contract_frame, rows, scatter};
use super::R;
use crate::contract::{RevenueSource, Table};
use crate::metrics::concentration::round_sum;
use crate::metrics::keys::RunLookup;
use crate::metrics::windows::{
    date_lit, epoch_days, from_epoch_days, quarter_bounds, quarter_index, Window,
};
use crate::metrics::{fx, Inputs, MetricsConfig};

/// Revenue rows (account_id, document_id, date, amount, gross_margin, product_line) in the
/// reporting currency, from `revenue` or else from won opportunities.
pub(super) fn revenue_rows(
    inputs: &Inputs,
    fx_rates: Option<&LazyFrame>,
    cur: &str,
) -> R<Option<(LazyFrame, RevenueSource)>> {
    if let Some(rev) = opt_contract_frame(&inputs.revenue, Table::Revenue)? {
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
        return Ok(Some((lf, RevenueSource::Revenue)));
    }
    if let Some(opp) = opt_contract_frame(&inputs.opportunities, Table::Opportunities)? {
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
        return Ok(Some((lf, RevenueSource::WonOpportunities)));
    }
    Ok(None)
}

pub(in crate::metrics) fn default_as_of(inputs: &Inputs) -> R<Option<NaiveDate>> {
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
    if let Some(opp) = opt_contract_frame(&inputs.opportunities, Table::Opportunities)? {
        return max_of(
            opp.filter(col("is_won").eq(lit(true)).fill_null(lit(false))),
            "close_date",
        );
    }
    Ok(None)
}

/// Per-account revenue aggregates for three consecutive windows ending at as_of.
pub(super) struct RevenueAgg {
    pub(super) rev: [Vec<f64>; 3],
    pub(super) margin: [Vec<Option<f64>>; 2],
    pub(super) orders: Vec<i64>,
    pub(super) last_order: Vec<Option<NaiveDate>>,
    /// (account index, year, revenue), summed from `quarters`.
    pub(super) years: Vec<(usize, i32, f64)>,
    /// (account index, quarter as `year·4 + quarter − 1`, revenue) of every calendar quarter
    /// up to as_of with revenue, sorted by account then quarter.
    pub(super) quarters: Vec<(usize, i32, f64)>,
    /// (account index, product_line, revenue_12m)
    pub(super) product_lines: Vec<(usize, String, f64)>,
    pub(super) any_margin: [bool; 2],
    pub(super) orphan_rows: u64,
    /// Σ amount of orphan rows dated in the 12-month window (reporting currency).
    pub(super) orphan_revenue_12m: f64,
}

pub(super) type Sums<K> = HashMap<K, f64, foldhash::fast::RandomState>;

/// Sums per calendar quarter and per product line of one run of rows of the same account (see
/// `revenue_agg`), added to the per-(account, key) maps by `flush`.
#[derive(Default)]
pub(super) struct RunSums<'a> {
    pub(super) account: usize,
    /// (year·4 + quarter − 1, sum)
    pub(super) quarters: Vec<(i32, f64)>,
    pub(super) lines: Vec<(&'a str, f64)>,
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

    fn flush(&mut self, quarters: &mut Sums<(usize, i32)>, lines: &mut Sums<(usize, &'a str)>) {
        for (q, s) in self.quarters.drain(..) {
            *quarters.entry((self.account, q)).or_default() += s;
        }
        for (l, s) in self.lines.drain(..) {
            *lines.entry((self.account, l)).or_default() += s;
        }
    }
}

/// `lean` (whatif, which reads only revenue_12m and the tiers): revenue and margin per window
/// only — no order counts, last orders, quarters or product lines (documents and product
/// lines are not even read).
pub(super) fn revenue_agg(
    lf: &LazyFrame,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    acc: &Accounts,
    lean: bool,
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
            if lean {
                lit(NULL).cast(DataType::String).alias("document_id")
            } else {
                col("document_id")
            },
            col("date").cast(DataType::Date).to_physical().alias("date"),
            col("amount"),
            col("gross_margin"),
            if lean {
                lit(NULL).cast(DataType::String).alias("product_line")
            } else {
                col("product_line")
            },
        ])
        .collect()?;
    crate::metrics::timing::lap("  revenue: collect rows");
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
    let mut quarter_sums: Sums<(usize, i32)> = HashMap::default();
    let mut line_sums: Sums<(usize, &str)> = HashMap::default();
    let mut orphan_rows = 0u64;
    let mut orphan_revenue_12m = 0.0;
    // [from, to] days → year·4 + quarter − 1 of the last row's calendar quarter.
    let mut quarter_cache: (i32, i32, i32) = (i32::MAX, i32::MIN, 0);
    // Exports list an account's rows together more often than not: the last account id is
    // remembered (no hash lookup), and the per-(account, quarter) and per-(account, line) sums
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
        let a = amount.unwrap_or(0.0);
        for (k, w) in wins.iter().enumerate() {
            if w.contains(d) {
                rev[k][i] += a;
                if let (Some(m), true) = (margin, k < 2) {
                    msum[k][i] += m;
                    mcnt[k][i] += 1;
                }
            }
        }
        if lean {
            continue;
        }
        if run.account != i {
            run.flush(&mut quarter_sums, &mut line_sums);
            run.account = i;
        }
        if !(quarter_cache.0 <= d && d <= quarter_cache.1) {
            let day = from_epoch_days(d);
            let q = quarter_index(day);
            let (start, end) =
                quarter_bounds(q).map_or((d, d), |(s, e)| (epoch_days(s), epoch_days(e)));
            quarter_cache = (start, end, q);
        }
        RunSums::add(&mut run.quarters, quarter_cache.2, a);
        if last_order[i].is_none_or(|l| d > l) {
            last_order[i] = Some(d);
        }
        if wins[0].contains(d) {
            // Lines of one document are mostly adjacent: pushed once per run (the sort and
            // dedup below make them distinct either way).
            if orders.last() != Some(&(i, doc)) {
                orders.push((i, doc));
            }
            RunSums::add(&mut run.lines, line.unwrap_or("(none)"), a);
        }
        if run.quarters.len() + run.lines.len() > RunSums::MAX {
            run.flush(&mut quarter_sums, &mut line_sums);
        }
    }
    run.flush(&mut quarter_sums, &mut line_sums);
    crate::metrics::timing::lap("  revenue: row loop");
    orders.sort_unstable();
    orders.dedup();
    crate::metrics::timing::lap("  revenue: distinct orders");
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
    let mut quarters: Vec<(usize, i32, f64)> = quarter_sums
        .into_iter()
        .map(|((i, q), v)| (i, q, v))
        .collect();
    quarters.sort_unstable_by_key(|x| (x.0, x.1));
    let years = years_of(&quarters);
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
        quarters,
        product_lines,
        any_margin,
        orphan_rows,
        orphan_revenue_12m: round_sum(orphan_revenue_12m),
    })
}

/// Per-(account, year) sums of per-(account, quarter) sums sorted by account then quarter.
fn years_of(quarters: &[(usize, i32, f64)]) -> Vec<(usize, i32, f64)> {
    let mut years: Vec<(usize, i32, f64)> = Vec::new();
    for &(i, q, v) in quarters {
        let y = q.div_euclid(4);
        match years.last_mut() {
            Some(last) if last.0 == i && last.1 == y => last.2 += v,
            _ => years.push((i, y, v)),
        }
    }
    years
}

/// pipeline_weighted per account at `as_of`: Σ amount × probability over open opportunities
/// (not closed; created by as_of when known) with close_date ≥ as_of − pipeline_days.
pub(super) fn pipeline(
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
