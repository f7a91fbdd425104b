use crate::cli::ProfilesArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &ProfilesArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr profiles` is not implemented yet")
}
