use std::process::ExitCode;

use clap::Parser;

/// jemalloc: ingest allocates and frees millions of small records across threads (with the
/// system allocator that was a fifth of the CPU time of a 20 M-row ingest), and analyze
/// allocates large frames; mimalloc did as well on ingest but its transparent huge pages made
/// analyze spend 40 % of its time zeroing pages.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match mcr::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help / --version are not errors; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    mcr::run(cli).into()
}
