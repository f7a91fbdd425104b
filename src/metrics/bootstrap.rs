//! Percentile bootstrap intervals (metrics.md "Evidence", **Intervals**).
//!
//! A draw takes n items with replacement from the n items of the sample and recomputes the
//! figure; the interval is the 5th and the 95th percentile of B draws (90 %).
//!
//! A resample is represented by how often each item was drawn (`counts`, Σ = n), over items
//! sorted once beforehand: the sorted resample is then "item i repeated counts[i] times" in the
//! presorted order, so every figure is one linear pass per draw, with no sort per draw (at
//! 700 k active accounts a sort per draw took ~60 ms; the pass takes a few ms).
//!
//! Repeatable: draw b uses its own generator seeded from (seed, b), so the interval depends on
//! the seed and B only, not on the number of threads or the order the draws run in.

use rand::RngCore;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

/// The percentiles of the interval (90 %).
pub const LOW: f64 = 0.05;
pub const HIGH: f64 = 0.95;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The generator of draw `b` under `seed`.
fn draw_rng(seed: u64, b: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(splitmix(
        splitmix(seed) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03),
    ))
}

/// Fill `counts` (length n) with the multiplicities of n draws with replacement.
fn resample(rng: &mut Pcg64Mcg, counts: &mut [u32]) {
    counts.iter_mut().for_each(|c| *c = 0);
    let n = counts.len() as u128;
    for _ in 0..counts.len() {
        // Multiply-shift: uniform in 0..n up to a bias of n / 2^64 (nil here).
        let i = ((u128::from(rng.next_u64()) * n) >> 64) as usize;
        counts[i] += 1;
    }
}

/// Percentile `p` ∈ [0,1] of sorted values by linear interpolation between the closest
/// ranks (h = (len − 1) · p; numpy's default). Example: [1, 2, 3, 4] at 0.5 → 2.5.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Run `draws` draws over n items: `f(counts)` gives the figures (a fixed number `k` of them,
/// NaN when undefined) of one resample. Returns per figure the (5th, 95th) percentile over the
/// draws where it was defined, None when there were none. The draws run on rayon's pool; the
/// result does not depend on its size.
/// `init` makes the scratch space `f` may reuse (one per rayon job).
pub fn intervals<S, I, F>(
    n: usize,
    k: usize,
    draws: u32,
    seed: u64,
    init: I,
    f: F,
) -> Vec<Option<[f64; 2]>>
where
    I: Fn() -> S + Sync + Send,
    F: Fn(&[u32], &mut S) -> Vec<f64> + Sync + Send,
{
    if n == 0 || draws == 0 {
        return vec![None; k];
    }
    let per_draw: Vec<Vec<f64>> = (0..u64::from(draws))
        .into_par_iter()
        .map_init(
            || (vec![0u32; n], init()),
            |(counts, scratch), b| {
                let mut rng = draw_rng(seed, b);
                resample(&mut rng, counts);
                f(counts, scratch)
            },
        )
        .collect();
    (0..k)
        .map(|j| {
            let mut v: Vec<f64> = per_draw
                .iter()
                .filter_map(|d| d.get(j).copied())
                .filter(|x| x.is_finite())
                .collect();
            v.sort_by(f64::total_cmp);
            Some([percentile(&v, LOW)?, percentile(&v, HIGH)?])
        })
        .collect()
}

/// The concentration figures the intervals are given for, in this order.
pub const CONCENTRATION_METRICS: [&str; 5] =
    ["hhi", "gini", "top1_share", "top5_share", "top20pct_share"];

/// hhi, gini, top1_share, top5_share, top20pct_share of the resample `counts` of the
/// revenues `asc` (active, sorted ascending), with the formulas of
/// [`super::concentration::figures`]. With counts all 1 this is the plain figure.
///
/// Example: asc = [1, 3], counts = [0, 2] (the resample 3, 3): hhi 5 000, gini 0,
/// top1 0.5, top5 1, top20pct (ceil(0.4) = 1 largest) 0.5.
pub fn concentration_figures(asc: &[f64], counts: &[u32]) -> Vec<f64> {
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if n == 0 {
        return vec![f64::NAN; 5];
    }
    let nf = n as f64;
    let (mut s, mut q, mut g) = (0.0, 0.0, 0.0);
    let mut before = 0u64;
    for (x, &c) in asc.iter().zip(counts) {
        if c == 0 {
            continue;
        }
        let cf = f64::from(c);
        s += cf * x;
        q += cf * x * x;
        // Σ over the positions p+1..p+c of (2i − n − 1) = c · (2p + c − n).
        g += x * cf * (2.0 * before as f64 + cf - nf);
        before += u64::from(c);
    }
    if s <= 0.0 {
        return vec![f64::NAN; 5];
    }
    let top = |k: u64| -> f64 {
        let (mut left, mut sum) = (k, 0.0);
        for (x, &c) in asc.iter().zip(counts).rev() {
            if left == 0 {
                break;
            }
            let take = u64::from(c).min(left);
            sum += take as f64 * x;
            left -= take;
        }
        sum / s
    };
    let k20 = ((0.2 * nf) - 1e-9).ceil().max(1.0) as u64;
    vec![
        10_000.0 * q / (s * s),
        g / (nf * s),
        top(1),
        top(5),
        top(k20),
    ]
}

