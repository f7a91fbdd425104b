//! The synthetic world: employees in teams, accounts with a heavy-tailed size, and the rows
//! of every account-level table.
//!
//! Everything about account `i` is a pure function of `(seed, i)`: its [`Profile`] is drawn
//! from a generator seeded with `(seed, "profile", i)` and each table's rows from one seeded
//! with `(seed, table, i)`. Chunks of accounts can therefore be generated in any order, on
//! any number of threads, and give the same bytes. Row counts are part of the profile, so
//! sequential ids (`C00000001`, `X0000000001`, …) are assigned from prefix sums computed
//! before the rows are generated.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::format::{Row, Style};
use crate::contract::EnumKind;

/// Index of each account-level table in the per-chunk arrays.
pub(crate) const T_ACCOUNTS: usize = 0;
pub(crate) const T_CONTACTS: usize = 1;
pub(crate) const T_OPPORTUNITIES: usize = 2;
pub(crate) const T_REVENUE: usize = 3;
pub(crate) const T_ACTIVITIES: usize = 4;
pub(crate) const T_AGREEMENTS: usize = 5;
pub(crate) const T_SURVEYS: usize = 6;
pub(crate) const T_DEAL_CONTACTS: usize = 7;
/// Number of account-level tables.
pub(crate) const N_TABLES: usize = 8;

const TAG_PROFILE: u64 = 0x5052_4f46;
const TAG_ROLE: u64 = 0x524f_4c45;
const TAG_PARENT: u64 = 0x5041_5245;
const TAG_EMPLOYEE: u64 = 0x454d_504c;
/// Market columns (annual_revenue, potential, competitor, loss_reason) draw from their own
/// generators, so that adding them left every other value of the exports unchanged.
const TAG_MARKET_ACCOUNT: u64 = 0x4d4b_5441;
const TAG_MARKET_DEAL: u64 = 0x4d4b_5444;
const TAG_DEPTH: u64 = 0x4445_5054;
/// Buying-group sizes per deal (deal_contacts): their own generator, so that adding the
/// table left every other value of the exports unchanged.
const TAG_DEAL_GROUP: u64 = 0x4447_5250;
/// Seed tags of the account-level tables, in the order of the `T_*` indices.
const TAG_TABLE: [u64; N_TABLES] = [0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8];

/// Employees per team and the role of each position in a team (iron triangle + others).
const TEAM_SIZE: u64 = 10;
/// Role index (into `EnumKind::EmployeeRole.values()`) of each team position.
const TEAM_ROLES: [usize; TEAM_SIZE as usize] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 4];
const POS_EXECUTIVE: u64 = 8;

/// Industry and region labels: one language per column (Chinese, as a Chinese company's CRM
/// would hold them). The sample is untidy in its *formats* (amounts, dates, booleans, enum
/// labels), never in its labels: a chart of regions shows one region once.
const INDUSTRIES: [&str; 12] = [
    "交通",
    "金融",
    "能源",
    "制造",
    "零售",
    "政府",
    "医疗",
    "电信",
    "教育",
    "互联网",
    "物流",
    "汽车",
];
const REGIONS: [&str; 8] = [
    "华东", "华南", "华北", "华中", "西南", "西北", "东北", "海外",
];
/// The region of accounts outside China.
const REGION_OVERSEAS: &str = "海外";
const COUNTRIES: [&str; 5] = ["CN", "HK", "SG", "DE", "US"];
const HTML_NAMES: [&str; 5] = [
    "Müller & Söhne <GmbH>",
    "\"Best\" Partners & Co",
    "O'Brien, Smith & Sons <Ltd>",
    "Café <Nord> & Süd",
    "A&B <b>Holdings</b>",
];
const PRODUCT_LINES: [&str; 6] = [
    "Cloud",
    "Core",
    "Service",
    "Devices",
    "Software",
    "Consulting",
];
const STAGES: [&str; 6] = [
    "Prospecting",
    "Qualification",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
];
const DEPARTMENTS: [&str; 10] = [
    "建设",
    "采购",
    "运维",
    "财务",
    "IT",
    "Procurement",
    "Operations",
    "Finance",
    "R&D",
    "管理层",
];
/// Titles by level (executive, middle, base).
const TITLES: [&[&str]; 3] = [
    &["CEO", "CIO", "CTO", "VP", "总经理", "副总裁", "董事长"],
    &[
        "Director",
        "Manager",
        "部门经理",
        "主任",
        "处长",
        "Head of IT",
    ],
    &[
        "Engineer",
        "Buyer",
        "Specialist",
        "工程师",
        "采购专员",
        "Analyst",
    ],
];
const SUBJECTS: [&str; 10] = [
    "Follow-up",
    "Quarterly review",
    "Demo",
    "Project sync",
    "需求交流",
    "技术交流",
    "商务谈判",
    "Kick-off",
    "Support issue",
    "方案汇报",
];
/// Activity type weights, in `EnumKind::ActivityType.values()` order.
const ACTIVITY_WEIGHTS: [u32; 11] = [250, 250, 300, 150, 2, 10, 10, 10, 15, 15, 10];
const ACT_EXECUTIVE_VISIT: usize = 4;
/// Agreement type weights, in `EnumKind::AgreementType.values()` order.
const AGREEMENT_WEIGHTS: [u32; 5] = [30, 10, 15, 35, 10];

