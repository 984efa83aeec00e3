// The kitchen: a column per workflow step but the last, a card per order (oldest first), one
// tap moves an order on. Built to stay up for days: cards of finished orders are removed, one
// timer drives every age, the connection resumes by itself, and at the café's midnight the
// screen starts again from the new day.

import { boot, cafe, el, t, stepName, api, cafePath, showError, age, playNotes } from "./crema.js";
import { OrderSet, DailyLive, UndoStack, workflow, serverNow, customerLabel, modifierChip } from "./orders.js";

const data = boot.data || {};
const station = data.station || null;
const canMove = data.can?.move_orders !== false;
const [warnAt, lateAt] = [cafe.age_thresholds?.warn ?? 300, cafe.age_thresholds?.late ?? 600];
const columns = workflow.slice(0, -1);

const root = document.getElementById("kitchen");
if (station) document.getElementById("station-name").textContent = ` · ${station.name}`;

// One column per step, built once; cards move between their lists.
const cols = new Map();
for (const [i, step] of columns.entries()) {
  const count = el("span", { class: "staff-count" }, "0");
  const list = el("ol", { class: "kitchen-cards", "aria-labelledby": `col-${step}` });
  const empty = el("p", { class: "muted kitchen-empty" }, t("kitchen.empty"));
  const next = workflow[i + 1];
  root.append(
    el("section", { class: "kitchen-col", dataset: { step } },
      el("h2", { id: `col-${step}` }, stepName(step), " ", count),
      empty,
      list),
  );
  cols.set(step, { list, count, empty, next });
}

// Card nodes by order id, with what they were drawn from (redrawn only when the order changed).
const cards = new Map();
/** The card the arrow keys point at (by order id); bumped with Enter or B. */
let selectedId = null;
const pending = new Set();
/** Lines whose mark is on its way, as `${orderId}:${index}`. */
const linePending = new Set();

/** Where an order came from, as the card says it: the desk, the web, the kiosk, SMS, the API. */
function channelName(c) {
  const key = `kitchen.channel_${c}`;
  return boot.strings[key] ?? c;
}
const placedAt = (() => {
  const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(boot.lang === "nb" ? "nb-NO" : "en-GB", { timeZone: cafe.timezone, ...opts });
  } catch {
    return new Intl.DateTimeFormat(boot.lang === "nb" ? "nb-NO" : "en-GB", opts);
  }
})();

function ageClass(seconds) {
  return seconds >= lateAt ? "age-late" : seconds >= warnAt ? "age-warn" : "age-ok";
}

/** A line as it is said: "2× Caffè latte, Havre, Stor". */
function lineText(l) {
  return [`${l.quantity}× ${l.item_name}`, ...l.modifiers.map((m) => m.option_name)].join(", ");
}

