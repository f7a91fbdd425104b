//! Deterministic synthetic CRM exports (`mcr generate`).
//!
//! Writes one `<table>.csv` per canonical table (accounts, contacts, opportunities, revenue,
//! activities, employees, agreements, surveys, deal_contacts) with the contract's columns in
//! [`Table::columns`] order: UTF-8, `\n` line ends, RFC-4180 quoting.
//!
//! The data is shaped so the metrics find something: heavy-tailed (lognormal) account sizes
//! giving an 80/20 revenue concentration, ~15 % of accounts without revenue in the last 12
//! months, growing and shrinking accounts, single-threaded accounts whose contacts are all
//! held by one employee, group hierarchies (depth ≤ 3, no cycles), declared tiers that
//! sometimes disagree with the value, executive visits and agreements for big accounts.
//! With `messy`, values use the untidy-but-valid layouts real exports have (see
//! [`format`]).
//!
//! Same options → same bytes: every account's rows come from generators seeded with
//! `(seed, table, account index)`, chunks of accounts are formatted in parallel and written
//! in order, and ids are assigned from per-chunk prefix sums of the row counts.
//! Memory stays bounded: only a few chunks of formatted rows are in flight at a time.

mod format;
mod model;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::Context as _;
use chrono::{Months, NaiveDate};
use rayon::prelude::*;

use crate::contract::Table;
use format::{buffer_writer, Dates, Labels, Row, Style};
use model::{account_rows, Ids, Profile, Sinks, World, N_TABLES};

/// Accounts per chunk (the unit of parallel work and of progress reports).
const CHUNK: u64 = 1000;
/// Employees per chunk of the employees file.
const EMPLOYEE_CHUNK: u64 = 10_000;

/// The account-level tables in the order of the `model::T_*` indices.
const ACCOUNT_TABLES: [Table; N_TABLES] = [
    Table::Accounts,
    Table::Contacts,
    Table::Opportunities,
    Table::Revenue,
    Table::Activities,
    Table::Agreements,
    Table::Surveys,
    Table::DealContacts,
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of accounts.
    pub accounts: u64,
    /// Random seed: the same options give the same bytes.
    pub seed: u64,
    /// Output folder (must exist or be creatable).
    pub out: PathBuf,
    /// Valid-but-untidy formats (BOM, `¥1,234.50`, `2026/1/31`, Chinese labels, `是/否`…).
    pub messy: bool,
    /// Years of history (≥ 1).
    pub years: u32,
    /// Last day of the history.
    pub end: NaiveDate,
    /// Strength of the planted effect of relationship depth on retention, growth and win
    /// rate (0 = none, 1 = the default mild one; see `model::Profile::depth`).
    pub effect: f64,
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GenerateSummary {
    /// One entry per file, in the order accounts, employees, contacts, opportunities,
    /// revenue, activities, agreements, surveys, deal_contacts.
    pub files: Vec<GeneratedFile>,
}

/// One generated file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GeneratedFile {
    /// Canonical table name.
    pub table: String,
    /// Path of the CSV file.
    pub path: PathBuf,
    /// Data rows (header excluded).
    pub rows: u64,
    /// File size in bytes.
    pub bytes: u64,
}

/// Messy mode puts a UTF-8 BOM on these tables.
fn has_bom(table: Table) -> bool {
    matches!(
        table,
        Table::Accounts | Table::Contacts | Table::Revenue | Table::Surveys
    )
}

/// An output file: a buffered writer that has received the (optional BOM and) header.
struct Out {
    table: Table,
    path: PathBuf,
    w: BufWriter<File>,
    rows: u64,
}

impl Out {
    fn create(dir: &Path, table: Table, messy: bool) -> anyhow::Result<Out> {
        let path = dir.join(format!("{}.csv", table.name()));
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut header = buffer_writer(256);
        header
            .write_record(table.columns().iter().map(|c| c.name))
            .with_context(|| format!("cannot write the header of {}", path.display()))?;
        let header = header.into_inner().map_err(|e| {
            anyhow::anyhow!(
                "cannot write the header of {}: {}",
                path.display(),
                e.error()
            )
        })?;
        if messy && has_bom(table) {
            w.write_all(b"\xEF\xBB\xBF")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        w.write_all(&header)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Out {
            table,
            path,
            w,
            rows: 0,
        })
    }

