//! The chart of the strategy page's "Does relationship depth pay?" section: retention and win
//! rate per RDI band of the backtest, with the band's account count (small bands marked †).

use super::bars::{hbars, BarItem, Bars};
use super::draw::{no_data, DResult};
use super::palette::{BLUE, ORANGE};
use super::scale::pct_label;
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::model::ReportModel;

/// Label of an RDI band: "Band 3 (RDI 41–55)"; band 0 is the accounts without an RDI.
pub fn band_label(lang: Lang, b: &crate::report::evidence::EvidenceBand) -> String {
    if b.key == "0" {
        return t(lang, "evidence_band_none").to_string();
    }
    let name = t(lang, "evidence_band").replace("{n}", &b.key);
    match (b.rdi_min, b.rdi_max) {
        (Some(lo), Some(hi)) => format!("{name} ({lo:.0}–{hi:.0})"),
        _ => name,
    }
}

pub(super) fn chart(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "evidence_chart");
    let e = &m.evidence;
    if e.bands.iter().all(|b| b.accounts == 0.0) {
        let reason = m
            .meta
            .reasons
            .get("evidence")
            .map(String::as_str)
            .unwrap_or(t(lang, "evidence_none"));
        return no_data(title_s, reason);
    }
    let pct = |v: Option<f64>| v.map_or_else(|| t(lang, "na").to_string(), pct_label);
    let items: Vec<BarItem> = e
        .bands
        .iter()
        .map(|b| BarItem {
            label: band_label(lang, b),
            values: vec![b.retention.unwrap_or(0.0), b.win_rate.unwrap_or(0.0)],
            value_label: format!(
                "{} · {} · n={}{}",
                pct(b.retention),
                pct(b.win_rate),
                i18n::thousands(b.accounts),
                if b.small { " †" } else { "" }
            ),
        })
        .collect();
    let series = vec![
        (t(lang, "evidence_retention").to_string(), BLUE),
        (t(lang, "evidence_win_rate").to_string(), ORANGE),
    ];
    let sub = e
        .look_back
        .as_deref()
        .map(|d| t(lang, "evidence_chart_sub").replace("{n}", &i18n::date_str(lang, d)));
    hbars(Bars {
        title: title_s,
        sub: sub.as_deref(),
        items: &items,
        series: &series,
        x_max_hint: Some(1.0),
        x_title: t(lang, "share"),
        tick_fmt: &pct_label,
        label_w: 170.0,
    })
}
