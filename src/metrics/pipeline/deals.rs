//! The `deals` table (metrics.md "Deal decision chain"): the buying group of every open
//! opportunity and its decision chain, the open pipeline by chain status for the headline,
//! and the win rate by chain status of the deals closed in window_12m for the evidence table.
//! The figures themselves are the pure functions of [`crate::metrics::deals`].

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::common::Core;
use super::frames::{dates, f64s, opt_contract_frame, strs, unavailable};
use super::R;
use crate::contract::summary::Summary;
use crate::contract::Table;
use crate::metrics::deals::{
    chain, pipeline_by_chain, win_rates, Chain, Member, OpenDeal, PipelineByChain, ROLE_SEPARATOR,
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
    /// The open pipeline by chain status, the open deals and those with a buying group (for
    /// the headline, [`PipelineByChain::fill`]); None when no deal has a chain to judge.
    pub(super) pipeline: Option<(PipelineByChain, usize, usize)>,
    /// Win rate by chain status of closed deals with a buying group (evidence rows).
    pub(super) evidence: Vec<EvidenceRow>,
}

/// Members by key (an opportunity id or an account id), in file order.
/// (foldhash: looked up once per row and per deal, SipHash was a third of the grouping time.)
type Groups = HashMap<String, Vec<Member>, Fast>;
type Fast = foldhash::fast::RandomState;

/// Group the rows of `df` (columns `key`, `role`, `support`, `intimacy`, in file order) by
/// `key`; rows without a key are left out. With `contact`, a row whose contact is already in
/// its group is left out too (the first row of a (key, contact) pair is kept).
fn group_members(df: &DataFrame, key: &str, contact: Option<&str>) -> R<Groups> {
    let keys = df.column(key)?.cast(&DataType::String)?;
    let role = df.column("role")?.cast(&DataType::String)?;
    let sup = df.column("support")?.cast(&DataType::Int32)?;
    let int = df.column("intimacy")?.cast(&DataType::Int32)?;
    let contacts = contact
        .map(|c| df.column(c)?.cast(&DataType::String))
        .transpose()?;
    let mut contact_ids = contacts
        .as_ref()
        .map(|c| c.str())
        .transpose()?
        .map(|c| c.iter());
    let mut out: Groups = HashMap::default();
    // The contacts of each group so far (groups are small: a linear search).
    let mut seen: HashMap<&str, Vec<&str>, Fast> = HashMap::default();
    for (((k, r), s), i) in keys
        .str()?
        .iter()
        .zip(role.str()?.iter())
        .zip(sup.i32()?.iter())
        .zip(int.i32()?.iter())
    {
        let c = contact_ids.as_mut().and_then(|it| it.next()).flatten();
        let Some(k) = k else { continue };
        if let Some(c) = c {
            let group = seen.entry(k).or_default();
            if group.contains(&c) {
                continue;
            }
            group.push(c);
        }
        let m = Member {
            role: r.map(str::to_string),
            support: s,
            intimacy: i,
        };
        match out.get_mut(k) {
            Some(v) => v.push(m),
            None => {
                out.insert(k.to_string(), vec![m]);
            }
        }
    }
    Ok(out)
}

/// A join that keeps the left frame's row order (file order).
fn ordered(how: JoinType) -> JoinArgs {
    let mut a = JoinArgs::new(how);
    a.maintain_order = MaintainOrderJoin::Left;
    a
}

/// `support` and `intimacy` as Int32 (an out-of-range value becomes null).
fn small_ints() -> [Expr; 2] {
    [
        col("support").cast(DataType::Int32),
        col("intimacy").cast(DataType::Int32),
    ]
}

/// The contacts of the accounts in `accounts` (one column `account_id`), as members grouped
/// by account, in file order.
fn account_members(contacts: &LazyFrame, accounts: LazyFrame) -> R<Groups> {
    let [s, i] = small_ints();
    let df = contacts
        .clone()
        .select([col("account_id"), col("decision_role").alias("role"), s, i])
        .filter(col("account_id").is_not_null())
        .join(
            accounts,
            [col("account_id")],
            [col("account_id")],
            ordered(JoinType::Semi),
        )
        .collect()?;
    group_members(&df, "account_id", None)
}

