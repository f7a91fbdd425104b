use crate::cli::WhatifArgs;
use crate::commands::Context;
use crate::error::ExitStatus;

pub fn run(_ctx: &Context, _args: &WhatifArgs) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`mcr whatif` is not implemented yet")
}
