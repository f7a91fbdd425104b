//! Value segmentation (metrics.md "Value segmentation"): growth, Pareto / ABC, value_score,
//! tiers, RFM. Pure functions over per-account vectors (one entry per account, aligned).

use std::cmp::Ordering;

use super::MetricsConfig;

/// Revenue growth against the previous 12 months.
///
/// `growth = (cur − prev) / prev`; `+∞` when `prev ≤ 0 < cur`; `0` when both are ≤ 0;
/// negative by the same formula when `cur ≤ 0 < prev`.
///
/// Example: `growth(150, 100) = 0.5`, `growth(5, 0) = +∞`, `growth(0, 0) = 0`,
/// `growth(0, 100) = −1`.
pub fn growth(cur: f64, prev: f64) -> f64 {
    if prev <= 0.0 {
        if cur > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    } else {
        (cur - prev) / prev
    }
}

/// Pareto rank, cumulative share and ABC class of the active accounts (revenue > 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Pareto {
    pub rank: Vec<Option<u32>>,
    pub cum_share: Vec<Option<f64>>,
    pub class: Vec<Option<&'static str>>,
}

/// Pareto / ABC: active accounts sorted by revenue descending (ties by id ascending);
/// `pareto_rank` 1-based, `cum_share` inclusive of the account; class **A** when the share
/// *before* the account is < `abc_a` (0.80), **B** when < `abc_b` (0.95), else **C**.
///
/// Example: revenues 50, 30, 15, 5 → cum 0.50, 0.80, 0.95, 1.00; share before 0, 0.5, 0.8,
/// 0.95 → A, A, B, C (exactly 0.80 before is no longer A).
pub fn pareto(ids: &[String], revenue: &[f64], abc_a: f64, abc_b: f64) -> Pareto {
    let n = ids.len();
    let mut order: Vec<usize> = (0..n).filter(|&i| revenue[i] > 0.0).collect();
    order.sort_by(|&a, &b| {
        revenue[b]
            .total_cmp(&revenue[a])
            .then_with(|| ids[a].cmp(&ids[b]))
    });
    let total: f64 = order.iter().map(|&i| revenue[i]).sum();
    let mut out = Pareto {
        rank: vec![None; n],
        cum_share: vec![None; n],
        class: vec![None; n],
    };
    let mut cum = 0.0;
    for (pos, &i) in order.iter().enumerate() {
        let before = cum / total;
        cum += revenue[i];
        out.rank[i] = Some(pos as u32 + 1);
        out.cum_share[i] = Some(cum / total);
        out.class[i] = Some(if before < abc_a - 1e-12 {
            "A"
        } else if before < abc_b - 1e-12 {
            "B"
        } else {
            "C"
        });
    }
    out
}

fn cmp_opt(a: &Option<f64>, b: &Option<f64>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.total_cmp(y),
    }
}

/// Percentile rank `pr(x) = (rank_min(x) − 1) / (n − 1)` (ascending; `1` when n = 1).
/// A missing value ranks below every value (so several missing values all get 0).
///
/// Example: `[10, 20, 20, None]` → rank_min 2, 3, 3, 1 → pr 1/3, 2/3, 2/3, 0.
pub fn percentile_ranks(values: &[Option<f64>]) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![1.0];
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp_opt(&values[a], &values[b]));
    let mut pr = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && cmp_opt(&values[order[start]], &values[order[end]]) == Ordering::Equal {
            end += 1;
        }
        for &i in &order[start..end] {
            pr[i] = start as f64 / (n - 1) as f64;
        }
        start = end;
    }
    pr
}

