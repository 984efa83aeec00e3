// The front desk: tap items into an order (modifier chips inline, defaults preselected, the
// menu's rules enforced), name it, place it with one tap; hand out ready orders with one tap;
// undo the last hand-out; cancel the order just placed (a mistake, a customer who changed
// their mind), with a reason; mark items sold out. Follows the café's orders, menu and status live.

import { boot, cafe, el, t, stepName, api, cafePath, money, toast, showError, idempotencyKey } from "./crema.js";
import { OrderSet, DailyLive, UndoStack, workflow, customerLabel } from "./orders.js";

const data = boot.data || {};
const can = data.can || {};
const readyStep = workflow[workflow.length - 2];
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// The menu

let menu = data.menu || { categories: [], items: [], modifier_groups: [], options: [] };
const byOrder = (a, b) => a.sort_order - b.sort_order || a.id - b.id;
const indexMenu = () => ({
  items: new Map(menu.items.map((i) => [i.id, i])),
  groups: new Map(menu.modifier_groups.map((g) => [g.id, g])),
  categories: new Map(menu.categories.map((c) => [c.id, c])),
});
let ix = indexMenu();

/** The usable options of a group, in order (sold-out ones are shown but cannot be picked). */
function optionsOf(groupId) {
  return menu.options.filter((o) => o.group_id === groupId && o.enabled).sort(byOrder);
}

/** The groups an item's lines choose from: its category's, enabled, with options, de-duplicated. */
function groupsOf(item) {
  const cat = ix.categories.get(item.category_id);
  const seen = new Set();
  const out = [];
  for (const gid of cat?.allowed_groups || []) {
    const g = ix.groups.get(gid);
    if (!g || !g.enabled || seen.has(gid) || optionsOf(gid).length === 0) continue;
    seen.add(gid);
    out.push(g);
  }
  return out;
}

const maxOf = (g) => (g.mode === "single" ? 1 : g.max_select ?? Infinity);

let availabilityMode = false;

/** Type-to-search: the words typed, lowercased; an item shows when its name (or its
 *  category's) contains every one. */
const searchBox = $("menu-search");
const fold = (s) => s.toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
function matches(item, cat) {
  const words = fold(searchBox.value).split(/\s+/).filter(Boolean);
  const text = fold(`${item.name} ${cat.name}`);
  return words.every((w) => text.includes(w));
}

function renderMenu() {
  const grid = $("menu-grid");
  const focused = document.activeElement?.closest?.("#menu-grid") ? document.activeElement.dataset.item : null;
  grid.replaceChildren();
  const cats = menu.categories.filter((c) => c.enabled).sort(byOrder);
  const searching = searchBox.value.trim() !== "";
  let found = 0;
  for (const cat of cats) {
    const items = menu.items.filter((i) => i.category_id === cat.id && i.enabled && matches(i, cat)).sort(byOrder);
    found += items.length;
    if (!items.length) continue;
    const hid = `cat-${cat.id}`;
    grid.append(
      el("section", { class: "counter-cat", "aria-labelledby": hid },
        el("h3", { id: hid }, cat.name),
        el("div", { class: "counter-items" }, items.map(itemButton)),
      ),
    );
  }
  $("search-empty").textContent = searching && !found ? t("counter.search_none", { q: searchBox.value.trim() }) : "";
  if (!grid.children.length && !searching) grid.append(el("p", { class: "muted" }, t("counter.menu_empty")));
  if (focused) grid.querySelector(`[data-item="${CSS.escape(focused)}"]`)?.focus();
}

function itemButton(item) {
  const soldOut = item.sold_out;
  const attrs = {
    type: "button",
    class: soldOut ? "counter-item sold-out" : "counter-item",
    dataset: { item: String(item.id) },
    onclick: () => (availabilityMode ? toggleSoldOut(item) : addLine(item)),
  };
  if (availabilityMode) attrs["aria-pressed"] = String(soldOut);
  // Out of availability mode a sold-out item cannot be tapped into an order.
  else if (soldOut) attrs.disabled = true;
  // A long word ("Sjokoladekake") gets smaller type rather than a break inside it.
  const longest = Math.max(...item.name.split(/\s+/).map((w) => [...w].length));
  return el("button", attrs,
    el("span", { class: longest > 11 ? "counter-item-name long" : "counter-item-name" }, item.name),
    el("span", { class: "counter-item-price num" }, money(tilePrice(item))),
    soldOut ? el("span", { class: "badge-soldout" }, t("counter.sold_out")) : null,
  );
}

