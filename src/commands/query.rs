use crate::cli::QueryArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &QueryArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr query` is not implemented yet")
}
