//! Key lookups (`[[lookup]]` in a profile): small export files (companies, users,
//! OpportunityContactRole…) read in a pre-pass into key → value maps, so that exports that
//! carry a name, an email or a domain instead of an id can be resolved by `derive`.
//!
//! Keys compare trimmed and case-insensitively. A key with two different values is
//! ambiguous and is reported, never guessed; a missing key resolves to nothing. Only the
//! lookups a profile uses cost anything: the canonical path never builds one.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::read;
use crate::profiles::{Lookup, Profile};

/// One file (or sheet) read by a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupSource {
    pub path: PathBuf,
    pub sheet: Option<String>,
}

impl LookupSource {
    pub fn label(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{}[{s}]", self.path.display()),
            None => self.path.display().to_string(),
        }
    }
}

/// One built lookup.
#[derive(Debug, Default)]
struct Map {
    /// Normalised key → distinct values, in the order first seen.
    entries: HashMap<String, Vec<String>>,
    /// Files read (labels), for messages.
    files: Vec<String>,
    /// Files matched but not usable (why), for messages.
    skipped: Vec<String>,
    then: Option<String>,
}

impl Map {
    /// Record `key → value` (the key normalised; a value already recorded for it is kept
    /// once, a second different one makes the key ambiguous).
    fn insert(&mut self, key: &str, value: std::borrow::Cow<'_, str>) {
        let vals = self.entries.entry(norm_key(key)).or_default();
        if !vals.iter().any(|x| x == value.as_ref()) {
            vals.push(value.into_owned());
        }
    }
}

/// All lookups of an ingest.
#[derive(Debug, Default)]
pub struct Lookups {
    maps: HashMap<String, Map>,
}

/// The outcome of looking a key up.
#[derive(Debug, PartialEq)]
pub enum Found<'a> {
    /// One or more distinct values (more than one: ambiguous unless the caller ranks them).
    Values(Vec<&'a str>),
    NotFound,
}

/// The normalised form of a lookup key.
pub fn norm_key(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Lookups {
    /// Look `key` up in lookup `name`, following `then` chains. Values are distinct.
    pub fn get<'a>(&'a self, name: &str, key: &str) -> Found<'a> {
        let mut out: Vec<&'a str> = Vec::new();
        self.collect(name, &norm_key(key), &mut out, 0);
        if out.is_empty() {
            Found::NotFound
        } else {
            Found::Values(out)
        }
    }

    fn collect<'a>(&'a self, name: &str, key: &str, out: &mut Vec<&'a str>, depth: usize) {
        let Some(m) = self.maps.get(name) else {
            return;
        };
        let Some(vals) = m.entries.get(key) else {
            return;
        };
        for v in vals {
            match (&m.then, depth < 16) {
                (Some(next), true) => self.collect(next, &norm_key(v), out, depth + 1),
                _ => {
                    if !out.contains(&v.as_str()) {
                        out.push(v);
                    }
                }
            }
        }
    }

    /// The files a lookup (and its chain) read, for messages.
    pub fn files_of(&self, name: &str) -> String {
        let mut files = Vec::new();
        let mut cur = Some(name.to_string());
        let mut guard = 0;
        while let Some(n) = cur {
            guard += 1;
            let Some(m) = self.maps.get(&n) else { break };
            files.extend(m.files.iter().cloned());
            cur = if guard < 16 { m.then.clone() } else { None };
        }
        if files.is_empty() {
            "no file matched its patterns".to_string()
        } else {
            files.join(", ")
        }
    }

    /// Whether no file fed this lookup (or a lookup of its chain).
    pub fn is_empty(&self, name: &str) -> bool {
        self.maps.get(name).is_none_or(|m| m.files.is_empty())
    }

    /// Why matched files were not read.
    pub fn skipped(&self, name: &str) -> Vec<String> {
        self.maps
            .get(name)
            .map(|m| m.skipped.clone())
            .unwrap_or_default()
    }

    /// Number of distinct keys of a lookup.
    pub fn len(&self, name: &str) -> usize {
        self.maps.get(name).map_or(0, |m| m.entries.len())
    }
}

