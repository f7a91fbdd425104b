//! End-to-end tests of `analyze` / `whatif` over tiny hand-made frames.

use polars::prelude::*;
use proptest::prelude::*;

use super::windows::epoch_days;
use super::*;

use crate::metrics::test_util::d;

fn date_col(name: &str, v: &[&str]) -> Column {
    Column::new(
        name.into(),
        v.iter().map(|s| epoch_days(d(s))).collect::<Vec<_>>(),
    )
    .cast(&DataType::Date)
    .unwrap()
}

fn accounts() -> LazyFrame {
    df!(
        "account_id" => ["A1", "A2", "A3", "A4"],
        "name" => ["One", "Two", "Three", "Four"],
        "industry" => [Some("Retail"), Some("Retail"), None, Some("Bank")],
        "owner_id" => [Some("E1"), Some("E1"), Some("E2"), None],
        "parent_account_id" => [None, Some("A1"), Some("A4"), Some("A3")],
        "declared_tier" => [Some("S"), None, None, Some("C")],
    )
    .unwrap()
    .lazy()
}

/// (document_id, account_id, date, amount)
fn revenue_rows() -> Vec<(String, String, String, f64)> {
    vec![
        ("D1", "A1", "2026-09-30", 100.0),
        ("D2", "A1", "2025-10-01", 50.0),
        ("D3", "A1", "2025-09-30", 80.0), // previous window
        ("D4", "A2", "2026-03-01", 30.0),
        ("D5", "A3", "2026-01-01", 20.0),
        ("D6", "A3", "2024-06-01", 90.0), // two windows back
        ("D7", "A4", "2024-12-01", 40.0), // previous window only
        ("D8", "A9", "2026-01-01", 70.0), // orphan
    ]
    .into_iter()
    .map(|(a, b, c, e)| (a.to_string(), b.to_string(), c.to_string(), e))
    .collect()
}

