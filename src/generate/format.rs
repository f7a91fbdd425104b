//! Field formatting for the generated CSV files: one reusable row buffer, cached date strings,
//! and the clean/messy renderings of amounts, dates, booleans and enum labels.
//!
//! Messy renderings only use layouts the data contract accepts (`¥1,234.50`, `-¥12.50`,
//! `(12.50)`, `2026/1/31`, `2026年1月31日`, `是/否`, `Y/N`, `1/0`, the labels of
//! [`EnumKind::labels`], surrounding whitespace on text).

use std::fmt::Write as _;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use crate::contract::EnumKind;

/// Pre-rendered date strings for every day of the generated range, indexed by the day offset
/// relative to the end date (0 = end, negative = past, positive = future).
pub(crate) struct Dates {
    /// Offset of index 0 (a negative number of days).
    first: i32,
    iso: Vec<String>,
    slash: Vec<String>,
    zh: Vec<String>,
}

impl Dates {
    /// Dates from `end - back_days` to `end + ahead_days`.
    pub(crate) fn new(end: NaiveDate, back_days: u32, ahead_days: u32) -> anyhow::Result<Dates> {
        let first = end
            .checked_sub_days(Days::new(u64::from(back_days)))
            .ok_or_else(|| anyhow::anyhow!("history before {end} is out of the calendar range"))?;
        let n = back_days as usize + ahead_days as usize + 1;
        let mut iso = Vec::with_capacity(n);
        let mut slash = Vec::with_capacity(n);
        let mut zh = Vec::with_capacity(n);
        let mut d = first;
        for i in 0..n {
            let (y, m, dd) = (d.year(), d.month(), d.day());
            iso.push(format!("{y:04}-{m:02}-{dd:02}"));
            slash.push(format!("{y}/{m}/{dd}"));
            zh.push(format!("{y}年{m}月{dd}日"));
            if i + 1 < n {
                d = d.succ_opt().ok_or_else(|| {
                    anyhow::anyhow!("dates after {d} are out of the calendar range")
                })?;
            }
        }
        Ok(Dates {
            first: -(back_days as i32),
            iso,
            slash,
            zh,
        })
    }

    fn index(&self, offset: i32) -> usize {
        let i = i64::from(offset) - i64::from(self.first);
        i.clamp(0, self.iso.len() as i64 - 1) as usize
    }

    /// The ISO rendering of a day offset (clamped to the covered range).
    #[cfg(test)]
    pub(crate) fn iso(&self, offset: i32) -> &str {
        &self.iso[self.index(offset)]
    }
}

/// Per-enum label choices for messy output: for each canonical value (by its index in
/// [`EnumKind::values`]) the non-ASCII labels and the other English synonyms.
pub(crate) struct Labels {
    kinds: Vec<(EnumKind, Vec<(Vec<&'static str>, Vec<&'static str>)>)>,
}

impl Labels {
    pub(crate) fn new() -> Labels {
        let kinds = EnumKind::ALL
            .into_iter()
            .map(|k| {
                let per_value = k
                    .values()
                    .iter()
                    .map(|v| {
                        let lower = v.to_lowercase();
                        let mut zh = Vec::new();
                        let mut alt = Vec::new();
                        for (label, value) in k.labels() {
                            if value != v {
                                continue;
                            }
                            if !label.is_ascii() {
                                zh.push(*label);
                            } else if *label != lower {
                                alt.push(*label);
                            }
                        }
                        (zh, alt)
                    })
                    .collect();
                (k, per_value)
            })
            .collect();
        Labels { kinds }
    }

    fn get(&self, kind: EnumKind, idx: usize) -> Option<&(Vec<&'static str>, Vec<&'static str>)> {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, v)| v.get(idx))
    }
}

/// Boolean renderings a messy export may use (all accepted by the contract).
const BOOLS: [(&str, &str); 5] = [
    ("true", "false"),
    ("是", "否"),
    ("Y", "N"),
    ("1", "0"),
    ("yes", "no"),
];

/// Rendering switches shared by all rows of one run.
pub(crate) struct Style {
    pub messy: bool,
    pub dates: Dates,
    pub labels: Labels,
}

/// One CSV row being built: the fields are concatenated in `s`, `ends` marks their ends.
pub(crate) struct Row {
    s: String,
    ends: Vec<usize>,
}

impl Row {
    pub(crate) fn new() -> Row {
        Row {
            s: String::with_capacity(256),
            ends: Vec::with_capacity(16),
        }
    }

    fn end(&mut self) {
        self.ends.push(self.s.len());
    }

    /// A field taken verbatim.
    pub(crate) fn raw(&mut self, v: &str) {
        self.s.push_str(v);
        self.end();
    }

    /// An empty field.
    pub(crate) fn empty(&mut self) {
        self.end();
    }

    /// An id: `prefix` followed by `n` zero-padded to `width` digits.
    pub(crate) fn id(&mut self, prefix: char, width: usize, n: u64) {
        self.s.push(prefix);
        let _ = write!(self.s, "{n:0width$}");
        self.end();
    }

