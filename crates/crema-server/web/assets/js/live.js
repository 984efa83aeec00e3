// A Phoenix Channels v2 client of our own (no third-party code on the page), made for screens
// that stay up for days: it joins topics, remembers the last `seq` of each, and after any loss
// of connection (network, server restart, a tab asleep) reconnects with back-off and rejoins
// with `since`, so the missed events arrive in order and nothing is applied twice. A
// heartbeat every 15 s that is not answered within 10 s counts as a lost connection: a cut
// cable does not close a WebSocket by itself.
//
//   const live = new Live();
//   live.join("cafe:kaffediem:board", { snapshot: (s) => …, event: (kind, data, seq) => … });
//   live.indicator(document.querySelector(".conn"));
//   live.connect();

import { t } from "./crema.js";

const HEARTBEAT_MS = 15000;
const HEARTBEAT_TIMEOUT_MS = 10000;
const JOIN_TIMEOUT_MS = 10000;

export class Live {
  constructor({ url } = {}) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = url || `${proto}//${location.host}/socket/websocket?vsn=2.0.0`;
    this.topics = new Map(); // topic → {handlers, seq, joinRef, joined}
    this.ref = 0;
    this.pending = new Map(); // ref → callback
    this.ws = null;
    this.state = "connecting";
    this.listeners = new Set();
    this.attempt = 0;
    this.timers = {};
    this.stopped = false;
    // Kept so `close()` can remove them: a screen that makes a new Live (at midnight, say)
    // leaves nothing behind.
    this.onOnline = () => this.reconnectSoon(0);
    this.onVisible = () => {
      if (document.visibilityState === "visible" && this.state !== "live") this.reconnectSoon(0);
    };
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
  }

  /**
   * Follows `topic`: `snapshot(state)` on a fresh join, `event(kind, data, seq)` for each push.
   * `since`: a page rendered by the server at event `seq` passes it, so the first join replays
   * only what happened after the render instead of sending a snapshot.
   */
  join(topic, handlers, { since = null } = {}) {
    this.topics.set(topic, { handlers, seq: since, joinRef: null, joined: false });
    if (this.ws?.readyState === WebSocket.OPEN) this.sendJoin(topic);
    return this;
  }

  /** Calls `fn(state)` now and whenever the state changes: connecting, live, offline. */
  onState(fn) {
    this.listeners.add(fn);
    fn(this.state);
  }

  /** Keeps an element's text and `data-state` in step with the connection. */
  indicator(node) {
    if (!node) return;
    node.setAttribute("role", "status");
    node.setAttribute("aria-live", "polite");
    this.onState((s) => {
      node.dataset.state = s;
      node.textContent = t(s === "live" ? "common.live" : s === "offline" ? "common.offline" : "common.connecting");
    });
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    document.documentElement.dataset.live = s;
    for (const fn of this.listeners) fn(s);
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.timers.reconnect);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      for (const topic of this.topics.keys()) this.sendJoin(topic);
      this.beat();
    };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = () => {
      if (this.ws === ws) this.lost();
    };
    ws.onerror = () => {};
  }

  close() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.timers.reconnect);
    clearTimeout(this.timers.beat);
    clearTimeout(this.timers.beatTimeout);
    this.ws?.close(1000);
  }

  lost() {
    clearTimeout(this.timers.beat);
    clearTimeout(this.timers.beatTimeout);
    for (const t of this.topics.values()) t.joined = false;
    this.pending.clear();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try { ws.close(4002); } catch { /* already closing */ }
    }
    if (this.stopped) return;
    this.setState("offline");
    // 0.5 s, 1 s, 2 s … up to 10 s, with jitter so a room of screens does not reconnect at once.
    const base = Math.min(10000, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.reconnectSoon(base / 2 + Math.random() * (base / 2));
  }

  reconnectSoon(ms) {
    if (this.stopped) return;
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), ms);
  }

  send(joinRef, topic, event, payload, reply) {
    const ref = String(++this.ref);
    if (reply) this.pending.set(ref, reply);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
    return ref;
  }

  sendJoin(topic) {
    const entry = this.topics.get(topic);
    const joinRef = String(++this.ref);
    entry.joinRef = joinRef;
    const payload = entry.seq === null ? {} : { since: entry.seq };
    const timer = setTimeout(() => this.lost(), JOIN_TIMEOUT_MS);
    this.send(joinRef, topic, "phx_join", payload, (status, response) => {
      clearTimeout(timer);
      if (status !== "ok") {
        // Refused (no permission, unknown topic): the page says so; retrying would not help.
        entry.handlers.error?.(response);
        return;
      }
      entry.joined = true;
      if (response.snapshot !== undefined) {
        entry.seq = response.seq;
        entry.handlers.snapshot?.(response.snapshot, response.seq);
      }
      if ([...this.topics.values()].every((t) => t.joined)) this.setState("live");
    });
  }

  beat() {
    clearTimeout(this.timers.beat);
    this.timers.beat = setTimeout(() => {
      this.timers.beatTimeout = setTimeout(() => this.lost(), HEARTBEAT_TIMEOUT_MS);
      this.send(null, "phoenix", "heartbeat", {}, () => {
        clearTimeout(this.timers.beatTimeout);
        this.beat();
      });
    }, HEARTBEAT_MS);
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    const [joinRef, ref, topic, event, payload] = frame;
    if (event === "phx_reply" && ref && this.pending.has(ref)) {
      const cb = this.pending.get(ref);
      this.pending.delete(ref);
      cb(payload.status, payload.response || {});
      return;
    }
    const entry = this.topics.get(topic);
    if (!entry) return;
    if (event === "phx_close" || event === "phx_error") {
      if (joinRef === entry.joinRef) {
        entry.joined = false;
        setTimeout(() => this.ws?.readyState === WebSocket.OPEN && this.sendJoin(topic), 1000);
      }
      return;
    }
    if (payload && typeof payload.seq === "number") {
      // A replayed event the snapshot already holds, or one seen before a reconnect.
      if (entry.seq !== null && payload.seq <= entry.seq) return;
      entry.seq = payload.seq;
      entry.handlers.event?.(event, payload.data, payload.seq);
    }
  }
}
