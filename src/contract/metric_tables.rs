//! The metric tables `mcr analyze` writes under `lake/metrics/as_of=…/` (interface.md "Lake
//! layout"): every table's columns with their dtypes, declared once.
//!
//! Analyze checks each table against its declaration before writing ([`check`]; a mismatch is
//! an internal error naming table and column), and the report reads the tables only through
//! the column constants below ([`MetricColumn::f64s`], [`MetricColumn::strs`],
//! [`MetricColumn::bools`]), which fail — naming table and column — when a column the report
//! needs is missing or has another type. A column documented as optional (`optional` below:
//! the extras of `accounts` and `employees` that interface.md does not list) may be absent;
//! reading it then gives `None` on every row.
//!
//! Column names are constants (`accounts::TIER`, `concentration::VALUE`…), so a renamed column
//! is one edit here, and the end-to-end tests notice when analyze and report disagree.

use std::fmt;

use polars::prelude::{DataFrame, DataType};

/// A metric table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricTable {
    Accounts,
    Concentration,
    Employees,
    TierMigration,
    Competitors,
    Evidence,
    AccountQuarters,
    Deals,
}

impl MetricTable {
    /// Every metric table, in the order analyze writes them.
    pub const ALL: [MetricTable; 8] = [
        MetricTable::Accounts,
        MetricTable::Concentration,
        MetricTable::Employees,
        MetricTable::TierMigration,
        MetricTable::Competitors,
        MetricTable::Evidence,
        MetricTable::AccountQuarters,
        MetricTable::Deals,
    ];

    /// The file stem (`<name>.parquet`, `<name>.csv`) and the SQL name after `metrics_`.
    pub fn name(self) -> &'static str {
        match self {
            MetricTable::Accounts => "accounts",
            MetricTable::Concentration => "concentration",
            MetricTable::Employees => "employees",
            MetricTable::TierMigration => "tier_migration",
            MetricTable::Competitors => "competitors",
            MetricTable::Evidence => "evidence",
            MetricTable::AccountQuarters => "account_quarters",
            MetricTable::Deals => "deals",
        }
    }

    /// The declared columns, in the order analyze writes them.
    pub fn columns(self) -> &'static [MetricColumn] {
        match self {
            MetricTable::Accounts => accounts::ALL,
            MetricTable::Concentration => concentration::ALL,
            MetricTable::Employees => employees::ALL,
            MetricTable::TierMigration => tier_migration::ALL,
            MetricTable::Competitors => competitors::ALL,
            MetricTable::Evidence => evidence::ALL,
            MetricTable::AccountQuarters => account_quarters::ALL,
            MetricTable::Deals => deals::ALL,
        }
    }

    /// The declared column `name`, if any.
    pub fn column(self, name: &str) -> Option<&'static MetricColumn> {
        self.columns().iter().find(|c| c.name == name)
    }
}

impl fmt::Display for MetricTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The dtype of a metric column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Str,
    F64,
    U32,
    U64,
    I64,
    Bool,
    Date,
}

impl MetricType {
    /// The polars dtype analyze writes.
    pub fn dtype(self) -> DataType {
        match self {
            MetricType::Str => DataType::String,
            MetricType::F64 => DataType::Float64,
            MetricType::U32 => DataType::UInt32,
            MetricType::U64 => DataType::UInt64,
            MetricType::I64 => DataType::Int64,
            MetricType::Bool => DataType::Boolean,
            MetricType::Date => DataType::Date,
        }
    }

    fn is_numeric(self) -> bool {
        matches!(
            self,
            MetricType::F64 | MetricType::U32 | MetricType::U64 | MetricType::I64
        )
    }
}

/// One declared column of a metric table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricColumn {
    pub table: MetricTable,
    pub name: &'static str,
    pub ty: MetricType,
    /// Documented optional: analyze may leave it out and readers get `None` when it is absent.
    pub optional: bool,
}

