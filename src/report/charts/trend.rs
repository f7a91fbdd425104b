//! Lines over categories: the HHI concentration trend per year (with the unconcentrated /
//! moderate / high bands named on the right edge) and the `line` query charts.

use plotters::prelude::*;

use super::draw::{axes, derr, line, no_data, rect, svg, text, text_if_free, title};
use super::draw::{Area, Boxes, DResult, Frame, LabelStyle, PX, W};
use super::palette::{BLUE, GREEN, VERMILLION, YELLOW};
use super::scale::{nice_max, nice_ticks};
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{truncate, HAnchor, VAnchor};
use crate::report::model::ReportModel;

const H: f64 = 400.0;

/// Shaded value bands behind a line: (from, to, colour, name), and the y maximum they need.
pub(super) type Bands<'a> = (&'a [(f64, f64, RGBAColor, String)], f64);

/// A line with dots through `pts` (category, value), categories evenly spaced; `bands` are
/// shaded behind it and named in a column on the right.
pub(super) fn category_line(
    (title_s, sub): (&str, Option<&str>),
    pts: &[(String, f64)],
    y_title: &str,
    fmt: &dyn Fn(f64) -> String,
    bands: Option<Bands>,
) -> DResult<String> {
    svg(H as u32, |root, boxes| {
        let top = title(root, boxes, title_s, sub)?;
        text(root, boxes, y_title, (16.0, top), LabelStyle::GREY)?;
        let max = pts.iter().map(|p| p.1).fold(0.0, f64::max);
        let ymax = match bands {
            Some((_, m)) => nice_max(max.max(m)),
            None => nice_max(max),
        };
        let min = pts.iter().map(|p| p.1).fold(0.0, f64::min);
        let ymin = if min < 0.0 { -nice_max(-min) } else { 0.0 };
        let right_pad = if bands.is_some() { 170.0 } else { 24.0 };
        let n = pts.len().max(1);
        let f = Frame {
            l: 70.0,
            t: top + 26.0,
            r: W as f64 - right_pad,
            b: H - 50.0,
            x0: -0.5,
            x1: n as f64 - 0.5,
            y0: ymin,
            y1: ymax,
        };
        if let Some((bands, _)) = bands {
            for (lo, hi, c, label) in bands {
                let (lo, hi) = (lo.max(ymin), hi.min(ymax));
                if hi <= lo {
                    continue;
                }
                rect(root, (f.l, f.y(hi)), (f.r, f.y(lo)), c.filled())?;
                let s = truncate(label, PX, right_pad - 12.0);
                let pos = (f.r + 6.0, (f.y(lo) + f.y(hi)) / 2.0);
                let st = LabelStyle::GREY.at(HAnchor::Left, VAnchor::Center);
                text_if_free(root, boxes, &s, pos, st, 1.0)?;
            }
        }
        let yt = nice_ticks(ymin, ymax, 5);
        axes(root, boxes, &f, None, Some((&yt, fmt)))?;
        category_labels(root, boxes, &f, pts)?;
        dotted_line(root, &f, pts)?;
        Ok(())
    })
}

/// Category names under the x axis, left to right, skipping a name that would touch the
/// previous one or leave the canvas.
fn category_labels(root: &Area, boxes: &mut Boxes, f: &Frame, pts: &[(String, f64)]) -> DResult {
    let n = pts.len().max(1);
    let slot = (f.r - f.l) / n as f64;
    let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Top);
    let mut last_right = f64::NEG_INFINITY;
    for (i, (c, _)) in pts.iter().enumerate() {
        let pos = (f.x(i as f64), f.b + 6.0);
        let s = truncate(c, PX, (slot * 3.0).max(40.0));
        let r = st.bbox(&s, pos);
        if r.x0 > last_right + 4.0 && r.x1 <= W as f64 && r.x0 >= 0.0 {
            text(root, boxes, &s, pos, st)?;
            last_right = r.x1;
        }
    }
    Ok(())
}

/// "moderate (1,500–2,500)" → "moderate": only the band word fits on the chart edge.
fn band_label(lang: Lang, band: &str) -> String {
    let full = t(lang, &format!("band_{band}"));
    full.split(['(', '（'])
        .next()
        .unwrap_or(full)
        .trim()
        .to_string()
}

