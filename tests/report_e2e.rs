//! Reports as users see them: a generated export (HTML-special and CJK names included) run
//! through `mcr ingest`, `mcr analyze` and `mcr report` in both languages; every page opened in
//! headless Chromium (screenshot + print to PDF) to check the result is not blank and the
//! leadership page fits one A4 sheet, and the figures of the metric tables found on the pages
//! as formatted. Chromium is found as the product finds it
//! ([`mcr::report::browser::find_chromium`]); when there is none the browser checks fail under
//! `CI=true` and are skipped with a notice elsewhere ([`crate::common::absent`]).
//! Set `MCR_SCREENSHOT_DIR` to keep the screenshots and PDFs for inspection.

use std::path::{Path, PathBuf};
use std::process::Command;

use mcr::contract::Lang;
use mcr::report::{browser, layout};

use crate::common::{absent, run_in, stderr};

/// The browser the product would use; [`absent`] when there is none.
fn find_chromium() -> Option<PathBuf> {
    let found = browser::find_chromium();
    if found.is_none() {
        absent("Chromium ($MCR_CHROMIUM, or chromium, chromium-browser, google-chrome on PATH)");
    }
    found
}

fn chromium(args: &[String], profile: &Path) -> bool {
    let exe = browser::find_chromium().expect("Chromium");
    let mut cmd = Command::new(exe);
    cmd.args(browser::headless_args(profile))
        .arg("--hide-scrollbars")
        .args(args);
    match cmd.output() {
        Ok(o) => o.status.success(),
        Err(e) => {
            eprintln!("chromium failed to start: {e}");
            false
        }
    }
}

/// (width, height, share of non-white pixels, distinct colours (coarse)).
fn png_stats(path: &Path) -> (u32, u32, f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let ch = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        png::ColorType::GrayscaleAlpha => 2,
        _ => 1,
    };
    let mut ink = 0usize;
    let mut colours = std::collections::HashSet::new();
    let px = bytes.len() / ch;
    for p in bytes.chunks(ch) {
        let rgb = if ch >= 3 {
            (p[0], p[1], p[2])
        } else {
            (p[0], p[0], p[0])
        };
        if rgb.0 < 235 || rgb.1 < 235 || rgb.2 < 235 {
            ink += 1;
        }
        colours.insert((rgb.0 >> 4, rgb.1 >> 4, rgb.2 >> 4));
    }
    (
        info.width,
        info.height,
        ink as f64 / px.max(1) as f64,
        colours.len(),
    )
}

fn pdf_pages(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_default();
    let s = String::from_utf8_lossy(&bytes);
    s.match_indices("/Type /Page")
        .filter(|(i, _)| !s[i + 11..].starts_with('s'))
        .count()
        + s.match_indices("/Type/Page")
            .filter(|(i, _)| !s[i + 10..].starts_with('s'))
            .count()
}

/// What `mcr report --json` wrote.
struct Written {
    pages: Vec<PathBuf>,
    charts: Vec<PathBuf>,
}

/// Generate a 150-account messy export in `root`, ingest and analyze it, and report it in
/// `lang` with the binary (`--json`: the pages and charts written).
fn analyzed_reports(root: &Path, lang: &str) -> Written {
    std::fs::create_dir_all(root).unwrap();
    let run = |args: &[&str]| {
        let o = run_in(root, args);
        assert!(o.status.success(), "mcr {args:?}: {}", stderr(&o));
        o
    };
    run(&[
        "generate",
        "--accounts",
        "150",
        "--seed",
        "9",
        "--messy",
        "--out",
        "data",
        "--quiet",
    ]);
    run(&["ingest", "data", "--quiet"]);
    run(&["analyze", "--quiet"]);
    let o = run(&["report", "--lang", lang, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let paths = |k: &str| -> Vec<PathBuf> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|p| root.join(p.as_str().unwrap()))
            .collect()
    };
    Written {
        pages: paths("pages"),
        charts: paths("charts"),
    }
}

