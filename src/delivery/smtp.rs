//! Sending through an SMTP server with lettre (rustls for `tls` and `starttls`), with a few
//! attempts for failures that may pass (connection errors, 4xx replies).

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use super::config::{DeliverySettings, TlsMode};
use super::DeliveryError;

/// Attempts per message for transient failures.
pub const ATTEMPTS: u32 = 3;
/// The wait before the second attempt; it doubles before each further one.
pub const BACKOFF: Duration = Duration::from_secs(1);
/// Timeout of each SMTP command.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A configured SMTP transport (a connection per message).
pub struct Smtp {
    transport: SmtpTransport,
    backoff: Duration,
}

/// The result of sending one message: attempts made, and the last error when it failed.
pub struct Sent {
    pub attempts: u32,
    pub error: Option<String>,
}

impl Smtp {
    /// The transport of `[delivery]`: `host` is required, and with `user` the password is read
    /// from the environment variable `password_env` names.
    pub fn new(s: &DeliverySettings) -> Result<Smtp, DeliveryError> {
        let host = s.host.clone().ok_or(DeliveryError::MissingSetting {
            key: "delivery.host",
            hint: "set host = \"smtp.example.com\" under [delivery] in mcr.toml (see docs/delivery.md), or use --outbox DIR to write the messages as .eml files",
        })?;
        let builder = match s.tls {
            TlsMode::Starttls => SmtpTransport::starttls_relay(&host),
            TlsMode::Tls => SmtpTransport::relay(&host),
            TlsMode::None => Ok(SmtpTransport::builder_dangerous(&host)),
        }
        .map_err(|source| DeliveryError::Transport {
            host: host.clone(),
            source,
        })?;
        let mut builder = builder.port(s.port).timeout(Some(TIMEOUT));
        if let (Some(user), Some(var)) = (&s.user, &s.password_env) {
            let password = std::env::var(var)
                .map_err(|_| DeliveryError::PasswordUnset { var: var.clone() })?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Smtp {
            transport: builder.build(),
            backoff: BACKOFF,
        })
    }

    /// Send `m`, retrying transient failures up to [`ATTEMPTS`] times; a permanent rejection
    /// (5xx: unknown mailbox, policy) fails at once, as a retry would only repeat it.
    pub fn send(&self, m: &Message) -> Sent {
        let mut wait = self.backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.transport.send(m) {
                Ok(_) => {
                    return Sent {
                        attempts,
                        error: None,
                    }
                }
                Err(e) if e.is_permanent() || attempts >= ATTEMPTS => {
                    return Sent {
                        attempts,
                        error: Some(error_text(&e)),
                    }
                }
                Err(_) => {
                    std::thread::sleep(wait);
                    wait *= 2;
                }
            }
        }
    }
}

/// The error and its causes on one line.
fn error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text.replace(['\r', '\n'], " ")
}
