// crossboard /log: log an activity in a few taps; show the API's field
// errors where they belong and the points the event earned.
//
// Who logs comes from the token (CB.me): a seller token logs as its seller
// and never sees a picker (picking someone else could only end in a 403);
// a leader logs for anyone ("Log for…"), remembered on this device.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  let sellers = [], divisions = [], profile = null;
  // The seller a seller token acts as; null for a leader, who picks.
  let fixed = null;
  const me = () => fixed || $("me").value;

  // Seller fields of each event type: an error there belongs to "I am".
  const SELF_FIELDS = ["data.from", "data.by", "data.host", "data.seller"];

  async function init() {
    try {
      const [s, d] = await Promise.all([CB.api("/api/v1/sellers"), CB.api("/api/v1/divisions")]);
      sellers = s.sellers || [];
      divisions = d.divisions || [];
    } catch (e) {
      $("result").hidden = false;
      $("result").className = "notice err";
      $("result").textContent = "Cannot load sellers: " + e.message;
      return;
    }
    let who = null;
    try { who = await CB.me(); } catch (_) { /* unknown: fall back to the picker */ }
    if (who && who.role === "seller" && who.seller) {
      fixed = who.seller.id;
      const s = who.seller;
      $("me-fixed").textContent = `Logging as ${s.name}` + (s.division_name ? ` · ${s.division_name}` : "");
      $("me-fixed").hidden = false;
    } else {
      if (who && who.role === "screen") {
        $("result").hidden = false;
        $("result").className = "notice err";
        $("result").textContent = "This device signed in as a wall screen: it can show boards, not log activities.";
      }
      CB.fillSellers($("me"), sellers, divisions, CB.seller(), "— pick a seller —");
      $("me-pick").hidden = false;
    }
    $("me").addEventListener("change", () => { CB.seller(me()); clearErrors(document); refreshMe(); });
    $("lead-division").addEventListener("change", fillLeadSellers);
    document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => tab(b.dataset.tab)));
    document.querySelectorAll("form[data-type]").forEach((f) => f.addEventListener("submit", submit));
    tab((location.hash || "#lead").slice(1));
    await refreshMe();
  }

  function tab(name) {
    if (!$("form-" + name)) name = "lead";
    document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
    document.querySelectorAll("form[data-type]").forEach((f) => { f.hidden = f.id !== "form-" + name; });
    history.replaceState(null, "", "#" + name);
  }

  /** Everything that depends on who "I" am: divisions to give to, guests, my leads. */
  async function refreshMe() {
    const mine = sellers.find((s) => s.id === me());
    const myDivision = mine ? mine.division : "";
    const div = $("lead-division");
    const keep = div.value;
    div.replaceChildren(...divisions.map((d) => h("option", { value: d.id, selected: d.id === keep }, d.name + (d.id === myDivision ? " (my own)" : ""))));
    if (!keep || keep === myDivision) {
      const other = divisions.find((d) => d.id !== myDivision);
      if (other) div.value = other.id;
    }
    fillLeadSellers();
    $("jv-guests").replaceChildren(...sellers.filter((s) => !s.left && s.id !== me()).map((s) =>
      h("label", {}, h("input", { type: "checkbox", name: "guests", value: s.id }), h("span", {}, s.name))));
    profile = null;
    if (me()) {
      try { profile = await CB.api(`/api/v1/sellers/${encodeURIComponent(me())}?window=all`); } catch (_) { /* shown on submit */ }
    }
    const received = (profile && profile.leads_received) || [];
    const all = received.concat((profile && profile.leads_given) || []);
    const label = (l) => `${l.customer} — ${l.giver === me() ? "mine" : "from " + name(l.giver)}${l.status ? " (" + CB.STATUS_LABELS[l.status] + ")" : ""}`;
    $("fb-lead").replaceChildren(...(received.length
      ? received.map((l) => h("option", { value: l.lead }, label(l)))
      : [h("option", { value: "" }, "No leads to you yet")]));
    for (const id of ["mt-lead", "or-lead"]) {
      $(id).replaceChildren(h("option", { value: "" }, "— none —"), ...all.map((l) => h("option", { value: l.lead }, label(l))));
    }
    const customers = [...new Set(all.map((l) => l.customer))];
    $("customers").replaceChildren(...customers.map((c) => h("option", { value: c })));
  }

  function name(id) { const s = sellers.find((x) => x.id === id); return s ? s.name : id; }

  function fillLeadSellers() {
    const d = $("lead-division").value;
    $("lead-seller").replaceChildren(h("option", { value: "" }, "— anyone in the division —"),
      ...sellers.filter((s) => s.division === d && !s.left && s.id !== me()).map((s) => h("option", { value: s.id }, s.name)));
  }

  /** "450 000,50" → 45000050 minor units; anything else goes as typed so the API can say what is wrong. */
  function minor(text) {
    const t = text.replace(/[\s\u00a0]/g, "").replace(",", ".");
    if (t === "") return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? Math.round(n * 100) : text;
  }

  function opt(v) { v = (v || "").trim(); return v === "" ? undefined : v; }

  function data(form) {
    const f = form.elements;
    switch (form.dataset.type) {
      case "lead_given":
        return { lead: CB.uid("L-"), from: me(), to_division: f.to_division.value, to_seller: opt(f.to_seller.value),
          customer: f.customer.value.trim(), note: opt(f.note.value), estimated_value: minor(f.estimated_value.value) };
      case "lead_feedback":
        return { lead: f.lead.value, by: me(), status: form.querySelector("input[name=status]:checked").value, note: opt(f.note.value) };
      case "joint_visit":
        return { host: me(), guests: [...form.querySelectorAll("input[name=guests]:checked")].map((i) => i.value), customer: f.customer.value.trim() };
      case "meeting_held":
        return { seller: me(), customer: f.customer.value.trim(), lead: opt(f.lead.value) };
      case "order_closed":
        return { order: CB.uid("O-"), seller: me(), customer: f.customer.value.trim(), amount: minor(f.amount.value),
          currency: f.currency.value.trim().toUpperCase(), lead: opt(f.lead.value) };
      default:
        return {};
    }
  }

  function clearErrors(root) {
    root.querySelectorAll(".field-error, .form-error").forEach((e) => { e.textContent = ""; });
    root.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  }

  function showError(form, err) {
    let field = err.field || "";
    if (SELF_FIELDS.includes(field)) field = "me";
    // "data.guests[1]" belongs to the guests field.
    const base = field.replace(/\[\d+\]$/, "");
    const slot = document.querySelector(`[data-error-for="${base}"]`);
    if (slot && (base === "me" || form.contains(slot))) {
      slot.textContent = err.message;
      const input = document.querySelector(`[data-field="${base}"]`);
      if (input) { input.classList.add("invalid"); input.focus && input.focus(); }
    } else {
      form.querySelector(".form-error").textContent = err.message;
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(document);
    $("result").hidden = true;
    if (!me()) return showError(form, { field: "me", message: "Pick who you log for first." });
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const body = { id: CB.uid("web-"), type: form.dataset.type, data: data(form) };
    try {
      const res = await CB.api("/api/v1/events", { body });
      form.querySelectorAll("input:not([type=radio]):not([type=checkbox]):not([name=currency]), textarea").forEach((i) => { i.value = ""; });
      form.querySelectorAll("input[type=checkbox]").forEach((i) => { i.checked = false; });
      await awarded(res.seq);
      refreshMe();
    } catch (err) {
      showError(form, err);
    } finally {
      button.disabled = false;
    }
  }

  /** Shows what the event earned me, from the credits of my profile. */
  async function awarded(seq) {
    const r = $("result");
    r.className = "notice ok";
    r.hidden = false;
    let pts = null, rank = null;
    try {
      const p = await CB.api(`/api/v1/sellers/${encodeURIComponent(me())}?window=week`);
      pts = (p.recent || []).filter((c) => c.seq === seq).reduce((a, c) => a + c.points, 0);
      rank = p.rank;
    } catch (_) { /* the event is in; points show on /me */ }
    r.replaceChildren(
      h("div", { class: "award", id: "award" }, pts === null ? "Logged!" : `+${pts} points`),
      h("div", {}, `Saved as event #${seq}.` + (rank ? ` You are #${rank} this week.` : "")));
    r.scrollIntoView({ block: "nearest" });
  }

  init();
})();