/// The lookups used (directly or through `then`) by the given mappings.
pub fn used_lookups(profile: &Profile, mappings: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack: Vec<String> = mappings
        .iter()
        .filter_map(|&i| profile.tables.get(i))
        .flat_map(|m| m.derive.values())
        .flat_map(|d| d.as_slice().iter().map(|d| d.lookup.clone()))
        .collect();
    while let Some(n) = stack.pop() {
        if out.contains(&n) {
            continue;
        }
        if let Some(next) = profile
            .lookups
            .iter()
            .find(|l| l.name == n)
            .and_then(|l| l.then.clone())
        {
            stack.push(next);
        }
        out.push(n);
    }
    out.sort();
    out
}

/// The files (or sheets) of `files` that a lookup reads.
pub fn sources_of(lookup: &Lookup, files: &[PathBuf]) -> Vec<LookupSource> {
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = read::FileKind::of(f);
        if kind.is_none() {
            continue;
        }
        if lookup.matches(name) {
            out.push(LookupSource {
                path: f.clone(),
                sheet: None,
            });
        } else if kind == Some(read::FileKind::Excel) {
            for sheet in read::excel_sheets(f).unwrap_or_default() {
                if lookup.matches(&sheet) {
                    out.push(LookupSource {
                        path: f.clone(),
                        sheet: Some(sheet),
                    });
                }
            }
        }
    }
    out
}

/// Rows left out of a table or lookup (`exclude = { IsDeleted = ["1", "true"] }`): per
/// present header, the values (normalised: trimmed, lower case) that exclude a row.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    rules: Vec<(usize, String, HashSet<String>)>,
}

