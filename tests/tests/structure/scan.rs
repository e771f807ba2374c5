//! Reading Rust sources without a parser: comments and literals blanked, `crate::`/`super::`/`self::` paths
//! resolved to the module they name, and the length of every non-test function.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src` with comments, string and char literals replaced by spaces (newlines kept, so line numbers hold).
pub fn blank_literals(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or('\0');
        if c == '/' && next == '/' {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == '*' {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == 'r')) && !prev_is_ident(&b, i) && raw_string_start(&b, i).is_some()
        {
            let (hashes, body) = raw_string_start(&b, i).unwrap_or((0, i));
            for _ in i..body {
                out.push(' ');
            }
            i = body;
            while i < b.len() {
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the former is blanked.
            let close = if next == '\\' {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    for _ in i..=end {
                        out.push(' ');
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// At `r"`, `r#"`, `br##"`…: the number of hashes and where the body starts.
fn raw_string_start(b: &[char], i: usize) -> Option<(usize, usize)> {
    let mut k = if b[i] == 'b' { i + 2 } else { i + 1 };
    let mut hashes = 0;
    while b.get(k) == Some(&'#') {
        hashes += 1;
        k += 1;
    }
    (b.get(k) == Some(&'"')).then_some((hashes, k + 1))
}

/// `text` (already blanked) with its `#[cfg(test)]` items blanked too: test code may use anything.
pub fn without_tests(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = text.to_string().into_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("#[cfg(test)]") {
        let at = from + found;
        from = at + "#[cfg(test)]".len();
        let Some(open) = text[from..].find(['{', ';']).map(|o| from + o) else { break };
        let end = if bytes[open] == b'{' { matching_brace(bytes, open) } else { open };
        for b in &mut out[at..=end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The module path of a source file under `src` (`event.rs` → `["event"]`, `search/mod.rs` → `["search"]`,
/// `lib.rs` → `[]`).
pub fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") || parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.pop();
    }
    if parts.first().is_some_and(|p| p == "bin") {
        // `src/bin/x.rs` is a crate root of its own.
        parts.clear();
    }
    parts
}

/// Every path that starts with `crate::`, `super::` or `self::` in (blanked) `text`, resolved against the file's
/// module path to an absolute path of segments (grouped uses expanded).
pub fn module_paths(text: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = text[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':') {
                continue;
            }
            // The whole relative path: `super::super::x::{a, b}`.
            let rest = &text[at..];
            let mut base: Vec<String> = Vec::new();
            let mut tail = rest;
            let mut first = true;
            loop {
                if let Some(t) = tail.strip_prefix("crate::").filter(|_| first) {
                    base.clear();
                    tail = t;
                } else if let Some(t) = tail.strip_prefix("self::").filter(|_| first) {
                    base = here.to_vec();
                    tail = t;
                } else if let Some(t) = tail.strip_prefix("super::") {
                    if first {
                        base = here.to_vec();
                    }
                    base.pop();
                    tail = t;
                } else {
                    break;
                }
                first = false;
            }
            for item in expand(tail) {
                let mut p = base.clone();
                p.extend(item);
                out.push(p);
            }
        }
    }
    out
}

/// `a::b::{c, d::e}` → `[[a, b, c], [a, b, d, e]]` (one level of grouping is enough for what modules name).
fn expand(s: &str) -> Vec<Vec<String>> {
    let head_end = s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(s.len());
    let head: Vec<String> = s[..head_end].split("::").filter(|x| !x.is_empty()).map(str::to_string).collect();
    let Some(group) = s[head_end..].strip_prefix('{').filter(|_| s[..head_end].ends_with("::") || head_end == 0) else {
        return vec![head];
    };
    let mut items = Vec::new();
    let (mut depth, mut item) = (0, String::new());
    for ch in group.chars() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(ch);
    }
    items.push(item);
    items
        .iter()
        .flat_map(|i| expand(i.trim()))
        .map(|tail| head.iter().cloned().chain(tail).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Every `.rs` file under `dir`, sorted.
pub fn sources(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// True for a file that holds only tests (`tests.rs`, `…/tests/…`).
pub fn is_test_file(rel: &Path) -> bool {
    rel.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs")
}

/// The functions longer than `max` lines in (blanked) `text`, outside `#[cfg(test)]` blocks and `#[test]`s:
/// `(name, first line, lines)`.
pub fn long_functions(text: &str, max: usize) -> Vec<(String, usize, usize)> {
    let bytes = text.as_bytes();
    let line_of = |at: usize| text[..at].bytes().filter(|&b| b == b'\n').count() + 1;
    // Spans of test-only code to skip.
    let mut skip: Vec<(usize, usize)> = Vec::new();
    for marker in ["#[cfg(test)]", "#[test]"] {
        let mut from = 0;
        while let Some(found) = text[from..].find(marker) {
            let at = from + found;
            from = at + marker.len();
            if let Some(open) = text[from..].find(['{', ';']).map(|o| from + o)
                && bytes[open] == b'{'
            {
                skip.push((at, matching_brace(bytes, open)));
            }
        }
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("fn ") {
        let at = from + found;
        from = at + 3;
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        if skip.iter().any(|&(a, b)| at >= a && at <= b) {
            continue;
        }
        let name: String = text[from..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if name.is_empty() {
            continue;
        }
        // The body: the first `{` outside the signature's parentheses and angle brackets, unless a `;` ends it.
        let mut k = from;
        let mut paren = 0i32;
        while k < bytes.len() {
            match bytes[k] {
                b'(' | b'[' => paren += 1,
                b')' | b']' => paren -= 1,
                b';' if paren == 0 => break,
                b'{' if paren == 0 => break,
                _ => {}
            }
            k += 1;
        }
        if k >= bytes.len() || bytes[k] != b'{' {
            continue;
        }
        let end = matching_brace(bytes, k);
        let lines = line_of(end) - line_of(at) + 1;
        if lines > max {
            out.push((name, line_of(at), lines));
        }
    }
    out
}

fn matching_brace(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    for (k, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    bytes.len().saturating_sub(1)
}

/// Every circle in a directed graph: its strongly connected components of more than one node, each sorted.
pub fn find_circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm; the graphs are a few dozen modules, so recursion depth is no concern.
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, m: &'a str) {
        let n = w.index.len();
        w.index.insert(m, n);
        w.low.insert(m, n);
        w.stack.push(m);
        w.on_stack.insert(m);
        let edges = w.edges;
        for next in edges.get(m).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[m].min(w.low[next]);
                w.low.insert(m, low);
            } else if w.on_stack.contains(next) {
                let low = w.low[m].min(w.index[next]);
                w.low.insert(m, low);
            }
        }
        if w.low[m] == w.index[m] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                w.on_stack.remove(top);
                component.push(top.to_string());
                if top == m {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.out.push(component);
            }
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for m in edges.keys() {
        if !w.index.contains_key(m.as_str()) {
            visit(&mut w, m);
        }
    }
    w.out
}
