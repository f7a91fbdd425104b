//! Chart unit tests, and the chart dump used to prove that a refactor leaves every SVG
//! byte-identical (`MCR_CHART_DUMP=/dir cargo test --release --lib charts::tests::dump`).

use super::draw::{svg, title, title_height, LabelStyle};
use super::palette::{tier_color, BLACK, GREY, ORANGE, VERMILLION};
use super::scale::{amount_axis, decimals_for, tick_step};
use super::*;
use crate::report::layout::{label_box, HAnchor, VAnchor};
use crate::report::{fixture, model, queries};

#[test]
fn ticks() {
    assert_eq!(
        nice_ticks(0.0, 100.0, 5),
        vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    );
    assert_eq!(nice_max(87.0), 100.0);
    assert_eq!(nice_max(1.1e6), 1.2e6);
    assert_eq!(decimals_for(0.5), 1);
    assert_eq!(decimals_for(20.0), 0);
}

#[test]
fn tick_step_and_amount_axis() {
    // 0…87: nice maximum 100, five steps of 20.
    assert_eq!(tick_step(87.0), 20.0);
    // 0…1.1 M: maximum 1.2 M in steps of 200 000; en in thousands (400 000 → "400"), zh in
    // 万 (400 000 / 10 000 = 40).
    let (fmt, unit) = amount_axis(Lang::En, 1.1e6);
    assert_eq!((fmt(4e5).as_str(), unit), ("400", "K"));
    let (fmt, unit) = amount_axis(Lang::Zh, 1.1e6);
    assert_eq!((fmt(4e5).as_str(), unit), ("40", "万"));
    // 0…0.3: steps of 0.05 need two decimals, no unit.
    let (fmt, unit) = amount_axis(Lang::En, 0.3);
    assert_eq!((fmt(0.15).as_str(), unit), ("0.15", ""));
}

#[test]
fn title_height_is_where_the_body_starts() {
    for sub in [None, Some("subtitle")] {
        svg(120, |root, boxes| {
            let y = title(root, boxes, "Title", sub)?;
            assert_eq!(y, title_height(sub.is_some()));
            Ok(())
        })
        .unwrap();
    }
    // 10 + 16 × 1.3 + 4 = 34.8; a subtitle adds 12 × 1.4 = 16.8.
    assert!((title_height(false) - 34.8).abs() < 1e-9);
    assert!((title_height(true) - 51.6).abs() < 1e-9);
}

#[test]
fn label_style_changes_only_what_is_asked() {
    let st = LabelStyle::GREY.bold().at(HAnchor::Right, VAnchor::Center);
    assert!(st.bold && st.px == 12.0 && st.color == LabelStyle::GREY.color);
    assert!(!LabelStyle::BLACK.bold && LabelStyle::BLACK.color == BLACK);
    let big = st.size(16.0).color(ORANGE);
    assert_eq!(big.color, ORANGE);
    assert_eq!(
        big.bbox("Umsatz 收入", (100.0, 50.0)),
        label_box(
            "Umsatz 收入",
            16.0,
            100.0,
            50.0,
            HAnchor::Right,
            VAnchor::Center
        )
    );
}

#[test]
fn tier_colours() {
    assert_eq!(tier_color("S"), VERMILLION);
    assert_eq!(tier_color("A"), ORANGE);
    assert_eq!(tier_color("none"), GREY);
    assert_eq!(tier_color("s"), GREY, "codes are case-sensitive, as stored");
}

fn query(
    file: &str,
    chart: queries::QueryChart,
    series: Vec<(String, f64)>,
    error: Option<&str>,
) -> queries::QueryResult {
    queries::QueryResult {
        file: file.into(),
        title: format!("Query {file} — 查询"),
        titles: Default::default(),
        audience: Audience::Finance,
        chart,
        columns: vec!["k".into(), "v".into()],
        numeric: Vec::new(),
        rows: vec![],
        total_rows: series.len(),
        series,
        value_column: "v".into(),
        error: error.map(String::from),
    }
}

