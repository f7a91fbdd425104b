//! The first draft of a profile, from the samples of an export folder: which table each file
//! feeds (or why none), its columns, its key and its links to the other files, each decided
//! on the values. [`super::prove`] then runs it over the data and improves it.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::infer::{self, Sample};
use super::{file_words, find, norm, synonyms};
use crate::contract::{values, ColType, Table};
use crate::profiles::labels;

/// One file's draft.
#[derive(Debug, Clone)]
pub struct FileDraft {
    /// Index into the samples.
    pub sample: usize,
    pub file: String,
    pub sheet: Option<String>,
    pub encoding: String,
    pub headers: Vec<String>,
    /// The table it feeds; `None` with `unused` saying why not.
    pub table: Option<Table>,
    pub unused: Option<String>,
    /// canonical column → header
    pub columns: Vec<(&'static str, String)>,
    /// The key's alternatives (TOML values), the first that holds on the data first.
    pub key: Vec<String>,
    /// canonical column → TOML value of `[table.compute]`
    pub compute: Vec<(&'static str, String)>,
    /// canonical column → TOML value of `[table.derive]`
    pub derive: Vec<(&'static str, String)>,
    /// canonical column → TOML value of `[table.sign.<column>]` (inline table)
    pub sign: Vec<(&'static str, String)>,
    /// TOML value of `derive_accounts`
    pub derive_accounts: Option<String>,
    /// Further headers of a column, tried in order on rows where the first is empty.
    pub fallbacks: Vec<(&'static str, Vec<String>)>,
    /// Value maps decided here (canonical column → `"label" = "value"` lines).
    pub value_maps: Vec<(&'static str, Vec<String>)>,
    /// (header, values) of `[table.exclude]`: deleted rows.
    pub exclude: Vec<(String, Vec<String>)>,
    pub labels: Vec<labels::ColumnLabels>,
    pub unmapped_required: Vec<&'static str>,
    /// What the drafting could not decide, with the edit that fixes it.
    pub notes: Vec<String>,
}

impl FileDraft {
    pub fn header(&self, c: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(x, _)| *x == c)
            .map(|(_, h)| h.as_str())
    }

    pub fn has(&self, c: &str) -> bool {
        self.header(c).is_some()
            || self.compute.iter().any(|(x, _)| *x == c)
            || self.derive.iter().any(|(x, _)| *x == c)
    }

    fn set(&mut self, c: &'static str, h: &str) {
        self.columns.retain(|(x, _)| *x != c);
        self.columns.push((c, h.to_string()));
    }

    pub fn drop_column(&mut self, c: &str) {
        self.columns.retain(|(x, _)| *x != c);
        self.fallbacks.retain(|(x, _)| *x != c);
        self.compute.retain(|(x, _)| *x != c);
        self.derive.retain(|(x, _)| *x != c);
    }
}

/// A `[[lookup]]` of the draft.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupDraft {
    pub name: String,
    pub file: String,
    pub key: String,
    pub value: String,
    pub then: Option<String>,
}

/// The whole draft: files, lookups and the profile-wide reading settings.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub files: Vec<FileDraft>,
    pub lookups: Vec<LookupDraft>,
    pub date_formats: Vec<String>,
    pub decimal_comma: bool,
    pub encoding: String,
    pub notes: Vec<String>,
}

/// A TOML basic string, on one line whatever `s` holds (line breaks and other control
/// characters escaped), so that it is valid as a key, a value and inside a comment.
pub fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => o.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn concat(cols: &[&str], sep: &str) -> String {
    let c: Vec<String> = cols.iter().map(|c| q(c)).collect();
    format!("{{ concat = [{}], sep = {} }}", c.join(", "), q(sep))
}

/// Words in headers that say a column holds a date.
const DATE_WORDS: &[&str] = &[
    "date", "time", "day", "on", "日期", "时间", "日", "created", "closed", "modified",
];
/// Words in headers that say a column holds an amount.
const AMOUNT_WORDS: &[&str] = &[
    "amount", "total", "value", "revenue", "sum", "net", "gross", "金额", "总额", "总计", "合计",
    "价税", "收入",
];
/// Words in file names of history, audit and log files and of line items.
const HISTORY_WORDS: &[&str] = &[
    "history",
    "audit",
    "log",
    "changes",
    "lineitem",
    "pricebook",
    "历史",
    "变更",
    "日志",
    "记录变更",
];
/// Words in file names of CRM objects outside the contract (leads, tickets, cases,
/// products, quotes, campaigns): their rows are not accounts, deals or activities.
const OTHER_OBJECT_WORDS: &[&str] = &[
    "lead",
    "ticket",
    "case",
    "product",
    "pricebook",
    "quote",
    "campaign",
    "dictionary",
    "线索",
    "工单",
    "产品",
    "报价",
    "市场活动",
];
/// Headers of a deleted-row flag, and the values that mean deleted.
const DELETED_HEADERS: &[&str] = &["isdeleted", "deleted", "is deleted", "已删除", "是否删除"];
const DELETED_VALUES: &[&str] = &["1", "true", "yes", "是", "TRUE", "True"];

/// Header words of a before/after pair (a change log).
const FROM_TO_WORDS: &[&str] = &[
    "oldvalue",
    "newvalue",
    "from",
    "to",
    "previous",
    "prior",
    "变更前",
    "变更后",
    "原值",
    "新值",
    "field",
    "字段",
];

fn table_score(s: &Sample, t: Table) -> (i32, usize) {
    let n = norm(&s.file);
    let named = file_words(t).iter().any(|w| n.contains(&norm(w)));
    let mut matched = 0usize;
    let mut score = if named { 10 } else { 0 };
    for c in t.columns() {
        if find(&s.headers, synonyms(t, c.name)).is_some() {
            matched += 1;
            score += if c.required { 2 } else { 1 };
        }
    }
    (score, matched)
}

/// The tables a file may feed, best first, by its name and headers (named after the table,
/// or three columns or more recognised); empty when nothing fits.
fn candidate_tables(s: &Sample) -> Vec<Table> {
    // mcr's own fx_rates layout.
    let fx = Table::FxRates
        .columns()
        .iter()
        .filter(|c| c.required)
        .all(|c| s.headers.iter().any(|h| norm(h) == norm(c.name)));
    if fx {
        return vec![Table::FxRates];
    }
    let mut scored: Vec<(Table, i32)> = Table::ALL
        .into_iter()
        .filter(|t| *t != Table::FxRates)
        .map(|t| (t, table_score(s, t)))
        .filter(|(_, (score, matched))| *score >= 10 || *matched >= 3)
        .map(|(t, (score, _))| (t, score))
        .collect();
    // Stable: among equal scores, the contract's order.
    scored.sort_by_key(|x| std::cmp::Reverse(x.1));
    scored.into_iter().map(|(t, _)| t).collect()
}

/// Map the canonical columns of `t` by header synonyms: a header feeds one column (the
/// table's name column may share it with the key).
fn map_columns(s: &Sample, t: Table) -> Vec<(&'static str, String)> {
    let mut columns: Vec<(&'static str, String)> = Vec::new();
    for c in t.columns() {
        if let Some(h) = find(&s.headers, synonyms(t, c.name)) {
            if !columns.iter().any(|(_, x)| *x == h) || c.name == "name" {
                columns.push((c.name, h));
            }
        }
    }
    columns
}

/// Whether a header names a date (by its words).
fn datey(h: &str) -> bool {
    let n = norm(h);
    DATE_WORDS.iter().any(|w| n.contains(w)) || n.ends_with("at")
}

/// One row of a table, in words.
fn singular(t: Table) -> &'static str {
    match t {
        Table::Accounts => "account",
        Table::Contacts => "contact",
        Table::Opportunities => "opportunity",
        Table::Revenue => "revenue line",
        Table::Activities => "activity",
        Table::Employees => "employee",
        Table::Agreements => "agreement",
        Table::Surveys => "survey",
        Table::FxRates => "rate",
        Table::DealContacts => "deal contact",
    }
}

/// Files recognised by headers alone are set aside when they hold another CRM object (by
/// their name: leads, tickets…) or when another file is named after their table.
fn set_aside(files: &mut [FileDraft]) {
    let named = |f: &FileDraft, t: Table| {
        let n = norm(&f.file);
        file_words(t).iter().any(|w| n.contains(&norm(w)))
    };
    let snapshot: Vec<(Option<Table>, bool)> = files
        .iter()
        .map(|f| (f.table, f.table.is_some_and(|t| named(f, t))))
        .collect();
    for f in files.iter_mut() {
        let Some(t) = f.table else { continue };
        if named(f, t) {
            continue;
        }
        let n = norm(&f.file);
        let why = if let Some(w) = OTHER_OBJECT_WORDS.iter().find(|w| n.contains(&norm(w))) {
            Some(format!(
                "holds {w} records (by its name), not a table of mcr"
            ))
        } else if snapshot.iter().any(|(x, nm)| *x == Some(t) && *nm) {
            Some(format!(
                "its headers look like {t}, but another file is named after {t}"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            f.table = None;
            f.unused = Some(why);
            f.columns.clear();
        }
    }
}

/// Draft every sample: tables, columns, keys, links.
pub fn plan(samples: &[Sample]) -> Plan {
    let candidates: Vec<Vec<Table>> = samples.iter().map(candidate_tables).collect();
    let mut choice = vec![0usize; samples.len()];
    let mut p = plan_with(samples, &candidates, &choice);
    // A file its best table cannot use (a required column no header holds) goes to the next
    // table that fits it, if any: each file feeds the best table that keeps its rows.
    for _ in 0..3 {
        let mut again = false;
        for (i, f) in p.files.iter().enumerate() {
            if f.table.is_none()
                && !f.unmapped_required.is_empty()
                && choice[i] + 1 < candidates[i].len()
            {
                choice[i] += 1;
                again = true;
            }
        }
        if !again {
            break;
        }
        p = plan_with(samples, &candidates, &choice);
    }
    p
}

/// [`plan`] with each file's table chosen among its candidates.
fn plan_with(samples: &[Sample], candidates: &[Vec<Table>], choice: &[usize]) -> Plan {
    let mut files: Vec<FileDraft> = samples
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let table = candidates[i].get(choice[i]).copied();
            FileDraft {
                sample: i,
                file: s.file.clone(),
                sheet: s.sheet.clone(),
                encoding: s.encoding.clone(),
                headers: s.headers.clone(),
                table,
                unused: table
                    .is_none()
                    .then(|| "no table recognised by its name or headers".to_string()),
                columns: table.map(|t| map_columns(s, t)).unwrap_or_default(),
                key: vec![],
                compute: vec![],
                derive: vec![],
                sign: vec![],
                derive_accounts: None,
                exclude: vec![],
                value_maps: vec![],
                fallbacks: vec![],
                labels: vec![],
                unmapped_required: vec![],
                notes: vec![],
            }
        })
        .collect();
    set_aside(&mut files);
    for f in files.iter_mut() {
        let s = &samples[f.sample];
        if let (false, Some(_), Some(h)) = (s.footer.is_empty(), f.table, s.headers.first()) {
            f.notes.push(format!(
                "{} line(s) of one field (a title or footer) are left out: {}",
                s.footer.len(),
                s.footer.join(" | ")
            ));
            f.exclude.push((h.clone(), s.footer.clone()));
        }
        if let Some(t) = f.table {
            status_exclusions(s, t, f);
        }
        if let Some(h) = find(&s.headers, DELETED_HEADERS) {
            if f.table.is_some() {
                f.exclude
                    .push((h, DELETED_VALUES.iter().map(|v| v.to_string()).collect()));
            }
        }
    }
    let mut plan = Plan::default();
    // Layouts first: they decide which columns parse as dates and amounts.
    settle_layouts(samples, &mut files, &mut plan);
    for f in files.iter_mut() {
        if let Some(t) = f.table {
            fill_by_values(&samples[f.sample], t, f, &plan);
            person_name(&samples[f.sample], t, f);
            if t == Table::Opportunities {
                won_from_status(&samples[f.sample], f);
            }
        }
    }
    history_files(samples, &mut files);
    for f in files.iter_mut() {
        if let Some(t) = f.table {
            choose_key(&samples[f.sample], t, f);
        }
    }
    link(samples, &mut files, &mut plan);
    for f in files.iter_mut() {
        let Some(t) = f.table else { continue };
        let s = &samples[f.sample];
        if t == Table::Revenue {
            sign_rule(s, f);
        }
        f.labels = read_labels(s, t, &f.columns);
        let decided: Vec<&str> = f.value_maps.iter().map(|(c, _)| *c).collect();
        f.labels.retain(|l| !decided.contains(&l.column));
        f.unmapped_required = t
            .columns()
            .iter()
            .filter(|c| c.required && !f.has(c.name))
            .filter(|c| t.key() != Some(c.name) || f.key.is_empty())
            .map(|c| c.name)
            .collect();
        if !f.unmapped_required.is_empty() {
            // Ingest could not map it: said here, never written as a table that fails.
            f.unused = Some(format!(
                "looks like {t}, but no column holds its required {}; map it by hand to use it",
                f.unmapped_required.join(", ")
            ));
            f.table = None;
        }
    }
    let enc = files
        .first()
        .map(|d| d.encoding.clone())
        .unwrap_or_default();
    plan.encoding = if files.iter().all(|d| d.encoding == enc)
        && !enc.starts_with("utf-8")
        && !matches!(enc.as_str(), "xlsx" | "json" | "parquet" | "")
    {
        enc
    } else {
        "auto".into()
    };
    plan.files = files;
    plan
}

/// The date layouts and decimal separator of the whole export: per date column the layout
/// that parses the most of its values, per amount column the separator its values show.
fn settle_layouts(samples: &[Sample], files: &mut [FileDraft], plan: &mut Plan) {
    let mut formats: Vec<(String, usize)> = Vec::new();
    let mut ambiguous = Vec::new();
    let mut votes = (0usize, 0usize);
    for f in files.iter() {
        let (Some(t), s) = (f.table, &samples[f.sample]) else {
            continue;
        };
        for c in t.columns() {
            let Some(i) = f.header(c.name).and_then(|h| s.index(h)) else {
                continue;
            };
            if c.ty == ColType::Date {
                let l = infer::date_layout(s.values(i));
                for (rank, fm) in l.formats.iter().enumerate() {
                    let w = l.parsed.saturating_sub(rank);
                    match formats.iter_mut().find(|(x, _)| x == fm) {
                        Some((_, n)) => *n += w,
                        None => formats.push((fm.clone(), w)),
                    }
                }
                if l.ambiguous {
                    ambiguous.push(format!("{}: {}", f.file, f.header(c.name).unwrap_or("")));
                }
            }
        }
    }
    // A day/month layout and its month/day twin never both: the one parsing more wins.
    formats.sort_by_key(|x| std::cmp::Reverse(x.1));
    let mut kept: Vec<String> = Vec::new();
    for (f, _) in formats {
        let swapped = f
            .replace("%m", "%M_")
            .replace("%d", "%m")
            .replace("%M_", "%d");
        let swapped_date = swapped.split([' ', 'T']).next().unwrap_or("").to_string();
        let clash = swapped != f
            && kept
                .iter()
                .any(|k| k.split([' ', 'T']).next().unwrap_or("") == swapped_date);
        if !clash {
            kept.push(f);
        }
    }
    plan.date_formats = kept;
    // The separator is a property of the whole export: every numeric column of every file
    // used votes (amounts, prices, quantities, mapped or not).
    for f in files.iter().filter(|f| f.table.is_some()) {
        let s = &samples[f.sample];
        for i in 0..s.headers.len() {
            let numeric = |v: &&str| {
                v.chars().any(|c| c.is_ascii_digit())
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || " .,-+'\u{a0}$€£¥￥".contains(c))
            };
            match infer::decimal_comma(s.values(i).filter(numeric).take(2_000)) {
                Some(true) => votes.0 += 1,
                Some(false) => votes.1 += 1,
                None => {}
            }
        }
    }
    plan.decimal_comma = votes.0 > votes.1;
    if !ambiguous.is_empty() {
        plan.notes.push(format!(
            "dates with every day ≤ 12 read month first ({}); if they are day first, put the %d/%m layout first in `date_formats`",
            ambiguous.join(", ")
        ));
    }
}

/// Columns decided by their values: mapped dates and amounts that do not parse are dropped;
/// a required date or amount with no synonym is the column whose values parse best.
fn fill_by_values(s: &Sample, t: Table, f: &mut FileDraft, plan: &Plan) {
    let used = |f: &FileDraft, h: &str| f.columns.iter().any(|(_, x)| x == h);
    for c in t.columns() {
        let Some(h) = f.header(c.name).map(str::to_string) else {
            continue;
        };
        let Some(i) = s.index(&h) else { continue };
        if s.values(i).next().is_none() {
            continue;
        }
        let ok = match c.ty {
            ColType::Date => infer::date_share(s, i, &plan.date_formats) >= 0.5,
            ColType::Float => infer::numeric_share(s, i, plan.decimal_comma) >= 0.5,
            _ => true,
        };
        if !ok {
            f.drop_column(c.name);
            f.notes.push(format!(
                "{h}: its values are not {}; not mapped to {}",
                c.ty.describe(),
                c.name
            ));
        }
    }
    // A required date with empty cells: the other date columns, by how often they are
    // filled, fill in (`date = ["Actual End", "Created On"]`).
    for c in t
        .columns()
        .iter()
        .filter(|c| c.required && c.ty == ColType::Date)
    {
        let Some(h) = f.header(c.name).map(str::to_string) else {
            continue;
        };
        let Some(i) = s.index(&h) else { continue };
        if s.values(i).count() == s.rows.len() {
            continue;
        }
        let mut more: Vec<(String, usize)> = s
            .headers
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != h && datey(x) && !used(f, x))
            .filter(|(j, _)| infer::date_share(s, *j, &plan.date_formats) >= 0.8)
            .map(|(j, x)| (x.clone(), s.values(j).count()))
            .collect();
        more.sort_by_key(|x| std::cmp::Reverse(x.1));
        if !more.is_empty() {
            f.fallbacks
                .push((c.name, more.into_iter().map(|(x, _)| x).collect()));
        }
    }
    for c in t.columns() {
        if f.has(c.name) || (t.key() == Some(c.name)) {
            continue;
        }
        match c.ty {
            ColType::Date if c.required => {
                let best = s
                    .headers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| !used(f, h))
                    .map(|(i, h)| {
                        let share = infer::date_share(s, i, &plan.date_formats);
                        (h, share + if datey(h) { 0.5 } else { 0.0 }, share)
                    })
                    .filter(|(_, _, share)| *share >= 0.8)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((h, _, _)) = best {
                    let h = h.clone();
                    f.set(c.name, &h);
                }
            }
            ColType::Float if c.name == "amount" => {
                let qty = find(&s.headers, super::header_words("quantity"));
                let price = find(&s.headers, super::header_words("unit_price"));
                if let (Some(qn), Some(p)) = (qty, price) {
                    f.compute
                        .push(("amount", format!("{{ product = [{}, {}] }}", q(&qn), q(&p))));
                    continue;
                }
                if !c.required {
                    continue;
                }
                let best = s
                    .headers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| !used(f, h))
                    .filter(|(_, h)| {
                        let n = norm(h);
                        AMOUNT_WORDS.iter().any(|w| n.contains(&norm(w)))
                    })
                    .map(|(i, h)| (h, infer::numeric_share(s, i, plan.decimal_comma)))
                    .filter(|(_, share)| *share >= 0.8)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((h, _)) = best {
                    let h = h.clone();
                    f.set(c.name, &h);
                }
            }
            _ => {}
        }
    }
}