async function toggleSoldOut(item) {
  try {
    const saved = await api("PATCH", cafePath(`items/${item.id}`), { sold_out: !item.sold_out });
    applyItem(saved);
    toast(t(saved.sold_out ? "counter.now_sold_out" : "counter.now_available", { name: saved.name }));
  } catch (e) {
    showError(e);
  }
}

function applyItem(rec) {
  const i = menu.items.findIndex((x) => x.id === rec.id);
  if (i >= 0) menu.items[i] = { ...menu.items[i], ...rec };
  else menu.items.push(rec);
  ix = indexMenu();
  menuChanged();
}

const availBtn = $("availability");
if (can.toggle_availability) {
  availBtn.hidden = false;
  availBtn.addEventListener("click", () => {
    availabilityMode = !availabilityMode;
    availBtn.setAttribute("aria-pressed", String(availabilityMode));
    $("availability-hint").hidden = !availabilityMode;
    document.querySelector(".counter-menu").classList.toggle("editing", availabilityMode);
    renderMenu();
  });
}

// A change other than an item's (a group, option or category) is refetched whole: those
// records arrive in the store's shape, and the rules need them all consistent.
let refetch = null;
function menuEvent(kind, d) {
  if (d?.entity === "item" && d.action !== "delete" && d.record) {
    applyItem(d.record);
    return;
  }
  clearTimeout(refetch);
  refetch = setTimeout(async () => {
    try {
      setMenu(await api("GET", cafePath("menu")));
    } catch (e) {
      showError(e);
    }
  }, 200);
}

function setMenu(m) {
  menu = m;
  ix = indexMenu();
  menuChanged();
}

/** The menu changed under the cart: drop what no longer exists, keep the rest. */
function menuChanged() {
  for (const line of cart) {
    const item = ix.items.get(line.itemId);
    if (!item) continue;
    const groups = new Set(groupsOf(item).map((g) => g.id));
    for (const [gid, picks] of line.picks) {
      if (!groups.has(gid)) line.picks.delete(gid);
      else for (const oid of picks) if (!menu.options.some((o) => o.id === oid && o.enabled)) picks.delete(oid);
    }
  }
  renderMenu();
  renderCart();
}

// ---------------------------------------------------------------------------------------------
// The order being taken

/** Lines: {key, itemId, quantity, notes, picks: Map(groupId → Set(optionId)), error}. */
let cart = [];
let openKey = null; // the line whose chips are shown
let nextKey = 1;
let idemKey = null; // one per cart content: a retry of the same order reuses it
let placing = false;

/** Each group's default choice, when it can be had: what a tapped item starts with. */
function defaultPicks(item) {
  const picks = new Map();
  for (const g of groupsOf(item)) {
    const d = optionsOf(g.id).find((o) => o.id === g.default_option_id && !o.sold_out);
    picks.set(g.id, new Set(d ? [d.id] : []));
  }
  return picks;
}

/** What a tile says an item costs: the price charged for it as tapped (defaults, rounded). */
const tilePrice = (item) => unitPrice({ itemId: item.id, picks: defaultPicks(item) });

function addLine(item) {
  const picks = defaultPicks(item);
  const line = { key: nextKey++, itemId: item.id, quantity: 1, notes: "", picks, error: null };
  cart.push(line);
  openKey = line.key;
  changed();
  $(`line-${line.key}`)?.scrollIntoView?.({ block: "nearest" });
}

function changed() {
  idemKey = null;
  for (const l of cart) l.error = null;
  $("place-error").hidden = true;
  renderCart();
}

/** Kaffediem's price rule, as the server computes it (crema-core pricing.rs). */
function unitPrice(line) {
  const item = ix.items.get(line.itemId);
  if (!item) return 0;
  let sum = BigInt(item.price);
  let num = 1n;
  let den = 1n;
  let zero = false;
  for (const picks of line.picks.values()) {
    for (const oid of picks) {
      const e = menu.options.find((o) => o.id === oid)?.price_effect;
      if (!e) continue;
      if (e.kind === "fixed") sum += BigInt(e.value);
      else {
        zero ||= e.value === 0;
        num *= BigInt(e.value);
        den *= 100n;
      }
    }
  }
  if (sum <= 0n || zero) return 0;
  const step = BigInt(Math.max(1, cafe.price_rounding || 1));
  const d = den * step;
  return Number(((sum * num + d - 1n) / d) * step);
}

