// crossboard /admin: rules with a what-if preview, competitions, voids and
// the audit list of the log.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  let version = null, divisions = [], sellers = new Map();

  function notice(el, kind, text) { el.className = "notice " + kind; el.textContent = text; }

  function fieldError(root, err) {
    const base = (err.field || "").split(".")[0] === "rules" ? "rules" : err.field;
    const slot = root.querySelector(`[data-error-for="${base}"]`);
    if (slot) {
      slot.textContent = (err.field && err.field !== base ? err.field + ": " : "") + err.message;
      const input = root.querySelector(`[data-field="${base}"]`);
      if (input) input.classList.add("invalid");
      return true;
    }
    return false;
  }
  function clearErrors(root) {
    root.querySelectorAll(".field-error, .form-error").forEach((e) => { e.textContent = ""; });
    root.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  }

  // ---- rules ------------------------------------------------------------------
  async function loadRules() {
    try {
      const r = await CB.api("/api/v1/rules");
      version = r.version;
      $("rules-version").textContent = `· version ${r.version}`;
      $("rules-text").value = JSON.stringify(r.rules, null, 2);
    } catch (e) { notice($("rules-notice"), "err", "Cannot load rules: " + e.message); }
  }

  function draft() {
    clearErrors($("rules"));
    try { return JSON.parse($("rules-text").value); } catch (e) {
      fieldError($("rules"), { field: "rules", message: "Not valid JSON: " + e.message });
      return null;
    }
  }

  async function preview() {
    const rules = draft();
    if (!rules) return;
    const board = $("pv-board").value, win = $("pv-window").value;
    $("preview").disabled = true;
    try {
      const res = await CB.api(`/api/v1/rules/preview?board=${board}&window=${win}`, { body: { rules, retroactive: $("retroactive").checked } });
      renderPreview(res.rows || []);
    } catch (e) {
      if (!fieldError($("rules"), e)) notice($("rules-notice"), "err", e.message);
    } finally { $("preview").disabled = false; }
  }

  function renderPreview(rows) {
    rows = rows.slice().sort((a, b) => (a.draft.rank - b.draft.rank) || a.name.localeCompare(b.name));
    const moved = rows.filter((r) => r.current.rank !== r.draft.rank);
    const changed = rows.filter((r) => r.current.points !== r.draft.points);
    $("preview-summary").textContent = moved.length || changed.length
      ? `${moved.length} change rank, ${changed.length} change points.`
      : "No change: the draft ranks everyone exactly as now.";
    const arrow = (r) => {
      const d = r.current.rank - r.draft.rank;
      return d > 0 ? h("span", { class: "up" }, `▲ ${d}`) : d < 0 ? h("span", { class: "down" }, `▼ ${-d}`) : h("span", { class: "muted" }, "—");
    };
    $("preview-table").replaceChildren(
      h("tr", {}, h("th", { class: "num" }, "Draft"), h("th", {}, ""), h("th", {}, "Name"), h("th", { class: "num" }, "Now"),
        h("th", { class: "num" }, "Points now → draft"), h("th", { class: "num" }, "Δ")),
      ...rows.map((r) => {
        const dp = r.draft.points - r.current.points;
        return h("tr", { class: r.current.rank !== r.draft.rank ? "moved" : "", "data-id": r.id },
          h("td", { class: "num" }, "#" + r.draft.rank), h("td", {}, arrow(r)), h("td", {}, r.name),
          h("td", { class: "num muted" }, "#" + r.current.rank),
          h("td", { class: "num" }, `${CB.num(r.current.points)} → ${CB.num(r.draft.points)}`),
          h("td", { class: "num " + (dp > 0 ? "up" : dp < 0 ? "down" : "muted") }, dp > 0 ? "+" + CB.num(dp) : CB.num(dp)));
      }));
  }

  async function publish() {
    const rules = draft();
    if (!rules) return;
    const retroactive = $("retroactive").checked;
    if (!confirm(`Publish these rules as version ${version + 1}${retroactive ? ", re-scoring all history" : ""}?`)) return;
    try {
      const res = await CB.api("/api/v1/rules", { method: "PUT", headers: { "If-Match": String(version) }, body: { rules, retroactive } });
      version = res.version;
      $("rules-version").textContent = `· version ${version}`;
      notice($("rules-notice"), "ok", `Published version ${version}.`);
    } catch (e) {
      if (e.status === 409) notice($("rules-notice"), "err", "Someone published other rules meanwhile: " + e.message + " Reload, re-apply your edit and preview again.");
      else if (!fieldError($("rules"), e)) notice($("rules-notice"), "err", e.message);
    }
  }

  // ---- competitions --------------------------------------------------------------
  const localInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const comps = new Map();
  let live = null;

  function compCard(c) {
    const per = c.scoring === "per_seller";
    const winner = c.winner ? (c.standings.find((s) => s.id === c.winner) || { name: c.winner }).name : null;
    return h("div", { class: "card", style: "background: var(--bg)", "data-competition": c.id },
      h("div", { class: "row", style: "align-items: center" }, h("h2", { style: "margin: 0" }, c.name),
        h("span", { style: "flex: 0", class: "status " + c.status }, c.status)),
      h("div", { class: "muted" }, `${new Date(c.start).toLocaleString()} – ${new Date(c.end).toLocaleString()} · ${per ? "points per seller" : "total points"}`),
      winner ? h("p", {}, "Winner: ", h("b", {}, winner)) : null,
      h("table", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Division"), h("th", { class: "num" }, per ? "Per seller" : "Points"), h("th", { class: "num" }, "Sellers")),
        ...(c.standings || []).map((s) => h("tr", {}, h("td", {}, s.rank), h("td", {}, s.name), h("td", { class: "num" }, CB.num(s.points)), h("td", { class: "num" }, s.sellers)))));
  }
  function renderComps() {
    const list = [...comps.values()].sort((a, b) => (a.status === "running" ? 0 : 1) - (b.status === "running" ? 0 : 1) || b.start.localeCompare(a.start));
    $("comp-list").replaceChildren(...(list.length ? list.map(compCard) : [h("p", { class: "muted" }, "No competitions yet.")]));
  }
  async function loadComps() {
    try {
      const r = await CB.api("/api/v1/competitions");
      for (const c of r.competitions || []) {
        if (!comps.has(c.id) && live) live.subscribe({ subscribe: "competition:" + c.id });
        comps.set(c.id, c);
      }
      renderComps();
    } catch (e) { $("comp-list").replaceChildren(h("p", { class: "muted" }, "Cannot load competitions: " + e.message)); }
  }
  async function createComp(ev) {
    ev.preventDefault();
    const form = $("comp-form");
    clearErrors(form);
    const name = $("c-name").value.trim();
    const id = $("c-id").value.trim() || name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    const iso = (v) => (v ? new Date(v).toISOString() : "");
    const body = { id, name, start: iso($("c-start").value), end: iso($("c-end").value), scoring: $("c-scoring").value,
      divisions: [...form.querySelectorAll("input[name=cdiv]:checked")].map((i) => i.value) };
    try {
      await CB.api("/api/v1/competitions", { body });
      $("c-name").value = ""; $("c-id").value = "";
      await loadComps();
    } catch (e) {
      if (!fieldError(form, e)) form.querySelector(".form-error").textContent = e.message;
    }
  }

  // ---- void ------------------------------------------------------------------
  async function voidPreview() {
    const seq = parseInt($("v-seq").value, 10);
    $("v-preview").textContent = "";
    if (!(seq > 0)) return;
    try {
      const r = await CB.api(`/api/v1/events?after=${seq - 1}&limit=1`);
      const e = (r.events || [])[0];
      if (e && e.seq === seq) $("v-preview").textContent = `#${e.seq} ${e.type} · ${summary(e)} · ${new Date(e.occurred_at).toLocaleString()}`;
    } catch (_) { /* preview only */ }
  }
  async function voidEvent(ev) {
    ev.preventDefault();
    const form = $("void-form");
    clearErrors(form);
    $("void-ok").textContent = "";
    const raw = $("v-seq").value.trim();
    const seq = /^\d+$/.test(raw) ? Number(raw) : raw;
    try {
      const r = await CB.api("/api/v1/events", { body: { type: "event_voided", data: { seq, reason: $("v-reason").value.trim() } } });
      $("void-ok").className = "notice ok";
      $("void-ok").textContent = `Event #${seq} voided (recorded as #${r.seq}).`;
      $("v-seq").value = ""; $("v-reason").value = ""; $("v-preview").textContent = "";
      loadAudit(null);
    } catch (e) {
      if (!fieldError(form, e)) form.querySelector(".form-error").textContent = e.message;
    }
  }

  // ---- audit -----------------------------------------------------------------
  const PAGE = 50;
  let top = null; // highest seq shown; null = follow the newest
  let newest = 0;
  function who(id) { return sellers.get(id) || id; }
  function summary(e) {
    const d = e.data || {};
    switch (e.type) {
      case "lead_given": return `${who(d.from)} → ${d.to_seller ? who(d.to_seller) : d.to_division} · ${d.customer}`;
      case "lead_feedback": return `${who(d.by)} on ${d.lead}: ${CB.STATUS_LABELS[d.status] || d.status}`;
      case "joint_visit": return `${who(d.host)} + ${(d.guests || []).map(who).join(", ")} · ${d.customer}`;
      case "meeting_held": return `${who(d.seller)} · ${d.customer}`;
      case "order_closed": return `${who(d.seller)} · ${d.customer} · ${CB.money(d.amount, d.currency)}`;
      case "event_voided": return `#${d.seq}: ${d.reason}`;
      default: return Object.entries(d).filter(([k]) => k !== "rules").map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");
    }
  }
  async function loadAudit(newTop) {
    try {
      newest = (await CB.api("/healthz")).seq || 0;
    } catch (_) { return; }
    top = newTop === null ? null : Math.min(newTop, newest);
    const hi = top === null ? newest : top;
    const after = Math.max(0, hi - PAGE);
    let events = [];
    try { events = (await CB.api(`/api/v1/events?after=${after}&limit=${hi - after}`)).events || []; } catch (e) {
      $("audit-range").textContent = e.message; return;
    }
    const voided = new Set(events.filter((e) => e.type === "event_voided").map((e) => e.data.seq));
    $("audit-range").textContent = events.length ? `#${events[events.length - 1].seq} … #${events[0].seq} of ${newest}` : "The log is empty.";
    $("audit-table").replaceChildren(h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, "Type"), h("th", {}, "What"), h("th", {}, "When"), h("th", {}, "By"), h("th", {}, "")),
      ...events.reverse().map((e) => h("tr", { class: voided.has(e.seq) ? "muted" : "" },
        h("td", { class: "num" }, e.seq), h("td", {}, e.type, voided.has(e.seq) ? h("div", { class: "status lost" }, "voided") : null),
        h("td", {}, summary(e)), h("td", { class: "muted" }, new Date(e.occurred_at).toLocaleString()), h("td", { class: "muted" }, e.actor),
        h("td", {}, ["lead_given", "lead_feedback", "joint_visit", "meeting_held", "order_closed"].includes(e.type) && !voided.has(e.seq)
          ? h("button", { type: "button", class: "danger", style: "min-height: 34px; padding: 4px 10px", onclick: () => { $("v-seq").value = e.seq; voidPreview(); $("void").scrollIntoView(); $("v-reason").focus(); } }, "Void…") : null))));
  }

  // ---- start -------------------------------------------------------------------
  async function init() {
    $("preview").addEventListener("click", preview);
    $("publish").addEventListener("click", publish);
    $("reset-rules").addEventListener("click", () => { clearErrors($("rules")); loadRules(); });
    $("comp-form").addEventListener("submit", createComp);
    $("void-form").addEventListener("submit", voidEvent);
    $("v-seq").addEventListener("change", voidPreview);
    $("audit-newer").addEventListener("click", () => loadAudit(top === null || top + PAGE >= newest ? null : top + PAGE));
    $("audit-older").addEventListener("click", () => loadAudit(Math.max(PAGE, (top === null ? newest : top) - PAGE)));
    const now = new Date();
    $("c-start").value = localInput(now);
    $("c-end").value = localInput(new Date(now.getTime() + 14 * 86400000));
    try {
      const [d, s] = await Promise.all([CB.api("/api/v1/divisions"), CB.api("/api/v1/sellers")]);
      divisions = d.divisions || [];
      sellers = new Map((s.sellers || []).map((x) => [x.id, x.name]));
      $("c-divisions").replaceChildren(...divisions.map((x) => h("label", {}, h("input", { type: "checkbox", name: "cdiv", value: x.id, checked: true }), h("span", {}, x.name))));
    } catch (_) { /* the sections say what failed */ }
    let auditTimer = null;
    live = CB.live({
      subscriptions: [{ subscribe: "sellers", window: "all" }],
      onMessage(m) {
        if (m.board && m.board.startsWith("competition:") && m.id) { comps.set(m.id, m); renderComps(); }
        else if (m.board === "sellers" && top === null && !auditTimer) auditTimer = setTimeout(() => { auditTimer = null; if (top === null) loadAudit(null); }, 2000);
      },
    });
    await Promise.all([loadRules(), loadComps(), loadAudit(null)]);
  }
  init();
})();
