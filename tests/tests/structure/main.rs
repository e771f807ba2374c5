//! The workspace's structure, checked from its sources: in every crate, modules depend only downwards and never in
//! a circle; crates depend only on crates below them; no source file passes 800 lines and no function ~120 (tests
//! excluded). The layers are written here and in ARCHITECTURE.md; a module that is in neither fails the test.

mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use scan::{
    blank_literals, find_circles, is_test_file, long_functions, module_path, module_paths, sources, without_tests,
};

/// The longest a source file may be.
const MAX_FILE_LINES: usize = 800;
/// The longest a function may be.
const MAX_FN_LINES: usize = 120;

/// One crate's rules: its modules' layers, lowest first (a module may use its own layer and those below), and
/// the folders whose children are modules of their own (`panels::feed`) rather than parts of one.
struct Rules {
    dir: &'static str,
    layers: &'static [&'static [&'static str]],
    containers: &'static [&'static str],
}

/// The crates, lowest first: a crate may depend only on crates earlier in this list.
const CRATES: &[Rules] = &[
    Rules { dir: "app/core", layers: CORE_LAYERS, containers: &[] },
    Rules { dir: "app/package", layers: &[], containers: &[] },
    Rules { dir: "app/demo", layers: DEMO_LAYERS, containers: &[] },
    Rules { dir: "app/render", layers: RENDER_LAYERS, containers: &[] },
    Rules { dir: "app/store", layers: STORE_LAYERS, containers: &[] },
    Rules { dir: "app/sync", layers: SYNC_LAYERS, containers: &[] },
    Rules { dir: "app/desktop", layers: DESKTOP_LAYERS, containers: &["panels", "services"] },
    Rules { dir: "tests", layers: &[], containers: &[] },
];

/// Core: the leaf types first (ids, levels, roles, limits, time), the event and the district on them, then the
/// rules that read several of those, then the protocol and the checks at the edge.
const CORE_LAYERS: &[&[&str]] = &[
    &["time", "ids", "level", "limits", "case_number", "planar", "address", "geom"],
    &["units", "role"],
    &["event", "spatial", "import"],
    &["worker", "assess", "sensors", "place", "scenario", "report"],
    &["patrol", "search"],
    &["situation"],
    &["routing", "coverage", "scope"],
    &["sync"],
    &["validate", "replay"],
    &["testing"],
];
const DEMO_LAYERS: &[&[&str]] =
    &[&["catalog", "names", "geometry"], &["district_gen", "sim", "history", "sensors"], &["city", "tracks"]];
const RENDER_LAYERS: &[&[&str]] = &[&["buildings", "camera"], &["scene"], &["gpu"], &["bench"]];
const STORE_LAYERS: &[&[&str]] = &[&["tls", "api", "cache"], &["link"]];
/// The server: storage and fan-out, then the rooms and the single writer, then what submits through the writer,
/// then the HTTP edge.
const SYNC_LAYERS: &[&[&str]] = &[
    &["error", "db", "hub", "conn", "guard", "audit", "tls", "framing"],
    &["units", "tokens", "answer"],
    &["writer", "enrol"],
    &["reference", "sensors", "sla", "patrol"],
    &["demo"],
    &["scoped"],
    &["stream"],
    &["http"],
];
const DESKTOP_LAYERS: &[&[&str]] =
    &[&["i18n", "theme"], &["format", "wall"], &["services"], &["state"], &["panels", "tour"], &["app"]];

/// What the check found wrong in one crate.
#[derive(Debug, Default)]
struct Findings {
    /// Every module that uses another (at the crate's granularity).
    modules: BTreeSet<String>,
    circles: Vec<String>,
    upward: Vec<String>,
    long_files: Vec<String>,
    long_fns: Vec<String>,
}

impl Findings {
    fn is_empty(&self) -> bool {
        self.circles.is_empty() && self.upward.is_empty() && self.long_files.is_empty() && self.long_fns.is_empty()
    }
}

