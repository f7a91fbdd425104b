use crate::cli::RunArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

/// The scheduled job: ingest every configured source, then analyze and report.
pub fn run(ctx: &Context, _args: &RunArgs) -> anyhow::Result<ExitStatus> {
    for source in &ctx.settings.sources {
        let profile = source
            .profile
            .clone()
            .unwrap_or_else(|| ctx.settings.default_profile.clone());
        ctx.info(format!(
            "ingest {} (profile {profile})",
            source.path.display()
        ));
        let report = super::ingest::ingest_sources(
            ctx,
            std::slice::from_ref(&source.path),
            &profile,
            false,
        )?;
        super::ingest::print_report(ctx, &report)?;
    }
    Ok(ExitStatus::Success)
}
