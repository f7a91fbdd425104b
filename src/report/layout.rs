//! Text measurement without fonts, and a geometric check of an SVG's text labels.
//!
//! The SVG charts carry no fonts: the viewer's system renders `<text>` in the first available
//! family of [`FONT_STACK`]. Widths are therefore estimated — CJK and full-width characters ≈ 1 em,
//! Latin capitals ≈ 0.65 em, other characters ≈ 0.55 em — which is slightly generous for common
//! sans-serif fonts. [`check_svg`] re-reads every `<text>` element of a finished SVG, estimates
//! its box from its position, anchor and size, and reports labels that leave the canvas or
//! intersect another label: the test for "no overlapping labels".

/// The font-family stack of every chart label (Chinese-capable system fonts first).
pub const FONT_STACK: &str = "\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",\"WenQuanYi Micro Hei\",sans-serif";

/// True for characters rendered about 1 em wide (CJK, kana, hangul, full-width forms).
pub fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x2FFFD)
}

/// Estimated width in px of `s` at font size `px`.
pub fn text_width(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| {
            if is_wide(c) {
                1.0
            } else if c.is_ascii_uppercase() || c == 'm' || c == 'w' || c == '%' || c == '—' {
                0.68
            } else if c == ' ' || c == '.' || c == ',' || c == 'i' || c == 'l' || c == '\'' {
                0.32
            } else {
                0.56
            }
        })
        .sum::<f64>()
        * px
}

/// `s` shortened with `…` so that it fits `max_w` px at `px`.
pub fn truncate(s: &str, px: f64, max_w: f64) -> String {
    if text_width(s, px) <= max_w {
        return s.to_string();
    }
    let budget = max_w - text_width("…", px);
    let mut out = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = text_width(&c.to_string(), px);
        if w + cw > budget {
            break;
        }
        w += cw;
        out.push(c);
    }
    let trimmed = out.trim_end().to_string();
    format!("{trimmed}…")
}

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl Rect {
    /// True when the boxes overlap by more than `tol` px in both directions.
    pub fn intersects(&self, o: &Rect, tol: f64) -> bool {
        self.x0 + tol < o.x1 && o.x0 + tol < self.x1 && self.y0 + tol < o.y1 && o.y0 + tol < self.y1
    }
    /// The box grown by `d` on every side.
    pub fn grow(&self, d: f64) -> Rect {
        Rect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }
    /// True when `o` lies within this box (with `tol` slack).
    pub fn contains(&self, o: &Rect, tol: f64) -> bool {
        o.x0 >= self.x0 - tol
            && o.y0 >= self.y0 - tol
            && o.x1 <= self.x1 + tol
            && o.y1 <= self.y1 + tol
    }
}

/// Horizontal anchor of a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HAnchor {
    /// `start`.
    Left,
    /// `middle`.
    Center,
    /// `end`.
    Right,
}

/// Vertical anchor of a label (as plotters' SVG backend emits it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAnchor {
    /// `dy="0.76em"`.
    Top,
    /// `dy="0.5ex"`.
    Center,
    /// `dy="-0.5ex"`.
    Bottom,
}

/// The estimated box of a label drawn at (x, y) with the given anchors.
pub fn label_box(s: &str, px: f64, x: f64, y: f64, h: HAnchor, v: VAnchor) -> Rect {
    let w = text_width(s, px);
    let x0 = match h {
        HAnchor::Left => x,
        HAnchor::Center => x - w / 2.0,
        HAnchor::Right => x - w,
    };
    let baseline = match v {
        VAnchor::Top => y + 0.76 * px,
        VAnchor::Center => y + 0.25 * px,
        VAnchor::Bottom => y - 0.25 * px,
    };
    Rect {
        x0,
        y0: baseline - 0.82 * px,
        x1: x0 + w,
        y1: baseline + 0.2 * px,
    }
}

