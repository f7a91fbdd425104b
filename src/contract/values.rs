//! Field parsers for the contract's types: amounts, dates, booleans, enums, and the day
//! numbers of polars dates. Pure functions, property-tested; the error string is the reject
//! reason shown to the user. In the bottom layer: ingest parses fields with them, profiles
//! check labels with them, metrics count days with them.

use chrono::{Datelike, NaiveDate};

/// Parse a decimal amount: `1234.5`, `"¥1,234.50"`, `$1,234`, `-¥12.50`, `¥-12.50`,
/// `(12.50)`, `1 234,50` (with `decimal_comma`), `12%` is not an amount.
///
/// Currency symbols (¥ ￥ $ € £ and ISO codes like `CNY`/`USD` before or after), thousands
/// separators (`,` or spaces; `.` or spaces with `decimal_comma`) and surrounding whitespace
/// are removed; parentheses mean negative.
pub fn parse_amount(raw: &str, decimal_comma: bool) -> Result<f64, String> {
    // Fast path for plain numbers (`-1234.5`), the bulk of any export: same result as below.
    let s = raw.trim();
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    if !decimal_comma
        && digits.iter().any(u8::is_ascii_digit)
        && digits.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && digits.iter().filter(|c| **c == b'.').count() <= 1
    {
        if let Ok(v) = s.parse::<f64>() {
            if v.is_finite() {
                return Ok(v);
            }
        }
    }
    if let Some(v) = scientific(s) {
        return Ok(v);
    }
    parse_amount_general(raw, decimal_comma)
}

/// A number in scientific notation as Salesforce exports large amounts (`1.01752E11`,
/// `-2.5e3`); `None` for anything else (or a non-finite value).
fn scientific(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once(['e', 'E'])?;
    let m = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let e = exp.strip_prefix(['-', '+']).unwrap_or(exp);
    let ok = !m.is_empty()
        && m.bytes().any(|c| c.is_ascii_digit())
        && m.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && m.bytes().filter(|c| *c == b'.').count() <= 1
        && !e.is_empty()
        && e.bytes().all(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A Chinese unit written after the number: `万` (10⁴) or `亿` (10⁸), optionally followed by
/// `元` (`350万`, `1.2亿元`); returns the number part and its multiplier.
fn cn_unit(body: &str) -> (&str, f64) {
    let b = body.trim_end();
    let b = b.strip_suffix('元').map_or(b, str::trim_end);
    if let Some(n) = b.strip_suffix('亿') {
        (n.trim_end(), 1e8)
    } else if let Some(n) = b.strip_suffix('万') {
        (n.trim_end(), 1e4)
    } else {
        (b, 1.0)
    }
}

/// [`parse_amount`] for every format: currency signs and codes, separators, parentheses.
fn parse_amount_general(raw: &str, decimal_comma: bool) -> Result<f64, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty amount".into());
    }
    let mut negative = false;
    let mut body = s;
    if body.starts_with('(') && body.ends_with(')') && body.len() >= 2 {
        negative = true;
        body = body[1..body.len() - 1].trim();
    }
    let (body, scale) = cn_unit(body);
    let mut cleaned = String::with_capacity(body.len());
    let mut seen_digit = false;
    for ch in body.chars() {
        match ch {
            '0'..='9' => {
                seen_digit = true;
                cleaned.push(ch);
            }
            '-' | '−' => {
                if negative || seen_digit {
                    return Err(format!("`{raw}` is not an amount (misplaced minus sign)"));
                }
                negative = true;
            }
            '+' if !seen_digit => {}
            '.' if !decimal_comma => cleaned.push('.'),
            '.' => {} // thousands separator with decimal_comma
            ',' if decimal_comma => cleaned.push('.'),
            ',' => {}
            ' ' | '\u{a0}' | '\u{202f}' | '\'' | '_' => {}
            '¥' | '￥' | '$' | '€' | '£' | '元' => {}
            c if c.is_ascii_alphabetic() => {} // ISO code (CNY, USD, RMB); checked below
            _ => return Err(format!("`{raw}` is not an amount")),
        }
    }
    // Letters are only allowed as a currency code: 3 letters (RMB/CNY/USD…) or `e` exponent.
    let letters: String = body.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if !(letters.is_empty() || letters.len() == 3) {
        return Err(format!("`{raw}` is not an amount"));
    }
    if !seen_digit || cleaned.matches('.').count() > 1 {
        return Err(format!("`{raw}` is not an amount"));
    }
    let v: f64 = cleaned
        .parse()
        .map_err(|_| format!("`{raw}` is not an amount"))?;
    if !v.is_finite() {
        return Err(format!("`{raw}` is not a finite amount"));
    }
    // 1.2 × 10⁸ is 119999999.99999999 in floating point: round to 4 decimals after scaling.
    let v = if scale == 1.0 {
        v
    } else {
        (v * scale * 1e4).round() / 1e4
    };
    Ok(if negative { -v } else { v })
}