/// Labels of a status column that say a revenue document does not count (cancelled, void,
/// draft, quotation) or that an activity has not happened (to do, planned).
const VOID_WORDS: &[&str] = &[
    "cancel",
    "void",
    "draft",
    "quotation",
    "quote",
    "storn",
    "reversed",
    "作废",
    "取消",
    "草稿",
    "报价",
    "撤销",
    "无效",
];
const NOT_DONE_WORDS: &[&str] = &[
    "to do",
    "todo",
    "not started",
    "planned",
    "scheduled",
    "pending",
    "not done",
    "open",
    "未完成",
    "待办",
    "计划",
    "未开始",
    "待处理",
];
const STATUS_HEADERS: &[&str] = &["status", "state", "done", "completed", "状态", "完成"];

/// Rows whose status says they do not count are left out (`exclude`): revenue documents that
/// are cancelled, void, drafts or quotations; activities not done yet. Only a status column
/// that also holds other labels, so that a file is never emptied by it.
fn status_exclusions(s: &Sample, t: Table, f: &mut FileDraft) {
    if t == Table::Contacts {
        // A partner file of people and companies (Odoo's res.partner): the company rows are
        // not contacts.
        for (i, h) in s.headers.iter().enumerate() {
            let n = norm(h);
            let about_company = ["company", "organization", "organisation", "公司", "企业"]
                .iter()
                .any(|w| n.contains(w));
            if !about_company || !(n.starts_with("is") || n.starts_with("是否")) {
                continue;
            }
            let yes: Vec<String> = s
                .labels(i)
                .into_iter()
                .filter(|v| values::parse_bool(v) == Ok(true))
                .map(str::to_string)
                .collect();
            // Other rows say false, or nothing (Odoo writes False as an empty cell).
            let others = s.values(i).count() < s.rows.len()
                || s.values(i).any(|v| values::parse_bool(v) == Ok(false));
            if !yes.is_empty() && others {
                f.notes.push(format!(
                    "rows whose {h} is {} are companies, not contacts: left out",
                    yes.join(" / ")
                ));
                f.exclude.push((h.clone(), yes));
            }
            return;
        }
        return;
    }
    let words = match t {
        Table::Revenue => VOID_WORDS,
        Table::Activities => NOT_DONE_WORDS,
        _ => return,
    };
    for (i, h) in s.headers.iter().enumerate() {
        let n = norm(h);
        if !STATUS_HEADERS.iter().any(|w| n.contains(&norm(w))) {
            continue;
        }
        if f.columns.iter().any(|(_, x)| x == h) {
            continue;
        }
        let labels = s.labels(i);
        if labels.len() < 2 || labels.len() > 12 {
            continue;
        }
        let out: Vec<String> = labels
            .iter()
            .filter(|v| {
                let l = v.to_lowercase();
                words.iter().any(|w| l.contains(w))
            })
            .map(|v| v.to_string())
            .collect();
        if out.is_empty() || out.len() == labels.len() {
            continue;
        }
        f.notes.push(format!(
            "rows whose {h} is {} are left out ({})",
            out.join(" / "),
            if t == Table::Revenue {
                "they do not count as revenue"
            } else {
                "not done yet"
            }
        ));
        f.exclude.push((h.clone(), out));
        return;
    }
}

