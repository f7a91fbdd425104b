//! Axis scales and number labels: round ticks and maxima, tick decimals, the amount axis
//! (unit and format), percentages.

use crate::contract::Lang;
use crate::report::i18n;

/// Round tick values covering [lo, hi] with about `target` steps.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = (hi - lo).abs();
    if !span.is_finite() || span <= 0.0 {
        return vec![lo];
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = mag
        * if norm < 1.5 {
            1.0
        } else if norm < 3.0 {
            2.0
        } else if norm < 7.0 {
            5.0
        } else {
            10.0
        };
    let start = (lo / step).ceil() * step;
    let mut v = Vec::new();
    let mut x = start;
    while x <= hi + step * 1e-9 && v.len() < 100 {
        v.push(if x.abs() < step * 1e-9 { 0.0 } else { x });
        x += step;
    }
    v
}

/// The smallest "nice" number ≥ v (for axis maxima).
pub fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= v * 0.999_999 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// The step between the ticks of an axis from 0 to [`nice_max`]`(max)` (five steps).
pub(super) fn tick_step(max: f64) -> f64 {
    nice_ticks(0.0, nice_max(max), 5)
        .get(1)
        .copied()
        .unwrap_or(1.0)
}

/// Decimals that tell ticks `step` apart (0 for steps ≥ 1, at most 4).
pub(super) fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(4)
    }
}

/// An amount axis from 0 to about `max`: the tick label format (amounts divided by the
/// unit, e.g. 1.5 for 1 500 000 in millions) and the unit's name for the axis title.
pub(super) fn amount_axis(lang: Lang, max: f64) -> (impl Fn(f64) -> String, &'static str) {
    let (div, unit) = i18n::amount_axis_unit(lang, nice_max(max));
    let dec = decimals_for(tick_step(max) / div);
    (move |v: f64| i18n::number(v / div, dec), unit)
}

/// `0.25` → `25%`.
pub(super) fn pct_label(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// `0.253` → `25.3%`.
pub(super) fn pct_label_1(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// The title of an amount axis: en `Revenue (CNY M)`, zh `收入（万元）`.
pub(super) fn amount_unit_title(lang: Lang, base: &str, currency: &str, unit: &str) -> String {
    match lang {
        Lang::En => {
            if unit.is_empty() {
                format!("{base} ({currency})")
            } else {
                format!("{base} ({currency} {unit})")
            }
        }
        Lang::Zh => {
            let cur = if currency == "CNY" {
                "元".to_string()
            } else {
                format!(" {currency}")
            };
            format!("{base}（{unit}{cur}）")
        }
    }
}
