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

/// `mcr profiles init SRC -o draft.toml` in `dir`, which must succeed; its coverage table
/// (stderr).
fn draft_profile(dir: &Path, src: &Path) -> String {
    let o = run_in(
        dir,
        &[
            "profiles",
            "init",
            src.to_str().unwrap(),
            "-o",
            "draft.toml",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

fn one(dir: &Path, sql: &str) -> String {
    lake_rows(dir, sql).join("\n")
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
    let keys = lake_rows(d, "SELECT document_id FROM revenue ORDER BY document_id");
    let dir2 = workdir("as_of = \"2011-12-31\"\n");
    let (ok, _, err) = ingest(dir2.path(), "invoice_lines", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(
        keys,
        lake_rows(
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

/// Share of rows accepted, over the non-excluded rows of a file.
fn accepted_share(v: &Value, name: &str) -> f64 {
    let (read, acc, _, ex) = counts(v, name);
    acc as f64 / (read - ex) as f64
}

#[test]
fn salesforce_report_export_is_name_keyed_and_owners_resolve_by_first_and_last_name() {
    let dir = workdir("");
    let d = dir.path();
    let (ok, v, err) = ingest(d, "salesforce", &[&fx("salesforce-report")], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "Accounts.csv"), (12, 12, 0, 0));
    // One opportunity names an account that was not exported: rejected, the reason names it.
    assert_eq!(counts(&v, "Opportunities.csv"), (25, 24, 1, 0));
    assert!(accepted_share(&v, "Opportunities.csv") >= 0.95);
    let sample = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("Opportunities.csv"))
        .unwrap()["reject_samples"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sample.contains("Unknown Corp") && sample.contains("not found"),
        "{sample}"
    );
    // Accounts keyed by name; opportunities by account + name.
    assert_eq!(
        one(
            d,
            "SELECT account_id FROM accounts ORDER BY account_id LIMIT 1"
        ),
        "Acme Corp"
    );
    assert_eq!(
        one(d, "SELECT count(*) FROM opportunities WHERE opportunity_id = 'Globex / Globex - Renewal' AND account_id = 'Globex'"),
        "1"
    );
    // Owner.Name "Alex Wu" → the User.csv Id through FirstName + LastName.
    assert_eq!(
        one(
            d,
            "SELECT DISTINCT owner_id FROM opportunities WHERE account_id = 'Acme Corp'"
        ),
        "005A0000001"
    );
    assert_eq!(
        one(
            d,
            "SELECT owner_id FROM accounts WHERE account_id = 'Globex'"
        ),
        "005A0000002"
    );
    assert_eq!(
        one(
            d,
            "SELECT name FROM employees WHERE employee_id = '005A0000003'"
        ),
        "Sam Patel"
    );
    // Two users called Chris Ng: ambiguous, not guessed (owner left empty, MCR020).
    let amb = diag_messages(&v, "MCR020");
    assert!(amb.len() == 1 && amb[0].contains("Chris Ng"), "{amb:?}");
    assert_eq!(
        one(
            d,
            "SELECT count(*) FROM opportunities WHERE owner_id IS NULL"
        ),
        "1"
    );
    analyze(d);
}

#[test]
fn salesforce_data_export_excludes_deleted_rows_and_counts_them() {
    let dir = workdir("");
    let d = dir.path();
    let (ok, v, err) = ingest(d, "salesforce", &[&fx("salesforce-dataexport")], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "Account.csv"), (13, 12, 0, 1));
    assert_eq!(counts(&v, "Opportunity.csv"), (26, 24, 0, 2));
    assert_eq!(diag_messages(&v, "MCR006").len(), 2);
    assert_eq!(
        one(
            d,
            "SELECT count(*) FROM accounts WHERE name = 'Deleted Corp'"
        ),
        "0"
    );
    // The manifest records the excluded rows per file.
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("lake/_manifest.json")).unwrap())
            .unwrap();
    let files = &m["snapshots"][0]["tables"]["opportunities"]["files"][0];
    assert_eq!(files["excluded"], 2);
    assert_eq!(files["rows_read"], 26);
    // User.csv has no Name: the name is FirstName + LastName.
    assert_eq!(
        one(
            d,
            "SELECT name FROM employees WHERE employee_id = '005A0000002'"
        ),
        "Maria Li"
    );
    analyze(d);
}

#[test]
fn dynamics_view_export_without_do_not_modify_columns() {
    let dir = workdir("");
    let d = dir.path();
    let (ok, v, err) = ingest(d, "dynamics365", &[&fx("dynamics365-view")], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "My Active Accounts.csv"), (12, 12, 0, 0));
    assert_eq!(counts(&v, "Open Opportunities.csv"), (24, 24, 0, 0));
    assert_eq!(counts(&v, "Enabled Users.csv"), (3, 3, 0, 0));
    // A repeated identical activity is kept (row keys differ by occurrence).
    assert_eq!(counts(&v, "All Activities.csv"), (11, 11, 0, 0));
    // Users keyed "First Last", which is how Owner names them.
    assert_eq!(
        one(
            d,
            "SELECT count(*) FROM opportunities o JOIN employees e ON o.owner_id = e.employee_id"
        ),
        "24"
    );
    assert_eq!(
        one(
            d,
            "SELECT count(*) FROM opportunities WHERE opportunity_id = 'Globex / Renewal'"
        ),
        "1"
    );
    analyze(d);
    // With the (Do Not Modify) columns the GUIDs stay the keys.
    let dir = workdir("");
    let mut args = vec![fx("dynamics365")];
    args.push(fx("dynamics365-fx"));
    let srcs: Vec<&Path> = args.iter().map(|p| p.as_path()).collect();
    let (ok, _, err) = ingest(dir.path(), "dynamics365", &srcs, &[]);
    assert!(ok, "{err}");
    assert_eq!(
        one(
            dir.path(),
            "SELECT account_id FROM accounts ORDER BY 1 LIMIT 1"
        ),
        "a-1"
    );
}

#[test]
fn an_optional_table_that_cannot_be_mapped_is_skipped_unless_strict() {
    let dir = workdir("");
    let d = dir.path();
    let src = d.join("exports");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("accounts.csv"),
        "account_id,name\nA1,Acme\nA2,Beta\n",
    )
    .unwrap();
    // Employees with no id and nothing to key them by.
    std::fs::write(src.join("employees.csv"), "team,region\nEast,US\n").unwrap();
    let (ok, v, err) = ingest(d, "canonical", &[&src], &[]);
    assert!(ok, "{err}");
    let w = diag_messages(&v, "MCR012");
    assert_eq!(w.len(), 1, "{v:#}");
    assert!(
        w[0].contains("employees.csv")
            && w[0].contains("employee_id")
            && w[0].contains("iron triangle"),
        "{}",
        w[0]
    );
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("lake/_manifest.json")).unwrap())
            .unwrap();
    let sk = &m["snapshots"][0]["skipped"][0];
    assert_eq!(sk["table"], "employees");
    assert!(sk["path"].as_str().unwrap().ends_with("employees.csv"));
    assert!(m["snapshots"][0]["tables"].get("employees").is_none());
    // --strict stops on it; a required table (accounts) always stops.
    let (ok, _, err) = ingest(d, "canonical", &[&src], &["--strict"]);
    assert!(!ok && err.contains("employee_id"), "{err}");
    std::fs::write(src.join("accounts.csv"), "name\nAcme\n").unwrap();
    let (ok, _, err) = ingest(d, "canonical", &[&src], &[]);
    assert!(!ok && err.contains("account_id"), "{err}");
}

