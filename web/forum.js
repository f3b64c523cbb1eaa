// crossboard /forum: the agenda of the weekly cross-selling meeting, per
// division pair: new leads since a date, overdue feedback, outcomes,
// delivery problems and wins to celebrate. Every text goes in as a text
// node (CB.h), never as markup.
//
// URL parameters: since=YYYY-MM-DD (default: 7 days ago), big=1 (large
// type for the wall), limit=N rows per list (default 50).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { h } = CB;
  const P = CB.params;
  const big = P.get("big") === "1";
  document.body.classList.toggle("big", big);

  const since = $("since");
  since.value = /^\d{4}-\d{2}-\d{2}$/.test(P.get("since") || "") ? P.get("since") : "";
  since.addEventListener("change", () => { setParam("since", since.value); load(); });
  $("print").addEventListener("click", () => window.print());
  $("big").addEventListener("click", () => { setParam("big", "1"); document.body.classList.add("big"); });

  function setParam(k, v) {
    const q = new URLSearchParams(location.search);
    if (v) q.set(k, v); else q.delete(k);
    history.replaceState(history.state, "", location.pathname + (q.toString() ? "?" + q : ""));
  }

  const hours = (x) => (x >= 48 ? `${Math.round(x / 24)} days` : `${Math.round(x)} h`);
  const day = (iso) => (iso ? new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short" }) : "");
  const who = (name, id) => name || id || "";

  function leadRow(l, overdueList) {
    return h("tr", { class: l.overdue ? "overdue" : "", "data-lead": l.lead },
      h("td", {}, h("b", {}, l.customer), h("div", { class: "muted" }, `from ${who(l.from_name, l.from)} · ${day(l.given_at)}`)),
      h("td", {}, l.to_seller ? who(l.to_seller_name, l.to_seller) : h("span", { class: "muted" }, "nobody yet")),
      h("td", { class: "num" }, overdueList
        ? h("span", { class: "tag late" }, `waiting ${hours(l.age_hours)}`)
        : h("span", { class: "tag " + l.status }, l.status === "open" ? (l.overdue ? "overdue" : "open") : (CB.STATUS_LABELS[l.status] || l.status))));
  }

  function list(title, cls, listed, row) {
    if (!listed || !listed.total) return null;
    const more = listed.total - listed.rows.length;
    return h("div", { class: "list " + cls },
      h("h3", {}, title, " ", h("span", { class: "n" }, CB.num(listed.total))),
      h("table", {}, ...listed.rows.map(row),
        more > 0 ? h("tr", {}, h("td", { class: "more", colspan: 3 }, `… and ${CB.num(more)} more`)) : null));
  }

  function pairSection(p) {
    return h("section", { class: "card pair", "data-from": p.from, "data-to": p.to },
      h("h2", {}, p.from_name, h("span", { class: "arrow" }, "→"), p.to_name,
        h("span", { class: "muted" }, `${CB.num(p.new_leads.total)} new · ${CB.num(p.overdue.total)} overdue · ` +
          `${CB.num(p.won.total)} won · ${CB.num(p.orders.total)} orders` +
          (p.orders.total ? ` (${CB.moneyMap(p.order_value)})` : ""))),
      list("Overdue feedback", "overdue", p.overdue, (l) => leadRow(l, true)),
      list("New leads", "new", p.new_leads, (l) => leadRow(l, false)),
      list("Won", "won", p.won, (l) => leadRow(l, false)),
      list("Lost", "lost", p.lost, (l) => leadRow(l, false)),
      list("Orders from leads", "orders", p.orders, (o) => h("tr", { "data-order": o.order },
        h("td", {}, h("b", {}, o.customer), h("div", { class: "muted" }, `${who(o.seller_name, o.seller)} · ${day(o.closed_at)}`)),
        h("td", {}, `lead ${o.lead}`),
        h("td", { class: "num" }, CB.money(o.amount, o.currency)))),
      list("Delivery problems", "delivery", p.delivery_problems, (d) => h("tr", { "data-order": d.order },
        h("td", {}, h("b", {}, d.customer), h("div", { class: "muted" }, `${who(d.seller_name, d.seller)} · order ${d.order}`)),
        h("td", {}, day(d.reported_at)),
        h("td", { class: "num" }, h("span", { class: "tag " + d.status }, d.status)))));
  }

  function card(label, value) {
    return h("div", { class: "card" }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value));
  }

  async function load() {
    const q = new URLSearchParams();
    if (since.value) q.set("since", since.value);
    if (P.get("limit")) q.set("limit", P.get("limit"));
    let f;
    try {
      f = await CB.api("/api/v1/forum" + (q.toString() ? "?" + q : ""));
    } catch (e) {
      $("error").textContent = "Cannot load the agenda: " + e.message + (e.field ? ` (${e.field})` : "");
      return;
    }
    $("error").textContent = "";
    if (!since.value && f.since) since.value = f.since;
    // The local date asked for, read at noon so no zone can shift its day.
    $("range").textContent = `since ${day(f.since ? f.since + "T12:00:00" : f.since_at)}`;
    const t = f.totals;
    $("summary").replaceChildren(
      card("New leads", CB.num(t.new_leads)), card("Overdue feedback", CB.num(t.overdue)),
      card("Won", CB.num(t.won)), card("Lost", CB.num(t.lost)),
      card("Orders from leads", CB.num(t.orders)), card("Order value", CB.moneyMap(t.order_value)),
      card("Delivery problems", CB.num(t.delivery_problems)));
    const wins = f.celebrate.rows;
    $("celebrate").hidden = !wins.length;
    $("wins").replaceChildren(...wins.map((w) => h("tr", {},
      h("td", {}, "🎉 ", h("b", {}, w.customer)),
      h("td", {}, w.kind === "order" ? `${who(w.seller_name, w.seller)} closed, from ${who(w.giver_name, w.giver)}'s lead`
        : `${who(w.seller_name, w.seller)} won ${who(w.giver_name, w.giver)}'s lead`),
      h("td", { class: "num" }, w.amount !== null && w.amount !== undefined ? CB.money(w.amount, w.currency) : "won"))));
    $("pairs").replaceChildren(...f.pairs.map(pairSection));
    $("empty").hidden = f.pairs.length > 0;
  }

  load();
  // On the wall the agenda keeps itself current.
  setInterval(load, big ? 60000 : 300000);
})();
