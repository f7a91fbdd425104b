//! Currencies: names and symbols → ISO 4217 codes, and the rule that picks the reporting
//! currency when `reporting_currency` is not set.
//!
//! **Names.** Every currency column read (opportunities, revenue, fx_rates) goes through
//! [`to_iso`] after the profile's `[table.values.currency]` map (which therefore wins): ISO
//! codes in any case (`usd` → `USD`), the names CRMs and ERPs write in English (`US Dollar`,
//! `Euro`, `Pound Sterling`, `Chinese Yuan Renminbi`…) and Chinese (人民币, 美元, 欧元, 英镑,
//! 日元, 港币/港元, 新台币…), and symbols. A value the table does not know is kept,
//! upper-cased (`Bitcoin` → `BITCOIN`).
//!
//! Symbols that several currencies share are read the way a Chinese CRM means them, and say
//! so: `¥` / `￥` → CNY (also the yen's sign: a Japanese export should write `JPY`, `円` or
//! `日元`, or map `"¥" = "JPY"` in its profile) and `$` / `＄` → USD (other dollars have their
//! own prefixes: `HK$`, `S$`, `A$`, `C$`, `NT$`, `NZ$`). `元` alone is the renminbi.
//!
//! **Reporting currency** ([`reporting`]): an explicit `reporting_currency` always wins.
//! Otherwise, with the distinct currencies of the amounts (opportunities and revenue):
//!
//! | amounts state | reporting currency | basis |
//! |---|---|---|
//! | one currency, no fx rate for it | that currency | [`Basis::Data`] |
//! | several (or one with an fx rate) | the default, CNY (amounts converted with fx_rates; without rates an error) | [`Basis::Default`] |
//! | none (no currency column, or every value empty) | the default, CNY | [`Basis::Assumed`] |

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// The reporting currency when `reporting_currency` is not set and the data does not name
/// exactly one currency.
pub const DEFAULT_REPORTING_CURRENCY: &str = "CNY";

