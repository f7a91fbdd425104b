//! `mcr report`: render charts and HTML for one as_of.

use crate::cli::ReportArgs;
use crate::commands::Context;
use crate::contract::Audience;
use crate::error::{hinted, ExitStatus};
use crate::lake::Lake;
use crate::report::render_reports;
use crate::settings::AsOf;

/// Resolve as_of (flag/config, or the newest analyzed), audiences and language, render, and
/// print the paths written (or a JSON summary with `--json`).
pub fn run(ctx: &Context, args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let s = &ctx.settings;
    let lake = Lake::open(&s.lake);
    let as_of = match s.as_of {
        AsOf::Date(d) => d,
        AsOf::Latest => {
            let dates = lake.metric_as_ofs()?;
            match dates.last() {
                Some(d) => *d,
                None => {
                    return Err(hinted(
                        format!(
                            "no analyzed metrics in {}",
                            lake.root().join("metrics").display()
                        ),
                        "run `mcr analyze` first",
                    ))
                }
            }
        }
    };
    ctx.info(format!("rendering reports for as_of {as_of}…"));
    let audiences: Vec<Audience> = args.audience.iter().map(|&a| a.into()).collect();
    let outcome = render_reports(
        &lake,
        &s.report,
        &s.queries_dir(),
        &s.reports,
        as_of,
        &audiences,
        s.lang,
    )?;
    let extras = extras(ctx, &lake, &outcome)?;
    if s.json {
        crate::commands::out(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "as_of": outcome.as_of,
                "dir": outcome.dir,
                "pages": outcome.pages,
                "charts": outcome.charts,
                "query_errors": outcome.query_errors,
                "warnings": outcome.warnings,
                "bursts": extras,
            }))?
        ))?;
    } else {
        for p in &outcome.pages {
            crate::commands::out(format_args!("{}\n", p.display()))?;
        }
        if let Some(i) = &extras.bursts_index {
            crate::commands::out(format_args!("{}\n", i.display()))?;
        }
        for p in &extras.pdfs {
            crate::commands::out(format_args!("{}\n", p.display()))?;
        }
        ctx.info(format!(
            "{} charts in {}",
            outcome.charts.len(),
            outcome.dir.join("charts").display()
        ));
    }
    // With --json the warnings are in the summary; --quiet silences them (as analyze's).
    if !s.json && !s.quiet {
        for w in &outcome.warnings {
            eprintln!("{}", w.render());
        }
    }
    Ok(ExitStatus::Success)
}

/// What bursting and printing added to a report.
#[derive(Debug, Default, serde::Serialize)]
pub struct Extras {
    /// `bursts.csv`, when bursts were written.
    pub bursts_index: Option<std::path::PathBuf>,
    /// Bursts written.
    pub bursts: usize,
    /// Seconds the bursts took.
    pub burst_seconds: f64,
    /// PDFs printed.
    pub pdfs: Vec<std::path::PathBuf>,
}

/// After the full report: the bursts of `[report] burst` and the PDFs of `[report] pdf`.
/// Without Chromium, `--pdf` fails with the install hint after the HTML pages were written.
pub fn extras(
    ctx: &Context,
    lake: &Lake,
    outcome: &crate::report::ReportOutcome,
) -> anyhow::Result<Extras> {
    let s = &ctx.settings;
    let mut extras = Extras::default();
    let mut to_print: Vec<std::path::PathBuf> = outcome
        .pages
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "index.html"))
        .cloned()
        .collect();
    if !s.report.burst.is_empty() {
        let started = std::time::Instant::now();
        let written = burst::render(ctx, lake, outcome)?;
        extras.burst_seconds = started.elapsed().as_secs_f64();
        extras.bursts = written.rows.len();
        ctx.info(format!(
            "{} bursts in {:.1}s → {}",
            written.rows.len(),
            extras.burst_seconds,
            written.index.display()
        ));
        // A burst's PDF is its leadership page: the one `mcr deliver` attaches.
        to_print.extend(written.leadership_pages);
        extras.bursts_index = Some(written.index);
    }
    if s.report.pdf {
        use crate::report::pdf;
        let Some(browser) = pdf::find_chromium() else {
            let e = pdf::PdfError::NoChromium;
            return Err(crate::error::hinted(e.to_string(), e.hint()));
        };
        ctx.info(format!("printing {} pages to PDF…", to_print.len()));
        extras.pdfs = print_all(&browser, &to_print)?;
    }
    Ok(extras)
}

/// Print every page to `<page>.pdf`, two at a time.
fn print_all(
    browser: &std::path::Path,
    pages: &[std::path::PathBuf],
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    pool.install(|| {
        pages
            .par_iter()
            .map(|p| {
                let pdf = p.with_extension("pdf");
                crate::report::pdf::print(browser, p, &pdf)
                    .map_err(|e| crate::error::hinted(e.to_string(), e.hint()))?;
                Ok(pdf)
            })
            .collect()
    })
}

