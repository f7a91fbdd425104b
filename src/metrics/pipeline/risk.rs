//! Key-person risk per account (metrics.md "Key-person risk"): bus factor and holders,
//! multi-headed contact (多头对接) and iron-triangle (铁三角) coverage of S/A accounts.

use std::collections::HashSet;

use super::common::Core;
use super::frames::unavailable;
use super::queries::AccountFrames;
use super::R;
use crate::contract::is_key_tier;
use crate::contract::summary::Summary;
use crate::metrics::{keyperson, MetricsConfig};

/// Per-account key-person columns of the accounts table (index = account row).
pub(super) struct KeyPerson {
    /// None when there is no contacts table.
    pub(super) bus: Option<Vec<usize>>,
    pub(super) holders: Vec<Option<String>>,
    pub(super) multi_headed: Vec<Option<bool>>,
    pub(super) iron_triangle: Vec<Option<f64>>,
    pub(super) iron_triangle_missing: Vec<Option<String>>,
}

pub(super) fn key_person(
    core: &Core,
    f: &AccountFrames,
    cfg: &MetricsConfig,
    summary: &mut Summary,
) -> R<KeyPerson> {
    let n = core.acc.ids.len();
    let bus = core.bus(&HashSet::new());
    let holders: Vec<Option<String>> = match &core.holders {
        Some(h) => h.iter().map(|h| Some(h.join(","))).collect(),
        None => vec![None; n],
    };
    crate::metrics::timing::lap("bus factor");
    let multi_headed = multi_headed(core, f, cfg, summary)?;
    crate::metrics::timing::lap("multi-headed");
    let mut iron: Vec<Option<f64>> = vec![None; n];
    let mut iron_missing: Vec<Option<String>> = vec![None; n];
    if let Some(c) = &f.coverage {
        let has = |i: usize, role: u8| c.roles[i] & role != 0;
        for i in 0..n {
            if is_key_tier(core.seg.tier[i]) {
                let (s, m) = keyperson::iron_triangle(
                    has(i, keyperson::Coverage::AR),
                    has(i, keyperson::Coverage::SR),
                    has(i, keyperson::Coverage::FR),
                );
                iron[i] = Some(s);
                iron_missing[i] = Some(m);
            }
        }
    } else {
        unavailable(
            summary,
            "iron_triangle",
            "no_employees",
            "the iron triangle needs employee roles (employees table)",
        );
    }
    Ok(KeyPerson {
        bus,
        holders,
        multi_headed,
        iron_triangle: iron,
        iron_triangle_missing: iron_missing,
    })
}

fn multi_headed(
    core: &Core,
    f: &AccountFrames,
    cfg: &MetricsConfig,
    summary: &mut Summary,
) -> R<Vec<Option<bool>>> {
    let n = core.acc.ids.len();
    let Some(mce) = &f.multi_headed else {
        unavailable(
            summary,
            "multi_headed",
            "no_activities",
            "there is no activities table",
        );
        return Ok(vec![None; n]);
    };
    let teams = match &f.coverage {
        Some(c) => c.teams.clone(),
        None => {
            summary.notes.push(
                "no employees table: multi_headed uses the per-contact rule only (no teams)".into(),
            );
            vec![None; n]
        }
    };
    Ok((0..n)
        .map(|i| {
            Some(keyperson::multi_headed(
                mce[i],
                teams[i],
                cfg.multi_headed_contact_employees,
                cfg.multi_headed_teams,
            ))
        })
        .collect())
}
