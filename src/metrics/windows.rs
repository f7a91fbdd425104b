//! Date windows of metrics.md ("Windows") and helpers to filter polars date columns by them.

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;

/// A half-open date window `(start_excl, end_incl]`: a date `d` is inside when
/// `start_excl < d ≤ end_incl`.
///
/// Example: `Window::months(2026-09-30, 12)` is `(2025-09-30, 2026-09-30]`, i.e. the days
/// 2025-10-01 … 2026-09-30 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_excl: NaiveDate,
    pub end_incl: NaiveDate,
}

impl Window {
    /// `(as_of − m calendar months, as_of]` (month ends clamp: 2024-02-29 − 12 months = 2023-02-28).
    pub fn months(as_of: NaiveDate, m: u32) -> Window {
        Window {
            start_excl: sub_months(as_of, m),
            end_incl: as_of,
        }
    }

    /// `(as_of − n days, as_of]`.
    pub fn days(as_of: NaiveDate, n: u32) -> Window {
        Window {
            start_excl: as_of - chrono::Duration::days(i64::from(n)),
            end_incl: as_of,
        }
    }

    /// The window of the same length just before this one (for calendar-month windows).
    pub fn previous_months(&self, m: u32) -> Window {
        Window::months(self.start_excl, m)
    }

    /// First day inside the window.
    pub fn first_day(&self) -> NaiveDate {
        self.start_excl.succ_opt().unwrap_or(self.start_excl)
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start_excl < d && d <= self.end_incl
    }

    /// Polars predicate: `start_excl < e ≤ end_incl` (null dates are outside).
    /// The window as epoch days, for row loops over polars' physical dates.
    pub fn day_range(&self) -> DayRange {
        DayRange {
            lo: epoch_days(self.start_excl),
            hi: epoch_days(self.end_incl),
        }
    }

    pub fn expr(&self, e: Expr) -> Expr {
        e.clone()
            .gt(date_lit(self.start_excl))
            .and(e.lt_eq(date_lit(self.end_incl)))
    }
}

/// A [`Window`] as epoch days `(lo, hi]` (see [`Window::day_range`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayRange {
    lo: i32,
    hi: i32,
}

impl DayRange {
    /// Whether epoch day `d` is in the window.
    pub fn contains(&self, d: i32) -> bool {
        self.lo < d && d <= self.hi
    }
}

/// `d − m` calendar months (clamped to the month's last day).
pub fn sub_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(m)).unwrap_or(d)
}

/// Day numbers of polars dates, from the bottom layer (shared with ingest).
pub use crate::contract::values::{epoch_days, from_epoch_days};

/// A polars `Date` literal (a plain `lit(NaiveDate)` would be a datetime).
pub fn date_lit(d: NaiveDate) -> Expr {
    lit(epoch_days(d)).cast(DataType::Date)
}

/// The calendar quarter of `d` as `year·4 + quarter − 1` (2026-05-10 → 2026·4 + 1).
pub fn quarter_index(d: NaiveDate) -> i32 {
    d.year() * 4 + (d.month0() / 3) as i32
}

/// First and last day of the quarter `q` (see [`quarter_index`]); None out of chrono's range.
pub fn quarter_bounds(q: i32) -> Option<(NaiveDate, NaiveDate)> {
    let (y, k) = (q.div_euclid(4), q.rem_euclid(4) as u32);
    let start = NaiveDate::from_ymd_opt(y, k * 3 + 1, 1)?;
    let end = if k == 3 {
        NaiveDate::from_ymd_opt(y, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(y, k * 3 + 4, 1)?.pred_opt()?
    };
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_util::d;

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(epoch_days(d("1970-01-02")), 1);
        assert_eq!(from_epoch_days(20_726), d("2026-09-30"));
        for day in ["1969-12-31", "2024-02-29", "2026-09-30"] {
            assert_eq!(from_epoch_days(epoch_days(d(day))), d(day));
        }
    }

    #[test]
    fn window_12m_boundaries() {
        let w = Window::months(d("2026-09-30"), 12);
        assert_eq!(w.first_day(), d("2025-10-01"));
        assert!(w.contains(d("2025-10-01")));
        assert!(w.contains(d("2026-09-30")));
        assert!(!w.contains(d("2025-09-30")));
        assert!(!w.contains(d("2026-10-01")));
        let p = w.previous_months(12);
        assert_eq!(p.first_day(), d("2024-10-01"));
        assert_eq!(p.end_incl, d("2025-09-30"));
    }

    #[test]
    fn window_leap_day_clamps() {
        let w = Window::months(d("2024-02-29"), 12);
        assert_eq!(w.start_excl, d("2023-02-28"));
    }

    #[test]
    fn day_window_and_polars_filter() {
        let w = Window::days(d("2026-09-30"), 90);
        // 90 days: 2026-07-03 … 2026-09-30
        assert_eq!(w.first_day(), d("2026-07-03"));
        assert!(!w.contains(d("2026-07-02")));
        let dates = [
            d("2026-07-02"),
            d("2026-07-03"),
            d("2026-09-30"),
            d("2026-10-01"),
        ];
        let s = Series::new(
            "date".into(),
            dates.iter().map(|x| epoch_days(*x)).collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap();
        let df = DataFrame::new_infer_height(vec![s.into()]).unwrap();
        let out = df.lazy().filter(w.expr(col("date"))).collect().unwrap();
        assert_eq!(out.height(), 2);
    }
}
