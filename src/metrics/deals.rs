//! The decision chain of every open deal (metrics.md "Deal decision chain"): the key
//! relationship is the support of the customer's decision makers *for a given business
//! objective*, so each deal is judged on its own buying group.
//!
//! The buying group of a deal is its `deal_contacts` rows, each contact with the row's role,
//! support and intimacy where given and the contact's own otherwise ([`member`]); a deal
//! with no such row takes its account's contacts (`chain_source = account`). The KRI and
//! decision-chain definitions of the accounts ([`super::relationship::kri`],
//! [`super::relationship::chain_status`]) are applied to that group ([`chain`]), so a deal
//! that takes its account's contacts has exactly the account's KRI and status.
//!
//! Everything here is a pure function of small values; the pipeline
//! (`pipeline/deals.rs`) reads the lake and calls them.

use std::collections::BTreeMap;

use super::config::KriConfig;
use super::relationship::{chain_status, kri};

pub use crate::contract::metric_tables::deals::{
    CHAIN_ROLES, ROLE_SEPARATOR, SOURCE_ACCOUNT, SOURCE_DEAL,
};

/// One member of a buying group, as it counts for the deal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Member {
    /// Canonical decision role (`decision_maker` … `none`), None when unknown.
    pub role: Option<String>,
    /// −2..3.
    pub support: Option<i32>,
    /// 0..4.
    pub intimacy: Option<i32>,
}

/// A `deal_contacts` row's role, support and intimacy where given, else the contact's own.
///
/// Example: a contact who is a user with support 2 on the account, recorded on a deal as its
/// decision maker with no support → decision maker with support 2.
pub fn member(deal: &Member, contact: Option<&Member>) -> Member {
    let c = contact.cloned().unwrap_or_default();
    Member {
        role: deal.role.clone().or(c.role),
        support: deal.support.or(c.support),
        intimacy: deal.intimacy.or(c.intimacy),
    }
}

/// The chain figures of one buying group.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// KRI of the group (0–100; 0 when no member has a decision role).
    pub kri: f64,
    /// `red` | `amber` | `green`.
    pub status: &'static str,
    /// Members whose role is decision_maker.
    pub decision_makers: u32,
    /// A decision maker with support ≤ −1.
    pub opposition: bool,
    /// The [`CHAIN_ROLES`] with no member of that role at support ≥ 1.
    pub missing_roles: Vec<&'static str>,
}

fn is_key(role: Option<&str>) -> bool {
    matches!(role, Some(r) if r != "none")
}

/// The KRI and decision-chain figures of a buying group (the account definitions applied
/// to the group): Σ p·k / Σ p over members with a decision role other than none, with
/// k = 0.7·support/3 + 0.3·intimacy/4 (missing values count 0); **green** when a decision
/// maker has support ≥ 1, **amber** when another key member has, else **red**.
///
/// Example: a decision maker at support −1, intimacy 1 (p 3, k = −0.233 + 0.075 = −0.158) and
/// an evaluator at support 2, intimacy 2 (p 2, k = 0.467 + 0.15 = 0.617):
/// (−0.475 + 1.233) / 5 = 0.152 → KRI 15.2, amber, opposition, 1 decision maker, missing
/// decision_maker, technical and procurement.
pub fn chain(members: &[Member], cfg: &KriConfig) -> Chain {
    let power = cfg.role_power.pairs();
    let p_of = |r: &str| power.iter().find(|(n, _)| *n == r).map_or(0.0, |(_, p)| *p);
    let (mut sum_pk, mut sum_p) = (0.0, 0.0);
    let (mut dm_supportive, mut key_supportive, mut opposition) = (false, false, false);
    let mut decision_makers = 0u32;
    let mut covered = [false; CHAIN_ROLES.len()];
    for m in members {
        let role = m.role.as_deref();
        if !is_key(role) {
            continue;
        }
        let role = role.unwrap_or_default();
        let s = m.support.map_or(0.0, f64::from);
        let i = m.intimacy.map_or(0.0, f64::from);
        let p = p_of(role);
        let k = cfg.support_weight * s / 3.0 + cfg.intimacy_weight * i / 4.0;
        sum_pk += p * k;
        sum_p += p;
        let supportive = m.support.is_some_and(|s| s >= 1);
        key_supportive |= supportive;
        if role == "decision_maker" {
            decision_makers += 1;
            dm_supportive |= supportive;
            opposition |= m.support.is_some_and(|s| s <= -1);
        }
        if let Some(j) = CHAIN_ROLES.iter().position(|r| *r == role) {
            covered[j] |= supportive;
        }
    }
    Chain {
        kri: kri(sum_pk, sum_p),
        status: chain_status(dm_supportive, key_supportive),
        decision_makers,
        opposition,
        missing_roles: CHAIN_ROLES
            .iter()
            .zip(covered)
            .filter(|(_, c)| !c)
            .map(|(r, _)| *r)
            .collect(),
    }
}

