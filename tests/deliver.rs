//! `mcr deliver` against a tiny SMTP server on the loopback interface (plain SMTP,
//! `tls = "none"`): what arrives, what is skipped, the delivery log across reruns, a
//! recipient the server rejects; `--outbox` and `--dry-run`; settings errors.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::common::{run_in, stderr, stdout};

/// One message the server accepted.
#[derive(Debug, Clone)]
struct Received {
    rcpt: Vec<String>,
    data: String,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// RCPT TO attempts per address.
    rcpt_attempts: BTreeMap<String, usize>,
    /// Addresses answered with 550.
    reject: BTreeSet<String>,
    /// Addresses answered with 451 this many more times.
    transient: BTreeMap<String, usize>,
}

/// A loopback SMTP server speaking just enough of the protocol for lettre.
struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let st = st.clone();
                std::thread::spawn(move || session(conn, &st));
            }
        });
        Server { port, state }
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

fn session(conn: TcpStream, st: &Mutex<State>) {
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    let mut say = |s: &str| {
        let _ = w.write_all(s.as_bytes());
        let _ = w.flush();
    };
    say("220 localhost test SMTP\r\n");
    let mut rcpt: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            say("250-localhost\r\n250 8BITMIME\r\n");
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            say("250 OK\r\n");
        } else if upper.starts_with("MAIL FROM:") || upper.starts_with("RSET") {
            rcpt.clear();
            say("250 OK\r\n");
        } else if upper.starts_with("RCPT TO:") {
            let addr = cmd[8..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            let reply = {
                let mut s = st.lock().unwrap();
                *s.rcpt_attempts.entry(addr.clone()).or_default() += 1;
                if s.reject.contains(&addr) {
                    "550 5.1.1 no such user\r\n"
                } else if let Some(n) = s.transient.get_mut(&addr).filter(|n| **n > 0) {
                    *n -= 1;
                    "451 4.3.0 try again later\r\n"
                } else {
                    rcpt.push(addr);
                    "250 OK\r\n"
                }
            };
            say(reply);
        } else if upper == "DATA" {
            say("354 end with .\r\n");
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            st.lock().unwrap().received.push(Received {
                rcpt: std::mem::take(&mut rcpt),
                data,
            });
            say("250 OK queued\r\n");
        } else if upper.starts_with("QUIT") {
            say("221 bye\r\n");
            return;
        } else {
            say("502 not implemented\r\n");
        }
    }
}

// --- a minimal MIME reader for the assertions -------------------------------------------

/// Headers (unfolded, names lower-cased) and the body of a message or part.
fn split(raw: &str) -> (BTreeMap<String, String>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut last = String::new();
    for l in head.lines() {
        if l.starts_with([' ', '\t']) {
            if let Some(v) = headers.get_mut(&last) {
                v.push(' ');
                v.push_str(l.trim());
            }
        } else if let Some((k, v)) = l.split_once(':') {
            last = k.trim().to_lowercase();
            headers.insert(last.clone(), v.trim().to_string());
        }
    }
    (headers, body.to_string())
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut prev_encoded = false;
    for tok in v.split(' ') {
        let enc = tok
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut p = t.splitn(3, '?');
                let (_cs, e, data) = (p.next()?, p.next()?, p.next()?);
                match e.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD.decode(data).ok(),
                    "q" => Some(qp(&data.replace('_', " "))),
                    _ => None,
                }
            });
        match enc {
            Some(bytes) => {
                if !prev_encoded && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&String::from_utf8_lossy(&bytes));
                prev_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(tok);
                prev_encoded = false;
            }
        }
    }
    out
}

