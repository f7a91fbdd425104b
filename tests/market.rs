//! Market insight end to end (issue 16): a generated export with wallets and competitors is
//! ingested and analyzed, and the metric tables are checked against an independent
//! computation (tests/independent/market_check.py: Python standard library over the raw CSV
//! exports); an export without the market columns still works and says why the metrics are
//! unavailable.

use std::path::Path;

use crate::common::*;

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
        eprintln!("skipped: python3 is not installed");
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
