//! SVG charts drawn with plotters' SVG backend.
//!
//! **Text without fonts.** plotters 0.3.7 built with `svg_backend` but without `ttf`/`ab_glyph`
//! uses its "naive" font module: it never loads a font, estimates text as 0.7 em per *byte*
//! (so CJK text is measured ~2× too wide), and the SVG backend writes every label as a
//! `<text>` element carrying the font family we pass, XML-escaped. The viewer's system fonts
//! render it, so Chinese works when [`FONT_STACK`] names an installed CJK font.
//!
//! Because plotters' own label layout would use that byte-based estimate, mcr does the layout
//! itself: plotters draws the primitives (lines, areas, rectangles, circles, text), while the
//! plot frame, ticks, category labels, legends and annotations are positioned by this module
//! with the estimator of [`super::layout`] (CJK ≈ 1 em, Latin ≈ 0.55 em). Long category names
//! are truncated with `…`, category counts are capped with an "other" bucket (in the model),
//! scatter labels are placed only where they collide with nothing already drawn, and
//! [`super::layout::check_svg`] verifies the finished SVG (tested for every chart).
//!
//! Palette: Okabe–Ito (colour-blind safe). Size: 760 px wide, readable at A4 width.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;

use super::i18n::{self, t};
use super::layout::{label_box, text_width, truncate, HAnchor, Rect, VAnchor, FONT_STACK};
use super::model::ReportModel;
use super::queries::{QueryChart, QueryResult};
use super::ReportConfig;
use crate::contract::{Audience, Lang};

pub mod evidence;
mod market;

/// Okabe–Ito colours.
pub mod palette {
    use plotters::style::RGBColor;
    /// Black.
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Neutral grey (not Okabe–Ito; for "none"/"other").
    pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
    /// Text grey.
    pub const TEXT_GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
    /// Grid lines.
    pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
}
use palette::{BLACK, BLUE, GREEN, GREY, GRID, ORANGE, SKY, TEXT_GREY, VERMILLION, YELLOW};

/// Colour of a tier.
pub fn tier_color(tier: &str) -> RGBColor {
    match tier {
        "S" => VERMILLION,
        "A" => ORANGE,
        "B" => BLUE,
        "C" => GREEN,
        _ => GREY,
    }
}

/// One rendered chart.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    /// File stem (`charts/<name>.svg`).
    pub name: String,
    /// Audience page showing it.
    pub audience: Audience,
    /// The SVG document.
    pub svg: String,
}

const W: u32 = 760;
const TITLE_PX: f64 = 16.0;
const PX: f64 = 12.0;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DResult<T = ()> = anyhow::Result<T>;

fn derr<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Placed label boxes (for collision avoidance).
#[derive(Default)]
struct Boxes(Vec<Rect>);

impl Boxes {
    fn free(&self, r: &Rect, pad: f64) -> bool {
        self.0.iter().all(|b| !b.grow(pad).intersects(r, 0.0))
    }
}

#[allow(clippy::too_many_arguments)]
fn text(
    root: &Area,
    boxes: &mut Boxes,
    s: &str,
    (x, y): (f64, f64),
    px: f64,
    (h, v): (HAnchor, VAnchor),
    color: &RGBColor,
    bold: bool,
) -> DResult<Rect> {
    let r = label_box(s, px, x, y, h, v);
    if s.is_empty() {
        return Ok(r);
    }
    let hp = match h {
        HAnchor::Left => HPos::Left,
        HAnchor::Center => HPos::Center,
        HAnchor::Right => HPos::Right,
    };
    let vp = match v {
        VAnchor::Top => VPos::Top,
        VAnchor::Center => VPos::Center,
        VAnchor::Bottom => VPos::Bottom,
    };
    let style = TextStyle::from(FontDesc::new(
        FontFamily::Name(FONT_STACK),
        px * 1.24,
        if bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        },
    ))
    .color(color)
    .pos(Pos::new(hp, vp));
    root.draw(&Text::new(
        s.to_string(),
        (x.round() as i32, y.round() as i32),
        style,
    ))
    .map_err(derr)?;
    boxes.0.push(r);
    Ok(r)
}

/// Render a chart of height `h` into an SVG string.
fn svg(h: u32, f: impl FnOnce(&Area, &mut Boxes) -> DResult) -> DResult<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, h)).into_drawing_area();
        root.fill(&WHITE).map_err(derr)?;
        let mut boxes = Boxes::default();
        f(&root, &mut boxes)?;
        root.present().map_err(derr)?;
    }
    Ok(buf)
}