/// Competitors on deals (canonical spellings; exports write some untidily, see
/// [`untidy_competitor`]) and their weights among lost and among won deals: the first ones
/// beat us more often than they lose to us.
const COMPETITORS: [&str; 8] = [
    "Globex",
    "Initech Systems",
    "Umbrella Cloud",
    "金蝶",
    "用友网络",
    "Stark Digital",
    "神州数码",
    "Wayne Tech",
];
const COMPETITOR_LOST_WEIGHTS: [u32; 8] = [30, 22, 14, 12, 8, 6, 5, 3];
const COMPETITOR_WON_WEIGHTS: [u32; 8] = [14, 14, 12, 14, 10, 10, 8, 6];
const LOSS_REASONS: [&str; 7] = [
    "价格",
    "Price",
    "产品功能不满足",
    "Relationship",
    "Timing / budget",
    "客户关系",
    "No decision",
];
/// The customer's own annual revenue is its wallet divided by this (its spend on what we
/// sell is ~2 % of its revenue, varying by account).
const WALLET_PER_REVENUE: f64 = 0.02;

/// A competitor name as CRM users type it: mostly as is, sometimes upper or lower case, with
/// surrounding spaces or a doubled inner space.
fn untidy_competitor(r: &mut impl Rng, name: &str) -> String {
    match r.random_range(0..20u8) {
        0 => name.to_uppercase(),
        1 => name.to_lowercase(),
        2 => format!("  {name}"),
        3 => format!("{name} "),
        4 => name.replacen(' ', "  ", 1),
        _ => name.to_string(),
    }
}

/// Standard-normal quantiles of the tier cut-offs: S top 5 %, A next 15 %, B next 30 %.
const Z_S: f64 = 1.645;
const Z_A: f64 = 0.8416;
const Z_B: f64 = -0.2533;
/// Accounts above this quantile (top 10 %) carry organisational agreements.
const Z_AGREEMENT: f64 = 1.2816;
/// Spread of log account size: σ = 1.7 puts ~80 % of revenue in the top 20 % of accounts.
const SIGMA: f64 = 1.7;

/// SplitMix64 finaliser.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A 64-bit hash of (seed, tag, index).
fn mix(seed: u64, tag: u64, idx: u64) -> u64 {
    splitmix(seed ^ splitmix(tag ^ splitmix(idx)))
}

/// The generator for (seed, tag, index).
pub(crate) fn rng(seed: u64, tag: u64, idx: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(mix(seed, tag, idx))
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Logistic function: log-odds → probability.
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Probability → log-odds.
fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// A standard-normal draw (Box–Muller).
fn normal(r: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - r.random::<f64>();
    let u2: f64 = r.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Round `x ≥ 0` up or down at random so the expected value is `x`.
fn stochastic_round(r: &mut impl Rng, x: f64) -> u64 {
    let f = x.floor();
    f as u64 + u64::from(r.random::<f64>() < x - f)
}

/// An index drawn with the given weights.
fn weighted(r: &mut impl Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = r.random_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn pick<'a>(r: &mut impl Rng, xs: &[&'a str]) -> &'a str {
    xs[r.random_range(0..xs.len())]
}

/// Run-wide parameters shared by every chunk.
pub(crate) struct World {
    pub seed: u64,
    pub accounts: u64,
    pub employees: u64,
    pub teams: u64,
    pub years: u32,
    /// Days from the first day of the history to the end date.
    pub hist_days: i32,
    pub style: Style,
    /// Strength of the planted effect of relationship depth on outcomes (0 = none; see
    /// [`Profile::depth`]).
    pub effect: f64,
}

