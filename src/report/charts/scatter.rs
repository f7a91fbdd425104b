//! Scatter plots coloured by tier (the value × depth quadrant, the selection matrix): the tier
//! legend, the dots (low tiers first so S/A stay on top) and point labels placed only where
//! they collide with nothing.

use plotters::prelude::*;

use super::draw::{derr, legend, text, Area, Boxes, DResult, LabelStyle, PX, W};
use super::palette::{tier_color, NO_TIER};
use crate::contract::{is_key_tier, Lang, Tier};
use crate::report::i18n::t;
use crate::report::layout::{truncate, HAnchor, Rect, VAnchor};

/// One point in pixels, with its stored tier code (`S`…`C`, `none`).
pub(super) struct Dot<'a> {
    pub tier: &'a str,
    pub x: f64,
    pub y: f64,
}

impl Dot<'_> {
    /// The 8 × 8 px square a label must not cover.
    fn rect(&self) -> Rect {
        Rect {
            x0: self.x - 4.0,
            y0: self.y - 4.0,
            x1: self.x + 4.0,
            y1: self.y + 4.0,
        }
    }
}

/// Above this many points the dots of tiers B, C and none shrink.
const MANY: usize = 2000;

/// The tier legend (tiers present, S first, "none" last) at the top right and the y axis
/// title at the top left of a scatter whose body starts at `top`.
pub(super) fn head(
    root: &Area,
    boxes: &mut Boxes,
    lang: Lang,
    top: f64,
    dots: &[Dot],
    y_title: &str,
) -> DResult {
    let items: Vec<(String, RGBColor)> = Tier::ALL
        .iter()
        .map(|t| t.code())
        .chain([NO_TIER])
        .filter(|code| dots.iter().any(|d| d.tier == *code))
        .map(|code| {
            let name = if Tier::parse(code).is_some() {
                code.to_string()
            } else {
                t(lang, "tier_none").to_string()
            };
            (name, tier_color(code))
        })
        .collect();
    legend(root, boxes, &items, W as f64 - 24.0, top + 8.0)?;
    text(root, boxes, y_title, (16.0, top + 2.0), LabelStyle::GREY)?;
    Ok(())
}

/// The dots, tier by tier from "none" up to S (S/A on top). S/A dots have radius 4; the others
/// 3, or 2 when there are more than [`MANY`] points.
pub(super) fn dots(root: &Area, dots: &[Dot]) -> DResult {
    let many = dots.len() > MANY;
    let order = Tier::ALL.iter().rev().map(|t| t.code());
    for tier in std::iter::once(NO_TIER).chain(order) {
        let c = tier_color(tier);
        let r = if is_key_tier(Some(tier)) {
            4
        } else if many {
            2
        } else {
            3
        };
        for d in dots.iter().filter(|d| d.tier == tier) {
            let p = (d.x.round() as i32, d.y.round() as i32);
            root.draw(&Circle::new(p, r, c.mix(0.8).filled()))
                .map_err(derr)?;
        }
    }
    Ok(())
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

/// Names next to the `labelled` points (most important first), each at the first spot of
/// [`LABEL_SPOTS`] inside `plot` that overlaps no label and no labelled point — preferably no
/// S/A dot either (the first [`MANY`] of `all`); a name with no such spot is left out.
pub(super) fn labels(
    root: &Area,
    boxes: &mut Boxes,
    plot: Rect,
    labelled: &[(&str, Dot)],
    all: &[Dot],
) -> DResult {
    let own: Vec<Rect> = labelled.iter().map(|(_, d)| d.rect()).collect();
    let key_dots: Vec<Rect> = all
        .iter()
        .filter(|d| is_key_tier(Some(d.tier)))
        .take(MANY)
        .map(Dot::rect)
        .collect();
    for (name, d) in labelled {
        let s = truncate(name, PX, 150.0);
        let fits = |r: &Rect, boxes: &Boxes, strict: bool| {
            plot.contains(r, 0.0)
                && boxes.free(r, 2.0)
                && own.iter().all(|o| !o.intersects(r, 0.0))
                && (!strict || key_dots.iter().all(|k| !k.intersects(r, 0.0)))
        };
        let spot = [true, false].into_iter().find_map(|strict| {
            LABEL_SPOTS.into_iter().find(|(dx, dy, h, v)| {
                let st = LabelStyle::BLACK.at(*h, *v);
                fits(&st.bbox(&s, (d.x + dx, d.y + dy)), boxes, strict)
            })
        });
        if let Some((dx, dy, h, v)) = spot {
            let st = LabelStyle::BLACK.at(h, v);
            text(root, boxes, &s, (d.x + dx, d.y + dy), st)?;
        }
    }
    Ok(())
}