fn revenue_frame(rows: &[(String, String, String, f64)]) -> LazyFrame {
    let dates: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    DataFrame::new_infer_height(vec![
        Column::new(
            "document_id".into(),
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "account_id".into(),
            rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        ),
        date_col("date", &dates),
        Column::new(
            "amount".into(),
            rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        ),
        Column::new("currency".into(), vec![Some("CNY"); rows.len()]),
        Column::new(
            "gross_margin".into(),
            rows.iter().map(|r| Some(r.3 / 4.0)).collect::<Vec<_>>(),
        ),
        Column::new(
            "product_line".into(),
            rows.iter()
                .map(|r| if r.3 > 60.0 { "Core" } else { "Cloud" })
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap()
    .lazy()
}

fn inputs_with(revenue: LazyFrame) -> Inputs {
    let mut i = Inputs::accounts_only(accounts());
    i.revenue = Some(revenue);
    i
}

fn f(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn s(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|x| x.map(String::from))
        .collect()
}

#[test]
fn revenue_windows_tiers_and_degradation() {
    let as_of = d("2026-09-30");
    let t = analyze(
        &inputs_with(revenue_frame(&revenue_rows())),
        as_of,
        &MetricsConfig::default(),
        "CNY",
    )
    .unwrap();
    let a = &t.accounts;
    let names: Vec<String> = a.get_column_names().iter().map(|s| s.to_string()).collect();
    let spec = "account_id name industry region group_id revenue_12m revenue_prev_12m margin_12m orders_12m \
        pipeline_weighted growth value_score tier tier_prev declared_tier abc_class pareto_rank cum_share rfm_r \
        rfm_f rfm_m kri gri ori rdi decision_chain_status opposition dm_support bus_factor single_threaded \
        iron_triangle multi_headed quadrant";
    let spec: Vec<&str> = spec.split_whitespace().collect();
    assert_eq!(&names[..spec.len()], &spec[..]);
    assert_eq!(
        f(a, "revenue_12m"),
        vec![Some(150.0), Some(30.0), Some(20.0), Some(0.0)]
    );
    assert_eq!(
        f(a, "revenue_prev_12m"),
        vec![Some(80.0), Some(0.0), Some(0.0), Some(40.0)]
    );
    assert_eq!(
        f(a, "orders_12m"),
        vec![Some(2.0), Some(1.0), Some(1.0), Some(0.0)]
    );
    assert_eq!(
        f(a, "margin_12m"),
        vec![Some(37.5), Some(7.5), Some(5.0), None]
    );
    assert_eq!(f(a, "growth")[1], Some(f64::INFINITY));
    assert_eq!(f(a, "growth")[3], Some(-1.0));
    // n = 3 active: S ≤ 1, A ≤ 1, B ≤ 2 → A1 S, then by value_score
    assert_eq!(s(a, "tier")[0].as_deref(), Some("S"));
    assert_eq!(
        s(a, "tier")[3],
        None,
        "inactive without pipeline has no tier"
    );
    // tier_prev at 2025-09-30: active A1 (80), A4 (40); A3's 90 is in the window before →
    // inactive. n = 2: S ≤ ceil(0.1) = 1, A ≤ ceil(0.4) = 1, B ≤ ceil(1.0) = 1 → A4 is C.
    let tp = s(a, "tier_prev");
    assert_eq!(tp[0].as_deref(), Some("S"));
    assert_eq!(tp[1], None);
    assert_eq!(tp[3].as_deref(), Some("C"));
    // groups: A2→A1; A3↔A4 is a cycle
    assert_eq!(
        s(a, "group_id"),
        vec![Some("A1".into()), Some("A1".into()), None, None]
    );
    assert_eq!(t.summary.data_quality.hierarchy_cycles, vec!["A3", "A4"]);
    assert_eq!(t.summary.data_quality.orphans.get("revenue"), Some(&1));
    // pipeline drops out of value_score (no opportunities table), noted
    assert!(t
        .summary
        .unavailable
        .iter()
        .any(|u| u.metric == "pipeline_weighted"));
    assert!(t
        .summary
        .notes
        .iter()
        .any(|n| n.contains("pipeline_weighted")));
    // no contacts → kri, bus_factor null and listed
    assert!(f(a, "kri").iter().all(Option::is_none));
    assert!(f(a, "bus_factor").iter().all(Option::is_none));
    for m in [
        "kri",
        "gri",
        "ori",
        "bus_factor",
        "iron_triangle",
        "multi_headed",
    ] {
        assert!(
            t.summary.unavailable.iter().any(|u| u.metric == m),
            "{m} not listed as unavailable"
        );
    }
    // migration: (S,S) A1, (None,·) A2, (None,·) A3, (C,None) A4
    let m = &t.tier_migration;
    assert_eq!(m.height(), 4);
    let accts: f64 = f(m, "accounts").iter().flatten().sum();
    assert_eq!(accts, 4.0);
    let last_prev = s(m, "tier_prev");
    let last_tier = s(m, "tier");
    let k = (0..m.height())
        .find(|&k| last_prev[k].as_deref() == Some("C"))
        .unwrap();
    assert_eq!(last_tier[k], None);
    // concentration: account level, 3 active, group level: group A1 (180) and the cycle rows alone
    let c = &t.concentration;
    let row = |lvl: &str, dim: &str, key: &str, metric: &str| -> Option<f64> {
        (0..c.height()).find_map(|k| {
            let ok = s(c, "level")[k].as_deref() == Some(lvl)
                && s(c, "dimension")[k].as_deref() == Some(dim)
                && s(c, "key")[k].as_deref() == Some(key)
                && s(c, "metric")[k].as_deref() == Some(metric);
            ok.then(|| f(c, "value")[k]).flatten()
        })
    };
    assert_eq!(row("account", "all", "", "n_active"), Some(3.0));
    assert_eq!(row("account", "all", "", "revenue_total"), Some(200.0));
    assert_eq!(row("group", "all", "", "n_active"), Some(2.0));
    assert_eq!(row("group", "all", "", "top1_share"), Some(0.9));
    assert_eq!(
        row("account", "industry", "Retail", "revenue_total"),
        Some(180.0)
    );
    assert_eq!(
        row("account", "industry", "(unknown)", "revenue_total"),
        Some(20.0)
    );
    // Core: D1 (100); Cloud: D2 + D4 + D5
    assert_eq!(
        row("account", "product_line", "Cloud", "revenue_total"),
        Some(100.0)
    );
    assert_eq!(
        row("account", "product_line", "Core", "n_active"),
        Some(1.0)
    );
    assert_eq!(row("account", "year", "2024", "revenue_total"), Some(130.0));
    assert_eq!(
        row("account", "all", "", "owner_hhi"),
        Some(10_000.0 * (0.9f64.powi(2) + 0.1f64.powi(2)))
    );
    // major customers: A1 75 %, A2 15 %, A3 10 % (≥ 10 % counts)
    let majors: Vec<&str> = t
        .summary
        .major_customers
        .iter()
        .filter(|m| m.level == "account")
        .map(|m| m.key.as_str())
        .collect();
    assert_eq!(majors, vec!["A1", "A2", "A3"]);
    assert!(t
        .summary
        .data_quality
        .tier_mismatches
        .iter()
        .any(|m| m.account_id == "A4" && m.computed.is_empty()));
}

#[test]
fn won_opportunities_stand_in_for_revenue() {
    let opps = DataFrame::new_infer_height(vec![
        Column::new("opportunity_id".into(), ["O1", "O2", "O3"]),
        Column::new("account_id".into(), ["A1", "A2", "A2"]),
        Column::new("amount".into(), [10.0, 20.0, 99.0]),
        Column::new("probability".into(), [1.0, 1.0, 0.5]),
        date_col("close_date", &["2026-05-01", "2026-06-01", "2026-12-01"]),
        Column::new("is_closed".into(), [true, true, false]),
        Column::new("is_won".into(), [true, true, false]),
    ])
    .unwrap()
    .lazy();
    let mut i = Inputs::accounts_only(accounts());
    i.opportunities = Some(opps);
    assert_eq!(default_as_of(&i).unwrap(), Some(d("2026-06-01")));
    let t = analyze(&i, d("2026-09-30"), &MetricsConfig::default(), "CNY").unwrap();
    assert_eq!(t.summary.revenue_source, "won_opportunities");
    assert_eq!(
        f(&t.accounts, "revenue_12m"),
        vec![Some(10.0), Some(20.0), Some(0.0), Some(0.0)]
    );
    assert_eq!(f(&t.accounts, "pipeline_weighted")[1], Some(49.5));
    assert!(f(&t.accounts, "margin_12m").iter().all(Option::is_none));
    assert!(t
        .summary
        .unavailable
        .iter()
        .any(|u| u.metric == "margin_12m"));
}

#[test]
fn foreign_currency_without_rate_is_an_error() {
    let rev = revenue_frame(&revenue_rows()).with_column(lit("USD").alias("currency"));
    let err = analyze(
        &inputs_with(rev),
        d("2026-09-30"),
        &MetricsConfig::default(),
        "CNY",
    )
    .err()
    .unwrap();
    assert!(matches!(err, MetricsError::MissingFxRate { .. }), "{err}");
    assert!(err.to_string().contains("USD") && err.to_string().contains("revenue"));
}

#[test]
fn nothing_to_analyze_without_revenue() {
    let i = Inputs::accounts_only(accounts());
    assert_eq!(default_as_of(&i).unwrap(), None);
    let t = analyze(&i, d("2026-09-30"), &MetricsConfig::default(), "CNY").unwrap();
    assert!(f(&t.accounts, "revenue_12m").iter().all(Option::is_none));
    assert_eq!(t.concentration.height(), 0);
    assert!(t.summary.unavailable.iter().any(|u| u.code == "no_revenue"));
}

#[test]
fn whatif_removes_employees_and_accounts() {
    let contacts = df!(
        "contact_id" => ["c1", "c2", "c3"],
        "account_id" => ["A1", "A1", "A2"],
        "decision_role" => ["decision_maker", "technical", "evaluator"],
        "support" => [2i32, 1, 3],
        "owner_id" => ["E1", "E2", "E1"],
    )
    .unwrap()
    .lazy();
    let mut i = inputs_with(revenue_frame(&revenue_rows()));
    i.contacts = Some(contacts);
    let as_of = d("2026-09-30");
    let r = whatif(
        &i,
        as_of,
        &MetricsConfig::default(),
        "CNY",
        &["E1".into()],
        &[],
    )
    .unwrap();
    let b = r.before.key_person.clone().unwrap();
    let a = r.after.key_person.clone().unwrap();
    // before: A1 {E1,E2}, A2 {E1}, A3 {} → single-threaded A2+A3 = 50 / 200
    assert_eq!(b.single_threaded_revenue_share, Some(0.25));
    assert_eq!(b.revenue_no_holder, 20.0);
    // after E1 leaves: A1 {E2}, A2 {}, A3 {}
    assert_eq!(a.single_threaded_revenue_share, Some(1.0));
    assert_eq!(a.revenue_no_holder, 50.0);
    assert_eq!(r.accounts_orphaned, vec!["A2"]);
    assert_eq!(r.before.hhi, r.after.hhi);
    let r = whatif(
        &i,
        as_of,
        &MetricsConfig::default(),
        "CNY",
        &[],
        &["A1".into()],
    )
    .unwrap();
    assert_eq!(r.after.revenue_total, 50.0);
    assert!((r.after.hhi.unwrap() - 10_000.0 * (0.36 + 0.16)).abs() < 1e-9);
    let err = whatif(
        &i,
        as_of,
        &MetricsConfig::default(),
        "CNY",
        &["NOPE".into()],
        &["A1".into(), "ZZ".into()],
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("ZZ"), "{err}");
    let err = whatif(
        &i,
        as_of,
        &MetricsConfig::default(),
        "CNY",
        &["NOPE".into()],
        &[],
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("NOPE"), "{err}");
}

fn snapshot(t: &MetricTables) -> (DataFrame, DataFrame) {
    (t.accounts.clone(), t.concentration.clone())
}

fn frames_equal(a: &DataFrame, b: &DataFrame) -> bool {
    // exact equality except float rounding from summation order (1e-9 relative)
    if a.shape() != b.shape() || a.get_column_names() != b.get_column_names() {
        return false;
    }
    for name in a.get_column_names() {
        let (x, y) = (a.column(name).unwrap(), b.column(name).unwrap());
        if x.dtype() == &DataType::Float64 {
            let (x, y) = (x.f64().unwrap(), y.f64().unwrap());
            for (p, q) in x.iter().zip(y.iter()) {
                match (p, q) {
                    (Some(p), Some(q)) if p == q || (p - q).abs() <= 1e-9 * p.abs().max(1.0) => {}
                    (None, None) => {}
                    _ => return false,
                }
            }
        } else if !x
            .as_materialized_series()
            .equals_missing(y.as_materialized_series())
        {
            return false;
        }
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn independent_of_row_order_and_split(
        rows in proptest::collection::vec((0usize..4, 0i64..1000, -50.0f64..500.0), 1..40),
        split in 0usize..40,
        rot in 0usize..40,
    ) {
        let rows: Vec<(String, String, String, f64)> = rows
            .iter()
            .enumerate()
            .map(|(k, (a, day, amt))| {
                let date = d("2026-09-30") - chrono::Duration::days(*day);
                (format!("D{k}"), format!("A{}", a + 1), date.to_string(), (amt * 100.0).round() / 100.0)
            })
            .collect();
        let as_of = d("2026-09-30");
        let cfg = MetricsConfig::default();
        let base = analyze(&inputs_with(revenue_frame(&rows)), as_of, &cfg, "CNY").unwrap();
        let mut rotated = rows.clone();
        let k = rot % rotated.len();
        rotated.rotate_left(k);
        rotated.reverse();
        let shuffled = analyze(&inputs_with(revenue_frame(&rotated)), as_of, &cfg, "CNY").unwrap();
        let cut = split % (rows.len() + 1);
        let two = concat(
            [revenue_frame(&rows[..cut]), revenue_frame(&rows[cut..])],
            UnionArgs::default(),
        ).unwrap();
        let split_res = analyze(&inputs_with(two), as_of, &cfg, "CNY").unwrap();
        let (a0, c0) = snapshot(&base);
        let (a1, c1) = snapshot(&shuffled);
        let (a2, c2) = snapshot(&split_res);
        prop_assert!(frames_equal(&a0, &a1), "order changed accounts");
        prop_assert!(frames_equal(&c0, &c1), "order changed concentration");
        prop_assert!(frames_equal(&a0, &a2), "split changed accounts");
        prop_assert!(frames_equal(&c0, &c2), "split changed concentration");
        prop_assert_eq!(&base.summary.headline, &split_res.summary.headline);
    }
}

/// Timing on synthetic data: `MCR_PERF_SCALE=1.0 cargo test --release --lib perf -- --ignored --nocapture`
/// (1.0 = 200 k accounts, 1.5 M contacts, 20 M activities, 5 M invoices).
#[test]
#[ignore = "a timing, not a check (see the doc comment for how to run it)"]
fn perf_synthetic() {
    let scale: f64 = std::env::var("MCR_PERF_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.1);
    let n_acc = (200_000.0 * scale) as usize;
    let n_con = (1_500_000.0 * scale) as usize;
    let n_act = (20_000_000.0 * scale) as usize;
    let n_rev = (5_000_000.0 * scale) as usize;
    let mut x: u64 = 7;
    let mut rnd = move |m: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % m.max(1)
    };
    let t0 = std::time::Instant::now();
    let acc_ids: Vec<String> = (0..n_acc).map(|i| format!("A{i:07}")).collect();
    let accounts = DataFrame::new_infer_height(vec![
        Column::new("account_id".into(), acc_ids.clone()),
        Column::new("name".into(), acc_ids.clone()),
        Column::new(
            "industry".into(),
            (0..n_acc)
                .map(|i| format!("I{}", i % 12))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "owner_id".into(),
            (0..n_acc)
                .map(|i| format!("E{:05}", i % 2000))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "parent_account_id".into(),
            (0..n_acc)
                .map(|i| {
                    if i % 10 == 3 {
                        Some(format!("A{:07}", i - 1))
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    let end = epoch_days(d("2026-09-30"));
    let contacts = DataFrame::new_infer_height(vec![
        Column::new(
            "contact_id".into(),
            (0..n_con).map(|i| format!("C{i:08}")).collect::<Vec<_>>(),
        ),
        Column::new(
            "account_id".into(),
            (0..n_con)
                .map(|_| acc_ids[rnd(n_acc)].clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "decision_role".into(),
            (0..n_con)
                .map(|_| ["decision_maker", "evaluator", "user", "none", "technical"][rnd(5)])
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "level".into(),
            (0..n_con)
                .map(|_| ["executive", "middle", "base"][rnd(3)])
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "department".into(),
            (0..n_con)
                .map(|_| format!("D{}", rnd(8)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "support".into(),
            (0..n_con).map(|_| rnd(6) as i32 - 2).collect::<Vec<_>>(),
        ),
        Column::new(
            "intimacy".into(),
            (0..n_con).map(|_| rnd(5) as i32).collect::<Vec<_>>(),
        ),
        Column::new(
            "owner_id".into(),
            (0..n_con)
                .map(|_| format!("E{:05}", rnd(2000)))
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    // activities: contact and its account
    let con_acc: Vec<Option<&str>> = contacts
        .column("account_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    let mut a_acc = Vec::with_capacity(n_act);
    let mut a_con = Vec::with_capacity(n_act);
    for _ in 0..n_act {
        let c = rnd(n_con);
        a_con.push(format!("C{c:08}"));
        a_acc.push(con_acc[c].unwrap_or("").to_string());
    }
    let activities = DataFrame::new_infer_height(vec![
        Column::new(
            "activity_id".into(),
            (0..n_act).map(|i| format!("X{i:09}")).collect::<Vec<_>>(),
        ),
        Column::new("account_id".into(), a_acc),
        Column::new("contact_id".into(), a_con),
        Column::new(
            "employee_id".into(),
            (0..n_act)
                .map(|_| format!("E{:05}", rnd(2000)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "date".into(),
            (0..n_act)
                .map(|_| end - rnd(1100) as i32)
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new(
            "type".into(),
            (0..n_act)
                .map(|_| {
                    [
                        "meeting",
                        "call",
                        "email",
                        "executive_visit",
                        "strategic_meeting",
                    ][rnd(5)]
                })
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    let revenue = DataFrame::new_infer_height(vec![
        Column::new(
            "document_id".into(),
            (0..n_rev).map(|i| format!("INV{i:09}")).collect::<Vec<_>>(),
        ),
        Column::new(
            "account_id".into(),
            (0..n_rev)
                .map(|_| acc_ids[rnd(n_acc)].clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "date".into(),
            (0..n_rev)
                .map(|_| end - rnd(1100) as i32)
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        Column::new(
            "amount".into(),
            (0..n_rev)
                .map(|_| rnd(100_000) as f64 / 10.0)
                .collect::<Vec<_>>(),
        ),
        Column::new("currency".into(), vec!["CNY"; n_rev]),
        Column::new(
            "gross_margin".into(),
            (0..n_rev)
                .map(|_| rnd(10_000) as f64 / 10.0)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "product_line".into(),
            (0..n_rev)
                .map(|_| ["Core", "Cloud", "Service"][rnd(3)])
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    let employees = DataFrame::new_infer_height(vec![
        Column::new(
            "employee_id".into(),
            (0..2000).map(|i| format!("E{i:05}")).collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            (0..2000)
                .map(|i| ["AR", "SR", "FR", "other"][i % 4])
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "team".into(),
            (0..2000)
                .map(|i| format!("T{}", i % 40))
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    eprintln!("generated in {:?}", t0.elapsed());
    let mut i = Inputs::accounts_only(accounts.lazy());
    i.contacts = Some(contacts.lazy());
    i.activities = Some(activities.lazy());
    i.revenue = Some(revenue.lazy());
    i.employees = Some(employees.lazy());
    let t1 = std::time::Instant::now();
    let t = analyze(&i, d("2026-09-30"), &MetricsConfig::default(), "CNY").unwrap();
    eprintln!(
        "analyze in {:?}: {} accounts, {} concentration rows",
        t1.elapsed(),
        t.accounts.height(),
        t.concentration.height()
    );
}

#[test]
// The literals are the two neighbours of 126192.903 a sum can end on: their digits are the point.
#[allow(clippy::excessive_precision)]
fn money_sums_are_rounded_so_that_summation_order_cannot_split_a_tie() {
    use super::concentration::round_sum;
    assert_eq!(round_sum(126192.90300000001), 126192.903);
    assert_eq!(round_sum(126192.90299999999), 126192.903);
    assert_eq!(round_sum(-0.1 - 0.2), -0.3);
    assert_eq!(round_sum(1_234_567_890_123.0), 1_234_567_890_120.0);
    assert_eq!(round_sum(0.0), 0.0);
}

proptest! {
    #[test]
    fn rounded_money_sums_do_not_depend_on_row_order(
        cents in proptest::collection::vec(-10_000_000i64..100_000_000i64, 1..60)
    ) {
        use super::concentration::round_sum;
        let v: Vec<f64> = cents.iter().map(|c| *c as f64 / 100.0).collect();
        let fwd: f64 = v.iter().sum();
        let rev: f64 = v.iter().rev().sum();
        prop_assert_eq!(round_sum(fwd), round_sum(rev));
    }
}