impl World {
    /// Employees: accounts / 8 + 10.
    pub(crate) fn employee_count(accounts: u64) -> u64 {
        accounts / 8 + 10
    }

    fn team_member(&self, team: u64, pos: u64) -> Option<u64> {
        let e = team * TEAM_SIZE + pos;
        (e < self.employees).then_some(e)
    }

    fn team_region(team: u64) -> &'static str {
        REGIONS[(team % REGIONS.len() as u64) as usize]
    }

    /// Role of an account in the group hierarchy: 0 root, 1 child of a root, 2 grandchild.
    fn group_role(&self, i: u64) -> u8 {
        let u = unit(mix(self.seed, TAG_ROLE, i));
        if u < 0.07 {
            1
        } else if u < 0.10 {
            2
        } else {
            0
        }
    }

    /// Parent of account `i`: always an account with a smaller index (so no cycles), a root
    /// for role-1 accounts and a role-1 account for role-2 accounts (depth ≤ 3).
    fn parent_of(&self, i: u64) -> Option<u64> {
        let role = self.group_role(i);
        if role == 0 || i == 0 {
            return None;
        }
        let want = role - 1;
        let mut j = mix(self.seed, TAG_PARENT, i) % i;
        for _ in 0..200 {
            if self.group_role(j) == want {
                return Some(j);
            }
            if j == 0 {
                break;
            }
            j -= 1;
        }
        None
    }

    /// Write employee `e` (0-based) as one row.
    pub(crate) fn employee_row(&self, e: u64, row: &mut Row) {
        let st = &self.style;
        let mut r = rng(self.seed, TAG_EMPLOYEE, e);
        let team = e / TEAM_SIZE;
        let role = TEAM_ROLES[(e % TEAM_SIZE) as usize];
        row.id('E', 5, e + 1);
        if r.random_bool(0.5) {
            row.textf(st, &mut r, format_args!("Emp {}", e + 1));
        } else {
            row.textf(st, &mut r, format_args!("员工{}", e + 1));
        }
        row.label(st, &mut r, EnumKind::EmployeeRole, role);
        row.textf(st, &mut r, format_args!("T{:04}", team + 1));
        row.text(st, &mut r, Self::team_region(team));
        let active = r.random_bool(0.92);
        row.boolean(st, &mut r, active);
        if active {
            row.empty();
        } else {
            let left = -r.random_range(0..self.hist_days.max(1));
            row.date(st, &mut r, left);
        }
        // Where `mcr deliver` sends the owner's burst (example.com: never a real mailbox).
        row.textf(st, &mut r, format_args!("e{:05}@example.com", e + 1));
    }
}

/// Everything decided about one account before its rows are written.
pub(crate) struct Profile {
    pub idx: u64,
    /// Annual revenue, CNY.
    pub annual: f64,
    pub declared: usize,
    pub owner: u64,
    /// Employees holding the account's relationships (owner first).
    pub holders: Vec<u64>,
    pub executive: u64,
    pub inactive: bool,
    /// Growth slope in (−0.7, 0.7): density of revenue over the history is `1 + a(2t − 1)`.
    pub trend: f64,
    /// Last fraction of the history with revenue (1 for active accounts).
    pub t_max: f64,
    pub created: i32,
    pub parent: Option<u64>,
    pub industry: &'static str,
    pub region: &'static str,
    pub country: &'static str,
    /// Rows per account-level table (`T_*` order).
    pub n: [u64; N_TABLES],
    /// Executive visits among the activities.
    pub n_exec: u64,
    /// Latent relationship depth, standard normal. It always shapes the relationship data
    /// (contact support, number of relationship holders, activity volume); with
    /// `World::effect` e > 0 it also shapes the outcomes: churn log-odds − 0.5·e·depth, won-deal
    /// log-odds + 0.35·e·depth, growth slope + 0.08·e·depth. With e = 0 the outcomes do not
    /// depend on it and the data's own links from outcomes to activity (activity thinning
    /// after churn, activity following the trend, lower surveys of lost accounts) are off too,
    /// so the backtest should find nothing.
    pub depth: f64,
}

