//! A lake that many runs share: one writer at a time, snapshot ids that do not collide,
//! re-ingest that notices changed options, CSV outputs safe to open in Excel, and kills at
//! any point leaving the previous lake readable.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("lake/_manifest.json")).unwrap()).unwrap()
}

fn snapshot_ids(dir: &Path) -> Vec<String> {
    manifest(dir)["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// A generated export (seeded) under `dir/name`.
fn generated(dir: &Path, name: &str, accounts: u32, seed: u32) -> PathBuf {
    let out = dir.join(name);
    let o = run_in(
        dir,
        &[
            "generate",
            "--accounts",
            &accounts.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn ingest(dir: &Path, src: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["ingest", src.to_str().unwrap(), "--lake", "lake", "--json"];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

#[test]
fn a_writer_is_refused_naming_the_holder_then_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let held =
        mcr::lake::LakeLock::acquire(&lake, "mcr run --config cron.toml", Duration::ZERO).unwrap();
    let src = fixture("canonical/mini");
    // Interactive commands refuse at once, naming who holds the lake.
    for args in [
        vec!["ingest", src.to_str().unwrap(), "--lake", "lake"],
        vec!["analyze", "--lake", "lake"],
        vec!["run", "--lake", "lake", "--wait", "0"],
    ] {
        let o = run_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains("locked by `mcr run --config cron.toml`"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("hint:") && err.contains("--wait"), "{err}");
    }
    // A dry run writes nothing and needs no lock.
    let o = run_in(
        dir.path(),
        &[
            "ingest",
            src.to_str().unwrap(),
            "--lake",
            "lake",
            "--dry-run",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // With --wait, the writer queues behind the holder.
    let child = mcr()
        .current_dir(dir.path())
        .args([
            "ingest",
            src.to_str().unwrap(),
            "--lake",
            "lake",
            "--wait",
            "60",
            "-q",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    drop(held);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(snapshot_ids(dir.path()).len(), 1);
}

#[test]
fn concurrent_ingests_both_land_with_distinct_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let a = generated(dir.path(), "a", 400, 1);
    // The same export with another name for each account: a second, different source.
    let b = dir.path().join("b");
    copy_dir(&a, &b);
    let acc = b.join("accounts.csv");
    let text = std::fs::read_to_string(&acc).unwrap();
    std::fs::write(&acc, text.replace("Ltd", "Limited")).unwrap();
    let spawn = |src: &Path| {
        mcr()
            .current_dir(dir.path())
            .args([
                "ingest",
                src.to_str().unwrap(),
                "--lake",
                "lake",
                "--wait",
                "120",
                "-q",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (c1, c2) = (spawn(&a), spawn(&b));
    let (o1, o2) = (
        c1.wait_with_output().unwrap(),
        c2.wait_with_output().unwrap(),
    );
    assert!(o1.status.success(), "{}", stderr(&o1));
    assert!(o2.status.success(), "{}", stderr(&o2));
    let ids = snapshot_ids(dir.path());
    assert_eq!(ids.len(), 2, "both snapshots are in the manifest: {ids:?}");
    assert_ne!(ids[0], ids[1]);
    assert!(ids[0] < ids[1], "ids sort in commit order: {ids:?}");
    for id in &ids {
        assert!(
            dir.path()
                .join(format!("lake/accounts/snapshot={id}/part-0.parquet"))
                .is_file(),
            "{id}"
        );
    }
}

#[test]
fn reingest_notices_profile_edits_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("canonical/mini");
    let profile = dir.path().join("my.toml");
    let o = run_in(dir.path(), &["profiles", "show", "canonical"]);
    std::fs::write(&profile, &o.stdout).unwrap();
    let p = profile.to_str().unwrap();
    let noop = |o: &std::process::Output| -> (bool, Vec<String>) {
        assert!(o.status.success(), "{}", stderr(o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let because = v["reingest_because"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        (v["noop"].as_bool().unwrap(), because)
    };
    assert!(!noop(&ingest(dir.path(), &src, &["--profile", p])).0);
    assert!(noop(&ingest(dir.path(), &src, &["--profile", p])).0);
    // The fix-and-retry loop: an edited profile file is a new snapshot.
    let mut text = std::fs::read_to_string(&profile).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&profile, text).unwrap();
    let (was_noop, because) = noop(&ingest(dir.path(), &src, &["--profile", p]));
    assert!(!was_noop);
    assert_eq!(because, ["the profile's text"]);
    assert!(noop(&ingest(dir.path(), &src, &["--profile", p])).0);
    // --strict changes rows.
    let (was_noop, because) = noop(&ingest(dir.path(), &src, &["--profile", p, "--strict"]));
    assert!(!was_noop);
    assert_eq!(because, ["strict false → true"]);
    // --force always re-ingests.
    let (was_noop, because) = noop(&ingest(
        dir.path(),
        &src,
        &["--profile", p, "--strict", "--force"],
    ));
    assert!(!was_noop);
    assert_eq!(because, ["--force"]);
    // The human message says why.
    std::fs::write(
        &profile,
        std::fs::read_to_string(&profile).unwrap() + "# again\n",
    )
    .unwrap();
    let o = run_in(
        dir.path(),
        &[
            "ingest",
            src.to_str().unwrap(),
            "--lake",
            "lake",
            "--profile",
            p,
            "--strict",
        ],
    );
    assert!(
        stderr(&o).contains("ingesting them again because of: the profile's text"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn turning_contact_hashing_on_reingests_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("canonical/mini");
    std::fs::write(dir.path().join("mcr.toml"), "hash_contact_pii = false\n").unwrap();
    let o = ingest(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let contacts = |dir: &Path| {
        let o = run_in(
            dir,
            &[
                "query",
                "SELECT email FROM contacts",
                "--lake",
                "lake",
                "--format",
                "csv",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert!(contacts(dir.path()).contains("p1@example.com"));
    std::fs::write(dir.path().join("mcr.toml"), "hash_contact_pii = true\n").unwrap();
    let o = ingest(dir.path(), &src, &[]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["noop"], false, "{v}");
    assert!(!contacts(dir.path()).contains("@example.com"));
}

#[test]
fn formula_like_names_are_neutralised_in_every_csv() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    copy_dir(&fixture("canonical/mini"), &src);
    let acc = src.join("accounts.csv");
    let text = std::fs::read_to_string(&acc)
        .unwrap()
        .replace(
            "Müller & Söhne <GmbH>",
            "\"=HYPERLINK(\"\"http://x.example\"\",\"\"click\"\")\"",
        )
        .replace("<script>alert(1)</script>", "@SUM(1+1)");
    std::fs::write(&acc, text).unwrap();
    let o = ingest(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["analyze", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Every metric CSV: no cell starts a formula.
    let mut csvs = 0;
    for (name, bytes) in tree(&dir.path().join("lake/metrics")) {
        if !name.ends_with(".csv") {
            continue;
        }
        csvs += 1;
        let text = String::from_utf8_lossy(&bytes);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !(matches!(cell.chars().next(), Some('=' | '@' | '\t' | '\r'))
                        || (cell.starts_with('+') && cell.parse::<f64>().is_err())),
                    "{name}: {cell:?}"
                );
            }
        }
        if name.ends_with("accounts.csv") {
            assert!(text.contains("'=HYPERLINK("), "{name}");
            assert!(text.contains("'@SUM(1+1)"), "{name}");
        }
    }
    assert!(csvs >= 4, "{csvs} CSV files");
    // `mcr query --format csv` likewise; JSON and Parquet keep the raw value.
    let q = [
        "query",
        "SELECT name FROM metrics_accounts ORDER BY name",
        "--lake",
        "lake",
    ];
    let o = run_in(dir.path(), &[&q[..], &["--format", "csv"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("'@SUM(1+1)"), "{}", stdout(&o));
    let o = run_in(dir.path(), &[&q[..], &["--json"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rows.to_string().contains("\"@SUM(1+1)\""), "{rows}");
    // Every metric table analyze writes is queryable as metrics_<name> (evidence was missed).
    for t in mcr::contract::metric_tables::MetricTable::ALL {
        let sql = format!("SELECT count(*) AS n FROM metrics_{}", t.name());
        let o = run_in(dir.path(), &["query", &sql, "--lake", "lake"]);
        assert!(o.status.success(), "{sql}: {}", stderr(&o));
    }
}

/// `kill -9` at several points of an ingest and of an analyze: the previous lake and the
/// previous metric tables stay readable, and the next run succeeds.
#[test]
fn kill_9_at_any_point_leaves_the_previous_lake_readable() {
    let dir = tempfile::tempdir().unwrap();
    let small = generated(dir.path(), "small", 200, 3);
    let big = generated(dir.path(), "big", 3000, 4);
    let o = ingest(dir.path(), &small, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &["analyze", "--lake", "lake", "-q", "--as-of", "2026-09-30"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest_before = std::fs::read(dir.path().join("lake/_manifest.json")).unwrap();
    let summary = dir
        .path()
        .join("lake/metrics/as_of=2026-09-30/summary.json");
    // How long a full ingest of `big` takes, to spread the kills over it.
    let started = Instant::now();
    let full = run_in(
        dir.path(),
        &["ingest", big.to_str().unwrap(), "--lake", "lake2", "-q"],
    );
    assert!(full.status.success(), "{}", stderr(&full));
    let span = started.elapsed().as_millis().max(50) as u64;
    for k in 1..=4u64 {
        let delay = Duration::from_millis(span * k / 5);
        let mut child = mcr()
            .current_dir(dir.path())
            .args(["ingest", big.to_str().unwrap(), "--lake", "lake", "-q"])
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        kill_9(&mut child);
        let now = std::fs::read(dir.path().join("lake/_manifest.json")).unwrap();
        // Either untouched, or the kill came after the commit: never a half-written manifest.
        let v: Value = serde_json::from_slice(&now).expect("manifest stays valid JSON");
        if now != manifest_before {
            assert_eq!(v["snapshots"].as_array().unwrap().len(), 2, "kill {k}");
            break;
        }
        let st = run_in(dir.path(), &["lake", "status", "--lake", "lake", "--json"]);
        assert!(st.status.success(), "kill {k}: {}", stderr(&st));
    }
    // Analyze killed part-way: the previous tables of that as_of stay readable.
    for k in 1..=3u64 {
        let mut child = mcr()
            .current_dir(dir.path())
            .args(["analyze", "--lake", "lake", "-q", "--as-of", "2026-09-30"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 * k));
        kill_9(&mut child);
        let o = run_in(
            dir.path(),
            &[
                "query",
                "SELECT count(*) AS n FROM metrics_accounts",
                "--lake",
                "lake",
                "--as-of",
                "2026-09-30",
                "--format",
                "csv",
            ],
        );
        assert!(
            o.status.success(),
            "kill {k}: metrics unreadable: {}",
            stderr(&o)
        );
        let n: u64 = stdout(&o)
            .trim_start_matches('\u{feff}')
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("kill {k}: no count in {:?}", stdout(&o)));
        assert!(n > 0, "kill {k}: the accounts table is empty");
    }
    // The next runs tidy up and succeed.
    let o = ingest(dir.path(), &big, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        dir.path(),
        &["analyze", "--lake", "lake", "-q", "--as-of", "2026-09-30"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(summary.is_file());
    let names: Vec<String> = tree(&dir.path().join("lake"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains(".staging") || n.contains(".tmp-") || n.contains(".old-")),
        "{names:?}"
    );
}

fn kill_9(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn lake_files_are_readable_by_others_per_the_umask_and_the_salt_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let o = ingest(dir.path(), &fixture("canonical/mini"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["analyze", "--lake", "lake", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The test harness runs with the usual umask 022: files 0644, folders 0755.
        let m = mode(&dir.path().join("lake/_manifest.json"));
        assert_eq!(m & 0o044, 0o044, "manifest mode {m:o}");
        let metrics = std::fs::read_dir(dir.path().join("lake/metrics"))
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("as_of="))
            .unwrap()
            .path();
        assert_eq!(
            mode(&metrics) & 0o055,
            0o055,
            "metrics folder {:o}",
            mode(&metrics)
        );
        assert_eq!(mode(&dir.path().join("lake/_salt")), 0o600);
    }
    // An unreadable salt stops the ingest instead of being replaced.
    let salt = dir.path().join("lake/_salt");
    let before = std::fs::read(&salt).unwrap();
    std::fs::write(&salt, "").unwrap();
    let src = dir.path().join("src");
    copy_dir(&fixture("canonical/mini"), &src);
    std::fs::write(
        src.join("accounts.csv"),
        std::fs::read_to_string(src.join("accounts.csv")).unwrap()
            + "A9,New,Retail,East,CN,E1,,C,2024-01-01\n",
    )
    .unwrap();
    let o = ingest(dir.path(), &src, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("_salt"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&salt).unwrap(), b"");
    std::fs::write(&salt, before).unwrap();
    let o = ingest(dir.path(), &src, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn analyze_quiet_prints_nothing_and_run_lists_each_page_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = ingest(dir.path(), &fixture("canonical/mini"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["analyze", "--lake", "lake", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
    let o = run_in(
        dir.path(),
        &["query", "SELECT 1 AS one", "--lake", "lake", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("--json prints JSON");
    assert_eq!(v[0]["one"], 1, "{v}");
    let o = run_in(dir.path(), &["run", "--lake", "lake", "--out", "reports"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("index.html").count(), 1, "{out}");
}
