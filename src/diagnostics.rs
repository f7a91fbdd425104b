//! Data-quality findings with stable codes, rendered as text or JSON. Findings are never
//! panics: ingest and analyze report them and go on. Every code is a variant of [`Code`];
//! the table below is where the codes are documented (a test checks it against the enum).
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | MCR001 | info | source columns not used by the profile (ignored) |
//! | MCR002 | warning | a file with a header but no rows |
//! | MCR003 | warning | rows whose account_id is not in accounts (orphans, kept) |
//! | MCR004 | warning | rows rejected (see `_rejects/`) |
//! | MCR005 | info | probabilities read as percentages |
//! | MCR006 | info | rows excluded by the profile (`exclude` rules): counted, neither accepted nor rejected |
//! | MCR007 | info | `reporting_currency` not set: every amount is in one currency, which the reports use |
//! | MCR008 | info | `reporting_currency` not set and no amount states its currency: CNY assumed (the reports say so) |
//! | MCR009 | warning | labels of an optional enum or yes/no column not in its vocabulary, per file and column: rows and labels counted, the labels listed; the rows kept, the cells read as `other` (activity, employee role, agreement types) or left empty (`--strict` rejects them) |
//! | MCR010 | warning | a file no table of the profile matches (skipped) |
//! | MCR011 | warning | a file of an unsupported type (skipped) |
//! | MCR012 | warning | an optional table that cannot be mapped (skipped, the metrics it costs named; `--strict` stops instead) |
//! | MCR020 | warning | rows whose lookup key (name, email, domain) matches several records (ambiguous, never guessed) |
//! | MCR021 | warning | rows whose lookup key is not found (column left empty, or row rejected when required) |
//! | MCR022 | warning | no file matches a lookup the profile uses |
//! | MCR023 | info | a lookup built: its keys and source files |
//! | MCR024 | info | a file matched a lookup but has another layout (no key or value column); not read |
//! | MCR025 | info | accounts derived from the facts (no accounts file) |
//! | MCR030 | warning | analyze: fact rows (and, for revenue, the share of revenue in the window) point to no account |
//! | MCR031 | warning | analyze: keys delivered with different rows by several sources (the first source wins) |
//! | MCR040 | warning | report: a custom query failed (its section shows the error) |
//! | MCR041 | warning | report: the previous report's metrics cannot be read (changes not shown) |
//! | MCR042 | warning | report: earlier reports cannot be listed (changes not shown) |
//! | MCR043 | warning | report: a chart could not be drawn (its place shows the error) |
//! | MCR050 | warning | deliver: a burst recipient without a usable e-mail address (skipped, not a failure) |
//! | MCR051 | warning | deliver: a bursts.csv row that cannot be delivered (unknown kind, a folder outside the report folder, no page): counted as failed |
//! | MCR052 | warning | deliver: delivery-log lines that cannot be read (ignored; an interrupted run leaves at most its last line) |

use std::fmt;

use serde::{Serialize, Serializer};

