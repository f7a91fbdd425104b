//! Arbitrary bytes through the readers (CSV in any encoding, XLSX, JSON) and the whole row
//! pipeline: never a panic, for every file that can be read, rows read = accepted +
//! rejected, and a file that cannot be read is an error naming it.

use std::collections::BTreeMap;

use proptest::prelude::*;

fn dry_run(dir: &std::path::Path) -> anyhow::Result<mcr::ingest::IngestReport> {
    let profile = mcr::profiles::load("canonical")?;
    let lake = mcr::lake::Lake::open(dir.join("lake"));
    let opts = mcr::ingest::IngestOptions {
        profile: &profile,
        profile_label: "canonical".into(),
        strict: false,
        dry_run: true,
        hash_pii: true,
        reporting_currency: Some("CNY".into()),
        progress: false,
        force: false,
        inputs: BTreeMap::new(),
        source: "default".into(),
        precedence: vec![],
    };
    mcr::ingest::ingest(&lake, &[dir.join("in")], &opts)
}

fn check(file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    std::fs::write(dir.path().join("in").join(file), bytes).unwrap();
    // An unreadable file is an error naming it; a readable one accounts for every row.
    match dry_run(dir.path()) {
        Ok(report) => {
            for f in &report.files {
                prop_assert_eq!(f.rows_read, f.accepted + f.rejected, "{}", f.path);
            }
        }
        Err(e) => {
            let msg = format!("{e:#}");
            prop_assert!(
                msg.contains(file),
                "the error does not name {}: {}",
                file,
                msg
            );
        }
    }
    Ok(())
}

/// Bytes that look a little like an accounts export: a header, then fields drawn from
/// separators, quotes, line ends, multi-byte text and raw bytes.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b";".to_vec()),
        Just("客户".as_bytes().to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"2026/1/31".to_vec()),
        Just(b"-1,234.50".to_vec()),
        "[a-zA-Z0-9 ]{0,6}".prop_map(|s| s.into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|parts| {
        let mut out = b"account_id,name,industry,region,country,owner_id,parent_account_id,declared_tier,created_date\n".to_vec();
        for p in parts {
            out.extend(p);
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_csv(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check("accounts.csv", &bytes)?;
    }

    #[test]
    fn csv_like_bytes(bytes in csvish()) {
        check("accounts.csv", &bytes)?;
    }

    #[test]
    fn arbitrary_bytes_as_xlsx_and_json(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check("accounts.xlsx", &bytes)?;
        check("accounts.json", &bytes)?;
        check("accounts.ndjson", &bytes)?;
    }

    #[test]
    fn a_real_workbook_with_bytes_flipped(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = std::fs::read(crate::common::fixture("xlsx/crm_export.xlsx"))
            .expect("the committed fixture xlsx/crm_export.xlsx");
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= b | 1;
        }
        check("crm_export.xlsx", &bytes)?;
    }
}