#[test]
fn report_pages_render_in_chromium() {
    let out_root = tempfile::tempdir().unwrap();
    let keep: Option<PathBuf> = std::env::var_os("MCR_SCREENSHOT_DIR").map(PathBuf::from);
    let have_chromium = find_chromium().is_some();
    for tag in ["zh", "en"] {
        let root = match &keep {
            Some(k) => k.join(tag).join("reports"),
            None => out_root.path().join(tag),
        };
        let outcome = analyzed_reports(&root, tag);
        // Geometry: every chart's labels inside the canvas and non-overlapping.
        for c in &outcome.charts {
            let svg = std::fs::read_to_string(c).unwrap();
            let problems = layout::check_svg(&svg);
            assert!(problems.is_empty(), "{}: {problems:#?}", c.display());
        }
        if !have_chromium {
            continue;
        }
        let shots = keep
            .clone()
            .map(|k| k.join(tag))
            .unwrap_or_else(|| root.join("shots"));
        std::fs::create_dir_all(&shots).unwrap();
        for page in &outcome.pages {
            let stem = page.file_stem().unwrap().to_string_lossy().to_string();
            let profile = tempfile::tempdir().unwrap();
            let png_path = shots.join(format!("{stem}.png"));
            let url = format!("file://{}", page.display());
            assert!(
                chromium(
                    &[
                        format!("--screenshot={}", png_path.display()),
                        "--window-size=1240,1754".into(),
                        url.clone()
                    ],
                    profile.path()
                ),
                "chromium screenshot of {stem} failed"
            );
            let (w, h, ink, colours) = png_stats(&png_path);
            eprintln!(
                "{tag}/{stem}: {w}×{h}, ink {:.1}%, {colours} colours",
                ink * 100.0
            );
            assert_eq!((w, h), (1240, 1754));
            let min_ink = if stem == "index" { 0.002 } else { 0.02 };
            assert!(
                ink > min_ink,
                "{tag}/{stem} looks blank ({:.2}% ink)",
                ink * 100.0
            );
            if stem != "index" {
                assert!(
                    colours > 8,
                    "{tag}/{stem}: no charts or colour ({colours} colours)"
                );
            }
            let pdf = shots.join(format!("{stem}.pdf"));
            let profile = tempfile::tempdir().unwrap();
            assert!(
                chromium(
                    &[
                        format!("--print-to-pdf={}", pdf.display()),
                        "--no-pdf-header-footer".into(),
                        url
                    ],
                    profile.path()
                ),
                "chromium print of {stem} failed"
            );
            let pages = pdf_pages(&pdf);
            eprintln!("{tag}/{stem}.pdf: {pages} A4 pages");
            assert!(pages >= 1, "{tag}/{stem}: empty PDF");
            if stem == "leadership" {
                assert_eq!(pages, 1, "{tag}: the leadership report must fit one page");
            }
        }
    }
}

/// Print `page` to PDF with headless Chromium and count its A4 pages.
fn print_pages(page: &Path, pdf: &Path) -> usize {
    let profile = tempfile::tempdir().unwrap();
    assert!(
        chromium(
            &[
                format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer".into(),
                format!("file://{}", page.display()),
            ],
            profile.path()
        ),
        "chromium print of {} failed",
        page.display()
    );
    pdf_pages(pdf)
}

