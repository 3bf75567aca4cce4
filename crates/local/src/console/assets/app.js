// The local console. Every piece of execution data is inserted as text (textContent,
// attribute values), never parsed as markup.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
let generation = 0; // bumped on every navigation; stale polls stop themselves
let viewRefresh = null; // reloads the data of the view shown (after the clock moves)

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

async function api(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${body.error || r.status}: ${body.message || r.statusText}`);
  return body;
}

async function post(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  const out = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${out.error || r.status}: ${out.message || r.statusText}`);
  return out;
}

function when(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null) return "";
  return new Date(epochSeconds * 1000).toISOString().replace("T", " ").replace("Z", " UTC");
}

function duration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(3)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 120) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function pretty(text) {
  if (text === undefined || text === null) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

function hashRoute() {
  const h = location.hash.replace(/^#/, "") || "/";
  const [path, query] = h.split("?");
  return { path, params: new URLSearchParams(query || "") };
}

function link(path, params, text) {
  return el("a", { href: `#${path}?${new URLSearchParams(params)}` }, text);
}

function machineName(arn) {
  return (arn || "").split(":").pop();
}

function crumbs(...parts) {
  const nav = document.getElementById("crumbs");
  nav.replaceChildren(...parts.flatMap((p) => [el("span", {}, "›"), p]));
}

function setMain(...children) {
  document.getElementById("main").replaceChildren(...children);
}

function failure(e) {
  return el("p", { class: "error", role: "alert" }, String(e.message || e));
}

function statusText(status, extra) {
  return el("span", { class: `status ${status}`, ...extra }, status || "");
}

// ---- the clock ----------------------------------------------------------------------------
// The runtime's one clock, shown on every view. Between reads a running clock ticks here.

const clock = { at: null, offset: 0, frozen: false, readAt: 0, seq: 0 };

function clockNow() {
  if (clock.at === null) return Date.now();
  return clock.frozen ? clock.at : clock.at + (performance.now() - clock.readAt);
}

// Seconds as "1d 02:00:00" (days only when there are some).
function span(seconds) {
  const s = Math.round(Math.abs(seconds));
  const days = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, "0")).join(":");
  return days ? `${days}d ${hms}` : hms;
}

function tickClock() {
  if (clock.at === null) return;
  const now = new Date(clockNow());
  const shown = document.getElementById("clock-now");
  shown.textContent = now.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  shown.setAttribute("datetime", now.toISOString());
  const mode = document.getElementById("clock-mode");
  mode.textContent = clock.frozen ? "frozen" : "running";
  mode.className = `clock-mode ${mode.textContent}`;
  // A frozen clock falls behind the wall clock as real time passes.
  const offset = clock.frozen ? clock.offset - (performance.now() - clock.readAt) / 1000 : clock.offset;
  const off = document.getElementById("clock-offset");
  off.textContent = Math.round(Math.abs(offset)) < 1 ? "" : offset > 0 ? `+${span(offset)} ahead` : `−${span(offset)} behind`;
}

function showClock(c) {
  clock.at = Date.parse(c.now);
  clock.offset = Number(c.offsetSeconds) || 0;
  clock.frozen = Boolean(c.frozen);
  clock.readAt = performance.now();
  tickClock();
}

async function loadClock() {
  const seq = ++clock.seq; // an answer overtaken by a newer one is dropped
  try {
    const c = await api("/_local/clock");
    if (seq === clock.seq) showClock(c);
  } catch (e) {
    document.getElementById("clock-error").textContent = e.message;
  }
}

async function advanceTime(value) {
  const form = document.getElementById("clock");
  const notice = document.getElementById("clock-notice");
  const error = document.getElementById("clock-error");
  notice.textContent = "";
  error.textContent = "";
  if (String(value).trim() === "" || !Number.isFinite(Number(value))) {
    error.textContent = "Enter a number of seconds (0 or more); nothing was sent.";
    return;
  }
  const buttons = [...form.querySelectorAll("button")];
  for (const b of buttons) b.disabled = true;
  try {
    const out = await post("/_local/clock/advance", { seconds: Number(value) });
    clock.seq++;
    showClock(out);
    const due = out.deadlines === 1 ? "1 deadline" : `${out.deadlines} deadlines`;
    notice.textContent = `Advanced ${span(Number(value))}; ${due} came due${out.settled === false ? ", still settling" : ""}.`;
    await (viewRefresh ? viewRefresh() : route());
  } catch (e) {
    error.textContent = e.message;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function setUpClock() {
  const form = document.getElementById("clock");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    advanceTime(document.getElementById("advance-seconds").value);
  });
  for (const b of form.querySelectorAll("button[data-advance]")) {
    b.addEventListener("click", () => advanceTime(b.dataset.advance));
  }
  setInterval(tickClock, 1000);
  setInterval(loadClock, 5000); // the clock may be moved by others (a script, a test)
}