    fn write(&mut self, bytes: &[u8], rows: u64) -> anyhow::Result<()> {
        self.w
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.rows += rows;
        Ok(())
    }

    fn finish(self) -> anyhow::Result<GeneratedFile> {
        let file = self
            .w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", self.path.display(), e.error()))?;
        let bytes = file
            .metadata()
            .with_context(|| format!("cannot read the size of {}", self.path.display()))?
            .len();
        Ok(GeneratedFile {
            table: self.table.name().to_string(),
            path: self.path,
            rows: self.rows,
            bytes,
        })
    }
}

/// The formatted rows of one chunk of accounts.
struct ChunkOut {
    accounts: u64,
    bufs: Vec<Vec<u8>>,
    rows: [u64; N_TABLES],
}

fn chunk_range(w: &World, chunk: u64) -> std::ops::Range<u64> {
    let lo = chunk * CHUNK;
    lo..(lo + CHUNK).min(w.accounts)
}

/// Rows per account-level table in one chunk.
fn chunk_counts(w: &World, chunk: u64) -> [u64; N_TABLES] {
    let mut n = [0; N_TABLES];
    for i in chunk_range(w, chunk) {
        let p = Profile::new(w, i);
        for (t, c) in n.iter_mut().enumerate() {
            *c += p.n[t];
        }
    }
    n
}

