//! Vendor profiles end to end: small fixtures in each CRM's export format (always run), the
//! public real exports under `../shared/realdata` (run when present), lookups (names, emails
//! and domains resolved to ids, ambiguity reported), multi-currency with and without
//! fx_rates, and a profile written by the user (`--profile my.toml`).

use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

/// A temp dir with an `mcr.toml` whose reporting currency is USD (the fixtures' currency).
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcr.toml"),
        "reporting_currency = \"USD\"\n",
    )
    .unwrap();
    dir
}

/// (read, accepted, rejected, orphans) of the file whose path ends with `name`.
fn counts(v: &Value, name: &str) -> (u64, u64, u64, u64) {
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no file {name} in {v:#}"));
    let n = |k: &str| f[k].as_u64().unwrap();
    let c = (n("rows_read"), n("accepted"), n("rejected"), n("orphans"));
    assert_eq!(c.0, c.1 + c.2, "{name}: read = accepted + rejected");
    c
}

fn rejects(v: &Value, name: &str) -> Vec<String> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap()["reject_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}: {}", r["column"], r["reason"]))
        .collect()
}

fn codes(v: &Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Rows of a SQL query over the lake, as CSV lines (header first).
fn query(dir: &Path, sql: &str) -> Vec<String> {
    let o = run_in(
        dir,
        &["query", sql, "--format", "csv", "--lake", "lake", "-q"],
    );
    assert!(o.status.success(), "{sql}: {}", stderr(&o));
    stdout(&o)
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn analyze(dir: &Path) {
    let o = run_in(dir, &["analyze", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "analyze: {}", stderr(&o));
    let metrics = dir.join("lake/metrics");
    assert!(
        std::fs::read_dir(&metrics).unwrap().count() > 0,
        "no metrics written"
    );
}

fn fx(p: &str) -> PathBuf {
    fixture(&format!("profiles/{p}"))
}

#[test]
fn salesforce_export_maps_every_standard_object() {
    let dir = workdir();
    // Two currencies (USD, EUR) and no fx_rates: a clear error, nothing written.
    let (ok, _, err) = ingest(dir.path(), "salesforce", &[&fx("salesforce")], &[]);
    assert!(!ok);
    assert!(
        err.contains("EUR") && err.contains("fx_rates") && err.contains("hint:"),
        "{err}"
    );
    assert!(!dir.path().join("lake/_manifest.json").exists());

    let (ok, v, err) = ingest(
        dir.path(),
        "salesforce",
        &[&fx("salesforce"), &fx("salesforce-fx")],
        &[],
    );
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "Account.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "Contact.csv"), (5, 4, 1, 0));
    assert_eq!(counts(&v, "Opportunity.csv"), (5, 5, 0, 1));
    assert_eq!(counts(&v, "Task.csv"), (4, 3, 1, 0));
    assert_eq!(counts(&v, "Event.csv"), (2, 2, 0, 0));
    assert_eq!(counts(&v, "User.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "Contract.csv"), (2, 1, 1, 0));
    assert!(
        rejects(&v, "Task.csv")[0].contains("`00QL2` not found in lookup `account_by_contact`"),
        "{:?}",
        rejects(&v, "Task.csv")
    );
    let d = dir.path();
    // MM/DD/YY with a time, #N/A as null, the parent hierarchy, the tier custom field.
    assert_eq!(
        query(d, "SELECT account_id, parent_account_id, created_date, declared_tier FROM accounts ORDER BY 1"),
        [
            "account_id,parent_account_id,created_date,declared_tier",
            "001A,,2023-01-15,S",
            "001B,001A,2023-02-01,A",
            "001C,,2023-03-04,B"
        ]
    );
    // Roles from OpportunityContactRole (the strongest of several), custom support field,
    // level from the title.
    assert_eq!(
        query(
            d,
            "SELECT contact_id, decision_role, support, intimacy, level FROM contacts ORDER BY 1"
        ),
        [
            "contact_id,decision_role,support,intimacy,level",
            "003A1,decision_maker,3,3,executive",
            "003A2,technical,-1,1,middle",
            "003B1,user,,,base",
            "003C1,,0,2,executive"
        ]
    );
    assert_eq!(
        query(d, "SELECT opportunity_id, currency, is_won, is_closed, round(probability, 2) AS probability FROM opportunities ORDER BY 1"),
        [
            "opportunity_id,currency,is_won,is_closed,probability",
            "006A1,USD,true,true,1.0",
            "006A2,USD,false,false,0.7",
            "006B1,EUR,true,true,1.0",
            "006C1,USD,false,true,0.0",
            "006C2,USD,false,false,0.1"
        ]
    );
    // Task and Event both feed activities; the account through WhatId (an opportunity or
    // an account) or WhoId; a lead's WhoId is not a contact.
    assert_eq!(
        query(d, "SELECT activity_id, account_id, contact_id, employee_id, date, type FROM activities ORDER BY 1"),
        [
            "activity_id,account_id,contact_id,employee_id,date,type",
            "00T1,001A,003A1,005U1,2024-03-05,call",
            "00T2,001C,,005U1,2024-03-06,email",
            "00T3,001B,003B1,005U2,2024-03-07,other",
            "00U1,001A,003A1,005U1,2024-04-10,executive_visit",
            "00U2,001C,003C1,005U1,2024-05-02,meeting"
        ]
    );
    assert_eq!(
        query(
            d,
            "SELECT employee_id, role, team, active FROM employees ORDER BY 1"
        ),
        [
            "employee_id,role,team,active",
            "005U1,AR,Enterprise,true",
            "005U2,SR,Enterprise,true",
            "005U3,,SMB,false"
        ]
    );
    assert_eq!(
        query(
            d,
            "SELECT agreement_id, account_id, type, end_date FROM agreements"
        ),
        [
            "agreement_id,account_id,type,end_date",
            "800A,001A,framework,2026-12-31"
        ]
    );
    analyze(d);
    // EUR converted with the fx table: 50,000 EUR × 1.10.
    let text = std::fs::read_dir(d.join("lake/metrics"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path().join("accounts.csv")).unwrap())
        .next()
        .unwrap();
    let row = text.lines().find(|l| l.starts_with("001B,")).unwrap();
    assert!(row.contains(",55000"), "{row}");
}

#[test]
fn a_changed_lookup_only_file_makes_the_next_ingest_run() {
    let dir = workdir();
    let src = tempfile::tempdir().unwrap();
    for p in ["salesforce", "salesforce-fx"] {
        for e in std::fs::read_dir(fx(p)).unwrap().flatten() {
            std::fs::copy(e.path(), src.path().join(e.file_name())).unwrap();
        }
    }
    let (ok, v, err) = ingest(dir.path(), "salesforce", &[src.path()], &[]);
    assert!(ok, "{err}");
    assert_eq!(v["noop"], false);
    let (_, v, _) = ingest(dir.path(), "salesforce", &[src.path()], &[]);
    assert_eq!(v["noop"], true);
    // OpportunityContactRole.csv feeds the role lookup of contacts (and deal_contacts).
    let ocr = src.path().join("OpportunityContactRole.csv");
    let text = std::fs::read_to_string(&ocr)
        .unwrap()
        .replace("\"003B1\",\"Business User\"", "\"003B1\",\"Evaluator\"");
    std::fs::write(&ocr, text).unwrap();
    let (ok, v, err) = ingest(dir.path(), "salesforce", &[src.path()], &[]);
    assert!(ok, "{err}");
    assert_eq!(v["noop"], false);
    assert_eq!(
        query(
            dir.path(),
            "SELECT decision_role FROM contacts WHERE contact_id = '003B1'"
        ),
        ["decision_role", "evaluator"]
    );
}

#[test]
fn hubspot_export_resolves_domains_names_and_emails_and_reports_ambiguity() {
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "hubspot", &[&fx("hubspot")], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "companies-2024-06-30.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "contacts-2024-06-30.csv"), (4, 2, 2, 0));
    assert_eq!(counts(&v, "deals-2024-06-30.csv"), (4, 3, 1, 0));
    assert_eq!(counts(&v, "activities-2024-06-30.csv"), (3, 2, 1, 0));
    // Two companies named "Beta LLC": never guessed.
    let r = rejects(&v, "deals-2024-06-30.csv");
    assert!(
        r[0].contains("`Beta LLC` is ambiguous: 2 different values") && r[0].contains("102, 103"),
        "{r:?}"
    );
    assert!(codes(&v).contains(&"MCR020".to_string()));
    assert!(codes(&v).contains(&"MCR021".to_string()));
    let d = dir.path();
    // Deal 301 by domain, 302 through its contact's email (case-insensitive) → domain,
    // 303 by company name; closedwon / Closed Lost from the stage map.
    assert_eq!(
        query(
            d,
            "SELECT opportunity_id, account_id, is_won, is_closed FROM opportunities ORDER BY 1"
        ),
        [
            "opportunity_id,account_id,is_won,is_closed",
            "301,101,true,true",
            "302,102,false,true",
            "303,101,false,false"
        ]
    );
    assert_eq!(
        query(
            d,
            "SELECT contact_id, account_id, decision_role, level FROM contacts ORDER BY 1"
        ),
        [
            "contact_id,account_id,decision_role,level",
            "201,101,decision_maker,executive",
            "202,102,influencer,base"
        ]
    );
    assert_eq!(
        query(
            d,
            "SELECT activity_id, account_id, contact_id, type FROM activities ORDER BY 1"
        ),
        [
            "activity_id,account_id,contact_id,type",
            "401,101,201,meeting",
            "402,102,202,other"
        ]
    );
    analyze(d);
}

#[test]
fn the_duplicate_key_pass_does_not_count_lookup_outcomes_twice() {
    // Finding where a duplicate key was first seen parses the file again; the lookup counts
    // (MCR020 ambiguous) must still be those of one pass.
    let dir = workdir();
    let src = dir.path().join("hubspot");
    std::fs::create_dir(&src).unwrap();
    for e in std::fs::read_dir(fx("hubspot")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), src.join(e.file_name())).unwrap();
    }
    let contacts = src.join("hubspot-crm-exports-all-contacts-2024-06-30.csv");
    let mut body = std::fs::read_to_string(&contacts).unwrap();
    body.push_str("201,Ann,Lee,ann@acme.example,CTO,Decision Maker,acme.example,,Pat Owner\n");
    std::fs::write(&contacts, body).unwrap();
    let (ok, v, err) = ingest(dir.path(), "hubspot", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "contacts-2024-06-30.csv"), (5, 2, 3, 0));
    let r = rejects(&v, "contacts-2024-06-30.csv");
    assert!(
        r.iter()
            .any(|r| r.contains("duplicate key `201` (first seen on line 2)")),
        "{r:?}"
    );
    let ambiguous: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "MCR020")
        .filter_map(|d| d["message"].as_str())
        .filter(|m| m.contains("contacts-2024-06-30.csv"))
        .collect();
    assert_eq!(ambiguous.len(), 1, "{ambiguous:?}");
    assert!(
        ambiguous[0].contains(": 1 rows with a key that is ambiguous"),
        "{ambiguous:?}"
    );
}

#[test]
fn dynamics_export_resolves_names_and_needs_fx_for_two_currencies() {
    let dir = workdir();
    let (ok, _, err) = ingest(dir.path(), "dynamics365", &[&fx("dynamics365")], &[]);
    assert!(!ok);
    assert!(err.contains("EUR") && err.contains("fx_rates"), "{err}");

    let (ok, v, err) = ingest(
        dir.path(),
        "dynamics365",
        &[&fx("dynamics365"), &fx("dynamics365-fx")],
        &[],
    );
    assert!(ok, "{err}");
    let f = &v["files"].as_array().unwrap()[0];
    assert_eq!(f["encoding"], "utf-8-bom");
    assert_eq!(counts(&v, "My Active Accounts 6-30-2024.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "Enabled Users.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "My Active Contacts.csv"), (3, 2, 1, 0));
    assert_eq!(counts(&v, "Open Opportunities.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "All Activities.csv"), (4, 3, 1, 0));
    assert!(rejects(&v, "My Active Contacts.csv")[0].contains("`Nowhere Inc` not found"));
    let d = dir.path();
    // Owner "Maria Li" names two users: left empty (optional), reported; an unknown owner
    // too. Parent account by name.
    assert_eq!(
        query(
            d,
            "SELECT account_id, owner_id, parent_account_id, created_date FROM accounts ORDER BY 1"
        ),
        [
            "account_id,owner_id,parent_account_id,created_date",
            "a-1,u-1,,2023-01-15",
            "a-2,,a-1,2023-02-01",
            "a-3,,,2023-03-01"
        ]
    );
    let diags = v["diagnostics"].to_string();
    assert!(
        diags.contains("MCR020") && diags.contains("Maria Li"),
        "{diags}"
    );
    assert!(diags.contains("Unknown Person"), "{diags}");
    // Status → is_won / is_closed, currency names → ISO codes, $ and € amounts.
    assert_eq!(
        query(d, "SELECT opportunity_id, account_id, amount, currency, is_won, is_closed, close_date, owner_id FROM opportunities ORDER BY 1"),
        [
            "opportunity_id,account_id,amount,currency,is_won,is_closed,close_date,owner_id",
            "o-1,a-1,120000.0,USD,true,true,2024-06-28,u-1",
            "o-2,a-2,50000.0,EUR,false,false,2024-12-31,u-1",
            "o-3,a-3,20000.0,USD,false,true,2024-05-30,u-1"
        ]
    );
    // Regarding an account, an opportunity (→ its customer) or a contact (→ its company).
    assert_eq!(
        query(
            d,
            "SELECT activity_id, account_id, contact_id, type, date FROM activities ORDER BY 1"
        ),
        [
            "activity_id,account_id,contact_id,type,date",
            "act-1,a-1,,meeting,2024-03-05",
            "act-2,a-2,,call,2024-03-06",
            "act-3,a-3,c-2,email,2024-03-07"
        ]
    );
    analyze(d);
}

#[test]
fn maven_and_a_profile_the_user_edits_without_recompiling() {
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "maven", &[&fx("maven")], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "accounts.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "sales_teams.csv"), (3, 3, 0, 0));
    assert_eq!(counts(&v, "sales_pipeline.csv"), (5, 4, 1, 0));
    assert_eq!(
        query(
            dir.path(),
            "SELECT account_id, industry, parent_account_id FROM accounts ORDER BY 1"
        ),
        [
            "account_id,industry,parent_account_id",
            "Acme Corporation,technology,",
            "Bluth Company,technology,Acme Corporation",
            "Cheers,entertainment,"
        ]
    );
    analyze(dir.path());

    // "My CRM": the same data with other headers and stage labels; the user copies the
    // profile, edits two lines and ingests with --profile my-crm.toml.
    let src = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fx("maven")).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path())
            .unwrap()
            .replacen("deal_stage", "Phase", 1)
            .replace(",Won,", ",Gewonnen,");
        std::fs::write(src.path().join(e.file_name()), text).unwrap();
    }
    let shown = run_in(dir.path(), &["profiles", "show", "maven"]);
    let toml = stdout(&shown)
        .replace("name = \"maven\"", "name = \"my-crm\"")
        .replace("stage = \"deal_stage\"", "stage = \"Phase\"")
        .replace("won = [\"won\"]", "won = [\"won\", \"gewonnen\"]");
    std::fs::write(dir.path().join("my-crm.toml"), toml).unwrap();
    let mine = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("mcr.toml"), mine.path().join("mcr.toml")).unwrap();
    std::fs::copy(
        dir.path().join("my-crm.toml"),
        mine.path().join("my-crm.toml"),
    )
    .unwrap();
    let (ok, v, err) = ingest(mine.path(), "my-crm.toml", &[src.path()], &["--dry-run"]);
    assert!(ok, "{err}");
    let pipeline = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "opportunities")
        .unwrap();
    assert!(pipeline["columns"]["found"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p[0] == "stage" && p[1] == "Phase"));
    let (ok, _, err) = ingest(mine.path(), "my-crm.toml", &[src.path()], &[]);
    assert!(ok, "{err}");
    assert_eq!(
        query(
            mine.path(),
            "SELECT count(*) AS n FROM opportunities WHERE is_won"
        ),
        ["n", "2"]
    );
}

