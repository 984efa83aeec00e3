// The ordering flow shared by the customer page and the kiosk: the menu (re-rendered when it
// changes live), the item sheet that enforces the modifier rules with a live price, the cart,
// and checkout through the public API with an idempotency key.
//
// Prices are computed exactly as the server does (crema-core's pricing): the sum of the base
// price and the fixed deltas, floored at zero, times every percentage, rounded up to the
// café's rounding increment; BigInt keeps it exact. The server re-prices every order anyway:
// this is what the customer sees before paying, and a test checks that the two agree.

import { boot, t, el, api, cafePath, cafe, lang, idempotencyKey, ApiProblem } from "./crema.js";

/** The same limits the API enforces (crema-core's order and text rules). */
export const MAX_QUANTITY = 50;
export const MAX_NOTES = 200;
export const MAX_NAME = 100;

const exponentOf = (code) => (["JPY", "KRW", "ISK"].includes(code) ? 0 : 2);

/**
 * Minor units as the server's templates write them (`page::format_money`), so a price looks
 * the same whether the server or this script drew it: `45 kr`, `45,50 kr`, `£4.50`.
 */
export function fmt(minor, currency = cafe?.currency ?? "NOK") {
  const exp = exponentOf(currency);
  const unit = 10 ** exp;
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const major = Math.floor(abs / unit);
  const frac = abs % unit;
  const sep = lang === "nb" ? "," : ".";
  const number = frac === 0 ? String(major) : `${major}${sep}${String(frac).padStart(exp, "0")}`;
  if (lang === "nb" && ["NOK", "SEK", "DKK"].includes(currency)) return `${sign}${number} kr`;
  if (currency === "GBP") return `${sign}£${number}`;
  if (currency === "EUR") return `${sign}€${number}`;
  if (currency === "USD") return `${sign}$${number}`;
  return `${sign}${currency} ${number}`;
}

/** crema-core's `unit_price`: effects are `{kind: "fixed"|"percent", value}`. */
export function unitPrice(base, effects, rounding) {
  let sum = BigInt(base);
  let num = 1n;
  let den = 1n;
  let zero = false;
  for (const e of effects) {
    if (e.kind === "fixed") sum += BigInt(e.value);
    else {
      zero ||= e.value === 0;
      num *= BigInt(e.value);
      den *= 100n;
    }
  }
  if (sum < 0n) sum = 0n;
  if (sum === 0n || zero) return 0;
  const step = BigInt(Math.max(1, rounding || 1));
  const d = den * step;
  const units = (sum * num + d - 1n) / d;
  return Number(units * step);
}

const bySort = (a, b) => a.sort_order - b.sort_order || a.id - b.id;

/** Lookups over a menu as `GET /api/v1/cafes/<slug>/menu` returns it. */
export class MenuIndex {
  constructor(menu) {
    this.menu = menu;
    this.items = new Map(menu.items.map((i) => [i.id, i]));
    this.categories = new Map(menu.categories.map((c) => [c.id, c]));
    this.groups = new Map(menu.modifier_groups.map((g) => [g.id, g]));
    this.options = new Map(menu.options.map((o) => [o.id, o]));
  }

  /** Whether the item can be ordered now (its category on, the item on and not sold out). */
  available(item) {
    const cat = this.categories.get(item.category_id);
    return !!cat && cat.enabled && item.enabled && !item.sold_out;
  }

  /** The groups an item offers, in the category's order; a group listed twice counts once. */
  groupsOf(item) {
    const cat = this.categories.get(item.category_id);
    const seen = new Set();
    const out = [];
    for (const id of cat?.allowed_groups || []) {
      if (seen.has(id)) continue;
      seen.add(id);
      const g = this.groups.get(id);
      if (g && g.enabled) out.push(g);
    }
    return out;
  }

  /** The choices the item sheet starts with: each group's default, when it can be had. */
  defaultsOf(item) {
    const selection = new Map();
    for (const g of this.groupsOf(item)) {
      const d = g.default_option_id != null ? this.options.get(g.default_option_id) : null;
      selection.set(g.id, d && d.group_id === g.id && d.enabled && !d.sold_out ? [d.id] : []);
    }
    return selection;
  }

  /** What the menu shows for an item: the price charged for it as the sheet opens (the
   *  defaults chosen, rounded up to the café's step), never the unrounded base price. */
  menuPrice(item) {
    const effects = [];
    for (const ids of this.defaultsOf(item).values()) for (const id of ids) effects.push(this.options.get(id).price_effect);
    return unitPrice(item.price, effects, cafe.price_rounding);
  }

