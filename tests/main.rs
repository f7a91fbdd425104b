
mod report_e2e;
