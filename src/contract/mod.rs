//! The canonical data contract (`../shared/spec/data-contract.md`): tables, their columns,
//! types and the enum vocabularies with their accepted Chinese and English labels.
//!
//! Everything downstream of ingest (lake, metrics, reports) relies on these names and types:
//! a lake table holds exactly the columns listed here, typed as [`ColType::polars_dtype`].

pub mod currency;
pub mod domain;
pub mod metric_tables;
pub mod summary;
pub mod values;
pub mod vocab;

pub use domain::{
    is_key_tier, Audience, BurstKind, Dimension, Lang, RevenueSource, SliceLevel, Tier,
    BURSTS_FILE, BURSTS_HEADER,
};

use std::fmt;

/// A canonical table.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Accounts,
    Contacts,
    Opportunities,
    Revenue,
    Activities,
    Employees,
    Agreements,
    Surveys,
    FxRates,
    /// The buying group of each deal (optional; metrics.md "Deal decision chain").
    DealContacts,
}

impl Table {
    /// Every table, in ingest order (parents before children so foreign keys can be checked).
    pub const ALL: [Table; 10] = [
        Table::Accounts,
        Table::Employees,
        Table::Contacts,
        Table::Opportunities,
        Table::DealContacts,
        Table::Revenue,
        Table::Activities,
        Table::Agreements,
        Table::Surveys,
        Table::FxRates,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Contacts => "contacts",
            Table::Opportunities => "opportunities",
            Table::Revenue => "revenue",
            Table::Activities => "activities",
            Table::Employees => "employees",
            Table::Agreements => "agreements",
            Table::Surveys => "surveys",
            Table::FxRates => "fx_rates",
            Table::DealContacts => "deal_contacts",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        let n = name.trim().to_ascii_lowercase();
        Table::ALL.into_iter().find(|t| t.name() == n)
    }

    /// The lake schema of this table: its columns, in lake order, with their dtypes.
    pub fn schema(self) -> polars::prelude::Schema {
        self.columns()
            .iter()
            .map(|c| polars::prelude::Field::new(c.name.into(), c.ty.polars_dtype()))
            .collect()
    }

