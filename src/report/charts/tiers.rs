//! Tier charts: accounts and revenue share per tier, the tier migration matrix (previous tier
//! × tier now) and the decision-chain status per tier.

use plotters::prelude::*;

use super::bars::{hbars, BarItem, Bars};
use super::draw::{axes, legend, no_data, rect, svg, text, title, title_height};
use super::draw::{Area, Boxes, DResult, Frame, LabelStyle, PX, W};
use super::palette::{BLACK, BLUE, EMPTY_CELL, GREEN, GREY, NO_TIER, ORANGE, SKY, VERMILLION};
use super::scale::pct_label;
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{text_width, truncate, HAnchor, VAnchor};
use crate::report::model::{DecisionChainRow, ReportModel};

pub(super) fn tiers(m: &ReportModel, lang: Lang) -> DResult<String> {
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
    hbars(Bars {
        title: title_s,
        sub: None,
        items: &items,
        series: &series,
        x_max_hint: Some(1.0),
        x_title: t(lang, "share"),
        tick_fmt: &pct_label,
        label_w: 150.0,
    })
}

/// Migration matrix cell size (px).
const CELL_W: f64 = 100.0;
const CELL_H: f64 = 44.0;
/// Width of the row label column (px).
const ROW_LABEL_W: f64 = 150.0;

/// The name of a stored tier code in the migration matrix: the code in column headers
/// (`long == false`), the tier's full name in row labels; "none" translated in both.
fn migration_tier_name(lang: Lang, code: &str, long: bool) -> String {
    if code == NO_TIER {
        t(lang, "tier_none").to_string()
    } else if long {
        t(lang, &format!("tier_{code}")).to_string()
    } else {
        code.to_string()
    }
}

pub(super) fn migration(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "tier_migration");
    if !m.migration.available {
        return no_data(title_s, t(lang, "na"));
    }
    let n = m.migration.from.len();
    let h = (title_height(true) + 38.0 + CELL_H * n as f64 + 40.0).ceil() as u32;
    svg(h, |root, boxes| {
        let top = title(root, boxes, title_s, Some(t(lang, "tier_migration_note")))?;
        let x0 = 16.0 + ROW_LABEL_W + 10.0;
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
        let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Top);
        let pos = (x0 + CELL_W * n as f64 / 2.0, top + 2.0);
        text(root, boxes, t(lang, "tier_now"), pos, st)?;
        let head_st = LabelStyle::BLACK
            .bold()
            .at(HAnchor::Center, VAnchor::Bottom);
        for (j, c) in m.migration.to.iter().enumerate() {
            let s = truncate(&migration_tier_name(lang, c, false), PX, CELL_W - 6.0);
            let pos = (x0 + CELL_W * (j as f64 + 0.5), y0 - 6.0);
            text(root, boxes, &s, pos, head_st)?;
        }
        let row_st = LabelStyle::BLACK.at(HAnchor::Right, VAnchor::Center);
        for (i, r) in m.migration.from.iter().enumerate() {
            let s = migration_tier_name(lang, r, true);
            let y = y0 + CELL_H * (i as f64 + 0.5);
            text(
                root,
                boxes,
                &truncate(&s, PX, ROW_LABEL_W),
                (x0 - 8.0, y),
                row_st,
            )?;
            for j in 0..n {
                let v = m
                    .migration
                    .accounts
                    .get(i)
                    .and_then(|r| r.get(j))
                    .copied()
                    .unwrap_or(0);
                let corner = (x0 + CELL_W * j as f64, y0 + CELL_H * i as f64);
                migration_cell(root, boxes, corner, v, v as f64 / max, i == j)?;
            }
        }
        let pos = (16.0, y0 + CELL_H * n as f64 + 12.0);
        text(root, boxes, t(lang, "tier_prev"), pos, LabelStyle::GREY)?;
        Ok(())
    })
}

/// One cell of the migration matrix at top-left `(cx0, cy0)`: blue by the square root of its
/// share of the largest cell (`rel`), framed on the diagonal, with its count.
fn migration_cell(
    root: &Area,
    boxes: &mut Boxes,
    (cx0, cy0): (f64, f64),
    v: u64,
    rel: f64,
    diagonal: bool,
) -> DResult {
    let k = rel.sqrt();
    let fill = if v == 0 {
        EMPTY_CELL.filled()
    } else {
        BLUE.mix(0.12 + 0.8 * k).filled()
    };
    let (a, b) = (
        (cx0 + 1.0, cy0 + 1.0),
        (cx0 + CELL_W - 1.0, cy0 + CELL_H - 1.0),
    );
    rect(root, a, b, fill)?;
    if diagonal {
        rect(root, a, b, ShapeStyle::from(&BLACK).stroke_width(1))?;
    }
    let color = if v > 0 && 0.12 + 0.8 * k > 0.55 {
        WHITE
    } else {
        BLACK
    };
    let st = LabelStyle::BLACK
        .color(color)
        .at(HAnchor::Center, VAnchor::Center);
    let pos = (cx0 + CELL_W / 2.0, cy0 + CELL_H / 2.0);
    text(root, boxes, &i18n::thousands(v as f64), pos, st)?;
    Ok(())
}

pub(super) fn decision_chain(m: &ReportModel, lang: Lang) -> DResult<String> {
    let title_s = t(lang, "decision_chain_by_tier");
    let rows: Vec<&DecisionChainRow> = m
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
    let head = title_height(false) + 20.0 * legend_rows.len() as f64;
    let h = (head + 10.0 + row_h * rows.len() as f64 + 50.0).ceil() as u32;
    svg(h, |root, boxes| {
        let top = title(root, boxes, title_s, None)?;
        for (i, lr) in legend_rows.iter().enumerate() {
            let y = top + 8.0 + 20.0 * i as f64;
            legend(root, boxes, lr, W as f64 - 24.0, y)?;
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
        let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Top);
        text(
            root,
            boxes,
            t(lang, "share"),
            ((f.l + f.r) / 2.0, f.b + 28.0),
            st,
        )?;
        let label_st = LabelStyle::BLACK.at(HAnchor::Right, VAnchor::Center);
        for (i, r) in rows.iter().enumerate() {
            let y_top = f.t + row_h * i as f64;
            let label = t(lang, &format!("tier_{}", r.tier));
            let pos = (f.l - 6.0, y_top + row_h / 2.0);
            text(root, boxes, &truncate(label, PX, 150.0), pos, label_st)?;
            let counts = [r.red, r.amber, r.green, r.unknown];
            stacked_row(root, boxes, &f, (y_top, row_h), &counts, &series)?;
        }
        Ok(())
    })
}

/// One row of 100 % stacked bars between `y_top` and `y_top + row_h`, each segment labelled
/// with its count where the count fits.
fn stacked_row(
    root: &Area,
    boxes: &mut Boxes,
    f: &Frame,
    (y_top, row_h): (f64, f64),
    counts: &[u64],
    series: &[(String, RGBColor)],
) -> DResult {
    let total = counts.iter().sum::<u64>() as f64;
    let mut acc = 0.0;
    for (v, (_, c)) in counts.iter().zip(series.iter()) {
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
            let st = LabelStyle::BLACK
                .color(color)
                .at(HAnchor::Center, VAnchor::Center);
            text(root, boxes, &s, ((a + b) / 2.0, y_top + row_h / 2.0), st)?;
        }
    }
    Ok(())
}
