//! `mcr profiles init DIR`: draft a profile for an export folder mcr has never seen. (Here in
//! ingest, not in profiles: it reads the exports, and profiles sit below ingest.)
//!
//! Each file's table is recognised by its name and headers; columns are mapped by synonyms
//! (English and Chinese: Salesforce, Dynamics, HubSpot and Chinese-CRM vocabulary). Where a
//! table has no id column, its key comes from what it has (a name, account + name, or a row
//! key), and references by name then use the same value. A required column with no
//! confident match is said plainly, never guessed. The draft is a commented TOML profile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::read;
use crate::contract::Table;
use crate::profiles::labels;

/// Normalise a header or synonym: lower case, without spaces and punctuation.
fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !"_-.():：（）/#".contains(*c))
        .collect()
}

/// Synonyms of each canonical column, per table (normalised by [`norm`] when compared).
/// Long: a data table, one arm per column.
fn synonyms(table: Table, column: &str) -> &'static [&'static str] {
    use Table::*;
    match (table, column) {
        (Accounts, "account_id") => &[
            "account_id",
            "accountid",
            "id",
            "account id",
            "(do not modify) account",
            "company id",
            "客户编号",
            "客户id",
            "客户编码",
        ],
        (Accounts, "name") => &[
            "name",
            "account name",
            "account",
            "company name",
            "客户名称",
            "客户",
            "公司名称",
            "客户全称",
        ],
        (Accounts, "industry") => &["industry", "sector", "所属行业", "行业"],
        (Accounts, "region") => &[
            "region",
            "territory",
            "sales region",
            "区域",
            "所属区域",
            "大区",
            "销售区域",
        ],
        (Accounts, "country") => &[
            "country",
            "billing country",
            "billingcountry",
            "country/region",
            "address 1: country/region",
            "国家",
            "国家/地区",
        ],
        (Accounts, "owner_id") => &[
            "owner",
            "owner_id",
            "ownerid",
            "account owner",
            "company owner",
            "负责人",
            "客户负责人",
            "客户经理",
        ],
        (Accounts, "declared_tier") => &[
            "tier",
            "customer tier",
            "declared_tier",
            "客户级别",
            "客户等级",
            "客户分级",
        ],
        (Accounts, "created_date") => &[
            "created date",
            "createddate",
            "created on",
            "create date",
            "创建时间",
            "创建日期",
        ],
        (Contacts, "contact_id") => &[
            "contact_id",
            "contactid",
            "id",
            "contact id",
            "(do not modify) contact",
            "联系人编号",
            "联系人id",
        ],
        (Contacts, "account_id") => &[
            "account_id",
            "accountid",
            "account id",
            "客户编号",
            "客户id",
        ],
        (Contacts, "name") => &[
            "name",
            "full name",
            "contact name",
            "姓名",
            "联系人",
            "联系人姓名",
        ],
        (Contacts, "email") => &["email", "e-mail", "邮箱", "电子邮件", "电子邮箱"],
        (Contacts, "phone") => &[
            "phone",
            "mobile",
            "mobile phone",
            "business phone",
            "phone number",
            "手机",
            "电话",
            "手机号",
            "联系电话",
        ],
        (Contacts, "title") => &["title", "job title", "职务", "职位"],
        (Contacts, "department") => &["department", "部门"],
        (Contacts, "level") => &["level", "层级", "级别"],
        (Contacts, "decision_role") => &[
            "decision_role",
            "decision role",
            "role",
            "buying role",
            "决策角色",
            "角色",
        ],
        (Contacts, "support") => &["support", "support level", "支持度", "态度"],
        (Contacts, "intimacy") => &["intimacy", "亲密度", "关系亲密度", "亲密程度"],
        (Contacts, "owner_id") => &["owner", "owner_id", "contact owner", "负责人"],
        (Opportunities, "opportunity_id") => &[
            "opportunity_id",
            "opportunityid",
            "id",
            "opportunity id",
            "deal id",
            "(do not modify) opportunity",
            "商机编号",
            "商机id",
        ],
        (Opportunities, "account_id") => &[
            "account_id",
            "accountid",
            "account id",
            "客户编号",
            "客户id",
        ],
        (Opportunities, "name") => &["name", "opportunity name", "deal name", "topic", "商机名称"],
        (Opportunities, "amount") => &[
            "amount",
            "deal amount",
            "close value",
            "est. revenue",
            "商机金额",
            "金额",
            "预计金额",
            "预计成交金额",
        ],
        (Opportunities, "currency") => &["currency", "币种"],
        (Opportunities, "stage") => &[
            "stage",
            "stagename",
            "deal stage",
            "deal_stage",
            "status reason",
            "销售阶段",
            "商机阶段",
            "阶段",
        ],
        (Opportunities, "probability") => &[
            "probability",
            "probability (%)",
            "赢率",
            "成交概率",
            "赢单率",
        ],
        (Opportunities, "close_date") => &[
            "close date",
            "closedate",
            "close_date",
            "est. close date",
            "结单日期",
            "预计成交日期",
            "成交日期",
            "预计结单日期",
        ],
        (Opportunities, "created_date") => &[
            "created date",
            "createddate",
            "created on",
            "create date",
            "创建时间",
            "创建日期",
        ],
        (Opportunities, "owner_id") => &[
            "owner",
            "owner_id",
            "opportunity owner",
            "sales agent",
            "deal owner",
            "负责人",
            "销售负责人",
        ],
        (Opportunities, "product_line") => &["product line", "product_line", "产品线", "产品"],
        (Revenue, "document_id") => &[
            "document_id",
            "invoiceno",
            "invoice no",
            "invoice",
            "invoice number",
            "单据编号",
            "订单编号",
            "回款编号",
            "发票号",
            "单号",
        ],
        (Revenue, "account_id") => &[
            "account_id",
            "customerid",
            "customer id",
            "customer",
            "客户编号",
            "客户id",
        ],
        (Revenue, "date") => &[
            "date",
            "invoicedate",
            "invoice date",
            "日期",
            "回款日期",
            "订单日期",
            "开票日期",
        ],
        (Revenue, "amount") => &[
            "amount",
            "line total",
            "linetotal",
            "金额",
            "回款金额",
            "订单金额",
            "开票金额",
        ],
        (Revenue, "currency") => &["currency", "币种"],
        (Revenue, "gross_margin") => &["gross margin", "gross_margin", "毛利"],
        (Revenue, "product_line") => &["product line", "product_line", "产品线"],
        (Activities, "activity_id") => &[
            "activity_id",
            "activityid",
            "activity id",
            "id",
            "(do not modify) activity",
            "跟进记录编号",
            "记录编号",
        ],
        (Activities, "account_id") => &[
            "account_id",
            "accountid",
            "account id",
            "客户编号",
            "客户id",
        ],
        (Activities, "employee_id") => &[
            "employee_id",
            "owner",
            "activity owner",
            "跟进人",
            "负责人",
            "拜访人",
        ],
        (Activities, "date") => &[
            "date",
            "activity date",
            "activitydate",
            "actual end",
            "跟进时间",
            "跟进日期",
            "拜访日期",
            "日期",
        ],
        (Activities, "type") => &["type", "activity type", "跟进方式", "跟进类型", "类型"],
        (Activities, "subject") => &["subject", "主题", "跟进内容", "内容"],
        (Employees, "employee_id") => &[
            "employee_id",
            "employeeid",
            "user id",
            "userid",
            "id",
            "(do not modify) user",
            "员工编号",
            "工号",
        ],
        (Employees, "name") => &[
            "name",
            "full name",
            "sales agent",
            "员工姓名",
            "姓名",
            "用户名称",
        ],
        (Employees, "role") => &["role", "sales role", "角色", "岗位", "销售角色"],
        (Employees, "team") => &["team", "business unit", "department", "部门", "团队"],
        (Employees, "region") => &["region", "territory", "区域", "所属区域"],
        (Employees, "active") => &["active", "isactive", "status", "是否在职", "状态"],
        (Agreements, "agreement_id") => &[
            "agreement_id",
            "contract id",
            "contractnumber",
            "id",
            "合同编号",
        ],
        (Agreements, "account_id") => &["account_id", "accountid", "客户编号"],
        (Agreements, "type") => &["type", "agreement type", "合同类型", "协议类型"],
        (Agreements, "start_date") => &["start date", "startdate", "开始日期", "生效日期"],
        (Agreements, "end_date") => &["end date", "enddate", "结束日期", "到期日期"],
        _ => &[],
    }
}

