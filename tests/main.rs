//! The integration test binary: one binary, one module per area.

mod common;
mod evidence;
mod golden;
mod ingest;
mod report_e2e;

mod profiles;
