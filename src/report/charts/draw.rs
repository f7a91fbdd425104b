//! Drawing primitives shared by every chart kind: the SVG canvas, labels (with a small
//! [`LabelStyle`] instead of positional arguments), titles, the plot [`Frame`], axes, legends,
//! lines and rectangles. Positions are in pixels of the 760 px wide canvas; every label drawn
//! is recorded in [`Boxes`] so later labels can avoid it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{BLACK, GRID, TEXT_GREY};
use crate::report::layout::{label_box, text_width, truncate, HAnchor, Rect, VAnchor, FONT_STACK};

/// Canvas width (px).
pub(super) const W: u32 = 760;
/// Title font size (px).
pub(super) const TITLE_PX: f64 = 16.0;
/// Body font size (px): labels, ticks, legends.
pub(super) const PX: f64 = 12.0;

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type DResult<T = ()> = anyhow::Result<T>;

pub(super) fn derr<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Placed label boxes (for collision avoidance).
#[derive(Default)]
pub(super) struct Boxes(Vec<Rect>);

impl Boxes {
    /// Whether `r` keeps at least `pad` px from every label placed so far.
    pub(super) fn free(&self, r: &Rect, pad: f64) -> bool {
        self.0.iter().all(|b| !b.grow(pad).intersects(r, 0.0))
    }
}

/// How a label is drawn: size, weight, anchor (which point of its box sits at the given
/// position) and colour. Start from [`LabelStyle::GREY`] or [`LabelStyle::BLACK`] (12 px,
/// normal weight, anchored at the top-left) and change what differs.
#[derive(Clone, Copy, Debug)]
pub(super) struct LabelStyle {
    pub px: f64,
    pub bold: bool,
    pub h: HAnchor,
    pub v: VAnchor,
    pub color: RGBColor,
}

impl LabelStyle {
    /// Axis titles, tick labels, notes.
    pub const GREY: LabelStyle = LabelStyle {
        px: PX,
        bold: false,
        h: HAnchor::Left,
        v: VAnchor::Top,
        color: TEXT_GREY,
    };
    /// Category names, legends, point labels.
    pub const BLACK: LabelStyle = LabelStyle {
        color: BLACK,
        ..LabelStyle::GREY
    };

    /// The same style anchored at (`h`, `v`).
    pub const fn at(self, h: HAnchor, v: VAnchor) -> Self {
        LabelStyle { h, v, ..self }
    }

    /// The same style in `color`.
    pub const fn color(self, color: RGBColor) -> Self {
        LabelStyle { color, ..self }
    }

    /// The same style in bold.
    pub const fn bold(self) -> Self {
        LabelStyle { bold: true, ..self }
    }

    /// The same style at `px` size.
    pub const fn size(self, px: f64) -> Self {
        LabelStyle { px, ..self }
    }

    /// The box `s` would occupy drawn at `(x, y)`.
    pub fn bbox(&self, s: &str, (x, y): (f64, f64)) -> Rect {
        label_box(s, self.px, x, y, self.h, self.v)
    }
}

/// Draw `s` at `pos` and record its box; returns the box (also for an empty string, which
/// draws nothing).
pub(super) fn text(
    root: &Area,
    boxes: &mut Boxes,
    s: &str,
    (x, y): (f64, f64),
    st: LabelStyle,
) -> DResult<Rect> {
    let r = st.bbox(s, (x, y));
    if s.is_empty() {
        return Ok(r);
    }
    let hp = match st.h {
        HAnchor::Left => HPos::Left,
        HAnchor::Center => HPos::Center,
        HAnchor::Right => HPos::Right,
    };
    let vp = match st.v {
        VAnchor::Top => VPos::Top,
        VAnchor::Center => VPos::Center,
        VAnchor::Bottom => VPos::Bottom,
    };
    let style = TextStyle::from(FontDesc::new(
        FontFamily::Name(FONT_STACK),
        st.px * 1.24,
        if st.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        },
    ))
    .color(&st.color)
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

/// Draw `s` at `pos` only where its box keeps `pad` px from every label already placed;
/// returns whether it was drawn.
pub(super) fn text_if_free(
    root: &Area,
    boxes: &mut Boxes,
    s: &str,
    pos: (f64, f64),
    st: LabelStyle,
    pad: f64,
) -> DResult<bool> {
    if !boxes.free(&st.bbox(s, pos), pad) {
        return Ok(false);
    }
    text(root, boxes, s, pos, st)?;
    Ok(true)
}

