//! Unit tests of the report: model snapshot, chart layout, escaping, config defaults.

use std::collections::BTreeMap;

use super::*;
use crate::contract::{Audience, Lang};

fn cfg() -> ReportConfig {
    ReportConfig::default()
}

#[test]
fn default_config_section_parses_to_the_defaults() {
    let text = crate::settings::DEFAULT_CONFIG;
    let start = text.find("[report]").expect("a [report] section");
    let section = &text[start + "[report]".len()..];
    let end = section.find("\n[").unwrap_or(section.len());
    let parsed: ReportConfig = toml::from_str(&section[..end]).expect("parses");
    assert_eq!(parsed, ReportConfig::default());
    assert!(toml::from_str::<ReportConfig>("top_nn = 3").is_err());
}

#[test]
fn model_snapshot() {
    let mut inputs = fixture::inputs(40, 7);
    inputs.queries.push(queries::QueryResult {
        file: "bad.sql".into(),
        title: "Broken <query>".into(),
        titles: Default::default(),
        audience: Audience::Finance,
        chart: queries::QueryChart::Table,
        columns: vec![],
        numeric: Vec::new(),
        rows: vec![],
        total_rows: 0,
        series: vec![],
        value_column: String::new(),
        error: Some("no such table: nope".into()),
    });
    let m = model::build(
        inputs,
        &ReportConfig {
            top_n: 5,
            chart_top_n: 5,
            curve_points: 12,
            max_categories: 4,
            ..cfg()
        },
    )
    .unwrap();
    insta::assert_yaml_snapshot!(m);
}

/// The report shows analyze's figures and computes none of its own: no migration matrix
/// without the `tier_migration` table, no Gini on the Lorenz chart without the
/// `concentration` table, headline figures from the summary (not overwritten by the table).
#[test]
fn report_only_reads_metric_tables() {
    let mut inputs = fixture::inputs(50, 4);
    inputs.tier_migration = None;
    inputs.concentration = None;
    inputs.summary.headline.gini = Some(0.5);
    inputs.summary.headline.hhi = Some(1234.0);
    inputs.summary.headline.sa_single_threaded_revenue = None;
    inputs.summary.headline.opposition_accounts = None;
    let m = model::build(inputs, &cfg()).unwrap();
    assert!(!m.migration.available);
    assert!(m.migration.accounts.iter().flatten().all(|n| *n == 0));
    assert_eq!(
        m.lorenz.marker, None,
        "the Lorenz chart's Gini comes from the table"
    );
    assert!(!m.lorenz.points.is_empty(), "the curve is still drawn");
    let headline = |k: &str| m.headline.iter().find(|h| h.key == k).unwrap().value;
    assert_eq!(headline("gini"), Some(0.5));
    assert_eq!(headline("hhi"), Some(1234.0));
    // not recomputed from the accounts either
    assert_eq!(m.leadership.sa_single_threaded_revenue, None);
    assert_eq!(m.leadership.opposition_accounts, None);

    // with the tables: the table's Gini on the chart, the summary's on the headline
    let mut inputs = fixture::inputs(50, 4);
    inputs.summary.headline.gini = Some(0.5);
    let m = model::build(inputs, &cfg()).unwrap();
    assert_eq!(m.lorenz.marker, Some(0.71));
    assert_eq!(
        m.headline.iter().find(|h| h.key == "gini").unwrap().value,
        Some(0.5)
    );
    assert!(m.migration.available);
}

/// A metric table without a column the report reads is an error naming table and column.
#[test]
fn missing_metric_column_is_an_error_naming_it() {
    let mut inputs = fixture::inputs(30, 1);
    inputs.employees = Some(
        inputs
            .employees
            .take()
            .unwrap()
            .drop("sole_holder_revenue")
            .unwrap(),
    );
    let e = model::build(inputs, &cfg()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "metric table `employees` has no column `sole_holder_revenue`"
    );
    let mut inputs = fixture::inputs(30, 1);
    let bad = polars::prelude::Column::new("rdi".into(), vec!["x"; inputs.accounts.height()]);
    inputs.accounts.with_column(bad).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = render_from_inputs(inputs, &cfg(), dir.path(), &[], Lang::En).unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("metric table `accounts`: column `rdi` is str, expected f64"),
        "{msg}"
    );
}

