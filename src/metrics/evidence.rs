//! The backtest of metrics.md "Evidence" (table `evidence`): did the accounts with deeper
//! relationships one year ago keep and grow their revenue and win their deals since?
//!
//! Look-back date T = as_of − window_months (12 by default). The relationship figures at T
//! (RDI, bus_factor) come from the same relationship stages run with as_of = T
//! (`pipeline::look_back`), with the tiers at T (the previous year's of the analysis at as_of);
//! this module takes them as vectors over the accounts and computes, for the *cohort* (accounts
//! with revenue_12m(T) > 0):
//! - `retained` = revenue_12m(as_of) > 0, `churn_rate` = 1 − retained / accounts;
//! - `growth` = revenue_12m(as_of) / revenue_12m(T) − 1, summarised by its median (the mean
//!   of the two middle values when the count is even);
//! - over opportunities closed in (T, as_of]: `win_rate` = won / closed (null when none closed);
//! - per RDI band (1..5 by rank of RDI(T), 0 = no RDI) and per bus_factor bucket (0, 1, 2, 3+);
//! - the Spearman rank correlation of RDI(T) with growth (average ranks for ties).
//!
//! Example: four cohort accounts with RDI 10, 20, 20, 40 are ranked 1..4 (the tie by
//! account_id) and get bands ceil(5·1/4) = 2, ceil(10/4) = 3, ceil(15/4) = 4, 5.

use chrono::NaiveDate;
use polars::prelude::*;

use super::windows::date_lit;

/// Per-account inputs of the backtest, aligned with the accounts (sorted by account_id).
#[derive(Debug, Clone, Default)]
pub struct BacktestData {
    pub ids: Vec<String>,
    /// revenue_12m at T.
    pub rev_t: Vec<f64>,
    /// revenue_12m at as_of.
    pub rev_now: Vec<f64>,
    /// RDI at T (None: not computable).
    pub rdi_t: Vec<Option<f64>>,
    /// bus_factor at T; None when there is no contacts table.
    pub bus_t: Option<Vec<Option<u32>>>,
    /// Opportunities closed / won in (T, as_of].
    pub closed: Vec<u32>,
    pub won: Vec<u32>,
}

/// One row of the `evidence` table.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    /// `rdi_band` or `bus_factor`.
    pub dimension: &'static str,
    /// Band 0..5 or bucket 0, 1, 2, 3+.
    pub key: String,
    pub accounts: u64,
    pub rdi_min: Option<f64>,
    pub rdi_max: Option<f64>,
    pub revenue_12m_t: f64,
    pub retained: u64,
    pub churn_rate: Option<f64>,
    pub median_growth: Option<f64>,
    pub opportunities_closed: u64,
    pub opportunities_won: u64,
    pub win_rate: Option<f64>,
}

/// The backtest: table rows, the headline correlation and the pairs it was computed over.
#[derive(Debug, Clone, Default)]
pub struct Backtest {
    pub rows: Vec<EvidenceRow>,
    /// Cohort size (accounts active at T).
    pub cohort: usize,
    /// (RDI(T), growth) of the cohort accounts with an RDI.
    pub rdi: Vec<f64>,
    pub growth: Vec<f64>,
    pub spearman: Option<f64>,
}

/// RDI bands of the items: rank by RDI ascending (ties by id), band = ceil(5 · rank / n) with n
/// the items that have an RDI; no RDI → band 0.
///
/// Example: RDI [30, None, 10, 30] with ids [a, b, c, d]: ranked c (1), a (2), d (3), n = 3 →
/// bands a ceil(10/3) = 4, b 0, c ceil(5/3) = 2, d 5.
pub fn rdi_bands(rdi: &[Option<f64>], ids: &[&str]) -> Vec<u8> {
    let mut ranked: Vec<usize> = (0..rdi.len()).filter(|&i| rdi[i].is_some()).collect();
    ranked.sort_by(|&a, &b| {
        rdi[a]
            .unwrap_or(0.0)
            .total_cmp(&rdi[b].unwrap_or(0.0))
            .then_with(|| ids[a].cmp(ids[b]))
    });
    let n = ranked.len();
    let mut band = vec![0u8; rdi.len()];
    for (pos, &i) in ranked.iter().enumerate() {
        // ceil(5 · rank / n) in integers.
        band[i] = ((5 * (pos + 1)).div_ceil(n)) as u8;
    }
    band
}

