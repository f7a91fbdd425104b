//! `mcr ingest` end to end: the conformance example, the bad-input corpus, no-op re-ingest,
//! interrupted ingests and `lake status`.

use crate::common::*;
use serde_json::Value;

/// One table's entry of `mcr lake status --json` for the lake `lake` in `dir`.
fn lake_table_status(dir: &std::path::Path, table: &str) -> Value {
    let status = run_in(dir, &["lake", "status", "--lake", "lake", "--json"]);
    let s: Value = serde_json::from_slice(&status.stdout).unwrap();
    s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap()
        .clone()
}

fn ingest_json(
    dir: &std::path::Path,
    source: &std::path::Path,
    extra: &[&str],
) -> (std::process::Output, Option<Value>) {
    let mut args = vec![
        "ingest",
        source.to_str().unwrap(),
        "--lake",
        "lake",
        "--json",
    ];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    let v = serde_json::from_slice(&o.stdout).ok();
    (o, v)
}

fn file_counts(v: &Value, table: &str) -> (u64, u64, u64) {
    let f = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == table)
        .unwrap_or_else(|| panic!("no {table} in {v}"));
    (
        f["rows_read"].as_u64().unwrap(),
        f["accepted"].as_u64().unwrap(),
        f["rejected"].as_u64().unwrap(),
    )
}

