// What the front desk and the kitchen share: the café's day, the server's clock, a live set of
// today's orders, a connection that starts afresh when the day changes, an undo stack of this
// tab's moves, and how an order's modifiers are drawn.

import { boot, cafe, el, t, api, cafePath, toast, showError } from "./crema.js";
import { Live } from "./live.js";

// The page was rendered at `boot.data.now` by the server: ages are measured on its clock, so a
// tablet whose clock is off still shows true ages.
const skew = boot.data?.now ? Date.parse(boot.data.now) - Date.now() : 0;
export const serverNow = () => Date.now() + skew;

const dayFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: cafe?.timezone || "UTC",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});
/** The café's local date now, `YYYY-MM-DD` (day numbers restart at its midnight). */
export function cafeToday() {
  return dayFormat.format(new Date(serverNow()));
}

export const workflow = cafe?.workflow || ["received", "production", "completed", "dispatched"];
export const lastStep = workflow[workflow.length - 1];

/**
 * Today's open orders of one topic, kept in step with the live events. `onChange()` is called
 * after every snapshot or event. Orders at the last step, cancelled or deleted are dropped, so
 * the set never grows past what is on screen.
 */
export class OrderSet {
  constructor(onChange, { onPlaced } = {}) {
    this.orders = new Map();
    this.day = cafeToday();
    this.onChange = onChange;
    this.onPlaced = onPlaced;
  }

  /** The handlers for `live.join(topic, …)`. */
  handlers() {
    return {
      snapshot: (s) => {
        this.orders.clear();
        this.day = cafeToday();
        for (const o of s.orders || []) this.put(o);
        // The server cuts a snapshot that would not fit one frame (a day with hundreds of
        // open orders): say so, so nobody takes the screen for the whole queue.
        if (s.complete === false) {
          toast(t("staff.snapshot_incomplete", { n: (s.orders || []).length }), { error: true, ms: 15000 });
        }
        this.onChange();
      },
      event: (kind, data) => {
        const o = data?.order;
        if (!o) return;
        if (kind === "order.deleted") this.orders.delete(o.id);
        else {
          const fresh = !this.orders.has(o.id);
          this.apply(o);
          if (kind === "order.placed" && fresh && this.orders.has(o.id)) this.onPlaced?.(o);
        }
        this.onChange();
      },
      error: (reply) => toast(t("staff.join_refused", { reason: reply?.reason || "" }), { error: true, ms: 15000 }),
    };
  }

  /** Applies an order as the API or an event gave it; an older copy never wins. */
  apply(o) {
    const have = this.orders.get(o.id);
    if (have && Date.parse(have.updated_at) > Date.parse(o.updated_at)) return;
    this.put(o);
  }

  put(o) {
    const open = o.step !== lastStep && o.step !== "cancelled" && o.local_date === this.day;
    if (open) this.orders.set(o.id, o);
    else this.orders.delete(o.id);
  }

  /** The open orders at `step`, oldest first. */
  at(step) {
    return [...this.orders.values()]
      .filter((o) => o.step === step)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.day_number - b.day_number);
  }
}

/**
 * A live connection whose topics `setup(live)` joins. When the café's day changes it starts
 * again from fresh snapshots of the new day (a resume would carry yesterday's orders on).
 * `tick()` is meant to be called from the page's one timer.
 */
export class DailyLive {
  constructor(setup, indicator) {
    this.setup = setup;
    this.indicator = indicator;
    this.live = null;
    this.start();
  }

  start() {
    this.day = cafeToday();
    this.live?.close();
    this.live = new Live();
    this.setup(this.live);
    this.live.indicator(this.indicator);
    this.live.connect();
  }

  tick() {
    if (cafeToday() !== this.day) this.start();
  }
}

/** Who an order is for, as a short label. */
export function customerLabel(o) {
  const c = o.customer || {};
  if (c.kind === "name") return c.name;
  if (c.kind === "phone") return c.phone;
  return "";
}

/** A modifier as a chip in its group's label colour (set through CSSOM, never a style attribute). */
export function modifierChip(m) {
  const chip = el("span", { class: "mod" }, m.option_name);
  if (m.label_color) chip.style.setProperty("--label", m.label_color);
  return chip;
}

/**
 * Moves made from this tab, newest last, so "undo" takes back what this screen did (as
 * Kaffediem's "oops" button), and only while the order is still where we put it.
 */
export class UndoStack {
  constructor(button, onUndone) {
    this.moves = [];
    this.button = button;
    this.onUndone = onUndone;
    this.busy = false;
    button.addEventListener("click", () => this.undo());
    this.render();
  }

  /** Remembers a move of `order` to `order.step`; shows a toast with an undo action. */
  push(order, message) {
    this.moves.push({ id: order.id, to: order.step, day_number: order.day_number });
    // A screen runs for days: keep only what anyone would still undo.
    if (this.moves.length > 20) this.moves.shift();
    this.render();
    toast(message, { action: { label: t("common.undo"), run: () => this.undo(order.id) } });
  }

  render() {
    const last = this.moves[this.moves.length - 1];
    this.button.disabled = !last || this.busy;
    this.button.textContent = last ? t("staff.undo_number", { n: last.day_number }) : t("common.undo");
  }

  /** Undoes the last move of this tab (or the one of order `id`). */
  async undo(id) {
    if (this.busy) return;
    const i = id ? this.moves.map((m) => m.id).lastIndexOf(id) : this.moves.length - 1;
    if (i < 0) return;
    const move = this.moves[i];
    this.busy = true;
    this.render();
    try {
      // Someone may have moved it on since (another screen): undoing theirs would surprise both.
      const now = await api("GET", cafePath(`orders/${move.id}`));
      if (now.step !== move.to) {
        this.moves.splice(i, 1);
        toast(t("staff.undo_moved_on", { n: move.day_number }), { error: true });
        return;
      }
      const order = await api("POST", cafePath(`orders/${move.id}/undo`));
      this.moves.splice(i, 1);
      this.onUndone(order);
      toast(t("staff.undone", { n: order.day_number }));
    } catch (e) {
      showError(e);
    } finally {
      this.busy = false;
      this.render();
    }
  }
}
