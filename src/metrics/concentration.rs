//! Concentration risk (metrics.md "Concentration risk"): HHI, Gini, top-N shares, the 80 %
//! line and major customers, per account and per group, overall and per slice.
//!
//! The figures are computed over the *active* entities of a slice: those with revenue > 0.
//! Values are sorted (descending, `f64::total_cmp`) before anything is summed, so results do
//! not depend on the order of the input rows.

use std::collections::{BTreeMap, HashMap};

use crate::contract::SliceLevel;

/// The concentration figures of one set of revenues.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Number of active entities (revenue > 0).
    pub n_active: usize,
    /// Σ revenue of the active entities.
    pub revenue_total: f64,
    pub hhi: f64,
    pub gini: f64,
    pub top1_share: f64,
    pub top5_share: f64,
    pub top10_share: f64,
    pub top20pct_share: f64,
    pub accounts_for_80pct: usize,
    /// `accounts_for_80pct / n_active`.
    pub accounts_for_80pct_share: f64,
}

/// The positive values, sorted descending.
pub fn active_sorted_desc(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values
        .iter()
        .copied()
        .filter(|x| *x > 0.0 && x.is_finite())
        .collect();
    v.sort_by(|a, b| b.total_cmp(a));
    v
}

/// Shares sᵢ = rᵢ / Σ r of the positive values (descending); empty when there are none.
///
/// Example: `[3, 1, 0]` → `[0.75, 0.25]`.
pub fn shares(values: &[f64]) -> Vec<f64> {
    let v = active_sorted_desc(values);
    let total: f64 = v.iter().sum();
    v.iter().map(|x| x / total).collect()
}

/// Herfindahl–Hirschman index: `hhi = 10 000 · Σ sᵢ²` over the positive values;
/// `None` when there are none.
///
/// Example: four equal customers → 4 · 0.25² · 10 000 = 2 500; one customer → 10 000.
pub fn hhi(values: &[f64]) -> Option<f64> {
    let s = shares(values);
    if s.is_empty() {
        return None;
    }
    Some(10_000.0 * s.iter().map(|x| x * x).sum::<f64>())
}

/// HHI band: `< moderate` unconcentrated, `moderate ..= high` moderate, `> high` high.
///
/// Example: 1 499 → `unconcentrated`, 2 500 → `moderate`, 2 501 → `high`.
pub fn hhi_band(hhi: f64, moderate: f64, high: f64) -> &'static str {
    if hhi < moderate {
        "unconcentrated"
    } else if hhi <= high {
        "moderate"
    } else {
        "high"
    }
}

/// Gini coefficient without small-sample correction:
/// `gini = Σᵢ (2i − n − 1) · x₍ᵢ₎ / (n · Σ x)`, x ascending, i = 1..n, over the positive values.
///
/// Example: `[1, 2, 3, 4]` → (−3·1 − 1·2 + 1·3 + 3·4) / (4 · 10) = 10 / 40 = 0.25;
/// equal values → 0; one value → 0.
pub fn gini(values: &[f64]) -> Option<f64> {
    let mut v = active_sorted_desc(values);
    if v.is_empty() {
        return None;
    }
    v.reverse();
    let n = v.len() as f64;
    let total: f64 = v.iter().sum();
    let num: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    Some(num / (n * total))
}

/// Share of the `k` largest values in the total of a descending-sorted slice.
pub fn top_share(sorted_desc: &[f64], k: usize) -> f64 {
    let total: f64 = sorted_desc.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    sorted_desc.iter().take(k).sum::<f64>() / total
}

/// Fewest entities whose cumulative share reaches `line` (e.g. 0.80), of a descending slice.
///
/// Example: `[50, 30, 20]` with line 0.80 → 2 (0.5, 0.8 ≥ 0.8).
pub fn count_for_share(sorted_desc: &[f64], line: f64) -> usize {
    let total: f64 = sorted_desc.iter().sum();
    let mut cum = 0.0;
    for (i, x) in sorted_desc.iter().enumerate() {
        cum += x;
        if cum / total >= line - 1e-12 {
            return i + 1;
        }
    }
    sorted_desc.len()
}

