//! mcr's vocabulary, as data: header synonyms per canonical column, words in file names,
//! auxiliary header lists, the labels the contract accepts per enum value, opportunity stage
//! and yes/no value, and the keywords `mcr profiles init` recognises inside other labels.
//!
//! All of it is `vocabulary.toml` (next to this file), embedded in the binary and parsed once.
//! Drafting (`ingest::draft`), label reading (`profiles::labels`), the contract's built-in
//! labels ([`EnumKind::labels`]) and the default stage lists all read it from here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{ColType, EnumKind, Table};

/// The vocabulary's text (`vocabulary.toml`).
const TEXT: &str = include_str!("vocabulary.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vocabulary {
    tables: Tables,
    headers: BTreeMap<String, Vec<String>>,
    stage: StageWords,
    bool: BoolWords,
    enums: Enums,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    accounts: TableWords,
    contacts: TableWords,
    opportunities: TableWords,
    revenue: TableWords,
    activities: TableWords,
    employees: TableWords,
    agreements: TableWords,
    surveys: TableWords,
    fx_rates: TableWords,
    deal_contacts: TableWords,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableWords {
    files: Vec<String>,
    columns: BTreeMap<String, Vec<String>>,
}

/// The words of one canonical value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    /// Accepted as this value as they are (lower case).
    #[serde(default)]
    labels: Vec<String>,
    /// Found inside a longer label, they say this value (lower case).
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageWords {
    won: Words,
    lost: Words,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoolWords {
    #[serde(rename = "true")]
    yes: Words,
    #[serde(rename = "false")]
    no: Words,
}

/// Per enum kind: canonical value → its words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Enums {
    tier: BTreeMap<String, Words>,
    level: BTreeMap<String, Words>,
    decision_role: BTreeMap<String, Words>,
    support: BTreeMap<String, Words>,
    intimacy: BTreeMap<String, Words>,
    activity_type: BTreeMap<String, Words>,
    employee_role: BTreeMap<String, Words>,
    agreement_type: BTreeMap<String, Words>,
}

fn parse(text: &str) -> Result<Vocabulary, toml::de::Error> {
    toml::from_str(text)
}

fn vocabulary() -> &'static Vocabulary {
    static V: OnceLock<Vocabulary> = OnceLock::new();
    // The text is part of the binary and a test parses it: a failure here is a build defect.
    V.get_or_init(|| parse(TEXT).expect("src/contract/vocabulary.toml does not parse"))
}

impl Tables {
    fn of(&self, t: Table) -> &TableWords {
        match t {
            Table::Accounts => &self.accounts,
            Table::Contacts => &self.contacts,
            Table::Opportunities => &self.opportunities,
            Table::Revenue => &self.revenue,
            Table::Activities => &self.activities,
            Table::Employees => &self.employees,
            Table::Agreements => &self.agreements,
            Table::Surveys => &self.surveys,
            Table::FxRates => &self.fx_rates,
            Table::DealContacts => &self.deal_contacts,
        }
    }
}

impl Enums {
    fn of(&self, k: EnumKind) -> &BTreeMap<String, Words> {
        match k {
            EnumKind::Tier => &self.tier,
            EnumKind::Level => &self.level,
            EnumKind::DecisionRole => &self.decision_role,
            EnumKind::Support => &self.support,
            EnumKind::Intimacy => &self.intimacy,
            EnumKind::ActivityType => &self.activity_type,
            EnumKind::EmployeeRole => &self.employee_role,
            EnumKind::AgreementType => &self.agreement_type,
        }
    }
}

/// Header synonyms of a canonical column, strongest first (empty for an unknown column).
/// Compare them in a normalised form (lower case, without spaces and punctuation).
pub fn synonyms(table: Table, column: &str) -> &'static [String] {
    vocabulary()
        .tables
        .of(table)
        .columns
        .get(column)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Words in file names (lower case, without spaces and punctuation) that say which table a
/// file holds, strongest first.
pub fn file_words(table: Table) -> &'static [String] {
    &vocabulary().tables.of(table).files
}

/// A header or synonym as they are compared: lower case, without spaces and punctuation.
pub fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !"_-.():：（）/#".contains(*c))
        .collect()
}

/// An auxiliary header list of `[headers]`: `account_name`, `parent_account_name`,
/// `contact_name` (headers naming the referenced row), `quantity`, `unit_price`,
/// `first_name`, `last_name`… Empty for an unknown list.
pub fn header_words(kind: &str) -> &'static [String] {
    vocabulary()
        .headers
        .get(kind)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// What a column's labels are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Enum(EnumKind),
    Bool,
    /// Opportunity stages: won, lost, or else open.
    Stage,
}

