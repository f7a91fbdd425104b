//! The strategy page's "Does relationship depth pay?" section: the `evidence` metric table
//! (metrics.md "Evidence") and its headline correlation, as the report shows them.

use polars::prelude::DataFrame;
use serde::Serialize;

use crate::contract::metric_tables::{evidence as col, SchemaError};
use crate::contract::summary::Summary;

/// Bands with fewer accounts than this are marked as small on the page.
pub const SMALL_BAND: f64 = 10.0;

/// One band (RDI band or bus-factor bucket) of the backtest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct EvidenceBand {
    /// Band 0..5 or bucket 0, 1, 2, 3+.
    pub key: String,
    pub accounts: f64,
    pub rdi_min: Option<f64>,
    pub rdi_max: Option<f64>,
    /// 1 − churn_rate.
    pub retention: Option<f64>,
    pub median_growth: Option<f64>,
    pub win_rate: Option<f64>,
    pub opportunities_closed: Option<f64>,
    /// Fewer than [`SMALL_BAND`] accounts: read with care.
    pub small: bool,
}

/// The backtest as shown.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Evidence {
    /// Look-back date T (YYYY-MM-DD); None when no backtest was run.
    pub look_back: Option<String>,
    /// Accounts active at T.
    pub cohort: Option<u64>,
    /// Spearman correlation of RDI(T) with growth, and its 90 % interval.
    pub spearman: Option<f64>,
    pub spearman_ci: Option<[f64; 2]>,
    /// RDI bands 1..5 (and 0 = no RDI at T).
    pub bands: Vec<EvidenceBand>,
    /// Bus-factor buckets 0, 1, 2, 3+.
    pub bus: Vec<EvidenceBand>,
    /// Some band is small.
    pub any_small: bool,
}

/// The evidence of the report from the `evidence` table and the summary.
pub fn build(df: Option<&DataFrame>, s: &Summary) -> Result<Evidence, SchemaError> {
    let h = &s.headline;
    let mut e = Evidence {
        look_back: h.look_back.clone(),
        cohort: h.evidence_cohort,
        spearman: h.rdi_growth_spearman,
        spearman_ci: h.intervals.get("rdi_growth_spearman").copied(),
        ..Default::default()
    };
    let Some(df) = df else {
        return Ok(e);
    };
    let dim = col::DIMENSION.strs(df)?;
    let key = col::KEY.strs(df)?;
    let accounts = col::ACCOUNTS.f64s(df)?;
    let (rmin, rmax) = (col::RDI_MIN.f64s(df)?, col::RDI_MAX.f64s(df)?);
    let churn = col::CHURN_RATE.f64s(df)?;
    let growth = col::MEDIAN_GROWTH.f64s(df)?;
    let win = col::WIN_RATE.f64s(df)?;
    let closed = col::OPPORTUNITIES_CLOSED.f64s(df)?;
    for i in 0..df.height() {
        let n = accounts[i].unwrap_or(0.0);
        let band = EvidenceBand {
            key: key[i].clone().unwrap_or_default(),
            accounts: n,
            rdi_min: rmin[i],
            rdi_max: rmax[i],
            retention: churn[i].map(|c| 1.0 - c),
            median_growth: growth[i],
            win_rate: win[i],
            opportunities_closed: closed[i],
            small: n > 0.0 && n < SMALL_BAND,
        };
        e.any_small |= band.small;
        match dim[i].as_deref() {
            Some("rdi_band") => e.bands.push(band),
            Some("bus_factor") => e.bus.push(band),
            _ => {}
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    #[test]
    fn bands_split_by_dimension_with_small_ones_marked() {
        let df = df!(
            "dimension" => ["rdi_band", "rdi_band", "bus_factor"],
            "key" => ["1", "5", "3+"],
            "accounts" => [9u64, 10, 0],
            "churn_rate" => [Some(0.25), Some(0.1), None],
            "win_rate" => [None, Some(0.5), None],
        )
        .unwrap();
        let mut s = Summary::default();
        s.headline.look_back = Some("2025-09-30".into());
        s.headline.rdi_growth_spearman = Some(0.2);
        s.headline
            .intervals
            .insert("rdi_growth_spearman".into(), [0.1, 0.3]);
        let df = crate::contract::metric_tables::conform(
            crate::contract::metric_tables::MetricTable::Evidence,
            df,
        );
        let e = build(Some(&df), &s).unwrap();
        assert_eq!(e.bands.len(), 2);
        assert_eq!(e.bus.len(), 1);
        // 9 accounts is small (< 10), 10 is not, an empty bucket is not "small".
        assert!(e.bands[0].small && !e.bands[1].small && !e.bus[0].small);
        assert!(e.any_small);
        assert_eq!(e.bands[0].retention, Some(0.75));
        assert_eq!(e.bands[0].win_rate, None);
        assert_eq!(e.spearman_ci, Some([0.1, 0.3]));
        assert_eq!(
            build(None, &Summary::default()).unwrap(),
            Evidence::default()
        );
    }
}