/// value_score over the active accounts: `Σ wᵢ · pr(xᵢ)`.
///
/// `inputs` are (name, weight, values over the active accounts). An input missing for
/// every account drops out and the remaining weights are renormalised to sum to the original
/// total; the names of dropped inputs are returned.
///
/// Example: two accounts, revenue [1, 2] (w 0.55), margin [None, None] (w 0.15),
/// growth [0, 1] (0.15), pipeline [0, 0] (0.15): margin drops, weights /0.85 →
/// account 2: (0.55 + 0.15 + 0) / 0.85 = 0.8235…, account 1: 0.
pub fn value_scores(inputs: &[(&str, f64, Vec<Option<f64>>)], n: usize) -> (Vec<f64>, Vec<String>) {
    let mut dropped = Vec::new();
    let total_w: f64 = inputs.iter().map(|x| x.1).sum();
    let kept: Vec<&(&str, f64, Vec<Option<f64>>)> = inputs
        .iter()
        .filter(|(name, _, v)| {
            let all_missing = v.iter().all(Option::is_none);
            if all_missing && n > 0 {
                dropped.push(name.to_string());
            }
            !all_missing
        })
        .collect();
    let kept_w: f64 = kept.iter().map(|x| x.1).sum();
    let scale = if kept_w > 0.0 { total_w / kept_w } else { 0.0 };
    let mut score = vec![0.0; n];
    for (_, w, v) in kept {
        let pr = percentile_ranks(v);
        for i in 0..n {
            score[i] += w * scale * pr[i];
        }
    }
    (score, dropped)
}

/// Tier positions: the count of S, S+A, S+A+B accounts among `n` (ceil of the cut-off × n).
///
/// Example: n = 20 with 0.05/0.20/0.50 → S ≤ 1, A ≤ 4, B ≤ 10.
pub fn tier_cuts(n: usize, cfg: &MetricsConfig) -> [usize; 3] {
    let c = |f: f64| ((f * n as f64) - 1e-9).ceil().max(0.0) as usize;
    [c(cfg.tier_s), c(cfg.tier_a), c(cfg.tier_b)]
}

/// Tiers S/A/B/C: active accounts ranked by value_score descending (ties: revenue descending,
/// then id ascending); positions ≤ ceil(0.05 n) S, ≤ ceil(0.20 n) A, ≤ ceil(0.50 n) B, the
/// rest C. Inactive accounts with pipeline_weighted > 0 are C; the rest have no tier.
///
/// `score[i]` is `Some` exactly for active accounts.
pub fn tiers(
    ids: &[String],
    revenue: &[f64],
    score: &[Option<f64>],
    pipeline: &[Option<f64>],
    cfg: &MetricsConfig,
) -> Vec<Option<&'static str>> {
    let n = ids.len();
    let mut active: Vec<usize> = (0..n).filter(|&i| score[i].is_some()).collect();
    active.sort_by(|&a, &b| {
        cmp_opt(&score[b], &score[a])
            .then_with(|| revenue[b].total_cmp(&revenue[a]))
            .then_with(|| ids[a].cmp(&ids[b]))
    });
    let cuts = tier_cuts(active.len(), cfg);
    let mut out: Vec<Option<&'static str>> = (0..n)
        .map(|i| {
            if pipeline[i].unwrap_or(0.0) > 0.0 {
                Some("C")
            } else {
                None
            }
        })
        .collect();
    for (pos0, &i) in active.iter().enumerate() {
        let pos = pos0 + 1;
        out[i] = Some(if pos <= cuts[0] {
            "S"
        } else if pos <= cuts[1] {
            "A"
        } else if pos <= cuts[2] {
            "B"
        } else {
            "C"
        });
    }
    out
}

/// RFM score 1–5 by quintile: `1 + floor(5 · (rank_min − 1) / n)` with ranks ascending in
/// "goodness" (higher value = better; pass −recency for R). Missing values score 1.
///
/// Example: 5 accounts with values 1..5 → scores 1..5; 10 accounts → 1,1,2,2,…,5,5.
pub fn quintile_scores(values: &[Option<f64>]) -> Vec<u8> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp_opt(&values[a], &values[b]));
    let mut out = vec![1u8; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && cmp_opt(&values[order[start]], &values[order[end]]) == Ordering::Equal {
            end += 1;
        }
        let s = 1 + (5 * start / n) as u8;
        for &i in &order[start..end] {
            out[i] = if values[i].is_some() { s.min(5) } else { 1 };
        }
        start = end;
    }
    out
}

