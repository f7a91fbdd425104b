//! The field parsers live in the bottom layer ([`crate::contract::values`]), shared with
//! profiles and metrics; ingest's modules reach them here.

pub use crate::contract::values::*;