/// Render a chart of height `h` into an SVG string.
pub(super) fn svg(h: u32, f: impl FnOnce(&Area, &mut Boxes) -> DResult) -> DResult<String> {
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

/// Top of the title line.
const TITLE_TOP: f64 = 10.0;

/// The height of the title block (title, optional subtitle, gap): where the chart body starts.
pub(super) fn title_height(has_sub: bool) -> f64 {
    let mut y = TITLE_TOP + TITLE_PX * 1.3;
    if has_sub {
        y += PX * 1.4;
    }
    y + 4.0
}

/// The title in bold and an optional grey subtitle, both truncated to the width; returns the
/// y where the chart body starts ([`title_height`]).
pub(super) fn title(root: &Area, boxes: &mut Boxes, s: &str, sub: Option<&str>) -> DResult<f64> {
    let max = W as f64 - 32.0;
    let st = LabelStyle::BLACK.size(TITLE_PX).bold();
    text(
        root,
        boxes,
        &truncate(s, TITLE_PX, max),
        (16.0, TITLE_TOP),
        st,
    )?;
    if let Some(sub) = sub {
        let y = TITLE_TOP + TITLE_PX * 1.3;
        text(
            root,
            boxes,
            &truncate(sub, PX, max),
            (16.0, y),
            LabelStyle::GREY,
        )?;
    }
    Ok(title_height(sub.is_some()))
}

/// A chart with a title and a grey message instead of data.
pub(super) fn no_data(title_s: &str, msg: &str) -> DResult<String> {
    svg(120, |root, boxes| {
        let y = title(root, boxes, title_s, None)?;
        text(
            root,
            boxes,
            &truncate(msg, PX, W as f64 - 40.0),
            (16.0, y + 20.0),
            LabelStyle::GREY,
        )?;
        Ok(())
    })
}

/// Linear mapping from data to pixels for a plot frame.
#[derive(Clone, Copy)]
pub(super) struct Frame {
    /// Pixel edges: left, top, right, bottom.
    pub l: f64,
    pub t: f64,
    pub r: f64,
    pub b: f64,
    /// Data ranges: x0..x1 left to right, y0..y1 bottom to top.
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Frame {
    pub(super) fn x(&self, v: f64) -> f64 {
        self.l + (v - self.x0) / (self.x1 - self.x0).max(f64::MIN_POSITIVE) * (self.r - self.l)
    }
    pub(super) fn y(&self, v: f64) -> f64 {
        self.b - (v - self.y0) / (self.y1 - self.y0).max(f64::MIN_POSITIVE) * (self.b - self.t)
    }
    pub(super) fn p(&self, x: f64, y: f64) -> (i32, i32) {
        (self.x(x).round() as i32, self.y(y).round() as i32)
    }
    pub(super) fn rect(&self) -> Rect {
        Rect {
            x0: self.l,
            y0: self.t,
            x1: self.r,
            y1: self.b,
        }
    }
}

/// A polyline of `width` px.
pub(super) fn line(root: &Area, pts: Vec<(i32, i32)>, color: &RGBColor, width: u32) -> DResult {
    root.draw(&PathElement::new(
        pts,
        ShapeStyle::from(color).stroke_width(width),
    ))
    .map_err(derr)
}

/// A rectangle between two corners (rounded to whole pixels).
pub(super) fn rect(
    root: &Area,
    (x0, y0): (f64, f64),
    (x1, y1): (f64, f64),
    style: ShapeStyle,
) -> DResult {
    root.draw(&Rectangle::new(
        [
            (x0.round() as i32, y0.round() as i32),
            (x1.round() as i32, y1.round() as i32),
        ],
        style,
    ))
    .map_err(derr)
}

/// Tick values and their label format for one axis.
pub(super) type Ticks<'a> = (&'a [f64], &'a dyn Fn(f64) -> String);

/// Grid, axes and tick labels of a numeric frame.
pub(super) fn axes(
    root: &Area,
    boxes: &mut Boxes,
    f: &Frame,
    xticks: Option<Ticks>,
    yticks: Option<Ticks>,
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
            let st = LabelStyle::GREY.at(HAnchor::Right, VAnchor::Center);
            text(root, boxes, &fmt(v), (f.l - 6.0, y), st)?;
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
            let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Top);
            text(root, boxes, &fmt(v), (x, f.b + 6.0), st)?;
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

/// Legend swatch size and gaps (px).
const SWATCH: f64 = 11.0;
const SWATCH_GAP: f64 = 5.0;
const ITEM_GAP: f64 = 14.0;

/// A right-aligned row of colour swatches with their names, centred on `y`, ending at
/// `x_right` (but starting no further left than the margin).
pub(super) fn legend(
    root: &Area,
    boxes: &mut Boxes,
    items: &[(String, RGBColor)],
    x_right: f64,
    y: f64,
) -> DResult {
    let sw = SWATCH;
    let total: f64 = items
        .iter()
        .map(|(s, _)| sw + SWATCH_GAP + text_width(s, PX))
        .sum::<f64>()
        + ITEM_GAP * (items.len().saturating_sub(1)) as f64;
    let mut x = (x_right - total).max(16.0);
    for (s, c) in items {
        rect(root, (x, y - sw / 2.0), (x + sw, y + sw / 2.0), c.filled())?;
        let st = LabelStyle::BLACK.at(HAnchor::Left, VAnchor::Center);
        text(root, boxes, s, (x + sw + SWATCH_GAP, y), st)?;
        x += sw + SWATCH_GAP + text_width(s, PX) + ITEM_GAP;
    }
    Ok(())
}