/// Headers that name the account (a reference by name) in a non-account table.
const ACCOUNT_NAME: &[&str] = &[
    "account name",
    "account",
    "account.name",
    "company name",
    "potential customer",
    "associated company",
    "客户名称",
    "客户",
    "所属客户",
    "客户全称",
];
const QUANTITY: &[&str] = &["quantity", "qty", "数量"];
const UNIT_PRICE: &[&str] = &["unitprice", "unit price", "price", "单价"];

/// Words in file names (normalised) that say which table a file holds, strongest first.
fn file_words(table: Table) -> &'static [&'static str] {
    use Table::*;
    match table {
        Accounts => &["account", "compan", "客户"],
        Contacts => &["contact", "联系人"],
        Opportunities => &["opportunit", "deal", "pipeline", "商机"],
        Revenue => &[
            "invoice", "revenue", "order", "retail", "sales", "回款", "订单", "发票", "开票",
        ],
        Activities => &["activit", "task", "event", "跟进", "拜访", "活动"],
        Employees => &["user", "employee", "team", "员工", "用户", "人员"],
        Agreements => &["contract", "agreement", "合同", "协议"],
        Surveys => &["survey", "满意度", "调研"],
        FxRates => &["fx", "汇率"],
    }
}

/// One file's draft mapping.
#[derive(Debug)]
pub struct Draft {
    pub file: String,
    pub table: Table,
    pub encoding: String,
    pub headers: Vec<String>,
    /// canonical column → header
    pub columns: Vec<(&'static str, String)>,
    /// The key, when no id column: a TOML value.
    pub key: Option<String>,
    /// Other TOML lines of the [[table]] (compute, derive_accounts).
    pub extra: Vec<String>,
    /// Required columns with no confident match.
    pub unmapped_required: Vec<&'static str>,
    /// The labels found in label columns (stages, roles, types, yes/no…) and how they read.
    pub labels: Vec<labels::ColumnLabels>,
}

/// Rows read for the labels of a file (enough for any label vocabulary).
const LABEL_ROWS: usize = 100_000;

/// The distinct labels of the label columns among `columns` (canonical → header), in the
/// order first seen, classified against the built-in vocabulary.
fn read_labels(
    table: Table,
    columns: &[(&'static str, String)],
    raw: read::RawTable,
) -> anyhow::Result<Vec<labels::ColumnLabels>> {
    let stages = crate::profiles::StageMap::default();
    let nulls = crate::profiles::default_nulls();
    let wanted: Vec<(&'static str, &String, labels::Target, usize)> = columns
        .iter()
        .filter_map(|(c, h)| {
            let t = labels::Target::of(table, c)?;
            let i = raw
                .headers
                .iter()
                .position(|x| x.trim().trim_start_matches('\u{feff}') == h)?;
            Some((*c, h, t, i))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(vec![]);
    }
    let mut found: Vec<Vec<String>> = vec![Vec::new(); wanted.len()];
    let mut records = raw.records;
    let mut batch = read::RecordBatch::default();
    records
        .read_batch(&mut batch, LABEL_ROWS)
        .map_err(read::ReadError::into_hinted)?;
    for rec in batch.iter() {
        for (k, (_, _, _, i)) in wanted.iter().enumerate() {
            let Some(v) = rec.fields.get(*i).and_then(|b| std::str::from_utf8(b).ok()) else {
                continue;
            };
            let v = v.trim();
            let f = &mut found[k];
            if v.is_empty()
                || nulls.iter().any(|n| n == v)
                || f.len() > labels::MAX_LABELS
                || f.iter().any(|x| x == v)
            {
                continue;
            }
            f.push(v.to_string());
        }
    }
    Ok(wanted
        .iter()
        .zip(&found)
        .map(|((c, h, t, _), f)| labels::classify(*t, c, h, f, &stages))
        .collect())
}

fn find(headers: &[String], syns: &[&str]) -> Option<String> {
    let hs: Vec<String> = headers.iter().map(|h| norm(h)).collect();
    syns.iter()
        .find_map(|s| hs.iter().position(|h| *h == norm(s)))
        .map(|i| headers[i].trim().trim_start_matches('\u{feff}').to_string())
}

/// Guess a file's table from its name and headers: (table, score).
fn guess_table(name: &str, headers: &[String]) -> Option<(Table, i32)> {
    let n = norm(name);
    let mut best: Option<(Table, i32)> = None;
    for t in Table::ALL {
        if t == Table::Surveys {
            continue;
        }
        let mut score = 0;
        if file_words(t).iter().any(|w| n.contains(w)) {
            score += 10;
        }
        for c in t.columns() {
            if find(headers, synonyms(t, c.name)).is_some() {
                score += 1;
            }
        }
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((t, score));
        }
    }
    best.filter(|(_, s)| *s >= 10)
}

/// TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Draft a profile for the export files in `dir`: (TOML text, drafts).
pub fn draft(dir: &Path) -> anyhow::Result<(String, Vec<Draft>, Vec<String>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && read::FileKind::of(p).is_some())
        .collect();
    files.sort();
    let mut drafts = Vec::new();
    let mut unknown = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let raw = read::open(f, None, "auto", "auto").map_err(read::ReadError::into_hinted)?;
        let Some((table, _)) = guess_table(&name, &raw.headers) else {
            unknown.push(name);
            continue;
        };
        let mut columns = Vec::new();
        for c in table.columns() {
            if let Some(h) = find(&raw.headers, synonyms(table, c.name)) {
                if !columns.iter().any(|(_, x): &(&str, String)| *x == h) || c.name == "name" {
                    columns.push((c.name, h));
                }
            }
        }
        let (encoding, headers) = (raw.encoding.clone(), raw.headers.clone());
        let labels = read_labels(table, &columns, raw)?;
        drafts.push(Draft {
            file: name,
            table,
            encoding,
            headers,
            columns,
            key: None,
            extra: vec![],
            unmapped_required: vec![],
            labels,
        });
    }
    // Keys and references: accounts keyed by name when they have no id; then every other
    // table refers to an account by the header that names it.
    let accounts_by_name = drafts
        .iter()
        .find(|d| d.table == Table::Accounts)
        .map(|d| !d.columns.iter().any(|(c, _)| *c == "account_id"));
    let employees_by_name = drafts
        .iter()
        .find(|d| d.table == Table::Employees)
        .map(|d| !d.columns.iter().any(|(c, _)| *c == "employee_id"));
    let has_accounts = accounts_by_name.is_some();
    for d in &mut drafts {
        let has = |d: &Draft, c: &str| d.columns.iter().any(|(x, _)| *x == c);
        let header = |d: &Draft, c: &str| {
            d.columns
                .iter()
                .find(|(x, _)| *x == c)
                .map(|(_, h)| h.clone())
        };
        let account_name = find(&d.headers, ACCOUNT_NAME);
        if d.table != Table::Accounts && !has(d, "account_id") {
            match (&account_name, accounts_by_name) {
                (Some(h), Some(true) | None) => d.columns.push(("account_id", h.clone())),
                (Some(h), Some(false)) => d.extra.push(format!(
                    "derive = {{ account_id = {{ lookup = \"account_by_name\", from = {} }} }}",
                    q(h)
                )),
                _ => {}
            }
        }
        if employees_by_name == Some(false) {
            // Owners are names but users have ids: leave owner columns to a lookup the
            // user adds (said in the comments), rather than a wrong id.
        }
        match d.table {
            Table::Accounts if !has(d, "account_id") => {
                if let Some(n) = header(d, "name") {
                    d.key = Some(q(&n));
                }
            }
            Table::Employees if !has(d, "employee_id") => {
                if let Some(n) = header(d, "name") {
                    d.key = Some(q(&n));
                }
            }
            Table::Contacts if !has(d, "contact_id") => {
                if let (Some(a), Some(n)) = (&account_name, header(d, "name")) {
                    d.key = Some(format!(
                        "{{ concat = [{}, {}], sep = \" / \" }}",
                        q(a),
                        q(&n)
                    ));
                }
            }
            Table::Opportunities if !has(d, "opportunity_id") => {
                d.key = Some(match (&account_name, header(d, "name")) {
                    (Some(a), Some(n)) => {
                        format!("{{ concat = [{}, {}], sep = \" / \" }}", q(a), q(&n))
                    }
                    _ => "{ row = true }".into(),
                });
            }
            Table::Revenue | Table::Activities | Table::Agreements
                if !has(d, d.table.key().unwrap_or_default()) =>
            {
                d.key = Some("{ row = true }".into());
            }
            _ => {}
        }
        if d.table == Table::Activities && !has(d, "contact_id") {
            if let (Some(a), Some(c)) = (
                &account_name,
                find(&d.headers, &["联系人", "contact", "contact name"]),
            ) {
                d.extra.push(format!(
                    "compute = {{ contact_id = {{ concat = [{}, {}], sep = \" / \" }} }}",
                    q(a),
                    q(&c)
                ));
            }
        }
        if d.table == Table::Revenue && !has(d, "amount") {
            if let (Some(qty), Some(p)) = (find(&d.headers, QUANTITY), find(&d.headers, UNIT_PRICE))
            {
                d.extra.push(format!(
                    "compute = {{ amount = {{ product = [{}, {}] }} }}",
                    q(&qty),
                    q(&p)
                ));
            }
        }
        if !has_accounts && matches!(d.table, Table::Revenue | Table::Opportunities) {
            let country = find(&d.headers, synonyms(Table::Accounts, "country"));
            let attrs = match country {
                Some(c) => format!("{{ country = {} }}", q(&c)),
                None => "{}".into(),
            };
            d.extra.push(format!("derive_accounts = {attrs}"));
        }
        let computed = |c: &str| d.extra.iter().any(|e| e.contains(&format!("{c} = {{")));
        d.unmapped_required = d
            .table
            .columns()
            .iter()
            .filter(|c| c.required)
            .filter(|c| !has(d, c.name) && !computed(c.name))
            .filter(|c| d.table.key() != Some(c.name) || d.key.is_none())
            .map(|c| c.name)
            .collect();
    }
    let t = write_toml(dir, &drafts, accounts_by_name);
    Ok((t, drafts, unknown))
}

/// The commented TOML of the drafts (`accounts_by_name`: whether the accounts file has no
/// id column, `None` without an accounts file).
fn write_toml(dir: &Path, drafts: &[Draft], accounts_by_name: Option<bool>) -> String {
    let mut t = String::new();
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("export")
        .to_string();
    let _ = writeln!(
        t,
        "# Drafted by `mcr profiles init {}`: check it with",
        dir.display()
    );
    let _ = writeln!(
        t,
        "#   mcr ingest {} --profile <this file> --dry-run",
        dir.display()
    );
    let _ = writeln!(
        t,
        "# Columns were matched by name (English and Chinese synonyms); labels the built-in"
    );
    let _ = writeln!(
        t,
        "# vocabulary does not accept were mapped only when recognised without doubt (the others"
    );
    let _ = writeln!(t, "# are TODO lines below: nothing was guessed).");
    let _ = writeln!(t, "name = {}", q(&name));
    let _ = writeln!(t, "description = {}", q(&format!("drafted from {name}")));
    let enc = drafts
        .first()
        .map(|d| d.encoding.as_str())
        .unwrap_or("auto");
    let enc = if drafts.iter().all(|d| d.encoding == enc) && !enc.starts_with("utf-8") {
        enc
    } else {
        "auto"
    };
    let _ = writeln!(t, "encoding = {}", q(enc));
    let _ = writeln!(
        t,
        "date_formats = [\"%m/%d/%Y\", \"%m/%d/%Y %H:%M\", \"%Y/%m/%d %H:%M\", \"%Y-%m-%d %H:%M\"]"
    );
    write_stages(&mut t, drafts);
    for d in drafts {
        let _ = writeln!(t, "\n# {} → {}", d.file, d.table);
        if !d.unmapped_required.is_empty() {
            let _ = writeln!(
                t,
                "# NOT MAPPED (required, no confident match): {} — map it by hand",
                d.unmapped_required.join(", ")
            );
        }
        let _ = writeln!(
            t,
            "[[table]]\nname = {}\nfiles = [{}]",
            q(d.table.name()),
            q(&d.file)
        );
        if let Some(k) = &d.key {
            let _ = writeln!(t, "# no id column: the key is made from what the file has");
            let _ = writeln!(t, "key = {k}");
        }
        for e in &d.extra {
            let _ = writeln!(t, "{e}");
        }
        let _ = writeln!(t, "[table.columns]");
        for (c, h) in &d.columns {
            let _ = writeln!(t, "{c} = {}", q(h));
        }
        let used: Vec<&String> = d.columns.iter().map(|(_, h)| h).collect();
        let ignored: Vec<&str> = d
            .headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}'))
            .filter(|h| {
                !used.iter().any(|u| u.as_str() == *h) && !d.extra.iter().any(|e| e.contains(&q(h)))
            })
            .collect();
        if !ignored.is_empty() {
            let _ = writeln!(t, "# not used: {}", ignored.join(", "));
        }
        write_value_maps(&mut t, d);
    }
    if accounts_by_name == Some(false) {
        if let Some(a) = drafts.iter().find(|d| d.table == Table::Accounts) {
            let id = a
                .columns
                .iter()
                .find(|(c, _)| *c == "account_id")
                .map(|(_, h)| h.clone());
            let nm = a
                .columns
                .iter()
                .find(|(c, _)| *c == "name")
                .map(|(_, h)| h.clone());
            if let (Some(id), Some(nm)) = (id, nm) {
                let _ = writeln!(
                    t,
                    "\n# Accounts named by other files resolve to their id through this lookup.\n[[lookup]]\nname = \"account_by_name\"\nfiles = [{}]\nkey = {}\nvalue = {}",
                    q(&a.file),
                    q(&nm),
                    q(&id)
                );
            }
        }
    }
    t
}

/// The `[stages]` block, when the stage labels found include won / lost ones the built-in
/// lists do not hold (they are added to the built-in lists).
fn write_stages(t: &mut String, drafts: &[Draft]) {
    let stage_labels = drafts
        .iter()
        .flat_map(|d| &d.labels)
        .filter(|l| l.column == "stage" && !l.too_many);
    let mut stages = crate::profiles::StageMap::default();
    let mut open: Vec<&str> = Vec::new();
    let mut any = false;
    for l in stage_labels {
        for (label, v) in &l.mapped {
            any = true;
            match v.as_str() {
                "won" => stages.won.push(label.clone()),
                _ => stages.lost.push(label.clone()),
            }
        }
        open.extend(l.open.iter().map(String::as_str));
    }
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    if any {
        let _ = writeln!(
            t,
            "# Stages that close an opportunity: the built-in labels and those found in the export."
        );
        let _ = writeln!(
            t,
            "[stages]\nwon = [{}]\nlost = [{}]",
            list(&stages.won),
            list(&stages.lost)
        );
    }
    if !open.is_empty() {
        let _ = writeln!(
            t,
            "# Stages read as open (neither won nor lost): {}. Add a closing one to [stages] won / lost.",
            open.join(", ")
        );
    }
}

/// `[table.values.<column>]` for the labels found that the built-in vocabulary does not
/// accept: the recognised ones mapped, the others as TODO comments.
fn write_value_maps(t: &mut String, d: &Draft) {
    for l in &d.labels {
        if l.column == "stage" || (l.mapped.is_empty() && l.unknown.is_empty()) {
            continue;
        }
        let Some(target) = labels::Target::of(d.table, l.column) else {
            continue;
        };
        let _ = writeln!(
            t,
            "# labels of {} that mcr reads only through this map:",
            l.header
        );
        let _ = writeln!(t, "[table.values.{}]", l.column);
        for (label, v) in &l.mapped {
            let _ = writeln!(t, "{} = {}", q(label), q(v));
        }
        for label in &l.unknown {
            let _ = writeln!(
                t,
                "# TODO {} = \"?\"  — not recognised; map it to one of {} (until then, rows with it are rejected)",
                q(label),
                labels::allowed(target)
            );
        }
    }
}

/// The coverage table printed by `mcr profiles init`.
pub fn coverage(drafts: &[Draft], unknown: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<14} {:>8}  {:<28} file",
        "table", "mapped", "unmapped required"
    );
    for d in drafts {
        let n = d.table.columns().len();
        let mapped = d.columns.len() + usize::from(d.key.is_some()) + d.extra.len();
        let un = if d.unmapped_required.is_empty() {
            "—".to_string()
        } else {
            d.unmapped_required.join(", ")
        };
        let _ = writeln!(
            s,
            "{:<14} {:>4}/{:<3}  {:<28} {}",
            d.table.name(),
            mapped.min(n),
            n,
            un,
            d.file
        );
        for l in &d.labels {
            if l.too_many {
                let _ = writeln!(
                    s,
                    "    {}: more than {} distinct values, not read as labels",
                    l.header,
                    labels::MAX_LABELS
                );
                continue;
            }
            if !l.mapped.is_empty() {
                let m: Vec<String> = l.mapped.iter().map(|(a, b)| format!("{a} → {b}")).collect();
                let _ = writeln!(
                    s,
                    "    {} ({}) mapped: {}",
                    l.header,
                    l.column,
                    m.join(", ")
                );
            }
            if !l.open.is_empty() {
                let _ = writeln!(
                    s,
                    "    {} read as open stages: {}",
                    l.header,
                    l.open.join(", ")
                );
            }
            if !l.unknown.is_empty() {
                let _ = writeln!(
                    s,
                    "    {} ({}) NOT RECOGNISED: {} — see the TODO lines in the draft (rows with them are rejected until mapped)",
                    l.header,
                    l.column,
                    l.unknown.join(", ")
                );
            }
        }
    }
    for u in unknown {
        let _ = writeln!(
            s,
            "{:<14} {:>8}  {:<28} {u}",
            "?", "", "no table recognised"
        );
    }
    s
}
