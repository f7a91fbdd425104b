//! The import graph of `src/` (README "Architecture"): every `crate::…` and `super::…` path
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
            // Test modules sit at the end of a file: everything from the first
            // `#[cfg(test)]` on is test code.
            let code = match text.find("#[cfg(test)]") {
                Some(i) => &text[..i],
                None => &text[..],
            };
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.push((module_of(rel), code));
        }
    }
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
