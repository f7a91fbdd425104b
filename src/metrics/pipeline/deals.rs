//! The `deals` table (metrics.md "Deal decision chain"): the buying group of every open
//! opportunity and its decision chain, the open pipeline by chain status for the headline,
//! and the win rate by chain status of the deals closed in window_12m for the evidence table.
//! The figures themselves are the pure functions of [`crate::metrics::deals`].

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::common::Core;
use super::frames::{dates, f64s, i64s, opt_contract_frame, strs, unavailable};
use super::R;
use crate::contract::summary::{Headline, Summary};
use crate::contract::Table;
use crate::metrics::deals::{
    chain, member, pipeline_by_chain, win_rates, Chain, Member, OpenDeal, ROLE_SEPARATOR,
    SOURCE_ACCOUNT, SOURCE_DEAL,
};
use crate::metrics::evidence::EvidenceRow;
use crate::metrics::windows::{date_lit, Window};
use crate::metrics::{fx, Inputs, MetricsConfig};

/// A deal's chain, where its buying group came from (`chain_source`) and the group's members
/// with a decision role.
type DealChain = (Chain, &'static str, u32);

/// The `dimension` of the evidence rows added here.
pub(super) const EVIDENCE_DIMENSION: &str = "deal_chain_status";

/// What the deals stage gives analyze.
pub(super) struct Deals {
    pub(super) table: DataFrame,
    /// Win rate by chain status of closed deals with a buying group (evidence rows).
    pub(super) evidence: Vec<EvidenceRow>,
}

/// The members' own values per contact and the contacts per account.
struct People {
    by_contact: HashMap<String, Member>,
    by_account: HashMap<String, Vec<Member>>,
}

fn to_i32(v: Option<i64>) -> Option<i32> {
    v.and_then(|x| i32::try_from(x).ok())
}

fn people(contacts: &LazyFrame) -> R<People> {
    let df = contacts
        .clone()
        .select([
            col("contact_id"),
            col("account_id"),
            col("decision_role"),
            col("support").cast(DataType::Int64),
            col("intimacy").cast(DataType::Int64),
        ])
        .collect()?;
    let (ids, acc) = (strs(&df, "contact_id")?, strs(&df, "account_id")?);
    let role = strs(&df, "decision_role")?;
    let (sup, int) = (i64s(&df, "support")?, i64s(&df, "intimacy")?);
    let mut p = People {
        by_contact: HashMap::with_capacity(df.height()),
        by_account: HashMap::new(),
    };
    for k in 0..df.height() {
        let m = Member {
            role: role[k].clone(),
            support: to_i32(sup[k]),
            intimacy: to_i32(int[k]),
        };
        if let Some(a) = &acc[k] {
            p.by_account.entry(a.clone()).or_default().push(m.clone());
        }
        if let Some(c) = &ids[k] {
            p.by_contact.entry(c.clone()).or_insert(m);
        }
    }
    Ok(p)
}

/// Buying groups from `deal_contacts`: opportunity → its members, the first row of a
/// (opportunity_id, contact_id) pair kept.
fn buying_groups(dc: &LazyFrame, people: Option<&People>) -> R<HashMap<String, Vec<Member>>> {
    let df = dc
        .clone()
        .select([
            col("opportunity_id"),
            col("contact_id"),
            col("role"),
            col("support").cast(DataType::Int64),
            col("intimacy").cast(DataType::Int64),
        ])
        .collect()?;
    let (opp, cid) = (strs(&df, "opportunity_id")?, strs(&df, "contact_id")?);
    let role = strs(&df, "role")?;
    let (sup, int) = (i64s(&df, "support")?, i64s(&df, "intimacy")?);
    let mut seen: HashSet<(String, String)> = HashSet::with_capacity(df.height());
    let mut out: HashMap<String, Vec<Member>> = HashMap::new();
    for k in 0..df.height() {
        let (Some(o), Some(c)) = (&opp[k], &cid[k]) else {
            continue;
        };
        if !seen.insert((o.clone(), c.clone())) {
            continue;
        }
        let row = Member {
            role: role[k].clone(),
            support: to_i32(sup[k]),
            intimacy: to_i32(int[k]),
        };
        let own = people.and_then(|p| p.by_contact.get(c));
        out.entry(o.clone()).or_default().push(member(&row, own));
    }
    Ok(out)
}

/// The chain of one deal and where its group came from; `None` when the deal has no
/// `deal_contacts` row and there is no contacts table (the account's chain is unknown too).
fn deal_chain(
    opp: &str,
    account: Option<&str>,
    groups: &HashMap<String, Vec<Member>>,
    people: Option<&People>,
    cfg: &MetricsConfig,
) -> Option<DealChain> {
    let key = |ms: &[Member]| {
        ms.iter()
            .filter(|m| matches!(m.role.as_deref(), Some(r) if r != "none"))
            .count() as u32
    };
    if let Some(ms) = groups.get(opp) {
        return Some((chain(ms, &cfg.kri), SOURCE_DEAL, key(ms)));
    }
    let p = people?;
    let empty = Vec::new();
    let ms = account.and_then(|a| p.by_account.get(a)).unwrap_or(&empty);
    Some((chain(ms, &cfg.kri), SOURCE_ACCOUNT, key(ms)))
}

/// The deals table, headline figures and evidence rows (see the module doc).
pub(super) fn deals(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    core: &Core,
    headline: &mut Headline,
    summary: &mut Summary,
) -> R<Deals> {
    let Some(opps) = opt_contract_frame(&inputs.opportunities, Table::Opportunities)? else {
        unavailable(
            summary,
            "deals",
            "no_opportunities",
            "there is no opportunities table",
        );
        return Ok(Deals {
            table: empty_frame()?,
            evidence: Vec::new(),
        });
    };
    let people = match &core.contacts {
        Some(c) => Some(people(c)?),
        None => None,
    };
    let dc = opt_contract_frame(&inputs.deal_contacts, Table::DealContacts)?;
    let groups = match &dc {
        Some(d) => buying_groups(d, people.as_ref())?,
        None => {
            summary.notes.push(
                "no deal_contacts table: every deal's decision chain is its account's contacts"
                    .into(),
            );
            HashMap::new()
        }
    };
    if people.is_none() && groups.is_empty() {
        for m in ["deal_kri", "deal_chain_status"] {
            unavailable(
                summary,
                m,
                "no_contacts",
                "there is neither a contacts nor a deal_contacts table",
            );
        }
    }
    let fx_rates = opt_contract_frame(&inputs.fx_rates, Table::FxRates)?;
    let open = opps.clone().filter(
        col("is_closed")
            .eq(lit(true))
            .fill_null(lit(false))
            .not()
            .and(
                col("created_date")
                    .is_null()
                    .or(col("created_date").lt_eq(date_lit(as_of))),
            ),
    );
    let open = fx::to_reporting(
        open,
        "opportunities",
        &["amount"],
        col("close_date").fill_null(date_lit(as_of)),
        fx_rates.as_ref(),
        cur,
    )?
    .select([
        col("opportunity_id"),
        col("account_id"),
        col("name"),
        col("amount").cast(DataType::Float64),
        col("probability").cast(DataType::Float64),
        col("stage"),
        col("close_date"),
        col("owner_id"),
    ])
    .filter(col("opportunity_id").is_not_null())
    .sort(["opportunity_id"], Default::default())
    .collect()?;
    let ids = strs(&open, "opportunity_id")?;
    let accounts = strs(&open, "account_id")?;
    let amount = f64s(&open, "amount")?;
    let prob = f64s(&open, "probability")?;
    let mut rows = Vec::with_capacity(open.height());
    for k in 0..open.height() {
        let id = ids[k].as_deref().unwrap_or_default();
        let c = deal_chain(id, accounts[k].as_deref(), &groups, people.as_ref(), cfg);
        rows.push(DealRow {
            k,
            account_name: accounts[k]
                .as_deref()
                .and_then(|a| core.acc.index.get(a))
                .and_then(|i| core.acc.name[*i].clone()),
            weighted: amount[k].zip(prob[k]).map(|(a, p)| a * p),
            chain: c,
        });
    }
    let open_deals: Vec<OpenDeal> = rows
        .iter()
        .filter_map(|r| {
            r.chain.as_ref().map(|(c, _, _)| OpenDeal {
                amount: amount[r.k],
                probability: prob[r.k],
                status: c.status,
            })
        })
        .collect();
    if !open_deals.is_empty() || people.is_some() || !groups.is_empty() {
        let with_group = rows
            .iter()
            .filter(|r| matches!(&r.chain, Some((_, s, _)) if *s == SOURCE_DEAL))
            .count();
        pipeline_by_chain(&open_deals).fill(open_deals.len(), with_group, headline);
    }
    let table = deals_frame(&open, &rows)?;
    let evidence = match &dc {
        Some(_) if !groups.is_empty() => closed_evidence(
            &opps,
            Window::months(as_of, cfg.window_months),
            &groups,
            cfg,
        )?,
        _ => Vec::new(),
    };
    Ok(Deals { table, evidence })
}

/// One open deal of the table: its row in the collected frame and its chain.
struct DealRow {
    k: usize,
    account_name: Option<String>,
    weighted: Option<f64>,
    chain: Option<DealChain>,
}

/// An empty `deals` table with the declared columns.
pub(super) fn empty_frame() -> R<DataFrame> {
    let cols: Vec<Column> = crate::contract::metric_tables::deals::ALL
        .iter()
        .map(|c| Column::new_empty(c.name.into(), &c.ty.dtype()))
        .collect();
    Ok(DataFrame::new(0, cols)?)
}

/// The table from the open deals (`base`, one row per entry of `rows`, same order).
fn deals_frame(base: &DataFrame, rows: &[DealRow]) -> R<DataFrame> {
    if rows.is_empty() {
        return empty_frame();
    }
    let chain = |f: &dyn Fn(&DealChain) -> Option<String>| {
        rows.iter()
            .map(|r| r.chain.as_ref().and_then(f))
            .collect::<Vec<Option<String>>>()
    };
    let close: Vec<Option<i32>> = dates(base, "close_date")?
        .into_iter()
        .map(|d| d.map(crate::metrics::windows::epoch_days))
        .collect();
    let col_of = |n: &str| -> R<Column> { Ok(base.column(n)?.clone()) };
    Ok(DataFrame::new_infer_height(vec![
        col_of("opportunity_id")?,
        col_of("account_id")?,
        Column::new(
            "account_name".into(),
            rows.iter()
                .map(|r| r.account_name.clone())
                .collect::<Vec<_>>(),
        ),
        col_of("name")?.cast(&DataType::String)?,
        col_of("amount")?,
        col_of("probability")?,
        Column::new(
            "weighted_amount".into(),
            rows.iter().map(|r| r.weighted).collect::<Vec<_>>(),
        ),
        col_of("stage")?.cast(&DataType::String)?,
        Column::new("close_date".into(), close).cast(&DataType::Date)?,
        col_of("owner_id")?.cast(&DataType::String)?,
        Column::new("chain_source".into(), chain(&|c| Some(c.1.to_string()))),
        Column::new(
            "buying_group".into(),
            rows.iter()
                .map(|r| r.chain.as_ref().map(|c| c.2))
                .collect::<Vec<Option<u32>>>(),
        ),
        Column::new(
            "deal_kri".into(),
            rows.iter()
                .map(|r| r.chain.as_ref().map(|c| c.0.kri))
                .collect::<Vec<Option<f64>>>(),
        ),
        Column::new(
            "deal_chain_status".into(),
            chain(&|c| Some(c.0.status.to_string())),
        ),
        Column::new(
            "decision_makers_mapped".into(),
            rows.iter()
                .map(|r| r.chain.as_ref().map(|c| c.0.decision_makers))
                .collect::<Vec<Option<u32>>>(),
        ),
        Column::new(
            "opposition_at_decision_maker".into(),
            rows.iter()
                .map(|r| r.chain.as_ref().map(|c| c.0.opposition))
                .collect::<Vec<Option<bool>>>(),
        ),
        Column::new(
            "missing_roles".into(),
            chain(&|c| Some(c.0.missing_roles.join(ROLE_SEPARATOR))),
        ),
    ])?)
}

/// Win rate by chain status of the deals closed in `w12` that have `deal_contacts` rows
/// (the chain from today's buying group: the lake keeps no history of it).
fn closed_evidence(
    opps: &LazyFrame,
    w12: Window,
    groups: &HashMap<String, Vec<Member>>,
    cfg: &MetricsConfig,
) -> R<Vec<EvidenceRow>> {
    let df = opps
        .clone()
        .filter(
            col("is_closed")
                .eq(lit(true))
                .fill_null(lit(false))
                .and(w12.expr(col("close_date"))),
        )
        .select([
            col("opportunity_id"),
            col("account_id"),
            col("is_won").fill_null(lit(false)),
        ])
        .collect()?;
    let ids = strs(&df, "opportunity_id")?;
    let acc = strs(&df, "account_id")?;
    let won = super::frames::bools(&df, "is_won")?;
    let mut closed = Vec::new();
    for k in 0..df.height() {
        let Some(ms) = ids[k].as_deref().and_then(|i| groups.get(i)) else {
            continue;
        };
        closed.push((
            chain(ms, &cfg.kri).status,
            won[k].unwrap_or(false),
            acc[k].as_deref().unwrap_or(""),
        ));
    }
    Ok(win_rates(closed)
        .into_iter()
        .map(|(status, n, w, accounts)| EvidenceRow {
            dimension: EVIDENCE_DIMENSION,
            key: status.to_string(),
            accounts,
            rdi_min: None,
            rdi_max: None,
            revenue_12m_t: 0.0,
            retained: 0,
            churn_rate: None,
            median_growth: None,
            opportunities_closed: n,
            opportunities_won: w,
            win_rate: (n > 0).then(|| w as f64 / n as f64),
        })
        .collect())
}