/// A metric table that does not match its declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A required column is absent.
    #[error("metric table `{table}` has no column `{column}`")]
    Missing { table: MetricTable, column: String },
    /// A column has another dtype than declared.
    #[error("metric table `{table}`: column `{column}` is {found}, expected {expected}")]
    Type {
        table: MetricTable,
        column: String,
        expected: String,
        found: String,
    },
    /// A column that is not declared (analyze only: readers ignore extra columns).
    #[error("metric table `{table}` has a column `{column}` that is not declared in contract::metric_tables")]
    Undeclared { table: MetricTable, column: String },
    /// A reader asked for a column as a kind it cannot be read as (a bug in the reader).
    #[error("metric table `{table}`: column `{column}` ({ty:?}) cannot be read as {wanted}")]
    Accessor {
        table: MetricTable,
        column: String,
        ty: MetricType,
        wanted: &'static str,
    },
}

impl SchemaError {
    /// The table concerned.
    pub fn table(&self) -> MetricTable {
        match self {
            SchemaError::Missing { table, .. }
            | SchemaError::Type { table, .. }
            | SchemaError::Undeclared { table, .. }
            | SchemaError::Accessor { table, .. } => *table,
        }
    }

    /// The column concerned.
    pub fn column(&self) -> &str {
        match self {
            SchemaError::Missing { column, .. }
            | SchemaError::Type { column, .. }
            | SchemaError::Undeclared { column, .. }
            | SchemaError::Accessor { column, .. } => column,
        }
    }
}

/// Check a table analyze is about to write: every required column present, every column
/// declared, every dtype as declared.
pub fn check(table: MetricTable, df: &DataFrame) -> Result<(), SchemaError> {
    for c in table.columns() {
        match df.column(c.name) {
            Ok(col) if *col.dtype() != c.ty.dtype() => {
                return Err(SchemaError::Type {
                    table,
                    column: c.name.to_string(),
                    expected: c.ty.dtype().to_string(),
                    found: col.dtype().to_string(),
                })
            }
            Ok(_) => {}
            Err(_) if c.optional => {}
            Err(_) => {
                return Err(SchemaError::Missing {
                    table,
                    column: c.name.to_string(),
                })
            }
        }
    }
    if let Some(extra) = df
        .get_column_names()
        .into_iter()
        .find(|n| table.column(n.as_str()).is_none())
    {
        return Err(SchemaError::Undeclared {
            table,
            column: extra.to_string(),
        });
    }
    Ok(())
}

impl MetricColumn {
    /// The column of `df` after checking its dtype (an all-null column passes); `None` when an
    /// optional column is absent.
    fn get<'a>(
        &self,
        df: &'a DataFrame,
    ) -> Result<Option<&'a polars::prelude::Column>, SchemaError> {
        let Ok(col) = df.column(self.name) else {
            return if self.optional {
                Ok(None)
            } else {
                Err(SchemaError::Missing {
                    table: self.table,
                    column: self.name.to_string(),
                })
            };
        };
        if *col.dtype() != self.ty.dtype() && *col.dtype() != DataType::Null {
            return Err(SchemaError::Type {
                table: self.table,
                column: self.name.to_string(),
                expected: self.ty.dtype().to_string(),
                found: col.dtype().to_string(),
            });
        }
        Ok(Some(col))
    }

    fn wrong(&self, wanted: &'static str) -> SchemaError {
        SchemaError::Accessor {
            table: self.table,
            column: self.name.to_string(),
            ty: self.ty,
            wanted,
        }
    }

    /// A numeric column as `f64` per row.
    pub fn f64s(&self, df: &DataFrame) -> Result<Vec<Option<f64>>, SchemaError> {
        if !self.ty.is_numeric() {
            return Err(self.wrong("a number"));
        }
        let Some(col) = self.get(df)? else {
            return Ok(vec![None; df.height()]);
        };
        let cast = col
            .cast(&DataType::Float64)
            .map_err(|_| self.wrong("a number"))?;
        let ca = cast.f64().map_err(|_| self.wrong("a number"))?;
        Ok(ca.iter().collect())
    }

    /// A string column per row; empty (or blank) strings read as `None`.
    pub fn strs(&self, df: &DataFrame) -> Result<Vec<Option<String>>, SchemaError> {
        if self.ty != MetricType::Str {
            return Err(self.wrong("text"));
        }
        let Some(col) = self.get(df)? else {
            return Ok(vec![None; df.height()]);
        };
        let cast = col
            .cast(&DataType::String)
            .map_err(|_| self.wrong("text"))?;
        let ca = cast.str().map_err(|_| self.wrong("text"))?;
        Ok(ca
            .iter()
            .map(|v| v.map(str::to_string).filter(|s| !s.trim().is_empty()))
            .collect())
    }

    /// A boolean column per row.
    pub fn bools(&self, df: &DataFrame) -> Result<Vec<Option<bool>>, SchemaError> {
        if self.ty != MetricType::Bool {
            return Err(self.wrong("a boolean"));
        }
        let Some(col) = self.get(df)? else {
            return Ok(vec![None; df.height()]);
        };
        let cast = col
            .cast(&DataType::Boolean)
            .map_err(|_| self.wrong("a boolean"))?;
        let ca = cast.bool().map_err(|_| self.wrong("a boolean"))?;
        Ok(ca.iter().collect())
    }
}

