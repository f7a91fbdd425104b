//! The `[delivery]` config section as written, and its resolved, validated form.

use std::collections::BTreeMap;

use lettre::message::Mailbox;
use serde::{Deserialize, Serialize, Serializer};

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which is required (default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS", default port 465).
    Tls,
    /// No encryption (default port 25): only for a relay on the same host or network.
    None,
}

impl TlsMode {
    /// The port used when `port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        }
    }
}

/// The `[delivery]` section of `mcr.toml` (see `mcr config --defaults`). Every field is
/// optional; `mcr deliver` says which one it needs when it is missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// SMTP server host name. No default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// SMTP port. Default 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Sender, `reports@example.com` or `"mcr <reports@example.com>"`. No default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `starttls` (default), `tls` or `none`.
    pub tls: TlsMode,
    /// SMTP user name; unset: no authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// NAME of the environment variable holding the SMTP password (never the password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// Recipients of the full report's leadership page. Default none.
    pub to: Vec<String>,
    /// Region name → recipient of that region's burst (over the e-mail of bursts.csv).
    pub regions: BTreeMap<String, String>,
}

/// `[delivery]` resolved: addresses parsed, the port chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliverySettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub port: u16,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_mailbox"
    )]
    pub from: Option<Mailbox>,
    pub tls: TlsMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(serialize_with = "serialize_mailboxes")]
    pub to: Vec<Mailbox>,
    #[serde(serialize_with = "serialize_mailbox_map")]
    pub regions: BTreeMap<String, Mailbox>,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        // The default section always resolves.
        resolve(&DeliveryConfig::default()).unwrap_or(DeliverySettings {
            host: None,
            port: TlsMode::default().default_port(),
            from: None,
            tls: TlsMode::default(),
            user: None,
            password_env: None,
            to: Vec::new(),
            regions: BTreeMap::new(),
        })
    }
}

fn serialize_opt_mailbox<S: Serializer>(m: &Option<Mailbox>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&m.to_string()),
        None => s.serialize_none(),
    }
}

fn serialize_mailboxes<S: Serializer>(m: &[Mailbox], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.iter().map(ToString::to_string))
}

fn serialize_mailbox_map<S: Serializer>(
    m: &BTreeMap<String, Mailbox>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter().map(|(k, v)| (k, v.to_string())))
}

/// A `[delivery]` setting that cannot be used: the key path (`delivery.to`), the value as
/// written, why, and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid `{key} = {value:?}` in the config: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub reason: String,
    pub hint: String,
}

const ADDRESS_HINT: &str =
    "write an address like \"reports@example.com\" or \"mcr reports <reports@example.com>\"";

/// Parse one address setting: a bare address or `Name <address>`.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the address is empty".into());
    }
    if t.chars().any(char::is_control) {
        return Err("the address has a control character".into());
    }
    t.parse::<Mailbox>()
        .map_err(|e| format!("not an e-mail address ({e})"))
}

