// The audit log: every staff write with who, what, before → after, address and time, newest
// first, filtered by the API (actor, action, target, days from/to in the café's time) and paged
// with its cursor ("older").
import { boot, t, api, cafePath, el, cafe, lang } from "./crema.js";

const form = document.getElementById("audit-filters");
const rows = document.getElementById("audit-rows");
const status = document.getElementById("audit-status");
const older = document.getElementById("audit-older");
const actorSelect = document.getElementById("audit-actor");

const people = new Map((boot.data.people || []).map((p) => [p.id, p.name]));
const devices = new Map((boot.data.devices || []).map((d) => [d.id, d.name]));
const PAGE = 50;

for (const [id, name] of [...people].sort((a, b) => a[1].localeCompare(b[1]))) {
  actorSelect.append(el("option", { value: id }, name));
}

const fmt = new Intl.DateTimeFormat(lang === "nb" ? "nb-NO" : "en-GB", {
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZone: cafe.timezone,
});

function actorOf(e) {
  if (e.actor_id !== null && e.actor_id !== undefined) {
    return people.get(e.actor_id) ?? t("audit.user", { id: e.actor_id });
  }
  if (e.device_id !== null && e.device_id !== undefined) {
    return t("audit.device", { name: devices.get(e.device_id) ?? `#${e.device_id}` });
  }
  return t("audit.system");
}

/** A value as short text: strings as they are, the rest as JSON, long ones cut. */
function short(v) {
  if (v === undefined) return "∅";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 79) + "…" : s;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The change as lines: for two objects only the keys that differ (`price: 3500 → 3800`); a
 * create lists what was made, a delete what was removed. Timestamps that change on every
 * write are left out, as they say nothing the time column does not.
 */
function diff(before, after) {
  const noise = new Set(["updated_at", "created_at"]);
  const isObj = (v) => v && typeof v === "object" && !Array.isArray(v);
  const lines = [];
  if (isObj(before) && isObj(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const k of keys) {
      // A key that is missing on one side and null on the other did not change.
      if (noise.has(k) || same(before[k] ?? null, after[k] ?? null)) continue;
      lines.push({ key: k, from: short(before[k]), to: short(after[k]) });
    }
  } else if (isObj(after) && before == null) {
    for (const [k, v] of Object.entries(after)) if (!noise.has(k) && v !== null) lines.push({ key: k, to: short(v) });
  } else if (isObj(before) && after == null) {
    for (const [k, v] of Object.entries(before)) if (!noise.has(k) && v !== null) lines.push({ key: k, from: short(v) });
  } else if (before != null || after != null) {
    lines.push({ key: "", from: before == null ? undefined : short(before), to: after == null ? undefined : short(after) });
  }
  return lines;
}

function diffLine(l) {
  return el(
    "li",
    {},
    l.key ? el("span", { class: "key" }, `${l.key}: `) : null,
    l.from !== undefined ? el("del", {}, l.from) : null,
    l.from !== undefined && l.to !== undefined
      ? [el("span", { class: "arrow", "aria-hidden": "true" }, " → "), el("span", { class: "visually-hidden" }, ` ${t("audit.became")} `)]
      : null,
    l.to !== undefined ? el("ins", {}, l.to) : null,
  );
}

/** A few lines at once; the rest of a big record (a new order) behind "and N more". */
const SHOWN = 4;
function changeCell(e) {
  const lines = diff(e.before, e.after);
  if (!lines.length) return el("td", { class: "muted" }, "—");
  const rest = lines.slice(SHOWN);
  return el(
    "td",
    {},
    el("ul", { class: "diff" }, lines.slice(0, SHOWN).map(diffLine)),
    rest.length
      ? el("details", { class: "diff-more" }, el("summary", {}, t("audit.more", { n: rest.length })), el("ul", { class: "diff" }, rest.map(diffLine)))
      : null,
  );
}

/** What was done, in words ("Order moved on"); an action this page does not know shows as
 *  its code. */
function actionText(action) {
  const key = `audit.act_${action}`;
  return boot.strings[key] ?? action;
}

/** The menu's names by target (`item:20` → "Caffè latte"), for entries whose record does not
 *  carry a name (a move of an order, a switch of an item). Filled once at load. */