/// A person's name from first and last name columns, when no column holds the full name.
fn person_name(s: &Sample, t: Table, f: &mut FileDraft) {
    if !matches!(t, Table::Contacts | Table::Employees) || f.has("name") {
        return;
    }
    let first = find(&s.headers, super::header_words("first_name"));
    let last = find(&s.headers, super::header_words("last_name"));
    if let (Some(a), Some(b)) = (first, last) {
        f.compute.push(("name", concat(&[&a, &b], " ")));
    }
}

/// Won / closed from a status column whose labels are won, lost and open (Pipedrive's
/// `Status`, Odoo's or Dynamics' status), when the export has no is_won column.
fn won_from_status(s: &Sample, f: &mut FileDraft) {
    if f.has("is_won") {
        return;
    }
    let stages = crate::profiles::StageMap::default();
    let stage_header = f.header("stage").map(str::to_string);
    for (i, h) in s.headers.iter().enumerate() {
        if Some(h) == stage_header.as_ref() || f.columns.iter().any(|(_, x)| x == h) {
            continue;
        }
        let d = s.distinct(i);
        if d.is_empty() || d.len() > 6 {
            continue;
        }
        let read = |v: &str| -> &'static str {
            let l = v.to_lowercase();
            if stages.won.iter().any(|w| w.to_lowercase() == l) {
                return "won";
            }
            if stages.lost.iter().any(|w| w.to_lowercase() == l) {
                return "lost";
            }
            match labels::read(labels::Target::Stage, v, &stages) {
                labels::Reading::Mapped(m) if m == "won" => "won",
                labels::Reading::Mapped(m) if m == "lost" => "lost",
                _ => "open",
            }
        };
        let kinds: Vec<(&String, &'static str)> = d.keys().map(|v| (v, read(v))).collect();
        if !(kinds.iter().any(|(_, k)| *k == "won") && kinds.iter().any(|(_, k)| *k == "lost")) {
            continue;
        }
        let mut won = Vec::new();
        let mut closed = Vec::new();
        // The labels as written (value maps compare case-insensitively).
        for v in s.labels(i) {
            let k = read(v);
            won.push(format!(
                "{} = {}",
                q(v),
                q(if k == "won" { "true" } else { "false" })
            ));
            closed.push(format!(
                "{} = {}",
                q(v),
                q(if k == "open" { "false" } else { "true" })
            ));
        }
        f.columns.push(("is_won", h.clone()));
        f.columns.push(("is_closed", h.clone()));
        f.value_maps.push(("is_won", won));
        f.value_maps.push(("is_closed", closed));
        return;
    }
}

