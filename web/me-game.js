// crossboard /me, the game: trophy case, streak, level, challenges (issue,
// accept, decline) and kudos. Kept apart from me.js so each reads on its
// own; it follows the seller picked in #me and refreshes with the board.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  const METRICS = {
    points: "Points", leads_given: "Leads given", feedback_given: "Feedback given",
    timely_feedback: "Feedback on time", joint_visits: "Joint visits", meetings: "Meetings",
    orders: "Orders", orders_from_leads: "Orders from leads", order_value: "Order value",
    lead_share_points: "Giver's share", kudos_received: "Kudos received", kudos_given: "Kudos given",
    masterminds_helped: "Masterminds helped", knowledge_shared: "Knowledge sessions",
  };
  const STATUS = {
    issued: "Waiting for an answer", declined: "Declined", expired: "Expired unanswered",
    upcoming: "Accepted · starts soon", running: "Running", closed: "Over",
  };
  let rules = null, sellers = [];
  const newId = (kind) => kind + "-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(16).slice(2));
  const me = () => ($("me") && $("me").value) || "";

  function say(el, ok, text) {
    el.className = "notice " + (ok ? "ok" : "err");
    el.textContent = text;
  }

  async function post(body, msgEl, okText) {
    try {
      await CB.api("/api/v1/events", { body });
      say(msgEl, true, okText);
      await load();
      return true;
    } catch (e) {
      say(msgEl, false, e.message + (e.field ? ` (${e.field})` : ""));
      return false;
    }
  }

  async function init() {
    try {
      const [r, s] = await Promise.all([CB.api("/api/v1/rules"), CB.api("/api/v1/sellers")]);
      rules = r.rules;
      sellers = s.sellers.filter((x) => !x.left);
    } catch (_) { return; }
    const metric = $("challenge-metric");
    metric.replaceChildren(...Object.entries(METRICS).map(([k, v]) => h("option", { value: k }, v)));
    $("challenge-form").addEventListener("submit", issue);
    $("kudos-form").addEventListener("submit", thank);
    if ($("me")) $("me").addEventListener("change", load);
    await load();
    let timer = null;
    CB.live({
      subscriptions: [{ subscribe: "sellers", window: "all", limit: 1 }],
      onMessage(m) { if ((m.board || m.highlight) && !timer) timer = setTimeout(() => { timer = null; load(); }, 1200); },
    });
  }

  // The selected seller may only be known once me.js has filled the picker.
  async function load() {
    const id = me();
    if (!id) { setTimeout(load, 300); return; }
    let p, c;
    try {
      [p, c] = await Promise.all([
        CB.api(`/api/v1/sellers/${encodeURIComponent(id)}?window=all`),
        CB.api(`/api/v1/challenges?seller=${encodeURIComponent(id)}`),
      ]);
    } catch (_) { return; }
    $("game").hidden = false;
    trophies(p);
    challenges(id, c.challenges || []);
    const others = sellers.filter((s) => s.id !== id);
    for (const sel of [$("challenge-opponent"), $("kudos-to")]) {
      const keep = sel.value;
      sel.replaceChildren(...others.map((s) => h("option", { value: s.id }, s.name)));
      if (others.some((s) => s.id === keep)) sel.value = keep;
    }
  }

  function trophies(p) {
    const lv = p.level || {};
    $("level-name").textContent = lv.level ? `Level ${lv.level} · ${lv.name}` : "—";
    const span = lv.next_at ? lv.next_at - (prevAt(lv) || 0) : 1;
    const done = lv.next_at ? Math.max(0, Math.min(1, (lv.points - (prevAt(lv) || 0)) / span)) : 1;
    $("level-bar").style.width = Math.round(done * 100) + "%";
    $("level-next").textContent = lv.next_at
      ? `${CB.num(lv.next_at - lv.points)} points to ${lv.next_name}` : "Top level reached";
    const st = p.streak || {};
    $("streak").textContent = `${st.current || 0} week${st.current === 1 ? "" : "s"}`;
    $("streak-meta").textContent = `longest ${st.longest || 0} · this week ${st.this_week || 0}/${st.needed || 1}`;
    const earned = new Map((p.achievements || []).map((a) => [a.id, a]));
    const all = (rules && rules.achievements) || [];
    $("trophies").replaceChildren(...all.map((a) => {
      const e = earned.get(a.id);
      return h("li", { class: "trophy" + (e ? " earned" : ""), "data-achievement": a.id, title: a.description || "" },
        h("span", { class: "medal", "aria-hidden": "true" }, e ? "★" : "☆"),
        h("span", {}, h("b", {}, a.name),
          h("div", { class: "muted" }, e ? `${a.description} · ${CB.when(e.earned_at)}` : a.description)));
    }));
    $("trophy-count").textContent = `${earned.size} of ${all.length}`;
  }

  // Points where the current level began, from the rules' ladder.
  function prevAt(lv) {
    const levels = (rules && rules.levels) || [];
    const l = levels[lv.level - 1];
    return l ? l.points : 0;
  }

  function challenges(id, list) {
    const rows = list.map((c) => {
      const mine = c.opponent.id === id || c.challenger.id === id;
      const canAnswer = c.status === "issued" && c.opponent.kind === "seller" && c.opponent.id === id;
      const score = (c.standings || []).map((r) => `${r.name} ${CB.num(r.points ?? r.value)}`).join(" – ");
      const answer = (type) => {
        const eid = newId(type);
        return (ev) => {
          ev.currentTarget.disabled = true;
          post({ id: eid, type, data: { id: c.id, by: id } }, $("challenge-msg"),
            type === "challenge_accepted" ? "Challenge accepted — game on!" : "Challenge declined.");
        };
      };
      return h("tr", { "data-challenge": c.id, class: mine ? "" : "muted" },
        h("td", {}, `${c.challenger.name} vs ${c.opponent.name}`,
          h("div", { class: "muted" }, `${METRICS[c.metric] || c.metric} · until ${new Date(c.end).toLocaleDateString()}` +
            (c.stake ? ` · stake: ${c.stake}` : ""))),
        h("td", {}, STATUS[c.status] || c.status, score ? h("div", { class: "muted" }, score) : null,
          c.status === "closed" ? h("div", {}, c.winner ? `Winner: ${c.standings.find((r) => r.id === c.winner)?.name || c.winner}` : (c.tie ? "A shared win" : "No winner")) : null),
        h("td", {}, canAnswer ? h("div", { class: "taps" },
          h("button", { type: "button", class: "primary", onclick: answer("challenge_accepted") }, "Accept"),
          h("button", { type: "button", onclick: answer("challenge_declined") }, "Decline")) : null));
    });
    $("challenges").replaceChildren(...(rows.length ? rows
      : [h("tr", {}, h("td", { class: "muted" }, "No challenges yet — issue one below."))]));
  }

  async function issue(ev) {
    ev.preventDefault();
    const days = Math.max(1, Math.min(92, parseInt($("challenge-days").value, 10) || 7));
    const start = new Date();
    const end = new Date(start.getTime() + days * 86400000);
    const body = {
      id: newId("ch"), type: "challenge_issued",
      data: {
        id: newId("duel"), challenger: me(), opponent: $("challenge-opponent").value,
        metric: $("challenge-metric").value, start: start.toISOString(), end: end.toISOString(),
      },
    };
    const stake = $("challenge-stake").value.trim();
    if (stake) body.data.stake = stake;
    if (await post(body, $("challenge-msg"), "Challenge sent.")) $("challenge-stake").value = "";
  }

  async function thank(ev) {
    ev.preventDefault();
    const reason = $("kudos-reason").value.trim();
    if (!reason) { say($("kudos-msg"), false, "Say what you thank them for."); return; }
    const body = { id: newId("kudos"), type: "kudos_given", data: { from: me(), to: $("kudos-to").value, reason } };
    if (await post(body, $("kudos-msg"), "Thanks sent — it shows on the wall.")) $("kudos-reason").value = "";
  }

  init();
})();
