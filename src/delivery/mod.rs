//! E-mail delivery of rendered reports (`mcr deliver`, docs/delivery.md).
//!
//! The full report's leadership page goes to every `[delivery] to` address, each burst's page
//! (rows of `bursts.csv`, written by `mcr report --burst`) to its recipient. A message is the
//! page as its HTML part (scripts stripped, relative images inlined: [`inline`]), a short
//! plain-text part, and `leadership.pdf` attached when the folder has one. The delivery log
//! ([`log`]) makes a rerun send only what was not sent yet.
//!
//! [`plan`] reads the report folder and decides, without sending, what each message is;
//! [`execute`] sends (or writes `.eml` files, or only lists) and logs.

pub mod bursts;
pub mod config;
pub mod inline;
pub mod log;
pub mod message;
pub mod smtp;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use lettre::message::Mailbox;
use serde::Serialize;

use crate::contract::Lang;
use crate::diagnostics::{Code, Diagnostic};

pub use config::{DeliveryConfig, DeliverySettings, TlsMode};

/// The page every message carries.
pub const PAGE: &str = "leadership.html";
/// The PDF attached when it exists beside the page.
pub const PDF: &str = "leadership.pdf";

/// Delivery cannot start or go on (a single message failing is an [`Outcome`] instead).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("no report folder with a {PAGE} in {0}")]
    NoReport(PathBuf),
    #[error("{0} does not exist")]
    NoPage(PathBuf),
    #[error("cannot list the report folders in {path}")]
    List {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Bursts(#[from] bursts::BurstsError),
    #[error(transparent)]
    Log(#[from] log::LogError),
    #[error("another `mcr deliver` is sending the report in {0}")]
    Locked(PathBuf),
    #[error("`{key}` is not set in the config")]
    MissingSetting {
        key: &'static str,
        hint: &'static str,
    },
    #[error("the environment variable {var} (named by `delivery.password_env`) is not set")]
    PasswordUnset { var: String },
    #[error("cannot set up the SMTP connection to {host}")]
    Transport {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DeliveryError {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            DeliveryError::NoReport(_) | DeliveryError::NoPage(_) => {
                "render the report first with `mcr report` (or `mcr run`), or pick one with --as-of".into()
            }
            DeliveryError::List { .. } | DeliveryError::Write { .. } => {
                "check the folder exists and is writable".into()
            }
            DeliveryError::Bursts(_) => {
                "bursts.csv is written by `mcr report --burst`; render the report again, or remove the file to send only the full report".into()
            }
            DeliveryError::Log(_) => {
                "the log is <reports>/<as_of>/delivery-log.jsonl; check its folder is writable".into()
            }
            DeliveryError::Locked(_) => {
                "wait for the other run to end; the log then shows what it sent".into()
            }
            DeliveryError::MissingSetting { hint, .. } => (*hint).into(),
            DeliveryError::PasswordUnset { var } => format!(
                "export {var}=… in the environment mcr runs in (the password never goes in mcr.toml)"
            ),
            DeliveryError::Transport { .. } => {
                "check `host` and `tls` under [delivery] (see docs/delivery.md)".into()
            }
        }
    }

    /// A setting is missing: a usage error (exit 2) rather than a failed job.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            DeliveryError::MissingSetting { .. } | DeliveryError::PasswordUnset { .. }
        )
    }
}

/// The newest `<reports>/<YYYY-MM-DD>/` that has a leadership page.
pub fn latest_report(reports: &Path) -> Result<NaiveDate, DeliveryError> {
    let rd = std::fs::read_dir(reports).map_err(|source| DeliveryError::List {
        path: reports.to_path_buf(),
        source,
    })?;
    rd.flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let d = NaiveDate::parse_from_str(name.to_str()?, "%Y-%m-%d").ok()?;
            e.path().join(PAGE).is_file().then_some(d)
        })
        .max()
        .ok_or_else(|| DeliveryError::NoReport(reports.to_path_buf()))
}

/// Where one message goes and what it carries.
#[derive(Debug, Clone)]
pub enum Target {
    /// Ready to send: the recipient, the page, the PDF when there is one.
    Send {
        to: Mailbox,
        page: PathBuf,
        pdf: Option<PathBuf>,
    },
    /// No (valid) address: listed as skipped, never a failure.
    Skip { reason: String },
    /// The row cannot be delivered (bad kind or folder, no page): a failure.
    Invalid { reason: String },
}