  /** A group's options that are on the menu (sold-out ones included, to be shown as such). */
  optionsOf(group) {
    return this.menu.options.filter((o) => o.group_id === group.id && o.enabled).sort(bySort);
  }
}

/** How many options a group needs, in words. */
function ruleText(g) {
  const min = g.min_select;
  const max = g.max_select;
  if (g.mode === "single") return min > 0 ? t("customer.rule_one") : t("customer.rule_one_optional");
  if (max != null && min > 0) return min === max ? t("customer.rule_exactly", { n: min }) : t("customer.rule_between", { min, max });
  if (max != null) return t("customer.rule_up_to", { max });
  if (min > 0) return t("customer.rule_at_least", { min });
  return t("customer.rule_any");
}

/** Keeps focus on "the same" control when a part of the page is drawn again. */
function redraw(container, build) {
  const key = document.activeElement && container.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
  container.replaceChildren(...[build()].flat());
  if (key) container.querySelector(`[data-focus="${CSS.escape(key)}"]`)?.focus();
}

function itemThumb(item) {
  // The item's own picture when it is on crema (the CSP allows no other site), else the drawn
  // one the server chose for its name (an item added since the page loaded has none yet).
  const own = typeof item.image === "string" && item.image.startsWith("/") ? item.image : null;
  const src = own || boot.data?.pictures?.[item.id] || null;
  return el(
    "span",
    { class: "cu-thumb" },
    src ? el("img", { src, alt: "", loading: "lazy" }) : el("span", { class: "cu-ph", "aria-hidden": "true" }, [...item.name][0] || ""),
  );
}

/**
 * The ordering flow on a page rendered from `customer_menu.html`.
 *
 * options: `channel` ("web" | "kiosk"), `persist` (keep the cart in localStorage: a phone
 * yes, a shared kiosk never), `nameRequired`, `onPlaced(order)`.
 */
export class Shop {
  constructor({ channel, persist, nameRequired, onPlaced, boot }) {
    this.channel = channel;
    this.persist = persist;
    this.nameRequired = nameRequired;
    this.onPlaced = onPlaced;
    this.menuJson = JSON.stringify(boot.menu);
    this.index = new MenuIndex(boot.menu);
    this.status = boot.status;
    this.messages = boot.messages;
    this.storeKey = `crema.cart.${cafe.slug}`;
    this.lines = [];
    this.name = "";
    this.pending = null; // {key, body}: the last checkout attempt, retried with the same key
    this.busy = false;
    this.lineErrors = new Map(); // line uid → message (from the server)
    this.load();

    this.menuNode = document.getElementById("menu");
    this.catsNode = document.querySelector(".cu-cats");
    this.noticeNode = document.getElementById("notice");
    this.bar = document.getElementById("cartbar");
    this.itemSheet = document.getElementById("item-sheet");
    this.cartSheet = document.getElementById("cart-sheet");
    // A kiosk on a wide screen keeps its cart beside the menu (a panel, not a sheet over it).
    this.sideQuery = channel === "kiosk" && window.matchMedia ? window.matchMedia("(min-width: 1400px) and (min-height: 700px)") : null;
    this.sideQuery?.addEventListener?.("change", () => {
      if (this.cartSheet.open) this.cartSheet.close();
      this.renderBar();
    });

    this.menuNode.addEventListener("click", (e) => {
      const b = e.target.closest("button.cu-item");
      if (b) this.openItem(Number(b.dataset.item), b);
    });
    document.getElementById("cart-open").addEventListener("click", () => this.openCart());
    this.itemSheet.addEventListener("close", () => {
      this.sheet = null;
      this.sheetOpener?.focus();
    });
    this.cartSheet.addEventListener("close", () => document.getElementById("cart-open")?.focus());
    for (const d of [this.itemSheet, this.cartSheet]) {
      // A tap on the backdrop closes the sheet, as on every phone.
      d.addEventListener("click", (e) => {
        if (e.target === d && !(d === this.cartSheet && this.side)) d.close();
      });
    }
    this.renderBar();
  }

  get open() {
    return !!this.status?.open;
  }

  /** Whether the cart is a panel beside the menu (a wide kiosk) instead of a sheet. */
  get side() {
    return !!this.sideQuery?.matches;
  }

  // ---- storage -------------------------------------------------------------------------

