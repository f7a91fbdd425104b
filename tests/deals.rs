//! The decision chain of every open deal (issue 24) end to end: a generated export with and
//! without deal_contacts checked against an independent computation
//! (tests/independent/deals_check.py: Python standard library over the raw CSV exports), a
//! Salesforce export with OpportunityContactRole whose deals' chains differ from their
//! account's, and the pages' deal sections in Chinese and English.

use std::path::Path;

use crate::common::{absent, fixture, ingest, lake_rows, repo, run_in, stderr, stdout};

fn ok(o: &std::process::Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed: {}{}",
        stdout(o),
        stderr(o)
    );
}

fn metrics_dir(lake: &Path) -> std::path::PathBuf {
    let d = std::fs::read_dir(lake.join("metrics"))
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    d.path()
}

fn check(dir: &Path, export: &str, lake: &str) -> String {
    ok(
        &run_in(dir, &["ingest", export, "--lake", lake, "-q"]),
        "ingest",
    );
    ok(&run_in(dir, &["analyze", "--lake", lake, "-q"]), "analyze");
    let o = std::process::Command::new("python3")
        .arg(repo().join("tests/independent/deals_check.py"))
        .arg(dir.join(export))
        .arg(metrics_dir(&dir.join(lake)))
        .output()
        .unwrap();
    eprintln!("{}", stdout(&o));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn deals_table_matches_an_independent_computation_with_and_without_deal_contacts() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        absent("python3");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A seed and size no unit test uses.
    ok(
        &run_in(
            dir.path(),
            &[
                "generate",
                "--accounts",
                "800",
                "--seed",
                "20261203",
                "--out",
                "crm",
            ],
        ),
        "generate",
    );
    let with = check(dir.path(), "crm", "lake");
    // Deals with their own buying group and deals falling back to their account, all three
    // statuses, and closed deals with a group in the evidence.
    assert!(
        with.contains("'deal': ") && with.contains("'account': "),
        "{with}"
    );
    for s in ["red", "amber", "green"] {
        assert!(with.contains(&format!("'{s}'")), "{with}");
    }
    assert!(with.contains("evidence {amber"), "{with}");
    // The same export without deal_contacts: every deal takes its account's contacts (the
    // check compares each deal with its account's kri and status).
    let nodc = dir.path().join("nodc");
    std::fs::create_dir(&nodc).unwrap();
    for e in std::fs::read_dir(dir.path().join("crm")).unwrap().flatten() {
        if e.file_name() != "deal_contacts.csv" {
            std::fs::copy(e.path(), nodc.join(e.file_name())).unwrap();
        }
    }
    let without = check(dir.path(), "nodc", "lake2");
    assert!(without.contains("chain sources {'account': "), "{without}");
    assert!(without.contains("evidence {}"), "{without}");
}

#[test]
fn salesforce_opportunity_contact_roles_give_each_deal_its_own_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok_, v, err) = ingest(
        d,
        "salesforce",
        &[&fixture("profiles/salesforce-deals")],
        &[],
    );
    assert!(ok_, "{err}");
    let files = v.to_string();
    assert!(files.contains("deal_contacts"), "{files}");
    // The deleted role row is left out; the others are the deals' buying groups.
    assert_eq!(
        lake_rows(
            d,
            "SELECT opportunity_id, contact_id, role, is_primary FROM deal_contacts ORDER BY 1, 2"
        ),
        [
            "006A1,003A1,decision_maker,true",
            "006A1,003A2,evaluator,false",
            "006A2,003A2,evaluator,false",
            "006A2,003A3,technical,false",
            "006A2,003A4,decision_maker,true",
            "006A4,003A1,decision_maker,true",
            "006A4,003A3,technical,false",
        ]
    );
    ok(
        &run_in(
            d,
            &["analyze", "--lake", "lake", "--as-of", "2024-12-31", "-q"],
        ),
        "analyze",
    );
    // The account: its decision makers are Ann (champion) and Dee (hostile) — green, with
    // opposition.
    assert_eq!(
        lake_rows(
            d,
            "SELECT decision_chain_status, opposition FROM metrics_accounts WHERE account_id = '001A'"
        ),
        ["green,true"]
    );
    // Each open deal: Core Network has Ann as its economic buyer (green, the evaluator Bob
    // does not support it); Data Centre's decision maker is Dee, who opposes, and only the
    // architect supports it — amber, where the account is green; Wi-Fi Refresh has no
    // contact roles and takes the account's chain.
    assert_eq!(
        lake_rows(
            d,
            "SELECT opportunity_id, chain_source, deal_chain_status, decision_makers_mapped, \
             opposition_at_decision_maker, missing_roles FROM metrics_deals ORDER BY 1"
        ),
        [
            "006A1,deal,green,1,false,evaluator;technical;procurement",
            "006A2,deal,amber,1,true,decision_maker;evaluator;procurement",
            "006A3,account,green,2,true,evaluator;procurement",
        ]
    );
    // KRI of Data Centre by hand: Dee p 3, k = 0.7·(−2)/3 + 0.3·1/4 = −0.3917; Cy p 2,
    // k = 0.7·2/3 + 0.3·2/4 = 0.6167; Bob p 2, k = 0.7·(−1)/3 + 0.3·1/4 = −0.1583;
    // Σ p·k = −1.175 + 1.2333 − 0.3167 = −0.2583 → clamped to 0.
    assert_eq!(
        lake_rows(
            d,
            "SELECT round(deal_kri, 3) FROM metrics_deals WHERE opportunity_id = '006A2'"
        ),
        ["0.0"]
    );
    // Core Network: Ann p 3, k = 0.7 + 0.225 = 0.925; Bob p 2, k = −0.1583:
    // (2.775 − 0.3167) / 5 = 0.49167 → 49.167.
    assert_eq!(
        lake_rows(
            d,
            "SELECT round(deal_kri, 3) FROM metrics_deals WHERE opportunity_id = '006A1'"
        ),
        ["49.167"]
    );
    // The strategy page names the amber deal and the roles it misses, the account's name
    // escaped.
    ok(
        &run_in(
            d,
            &[
                "report",
                "--lake",
                "lake",
                "--as-of",
                "2024-12-31",
                "--lang",
                "en",
                "--out",
                "reports",
            ],
        ),
        "report",
    );
    let html = std::fs::read_to_string(d.join("reports/2024-12-31/strategy.html")).unwrap();
    assert!(
        html.contains("Open deals with a decision-chain gap"),
        "no section"
    );
    assert!(html.contains("Acme Data Centre"));
    assert!(html.contains("decision maker / evaluator / procurement"));
    assert!(html.contains("Acme &lt;Holdings&gt; &amp; Co"));
    assert!(!html.contains("Acme <Holdings>"));
}

