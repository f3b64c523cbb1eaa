//! People and access over HTTP: `GET /api/v1/me`, token admin for leaders
//! and one-time sign-in links, against the real binary. Token changes must
//! count at once, without a restart.

mod common;

use common::{client, client_with_token, get, post, Server};
use serde_json::{json, Value};

async fn demo() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(
        &dir.path().join("data"),
        &["--demo", "--demo-every", "3600"],
        &[],
    );
    (dir, s)
}

async fn delete(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = c.delete(url).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn me_tells_each_token_who_it_is() {
    let (_dir, s) = demo().await;
    let seller = s.demo_token("seller").expect("seller token");
    let (code, me) = get(&client_with_token(&seller), &s.url("/api/v1/me")).await;
    assert_eq!(code, 200, "{me}");
    assert_eq!(me["role"], "seller");
    let id = me["seller"]["id"].as_str().expect("seller id").to_string();
    // The same seller as the log knows, with its name and division.
    let leader = client_with_token(&s.demo_token("leader").unwrap());
    let (_, sellers) = get(&leader, &s.url("/api/v1/sellers")).await;
    let known = sellers["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .cloned()
        .expect("the token's seller is in the log");
    assert_eq!(me["seller"]["name"], known["name"]);
    assert_eq!(me["seller"]["division"], known["division"]);

    let (code, me) = get(&leader, &s.url("/api/v1/me")).await;
    assert_eq!((code, me["role"].as_str()), (200, Some("leader")), "{me}");
    assert!(me.get("seller").is_none(), "{me}");
    let screen = client_with_token(&s.demo_token("screen").unwrap());
    let (code, me) = get(&screen, &s.url("/api/v1/me")).await;
    assert_eq!((code, me["role"].as_str()), (200, Some("screen")), "{me}");
    let (code, _) = get(&client(), &s.url("/api/v1/me")).await;
    assert_eq!(code, 401, "no token, no answer");
}

#[tokio::test]
async fn only_leaders_manage_tokens_and_bad_input_names_the_field() {
    let (_dir, s) = demo().await;
    let leader = client_with_token(&s.demo_token("leader").unwrap());
    for role in ["seller", "screen"] {
        let c = client_with_token(&s.demo_token(role).unwrap());
        let (code, _) = get(&c, &s.url("/api/v1/tokens")).await;
        assert_eq!(code, 403, "{role} lists tokens");
        let (code, _) = post(&c, &s.url("/api/v1/tokens"), &json!({"role": "leader"})).await;
        assert_eq!(code, 403, "{role} creates a token");
        let (code, _) = delete(&c, &s.url("/api/v1/tokens/abc")).await;
        assert_eq!(code, 403, "{role} revokes a token");
    }
    let url = s.url("/api/v1/tokens");
    for (body, want) in [
        (json!({}), "role"),
        (json!({"role": "king"}), "role"),
        (json!({"role": "seller"}), "seller"),
        (json!({"role": "seller", "seller": "nobody-here"}), "seller"),
        (json!({"role": "screen", "seller": "anna"}), "seller"),
        (json!({"role": "screen", "label": 5}), "label"),
        (json!({"role": "screen", "colour": "red"}), "colour"),
    ] {
        let (code, err) = post(&leader, &url, &body).await;
        assert!((400..500).contains(&code), "{body} → {code} {err}");
        assert_eq!(field(&err), want, "{body} → {err}");
    }
    let r = leader
        .post(&url)
        .header("content-type", "text/plain")
        .body(r#"{"role":"screen"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = leader
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&json!({"role": "screen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "a foreign page may not mint tokens"
    );
    let (code, err) = delete(&leader, &s.url("/api/v1/tokens/no-such-token")).await;
    assert_eq!((code, field(&err)), (404, "id"), "{err}");
    let (code, err) = post(&client(), &s.url("/api/v1/signin"), &json!({"code": 7})).await;
    assert_eq!((code, field(&err)), (422, "code"), "{err}");
}

#[tokio::test]
async fn a_signin_link_works_once_and_a_revoked_token_is_refused_at_once() {
    let (_dir, s) = demo().await;
    let leader = client_with_token(&s.demo_token("leader").unwrap());
    let (_, sellers) = get(&leader, &s.url("/api/v1/sellers")).await;
    let seller = sellers["sellers"][1]["id"].as_str().unwrap().to_string();
    let (code, made) = post(
        &leader,
        &s.url("/api/v1/tokens"),
        &json!({"role": "seller", "seller": seller, "label": "phone"}),
    )
    .await;
    assert_eq!(code, 201, "{made}");
    let id = made["token"]["id"].as_str().unwrap().to_string();
    assert_eq!(made["token"]["status"], "pending");
    let code_ = made["signin"]["code"].as_str().unwrap().to_string();
    let path = made["signin"]["path"].as_str().unwrap();
    assert_eq!(path, format!("/log#signin={code_}"));
    assert!(
        !made["signin"]["url"].as_str().unwrap().contains('?'),
        "the code travels in the fragment, never in a query a server logs"
    );
    let size = made["qr"]["size"].as_u64().unwrap() as usize;
    let rows = made["qr"]["modules"].as_array().unwrap();
    assert!(size >= 21 && rows.len() == size, "{}", made["qr"]);
    assert!(rows.iter().all(|r| r.as_str().unwrap().len() == size));
    assert!(made["qr"]["svg"].as_str().unwrap().contains("<svg"));

    // Listed, without any secret.
    let (_, list) = get(&leader, &s.url("/api/v1/tokens")).await;
    let text = list.to_string();
    assert!(text.contains(&id) && !text.contains(&code_[4..]), "{list}");

    let anon = client();
    let (code, signed) = post(&anon, &s.url("/api/v1/signin"), &json!({"code": code_})).await;
    assert_eq!(code, 200, "{signed}");
    assert_eq!(signed["seller"]["id"], seller.as_str());
    let secret = signed["token"].as_str().unwrap().to_string();
    let (code, again) = post(&anon, &s.url("/api/v1/signin"), &json!({"code": code_})).await;
    assert_eq!(
        (code, field(&again)),
        (404, "code"),
        "a link works once: {again}"
    );

    let mine = client_with_token(&secret);
    let (code, me) = get(&mine, &s.url("/api/v1/me")).await;
    assert_eq!(
        (code, me["seller"]["id"].as_str()),
        (200, Some(seller.as_str())),
        "{me}"
    );
    let (code, del) = delete(&leader, &s.url(&format!("/api/v1/tokens/{id}"))).await;
    assert_eq!(code, 200, "{del}");
    let (code, _) = get(&mine, &s.url("/api/v1/me")).await;
    assert_eq!(code, 401, "revoked means refused on the next request");

    // The only leader token this server knows stays.
    let (_, list) = get(&leader, &s.url("/api/v1/tokens")).await;
    let leaders: Vec<&Value> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "leader")
        .collect();
    assert_eq!(leaders.len(), 1, "{list}");
    let lid = leaders[0]["id"].as_str().unwrap();
    let (code, err) = delete(&leader, &s.url(&format!("/api/v1/tokens/{lid}"))).await;
    assert_eq!((code, field(&err)), (409, "id"), "{err}");
}

#[tokio::test]
async fn the_first_leader_token_made_over_http_closes_an_open_api() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let c = client();
    let (code, me) = get(&c, &s.url("/api/v1/me")).await;
    assert_eq!(
        (code, me["role"].as_str(), me["open"].as_bool()),
        (200, Some("leader"), Some(true))
    );
    let (code, made) = post(&c, &s.url("/api/v1/tokens"), &json!({"role": "leader"})).await;
    assert_eq!(code, 201, "{made}");
    assert_eq!(
        made["signin"]["path"].as_str().unwrap().split('#').next(),
        Some("/admin")
    );
    // A pending link is a token record: from now on the API asks for one.
    let (code, _) = get(&c, &s.url("/api/v1/sellers")).await;
    assert_eq!(code, 401);
    let code_ = made["signin"]["code"].as_str().unwrap();
    let (code, signed) = post(&c, &s.url("/api/v1/signin"), &json!({"code": code_})).await;
    assert_eq!(code, 200, "{signed}");
    let leader = client_with_token(signed["token"].as_str().unwrap());
    let (code, me) = get(&leader, &s.url("/api/v1/me")).await;
    assert_eq!((code, me["role"].as_str()), (200, Some("leader")), "{me}");
    let (code, _) = get(&leader, &s.url("/api/v1/sellers")).await;
    assert_eq!(code, 200);
}

/// The live socket takes the token in `Sec-WebSocket-Protocol` (what the
/// pages send: no secret in a URL a proxy could log), answers with
/// `crossboard` only, and refuses a revoked token at once there too.
#[tokio::test]
async fn the_live_socket_takes_the_token_as_a_subprotocol() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let (_dir, s) = demo().await;
    let leader = client_with_token(&s.demo_token("leader").unwrap());
    let (_, made) = post(
        &leader,
        &s.url("/api/v1/tokens"),
        &json!({"role": "screen"}),
    )
    .await;
    let code_ = made["signin"]["code"].as_str().unwrap();
    let (_, signed) = post(&client(), &s.url("/api/v1/signin"), &json!({"code": code_})).await;
    let secret = signed["token"].as_str().unwrap().to_string();
    let open = |protocols: String| {
        let url = s.url("/api/v1/live").replacen("http://", "ws://", 1);
        async move {
            let mut req = url.into_client_request().unwrap();
            req.headers_mut()
                .insert("sec-websocket-protocol", protocols.parse().unwrap());
            tokio_tungstenite::connect_async(req).await
        }
    };
    let (_, res) = open(format!("crossboard, bearer.{secret}"))
        .await
        .expect("the socket opens with the token as a subprotocol");
    assert_eq!(
        res.headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("crossboard"),
        "the secret is never echoed back"
    );
    match open("crossboard".into()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 401),
        other => panic!(
            "opened without a token: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    let id = signed["id"].as_str().unwrap();
    let r = leader
        .delete(s.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    match open(format!("crossboard, bearer.{secret}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 401),
        other => panic!(
            "a revoked token opened the socket: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
}
