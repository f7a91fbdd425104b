//! Reports: model → charts (SVG) → HTML, in Chinese or English.

/// Report settings (the `[report]` config section).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {}
