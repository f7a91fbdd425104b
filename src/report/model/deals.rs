//! The deal decision chain on the pages (metrics.md "Deal decision chain"): the open deals
//! with a red or amber chain and the roles they miss (strategy), the open pipeline by chain
//! status (finance) and the open pipeline with no supportive decision maker with its change
//! (leadership). Read from the `deals` metric table and `summary.json`.

use polars::prelude::{DataFrame, DataType};
use serde::Serialize;

use super::ReportInputs;
use crate::contract::metric_tables::deals::{CHAIN_ROLES, ROLE_SEPARATOR, SOURCE_DEAL};
use crate::contract::metric_tables::{deals as col, SchemaError};

/// One open deal with a red or amber chain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DealGap {
    pub opportunity_id: String,
    /// The account's name (its id when it has none).
    pub account: String,
    pub name: Option<String>,
    pub amount: Option<f64>,
    pub probability: Option<f64>,
    pub stage: Option<String>,
    /// YYYY-MM-DD.
    pub close_date: Option<String>,
    /// `red` | `amber`.
    pub status: String,
    /// Decision roles with no supportive member (decision_maker, evaluator, technical,
    /// procurement), in that order.
    pub missing_roles: Vec<String>,
    pub opposition: Option<bool>,
    /// `deal` (its own buying group) or `account` (its account's contacts).
    pub chain_source: String,
}

/// Open deals and pipeline of one chain status.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusRow {
    /// `red`, `amber`, `green` or `unknown`.
    pub status: String,
    pub deals: u64,
    pub amount: f64,
    pub weighted: f64,
    /// Share of the open amount.
    pub share: Option<f64>,
}

/// The deal sections of the pages.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Deals {
    /// A `deals` table with rows exists.
    pub available: bool,
    pub open_deals: u64,
    /// Open deals whose chain comes from their own deal_contacts rows.
    pub with_buying_group: u64,
    /// `[report] deal_min_amount` (0: the largest deals, top N).
    pub min_amount: f64,
    /// Red and amber deals at or above min_amount, by amount (at most top N).
    pub gaps: Vec<DealGap>,
    /// How many there are in all.
    pub gaps_total: usize,
    /// The open pipeline by chain status.
    pub by_status: Vec<StatusRow>,
    pub total_amount: f64,
    /// Open pipeline with no supportive decision maker (red or amber chain), now, in the
    /// previous report and the change.
    pub no_supportive_dm: Option<f64>,
    pub no_supportive_dm_deals: Option<u64>,
    pub no_supportive_dm_prev: Option<f64>,
    pub no_supportive_dm_change: Option<f64>,
    pub red_share: Option<f64>,
    pub red_share_weighted: bool,
}

fn dates_as_text(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    match df
        .column(name)
        .and_then(|c| c.cast(&DataType::String))
        .and_then(|c| {
            c.str()
                .map(|s| s.iter().map(|x| x.map(str::to_string)).collect::<Vec<_>>())
        }) {
        Ok(v) => v,
        Err(_) => vec![None; df.height()],
    }
}