    /// The columns of this table, in lake order.
    pub fn columns(self) -> &'static [Column] {
        use ColType::*;
        const fn c(name: &'static str, ty: ColType, required: bool) -> Column {
            Column { name, ty, required }
        }
        match self {
            Table::Accounts => {
                const COLS: &[Column] = &[
                    c("account_id", Str, true),
                    c("name", Str, true),
                    c("industry", Str, false),
                    c("region", Str, false),
                    c("country", Str, false),
                    c("owner_id", Str, false),
                    c("parent_account_id", Str, false),
                    c("declared_tier", Enum(EnumKind::Tier), false),
                    c("created_date", Date, false),
                    c("annual_revenue", Float, false),
                    c("potential", Float, false),
                ];
                COLS
            }
            Table::Contacts => {
                const COLS: &[Column] = &[
                    c("contact_id", Str, true),
                    c("account_id", Str, true),
                    c("name", Str, false),
                    c("email", Str, false),
                    c("phone", Str, false),
                    c("title", Str, false),
                    c("department", Str, false),
                    c("level", Enum(EnumKind::Level), false),
                    c("decision_role", Enum(EnumKind::DecisionRole), false),
                    c("support", Enum(EnumKind::Support), false),
                    c("intimacy", Enum(EnumKind::Intimacy), false),
                    c("owner_id", Str, false),
                ];
                COLS
            }
            Table::Opportunities => {
                const COLS: &[Column] = &[
                    c("opportunity_id", Str, true),
                    c("account_id", Str, true),
                    c("name", Str, false),
                    c("amount", Float, false),
                    c("currency", Str, false),
                    c("stage", Str, false),
                    c("probability", Float, false),
                    c("close_date", Date, false),
                    c("created_date", Date, false),
                    c("is_closed", Bool, false),
                    c("is_won", Bool, false),
                    c("owner_id", Str, false),
                    c("product_line", Str, false),
                    c("competitor", Str, false),
                    c("loss_reason", Str, false),
                ];
                COLS
            }
            Table::Revenue => {
                const COLS: &[Column] = &[
                    c("document_id", Str, true),
                    c("account_id", Str, true),
                    c("date", Date, true),
                    c("amount", Float, true),
                    c("currency", Str, false),
                    c("gross_margin", Float, false),
                    c("product_line", Str, false),
                ];
                COLS
            }
            Table::Activities => {
                const COLS: &[Column] = &[
                    c("activity_id", Str, true),
                    c("account_id", Str, true),
                    c("contact_id", Str, false),
                    c("employee_id", Str, false),
                    c("date", Date, true),
                    c("type", Enum(EnumKind::ActivityType), false),
                    c("subject", Str, false),
                ];
                COLS
            }
            Table::Employees => {
                const COLS: &[Column] = &[
                    c("employee_id", Str, true),
                    c("name", Str, false),
                    c("role", Enum(EnumKind::EmployeeRole), false),
                    c("team", Str, false),
                    c("region", Str, false),
                    c("active", Bool, false),
                    c("left_date", Date, false),
                    c("email", Str, false),
                ];
                COLS
            }
            Table::Agreements => {
                const COLS: &[Column] = &[
                    c("agreement_id", Str, true),
                    c("account_id", Str, true),
                    c("type", Enum(EnumKind::AgreementType), false),
                    c("start_date", Date, true),
                    c("end_date", Date, false),
                ];
                COLS
            }
            Table::Surveys => {
                const COLS: &[Column] = &[
                    c("account_id", Str, true),
                    c("date", Date, true),
                    c("score", Float, false),
                    c("respondent_level", Enum(EnumKind::Level), false),
                ];
                COLS
            }
            Table::FxRates => {
                const COLS: &[Column] = &[
                    c("currency", Str, true),
                    c("rate_to_reporting", Float, true),
                    c("valid_from", Date, false),
                ];
                COLS
            }
            Table::DealContacts => {
                const COLS: &[Column] = &[
                    c("opportunity_id", Str, true),
                    c("contact_id", Str, true),
                    c("role", Enum(EnumKind::DecisionRole), false),
                    c("is_primary", Bool, false),
                    c("support", Enum(EnumKind::Support), false),
                    c("intimacy", Enum(EnumKind::Intimacy), false),
                ];
                COLS
            }
        }
    }

    /// The primary key column, if the table has one (duplicates within a file are rejected).
    pub fn key(self) -> Option<&'static str> {
        match self {
            Table::Accounts => Some("account_id"),
            Table::Contacts => Some("contact_id"),
            Table::Opportunities => Some("opportunity_id"),
            Table::Revenue => Some("document_id"),
            Table::Activities => Some("activity_id"),
            Table::Employees => Some("employee_id"),
            Table::Agreements => Some("agreement_id"),
            // Keyed by (opportunity_id, contact_id): a pair, not one column. Rows are kept
            // as they come (content-keyed like surveys); metrics use the first row of a pair.
            Table::Surveys | Table::FxRates | Table::DealContacts => None,
        }
    }

    /// The columns that identify a row, when that is more than one column
    /// (`deal_contacts`: opportunity_id and contact_id).
    pub fn compound_key(self) -> Option<&'static [&'static str]> {
        match self {
            Table::DealContacts => Some(&["opportunity_id", "contact_id"]),
            _ => None,
        }
    }

    /// Whether rows of this table refer to `accounts.account_id` (orphans are counted).
    pub fn has_account_fk(self) -> bool {
        self.columns().iter().any(|c| c.name == "account_id") && self != Table::Accounts
    }

    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    pub required: bool,
}

/// The contract's column types and how they are stored in the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Trimmed string (`String`).
    Str,
    /// Decimal amount (`Float64`).
    Float,
    /// Calendar date (`Date`).
    Date,
    /// Boolean (`Boolean`).
    Bool,
    /// Enumerated value: stored as its canonical English token (`String`), except the
    /// integer scales `support` and `intimacy`, stored as `Int32`.
    Enum(EnumKind),
}

