//! Deterministic synthetic report inputs (metric tables as analyze would write them: every
//! declared column, declared dtypes — see `contract::metric_tables::conform`), for the report's
//! unit tests (compiled only for tests). Names include HTML/XML specials and CJK on
//! purpose; the accounts table carries an extra `contact_email` column that reports must never
//! show.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::model::{PreviousInputs, ReportInputs};
use crate::contract::metric_tables::{conform, MetricTable};
use crate::contract::summary::{Headline, MajorCustomer, Summary, TierMismatch, Unavailable};
use crate::lake::manifest::{Manifest, Snapshot, SourceFile, TableSnapshot};

/// Names every fixture starts with (escaping and width tests).
pub const TRICKY_NAMES: [&str; 6] = [
    "<script>alert(1)</script>",
    "Müller & Söhne <GmbH>",
    "华为技术有限公司",
    "中国石油天然气集团有限公司华北销售分公司第三事业部",
    "O'Reilly \"Quoted\" Holdings International Limited Partnership",
    "Ünïcødé — Ωmega Ltd.",
];

/// Contact emails planted in the fixture's extra column (must not appear in reports).
pub const PLANTED_EMAILS: [&str; 2] = ["zhang.wei@example-customer.cn", "m.mueller@soehne.de"];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

const INDUSTRIES: [&str; 14] = [
    "制造业",
    "Financial services & insurance",
    "能源",
    "Retail",
    "电信运营商",
    "Healthcare",
    "政府与公共事业",
    "Logistics",
    "Education",
    "汽车",
    "Media",
    "Agriculture",
    "Mining",
    "Utilities",
];
const REGIONS: [&str; 6] = [
    "华东",
    "华南",
    "华北",
    "West & Central",
    "海外 / Overseas",
    "西南",
];

/// Inputs with `n` accounts (n ≥ 6), as_of 2026-09-30, previous report 2026-06-30.
pub fn inputs(n: usize, seed: u64) -> ReportInputs {
    let as_of = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default();
    let (accs, headline, majors) = accounts(n, seed, false);
    let (prev_accounts, prev_headline, _) = accounts(n, seed ^ 0x5a5a, true);
    let mut summary = summary("2026-09-30", ["2025-10-01", "2026-09-30"], headline, majors);
    // As analyze writes them: the summary's concentration figures are the concentration
    // table's, the tier mismatches are listed, the migration table sums the accounts.
    summary.headline.hhi = Some(1650.0);
    summary.headline.gini = Some(0.71);
    summary.headline.top10_share = Some(0.62);
    summary.data_quality.tier_mismatches = tier_mismatches(&accs);
    summary.headline.pipeline_no_supportive_dm = Some(1_450_000.0);
    summary.headline.deals_no_supportive_dm = Some(3);
    summary.headline.pipeline_red_share = Some(0.31);
    summary.headline.pipeline_red_share_weighted = Some(true);
    let tier_migration = migration(&accs);
    let prev_summary = summary_prev(prev_headline);
    ReportInputs {
        as_of,
        concentration: Some(conform(
            MetricTable::Concentration,
            concentration(share_80(&accs)),
        )),
        employees: Some(conform(MetricTable::Employees, employees(seed))),
        tier_migration: Some(tier_migration),
        competitors: None,
        evidence: None,
        deals: Some(conform(MetricTable::Deals, deals())),
        summary,
        previous: Some(PreviousInputs {
            as_of: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
            summary: prev_summary,
            accounts: Some(prev_accounts),
        }),
        manifest: manifest(),
        queries: Vec::new(),
        accounts: accs,
        warnings: Vec::new(),
        scope: None,
    }
}

/// Open deals as analyze writes them: one red with an HTML-like account name, two amber, one
/// green; buying groups from deal_contacts and from the account.
fn deals() -> DataFrame {
    df!(
        "opportunity_id" => ["O1", "O2", "O3", "O4"],
        "account_id" => ["A1", "A2", "A3", "A1"],
        "account_name" => ["<script>alert(1)</script> & Co", "华东电力集团", "Müller & Söhne <GmbH>", "<script>alert(1)</script> & Co"],
        "name" => ["Core network 2027", "数据中心扩容", "Campus Wi-Fi", "Renewal"],
        "amount" => [900_000.0, 400_000.0, 150_000.0, 700_000.0],
        "probability" => [0.5, 0.25, 0.75, 0.9],
        "weighted_amount" => [450_000.0, 100_000.0, 112_500.0, 630_000.0],
        "stage" => ["Proposal", "Qualification", "Negotiation", "Negotiation"],
        "chain_source" => ["deal", "deal", "account", "deal"],
        "buying_group" => [3u32, 2, 5, 4],
        "deal_kri" => [12.5, 40.0, 35.0, 80.0],
        "deal_chain_status" => ["red", "amber", "amber", "green"],
        "decision_makers_mapped" => [0u32, 1, 1, 1],
        "opposition_at_decision_maker" => [false, true, false, false],
        "missing_roles" => ["decision_maker;evaluator;technical;procurement", "decision_maker;procurement", "decision_maker", ""],
    )
    .unwrap_or_default()
}