/// Parse a date: ISO `2026-01-31`, `2026/1/31`, `2026.1.31`, `2026年1月31日`, an ISO
/// date-time (`2026-01-31T10:00:00Z`, `2026-01-31 10:00`) whose date part is taken, then each
/// of the profile's `formats` (chrono syntax, e.g. `%m/%d/%Y`).
pub fn parse_date(raw: &str, formats: &[String]) -> Result<NaiveDate, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty date".into());
    }
    if let Some(d) = parse_ymd(s) {
        return Ok(d);
    }
    // A 2-digit year also matches %Y as year 25; only plausible years count.
    let plausible = |d: NaiveDate| (1000..=9999).contains(&d.year());
    for f in formats {
        if let Some(d) = numeric_layout(s, f) {
            return Ok(d);
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            if plausible(d) {
                return Ok(d);
            }
        }
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, f) {
            if plausible(dt.date()) {
                return Ok(dt.date());
            }
        }
    }
    Err(if formats.is_empty() {
        format!("`{raw}` is not a date (expected YYYY-MM-DD, YYYY/M/D or YYYY年M月D日; set `date_formats` in the profile for other layouts)")
    } else {
        format!("`{raw}` is not a date in any of the formats {formats:?}")
    })
}

/// A date in a numeric layout (`%m/%d/%Y %H:%M`, `%d.%m.%Y`…: only `%Y %m %d %H %M %S` and
/// ASCII literals), matched without chrono's format parser (a fifth of an invoice-line
/// ingest's parse time went to it). `Some` only where chrono's `parse_from_str` gives the
/// same date: `%Y` four digits, the others one or two, every literal byte as written, the
/// whole input consumed, fields in range, the year plausible. Anything else (`None`) is left
/// to chrono, so a layout this does not know is only slower, never read differently.
fn numeric_layout(s: &str, format: &str) -> Option<NaiveDate> {
    let (s, f) = (s.as_bytes(), format.as_bytes());
    let (mut i, mut j) = (0, 0);
    let (mut y, mut m, mut d) = (None, None, None);
    while j < f.len() {
        if f[j] != b'%' {
            if !f[j].is_ascii() || s.get(i) != Some(&f[j]) {
                return None;
            }
            i += 1;
            j += 1;
            continue;
        }
        let spec = *f.get(j + 1)?;
        j += 2;
        let (min, max) = if spec == b'Y' { (4, 4) } else { (1, 2) };
        let mut v = 0u32;
        let mut n = 0;
        while n < max && s.get(i).is_some_and(u8::is_ascii_digit) {
            v = v * 10 + u32::from(s[i] - b'0');
            i += 1;
            n += 1;
        }
        if n < min {
            return None;
        }
        let ok = match spec {
            b'Y' => y.replace(v).is_none(),
            b'm' => m.replace(v).is_none(),
            b'd' => d.replace(v).is_none(),
            b'H' => v < 24,
            b'M' => v < 60,
            b'S' => v <= 60,
            _ => false,
        };
        if !ok {
            return None;
        }
    }
    if i != s.len() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(y?).ok()?, m?, d?)?;
    (1000..=9999).contains(&date.year()).then_some(date)
}