/// Format one chunk; `first` holds the first 1-based id of each table in this chunk.
fn gen_chunk(
    w: &World,
    chunk: u64,
    first: &Ids,
    expected: &[u64; N_TABLES],
) -> anyhow::Result<ChunkOut> {
    let range = chunk_range(w, chunk);
    let accounts = range.end - range.start;
    let mut sinks = Sinks {
        w: (0..N_TABLES)
            .map(|t| buffer_writer(((expected[t] as usize) * 64).min(64 << 20)))
            .collect(),
        rows: [0; N_TABLES],
    };
    let mut ids = *first;
    let mut row = Row::new();
    for i in range {
        let p = Profile::new(w, i);
        account_rows(w, &p, &ids, &mut row, &mut sinks)
            .with_context(|| format!("cannot format the rows of account A{:07}", i + 1))?;
        for (t, id) in ids.iter_mut().enumerate() {
            *id += p.n[t];
        }
    }
    if sinks.rows != *expected {
        anyhow::bail!(
            "internal error: chunk {chunk} wrote {:?} rows, planned {:?}",
            sinks.rows,
            expected
        );
    }
    let bufs = sinks
        .w
        .into_iter()
        .map(|wr| {
            wr.into_inner()
                .map_err(|e| anyhow::anyhow!("cannot format rows: {}", e.error()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ChunkOut {
        accounts,
        bufs,
        rows: sinks.rows,
    })
}

/// Generate the synthetic exports into `opts.out` (created if missing).
///
/// `progress` is called from the calling thread with the number of accounts done so far.
/// Fails, naming the file, when a file cannot be written; `years` must be ≥ 1.
pub fn generate(
    opts: &GenerateOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<GenerateSummary> {
    if opts.years == 0 {
        anyhow::bail!("years of history must be at least 1");
    }
    let start = opts
        .years
        .checked_mul(12)
        .and_then(|months| opts.end.checked_sub_months(Months::new(months)))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} years before {} is out of the calendar range",
                opts.years,
                opts.end
            )
        })?;
    let hist_days = i32::try_from((opts.end - start).num_days()).context("history too long")?;
    let employees = World::employee_count(opts.accounts);
    let world = World {
        seed: opts.seed,
        accounts: opts.accounts,
        employees,
        teams: employees.div_ceil(10),
        years: opts.years,
        hist_days,
        effect: opts.effect,
        style: Style {
            messy: opts.messy,
            // Account creation goes back up to 6 years before the history; open deals and
            // agreements run up to 5 years ahead.
            dates: Dates::new(opts.end, hist_days as u32 + 7 * 366, 6 * 366)?,
            labels: Labels::new(),
        },
    };
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create the output folder {}", opts.out.display()))?;

    // Employees (small: written from the calling thread, chunk by chunk).
    let mut emp_out = Out::create(&opts.out, Table::Employees, opts.messy)?;
    let mut e = 0;
    while e < employees {
        let hi = (e + EMPLOYEE_CHUNK).min(employees);
        let mut wr = buffer_writer(((hi - e) * 48) as usize);
        let mut row = Row::new();
        for i in e..hi {
            world.employee_row(i, &mut row);
            row.flush(&mut wr)
                .with_context(|| format!("cannot format {}", emp_out.path.display()))?;
        }
        let buf = wr
            .into_inner()
            .map_err(|err| anyhow::anyhow!("cannot format rows: {}", err.error()))?;
        emp_out.write(&buf, hi - e)?;
        e = hi;
    }

    // Plan: row counts per chunk, then the first id of every chunk.
    let n_chunks = opts.accounts.div_ceil(CHUNK);
    let counts: Vec<[u64; N_TABLES]> = (0..n_chunks)
        .into_par_iter()
        .map(|c| chunk_counts(&world, c))
        .collect();
    let mut firsts: Vec<Ids> = Vec::with_capacity(counts.len());
    let mut next = [1u64; N_TABLES];
    for c in &counts {
        firsts.push(next);
        for t in 0..N_TABLES {
            next[t] += c[t];
        }
    }

    let mut outs = ACCOUNT_TABLES
        .iter()
        .map(|t| Out::create(&opts.out, *t, opts.messy))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // A producer formats windows of chunks in parallel; this thread writes them in order.
    let window = (2 * rayon::current_num_threads() as u64).max(4);
    let world_ref = &world;
    let counts_ref = &counts;
    let firsts_ref = &firsts;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<anyhow::Result<Vec<ChunkOut>>>(1);
        scope.spawn(move || {
            let mut lo = 0;
            while lo < n_chunks {
                let hi = (lo + window).min(n_chunks);
                let batch: anyhow::Result<Vec<ChunkOut>> = (lo..hi)
                    .into_par_iter()
                    .map(|c| {
                        gen_chunk(
                            world_ref,
                            c,
                            &firsts_ref[c as usize],
                            &counts_ref[c as usize],
                        )
                    })
                    .collect();
                let failed = batch.is_err();
                if tx.send(batch).is_err() || failed {
                    break;
                }
                lo = hi;
            }
        });
        let mut done = 0;
        for batch in rx {
            for chunk in batch? {
                for (t, out) in outs.iter_mut().enumerate() {
                    out.write(&chunk.bufs[t], chunk.rows[t])?;
                }
                done += chunk.accounts;
                progress(done);
            }
        }
        Ok(())
    })?;

    let mut files = Vec::with_capacity(N_TABLES + 1);
    let mut outs = outs.into_iter();
    if let Some(accounts) = outs.next() {
        files.push(accounts.finish()?);
    }
    files.push(emp_out.finish()?);
    for out in outs {
        files.push(out.finish()?);
    }
    Ok(GenerateSummary { files })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

    use super::*;
    use crate::contract::{ColType, EnumKind};

    fn opts(dir: &Path, accounts: u64, seed: u64, messy: bool) -> GenerateOptions {
        GenerateOptions {
            accounts,
            seed,
            out: dir.to_path_buf(),
            messy,
            years: 3,
            end: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            effect: 1.0,
        }
    }

    fn run(accounts: u64, seed: u64, messy: bool) -> (tempfile::TempDir, GenerateSummary) {
        let dir = tempfile::tempdir().unwrap();
        let s = generate(&opts(dir.path(), accounts, seed, messy), &|_| {}).unwrap();
        (dir, s)
    }

    fn all_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut m = BTreeMap::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            m.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            );
        }
        m
    }

    /// Rows of a generated file as maps column → value (BOM stripped), header checked.
    fn read(dir: &Path, table: Table) -> Vec<HashMap<String, String>> {
        let path = dir.join(format!("{}.csv", table.name()));
        let bytes = std::fs::read(&path).unwrap();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut rdr = csv::ReaderBuilder::new().from_reader(bytes);
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        let expected: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
        assert_eq!(header, expected, "{}", path.display());
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                assert_eq!(r.len(), header.len());
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(String::from))
                    .collect()
            })
            .collect()
    }

    /// Parse a contract date (ISO, `2026/1/31`, `2026年1月31日`).
    fn parse_date(s: &str) -> Option<NaiveDate> {
        let s = s.trim();
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y年%m月%d日"))
            .ok()
    }

    /// Parse a contract amount (`1234.50`, `¥1,234.50`, `-¥12.50`, `¥-12.50`, `(12.50)`).
    fn parse_amount(s: &str) -> Option<f64> {
        let s = s.trim();
        let (neg, body) = if let Some(b) = s.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
            (true, b.to_string())
        } else if let Some(b) = s.strip_prefix("-¥").or_else(|| s.strip_prefix("¥-")) {
            (true, b.to_string())
        } else if let Some(b) = s.strip_prefix('¥') {
            (false, b.to_string())
        } else {
            (false, s.to_string())
        };
        if body.starts_with(',') || body.contains(",,") {
            return None;
        }
        let v: f64 = body.replace(',', "").parse().ok()?;
        Some(if neg { -v } else { v })
    }

    fn parse_bool(s: &str) -> Option<bool> {
        match s.trim() {
            "true" | "1" | "yes" | "Y" | "是" => Some(true),
            "false" | "0" | "no" | "N" | "否" => Some(false),
            _ => None,
        }
    }

    fn enum_value(kind: EnumKind, s: &str) -> Option<&'static str> {
        let l = s.trim().to_lowercase();
        kind.labels()
            .iter()
            .find(|(label, _)| *label == l)
            .map(|(_, v)| *v)
    }

    #[test]
    fn same_seed_same_bytes_any_thread_count() {
        let (a, _) = run(2500, 7, true);
        let dir = tempfile::tempdir().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| generate(&opts(dir.path(), 2500, 7, true), &|_| {}).unwrap());
        let (x, y) = (all_bytes(a.path()), all_bytes(dir.path()));
        assert_eq!(x.len(), 9);
        for (name, bytes) in &x {
            assert!(y[name] == *bytes, "{name} differs");
        }
    }

    #[test]
    fn different_seed_different_bytes() {
        let (a, _) = run(300, 1, false);
        let (b, _) = run(300, 2, false);
        let (x, y) = (all_bytes(a.path()), all_bytes(b.path()));
        for name in [
            "accounts.csv",
            "contacts.csv",
            "revenue.csv",
            "activities.csv",
        ] {
            assert_ne!(x[name], y[name], "{name}");
        }
    }

    #[test]
    fn reported_rows_and_sizes_match_the_files() {
        let (dir, s) = run(1500, 3, false);
        assert_eq!(s.files.len(), 9);
        for f in &s.files {
            let t = Table::from_name(&f.table).unwrap();
            assert_eq!(read(dir.path(), t).len() as u64, f.rows, "{}", f.table);
            assert_eq!(std::fs::metadata(&f.path).unwrap().len(), f.bytes);
        }
        let rows = |t: &str| s.files.iter().find(|f| f.table == t).unwrap().rows as f64;
        assert_eq!(rows("accounts"), 1500.0);
        assert_eq!(rows("employees"), (1500 / 8 + 10) as f64);
        // Averages per account are in the intended ballpark.
        assert!((5.0..10.0).contains(&(rows("contacts") / 1500.0)));
        assert!((2.0..4.0).contains(&(rows("opportunities") / 1500.0)));
        assert!((15.0..35.0).contains(&(rows("revenue") / 1500.0)));
        assert!((70.0..130.0).contains(&(rows("activities") / 1500.0)));
    }

    #[test]
    fn ids_unique_and_foreign_keys_resolve() {
        for messy in [false, true] {
            let (dir, _) = run(2000, 11, messy);
            let d = dir.path();
            let key =
                |t: Table, row: &HashMap<String, String>| row[t.key().unwrap()].trim().to_string();
            let mut keys: HashMap<Table, HashSet<String>> = HashMap::new();
            for t in ACCOUNT_TABLES.iter().chain([Table::Employees].iter()) {
                if t.key().is_none() {
                    continue;
                }
                let rows = read(d, *t);
                let set: HashSet<String> = rows.iter().map(|r| key(*t, r)).collect();
                assert_eq!(set.len(), rows.len(), "duplicate ids in {t}");
                keys.insert(*t, set);
            }
            let accounts = &keys[&Table::Accounts];
            let employees = &keys[&Table::Employees];
            let contact_account: HashMap<String, String> = read(d, Table::Contacts)
                .iter()
                .map(|r| {
                    (
                        r["contact_id"].trim().to_string(),
                        r["account_id"].trim().to_string(),
                    )
                })
                .collect();
            let opp_account: HashMap<String, String> = read(d, Table::Opportunities)
                .iter()
                .map(|r| {
                    (
                        r["opportunity_id"].trim().to_string(),
                        r["account_id"].trim().to_string(),
                    )
                })
                .collect();
            for t in ACCOUNT_TABLES {
                for r in read(d, t) {
                    for (col, v) in &r {
                        let v = v.trim();
                        if v.is_empty() {
                            continue;
                        }
                        match col.as_str() {
                            "account_id" | "parent_account_id" => {
                                assert!(accounts.contains(v), "{t}.{col}={v}")
                            }
                            "owner_id" | "employee_id" => {
                                assert!(employees.contains(v), "{t}.{col}={v}")
                            }
                            // A buying group's contacts belong to the deal's account.
                            "contact_id" if t == Table::DealContacts => {
                                let opp = r["opportunity_id"].trim();
                                assert_eq!(
                                    contact_account.get(v),
                                    opp_account.get(opp),
                                    "{t}: {v} on {opp}"
                                )
                            }
                            "contact_id" if t != Table::Contacts => {
                                assert_eq!(
                                    contact_account.get(v).map(String::as_str),
                                    Some(r["account_id"].trim())
                                )
                            }
                            _ => {}
                        }
                    }
                }
            }
            // Parent hierarchy: no cycles, depth ≤ 3, ~10 % with a parent.
            let parent: HashMap<String, String> = read(d, Table::Accounts)
                .iter()
                .filter(|r| !r["parent_account_id"].trim().is_empty())
                .map(|r| {
                    (
                        r["account_id"].trim().to_string(),
                        r["parent_account_id"].trim().to_string(),
                    )
                })
                .collect();
            assert!(
                (100..300).contains(&parent.len()),
                "{} accounts with a parent",
                parent.len()
            );
            for start in parent.keys() {
                let mut cur = start.clone();
                let mut depth = 1;
                while let Some(p) = parent.get(&cur) {
                    assert_ne!(p, start, "cycle through {start}");
                    cur = p.clone();
                    depth += 1;
                    assert!(depth <= 3, "depth > 3 from {start}");
                }
            }
        }
    }

    #[test]
    fn revenue_is_concentrated_and_recent() {
        let (dir, _) = run(3000, 5, false);
        let end = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let since = end - chrono::Days::new(365);
        let mut by_account: BTreeMap<String, f64> = BTreeMap::new();
        let mut newest = NaiveDate::MIN;
        for r in read(dir.path(), Table::Revenue) {
            let date = parse_date(&r["date"]).unwrap();
            assert!(date <= end);
            newest = newest.max(date);
            if date > since {
                *by_account.entry(r["account_id"].clone()).or_default() +=
                    parse_amount(&r["amount"]).unwrap();
            }
        }
        assert!(
            end - newest <= chrono::Duration::days(7),
            "newest revenue {newest}"
        );
        let inactive = 3000 - by_account.len();
        assert!(
            (300..700).contains(&inactive),
            "{inactive} accounts without recent revenue"
        );
        let mut v: Vec<f64> = by_account.values().copied().collect();
        v.resize(3000, 0.0);
        v.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = v.iter().sum();
        let top: f64 = v[..600].iter().sum();
        assert!(
            top / total >= 0.6,
            "top 20 % hold {:.1} %",
            100.0 * top / total
        );
        // Declared tiers mostly agree with, but sometimes differ from, the value.
        let accounts = read(dir.path(), Table::Accounts);
        let tiers: BTreeSet<&str> = accounts
            .iter()
            .map(|r| r["declared_tier"].as_str())
            .collect();
        assert_eq!(tiers, ["A", "B", "C", "S"].into_iter().collect());
    }

    #[test]
    fn relationships_have_the_intended_shape() {
        let (dir, _) = run(2000, 9, false);
        let contacts = read(dir.path(), Table::Contacts);
        let mut holders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for c in &contacts {
            holders
                .entry(c["account_id"].clone())
                .or_default()
                .insert(c["owner_id"].clone());
        }
        let single =
            holders.values().filter(|h| h.len() == 1).count() as f64 / holders.len() as f64;
        assert!(
            (0.2..0.5).contains(&single),
            "single-threaded share {single}"
        );
        assert!(contacts.iter().any(|c| c["support"] == "-2"));
        let acts = read(dir.path(), Table::Activities);
        let execs = acts
            .iter()
            .filter(|a| a["type"] == "executive_visit")
            .count();
        assert!(execs > 0);
        assert!(acts.iter().any(|a| a["contact_id"].is_empty()));
        let opps = read(dir.path(), Table::Opportunities);
        for o in &opps {
            let p: f64 = o["probability"].parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
            let won = o["stage"] == "Closed Won";
            assert_eq!(o["is_won"], won.to_string());
            assert_eq!(o["is_closed"], o["stage"].starts_with("Closed").to_string());
        }
    }

    #[test]
    fn messy_values_use_accepted_formats() {
        let (dir, _) = run(1500, 13, true);
        let d = dir.path();
        let raw = std::fs::read(d.join("accounts.csv")).unwrap();
        assert!(raw.starts_with(b"\xEF\xBB\xBF"));
        assert!(!std::fs::read(d.join("activities.csv"))
            .unwrap()
            .contains(&b'\r'));
        let (mut yen, mut zh_date, mut slash_date, mut zh_label, mut zh_bool, mut padded) =
            (0, 0, 0, 0, 0, 0);
        for t in ACCOUNT_TABLES.iter().chain([Table::Employees].iter()) {
            for r in read(d, *t) {
                for col in t.columns() {
                    let v = &r[col.name];
                    if v.is_empty() {
                        assert!(!col.required, "{t}.{} empty", col.name);
                        continue;
                    }
                    if v.trim() != v {
                        padded += 1;
                    }
                    match col.ty {
                        ColType::Date => {
                            assert!(parse_date(v).is_some(), "{t}.{}={v}", col.name);
                            zh_date += v.contains('年') as u32;
                            slash_date += v.contains('/') as u32;
                        }
                        ColType::Float => {
                            assert!(parse_amount(v).is_some(), "{t}.{}={v}", col.name);
                            yen += v.contains('¥') as u32;
                        }
                        ColType::Bool => {
                            assert!(parse_bool(v).is_some(), "{t}.{}={v}", col.name);
                            zh_bool += (v == "是" || v == "否") as u32;
                        }
                        ColType::Enum(k) => {
                            assert!(enum_value(k, v).is_some(), "{t}.{}={v}", col.name);
                            zh_label += (!v.is_ascii()) as u32;
                        }
                        ColType::Str => {}
                    }
                }
                if *t == Table::Opportunities && !r["probability"].is_empty() {
                    let p: f64 = r["probability"].parse().unwrap();
                    assert!(p > 1.0 && p <= 100.0, "probability {p}");
                }
            }
        }
        for (what, n) in [
            ("¥ amounts", yen),
            ("Chinese dates", zh_date),
            ("slash dates", slash_date),
            ("Chinese labels", zh_label),
            ("是/否", zh_bool),
            ("padded values", padded),
        ] {
            assert!(n > 10, "too few {what}: {n}");
        }
    }

    #[test]
    fn labels_are_one_language_per_column() {
        // industries and regions (accounts, employees) in Chinese only, even in messy mode;
        // overseas accounts are abroad
        let (dir, _) = run(1500, 17, true);
        let chinese = |v: &str| v.chars().all(crate::report::layout::is_wide);
        let mut seen: HashMap<&str, HashSet<String>> = HashMap::new();
        for (t, col) in [
            (Table::Accounts, "industry"),
            (Table::Accounts, "region"),
            (Table::Employees, "region"),
        ] {
            for r in read(dir.path(), t) {
                let v = r[col].trim();
                assert!(v.is_empty() || chinese(v), "{t}.{col} = {v:?}");
                if t == Table::Accounts && col == "region" && v == "海外" {
                    assert_ne!(r["country"].trim(), "CN", "{r:?}");
                }
                seen.entry(col).or_default().insert(v.to_string());
            }
        }
        assert_eq!(seen["industry"].len(), 12, "{:?}", seen["industry"]);
        assert_eq!(seen["region"].len(), 8, "{:?}", seen["region"]);
    }

    #[test]
    fn zero_years_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(dir.path(), 10, 1, false);
        o.years = 0;
        assert!(generate(&o, &|_| {}).is_err());
    }

    #[test]
    fn years_past_the_calendar_are_an_error_not_a_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(dir.path(), 10, 1, false);
        for years in [u32::MAX, u32::MAX / 12 + 1, 1_000_000] {
            o.years = years;
            let err = generate(&o, &|_| {}).unwrap_err();
            assert!(err.to_string().contains("calendar range"), "{err}");
        }
    }
}
