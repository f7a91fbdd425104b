//! Out-of-range arguments and settings are usage errors (exit 2) naming the argument or
//! setting, its value and the accepted range.

use crate::common::{run_in, stderr};

#[test]
fn generate_years_and_accounts_out_of_range_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, value, range) in [
        (["--years", "0"], "'0'", "1..=50"),
        (["--years", "51"], "'51'", "1..=50"),
        (["--years", "4294967295"], "'4294967295'", "1..=50"),
        (["--accounts", "0"], "'0'", "1..=10000000"),
        (["--accounts", "10000001"], "'10000001'", "1..=10000000"),
    ] {
        let mut argv = vec!["generate", "--out", "out"];
        argv.extend_from_slice(&args);
        let o = run_in(dir.path(), &argv);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(args[0]), "{err}");
        assert!(err.contains(value), "{err}");
        assert!(err.contains(range), "{err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing is generated");
}

#[test]
fn generate_effect_out_of_range_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["generate", "--out", "out", "--effect", "11"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("invalid value '11' for '--effect': the accepted range is 0 to 10"),
        "{err}"
    );
}

#[test]
fn config_setting_out_of_range_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for (text, message) in [
        (
            "[metrics]\nholder_days = 100000\n",
            "invalid `metrics.holder_days = 100000` in the config: the accepted range is 1 to 3650",
        ),
        (
            "[metrics]\nwindow_months = 0\n",
            "invalid `metrics.window_months = 0` in the config: the accepted range is 1 to 120",
        ),
        (
            "[report]\ntop_n = 0\n",
            "invalid `report.top_n = 0` in the config: the accepted range is 1 to 10000",
        ),
    ] {
        std::fs::write(dir.path().join("mcr.toml"), text).unwrap();
        let o = run_in(dir.path(), &["analyze"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(message), "{err}");
        assert!(err.contains("hint: "), "{err}");
    }
    // The bounds themselves are accepted: `mcr config` resolves and prints them.
    std::fs::write(
        dir.path().join("mcr.toml"),
        "[metrics]\nholder_days = 3650\nwindow_months = 120\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["config"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn non_ascii_profile_delimiter_is_rejected_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        "name = \"p\"\ndelimiter = \"，\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("accounts.csv"), "account_id，name\na1，A\n").unwrap();
    let o = run_in(
        dir.path(),
        &["ingest", "accounts.csv", "--profile", "p.toml", "--dry-run"],
    );
    let err = stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("`delimiter = \"，\"`"), "{err}");
    assert!(err.contains("one ASCII character"), "{err}");
}
