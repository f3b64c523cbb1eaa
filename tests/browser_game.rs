//! The game in a real headless Chromium: a badge earned by an event shows
//! in the trophy case on `/me` and is celebrated on `/wall`; a challenge is
//! accepted and kudos are given with a tap on `/me`.

mod common;
#[path = "common/browser.rs"]
mod kit;

use fantoccini::Locator;
use kit::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_badge_shows_on_me_and_is_celebrated_on_the_wall() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = common::Server::start(&dir.path().join("data"));
    let http = common::client();
    for body in [
        json!({"type": "division_created", "data": {"id": "energy", "name": "Energy"}}),
        json!({"type": "division_created", "data": {"id": "service", "name": "Service"}}),
        json!({"type": "seller_joined", "data": {"id": "lars", "name": "Lars", "division": "energy"}}),
        json!({"type": "seller_joined", "data": {"id": "ida", "name": "Ida", "division": "service"}}),
    ] {
        event(&http, &s, body).await;
    }
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile");
    let c = browser(&driver, profile.path()).await;
    c.set_window_size(1920, 1080).await.expect("wall size");

    // The wall is live before the badge is earned.
    c.goto(&s.url("/wall?rotate=0")).await.expect("open /wall");
    until(
        &c,
        "the wall live",
        "document.getElementById('status').textContent === 'LIVE'",
    )
    .await;
    let lead = event(
        &http,
        &s,
        json!({"type": "lead_given", "data": {"lead": "L1", "from": "lars", "to_division": "service", "customer": "Volvo"}}),
    )
    .await;
    let banner = until(
        &c,
        "the badge celebrated",
        "!document.getElementById('banner').hidden && \
         document.getElementById('banner-text').textContent.includes('earned') && \
         document.getElementById('banner-text').textContent",
    )
    .await;
    assert!(
        banner
            .as_str()
            .is_some_and(|t| t.starts_with("Lars earned")),
        "{banner}"
    );
    screenshot(&c, "wall-achievement").await;

    // /me: the trophy case shows the badge as earned, the rest locked.
    c.set_window_size(1280, 1400).await.expect("desktop size");
    c.goto(&s.url("/me?seller=lars")).await.expect("open /me");
    until(
        &c,
        "the trophy case",
        "document.querySelector('[data-achievement=\"first_lead\"].earned')",
    )
    .await;
    let locked = js(
        &c,
        "return document.querySelectorAll('.trophy:not(.earned)').length;",
    )
    .await;
    assert!(locked.as_u64().unwrap_or(0) >= 6, "{locked}");
    let (_, p) = common::get(&http, &s.url("/api/v1/sellers/lars")).await;
    assert_eq!(p["achievements"][0]["seq"], lead);
    assert_eq!(
        js(
            &c,
            "return document.getElementById('trophy-count').textContent;"
        )
        .await,
        format!("{} of {}", p["achievements"].as_array().unwrap().len(), 10)
    );

    // A challenge from Ida, accepted with one tap.
    let start = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let end = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    event(
        &http,
        &s,
        json!({"type": "challenge_issued", "data": {"id": "duel", "challenger": "ida", "opponent": "lars",
               "metric": "leads_given", "start": start, "end": end, "stake": "fika"}}),
    )
    .await;
    c.refresh().await.expect("reload /me");
    until(
        &c,
        "the accept button",
        "document.querySelector('[data-challenge=\"duel\"] button.primary')",
    )
    .await;
    c.find(Locator::Css("[data-challenge=\"duel\"] button.primary"))
        .await
        .expect("accept")
        .click()
        .await
        .expect("tap accept");
    until(
        &c,
        "the challenge running",
        "(document.querySelector('[data-challenge=\"duel\"]') || {}).textContent?.includes('Running')",
    )
    .await;
    let (_, duel) = common::get(&http, &s.url("/api/v1/challenges/duel")).await;
    assert_eq!(duel["status"], "running", "{duel}");
    assert_eq!(duel["standings"][0]["id"], "lars");

    // Kudos with a tap: Ida gets points.
    c.find(Locator::Css("#kudos-reason"))
        .await
        .expect("reason")
        .send_keys("the Volvo meeting")
        .await
        .expect("type reason");
    c.find(Locator::Css("#kudos-send"))
        .await
        .expect("send")
        .click()
        .await
        .expect("tap thanks");
    until(
        &c,
        "the thanks sent",
        "document.getElementById('kudos-msg').classList.contains('ok')",
    )
    .await;
    screenshot(&c, "me-game").await;
    let (_, ida) = common::get(&http, &s.url("/api/v1/sellers/ida?window=all")).await;
    assert_eq!(ida["points_by_kind"]["kudos"], 2, "{ida}");
    let events = common::all_events(&http, &s).await;
    let kudos = events.iter().filter(|e| e["type"] == "kudos_given").count();
    assert_eq!(kudos, 1, "one tap, one kudos");

    // The wall's game slides: a target's progress bar and the duel's score.
    event(
        &http,
        &s,
        json!({"type": "target_set", "data": {"id": "energy-leads", "division": "energy",
               "metric": "leads_given", "value": 4, "start": start, "end": end}}),
    )
    .await;
    c.set_window_size(1920, 1080).await.expect("wall size");
    c.goto(&s.url("/wall?boards=targets,challenges&rotate=0"))
        .await
        .expect("open the game wall");
    let target = until(
        &c,
        "the target slide",
        "(document.querySelector('[data-target=\"energy-leads\"] .t-num') || {}).textContent",
    )
    .await;
    assert_eq!(target, "1 / 4");
    let width = js(
        &c,
        "return document.querySelector('[data-target=\"energy-leads\"] .barwrap > i').style.width;",
    )
    .await;
    assert_eq!(width, "25%");
    screenshot(&c, "wall-targets").await;
    c.goto(&s.url("/wall?boards=challenges,targets&rotate=0"))
        .await
        .expect("open the challenges slide");
    let score = until(
        &c,
        "the duel slide",
        "(document.querySelector('[data-challenge=\"duel\"] .score') || {}).textContent",
    )
    .await;
    assert_eq!(score, "0 : 1", "Ida 0, Lars 1 lead");
    screenshot(&c, "wall-challenges").await;
}