#[test]
fn pages_show_the_deal_sections_in_chinese_and_english() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        &run_in(
            d,
            &[
                "generate",
                "--accounts",
                "200",
                "--seed",
                "7",
                "--messy",
                "--out",
                "crm",
            ],
        ),
        "generate",
    );
    ok(
        &run_in(d, &["ingest", "crm", "--lake", "lake", "-q"]),
        "ingest",
    );
    ok(&run_in(d, &["analyze", "--lake", "lake", "-q"]), "analyze");
    let as_of = metrics_dir(&d.join("lake"))
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_start_matches("as_of=")
        .to_string();
    for (lang, words) in [
        (
            "en",
            [
                "Open deals with a decision-chain gap",
                "Open pipeline by decision-chain status",
                "Open pipeline with no supportive decision maker",
            ],
        ),
        (
            "zh",
            [
                "决策链存在短板的在途商机",
                "按决策链状态的在途商机金额",
                "无决策者支持的在途商机金额",
            ],
        ),
    ] {
        let out = format!("reports-{lang}");
        ok(
            &run_in(
                d,
                &["report", "--lake", "lake", "--lang", lang, "--out", &out],
            ),
            "report",
        );
        let page = |p: &str| std::fs::read_to_string(d.join(&out).join(&as_of).join(p)).unwrap();
        let (strategy, finance, leadership) = (
            page("strategy.html"),
            page("finance.html"),
            page("leadership.html"),
        );
        assert!(strategy.contains(words[0]), "{lang} strategy");
        assert!(finance.contains(words[1]), "{lang} finance");
        assert!(leadership.contains(words[2]), "{lang} leadership");
        // Missing roles are named in the page's language.
        let role = if lang == "zh" {
            "决策者"
        } else {
            "decision maker"
        };
        assert!(strategy.contains(role), "{lang}: no role named");
    }
}

/// `profiles init` drafts a file with an opportunity reference, a contact reference and a
/// role as deal_contacts: Salesforce's OpportunityContactRole, a Chinese CRM's 决策链 tab, and
/// a file whose name says nothing.
#[test]
fn profiles_init_drafts_buying_groups_as_deal_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cn = d.join("cn");
    std::fs::create_dir(&cn).unwrap();
    let write = |name: &str, text: &str| std::fs::write(cn.join(name), text).unwrap();
    write("客户.csv", "客户编号,客户名称\nK1,华东电力\n");
    write(
        "联系人.csv",
        "联系人编号,客户编号,姓名,职务,决策角色,支持度\nL1,K1,张三,总经理,决策者,支持\nL2,K1,李四,采购经理,采购者,中立\n",
    );
    write(
        "商机.csv",
        "商机编号,客户编号,商机名称,金额,销售阶段,预计成交日期\nS1,K1,扩容,100000,方案,2026-12-31\n",
    );
    write(
        "决策链.csv",
        "商机编号,联系人编号,角色,是否主要联系人\nS1,L2,决策者,是\nS1,L1,评估者,否\n",
    );
    let table_of = |src: &Path, out: &str| -> Vec<(String, String)> {
        let o = run_in(
            d,
            &[
                "profiles",
                "init",
                src.to_str().unwrap(),
                "-o",
                out,
                "--json",
            ],
        );
        ok(&o, "profiles init");
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap_or("").to_string(),
                    f["table"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let files = table_of(&cn, "cn.toml");
    assert!(
        files.contains(&("决策链.csv".to_string(), "deal_contacts".to_string())),
        "{files:?}"
    );
    // A file whose name says nothing, recognised by its headers alone (in a folder where no
    // other file is named after deal_contacts: such a file would set it aside).
    let plain = d.join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(
        plain.join("export_7.csv"),
        "Opportunity ID,Contact ID,Buying Role\nS1,L1,Decision Maker\n",
    )
    .unwrap();
    let files = table_of(&plain, "plain.toml");
    assert_eq!(
        files,
        [("export_7.csv".to_string(), "deal_contacts".to_string())]
    );
    let files = table_of(&fixture("profiles/salesforce-deals"), "sf.toml");
    assert!(
        files.contains(&(
            "OpportunityContactRole.csv".to_string(),
            "deal_contacts".to_string()
        )),
        "{files:?}"
    );
    // The draft ingests: every buying-group row kept, roles read in Chinese.
    let (ok_, v, err) = ingest(d, "cn.toml", &[&cn], &[]);
    assert!(ok_, "{err}");
    assert!(v.to_string().contains("决策链.csv"), "{v}");
    assert_eq!(
        lake_rows(
            d,
            "SELECT opportunity_id, contact_id, role FROM deal_contacts ORDER BY 1, 2, 3"
        ),
        ["S1,L1,evaluator", "S1,L2,decision_maker"]
    );
}