const lineTotal = (l) => unitPrice(l) * l.quantity;
const cartTotal = () => cart.reduce((s, l) => s + lineTotal(l), 0);

/** What the menu's rules say about a line's picks, as field messages (empty when fine). */
function ruleProblems(line) {
  const item = ix.items.get(line.itemId);
  const out = [];
  if (!item) return [t("counter.item_gone")];
  if (item.sold_out) out.push(t("counter.item_sold_out", { name: item.name }));
  for (const g of groupsOf(item)) {
    const n = line.picks.get(g.id)?.size || 0;
    if (n < g.min_select) out.push(t("counter.choose_min", { n: g.min_select, group: g.name }));
  }
  return out;
}

function renderCart() {
  const list = $("cart-lines");
  const focusedId = document.activeElement?.closest?.("#cart-lines") ? document.activeElement.id : null;
  list.replaceChildren(...cart.map(renderLine));
  if (focusedId) $(focusedId)?.focus();
  $("cart-empty").hidden = cart.length > 0;
  const total = cartTotal();
  $("total").textContent = money(total);
  const place = $("place");
  place.disabled = cart.length === 0 || placing;
  place.textContent = placing ? t("counter.placing") : cart.length ? t("counter.place_total", { total: money(total) }) : t("counter.place");
  $("clear").disabled = cart.length === 0 || placing;
  // On a phone the menu is long: a bar at its bottom leads to the order.
  const count = cart.reduce((n, l) => n + l.quantity, 0);
  $("jump").hidden = cart.length === 0;
  $("jump").textContent = t("counter.jump", { n: count, total: money(total) });
}

function renderLine(line) {
  const item = ix.items.get(line.itemId);
  const name = item?.name ?? t("counter.item_gone");
  const open = line.key === openKey;
  const k = line.key;
  const errId = `line-${k}-error`;
  const summary = [...line.picks.values()]
    .flatMap((s) => [...s])
    .map((oid) => menu.options.find((o) => o.id === oid)?.name)
    .filter(Boolean)
    .join(", ");
  const head = el("div", { class: "line-head" },
    el("div", { class: "qty", role: "group", "aria-label": t("counter.quantity_of", { name }) },
      el("button", { type: "button", class: "qty-btn", id: `line-${k}-minus`, "aria-label": t("counter.less"), disabled: line.quantity <= 1, onclick: () => setQty(line, line.quantity - 1) }, "−"),
      el("span", { class: "qty-n num", "aria-live": "polite" }, String(line.quantity)),
      el("button", { type: "button", class: "qty-btn", id: `line-${k}-plus`, "aria-label": t("counter.more"), disabled: line.quantity >= 50, onclick: () => setQty(line, line.quantity + 1) }, "+"),
    ),
    el("button", {
      type: "button", class: "line-name", id: `line-${k}-open`, "aria-expanded": String(open),
      "aria-controls": `line-${k}-body`, onclick: () => { openKey = open ? null : k; renderCart(); },
    }, el("span", {}, name), summary ? el("span", { class: "line-summary muted small" }, summary) : null),
    el("span", { class: "line-price num" }, money(lineTotal(line))),
    el("button", { type: "button", class: "line-remove", id: `line-${k}-remove`, "aria-label": t("counter.remove", { name }), onclick: () => removeLine(line) }, "×"),
  );
  const body = el("div", { class: "line-body", id: `line-${k}-body`, hidden: !open });
  if (open && item) {
    for (const g of groupsOf(item)) body.append(groupChips(line, g));
    const notesId = `line-${k}-notes`;
    body.append(
      el("label", { for: notesId, class: "small" }, t("counter.notes")),
      el("input", {
        id: notesId, maxlength: "200", value: line.notes, autocomplete: "off",
        oninput: (e) => { line.notes = e.target.value; idemKey = null; },
      }),
    );
  }
  return el("li", { class: line.error ? "cart-line has-error" : "cart-line", id: `line-${k}`, "aria-describedby": line.error ? errId : null },
    head, body,
    line.error ? el("p", { class: "field-error", id: errId }, line.error) : null,
  );
}

