//! The import graph of `src/` (docs/architecture.md, "Layers"): every `crate::…` and `super::…` path
//! outside test code is an edge from the module it is written in to the module it names.
//! Top-level modules may only import from a strictly lower layer, and no two modules import
//! each other, directly or through others (a module and its own parent or children excepted:
//! `mod.rs` declares its children and children read their parent's items).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, highest first. A top-level module may import only from layers below its own.
const LAYERS: &[(&str, &[&str])] = &[
    ("entry point", &["main", ""]),
    ("commands", &["commands"]),
    ("settings", &["settings"]),
    ("cli argument types", &["cli"]),
    (
        "stages",
        &["ingest", "metrics", "report", "generate", "delivery"],
    ),
    ("SQL over the lake", &["sql"]),
    ("lake and profiles", &["lake", "profiles"]),
    ("contract", &["contract", "error", "diagnostics", "fmt"]),
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&top))
}

type Module = Vec<String>;

/// Module path of a source file: `src/a/b.rs` → [a, b], `src/a/mod.rs` → [a], `src/lib.rs`
/// → [].
fn module_of(rel: &Path) -> Module {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" && stem != "lib" {
            parts.push(stem);
        }
    }
    parts
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(Module, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(root).unwrap();
            let name = rel.file_name().unwrap().to_string_lossy();
            // Test-only files (declared under #[cfg(test)]).
            if name == "tests.rs" || name == "test_util.rs" || name == "fixture.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((module_of(rel), without_test_items(&text)));
        }
    }
}

/// `text` without its comments and without the items under `#[cfg(test)]` (a `mod tests { … }`
/// to its closing brace, a `mod tests;`, a test-only `fn` or `use`); the rest of the file, code
/// after a test item included, is kept. String and character literals are copied as they are
/// (braces in them do not count).
fn without_test_items(text: &str) -> String {
    const TEST_ATTR: &str = "#[cfg(test)]";
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Depth of (), [] and {} of a test item being skipped, or None when copying.
    let mut skipping: Option<(i32, i32)> = None;
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        // The extent of the literal or comment starting at i, if one does.
        let literal_end = if rest.starts_with("//") {
            Some(rest.find('\n').map_or(b.len(), |n| i + n))
        } else if let Some(after) = rest.strip_prefix("/*") {
            Some(after.find("*/").map_or(b.len(), |n| i + 2 + n + 2))
        } else if let Some((open, hashes)) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            Some(
                rest[open..]
                    .find(&close)
                    .map_or(b.len(), |n| i + open + n + close.len()),
            )
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(b.len()))
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}'), else a lifetime.
            let mut j = i + 1;
            if b.get(j) == Some(&b'\\') {
                j += 2;
                while j < b.len() && b[j] != b'\'' && j < i + 12 {
                    j += 1;
                }
            } else {
                j += rest[1..].chars().next().map_or(0, char::len_utf8);
            }
            (b.get(j) == Some(&b'\'')).then_some(j + 1)
        } else {
            None
        };
        if let Some(end) = literal_end {
            let is_comment = rest.starts_with("//") || rest.starts_with("/*");
            if skipping.is_none() && !is_comment {
                out.push_str(&text[i..end]);
            }
            i = end;
            continue;
        }
        match &mut skipping {
            None if rest.starts_with(TEST_ATTR) => {
                skipping = Some((0, 0));
                i += TEST_ATTR.len();
                continue;
            }
            None => {
                let c = rest.chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
                continue;
            }
            Some((group, brace)) => {
                match b[i] {
                    b'(' | b'[' => *group += 1,
                    b')' | b']' => *group -= 1,
                    b'{' => *brace += 1,
                    b'}' => {
                        *brace -= 1;
                        if *brace == 0 && *group == 0 {
                            skipping = None;
                        }
                    }
                    b';' if *brace == 0 && *group == 0 => skipping = None,
                    _ => {}
                }
                i += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    out
}

/// A raw string literal starting `s` (`r"`, `r#"`, `br"`): the length of its opening (prefix,
/// `#`s and quote) and its number of `#`s.
fn raw_string_start(s: &str) -> Option<(usize, usize)> {
    let prefix = if s.starts_with('b') { 2 } else { 1 };
    let after_r = s.strip_prefix('b').unwrap_or(s).strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    after_r[hashes..]
        .starts_with('"')
        .then_some((prefix + hashes + 1, hashes))
}

/// The identifier segments of a path starting at byte `i` (`a::b::c` → [a, b, c]).
fn segments(code: &str, mut i: usize) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            break;
        }
        out.push(code[start..i].to_string());
        if code[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    out
}