mod burst {
    //! `--burst`: the books of accounts, their metrics (filtered from the company-wide
    //! tables by `metrics::burst`) and their pages (`report::burst`).

    use std::collections::HashMap;
    use std::path::PathBuf;

    use anyhow::Context as _;
    use chrono::NaiveDate;
    use polars::prelude::*;
    use rayon::prelude::*;

    use crate::commands::Context;
    use crate::contract::metric_tables::{empty, MetricTable};
    use crate::contract::summary::Summary;
    use crate::contract::{Audience, BurstKind, Table};
    use crate::lake::Lake;
    use crate::metrics::burst::{books, subset_book, Book};
    use crate::metrics::MetricTables;
    use crate::report::burst::{burst_dir, unique_folders, write_csvs, write_index, BurstRow};
    use crate::report::model::{PreviousInputs, ReportInputs, Scope};
    use crate::report::ReportOutcome;

    pub(super) struct Written {
        pub index: PathBuf,
        pub rows: Vec<BurstRow>,
        pub leadership_pages: Vec<PathBuf>,
    }

    /// The tables a burst is filtered from, read once.
    fn tables(lake: &Lake, as_of: NaiveDate) -> anyhow::Result<Option<MetricTables>> {
        let read = |t: MetricTable| -> anyhow::Result<DataFrame> {
            Ok(match lake.scan_metric(as_of, t.name())? {
                Some(lf) => lf.collect()?,
                None => empty(t),
            })
        };
        let Some(v) = lake.read_summary(as_of)? else {
            return Ok(None);
        };
        let summary: Summary = serde_json::from_value(v)
            .with_context(|| format!("summary.json of as_of {as_of} does not match"))?;
        Ok(Some(MetricTables {
            accounts: read(MetricTable::Accounts)?,
            concentration: empty(MetricTable::Concentration),
            employees: read(MetricTable::Employees)?,
            tier_migration: empty(MetricTable::TierMigration),
            competitors: empty(MetricTable::Competitors),
            evidence: empty(MetricTable::Evidence),
            account_quarters: read(MetricTable::AccountQuarters)?,
            deals: read(MetricTable::Deals)?,
            summary,
        }))
    }

