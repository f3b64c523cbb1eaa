//! Pages for people in a real headless Chromium (issue 14): a seller's
//! sign-in link opens /log without a name picker and logs as that seller;
//! a leader sets up the organisation and access from /admin, and a token
//! revoked there is refused at once; a fresh server walks its first leader
//! through setup. Screenshots land in `target/screenshots/`.

mod common;
#[path = "common/browser.rs"]
mod kit;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use kit::*;
use serde_json::{json, Value};

fn field_of<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

async fn seller_named(http: &reqwest::Client, s: &common::Server, name: &str) -> Option<Value> {
    let (_, sellers) = common::get(http, &s.url("/api/v1/sellers")).await;
    sellers["sellers"]
        .as_array()?
        .iter()
        .find(|x| x["name"] == name)
        .cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seller_link_logs_without_a_picker_and_admin_manages_people_and_access() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start_with(
        &dir.path().join("data"),
        &["--demo", "--demo-every", "100000"],
        &[],
    );
    let leader = s.demo_token("leader").expect("demo leader token");
    let http = common::client_with_token(&leader);
    let driver = start_driver().await;
    let c = browser(&driver, &dir.path().join("chromium")).await;

    // ---- a seller's sign-in link: /log knows who is logging ---------------
    let (_, sellers) = common::get(&http, &s.url("/api/v1/sellers")).await;
    let ida = sellers["sellers"][2].clone();
    let ida_id = ida["id"].as_str().unwrap().to_string();
    let (code, made) = common::post(
        &http,
        &s.url("/api/v1/tokens"),
        &json!({"role": "seller", "seller": ida_id}),
    )
    .await;
    assert_eq!(code, 201, "{made}");
    let path = made["signin"]["path"].as_str().unwrap().to_string();
    let signin_code = made["signin"]["code"].as_str().unwrap().to_string();
    c.set_window_size(430, 932).await.expect("phone size");
    c.goto(&s.url(&path)).await.expect("open the sign-in link");
    let shown = until(
        &c,
        "logging as the seller",
        "!document.getElementById('me-fixed').hidden && document.getElementById('me-fixed').textContent",
    )
    .await;
    assert!(
        shown
            .as_str()
            .unwrap()
            .contains(ida["name"].as_str().unwrap()),
        "{shown}"
    );
    assert_eq!(
        js(&c, "return document.getElementById('me-pick').hidden;").await,
        true,
        "a seller token picks no name"
    );
    let url = js(&c, "return location.href;").await;
    assert!(
        !url.as_str().unwrap().contains(&signin_code),
        "the code left the address bar: {url}"
    );
    // The code was spent by the page: nobody can use the link again.
    let (code, again) = common::post(
        &common::client(),
        &s.url("/api/v1/signin"),
        &json!({"code": signin_code}),
    )
    .await;
    assert_eq!(code, 404, "{again}");
    until(
        &c,
        "divisions to give to",
        "document.querySelectorAll('#lead-division option').length >= 2",
    )
    .await;
    c.find(Locator::Css("#lead-customer"))
        .await
        .expect("customer")
        .send_keys("Signed In AB")
        .await
        .expect("type customer");
    c.find(Locator::Css("#form-lead button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit lead");
    until(
        &c,
        "points awarded",
        "(document.getElementById('award') || {}).textContent",
    )
    .await;
    js(&c, "window.scrollTo(0, 0); return null;").await;
    screenshot(&c, "people-log-seller").await;
    let events = common::all_events(&http, &s).await;
    let lead = events
        .iter()
        .rev()
        .find(|e| e["type"] == "lead_given")
        .expect("the lead");
    assert_eq!(field_of(lead, "data.customer"), "Signed In AB");
    assert_eq!(field_of(lead, "data.from"), ida_id.as_str());
    assert_eq!(lead["actor"], format!("seller:{ida_id}"), "{lead}");

    // /me shows the token's own seller without a picker.
    c.goto(&s.url("/me")).await.expect("open /me");
    let name = until(
        &c,
        "my profile",
        "!document.getElementById('profile').hidden && document.getElementById('division').textContent",
    )
    .await;
    assert!(
        name.as_str()
            .unwrap()
            .contains(ida["name"].as_str().unwrap()),
        "{name}"
    );
    assert_eq!(
        js(
            &c,
            "return document.getElementById('me').parentElement.hidden;"
        )
        .await,
        true
    );

    // ---- /admin: a new division and seller, a link for her, a revocation --
    c.set_window_size(1400, 1000).await.expect("desktop size");
    c.goto(&s.url(&format!("/admin#token={leader}")))
        .await
        .expect("open /admin");
    until(
        &c,
        "the seller table",
        "document.querySelectorAll('#seller-table tr').length > 10",
    )
    .await;
    let type_into = |css: &'static str, text: &'static str| {
        let c = c.clone();
        async move {
            let el = c.find(Locator::Css(css)).await.expect(css);
            el.clear().await.expect("clear");
            el.send_keys(text).await.expect("type");
        }
    };
    type_into("#d-name", "Solar Parks").await;
    c.find(Locator::Css("#div-form button[type=submit]"))
        .await
        .expect("add division")
        .click()
        .await
        .expect("click add division");
    until(
        &c,
        "the new division",
        "[...document.querySelectorAll('#s-division option')].some(o => o.textContent === 'Solar Parks')",
    )
    .await;
    // An empty name is refused by the API, and the page says so at the field.
    c.find(Locator::Css("#seller-form button[type=submit]"))
        .await
        .expect("add seller")
        .click()
        .await
        .expect("click add seller");
    let msg = until(
        &c,
        "the name error",
        "document.querySelector('#seller-form [data-error-for=\"data.name\"]').textContent",
    )
    .await;
    assert!(msg.as_str().unwrap().contains("name"), "{msg}");
    type_into("#s-name", "Greta Sol").await;
    js(
        &c,
        "const s = document.getElementById('s-division'); \
         s.value = [...s.options].find(o => o.textContent === 'Solar Parks').value; return null;",
    )
    .await;
    c.find(Locator::Css("#seller-form button[type=submit]"))
        .await
        .expect("add seller")
        .click()
        .await
        .expect("click add seller");
    until(
        &c,
        "the new seller",
        "[...document.querySelectorAll('#seller-table td')].some(t => t.textContent.startsWith('Greta Sol'))",
    )
    .await;
    let greta = seller_named(&http, &s, "Greta Sol")
        .await
        .expect("Greta joined through /admin");
    let (_, divisions) = common::get(&http, &s.url("/api/v1/divisions")).await;
    let solar = divisions["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Solar Parks")
        .expect("the division")
        .clone();
    assert_eq!(greta["division"], solar["id"]);

    // Her sign-in link, with its QR code drawn on the page.
    let greta_id = greta["id"].as_str().unwrap().to_string();
    c.find(Locator::Css(&format!(
        "#seller-table tr[data-id=\"{greta_id}\"] button.signin-for"
    )))
    .await
    .expect("her sign-in button")
    .click()
    .await
    .expect("create her link");
    let link = until(
        &c,
        "the sign-in link",
        "!document.getElementById('signin').hidden && document.getElementById('signin-url').value",
    )
    .await;
    let link = link.as_str().unwrap().to_string();
    assert!(link.contains("/log#signin=cbs_"), "{link}");
    let dark = js(
        &c,
        "const p = document.querySelector('#signin-qr svg path'); return p ? p.getAttribute('d').length : 0;",
    )
    .await;
    assert!(dark.as_u64().unwrap_or(0) > 100, "a drawn QR code: {dark}");
    screenshot(&c, "people-admin-signin").await;

    // Redeem it as her phone would, then revoke it from the list.
    let code = link.split("#signin=").nth(1).unwrap();
    let (status, signed) = common::post(
        &common::client(),
        &s.url("/api/v1/signin"),
        &json!({"code": code}),
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let phone = common::client_with_token(signed["token"].as_str().unwrap());
    let (status, me) = common::get(&phone, &s.url("/api/v1/me")).await;
    assert_eq!(
        (status, me["seller"]["id"].as_str()),
        (200, Some(greta_id.as_str()))
    );
    let token_id = signed["id"].as_str().unwrap().to_string();
    // The list shows her token as signed in once the page reloads it.
    js(&c, "location.reload(); return null;").await;
    until(
        &c,
        "her token in the list",
        &format!(
            "(document.querySelector('#token-table tr[data-id=\"{token_id}\"]') || {{textContent: ''}}).textContent.includes('signed in')"
        ),
    )
    .await;
    let revoke = format!("#token-table tr[data-id=\"{token_id}\"] button.revoke");
    for _ in 0..2 {
        // Two steps: "Revoke…", then "Confirm revoke".
        c.find(Locator::Css(&revoke))
            .await
            .expect("revoke button")
            .click()
            .await
            .expect("click revoke");
    }
    until(
        &c,
        "the token gone from the list",
        &format!("!document.querySelector('#token-table tr[data-id=\"{token_id}\"]')"),
    )
    .await;
    screenshot(&c, "people-admin-revoked").await;
    let (status, _) = common::get(&phone, &s.url("/api/v1/me")).await;
    assert_eq!(status, 401, "revoked in /admin, refused at once");

    // Greta leaves from /admin: two taps, and she is off the active list.
    let leave = format!("#seller-table tr[data-id=\"{greta_id}\"] button.leave");
    for _ in 0..2 {
        c.find(Locator::Css(&leave))
            .await
            .expect("leave button")
            .click()
            .await
            .expect("click leave");
    }
    until(
        &c,
        "Greta gone",
        &format!("!document.querySelector('#seller-table tr[data-id=\"{greta_id}\"]')"),
    )
    .await;
    let greta = seller_named(&http, &s, "Greta Sol").await.unwrap();
    assert_eq!(greta["left"], true);
    c.close().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_server_walks_its_first_leader_through_setup() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start(&dir.path().join("data"));
    let driver = start_driver().await;
    let c = browser(&driver, &dir.path().join("chromium")).await;
    c.set_window_size(1280, 1000).await.expect("size");
    c.goto(&s.url("/admin")).await.expect("open /admin");
    let step = until(
        &c,
        "step 1",
        "!document.getElementById('setup').hidden && document.getElementById('setup').textContent",
    )
    .await;
    assert!(step.as_str().unwrap().contains("Step 1"), "{step}");
    screenshot(&c, "people-setup-1").await;
    for name in ["Service", "Sales"] {
        let el = c
            .find(Locator::Css("#d-name"))
            .await
            .expect("division name");
        el.send_keys(name).await.expect("type");
        c.find(Locator::Css("#div-form button[type=submit]"))
            .await
            .expect("add")
            .click()
            .await
            .expect("click");
        until(
            &c,
            "the division",
            &format!("[...document.querySelectorAll('#s-division option')].some(o => o.textContent === '{name}')"),
        )
        .await;
    }
    let step = until(
        &c,
        "step 2",
        "document.getElementById('setup').textContent.includes('Step 2') && document.getElementById('setup').textContent",
    )
    .await;
    assert!(step.as_str().unwrap().contains("sellers"), "{step}");
    let el = c.find(Locator::Css("#s-name")).await.expect("seller name");
    el.send_keys("Ada Lind").await.expect("type");
    c.find(Locator::Css("#seller-form button[type=submit]"))
        .await
        .expect("add seller")
        .click()
        .await
        .expect("click");
    until(&c, "step 3", "!!document.getElementById('setup-leader')").await;
    screenshot(&c, "people-setup-3").await;
    c.find(Locator::Css("#setup-leader"))
        .await
        .expect("leader button")
        .click()
        .await
        .expect("click");
    // The page signs itself in with the new leader token and carries on.
    until(
        &c,
        "signed in as the leader",
        "document.getElementById('setup').hidden && \
         document.querySelectorAll('#token-table tr').length === 2 && \
         !!localStorage.getItem('crossboard.token')",
    )
    .await;
    let secret = js(&c, "return localStorage.getItem('crossboard.token');").await;
    let leader = common::client_with_token(secret.as_str().unwrap());
    let (status, me) = common::get(&leader, &s.url("/api/v1/me")).await;
    assert_eq!((status, me["role"].as_str()), (200, Some("leader")), "{me}");
    let (status, _) = common::get(&common::client(), &s.url("/api/v1/sellers")).await;
    assert_eq!(status, 401, "the API is closed now");
    let (_, sellers) = common::get(&leader, &s.url("/api/v1/sellers")).await;
    assert_eq!(sellers["sellers"][0]["name"], "Ada Lind");
    screenshot(&c, "people-setup-done").await;
    c.close().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wall_shows_what_just_happened_with_initials_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start_with(
        &dir.path().join("data"),
        &[
            "--demo",
            "--demo-every",
            "100000",
            "--wall-privacy",
            "initials",
        ],
        &[],
    );
    let leader = s.demo_token("leader").expect("leader token");
    let screen = s.demo_token("screen").expect("screen token");
    let http = common::client_with_token(&leader);
    let (_, sellers) = common::get(&http, &s.url("/api/v1/sellers")).await;
    let names: Vec<String> = sellers["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect();
    let driver = start_driver().await;
    let c = browser(&driver, &dir.path().join("chromium")).await;
    c.set_window_size(1920, 1080).await.expect("1080p");
    c.goto(&s.url(&format!("/wall?boards=sellers:all&rotate=0#token={screen}")))
        .await
        .expect("open /wall");
    until(
        &c,
        "rows with avatars and a feed",
        "document.querySelectorAll('#board .row .avatar').length >= 5 && \
         document.querySelectorAll('#feed-list li').length >= 3",
    )
    .await;

    // An order from a lead: the climber rises (▲ since the morning) and
    // the feed's first line says what happened, by initials.
    let (_, board) = common::get(&http, &s.url("/api/v1/boards/sellers?window=all")).await;
    let rows = board["rows"].as_array().unwrap();
    let last = &rows[rows.len() - 1];
    let giver = rows
        .iter()
        .find(|r| r["division"] != last["division"])
        .unwrap();
    for body in [
        json!({"type": "lead_given", "data": {"lead": "FEED-L1", "from": giver["id"],
            "to_division": last["division"], "to_seller": last["id"], "customer": "Feed AB"}}),
        json!({"type": "order_closed", "data": {"order": "FEED-O1", "seller": last["id"],
            "customer": "Feed AB", "amount": 900_000_000i64, "currency": "SEK", "lead": "FEED-L1"}}),
    ] {
        let (code, v) = common::post(&http, &s.url("/api/v1/events"), &body).await;
        assert_eq!(code, 201, "{v}");
    }
    let first = until(
        &c,
        "the order in the feed",
        "(document.querySelector('#feed-list li') || {textContent: ''}).textContent.includes('closed an order from') && \
         document.querySelector('#feed-list li').textContent",
    )
    .await;
    assert!(first.as_str().unwrap().contains("just now"), "{first}");
    until(
        &c,
        "a rise since the morning",
        "[...document.querySelectorAll('#board .daymove.up')].some(e => e.textContent.startsWith('▲'))",
    )
    .await;
    until(
        &c,
        "the banner to go",
        "document.getElementById('banner').hidden",
    )
    .await;
    screenshot(&c, "people-wall-feed-1080p").await;
    let text = js(&c, "return document.body.innerText;").await;
    let text = text.as_str().unwrap();
    for n in &names {
        assert!(!text.contains(n.as_str()), "{n} on a wall in initials mode");
    }
    c.set_window_size(3840, 2160).await.expect("4K");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    screenshot(&c, "people-wall-feed-4k").await;
    c.close().await.ok();
}

/// axe-core's browser bundle, installed from npm by `scripts/test.sh` (into
/// `target/axe`), or wherever `AXE_CORE_JS` points.
fn axe_source() -> String {
    let path = std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core not found at {} ({e}): run `npm install --prefix target/axe axe-core@4` \
             (scripts/test.sh does)",
            path.display()
        )
    })
}

