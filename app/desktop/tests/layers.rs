//! The desktop's modules depend only downwards, and none imports another in a circle.
//!
//! Layers, lowest first: `i18n`, `theme` → `format`, `wall` → `services::*` → `state` → `panels::*`, `tour` → `app` → the crate
//! root. A module may use anything below it and its siblings in the same layer (`panels::toolbar` uses
//! `panels::import`), as long as no circle forms. The check reads the sources: every `crate::…` path, in `use`
//! lines and inline, grouped (`crate::{a, b}`) or not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module a source file belongs to, at the granularity the rules speak of.
fn module_of(rel: &Path) -> String {
    let parts: Vec<String> =
        rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [one] if one == "lib" || one == "main" => "crate".into(),
        [one] => one.clone(),
        [top, child, ..] if (top == "panels" || top == "services") && child != "mod" => format!("{top}::{child}"),
        [top, ..] => top.clone(),
        [] => unreachable!(),
    }
}

/// The module a `crate::` path names, at the same granularity.
fn module_named(path: &[&str]) -> Option<String> {
    match path {
        [] => None,
        [top, child, ..]
            if (*top == "panels" || *top == "services")
                && child.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) =>
        {
            Some(format!("{top}::{child}"))
        }
        [top, ..] => Some((*top).to_string()),
    }
}

fn layer(module: &str) -> u32 {
    match module.split("::").next().unwrap_or(module) {
        "i18n" | "theme" => 0,
        "format" | "wall" => 1,
        "services" => 2,
        "state" => 3,
        "panels" | "tour" => 4,
        "app" => 5,
        "crate" => 6,
        other => panic!("module {other} has no layer: add it to tests/layers.rs and ARCHITECTURE.md"),
    }
}

/// Every `crate::…` path in `src`, as its segments (grouped uses expanded one level).
fn crate_paths(src: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: take each item's leading path.
            let mut depth = 0;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(segments(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            out.push(segments(&item));
        } else {
            out.push(segments(rest));
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn segments(s: &str) -> Vec<String> {
    let s = s.trim_start();
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(s.len());
    s[..end].split("::").filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_depend_only_downwards_and_never_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 10, "found the sources");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let from = module_of(rel);
        let text = std::fs::read_to_string(file).expect("read");
        for path in crate_paths(&text) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(to) = module_named(&path) else { continue };
            // Items of the crate root (`crate::tile_cache_dir`, re-exports) are not modules.
            if !to.contains("::") && to.chars().next().is_some_and(|c| c.is_uppercase()) || to == "tile_cache_dir" {
                continue;
            }
            if to == from || to.split("::").next() == from.split("::").next() && layer(&to) == layer(&from) {
                if to != from {
                    edges.entry(from.clone()).or_default().insert(to);
                }
                continue;
            }
            if layer(&to) > layer(&from) {
                wrong.push(format!(
                    "{} ({from}) uses crate::{} ({to}), a higher layer",
                    rel.display(),
                    path.join("::")
                ));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    assert!(wrong.is_empty(), "upward dependencies:\n{}", wrong.join("\n"));
    // No circles: depth-first search for a back edge.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(1) => {
                let at = stack.iter().position(|x| x == m).unwrap_or(0);
                let mut circle = stack[at..].to_vec();
                circle.push(m.to_string());
                return Some(circle);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if let Some(circle) = visit(m, &edges, &mut state, &mut Vec::new()) {
            panic!("import circle: {}", circle.join(" → "));
        }
    }
    // The panels the issue names exist as modules.
    for panel in ["header", "feed", "detail", "dashboard", "map2d", "map3d", "import", "toolbar", "status"] {
        assert!(edges.contains_key(&format!("panels::{panel}")), "panels::{panel} is a module that uses the state");
    }
}

#[test]
fn the_check_finds_a_circle_and_an_upward_use() {
    // The parser sees grouped and nested paths.
    let paths =
        crate_paths("use crate::{format, panels::map2d::{Fills, x}, theme};\nlet a = crate::state::AppState::new;");
    let names: Vec<Option<String>> =
        paths.iter().map(|p| module_named(&p.iter().map(String::as_str).collect::<Vec<_>>())).collect();
    assert_eq!(
        names,
        vec![Some("format".into()), Some("panels::map2d".into()), Some("theme".into()), Some("state".into())]
    );
    assert!(layer("services::source") < layer("state") && layer("state") < layer("panels::feed"));
    assert_eq!(module_of(Path::new("panels/map2d/draw.rs")), "panels::map2d");
    assert_eq!(module_of(Path::new("state/view.rs")), "state");
    assert_eq!(module_of(Path::new("lib.rs")), "crate");
}

#[test]
fn no_source_file_is_over_800_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 800).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by panel or topic:\n{}", long.join("\n"));
}
