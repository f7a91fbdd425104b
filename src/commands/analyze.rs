use anyhow::Context as _;
use chrono::NaiveDate;

use crate::cli::AnalyzeArgs;
use crate::commands::Context;
use crate::contract::currency::Basis;
use crate::contract::summary::Summary;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::error::{hinted, ExitStatus, UsageError};
use crate::lake::Lake;
use crate::metrics::{self, Inputs, MetricsError};
use crate::settings::AsOf;

/// The as_of to analyze: the configured date, or the latest revenue / won-opportunity date.
pub fn resolve_as_of(ctx: &Context, inputs: &Inputs) -> anyhow::Result<NaiveDate> {
    match ctx.settings.as_of {
        AsOf::Date(d) => Ok(d),
        AsOf::Latest => metrics::default_as_of(inputs)?.ok_or_else(|| {
            hinted(
                "nothing to analyze: the lake has neither revenue nor won opportunities to take the as_of date from",
                "ingest a revenue.csv or opportunities.csv with `mcr ingest`, or give a date with --as-of YYYY-MM-DD",
            )
        }),
    }
}

/// A metrics error as an anyhow error with its hint (unknown ids are usage errors).
pub fn metrics_error(e: MetricsError) -> anyhow::Error {
    match &e {
        MetricsError::UnknownIds { .. } => {
            let mut u = UsageError::new(e.to_string());
            u.hint = e.hint();
            anyhow::Error::new(u)
        }
        _ => match e.hint() {
            Some(h) => hinted(e.to_string(), h),
            None => anyhow::Error::new(e),
        },
    }
}

pub fn run(ctx: &Context, _args: &AnalyzeArgs) -> anyhow::Result<ExitStatus> {
    let _lock = Lake::open(&ctx.settings.lake)
        .lock(std::time::Duration::from_secs(ctx.settings.lock_wait_secs))?;
    analyze_lake(ctx)?;
    Ok(ExitStatus::Success)
}

/// Analyze the lake at the resolved as_of, write the metric tables, print the summary
/// (shared with `mcr run`; the caller holds the lake's lock). Returns the as_of and the
/// metrics folder.
pub fn analyze_lake(ctx: &Context) -> anyhow::Result<(NaiveDate, std::path::PathBuf)> {
    let lake = Lake::open(&ctx.settings.lake);
    metrics::timing::start();
    // One state of the lake for every table (an ingest committing meanwhile is not mixed in).
    let view = lake.view()?;
    let inputs = Inputs::from_view(&view)?;
    let as_of = resolve_as_of(ctx, &inputs)?;
    metrics::timing::lap("as_of");
    ctx.info(format!(
        "analyzing {} as of {as_of}…",
        lake.root().display()
    ));
    let currency = metrics::reporting_currency(&inputs, ctx.settings.reporting_currency.as_deref())
        .map_err(metrics_error)?;
    let mut t = metrics::analyze(&inputs, as_of, &ctx.settings.metrics, &currency.code)
        .map_err(metrics_error)?;
    t.summary.reporting_currency_basis = currency.basis;
    t.summary.data_quality.source_conflicts = view.conflicts()?;
    let diags = data_quality_diagnostics(&t.summary);
    if ctx.settings.strict {
        if let Some(d) = diags.iter().find(|d| d.severity == Severity::Warning) {
            return Err(hinted(
                format!("strict: {}", d.message),
                d.hint.clone().unwrap_or_else(|| {
                    "fix the sources, or run without `strict` to analyze anyway".into()
                }),
            ));
        }
    }
    let summary_json = serde_json::to_value(&t.summary)?;
    let dir = lake
        .write_metrics(
            as_of,
            // Named by their declarations (`contract::metric_tables`); a clone of a frame
            // shares its buffers.
            t.tables()
                .into_iter()
                .map(|(m, df)| (m.name(), df.clone()))
                .collect(),
            &summary_json,
        )
        .with_context(|| format!("writing the metric tables of {as_of}"))?;
    metrics::timing::lap("write metric tables");
    if ctx.settings.json {
        crate::commands::out(format_args!(
            "{}
",
            serde_json::to_string_pretty(&summary_json)?
        ))?;
    } else if !ctx.settings.quiet {
        crate::commands::out(format_args!("{}", human_summary(&t.summary)))?;
        for d in &diags {
            eprintln!("{}", d.render());
        }
        ctx.info(format!("metric tables written to {}", dir.display()));
    }
    Ok((as_of, dir))
}