/// Days since 1970-01-01 (the physical value of a polars `Date`).
pub fn epoch_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_FROM_CE
}

/// 1970-01-01 as days from 0001-01-01 (chrono's `num_days_from_ce`, where that day is 1).
const EPOCH_FROM_CE: i32 = 719_163;

/// The date of a day count since 1970-01-01 (polars' `Date` representation).
pub fn from_epoch_days(days: i32) -> NaiveDate {
    days.checked_add(EPOCH_FROM_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_default()
}

/// Year-month-day layouts with `-`, `/`, `.` or 年月日 separators, optionally followed by a
/// time part (`T…` or ` …`).
fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let bytes = s.as_bytes();
    let mut parts = [0u32; 3];
    let mut idx = 0;
    let mut digits = 0;
    let mut i = 0;
    let mut end_of_date = s.len();
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            if digits >= (if idx == 0 { 4 } else { 2 }) {
                return None;
            }
            parts[idx] = parts[idx] * 10 + u32::from(b - b'0');
            digits += 1;
            i += 1;
            continue;
        }
        if digits == 0 {
            return None;
        }
        let rest = &s[i..];
        let sep_len = if b == b'-' || b == b'/' || b == b'.' {
            1
        } else if rest.starts_with('年') || rest.starts_with('月') || rest.starts_with('日') {
            3
        } else if idx == 2 && (b == b'T' || b == b' ') {
            end_of_date = i;
            break;
        } else {
            return None;
        };
        if idx == 0 && digits != 4 {
            return None;
        }
        idx += 1;
        digits = 0;
        i += sep_len;
        if idx == 3 {
            // only 日 may close the date; a time may follow
            end_of_date = i;
            break;
        }
    }
    if idx < 2 || (idx == 2 && digits == 0) {
        return None;
    }
    let tail = s[end_of_date..].trim();
    if !(tail.is_empty() || tail.starts_with('T') || tail.as_bytes()[0].is_ascii_digit()) {
        return None;
    }
    let d = NaiveDate::from_ymd_opt(parts[0] as i32, parts[1], parts[2])?;
    (1000..=9999).contains(&d.year()).then_some(d)
}

/// An Excel serial date (1900 date system, with its 1900-02-29 bug) → date.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
}

/// Parse a boolean: true/false, 1/0, yes/no, y/n, t/f, 是/否, 真/假, x/(empty is null upstream).
/// A match, not a vocabulary lookup (it runs per cell); the words are also the `[bool]`
/// labels of `vocabulary.toml`, and a test there keeps the two in step.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    let s = raw.trim();
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "1.0" | "yes" | "y" | "t" | "x" => Ok(true),
        "false" | "0" | "0.0" | "no" | "n" | "f" => Ok(false),
        _ => match s {
            "是" | "真" | "对" => Ok(true),
            "否" | "假" | "不" => Ok(false),
            _ => Err(format!(
                "`{raw}` is not a boolean (true/false, 1/0, yes/no, 是/否)"
            )),
        },
    }
}

/// Parse a small integer scale value written as `2`, `2.0` or `+2`.
pub fn parse_int_label(raw: &str) -> Option<i32> {
    let s = raw.trim().trim_start_matches('+');
    if let Ok(v) = s.parse::<i32>() {
        return Some(v);
    }
    let f: f64 = s.parse().ok()?;
    (f.fract() == 0.0 && f.abs() < 1e6).then_some(f as i32)
}