/// One open deal as the pipeline figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDeal {
    /// Amount in the reporting currency (None: unknown, counts 0).
    pub amount: Option<f64>,
    /// Fraction 0–1.
    pub probability: Option<f64>,
    pub status: &'static str,
}

/// Headline figures of the open pipeline by deal chain status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineByChain {
    /// Σ amount per status (red / amber / green; every status present, 0 when none).
    pub amount: BTreeMap<String, f64>,
    /// Open deals per status.
    pub count: BTreeMap<String, u64>,
    /// Σ amount of every open deal.
    pub total: f64,
    /// Amount of red-chain deals / open amount, weighted by probability when every open deal
    /// has one; None when the (weighted) open amount is 0.
    pub red_share: Option<f64>,
    /// Whether `red_share` is probability-weighted.
    pub red_share_weighted: bool,
    /// Σ amount of open deals with no supportive decision maker (status red or amber).
    pub no_supportive_dm: f64,
    /// Their number.
    pub no_supportive_dm_count: u64,
}

impl PipelineByChain {
    /// Write these figures into the summary's headline: `open` open deals, `with_group` of
    /// them with their own buying group.
    pub fn fill(self, open: usize, with_group: usize, h: &mut crate::contract::summary::Headline) {
        h.open_deals = Some(open as u64);
        h.open_pipeline_amount = Some(self.total);
        h.pipeline_by_chain_status = self.amount;
        h.deals_by_chain_status = self.count;
        h.pipeline_red_share = self.red_share;
        h.pipeline_red_share_weighted = Some(self.red_share_weighted);
        h.pipeline_no_supportive_dm = Some(self.no_supportive_dm);
        h.deals_no_supportive_dm = Some(self.no_supportive_dm_count);
        h.deals_with_buying_group = Some(with_group as u64);
    }
}

/// The open pipeline by chain status (metrics.md "Deal decision chain", headline).
///
/// Example: green 100 at 0.5, red 300 at 0.2, amber 50 at 0.1 → amount green 100, red 300,
/// amber 50; red_share = 300·0.2 / (50 + 60 + 5) = 60 / 115 = 0.522 (weighted: every deal
/// has a probability); no supportive decision maker 350 in 2 deals.
pub fn pipeline_by_chain(deals: &[OpenDeal]) -> PipelineByChain {
    let mut out = PipelineByChain::default();
    for s in ["red", "amber", "green"] {
        out.amount.insert(s.into(), 0.0);
        out.count.insert(s.into(), 0);
    }
    let weighted = !deals.is_empty() && deals.iter().all(|d| d.probability.is_some());
    let (mut red, mut all) = (0.0, 0.0);
    for d in deals {
        let a = d.amount.unwrap_or(0.0);
        *out.amount.entry(d.status.into()).or_default() += a;
        *out.count.entry(d.status.into()).or_default() += 1;
        out.total += a;
        let w = if weighted {
            a * d.probability.unwrap_or(0.0)
        } else {
            a
        };
        all += w;
        if d.status == "red" {
            red += w;
        }
        if d.status != "green" {
            out.no_supportive_dm += a;
            out.no_supportive_dm_count += 1;
        }
    }
    out.red_share = (all != 0.0).then(|| red / all);
    out.red_share_weighted = weighted;
    out
}