  load() {
    if (!this.persist) return;
    try {
      const saved = JSON.parse(localStorage.getItem(this.storeKey) || "null");
      if (saved && Array.isArray(saved.lines)) {
        this.lines = saved.lines
          .filter((l) => this.index.items.has(l.item_id) && Number.isInteger(l.quantity))
          .map((l) => ({ ...l, uid: l.uid || idempotencyKey() }));
        this.name = typeof saved.name === "string" ? saved.name : "";
        this.pending = saved.pending || null;
      }
    } catch {
      // A damaged entry is an empty cart, not a broken page.
      this.lines = [];
    }
  }

  save() {
    if (!this.persist) return;
    try {
      localStorage.setItem(this.storeKey, JSON.stringify({ lines: this.lines, name: this.name, pending: this.pending }));
    } catch {
      // Private mode or a full disk: the cart lives on in this tab.
    }
  }

  /** Forgets everything: the kiosk's start-over. */
  reset() {
    this.lines = [];
    this.name = "";
    this.pending = null;
    this.busy = false;
    this.lineErrors.clear();
    if (this.itemSheet.open) this.itemSheet.close();
    if (this.cartSheet.open) this.cartSheet.close();
    this.itemSheet.replaceChildren();
    this.cartSheet.replaceChildren();
    this.save();
    this.renderBar();
  }

  /** Whether there is anything of a customer's on screen. */
  dirty() {
    return this.lines.length > 0 || this.name !== "" || this.itemSheet.open || this.cartSheet.open;
  }

  // ---- live updates --------------------------------------------------------------------

  setMenu(menu) {
    const json = JSON.stringify(menu);
    if (json === this.menuJson) return;
    this.menuJson = json;
    this.index = new MenuIndex(menu);
    this.lines = this.lines.filter((l) => this.index.items.has(l.item_id));
    this.renderMenu();
    this.renderBar();
    if (this.sheet) this.renderSheet();
    if (this.cartSheet.open) this.renderCart();
  }

  refreshMenu() {
    clearTimeout(this.menuTimer);
    this.menuTimer = setTimeout(async () => {
      try {
        this.setMenu(await api("GET", cafePath("menu")));
      } catch {
        // The next event or reconnect snapshot brings it.
      }
    }, 100);
  }

  setStatus(status, messages) {
    const was = this.open;
    this.status = status;
    if (messages) this.messages = messages;
    this.renderNotice();
    if (was !== this.open) this.renderMenu();
    this.renderBar();
    if (this.sheet) this.renderSheet();
    if (this.cartSheet.open) this.renderCart();
  }

  refreshStatus() {
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(async () => {
      try {
        const [status, messages] = await Promise.all([api("GET", cafePath("status")), api("GET", cafePath("messages"))]);
        this.setStatus(status, messages);
      } catch {
        // As above.
      }
    }, 100);
  }

  /** Follows the café's menu and status on `live`. */
  follow(live) {
    live.join(`cafe:${cafe.slug}:menu`, {
      snapshot: (m) => this.setMenu(m),
      event: () => this.refreshMenu(),
    });
    live.join(`cafe:${cafe.slug}:status`, {
      snapshot: (s) => this.setStatus(s.status, s.messages),
      event: () => this.refreshStatus(),
    });
  }

  // ---- the menu ------------------------------------------------------------------------

  renderNotice() {
    const n = this.noticeNode;
    const s = this.status;
    const msg = s.message_id != null && (!s.open || s.show_message) ? this.messages.find((m) => m.id === s.message_id) : null;
    n.classList.toggle("cu-closed", !s.open);
    n.hidden = s.open && !msg;
    // replaceChildren turns a null into the text "null": only real nodes go in.
    const parts = [
      !s.open ? el("p", { class: "cu-notice-kicker" }, t("customer.closed")) : null,
      msg ? el("p", { class: "cu-notice-title" }, msg.title) : !s.open ? el("p", { class: "cu-notice-title" }, t("customer.closed_text")) : null,
      msg?.subtitle ? el("p", { class: "cu-notice-sub" }, msg.subtitle) : null,
    ];
    n.replaceChildren(...parts.filter(Boolean));
  }

