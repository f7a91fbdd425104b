use crate::cli::RunArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &RunArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr run` is not implemented yet")
}