/// Findings of an analysis that the user must see: fact rows that point to no account
/// (MCR030, with the share of revenue in the window for revenue), and keys that several
/// sources deliver differently (MCR031).
pub fn data_quality_diagnostics(s: &Summary) -> Vec<Diagnostic> {
    let dq = &s.data_quality;
    let mut out = Vec::new();
    for (table, rows) in dq.orphans.iter().filter(|(_, n)| **n > 0) {
        let mut msg = format!("{rows} {table} rows point to no account");
        let share = dq.orphan_revenue_share(s.headline.revenue_12m_total);
        if let (true, Some(share)) = (table == "revenue", share) {
            msg = format!(
                "{rows} revenue rows, {:.1} % of revenue in the window ({} {}), point to no account and are left out of every figure",
                share * 100.0,
                money(dq.orphan_revenue_12m),
                s.reporting_currency
            );
        }
        out.push(Diagnostic::warning(Code::Mcr030, msg).with_hint(
            "check the sources' ids: the accounts must come from the same system as the facts, or be linked by a lookup (see `mcr lake status` for rows per source)",
        ));
    }
    for c in dq
        .source_conflicts
        .iter()
        .filter(|c| c.conflicting_keys > 0)
    {
        out.push(
            Diagnostic::warning(
                Code::Mcr031,
                format!(
                    "{}: {} keys are delivered with different rows by several sources ({}); the first source's row is used, e.g. {}",
                    c.table,
                    c.conflicting_keys,
                    c.sources.join(" > "),
                    c.examples.join(", ")
                ),
            )
            .with_hint("the order of [[sources]] in mcr.toml decides; fix the data in the weaker source or reorder the sources"),
        );
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

/// Thousands separators for a money amount.
pub fn money(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A short human summary of one analysis.
pub fn human_summary(s: &Summary) -> String {
    let h = &s.headline;
    let mut o = String::new();
    let basis = match s.reporting_currency_basis {
        Basis::Data => " (the data's only currency; `reporting_currency` is not set)",
        Basis::Assumed => " (assumed: the data states no currency)",
        Basis::Configured | Basis::Default => "",
    };
    o.push_str(&format!(
        "as of {} (window {} … {}), revenue from {}, amounts in {}{basis}\n",
        s.as_of, s.window_12m[0], s.window_12m[1], s.revenue_source, s.reporting_currency
    ));
    o.push_str(&format!(
        "accounts          {} ({} active)\n",
        h.accounts_total, h.active_accounts
    ));
    o.push_str(&format!(
        "revenue_12m       {} (previous 12 months {})\n",
        money(h.revenue_12m_total),
        money(h.revenue_prev_12m_total)
    ));
    if let Some(hhi) = h.hhi {
        o.push_str(&format!(
            "concentration     HHI {:.0} ({}), group HHI {}, top1 {}, top5 {}, {} accounts make 80%\n",
            hhi,
            h.hhi_band.as_deref().unwrap_or(""),
            h.group_hhi.map_or("n/a".into(), |g| format!("{g:.0}")),
            pct(h.top1_share),
            pct(h.top5_share),
            h.accounts_for_80pct.map_or("n/a".into(), |a| a.to_string()),
        ));
    }
    if !h.tier_counts.is_empty() {
        let tiers: Vec<String> = ["S", "A", "B", "C"]
            .iter()
            .map(|t| {
                format!(
                    "{t} {} ({})",
                    h.tier_counts.get(*t).copied().unwrap_or(0),
                    money(h.tier_revenue.get(*t).copied().unwrap_or(0.0))
                )
            })
            .collect();
        o.push_str(&format!("tiers             {}\n", tiers.join(" · ")));
    }
    if h.single_threaded_revenue_share.is_some() {
        o.push_str(&format!(
            "key-person risk   {} of revenue single-threaded; S/A single-threaded revenue {}\n",
            pct(h.single_threaded_revenue_share),
            money(h.sa_single_threaded_revenue.unwrap_or(0.0))
        ));
    }
    if let Some(n) = h.opposition_accounts {
        o.push_str(&format!(
            "opposition        {n} accounts with a decision maker opposing\n"
        ));
    }
    for m in &s.major_customers {
        o.push_str(&format!(
            "major customer    {} {} {} ({})\n",
            m.level,
            m.key,
            m.name,
            pct(Some(m.share))
        ));
    }
    if !s.unavailable.is_empty() {
        o.push_str("not available:\n");
        for u in &s.unavailable {
            o.push_str(&format!("  - {}: {}\n", u.metric, u.reason));
        }
    }
    for n in &s.notes {
        o.push_str(&format!("note: {n}\n"));
    }
    let dq = &s.data_quality;
    if !dq.hierarchy_cycles.is_empty() {
        o.push_str(&format!(
            "hierarchy cycles: {}\n",
            dq.hierarchy_cycles.join(", ")
        ));
    }
    if !dq.tier_mismatches.is_empty() {
        o.push_str(&format!(
            "{} accounts' declared tier differs from the computed one\n",
            dq.tier_mismatches.len()
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_format() {
        assert_eq!(money(5474930.28), "5,474,930");
        assert_eq!(money(-1234.0), "-1,234");
        assert_eq!(money(12.0), "12");
    }
}