    /// A formatted field taken verbatim.
    pub(crate) fn fmt(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.s.write_fmt(args);
        self.end();
    }

    /// A text field; in messy mode some values get surrounding whitespace.
    pub(crate) fn text(&mut self, st: &Style, r: &mut impl Rng, v: &str) {
        if st.messy && r.random_bool(0.04) {
            match r.random_range(0..3u8) {
                0 => {
                    self.s.push(' ');
                    self.s.push_str(v);
                }
                1 => {
                    self.s.push_str(v);
                    self.s.push(' ');
                }
                _ => {
                    self.s.push_str("  ");
                    self.s.push_str(v);
                    self.s.push_str("  ");
                }
            }
            self.end();
        } else {
            self.raw(v);
        }
    }

    /// A text field built with `format_args!`, padded like [`Row::text`].
    pub(crate) fn textf(&mut self, st: &Style, r: &mut impl Rng, args: std::fmt::Arguments<'_>) {
        let pad = st.messy && r.random_bool(0.04);
        if pad {
            self.s.push(' ');
        }
        let _ = self.s.write_fmt(args);
        if pad {
            self.s.push(' ');
        }
        self.end();
    }

    /// A date given as a day offset from the end date.
    pub(crate) fn date(&mut self, st: &Style, r: &mut impl Rng, offset: i32) {
        let i = st.dates.index(offset);
        let v = if st.messy {
            match r.random_range(0..20u8) {
                0..=2 => &st.dates.slash[i],
                3..=5 => &st.dates.zh[i],
                _ => &st.dates.iso[i],
            }
        } else {
            &st.dates.iso[i]
        };
        self.s.push_str(v);
        self.end();
    }

    /// A decimal amount with two decimals; messy mode writes some as `¥1,234.50`,
    /// `-¥12.50`, `¥-12.50` or `(12.50)`.
    pub(crate) fn money(&mut self, st: &Style, r: &mut impl Rng, v: f64) {
        let v = if v.abs() < 0.005 { 0.01 } else { v };
        if st.messy && r.random_bool(0.25) {
            if v >= 0.0 {
                self.s.push('¥');
                self.s.push_str(&crate::fmt::thousands(v, 2));
            } else {
                match r.random_range(0..3u8) {
                    0 => {
                        self.s.push_str("-¥");
                        self.s.push_str(&crate::fmt::thousands(-v, 2));
                    }
                    1 => {
                        self.s.push_str("¥-");
                        self.s.push_str(&crate::fmt::thousands(-v, 2));
                    }
                    _ => {
                        let _ = write!(self.s, "({:.2})", -v);
                    }
                }
            }
        } else {
            let _ = write!(self.s, "{v:.2}");
        }
        self.end();
    }

    /// A boolean: `true`/`false`, or in messy mode one of the accepted spellings.
    pub(crate) fn boolean(&mut self, st: &Style, r: &mut impl Rng, b: bool) {
        let (t, f) = if st.messy && r.random_bool(0.5) {
            BOOLS[r.random_range(0..BOOLS.len())]
        } else {
            BOOLS[0]
        };
        self.s.push_str(if b { t } else { f });
        self.end();
    }

    /// An enum value by its index in `kind.values()`; messy mode mixes in Chinese labels
    /// and English synonyms (all from [`EnumKind::labels`]).
    pub(crate) fn label(&mut self, st: &Style, r: &mut impl Rng, kind: EnumKind, idx: usize) {
        let values = kind.values();
        let canonical = values[idx.min(values.len() - 1)];
        let mut v = canonical;
        if st.messy {
            if let Some((zh, alt)) = st.labels.get(kind, idx) {
                let u: f64 = r.random();
                if u < 0.35 && !zh.is_empty() {
                    v = zh[r.random_range(0..zh.len())];
                } else if u < 0.45 && !alt.is_empty() {
                    v = alt[r.random_range(0..alt.len())];
                }
            }
        }
        self.text(st, r, v);
    }

    /// Append the row to `w` and clear the buffer.
    pub(crate) fn flush(&mut self, w: &mut csv::Writer<Vec<u8>>) -> csv::Result<()> {
        let mut start = 0;
        for &end in &self.ends {
            w.write_field(&self.s[start..end])?;
            start = end;
        }
        w.write_record(std::iter::empty::<&[u8]>())?;
        self.s.clear();
        self.ends.clear();
        Ok(())
    }
}

/// A CSV writer into memory: `\n` line ends, RFC-4180 quoting, no header.
pub(crate) fn buffer_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(capacity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_in_three_layouts() -> anyhow::Result<()> {
        let end = NaiveDate::from_ymd_opt(2026, 1, 31).ok_or_else(|| anyhow::anyhow!("date"))?;
        let d = Dates::new(end, 10, 5)?;
        let i = d.index(0);
        assert_eq!(d.iso[i], "2026-01-31");
        assert_eq!(d.slash[i], "2026/1/31");
        assert_eq!(d.zh[i], "2026年1月31日");
        assert_eq!(d.iso(-31), "2026-01-21"); // clamped to the first day
        assert_eq!(d.iso(1), "2026-02-01");
        Ok(())
    }
}