/// The first impression: the sample made by the bundled sample's generator command, ingested,
/// analyzed and reported with the bundled `queries/` in both languages. The leadership page
/// prints on one A4 sheet (checked in headless Chromium, see the module doc), and the bundled
/// leadership queries are on the appendix page, titled in the page's language.
#[test]
fn sample_leadership_page_prints_on_one_sheet() {
    use crate::common::{repo, run_in, stderr};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let o = run_in(d, args);
        assert!(o.status.success(), "mcr {args:?}: {}", stderr(&o));
    };
    run(&[
        "generate",
        "--accounts",
        "300",
        "--seed",
        "42",
        "--years",
        "3",
        "--end",
        "2026-09-30",
        "--messy",
        "--out",
        "data",
    ]);
    std::fs::create_dir_all(d.join("queries")).unwrap();
    for e in std::fs::read_dir(repo().join("queries")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join("queries").join(p.file_name().unwrap())).unwrap();
    }
    run(&["ingest", "data", "--quiet"]);
    run(&["analyze", "--quiet"]);
    let have_chromium = find_chromium().is_some();
    let keep: Option<PathBuf> = std::env::var_os("MCR_SCREENSHOT_DIR").map(PathBuf::from);
    for (lang, titles) in [
        (
            "zh",
            ["S/A 客户的铁三角缺口", "单线联系的 S/A 客户及其收入"],
        ),
        (
            "en",
            [
                "Iron-triangle gaps of S/A accounts",
                "Single-threaded S/A accounts and their revenue",
            ],
        ),
    ] {
        run(&["report", "--lang", lang, "--quiet"]);
        let reports = std::fs::read_dir(d.join("reports"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let leadership = reports.join("leadership.html");
        // (the HTML escaper writes `/` as `&#x2f;`)
        let html = std::fs::read_to_string(&leadership)
            .unwrap()
            .replace("&#x2f;", "/");
        assert!(html.contains("href=\"leadership-appendix.html\""), "{lang}");
        let appendix = std::fs::read_to_string(reports.join("leadership-appendix.html"))
            .unwrap()
            .replace("&#x2f;", "/");
        for t in titles {
            assert!(!html.contains(t), "{lang}: {t} on the summary");
            assert!(appendix.contains(t), "{lang}: {t} not in the appendix");
        }
        if !have_chromium {
            continue;
        }
        let out = keep
            .as_ref()
            .map(|k| k.join("sample").join(lang))
            .unwrap_or_else(|| d.join("pdf").join(lang));
        std::fs::create_dir_all(&out).unwrap();
        let pages = print_pages(&leadership, &out.join("leadership.pdf"));
        eprintln!("sample {lang}/leadership.pdf: {pages} A4 pages");
        assert_eq!(
            pages, 1,
            "{lang}: the sample's leadership page must fit one A4 sheet"
        );
        let pages = print_pages(
            &reports.join("leadership-appendix.html"),
            &out.join("leadership-appendix.pdf"),
        );
        assert!(pages >= 1, "{lang}: empty appendix PDF");
    }
}

/// Text as the pages' HTML escaper writes it.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// One metric table of the lake at `root`, read as analyze wrote it.
fn metric_table(root: &Path, name: &str) -> polars::prelude::DataFrame {
    let lake = mcr::lake::Lake::open(root.join("lake"));
    let as_of = *lake.metric_as_ofs().unwrap().last().unwrap();
    lake.scan_metric(as_of, name)
        .unwrap()
        .unwrap()
        .collect()
        .unwrap()
}

/// ingest → analyze → report through the binary on a generated export: figures read from the
/// metric tables are on the pages, formatted as the pages format them.
#[test]
fn metric_table_figures_appear_on_the_pages() {
    use mcr::contract::metric_tables::{accounts, concentration, employees};
    use mcr::report::i18n;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let written = analyzed_reports(root, "en");
    let page = |stem: &str| -> String {
        let p = written
            .pages
            .iter()
            .find(|p| p.file_stem().unwrap() == stem)
            .unwrap_or_else(|| panic!("no {stem} page"));
        std::fs::read_to_string(p).unwrap()
    };
    let (strategy, finance, leadership) = (page("strategy"), page("finance"), page("leadership"));

    // concentration: account-level HHI and top-10 share (dimension all)
    let conc = metric_table(root, "concentration");
    let (level, dim, metric, value) = (
        concentration::LEVEL.strs(&conc).unwrap(),
        concentration::DIMENSION.strs(&conc).unwrap(),
        concentration::METRIC.strs(&conc).unwrap(),
        concentration::VALUE.f64s(&conc).unwrap(),
    );
    let figure = |m: &str| -> f64 {
        (0..conc.height())
            .find(|&i| {
                level[i].as_deref() == Some("account")
                    && dim[i].as_deref() == Some("all")
                    && metric[i].as_deref() == Some(m)
            })
            .and_then(|i| value[i])
            .unwrap_or_else(|| panic!("no account-level {m}"))
    };
    let hhi = i18n::thousands(figure("hhi"));
    let top10 = i18n::pct(figure("top10_share"));
    assert!(finance.contains(&hhi), "HHI {hhi} not on the finance page");
    assert!(
        leadership.contains(&hhi),
        "HHI {hhi} not on the leadership page"
    );
    assert!(
        finance.contains(&top10),
        "top-10 share {top10} not on the finance page"
    );

    // accounts: the number of S-tier accounts in the tier table, the top customer's name
    let acc = metric_table(root, "accounts");
    let tiers = accounts::TIER.strs(&acc).unwrap();
    let n_s = tiers.iter().filter(|t| t.as_deref() == Some("S")).count();
    assert!(n_s > 0);
    let row = format!(
        "<tr><td>{}</td><td class=\"num\">{}</td>",
        escape_html(i18n::t(Lang::En, "tier_S")),
        i18n::thousands(n_s as f64)
    );
    assert!(
        strategy.contains(&row),
        "tier row {row} not on the strategy page"
    );
    let revenue = accounts::REVENUE_12M.f64s(&acc).unwrap();
    let names = accounts::NAME.strs(&acc).unwrap();
    let top = (0..acc.height())
        .max_by(|&a, &b| {
            revenue[a]
                .unwrap_or(0.0)
                .total_cmp(&revenue[b].unwrap_or(0.0))
        })
        .unwrap();
    let name = escape_html(names[top].as_deref().unwrap());
    assert!(
        finance.contains(&name),
        "top customer {name} not on the finance page"
    );

    // employees: the largest revenue at risk (held by one employee alone)
    let emp = metric_table(root, "employees");
    let sole = employees::SOLE_HOLDER_REVENUE.f64s(&emp).unwrap();
    let at_risk = sole.iter().flatten().copied().fold(0.0, f64::max);
    assert!(at_risk > 0.0);
    let at_risk = i18n::money(Lang::En, at_risk);
    assert!(
        finance.contains(&at_risk),
        "revenue at risk {at_risk} not on the finance page"
    );
}

/// When analyze stops writing a column the report reads, the report fails and says which table
/// and column (instead of pages full of "n/a").
#[test]
fn report_names_a_column_missing_from_a_metric_table() {
    use polars::prelude::{ParquetReader, ParquetWriter, SerReader};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    analyzed_reports(root, "en");
    let metrics = root.join("lake").join("metrics");
    let as_of_dir = std::fs::read_dir(&metrics)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("as_of=")
        })
        .unwrap();
    let file = as_of_dir.join("accounts.parquet");
    let df = ParquetReader::new(std::fs::File::open(&file).unwrap())
        .finish()
        .unwrap();
    let mut df = df.drop("decision_chain_status").unwrap();
    ParquetWriter::new(std::fs::File::create(&file).unwrap())
        .finish(&mut df)
        .unwrap();
    let o = run_in(root, &["report", "--lang", "en"]);
    assert!(!o.status.success(), "the report ignored the missing column");
    let err = stderr(&o);
    assert!(
        err.contains("metric table `accounts` has no column `decision_chain_status`"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}

/// A failing custom query is one warning with its code (MCR040) on stderr, none with
/// `--quiet`, and part of the JSON summary (not stderr) with `--json`; the reports are written.
#[test]
fn failing_query_is_one_coded_warning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    analyzed_reports(root, "en");
    std::fs::create_dir_all(root.join("queries")).unwrap();
    std::fs::write(
        root.join("queries").join("broken.sql"),
        "-- title: Broken\nSELECT * FROM no_such_table\n",
    )
    .unwrap();
    let o = run_in(root, &["report", "--lang", "en"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("broken.sql").count(), 1, "{err}");
    assert_eq!(err.matches("warning[MCR040]").count(), 1, "{err}");
    let o = run_in(root, &["report", "--lang", "en", "--quiet"]);
    assert!(!stderr(&o).contains("MCR040"), "{}", stderr(&o));
    let o = run_in(root, &["report", "--lang", "en", "--json"]);
    assert!(!stderr(&o).contains("MCR040"), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{v}");
    assert_eq!(warnings[0]["code"], "MCR040");
    assert!(warnings[0]["message"]
        .as_str()
        .unwrap()
        .contains("broken.sql"));
}

/// An earlier report whose accounts table cannot be read does not stop the report: warning
/// MCR041 names the table and column, and tier moves are shown against `tier_prev`.
#[test]
fn unreadable_previous_report_is_a_coded_warning() {
    use polars::prelude::{ParquetReader, ParquetWriter, SerReader};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    analyzed_reports(root, "en");
    let o = run_in(root, &["analyze", "--as-of", "2026-06-30", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = root
        .join("lake")
        .join("metrics")
        .join("as_of=2026-06-30")
        .join("accounts.parquet");
    let df = ParquetReader::new(std::fs::File::open(&file).unwrap())
        .finish()
        .unwrap();
    let mut df = df.drop("tier").unwrap();
    ParquetWriter::new(std::fs::File::create(&file).unwrap())
        .finish(&mut df)
        .unwrap();
    let o = run_in(root, &["report", "--lang", "en"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("warning[MCR041]").count(), 1, "{err}");
    assert!(
        err.contains("metric table `accounts` has no column `tier`"),
        "{err}"
    );
    let o = run_in(root, &["report", "--lang", "en", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["warnings"][0]["code"], "MCR041", "{v}");
}
