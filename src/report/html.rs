//! Self-contained HTML pages rendered with minijinja from templates embedded at build time.
//!
//! Auto-escaping is on for every `.html` template, so names from the data are escaped wherever
//! they are interpolated; the only unescaped insertions are the SVG charts (whose text plotters
//! XML-escapes) and the cells produced by the `v` function below (escaped here). Pages carry
//! inline CSS (with an A4 print stylesheet) and inline SVG only: nothing is fetched.

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{context, Environment};
use serde::Serialize;

use super::charts::{query_chart_name, Chart};
use super::i18n::{self, t};
use super::model::ReportModel;
use super::queries::QueryResult;
use super::ReportConfig;
use crate::contract::{Audience, Lang};

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const TEMPLATES: [(&str, &str); 9] = [
    ("appendix.html", include_str!("templates/appendix.html")),
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("strategy.html", include_str!("templates/strategy.html")),
    ("market.html", include_str!("templates/market.html")),
    ("finance.html", include_str!("templates/finance.html")),
    ("leadership.html", include_str!("templates/leadership.html")),
    ("deals.html", include_str!("templates/deals.html")),
    ("index.html", include_str!("templates/index.html")),
];

/// Per-table totals of the manifest's source files.
#[derive(Debug, Clone, Serialize)]
struct SourceTotal {
    table: String,
    files: usize,
    profile: String,
    rows_read: u64,
    accepted: u64,
    rejected: u64,
}

fn format_value(lang: Lang, v: f64, kind: &str) -> String {
    match kind {
        "money" => i18n::money(lang, v),
        "money_short" => i18n::money_short(lang, v),
        "pct" => i18n::pct(v),
        "count" | "hhi" => i18n::thousands(v),
        "index" => i18n::number(v, 1),
        "ratio" => i18n::number(v, 3),
        "int" => i18n::thousands(v),
        "dec1" => i18n::number(v, 1),
        "dec2" => i18n::number(v, 2),
        _ => i18n::number(v, 2),
    }
}

/// A 90 % interval as shown beside its figure: en "(90 %: 1,450 – 2,600)",
/// zh "（90% 区间：1,450 – 2,600）".
pub fn ci_text(lang: Lang, low: &str, high: &str) -> String {
    match lang {
        Lang::En => format!("(90 %: {low} – {high})"),
        Lang::Zh => format!("（90% 区间：{low} – {high}）"),
    }
}

fn change_text(lang: Lang, d: f64, kind: &str) -> String {
    let sign = if d > 0.0 {
        "+"
    } else if d < 0.0 {
        "−"
    } else {
        "±"
    };
    let a = d.abs();
    match kind {
        "pct" => i18n::pp(lang, d),
        "money" => format!("{sign}{}", i18n::money_short(lang, a)),
        _ => format!("{sign}{}", format_value(lang, a, kind)),
    }
}

/// Whether a query column holds names (kept whole: it never breaks inside a word).
fn is_name_column(c: &str) -> bool {
    let c = c.to_ascii_lowercase();
    c == "name" || c.ends_with("_name") || matches!(c.as_str(), "account" | "customer" | "group")
}

/// The CSS class of each column of a query's table: `num` (right-aligned), `name` or none.
fn query_column_classes(q: &QueryResult) -> Vec<&'static str> {
    q.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if q.numeric.get(i).copied().unwrap_or(false) {
                "num"
            } else if is_name_column(c) {
                "name"
            } else {
                ""
            }
        })
        .collect()
}

fn env(lang: Lang, m: &ReportModel) -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    for (name, src) in TEMPLATES {
        env.add_template(name, src)?;
    }
    env.add_function("t", move |key: &str| t(lang, key).to_string());
    env.add_function(
        "tr",
        move |key: &str, a: Option<String>, b: Option<String>| {
            t(lang, key)
                .replace("{n}", a.as_deref().unwrap_or(""))
                .replace("{from}", a.as_deref().unwrap_or(""))
                .replace("{to}", b.as_deref().unwrap_or(""))
        },
    );
    let reasons = m.meta.reasons.clone();
    // v(value, kind, metric): a formatted cell; `n/a` with the reason when the value is missing.
    env.add_function(
        "v",
        move |value: Value, kind: Option<String>, metric: Option<String>| {
            let kind = kind.unwrap_or_default();
            let num = if value.is_none() || value.is_undefined() {
                None
            } else {
                f64::try_from(value.clone()).ok()
            };
            let html = match num {
                Some(x) if x.is_finite() => escape(&format_value(lang, x, &kind)),
                Some(x) if x.is_infinite() => escape(if x > 0.0 { "∞" } else { "−∞" }),
                _ => {
                    let reason = metric
                        .as_deref()
                        .and_then(|m| reasons.get(m))
                        .cloned()
                        .unwrap_or_default();
                    if reason.is_empty() {
                        format!("<span class=\"na\">{}</span>", escape(t(lang, "na")))
                    } else {
                        format!(
                            "<span class=\"na\" title=\"{r}\">{na}<small> ({r})</small></span>",
                            r = escape(&reason),
                            na = escape(t(lang, "na"))
                        )
                    }
                }
            };
            Value::from_safe_string(html)
        },
    );
    // ci(interval, kind): "(90 %: low – high)" for a [low, high] bootstrap interval; empty
    // when there is none.
    env.add_function("ci", move |value: Value, kind: Option<String>| {
        let kind = kind.unwrap_or_default();
        let end = |i: usize| {
            value
                .get_item(&Value::from(i))
                .ok()
                .and_then(|x| f64::try_from(x).ok())
                .filter(|x| x.is_finite())
        };
        match (end(0), end(1)) {
            (Some(a), Some(b)) => escape(&ci_text(
                lang,
                &format_value(lang, a, &kind),
                &format_value(lang, b, &kind),
            )),
            _ => String::new(),
        }
    });
    env.add_function("evidence_band", move |b: Value| {
        let b: Result<crate::report::evidence::EvidenceBand, _> = serde_json::to_value(&b)
            .map_err(|_| ())
            .and_then(|j| serde_json::from_value(j).map_err(|_| ()));
        b.map(|b| super::charts::evidence::band_label(lang, &b))
            .unwrap_or_default()
    });
    env.add_function("change", move |value: Value, kind: Option<String>| {
        let kind = kind.unwrap_or_default();
        match f64::try_from(value).ok().filter(|x| x.is_finite()) {
            Some(d) => change_text(lang, d, &kind),
            None => String::new(),
        }
    });
    env.add_function("tier_label", move |tier: Option<String>| {
        match tier.as_deref().and_then(crate::contract::Tier::parse) {
            Some(x) => t(lang, &format!("tier_{}", x.code())).to_string(),
            None => t(lang, "tier_none").to_string(),
        }
    });
    env.add_function("date", move |s: Option<String>| {
        i18n::date_str(lang, s.as_deref().unwrap_or(""))
    });
    env.add_function("yesno", move |b: Option<bool>| match b {
        Some(true) => t(lang, "yes").to_string(),
        Some(false) => t(lang, "no").to_string(),
        None => t(lang, "na").to_string(),
    });
    Ok(env)
}