/// Median; the mean of the two middle values when the count is even. None when empty.
///
/// Example: [3, −1, 0.5, 2] → (0.5 + 2) / 2 = 1.25.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

/// The bus-factor bucket: 0, 1, 2, 3+.
pub fn bus_bucket(b: u32) -> &'static str {
    match b {
        0 => "0",
        1 => "1",
        2 => "2",
        _ => "3+",
    }
}

/// One bucket's figures over the cohort accounts `members` (indices into `d`).
fn row(d: &BacktestData, dimension: &'static str, key: String, members: &[usize]) -> EvidenceRow {
    let rdis: Vec<f64> = members.iter().filter_map(|&i| d.rdi_t[i]).collect();
    let retained = members.iter().filter(|&&i| d.rev_now[i] > 0.0).count() as u64;
    let growth: Vec<f64> = members
        .iter()
        .map(|&i| d.rev_now[i] / d.rev_t[i] - 1.0)
        .collect();
    let closed: u64 = members.iter().map(|&i| u64::from(d.closed[i])).sum();
    let won: u64 = members.iter().map(|&i| u64::from(d.won[i])).sum();
    let accounts = members.len() as u64;
    EvidenceRow {
        dimension,
        key,
        accounts,
        rdi_min: rdis.iter().copied().reduce(f64::min),
        rdi_max: rdis.iter().copied().reduce(f64::max),
        revenue_12m_t: members.iter().map(|&i| d.rev_t[i]).sum(),
        retained,
        churn_rate: (accounts > 0).then(|| 1.0 - retained as f64 / accounts as f64),
        median_growth: median(&growth),
        opportunities_closed: closed,
        opportunities_won: won,
        win_rate: (closed > 0).then(|| won as f64 / closed as f64),
    }
}