/// One `<text>` element read back from an SVG.
#[derive(Debug, Clone)]
pub struct TextBox {
    /// Unescaped content.
    pub text: String,
    /// Estimated box.
    pub rect: Rect,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let rest = &tag[i..];
    Some(&rest[..rest.find('"')?])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Width and height of the root `<svg>`.
pub fn svg_size(svg: &str) -> Option<(f64, f64)> {
    let start = svg.find("<svg")?;
    let end = start + svg[start..].find('>')?;
    let tag = &svg[start..end];
    Some((
        attr(tag, "width")?.parse().ok()?,
        attr(tag, "height")?.parse().ok()?,
    ))
}

/// Every non-empty `<text>` element of `svg` with its estimated box.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        let after = &rest[i..];
        let Some(gt) = after.find('>') else { break };
        let tag = &after[..gt];
        let Some(close) = after.find("</text>") else {
            break;
        };
        let text = unescape(after[gt + 1..close].trim());
        rest = &after[close + 7..];
        if text.is_empty() {
            continue;
        }
        let num = |n: &str| {
            attr(tag, n)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let (x, y, px) = (num("x"), num("y"), num("font-size"));
        let h = match attr(tag, "text-anchor") {
            Some("middle") => HAnchor::Center,
            Some("end") => HAnchor::Right,
            _ => HAnchor::Left,
        };
        let v = match attr(tag, "dy") {
            Some("0.76em") => VAnchor::Top,
            Some("0.5ex") => VAnchor::Center,
            _ => VAnchor::Bottom,
        };
        let mut r = label_box(&text, px, x, y, h, v);
        if let Some(tr) = attr(tag, "transform") {
            if tr.starts_with("rotate(90") || tr.starts_with("rotate(270") {
                // Swap extents around the anchor point.
                let (dx0, dx1, dy0, dy1) = (r.x0 - x, r.x1 - x, r.y0 - y, r.y1 - y);
                r = if tr.starts_with("rotate(90") {
                    Rect {
                        x0: x - dy1,
                        x1: x - dy0,
                        y0: y + dx0,
                        y1: y + dx1,
                    }
                } else {
                    Rect {
                        x0: x + dy0,
                        x1: x + dy1,
                        y0: y - dx1,
                        y1: y - dx0,
                    }
                };
            }
        }
        out.push(TextBox { text, rect: r });
    }
    out
}

/// Layout problems of an SVG: labels outside the canvas and pairs of intersecting labels.
pub fn check_svg(svg: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let boxes = text_boxes(svg);
    if let Some((w, h)) = svg_size(svg) {
        let canvas = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: w,
            y1: h,
        };
        for b in &boxes {
            if !canvas.contains(&b.rect, 1.0) {
                problems.push(format!(
                    "label {:?} at {:?} leaves the {w}×{h} canvas",
                    b.text, b.rect
                ));
            }
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if a.rect.intersects(&b.rect, 0.5) {
                problems.push(format!("labels {:?} and {:?} overlap", a.text, b.text));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(text_width("华为", 10.0), 20.0);
        assert!(text_width("abc", 10.0) < 20.0);
        let t = truncate("华为技术有限公司华为技术有限公司", 12.0, 60.0);
        assert!(text_width(&t, 12.0) <= 60.0, "{t}");
        assert!(t.ends_with('…'));
        assert_eq!(truncate("short", 12.0, 200.0), "short");
    }

    #[test]
    fn reads_back_boxes_and_finds_overlaps() {
        let svg = r#"<svg width="100" height="50" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg">
<text x="10" y="10" dy="0.76em" text-anchor="start" font-size="10">Müller &amp; Söhne</text>
<text x="20" y="12" dy="0.76em" text-anchor="start" font-size="10">华为</text>
<text x="95" y="40" dy="0.5ex" text-anchor="start" font-size="10">off</text>
<text x="50" y="40" dy="0.5ex" text-anchor="middle" font-size="10"></text>
</svg>"#;
        let b = text_boxes(svg);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].text, "Müller & Söhne");
        let p = check_svg(svg);
        assert!(p.iter().any(|p| p.contains("overlap")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("leaves")), "{p:?}");
    }
}