impl Profile {
    /// The profile of account `idx` (0-based).
    pub(crate) fn new(w: &World, idx: u64) -> Profile {
        let mut r = rng(w.seed, TAG_PROFILE, idx);
        let z = normal(&mut r).clamp(-4.5, 4.5);
        // Mean-one lognormal sizes.
        let value = (SIGMA * z - SIGMA * SIGMA / 2.0).exp();
        let scale = (0.5 * SIGMA * z - 0.125 * SIGMA * SIGMA).exp();
        let tier = if z > Z_S {
            0
        } else if z > Z_A {
            1
        } else if z > Z_B {
            2
        } else {
            3
        };
        let declared = if r.random_bool(0.85) {
            tier
        } else if tier == 0 || (tier < 3 && r.random_bool(0.5)) {
            tier + 1
        } else {
            tier - 1
        };
        let depth = normal(&mut rng(w.seed, TAG_DEPTH, idx)).clamp(-4.0, 4.0);
        let team = r.random_range(0..w.teams.max(1));
        let owner_pos = r.random_range(0..4u64);
        let owner = w.team_member(team, owner_pos).unwrap_or(team * TEAM_SIZE);
        let single = r.random_bool(logistic(logit(0.30) - 0.8 * depth));
        let mut holders = vec![owner];
        if !single {
            let mut cands: Vec<u64> = (0..8)
                .filter(|p| *p != owner_pos)
                .filter_map(|p| w.team_member(team, p))
                .collect();
            let k = r.random_range(1..=3usize).min(cands.len());
            for h in 0..k {
                let j = r.random_range(h..cands.len());
                cands.swap(h, j);
                holders.push(cands[h]);
            }
        }
        let executive = w.team_member(team, POS_EXECUTIVE).unwrap_or(owner);
        let inactive = r.random_bool(logistic(logit(0.15) - 0.5 * w.effect * depth));
        let trend = (r.random_range(-0.7..0.7) + 0.08 * w.effect * depth).clamp(-0.7, 0.7);
        let hist = f64::from(w.hist_days.max(1));
        let t_max = if inactive {
            ((hist - 365.0 - f64::from(r.random_range(1..240u32))) / hist).max(0.0)
        } else {
            1.0
        };
        let created = -w.hist_days - r.random_range(0..6 * 365);
        let region = if r.random_bool(0.9) {
            World::team_region(team)
        } else {
            pick(&mut r, &REGIONS)
        };
        let industry = pick(&mut r, &INDUSTRIES);
        // Accounts of the overseas region are abroad; the rest mostly in China.
        let abroad = r.random_bool(0.1);
        let country = if region == REGION_OVERSEAS {
            pick(&mut r, &COUNTRIES[1..])
        } else if abroad {
            pick(&mut r, &COUNTRIES)
        } else {
            COUNTRIES[0]
        };

        let noise = |r: &mut Pcg64Mcg, s: f64| (s * normal(r) - s * s / 2.0).exp();
        let n_contacts = {
            let x = 7.5 * scale.powf(0.8) * 1.06 * noise(&mut r, 0.3);
            stochastic_round(&mut r, x)
        }
        .clamp(1, 400);
        let n_opps = {
            let x = 3.0 * scale * noise(&mut r, 0.4);
            stochastic_round(&mut r, x)
        }
        .min(600);
        let n_rev = if t_max < 0.05 {
            0
        } else {
            {
                let x = 25.0 * scale * t_max * noise(&mut r, 0.3);
                stochastic_round(&mut r, x)
            }
            .clamp(1, 5000)
        };
        let years = u64::from(w.years);
        let n_exec = match tier {
            0 => (0..years).map(|_| r.random_range(1..=3u64)).sum(),
            1 if r.random_bool(0.3) => r.random_range(1..=years.max(1)),
            _ => 0,
        };
        let n_act = {
            let x = 100.0 * scale * noise(&mut r, 0.5) * (0.35 * depth).exp();
            stochastic_round(&mut r, x)
        }
        .min(50_000)
            + n_exec;
        let n_agree = if z > Z_AGREEMENT {
            r.random_range(1..=2u64)
        } else {
            0
        };
        let n_surveys = if r.random_bool(0.30) {
            r.random_range(1..=3u64)
        } else {
            0
        };
        let parent = w.parent_of(idx);
        let n_deal_contacts = deal_group_sizes(w, idx, n_contacts, n_opps).iter().sum();
        Profile {
            idx,
            annual: 1_000_000.0 * value,
            declared,
            owner,
            holders,
            executive,
            inactive,
            trend,
            t_max,
            created,
            parent,
            industry,
            region,
            country,
            n: [
                1,
                n_contacts,
                n_opps,
                n_rev,
                n_act,
                n_agree,
                n_surveys,
                n_deal_contacts,
            ],
            n_exec,
            depth,
        }
    }

    fn contact_owner(&self, k: u64) -> u64 {
        self.holders[(k % self.holders.len() as u64) as usize]
    }
}

