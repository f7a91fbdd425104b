//! A report page made safe for a mail body: `<script>` elements removed, relative images
//! (`<img src="charts/x.svg">`) inlined as `data:` URIs when they resolve inside the report
//! folder, and relative links (to the other pages, which the message does not carry) turned
//! into plain text. The pages `mcr report` writes already draw their charts as inline SVG;
//! this is the guard for whatever else ends up in a page.

use std::path::Path;

use base64::Engine as _;

/// Largest image inlined (bytes); larger ones are left out of the message.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// What [`for_email`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inlined {
    pub html: String,
    pub scripts_removed: usize,
    pub images_inlined: usize,
    /// Image references that could not be inlined (outside the report folder, missing, too
    /// large or of an unknown type): their `src` is emptied.
    pub images_dropped: Vec<String>,
}

/// The page `html` (read from `page_dir`) for a mail body; images must resolve inside `root`
/// (the report folder `<reports>/<as_of>/`).
pub fn for_email(html: &str, page_dir: &Path, root: &Path) -> Inlined {
    let (html, scripts_removed) = strip_scripts(html);
    let mut out = Inlined {
        scripts_removed,
        ..Default::default()
    };
    out.html = rewrite_tags(&html, |name, tag| match name {
        "img" => rewrite_attr(tag, "src", |src| {
            if !is_relative(src) {
                return None;
            }
            match data_uri(src, page_dir, root) {
                Some(uri) => {
                    out.images_inlined += 1;
                    Some(uri)
                }
                None => {
                    out.images_dropped.push(src.to_string());
                    Some(String::new())
                }
            }
        }),
        "a" => remove_attr_if(tag, "href", is_relative),
        _ => tag.to_string(),
    });
    out
}

/// Remove every `<script …>…</script>` element (case-insensitive; an unclosed one runs to the
/// end), repeated until none is left so that removing one cannot assemble another.
pub fn strip_scripts(html: &str) -> (String, usize) {
    let mut text = html.to_string();
    let mut removed = 0;
    loop {
        let lower = text.to_ascii_lowercase();
        let Some(start) = find_tag(&lower, "script", 0) else {
            return (text, removed);
        };
        let end = match find_close(&lower, "script", start) {
            Some(e) => e,
            None => text.len(),
        };
        text.replace_range(start..end, "");
        removed += 1;
    }
}

/// The byte offset of the next `<name` followed by whitespace, `>`, `/` or the end, in the
/// lower-cased `lower` from `from`.
fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let open = format!("<{name}");
    let mut at = from;
    while let Some(i) = lower[at..].find(&open) {
        let i = at + i;
        let after = lower.as_bytes().get(i + open.len());
        if after.is_none_or(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/') {
            return Some(i);
        }
        at = i + open.len();
    }
    None
}

/// The end (past `>`) of the `</name …>` closing the element opened at `start`.
fn find_close(lower: &str, name: &str, start: usize) -> Option<usize> {
    let close = format!("</{name}");
    let i = start + lower[start..].find(&close)?;
    let gt = i + lower[i..].find('>')?;
    Some(gt + 1)
}

