//! CSV cells that are safe to open in Excel (CSV / formula injection).
//!
//! A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
//! Excel, LibreOffice and Google Sheets as a formula: an account named
//! `=HYPERLINK("http://…","click")` would become a live link in finance's spreadsheet.
//! Following OWASP's guidance ("CSV Injection"), every CSV mcr writes prefixes such cells with
//! a single quote (`'`), which spreadsheets show as text and do not evaluate; the CSV writer
//! quotes the cell as usual. Numeric columns are never touched, and a text cell that is a plain
//! number (`-12.5`, `+3`) is left as it is: a spreadsheet reads it as that number, which is
//! harmless and what the user expects. Parquet and JSON keep the raw value.

use std::borrow::Cow;

use polars::prelude::*;

/// Does this text cell need neutralising?
pub fn is_formula_like(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') && !is_plain_number(s)
}

/// `-12`, `+3.5`, `-1e3`: a number a spreadsheet reads as a number, not a formula.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && s.parse::<f64>().is_ok()
}

/// The cell as written to CSV.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if is_formula_like(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A copy of `df` whose text columns are safe to open in a spreadsheet (see the module
/// docs). Columns without a formula-like cell are shared, not copied.
pub fn excel_safe(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = df.clone();
    let names: Vec<PlSmallStr> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| c.name().clone())
        .collect();
    for name in names {
        let ca = df.column(&name)?.str()?;
        if !ca.iter().flatten().any(is_formula_like) {
            continue;
        }
        let safe = ca.apply_values(neutralise);
        out.with_column(safe.into_column())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_prefixed_and_numbers_are_not() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"click\")",
            "@SUM(A1:A2)",
            "+1+1",
            "-2+3",
            "\tx",
            "\rx",
            "=1",
            "-",
            "+",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"), "{bad:?}");
        }
        for ok in [
            "Acme", "", "-12.5", "+3", "-1e3", "1-2", "a=b", "'=x", "客户=1",
        ] {
            assert_eq!(neutralise(ok), ok, "{ok:?}");
        }
    }

    #[test]
    fn only_text_columns_change() {
        let df = df!(
            "name" => [Some("=cmd|' /C calc'!A0"), Some("Acme"), None],
            "amount" => [-1.0, 2.0, 3.0],
            "note" => ["a", "b", "c"],
        )
        .unwrap();
        let safe = excel_safe(&df).unwrap();
        let names: Vec<Option<&str>> = safe.column("name").unwrap().str().unwrap().iter().collect();
        assert_eq!(names, vec![Some("'=cmd|' /C calc'!A0"), Some("Acme"), None]);
        assert!(safe
            .column("amount")
            .unwrap()
            .equals(df.column("amount").unwrap()));
        assert!(safe
            .column("note")
            .unwrap()
            .equals(df.column("note").unwrap()));
    }
}
