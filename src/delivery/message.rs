//! One message: subject and plain-text part in the report language, the page as the HTML
//! part, the PDF (when there is one) attached.

use chrono::NaiveDate;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::Message;

use crate::contract::Lang;

/// (key, English, Chinese). `{as_of}` and `{name}` are filled in.
const TEXTS: &[(&str, &str, &str)] = &[
    (
        "subject",
        "mcr leadership report — {as_of}",
        "mcr 管理层报告 — {as_of}",
    ),
    ("title", "Leadership report", "管理层报告"),
    ("for", "For {name}", "{name}"),
    ("as_of", "As of {as_of}", "截至 {as_of}"),
    (
        "open_pdf",
        "Open the attached PDF (leadership.pdf), or view this message as HTML.",
        "请打开附件 PDF（leadership.pdf），或以 HTML 格式查看本邮件。",
    ),
    (
        "open_html",
        "View this message as HTML to read the report.",
        "请以 HTML 格式查看本邮件以阅读报告。",
    ),
    ("footer", "Sent by mcr deliver.", "由 mcr deliver 发送。"),
];

/// The text of `key` in `lang` (the key itself when it is not in the table).
pub fn text(lang: Lang, key: &str) -> &str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
        .unwrap_or(key)
}

/// A name from the data made safe for a header line: control characters (line breaks) become
/// spaces, runs of spaces one, at most 80 characters.
pub fn clean_name(name: &str) -> String {
    let spaced: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    words.join(" ").chars().take(80).collect()
}

/// The subject: the report's, with ` — <name>` for a burst.
pub fn subject(lang: Lang, as_of: NaiveDate, burst_name: Option<&str>) -> String {
    let base = text(lang, "subject").replace("{as_of}", &as_of.to_string());
    match burst_name.map(clean_name).filter(|n| !n.is_empty()) {
        Some(n) => format!("{base} — {n}"),
        None => base,
    }
}

/// The plain-text alternative: title, the burst's name, as_of, where to read the report.
pub fn plain_text(lang: Lang, as_of: NaiveDate, burst_name: Option<&str>, pdf: bool) -> String {
    let mut lines = vec![format!("mcr — {}", text(lang, "title"))];
    if let Some(n) = burst_name.map(clean_name).filter(|n| !n.is_empty()) {
        lines.push(text(lang, "for").replace("{name}", &n));
    }
    lines.push(text(lang, "as_of").replace("{as_of}", &as_of.to_string()));
    lines.push(String::new());
    lines.push(text(lang, if pdf { "open_pdf" } else { "open_html" }).to_string());
    lines.push(String::new());
    lines.push(text(lang, "footer").to_string());
    lines.join("\n") + "\n"
}

/// What a message is made of.
pub struct Parts<'a> {
    pub from: &'a Mailbox,
    pub to: &'a Mailbox,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    pub pdf: Option<Vec<u8>>,
    pub message_id: &'a str,
}

/// A message that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the message cannot be built: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("bad content type: {0}")]
    ContentType(#[from] lettre::message::header::ContentTypeErr),
}

/// The message: multipart/mixed of (multipart/alternative of text and HTML) and the PDF.
pub fn build(p: Parts<'_>) -> Result<Message, BuildError> {
    let body = MultiPart::alternative_plain_html(p.text, p.html);
    let builder = Message::builder()
        .from(p.from.clone())
        .to(p.to.clone())
        .subject(p.subject)
        .message_id(Some(p.message_id.to_string()))
        .user_agent(format!("mcr {}", env!("CARGO_PKG_VERSION")));
    Ok(match p.pdf {
        Some(bytes) => {
            let pdf = ContentType::parse("application/pdf")?;
            let mixed = MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new("leadership.pdf".to_string()).body(bytes, pdf));
            builder.multipart(mixed)?
        }
        None => builder.multipart(body)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
    }

    #[test]
    fn subjects_follow_the_language() {
        assert_eq!(
            subject(Lang::En, day(), None),
            "mcr leadership report — 2026-06-30"
        );
        assert_eq!(
            subject(Lang::Zh, day(), None),
            "mcr 管理层报告 — 2026-06-30"
        );
        assert_eq!(
            subject(Lang::Zh, day(), Some("华东\r\nBcc: x@evil.test")),
            "mcr 管理层报告 — 2026-06-30 — 华东 Bcc: x@evil.test"
        );
        let t = plain_text(Lang::En, day(), Some("Li Lei"), true);
        assert!(t.contains("For Li Lei") && t.contains("As of 2026-06-30") && t.contains("PDF"));
        for (k, en, zh) in TEXTS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
            assert_eq!(en.contains("{as_of}"), zh.contains("{as_of}"), "{k}");
            assert_eq!(en.contains("{name}"), zh.contains("{name}"), "{k}");
        }
    }

    #[test]
    fn message_has_both_parts_and_the_pdf() {
        let from: Mailbox = "mcr <reports@example.com>".parse().unwrap();
        let to: Mailbox = "a@example.com".parse().unwrap();
        let m = build(Parts {
            from: &from,
            to: &to,
            subject: &subject(Lang::Zh, day(), None),
            text: plain_text(Lang::Zh, day(), None, true),
            html: "<p>报告</p>".into(),
            pdf: Some(b"%PDF-1.4 test".to_vec()),
            message_id: "<x@example.com>",
        })
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("application/pdf"));
        assert!(raw.contains("filename=\"leadership.pdf\""));
        assert!(raw.contains("Message-ID: <x@example.com>"));
    }
}
