//! The role matrix: every endpoint (webhooks and the live socket included)
//! × {no token, screen, seller, another seller, leader, a bad token} → the
//! expected status, per the access table in `src/http/auth.rs`, against the
//! real binary with
//! tokens made by `crossboard token create`. Plus: the envelope's actor is
//! the token's identity, 401/403 use the error shape, the live socket takes
//! `?token=`, `--public-boards`, `--demo` tokens, the bootstrap leader from
//! the environment, and revocation.

mod common;

use common::run_cli as cli;

use serde_json::{json, Value};

const ROLES: [&str; 6] = ["none", "screen", "seller", "other", "leader", "bad"];

/// A well-formed secret no token has.
const BAD_TOKEN: &str = "cb_0000000000000000000000000000000000000000000000000000000000000000";

/// RFC 3339 time `days` from now: no outcome may depend on today's date.
fn days_from_now(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

fn create_token(data: &str, args: &[&str]) -> String {
    let mut all = vec!["token", "create", "--data", data];
    all.extend_from_slice(args);
    let (ok, out, err) = cli(&all);
    assert!(ok, "{out}{err}");
    assert!(err.contains("shown once"), "{err}");
    let secret = out.trim().to_string();
    assert!(secret.starts_with("cb_") && !secret.contains('\n'), "{out}");
    secret
}

struct Tokens {
    screen: String,
    anna: String,
    bo: String,
    leader: String,
}

impl Tokens {
    fn of(&self, role: &str) -> Option<&str> {
        match role {
            "screen" => Some(&self.screen),
            "seller" => Some(&self.anna),
            "other" => Some(&self.bo),
            "leader" => Some(&self.leader),
            "bad" => Some(BAD_TOKEN),
            _ => None,
        }
    }
}

async fn call(
    c: &reqwest::Client,
    s: &common::Server,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut r = c.request(method, s.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    let res = r.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A request body for a role.
type Body = Box<dyn Fn(&str) -> Value>;

/// One row of the matrix: a request (its body may depend on the role, so
/// that every accepted append is new) and the status for each role.
struct Case {
    method: &'static str,
    path: String,
    body: Option<Body>,
    headers: Vec<(&'static str, String)>,
    expect: [u16; 6],
}

fn case(method: &'static str, path: &str, expect: [u16; 6]) -> Case {
    Case {
        method,
        path: path.into(),
        body: None,
        headers: Vec::new(),
        expect,
    }
}

fn with(
    method: &'static str,
    path: &str,
    body: impl Fn(&str) -> Value + 'static,
    expect: [u16; 6],
) -> Case {
    Case {
        body: Some(Box::new(body)),
        ..case(method, path, expect)
    }
}

fn event(ty: &str, data: Value) -> Value {
    json!({"type": ty, "data": data})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_role() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let tokens = Tokens {
        leader: create_token(d, &["--role", "leader", "--label", "ops"]),
        screen: create_token(d, &["--role", "screen"]),
        anna: create_token(d, &["--role", "seller", "--seller", "anna"]),
        bo: create_token(d, &["--role", "seller", "--seller", "bo"]),
    };
    let (ok, out, _) = cli(&["token", "list", "--data", d]);
    assert!(ok);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.contains("seller  anna") && out.contains("ops"), "{out}");
    for t in [&tokens.leader, &tokens.screen, &tokens.anna] {
        assert!(!out.contains(&t[3..]), "token list shows a secret");
    }

    let s = common::Server::start(&data);
    let c = common::client();
    let leader = Some(tokens.leader.as_str());
    for body in [
        event("division_created", json!({"id": "d1", "name": "D1"})),
        event("division_created", json!({"id": "d2", "name": "D2"})),
        event(
            "seller_joined",
            json!({"id": "anna", "name": "Anna", "division": "d1"}),
        ),
        event(
            "seller_joined",
            json!({"id": "bo", "name": "Bo", "division": "d2"}),
        ),
        event(
            "lead_given",
            json!({"lead": "L1", "from": "anna", "to_division": "d2", "customer": "Acme"}),
        ),
        event(
            "meeting_held",
            json!({"seller": "anna", "customer": "Acme"}),
        ),
    ] {
        let (code, b) = call(&c, &s, leader, "POST", "/api/v1/events", Some(&body), &[]).await;
        assert_eq!(code, 201, "{b}");
    }
    let (code, b) = call(
        &c,
        &s,
        leader,
        "POST",
        "/api/v1/competitions",
        Some(
            &json!({"id": "c1", "name": "Cup", "start": days_from_now(-30),
                     "end": days_from_now(300), "divisions": ["d1", "d2"], "scoring": "sum"}),
        ),
        &[],
    )
    .await;
    assert_eq!(code, 201, "{b}");
    // A webhook for the DELETE row: only the leader's DELETE may remove it.
    let (code, hook) = call(
        &c,
        &s,
        leader,
        "POST",
        "/api/v1/webhooks",
        Some(&json!({"url": "https://hooks.example.com/setup"})),
        &[],
    )
    .await;
    assert_eq!(code, 201, "{hook}");
    let hook_id = hook["id"].as_str().expect("webhook id").to_string();

    // Columns: none, screen, seller, other, leader, bad token. A bad token
    // is refused wherever a token is needed and ignored on public routes.
    let board = [401, 200, 200, 200, 200, 401];
    let read = [401, 403, 200, 200, 200, 401];
    let anna_only = [401, 403, 201, 403, 201, 401];
    let bo_only = [401, 403, 403, 201, 201, 401];
    let leader_201 = [401, 403, 403, 403, 201, 401];
    let leader_200 = [401, 403, 403, 403, 200, 401];
    let leader_204 = [401, 403, 403, 403, 204, 401];
    let open = [200; 6];
    let cases = vec![
        case("GET", "/healthz", open),
        case("GET", "/metrics", open),
        case("GET", "/", open),
        case("GET", "/wall", open),
        case("GET", "/admin", open),
        case("GET", "/assets/app.js", open),
        case("GET", "/nope", [404; 6]),
        case("GET", "/api/v1/openapi.json", open),
        case("GET", "/api/v1/webhooks", leader_200),
        with(
            "POST",
            "/api/v1/webhooks",
            |r| json!({"url": format!("https://hooks.example.com/{r}")}),
            leader_201,
        ),
        case("DELETE", &format!("/api/v1/webhooks/{hook_id}"), leader_204),
        case("GET", "/api/v1/boards/sellers?window=all", board),
        case("GET", "/api/v1/boards/divisions", board),
        case("GET", "/api/v1/boards/competition:c1", board),
        case("GET", "/api/v1/competitions", board),
        case("GET", "/api/v1/competitions/c1", board),
        case("GET", "/api/v1/collaboration", board),
        case("GET", "/api/v1/matrix?window=all", board),
        case("GET", "/api/v1/forum", board),
        case("GET", "/forum", open),
        case("GET", "/api/v1/leads", read),
        case("GET", "/api/v1/boards/quality?window=all", board),
        case("GET", "/api/v1/knowledge?window=all", board),
        with(
            "POST",
            "/api/v1/events",
            |_| {
                event(
                    "knowledge_shared",
                    json!({"presenter": "anna", "audience_division": "d2", "topic": "Pumps"}),
                )
            },
            anna_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "lead_given",
                    json!({"lead": format!("LQ-{r}"), "from": "anna", "to_division": "d2",
                           "customer": "Acme", "need": "pumps", "timing": "now", "contact": "Eva"}),
                )
            },
            anna_only,
        ),
        case("GET", "/api/v1/events", read),
        case("GET", "/api/v1/sellers", read),
        case("GET", "/api/v1/sellers/anna", read),
        case("GET", "/api/v1/divisions", read),
        case("GET", "/api/v1/rules", read),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "meeting_held",
                    json!({"seller": "anna", "customer": format!("C {r}")}),
                )
            },
            anna_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "lead_given",
                    json!({"lead": format!("L-{r}"), "from": "anna", "to_division": "d2",
                           "customer": "Acme"}),
                )
            },
            anna_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "order_closed",
                    json!({"order": format!("O-{r}"), "seller": "anna", "customer": "Acme",
                           "amount": 1000, "currency": "SEK"}),
                )
            },
            anna_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |_| {
                event(
                    "joint_visit",
                    json!({"host": "anna", "guests": ["bo"], "customer": "Acme"}),
                )
            },
            anna_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |_| {
                event(
                    "joint_visit",
                    json!({"host": "bo", "guests": ["anna"], "customer": "Acme"}),
                )
            },
            bo_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                let status = if r == "leader" {
                    "meeting_booked"
                } else {
                    "contacted"
                };
                event(
                    "lead_feedback",
                    json!({"lead": "L1", "by": "bo", "status": status}),
                )
            },
            bo_only,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "division_created",
                    json!({"id": format!("d-{r}"), "name": "New"}),
                )
            },
            leader_201,
        ),
        with(
            "POST",
            "/api/v1/events",
            |r| {
                event(
                    "seller_joined",
                    json!({"id": format!("s-{r}"), "name": "New", "division": "d1"}),
                )
            },
            leader_201,
        ),
        with(
            "POST",
            "/api/v1/events",
            |_| event("event_voided", json!({"seq": 6, "reason": "logged twice"})),
            leader_201,
        ),
        with(
            "POST",
            "/api/v1/rules/preview",
            |_| json!({"rules": {}}),
            leader_200,
        ),
        Case {
            headers: vec![("if-match", "0".into())],
            ..with(
                "PUT",
                "/api/v1/rules",
                |_| json!({"rules": {}, "retroactive": false}),
                leader_200,
            )
        },
        with(
            "POST",
            "/api/v1/competitions",
            |r| {
                json!({"id": format!("c-{r}"), "name": "Cup", "start": days_from_now(-30),
                       "end": days_from_now(300), "divisions": ["d1", "d2"]})
            },
            leader_201,
        ),
        with(
            "POST",
            "/api/v1/competitions/c1/close",
            |_| json!({}),
            leader_200,
        ),
        with(
            "POST",
            "/api/v1/events/batch",
            |r| {
                json!([event(
                    "division_created",
                    json!({"id": format!("b-{r}"), "name": "B"})
                )])
            },
            leader_200,
        ),
        case("GET", "/api/v1/export", leader_200),
        // Wrong method on a known route: closed before it is a 405.
        case("DELETE", "/api/v1/events", [401, 403, 403, 403, 405, 401]),
    ];

    let mut failures = Vec::new();
    for case in &cases {
        for (i, role) in ROLES.iter().enumerate() {
            let body = case.body.as_ref().map(|f| f(role));
            let headers: Vec<(&str, &str)> =
                case.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (code, b) = call(
                &c,
                &s,
                tokens.of(role),
                case.method,
                &case.path,
                body.as_ref(),
                &headers,
            )
            .await;
            if code != case.expect[i] {
                failures.push(format!(
                    "{} {} as {role}: {code}, expected {}: {b}",
                    case.method, case.path, case.expect[i]
                ));
            }
            if (code == 401 || code == 403) && !b["error"]["code"].is_string() {
                failures.push(format!(
                    "{} {} as {role}: {code} without the error shape: {b}",
                    case.method, case.path
                ));
            }
            let why = match *role {
                "none" => "missing_token",
                _ => "invalid_token",
            };
            if code == 401 && b["error"]["code"] != why {
                failures.push(format!(
                    "{} {} as {role}: 401 {b}, expected code {why}",
                    case.method, case.path
                ));
            }
        }
    }

    // The live socket is a board route: any token on `?token=`, none or a
    // bad one is a 401 (no --public-boards here).
    for (role, opens) in ROLES.iter().zip([false, true, true, true, true, false]) {
        match ws(&s, tokens.of(role)).await {
            Ok(()) if opens => {}
            Err(tokio_tungstenite::tungstenite::Error::Http(res))
                if !opens && res.status().as_u16() == 401 => {}
            Ok(()) => failures.push(format!("the live socket opened for {role}")),
            Err(e) => failures.push(format!("the live socket as {role}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Refused webhook calls changed nothing: the setup hook went with the
    // leader's DELETE only, and only the leader's POST added one.
    let (code, b) = call(&c, &s, leader, "GET", "/api/v1/webhooks", None, &[]).await;
    assert_eq!(code, 200, "{b}");
    let urls: Vec<&str> = b["webhooks"]
        .as_array()
        .expect("webhooks")
        .iter()
        .filter_map(|h| h["url"].as_str())
        .collect();
    assert_eq!(urls, ["https://hooks.example.com/leader"], "{b}");

    // A bad or malformed token is a 401 even where none is needed to read
    // a page, and a claim in the body changes nothing.
    for auth in ["Bearer cb_guessed", "Basic YW5uYTpwdw==", "Bearer"] {
        let (code, b) = call(
            &c,
            &s,
            None,
            "GET",
            "/api/v1/boards/sellers",
            None,
            &[("authorization", auth)],
        )
        .await;
        assert_eq!(code, 401, "{auth}: {b}");
        assert_eq!(b["error"]["code"], "invalid_token", "{b}");
    }

    // The actor is the token's identity.
    let events = {
        let (code, b) = call(
            &c,
            &s,
            leader,
            "GET",
            "/api/v1/events?limit=1000",
            None,
            &[],
        )
        .await;
        assert_eq!(code, 200, "{b}");
        b["events"].as_array().cloned().unwrap_or_default()
    };
    let actor_of = |customer: &str| {
        events
            .iter()
            .find(|e| e["data"]["customer"] == customer)
            .map(|e| e["actor"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(actor_of("C seller").as_deref(), Some("seller:anna"));
    let leader_actor = actor_of("C leader").unwrap_or_default();
    assert!(leader_actor.starts_with("leader:"), "{leader_actor}");
    // Token management is offline: sled locks the data dir.
    let (ok, _, err) = cli(&["token", "list", "--data", d]);
    assert!(
        !ok && err.contains("in use by another crossboard process"),
        "{err}"
    );
    drop(s);
    let (ok, list, _) = cli(&["token", "list", "--data", d]);
    assert!(ok);
    let leader_id = leader_actor.trim_start_matches("leader:");
    assert!(
        list.lines()
            .any(|l| l.starts_with(leader_id) && l.contains("leader")),
        "{list}"
    );
}

/// Opens the live socket, with `?token=` when given.
async fn ws(
    s: &common::Server,
    token: Option<&str>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut url = s.url("/api/v1/live").replacen("http://", "ws://", 1);
    if let Some(t) = token {
        url.push_str(&format!("?token={t}"));
    }
    tokio_tungstenite::connect_async(url).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_socket_public_boards_bootstrap_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let screen = create_token(d, &["--role", "screen"]);
    let bo = create_token(d, &["--role", "seller", "--seller", "bo"]);
    let boot = "a-long-bootstrap-secret-for-tests";
    let env = [("CROSSBOARD_LEADER_TOKEN", boot)];

    let s = common::Server::start_with(&data, &[], &env);
    let c = common::client();
    match ws(&s, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 401)
        }
        other => panic!(
            "the live socket opened without a token: {:?}",
            other.is_ok()
        ),
    }
    assert!(
        ws(&s, Some(&screen)).await.is_ok(),
        "screen token on the socket"
    );
    match ws(&s, Some("cb_nope")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 401)
        }
        other => panic!("a bad token opened the socket: {:?}", other.is_ok()),
    }
    // The bootstrap leader works; bo reads.
    let (code, b) = call(&c, &s, Some(boot), "GET", "/api/v1/export", None, &[]).await;
    assert_eq!(code, 200, "{b}");
    let (code, _) = call(&c, &s, Some(&bo), "GET", "/api/v1/events", None, &[]).await;
    assert_eq!(code, 200);
    drop(s);

    // Restarting with the same secret keeps one bootstrap token.
    let (ok, list, _) = cli(&["token", "list", "--data", d]);
    assert!(ok);
    assert_eq!(list.matches("CROSSBOARD_LEADER_TOKEN").count(), 1, "{list}");
    let bo_id = list
        .lines()
        .find(|l| l.contains(" bo "))
        .and_then(|l| l.split_whitespace().next())
        .expect("bo's token id")
        .to_string();
    let (ok, out, err) = cli(&["token", "revoke", &bo_id, "--data", d]);
    assert!(ok, "{out}{err}");
    let (ok, _, err) = cli(&["token", "revoke", "nope", "--data", d]);
    assert!(!ok && err.contains("no token with id"), "{err}");

    let s = common::Server::start_with(&data, &["--public-boards"], &env);
    let (code, _) = call(&c, &s, Some(&bo), "GET", "/api/v1/events", None, &[]).await;
    assert_eq!(code, 401, "a revoked token still works");
    let (code, b) = call(&c, &s, None, "GET", "/api/v1/boards/sellers", None, &[]).await;
    assert_eq!(code, 200, "--public-boards: {b}");
    let (code, _) = call(&c, &s, None, "GET", "/api/v1/events", None, &[]).await;
    assert_eq!(code, 401, "--public-boards opens boards only");
    assert!(
        ws(&s, None).await.is_ok(),
        "--public-boards opens the socket"
    );
    drop(s);

    // A guessable bootstrap secret is refused at start.
    let out = common::command()
        .args(["serve", "--addr", "127.0.0.1:0", "--data", d])
        .env("CROSSBOARD_LEADER_TOKEN", "short")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("too short"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_a_leader_a_seller_and_a_screen_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = common::Server::start_with(&data, &["--demo", "--demo-every", "100000"], &[]);
    let token = |role: &str| {
        s.demo_token(role)
            .unwrap_or_else(|| panic!("no {role} token in {:?}", s.banner))
    };
    let (leader, seller, screen) = (token("leader"), token("seller"), token("screen"));
    let c = common::client();
    let (code, _) = call(
        &c,
        &s,
        Some(&screen),
        "GET",
        "/api/v1/boards/sellers",
        None,
        &[],
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = call(&c, &s, Some(&screen), "GET", "/api/v1/events", None, &[]).await;
    assert_eq!(code, 403);
    let (code, _) = call(&c, &s, Some(&seller), "GET", "/api/v1/events", None, &[]).await;
    assert_eq!(code, 200);
    let (code, _) = call(&c, &s, Some(&leader), "GET", "/api/v1/export", None, &[]).await;
    assert_eq!(code, 200);
    let (code, _) = call(&c, &s, None, "GET", "/api/v1/boards/sellers", None, &[]).await;
    assert_eq!(code, 401);
}
