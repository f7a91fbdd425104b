//! Value maps for `mcr profiles init`: the labels an export uses for stages, contact roles,
//! activity types, support and intimacy, tiers, employee roles, agreement types and yes/no
//! columns, matched against what the contract accepts.
//!
//! A label the built-in vocabulary already accepts needs nothing. Another one is mapped only
//! when it is *confidently* recognised: it contains a keyword of exactly one canonical value
//! (keywords inside a longer matching keyword do not count: `非常支持` is 2, not 1), and it
//! holds no negation (不/未/非/无/没) that the keyword does not hold itself (`非决策人` is not
//! a decision maker). Everything else is listed, never guessed.

use crate::contract::vocab;

/// What a column's labels are read as (enum values, yes/no, or opportunity stages).
pub use crate::contract::vocab::Target;

/// How one label reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Accepted as it is (built-in label, canonical value, yes/no word, or an open stage).
    BuiltIn,
    /// Confidently recognised: map it to this canonical value (`won`/`lost` for stages).
    Mapped(String),
    /// Not recognised, or recognised as several values: the user decides.
    Unknown,
}

/// Keywords of each canonical value (lower case): data, the `keywords` of
/// `contract/vocabulary.toml`.
fn keywords(t: Target) -> &'static [(&'static str, &'static [String])] {
    vocab::keywords(t)
}

const NEGATIONS: [char; 5] = ['不', '未', '非', '无', '没'];

/// Whether the built-in vocabulary reads `label` as it is.
fn built_in(t: Target, label: &str, stages: &super::StageMap) -> bool {
    let n = crate::contract::values::normalize_label(label);
    match t {
        Target::Bool => crate::contract::values::parse_bool(label).is_ok(),
        Target::Stage => stages
            .won
            .iter()
            .chain(&stages.lost)
            .any(|s| crate::contract::values::normalize_label(s) == n),
        Target::Enum(k) => {
            k.labels()
                .iter()
                .any(|(l, _)| crate::contract::values::normalize_label(l) == n)
                || k.values()
                    .iter()
                    .any(|v| crate::contract::values::normalize_label(v) == n)
                || (k.is_integer()
                    && crate::contract::values::parse_int_label(label)
                        .is_some_and(|v| k.values().contains(&v.to_string().as_str())))
        }
    }
}

/// How `label` reads for a column of target `t` (`stages`: the profile's won/lost lists).
pub fn read(t: Target, label: &str, stages: &super::StageMap) -> Reading {
    if built_in(t, label, stages) {
        return Reading::BuiltIn;
    }
    let l = label.trim().to_lowercase();
    let hits: Vec<(&str, &str)> = keywords(t)
        .iter()
        .flat_map(|(v, ks)| ks.iter().map(move |k| (*v, k.as_str())))
        .filter(|(_, k)| l.contains(k))
        .collect();
    // A keyword inside a longer matching keyword (`支持` in `非常支持`) does not count.
    let hits: Vec<(&str, &str)> = hits
        .iter()
        .filter(|(_, k)| !hits.iter().any(|(_, o)| o.len() > k.len() && o.contains(k)))
        .copied()
        .filter(|(_, k)| NEGATIONS.iter().all(|n| !l.contains(*n) || k.contains(*n)))
        .collect();
    let mut values: Vec<&str> = hits.iter().map(|(v, _)| *v).collect();
    values.sort();
    values.dedup();
    match values.as_slice() {
        [v] => Reading::Mapped((*v).to_string()),
        // Stages that are neither won nor lost are open: nothing to map.
        [] if t == Target::Stage => Reading::BuiltIn,
        _ => Reading::Unknown,
    }
}

/// The values a label of target `t` may be mapped to, for the TODO lines.
pub fn allowed(t: Target) -> String {
    match t {
        Target::Enum(k) => k.values().join(", "),
        Target::Bool => "true, false".into(),
        Target::Stage => "a won or lost stage ([stages] won / lost), else it is open".into(),
    }
}

/// The labels found in one column and how they read.
#[derive(Debug, Clone, Default)]
pub struct ColumnLabels {
    pub column: &'static str,
    pub header: String,
    /// (label, canonical value), in the order found.
    pub mapped: Vec<(String, String)>,
    /// Labels not recognised (rows with them are rejected until they are mapped).
    pub unknown: Vec<String>,
    /// Stages read as open (stage columns only).
    pub open: Vec<String>,
    /// More distinct values than a label column has: not read as labels.
    pub too_many: bool,
}

/// At most this many distinct values make a label column.
pub const MAX_LABELS: usize = 200;

