//! Column helpers: contract-normalised frames, collecting several plans at once, column →
//! vector conversions and per-account scatter.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::R;
use crate::contract::summary::{Summary, Unavailable};
use crate::contract::Table;

/// Add every contract column missing from `lf` as a typed null column (tests and partial
/// exports may omit optional columns).
pub(super) fn contract_frame(lf: &LazyFrame, table: Table) -> R<LazyFrame> {
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

pub(super) fn opt_contract_frame(lf: &Option<LazyFrame>, table: Table) -> R<Option<LazyFrame>> {
    lf.as_ref().map(|l| contract_frame(l, table)).transpose()
}

/// Collect several queries at once: polars runs them together and shares their common
/// parts (the same table scanned, normalised and converted once).
pub(super) fn collect_all(lfs: Vec<LazyFrame>) -> R<Vec<DataFrame>> {
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
pub(super) fn collect_some(lfs: Vec<Option<LazyFrame>>) -> R<Vec<Option<DataFrame>>> {
    let mut dfs = collect_all(lfs.iter().flatten().cloned().collect())?.into_iter();
    Ok(lfs
        .into_iter()
        .map(|lf| lf.and_then(|_| dfs.next()))
        .collect())
}

pub(super) fn strs(df: &DataFrame, name: &str) -> R<Vec<Option<String>>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|s| s.map(str::to_string)).collect())
}

pub(super) fn f64s(df: &DataFrame, name: &str) -> R<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

pub(super) fn i64s(df: &DataFrame, name: &str) -> R<Vec<Option<i64>>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().collect())
}

pub(super) fn bools(df: &DataFrame, name: &str) -> R<Vec<Option<bool>>> {
    let c = df.column(name)?.cast(&DataType::Boolean)?;
    Ok(c.bool()?.iter().collect())
}

pub(super) fn dates(df: &DataFrame, name: &str) -> R<Vec<Option<NaiveDate>>> {
    let c = df.column(name)?.cast(&DataType::Date)?;
    Ok(c.date()?.as_date_iter().collect())
}

/// Row → account index of a frame keyed by `account_id` (None for unknown accounts).
/// Account id → row of the accounts table (foldhash: looked up for every fact row).
pub(super) type AccountIndex = HashMap<String, usize, foldhash::fast::RandomState>;

pub(super) fn rows(df: &DataFrame, idx: &AccountIndex) -> R<Vec<Option<usize>>> {
    Ok(strs(df, "account_id")?
        .into_iter()
        .map(|a| a.and_then(|a| idx.get(&a).copied()))
        .collect())
}

/// Scatter per-row values of a per-account frame onto the accounts.
pub(super) fn scatter<T: Clone>(
    n: usize,
    rows: &[Option<usize>],
    vals: Vec<T>,
    default: T,
) -> Vec<T> {
    let mut out = vec![default; n];
    for (r, v) in rows.iter().zip(vals) {
        if let Some(i) = r {
            out[*i] = v;
        }
    }
    out
}

pub(super) fn unavailable(summary: &mut Summary, metric: &str, code: &str, reason: &str) {
    summary.unavailable.push(Unavailable {
        metric: metric.into(),
        code: code.into(),
        reason: reason.into(),
    });
}

pub(super) fn joined<T>(h: std::thread::ScopedJoinHandle<'_, R<T>>) -> R<T> {
    h.join().unwrap_or_else(|_| {
        Err(PolarsError::ComputeError("an analyze worker thread panicked".into()).into())
    })
}
