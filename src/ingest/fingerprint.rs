//! What besides the files decides the rows of a snapshot, so that re-ingesting the same files
//! is a no-op only when nothing that changes rows changed.
//!
//! The inputs are recorded per snapshot in the manifest (`inputs`): a hash of the profile's
//! text (so an edited profile file, its `null_values`, value maps or lookups count), every
//! option that changes rows (`strict`, `hash_contact_pii`, `reporting_currency`) and
//! [`PARSER_REVISION`]. The source files themselves are compared by content hash as before.

use std::collections::BTreeMap;

/// Bumped whenever a change to mcr's reading, parsing or validation can change the rows of an
/// unchanged export: lakes ingested by an older revision are then re-ingested once.
/// 1: ids with microseconds (manifest version 2), the first recorded revision.
/// 2: currency names and symbols mapped to ISO codes (`US Dollar`, `美元` → USD).
pub const PARSER_REVISION: u32 = 2;

/// The options of one ingest that change its rows.
pub struct RowOptions<'a> {
    pub profile_text: &'a str,
    pub strict: bool,
    pub hash_contact_pii: bool,
    /// The `reporting_currency` setting, `auto` when it is not set.
    pub reporting_currency: &'a str,
}

/// The inputs recorded in the manifest for a snapshot.
pub fn inputs(o: &RowOptions) -> BTreeMap<String, String> {
    let profile = xxhash_rust::xxh3::xxh3_128(o.profile_text.as_bytes());
    BTreeMap::from([
        ("profile_hash".to_string(), format!("{profile:032x}")),
        ("strict".to_string(), o.strict.to_string()),
        (
            "hash_contact_pii".to_string(),
            o.hash_contact_pii.to_string(),
        ),
        (
            "reporting_currency".to_string(),
            o.reporting_currency.to_string(),
        ),
        ("parser_revision".to_string(), PARSER_REVISION.to_string()),
    ])
}

/// What differs between a snapshot's recorded inputs and this ingest's, in words
/// (`strict false → true`, `the profile's text`); empty when nothing does.
pub fn changes(recorded: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    if recorded.is_empty() {
        return vec!["the snapshot was written by an mcr that did not record its options".into()];
    }
    let mut out = Vec::new();
    for (k, v) in now {
        match recorded.get(k) {
            Some(old) if old == v => {}
            _ if k == "profile_hash" => out.push("the profile's text".to_string()),
            Some(old) => out.push(format!("{k} {old} → {v}")),
            None => out.push(format!("{k} (not recorded) → {v}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(text: &str, strict: bool) -> BTreeMap<String, String> {
        inputs(&RowOptions {
            profile_text: text,
            strict,
            hash_contact_pii: true,
            reporting_currency: "CNY",
        })
    }

    #[test]
    fn changes_name_what_changed() {
        let a = opts("[tables]", false);
        assert!(changes(&a, &a).is_empty());
        assert_eq!(
            changes(&a, &opts("[tables] # edited", false)),
            ["the profile's text"]
        );
        assert_eq!(
            changes(&a, &opts("[tables]", true)),
            ["strict false → true"]
        );
        let mut pii = a.clone();
        pii.insert("hash_contact_pii".into(), "false".into());
        assert_eq!(changes(&pii, &a), ["hash_contact_pii false → true"]);
        assert_eq!(changes(&BTreeMap::new(), &a).len(), 1);
    }
}
