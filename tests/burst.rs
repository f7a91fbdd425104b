//! `mcr report --burst`: every burst folder holds only its book's customers, and its figures
//! are the metrics over that book — checked against an independent SQL computation over the
//! ingested revenue rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::common::{lake_rows, run_in, stderr, stdout};

/// Generate, ingest and analyze an export of `accounts` accounts in `d`.
fn analyzed(d: &Path, accounts: &str) {
    for args in [
        &[
            "generate",
            "--accounts",
            accounts,
            "--seed",
            "5",
            "--years",
            "3",
            "--end",
            "2026-09-30",
            "--out",
            "data",
        ][..],
        &["ingest", "data", "--quiet"],
        &["analyze", "--quiet"],
    ] {
        let o = run_in(d, args);
        assert!(o.status.success(), "mcr {args:?}: {}", stderr(&o));
    }
}

/// `<d>/reports/<as_of>/`, the one report folder.
fn reports_dir(d: &Path) -> PathBuf {
    std::fs::read_dir(d.join("reports"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// Every file under `dir`, as text (lossy).
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                out.push((p, text));
            }
        }
    }
    out
}

/// How a name can appear in a file: as is (CSV, JSON), HTML-escaped (pages, SVG).
fn spellings(name: &str) -> Vec<String> {
    let html = name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;");
    let mut v = vec![name.to_string(), html];
    v.dedup();
    v
}

