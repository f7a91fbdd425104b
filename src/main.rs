use std::process::ExitCode;

use clap::Parser;

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
