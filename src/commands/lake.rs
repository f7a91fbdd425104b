use crate::cli::LakeCommand;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &LakeCommand) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr lake` is not implemented yet")
}