/// The longest known module that is a prefix of `path`.
fn resolve(path: &[String], known: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|m| known.contains(m))
        .unwrap_or_default()
}

fn edges() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let known: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, code) in &files {
        let mut add = |to: Module| {
            if &to != m {
                out.entry(m.clone()).or_default().insert(to);
            }
        };
        for (i, _) in code.match_indices("crate::") {
            add(resolve(&segments(code, i + "crate::".len()), &known));
        }
        for (i, _) in code.match_indices("super::") {
            // Count the leading `super::`s of this path (only at its start).
            if code[..i].ends_with("super::") {
                continue;
            }
            let mut base = m.clone();
            let mut j = i;
            while code[j..].starts_with("super::") {
                base.pop();
                j += "super::".len();
            }
            let mut path = base;
            path.extend(segments(code, j));
            add(resolve(&path, &known));
        }
    }
    out
}

fn is_ancestor(a: &Module, b: &Module) -> bool {
    a.len() < b.len() && b.starts_with(a)
}

#[test]
fn top_level_modules_import_only_from_lower_layers() {
    let mut upward = Vec::new();
    for (from, tos) in edges() {
        let top_from = from.first().cloned().unwrap_or_default();
        for to in tos {
            let top_to = to.first().cloned().unwrap_or_default();
            if top_from == top_to {
                continue;
            }
            let (Some(lf), Some(lt)) = (layer_of(&top_from), layer_of(&top_to)) else {
                upward.push(format!(
                    "{} → {}: module not in LAYERS (tests/architecture.rs)",
                    from.join("::"),
                    to.join("::")
                ));
                continue;
            };
            if lf >= lt {
                upward.push(format!(
                    "{} ({}) imports {} ({})",
                    from.join("::"),
                    LAYERS[lf].0,
                    to.join("::"),
                    LAYERS[lt].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not point to a lower layer:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn no_import_cycles_between_modules() {
    let graph: BTreeMap<Module, BTreeSet<Module>> = edges()
        .into_iter()
        .map(|(from, tos)| {
            let tos = tos
                .into_iter()
                .filter(|to| !is_ancestor(to, &from) && !is_ancestor(&from, to))
                .collect();
            (from, tos)
        })
        .collect();
    // A cycle exists iff some module reaches itself.
    let mut cycles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(Module, Vec<Module>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, path)) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = path.iter().map(|p| p.join("::")).collect();
                    cycles.push(format!("{} → {}", names.join(" → "), start.join("::")));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_checker_sees_edges() {
    // A checker that finds nothing would pass vacuously.
    let e = edges();
    let commands = vec!["commands".to_string(), "analyze".to_string()];
    assert!(e.get(&commands).is_some_and(|tos| tos
        .iter()
        .any(|t| t.first().is_some_and(|x| x == "metrics"))));
    assert!(layer_of("metrics") > layer_of("commands"));
}

#[test]
fn only_test_items_are_left_out() {
    let text = r##"use crate::a;
#[cfg(test)]
mod test_util;
// crate::in_a_comment
#[cfg(test)]
pub(super) mod tests {
    use crate::b;
    const S: &str = "}";
    const C: char = '}';
    const R: &str = r#"} crate::c "#;
    const B: &[u8] = br#"}"#;
    fn f(x: [u8; 2]) { let _ = x; }
}
#[cfg(test)]
use crate::d::{e, f};
fn g<'a>(s: &'a str) -> &'a str { crate::h::i(s) }
"##;
    let code = without_test_items(text);
    for kept in ["crate::a", "crate::h::i"] {
        assert!(code.contains(kept), "{kept} lost:\n{code}");
    }
    for dropped in [
        "crate::b",
        "crate::c",
        "crate::d",
        "in_a_comment",
        "test_util",
    ] {
        assert!(!code.contains(dropped), "{dropped} kept:\n{code}");
    }
}