/// Everything segmentation produces for one as_of (vectors aligned with the accounts).
#[derive(Debug, Clone, Default)]
pub struct Segmentation {
    pub growth: Vec<f64>,
    pub active: Vec<bool>,
    pub value_score: Vec<Option<f64>>,
    pub tier: Vec<Option<&'static str>>,
    pub pareto: Option<Pareto>,
    /// value_score inputs that were missing for every account and dropped.
    pub dropped_inputs: Vec<String>,
}

/// Growth, Pareto/ABC, value_score and tiers of one as_of.
///
/// `margin` is `None` for an account without recorded margin; `pipeline` is `None` when
/// there is no opportunities table (then it drops out of value_score).
pub fn segment(
    ids: &[String],
    revenue: &[f64],
    prev: &[f64],
    margin: &[Option<f64>],
    pipeline: &[Option<f64>],
    cfg: &MetricsConfig,
) -> Segmentation {
    let n = ids.len();
    let growth: Vec<f64> = (0..n).map(|i| growth(revenue[i], prev[i])).collect();
    let active: Vec<bool> = revenue.iter().map(|r| *r > 0.0).collect();
    let act_idx: Vec<usize> = (0..n).filter(|&i| active[i]).collect();
    let pick = |v: &dyn Fn(usize) -> Option<f64>| act_idx.iter().map(|&i| v(i)).collect::<Vec<_>>();
    let w = &cfg.value_score_weights;
    let inputs = vec![
        ("revenue_12m", w.revenue_12m, pick(&|i| Some(revenue[i]))),
        ("margin_12m", w.margin_12m, pick(&|i| margin[i])),
        ("growth", w.growth, pick(&|i| Some(growth[i]))),
        (
            "pipeline_weighted",
            w.pipeline_weighted,
            pick(&|i| pipeline[i]),
        ),
    ];
    let (scores, dropped_inputs) = value_scores(&inputs, act_idx.len());
    let mut value_score = vec![None; n];
    for (k, &i) in act_idx.iter().enumerate() {
        value_score[i] = Some(scores[k]);
    }
    let tier = tiers(ids, revenue, &value_score, pipeline, cfg);
    let pareto = pareto(ids, revenue, cfg.abc_a, cfg.abc_b);
    Segmentation {
        growth,
        active,
        value_score,
        tier,
        pareto: Some(pareto),
        dropped_inputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("A{i:03}")).collect()
    }

    #[test]
    fn growth_edge_cases() {
        assert_eq!(growth(150.0, 100.0), 0.5);
        assert_eq!(growth(5.0, 0.0), f64::INFINITY);
        assert_eq!(growth(5.0, -3.0), f64::INFINITY);
        assert_eq!(growth(0.0, 0.0), 0.0);
        assert_eq!(growth(-1.0, -5.0), 0.0);
        assert_eq!(growth(0.0, 100.0), -1.0);
        assert_eq!(growth(-50.0, 100.0), -1.5);
    }

    #[test]
    fn abc_boundary_exactly_80pct() {
        let p = pareto(&ids(4), &[30.0, 50.0, 15.0, 5.0], 0.80, 0.95);
        assert_eq!(p.rank, vec![Some(2), Some(1), Some(3), Some(4)]);
        assert_eq!(p.class, vec![Some("A"), Some("A"), Some("B"), Some("C")]);
        assert!((p.cum_share[0].unwrap() - 0.8).abs() < 1e-12);
        assert!((p.cum_share[3].unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn pareto_ties_by_id_and_inactive_has_no_class() {
        let p = pareto(&ids(3), &[10.0, 10.0, 0.0], 0.80, 0.95);
        assert_eq!(p.rank, vec![Some(1), Some(2), None]);
        assert_eq!(p.class[2], None);
        // share before A001 is 0.5 → A
        assert_eq!(p.class[1], Some("A"));
    }

    #[test]
    fn percentile_ranks_with_ties_and_missing() {
        let pr = percentile_ranks(&[Some(10.0), Some(20.0), Some(20.0), None]);
        assert_eq!(pr, vec![1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.0]);
        assert_eq!(
            percentile_ranks(&[None, None, Some(1.0)]),
            vec![0.0, 0.0, 1.0]
        );
        assert_eq!(percentile_ranks(&[Some(3.0)]), vec![1.0]);
        let inf = percentile_ranks(&[Some(f64::INFINITY), Some(1.0)]);
        assert_eq!(inf, vec![1.0, 0.0]);
    }

    #[test]
    fn value_score_with_one_missing_input() {
        let inputs = vec![
            ("revenue_12m", 0.55, vec![Some(1.0), Some(2.0), Some(3.0)]),
            ("margin_12m", 0.15, vec![None, Some(5.0), Some(1.0)]),
            ("growth", 0.15, vec![Some(0.0), Some(0.0), Some(0.0)]),
            (
                "pipeline_weighted",
                0.15,
                vec![Some(0.0), Some(0.0), Some(0.0)],
            ),
        ];
        let (s, dropped) = value_scores(&inputs, 3);
        assert!(dropped.is_empty());
        // account 0: 0 + margin missing (lowest, pr 0) + 0 + 0
        assert!((s[0] - 0.0).abs() < 1e-12);
        // account 1: 0.55·0.5 + 0.15·1 + 0 + 0 (ties rank_min 1 → pr 0)
        assert!((s[1] - (0.275 + 0.15)).abs() < 1e-12);
        // account 2: 0.55 + 0.15·0.5
        assert!((s[2] - (0.55 + 0.075)).abs() < 1e-12);
    }

    #[test]
    fn value_score_all_missing_input_is_renormalised() {
        let inputs = vec![
            ("revenue_12m", 0.55, vec![Some(1.0), Some(2.0)]),
            ("margin_12m", 0.15, vec![None, None]),
            ("growth", 0.15, vec![Some(0.0), Some(1.0)]),
            ("pipeline_weighted", 0.15, vec![Some(0.0), Some(0.0)]),
        ];
        let (s, dropped) = value_scores(&inputs, 2);
        assert_eq!(dropped, vec!["margin_12m".to_string()]);
        assert!((s[1] - 0.70 / 0.85).abs() < 1e-12);
        assert_eq!(s[0], 0.0);
    }

    #[test]
    fn tier_cutoffs_with_n_20_and_ties() {
        let cfg = MetricsConfig::default();
        assert_eq!(tier_cuts(20, &cfg), [1, 4, 10]);
        assert_eq!(tier_cuts(25, &cfg), [2, 5, 13]);
        assert_eq!(tier_cuts(1, &cfg), [1, 1, 1]);
        let n = 20;
        let ids = ids(n);
        // all scores equal: order by revenue desc then id
        let revenue: Vec<f64> = (0..n)
            .map(|i| if i < 2 { 100.0 } else { (n - i) as f64 })
            .collect();
        let score = vec![Some(0.5); n];
        let pipe = vec![Some(0.0); n];
        let t = tiers(&ids, &revenue, &score, &pipe, &cfg);
        // A000 and A001 tie on revenue 100 → A000 first by id
        assert_eq!(t[0], Some("S"));
        assert_eq!(t[1], Some("A"));
        assert_eq!(t[3], Some("A"));
        assert_eq!(t[4], Some("B"));
        assert_eq!(t[9], Some("B"));
        assert_eq!(t[10], Some("C"));
        assert_eq!(t.iter().filter(|x| **x == Some("S")).count(), 1);
        assert_eq!(t.iter().filter(|x| **x == Some("A")).count(), 3);
        assert_eq!(t.iter().filter(|x| **x == Some("B")).count(), 6);
    }

    #[test]
    fn inactive_with_pipeline_is_c() {
        let cfg = MetricsConfig::default();
        let s = segment(
            &ids(3),
            &[10.0, 0.0, 0.0],
            &[5.0, 1.0, 0.0],
            &[Some(1.0), None, None],
            &[Some(0.0), Some(3.0), Some(0.0)],
            &cfg,
        );
        assert_eq!(s.tier, vec![Some("S"), Some("C"), None]);
        assert_eq!(s.value_score[1], None);
        assert_eq!(s.value_score[0], Some(1.0));
    }

    #[test]
    fn quintiles() {
        let v: Vec<Option<f64>> = (1..=10).map(|x| Some(x as f64)).collect();
        assert_eq!(quintile_scores(&v), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(quintile_scores(&[Some(1.0), Some(1.0)]), vec![1, 1]);
    }
}