/// Normalise a label for lookup: trimmed, lower-cased, inner whitespace/`_`/`-` collapsed to
/// one space.
pub fn normalize_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for ch in raw.trim().chars() {
        if ch.is_whitespace() || ch == '_' || ch == '-' && !out.is_empty() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn amounts_in_every_accepted_layout() {
        assert_eq!(parse_amount("1234.5", false), Ok(1234.5));
        assert_eq!(parse_amount("¥1,234.50", false), Ok(1234.5));
        assert_eq!(parse_amount("$1,234", false), Ok(1234.0));
        assert_eq!(parse_amount("-¥12.50", false), Ok(-12.5));
        assert_eq!(parse_amount("¥-12.50", false), Ok(-12.5));
        assert_eq!(parse_amount("(12.50)", false), Ok(-12.5));
        assert_eq!(parse_amount("1 234,50", true), Ok(1234.5));
        assert_eq!(parse_amount("1.234,50 €", true), Ok(1234.5));
        assert_eq!(parse_amount(" CNY 88 ", false), Ok(88.0));
        assert_eq!(parse_amount("￥0.5", false), Ok(0.5));
        // Salesforce writes large amounts in scientific notation.
        assert_eq!(parse_amount("1.01752E11", false), Ok(101_752_000_000.0));
        assert_eq!(parse_amount("2.0845725E7", false), Ok(20_845_725.0));
        assert_eq!(parse_amount("-2.5e3", false), Ok(-2500.0));
        // Chinese units written out: 万 = 10⁴, 亿 = 10⁸, optional 元.
        assert_eq!(parse_amount("350万", false), Ok(3_500_000.0));
        assert_eq!(parse_amount("1.2亿", false), Ok(120_000_000.0));
        assert_eq!(parse_amount("¥1,234.5万元", false), Ok(12_345_000.0));
        assert_eq!(parse_amount("1234元", false), Ok(1234.0));
        assert_eq!(parse_amount("-3.5 万", false), Ok(-35_000.0));
    }

    #[test]
    fn non_amounts_are_rejected_with_the_value() {
        for bad in [
            "abc",
            "",
            "12.3.4",
            "1-2",
            "N/A",
            "#N/A",
            "12%",
            "--5",
            "1e999",
            "1e",
            "e5",
            "1.2e3.4",
            "万",
            "亿元",
            "5万亿万",
        ] {
            let e = parse_amount(bad, false);
            assert!(e.is_err(), "{bad} parsed as {e:?}");
        }
        assert!(parse_amount("abc", false).unwrap_err().contains("`abc`"));
    }

    #[test]
    fn dates_in_every_accepted_layout() {
        assert_eq!(parse_date("2026-01-31", &[]), Ok(d(2026, 1, 31)));
        assert_eq!(parse_date("2026/1/5", &[]), Ok(d(2026, 1, 5)));
        assert_eq!(parse_date("2026.01.05", &[]), Ok(d(2026, 1, 5)));
        assert_eq!(parse_date("2026年1月31日", &[]), Ok(d(2026, 1, 31)));
        assert_eq!(parse_date("2026-01-31T10:00:00Z", &[]), Ok(d(2026, 1, 31)));
        assert_eq!(parse_date("2026-01-31 10:00", &[]), Ok(d(2026, 1, 31)));
        assert_eq!(parse_date(" 2026-1-1 ", &[]), Ok(d(2026, 1, 1)));
        let us = vec!["%m/%d/%Y".to_string(), "%m/%d/%y".to_string()];
        assert_eq!(parse_date("03/04/2025", &us), Ok(d(2025, 3, 4)));
        assert_eq!(parse_date("3/4/25", &us), Ok(d(2025, 3, 4)));
        let retail = vec!["%m/%d/%Y %H:%M".to_string()];
        assert_eq!(parse_date("12/1/2010 8:26", &retail), Ok(d(2010, 12, 1)));
        assert_eq!(
            numeric_layout("12/1/2010 8:26", &retail[0]),
            Some(d(2010, 12, 1))
        );
        assert_eq!(parse_date("12/01/2010 08:26", &retail), Ok(d(2010, 12, 1)));
        // Not matched by the fast layout (a second space), still read by chrono.
        assert_eq!(numeric_layout("12/1/2010  8:26", &retail[0]), None);
        assert_eq!(parse_date("12/1/2010  8:26", &retail), Ok(d(2010, 12, 1)));
        assert!(parse_date("13/1/2010 8:26", &retail).is_err());
        assert!(parse_date("12/1/2010 24:26", &retail).is_err());
    }

    #[test]
    fn impossible_and_foreign_dates_are_rejected() {
        for bad in [
            "2026-02-30",
            "yesterday",
            "31/01/2026",
            "2026-13-01",
            "2026",
            "20260131x",
            "2026-01-31garbage",
        ] {
            assert!(parse_date(bad, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(45658.0), Some(d(2025, 1, 1)));
        assert_eq!(excel_serial_to_date(-3.0), None);
    }

    #[test]
    fn booleans() {
        for t in ["true", "TRUE", "1", "yes", "Y", "是"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["false", "0", "no", "N", "否"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn labels_normalise() {
        assert_eq!(normalize_label("  Decision_Maker "), "decision maker");
        assert_eq!(normalize_label("Economic  Buyer"), "economic buyer");
        assert_eq!(normalize_label("-1"), "-1");
        assert_eq!(normalize_label("决策者"), "决策者");
        assert_eq!(parse_int_label("-1.0"), Some(-1));
        assert_eq!(parse_int_label("2.5"), None);
    }

    proptest! {
        #[test]
        fn amount_fast_path_agrees_with_the_general_parser(s in "[ ]?-?[0-9]{0,14}[.]?[0-9]{0,6}[.]?[0-9]{0,2}") {
            prop_assert_eq!(parse_amount(&s, false), parse_amount_general(&s, false));
        }

        #[test]
        fn amount_round_trips_through_formatting(cents in -1_000_000_000i64..1_000_000_000i64) {
            let v = cents as f64 / 100.0;
            let plain = format!("{v:.2}");
            prop_assert!((parse_amount(&plain, false).unwrap() - v).abs() < 1e-9);
            let abs = v.abs();
            let int = abs.trunc() as i64;
            let grouped = int.to_string().as_bytes().rchunks(3).rev()
                .map(|c| std::str::from_utf8(c).unwrap().to_string()).collect::<Vec<_>>().join(",");
            let frac = format!("{:.2}", abs.fract()).trim_start_matches('0').to_string();
            let sign = if v < 0.0 { "-" } else { "" };
            let yen = format!("{sign}¥{grouped}{frac}");
            prop_assert!((parse_amount(&yen, false).unwrap() - v).abs() < 1e-6, "{}", yen);
        }

        #[test]
        fn date_round_trips(days in 0i64..2_900_000) {
            let date = d(1900, 1, 1) + chrono::Duration::days(days % 2_900_000);
            prop_assume!(date.year() <= 9999);
            for s in [date.format("%Y-%m-%d").to_string(), date.format("%Y/%-m/%-d").to_string(), date.format("%Y年%-m月%-d日").to_string()] {
                prop_assert_eq!(parse_date(&s, &[]), Ok(date));
            }
        }

        /// The layout matcher gives chrono's date wherever it gives one.
        #[test]
        fn numeric_layouts_agree_with_chrono(
            s in "[0-9]{1,3}[/. -][0-9]{1,3}[/. -][0-9]{2,5}( [0-9]{1,2}:[0-9]{1,3}(:[0-9]{1,2})?)?",
            f in 0usize..6,
        ) {
            let formats = ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y %H:%M"];
            let f = formats[f];
            if let Some(d) = numeric_layout(&s, f) {
                let chrono = NaiveDate::parse_from_str(&s, f)
                    .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, f).map(|t| t.date()));
                prop_assert_eq!(chrono, Ok(d), "{} {}", s, f);
            }
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_amount(&s, false);
            let _ = parse_amount(&s, true);
            let _ = parse_date(&s, &["%m/%d/%Y".to_string()]);
            let _ = parse_bool(&s);
            let _ = parse_int_label(&s);
            let _ = normalize_label(&s);
        }
    }
}