  renderMenu() {
    const ix = this.index;
    const cats = ix.menu.categories
      .filter((c) => c.enabled)
      .sort(bySort)
      .map((c) => ({ c, items: ix.menu.items.filter((i) => i.category_id === c.id).sort(bySort) }))
      .filter((x) => x.items.length);
    if (this.catsNode) {
      this.catsNode.replaceChildren(...cats.map(({ c }) => el("a", { href: `#cat-${c.id}` }, c.name)));
    }
    redraw(this.menuNode, () =>
      cats.length
        ? cats.map(({ c, items }) =>
            el(
              "section",
              { class: "cu-cat", id: `cat-${c.id}`, "aria-labelledby": `cat-${c.id}-h` },
              el("h2", { id: `cat-${c.id}-h` }, c.name),
              el(
                "ul",
                { class: "cu-items" },
                items.map((i) => {
                  const orderable = this.open && !i.sold_out && i.enabled;
                  const inner = [
                    itemThumb(i),
                    el(
                      "span",
                      { class: "cu-item-text" },
                      el("span", { class: "cu-item-name" }, i.name),
                      el("span", { class: "cu-item-price num" }, fmt(this.index.menuPrice(i))),
                      i.sold_out ? el("span", { class: "cu-badge" }, t("customer.sold_out")) : !i.enabled ? el("span", { class: "cu-badge" }, t("customer.unavailable")) : null,
                    ),
                  ];
                  return el(
                    "li",
                    {},
                    orderable
                      ? el("button", { type: "button", class: "cu-item item", "data-item": i.id, "data-focus": `item-${i.id}` }, inner)
                      : el("div", { class: "cu-item cu-off item off", "data-item": i.id }, inner),
                  );
                }),
              ),
            ),
          )
        : el("p", { class: "muted" }, t("customer.menu_empty")),
    );
  }

  // ---- the item sheet ------------------------------------------------------------------

  openItem(id, opener) {
    const item = this.index.items.get(id);
    if (!item || !this.open) return;
    const selection = this.index.defaultsOf(item);
    this.sheet = { item, selection, quantity: 1, notes: "", errors: new Map(), tried: false };
    this.sheetOpener = opener;
    this.renderSheet();
    this.itemSheet.showModal();
    this.itemSheet.querySelector("h2")?.focus();
  }

  /** The options chosen in the sheet that are still on offer, per group. */
  sheetChoices() {
    const { item, selection } = this.sheet;
    const out = [];
    for (const g of this.index.groupsOf(item)) {
      const ids = (selection.get(g.id) || []).filter((id) => {
        const o = this.index.options.get(id);
        return o && o.group_id === g.id && o.enabled && !o.sold_out;
      });
      selection.set(g.id, ids);
      out.push({ group: g, ids });
    }
    return out;
  }

  /** Each group's rule, as the server checks it: a message per group that is not satisfied. */
  sheetErrors() {
    const errors = new Map();
    for (const { group: g, ids } of this.sheetChoices()) {
      const n = ids.length;
      if (n < g.min_select) errors.set(g.id, g.mode === "single" || g.min_select === 1 ? t("customer.error_choose_one", { group: g.name }) : t("customer.error_choose_min", { group: g.name, min: g.min_select }));
      else if (g.max_select != null && n > g.max_select) errors.set(g.id, t("customer.error_choose_max", { group: g.name, max: g.max_select }));
    }
    return errors;
  }

  sheetUnit(selection) {
    const effects = [];
    if (selection) {
      for (const ids of selection.values()) for (const id of ids) effects.push(this.index.options.get(id).price_effect);
    } else {
      for (const { ids } of this.sheetChoices()) for (const id of ids) effects.push(this.index.options.get(id).price_effect);
    }
    return unitPrice(this.sheet.item.price, effects, cafe.price_rounding);
  }

  /** An option's effect in money, as customers read it: a single choice (a size) shows the
   *  price the item would cost with it, a multiple choice (an extra) what it adds now; both
   *  computed with the café's rounding, so the figure is what is charged. */
  optionPriceText(g, o) {
    const s = this.sheet;
    const chosen = s.selection.get(g.id) || [];
    const other = new Map(s.selection);
    if (g.mode === "single") {
      other.set(g.id, [o.id]);
      return fmt(this.sheetUnit(other));
    }
    const without = new Map(s.selection);
    without.set(g.id, chosen.filter((x) => x !== o.id));
    other.set(g.id, [...chosen.filter((x) => x !== o.id), o.id]);
    const d = this.sheetUnit(other) - this.sheetUnit(without);
    if (d === 0) return "";
    return (d > 0 ? "+" : "−") + fmt(Math.abs(d));
  }

