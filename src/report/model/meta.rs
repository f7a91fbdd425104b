//! Header data of every page: as_of, window, currency, settings, sources, notes, unavailable
//! metrics and data-quality findings, all from `summary.json` and the manifest.

use std::collections::BTreeMap;

use super::{DataQualityRow, Meta, ReportInputs, SourceRow};
use crate::contract::summary::Summary;

/// The header data of the report.
pub(super) fn build(inputs: &ReportInputs) -> Meta {
    let s = &inputs.summary;
    let mut settings = Vec::new();
    flatten_settings("", &s.settings, &mut settings);
    let mut sources = Vec::new();
    let mut tables: Vec<&String> = inputs
        .manifest
        .snapshots
        .iter()
        .flat_map(|s| s.tables.keys())
        .collect();
    tables.sort();
    tables.dedup();
    for t in tables {
        for (snap, ts) in inputs.manifest.current_all(t) {
            for f in &ts.files {
                sources.push(SourceRow {
                    table: t.clone(),
                    snapshot: snap.id.clone(),
                    profile: snap.profile.clone(),
                    file: f.path.clone(),
                    rows_read: f.rows_read,
                    accepted: f.accepted,
                    rejected: f.rejected,
                });
            }
        }
    }
    let as_of = inputs.as_of.format("%Y-%m-%d").to_string();
    let reasons: BTreeMap<String, String> = reasons(s);
    Meta {
        as_of: as_of.clone(),
        window: s.window_12m.clone(),
        currency: s.reporting_currency.clone(),
        currency_basis: s.reporting_currency_basis.name(),
        revenue_source: s.revenue_source.clone(),
        settings,
        sources,
        notes: s.notes.clone(),
        unavailable: s
            .unavailable
            .iter()
            .map(|u| (u.metric.clone(), u.reason.clone()))
            .collect(),
        reasons,
        metrics_path: format!("metrics/as_of={as_of}/"),
        csv_path: match inputs.scope {
            Some(_) => "data/".to_string(),
            None => format!("lake/metrics/as_of={as_of}/"),
        },
        scope: inputs.scope.clone(),
        data_quality: data_quality_rows(s),
    }
}

/// metric → reason of the metrics analyze could not compute.
pub(super) fn reasons(s: &Summary) -> BTreeMap<String, String> {
    s.unavailable
        .iter()
        .map(|u| (u.metric.clone(), u.reason.clone()))
        .collect()
}

/// The data-quality rows of a summary (see [`DataQualityRow`]).
fn data_quality_rows(s: &Summary) -> Vec<DataQualityRow> {
    let dq = &s.data_quality;
    let mut out: Vec<DataQualityRow> = dq
        .orphans
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(table, n)| {
            let share = (table == "revenue")
                .then(|| dq.orphan_revenue_share(s.headline.revenue_12m_total))
                .flatten();
            DataQualityRow {
                kind: "orphans",
                table: table.clone(),
                count: *n,
                share,
                sources: String::new(),
            }
        })
        .collect();
    out.extend(
        dq.source_conflicts
            .iter()
            .filter(|c| c.conflicting_keys > 0)
            .map(|c| DataQualityRow {
                kind: "conflicts",
                table: c.table.clone(),
                count: c.conflicting_keys,
                share: None,
                sources: c.sources.join(" > "),
            }),
    );
    out
}

fn flatten_settings(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_settings(&key, v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}