/// Accounts whose declared tier differs from the computed one (as analyze lists them).
fn tier_mismatches(accs: &DataFrame) -> Vec<TierMismatch> {
    let col = |c: &str| -> Vec<Option<String>> {
        accs.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    };
    let (id, declared, tier) = (col("account_id"), col("declared_tier"), col("tier"));
    (0..accs.height())
        .filter(|&i| declared[i].is_some() && declared[i] != tier[i])
        .map(|i| TierMismatch {
            account_id: id[i].clone().unwrap_or_default(),
            declared: declared[i].clone().unwrap_or_default(),
            computed: tier[i].clone().unwrap_or_default(),
        })
        .collect()
}

/// The `tier_migration` table of the accounts: accounts and revenue per (tier_prev, tier),
/// over the accounts with either.
fn migration(accs: &DataFrame) -> DataFrame {
    let col = |c: &str| -> Vec<Option<String>> {
        accs.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(String::from))
            .collect()
    };
    let (from, to) = (col("tier_prev"), col("tier"));
    let revenue: Vec<f64> = accs
        .column("revenue_12m")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.filter(|v| v.is_finite()).unwrap_or(0.0))
        .collect();
    let mut cells: BTreeMap<(Option<String>, Option<String>), (u64, f64)> = BTreeMap::new();
    for i in 0..accs.height() {
        if from[i].is_some() || to[i].is_some() {
            let e = cells.entry((from[i].clone(), to[i].clone())).or_default();
            e.0 += 1;
            e.1 += revenue[i];
        }
    }
    let df = df!(
        "tier_prev" => cells.keys().map(|k| k.0.clone()).collect::<Vec<_>>(),
        "tier" => cells.keys().map(|k| k.1.clone()).collect::<Vec<_>>(),
        "accounts" => cells.values().map(|v| v.0).collect::<Vec<_>>(),
        "revenue_12m" => cells.values().map(|v| v.1).collect::<Vec<_>>(),
    )
    .unwrap();
    conform(MetricTable::TierMigration, df)
}

fn summary(
    as_of: &str,
    window: [&str; 2],
    headline: Headline,
    majors: Vec<MajorCustomer>,
) -> Summary {
    Summary {
        as_of: as_of.into(),
        window_12m: [window[0].into(), window[1].into()],
        reporting_currency: "CNY".into(),
        reporting_currency_basis: Default::default(),
        revenue_source: "revenue".into(),
        settings: serde_json::json!({"tiers": {"s": 0.05, "a": 0.20, "b": 0.50}, "abc": {"a": 0.8, "b": 0.95}}),
        headline,
        major_customers: majors,
        unavailable: vec![Unavailable {
            metric: "margin_12m".into(),
            code: "no_margin_data".into(),
            reason: "no gross_margin recorded in revenue <export>".into(),
        }],
        notes: vec!["no margin data: value_score weights renormalised".into()],
        data_quality: Default::default(),
        // Eight quarter-ends, revenue rising, HHI crossing into the high band.
        quarterly: (0..8)
            .map(|k| crate::contract::summary::QuarterPoint {
                quarter_end: [
                    "2024-12-31",
                    "2025-03-31",
                    "2025-06-30",
                    "2025-09-30",
                    "2025-12-31",
                    "2026-03-31",
                    "2026-06-30",
                    "2026-09-30",
                ][k]
                    .into(),
                revenue_12m: 9.0e7 + 4.0e6 * k as f64,
                hhi: Some(1800.0 + 120.0 * k as f64),
            })
            .collect(),
    }
}

fn summary_prev(headline: Headline) -> Summary {
    let mut s = summary(
        "2026-06-30",
        ["2025-07-01", "2026-06-30"],
        headline,
        Vec::new(),
    );
    s.headline.hhi_band = Some("unconcentrated".into());
    s
}

