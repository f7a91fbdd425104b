//! The integration test binary: one binary, one module per area.

mod common;
mod golden;
mod ingest;
mod report_e2e;

mod exports;
mod profiles;
