//! Accounts derived from facts (`derive_accounts` in a profile): when the sources have no
//! accounts file (an ERP / shop invoice-line export, say), the accounts are the distinct
//! `account_id`s of the accepted revenue (and opportunity) rows, in the order first seen,
//! with whatever account attributes the rows carry (name, country…), each taken from the
//! first row where it is not empty. The name defaults to the id.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use crate::contract::Table;
use crate::profiles::OneOrMany;

/// The account columns a fact row may carry.
pub const ATTRS: [&str; 6] = [
    "name",
    "industry",
    "region",
    "country",
    "owner_id",
    "parent_account_id",
];

/// The accounts collected so far.
#[derive(Debug, Default)]
pub struct DerivedAccounts {
    index: HashMap<String, usize, foldhash::fast::RandomState>,
    ids: Vec<String>,
    values: Vec<[Option<String>; ATTRS.len()]>,
    /// Labels of the files they came from.
    pub sources: Vec<String>,
}

/// Where a file's rows hold the account attributes: (slot in [`ATTRS`], source columns in
/// preference order).
pub type AttrColumns = Vec<(usize, Vec<usize>)>;

/// Resolve a mapping's `derive_accounts` against a file's headers.
pub fn attr_columns(spec: &BTreeMap<String, OneOrMany>, headers: &[String]) -> AttrColumns {
    let norm = |h: &str| h.trim().trim_start_matches('\u{feff}').to_lowercase();
    let heads: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    spec.iter()
        .filter_map(|(attr, srcs)| {
            let slot = ATTRS.iter().position(|a| a == attr)?;
            let ix: Vec<usize> = srcs
                .as_slice()
                .iter()
                .filter_map(|s| heads.iter().position(|h| *h == norm(s)))
                .collect();
            (!ix.is_empty()).then_some((slot, ix))
        })
        .collect()
}

impl DerivedAccounts {
    /// Note an account id seen on an accepted row; `cell` reads the row's source columns.
    /// Returns whether the account now has every attribute (later rows cannot change it).
    pub fn add<'a>(
        &mut self,
        id: &str,
        cols: &AttrColumns,
        cell: impl Fn(usize) -> Option<&'a str>,
    ) -> bool {
        let i = match self.index.get(id) {
            Some(&i) => {
                // Attributes already complete: nothing to read (the common case).
                if cols.iter().all(|(slot, _)| self.values[i][*slot].is_some()) {
                    return true;
                }
                i
            }
            None => {
                self.ids.push(id.to_string());
                self.values.push(Default::default());
                self.index.insert(id.to_string(), self.ids.len() - 1);
                self.ids.len() - 1
            }
        };
        for (slot, ix) in cols {
            if self.values[i][*slot].is_none() {
                self.values[i][*slot] = ix.iter().find_map(|&c| cell(c)).map(str::to_string);
            }
        }
        cols.iter().all(|(slot, _)| self.values[i][*slot].is_some())
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The accounts table (the lake schema; columns the rows do not carry are empty).
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        let n = self.ids.len();
        let mut columns: Vec<Column> = Vec::new();
        for c in Table::Accounts.columns() {
            let name: PlSmallStr = c.name.into();
            let col = if c.name == "account_id" {
                StringChunked::from_iter_values(name, self.ids.iter().map(String::as_str))
                    .into_series()
                    .into_column()
            } else if let Some(slot) = ATTRS.iter().position(|a| *a == c.name) {
                let vals = self.values.iter().zip(&self.ids).map(|(v, id)| {
                    v[slot]
                        .as_deref()
                        .or((c.name == "name").then_some(id.as_str()))
                });
                StringChunked::from_iter_options(name, vals)
                    .into_series()
                    .into_column()
            } else {
                Column::full_null(name, n, &c.ty.polars_dtype())
            };
            columns.push(col);
        }
        DataFrame::new(n, columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_empty_attribute_wins_and_name_defaults_to_the_id() {
        let headers: Vec<String> = ["CustomerID", "Country", "Customer Name"]
            .map(String::from)
            .to_vec();
        let spec: BTreeMap<String, OneOrMany> = [
            ("country".to_string(), OneOrMany::One("Country".into())),
            ("name".to_string(), OneOrMany::One("customer name".into())),
        ]
        .into_iter()
        .collect();
        let cols = attr_columns(&spec, &headers);
        let mut d = DerivedAccounts::default();
        let rows = [
            ["17850", "", ""],
            ["17850", "United Kingdom", "Acme"],
            ["12345", "France", ""],
            ["17850", "Germany", "Other"],
        ];
        for r in &rows {
            d.add(r[0], &cols, |i| Some(r[i]).filter(|s| !s.is_empty()));
        }
        let df = d.frame().unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.width(), Table::Accounts.columns().len());
        let s = |c: &str| -> Vec<Option<String>> {
            df.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(String::from))
                .collect()
        };
        assert_eq!(
            s("account_id"),
            vec![Some("17850".into()), Some("12345".into())]
        );
        assert_eq!(
            s("country"),
            vec![Some("United Kingdom".into()), Some("France".into())]
        );
        assert_eq!(s("name"), vec![Some("Acme".into()), Some("12345".into())]);
    }
}
