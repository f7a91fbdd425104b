//! The per-account relationship and key-person inputs, gathered in one go: five polars
//! queries collected together, the GRI counts and the employee coverage (Rust passes) on one
//! thread and the competitor deals on another, so both cores stay busy.

use chrono::NaiveDate;
use polars::prelude::*;

use super::common::Core;
use super::competitors::competitor_rows;
use super::frames::{collect_some, joined, opt_contract_frame};
use super::R;
use crate::contract::Table;
use crate::metrics::recent::Recent;
use crate::metrics::windows::Window;
use crate::metrics::{keyperson, market, relationship, Inputs, MetricsConfig};

/// What the depth, key-person and market stages read.
pub(super) struct AccountFrames {
    /// Per account: Σ p·k, Σ p, dm_supportive, key_supportive, opposition, dm_support.
    pub(super) kri: Option<DataFrame>,
    pub(super) agreements: Option<DataFrame>,
    pub(super) org_activities: Option<DataFrame>,
    pub(super) surveys: Option<DataFrame>,
    /// Per account: max_contact_employees (None without activities).
    pub(super) multi_headed: Option<Vec<Option<i64>>>,
    pub(super) gri_counts: Option<relationship::GriCounts>,
    pub(super) coverage: Option<keyperson::Coverage>,
    pub(super) competitor_rows: Option<Vec<market::CompetitorRow>>,
    /// Whether the agreements / surveys tables exist (ORI is unavailable without any input).
    pub(super) has_agreements: bool,
    pub(super) has_surveys: bool,
}

pub(super) fn collect_account_frames(
    inputs: &Inputs,
    core: &Core,
    recent: Option<&Recent>,
    as_of: NaiveDate,
    cfg: &MetricsConfig,
    cur: &str,
    full: bool,
) -> R<AccountFrames> {
    let n = core.acc.ids.len();
    let w12 = Window::months(as_of, cfg.window_months);
    let agreements = opt_contract_frame(&inputs.agreements, Table::Agreements)?;
    let surveys = opt_contract_frame(&inputs.surveys, Table::Surveys)?;
    let acts_window = |days| Window::days(as_of, days);
    let plans = vec![
        core.contacts
            .as_ref()
            .map(|c| relationship::kri_frame(c.clone(), &cfg.kri)),
        agreements
            .as_ref()
            .map(|ag| relationship::agreements_frame(ag.clone(), as_of)),
        core.activities
            .as_ref()
            .map(|a| relationship::org_activities_frame(a.clone(), w12)),
        surveys
            .as_ref()
            .map(|s| relationship::survey_frame(s.clone(), w12))
            .transpose()?,
    ];
    let multi_headed = recent.filter(|_| full).map(|r| {
        keyperson::max_contact_employees(r, &core.acc.owner, acts_window(cfg.multi_headed_days))
    });
    let (frames, gri_counts, coverage, competitor_rows) = std::thread::scope(|scope| -> R<_> {
        let index = |a: &str| core.acc.index.get(a).copied();
        // The backtest's look-back (`full` false) reads no competitor deals, no
        // multi-headed contact and no employee coverage: only RDI and the bus factor.
        let deals_job = scope.spawn(move || {
            if full {
                competitor_rows(inputs, w12, cur, &core.acc)
            } else {
                Ok(None)
            }
        });
        // GRI counts and employee coverage are Rust passes over the recent activities, each
        // on its own thread: while polars' queries run they share the cores, and once the
        // queries are done neither waits for the other (at 1 M accounts the main thread
        // waited 7 s for the two in a row).
        let gri_job = scope.spawn(move || -> R<_> {
            crate::metrics::timing::start();
            let gri = match (&core.contacts, recent) {
                (Some(c), Some(a)) => Some(relationship::gri_counts(
                    c.clone(),
                    a,
                    acts_window(cfg.active_contact_days),
                    n,
                    index,
                )?),
                _ => None,
            };
            crate::metrics::timing::lap("(worker) GRI counts");
            Ok(gri)
        });
        let coverage_job = scope.spawn(move || -> R<_> {
            crate::metrics::timing::start();
            let coverage = match core.employees.as_ref().filter(|_| full) {
                Some(e) => Some(keyperson::coverage(
                    recent,
                    &core.acc.owner,
                    e.clone(),
                    acts_window(cfg.holder_days),
                    acts_window(cfg.multi_headed_team_days),
                )?),
                None => None,
            };
            crate::metrics::timing::lap("(worker) roles and teams");
            Ok(coverage)
        });
        let frames = collect_some(plans)?;
        crate::metrics::timing::lap("polars queries");
        let gri = joined(gri_job)?;
        let coverage = joined(coverage_job)?;
        let competitor_rows = joined(deals_job)?;
        Ok((frames, gri, coverage, competitor_rows))
    })?;
    let [kri, agreements_df, org_activities, surveys_df]: [Option<DataFrame>; 4] = frames
        .try_into()
        .map_err(|_| PolarsError::ComputeError("collect_some lost a frame".into()))?;
    crate::metrics::timing::lap("(waited for) GRI, roles and teams");
    Ok(AccountFrames {
        kri,
        agreements: agreements_df,
        org_activities,
        surveys: surveys_df,
        multi_headed,
        gri_counts,
        coverage,
        competitor_rows,
        has_agreements: agreements.is_some(),
        has_surveys: surveys.is_some(),
    })
}