/// Defines [`Code`] from one list: variant, the string shown and serialized, the severity it
/// is reported with and the one-line meaning (the same text as the table above).
macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $meaning:literal;)*) => {
        /// A diagnostic code: one variant per code, never reused for another finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// `"MCR001"`: the code as printed and serialized.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The severity the code is reported with.
            pub const fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// What the code means, in one line.
            pub const fn describe(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    Mcr001 = "MCR001", Info, "source columns not used by the profile (ignored)";
    Mcr002 = "MCR002", Warning, "a file with a header but no rows";
    Mcr003 = "MCR003", Warning, "rows whose account_id is not in accounts (orphans, kept)";
    Mcr004 = "MCR004", Warning, "rows rejected (see `_rejects/`)";
    Mcr005 = "MCR005", Info, "probabilities read as percentages";
    Mcr006 = "MCR006", Info, "rows excluded by the profile (`exclude` rules): counted, neither accepted nor rejected";
    Mcr007 = "MCR007", Info, "`reporting_currency` not set: every amount is in one currency, which the reports use";
    Mcr008 = "MCR008", Info, "`reporting_currency` not set and no amount states its currency: CNY assumed (the reports say so)";
    Mcr009 = "MCR009", Warning, "labels of an optional enum or yes/no column not in its vocabulary, per file and column: rows and labels counted, the labels listed; the rows kept, the cells read as `other` (activity, employee role, agreement types) or left empty (`--strict` rejects them)";
    Mcr010 = "MCR010", Warning, "a file no table of the profile matches (skipped)";
    Mcr011 = "MCR011", Warning, "a file of an unsupported type (skipped)";
    Mcr012 = "MCR012", Warning, "an optional table that cannot be mapped (skipped, the metrics it costs named; `--strict` stops instead)";
    Mcr020 = "MCR020", Warning, "rows whose lookup key (name, email, domain) matches several records (ambiguous, never guessed)";
    Mcr021 = "MCR021", Warning, "rows whose lookup key is not found (column left empty, or row rejected when required)";
    Mcr022 = "MCR022", Warning, "no file matches a lookup the profile uses";
    Mcr023 = "MCR023", Info, "a lookup built: its keys and source files";
    Mcr024 = "MCR024", Info, "a file matched a lookup but has another layout (no key or value column); not read";
    Mcr025 = "MCR025", Info, "accounts derived from the facts (no accounts file)";
    Mcr030 = "MCR030", Warning, "analyze: fact rows (and, for revenue, the share of revenue in the window) point to no account";
    Mcr031 = "MCR031", Warning, "analyze: keys delivered with different rows by several sources (the first source wins)";
    Mcr040 = "MCR040", Warning, "report: a custom query failed (its section shows the error)";
    Mcr041 = "MCR041", Warning, "report: the previous report's metrics cannot be read (changes not shown)";
    Mcr042 = "MCR042", Warning, "report: earlier reports cannot be listed (changes not shown)";
    Mcr043 = "MCR043", Warning, "report: a chart could not be drawn (its place shows the error)";
    Mcr050 = "MCR050", Warning, "deliver: a burst recipient without a usable e-mail address (skipped, not a failure)";
    Mcr051 = "MCR051", Warning, "deliver: a bursts.csv row that cannot be delivered (unknown kind, a folder outside the report folder, no page): counted as failed";
    Mcr052 = "MCR052", Warning, "deliver: delivery-log lines that cannot be read (ignored; an interrupted run leaves at most its last line)";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            hint: None,
        }
    }
    pub fn info(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `warning[MCR003]: message` plus an indented `hint:` line.
    pub fn render(&self) -> String {
        let sev = match self.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match &self.hint {
            Some(h) => format!("{sev}[{}]: {}\n  hint: {h}", self.code, self.message),
            None => format!("{sev}[{}]: {}", self.code, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The rows of the codes table in this file's module documentation: code → (severity,
    /// meaning), and every code listed (with repeats).
    fn documented() -> (BTreeMap<String, (String, String)>, Vec<String>) {
        let mut rows = BTreeMap::new();
        let mut listed = Vec::new();
        for line in include_str!("diagnostics.rs").lines() {
            let Some(row) = line.strip_prefix("//! | MCR") else {
                continue;
            };
            let cells: Vec<&str> = row
                .trim_end()
                .trim_end_matches('|')
                .splitn(3, '|')
                .collect();
            assert_eq!(cells.len(), 3, "table row: {line}");
            let code = format!("MCR{}", cells[0].trim());
            listed.push(code.clone());
            rows.insert(
                code,
                (cells[1].trim().to_string(), cells[2].trim().to_string()),
            );
        }
        (rows, listed)
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(
                s.len() == 6 && s.starts_with("MCR") && s[3..].bytes().all(|b| b.is_ascii_digit()),
                "{s} is not MCR + three digits"
            );
            assert!(seen.insert(s), "{s} is used by two variants");
            assert_eq!(
                format!("{c:?}").to_uppercase(),
                s,
                "variant name and code differ"
            );
            assert!(!c.describe().is_empty(), "{s} has no description");
        }
        assert_eq!(seen.len(), Code::ALL.len());
    }

    #[test]
    fn every_code_documented_once() {
        let (rows, listed) = documented();
        for c in Code::ALL {
            let n = listed.iter().filter(|l| *l == c.as_str()).count();
            assert_eq!(
                n,
                1,
                "{} is listed {n} times in the codes table",
                c.as_str()
            );
            let (sev, meaning) = &rows[c.as_str()];
            let want = serde_json::to_value(c.severity()).unwrap();
            assert_eq!(sev, want.as_str().unwrap(), "{}: severity", c.as_str());
            assert_eq!(meaning, c.describe(), "{}: meaning", c.as_str());
        }
        for l in &listed {
            assert!(
                Code::ALL.iter().any(|c| c.as_str() == l),
                "{l} is documented but is no Code"
            );
        }
    }

    #[test]
    fn code_serializes_and_renders_as_its_string() {
        let d = Diagnostic::warning(Code::Mcr003, "m").with_hint("h");
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["code"], "MCR003");
        assert_eq!(j["severity"], "warning");
        assert_eq!(d.render(), "warning[MCR003]: m\n  hint: h");
        assert!(d.code == "MCR003");
    }
}