/// Read the distinct `labels` of a column of target `t`.
pub fn classify(
    t: Target,
    column: &'static str,
    header: &str,
    labels: &[String],
    stages: &super::StageMap,
) -> ColumnLabels {
    let mut out = ColumnLabels {
        column,
        header: header.to_string(),
        too_many: labels.len() > MAX_LABELS,
        ..ColumnLabels::default()
    };
    if out.too_many {
        return out;
    }
    for l in labels {
        match read(t, l, stages) {
            Reading::BuiltIn if t == Target::Stage => {
                let n = crate::contract::values::normalize_label(l);
                let known = stages
                    .won
                    .iter()
                    .chain(&stages.lost)
                    .any(|s| crate::contract::values::normalize_label(s) == n);
                if !known {
                    out.open.push(l.clone());
                }
            }
            Reading::BuiltIn => {}
            Reading::Mapped(v) => out.mapped.push((l.clone(), v)),
            Reading::Unknown => out.unknown.push(l.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::EnumKind;

    fn r(t: Target, l: &str) -> Reading {
        read(t, l, &crate::profiles::StageMap::default())
    }
    fn m(v: &str) -> Reading {
        Reading::Mapped(v.into())
    }

    #[test]
    fn built_in_labels_need_no_map() {
        let role = Target::Enum(EnumKind::DecisionRole);
        assert_eq!(r(role, "决策者"), Reading::BuiltIn);
        assert_eq!(r(role, "Economic Buyer"), Reading::BuiltIn);
        assert_eq!(r(Target::Enum(EnumKind::Support), "2.0"), Reading::BuiltIn);
        assert_eq!(r(Target::Bool, "是"), Reading::BuiltIn);
        assert_eq!(r(Target::Stage, "已赢单"), Reading::BuiltIn);
        // An open stage is fine as it is.
        assert_eq!(r(Target::Stage, "方案报价"), Reading::BuiltIn);
    }

    #[test]
    fn confident_labels_are_mapped() {
        let role = Target::Enum(EnumKind::DecisionRole);
        assert_eq!(r(role, "关键决策人"), m("decision_maker"));
        assert_eq!(r(role, "技术选型负责人"), m("technical"));
        assert_eq!(r(role, "方案评估人"), m("evaluator"));
        let act = Target::Enum(EnumKind::ActivityType);
        assert_eq!(r(act, "上门拜访"), m("visit"));
        assert_eq!(r(act, "高层拜访"), m("executive_visit"));
        assert_eq!(r(act, "电话沟通"), m("call"));
        assert_eq!(r(act, "项目会议"), m("meeting"));
        let sup = Target::Enum(EnumKind::Support);
        assert_eq!(r(sup, "非常支持"), m("2"));
        assert_eq!(r(sup, "比较支持"), m("1"));
        assert_eq!(r(sup, "不支持"), m("-1"));
        assert_eq!(r(sup, "明确反对"), m("-2"));
        assert_eq!(r(Target::Stage, "赢单(已签约)"), m("won"));
        assert_eq!(r(Target::Stage, "丢单-竞品"), m("lost"));
        assert_eq!(r(Target::Stage, "未中标"), m("lost"));
        assert_eq!(r(Target::Bool, "在职"), m("true"));
        assert_eq!(r(Target::Bool, "离职"), m("false"));
        assert_eq!(r(Target::Bool, "Inactive"), m("false"));
        let er = Target::Enum(EnumKind::EmployeeRole);
        assert_eq!(r(er, "大客户经理"), m("AR"));
        assert_eq!(r(er, "售前方案经理"), m("SR"));
    }

    #[test]
    fn doubtful_labels_are_left_to_the_user() {
        let role = Target::Enum(EnumKind::DecisionRole);
        // Nothing known; two values at once; a negation the keyword does not hold.
        assert_eq!(r(role, "顾问"), Reading::Unknown);
        assert_eq!(r(role, "技术评估人"), Reading::Unknown);
        assert_eq!(r(role, "非决策人"), Reading::Unknown);
        assert_eq!(r(Target::Bool, "未知"), Reading::Unknown);
        assert_eq!(
            r(Target::Enum(EnumKind::Tier), "重点客户"),
            Reading::Unknown
        );
        // A stage with a negation stays open, said as such by `classify`.
        let c = classify(
            Target::Stage,
            "stage",
            "销售阶段",
            &["未成交".into(), "赢单".into(), "成交关闭".into()],
            &crate::profiles::StageMap::default(),
        );
        assert_eq!(c.open, vec!["未成交".to_string()]);
        assert_eq!(c.mapped, vec![("成交关闭".to_string(), "won".to_string())]);
    }
}