#[test]
fn dry_run_lists_found_missing_ignored_and_lookup_columns() {
    let dir = workdir();
    let o = run_in(
        dir.path(),
        &[
            "ingest",
            fx("hubspot").to_str().unwrap(),
            "--profile",
            "hubspot",
            "--lake",
            "lake",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("found:   opportunity_id←Record ID"), "{err}");
    assert!(
        err.contains("lookup:  account_id←company_by_domain(Associated Company Domain)"),
        "{err}"
    );
    assert!(err.contains("missing: "), "{err}");
    assert!(err.contains("ignored: First Name, Last Name"), "{err}");
    assert!(!dir.path().join("lake").exists());
    let list = run_in(dir.path(), &["profiles"]);
    let out = stdout(&list);
    for p in ["canonical", "salesforce", "hubspot", "dynamics365", "maven"] {
        assert!(out.contains(p), "{out}");
    }
    assert!(out.contains("lookup company_by_domain"), "{out}");
}

// ---------------------------------------------------------------------------------------
// Real public exports (../shared/realdata), when present. Figures checked by hand with
// Python's csv module (see each test).

fn one(dir: &Path, sql: &str) -> String {
    query(dir, sql)[1].clone()
}

#[test]
fn real_salesforce_prodly_cpq_demo() {
    let Some(src) = realdata("salesforce-prodly-cpq-demo") else {
        return;
    };
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "salesforce", &[&src], &[]);
    assert!(ok, "{err}");
    // Guid keys, #N/A nulls, embedded newlines: every record accepted.
    assert_eq!(counts(&v, "Account.csv"), (185, 185, 0, 0));
    assert_eq!(counts(&v, "Contact.csv"), (701, 701, 0, 0));
    assert_eq!(counts(&v, "Opportunity.csv"), (741, 741, 0, 0));
    let d = dir.path();
    // 202 Closed Won (no IsWon column: from the stage map), 7,722,744 in total.
    assert_eq!(
        one(
            d,
            "SELECT count(*) AS n, round(sum(amount)) AS s FROM opportunities WHERE is_won"
        ),
        "202,7722744.0"
    );
    // OpportunityContactRole: 34 contacts with a role, the strongest of theirs.
    assert_eq!(
        query(d, "SELECT decision_role, count(*) AS n FROM contacts WHERE decision_role IS NOT NULL GROUP BY 1 ORDER BY 1"),
        [
            "decision_role,n",
            "decision_maker,20",
            "influencer,4",
            "technical,4",
            "user,6"
        ]
    );
    analyze(d);
}