fn qp(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 1 < b.len() {
            if b[i + 1] == b'\n' {
                i += 2;
                continue;
            }
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// A decoded leaf part: its content type (lower-cased) and bytes, plus its headers.
#[derive(Debug)]
struct Part {
    content_type: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Every leaf part of a MIME entity, depth first.
fn leaves(raw: &str) -> Vec<Part> {
    let (h, body) = split(raw);
    let ct = h.get("content-type").cloned().unwrap_or_default();
    let lower = ct.to_lowercase();
    if lower.starts_with("multipart/") {
        let boundary = ct
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .expect("a boundary")
            .trim_matches('"')
            .to_string();
        let delim = format!("--{boundary}");
        let body = body.replace("\r\n", "\n");
        let mut out = Vec::new();
        for chunk in body.split(&delim).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            out.extend(leaves(chunk.trim_start_matches('\n')));
        }
        return out;
    }
    let cte = h
        .get("content-transfer-encoding")
        .map(|c| c.to_lowercase())
        .unwrap_or_default();
    let bytes = match cte.as_str() {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .expect("base64 part"),
        "quoted-printable" => qp(&body.replace("\r\n", "\n")),
        _ => body.into_bytes(),
    };
    vec![Part {
        content_type: lower
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        headers: h,
        body: bytes,
    }]
}

impl Part {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Subject (decoded), the To address and the leaf parts of a raw message.
fn parse(raw: &str) -> (String, String, Vec<Part>) {
    let (h, _) = split(raw);
    assert_eq!(
        h.get("mime-version").map(String::as_str),
        Some("1.0"),
        "{raw}"
    );
    assert!(h.contains_key("message-id") && h.contains_key("date") && h.contains_key("from"));
    let subject = decode_words(h.get("subject").expect("a subject"));
    let to = h.get("to").cloned().unwrap_or_default();
    (subject, to, leaves(raw))
}

// --- the report folder ----------------------------------------------------------------------

const AS_OF: &str = "2026-06-30";

/// A report folder written by hand (not by `mcr report --burst`): the full leadership page
/// with a script and a relative chart image, its PDF, an older report, and bursts.csv with an
/// owner (PDF too), an owner without e-mail and a region whose address is in the config;
/// `evil` adds a row whose folder leaves the report folder.
fn report_folder(root: &Path, evil: bool) {
    let reports = root.join("reports");
    let dir = reports.join(AS_OF);
    let page = |d: &Path, title: &str| {
        std::fs::create_dir_all(d.join("charts")).unwrap();
        std::fs::write(
            d.join("leadership.html"),
            format!(
                "<!DOCTYPE html><html><head><title>{title}</title><script>alert('x')</script></head><body><h1>{title}</h1><SCRIPT src=\"x.js\"></SCRIPT><img src=\"charts/pareto.svg\" alt=\"chart\"><a href=\"index.html\">index</a></body></html>"
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("charts/pareto.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>",
        )
        .unwrap();
    };
    page(&dir, "Leadership");
    std::fs::write(dir.join("leadership.pdf"), b"%PDF-1.4\n% full report\n").unwrap();
    page(&dir.join("by-owner/E001"), "Li Lei");
    std::fs::write(
        dir.join("by-owner/E001/leadership.pdf"),
        b"%PDF-1.4\n% owner E001\n",
    )
    .unwrap();
    page(&dir.join("by-owner/E002"), "No Mail");
    page(&dir.join("by-region/华东"), "华东");
    page(&reports.join("2026-03-31"), "Older");
    std::fs::create_dir_all(reports.join("2026-09-30")).unwrap(); // no page: not a report
    let mut csv = String::from("kind,key,name,email,accounts,revenue_12m,folder\n");
    csv.push_str("owner,E001,Li Lei,li@example.com,12,1234567.5,by-owner/E001\n");
    csv.push_str("owner,E002,No Mail,,3,1000,by-owner/E002\n");
    csv.push_str("region,华东,华东,,40,9876543,by-region/华东\n");
    if evil {
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::write(root.join("outside/leadership.html"), "<p>secret</p>").unwrap();
        csv.push_str("owner,E666,Evil,evil@example.com,1,1,../../outside\n");
    }
    std::fs::write(dir.join("bursts.csv"), csv).unwrap();
}

fn config(root: &Path, port: Option<u16>, extra: &str) {
    let host = match port {
        Some(p) => format!("host = \"127.0.0.1\"\nport = {p}\n"),
        None => String::new(),
    };
    std::fs::write(
        root.join("mcr.toml"),
        format!(
            "reports = \"reports\"\n[delivery]\n{host}tls = \"none\"\nfrom = \"mcr <reports@example.com>\"\nto = [\"boss@example.com\", \"CFO <cfo@example.com>\"]\n{extra}\n[delivery.regions]\n\"华东\" = \"east@example.com\"\n"
        ),
    )
    .unwrap();
}

fn log_lines(root: &Path) -> Vec<serde_json::Value> {
    let p = root.join("reports").join(AS_OF).join("delivery-log.jsonl");
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .collect()
}

/// The message sent to `addr`.
fn to<'a>(msgs: &'a [Received], addr: &str) -> &'a Received {
    msgs.iter()
        .find(|m| m.rcpt == [addr])
        .unwrap_or_else(|| panic!("no message to {addr}: {msgs:?}"))
}

fn check_message(raw: &str, subject: &str, pdf: bool) {
    let (s, _, parts) = parse(raw);
    assert_eq!(s, subject);
    let types: Vec<&str> = parts.iter().map(|p| p.content_type.as_str()).collect();
    let mut want = vec!["text/plain", "text/html"];
    if pdf {
        want.push("application/pdf");
    }
    assert_eq!(types, want, "{raw}");
    let html = parts[1].text();
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
    assert!(!html.contains("href=\"index.html\""), "{html}");
    assert!(parts[0].text().contains(AS_OF));
    if pdf {
        assert!(parts[2].body.starts_with(b"%PDF-1.4"));
        assert!(parts[2].headers["content-disposition"].contains("leadership.pdf"));
    }
}

#[test]
fn sends_reports_and_bursts_skips_without_email_and_a_rerun_sends_nothing_new() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    report_folder(root, false);
    let server = Server::start();
    config(root, Some(server.port), "");

    let o = run_in(root, &["deliver", "--lang", "en"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{out}\n{err}");
    let msgs = server.received();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    let subject = "mcr leadership report — 2026-06-30";
    check_message(&to(&msgs, "boss@example.com").data, subject, true);
    check_message(&to(&msgs, "cfo@example.com").data, subject, true);
    check_message(
        &to(&msgs, "li@example.com").data,
        &format!("{subject} — Li Lei"),
        true,
    );
    // The region's address comes from [delivery.regions]; its folder has no PDF.
    check_message(
        &to(&msgs, "east@example.com").data,
        &format!("{subject} — 华东"),
        false,
    );
    let (_, to_li, _) = parse(&to(&msgs, "li@example.com").data);
    assert!(to_li.contains("li@example.com"), "{to_li}");
    assert!(out.contains("skipped") && out.contains("E002"), "{out}");
    assert!(
        out.contains("sent 4, skipped 1 (no e-mail), failed 0, already sent 0"),
        "{out}"
    );
    assert!(err.contains("MCR050"), "{err}");
    let log = log_lines(root);
    let sent = log.iter().filter(|e| e["status"] == "sent").count();
    assert_eq!(sent, 4, "{log:?}");
    assert!(log.iter().all(|e| e["time"].is_string()));
    assert!(log
        .iter()
        .any(|e| e["status"] == "skipped" && e["key"] == "E002"));
    assert!(log
        .iter()
        .filter(|e| e["status"] == "sent")
        .all(|e| e["message_id"].as_str().is_some_and(|m| m.starts_with('<'))));

    // Second run (default language zh): nothing new, exit 0.
    let o = run_in(root, &["deliver", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(server.received().len(), 4);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["already_sent"], 4, "{v}");
    assert_eq!(v["summary"]["sent"], 0);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["as_of"], AS_OF);
}

#[test]
fn a_rejected_recipient_fails_the_run_and_a_rerun_retries_only_it() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    report_folder(root, false);
    let server = Server::start();
    config(root, Some(server.port), "");
    server.with(|s| {
        s.reject.insert("li@example.com".into());
        // One 451: retried, then sent.
        s.transient.insert("cfo@example.com".into(), 1);
    });

    let o = run_in(root, &["deliver", "--as-of", AS_OF]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let failed: Vec<&str> = out.lines().filter(|l| l.starts_with("failed")).collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert!(
        failed[0].contains("li@example.com") && failed[0].contains("550"),
        "{out}"
    );
    assert!(
        out.contains("sent 3, skipped 1 (no e-mail), failed 1, already sent 0"),
        "{out}"
    );
    let got: BTreeSet<String> = server
        .received()
        .iter()
        .flat_map(|m| m.rcpt.clone())
        .collect();
    assert_eq!(
        got,
        BTreeSet::from(
            ["boss@example.com", "cfo@example.com", "east@example.com"].map(String::from)
        )
    );
    server.with(|s| {
        // A permanent rejection is not retried; the transient one was.
        assert_eq!(s.rcpt_attempts["li@example.com"], 1);
        assert_eq!(s.rcpt_attempts["cfo@example.com"], 2);
    });
    assert!(log_lines(root)
        .iter()
        .any(|e| e["status"] == "failed" && e["recipient"] == "li@example.com"));

    // The mailbox exists now: the rerun sends only the failed message.
    server.with(|s| s.reject.clear());
    let o = run_in(root, &["deliver", "--as-of", AS_OF, "--lang", "en"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let msgs = server.received();
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[3].rcpt, ["li@example.com"]);
    assert!(
        out.contains("sent 1, skipped 1 (no e-mail), failed 0, already sent 3"),
        "{out}"
    );
}

#[test]
fn outbox_writes_eml_files_and_dry_run_only_lists() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    report_folder(root, true);
    // No host: neither --outbox nor --dry-run needs the server.
    config(root, None, "");

    let o = run_in(root, &["deliver", "--dry-run", "--lang", "en"]);
    let (out, err) = (stdout(&o), stderr(&o));
    // The row whose folder leaves the report folder is a failure, even in a dry run.
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("would send  "))
            .count(), // not the summary line
        4,
        "{out}"
    );
    assert!(
        out.contains("mcr leadership report — 2026-06-30 — Li Lei"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("skipped") && l.contains("E002")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("failed") && l.contains("E666")),
        "{out}"
    );
    assert!(err.contains("MCR051"), "{err}");
    assert!(!out.contains("secret"));
    assert!(log_lines(root).is_empty(), "a dry run writes no log");

    let o = run_in(root, &["deliver", "--outbox", "outbox"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut files: Vec<String> = std::fs::read_dir(root.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "full-boss-example-com.eml",
            "full-cfo-example-com.eml",
            "owner-E001.eml",
            "region-华东.eml"
        ]
    );
    let read = |f: &str| std::fs::read_to_string(root.join("outbox").join(f)).unwrap();
    let subject = "mcr 管理层报告 — 2026-06-30";
    check_message(&read("full-boss-example-com.eml"), subject, true);
    check_message(
        &read("owner-E001.eml"),
        &format!("{subject} — Li Lei"),
        true,
    );
    check_message(
        &read("region-华东.eml"),
        &format!("{subject} — 华东"),
        false,
    );
    let (_, to_cfo, _) = parse(&read("full-cfo-example-com.eml"));
    assert!(to_cfo.contains("<cfo@example.com>"), "{to_cfo}");
    assert!(log_lines(root).is_empty(), "--outbox writes no log");
    let outbox: PathBuf = root.join("outbox");
    assert!(!outbox.join("owner-E666.eml").exists());
}

#[test]
fn delivery_settings_errors_name_the_setting() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    report_folder(root, false);
    let run = |toml_extra: &str, args: &[&str]| {
        std::fs::write(
            root.join("mcr.toml"),
            format!("reports = \"reports\"\n[delivery]\n{toml_extra}\n"),
        )
        .unwrap();
        let mut a = vec!["deliver"];
        a.extend(args);
        let o = run_in(root, &a);
        (o.status.code(), stderr(&o))
    };
    let (code, err) = run("to = [\"not an address\"]", &["--dry-run"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("delivery.to") && err.contains("hint:"),
        "{err}"
    );

    let (code, err) = run("from = \"a@example.com\"", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("delivery.host") && err.contains("hint:"),
        "{err}"
    );

    let (code, err) = run("from = \"a@example.com\"\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"u\"\npassword_env = \"MCR_TEST_SMTP_PASSWORD_UNSET\"", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("MCR_TEST_SMTP_PASSWORD_UNSET") && err.contains("hint:"),
        "{err}"
    );

    // An unknown key (the password itself) is an invalid config file, as for every section.
    let (code, err) = run("password = \"hunter2\"", &["--dry-run"]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("password"), "{err}");

    let (code, err) = run("to = [\"a@example.com\"]", &["--outbox", "o"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("delivery.from"), "{err}");
}