/// Buying groups from `deal_contacts` for the opportunities in `needed` (one column
/// `opportunity_id`): opportunity → its members, the first row of a (opportunity_id,
/// contact_id) pair kept, a value the row leaves empty taken from the contact's own
/// ([`crate::metrics::deals::member`], as a coalesce). The work is a semi join and a left
/// join in polars, both keeping file order: only the needed deals' rows are materialised.
fn buying_groups(dc: &LazyFrame, contacts: Option<&LazyFrame>, needed: LazyFrame) -> R<Groups> {
    let [s, i] = small_ints();
    let rows = dc
        .clone()
        .select([col("opportunity_id"), col("contact_id"), col("role"), s, i])
        .filter(
            col("opportunity_id")
                .is_not_null()
                .and(col("contact_id").is_not_null()),
        )
        .join(
            needed,
            [col("opportunity_id")],
            [col("opportunity_id")],
            ordered(JoinType::Semi),
        );
    let rows = rows.collect()?;
    crate::metrics::timing::lap("  deals: buying group rows");
    // The contacts' own values are read only when a row leaves one empty.
    let complete = ["role", "support", "intimacy"]
        .iter()
        .map(|c| rows.column(c).map(|c| c.null_count() == 0))
        .collect::<PolarsResult<Vec<bool>>>()?
        .into_iter()
        .all(|x| x);
    let rows = match contacts {
        Some(c) if !complete => {
            // The lake's contacts are unique by contact_id (ingest rejects repeated keys; a
            // lake of several sources keeps each key's first row): a left join adds no row.
            let [cs, ci] = small_ints();
            let own = c
                .clone()
                .select([
                    col("contact_id"),
                    col("decision_role").alias("c_role"),
                    cs.alias("c_support"),
                    ci.alias("c_intimacy"),
                ])
                .filter(col("contact_id").is_not_null());
            rows.lazy()
                .join(
                    own,
                    [col("contact_id")],
                    [col("contact_id")],
                    ordered(JoinType::Left),
                )
                .select([
                    col("opportunity_id"),
                    col("contact_id"),
                    coalesce(&[col("role"), col("c_role")]).alias("role"),
                    coalesce(&[col("support"), col("c_support")]).alias("support"),
                    coalesce(&[col("intimacy"), col("c_intimacy")]).alias("intimacy"),
                ])
                .collect()?
        }
        _ => rows,
    };
    crate::metrics::timing::lap("  deals: contacts' own values");
    group_members(&rows, "opportunity_id", Some("contact_id"))
}

/// The chain of one deal and where its group came from; `None` when the deal has no
/// `deal_contacts` row and there is no contacts table (the account's chain is unknown too).
fn deal_chain(
    opp: &str,
    account: Option<&str>,
    groups: &Groups,
    by_account: Option<&Groups>,
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
    let p = by_account?;
    let empty = Vec::new();
    let ms = account.and_then(|a| p.get(a)).unwrap_or(&empty);
    Some((chain(ms, &cfg.kri), SOURCE_ACCOUNT, key(ms)))
}