/// One planned message.
#[derive(Debug, Clone)]
pub struct Item {
    /// `full`, `owner` or `region`.
    pub kind: String,
    /// `leadership` for the full report, the employee id or region name for a burst.
    pub key: String,
    /// The burst's display name (empty for the full report).
    pub name: String,
    /// The recipient's address (empty when there is none).
    pub recipient: String,
    pub subject: String,
    pub target: Target,
}

impl Item {
    /// The identity of the message across runs (the delivery log's key).
    pub fn id(&self) -> log::Id {
        (
            self.kind.clone(),
            self.key.clone(),
            self.recipient.to_lowercase(),
        )
    }
}

/// Every message of one report folder, and the findings made planning them.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dir: PathBuf,
    pub as_of: NaiveDate,
    pub lang: Lang,
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Plan the messages of the report folder `dir` (`<reports>/<as_of>/`).
pub fn plan(
    dir: &Path,
    as_of: NaiveDate,
    lang: Lang,
    s: &DeliverySettings,
) -> Result<Plan, DeliveryError> {
    let page = dir.join(PAGE);
    if !page.is_file() {
        return Err(DeliveryError::NoPage(page));
    }
    let pdf = Some(dir.join(PDF)).filter(|p| p.is_file());
    let subject = message::subject(lang, as_of, None);
    let mut items: Vec<Item> =
        s.to.iter()
            .map(|to| Item {
                kind: "full".into(),
                key: "leadership".into(),
                name: String::new(),
                recipient: to.email.to_string(),
                subject: subject.clone(),
                target: Target::Send {
                    to: to.clone(),
                    page: page.clone(),
                    pdf: pdf.clone(),
                },
            })
            .collect();
    let mut diagnostics = Vec::new();
    for row in bursts::read(dir)? {
        let item = burst_item(dir, as_of, lang, s, &row);
        match &item.target {
            Target::Skip { reason } => diagnostics.push(Diagnostic::warning(
                Code::Mcr050,
                format!("{} {} ({}): {reason}; skipped", row.kind, row.key, row.name),
            ).with_hint("add the e-mail to the employee in the CRM export, or (for a region) set it under [delivery.regions] in mcr.toml")),
            Target::Invalid { reason } => diagnostics.push(Diagnostic::warning(
                Code::Mcr051,
                format!("{} line {}: {reason}", dir.join(bursts::FILE).display(), row.line),
            ).with_hint("render the bursts again with `mcr report --burst`")),
            Target::Send { .. } => {}
        }
        items.push(item);
    }
    Ok(Plan {
        dir: dir.to_path_buf(),
        as_of,
        lang,
        items,
        diagnostics,
    })
}

/// One `bursts.csv` row as a message: its recipient (for a region, `[delivery.regions]`
/// over the row's e-mail) and its page, whose folder must stay inside `dir`.
fn burst_item(
    dir: &Path,
    as_of: NaiveDate,
    lang: Lang,
    s: &DeliverySettings,
    row: &bursts::BurstRow,
) -> Item {
    let name = message::clean_name(&row.name);
    let mut item = Item {
        kind: row.kind.clone(),
        key: row.key.clone(),
        name: name.clone(),
        recipient: String::new(),
        subject: message::subject(lang, as_of, Some(&name)),
        target: Target::Skip {
            reason: String::new(),
        },
    };
    if !matches!(row.kind.as_str(), "owner" | "region") {
        item.target = Target::Invalid {
            reason: format!(
                "unknown kind `{}` (owner or region)",
                row.kind.escape_debug()
            ),
        };
        return item;
    }
    let configured = (row.kind == "region")
        .then(|| s.regions.get(&row.key))
        .flatten();
    let to = match configured {
        Some(m) => m.clone(),
        None if row.email.is_empty() => {
            item.target = Target::Skip {
                reason: "no e-mail address".into(),
            };
            return item;
        }
        None => match config::parse_mailbox(&row.email) {
            Ok(m) if m.name.is_none() && !name.is_empty() => Mailbox::new(Some(name), m.email),
            Ok(m) => m,
            Err(e) => {
                item.recipient = row.email.clone();
                item.target = Target::Skip {
                    reason: format!("e-mail `{}`: {e}", row.email.escape_debug()),
                };
                return item;
            }
        },
    };
    item.recipient = to.email.to_string();
    item.target = match bursts::resolve_folder(dir, &row.folder) {
        Err(e) => Target::Invalid {
            reason: e.to_string(),
        },
        Ok(folder) => match bursts::file_inside(dir, &folder, PAGE) {
            None => Target::Invalid {
                reason: format!("no {PAGE} in the folder `{}`", row.folder),
            },
            Some(page) => Target::Send {
                to,
                pdf: bursts::file_inside(dir, &folder, PDF),
                page,
            },
        },
    };
    item
}

