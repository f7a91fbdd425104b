//! Custom queries: `queries/*.sql` files with a comment header, run through [`crate::sql::query`]
//! and rendered into the page of the audience they name.
//!
//! ```sql
//! -- title.en: Single-threaded S/A accounts
//! -- title.zh: 单线联系的 S/A 客户
//! -- audience: strategy
//! -- chart: bar
//! SELECT name, revenue_12m FROM metrics_accounts WHERE single_threaded AND tier IN ('S','A')
//! ```
//!
//! `chart` is `table` (default), `bar` or `line`; charts plot the first column (categories) against
//! the second (numbers). A query without `audience` goes to the strategy page.
//!
//! A page shows the title in its language: `-- title.zh:` on Chinese pages, `-- title.en:` on
//! English ones; plain `-- title:` serves both (and any language the file does not name), and the
//! file stem stands in when there is no title at all.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::{AnyValue, DataFrame, DataType};
use serde::Serialize;

use crate::contract::{Audience, Lang};
use crate::lake::LakeView;

/// How a query result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryChart {
    /// A table of the first rows.
    Table,
    /// Bars: first column categories, second column values.
    Bar,
    /// A line: first column x (categories in order), second column values.
    Line,
}

/// Titles in one language each (`-- title.zh:`, `-- title.en:`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueryTitles {
    /// `-- title.zh:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zh: Option<String>,
    /// `-- title.en:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl QueryTitles {
    /// True when neither language has its own title.
    pub fn is_empty(&self) -> bool {
        self.zh.is_none() && self.en.is_none()
    }

    /// The title for `lang`, else `fallback` (the plain title).
    pub fn pick<'a>(&'a self, lang: Lang, fallback: &'a str) -> &'a str {
        match lang {
            Lang::Zh => self.zh.as_deref(),
            Lang::En => self.en.as_deref(),
        }
        .unwrap_or(fallback)
    }
}

/// The parsed header of a query file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryHeader {
    /// `-- title:`; else the English, else the Chinese title; the file stem when none.
    pub title: String,
    /// `-- title.zh:` / `-- title.en:`.
    pub titles: QueryTitles,
    /// `-- audience:`.
    pub audience: Audience,
    /// `-- chart:`.
    pub chart: QueryChart,
}

/// Parse the leading `-- key: value` comment lines of a query (`title`, `title.zh`, `title.en`,
/// `audience`, `chart`; keys are case-insensitive). Unknown keys are ignored; an unknown
/// audience or chart kind is an error.
pub fn parse_header(sql: &str, fallback_title: &str) -> Result<QueryHeader, String> {
    let mut h = QueryHeader {
        title: String::new(),
        titles: QueryTitles::default(),
        audience: Audience::Strategy,
        chart: QueryChart::Table,
    };
    for line in sql.lines() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "title" if !value.is_empty() => h.title = value.to_string(),
            "title.zh" if !value.is_empty() => h.titles.zh = Some(value.to_string()),
            "title.en" if !value.is_empty() => h.titles.en = Some(value.to_string()),
            "audience" => {
                h.audience = match value.to_ascii_lowercase().as_str() {
                    "strategy" => Audience::Strategy,
                    "finance" => Audience::Finance,
                    "leadership" => Audience::Leadership,
                    other => {
                        return Err(format!(
                            "unknown audience `{other}` (use strategy, finance or leadership)"
                        ))
                    }
                }
            }
            "chart" => {
                h.chart = match value.to_ascii_lowercase().as_str() {
                    "bar" => QueryChart::Bar,
                    "line" => QueryChart::Line,
                    "table" | "" => QueryChart::Table,
                    other => {
                        return Err(format!("unknown chart `{other}` (use bar, line or table)"))
                    }
                }
            }
            _ => {}
        }
    }
    if h.title.is_empty() {
        h.title = h
            .titles
            .en
            .clone()
            .or_else(|| h.titles.zh.clone())
            .unwrap_or_else(|| fallback_title.to_string());
    }
    Ok(h)
}