  renderSheet() {
    const s = this.sheet;
    const item = this.index.items.get(s.item.id) || s.item;
    s.item = item;
    const available = this.index.available(item) && this.open;
    if (s.tried) s.errors = this.sheetErrors();
    const unit = this.sheetUnit();
    const groups = this.sheetChoices().map(({ group: g }) => this.groupField(g));
    const form = el(
      "form",
      { class: "sheet", novalidate: true, onsubmit: (e) => { e.preventDefault(); this.addFromSheet(); } },
      el(
        "header",
        { class: "cu-sheet-head" },
        el("h2", { id: "item-sheet-title", tabindex: "-1" }, item.name),
        el("button", { type: "button", class: "cu-close", "aria-label": t("common.close"), "data-focus": "close", onclick: () => this.itemSheet.close() }, "×"),
      ),
      el("p", { class: "cu-sheet-base muted num" }, fmt(this.index.menuPrice(item))),
      available ? null : el("p", { class: "alert", role: "alert" }, !this.open ? t("customer.closed_now") : t("customer.item_gone", { item: item.name })),
      groups,
      el(
        "div",
        { class: "cu-qty-row" },
        el("span", { id: "sheet-qty-label", class: "cu-qty-label" }, t("customer.quantity")),
        this.stepper(s.quantity, "sheet-qty", item.name, (q) => {
          s.quantity = q;
          this.renderSheet();
        }),
      ),
      el(
        "label",
        { class: "cu-notes" },
        t("customer.notes_label"),
        el("textarea", {
          rows: "2",
          maxlength: String(MAX_NOTES),
          "data-focus": "sheet-notes",
          "aria-describedby": "sheet-notes-count",
          oninput: (e) => {
            s.notes = e.target.value;
            document.getElementById("sheet-notes-count").textContent = t("customer.chars_left", { n: MAX_NOTES - [...s.notes].length });
          },
          text: s.notes,
        }),
      ),
      el("p", { class: "muted small", id: "sheet-notes-count" }, t("customer.chars_left", { n: MAX_NOTES - [...s.notes].length })),
      el(
        "div",
        { class: "cu-sheet-foot" },
        el(
          "button",
          { type: "submit", class: "primary cu-add add", "data-focus": "add", disabled: !available },
          el("span", {}, t("customer.add")),
          el("span", { class: "num", id: "sheet-price" }, fmt(unit * s.quantity)),
        ),
        s.quantity > 1 ? el("p", { class: "muted small cu-each" }, t("customer.each", { price: fmt(unit) })) : null,
      ),
    );
    redraw(this.itemSheet, () => form);
  }

  groupField(g) {
    const s = this.sheet;
    const chosen = s.selection.get(g.id) || [];
    const err = s.errors.get(g.id);
    const single = g.mode === "single";
    const opts = this.index.optionsOf(g);
    const full = !single && g.max_select != null && chosen.length >= g.max_select;
    const name = `g-${g.id}`;
    const choose = (id, on) => {
      let next;
      if (single) next = id == null ? [] : [id];
      else next = on ? [...chosen, id] : chosen.filter((x) => x !== id);
      s.selection.set(g.id, next);
      this.renderSheet();
    };
    const rows = [];
    if (single && g.min_select === 0) {
      rows.push(
        el(
          "label",
          { class: "cu-opt" },
          el("input", { type: "radio", name, value: "", checked: chosen.length === 0, "data-focus": `${name}-none`, onchange: () => choose(null, true) }),
          el("span", { class: "cu-opt-name" }, t("customer.none")),
        ),
      );
    }
    for (const o of opts) {
      const on = chosen.includes(o.id);
      const off = o.sold_out || (!on && full);
      rows.push(
        el(
          "label",
          { class: off ? "cu-opt cu-off" : "cu-opt" },
          el("input", {
            type: single ? "radio" : "checkbox",
            name,
            value: String(o.id),
            checked: on,
            disabled: off,
            "data-focus": `${name}-${o.id}`,
            onchange: (e) => choose(o.id, e.target.checked),
          }),
          el("span", { class: "cu-opt-name" }, o.name),
          o.sold_out ? el("span", { class: "cu-opt-note" }, t("customer.sold_out")) : el("span", { class: "cu-opt-delta num" }, this.optionPriceText(g, o)),
        ),
      );
    }
    return el(
      "fieldset",
      { class: err ? "cu-group cu-invalid" : "cu-group", id: `group-${g.id}`, "aria-describedby": `${name}-hint${err ? ` ${name}-err` : ""}` },
      el("legend", {}, g.name, g.min_select > 0 ? el("span", { class: "cu-req" }, t("customer.required")) : null),
      el("p", { class: "cu-hint muted small", id: `${name}-hint` }, ruleText(g)),
      el("div", { class: "cu-opts" }, rows),
      err ? el("p", { class: "cu-field-error", id: `${name}-err` }, err) : null,
    );
  }

