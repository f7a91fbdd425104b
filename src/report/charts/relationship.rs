//! Relationship-depth charts of the strategy page: the KRI/GRI/ORI profile of the S/A accounts
//! and the value × relationship-depth quadrant (RDI against value score, tier as colour).

use super::bars::{hbars, BarItem, Bars};
use super::draw::{axes, line, no_data, svg, text, title, DResult, Frame, LabelStyle, W};
use super::palette::{BLUE, GREEN, ORANGE, TEXT_GREY};
use super::scatter::{self, Dot};
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{HAnchor, VAnchor};
use crate::report::model::{QuadPoint, ReportModel};

pub(super) fn relationship_profile(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "relationship_profile");
    let items: Vec<BarItem> = m
        .sa_profile
        .iter()
        .filter(|a| a.kri.is_some() || a.gri.is_some() || a.ori.is_some())
        .map(|a| BarItem {
            label: format!("{} · {}", a.tier.as_deref().unwrap_or("-"), a.name),
            values: vec![
                a.kri.unwrap_or(0.0),
                a.gri.unwrap_or(0.0),
                a.ori.unwrap_or(0.0),
            ],
            value_label: a.rdi.map(|r| format!("RDI {r:.0}")).unwrap_or_default(),
        })
        .collect();
    if items.is_empty() {
        let reason = m
            .meta
            .reasons
            .get("kri")
            .map(String::as_str)
            .unwrap_or(t(lang, "na"));
        return no_data(title_s, reason);
    }
    let series = vec![
        (t(lang, "kri_short").to_string(), BLUE),
        (t(lang, "gri_short").to_string(), ORANGE),
        (t(lang, "ori_short").to_string(), GREEN),
    ];
    let fmt = |v: f64| format!("{v:.0}");
    hbars(Bars {
        title: title_s,
        sub: None,
        items: &items,
        series: &series,
        x_max_hint: Some(100.0),
        x_title: t(lang, "index_0_100"),
        tick_fmt: &fmt,
        label_w: 220.0,
    })
}

pub(super) fn quadrant(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "quadrant");
    if m.quadrant.points.is_empty() {
        let reason = m
            .meta
            .reasons
            .get("rdi")
            .map(String::as_str)
            .unwrap_or(t(lang, "na"));
        return no_data(title_s, reason);
    }
    let sub = (m.quadrant.points.len() < m.quadrant.total).then(|| {
        t(lang, "quadrant_sample_note")
            .replace("{shown}", &i18n::thousands(m.quadrant.points.len() as f64))
            .replace("{total}", &i18n::thousands(m.quadrant.total as f64))
    });
    let hgt = 520u32;
    svg(hgt, |root, boxes| {
        let top = title(root, boxes, title_s, sub.as_deref())?;
        let f = Frame {
            l: 56.0,
            t: top + 28.0,
            r: W as f64 - 24.0,
            b: hgt as f64 - 52.0,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 100.0,
        };
        fn at<'a>(f: &Frame, p: &'a QuadPoint) -> Dot<'a> {
            Dot {
                tier: &p.tier,
                x: f.x(p.value_score),
                y: f.y(p.rdi.clamp(0.0, 100.0)),
            }
        }
        let dot = |p| at(&f, p);
        let dots: Vec<Dot> = m.quadrant.points.iter().map(dot).collect();
        scatter::head(root, boxes, lang, top, &dots, t(lang, "rdi"))?;
        let xt: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
        let yt: Vec<f64> = (0..=5).map(|i| i as f64 * 20.0).collect();
        let xf = |v: f64| format!("{v:.1}");
        let yf = |v: f64| format!("{v:.0}");
        axes(root, boxes, &f, Some((&xt, &xf)), Some((&yt, &yf)))?;
        let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Center);
        let pos = ((f.l + f.r) / 2.0, hgt as f64 - 20.0);
        text(root, boxes, t(lang, "value_score"), pos, st)?;
        line(root, vec![f.p(0.0, 50.0), f.p(1.0, 50.0)], &TEXT_GREY, 1)?;
        scatter::dots(root, &dots)?;
        // Labels for the top S/A accounts by revenue.
        let mut labelled: Vec<&QuadPoint> = m.quadrant.points.iter().filter(|p| p.label).collect();
        labelled.sort_by(|a, b| b.revenue.total_cmp(&a.revenue));
        let labelled: Vec<(&str, Dot)> = labelled.into_iter().map(|p| (&*p.name, dot(p))).collect();
        scatter::labels(root, boxes, f.rect(), &labelled, &dots)
    })
}
