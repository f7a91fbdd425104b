//! Market insight end to end (issue 16): a generated export with wallets and competitors is
//! ingested and analyzed, and the metric tables are checked against an independent
//! computation (tests/independent/market_check.py: Python standard library over the raw CSV
//! exports); an export without the market columns still works and says why the metrics are
//! unavailable.

use std::path::Path;

use crate::common::{absent, fixture, realdata, repo, stderr, stdout};

/// `mcr` in `dir`: the binary built for these tests, or `MCR_BIN` when set (a shared target
/// directory's `release/mcr` may be another checkout's build by the time the test runs).
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let bin = std::env::var_os("MCR_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_mcr").into());
    std::process::Command::new(bin)
        .env_remove("MCR_FAIL_AT")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run mcr")
}

const RATIOS: &str = r#"{"金融": 0.03, "制造": 0.015, "*": 0.02}"#;

fn write_config(dir: &Path) {
    std::fs::write(
        dir.join("mcr.toml"),
        "lake = \"lake\"\nreports = \"reports\"\nlanguage = \"en\"\n\n[metrics.market]\nshare_threshold = 0.25\nwallet_ratio = { \"金融\" = 0.03, \"制造\" = 0.015, \"*\" = 0.02 }\n",
    )
    .unwrap();
}

fn ok(o: &std::process::Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed: {}{}",
        stdout(o),
        stderr(o)
    );
}

fn metrics_dir(dir: &Path) -> std::path::PathBuf {
    let m = dir.join("lake/metrics");
    let d = std::fs::read_dir(&m).unwrap().flatten().next().unwrap();
    d.path()
}

#[test]
fn market_tables_match_an_independent_computation() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        absent("python3");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    // A seed and size no unit test uses.
    let o = run_in(
        dir.path(),
        &[
            "generate",
            "--accounts",
            "1500",
            "--seed",
            "20261130",
            "--out",
            "crm",
        ],
    );
    ok(&o, "generate");
    ok(&run_in(dir.path(), &["ingest", "crm"]), "ingest");
    ok(&run_in(dir.path(), &["analyze"]), "analyze");
    let metrics = metrics_dir(dir.path());
    let o = std::process::Command::new("python3")
        .arg(repo().join("tests/independent/market_check.py"))
        .arg(dir.path().join("crm"))
        .arg(&metrics)
        .arg(RATIOS)
        .arg("0.25")
        .output()
        .unwrap();
    eprintln!("{}", stdout(&o));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // The check saw real data: wallets, all four cells, several competitors.
    let out = stdout(&o);
    for cell in ["grow", "defend", "maintain", "selective"] {
        assert!(out.contains(&format!("'{cell}'")), "{out}");
    }
    // The report shows the three sections.
    ok(&run_in(dir.path(), &["report", "--lang", "en"]), "report");
    let html = std::fs::read_to_string(
        dir.path()
            .join("reports")
            .join(
                metrics
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .trim_start_matches("as_of="),
            )
            .join("strategy.html"),
    )
    .unwrap();
    assert!(html.contains("Customer selection matrix"));
    assert!(html.contains("Value customers to win"));
    assert!(html.contains("Win rate by competitor"));
    assert!(
        !html.contains("Not available</span>: "),
        "a market section is unavailable"
    );
}

#[test]
fn exports_without_market_columns_say_why() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    ok(
        &run_in(
            dir.path(),
            &["ingest", &fixture("canonical/mini").to_string_lossy()],
        ),
        "ingest",
    );
    ok(
        &run_in(dir.path(), &["analyze", "--as-of", "2026-09-30"]),
        "analyze",
    );
    let metrics = metrics_dir(dir.path());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(metrics.join("summary.json")).unwrap())
            .unwrap();
    let codes: Vec<(String, String)> = summary["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["metric"].as_str().unwrap().to_string(),
                u["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for m in ["wallet", "wallet_share", "headroom", "selection"] {
        assert!(
            codes.contains(&(m.to_string(), "no_wallet_data".to_string())),
            "{codes:?}"
        );
    }
    assert!(
        codes.contains(&("competitors".to_string(), "no_opportunities".to_string())),
        "{codes:?}"
    );
    // The columns and the table exist, empty (null, never zero).
    let acc = std::fs::read_to_string(metrics.join("accounts.csv")).unwrap();
    let header = acc.lines().next().unwrap();
    assert!(
        header.contains("wallet,wallet_share,headroom,selection"),
        "{header}"
    );
    let comp = std::fs::read_to_string(metrics.join("competitors.csv")).unwrap();
    assert_eq!(
        comp.trim_start_matches('\u{feff}').trim(),
        "competitor,industry,deals,won,lost,win_rate,won_amount,lost_amount"
    );
    // The strategy page says so in both languages.
    for (lang, word) in [("en", "Not available"), ("zh", "无法计算")] {
        ok(&run_in(dir.path(), &["report", "--lang", lang]), "report");
        let html =
            std::fs::read_to_string(dir.path().join("reports/2026-09-30/strategy.html")).unwrap();
        assert!(
            html.contains(&format!("{word}</span>: no account has a potential")),
            "{lang}"
        );
        assert!(
            html.contains(&format!("{word}</span>: there is no opportunities table")),
            "{lang}"
        );
    }
}

