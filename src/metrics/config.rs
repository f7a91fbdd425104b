//! Nested sections of [`super::MetricsConfig`].

use serde::{Deserialize, Serialize};

/// value_score weights (`[metrics.value_score_weights]`); an input missing for every account
/// drops out and the rest are renormalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValueScoreWeights {
    /// Weight of revenue_12m. Default 0.55.
    pub revenue_12m: f64,
    /// Weight of margin_12m. Default 0.15.
    pub margin_12m: f64,
    /// Weight of growth. Default 0.15.
    pub growth: f64,
    /// Weight of pipeline_weighted. Default 0.15.
    pub pipeline_weighted: f64,
}

impl Default for ValueScoreWeights {
    fn default() -> Self {
        ValueScoreWeights {
            revenue_12m: 0.55,
            margin_12m: 0.15,
            growth: 0.15,
            pipeline_weighted: 0.15,
        }
    }
}

/// Key relationship index settings (`[metrics.kri]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KriConfig {
    /// Weight of support/3 in the contact strength k. Default 0.7.
    pub support_weight: f64,
    /// Weight of intimacy/4 in the contact strength k. Default 0.3.
    pub intimacy_weight: f64,
    /// Role power p per decision role.
    pub role_power: RolePower,
}

impl Default for KriConfig {
    fn default() -> Self {
        KriConfig {
            support_weight: 0.7,
            intimacy_weight: 0.3,
            role_power: RolePower::default(),
        }
    }
}

/// Role power p of each decision role (`[metrics.kri.role_power]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolePower {
    /// Default 3.
    pub decision_maker: f64,
    /// Default 2.
    pub evaluator: f64,
    /// Default 2.
    pub technical: f64,
    /// Default 2.
    pub procurement: f64,
    /// Default 1.
    pub influencer: f64,
    /// Default 1.
    pub user: f64,
}

impl Default for RolePower {
    fn default() -> Self {
        RolePower {
            decision_maker: 3.0,
            evaluator: 2.0,
            technical: 2.0,
            procurement: 2.0,
            influencer: 1.0,
            user: 1.0,
        }
    }
}

impl RolePower {
    /// (canonical decision_role token, power).
    pub fn pairs(&self) -> [(&'static str, f64); 6] {
        [
            ("decision_maker", self.decision_maker),
            ("evaluator", self.evaluator),
            ("technical", self.technical),
            ("procurement", self.procurement),
            ("influencer", self.influencer),
            ("user", self.user),
        ]
    }
}

/// Target number of active contacts per level for one tier (each accepted 0 to 1000).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelTargets {
    pub executive: u32,
    pub middle: u32,
    pub base: u32,
}

impl LevelTargets {
    pub fn as_array(&self) -> [u32; 3] {
        [self.executive, self.middle, self.base]
    }
}

/// GRI targets per tier (`[metrics.gri_targets]`); accounts with no tier use C's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GriTargets {
    /// Default executive 3, middle 6, base 10.
    #[serde(rename = "S")]
    pub s: LevelTargets,
    /// Default 2 / 4 / 6.
    #[serde(rename = "A")]
    pub a: LevelTargets,
    /// Default 1 / 2 / 3.
    #[serde(rename = "B")]
    pub b: LevelTargets,
    /// Default 0 / 1 / 2 (a 0 target drops that level).
    #[serde(rename = "C")]
    pub c: LevelTargets,
}

impl Default for GriTargets {
    fn default() -> Self {
        let t = |executive, middle, base| LevelTargets {
            executive,
            middle,
            base,
        };
        GriTargets {
            s: t(3, 6, 10),
            a: t(2, 4, 6),
            b: t(1, 2, 3),
            c: t(0, 1, 2),
        }
    }
}

impl GriTargets {
    /// Targets of a tier (None = no tier → C).
    pub fn for_tier(&self, tier: Option<&str>) -> [u32; 3] {
        match tier {
            Some("S") => self.s.as_array(),
            Some("A") => self.a.as_array(),
            Some("B") => self.b.as_array(),
            _ => self.c.as_array(),
        }
    }
}

/// Organisational relationship index points (`[metrics.ori]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OriPoints {
    /// Active strategic_cooperation agreement. Default 30.
    pub strategic_cooperation: f64,
    /// Active exclusive agreement (on top). Default 10.
    pub exclusive: f64,
    /// Active joint_innovation agreement. Default 20.
    pub joint_innovation: f64,
    /// Per executive_visit activity in window_12m. Default 10.
    pub executive_visit: f64,
    /// Cap of the executive_visit points. Default 20.
    pub executive_visit_max: f64,
    /// At least one strategic_meeting in window_12m. Default 10.
    pub strategic_meeting: f64,
    /// Points per survey score point (score 0–10). Default 1.
    pub survey_per_point: f64,
    /// Cap of the index. Default 100.
    pub cap: f64,
}

impl Default for OriPoints {
    fn default() -> Self {
        OriPoints {
            strategic_cooperation: 30.0,
            exclusive: 10.0,
            joint_innovation: 20.0,
            executive_visit: 10.0,
            executive_visit_max: 20.0,
            strategic_meeting: 10.0,
            survey_per_point: 1.0,
            cap: 100.0,
        }
    }
}

/// RDI weights (`[metrics.rdi_weights]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RdiWeights {
    /// Default 0.5.
    pub kri: f64,
    /// Default 0.3.
    pub gri: f64,
    /// Default 0.2.
    pub ori: f64,
}

impl Default for RdiWeights {
    fn default() -> Self {
        RdiWeights {
            kri: 0.5,
            gri: 0.3,
            ori: 0.2,
        }
    }
}

/// Market insight settings (`[metrics.market]`, metrics.md "Market insight").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Customer selection matrix: wallet_share at or above this is "high share". Default 0.3. Accepted 0 to 1.
    pub share_threshold: f64,
    /// Wallet per unit of the customer's annual revenue, per industry (`[metrics.market.wallet_ratio]`,
    /// e.g. `"金融" = 0.02`), used when an account has no potential. Industry names compare
    /// trimmed and case-insensitively; the key `"*"` applies to every industry not listed.
    /// Default: empty (no ratio: without a potential the wallet is unknown).
    pub wallet_ratio: std::collections::BTreeMap<String, f64>,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            share_threshold: 0.3,
            wallet_ratio: Default::default(),
        }
    }
}

/// The backtest and the bootstrap intervals (`[metrics.evidence]`, metrics.md "Evidence").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceConfig {
    /// Write the `evidence` table (relationship figures one window before as_of against what
    /// happened since). It runs the relationship analysis a second time, at the look-back
    /// date. Default true.
    pub backtest: bool,
    /// Bootstrap draws B for the 90 % intervals; 0 = no intervals. Default 1000. Accepted 0 to 100000.
    pub bootstrap_draws: u32,
    /// Seed of the bootstrap: the same seed and B give the same intervals. Default 1.
    pub bootstrap_seed: u64,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            backtest: true,
            bootstrap_draws: 1000,
            bootstrap_seed: 1,
        }
    }
}