/// The file name (without `.html`) of the leadership appendix page.
pub const LEADERSHIP_APPENDIX: &str = "leadership-appendix";

/// True when the custom queries include some for leadership: they go to the appendix page
/// [`LEADERSHIP_APPENDIX`], so that the leadership summary stays one A4 sheet.
pub fn has_leadership_appendix(m: &ReportModel) -> bool {
    m.queries.iter().any(|q| q.audience == Audience::Leadership)
}

/// The manifest's source files summed per table (the header's "Sources" line).
fn source_totals(m: &ReportModel) -> Vec<SourceTotal> {
    let mut totals: BTreeMap<String, SourceTotal> = BTreeMap::new();
    for s in &m.meta.sources {
        let e = totals
            .entry(s.table.clone())
            .or_insert_with(|| SourceTotal {
                table: s.table.clone(),
                files: 0,
                profile: s.profile.clone(),
                rows_read: 0,
                accepted: 0,
                rejected: 0,
            });
        e.files += 1;
        e.rows_read += s.rows_read;
        e.accepted += s.accepted;
        e.rejected += s.rejected;
    }
    totals.into_values().collect()
}

/// Render one audience page.
pub fn render_page(
    audience: Audience,
    lang: Lang,
    m: &ReportModel,
    charts: &BTreeMap<String, Chart>,
    cfg: &ReportConfig,
    settings_used: &[(String, String)],
) -> anyhow::Result<String> {
    render(audience, false, lang, m, charts, cfg, settings_used)
}

/// Render the leadership appendix: the custom queries whose audience is leadership.
pub fn render_leadership_appendix(
    lang: Lang,
    m: &ReportModel,
    charts: &BTreeMap<String, Chart>,
    cfg: &ReportConfig,
    settings_used: &[(String, String)],
) -> anyhow::Result<String> {
    render(
        Audience::Leadership,
        true,
        lang,
        m,
        charts,
        cfg,
        settings_used,
    )
}

fn render(
    audience: Audience,
    appendix: bool,
    lang: Lang,
    m: &ReportModel,
    charts: &BTreeMap<String, Chart>,
    cfg: &ReportConfig,
    settings_used: &[(String, String)],
) -> anyhow::Result<String> {
    let env = env(lang, m)?;
    let tmpl = if appendix {
        env.get_template("appendix.html")?
    } else {
        env.get_template(&format!("{}.html", audience.name()))?
    };
    let chart_svgs: BTreeMap<&str, Value> = charts
        .iter()
        .map(|(k, c)| (k.as_str(), Value::from_safe_string(c.svg.clone())))
        .collect();
    let queries: Vec<Value> = m
        .queries
        .iter()
        .enumerate()
        .filter(|(_, q)| q.audience == audience)
        .map(|(i, q)| {
            Value::from_serialize(serde_json::json!({
                "q": q,
                "title": q.title_in(lang),
                "cls": query_column_classes(q),
                "chart": query_chart_name(i, q),
            }))
        })
        .collect();
    let html = tmpl.render(context! {
        lang => match lang { Lang::Zh => "zh-CN", Lang::En => "en" },
        audience => audience.name(),
        appendix => appendix,
        appendix_file => format!("{LEADERSHIP_APPENDIX}.html"),
        m => Value::from_serialize(m),
        charts => chart_svgs,
        sources => source_totals(m),
        settings_used => settings_used,
        queries => queries,
        leadership_n => cfg.leadership_top_n,
        pages => Audience::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
    })?;
    Ok(html)
}

/// Render `index.html` linking the pages written.
pub fn render_index(lang: Lang, m: &ReportModel, audiences: &[Audience]) -> anyhow::Result<String> {
    let env = env(lang, m)?;
    let tmpl = env.get_template("index.html")?;
    Ok(tmpl.render(context! {
        lang => match lang { Lang::Zh => "zh-CN", Lang::En => "en" },
        audience => "index",
        m => Value::from_serialize(m),
        sources => source_totals(m),
        pages => audiences.iter().map(|a| a.name()).collect::<Vec<_>>(),
        appendix_file => (audiences.contains(&Audience::Leadership) && has_leadership_appendix(m))
            .then(|| format!("{LEADERSHIP_APPENDIX}.html")),
    })?)
}