/// (ISO code, names and symbols). Matching ignores case and repeated white space.
const NAMES: &[(&str, &[&str])] = &[
    (
        "CNY",
        &[
            "RMB",
            "人民币",
            "人民币元",
            "人民幣",
            "元",
            "Chinese Yuan",
            "Chinese Yuan Renminbi",
            "Yuan Renminbi",
            "China Yuan Renminbi",
            "China Yuan",
            "Chinese Renminbi",
            "Renminbi",
            "Yuan",
            "¥",
            "￥",
            "CN¥",
            "RMB¥",
        ],
    ),
    (
        "USD",
        &[
            "US Dollar",
            "US Dollars",
            "U.S. Dollar",
            "U.S. Dollars",
            "United States Dollar",
            "United States Dollars",
            "American Dollar",
            "美元",
            "美金",
            "$",
            "＄",
            "US$",
            "U.S.$",
            "USD$",
        ],
    ),
    ("EUR", &["Euro", "Euros", "欧元", "歐元", "€"]),
    (
        "GBP",
        &[
            "Pound Sterling",
            "British Pound",
            "British Pound Sterling",
            "British Pounds",
            "UK Pound",
            "Sterling",
            "英镑",
            "英鎊",
            "£",
            "￡",
        ],
    ),
    (
        "JPY",
        &["Japanese Yen", "Yen", "日元", "日圆", "日圓", "円", "JP¥"],
    ),
    (
        "HKD",
        &[
            "Hong Kong Dollar",
            "Hong Kong Dollars",
            "港币",
            "港元",
            "港幣",
            "HK$",
        ],
    ),
    (
        "TWD",
        &[
            "New Taiwan Dollar",
            "Taiwan Dollar",
            "新台币",
            "新台幣",
            "台币",
            "台幣",
            "NT$",
            "NTD",
        ],
    ),
    (
        "MOP",
        &[
            "Macanese Pataca",
            "Macau Pataca",
            "Pataca",
            "澳门元",
            "澳門元",
            "澳门币",
            "MOP$",
        ],
    ),
    (
        "SGD",
        &[
            "Singapore Dollar",
            "Singapore Dollars",
            "新加坡元",
            "新币",
            "新加坡币",
            "S$",
            "SG$",
        ],
    ),
    (
        "AUD",
        &[
            "Australian Dollar",
            "Australian Dollars",
            "澳元",
            "澳币",
            "澳大利亚元",
            "A$",
            "AU$",
        ],
    ),
    (
        "CAD",
        &[
            "Canadian Dollar",
            "Canadian Dollars",
            "加元",
            "加币",
            "加拿大元",
            "C$",
            "CA$",
        ],
    ),
    ("NZD", &["New Zealand Dollar", "新西兰元", "纽元", "NZ$"]),
    ("CHF", &["Swiss Franc", "Swiss Francs", "瑞士法郎", "瑞郎"]),
    ("INR", &["Indian Rupee", "Indian Rupees", "印度卢比", "₹"]),
    (
        "KRW",
        &[
            "South Korean Won",
            "Korean Won",
            "Won",
            "韩元",
            "韩币",
            "韓元",
            "₩",
        ],
    ),
    (
        "RUB",
        &["Russian Ruble", "Russian Rouble", "卢布", "俄罗斯卢布", "₽"],
    ),
    ("SEK", &["Swedish Krona", "瑞典克朗"]),
    ("NOK", &["Norwegian Krone", "挪威克朗"]),
    ("DKK", &["Danish Krone", "丹麦克朗"]),
    ("PLN", &["Polish Zloty", "波兰兹罗提"]),
    ("CZK", &["Czech Koruna", "捷克克朗"]),
    ("HUF", &["Hungarian Forint", "匈牙利福林"]),
    ("TRY", &["Turkish Lira", "土耳其里拉", "₺"]),
    (
        "ILS",
        &[
            "Israeli New Shekel",
            "Israeli Shekel",
            "以色列新谢克尔",
            "₪",
        ],
    ),
    (
        "AED",
        &["UAE Dirham", "United Arab Emirates Dirham", "阿联酋迪拉姆"],
    ),
    ("SAR", &["Saudi Riyal", "沙特里亚尔"]),
    ("ZAR", &["South African Rand", "南非兰特"]),
    ("BRL", &["Brazilian Real", "巴西雷亚尔", "R$"]),
    ("MXN", &["Mexican Peso", "墨西哥比索", "MX$"]),
    ("THB", &["Thai Baht", "泰铢", "฿"]),
    (
        "MYR",
        &[
            "Malaysian Ringgit",
            "Ringgit",
            "马来西亚林吉特",
            "林吉特",
            "令吉",
        ],
    ),
    ("IDR", &["Indonesian Rupiah", "印尼盾", "印尼卢比"]),
    ("PHP", &["Philippine Peso", "菲律宾比索", "₱"]),
    ("VND", &["Vietnamese Dong", "越南盾", "₫"]),
];

/// Normalised name → code.
fn table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for (code, names) in NAMES {
            m.insert(normalize(code), *code);
            for n in *names {
                m.insert(normalize(n), *code);
            }
        }
        m
    })
}

/// Lower case, white space trimmed and collapsed to one space.
fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The ISO code of a currency value, or `None` when the value already is what would be
/// stored (so that the common case, a trimmed upper-case code, allocates nothing). Unknown
/// values come back trimmed and upper-cased. See the module documentation for the names.
pub fn to_iso(s: &str) -> Option<Cow<'static, str>> {
    let t = s.trim();
    let b = t.as_bytes();
    // Fast path: three ASCII letters (an ISO code, or RMB / NTD / YEN).
    if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
        let up = t.to_ascii_uppercase();
        let code = match up.as_str() {
            "RMB" => "CNY",
            "NTD" => "TWD",
            "YEN" => "JPY",
            _ if t.len() == s.len() && b.iter().all(u8::is_ascii_uppercase) => return None,
            _ => return Some(Cow::Owned(up)),
        };
        return Some(Cow::Borrowed(code));
    }
    let key = normalize(t);
    if let Some(code) = table().get(&key) {
        return Some(Cow::Borrowed(*code));
    }
    // `USD - US Dollar`, `US Dollar (USD)`: a known code leading or in trailing parentheses.
    let known = |c: &str| {
        let up = c.to_ascii_uppercase();
        NAMES
            .iter()
            .find(|(code, _)| *code == up)
            .map(|(code, _)| *code)
    };
    let lead = t.get(..3).filter(|c| {
        c.bytes().all(|x| x.is_ascii_alphabetic())
            && t[3..].starts_with(|ch: char| ch.is_whitespace() || "-–—:/|".contains(ch))
    });
    let paren = t
        .strip_suffix(')')
        .and_then(|x| x.get(x.len().saturating_sub(4)..))
        .and_then(|x| x.strip_prefix('('));
    if let Some(code) = lead.and_then(known).or_else(|| paren.and_then(known)) {
        return Some(Cow::Borrowed(code));
    }
    let up = t.to_uppercase();
    (up != s).then_some(Cow::Owned(up))
}

