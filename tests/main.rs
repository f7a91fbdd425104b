//! The integration test binary: one binary, one module per area.

mod cli_output;
mod common;
mod golden;
mod ingest;
mod report_e2e;

mod profiles;
