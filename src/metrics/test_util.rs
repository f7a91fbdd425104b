//! Helpers shared by the metrics unit tests.

use chrono::NaiveDate;
use polars::prelude::*;

use super::windows::epoch_days;

/// A date from `YYYY-MM-DD`.
pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A `date` column from `YYYY-MM-DD` strings.
pub fn dates(v: &[&str]) -> Column {
    Column::new(
        "date".into(),
        v.iter().map(|s| epoch_days(d(s))).collect::<Vec<_>>(),
    )
    .cast(&DataType::Date)
    .unwrap()
}
