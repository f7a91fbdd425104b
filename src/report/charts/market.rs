//! Market-insight charts of the strategy page: the customer selection matrix (wallet × share
//! scatter, tier as colour, the cells named in their corners, the top `grow` accounts
//! labelled where they collide with nothing) and win rate / lost amount by competitor.

use super::bars::{hbars, BarItem, Bars};
use super::draw::{axes, line, no_data, svg, text, title, Area, Boxes, DResult, Frame};
use super::draw::{LabelStyle, W};
use super::palette::{BLUE, TEXT_GREY, VERMILLION};
use super::scale::{amount_axis, amount_unit_title, pct_label};
use super::scatter::{self, Dot};
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::layout::{HAnchor, VAnchor};
use crate::report::market::{CompetitorBar, Market, MarketPoint};
use crate::report::model::ReportModel;

/// The label of the wallet tick 10^k: en `10 K`, `1 M`, `100 M`, `1 B`; zh `10万`, `1,000万`,
/// `1亿` (round decades, no decimals).
fn decade_label(lang: Lang, k: i32) -> String {
    let units: &[(i32, &str)] = match lang {
        Lang::En => &[(12, " T"), (9, " B"), (6, " M"), (3, " K")],
        Lang::Zh => &[(8, "亿"), (4, "万")],
    };
    for &(e, u) in units {
        if k >= e {
            return format!("{}{u}", i18n::thousands(10f64.powi(k - e)));
        }
    }
    i18n::number(10f64.powi(k), if k < 0 { (-k) as usize } else { 0 })
}

/// Wallet axis: log10 decades covering the points.
fn decades(min: f64, max: f64) -> (f64, f64) {
    let lo = min.max(1e-9).log10().floor();
    let hi = max.max(1e-9).log10().ceil();
    if hi <= lo {
        (lo, lo + 1.0)
    } else {
        (lo, hi)
    }
}

/// Median wallet · share threshold · sampling (or log-scale) note.
fn selection_subtitle(mk: &Market, lang: Lang, median: f64) -> String {
    let mut sub: Vec<String> = vec![
        t(lang, "market_median").replace("{n}", &i18n::money_short(lang, median)),
        t(lang, "market_threshold").replace("{n}", &pct_label(mk.share_threshold)),
    ];
    if mk.points.len() < mk.total {
        sub.push(
            t(lang, "market_sample_note")
                .replace("{shown}", &i18n::thousands(mk.points.len() as f64))
                .replace("{total}", &i18n::thousands(mk.total as f64)),
        );
    } else {
        sub.push(t(lang, "market_log_note").to_string());
    }
    sub.join(" · ")
}

const MATRIX_H: f64 = 540.0;

/// The frame of the selection matrix below `top`: x in log10 decades covering the wallets and
/// the median, y the share with bands below 0 and above 100 % that hold the cell names (no
/// point can be there).
fn matrix_frame(mk: &Market, median: f64, top: f64) -> Frame {
    let (wmin, wmax) = mk
        .points
        .iter()
        .map(|p| p.wallet)
        .chain(std::iter::once(median))
        .filter(|w| *w > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(a, b), w| (a.min(w), b.max(w)));
    let (x0, x1) = decades(wmin, wmax);
    Frame {
        l: 60.0,
        t: top + 28.0,
        r: W as f64 - 24.0,
        b: MATRIX_H - 52.0,
        x0,
        x1,
        y0: -0.08,
        y1: 1.08,
    }
}

/// The x of a wallet in the matrix frame: its log10, at least the axis minimum.
fn log_wallet(f: &Frame, w: f64) -> f64 {
    w.max(10f64.powf(f.x0)).log10()
}

/// Axes of the selection matrix: a tick every decade (or every few, at most about six), the
/// share in steps of 20 %, and the wallet axis title.
fn matrix_axes(root: &Area, boxes: &mut Boxes, f: &Frame, lang: Lang, currency: &str) -> DResult {
    let (x0, x1) = (f.x0, f.x1);
    let step = ((x1 - x0) / 6.0).ceil().max(1.0);
    let xt: Vec<f64> = (0..)
        .map(|k| x0 + step * k as f64)
        .take_while(|v| *v <= x1 + 1e-9)
        .collect();
    let yt: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
    let xf = |v: f64| decade_label(lang, v.round() as i32);
    let yf = |v: f64| pct_label(v);
    axes(root, boxes, f, Some((&xt, &xf)), Some((&yt, &yf)))?;
    let s = amount_unit_title(lang, t(lang, "market_wallet"), currency, "");
    let st = LabelStyle::GREY.at(HAnchor::Center, VAnchor::Center);
    text(root, boxes, &s, ((f.l + f.r) / 2.0, MATRIX_H - 20.0), st)?;
    Ok(())
}

