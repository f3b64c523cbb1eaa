//! The house rule: imports only point down, and no ring imports another.
//!
//! Reads every file under `src/` and checks each `crate::<module>` it names
//! against the layer table below. A lower layer naming a higher one (the
//! domain reaching for `crate::http`, the wire format for a ring) or one
//! ring naming a sibling fails with the file and line, so the shape the
//! README draws stays the shape of the code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top-level modules by floor; a module may import its own floor's
/// non-ring neighbours and anything below. Rings share a floor but may not
/// import each other.
const LAYERS: &[(&str, u32)] = &[
    ("domain", 0),
    ("store", 1),
    ("metrics", 1),
    ("writer", 2),
    ("app", 2),
    ("verify", 2),
    ("wire", 3),
    ("tokens", 3),
    ("http", 4),
    ("transfer", 4),
    ("webhooks", 4),
    ("demo", 4),
    ("synth", 4),
    ("server", 5),
    ("config", 5),
];

/// Floor 4: each of these is a ring that must not import another.
const RINGS: &[&str] = &["http", "transfer", "webhooks", "demo", "synth"];

/// Who may import whom on the same floor below the rings (the core's own
/// order: `writer` folds with `app`'s replay on recovery, `app` opens the
/// writer, `verify` reads what `app` replays).
const SAME_FLOOR: &[(&str, &str)] = &[
    ("writer", "app"),
    ("app", "writer"),
    ("app", "verify"),
    ("verify", "app"),
];

fn floor(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`src/http/live/hub.rs`
/// is `http`), or `None` for the crate root and the binaries.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    match name.as_str() {
        "lib" | "main" | "bin" => None,
        _ => Some(name),
    }
}

/// Every top-level module a line of Rust names as `crate::<module>`,
/// including inside `use crate::{a, b}` groups.
fn named_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// The violations of one file, as `path:line: a imports b (why)`.
fn violations(src: &Path, file: &Path, text: &str) -> Vec<String> {
    let Some(me) = module_of(src, file) else {
        return Vec::new();
    };
    let Some(my_floor) = floor(&me) else {
        return vec![format!(
            "{}: module `{me}` is in no layer; add it to LAYERS in tests/layers.rs",
            file.display()
        )];
    };
    // Unit tests may drive a layer through a higher one (store tests
    // replay through `app` to prove what they wrote): the rule is for the
    // code that ships, so test modules and test files are not read.
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        for other in named_modules(code) {
            if other == me {
                continue;
            }
            let Some(their_floor) = floor(&other) else {
                continue;
            };
            let why = if their_floor > my_floor {
                Some("a lower layer imports a higher one")
            } else if their_floor == my_floor && RINGS.contains(&me.as_str()) {
                Some("one ring imports another")
            } else if their_floor == my_floor
                && !SAME_FLOOR.contains(&(me.as_str(), other.as_str()))
            {
                Some("same floor, not an allowed neighbour")
            } else {
                None
            };
            if let Some(why) = why {
                out.push(format!(
                    "{}:{}: `{me}` imports `{other}` ({why})",
                    file.display(),
                    n + 1
                ));
            }
        }
    }
    out
}

#[test]
fn imports_only_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut per_module: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        if let Some(m) = module_of(&src, file) {
            *per_module.entry(m).or_default() += 1;
        }
        problems.extend(violations(&src, file, &text));
    }
    // The guard is only worth something if it read the house.
    for (m, _) in LAYERS {
        assert!(
            per_module.contains_key(*m),
            "module `{m}` has no file under src/"
        );
    }
    assert!(
        problems.is_empty(),
        "imports that break the layers:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_guard_catches_a_back_import_and_a_ring_import() {
    let src = Path::new("/x/src");
    let domain = src.join("domain/board.rs");
    let wire = src.join("wire/event.rs");
    let webhooks = src.join("webhooks/mod.rs");
    assert_eq!(
        violations(src, &domain, "use crate::http::Api;").len(),
        1,
        "domain importing http"
    );
    assert_eq!(
        violations(src, &wire, "use crate::{domain::time, transfer::Row};").len(),
        1,
        "wire importing a ring inside a use group"
    );
    assert_eq!(
        violations(src, &webhooks, "let x = crate::http::auth::access;").len(),
        1,
        "one ring importing another"
    );
    assert!(violations(
        src,
        &webhooks,
        "use crate::wire::error::ApiError; // crate::http"
    )
    .is_empty());
    assert!(violations(src, &domain, "use crate::domain::time::Day;").is_empty());
    assert!(violations(src, &domain, "#[cfg(test)]\nuse crate::http::Api;").is_empty());
}
