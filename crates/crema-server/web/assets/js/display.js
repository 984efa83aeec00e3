// The public display: day numbers "being made" and "ready", the café's message and the closed
// notice, live from the public topics `cafe:<slug>:board` and `cafe:<slug>:status`.
//
// Made to run for days on a wall: state is one Map of today's orders (cleared when the café's
// local date changes), DOM nodes are reused and dropped with their orders, and one timer at a
// time ends the "newly ready" highlight. The page was rendered with the board as it was at
// `boot.data.seq`; both topics resume from there, so the first join replays only what happened
// since (no second snapshot, no flash).

import { boot, cafe, lang, t, el, playNotes } from "./crema.js";
import { Live } from "./live.js";

const data = boot.data;
const BOARD = `cafe:${cafe.slug}:board`;
const STATUS = `cafe:${cafe.slug}:status`;
/** How long a newly ready number stays highlighted. */
const FRESH_MS = 60_000;
/** How often the clock and the café's date are checked. */
const TICK_MS = 5_000;
/** Hide the mouse pointer on a wall after this long without movement. */
const CURSOR_MS = 3_000;

const makingSteps = new Set(data.making_steps || []);
const readyStep = data.ready_step;

/** Today's orders on the board: day number → {n, lane, rank, freshUntil}. */
const orders = new Map();
let boardDate = data.today;
let status = data.status;
/** The café's messages: id → {id, title, subtitle}. */
const messages = new Map();
let mounted = false;

// ---- The café's clock and date ----------------------------------------------------------

function formatter(opts) {
  try {
    return new Intl.DateTimeFormat(lang === "nb" ? "nb-NO" : "en-GB", { timeZone: cafe.timezone, ...opts });
  } catch {
    // A browser without this time zone: the screen's own clock is the best there is.
    return new Intl.DateTimeFormat(lang === "nb" ? "nb-NO" : "en-GB", opts);
  }
}
const clockFormat = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const dateParts = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });

/** The server's time minus this screen's, from the page load: a wall screen's clock may be
 *  off by minutes or days, and the date decides which orders are on the board. */
const skew = typeof data.now === "number" ? data.now - Date.now() : 0;
const serverNow = () => new Date(Date.now() + skew);