// ---- overview -----------------------------------------------------------------------------

async function overview() {
  const gen = generation;
  const data = await api("/console/api/overview");
  if (gen !== generation) return; // the user has moved on
  crumbs(el("span", {}, "Overview"));
  const machines = el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "State machine"), el("th", {}, "Type"),
      ...STATUSES.map((s) => el("th", { class: "num" }, s)))),
    el("tbody", {}, data.machines.map((m) => el("tr", {},
      el("td", {}, link("/machine", { arn: m.arn }, m.name)),
      el("td", {}, m.type),
      ...STATUSES.map((s) => el("td", { class: "num", "data-count": s }, m.counts[s]))))));
  const execs = executionTable(data.executions, true);
  const jobs = el("table", {},
    el("thead", {}, el("tr", {}, ["Job", "Status", "Pattern", "Starts", "Last updated", "Execution"].map((h) => el("th", {}, h)))),
    el("tbody", {}, data.jobs.map((j) => el("tr", {},
      el("td", {}, j.Id),
      el("td", {}, statusText(j.ProcessStatus)),
      el("td", {}, j.Pattern),
      el("td", {}, j.StartActionAt),
      el("td", {}, j.LastUpdated),
      el("td", {}, j.ExecutionArn ? link("/execution", { arn: j.ExecutionArn }, machineName(j.ExecutionArn)) : "")))));
  setMain(
    el("h1", {}, "Overview"),
    el("section", { class: "card" }, el("h2", {}, "State machines"), machines),
    el("section", { class: "card" }, el("h2", {}, "Newest executions"), execs),
    el("section", { class: "card" }, el("h2", {}, "Jobs table"),
      data.jobs.length ? jobs : el("p", { class: "muted" }, "No job records yet.")));
  viewRefresh = overview;
}

function executionTable(list, withMachine) {
  if (!list || !list.length) return el("p", { class: "muted" }, "No executions.");
  return el("table", { class: "executions" },
    el("thead", {}, el("tr", {}, el("th", {}, "Name"), withMachine && el("th", {}, "State machine"),
      el("th", {}, "Status"), el("th", {}, "Started"), el("th", {}, "Stopped"))),
    el("tbody", {}, list.map((x) => el("tr", {},
      el("td", {}, link("/execution", { arn: x.executionArn }, x.name)),
      withMachine && el("td", {}, machineName(x.stateMachineArn)),
      el("td", {}, statusText(x.status)),
      el("td", {}, when(x.startDate)),
      el("td", {}, when(x.stopDate))))));
}

// ---- graph ---------------------------------------------------------------------------------------

