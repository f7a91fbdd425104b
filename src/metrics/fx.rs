//! Currency conversion to the reporting currency (metrics.md "Windows": amounts are converted
//! with fx_rates before any sum).
//!
//! Rate of a row: the rate of its currency with the latest `valid_from` ≤ the row's date, else
//! a rate of that currency with no `valid_from`. A null currency is the reporting currency.
//! A currency other than the reporting one without such a rate is an error, never a silent sum.
//!
//! Example: reporting CNY, fx_rates USD 7.0 from 2026-01-01 and USD 7.2 from 2026-06-01:
//! 100 USD on 2026-03-15 → 700 CNY; on 2026-07-01 → 720 CNY; on 2025-12-31 → error (no rate).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;

use super::windows::epoch_days;
use super::MetricsError;

/// Rates per currency: dated rates sorted by valid_from, and an undated fallback.
#[derive(Debug, Default, Clone)]
pub struct RateTable {
    dated: HashMap<String, Vec<(NaiveDate, f64)>>,
    undated: HashMap<String, f64>,
}

impl RateTable {
    /// Read an fx_rates frame (currency, rate_to_reporting, valid_from).
    pub fn from_frame(fx: &LazyFrame) -> Result<RateTable, MetricsError> {
        let df = fx
            .clone()
            .select([
                col("currency").str().to_uppercase().alias("currency"),
                col("rate_to_reporting")
                    .cast(DataType::Float64)
                    .alias("rate"),
                col("valid_from").cast(DataType::Date).alias("valid_from"),
            ])
            .filter(col("currency").is_not_null().and(col("rate").is_not_null()))
            .collect()?;
        let mut t = RateTable::default();
        let cur = df.column("currency")?.str()?.clone();
        let rate = df.column("rate")?.f64()?.clone();
        let from = df.column("valid_from")?.date()?.clone();
        for ((c, r), f) in cur.iter().zip(rate.iter()).zip(from.as_date_iter()) {
            let (Some(c), Some(r)) = (c, r) else { continue };
            match f {
                Some(f) => t
                    .dated
                    .entry(c.trim().to_string())
                    .or_default()
                    .push((f, r)),
                None => {
                    t.undated.insert(c.trim().to_string(), r);
                }
            }
        }
        for v in t.dated.values_mut() {
            v.sort_by_key(|x| x.0);
        }
        Ok(t)
    }

    /// The rate of `currency` valid at `date`.
    pub fn rate(&self, currency: &str, date: Option<NaiveDate>) -> Option<f64> {
        if let (Some(v), Some(d)) = (self.dated.get(currency), date) {
            if let Some((_, r)) = v.iter().rev().find(|(f, _)| *f <= d) {
                return Some(*r);
            }
        }
        self.undated.get(currency).copied()
    }
}