/// CSV lines of a query over the lake of `dir` (header first).
fn query(dir: &Path, sql: &str) -> Vec<String> {
    let o = run_in(dir, &["query", sql, "--format", "csv", "-q"]);
    ok(&o, sql);
    stdout(&o)
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn profiles_read_the_market_columns() {
    let cases: [(&str, &[(&str, &str)]); 3] = [
        (
            "salesforce",
            &[
                (
                    "Account.csv",
                    "Id,Name,Industry,AnnualRevenue,Potential__c\n001A,Acme,Banking,\"$1,200,000\",50000\n001B,Beta,Retail,,\n",
                ),
                (
                    "Opportunity.csv",
                    "Id,AccountId,Amount,StageName,CloseDate,IsClosed,IsWon,Competitor__c,Loss_Reason__c\n006A,001A,100,Closed Lost,2026-06-30,1,0, Globex ,Price\n006B,001B,200,Closed Won,2026-06-30,1,1,,\n",
                ),
            ],
        ),
        (
            "hubspot",
            &[
                (
                    "hubspot-crm-exports-all-companies.csv",
                    "Record ID,Company name,Industry,Annual Revenue,Potential\n001A,Acme,BANKING,1200000,50000\n001B,Beta,RETAIL,,\n",
                ),
                (
                    "hubspot-crm-exports-all-deals.csv",
                    "Record ID,Associated Company ID,Amount,Deal Stage,Close Date,Is Deal Closed?,Is Closed Won,Competitor,Closed Lost Reason\n006A,001A,100,Closed lost,2026-06-30,true,false, Globex ,Price\n006B,001B,200,Closed won,2026-06-30,true,true,,\n",
                ),
            ],
        ),
        (
            "canonical",
            &[
                (
                    "accounts.csv",
                    "account_id,name,industry,年营业额,预计采购额\n001A,Acme,金融,\"¥1,200,000\",50000\n001B,Beta,零售,,\n",
                ),
                (
                    "opportunities.csv",
                    "opportunity_id,account_id,amount,close_date,is_closed,is_won,竞争对手,输单原因\n006A,001A,100,2026-06-30,是,否, Globex ,价格\n006B,001B,200,2026-06-30,是,是,,\n",
                ),
            ],
        ),
    ];
    for (profile, files) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mcr.toml"),
            "reporting_currency = \"USD\"\n",
        )
        .unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        for (name, text) in files {
            std::fs::write(src.join(name), text).unwrap();
        }
        let o = run_in(dir.path(), &["ingest", "src", "--profile", profile, "-q"]);
        ok(&o, profile);
        assert_eq!(
            query(
                dir.path(),
                "SELECT account_id, annual_revenue, potential FROM accounts ORDER BY account_id"
            ),
            [
                "account_id,annual_revenue,potential",
                "001A,1200000.0,50000.0",
                "001B,,"
            ],
            "{profile}"
        );
        let reason = if profile == "canonical" {
            "价格"
        } else {
            "Price"
        };
        assert_eq!(
            query(dir.path(), "SELECT opportunity_id, competitor, loss_reason FROM opportunities ORDER BY opportunity_id"),
            [
                "opportunity_id,competitor,loss_reason".to_string(),
                format!("006A,Globex,{reason}"),
                "006B,,".to_string()
            ],
            "{profile}"
        );
    }
}

/// The real Salesforce export in ../shared/realdata (skipped when absent): AnnualRevenue is
/// written in scientific notation (`1.01752E11`) and must be read, not reject the accounts.
#[test]
fn real_salesforce_annual_revenue_in_scientific_notation() {
    let Some(src) = realdata("salesforce-prodly-cpq-demo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcr.toml"),
        "reporting_currency = \"USD\"\n",
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &[
            "ingest",
            src.to_str().unwrap(),
            "--profile",
            "salesforce",
            "-q",
        ],
    );
    ok(&o, "ingest");
    assert_eq!(
        query(
            dir.path(),
            "SELECT count(*) AS n, count(annual_revenue) AS a, round(sum(annual_revenue)) AS s FROM accounts"
        ),
        ["n,a,s", "185,161,5895559819835.0"]
    );
}