#[test]
fn model_invariants() {
    let m = model::build(fixture::inputs(300, 3), &cfg()).unwrap();
    assert!(m.pareto.points.len() <= 500 && m.pareto.points.len() >= 2);
    let last = m.pareto.points.last().copied().unwrap();
    assert!((last.0 - 1.0).abs() < 1e-9 && (last.1 - 1.0).abs() < 1e-9);
    assert!(m.pareto.points.windows(2).all(|w| w[1].1 >= w[0].1));
    // Lorenz lies below the diagonal.
    assert!(m.lorenz.points.iter().all(|(x, y)| *y <= *x + 1e-9));
    let g = m.lorenz.marker.unwrap();
    assert!(g > 0.0 && g < 1.0);
    // Breakdown capped with "other", shares sum to 1.
    assert!(m.industry.len() <= cfg().max_categories + 1);
    assert!(m.industry.iter().any(|s| s.kind == "other"));
    assert!(m.industry.iter().any(|s| s.kind == "unknown"));
    let total: f64 = m.industry.iter().filter_map(|s| s.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
    // Migration from the tier_migration table.
    assert!(m.migration.available);
    assert_eq!(m.leadership.previous_as_of.as_deref(), Some("2026-06-30"));
    assert_eq!(m.leadership.moves_basis, "previous_report");
    assert!(m.quadrant.points.iter().filter(|p| p.label).count() <= cfg().scatter_labels);
}

#[test]
fn large_inputs_are_sampled_and_render_quickly() {
    let start = std::time::Instant::now();
    let inputs = fixture::inputs(200_000, 1);
    let built = start.elapsed();
    let m = model::build(inputs, &cfg()).unwrap();
    assert!(m.pareto.points.len() <= 500);
    assert!(m.lorenz.points.len() <= 500);
    assert!(m.quadrant.points.len() <= cfg().scatter_max_points);
    assert!(m.quadrant.total > 100_000);
    let charts = charts::render_all(&m, Lang::Zh, &cfg());
    let total: usize = charts.values().map(|c| c.svg.len()).sum();
    assert!(total < 3_000_000, "charts too large: {total} bytes");
    let elapsed = start.elapsed() - built;
    eprintln!("200k accounts: model + charts in {elapsed:?} (fixture {built:?})");
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}

fn all_charts(lang: Lang) -> BTreeMap<String, charts::Chart> {
    let mut inputs = fixture::inputs(120, 11);
    inputs.queries.push(queries::QueryResult {
        file: "by industry.sql".into(),
        title: "Revenue by industry — 行业".into(),
        titles: Default::default(),
        audience: Audience::Strategy,
        chart: queries::QueryChart::Bar,
        columns: vec!["industry".into(), "revenue".into()],
        numeric: Vec::new(),
        rows: vec![],
        total_rows: 3,
        series: vec![
            ("制造业".into(), 1.5e6),
            ("<b>bold</b>".into(), 2.0e5),
            ("Retail".into(), 9.0e5),
        ],
        value_column: "revenue".into(),
        error: None,
    });
    inputs.queries.push(queries::QueryResult {
        file: "trend.sql".into(),
        title: "Trend".into(),
        titles: Default::default(),
        audience: Audience::Finance,
        chart: queries::QueryChart::Line,
        columns: vec!["month".into(), "n".into()],
        numeric: Vec::new(),
        rows: vec![],
        total_rows: 24,
        series: (0..24)
            .map(|i| (format!("2025-{:02}", i % 12 + 1), (i * 7 % 11) as f64))
            .collect(),
        value_column: "n".into(),
        error: None,
    });
    let m = model::build(inputs, &cfg()).unwrap();
    charts::render_all(&m, lang, &cfg())
}

#[test]
fn every_chart_has_no_overlapping_or_clipped_labels() {
    for lang in [Lang::Zh, Lang::En] {
        let charts = all_charts(lang);
        assert!(
            charts.len() >= 13,
            "{:?}",
            charts.keys().collect::<Vec<_>>()
        );
        for (name, c) in &charts {
            let problems = layout::check_svg(&c.svg);
            assert!(problems.is_empty(), "{lang:?} {name}: {problems:#?}");
            assert!(
                c.svg.contains("Noto Sans CJK SC"),
                "{name} lacks the CJK font stack"
            );
        }
    }
}

#[test]
fn small_and_empty_inputs_render() {
    for n in [6, 8] {
        let mut inputs = fixture::inputs(n, 5);
        inputs.concentration = None;
        inputs.employees = None;
        inputs.previous = None;
        let m = model::build(inputs, &cfg()).unwrap();
        assert_eq!(m.leadership.moves_basis, "tier_prev");
        for lang in [Lang::Zh, Lang::En] {
            for (name, c) in charts::render_all(&m, lang, &cfg()) {
                let problems = layout::check_svg(&c.svg);
                assert!(problems.is_empty(), "{name}: {problems:#?}");
            }
        }
    }
}

#[test]
fn svg_text_is_xml_escaped() {
    let charts = all_charts(Lang::En);
    let q = &charts["quadrant"].svg;
    assert!(
        q.contains("&lt;script&gt;alert(1)"),
        "the <script> account is labelled, escaped"
    );
    for c in charts.values() {
        assert!(!c.svg.contains("<script"), "{}", c.name);
        assert!(!c.svg.contains("<b>"), "{}", c.name);
        assert!(!c.svg.contains("& "), "{}: bare ampersand", c.name);
    }
}

fn render(lang: Lang) -> (tempfile::TempDir, ReportOutcome) {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = fixture::inputs(60, 2);
    inputs.queries.push(queries::QueryResult {
        file: "broken.sql".into(),
        title: "Broken <query>".into(),
        titles: Default::default(),
        audience: Audience::Leadership,
        chart: queries::QueryChart::Table,
        columns: vec![],
        numeric: Vec::new(),
        rows: vec![],
        total_rows: 0,
        series: vec![],
        value_column: String::new(),
        error: Some("SQL error: table <nope> not found".into()),
    });
    // a bar query with rows but no numeric column: shown as its table
    inputs.queries.push(queries::QueryResult {
        file: "names.sql".into(),
        title: "Names only".into(),
        titles: queries::QueryTitles {
            zh: Some("仅有名称".into()),
            en: None,
        },
        audience: Audience::Leadership,
        chart: queries::QueryChart::Bar,
        columns: vec!["account_id".into(), "name_col".into()],
        numeric: Vec::new(),
        rows: vec![vec!["A1".into(), "甲公司".into()]],
        total_rows: 1,
        series: vec![],
        value_column: String::new(),
        error: None,
    });
    let out = render_from_inputs(inputs, &cfg(), dir.path(), &[], lang).unwrap();
    (dir, out)
}

#[test]
fn a_bar_query_without_numbers_shows_its_table() {
    let (_dir, out) = render(Lang::En);
    let page = out
        .pages
        .iter()
        .find(|p| p.ends_with("leadership-appendix.html"))
        .unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    let at = html.find("Names only").expect("the query's heading");
    let section = &html[at..html[at..].find("</section>").map_or(html.len(), |e| at + e)];
    assert!(section.contains("<th>name_col</th>"), "{section}");
    assert!(
        section.contains("甲公司") && !section.contains("<svg"),
        "{section}"
    );
}

#[test]
fn pages_are_written_escaped_and_self_contained() {
    for lang in [Lang::Zh, Lang::En] {
        let (_dir, out) = render(lang);
        assert!(out.dir.ends_with("2026-09-30"));
        let names: Vec<String> = out
            .pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "strategy.html",
                "finance.html",
                "leadership.html",
                "leadership-appendix.html",
                "index.html"
            ]
        );
        assert!(out.charts.len() >= 11);
        assert_eq!(out.query_errors.len(), 1);
        // reported once, as a warning with its code
        let codes: Vec<&str> = out.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["MCR040"], "{:?}", out.warnings);
        assert!(out.warnings[0].message.contains("broken.sql"));
        for p in &out.pages {
            let html = std::fs::read_to_string(p).unwrap();
            let name = p.display();
            assert!(!html.contains("<script"), "{name}: raw script");
            if let Some(i) = html.find("??") {
                let ctx: String = html[i.saturating_sub(400)..].chars().take(500).collect();
                panic!("{name}: a missing label: …{ctx}…");
            }
            for bad in [
                "<link",
                "@import",
                "url(",
                " src=",
                "<img",
                "<iframe",
                "https://",
                "http://www.w3.org/1999",
            ] {
                assert!(!html.contains(bad), "{name}: external reference {bad}");
            }
            // Every http reference is an SVG namespace, not a fetch.
            for (i, _) in html.match_indices("http") {
                assert!(
                    html[i..].starts_with("http://www.w3.org/2000/svg"),
                    "{name}: {}",
                    &html[i..i + 40]
                );
            }
            for email in fixture::PLANTED_EMAILS {
                assert!(!html.contains(email), "{name}: contact email leaked");
            }
            assert!(
                !looks_like_email(&html),
                "{name}: something like an email address"
            );
            if !p.ends_with("index.html") {
                assert!(html.contains("2026"), "{name}");
            }
        }
        let strategy = std::fs::read_to_string(&out.pages[0]).unwrap();
        assert!(strategy.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(strategy.contains("Müller &amp; Söhne &lt;GmbH&gt;"));
        assert!(strategy.contains("华为技术有限公司"));
        // Leadership queries go to the appendix; the summary links to it.
        let leadership = std::fs::read_to_string(&out.pages[2]).unwrap();
        assert!(
            !leadership.contains("class=\"error\""),
            "query on the summary"
        );
        let names_title = if lang == Lang::Zh {
            "仅有名称"
        } else {
            "Names only"
        };
        assert!(!leadership.contains(names_title), "query on the summary");
        assert!(leadership.contains("href=\"leadership-appendix.html\""));
        let appendix = std::fs::read_to_string(&out.pages[3]).unwrap();
        assert!(
            appendix.contains("class=\"error\""),
            "failed query shown as an error box"
        );
        assert!(appendix.contains("table &lt;nope&gt; not found"));
        assert!(appendix.contains(names_title));
        assert!(appendix.contains("href=\"leadership.html\""));
        let index = std::fs::read_to_string(&out.pages[4]).unwrap();
        assert!(index.contains("href=\"leadership-appendix.html\""));
        let finance = std::fs::read_to_string(&out.pages[1]).unwrap();
        // Missing values show n/a with their reason, never a silent 0.
        let na = match lang {
            Lang::Zh => "不适用",
            Lang::En => "n/a",
        };
        assert!(finance.contains(na));
        if lang == Lang::Zh {
            assert!(strategy.contains("截至 2026年9月30日"));
            assert!(finance.contains("赫芬达尔指数"));
            assert!(finance.contains("洛伦兹曲线"));
        } else {
            assert!(strategy.contains("As of 30 Sep 2026"));
        }
        for c in &out.charts {
            let svg = std::fs::read_to_string(c).unwrap();
            assert!(svg.starts_with("<svg"), "{}", c.display());
            assert!(layout::check_svg(&svg).is_empty());
        }
    }
}