/** The café's local date, as `YYYY-MM-DD` (the board's `local_date`). */
function cafeToday(now) {
  const p = Object.fromEntries(dateParts.formatToParts(now).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

// ---- Lanes ------------------------------------------------------------------------------

function laneOf(step) {
  if (step === readyStep) return "ready";
  if (makingSteps.has(step)) return "making";
  // The last step (picked up), cancelled, or a step this page does not know: off the board.
  return null;
}

const lanes = {
  making: {
    list: document.getElementById("making-list"),
    count: document.getElementById("making-count"),
    empty: document.getElementById("making-empty"),
    nodes: new Map(),
    more: null,
  },
  ready: {
    list: document.getElementById("ready-list"),
    count: document.getElementById("ready-count"),
    empty: document.getElementById("ready-empty"),
    nodes: new Map(),
    more: null,
  },
};

/**
 * How many tiles fit in a lane's list without scrolling: the grid's columns times the rows
 * its height holds. Infinity before layout (nothing to measure yet).
 */
function capacity(list) {
  const cs = getComputedStyle(list);
  const cols = cs.gridTemplateColumns.split(" ").filter(Boolean).length;
  const rowH = parseFloat(cs.gridAutoRows);
  const gap = parseFloat(cs.rowGap) || 0;
  const h = list.clientHeight - (parseFloat(cs.paddingTop) || 0) - (parseFloat(cs.paddingBottom) || 0);
  if (!cols || !rowH || !h) return Infinity;
  return Math.max(1, cols * Math.floor((h + gap) / (rowH + gap)));
}

function numberNode(lane, o) {
  let node = lane.nodes.get(o.n);
  if (!node) {
    node = el("li", { class: "number num" }, String(o.n));
    // Only numbers that arrive after the page is up fade in; the first view is already there.
    if (mounted) node.classList.add("entering");
    lane.nodes.set(o.n, node);
  }
  node.classList.toggle("fresh", o.freshUntil > Date.now());
  return node;
}

/** Puts `nodes` in `list` in order, moving only nodes that are out of place (a moved node
 *  would restart its animation). */
function place(list, nodes) {
  nodes.forEach((node, i) => {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
}

/** How far the ready numbers may shrink, step by step, before any is folded into "+N": the
 *  smallest is still readable across a café (about 5 % of the screen's height). */
const READY_FIT = [1, 0.85, 0.72, 0.6, 0.5];

/**
 * Makes room for every ready number: those are what customers wait for. First the message
 * shrinks to a strip, then the numbers get smaller; only when even the smallest size cannot
 * hold them all does the lane fold the newest into a "+N" tile. Returns how many fit.
 */
function fitReady(count) {
  const list = lanes.ready.list;
  screen.classList.remove("message-strip");
  list.style.removeProperty("--fit");
  let fit = capacity(list);
  if (count > fit && screen.classList.contains("with-message")) {
    screen.classList.add("message-strip");
    fit = capacity(list);
  }
  for (const f of READY_FIT.slice(1)) {
    if (count <= fit) break;
    list.style.setProperty("--fit", String(f));
    fit = capacity(list);
  }
  return fit;
}

function renderLane(name) {
  const lane = lanes[name];
  const all = [...orders.values()].filter((o) => o.lane === name);
  let fit;
  if (name === "ready") {
    // Oldest first (by when they became ready, then by number): the customer who has waited
    // longest is looked for first, and a new number joins at the end.
    all.sort((a, b) => a.rank - b.rank || a.n - b.n);
    fit = fitReady(all.length);
  } else {
    // Newest first by when they entered the lane (then by number), to pick what fits.
    all.sort((a, b) => b.rank - a.rank || b.n - a.n);
    fit = capacity(lane.list);
  }
  let shown = all;
  let hidden = 0;
  if (all.length > fit) {
    shown = all.slice(0, fit - 1);
    hidden = all.length - shown.length;
  }
  // Being made: in number order, a customer scans for their number.
  if (name === "making") shown.sort((a, b) => a.n - b.n);
  const nodes = shown.map((o) => numberNode(lane, o));
  if (hidden) {
    if (!lane.more) {
      lane.more = el("li", { class: "number more num" }, el("span", { "aria-hidden": "true" }), el("span", { class: "visually-hidden" }));
    }
    lane.more.firstChild.textContent = `+${hidden}`;
    lane.more.lastChild.textContent = t("display.more", { n: hidden });
    // Being made: the older rest comes first; ready: the newest, at the end.
    if (name === "ready") nodes.push(lane.more);
    else nodes.unshift(lane.more);
  }
  place(lane.list, nodes);
  // Forget nodes of numbers that left the lane (or are hidden): nothing grows over days.
  const keep = new Set(shown.map((o) => o.n));
  for (const n of lane.nodes.keys()) if (!keep.has(n)) lane.nodes.delete(n);
  lane.count.textContent = String(all.length);
  lane.empty.hidden = all.length > 0;
}

let freshTimer = null;
function render() {
  // The ready lane first: it may shrink the message, which gives the other lane room too.
  renderLane("ready");
  renderLane("making");
  // Closed with numbers still on the board: the lanes stay beside the notice; closed and
  // empty, the notice takes the whole screen.
  const full = !(status ? status.open : true) && orders.size === 0;
  overlay.classList.toggle("full", full);
  // One timer: the next moment a highlight ends.
  clearTimeout(freshTimer);
  const now = Date.now();
  const next = Math.min(...[...orders.values()].map((o) => o.freshUntil).filter((f) => f > now));
  if (Number.isFinite(next)) freshTimer = setTimeout(render, next - now + 50);
}

// ---- The board topic --------------------------------------------------------------------

function replaceBoard(list) {
  orders.clear();
  for (const o of list) {
    if (o.local_date > boardDate) boardDate = o.local_date;
  }
  for (const o of list) {
    const lane = laneOf(o.step);
    if (lane && o.local_date === boardDate) orders.set(o.day_number, { n: o.day_number, lane, rank: 0, freshUntil: 0 });
  }
}

const announce = document.getElementById("display-announce");

function applyOrder(kind, o, seq) {
  if (o.local_date < boardDate) return; // an order of an earlier day, moved late: not today's
  if (o.local_date > boardDate) {
    // The server's day has turned before this screen's clock: start the new day.
    newDay(o.local_date);
  }
  const prev = orders.get(o.day_number);
  const lane = kind === "order.deleted" ? null : laneOf(o.step);
  if (!lane) {
    orders.delete(o.day_number);
    return;
  }
  const same = prev && prev.lane === lane;
  const fresh = lane === "ready" && !same;
  orders.set(o.day_number, {
    n: o.day_number,
    lane,
    rank: same ? prev.rank : seq,
    freshUntil: fresh ? Date.now() + FRESH_MS : same ? prev.freshUntil : 0,
  });
  if (fresh) {
    announce.textContent = t("display.announce_ready", { n: o.day_number });
    chime();
  }
}

// ---- Optional sound ---------------------------------------------------------------------
// `?sound=1`: a soft two-note chime when a number becomes ready (WebAudio, no sound file).
// Off by default: a wall display is often in a room with music, and a kitchen beep already.
const SOUND = new URLSearchParams(location.search).get("sound") === "1";
let audio = null;
function chime() {
  if (!SOUND || !mounted) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  try {
    audio ||= new Ctx();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    playNotes(audio, [659.25, 523.25], { gap: 0.32, peak: 0.15, attack: 0.04, length: 0.6 });
    document.documentElement.dataset.chimes = String(Number(document.documentElement.dataset.chimes || 0) + 1);
  } catch {
    // No audio device: the number still shows.
  }
}

const live = new Live();
const boardHandlers = {
  snapshot(s) {
    replaceBoard(s.orders || []);
    render();
  },
  event(kind, d, seq) {
    if (d && typeof d.day_number === "number") {
      applyOrder(kind, d, seq);
      render();
    }
  },
};

/** The café's day has changed: today's board starts empty, and a fresh snapshot (a join
 *  without `since`) makes sure of it. */
function newDay(date) {
  boardDate = date;
  orders.clear();
  live.join(BOARD, boardHandlers);
}

// ---- Status and messages ----------------------------------------------------------------

const overlay = document.getElementById("display-overlay");
const headline = document.getElementById("overlay-headline");
const detail = document.getElementById("overlay-detail");
const screen = document.getElementById("display");
const kicker = document.getElementById("overlay-kicker");

/** Kaffediem's rule (kaffebase contract §4.6): the overlay shows when
 *  `(show_message && (title || subtitle)) || !open`; closed, it fills the screen and shows the
 *  selected message whatever `show_message` says; open, it takes the bottom half. The title is
 *  the large line, or the subtitle when there is no title; with both, the subtitle is below. */
function renderStatus() {
  const msg = status?.message_id != null ? messages.get(status.message_id) : null;
  const title = (msg?.title || "").trim();
  const subtitle = (msg?.subtitle || "").trim();
  const open = status ? status.open : true;
  const show = !open || (status.show_message && Boolean(title || subtitle));
  overlay.hidden = !show;
  overlay.classList.toggle("closed", !open);
  screen.classList.toggle("with-message", show);
  // Closed is said plainly: the word above the café's message, or "We are closed" alone.
  kicker.hidden = open || !(title || subtitle);
  headline.textContent = title || subtitle || (!open ? t("display.closed") : "");
  const below = title && subtitle ? subtitle : "";
  detail.textContent = below;
  detail.hidden = !below;
  // The lanes changed size: what fits changed too.
  render();
}

const statusHandlers = {
  snapshot(s) {
    status = s.status;
    messages.clear();
    for (const m of s.messages || []) messages.set(m.id, m);
    renderStatus();
  },
  event(kind, d) {
    const r = d?.record;
    if (!r) return;
    if (kind === "status.update") status = r;
    else if (kind === "message.create" || kind === "message.update") messages.set(r.id, r);
    else if (kind === "message.delete") messages.delete(r.id);
    else return;
    renderStatus();
  },
};

// ---- Start ------------------------------------------------------------------------------

replaceBoard(data.orders || []);
for (const m of data.messages || []) messages.set(m.id, m);
renderStatus();
mounted = true;

// Resume from the seq the page was rendered at: the join replays what happened since.
live.join(BOARD, boardHandlers, { since: data.seq });
live.join(STATUS, statusHandlers, { since: data.seq });
live.indicator(document.querySelector(".conn"));
live.connect();

const clock = document.getElementById("display-clock");
function tick() {
  const now = serverNow();
  clock.textContent = clockFormat.format(now);
  clock.setAttribute("datetime", now.toISOString());
  const today = cafeToday(now);
  if (today > boardDate) {
    newDay(today);
    render();
  }
}
tick();
setInterval(tick, TICK_MS);

// What fits depends on the screen's size.
if ("ResizeObserver" in window) {
  const ro = new ResizeObserver(() => render());
  ro.observe(lanes.making.list);
  ro.observe(lanes.ready.list);
}

// A wall screen shows no pointer once the mouse rests.
let cursorTimer = null;
document.addEventListener("mousemove", () => {
  document.body.classList.remove("cursor-hidden");
  clearTimeout(cursorTimer);
  cursorTimer = setTimeout(() => document.body.classList.add("cursor-hidden"), CURSOR_MS);
});
