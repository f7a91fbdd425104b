//! The integration test binary: one binary, one module per area.

mod architecture;
mod burst;
mod cli_output;
mod common;
mod currency;
mod deals;
mod deliver;
mod evidence;
mod fuzz;
mod golden;
mod ingest;
mod lake;
mod market;
mod ranges;
mod report_e2e;
mod sources;

mod drafting;
mod exports;
mod profiles;
