//! The OpenAPI document parses, declares the bearer scheme, and lists every
//! route the router serves: each `.route("<path>", <methods>)` found in
//! `src/` must be in the document with the same methods, and each
//! documented operation must reach a handler on the live server.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{client, get, Server};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// `(path, method)` of every literal-path `.route(...)` in the sources.
fn routes_in_source() -> BTreeSet<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read src").flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&p).expect("read source"));
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut out = BTreeSet::new();
    for text in files {
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            // The call's arguments, up to the matching parenthesis.
            let mut depth = 1;
            let mut end = call.len();
            for (i, ch) in call.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let args = &call[..end];
            rest = &call[end..];
            let args = args.trim_start();
            let Some(lit) = args.strip_prefix('"') else {
                continue; // a computed path (the web pages' loop)
            };
            let Some(close) = lit.find('"') else { continue };
            let path = &lit[..close];
            let handlers = &lit[close..];
            for m in METHODS {
                let needle = format!("{m}(");
                let mut from = 0;
                while let Some(i) = handlers[from..].find(&needle) {
                    let i = from + i;
                    let before = handlers[..i].chars().last().unwrap_or(' ');
                    if !(before.is_alphanumeric() || before == '_') {
                        out.insert((path.to_string(), m.to_string()));
                    }
                    from = i + needle.len();
                }
            }
        }
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((path.clone(), m.to_string()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_lists_every_route() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(&tmp.path().join("data"));
    let c = client();
    let (code, doc) = get(&c, &s.url("/api/v1/openapi.json")).await;
    assert_eq!(code, 200);
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{doc}"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["Error"].is_object());

    let served = routes_in_source();
    assert!(served.len() > 20, "{served:?}");
    let docs = documented(&doc);
    let missing: Vec<_> = served.difference(&docs).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    for page in ["/", "/wall", "/me", "/log", "/admin"] {
        assert!(
            docs.contains(&(page.to_string(), "get".to_string())),
            "{page}"
        );
    }

    // Every documented operation reaches a handler, not the fallbacks.
    for (path, method) in &docs {
        let url = s.url(
            &path
                .replace("{board}", "sellers")
                .replace('{', "x")
                .replace('}', ""),
        );
        let req = match method.as_str() {
            "get" => c.get(&url),
            "post" => c.post(&url),
            "put" => c.put(&url),
            "delete" => c.delete(&url),
            _ => c.patch(&url),
        };
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(
            !body.contains("no such endpoint"),
            "{method} {path} is documented but not served"
        );
        if path != "/api/v1/live" {
            assert!(status < 500, "{method} {path}: {status} {body}");
        }
        // Operations other than the public ones must declare the bearer scheme.
        let op = &doc["paths"][path][method];
        assert!(op["responses"]["default"].is_object(), "{method} {path}");
    }
}
