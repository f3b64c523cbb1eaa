// crossboard: shared helpers for every page.
//
// Every request to the server goes through CB.api (HTTP) or CB.live
// (websocket), so authentication lives in exactly one place: a bearer token
// in localStorage ("crossboard.token"). A page opened from a one-time
// sign-in link (/log#signin=<code>, made in /admin) exchanges the code for
// the token once and stores it; #token=<secret> (printed by --demo) and the
// older ?token=<secret> set it directly. Either way it leaves the address
// bar at once. CB.me() says who the token is (GET /api/v1/me).
"use strict";

const CB = (() => {
  const TOKEN_KEY = "crossboard.token";
  const SELLER_KEY = "crossboard.seller";

  function store(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key) || "";
      if (value === null || value === "") localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (_) { /* private mode: nothing is remembered */ }
    return value || "";
  }

  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    store(TOKEN_KEY, params.get("token"));
    // Out of the address bar once stored: no token in history, bookmarks,
    // screenshots or over-the-shoulder photos of a wall screen.
    const clean = new URLSearchParams(location.search);
    clean.delete("token");
    const q = clean.toString();
    try {
      history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
    } catch (_) { /* an odd embedding: the token simply stays visible */ }
  }

  // The fragment never reaches a server, its logs or a proxy's: that is
  // why sign-in links and demo links carry their secrets there.
  const frag = new URLSearchParams(location.hash.slice(1));
  let signingIn = Promise.resolve();
  if (frag.has("signin") || frag.has("token")) {
    const code = frag.get("signin"), secret = frag.get("token");
    frag.delete("signin"); frag.delete("token");
    const rest = frag.toString();
    try {
      history.replaceState(history.state, "", location.pathname + location.search + (rest ? "#" + rest : ""));
    } catch (_) { /* an odd embedding: the code stays visible, but it is dead after use */ }
    if (secret) store(TOKEN_KEY, secret);
    if (code) signingIn = redeem(code);
  }

  /** Exchanges a one-time sign-in code for the token (POST /api/v1/signin). */
  async function redeem(code) {
    let res = null, data = null;
    try {
      res = await fetch("/api/v1/signin", { method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ code }) });
      data = await res.json();
    } catch (_) { /* shown below */ }
    if (res && res.ok && data && data.token) {
      store(TOKEN_KEY, data.token);
      return;
    }
    const why = (data && data.error && data.error.message) || "the server cannot be reached";
    const show = () => document.body.prepend(h("div", { id: "cb-signin-bar", role: "alert", style: "padding: 10px 16px; " +
      "background: #ff6b7f; color: #1b0006; font: 600 16px system-ui, sans-serif; position: relative; z-index: 20" },
      "This sign-in link did not work: " + why));
    if (document.body) show(); else addEventListener("DOMContentLoaded", show);
  }

  function token() { return store(TOKEN_KEY); }

  let mePromise = null;
  /**
   * Who the token is: {role: "seller"|"leader"|"screen", seller?: {id, name,
   * division, division_name}}; asked once per page.
   */
  function me() {
    if (!mePromise) mePromise = api("/api/v1/me").catch((e) => { mePromise = null; throw e; });
    return mePromise;
  }

  /** An error from the API, with its code and the field at fault. */
  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || (status ? "HTTP " + status : "the server cannot be reached"));
      this.status = status;
      this.code = e.code || "";
      this.field = e.field || "";
      this.body = body;
    }
  }

  /** fetch + JSON + the bearer token. Throws ApiError on a non-2xx answer. */
  async function api(path, opts = {}) {
    await signingIn;
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    const t = token();
    if (t) headers.Authorization = "Bearer " + t;
    let body = opts.body;
    if (body !== undefined && typeof body !== "string") {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    let res;
    try {
      res = await fetch(path, { method: opts.method || (body !== undefined ? "POST" : "GET"), headers, body });
    } catch (_) {
      throw new ApiError(0, null);
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (res.status === 401) askToken();
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  /** A bar asking for an access token, shown once when the server says 401. */
  function askToken() {
    if (document.getElementById("cb-token-bar")) return;
    const input = h("input", { type: "password", placeholder: "access token", autocomplete: "off",
      style: "max-width: 320px; min-height: 40px" });
    const save = () => { store(TOKEN_KEY, input.value.trim()); location.reload(); };
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") save(); });
    document.body.prepend(h("div", { id: "cb-token-bar", style: "display: flex; gap: 10px; align-items: center; " +
      "flex-wrap: wrap; padding: 10px 16px; background: #ff6b7f; color: #1b0006; font: 600 16px system-ui, sans-serif; " +
      "position: relative; z-index: 20" },
      "This server needs an access token.", input,
      h("button", { type: "button", onclick: save, style: "min-height: 40px" }, "Save")));
  }

  function liveUrl() {
    const u = new URL("/api/v1/live", location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return u.toString();
  }

  /** The token rides in a subprotocol header, never in the socket's URL. */
  function liveProtocols() {
    const t = token();
    return t ? ["crossboard", "bearer." + t] : ["crossboard"];
  }

  /**
   * A websocket that reconnects by itself (backoff up to 5 s) and
   * re-subscribes after each reconnect. onStatus(true|false) tells the page
   * whether it is live.
   */
  function live({ subscriptions = [], onMessage, onStatus }) {
    const subs = subscriptions.slice();
    let ws = null, delay = 500, closed = false, timer = null;
    const status = (up) => onStatus && onStatus(up);
    function open() {
      if (closed) return;
      try { ws = new WebSocket(liveUrl(), liveProtocols()); } catch (_) { return retry(); }
      ws.onopen = () => {
        delay = 500;
        status(true);
        subs.forEach((s) => ws.send(JSON.stringify(s)));
      };
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch (_) { return; }
        onMessage && onMessage(msg);
      };
      ws.onclose = () => { status(false); retry(); };
      ws.onerror = () => { try { ws.close(); } catch (_) { /* already closed */ } };
    }
    function retry() {
      if (closed || timer) return;
      timer = setTimeout(() => { timer = null; open(); }, delay);
      delay = Math.min(delay * 2, 5000);
    }
    signingIn.then(open);
    return {
      subscribe(s) {
        subs.push(s);
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(s));
      },
      close() { closed = true; if (ws) ws.close(); },
    };
  }

  /** h("div", {class: "x", onclick: f}, child, "text", ...) */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  /** Minor units → "450 000 SEK". */
  function money(minor, currency) {
    return nf.format(Math.round((minor || 0) / 100)) + (currency ? " " + currency : "");
  }

  /** {"SEK": 123} → "1 SEK · 5 EUR" (or "0"). */
  function moneyMap(map) {
    const parts = Object.entries(map || {}).map(([c, v]) => money(v, c));
    return parts.length ? parts.join(" · ") : "0";
  }

  function num(n) { return Number.isInteger(n) ? nf.format(n) : nf1.format(n || 0); }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const diff = (Date.now() - d.getTime()) / 1000;
    if (diff < 60) return "just now";
    if (diff < 3600) return Math.floor(diff / 60) + " min ago";
    if (diff < 86400) return Math.floor(diff / 3600) + " h ago";
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }

  /** A random id; crypto.randomUUID needs a secure context, this does not. */
  function uid(prefix) {
    const b = new Uint8Array(8);
    (self.crypto || window.msCrypto).getRandomValues(b);
    return (prefix || "") + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  const KIND_LABELS = {
    lead: "Leads given", feedback: "Feedback", joint_visit: "Joint visits", meeting: "Meetings",
    order: "Orders", lead_share: "Share of orders", lead_won: "Leads won",
    first_pair: "First time together",
    lead_qualified: "Qualified leads", lead_meeting: "Leads to meetings",
    knowledge_presented: "Knowledge shared", knowledge_attended: "Knowledge sessions attended",
  };
  const STATUS_LABELS = {
    contacted: "Contacted", meeting_booked: "Meeting booked", won: "Won", lost: "Lost",
    not_relevant: "Not relevant",
  };

  /** The remembered seller of this device. */
  function seller(id) { return id === undefined ? store(SELLER_KEY) : store(SELLER_KEY, id); }

  /** Fills a <select> with sellers grouped by division. */
  function fillSellers(select, sellers, divisions, selected, placeholder) {
    select.textContent = "";
    if (placeholder) select.append(h("option", { value: "" }, placeholder));
    for (const d of divisions) {
      const group = h("optgroup", { label: d.name });
      for (const s of sellers.filter((s) => s.division === d.id && !s.left)) {
        group.append(h("option", { value: s.id, selected: s.id === selected }, s.name));
      }
      if (group.children.length) select.append(group);
    }
  }

  return {
    api, live, me, h, money, moneyMap, num, when, uid, seller, token, fillSellers, params,
    ApiError, KIND_LABELS, STATUS_LABELS,
  };
})();