#[test]
fn profiles_init_maps_the_labels_it_recognises_and_lists_the_others() {
    // The Chinese-CRM export with labels of its own: 赢单(已签约)/丢单-竞品 stages, 关键决策人
    // and other roles, 非常支持/比较支持/明确反对, 上门拜访/电话沟通/高层拜访/项目会议,
    // 大客户经理/售前方案经理, 在职; one contact's role (顾问) is not recognisable.
    let src = fx("chinese-crm-labels");
    let cny = |dir: &Path| {
        std::fs::write(
            dir.join("mcr.toml"),
            "reporting_currency = \"CNY\"\nas_of = \"2024-12-31\"\n",
        )
        .unwrap()
    };
    let dir = workdir("");
    let d = dir.path();
    cny(d);
    let cov = draft_profile(d, &src);
    assert!(cov.contains("关键决策人 → decision_maker"), "{cov}");
    assert!(cov.contains("NOT RECOGNISED: 顾问"), "{cov}");
    assert!(cov.contains("read as open stages: 方案报价"), "{cov}");
    let draft = std::fs::read_to_string(d.join("draft.toml")).unwrap();
    assert!(draft.contains("# TODO \"顾问\""), "{draft}");
    assert!(draft.contains("\"上门拜访\" = \"visit\""), "{draft}");
    // Unedited, it ingests every row: labels never cost rows. The contact with the unknown
    // role (顾问) is kept with its decision_role left empty.
    let (ok, v, err) = ingest(d, "draft.toml", &[&src], &[]);
    assert!(ok, "{err}\n{draft}");
    for f in v["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let (read, acc, rej) = (
            f["rows_read"].as_u64().unwrap(),
            f["accepted"].as_u64().unwrap(),
            f["rejected"].as_u64().unwrap(),
        );
        assert_eq!((read, rej), (acc, 0), "{path} {f:#}");
    }
    // The mapped values, against the fixture's counts (36 contacts: 7 + 6 + 7 + 7 + 8, and
    // the 顾问 one, unknown).
    assert_eq!(
        lake_rows(
            d,
            "SELECT decision_role, count(*) FROM contacts WHERE decision_role IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
        [
            "decision_maker,7",
            "evaluator,7",
            "influencer,6",
            "procurement,8",
            "technical,7"
        ]
    );
    assert_eq!(
        lake_rows(
            d,
            "SELECT count(*), min(title), min(support) FROM contacts WHERE decision_role IS NULL"
        ),
        ["1,IT主管,1"]
    );
    assert_eq!(
        lake_rows(
            d,
            "SELECT support, count(*) FROM contacts GROUP BY 1 ORDER BY 1"
        ),
        ["-2,7", "0,8", "1,14", "2,7"]
    );
    assert_eq!(
        lake_rows(
            d,
            "SELECT type, count(*) FROM activities GROUP BY 1 ORDER BY 1"
        ),
        ["call,10", "executive_visit,10", "meeting,10", "visit,11"]
    );
    assert_eq!(
        lake_rows(
            d,
            "SELECT role, active, count(*) FROM employees GROUP BY 1, 2 ORDER BY 1"
        ),
        ["AR,true,2", "FR,true,1", "SR,true,1"]
    );
    // Won and lost stages close the opportunity as in the original export.
    let stages = |dir: &Path| {
        lake_rows(
            dir,
            "SELECT is_won, is_closed, count(*) FROM opportunities GROUP BY 1, 2 ORDER BY 1, 2",
        )
    };
    let dir2 = workdir("");
    cny(dir2.path());
    draft_profile(dir2.path(), &fx("chinese-crm"));
    let (ok, _, err) = ingest(dir2.path(), "draft.toml", &[&fx("chinese-crm")], &[]);
    assert!(ok, "{err}");
    assert_eq!(stages(d), stages(dir2.path()));
    assert!(
        stages(d).iter().any(|l| l.starts_with("true,true,")),
        "{:?}",
        stages(d)
    );
}

