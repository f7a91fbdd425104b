//! Three-dimensional relationship depth per account (metrics.md "Relationship depth"): KRI and
//! the decision-chain status from contacts, GRI from active contacts per level, ORI from
//! agreements, executive activities and surveys, RDI and the tier × depth quadrant.

use super::common::Core;
use super::frames::{bools, f64s, i64s, rows, scatter, unavailable};
use super::queries::AccountFrames;
use super::R;
use crate::contract::summary::Summary;
use crate::metrics::relationship::{self, OrgFacts};
use crate::metrics::MetricsConfig;

/// Per-account depth columns of the accounts table (index = account row).
pub(super) struct Depth {
    pub(super) kri: Vec<Option<f64>>,
    pub(super) status: Vec<Option<&'static str>>,
    pub(super) opposition: Vec<Option<bool>>,
    pub(super) dm_support: Vec<Option<f64>>,
    pub(super) gri: Vec<Option<f64>>,
    pub(super) departments_active: Vec<Option<i64>>,
    pub(super) departments_known: Vec<Option<i64>>,
    pub(super) ori: Vec<Option<f64>>,
    pub(super) ori_level: Vec<Option<&'static str>>,
    pub(super) rdi: Vec<Option<f64>>,
    pub(super) quadrant: Vec<Option<&'static str>>,
}

pub(super) fn depth(
    core: &Core,
    f: &AccountFrames,
    cfg: &MetricsConfig,
    summary: &mut Summary,
) -> R<Depth> {
    let n = core.acc.ids.len();
    let tier = &core.seg.tier;
    let (kri, status, opposition, dm_support) = key_relationships(core, f, summary)?;
    crate::metrics::timing::lap("KRI");
    let mut gri: Vec<Option<f64>> = vec![None; n];
    let mut dep_active: Vec<Option<i64>> = vec![None; n];
    let mut dep_known: Vec<Option<i64>> = vec![None; n];
    match &f.gri_counts {
        Some(g) => {
            for i in 0..n {
                gri[i] = relationship::gri(g.active[i], cfg.gri_targets.for_tier(tier[i]));
                dep_active[i] = Some(g.departments_active[i]);
                dep_known[i] = Some(g.departments_known[i]);
            }
        }
        _ => unavailable(
            summary,
            "gri",
            "no_contacts_or_activities",
            "GRI needs both the contacts and the activities tables",
        ),
    }
    crate::metrics::timing::lap("GRI");
    let ori = org_relationships(core, f, cfg, summary)?;
    crate::metrics::timing::lap("ORI");
    let rdi: Vec<Option<f64>> = (0..n)
        .map(|i| relationship::rdi(kri[i], gri[i], ori[i], &cfg.rdi_weights))
        .collect();
    let quadrant = (0..n)
        .map(|i| relationship::quadrant(tier[i], rdi[i], cfg.quadrant_threshold))
        .collect();
    let ori_level = ori
        .iter()
        .map(|o| o.map(|o| relationship::ori_level(o, cfg.ori_strategic_partner, cfg.ori_partner)))
        .collect();
    Ok(Depth {
        kri,
        status,
        opposition,
        dm_support,
        gri,
        departments_active: dep_active,
        departments_known: dep_known,
        ori,
        ori_level,
        rdi,
        quadrant,
    })
}

type KeyRelationships = (
    Vec<Option<f64>>,
    Vec<Option<&'static str>>,
    Vec<Option<bool>>,
    Vec<Option<f64>>,
);

/// KRI, decision-chain status, opposition and decision-maker support per account.
fn key_relationships(core: &Core, f: &AccountFrames, summary: &mut Summary) -> R<KeyRelationships> {
    let n = core.acc.ids.len();
    let mut kri: Vec<Option<f64>> = vec![None; n];
    let mut status: Vec<Option<&'static str>> = vec![None; n];
    let mut opposition: Vec<Option<bool>> = vec![None; n];
    let mut dm_support: Vec<Option<f64>> = vec![None; n];
    if let Some(df) = &f.kri {
        let r = rows(df, &core.acc.index)?;
        let spk = scatter(n, &r, f64s(df, "sum_pk")?, None);
        let sp = scatter(n, &r, f64s(df, "sum_p")?, None);
        let dms = scatter(n, &r, bools(df, "dm_supportive")?, None);
        let keys = scatter(n, &r, bools(df, "key_supportive")?, None);
        let opp = scatter(n, &r, bools(df, "opposition")?, None);
        dm_support = scatter(n, &r, f64s(df, "dm_support")?, None);
        for i in 0..n {
            kri[i] = Some(relationship::kri(
                spk[i].unwrap_or(0.0),
                sp[i].unwrap_or(0.0),
            ));
            status[i] = Some(relationship::chain_status(
                dms[i].unwrap_or(false),
                keys[i].unwrap_or(false),
            ));
            opposition[i] = Some(opp[i].unwrap_or(false));
        }
    } else {
        for m in ["kri", "decision_chain_status", "opposition", "dm_support"] {
            unavailable(summary, m, "no_contacts", "there is no contacts table");
        }
    }
    Ok((kri, status, opposition, dm_support))
}

/// ORI per account from the organisational facts; unavailable (all None) without agreements,
/// activities and surveys.
fn org_relationships(
    core: &Core,
    f: &AccountFrames,
    cfg: &MetricsConfig,
    summary: &mut Summary,
) -> R<Vec<Option<f64>>> {
    let n = core.acc.ids.len();
    if !f.has_agreements && core.activities.is_none() && !f.has_surveys {
        unavailable(
            summary,
            "ori",
            "no_org_data",
            "ORI needs agreements, activities or surveys",
        );
        return Ok(vec![None; n]);
    }
    let mut facts = vec![OrgFacts::default(); n];
    if let Some(df) = &f.agreements {
        let r = rows(df, &core.acc.index)?;
        let sc = bools(df, "strategic_cooperation")?;
        let ex = bools(df, "exclusive")?;
        let ji = bools(df, "joint_innovation")?;
        for k in 0..df.height() {
            if let Some(i) = r[k] {
                facts[i].strategic_cooperation = sc[k].unwrap_or(false);
                facts[i].exclusive = ex[k].unwrap_or(false);
                facts[i].joint_innovation = ji[k].unwrap_or(false);
            }
        }
    } else {
        unavailable(
            summary,
            "ori.agreements",
            "no_agreements",
            "no agreements table: ORI counts no agreement points",
        );
    }
    if let Some(df) = &f.org_activities {
        let r = rows(df, &core.acc.index)?;
        let ev = i64s(df, "n_executive_visit")?;
        let sm = i64s(df, "n_strategic_meeting")?;
        for k in 0..df.height() {
            if let Some(i) = r[k] {
                facts[i].executive_visits = ev[k].unwrap_or(0).max(0) as u32;
                facts[i].strategic_meetings = sm[k].unwrap_or(0).max(0) as u32;
            }
        }
    } else {
        unavailable(
            summary,
            "ori.activities",
            "no_activities",
            "no activities table: ORI counts no visit or meeting points",
        );
    }
    if let Some(df) = &f.surveys {
        let r = rows(df, &core.acc.index)?;
        let sc = f64s(df, "survey_score")?;
        for k in 0..df.height() {
            if let Some(i) = r[k] {
                facts[i].survey_score = sc[k];
            }
        }
    } else {
        unavailable(
            summary,
            "ori.surveys",
            "no_surveys",
            "no surveys table: ORI counts no satisfaction points",
        );
    }
    Ok(facts
        .iter()
        .map(|f| Some(relationship::ori(f, &cfg.ori)))
        .collect())
}
