//! The `competitors` table from the deals closed in window_12m.

use polars::prelude::*;

use super::accounts::Accounts;
use super::frames::{opt_contract_frame, unavailable};
use super::R;
use crate::contract::summary::Summary;
use crate::contract::Table;
use crate::metrics::keys::RunLookup;
use crate::metrics::windows::Window;
use crate::metrics::{fx, market, Inputs};

/// The `competitors` rows of the deals closed in window_12m (amounts in the reporting
/// currency); `None` when there is no opportunities table.
pub(super) fn competitor_rows(
    inputs: &Inputs,
    w12: Window,
    cur: &str,
    acc: &Accounts,
) -> R<Option<Vec<market::CompetitorRow>>> {
    crate::metrics::timing::start();
    let Some(opps) = opt_contract_frame(&inputs.opportunities, Table::Opportunities)? else {
        return Ok(None);
    };
    let fx_rates = opt_contract_frame(&inputs.fx_rates, Table::FxRates)?;
    let closed = fx::to_reporting(
        market::closed_deals(opps, w12),
        "opportunities",
        &["amount"],
        col("close_date"),
        fx_rates.as_ref(),
        cur,
    )?;
    let df = market::deal_columns(closed).collect()?;
    crate::metrics::timing::lap("(worker) competitor deals");
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
    crate::metrics::timing::lap("(worker) competitors");
    Ok(Some(rows))
}

/// The `competitors` table; marks it unavailable in the summary when there is nothing to
/// compare (no opportunities table, no deal closed in window_12m, or none naming a competitor).
pub(super) fn competitors_table(
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