    /// employee_id → (name, email) from the lake's employees table (the metric table has no
    /// e-mail).
    fn people(lake: &Lake) -> anyhow::Result<HashMap<String, (Option<String>, Option<String>)>> {
        let view = lake.view()?;
        let Some(lf) = view.scan(Table::Employees)? else {
            return Ok(HashMap::new());
        };
        let df = lf
            .select([col("employee_id"), col("name"), col("email")])
            .collect()?;
        let s = |c: &str| -> anyhow::Result<Vec<Option<String>>> {
            Ok(df
                .column(c)?
                .cast(&DataType::String)?
                .str()?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        };
        let (ids, names, emails) = (s("employee_id")?, s("name")?, s("email")?);
        Ok(ids
            .into_iter()
            .zip(names.into_iter().zip(emails))
            .filter_map(|(id, ne)| Some((id?, ne)))
            .collect())
    }

    /// The previous as_of's rows of `book`'s accounts (same account ids).
    fn previous_book(
        book: &Book,
        now: &MetricTables,
        prev_rows: &HashMap<String, (IdxSize, Vec<IdxSize>)>,
    ) -> anyhow::Result<Book> {
        let ids = now.accounts.column("account_id")?.str()?;
        let mut b = Book {
            key: book.key.clone(),
            accounts: Vec::new(),
            quarters: Vec::new(),
        };
        for &r in &book.accounts {
            if let Some((row, qs)) = ids.get(r as usize).and_then(|id| prev_rows.get(id)) {
                b.accounts.push(*row);
                b.quarters.extend_from_slice(qs);
            }
        }
        Ok(b)
    }

    pub(super) fn render(
        ctx: &Context,
        lake: &Lake,
        outcome: &ReportOutcome,
    ) -> anyhow::Result<Written> {
        let s = &ctx.settings;
        let as_of = outcome.as_of;
        let Some(now) = tables(lake, as_of)? else {
            anyhow::bail!("no summary.json for as_of {as_of}: run `mcr analyze` first");
        };
        let previous: Option<(NaiveDate, MetricTables)> = lake
            .metric_as_ofs()?
            .into_iter()
            .filter(|d| *d < as_of)
            .max()
            .and_then(|p| tables(lake, p).ok().flatten().map(|t| (p, t)));
        // account_id → (row in previous accounts, rows in previous account_quarters)
        let mut prev_rows: HashMap<String, (IdxSize, Vec<IdxSize>)> = HashMap::new();
        if let Some((_, p)) = &previous {
            for (i, id) in p.accounts.column("account_id")?.str()?.iter().enumerate() {
                if let Some(id) = id {
                    prev_rows.insert(id.to_string(), (i as IdxSize, Vec::new()));
                }
            }
            if p.account_quarters.height() > 0 {
                let q = p.account_quarters.column("account_id")?.str()?;
                for (i, id) in q.iter().enumerate() {
                    if let Some(e) = id.and_then(|id| prev_rows.get_mut(id)) {
                        e.1.push(i as IdxSize);
                    }
                }
            }
        }
        let people = people(lake)?;
        let view = lake.view()?;
        let manifest = view.manifest().clone();
        let mut rows: Vec<BurstRow> = Vec::new();
        let mut leadership_pages = Vec::new();
        // Pages render on worker threads: give them the main thread's stack (templates and
        // charts of a large book recurse deeper than rayon's 2 MiB default).
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(64 << 20)
            .build()
            .context("cannot start the burst workers")?;
        for &kind in &s.report.burst {
            let list = books(&now, kind)?;
            let folders = unique_folders(list.iter().map(|b| b.key.as_str()));
            let done: Vec<anyhow::Result<(BurstRow, PathBuf)>> = pool.install(|| {
                list.par_iter()
                    .zip(folders.par_iter())
                    .map(|(book, folder)| {
                        let sub = subset_book(&now, book, &s.metrics)?;
                        let prev = match &previous {
                            Some((p_as_of, p)) => {
                                let pb = previous_book(book, &now, &prev_rows)?;
                                let ps = subset_book(p, &pb, &s.metrics)?;
                                Some(PreviousInputs {
                                    as_of: *p_as_of,
                                    summary: ps.summary,
                                    accounts: Some(ps.accounts),
                                })
                            }
                            None => None,
                        };
                        let (name, email) = match kind {
                            BurstKind::Owner => people
                                .get(&book.key)
                                .map(|(n, e)| (n.clone(), e.clone()))
                                .unwrap_or_default(),
                            // A region's head: `[delivery.regions]`, applied by `mcr deliver`.
                            BurstKind::Region => (None, None),
                        };
                        let name = name
                            .filter(|n| !n.trim().is_empty())
                            .unwrap_or_else(|| book.key.clone());
                        let dir = burst_dir(&outcome.dir, kind, folder);
                        let row = BurstRow {
                            kind: kind.name(),
                            key: book.key.clone(),
                            name: name.clone(),
                            email: email.unwrap_or_default(),
                            accounts: sub.summary.headline.accounts_total,
                            revenue_12m: sub.summary.headline.revenue_12m_total,
                            folder: format!("{}/{folder}", kind.folder()),
                        };
                        let mut csvs = vec![
                            ("accounts", sub.accounts.clone()),
                            ("concentration", sub.concentration.clone()),
                            ("employees", sub.employees.clone()),
                            ("tier_migration", sub.tier_migration.clone()),
                            ("account_quarters", sub.account_quarters.clone()),
                            ("deals", sub.deals.clone()),
                        ];
                        let inputs = ReportInputs {
                            as_of,
                            accounts: sub.accounts,
                            concentration: Some(sub.concentration),
                            employees: Some(sub.employees),
                            tier_migration: Some(sub.tier_migration),
                            competitors: None,
                            evidence: None,
                            deals: Some(sub.deals),
                            summary: sub.summary,
                            previous: prev,
                            manifest: manifest.clone(),
                            queries: Vec::new(),
                            warnings: Vec::new(),
                            scope: Some(Scope {
                                kind: kind.name(),
                                key: book.key.clone(),
                                name,
                            }),
                        };
                        // A fresh folder: nothing of an earlier run's book stays behind.
                        if dir.exists() {
                            std::fs::remove_dir_all(&dir)
                                .with_context(|| format!("cannot replace {}", dir.display()))?;
                        }
                        let out = crate::report::render_into(
                            inputs,
                            &s.report,
                            &dir,
                            &Audience::ALL,
                            s.lang,
                        )
                        .with_context(|| format!("burst {} {}", kind.name(), book.key))?;
                        write_csvs(&dir, &mut csvs)?;
                        let leadership = out
                            .pages
                            .iter()
                            .find(|p| p.file_name().is_some_and(|n| n == "leadership.html"))
                            .cloned()
                            .unwrap_or_else(|| dir.join("leadership.html"));
                        Ok((row, leadership))
                    })
                    .collect()
            });
            for r in done {
                let (row, page) = r?;
                rows.push(row);
                leadership_pages.push(page);
            }
        }
        let index = write_index(&outcome.dir, &rows)?;
        Ok(Written {
            index,
            rows,
            leadership_pages,
        })
    }
}