/// First 1-based id of each account-level table for one account.
pub(crate) type Ids = [u64; N_TABLES];

/// Writers and row counters for the account-level tables of one chunk.
pub(crate) struct Sinks {
    pub w: Vec<csv::Writer<Vec<u8>>>,
    pub rows: [u64; N_TABLES],
}

impl Sinks {
    /// Write the finished `row` to table `t`'s file and count it.
    fn write(&mut self, t: usize, row: &mut Row) -> csv::Result<()> {
        row.flush(&mut self.w[t])?;
        self.rows[t] += 1;
        Ok(())
    }
}

/// A day offset at fraction `t` of the history (0 = first day, 1 = end date).
fn hist_day(w: &World, t: f64) -> i32 {
    let t = t.clamp(0.0, 1.0);
    -w.hist_days + (t * f64::from(w.hist_days)).round() as i32
}

/// Inverse CDF of the density `1 + a(2t − 1)` on [0, 1].
fn trend_t(a: f64, u: f64) -> f64 {
    if a.abs() < 1e-6 {
        u
    } else {
        let b = 1.0 - a;
        ((-b + (b * b + 4.0 * a * u).sqrt()) / (2.0 * a)).clamp(0.0, 1.0)
    }
}

/// Write every row of account `p`; `ids` are the first ids of its rows in each table.
pub(crate) fn account_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let account_id = format!("A{:07}", p.idx + 1);
    accounts_rows(w, p, &account_id, row, s)?;
    contacts_rows(w, p, ids, &account_id, row, s)?;
    opportunities_rows(w, p, ids, &account_id, row, s)?;
    revenue_rows(w, p, ids, &account_id, row, s)?;
    activities_rows(w, p, ids, &account_id, row, s)?;
    agreements_rows(w, p, ids, &account_id, row, s)?;
    surveys_rows(w, p, &account_id, row, s)?;
    deal_contacts_rows(w, p, ids, row, s)?;
    Ok(())
}

/// The buying-group size of each deal of account `idx` (deal_contacts rows per deal): about
/// one deal in five has none (its chain falls back to the account's contacts), the others
/// 1 to 5 of the account's contacts.
fn deal_group_sizes(w: &World, idx: u64, n_contacts: u64, n_opps: u64) -> Vec<u64> {
    let mut r = rng(w.seed, TAG_DEAL_GROUP, idx);
    (0..n_opps)
        .map(|_| {
            if n_contacts == 0 || r.random_bool(0.2) {
                0
            } else {
                r.random_range(1..=n_contacts.min(5))
            }
        })
        .collect()
}

/// The deal_contacts rows of account `p`: per deal, distinct contacts of the account (the
/// first one primary); a third carry a role for that deal, two in five a support of their
/// own (shifted by the account's depth like the contacts'), one in five an intimacy — the
/// rest take the contact's own values. So a deal's chain differs from its account's where
/// its group leaves out the decision maker or the deal's support differs.
fn deal_contacts_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let n_contacts = p.n[T_CONTACTS];
    let sizes = deal_group_sizes(w, p.idx, n_contacts, p.n[T_OPPORTUNITIES]);
    let mut r = rng(w.seed, TAG_TABLE[T_DEAL_CONTACTS], p.idx);
    let mut pool: Vec<u64> = (0..n_contacts).collect();
    for (k, m) in sizes.iter().enumerate() {
        for h in 0..*m as usize {
            let j = r.random_range(h..pool.len());
            pool.swap(h, j);
        }
        for (h, c) in pool[..*m as usize].iter().enumerate() {
            row.id('O', 8, ids[T_OPPORTUNITIES] + k as u64);
            row.id('C', 8, ids[T_CONTACTS] + c);
            if r.random_bool(0.35) {
                let role = weighted(&mut r, &[20, 20, 20, 20, 10, 10, 0]);
                row.label(st, &mut r, EnumKind::DecisionRole, role);
            } else {
                row.empty();
            }
            row.boolean(st, &mut r, h == 0);
            if r.random_bool(0.4) {
                let shift = 0.6 * p.depth;
                let step =
                    shift.floor() as i32 + i32::from(r.random::<f64>() < shift - shift.floor());
                let support =
                    ([-1, 0, 0, 1, 1, 2, 3][r.random_range(0..7usize)] + step).clamp(-2, 3);
                row.label(st, &mut r, EnumKind::Support, (support + 2) as usize);
            } else {
                row.empty();
            }
            if r.random_bool(0.2) {
                let intimacy = r.random_range(0..5usize);
                row.label(st, &mut r, EnumKind::Intimacy, intimacy);
            } else {
                row.empty();
            }
            s.write(T_DEAL_CONTACTS, row)?;
        }
    }
    Ok(())
}