function groupChips(line, g) {
  const picks = line.picks.get(g.id) || new Set();
  const max = maxOf(g);
  const full = picks.size >= max && max !== 1;
  const legendId = `line-${line.key}-g${g.id}`;
  const rule = g.min_select > 0 ? t("counter.required") : g.mode === "multiple" && Number.isFinite(max) ? t("counter.up_to", { n: max }) : "";
  const chips = optionsOf(g.id).map((o) => {
    const on = picks.has(o.id);
    const extra = chipPrice(line, g, o);
    const chip = el("button", {
      type: "button",
      class: "chip",
      id: `line-${line.key}-o${o.id}`,
      "aria-pressed": String(on),
      disabled: (o.sold_out && !on) || (full && !on),
      onclick: () => pick(line, g, o.id),
    }, o.name, extra ? el("span", { class: "chip-extra" }, extra) : null, o.sold_out ? el("span", { class: "visually-hidden" }, ` (${t("counter.sold_out")})`) : null);
    if (g.label_color) chip.style.setProperty("--label", g.label_color);
    return chip;
  });
  return el("div", { class: "chips", role: "group", "aria-labelledby": legendId },
    el("span", { class: "chips-label", id: legendId }, g.name, rule ? el("span", { class: "muted small" }, ` · ${rule}`) : null),
    el("span", { class: "chips-row" }, chips),
  );
}

/** A chip's price in money, computed as charged: a single choice (a size) shows what the line
 *  costs with it, a multiple choice (an extra) what it adds. */
function chipPrice(line, g, o) {
  const withPicks = (set) => unitPrice({ itemId: line.itemId, picks: new Map([...line.picks, [g.id, set]]) });
  const picks = line.picks.get(g.id) || new Set();
  if (g.mode === "single") return money(withPicks(new Set([o.id])));
  const rest = [...picks].filter((x) => x !== o.id);
  const d = withPicks(new Set([...rest, o.id])) - withPicks(new Set(rest));
  return d ? `${d > 0 ? "+" : "−"}${money(Math.abs(d))}` : "";
}

/** A tap on a chip: single choice swaps, multiple toggles up to its maximum, and a pick the
 * group needs cannot be taken away (pick another instead). */
function pick(line, g, oid) {
  const picks = line.picks.get(g.id) || new Set();
  line.picks.set(g.id, picks);
  if (picks.has(oid)) {
    if (picks.size <= g.min_select) return;
    picks.delete(oid);
  } else if (g.mode === "single") {
    picks.clear();
    picks.add(oid);
  } else {
    if (picks.size >= maxOf(g)) return;
    picks.add(oid);
  }
  changed();
}

function setQty(line, q) {
  line.quantity = Math.min(50, Math.max(1, q));
  changed();
}

function removeLine(line) {
  cart = cart.filter((l) => l !== line);
  if (openKey === line.key) openKey = cart.length ? cart[cart.length - 1].key : null;
  changed();
  $("cart-h").setAttribute("tabindex", "-1");
  $("cart-h").focus();
}

$("clear").addEventListener("click", () => {
  cart = [];
  openKey = null;
  $("customer-name").value = "";
  clearNameError();
  changed();
});
$("customer-name").addEventListener("input", () => {
  idemKey = null;
  clearNameError();
});

function clearNameError() {
  $("name-error").hidden = true;
  $("customer-name").removeAttribute("aria-invalid");
}

function body() {
  const name = $("customer-name").value.trim();
  return {
    channel: "counter",
    ...(name ? { customer_name: name } : {}),
    lines: cart.map((l) => ({
      item_id: l.itemId,
      quantity: l.quantity,
      ...(l.notes.trim() ? { notes: l.notes.trim() } : {}),
      modifiers: [...l.picks].filter(([, s]) => s.size).map(([group_id, s]) => ({ group_id, option_ids: [...s] })),
    })),
  };
}

$("place-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  // A second tap while the first is on its way does nothing: one order per tap.
  if (placing || !cart.length) return;
  const problems = cart.map(ruleProblems);
  if (problems.some((p) => p.length)) {
    cart.forEach((l, i) => (l.error = problems[i].join(" ") || null));
    const first = cart.find((l) => l.error);
    openKey = first.key;
    renderCart();
    $(`line-${first.key}-open`)?.focus();
    return;
  }
  placing = true;
  idemKey ||= idempotencyKey();
  const sent = cart.slice();
  renderCart();
  try {
    const order = await api("POST", cafePath("orders"), body(), { headers: { "Idempotency-Key": idemKey } });
    placed(order, sent);
  } catch (e) {
    placeFailed(e);
  } finally {
    placing = false;
    renderCart();
  }
});

