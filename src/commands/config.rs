use crate::cli::ConfigArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &ConfigArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr config` is not implemented yet")
}
