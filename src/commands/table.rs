//! `mcr query --format table`: a result as people read it on a terminal.
//!
//! The layout follows polars' own table (shape line, column names, dtypes, box drawing), with
//! two differences made for the finance and strategy readers of query results:
//!
//! * **Floats are written as people read money and shares**: thousands separators, never an
//!   exponent, and one number of decimals per column chosen from its values
//!   ([`float_decimals`]): none when every value is whole, 2 for amounts and scores, 4 for
//!   shares and ratios below 1, more for very small values: a sum of amounts shows as
//!   `78,422,057.12`, not `7.8422057e7`.
//!   CSV, JSON and Parquet output keep full precision; this is only the screen view.
//! * Every column is shown (a terminal wraps wide tables rather than hiding columns); longer
//!   results show their first [`HEAD_ROWS`] and last [`TAIL_ROWS`] rows.

use polars::prelude::{AnyValue, Column, DataFrame, DataType};

use crate::report::layout::is_wide;

/// Rows shown from the top of a long result.
pub const HEAD_ROWS: usize = 20;
/// Rows shown from the bottom of a long result.
pub const TAIL_ROWS: usize = 5;
/// Longest text cell shown (in terminal columns); longer ones end in `…`.
const MAX_CELL: usize = 40;

/// Decimals for a float column: 0 when every finite value is whole; 2 when the largest
/// magnitude is at least 1 (money, scores, indices); 4 below 1 (shares, ratios, Gini); and for
/// very small columns enough to show two significant digits of the largest value (at most 10).
///
/// Examples: `[78422057.0, 1.5]` → 2, `[0.7543, 0.12]` → 4, `[3.0, 12.0]` → 0,
/// `[0.00001234]` → 6 (largest 1.234e-5: first significant digit at the 5th decimal, +1).
pub fn float_decimals(values: impl IntoIterator<Item = f64>) -> usize {
    let mut max = 0.0f64;
    let mut whole = true;
    for v in values.into_iter().filter(|v| v.is_finite()) {
        max = max.max(v.abs());
        whole &= v.fract() == 0.0;
    }
    if whole {
        0
    } else if max >= 1.0 {
        2
    } else if max >= 1e-3 {
        4
    } else {
        // first significant digit at decimal ⌈−log10(max)⌉, one more digit after it
        let first = (-max.log10()).ceil() as usize;
        (first + 1).clamp(4, 10)
    }
}

/// Terminal columns of `s` (CJK and full-width characters take two).
fn width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

/// `s` cut to at most `max` terminal columns, ending in `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = if is_wide(c) { 2 } else { 1 };
        if w + cw > max - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// The cells of one column for the given rows, and whether it is right-aligned (numeric).
fn column_cells(c: &Column, rows: &[usize]) -> (Vec<String>, bool) {
    let dtype = c.dtype();
    if dtype.is_float() {
        let f = c.cast(&DataType::Float64).ok();
        let ca = f.as_ref().and_then(|f| f.f64().ok());
        if let Some(ca) = ca {
            let dec = float_decimals(ca.iter().flatten());
            let cells = rows
                .iter()
                .map(|&i| {
                    ca.get(i)
                        .map_or_else(|| "null".to_string(), |v| crate::fmt::thousands(v, dec))
                })
                .collect();
            return (cells, true);
        }
    }
    let cells = rows
        .iter()
        .map(|&i| match c.get(i) {
            Ok(AnyValue::Null) | Err(_) => "null".to_string(),
            Ok(v) => match v.get_str() {
                Some(s) => clip(s, MAX_CELL),
                None => clip(&v.to_string(), MAX_CELL),
            },
        })
        .collect();
    (cells, dtype.is_primitive_numeric())
}

