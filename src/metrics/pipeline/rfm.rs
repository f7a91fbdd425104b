//! RFM per account.

use chrono::NaiveDate;

use super::common::Core;
use crate::metrics::segmentation;

/// RFM quintile scores of the active accounts and recency in days (metrics.md "RFM").
pub(super) struct Rfm {
    /// R, F, M scores 1–5 (None for inactive accounts or without revenue).
    pub(super) scores: [Vec<Option<u8>>; 3],
    pub(super) recency_days: Vec<Option<i64>>,
}

pub(super) fn rfm(core: &Core, as_of: NaiveDate, revenue: &[f64]) -> Rfm {
    let n = core.acc.ids.len();
    let mut rfm: [Vec<Option<u8>>; 3] = [vec![None; n], vec![None; n], vec![None; n]];
    let mut recency: Vec<Option<i64>> = vec![None; n];
    if let Some(r) = &core.rev {
        for (i, rec) in recency.iter_mut().enumerate() {
            *rec = r.last_order[i].map(|d| (as_of - d).num_days());
        }
        let act: Vec<usize> = (0..n).filter(|&i| core.seg.active[i]).collect();
        let rv: Vec<Option<f64>> = act
            .iter()
            .map(|&i| recency[i].map(|x| -(x as f64)))
            .collect();
        let fv: Vec<Option<f64>> = act.iter().map(|&i| Some(r.orders[i] as f64)).collect();
        let mv: Vec<Option<f64>> = act.iter().map(|&i| Some(revenue[i])).collect();
        for (k, v) in [rv, fv, mv].iter().enumerate() {
            let s = segmentation::quintile_scores(v);
            for (j, &i) in act.iter().enumerate() {
                rfm[k][i] = Some(s[j]);
            }
        }
    }
    Rfm {
        scores: rfm,
        recency_days: recency,
    }
}
