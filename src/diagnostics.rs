//! Data-quality findings with stable codes, rendered as text or JSON. Findings are never
//! panics: ingest and analyze report them and go on.
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | MCR001 | info | source columns not used by the profile (ignored) |
//! | MCR002 | warning | a file with a header but no rows |
//! | MCR003 | warning | rows whose account_id is not in accounts (orphans, kept) |
//! | MCR004 | warning | rows rejected (see `_rejects/`) |
//! | MCR005 | info | probabilities read as percentages |
//! | MCR007 | info | `reporting_currency` not set: every amount is in one currency, which the reports use |
//! | MCR008 | info | `reporting_currency` not set and no amount states its currency: CNY assumed (the reports say so) |
//! | MCR009 | warning | labels of an optional enum or yes/no column not in its vocabulary, per file and column: rows and labels counted, the labels listed; the rows kept, the cells read as `other` (activity, employee role, agreement types) or left empty (`--strict` rejects them) |
//! | MCR010 | warning | a file no table of the profile matches (skipped) |
//! | MCR011 | warning | a file of an unsupported type (skipped) |
//! | MCR020 | warning | rows whose lookup key (name, email, domain) matches several records (ambiguous, never guessed) |
//! | MCR021 | warning | rows whose lookup key is not found (column left empty, or row rejected when required) |
//! | MCR022 | warning | no file matches a lookup the profile uses |
//! | MCR023 | info | a lookup built: its keys and source files |
//! | MCR024 | info | a file matched a lookup but has another layout (no key or value column); not read |
//! | MCR030 | warning | analyze: fact rows (and, for revenue, the share of revenue in the window) point to no account |
//! | MCR031 | warning | analyze: keys delivered with different rows by several sources (the first source wins) |
//! | MCR040 | warning | report: a custom query failed (its section shows the error) |
//! | MCR041 | warning | report: the previous report's metrics cannot be read (changes not shown) |
//! | MCR042 | warning | report: earlier reports cannot be listed (changes not shown) |
//! | MCR043 | warning | report: a chart could not be drawn (its place shows the error) |

use serde::Serialize;

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
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            hint: None,
        }
    }
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
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