#[test]
fn query_titles_follow_the_page_language() {
    for (lang, shown, hidden) in [
        (Lang::Zh, "<h3>仅有名称</h3>", "<h3>Names only</h3>"),
        (Lang::En, "<h3>Names only</h3>", "<h3>仅有名称</h3>"),
    ] {
        let (_dir, out) = render(lang);
        let appendix = std::fs::read_to_string(&out.pages[3]).unwrap();
        assert!(appendix.contains(shown), "{lang:?}");
        assert!(!appendix.contains(hidden), "{lang:?}");
    }
}

/// The HTML of the `<table>` after `marker` (exclusive of what follows `</table>`).
fn table_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not found"));
    let start = at + html[at..].find("<table").unwrap();
    let end = start + html[start..].find("</table>").unwrap();
    &html[start..end]
}

#[test]
fn selection_list_keeps_names_whole() {
    for lang in [Lang::Zh, Lang::En] {
        let (_dir, out) = render(lang);
        let html = std::fs::read_to_string(&out.pages[0]).unwrap();
        let title = i18n::t(lang, "customer_selection_note");
        let table = table_after(&html, title);
        // the table scrolls sideways on screen instead of squeezing its columns
        let before = &html[..html.find(table).unwrap()];
        assert!(
            before.trim_end().ends_with("<div class=\"table-wrap\">"),
            "{lang:?}"
        );
        // the account column is a name column, in the header and in every row
        assert!(table.contains(&format!(
            "<th class=\"name\">{}</th>",
            i18n::t(lang, "account")
        )));
        let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
        assert!(rows.len() >= 5, "{lang:?}: {} rows", rows.len());
        for r in &rows {
            let second = r.split("<td").nth(2).unwrap_or_default();
            assert!(second.starts_with(" class=\"name\">"), "{lang:?}: {r}");
        }
        // the stylesheet: names keep a minimum width; no cell breaks inside a word (the
        // `overflow-wrap: anywhere` that split "Custom/er" is gone); wide tables scroll
        let css = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
        let rule = |sel: &str| {
            let at = css
                .find(&format!("\n{sel} {{"))
                .unwrap_or_else(|| panic!("no rule {sel}"));
            &css[at..at + css[at..].find('}').unwrap()]
        };
        let names = rule("td.name, th.name");
        assert!(
            names.contains("white-space: nowrap") && names.contains("min-width"),
            "{names}"
        );
        let cells = rule("th, td");
        assert!(cells.contains("word-break: keep-all"), "{cells}");
        assert!(!cells.contains("anywhere"), "{cells}");
        assert!(rule(".table-wrap").contains("overflow-x: auto"), "{css}");
    }
}