impl ColType {
    pub fn polars_dtype(self) -> polars::prelude::DataType {
        use polars::prelude::DataType;
        match self {
            ColType::Str => DataType::String,
            ColType::Float => DataType::Float64,
            ColType::Date => DataType::Date,
            ColType::Bool => DataType::Boolean,
            ColType::Enum(k) if k.is_integer() => DataType::Int32,
            ColType::Enum(_) => DataType::String,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ColType::Str => "str",
            ColType::Float => "float",
            ColType::Date => "date",
            ColType::Bool => "bool",
            ColType::Enum(k) if k.is_integer() => "int",
            ColType::Enum(_) => "enum",
        }
    }
}

/// The enumerated vocabularies of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnumKind {
    Tier,
    Level,
    DecisionRole,
    Support,
    Intimacy,
    ActivityType,
    EmployeeRole,
    AgreementType,
}

impl EnumKind {
    /// Every enum kind.
    pub const ALL: [EnumKind; 8] = [
        EnumKind::Tier,
        EnumKind::Level,
        EnumKind::DecisionRole,
        EnumKind::Support,
        EnumKind::Intimacy,
        EnumKind::ActivityType,
        EnumKind::EmployeeRole,
        EnumKind::AgreementType,
    ];

    pub fn is_integer(self) -> bool {
        matches!(self, EnumKind::Support | EnumKind::Intimacy)
    }

    /// Canonical values (for integer kinds, the decimal digits).
    pub fn values(self) -> &'static [&'static str] {
        match self {
            EnumKind::Tier => &["S", "A", "B", "C"],
            EnumKind::Level => &["executive", "middle", "base"],
            EnumKind::DecisionRole => &[
                "decision_maker",
                "evaluator",
                "technical",
                "procurement",
                "user",
                "influencer",
                "none",
            ],
            EnumKind::Support => &["-2", "-1", "0", "1", "2", "3"],
            EnumKind::Intimacy => &["0", "1", "2", "3", "4"],
            EnumKind::ActivityType => &[
                "meeting",
                "call",
                "email",
                "visit",
                "executive_visit",
                "strategic_meeting",
                "hq_visit",
                "reference_visit",
                "event",
                "meal",
                "other",
            ],
            EnumKind::EmployeeRole => &["AR", "SR", "FR", "executive", "other"],
            EnumKind::AgreementType => &[
                "strategic_cooperation",
                "exclusive",
                "joint_innovation",
                "framework",
                "other",
            ],
        }
    }

    /// Built-in labels (lower-cased, trimmed) → canonical value, value by value in the order
    /// of [`EnumKind::values`]. Profiles add their own on top. They are data: the `labels` of
    /// `[enums.<kind>.<value>]` in `vocabulary.toml` ([`vocab`]).
    pub fn labels(self) -> &'static [(&'static str, &'static str)] {
        vocab::labels(vocab::Target::Enum(self))
    }

    pub fn name(self) -> &'static str {
        match self {
            EnumKind::Tier => "tier",
            EnumKind::Level => "level",
            EnumKind::DecisionRole => "decision_role",
            EnumKind::Support => "support",
            EnumKind::Intimacy => "intimacy",
            EnumKind::ActivityType => "activity_type",
            EnumKind::EmployeeRole => "employee_role",
            EnumKind::AgreementType => "agreement_type",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_maps_to_a_canonical_value() {
        for t in Table::ALL {
            for c in t.columns() {
                if let ColType::Enum(k) = c.ty {
                    for (label, value) in k.labels() {
                        assert!(
                            k.values().contains(value),
                            "{label} -> {value} in {}",
                            k.name()
                        );
                        assert_eq!(label.trim(), *label);
                        assert_eq!(label.to_lowercase(), *label);
                    }
                }
            }
        }
    }

    #[test]
    fn table_names_round_trip() {
        for t in Table::ALL {
            assert_eq!(Table::from_name(t.name()), Some(t));
        }
        assert_eq!(Table::from_name(" Accounts "), Some(Table::Accounts));
        assert_eq!(Table::from_name("nope"), None);
    }
}