/// The accounts rows of account `p` (accounts).
fn accounts_rows(
    w: &World,
    p: &Profile,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let aid = p.idx + 1;
    let mut r = rng(w.seed, TAG_TABLE[T_ACCOUNTS], p.idx);
    row.raw(account_id);
    match r.random_range(0..100u32) {
        0..=4 => row.fmt(format_args!("{} {aid}", pick(&mut r, &HTML_NAMES))),
        5..=39 => row.textf(st, &mut r, format_args!("客户{aid}有限公司")),
        _ => row.textf(st, &mut r, format_args!("Customer {aid} Ltd")),
    }
    row.text(st, &mut r, p.industry);
    row.text(st, &mut r, p.region);
    row.text(st, &mut r, p.country);
    row.id('E', 5, p.owner + 1);
    match p.parent {
        Some(j) => row.id('A', 7, j + 1),
        None => row.empty(),
    }
    row.label(st, &mut r, EnumKind::Tier, p.declared);
    row.date(st, &mut r, p.created);
    // Market columns: the account's wallet is its yearly spend with us over our share
    // (share 2 %–95 %, heavier at the low end); sales estimate it as potential on ~75 % of
    // accounts (±25 %), the CRM holds the customer's own revenue on ~85 %.
    let mut m = rng(w.seed, TAG_MARKET_ACCOUNT, p.idx);
    let share = 0.02 + 0.93 * m.random::<f64>().powf(1.6);
    let wallet = p.annual / share;
    if m.random_bool(0.85) {
        let noise = (0.3 * normal(&mut m)).exp();
        row.money(st, &mut m, (wallet / WALLET_PER_REVENUE * noise).round());
    } else {
        row.empty();
    }
    if m.random_bool(0.75) {
        let estimate = wallet * m.random_range(0.75..1.25);
        // Sales round their estimates to 10 000.
        row.money(
            st,
            &mut m,
            ((estimate / 10_000.0).round() * 10_000.0).max(10_000.0),
        );
    } else {
        row.empty();
    }
    s.write(T_ACCOUNTS, row)?;
    Ok(())
}

/// The contacts rows of account `p` (contacts: the first is the decision maker, then evaluators, technical buyers, …).
fn contacts_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let mut r = rng(w.seed, TAG_TABLE[T_CONTACTS], p.idx);
    for k in 0..p.n[T_CONTACTS] {
        let cid = ids[T_CONTACTS] + k;
        let (role, level) = match k {
            0 => (0usize, 0usize),
            1 => (1, 1),
            2 => (2, 1),
            3 => (3, 2),
            _ => {
                let role = weighted(&mut r, &[3, 8, 12, 8, 30, 14, 25]);
                let level = weighted(&mut r, &[10, 40, 50]);
                (role, level)
            }
        };
        let support: i32 = if role == 0 && r.random_bool(0.12) {
            r.random_range(-2..=-1)
        } else {
            // Deeper relationships: support shifted up by 0.6·depth on average.
            let shift = 0.6 * p.depth;
            let step = shift.floor() as i32 + i32::from(r.random::<f64>() < shift - shift.floor());
            ([0, 0, 0, 1, 1, 1, 1, 2, 2, 3][r.random_range(0..10usize)]
                - i32::from(r.random_bool(0.03))
                + step)
                .clamp(-2, 3)
        };
        let intimacy: i32 = (support.max(0) + r.random_range(-1..=2)).clamp(0, 4);
        row.id('C', 8, cid);
        row.raw(account_id);
        if r.random_bool(0.6) {
            row.textf(st, &mut r, format_args!("Person {cid}"));
        } else {
            row.textf(st, &mut r, format_args!("联系人{cid}"));
        }
        row.fmt(format_args!("p{cid}@example.com"));
        row.fmt(format_args!("+86 138{:08}", cid % 100_000_000));
        let title = pick(&mut r, TITLES[level]);
        row.text(st, &mut r, title);
        let dept = pick(&mut r, &DEPARTMENTS);
        row.text(st, &mut r, dept);
        row.label(st, &mut r, EnumKind::Level, level);
        row.label(st, &mut r, EnumKind::DecisionRole, role);
        row.label(st, &mut r, EnumKind::Support, (support + 2) as usize);
        row.label(st, &mut r, EnumKind::Intimacy, intimacy as usize);
        row.id('E', 5, p.contact_owner(k) + 1);
        s.write(T_CONTACTS, row)?;
    }
    Ok(())
}