/// [`to_iso`] as an owned string.
pub fn iso_code(s: &str) -> String {
    to_iso(s).map_or_else(|| s.to_string(), Cow::into_owned)
}

/// Why the reports use their currency (recorded in `summary.json`, shown by the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// `reporting_currency` is set.
    #[default]
    Configured,
    /// Not set: every amount is stated in this one currency.
    Data,
    /// Not set: amounts in several currencies (or one with an fx rate), converted to the
    /// default with fx_rates.
    Default,
    /// Not set: no amount states its currency; the default is assumed.
    Assumed,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Configured => "configured",
            Basis::Data => "data",
            Basis::Default => "default",
            Basis::Assumed => "assumed",
        }
    }
}

/// The reporting currency and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporting {
    pub code: String,
    pub basis: Basis,
}

/// The reporting currency: `explicit` (the setting) when given; else the one currency of
/// `amounts` when `fx` (the currencies fx_rates has rates for) has no rate for it; else
/// [`DEFAULT_REPORTING_CURRENCY`] — assumed when `amounts` is empty. `amounts` and `fx` hold
/// ISO codes as stored (trimmed, upper case).
pub fn reporting(
    explicit: Option<&str>,
    amounts: &BTreeSet<String>,
    fx: &BTreeSet<String>,
) -> Reporting {
    let (code, basis) = match (explicit, amounts.len()) {
        (Some(c), _) => (c.to_string(), Basis::Configured),
        (None, 0) => (DEFAULT_REPORTING_CURRENCY.to_string(), Basis::Assumed),
        (None, 1) => match amounts.iter().next() {
            Some(c) if !fx.contains(c) => (c.clone(), Basis::Data),
            _ => (DEFAULT_REPORTING_CURRENCY.to_string(), Basis::Default),
        },
        (None, _) => (DEFAULT_REPORTING_CURRENCY.to_string(), Basis::Default),
    };
    Reporting { code, basis }
}

/// The distinct non-empty currencies of a frame's `currency` column, trimmed and upper-cased
/// (as the conversion compares them); empty when there is no such column.
pub fn distinct(lf: &LazyFrame) -> PolarsResult<BTreeSet<String>> {
    let schema = lf.clone().collect_schema()?;
    if schema.get("currency").is_none() {
        return Ok(BTreeSet::new());
    }
    let df = lf
        .clone()
        .select([col("currency")
            .cast(DataType::String)
            .str()
            .strip_chars(lit(Null {}))
            .str()
            .to_uppercase()
            .alias("currency")])
        .filter(
            col("currency")
                .is_not_null()
                .and(col("currency").neq(lit(""))),
        )
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    let ca = df.column("currency")?.str()?.clone();
    Ok(ca.iter().flatten().map(str::to_string).collect())
}

