//! Cumulative curves on a 0–100 % × 0–100 % frame: the Pareto curve (share of revenue by
//! share of accounts, with the 80 % line) and the Lorenz curve (with the equality diagonal and
//! the Gini in the subtitle).

use plotters::prelude::*;

use super::draw::{
    axes, derr, line, no_data, svg, text, text_if_free, title, Area, Boxes, DResult, Frame,
    LabelStyle, W,
};
use super::palette::{BLUE, GREY, VERMILLION};
use super::scale::{pct_label, pct_label_1};
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{HAnchor, VAnchor};
use crate::report::model::ReportModel;

const H: f64 = 440.0;

/// A curve through `points` (both coordinates 0..1) with percentage axes; `decorate` draws
/// the chart's reference lines before the curve, `area` shades below it.
fn curve_chart(
    title_s: &str,
    sub: Option<&str>,
    points: &[(f64, f64)],
    (x_title, y_title): (&str, &str),
    decorate: impl FnOnce(&Area, &mut Boxes, &Frame) -> DResult,
    area: bool,
) -> DResult<String> {
    svg(H as u32, |root, boxes| {
        let top = title(root, boxes, title_s, sub)?;
        text(root, boxes, y_title, (16.0, top), LabelStyle::GREY)?;
        let f = Frame {
            l: 64.0,
            t: top + 26.0,
            r: W as f64 - 24.0,
            b: H - 52.0,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        };
        let ticks: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
        axes(
            root,
            boxes,
            &f,
            Some((&ticks, &pct_label)),
            Some((&ticks, &pct_label)),
        )?;
        let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Center);
        text(root, boxes, x_title, ((f.l + f.r) / 2.0, H - 20.0), st)?;
        let px: Vec<(i32, i32)> = points.iter().map(|&(x, y)| f.p(x, y)).collect();
        if area && px.len() > 1 {
            let mut poly = px.clone();
            poly.push(f.p(1.0, 0.0));
            poly.push(f.p(0.0, 0.0));
            root.draw(&Polygon::new(poly, BLUE.mix(0.15).filled()))
                .map_err(derr)?;
        }
        decorate(root, boxes, &f)?;
        line(root, px, &BLUE, 2)?;
        Ok(())
    })
}

pub(super) fn pareto(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "pareto");
    if m.pareto.points.is_empty() {
        return no_data(title_s, t(lang, "na"));
    }
    let sub = m.pareto.marker.map(|x| match lang {
        Lang::En => format!(
            "{} of {} active accounts bring 80 % of revenue",
            pct_label_1(x),
            i18n::thousands(m.pareto.n as f64)
        ),
        Lang::Zh => format!(
            "{} 个活跃客户中的 {} 贡献了 80% 的收入",
            i18n::thousands(m.pareto.n as f64),
            pct_label_1(x)
        ),
    });
    let marker = m.pareto.marker;
    let red = LabelStyle::GREY.color(VERMILLION);
    curve_chart(
        title_s,
        sub.as_deref(),
        &m.pareto.points,
        (t(lang, "pareto_x"), t(lang, "pareto_y")),
        |root, boxes, f| {
            line(root, vec![f.p(0.0, 0.8), f.p(1.0, 0.8)], &VERMILLION, 1)?;
            let pos = (f.r - 4.0, f.y(0.8) + 4.0);
            let st = red.at(HAnchor::Right, VAnchor::Top);
            text_if_free(root, boxes, t(lang, "pareto_80"), pos, st, 2.0)?;
            if let Some(x) = marker {
                line(root, vec![f.p(x, 0.0), f.p(x, 0.8)], &VERMILLION, 1)?;
                let s = pct_label_1(x);
                let pos = (f.x(x) + 5.0, f.y(0.4));
                let st = red.at(HAnchor::Left, VAnchor::Center);
                if f.rect().contains(&st.bbox(&s, pos), 0.0) {
                    text_if_free(root, boxes, &s, pos, st, 2.0)?;
                }
            }
            Ok(())
        },
        false,
    )
}

pub(super) fn lorenz(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "lorenz");
    if m.lorenz.points.is_empty() {
        return no_data(title_s, t(lang, "na"));
    }
    let sub = m
        .lorenz
        .marker
        .map(|g| format!("{} = {:.3}", t(lang, "gini"), g));
    curve_chart(
        title_s,
        sub.as_deref(),
        &m.lorenz.points,
        (t(lang, "lorenz_x"), t(lang, "pareto_y")),
        |root, boxes, f| {
            line(root, vec![f.p(0.0, 0.0), f.p(1.0, 1.0)], &GREY, 1)?;
            let pos = (f.x(0.35) - 6.0, f.y(0.35) - 6.0);
            let st = LabelStyle::GREY.at(HAnchor::Right, VAnchor::Bottom);
            text_if_free(root, boxes, t(lang, "lorenz_equality"), pos, st, 2.0)?;
            Ok(())
        },
        true,
    )
}