/// The backtest over the accounts of `d`: rows for RDI bands 1..5 (always, empty bands with
/// null rates), band 0 when some cohort account has no RDI, and bus_factor buckets 0, 1, 2, 3+
/// (when bus_factor is known); the Spearman correlation of RDI(T) with growth.
pub fn backtest(d: &BacktestData) -> Backtest {
    let cohort: Vec<usize> = (0..d.ids.len()).filter(|&i| d.rev_t[i] > 0.0).collect();
    let ids: Vec<&str> = cohort.iter().map(|&i| d.ids[i].as_str()).collect();
    let rdi: Vec<Option<f64>> = cohort.iter().map(|&i| d.rdi_t[i]).collect();
    let bands = rdi_bands(&rdi, &ids);
    let mut rows = Vec::new();
    for band in 0..=5u8 {
        let members: Vec<usize> = cohort
            .iter()
            .zip(&bands)
            .filter(|(_, b)| **b == band)
            .map(|(i, _)| *i)
            .collect();
        if band == 0 && members.is_empty() {
            continue;
        }
        rows.push(row(d, "rdi_band", band.to_string(), &members));
    }
    if let Some(bus) = &d.bus_t {
        for bucket in ["0", "1", "2", "3+"] {
            let members: Vec<usize> = cohort
                .iter()
                .copied()
                .filter(|&i| bus_bucket(bus[i].unwrap_or(0)) == bucket)
                .collect();
            rows.push(row(d, "bus_factor", bucket.to_string(), &members));
        }
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for &i in &cohort {
        if let Some(r) = d.rdi_t[i] {
            xs.push(r);
            ys.push(d.rev_now[i] / d.rev_t[i] - 1.0);
        }
    }
    Backtest {
        rows,
        cohort: cohort.len(),
        spearman: super::bootstrap::spearman(&xs, &ys),
        rdi: xs,
        growth: ys,
    }
}

/// Opportunities closed in (T, as_of] per account: account_id, closed, won.
pub fn closed_deals(opps: LazyFrame, t: NaiveDate, as_of: NaiveDate) -> LazyFrame {
    opps.filter(
        col("is_closed")
            .eq(lit(true))
            .fill_null(lit(false))
            .and(col("close_date").gt(date_lit(t)))
            .and(col("close_date").lt_eq(date_lit(as_of)))
            .and(col("account_id").is_not_null()),
    )
    .group_by([col("account_id")])
    .agg([
        len().cast(DataType::UInt32).alias("closed"),
        col("is_won")
            .eq(lit(true))
            .fill_null(lit(false))
            .cast(DataType::UInt32)
            .sum()
            .alias("won"),
    ])
}

/// The `evidence` table (interface.md) of the rows; `look_back` is T on every row.
pub fn frame(rows: &[EvidenceRow], look_back: Option<NaiveDate>) -> PolarsResult<DataFrame> {
    let v = |f: &dyn Fn(&EvidenceRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let u = |f: &dyn Fn(&EvidenceRow) -> u64| rows.iter().map(f).collect::<Vec<_>>();
    let t = look_back.map(super::windows::epoch_days);
    DataFrame::new_infer_height(vec![
        Column::new(
            "dimension".into(),
            rows.iter().map(|r| r.dimension).collect::<Vec<_>>(),
        ),
        Column::new(
            "key".into(),
            rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        ),
        Column::new("accounts".into(), u(&|r| r.accounts)),
        Column::new("rdi_min".into(), v(&|r| r.rdi_min)),
        Column::new("rdi_max".into(), v(&|r| r.rdi_max)),
        // Rows of deals (dimension deal_chain_status) have no revenue at T.
        Column::new(
            "revenue_12m_T".into(),
            v(&|r| (r.dimension != "deal_chain_status").then_some(r.revenue_12m_t)),
        ),
        Column::new("retained".into(), u(&|r| r.retained)),
        Column::new("churn_rate".into(), v(&|r| r.churn_rate)),
        Column::new("median_growth".into(), v(&|r| r.median_growth)),
        Column::new(
            "opportunities_closed".into(),
            u(&|r| r.opportunities_closed),
        ),
        Column::new("opportunities_won".into(), u(&|r| r.opportunities_won)),
        Column::new("win_rate".into(), v(&|r| r.win_rate)),
        Column::new("look_back".into(), vec![t; rows.len()]).cast(&DataType::Date)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_with_ties_null_and_n_not_divisible_by_5() {
        // Doc example.
        assert_eq!(
            rdi_bands(
                &[Some(30.0), None, Some(10.0), Some(30.0)],
                &["a", "b", "c", "d"]
            ),
            vec![4, 0, 2, 5]
        );
        // n = 7: ranks 1..7 → ceil(5r/7) = 1, 2, 3, 3, 4, 5, 5. Ties (all 50) are ranked by
        // id, so the id order decides: g..a gets the ranks in id order a=1 … g=7.
        let ids = ["g", "f", "e", "d", "c", "b", "a"];
        let bands = rdi_bands(&[Some(50.0); 7], &ids);
        assert_eq!(bands, vec![5, 5, 4, 3, 3, 2, 1]);
        // n = 10: two per band.
        let r: Vec<Option<f64>> = (0..10).map(|i| Some(f64::from(i))).collect();
        let ids: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(rdi_bands(&r, &ids), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // One account: band 5 (ceil(5/1)).
        assert_eq!(rdi_bands(&[Some(1.0)], &["a"]), vec![5]);
    }

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&[3.0, -1.0, 0.5, 2.0]), Some(1.25));
        assert_eq!(median(&[3.0, -1.0, 0.5]), Some(0.5));
        assert_eq!(median(&[]), None);
    }

    /// Five accounts: a..d active at T, e not (outside the cohort).
    fn data() -> BacktestData {
        BacktestData {
            ids: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            rev_t: vec![100.0, 200.0, 50.0, 10.0, 0.0],
            rev_now: vec![150.0, 0.0, 50.0, 30.0, 99.0],
            rdi_t: vec![Some(80.0), Some(20.0), None, Some(20.0), Some(90.0)],
            bus_t: Some(vec![Some(3), Some(1), Some(0), Some(1), Some(5)]),
            closed: vec![4, 2, 1, 0, 7],
            won: vec![3, 0, 1, 0, 7],
        }
    }

    #[test]
    fn backtest_by_hand() {
        let b = backtest(&data());
        assert_eq!(b.cohort, 4);
        // Cohort with an RDI: b (20), d (20), a (80); ties b < d by id. n = 3: bands
        // b ceil(5/3) = 2, d ceil(10/3) = 4, a 5. c has no RDI: band 0.
        let by = |dim: &str, key: &str| {
            b.rows
                .iter()
                .find(|r| r.dimension == dim && r.key == key)
                .cloned()
                .unwrap()
        };
        let band0 = by("rdi_band", "0");
        assert_eq!((band0.accounts, band0.retained), (1, 1));
        assert_eq!(band0.median_growth, Some(0.0)); // 50 / 50 − 1
        assert_eq!(band0.win_rate, Some(1.0)); // 1 of 1
        assert_eq!((band0.rdi_min, band0.rdi_max), (None, None));
        let band1 = by("rdi_band", "1");
        assert_eq!(band1.accounts, 0);
        assert_eq!(
            (band1.churn_rate, band1.median_growth, band1.win_rate),
            (None, None, None)
        );
        let band2 = by("rdi_band", "2"); // b: lost (200 → 0), 0 of 2 won
        assert_eq!((band2.accounts, band2.retained), (1, 0));
        assert_eq!(band2.churn_rate, Some(1.0));
        assert_eq!(band2.median_growth, Some(-1.0));
        assert_eq!(band2.win_rate, Some(0.0));
        assert_eq!(band2.revenue_12m_t, 200.0);
        let band4 = by("rdi_band", "4"); // d: 10 → 30, growth 2, no deals closed
        assert_eq!(band4.median_growth, Some(2.0));
        assert_eq!(band4.win_rate, None);
        let band5 = by("rdi_band", "5"); // a: 100 → 150, 3 of 4 won
        assert_eq!(band5.median_growth, Some(0.5));
        assert_eq!(band5.win_rate, Some(0.75));
        assert_eq!((band5.rdi_min, band5.rdi_max), (Some(80.0), Some(80.0)));
        // Bus factor: 0 = c, 1 = b and d, 2 = none, 3+ = a (e is outside the cohort).
        let one = by("bus_factor", "1");
        assert_eq!((one.accounts, one.retained), (2, 1));
        assert_eq!(one.churn_rate, Some(0.5));
        assert_eq!(one.median_growth, Some(0.5)); // (−1 + 2) / 2
        assert_eq!((one.opportunities_closed, one.opportunities_won), (2, 0));
        assert_eq!((one.rdi_min, one.rdi_max), (Some(20.0), Some(20.0)));
        assert_eq!(by("bus_factor", "2").accounts, 0);
        assert_eq!(by("bus_factor", "3+").revenue_12m_t, 100.0);
        assert_eq!(b.rows.len(), 6 + 4);
        // Spearman over (RDI, growth) of a, b, d: (80, 0.5), (20, −1), (20, 2).
        // ranks x: a 3, b 1.5, d 1.5; y: a 2, b 1, d 3. dx = 1, −0.5, −0.5; dy = 0, −1, 1.
        // Σdxdy = 0 + 0.5 − 0.5 = 0 → 0.
        assert_eq!(b.spearman, Some(0.0));
    }

    #[test]
    fn no_contacts_no_bus_rows_and_all_in_band_0() {
        let mut d = data();
        d.bus_t = None;
        d.rdi_t = vec![None; 5];
        let b = backtest(&d);
        assert!(b.rows.iter().all(|r| r.dimension == "rdi_band"));
        assert_eq!(b.rows[0].key, "0");
        assert_eq!(b.rows[0].accounts, 4);
        assert_eq!(b.spearman, None);
    }

    #[test]
    fn closed_deals_window_is_open_at_t_and_closed_at_as_of() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let df = df!(
            "account_id" => ["a", "a", "a", "a", "b"],
            "is_closed" => [Some(true), Some(true), Some(true), None, Some(true)],
            "is_won" => [Some(true), None, Some(true), Some(true), Some(false)],
            "close_date" => [d("2025-09-30"), d("2025-10-01"), d("2026-09-30"), d("2026-01-01"), d("2026-10-01")],
        )
        .unwrap();
        let out = closed_deals(df.lazy(), d("2025-09-30"), d("2026-09-30"))
            .sort(["account_id"], Default::default())
            .collect()
            .unwrap();
        // a: 2025-09-30 is T itself (out), 2025-10-01 (closed, won null → not won),
        // 2026-09-30 (won); the open one is out. b closes after as_of.
        assert_eq!(out.height(), 1);
        assert_eq!(out.column("closed").unwrap().u32().unwrap().get(0), Some(2));
        assert_eq!(out.column("won").unwrap().u32().unwrap().get(0), Some(1));
    }
}