/// Whether a header looks like an identifier.
fn idish(h: &str) -> bool {
    let n = norm(h);
    n == "id"
        || n.ends_with("id")
        || n.ends_with("编号")
        || n.ends_with("编码")
        || n.ends_with("号")
        || n.ends_with("code")
        || n.ends_with("number")
        || n.ends_with("no")
        || n.ends_with("reference")
        || n.ends_with("ref")
}

/// The unique id column of a file: the mapped key column, else an id-like column, when
/// unique on the data.
fn unique_id(s: &Sample, t: Table, f: &FileDraft) -> Option<String> {
    let key = t.key()?;
    if let Some(h) = f.header(key) {
        if s.index(h).is_some_and(|i| s.unique(&[i], "")) {
            return Some(h.to_string());
        }
    }
    // An id-like column unique on the data, not one that refers to another table.
    s.headers
        .iter()
        .enumerate()
        .filter(|(_, h)| idish(h))
        .filter(|(_, h)| {
            let n = norm(h);
            // `AccountId` in a contacts file is a reference, `Id` / `ContactId` the key.
            n == "id"
                || t.columns()
                    .iter()
                    .all(|c| c.name == key || f.header(c.name) != Some(h))
        })
        .find(|(i, _)| s.unique(&[*i], ""))
        .map(|(_, h)| h.clone())
}

/// History, audit and log files, and line items: the same entity key repeated, where another
/// file of the same table holds each entity once. They are never drafted onto the table.
fn history_files(samples: &[Sample], files: &mut [FileDraft]) {
    let n = files.len();
    for a in 0..n {
        let Some(t) = files[a].table else { continue };
        let sa = &samples[files[a].sample];
        let name_says = {
            let nn = norm(&files[a].file);
            HISTORY_WORDS.iter().any(|w| nn.contains(&norm(w)))
        };
        let from_to = sa.headers.iter().any(|h| {
            let n = norm(h);
            FROM_TO_WORDS
                .iter()
                .any(|w| n == norm(w) || n.starts_with(&norm(w)))
        });
        // Another file of the same table whose unique key this file's column repeats.
        let mut entity: Option<(usize, String, String)> = None;
        for b in 0..n {
            if a == b || files[b].table != Some(t) {
                continue;
            }
            let sb = &samples[files[b].sample];
            let Some(kb) = unique_id(sb, t, &files[b]) else {
                continue;
            };
            let Some(ki) = sb.index(&kb) else { continue };
            let set: HashSet<String> = sb
                .values(ki)
                .map(crate::ingest::resolve::norm_key)
                .collect();
            for (i, h) in sa.headers.iter().enumerate() {
                let (rate, _) = infer::match_rate(sa, i, &set);
                if rate >= 0.8 && (sa.repeats(i) || idish(h)) {
                    entity = Some((b, h.clone(), files[b].file.clone()));
                    break;
                }
            }
            if entity.is_some() {
                break;
            }
        }
        let why = match (&entity, name_says, from_to) {
            (Some((_, h, other)), _, _) => Some(format!(
                "a history or line-item file: `{h}` repeats the keys of {other}, which holds each {} once",
                singular(t)
            )),
            (None, true, true) => Some(
                "a history or audit file: its name and its before/after columns say so".to_string(),
            ),
            // Named as a history beside a file of the same table (in a large export the
            // keys it repeats may lie beyond the rows read).
            (None, true, false)
                if (0..n).any(|b| {
                    b != a
                        && files[b].table == Some(t)
                        && !HISTORY_WORDS.iter().any(|w| norm(&files[b].file).contains(&norm(w)))
                }) =>
            {
                Some(format!(
                    "a history or line-item file: its name says so, beside the {t} file"
                ))
            }
            _ => None,
        };
        if let Some(why) = why {
            let f = &mut files[a];
            f.table = None;
            f.unused = Some(why);
            f.columns.clear();
            f.compute.clear();
        }
    }
}

