use std::io::Write;

use crate::cli::ConfigArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(ctx: &Context, args: &ConfigArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    if args.defaults {
        out.write_all(crate::settings::DEFAULT_CONFIG.as_bytes())?;
    } else if ctx.settings.json {
        serde_json::to_writer_pretty(&mut out, &ctx.settings)?;
        writeln!(out)?;
    } else {
        let from = ctx
            .settings
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "no config file: built-in defaults".into());
        writeln!(out, "# resolved settings ({from})")?;
        out.write_all(toml::to_string_pretty(&ctx.settings)?.as_bytes())?;
    }
    Ok(ExitStatus::Success)
}
