//! mcr — Manage Client Relationship: CRM exports → Parquet lake → metric tables → reports.
//!
//! Data flows one way: `ingest` (read, map through a profile, validate) writes the lake;
//! `metrics` reads lake tables and writes metric tables; `report` reads metric tables and
//! writes HTML and SVG. See docs/architecture.md.

pub mod cli;
pub mod commands;
pub mod contract;
pub mod delivery;
pub mod diagnostics;
pub mod error;
pub mod fmt;
pub mod generate;
pub mod ingest;
pub mod lake;
pub mod metrics;
pub mod profiles;
pub mod report;
pub mod settings;
pub mod sql;

use std::io::Write;

pub use error::ExitStatus;

/// Run one CLI invocation and map its outcome to an exit status.
pub fn run(cli: cli::Cli) -> ExitStatus {
    match commands::dispatch(cli) {
        Ok(status) => status,
        Err(err) => {
            // A closed stdout (`mcr query … | head`) is success, as in ripgrep.
            if is_broken_pipe(&err) {
                return ExitStatus::Success;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {err}");
            for cause in err.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            if let Some(hint) = error::hint_of(&err) {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            match err.downcast_ref::<error::UsageError>() {
                Some(_) => ExitStatus::Usage,
                None => ExitStatus::Failure,
            }
        }
    }
}

/// True when the error comes from writing to a closed stdout (`mcr … | head`): an
/// `io::Error` of kind `BrokenPipe` anywhere in the chain, also when serde_json or polars
/// wrapped it.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<polars::prelude::PolarsError>()
                .is_some_and(|e| matches!(e, polars::prelude::PolarsError::IO { error, .. } if error.kind() == BrokenPipe))
    })
}