#[test]
fn conformance_example_row_counts_and_rejects() {
    let Some(small) = spec_small() else {
        absent("../shared/spec/examples/small");
        return;
    };
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(small.join("expected/meta.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (o, v) = ingest_json(dir.path(), &small, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = v.unwrap();
    for (table, written) in meta["rows_written"].as_object().unwrap() {
        let (read, accepted, rejected) = file_counts(&v, table);
        let bad = meta["bad_rows"][table].as_u64().unwrap_or(0);
        // Labels never cost rows (data-contract.md): of the planted bad rows, the contact
        // with an unknown decision role (`astrologer`) and the one with a support of 7 are
        // kept, those cells left empty and counted by MCR009.
        let kept_labels = if table == "contacts" { 2 } else { 0 };
        assert_eq!(read, accepted + rejected, "{table}");
        assert_eq!(rejected, bad - kept_labels, "{table} rejects: {}", v);
        assert_eq!(accepted + rejected, written.as_u64().unwrap(), "{table}");
    }
    // Rejects are kept with file, line, column, reason and the raw record.
    let rejects = dir.path().join("lake/_rejects/accounts");
    assert!(rejects.is_dir());
    let accounts = lake_table_status(dir.path(), "accounts");
    assert_eq!(accounts["rejected"], 2);
}

#[test]
fn reingesting_the_same_files_is_a_noop() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("canonical/mini");
    let (o, v) = ingest_json(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(v.unwrap()["noop"], false);
    let before = tree(&dir.path().join("lake"));
    let (o, v) = ingest_json(dir.path(), &src, &[]);
    assert!(o.status.success());
    assert_eq!(v.unwrap()["noop"], true);
    assert_eq!(tree(&dir.path().join("lake")), before);
}

#[test]
fn personal_data_is_hashed_in_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = ingest_json(dir.path(), &fixture("canonical/mini"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (name, bytes) in tree(&dir.path().join("lake")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("@example.com"), "{name} holds an email");
        assert!(!text.contains("13800000001"), "{name} holds a phone");
    }
}

#[test]
fn an_interrupted_ingest_leaves_the_lake_exactly_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = ingest_json(dir.path(), &fixture("canonical/mini"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = tree(&dir.path().join("lake"));
    // A changed export, ingest killed (abort) after staging and after moving snapshots.
    let changed = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fixture("canonical/mini"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), changed.path().join(e.file_name())).unwrap();
    }
    let acc = changed.path().join("accounts.csv");
    let mut text = std::fs::read_to_string(&acc).unwrap();
    text.push_str("A9,New account,Retail,East,CN,E1,,C,2024-01-01\n");
    std::fs::write(&acc, text).unwrap();
    for point in ["staged", "moved"] {
        let o = mcr()
            .current_dir(dir.path())
            .env("MCR_FAIL_AT", point)
            .args([
                "ingest",
                changed.path().to_str().unwrap(),
                "--lake",
                "lake",
                "-q",
            ])
            .output()
            .unwrap();
        assert!(!o.status.success(), "{point}");
        // The manifest still lists only the old snapshot, so every reader sees the old lake.
        let accounts = lake_table_status(dir.path(), "accounts");
        assert_eq!(accounts["rows"], 3, "{point}");
        let manifest_now = std::fs::read(dir.path().join("lake/_manifest.json")).unwrap();
        let manifest_before = &before
            .iter()
            .find(|(n, _)| n == "_manifest.json")
            .unwrap()
            .1;
        assert_eq!(&manifest_now, manifest_before, "{point}");
    }
    // The next ingest cleans the leftovers and succeeds.
    let (o, _) = ingest_json(dir.path(), changed.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = tree(&dir.path().join("lake"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(!names.iter().any(|n| n.contains(".staging")), "{names:?}");
}

/// Each bad input gives a clear error (naming the file) or quarantined rows — never a panic
/// or a partial lake.
#[test]
fn bad_input_corpus() {
    struct Case {
        name: &'static str,
        ok: bool,
        /// (accepted, rejected) of accounts when ok; a message fragment when not.
        accepted: u64,
        rejected: u64,
        message: &'static str,
    }
    let cases = [
        Case {
            name: "empty",
            ok: false,
            accepted: 0,
            rejected: 0,
            message: "is empty",
        },
        Case {
            name: "header_only",
            ok: true,
            accepted: 0,
            rejected: 0,
            message: "",
        },
        Case {
            name: "ragged",
            ok: true,
            accepted: 2,
            rejected: 2,
            message: "",
        },
        Case {
            name: "unterminated_quote",
            ok: true,
            accepted: 1,
            rejected: 1,
            message: "",
        },
        Case {
            name: "duplicate_headers",
            ok: false,
            accepted: 0,
            rejected: 0,
            message: "both map to `name`",
        },
        Case {
            name: "unknown_columns",
            ok: true,
            accepted: 2,
            rejected: 0,
            message: "",
        },
        Case {
            name: "binary",
            ok: false,
            accepted: 0,
            rejected: 0,
            message: "not a text table",
        },
        Case {
            name: "huge_field",
            ok: true,
            accepted: 2,
            rejected: 0,
            message: "",
        },
        // Latin-1 bytes alone between ASCII letters (`Caf\xe9 M\xfcller`): a Western
        // single-byte code page, read as windows-1252 (not GBK, not an error).
        Case {
            name: "wrong_encoding",
            ok: true,
            accepted: 1,
            rejected: 0,
            message: "",
        },
        Case {
            name: "mixed_currency",
            ok: false,
            accepted: 0,
            rejected: 0,
            message: "no fx_rates table",
        },
        Case {
            name: "duplicate_keys",
            ok: true,
            accepted: 2,
            rejected: 1,
            message: "",
        },
    ];
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        let src = fixture(&format!("bad/{}", c.name));
        let (o, v) = ingest_json(dir.path(), &src, &[]);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{}: {err}", c.name);
        if c.ok {
            assert!(o.status.success(), "{}: {err}", c.name);
            let v = v.unwrap();
            let (read, accepted, rejected) = file_counts(&v, "accounts");
            assert_eq!(
                (accepted, rejected),
                (c.accepted, c.rejected),
                "{}: {v}",
                c.name
            );
            assert_eq!(read, accepted + rejected);
        } else {
            assert_eq!(o.status.code(), Some(1), "{}: {err}", c.name);
            assert!(err.contains(c.message), "{}: {err}", c.name);
            assert!(err.contains("hint:"), "{}: {err}", c.name);
            assert!(
                err.contains(c.name),
                "{}: error must name the file: {err}",
                c.name
            );
            assert!(
                !dir.path().join("lake/_manifest.json").exists(),
                "{}: partial lake",
                c.name
            );
        }
    }
}

#[test]
fn duplicate_keys_name_the_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let (o, v) = ingest_json(dir.path(), &fixture("bad/duplicate_keys"), &[]);
    assert!(o.status.success());
    let v = v.unwrap();
    let sample = &v["files"][0]["reject_samples"][0];
    assert_eq!(sample["line"], 4);
    assert_eq!(
        sample["reason"],
        "duplicate key `A1` (first seen on line 2)"
    );
}

#[test]
fn duplicate_keys_across_files_name_where_they_were_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    for (folder, body) in [
        ("q1", "account_id,name\nA1,One\nA2,Two\n"),
        (
            "q2",
            "account_id,name\nA3,Three\nA1,One again\nA3,Three again\n",
        ),
    ] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join("accounts.csv"), body).unwrap();
    }
    let o = run_in(
        dir.path(),
        &["ingest", "q1", "q2", "--lake", "lake", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let second = &v["files"][1];
    assert_eq!(second["rows_read"], 3);
    assert_eq!(second["accepted"], 1);
    let reasons: Vec<&str> = second["reject_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "duplicate key `A1` (first seen in an earlier file)",
            "duplicate key `A3` (first seen on line 2)"
        ]
    );
}

