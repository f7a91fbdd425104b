//! The quarterly trend of the leadership page (and of each burst): revenue_12m and account HHI
//! at the last quarter-ends, from the `account_quarters` table.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::concentration;
use super::MetricsError;
use crate::contract::metric_tables::account_quarters as aq;
use crate::contract::summary::QuarterPoint;

type R<T> = Result<T, MetricsError>;

/// Quarter-ends shown by the quarterly trend (the leadership page): at most this many.
pub const TREND_QUARTERS: usize = 8;

/// The quarterly trend of `account_quarters`: revenue_12m and account HHI at each of the last
/// [`TREND_QUARTERS`] quarter-ends on or before `as_of` whose 12 months the data covers (the
/// window starts no earlier than the first quarter with revenue).
///
/// revenue_12m at quarter-end Q is Σ of each account's revenue over the four quarters ending
/// at Q, counting accounts with a positive sum (as the headline's revenue_12m_total); HHI is
/// computed over those sums.
///
/// Example: one account with 10 in each quarter of 2025 and 2026-Q1, as_of 2026-03-31 → two
/// points: 2025-12-31 (40, HHI 10 000) and 2026-03-31 (40, HHI 10 000).
pub fn quarterly(account_quarters: &DataFrame, as_of: Option<NaiveDate>) -> R<Vec<QuarterPoint>> {
    let Some(as_of) = as_of else {
        return Ok(Vec::new());
    };
    let ids = aq::ACCOUNT_ID.strs(account_quarters)?;
    let ends = dates(account_quarters, aq::QUARTER_END.name)?;
    let rev = aq::REVENUE.f64s(account_quarters)?;
    let mut key: HashMap<&str, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(ids.len());
    for ((id, end), v) in ids.iter().zip(&ends).zip(&rev) {
        if let (Some(id), Some(end), Some(v)) = (id, end, v) {
            let next = key.len();
            let k = *key.entry(id.as_str()).or_insert(next);
            rows.push((k, super::windows::quarter_index(*end), *v));
        }
    }
    Ok(points(&rows, as_of))
}

/// [`quarterly`] over rows (account key, quarter index of [`super::windows::quarter_index`],
/// revenue): analyze passes its revenue aggregation's rows without building the table's
/// text column first.
pub fn points(rows: &[(usize, i32, f64)], as_of: NaiveDate) -> Vec<QuarterPoint> {
    let q_of = super::windows::quarter_index;
    // The last quarter-end on or before as_of.
    let last = match as_of.succ_opt() {
        Some(next) if q_of(next) != q_of(as_of) => q_of(as_of),
        _ => q_of(as_of) - 1,
    };
    let Some(first) = rows.iter().map(|r| r.1).min() else {
        return Vec::new();
    };
    let from = (first + 3).max(last - TREND_QUARTERS as i32 + 1);
    if from > last {
        return Vec::new();
    }
    // Per account (in order of first appearance, so that every sum below runs in the same
    // order from run to run), revenue of the quarters from−3 ..= last.
    let span = (last - from + 4) as usize;
    let mut slot: HashMap<usize, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut per: Vec<f64> = Vec::new();
    for &(k, q, v) in rows {
        let next = slot.len();
        let a = *slot.entry(k).or_insert(next);
        if a == next {
            per.resize(per.len() + span, 0.0);
        }
        let q = q - (from - 3);
        if (0..span as i32).contains(&q) {
            per[a * span + q as usize] += v;
        }
    }
    let mut out = Vec::new();
    for k in from..=last {
        let at = (k - from) as usize;
        let sums: Vec<f64> = per
            .chunks_exact(span)
            .map(|m| m[at..at + 4].iter().sum::<f64>())
            .map(concentration::round_sum)
            .collect();
        let Some((_, end)) = super::windows::quarter_bounds(k) else {
            continue;
        };
        out.push(QuarterPoint {
            quarter_end: end.to_string(),
            revenue_12m: sums.iter().filter(|x| **x > 0.0).sum(),
            hhi: concentration::hhi(&sums),
        });
    }
    out
}

/// The dates of column `c` (empty for an empty table).
pub(super) fn dates(df: &DataFrame, c: &str) -> R<Vec<Option<NaiveDate>>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let days = df.column(c)?.cast(&DataType::Int32)?;
    Ok(days
        .i32()?
        .iter()
        .map(|d| d.map(super::windows::from_epoch_days))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One account, 10 per quarter over 2025-Q1..2026-Q1, as_of 2026-05-15 (not a quarter
    /// end) → points at 2025-12-31 and 2026-03-31, each 40 with HHI 10 000.
    #[test]
    fn quarterly_by_hand() {
        let q = df!(
            "account_id" => ["a"; 5],
            "quarter_end" => ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31"],
            "revenue" => [10.0; 5],
        )
        .unwrap()
        .lazy()
        .with_column(col("quarter_end").cast(DataType::Date))
        .collect()
        .unwrap();
        let p = quarterly(&q, NaiveDate::from_ymd_opt(2026, 5, 15)).unwrap();
        let ends: Vec<&str> = p.iter().map(|x| x.quarter_end.as_str()).collect();
        assert_eq!(ends, ["2025-12-31", "2026-03-31"]);
        assert!(p.iter().all(|x| (x.revenue_12m - 40.0).abs() < 1e-9));
        assert!(p.iter().all(|x| x.hhi == Some(10_000.0)));
        // as_of on a quarter-end counts that quarter
        let p = quarterly(&q, NaiveDate::from_ymd_opt(2026, 3, 31)).unwrap();
        assert_eq!(p.last().unwrap().quarter_end, "2026-03-31");
    }
}