/// Calls `f(tag name, tag text)` for every start tag (`<img …>`, `<a …>`) and splices in
/// what it returns; comments and everything else are copied as they are.
fn rewrite_tags(html: &str, mut f: impl FnMut(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        if tail.starts_with("<!--") {
            let end = tail.find("-->").map(|e| e + 3).unwrap_or(tail.len());
            out.push_str(&tail[..end]);
            rest = &tail[end..];
            continue;
        }
        let name: String = tail[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let Some(end) = tag_end(tail) else {
            out.push_str(tail);
            return out;
        };
        if name.is_empty() {
            out.push_str(&tail[..end]);
        } else {
            out.push_str(&f(&name, &tail[..end]));
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The end (past `>`) of the tag starting at `tag[0] == '<'`, quotes respected.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The byte range of attribute `attr`'s value (without quotes) in `tag`, and whether it
/// was quoted.
fn attr_range(tag: &str, attr: &str) -> Option<(usize, usize, usize)> {
    let lower = tag.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = lower[at..].find(attr) {
        let i = at + i;
        at = i + attr.len();
        let before = lower.as_bytes().get(i.wrapping_sub(1));
        if !before.is_some_and(u8::is_ascii_whitespace) {
            continue;
        }
        let after = lower[at..].trim_start();
        let Some(after_eq) = after.strip_prefix('=') else {
            continue;
        };
        let value = after_eq.trim_start();
        let vstart = tag.len() - value.len();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let end = value[1..].find(q).map(|e| vstart + 1 + e)?;
                (i, vstart + 1, end)
            }
            _ => {
                let len = value
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(value.len());
                (i, vstart, vstart + len)
            }
        });
    }
    None
}

/// `tag` with attribute `attr`'s value replaced by `f(value)` when it returns one (the new
/// value is HTML-escaped for a double-quoted attribute).
fn rewrite_attr(tag: &str, attr: &str, f: impl FnOnce(&str) -> Option<String>) -> String {
    let Some((_, vs, ve)) = attr_range(tag, attr) else {
        return tag.to_string();
    };
    match f(&tag[vs..ve]) {
        Some(new) => format!("{}{}{}", &tag[..vs], new.replace('"', "&quot;"), &tag[ve..]),
        None => tag.to_string(),
    }
}

/// `tag` without attribute `attr` when `drop(value)` is true.
fn remove_attr_if(tag: &str, attr: &str, drop: impl FnOnce(&str) -> bool) -> String {
    let Some((start, vs, ve)) = attr_range(tag, attr) else {
        return tag.to_string();
    };
    if !drop(&tag[vs..ve]) {
        return tag.to_string();
    }
    // Past a closing quote when the value was quoted.
    let end = if tag[ve..].starts_with(['"', '\'']) {
        ve + 1
    } else {
        ve
    };
    format!("{}{}", tag[..start].trim_end(), &tag[end..])
}

/// A reference without a scheme, not absolute and not an in-page anchor.
fn is_relative(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.starts_with('#') || v.starts_with('/') || v.starts_with('\\') {
        return false;
    }
    // `scheme:` before any `/`, `?` or `#` (data:, http:, mailto:, cid:…).
    let head = v.split(['/', '?', '#']).next().unwrap_or_default();
    !head.contains(':')
}

fn mime_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// `src` read (when it resolves inside `root`, exists, is small enough and is an image) as
/// a `data:` URI.
fn data_uri(src: &str, page_dir: &Path, root: &Path) -> Option<String> {
    let rel = src.split(['?', '#']).next().unwrap_or_default();
    if rel.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let path = page_dir.join(rel).canonicalize().ok()?;
    if !path.starts_with(&root) || !path.is_file() {
        return None;
    }
    let mime = mime_of(&path)?;
    if std::fs::metadata(&path).ok()?.len() > MAX_IMAGE_BYTES {
        return None;
    }
    let mut bytes = std::fs::read(&path).ok()?;
    if mime == "image/svg+xml" {
        // An SVG may carry scripts of its own.
        let text = String::from_utf8(bytes).ok()?;
        bytes = strip_scripts(&text).0.into_bytes();
    }
    Some(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_removed_in_any_case_and_nesting() {
        let (s, n) = strip_scripts(
            "<p>a</p><SCRIPT type=\"x\">alert(1)</ScRiPt ><p>b</p><scr<script>x</script>ipt>evil()</script><scripture>ok</scripture>",
        );
        assert_eq!(s, "<p>a</p><p>b</p><scripture>ok</scripture>");
        assert_eq!(n, 3);
        let (s, _) = strip_scripts("<p>a</p><script>never closed");
        assert_eq!(s, "<p>a</p>");
    }

    #[test]
    fn relative_images_are_inlined_inside_the_report_folder_only() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("2026-06-30");
        std::fs::create_dir_all(root.join("charts")).unwrap();
        std::fs::create_dir_all(root.join("by-owner/E1")).unwrap();
        std::fs::write(
            root.join("charts/a.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x()</script><rect/></svg>",
        )
        .unwrap();
        std::fs::write(t.path().join("secret.svg"), "<svg/>").unwrap();
        let html = "<p>x</p><img alt=\"a\" src=\"../../charts/a.svg\"><img src='../../../secret.svg'><img src=\"https://example.com/x.png\"><a href=\"index.html\">index</a> <a href=\"https://example.com\">web</a>";
        let out = for_email(html, &root.join("by-owner/E1"), &root);
        assert_eq!(out.images_inlined, 1);
        assert_eq!(out.images_dropped, ["../../../secret.svg"]);
        assert!(out.html.contains("src=\"data:image/svg+xml;base64,"));
        assert!(out.html.contains("src=''"), "{}", out.html);
        assert!(out.html.contains("src=\"https://example.com/x.png\""));
        assert!(out.html.contains("<a>index</a>"), "{}", out.html);
        assert!(out.html.contains("<a href=\"https://example.com\">web</a>"));
        let b64 = out.html.split("base64,").nth(1).unwrap();
        let b64 = &b64[..b64.find('"').unwrap()];
        let svg = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(!String::from_utf8(svg).unwrap().contains("<script"));
    }

    #[test]
    fn relative_is_relative() {
        for r in ["charts/a.svg", "a.html", "./x.png", "../x.svg", "a.html#s"] {
            assert!(is_relative(r), "{r}");
        }
        for n in [
            "#top",
            "/abs.svg",
            "http://x",
            "mailto:a@b",
            "data:image/png;base64,AA",
            "cid:x",
            "",
        ] {
            assert!(!is_relative(n), "{n}");
        }
    }
}