const menuNames = new Map();
async function loadMenuNames() {
  try {
    const m = await api("GET", cafePath("menu"));
    for (const [kind, list] of [["category", m.categories], ["item", m.items], ["group", m.modifier_groups], ["option", m.options]]) {
      for (const r of list || []) menuNames.set(`${kind}:${r.id}`, r.name);
    }
  } catch {
    // Without the menu, targets keep their codes.
  }
}

/** Orders' day numbers by id: a move's entry records only the steps, so the number comes
 *  from the order's own entry or, failing that, from the order itself (asked once). */
const orderNumbers = new Map();

async function nameOrders(items) {
  for (const e of items) {
    const n = e.after?.day_number ?? e.before?.day_number;
    if (e.target.startsWith("order:") && n != null) orderNumbers.set(e.target.slice(6), n);
  }
  const missing = [...new Set(items.filter((e) => e.target.startsWith("order:")).map((e) => e.target.slice(6)))].filter((id) => !orderNumbers.has(id));
  await Promise.all(
    missing.map(async (id) => {
      try {
        const o = await api("GET", cafePath(`orders/${encodeURIComponent(id)}`));
        orderNumbers.set(id, o.day_number);
      } catch {
        // A deleted order: its code stays.
      }
    }),
  );
}

/** The target named as people know it: the order's number, the item's or person's name, the
 *  message's title; the code stays below in small print for an exact search. */
function targetName(e) {
  const [kind, id] = e.target.split(":");
  const rec = e.after ?? e.before ?? {};
  const num = rec.day_number ?? rec.order?.day_number ?? orderNumbers.get(id);
  const name =
    kind === "member" ? people.get(Number(id)) :
    kind === "device" ? devices.get(Number(id)) ?? rec.name :
    kind === "order" ? (num != null ? t("audit.target_order", { n: num }) : null) :
    kind === "message" ? rec.title || rec.subtitle :
    rec.name ?? menuNames.get(e.target);
  return name ? String(name) : null;
}

function targetCell(e) {
  const name = targetName(e);
  return name ? [el("div", {}, name), el("div", { class: "muted small" }, el("code", {}, e.target))] : el("code", {}, e.target);
}

function row(e) {
  return el(
    "tr",
    { dataset: { action: e.action } },
    el("td", { class: "num when" }, el("time", { datetime: e.at }, fmt.format(new Date(e.at)))),
    el("td", { class: "actor" }, actorOf(e)),
    el("td", { class: "action" }, actionText(e.action)),
    el("td", { class: "target" }, targetCell(e)),
    changeCell(e),
    el("td", { class: "ip" }, e.ip || "—"),
  );
}

/** The filters as the API's query. */
function query(before) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  const data = new FormData(form);
  for (const k of ["actor_id", "action", "target", "from", "to"]) {
    const v = String(data.get(k) || "").trim();
    if (v) q.set(k, v);
  }
  if (before) q.set("before", String(before));
  return q;
}

let next = null;
let shown = 0;
let generation = 0;

async function load(append) {
  const mine = ++generation;
  older.disabled = true;
  status.className = "muted";
  status.textContent = t("audit.loading");
  try {
    const page = await api("GET", cafePath(`audit?${query(append ? next : null)}`));
    if (mine !== generation) return;
    await nameOrders(page.items);
    if (mine !== generation) return;
    if (!append) {
      rows.replaceChildren();
      shown = 0;
    }
    rows.append(...page.items.map(row));
    shown += page.items.length;
    next = page.next_before;
    older.hidden = !next;
    status.textContent = shown === 1 ? t("audit.count_one") : shown ? t("audit.count", { n: shown }) : t("audit.empty");
  } catch (e) {
    if (mine !== generation) return;
    const f = e.errors?.[0];
    status.className = "alert";
    status.textContent = f ? `${f.field}: ${f.message}` : e.message;
  } finally {
    older.disabled = false;
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  load(false);
});
// Reset clears the fields first, then the list follows them.
form.addEventListener("reset", () => setTimeout(() => load(false), 0));
older.addEventListener("click", () => load(true));

loadMenuNames().then(() => load(false));