/// The key: an id column unique on the data, else the narrowest set of columns unique on
/// the data, else a row key; later alternatives follow the first (used when the first does
/// not hold on a later export).
fn choose_key(s: &Sample, t: Table, f: &mut FileDraft) {
    let Some(key) = t.key() else { return };
    if let Some(id) = unique_id(s, t, f) {
        f.set(key, &id);
        return;
    }
    let mapped_key = f.header(key).map(str::to_string);
    if let Some(h) = &mapped_key {
        f.notes.push(format!(
            "{h}: not unique on the data, so not the {key}; the key is made from other columns"
        ));
        f.drop_column(key);
    }
    let name = f.header("name").map(str::to_string);
    let account = find(&s.headers, super::header_words("account_name"))
        .or_else(|| f.header("account_id").map(str::to_string));
    let email = f.header("email").map(str::to_string);
    let dates: Vec<String> = t
        .columns()
        .iter()
        .filter(|c| c.ty == ColType::Date)
        .filter_map(|c| f.header(c.name).map(str::to_string))
        .collect();
    let mut ladders: Vec<Vec<String>> = Vec::new();
    let mut push = |v: Vec<Option<String>>| {
        if let Some(v) = v.into_iter().collect::<Option<Vec<String>>>() {
            let mut d = v.clone();
            d.dedup();
            if !ladders.contains(&d) {
                ladders.push(d);
            }
        }
    };
    match t {
        Table::Accounts | Table::Employees => {
            push(vec![name.clone()]);
            push(vec![email.clone()]);
            for c in ["country", "region", "industry", "team"] {
                push(vec![name.clone(), f.header(c).map(str::to_string)]);
            }
        }
        Table::Contacts => {
            push(vec![email.clone()]);
            push(vec![account.clone(), name.clone()]);
            push(vec![account.clone(), name.clone(), email.clone()]);
        }
        _ => {
            push(vec![account.clone(), name.clone()]);
            for d in &dates {
                push(vec![account.clone(), name.clone(), Some(d.clone())]);
            }
            for d in &dates {
                push(vec![name.clone(), Some(d.clone())]);
            }
        }
    }
    let fits = |cols: &[String]| {
        let ix: Option<Vec<usize>> = cols.iter().map(|h| s.index(h)).collect();
        ix.is_some_and(|ix| s.unique(&ix, " / "))
    };
    let first = ladders.iter().position(|l| fits(l));
    let row_ok = !matches!(t, Table::Accounts);
    let toml = |l: &[String]| {
        if l.len() == 1 {
            q(&l[0])
        } else {
            concat(&l.iter().map(String::as_str).collect::<Vec<_>>(), " / ")
        }
    };
    match first {
        Some(i) => {
            let l = &ladders[i];
            if l.len() == 1 && matches!(t, Table::Accounts | Table::Employees) {
                // A natural key that other files use as it is (names).
                f.set(key, &l[0]);
            } else {
                f.key.push(toml(l));
            }
            for l in ladders.iter().skip(i + 1) {
                f.key.push(toml(l));
            }
            if row_ok && !f.key.is_empty() {
                f.key.push("{ row = true }".into());
            }
        }
        None if row_ok => f.key.push("{ row = true }".into()),
        None => {
            if let Some(n) = &name {
                f.set(key, n);
                f.notes.push(format!(
                    "{n}: not unique, yet the only name of an account: rows repeating a name are rejected as duplicates; map an id column as account_id if the export has one"
                ));
            }
        }
    }
}

