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

// ---- people and access ---------------------------------------------------------
// Divisions and sellers (organisation events through POST /api/v1/events) and
// tokens as one-time sign-in links (/api/v1/tokens). On a fresh server the
// "setup" notice walks a leader through the first divisions, sellers and
// their own leader token.
(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  let divisions = [], sellers = [], tokens = [], who = null;

  function clearErrors(root) {
    root.querySelectorAll(".field-error, .form-error").forEach((e) => { e.textContent = ""; });
    root.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  }
  /** The API's error beside the field it names, else under the form. */
  function showError(form, err) {
    const slot = err.field && form.querySelector(`[data-error-for="${err.field}"]`);
    if (slot) {
      slot.textContent = err.message;
      const input = form.querySelector(`[data-field="${err.field}"]`);
      if (input) { input.classList.add("invalid"); input.focus(); }
    } else {
      form.querySelector(".form-error").textContent = err.message;
    }
  }
  function notice(text, kind) {
    const n = $("org-notice");
    n.className = "notice " + (kind || "ok");
    n.textContent = text;
  }

  /** "Industrial Service" → "industrial-service", unique among `taken`. */
  function slug(name, taken) {
    const base = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48) || "x";
    let id = base, n = 2;
    while (taken.has(id)) id = `${base}-${n++}`;
    return id;
  }

  function event(type, data) {
    return CB.api("/api/v1/events", { body: { id: CB.uid("admin-"), type, data } });
  }

  async function load() {
    const [d, s] = await Promise.all([CB.api("/api/v1/divisions"), CB.api("/api/v1/sellers")]);
    divisions = d.divisions || [];
    sellers = s.sellers || [];
    try { tokens = (await CB.api("/api/v1/tokens")).tokens || []; } catch (_) { tokens = []; }
    render();
  }

  function divisionName(id) { return (divisions.find((d) => d.id === id) || { name: id }).name; }
  function sellerName(id) { return (sellers.find((s) => s.id === id) || { name: id }).name; }

  function render() {
    // Divisions: rename in place.
    $("div-table").replaceChildren(...divisions.map((d) => {
      const input = h("input", { value: d.name, "aria-label": `Name of ${d.name}`, "data-field": "data.name" });
      const err = h("div", { class: "field-error" });
      const save = h("button", { type: "button", onclick: async () => {
        err.textContent = "";
        if (input.value.trim() === d.name) return;
        try { await event("division_renamed", { id: d.id, name: input.value.trim() }); notice(`Renamed to ${input.value.trim()}.`); await load(); }
        catch (e) { err.textContent = e.message; }
      } }, "Rename");
      return h("tr", { "data-id": d.id }, h("td", {}, input, err), h("td", { class: "num" },
        `${sellers.filter((s) => s.division === d.id && !s.left).length} sellers`), h("td", {}, save));
    }));
    $("s-division").replaceChildren(...divisions.map((d) => h("option", { value: d.id }, d.name)));

    // Sellers: move, leave, hand out access.
    const active = sellers.filter((s) => !s.left);
    $("seller-table").replaceChildren(
      h("tr", {}, h("th", {}, "Seller"), h("th", {}, "Division"), h("th", {}, "Access"), h("th", {}, "")),
      ...active.map((s) => {
        const move = h("select", { "aria-label": `Division of ${s.name}` },
          ...divisions.map((d) => h("option", { value: d.id, selected: d.id === s.division }, d.name)));
        move.addEventListener("change", async () => {
          try { await event("seller_moved", { seller: s.id, division: move.value }); notice(`${s.name} moved to ${divisionName(move.value)}.`); await load(); }
          catch (e) { notice(e.message, "err"); move.value = s.division; }
        });
        const leave = h("button", { type: "button", class: "danger leave" }, "Leaves…");
        leave.addEventListener("click", async () => {
          // Two steps instead of a dialog: one stray tap does nothing.
          if (!leave.dataset.armed) {
            leave.dataset.armed = "1";
            leave.textContent = `Confirm: ${s.name} leaves`;
            setTimeout(() => { delete leave.dataset.armed; leave.textContent = "Leaves…"; }, 5000);
            return;
          }
          try { await event("seller_left", { seller: s.id }); notice(`${s.name} has left; their history stays.`); await load(); }
          catch (e) { notice(e.message, "err"); }
        });
        const held = tokens.filter((t) => t.seller === s.id);
        const link = h("button", { type: "button", class: "signin-for", onclick: () => createToken({ role: "seller", seller: s.id }, s.name) },
          held.length ? "New link" : "Sign-in link");
        return h("tr", { "data-id": s.id }, h("td", {}, s.name, h("div", { class: "muted" }, s.id)), h("td", {}, move),
          h("td", {}, link, held.length ? h("div", { class: "muted" }, `${held.length} token${held.length > 1 ? "s" : ""}`) : null),
          h("td", {}, leave));
      }));
    $("t-seller").replaceChildren(...divisions.flatMap((d) => {
      const group = h("optgroup", { label: d.name }, ...active.filter((s) => s.division === d.id).map((s) => h("option", { value: s.id }, s.name)));
      return group.children.length ? [group] : [];
    }));
    renderTokens();
    setup();
  }

  function renderTokens() {
    const mine = who && who.token ? who.token.id : "";
    $("token-table").replaceChildren(
      h("tr", {}, h("th", {}, "Token"), h("th", {}, "Role"), h("th", {}, "Seller"), h("th", {}, "Label"), h("th", {}, "Created"), h("th", {}, "Status"), h("th", {}, "")),
      ...tokens.map((t) => {
        const revoke = h("button", { type: "button", class: "danger revoke" }, "Revoke…");
        revoke.addEventListener("click", async () => {
          if (!revoke.dataset.armed) {
            revoke.dataset.armed = "1";
            revoke.textContent = t.id === mine ? "Confirm: revoke this device" : "Confirm revoke";
            setTimeout(() => { delete revoke.dataset.armed; revoke.textContent = "Revoke…"; }, 5000);
            return;
          }
          try {
            await CB.api(`/api/v1/tokens/${encodeURIComponent(t.id)}`, { method: "DELETE" });
            notice(`Token ${t.id} revoked: it no longer works.`);
            await load();
          } catch (e) { notice(e.message, "err"); }
        });
        return h("tr", { "data-id": t.id }, h("td", {}, h("code", {}, t.id), t.id === mine ? h("div", { class: "muted" }, "this device") : null),
          h("td", {}, t.role), h("td", {}, t.seller ? sellerName(t.seller) : "—"), h("td", {}, t.label || ""),
          h("td", {}, CB.when(t.created_at)),
          h("td", {}, h("span", { class: "status " + (t.status === "active" ? "running" : "upcoming") }, t.status === "active" ? "signed in" : "link not used yet")),
          h("td", {}, revoke));
      }));
  }

  /** A QR code from the server's module rows, drawn as one SVG path. */
  function qrSvg(qr) {
    const NS = "http://www.w3.org/2000/svg", q = 4, n = qr.size + 2 * q;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${n} ${n}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "QR code of the sign-in link");
    svg.setAttribute("shape-rendering", "crispEdges");
    let d = "";
    qr.modules.forEach((row, y) => { for (let x = 0; x < row.length; x++) if (row[x] === "1") d += `M${x + q} ${y + q}h1v1h-1z`; });
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "#000");
    svg.append(path);
    return svg;
  }

  async function createToken(body, forName, then = load) {
    const form = $("token-form");
    clearErrors(form);
    try {
      const res = await CB.api("/api/v1/tokens", { body });
      $("signin").hidden = false;
      $("signin-for").textContent = forName || body.label || body.role;
      $("signin-url").value = res.signin.url || (location.origin + res.signin.path);
      $("signin-note").textContent = `Works once, until ${new Date(res.signin.expires_at).toLocaleString()}. ` +
        "Opening it signs that browser in; the link is dead afterwards.";
      $("signin-qr").replaceChildren(qrSvg(res.qr));
      $("signin").scrollIntoView({ block: "nearest" });
      await then();
      return res;
    } catch (e) {
      showError(form, e);
      $("access").scrollIntoView({ block: "nearest" });
      return null;
    }
  }

  /** First start: what to do next, until there are divisions, sellers and a leader token. */
  function setup() {
    const box = $("setup");
    const open = who && who.open;
    let step = null;
    if (divisions.length < 2) {
      step = [`Welcome! Step 1 of ${open ? 3 : 2}: add the divisions that sell to each other's customers ` +
        `(${divisions.length ? "one more at least" : "two at least"}).`];
    } else if (!sellers.some((s) => !s.left)) {
      step = [`Step 2 of ${open ? 3 : 2}: add the sellers of each division.`];
    } else if (open) {
      const go = h("button", { type: "button", class: "primary", id: "setup-leader" }, "Create my leader sign-in");
      go.addEventListener("click", async () => {
        // Nothing to reload: the API closes as soon as a token exists.
        const res = await createToken({ role: "leader", label: "first leader" }, "you", async () => {});
        if (!res) return;
        // Sign this browser in with it now.
        location.assign(res.signin.path);
        location.reload();
      });
      step = ["Step 3 of 3: anyone who can reach this server may change it until a leader token exists. ", go];
    }
    box.hidden = !step;
    box.className = "notice ok";
    box.replaceChildren(...(step || []));
  }

  async function addDivision(ev) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(form);
    const name = $("d-name").value.trim();
    try {
      await event("division_created", { id: slug(name, new Set(divisions.map((d) => d.id))), name });
      $("d-name").value = "";
      notice(`Division ${name} added.`);
      await load();
      $("d-name").focus();
    } catch (e) { showError(form, e); }
  }

  async function addSeller(ev) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(form);
    const name = $("s-name").value.trim();
    try {
      await event("seller_joined", { id: slug(name, new Set(sellers.map((s) => s.id))), name, division: $("s-division").value });
      $("s-name").value = "";
      notice(`${name} joined ${divisionName($("s-division").value)}.`);
      await load();
      $("s-name").focus();
    } catch (e) { showError(form, e); }
  }

  async function init() {
    $("div-form").addEventListener("submit", addDivision);
    $("seller-form").addEventListener("submit", addSeller);
    $("t-role").addEventListener("change", () => { $("t-seller-box").hidden = $("t-role").value !== "seller"; });
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const role = $("t-role").value, label = $("t-label").value.trim() || undefined;
      const body = { role, label, seller: role === "seller" ? $("t-seller").value || undefined : undefined };
      createToken(body, role === "seller" ? sellerName(body.seller) : label || role).then((r) => { if (r) $("t-label").value = ""; });
    });
    $("signin-copy").addEventListener("click", async () => {
      $("signin-url").select();
      try { await navigator.clipboard.writeText($("signin-url").value); $("signin-copy").textContent = "Copied"; }
      catch (_) { document.execCommand && document.execCommand("copy"); }
    });
    try { who = await CB.me(); } catch (_) { who = null; }
    try { await load(); } catch (e) { notice("Cannot load the organisation: " + e.message, "err"); }
  }
  init();
})();
