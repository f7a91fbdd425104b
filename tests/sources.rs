//! Several sources, one lake: two regional CRMs and an ERP give the metrics of the unsplit
//! export; each source re-ingests on its own; conflicting keys, fact rows pointing to no
//! account and `drop-source` are reported, never silent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

/// A generated export (canonical, tidy formats) under `dir/all`.
fn export(dir: &Path) -> PathBuf {
    let out = dir.join("all");
    let o = run_in(
        dir,
        &[
            "generate",
            "--accounts",
            "160",
            "--seed",
            "11",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn read_csv(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(|x| x.unwrap()).collect())
}

fn write_csv(path: &Path, h: &csv::StringRecord, rows: &[&csv::StringRecord]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(h).unwrap();
    for r in rows {
        w.write_record(*r).unwrap();
    }
    w.flush().unwrap();
}

/// Split `all` into two regional CRMs (accounts alternately, each with its accounts' facts and
/// the whole employee list) and an ERP with every invoice line.
fn split(all: &Path, dir: &Path) -> [PathBuf; 3] {
    let [north, south, erp] = ["north", "south", "erp"].map(|n| dir.join(n));
    let (ah, accounts) = read_csv(&all.join("accounts.csv"));
    let id = ah.iter().position(|c| c == "account_id").unwrap();
    let north_ids: BTreeSet<String> = accounts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, r)| r[id].to_string())
        .collect();
    for e in std::fs::read_dir(all).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let (h, rows) = read_csv(&e.path());
        match name.as_str() {
            "revenue.csv" => write_csv(&erp.join(&name), &h, &rows.iter().collect::<Vec<_>>()),
            "employees.csv" => {
                write_csv(&north.join(&name), &h, &rows.iter().collect::<Vec<_>>());
                write_csv(&south.join(&name), &h, &rows.iter().collect::<Vec<_>>());
            }
            _ => {
                let Some(col) = h.iter().position(|c| c == "account_id") else {
                    write_csv(&north.join(&name), &h, &rows.iter().collect::<Vec<_>>());
                    continue;
                };
                let (n, s): (Vec<_>, Vec<_>) =
                    rows.iter().partition(|r| north_ids.contains(&r[col]));
                write_csv(&north.join(&name), &h, &n);
                write_csv(&south.join(&name), &h, &s);
            }
        }
    }
    [north, south, erp]
}

fn config(dir: &Path, sources: &[(&str, &Path)]) {
    let mut text = String::from("lake = \"lake\"\nreports = \"reports\"\nas_of = \"2026-09-30\"\n");
    for (name, path) in sources {
        text.push_str(&format!(
            "[[sources]]\nname = \"{name}\"\npath = \"{}\"\n",
            path.display()
        ));
    }
    std::fs::write(dir.join("mcr.toml"), text).unwrap();
}

/// The metric tables as sorted CSV text, for comparisons.
fn metrics(dir: &Path) -> Vec<String> {
    [
        "SELECT * FROM metrics_accounts ORDER BY account_id",
        "SELECT * FROM metrics_concentration ORDER BY level, dimension, key, metric",
        "SELECT * FROM metrics_employees ORDER BY employee_id",
        "SELECT * FROM metrics_tier_migration ORDER BY tier_prev, tier",
    ]
    .iter()
    .map(|q| {
        let o = run_in(dir, &["query", q, "--format", "csv"]);
        assert!(o.status.success(), "{q}: {}", stderr(&o));
        stdout(&o)
    })
    .collect()
}

/// The metric tables of the unsplit export `all`, run as one source under `dir/one`.
fn metrics_as_one_source(dir: &Path, all: &Path) -> Vec<String> {
    let one = dir.join("one");
    std::fs::create_dir_all(&one).unwrap();
    config(&one, &[("all", all)]);
    let o = run_in(&one, &["run", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    metrics(&one)
}

fn assert_same_tables(a: &[String], b: &[String]) {
    for (ta, tb) in a.iter().zip(b) {
        let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
        assert_eq!(la.len(), lb.len(), "row counts differ:\n{ta}\n---\n{tb}");
        for (ra, rb) in la.iter().zip(&lb) {
            let (ca, cb): (Vec<&str>, Vec<&str>) =
                (ra.split(',').collect(), rb.split(',').collect());
            assert_eq!(ca.len(), cb.len(), "{ra}\n{rb}");
            for (x, y) in ca.iter().zip(&cb) {
                if x == y {
                    continue;
                }
                match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(x), Ok(y)) => {
                        assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{ra}\n{rb}")
                    }
                    _ => assert_eq!(x, y, "{ra}\n{rb}"),
                }
            }
        }
    }
}