/// All figures of one set of revenues (`None` when no value is positive).
///
/// `top20pct_share` is the share of the ceil(0.2 n) largest; `accounts_for_80pct` the fewest
/// entities reaching 80 % of the total.
pub fn figures(values: &[f64]) -> Option<Figures> {
    let v = active_sorted_desc(values);
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let k20 = ((0.2 * n as f64) - 1e-9).ceil().max(1.0) as usize;
    let a80 = count_for_share(&v, 0.80);
    Some(Figures {
        n_active: n,
        revenue_total: v.iter().sum(),
        hhi: hhi(&v).unwrap_or(0.0),
        gini: gini(&v).unwrap_or(0.0),
        top1_share: top_share(&v, 1),
        top5_share: top_share(&v, 5),
        top10_share: top_share(&v, 10),
        top20pct_share: top_share(&v, k20),
        accounts_for_80pct: a80,
        accounts_for_80pct_share: a80 as f64 / n as f64,
    })
}

impl Figures {
    /// (metric, value) pairs in the order of the `concentration` table.
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("hhi", self.hhi),
            ("gini", self.gini),
            ("top1_share", self.top1_share),
            ("top5_share", self.top5_share),
            ("top10_share", self.top10_share),
            ("top20pct_share", self.top20pct_share),
            ("accounts_for_80pct", self.accounts_for_80pct as f64),
            ("accounts_for_80pct_share", self.accounts_for_80pct_share),
            ("n_active", self.n_active as f64),
            ("revenue_total", self.revenue_total),
        ]
    }
}

/// Roll each account up to its top-most parent through `parent_account_id`.
///
/// Returns the group id per account (the top-most ancestor; the account itself when it has no
/// parent) and the accounts whose parent chain loops (on a cycle or leading into one): those
/// get `None`. A parent id that is not an account ends the chain at the last known account.
///
/// Example: B→A, C→B, A (no parent) → group A for all three; X→Y, Y→X → both `None`.
pub fn resolve_groups(
    ids: &[String],
    parents: &[Option<String>],
) -> (Vec<Option<String>>, Vec<String>) {
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let parent_idx: Vec<Option<usize>> = parents
        .iter()
        .map(|p| {
            p.as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .and_then(|p| index.get(p).copied())
        })
        .collect();
    // state: 0 unvisited, 1 on the current path, 2 resolved
    let mut state = vec![0u8; ids.len()];
    let mut group: Vec<Option<usize>> = vec![None; ids.len()];
    let mut cyclic = vec![false; ids.len()];
    for start in 0..ids.len() {
        if state[start] == 2 {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = start;
        let (top, loops) = loop {
            if state[cur] == 2 {
                break (group[cur], cyclic[cur]);
            }
            if state[cur] == 1 {
                break (None, true);
            }
            state[cur] = 1;
            path.push(cur);
            match parent_idx[cur] {
                Some(p) => cur = p,
                None => break (Some(cur), false),
            }
        };
        for &i in &path {
            state[i] = 2;
            group[i] = if loops { None } else { top };
            cyclic[i] = loops;
        }
    }
    let groups = group.iter().map(|g| g.map(|i| ids[i].clone())).collect();
    let mut cycles: Vec<String> = ids
        .iter()
        .zip(&cyclic)
        .filter(|(_, c)| **c)
        .map(|(s, _)| s.clone())
        .collect();
    cycles.sort();
    (groups, cycles)
}

/// One row of the long `concentration` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcRow {
    pub level: SliceLevel,
    pub dimension: String,
    pub key: String,
    pub metric: String,
    pub value: f64,
}

impl ConcRow {
    /// A row of account level and dimension `all` (owner HHI, single-threaded share…).
    pub fn all(metric: &str, value: f64) -> ConcRow {
        ConcRow {
            level: SliceLevel::Account,
            dimension: crate::contract::Dimension::All.name().into(),
            key: String::new(),
            metric: metric.into(),
            value,
        }
    }
}

