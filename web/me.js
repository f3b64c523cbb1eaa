// crossboard /me: one seller's rank, points by kind, the lead loop and what
// earned each point recently. Refreshes itself when the board moves.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  let names = new Map();
  const windowKind = () => document.querySelector("input[name=window]:checked").value;

  async function init() {
    try {
      const [s, d] = await Promise.all([CB.api("/api/v1/sellers"), CB.api("/api/v1/divisions")]);
      names = new Map(s.sellers.map((x) => [x.id, x.name]));
      // A seller token shows its own seller, without a picker; a leader
      // (or an open server) picks whom to look at.
      const who = await CB.me().catch(() => null);
      const own = who && who.role === "seller" && who.seller ? who.seller.id : "";
      const chosen = own || CB.params.get("seller") || CB.seller() || (s.sellers[0] && s.sellers[0].id) || "";
      CB.fillSellers($("me"), s.sellers, d.divisions, chosen);
      if (own) $("me").parentElement.hidden = true;
    } catch (e) {
      $("error").textContent = "Cannot load sellers: " + e.message;
      return;
    }
    $("me").addEventListener("change", () => { CB.seller($("me").value); load(); });
    document.querySelectorAll("input[name=window]").forEach((i) => i.addEventListener("change", load));
    await load();
    // Any change of the all-time board may change this profile.
    let timer = null;
    CB.live({
      subscriptions: [{ subscribe: "sellers", window: "all" }],
      onMessage(m) { if (m.board && !timer) timer = setTimeout(() => { timer = null; load(); }, 1000); },
    });
  }

  async function load() {
    const id = $("me").value;
    if (!id) return;
    let p;
    try {
      p = await CB.api(`/api/v1/sellers/${encodeURIComponent(id)}?window=${windowKind()}`);
    } catch (e) {
      $("error").textContent = e.message;
      return;
    }
    $("error").textContent = "";
    $("profile").hidden = false;
    $("rank").textContent = p.rank ? "#" + p.rank : "—";
    $("division").textContent = p.name + " · " + p.division_name;
    $("points").textContent = CB.num(p.points);
    const st = p.stats || {};
    $("collab-points").textContent = `${CB.num(st.collaboration_points || 0)} from collaboration`;
    $("collab-value").textContent = CB.moneyMap(st.collaboration_value);
    const pct = (x) => (x === null || x === undefined ? "—" : Math.round(x * 100) + " %");
    $("rates").textContent = `feedback rate ${pct(st.feedback_rate)} · conversion ${pct(st.conversion_rate)}` +
      ` · lead quality ${pct(p.lead_quality)} · commission ${CB.moneyMap(st.commission_value)}`;

    const kinds = Object.entries(p.points_by_kind || {});
    const max = Math.max(1, ...kinds.map(([, v]) => Math.abs(v)));
    $("kinds").replaceChildren(...kinds.map(([k, v]) => h("tr", {},
      h("td", {}, CB.KIND_LABELS[k] || k),
      h("td", { style: "width: 45%" }, h("div", { class: "bar" }, Object.assign(h("i"), { style: `width: ${(Math.abs(v) / max) * 100}%` }))),
      h("td", { class: "num" }, CB.num(v)))));

    const recent = p.recent || [];
    $("recent").replaceChildren(h("tr", {}, h("th", {}, "When"), h("th", {}, "For"), h("th", { class: "num" }, "Points")),
      ...(recent.length ? recent.map((c) => h("tr", {},
        h("td", { class: "muted" }, CB.when(c.occurred_at)),
        h("td", {}, CB.KIND_LABELS[c.kind] || c.kind, h("span", { class: "muted" }, ` · #${c.seq}`)),
        h("td", { class: "num " + (c.points >= 0 ? "up" : "down") }, (c.points >= 0 ? "+" : "") + c.points)))
        : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, "Nothing yet — give a lead on /log."))]));

    const leadRows = (list, who) => [h("tr", {}, h("th", {}, "Customer"), h("th", {}, who), h("th", {}, "Status"))]
      .concat(list.length ? list.map((l) => h("tr", {},
        h("td", {}, l.customer, h("div", { class: "muted" }, CB.when(l.occurred_at))),
        h("td", {}, who === "To" ? (l.to_seller ? names.get(l.to_seller) || l.to_seller : "division " + l.to_division) : names.get(l.giver) || l.giver),
        h("td", {}, h("span", { class: "status " + (l.status || "none") }, l.status ? CB.STATUS_LABELS[l.status] : "Waiting for feedback"))))
        : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, "None yet."))]);
    $("given").replaceChildren(...leadRows(p.leads_given || [], "To"));
    $("received").replaceChildren(...leadRows(p.leads_received || [], "From"));
    await loadLoop(id, p.division);
  }

  // ---- report back and claim: one tap each --------------------------------
  // Each button carries its own idempotency id, made when it is drawn: a
  // double tap or a retry after a lost answer is the same append, never two.
  const newId = (kind) => kind + "-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(16).slice(2));
  const OPEN_AGAIN = new Set(["open", "contacted", "meeting_booked"]);

  async function send(btn, body) {
    const row = btn.closest("tr");
    row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      await CB.api("/api/v1/events", { body });
      $("report-msg").className = "notice ok";
      $("report-msg").textContent = "Sent — thank you for closing the loop.";
      await load();
    } catch (e) {
      $("report-msg").className = "notice err";
      $("report-msg").textContent = e.message + (e.field ? ` (${e.field})` : "");
      row.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }

  async function loadLoop(me, division) {
    let mine, free;
    try {
      [mine, free] = await Promise.all([
        CB.api(`/api/v1/leads?seller=${encodeURIComponent(me)}&limit=1000`),
        CB.api(`/api/v1/leads?division=${encodeURIComponent(division)}&unassigned=true&status=open&limit=1000`),
      ]);
    } catch (e) {
      $("report-msg").className = "notice err";
      $("report-msg").textContent = "Cannot load leads: " + e.message;
      return;
    }
    // Received leads still in play, overdue first, then oldest first.
    const received = (mine.leads || [])
      .filter((l) => l.to_seller === me && OPEN_AGAIN.has(l.status))
      .sort((a, b) => (b.overdue - a.overdue) || (a.seq - b.seq));
    $("report").replaceChildren(...(received.length ? received.map((l) => {
      const statuses = Object.keys(CB.STATUS_LABELS);
      return h("tr", { class: l.overdue ? "overdue" : "", "data-lead": l.lead },
        h("td", {}, l.customer,
          h("div", { class: "muted" }, `from ${names.get(l.from) || l.from} · ${CB.when(l.given_at)}`),
          l.overdue ? h("span", { class: "status lost" }, "Overdue") : null),
        h("td", {}, h("div", { class: "taps" }, ...statuses.map((st) => {
          const id = newId("fb");
          return h("button", {
            type: "button", class: st === l.status ? "on" : "", "data-status": st,
            onclick: (ev) => send(ev.currentTarget, { id, type: "lead_feedback", data: { lead: l.lead, by: me, status: st } }),
          }, CB.STATUS_LABELS[st]);
        }))));
    }) : [h("tr", {}, h("td", { class: "muted" }, "Nothing waiting for you."))]));

    const claimable = (free.leads || []).filter((l) => l.from !== me);
    $("claimable").replaceChildren(...(claimable.length ? claimable.map((l) => {
      const id = newId("claim");
      return h("tr", { class: l.overdue ? "overdue" : "", "data-lead": l.lead },
        h("td", {}, l.customer, h("div", { class: "muted" }, `from ${names.get(l.from) || l.from} · ${CB.when(l.given_at)}`),
          l.overdue ? h("span", { class: "status lost" }, "Overdue") : null),
        h("td", {}, h("button", {
          type: "button", class: "primary claim",
          onclick: (ev) => send(ev.currentTarget, { id, type: "lead_claimed", data: { lead: l.lead, by: me } }),
        }, "Claim")));
    }) : [h("tr", {}, h("td", { class: "muted" }, "None — every lead has an owner."))]));
  }

  init();
})();