/// One query's result, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    /// File name.
    pub file: String,
    /// Title (plain `-- title:`, else one of the language titles, else the file stem).
    pub title: String,
    /// Titles per language; pages use [`QueryResult::title_in`].
    #[serde(skip_serializing_if = "QueryTitles::is_empty")]
    pub titles: QueryTitles,
    /// Audience page.
    pub audience: Audience,
    /// Presentation.
    pub chart: QueryChart,
    /// Column names.
    pub columns: Vec<String>,
    /// Per column: true when numeric (right-aligned in tables).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numeric: Vec<bool>,
    /// First rows, formatted.
    pub rows: Vec<Vec<String>>,
    /// Rows returned.
    pub total_rows: usize,
    /// (category, value) for charts: the first non-numeric column (else the first column)
    /// against the first numeric column.
    pub series: Vec<(String, f64)>,
    /// The numeric column charted (empty when none).
    pub value_column: String,
    /// The error, when the query failed.
    pub error: Option<String>,
}

impl QueryResult {
    /// The title a page in `lang` shows.
    pub fn title_in(&self, lang: Lang) -> &str {
        self.titles.pick(lang, &self.title)
    }
}

fn cell(v: &AnyValue) -> String {
    if v.is_null() {
        return String::new();
    }
    if let Some(s) = v.get_str() {
        return s.to_string();
    }
    match v {
        AnyValue::Float64(f) => super::i18n::number(*f, 2),
        AnyValue::Float32(f) => super::i18n::number(*f as f64, 2),
        other => other.to_string(),
    }
}

/// Turn a query's DataFrame into a result (first `max_rows` rows).
pub fn result_from_frame(
    file: &str,
    header: QueryHeader,
    df: &DataFrame,
    max_rows: usize,
) -> QueryResult {
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let numeric_cols: Vec<bool> = df
        .columns()
        .iter()
        .map(|c| c.dtype().is_primitive_numeric())
        .collect();
    let n = df.height();
    let mut rows = Vec::new();
    for i in 0..n.min(max_rows) {
        rows.push(
            df.columns()
                .iter()
                .map(|c| c.get(i).map(|v| cell(&v)).unwrap_or_default())
                .collect(),
        );
    }
    let mut series = Vec::new();
    let numeric = |c: &polars::prelude::Column| c.dtype().is_primitive_numeric();
    let value = df.columns().iter().position(numeric);
    let category = df.columns().iter().position(|c| !numeric(c)).unwrap_or(0);
    let value_column = value.map(|v| columns[v].clone()).unwrap_or_default();
    if let (Some(value), true) = (value, df.width() >= 2 && header.chart != QueryChart::Table) {
        let cats = col_str(df, &columns[category]);
        let vals = col_f64(df, &columns[value]);
        for i in 0..n.min(max_rows.max(1) * 2).min(60) {
            if let Some(v) = vals[i].filter(|v| v.is_finite()) {
                series.push((cats[i].clone().unwrap_or_default(), v));
            }
        }
    }
    QueryResult {
        file: file.to_string(),
        title: header.title,
        titles: header.titles,
        audience: header.audience,
        chart: header.chart,
        columns,
        numeric: numeric_cols,
        rows,
        total_rows: n,
        series,
        value_column,
        error: None,
    }
}

/// A column of a query's result as `f64` per row: queries return any columns, so a column
/// that is missing or not numeric reads as `None` (metric tables are read through
/// `contract::metric_tables` instead, which fails).
pub(crate) fn col_f64(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let n = df.height();
    df.column(name)
        .and_then(|c| c.cast(&DataType::Float64))
        .ok()
        .and_then(|c| c.f64().ok().map(|ca| ca.iter().collect()))
        .unwrap_or_else(|| vec![None; n])
}