/// (account_id → (tier, kri)) from analyze's account metrics.
fn tiers_and_kri(dir: &Path) -> BTreeMap<String, (String, String)> {
    lake_rows(
        dir,
        "SELECT account_id, tier, round(kri, 6) FROM metrics_accounts ORDER BY 1",
    )
    .into_iter()
    .map(|l| {
        let mut p = l.rsplitn(3, ',');
        let kri = p.next().unwrap().to_string();
        let tier = p.next().unwrap().to_string();
        (p.next().unwrap().to_string(), (tier, kri))
    })
    .collect()
}

#[test]
fn profiles_init_drafts_a_profile_that_ingests_a_chinese_crm_export_unedited() {
    let src = fx("chinese-crm");
    let dir = workdir("reporting_currency = \"CNY\"\nas_of = \"2024-12-31\"\n");
    let d = dir.path();
    std::fs::write(
        d.join("mcr.toml"),
        "reporting_currency = \"CNY\"\nas_of = \"2024-12-31\"\n",
    )
    .unwrap();
    let cov = draft_profile(d, &src);
    for t in [
        "accounts",
        "opportunities",
        "contacts",
        "activities",
        "employees",
    ] {
        assert!(cov.contains(t), "{cov}");
    }
    assert!(!cov.contains("no confident match"), "{cov}");
    let draft = std::fs::read_to_string(d.join("draft.toml")).unwrap();
    assert!(
        draft.contains("encoding = \"gb18030\"") || draft.contains("encoding = \"gbk\""),
        "{draft}"
    );
    let (ok, v, err) = ingest(d, "draft.toml", &[&src], &[]);
    assert!(ok, "{err}\n{draft}");
    for f in v["files"].as_array().unwrap() {
        let (read, acc) = (
            f["rows_read"].as_u64().unwrap(),
            f["accepted"].as_u64().unwrap(),
        );
        assert_eq!(read, acc, "{} {draft}\n{f:#}", f["path"]);
    }
    analyze(d);
    // The same data in canonical form gives the same figures.
    let dir2 = workdir("");
    let c = dir2.path();
    std::fs::write(
        c.join("mcr.toml"),
        "reporting_currency = \"CNY\"\nas_of = \"2024-12-31\"\n",
    )
    .unwrap();
    let (ok, _, err) = ingest(c, "canonical", &[&fx("chinese-crm-canonical")], &[]);
    assert!(ok, "{err}");
    analyze(c);
    for m in [
        "hhi",
        "gini",
        "top1_share",
        "top5_share",
        "top10_share",
        "n_active",
    ] {
        assert_eq!(concentration(d, m), concentration(c, m), "{m}");
    }
    let (a, b) = (tiers_and_kri(d), tiers_and_kri(c));
    assert_eq!(a.len(), 12);
    let same = a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count();
    assert!(same * 100 >= a.len() * 95, "{a:?}\n{b:?}");
}