fn csv_rows(p: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(p).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            h.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn hhi(values: &[f64]) -> f64 {
    let pos: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    let total: f64 = pos.iter().sum();
    pos.iter().map(|v| (v / total).powi(2)).sum::<f64>() * 10_000.0
}

#[test]
fn owner_bursts_hold_only_their_accounts_and_their_own_hhi() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    analyzed(d, "240");
    let o = run_in(d, &["report", "--burst", "owner", "--lang", "en"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reports = reports_dir(d);
    let index = reports.join("bursts.csv");
    assert!(stdout(&o).contains("bursts.csv"), "{}", stdout(&o));
    let bursts = csv_rows(&index);
    assert!(bursts.len() > 5, "{} bursts", bursts.len());

    // Accounts and owners as ingested.
    let mut owner_of: HashMap<String, String> = HashMap::new();
    let mut names_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in lake_rows(
        d,
        "SELECT account_id, owner_id, name FROM accounts WHERE owner_id IS NOT NULL",
    ) {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        owner_of.insert(rec[0].to_string(), rec[1].to_string());
        names_of
            .entry(rec[1].to_string())
            .or_default()
            .insert(rec[2].to_string());
    }
    let owners_with_accounts: BTreeSet<&String> = names_of.keys().collect();
    let burst_owners: BTreeSet<&String> = bursts.iter().map(|b| &b["key"]).collect();
    assert_eq!(
        burst_owners, owners_with_accounts,
        "one burst per owner with accounts"
    );

    // The 12-month window of the analysis, from its summary.
    let summary_path = std::fs::read_dir(d.join("lake").join("metrics"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("summary.json"))
        .find(|p| p.is_file())
        .unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(summary_path).unwrap()).unwrap();
    let (first, last) = (
        summary["window_12m"][0].as_str().unwrap().to_string(),
        summary["window_12m"][1].as_str().unwrap().to_string(),
    );
    let currencies = lake_rows(d, "SELECT DISTINCT currency FROM revenue");
    assert_eq!(
        currencies,
        ["CNY"],
        "the independent sum below adds amounts as they are"
    );
    // revenue_12m per account, independently: SQL over the ingested revenue rows.
    let mut revenue: HashMap<String, f64> = HashMap::new();
    for row in lake_rows(
        d,
        &format!(
            "SELECT account_id, SUM(amount) FROM revenue WHERE date >= DATE '{first}' AND date <= DATE '{last}' GROUP BY account_id"
        ),
    ) {
        let (id, v) = row.split_once(',').unwrap();
        revenue.insert(id.to_string(), v.parse().unwrap());
    }

    let mut checked_hhi = 0;
    for b in &bursts {
        let owner = &b["key"];
        let folder = reports.join(&b["folder"]);
        assert!(
            folder.join("leadership.html").is_file(),
            "{}",
            folder.display()
        );
        assert!(folder.join("strategy.html").is_file());
        assert!(folder.join("finance.html").is_file());
        // No other owner's account name in any file of the burst (names another owner shares
        // with this one's accounts excepted: they are this owner's too).
        let own = &names_of[owner];
        let others: BTreeSet<&String> = names_of
            .iter()
            .filter(|(o, _)| *o != owner)
            .flat_map(|(_, n)| n)
            .filter(|n| !own.iter().any(|m| m.contains(n.as_str())))
            .collect();
        for (p, text) in files(&folder) {
            for n in &others {
                for s in spellings(n) {
                    assert!(
                        !text.contains(&s),
                        "{}: holds {s:?}, an account of another owner",
                        p.display()
                    );
                }
            }
        }
        // Its accounts CSV holds exactly the owner's accounts.
        let accs = csv_rows(&folder.join("data").join("accounts.csv"));
        let ids: BTreeSet<&String> = accs.iter().map(|r| &r["account_id"]).collect();
        let expected: BTreeSet<&String> = owner_of
            .iter()
            .filter(|(_, o)| *o == owner)
            .map(|(a, _)| a)
            .collect();
        assert_eq!(ids, expected, "{owner}");
        assert_eq!(b["accounts"].parse::<usize>().unwrap(), expected.len());
        // Its HHI equals the one over the owner's revenue rows.
        let values: Vec<f64> = expected
            .iter()
            .map(|a| revenue.get(*a).copied().unwrap_or(0.0))
            .collect();
        let conc = csv_rows(&folder.join("data").join("concentration.csv"));
        let burst_hhi = conc
            .iter()
            .find(|r| r["level"] == "account" && r["dimension"] == "all" && r["metric"] == "hhi")
            .map(|r| r["value"].parse::<f64>().unwrap());
        if values.iter().any(|v| *v > 0.0) {
            let want = hhi(&values);
            let got = burst_hhi.unwrap_or_else(|| panic!("{owner}: no HHI"));
            assert!(
                (got - want).abs() < 1e-6 * want.max(1.0),
                "{owner}: HHI {got} vs {want}"
            );
            let rev: f64 = values.iter().filter(|v| **v > 0.0).sum();
            let got_rev: f64 = b["revenue_12m"].parse().unwrap();
            assert!(
                (got_rev - rev).abs() < 1e-6 * rev.max(1.0),
                "{owner}: revenue"
            );
            checked_hhi += 1;
        } else {
            assert_eq!(burst_hhi, None, "{owner}: HHI without revenue");
        }
    }
    assert!(checked_hhi > 5, "only {checked_hhi} owners with revenue");
}

#[test]
fn region_bursts_name_safe_folders_and_the_scope() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    analyzed(d, "120");
    let o = run_in(d, &["report", "--burst", "region", "--lang", "zh"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reports = reports_dir(d);
    let bursts = csv_rows(&reports.join("bursts.csv"));
    assert!(!bursts.is_empty());
    for b in &bursts {
        assert_eq!(b["kind"], "region");
        assert!(b["folder"].starts_with("by-region/"), "{}", b["folder"]);
        assert!(!b["folder"].contains(".."));
        let page =
            std::fs::read_to_string(reports.join(&b["folder"]).join("leadership.html")).unwrap();
        assert!(
            page.contains(&format!("仅 {} 区域", b["key"])),
            "scope line of {}",
            b["key"]
        );
    }
}

/// `--pdf` prints every page, and the leadership page — trend chart included — is one A4 sheet
/// in both languages, for the full report and a burst. Without a browser the HTML pages are
/// still written and the error says how to install one.
#[test]
fn pdf_leadership_is_one_sheet_and_missing_chromium_is_explained() {
    use mcr::report::pdf;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    analyzed(d, "300");
    // No browser: PATH without one, MCR_CHROMIUM unset.
    let o = crate::common::mcr()
        .current_dir(d)
        .env("PATH", "/nonexistent")
        .env_remove("MCR_CHROMIUM")
        .args(["report", "--pdf", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("no Chromium found") && err.contains("apt-get install chromium"),
        "{err}"
    );
    let reports = reports_dir(d);
    assert!(
        reports.join("leadership.html").is_file(),
        "HTML written first"
    );
    if pdf::find_chromium().is_none() {
        crate::common::absent("Chromium (chromium, chromium-browser or google-chrome on PATH)");
        return;
    }
    for lang in ["zh", "en"] {
        let o = run_in(d, &["report", "--pdf", "--burst", "region", "--lang", lang]);
        assert!(o.status.success(), "{lang}: {}", stderr(&o));
        for page in ["strategy", "finance", "leadership"] {
            let p = reports.join(format!("{page}.pdf"));
            assert!(
                pdf::page_count(&std::fs::read(&p).unwrap()) >= 1,
                "{}",
                p.display()
            );
        }
        let mut sheets = vec![reports.join("leadership.pdf")];
        for b in csv_rows(&reports.join("bursts.csv")) {
            sheets.push(reports.join(&b["folder"]).join("leadership.pdf"));
        }
        for p in sheets {
            let n = pdf::page_count(&std::fs::read(&p).unwrap());
            assert_eq!(n, 1, "{lang}: {} has {n} pages", p.display());
        }
    }
}