/// What [`execute`] does with each message.
pub enum Mode<'a> {
    /// Send through SMTP and log (`log` is the open delivery log).
    Send {
        smtp: &'a smtp::Smtp,
        from: &'a Mailbox,
        log: &'a mut log::Writer,
    },
    /// Write one `.eml` file per message into the folder.
    Outbox { dir: &'a Path, from: &'a Mailbox },
    /// Only list.
    DryRun,
}

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    Failed,
    /// No e-mail address.
    Skipped,
    /// The delivery log shows it sent by an earlier run.
    AlreadySent,
    /// `--outbox`: written as a file.
    Written,
    /// `--dry-run`: would be sent.
    WouldSend,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::AlreadySent => "already sent",
            Status::Written => "written",
            Status::WouldSend => "would send",
        }
    }
}

/// One message's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub kind: String,
    pub key: String,
    pub name: String,
    pub recipient: String,
    pub subject: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// SMTP attempts made (0 when nothing was sent).
    pub attempts: u32,
    /// `--outbox`: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Whether `leadership.pdf` is attached.
    pub pdf: bool,
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
    pub already_sent: usize,
    pub written: usize,
    pub would_send: usize,
}

impl Summary {
    pub fn of(outcomes: &[Outcome]) -> Summary {
        let mut s = Summary::default();
        for o in outcomes {
            *match o.status {
                Status::Sent => &mut s.sent,
                Status::Failed => &mut s.failed,
                Status::Skipped => &mut s.skipped,
                Status::AlreadySent => &mut s.already_sent,
                Status::Written => &mut s.written,
                Status::WouldSend => &mut s.would_send,
            } += 1;
        }
        s
    }
}