pub(super) fn trend(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "concentration_trend");
    let pts: Vec<(String, f64)> = m
        .trend
        .iter()
        .filter_map(|r| r.hhi.map(|h| (r.year.clone(), h)))
        .collect();
    if pts.is_empty() {
        let reason = m
            .meta
            .reasons
            .get("hhi")
            .map(String::as_str)
            .unwrap_or(t(lang, "na"));
        return no_data(title_s, reason);
    }
    let bands = vec![
        (
            0.0,
            1500.0,
            GREEN.mix(0.12),
            band_label(lang, "unconcentrated"),
        ),
        (
            1500.0,
            2500.0,
            YELLOW.mix(0.28),
            band_label(lang, "moderate"),
        ),
        (
            2500.0,
            10000.0,
            VERMILLION.mix(0.14),
            band_label(lang, "high"),
        ),
    ];
    let fmt = |v: f64| i18n::thousands(v);
    let max = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let bands_max = if max < 2500.0 { 3000.0 } else { max * 1.1 };
    category_line(
        (title_s, Some(t(lang, "hhi"))),
        &pts,
        t(lang, "hhi_short"),
        &fmt,
        Some((&bands, bands_max.min(10000.0))),
    )
}

/// Height of the leadership page's trend (two small panels side by side, no title: the page
/// must still print on one sheet).
const SMALL_H: f64 = 132.0;

/// The leadership page's trend: revenue_12m (left) and account HHI (right) at the last
/// quarter-ends the data covers (`summary.quarterly`), each a line with its last value named.
pub(super) fn leadership_trend(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "quarterly_trend");
    let q = &m.leadership.quarterly;
    if q.is_empty() {
        return no_data(title_s, t(lang, "quarterly_trend_none"));
    }
    // "2026-06-30" → "26Q2": eight of them fit under a half-width panel.
    let label = |d: &str| -> String {
        let (y, mo) = (d.get(2..4).unwrap_or(""), d.get(5..7).unwrap_or(""));
        let qn = mo.parse::<u32>().map_or(0, |m| m.div_ceil(3));
        format!("{y}Q{qn}")
    };
    let rev: Vec<(String, f64)> = q
        .iter()
        .map(|p| (label(&p.quarter_end), p.revenue_12m))
        .collect();
    let hhi: Vec<(String, f64)> = q
        .iter()
        .filter_map(|p| p.hhi.map(|h| (label(&p.quarter_end), h)))
        .collect();
    svg(SMALL_H as u32, |root, boxes| {
        let top = 8.0;
        let half = W as f64 / 2.0;
        let money = |v: f64| i18n::money_short(lang, v);
        let hhi_fmt = |v: f64| i18n::thousands(v);
        small_panel(
            root,
            boxes,
            (0.0, half),
            top,
            t(lang, "trend_revenue"),
            &rev,
            &money,
        )?;
        small_panel(
            root,
            boxes,
            (half, W as f64),
            top,
            t(lang, "trend_hhi"),
            &hhi,
            &hhi_fmt,
        )
    })
}

/// One panel of [`leadership_trend`] between x = `l0` and `r0`: its name, a y axis from 0,
/// the line, and the last value written beside the last point.
fn small_panel(
    root: &Area,
    boxes: &mut Boxes,
    (l0, r0): (f64, f64),
    top: f64,
    name: &str,
    pts: &[(String, f64)],
    fmt: &dyn Fn(f64) -> String,
) -> DResult {
    text(
        root,
        boxes,
        name,
        (l0 + 16.0, top),
        LabelStyle::BLACK.bold(),
    )?;
    let max = pts.iter().map(|p| p.1).fold(0.0, f64::max);
    let ymax = nice_max(max);
    let n = pts.len().max(1);
    let f = Frame {
        l: l0 + 66.0,
        t: top + 26.0,
        r: r0 - 24.0,
        b: SMALL_H - 22.0,
        x0: -0.5,
        x1: n as f64 - 0.5,
        y0: 0.0,
        y1: ymax,
    };
    let yt = nice_ticks(0.0, ymax, 3);
    axes(root, boxes, &f, None, Some((&yt, fmt)))?;
    category_labels(root, boxes, &f, pts)?;
    let px = dotted_line(root, &f, pts)?;
    if let (Some(last), Some(p)) = (pts.last(), px.last()) {
        let st = LabelStyle::BLACK.at(HAnchor::Right, VAnchor::Bottom);
        text_if_free(
            root,
            boxes,
            &fmt(last.1),
            (p.0 as f64, p.1 as f64 - 6.0),
            st,
            1.0,
        )?;
    }
    Ok(())
}

/// A blue line with dots through `pts` (categories evenly spaced in `f`); returns the points.
fn dotted_line(root: &Area, f: &Frame, pts: &[(String, f64)]) -> DResult<Vec<(i32, i32)>> {
    let px: Vec<(i32, i32)> = pts
        .iter()
        .enumerate()
        .map(|(i, p)| f.p(i as f64, p.1))
        .collect();
    line(root, px.clone(), &BLUE, 2)?;
    for p in &px {
        root.draw(&Circle::new(*p, 3, BLUE.filled()))
            .map_err(derr)?;
    }
    Ok(px)
}