function drawGraph(graph, onSelect) {
  const box = el("div", { class: "graph" });
  const nodes = new Map(); // state name -> [g]
  if (!graph || !graph.layout) {
    box.append(el("p", { class: "muted" }, `No graph: ${(graph && graph.error) || "unknown"}`));
    return { box, nodes };
  }
  const l = graph.layout;
  // Scaled down to the card's width (viewBox), never up: the whole machine is in view.
  const s = svg("svg", { viewBox: `0 0 ${Math.ceil(l.width)} ${Math.ceil(l.height)}`,
    width: Math.ceil(l.width), height: Math.ceil(l.height), role: "img", "aria-label": "State machine graph" });
  const defs = svg("defs");
  for (const [id, color] of [["arrow", "#8c959f"], ["arrow-catch", "#d91515"]]) {
    const m = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    m.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color }));
    defs.append(m);
  }
  s.append(defs);
  // Never below 60 % of full size: past that the card scrolls instead.
  s.style.minWidth = `${Math.ceil(l.width * 0.6)}px`;
  const depthOf = (g) => g.w * g.h;
  for (const g of [...l.groups].sort((a, b) => depthOf(b) - depthOf(a))) {
    const grp = svg("g", { class: `g-group ${g.kind}`, "data-group": g.kind });
    grp.append(svg("rect", { x: g.x, y: g.y, width: g.w, height: g.h, rx: 8 }));
    grp.append(svg("text", { x: g.x + 8, y: g.y + 13 }, g.label));
    s.append(grp);
  }
  for (const e of l.edges) {
    if (e.points.length < 2) continue;
    const g = svg("g", { class: `g-edge ${e.kind}`, "data-edge": e.kind });
    const d = e.points.map((p, i) => `${i ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" ");
    g.append(svg("path", { d, "marker-end": `url(#${e.kind === "catch" ? "arrow-catch" : "arrow"})` }));
    if (e.label && e.label_at) {
      const w = e.label.length * 6.2 + 6;
      g.append(svg("rect", { x: e.label_at[0] - w / 2, y: e.label_at[1] - 8, width: w, height: 15, fill: "#fff", opacity: 0.9 }));
      g.append(svg("text", { x: e.label_at[0], y: e.label_at[1] + 3, "text-anchor": "middle" }, e.label));
    }
    s.append(g);
  }
  for (const n of l.nodes) {
    if (!n.state) {
      const g = svg("g", { class: `g-marker ${n.kind}`, "data-marker": n.kind });
      const r = n.kind === "join" ? 4 : n.w / 2;
      g.append(svg("circle", { cx: n.x + n.w / 2, cy: n.y + n.h / 2, r }));
      if (n.kind !== "join") {
        g.append(svg("text", { x: n.x + n.w / 2, y: n.y + n.h / 2 + 4, "text-anchor": "middle", "font-size": 9, fill: "#fff" },
          n.kind === "start" ? "Start" : "End"));
      }
      s.append(g);
      continue;
    }
    const g = svg("g", { class: "g-node state", "data-state": n.state, "data-type": n.kind,
      "data-status": "not-reached", tabindex: 0, role: "button", "aria-label": `${n.state} (${n.kind})` });
    g.append(svg("rect", { x: n.x, y: n.y, width: n.w, height: n.h }));
    g.append(svg("text", { x: n.x + n.w / 2, y: n.y + 17, "text-anchor": "middle" }, n.state));
    g.append(svg("text", { class: "kind", x: n.x + n.w / 2, y: n.y + 30, "text-anchor": "middle" }, n.kind));
    if (onSelect) {
      g.addEventListener("click", () => onSelect(n.state));
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") onSelect(n.state); });
    }
    if (!nodes.has(n.state)) nodes.set(n.state, []);
    nodes.get(n.state).push(g);
    s.append(g);
  }
  box.append(s);
  return { box, nodes };
}

function legend() {
  return el("div", { class: "legend" },
    ["running", "waiting", "succeeded", "failed", "caught"].map((s) => el("span", { class: s }, s === "caught" ? "failure caught" : s)),
    el("span", {}, "not reached"));
}

// ---- a state machine -----------------------------------------------------------------------

async function machine(params) {
  const arn = params.get("arn");
  const gen = generation;
  const m = await api(`/console/api/machine?arn=${encodeURIComponent(arn)}`);
  if (gen !== generation) return;
  crumbs(link("/", {}, "Overview"), el("span", {}, m.name));
  const { box } = drawGraph(m.graph);

  const input = el("textarea", { id: "start-input", "aria-label": "Execution input (JSON)", spellcheck: "false" }, "{}");
  const name = el("input", { id: "start-name", type: "text", "aria-label": "Execution name (optional)", placeholder: "generated when empty" });
  const startError = el("p", { class: "error", role: "alert", id: "start-error" });
  const startForm = el("form", { onsubmit: async (ev) => {
    ev.preventDefault();
    startError.textContent = "";
    try {
      JSON.parse(input.value);
    } catch (e) {
      startError.textContent = `Invalid JSON input, nothing was sent: ${e.message}`;
      return;
    }
    try {
      const out = await post("/console/api/start", { machine: arn, input: input.value, name: name.value || null });
      location.hash = `#/execution?${new URLSearchParams({ arn: out.executionArn })}`;
    } catch (e) {
      startError.textContent = e.message;
    }
  } },
  el("label", { for: "start-input" }, "Input (JSON)"), input,
  el("label", { for: "start-name" }, "Name (optional)"), name,
  el("div", { class: "row" }, el("button", { type: "submit" }, "Start execution")), startError);

  const filter = el("select", { id: "status-filter", "aria-label": "Filter by status" },
    el("option", { value: "" }, "All statuses"), STATUSES.map((s) => el("option", { value: s }, s)));
  const listBox = el("div", { id: "machine-executions" });
  const pager = el("div", { class: "pager" });
  let pages = [null];
  let shown = 0;
  async function loadPage(i) {
    const q = new URLSearchParams({ machine: arn });
    if (filter.value) q.set("status", filter.value);
    if (pages[i]) q.set("next", pages[i]);
    try {
      const out = await api(`/console/api/executions?${q}`);
      if (gen !== generation) return;
      shown = i;
      pages = pages.slice(0, i + 1);
      if (out.next) pages.push(out.next);
      listBox.replaceChildren(executionTable(out.executions, false));
      pager.replaceChildren(
        el("button", { class: "secondary", disabled: i === 0, onclick: () => loadPage(i - 1) }, "Previous page"),
        el("span", { class: "muted" }, `Page ${i + 1}`),
        el("button", { class: "secondary", disabled: !out.next, onclick: () => loadPage(i + 1) }, "Next page"));
    } catch (e) {
      listBox.replaceChildren(failure(e));
    }
  }
  filter.addEventListener("change", () => { pages = [null]; loadPage(0); });

  setMain(
    el("h1", {}, m.name),
    el("p", { class: "muted" }, `${m.type} · ${arn}`),
    el("div", { class: "grid" },
      el("section", { class: "card" }, el("h2", {}, "Graph"), box),
      el("section", { class: "card" }, el("h2", {}, "Start execution"), startForm)),
    el("section", { class: "card" }, el("h2", {}, "Executions"),
      el("div", { class: "row" }, el("label", { for: "status-filter" }, "Status"), filter), listBox, pager),
    el("section", { class: "card" }, el("h2", {}, "Definition"),
      el("pre", { id: "definition" }, pretty(m.definition))));
  viewRefresh = () => loadPage(shown);
  await loadPage(0);
}

// ---- an execution ------------------------------------------------------------------------------

async function execution(params) {
  const arn = params.get("arn");
  const gen = generation;
  let data = await api(`/console/api/execution?arn=${encodeURIComponent(arn)}`);
  const m = await api(`/console/api/machine?arn=${encodeURIComponent(data.stateMachineArn)}`);
  if (gen !== generation) return;
  crumbs(link("/", {}, "Overview"), link("/machine", { arn: data.stateMachineArn }, m.name),
    el("span", {}, data.execution.name));
  let selected = null;
  const { box, nodes } = drawGraph(m.graph, (state) => { selected = state; renderSelected(); });

  const statusEl = el("span", { id: "execution-status", class: "status", role: "status" });
  const facts = el("dl", { class: "facts" });
  const waitsEl = el("div", { id: "waits" });
  const selectedEl = el("div", { id: "selected-state" }, el("p", { class: "muted" }, "Select a state in the graph to see its input and output."));
  const eventsBody = el("tbody");
  const actionsEl = el("div", { class: "actions", id: "actions" });
  const notice = el("p", { class: "notice", role: "status", id: "action-notice" });
  const actionError = el("p", { class: "error", role: "alert", id: "action-error" });
  let rendered = 0; // events already in the history table
  const byId = new Map();
  let waitingKey = null;
  let running = null;

  function lastDetails(state, kind) {
    const key = kind === "input" ? "stateEnteredEventDetails" : "stateExitedEventDetails";
    for (let i = data.events.length - 1; i >= 0; i--) {
      const d = data.events[i][key];
      if (d && d.name === state) return d[kind];
    }
    return undefined;
  }

  function renderSelected() {
    for (const [name, gs] of nodes) for (const g of gs) g.classList.toggle("selected", name === selected);
    if (!selected) return;
    const input = lastDetails(selected, "input");
    const output = lastDetails(selected, "output");
    selectedEl.replaceChildren(
      el("h2", {}, `State: ${selected}`),
      el("p", {}, "Status: ", el("span", { "data-selected-status": "" }, (data.states[selected] || "not reached"))),
      el("label", {}, "Input"), el("pre", { id: "selected-input" }, input === undefined ? "(not entered)" : pretty(input)),
      el("label", {}, "Output"), el("pre", { id: "selected-output" }, output === undefined ? "(no output yet)" : pretty(output)));
  }

  function renderFacts() {
    const x = data.execution;
    statusEl.textContent = x.status;
    statusEl.className = `status ${x.status}`;
    const start = x.startDate;
    const end = x.stopDate || clockNow() / 1000;
    const rows = [
      ["Status", statusText(x.status)],
      ["State machine", link("/machine", { arn: data.stateMachineArn }, machineName(data.stateMachineArn))],
      ["Started", when(start)],
      ["Stopped", x.stopDate ? when(x.stopDate) : "—"],
      ["Duration", duration(Math.max(0, end - start))],
      ["Input", el("pre", { id: "execution-input" }, pretty(x.input))],
    ];
    if (x.output !== undefined) rows.push(["Output", el("pre", { id: "execution-output" }, pretty(x.output))]);
    if (x.error !== undefined) rows.push(["Error", el("span", { id: "execution-error" }, x.error)]);
    if (x.cause !== undefined) rows.push(["Cause", el("pre", { id: "execution-cause" }, pretty(x.cause))]);
    facts.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    for (const [name, gs] of nodes) {
      for (const g of gs) g.setAttribute("data-status", data.states[name] || "not-reached");
    }
    waitsEl.replaceChildren(...(data.waits || []).map((w) =>
      el("p", { "data-wait": w.state }, `${w.state} waits until ${w.until || "a time the console cannot tell"}`)));
  }

  // Appends the events not shown yet (newest first): a long history is built once.
  function renderEvents() {
    if (data.events.length === rendered) return;
    const fresh = data.events.slice(rendered);
    rendered = data.events.length;
    for (const e of fresh) byId.set(e.id, e);
    const t0 = data.events.length ? data.events[0].timestamp : 0;
    const owner = (e) => {
      for (let cur = e, i = 0; cur && i < 64; i++) {
        const d = cur.stateEnteredEventDetails || cur.stateExitedEventDetails;
        if (d) return d.name;
        cur = byId.get(cur.previousEventId);
      }
      return "";
    };
    const rows = fresh.map((e) => {
      const details = el("details", {}, el("summary", {}, "details"));
      details.addEventListener("toggle", () => {
        if (details.open && details.childElementCount === 1) {
          const copy = { ...e };
          delete copy.id; delete copy.type; delete copy.timestamp; delete copy.previousEventId;
          details.append(el("pre", {}, JSON.stringify(copy, (k, v) => {
            if (typeof v === "string" && (k === "input" || k === "output" || k === "parameters" || k === "result")) {
              try { return JSON.parse(v); } catch { return v; }
            }
            return v;
          }, 2)));
        }
      }, { once: false });
      return el("tr", { "data-event-type": e.type },
        el("td", { class: "num" }, e.id), el("td", {}, e.type), el("td", {}, owner(e)),
        el("td", { class: "num" }, `+${duration(Math.max(0, e.timestamp - t0))}`), el("td", {}, details));
    });
    eventsBody.prepend(...rows.reverse());
  }

  function renderActions() {
    const isRunning = data.execution.status === "RUNNING";
    const waits = isRunning ? data.waits || [] : [];
    const redrivable = data.execution.redriveStatus === "REDRIVABLE";
    const key = JSON.stringify([isRunning, redrivable, (data.waiting || []).map((w) => [w.scheduledEventId, w.state]), waits]);
    if (key === waitingKey) return;
    waitingKey = key;
    const parts = [];
    if (waits.length) {
      parts.push(el("form", { id: "skip-wait", onsubmit: (ev) => { ev.preventDefault(); act("/_local/executions/skip-wait", { executionArn: arn }, "Wait skipped."); } },
        el("h2", {}, `${waits.map((w) => w.state).join(", ")} ${waits.length === 1 ? "is" : "are"} in a Wait`),
        el("p", { class: "muted" }, "Skip wait ends the wait now; the clock does not move."),
        el("div", { class: "row" }, el("button", { type: "submit" }, "Skip wait"))));
    }
    if (isRunning) {
      const err = el("input", { type: "text", "aria-label": "Stop error (optional)", id: "stop-error" });
      const cause = el("input", { type: "text", "aria-label": "Stop cause (optional)", id: "stop-cause" });
      parts.push(el("form", { onsubmit: (ev) => { ev.preventDefault(); act("/console/api/stop", { arn, error: err.value || null, cause: cause.value || null }, "Stop requested."); } },
        el("h2", {}, "Stop execution"),
        el("label", { for: "stop-error" }, "Error (optional)"), err,
        el("label", { for: "stop-cause" }, "Cause (optional)"), cause,
        el("div", { class: "row" }, el("button", { type: "submit", class: "danger" }, "Stop execution"))));
    }
    for (const w of isRunning ? data.waiting || [] : []) {
      const id = w.scheduledEventId;
      const out = el("textarea", { "aria-label": "Task output (JSON)", spellcheck: "false", id: `out-${id}` }, "{}");
      const ferr = el("input", { type: "text", "aria-label": "Failure error", id: `ferr-${id}` });
      const fcause = el("input", { type: "text", "aria-label": "Failure cause", id: `fcause-${id}` });
      parts.push(el("form", { "data-waiting-task": w.state || "", onsubmit: (ev) => ev.preventDefault() },
        el("h2", {}, `${w.state || "A task"} waits for its task token`),
        el("p", { class: "muted" }, `Token ${w.token}… (kept by the runtime; it never reaches this page)`),
        el("label", { for: `out-${id}` }, "Output (JSON)"), out,
        el("div", { class: "row" },
          el("button", { type: "button", onclick: () => {
            try { JSON.parse(out.value); } catch (e) { actionError.textContent = `Invalid JSON output, nothing was sent: ${e.message}`; return; }
            act("/console/api/task", { arn, action: "success", scheduledEventId: id, output: out.value }, "Success sent.");
          } }, "Send success"),
          el("button", { type: "button", class: "secondary", onclick: () => act("/console/api/task", { arn, action: "heartbeat", scheduledEventId: id }, "Heartbeat sent.") }, "Send heartbeat")),
        el("label", { for: `ferr-${id}` }, "Error"), ferr,
        el("label", { for: `fcause-${id}` }, "Cause"), fcause,
        el("div", { class: "row" },
          el("button", { type: "button", class: "danger", onclick: () => act("/console/api/task", { arn, action: "failure", scheduledEventId: id, error: ferr.value || null, cause: fcause.value || null }, "Failure sent.") }, "Send failure"))));
    }
    if (redrivable) {
      parts.push(el("form", { id: "redrive", onsubmit: (ev) => { ev.preventDefault(); act("/console/api/redrive", { arn }, "Redriven."); } },
        el("h2", {}, "Redrive execution"),
        el("p", { class: "muted" }, "Runs the execution again from the state it ended in, with the same input; the states that succeeded are not run again."),
        el("div", { class: "row" }, el("button", { type: "submit" }, "Redrive"))));
    }
    if (!parts.length) parts.push(el("p", { class: "muted" }, isRunning ? "No task waits for a token." : "The execution has ended."));
    actionsEl.replaceChildren(...parts);
  }

  async function act(path, body, done) {
    notice.textContent = "";
    actionError.textContent = "";
    const buttons = [...actionsEl.querySelectorAll("button")];
    for (const b of buttons) b.disabled = true; // one request at a time
    try {
      await post(path, body);
      notice.textContent = done;
      await refresh(true);
      schedule(); // a redriven execution runs again: keep following it
      loadClock();
    } catch (e) {
      actionError.textContent = e.message;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  function render() {
    renderFacts();
    renderEvents();
    renderActions();
    renderSelected();
  }

  async function refresh(once) {
    if (gen !== generation) return;
    try {
      // Only the events after the last one held are sent again.
      const last = data.events.length ? data.events[data.events.length - 1].id : 0;
      const next = await api(`/console/api/execution?arn=${encodeURIComponent(arn)}&after=${last}`);
      if (gen !== generation) return;
      next.events = data.events.concat(next.events);
      data = next;
      render();
    } catch (e) {
      actionError.textContent = e.message;
    }
    if (!once) schedule();
  }

  function schedule() {
    clearTimeout(running);
    if (gen === generation && data.execution.status === "RUNNING") running = setTimeout(() => refresh(false), 1000);
  }

  setMain(
    el("h1", {}, data.execution.name),
    el("p", {}, "Status: ", statusEl),
    el("div", { class: "grid" },
      el("section", { class: "card" }, el("h2", {}, "Graph"), box, legend(), waitsEl),
      el("div", {},
        el("section", { class: "card" }, el("h2", {}, "Execution"), facts),
        el("section", { class: "card" }, actionsEl, notice, actionError),
        el("section", { class: "card" }, selectedEl))),
    el("section", { class: "card" }, el("h2", {}, "Event history"),
      el("table", { class: "events" },
        el("thead", {}, el("tr", {}, ["ID", "Type", "State", "Time since start", "Details"].map((h) => el("th", {}, h)))),
        eventsBody)));
  render();
  schedule();
  viewRefresh = () => refresh(true);
}

// ---- routing ----------------------------------------------------------------------------------

async function route() {
  generation++;
  viewRefresh = null;
  loadClock();
  const gen = generation;
  const { path, params } = hashRoute();
  try {
    if (path === "/machine" && params.get("arn")) await machine(params);
    else if (path === "/execution" && params.get("arn")) await execution(params);
    else await overview();
  } catch (e) {
    if (gen === generation) setMain(failure(e));
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => { setUpClock(); route(); });