#[test]
fn a_large_invoice_export_keeps_every_line_across_parse_chunks() {
    // More than 4096 lines, so that chunks are parsed in two halves (regression: the row-key
    // column must be aligned with the others before writing).
    let dir = workdir("as_of = \"2011-12-31\"\n");
    let d = dir.path();
    let src = d.join("exports");
    std::fs::create_dir(&src).unwrap();
    let mut text = String::from(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    );
    for i in 0..6000 {
        // Every line twice: 12,000 lines, 6,000 distinct contents.
        let line = format!(
            "{},85123A,HEART,{},3/{}/2011 10:00,2.55,{},France\n",
            536365 + i / 3,
            1 + i % 5,
            1 + i % 28,
            12000 + i % 50
        );
        text.push_str(&line);
        text.push_str(&line);
    }
    std::fs::write(src.join("lines.csv"), text).unwrap();
    let (ok, v, err) = ingest(d, "invoice_lines", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "lines.csv"), (12000, 12000, 0, 0));
    assert_eq!(
        one(d, "SELECT count(DISTINCT document_id) FROM revenue"),
        "12000"
    );
    assert_eq!(one(d, "SELECT count(*) FROM accounts"), "50");
}

/// Reject lines name the line a record starts on, in CRLF files and after empty lines too
/// (the CSV parser alone counts a CRLF line's LF with the next record).
#[test]
fn reject_lines_are_right_in_crlf_exports_with_empty_lines_and_quoted_newlines() {
    let dir = workdir("as_of = \"2011-12-31\"\n");
    let d = dir.path();
    let src = d.join("exports");
    std::fs::create_dir(&src).unwrap();
    let lines = [
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
        "536365,85123A,\"WHITE \"\"HEART\"\"\",6,12/1/2010 8:26,2.55,17850,United Kingdom",
        "",
        "536366,71053,\"two",
        "lines\",x,12/1/2010 8:28,3.39,17850,United Kingdom",
        "536367,84406B,ragged",
        "536368,22752,SET 7,2,12/1/2010 8:34,7.65,,France",
        "536369,21730,LANTERN,6,12/1/2010 8:35,4.25,13047,United Kingdom",
    ];
    std::fs::write(src.join("lines.csv"), lines.join("\r\n") + "\r\n").unwrap();
    let (ok, v, err) = ingest(d, "invoice_lines", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "lines.csv"), (5, 2, 3, 0));
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "revenue")
        .unwrap();
    let at: Vec<(u64, String)> = f["reject_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let c = r["column"].as_str().unwrap().to_string();
            (r["line"].as_u64().unwrap(), c)
        })
        .collect();
    assert_eq!(
        at,
        [
            (4, "amount".to_string()),
            (6, String::new()),
            (7, "account_id".to_string())
        ]
    );
}