/// The opportunities rows of account `p` (opportunities).
fn opportunities_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let aid = p.idx + 1;
    let mut r = rng(w.seed, TAG_TABLE[T_OPPORTUNITIES], p.idx);
    let mut m = rng(w.seed, TAG_MARKET_DEAL, p.idx);
    for k in 0..p.n[T_OPPORTUNITIES] {
        let closed = p.inactive || r.random_bool(0.6);
        let (stage, prob, close, created) = if closed {
            let won = r.random_bool(logistic(logit(0.45) + 0.35 * w.effect * p.depth));
            let t = trend_t(p.trend, r.random::<f64>()) * p.t_max.max(0.05);
            let close = hist_day(w, t).min(-1);
            let created = close - r.random_range(20..240);
            if won {
                (4usize, 1.0f64, close, created)
            } else {
                (5, 0.0, close, created)
            }
        } else {
            let stage = r.random_range(0..4usize);
            let base = [0.1, 0.25, 0.5, 0.75][stage];
            let prob = (base + r.random_range(-0.05..0.1f64)).clamp(0.05, 0.95);
            let close = r.random_range(-30..300);
            let created = -r.random_range(10..360);
            (stage, prob, close, created)
        };
        let amount = (p.annual * 0.3 * (0.8 * normal(&mut r) - 0.32).exp()).max(100.0);
        row.id('O', 8, ids[T_OPPORTUNITIES] + k);
        row.raw(account_id);
        row.textf(st, &mut r, format_args!("Deal {aid}-{}", k + 1));
        row.money(st, &mut r, amount);
        row.text(st, &mut r, "CNY");
        let stage_label = match stage {
            4 if st.messy && r.random_bool(0.2) => "赢单",
            5 if st.messy && r.random_bool(0.2) => "输单",
            _ => STAGES[stage],
        };
        row.text(st, &mut r, stage_label);
        if st.messy {
            // Whole file in percentages; lost deals carry no probability.
            if stage == 5 {
                row.empty();
            } else {
                row.fmt(format_args!("{}", (prob * 100.0).round() as u32));
            }
        } else {
            row.fmt(format_args!("{prob:.2}"));
        }
        row.date(st, &mut r, close);
        row.date(st, &mut r, created);
        row.boolean(st, &mut r, stage >= 4);
        row.boolean(st, &mut r, stage == 4);
        let owner = if r.random_bool(0.8) {
            p.owner
        } else {
            p.contact_owner(k)
        };
        row.id('E', 5, owner + 1);
        let line = pick(&mut r, &PRODUCT_LINES);
        row.text(st, &mut r, line);
        // competitor on ~85 % of closed deals (~40 % of open ones); loss reason on ~80 %
        // of lost deals.
        let named = m.random_bool(if stage >= 4 { 0.85 } else { 0.4 });
        if named {
            let weights = if stage == 4 {
                &COMPETITOR_WON_WEIGHTS
            } else {
                &COMPETITOR_LOST_WEIGHTS
            };
            let c = COMPETITORS[weighted(&mut m, weights)];
            let c = untidy_competitor(&mut m, c);
            row.raw(&c);
        } else {
            row.empty();
        }
        if stage == 5 && m.random_bool(0.8) {
            let reason = pick(&mut m, &LOSS_REASONS);
            row.text(st, &mut m, reason);
        } else {
            row.empty();
        }
        s.write(T_OPPORTUNITIES, row)?;
    }
    Ok(())
}

/// The revenue rows of account `p` (revenue: invoice lines following the account's trend; ~3 % credit notes).
fn revenue_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let mut r = rng(w.seed, TAG_TABLE[T_REVENUE], p.idx);
    let n = p.n[T_REVENUE];
    let mean_line = if n > 0 {
        p.annual * f64::from(w.years) * p.t_max / n as f64
    } else {
        0.0
    };
    for k in 0..n {
        let t = trend_t(p.trend, r.random::<f64>()) * p.t_max;
        let day = hist_day(w, t);
        let mut amount = (mean_line
            * (1.0 + 0.5 * p.trend * (2.0 * t - 1.0))
            * (0.6 * normal(&mut r) - 0.18).exp())
        .max(10.0);
        if r.random_bool(0.03) {
            amount = -amount * r.random_range(0.05..0.5);
        }
        let margin = amount * r.random_range(0.10..0.40);
        row.fmt(format_args!("INV{:010}", ids[T_REVENUE] + k));
        row.raw(account_id);
        row.date(st, &mut r, day);
        row.money(st, &mut r, amount);
        row.text(st, &mut r, "CNY");
        row.money(st, &mut r, margin);
        let line = pick(&mut r, &PRODUCT_LINES);
        row.text(st, &mut r, line);
        s.write(T_REVENUE, row)?;
    }
    Ok(())
}