function placed(order, sent) {
  // Only what was sent is done: an item tapped while the order was on its way stays.
  cart = cart.filter((l) => !sent.includes(l));
  openKey = cart.length ? cart[cart.length - 1].key : null;
  idemKey = null;
  $("customer-name").value = "";
  clearNameError();
  if (!cart.length) {
    // Ready for the next customer: the keyboard goes back to the menu.
    $("menu-h").setAttribute("tabindex", "-1");
    $("menu-h").focus();
  }
  const who = customerLabel(order);
  const text = t("counter.placed", { n: order.day_number, total: money(order.total) }) + (who ? ` · ${who}` : "");
  $("last-order").textContent = text;
  toast(text);
  set.apply(order);
  renderReady();
  showCancel(order);
}

// ---------------------------------------------------------------------------------------------
// Cancelling the order just placed

const cancelButton = $("cancel-last");
const cancelDialog = $("cancel-dialog");
const cancelReason = $("cancel-reason");
const cancelError = $("cancel-error");
/** The order the cancel button is for: the last one placed at this desk. */
let lastPlaced = null;

function showCancel(order) {
  lastPlaced = order;
  cancelButton.hidden = can.move_orders === false || !order || order.step === "cancelled";
  if (order) cancelButton.textContent = t("counter.cancel_last", { n: order.day_number });
}

function setCancelError(message) {
  cancelError.textContent = message || "";
  cancelError.hidden = !message;
  cancelReason.setAttribute("aria-invalid", message ? "true" : "false");
}

cancelButton.addEventListener("click", () => {
  if (!lastPlaced) return;
  $("cancel-title").textContent = t("counter.cancel_title", { n: lastPlaced.day_number });
  cancelReason.value = "";
  setCancelError("");
  cancelDialog.returnValue = "";
  cancelDialog.showModal();
  cancelReason.focus();
});

$("cancel-form").addEventListener("submit", (e) => {
  if (e.submitter?.value !== "ok") return;
  if (!cancelReason.value.trim()) {
    // The server would refuse it too; say so here and keep the dialog open.
    e.preventDefault();
    setCancelError(t("counter.cancel_reason_missing"));
    cancelReason.focus();
  }
});

cancelDialog.addEventListener("close", async () => {
  const order = lastPlaced;
  if (cancelDialog.returnValue !== "ok" || !order) return;
  try {
    const cancelled = await api("POST", cafePath(`orders/${order.id}/cancel`), {
      reason: cancelReason.value.trim(),
    });
    set.apply(cancelled);
    renderReady();
    const text = t("counter.cancelled", { n: cancelled.day_number });
    $("last-order").textContent = text;
    showCancel(null);
    undo.push(cancelled, text);
  } catch (e) {
    showError(e);
  }
  $("customer-name").focus();
});

/** Shows each field error where it belongs: on its line, on the name, or above the button. */
function placeFailed(e) {
  const general = [];
  for (const fe of e.errors || []) {
    const m = /^lines\[(\d+)\]/.exec(fe.field || "");
    if (m && cart[Number(m[1])]) {
      const l = cart[Number(m[1])];
      l.error = l.error ? `${l.error} ${fe.message}` : fe.message;
    } else if (fe.field === "customer_name") {
      $("name-error").textContent = `${t("counter.customer_name")}: ${fe.message}`;
      $("name-error").hidden = false;
      $("customer-name").setAttribute("aria-invalid", "true");
    } else if (fe.field === "cafe") general.push(t("counter.closed"));
    else general.push(fe.message);
  }
  if (!(e.errors || []).length) general.push(e.status === 0 ? t("counter.retry_network") : e.message);
  const err = $("place-error");
  err.textContent = general.join(" ");
  err.hidden = general.length === 0;
  const bad = cart.find((l) => l.error);
  if (bad) openKey = bad.key;
  renderCart();
  if (bad) $(`line-${bad.key}-open`)?.focus();
  else if (!$("name-error").hidden) $("customer-name").focus();
}

// ---------------------------------------------------------------------------------------------
// Orders to hand out

const handing = new Set();

function renderReady() {
  const orders = set.at(readyStep);
  $("ready-count").textContent = String(orders.length);
  $("ready-empty").hidden = orders.length > 0;
  const focused = document.activeElement?.dataset?.order;
  $("ready-list").replaceChildren(
    ...orders.map((o) => {
      const who = customerLabel(o);
      return el("li", {},
        el("button", {
          type: "button",
          class: "ready-btn",
          dataset: { order: o.id },
          disabled: can.move_orders === false,
          "aria-disabled": handing.has(o.id) ? "true" : null,
          onclick: () => handOut(o),
        },
          el("span", { class: "ready-num num" }, String(o.day_number)),
          who ? el("span", { class: "ready-name" }, who) : null,
          el("span", { class: "visually-hidden" }, t("counter.hand_out")),
        ));
    }),
  );
  if (focused) {
    // The order just handed out is gone: keep the keyboard in the list.
    const again = $("ready-list").querySelector(`[data-order="${CSS.escape(focused)}"]`);
    (again || $("ready-list").querySelector("button") || $("undo")).focus();
  }
}

