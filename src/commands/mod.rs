//! One module per subcommand: orchestration only (resolve settings, call the library, print).

pub mod analyze;
pub mod config;
pub mod deliver;
pub mod generate;
pub mod ingest;
pub mod lake;
pub mod profiles;
pub mod query;
pub mod report;
pub mod run;
pub mod table;
pub mod whatif;

use crate::cli::{Cli, Command};
use crate::error::ExitStatus;
use crate::settings::Settings;

/// What every command gets: resolved settings and the output switches.
pub struct Context {
    pub settings: Settings,
}

impl Context {
    /// Progress bars and informational messages go to stderr unless `--quiet`.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.settings.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }
}

/// Write to stdout, returning the error instead of panicking as `print!` does: a closed pipe
/// (`mcr … | head`) then ends the command quietly (see `crate::is_broken_pipe`).
pub fn out(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_fmt(args)?;
    o.flush()
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    // The defaults print even when the config file in the way is broken.
    if let Command::Config(crate::cli::ConfigArgs { defaults: true }) = &cli.command {
        use std::io::Write;
        std::io::stdout()
            .lock()
            .write_all(crate::settings::DEFAULT_CONFIG.as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    let settings = Settings::resolve(&cli.global, &cli.command)?;
    let ctx = Context { settings };
    match &cli.command {
        Command::Run(a) => run::run(&ctx, a),
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Analyze(a) => analyze::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::Deliver(a) => deliver::run(&ctx, a),
        Command::Query(a) => query::run(&ctx, a),
        Command::Whatif(a) => whatif::run(&ctx, a),
        Command::Generate(a) => generate::run(&ctx, a),
        Command::Lake(a) => lake::run(&ctx, a),
        Command::Profiles(a) => profiles::run(&ctx, a),
        Command::Config(a) => config::run(&ctx, a),
    }
}
