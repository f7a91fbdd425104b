//! Charts of the user's SQL queries (`queries/*.sql` with `chart = bar | line`): the first
//! column's categories against the first numeric column.

use super::bars::{hbars, BarItem, Bars};
use super::draw::{no_data, DResult};
use super::palette::BLUE;
use super::scale::{decimals_for, tick_step};
use super::trend::category_line;
use crate::contract::Lang;
use crate::report::i18n::{self, t};
use crate::report::queries::{QueryChart, QueryResult};

/// Bars (at most 25, negative values drawn as empty bars) or a line over the categories.
pub(super) fn query_chart(q: &QueryResult, lang: Lang) -> DResult<String> {
    let title = q.title_in(lang);
    if q.series.is_empty() {
        return no_data(title, t(lang, "query_empty"));
    }
    let max = q.series.iter().map(|s| s.1.abs()).fold(0.0, f64::max);
    let dec = decimals_for(tick_step(max));
    let fmt = move |v: f64| i18n::number(v, dec);
    let y_title = q.value_column.clone();
    match q.chart {
        QueryChart::Line => category_line((title, None), &q.series, &y_title, &fmt, None),
        _ => {
            let items: Vec<BarItem> = q
                .series
                .iter()
                .take(25)
                .map(|(c, v)| BarItem {
                    label: c.clone(),
                    values: vec![v.max(0.0)],
                    value_label: i18n::number(*v, dec.max(if v.fract() == 0.0 { 0 } else { 1 })),
                })
                .collect();
            hbars(Bars {
                title,
                sub: None,
                items: &items,
                series: &[(String::new(), BLUE)],
                x_max_hint: None,
                x_title: &y_title,
                tick_fmt: &fmt,
                label_w: 200.0,
            })
        }
    }
}