/// The module a path names, at the crate's granularity (`["panels", "feed", "x"]` → `panels::feed`).
fn unit_of(path: &[String], rules: &Rules) -> Option<String> {
    let top = path.first()?;
    match path.get(1) {
        Some(child) if rules.containers.contains(&top.as_str()) && child.chars().all(|c| !c.is_uppercase()) => {
            Some(format!("{top}::{child}"))
        }
        _ => Some(top.clone()),
    }
}

fn layer_of(unit: &str, rules: &Rules) -> Option<usize> {
    let top = unit.split("::").next().unwrap_or(unit);
    rules.layers.iter().position(|l| l.contains(&unit) || l.contains(&top))
}

/// Checks one crate's `src`: module circles, upward uses, long files and long functions.
fn check_crate(src: &Path, rules: &Rules) -> Findings {
    let mut found = Findings::default();
    let files = sources(src);
    // The crate's top-level modules, and the names its root re-exports (`pub use event::Event` → event).
    let modules: BTreeSet<String> =
        files.iter().filter_map(|f| module_path(f.strip_prefix(src).ok()?).first().cloned()).collect();
    let mut reexports: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for root in ["lib.rs", "main.rs"] {
        let Ok(text) = std::fs::read_to_string(src.join(root)) else { continue };
        let text = blank_literals(&text);
        for stmt in text.split("pub use ").skip(1) {
            let stmt = &stmt[..stmt.find(';').unwrap_or(stmt.len())];
            for path in module_paths(&format!("crate::{stmt}"), &[]) {
                if path.first().is_some_and(|m| modules.contains(m))
                    && let Some(name) = path.last()
                {
                    reexports.insert(name.clone(), path);
                }
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Ok(rel) = file.strip_prefix(src) else { continue };
        let Ok(raw) = std::fs::read_to_string(file) else { continue };
        let text = blank_literals(&raw);
        let here = module_path(rel);
        let test_file = is_test_file(rel);
        if !test_file {
            let n = raw.lines().count();
            if n > MAX_FILE_LINES {
                found.long_files.push(format!("{} has {n} lines", rel.display()));
            }
            for (name, line, lines) in long_functions(&text, MAX_FN_LINES) {
                found.long_fns.push(format!("{}:{line} fn {name} has {lines} lines", rel.display()));
            }
        }
        let Some(from) = unit_of(&here, rules) else { continue };
        if test_file {
            continue;
        }
        for mut path in module_paths(&without_tests(&text), &here) {
            if path.first().is_some_and(|m| !modules.contains(m)) {
                match path.first().and_then(|name| reexports.get(name)) {
                    Some(real) => path = real.clone(),
                    None => continue, // an item of the crate root itself
                }
            }
            let Some(to) = unit_of(&path, rules) else { continue };
            if to == from {
                continue;
            }
            match (layer_of(&from, rules), layer_of(&to, rules)) {
                (Some(a), Some(b)) if b > a => found.upward.push(format!(
                    "{} ({from}) uses {} ({to}), a higher layer",
                    rel.display(),
                    path.join("::")
                )),
                (None, _) => found.upward.push(format!("module {from} has no layer in tests/tests/structure")),
                _ => {}
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    if std::env::var_os("STRUCTURE_GRAPH").is_some() {
        eprintln!("{}: {edges:#?}", src.display());
    }
    found.modules = edges.keys().cloned().collect();
    for circle in find_circles(&edges) {
        // Each module of the circle with what it uses inside it, so the edge to cut can be read off.
        let parts: Vec<String> = circle
            .iter()
            .map(|m| {
                let inside: Vec<&str> = edges[m].iter().filter(|t| circle.contains(t)).map(String::as_str).collect();
                format!("{m} → {}", inside.join(", "))
            })
            .collect();
        found.circles.push(parts.join("; "));
    }
    found.upward.sort();
    found.upward.dedup();
    found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace holds tests/").to_path_buf()
}

/// The `pingan-*` crates a Cargo.toml names under `[dependencies]` (dev-dependencies may reach anywhere).
fn pingan_dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && line.starts_with("pingan-") {
            out.push(line.split(['.', ' ', '=']).next().unwrap_or(line).to_string());
        }
    }
    out
}

#[test]
fn every_crate_depends_downwards_without_circles_or_oversized_code() {
    let root = workspace();
    let mut report = Vec::new();
    for rules in CRATES {
        let found = check_crate(&root.join(rules.dir).join("src"), rules);
        if !found.is_empty() {
            let Findings { circles, upward, long_files, long_fns, .. } = &found;
            report.push(format!("{}: {:#?}", rules.dir, (circles, upward, long_files, long_fns)));
        }
    }
    assert!(report.is_empty(), "structure:\n{}", report.join("\n"));
    // The desktop's panels are modules of their own that read the state.
    let desktop = CRATES.iter().find(|r| r.dir == "app/desktop").expect("the desktop");
    let found = check_crate(&root.join(desktop.dir).join("src"), desktop);
    for panel in ["header", "feed", "detail", "dashboard", "map2d", "map3d", "import", "toolbar", "status"] {
        assert!(found.modules.contains(&format!("panels::{panel}")), "panels::{panel} is a module that uses the state");
    }
}

#[test]
fn crates_depend_only_on_crates_below_them() {
    let root = workspace();
    let names: Vec<String> = CRATES
        .iter()
        .map(|r| {
            let manifest = std::fs::read_to_string(root.join(r.dir).join("Cargo.toml")).expect("a manifest");
            let name = manifest.lines().find_map(|l| l.strip_prefix("name = ")).expect("a name");
            name.trim_matches('"').to_string()
        })
        .collect();
    for (i, rules) in CRATES.iter().enumerate() {
        let manifest = std::fs::read_to_string(root.join(rules.dir).join("Cargo.toml")).expect("a manifest");
        for dep in pingan_dependencies(&manifest) {
            let at = names.iter().position(|n| *n == dep).unwrap_or(usize::MAX);
            assert!(at < i, "{} depends on {dep}, which is not below it", names[i]);
        }
    }
}

/// The fixture crate (`tests/fixtures/structure`): a circle (a → b → a) and an upward use (low uses high); the test
/// adds a 900-line file with a 150-line function to a copy of it. Each check must find its defect there.
#[test]
fn the_checks_fail_on_a_fixture_with_each_defect() {
    let fixture = workspace().join("tests/fixtures/structure/src");
    let src = std::env::temp_dir().join(format!("pingan-structure-fixture-{}", std::process::id()));
    copy_dir(&fixture, &src);
    let mut big = String::from("//! Too long, with one function too long.\npub fn oversized() {\n");
    big += &(0..150).map(|i| format!("    let _x{i} = {i};\n")).collect::<String>();
    big += "}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn in_a_test() {\n";
    big += &(0..200).map(|i| format!("        let _y{i} = {i};\n")).collect::<String>();
    big += "    }\n}\n";
    big += &(0..500).map(|i| format!("pub const C{i}: u32 = {i};\n")).collect::<String>();
    std::fs::write(src.join("big.rs"), big).expect("write the oversized file");
    let rules = Rules { dir: "fixture", layers: &[&["low", "a", "b", "big"], &["high"]], containers: &[] };
    let found = check_crate(&src, &rules);
    std::fs::remove_dir_all(&src).ok(); // a temp dir: nothing depends on its removal
    assert_eq!(found.circles.len(), 1, "{found:#?}");
    assert_eq!(found.circles[0], "a → b; b → a", "{found:#?}");
    assert!(found.upward.iter().any(|u| u.contains("(low) uses high::")), "{found:#?}");
    assert!(found.long_files.iter().any(|f| f.starts_with("big.rs")), "{found:#?}");
    assert!(found.long_fns.iter().any(|f| f.contains("fn oversized")), "{found:#?}");
    assert!(!found.long_fns.iter().any(|f| f.contains("fn in_a_test")), "tests are excluded: {found:#?}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a temp dir");
    for entry in std::fs::read_dir(from).expect("the fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a fixture file");
        }
    }
}

#[test]
fn paths_resolve_as_rust_reads_them() {
    let here: Vec<String> = ["panels", "feed"].map(String::from).to_vec();
    let text = blank_literals(
        "use crate::{format, state::{AppState, x}};\nuse super::labels::Y; // crate::not_this\nlet s = \"crate::nor_this\"; let c = '{';\nself::inner::f(); super::super::app::run();",
    );
    let got: Vec<String> = module_paths(&text, &here).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        got,
        ["format", "state::AppState", "state::x", "panels::labels::Y", "app::run", "panels::feed::inner::f"]
    );
    assert_eq!(module_path(Path::new("search/mod.rs")), ["search"]);
    assert_eq!(module_path(Path::new("lib.rs")), Vec::<String>::new());
    let lifetimes = blank_literals("fn f<'a>(x: &'a str) -> char { '}' }");
    assert_eq!(long_functions(&lifetimes, 0).len(), 1);
}

