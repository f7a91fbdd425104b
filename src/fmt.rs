//! Numbers for people, shared by every layer that prints them: thousands separators
//! ([`thousands`]) and byte sizes ([`human_bytes`]).

/// `v` with `decimals` decimals and `,` between groups of three integer digits, never in
/// exponent form: `thousands(78422057.123, 2)` = `78,422,057.12`, `thousands(1234567.0, 0)` =
/// `1,234,567`. The sign only when a non-zero digit is shown (`thousands(-0.0001, 2)` =
/// `0.00`, never `-0.00`). Rounding is `format!`'s (to the nearest, ties to even on the exact
/// binary value); callers that want ties away from zero round first (`v.round()`). NaN and
/// infinities print as `NaN`, `inf`, `-inf`. Integers are exact up to 2⁵³.
pub fn thousands(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// How [`human_bytes`] names its units; both count in powers of 1024.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteUnits {
    /// `KiB`, `MiB`, `GiB`, `TiB` (`mcr generate`'s summary).
    Binary,
    /// `KB`, `MB`, `GB`, `TB` (`mcr lake status`).
    Short,
}

/// A byte count for people: below 1024 exact (`512 B`), above with one decimal in the
/// largest unit that keeps it at or above 1 (`1.5 KiB`), up to TiB.
pub fn human_bytes(b: u64, units: ByteUnits) -> String {
    let names = match units {
        ByteUnits::Binary => ["B", "KiB", "MiB", "GiB", "TiB"],
        ByteUnits::Short => ["B", "KB", "MB", "GB", "TB"],
    };
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < names.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", names[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_signs_and_rounds() {
        // integers (generate's summary counts, the report's counts after `round()`)
        assert_eq!(thousands(0.0, 0), "0");
        assert_eq!(thousands(12.0, 0), "12");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(1000.0, 0), "1,000");
        assert_eq!(thousands(123_456.0, 0), "123,456");
        assert_eq!(thousands(1_234_567.0, 0), "1,234,567");
        assert_eq!(thousands(-1_000.0, 0), "-1,000");
        assert_eq!(thousands(u32::MAX as f64, 0), "4,294,967,295");
        assert_eq!(thousands((1u64 << 53) as f64, 0), "9,007,199,254,740,992");
        assert_eq!(thousands(1e21, 0), "1,000,000,000,000,000,000,000"); // never an exponent
        assert_eq!(thousands(-0.2, 0), "0"); // no "-0"

        // fractions (the terminal tables, the report's decimals, generated amounts)
        assert_eq!(thousands(0.0, 2), "0.00");
        assert_eq!(thousands(999.0, 2), "999.00");
        assert_eq!(thousands(12.5, 2), "12.50");
        assert_eq!(thousands(123_456.0, 2), "123,456.00");
        assert_eq!(thousands(1_234_567.5, 2), "1,234,567.50");
        assert_eq!(thousands(78_422_057.126, 2), "78,422,057.13");
        assert_eq!(thousands(-1_234.5, 2), "-1,234.50");
        assert_eq!(thousands(0.7543, 4), "0.7543");
        assert_eq!(thousands(12_345.678, 1), "12,345.7");
        assert_eq!(thousands(-0.04, 1), "0.0"); // no "-0.0"
        assert_eq!(thousands(-0.0001, 2), "0.00");
        assert_eq!(thousands(999.996, 2), "1,000.00"); // rounding carries into a new group

        // not numbers
        assert_eq!(thousands(f64::NAN, 2), "NaN");
        assert_eq!(thousands(f64::INFINITY, 0), "inf");
        assert_eq!(thousands(f64::NEG_INFINITY, 2), "-inf");
    }

    #[test]
    fn human_bytes_in_powers_of_1024() {
        use ByteUnits::{Binary, Short};
        assert_eq!(human_bytes(0, Binary), "0 B");
        assert_eq!(human_bytes(512, Binary), "512 B");
        assert_eq!(human_bytes(999, Short), "999 B");
        assert_eq!(human_bytes(1023, Binary), "1023 B");
        assert_eq!(human_bytes(1024, Binary), "1.0 KiB");
        assert_eq!(human_bytes(1024, Short), "1.0 KB");
        assert_eq!(human_bytes(1536, Binary), "1.5 KiB");
        assert_eq!(human_bytes(1_234_567, Binary), "1.2 MiB");
        assert_eq!(human_bytes(1_234_567, Short), "1.2 MB");
        assert_eq!(human_bytes(5 << 30, Short), "5.0 GB");
        assert_eq!(human_bytes(3 << 40, Binary), "3.0 TiB");
        assert_eq!(human_bytes(2048 << 40, Short), "2048.0 TB"); // TB is the largest unit
    }
}