/// Every chart of several fixture models (sizes 6…5 000, tables missing, market columns,
/// queries of every kind, a narrow config), by scenario.
fn scenarios() -> Vec<(String, model::ReportModel, ReportConfig)> {
    let cfg = ReportConfig::default();
    let mut out = Vec::new();
    let mut inputs = fixture::inputs(120, 11);
    inputs.queries.push(query(
        "by industry.sql",
        queries::QueryChart::Bar,
        vec![
            ("制造业".into(), 1.5e6),
            ("<b>bold</b>".into(), 2.0e5),
            ("Retail".into(), 9.0e5),
            ("neg".into(), -3.5),
        ],
        None,
    ));
    inputs.queries.push(query(
        "trend.sql",
        queries::QueryChart::Line,
        (0..24)
            .map(|i| (format!("2025-{:02}", i % 12 + 1), (i * 7 % 11) as f64 - 2.5))
            .collect(),
        None,
    ));
    inputs.queries.push(query(
        "small.sql",
        queries::QueryChart::Bar,
        vec![("a".into(), 0.25), ("b".into(), 0.04)],
        None,
    ));
    inputs
        .queries
        .push(query("empty.sql", queries::QueryChart::Line, vec![], None));
    inputs.queries.push(query(
        "bad.sql",
        queries::QueryChart::Bar,
        vec![],
        Some("boom"),
    ));
    let mut m = model::build(inputs, &cfg).unwrap();
    // The fixture has no backtest: six hand-made bands (band 0, a small band, a missing rate).
    m.evidence.look_back = Some("2025-09-30".into());
    m.evidence.bands = (0..6)
        .map(|k| crate::report::evidence::EvidenceBand {
            key: k.to_string(),
            accounts: [14.0, 40.0, 33.0, 7.0, 120.0, 61.0][k],
            rdi_min: (k > 0).then_some(20.0 * k as f64 - 19.0),
            rdi_max: (k > 0).then_some(20.0 * k as f64),
            retention: (k != 2).then_some(0.55 + 0.08 * k as f64),
            median_growth: None,
            win_rate: Some(0.2 + 0.1 * k as f64),
            opportunities_closed: None,
            small: k == 3,
        })
        .collect();
    out.push(("n120".to_string(), m, cfg.clone()));
    for n in [6, 8] {
        let mut inputs = fixture::inputs(n, 5);
        inputs.concentration = None;
        inputs.employees = None;
        inputs.previous = None;
        out.push((
            format!("small{n}"),
            model::build(inputs, &cfg).unwrap(),
            cfg.clone(),
        ));
    }
    for n in [12, 400] {
        let inputs = market::tests::market_inputs(n);
        out.push((
            format!("market{n}"),
            model::build(inputs, &cfg).unwrap(),
            cfg.clone(),
        ));
    }
    let narrow = ReportConfig {
        top_n: 5,
        chart_top_n: 5,
        curve_points: 12,
        max_categories: 4,
        ..cfg.clone()
    };
    out.push((
        "narrow40".to_string(),
        model::build(fixture::inputs(40, 7), &narrow).unwrap(),
        narrow,
    ));
    out.push((
        "n5000".to_string(),
        model::build(fixture::inputs(5000, 1), &cfg).unwrap(),
        cfg.clone(),
    ));
    out
}

/// Writes every chart of [`scenarios`] in zh and en to `$MCR_CHART_DUMP/<scenario>-<lang>-<chart>.svg`
/// (a tool, not a check: `MCR_CHART_DUMP=dir cargo test --release --lib dump -- --ignored`).
/// Compare two dumps with `diff -r`.
#[test]
#[ignore = "a tool: writes the charts to $MCR_CHART_DUMP (run with --ignored)"]
fn dump() {
    let dir = std::env::var_os("MCR_CHART_DUMP").expect("set MCR_CHART_DUMP to a folder");
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    for (name, m, cfg) in scenarios() {
        for lang in [Lang::Zh, Lang::En] {
            for (chart, c) in render_all(&m, lang, &cfg) {
                let file = dir.join(format!("{name}-{}-{chart}.svg", lang.name()));
                std::fs::write(file, &c.svg).unwrap();
                n += 1;
            }
        }
    }
    eprintln!("{n} charts written to {}", dir.display());
    assert!(n > 100);
}
