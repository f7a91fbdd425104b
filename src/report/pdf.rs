//! Pages to PDF with headless Chromium (`mcr report --pdf`).
//!
//! Chromium is found by [`super::browser::find_chromium`] (`$MCR_CHROMIUM`, else `chromium`,
//! `chromium-browser`, `google-chrome`, `google-chrome-stable` on PATH); tests find it the same
//! way. The page's own print CSS (`@page { size: A4 }`) sets the paper; headers and footers
//! are off. Each print runs with a fresh profile folder and the flags that keep Chromium off
//! the network, and is stopped after [`TIMEOUT`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a single print may take.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Why a page could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no Chromium found (looked for $MCR_CHROMIUM, then {} on PATH)", super::browser::NAMES.join(", "))]
    NoChromium,
    #[error("cannot start {browser}: {source}")]
    Start {
        browser: PathBuf,
        source: std::io::Error,
    },
    #[error("{browser} did not print {page} within {secs} s", secs = TIMEOUT.as_secs())]
    Timeout { browser: PathBuf, page: PathBuf },
    #[error("{browser} failed to print {page}: {detail}")]
    Failed {
        browser: PathBuf,
        page: PathBuf,
        detail: String,
    },
}

impl PdfError {
    /// How to fix it.
    pub fn hint(&self) -> &'static str {
        match self {
            PdfError::NoChromium => "install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set MCR_CHROMIUM to its path; the HTML pages were written",
            _ => "check that Chromium runs headless here (`chromium --headless --dump-dom about:blank`), or set MCR_CHROMIUM to another browser; the HTML pages were written",
        }
    }
}

pub use super::browser::{find_chromium, headless_args};

/// Print `page` (an HTML file) to `pdf` with `browser`.
pub fn print(browser: &Path, page: &Path, pdf: &Path) -> Result<(), PdfError> {
    let profile = tempfile::tempdir().map_err(|source| PdfError::Start {
        browser: browser.to_path_buf(),
        source,
    })?;
    let page_abs = std::path::absolute(page).unwrap_or_else(|_| page.to_path_buf());
    let pdf_abs = std::path::absolute(pdf).unwrap_or_else(|_| pdf.to_path_buf());
    let _ = std::fs::remove_file(&pdf_abs);
    let mut child = Command::new(browser)
        .args(headless_args(profile.path()))
        .arg("--hide-scrollbars")
        .arg("--no-pdf-header-footer")
        .arg("--print-to-pdf-no-header")
        .arg(format!("--print-to-pdf={}", pdf_abs.display()))
        .arg(file_url(&page_abs))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| PdfError::Start {
            browser: browser.to_path_buf(),
            source,
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Timeout {
                    browser: browser.to_path_buf(),
                    page: page.to_path_buf(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(source) => {
                return Err(PdfError::Start {
                    browser: browser.to_path_buf(),
                    source,
                })
            }
        }
    };
    let written = std::fs::metadata(&pdf_abs).is_ok_and(|m| m.len() > 0);
    if status.success() && written {
        return Ok(());
    }
    let mut detail = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut detail);
    }
    let detail = detail
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(if written { "" } else { "no PDF written" })
        .to_string();
    Err(PdfError::Failed {
        browser: browser.to_path_buf(),
        page: page.to_path_buf(),
        detail: format!("{status}; {detail}"),
    })
}

/// `file://` URL of an absolute path, with the characters a URL cannot hold percent-encoded
/// (a report folder may be named in Chinese or hold spaces).
fn file_url(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Pages of a PDF as Chromium writes it (`/Type /Page` objects, not `/Pages`).
pub fn page_count(pdf: &[u8]) -> usize {
    let s = String::from_utf8_lossy(pdf);
    let count = |pat: &str| {
        s.match_indices(pat)
            .filter(|(i, _)| !s[i + pat.len()..].starts_with('s'))
            .count()
    };
    count("/Type /Page") + count("/Type/Page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/报告 1/a.html")),
            "file:///tmp/%E6%8A%A5%E5%91%8A%201/a.html"
        );
    }

    #[test]
    fn pages_are_counted_without_the_page_tree() {
        let pdf = b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>";
        assert_eq!(page_count(pdf), 2);
    }
}
