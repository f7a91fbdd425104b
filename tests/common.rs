//! Helpers shared by the integration tests.
//!
//! Dependencies outside the repository — the shared folder (the spec's conformance example and
//! the public real exports), `python3`, Chromium — go through [`absent`] when missing: the test
//! fails under `CI=true` and says it skipped (on stderr) elsewhere, never a silent pass. The
//! spec's conformance tests are what ties the metrics to the spec, so CI requires the shared
//! folder: `.ci/run` stops before building when it cannot find it (see [`shared`]).

use std::path::{Path, PathBuf};
use std::process::Output;

/// The `mcr` binary built for these tests.
pub fn mcr() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mcr"));
    c.env_remove("MCR_FAIL_AT");
    c
}

/// Run `mcr` with args in a working directory.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    mcr().current_dir(dir).args(args).output().expect("run mcr")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// A path of the shared folder, when present: `$MCR_SHARED/<rel>` when `MCR_SHARED` is set
/// (and then only there), else `../shared/<rel>` beside the repository, else
/// `/work/shared/<rel>` (this machine kind, when the repository was cloned elsewhere).
pub fn shared(rel: &str) -> Option<PathBuf> {
    let bases = match std::env::var_os("MCR_SHARED").filter(|v| !v.is_empty()) {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![repo().join("../shared"), PathBuf::from("/work/shared")],
    };
    bases
        .into_iter()
        .map(|base| base.join(rel))
        .find(|p| p.exists())
}

/// A test needs `what` and it is absent. Under CI (`CI=true`) that fails the test — a missing
/// dependency is never a silent pass there; elsewhere it says so on stderr and the caller
/// skips what needs it.
pub fn absent(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "{what} is required when CI=true, and it is absent");
    eprintln!("skipped: {what} not present (outside CI; under CI=true this fails)");
}

/// The spec's conformance example, when the shared spec folder is present beside the repo.
pub fn spec_small() -> Option<PathBuf> {
    shared("spec/examples/small")
}

/// A public real export of `../shared/realdata`, when present ([`absent`] when not).
pub fn realdata(name: &str) -> Option<PathBuf> {
    let found = shared(&format!("realdata/{name}"));
    if found.is_none() {
        absent(&format!("../shared/realdata/{name}"));
    }
    found
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A lake folder's files and their bytes, for "exactly as before" comparisons. The lock file
/// (`.lock`, a note of the last writer) is not lake data and is left out.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_name() == ".lock" {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `mcr ingest SOURCES --profile PROFILE --lake lake --json EXTRA` in `dir`:
/// (success, the JSON report, stderr).
pub fn ingest(
    dir: &Path,
    profile: &str,
    sources: &[&Path],
    extra: &[&str],
) -> (bool, serde_json::Value, String) {
    let mut args: Vec<String> = vec!["ingest".to_string()];
    args.extend(sources.iter().map(|s| s.to_str().unwrap().to_string()));
    for a in ["--profile", profile, "--lake", "lake", "--json"] {
        args.push(a.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = mcr().current_dir(dir).args(&args).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.success(), v, stderr(&o))
}

/// `mcr query SQL --format csv --lake lake` in `dir`: the rows without the header line;
/// `None` when the query fails (a table the lake does not have).
pub fn try_lake_rows(dir: &Path, sql: &str) -> Option<Vec<String>> {
    let o = run_in(
        dir,
        &["query", sql, "--format", "csv", "--lake", "lake", "-q"],
    );
    o.status.success().then(|| {
        stdout(&o)
            .trim_start_matches('\u{feff}')
            .lines()
            .skip(1)
            .map(|l| l.trim_end().to_string())
            .collect()
    })
}

/// [`try_lake_rows`], which must succeed.
pub fn lake_rows(dir: &Path, sql: &str) -> Vec<String> {
    try_lake_rows(dir, sql).unwrap_or_else(|| panic!("query failed: {sql}"))
}
