//! What commands print on stdout: a closed pipe (`mcr … | head`) ends every command quietly.

use std::process::Stdio;

use crate::common::{mcr, run_in, stderr};

#[test]
fn closed_stdout_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [
        &["generate", "--accounts", "60", "--out", "data"][..],
        &["ingest", "data", "--quiet"],
        &["analyze", "--quiet"],
    ] {
        let o = run_in(d, args);
        assert!(o.status.success(), "mcr {args:?}: {}", stderr(&o));
    }
    for args in [
        &["lake", "status", "--json"][..],
        &["lake", "status"],
        &["query", "SELECT * FROM activities"],
        &["query", "SELECT * FROM activities", "--format", "csv"],
        &["query", "SELECT * FROM activities", "--format", "json"],
        &["analyze", "--json"],
        &["analyze"],
        &["whatif", "--remove-employee", "E00001", "--json"],
        &["report", "--json"],
        &["profiles"],
        &["config", "--defaults"],
        &["config"],
    ] {
        // the reading end is closed before mcr writes: its first write meets a closed pipe
        let mut child = mcr()
            .current_dir(d)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "mcr {args:?}: {:?} {err}", o.status);
        assert!(
            !err.contains("Broken pipe") && !err.contains("error") && !err.contains("panicked"),
            "mcr {args:?}: {err}"
        );
    }
}
