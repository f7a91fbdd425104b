//! The reporting currency without a `reporting_currency` setting (no mcr.toml at all):
//! amounts all in one currency, written as a name, report in that currency; an export that
//! states no currency reports in CNY and the pages say the currency is assumed.

use std::path::Path;

use crate::common::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

fn ok(o: &std::process::Output, what: &str) {
    assert!(o.status.success(), "{what}: {}{}", stdout(o), stderr(o));
}

const ACCOUNTS: &str = "account_id,name,industry,region,owner_id\n\
    A1,Alpha Ltd,Retail,East,E1\n\
    A2,Beta Ltd,Retail,West,E1\n\
    A3,Gamma Ltd,Energy,West,E1\n";

/// Ingest `exp` into ./lake with the canonical profile (JSON report), then analyze.
fn ingest_and_analyze(dir: &Path) -> (Value, Value, String) {
    let o = run_in(dir, &["ingest", "exp", "--json"]);
    ok(&o, "ingest");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = run_in(dir, &["analyze"]);
    ok(&o, "analyze");
    let human = stdout(&o);
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("lake/metrics/as_of=2026-06-30/summary.json")).unwrap(),
    )
    .unwrap();
    (report, summary, human)
}

fn diagnostic<'a>(report: &'a Value, code: &str) -> Option<&'a Value> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
}

fn page(dir: &Path, lang: &str) -> String {
    ok(&run_in(dir, &["report", "--lang", lang]), "report");
    std::fs::read_to_string(dir.join("reports/2026-06-30/finance.html")).unwrap()
}

#[test]
fn one_currency_named_in_the_data_is_the_reporting_currency() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exp = d.join("exp");
    write(&exp, "accounts.csv", ACCOUNTS);
    write(
        &exp,
        "revenue.csv",
        "document_id,account_id,date,amount,currency\n\
         D1,A1,2026-01-15,1000,US Dollar\n\
         D2,A2,2026-03-01,500,us dollar\n\
         D3,A3,2026-06-30,250,USD\n",
    );
    write(
        &exp,
        "opportunities.csv",
        "opportunity_id,account_id,amount,currency,stage,probability,close_date,is_closed,is_won\n\
         O1,A1,2000,US Dollar,Proposal,0.5,2026-09-30,false,false\n",
    );
    let (report, summary, human) = ingest_and_analyze(d);
    let info = diagnostic(&report, "MCR007").unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(info["severity"], "info");
    assert!(info["message"].as_str().unwrap().contains("USD"), "{info}");
    assert_eq!(summary["reporting_currency"], "USD");
    assert_eq!(summary["reporting_currency_basis"], "data");
    assert_eq!(summary["headline"]["revenue_12m_total"], 1750.0);
    assert!(
        human.contains("amounts in USD (the data's only currency"),
        "{human}"
    );
    // The names were stored as ISO codes.
    let o = run_in(
        d,
        &[
            "query",
            "SELECT DISTINCT currency FROM revenue UNION SELECT DISTINCT currency FROM opportunities",
            "--format",
            "csv",
        ],
    );
    ok(&o, "query");
    let rows: Vec<String> = stdout(&o)
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(rows, ["currency", "USD"]);
    let html = page(d, "en");
    assert!(html.contains("USD (as stated in the data)"), "{html}");
    assert!(!html.contains("Currency not stated"));

    // An explicit setting wins: CNY without rates for USD is the error it always was.
    write(d, "mcr.toml", "reporting_currency = \"CNY\"\n");
    let o = run_in(d, &["analyze"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("USD") && err.contains("hint:"), "{err}");
}

#[test]
fn no_currency_in_the_data_reports_in_cny_and_says_it_is_assumed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exp = d.join("exp");
    write(&exp, "accounts.csv", ACCOUNTS);
    write(
        &exp,
        "revenue.csv",
        "document_id,account_id,date,amount\n\
         D1,A1,2026-01-15,1000\n\
         D2,A2,2026-06-30,500\n",
    );
    let (report, summary, human) = ingest_and_analyze(d);
    assert!(diagnostic(&report, "MCR008").is_some(), "{report:#}");
    assert!(diagnostic(&report, "MCR007").is_none(), "{report:#}");
    assert_eq!(summary["reporting_currency"], "CNY");
    assert_eq!(summary["reporting_currency_basis"], "assumed");
    assert!(
        human.contains("amounts in CNY (assumed: the data states no currency)"),
        "{human}"
    );
    let html = page(d, "zh");
    assert!(html.contains("货币未在数据中注明，按 CNY 假定"), "{html}");
    let html = page(d, "en");
    assert!(
        html.contains("Currency not stated in the data; assumed CNY"),
        "{html}"
    );
}

#[test]
fn two_currencies_without_rates_stay_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exp = d.join("exp");
    write(&exp, "accounts.csv", ACCOUNTS);
    write(
        &exp,
        "revenue.csv",
        "document_id,account_id,date,amount,currency\n\
         D1,A1,2026-01-15,1000,美元\n\
         D2,A2,2026-06-30,500,Euro\n",
    );
    let o = run_in(d, &["ingest", "exp"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("EUR, USD") && err.contains("fx_rates") && err.contains("hint:"),
        "{err}"
    );
}