/// The deal sections from the `deals` table (None: not written) and the summaries.
pub(super) fn build(
    inputs: &ReportInputs,
    min_amount: f64,
    top_n: usize,
) -> Result<Deals, SchemaError> {
    let h = &inputs.summary.headline;
    let prev = inputs
        .previous
        .as_ref()
        .and_then(|p| p.summary.headline.pipeline_no_supportive_dm);
    let mut d = Deals {
        min_amount,
        no_supportive_dm: h.pipeline_no_supportive_dm,
        no_supportive_dm_deals: h.deals_no_supportive_dm,
        no_supportive_dm_prev: prev,
        no_supportive_dm_change: h.pipeline_no_supportive_dm.zip(prev).map(|(a, b)| a - b),
        red_share: h.pipeline_red_share,
        red_share_weighted: h.pipeline_red_share_weighted.unwrap_or(false),
        ..Default::default()
    };
    let Some(df) = inputs.deals.as_ref().filter(|df| df.height() > 0) else {
        return Ok(d);
    };
    d.available = true;
    let ids = col::OPPORTUNITY_ID.strs(df)?;
    let account_id = col::ACCOUNT_ID.strs(df)?;
    let account_name = col::ACCOUNT_NAME.strs(df)?;
    let name = col::NAME.strs(df)?;
    let amount = col::AMOUNT.f64s(df)?;
    let prob = col::PROBABILITY.f64s(df)?;
    let weighted = col::WEIGHTED_AMOUNT.f64s(df)?;
    let stage = col::STAGE.strs(df)?;
    let status = col::DEAL_CHAIN_STATUS.strs(df)?;
    let missing = col::MISSING_ROLES.strs(df)?;
    let opposition = col::OPPOSITION_AT_DECISION_MAKER.bools(df)?;
    let source = col::CHAIN_SOURCE.strs(df)?;
    let close = dates_as_text(df, col::CLOSE_DATE.name);
    d.open_deals = df.height() as u64;
    let mut rows: Vec<StatusRow> = ["red", "amber", "green", "unknown"]
        .iter()
        .map(|s| StatusRow {
            status: s.to_string(),
            deals: 0,
            amount: 0.0,
            weighted: 0.0,
            share: None,
        })
        .collect();
    let mut gaps = Vec::new();
    for i in 0..df.height() {
        let st = status[i].clone().unwrap_or_else(|| "unknown".into());
        let a = amount[i].unwrap_or(0.0);
        if let Some(r) = rows.iter_mut().find(|r| r.status == st) {
            r.deals += 1;
            r.amount += a;
            r.weighted += weighted[i].unwrap_or(0.0);
        }
        d.total_amount += a;
        if source[i].as_deref() == Some(SOURCE_DEAL) {
            d.with_buying_group += 1;
        }
        if (st == "red" || st == "amber") && a >= min_amount {
            let roles = missing[i].clone().unwrap_or_default();
            gaps.push(DealGap {
                opportunity_id: ids[i].clone().unwrap_or_default(),
                account: account_name[i]
                    .clone()
                    .or_else(|| account_id[i].clone())
                    .unwrap_or_default(),
                name: name[i].clone(),
                amount: amount[i],
                probability: prob[i],
                stage: stage[i].clone(),
                close_date: close[i].clone(),
                status: st,
                missing_roles: roles
                    .split(ROLE_SEPARATOR)
                    .filter(|r| CHAIN_ROLES.contains(r))
                    .map(str::to_string)
                    .collect(),
                opposition: opposition[i],
                chain_source: source[i].clone().unwrap_or_default(),
            });
        }
    }
    for r in &mut rows {
        r.share = (d.total_amount != 0.0).then(|| r.amount / d.total_amount);
    }
    rows.retain(|r| r.status != "unknown" || r.deals > 0);
    d.by_status = rows;
    gaps.sort_by(|a, b| {
        b.amount
            .unwrap_or(0.0)
            .total_cmp(&a.amount.unwrap_or(0.0))
            .then_with(|| a.opportunity_id.cmp(&b.opportunity_id))
    });
    d.gaps_total = gaps.len();
    gaps.truncate(top_n);
    d.gaps = gaps;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;
    use crate::contract::metric_tables::{conform, MetricTable};

    fn inputs(df: DataFrame) -> ReportInputs {
        let mut i = crate::report::fixture::inputs(5, 1);
        i.deals = Some(conform(MetricTable::Deals, df));
        i.summary.headline.pipeline_no_supportive_dm = Some(350.0);
        i
    }

    #[test]
    fn gaps_by_amount_with_missing_roles_and_pipeline_by_status() {
        let df = df!(
            "opportunity_id" => ["O1", "O2", "O3", "O4"],
            "account_id" => ["A1", "A1", "A2", "A3"],
            "account_name" => [Some("<b>Acme</b>"), Some("<b>Acme</b>"), None, Some("Beta")],
            "amount" => [100.0, 300.0, 50.0, 20.0],
            "weighted_amount" => [50.0, 60.0, 5.0, 2.0],
            "deal_chain_status" => ["green", "red", "amber", "amber"],
            "missing_roles" => ["evaluator", "decision_maker;evaluator;technical;procurement", "decision_maker;procurement", "decision_maker"],
            "chain_source" => ["deal", "deal", "account", "deal"],
        )
        .unwrap();
        let d = build(&inputs(df.clone()), 0.0, 2).unwrap();
        assert!(d.available);
        assert_eq!((d.open_deals, d.with_buying_group), (4, 3));
        // Red and amber only, by amount, the top 2 of 3.
        assert_eq!(d.gaps_total, 3);
        let ids: Vec<&str> = d.gaps.iter().map(|g| g.opportunity_id.as_str()).collect();
        assert_eq!(ids, ["O2", "O3"]);
        assert_eq!(d.gaps[0].missing_roles.len(), 4);
        assert_eq!(d.gaps[1].missing_roles, ["decision_maker", "procurement"]);
        // An account without a name shows its id; names are kept as they are (the
        // templates escape them).
        assert_eq!(d.gaps[0].account, "<b>Acme</b>");
        assert_eq!(d.gaps[1].account, "A2");
        let red = &d.by_status[0];
        assert_eq!(
            (red.status.as_str(), red.deals, red.amount),
            ("red", 1, 300.0)
        );
        assert_eq!(red.share, Some(300.0 / 470.0));
        assert_eq!(d.by_status.len(), 3, "no unknown row without unknown deals");
        assert_eq!(d.no_supportive_dm, Some(350.0));
        // A minimum amount: only deals at or above it.
        let d = build(&inputs(df), 40.0, 10).unwrap();
        assert_eq!(d.gaps_total, 2);
    }

    #[test]
    fn change_against_the_previous_report_and_no_table() {
        let mut i = crate::report::fixture::inputs(5, 1);
        i.deals = None;
        i.summary.headline.pipeline_no_supportive_dm = Some(500.0);
        if let Some(p) = i.previous.as_mut() {
            p.summary.headline.pipeline_no_supportive_dm = Some(800.0);
        }
        let d = build(&i, 0.0, 5).unwrap();
        assert!(!d.available);
        assert_eq!(d.no_supportive_dm, Some(500.0));
        if i.previous.is_some() {
            assert_eq!(d.no_supportive_dm_change, Some(-300.0));
        }
    }
}
