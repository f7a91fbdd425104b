//! The `[report]` config section.

use std::path::PathBuf;

/// Report settings (the `[report]` config section).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Rows in top-N tables (customer selection, groups, revenue at risk…). Default 20. Accepted 1 to 10000.
    pub top_n: usize,
    /// Bars in top-N charts (relationship profile, revenue at risk). Default 15. Accepted 1 to 100.
    pub chart_top_n: usize,
    /// Rows of the leadership page's tables (it must fit one page). Default 6. Accepted 1 to 50.
    pub leadership_top_n: usize,
    /// Accounts labelled by name in the quadrant scatter (top S/A by revenue). Default 12. Accepted 0 to 1000.
    pub scatter_labels: usize,
    /// Most points drawn in the quadrant scatter (all S/A first, the rest sampled). Default 3000. Accepted 10 to 1000000.
    pub scatter_max_points: usize,
    /// Points of the Pareto and Lorenz curves (downsampled). Default 500. Accepted 2 to 100000.
    pub curve_points: usize,
    /// Categories shown in industry/region breakdowns; the rest are summed as "other". Default 10. Accepted 1 to 100.
    pub max_categories: usize,
    /// Rows of a custom query's table. Default 20. Accepted 1 to 10000.
    pub query_rows: usize,
    /// Folder of custom queries (`*.sql`), relative to the config file. Default `queries`.
    pub queries_dir: PathBuf,
    /// Also write each owner's (`"owner"`) and/or each region's (`"region"`) pages over only
    /// its accounts, under `by-owner/<id>/` and `by-region/<region>/`, listed in `bursts.csv`.
    /// Default `[]` (no bursts). `mcr report --burst` overrides it.
    pub burst: Vec<crate::contract::BurstKind>,
    /// Also print every page to `<page>.pdf` with headless Chromium. Default false.
    /// `mcr report --pdf` switches it on.
    pub pdf: bool,
    /// Strategy page: open deals with a red or amber decision chain are listed from this amount
    /// (reporting currency) up, largest first, at most top_n; 0 lists the top_n largest. Default 0.
    pub deal_min_amount: f64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            top_n: 20,
            chart_top_n: 15,
            leadership_top_n: 6,
            scatter_labels: 12,
            scatter_max_points: 3000,
            curve_points: 500,
            max_categories: 10,
            query_rows: 20,
            queries_dir: PathBuf::from("queries"),
            burst: Vec::new(),
            pdf: false,
            deal_min_amount: 0.0,
        }
    }
}