fn status(dir: &Path) -> Value {
    let o = run_in(dir, &["lake", "status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn snapshot_of(status: &Value, table: &str, source: &str) -> Option<String> {
    status["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table && t["source"] == source)
        .map(|t| t["snapshot"].as_str().unwrap().to_string())
}

#[test]
fn two_crms_and_an_erp_give_the_metrics_of_one_export() {
    let dir = tempfile::tempdir().unwrap();
    let all = export(dir.path());
    let expected = metrics_as_one_source(dir.path(), &all);

    let three = dir.path().join("three");
    std::fs::create_dir_all(&three).unwrap();
    let [north, south, erp] = split(&all, dir.path());
    config(
        &three,
        &[("north", &north), ("south", &south), ("erp", &erp)],
    );
    let o = run_in(&three, &["run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Identical employee lists from both CRMs are no conflict and no warning.
    assert!(!stderr(&o).contains("MCR031"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("MCR030"), "{}", stderr(&o));
    assert_same_tables(&expected, &metrics(&three));
    let st = status(&three);
    assert_eq!(st["sources"], serde_json::json!(["north", "south", "erp"]));

    // Changing one source's export and running again changes only that source's rows.
    let (h, rows) = read_csv(&erp.join("revenue.csv"));
    let fewer: Vec<&csv::StringRecord> = rows.iter().skip(10).collect();
    write_csv(&erp.join("revenue.csv"), &h, &fewer);
    let o = run_in(&three, &["run", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = status(&three);
    for (table, source) in [
        ("accounts", "north"),
        ("accounts", "south"),
        ("employees", "north"),
    ] {
        assert_eq!(
            snapshot_of(&st, table, source),
            snapshot_of(&after, table, source),
            "{table} of {source} kept its snapshot"
        );
    }
    assert_ne!(
        snapshot_of(&st, "revenue", "erp"),
        snapshot_of(&after, "revenue", "erp")
    );
    let revenue_rows = after["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "revenue")
        .unwrap()["rows"]
        .as_u64()
        .unwrap();
    assert_eq!(revenue_rows as usize, rows.len() - 10);
}

#[test]
fn conflicts_orphans_and_drop_source_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let all = export(dir.path());
    let [north, south, _erp] = split(&all, dir.path());
    // The southern CRM spells one employee's name differently.
    let (h, rows) = read_csv(&south.join("employees.csv"));
    let name = h.iter().position(|c| c == "name").unwrap();
    let eid = h.iter().position(|c| c == "employee_id").unwrap();
    let first_id = rows[0][eid].to_string();
    let mut changed = rows.clone();
    let mut r: Vec<String> = changed[0].iter().map(str::to_string).collect();
    r[name] = format!("{} (south)", r[name]);
    changed[0] = csv::StringRecord::from(r);
    write_csv(
        &south.join("employees.csv"),
        &h,
        &changed.iter().collect::<Vec<_>>(),
    );
    // An ERP whose customer ids match nothing.
    let erp = dir.path().join("erp_x");
    let (h, rows) = read_csv(&all.join("revenue.csv"));
    let acc = h.iter().position(|c| c == "account_id").unwrap();
    let moved: Vec<csv::StringRecord> = rows
        .iter()
        .map(|r| {
            let mut v: Vec<String> = r.iter().map(str::to_string).collect();
            v[acc] = format!("X{}", v[acc]);
            csv::StringRecord::from(v)
        })
        .collect();
    write_csv(
        &erp.join("revenue.csv"),
        &h,
        &moved.iter().collect::<Vec<_>>(),
    );
    config(
        dir.path(),
        &[("north", &north), ("south", &south), ("erp", &erp)],
    );

    let o = run_in(dir.path(), &["run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("warning[MCR031]: employees: 1 keys"), "{err}");
    assert!(err.contains(&first_id), "{err}");
    assert!(err.contains("(north > south)"), "{err}");
    assert!(
        err.contains("warning[MCR030]") && err.contains("100.0 % of revenue in the window"),
        "{err}"
    );
    // The first source's row is used.
    let o = run_in(
        dir.path(),
        &[
            "query",
            &format!("SELECT name FROM employees WHERE employee_id = '{first_id}'"),
            "--format",
            "csv",
        ],
    );
    assert!(!stdout(&o).contains("(south)"), "{}", stdout(&o));
    // --strict turns the findings into a failure.
    let o = run_in(dir.path(), &["run", "--strict", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("strict:"), "{}", stderr(&o));

    // drop-source removes one source and leaves the others.
    let o = run_in(dir.path(), &["lake", "drop-source", "erp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = status(dir.path());
    assert_eq!(st["sources"], serde_json::json!(["north", "south"]));
    assert!(snapshot_of(&st, "revenue", "erp").is_none());
    assert!(snapshot_of(&st, "accounts", "north").is_some());
    assert!(!tree(&dir.path().join("lake"))
        .iter()
        .any(|(n, _)| n.starts_with("revenue/")));
    let o = run_in(dir.path(), &["lake", "drop-source", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("sources in this lake: north, south"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_plain_ingest_replaces_the_default_source_and_a_named_one_adds() {
    let dir = tempfile::tempdir().unwrap();
    let mini = fixture("canonical/mini");
    let all = export(dir.path());
    let o = run_in(dir.path(), &["ingest", mini.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["ingest", all.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = status(dir.path());
    assert_eq!(st["sources"], serde_json::json!(["default"]));
    let o = run_in(
        dir.path(),
        &["ingest", mini.to_str().unwrap(), "--source", "extra", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let st = status(dir.path());
    assert_eq!(st["sources"], serde_json::json!(["default", "extra"]));
    let o = run_in(
        dir.path(),
        &[
            "query",
            "SELECT count(*) AS n FROM accounts",
            "--format",
            "csv",
        ],
    );
    let n: usize = stdout(&o).lines().nth(1).unwrap().trim().parse().unwrap();
    let (_, all_rows) = read_csv(&all.join("accounts.csv"));
    assert_eq!(n, all_rows.len() + 3, "the union of both sources' accounts");
}

#[test]
fn an_erp_keyed_by_customer_name_links_to_the_crm_accounts_through_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let all = export(dir.path());
    let expected = metrics_as_one_source(dir.path(), &all);

    // The CRM without invoices; the ERP's invoices name the customer instead of its id.
    let crm = dir.path().join("crm");
    let erp = dir.path().join("erp");
    std::fs::create_dir_all(&crm).unwrap();
    for e in std::fs::read_dir(&all).unwrap().flatten() {
        if e.file_name() != "revenue.csv" {
            std::fs::copy(e.path(), crm.join(e.file_name())).unwrap();
        }
    }
    let (ah, accounts) = read_csv(&all.join("accounts.csv"));
    let (id, name) = (
        ah.iter().position(|c| c == "account_id").unwrap(),
        ah.iter().position(|c| c == "name").unwrap(),
    );
    let names: std::collections::HashMap<String, String> = accounts
        .iter()
        .map(|r| (r[id].to_string(), r[name].to_string()))
        .collect();
    let (h, rows) = read_csv(&all.join("revenue.csv"));
    let acc = h.iter().position(|c| c == "account_id").unwrap();
    let mut header: Vec<String> = h.iter().map(str::to_string).collect();
    header[acc] = "Customer Name".into();
    let renamed: Vec<csv::StringRecord> = rows
        .iter()
        .map(|r| {
            let mut v: Vec<String> = r.iter().map(str::to_string).collect();
            // Exports differ in case and spacing: the lookup compares trimmed, case-insensitively.
            v[acc] = format!(" {} ", names[&v[acc]].to_uppercase());
            csv::StringRecord::from(v)
        })
        .collect();
    write_csv(
        &erp.join("revenue.csv"),
        &csv::StringRecord::from(header),
        &renamed.iter().collect::<Vec<_>>(),
    );
    let profile = dir.path().join("erp.toml");
    std::fs::write(
        &profile,
        r#"name = "erp"
[[lookup]]
name = "account_by_name"
lake = "accounts"
key = "name"
value = "account_id"

[[table]]
name = "revenue"
files = ["revenue.*"]

[table.derive]
account_id = { lookup = "account_by_name", from = "Customer Name" }
"#,
    )
    .unwrap();
    let three = dir.path().join("linked");
    std::fs::create_dir_all(&three).unwrap();
    std::fs::write(
        three.join("mcr.toml"),
        format!(
            "lake = \"lake\"\nreports = \"reports\"\nas_of = \"2026-09-30\"\n[[sources]]\nname = \"crm\"\npath = \"{}\"\n[[sources]]\nname = \"erp\"\npath = \"{}\"\nprofile = \"{}\"\n",
            crm.display(),
            erp.display(),
            profile.display()
        ),
    )
    .unwrap();
    let o = run_in(&three, &["run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("MCR030"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("MCR021"), "{}", stderr(&o));
    assert_same_tables(&expected, &metrics(&three));
}