/// Runs axe-core in the page and returns its serious and critical
/// violations as "rule: target" lines.
async fn axe(c: &Client, source: &str) -> Vec<String> {
    // WebDriver scripts are not bound by the page's Content-Security-Policy,
    // so axe is injected without loosening what the product sends.
    c.execute(&format!("{source}\n;return true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then((r) => done(
               r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                 .flatMap((v) => v.nodes.map((n) => v.id + ' (' + v.impact + '): ' + n.target.join(' ')))),
               (e) => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe.run");
    serde_json::from_value(found).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn axe_core_finds_no_serious_violation_on_any_page() {
    let source = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let s = common::Server::start_with(
        &dir.path().join("data"),
        &["--demo", "--demo-every", "100000"],
        &[],
    );
    let leader = s.demo_token("leader").expect("leader token");
    let seller = s.demo_token("seller").expect("seller token");
    let driver = start_driver().await;
    let c = browser(&driver, &dir.path().join("chromium")).await;
    let mut report = Vec::new();
    // (page, token, what to wait for, width)
    let pages = [
        ("/", &leader, "document.readyState === 'complete'", 1280),
        ("/wall?rotate=0", &leader, "document.querySelectorAll('#board .row').length > 2", 1920),
        ("/log", &seller, "!document.getElementById('me-fixed').hidden", 390),
        ("/log", &leader, "document.querySelectorAll('#me option').length > 5", 1280),
        ("/me", &seller, "!document.getElementById('profile').hidden", 390),
        ("/me", &leader, "!document.getElementById('profile').hidden", 1280),
        ("/admin", &leader, "document.querySelectorAll('#token-table tr').length > 1 && document.getElementById('rules-text').value", 1280),
    ];
    for (i, (path, token, ready, width)) in pages.into_iter().enumerate() {
        c.set_window_size(width, 1000).await.expect("size");
        // A distinct query each time: a change of fragment alone would not
        // load the page again.
        let sep = if path.contains('?') { "&" } else { "?" };
        c.goto(&s.url(&format!("{path}{sep}axe={i}#token={token}")))
            .await
            .expect("open page");
        let what = format!("axe page {}", path.replace(['/', '?', '='], "_"));
        until(&c, &what, ready).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        // axe rates a missing <h1> "moderate"; the pages have one anyway.
        if js(&c, "return document.querySelectorAll('h1').length;").await != 1 {
            report.push(format!("{path}: not exactly one level-one heading"));
        }
        for v in axe(&c, &source).await {
            report.push(format!("{path} at {width}px: {v}"));
        }
    }
    assert!(report.is_empty(), "axe-core:\n{}", report.join("\n"));
    c.close().await.ok();
}