// A card is the coloured box (`li.kitchen-card`, its age and selection) holding two kinds of
// button side by side, never one inside the other: the card's main area moves the order on,
// and each line toggles "made" on every kitchen screen.
function drawCard(o) {
  const col = cols.get(o.step);
  const name = customerLabel(o);
  const a = age(o.created_at, serverNow());
  const timer = el("span", { class: "kitchen-age num" }, a.text);
  const lines = el("ul", { class: "kitchen-lines" },
    o.lines.map((l, i) => {
      const done = Boolean(l.done_at);
      return el("li", {},
        el("button", {
          type: "button",
          class: `kitchen-line${done ? " done" : ""}`,
          disabled: !canMove,
          "aria-pressed": done ? "true" : "false",
          "aria-disabled": linePending.has(`${o.id}:${i}`) ? "true" : null,
          dataset: { id: o.id, line: String(i) },
          onclick: () => toggleLine(o.id, i),
        },
          el("span", { class: "visually-hidden" }, t("kitchen.line_mark", { line: lineText(l) })),
          el("span", { class: "kitchen-item", "aria-hidden": "true" },
            el("span", { class: "kitchen-check" }, done ? "✓" : ""),
            el("span", { class: "kitchen-qty num" }, `${l.quantity}×`), " ", l.item_name),
          l.modifiers.length ? el("span", { class: "mods", "aria-hidden": "true" }, l.modifiers.map(modifierChip)) : null,
          l.notes ? el("span", { class: "kitchen-note" }, el("span", { class: "visually-hidden" }, t("kitchen.note") + ": "), l.notes) : null,
        ));
    }),
  );
  const btn = el("button", {
    type: "button",
    class: "kitchen-bump",
    // A move on its way is shown, not `disabled`: a disabled button would drop keyboard focus.
    disabled: !canMove,
    "aria-disabled": pending.has(o.id) ? "true" : null,
    dataset: { id: o.id },
    onclick: () => {
      selectedId = o.id;
      forward(o.id);
    },
  },
    el("span", { class: "kitchen-card-head" },
      el("span", { class: "kitchen-num num" }, String(o.day_number)),
      name ? el("span", { class: "kitchen-name" }, name) : null,
      timer),
    el("span", { class: "kitchen-meta" }, channelName(o.channel), " · ", el("time", { datetime: o.created_at }, placedAt.format(new Date(o.created_at)))),
    o.missing_information ? el("span", { class: "kitchen-flag" }, t("kitchen.missing_information")) : null,
    el("span", { class: "visually-hidden" }, t("kitchen.move_to", { step: stepName(col.next) })),
  );
  const li = el("li", {
    class: `kitchen-card ${ageClass(a.seconds)}${selectedId === o.id ? " selected" : ""}`,
    "aria-busy": pending.has(o.id) ? "true" : null,
    dataset: { id: o.id },
  }, btn, lines);
  return { li, btn, timer, order: o, seconds: a.seconds };
}

function render() {
  const seen = new Set();
  // A card that is redrawn or moves to another column keeps the keyboard focus, on its main
  // area or on the same line.
  const focused = document.activeElement?.dataset?.id;
  const focusedLine = document.activeElement?.dataset?.line;
  for (const [step, col] of cols) {
    const orders = set.at(step);
    col.count.textContent = String(orders.length);
    col.empty.hidden = orders.length > 0;
    orders.forEach((o, i) => {
      seen.add(o.id);
      let c = cards.get(o.id);
      const drawnPending = pendingKey(o);
      if (!c || c.order !== o || c.pendingDrawn !== drawnPending) {
        const fresh = drawCard(o);
        fresh.pendingDrawn = drawnPending;
        if (c) c.li.replaceWith(fresh.li);
        cards.set(o.id, fresh);
        c = fresh;
      }
      // In order: append moves the node only when it is not already in place.
      if (col.list.children[i] !== c.li) col.list.insertBefore(c.li, col.list.children[i] || null);
    });
  }
  // A focused card that left the screen (handed out) hands the focus to its column's next card.
  const leftFrom = focused && !seen.has(focused) ? cards.get(focused)?.order.step : null;
  for (const [id, c] of cards) {
    if (!seen.has(id)) {
      c.li.remove();
      cards.delete(id);
    }
  }
  // A selected card that left the screen hands the selection to its column's next card.
  if (selectedId && !cards.has(selectedId)) {
    const next = focused === selectedId && leftFrom ? cols.get(leftFrom)?.list.querySelector(".kitchen-card") : null;
    selectedId = next?.dataset.id || null;
  }
  for (const c of cards.values()) c.li.classList.toggle("selected", c.order.id === selectedId);
  const target = focused && cards.get(focused);
  const want = target && (focusedLine !== undefined ? target.li.querySelector(`[data-line="${focusedLine}"]`) : target.btn);
  if (want && document.activeElement !== want) want.focus();
  else if (leftFrom) (cols.get(leftFrom)?.list.querySelector("button") || document.getElementById("undo")).focus();
}

/** What of a card's pending state is drawn: its move and its lines' marks. */
function pendingKey(o) {
  let k = pending.has(o.id) ? "m" : "";
  o.lines.forEach((_, i) => {
    if (linePending.has(`${o.id}:${i}`)) k += `,${i}`;
  });
  return k;
}