/// The deals table, headline figures and evidence rows (see the module doc).
pub(super) fn deals(
    inputs: &Inputs,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    core: &Core,
    summary: &mut Summary,
) -> R<Deals> {
    let Some(opps) = opt_contract_frame(&inputs.opportunities, Table::Opportunities)? else {
        unavailable(
            summary,
            "deals",
            "no_opportunities",
            "there is no opportunities table",
        );
        return Deals::none();
    };
    let fx_rates = opt_contract_frame(&inputs.fx_rates, Table::FxRates)?;
    let is_open = col("is_closed")
        .eq(lit(true))
        .fill_null(lit(false))
        .not()
        .and(
            col("created_date")
                .is_null()
                .or(col("created_date").lt_eq(date_lit(as_of))),
        );
    let w12 = Window::months(as_of, cfg.window_months);
    let open = opps.clone().filter(is_open.clone());
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
    crate::metrics::timing::lap("  deals: open deals");
    let dc = opt_contract_frame(&inputs.deal_contacts, Table::DealContacts)?;
    let groups = match &dc {
        Some(d) => {
            // The deals whose group is read: the open ones and those closed in window_12m
            // (the evidence rows).
            let needed = opps
                .clone()
                .filter(is_open.or(closed_in(w12)))
                .select([col("opportunity_id")]);
            buying_groups(d, core.contacts.as_ref(), needed)?
        }
        None => {
            summary.notes.push(
                "no deal_contacts table: every deal's decision chain is its account's contacts"
                    .into(),
            );
            HashMap::default()
        }
    };
    if core.contacts.is_none() && groups.is_empty() {
        for m in ["deal_kri", "deal_chain_status"] {
            unavailable(
                summary,
                m,
                "no_contacts",
                "there is neither a contacts nor a deal_contacts table",
            );
        }
    }
    crate::metrics::timing::lap("  deals: buying groups");
    let ids = strs(&open, "opportunity_id")?;
    let accounts = strs(&open, "account_id")?;
    // The account's contacts stand in for the buying group of a deal without one.
    let by_account = match &core.contacts {
        Some(c) => {
            let without: Vec<Option<&str>> = ids
                .iter()
                .zip(&accounts)
                .filter(|(id, _)| !id.as_deref().is_some_and(|i| groups.contains_key(i)))
                .map(|(_, a)| a.as_deref())
                .collect();
            let lf = DataFrame::new_infer_height(vec![Column::new("account_id".into(), without)])?
                .lazy()
                .unique(None, UniqueKeepStrategy::Any);
            Some(account_members(c, lf)?)
        }
        None => None,
    };
    let amount = f64s(&open, "amount")?;
    let prob = f64s(&open, "probability")?;
    crate::metrics::timing::lap("  deals: account members");
    let mut rows = Vec::with_capacity(open.height());
    for k in 0..open.height() {
        let id = ids[k].as_deref().unwrap_or_default();
        let c = deal_chain(
            id,
            accounts[k].as_deref(),
            &groups,
            by_account.as_ref(),
            cfg,
        );
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
    let pipeline = if !open_deals.is_empty() || core.contacts.is_some() || !groups.is_empty() {
        let with_group = rows
            .iter()
            .filter(|r| matches!(&r.chain, Some((_, s, _)) if *s == SOURCE_DEAL))
            .count();
        Some((pipeline_by_chain(&open_deals), open_deals.len(), with_group))
    } else {
        None
    };
    let table = deals_frame(&open, &rows)?;
    crate::metrics::timing::lap("  deals: table");

    let evidence = match &dc {
        Some(_) if !groups.is_empty() => closed_evidence(&opps, w12, &groups, cfg)?,
        _ => Vec::new(),
    };
    Ok(Deals {
        table,
        pipeline,
        evidence,
    })
}

/// Deals closed in `w12` (by close_date).
fn closed_in(w12: Window) -> Expr {
    col("is_closed")
        .eq(lit(true))
        .fill_null(lit(false))
        .and(w12.expr(col("close_date")))
}

/// One open deal of the table: its row in the collected frame and its chain.
struct DealRow {
    k: usize,
    account_name: Option<String>,
    weighted: Option<f64>,
    chain: Option<DealChain>,
}

impl Deals {
    /// No deals: an empty table, no headline figures, no evidence rows.
    pub(super) fn none() -> R<Deals> {
        Ok(Deals {
            table: empty_frame()?,
            pipeline: None,
            evidence: Vec::new(),
        })
    }
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
    groups: &Groups,
    cfg: &MetricsConfig,
) -> R<Vec<EvidenceRow>> {
    let df = opps
        .clone()
        .filter(closed_in(w12))
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