/// A valid environment variable name: ASCII letters, digits and `_`, not starting with a digit.
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Check and resolve `[delivery]`: every address parses, the host and names are usable, the
/// password is named by an environment variable. The first problem is the error.
pub fn resolve(c: &DeliveryConfig) -> Result<DeliverySettings, ConfigError> {
    let err = |key: &str, value: &str, reason: String, hint: &str| ConfigError {
        key: key.to_string(),
        value: value.to_string(),
        reason,
        hint: hint.to_string(),
    };
    let host = match &c.host {
        Some(h) => {
            let t = h.trim();
            if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(err(
                    "delivery.host",
                    h,
                    "not a host name".into(),
                    "write the SMTP server's name, like host = \"smtp.example.com\"",
                ));
            }
            Some(t.to_string())
        }
        None => None,
    };
    let port = match c.port {
        Some(0) => {
            return Err(err(
                "delivery.port",
                "0",
                "the accepted range is 1 to 65535".into(),
                "remove `port` to use the default of the `tls` mode (587, 465 or 25)",
            ))
        }
        Some(p) => p,
        None => c.tls.default_port(),
    };
    let from = match &c.from {
        Some(f) => Some(parse_mailbox(f).map_err(|e| err("delivery.from", f, e, ADDRESS_HINT))?),
        None => None,
    };
    let to =
        c.to.iter()
            .map(|a| parse_mailbox(a).map_err(|e| err("delivery.to", a, e, ADDRESS_HINT)))
            .collect::<Result<Vec<_>, _>>()?;
    let mut regions = BTreeMap::new();
    for (region, a) in &c.regions {
        if region.trim().is_empty() {
            return Err(err(
                "delivery.regions",
                region,
                "the region name is empty".into(),
                "key each address by the region's name as in bursts.csv, like \"华东\" = \"east@example.com\"",
            ));
        }
        let key = format!("delivery.regions.\"{region}\"");
        let m = parse_mailbox(a).map_err(|e| err(&key, a, e, ADDRESS_HINT))?;
        regions.insert(region.trim().to_string(), m);
    }
    let user = match &c.user {
        Some(u) if u.trim().is_empty() || u.chars().any(char::is_control) => {
            return Err(err(
                "delivery.user",
                u,
                "the user name is empty or has a control character".into(),
                "write the SMTP login, or remove `user` for a server without authentication",
            ))
        }
        Some(u) => Some(u.clone()),
        None => None,
    };
    let password_env = match &c.password_env {
        Some(p) if !is_env_name(p) => {
            // Not echoed: it may be a password written in the wrong place.
            return Err(err(
                "delivery.password_env",
                "…",
                "not the name of an environment variable".into(),
                "password_env names the variable that holds the password, like password_env = \"MCR_SMTP_PASSWORD\"; never write the password itself in the file",
            ));
        }
        Some(p) => Some(p.clone()),
        None => None,
    };
    match (&user, &password_env) {
        (Some(u), None) => {
            return Err(err(
                "delivery.user",
                u,
                "a user is set but no `password_env`".into(),
                "add password_env = \"MCR_SMTP_PASSWORD\" (the NAME of an environment variable holding the password), or remove `user`",
            ))
        }
        (None, Some(p)) => {
            return Err(err(
                "delivery.password_env",
                p,
                "`password_env` is set but no `user`".into(),
                "add user = \"…\" (the SMTP login), or remove `password_env`",
            ))
        }
        _ => {}
    }
    Ok(DeliverySettings {
        host,
        port,
        from,
        tls: c.tls,
        user,
        password_env,
        to,
        regions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DeliveryConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_resolve_with_the_starttls_port() {
        let s = resolve(&DeliveryConfig::default()).unwrap();
        assert_eq!(s.port, 587);
        assert_eq!(s.tls, TlsMode::Starttls);
        assert!(s.to.is_empty() && s.host.is_none());
        assert_eq!(s, DeliverySettings::default());
    }

    #[test]
    fn port_follows_the_tls_mode_unless_set() {
        let port = |t: &str| resolve(&parse(t).unwrap()).unwrap().port;
        assert_eq!(port("tls = \"tls\""), 465);
        assert_eq!(port("tls = \"none\""), 25);
        assert_eq!(port("tls = \"starttls\""), 587);
        assert_eq!(port("tls = \"none\"\nport = 2525"), 2525);
        let e = resolve(&parse("port = 0").unwrap()).unwrap_err();
        assert_eq!(e.key, "delivery.port");
        assert!(parse("port = 70000").is_err());
        assert!(parse("tls = \"ssl\"").is_err());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let e = parse("password = \"hunter2\"").unwrap_err();
        assert!(e.message().contains("password"), "{}", e.message());
    }

    #[test]
    fn addresses_are_validated_naming_the_setting() {
        let ok = parse(
            "from = \"mcr <reports@example.com>\"\nto = [\"a@example.com\", \"B <b@example.com>\"]\n[regions]\n\"华东\" = \"east@example.com\"",
        )
        .unwrap();
        let s = resolve(&ok).unwrap();
        assert_eq!(s.to.len(), 2);
        assert_eq!(s.from.unwrap().email.to_string(), "reports@example.com");
        assert_eq!(s.regions["华东"].email.to_string(), "east@example.com");

        for (text, key) in [
            (
                "to = [\"a@example.com\", \"not an address\"]",
                "delivery.to",
            ),
            ("from = \"@example.com\"", "delivery.from"),
            ("to = [\"\"]", "delivery.to"),
            (
                "[regions]\n\"华北\" = \"north\"",
                "delivery.regions.\"华北\"",
            ),
            (
                "to = [\"a@example.com\\r\\nBcc: x@evil.test\"]",
                "delivery.to",
            ),
        ] {
            let e = resolve(&parse(text).unwrap()).unwrap_err();
            assert_eq!(e.key, key, "{text}");
            assert!(e.to_string().contains(&e.key), "{e}");
            assert!(!e.hint.is_empty());
        }
    }

    #[test]
    fn user_and_password_env_go_together() {
        let s = resolve(&parse("user = \"u\"\npassword_env = \"MCR_SMTP_PASSWORD\"").unwrap());
        assert!(s.is_ok());
        let e = resolve(&parse("user = \"u\"").unwrap()).unwrap_err();
        assert_eq!(e.key, "delivery.user");
        let e = resolve(&parse("password_env = \"P\"").unwrap()).unwrap_err();
        assert_eq!(e.key, "delivery.password_env");
        // A password written where the variable's name belongs.
        let e = resolve(&parse("user = \"u\"\npassword_env = \"s3cr3t!pw\"").unwrap()).unwrap_err();
        assert_eq!(e.key, "delivery.password_env");
        assert!(e.hint.contains("never"));
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        let e = resolve(&parse("host = \"smtp example.com\"").unwrap()).unwrap_err();
        assert_eq!(e.key, "delivery.host");
    }
}
