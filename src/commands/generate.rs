//! `mcr generate`: deterministic synthetic CRM exports (orchestration only).

use std::io::Write as _;

use anyhow::Context as _;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::GenerateArgs;
use crate::commands::Context;
use crate::error::{ExitStatus, UsageError};
use crate::fmt::{human_bytes, thousands, ByteUnits};
use crate::generate::{generate, GenerateOptions, GenerateSummary};

/// Accepted range of `--years` (as in the clap definition).
const YEARS: std::ops::RangeInclusive<u32> = 1..=50;
/// Accepted range of `--effect`.
const EFFECT: std::ops::RangeInclusive<f64> = 0.0..=10.0;

/// `--effect` must be a strength from 0 to 10 (NaN is out of range).
fn check_effect(effect: f64) -> Result<(), UsageError> {
    if EFFECT.contains(&effect) {
        return Ok(());
    }
    Err(UsageError::new(format!(
        "invalid value '{effect}' for '--effect': the accepted range is {} to {}",
        EFFECT.start(),
        EFFECT.end()
    ))
    .with_hint("give a strength from 0 (no effect) to 10, e.g. --effect 1"))
}

/// Run `mcr generate`.
pub fn run(ctx: &Context, args: &GenerateArgs) -> anyhow::Result<ExitStatus> {
    let end = NaiveDate::parse_from_str(args.end.trim(), "%Y-%m-%d").map_err(|_| {
        UsageError::new(format!("invalid --end date `{}`", args.end))
            .with_hint("give the last day of the history as YYYY-MM-DD, e.g. --end 2026-09-30")
    })?;
    check_effect(args.effect)?;
    // clap checks the range; this guards callers that build GenerateArgs themselves.
    if !YEARS.contains(&args.years) {
        return Err(UsageError::new(format!(
            "invalid value '{}' for '--years': the accepted range is {} to {}",
            args.years,
            YEARS.start(),
            YEARS.end()
        ))
        .with_hint("e.g. --years 3")
        .into());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out.display()))?;
    let opts = GenerateOptions {
        accounts: args.accounts,
        seed: args.seed,
        out: args.out.clone(),
        messy: args.messy,
        years: args.years,
        end,
        effect: args.effect,
    };

    let bar = if ctx.settings.progress {
        let bar = ProgressBar::new(args.accounts);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} generating [{bar:30}] {pos}/{len} accounts ({elapsed}, eta {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Some(bar)
    } else {
        None
    };
    let progress = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let result = generate(&opts, &progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let summary = result?;

    if ctx.settings.json {
        let text =
            serde_json::to_string_pretty(&summary).context("cannot serialise the summary")?;
        // A closed stdout (`| head`) surfaces as an io::Error the caller treats as success.
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").context("cannot write to stdout")?;
    } else if !ctx.settings.quiet {
        eprint!("{}", summary_table(&summary));
    }
    Ok(ExitStatus::Success)
}

/// The per-file summary shown on stderr.
fn summary_table(s: &GenerateSummary) -> String {
    let mut out = format!(
        "{:<15} {:>13} {:>10}  {}\n",
        "table", "rows", "size", "path"
    );
    let (mut rows, mut bytes) = (0, 0);
    for f in &s.files {
        out.push_str(&format!(
            "{:<15} {:>13} {:>10}  {}\n",
            f.table,
            thousands(f.rows as f64, 0),
            human_bytes(f.bytes, ByteUnits::Binary),
            f.path.display()
        ));
        rows += f.rows;
        bytes += f.bytes;
    }
    out.push_str(&format!(
        "{:<15} {:>13} {:>10}\n",
        "total",
        thousands(rows as f64, 0),
        human_bytes(bytes, ByteUnits::Binary)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effect_accepts_0_to_10() {
        assert!(check_effect(0.0).is_ok());
        assert!(check_effect(10.0).is_ok());
        for bad in [-0.5, 10.5, f64::NAN] {
            let msg = check_effect(bad).unwrap_err().message;
            assert!(msg.contains("--effect"), "{msg}");
            assert!(msg.contains(&format!("'{bad}'")), "{msg}");
            assert!(msg.contains("0 to 10"), "{msg}");
        }
    }

    #[test]
    fn clap_bounds_years_and_accounts() {
        use clap::Parser as _;
        let parse = |args: &[&str]| {
            let mut argv = vec!["mcr", "generate", "--out", "x"];
            argv.extend_from_slice(args);
            crate::cli::Cli::try_parse_from(argv)
        };
        for ok in [
            ["--years", "1"],
            ["--years", "50"],
            ["--accounts", "1"],
            ["--accounts", "10000000"],
        ] {
            assert!(parse(&ok).is_ok(), "{ok:?}");
        }
        for (bad, range) in [
            (["--years", "0"], "1..=50"),
            (["--years", "51"], "1..=50"),
            (["--accounts", "0"], "1..=10000000"),
            (["--accounts", "10000001"], "1..=10000000"),
        ] {
            let err = parse(&bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            let msg = err.to_string();
            assert!(msg.contains(bad[0]), "{msg}");
            assert!(msg.contains(&format!("'{}'", bad[1])), "{msg}");
            assert!(msg.contains(range), "{msg}");
        }
    }
}
