// crema's page toolkit: the boot data a page was rendered with, strings, the API, money and
// small DOM helpers. No framework: a screen is a module that builds its DOM with `el`.

const bootEl = document.getElementById("boot");
/** What the server rendered the page with: {lang, cafe, user, strings, data}. */
export const boot = bootEl ? JSON.parse(bootEl.textContent) : { lang: "en", strings: {}, data: {} };
export const lang = boot.lang || "en";
export const cafe = boot.cafe || null;

/** The string for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars) {
  let s = boot.strings[key];
  if (s === undefined) s = key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** A workflow step's name: the known ones are translated, a café's own steps show as named. */
export function stepName(step) {
  const key = "common.step_" + step;
  return boot.strings[key] ?? step;
}

const exponent = (code) => (["JPY", "KRW", "ISK"].includes(code) ? 0 : 2);

/** Minor units as the menu board shows them: `45 kr`, `£4.50`. Whole amounts drop decimals. */
export function money(minor, currency = cafe?.currency ?? "NOK") {
  const exp = exponent(currency);
  const major = minor / 10 ** exp;
  const whole = minor % 10 ** exp === 0;
  const locale = lang === "nb" ? "nb-NO" : "en-GB";
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: whole ? 0 : exp,
    maximumFractionDigits: exp,
  }).format(major);
}

/** An error the API answered with: `message` is for people, `errors` name the fields. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.errors = problem?.errors || [];
  }
}

/** A device token this screen sends with its API calls (a paired kiosk: its orders are the
 *  kiosk's). Set by the page; a token that stops working (revoked) is dropped and the call
 *  made again without it, so the screen keeps working as a public one. */
let deviceToken = null;
let onDeviceRefused = null;
export function useDeviceToken(token, refused) {
  deviceToken = token || null;
  onDeviceRefused = refused || null;
}

/** Calls `/api/v1` with the page's session cookie. Resolves to the JSON body (or null). */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: "application/json", ...(opts.headers || {}) };
  const sentToken = deviceToken;
  if (sentToken && !headers.Authorization) headers.Authorization = `Bearer ${sentToken}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path.startsWith("/") ? path : `/api/v1/${path}`, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiProblem(0, { detail: t("common.error_network") });
  }
  if (res.status === 401 && sentToken && sentToken === deviceToken) {
    deviceToken = null;
    onDeviceRefused?.();
    return api(method, path, body, opts);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiProblem(res.status, json || { detail: text || res.statusText });
  return json;
}

/** The café's API path: `cafePath("orders")` → `/api/v1/cafes/<slug>/orders`. */
export function cafePath(rest) {
  return `/api/v1/cafes/${encodeURIComponent(cafe.slug)}/${rest}`;
}

/** A new idempotency key for one user action (a retry of the same action reuses it). */
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

/**
 * Builds an element: `el("button", {class: "primary", onclick: f}, "Text", child)`.
 * Text is always text (never parsed as HTML), so names and notes cannot inject markup.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "text") node.textContent = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Sets an SVG element's attributes (for charts). */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children.flat()) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

let toastBox = null;
/** A short message at the bottom of the screen; `action` adds a button (for undo). */
/**
 * Plays `notes` (in Hz) one after another on the AudioContext `ctx`, `gap` seconds apart: each a
 * sine that swells to `peak` in `attack` seconds and fades out by `length`. Sound made in code,
 * no sound file. The kitchen's beep and the display's chime differ only in these numbers.
 */
export function playNotes(ctx, notes, { gap, peak, attack, length }) {
  const t0 = ctx.currentTime + 0.01;
  for (const [i, f] of notes.entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = f;
    const start = t0 + i * gap;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(peak, start + attack);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + length + 0.01);
  }
}

export function toast(message, { error = false, action = null, ms = 5000 } = {}) {
  if (!toastBox) {
    toastBox = el("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toastBox);
  }
  const node = el("div", { class: error ? "toast error" : "toast" }, el("span", {}, message));
  if (action) {
    node.append(
      el("button", { type: "button", onclick: () => { node.remove(); action.run(); } }, action.label),
    );
  }
  toastBox.append(node);
  setTimeout(() => node.remove(), ms);
  return node;
}

/** Shows an API error as a toast: the problem's detail, and the first field error. */
export function showError(e) {
  const field = e.errors?.[0];
  const msg = field ? `${e.message}` : e.message || t("common.error_generic");
  toast(msg, { error: true, ms: 8000 });
}

/** "3 min" style age from an ISO time. */
export function age(iso, now = Date.now()) {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  return { seconds: s, text: s < 60 ? `${s}s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` };
}
