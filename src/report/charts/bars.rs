//! Horizontal bars: one row per item, one bar per series, the value written after the bars.
//! Used by the tier, breakdown, revenue-at-risk, relationship-profile, competitor, evidence
//! and query charts.

use plotters::prelude::*;

use super::draw::{axes, legend, no_data, rect, svg, text, title_height, Frame, LabelStyle};
use super::draw::{title, DResult, PX, W};
use super::palette::BLUE;
use super::scale::{amount_axis, amount_unit_title, nice_max, nice_ticks};
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{text_width, truncate, HAnchor, VAnchor};

/// One row of a bar chart.
pub(super) struct BarItem {
    /// Category name (truncated to the label column).
    pub label: String,
    /// One value per series.
    pub values: Vec<f64>,
    /// Written after the longest bar (empty: nothing).
    pub value_label: String,
}

/// A bar chart: its texts, rows, series and x axis.
pub(super) struct Bars<'a> {
    pub title: &'a str,
    pub sub: Option<&'a str>,
    pub items: &'a [BarItem],
    /// Name and colour per series; with more than one series a legend is drawn.
    pub series: &'a [(String, RGBColor)],
    /// The x axis reaches at least this (e.g. 1.0 for shares).
    pub x_max_hint: Option<f64>,
    pub x_title: &'a str,
    pub tick_fmt: &'a dyn Fn(f64) -> String,
    /// Width of the category label column (px).
    pub label_w: f64,
}

/// Horizontal (grouped) bars: one row per item, `series` bars per row.
pub(super) fn hbars(c: Bars) -> DResult<String> {
    let Bars {
        title: title_s,
        sub,
        items,
        series,
        x_max_hint,
        x_title,
        tick_fmt,
        label_w,
    } = c;
    let k = series.len().max(1);
    let row_h = if k == 1 { 26.0 } else { 14.0 * k as f64 + 10.0 };
    let legend_h = if k > 1 { 22.0 } else { 0.0 };
    let head = title_height(sub.is_some());
    let h = (head + legend_h + 10.0 + row_h * items.len() as f64 + 56.0).ceil() as u32;
    svg(h, |root, boxes| {
        let top = title(root, boxes, title_s, sub)?;
        if k > 1 {
            legend(root, boxes, series, W as f64 - 24.0, top + 8.0)?;
        }
        let max = items
            .iter()
            .flat_map(|i| i.values.iter().copied())
            .fold(0.0, f64::max);
        let xmax = nice_max(x_max_hint.unwrap_or(max).max(max));
        // Reserve room on the right for value labels.
        let val_w = items
            .iter()
            .map(|i| text_width(&i.value_label, PX))
            .fold(0.0, f64::max);
        let f = Frame {
            l: 16.0 + label_w + 8.0,
            t: top + legend_h + 10.0,
            r: W as f64 - 24.0 - val_w.min(140.0),
            b: top + legend_h + 10.0 + row_h * items.len() as f64,
            x0: 0.0,
            x1: xmax,
            y0: 0.0,
            y1: items.len() as f64,
        };
        let ticks = nice_ticks(0.0, xmax, 5);
        axes(root, boxes, &f, Some((&ticks, tick_fmt)), None)?;
        let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Top);
        text(root, boxes, x_title, ((f.l + f.r) / 2.0, f.b + 30.0), st)?;
        let name_st = LabelStyle::BLACK.at(HAnchor::Right, VAnchor::Center);
        let value_st = LabelStyle::GREY.at(HAnchor::Left, VAnchor::Center);
        for (i, it) in items.iter().enumerate() {
            let y_top = f.t + row_h * i as f64;
            let name = truncate(&it.label, PX, label_w);
            text(
                root,
                boxes,
                &name,
                (f.l - 6.0, y_top + row_h / 2.0),
                name_st,
            )?;
            let bar_h = if k == 1 { row_h - 8.0 } else { 13.0 };
            let mut end = f.l;
            for (j, v) in it.values.iter().enumerate() {
                let y0 = y_top + 5.0 + bar_h * j as f64;
                let x1 = f.x(v.max(0.0));
                let c = series.get(j).map(|s| s.1).unwrap_or(BLUE);
                if x1 > f.l + 0.5 {
                    rect(root, (f.l, y0), (x1, y0 + bar_h - 1.0), c.filled())?;
                }
                end = end.max(x1);
            }
            if !it.value_label.is_empty() {
                let pos = (end + 5.0, y_top + row_h / 2.0);
                text(root, boxes, &it.value_label, pos, value_st)?;
            }
        }
        Ok(())
    })
}

/// Bars of amounts (label, amount, share of the total): the axis in a unit that fits, each
/// bar labelled with the short amount and the share.
pub(super) fn amount_bars(
    lang: Lang,
    currency: &str,
    (title_s, sub): (&str, Option<&str>),
    rows: Vec<(String, f64, Option<f64>)>,
    color: RGBColor,
) -> DResult<String> {
    if rows.is_empty() {
        return no_data(title_s, t(lang, "na"));
    }
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let (fmt, unit) = amount_axis(lang, max);
    let items: Vec<BarItem> = rows
        .into_iter()
        .map(|(label, v, share)| BarItem {
            label,
            values: vec![v],
            value_label: match share {
                Some(s) => format!("{} · {}", i18n::money_short(lang, v), i18n::pct(s)),
                None => i18n::money_short(lang, v),
            },
        })
        .collect();
    let x_title = amount_unit_title(lang, t(lang, "revenue"), currency, unit);
    hbars(Bars {
        title: title_s,
        sub,
        items: &items,
        series: &[(String::new(), color)],
        x_max_hint: None,
        x_title: &x_title,
        tick_fmt: &fmt,
        label_w: 200.0,
    })
}