  /** A − n + control; `onChange(q)` with the new quantity (1 to 50). */
  stepper(q, key, what, onChange) {
    return el(
      "div",
      { class: "cu-stepper", role: "group", "aria-label": t("customer.quantity_of", { item: what }) },
      el("button", { type: "button", "aria-label": t("customer.fewer", { item: what }), "data-focus": `${key}-minus`, disabled: q <= 1, onclick: () => onChange(q - 1) }, "−"),
      el("span", { class: "cu-qty num", "aria-live": "polite" }, String(q)),
      el("button", { type: "button", "aria-label": t("customer.more", { item: what }), "data-focus": `${key}-plus`, disabled: q >= MAX_QUANTITY, onclick: () => onChange(q + 1) }, "+"),
    );
  }

  addFromSheet() {
    const s = this.sheet;
    if (!s || !this.open || !this.index.available(s.item)) return;
    s.tried = true;
    s.errors = this.sheetErrors();
    if (s.errors.size) {
      this.renderSheet();
      // Take the customer to the first group that needs a choice.
      const first = this.itemSheet.querySelector("fieldset.cu-invalid input:not(:disabled)");
      first?.focus();
      first?.closest("fieldset")?.scrollIntoView({ block: "center" });
      return;
    }
    const selections = this.sheetChoices()
      .filter(({ ids }) => ids.length)
      .map(({ group, ids }) => ({ group_id: group.id, option_ids: [...ids] }));
    const notes = s.notes.trim();
    const same = this.lines.find((l) => l.item_id === s.item.id && (l.notes || "") === notes && JSON.stringify(l.selections) === JSON.stringify(selections));
    if (same) same.quantity = Math.min(MAX_QUANTITY, same.quantity + s.quantity);
    else this.lines.push({ uid: idempotencyKey(), item_id: s.item.id, selections, quantity: s.quantity, notes });
    this.save();
    this.itemSheet.close();
    this.renderBar();
    this.announce(t("customer.added", { item: s.item.name }));
  }

  announce(text) {
    let live = document.getElementById("shop-announce");
    if (!live) {
      live = el("p", { id: "shop-announce", class: "visually-hidden", role: "status", "aria-live": "polite" });
      document.body.append(live);
    }
    live.textContent = text;
  }

  // ---- the cart ------------------------------------------------------------------------

  /** A line as the customer sees it, priced from the current menu. */
  describe(line) {
    const item = this.index.items.get(line.item_id);
    const names = [];
    const effects = [];
    let problem = null;
    if (!item) return { item: null, name: "?", mods: "", unit: 0, problem: t("customer.line_gone") };
    const allowed = new Set(this.index.groupsOf(item).map((g) => g.id));
    for (const sel of line.selections) {
      for (const id of sel.option_ids) {
        const o = this.index.options.get(id);
        if (!o || !o.enabled || !allowed.has(sel.group_id)) {
          problem ??= t("customer.line_option_gone");
          continue;
        }
        if (o.sold_out) problem ??= t("customer.line_option_sold_out", { option: o.name });
        names.push(o.name);
        effects.push(o.price_effect);
      }
    }
    if (item.sold_out) problem = t("customer.line_sold_out", { item: item.name });
    else if (!this.index.available(item)) problem = t("customer.line_unavailable", { item: item.name });
    return { item, name: item.name, mods: names.join(", "), unit: unitPrice(item.price, effects, cafe.price_rounding), problem };
  }

  total() {
    return this.lines.reduce((sum, l) => sum + this.describe(l).unit * l.quantity, 0);
  }

  count() {
    return this.lines.reduce((n, l) => n + l.quantity, 0);
  }

  renderBar() {
    const n = this.count();
    this.bar.hidden = n === 0 || !this.open || this.side;
    if (this.side) {
      // The panel shows while there is something in the cart, and goes with the last line.
      document.body.classList.toggle("cu-side-cart", n > 0);
      if (n > 0) {
        this.renderCart();
        if (!this.cartSheet.open) this.cartSheet.show();
      } else if (this.cartSheet.open) this.cartSheet.close();
    } else document.body.classList.remove("cu-side-cart");
    document.getElementById("cart-count").textContent = t(n === 1 ? "customer.view_cart_one" : "customer.view_cart", { n });
    document.getElementById("cart-total").textContent = fmt(this.total());
    document.body.classList.toggle("cu-has-cart", !this.bar.hidden);
  }

