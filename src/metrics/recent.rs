//! The recent activities with their ids numbered: what the holders, GRI counts, roles and
//! teams and multi-headed contact passes read.
//!
//! Each id is looked up once, when the rows are read, instead of once per pass: at 1 M
//! accounts the three passes each hashed 33 M contact or employee ids (13–17 s apiece), and
//! the rows as strings took 2 GB where four `u32`/`i32` columns take 0.5 GB. The rows are read
//! in slices of the activities table ([`Recent::read`]), so the strings of the whole window
//! never sit in memory at once.

use std::collections::HashMap;

use polars::prelude::*;

use super::keys::RunLookup;
use super::windows::Window;

/// No id: a null, or (accounts) an id not in the accounts table.
pub const NONE: u32 = u32::MAX;

type Map = HashMap<Box<str>, u32, foldhash::fast::RandomState>;

/// Ids numbered in the order first seen: `code(id)` gives the same number for the same id.
#[derive(Default, Debug)]
pub struct Numbering {
    index: Map,
    names: Vec<Box<str>>,
}

impl Numbering {
    /// The number of `id`, given a new one when it is first seen.
    pub fn code(&mut self, id: &str) -> u32 {
        if let Some(&c) = self.index.get(id) {
            return c;
        }
        let c = self.names.len() as u32;
        self.names.push(id.into());
        self.index.insert(id.into(), c);
        c
    }

