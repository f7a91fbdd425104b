use crate::cli::IngestArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &IngestArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr ingest` is not implemented yet")
}