/// The `concentration` table of `rows`, with each row's bootstrap interval from `interval`.
pub fn frame(
    rows: &[ConcRow],
    interval: impl Fn(&ConcRow) -> Option<[f64; 2]>,
) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::{Column, DataFrame};
    let ci: Vec<Option<[f64; 2]>> = rows.iter().map(interval).collect();
    DataFrame::new_infer_height(vec![
        Column::new(
            "level".into(),
            rows.iter().map(|r| r.level.name()).collect::<Vec<_>>(),
        ),
        Column::new(
            "dimension".into(),
            rows.iter().map(|r| r.dimension.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "key".into(),
            rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "metric".into(),
            rows.iter().map(|r| r.metric.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "value".into(),
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_low".into(),
            ci.iter().map(|c| c.map(|c| c[0])).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_high".into(),
            ci.iter().map(|c| c.map(|c| c[1])).collect::<Vec<_>>(),
        ),
    ])
}

/// Revenue per entity (account or group index) of one slice, ordered by entity.
pub type EntityRevenue = Vec<(usize, f64)>;

/// Revenue slices: dimension → key → entity (account or group index) → revenue.
pub type Slices = BTreeMap<String, BTreeMap<String, EntityRevenue>>;

/// Sum `(key, entity, revenue)` rows per key and entity into dimension `dim` of `slices`
/// (replacing what the dimension held). Rows are bucketed per key, then each bucket is
/// sorted by entity (a stable sort, so each entity's rows are summed in row order) and
/// merged: no hash map per row, and the result is ordered by entity.
///
/// Example: rows `("CN", 0, 5.0), ("US", 1, 2.0), ("CN", 0, 1.0)` in `region` give
/// `region → CN → [(0, 6)], US → [(1, 2)]`.
pub fn add_rows<'a>(
    slices: &mut Slices,
    dim: &str,
    rows: impl IntoIterator<Item = (&'a str, usize, f64)>,
) {
    let mut key_ids: HashMap<&'a str, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut buckets: Vec<(&'a str, Vec<(usize, f64)>)> = Vec::new();
    let mut last: Option<(&'a str, usize)> = None;
    for (key, entity, v) in rows {
        let k = match last {
            Some((lk, id)) if lk == key => id,
            _ => {
                let id = *key_ids.entry(key).or_insert_with(|| {
                    buckets.push((key, Vec::new()));
                    buckets.len() - 1
                });
                last = Some((key, id));
                id
            }
        };
        buckets[k].1.push((entity, v));
    }
    let d = slices.entry(dim.to_string()).or_default();
    d.clear();
    for (key, mut rows) in buckets {
        rows.sort_by_key(|r| r.0);
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(rows.len());
        for (e, v) in rows {
            match merged.last_mut() {
                Some((le, lv)) if *le == e => *lv += v,
                _ => merged.push((e, 0.0 + v)),
            }
        }
        d.insert(key.to_string(), merged);
    }
}

/// Build the long concentration rows of every slice (`dimension`, `key`) for one `level`.
pub fn slice_rows(level: SliceLevel, slices: &Slices) -> Vec<ConcRow> {
    let mut rows = Vec::new();
    for (dim, keys) in slices {
        for (key, per_entity) in keys {
            let values: Vec<f64> = per_entity.iter().map(|x| x.1).collect();
            if let Some(f) = figures(&values) {
                for (m, v) in f.metrics() {
                    rows.push(ConcRow {
                        level,
                        dimension: dim.clone(),
                        key: key.clone(),
                        metric: m.to_string(),
                        value: v,
                    });
                }
            }
        }
    }
    rows
}

/// Money sums rounded to 12 significant digits: the order rows are summed in (file order,
/// threads) changes the last bits, and ranks must not split a tie over them (two accounts with
/// the same invoices summed in reverse order gave 126192.90300000001 and 126192.90299999999).
///
/// Example: `round_sum(126192.90300000001) == round_sum(126192.90299999999) == 126192.903`.
pub fn round_sum(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = 11 - x.abs().log10().floor() as i32;
    if e >= 0 {
        let s = 10f64.powi(e);
        (x * s).round() / s
    } else {
        let s = 10f64.powi(-e);
        (x / s).round() * s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn add_rows_sums_per_key_and_entity_in_entity_order() {
        let mut s = Slices::new();
        let rows = [
            ("CN", 3, 5.0),
            ("US", 1, 2.0),
            ("CN", 0, 4.0),
            ("CN", 3, 1.0),
        ];
        add_rows(&mut s, "region", rows);
        let d = &s["region"];
        assert_eq!(d["CN"], vec![(0, 4.0), (3, 6.0)]);
        assert_eq!(d["US"], vec![(1, 2.0)]);
        // a second call replaces the dimension
        add_rows(&mut s, "region", [("JP", 2, 1.0)]);
        assert_eq!(s["region"].keys().collect::<Vec<_>>(), ["JP"]);
    }

    #[test]
    fn hhi_of_equal_shares() {
        assert!((hhi(&[5.0, 5.0, 5.0, 5.0]).unwrap() - 2500.0).abs() < 1e-9);
        assert!((hhi(&[7.0]).unwrap() - 10_000.0).abs() < 1e-9);
        assert_eq!(hhi(&[0.0, -3.0]), None);
        // inactive (≤ 0) values do not count
        assert!((hhi(&[5.0, 5.0, 0.0, -1.0]).unwrap() - 5000.0).abs() < 1e-9);
    }

    #[test]
    fn hhi_bands() {
        assert_eq!(hhi_band(1499.9, 1500.0, 2500.0), "unconcentrated");
        assert_eq!(hhi_band(1500.0, 1500.0, 2500.0), "moderate");
        assert_eq!(hhi_band(2500.0, 1500.0, 2500.0), "moderate");
        assert_eq!(hhi_band(2500.1, 1500.0, 2500.0), "high");
    }

    #[test]
    fn gini_of_known_vector() {
        assert!((gini(&[4.0, 1.0, 3.0, 2.0]).unwrap() - 0.25).abs() < 1e-12);
        assert!(gini(&[2.0, 2.0, 2.0]).unwrap().abs() < 1e-12);
        assert_eq!(gini(&[9.0]).unwrap(), 0.0);
        // [0,0,0,1] → only one active value → 0 (inactive accounts are not counted)
        assert_eq!(gini(&[0.0, 0.0, 1.0]).unwrap(), 0.0);
        // [1, 9]: (−1·1 + 1·9)/(2·10) = 0.4
        assert!((gini(&[9.0, 1.0]).unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn top_shares_and_80pct() {
        let f = figures(&[10.0, 20.0, 50.0, 15.0, 5.0, 0.0]).unwrap();
        assert_eq!(f.n_active, 5);
        assert_eq!(f.revenue_total, 100.0);
        assert!((f.top1_share - 0.5).abs() < 1e-12);
        assert!((f.top5_share - 1.0).abs() < 1e-12);
        // ceil(0.2·5) = 1
        assert!((f.top20pct_share - 0.5).abs() < 1e-12);
        // 50, 70, 85 → 3 accounts reach 80 %
        assert_eq!(f.accounts_for_80pct, 3);
        assert!((f.accounts_for_80pct_share - 0.6).abs() < 1e-12);
        // exactly at the line counts
        assert_eq!(count_for_share(&[80.0, 20.0], 0.8), 1);
        // ceil(0.2·6) = 2
        let g = figures(&[1.0, 1.0, 1.0, 1.0, 1.0, 5.0]).unwrap();
        assert!((g.top20pct_share - 0.6).abs() < 1e-12);
    }

    #[test]
    fn groups_roll_up_and_cycles() {
        let ids: Vec<String> = ["A", "B", "C", "X", "Y", "Z", "S", "O"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = |s: &str| Some(s.to_string());
        let parents = vec![
            None,
            p("A"),
            p("B"),
            p("Y"),
            p("X"),
            p("X"),
            p("S"),
            p("missing"),
        ];
        let (g, cycles) = resolve_groups(&ids, &parents);
        assert_eq!(g[0].as_deref(), Some("A"));
        assert_eq!(g[1].as_deref(), Some("A"));
        assert_eq!(g[2].as_deref(), Some("A"));
        assert_eq!(g[3], None);
        assert_eq!(g[4], None);
        assert_eq!(g[5], None, "Z leads into the X↔Y cycle");
        assert_eq!(g[6], None, "self-parent is a cycle");
        assert_eq!(g[7].as_deref(), Some("O"), "unknown parent ends the chain");
        assert_eq!(cycles, vec!["S", "X", "Y", "Z"]);
    }

    proptest! {
        #[test]
        fn shares_sum_to_one(v in proptest::collection::vec(0.0f64..1e9, 1..60)) {
            let s = shares(&v);
            if !s.is_empty() {
                prop_assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
        }

        #[test]
        fn hhi_within_bounds(v in proptest::collection::vec(0.01f64..1e9, 1..60)) {
            let h = hhi(&v).unwrap();
            let n = v.len() as f64;
            prop_assert!(h >= 10_000.0 / n - 1e-6 && h <= 10_000.0 + 1e-6);
        }

        #[test]
        fn gini_within_unit_interval(v in proptest::collection::vec(0.01f64..1e9, 1..60)) {
            let g = gini(&v).unwrap();
            prop_assert!((-1e-12..1.0).contains(&g));
        }

        #[test]
        fn figures_independent_of_order(mut v in proptest::collection::vec(-10.0f64..1e6, 1..40), seed in 0u64..1000) {
            let a = figures(&v);
            // deterministic shuffle
            let n = v.len();
            for i in 0..n {
                let j = ((seed as usize).wrapping_mul(31).wrapping_add(i * 17)) % n;
                v.swap(i, j);
            }
            prop_assert_eq!(a, figures(&v));
        }
    }
}