/// Intervals of [`CONCENTRATION_METRICS`] over the active (> 0) values.
pub fn concentration_intervals(values: &[f64], draws: u32, seed: u64) -> Vec<Option<[f64; 2]>> {
    let mut asc: Vec<f64> = values.iter().copied().filter(|x| *x > 0.0).collect();
    asc.sort_by(f64::total_cmp);
    intervals(
        asc.len(),
        CONCENTRATION_METRICS.len(),
        draws,
        seed,
        || (),
        |c, _| concentration_figures(&asc, c),
    )
}

/// Items sorted by a value, with the ends of their runs of equal values: what average ranks of
/// a resample need.
pub struct RankOrder {
    /// Item indices in ascending order of the value (ties by index).
    order: Vec<u32>,
    /// End (exclusive, into `order`) of each run of equal values.
    run_ends: Vec<u32>,
}

impl RankOrder {
    pub fn new(values: &[f64]) -> RankOrder {
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let mut run_ends = Vec::new();
        for j in 1..=order.len() {
            if j == order.len() || values[order[j] as usize] != values[order[j - 1] as usize] {
                run_ends.push(j as u32);
            }
        }
        RankOrder { order, run_ends }
    }

    /// Average rank (1-based) of every item in the resample with multiplicities `counts`:
    /// the items of a run share the mean of the positions their copies take.
    fn ranks(&self, counts: &[u32], out: &mut [f64]) {
        let (mut start, mut cum) = (0usize, 0u64);
        for &end in &self.run_ends {
            let run = &self.order[start..end as usize];
            let w: u64 = run.iter().map(|&i| u64::from(counts[i as usize])).sum();
            let r = cum as f64 + (w as f64 + 1.0) / 2.0;
            for &i in run {
                out[i as usize] = r;
            }
            cum += w;
            start = end as usize;
        }
    }
}

/// Spearman rank correlation of (x, y) over the resample `counts` (Pearson correlation of the
/// average ranks, each item weighted by its count); NaN when either side has no spread.
pub fn spearman_weighted(
    x: &RankOrder,
    y: &RankOrder,
    counts: &[u32],
    rx: &mut [f64],
    ry: &mut [f64],
) -> f64 {
    x.ranks(counts, rx);
    y.ranks(counts, ry);
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for i in 0..counts.len() {
        let c = f64::from(counts[i]);
        n += c;
        sx += c * rx[i];
        sy += c * ry[i];
    }
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut cxy, mut cxx, mut cyy) = (0.0, 0.0, 0.0);
    for i in 0..counts.len() {
        let c = f64::from(counts[i]);
        if c == 0.0 {
            continue;
        }
        let (dx, dy) = (rx[i] - mx, ry[i] - my);
        cxy += c * dx * dy;
        cxx += c * dx * dx;
        cyy += c * dy * dy;
    }
    if cxx <= 0.0 || cyy <= 0.0 {
        return f64::NAN;
    }
    cxy / (cxx * cyy).sqrt()
}

/// Spearman rank correlation with average ranks for ties; None with fewer than 2 pairs or
/// when either side is constant.
///
/// Example: x = [1, 2, 2, 3], y = [1, 3, 2, 4]: ranks x 1, 2.5, 2.5, 4 and y 1, 3, 2, 4
/// (means 2.5); dx = −1.5, 0, 0, 1.5, dy = −1.5, 0.5, −0.5, 1.5; Σdxdy = 4.5, Σdx² = 4.5,
/// Σdy² = 5 → 4.5 / √22.5 = 0.9487.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    let (ox, oy) = (RankOrder::new(&x[..n]), RankOrder::new(&y[..n]));
    let ones = vec![1u32; n];
    let (mut rx, mut ry) = (vec![0.0; n], vec![0.0; n]);
    let r = spearman_weighted(&ox, &oy, &ones, &mut rx, &mut ry);
    r.is_finite().then_some(r)
}

