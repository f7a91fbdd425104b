//! Exports as users have them (issue 10): name-keyed UI exports, key-less invoice-line
//! exports with no accounts file, computed columns, excluded rows and optional tables that
//! cannot be mapped. Fixtures are small, invented, in each vendor's header spelling.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

fn workdir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcr.toml"),
        format!("reporting_currency = \"USD\"\n{extra}"),
    )
    .unwrap();
    dir
}

fn fx(p: &str) -> PathBuf {
    fixture(&format!("profiles/{p}"))
}

/// `mcr ingest` with `--json`: (success, report, stderr).
fn ingest(dir: &Path, profile: &str, sources: &[&Path], extra: &[&str]) -> (bool, Value, String) {
    let mut args = vec!["ingest".to_string()];
    args.extend(sources.iter().map(|s| s.to_str().unwrap().to_string()));
    for a in ["--profile", profile, "--lake", "lake", "--json"] {
        args.push(a.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = mcr().current_dir(dir).args(&args).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.success(), v, stderr(&o))
}

/// (read, accepted, rejected, excluded) of the file whose path ends with `name`; checks
/// read = accepted + rejected + excluded.
fn counts(v: &Value, name: &str) -> (u64, u64, u64, u64) {
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name) && f["encoding"] != "derived")
        .unwrap_or_else(|| panic!("no file {name} in {v:#}"));
    let n = |k: &str| f[k].as_u64().unwrap_or(0);
    let c = (n("rows_read"), n("accepted"), n("rejected"), n("excluded"));
    assert_eq!(
        c.0,
        c.1 + c.2 + c.3,
        "{name}: read = accepted + rejected + excluded"
    );
    c
}

fn diag_messages(v: &Value, code: &str) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect()
}

fn query(dir: &Path, sql: &str) -> Vec<String> {
    let o = run_in(
        dir,
        &["query", sql, "--format", "csv", "--lake", "lake", "-q"],
    );
    assert!(o.status.success(), "{sql}: {}", stderr(&o));
    stdout(&o)
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn one(dir: &Path, sql: &str) -> String {
    query(dir, sql).join("\n")
}

fn analyze(dir: &Path) {
    let o = run_in(dir, &["analyze", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "analyze: {}", stderr(&o));
}

/// The account-level figure `metric` of the concentration table written by analyze.
fn concentration(dir: &Path, metric: &str) -> f64 {
    one(
        dir,
        &format!("SELECT value FROM metrics_concentration WHERE level = 'account' AND dimension = 'all' AND metric = '{metric}'"),
    )
    .parse()
    .unwrap()
}

/// Per customer, Σ Quantity × UnitPrice over the lines with a customer, credit notes (`C…`)
/// negative: the straightforward computation the ingest must agree with.
fn invoice_totals(path: &Path) -> (BTreeMap<String, f64>, usize, usize) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut with, mut without) = (0, 0);
    let mut totals = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let cust = r[6].trim();
        if cust.is_empty() {
            without += 1;
            continue;
        }
        with += 1;
        let mut amount = r[3].parse::<f64>().unwrap() * r[5].parse::<f64>().unwrap();
        if r[0].starts_with('C') {
            amount = -amount.abs();
        }
        *totals.entry(cust.to_string()).or_insert(0.0) += amount;
    }
    (totals, with, without)
}

#[test]
fn invoice_lines_alone_ingest_with_row_keys_credit_notes_and_derived_accounts() {
    let dir = workdir("as_of = \"2011-12-31\"\n");
    let d = dir.path();
    let src = fx("invoice_lines");
    let file = src.join("Online Retail.csv");
    let (totals, with, without) = invoice_totals(&file);
    assert_eq!((with, without), (106, 3));
    let (ok, v, err) = ingest(d, "invoice_lines", &[&src], &[]);
    assert!(ok, "{err}");
    // Every line with a customer is accepted: repeated identical lines are not duplicates.
    assert_eq!(counts(&v, "Online Retail.csv"), (109, 106, 3, 0));
    let reasons: Vec<&str> = v["files"][1]["reject_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        vec!["required account_id is empty (CustomerID)"; 3]
    );
    // Accounts: the distinct customers, with their country.
    assert_eq!(v["files"][0]["table"], "accounts");
    assert_eq!(
        v["files"][0]["accepted"].as_u64(),
        Some(totals.len() as u64)
    );
    assert_eq!(diag_messages(&v, "MCR025").len(), 1);
    assert_eq!(
        one(d, "SELECT country FROM accounts WHERE account_id = '12583'"),
        "France"
    );
    assert_eq!(
        one(
            d,
            "SELECT count(*), count(DISTINCT document_id) FROM revenue"
        ),
        "106,106"
    );
    // Amounts: Quantity × UnitPrice, credit notes negative.
    let expected: f64 = totals.values().sum();
    let got: f64 = one(d, "SELECT sum(amount) FROM revenue").parse().unwrap();
    assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    // 3 credit notes and a credit line repeated twice (C…, negative quantity).
    assert_eq!(one(d, "SELECT count(*) FROM revenue WHERE amount < 0"), "5");
    // The same file ingested again into another lake gives the same keys.
    let keys = query(d, "SELECT document_id FROM revenue ORDER BY document_id");
    let dir2 = workdir("as_of = \"2011-12-31\"\n");
    let (ok, _, err) = ingest(dir2.path(), "invoice_lines", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(
        keys,
        query(
            dir2.path(),
            "SELECT document_id FROM revenue ORDER BY document_id"
        )
    );
    // Identical lines differ only by their occurrence number.
    assert_eq!(
        one(
            d,
            "SELECT count(DISTINCT split_part(document_id, '-', 1)) < count(*) FROM revenue"
        ),
        "true"
    );
    // Analyze runs on the invoice lines alone; concentration equals the direct computation.
    analyze(d);
    let r: Vec<f64> = totals.values().copied().filter(|x| *x > 0.0).collect();
    let sum: f64 = r.iter().sum();
    let hhi: f64 = 10_000.0 * r.iter().map(|x| (x / sum).powi(2)).sum::<f64>();
    let top1 = r.iter().cloned().fold(0.0, f64::max) / sum;
    let got_hhi = concentration(d, "hhi");
    let got_top1 = concentration(d, "top1_share");
    assert!((got_hhi - hhi).abs() / hhi < 0.01, "hhi {got_hhi} vs {hhi}");
    assert!(
        (got_top1 - top1).abs() / top1 < 0.01,
        "top1 {got_top1} vs {top1}"
    );
}
