//! The accounts table as per-account vectors, in account_id order, and the id → row index.

use polars::prelude::*;

use super::frames::{contract_frame, f64s, strs, AccountIndex};
use super::R;
use crate::contract::Table;

pub(super) struct Accounts {
    pub(super) ids: Vec<String>,
    pub(super) name: Vec<Option<String>>,
    pub(super) industry: Vec<Option<String>>,
    pub(super) region: Vec<Option<String>>,
    pub(super) owner: Vec<Option<String>>,
    pub(super) parent: Vec<Option<String>>,
    pub(super) declared_tier: Vec<Option<String>>,
    pub(super) annual_revenue: Vec<Option<f64>>,
    pub(super) potential: Vec<Option<f64>>,
    /// Account id → index (shared with the holders worker thread).
    pub(super) index: std::sync::Arc<AccountIndex>,
}

pub(super) fn load_accounts(lf: &LazyFrame) -> R<Accounts> {
    let df = contract_frame(lf, Table::Accounts)?
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