/** A tap on a line: marks it made, or takes the mark back, on every kitchen screen. */
async function toggleLine(id, index) {
  const o = set.orders.get(id);
  const key = `${id}:${index}`;
  if (!o || !o.lines[index] || linePending.has(key)) return;
  const method = o.lines[index].done_at ? "DELETE" : "POST";
  linePending.add(key);
  render();
  try {
    set.apply(await api(method, cafePath(`orders/${id}/lines/${index}/done`)));
  } catch (e) {
    showError(e);
  } finally {
    linePending.delete(key);
    render();
  }
}

async function forward(id) {
  const o = set.orders.get(id);
  if (!o || pending.has(id)) return;
  pending.add(id);
  render();
  try {
    const moved = await api("POST", cafePath(`orders/${id}/forward`));
    set.apply(moved);
    undo.push(moved, t("kitchen.moved", { n: moved.day_number, step: stepName(moved.step) }));
  } catch (e) {
    showError(e);
  } finally {
    pending.delete(id);
    render();
  }
}

// A new order beeps (WebAudio: no sound file), unless muted on this screen.
const MUTE_KEY = "crema.kitchen.muted";
const soundBtn = document.getElementById("sound");
let muted = localStorage.getItem(MUTE_KEY) === "1";
let audio = null;
/** The sound button says what the kitchen will hear: muted, on, or (a browser that allows
 *  sound only after a touch) that one tap is needed. */
function drawSound() {
  const blocked = !muted && audio?.state === "suspended";
  soundBtn.textContent = muted ? t("kitchen.sound_off") : blocked ? t("kitchen.sound_blocked") : t("kitchen.sound_on");
  soundBtn.classList.toggle("needs-gesture", blocked);
  soundBtn.dataset.state = muted ? "muted" : blocked ? "blocked" : "on";
}
soundBtn.addEventListener("click", () => {
  // A tap that only wakes the sound leaves it on; otherwise the button mutes and unmutes.
  if (!muted && audio?.state === "suspended") {
    audio.resume().then(drawSound, drawSound);
    return;
  }
  muted = !muted;
  try {
    localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
  } catch {
    // Private mode: the choice lasts until the page is reloaded.
  }
  drawSound();
  if (!muted) beep();
});
// Browsers let audio start only after a gesture: the context is made at once (so its state
// shows on the button), and woken on the first touch or key.
audioContext();
drawSound();
audio?.addEventListener?.("statechange", drawSound);
for (const ev of ["pointerdown", "keydown"]) {
  document.addEventListener(ev, () => audio?.resume?.().then(drawSound, drawSound), { once: true, capture: true });
}
function audioContext() {
  if (audio) return audio;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  try {
    audio = new Ctx();
  } catch {
    audio = null;
  }
  return audio;
}
function beep() {
  if (muted) return;
  const ctx = audioContext();
  if (!ctx) return;
  try {
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    playNotes(ctx, [880, 1320], { gap: 0.18, peak: 0.3, attack: 0.02, length: 0.16 });
    document.documentElement.dataset.beeps = String(Number(document.documentElement.dataset.beeps || 0) + 1);
  } catch {
    // No audio device: the card still appears.
  }
}

const set = new OrderSet(render, { onPlaced: beep });

// ---- Keyboard and bump bar -------------------------------------------------------------
// Arrows select a card (up and down in a column, left and right across), Enter or B bumps
// the selected card one step on, R or Backspace recalls the last bump (undo), M mutes. A bump
// bar is a small keyboard that sends these keys.
function selectCard(id) {
  selectedId = id;
  for (const c of cards.values()) c.li.classList.toggle("selected", c.order.id === id);
  const c = id && cards.get(id);
  if (c) {
    c.btn.focus({ preventScroll: true });
    c.btn.scrollIntoView({ block: "nearest" });
  }
}

/** The cards of each column, in screen order: [[id, …], …]. */
function grid() {
  return [...cols.values()].map((col) => [...col.list.querySelectorAll(".kitchen-card")].map((b) => b.dataset.id));
}