/// Whether `text` (blanked source) defines `name`: an item (`fn`, `struct`, `enum`, `trait`, `type`, `const`,
/// `static`, `mod`, `macro_rules!`) or an `impl` of it.
fn defines(text: &str, name: &str) -> bool {
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!')).collect();
    words.windows(2).any(|w| {
        w[1] == name
            && matches!(w[0], "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "mod" | "impl" | "for")
    }) || text.contains(&format!("macro_rules! {name}"))
}

/// Every `` `path/to/file.rs::Item::item` `` the text names: the file and the items after it.
fn named_items(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (i, chunk) in markdown.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        let Some(at) = chunk.find(".rs") else { continue };
        let (file, rest) = chunk.split_at(at + 3);
        if file.contains(' ') || !file.contains('/') {
            continue;
        }
        let items = rest.strip_prefix("::").map_or_else(Vec::new, |r| {
            r.split("::").map(|s| s.trim_end_matches("()").to_string()).filter(|s| !s.is_empty()).collect()
        });
        out.push((file.to_string(), items));
    }
    out
}

#[test]
fn architecture_names_only_what_exists() {
    let root = workspace();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let index = text.split("## Where is").nth(1).expect("a \"Where is …\" index");
    let named = named_items(&text);
    assert!(named_items(index).len() >= 30, "the index points at ~30 behaviours");
    let mut missing = Vec::new();
    for (file, items) in &named {
        let Ok(src) = std::fs::read_to_string(root.join(file)) else {
            missing.push(format!("{file}: no such file"));
            continue;
        };
        let src = blank_literals(&src);
        for item in items {
            if !defines(&src, item) {
                missing.push(format!("{file}: no item {item}"));
            }
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md names what is not there:\n{}", missing.join("\n"));
    // Every crate of the workspace has its paragraph.
    for rules in CRATES {
        assert!(text.contains(&format!("`{}`", rules.dir)), "ARCHITECTURE.md describes {}", rules.dir);
    }
}

#[test]
fn the_index_check_finds_a_missing_item() {
    let named = named_items("see `app/core/src/routing/mod.rs::RoutingConfig::sla_due` and `Cargo.toml`");
    assert_eq!(named, [("app/core/src/routing/mod.rs".to_string(), vec!["RoutingConfig".into(), "sla_due".into()])]);
    let src = blank_literals("pub struct A; impl A { pub fn b() {} } // fn c");
    assert!(defines(&src, "A") && defines(&src, "b"));
    assert!(!defines(&src, "c"), "a comment defines nothing");
}