impl Exclude {
    pub fn new(
        spec: &std::collections::BTreeMap<String, Vec<String>>,
        headers: &[String],
    ) -> Exclude {
        let rules = spec
            .iter()
            .filter_map(|(h, vals)| {
                let want = h.trim().to_lowercase();
                let i = headers
                    .iter()
                    .position(|x| x.trim().trim_start_matches('\u{feff}').to_lowercase() == want)?;
                Some((i, h.clone(), vals.iter().map(|v| norm_key(v)).collect()))
            })
            .collect();
        Exclude { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a row (read through `cell`) is excluded.
    pub fn matches<'a>(&self, cell: impl Fn(usize) -> Option<&'a str>) -> bool {
        self.rules.iter().any(|(i, _, vals)| {
            cell(*i).is_some_and(|v| vals.contains(v) || vals.contains(&norm_key(v)))
        })
    }

    /// The headers used, for messages.
    pub fn headers(&self) -> Vec<&str> {
        self.rules.iter().map(|(_, h, _)| h.as_str()).collect()
    }
}

/// Read the lookups `names` from the files they match. Files are read whole: lookups are
/// meant for the small CRM tables (companies, users, contact roles).
pub fn build(
    profile: &Profile,
    names: &[String],
    files: &[PathBuf],
) -> anyhow::Result<(Lookups, Vec<(LookupSource, String)>)> {
    let nulls: Vec<String> = profile
        .null_values
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let mut lookups = Lookups::default();
    let mut used = Vec::new();
    for name in names {
        let Some(l) = profile.lookups.iter().find(|l| &l.name == name) else {
            continue;
        };
        let mut map = Map {
            then: l.then.clone(),
            ..Map::default()
        };
        for src in sources_of(l, files) {
            let label = src.label();
            let raw = read::open(
                &src.path,
                src.sheet.as_deref(),
                &profile.encoding,
                &profile.delimiter,
            )
            .map_err(read::ReadError::into_hinted)?;
            let (Some(ki), Some(vi)) = (l.key.resolve(&raw.headers), l.value.resolve(&raw.headers))
            else {
                // A file of the right kind but another layout: the lookup may have other
                // files; when it reads none, the caller reports it with this reason.
                map.skipped.push(format!(
                    "{label} has no key column ({}) or no value column ({})",
                    l.key.headers().join(" or "),
                    l.value.headers().join(" or ")
                ));
                continue;
            };
            let exclude = Exclude::new(&l.exclude, &raw.headers);
            let mut records = raw.records;
            records.for_each_batch(super::CHUNK, |batch| {
                for rec in batch.iter() {
                    let cell = |i: usize| rec.text(i, &nulls);
                    if exclude.matches(cell) {
                        continue;
                    }
                    if let (Some(k), Some(v)) = (ki.get(cell), vi.get(cell)) {
                        map.insert(&k, v);
                    }
                }
                Ok(())
            })?;
            map.files.push(label);
            used.push((src, l.name.clone()));
        }
        lookups.maps.insert(l.name.clone(), map);
    }
    Ok((lookups, used))
}

/// Add the rows of the lake tables that lookups read (`lake = "accounts"`), from one view of
/// the lake, with the same rules as files (keys trimmed, case-insensitive; several values
/// are ambiguous). A lake without the table leaves the lookup as it is (the caller reports
/// a lookup that found nothing).
pub fn add_lake_lookups(
    lookups: &mut Lookups,
    profile: &Profile,
    names: &[String],
    view: &crate::lake::LakeView,
) -> anyhow::Result<()> {
    use polars::prelude::*;
    for name in names {
        let Some(l) = profile.lookups.iter().find(|l| &l.name == name) else {
            continue;
        };
        let Some(table_name) = &l.lake else {
            continue;
        };
        let Some(table) = crate::contract::Table::from_name(table_name.trim()) else {
            return Err(crate::error::hinted(
                format!("lookup `{name}`: `lake = \"{table_name}\"` is not a table of the lake"),
                "use a canonical table name such as lake = \"accounts\" or lake = \"employees\"",
            ));
        };
        let map = lookups.maps.entry(l.name.clone()).or_insert_with(|| Map {
            then: l.then.clone(),
            ..Map::default()
        });
        let Some(lf) = view.scan(table)? else {
            map.skipped.push(format!(
                "the lake has no {table_name} table yet (ingest the source that delivers it first)"
            ));
            continue;
        };
        let schema = lf.clone().collect_schema()?;
        let headers: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        let label = format!("lake:{table_name}");
        let (Some(ki), Some(vi)) = (l.key.resolve(&headers), l.value.resolve(&headers)) else {
            map.skipped.push(format!(
                "{label} has no key column ({}) or no value column ({})",
                l.key.headers().join(" or "),
                l.value.headers().join(" or ")
            ));
            continue;
        };
        let df = lf
            .select(
                headers
                    .iter()
                    .map(|h| col(h.as_str()).cast(DataType::String))
                    .collect::<Vec<_>>(),
            )
            .collect()?;
        let columns: Vec<&StringChunked> = df
            .columns()
            .iter()
            .map(|c| c.str())
            .collect::<PolarsResult<_>>()?;
        for r in 0..df.height() {
            let cell = |i: usize| {
                columns
                    .get(i)
                    .and_then(|c| c.get(r))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            if let (Some(k), Some(v)) = (ki.get(cell), vi.get(cell)) {
                map.insert(&k, v);
            }
        }
        map.files.push(label);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_lookups_are_case_insensitive_and_report_ambiguity() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("companies.csv"),
            "Company ID,Domain,Name\nC1,acme.com,Acme\nC2,beta.io,Beta\nC3,gamma.org,Beta\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("contacts.csv"),
            "Email,Company Domain\nA@Acme.com,ACME.com\nb@beta.io,beta.io\nx@nowhere,nowhere.net\n",
        )
        .unwrap();
        let p = Profile::from_toml(
            r#"name = "t"
[[lookup]]
name = "company_by_domain"
files = ["companies.csv"]
key = "domain"
value = "Company ID"
[[lookup]]
name = "company_by_name"
files = ["companies.csv"]
key = "Name"
value = "Company ID"
[[lookup]]
name = "company_by_email"
files = ["contacts.csv"]
key = "Email"
value = "Company Domain"
then = "company_by_domain"
[[table]]
name = "accounts"
files = ["companies.csv"]
"#,
            "t",
        )
        .unwrap();
        let files = vec![
            dir.path().join("companies.csv"),
            dir.path().join("contacts.csv"),
        ];
        let names: Vec<String> = p.lookups.iter().map(|l| l.name.clone()).collect();
        let (l, used) = build(&p, &names, &files).unwrap();
        assert_eq!(used.len(), 3);
        assert_eq!(
            l.get("company_by_email", " a@acme.COM"),
            Found::Values(vec!["C1"])
        );
        assert_eq!(l.get("company_by_email", "x@nowhere"), Found::NotFound);
        assert_eq!(
            l.get("company_by_name", "beta"),
            Found::Values(vec!["C2", "C3"])
        );
        assert_eq!(l.get("company_by_name", "delta"), Found::NotFound);
        assert!(l.files_of("company_by_email").contains("companies.csv"));
    }
}