function moveSelection(key) {
  const g = grid();
  let ci = g.findIndex((ids) => ids.includes(selectedId));
  let ri = ci >= 0 ? g[ci].indexOf(selectedId) : -1;
  if (ci < 0) {
    // Nothing selected yet: the oldest card of the first column that has one.
    ci = g.findIndex((ids) => ids.length);
    if (ci >= 0) selectCard(g[ci][0]);
    return;
  }
  if (key === "ArrowUp") ri = Math.max(0, ri - 1);
  else if (key === "ArrowDown") ri = Math.min(g[ci].length - 1, ri + 1);
  else {
    const dir = key === "ArrowLeft" ? -1 : 1;
    let nci = ci + dir;
    while (nci >= 0 && nci < g.length && !g[nci].length) nci += dir;
    if (nci < 0 || nci >= g.length) return;
    ci = nci;
    ri = Math.min(ri, g[ci].length - 1);
  }
  selectCard(g[ci][ri]);
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.("input, textarea, select, dialog")) return;
  const k = e.key;
  if (k.startsWith("Arrow")) {
    e.preventDefault();
    moveSelection(k);
  } else if (k === "Enter" || k === "b" || k === "B") {
    // Enter on a focused card is the button's own click, and on any other control (a link,
    // Undo) that control's; it bumps the selection only when nothing else has the focus. B
    // bumps the selection from anywhere.
    const focus = document.activeElement;
    if (k === "Enter" && focus && focus !== document.body) return;
    if (selectedId && cards.has(selectedId)) {
      e.preventDefault();
      forward(selectedId);
    }
  } else if (k === "r" || k === "R" || k === "Backspace") {
    const u = document.getElementById("undo");
    if (!u.disabled) {
      e.preventDefault();
      u.click();
    }
  } else if (k === "m" || k === "M") {
    e.preventDefault();
    soundBtn.click();
  }
});
const undo = new UndoStack(document.getElementById("undo"), (o) => {
  set.apply(o);
  render();
});
const topic = station ? `station:${station.id}` : `cafe:${cafe.slug}:orders`;
const conn = new DailyLive((live) => live.join(topic, set.handlers()), document.querySelector(".conn"));

// ---- Columns that scroll by themselves ------------------------------------------------
// A wall screen nobody touches must still show every card: a column whose cards do not fit
// turns a page every PAGE_SECONDS (the oldest first, then back to the top). Anyone using the
// screen (a touch, a key, a wheel) stops it for IDLE_SECONDS, and a selected card is never
// scrolled away from.
const PAGE_SECONDS = 8;
const IDLE_SECONDS = 20;
let touchedAt = 0;
for (const ev of ["pointerdown", "keydown", "wheel"]) {
  document.addEventListener(ev, () => (touchedAt = Date.now()), { capture: true, passive: true });
}
const calm = window.matchMedia?.("(prefers-reduced-motion: reduce)")?.matches;
let pageTick = 0;
function turnPages() {
  if (++pageTick % PAGE_SECONDS) return;
  if (Date.now() - touchedAt < IDLE_SECONDS * 1000) return;
  for (const { list } of cols.values()) {
    const room = list.clientHeight;
    if (!room || list.scrollHeight <= room + 4) {
      if (list.scrollTop) list.scrollTo({ top: 0 });
      continue;
    }
    if (selectedId && list.querySelector(`[data-id="${CSS.escape(selectedId)}"]`)) continue;
    const atEnd = list.scrollTop + room >= list.scrollHeight - 4;
    // A page less a little, so the card cut at the bottom is seen whole on the next one.
    const top = atEnd ? 0 : list.scrollTop + Math.max(room - 48, 48);
    list.scrollTo({ top, behavior: calm ? "auto" : "smooth" });
    list.dataset.pages = String(Number(list.dataset.pages || 0) + 1);
  }
}

// The one timer: ages and their colours, the columns' pages, and the day change.
setInterval(() => {
  turnPages();
  const now = serverNow();
  for (const c of cards.values()) {
    const a = age(c.order.created_at, now);
    if (c.timer.textContent !== a.text) c.timer.textContent = a.text;
    const cls = ageClass(a.seconds);
    if (!c.li.classList.contains(cls)) {
      c.li.classList.remove("age-ok", "age-warn", "age-late");
      c.li.classList.add(cls);
      // An order that has waited too long calls once more, so it is not forgotten.
      if (cls === "age-late") beep();
    }
  }
  conn.tick();
}, 1000);