fn accounts(n: usize, seed: u64, prev: bool) -> (DataFrame, Headline, Vec<MajorCustomer>) {
    let n = n.max(TRICKY_NAMES.len());
    let mut r = Lcg(seed.wrapping_add(17));
    let mut ids = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut industry: Vec<Option<String>> = Vec::with_capacity(n);
    let mut region: Vec<Option<String>> = Vec::with_capacity(n);
    let mut group = Vec::with_capacity(n);
    let mut revenue = Vec::with_capacity(n);
    let mut vs = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(format!("A{i:06}"));
        names.push(if i < TRICKY_NAMES.len() {
            TRICKY_NAMES[i].to_string()
        } else {
            format!("客户 {i} Co.")
        });
        industry.push(if i % 29 == 7 {
            None
        } else {
            Some(INDUSTRIES[(i * 7 + i / 3) % INDUSTRIES.len()].to_string())
        });
        region.push(Some(REGIONS[(i * 5 + 1) % REGIONS.len()].to_string()));
        group.push(format!("A{:06}", (i / 4) * 4));
        // Heavy-tailed revenue: a few large customers.
        let u = r.next();
        let rev = if i % 11 == 10 {
            0.0
        } else {
            2.0e6 / (1.0 + i as f64).powf(1.1) * (0.5 + u)
        };
        let rev = if prev {
            rev * (0.8 + 0.4 * r.next())
        } else {
            rev
        };
        revenue.push(rev);
        vs.push(if i < TRICKY_NAMES.len() {
            0.99 - 0.01 * i as f64
        } else if rev > 0.0 {
            (0.6 * (1.0 - i as f64 / n as f64) + 0.4 * r.next()).clamp(0.0, 1.0)
        } else {
            f64::NAN
        });
    }
    // Tiers by value score.
    let mut order: Vec<usize> = (0..n).filter(|&i| revenue[i] > 0.0).collect();
    order.sort_by(|&a, &b| vs[b].total_cmp(&vs[a]));
    let na = order.len();
    let mut tier: Vec<Option<String>> = vec![None; n];
    for (pos, &i) in order.iter().enumerate() {
        let p = pos + 1;
        let t = if p <= (0.05 * na as f64).ceil() as usize {
            "S"
        } else if p <= (0.20 * na as f64).ceil() as usize {
            "A"
        } else if p <= (0.50 * na as f64).ceil() as usize {
            "B"
        } else {
            "C"
        };
        tier[i] = Some(t.to_string());
    }
    let tier_prev: Vec<Option<String>> = (0..n)
        .map(|i| match (i % 7, tier[i].as_deref()) {
            (0, Some("A")) => Some("S".into()),
            (3, Some("S")) => Some("A".into()),
            (5, Some("B")) => Some("A".into()),
            (_, t) => t.map(str::to_string),
        })
        .collect();
    let kri: Vec<Option<f64>> = (0..n)
        .map(|i| {
            if i % 13 == 12 {
                None
            } else {
                Some(100.0 * r.next())
            }
        })
        .collect();
    let gri: Vec<Option<f64>> = (0..n).map(|_| Some(100.0 * r.next())).collect();
    let ori: Vec<Option<f64>> = (0..n).map(|_| Some(100.0 * r.next() * r.next())).collect();
    let rdi: Vec<Option<f64>> = (0..n)
        .map(|i| {
            Some(
                0.5 * kri[i].unwrap_or(0.0)
                    + 0.3 * gri[i].unwrap_or(0.0)
                    + 0.2 * ori[i].unwrap_or(0.0),
            )
        })
        .collect();
    let dc: Vec<Option<&str>> = (0..n)
        .map(|i| match (i + if prev { 1 } else { 0 }) % 5 {
            0 => Some("red"),
            1 | 2 => Some("amber"),
            3 => Some("green"),
            _ => None,
        })
        .collect();
    let opposition: Vec<bool> = (0..n)
        .map(|i| (i + if prev { 2 } else { 0 }) % 9 == 4)
        .collect();
    let single: Vec<bool> = (0..n)
        .map(|i| (i + if prev { 1 } else { 0 }) % 4 == 1)
        .collect();
    let quadrant: Vec<Option<String>> = (0..n)
        .map(|i| {
            let sa = matches!(tier[i].as_deref(), Some("S" | "A"));
            let hi = rdi[i].unwrap_or(0.0) >= 50.0;
            tier[i].as_ref().map(|_| {
                match (sa, hi) {
                    (true, true) => "defend",
                    (true, false) => "invest",
                    (false, true) => "grow",
                    (false, false) => "maintain",
                }
                .to_string()
            })
        })
        .collect();
    let growth: Vec<f64> = (0..n)
        .map(|i| {
            if i == 2 {
                f64::INFINITY
            } else {
                0.3 * (r.next() - 0.4)
            }
        })
        .collect();
    let emails: Vec<&str> = (0..n).map(|i| PLANTED_EMAILS[i % 2]).collect();
    let total: f64 = revenue.iter().sum();
    let mut majors = Vec::new();
    for i in 0..n {
        if total > 0.0 && revenue[i] / total >= 0.10 {
            majors.push(MajorCustomer {
                level: "account".into(),
                key: ids[i].clone(),
                name: names[i].clone(),
                revenue_12m: revenue[i],
                share: revenue[i] / total,
            });
        }
    }
    let mut tier_counts = BTreeMap::new();
    let mut tier_revenue = BTreeMap::new();
    for i in 0..n {
        if let Some(t) = &tier[i] {
            *tier_counts.entry(t.clone()).or_insert(0u64) += 1;
            *tier_revenue.entry(t.clone()).or_insert(0.0) += revenue[i];
        }
    }
    let shares: Vec<f64> = revenue.iter().map(|v| v / total).collect();
    let hhi = 10000.0 * shares.iter().map(|s| s * s).sum::<f64>();
    let sa_st: f64 = (0..n)
        .filter(|&i| single[i] && matches!(tier[i].as_deref(), Some("S" | "A")))
        .map(|i| revenue[i])
        .sum();
    let headline = Headline {
        accounts_total: n as u64,
        active_accounts: na as u64,
        revenue_12m_total: total,
        revenue_prev_12m_total: total * 0.9,
        margin_12m_total: None,
        pipeline_weighted_total: Some(total * 0.3),
        hhi: Some(hhi),
        hhi_band: Some(
            if hhi < 1500.0 {
                "unconcentrated"
            } else if hhi <= 2500.0 {
                "moderate"
            } else {
                "high"
            }
            .into(),
        ),
        group_hhi: Some(hhi * 1.3),
        gini: None,
        top1_share: Some(shares.iter().copied().fold(0.0, f64::max)),
        top5_share: None,
        top10_share: Some(0.5),
        top20pct_share: Some(0.8),
        accounts_for_80pct: Some((na / 5) as u64),
        owner_hhi: Some(1800.0),
        single_threaded_revenue_share: Some(0.25),
        sa_single_threaded_revenue: Some(sa_st),
        opposition_accounts: Some(opposition.iter().filter(|b| **b).count() as u64),
        multi_headed_accounts: Some(3),
        mean_rdi_sa: Some(41.5),
        tier_counts,
        tier_revenue,
        ..Default::default()
    };
    let df = df!(
        "account_id" => ids.clone(),
        "name" => names,
        "industry" => industry,
        "region" => region,
        "group_id" => group,
        "revenue_12m" => revenue,
        "growth" => growth,
        "value_score" => vs.iter().map(|v| if v.is_nan() { None } else { Some(*v) }).collect::<Vec<_>>(),
        "tier" => tier,
        "tier_prev" => tier_prev,
        "declared_tier" => (0..n).map(|i| if i % 10 == 3 { Some("S") } else { None }).collect::<Vec<_>>(),
        "kri" => kri,
        "gri" => gri,
        "ori" => ori,
        "rdi" => rdi,
        "decision_chain_status" => dc,
        "opposition" => opposition,
        "dm_support" => (0..n).map(|i| if i % 3 == 0 { None } else { Some(((i % 7) as f64 - 3.0) / 2.0) }).collect::<Vec<_>>(),
        "bus_factor" => (0..n).map(|i| (i % 4) as i64).collect::<Vec<_>>(),
        "single_threaded" => single,
        "iron_triangle" => (0..n).map(|i| if i % 3 == 0 { Some(2.0 / 3.0) } else { None }).collect::<Vec<_>>(),
        "quadrant" => quadrant,
        "contact_email" => emails,
    )
    .unwrap_or_default();
    (conform(MetricTable::Accounts, df), headline, majors)
}