/// The whole table, as printed by `mcr query` (ends with a newline).
pub fn render(df: &DataFrame) -> String {
    let n = df.height();
    let rows: Vec<usize> = if n > HEAD_ROWS + TAIL_ROWS {
        (0..HEAD_ROWS).chain(n - TAIL_ROWS..n).collect()
    } else {
        (0..n).collect()
    };
    let cut = n > rows.len();
    struct Col {
        name: String,
        dtype: String,
        cells: Vec<String>,
        right: bool,
        w: usize,
    }
    let cols: Vec<Col> = df
        .columns()
        .iter()
        .map(|c| {
            let (cells, right) = column_cells(c, &rows);
            let name = clip(c.name().as_str(), MAX_CELL);
            let dtype = c.dtype().to_string();
            let w = cells
                .iter()
                .map(|s| width(s))
                .chain([width(&name), width(&dtype), 3])
                .max()
                .unwrap_or(3);
            Col {
                name,
                dtype,
                cells,
                right,
                w,
            }
        })
        .collect();
    let rule = |l: &str, m: &str, r: &str, fill: &str| {
        let parts: Vec<String> = cols.iter().map(|c| fill.repeat(c.w + 2)).collect();
        format!("{l}{}{r}\n", parts.join(m))
    };
    let line = |cells: Vec<(&str, usize, bool)>| {
        let parts: Vec<String> = cells
            .into_iter()
            .map(|(s, w, right)| {
                let pad = " ".repeat(w.saturating_sub(width(s)));
                if right {
                    format!(" {pad}{s} ")
                } else {
                    format!(" {s}{pad} ")
                }
            })
            .collect();
        format!("│{}│\n", parts.join("┆"))
    };
    let mut out = format!("shape: ({}, {})\n", n, df.width());
    if cols.is_empty() {
        return out;
    }
    out += &rule("┌", "┬", "┐", "─");
    out += &line(cols.iter().map(|c| (c.name.as_str(), c.w, false)).collect());
    out += &line(cols.iter().map(|c| ("---", c.w, false)).collect());
    out += &line(
        cols.iter()
            .map(|c| (c.dtype.as_str(), c.w, false))
            .collect(),
    );
    out += &rule("╞", "╪", "╡", "═");
    for (k, _) in rows.iter().enumerate() {
        if cut && k == HEAD_ROWS {
            out += &line(cols.iter().map(|c| ("…", c.w, c.right)).collect());
        }
        out += &line(
            cols.iter()
                .map(|c| (c.cells[k].as_str(), c.w, c.right))
                .collect(),
        );
    }
    out += &rule("└", "┴", "┘", "─");
    if cut {
        out += &format!(
            "{} of {} rows shown; --format csv (or json, parquet) writes them all\n",
            rows.len(),
            n
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn decimals_follow_the_column() {
        assert_eq!(float_decimals([78_422_057.0, 1.5]), 2); // money
        assert_eq!(float_decimals([0.7543, 0.12, f64::NAN]), 4); // shares
        assert_eq!(float_decimals([3.0, 12.0, -4.0]), 0); // whole numbers
                                                          // 1.234e-5: first significant digit at decimal 5, one more → 6
        assert_eq!(float_decimals([0.000_012_34]), 6);
        assert_eq!(float_decimals([1e-300]), 10);
        assert_eq!(float_decimals(std::iter::empty()), 0);
    }

    #[test]
    fn table_formats_floats_and_aligns_numbers() {
        let df = df!(
            "tier" => ["S", "A"],
            "n" => [3i64, 12],
            "revenue" => [Some(78_422_057.5f64), None],
            "share" => [0.7543f64, 0.1],
            "name" => ["华为技术", "O'Brien"],
        )
        .unwrap();
        let t = render(&df);
        assert!(t.starts_with("shape: (2, 5)\n"), "{t}");
        assert!(t.contains("78,422,057.50"), "{t}");
        assert!(t.contains("0.7543") && t.contains("0.1000"), "{t}");
        assert!(!t.contains("e7") && !t.contains("e-"), "{t}");
        assert!(t.contains("null"), "{t}");
        // numbers right-aligned in their column: "3" ends where "12" ends
        let lines: Vec<&str> = t.lines().collect();
        let row_s = lines.iter().find(|l| l.contains(" S ")).unwrap();
        let row_a = lines.iter().find(|l| l.contains(" A ")).unwrap();
        assert_eq!(
            row_s.find("3 ┆").map(|i| row_s[..i].chars().count()),
            row_a.find("12 ┆").map(|i| row_a[..i].chars().count() + 1),
            "{t}"
        );
        // every row has the same display width (CJK counted double)
        let widths: Vec<usize> = lines[1..].iter().map(|l| width(l)).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{t}");
    }

    #[test]
    fn long_results_show_head_and_tail() {
        let v: Vec<f64> = (0..100).map(|i| i as f64 * 1000.5).collect();
        let df = df!("x" => v).unwrap();
        let t = render(&df);
        assert!(t.contains("25 of 100 rows shown"), "{t}");
        assert!(t.contains("99,049.50"), "{t}"); // the last row
        assert!(!t.contains("20,010.00"), "{t}"); // row 20 is cut
        assert!(t.contains(" … "), "{t}");
    }
}