  openCart() {
    this.renderCart();
    if (this.side) {
      if (!this.cartSheet.open) this.cartSheet.show();
    } else this.cartSheet.showModal();
    this.cartSheet.querySelector("h2")?.focus();
  }

  changed() {
    this.save();
    this.renderBar();
    this.renderCart();
  }

  renderCart() {
    const total = this.total();
    const nameId = "checkout-name";
    const body = el(
      "div",
      { class: "sheet" },
      el(
        "header",
        { class: "cu-sheet-head" },
        el("h2", { id: "cart-sheet-title", tabindex: "-1" }, t("customer.your_order")),
        this.side ? null : el("button", { type: "button", class: "cu-close", "aria-label": t("common.close"), "data-focus": "close", onclick: () => this.cartSheet.close() }, "×"),
      ),
      this.lines.length
        ? el("ul", { class: "cu-cart-lines" }, this.lines.map((l, i) => this.cartLine(l, i)))
        : el("p", { class: "muted" }, t("customer.cart_empty")),
      this.lines.length
        ? el(
            "form",
            { class: "cu-checkout stack", novalidate: true, onsubmit: (e) => { e.preventDefault(); this.checkout(); } },
            el("p", { class: "cu-cart-total" }, el("span", {}, t("customer.total")), el("span", { class: "num", id: "cart-sheet-total" }, fmt(total))),
            el(
              "label",
              { for: nameId },
              this.nameRequired ? t("customer.name_label") : t("customer.name_optional"),
            ),
            el("input", {
              id: nameId,
              name: "customer_name",
              autocomplete: this.persist ? "given-name" : "off",
              maxlength: String(MAX_NAME),
              required: this.nameRequired,
              value: this.name,
              "data-focus": "name",
              "aria-invalid": this.nameError ? "true" : null,
              "aria-describedby": this.nameError ? "checkout-name-err" : null,
              oninput: (e) => {
                this.name = e.target.value;
                this.save();
              },
            }),
            this.nameError ? el("p", { class: "cu-field-error", id: "checkout-name-err" }, this.nameError) : null,
            el("p", { class: "muted small" }, t("customer.pay_at_counter")),
            this.checkoutError ? el("p", { class: "alert", role: "alert", id: "checkout-error" }, this.checkoutError) : null,
            !this.open ? el("p", { class: "alert", role: "alert" }, t("customer.closed_now")) : null,
            el(
              "button",
              { type: "submit", class: "primary cu-place", id: "place-order", "data-focus": "place", disabled: this.busy || !this.open, "aria-busy": this.busy ? "true" : null },
              el("span", {}, this.busy ? t("customer.placing") : t("customer.place_order")),
              el("span", { class: "num" }, fmt(total)),
            ),
          )
        : null,
    );
    redraw(this.cartSheet, () => body);
  }

  cartLine(l, i) {
    const d = this.describe(l);
    const err = this.lineErrors.get(l.uid) || d.problem;
    const errId = `line-${i}-err`;
    return el(
      "li",
      { class: err ? "cu-cart-line cu-invalid" : "cu-cart-line", "data-line": String(i) },
      el(
        "div",
        { class: "cu-cl-top" },
        el("span", { class: "cu-cl-name" }, d.name),
        el("span", { class: "cu-cl-price num" }, fmt(d.unit * l.quantity)),
      ),
      d.mods ? el("p", { class: "cu-cl-mods muted small" }, d.mods) : null,
      err ? el("p", { class: "cu-field-error", id: errId }, err) : null,
      el(
        "div",
        { class: "cu-cl-controls" },
        this.stepper(l.quantity, `line-${l.uid}`, d.name, (q) => {
          l.quantity = q;
          this.lineErrors.delete(l.uid);
          this.changed();
        }),
        el(
          "button",
          {
            type: "button",
            class: "link cu-remove",
            "data-focus": `remove-${l.uid}`,
            "aria-label": t("customer.remove_item", { item: d.name }),
            onclick: () => {
              this.lines = this.lines.filter((x) => x !== l);
              this.lineErrors.delete(l.uid);
              this.changed();
              this.cartSheet.querySelector(this.lines.length ? "button.cu-remove" : "button.cu-close")?.focus();
              this.announce(t("customer.removed", { item: d.name }));
            },
          },
          t("customer.remove"),
        ),
      ),
      el(
        "label",
        { class: "cu-cl-note" },
        el("span", { class: "small" }, t("customer.line_note")),
        el("input", {
          type: "text",
          maxlength: String(MAX_NOTES),
          value: l.notes || "",
          "data-focus": `note-${l.uid}`,
          "aria-label": t("customer.line_note_for", { item: d.name }),
          "aria-describedby": err ? errId : null,
          oninput: (e) => {
            l.notes = e.target.value;
            this.save();
          },
        }),
      ),
    );
  }