/// The share of active accounts (by revenue descending, then id) that bring 80 % of revenue,
/// as analyze's `accounts_for_80pct_share`.
fn share_80(accs: &DataFrame) -> Option<f64> {
    let ids = accs.column("account_id").unwrap().str().unwrap().clone();
    let rev = accs.column("revenue_12m").unwrap().f64().unwrap().clone();
    let mut active: Vec<(String, f64)> = ids
        .iter()
        .zip(rev.iter())
        .filter_map(|(i, r)| Some((i?.to_string(), r.filter(|v| v.is_finite() && *v > 0.0)?)))
        .collect();
    active.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: f64 = active.iter().map(|a| a.1).sum();
    let n = active.len();
    let mut s = 0.0;
    for (i, a) in active.iter().enumerate() {
        s += a.1;
        if s / total >= 0.8 - 1e-12 {
            return Some((i + 1) as f64 / n as f64);
        }
    }
    None
}

fn concentration(share_80: Option<f64>) -> DataFrame {
    let mut level = Vec::new();
    let mut dim = Vec::new();
    let mut key = Vec::new();
    let mut metric = Vec::new();
    let mut value: Vec<Option<f64>> = Vec::new();
    let mut push = |l: &str, d: &str, k: &str, m: &str, v: Option<f64>| {
        level.push(l.to_string());
        dim.push(d.to_string());
        key.push(k.to_string());
        metric.push(m.to_string());
        value.push(v);
    };
    for (l, f) in [("account", 1.0), ("group", 1.3)] {
        push(l, "all", "", "hhi", Some(1650.0 * f));
        push(l, "all", "", "gini", Some(0.71));
        push(l, "all", "", "top1_share", Some(0.21 * f));
        push(l, "all", "", "top5_share", Some(0.48));
        push(l, "all", "", "top10_share", Some(0.62));
        push(l, "all", "", "top20pct_share", Some(0.83));
        push(l, "all", "", "accounts_for_80pct", Some(37.0));
    }
    push("account", "all", "", "owner_hhi", Some(1820.0));
    push("account", "all", "", "single_threaded_revenue_share", None);
    push("account", "all", "", "accounts_for_80pct_share", share_80);
    for (y, h) in [
        ("2022", 1210.0),
        ("2023", 1480.0),
        ("2024", 1730.0),
        ("2025", 2380.0),
        ("2026", 2710.0),
    ] {
        push("account", "year", y, "hhi", Some(h));
        push("account", "year", y, "gini", Some(0.6 + h / 20000.0));
        push("account", "year", y, "top1_share", Some(h / 12000.0));
        push("account", "year", y, "revenue_total", Some(h * 10000.0));
    }
    push("account", "industry", "能源", "hhi", Some(4000.0));
    df!("level" => level, "dimension" => dim, "key" => key, "metric" => metric, "value" => value)
        .unwrap_or_default()
}