/// Win rate of closed deals per chain status: (status, closed, won, accounts).
///
/// Example: green won, green lost, red lost (accounts a, a, b) → green 2 closed, 1 won, 1
/// account; red 1 closed, 0 won, 1 account; amber absent.
pub fn win_rates<'a>(
    closed: impl IntoIterator<Item = (&'static str, bool, &'a str)>,
) -> Vec<(&'static str, u64, u64, u64)> {
    let mut by: BTreeMap<&'static str, (u64, u64, std::collections::BTreeSet<&'a str>)> =
        BTreeMap::new();
    for (status, won, account) in closed {
        let e = by.entry(status).or_default();
        e.0 += 1;
        e.1 += u64::from(won);
        e.2.insert(account);
    }
    ["red", "amber", "green"]
        .iter()
        .filter_map(|s| by.get(s).map(|(c, w, a)| (*s, *c, *w, a.len() as u64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(role: Option<&str>, support: Option<i32>, intimacy: Option<i32>) -> Member {
        Member {
            role: role.map(String::from),
            support,
            intimacy,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn deal_rows_override_the_contacts_own_values_where_given() {
        let contact = m(Some("user"), Some(2), Some(3));
        let row = m(Some("decision_maker"), None, Some(1));
        assert_eq!(
            member(&row, Some(&contact)),
            m(Some("decision_maker"), Some(2), Some(1))
        );
        // An unknown contact: the row alone.
        assert_eq!(member(&row, None), row);
        // An empty row: the contact as it is.
        assert_eq!(member(&Member::default(), Some(&contact)), contact);
    }

    #[test]
    fn chain_of_the_doc_example() {
        let c = chain(
            &[
                m(Some("decision_maker"), Some(-1), Some(1)),
                m(Some("evaluator"), Some(2), Some(2)),
            ],
            &KriConfig::default(),
        );
        // (3·(−0.7/3 + 0.3/4) + 2·(1.4/3 + 0.15)) / 5
        let expected = 100.0 * (3.0 * (-0.7 / 3.0 + 0.075) + 2.0 * (1.4 / 3.0 + 0.15)) / 5.0;
        assert!(close(c.kri, expected), "{} vs {expected}", c.kri);
        assert!(close(c.kri, 15.166_666_667));
        assert_eq!(c.status, "amber");
        assert!(c.opposition);
        assert_eq!(c.decision_makers, 1);
        assert_eq!(
            c.missing_roles,
            vec!["decision_maker", "technical", "procurement"]
        );
    }

    #[test]
    fn green_red_and_empty_groups() {
        let cfg = KriConfig::default();
        // A coach decision maker with close trust: k = 1 → KRI 100, green, only the
        // evaluator, technical and procurement roles missing.
        let g = chain(&[m(Some("decision_maker"), Some(3), Some(4))], &cfg);
        assert_eq!((g.kri, g.status, g.opposition), (100.0, "green", false));
        assert_eq!(
            g.missing_roles,
            vec!["evaluator", "technical", "procurement"]
        );
        // Only neutral members and a role-less one: red, KRI from the neutral ones.
        let r = chain(
            &[
                m(Some("procurement"), Some(0), Some(4)),
                m(None, Some(3), Some(4)),
                m(Some("none"), Some(3), Some(4)),
            ],
            &cfg,
        );
        // procurement: p 2, k = 0.3 → KRI 30.
        assert!(close(r.kri, 30.0));
        assert_eq!(r.status, "red");
        assert_eq!(r.decision_makers, 0);
        assert_eq!(r.missing_roles.len(), 4);
        // No member: KRI 0, red, every role missing.
        let e = chain(&[], &cfg);
        assert_eq!((e.kri, e.status, e.decision_makers), (0.0, "red", 0));
        assert_eq!(e.missing_roles, CHAIN_ROLES.to_vec());
        // Hostile members only: clamped at 0.
        let h = chain(&[m(Some("user"), Some(-2), None)], &cfg);
        assert_eq!((h.kri, h.status), (0.0, "red"));
        // A supportive influencer makes it amber but covers no chain role.
        let a = chain(&[m(Some("influencer"), Some(1), None)], &cfg);
        assert_eq!(a.status, "amber");
        assert_eq!(a.missing_roles.len(), 4);
    }

    #[test]
    fn a_group_equal_to_the_account_contacts_gives_the_account_figures() {
        // The account formula of relationship::kri_frame, written out: Σ p·k / Σ p.
        let members = [
            m(Some("decision_maker"), Some(3), Some(4)),
            m(Some("user"), Some(-2), Some(0)),
        ];
        let c = chain(&members, &KriConfig::default());
        // relationship.rs doc example: (3 − 0.467) / 4 = 0.633 → 63.3.
        assert!(close(c.kri, 100.0 * (3.0 - 1.4 / 3.0) / 4.0));
        assert_eq!(c.status, "green");
    }

    #[test]
    fn pipeline_of_the_doc_example() {
        let d = |a: f64, p: Option<f64>, s: &'static str| OpenDeal {
            amount: Some(a),
            probability: p,
            status: s,
        };
        let deals = [
            d(100.0, Some(0.5), "green"),
            d(300.0, Some(0.2), "red"),
            d(50.0, Some(0.1), "amber"),
        ];
        let p = pipeline_by_chain(&deals);
        assert_eq!(p.amount["green"], 100.0);
        assert_eq!(p.amount["red"], 300.0);
        assert_eq!(p.amount["amber"], 50.0);
        assert_eq!(p.count["red"], 1);
        assert_eq!(p.total, 450.0);
        assert!(p.red_share_weighted);
        assert!(close(p.red_share.unwrap(), 60.0 / 115.0));
        assert_eq!((p.no_supportive_dm, p.no_supportive_dm_count), (350.0, 2));
        // One deal without a probability: amounts unweighted, 300 / 450.
        let mut deals = deals.to_vec();
        deals[0].probability = None;
        let p = pipeline_by_chain(&deals);
        assert!(!p.red_share_weighted);
        assert!(close(p.red_share.unwrap(), 300.0 / 450.0));
        // Nothing open: zeros per status, no share.
        let p = pipeline_by_chain(&[]);
        assert_eq!(p.amount.len(), 3);
        assert_eq!(p.red_share, None);
        // An unknown amount counts 0.
        let p = pipeline_by_chain(&[OpenDeal {
            amount: None,
            probability: None,
            status: "red",
        }]);
        assert_eq!((p.count["red"], p.total, p.red_share), (1, 0.0, None));
    }

    #[test]
    fn win_rates_of_the_doc_example() {
        let rows = win_rates([
            ("green", true, "a"),
            ("green", false, "a"),
            ("red", false, "b"),
        ]);
        assert_eq!(rows, vec![("red", 1, 0, 1), ("green", 2, 1, 1)]);
    }
}