#[test]
fn real_salesforce_devorg_export() {
    let Some(src) = realdata("salesforce-devorg-export-powerbi") else {
        return;
    };
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "salesforce", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "Account.csv"), (18, 18, 0, 0));
    assert_eq!(counts(&v, "Contact.csv"), (25, 25, 0, 0));
    assert_eq!(counts(&v, "Opportunity.csv"), (36, 36, 0, 0));
    let d = dir.path();
    // IsWon TRUE: 12 deals, 2,815,000; IsClosed TRUE: 20; MM/DD/YY dates.
    assert_eq!(
        one(
            d,
            "SELECT count(*) AS n, sum(amount) AS s FROM opportunities WHERE is_won"
        ),
        "12,2815000.0"
    );
    assert_eq!(
        one(d, "SELECT count(*) AS n FROM opportunities WHERE is_closed"),
        "20"
    );
    assert_eq!(
        one(d, "SELECT min(created_date) AS d FROM opportunities"),
        "2026-02-23"
    );
    analyze(d);
}

#[test]
fn real_hubspot_style_export() {
    let Some(src) = realdata("hubspot-style-dummy-export") else {
        return;
    };
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "hubspot", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "hubspot_companies.csv"), (200, 200, 0, 0));
    // 271 contacts have no company domain: they cannot be placed (account_id required).
    assert_eq!(counts(&v, "hubspot_contacts.csv"), (950, 679, 271, 0));
    // Every deal resolves through its company domain.
    assert_eq!(counts(&v, "hubspot_deals.csv"), (500, 500, 0, 0));
    // 1428 activities' contacts have a company; the other 572 cannot be placed.
    assert_eq!(counts(&v, "hubspot_activities.csv"), (2000, 1428, 572, 0));
    let d = dir.path();
    assert_eq!(
        one(
            d,
            "SELECT count(*) AS n, round(sum(amount), 2) AS s FROM opportunities WHERE is_won"
        ),
        "71,8934361.48"
    );
    analyze(d);
}

#[test]
fn real_maven_crm_sales_opportunities() {
    let Some(src) = realdata("maven-crm-sales-opportunities") else {
        return;
    };
    let dir = workdir();
    let (ok, v, err) = ingest(dir.path(), "maven", &[&src], &[]);
    assert!(ok, "{err}");
    assert_eq!(counts(&v, "accounts.csv"), (85, 85, 0, 0));
    assert_eq!(counts(&v, "sales_teams.csv"), (35, 35, 0, 0));
    // 1425 deals have no account (Prospecting/Engaging): rejected, account_id is required.
    assert_eq!(counts(&v, "sales_pipeline.csv"), (8800, 7375, 1425, 0));
    let d = dir.path();
    assert_eq!(
        one(
            d,
            "SELECT count(*) AS n, sum(amount) AS s FROM opportunities WHERE is_won"
        ),
        "4238,10005534.0"
    );
    // Every deal's agent is a sales_teams employee.
    assert_eq!(
        one(d, "SELECT count(*) AS n FROM opportunities o LEFT JOIN employees e ON o.owner_id = e.employee_id WHERE e.employee_id IS NULL"),
        "0"
    );
    analyze(d);
}
