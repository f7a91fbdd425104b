//! `mcr deliver`: e-mail the leadership page of one report folder (docs/delivery.md).

use anyhow::Context as _;

use crate::cli::DeliverArgs;
use crate::commands::{out, Context};
use crate::delivery::{self, log, smtp, DeliveryError, Mode, Outcome, Status, Summary};
use crate::diagnostics::{Code, Diagnostic};
use crate::error::{hinted, ExitStatus, UsageError};
use crate::settings::AsOf;

/// A delivery error with its hint; a missing setting is a usage error (exit 2).
fn explain(e: DeliveryError) -> anyhow::Error {
    let hint = e.hint();
    if e.is_usage() {
        anyhow::Error::new(UsageError::new(e.to_string()).with_hint(hint))
    } else {
        // The causes on the message's line: `hinted` carries no chain.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        hinted(message, hint)
    }
}

/// Resolve the report folder, plan the messages, send them (or write them to the outbox, or
/// list them), print each outcome and the summary. Exit 1 when a message failed.
pub fn run(ctx: &Context, args: &DeliverArgs) -> anyhow::Result<ExitStatus> {
    let s = &ctx.settings;
    let as_of = match s.as_of {
        AsOf::Date(d) => d,
        AsOf::Latest => delivery::latest_report(&s.reports).map_err(explain)?,
    };
    let dir = s.reports.join(as_of.to_string());
    let log_path = dir.join(log::FILE);
    let from = s.delivery.from.as_ref();
    let need_from = || {
        from.ok_or(DeliveryError::MissingSetting {
            key: "delivery.from",
            hint: "set from = \"mcr <reports@example.com>\" under [delivery] in mcr.toml (see docs/delivery.md)",
        })
        .map_err(explain)
    };

    // A real run holds the log open (and locked) from before it reads the history.
    let sending = args.outbox.is_none() && !args.dry_run;
    let mut transport = None;
    let mut writer = None;
    if sending {
        need_from()?;
        transport = Some(smtp::Smtp::new(&s.delivery).map_err(explain)?);
        if !dir.join(delivery::PAGE).is_file() {
            return Err(explain(DeliveryError::NoPage(dir.join(delivery::PAGE))));
        }
        writer = Some(log::Writer::open(&log_path).map_err(|e| explain(e.into()))?);
        if writer.as_mut().is_some_and(|w| !w.try_lock()) {
            return Err(explain(DeliveryError::Locked(dir.clone())));
        }
    }
    let history = log::read(&log_path).map_err(|e| explain(e.into()))?;
    let plan = delivery::plan(&dir, as_of, s.lang, &s.delivery).map_err(explain)?;
    let mut diagnostics = plan.diagnostics.clone();
    if !history.unreadable.is_empty() {
        let lines: Vec<String> = history.unreadable.iter().map(|l| l.to_string()).collect();
        diagnostics.push(
            Diagnostic::warning(
                Code::Mcr052,
                format!(
                    "{}: lines {} cannot be read and are ignored",
                    log_path.display(),
                    lines.join(", ")
                ),
            )
            .with_hint("a message logged on such a line may be sent again"),
        );
    }
    if !s.json && !s.quiet {
        for d in &diagnostics {
            eprintln!("{}", d.render());
        }
    }
    ctx.info(format!(
        "{} report of {as_of} ({}): {} messages",
        if args.dry_run {
            "dry run:"
        } else if args.outbox.is_some() {
            "outbox:"
        } else {
            "delivering the"
        },
        dir.display(),
        plan.items.len()
    ));

    let mode = match (&args.outbox, &transport, &mut writer) {
        (Some(outbox), _, _) => {
            let from = need_from()?;
            std::fs::create_dir_all(outbox)
                .with_context(|| format!("cannot create the outbox {}", outbox.display()))?;
            Mode::Outbox { dir: outbox, from }
        }
        (None, Some(smtp), Some(log)) => Mode::Send {
            smtp,
            from: need_from()?,
            log,
        },
        _ => Mode::DryRun,
    };
    let json = s.json;
    let outcomes = delivery::execute(&plan, &history, mode, |o| {
        if !json {
            // A closed stdout ends the listing, not the delivery.
            let _ = out(format_args!("{}\n", line(o)));
        }
    })
    .map_err(explain)?;
    let summary = Summary::of(&outcomes);
    if json {
        let mode_name = if args.dry_run {
            "dry_run"
        } else if args.outbox.is_some() {
            "outbox"
        } else {
            "send"
        };
        let v = serde_json::json!({
            "as_of": as_of.to_string(),
            "dir": dir,
            "mode": mode_name,
            "summary": summary,
            "messages": outcomes,
            "diagnostics": diagnostics,
            "log": sending.then_some(&log_path),
        });
        out(format_args!("{}\n", serde_json::to_string_pretty(&v)?))?;
    } else {
        out(format_args!("{}\n", summary_line(&summary, args)))?;
    }
    Ok(if summary.failed > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// `sent     owner E001 li@example.com — subject` (and why, when it failed or was skipped).
fn line(o: &Outcome) -> String {
    let who = if o.recipient.is_empty() {
        "(no e-mail)".to_string()
    } else {
        o.recipient.clone()
    };
    let mut l = format!(
        "{:<12} {} {} {who} — {}",
        o.status.label(),
        o.kind,
        o.key,
        o.subject
    );
    if o.pdf && matches!(o.status, Status::Sent | Status::Written | Status::WouldSend) {
        l.push_str(" [+pdf]");
    }
    if let Some(f) = &o.file {
        l.push_str(&format!(" → {}", f.display()));
    }
    if let Some(r) = &o.reason {
        l.push_str(&format!(": {r}"));
    }
    if o.status == Status::Failed && o.attempts > 1 {
        l.push_str(&format!(" ({} attempts)", o.attempts));
    }
    l
}

fn summary_line(s: &Summary, args: &DeliverArgs) -> String {
    let lead = if args.dry_run {
        format!("would send {}", s.would_send)
    } else if args.outbox.is_some() {
        format!("written {}", s.written)
    } else {
        format!("sent {}", s.sent)
    };
    format!(
        "{lead}, skipped {} (no e-mail), failed {}, already sent {}",
        s.skipped, s.failed, s.already_sent
    )
}