/// Declares a table's columns as constants plus `ALL` (in write order).
macro_rules! columns {
    ($table:expr; $( $(#[$doc:meta])* $konst:ident = $name:literal : $ty:ident $($opt:ident)? ;)*) => {
        use super::{MetricColumn, MetricTable, MetricType};
        $(
            $(#[$doc])*
            pub const $konst: MetricColumn = MetricColumn {
                table: $table,
                name: $name,
                ty: MetricType::$ty,
                optional: columns!(@opt $($opt)?),
            };
        )*
        /// Every column, in the order analyze writes them.
        pub const ALL: &[MetricColumn] = &[$($konst),*];
    };
    (@opt) => { false };
    (@opt optional) => { true };
}

/// `accounts`: one row per account.
pub mod accounts {
    columns! { MetricTable::Accounts;
        ACCOUNT_ID = "account_id": Str;
        NAME = "name": Str;
        INDUSTRY = "industry": Str;
        REGION = "region": Str;
        GROUP_ID = "group_id": Str;
        REVENUE_12M = "revenue_12m": F64;
        REVENUE_PREV_12M = "revenue_prev_12m": F64;
        MARGIN_12M = "margin_12m": F64;
        ORDERS_12M = "orders_12m": I64;
        PIPELINE_WEIGHTED = "pipeline_weighted": F64;
        GROWTH = "growth": F64;
        VALUE_SCORE = "value_score": F64;
        TIER = "tier": Str;
        TIER_PREV = "tier_prev": Str;
        DECLARED_TIER = "declared_tier": Str;
        ABC_CLASS = "abc_class": Str;
        PARETO_RANK = "pareto_rank": U32;
        CUM_SHARE = "cum_share": F64;
        RFM_R = "rfm_r": U32;
        RFM_F = "rfm_f": U32;
        RFM_M = "rfm_m": U32;
        KRI = "kri": F64;
        GRI = "gri": F64;
        ORI = "ori": F64;
        RDI = "rdi": F64;
        DECISION_CHAIN_STATUS = "decision_chain_status": Str;
        OPPOSITION = "opposition": Bool;
        DM_SUPPORT = "dm_support": F64;
        BUS_FACTOR = "bus_factor": U32;
        SINGLE_THREADED = "single_threaded": Bool;
        IRON_TRIANGLE = "iron_triangle": F64;
        MULTI_HEADED = "multi_headed": Bool;
        QUADRANT = "quadrant": Str;
        WALLET = "wallet": F64;
        WALLET_SHARE = "wallet_share": F64;
        HEADROOM = "headroom": F64;
        SELECTION = "selection": Str;
        // Extras (not listed in interface.md): written by analyze, optional for readers.
        OWNER_ID = "owner_id": Str optional;
        LAST_ORDER_DATE = "last_order_date": Date optional;
        RECENCY_DAYS = "recency_days": I64 optional;
        DEPARTMENTS_ACTIVE = "departments_active": I64 optional;
        DEPARTMENTS_KNOWN = "departments_known": I64 optional;
        ORI_LEVEL = "ori_level": Str optional;
        IRON_TRIANGLE_MISSING = "iron_triangle_missing": Str optional;
        HOLDERS = "holders": Str optional;
    }
}

/// `concentration`: one row per (level, dimension, key, metric).
pub mod concentration {
    columns! { MetricTable::Concentration;
        /// `account` or `group`.
        LEVEL = "level": Str;
        /// `all`, `industry`, `region`, `product_line`, `year`.
        DIMENSION = "dimension": Str;
        KEY = "key": Str;
        METRIC = "metric": Str;
        VALUE = "value": F64;
        CI_LOW = "ci_low": F64;
        CI_HIGH = "ci_high": F64;
    }
}

/// `employees`: key-person figures per employee.
pub mod employees {
    columns! { MetricTable::Employees;
        EMPLOYEE_ID = "employee_id": Str;
        ROLE = "role": Str;
        TEAM = "team": Str;
        ACCOUNTS_HELD = "accounts_held": U64;
        SOLE_HOLDER_REVENUE = "sole_holder_revenue": F64;
        OWNED_REVENUE = "owned_revenue": F64;
        ACCOUNTS_OWNED = "accounts_owned": U64 optional;
        NAME = "name": Str optional;
    }
}

/// `tier_migration`: accounts and revenue per (tier_prev, tier).
pub mod tier_migration {
    columns! { MetricTable::TierMigration;
        TIER_PREV = "tier_prev": Str;
        TIER = "tier": Str;
        ACCOUNTS = "accounts": U64;
        REVENUE_12M = "revenue_12m": F64;
    }
}

/// `competitors`: win/loss per competitor (× industry; null industry = all).
pub mod competitors {
    columns! { MetricTable::Competitors;
        COMPETITOR = "competitor": Str;
        INDUSTRY = "industry": Str;
        DEALS = "deals": U64;
        WON = "won": U64;
        LOST = "lost": U64;
        WIN_RATE = "win_rate": F64;
        WON_AMOUNT = "won_amount": F64;
        LOST_AMOUNT = "lost_amount": F64;
    }
}

/// `account_quarters`: revenue per account and calendar quarter up to as_of (reporting
/// currency; quarters without revenue rows are absent). Not in interface.md: the quarterly
/// trend of the leadership page and the figures of a burst (`mcr report --burst`) are computed
/// from it, so that a burst filters metric tables instead of reading the lake again.
pub mod account_quarters {
    columns! { MetricTable::AccountQuarters;
        ACCOUNT_ID = "account_id": Str;
        /// The quarter's last day.
        QUARTER_END = "quarter_end": Date;
        REVENUE = "revenue": F64;
    }
}

/// `evidence`: the backtest of metrics.md "Evidence".
pub mod evidence {
    columns! { MetricTable::Evidence;
        DIMENSION = "dimension": Str;
        KEY = "key": Str;
        ACCOUNTS = "accounts": U64;
        RDI_MIN = "rdi_min": F64;
        RDI_MAX = "rdi_max": F64;
        REVENUE_12M_T = "revenue_12m_T": F64;
        RETAINED = "retained": U64;
        CHURN_RATE = "churn_rate": F64;
        MEDIAN_GROWTH = "median_growth": F64;
        OPPORTUNITIES_CLOSED = "opportunities_closed": U64;
        OPPORTUNITIES_WON = "opportunities_won": U64;
        WIN_RATE = "win_rate": F64;
        LOOK_BACK = "look_back": Date;
    }
}

/// A table with no rows and every declared column, typed: what a reader gets for a table
/// analyze did not write (a burst has no backtest, for example).
pub fn empty(table: MetricTable) -> DataFrame {
    use polars::prelude::Column;
    let cols: Vec<Column> = table
        .columns()
        .iter()
        .map(|c| Column::new_empty(c.name.into(), &c.ty.dtype()))
        .collect();
    DataFrame::new_infer_height(cols).unwrap_or_default()
}

/// `deals`: one row per open opportunity with the decision chain of its buying group
/// (metrics.md "Deal decision chain").
pub mod deals {
    columns! { MetricTable::Deals;
        OPPORTUNITY_ID = "opportunity_id": Str;
        ACCOUNT_ID = "account_id": Str;
        ACCOUNT_NAME = "account_name": Str;
        NAME = "name": Str;
        /// Reporting currency.
        AMOUNT = "amount": F64;
        /// Fraction 0–1.
        PROBABILITY = "probability": F64;
        /// amount × probability.
        WEIGHTED_AMOUNT = "weighted_amount": F64;
        STAGE = "stage": Str;
        CLOSE_DATE = "close_date": Date;
        OWNER_ID = "owner_id": Str;
        /// `deal` (its deal_contacts rows) or `account` (its account's contacts).
        CHAIN_SOURCE = "chain_source": Str;
        /// Members of the buying group with a decision role other than none.
        BUYING_GROUP = "buying_group": U32;
        DEAL_KRI = "deal_kri": F64;
        /// `red` | `amber` | `green`.
        DEAL_CHAIN_STATUS = "deal_chain_status": Str;
        DECISION_MAKERS_MAPPED = "decision_makers_mapped": U32;
        OPPOSITION_AT_DECISION_MAKER = "opposition_at_decision_maker": Bool;
        /// Decision roles with no supportive member, `;`-separated (decision_maker;evaluator;
        /// technical;procurement), empty when none is missing.
        MISSING_ROLES = "missing_roles": Str;
    }

    /// The decision roles a deal needs a supportive member in; the ones without are
    /// `missing_roles`, in this order.
    pub const CHAIN_ROLES: [&str; 4] = ["decision_maker", "evaluator", "technical", "procurement"];
    /// Separator of the roles in `missing_roles`.
    pub const ROLE_SEPARATOR: &str = ";";
    /// `chain_source` of a deal whose buying group is its own deal_contacts rows.
    pub const SOURCE_DEAL: &str = "deal";
    /// `chain_source` of a deal with no deal_contacts row: its account's contacts.
    pub const SOURCE_ACCOUNT: &str = "account";
}

/// Test data as analyze would write it: `df`'s declared columns cast to their declared dtypes,
/// every other declared column added as typed nulls, extra columns kept at the end.
#[cfg(test)]
pub fn conform(table: MetricTable, df: DataFrame) -> DataFrame {
    use polars::prelude::{Column, Series};
    let n = df.height();
    let mut cols: Vec<Column> = Vec::new();
    for c in table.columns() {
        let col = match df.column(c.name) {
            Ok(col) => col.cast(&c.ty.dtype()).expect("castable test column"),
            Err(_) => Series::new_null(c.name.into(), n)
                .cast(&c.ty.dtype())
                .expect("null cast")
                .into(),
        };
        cols.push(col);
    }
    // keep extra (undeclared) columns too: readers must ignore them
    for col in df.columns() {
        if table.column(col.name().as_str()).is_none() {
            cols.push(col.clone());
        }
    }
    DataFrame::new(n, cols).expect("same heights")
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn every_table_has_unique_column_names_of_its_own_table() {
        for t in MetricTable::ALL {
            let mut names: Vec<&str> = t.columns().iter().map(|c| c.name).collect();
            assert!(t.columns().iter().all(|c| c.table == t), "{t}");
            names.sort();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "{t} declares a column twice");
        }
    }

    #[test]
    fn check_names_table_and_column() {
        let ok = df!("tier_prev" => [Some("A")], "tier" => [Some("S")], "accounts" => [1u64], "revenue_12m" => [2.0f64]).unwrap();
        assert_eq!(check(MetricTable::TierMigration, &ok), Ok(()));
        // a dropped column
        let missing = ok.drop("tier").unwrap();
        let e = check(MetricTable::TierMigration, &missing).unwrap_err();
        assert_eq!(
            (e.table(), e.column()),
            (MetricTable::TierMigration, "tier")
        );
        assert_eq!(
            e.to_string(),
            "metric table `tier_migration` has no column `tier`"
        );
        // another dtype
        let mut typed = ok.clone();
        typed
            .replace("accounts", Column::new("accounts".into(), [1i64]))
            .unwrap();
        let e = check(MetricTable::TierMigration, &typed).unwrap_err();
        assert_eq!(e.column(), "accounts");
        assert!(e.to_string().contains("expected u64"), "{e}");
        // a column nobody declared
        let mut extra = ok.clone();
        extra
            .with_column(Column::new("surprise".into(), [1.0f64]))
            .unwrap();
        let e = check(MetricTable::TierMigration, &extra).unwrap_err();
        assert_eq!(e.column(), "surprise");
        // optional columns may be absent
        let emp = df!(
            "employee_id" => ["E1"], "role" => [Some("AR")], "team" => [None::<&str>],
            "accounts_held" => [1u64], "sole_holder_revenue" => [1.0f64], "owned_revenue" => [2.0f64]
        )
        .unwrap();
        assert_eq!(check(MetricTable::Employees, &emp), Ok(()));
    }

    #[test]
    fn readers_fail_on_missing_or_mistyped_columns_and_read_optional_ones_as_none() {
        let df = df!("tier" => ["S", " "], "accounts" => [1i64, 2], "revenue_12m" => [None, Some(2.5f64)]).unwrap();
        assert_eq!(
            tier_migration::TIER.strs(&df).unwrap(),
            vec![Some("S".to_string()), None]
        );
        assert_eq!(
            tier_migration::REVENUE_12M.f64s(&df).unwrap(),
            vec![None, Some(2.5)]
        );
        let e = tier_migration::TIER_PREV.strs(&df).unwrap_err();
        assert_eq!(
            e.to_string(),
            "metric table `tier_migration` has no column `tier_prev`"
        );
        let e = tier_migration::ACCOUNTS.f64s(&df).unwrap_err();
        assert!(matches!(e, SchemaError::Type { .. }), "{e}");
        // reading a text column as a number is a reader bug, reported as such
        assert!(matches!(
            tier_migration::TIER.f64s(&df),
            Err(SchemaError::Accessor { .. })
        ));
        // optional and absent: None per row
        assert_eq!(employees::NAME.strs(&df).unwrap(), vec![None, None]);
        // an all-null column passes whatever its declared type
        let nulls = DataFrame::new(2, vec![Series::new_null("tier".into(), 2).into()]).unwrap();
        assert_eq!(tier_migration::TIER.strs(&nulls).unwrap(), vec![None, None]);
    }

    #[test]
    fn conform_fills_declared_columns_with_typed_nulls() {
        let df = df!("tier" => ["S"], "accounts" => [3i64], "x" => [1]).unwrap();
        let c = conform(MetricTable::TierMigration, df);
        assert_eq!(c.width(), 5);
        assert!(check(MetricTable::TierMigration, &c.drop("x").unwrap()).is_ok());
        assert_eq!(tier_migration::ACCOUNTS.f64s(&c).unwrap(), vec![Some(3.0)]);
    }
}

#[cfg(test)]
mod hook_tests {
    use super::*;
    use crate::metrics::MetricTables;

    /// The hook `metrics::analyze` runs before returning (and so before anything is written):
    /// a table without a declared column is an error naming both.
    #[test]
    fn analyze_hook_fires_on_a_dropped_column() {
        let empty = |t: MetricTable| conform(t, DataFrame::empty());
        let mut t = MetricTables {
            accounts: empty(MetricTable::Accounts),
            concentration: empty(MetricTable::Concentration),
            employees: empty(MetricTable::Employees),
            tier_migration: empty(MetricTable::TierMigration),
            competitors: empty(MetricTable::Competitors),
            evidence: empty(MetricTable::Evidence),
            account_quarters: empty(MetricTable::AccountQuarters),
            deals: empty(MetricTable::Deals),
            summary: Default::default(),
        };
        assert_eq!(t.check_schemas(), Ok(()));
        t.accounts = t
            .accounts
            .drop(accounts::DECISION_CHAIN_STATUS.name)
            .unwrap();
        let e = t.check_schemas().unwrap_err();
        assert_eq!(
            (e.table(), e.column()),
            (MetricTable::Accounts, "decision_chain_status")
        );
        let e = crate::metrics::MetricsError::from(e);
        assert!(
            e.to_string()
                .starts_with("internal error: metric table `accounts`"),
            "{e}"
        );
        assert!(e.hint().is_some());
    }
}