/// The bootstrap interval of [`spearman`] over the pairs.
pub fn spearman_interval(x: &[f64], y: &[f64], draws: u32, seed: u64) -> Option<[f64; 2]> {
    let n = x.len().min(y.len());
    let (ox, oy) = (RankOrder::new(&x[..n]), RankOrder::new(&y[..n]));
    intervals(
        n,
        1,
        draws,
        seed,
        || (vec![0.0; n], vec![0.0; n]),
        |c, (rx, ry)| vec![spearman_weighted(&ox, &oy, c, rx, ry)],
    )
    .pop()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        // h = 3 · 0.05 = 0.15 → 1 + 0.15 · 1
        assert!((percentile(&v, LOW).unwrap() - 1.15).abs() < 1e-12);
        assert!((percentile(&v, HIGH).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn concentration_figures_of_counts_match_the_plain_figures() {
        let vals = [5.0, 1.0, 3.0, 8.0, 2.0, 13.0, 0.5];
        let mut asc = vals.to_vec();
        asc.sort_by(f64::total_cmp);
        let got = concentration_figures(&asc, &[1; 7]);
        let f = super::super::concentration::figures(&vals).unwrap();
        let want = [f.hhi, f.gini, f.top1_share, f.top5_share, f.top20pct_share];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
        // Counts are the expanded sample: [1, 3] with counts [1, 2] is the sample 1, 3, 3.
        let got = concentration_figures(&[1.0, 3.0], &[1, 2]);
        let f = super::super::concentration::figures(&[1.0, 3.0, 3.0]).unwrap();
        let want = [f.hhi, f.gini, f.top1_share, f.top5_share, f.top20pct_share];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
        // By hand (doc example): the resample 3, 3.
        let got = concentration_figures(&[1.0, 3.0], &[0, 2]);
        assert_eq!(got, vec![5000.0, 0.0, 0.5, 1.0, 0.5]);
    }

    #[test]
    fn spearman_with_ties_by_hand() {
        // Doc example: 4.5 / √22.5.
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{r}");
        // Perfectly reversed → −1; constant side → None.
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[9.0, 5.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]), None);
        assert_eq!(spearman(&[1.0], &[1.0]), None);
    }

    #[test]
    fn weighted_ranks_are_the_expanded_sample() {
        // Items x = [10, 20, 30] with counts [2, 0, 1] are the sample 10, 10, 30: ranks 1.5, 1.5, 3.
        let o = RankOrder::new(&[10.0, 20.0, 30.0]);
        let mut r = vec![0.0; 3];
        o.ranks(&[2, 0, 1], &mut r);
        assert_eq!(r[0], 1.5);
        assert_eq!(r[2], 3.0);
        // Spearman of a resample equals Spearman of the expanded pairs.
        let (x, y) = ([1.0, 2.0, 2.0, 3.0, 5.0], [2.0, 1.0, 4.0, 4.0, 3.0]);
        let counts = [2u32, 1, 0, 1, 1];
        let (ox, oy) = (RankOrder::new(&x), RankOrder::new(&y));
        let (mut rx, mut ry) = (vec![0.0; 5], vec![0.0; 5]);
        let w = spearman_weighted(&ox, &oy, &counts, &mut rx, &mut ry);
        let e = spearman(&[1.0, 1.0, 2.0, 3.0, 5.0], &[2.0, 2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!((w - e).abs() < 1e-12, "{w} vs {e}");
    }

    fn sample() -> Vec<f64> {
        (1..=200).map(|i| ((i * 37) % 101) as f64 + 1.0).collect()
    }

    #[test]
    fn same_seed_same_interval_any_thread_count() {
        let v = sample();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| concentration_intervals(&v, 200, 7));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| concentration_intervals(&v, 200, 7));
        assert_eq!(one, four);
        assert_eq!(one, concentration_intervals(&v, 200, 7));
        let other = concentration_intervals(&v, 200, 8);
        assert_ne!(one, other);
        // The interval holds the point figure and is not degenerate.
        let f = super::super::concentration::figures(&v).unwrap();
        let [lo, hi] = one[0].unwrap();
        assert!(lo < f.hhi && f.hhi < hi, "{lo} {} {hi}", f.hhi);
        let y: Vec<f64> = v.iter().map(|x| x * 2.0 + 1.0).collect();
        let a = spearman_interval(&v, &y, 100, 3);
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| spearman_interval(&v, &y, 100, 3));
        assert_eq!(a, b);
        assert_eq!(a, Some([1.0, 1.0]));
    }

    #[test]
    fn no_draws_no_interval() {
        assert_eq!(concentration_intervals(&sample(), 0, 1), vec![None; 5]);
        assert_eq!(concentration_intervals(&[], 100, 1), vec![None; 5]);
    }
}
