use crate::cli::GenerateArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &GenerateArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr generate` is not implemented yet")
}