#[test]
fn gbk_and_utf16_exports_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let text = "account_id,name,industry\nA1,华为技术有限公司,通信\nA2,客户2,交通\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(src.join("accounts.csv"), &gbk).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "contact_id\taccount_id\tlevel\nC1\tA1\t高层\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    std::fs::write(src.join("contacts.csv"), &utf16).unwrap();
    let (o, v) = ingest_json(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = v.unwrap();
    assert_eq!(file_counts(&v, "accounts"), (2, 2, 0));
    assert_eq!(file_counts(&v, "contacts"), (1, 1, 0));
    let q = run_in(
        dir.path(),
        &[
            "query",
            "--lake",
            "lake",
            "SELECT name FROM accounts ORDER BY account_id",
            "--format",
            "csv",
        ],
    );
    if q.status.success() {
        assert!(stdout(&q).contains("华为技术有限公司"), "{}", stdout(&q));
    }
}

#[test]
fn dry_run_writes_nothing_and_shows_columns() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "ingest",
            fixture("bad/unknown_columns").to_str().unwrap(),
            "--lake",
            "lake",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("ignored: favourite_colour, shoe_size"),
        "{err}"
    );
    assert!(err.contains("missing:"), "{err}");
    assert!(!dir.path().join("lake").exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["ingest"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(dir.path(), &["ingest", ".", "--profile", "no-such-profile"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("hint:"));
    let o = run_in(dir.path(), &["analyze", "--as-of", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_unknown_keys_name_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcr.toml"),
        "lake = \"l\"\nlangauge = \"en\"\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["lake", "status"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("langauge") && err.contains("mcr.toml"),
        "{err}"
    );
    let o = run_in(dir.path(), &["config", "--defaults"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("reporting_currency = \"CNY\""));
}

#[test]
fn json_and_ndjson_exports_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("accounts.json"),
        r#"{"records": [{"account_id": "A1", "name": "One", "created_date": "2026/1/5"}, {"account_id": "A2", "name": "Two"}, {"account_id": "", "name": "No id"}]}"#,
    )
    .unwrap();
    std::fs::write(
        src.join("revenue.ndjson"),
        "{\"document_id\": \"D1\", \"account_id\": \"A1\", \"date\": \"2026-01-05\", \"amount\": 10.5}\n\n{\"document_id\": \"D2\", \"account_id\": \"A9\", \"date\": \"2026-01-06\", \"amount\": \"¥1,000\"}\n{\"document_id\": \"D3\", \"account_id\": \"A1\", \"date\": \"yesterday\", \"amount\": 1}\n",
    )
    .unwrap();
    let (o, v) = ingest_json(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = v.unwrap();
    assert_eq!(file_counts(&v, "accounts"), (3, 2, 1));
    assert_eq!(file_counts(&v, "revenue"), (3, 2, 1));
    let rev = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "revenue")
        .unwrap();
    assert_eq!(rev["orphans"], 1);
    assert_eq!(rev["reject_samples"][0]["line"], 4);
    assert_eq!(rev["reject_samples"][0]["column"], "date");
}

#[test]
fn xlsx_workbook_sheets_are_tables_with_typed_cells_and_row_numbered_rejects() {
    // tests/fixtures/xlsx/crm_export.xlsx (made with openpyxl): sheet `accounts` with Excel
    // dates, a text date and Chinese / markup names; sheet `revenue` with a ¥ text amount,
    // an empty margin and one bad date on sheet row 4; sheet `notes` matches no table.
    let dir = tempfile::tempdir().unwrap();
    let (o, v) = ingest_json(dir.path(), &fixture("xlsx"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = v.unwrap();
    let files = v["files"].as_array().unwrap();
    let by_table = |t: &str| files.iter().find(|f| f["table"] == t).unwrap();
    let acc = by_table("accounts");
    assert_eq!(acc["sheet"], "accounts");
    assert_eq!(acc["encoding"], "xlsx");
    assert_eq!(
        (acc["rows_read"].as_u64(), acc["accepted"].as_u64()),
        (Some(3), Some(3))
    );
    let rev = by_table("revenue");
    assert_eq!(
        (rev["rows_read"].as_u64(), rev["accepted"].as_u64()),
        (Some(4), Some(3))
    );
    let reject = &rev["reject_samples"][0];
    assert_eq!(reject["line"], 4);
    assert_eq!(reject["column"], "date");
    assert_eq!(files.len(), 2, "the `notes` sheet is not a table");

    // The typed values, read back through SQL.
    let o = run_in(
        dir.path(),
        &[
            "query",
            "SELECT account_id, name, CAST(created_date AS VARCHAR) AS created FROM accounts ORDER BY account_id",
            "--format",
            "csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "account_id,name,created\nA1,华为技术,2021-03-15\nA2,Müller & Söhne <GmbH>,2022-01-31\nA3,Third,2023-07-01\n"
    );
    let o = run_in(
        dir.path(),
        &[
            "query",
            "SELECT document_id, amount, gross_margin FROM revenue ORDER BY document_id",
            "--format",
            "csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "document_id,amount,gross_margin\nINV1,120000.5,30000.0\nINV2,80000.0,\nINV4,1000.0,100.0\n"
    );
}

#[test]
fn orphan_counts_follow_the_current_accounts() {
    // Contacts are checked against the accounts at ingest; when accounts are re-ingested
    // later, analyze must count again rather than reuse the ingest's figure.
    let dir = tempfile::tempdir().unwrap();
    let orphans = |dir: &std::path::Path| -> Value {
        let o = run_in(
            dir,
            &[
                "analyze",
                "--lake",
                "lake",
                "--as-of",
                "2026-09-30",
                "--json",
                "-q",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["data_quality"]["orphans"].clone()
    };
    let write = |folder: &str, name: &str, body: &str| {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(folder).join(name), body).unwrap();
    };
    write("first", "accounts.csv", "account_id,name\nA1,One\nA2,Two\n");
    write(
        "first",
        "contacts.csv",
        "contact_id,account_id,name\nc1,A1,Ann\nc2,A2,Bo\nc3,A9,Cy\n",
    );
    let o = run_in(dir.path(), &["ingest", "first", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(orphans(dir.path())["contacts"], 1);
    write("second", "accounts.csv", "account_id,name\nA1,One\n");
    let o = run_in(dir.path(), &["ingest", "second", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(orphans(dir.path())["contacts"], 2);
}