/// Convert `amount_cols` of `lf` to the reporting currency, using `date` (an expression
/// evaluated on `lf`) to pick the rate. Returns `lf` unchanged when every row is already in the
/// reporting currency (or has none). `table` names the table in error messages.
pub fn to_reporting(
    lf: LazyFrame,
    table: &str,
    amount_cols: &[&str],
    date: Expr,
    fx: Option<&LazyFrame>,
    reporting: &str,
) -> Result<LazyFrame, MetricsError> {
    let reporting = reporting.trim().to_uppercase();
    let cur = col("currency")
        .str()
        .strip_chars(lit(Null {}))
        .str()
        .to_uppercase();
    let pairs = lf
        .clone()
        .select([
            cur.clone().alias("__cur"),
            date.clone().cast(DataType::Date).alias("__d"),
        ])
        .filter(
            col("__cur")
                .is_not_null()
                .and(col("__cur").neq(lit(reporting.clone())))
                .and(col("__cur").neq(lit(""))),
        )
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    if pairs.height() == 0 {
        return Ok(lf);
    }
    let currencies = pairs.column("__cur")?.str()?.clone();
    let dates = pairs.column("__d")?.date()?.clone();
    let Some(fx) = fx else {
        let mut seen: Vec<String> = currencies.iter().flatten().map(str::to_string).collect();
        seen.sort();
        seen.dedup();
        return Err(MetricsError::MissingFxRate {
            table: table.to_string(),
            currency: seen.join(", "),
            detail: " (there is no fx_rates table)".into(),
        });
    };
    let rates = RateTable::from_frame(fx)?;
    let mut out_cur = Vec::with_capacity(pairs.height());
    let mut out_d = Vec::with_capacity(pairs.height());
    let mut out_r = Vec::with_capacity(pairs.height());
    let mut missing: BTreeMap<String, Option<NaiveDate>> = BTreeMap::new();
    for (c, d) in currencies.iter().zip(dates.as_date_iter()) {
        let Some(c) = c else { continue };
        match rates.rate(c, d) {
            Some(r) => {
                out_cur.push(c.to_string());
                out_d.push(d.map(epoch_days));
                out_r.push(r);
            }
            None => {
                let e = missing.entry(c.to_string()).or_insert(d);
                if d < *e {
                    *e = d;
                }
            }
        }
    }
    if let Some((c, d)) = missing.into_iter().next() {
        return Err(MetricsError::MissingFxRate {
            table: table.to_string(),
            currency: c,
            detail: match d {
                Some(d) => format!(" valid on {d}"),
                None => String::new(),
            },
        });
    }
    let rate_df = DataFrame::new_infer_height(vec![
        Column::new("__cur".into(), out_cur),
        Column::new("__d".into(), out_d).cast(&DataType::Date)?,
        Column::new("__rate".into(), out_r),
    ])?;
    let mut converted = Vec::new();
    for a in amount_cols {
        converted
            .push((col(*a).cast(DataType::Float64) * col("__rate").fill_null(lit(1.0))).alias(*a));
    }
    Ok(lf
        .with_columns([cur.alias("__cur"), date.cast(DataType::Date).alias("__d")])
        .join(
            rate_df.lazy(),
            [col("__cur"), col("__d")],
            [col("__cur"), col("__d")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(converted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_util::{d, dates};
    use crate::metrics::windows::date_lit;

    fn fx() -> LazyFrame {
        DataFrame::new_infer_height(vec![
            Column::new("currency".into(), ["USD", "USD", "EUR"]),
            Column::new("rate_to_reporting".into(), [7.0, 7.2, 8.0]),
            Column::new(
                "valid_from".into(),
                [
                    Some(epoch_days(d("2026-01-01"))),
                    Some(epoch_days(d("2026-06-01"))),
                    None,
                ],
            )
            .cast(&DataType::Date)
            .unwrap(),
        ])
        .unwrap()
        .lazy()
    }

    #[test]
    fn converts_with_rate_valid_at_date() {
        let lf = DataFrame::new_infer_height(vec![
            Column::new("amount".into(), [100.0, 100.0, 100.0, 100.0, 100.0]),
            Column::new(
                "currency".into(),
                [Some("USD"), Some("usd"), Some("CNY"), None, Some("EUR")],
            ),
            dates(&[
                "2026-03-15",
                "2026-07-01",
                "2026-07-01",
                "2026-07-01",
                "2020-01-01",
            ]),
        ])
        .unwrap()
        .lazy()
        .with_row_index("i", None);
        let out = to_reporting(lf, "revenue", &["amount"], col("date"), Some(&fx()), "CNY")
            .unwrap()
            .sort(["i"], Default::default())
            .collect()
            .unwrap();
        let a: Vec<f64> = out
            .column("amount")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(a, vec![700.0, 720.0, 100.0, 100.0, 800.0]);
        let _ = date_lit(d("2026-01-01"));
    }

    #[test]
    fn missing_rate_is_an_error_naming_currency_and_table() {
        let lf = DataFrame::new_infer_height(vec![
            Column::new("amount".into(), [100.0]),
            Column::new("currency".into(), ["USD"]),
            dates(&["2025-12-31"]),
        ])
        .unwrap()
        .lazy();
        let err = to_reporting(
            lf.clone(),
            "revenue",
            &["amount"],
            col("date"),
            Some(&fx()),
            "CNY",
        )
        .err()
        .unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("USD") && msg.contains("revenue") && msg.contains("2025-12-31"),
            "{msg}"
        );
        let err = to_reporting(lf, "opportunities", &["amount"], col("date"), None, "CNY")
            .err()
            .unwrap();
        assert!(err.to_string().contains("opportunities"));
        assert!(err.hint().unwrap_or_default().contains("fx_rates"));
    }

    #[test]
    fn single_currency_needs_no_rates() {
        let lf = DataFrame::new_infer_height(vec![
            Column::new("amount".into(), [1.0, 2.0]),
            Column::new("currency".into(), [Some("CNY"), None]),
            dates(&["2025-12-31", "2026-01-01"]),
        ])
        .unwrap()
        .lazy();
        let out = to_reporting(lf, "revenue", &["amount"], col("date"), None, "cny")
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(out.height(), 2);
    }
}
