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
    // No branch on c == 0 (a third of a resample's items): a zero count adds ±0 to each sum,
    // which leaves it exactly as it was.
    for (x, &c) in asc.iter().zip(counts) {
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

/// Run number (0-based rank among the distinct values, ascending) of every value.
fn run_ids(values: &[f64]) -> (Vec<u32>, usize) {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    let mut ids = vec![0u32; values.len()];
    let mut run = 0u32;
    for j in 0..order.len() {
        if j > 0 && values[order[j] as usize] != values[order[j - 1] as usize] {
            run += 1;
        }
        ids[order[j] as usize] = run;
    }
    (
        ids,
        if values.is_empty() {
            0
        } else {
            run as usize + 1
        },
    )
}

/// (x, y) pairs prepared for Spearman correlations of resamples: each item knows the run of
/// equal values it belongs to on each side. Items are kept in ascending x order, so the x
/// side is read sequentially; the y side is one scatter and one gather over the y runs.
pub struct SpearmanPairs {
    xrun: Vec<u32>,
    yrun: Vec<u32>,
    nx: usize,
    ny: usize,
}

impl SpearmanPairs {
    pub fn new(x: &[f64], y: &[f64]) -> SpearmanPairs {
        let n = x.len().min(y.len());
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
        let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
        let (xrun, nx) = run_ids(&xs);
        let (yrun, ny) = run_ids(&ys);
        SpearmanPairs { xrun, yrun, nx, ny }
    }

    pub fn len(&self) -> usize {
        self.xrun.len()
    }

    pub fn is_empty(&self) -> bool {
        self.xrun.is_empty()
    }

    /// Spearman correlation of the resample with multiplicities `counts` (items in ascending
    /// x order): the Pearson correlation of the average ranks of the expanded sample, where
    /// the copies of a run of equal values share the mean of the positions they take. NaN when
    /// either side has no spread. `wx`, `wy` are scratch space.
    pub fn correlation(&self, counts: &[u32], wx: &mut Vec<f64>, wy: &mut Vec<f64>) -> f64 {
        wx.clear();
        wx.resize(self.nx, 0.0);
        wy.clear();
        wy.resize(self.ny, 0.0);
        // No branch on c == 0 (a third of the items in a resample, unpredictable): adding 0
        // leaves a sum exactly as it was, so the result is the same to the bit.
        for ((&c, &xr), &yr) in counts.iter().zip(&self.xrun).zip(&self.yrun) {
            wx[xr as usize] += f64::from(c);
            wy[yr as usize] += f64::from(c);
        }
        // Run weights → the average rank of the run's copies.
        let to_ranks = |w: &mut Vec<f64>| {
            let mut cum = 0.0;
            for r in w.iter_mut() {
                let k = *r;
                *r = cum + (k + 1.0) / 2.0;
                cum += k;
            }
            cum
        };
        let n = to_ranks(wx);
        to_ranks(wy);
        if n < 2.0 {
            return f64::NAN;
        }
        // Both rank vectors have mean (N + 1) / 2.
        let m = (n + 1.0) / 2.0;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        // Branch-free as above: a zero count adds ±0, which changes no sum (none is −0).
        for ((&c, &xr), &yr) in counts.iter().zip(&self.xrun).zip(&self.yrun) {
            let c = f64::from(c);
            let dx = wx[xr as usize] - m;
            let dy = wy[yr as usize] - m;
            sxy += c * dx * dy;
            sxx += c * dx * dx;
            syy += c * dy * dy;
        }
        if sxx <= 1e-9 * n * n || syy <= 1e-9 * n * n {
            return f64::NAN;
        }
        sxy / (sxx * syy).sqrt()
    }
}

/// Spearman rank correlation with average ranks for ties; None with fewer than 2 pairs or
/// when either side is constant.
///
/// Example: x = [1, 2, 2, 3], y = [1, 3, 2, 4]: ranks x 1, 2.5, 2.5, 4 and y 1, 3, 2, 4
/// (means 2.5); dx = −1.5, 0, 0, 1.5, dy = −1.5, 0.5, −0.5, 1.5; Σdxdy = 4.5, Σdx² = 4.5,
/// Σdy² = 5 → 4.5 / √22.5 = 0.9487.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let p = SpearmanPairs::new(x, y);
    let r = p.correlation(&vec![1u32; p.len()], &mut Vec::new(), &mut Vec::new());
    r.is_finite().then_some(r)
}

/// The bootstrap interval of [`spearman`] over the pairs.
pub fn spearman_interval(x: &[f64], y: &[f64], draws: u32, seed: u64) -> Option<[f64; 2]> {
    let p = SpearmanPairs::new(x, y);
    intervals(
        p.len(),
        1,
        draws,
        seed,
        || (Vec::new(), Vec::new()),
        |c, (wx, wy)| vec![p.correlation(c, wx, wy)],
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
    fn resampled_spearman_is_that_of_the_expanded_sample() {
        // Items x = [10, 20, 30] with counts [2, 0, 1] are the sample 10, 10, 30 (x ranks
        // 1.5, 1.5, 3); with y = [5, 1, 5] the y ranks are 2, 2, 2: no spread → NaN.
        let p = SpearmanPairs::new(&[10.0, 20.0, 30.0], &[5.0, 1.0, 5.0]);
        assert!(p
            .correlation(&[2, 0, 1], &mut Vec::new(), &mut Vec::new())
            .is_nan());
        // x already ascending, so counts refer to the items as given.
        let (x, y) = ([1.0, 2.0, 2.0, 3.0, 5.0], [2.0, 1.0, 4.0, 4.0, 3.0]);
        let p = SpearmanPairs::new(&x, &y);
        let w = p.correlation(&[2, 1, 0, 1, 1], &mut Vec::new(), &mut Vec::new());
        let e = spearman(&[1.0, 1.0, 2.0, 3.0, 5.0], &[2.0, 2.0, 1.0, 4.0, 3.0]).unwrap();
        assert!((w - e).abs() < 1e-12, "{w} vs {e}");
        // By hand: x ranks 1.5, 1.5, 3, 4, 5; y (2, 2, 1, 4, 3) ranks 2.5, 2.5, 1, 5, 4; mean 3.
        // dx −1.5, −1.5, 0, 1, 2; dy −0.5, −0.5, −2, 2, 1: Σdxdy = 0.75 + 0.75 + 0 + 2 + 2
        // = 5.5, Σdx² = 2.25·2 + 1 + 4 = 9.5, Σdy² = 0.25·2 + 4 + 4 + 1 = 9.5 → 5.5 / 9.5.
        assert!((e - 5.5 / 9.5).abs() < 1e-12, "{e}");
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