/// A `reporting_currency` setting as an ISO code: names map as in the data (`美元` → USD);
/// `auto` or empty means not set (`None`). An error when it is no three-letter code.
pub fn parse_setting(s: &str) -> Result<Option<String>, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    let code = iso_code(t);
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(Some(code))
    } else {
        Err(format!(
            "`{t}` is not a currency code or a known currency name"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        iso_code(s)
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_and_symbols_map_to_iso_codes() {
        for (v, code) in [
            ("US Dollar", "USD"),
            ("us dollar", "USD"),
            ("  US   Dollar ", "USD"),
            ("Euro", "EUR"),
            ("Chinese Yuan Renminbi", "CNY"),
            ("Pound Sterling", "GBP"),
            ("美元", "USD"),
            ("人民币", "CNY"),
            ("欧元", "EUR"),
            ("英镑", "GBP"),
            ("日元", "JPY"),
            ("港币", "HKD"),
            ("港元", "HKD"),
            ("新加坡元", "SGD"),
            ("澳元", "AUD"),
            ("澳门元", "MOP"),
            ("加元", "CAD"),
            ("瑞士法郎", "CHF"),
            ("印度卢比", "INR"),
            ("韩元", "KRW"),
            ("新台币", "TWD"),
            ("RMB", "CNY"),
            ("rmb", "CNY"),
            ("¥", "CNY"),
            ("￥", "CNY"),
            ("$", "USD"),
            ("US$", "USD"),
            ("HK$", "HKD"),
            ("€", "EUR"),
            ("£", "GBP"),
            ("円", "JPY"),
            ("usd", "USD"),
            (" EUR ", "EUR"),
            ("USD - US Dollar", "USD"),
            ("US Dollar (USD)", "USD"),
            ("Bitcoin", "BITCOIN"),
        ] {
            assert_eq!(iso(v), code, "{v}");
        }
    }

    #[test]
    fn a_stored_code_is_left_alone() {
        assert_eq!(to_iso("USD"), None);
        assert_eq!(to_iso("XAU"), None);
        assert_eq!(to_iso("usd").as_deref(), Some("USD"));
        assert_eq!(to_iso("USD ").as_deref(), Some("USD"));
        assert_eq!(to_iso("BITCOIN"), None);
    }

    #[test]
    fn every_table_code_is_three_upper_case_letters() {
        for (code, _) in NAMES {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
        }
        // No name maps to two codes.
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (code, names) in NAMES {
            for n in *names {
                if let Some(other) = seen.insert(normalize(n), code) {
                    panic!("{n} maps to {other} and {code}");
                }
            }
        }
    }

    #[test]
    fn one_currency_is_the_reporting_currency() {
        let r = reporting(None, &set(&["USD"]), &set(&[]));
        assert_eq!((r.code.as_str(), r.basis), ("USD", Basis::Data));
        // Rates unrelated to it do not matter.
        let r = reporting(None, &set(&["USD"]), &set(&["EUR"]));
        assert_eq!((r.code.as_str(), r.basis), ("USD", Basis::Data));
    }

    #[test]
    fn several_currencies_or_a_rate_for_the_one_use_the_default() {
        let r = reporting(None, &set(&["EUR", "USD"]), &set(&[]));
        assert_eq!((r.code.as_str(), r.basis), ("CNY", Basis::Default));
        let r = reporting(None, &set(&["USD"]), &set(&["USD"]));
        assert_eq!((r.code.as_str(), r.basis), ("CNY", Basis::Default));
    }

    #[test]
    fn no_currency_is_the_default_assumed() {
        let r = reporting(None, &set(&[]), &set(&[]));
        assert_eq!((r.code.as_str(), r.basis), ("CNY", Basis::Assumed));
    }

    #[test]
    fn an_explicit_setting_wins() {
        for amounts in [set(&[]), set(&["USD"]), set(&["USD", "EUR"])] {
            let r = reporting(Some("GBP"), &amounts, &set(&[]));
            assert_eq!((r.code.as_str(), r.basis), ("GBP", Basis::Configured));
        }
    }

    #[test]
    fn settings_map_names_and_reject_nonsense() {
        assert_eq!(parse_setting("usd"), Ok(Some("USD".into())));
        assert_eq!(parse_setting("美元"), Ok(Some("USD".into())));
        assert_eq!(parse_setting("auto"), Ok(None));
        assert_eq!(parse_setting(" "), Ok(None));
        assert!(parse_setting("dollars please").is_err());
    }

    #[test]
    fn distinct_currencies_of_a_frame() {
        let df =
            df!("currency" => [Some(" usd"), Some("USD"), None, Some(""), Some("EUR")]).unwrap();
        assert_eq!(distinct(&df.lazy()).unwrap(), set(&["EUR", "USD"]));
        let none = df!("amount" => [1.0]).unwrap();
        assert!(distinct(&none.lazy()).unwrap().is_empty());
    }
}