async function handOut(o) {
  if (handing.has(o.id)) return;
  handing.add(o.id);
  renderReady();
  try {
    const moved = await api("POST", cafePath(`orders/${o.id}/forward`));
    set.apply(moved);
    undo.push(moved, t("counter.handed_out", { n: moved.day_number, step: stepName(moved.step) }));
  } catch (e) {
    showError(e);
  } finally {
    handing.delete(o.id);
    renderReady();
  }
}

const set = new OrderSet(renderReady);
const undo = new UndoStack($("undo"), (o) => {
  set.apply(o);
  renderReady();
});

// ---------------------------------------------------------------------------------------------
// Open or closed

function showStatus(s) {
  if (!s) return;
  $("closed").hidden = s.open !== false;
}
showStatus(data.status);
$("open-cafe").addEventListener("click", async () => {
  try {
    showStatus(await api("PATCH", cafePath("status"), { open: true }));
  } catch (e) {
    showError(e);
  }
});

const conn = new DailyLive((live) => {
  live.join(`cafe:${cafe.slug}:orders`, set.handlers());
  live.join(`cafe:${cafe.slug}:menu`, { snapshot: setMenu, event: menuEvent });
  live.join(`cafe:${cafe.slug}:status`, {
    snapshot: (s) => showStatus(s.status),
    event: (kind, d) => kind === "status.update" && showStatus(d?.record),
  });
}, document.querySelector(".conn"));
setInterval(() => conn.tick(), 30000);

renderMenu();
renderCart();
renderReady();

// ---------------------------------------------------------------------------------------------
// Type to search: a letter typed anywhere outside a field starts a search ("/" jumps there
// too); Enter adds the first item found, Escape clears.

searchBox.addEventListener("input", renderMenu);
searchBox.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    const first = $("menu-grid").querySelector("button.counter-item:not(:disabled)");
    if (first) {
      first.click();
      searchBox.value = "";
      renderMenu();
    }
  } else if (e.key === "Escape" && searchBox.value) {
    e.preventDefault();
    searchBox.value = "";
    renderMenu();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  if (e.target.closest?.("input, textarea, select, dialog")) return;
  if (e.key === "/") {
    e.preventDefault();
    searchBox.focus();
  } else if (e.key.length === 1 && /\p{L}|\p{N}/u.test(e.key)) {
    // The letter itself goes into the box: focus moves before the key's input lands.
    searchBox.focus();
  }
});

// ---------------------------------------------------------------------------------------------
// Recall: today's handed-out orders, newest first; "bring back" takes the hand-out back, so
// the order is at the ready step again (a customer who was given the wrong cup).

const recallDialog = $("recall-dialog");
async function openRecall() {
  const list = $("recall-list");
  list.replaceChildren();
  $("recall-empty").hidden = true;
  if (!recallDialog.open) recallDialog.showModal();
  try {
    const page = await api("GET", cafePath(`orders?date=today&step=${encodeURIComponent(workflow[workflow.length - 1])}&limit=200`));
    const items = (page.items || []).sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at)).slice(0, 30);
    $("recall-empty").hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((o) => {
        const who = customerLabel(o);
        return el("li", {},
          el("span", { class: "recall-num num" }, String(o.day_number)),
          el("span", { class: "recall-name" }, who || ""),
          el("button", { type: "button", dataset: { order: o.id }, onclick: () => bringBack(o), disabled: can.move_orders === false },
            t("counter.recall_back"), el("span", { class: "visually-hidden" }, ` ${o.day_number}`)));
      }),
    );
    list.querySelector("button")?.focus();
  } catch (e) {
    showError(e);
  }
}
async function bringBack(o) {
  try {
    const back = await api("POST", cafePath(`orders/${o.id}/undo`));
    set.apply(back);
    renderReady();
    toast(t("counter.recalled", { n: back.day_number, step: stepName(back.step) }));
    openRecall();
  } catch (e) {
    showError(e);
  }
}
$("recall-open").addEventListener("click", openRecall);
$("recall-close").addEventListener("click", () => recallDialog.close());
