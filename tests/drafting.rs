//! `mcr profiles init` proved on the data (issue 21): every export folder the tests know —
//! the fixtures, the unseen corpus (`tests/fixtures/unseen`, made by its `make.py`) and the
//! public real exports beside the repository — goes through init → ingest → analyze with no
//! edit and no config, keeping ≥ 95 % of the rows of every file it uses; the unseen corpus
//! gives the figures of its canonical twins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

/// Export folders: fixtures of profiles, the unseen corpus (not the twins), real exports.
fn export_folders() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut add = |dir: PathBuf, skip_twins: bool| {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut v: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .filter(|p| !(skip_twins && p.to_string_lossy().ends_with(".canonical")))
            .collect();
        v.sort();
        out.extend(v);
    };
    add(fixture("profiles"), false);
    add(fixture("canonical"), false);
    add(fixture("unseen"), true);
    add(repo().join("../shared/realdata"), false);
    out
}

/// `profiles init DIR -o draft.toml --json` in `work`: the coverage JSON.
fn init(work: &Path, src: &Path) -> Value {
    let o = run_in(
        work,
        &[
            "profiles",
            "init",
            src.to_str().unwrap(),
            "-o",
            "draft.toml",
            "--json",
        ],
    );
    assert!(
        o.status.success(),
        "init {}: {}",
        src.display(),
        stderr(&o)
    );
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

/// `ingest SRC --profile P --lake lake --json`: (success, report, stderr).
fn ingest(work: &Path, src: &Path, profile: &str) -> (bool, Value, String) {
    let o = run_in(
        work,
        &[
            "ingest",
            src.to_str().unwrap(),
            "--profile",
            profile,
            "--lake",
            "lake",
            "--json",
        ],
    );
    let v = serde_json::from_str(&stdout(&o)).unwrap_or(Value::Null);
    (o.status.success(), v, stderr(&o))
}

fn analyze(work: &Path) -> (bool, String) {
    let o = run_in(work, &["analyze", "--lake", "lake", "-q"]);
    (o.status.success(), stderr(&o))
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

/// The share of rows kept per source file of an ingest report: (file, read, accepted).
fn kept(report: &Value) -> Vec<(String, u64, u64)> {
    report["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["encoding"] != "derived")
                .map(|f| {
                    let n = |k: &str| f[k].as_u64().unwrap_or(0);
                    let read = n("rows_read");
                    assert_eq!(
                        read,
                        n("accepted") + n("rejected") + n("excluded"),
                        "read = accepted + rejected + excluded: {f:#}"
                    );
                    (
                        f["path"].as_str().unwrap_or("").to_string(),
                        read - n("excluded"),
                        n("accepted"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_export_folder_drafts_ingests_and_keeps_95_percent_unedited() {
    let folders = export_folders();
    assert!(
        folders.len() >= 10,
        "the fixtures hold the export folders: {folders:?}"
    );
    let mut failures = Vec::new();
    for src in &folders {
        let work = tempfile::tempdir().unwrap();
        let cov = init(work.path(), src);
        let (ok, report, err) = ingest(work.path(), src, "draft.toml");
        if !ok {
            let draft = std::fs::read_to_string(work.path().join("draft.toml")).unwrap();
            failures.push(format!("{}: ingest failed: {err}\n{draft}", src.display()));
            continue;
        }
        for (file, read, acc) in kept(&report) {
            if read > 0 && (acc as f64) < 0.95 * read as f64 {
                failures.push(format!(
                    "{}: {file} keeps {acc} of {read}\n{}",
                    src.display(),
                    serde_json::to_string_pretty(&cov["files"]).unwrap()
                ));
            }
        }
        let (ok, err) = analyze(work.path());
        if !ok {
            failures.push(format!("{}: analyze failed: {err}", src.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The figures compared between an export and its canonical twin.
fn figures(work: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for t in ["accounts", "opportunities", "revenue", "activities", "contacts"] {
        if let Some(n) = query(work, &format!("SELECT COUNT(*) FROM {t}")).first() {
            m.insert(format!("{t} rows"), n.clone());
        }
    }
    for l in query(
        work,
        "SELECT metric, ROUND(value, 6) FROM metrics_concentration WHERE level = 'account' AND dimension = 'all' ORDER BY metric",
    ) {
        if let Some((k, v)) = l.split_once(',') {
            m.insert(format!("concentration {k}"), v.to_string());
        }
    }
    if let Some(s) = query(work, "SELECT ROUND(SUM(amount), 2) FROM revenue").first() {
        m.insert("revenue total".into(), s.clone());
    }
    m
}

#[test]
fn the_unseen_corpus_gives_the_figures_of_its_canonical_twins() {
    let root = fixture("unseen");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expected.json")).unwrap())
            .unwrap();
    let shapes = expected.as_object().unwrap();
    assert!(shapes.len() >= 8, "at least eight shapes: {shapes:?}");
    let mut failures = Vec::new();
    for (shape, _) in shapes {
        let src = root.join(shape);
        let twin = root.join(format!("{shape}.canonical"));
        let a = tempfile::tempdir().unwrap();
        init(a.path(), &src);
        let (ok, _, err) = ingest(a.path(), &src, "draft.toml");
        assert!(ok, "{shape}: {err}");
        assert!(analyze(a.path()).0, "{shape}");
        let b = tempfile::tempdir().unwrap();
        let (ok, _, err) = ingest(b.path(), &twin, "canonical");
        assert!(ok, "{shape} twin: {err}");
        assert!(analyze(b.path()).0, "{shape} twin");
        let (fa, fb) = (figures(a.path()), figures(b.path()));
        if fa != fb {
            let draft = std::fs::read_to_string(a.path().join("draft.toml")).unwrap();
            failures.push(format!("{shape}:\n export {fa:#?}\n twin {fb:#?}\n{draft}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
