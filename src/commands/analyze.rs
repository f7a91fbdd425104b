use crate::cli::AnalyzeArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &AnalyzeArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr analyze` is not implemented yet")
}