fn employees(seed: u64) -> DataFrame {
    let mut r = Lcg(seed ^ 99);
    let n = 24;
    df!(
        "employee_id" => (0..n).map(|i| format!("E{i:05}")).collect::<Vec<_>>(),
        "role" => (0..n).map(|i| ["AR", "SR", "FR"][i % 3]).collect::<Vec<_>>(),
        "team" => (0..n).map(|i| ["华东大客户部", "Key Accounts — North & West", "Team <B>"][i % 3]).collect::<Vec<_>>(),
        "accounts_held" => (0..n).map(|i| (i * 3 % 17) as i64).collect::<Vec<_>>(),
        "sole_holder_revenue" => (0..n).map(|i| if i % 5 == 4 { 0.0 } else { 3.0e5 * r.next() / (1.0 + i as f64 * 0.3) }).collect::<Vec<_>>(),
        "owned_revenue" => (0..n).map(|_| 2.0e6 * r.next()).collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

fn manifest() -> Manifest {
    let file = |path: &str, read: u64, rej: u64| SourceFile {
        path: path.into(),
        size: read * 120,
        hash: "00".into(),
        encoding: "utf-8".into(),
        rows_read: read,
        accepted: read - rej,
        rejected: rej,
        orphans: 0,
        excluded: 0,
    };
    let mut tables = BTreeMap::new();
    for (t, read, rej) in [
        ("accounts", 44, 2),
        ("revenue", 287, 3),
        ("contacts", 173, 2),
    ] {
        tables.insert(
            t.to_string(),
            TableSnapshot {
                parts: vec![format!("{t}/snapshot=20261001T080000/part-0.parquet")],
                rows: read - rej,
                files: vec![file(&format!("exports/{t}.csv"), read, rej)],
                rejects: (rej > 0)
                    .then(|| format!("_rejects/{t}/snapshot=20261001T080000/rejects.parquet")),
            },
        );
    }
    Manifest {
        version: 1,
        sources: vec![],
        snapshots: vec![Snapshot {
            id: "20261001T080000".into(),
            created_at: "2026-10-01T08:00:00Z".into(),
            profile: "canonical".into(),
            source: "default".into(),
            tables,
            inputs: Default::default(),
            skipped: vec![],
        }],
    }
}