  // ---- checkout ------------------------------------------------------------------------

  body() {
    const name = this.name.trim();
    return {
      channel: this.channel,
      ...(name ? { customer_name: name } : {}),
      lines: this.lines.map((l) => ({
        item_id: l.item_id,
        quantity: l.quantity,
        ...(l.notes && l.notes.trim() ? { notes: l.notes.trim() } : {}),
        modifiers: l.selections.map((s) => ({ group_id: s.group_id, option_ids: s.option_ids })),
      })),
    };
  }

  async checkout() {
    if (this.busy || !this.lines.length) return;
    this.nameError = null;
    this.checkoutError = null;
    this.lineErrors.clear();
    const name = this.name.trim();
    if (this.nameRequired && !name) this.nameError = t("customer.error_name");
    else if ([...name].length > MAX_NAME) this.nameError = t("customer.error_name_long", { max: MAX_NAME });
    const problems = this.lines.filter((l) => this.describe(l).problem);
    if (problems.length) this.checkoutError = t("customer.error_lines");
    if (this.nameError || this.checkoutError) {
      this.renderCart();
      (this.nameError ? this.cartSheet.querySelector("#checkout-name") : this.cartSheet.querySelector(".cu-cart-line.cu-invalid input"))?.focus();
      return;
    }
    const body = this.body();
    const json = JSON.stringify(body);
    // The same checkout (same cart, same name) retried keeps its key, so a retry after a lost
    // answer returns the order already placed instead of placing a second one.
    if (!this.pending || this.pending.body !== json) this.pending = { key: idempotencyKey(), body: json };
    this.save();
    this.busy = true;
    this.renderCart();
    let order;
    try {
      order = await api("POST", cafePath("orders"), body, { headers: { "Idempotency-Key": this.pending.key } });
    } catch (e) {
      this.busy = false;
      this.showProblem(e);
      return;
    }
    this.busy = false;
    this.lines = [];
    this.pending = null;
    this.save();
    this.renderBar();
    this.onPlaced(order);
  }

  /** Puts the API's field errors next to what they name. */
  showProblem(e) {
    const errors = e instanceof ApiProblem ? e.errors : [];
    let general = null;
    for (const err of errors) {
      const m = /^lines\[(\d+)\]/.exec(err.field || "");
      if (m && this.lines[Number(m[1])]) {
        const line = this.lines[Number(m[1])];
        const d = this.describe(line);
        const msg =
          err.code === "sold_out" && /item_id$/.test(err.field)
            ? t("customer.line_sold_out", { item: d.name })
            : err.code === "sold_out"
              ? t("customer.line_option_sold_out", { option: d.mods })
              : err.code === "disabled"
                ? t("customer.line_unavailable", { item: d.name })
                : `${d.name}: ${err.message}`;
        if (!this.lineErrors.has(line.uid)) this.lineErrors.set(line.uid, msg);
      } else if (err.field === "customer_name") {
        this.nameError = `${t("customer.name_label")}: ${err.message}`;
      } else if (err.field === "cafe" && err.code === "closed") {
        general = t("customer.closed_now");
        this.refreshStatus();
      } else {
        general ??= err.message;
      }
    }
    if (this.lineErrors.size) {
      general ??= t("customer.error_lines");
      this.refreshMenu();
    }
    if (!errors.length) {
      general =
        e.status === 0
          ? t("customer.error_network")
          : e.status === 429
            ? t("customer.error_busy")
            : e.status >= 500
              ? t("customer.error_server")
              : e.message || t("common.error_generic");
    }
    this.checkoutError = general;
    this.renderCart();
    const focus = this.nameError ? "#checkout-name" : this.lineErrors.size ? ".cu-cart-line.cu-invalid input" : "#place-order";
    this.cartSheet.querySelector(focus)?.focus();
  }
}