fn title(root: &Area, boxes: &mut Boxes, s: &str, sub: Option<&str>) -> DResult<f64> {
    let max = W as f64 - 32.0;
    text(
        root,
        boxes,
        &truncate(s, TITLE_PX, max),
        (16.0, 10.0),
        TITLE_PX,
        (HAnchor::Left, VAnchor::Top),
        &BLACK,
        true,
    )?;
    let mut y = 10.0 + TITLE_PX * 1.3;
    if let Some(sub) = sub {
        text(
            root,
            boxes,
            &truncate(sub, PX, max),
            (16.0, y),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        y += PX * 1.4;
    }
    Ok(y + 4.0)
}

fn no_data(title_s: &str, msg: &str) -> DResult<String> {
    svg(120, |root, boxes| {
        let y = title(root, boxes, title_s, None)?;
        text(
            root,
            boxes,
            &truncate(msg, PX, W as f64 - 40.0),
            (16.0, y + 20.0),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        Ok(())
    })
}

/// Linear mapping from data to pixels for a plot frame.
#[derive(Clone, Copy)]
struct Frame {
    l: f64,
    t: f64,
    r: f64,
    b: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        self.l + (v - self.x0) / (self.x1 - self.x0).max(f64::MIN_POSITIVE) * (self.r - self.l)
    }
    fn y(&self, v: f64) -> f64 {
        self.b - (v - self.y0) / (self.y1 - self.y0).max(f64::MIN_POSITIVE) * (self.b - self.t)
    }
    fn p(&self, x: f64, y: f64) -> (i32, i32) {
        (self.x(x).round() as i32, self.y(y).round() as i32)
    }
    fn rect(&self) -> Rect {
        Rect {
            x0: self.l,
            y0: self.t,
            x1: self.r,
            y1: self.b,
        }
    }
}

/// Round tick values covering [lo, hi] with about `target` steps.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = (hi - lo).abs();
    if !span.is_finite() || span <= 0.0 {
        return vec![lo];
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = mag
        * if norm < 1.5 {
            1.0
        } else if norm < 3.0 {
            2.0
        } else if norm < 7.0 {
            5.0
        } else {
            10.0
        };
    let start = (lo / step).ceil() * step;
    let mut v = Vec::new();
    let mut x = start;
    while x <= hi + step * 1e-9 && v.len() < 100 {
        v.push(if x.abs() < step * 1e-9 { 0.0 } else { x });
        x += step;
    }
    v
}

/// The smallest "nice" number ≥ v (for axis maxima).
pub fn nice_max(v: f64) -> f64 {
    if !(v > 0.0) || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= v * 0.999_999 {
            return m * mag;
        }
    }
    10.0 * mag
}

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(4)
    }
}

fn line(root: &Area, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32) -> DResult {
    root.draw(&PathElement::new(
        pts,
        ShapeStyle::from(color).stroke_width(width),
    ))
    .map_err(derr)
}

fn rect(root: &Area, (x0, y0): (f64, f64), (x1, y1): (f64, f64), style: ShapeStyle) -> DResult {
    root.draw(&Rectangle::new(
        [
            (x0.round() as i32, y0.round() as i32),
            (x1.round() as i32, y1.round() as i32),
        ],
        style,
    ))
    .map_err(derr)
}

/// Grid, axes and tick labels of a numeric frame.
fn axes(
    root: &Area,
    boxes: &mut Boxes,
    f: &Frame,
    xticks: Option<(&[f64], &dyn Fn(f64) -> String)>,
    yticks: Option<(&[f64], &dyn Fn(f64) -> String)>,
) -> DResult {
    if let Some((ticks, fmt)) = yticks {
        for &v in ticks {
            let y = f.y(v);
            line(
                root,
                vec![(f.l as i32, y as i32), (f.r as i32, y as i32)],
                &GRID,
                1,
            )?;
            text(
                root,
                boxes,
                &fmt(v),
                (f.l - 6.0, y),
                PX,
                (HAnchor::Right, VAnchor::Center),
                &TEXT_GREY,
                false,
            )?;
        }
    }
    if let Some((ticks, fmt)) = xticks {
        for &v in ticks {
            let x = f.x(v);
            line(
                root,
                vec![(x as i32, f.t as i32), (x as i32, f.b as i32)],
                &GRID,
                1,
            )?;
            text(
                root,
                boxes,
                &fmt(v),
                (x, f.b + 6.0),
                PX,
                (HAnchor::Center, VAnchor::Top),
                &TEXT_GREY,
                false,
            )?;
        }
    }
    line(
        root,
        vec![
            (f.l as i32, f.t as i32),
            (f.l as i32, f.b as i32),
            (f.r as i32, f.b as i32),
        ],
        &TEXT_GREY,
        1,
    )
}

fn legend(
    root: &Area,
    boxes: &mut Boxes,
    items: &[(String, RGBColor)],
    x_right: f64,
    y: f64,
) -> DResult {
    // Right-aligned row of swatches.
    let gap = 14.0;
    let sw = 11.0;
    let total: f64 = items
        .iter()
        .map(|(s, _)| sw + 5.0 + text_width(s, PX))
        .sum::<f64>()
        + gap * (items.len().saturating_sub(1)) as f64;
    let mut x = (x_right - total).max(16.0);
    for (s, c) in items {
        rect(root, (x, y - sw / 2.0), (x + sw, y + sw / 2.0), c.filled())?;
        text(
            root,
            boxes,
            s,
            (x + sw + 5.0, y),
            PX,
            (HAnchor::Left, VAnchor::Center),
            &BLACK,
            false,
        )?;
        x += sw + 5.0 + text_width(s, PX) + gap;
    }
    Ok(())
}

