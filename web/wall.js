// crossboard wall: rotates live boards, animates rank changes, celebrates
// highlights, and keeps reconnecting on its own.
//
// URL parameters:
//   boards  comma list of sellers:<window>, divisions:<window>[:per_seller|sum],
//           competition:<id>, competitions (= every running competition),
//           matrix:<window> (who works with whom: a division × division heat map),
//           forum (the weekly forum's agenda: per division pair, overdue and new),
//           targets (progress bars), challenges (running head-to-heads)
//           default: sellers:week,divisions:month:per_seller,competitions
//   rotate  seconds per board (0 = no rotation), default 15
//   rows    rows shown, default 10
//   sound   1 = play a chime with highlights (off by default)
//   feed    0 = hide the column of latest activities (shown by default)
//
// Under --wall-privacy the server sends a screen initials or division names
// instead of names; with "divisions" the wall leaves out seller boards.
"use strict";

(() => {
  const P = CB.params;
  const ROWS = Math.max(3, Math.min(30, parseInt(P.get("rows"), 10) || 10));
  const ROTATE = P.has("rotate") ? Math.max(0, parseFloat(P.get("rotate")) || 0) : 15;
  const SOUND = P.get("sound") === "1";
  const FEED = P.get("feed") !== "0";
  const WINDOWS = { day: "Today", week: "This week", month: "This month", quarter: "This quarter", year: "This year", all: "All time", season: "This season" };
  const LAST = { day: "Yesterday's", week: "Last week's", month: "Last month's", quarter: "Last quarter's", year: "Last year's", season: "Last season's" };

  const $ = (id) => document.getElementById(id);
  const boardEl = $("board");

  /** A slide: what to subscribe to and the key its frames arrive under. */
  function slide(token) {
    const [name, win, scoring] = token.split(":");
    if (name === "competition") return { key: token, sub: { subscribe: token } };
    if (name === "sellers") {
      const w = win || "week";
      // Only the rows the wall shows: the server cuts at the limit and
      // counts the rest (tied_beyond, zeros_omitted) instead of sending them.
      return { key: `sellers:${w}`, sub: { subscribe: "sellers", window: w, limit: ROWS, day_move: true } };
    }
    if (name === "divisions") {
      const w = win || "month", s = scoring || "per_seller";
      return { key: `divisions:${w}:${s}`, sub: { subscribe: "divisions", window: w, scoring: s } };
    }
    // Not a live board: fetched from /api/v1/matrix when the boards move.
    if (name === "matrix") {
      const w = WINDOWS[win] ? win : "month";
      return { key: `matrix:${w}`, matrix: w };
    }
    // Fetched like the matrix: /api/v1/forum, the full agenda is /forum.
    if (name === "forum") return { key: "forum", forum: true };
    // The game: targets with progress bars, and running challenges.
    if (name === "targets") return { key: "targets", game: "targets" };
    if (name === "challenges") return { key: "challenges", game: "challenges" };
    return null;
  }
  function frameKey(f) {
    if (f.board === "sellers") return `sellers:${f.window.kind}`;
    if (f.board === "divisions") return `divisions:${f.window.kind}:${f.scoring || "sum"}`;
    return f.board;
  }

  const tokens = (P.get("boards") || "sellers:week,divisions:month:per_seller,competitions")
    .split(",").map((t) => t.trim()).filter(Boolean);
  const withCompetitions = tokens.includes("competitions");
  const fixed = tokens.filter((t) => t !== "competitions").map(slide).filter(Boolean);
  let running = []; // slides of running competitions
  const frames = new Map();
  let current = 0;
  let shownKey = null;

  const live = CB.live({
    subscriptions: fixed.filter((s) => s.sub).map((s) => s.sub).concat(FEED ? [{ subscribe: "feed" }] : []),
    onMessage,
    onStatus(up) {
      $("status").textContent = up ? "LIVE" : "offline — reconnecting";
      $("status").classList.toggle("off", !up);
      boardEl.classList.toggle("offline", !up);
      if (up) { refreshCompetitions(); refreshCollab(); refreshMatrix(); }
    },
  });

  // "divisions" privacy: seller boards would only repeat team names.
  let teamsOnly = false;
  CB.me().then((m) => {
    teamsOnly = m.wall_privacy === "divisions";
    if (teamsOnly && shownKey && shownKey.startsWith("sellers:")) {
      const list = slides();
      if (list.length && list[0].key !== shownKey) show(list[0].key, true);
    }
  }).catch(() => { /* the boards say what is wrong */ });

  function slides() {
    const all = fixed.concat(running).filter((s) => frames.has(s.key));
    const teams = all.filter((s) => !s.key.startsWith("sellers:"));
    return teamsOnly && teams.length ? teams : all;
  }

  function onMessage(msg) {
    if (msg.highlight) return celebrate(msg.highlight);
    if (msg.feed || msg.activity) return feedMessage(msg);
    if (msg.error) { console.warn("live:", msg.error); return; }
    if (!msg.board) return;
    const key = frameKey(msg);
    frames.set(key, msg);
    const hidden = !slides().some((s) => s.key === key);
    if ((shownKey === null && !hidden) || key === shownKey) show(key);
    else dots();
    collabSoon();
    matrixSoon();
  }

  // ---- the matrix slides ----------------------------------------------------
  const matrixSlides = fixed.filter((s) => s.matrix || s.forum || s.game);
  let matrixAt = 0, matrixTimer = null;
  async function refreshMatrix() {
    matrixAt = Date.now();
    for (const s of matrixSlides) {
      try {
        if (s.forum) {
          frames.set(s.key, { board: "forum", window: { kind: "week" }, forum: await CB.api("/api/v1/forum?limit=1") });
          if (shownKey === null || shownKey === s.key) show(s.key);
          else dots();
          continue;
        }
        if (s.game) {
          const data = await CB.api(`/api/v1/${s.game}`);
          const list = s.game === "targets" ? (data.targets || [])
            : (data.challenges || []).filter((c) => c.status === "running" || c.status === "upcoming");
          frames.set(s.key, { board: s.game, window: { kind: "all" }, list });
          if (shownKey === null || shownKey === s.key) show(s.key);
          else dots();
          continue;
        }
        const [m, d] = await Promise.all([CB.api(`/api/v1/matrix?window=${s.matrix}`), CB.api("/api/v1/divisions").catch(() => ({ divisions: [] }))]);
        frames.set(s.key, { board: "matrix", window: { kind: s.matrix }, rows: m.rows || [], divisions: d.divisions || [] });
        if (shownKey === null || shownKey === s.key) show(s.key);
        else dots();
      } catch (_) { /* keep the last one */ }
    }
  }
  // At most every 10 s when boards move, and every minute regardless.
  function matrixSoon() {
    if (!matrixSlides.length || matrixTimer) return;
    matrixTimer = setTimeout(() => { matrixTimer = null; refreshMatrix(); }, Math.max(0, 10000 - (Date.now() - matrixAt)));
  }
  if (matrixSlides.length) setInterval(refreshMatrix, 60000);

  /** A division × division heat map: leads given (rows) to received (columns). */
  function showMatrix(f) {
    boardEl.replaceChildren();
    rowEls = new Map(); lastRank = new Map(); lastPoints = new Map();
    const ids = [...new Set(f.rows.flatMap((r) => [r.from, r.to]))].sort();
    if (!ids.length) { boardEl.append(CB.h("div", { class: "empty" }, "No leads yet in this window.")); return; }
    const name = (id) => (f.divisions.find((d) => d.id === id) || { name: id }).name;
    const cell = new Map(f.rows.map((r) => [r.from + "\u0000" + r.to, r]));
    const max = Math.max(1, ...f.rows.map((r) => r.leads));
    const head = CB.h("tr", {}, CB.h("th", { class: "corner" }, "from ↓  to →"), ...ids.map((id) => CB.h("th", {}, name(id))));
    const body = ids.map((from) => CB.h("tr", {}, CB.h("th", { class: "from" }, name(from)), ...ids.map((to) => {
      const r = cell.get(from + "\u0000" + to);
      if (!r) return CB.h("td", { class: from === to ? "self" : "none" }, from === to ? "" : "·");
      const td = CB.h("td", { class: "hot", "data-from": from, "data-to": to },
        CB.h("div", { class: "n" }, CB.num(r.leads)),
        CB.h("div", { class: "meta" }, `${Math.round((r.feedback_rate || 0) * 100)} % answered · ${r.won} won`),
        r.overdue ? CB.h("div", { class: "late" }, `${r.overdue} overdue`) : null);
      td.style.setProperty("--heat", (r.leads / max).toFixed(3));
      return td;
    })));
    boardEl.append(CB.h("table", { class: "matrix" }, head, ...body));
  }

  const METRIC = (m) => (m || "").replace(/_/g, " ");

  /** Targets with progress bars: reached ones marked, nearest to done first. */
  function showTargets(f) {
    boardEl.replaceChildren();
    rowEls = new Map(); lastRank = new Map(); lastPoints = new Map();
    const list = f.list.slice().sort((a, b) => (b.percent - a.percent)).slice(0, ROWS);
    if (!list.length) { boardEl.append(CB.h("div", { class: "empty" }, "No targets set.")); return; }
    boardEl.append(CB.h("div", { class: "targets" }, ...list.map((t) => {
      const bar = CB.h("i");
      bar.style.width = Math.min(100, t.percent || 0) + "%";
      return CB.h("div", { class: "target" + (t.reached_at ? " reached" : ""), "data-target": t.id },
        CB.h("div", { class: "t-name" }, `${t.division_name || "The whole team"} · ${METRIC(t.metric)}`),
        CB.h("div", { class: "barwrap" }, bar),
        CB.h("div", { class: "t-num" }, `${CB.num(t.progress)} / ${CB.num(t.value)}` + (t.reached_at ? " ✓" : "")));
    })));
  }

  /** Running challenges, head to head. */
  function showChallenges(f) {
    boardEl.replaceChildren();
    rowEls = new Map(); lastRank = new Map(); lastPoints = new Map();
    const list = f.list.slice(0, ROWS);
    if (!list.length) { boardEl.append(CB.h("div", { class: "empty" }, "No challenges running — issue one on /me.")); return; }
    boardEl.append(CB.h("div", { class: "duels" }, ...list.map((c) => {
      const val = (id) => {
        const r = (c.standings || []).find((x) => x.id === id);
        return r ? CB.num(r.points ?? r.value) : "0";
      };
      const left = Math.max(0, new Date(c.end) - Date.now());
      const days = Math.floor(left / 86400000), hours = Math.floor((left % 86400000) / 3600000);
      return CB.h("div", { class: "duel", "data-challenge": c.id },
        CB.h("div", { class: "side" }, c.challenger.name),
        CB.h("div", { class: "score" }, `${val(c.challenger.id)} : ${val(c.opponent.id)}`),
        CB.h("div", { class: "side" }, c.opponent.name),
        CB.h("div", { class: "meta" }, `${METRIC(c.metric)} · ${c.status === "upcoming" ? "starts soon" : `${days > 0 ? days + " d " : ""}${hours} h left`}` +
          (c.stake ? ` · ${c.stake}` : "")));
    })));
  }

  /** The forum's agenda in brief: division pairs, most overdue first. */
  function showForum(f) {
    boardEl.replaceChildren();
    rowEls = new Map(); lastRank = new Map(); lastPoints = new Map();
    const pairs = (f.forum.pairs || []).slice().sort((a, b) => (b.overdue.total - a.overdue.total) || (b.new_leads.total - a.new_leads.total)).slice(0, ROWS);
    if (!pairs.length) { boardEl.append(CB.h("div", { class: "empty" }, "Nothing on the agenda this week.")); return; }
    const max = Math.max(1, ...pairs.map((p) => p.overdue.total));
    const head = CB.h("tr", {}, ...["", "new leads", "overdue", "won", "orders"].map((t) => CB.h("th", {}, t)));
    const body = pairs.map((p) => {
      const late = CB.h("td", { class: p.overdue.total ? "hot" : "none" }, CB.h("div", { class: "n" }, CB.num(p.overdue.total)));
      late.style.setProperty("--heat", (p.overdue.total / max).toFixed(3));
      return CB.h("tr", { "data-from": p.from, "data-to": p.to }, CB.h("th", { class: "from" }, `${p.from_name} → ${p.to_name}`),
        CB.h("td", {}, CB.h("div", { class: "n" }, CB.num(p.new_leads.total))), late,
        CB.h("td", {}, CB.h("div", { class: "n" }, CB.num(p.won.total))),
        CB.h("td", {}, CB.h("div", { class: "n" }, CB.num(p.orders.total)), p.orders.total ? CB.h("div", { class: "meta" }, CB.moneyMap(p.order_value)) : null));
    });
    boardEl.append(CB.h("table", { class: "matrix" }, head, ...body));
  }

  async function refreshCompetitions() {
    if (!withCompetitions) return;
    try {
      const data = await CB.api("/api/v1/competitions");
      const now = (data.competitions || []).filter((c) => c.status === "running");
      running = now.map((c) => slide(`competition:${c.id}`));
      for (const s of running) {
        if (!frames.has(s.key)) live.subscribe(s.sub);
      }
      for (const k of [...frames.keys()]) {
        if (k.startsWith("competition:") && !running.some((s) => s.key === k) && !fixed.some((s) => s.key === k)) frames.delete(k);
      }
    } catch (_) { /* offline: the status badge says so */ }
  }
  setInterval(refreshCompetitions, 60000);

  // ---- rotation -----------------------------------------------------------
  function rotate() {
    const list = slides();
    if (list.length < 2) return;
    current = (list.findIndex((s) => s.key === shownKey) + 1) % list.length;
    boardEl.classList.add("fade");
    setTimeout(() => { show(list[current].key, true); boardEl.classList.remove("fade"); }, 400);
  }
  if (ROTATE > 0) setInterval(rotate, ROTATE * 1000);

  function dots() {
    const list = slides();
    $("dots").replaceChildren(...list.map((s) => CB.h("i", { class: s.key === shownKey ? "on" : "" })));
  }

  // ---- rendering ----------------------------------------------------------
  let rowEls = new Map(); // id -> element, for the shown slide
  let lastRank = new Map();
  let lastPoints = new Map();

  function rowsOf(f) {
    if (f.board === "sellers") {
      return (f.rows || []).map((r) => ({ id: r.id, rank: r.rank, name: r.name, sub: r.division_name, value: r.points, shown: CB.num(r.points),
        team: r.division_name, day: r.day_move }));
    }
    if (f.board === "divisions") {
      const per = f.scoring === "per_seller";
      return (f.rows || []).map((r) => ({
        id: r.id, rank: r.rank, name: r.name, team: r.name,
        sub: `${CB.num(r.points)} points · ${r.sellers} sellers`,
        value: per ? r.per_seller : r.points, shown: per ? fixed1(r.per_seller) : CB.num(r.points),
      }));
    }
    const per = f.scoring === "per_seller";
    return (f.standings || []).map((r) => ({
      id: r.id, rank: r.rank, name: r.name, team: r.name,
      sub: per ? `${CB.num(r.total)} points · ${r.sellers} sellers` : `${r.sellers} sellers`,
      value: r.points, shown: per ? fixed1(r.points) : CB.num(r.points),
    }));
  }

  function fixed1(n) { return (n || 0).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 }); }

  function titles(f) {
    if (f.board === "sellers") return ["Top sellers", WINDOWS[f.window.kind] + range(f.window)];
    if (f.board === "matrix") return ["Who works with whom", WINDOWS[f.window.kind] + " · leads between divisions"];
    if (f.board === "forum") return ["Cross-selling forum", `since ${f.forum.since || ""} · the whole agenda on /forum`];
    if (f.board === "targets") return ["Targets", "Progress toward the goals in force"];
    if (f.board === "challenges") return ["Challenges", "Head to head · issue one on /me"];
    if (f.board === "divisions") {
      return ["Divisions", WINDOWS[f.window.kind] + (f.scoring === "per_seller" ? " · points per seller" : " · total points") + range(f.window)];
    }
    const end = new Date(f.end);
    const left = end - Date.now();
    const days = Math.floor(left / 86400000), hours = Math.floor((left % 86400000) / 3600000);
    const status = f.status === "running" ? `Competition · ends in ${days > 0 ? days + " d " : ""}${hours} h`
      : f.status === "closed" ? `Competition · closed${f.winner ? " · winner: " + ((f.standings || []).find((r) => r.id === f.winner) || { name: f.winner }).name : ""}` : "Competition · starts soon";
    return [f.name, status + (f.scoring === "per_seller" ? " · points per seller" : "")];
  }

  function range(w) {
    if (!w.start || !w.end) return "";
    const fmt = { day: "numeric", month: "short" };
    // Window edges are local midnights of the organisation's zone; noon
    // after the start and noon before the end name the right dates in any
    // zone the screen itself may be set to.
    const s = new Date(new Date(w.start).getTime() + 12 * 3600000), e = new Date(new Date(w.end).getTime() - 12 * 3600000);
    if (w.kind === "day") return " · " + s.toLocaleDateString(undefined, { weekday: "long", ...fmt });
    return " · " + s.toLocaleDateString(undefined, fmt) + " – " + e.toLocaleDateString(undefined, fmt);
  }

  function show(key, fresh) {
    const f = frames.get(key);
    if (!f) return;
    if (key !== shownKey || fresh) {
      boardEl.replaceChildren();
      rowEls = new Map(); lastRank = new Map(); lastPoints = new Map();
      shownKey = key;
    }
    const [title, subtitle] = titles(f);
    $("title").textContent = title;
    $("subtitle").textContent = subtitle;
    dots();
    if (f.board === "matrix") return showMatrix(f);
    if (f.board === "forum") return showForum(f);
    if (f.board === "targets") return showTargets(f);
    if (f.board === "challenges") return showChallenges(f);

    const rows = rowsOf(f);
    // Few rows (four divisions) get taller rows instead of empty space; half
    // a row at the bottom says what the frame left out.
    const h = boardEl.clientHeight / (Math.max(5, Math.min(ROWS, rows.length)) + (moreText(f, rows) ? 0.5 : 0));
    boardEl.style.setProperty("--rowh", h + "px");
    const top = rows.slice(0, ROWS);
    const max = Math.max(1, ...top.map((r) => r.value));
    const keep = new Set(top.map((r) => r.id));

    for (const [id, el] of rowEls) {
      if (!keep.has(id)) {
        el.style.opacity = "0";
        el.style.transform = `translateY(${ROWS * h}px)`;
        setTimeout(() => el.remove(), 700);
        rowEls.delete(id);
      }
    }
    let empty = boardEl.querySelector(".empty");
    let more = boardEl.querySelector(".more");
    if (!top.length) {
      if (more) more.remove();
      if (empty) empty.remove();
      boardEl.append(f.board === "sellers" && f.zeros_omitted > 0 ? quiet(f) : CB.h("div", { class: "empty" }, "Nobody here yet."));
      return;
    } else if (empty) empty.remove();
    const told = moreText(f, rows);
    if (!told && more) more.remove();
    else if (told) {
      if (!more) { more = CB.h("div", { class: "more" }); boardEl.append(more); }
      more.textContent = told;
    }
    if (top.every((r) => !r.value)) $("subtitle").textContent += " · no points yet: the first lead takes the top spot!";

    top.forEach((r, i) => {
      let el = rowEls.get(r.id);
      const isNew = !el;
      if (isNew) {
        el = CB.h("div", { class: "row" },
          CB.h("div", { class: "rank" }),
          CB.h("div", { class: "avatar", "aria-hidden": "true" }),
          CB.h("div", { class: "who" }, CB.h("div", { class: "name" }, CB.h("span", { class: "nm" }), CB.h("span", { class: "move" }),
            CB.h("span", { class: "daymove" })), CB.h("div", { class: "sub" })),
          CB.h("div", { class: "barwrap" }, CB.h("i")),
          CB.h("div", { class: "pts" }));
        el.style.transform = `translateY(${(lastRank.size ? ROWS : i) * h}px)`;
        boardEl.append(el);
        rowEls.set(r.id, el);
      }
      el.dataset.rank = r.rank;
      el.dataset.id = r.id;
      el.querySelector(".rank").textContent = r.rank;
      el.querySelector(".nm").textContent = r.name;
      avatar(el.querySelector(".avatar"), r.name, r.team);
      const dm = el.querySelector(".daymove");
      dm.className = "daymove" + (r.day > 0 ? " up" : r.day < 0 ? " down" : "");
      dm.textContent = r.day > 0 ? `▲${r.day}` : r.day < 0 ? `▼${-r.day}` : "";
      dm.title = r.day ? "since this morning" : "";
      el.querySelector(".sub").textContent = r.sub || "";
      el.querySelector(".barwrap > i").style.width = Math.max(0, (r.value / max) * 100) + "%";
      const pts = el.querySelector(".pts");
      pts.textContent = r.shown;
      const before = lastRank.get(r.id);
      if (lastPoints.has(r.id) && lastPoints.get(r.id) !== r.value) {
        pts.classList.remove("bump"); void pts.offsetWidth; pts.classList.add("bump");
      }
      if (before !== undefined && before !== r.rank) {
        const up = r.rank < before;
        el.classList.remove("rise", "fall");
        el.classList.add(up ? "rise" : "fall");
        const mv = el.querySelector(".move");
        mv.textContent = up ? `▲ ${before - r.rank}` : `▼ ${r.rank - before}`;
        clearTimeout(el._t);
        el._t = setTimeout(() => { el.classList.remove("rise", "fall"); mv.textContent = ""; }, 4000);
      }
      // Let a new row start where it was placed, then slide into place.
      const y = i * h;
      if (isNew) requestAnimationFrame(() => requestAnimationFrame(() => { el.style.transform = `translateY(${y}px)`; }));
      else el.style.transform = `translateY(${y}px)`;
    });
    lastRank = new Map(top.map((r) => [r.id, r.rank]));
    lastPoints = new Map(top.map((r) => [r.id, r.value]));
  }
  addEventListener("resize", () => { if (shownKey) show(shownKey, true); });

  /** "3 more tied at #8 · 12 more with points · 9,980 more at 0", or "". */
  function moreText(f, rows) {
    if (f.board !== "sellers") return "";
    const shown = Math.min(rows.length, ROWS);
    // The wall asks for ROWS rows without zeros: whatever is not shown and
    // not at 0 has points, and tied_beyond of those share the last rank.
    const hidden = Math.max(0, (f.total || 0) - (f.zeros_omitted || 0) - shown);
    const tied = Math.min(hidden, f.tied_beyond || 0);
    const parts = [];
    if (tied && shown) parts.push(`${CB.num(tied)} more tied at #${rows[shown - 1].rank}`);
    if (hidden > tied) parts.push(`${CB.num(hidden - tied)} more with points`);
    if (f.zeros_omitted) parts.push(`${CB.num(f.zeros_omitted)} more at 0`);
    return parts.join(" · ");
  }

  // ---- the start of a window: nobody has points yet -----------------------
  // Rather than everyone at rank 1 with 0, say so and show the podium of the
  // window before, fetched once per window.
  const podiums = new Map(); // `${kind}|${start}` -> rows, or null while fetching

  function quiet(f) {
    const kind = f.window.kind;
    const box = CB.h("div", { class: "empty quiet" },
      CB.h("div", { class: "quiet-title" }, `No points yet ${(WINDOWS[kind] || "").toLowerCase()}`),
      CB.h("div", { class: "quiet-sub" }, `${CB.num(f.zeros_omitted)} sellers at 0 — the first lead takes the top spot!`));
    if (!f.window.start || !LAST[kind]) return box;
    const key = `${kind}|${f.window.start}`;
    if (!podiums.has(key)) {
      podiums.set(key, null);
      const at = new Date(Date.parse(f.window.start) - 1000).toISOString();
      CB.api(`/api/v1/boards/sellers?window=${kind}&at=${encodeURIComponent(at)}&limit=3&zeros=false`)
        .then((b) => {
          podiums.set(key, b.rows || []);
          if (shownKey && frames.get(shownKey) === f) show(shownKey);
        })
        .catch(() => podiums.delete(key)); // offline: try again with the next frame
    }
    const top = podiums.get(key);
    if (top && top.length) {
      box.append(CB.h("div", { class: "podium-title" }, `${LAST[kind]} podium`),
        CB.h("div", { class: "podium" }, ...top.map((r) => CB.h("div", { class: "step", "data-rank": r.rank },
          CB.h("div", { class: "rank" }, r.rank),
          CB.h("div", { class: "name" }, r.name),
          CB.h("div", { class: "sub" }, r.division_name),
          CB.h("div", { class: "pts" }, CB.num(r.points))))));
    }
    return box;
  }

  // ---- collaboration value ------------------------------------------------
  let collabTimer = null, collabAt = 0;
  function collabSoon() {
    if (collabTimer) return;
    const wait = Math.max(0, 10000 - (Date.now() - collabAt));
    collabTimer = setTimeout(() => { collabTimer = null; refreshCollab(); }, wait);
  }
  async function refreshCollab() {
    collabAt = Date.now();
    try {
      const c = await CB.api("/api/v1/collaboration?window=month");
      $("collab-value").textContent = CB.moneyMap(c.collaboration_value);
      // Commission those orders created (each in its own currency).
      $("collab-commission").textContent = CB.moneyMap(c.commission_value || {});
      $("collab-points").textContent = `· ${CB.num(c.collaboration_points || 0)} collaboration points`;
    } catch (_) { /* keep the last figure */ }
  }

  // ---- highlights -----------------------------------------------------------
  const queue = [];
  let showing = false;
  function celebrate(hl) {
    queue.push(hl);
    if (queue.length > 5) queue.shift();
    if (!showing) next();
    if (hl.kind === "competition_lead") refreshCompetitions();
  }
  function next() {
    const hl = queue.shift();
    if (!hl) { showing = false; $("banner").hidden = true; return; }
    showing = true;
    $("banner-title").textContent = hl.title || "Nice!";
    $("banner-text").textContent = hl.text || "";
    const colors = ["#ffffff", "#5aa9ff", "#3ddc97", "#ff6b7f", "#7a3cff", "#1b1200"];
    $("confetti").replaceChildren(...Array.from({ length: 60 }, (_, i) => {
      const c = CB.h("i");
      c.style.left = Math.random() * 100 + "%";
      c.style.background = colors[i % colors.length];
      c.style.animationDuration = 2 + Math.random() * 3 + "s";
      c.style.animationDelay = Math.random() * 1.5 + "s";
      return c;
    }));
    $("banner").hidden = false;
    if (SOUND) chime();
    // A burst (an order that also earns badges and a level) must not keep
    // the board covered: shorter banners while more are waiting.
    setTimeout(next, queue.length ? 3500 : 6500);
  }
  function chime() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      [523.25, 659.25, 783.99, 1046.5].forEach((f, i) => {
        const o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = f; o.type = "triangle";
        g.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.12);
        g.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + i * 0.12 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.12 + 0.5);
        o.connect(g).connect(ctx.destination);
        o.start(ctx.currentTime + i * 0.12); o.stop(ctx.currentTime + i * 0.12 + 0.6);
      });
    } catch (_) { /* no audio device */ }
  }

  // ---- initials avatars in division colours ---------------------------------
  // Twelve light colours (dark initials on them stay readable); a division
  // keeps its colour on every screen because it comes from its name.
  const PALETTE = ["#5aa9ff", "#3ddc97", "#ffcc33", "#ff8a3d", "#c18cff", "#4fd6e0",
    "#ff6b9a", "#b5e05a", "#f5a3ff", "#7ee0b5", "#ffd27a", "#9fb8ff"];
  function colour(key) {
    // FNV-1a, then a finalizer: FNV's low bits alone repeat for similar names.
    let h = 0x811c9dc5;
    for (const ch of String(key || "")) { h ^= ch.codePointAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
    h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d) >>> 0; h ^= h >>> 12;
    return PALETTE[(h >>> 0) % PALETTE.length];
  }
  /** "Ida Berg" → "IB"; a name that already is initials ("IB") stays. */
  function initials(name) {
    const words = String(name || "").trim().split(/\s+/).filter(Boolean);
    if (!words.length) return "?";
    if (words.length === 1 && words[0].length <= 3 && words[0] === words[0].toUpperCase()) return words[0];
    const first = (w) => Array.from(w)[0].toUpperCase();
    return words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0]);
  }
  function avatar(el, name, team) {
    el.textContent = initials(name);
    el.style.background = colour(team || name);
    return el;
  }

  // ---- the feed: what just happened ------------------------------------------
  let feed = [];
  if (FEED) { $("wall").classList.add("with-feed"); $("feed").hidden = false; }
  function feedMessage(msg) {
    if (msg.feed) feed = msg.feed.slice().reverse();
    if (msg.activity && !feed.some((l) => l.seq === msg.activity.seq)) feed.unshift(msg.activity);
    feed = feed.slice(0, 12);
    renderFeed();
  }
  function ago(iso) {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return "just now";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h";
    return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short" });
  }
  function renderFeed() {
    if (!FEED) return;
    $("feed-list").replaceChildren(...feed.slice(0, 8).map((l) => CB.h("li", { "data-seq": l.seq },
      CB.h("span", { class: "avatars", "aria-hidden": "true" }, ...(l.sellers || []).slice(0, 2).map((s) =>
        avatar(CB.h("span", { class: "avatar" }), s.name, s.division))),
      CB.h("span", { class: "line" }, CB.h("span", { class: "ftext" }, l.text), CB.h("span", { class: "when" }, " · " + ago(l.at))))));
  }
  setInterval(renderFeed, 30000);

  // ---- clock ----------------------------------------------------------------
  function tick() {
    $("clock").textContent = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 5000);
})();