/// Value sets of an entity file's columns, to find what other files refer to.
struct Entity {
    file: String,
    table: Table,
    /// (header, normalised values, what it is: "id", "name", "email")
    sets: Vec<(String, HashSet<String>, &'static str)>,
    /// The header holding the key (when a single column).
    key: Option<String>,
    /// How this file refers to its account, for chains: the header, and the lookup that
    /// turns it into the account's key (`None`: it holds the key itself).
    account_ref: Option<(String, Option<String>)>,
}

fn entity(s: &Sample, f: &FileDraft, t: Table) -> Entity {
    let mut sets = Vec::new();
    let key = t.key().and_then(|k| f.header(k)).map(str::to_string);
    let mut add = |h: Option<String>, what: &'static str| {
        if let Some(h) = h {
            if let Some(i) = s.index(&h) {
                if !sets.iter().any(|(x, _, _): &(String, _, _)| *x == h) {
                    let set: HashSet<String> =
                        s.values(i).map(crate::ingest::resolve::norm_key).collect();
                    sets.push((h, set, what));
                }
            }
        }
    };
    add(key.clone(), "id");
    add(f.header("name").map(str::to_string), "name");
    add(f.header("email").map(str::to_string), "email");
    // Other columns unique on the data (a domain, a website, a code) may be what other
    // files refer to.
    let mut extra: Vec<(String, &'static str)> = Vec::new();
    for (i, h) in s.headers.iter().enumerate() {
        if extra.len() >= 6 {
            break;
        }
        let filled = s.values(i).count();
        if filled * 2 < s.rows.len() || infer::date_share(s, i, &[]) > 0.5 {
            continue;
        }
        if infer::numeric_share(s, i, false) > 0.5 && !idish(h) {
            continue;
        }
        if s.distinct(i).len() == filled {
            let what: &'static str = if idish(h) { "id" } else { "value" };
            extra.push((h.clone(), what));
        }
    }
    for (h, what) in extra {
        add(Some(h), what);
    }
    Entity {
        file: f.file.clone(),
        table: t,
        sets,
        key,
        account_ref: None,
    }
}

/// A link found: the header of the referring file and the entity column it matches.
#[derive(Debug, Clone)]
struct Link {
    header: String,
    entity: usize,
    set: usize,
    rate: f64,
    hits: usize,
}

/// The columns of `s` whose values match entity sets, best first (at least `min` of rows).
fn links_of(
    s: &Sample,
    exclude: &[&str],
    entities: &[Entity],
    tables: &[Table],
    min: f64,
) -> Vec<Link> {
    let mut out = Vec::new();
    for (i, h) in s.headers.iter().enumerate() {
        if exclude.contains(&h.as_str()) {
            continue;
        }
        for (e, ent) in entities.iter().enumerate() {
            // A file does not refer to itself.
            if !tables.contains(&ent.table) || ent.file == s.file {
                continue;
            }
            for (k, (_, set, _)) in ent.sets.iter().enumerate() {
                let (rate, hits) = infer::match_rate(s, i, set);
                if rate >= min && hits > 0 {
                    out.push(Link {
                        header: h.clone(),
                        entity: e,
                        set: k,
                        rate,
                        hits,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| b.hits.cmp(&a.hits).then(b.rate.total_cmp(&a.rate)));
    out
}

fn add_lookup(plan: &mut Plan, l: LookupDraft) -> String {
    if let Some(x) = plan
        .lookups
        .iter()
        .find(|x| x.file == l.file && x.key == l.key && x.value == l.value && x.then == l.then)
    {
        return x.name.clone();
    }
    let mut name = l.name.clone();
    let mut n = 2;
    while plan.lookups.iter().any(|x| x.name == name) {
        name = format!("{}_{n}", l.name);
        n += 1;
    }
    plan.lookups.push(LookupDraft {
        name: name.clone(),
        ..l
    });
    name
}

/// Links between files, found on the values: account, contact and owner references.
fn link(samples: &[Sample], files: &mut [FileDraft], plan: &mut Plan) {
    // The first file of each entity table is the one referred to.
    let mut entities: Vec<Entity> = Vec::new();
    for t in [
        Table::Accounts,
        Table::Contacts,
        Table::Opportunities,
        Table::Employees,
    ] {
        if let Some(f) = files.iter().find(|f| f.table == Some(t)) {
            entities.push(entity(&samples[f.sample], f, t));
        }
    }
    let acc = entities.iter().position(|e| e.table == Table::Accounts);
    let has_accounts = acc.is_some();
    // Account references first in the entity files (chains use them).
    let order: Vec<usize> = {
        let mut o: Vec<usize> = (0..files.len()).collect();
        o.sort_by_key(|&i| match files[i].table {
            Some(Table::Opportunities) | Some(Table::Contacts) => 0,
            _ => 1,
        });
        o
    };
    for fi in order {
        let Some(t) = files[fi].table else { continue };
        let s = &samples[files[fi].sample];
        let own_key: Vec<String> = t
            .key()
            .and_then(|k| files[fi].header(k))
            .map(|h| vec![h.to_string()])
            .unwrap_or_default();
        let own: Vec<&str> = own_key.iter().map(String::as_str).collect();
        if t.has_account_fk() {
            link_account(s, fi, t, &own, files, &mut entities, acc, plan);
        }
        if t == Table::Activities {
            link_entity(
                s,
                fi,
                "contact_id",
                Table::Contacts,
                &own,
                files,
                &entities,
                plan,
                true,
            );
        }
        for c in ["owner_id", "employee_id"] {
            if t.column(c).is_some() {
                link_entity(
                    s,
                    fi,
                    c,
                    Table::Employees,
                    &own,
                    files,
                    &entities,
                    plan,
                    false,
                );
            }
        }
        if !has_accounts && matches!(t, Table::Revenue | Table::Opportunities) {
            let mut attrs = Vec::new();
            let id = files[fi].header("account_id").map(str::to_string);
            if let Some(n) = find(&s.headers, super::header_words("account_name")) {
                if Some(&n) != id.as_ref() {
                    attrs.push(format!("name = {}", q(&n)));
                }
            }
            if let Some(c) = find(&s.headers, synonyms(Table::Accounts, "country")) {
                attrs.push(format!("country = {}", q(&c)));
            }
            files[fi].derive_accounts = Some(format!("{{ {} }}", attrs.join(", ")));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn link_account(
    s: &Sample,
    fi: usize,
    t: Table,
    own: &[&str],
    files: &mut [FileDraft],
    entities: &mut [Entity],
    acc: Option<usize>,
    plan: &mut Plan,
) {
    let f = &files[fi];
    let mapped = f.header("account_id").map(str::to_string);
    let Some(a) = acc else {
        // No accounts file: the customer column names the account — its number when it
        // has one, else its name.
        if mapped.is_none() {
            let customerish = |h: &&String| {
                let n = norm(h);
                [
                    "customer",
                    "client",
                    "account",
                    "buyer",
                    "sellto",
                    "billto",
                    "soldto",
                    "客户",
                    "买方",
                    "购买方",
                ]
                .iter()
                .any(|w| n.contains(w))
            };
            let id = s
                .headers
                .iter()
                .filter(customerish)
                .find(|h| idish(h))
                .cloned();
            let h = id
                .or_else(|| find(&s.headers, super::header_words("account_name")))
                .or_else(|| s.headers.iter().find(customerish).cloned());
            if let Some(h) = h {
                files[fi].set("account_id", &h);
            }
        }
        return;
    };
    let ent_tables = [Table::Accounts, Table::Opportunities, Table::Contacts];
    let links = links_of(s, own, entities, &ent_tables, 0.2);
    let direct = |l: &Link| {
        l.entity == a && entities[a].key.as_deref() == Some(entities[a].sets[l.set].0.as_str())
    };
    if let Some(best) = links.first() {
        if direct(best) && best.rate >= 0.9 {
            files[fi].set("account_id", &best.header);
            if t == Table::Opportunities || t == Table::Contacts {
                if let Some(e) = entities
                    .iter_mut()
                    .find(|e| e.table == t && e.file == files[fi].file)
                {
                    e.account_ref = Some((best.header.clone(), None));
                }
            }
            return;
        }
    } else {
        if mapped.is_some() {
            return;
        }
        if let Some(h) = find(&s.headers, super::header_words("account_name")) {
            files[fi].notes.push(format!(
                "{h}: its values match no account of {}; mapped as account_id anyway (rows become orphans)",
                entities[a].file
            ));
            files[fi].set("account_id", &h);
        }
        return;
    }
    // Through lookups: by account name, or through the opportunity or contact it names.
    files[fi].drop_column("account_id");
    let mut derives: Vec<String> = Vec::new();
    let mut seen_headers: Vec<String> = Vec::new();
    let mut firsts: Vec<(String, String)> = Vec::new();
    let acc_key = entities[a].key.clone();
    for l in links.iter().take(6) {
        let e = &entities[l.entity];
        let (set_header, what) = (e.sets[l.set].0.clone(), e.sets[l.set].2);
        let lookup = if e.table == Table::Accounts {
            let Some(k) = &acc_key else { continue };
            add_lookup(
                plan,
                LookupDraft {
                    name: format!("account_by_{what}"),
                    file: e.file.clone(),
                    key: set_header,
                    value: k.clone(),
                    then: None,
                },
            )
        } else {
            let Some((aref, then)) = e.account_ref.clone() else {
                continue;
            };
            add_lookup(
                plan,
                LookupDraft {
                    name: format!("account_of_{}_{what}", singular(e.table)),
                    file: e.file.clone(),
                    key: set_header,
                    value: aref,
                    then,
                },
            )
        };
        if seen_headers.contains(&format!("{}→{lookup}", l.header)) {
            continue;
        }
        seen_headers.push(format!("{}→{lookup}", l.header));
        firsts.push((l.header.clone(), lookup.clone()));
        derives.push(format!(
            "{{ lookup = {}, from = {} }}",
            q(&lookup),
            q(&l.header)
        ));
    }
    if derives.is_empty() {
        return;
    }
    if let (Some(best), Some((_, first))) = (links.first(), firsts.first()) {
        if best.entity == a && (t == Table::Opportunities || t == Table::Contacts) {
            let file = files[fi].file.clone();
            if let Some(e) = entities.iter_mut().find(|e| e.table == t && e.file == file) {
                e.account_ref = Some((best.header.clone(), Some(first.clone())));
            }
        }
    }
    files[fi]
        .derive
        .push(("account_id", format!("[{}]", derives.join(", "))));
}

#[allow(clippy::too_many_arguments)]
fn link_entity(
    s: &Sample,
    fi: usize,
    column: &'static str,
    table: Table,
    own: &[&str],
    files: &mut [FileDraft],
    entities: &[Entity],
    plan: &mut Plan,
    quiet: bool,
) {
    let Some(e) = entities.iter().position(|x| x.table == table) else {
        return; // names as ids, as mapped by synonyms
    };
    if files[fi].file == entities[e].file {
        return;
    }
    let links = links_of(s, own, &entities[e..=e], &[table], 0.3);
    let Some(best) = links.first() else {
        return;
    };
    let ent = &entities[e];
    let (h, what) = (&ent.sets[best.set].0, ent.sets[best.set].2);
    if ent.key.as_deref() == Some(h.as_str()) && best.rate >= 0.9 {
        files[fi].set(column, &best.header);
        return;
    }
    let Some(k) = &ent.key else {
        return;
    };
    files[fi].drop_column(column);
    let name = add_lookup(
        plan,
        LookupDraft {
            name: format!("{}_by_{what}", singular(table)),
            file: ent.file.clone(),
            key: h.clone(),
            value: k.clone(),
            then: None,
        },
    );
    let missing = if quiet { ", missing = \"quiet\"" } else { "" };
    files[fi].derive.push((
        column,
        format!(
            "{{ lookup = {}, from = {}{missing} }}",
            q(&name),
            q(&best.header)
        ),
    ));
}

/// Credit notes: a document-type column with a credit label, or document numbers with a
/// letter prefix where most are digits.
fn sign_rule(s: &Sample, f: &mut FileDraft) {
    const CREDIT: &[&str] = &[
        "credit",
        "gutschrift",
        "avoir",
        "refund",
        "return",
        "贷项",
        "红字",
        "红冲",
        "退货",
        "退款",
    ];
    // The document number, mapped or not (a number repeated by lines is not the key).
    let doc_header = f
        .header("document_id")
        .map(str::to_string)
        .or_else(|| find(&s.headers, synonyms(Table::Revenue, "document_id")));
    // A file of credit notes (by its name): every line negative, by the document number's
    // common prefix (or every row).
    let fname = norm(&f.file);
    if CREDIT.iter().any(|w| fname.contains(&norm(w))) {
        if let Some(h) = doc_header.clone().or_else(|| s.headers.first().cloned()) {
            let i = s.index(&h);
            let mut prefix: Option<String> = None;
            for v in i.into_iter().flat_map(|i| s.values(i)) {
                let p: String = v.chars().take_while(|c| !c.is_ascii_digit()).collect();
                prefix = Some(match prefix {
                    None => p,
                    Some(x) => x
                        .chars()
                        .zip(p.chars())
                        .take_while(|(a, b)| a == b)
                        .map(|(a, _)| a)
                        .collect(),
                });
            }
            f.notes.push(
                "a credit-note file (by its name): its amounts are made negative".to_string(),
            );
            f.sign.push((
                "amount",
                format!(
                    "{{ column = {}, prefix = [{}] }}",
                    q(&h),
                    q(&prefix.unwrap_or_default())
                ),
            ));
            return;
        }
    }
    for (i, h) in s.headers.iter().enumerate() {
        let d = s.distinct(i);
        if d.is_empty() || d.len() > 20 {
            continue;
        }
        let credit: Vec<String> = d
            .keys()
            .filter(|v| CREDIT.iter().any(|w| v.contains(w)))
            .cloned()
            .collect();
        if !credit.is_empty() && credit.len() < d.len() {
            let vals: Vec<String> = s
                .labels(i)
                .into_iter()
                .filter(|v| credit.contains(&crate::ingest::resolve::norm_key(v)))
                .map(q)
                .collect();
            f.sign.push((
                "amount",
                format!("{{ column = {}, values = [{}] }}", q(h), vals.join(", ")),
            ));
            return;
        }
    }
    let Some(doc) = doc_header.as_deref().and_then(|h| s.index(h)) else {
        return;
    };
    let (mut digits, mut prefixed) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    for v in s.values(doc) {
        let p: String = v.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let rest = &v[p.len()..];
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return;
        }
        if p.is_empty() {
            digits += 1;
        } else {
            *prefixed.entry(p).or_insert(0) += 1;
        }
    }
    let n: usize = prefixed.values().sum();
    if digits > 0 && n > 0 && n * 3 < digits && prefixed.len() <= 2 {
        let h = doc_header.unwrap_or_default();
        let p: Vec<String> = prefixed.keys().map(|p| q(p)).collect();
        f.sign.push((
            "amount",
            format!("{{ column = {}, prefix = [{}] }}", q(&h), p.join(", ")),
        ));
    }
}

/// The distinct labels of the label columns, classified against the built-in vocabulary.
fn read_labels(
    s: &Sample,
    t: Table,
    columns: &[(&'static str, String)],
) -> Vec<labels::ColumnLabels> {
    let stages = crate::profiles::StageMap::default();
    columns
        .iter()
        .filter_map(|(c, h)| {
            let target = labels::Target::of(t, c)?;
            let i = s.index(h)?;
            let mut found: Vec<String> = Vec::new();
            for v in s.values(i) {
                if found.len() > labels::MAX_LABELS {
                    break;
                }
                if !found.iter().any(|x| x == v) {
                    found.push(v.to_string());
                }
            }
            Some(labels::classify(target, c, h, &found, &stages))
        })
        .collect()
}

/// Describe the plan's lookups for the TOML.
pub fn write_lookups(t: &mut String, plan: &Plan) {
    for l in &plan.lookups {
        let _ = writeln!(
            t,
            "\n[[lookup]]\nname = {}\nfiles = [{}]\nkey = {}\nvalue = {}",
            q(&l.name),
            q(&super::pattern(&l.file)),
            q(&l.key),
            q(&l.value)
        );
        if let Some(then) = &l.then {
            let _ = writeln!(t, "then = {}", q(then));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(file: &str, headers: &[&str], rows: &[&[&str]]) -> Sample {
        Sample {
            file: file.into(),
            path: file.into(),
            sheet: None,
            encoding: "utf-8".into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| v.to_string()).collect())
                .collect(),
            complete: true,
            footer: vec![],
        }
    }

    fn by_file<'a>(p: &'a Plan, f: &str) -> &'a FileDraft {
        p.files.iter().find(|x| x.file == f).unwrap()
    }

    #[test]
    fn history_files_are_not_used_and_keys_and_links_come_from_the_values() {
        let samples = vec![
            sample(
                "Accounts.csv",
                &["Account Name", "Industry"],
                &[&["Acme", "Tech"], &["Beta", "Retail"]],
            ),
            // The same topic recurs for a customer: customer + topic + close date is unique.
            sample(
                "Opportunities.csv",
                &["Account Name", "Opportunity Name", "Close Date", "Amount"],
                &[
                    &["Acme", "Renewal", "1/31/2023", "100"],
                    &["Acme", "Renewal", "1/31/2024", "120"],
                    &["Beta", "Pilot", "2/15/2024", "50"],
                ],
            ),
            // Stage changes: the deal key repeated.
            sample(
                "Opportunity Stage History.csv",
                &["Opportunity ID", "From Stage", "To Stage", "Changed On"],
                &[
                    &["O1", "New", "Won", "2024-01-01"],
                    &["O1", "Won", "Lost", "2024-02-01"],
                ],
            ),
            // Activities name the deal they belong to, not the account.
            sample(
                "Tasks.csv",
                &["Subject", "Date", "Related To"],
                &[
                    &["Call", "1/5/2024", "Pilot"],
                    &["Visit", "1/6/2024", "Renewal"],
                ],
            ),
        ];
        let p = plan(&samples);
        let acc = by_file(&p, "Accounts.csv");
        assert_eq!(acc.header("account_id"), Some("Account Name"));
        let opp = by_file(&p, "Opportunities.csv");
        assert_eq!(opp.table, Some(Table::Opportunities));
        assert!(
            opp.key[0].contains("Close Date") && opp.key.last().unwrap().contains("row"),
            "{:?}",
            opp.key
        );
        assert_eq!(opp.header("account_id"), Some("Account Name"));
        assert_eq!(p.date_formats.first().map(String::as_str), Some("%m/%d/%Y"));
        let hist = by_file(&p, "Opportunity Stage History.csv");
        assert_eq!(hist.table, None, "{hist:?}");
        assert!(hist.unused.as_deref().unwrap_or("").contains("history"));
        let tasks = by_file(&p, "Tasks.csv");
        assert_eq!(tasks.table, Some(Table::Activities));
        let derive = &tasks
            .derive
            .iter()
            .find(|(c, _)| *c == "account_id")
            .unwrap()
            .1;
        let l = p
            .lookups
            .iter()
            .find(|l| derive.contains(&q(&l.name)))
            .unwrap();
        assert_eq!(
            (l.file.as_str(), l.key.as_str(), l.value.as_str()),
            ("Opportunities.csv", "Opportunity Name", "Account Name")
        );
    }

    #[test]
    fn credit_notes_void_orders_and_customers_without_an_accounts_file() {
        let samples = vec![sample(
            "Sales Orders.csv",
            &["Order No", "Customer No.", "Order Date", "Total", "Status"],
            &[
                &["1001", "C1", "2024-01-02", "100", "Confirmed"],
                &["C1002", "C1", "2024-01-03", "40", "Confirmed"],
                &["1003", "C2", "2024-01-04", "70", "Cancelled"],
                &["1004", "C2", "2024-01-05", "80", "Confirmed"],
                &["1005", "C3", "2024-01-06", "90", "Confirmed"],
                &["1006", "C3", "2024-01-07", "90", "Confirmed"],
                &["1007", "C3", "2024-01-08", "90", "Confirmed"],
            ],
        )];
        let p = plan(&samples);
        let f = by_file(&p, "Sales Orders.csv");
        assert_eq!(f.table, Some(Table::Revenue));
        assert_eq!(f.header("account_id"), Some("Customer No."));
        assert_eq!(f.header("amount"), Some("Total"));
        assert!(f.derive_accounts.is_some());
        assert_eq!(
            f.exclude,
            vec![("Status".to_string(), vec!["Cancelled".to_string()])]
        );
        assert!(f.sign[0].1.contains("prefix = [\"C\"]"), "{:?}", f.sign);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Headers and cells that have broken drafts: synonyms of several tables at once, quotes,
    /// brackets, glob characters, TOML syntax, CJK, empty and repeated headers.
    const HEADERS: &[&str] = &[
        "Id",
        "Name",
        "Account Name",
        "AccountId",
        "Amount",
        "Stage",
        "Close Date",
        "Email",
        "Owner",
        "Status",
        "Type",
        "Date",
        "客户名称",
        "金额",
        "阶段",
        "跟进方式",
        "Quantity",
        "Unit Price",
        "Is a Company",
        "IsDeleted",
        "Customer No.",
        "say \"hi\"",
        "a]b[c",
        "x = 1",
        "*?",
        "",
        "Probability (%)",
        "Currency",
        "First Name",
        "Last Name",
        "Role",
        "Account\nName",
        "x\n[[table]]\nname = \"accounts\"",
        "Stage\r\nfoo = 1",
        "\u{2028}Name",
        "Tab\there",
    ];
    const CELLS: &[&str] = &[
        "",
        "1",
        "2.5",
        "1.234,50",
        "81%",
        "2024-01-31",
        "1/31/2024",
        "31.01.2024",
        "Acme",
        "Beta",
        "won",
        "Lost",
        "open",
        "Cancelled",
        "True",
        "False",
        "x\"y",
        "[a]",
        "上门拜访",
        "C100",
        "100",
        "a@b.c",
        "US Dollar",
        "won\n[stages]",
        "x\n[[lookup]]",
    ];
    const FILES: &[&str] = &[
        "Account.csv",
        "Opportunity.csv",
        "deals [1].csv",
        "orders*.csv",
        "history.csv",
        "联系人.csv",
        "Credit Memo Lines.csv",
        "x.csv",
        "a\n[[table]]\nname = \"revenue\".csv",
        "history\r\n#.csv",
    ];

    fn sample_of(file: usize, cols: &[usize], rows: &[Vec<usize>]) -> Sample {
        Sample {
            file: FILES[file].into(),
            path: FILES[file].into(),
            sheet: None,
            encoding: "utf-8".into(),
            headers: cols.iter().map(|&c| HEADERS[c].to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| {
                    cols.iter()
                        .enumerate()
                        .map(|(k, _)| CELLS[r.get(k).copied().unwrap_or(0)].to_string())
                        .collect()
                })
                .collect(),
            complete: true,
            footer: vec![],
        }
    }

    proptest! {
        /// Any text is one TOML string that reads back as itself, as a value and as a key.
        #[test]
        fn q_round_trips(text in any::<String>()) {
            // The value under `v`, the key in its own table (so that no text collides with `v`).
            let doc = format!("v = {}\n[t]\n{} = 1", q(&text), q(&text));
            let v: toml::Table =
                toml::from_str(&doc).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(v.get("v").and_then(|x| x.as_str()), Some(text.as_str()));
            let t = v.get("t").and_then(|x| x.as_table());
            prop_assert!(t.is_some_and(|t| t.contains_key(&text)), "{}", doc);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Whatever the files, the draft is a profile mcr loads.
        #[test]
        fn every_draft_loads(
            files in proptest::collection::vec(
                (
                    0..FILES.len(),
                    proptest::collection::vec(0..HEADERS.len(), 1..8),
                    proptest::collection::vec(proptest::collection::vec(0..CELLS.len(), 8), 0..12),
                ),
                1..5,
            )
        ) {
            let mut seen = std::collections::HashSet::new();
            let samples: Vec<Sample> = files
                .iter()
                .filter(|(f, _, _)| seen.insert(*f))
                .map(|(f, cols, rows)| sample_of(*f, cols, rows))
                .collect();
            let p = plan(&samples);
            let toml = super::super::write_toml(std::path::Path::new("exports"), &p);
            let loaded = crate::profiles::Profile::from_toml(&toml, "the draft");
            prop_assert!(loaded.is_ok(), "{:#}\n{toml}", loaded.as_ref().unwrap_err());
            // Only what init meant to write: one [[table]] per file it uses, one [[lookup]]
            // per lookup it drafted, whatever the headers and file names hold.
            let loaded = loaded.unwrap();
            let used: Vec<&FileDraft> = p.files.iter().filter(|f| f.table.is_some()).collect();
            prop_assert_eq!(loaded.tables.len(), used.len(), "{}", toml);
            prop_assert_eq!(loaded.lookups.len(), p.lookups.len(), "{}", toml);
            for (m, f) in loaded.tables.iter().zip(used) {
                prop_assert_eq!(m.files.clone(), vec![crate::ingest::draft::pattern(&f.file)]);
                prop_assert_eq!(m.table(), f.table);
            }
        }
    }
}
