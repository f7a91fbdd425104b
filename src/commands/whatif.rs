use crate::cli::WhatifArgs;
use crate::commands::analyze::{metrics_error, money, resolve_as_of};
use crate::commands::Context;
use crate::error::{ExitStatus, UsageError};
use crate::lake::Lake;
use crate::metrics::{self, Inputs, ScenarioFigures, WhatifResult};

pub fn run(ctx: &Context, args: &WhatifArgs) -> anyhow::Result<ExitStatus> {
    if args.remove_employee.is_empty() && args.remove_account.is_empty() {
        return Err(UsageError::new("nothing to remove")
            .with_hint("give --remove-employee ID… and/or --remove-account ID…")
            .into());
    }
    let lake = Lake::open(&ctx.settings.lake);
    let inputs = Inputs::from_lake(&lake)?;
    let as_of = resolve_as_of(ctx, &inputs)?;
    let currency = metrics::reporting_currency(&inputs, ctx.settings.reporting_currency.as_deref())
        .map_err(metrics_error)?;
    let r = metrics::whatif(
        &inputs,
        as_of,
        &ctx.settings.metrics,
        &currency.code,
        &args.remove_employee,
        &args.remove_account,
    )
    .map_err(metrics_error)?;
    if ctx.settings.json {
        crate::commands::out(format_args!("{}\n", serde_json::to_string_pretty(&r)?))?;
    } else {
        crate::commands::out(format_args!("{}", render(&r)))?;
    }
    Ok(ExitStatus::Success)
}

fn rows(f: &ScenarioFigures) -> Vec<(&'static str, String)> {
    let num = |x: Option<f64>, d: usize| x.map_or("n/a".to_string(), |v| format!("{v:.d$}"));
    let pct = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{:.1}%", v * 100.0));
    let mut v = vec![
        ("revenue_12m", money(f.revenue_total)),
        ("active accounts", f.n_active.to_string()),
        (
            "hhi",
            format!(
                "{} {}",
                num(f.hhi, 0),
                f.hhi_band.clone().unwrap_or_default()
            ),
        ),
        ("group hhi", num(f.group_hhi, 0)),
        ("gini", num(f.gini, 3)),
        ("top1 share", pct(f.top1_share)),
        ("top5 share", pct(f.top5_share)),
        ("top10 share", pct(f.top10_share)),
        (
            "accounts for 80%",
            f.accounts_for_80pct.map_or("n/a".into(), |x| x.to_string()),
        ),
    ];
    if let Some(k) = &f.key_person {
        let dist: Vec<String> = k
            .bus_factor_distribution
            .iter()
            .map(|(b, n)| format!("{b}:{n}"))
            .collect();
        v.extend([
            (
                "single-threaded revenue share",
                pct(k.single_threaded_revenue_share),
            ),
            (
                "S/A single-threaded revenue",
                money(k.sa_single_threaded_revenue),
            ),
            ("revenue with no holder", money(k.revenue_no_holder)),
            ("accounts with no holder", k.accounts_no_holder.to_string()),
            ("bus factor (accounts)", dist.join(" ")),
        ]);
    }
    v
}

/// The before/after table.
pub fn render(r: &WhatifResult) -> String {
    let mut o = format!("what-if as of {}", r.as_of);
    if !r.removed_employees.is_empty() {
        o.push_str(&format!(
            ", without employees {}",
            r.removed_employees.join(" ")
        ));
    }
    if !r.removed_accounts.is_empty() {
        o.push_str(&format!(
            ", without accounts {}",
            r.removed_accounts.join(" ")
        ));
    }
    o.push('\n');
    let b = rows(&r.before);
    let a = rows(&r.after);
    let w0 = b.iter().map(|x| x.0.chars().count()).max().unwrap_or(0);
    let w1 = b
        .iter()
        .map(|x| x.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    o.push_str(&format!("{:<w0$}  {:>w1$}  {}\n", "", "before", "after"));
    for ((k, bv), (_, av)) in b.iter().zip(a.iter()) {
        let mark = if bv != av { "  *" } else { "" };
        o.push_str(&format!("{k:<w0$}  {bv:>w1$}  {av}{mark}\n"));
    }
    if !r.accounts_orphaned.is_empty() {
        o.push_str(&format!(
            "accounts left with no relationship holder: {}\n",
            r.accounts_orphaned.join(", ")
        ));
    }
    o
}
