//! Domain values shared by every stage: report language and audience, value tier and the
//! revenue source. They live here, in the bottom layer, so that `settings`, `metrics` and
//! `report` agree on one type; `cli.rs` maps its clap values onto them.

use std::fmt;

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The config/CLI spelling (`zh`, `en`).
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// What a report burst splits by (`mcr report --burst`): each account owner's or each
/// region's book of accounts gets its own pages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BurstKind {
    Owner,
    Region,
}

impl BurstKind {
    /// The config/CLI spelling and the `kind` column of `bursts.csv`.
    pub fn name(self) -> &'static str {
        match self {
            BurstKind::Owner => "owner",
            BurstKind::Region => "region",
        }
    }

    /// The folder under `<reports>/<as_of>/` holding one folder per book.
    pub fn folder(self) -> &'static str {
        match self {
            BurstKind::Owner => "by-owner",
            BurstKind::Region => "by-region",
        }
    }
}

/// The list of bursts inside `<reports>/<as_of>/`: written by `mcr report --burst`, read by
/// `mcr deliver`.
pub const BURSTS_FILE: &str = "bursts.csv";

/// The exact header of [`BURSTS_FILE`].
pub const BURSTS_HEADER: [&str; 7] = [
    "kind",
    "key",
    "name",
    "email",
    "accounts",
    "revenue_12m",
    "folder",
];

/// Report audience: one page per audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Strategy,
    Finance,
    Leadership,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Strategy, Audience::Finance, Audience::Leadership];
    /// The page's file stem and CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            Audience::Strategy => "strategy",
            Audience::Finance => "finance",
            Audience::Leadership => "leadership",
        }
    }
}

/// Value tier (metrics.md "Tiers"): S 战略, A 伙伴, B 优先, C 一般.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    S,
    A,
    B,
    C,
}

impl Tier {
    /// Highest first, the order of every tier table and chart.
    pub const ALL: [Tier; 4] = [Tier::S, Tier::A, Tier::B, Tier::C];

    /// The code stored in the `tier` columns.
    pub fn code(self) -> &'static str {
        match self {
            Tier::S => "S",
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
        }
    }

    /// Parse a stored tier code; anything else (null, "none") is `None`.
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "S" => Some(Tier::S),
            "A" => Some(Tier::A),
            "B" => Some(Tier::B),
            "C" => Some(Tier::C),
            _ => None,
        }
    }

    /// S and A: the accounts the method calls strategic and partner, whose relationships
    /// the key-person and depth checks watch most closely.
    pub fn is_key(self) -> bool {
        matches!(self, Tier::S | Tier::A)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a stored tier code is S or A (null and unknown codes are not).
pub fn is_key_tier(code: Option<&str>) -> bool {
    code.and_then(Tier::parse).is_some_and(Tier::is_key)
}

/// Where analyze took revenue from (summary `revenue_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevenueSource {
    /// The `revenue` table: invoices and credit notes.
    Revenue,
    /// No revenue table: won opportunities stand in for revenue.
    WonOpportunities,
}

impl RevenueSource {
    /// The spelling stored in the summary (`revenue`, `won_opportunities`).
    pub fn name(self) -> &'static str {
        match self {
            RevenueSource::Revenue => "revenue",
            RevenueSource::WonOpportunities => "won_opportunities",
        }
    }
}

/// Level of a concentration row: single accounts, or groups (accounts rolled up to their
/// top-most parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SliceLevel {
    Account,
    Group,
}

impl SliceLevel {
    /// The spelling stored in `concentration.level` and `major_customers[].level`.
    pub fn name(self) -> &'static str {
        match self {
            SliceLevel::Account => "account",
            SliceLevel::Group => "group",
        }
    }
}

/// Dimension of a concentration slice (`concentration.dimension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    All,
    Industry,
    Region,
    ProductLine,
    Year,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::All,
        Dimension::Industry,
        Dimension::Region,
        Dimension::ProductLine,
        Dimension::Year,
    ];

    /// The spelling stored in `concentration.dimension`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::All => "all",
            Dimension::Industry => "industry",
            Dimension::Region => "region",
            Dimension::ProductLine => "product_line",
            Dimension::Year => "year",
        }
    }
}

/// The customer-selection cells (metrics.md "Market insight": wallet × share of wallet), in
/// the order the report lists them.
pub const SELECTION_CELLS: [&str; 4] = ["grow", "defend", "maintain", "selective"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_codes_round_trip_and_key_tiers() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.code()), Some(t));
        }
        assert_eq!(Tier::parse("none"), None);
        assert!(is_key_tier(Some("S")) && is_key_tier(Some("A")));
        assert!(!is_key_tier(Some("B")) && !is_key_tier(Some("C")) && !is_key_tier(None));
    }
}
