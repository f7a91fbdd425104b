//! SVG charts drawn with plotters' SVG backend.
//!
//! **Text without fonts.** plotters 0.3.7 built with `svg_backend` but without `ttf`/`ab_glyph`
//! uses its "naive" font module: it never loads a font, estimates text as 0.7 em per *byte*
//! (so CJK text is measured ~2× too wide), and the SVG backend writes every label as a
//! `<text>` element carrying the font family we pass, XML-escaped. The viewer's system fonts
//! render it, so Chinese works when [`super::layout::FONT_STACK`] names an installed CJK font.
//!
//! Because plotters' own label layout would use that byte-based estimate, mcr does the layout
//! itself: plotters draws the primitives (lines, areas, rectangles, circles, text), while the
//! plot frame, ticks, category labels, legends and annotations are positioned by this module
//! with the estimator of [`super::layout`] (CJK ≈ 1 em, Latin ≈ 0.55 em). Long category names
//! are truncated with `…`, category counts are capped with an "other" bucket (in the model),
//! scatter labels are placed only where they collide with nothing already drawn, and
//! [`super::layout::check_svg`] verifies the finished SVG (tested for every chart).
//!
//! Palette: Okabe–Ito (colour-blind safe). Size: 760 px wide, readable at A4 width.
//!
//! **Modules.** Drawing primitives: `draw` (canvas, labels drawn with a `LabelStyle` — size,
//! weight, anchor, colour — titles and their height, frame, axes, legends), `scale` (ticks,
//! tick step, amount axis, number labels), [`palette`]. Chart kinds built on them: `bars`
//! (horizontal bars), `curves` (Pareto, Lorenz), `trend` (lines over categories), `scatter`
//! (tier-coloured dots and their labels); the charts themselves: `tiers` (tiers, migration,
//! decision chain), `relationship` (profile, quadrant), `revenue` (breakdowns, revenue at
//! risk), `market`, [`evidence`], `query`.
//!
//! **Refactoring.** `MCR_CHART_DUMP=/dir cargo test --release --lib charts::tests::dump` writes
//! every chart of seven fixture scenarios in zh and en; dump before and after a change and
//! `diff -r` the two directories to prove the drawing unchanged.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::model::ReportModel;
use super::queries::{QueryChart, QueryResult};
use super::ReportConfig;
use crate::contract::{Audience, Lang};
use draw::{no_data, DResult};
use revenue::Breakdown;

mod bars;
mod curves;
mod draw;
pub mod evidence;
mod market;
pub mod palette;
mod query;
mod relationship;
mod revenue;
mod scale;
mod scatter;
mod tiers;
mod trend;

pub use palette::tier_color;
pub use scale::{nice_max, nice_ticks};

/// One rendered chart.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    /// File stem (`charts/<name>.svg`).
    pub name: String,
    /// Audience page showing it.
    pub audience: Audience,
    /// The SVG document.
    pub svg: String,
    /// Why the chart could not be drawn (the SVG then shows this message instead); the
    /// report turns it into an MCR043 warning.
    pub error: Option<String>,
}

/// The charts of one model, keyed by name. Rendered in parallel; a chart that fails to draw
/// is replaced by a message (and reported as an MCR043 warning) rather than failing the report.
pub fn render_all(m: &ReportModel, lang: Lang, cfg: &ReportConfig) -> BTreeMap<String, Chart> {
    type Job<'a> = (
        String,
        Audience,
        Box<dyn Fn() -> DResult<String> + Send + Sync + 'a>,
    );
    fn job<'a>(
        name: &str,
        audience: Audience,
        f: impl Fn() -> DResult<String> + Send + Sync + 'a,
    ) -> Job<'a> {
        (name.to_string(), audience, Box::new(f))
    }
    use Audience::{Finance, Leadership, Strategy};
    let mut jobs: Vec<Job> = vec![
        job("tiers", Strategy, move || tiers::tiers(m, lang)),
        job("tier_migration", Strategy, move || {
            tiers::migration(m, lang)
        }),
        job("quadrant", Strategy, move || {
            relationship::quadrant(m, lang)
        }),
        job("selection_matrix", Strategy, move || {
            market::selection_matrix(m, lang)
        }),
        job("competitor_win_rate", Strategy, move || {
            market::competitor_win_rate(m, lang)
        }),
        job("competitor_lost", Strategy, move || {
            market::competitor_lost(m, lang)
        }),
        job("relationship_profile", Strategy, move || {
            relationship::relationship_profile(m, lang)
        }),
        job("decision_chain", Strategy, move || {
            tiers::decision_chain(m, lang)
        }),
        job("industry", Strategy, move || {
            revenue::breakdown(m, lang, Breakdown::Industry)
        }),
        job("region", Strategy, move || {
            revenue::breakdown(m, lang, Breakdown::Region)
        }),
        job("evidence", Strategy, move || evidence::chart(m, lang)),
        job("pareto", Finance, move || curves::pareto(m, lang)),
        job("lorenz", Finance, move || curves::lorenz(m, lang)),
        job("concentration_trend", Finance, move || {
            trend::trend(m, lang)
        }),
        job("leadership_trend", Leadership, move || {
            trend::leadership_trend(m, lang)
        }),
        job("revenue_at_risk", Finance, move || {
            revenue::at_risk(m, lang, cfg)
        }),
    ];
    for (i, q) in m.queries.iter().enumerate() {
        // A query with rows but no numeric column to plot is shown as its table instead.
        let plottable = !q.series.is_empty() || q.total_rows == 0;
        if q.error.is_none() && q.chart != QueryChart::Table && plottable {
            jobs.push((
                query_chart_name(i, q),
                q.audience,
                Box::new(move || query::query_chart(q, lang)),
            ));
        }
    }
    jobs.par_iter()
        .map(|(name, audience, f)| {
            let (svg, error) = match f() {
                Ok(s) => (s, None),
                Err(e) => {
                    let msg = format!("{e:#}");
                    (no_data(name, &msg).unwrap_or_default(), Some(msg))
                }
            };
            (
                name.clone(),
                Chart {
                    name: name.clone(),
                    audience: *audience,
                    svg,
                    error,
                },
            )
        })
        .collect()
}

/// The chart name of the `i`-th query (file stem, sanitised).
pub fn query_chart_name(i: usize, q: &QueryResult) -> String {
    let stem: String = q
        .file
        .trim_end_matches(".sql")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("query_{i:02}_{stem}")
}

#[cfg(test)]
mod tests;