/// The four cell names in the corners of the frame (in the bands outside 0–100 %), "grow" in
/// the accent colour.
fn cell_names(root: &Area, boxes: &mut Boxes, f: &Frame, lang: Lang) -> DResult {
    let pad = 4.0;
    let corners = [
        (
            "maintain",
            (f.l + pad, f.t + pad),
            (HAnchor::Left, VAnchor::Top),
        ),
        (
            "defend",
            (f.r - pad, f.t + pad),
            (HAnchor::Right, VAnchor::Top),
        ),
        (
            "selective",
            (f.l + pad, f.b - pad),
            (HAnchor::Left, VAnchor::Bottom),
        ),
        (
            "grow",
            (f.r - pad, f.b - pad),
            (HAnchor::Right, VAnchor::Bottom),
        ),
    ];
    for (cell, pos, (h, v)) in corners {
        let s = t(lang, &format!("market_cell_{cell}_short"));
        let color = if cell == "grow" {
            VERMILLION
        } else {
            TEXT_GREY
        };
        let st = LabelStyle::GREY.color(color).bold().at(h, v);
        text(root, boxes, s, pos, st)?;
    }
    Ok(())
}

pub(super) fn selection_matrix(m: &ReportModel, lang: Lang) -> DResult<String> {
    let mk = &m.market;
    let title_s = t(lang, "market_selection");
    if let Some(reason) = &mk.reason {
        return no_data(title_s, reason);
    }
    if mk.points.is_empty() {
        return no_data(title_s, t(lang, "market_no_wallet"));
    }
    let median = mk.median_wallet.unwrap_or(0.0);
    let sub = selection_subtitle(mk, lang, median);
    svg(MATRIX_H as u32, |root, boxes| {
        let top = title(root, boxes, title_s, Some(&sub))?;
        let f = matrix_frame(mk, median, top);
        fn at<'a>(f: &Frame, p: &'a MarketPoint) -> Dot<'a> {
            Dot {
                tier: &p.tier,
                x: f.x(log_wallet(f, p.wallet)),
                y: f.y(p.share.clamp(0.0, 1.0)),
            }
        }
        let dot = |p| at(&f, p);
        let dots: Vec<Dot> = mk.points.iter().map(dot).collect();
        scatter::head(root, boxes, lang, top, &dots, t(lang, "market_share"))?;
        matrix_axes(root, boxes, &f, lang, &m.meta.currency)?;
        // cell boundaries
        let mx = log_wallet(&f, median.max(1e-9));
        line(root, vec![f.p(mx, 0.0), f.p(mx, 1.0)], &TEXT_GREY, 1)?;
        let y = mk.share_threshold;
        line(root, vec![f.p(f.x0, y), f.p(f.x1, y)], &TEXT_GREY, 1)?;
        scatter::dots(root, &dots)?;
        cell_names(root, boxes, &f, lang)?;
        // labels: the top grow accounts by headroom
        let mut labelled: Vec<&MarketPoint> = mk.points.iter().filter(|p| p.label).collect();
        labelled.sort_by(|a, b| b.headroom.total_cmp(&a.headroom));
        let labelled: Vec<(&str, Dot)> = labelled.into_iter().map(|p| (&*p.name, dot(p))).collect();
        scatter::labels(root, boxes, f.rect(), &labelled, &dots)
    })
}

fn competitor_label(c: &CompetitorBar) -> String {
    format!("{} ({})", c.name.as_deref().unwrap_or(""), c.deals)
}

pub(super) fn competitor_win_rate(m: &ReportModel, lang: Lang) -> DResult<String> {
    let mk = &m.market;
    let title_s = t(lang, "market_win_rate_chart");
    if let Some(reason) = &mk.competitors_reason {
        return no_data(title_s, reason);
    }
    let items: Vec<BarItem> = mk
        .competitors
        .iter()
        .map(|c| BarItem {
            label: competitor_label(c),
            values: vec![c.win_rate.unwrap_or(0.0)],
            value_label: match c.win_rate {
                Some(w) => format!("{} · {}/{}", i18n::pct(w), c.won, c.deals),
                None => t(lang, "na").to_string(),
            },
        })
        .collect();
    let fmt = |v: f64| pct_label(v);
    hbars(Bars {
        title: title_s,
        sub: None,
        items: &items,
        series: &[(String::new(), BLUE)],
        x_max_hint: Some(1.0),
        x_title: t(lang, "market_win_rate"),
        tick_fmt: &fmt,
        label_w: 200.0,
    })
}