#[test]
fn leadership_risk_reads_as_a_sentence() {
    let (_dir, out) = render(Lang::En);
    let html = std::fs::read_to_string(&out.pages[2]).unwrap();
    assert!(html.contains("% of revenue)"), "share phrase");
    assert!(
        !html.contains("Share of revenue)"),
        "a capital mid-sentence"
    );
}

#[test]
fn rows_pointing_to_no_account_and_source_conflicts_are_on_every_page() {
    for (lang, orphan_text, share_text, conflict_text) in [
        (
            Lang::En,
            "7,383 rows point to no account",
            "(25.0% of revenue in the window)",
            "3 keys are delivered differently by several sources (north &gt; south)",
        ),
        (
            Lang::Zh,
            "7,383 行指向不存在的客户",
            "占统计窗口收入的 25.0%",
            "3 个键在多个来源中的记录不一致",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = fixture::inputs(30, 1);
        let total = inputs.summary.headline.revenue_12m_total;
        let dq = &mut inputs.summary.data_quality;
        dq.orphans.insert("revenue".into(), 7383);
        // orphan / (orphan + total) = 25 %: orphan = total / 3.
        dq.orphan_revenue_12m = total / 3.0;
        dq.source_conflicts
            .push(crate::contract::summary::SourceConflict {
                table: "employees".into(),
                shared_keys: 30,
                conflicting_keys: 3,
                examples: vec!["E1".into()],
                sources: vec!["north".into(), "south".into()],
            });
        let out = render_from_inputs(inputs, &cfg(), dir.path(), &[], lang).unwrap();
        for page in out.pages.iter().filter(|p| !p.ends_with("index.html")) {
            let html = std::fs::read_to_string(page).unwrap();
            assert!(html.contains(orphan_text), "{page:?}");
            assert!(html.contains(share_text), "{page:?}");
            assert!(html.contains(conflict_text), "{page:?}");
        }
    }
}

#[test]
fn audience_subset() {
    let dir = tempfile::tempdir().unwrap();
    let out = render_from_inputs(
        fixture::inputs(30, 1),
        &cfg(),
        dir.path(),
        &[Audience::Finance],
        Lang::En,
    )
    .unwrap();
    assert_eq!(out.pages.len(), 2);
    assert!(out.charts.iter().all(|c| !c.ends_with("quadrant.svg")));
}

/// A crude email detector: `x@y.z` with word characters around.
fn looks_like_email(s: &str) -> bool {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c != b'@' || i == 0 {
            continue;
        }
        let before = b[i - 1].is_ascii_alphanumeric();
        let after = &s[i + 1..];
        let domain: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        if before && domain.contains('.') && !domain.ends_with('.') {
            return true;
        }
    }
    false
}

#[test]
fn dynamic_label_keys_exist() {
    for a in Audience::ALL {
        assert!(i18n::has(&format!("audience_{}", a.name())));
    }
    for k in ["S", "A", "B", "C", "none"] {
        assert!(i18n::has(&format!("tier_{k}")));
    }
    for k in ["defend", "invest", "grow", "maintain"] {
        assert!(i18n::has(&format!("quadrant_{k}")));
    }
    for k in ["red", "amber", "green"] {
        assert!(i18n::has(&format!("dc_{k}")) && i18n::has(&format!("dc_{k}_short")));
    }
    for k in ["unconcentrated", "moderate", "high"] {
        assert!(i18n::has(&format!("band_{k}")));
    }
    for k in ["single_threaded", "opposition", "invest"] {
        assert!(i18n::has(&format!("risk_kind_{k}")));
    }
    for k in ["account", "group"] {
        assert!(i18n::has(&format!("level_{k}")));
    }
    for k in [
        "top1_share",
        "top5_share",
        "top10_share",
        "top20pct_share",
        "accounts_for_80pct",
        "owner_hhi",
        "single_threaded_revenue_share",
        "hhi",
        "gini",
    ] {
        assert!(i18n::has(k), "{k}");
    }
}