fn pct_label(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

fn amount_unit_title(lang: Lang, base: &str, currency: &str, unit: &str) -> String {
    match lang {
        Lang::En => {
            if unit.is_empty() {
                format!("{base} ({currency})")
            } else {
                format!("{base} ({currency} {unit})")
            }
        }
        Lang::Zh => {
            let cur = if currency == "CNY" {
                "元".to_string()
            } else {
                format!(" {currency}")
            };
            format!("{base}（{unit}{cur}）")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Curves

fn curve_chart(
    title_s: &str,
    sub: Option<&str>,
    points: &[(f64, f64)],
    x_title: &str,
    y_title: &str,
    decorate: impl FnOnce(&Area, &mut Boxes, &Frame) -> DResult,
    area: bool,
) -> DResult<String> {
    svg(440, |root, boxes| {
        let top = title(root, boxes, title_s, sub)?;
        text(
            root,
            boxes,
            y_title,
            (16.0, top),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        let f = Frame {
            l: 64.0,
            t: top + 26.0,
            r: W as f64 - 24.0,
            b: 440.0 - 52.0,
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
        text(
            root,
            boxes,
            x_title,
            ((f.l + f.r) / 2.0, 440.0 - 20.0),
            PX,
            (HAnchor::Center, VAnchor::Center),
            &TEXT_GREY,
            false,
        )?;
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

fn pareto(m: &ReportModel, lang: Lang) -> DResult<String> {
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
    curve_chart(
        title_s,
        sub.as_deref(),
        &m.pareto.points,
        t(lang, "pareto_x"),
        t(lang, "pareto_y"),
        |root, boxes, f| {
            line(root, vec![f.p(0.0, 0.8), f.p(1.0, 0.8)], &VERMILLION, 1)?;
            let r = label_box(
                t(lang, "pareto_80"),
                PX,
                f.r - 4.0,
                f.y(0.8) + 4.0,
                HAnchor::Right,
                VAnchor::Top,
            );
            if boxes.free(&r, 2.0) {
                text(
                    root,
                    boxes,
                    t(lang, "pareto_80"),
                    (f.r - 4.0, f.y(0.8) + 4.0),
                    PX,
                    (HAnchor::Right, VAnchor::Top),
                    &VERMILLION,
                    false,
                )?;
            }
            if let Some(x) = marker {
                line(root, vec![f.p(x, 0.0), f.p(x, 0.8)], &VERMILLION, 1)?;
                let s = pct_label_1(x);
                let pos = (f.x(x) + 5.0, f.y(0.4));
                let r = label_box(&s, PX, pos.0, pos.1, HAnchor::Left, VAnchor::Center);
                if boxes.free(&r, 2.0) && f.rect().contains(&r, 0.0) {
                    text(
                        root,
                        boxes,
                        &s,
                        pos,
                        PX,
                        (HAnchor::Left, VAnchor::Center),
                        &VERMILLION,
                        false,
                    )?;
                }
            }
            Ok(())
        },
        false,
    )
}

fn pct_label_1(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn lorenz(m: &ReportModel, lang: Lang) -> DResult<String> {
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
        t(lang, "lorenz_x"),
        t(lang, "pareto_y"),
        |root, boxes, f| {
            line(root, vec![f.p(0.0, 0.0), f.p(1.0, 1.0)], &GREY, 1)?;
            let s = t(lang, "lorenz_equality");
            let pos = (f.x(0.35) - 6.0, f.y(0.35) - 6.0);
            let r = label_box(s, PX, pos.0, pos.1, HAnchor::Right, VAnchor::Bottom);
            if boxes.free(&r, 2.0) {
                text(
                    root,
                    boxes,
                    s,
                    pos,
                    PX,
                    (HAnchor::Right, VAnchor::Bottom),
                    &TEXT_GREY,
                    false,
                )?;
            }
            Ok(())
        },
        true,
    )
}

// ---------------------------------------------------------------------------------------------
// Horizontal bars

struct BarItem {
    label: String,
    values: Vec<f64>,
    value_label: String,
}

/// Horizontal (grouped) bars: one row per item, `series` bars per row.
#[allow(clippy::too_many_arguments)]
fn hbars(
    title_s: &str,
    sub: Option<&str>,
    items: &[BarItem],
    series: &[(String, RGBColor)],
    x_max_hint: Option<f64>,
    x_title: &str,
    tick_fmt: &dyn Fn(f64) -> String,
    label_w: f64,
) -> DResult<String> {
    let k = series.len().max(1);
    let row_h = if k == 1 { 26.0 } else { 14.0 * k as f64 + 10.0 };
    let legend_h = if k > 1 { 22.0 } else { 0.0 };
    let head = 10.0 + TITLE_PX * 1.3 + if sub.is_some() { PX * 1.4 } else { 0.0 } + 4.0;
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
        text(
            root,
            boxes,
            x_title,
            ((f.l + f.r) / 2.0, f.b + 30.0),
            PX,
            (HAnchor::Center, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        for (i, it) in items.iter().enumerate() {
            let y_top = f.t + row_h * i as f64;
            let name = truncate(&it.label, PX, label_w);
            text(
                root,
                boxes,
                &name,
                (f.l - 6.0, y_top + row_h / 2.0),
                PX,
                (HAnchor::Right, VAnchor::Center),
                &BLACK,
                false,
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
                text(
                    root,
                    boxes,
                    &it.value_label,
                    (end + 5.0, y_top + row_h / 2.0),
                    PX,
                    (HAnchor::Left, VAnchor::Center),
                    &TEXT_GREY,
                    false,
                )?;
            }
        }
        Ok(())
    })
}

fn amount_bars(
    lang: Lang,
    currency: &str,
    title_s: &str,
    sub: Option<&str>,
    rows: Vec<(String, f64, Option<f64>)>,
    color: RGBColor,
) -> DResult<String> {
    if rows.is_empty() {
        return no_data(title_s, t(lang, "na"));
    }
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let (div, unit) = i18n::amount_axis_unit(lang, nice_max(max));
    let step = nice_ticks(0.0, nice_max(max), 5)
        .get(1)
        .copied()
        .unwrap_or(1.0);
    let dec = decimals_for(step / div);
    let fmt = move |v: f64| i18n::number(v / div, dec);
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
    hbars(
        title_s,
        sub,
        &items,
        &[(String::new(), color)],
        None,
        &x_title,
        &fmt,
        200.0,
    )
}

fn slice_label(lang: Lang, s: &super::model::Slice) -> String {
    match s.kind.as_str() {
        "other" => format!("{} ({})", t(lang, "other"), s.key),
        "unknown" => t(lang, "unknown").to_string(),
        _ => s.key.clone(),
    }
}

fn breakdown(m: &ReportModel, lang: Lang, which: &str) -> DResult<String> {
    let (key, slices) = if which == "industry" {
        ("breakdown_industry", &m.industry)
    } else {
        ("breakdown_region", &m.region)
    };
    let rows = slices
        .iter()
        .map(|s| (slice_label(lang, s), s.revenue, s.share))
        .collect();
    amount_bars(lang, &m.meta.currency, t(lang, key), None, rows, BLUE)
}

fn at_risk(m: &ReportModel, lang: Lang, cfg: &ReportConfig) -> DResult<String> {
    let rows = m
        .at_risk
        .iter()
        .take(cfg.chart_top_n)
        .map(|e| {
            let label = match &e.team {
                Some(team) => format!("{} · {}", e.employee_id, team),
                None => e.employee_id.clone(),
            };
            (label, e.sole_holder_revenue.unwrap_or(0.0), None)
        })
        .collect();
    amount_bars(
        lang,
        &m.meta.currency,
        t(lang, "revenue_at_risk"),
        Some(t(lang, "sole_holder_revenue")),
        rows,
        VERMILLION,
    )
}

fn relationship_profile(m: &ReportModel, lang: Lang) -> DResult<String> {
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
    hbars(
        title_s,
        None,
        &items,
        &series,
        Some(100.0),
        t(lang, "index_0_100"),
        &fmt,
        220.0,
    )
}

fn query_chart(q: &QueryResult, lang: Lang) -> DResult<String> {
    let title = q.title_in(lang);
    if q.series.is_empty() {
        return no_data(title, t(lang, "query_empty"));
    }
    let max = q.series.iter().map(|s| s.1.abs()).fold(0.0, f64::max);
    let step = nice_ticks(0.0, nice_max(max), 5)
        .get(1)
        .copied()
        .unwrap_or(1.0);
    let dec = decimals_for(step);
    let fmt = move |v: f64| i18n::number(v, dec);
    let y_title = q.value_column.clone();
    match q.chart {
        QueryChart::Line => {
            let pts: Vec<(String, f64)> = q.series.clone();
            category_line(title, None, &pts, &y_title, &fmt, None)
        }
        _ => {
            let items: Vec<BarItem> = q
                .series
                .iter()
                .take(25)
                .map(|(c, v)| BarItem {
                    label: c.clone(),
                    values: vec![v.max(0.0)],
                    value_label: i18n::number(*v, dec.max(if v.fract() == 0.0 { 0 } else { 1 })),
                })
                .collect();
            hbars(
                title,
                None,
                &items,
                &[(String::new(), BLUE)],
                None,
                &y_title,
                &fmt,
                200.0,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Line over categories (trend)

type Bands<'a> = &'a [(f64, f64, RGBAColor, String)];

fn category_line(
    title_s: &str,
    sub: Option<&str>,
    pts: &[(String, f64)],
    y_title: &str,
    fmt: &dyn Fn(f64) -> String,
    bands: Option<(Bands, f64)>,
) -> DResult<String> {
    svg(400, |root, boxes| {
        let top = title(root, boxes, title_s, sub)?;
        text(
            root,
            boxes,
            y_title,
            (16.0, top),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
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
            b: 400.0 - 50.0,
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
                let y = (f.y(lo) + f.y(hi)) / 2.0;
                let r = label_box(&s, PX, f.r + 6.0, y, HAnchor::Left, VAnchor::Center);
                if boxes.free(&r, 1.0) {
                    text(
                        root,
                        boxes,
                        &s,
                        (f.r + 6.0, y),
                        PX,
                        (HAnchor::Left, VAnchor::Center),
                        &TEXT_GREY,
                        false,
                    )?;
                }
            }
        }
        let yt = nice_ticks(ymin, ymax, 5);
        axes(root, boxes, &f, None, Some((&yt, fmt)))?;
        // Category labels: skip some when they would collide.
        let slot = (f.r - f.l) / n as f64;
        let mut last_right = f64::NEG_INFINITY;
        for (i, (c, _)) in pts.iter().enumerate() {
            let x = f.x(i as f64);
            let s = truncate(c, PX, (slot * 3.0).max(40.0));
            let r = label_box(&s, PX, x, f.b + 6.0, HAnchor::Center, VAnchor::Top);
            if r.x0 > last_right + 4.0 && r.x1 <= W as f64 && r.x0 >= 0.0 {
                text(
                    root,
                    boxes,
                    &s,
                    (x, f.b + 6.0),
                    PX,
                    (HAnchor::Center, VAnchor::Top),
                    &TEXT_GREY,
                    false,
                )?;
                last_right = r.x1;
            }
        }
        let px: Vec<(i32, i32)> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| f.p(i as f64, p.1))
            .collect();
        line(root, px.clone(), &BLUE, 2)?;
        for p in px {
            root.draw(&Circle::new(p, 3, BLUE.filled())).map_err(derr)?;
        }
        Ok(())
    })
}

fn band_label(lang: Lang, band: &str) -> String {
    // "moderate (1,500–2,500)" → keep the band word only on the chart edge.
    let full = t(lang, &format!("band_{band}"));
    full.split(['(', '（'])
        .next()
        .unwrap_or(full)
        .trim()
        .to_string()
}

fn trend(m: &ReportModel, lang: Lang) -> DResult<String> {
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
        title_s,
        Some(t(lang, "hhi")),
        &pts,
        t(lang, "hhi_short"),
        &fmt,
        Some((&bands, bands_max.min(10000.0))),
    )
}

// ---------------------------------------------------------------------------------------------
// Tiers, migration, decision chain, quadrant

fn tiers(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "tier_table");
    if m.tiers.is_empty() {
        return no_data(title_s, t(lang, "na"));
    }
    let total_acc: u64 = m.tiers.iter().map(|r| r.accounts).sum();
    let total_rev: f64 = m.tiers.iter().map(|r| r.revenue).sum();
    let items: Vec<BarItem> = m
        .tiers
        .iter()
        .map(|r| {
            let sa = if total_acc > 0 {
                r.accounts as f64 / total_acc as f64
            } else {
                0.0
            };
            let sr = if total_rev > 0.0 {
                r.revenue / total_rev
            } else {
                0.0
            };
            BarItem {
                label: t(lang, &format!("tier_{}", r.tier)).to_string(),
                values: vec![sa, sr],
                value_label: format!(
                    "{} · {}",
                    i18n::thousands(r.accounts as f64),
                    i18n::money_short(lang, r.revenue)
                ),
            }
        })
        .collect();
    let series = vec![
        (
            format!("{} ({})", t(lang, "accounts"), t(lang, "share")),
            SKY,
        ),
        (t(lang, "revenue_share").to_string(), BLUE),
    ];
    hbars(
        title_s,
        None,
        &items,
        &series,
        Some(1.0),
        t(lang, "share"),
        &pct_label,
        150.0,
    )
}

fn migration(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "tier_migration");
    if !m.migration.available {
        return no_data(title_s, t(lang, "na"));
    }
    let cell_w = 100.0;
    let cell_h = 44.0;
    let n = m.migration.from.len();
    let h =
        (10.0 + TITLE_PX * 1.3 + PX * 1.4 + 4.0 + 38.0 + cell_h * n as f64 + 40.0).ceil() as u32;
    svg(h, |root, boxes| {
        let top = title(root, boxes, title_s, Some(t(lang, "tier_migration_note")))?;
        let label_w = 150.0;
        let x0 = 16.0 + label_w + 10.0;
        let y0 = top + 38.0;
        let max = m
            .migration
            .accounts
            .iter()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        // Column header: "tier now" label above, tier names per column.
        text(
            root,
            boxes,
            t(lang, "tier_now"),
            (x0 + cell_w * n as f64 / 2.0, top + 2.0),
            PX,
            (HAnchor::Center, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        for (j, c) in m.migration.to.iter().enumerate() {
            let s = if c == "none" {
                t(lang, "tier_none").to_string()
            } else {
                c.clone()
            };
            let s = truncate(&s, PX, cell_w - 6.0);
            text(
                root,
                boxes,
                &s,
                (x0 + cell_w * (j as f64 + 0.5), y0 - 6.0),
                PX,
                (HAnchor::Center, VAnchor::Bottom),
                &BLACK,
                true,
            )?;
        }
        for (i, r) in m.migration.from.iter().enumerate() {
            let s = if r == "none" {
                t(lang, "tier_none").to_string()
            } else {
                t(lang, &format!("tier_{r}")).to_string()
            };
            let y = y0 + cell_h * (i as f64 + 0.5);
            text(
                root,
                boxes,
                &truncate(&s, PX, label_w),
                (x0 - 8.0, y),
                PX,
                (HAnchor::Right, VAnchor::Center),
                &BLACK,
                false,
            )?;
            for j in 0..n {
                let v = m
                    .migration
                    .accounts
                    .get(i)
                    .and_then(|r| r.get(j))
                    .copied()
                    .unwrap_or(0);
                let k = (v as f64 / max).sqrt();
                let cx0 = x0 + cell_w * j as f64;
                let cy0 = y0 + cell_h * i as f64;
                let fill = if v == 0 {
                    RGBColor(0xF7, 0xF7, 0xF7).filled()
                } else {
                    BLUE.mix(0.12 + 0.8 * k).filled()
                };
                rect(
                    root,
                    (cx0 + 1.0, cy0 + 1.0),
                    (cx0 + cell_w - 1.0, cy0 + cell_h - 1.0),
                    fill,
                )?;
                if i == j {
                    rect(
                        root,
                        (cx0 + 1.0, cy0 + 1.0),
                        (cx0 + cell_w - 1.0, cy0 + cell_h - 1.0),
                        ShapeStyle::from(&BLACK).stroke_width(1),
                    )?;
                }
                let color = if v > 0 && 0.12 + 0.8 * k > 0.55 {
                    WHITE
                } else {
                    BLACK
                };
                text(
                    root,
                    boxes,
                    &i18n::thousands(v as f64),
                    (cx0 + cell_w / 2.0, cy0 + cell_h / 2.0),
                    PX,
                    (HAnchor::Center, VAnchor::Center),
                    &color,
                    false,
                )?;
            }
        }
        text(
            root,
            boxes,
            t(lang, "tier_prev"),
            (16.0, y0 + cell_h * n as f64 + 12.0),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        Ok(())
    })
}

fn decision_chain(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "decision_chain_by_tier");
    let rows: Vec<&super::model::DecisionChainRow> = m
        .decision_chain
        .iter()
        .filter(|r| r.red + r.amber + r.green + r.unknown > 0)
        .collect();
    if rows.is_empty() {
        let reason = m
            .meta
            .reasons
            .get("decision_chain_status")
            .map(String::as_str)
            .unwrap_or(t(lang, "na"));
        return no_data(title_s, reason);
    }
    let series = [
        (t(lang, "dc_red").to_string(), VERMILLION),
        (t(lang, "dc_amber").to_string(), ORANGE),
        (t(lang, "dc_green").to_string(), GREEN),
        (t(lang, "dc_unknown").to_string(), GREY),
    ];
    let row_h = 34.0;
    // Legend in two lines when it does not fit one.
    let legend_w: f64 = series.iter().map(|(s, _)| 30.0 + text_width(s, PX)).sum();
    let legend_rows: Vec<&[(String, RGBColor)]> = if legend_w > W as f64 - 40.0 {
        vec![&series[..2], &series[2..]]
    } else {
        vec![&series[..]]
    };
    let head = 10.0 + TITLE_PX * 1.3 + 4.0 + 20.0 * legend_rows.len() as f64;
    let h = (head + 10.0 + row_h * rows.len() as f64 + 50.0).ceil() as u32;
    svg(h, |root, boxes| {
        let top = title(root, boxes, title_s, None)?;
        for (i, lr) in legend_rows.iter().enumerate() {
            legend(
                root,
                boxes,
                lr,
                W as f64 - 24.0,
                top + 8.0 + 20.0 * i as f64,
            )?;
        }
        let f = Frame {
            l: 16.0 + 150.0 + 8.0,
            t: top + 20.0 * legend_rows.len() as f64 + 10.0,
            r: W as f64 - 24.0,
            b: top + 20.0 * legend_rows.len() as f64 + 10.0 + row_h * rows.len() as f64,
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: rows.len() as f64,
        };
        let ticks: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
        axes(root, boxes, &f, Some((&ticks, &pct_label)), None)?;
        text(
            root,
            boxes,
            t(lang, "share"),
            ((f.l + f.r) / 2.0, f.b + 28.0),
            PX,
            (HAnchor::Center, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
        for (i, r) in rows.iter().enumerate() {
            let y_top = f.t + row_h * i as f64;
            let label = t(lang, &format!("tier_{}", r.tier));
            text(
                root,
                boxes,
                &truncate(label, PX, 150.0),
                (f.l - 6.0, y_top + row_h / 2.0),
                PX,
                (HAnchor::Right, VAnchor::Center),
                &BLACK,
                false,
            )?;
            let total = (r.red + r.amber + r.green + r.unknown) as f64;
            let mut acc = 0.0;
            for (v, (_, c)) in [r.red, r.amber, r.green, r.unknown]
                .iter()
                .zip(series.iter())
            {
                if *v == 0 {
                    continue;
                }
                let a = f.x(acc / total);
                acc += *v as f64;
                let b = f.x(acc / total);
                rect(root, (a, y_top + 5.0), (b, y_top + row_h - 5.0), c.filled())?;
                let s = i18n::thousands(*v as f64);
                if text_width(&s, PX) + 6.0 < b - a {
                    let color = if *c == ORANGE || *c == GREY {
                        BLACK
                    } else {
                        WHITE
                    };
                    text(
                        root,
                        boxes,
                        &s,
                        ((a + b) / 2.0, y_top + row_h / 2.0),
                        PX,
                        (HAnchor::Center, VAnchor::Center),
                        &color,
                        false,
                    )?;
                }
            }
        }
        Ok(())
    })
}

/// Candidate offsets (dx, dy, anchors) for a point label, tried in order.
const LABEL_SPOTS: [(f64, f64, HAnchor, VAnchor); 6] = [
    (7.0, 0.0, HAnchor::Left, VAnchor::Center),
    (-7.0, 0.0, HAnchor::Right, VAnchor::Center),
    (0.0, -7.0, HAnchor::Center, VAnchor::Bottom),
    (0.0, 7.0, HAnchor::Center, VAnchor::Top),
    (7.0, -9.0, HAnchor::Left, VAnchor::Bottom),
    (-7.0, 9.0, HAnchor::Right, VAnchor::Top),
];

fn quadrant(m: &ReportModel, lang: Lang) -> DResult<String> {
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
        let tiers_present: Vec<&str> = ["S", "A", "B", "C", "none"]
            .into_iter()
            .filter(|t| m.quadrant.points.iter().any(|p| p.tier == *t))
            .collect();
        let items: Vec<(String, RGBColor)> = tiers_present
            .iter()
            .map(|t0| {
                (
                    if *t0 == "none" {
                        t(lang, "tier_none").to_string()
                    } else {
                        t0.to_string()
                    },
                    tier_color(t0),
                )
            })
            .collect();
        legend(root, boxes, &items, W as f64 - 24.0, top + 8.0)?;
        text(
            root,
            boxes,
            t(lang, "rdi"),
            (16.0, top + 2.0),
            PX,
            (HAnchor::Left, VAnchor::Top),
            &TEXT_GREY,
            false,
        )?;
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
        let xt: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
        let yt: Vec<f64> = (0..=5).map(|i| i as f64 * 20.0).collect();
        let xf = |v: f64| format!("{v:.1}");
        let yf = |v: f64| format!("{v:.0}");
        axes(root, boxes, &f, Some((&xt, &xf)), Some((&yt, &yf)))?;
        text(
            root,
            boxes,
            t(lang, "value_score"),
            ((f.l + f.r) / 2.0, hgt as f64 - 20.0),
            PX,
            (HAnchor::Center, VAnchor::Center),
            &TEXT_GREY,
            false,
        )?;
        line(root, vec![f.p(0.0, 50.0), f.p(1.0, 50.0)], &TEXT_GREY, 1)?;
        // Draw low tiers first so S/A stay on top.
        let order = ["none", "C", "B", "A", "S"];
        let many = m.quadrant.points.len() > 2000;
        for tier in order {
            let c = tier_color(tier);
            let r = if tier == "S" || tier == "A" {
                4
            } else if many {
                2
            } else {
                3
            };
            for p in m.quadrant.points.iter().filter(|p| p.tier == tier) {
                root.draw(&Circle::new(
                    f.p(p.value_score, p.rdi.clamp(0.0, 100.0)),
                    r,
                    c.mix(0.8).filled(),
                ))
                .map_err(derr)?;
            }
        }
        // Labels for the top S/A accounts, where they collide with nothing.
        let plot = f.rect();
        let mut labelled: Vec<&super::model::QuadPoint> =
            m.quadrant.points.iter().filter(|p| p.label).collect();
        labelled.sort_by(|a, b| b.revenue.total_cmp(&a.revenue));
        // Obstacles: the labelled points themselves (always) and every S/A dot (preferably).
        let dot = |p: &super::model::QuadPoint| {
            let (x, y) = (f.x(p.value_score), f.y(p.rdi.clamp(0.0, 100.0)));
            Rect {
                x0: x - 4.0,
                y0: y - 4.0,
                x1: x + 4.0,
                y1: y + 4.0,
            }
        };
        let own: Vec<Rect> = labelled.iter().map(|p| dot(p)).collect();
        let sa_dots: Vec<Rect> = m
            .quadrant
            .points
            .iter()
            .filter(|p| p.tier == "S" || p.tier == "A")
            .take(2000)
            .map(dot)
            .collect();
        for p in labelled {
            let s = truncate(&p.name, PX, 150.0);
            let (x, y) = (f.x(p.value_score), f.y(p.rdi.clamp(0.0, 100.0)));
            let fits = |r: &Rect, boxes: &Boxes, strict: bool| {
                plot.contains(r, 0.0)
                    && boxes.free(r, 2.0)
                    && own.iter().all(|d| !d.intersects(r, 0.0))
                    && (!strict || sa_dots.iter().all(|d| !d.intersects(r, 0.0)))
            };
            let spot = [true, false].into_iter().find_map(|strict| {
                LABEL_SPOTS.into_iter().find(|(dx, dy, h, v)| {
                    fits(&label_box(&s, PX, x + dx, y + dy, *h, *v), boxes, strict)
                })
            });
            if let Some((dx, dy, h, v)) = spot {
                text(root, boxes, &s, (x + dx, y + dy), PX, (h, v), &BLACK, false)?;
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------

/// The charts of one model, keyed by name. Rendered in parallel; a chart that fails to draw
/// is replaced by a message (and reported on stderr) rather than failing the report.
pub fn render_all(m: &ReportModel, lang: Lang, cfg: &ReportConfig) -> BTreeMap<String, Chart> {
    type Job<'a> = (
        String,
        Audience,
        Box<dyn Fn() -> DResult<String> + Send + Sync + 'a>,
    );
    let mut jobs: Vec<Job> = vec![
        (
            "tiers".into(),
            Audience::Strategy,
            Box::new(move || tiers(m, lang)),
        ),
        (
            "tier_migration".into(),
            Audience::Strategy,
            Box::new(move || migration(m, lang)),
        ),
        (
            "quadrant".into(),
            Audience::Strategy,
            Box::new(move || quadrant(m, lang)),
        ),
        (
            "selection_matrix".into(),
            Audience::Strategy,
            Box::new(move || market::selection_matrix(m, lang)),
        ),
        (
            "competitor_win_rate".into(),
            Audience::Strategy,
            Box::new(move || market::competitor_win_rate(m, lang)),
        ),
        (
            "competitor_lost".into(),
            Audience::Strategy,
            Box::new(move || market::competitor_lost(m, lang)),
        ),
        (
            "relationship_profile".into(),
            Audience::Strategy,
            Box::new(move || relationship_profile(m, lang)),
        ),
        (
            "decision_chain".into(),
            Audience::Strategy,
            Box::new(move || decision_chain(m, lang)),
        ),
        (
            "industry".into(),
            Audience::Strategy,
            Box::new(move || breakdown(m, lang, "industry")),
        ),
        (
            "region".into(),
            Audience::Strategy,
            Box::new(move || breakdown(m, lang, "region")),
        ),
        (
            "evidence".into(),
            Audience::Strategy,
            Box::new(move || evidence::chart(m, lang)),
        ),
        (
            "pareto".into(),
            Audience::Finance,
            Box::new(move || pareto(m, lang)),
        ),
        (
            "lorenz".into(),
            Audience::Finance,
            Box::new(move || lorenz(m, lang)),
        ),
        (
            "concentration_trend".into(),
            Audience::Finance,
            Box::new(move || trend(m, lang)),
        ),
        (
            "revenue_at_risk".into(),
            Audience::Finance,
            Box::new(move || at_risk(m, lang, cfg)),
        ),
    ];
    for (i, q) in m.queries.iter().enumerate() {
        // A query with rows but no numeric column to plot is shown as its table instead.
        let plottable = !q.series.is_empty() || q.total_rows == 0;
        if q.error.is_none() && q.chart != QueryChart::Table && plottable {
            jobs.push((
                query_chart_name(i, q),
                q.audience,
                Box::new(move || query_chart(q, lang)),
            ));
        }
    }
    jobs.par_iter()
        .map(|(name, audience, f)| {
            let svg = match f() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("warning: chart {name} could not be drawn: {e:#}");
                    no_data(name, &format!("{e:#}")).unwrap_or_default()
                }
            };
            (
                name.clone(),
                Chart {
                    name: name.clone(),
                    audience: *audience,
                    svg,
                },
            )
        })
        .collect()
}

/// The chart name of the `i`-th query (file stem, sanitised).
pub fn query_chart_name(i: usize, q: &QueryResult) -> String {
    let stem: String = q
        .file
        .trim_end_matches(".sql")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("query_{i:02}_{stem}")
}

#[cfg(test)]
mod tests;