pub(super) fn competitor_lost(m: &ReportModel, lang: Lang) -> DResult<String> {
    let mk = &m.market;
    let title_s = t(lang, "market_lost_chart");
    if let Some(reason) = &mk.competitors_reason {
        return no_data(title_s, reason);
    }
    let max = mk
        .competitors
        .iter()
        .map(|c| c.lost_amount)
        .fold(0.0, f64::max);
    let (fmt, unit) = amount_axis(lang, max);
    let items: Vec<BarItem> = mk
        .competitors
        .iter()
        .map(|c| BarItem {
            label: competitor_label(c),
            values: vec![c.lost_amount],
            value_label: format!(
                "{} · {}",
                i18n::money_short(lang, c.lost_amount),
                t(lang, "market_lost_n").replace("{n}", &c.lost.to_string())
            ),
        })
        .collect();
    let x_title = amount_unit_title(lang, t(lang, "market_lost_amount"), &m.meta.currency, unit);
    hbars(Bars {
        title: title_s,
        sub: None,
        items: &items,
        series: &[(String::new(), VERMILLION)],
        x_max_hint: None,
        x_title: &x_title,
        tick_fmt: &fmt,
        label_w: 200.0,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::draw::PX;
    use super::*;
    use crate::metrics::market as mm;
    use crate::report::layout::truncate;
    use crate::report::{fixture, layout};
    use polars::prelude::{Column, DataFrame};

    /// The fixture's accounts with wallets (revenue × 1…40, none on every 9th account) and a
    /// competitors table with long, CJK and HTML-like names.
    pub(in crate::report::charts) fn market_inputs(n: usize) -> crate::report::model::ReportInputs {
        let mut inputs = fixture::inputs(n, 3);
        let acc = &inputs.accounts;
        let rev: Vec<f64> = crate::report::model::col_f64(acc, "revenue_12m")
            .into_iter()
            .map(|r| r.unwrap_or(0.0))
            .collect();
        let industry = crate::report::model::col_str(acc, "industry");
        let potential: Vec<Option<f64>> = (0..rev.len())
            .map(|i| (i % 9 != 0).then(|| (rev[i] + 5e4) * (1.0 + (i * 37 % 40) as f64)))
            .collect();
        let c = mm::account_columns(
            &potential,
            &vec![None; rev.len()],
            &industry,
            Some(&rev),
            &Default::default(),
        );
        let s = |v: &[Option<&str>]| v.iter().map(|x| x.map(String::from)).collect::<Vec<_>>();
        let mut df: DataFrame = acc.clone();
        for col in [
            Column::new("wallet".into(), c.wallet.clone()),
            Column::new("wallet_share".into(), c.wallet_share.clone()),
            Column::new("headroom".into(), c.headroom.clone()),
            Column::new("selection".into(), s(&c.selection)),
        ] {
            df.with_column(col).unwrap();
        }
        inputs.accounts = df;
        inputs.summary.headline.median_wallet = c.median_wallet;
        let names = [
            "Globex",
            " globex ",
            "Initech Systems International Holdings Group Limited",
            "金蝶软件（中国）有限公司",
            "<b>Umbrella</b> & Co",
            "用友",
            "Stark",
            "Wayne",
            "Acme",
            "Hooli",
            "Pied Piper",
            "Soylent",
        ];
        let deals: Vec<mm::Deal> = (0..300)
            .map(|k| mm::Deal {
                competitor: (k % 13 != 0).then(|| names[(k * k + k / 3) % names.len()]),
                industry: Some(["金融", "Retail"][k % 2]),
                won: k % 3 == 0,
                amount: Some(1e4 * (1 + k % 17) as f64),
            })
            .collect();
        inputs.competitors = Some(mm::competitors_table(&mm::competitors(deals)).unwrap());
        inputs
    }

    #[test]
    fn market_charts_have_no_overlapping_or_clipped_labels() {
        for n in [12, 400] {
            let m = crate::report::model::build(market_inputs(n), &Default::default()).unwrap();
            assert!(m.market.reason.is_none() && m.market.competitors_reason.is_none());
            assert!(!m.market.grow.is_empty());
            assert_eq!(
                m.market.competitors.len(),
                crate::report::market::TOP_COMPETITORS
            );
            for lang in [Lang::Zh, Lang::En] {
                for (name, svg) in [
                    ("selection_matrix", selection_matrix(&m, lang).unwrap()),
                    (
                        "competitor_win_rate",
                        competitor_win_rate(&m, lang).unwrap(),
                    ),
                    ("competitor_lost", competitor_lost(&m, lang).unwrap()),
                ] {
                    let problems = layout::check_svg(&svg);
                    assert!(problems.is_empty(), "{lang:?} {name}: {problems:#?}");
                    assert!(!svg.contains("<b>Umbrella"), "{name}: unescaped name");
                }
                // Labelled points: at least one grow account is named in the matrix.
                let svg = selection_matrix(&m, lang).unwrap();
                let labelled = m.market.points.iter().filter(|p| p.label).count();
                assert!(labelled > 0);
                assert!(
                    m.market.points.iter().filter(|p| p.label).any(|p| svg
                        .contains(&crate::report::html::escape(&truncate(&p.name, PX, 150.0)))),
                    "no grow account labelled"
                );
            }
        }
    }

    #[test]
    fn wallet_decades() {
        // 3 200 … 4.5 M → 10^3 … 10^7
        assert_eq!(decades(3200.0, 4.5e6), (3.0, 7.0));
        // one value on a decade: one decade wide
        assert_eq!(decades(1000.0, 1000.0), (3.0, 4.0));
        assert_eq!(decade_label(Lang::En, 4), "10 K");
        assert_eq!(decade_label(Lang::En, 6), "1 M");
        assert_eq!(decade_label(Lang::En, 2), "100");
        assert_eq!(decade_label(Lang::Zh, 7), "1,000万");
        assert_eq!(decade_label(Lang::Zh, 9), "10亿");
    }
}