    /// The number of `id` when it has been seen.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub fn name(&self, code: u32) -> &str {
        &self.names[code as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Rows of activities (rows without a date are left out: every window excludes them), one
/// entry per row in each column.
#[derive(Default, Debug)]
pub struct Recent {
    /// Account index of the activity's account_id ([`NONE`]: null or not in accounts).
    pub account: Vec<u32>,
    /// Number of the contact_id in `contacts` ([`NONE`]: null).
    pub contact: Vec<u32>,
    /// Number of the employee_id in `employees` ([`NONE`]: null).
    pub employee: Vec<u32>,
    /// Epoch days.
    pub date: Vec<i32>,
    pub contacts: Numbering,
    pub employees: Numbering,
}

/// Rows read per slice of the activities table in [`Recent::read`].
const SLICE_ROWS: usize = 8 << 20;

impl Recent {
    /// The rows of `activities` in `window`, read a slice of the table at a time; `account`
    /// maps an account id to its index.
    pub fn read(
        activities: LazyFrame,
        window: Window,
        account: impl Fn(&str) -> Option<usize>,
    ) -> PolarsResult<Recent> {
        Self::read_in_slices(activities, window, account, SLICE_ROWS)
    }

    fn read_in_slices(
        activities: LazyFrame,
        window: Window,
        account: impl Fn(&str) -> Option<usize>,
        slice_rows: usize,
    ) -> PolarsResult<Recent> {
        let total = activities.clone().select([len()]).collect()?;
        let total = total.column("len")?.u32()?.get(0).unwrap_or(0) as usize;
        let mut out = Recent::default();
        let mut start = 0;
        while start < total {
            let df = activities
                .clone()
                .slice(start as i64, slice_rows as IdxSize)
                .filter(window.expr(col("date")))
                .select([
                    col("account_id"),
                    col("contact_id"),
                    col("employee_id"),
                    col("date"),
                ])
                .collect()?;
            out.push_frame(&df, &account)?;
            start += slice_rows;
        }
        Ok(out)
    }

    /// [`Recent`] of a frame of activities (`account_id`, `contact_id`, `employee_id`, `date`;
    /// a missing id column counts as nulls).
    pub fn from_frame(
        df: &DataFrame,
        account: impl Fn(&str) -> Option<usize>,
    ) -> PolarsResult<Recent> {
        let mut out = Recent::default();
        out.push_frame(df, account)?;
        Ok(out)
    }

    fn push_frame(
        &mut self,
        df: &DataFrame,
        account: impl Fn(&str) -> Option<usize>,
    ) -> PolarsResult<()> {
        let h = df.height();
        let nulls = || StringChunked::full_null("".into(), h);
        let ids = |name: &str| -> PolarsResult<StringChunked> {
            Ok(match df.column(name) {
                Ok(c) => c.str()?.clone(),
                Err(_) => nulls(),
            })
        };
        let (accounts, contacts, employees) =
            (ids("account_id")?, ids("contact_id")?, ids("employee_id")?);
        let dates = df.column("date")?.to_physical_repr();
        let dates = dates.i32()?;
        let mut lookup = RunLookup::new(account);
        self.reserve(h);
        let rows = accounts
            .iter()
            .zip(contacts.iter())
            .zip(employees.iter())
            .zip(dates.iter());
        for (((a, c), e), d) in rows {
            let Some(d) = d else { continue };
            let a = a
                .and_then(|a| lookup.get(a))
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(NONE);
            self.account.push(a);
            self.contact.push(c.map_or(NONE, |c| self.contacts.code(c)));
            self.employee
                .push(e.map_or(NONE, |e| self.employees.code(e)));
            self.date.push(d);
        }
        Ok(())
    }

    fn reserve(&mut self, n: usize) {
        self.account.reserve(n);
        self.contact.reserve(n);
        self.employee.reserve(n);
        self.date.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.date.len()
    }

    pub fn is_empty(&self) -> bool {
        self.date.is_empty()
    }

    /// The rows dated in `window`.
    pub fn rows_in(&self, window: Window) -> impl Iterator<Item = usize> + '_ {
        let days = window.day_range();
        self.date
            .iter()
            .enumerate()
            .filter(move |(_, d)| days.contains(**d))
            .map(|(r, _)| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::test_util::{d, dates};

    #[test]
    fn ids_are_numbered_once_and_rows_without_date_dropped() {
        let df = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), [Some("a"), Some("x"), None, Some("a")]),
            Column::new(
                "contact_id".into(),
                [Some("c1"), Some("c2"), Some("c1"), None],
            ),
            Column::new(
                "employee_id".into(),
                [Some("E1"), None, Some("E2"), Some("E1")],
            ),
            dates(&["2026-09-01", "2026-09-02", "2026-09-03", "2026-09-04"]),
        ])
        .unwrap();
        let r = Recent::from_frame(&df, |a| (a == "a").then_some(0)).unwrap();
        assert_eq!(r.account, vec![0, NONE, NONE, 0]);
        assert_eq!(r.contact, vec![0, 1, 0, NONE]);
        assert_eq!(r.employee, vec![0, NONE, 1, 0]);
        assert_eq!((r.contacts.name(1), r.employees.get("E2")), ("c2", Some(1)));
        let w = Window::days(d("2026-09-03"), 2);
        assert_eq!(r.rows_in(w).collect::<Vec<_>>(), vec![1, 2]);
        // A null date leaves the row out; no contact column counts as nulls.
        let df = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), ["a", "a"]),
            Column::new(
                "date".into(),
                [Some(d("2026-09-01")), None::<chrono::NaiveDate>],
            ),
        ])
        .unwrap();
        let r = Recent::from_frame(&df, |_| Some(0)).unwrap();
        assert_eq!((r.len(), r.contact[0], r.employee[0]), (1, NONE, NONE));
    }

    #[test]
    fn read_in_slices_is_the_whole_window() {
        let n = 10;
        let df = DataFrame::new_infer_height(vec![
            Column::new(
                "account_id".into(),
                (0..n).map(|i| format!("a{}", i % 3)).collect::<Vec<_>>(),
            ),
            Column::new(
                "contact_id".into(),
                (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
            ),
            Column::new(
                "employee_id".into(),
                (0..n).map(|i| format!("E{}", i % 2)).collect::<Vec<_>>(),
            ),
            Column::new(
                "date".into(),
                (0..n)
                    .map(|i| d("2026-09-01") + chrono::Days::new(i as u64))
                    .collect::<Vec<_>>(),
            ),
        ])
        .unwrap();
        let w = Window::days(d("2026-09-08"), 5);
        let r = Recent::read_in_slices(df.lazy(), w, |a| a[1..].parse().ok(), 3).unwrap();
        // 2026-09-04 .. 2026-09-08: rows 3..=7
        assert_eq!(r.len(), 5);
        assert_eq!(r.account, vec![0, 1, 2, 0, 1]);
        assert_eq!(r.contacts.name(0), "c3");
    }
}