/// Deliver `plan` in `mode`: messages the log `history` shows as sent are not sent again;
/// `on_outcome` is called after each message (to print progress).
pub fn execute(
    plan: &Plan,
    history: &log::History,
    mut mode: Mode<'_>,
    mut on_outcome: impl FnMut(&Outcome),
) -> Result<Vec<Outcome>, DeliveryError> {
    let mut outcomes = Vec::with_capacity(plan.items.len());
    let mut files = BTreeSet::new();
    for item in &plan.items {
        let mut o = Outcome {
            kind: item.kind.clone(),
            key: item.key.clone(),
            name: item.name.clone(),
            recipient: item.recipient.clone(),
            subject: item.subject.clone(),
            status: Status::Skipped,
            message_id: None,
            reason: None,
            attempts: 0,
            file: None,
            pdf: false,
        };
        let sent_before = history.sent.get(&item.id());
        match (&item.target, sent_before) {
            (Target::Skip { reason }, _) => {
                o.reason = Some(reason.clone());
            }
            (Target::Invalid { reason }, _) => {
                o.status = Status::Failed;
                o.reason = Some(reason.clone());
            }
            (Target::Send { pdf, .. }, Some(id)) => {
                o.status = Status::AlreadySent;
                o.message_id = Some(id.clone()).filter(|i| !i.is_empty());
                o.pdf = pdf.is_some();
            }
            (Target::Send { to, page, pdf }, None) => {
                o.pdf = pdf.is_some();
                match &mut mode {
                    Mode::DryRun => o.status = Status::WouldSend,
                    Mode::Outbox { dir, from } => {
                        match compose(plan, item, from, to, page, pdf.as_deref()) {
                            Err(reason) => fail(&mut o, reason),
                            Ok((msg, id)) => {
                                let path = dir.join(file_name(item, &mut files));
                                write_atomically(&path, &msg.formatted())?;
                                o.status = Status::Written;
                                o.message_id = Some(id);
                                o.file = Some(path);
                            }
                        }
                    }
                    Mode::Send { smtp, from, .. } => {
                        match compose(plan, item, from, to, page, pdf.as_deref()) {
                            Err(reason) => fail(&mut o, reason),
                            Ok((msg, id)) => {
                                let sent = smtp.send(&msg);
                                o.attempts = sent.attempts;
                                o.message_id = Some(id);
                                match sent.error {
                                    None => o.status = Status::Sent,
                                    Some(e) => fail(&mut o, e),
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Mode::Send { log, .. } = &mut mode {
            if o.status != Status::AlreadySent {
                log.append(&entry(&o))?;
            }
        }
        on_outcome(&o);
        outcomes.push(o);
    }
    Ok(outcomes)
}

fn fail(o: &mut Outcome, reason: String) {
    o.status = Status::Failed;
    o.reason = Some(reason);
}

/// The log line of an outcome.
fn entry(o: &Outcome) -> log::Entry {
    log::Entry {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        recipient: o.recipient.clone(),
        kind: o.kind.clone(),
        key: o.key.clone(),
        status: match o.status {
            Status::Sent | Status::AlreadySent => log::Status::Sent,
            Status::Failed => log::Status::Failed,
            Status::Skipped | Status::Written | Status::WouldSend => log::Status::Skipped,
        },
        message_id: o.message_id.clone(),
        error: o.reason.clone(),
    }
}

/// The message of `item`: the page made inline-safe, the plain-text part, the PDF. Errors
/// (an unreadable page or PDF) are the message's failure reason.
fn compose(
    plan: &Plan,
    item: &Item,
    from: &Mailbox,
    to: &Mailbox,
    page: &Path,
    pdf: Option<&Path>,
) -> Result<(lettre::Message, String), String> {
    let html = std::fs::read_to_string(page)
        .map_err(|e| format!("cannot read {}: {e}", page.display()))?;
    let page_dir = page.parent().unwrap_or(&plan.dir);
    let inlined = inline::for_email(&html, page_dir, &plan.dir);
    let pdf = match pdf {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    let burst = (item.kind != "full").then_some(item.name.as_str());
    let id = message_id(plan.as_of, item, from);
    let msg = message::build(message::Parts {
        from,
        to,
        subject: &item.subject,
        text: message::plain_text(plan.lang, plan.as_of, burst, pdf.is_some()),
        html: inlined.html,
        pdf,
        message_id: &id,
    })
    .map_err(|e| e.to_string())?;
    Ok((msg, id))
}

/// `<hash.as_of@domain-of-from>`: unique per message and run.
fn message_id(as_of: NaiveDate, item: &Item, from: &Mailbox) -> String {
    use sha2::Digest as _;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut h = sha2::Sha256::new();
    for part in [&item.kind, &item.key, &item.recipient] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let hex: String = h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("<{hex}.{as_of}@{}>", from.email.domain())
}

/// A file-name-safe slug: letters and digits (any script) and `_` kept, every other run of
/// characters one `-`, at most 60 characters, never empty, never `.` or `..`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t: String = out.trim_matches('-').chars().take(60).collect();
    let t = t.trim_end_matches('-').to_string();
    if t.is_empty() {
        "x".into()
    } else {
        t
    }
}

/// `<kind>-<key>.eml` (the full report: `full-<recipient>.eml`), slugged, with `-2`, `-3`…
/// when two messages would share a name.
fn file_name(item: &Item, used: &mut BTreeSet<String>) -> String {
    let base = if item.kind == "full" {
        slug(&format!("full-{}", item.recipient))
    } else {
        slug(&format!("{}-{}", item.kind, item.key))
    };
    let mut name = format!("{base}.eml");
    let mut n = 2;
    while !used.insert(name.to_lowercase()) {
        name = format!("{base}-{n}.eml");
        n += 1;
    }
    name
}

/// Write `bytes` to a temporary file beside `path`, then rename it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DeliveryError> {
    let err = |source: std::io::Error| DeliveryError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_file_names() {
        assert_eq!(slug("owner-E001"), "owner-E001");
        assert_eq!(slug("region-华东"), "region-华东");
        assert_eq!(slug("owner-../../etc/passwd"), "owner-etc-passwd");
        assert_eq!(slug("full-a@example.com"), "full-a-example-com");
        assert_eq!(slug("..."), "x");
        assert_eq!(slug("owner-a/b\\c\0d"), "owner-a-b-c-d");
        assert!(slug(&"x".repeat(500)).chars().count() <= 60);
        let mut used = BTreeSet::new();
        let item = |key: &str| Item {
            kind: "owner".into(),
            key: key.into(),
            name: String::new(),
            recipient: String::new(),
            subject: String::new(),
            target: Target::Skip {
                reason: String::new(),
            },
        };
        assert_eq!(file_name(&item("E/1"), &mut used), "owner-E-1.eml");
        assert_eq!(file_name(&item("E:1"), &mut used), "owner-E-1-2.eml");
    }

    fn settings(text: &str) -> DeliverySettings {
        config::resolve(&toml::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn plan_reads_bursts_and_rejects_folders_outside() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("2026-06-30");
        for f in ["by-owner/E1", "by-region/华东", "by-owner/E3"] {
            std::fs::create_dir_all(dir.join(f)).unwrap();
            std::fs::write(dir.join(f).join(PAGE), "<p>x</p>").unwrap();
        }
        std::fs::write(dir.join(PAGE), "<p>x</p>").unwrap();
        std::fs::write(dir.join("by-owner/E1").join(PDF), "%PDF").unwrap();
        std::fs::write(
            dir.join(bursts::FILE),
            "kind,key,name,email,accounts,revenue_12m,folder\n\
             owner,E1,Li Lei,li@example.com,3,10,by-owner/E1\n\
             owner,E2,No Mail,,1,1,by-owner/E2\n\
             region,华东,华东,,5,50,by-region/华东\n\
             owner,E3,Bad,e3@example.com,1,1,../2026-06-30/by-owner/E3\n\
             owner,E4,Abs,e4@example.com,1,1,/etc\n\
             team,T1,Team,t@example.com,1,1,by-owner/E1\n",
        )
        .unwrap();
        let s = settings("to = [\"boss@example.com\"]\n[regions]\n\"华东\" = \"east@example.com\"");
        let p = plan(
            &dir,
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            Lang::En,
            &s,
        )
        .unwrap();
        let got: Vec<(String, String, &str)> = p
            .items
            .iter()
            .map(|i| {
                let t = match &i.target {
                    Target::Send { pdf: Some(_), .. } => "send+pdf",
                    Target::Send { .. } => "send",
                    Target::Skip { .. } => "skip",
                    Target::Invalid { .. } => "invalid",
                };
                (i.key.clone(), i.recipient.clone(), t)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("leadership".into(), "boss@example.com".into(), "send"),
                ("E1".into(), "li@example.com".into(), "send+pdf"),
                ("E2".into(), "".into(), "skip"),
                ("华东".into(), "east@example.com".into(), "send"),
                ("E3".into(), "e3@example.com".into(), "invalid"),
                ("E4".into(), "e4@example.com".into(), "invalid"),
                ("T1".into(), "".into(), "invalid"),
            ]
        );
        assert_eq!(
            p.items[1].subject,
            "mcr leadership report — 2026-06-30 — Li Lei"
        );
        let codes: Vec<&str> = p.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["MCR050", "MCR051", "MCR051", "MCR051"]);
        let outcomes = execute(&p, &log::History::default(), Mode::DryRun, |_| {}).unwrap();
        let s = Summary::of(&outcomes);
        assert_eq!((s.would_send, s.skipped, s.failed), (3, 1, 3));
    }

    #[test]
    fn latest_report_is_the_newest_folder_with_a_page() {
        let t = tempfile::tempdir().unwrap();
        for (d, page) in [
            ("2026-03-31", true),
            ("2026-06-30", true),
            ("2026-09-30", false),
            ("notes", true),
        ] {
            std::fs::create_dir_all(t.path().join(d)).unwrap();
            if page {
                std::fs::write(t.path().join(d).join(PAGE), "x").unwrap();
            }
        }
        assert_eq!(
            latest_report(t.path()).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            latest_report(empty.path()),
            Err(DeliveryError::NoReport(_))
        ));
    }
}
