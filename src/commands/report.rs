use crate::cli::ReportArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr report` is not implemented yet")
}