/// A column of a query's result as text per row (empty strings become `None`; a missing
/// column reads as `None`).
pub(crate) fn col_str(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let n = df.height();
    df.column(name)
        .and_then(|c| c.cast(&DataType::String))
        .ok()
        .and_then(|c| {
            c.str().ok().map(|ca| {
                ca.iter()
                    .map(|v| v.map(str::to_string).filter(|s| !s.trim().is_empty()))
                    .collect()
            })
        })
        .unwrap_or_else(|| vec![None; n])
}

/// The `.sql` files of a folder, sorted by name (none when the folder does not exist).
pub fn query_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sql")))
        .collect();
    v.sort();
    v
}

/// Run every query of `dir`. A failing query becomes a result with `error` set (shown on its
/// page and, once, as warning MCR040 of the report); it never stops the reports.
pub fn run_queries(
    view: &LakeView,
    as_of: NaiveDate,
    dir: &Path,
    max_rows: usize,
) -> Vec<QueryResult> {
    query_files(dir)
        .into_iter()
        .map(|path| {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let stem = path
                .file_stem()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let failed =
                |title: String, titles: QueryTitles, audience: Audience, err: String| QueryResult {
                    file: file.clone(),
                    title,
                    titles,
                    audience,
                    chart: QueryChart::Table,
                    columns: Vec::new(),
                    numeric: Vec::new(),
                    rows: Vec::new(),
                    total_rows: 0,
                    series: Vec::new(),
                    value_column: String::new(),
                    error: Some(err),
                };
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    return failed(
                        stem.clone(),
                        QueryTitles::default(),
                        Audience::Strategy,
                        e.to_string(),
                    )
                }
            };
            let header = match parse_header(&text, &stem) {
                Ok(h) => h,
                Err(e) => {
                    return failed(stem.clone(), QueryTitles::default(), Audience::Strategy, e)
                }
            };
            match crate::sql::query(view, Some(as_of), &text) {
                Ok(df) => result_from_frame(&file, header, &df, max_rows),
                Err(e) => failed(
                    header.title.clone(),
                    header.titles.clone(),
                    header.audience,
                    format!("{e:#}"),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing() {
        let h = parse_header(
            "\u{feff}-- title: Single-threaded S/A: by revenue\n-- audience: Finance\n--chart: bar\nSELECT 1",
            "x",
        )
        .unwrap();
        assert_eq!(h.title, "Single-threaded S/A: by revenue");
        assert_eq!(h.audience, Audience::Finance);
        assert_eq!(h.chart, QueryChart::Bar);

        let h = parse_header("SELECT 1\n-- title: late", "stem").unwrap();
        assert_eq!(h.title, "stem");
        assert_eq!(h.audience, Audience::Strategy);
        assert_eq!(h.chart, QueryChart::Table);

        let h = parse_header("-- a note without key\n\n-- chart: line\nSELECT 1", "s").unwrap();
        assert_eq!(h.chart, QueryChart::Line);

        assert!(parse_header("-- audience: sales\nSELECT 1", "s").is_err());
        assert!(parse_header("-- chart: pie\nSELECT 1", "s").is_err());
    }

    #[test]
    fn titles_per_language() {
        // both languages and a plain title: each page takes its own, `title` is the plain one
        let h = parse_header(
            "-- title: Plain\n-- Title.ZH: 单线联系客户\n-- title.en: Single-threaded accounts\nSELECT 1",
            "stem",
        )
        .unwrap();
        assert_eq!(h.title, "Plain");
        assert_eq!(h.titles.pick(Lang::Zh, &h.title), "单线联系客户");
        assert_eq!(
            h.titles.pick(Lang::En, &h.title),
            "Single-threaded accounts"
        );

        // only language titles: `title` is the English one; each page its own
        let h = parse_header("-- title.zh: 甲\n-- title.en: A\nSELECT 1", "stem").unwrap();
        assert_eq!(h.title, "A");
        assert_eq!(h.titles.pick(Lang::Zh, &h.title), "甲");
        assert_eq!(h.titles.pick(Lang::En, &h.title), "A");

        // only Chinese: the English page falls back to it rather than the file stem
        let h = parse_header("-- title.zh: 甲\nSELECT 1", "stem").unwrap();
        assert_eq!(h.title, "甲");
        assert_eq!(h.titles.pick(Lang::En, &h.title), "甲");

        // a plain title and one language: the other language takes the plain title
        let h = parse_header("-- title: Plain\n-- title.zh: 甲\nSELECT 1", "stem").unwrap();
        assert_eq!(h.titles.pick(Lang::En, &h.title), "Plain");
        assert_eq!(h.titles.pick(Lang::Zh, &h.title), "甲");

        // empty values and unknown languages are ignored; no title at all gives the stem
        let h = parse_header("-- title.zh:\n-- title.fr: Titre\nSELECT 1", "stem").unwrap();
        assert_eq!(h.title, "stem");
        assert!(h.titles.is_empty());
    }

    #[test]
    fn shipped_queries_have_headers_and_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let files = query_files(&dir);
        assert!(files.len() >= 5, "{files:?}");
        for p in files {
            let text = std::fs::read_to_string(&p).unwrap();
            let h = parse_header(&text, "STEM").unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert_ne!(h.title, "STEM", "{} has no title", p.display());
            // both languages, and the Chinese one is Chinese
            let zh = h
                .titles
                .zh
                .as_deref()
                .unwrap_or_else(|| panic!("{}: no title.zh", p.display()));
            let en = h
                .titles
                .en
                .as_deref()
                .unwrap_or_else(|| panic!("{}: no title.en", p.display()));
            assert!(
                zh.chars().any(crate::report::layout::is_wide),
                "{}: {zh}",
                p.display()
            );
            assert!(en.is_ascii(), "{}: {en}", p.display());
            assert!(
                text.contains("-- audience:"),
                "{}: no audience",
                p.display()
            );
            assert!(text.contains("-- chart:"), "{}: no chart", p.display());
        }
    }

    #[test]
    fn frame_to_result() {
        use polars::prelude::*;
        let df = df!("name" => ["a", "b"], "revenue" => [1.5f64, 2.0]).unwrap();
        let h = QueryHeader {
            title: "t".into(),
            titles: Default::default(),
            audience: Audience::Finance,
            chart: QueryChart::Bar,
        };
        let r = result_from_frame("q.sql", h, &df, 10);
        assert_eq!(r.columns, vec!["name", "revenue"]);
        assert_eq!(r.numeric, vec![false, true]);
        assert_eq!(r.rows[0], vec!["a", "1.50"]);
        assert_eq!(
            r.series,
            vec![("a".to_string(), 1.5), ("b".to_string(), 2.0)]
        );
        assert_eq!(r.value_column, "revenue");
    }

    #[test]
    fn chart_takes_first_text_and_first_numeric_column() {
        use polars::prelude::*;
        // like queries/single_threaded_sa.sql: id, name, tier, then the money
        let df = df!(
            "account_id" => ["A1", "A2"],
            "name" => ["甲", "乙"],
            "revenue_12m" => [3.0f64, 1.0],
            "bus_factor" => [1u32, 1],
        )
        .unwrap();
        let h = QueryHeader {
            title: "t".into(),
            titles: Default::default(),
            audience: Audience::Leadership,
            chart: QueryChart::Bar,
        };
        let r = result_from_frame("q.sql", h, &df, 10);
        assert_eq!(
            r.series,
            vec![("A1".to_string(), 3.0), ("A2".to_string(), 1.0)]
        );
        assert_eq!(r.value_column, "revenue_12m");
        // no numeric column: no series (the page shows the table instead of a chart)
        let df = df!("a" => ["x"], "b" => ["y"]).unwrap();
        let h = QueryHeader {
            title: "t".into(),
            titles: Default::default(),
            audience: Audience::Leadership,
            chart: QueryChart::Bar,
        };
        let r = result_from_frame("q.sql", h, &df, 10);
        assert!(r.series.is_empty() && r.total_rows == 1);
    }
}
