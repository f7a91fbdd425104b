//! Deterministic synthetic CRM exports.
