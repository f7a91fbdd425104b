//! Metric computations: pure functions over LazyFrames (see `../shared/spec/metrics.md`).

pub mod summary;

/// Every metric setting, with the defaults of metrics.md (the `[metrics]` config section).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {}