/// The activities rows of account `p` (activities: more in recent months; executive visits for big accounts).
fn activities_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let mut r = rng(w.seed, TAG_TABLE[T_ACTIVITIES], p.idx);
    let n = p.n[T_ACTIVITIES];
    let n_plain = n - p.n_exec;
    // The data's own links from outcomes to activity scale with the planted effect (up to 1).
    let link = w.effect.clamp(0.0, 1.0);
    let power = 1.5 + p.trend * link;
    let n_contacts = p.n[T_CONTACTS];
    for k in 0..n {
        let (ty, day, contact, employee) = if k < n_plain {
            let mut t = r.random::<f64>().powf(1.0 / power);
            if p.inactive && r.random_bool(0.85 * link) {
                t *= p.t_max;
            }
            let contact = if r.random_bool(0.07) {
                None
            } else {
                Some((n_contacts as f64 * r.random::<f64>().powf(1.5)) as u64 % n_contacts)
            };
            let u: f64 = r.random();
            let employee = if u < 0.08 {
                r.random_range(0..w.employees)
            } else if u < 0.2 {
                p.holders[r.random_range(0..p.holders.len())]
            } else {
                contact.map_or(p.owner, |c| p.contact_owner(c))
            };
            let ty = weighted(&mut r, &ACTIVITY_WEIGHTS);
            (ty, hist_day(w, t), contact, employee)
        } else {
            // One per year slot, spread over the history.
            let slot = k - n_plain;
            let t = (slot as f64 + r.random::<f64>()) / p.n_exec as f64;
            (ACT_EXECUTIVE_VISIT, hist_day(w, t), Some(0), p.executive)
        };
        row.fmt(format_args!("X{:010}", ids[T_ACTIVITIES] + k));
        row.raw(account_id);
        match contact {
            Some(c) => row.id('C', 8, ids[T_CONTACTS] + c),
            None => row.empty(),
        }
        row.id('E', 5, employee + 1);
        row.date(st, &mut r, day);
        row.label(st, &mut r, EnumKind::ActivityType, ty);
        let subject = SUBJECTS[r.random_range(0..SUBJECTS.len())];
        row.text(st, &mut r, subject);
        s.write(T_ACTIVITIES, row)?;
    }
    Ok(())
}

/// The agreements rows of account `p` (agreements).
fn agreements_rows(
    w: &World,
    p: &Profile,
    ids: &Ids,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let mut r = rng(w.seed, TAG_TABLE[T_AGREEMENTS], p.idx);
    for k in 0..p.n[T_AGREEMENTS] {
        let start = -r.random_range(0..w.hist_days + 3 * 365);
        let ty = weighted(&mut r, &AGREEMENT_WEIGHTS);
        row.id('G', 7, ids[T_AGREEMENTS] + k);
        row.raw(account_id);
        row.label(st, &mut r, EnumKind::AgreementType, ty);
        row.date(st, &mut r, start);
        if r.random_bool(0.25) {
            row.empty();
        } else {
            let end = start + r.random_range(365..5 * 365);
            row.date(st, &mut r, end);
        }
        s.write(T_AGREEMENTS, row)?;
    }
    Ok(())
}

/// The surveys rows of account `p` (surveys).
fn surveys_rows(
    w: &World,
    p: &Profile,
    account_id: &str,
    row: &mut Row,
    s: &mut Sinks,
) -> csv::Result<()> {
    let st = &w.style;
    let mut r = rng(w.seed, TAG_TABLE[T_SURVEYS], p.idx);
    for _ in 0..p.n[T_SURVEYS] {
        let day = -r.random_range(0..w.hist_days.max(1));
        let lost = if p.inactive {
            1.5 * w.effect.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let score = (7.2 + 1.6 * normal(&mut r) - lost).clamp(0.0, 10.0);
        row.raw(account_id);
        row.date(st, &mut r, day);
        row.fmt(format_args!("{score:.1}"));
        let level = weighted(&mut r, &[30, 50, 20]);
        row.label(st, &mut r, EnumKind::Level, level);
        s.write(T_SURVEYS, row)?;
    }
    Ok(())
}