impl Target {
    /// The target of a canonical column, if its values are labels.
    pub fn of(table: Table, column: &str) -> Option<Target> {
        if table == Table::Opportunities && column == "stage" {
            return Some(Target::Stage);
        }
        let col = table.columns().iter().find(|c| c.name == column)?;
        match col.ty {
            ColType::Enum(k) => Some(Target::Enum(k)),
            ColType::Bool => Some(Target::Bool),
            _ => None,
        }
    }

    /// The canonical values of the target (`won`/`lost` for stages, `true`/`false`).
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Target::Enum(k) => k.values(),
            Target::Bool => &["true", "false"],
            Target::Stage => &["won", "lost"],
        }
    }

    /// Every target, in a fixed order (stage, bool, then the enum kinds).
    const ALL: [Target; 2 + EnumKind::ALL.len()] = {
        let mut all = [Target::Stage; 2 + EnumKind::ALL.len()];
        all[1] = Target::Bool;
        let mut i = 0;
        while i < EnumKind::ALL.len() {
            all[2 + i] = Target::Enum(EnumKind::ALL[i]);
            i += 1;
        }
        all
    };

    fn index(self) -> usize {
        match self {
            Target::Stage => 0,
            Target::Bool => 1,
            Target::Enum(k) => 2 + EnumKind::ALL.iter().position(|x| *x == k).unwrap_or(0),
        }
    }
}

/// The words of one value of a target (empty when the vocabulary has none).
fn words(t: Target, value: &str) -> &'static Words {
    static NONE: Words = Words {
        labels: Vec::new(),
        keywords: Vec::new(),
    };
    let v = vocabulary();
    match (t, value) {
        (Target::Stage, "won") => &v.stage.won,
        (Target::Stage, "lost") => &v.stage.lost,
        (Target::Bool, "true") => &v.bool.yes,
        (Target::Bool, "false") => &v.bool.no,
        (Target::Enum(k), _) => v.enums.of(k).get(value).unwrap_or(&NONE),
        _ => &NONE,
    }
}

/// The labels accepted as `value` of target `t` as they are (lower case, trimmed).
pub fn value_labels(t: Target, value: &str) -> &'static [String] {
    &words(t, value).labels
}

/// The accepted labels of target `t`: (label, canonical value), value by value in the order
/// of [`Target::values`]. For an enum kind these are [`EnumKind::labels`]; for stages the
/// built-in won / lost lists; for yes/no columns what `values::parse_bool` reads.
pub fn labels(t: Target) -> &'static [(&'static str, &'static str)] {
    static ALL: OnceLock<Vec<Vec<(&'static str, &'static str)>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Target::ALL
            .iter()
            .map(|t| {
                t.values()
                    .iter()
                    .flat_map(|v| value_labels(*t, v).iter().map(move |l| (l.as_str(), *v)))
                    .collect()
            })
            .collect()
    });
    &all[t.index()]
}

/// The label keywords of target `t`: (canonical value, keywords), for values that have some.
pub fn keywords(t: Target) -> &'static [(&'static str, &'static [String])] {
    static ALL: OnceLock<Vec<Vec<(&'static str, &'static [String])>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Target::ALL
            .iter()
            .map(|t| {
                t.values()
                    .iter()
                    .map(|v| (*v, words(*t, v).keywords.as_slice()))
                    .filter(|(_, ks)| !ks.is_empty())
                    .collect()
            })
            .collect()
    });
    &all[t.index()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english(s: &str) -> bool {
        s.is_ascii() && s.chars().any(|c| c.is_ascii_alphabetic())
    }
    fn chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }
    use super::norm;

    #[test]
    fn the_vocabulary_parses() {
        parse(TEXT).unwrap();
        // Unknown fields are refused, not ignored.
        assert!(parse(&TEXT.replacen("[tables.accounts]", "[tables.acounts]", 1)).is_err());
        assert!(parse(&format!("{TEXT}\n[enums.tier.S2]\nlabel = [\"x\"]\n")).is_err());
    }

    #[test]
    fn every_table_and_column_of_the_vocabulary_exists() {
        for t in Table::ALL {
            for c in vocabulary().tables.of(t).columns.keys() {
                assert!(t.column(c).is_some(), "{t}.{c} is not a canonical column");
            }
        }
        for k in EnumKind::ALL {
            for v in vocabulary().enums.of(k).keys() {
                assert!(k.values().contains(&v.as_str()), "{}: {v}", k.name());
            }
        }
    }

    #[test]
    fn every_column_has_english_and_chinese_synonyms() {
        for t in Table::ALL {
            for c in t.columns() {
                let s = synonyms(t, c.name);
                assert!(s.iter().any(|x| english(x)), "{t}.{}: no English", c.name);
                assert!(s.iter().any(|x| chinese(x)), "{t}.{}: no Chinese", c.name);
            }
        }
    }

    #[test]
    fn every_table_has_english_and_chinese_file_words() {
        for t in Table::ALL {
            let w = file_words(t);
            assert!(w.iter().any(|x| english(x)), "{t}: no English");
            assert!(w.iter().any(|x| chinese(x)), "{t}: no Chinese");
            // Compared with the normalised file name: written normalised.
            for x in w {
                assert_eq!(norm(x), *x, "{t}: file word {x}");
            }
        }
    }

    #[test]
    fn no_header_is_a_synonym_of_two_columns_of_one_table() {
        // Deliberate overlaps (table, normalised header): none today.
        const ALLOWED: &[(Table, &str)] = &[];
        for t in Table::ALL {
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for c in t.columns() {
                for s in synonyms(t, c.name) {
                    let n = norm(s);
                    if let Some(other) = seen.get(&n) {
                        assert!(
                            *other == c.name || ALLOWED.contains(&(t, n.as_str())),
                            "{t}: `{s}` is a synonym of {other} and {}",
                            c.name
                        );
                    }
                    seen.entry(n).or_insert(c.name);
                }
            }
        }
    }

    #[test]
    fn the_header_lists_used_in_code_exist() {
        let headers = &vocabulary().headers;
        for k in [
            "account_name",
            "contact_name",
            "parent_account_name",
            "quantity",
            "unit_price",
        ] {
            assert!(headers.contains_key(k), "no header list {k}");
        }
        for (k, w) in headers {
            assert!(w.iter().any(|x| english(x)), "{k}: no English");
            assert!(w.iter().any(|x| chinese(x)), "{k}: no Chinese");
        }
        assert_eq!(header_words("quantity")[0], "quantity");
        assert!(header_words("nope").is_empty());
    }

    #[test]
    fn every_value_has_english_and_chinese_words() {
        for t in Target::ALL {
            for v in t.values() {
                let w = words(t, v);
                let all: Vec<&String> = w.labels.iter().chain(&w.keywords).collect();
                assert!(all.iter().any(|x| english(x)), "{t:?} {v}: no English");
                assert!(all.iter().any(|x| chinese(x)), "{t:?} {v}: no Chinese");
            }
        }
    }

    #[test]
    fn labels_and_keywords_are_lower_case_and_trimmed() {
        for t in Target::ALL {
            for v in t.values() {
                let w = words(t, v);
                for x in w.labels.iter().chain(&w.keywords) {
                    assert_eq!(x.trim(), x, "{t:?} {v}");
                    assert_eq!(x.to_lowercase(), *x, "{t:?} {v}");
                }
            }
        }
    }

    #[test]
    fn no_label_is_accepted_as_two_values() {
        for t in Target::ALL {
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for (l, v) in labels(t) {
                let n = crate::contract::values::normalize_label(l);
                if let Some(o) = seen.insert(n, v) {
                    assert_eq!(o, *v, "{t:?}: `{l}` is {o} and {v}");
                }
            }
        }
    }

    #[test]
    fn yes_no_labels_are_what_parse_bool_reads() {
        use crate::contract::values::parse_bool;
        for (l, v) in labels(Target::Bool) {
            assert_eq!(parse_bool(l), Ok(*v == "true"), "{l}");
            assert_eq!(parse_bool(&l.to_uppercase()), Ok(*v == "true"), "{l}");
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(synonyms(Table::Accounts, "account_id")[0], "account_id");
        assert!(synonyms(Table::Surveys, "score")
            .iter()
            .any(|s| s == "满意度"));
        assert!(synonyms(Table::Accounts, "nope").is_empty());
        assert!(labels(Target::Enum(EnumKind::Tier)).contains(&("战略客户", "S")));
        assert_eq!(
            value_labels(Target::Stage, "won")[..2],
            ["closed won".to_string(), "won".to_string()]
        );
        let kw = keywords(Target::Enum(EnumKind::ActivityType));
        let of = |v: &str| kw.iter().find(|(x, _)| *x == v).unwrap().1;
        assert!(of("event").iter().any(|k| k == "trade show"));
        assert!(of("call").iter().any(|k| k == "微信"));
        assert_eq!(
            Target::of(Table::Opportunities, "stage"),
            Some(Target::Stage)
        );
        assert_eq!(Target::of(Table::Employees, "active"), Some(Target::Bool));
        assert_eq!(Target::of(Table::Accounts, "name"), None);
    }
}
